/* launch.c: the cloakroom launcher. Checks the scenario (nothing starts on
 * bad input), starts the daemons of each variant as OS processes, collects
 * the trace that comes back along the reply chain, checks expectations and
 * reports. It never initialises gRPC (it forks), and it stops every process
 * it started, whatever happens.
 * Exit: 0 all expectations held, 1 one failed, 2 bad input, 3 the run
 * failed (a daemon did not start or died, or a signal). */
#include "check.h"
#include "codec.h"
#include "diff.h"
#include "explain.h"
#include "svg.h"
#include "matrix.h"
#include "netns.h"
#include "report.h"

int cmd_paths(int argc, char **argv); /* paths/cmd_paths.c */
int cmd_import(int argc, char **argv); /* import/cmd_import.c */
#include "sc_load.h"
#include "spawn.h"
#include "stress.h"
#include "warm.h"

#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The deadline of a call when the run sets none (proto/rpc.c). */
#define RPC_DEFAULT_DEADLINE_MS 30000

typedef enum out_format {
	OUT_TEXT = 0,
	OUT_OBJECT,     /* --json: one object, a stable interface */
	OUT_JSONL,      /* --format json: one event a line */
	OUT_MERMAID,
	OUT_SVG,        /* --format svg: procA/svg.c */
} out_format;

typedef struct opts {
	const char *file;
	const char *variant;
	out_format format;
	bool format_set;
	bool explain;
	bool keep_logs;
	int timeout_ms;
	char **sets;         /* KEY=VALUE given to every daemon (matrix) */
	size_t sets_count;
	const char *skew_ms; /* --clock-skew-ms, given to every daemon */
	bool insecure;       /* --insecure: no mutual TLS between daemons */
	bool netns;          /* --hosts netns */
} opts;

static char bin_root[PATH_MAX];

/* snprintf that reports truncation (a path too long is an error). */
__attribute__((format(printf, 3, 4))) static bool fmt(char *buf, size_t len,
						      const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < len;
}

static void usage(FILE *out)
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
		"       cloakroom import FILE... --out DIR [--domain NAME]\n"
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

