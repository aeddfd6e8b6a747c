/* call.c: a daemon's outgoing calls: a peer's channel, the call made for
 * the model (node_call), the benchmark's bare relay and load-mode call,
 * and sleeps that end at a stop signal. */
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

/* A peer given as "@FILE" (started after this daemon, in a cyclic call
 * graph): its address is the first line of FILE, which the launcher
 * writes once the peer listens. Caller holds n->lock. */
static int resolve_addr(peer *p, char *why, size_t whylen)
{
	FILE *f = fopen(p->addr + 1, "r");
	char line[sizeof(p->addr)] = "";
	bool ok = f && fgets(line, sizeof(line), f);
	if (f)
		fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if (!ok || !line[0]) {
		snprintf(why, whylen, "no address known yet for %s (%s)",
			 p->name, p->addr + 1);
		return -1;
	}
	snprintf(p->addr, sizeof(p->addr), "%s", line);
	return 0;
}

static rpc_channel *channel_for(node *n, const char *target, char *why,
				size_t whylen)
{
	rpc_channel *ch = NULL;
	pthread_mutex_lock(&n->lock);
	for (size_t i = 0; i < n->peers_count; i++) {
		peer *p = &n->peers[i];
		if (strcmp(p->name, target) != 0)
			continue;
		if (!p->ch && p->addr[0] == '@' &&
		    resolve_addr(p, why, whylen) != 0)
			break;
		if (!p->ch && n->sec) {
			char name[AUTH_NAME_LEN];
			if (secure_peer_name(n->sec, target, name,
					     sizeof(name)) == 0)
				p->ch = rpc_channel_open_as(p->addr, name);
		} else if (!p->ch) {
			p->ch = rpc_channel_open(p->addr);
		}
		ch = p->ch;
		if (!ch)
			snprintf(why, whylen, "cannot open a channel to %s", p->addr);
		break;
	}
	if (!ch && !why[0])
		snprintf(why, whylen, "no address known for %s", target);
	pthread_mutex_unlock(&n->lock);
	return ch;
}

static sc_status status_from_rpc(int code, const char *details)
{
	switch (code) {
	case RPC_STATUS_DEADLINE_EXCEEDED:
		return SC_DEADLINE_EXCEEDED;
	case RPC_STATUS_UNAVAILABLE:
	case RPC_STATUS_CANCELLED:
	case RPC_STATUS_RESOURCE_EXHAUSTED: /* busy: nothing judged */
		return SC_UNAVAILABLE;
	case RPC_STATUS_INVALID_ARGUMENT:
	case RPC_STATUS_UNAUTHENTICATED:
		return strncmp(details, "BAD_CONTEXT", 11) == 0 ? SC_BAD_CONTEXT
								: SC_INTERNAL;
	default:
		return SC_INTERNAL;
	}
}

_Thread_local bool node_trace_wanted = true;

/* sc_call_fn: the model asks for an outgoing call. */
sc_status node_call(void *user, void *parent, const char *target,
			   const sc_context *ctx, sc_trace *reply, sc_log *log)
{
	node *n = user;
	char why[256] = "";
	rpc_channel *ch = channel_for(n, target, why, sizeof(why));
	if (!ch) {
		sc_log_rule(log, "NET", "%s", why);
		return SC_UNAVAILABLE;
	}
	uint8_t *cbuf = NULL, *rbuf = NULL;
	size_t clen = 0, rlen = 0;
	if (n->sec) {
		auth_reject why;
		if (secure_seal(n->sec,
				&(secure_call){parent, target, ctx, n->rt},
				&cbuf, &clen, &why) != 0) {
			bool busy = strcmp(why.rule, AUTH_BUSY) == 0;
			sc_log_rule(log, busy ? "NET" : why.rule,
				    "no call to %s: %s%s", target,
				    busy ? "the authority is busy: " : "",
				    why.reason);
			node_log("call to %s not made: [%s] %s", target,
				 why.rule, why.reason);
			/* An authority out of reach, or too busy to judge,
			 * decided nothing. */
			return strcmp(why.rule, "NET") == 0 ||
					       strcmp(why.rule, AUTH_BUSY) == 0
				       ? SC_UNAVAILABLE
				       : SC_ACCESS_DENIED;
		}
		char tamper[256];
		if (secure_tampering(n->sec, ctx, tamper, sizeof(tamper)))
			sc_log_rule(log, "NET",
				    "misbehaving on purpose in its call to %s: "
				    "it %s", target, tamper);
	} else if (codec_context_encode(ctx, &cbuf, &clen) != 0) {
		return SC_INTERNAL;
	}
	/* The trace goes back up the chain only when the call this one
	 * serves asked for it (the launcher does; the benchmark's load
	 * does not). */
	if (codec_request_encode(target, node_trace_wanted, &rbuf, &rlen) !=
	    0) {
		free(cbuf);
		return SC_INTERNAL;
	}
	if (clen > CODEC_MAX_CONTEXT) {
		/* The callee would refuse it: say so here, send nothing. */
		sc_log_rule(log, "NET",
			    "the context for %s is %zu bytes, over the "
			    "%d-byte cap: not sent", target, clen,
			    CODEC_MAX_CONTEXT);
		node_log("call to %s: context of %zu bytes over the %d-byte "
			 "cap, not sent", target, clen, CODEC_MAX_CONTEXT);
		free(cbuf);
		free(rbuf);
		return SC_BAD_CONTEXT;
	}
	rpc_result res;
	memset(&res, 0, sizeof(res));
	int rc = rpc_call(
		ch,
		&(rpc_request){parent, cbuf, clen, rbuf, rlen, n->timeout_ms},
		&res);
	free(cbuf);
	free(rbuf);
	sc_status st = SC_OK;
	if (rc != 0) {
		sc_log_rule(log, "NET", "call to %s failed: %s", target,
			    res.details);
		st = SC_UNAVAILABLE;
	} else if (res.status != RPC_STATUS_OK) {
		st = status_from_rpc(res.status, res.details);
		/* The callee's refusal (its trailer) goes in the trace under
		 * the callee's own rule id; anything else is the network's. */
		char rule[8] = "NET", err[128];
		sc_refusal ref;
		if (res.trailer &&
		    codec_refusal_decode(res.trailer, res.trailer_len, &ref, err,
					 sizeof(err)) == 0)
			snprintf(rule, sizeof(rule), "%s", ref.rule);
		else if (res.trailer)
			node_log("call to %s: unreadable refusal: %s", target,
				 err);
		/* Only a status the callee sent is its refusal; an
		 * unreachable callee, or a TLS handshake either side
		 * refused, is a failed call. */
		if (st == SC_BAD_CONTEXT || st == SC_INTERNAL)
			sc_log_rule(log, rule,
				    "%s refused the call (gRPC status %d): %s",
				    target, res.status, res.details);
		else
			sc_log_rule(log, rule,
				    "the call to %s failed (gRPC status %d): "
				    "%s",
				    target, res.status, res.details);
	} else {
		char err[256];
		if (codec_trace_decode(res.body, res.body_len, reply, err,
				       sizeof(err)) != 0) {
			sc_log_rule(log, "NET", "bad reply from %s: %s", target,
				    err);
			st = SC_BAD_CONTEXT;
		}
	}
	if (st != SC_OK && rc == 0 && res.status != RPC_STATUS_OK)
		node_log("call to %s: %s (gRPC status %d: %s)", target,
			 sc_status_name(st), res.status, res.details);
	else if (st != SC_OK)
		node_log("call to %s: %s", target, sc_status_name(st));
	rpc_result_free(&res);
	return st;
}

