/* serve.c: a daemon's incoming calls: the signed context checked and
 * opened, the model run on it (node_serve), the bare relay's calls; the
 * scenario and the runtime loaded for a case; the server's main loop. */
#include "node_int.h"

#include "codec.h"
#include "load.h"
#include "rpc.h"
#include "sc_load.h"
#include "secure.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Calls served, and the most served at once (logged as the server stops:
 * `cloakroom stress` reads it to show that calls overlapped). */
atomic_ullong node_calls_served;
atomic_uint node_calls_inflight, node_calls_inflight_max;

/* A signed context: open it (signatures, audience, expiry, replay), decode
 * what it carries, bind it to its signer. On refusal fills out with
 * UNAUTHENTICATED and "BAD_CONTEXT [rule] reason", logs, returns false. */
static bool accept_signed(node *n, const rpc_incoming *in, sc_context *ctx,
			  sc_token **identity, sc_token **vouched,
			  rpc_reply *out)
{
	auth_opened o;
	auth_reject why;
	char err[200];
	bool ok = false;
	if (secure_accept(n->sec, in->context, in->context_len, &o, &why) != 0)
		goto refuse;
	if (codec_context_decode(o.context, o.context_len, ctx, identity, err,
				 sizeof(err)) != 0) {
		snprintf(why.rule, sizeof(why.rule), "K1");
		snprintf(why.reason, sizeof(why.reason),
			 "malformed context: %.170s", err);
		auth_opened_free(&o);
		goto refuse;
	}
	ok = secure_bind(n->sec, &o, ctx,
			 rpc_tls_on() ? in->peer_account : NULL, vouched,
			 &why) == 0;
	if (ok) {
		/* The authority's word: the model builds the caller's token
		 * from it (sc_context.vouched). */
		ctx->vouched = *vouched;
		ctx->vouched_level = (sc_level)o.tk.level;
		ctx->vouched_forwardable = o.tk.forwardable;
	}
	auth_opened_free(&o);
	if (ok)
		return true;
	sc_token_free(*identity);
	*identity = NULL;
refuse:
	if (strcmp(why.rule, AUTH_BUSY) == 0) {
		/* Nothing was judged: the caller hears busy, not a
		 * refusal of its context. */
		node_log("could not take a call from %s: busy: %s", in->peer,
			 why.reason);
		out->status = RPC_STATUS_RESOURCE_EXHAUSTED;
		snprintf(out->details, sizeof(out->details), "BUSY: %s",
			 why.reason);
		return false;
	}
	node_log("refused a call from %s: [%s] %s", in->peer, why.rule,
		 why.reason);
	out->status = RPC_STATUS_UNAUTHENTICATED;
	snprintf(out->details, sizeof(out->details), "BAD_CONTEXT [%s] %s",
		 why.rule, why.reason);
	/* The caller records it under the rule that decided: typed, in
	 * the reply's trailer (the details are for people). */
	why.status = SC_BAD_CONTEXT;
	if (codec_refusal_encode(&why, &out->trailer, &out->trailer_len))
		out->trailer = NULL;
	return false;
}

static void node_handle_bare(node *n, const rpc_incoming *in, rpc_reply *out)
{
	char why[RPC_ERRLEN] = "";
	out->status = node_bare_relay(n, in, &out->body, &out->body_len, why,
				      sizeof(why));
	if (out->status != RPC_STATUS_OK) {
		node_log("bare relay: %s", why);
		snprintf(out->details, sizeof(out->details), "%s", why);
	}
}

