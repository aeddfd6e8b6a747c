/* check.c: `cloakroom check PATH...` runs every scenario file under the
 * paths, every case of each (as written, each variant), on warm daemons (launch.h): the cases are
 * grouped by cast, so that one set of daemons serves every file and
 * variant of the same cast, and -j sets run at once; it prints one line
 * per scenario, in file order, and a closing `N passed, N failed` line;
 * and `cloakroom new NAME` writes a starter scenario. Never initialises
 * gRPC (its threads only fork and exec daemons and read pipes). */
#include "cli.h"

#include "sc_load.h"
#include "spawn.h"
#include "launch.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES 4096
#define MAX_JOBS 16

static char **files;
static size_t files_count;

static int collect(const char *path, const struct stat *sb, int flag,
		   struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	size_t l = strlen(path);
	if (flag == FTW_F && files_count < MAX_FILES &&
	    ((l > 5 && strcmp(path + l - 5, ".yaml") == 0) ||
	     (l > 4 && strcmp(path + l - 4, ".yml") == 0))) {
		char *d = strdup(path);
		if (d)
			files[files_count++] = d;
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One run: a file with one of its variants (or none). */
typedef struct ccase {
	size_t file;          /* index in files */
	const char *variant;  /* NULL: the scenario has none */
	sc_scenario *scn;     /* loaded before anything starts */
	char *cast;           /* its cast: runs are grouped by it */
	bool done;
	int status;           /* as `run`: 0 passed, 1 failed, 3 did not run */
	char why[800];        /* the first failing expectation, or error */
} ccase;

/* One file: its cases, and its result once they are all done. */
typedef struct cfile {
	size_t first, count;  /* its cases */
	int status;           /* 2: did not load (why holds the error) */
	char why[1024];
	sc_scenario *base;
} cfile;

/* What the command line asks for (the files go to `files`). */
typedef struct copts {
	int jobs;
	bool as_json, stats;
	bool insecure;       /* --insecure: no mutual TLS between daemons */
	const char *variant; /* --variant: only this variant of each file */
	int timeout_ms;      /* --timeout-ms: a call's default deadline */
} copts;

typedef struct check_run {
	const copts *o;
	ccase *cases;
	size_t ncases;
	size_t *order;        /* case indices, grouped by cast */
	size_t next;          /* next in order to take */
	unsigned sets;        /* daemon sets started, all workers */
	bool unclean;         /* a set did not stop cleanly */
	char run_dir[PATH_MAX];
	pthread_mutex_t lock;
	pthread_cond_t changed;
} check_run;

typedef struct worker {
	check_run *cr;
	unsigned id;
	pthread_t thread;
	bool started;
} worker;

static int by_cast(const void *a, const void *b, void *user)
{
	const ccase *cases = user;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(cases[i].cast, cases[j].cast);
	return c ? c : i < j ? -1 : i > j;
}

/* Run one case on the worker's pool; fill its result. */
static void case_run(launch_pool *pool, const char *file, ccase *c)
{
	run_result r;
	memset(&r, 0, sizeof(r));
	r.scn = c->scn;
	r.variant = c->variant;
	if (launch_pool_run(pool, file, c->variant, NULL, 0, &r) != 0) {
		c->status = 3;
		sc_escape(r.error[0] ? r.error : "the run failed", c->why,
			  sizeof(c->why));
	} else if (r.failed) {
		c->status = 1;
		for (unsigned i = 0; r.expects && i < r.expect_count; i++)
			if (!r.expects[i].pass) {
				/* As `run` says it: the expectation, then what
				 * the run gave instead. */
				snprintf(c->why, sizeof(c->why), "%s (saw: %s)",
					 r.expects[i].text, r.expects[i].why);
				break;
			}
	} else {
		c->status = 0;
	}
	run_result_free(&r, false);
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	check_run *cr = w->cr;
	char dir[PATH_MAX + 16];
	snprintf(dir, sizeof(dir), "%s/w%u", cr->run_dir, w->id);
	launch_pool *pool = mkdir(dir, 0700) == 0
				    ? launch_pool_new(dir, cr->o->timeout_ms)
				    : NULL;
	if (pool)
		launch_pool_set_insecure(pool, cr->o->insecure);
	for (;;) {
		/* The next cast's runs, all of them: one set serves them. */
		pthread_mutex_lock(&cr->lock);
		size_t from = cr->next, to = from;
		while (to < cr->ncases &&
		       strcmp(cr->cases[cr->order[to]].cast,
			      cr->cases[cr->order[from]].cast) == 0)
			to++;
		cr->next = to;
		pthread_mutex_unlock(&cr->lock);
		if (from == to)
			break;
		for (size_t o = from; o < to; o++) {
			ccase *c = &cr->cases[cr->order[o]];
			if (!pool || spawn_interrupted()) {
				c->status = 3;
				snprintf(c->why, sizeof(c->why), "%s",
					 pool ? "interrupted"
					      : "cannot start");
			} else {
				case_run(pool, files[c->file], c);
			}
			pthread_mutex_lock(&cr->lock);
			c->done = true;
			pthread_cond_broadcast(&cr->changed);
			pthread_mutex_unlock(&cr->lock);
		}
	}
	unsigned sets = pool ? launch_pool_sets_started(pool) : 0;
	bool unclean = launch_pool_free(pool) != 0;
	pthread_mutex_lock(&cr->lock);
	cr->sets += sets;
	cr->unclean = cr->unclean || unclean;
	pthread_mutex_unlock(&cr->lock);
	return NULL;
}

/* Load every file and each of its variants (nothing starts on bad
 * input: a file that does not load is a failure of its own). */
static int load_all(cfile *fs, check_run *cr)
{
	size_t cap = files_count * 2 + 8;
	cr->cases = calloc(cap, sizeof(*cr->cases));
	if (!cr->cases)
		return -1;
	sc_load_cache *cache = sc_load_cache_new();
	for (size_t f = 0; f < files_count; f++) {
		cfile *cf = &fs[f];
		cf->first = cr->ncases;
		sc_load_errors errs = {0};
		char err[512];
		if (sc_load_case(cache, &(sc_case_ref){files[f], NULL, NULL, 0},
				 &cf->base, &errs, err, sizeof(err)) != 0) {
			char line[900] = "out of memory";
			if (errs.count)
				sc_load_error_format(&errs.items[0], line,
						     sizeof(line));
			snprintf(cf->why, sizeof(cf->why), "%s (exit 2)", line);
			cf->status = 2;
			sc_load_errors_free(&errs);
			continue;
		}
		/* The file as written, then each variant; or --variant. */
		size_t nv = cr->o->variant ? 1 : sc_scenario_cases(cf->base);
		if (cr->ncases + nv > cap) {
			cap = (cr->ncases + nv) * 2;
			ccase *n = realloc(cr->cases, cap * sizeof(*n));
			if (!n)
				break;
			cr->cases = n;
		}
		for (size_t v = 0; v < nv; v++) {
			ccase *c = &cr->cases[cr->ncases];
			memset(c, 0, sizeof(*c));
			c->file = f;
			c->variant = cr->o->variant ? cr->o->variant
				   : cf->base->variants_count
					   ? sc_case_name(sc_scenario_case_variant(
						     cf->base, (unsigned)v))
					   : NULL;
			const sc_case_ref which = {files[f], c->variant,
						   NULL, 0};
			if (sc_load_case(cache, &which, &c->scn, &errs, err,
					 sizeof(err)) != 0) {
				char line[900] = "out of memory";
				if (errs.count)
					sc_load_error_format(&errs.items[0],
							     line,
							     sizeof(line));
				snprintf(cf->why, sizeof(cf->why),
					 "%s (exit 2)", line);
				cf->status = 2;
				sc_load_errors_free(&errs);
				break;
			}
			c->cast = launch_cast_key(c->scn);
			if (!c->cast) {
				sc_load_free(c->scn);
				break;
			}
			cr->ncases++;
			cf->count++;
		}
		if (cf->status == 2) { /* none of its cases runs */
			for (size_t k = cf->first; k < cf->first + cf->count;
			     k++) {
				sc_load_free(cr->cases[k].scn);
				free(cr->cases[k].cast);
			}
			cr->ncases = cf->first;
			cf->count = 0;
		}
	}
	sc_load_cache_free(cache);
	return 0;
}

/* A file's line once its cases are done; fills *pass. */
static void file_report(const cfile *cf, const char *file,
			const check_run *cr, bool as_json, json_t *all,
			bool *pass)
{
	char why[1024] = "";
	int status = cf->status;
	if (status != 2) {
		status = 0;
		for (size_t k = cf->first; k < cf->first + cf->count; k++) {
			const ccase *c = &cr->cases[k];
			if (c->status > status)
				status = c->status;
			if (c->status && !why[0]) {
				if (c->variant)
					snprintf(why, sizeof(why), "[%s] %s",
						 c->variant, c->why);
				else
					snprintf(why, sizeof(why), "%s",
						 c->why);
			}
		}
	} else {
		snprintf(why, sizeof(why), "%s", cf->why);
	}
	*pass = status == 0;
	if (as_json) {
		json_array_append_new(all, json_pack("{s:s, s:b, s:i, s:s}",
						     "file", file, "pass",
						     *pass, "exit", status,
						     "failure", why));
	} else {
		printf("%s %s%s%s\n", *pass ? "pass" : "FAIL", file,
		       why[0] ? ": " : "", why);
		fflush(stdout);
	}
}

static void check_usage(FILE *out)
{
	fprintf(out, "usage: cloakroom check [-j N] [--json] [--stats] "
		     "[--variant NAME] [--insecure]\n"
		     "                       [--timeout-ms N] PATH...\n"
		     "Runs every scenario (*.yaml) under the paths, every "
		     "case of each (the\nfile as written, named as-written, "
		     "then each variant; --variant NAME:\nonly that one, and "
		     "a file without it fails); prints one line each\nand "
		     "'N passed, N failed'. Exit 0 only when all pass.\n"
		     "Runs of the same cast (processes, hosts, accounts, whom "
		     "they call)\nshare one warm set of daemons; -j N: N sets "
		     "at once (default 2).\n--stats: runs, seconds and daemon "
		     "sets started, on stderr. --insecure and\n--timeout-ms "
		     "as for run.\n");
}

/* Add path (a file, or every scenario under a directory, sorted) to
 * `files`. 0, or -1 said on stderr. */
static int add_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "cloakroom check: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	size_t before = files_count;
	if (S_ISDIR(st.st_mode))
		nftw(path, collect, 16, FTW_PHYS);
	else if (files_count < MAX_FILES)
		files[files_count++] = strdup(path);
	qsort(files + before, files_count - before, sizeof(*files), by_name);
	return 0;
}

enum { CO_JSON = 256, CO_STATS, CO_INSECURE, CO_VARIANT, CO_TIMEOUT };

static int parse_one(copts *o, int c, const char *v)
{
	long n;
	switch (c) {
	case 'j':
		if (util_parse_long(v, 1, MAX_JOBS, &n) == 0) {
			o->jobs = (int)n;
			return 0;
		}
		fprintf(stderr, "cloakroom check: -j takes a number of sets, 1 "
			"to %d (not '%s')\n", MAX_JOBS, v);
		return -1;
	case CO_TIMEOUT:
		if (util_parse_long(v, 1, INT_MAX, &n) == 0) {
			o->timeout_ms = (int)n;
			return 0;
		}
		fprintf(stderr, "cloakroom check: --timeout-ms takes a positive "
			"whole number of ms\n");
		return -1;
	case CO_JSON: o->as_json = true; return 0;
	case CO_STATS: o->stats = true; return 0;
	case CO_INSECURE: o->insecure = true; return 0;
	case CO_VARIANT: o->variant = v; return 0;
	}
	return -1;
}

static int check_one(void *o, int c, const char *value)
{
	return parse_one(o, c, value);
}

static int check_positional(void *ctx, const char *arg)
{
	(void)ctx;
	return add_path(arg);
}

/* 0, 1 when help was printed, -1 on bad arguments (said on stderr). */
static int parse_opts(int argc, char **argv, copts *o)
{
	static const struct option longs[] = {
		{"json", no_argument, NULL, CO_JSON},
		{"stats", no_argument, NULL, CO_STATS},
		{"insecure", no_argument, NULL, CO_INSECURE},
		{"variant", required_argument, NULL, CO_VARIANT},
		{"timeout-ms", required_argument, NULL, CO_TIMEOUT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	*o = (copts){.jobs = 2, .timeout_ms = 10000};
	static const cli_parser parser = {
		.cmd = "cloakroom check",
		.shorts = "j:",
		.longs = longs,
		.usage = check_usage,
		.one = check_one,
		.positional = check_positional,
	};
	int rc = cli_getopt(&parser, argc, argv, o);
	if (rc == 0 && files_count == 0) {
		check_usage(stderr);
		rc = -1;
	}
	return rc;
}

/* Each file's lines, in file order, whatever order its runs end in.
 * Returns the number of files that failed. */
static unsigned report_in_order(check_run *cr, cfile *fs, bool as_json)
{
	json_t *all = as_json ? json_array() : NULL;
	unsigned passed = 0, failed = 0;
	cli_progress bar;
	cli_progress_start(&bar, "cloakroom check");
	for (size_t f = 0; f < files_count; f++) {
		pthread_mutex_lock(&cr->lock);
		for (;;) {
			bool ready = true;
			for (size_t k = fs[f].first;
			     k < fs[f].first + fs[f].count; k++)
				ready = ready && cr->cases[k].done;
			if (ready)
				break;
			size_t done = 0;
			for (size_t k = 0; k < cr->ncases; k++)
				done += cr->cases[k].done;
			cli_progress_show(&bar, done, cr->ncases);
			/* Woken by a finished case, or in a quarter second
			 * to show the bar once the run has lasted one. */
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 250000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&cr->changed, &cr->lock, &until);
		}
		pthread_mutex_unlock(&cr->lock);
		cli_progress_clear(&bar);
		bool pass;
		file_report(&fs[f], files[f], cr, as_json, all, &pass);
		pass ? passed++ : failed++;
	}
	if (as_json) {
		json_t *root = json_pack("{s:o, s:i, s:i}", "scenarios", all,
					 "passed", passed, "failed", failed);
		json_dumpf(root, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(root);
	} else {
		printf("%u passed, %u failed\n", passed, failed);
	}
	fflush(stdout);
	return failed;
}

/* Load every file, run every case on -j workers and report. 0 all
 * passed, 1 one failed, 3 a set of daemons did not stop cleanly, a
 * signal, or out of memory. */
static int check_files(const copts *o, check_run *cr, cfile *fs)
{
	worker ws[MAX_JOBS];
	memset(ws, 0, sizeof(ws));
	double start = util_now_s();
	if (!fs || load_all(fs, cr) != 0)
		return 3;
	cr->order = calloc(cr->ncases ? cr->ncases : 1, sizeof(*cr->order));
	if (!cr->order)
		return 3;
	for (size_t i = 0; i < cr->ncases; i++)
		cr->order[i] = i;
	qsort_r(cr->order, cr->ncases, sizeof(*cr->order), by_cast,
		cr->cases);
	if (util_mkdtemp(cr->run_dir, sizeof(cr->run_dir),
			 "cloakroom-check") != 0) {
		fprintf(stderr, "cloakroom check: cannot create a run "
			"directory: %s\n", strerror(errno));
		cr->run_dir[0] = '\0';
		return 3;
	}
	spawn_install_signals();
	for (int j = 0; j < o->jobs; j++) {
		ws[j].cr = cr;
		ws[j].id = (unsigned)j;
		ws[j].started = pthread_create(&ws[j].thread, NULL,
					       worker_main, &ws[j]) == 0;
	}
	unsigned failed = report_in_order(cr, fs, o->as_json);
	for (int j = 0; j < o->jobs; j++)
		if (ws[j].started)
			pthread_join(ws[j].thread, NULL);
	if (o->stats) {
		double took = util_now_s() - start;
		fprintf(stderr,
			"check: %zu files, %zu runs in %.3f s, %u daemon set%s "
			"started\n",
			files_count, cr->ncases, took, cr->sets,
			cr->sets == 1 ? "" : "s");
	}
	if (cr->unclean || spawn_interrupted()) {
		fprintf(stderr, "cloakroom check: daemon logs kept in %s\n",
			cr->run_dir);
		cr->run_dir[0] = '\0';
		return 3;
	}
	return failed ? 1 : 0;
}

static void files_free(void)
{
	for (size_t i = 0; i < files_count; i++)
		free(files[i]);
	free(files);
	files = NULL;
	files_count = 0;
}

int cmd_check(int argc, char **argv)
{
	files = calloc(MAX_FILES, sizeof(*files));
	if (!files)
		return 3;
	copts o;
	int rc = parse_opts(argc, argv, &o);
	if (rc != 0) {
		files_free();
		return rc > 0 ? 0 : 2;
	}
	/* A file whose daemons do not fit in memory, -j sets at once, fails
	 * to load. */
	char fit_why[200];
	sc_load_limit_daemons(spawn_daemons_fit((unsigned)o.jobs, fit_why,
						sizeof(fit_why)),
			      fit_why);
	cfile *fs = calloc(files_count, sizeof(*fs));
	check_run cr;
	memset(&cr, 0, sizeof(cr));
	cr.o = &o;
	pthread_mutex_init(&cr.lock, NULL);
	pthread_cond_init(&cr.changed, NULL);
	rc = check_files(&o, &cr, fs);
	if (cr.run_dir[0])
		util_rm_tree(cr.run_dir);
	for (size_t k = 0; k < cr.ncases; k++) {
		sc_load_free(cr.cases[k].scn);
		free(cr.cases[k].cast);
	}
	for (size_t f = 0; fs && f < files_count; f++)
		sc_load_free(fs[f].base);
	free(cr.cases);
	free(cr.order);
	free(fs);
	pthread_cond_destroy(&cr.changed);
	pthread_mutex_destroy(&cr.lock);
	files_free();
	return rc;
}

static const char starter[] =
	"# %s: a starter scenario. A (alice, on ws1) calls B (a service on\n"
	"# ws1), which impersonates her and calls C on srv2 with dynamic\n"
	"# cloaking; C opens an object as whoever it received. Change a line,\n"
	"# run `./cloakroom run %s`, and read the rule ids.\n"
	"# Every key: docs/scenario-format.md. Every rule: docs/rules.md.\n"
	"scenario: %s\n"
	"description: what C sees when B calls it on alice's behalf\n"
	"\n"
	"domain:\n"
	"  name: CORP\n"
	"  accounts:\n"
	"    - name: alice\n"
	"    - name: svc-b\n"
	"    - name: svc-c\n"
	"\n"
	"hosts:\n"
	"  - name: ws1\n"
	"  - name: srv2\n"
	"\n"
	"processes:\n"
	"  - name: A\n"
	"    host: ws1\n"
	"    account: alice\n"
	"    started_by: interactive\n"
	"    blanket: {level: impersonate}   # anonymous|identify|impersonate|delegate\n"
	"    steps:\n"
	"      - {do: call, to: B}\n"
	"  - name: B\n"
	"    host: ws1\n"
	"    account: svc-b\n"
	"    started_by: service             # the SERVICE group holds SeImpersonatePrivilege\n"
	"    blanket: {level: impersonate, cloaking: dynamic}   # none|static|dynamic\n"
	"    steps:\n"
	"      - {do: impersonate}\n"
	"      - {do: call, to: C}\n"
	"      - {do: revert}\n"
	"  - name: C\n"
	"    host: srv2\n"
	"    account: svc-c\n"
	"    started_by: service\n"
	"    steps:\n"
	"      - {do: impersonate}\n"
	"      - {do: open, id: c-opens-report, object: report, access: [read]}\n"
	"\n"
	"objects:\n"
	"  - name: report\n"
	"    host: srv2\n"
	"    owner: svc-c\n"
	"    dacl:\n"
	"      - {allow: alice, access: [read]}\n"
	"\n"
	"# The file as written is one case (as-written); each variant is\n"
	"# another, with the file's expectations but those it replaces.\n"
	"expect:\n"
	"  - {hop: A->B, presented: CORP\\alice, level: impersonate, status: OK}\n"
	"  - {hop: B->C, presented: CORP\\alice, level: impersonate, status: OK}\n"
	"  - {step: c-opens-report, status: OK}\n"
	"\n"
	"variants:\n"
	"  - name: no-cloaking\n"
	"    set: [B.cloaking=none]\n"
	"    expect:                         # the same hop or step: replaces the file's\n"
	"      - {hop: B->C, presented: CORP\\svc-b}\n"
	"      - {step: c-opens-report, status: ACCESS_DENIED}\n";

int cmd_new(int argc, char **argv)
{
	if (argc == 1 && (strcmp(argv[0], "-h") == 0 ||
			  strcmp(argv[0], "--help") == 0)) {
		printf("usage: cloakroom new NAME\nWrites NAME.yaml, a starter "
		       "scenario to edit (never over an existing file).\n");
		return 0;
	}
	if (argc != 1 || argv[0][0] == '-') {
		fprintf(stderr, "usage: cloakroom new NAME  (writes NAME.yaml)\n");
		return 2;
	}
	char path[PATH_MAX], name[256];
	const char *base = strrchr(argv[0], '/');
	snprintf(name, sizeof(name), "%s", base ? base + 1 : argv[0]);
	size_t nl = strlen(name);
	if (nl > 5 && strcmp(name + nl - 5, ".yaml") == 0)
		name[nl - 5] = '\0';
	if (snprintf(path, sizeof(path), "%s%s", argv[0],
		     strstr(argv[0], ".yaml") ? "" : ".yaml") >=
	    (int)sizeof(path)) {
		fprintf(stderr, "cloakroom new: name too long\n");
		return 2;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		fprintf(stderr, "cloakroom new: %s: %s\n", path,
			strerror(errno));
		return 2;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return 3;
	}
	fprintf(f, starter, path, path, name);
	fclose(f);
	char quoted[PATH_MAX * 2];
	printf("wrote %s; run it with: ./cloakroom run %s\n", path,
	       cli_shell_quote(path, quoted, sizeof(quoted)));
	return 0;
}
