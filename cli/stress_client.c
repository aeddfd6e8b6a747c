/* stress_client.c: the client side of `cloakroom stress`: N client
 * identities of one scenario, one thread each, call the middle tier at
 * once until M calls are done, and each reply is judged by stress_check.
 * With --auth-dir each client seals its contexts as its own process (its
 * key, its credential, tickets from the authority), without TLS. It
 * reports counts on the result fd; it never decides who is presented (the
 * model does, in every process) and never forks (it runs gRPC). */
#include "codec.h"
#include "rpc.h"
#include "sc_load.h"
#include "secure.h"
#include "stress_check.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 1024

typedef struct shared {
	const char *middle;
	const char *end;
	int timeout_ms;
	unsigned long long calls;
	atomic_ullong next;      /* the next call to claim */
	atomic_ullong ok, failed, mismatches;
	atomic_uint inflight, inflight_max;
	pthread_mutex_t lock;    /* guards the first_* lines */
	char first_mismatch[512];
	char first_failure[512];
} shared;

typedef struct client {
	shared *sh;
	rpc_channel *ch;
	sc_runtime *rt;
	secure *sec; /* signed contexts; NULL: unsigned */
	char name[SC_IDENT_LEN];
	char sid[SC_IDENT_LEN];
	pthread_t thread;
} client;

static void note_first(shared *sh, char *slot, size_t len, const char *why)
{
	pthread_mutex_lock(&sh->lock);
	if (!slot[0])
		snprintf(slot, len, "%s", why);
	pthread_mutex_unlock(&sh->lock);
}

/* sc_call_fn: the client's call to the middle tier. */
static sc_status client_call(void *user, void *parent, const char *target,
			     const sc_context *ctx, sc_trace *reply,
			     sc_log *log)
{
	client *c = user;
	uint8_t *cbuf = NULL, *rbuf = NULL;
	size_t clen = 0, rlen = 0;
	if (c->sec) {
		auth_reject why;
		if (secure_seal(c->sec,
				&(secure_call){parent, target, ctx, NULL},
				&cbuf, &clen, &why) != 0) {
			sc_log_rule(log, why.rule, "cannot sign the context "
				    "for %s: %s", target, why.reason);
			return SC_BAD_CONTEXT;
		}
	} else if (codec_context_encode(ctx, &cbuf, &clen) != 0) {
		return SC_INTERNAL;
	}
	if (codec_request_encode(target, true, &rbuf, &rlen) != 0) {
		free(cbuf);
		return SC_INTERNAL;
	}
	unsigned now = atomic_fetch_add(&c->sh->inflight, 1) + 1;
	unsigned max = atomic_load(&c->sh->inflight_max);
	while (now > max &&
	       !atomic_compare_exchange_weak(&c->sh->inflight_max, &max, now))
		;
	rpc_result res;
	memset(&res, 0, sizeof(res));
	int rc = rpc_call(
		c->ch,
		&(rpc_request){NULL, cbuf, clen, rbuf, rlen, c->sh->timeout_ms},
		&res);
	atomic_fetch_sub(&c->sh->inflight, 1);
	free(cbuf);
	free(rbuf);
	sc_status st = SC_OK;
	char err[256];
	if (rc != 0) {
		sc_log_rule(log, "NET", "call to %s failed: %s", target,
			    res.details);
		st = SC_UNAVAILABLE;
	} else if (res.status != RPC_STATUS_OK) {
		sc_log_rule(log, "NET", "%s answered gRPC status %d: %s",
			    target, res.status, res.details);
		st = res.status == RPC_STATUS_DEADLINE_EXCEEDED
			     ? SC_DEADLINE_EXCEEDED
			     : SC_UNAVAILABLE;
	} else if (codec_trace_decode(res.body, res.body_len, reply, err,
				      sizeof(err)) != 0) {
		sc_log_rule(log, "NET", "bad reply from %s: %s", target, err);
		st = SC_BAD_CONTEXT;
	}
	rpc_result_free(&res);
	return st;
}