/* One incoming call. */
static void node_serve(void *user, const rpc_incoming *in, rpc_reply *out)
{
	node *n = user;
	if (n->bare) {
		node_handle_bare(n, in, out);
		return;
	}
	char err[200] = "";
	codec_request rq = {"", false};
	out->status = RPC_STATUS_OK;

	if (codec_request_decode(in->body, in->body_len, &rq, err,
				 sizeof(err)) != 0) {
		node_log("refused a call from %s: %s", in->peer, err);
		out->status = RPC_STATUS_INVALID_ARGUMENT;
		snprintf(out->details, sizeof(out->details), "BAD_REQUEST: %s",
			 err);
		return;
	}
	const char *target = rq.target;
	bool want_trace = rq.trace;
	if (target[0] && strcmp(target, n->process) != 0) {
		node_log("refused a call from %s meant for %s", in->peer,
			 target);
		out->status = RPC_STATUS_INVALID_ARGUMENT;
		snprintf(out->details, sizeof(out->details),
			 "BAD_REQUEST: this is %s, not %s", n->process, target);
		return;
	}

	sc_context ctx;
	sc_token *identity = NULL, *vouched = NULL;
	const sc_context *pctx = NULL;
	if (in->context_entries > 1) {
		snprintf(err, sizeof(err), "%zu context entries, expected one",
			 in->context_entries);
	} else if (in->context_present && n->sec) {
		if (!accept_signed(n, in, &ctx, &identity, &vouched, out))
			return;
		pctx = &ctx;
		if (atomic_load(&node_misbehave_shared))
			node_misbehave_share_opened(&ctx, &identity, &vouched);
	} else if (in->context_present) {
		const uint8_t *cbytes = in->context;
		size_t clen = in->context_len;
		uint8_t *shared = NULL;
		if (atomic_load(&node_misbehave_shared)) {
			shared = node_misbehave_share(cbytes, clen, &clen);
			if (shared)
				cbytes = shared;
		}
		if (codec_context_decode(cbytes, clen, &ctx, &identity, err,
					 sizeof(err)) == 0)
			pctx = &ctx;
		free(shared);
	}
	if (err[0]) {
		node_log("refused a call from %s: malformed context: %s",
			 in->peer, err);
		out->status = RPC_STATUS_UNAUTHENTICATED;
		snprintf(out->details, sizeof(out->details),
			 "BAD_CONTEXT: %s", err);
		return;
	}
	if (!pctx)
		node_log("call from %s carries no context: served as "
			 "unauthenticated (T8)",
			 in->peer);

	sc_trace t;
	sc_trace_init(&t);
	node_trace_wanted = want_trace; /* for the calls this one makes */
	sc_runtime_serve(n->rt, pctx, in->parent, &t);
	if (codec_trace_encode_as(&t, want_trace, &out->body,
				  &out->body_len) != 0) {
		out->status = RPC_STATUS_INTERNAL;
		snprintf(out->details, sizeof(out->details), "out of memory");
	}
	sc_trace_free(&t);
	sc_token_free(identity);
	sc_token_free(vouched);
}

/* rpc_handler_fn: one incoming call, counted. */
static void node_handle(void *user, const rpc_incoming *in, rpc_reply *out)
{
	unsigned now = atomic_fetch_add(&node_calls_inflight, 1) + 1;
	unsigned max = atomic_load(&node_calls_inflight_max);
	while (now > max &&
	       !atomic_compare_exchange_weak(&node_calls_inflight_max, &max, now))
		;
	node *n = user;
	/* A warm daemon's case is swapped only between runs; the lock makes
	 * sure no call ever sees half of a swap. */
	pthread_rwlock_rdlock(&n->case_lock);
	node_serve(user, in, out);
	pthread_rwlock_unlock(&n->case_lock);
	atomic_fetch_sub(&node_calls_inflight, 1);
	atomic_fetch_add(&node_calls_served, 1);
}

/* The scenario at path (variant, then sets, applied in this order) and,
 * unless bare, this process's runtime wired to the transport. 0, or 2 (bad
 * scenario or setting) or 3 (no runtime for this process) with err. */
