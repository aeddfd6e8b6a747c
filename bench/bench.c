/* bench.c: `cloakroom bench`: the secured chain A -> B -> C (signed
 * contexts, the run's authority) against the same three daemons relaying
 * over bare gRPC (--bare), over the same transport in each pair (both
 * insecure, both mutual TLS), and the bare relay against a minimal gRPC
 * C-core relay (bench/floor/minirelay.c), in alternating runs of one invocation;
 * latency, throughput, RSS, cold start, the micro-benchmarks, a plot, and
 * the ratios against the targets. It never initialises gRPC (it forks),
 * stops every process it starts, and never prints a figure it did not
 * measure. */
#include "plot.h"
#include "sc_load.h"
#include "launch.h"
#include "spawn.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLOAKROOM_BUILDTYPE
#define CLOAKROOM_BUILDTYPE "unknown"
#endif
#ifndef CLOAKROOM_CC
#define CLOAKROOM_CC "unknown"
#endif

#define MAXP 8          /* processes in the benchmarked scenario */
#define MAX_ROUNDS 20
#define NTP 3           /* throughput levels */
#define READY_TIMEOUT_MS 10000
#define CLIENT_TIMEOUT_MS 120000
#define CALL_TIMEOUT_MS 10000
#define SCENARIO "scenarios/seed-diagram.yaml"
#define VARIANT "cloaking-dynamic"
#define MARK_BEGIN "<!-- bench:figures:begin -->"
#define MARK_END "<!-- bench:figures:end -->"
#define FIG_MD "benchmarks-figures.md"
#define FIG_SVG "benchmarks-latency.svg"
#define DOC_MD "benchmarks.md"

/* Targets of the issue (a benchmark reports against them, never fails). */
#define T_P50_RATIO 1.05
#define T_TPUT_RATIO 0.95
#define T_FLOOR_RATIO 1.10 /* bare p50 over the minimal relay's */
#define T_DECISION_NS 2000.0
#define T_RSS_MB 30.0
#define T_COLD_MS 150.0

static const unsigned inflights[NTP] = {1, 8, 64};

/* Two pairs, each bare against secured over one transport: insecure gRPC
 * credentials (--insecure), and mutual TLS with the run's certificates
 * (the default of `cloakroom run`). */
typedef enum cfg_kind {
	CFG_BARE = 0,        /* --bare --insecure: no authority at all */
	CFG_SECURED = 1,     /* signed contexts, authority, --insecure */
	CFG_BARE_TLS = 2,    /* --bare over mutual TLS (authority's certs) */
	CFG_SECURED_TLS = 3, /* the default run: signed contexts, mTLS */
	CFG_MINIMAL = 4,     /* the floor: bench/floor/minirelay.c, insecure */
	NCFG = 5
} cfg_kind;
static const char *const cfg_name[NCFG] = {"bare", "secured", "bare-mtls",
					   "secured-mtls", "minimal"};
#define NPAIR 2
static const cfg_kind pair_bare[NPAIR] = {CFG_BARE, CFG_BARE_TLS};
static const cfg_kind pair_sec[NPAIR] = {CFG_SECURED, CFG_SECURED_TLS};
static const char *const pair_name[NPAIR] = {"insecure transport",
					     "mutual TLS"};

static bool cfg_is_secured(cfg_kind c)
{
	return c == CFG_SECURED || c == CFG_SECURED_TLS;
}

static bool cfg_is_tls(cfg_kind c)
{
	return c == CFG_BARE_TLS || c == CFG_SECURED_TLS;
}

/* The authority runs for signed contexts and, for the bare relay over
 * mutual TLS, makes the certificates (it is then never asked anything). */
static bool cfg_has_authority(cfg_kind c)
{
	return c != CFG_BARE && c != CFG_MINIMAL;
}

typedef struct params {
	bool quick;
	bool smoke;         /* the test's run: tiny counts, figures meaningless */
	const char *out_dir;
	unsigned rounds;
	unsigned lat_warmup, lat_calls;
	unsigned tp_warmup, tp_ms;
} params;

/* One configuration's figures over all its runs. */
typedef struct cfg_result {
	uint64_t *lat;            /* every measured latency, pooled */
	size_t lat_n, lat_cap;
	double p50_us[MAX_ROUNDS];
	double tput[MAX_ROUNDS][NTP];   /* calls per second */
	double cold_ms[MAX_ROUNDS];
	double cold_cpu_ms[MAX_ROUNDS]; /* CPU of all three until then */
	double launch_ms[MAX_ROUNDS];   /* secured: a whole `run` */
	/* Per process; index n (the scenario's count) is the authority. */
	long rss_kb[MAXP + 1];    /* max VmRSS seen at 64 in flight */
	long hwm_kb[MAXP + 1];    /* max VmHWM seen at 64 in flight */
	double cpu_s[MAXP + 1];   /* CPU seconds of each process ... */
	double cpu_calls[MAXP + 1]; /* ... over this many calls (throughput) */
	unsigned rounds;
} cfg_result;

typedef struct bench {
	params P;
	char bin_root[PATH_MAX];
	char source[PATH_MAX];
	char scenario[PATH_MAX];
	char run_dir[256];    /* logs of this invocation (TMPDIR, short) */
	char load_start[64], load_end[64];
	char others[192];     /* the machine's CPU time not ours, described */
	/* The chain of the current run: the scenario's processes, then the
	 * authority (kids[n]) when the configuration has one. */
	child kids[MAXP + 1];
	size_t n, nk, client;
	char auth_dir[PATH_MAX];
	char authority[64];
	char addr[MAXP][160];
	char peer_buf[MAXP][256];
	char *peers[MAXP];
	size_t npeers;
	/* The minimal relay: whom each process calls (its first call step),
	 * as an index, or -1. */
	long next[MAXP];
	cfg_result res[NCFG];
	/* Micro-benchmarks. */
	json_t *micro;
} bench;

static double ms_since(uint64_t t0)
{
	return (double)(util_now_ns() - t0) / 1e6;
}

/* The option the run was made with, as printed: " --smoke", " --quick"
 * or nothing. */
