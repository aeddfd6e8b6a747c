/* tokens.c: `cloakroom tokens FILE`: the tokens a run used, as `whoami
 * /all` prints them: each process's primary token and the thread token
 * each callee served its call under, or, with --at STEP, those of the
 * process that ran that step as they stood then. It runs the scenario on
 * its daemons, as `run` does, because the thread tokens are built there
 * (from the authority's ticket when contexts are signed) and reported in
 * the trace; the primary tokens are each process's logon (P3), built by
 * sc_runtime_new from the same case, as each daemon builds its own.
 * Rendering: cli/render/whoami.c. Exit: 0, 1 the step did not run, 2 bad
 * input (nothing started), 3 the run failed. */
#include "cli.h"

#include "launch.h"
#include "sc_exec.h"
#include "sc_load.h"
#include "sc_suggest.h"
#include "spawn.h"
#include "util.h"
#include "whoami.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef struct topts {
	const char *file;
	const char *variant;
	const char *at;
	bool json;
	bool wide; /* --wide: tables whatever the width */
	int timeout_ms;
} topts;

static void tokens_usage(FILE *out)
{
	fprintf(out,
		"usage: cloakroom tokens FILE [--variant NAME] [--at STEP]\n"
		"                         [--format text|json] [--timeout-ms N] [--wide]\n"
		"Runs the scenario FILE on its daemons (the file as written, or "
		"the case\n--variant names) and prints the tokens it used as "
		"`whoami /all` does:\neach process's primary token, then the "
		"thread token each callee served\nits call under: user and SID, "
		"groups and their attributes, privileges\nand their state, token "
		"type, impersonation level, logon type,\nsession and integrity level. "
		"--at STEP: only the process that ran the step\nwith that id, its "
		"primary token and its thread token at that step.\n--format "
		"json: the same as JSON. A table wider than the terminal\n"
		"($COLUMNS) is a list, a line per field (--wide: the table).\n"
		"Exit: 0, 1 the step did not run, 2 bad input, 3 the run "
		"failed.\n");
}

enum { OPT_VARIANT = 256, OPT_AT, OPT_FORMAT, OPT_TIMEOUT, OPT_WIDE };

static int tokens_one(void *ctx, int c, const char *arg)
{
	topts *o = ctx;
	long v;
	switch (c) {
	case OPT_VARIANT:
		o->variant = arg;
		return 0;
	case OPT_AT:
		o->at = arg;
		return 0;
	case OPT_WIDE:
		o->wide = true;
		return 0;
	case OPT_FORMAT:
		if (strcmp(arg, "text") == 0 || strcmp(arg, "json") == 0) {
			o->json = strcmp(arg, "json") == 0;
			return 0;
		}
		fprintf(stderr, "cloakroom tokens: unknown format '%s' (text, "
				"json)\n", arg);
		return -1;
	case OPT_TIMEOUT:
		if (util_parse_long(arg, 1, INT_MAX, &v) != 0) {
			fprintf(stderr, "cloakroom tokens: --timeout-ms takes "
					"a positive whole number of ms\n");
			return -1;
		}
		o->timeout_ms = (int)v;
		return 0;
	}
	return -1;
}

static int tokens_positional(void *ctx, const char *arg)
{
	topts *o = ctx;
	if (o->file) {
		fprintf(stderr, "cloakroom tokens: one FILE only\n");
		return -1;
	}
	o->file = arg;
	return 0;
}

/* 0 when some process of scn has a step with id at; else says so, with
 * the nearest id, and returns -1. */
static int check_step(const char *file, const sc_scenario *scn,
		      const char *at)
{
	size_t n = 0;
	for (unsigned i = 0; i < scn->processes_count; i++)
		n += scn->processes[i].steps_count;
	const char **ids = calloc(n ? n : 1, sizeof(*ids));
	if (!ids)
		return -1;
	size_t k = 0;
	for (unsigned i = 0; i < scn->processes_count; i++)
		for (unsigned j = 0; j < scn->processes[i].steps_count; j++) {
			const char *id = scn->processes[i].steps[j].id;
			if (id && strcmp(id, at) == 0) {
				free(ids);
				return 0;
			}
			ids[k++] = id;
		}
	const char *near = sc_suggest_nearest(at, ids, k);
	fprintf(stderr, "%s: --at %s: no step has that id", file, at);
	if (near)
		fprintf(stderr, " (did you mean '%s'?)", near);
	fputc('\n', stderr);
	free(ids);
	return -1;
}