void node_sleep(void *user, unsigned ms)
{
	(void)user;
	/* In slices: the stop signal may land on another thread, and a
	 * sleeping call must not hold up the daemon's stop. */
	while (ms > 0 && !node_stop_flag) {
		unsigned slice = ms < 50 ? ms : 50;
		struct timespec ts = {.tv_sec = 0,
				      .tv_nsec = (long)slice * 1000000L};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		ms -= slice;
	}
}

/* Bare relay: the calls this process's steps make, in order, each with
 * the same request message as the secured path but no context; nothing
 * is decoded or decided. The reply is the last callee's reply, or (at the
 * end of the chain) the request itself. Returns an RPC status. */
int node_bare_relay(node *n, const rpc_incoming *in, uint8_t **reply,
		    size_t *reply_len, char *why, size_t whylen)
{
	void *parent = in->parent;
	const uint8_t *body = in->body;
	size_t body_len = in->body_len;
	*reply = NULL;
	*reply_len = 0;
	for (size_t i = 0; i < n->targets_count; i++) {
		const char *target = n->targets[i];
		rpc_channel *ch = channel_for(n, target, why, whylen);
		uint8_t *rbuf = NULL;
		size_t rlen = 0;
		if (!ch)
			return RPC_STATUS_UNAVAILABLE;
		if (codec_request_encode(target, false, &rbuf, &rlen) != 0)
			return RPC_STATUS_INTERNAL;
		rpc_result res;
		memset(&res, 0, sizeof(res));
		int rc = rpc_call(ch,
				  &(rpc_request){parent, NULL, 0, rbuf, rlen,
						 n->timeout_ms},
				  &res);
		free(rbuf);
		if (rc != 0 || res.status != RPC_STATUS_OK) {
			snprintf(why, whylen, "call to %.32s: %d %.160s",
				 target, res.status, res.details);
			int st = rc != 0 ? RPC_STATUS_UNAVAILABLE : res.status;
			rpc_result_free(&res);
			return st;
		}
		free(*reply);
		*reply = res.body;
		*reply_len = res.body_len;
	}
	if (!n->targets_count) {
		*reply = malloc(body_len ? body_len : 1);
		if (!*reply)
			return RPC_STATUS_INTERNAL;
		if (body_len)
			memcpy(*reply, body, body_len);
		*reply_len = body_len;
	}
	return RPC_STATUS_OK;
}

/* load_call_fn: one call through the chain as the client makes it. */
int node_call_once(void *user)
{
	node *n = user;
	if (n->bare) {
		static const uint8_t none[1];
		uint8_t *reply = NULL;
		size_t len = 0;
		char why[RPC_ERRLEN] = "";
		rpc_incoming in = {.body = none};
		int st = node_bare_relay(n, &in, &reply, &len, why,
					 sizeof(why));
		free(reply);
		if (st != RPC_STATUS_OK)
			node_log("bare relay: %s", why);
		return st == RPC_STATUS_OK ? 0 : -1;
	}
	sc_trace t;
	sc_trace_init(&t);
	node_trace_wanted = false; /* load: statuses only, as the bare relay */
	sc_runtime_run_client(n->rt, &t);
	/* A hop that did not complete (transport, bad context) is an
	 * error; the model's own refusals are answers. */
	int rc = t.count ? 0 : -1;
	for (size_t i = 0; i < t.count; i++) {
		sc_status st = t.hops[i].status;
		if (st == SC_BAD_CONTEXT || st == SC_UNAVAILABLE ||
		    st == SC_DEADLINE_EXCEEDED || st == SC_INTERNAL)
			rc = -1;
	}
	sc_trace_free(&t);
	return rc;
}