static const char *mode_flag(const params *P)
{
	return P->smoke ? " --smoke" : P->quick ? " --quick" : "";
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(const double *v, size_t n)
{
	double s[MAX_ROUNDS];
	if (!n)
		return 0;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* ---- the scenario's chain ------------------------------------------ */

/* A host's loopback address, as the launcher gives it. */
static void host_addr(const sc_scenario *s, const char *host, char *buf,
		      size_t len)
{
	for (unsigned i = 0; i < s->hosts_count; i++)
		if (strcmp(s->hosts[i].name, host) == 0) {
			if (s->hosts[i].address && *s->hosts[i].address)
				snprintf(buf, len, "%s", s->hosts[i].address);
			else
				snprintf(buf, len, "127.0.0.%u", 10 + i);
			return;
		}
	snprintf(buf, len, "127.0.0.1");
}

static void daemon_opts(bench *b, spawn_daemon *d,
			const char *listen, char **extra, size_t nextra)
{
	memset(d, 0, sizeof(*d));
	d->bin_root = b->bin_root;
	d->scenario = b->scenario;
	d->variant = VARIANT;
	d->listen = listen;
	d->timeout_ms = CALL_TIMEOUT_MS;
	d->peers = b->peers;
	d->peers_count = b->npeers;
	d->extra = extra;
	d->extra_count = nextra;
}

/* The options every daemon of a cfg run gets after its own: --bare for
 * the relay, the authority's files and address, --insecure off mutual
 * TLS; as `cloakroom run [--insecure]` gives them. Returns the count. */
static size_t cfg_opts(bench *b, cfg_kind cfg, char **extra)
{
	size_t ne = 0;
	if (!cfg_is_secured(cfg))
		extra[ne++] = "--bare";
	if (cfg_has_authority(cfg)) {
		extra[ne++] = "--auth-dir";
		extra[ne++] = b->auth_dir;
		extra[ne++] = "--authority";
		extra[ne++] = b->authority;
	}
	if (!cfg_is_tls(cfg))
		extra[ne++] = "--insecure";
	return ne;
}

/* The run's authority (kids[n]), as the launcher starts it: it makes the
 * keys, credentials and certificates in a fresh directory, then serves
 * ticket requests on 127.0.0.1. */
static int authority_start(bench *b, cfg_kind cfg, unsigned round,
			   char *err, size_t errlen)
{
	child *c = &b->kids[b->n];
	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->fd = -1;
	snprintf(c->name, sizeof(c->name), "authority");
	snprintf(c->program, sizeof(c->program), "authority");
	snprintf(c->log_path, sizeof(c->log_path), "%s/%s-%u-authority.log",
		 b->run_dir, cfg_name[cfg], round + 1);
	snprintf(b->auth_dir, sizeof(b->auth_dir), "%s/auth-%s-%u-XXXXXX",
		 b->run_dir, cfg_name[cfg], round + 1);
	if (!mkdtemp(b->auth_dir)) {
		snprintf(err, errlen, "cannot create %.200s: %s", b->auth_dir,
			 strerror(errno));
		return -1;
	}
	char *extra[3] = {"--dir", b->auth_dir, "--insecure"};
	spawn_daemon d;
	daemon_opts(b, &d, "127.0.0.1:0", extra, cfg_is_tls(cfg) ? 2 : 3);
	d.peers_count = 0;
	int port = 0;
	b->nk = b->n + 1;
	if (spawn_daemon_start(c, &d, err, errlen) != 0 ||
	    spawn_wait_ready(&(spawn_wait){c, b->kids, b->nk, READY_TIMEOUT_MS},
			     &port, err, errlen) != 0)
		return -1;
	snprintf(b->authority, sizeof(b->authority), "127.0.0.1:%d", port);
	return 0;
}

/* Load the scenario (as the launcher does before it starts anything),
 * start the authority when cfg has one, then the scenario's servers,
 * callees first, each on its host's address; the same command lines as
 * `cloakroom run`, plus --bare for the bare relay. */
static int chain_start(bench *b, cfg_kind cfg, unsigned round, char *err,
		       size_t errlen)
{
	sc_load_errors errs = {0};
	sc_scenario *s = NULL;
	if (sc_load_file(b->scenario, VARIANT, &s, &errs) != 0) {
		if (errs.count)
			sc_load_error_format(&errs.items[0], err, errlen);
		sc_load_errors_free(&errs);
		return -1;
	}
	sc_load_errors_free(&errs);
	int rc = -1;
	bool started[MAXP] = {false};
	size_t clients = 0, servers = 0, up = 0;
	b->n = s->processes_count;
	b->nk = b->n;
	b->npeers = 0;
	if (b->n > MAXP) {
		snprintf(err, errlen, "more than %d processes", MAXP);
		goto out;
	}
	for (size_t i = 0; i < b->n; i++) {
		const sc_process_def *p = &s->processes[i];
		child *c = &b->kids[i];
		memset(c, 0, sizeof(*c));
		c->pid = -1;
		c->fd = -1;
		snprintf(c->name, sizeof(c->name), "%s", p->name);
		snprintf(c->program, sizeof(c->program), "%s",
			 sc_scenario_program(s, p));
		snprintf(c->log_path, sizeof(c->log_path), "%s/%s-%u-%.32s.log",
			 b->run_dir, cfg_name[cfg], round + 1, p->name);
		if (strcmp(c->program, "procA") == 0) {
			b->client = i;
			clients++;
		} else {
			servers++;
		}
	}
	if (clients != 1) {
		snprintf(err, errlen, "the benchmark needs exactly one client");
		goto out;
	}
	if (cfg_has_authority(cfg) &&
	    authority_start(b, cfg, round, err, errlen) != 0)
		goto out;
	for (size_t k = 0; k < b->n; k++) {
		const sc_process_def *p = &s->processes[k];
		b->next[k] = -1;
		for (unsigned j = 0; j < p->steps_count && b->next[k] < 0; j++)
			if (p->steps[j].kind == SC_STEP_CALL && p->steps[j].to)
				for (size_t q = 0; q < b->n; q++)
					if (strcmp(s->processes[q].name,
						   p->steps[j].to) == 0)
						b->next[k] = (long)q;
	}
	long i;
	while ((i = launch_next_server(s, started, false)) >= 0) {
		const sc_process_def *p = &s->processes[i];
		child *c = &b->kids[i];
		char ip[128], listen[160];
		host_addr(s, p->host, ip, sizeof(ip));
		snprintf(listen, sizeof(listen), "%s:0", ip);
		char *extra[8];
		spawn_daemon d;
		daemon_opts(b, &d, listen, extra, cfg_opts(b, cfg, extra));
		int port = 0;
		if (cfg == CFG_MINIMAL) {
			/* The same hosts and call graph, the minimal relay's
			 * program. */
			char prog[PATH_MAX + 32];
			snprintf(prog, sizeof(prog),
				 "%s/bench/cloakroom-minirelay", b->bin_root);
			char *argv[] = {prog, "--listen", listen,
					b->next[i] >= 0 ? "--next" : NULL,
					b->next[i] >= 0 ? b->addr[b->next[i]]
							: NULL,
					NULL};
			if (spawn_start(c, argv, err, errlen) != 0 ||
			    spawn_wait_ready(&(spawn_wait){c, b->kids, b->nk,
							   READY_TIMEOUT_MS},
					     &port, err, errlen) != 0)
				goto out;
		} else if (spawn_daemon_start(c, &d, err, errlen) != 0 ||
			   spawn_wait_ready(&(spawn_wait){c, b->kids, b->nk,
							  READY_TIMEOUT_MS},
					    &port, err, errlen) != 0)
			goto out;
		char addr[sizeof(b->addr[0])];
		snprintf(addr, sizeof(addr), "%s:%d", ip, port);
		memcpy(b->addr[i], addr, sizeof(addr));
		snprintf(b->peer_buf[b->npeers], sizeof(b->peer_buf[0]),
			 "%s=%s", p->name, addr);
		b->peers[b->npeers] = b->peer_buf[b->npeers];
		b->npeers++;
		started[i] = true;
		up++;
	}
	if (up < servers) {
		snprintf(err, errlen, "the call graph has a cycle");
		goto out;
	}
	rc = 0;
out:
	sc_load_free(s);
	return rc;
}

/* How long a stopped daemon may take to exit: longer under a wrapper
 * (valgrind --tool=callgrind writes its profile at exit). */
static int stop_grace_ms(void)
{
	const char *w = getenv("CLOAKROOM_DAEMON_WRAPPER");
	return w && *w ? 60000 : 2000;
}

/* Stop the chain and the authority; a server that does not stop cleanly
 * fails the run. */
static int chain_stop(bench *b, char *err, size_t errlen)
{
	spawn_stop_all(b->kids, b->nk, stop_grace_ms());
	int rc = 0;
	for (size_t i = 0; i < b->nk; i++) {
		child *c = &b->kids[i];
		if (c->pid <= 0 || i == b->client ||
		    (WIFEXITED(c->wstatus) && WEXITSTATUS(c->wstatus) == 0))
			continue;
		char d[64];
		spawn_describe(c, d, sizeof(d));
		if (rc == 0)
			snprintf(err, errlen,
				 "daemon %s (%s) did not stop cleanly: %s",
				 c->name, c->program, d);
		rc = -1;
	}
	return rc;
}

/* ---- RSS under load ------------------------------------------------ */

static int read_status(pid_t pid, long *rss_kb, long *hwm_kb)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	int got = 0;
	while (fgets(line, sizeof(line), f)) {
		long v;
		if (sscanf(line, "VmRSS: %ld", &v) == 1) {
			*rss_kb = v;
			got++;
		} else if (sscanf(line, "VmHWM: %ld", &v) == 1) {
			*hwm_kb = v;
			got++;
		}
	}
	fclose(f);
	return got == 2 ? 0 : -1;
}

typedef struct sampler {
	pid_t pids[MAXP + 1];
	size_t n;
	long rss[MAXP + 1], hwm[MAXP + 1];
	atomic_bool stop;
	pthread_t tid;
} sampler;

static void sample_once(sampler *s)
{
	for (size_t i = 0; i < s->n; i++) {
		long r = 0, h = 0;
		if (s->pids[i] > 0 && read_status(s->pids[i], &r, &h) == 0) {
			if (r > s->rss[i])
				s->rss[i] = r;
			if (h > s->hwm[i])
				s->hwm[i] = h;
		}
	}
}

static void *sampler_main(void *arg)
{
	sampler *s = arg;
	while (!atomic_load(&s->stop)) {
		sample_once(s);
		usleep(20000);
	}
	return NULL;
}

/* ---- the load client ----------------------------------------------- */

typedef struct load_result {
	uint64_t *lat;
	size_t nlat;
	uint64_t calls, errors, elapsed_ns, cpu_ns;
	double server_cpu_s[MAXP + 1]; /* each server's (and the
					  authority's) CPU during the client */
} load_result;

/* CPU seconds (user + system, every thread, dead ones too) of pid. */
static double proc_cpu_s(pid_t pid)
{
	char path[64], line[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char *ok = fgets(line, sizeof(line), f);
	fclose(f);
	char *p = ok ? strrchr(line, ')') : NULL;
	unsigned long long ut = 0, st = 0;
	/* After "pid (comm)": state, then fields 4..13, utime 14, stime 15. */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
				"%llu %llu",
			 &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU milliseconds of every live thread of pid, exact
 * (/proc/PID/task/TID/schedstat: nanoseconds on a CPU); 0 if unknown. */
static double proc_threads_cpu_ms(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	unsigned long long sum = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char p2[128];
		snprintf(p2, sizeof(p2), "/proc/%ld/task/%.20s/schedstat",
			 (long)pid, e->d_name);
		FILE *f = fopen(p2, "r");
		unsigned long long ns;
		if (f && fscanf(f, "%llu", &ns) == 1)
			sum += ns;
		if (f)
			fclose(f);
	}
	closedir(d);
	return (double)sum / 1e6;
}

/* CPU milliseconds of every child this process has reaped. */
static double reaped_cpu_ms(void)
{
	struct rusage r;
	if (getrusage(RUSAGE_CHILDREN, &r) != 0)
		return 0;
	return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e3 +
	       (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e3;
}

static int parse_load(const uint8_t *buf, size_t len, load_result *r,
		      char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	size_t cap = 0;
	bool done = false;
	const char *p = (const char *)buf, *end = p + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		unsigned long long a, c, e, t;
		unsigned k;
		char line[128];
		size_t l = (size_t)(nl - p) < sizeof(line) - 1
				   ? (size_t)(nl - p)
				   : sizeof(line) - 1;
		memcpy(line, p, l);
		line[l] = 0;
		if (sscanf(line, "cpu %llu", &a) == 1) {
			r->cpu_ns = a;
		} else if (sscanf(line, "lat %llu", &a) == 1) {
			if (r->nlat == cap) {
				cap = cap ? cap * 2 : 1024;
				uint64_t *nb = realloc(r->lat,
						       cap * sizeof(*nb));
				if (!nb) {
					snprintf(err, errlen, "out of memory");
					return -1;
				}
				r->lat = nb;
			}
			r->lat[r->nlat++] = a;
		} else if (sscanf(line, "done %llu %llu %llu %u", &c, &e, &t,
				  &k) == 4) {
			r->calls = c;
			r->errors = e;
			r->elapsed_ns = t;
			done = true;
		}
		p = nl + 1;
	}
	if (!done || r->elapsed_ns == 0) {
		snprintf(err, errlen, "the load client reported no figures");
		return -1;
	}
	if (r->errors) {
		snprintf(err, errlen, "%llu of %llu calls failed (see %s)",
			 (unsigned long long)r->errors,
			 (unsigned long long)r->calls,
			 "the daemon logs");
		return -1;
	}
	return 0;
}

/* One run of the client in load mode: its load options args[0..nargs)
 * and, when rss is set, the sampler of every daemon's (and the
 * client's) RSS while it runs. */
typedef struct load_ask {
	char **args;
	size_t nargs;
	sampler *rss;
} load_ask;

static int chain_load(bench *b, cfg_kind cfg, const load_ask *ask,
		      load_result *r, char *err, size_t errlen)
{
	char **args = ask->args;
	size_t nargs = ask->nargs;
	sampler *s = ask->rss;
	char *extra[20];
	size_t ne = cfg_opts(b, cfg, extra);
	for (size_t i = 0; i < nargs && ne < 20; i++)
		extra[ne++] = args[i];
	spawn_daemon d;
	daemon_opts(b, &d, NULL, extra, ne);
	child *c = &b->kids[b->client];
	double cpu0[MAXP + 1];
	for (size_t i = 0; i < b->nk; i++)
		cpu0[i] = i == b->client ? 0 : proc_cpu_s(b->kids[i].pid);
	if (cfg == CFG_MINIMAL) {
		char prog[PATH_MAX + 32];
		snprintf(prog, sizeof(prog), "%s/bench/cloakroom-minirelay",
			 b->bin_root);
		long nx = b->next[b->client];
		char *argv[24] = {prog, "--next", nx >= 0 ? b->addr[nx] : ""};
		size_t na = 3;
		for (size_t i = 0; i < nargs && na + 1 < 24; i++)
			argv[na++] = args[i];
		argv[na] = NULL;
		if (spawn_start(c, argv, err, errlen) != 0)
			return -1;
	} else if (spawn_daemon_start(c, &d, err, errlen) != 0) {
		return -1;
	}
	bool sampling = false;
	if (s) {
		s->n = 0;
		for (size_t i = 0; i < b->nk; i++)
			s->pids[s->n++] = b->kids[i].pid;
		atomic_init(&s->stop, false);
		sampling = pthread_create(&s->tid, NULL, sampler_main, s) == 0;
	}
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = spawn_read_result(
		&(spawn_wait){c, b->kids, b->nk, CLIENT_TIMEOUT_MS}, &buf, &len,
		err, errlen);
	if (sampling) {
		atomic_store(&s->stop, true);
		pthread_join(s->tid, NULL);
		sample_once(s); /* the servers' high-water marks at the end */
	}
	if (rc == 0)
		rc = parse_load(buf, len, r, err, errlen);
	for (size_t i = 0; rc == 0 && i < b->nk; i++)
		if (i != b->client)
			r->server_cpu_s[i] =
				proc_cpu_s(b->kids[i].pid) - cpu0[i];
	free(buf);
	return rc;
}

static void fmt_u(char *buf, size_t len, unsigned v)
{
	snprintf(buf, len, "%u", v);
}

/* ---- one run: one configuration, every measurement ------------------ */

static int run_one(bench *b, cfg_kind cfg, unsigned round, char *err,
		   size_t errlen)
{
	cfg_result *R = &b->res[cfg];
	load_result lr;
	char w[16], n[16], k[16], ms[16];

	/* Cold start: from reading the scenario to the first call's result
	 * in hand (the client has exited). */
	uint64_t t0 = util_now_ns();
	double reaped0 = reaped_cpu_ms();
	if (chain_start(b, cfg, round, err, errlen) != 0)
		return -1;
	char *one[] = {"--bench-calls", "1"};
	if (chain_load(b, cfg, &(load_ask){one, 2, NULL}, &lr, err,
		       errlen) != 0)
		return -1;
	R->cold_ms[round] = ms_since(t0);
	/* Its CPU time, which waiting for a CPU does not inflate: the
	 * client's (reaped) and the servers' and authority's so far. */
	R->cold_cpu_ms[round] = reaped_cpu_ms() - reaped0;
	for (size_t i = 0; i < b->nk; i++)
		if (i != b->client)
			R->cold_cpu_ms[round] +=
				proc_threads_cpu_ms(b->kids[i].pid);
	free(lr.lat);

	/* Latency: sequential calls. */
	fmt_u(w, sizeof(w), b->P.lat_warmup);
	fmt_u(n, sizeof(n), b->P.lat_calls);
	char *lat[] = {"--bench-warmup", w, "--bench-calls", n};
	if (chain_load(b, cfg, &(load_ask){lat, 4, NULL}, &lr, err,
		       errlen) != 0)
		return -1;
	qsort(lr.lat, lr.nlat, sizeof(*lr.lat), cmp_u64);
	R->p50_us[round] = (double)plot_quantile(lr.lat, lr.nlat, 0.5) / 1e3;
	if (R->lat_n + lr.nlat > R->lat_cap) {
		size_t cap = (R->lat_n + lr.nlat) * 2;
		uint64_t *nb = realloc(R->lat, cap * sizeof(*nb));
		if (!nb) {
			free(lr.lat);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		R->lat = nb;
		R->lat_cap = cap;
	}
	memcpy(R->lat + R->lat_n, lr.lat, lr.nlat * sizeof(*lr.lat));
	R->lat_n += lr.nlat;
	free(lr.lat);

	/* Throughput at 1, 8 and 64 calls in flight; RSS at 64. */
	for (int t = 0; t < NTP; t++) {
		fmt_u(w, sizeof(w), b->P.tp_warmup);
		fmt_u(k, sizeof(k), inflights[t]);
		fmt_u(ms, sizeof(ms), b->P.tp_ms);
		char *tp[] = {"--bench-warmup", w, "--bench-inflight", k,
			      "--bench-ms", ms};
		sampler s;
		memset(&s, 0, sizeof(s));
		bool last = t == NTP - 1;
		if (chain_load(b, cfg, &(load_ask){tp, 6, last ? &s : NULL},
			       &lr, err, errlen) != 0)
			return -1;
		R->tput[round][t] =
			(double)lr.calls / ((double)lr.elapsed_ns / 1e9);
		/* CPU per call: the client's own over its measured calls;
		 * a server's over every call it served (warm-up too). */
		for (size_t i = 0; i < b->nk; i++) {
			if (i == b->client) {
				R->cpu_s[i] += (double)lr.cpu_ns / 1e9;
				R->cpu_calls[i] += (double)lr.calls;
			} else {
				R->cpu_s[i] += lr.server_cpu_s[i];
				R->cpu_calls[i] +=
					(double)(lr.calls + b->P.tp_warmup);
			}
		}
		free(lr.lat);
		for (size_t i = 0; last && i < s.n; i++) {
			if (s.rss[i] > R->rss_kb[i])
				R->rss_kb[i] = s.rss[i];
			if (s.hwm[i] > R->hwm_kb[i])
				R->hwm_kb[i] = s.hwm[i];
		}
	}
	if (chain_stop(b, err, errlen) != 0)
		return -1;

	/* The real launcher, whole (parse, start, the call, stop), for the
	 * configurations it runs. */
	if (cfg_is_secured(cfg)) {
		char prog[PATH_MAX + 32];
		snprintf(prog, sizeof(prog), "%s/cli/cloakroom-launch",
			 b->bin_root);
		char *argv[] = {prog, "run", b->scenario, "--variant", VARIANT,
				cfg_is_tls(cfg) ? NULL : "--insecure", NULL};
		child l;
		memset(&l, 0, sizeof(l));
		snprintf(l.name, sizeof(l.name), "cloakroom-launch");
		snprintf(l.program, sizeof(l.program), "launch");
		snprintf(l.log_path, sizeof(l.log_path), "%s/launch-%s-%u.log",
			 b->run_dir, cfg_name[cfg], round + 1);
		uint8_t *buf = NULL;
		size_t len = 0;
		t0 = util_now_ns();
		if (spawn_start(&l, argv, err, errlen) != 0 ||
		    spawn_read_result(
			    &(spawn_wait){&l, &l, 1, CLIENT_TIMEOUT_MS}, &buf,
			    &len, err, errlen) != 0) {
			spawn_stop_all(&l, 1, 2000);
			return -1;
		}
		R->launch_ms[round] = ms_since(t0);
		free(buf);
	}
	R->rounds = round + 1;
	return 0;
}

/* ---- micro-benchmarks ---------------------------------------------- */

static int run_micro(bench *b, char *err, size_t errlen)
{
	char prog[PATH_MAX + 48];
	snprintf(prog, sizeof(prog), "%s/bench/cloakroom-bench-micro",
		 b->bin_root);
	char *argv[] = {prog, "--json", b->P.quick ? "--quick" : NULL, NULL};
	child c;
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "micro");
	snprintf(c.program, sizeof(c.program), "micro");
	snprintf(c.log_path, sizeof(c.log_path), "%s/micro.json", b->run_dir);
	setenv("CLOAKROOM_SOURCE", b->source, 1);
	uint8_t *buf = NULL;
	size_t len = 0;
	if (spawn_start(&c, argv, err, errlen) != 0 ||
	    spawn_read_result(&(spawn_wait){&c, &c, 1, CLIENT_TIMEOUT_MS}, &buf,
			      &len, err, errlen) != 0) {
		spawn_stop_all(&c, 1, 2000);
		return -1;
	}
	free(buf);
	json_error_t je;
	b->micro = json_load_file(c.log_path, 0, &je);
	if (!b->micro || !json_is_array(json_object_get(b->micro, "items"))) {
		snprintf(err, errlen, "%.200s: %.200s", c.log_path,
			 b->micro ? "no items" : je.text);
		return -1;
	}
	return 0;
}

static double micro_decision_ns(const bench *b)
{
	json_t *d = json_object_get(b->micro, "per_hop_decision");
	return json_number_value(json_object_get(d, "ns"));
}

/* ---- the machine --------------------------------------------------- */

static void cpu_model(char *buf, size_t len)
{
	snprintf(buf, len, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10) != 0)
			continue;
		char *v = strchr(line, ':');
		if (!v)
			continue;
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		v[strcspn(v, "\n")] = 0;
		snprintf(buf, len, "%s", v);
		break;
	}
	fclose(f);
}

