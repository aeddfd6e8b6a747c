/* main.c: the cloakroom launcher's entry point: finds the daemons, then
 * hands the command's arguments to its cmd_* (cli.h). Exit codes are the
 * commands' (cli.h); 2 for an unknown command. */
#include "cli.h"
#include "launch.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

void cli_usage(FILE *out)
{
	fprintf(out,
		"usage: cloakroom COMMAND [OPTIONS]   (cloakroom COMMAND --help: "
		"its own options)\n"
		"  run FILE [--json | --format text|json|mermaid|svg] "
		"[--explain]\n"
		"           [--variant NAME] [--keep-logs] [--timeout-ms N] "
		"[--color WHEN]\n"
		"           [--clock-skew-ms N] [--insecure] [--hosts "
		"loopback|netns]\n"
		"                  run a scenario's daemons and report each hop\n"
		"  check [-j N] [--json] [--stats] [--variant NAME] PATH...\n"
		"                  every scenario under PATH, pass or fail\n"
		"  matrix FILE --vary KEY=V1,V2... [--format F] [-j N]\n"
		"                  a sweep of settings, one row per case\n"
		"  diff RUN1.json[:VARIANT] RUN2.json[:VARIANT]\n"
		"                  what changed between two runs, hop by hop\n"
		"  paths FILE --to SERVICE [--as USER] [--from ACCOUNT] "
		"[--out DIR]\n"
		"                  delegation paths to a service, confirmed\n"
		"  import FILE... --out DIR [--domain NAME]\n"
		"                  an AD export (LDIF, SharpHound JSON) as a domain\n"
		"  tokens FILE [--variant NAME] [--at STEP] [--format text|json]\n"
		"                  the tokens the run used, as whoami /all shows "
		"them\n"
		"  new NAME        write NAME.yaml, a starter scenario\n"
		"  stress [--clients N] [--calls M]   identity bleed under load\n"
		"  --version       the version\n"
		"In a checkout, ./cloakroom also runs demo, test, build, fuzz and "
		"bench\n(bench --matrix, bench --paths): ./cloakroom --help.\n"
		"\n"
		"run prints, per hop, who called whom, the identity presented, "
		"at which\nlevel, with which status, and the rule ids that "
		"decided; --explain adds\neach hop's inputs and numbered "
		"decisions. --format json: one JSON event\na line; mermaid: a "
		"sequence diagram; svg: the diagram drawn as SVG.\n"
		"--color auto (default: on a terminal, unless NO_COLOR is set), "
		"always\nor never.\n"
		"Exit: 0 expectations held, 1 one failed, 2 bad input, 3 the run\n"
		"failed.\n");
}

typedef struct command {
	const char *name;
	int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
	{"run", cmd_run},       {"check", cmd_check},   {"diff", cmd_diff},
	{"matrix", cmd_matrix}, {"new", cmd_new},       {"stress", cmd_stress},
	{"paths", cmd_paths},   {"import", cmd_import}, {"tokens", cmd_tokens},
};

int main(int argc, char **argv)
{
	/* Widths of names on a terminal (wcwidth) follow the user's
	 * locale; nothing else does. */
	setlocale(LC_CTYPE, "");
	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		cli_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("cloakroom %s\n", CLOAKROOM_VERSION);
		return 0;
	}
	if (launch_find_bin_root() != 0) {
		fprintf(stderr, "cloakroom: cannot find the daemons\n");
		return 3;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 2, argv + 2);
	fprintf(stderr, "cloakroom: unknown command '%s'\n", argv[1]);
	cli_usage(stderr);
	return 2;
}
