/* launch.c: the engine that starts a scenario's daemons as OS processes
 * (the authority, the servers in dependency order, then the clients),
 * collects the trace that comes back along the reply chain, judges the
 * expectations and stops every process it started, whatever happens. It
 * runs one case cold (launch_run_variant, launch_run_case) or many on a
 * warm set (launch_pool). Launcher code: never initialises gRPC (it
 * forks). Used by run, check, matrix, paths and the benchmark. */
#include "launch.h"

#include "codec.h"
#include "control.h"
#include "sc_load.h"
#include "util.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The deadline of a call when the run sets none (proto/rpc.c). */
#define RPC_DEFAULT_DEADLINE_MS 30000

static char bin_root[PATH_MAX];

/* Whether dir holds the daemons (dir/procB/procB, as in a build tree
 * and in the installed libexecdir/cloakroom). */
static bool holds_daemons(const char *dir)
{
	char prog[PATH_MAX];
	return util_fmt(prog, sizeof(prog), "%s/procB/procB", dir) &&
	       access(prog, X_OK) == 0;
}

/* The installed daemons relative to the installed launcher:
 * <prefix>/<bindir>/cloakroom-launch -> <prefix>/<libexecdir>/cloakroom,
 * so that an installation moved as a whole (DESTDIR) still finds them.
 * 0, or -1 when bindir or libexecdir is absolute or self is not under
 * bindir. */
static int installed_root(const char *self_dir, char *buf, size_t len)
{
#if defined(CLOAKROOM_BINDIR) && defined(CLOAKROOM_LIBEXECDIR_REL)
	const char *bindir = CLOAKROOM_BINDIR;
	if (bindir[0] == '/' || CLOAKROOM_LIBEXECDIR_REL[0] == '/')
		return -1;
	size_t sl = strlen(self_dir), bl = strlen(bindir);
	if (sl <= bl || strcmp(self_dir + sl - bl, bindir) != 0 ||
	    self_dir[sl - bl - 1] != '/')
		return -1;
	return util_fmt(buf, len, "%.*s/%s/cloakroom", (int)(sl - bl - 1),
			self_dir, CLOAKROOM_LIBEXECDIR_REL)
		       ? 0
		       : -1;
#else
	(void)self_dir;
	(void)buf;
	(void)len;
	return -1;
#endif
}