/* ---- other load on the machine ------------------------------------ */

/* Clock ticks of the whole machine from /proc/stat's "cpu" line. */
typedef struct cpu_ticks {
	unsigned long long busy, idle, steal;
} cpu_ticks;

static void machine_ticks(cpu_ticks *t)
{
	memset(t, 0, sizeof(*t));
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return;
	unsigned long long us, ni, sy, id, io, irq, sirq, st;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &us, &ni,
		   &sy, &id, &io, &irq, &sirq, &st) == 8) {
		t->busy = us + ni + sy + irq + sirq;
		t->idle = id + io;
		t->steal = st;
	}
	fclose(f);
}

/* CPU seconds of this process and of every child it has waited for. */
static double own_cpu_s(void)
{
	struct rusage self, kids;
	if (getrusage(RUSAGE_SELF, &self) != 0 ||
	    getrusage(RUSAGE_CHILDREN, &kids) != 0)
		return 0;
	return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec +
			kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) +
	       (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec +
			kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) /
		       1e6;
}

/* What the rest of the machine did while the benchmark ran: the busy CPU
 * time of /proc/stat less the benchmark's own (itself and every process
 * it started), as CPUs busy on average over the wall time. */
static void describe_others(char *buf, size_t len, const cpu_ticks *a,
			    const cpu_ticks *z, double own_s, double wall_s)
{
	double hz = (double)sysconf(_SC_CLK_TCK);
	double busy = (double)(z->busy - a->busy) / hz;
	double steal = (double)(z->steal - a->steal) / hz;
	if (wall_s <= 0 || z->busy < a->busy) {
		snprintf(buf, len, "unknown");
		return;
	}
	double other = busy - own_s;
	if (other < 0)
		other = 0;
	snprintf(buf, len,
		 "%.2f CPUs busy on average over %.0f s: the benchmark %.2f, "
		 "other processes %.2f; stolen by the hypervisor %.2f",
		 busy / wall_s, wall_s, own_s / wall_s, other / wall_s,
		 steal / wall_s);
}