static int find_bin_root(void)
{
	const char *env = getenv("CLOAKROOM_BIN");
	if (env && *env) {
		snprintf(bin_root, sizeof(bin_root), "%s", env);
		return 0;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	/* <build>/procA/cloakroom-launch -> <build> */
	char *d = dirname(self);
	d = dirname(d);
	snprintf(bin_root, sizeof(bin_root), "%s", d);
	return 0;
}

static void print_load_errors(const sc_load_errors *errs)
{
	for (size_t i = 0; i < errs->count; i++) {
		char line[1024];
		sc_load_error_format(&errs->items[i], line, sizeof(line));
		fprintf(stderr, "%s\n", line);
	}
}

/* The address a host's daemons listen on: its own, or 127.0.0.(10+i) so
 * that a remote hop is a different address even on loopback. */
static void host_addr(const sc_scenario *s, const netns_set *ns,
		      const char *host, char *buf, size_t len)
{
	for (unsigned i = 0; i < s->hosts_count; i++) {
		if (strcmp(s->hosts[i].name, host) != 0)
			continue;
		if (ns && i < ns->count)
			snprintf(buf, len, "%s", ns->addrs[i]);
		else if (s->hosts[i].address && *s->hosts[i].address)
			snprintf(buf, len, "%s", s->hosts[i].address);
		else
			snprintf(buf, len, "127.0.0.%u", 10 + i);
		return;
	}
	snprintf(buf, len, "127.0.0.1");
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

typedef struct launch {
	const opts *o;
	char run_dir[PATH_MAX];
	int exit_code;
	netns_set *ns;           /* --hosts netns, else NULL */
	char auth_dir[PATH_MAX]; /* this variant's authority files */
	char authority[160];     /* and its address */
	bool warm;               /* daemons that take cases (launch_pool) */
} launch;

/* Whether p has a call step to name. */
static bool calls(const sc_process_def *p, const char *name)
{
	for (unsigned k = 0; k < p->steps_count; k++)
		if (p->steps[k].kind == SC_STEP_CALL && p->steps[k].to &&
		    strcmp(p->steps[k].to, name) == 0)
			return true;
	return false;
}

/* The file where server name's address is written once it listens, for
 * the servers started before it that call it (a cyclic call graph). */
static void addr_file(const launch *L, const char *variant, const char *name,
		      char *buf, size_t len)
{
	fmt(buf, len, "%s/%s%s%s.addr", L->run_dir, variant ? variant : "",
	    variant ? "-" : "", name);
}

/* Publish a listening server's address: written aside, then renamed, so
 * that a reader never sees half of it. */
static int publish_addr(const launch *L, const char *variant,
			const char *name, const char *addr)
{
	char path[PATH_MAX + 64], tmp[PATH_MAX + 80];
	addr_file(L, variant, name, path, sizeof(path));
	fmt(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	bool ok = fprintf(f, "%s\n", addr) > 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Start process i of the run: a server listening on listen (ready on fd
 * 3), or, with listen NULL, a client (result on fd 3). Peers are every
 * server already started, and, as "@FILE" (read at the first call), the
 * servers not started yet: a call graph with a cycle (a call back into a
 * waiting caller) starts in any order, and every server is listening
 * before the first client runs. CLOAKROOM_DAEMON_WRAPPER (e.g.
 * "valgrind -q") is put in front of the daemon's command line. */
static int start_daemon(launch *L, run_result *r, size_t i,
			const char *variant, char (*addr)[160],
			const bool *started, const char *listen, char *err,
			size_t errlen)
{
	size_t n = r->scn->processes_count;
	char peers[16][640];
	char *peer_args[16];
	char *extra[2 * MATRIX_MAX_SETS + 9];
	size_t np = 0, ne = 0;
	for (size_t k = 0; k < L->o->sets_count && k < MATRIX_MAX_SETS; k++) {
		extra[ne++] = "--set";
		extra[ne++] = L->o->sets[k];
	}
	if (i < n) { /* a scenario process: the authority vouches for it */
		extra[ne++] = "--auth-dir";
		extra[ne++] = L->auth_dir;
		extra[ne++] = "--authority";
		extra[ne++] = L->authority;
	} else { /* the authority writes them */
		extra[ne++] = "--dir";
		extra[ne++] = L->auth_dir;
	}
	if (L->o->insecure)
		extra[ne++] = "--insecure";
	if (L->warm) {
		extra[ne++] = "--control-fd";
		extra[ne++] = "4";
		r->children[i].warm = true;
	}
	if (L->o->skew_ms) {
		extra[ne++] = "--clock-skew-ms";
		extra[ne++] = (char *)L->o->skew_ms;
	}
	const sc_process_def *self = i < n ? &r->scn->processes[i] : NULL;
	for (size_t t = 0; addr && self && t < n && np < 16; t++) {
		if (!started[t]) {
			if (t == i ||
			    strcmp(r->children[t].program, "procA") == 0 ||
			    !calls(self, r->children[t].name))
				continue;
			char path[PATH_MAX + 64];
			addr_file(L, variant, r->children[t].name, path,
				  sizeof(path));
			fmt(peers[np], sizeof(peers[np]), "%s=@%s",
			    r->children[t].name, path);
			peer_args[np] = peers[np];
			np++;
			continue;
		}
		snprintf(peers[np], sizeof(peers[np]), "%s=%s",
			 r->children[t].name, addr[t]);
		peer_args[np] = peers[np];
		np++;
	}
	spawn_daemon d = {
		.bin_root = bin_root,
		.scenario = L->o->file,
		.variant = variant,
		.listen = listen,
		.timeout_ms = L->o->timeout_ms,
		.peers = peer_args,
		.peers_count = np,
		.extra = extra,
		.extra_count = ne,
	};
	return spawn_daemon_start(&r->children[i], &d, err, errlen);
}

/* The run's domain authority (child n of r->children): it makes this
 * variant's keys and credentials in L->auth_dir and serves tickets. */
static int start_authority(launch *L, run_result *r, const char *variant,
			   char *err, size_t errlen)
{
	size_t n = r->scn->processes_count;
	child *c = &r->children[n];
	snprintf(c->name, sizeof(c->name), "authority");
	snprintf(c->program, sizeof(c->program), "authority");
	if (!fmt(L->auth_dir, sizeof(L->auth_dir), "%s/%s%sauth-XXXXXX",
		 L->run_dir, variant ? variant : "", variant ? "-" : "") ||
	    !fmt(c->log_path, sizeof(c->log_path), "%s/%s%sauthority.log",
		 L->run_dir, variant ? variant : "", variant ? "-" : "")) {
		snprintf(err, errlen, "path too long: %.200s", L->run_dir);
		return -1;
	}
	/* One directory per start: matrix cases share the run directory. */
	if (!mkdtemp(L->auth_dir)) {
		snprintf(err, errlen, "cannot create %.180s: %s", L->auth_dir,
			 strerror(errno));
		return -1;
	}
	char listen[32] = "127.0.0.1";
	if (L->ns) {
		snprintf(listen, sizeof(listen), "%s",
			 L->ns->addrs[L->ns->count - 1]);
		snprintf(c->netns, sizeof(c->netns), "%s",
			 L->ns->names[L->ns->count - 1]);
	}
	strcat(listen, ":0");
	int port = 0;
	if (start_daemon(L, r, n, variant, NULL, NULL, listen, err,
			 errlen) != 0 ||
	    spawn_wait_ready(c, r->children, n + 1, spawn_ready_timeout_ms(),
			     &port, err, errlen) != 0)
		return -1;
	listen[strlen(listen) - 2] = '\0';
	snprintf(L->authority, sizeof(L->authority), "%s:%d", listen, port);
	return 0;
}

/* Fill r's children (the scenario's processes, then the authority) and
 * start the authority and the servers, callees before callers; a warm
 * set (L->warm) starts its clients too, which then wait for cases.
 * addr and started (n each) receive the servers' addresses. 0, or -1
 * with r->error. */
static int cast_start(launch *L, const char *variant, run_result *r,
		      char (*addr)[160], bool *started)
{
	sc_scenario *s = r->scn;
	size_t n = s->processes_count;
	size_t total = n + 1; /* and the authority */
	r->children = calloc(total, sizeof(child));
	r->hosts_of = calloc(n, sizeof(*r->hosts_of));
	r->accounts_of = calloc(n, sizeof(*r->accounts_of));
	if (!r->children || !r->hosts_of || !r->accounts_of) {
		snprintf(r->error, sizeof(r->error), "out of memory");
		return -1;
	}
	r->children[n].pid = -1;
	r->children[n].fd = -1;
	r->children[n].ctl = -1;
	for (size_t i = 0; i < n; i++) {
		const sc_process_def *p = &s->processes[i];
		child *c = &r->children[i];
		c->pid = -1;
		c->fd = -1;
		c->ctl = -1;
		snprintf(c->name, sizeof(c->name), "%s", p->name);
		snprintf(c->program, sizeof(c->program), "%s",
			 sc_scenario_program(s, p));
		snprintf(r->hosts_of[i], sizeof(r->hosts_of[i]), "%s", p->host);
		for (unsigned h = 0; L->ns && h < s->hosts_count; h++)
			if (strcmp(s->hosts[h].name, p->host) == 0 &&
			    h < L->ns->count)
				snprintf(c->netns, sizeof(c->netns), "%s",
					 L->ns->names[h]);
		if (strchr(p->account, '\\') || !s->domain.name ||
		    sc_scenario_account(s, p->account) == NULL)
			snprintf(r->accounts_of[i], sizeof(r->accounts_of[i]),
				 "%s", p->account);
		else
			snprintf(r->accounts_of[i], sizeof(r->accounts_of[i]),
				 "%s\\%s", s->domain.name, p->account);
		fmt(c->log_path, sizeof(c->log_path), "%s/%s%s%s.log",
			 L->run_dir, variant ? variant : "", variant ? "-" : "",
			 p->name);
	}

	{
		char err[256];
		if (start_authority(L, r, variant, err, sizeof(err)) != 0) {
			snprintf(r->error, sizeof(r->error), "authority: %s",
				 err);
			return -1;
		}
	}

	/* Servers, in dependency order: a server starts once every process
	 * it calls is listening; in a cycle, the first one waiting starts
	 * anyway and learns the others' addresses from their files. */
	size_t servers = 0, up = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(r->children[i].program, "procA") != 0)
			servers++;
	bool force = false;
	while (up < servers) {
		bool progress = false;
		for (size_t i = 0; i < n; i++) {
			child *c = &r->children[i];
			const sc_process_def *p = &s->processes[i];
			if (started[i] || strcmp(c->program, "procA") == 0)
				continue;
			bool ready = true;
			for (unsigned k = 0; k < p->steps_count; k++) {
				const sc_step *st = &p->steps[k];
				if (st->kind != SC_STEP_CALL)
					continue;
				const sc_process_def *t =
					sc_scenario_process(s, st->to);
				size_t ti = (size_t)(t - s->processes);
				ready = ready && started[ti];
			}
			if (!ready && !force)
				continue;
			force = false;
			char listen[192];
			host_addr(s, L->ns, p->host, listen, sizeof(listen));
			strcat(listen, ":0");
			char err[256];
			int port = 0;
			if (start_daemon(L, r, i, variant, addr, started, listen,
					 err, sizeof(err)) != 0 ||
			    spawn_wait_ready(c, r->children, total,
					     spawn_ready_timeout_ms(), &port,
					     err, sizeof(err)) != 0) {
				snprintf(r->error, sizeof(r->error), "%s", err);
				return -1;
			}
			listen[strlen(listen) - 2] = '\0';
			fmt(addr[i], sizeof(addr[i]), "%s:%d", listen,
				 port);
			if (publish_addr(L, variant, c->name, addr[i]) != 0) {
				snprintf(r->error, sizeof(r->error),
					 "cannot write the address of %s in %.300s",
					 c->name, L->run_dir);
				return -1;
			}
			started[i] = true;
			up++;
			progress = true;
		}
		if (!progress)
			force = true; /* a cycle: see above */
	}

	/* Warm clients start now and wait for their first case. */
	for (size_t i = 0; L->warm && i < n; i++) {
		char err[256];
		if (strcmp(r->children[i].program, "procA") == 0 &&
		    start_daemon(L, r, i, variant, addr, started, NULL, err,
				 sizeof(err)) != 0) {
			snprintf(r->error, sizeof(r->error), "%s", err);
			return -1;
		}
	}
	return 0;
}

/* Append a client's trace (buf, from the wire) to r->trace, its steps'
 * hop indices moved along. 0, or -1 with r->error. */
static int trace_merge(run_result *r, const char *client, const uint8_t *buf,
		       size_t len)
{
	char err[256];
	sc_trace part;
	sc_trace_init(&part);
	if (codec_trace_decode(buf, len, &part, err, sizeof(err)) != 0) {
		snprintf(r->error, sizeof(r->error),
			 "client %s reported an unreadable trace: %s", client,
			 err);
		sc_trace_free(&part);
		return -1;
	}
	int first = sc_trace_move(&r->trace, &part);
	for (size_t k = 0; k < part.steps_count; k++) {
		sc_step_result *d = sc_trace_add_step(&r->trace, -1);
		if (!d)
			break;
		sc_log_free(&d->log);
		*d = part.steps[k];
		sc_log_init(&part.steps[k].log);
		if (d->hop >= 0)
			d->hop += first;
	}
	sc_trace_free(&part);
	return 0;
}

/* A server that died during the run fails it, even if the clients
 * finished. 0, or -1 with r->error. */
static int none_dead(run_result *r, size_t total)
{
	child *dead = spawn_reap(r->children, total);
	if (!dead)
		return 0;
	char d[64];
	spawn_describe(dead, d, sizeof(d));
	snprintf(r->error, sizeof(r->error), "daemon %s (%s, pid %ld) %s",
		 dead->name, dead->program, (long)dead->pid, d);
	return -1;
}

/* Stop every daemon of r; one that does not stop cleanly (a crash or a
 * leak report at exit, a hang past the grace period) fails the run too
 * (r->ran false, r->error). */
static void cast_stop(run_result *r, size_t total)
{
	if (!r->children)
		return;
	spawn_stop_all(r->children, total, spawn_stop_grace_ms());
	for (size_t i = 0; r->ran && i < total; i++) {
		child *c = &r->children[i];
		if (c->pid <= 0 || (WIFEXITED(c->wstatus) &&
				    WEXITSTATUS(c->wstatus) == 0))
			continue;
		char d[64];
		spawn_describe(c, d, sizeof(d));
		snprintf(r->error, sizeof(r->error),
			 "daemon %s (%s, pid %ld) did not stop cleanly: %s",
			 c->name, c->program, (long)c->pid, d);
		r->ran = false;
	}
}

/* The expectations of a completed run, or the logs of a failed one. */
static void run_judge(run_result *r, size_t total)
{
	sc_scenario *s = r->scn;
	if (r->ran) {
		r->expect_count = s->expect_count;
		r->expects = calloc(s->expect_count ? s->expect_count : 1,
				    sizeof(*r->expects));
		if (r->expects)
			r->failed = sc_expect_eval(s->expect, s->expect_count,
						   &r->trace, r->expects);
	} else {
		for (size_t i = 0; r->children && i < total; i++) {
			child *c = &r->children[i];
			if (c->pid > 0 && c->reaped && !c->expected_exit)
				fprintf(stderr, "cloakroom: see %s\n",
					c->log_path);
		}
	}
}

/* How long a client may take to answer the launcher: its own work (as
 * long as a daemon may take to start, scaled for slow daemons) and, for
 * each of its call steps, the call's deadline (everything downstream runs
 * within it), and each of its sleeps. The launcher never gives up on a
 * client its own deadlines still bound: a slow run ends with the hop that
 * ran out of time, named in the trace, and the launcher's limit catches
 * only a client that hangs. started: the client is already running. */
static int client_answer_ms(const sc_process_def *p, int timeout_ms,
			    bool started)
{
	int64_t call = timeout_ms > 0 ? timeout_ms : RPC_DEFAULT_DEADLINE_MS;
	int64_t ms = (int64_t)spawn_ready_timeout_ms() * (started ? 1 : 2);
	for (unsigned i = 0; p && i < p->steps_count; i++) {
		if (p->steps[i].kind == SC_STEP_CALL)
			ms += call;
		else if (p->steps[i].kind == SC_STEP_SLEEP)
			ms += p->steps[i].ms;
	}
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Start the authority, the servers (callees before callers), then each
 * client; collect its trace. */
static void run_variant(launch *L, const char *variant, run_result *r)
{
	sc_scenario *s = r->scn;
	size_t n = s->processes_count;
	size_t total = n + 1; /* and the authority */
	char (*addr)[160] = calloc(n ? n : 1, sizeof(*addr));
	bool *started = calloc(n ? n : 1, sizeof(bool));
	sc_trace_init(&r->trace);
	if (!addr || !started) {
		snprintf(r->error, sizeof(r->error), "out of memory");
		goto out;
	}
	if (cast_start(L, variant, r, addr, started) != 0)
		goto out;

	/* Clients, one after the other, in the order they are declared. */
	for (size_t i = 0; i < n; i++) {
		child *c = &r->children[i];
		if (strcmp(c->program, "procA") != 0)
			continue;
		char err[256];
		uint8_t *buf = NULL;
		size_t len = 0;
		if (start_daemon(L, r, i, variant, addr, started, NULL, err,
				 sizeof(err)) != 0 ||
		    spawn_read_result(c, r->children, total,
				      client_answer_ms(&s->processes[i],
						       L->o->timeout_ms, false),
				      &buf, &len, err, sizeof(err)) != 0) {
			snprintf(r->error, sizeof(r->error), "%s", err);
			goto out;
		}
		int rc = trace_merge(r, c->name, buf, len);
		free(buf);
		if (rc != 0)
			goto out;
	}
	if (none_dead(r, total) != 0)
		goto out;
	r->ran = true;
out:
	cast_stop(r, total);
	r->children_count = n; /* the report lists the scenario's processes */
	free(addr);
	free(started);
	run_judge(r, total);
}

/* ---- warm daemons: one set serves many cases ----------------------- */

/* What a set of daemons is bound to: per process its program, host and
 * listening address, account (name and SID, which its credential and
 * certificate carry), misbehaviour (fixed at its start) and whom it
 * calls (its peers). Two cases with the same key run on the same set;
 * everything else (levels, cloaking, flags, privileges, objects, steps
 * other than whom they call) is the case's, loaded per case. A malloc'd
 * string, or NULL when out of memory. */
char *launch_cast_key(const sc_scenario *s)
{
	char *key = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&key, &len);
	if (!f)
		return NULL;
	fprintf(f, "domain=%s\n", s->domain.name ? s->domain.name : "");
	for (unsigned i = 0; i < s->processes_count; i++) {
		const sc_process_def *p = &s->processes[i];
		char addr[192];
		host_addr(s, NULL, p->host, addr, sizeof(addr));
		sc_runtime *rt = NULL;
		sc_log log;
		sc_log_init(&log);
		const char *sid = "-";
		if (sc_runtime_new(s, p->name, &rt, &log) == SC_OK)
			sid = sc_token_user_sid(sc_runtime_token(rt));
		fprintf(f, "%s %s %s %s %s %s %d calls", p->name,
			sc_scenario_program(s, p),
			p->host, addr, p->account, sid, (int)p->misbehave);
		for (unsigned k = 0; k < p->steps_count; k++)
			if (p->steps[k].kind == SC_STEP_CALL && p->steps[k].to)
				fprintf(f, " %s", p->steps[k].to);
		fputc('\n', f);
		sc_runtime_free(rt);
		sc_log_free(&log);
	}
	if (fclose(f) != 0) {
		free(key);
		return NULL;
	}
	return key;
}

struct launch_pool {
	opts o;
	launch L;
	run_result set;  /* the running set: its children and first case */
	size_t total;    /* its children, the authority included */
	char *cast;      /* its launch_cast_key; NULL when none runs */
	unsigned sets;   /* sets started */
	unsigned cases;  /* cases run on a running set */
	bool unclean;    /* a set did not stop cleanly */
	char *sets_kept[MATRIX_MAX_SETS];
};

launch_pool *launch_pool_new(const char *run_dir, int timeout_ms)
{
	launch_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->o.timeout_ms = timeout_ms;
	p->L.o = &p->o;
	p->L.warm = true;
	snprintf(p->L.run_dir, sizeof(p->L.run_dir), "%s", run_dir);
	return p;
}

/* Forget the set (its daemons stopped already). */
static void pool_release(launch_pool *p)
{
	free(p->set.children);
	free(p->set.hosts_of);
	free(p->set.accounts_of);
	sc_load_free(p->set.scn);
	memset(&p->set, 0, sizeof(p->set));
	free(p->cast);
	p->cast = NULL;
	for (size_t i = 0; i < MATRIX_MAX_SETS; i++) {
		free(p->sets_kept[i]);
		p->sets_kept[i] = NULL;
	}
}

/* Stop the running set, if any. */
static void pool_stop(launch_pool *p)
{
	if (!p->cast)
		return;
	p->set.ran = true;
	cast_stop(&p->set, p->total);
	if (!p->set.ran) {
		fprintf(stderr, "cloakroom: %s\n", p->set.error);
		p->unclean = true;
	}
	pool_release(p);
}

int launch_pool_free(launch_pool *p)
{
	if (!p)
		return 0;
	pool_stop(p);
	int rc = p->unclean ? -1 : 0;
	free(p);
	return rc;
}

unsigned launch_pool_sets_started(const launch_pool *p)
{
	return p->sets;
}

/* Start a set for the cast of file (variant, sets): its daemons load
 * that case at their start. 0, or -1 with err. */
static int pool_start(launch_pool *p, const char *file, const char *variant,
		      char **sets, size_t nsets, char *cast, char *err,
		      size_t errlen)
{
	sc_load_errors errs = {0};
	memset(&p->set, 0, sizeof(p->set));
	if (sc_load_file(file, variant, &p->set.scn, &errs) != 0) {
		sc_load_errors_free(&errs);
		snprintf(err, errlen, "%s does not load", file);
		free(cast);
		return -1;
	}
	sc_load_errors_free(&errs);
	for (size_t i = 0; i < nsets && i < MATRIX_MAX_SETS; i++) {
		p->sets_kept[i] = strdup(sets[i]);
		if (!p->sets_kept[i] ||
		    sc_scenario_set(p->set.scn, sets[i], err, errlen) != 0) {
			if (!p->sets_kept[i])
				snprintf(err, errlen, "out of memory");
			p->cast = cast; /* pool_release frees all */
			pool_release(p);
			return -1;
		}
	}
	/* The daemons keep the command line's strings: the pool owns them. */
	p->o.file = file;
	p->o.sets = p->sets_kept;
	p->o.sets_count = nsets < MATRIX_MAX_SETS ? nsets : MATRIX_MAX_SETS;
	p->cast = cast;
	p->total = p->set.scn->processes_count + 1;
	p->sets++;
	size_t n = p->set.scn->processes_count;
	char (*addr)[160] = calloc(n ? n : 1, sizeof(*addr));
	bool *started = calloc(n ? n : 1, sizeof(bool));
	int rc = addr && started ? cast_start(&p->L, variant, &p->set, addr,
					      started)
				 : -1;
	if (rc != 0)
		snprintf(err, errlen, "%s",
			 addr && started ? p->set.error : "out of memory");
	free(addr);
	free(started);
	if (rc != 0) {
		cast_stop(&p->set, p->total);
		run_judge(&p->set, p->total); /* names the logs */
		pool_release(p);
		return -1;
	}
	return 0;
}

/* The control line of a case, or NULL when a field holds a tab or a
 * newline (or the variant is "-", which stands for none): such a case
 * runs cold. */
static char *case_line(const char *file, const char *variant, char **sets,
		       size_t nsets)
{
	if (strpbrk(file, "\t\n") ||
	    (variant && (strpbrk(variant, "\t\n") || !*variant ||
			 strcmp(variant, "-") == 0)))
		return NULL;
	for (size_t i = 0; i < nsets; i++)
		if (strpbrk(sets[i], "\t\n") || !*sets[i])
			return NULL;
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);
	if (!f)
		return NULL;
	fprintf(f, "CASE\t%s\t%s", file, variant ? variant : "-");
	for (size_t i = 0; i < nsets; i++)
		fprintf(f, "\t%s", sets[i]);
	fputc('\n', f);
	if (fclose(f) != 0) {
		free(line);
		return NULL;
	}
	return line;
}

/* Run the case line on the running set: every server and the authority
 * take it (all at once), then each client runs it in turn and answers its
 * trace. 0, or -1 with r->error. */
static int pool_case(launch_pool *p, const char *line, run_result *r)
{
	child *all = p->set.children;
	size_t total = p->total;
	char err[256] = "";
	for (size_t i = 0; i < total; i++)
		if (strcmp(all[i].program, "procA") != 0 &&
		    spawn_tell(&all[i], line, err, sizeof(err)) != 0)
			goto fail;
	for (size_t i = 0; i < total; i++) {
		if (strcmp(all[i].program, "procA") == 0)
			continue;
		uint8_t *buf = NULL;
		size_t len = 0;
		if (spawn_answer(&all[i], all, total, spawn_ready_timeout_ms(),
				 &buf, &len, err, sizeof(err)) != 0)
			goto fail;
		bool ok = strncmp((char *)buf, "OK\n", 3) == 0;
		if (!ok)
			snprintf(err, sizeof(err), "%s (%s): %.*s", all[i].name,
				 all[i].program,
				 (int)strcspn((char *)buf, "\n"), (char *)buf);
		free(buf);
		if (!ok)
			goto fail;
	}
	for (size_t i = 0; i < total; i++) {
		if (strcmp(all[i].program, "procA") != 0)
			continue;
		uint8_t *buf = NULL;
		size_t len = 0;
		int wait_ms = client_answer_ms(
			sc_scenario_process(r->scn, all[i].name),
			p->o.timeout_ms, true);
		if (spawn_ask(&all[i], all, total, wait_ms, line, &buf, &len,
			      err, sizeof(err)) != 0)
			goto fail;
		char *nl = memchr(buf, '\n', len);
		if (strncmp((char *)buf, "RESULT ", 7) != 0 || !nl) {
			snprintf(err, sizeof(err), "client %s: %.*s",
				 all[i].name, (int)strcspn((char *)buf, "\n"),
				 (char *)buf);
			free(buf);
			goto fail;
		}
		size_t head = (size_t)(nl + 1 - (char *)buf);
		int rc = trace_merge(r, all[i].name, buf + head, len - head);
		free(buf);
		if (rc != 0)
			return -1;
	}
	if (none_dead(&p->set, total) != 0) {
		snprintf(r->error, sizeof(r->error), "%s", p->set.error);
		return -1;
	}
	return 0;
fail:
	snprintf(r->error, sizeof(r->error), "%s", err);
	return -1;
}

int launch_pool_run(launch_pool *p, const char *file, const char *variant,
		    char **sets, size_t nsets, run_result *r)
{
	sc_trace_init(&r->trace);
	char *line = case_line(file, variant, sets, nsets);
	char *cast = line ? launch_cast_key(r->scn) : NULL;
	if (!cast) {
		free(line);
		return launch_run_case(file, variant, sets, nsets,
				       p->L.run_dir, p->o.timeout_ms, r);
	}
	int rc = 0;
	if (p->cast && strcmp(p->cast, cast) == 0) {
		free(cast);
	} else {
		char err[512];
		pool_stop(p);
		if (pool_start(p, file, variant, sets, nsets, cast, err,
			       sizeof(err)) != 0) {
			snprintf(r->error, sizeof(r->error), "%s", err);
			rc = -1;
		}
	}
	if (rc == 0 && pool_case(p, line, r) != 0) {
		/* A set that failed a case is not trusted with the next. */
		rc = -1;
		pool_stop(p);
	}
	free(line);
	if (rc == 0)
		p->cases++;
	r->ran = rc == 0;
	run_judge(r, 0);
	return rc;
}

int launch_run_case(const char *file, const char *variant, char **sets,
		    size_t sets_count, const char *run_dir, int timeout_ms,
		    run_result *r)
{
	opts o = {.file = file, .timeout_ms = timeout_ms, .sets = sets,
		  .sets_count = sets_count};
	launch L = {.o = &o};
	snprintf(L.run_dir, sizeof(L.run_dir), "%s", run_dir);
	run_variant(&L, variant, r);
	return r->ran ? 0 : -1;
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
	if (strcmp(name, "text") == 0)
		return set_format(o, OUT_TEXT);
	if (strcmp(name, "json") == 0)
		return set_format(o, OUT_JSONL);
	if (strcmp(name, "mermaid") == 0)
		return set_format(o, OUT_MERMAID);
	if (strcmp(name, "svg") == 0)
		return set_format(o, OUT_SVG);
	fprintf(stderr, "cloakroom run: unknown format '%s' (text, json, "
		"mermaid, svg)\n", name);
	return -1;
}

static int parse_opts(int argc, char **argv, opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = 10000;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--json") == 0) {
			if (set_format(o, OUT_OBJECT) != 0)
				return -1;
		} else if (strcmp(a, "--format") == 0 && i + 1 < argc) {
			if (parse_format(o, argv[++i]) != 0)
				return -1;
		} else if (strcmp(a, "--insecure") == 0) {
			o->insecure = true;
		} else if (strcmp(a, "--hosts") == 0 && i + 1 < argc) {
			const char *m = argv[++i];
			if (strcmp(m, "netns") == 0) {
				o->netns = true;
			} else if (strcmp(m, "loopback") != 0) {
				fprintf(stderr, "cloakroom run: --hosts takes "
						"loopback or netns\n");
				return -1;
			}
		} else if (strcmp(a, "--explain") == 0) {
			o->explain = true;
		} else if (strcmp(a, "--keep-logs") == 0) {
			o->keep_logs = true;
		} else if (strcmp(a, "--variant") == 0 && i + 1 < argc) {
			o->variant = argv[++i];
		} else if (strcmp(a, "--timeout-ms") == 0 && i + 1 < argc) {
			o->timeout_ms = atoi(argv[++i]);
		} else if (strcmp(a, "--clock-skew-ms") == 0 && i + 1 < argc) {
			o->skew_ms = argv[++i];
			if (!*o->skew_ms ||
			    strspn(o->skew_ms, "0123456789") !=
				    strlen(o->skew_ms) ||
			    strlen(o->skew_ms) > 9) {
				fprintf(stderr, "cloakroom run: --clock-skew-ms "
						"takes a whole number of ms\n");
				return -1;
			}
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		} else if (a[0] == '-') {
			fprintf(stderr, "cloakroom run: unknown option %s\n", a);
			return -1;
		} else if (!o->file) {
			o->file = a;
		} else {
			fprintf(stderr, "cloakroom run: one FILE only\n");
			return -1;
		}
	}
	if (!o->file) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	opts o;
	if (parse_opts(argc, argv, &o) != 0)
		return 2;

	/* Check everything before anything starts: the scenario, every
	 * variant applied to it, and that its daemons fit in memory. */
	char fit_why[200];
	sc_load_limit_daemons(spawn_daemons_fit(1, fit_why, sizeof(fit_why)),
			      fit_why);
	sc_load_errors errs = {0};
	sc_scenario *base = NULL;
	if (sc_load_file(o.file, NULL, &base, &errs) != 0) {
		print_load_errors(&errs);
		sc_load_errors_free(&errs);
		return 2;
	}
	size_t nruns = base->variants_count ? base->variants_count : 1;
	if (o.variant)
		nruns = 1;
	run_result *runs = calloc(nruns, sizeof(*runs));
	if (!runs) {
		sc_load_free(base);
		return 3;
	}
	int bad = 0;
	for (size_t i = 0; i < nruns; i++) {
		const char *v = o.variant ? o.variant
			      : base->variants_count
				      ? base->variants[i].name
				      : NULL;
		runs[i].variant = v;
		if (sc_load_file(o.file, v, &runs[i].scn, &errs) != 0)
			bad = 1;
		else if (v)
			for (unsigned k = 0; k < base->variants_count; k++)
				if (strcmp(base->variants[k].name, v) == 0)
					runs[i].description =
						base->variants[k].description;
	}
	if (!bad) {
		for (size_t i = 0; i < nruns; i++)
			if (runs[i].scn->expect_count == 0)
				fprintf(stderr,
					"%s: warning: %s%s has no "
					"expectations\n",
					o.file, runs[i].variant ? "variant " : "",
					runs[i].variant ? runs[i].variant
							: "the scenario");
	}
	print_load_errors(&errs);
	sc_load_errors_free(&errs);

	launch L = {.o = &o, .exit_code = 0};
	const char *no_netns = o.netns ? netns_unavailable() : NULL;
	if (!bad && no_netns) {
		fprintf(stderr, "cloakroom run: %s\n", no_netns);
		bad = 1;
	}
	if (!bad) {
		const char *tmp = getenv("TMPDIR");
		snprintf(L.run_dir, sizeof(L.run_dir), "%s/cloakroom-run-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(L.run_dir)) {
			fprintf(stderr, "cloakroom: cannot create %s: %s\n",
				L.run_dir, strerror(errno));
			bad = 3;
		}
	}
	if (bad) {
		for (size_t i = 0; i < nruns; i++)
			sc_load_free(runs[i].scn);
		free(runs);
		sc_load_free(base);
		return bad == 1 ? 2 : 3;
	}

	spawn_install_signals();
	bool run_failed = false, expect_failed = false;
	size_t done = 0;
	netns_set ns;
	if (o.netns) {
		char err[256];
		if (netns_setup(&ns, base->hosts_count, err, sizeof(err)) != 0) {
			fprintf(stderr, "cloakroom run: %s\n", err);
			run_failed = true;
			nruns = 0;
		} else {
			L.ns = &ns;
		}
	}
	for (size_t i = 0; i < nruns && !spawn_interrupted(); i++) {
		run_variant(&L, runs[i].variant, &runs[i]);
		done++;
		if (!runs[i].ran)
			run_failed = true;
		else if (runs[i].failed)
			expect_failed = true;
	}
	if (spawn_interrupted())
		run_failed = true;
	if (L.ns)
		netns_teardown(L.ns);

	const char *name = base->name ? base->name : o.file;
	if (o.format == OUT_OBJECT)
		report_json(stdout, name, runs, done);
	else if (o.format == OUT_JSONL)
		explain_jsonl(stdout, name, runs, done);
	else if (o.format == OUT_MERMAID)
		explain_mermaid(stdout, name, runs, done);
	else if (o.format == OUT_SVG)
		explain_svg(stdout, name, runs, done);
	else if (o.explain)
		explain_text(stdout, name, runs, done, isatty(1));
	else
		report_text(stdout, name, runs, done, isatty(1));
	fflush(stdout);

	if (run_failed || o.keep_logs)
		fprintf(stderr, "cloakroom: daemon logs kept in %s\n",
			L.run_dir);
	else
		nftw(L.run_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);

	for (size_t i = 0; i < nruns; i++) {
		sc_trace_free(&runs[i].trace);
		free(runs[i].children);
		free(runs[i].hosts_of);
		free(runs[i].accounts_of);
		free(runs[i].expects);
		sc_load_free(runs[i].scn);
	}
	free(runs);
	sc_load_free(base);
	return run_failed ? 3 : expect_failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (find_bin_root() != 0) {
		fprintf(stderr, "cloakroom: cannot find the daemons\n");
		return 3;
	}
	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("cloakroom %s\n", CLOAKROOM_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 2, argv + 2);
	if (strcmp(argv[1], "diff") == 0)
		return cmd_diff(argc - 2, argv + 2);
	if (strcmp(argv[1], "matrix") == 0)
		return cmd_matrix(argc - 2, argv + 2);
	if (strcmp(argv[1], "new") == 0)
		return cmd_new(argc - 2, argv + 2);
	if (strcmp(argv[1], "stress") == 0)
		return cmd_stress(bin_root, argc - 2, argv + 2);
	if (strcmp(argv[1], "paths") == 0)
		return cmd_paths(argc - 2, argv + 2);
	if (strcmp(argv[1], "import") == 0)
		return cmd_import(argc - 2, argv + 2);
	fprintf(stderr, "cloakroom: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
