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
	const char *middle_addr;
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
		if (secure_seal(c->sec, parent, target, ctx, NULL, &cbuf, &clen,
				&why) != 0) {
			sc_log_rule(log, why.rule, "cannot sign the context "
				    "for %s: %s", target, why.reason);
			return SC_BAD_CONTEXT;
		}
	} else if (codec_context_encode(ctx, &cbuf, &clen) != 0) {
		return SC_INTERNAL;
	}
	if (codec_request_encode(target, &rbuf, &rlen) != 0) {
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
	int rc = rpc_call(c->ch, NULL, cbuf, clen, rbuf, rlen,
			  c->sh->timeout_ms, &res);
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
		switch (stress_check(&t, sh->middle, sh->end, c->name, c->sid,
				     why, sizeof(why))) {
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

int main(int argc, char **argv)
{
	const char *scenario = NULL, *peer = NULL, *end = NULL;
	const char *auth_dir = NULL, *authority = NULL;
	unsigned long nclients = 0;
	unsigned long long calls = 0;
	int timeout_ms = 10000, result_fd = 1;
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];
		if (strcmp(a, "--scenario") == 0)
			scenario = v;
		else if (strcmp(a, "--peer") == 0)
			peer = v;
		else if (strcmp(a, "--end") == 0)
			end = v;
		else if (strcmp(a, "--clients") == 0 ||
			 strcmp(a, "--calls") == 0 ||
			 strcmp(a, "--timeout-ms") == 0 ||
			 strcmp(a, "--result-fd") == 0) {
			long x;
			if (util_parse_long(v, 0, INT_MAX, &x) != 0) {
				fprintf(stderr, "stress-client: bad %s '%s'\n",
					a, v);
				return 2;
			}
			if (a[2] == 'c' && a[3] == 'l')
				nclients = (unsigned long)x;
			else if (a[2] == 'c')
				calls = (unsigned long long)x;
			else if (a[2] == 't')
				timeout_ms = (int)x;
			else
				result_fd = (int)x;
		}
		else if (strcmp(a, "--auth-dir") == 0)
			auth_dir = v;
		else if (strcmp(a, "--authority") == 0)
			authority = v;
		else {
			usage();
			return 2;
		}
	}
	const char *eq = peer ? strchr(peer, '=') : NULL;
	if (!scenario || !eq || !end || nclients == 0 ||
	    nclients > MAX_CLIENTS || calls == 0 || !auth_dir != !authority) {
		usage();
		return 2;
	}
	char middle[SC_NAME_LEN];
	snprintf(middle, sizeof(middle), "%.*s", (int)(eq - peer), peer);
	signal(SIGPIPE, SIG_IGN);

	sc_scenario *scn = NULL;
	sc_load_errors errs = {0};
	if (sc_load_file(scenario, NULL, &scn, &errs) != 0) {
		for (size_t i = 0; i < errs.count; i++) {
			char line[512];
			sc_load_error_format(&errs.items[i], line, sizeof(line));
			fprintf(stderr, "%s\n", line);
		}
		sc_load_errors_free(&errs);
		return 2;
	}
	sc_load_errors_free(&errs);

	shared sh = {.middle = middle, .end = end, .timeout_ms = timeout_ms,
		     .calls = calls};
	pthread_mutex_init(&sh.lock, NULL);
	client *cl = calloc(nclients, sizeof(*cl));
	int rc = cl ? 0 : 3;
	rpc_init();
	for (unsigned long i = 0; rc == 0 && i < nclients; i++) {
		client *c = &cl[i];
		char name[SC_NAME_LEN];
		snprintf(name, sizeof(name), "client-%lu", i);
		sc_log log;
		sc_log_init(&log);
		if (sc_runtime_new(scn, name, &c->rt, &log) != SC_OK) {
			fprintf(stderr, "stress: cannot start %s%s%s\n", name,
				log.count ? ": " : "",
				log.count ? log.notes[log.count - 1].text : "");
			rc = 3;
		}
		sc_log_free(&log);
		if (rc)
			break;
		c->sh = &sh;
		if (auth_dir) {
			secure_config cfg = {
				.dir = auth_dir,
				.authority = authority,
				.process = name,
				.skew_ms = AUTH_DEFAULT_SKEW_MS,
				.timeout_ms = timeout_ms,
				.misbehave = SC_MISBEHAVE_NONE,
				.insecure = true,
			};
			char err[256];
			if (secure_open(&cfg, &c->sec, err, sizeof(err)) != 0) {
				fprintf(stderr, "stress: %s cannot sign: %s\n",
					name, err);
				rc = 3;
				break;
			}
		}
		c->ch = rpc_channel_open(eq + 1);
		if (!c->ch) {
			fprintf(stderr, "stress: cannot open a channel to %s\n",
				eq + 1);
			rc = 3;
			break;
		}
		const sc_token *tok = sc_runtime_token(c->rt);
		snprintf(c->name, sizeof(c->name), "%s",
			 sc_token_user_name(tok));
		snprintf(c->sid, sizeof(c->sid), "%s", sc_token_user_sid(tok));
		sc_runtime_set_transport(c->rt, client_call, NULL, c);
	}

	int64_t t0 = ((int64_t)(util_now_ns() / 1000u));
	unsigned long started = 0;
	for (unsigned long i = 0; rc == 0 && i < nclients; i++) {
		if (pthread_create(&cl[i].thread, NULL, client_run, &cl[i]) !=
		    0) {
			fprintf(stderr, "stress: cannot start a thread\n");
			/* Claim every call: the running threads stop. */
			atomic_store(&sh.next, calls);
			rc = 3;
			break;
		}
		started++;
	}
	for (unsigned long i = 0; i < started; i++)
		pthread_join(cl[i].thread, NULL);
	int64_t elapsed = ((int64_t)(util_now_ns() / 1000u)) - t0;

	if (rc == 0) {
		char out[2048];
		int n = snprintf(
			out, sizeof(out),
			"calls %llu\nok %llu\nfailed %llu\nmismatches %llu\n"
			"elapsed_us %lld\nclient_inflight_max %u\n"
			"first_mismatch %s\nfirst_failure %s\n",
			calls, (unsigned long long)atomic_load(&sh.ok),
			(unsigned long long)atomic_load(&sh.failed),
			(unsigned long long)atomic_load(&sh.mismatches),
			(long long)elapsed, atomic_load(&sh.inflight_max),
			sh.first_mismatch, sh.first_failure);
		if (n < 0 || util_write_all(result_fd, out, strlen(out)) != 0) {
			fprintf(stderr, "stress: cannot report the result\n");
			rc = 4;
		}
	}
	for (unsigned long i = 0; cl && i < nclients; i++) {
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
