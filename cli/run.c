/* run.c: `cloakroom run FILE`: checks the scenario (nothing starts on bad
 * input), runs each case (the file as written, each variant) on its own
 * daemons (engine: launch.h), checks
 * the expectations and reports (cli/render/). The engine stops every
 * process it started, whatever happens.
 * Exit: 0 all expectations held, 1 one failed, 2 bad input, 3 the run
 * failed (a daemon did not start or died, or a signal). */
#include "cli.h"

#include "explain.h"
#include "html.h"
#include "launch.h"
#include "netns.h"
#include "report.h"
#include "sc_load.h"
#include "spawn.h"
#include "svg.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum out_format {
	OUT_TEXT = 0,
	OUT_OBJECT,     /* --json: one object, a stable interface */
	OUT_JSONL,      /* --format json: one event a line */
	OUT_MERMAID,
	OUT_SVG,        /* --format svg: cli/render/svg.c */
	OUT_HTML,       /* --format html: cli/render/html.c */
} out_format;

typedef struct opts {
	launch_opts c;       /* what every daemon is given */
	char *sets[LAUNCH_MAX_SETS]; /* --set KEY=VALUE, in order (c.sets) */
	const char *variant;
	out_format format;
	bool format_set;
	bool explain;
	bool keep_logs;
	bool netns;          /* --hosts netns */
	int color;           /* --color: CLI_COLOR_* */
	bool wide;           /* --wide: the table as wide as its cells */
} opts;

/* The scenario as written (base) and one loaded run per case. */
typedef struct runs {
	sc_scenario *base;
	run_result *r;
	size_t n;
	size_t done;         /* runs that were started */
} runs;

static void run_usage(FILE *out)
{
	fprintf(out,
		"usage: cloakroom run FILE [--json | --format text|json|mermaid|svg|html]\n"
		"                      [--explain] [--variant NAME] [--keep-logs]\n"
		"                      [--timeout-ms N] [--clock-skew-ms N] "
		"[--insecure]\n"
		"                      [--hosts loopback|netns] [--color "
		"auto|always|never] [--wide]\n"
		"                      [--set KEY=VALUE ...]\n"
		"Runs the scenario FILE with real daemons, every case (the file "
		"as written,\nnamed as-written, then each variant; --variant "
		"NAME: that one),\nand prints, per hop, who called whom, the identity "
		"presented, at which\nlevel, with which status, and the rule ids "
		"that decided; --explain adds\neach hop's inputs and numbered "
		"decisions. --format json: one JSON event\na line; mermaid: a "
		"sequence diagram; svg: the diagram drawn as SVG;\nhtml: one "
		"self-contained page (diagram, hops, explanations, token\n"
		"diffs, expectations); --json: one object. --color auto: on a terminal, unless NO_COLOR is set.\n"
		"--set KEY=VALUE (repeatable): a what-if, applied to every case "
		"after its\nvariant, any `set:` key (B.level=delegate, "
		"level=identify for every\nprocess that calls, "
		"svc-b.allowed_to_delegate_to=svc-c+svc-r, ...),\nchecked "
		"as `set:` is.\n"
		"Exit: 0 expectations held, 1 one failed, 2 bad input, 3 the run "
		"failed.\n");
}

static int set_format(opts *o, out_format f)
{
	if (o->format_set && o->format != f) {
		fprintf(stderr, "cloakroom run: one output format only\n");
		return -1;
	}
	o->format = f;
	o->format_set = true;
	return 0;
}

static int parse_format(opts *o, const char *name)
{
	static const struct {
		const char *name;
		out_format f;
	} formats[] = {{"text", OUT_TEXT}, {"json", OUT_JSONL},
		       {"mermaid", OUT_MERMAID}, {"svg", OUT_SVG},
		       {"html", OUT_HTML}};
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(name, formats[i].name) == 0)
			return set_format(o, formats[i].f);
	fprintf(stderr, "cloakroom run: unknown format '%s' (text, json, "
		"mermaid, svg, html)\n", name);
	return -1;
}

enum { OPT_JSON = 256, OPT_FORMAT, OPT_INSECURE, OPT_HOSTS, OPT_EXPLAIN,
       OPT_KEEP_LOGS, OPT_VARIANT, OPT_TIMEOUT, OPT_SKEW, OPT_COLOR,
       OPT_WIDE, OPT_SET };

