/* cli.h: the launcher's commands, one file each (cli/<command>.c), called
 * by main.c. Each takes the arguments after its name and returns the
 * process's exit code: 0 success, 1 an expectation failed or a difference
 * was found, 2 bad input (nothing started), 3 a run failed (a daemon did
 * not start, died or did not stop cleanly, or a signal). Launcher code:
 * never initialises gRPC (it forks). */
#ifndef CLOAKROOM_CLI_H
#define CLOAKROOM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <getopt.h>
#include <stdio.h>

/* run FILE: every variant (or --variant) on real daemons, reported. */
int cmd_run(int argc, char **argv);
/* check PATH...: every scenario under PATH, every variant, on warm
 * daemons; 0 all pass, 1 one failed. */
int cmd_check(int argc, char **argv);
/* new NAME: writes NAME.yaml, a starter scenario (never overwrites). */
int cmd_new(int argc, char **argv);
/* diff RUN1.json[:VARIANT] RUN2.json[:VARIANT]: what changed, hop by
 * hop; 0 no difference, 1 differences. Reads files only. */
int cmd_diff(int argc, char **argv);
/* matrix FILE --vary KEY=V1,V2...: settings swept over their cartesian
 * product, one row per case. */
int cmd_matrix(int argc, char **argv);
/* stress: many client identities at once through one middle tier; 1 when
 * a call arrived with another's identity or failed. */
int cmd_stress(int argc, char **argv);
/* paths FILE --to SERVICE: delegation paths to a service, confirmed. */
int cmd_paths(int argc, char **argv);
/* import FILE... --out DIR: an AD export written as a scenario's domain. */
int cmd_import(int argc, char **argv);

/* tokens FILE: the tokens a run used, as whoami /all prints them. */
int cmd_tokens(int argc, char **argv);

/* The launcher's usage text. */
void cli_usage(FILE *out);

/* The helpers of every command's option parser (args.c). */
/* argv with cmd in front (getopt_long's argv[0]), malloc'd, or NULL. */
char **cli_args(const char *cmd, int argc, char **argv);
/* Say on stderr what getopt_long's c (':' a missing value, '?' an
 * unknown option) means for token: "cmd: --variant needs NAME". */
void cli_option_error(const char *cmd, int c, const char *token);
/* One command's options: getopt_long over argv (the command's own
 * arguments, argv[0] the first of them), -h and --help printing usage on
 * stdout, a missing value or an unknown option said on stderr
 * (cli_option_error), each option handed to one() and each argument that
 * is no option, in order, to positional(). */
typedef struct cli_parser {
	const char *cmd;            /* "cloakroom run": in every message */
	const char *shorts;         /* short options besides -h ("j:"), or NULL */
	const struct option *longs; /* ends with a zeroed entry */
	void (*usage)(FILE *out);
	/* 0, or -1 having said why on stderr */
	int (*one)(void *ctx, int c, const char *value);
	int (*positional)(void *ctx, const char *arg);
} cli_parser;
/* 0; 1 when help was printed; -1 on bad arguments (said on stderr). */
int cli_getopt(const cli_parser *p, int argc, char **argv, void *ctx);
/* --color=auto|always|never. auto: colour when fd is a terminal and
 * NO_COLOR is unset or empty. */
enum { CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };
int cli_color_parse(const char *mode, int *out);
bool cli_color_on(int mode, int fd);
/* The width to fit output in: $COLUMNS, else the terminal's when fd is
 * one, else 0 (no limit: a pipe gets whole lines). */
int cli_columns(int fd);
/* A progress bar on stderr, shown once a run has lasted a second and
 * only on a terminal: "label [####    ] done/total". Clear it before
 * printing a line; the next show draws it again. */
typedef struct cli_progress {
	const char *label;
	bool tty;
	double start;
	bool shown;
} cli_progress;
void cli_progress_start(cli_progress *p, const char *label);
void cli_progress_show(cli_progress *p, size_t done, size_t total);
void cli_progress_clear(cli_progress *p);
/* s as one shell word (quoted when it needs it), in buf. */
const char *cli_shell_quote(const char *s, char *buf, size_t len);

#endif