int node_load_case(node *n, const node_case *c, sc_scenario **scn,
		   sc_runtime **rt, char *err, size_t errlen)
{
	const char *path = c->path;
	*scn = NULL;
	*rt = NULL;
	sc_load_errors errs = {0};
	char why[768];
	const sc_case_ref which = {path, c->variant, c->sets, c->nsets};
	if (sc_load_case(n->cache, &which, scn, &errs, why, sizeof(why)) !=
	    0) {
		size_t used = 0;
		if (!errs.count)
			snprintf(err, errlen, "%s: --set %s", path, why);
		for (size_t i = 0; i < errs.count && used + 1 < errlen; i++) {
			char line[512];
			sc_load_error_format(&errs.items[i], line, sizeof(line));
			int w = snprintf(err + used, errlen - used, "%s%s",
					 i ? "\n" : "", line);
			if (w < 0)
				break;
			used += (size_t)w;
		}
		sc_load_errors_free(&errs);
		return 2;
	}
	sc_load_errors_free(&errs);
	if (c->bare)
		return 0;
	sc_log log;
	sc_log_init(&log);
	sc_status st = sc_runtime_new(*scn, n->process, rt, &log);
	if (st != SC_OK) {
		snprintf(err, errlen, "cannot start: %s%s%s",
			 sc_status_name(st), log.count ? ": " : "",
			 log.count ? log.notes[log.count - 1].text : "");
		sc_log_free(&log);
		sc_load_free(*scn);
		*scn = NULL;
		*rt = NULL;
		return 3;
	}
	sc_log_free(&log);
	sc_runtime_set_transport(*rt, node_call, node_sleep, n);
	return 0;
}

int node_load(node *n)
{
	char err[2048];
	node_case c = {n->scenario_path, n->variant, n->sets, n->sets_count,
		       n->bare};
	int rc = node_load_case(n, &c, &n->scn, &n->rt, err, sizeof(err));
	if (rc == 2)
		fprintf(stderr, "%s\n", err);
	else if (rc == 3)
		node_log("%s", err);
	if (rc != 0 || !n->bare)
		return rc;
	/* Bare: no runtime, no token: only whom the steps call. */
	const sc_process_def *p = sc_scenario_process(n->scn, n->process);
	if (!p) {
		node_log("cannot start: no process %s in %s", n->process,
			 n->scenario_path);
		return 3;
	}
	for (unsigned k = 0; k < p->steps_count; k++)
		if (p->steps[k].kind == SC_STEP_CALL && p->steps[k].to &&
		    n->targets_count < MAX_PEERS)
			n->targets[n->targets_count++] = p->steps[k].to;
	return 0;
}

int node_run_server(node *n)
{
	char err[RPC_ERRLEN];
	rpc_server *srv = NULL;
	int port = 0;
	if (rpc_server_start(n->listen, &(rpc_service){node_handle, n}, &srv,
			     &port, err, sizeof(err)) != 0) {
		node_log("%s", err);
		return 3;
	}
	if (n->ready_fd >= 0) {
		char line[64];
		int l = snprintf(line, sizeof(line), "READY %d\n", port);
		if (util_write_all(n->ready_fd, line, (size_t)l) != 0)
			node_log("cannot report readiness");
		if (n->control_fd < 0) /* warm: cases are answered there */
			close(n->ready_fd);
	}
	node_log("listening on %s (port %d), %s%s", n->listen, port,
		 rpc_tls_on() ? "mutual TLS" : "no TLS",
		 n->control_fd >= 0 ? ", warm (cases on the control fd)" : "");
	pthread_t ctl;
	bool ctl_on = n->control_fd >= 0 &&
		      pthread_create(&ctl, NULL, node_control_serve, n) == 0;
	if (n->control_fd >= 0 && !ctl_on) {
		node_log("cannot start the control thread");
		node_stop_flag = 1;
	}
	rpc_server_run(srv, &node_stop_flag, MAX_INFLIGHT);
	if (ctl_on)
		pthread_join(ctl, NULL);
	unsigned long long refused, expired;
	rpc_server_counts(srv, &refused, &expired);
	rpc_server_free(srv);
	node_log("served %llu calls, at most %u at once; %llu signature "
		 "checks of statements already verified saved; %llu tickets "
		 "asked of the authority; %llu calls refused busy, %llu ended "
		 "at a stage's deadline, %llu connections refused",
		 (unsigned long long)atomic_load(&node_calls_served),
		 atomic_load(&node_calls_inflight_max),
		 (unsigned long long)auth_memo_hits() +
			 secure_statements_reused(n->sec),
		 secure_tickets_requested(n->sec), refused, expired,
		 rpc_connections_refused());
	return 0;
}
