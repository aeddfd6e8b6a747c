/* main.c: the cloakroom launcher's entry point: finds the daemons, then
 * hands the command's arguments to its cmd_* (cli.h). Exit codes are the
 * commands' (cli.h); 2 for an unknown command. */
#include "cli.h"
#include "launch.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

/* Every command: its name, its entry point, its arguments in short and
 * what it does, as the launcher's own help lists them. Each command's
 * --help gives its options in full. */
typedef struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args, *what;
} command;

static const command commands[] = {
	{"run", cmd_run, "FILE [--explain] [--format F] [--set K=V]",
	 "run a scenario's daemons and report each hop (F: text, json, "
	 "mermaid, svg, html)"},
	{"check", cmd_check, "[-j N] [--json] PATH...",
	 "every scenario under PATH, pass or fail"},
	{"matrix", cmd_matrix, "FILE --vary KEY=V1,V2... [--format F]",
	 "a sweep of settings, one row per case"},
	{"diff", cmd_diff, "RUN1 RUN2",
	 "what changed between two runs (JSON or FILE:VARIANT), hop by hop"},
	{"paths", cmd_paths, "FILE --to SERVICE [--as USER] [--format F]",
	 "delegation paths to a service, each confirmed on the daemons"},
	{"import", cmd_import, "FILE... --out DIR",
	 "an AD export (LDIF, SharpHound JSON) as a scenario's domain"},
	{"tokens", cmd_tokens, "FILE [--at STEP] [--format F]",
	 "the tokens the run used, as whoami /all shows them"},
	{"new", cmd_new, "NAME", "write NAME.yaml, a starter scenario"},
	{"stress", cmd_stress, "[--clients N] [--calls M]",
	 "identity bleed under load"},
};

void cli_usage(FILE *out)
{
	fprintf(out, "usage: cloakroom COMMAND [OPTIONS]   (cloakroom COMMAND "
		     "--help: its own options)\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %s %s\n      %s\n", commands[i].name,
			commands[i].args, commands[i].what);
	fprintf(out,
		"  --version\n      the version\n"
		"In a checkout, ./cloakroom also runs demo, test, build, fuzz and "
		"bench\n(bench --matrix, bench --paths): ./cloakroom --help.\n"
		"Exit: 0 expectations held, 1 one failed, 2 bad input, 3 the run\n"
		"failed.\n");
}

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