static void load_avg(char *buf, size_t len)
{
	snprintf(buf, len, "unknown");
	FILE *f = fopen("/proc/loadavg", "r");
	if (!f)
		return;
	double a, b5, c;
	if (fscanf(f, "%lf %lf %lf", &a, &b5, &c) == 3)
		snprintf(buf, len, "%.2f %.2f %.2f", a, b5, c);
	fclose(f);
}

static void machine(char *buf, size_t len)
{
	char cpu[256];
	struct utsname u;
	cpu_model(cpu, sizeof(cpu));
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	long mem_kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");
	if (f) {
		if (fscanf(f, "MemTotal: %ld", &mem_kb) != 1)
			mem_kb = 0;
		fclose(f);
	}
	snprintf(buf, len,
		 "%ld CPUs (nproc), \"%s\", %.1f GiB, %s %s %s; build %s, %s",
		 sysconf(_SC_NPROCESSORS_ONLN), cpu,
		 (double)mem_kb / 1048576.0, u.sysname, u.release, u.machine,
		 CLOAKROOM_BUILDTYPE, CLOAKROOM_CC);
}

/* ---- reporting ----------------------------------------------------- */

typedef struct summary {
	double p50, p99, p999;    /* us */
	double tput[NTP];         /* median over rounds */
	double cold;              /* median ms */
	double cold_cpu;          /* median ms of CPU */
	double launch;            /* median ms (secured) */
	long max_hwm_kb;
	size_t max_proc;
	double cpu_us[MAXP + 1];  /* CPU per call, throughput runs */
	double cpu_total_us;
} summary;