static int parse_one(opts *o, int c, const char *arg)
{
	long v;
	switch (c) {
	case OPT_JSON:
		return set_format(o, OUT_OBJECT);
	case OPT_FORMAT:
		return parse_format(o, arg);
	case OPT_INSECURE:
		o->c.insecure = true;
		return 0;
	case OPT_HOSTS:
		if (strcmp(arg, "netns") == 0 || strcmp(arg, "loopback") == 0) {
			o->netns = strcmp(arg, "netns") == 0;
			return 0;
		}
		fprintf(stderr, "cloakroom run: --hosts takes loopback or "
				"netns\n");
		return -1;
	case OPT_EXPLAIN:
		o->explain = true;
		return 0;
	case OPT_KEEP_LOGS:
		o->keep_logs = true;
		return 0;
	case OPT_VARIANT:
		o->variant = arg;
		return 0;
	case OPT_TIMEOUT:
		if (util_parse_long(arg, 1, INT_MAX, &v) != 0) {
			fprintf(stderr, "cloakroom run: --timeout-ms takes a "
					"positive whole number of ms\n");
			return -1;
		}
		o->c.timeout_ms = (int)v;
		return 0;
	case OPT_WIDE:
		o->wide = true;
		return 0;
	case OPT_SET:
		if (o->c.sets_count == LAUNCH_MAX_SETS) {
			fprintf(stderr, "cloakroom run: at most %d --set\n",
				LAUNCH_MAX_SETS);
			return -1;
		}
		if (!strchr(arg, '=')) {
			fprintf(stderr, "cloakroom run: --set '%s' is not "
				"KEY=VALUE\n", arg);
			return -1;
		}
		o->sets[o->c.sets_count++] = (char *)arg;
		return 0;
	case OPT_COLOR:
		if (cli_color_parse(arg, &o->color) == 0)
			return 0;
		fprintf(stderr, "cloakroom run: --color takes auto, always or "
				"never\n");
		return -1;
	case OPT_SKEW:
		if (strlen(arg) > 9 || util_parse_long(arg, 0, INT_MAX, &v)) {
			fprintf(stderr, "cloakroom run: --clock-skew-ms takes a "
					"whole number of ms\n");
			return -1;
		}
		o->c.skew_ms = arg;
		return 0;
	}
	return -1;
}

static int run_one(void *o, int c, const char *value)
{
	return parse_one(o, c, value);
}

static int run_positional(void *ctx, const char *arg)
{
	opts *o = ctx;
	if (o->c.file) {
		fprintf(stderr, "cloakroom run: one FILE only\n");
		return -1;
	}
	o->c.file = arg;
	return 0;
}

