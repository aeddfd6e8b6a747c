/* paths.c: `cloakroom paths FILE --to SERVICE`: every delegation path
 * to a service in a domain (paths.h), each written as a scenario file and
 * confirmed by running it on the daemons. Launcher code: never
 * initialises gRPC. */
#include "cli.h"
#include "paths.h"

#include "sc_load.h"
#include "svg.h"
#include "spawn.h"
#include "launch.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cloakroom paths FILE --to SERVICE [--as USER] "
		"[--from ACCOUNT_OR_HOST]\n"
		"                       [--out DIR] [--format table|json|svg] "
		"[--confirm each|class | --no-confirm]\n"
		"                       [--package kerberos|ntlm] [-j N] "
		"[--timeout-ms N]\n"
		"  Every way a client's identity reaches SERVICE (an account "
		"of FILE's domain)\n"
		"  through one middle tier, with the rules that allow or stop "
		"it; each path is\n"
		"  written as a scenario (under --out, kept) and confirmed on "
		"the daemons:\n"
		"  each one (default), or one per class of paths whose "
		"settings differ only\n"
		"  in account names (--confirm class); --package: how the "
		"delegation paths'\n"
		"  client signs in; -j N: N sets of "
		"daemons at once\n"
		"  (default 2).\n");
}

/* "03-constrained-svc-web-alice.yaml", names reduced to [A-Za-z0-9._-]. */
static void case_file(char *out, size_t len, const char *dir, size_t i,
		      const paths_found *f)
{
	char name[400];
	snprintf(name, sizeof(name), "%02zu-%s-%.120s-%.120s", i + 1,
		 paths_kind_name(f->kind), f->middle, f->client);
	for (char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			*p = '_';
	snprintf(out, len, "%.3000s/%s.yaml", dir, name);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	bool ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* -j: at most this many sets of daemons at once. */
#define PATHS_MAX_JOBS 16

typedef struct confirm {
	size_t as;          /* 0: run itself; k: shares path k's run (1-based) */
	bool ran;           /* the daemons ran the case */
	bool agrees;        /* and gave the model's answer at the target */
	char saw[600];      /* what they gave, or why they did not run */
} confirm;

/* Run path on the pool; the hop B->C as the daemons saw it against f. */
static void confirm_case(launch_pool *pool, const char *path,
			 const paths_found *f, confirm *c)
{
	memset(c, 0, sizeof(*c));
	run_result r;
	memset(&r, 0, sizeof(r));
	sc_load_errors errs = {0};
	if (sc_load_file(path, NULL, &r.scn, &errs) != 0) {
		snprintf(c->saw, sizeof(c->saw), "does not load");
		sc_load_errors_free(&errs);
		return;
	}
	sc_load_errors_free(&errs);
	if (launch_pool_run(pool, path, NULL, NULL, 0, &r) != 0) {
		snprintf(c->saw, sizeof(c->saw), "%s", r.error);
	} else {
		c->ran = true;
		snprintf(c->saw, sizeof(c->saw), "no hop B->C nor A->B");
		const sc_hop *h = paths_deciding_hop(&r.trace);
		if (h) {
			c->agrees = h->status == f->status &&
				    strcmp(h->presented, f->presented) == 0;
			snprintf(c->saw, sizeof(c->saw), "%s as %s",
				 sc_status_name(h->status),
				 h->presented[0] ? h->presented : "-");
		}
	}
	run_result_free(&r, true);
}

/* Two paths whose cases differ only in account names: same kind, same
 * client and middle-tier settings, same answer from the model. */
static bool same_settings(const sc_scenario *s, const paths_found *a,
			  const paths_found *b)
{
	if (a->kind != b->kind || a->client_sensitive != b->client_sensitive ||
	    a->status != b->status || a->reached != b->reached ||
	    strcmp(a->rules, b->rules) != 0 || strcmp(a->target, b->target) ||
	    strcmp(a->target_spn, b->target_spn))
		return false;
	const sc_account_def *ma = sc_scenario_account(s, a->middle);
	const sc_account_def *mb = sc_scenario_account(s, b->middle);
	const sc_account_def *ua = sc_scenario_account(s, a->client);
	const sc_account_def *ub = sc_scenario_account(s, b->client);
	/* Groups may decide (Protected Users, a group in an ACE): only
	 * accounts without any are taken as alike. */
	return ma && mb && ua && ub && ua->groups_count == 0 &&
	       ub->groups_count == 0 &&
	       ma->trusted_for_delegation == mb->trusted_for_delegation &&
	       ma->trusted_to_auth_for_delegation ==
		       mb->trusted_to_auth_for_delegation &&
	       ma->sensitive == mb->sensitive &&
	       ma->groups_count == 0 && mb->groups_count == 0;
}

static const char *who(const paths_found *f, char *buf, size_t len)
{
	if (f->client_host[0])
		snprintf(buf, len, "%s on %s", f->client, f->client_host);
	else if (f->clients > 1)
		snprintf(buf, len, "%s (and %zu more%s)", f->client,
			 f->clients - 1, f->client_sensitive ? ", sensitive"
							     : "");
	else
		snprintf(buf, len, "%s%s", f->client,
			 f->client_sensitive ? " (sensitive)" : "");
	return buf;
}

static void print_table(const paths_result *r, const confirm *c,
			char (*files)[4096], bool confirmed)
{
	printf("%-3s %-20s %-28s %-16s %-16s %-23s %-22s %s\n", "#", "kind",
	       "client", "middle tier", "target", "status", "rules",
	       confirmed ? "confirmed" : "confirmed (not asked)");
	for (size_t i = 0; i < r->count; i++) {
		const paths_found *f = &r->items[i];
		char cl[200];
		printf("%-3zu %-20s %-28s %-16s %-16s %-23s %-22s %s\n", i + 1,
		       paths_kind_name(f->kind), who(f, cl, sizeof(cl)),
		       f->middle, f->target, sc_status_name(f->status),
		       f->rules[0] ? f->rules : "-",
		       !confirmed     ? "-"
		       : c[i].as     ? "as above"
		       : c[i].agrees ? "yes"
				     : "NO");
		if (f->target_spn[0])
			printf("    service %s (%s's SPN, as %s lists it)\n",
			       f->target_spn, f->target, f->middle);
		printf("    %s %s\n", f->reached ? "reaches it as" : "stopped:",
		       f->reached ? f->presented : f->why);
		if (confirmed && c[i].as)
			printf("    confirmed by the run of #%zu (the same "
			       "settings; --confirm each runs it)\n",
			       c[i].as);
		else if (confirmed && !c[i].agrees)
			printf("    daemons: %s\n", c[i].saw);
		if (files[i][0])
			printf("    %s\n", files[i]);
	}
}

static int print_json(const paths_result *r, const confirm *c,
		      char (*files)[4096], bool confirmed)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < r->count; i++) {
		const paths_found *f = &r->items[i];
		json_t *o = json_pack(
			"{s:s, s:s, s:s, s:I, s:b, s:s, s:s, s:s, s:s, s:s, "
			"s:b, s:s, s:s}",
			"kind", paths_kind_name(f->kind), "kind_rule",
			paths_kind_rule(f->kind), "client", f->client,
			"clients", (json_int_t)f->clients, "client_sensitive",
			f->client_sensitive, "middle", f->middle, "target",
			f->target, "status", sc_status_name(f->status),
			"presented", f->presented, "rules", f->rules,
			"reached", f->reached, "why", f->why, "scenario",
			files[i]);
		if (o && f->target_spn[0])
			json_object_set_new(o, "target_spn",
					    json_string(f->target_spn));
		if (o && f->client_host[0])
			json_object_set_new(o, "client_host",
					    json_string(f->client_host));
		if (o && f->blocked_by[0])
			json_object_set_new(o, "blocked_by",
					    json_string(f->blocked_by));
		if (o)
			json_object_set_new(
				o, "package",
				json_string(sc_package_name(f->package)));
		if (o && confirmed && c[i].as)
			json_object_set_new(o, "confirmed_by",
					    json_integer((json_int_t)c[i].as));
		if (o && confirmed) {
			json_object_set_new(o, "confirmed",
					    json_boolean(c[i].agrees));
			json_object_set_new(o, "daemons",
					    json_string(c[i].saw));
		}
		if (!o || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return -1;
		}
	}
	int rc = arr ? json_dumpf(arr, stdout, JSON_INDENT(2)) : -1;
	putchar('\n');
	json_decref(arr);
	return rc;
}