static void summarize(const bench *b, cfg_kind cfg, summary *s)
{
	const cfg_result *R = &b->res[cfg];
	memset(s, 0, sizeof(*s));
	s->p50 = (double)plot_quantile(R->lat, R->lat_n, 0.5) / 1e3;
	s->p99 = (double)plot_quantile(R->lat, R->lat_n, 0.99) / 1e3;
	s->p999 = (double)plot_quantile(R->lat, R->lat_n, 0.999) / 1e3;
	for (int t = 0; t < NTP; t++) {
		double v[MAX_ROUNDS];
		for (unsigned r = 0; r < R->rounds; r++)
			v[r] = R->tput[r][t];
		s->tput[t] = median(v, R->rounds);
	}
	s->cold = median(R->cold_ms, R->rounds);
	s->cold_cpu = median(R->cold_cpu_ms, R->rounds);
	/* The scenario's processes, then the authority (index n). */
	for (size_t i = 0; i <= b->n; i++) {
		s->cpu_us[i] = R->cpu_calls[i] > 0
				       ? R->cpu_s[i] / R->cpu_calls[i] * 1e6
				       : 0;
		s->cpu_total_us += s->cpu_us[i];
	}
	s->launch = median(R->launch_ms, R->rounds);
	for (size_t i = 0; i <= b->n; i++)
		if (R->hwm_kb[i] > s->max_hwm_kb) {
			s->max_hwm_kb = R->hwm_kb[i];
			s->max_proc = i;
		}
}

static const char *met(bool ok)
{
	return ok ? "met" : "missed";
}

/* Process i's program name: procA, procB, procC, or the authority. */
static const char *proc_name(const bench *b, size_t i)
{
	return i == b->n ? "authority" : b->kids[i].program;
}

static const char *cfg_what(cfg_kind cfg)
{
	switch (cfg) {
	case CFG_BARE:
		return "--bare --insecure: relay only, no context, no token, "
		       "no checks, insecure gRPC credentials, no authority";
	case CFG_SECURED:
		return "--insecure: signed contexts (sealed, opened, replay "
		       "checked), token, decisions, access check, the "
		       "authority running; insecure gRPC credentials";
	case CFG_BARE_TLS:
		return "--bare over mutual TLS: the run's certificates and "
		       "handshake, nothing sealed or checked per call";
	case CFG_MINIMAL:
		return "the floor: a minimal gRPC C-core relay "
		       "(bench/floor/minirelay.c: a completion queue per thread, no "
		       "pool, no deadline propagation), insecure credentials";
	default:
		return "the default run: signed contexts, token, decisions, "
		       "access check, the authority running, mutual TLS";
	}
}

static void print_config(FILE *o, const bench *b, cfg_kind cfg,
			 const summary *s)
{
	const cfg_result *R = &b->res[cfg];
	size_t np = b->n + (cfg_has_authority(cfg) ? 1 : 0);
	fprintf(o, "configuration %s (%s)\n", cfg_name[cfg], cfg_what(cfg));
	fprintf(o, "  latency, sequential (%zu calls): p50 %.1f us  p99 "
		   "%.1f us  p99.9 %.1f us\n",
		R->lat_n, s->p50, s->p99, s->p999);
	fprintf(o, "  throughput (calls/s, median of %u runs):", R->rounds);
	for (int t = 0; t < NTP; t++)
		fprintf(o, "  %u in flight %.0f", inflights[t], s->tput[t]);
	fprintf(o, "\n  RSS at 64 in flight (max VmRSS / VmHWM):");
	for (size_t i = 0; i < np; i++)
		fprintf(o, "  %s %.1f / %.1f MB", proc_name(b, i),
			(double)R->rss_kb[i] / 1024.0,
			(double)R->hwm_kb[i] / 1024.0);
	fprintf(o, "\n  CPU per call (throughput runs):");
	for (size_t i = 0; i < np; i++)
		fprintf(o, "  %s %.1f us", proc_name(b, i), s->cpu_us[i]);
	fprintf(o, "  all %.1f us", s->cpu_total_us);
	fprintf(o, "\n  cold start (scenario read to first result, median): "
		   "%.1f ms, of CPU time %.1f ms\n",
		s->cold, s->cold_cpu);
	if (cfg_is_secured(cfg))
		fprintf(o, "  cloakroom run %s --variant %s%s, whole (start, "
			   "call, stop; median): %.1f ms\n",
			SCENARIO, VARIANT, cfg_is_tls(cfg) ? "" : " --insecure",
			s->launch);
}