int launch_find_bin_root(void)
{
	const char *env = getenv("CLOAKROOM_BIN");
	if (env && *env) {
		snprintf(bin_root, sizeof(bin_root), "%s", env);
		return 0;
	}
	char self[PATH_MAX], inst[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *dir = dirname(self);
		if (installed_root(dir, inst, sizeof(inst)) == 0 &&
		    holds_daemons(inst)) {
			snprintf(bin_root, sizeof(bin_root), "%s", inst);
			return 0;
		}
		/* <build>/cli/cloakroom-launch -> <build> */
		char *d = dirname(dir);
		if (holds_daemons(d)) {
			snprintf(bin_root, sizeof(bin_root), "%s", d);
			return 0;
		}
	}
	return -1;
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

typedef struct launch {
	const launch_opts *o;
	char run_dir[PATH_MAX];
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
	util_fmt(buf, len, "%s/%s%s%s.addr", L->run_dir, variant ? variant : "",
	    variant ? "-" : "", name);
}

/* Publish a listening server's address: written aside, then renamed, so
 * that a reader never sees half of it. */
static int publish_addr(const launch *L, const char *variant,
			const char *name, const char *addr)
{
	char path[PATH_MAX + 64], tmp[PATH_MAX + 80];
	addr_file(L, variant, name, path, sizeof(path));
	util_fmt(tmp, sizeof(tmp), "%s.tmp", path);
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
/* A cast being started: its run, its variant, the addresses of the
 * servers started so far and which have started (NULL for the
 * authority, which has no peers). */
typedef struct starting {
	run_result *r;
	const char *variant;
	char (*addr)[160];
	const bool *started;
} starting;

static int start_daemon(launch *L, const starting *st, size_t i,
			const char *listen, char *err, size_t errlen)
{
	run_result *r = st->r;
	const char *variant = st->variant;
	char(*addr)[160] = st->addr;
	const bool *started = st->started;
	size_t n = r->scn->processes_count;
	char peers[16][640];
	char *peer_args[16];
	char *extra[2 * LAUNCH_MAX_SETS + 9];
	size_t np = 0, ne = 0;
	for (size_t k = 0; k < L->o->sets_count && k < LAUNCH_MAX_SETS; k++) {
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
			util_fmt(peers[np], sizeof(peers[np]), "%s=@%s",
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
	if (!util_fmt(L->auth_dir, sizeof(L->auth_dir), "%s/%s%sauth-XXXXXX",
		 L->run_dir, variant ? variant : "", variant ? "-" : "") ||
	    !util_fmt(c->log_path, sizeof(c->log_path), "%s/%s%sauthority.log",
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
	if (start_daemon(L, &(starting){r, variant, NULL, NULL}, n, listen, err,
			 errlen) != 0 ||
	    spawn_wait_ready(&(spawn_wait){c, r->children, n + 1,
					   spawn_ready_timeout_ms()},
			     &port, err, errlen) != 0)
		return -1;
	listen[strlen(listen) - 2] = '\0';
	snprintf(L->authority, sizeof(L->authority), "%s:%d", listen, port);
	return 0;
}

static bool is_client(const sc_scenario *s, const sc_process_def *p)
{
	return strcmp(sc_scenario_program(s, p), "procA") == 0;
}

long launch_next_server(const sc_scenario *s, const bool *started,
			bool any_waiting)
{
	for (unsigned i = 0; i < s->processes_count; i++) {
		const sc_process_def *p = &s->processes[i];
		if (started[i] || is_client(s, p))
			continue;
		bool ready = true;
		for (unsigned k = 0; ready && k < p->steps_count; k++) {
			const sc_step *st = &p->steps[k];
			if (st->kind != SC_STEP_CALL)
				continue;
			const sc_process_def *t = sc_scenario_process(s, st->to);
			ready = t && started[t - s->processes];
		}
		if (ready || any_waiting)
			return (long)i;
	}
	return -1;
}

/* Wait until server i of a cast being started listens, then publish its
 * address (st->addr[i]) and mark it started. 0, or -1 with r->error. */
static int server_ready(launch *L, const starting *st, bool *started,
			size_t i)
{
	run_result *r = st->r;
	child *c = &r->children[i];
	int port = 0;
	if (spawn_wait_ready(&(spawn_wait){c, r->children,
					   r->scn->processes_count + 1,
					   spawn_ready_timeout_ms()},
			     &port, r->error, sizeof(r->error)) != 0)
		return -1;
	char listen[192];
	host_addr(r->scn, L->ns, r->scn->processes[i].host, listen,
		  sizeof(listen));
	util_fmt(st->addr[i], sizeof(st->addr[i]), "%s:%d", listen, port);
	if (publish_addr(L, st->variant, c->name, st->addr[i]) != 0) {
		snprintf(r->error, sizeof(r->error),
			 "cannot write the address of %s in %.300s", c->name,
			 L->run_dir);
		return -1;
	}
	started[i] = true;
	return 0;
}

/* Fill r's children (the scenario's processes, then the authority) and
 * start the authority, then the servers all at once; a warm set
 * (L->warm) starts its clients too, which then wait for cases.
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
		util_fmt(c->log_path, sizeof(c->log_path), "%s/%s%s%s.log",
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

	/* Every server at once, then the warm clients (L->warm), in the
	 * order callees before callers: each learns the address of a server
	 * it calls from that server's file, read at its first call, which
	 * comes after every server listens (no client runs before). Their
	 * starts overlap; then each server's address is published as it
	 * says it is ready. */
	bool *launched = calloc(n ? n : 1, sizeof(bool));
	long *order = calloc(n ? n : 1, sizeof(long));
	size_t nservers = 0;
	int rc = launched && order ? 0 : -1;
	if (rc != 0)
		snprintf(r->error, sizeof(r->error), "out of memory");
	long i;
	while (rc == 0 && ((i = launch_next_server(s, launched, false)) >= 0 ||
			   (i = launch_next_server(s, launched, true)) >= 0)) {
		char listen[192];
		host_addr(s, L->ns, s->processes[i].host, listen,
			  sizeof(listen));
		strcat(listen, ":0");
		rc = start_daemon(L, &(starting){r, variant, addr, started},
				  (size_t)i, listen, r->error,
				  sizeof(r->error));
		launched[i] = true;
		order[nservers++] = i;
	}
	for (size_t k = 0; rc == 0 && L->warm && k < n; k++)
		if (strcmp(r->children[k].program, "procA") == 0)
			rc = start_daemon(
				L, &(starting){r, variant, addr, started}, k,
				NULL, r->error, sizeof(r->error));
	for (size_t k = 0; rc == 0 && k < nservers; k++)
		rc = server_ready(L, &(starting){r, variant, addr, started},
				  started, (size_t)order[k]);
	free(launched);
	free(order);
	return rc;
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

/* Whether every daemon of children (total, already reaped) stopped
 * cleanly; if not, the first that did not, in err. */
static bool stopped_cleanly(const child *children, size_t total, char *err,
			    size_t errlen)
{
	for (size_t i = 0; i < total; i++) {
		const child *c = &children[i];
		if (c->pid <= 0 || (WIFEXITED(c->wstatus) &&
				    WEXITSTATUS(c->wstatus) == 0))
			continue;
		char d[64];
		spawn_describe(c, d, sizeof(d));
		snprintf(err, errlen,
			 "daemon %s (%s, pid %ld) did not stop cleanly: %s",
			 c->name, c->program, (long)c->pid, d);
		return false;
	}
	return true;
}

/* Stop every daemon of r; one that does not stop cleanly (a crash or a
 * leak report at exit, a hang past the grace period) fails the run too
 * (r->ran false, r->error). */
static void cast_stop(run_result *r, size_t total)
{
	if (!r->children)
		return;
	spawn_stop_all(r->children, total, spawn_stop_grace_ms());
	if (r->ran &&
	    !stopped_cleanly(r->children, total, r->error, sizeof(r->error)))
		r->ran = false;
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
		if (start_daemon(L, &(starting){r, variant, addr, started}, i,
				 NULL, err, sizeof(err)) != 0 ||
		    spawn_read_result(
			    &(spawn_wait){c, r->children, total,
					  client_answer_ms(&s->processes[i],
							   L->o->timeout_ms,
							   false)},
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
	launch_opts o;
	launch L;
	run_result set;  /* the running set: its children and first case */
	size_t total;    /* its children, the authority included */
	char *cast;      /* its launch_cast_key; NULL when none runs */
	unsigned sets;   /* sets started */
	unsigned cases;  /* cases run on a running set */
	bool unclean;    /* a set did not stop cleanly */
	char *sets_kept[LAUNCH_MAX_SETS];
	/* The previous set, told to stop when the running one started and
	 * not waited for yet (its daemons stop while the next set starts):
	 * its children, NULL when none. */
	child *retiring;
	size_t retiring_total;
	char base_dir[PATH_MAX]; /* the pool's run_dir: a directory per set */
};

launch_pool *launch_pool_new(const char *run_dir, int timeout_ms)
{
	launch_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->o.timeout_ms = timeout_ms;
	p->L.o = &p->o;
	p->L.warm = true;
	snprintf(p->base_dir, sizeof(p->base_dir), "%s", run_dir);
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
	for (size_t i = 0; i < LAUNCH_MAX_SETS; i++) {
		free(p->sets_kept[i]);
		p->sets_kept[i] = NULL;
	}
}

/* Wait for the retiring set to stop; one that did not stop cleanly
 * makes the pool unclean, as pool_stop does. */
static void pool_retired(launch_pool *p)
{
	if (!p->retiring)
		return;
	char err[512];
	spawn_stop_wait(p->retiring, p->retiring_total, spawn_stop_grace_ms());
	if (!stopped_cleanly(p->retiring, p->retiring_total, err,
			     sizeof(err))) {
		fprintf(stderr, "cloakroom: %s\n", err);
		p->unclean = true;
	}
	free(p->retiring);
	p->retiring = NULL;
}

/* Tell the running set to stop and forget it, without waiting: it stops
 * while the next set starts (it has a directory of its own, so its last
 * log lines and files are its own), and pool_retired waits for it before
 * the next set retires or the pool is freed. */
static void pool_retire(launch_pool *p)
{
	if (!p->cast)
		return;
	pool_retired(p);
	spawn_stop_begin(p->set.children, p->total);
	p->retiring = p->set.children;
	p->retiring_total = p->total;
	p->set.children = NULL;
	pool_release(p);
}

/* Stop the running set, if any. */
static void pool_stop(launch_pool *p)
{
	pool_retired(p);
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

void launch_pool_set_insecure(launch_pool *p, bool insecure)
{
	p->o.insecure = insecure;
}

unsigned launch_pool_sets_started(const launch_pool *p)
{
	return p->sets;
}

/* One case a pool is asked to run: the scenario file, its variant and
 * settings. */
typedef struct pool_ask {
	const char *file;
	const char *variant;
	char **sets;
	size_t nsets;
} pool_ask;

/* Start a set for the cast of k (file, variant, sets): its daemons load
 * that case at their start. 0, or -1 with err. */
static int pool_start(launch_pool *p, const pool_ask *k, char *cast, char *err,
		      size_t errlen)
{
	const char *file = k->file, *variant = k->variant;
	char **sets = k->sets;
	size_t nsets = k->nsets;
	sc_load_errors errs = {0};
	memset(&p->set, 0, sizeof(p->set));
	if (sc_load_file(file, variant, &p->set.scn, &errs) != 0) {
		sc_load_errors_free(&errs);
		snprintf(err, errlen, "%s does not load", file);
		free(cast);
		return -1;
	}
	sc_load_errors_free(&errs);
	for (size_t i = 0; i < nsets && i < LAUNCH_MAX_SETS; i++) {
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
	p->o.sets_count = nsets < LAUNCH_MAX_SETS ? nsets : LAUNCH_MAX_SETS;
	p->cast = cast;
	p->total = p->set.scn->processes_count + 1;
	p->sets++;
	if (!util_fmt(p->L.run_dir, sizeof(p->L.run_dir), "%s/set%u",
		      p->base_dir, p->sets) ||
	    (mkdir(p->L.run_dir, 0755) != 0 && errno != EEXIST)) {
		snprintf(err, errlen, "cannot create %.300s/set%u", p->base_dir,
			 p->sets);
		pool_release(p);
		return -1;
	}
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
		if (spawn_answer(&(spawn_wait){&all[i], all, total,
					       spawn_ready_timeout_ms()},
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
		if (spawn_ask(&(spawn_wait){&all[i], all, total, wait_ms}, line,
			      &buf, &len, err, sizeof(err)) != 0)
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
	char *line = control_case_format(file, variant, sets, nsets);
	char *cast = line ? launch_cast_key(r->scn) : NULL;
	if (!cast) {
		free(line);
		launch_opts o = p->o;
		o.file = file;
		o.sets = sets;
		o.sets_count = nsets;
		launch_run_variant(&o, p->L.run_dir, NULL, variant, r);
		return r->ran ? 0 : -1;
	}
	int rc = 0;
	if (p->cast && strcmp(p->cast, cast) == 0) {
		free(cast);
	} else {
		char err[512];
		pool_retire(p);
		if (pool_start(p, &(pool_ask){file, variant, sets, nsets}, cast,
			       err, sizeof(err)) != 0) {
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

int launch_run_case(const launch_opts *o, const char *variant,
		    const char *run_dir, run_result *r)
{
	launch L = {.o = o};
	snprintf(L.run_dir, sizeof(L.run_dir), "%s", run_dir);
	run_variant(&L, variant, r);
	return r->ran ? 0 : -1;
}

void launch_run_variant(const launch_opts *o, const char *run_dir,
			netns_set *ns, const char *variant, run_result *r)
{
	launch L = {.o = o, .ns = ns};
	snprintf(L.run_dir, sizeof(L.run_dir), "%s", run_dir);
	run_variant(&L, variant, r);
}

const char *launch_bin_root(void)
{
	return bin_root;
}

void run_result_free(run_result *r, bool with_scenario)
{
	sc_trace_free(&r->trace);
	free(r->children);
	free(r->hosts_of);
	free(r->accounts_of);
	free(r->expects);
	r->children = NULL;
	r->hosts_of = NULL;
	r->accounts_of = NULL;
	r->expects = NULL;
	if (with_scenario) {
		sc_load_free(r->scn);
		r->scn = NULL;
	}
}