/* 0, 1 when help was printed, -1 on bad arguments (said on stderr). */
static int parse_opts(int argc, char **argv, opts *o)
{
	static const struct option longs[] = {
		{"json", no_argument, NULL, OPT_JSON},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"insecure", no_argument, NULL, OPT_INSECURE},
		{"hosts", required_argument, NULL, OPT_HOSTS},
		{"explain", no_argument, NULL, OPT_EXPLAIN},
		{"keep-logs", no_argument, NULL, OPT_KEEP_LOGS},
		{"variant", required_argument, NULL, OPT_VARIANT},
		{"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
		{"clock-skew-ms", required_argument, NULL, OPT_SKEW},
		{"color", required_argument, NULL, OPT_COLOR},
		{"wide", no_argument, NULL, OPT_WIDE},
		{"set", required_argument, NULL, OPT_SET},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	memset(o, 0, sizeof(*o));
	o->c.timeout_ms = 10000;
	o->c.sets = o->sets;
	static const cli_parser parser = {
		.cmd = "cloakroom run",
		.longs = longs,
		.usage = run_usage,
		.one = run_one,
		.positional = run_positional,
	};
	int rc = cli_getopt(&parser, argc, argv, o);
	if (rc == 0 && !o->c.file) {
		run_usage(stderr);
		rc = -1;
	}
	return rc;
}

static void runs_free(runs *R)
{
	for (size_t i = 0; R->r && i < R->n; i++) {
		run_result_free(&R->r[i], true);
	}
	free(R->r);
	sc_load_free(R->base);
}

struct set_report {
	const char *file, *variant;
	unsigned problems;
};

static void set_problem(void *user, const char *path, const char *msg)
{
	struct set_report *r = user;
	if (r->problems++ < 5)
		fprintf(stderr, "%s: with --set%s%s: %s: %s\n", r->file,
			r->variant ? " in case " : "",
			r->variant ? r->variant : "", path, msg);
}

/* --set on one loaded case: each assignment applied as `set:` is (its
 * errors said once, for the first case), then the scenario checked
 * again, as after a variant. 0, or -1 said on stderr. */
static int runs_set(const opts *o, sc_scenario *scn, const char *variant,
		    bool first)
{
	for (size_t k = 0; k < o->c.sets_count; k++) {
		char err[1024];
		if (sc_scenario_set(scn, o->sets[k], err, sizeof(err)) != 0) {
			if (first)
				fprintf(stderr, "cloakroom run: --set %s: %s\n",
					o->sets[k], err);
			return -1;
		}
	}
	struct set_report r = {o->c.file, variant, 0};
	sc_scenario_validate(scn, set_problem, &r);
	return r.problems ? -1 : 0;
}

/* Load the scenario and every case of it (or --variant) before
 * anything starts, and check that its daemons fit in memory. 0, 2 bad
 * input (said on stderr) or 3. */
static int runs_load(const opts *o, runs *R)
{
	char fit_why[200];
	sc_load_limit_daemons(spawn_daemons_fit(1, fit_why, sizeof(fit_why)),
			      fit_why);
	sc_load_errors errs = {0};
	if (sc_load_file(o->c.file, NULL, &R->base, &errs) != 0) {
		sc_load_errors_print(&errs, stderr);
		sc_load_errors_free(&errs);
		return 2;
	}
	/* The cases: the file as written, then each variant (docs/
	 * scenario-format.md, "variants"); or the one --variant names. */
	const sc_scenario *b = R->base;
	R->n = o->variant ? 1 : sc_scenario_cases(b);
	R->r = calloc(R->n, sizeof(*R->r));
	if (!R->r)
		return 3;
	bool bad = false;
	for (size_t i = 0; i < R->n; i++) {
		const char *v =
			o->variant ? o->variant
			: b->variants_count
				? sc_case_name(sc_scenario_case_variant(
					  b, (unsigned)i))
				: NULL;
		R->r[i].variant = v;
		if (sc_load_file(o->c.file, v, &R->r[i].scn, &errs) != 0)
			bad = true;
		else if (o->c.sets_count &&
			 runs_set(o, R->r[i].scn, v, i == 0) != 0)
			bad = true;
		for (unsigned k = 0; v && !bad && k < b->variants_count; k++)
			if (strcmp(b->variants[k].name, v) == 0)
				R->r[i].description =
					b->variants[k].description;
	}
	for (size_t i = 0; !bad && i < R->n; i++)
		if (R->r[i].scn->expect_count == 0)
			fprintf(stderr, "%s: warning: %s%s has no expectations\n",
				o->c.file, R->r[i].variant ? "case " : "",
				R->r[i].variant ? R->r[i].variant
						: "the scenario");
	sc_load_errors_print(&errs, stderr);
	sc_load_errors_free(&errs);
	return bad ? 2 : 0;
}

/* Run every loaded case, one after the other, until a signal. Returns
 * whether every run completed. */
static bool runs_run(const opts *o, runs *R, const char *run_dir)
{
	bool ok = true;
	netns_set ns, *nsp = NULL;
	if (o->netns) {
		char err[256];
		if (netns_setup(&ns, R->base->hosts_count, err, sizeof(err))) {
			fprintf(stderr, "cloakroom run: %s\n", err);
			return false;
		}
		nsp = &ns;
	}
	cli_progress bar;
	cli_progress_start(&bar, "cloakroom run");
	for (size_t i = 0; i < R->n && !spawn_interrupted(); i++) {
		launch_run_variant(&o->c, run_dir, nsp, R->r[i].variant,
				   &R->r[i]);
		R->done++;
		ok = ok && R->r[i].ran;
		cli_progress_show(&bar, R->done, R->n);
	}
	cli_progress_clear(&bar);
	if (nsp)
		netns_teardown(nsp);
	return ok && !spawn_interrupted();
}

static void runs_print(const opts *o, const runs *R)
{
	report_set_width(o->wide ? 0 : cli_columns(1));
	const char *name = R->base->name ? R->base->name : o->c.file;
	if (o->format == OUT_OBJECT)
		report_json(stdout, name, R->r, R->done);
	else if (o->format == OUT_JSONL)
		explain_jsonl(stdout, name, R->r, R->done);
	else if (o->format == OUT_MERMAID)
		explain_mermaid(stdout, name, R->r, R->done);
	else if (o->format == OUT_SVG)
		explain_svg(stdout, name, R->r, R->done);
	else if (o->format == OUT_HTML)
		explain_html(stdout, name, R->r, R->done);
	else if (o->explain)
		explain_text(stdout, name, R->r, R->done,
			     cli_color_on(o->color, 1));
	else
		report_text(stdout, name, R->r, R->done,
			    cli_color_on(o->color, 1));
	fflush(stdout);
}

int cmd_run(int argc, char **argv)
{
	opts o;
	int prc = parse_opts(argc, argv, &o);
	if (prc != 0)
		return prc > 0 ? 0 : 2;
	runs R = {0};
	int bad = runs_load(&o, &R);
	const char *no_netns = o.netns && !bad ? netns_unavailable() : NULL;
	if (no_netns) {
		fprintf(stderr, "cloakroom run: %s\n", no_netns);
		bad = 2;
	}
	char run_dir[PATH_MAX];
	if (!bad && util_mkdtemp(run_dir, sizeof(run_dir), "cloakroom-run")) {
		fprintf(stderr, "cloakroom: cannot create a run directory: %s\n",
			strerror(errno));
		bad = 3;
	}
	if (bad) {
		runs_free(&R);
		return bad;
	}
	spawn_install_signals();
	bool ran = runs_run(&o, &R, run_dir);
	runs_print(&o, &R);
	if (!ran || o.keep_logs)
		fprintf(stderr, "cloakroom: daemon logs kept in %s\n", run_dir);
	else
		util_rm_tree(run_dir);
	bool expect_failed = false;
	for (size_t i = 0; i < R.done; i++)
		expect_failed = expect_failed || R.r[i].failed;
	runs_free(&R);
	return !ran ? 3 : expect_failed ? 1 : 0;
}