static void print_micro(FILE *o, const bench *b, bool markdown)
{
	json_t *items = json_object_get(b->micro, "items");
	size_t i;
	json_t *it;
	if (markdown)
		fprintf(o, "| item | ns/op |\n|---|---:|\n");
	json_array_foreach(items, i, it)
	{
		const char *name = json_string_value(json_object_get(it, "item"));
		double ns = json_number_value(json_object_get(it, "ns_per_op"));
		if (markdown)
			fprintf(o, "| %s | %.1f |\n", name ? name : "?", ns);
		else
			fprintf(o, "  %-44s %10.1f ns\n", name ? name : "?", ns);
	}
}

/* The closing block: targets, then the ratios of each pair, last. */
static void print_targets(FILE *o, const bench *b, const summary *s,
			  bool markdown)
{
	const char *li = markdown ? "- " : "";
	double dec = micro_decision_ns(b);
	json_t *sg = json_object_get(b->micro, "signed");
	double hop = json_number_value(json_object_get(sg, "hop_ns"));
	double hop_memo =
		json_number_value(json_object_get(sg, "hop_remembered_ns"));
	double proof = json_number_value(json_object_get(sg, "proof_ns"));
	double proof_t =
		json_number_value(json_object_get(sg, "proof_target_ns"));
	int rc = 0;
	for (int c = 1; c < NCFG; c++)
		if (c != CFG_MINIMAL && s[c].max_hwm_kb > s[rc].max_hwm_kb)
			rc = c;
	double rss = (double)s[rc].max_hwm_kb / 1024.0;
	fprintf(o, "%sper-hop decision (micro): %.0f ns (target <= %.0f ns): "
		   "%s\n",
		li, dec, T_DECISION_NS, met(dec <= T_DECISION_NS));
	fprintf(o, "%ssealed context per hop (micro: encode, seal, open, "
		   "decode): %.0f ns at first sight of the ticket, %.0f ns "
		   "with the ticket kept (as the daemons run), on top of the "
		   "decision\n",
		li, hop, hop_memo);
	fprintf(o, "%sper-call proof (micro: seal and open, ticket kept): "
		   "%.0f ns (target <= %.0f ns): %s\n",
		li, proof, proof_t, met(proof <= proof_t));
	fprintf(o, "%sdaemon RSS at 64 in flight: %.1f MB VmHWM, %s %s "
		   "(target <= %.0f MB): %s\n",
		li, rss, proc_name(b, s[rc].max_proc), cfg_name[rc], T_RSS_MB,
		met(rss <= T_RSS_MB));
	for (int p = 0; p < NPAIR; p++) {
		const summary *bs = &s[pair_bare[p]], *ss = &s[pair_sec[p]];
		fprintf(o, "%scold start %s: %.1f ms (%s %.1f ms; CPU time "
			   "%.1f ms, bare %.1f ms) (target <= %.0f ms): %s\n",
			li, cfg_name[pair_sec[p]], ss->cold,
			cfg_name[pair_bare[p]], bs->cold, ss->cold_cpu,
			bs->cold_cpu, T_COLD_MS, met(ss->cold <= T_COLD_MS));
	}
	const summary *mr = &s[CFG_MINIMAL], *br = &s[CFG_BARE];
	double floor_r = br->p50 / mr->p50;
	fprintf(o, "%sratio p50 latency bare/minimal relay, insecure "
		   "transport: %.3f (bare %.1f us, minimal %.1f us; target <= "
		   "%.2f): %s; throughput at 64 in flight bare/minimal %.3f\n",
		li, floor_r, br->p50, mr->p50, T_FLOOR_RATIO,
		met(floor_r <= T_FLOOR_RATIO),
		br->tput[NTP - 1] / mr->tput[NTP - 1]);
	for (int p = 0; p < NPAIR; p++) {
		const summary *bs = &s[pair_bare[p]], *ss = &s[pair_sec[p]];
		double p50r = ss->p50 / bs->p50;
		double tpr = ss->tput[NTP - 1] / bs->tput[NTP - 1];
		fprintf(o, "%sratio p50 latency secured/bare, %s: %.3f (target "
			   "<= %.2f): %s\n",
			li, pair_name[p], p50r, T_P50_RATIO,
			met(p50r <= T_P50_RATIO));
		fprintf(o, "%sratio throughput at 64 in flight secured/bare, "
			   "%s: %.3f (target >= %.2f): %s\n",
			li, pair_name[p], tpr, T_TPUT_RATIO,
			met(tpr >= T_TPUT_RATIO));
	}
}

static void print_rounds_md(FILE *o, const bench *b)
{
	fprintf(o, "| round | transport | p50 bare (us) | p50 secured (us) | "
		   "ratio | 64 in flight bare (calls/s) | secured | ratio |\n"
		   "|---:|---|---:|---:|---:|---:|---:|---:|\n");
	for (unsigned r = 0; r < b->res[CFG_SECURED_TLS].rounds; r++)
		for (int p = 0; p < NPAIR; p++) {
			const cfg_result *B = &b->res[pair_bare[p]];
			const cfg_result *S = &b->res[pair_sec[p]];
			fprintf(o, "| %u | %s | %.1f | %.1f | %.3f | %.0f | "
				   "%.0f | %.3f |\n",
				r + 1, pair_name[p], B->p50_us[r],
				S->p50_us[r], S->p50_us[r] / B->p50_us[r],
				B->tput[r][NTP - 1], S->tput[r][NTP - 1],
				S->tput[r][NTP - 1] / B->tput[r][NTP - 1]);
		}
}

/* One row of the main table: a figure of each configuration, pair by
 * pair, with the pair's ratio; "-" where a configuration has none. */
static void md_row(FILE *o, const char *label, const double v[NCFG],
		   const char *fmt, bool ratio)
{
	fprintf(o, "| %s ", label);
	for (int p = 0; p < NPAIR; p++) {
		double x = v[pair_bare[p]], y = v[pair_sec[p]];
		char a[32] = "-", c[32] = "-", r[32] = "";
		if (x > 0)
			snprintf(a, sizeof(a), fmt, x);
		if (y > 0)
			snprintf(c, sizeof(c), fmt, y);
		if (ratio && x > 0 && y > 0)
			snprintf(r, sizeof(r), "%.3f", y / x);
		fprintf(o, "| %s | %s | %s ", a, c, r);
	}
	fprintf(o, "|\n");
}