static void *client_run(void *arg)
{
	client *c = arg;
	shared *sh = c->sh;
	while (atomic_fetch_add(&sh->next, 1) < sh->calls) {
		sc_trace t;
		sc_trace_init(&t);
		sc_runtime_run_client(c->rt, &t);
		char why[400];
		stress_expect x = {sh->middle, sh->end, c->name, c->sid};
		switch (stress_check(&t, &x, why, sizeof(why))) {
		case STRESS_MATCH:
			atomic_fetch_add(&sh->ok, 1);
			break;
		case STRESS_MISMATCH:
			atomic_fetch_add(&sh->mismatches, 1);
			note_first(sh, sh->first_mismatch,
				   sizeof(sh->first_mismatch), why);
			break;
		case STRESS_FAILED:
			atomic_fetch_add(&sh->failed, 1);
			note_first(sh, sh->first_failure,
				   sizeof(sh->first_failure), why);
			break;
		}
		sc_trace_free(&t);
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: cloakroom-stress-client --scenario FILE "
			"--peer NAME=ADDR --end NAME --clients N --calls M\n"
			"       [--timeout-ms N] [--result-fd N]"
			" [--auth-dir DIR --authority ADDR]\n");
}

/* The command line. */
typedef struct sopts {
	const char *scenario, *peer, *end, *auth_dir, *authority;
	const char *addr; /* the middle's address, after '=' in peer */
	char middle[SC_NAME_LEN];
	unsigned long clients;
	unsigned long long calls;
	int timeout_ms, result_fd;
} sopts;

static int parse_opts(int argc, char **argv, sopts *o)
{
	enum { S_SCENARIO = 256, S_PEER, S_END, S_AUTH_DIR, S_AUTHORITY,
	       S_CLIENTS, S_CALLS, S_TIMEOUT, S_RESULT_FD };
	static const struct option longs[] = {
		{"scenario", required_argument, NULL, S_SCENARIO},
		{"peer", required_argument, NULL, S_PEER},
		{"end", required_argument, NULL, S_END},
		{"auth-dir", required_argument, NULL, S_AUTH_DIR},
		{"authority", required_argument, NULL, S_AUTHORITY},
		{"clients", required_argument, NULL, S_CLIENTS},
		{"calls", required_argument, NULL, S_CALLS},
		{"timeout-ms", required_argument, NULL, S_TIMEOUT},
		{"result-fd", required_argument, NULL, S_RESULT_FD},
		{NULL, 0, NULL, 0}};
	*o = (sopts){.timeout_ms = 10000, .result_fd = 1};
	optind = 1;
	opterr = 0;
	int c, idx = 0;
	long x = 0;
	while ((c = getopt_long(argc, argv, "", longs, &idx)) != -1) {
		if (c == '?' || c == ':')
			return -1;
		if (c >= S_CLIENTS &&
		    util_parse_long(optarg, 0, INT_MAX, &x) != 0) {
			fprintf(stderr, "stress-client: bad --%s '%s'\n",
				longs[idx].name, optarg);
			return -1;
		}
		switch (c) {
		case S_SCENARIO: o->scenario = optarg; break;
		case S_PEER: o->peer = optarg; break;
		case S_END: o->end = optarg; break;
		case S_AUTH_DIR: o->auth_dir = optarg; break;
		case S_AUTHORITY: o->authority = optarg; break;
		case S_CLIENTS: o->clients = (unsigned long)x; break;
		case S_CALLS: o->calls = (unsigned long long)x; break;
		case S_TIMEOUT: o->timeout_ms = (int)x; break;
		case S_RESULT_FD: o->result_fd = (int)x; break;
		}
	}
	const char *eq = o->peer ? strchr(o->peer, '=') : NULL;
	if (optind < argc || !o->scenario || !eq || !o->end ||
	    o->clients == 0 || o->clients > MAX_CLIENTS || o->calls == 0 ||
	    !o->auth_dir != !o->authority)
		return -1;
	o->addr = eq + 1;
	snprintf(o->middle, sizeof(o->middle), "%.*s", (int)(eq - o->peer),
		 o->peer);
	return 0;
}

/* Client i: its runtime, its signed-context layer, its channel to the
 * middle. 0, or 3 said on stderr. */