/* The level the client's hop grants, as the case runs it (paths.md). */
static const char *entry_of(paths_kind k)
{
	switch (k) {
	case PATHS_UNCONSTRAINED: return "Delegate, Kerberos (D1)";
	case PATHS_TRANSITION: return "Identify: a form logon, no ticket";
	case PATHS_SAME_HOST: return "Impersonate, on B's host (L4)";
	case PATHS_PRIVILEGED: return "connects on B's host (P3)";
	default: return "Impersonate, Kerberos";
	}
}

/* --format svg: the graph (render/paths_svg.c). */
static int print_svg(const char *file, const paths_result *r,
		     const confirm *c, bool confirmed)
{
	svg_path *p = calloc(r->count ? r->count : 1, sizeof(*p));
	char(*cl)[200] = calloc(r->count ? r->count : 1, sizeof(*cl));
	int rc = -1;
	if (p && cl) {
		for (size_t i = 0; i < r->count; i++) {
			const paths_found *f = &r->items[i];
			p[i] = (svg_path){
				.kind = paths_kind_name(f->kind),
				.kind_rule = paths_kind_rule(f->kind),
				.entry = entry_of(f->kind),
				.client = who(f, cl[i], sizeof(cl[i])),
				.middle = f->middle,
				.target = f->target,
				.target_spn = f->target_spn,
				.status = sc_status_name(f->status),
				.presented = f->presented,
				.rules = f->rules,
				.why = f->why,
				.reached = f->reached,
				.confirmed = !confirmed ? -1
					     : c[i].agrees ? 1
							   : 0,
			};
		}
		rc = paths_svg(stdout, file, p, r->count);
	}
	free(p);
	free(cl);
	return rc;
}