static int write_markdown(const bench *b, const char *path,
			  const summary *s, const char *mach)
{
	FILE *o = fopen(path, "w");
	if (!o)
		return -1;
	time_t now = time(NULL);
	char date[64];
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	fprintf(o, "<!-- written by `./cloakroom bench%s --out DIR`; do not "
		   "edit by hand -->\n\n",
		mode_flag(&b->P));
	fprintf(o, "Measured %s with `./cloakroom bench%s` (%u rounds of "
		   "bare, secured, bare over mutual TLS, secured over mutual "
		   "TLS, the minimal relay; %u sequential calls per run after %u warm-up calls; "
		   "%u ms per throughput level after %u warm-up calls).\n\n",
		date, mode_flag(&b->P), b->P.rounds, b->P.lat_calls,
		b->P.lat_warmup, b->P.tp_ms, b->P.tp_warmup);
	fprintf(o, "Machine: %s. Load average (1, 5, 15 min) at the start "
		   "%s, at the end %s. CPU during the run (`/proc/stat` less "
		   "the benchmark's own processes): %s.\n\n",
		mach, b->load_start, b->load_end, b->others);
	fprintf(o, "| | bare | secured | secured/bare | bare, mutual TLS | "
		   "secured, mutual TLS | secured/bare |\n"
		   "|---|---:|---:|---:|---:|---:|---:|\n");
	double v[NCFG];
#define ROW(label, expr, fmt, ratio)                                         \
	do {                                                                 \
		for (int c_ = 0; c_ < NCFG; c_++) {                          \
			const summary *x_ = &s[c_];                          \
			(void)x_;                                            \
			v[c_] = (expr);                                      \
		}                                                            \
		md_row(o, label, v, fmt, ratio);                             \
	} while (0)
	ROW("latency p50 (us)", x_->p50, "%.1f", true);
	ROW("latency p99 (us)", x_->p99, "%.1f", true);
	ROW("latency p99.9 (us)", x_->p999, "%.1f", true);
	char label[160];
	for (int t = 0; t < NTP; t++) {
		snprintf(label, sizeof(label),
			 "throughput, %u in flight (calls/s)", inflights[t]);
		ROW(label, x_->tput[t], "%.0f", true);
	}
	for (size_t i = 0; i <= b->n; i++) {
		snprintf(label, sizeof(label),
			 "%s (%s) at 64 in flight, VmHWM (MB)", proc_name(b, i),
			 i == b->client ? "load client"
			 : i == b->n    ? "the run's"
					: b->kids[i].name);
		ROW(label, (double)b->res[c_].hwm_kb[i] / 1024.0, "%.1f",
		    false);
	}
	for (size_t i = 0; i <= b->n; i++) {
		snprintf(label, sizeof(label), "CPU per call, %s (us)",
			 proc_name(b, i));
		ROW(label, x_->cpu_us[i], "%.1f", true);
	}
	ROW("CPU per call, all (us)", x_->cpu_total_us, "%.1f", true);
	ROW("cold start, scenario read to first result (ms)", x_->cold,
	    "%.1f", true);
	ROW("cold start, CPU time of every process (ms)", x_->cold_cpu,
	    "%.1f", true);
	ROW("`cloakroom run` of the seed diagram, whole (ms)", x_->launch,
	    "%.1f", false);
#undef ROW
	fprintf(o, "\n`-`: not in that configuration (the bare relay over "
		   "insecure credentials runs no authority; `cloakroom run` "
		   "has no bare mode). Latency percentiles pool every "
		   "sequential call of every run; throughput and cold start "
		   "are medians over the runs; RSS is the largest seen in "
		   "any run; CPU per call is the CPU time (user + system, all "
		   "threads) over the calls of the throughput runs (the "
		   "client's own clock; a server's `/proc/PID/stat`, 10 ms "
		   "ticks, over every call it served); the CPU time of a cold "
		   "start is the client's (reaped) and every live thread's of "
		   "the servers and the authority "
		   "(`/proc/PID/task/TID/schedstat`). Per round:\n\n");
	print_rounds_md(o, b);
	const summary *mr = &s[CFG_MINIMAL];
	fprintf(o, "\nThe floor, `minimal` (%s): latency p50 %.1f us, p99 "
		   "%.1f us; throughput 1/8/64 in flight %.0f / %.0f / %.0f "
		   "calls/s; CPU per call, all processes, %.1f us.\n",
		cfg_what(CFG_MINIMAL), mr->p50, mr->p99, mr->tput[0],
		mr->tput[1], mr->tput[2], mr->cpu_total_us);
	fprintf(o, "\n![latency distributions, secured against bare](%s)\n\n",
		FIG_SVG);
	fprintf(o, "Targets:\n\n");
	print_targets(o, b, s, true);
	fprintf(o, "\nMicro-benchmarks (`cloakroom-bench-micro%s`, median of "
		   "5):\n\n",
		b->P.quick ? " --quick" : "");
	print_micro(o, b, true);
	return fclose(o) == 0 ? 0 : -1;
}

/* Replace what lies between the markers of doc with the fragment. */

static int splice_doc(const char *doc, const char *frag_path)
{
	FILE *f = fopen(doc, "r");
	if (!f)
		return 1; /* no document: the fragment alone */
	char *text = NULL, *frag = NULL;
	size_t tl = 0, fl = 0;
	FILE *m = open_memstream(&text, &tl);
	int ch;
	while ((ch = fgetc(f)) != EOF)
		fputc(ch, m);
	fclose(f);
	fclose(m);
	f = fopen(frag_path, "r");
	m = open_memstream(&frag, &fl);
	while (f && (ch = fgetc(f)) != EOF)
		fputc(ch, m);
	if (f)
		fclose(f);
	fclose(m);
	int rc = 1;
	char *a = strstr(text, MARK_BEGIN);
	char *z = a ? strstr(a, MARK_END) : NULL;
	if (a && z) {
		f = fopen(doc, "w");
		rc = -1;
		if (f) {
			fwrite(text, 1, (size_t)(a - text) + strlen(MARK_BEGIN),
			       f);
			fprintf(f, "\n%s", frag);
			fputs(z, f);
			rc = fclose(f) == 0 ? 0 : -1;
		}
	}
	free(text);
	free(frag);
	return rc;
}

/* ---- main ---------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cloakroom bench [--quick | --smoke] [--rounds N] "
		"[--out DIR]\n"
		"\n"
		"Runs the seed diagram's chain A -> B -> C as real daemons, in\n"
		"alternating runs bare (--bare: the same relay over the same\n"
		"transport, no security work) and secured (signed contexts,\n"
		"the run's authority), each pair over insecure credentials\n"
		"(--insecure) and over mutual TLS (the default), and prints\n"
		"latency, throughput at 1/8/64 in flight, RSS, cold start, the\n"
		"micro-benchmarks and, last, the ratios secured/bare of each\n"
		"pair against the targets.\n"
		"  --quick     fewer calls, 1 round (about 30 s)\n"
		"  --smoke     tiny counts, 1 round: checks that it runs\n"
		"  --rounds N  rounds of the four runs (1 to 20; 5)\n"
		"  --out DIR   write the plot DIR/" FIG_SVG " and the\n"
		"              figures into DIR/" DOC_MD " between its\n"
		"              markers (or DIR/" FIG_MD " when it has none)\n"
		"Exit: 0 measured, 2 bad arguments, 3 the run failed.\n");
}

static int parse_args(bench *b, int argc, char **argv)
{
	params *P = &b->P;
	bool rounds_set = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--quick") == 0) {
			P->quick = true;
		} else if (strcmp(a, "--smoke") == 0) {
			P->quick = P->smoke = true;
		} else if (strcmp(a, "--out") == 0 && i + 1 < argc) {
			P->out_dir = argv[++i];
		} else if (strcmp(a, "--rounds") == 0 && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || v < 1 || v > MAX_ROUNDS) {
				fprintf(stderr, "cloakroom bench: --rounds "
						"takes 1 to %d\n",
					MAX_ROUNDS);
				return -1;
			}
			P->rounds = (unsigned)v;
			rounds_set = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		} else {
			fprintf(stderr, "cloakroom bench: unknown argument %s\n",
				a);
			usage(stderr);
			return -1;
		}
	}
	if (P->smoke) {
		P->lat_warmup = 5;
		P->lat_calls = 50;
		P->tp_warmup = 5;
		P->tp_ms = 100;
		if (!rounds_set)
			P->rounds = 1;
	} else if (P->quick) {
		P->lat_warmup = 20;
		P->lat_calls = 200;
		P->tp_warmup = 10;
		P->tp_ms = 250;
		/* One round of the four runs: under a minute on a busy
		 * machine (two rounds were, at times, not). */
		if (!rounds_set)
			P->rounds = 1;
	} else {
		P->lat_warmup = 200;
		P->lat_calls = 2000;
		P->tp_warmup = 100;
		P->tp_ms = 2000;
		if (!rounds_set)
			P->rounds = 5;
	}
	return 0;
}

