/* args.c: what every command's option parser shares (cli.h): getopt_long
 * over the command's own arguments, the names of option values in error
 * messages, the colour choice, quoting a path for a shell. */
#include "cli.h"

#include "util.h"

#include <stdlib.h>
#include <sys/ioctl.h>
#include <string.h>
#include <unistd.h>

char **cli_args(const char *cmd, int argc, char **argv)
{
	char **args = calloc((size_t)argc + 2, sizeof(char *));
	if (!args)
		return NULL;
	args[0] = (char *)cmd;
	if (argc > 0)
		memcpy(args + 1, argv, (size_t)argc * sizeof(char *));
	return args;
}

/* What each option takes, as its usage line writes it. */
static const struct {
	const char *option;
	const char *value;
} values[] = {
	{"--variant", "NAME"},        {"--format", "FORMAT"},
	{"--timeout-ms", "N (ms)"},   {"--clock-skew-ms", "N (ms)"},
	{"--hosts", "loopback or netns"},
	{"--vary", "KEY=V1,V2..."},   {"--set", "KEY=VALUE"},
	{"--to", "SERVICE"},          {"--as", "USER"},
	{"--from", "ACCOUNT_OR_HOST"}, {"--out", "DIR"},
	{"--confirm", "each or class"}, {"--clients", "N"},
	{"--calls", "N"},             {"--color", "auto, always or never"},
	{"-j", "N (sets at once)"},   {"--at", "STEP"},
};

void cli_option_error(const char *cmd, int c, const char *token)
{
	if (c == ':') {
		size_t n = strcspn(token, "=");
		const char *what = "a value";
		for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
			if (strlen(values[i].option) == n &&
			    strncmp(values[i].option, token, n) == 0)
				what = values[i].value;
		fprintf(stderr, "%s: %.*s needs %s\n", cmd, (int)n, token,
			what);
	} else {
		fprintf(stderr, "%s: unknown option %s (see %s --help)\n", cmd,
			token, cmd);
	}
}

int cli_getopt(const cli_parser *p, int argc, char **argv, void *ctx)
{
	char **args = cli_args(p->cmd, argc, argv);
	if (!args) {
		fprintf(stderr, "%s: out of memory\n", p->cmd);
		return -1;
	}
	char shorts[32];
	snprintf(shorts, sizeof(shorts), ":h%s", p->shorts ? p->shorts : "");
	optind = 1; /* args[0] is the command: its arguments start at 1 */
	opterr = 0;
	int c, rc = 0;
	while (rc == 0 &&
	       (c = getopt_long(argc + 1, args, shorts, p->longs, NULL)) != -1) {
		if (c == 'h') {
			p->usage(stdout);
			rc = 1;
		} else if (c == '?' || c == ':') {
			cli_option_error(p->cmd, c, args[optind - 1]);
			rc = -1;
		} else {
			rc = p->one(ctx, c, optarg);
		}
	}
	for (int i = optind; rc == 0 && i < argc + 1; i++)
		rc = p->positional(ctx, args[i]);
	free(args);
	return rc;
}

int cli_color_parse(const char *mode, int *out)
{
	if (strcmp(mode, "auto") == 0)
		*out = CLI_COLOR_AUTO;
	else if (strcmp(mode, "always") == 0)
		*out = CLI_COLOR_ALWAYS;
	else if (strcmp(mode, "never") == 0)
		*out = CLI_COLOR_NEVER;
	else
		return -1;
	return 0;
}

bool cli_color_on(int mode, int fd)
{
	if (mode != CLI_COLOR_AUTO)
		return mode == CLI_COLOR_ALWAYS;
	const char *no = getenv("NO_COLOR");
	return isatty(fd) && !(no && *no);
}

const char *cli_shell_quote(const char *s, char *buf, size_t len)
{
	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+,:@%=") ==
			  strlen(s)) {
		snprintf(buf, len, "%s", s);
		return buf;
	}
	size_t o = 0;
	if (o + 1 < len)
		buf[o++] = '\'';
	for (; *s && o + 5 < len; s++) {
		if (*s == '\'') { /* 'it'\''s' */
			memcpy(buf + o, "'\\''", 4);
			o += 4;
		} else {
			buf[o++] = *s;
		}
	}
	if (o + 1 < len)
		buf[o++] = '\'';
	buf[o < len ? o : len - 1] = '\0';
	return buf;
}

int cli_columns(int fd)
{
	const char *env = getenv("COLUMNS");
	long n;
	if (env && util_parse_long(env, 20, 100000, &n) == 0)
		return (int)n;
	struct winsize ws;
	if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 0;
}

void cli_progress_start(cli_progress *p, const char *label)
{
	p->label = label;
	p->tty = isatty(2) == 1;
	p->start = util_now_s();
	p->shown = false;
}

void cli_progress_show(cli_progress *p, size_t done, size_t total)
{
	if (!p->tty || (!p->shown && util_now_s() - p->start < 1.0))
		return;
	const int width = 30;
	int fill = total ? (int)((double)width * (double)done / (double)total)
			 : width;
	fprintf(stderr, "\r%s [", p->label);
	for (int i = 0; i < width; i++)
		fputc(i < fill ? '#' : ' ', stderr);
	fprintf(stderr, "] %zu/%zu", done, total);
	fflush(stderr);
	p->shown = true;
}

void cli_progress_clear(cli_progress *p)
{
	if (!p->shown)
		return;
	fprintf(stderr, "\r\033[K");
	fflush(stderr);
}