/* The command line. */
typedef struct popts {
	paths_query q;
	const char *file, *out, *format;
	bool confirm_on, each;
	long timeout_ms;
	int jobs;           /* -j: sets of daemons at once */
} popts;

/* 0, 1 when help was printed, -1 on bad arguments (said on stderr). */
static int parse_opts(int argc, char **argv, popts *o)
{
	static const struct option opts[] = {
		{"to", required_argument, NULL, 't'},
		{"as", required_argument, NULL, 'a'},
		{"from", required_argument, NULL, 'f'},
		{"out", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, 'F'},
		{"no-confirm", no_argument, NULL, 'n'},
		{"confirm", required_argument, NULL, 'c'},
		{"timeout-ms", required_argument, NULL, 'T'},
		{"jobs", required_argument, NULL, 'j'},
		{"package", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	*o = (popts){.format = "table", .confirm_on = true, .each = true,
		     .timeout_ms = 20000, .jobs = 2};
	optind = 0; /* argv[0] is the file: permute from the start */
	opterr = 0;
	int c;
	while ((c = getopt_long(argc + 1, argv - 1, ":j:", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 't': o->q.target = optarg; break;
		case 'a': o->q.as = optarg; break;
		case 'f': o->q.from = optarg; break;
		case 'o': o->out = optarg; break;
		case 'F': o->format = optarg; break;
		case 'n': o->confirm_on = false; break;
		case 'c':
			if (strcmp(optarg, "each") && strcmp(optarg, "class")) {
				fprintf(stderr, "cloakroom paths: --confirm "
						"takes each or class\n");
				return -1;
			}
			o->each = strcmp(optarg, "each") == 0;
			break;
		case 'T':
			if (util_parse_long(optarg, 100, 3600000,
					    &o->timeout_ms) != 0) {
				fprintf(stderr, "cloakroom paths: --timeout-ms "
						"takes 100 to 3600000\n");
				return -1;
			}
			break;
		case 'j': {
			long n;
			if (util_parse_long(optarg, 1, PATHS_MAX_JOBS, &n) != 0) {
				fprintf(stderr, "cloakroom paths: -j takes a "
						"number of sets, 1 to %d (not "
						"'%s')\n",
					PATHS_MAX_JOBS, optarg);
				return -1;
			}
			o->jobs = (int)n;
			break;
		}
		case 'p': {
			int v;
			if (sc_enum_parse(&sc_package_table, optarg, &v) != 0) {
				fprintf(stderr, "cloakroom paths: --package "
						"takes kerberos, ntlm, schannel "
						"or default (not '%s')\n",
					optarg);
				return -1;
			}
			o->q.package = (sc_package)v;
			break;
		}
		case 'h': usage(stdout); return 1;
		default:
			cli_option_error("cloakroom paths", c,
					 argv[optind - 2]);
			return -1;
		}
	}
	o->file = optind < argc + 1 ? argv[optind - 1] : NULL;
	if (!o->file || optind + 1 < argc + 1 || !o->q.target ||
	    (strcmp(o->format, "table") && strcmp(o->format, "json") &&
	     strcmp(o->format, "svg"))) {
		if (!o->q.target && o->file)
			fprintf(stderr, "cloakroom paths: --to SERVICE is "
					"required\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Where the cases' files go: --out DIR (kept), or a fresh temporary
 * directory (removed at the end). 0, 2 or 3 said on stderr. */
static int case_dir(const popts *o, char *dir, size_t len)
{
	if (o->out) {
		snprintf(dir, len, "%s", o->out);
		if (mkdir(dir, 0755) == 0 || errno == EEXIST)
			return 0;
		fprintf(stderr, "cloakroom paths: cannot create %s: %s\n", dir,
			strerror(errno));
		return 2;
	}
	if (util_mkdtemp(dir, len, "cloakroom-paths") == 0)
		return 0;
	fprintf(stderr, "cloakroom paths: cannot create a directory: %s\n",
		strerror(errno));
	return 3;
}

/* The confirmation runs, shared by -j workers: each takes the next path
 * to run and runs it on a pool of its own (its own set of daemons). */
typedef struct confirming {
	const paths_result *r;
	char (*files)[4096];
	confirm *c;
	const char *run_dir;
	long timeout_ms;
	size_t next;        /* the next path to take */
	bool unclean;       /* a pool could not start or stop cleanly */
	pthread_mutex_t lock;
} confirming;

typedef struct confirm_worker {
	confirming *cf;
	unsigned id;
	pthread_t thread;
	bool started;
} confirm_worker;

static void *confirm_worker_main(void *arg)
{
	confirm_worker *w = arg;
	confirming *cf = w->cf;
	char dir[4096 + 16];
	snprintf(dir, sizeof(dir), "%.4000s/w%u", cf->run_dir, w->id);
	launch_pool *pool = mkdir(dir, 0700) == 0
				    ? launch_pool_new(dir, (int)cf->timeout_ms)
				    : NULL;
	for (;;) {
		pthread_mutex_lock(&cf->lock);
		size_t i = cf->next;
		while (i < cf->r->count && cf->c[i].as)
			i++;
		cf->next = i + 1;
		pthread_mutex_unlock(&cf->lock);
		if (!pool || i >= cf->r->count || spawn_interrupted())
			break;
		confirm_case(pool, cf->files[i], &cf->r->items[i], &cf->c[i]);
	}
	bool unclean = !pool || launch_pool_free(pool) != 0;
	pthread_mutex_lock(&cf->lock);
	cf->unclean = cf->unclean || unclean;
	pthread_mutex_unlock(&cf->lock);
	return NULL;
}

/* Run every path's case on warm daemons (with --confirm class, one case
 * per class of paths that share their settings), -j sets at once: each
 * case holds accounts of its own, so each needs a set of its own, and a
 * set spends most of its time starting and stopping daemons, which
 * overlap. 0, or 3 when the daemons could not run them (run_dir then
 * names their logs). */
static int confirm_all(const popts *o, const sc_scenario *s,
		       const paths_result *r, char (*files)[4096], confirm *c,
		       char *run_dir)
{
	if (util_mkdtemp(run_dir, 4096, "cloakroom-paths-run") != 0) {
		run_dir[0] = '\0';
		return 3;
	}
	for (size_t i = 0; !o->each && i < r->count; i++)
		for (size_t k = 0; k < i; k++)
			if (!c[k].as &&
			    same_settings(s, &r->items[k], &r->items[i])) {
				c[i].as = k + 1;
				break;
			}
	spawn_install_signals();
	confirming cf = {.r = r, .files = files, .c = c, .run_dir = run_dir,
			 .timeout_ms = o->timeout_ms};
	pthread_mutex_init(&cf.lock, NULL);
	confirm_worker ws[PATHS_MAX_JOBS];
	memset(ws, 0, sizeof(ws));
	for (int j = 0; j < o->jobs; j++) {
		ws[j] = (confirm_worker){&cf, (unsigned)j, 0, false};
		ws[j].started = pthread_create(&ws[j].thread, NULL,
					       confirm_worker_main,
					       &ws[j]) == 0;
		cf.unclean = cf.unclean || !ws[j].started;
	}
	for (int j = 0; j < o->jobs; j++)
		if (ws[j].started)
			pthread_join(ws[j].thread, NULL);
	pthread_mutex_destroy(&cf.lock);
	/* A path of a class takes the run of the class's first. */
	for (size_t i = 0; i < r->count; i++)
		if (c[i].as) {
			size_t as = c[i].as;
			c[i] = c[as - 1];
			c[i].as = as;
		}
	return cf.unclean ? 3 : 0;
}

/* The summary line on stderr, and the exit code it means: 3 a path did
 * not run, 1 the daemons disagreed with the search on one, else rc. */
static int summarize(const popts *o, const paths_result *r,
		     const confirm *c, double found_s, double confirm_s, int rc)
{
	size_t agree = 0, ran = 0, runs = 0;
	for (size_t i = 0; i < r->count; i++) {
		agree += c[i].agrees;
		ran += c[i].ran;
		runs += c[i].ran && !c[i].as;
	}
	fprintf(stderr,
		"paths: %zu path%s through %zu middle tier%s, found in %.3f s"
		"; ",
		r->count, r->count == 1 ? "" : "s", r->candidates,
		r->candidates == 1 ? "" : "s", found_s);
	if (o->confirm_on)
		fprintf(stderr, "%zu of %zu confirmed on the daemons in %.3f s "
				"(%zu runs, -j %d)",
			agree, r->count, confirm_s, runs, o->jobs);
	else
		fprintf(stderr, "not run on the daemons (--no-confirm)");
	if (o->q.package)
		fprintf(stderr, "; the delegation paths' client signing in "
				"with %s",
			sc_package_name(o->q.package));
	fputc('\n', stderr);
	if (rc == 0 && o->confirm_on && ran < r->count)
		return 3;
	if (rc == 0 && o->confirm_on && agree < r->count)
		return 1;
	return rc;
}

int cmd_paths(int argc, char **argv)
{
	popts o;
	int rc = parse_opts(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	sc_scenario *s = NULL;
	sc_load_errors errs = {0};
	if (sc_load_file(o.file, NULL, &s, &errs) != 0) {
		sc_load_errors_print(&errs, stderr);
		sc_load_errors_free(&errs);
		return 2;
	}
	sc_load_errors_free(&errs);
	double t0 = util_now_s();
	paths_result r;
	char err[256];
	if (paths_find(s, &o.q, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "cloakroom paths: %s\n", err);
		sc_load_free(s);
		return 2;
	}
	double found_s = util_now_s() - t0;
	char dir[4096], run_dir[4096] = "";
	if ((rc = case_dir(&o, dir, sizeof(dir))) != 0) {
		paths_result_free(&r);
		sc_load_free(s);
		return rc;
	}
	char (*files)[4096] = calloc(r.count ? r.count : 1, sizeof(*files));
	confirm *c = calloc(r.count ? r.count : 1, sizeof(*c));
	rc = files && c ? 0 : 3;
	for (size_t i = 0; rc == 0 && i < r.count; i++) {
		case_file(files[i], sizeof(files[i]), dir, i, &r.items[i]);
		if (write_file(files[i], r.items[i].yaml) != 0) {
			fprintf(stderr, "cloakroom paths: cannot write %s\n",
				files[i]);
			rc = 3;
		}
	}
	if (rc == 0) {
		double t1 = util_now_s();
		if (o.confirm_on && r.count)
			rc = confirm_all(&o, s, &r, files, c, run_dir);
		double confirm_s = util_now_s() - t1;
		if (!o.out) /* written only to be run: --out keeps them */
			for (size_t i = 0; i < r.count; i++)
				files[i][0] = '\0';
		if (strcmp(o.format, "json") == 0) {
			if (print_json(&r, c, files, o.confirm_on) != 0)
				rc = 3;
		} else if (strcmp(o.format, "svg") == 0) {
			if (print_svg(o.file, &r, c, o.confirm_on) != 0)
				rc = 3;
		} else {
			print_table(&r, c, files, o.confirm_on);
		}
		rc = summarize(&o, &r, c, found_s, confirm_s, rc);
	}
	if (rc != 0 && run_dir[0])
		fprintf(stderr, "cloakroom paths: daemon logs kept in %s\n",
			run_dir);
	else if (run_dir[0])
		util_rm_tree(run_dir);
	if (!o.out)
		util_rm_tree(dir);
	free(files);
	free(c);
	paths_result_free(&r);
	sc_load_free(s);
	return rc;
}