static int client_open(const sopts *o, sc_scenario *scn, unsigned long i,
		       client *c)
{
	char name[SC_NAME_LEN];
	snprintf(name, sizeof(name), "client-%lu", i);
	sc_log log;
	sc_log_init(&log);
	int rc = 0;
	if (sc_runtime_new(scn, name, &c->rt, &log) != SC_OK) {
		fprintf(stderr, "stress: cannot start %s%s%s\n", name,
			log.count ? ": " : "",
			log.count ? log.notes[log.count - 1].text : "");
		rc = 3;
	}
	sc_log_free(&log);
	if (rc)
		return rc;
	if (o->auth_dir) {
		secure_config cfg = {
			.dir = o->auth_dir,
			.authority = o->authority,
			.process = name,
			.skew_ms = AUTH_DEFAULT_SKEW_MS,
			.timeout_ms = o->timeout_ms,
			.misbehave = SC_MISBEHAVE_NONE,
			.insecure = true,
		};
		char err[256];
		if (secure_open(&cfg, &c->sec, err, sizeof(err)) != 0) {
			fprintf(stderr, "stress: %s cannot sign: %s\n", name,
				err);
			return 3;
		}
	}
	c->ch = rpc_channel_open(o->addr);
	if (!c->ch) {
		fprintf(stderr, "stress: cannot open a channel to %s\n",
			o->addr);
		return 3;
	}
	const sc_token *tok = sc_runtime_token(c->rt);
	snprintf(c->name, sizeof(c->name), "%s", sc_token_user_name(tok));
	snprintf(c->sid, sizeof(c->sid), "%s", sc_token_user_sid(tok));
	sc_runtime_set_transport(c->rt, client_call, NULL, c);
	return 0;
}

/* Every client on its own thread until the calls are made; returns the
 * microseconds it took, or -1 when a thread could not start. */
static int64_t run_all(shared *sh, client *cl, unsigned long n)
{
	uint64_t t0 = util_now_ns();
	unsigned long started = 0;
	bool ok = true;
	for (unsigned long i = 0; i < n; i++) {
		if (pthread_create(&cl[i].thread, NULL, client_run, &cl[i]) !=
		    0) {
			fprintf(stderr, "stress: cannot start a thread\n");
			/* Claim every call: the running threads stop. */
			atomic_store(&sh->next, sh->calls);
			ok = false;
			break;
		}
		started++;
	}
	for (unsigned long i = 0; i < started; i++)
		pthread_join(cl[i].thread, NULL);
	return ok ? (int64_t)((util_now_ns() - t0) / 1000u) : -1;
}

static int report(const sopts *o, shared *sh, int64_t elapsed_us)
{
	char out[2048];
	int n = snprintf(out, sizeof(out),
			 "calls %llu\nok %llu\nfailed %llu\nmismatches %llu\n"
			 "elapsed_us %lld\nclient_inflight_max %u\n"
			 "first_mismatch %s\nfirst_failure %s\n",
			 o->calls, (unsigned long long)atomic_load(&sh->ok),
			 (unsigned long long)atomic_load(&sh->failed),
			 (unsigned long long)atomic_load(&sh->mismatches),
			 (long long)elapsed_us, atomic_load(&sh->inflight_max),
			 sh->first_mismatch, sh->first_failure);
	if (n < 0 || util_write_all(o->result_fd, out, strlen(out)) != 0) {
		fprintf(stderr, "stress: cannot report the result\n");
		return 4;
	}
	return 0;
}

int main(int argc, char **argv)
{
	sopts o;
	if (parse_opts(argc, argv, &o) != 0) {
		usage();
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sc_scenario *scn = NULL;
	sc_load_errors errs = {0};
	if (sc_load_file(o.scenario, NULL, &scn, &errs) != 0) {
		sc_load_errors_print(&errs, stderr);
		sc_load_errors_free(&errs);
		return 2;
	}
	sc_load_errors_free(&errs);
	shared sh = {.middle = o.middle, .end = o.end,
		     .timeout_ms = o.timeout_ms, .calls = o.calls};
	pthread_mutex_init(&sh.lock, NULL);
	client *cl = calloc(o.clients, sizeof(*cl));
	int rc = cl ? 0 : 3;
	rpc_init();
	for (unsigned long i = 0; rc == 0 && i < o.clients; i++) {
		cl[i].sh = &sh;
		rc = client_open(&o, scn, i, &cl[i]);
	}
	int64_t elapsed = rc == 0 ? run_all(&sh, cl, o.clients) : 0;
	if (elapsed < 0)
		rc = 3;
	if (rc == 0)
		rc = report(&o, &sh, elapsed);
	for (unsigned long i = 0; cl && i < o.clients; i++) {
		rpc_channel_close(cl[i].ch);
		secure_close(cl[i].sec);
		sc_runtime_free(cl[i].rt);
	}
	free(cl);
	rpc_shutdown();
	pthread_mutex_destroy(&sh.lock);
	sc_load_free(scn);
	return rc;
}