static int find_paths(bench *b)
{
	const char *env = getenv("CLOAKROOM_BIN");
	if (env && *env) {
		snprintf(b->bin_root, sizeof(b->bin_root), "%s", env);
	} else {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			return -1;
		self[n] = 0;
		/* <build>/bench/cloakroom-bench -> <build> */
		snprintf(b->bin_root, sizeof(b->bin_root), "%s",
			 dirname(dirname(self)));
	}
	const char *src = getenv("CLOAKROOM_SOURCE");
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), "%s/" SCENARIO, src && *src ? src : ".");
	if (!realpath(rel, b->scenario) ||
	    !realpath(src && *src ? src : ".", b->source)) {
		fprintf(stderr, "cloakroom bench: cannot find %s (run from the "
				"source tree or set CLOAKROOM_SOURCE)\n",
			rel);
		return -1;
	}
	return 0;
}

/* Every round of every configuration, then the micro-benchmarks. 0, or
 * -1 with err (the daemons stopped). */
static int run_rounds(bench *b, char *err, size_t errlen)
{
	for (unsigned r = 0; r < b->P.rounds; r++) {
		for (int c = 0; c < NCFG; c++) {
			if (spawn_interrupted() ||
			    run_one(b, (cfg_kind)c, r, err, errlen) != 0) {
				if (spawn_interrupted())
					snprintf(err, errlen, "interrupted");
				spawn_stop_all(b->kids, b->nk, stop_grace_ms());
				return -1;
			}
			const cfg_result *R = &b->res[c];
			printf("run %u %-12s p50 %8.1f us  throughput 1/8/64 in "
			       "flight %6.0f %6.0f %6.0f calls/s  cold %6.1f "
			       "ms\n",
			       r + 1, cfg_name[c], R->p50_us[r], R->tput[r][0],
			       R->tput[r][1], R->tput[r][2], R->cold_ms[r]);
		}
	}
	return run_micro(b, err, errlen);
}

/* --out DIR: the latency plot, and the figures spliced into
 * DIR/benchmarks.md between its markers (or alone as
 * DIR/benchmarks-figures.md). 0, or 3 said on stderr. */
static int write_figures(bench *b, const summary *s, const char *mach)
{
	char md[PATH_MAX + 64], svg[PATH_MAX + 64], doc[PATH_MAX + 64];
	char frag[PATH_MAX];
	snprintf(md, sizeof(md), "%s/" FIG_MD, b->P.out_dir);
	snprintf(frag, sizeof(frag), "%s/" FIG_MD, b->run_dir);
	snprintf(svg, sizeof(svg), "%s/" FIG_SVG, b->P.out_dir);
	snprintf(doc, sizeof(doc), "%s/" DOC_MD, b->P.out_dir);
	plot_series ps[NCFG] = {
		{.label = "bare", .color = "#9ecae1"},
		{.label = "secured", .color = "#fdae6b"},
		{.label = "bare, mutual TLS", .color = "#1f77b4"},
		{.label = "secured, mutual TLS", .color = "#d62728"},
		{.label = "minimal relay", .color = "#2ca02c"},
	};
	for (int c = 0; c < NCFG; c++) {
		ps[c].ns = b->res[c].lat;
		ps[c].count = b->res[c].lat_n;
	}
	if (mkdir(b->P.out_dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "cloakroom bench: cannot create %s: %s\n",
			b->P.out_dir, strerror(errno));
		return 3;
	}
	if (plot_latency_cdf(svg, "Sequential calls A -&gt; B -&gt; C: bare "
				  "gRPC and the secured chain",
			     ps, NCFG) != 0 ||
	    write_markdown(b, frag, s, mach) != 0) {
		fprintf(stderr, "cloakroom bench: cannot write %s\n",
			b->P.out_dir);
		return 3;
	}
	int sp = splice_doc(doc, frag);
	const char *where = sp == 1 ? md : doc;
	if (sp == 1 && write_markdown(b, md, s, mach) != 0)
		sp = -1;
	if (sp < 0) {
		fprintf(stderr, "cloakroom bench: cannot write %s\n", where);
		return 3;
	}
	printf("\nwrote %s and %s\n", svg, where);
	return 0;
}

int main(int argc, char **argv)
{
	static bench b;
	if (parse_args(&b, argc, argv) != 0 || find_paths(&b) != 0)
		return 2;
	if (util_mkdtemp(b.run_dir, sizeof(b.run_dir), "cloakroom-bench")) {
		fprintf(stderr, "cloakroom bench: cannot create a run "
			"directory: %s\n", strerror(errno));
		return 3;
	}
	spawn_install_signals();
	setvbuf(stdout, NULL, _IOLBF, 0);

	char mach[640], err[512] = "";
	machine(mach, sizeof(mach));
	load_avg(b.load_start, sizeof(b.load_start));
	cpu_ticks ticks0, ticks1;
	machine_ticks(&ticks0);
	double own0 = own_cpu_s();
	uint64_t wall0 = util_now_ns();
	printf("cloakroom bench%s: %s (variant %s), %u rounds of bare, "
	       "secured, bare-mtls, secured-mtls, minimal\n",
	       mode_flag(&b.P), SCENARIO, VARIANT, b.P.rounds);
	printf("machine: %s\nload average at start: %s\n", mach, b.load_start);
	if (b.P.smoke)
		printf("--smoke: too few calls for the figures to mean "
		       "anything; it only shows that the benchmark runs\n");
	int rc = 0;
	if (run_rounds(&b, err, sizeof(err)) != 0) {
		fprintf(stderr, "cloakroom bench: %s\n", err);
		fprintf(stderr, "cloakroom bench: logs kept in %s\n", b.run_dir);
		rc = 3;
	} else {
		load_avg(b.load_end, sizeof(b.load_end));
		machine_ticks(&ticks1);
		describe_others(b.others, sizeof(b.others), &ticks0, &ticks1,
				own_cpu_s() - own0, ms_since(wall0) / 1e3);
		summary s[NCFG];
		for (int c = 0; c < NCFG; c++) {
			qsort(b.res[c].lat, b.res[c].lat_n, sizeof(uint64_t),
			      cmp_u64);
			summarize(&b, (cfg_kind)c, &s[c]);
		}
		printf("load average at end: %s\nCPU during the run: %s\n\n",
		       b.load_end, b.others);
		for (int c = 0; c < NCFG; c++)
			print_config(stdout, &b, (cfg_kind)c, &s[c]);
		printf("\nmicro-benchmarks (cloakroom-bench-micro%s, median of "
		       "5):\n", b.P.quick ? " --quick" : "");
		print_micro(stdout, &b, false);
		if (b.P.out_dir)
			rc = write_figures(&b, s, mach);
		printf("\ntargets:\n");
		print_targets(stdout, &b, s, false);
		util_rm_tree(b.run_dir);
	}
	for (int c = 0; c < NCFG; c++)
		free(b.res[c].lat);
	json_decref(b.micro);
	return rc;
}