/* Each process's primary token, as its daemon logs it on (P3). */
static sc_runtime **primaries_new(const sc_scenario *scn)
{
	sc_runtime **rts = calloc(scn->processes_count + 1, sizeof(*rts));
	for (unsigned i = 0; rts && i < scn->processes_count; i++) {
		sc_log log;
		sc_log_init(&log);
		if (sc_runtime_new(scn, scn->processes[i].name, &rts[i],
				   &log) != SC_OK)
			rts[i] = NULL;
		sc_log_free(&log);
	}
	return rts;
}

static int show(const topts *o, const run_result *r)
{
	const sc_scenario *scn = r->scn;
	sc_runtime **rts = primaries_new(scn);
	const sc_token **prim =
		calloc(scn->processes_count + 1, sizeof(*prim));
	if (!rts || !prim) {
		free(rts);
		free(prim);
		return 3;
	}
	for (unsigned i = 0; i < scn->processes_count; i++)
		prim[i] = rts[i] ? sc_runtime_token(rts[i]) : NULL;
	whoami_entry *e = NULL;
	long n = whoami_collect(scn, prim, &r->trace, o->at, &e);
	int rc = 0;
	if (n < 0) {
		rc = 3;
	} else if (n == 0 && o->at) {
		fprintf(stderr, "%s: step %s did not run in this case\n",
			o->file, o->at);
		rc = 1;
	} else if (o->json) {
		json_t *doc = json_pack(
			"{s:s, s:o, s:o, s:o}", "scenario",
			scn->name ? scn->name : o->file, "variant",
			o->variant ? json_string(o->variant) : json_null(),
			"at", o->at ? json_string(o->at) : json_null(),
			"tokens", whoami_json(e, (size_t)n));
		if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2)) != 0)
			rc = 3;
		fputc('\n', stdout);
		json_decref(doc);
	} else {
		whoami_text(stdout, e, (size_t)n,
			    o->wide ? 0 : cli_columns(1));
	}
	free(e);
	free(prim);
	for (unsigned i = 0; i < scn->processes_count; i++)
		sc_runtime_free(rts[i]);
	free(rts);
	return rc;
}

int cmd_tokens(int argc, char **argv)
{
	static const struct option longs[] = {
		{"variant", required_argument, NULL, OPT_VARIANT},
		{"at", required_argument, NULL, OPT_AT},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
		{"wide", no_argument, NULL, OPT_WIDE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	static const cli_parser parser = {
		.cmd = "cloakroom tokens",
		.longs = longs,
		.usage = tokens_usage,
		.one = tokens_one,
		.positional = tokens_positional,
	};
	topts o = {.timeout_ms = 10000};
	int prc = cli_getopt(&parser, argc, argv, &o);
	if (prc > 0)
		return 0;
	if (prc == 0 && !o.file) {
		tokens_usage(stderr);
		prc = -1;
	}
	if (prc < 0)
		return 2;
	run_result r = {.variant = o.variant};
	sc_load_errors errs = {0};
	if (sc_load_file(o.file, o.variant, &r.scn, &errs) != 0) {
		sc_load_errors_print(&errs, stderr);
		sc_load_errors_free(&errs);
		return 2;
	}
	sc_load_errors_free(&errs);
	if (o.at && check_step(o.file, r.scn, o.at) != 0) {
		sc_load_free(r.scn);
		return 2;
	}
	char run_dir[PATH_MAX];
	if (util_mkdtemp(run_dir, sizeof(run_dir), "cloakroom-tokens")) {
		fprintf(stderr, "cloakroom: cannot create a run directory: %s\n",
			strerror(errno));
		sc_load_free(r.scn);
		return 3;
	}
	spawn_install_signals();
	int rc;
	launch_opts lo = {.file = o.file, .timeout_ms = o.timeout_ms};
	if (launch_run_case(&lo, o.variant, run_dir, &r) != 0) {
		fprintf(stderr, "cloakroom tokens: the run failed: %s\n"
				"cloakroom: daemon logs kept in %s\n",
			r.error, run_dir);
		rc = 3;
	} else {
		rc = show(&o, &r);
		util_rm_tree(run_dir);
	}
	run_result_free(&r, true);
	return rc;
}
