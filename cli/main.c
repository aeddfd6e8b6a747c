/* main.c: the cloakroom launcher's entry point: finds the daemons, then
 * hands the command's arguments to its cmd_* (cli.h). Exit codes are the
 * commands' (cli.h); 2 for an unknown command. */
#include "cli.h"
#include "launch.h"

#include <stdio.h>
#include <string.h>

void cli_usage(FILE *out)
{
	fprintf(out,
		"usage: cloakroom run FILE [--json | --format text|json|mermaid|svg]\n"
		"                      [--explain] [--variant NAME] "
		"[--keep-logs] [--timeout-ms N]\n"
		"                      [--clock-skew-ms N] [--insecure]"
		" [--hosts loopback|netns]\n"
		"       cloakroom diff RUN1.json[:VARIANT] RUN2.json[:VARIANT]\n"
		"       cloakroom matrix FILE --vary KEY=V1,V2... [--format F]\n"
		"       cloakroom --version\n"
		"       cloakroom paths FILE --to SERVICE [--as USER] "
		"[--from ACCOUNT] [--out DIR]\n"
		"\n"
		"Runs the scenario FILE with real daemons and prints, per hop,\n"
		"who called whom, the identity presented, at which level, with\n"
		"which status, and the rule ids that decided; --explain adds\n"
		"each hop's inputs and numbered decisions. --format json: one\n"
		"JSON event a line; --format mermaid: a sequence diagram;\n"
		"--format svg: the sequence diagram drawn as SVG.\n"
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
	{"paths", cmd_paths},
};

int main(int argc, char **argv)
{
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
