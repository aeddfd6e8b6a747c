/* node.c: the body of every daemon: argument parsing, the scenario, the
 * model's runtime, and the wiring of its outgoing calls and incoming calls
 * to rpc; and the benchmark's bare relay (--bare: the same calls over the
 * same transport, mutual TLS included when given the authority's files,
 * with no context, no token, no check) and load mode; and warm mode
 * (--control-fd: case after case on one daemon, each loaded whole, none
 * seeing what the last one left). Decisions are the model's; this file
 * only moves bytes and reports
 * transport facts. */
#include "node.h"

#include "codec.h"
#include "load.h"
#include "rpc.h"
#include "sc_load.h"
#include "secure.h"

#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PEERS 32
#define MAX_SETS 64
#define MAX_INFLIGHT 256

typedef struct peer {
	char name[SC_NAME_LEN];
	char addr[600]; /* HOST:PORT, or @FILE holding it */
	rpc_channel *ch;
} peer;

typedef struct node {
	node_kind kind;
	const char *process;
	const char *scenario_path;
	const char *variant;
	const char *sets[MAX_SETS]; /* --set KEY=VALUE, after the variant */
	size_t sets_count;
	const char *listen;
	int ready_fd;
	int result_fd;
	int timeout_ms;
	const char *auth_dir;   /* signed contexts: the authority's files */
	const char *authority;  /* and its address */
	uint64_t skew_ms;
	secure *sec;            /* NULL: contexts are not signed */
	bool insecure;          /* --insecure: signed contexts, no TLS */
	bool bare;           /* --bare: relay only, no security work */
	load_plan load;      /* a client's load mode (benchmark), when set */
	bool load_set;
	const char *targets[MAX_PEERS]; /* bare: the processes the steps call */
	size_t targets_count;
	peer peers[MAX_PEERS];
	size_t peers_count;
	pthread_mutex_t lock; /* guards peers[].ch */
	int control_fd;       /* --control-fd: warm, cases come here */
	pthread_rwlock_t case_lock; /* calls read scn and rt, a case swaps
	                               them */
	sc_load_cache *cache;  /* warm: the files loaded, for copies */
	sc_scenario *scn;
	sc_runtime *rt;
} node;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static const char *kind_name(node_kind k)
{
	return k == NODE_CLIENT ? "procA" : k == NODE_MIDDLE ? "procB" : "procC";
}

static node *the_node;

/* Calls served, and the most served at once (logged as the server stops:
 * `cloakroom stress` reads it to show that calls overlapped). */
static atomic_ullong calls_served;
static atomic_uint calls_inflight, calls_inflight_max;

/* A fault for tests only (see node.h): every call's context passes
 * through one process-wide slot. */
static atomic_bool fault_shared_context;
static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *fault_slot;
static size_t fault_slot_len;

void node_fault_shared_context(bool on)
{
	atomic_store(&fault_shared_context, on);
}

/* The bug: store the caller's context where every call can see it, let
 * other calls run, then read "the caller" back. Returns a malloc'd copy
 * of whatever the slot holds by then (NULL when out of memory). */
static uint8_t *fault_share(const uint8_t *ctx, size_t len, size_t *out_len)
{
	pthread_mutex_lock(&fault_lock);
	uint8_t *p = realloc(fault_slot, len ? len : 1);
	if (p) {
		fault_slot = p;
		memcpy(fault_slot, ctx, len);
		fault_slot_len = len;
	}
	pthread_mutex_unlock(&fault_lock);
	usleep(500);
	pthread_mutex_lock(&fault_lock);
	uint8_t *copy = malloc(fault_slot_len ? fault_slot_len : 1);
	if (copy) {
		memcpy(copy, fault_slot, fault_slot_len);
		*out_len = fault_slot_len;
	}
	pthread_mutex_unlock(&fault_lock);
	return copy;
}

/* The same bug behind signed contexts: what the signatures vouched for
 * was right, what the call is then served with is another call's. */
static void fault_share_opened(sc_context *ctx, sc_token **identity,
			       sc_token **vouched)
{
	uint8_t *b = NULL, *shared = NULL;
	size_t len = 0, slen = 0;
	char err[200];
	/* What is shared is the identity the call is served with: the
	 * authority's word on it. */
	sc_context mine = *ctx;
	if (*vouched)
		mine.identity = *vouched;
	if (codec_context_encode(&mine, &b, &len) == 0 &&
	    (shared = fault_share(b, len, &slen)) != NULL) {
		sc_context c;
		sc_token *id = NULL;
		sc_token *v = NULL;
		if (codec_context_decode(shared, slen, &c, &id, err,
					 sizeof(err)) == 0 &&
		    (v = sc_token_copy(id)) != NULL) {
			sc_token_free(*identity);
			sc_token_free(*vouched);
			c.vouched = v;
			c.vouched_level = ctx->vouched_level;
			c.vouched_forwardable = ctx->vouched_forwardable;
			*ctx = c;
			*identity = id;
			*vouched = v;
		} else {
			sc_token_free(id);
		}
	}
	free(b);
	free(shared);
}

static void node_log(const char *fmt, ...)
{
	char raw[1024], buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* What came from the wire (peers, details, names) cannot fake a
	 * line of the log. */
	sc_escape(raw, buf, sizeof(buf));
	fprintf(stderr, "%s[%s %ld]: %s\n", kind_name(the_node->kind),
		the_node->process ? the_node->process : "?", (long)getpid(),
		buf);
}

static void usage(node_kind k)
{
	fprintf(stderr,
		"usage: %s --scenario FILE --role NAME (or --process NAME) [--variant NAME]\n"
		"       [--set KEY=VALUE]... [--listen ADDR] [--peer NAME=ADDR|NAME=@FILE]... [--ready-fd N]\n"
		"       [--result-fd N] [--timeout-ms N] [--bare]\n"
		"       [--bench-warmup N] [--bench-calls N | --bench-inflight K"
		" --bench-ms MS]\n"
		"       [--auth-dir DIR --authority ADDR] [--clock-skew-ms N]"
		" [--insecure]\n"
		"       [--control-fd N]\n",
		kind_name(k));
}

static int parse_args(node *n, int argc, char **argv)
{
	n->ready_fd = -1;
	n->result_fd = 1;
	n->control_fd = -1;
	n->timeout_ms = 10000;
	n->skew_ms = AUTH_DEFAULT_SKEW_MS;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--bare") == 0) {
			n->bare = true;
			continue;
		}
		if (strcmp(a, "--insecure") == 0) {
			n->insecure = true;
			continue;
		}
		if (!v) {
			fprintf(stderr, "%s: %s needs a value\n",
				kind_name(n->kind), a);
			return -1;
		}
		i++;
		if (strcmp(a, "--scenario") == 0) {
			n->scenario_path = v;
		} else if (strcmp(a, "--process") == 0 ||
			   strcmp(a, "--role") == 0) {
			n->process = v;
		} else if (strcmp(a, "--variant") == 0) {
			n->variant = v;
		} else if (strcmp(a, "--set") == 0) {
			if (n->sets_count == MAX_SETS) {
				fprintf(stderr, "%s: more than %d --set\n",
					kind_name(n->kind), MAX_SETS);
				return -1;
			}
			n->sets[n->sets_count++] = v;
		} else if (strcmp(a, "--listen") == 0) {
			n->listen = v;
		} else if (strcmp(a, "--ready-fd") == 0) {
			n->ready_fd = atoi(v);
		} else if (strcmp(a, "--result-fd") == 0) {
			n->result_fd = atoi(v);
		} else if (strcmp(a, "--control-fd") == 0) {
			n->control_fd = atoi(v);
		} else if (strcmp(a, "--timeout-ms") == 0) {
			n->timeout_ms = atoi(v);
		} else if (strcmp(a, "--auth-dir") == 0) {
			n->auth_dir = v;
		} else if (strcmp(a, "--authority") == 0) {
			n->authority = v;
		} else if (strcmp(a, "--clock-skew-ms") == 0) {
			char *end = NULL;
			errno = 0;
			unsigned long long x = strtoull(v, &end, 10);
			if (errno || !*v || *end || *v == '-' ||
			    x > AUTH_MAX_SKEW_MS) {
				fprintf(stderr,
					"%s: bad --clock-skew-ms '%s' (0 to "
					"%u ms)\n",
					kind_name(n->kind), v, AUTH_MAX_SKEW_MS);
				return -1;
			}
			n->skew_ms = x;
		} else if (strncmp(a, "--bench-", 8) == 0) {
			char *end = NULL;
			errno = 0;
			unsigned long x = strtoul(v, &end, 10);
			if (errno || !*v || *end || x > 1000000000ul) {
				fprintf(stderr, "%s: bad %s '%s'\n",
					kind_name(n->kind), a, v);
				return -1;
			}
			n->load_set = true;
			if (strcmp(a, "--bench-warmup") == 0) {
				n->load.warmup = (unsigned)x;
			} else if (strcmp(a, "--bench-calls") == 0) {
				n->load.calls = (unsigned)x;
			} else if (strcmp(a, "--bench-inflight") == 0) {
				n->load.inflight = (unsigned)x;
			} else if (strcmp(a, "--bench-ms") == 0) {
				n->load.duration_ms = (unsigned)x;
			} else {
				fprintf(stderr, "%s: unknown option %s\n",
					kind_name(n->kind), a);
				return -1;
			}
		} else if (strcmp(a, "--peer") == 0) {
			const char *eq = strchr(v, '=');
			if (!eq || n->peers_count == MAX_PEERS ||
			    (size_t)(eq - v) >= sizeof(n->peers[0].name) ||
			    strlen(eq + 1) >= sizeof(n->peers[0].addr)) {
				fprintf(stderr, "%s: bad --peer '%s'\n",
					kind_name(n->kind), v);
				return -1;
			}
			peer *p = &n->peers[n->peers_count++];
			snprintf(p->name, sizeof(p->name), "%.*s",
				 (int)(eq - v), v);
			snprintf(p->addr, sizeof(p->addr), "%s", eq + 1);
		} else {
			fprintf(stderr, "%s: unknown option %s\n",
				kind_name(n->kind), a);
			return -1;
		}
	}
	if (!n->scenario_path || !n->process ||
	    !n->auth_dir != !n->authority) {
		usage(n->kind);
		return -1;
	}
	if (n->control_fd >= 0 && (n->bare || n->load_set)) {
		fprintf(stderr, "%s: --control-fd is for scenario runs, not "
				"the benchmark's modes\n",
			kind_name(n->kind));
		return -1;
	}
	if (n->load_set &&
	    (n->kind != NODE_CLIENT ||
	     (n->load.calls == 0) == (n->load.inflight == 0))) {
		fprintf(stderr, "%s: the load mode is a client's, with either "
				"--bench-calls or --bench-inflight\n",
			kind_name(n->kind));
		return -1;
	}
	if (n->kind != NODE_CLIENT && !n->listen)
		n->listen = "127.0.0.1:0";
	return 0;
}

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

/* sc_call_fn: the model asks for an outgoing call. */
static sc_status node_call(void *user, void *parent, const char *target,
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
		if (secure_seal(n->sec, parent, target, ctx, n->rt, &cbuf, &clen,
				&why) != 0) {
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
	if (codec_request_encode(target, &rbuf, &rlen) != 0) {
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
	int rc = rpc_call(ch, parent, cbuf, clen, rbuf, rlen, n->timeout_ms,
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
		/* "BAD_CONTEXT [K5] ...": the callee's rule goes in the
		 * trace under its own id. */
		char rule[8] = "NET";
		const char *b = strstr(res.details, " [");
		const char *e = b ? strchr(b + 2, ']') : NULL;
		if (e && e - b - 2 > 0 && e - b - 2 < (long)sizeof(rule))
			snprintf(rule, sizeof(rule), "%.*s", (int)(e - b - 2),
				 b + 2);
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

static void node_sleep(void *user, unsigned ms)
{
	(void)user;
	/* In slices: the stop signal may land on another thread, and a
	 * sleeping call must not hold up the daemon's stop. */
	while (ms > 0 && !stop_flag) {
		unsigned slice = ms < 50 ? ms : 50;
		struct timespec ts = {.tv_sec = 0,
				      .tv_nsec = (long)slice * 1000000L};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		ms -= slice;
	}
}

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
	return false;
}

/* Bare relay: the calls this process's steps make, in order, each with
 * the same request message as the secured path but no context; nothing
 * is decoded or decided. The reply is the last callee's reply, or (at the
 * end of the chain) the request itself. Returns an RPC status. */
static int node_bare_relay(node *n, void *parent, const uint8_t *body,
			   size_t body_len, uint8_t **reply, size_t *reply_len,
			   char *why, size_t whylen)
{
	*reply = NULL;
	*reply_len = 0;
	for (size_t i = 0; i < n->targets_count; i++) {
		const char *target = n->targets[i];
		rpc_channel *ch = channel_for(n, target, why, whylen);
		uint8_t *rbuf = NULL;
		size_t rlen = 0;
		if (!ch)
			return RPC_STATUS_UNAVAILABLE;
		if (codec_request_encode(target, &rbuf, &rlen) != 0)
			return RPC_STATUS_INTERNAL;
		rpc_result res;
		memset(&res, 0, sizeof(res));
		int rc = rpc_call(ch, parent, NULL, 0, rbuf, rlen,
				  n->timeout_ms, &res);
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

static void node_handle_bare(node *n, const rpc_incoming *in, rpc_reply *out)
{
	char why[RPC_ERRLEN] = "";
	out->status = node_bare_relay(n, in->parent, in->body, in->body_len,
				      &out->body, &out->body_len, why,
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
	char target[SC_NAME_LEN] = "";
	out->status = RPC_STATUS_OK;

	if (codec_request_decode(in->body, in->body_len, target,
				 sizeof(target), err, sizeof(err)) != 0) {
		node_log("refused a call from %s: %s", in->peer, err);
		out->status = RPC_STATUS_INVALID_ARGUMENT;
		snprintf(out->details, sizeof(out->details), "BAD_REQUEST: %s",
			 err);
		return;
	}
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
		if (atomic_load(&fault_shared_context))
			fault_share_opened(&ctx, &identity, &vouched);
	} else if (in->context_present) {
		const uint8_t *cbytes = in->context;
		size_t clen = in->context_len;
		uint8_t *shared = NULL;
		if (atomic_load(&fault_shared_context)) {
			shared = fault_share(cbytes, clen, &clen);
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
	sc_runtime_serve(n->rt, pctx, in->parent, &t);
	if (codec_trace_encode(&t, &out->body, &out->body_len) != 0) {
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
	unsigned now = atomic_fetch_add(&calls_inflight, 1) + 1;
	unsigned max = atomic_load(&calls_inflight_max);
	while (now > max &&
	       !atomic_compare_exchange_weak(&calls_inflight_max, &max, now))
		;
	node *n = user;
	/* A warm daemon's case is swapped only between runs; the lock makes
	 * sure no call ever sees half of a swap. */
	pthread_rwlock_rdlock(&n->case_lock);
	node_serve(user, in, out);
	pthread_rwlock_unlock(&n->case_lock);
	atomic_fetch_sub(&calls_inflight, 1);
	atomic_fetch_add(&calls_served, 1);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* The scenario at path (variant, then sets, applied in this order) and,
 * unless bare, this process's runtime wired to the transport. 0, or 2 (bad
 * scenario or setting) or 3 (no runtime for this process) with err. */
static int load_case(node *n, const char *path, const char *variant,
		     const char *const *sets, size_t nsets, bool bare,
		     sc_scenario **scn, sc_runtime **rt, char *err,
		     size_t errlen)
{
	*scn = NULL;
	*rt = NULL;
	sc_load_errors errs = {0};
	char why[768];
	if (sc_load_case(n->cache, path, variant, sets, nsets, scn, &errs, why,
			 sizeof(why)) != 0) {
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
	if (bare)
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

static int load(node *n)
{
	char err[2048];
	int rc = load_case(n, n->scenario_path, n->variant, n->sets,
			   n->sets_count, n->bare, &n->scn, &n->rt, err,
			   sizeof(err));
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

/* ---- warm daemons ------------------------------------------------- */

/* One line from fd into *line (malloc'd, without its newline), waiting
 * in slices so that a stop signal is seen. 1 a line, 0 end of input or
 * stop, -1 error. Bytes after the newline stay in *pending. */
static int control_line(int fd, char **pending, size_t *plen, char **line)
{
	*line = NULL;
	for (;;) {
		char *nl = *plen ? memchr(*pending, '\n', *plen) : NULL;
		if (nl) {
			size_t l = (size_t)(nl - *pending);
			*line = strndup(*pending, l);
			memmove(*pending, nl + 1, *plen - l - 1);
			*plen -= l + 1;
			return *line ? 1 : -1;
		}
		if (stop_flag)
			return 0;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int pr = poll(&pfd, 1, 100);
		if (pr < 0 && errno != EINTR)
			return -1;
		if (pr <= 0)
			continue;
		char buf[4096];
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? 0 : -1;
		if (*plen + (size_t)r > (1u << 20))
			return -1; /* no case is a megabyte long */
		char *p = realloc(*pending, *plen + (size_t)r + 1);
		if (!p)
			return -1;
		memcpy(p + *plen, buf, (size_t)r);
		*pending = p;
		*plen += (size_t)r;
	}
}

/* "CASE\tFILE\tVARIANT\tSET..." (VARIANT empty for none): load it and
 * make it this daemon's case. Between cases, everything a case leaves
 * behind goes with it: the runtime (its objects, rights and policy
 * changes) and the tickets and evidence of signed contexts. 0, or -1
 * with err (the previous case stays). */
static int control_case(node *n, char *line, char *err, size_t errlen)
{
	char *fields[2 + MAX_SETS + 1];
	size_t nf = 0;
	char *save = NULL;
	for (char *t = strtok_r(line, "\t", &save); t && nf < 2 + MAX_SETS + 1;
	     t = strtok_r(NULL, "\t", &save))
		fields[nf++] = t;
	/* strtok_r skips an empty variant: it is written as "-". */
	if (nf < 3 || strcmp(fields[0], "CASE") != 0 || nf > 3 + MAX_SETS) {
		snprintf(err, errlen, "bad control line");
		return -1;
	}
	const char *variant = strcmp(fields[2], "-") == 0 ? NULL : fields[2];
	sc_scenario *scn = NULL;
	sc_runtime *rt = NULL;
	if (load_case(n, fields[1], variant, (const char *const *)fields + 3,
		      nf - 3, false, &scn, &rt, err, errlen) != 0)
		return -1;
	if (sc_runtime_process(rt)->misbehave !=
	    (n->rt ? sc_runtime_process(n->rt)->misbehave
		   : SC_MISBEHAVE_NONE)) {
		snprintf(err, errlen, "this case's misbehaviour needs its own "
				      "daemons");
		sc_runtime_free(rt);
		sc_load_free(scn);
		return -1;
	}
	pthread_rwlock_wrlock(&n->case_lock);
	sc_runtime *old_rt = n->rt;
	sc_scenario *old_scn = n->scn;
	n->rt = rt;
	n->scn = scn;
	if (n->sec)
		secure_reset(n->sec);
	pthread_rwlock_unlock(&n->case_lock);
	sc_runtime_free(old_rt);
	sc_load_free(old_scn);
	return 0;
}

static int answer(int fd, const char *head, const uint8_t *body, size_t len)
{
	return write_all(fd, head, strlen(head)) == 0 &&
			       (!len || write_all(fd, body, len) == 0)
		       ? 0
		       : -1;
}

/* A warm server's control thread: each case is loaded, swapped in, and
 * answered "OK" (or "ERR why") on the ready fd. End of input stops the
 * daemon. */
static void *control_serve(void *arg)
{
	node *n = arg;
	char *pending = NULL, *line = NULL;
	size_t plen = 0;
	int got;
	while ((got = control_line(n->control_fd, &pending, &plen, &line)) ==
	       1) {
		char err[1024], head[1100];
		if (control_case(n, line, err, sizeof(err)) == 0)
			snprintf(head, sizeof(head), "OK\n");
		else
			snprintf(head, sizeof(head), "ERR %.*s\n",
				 (int)strcspn(err, "\n"), err);
		free(line);
		if (answer(n->ready_fd, head, NULL, 0) != 0)
			break;
	}
	free(pending);
	stop_flag = 1;
	return NULL;
}

/* The client's trace of one run of its steps. */
static void client_trace(node *n, sc_trace *t)
{
	sc_trace_init(t);
	sc_runtime_run_client(n->rt, t);
}

/* A warm client: each case is loaded and run, and its trace answered as
 * "RESULT N" and N bytes (or "ERR why") on the result fd. */
static int run_client_warm(node *n)
{
	char *pending = NULL, *line = NULL;
	size_t plen = 0;
	int got, rc = 0;
	while ((got = control_line(n->control_fd, &pending, &plen, &line)) ==
	       1) {
		char err[1024], head[1100];
		uint8_t *buf = NULL;
		size_t len = 0;
		if (control_case(n, line, err, sizeof(err)) == 0) {
			sc_trace t;
			client_trace(n, &t);
			if (codec_trace_encode(&t, &buf, &len) != 0) {
				snprintf(head, sizeof(head), "ERR out of memory\n");
				len = 0;
			} else {
				snprintf(head, sizeof(head), "RESULT %zu\n",
					 len);
			}
			sc_trace_free(&t);
		} else {
			snprintf(head, sizeof(head), "ERR %.*s\n",
				 (int)strcspn(err, "\n"), err);
		}
		free(line);
		int w = answer(n->result_fd, head, buf, len);
		free(buf);
		if (w != 0) {
			rc = 4;
			break;
		}
	}
	free(pending);
	return got < 0 ? 4 : rc;
}

/* Signed contexts with the authority's files. The bare relay given them
 * (and not --insecure) only takes its mutual TLS from them, so that bare
 * and secured runs share a transport: the same certificates, the same
 * handshake, and nothing sealed or checked per call. */
static int open_secure(node *n)
{
	if (!n->auth_dir || (n->bare && n->insecure))
		return 0;
	secure_config cfg = {
		.dir = n->auth_dir,
		.authority = n->authority,
		.process = n->process,
		.skew_ms = n->skew_ms,
		.timeout_ms = n->timeout_ms,
		.misbehave = n->rt ? sc_runtime_process(n->rt)->misbehave
				   : SC_MISBEHAVE_NONE,
		.insecure = n->insecure,
	};
	char err[256];
	if (secure_open(&cfg, &n->sec, err, sizeof(err)) != 0) {
		node_log("cannot sign contexts: %s", err);
		return 3;
	}
	/* The authority's credentials and tickets arrive again on every
	 * call: each verified once (auth.h). */
	auth_memo_enable(true);
	if (cfg.misbehave != SC_MISBEHAVE_NONE)
		node_log("misbehaving on purpose (scenario setting)");
	return 0;
}

/* load_call_fn: one call through the chain as the client makes it. */
static int node_call_once(void *user)
{
	node *n = user;
	if (n->bare) {
		static const uint8_t none[1];
		uint8_t *reply = NULL;
		size_t len = 0;
		char why[RPC_ERRLEN] = "";
		int st = node_bare_relay(n, NULL, none, 0, &reply, &len, why,
					 sizeof(why));
		free(reply);
		if (st != RPC_STATUS_OK)
			node_log("bare relay: %s", why);
		return st == RPC_STATUS_OK ? 0 : -1;
	}
	sc_trace t;
	sc_trace_init(&t);
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

static int run_client(node *n)
{
	if (n->control_fd >= 0)
		return run_client_warm(n);
	if (n->load_set) {
		if (load_run(&n->load, node_call_once, n, n->result_fd) != 0) {
			node_log("cannot run the load or report it");
			return 4;
		}
		return 0;
	}
	if (n->bare)
		return node_call_once(n) == 0 ? 0 : 4;
	sc_trace t;
	sc_trace_init(&t);
	sc_runtime_run_client(n->rt, &t);
	/* One line per hop on stderr, for a client run by hand (a deployment
	 * on several machines); the trace itself goes to the result fd. */
	for (size_t i = 0; i < t.count; i++) {
		const sc_hop *h = &t.hops[i];
		bool bad = h->status != SC_OK && h->log.count; /* say why */
		char rules[96] = "";
		for (size_t k = 0; k < h->log.count; k++) {
			size_t l = strlen(rules);
			if (l + 10 < sizeof(rules))
				snprintf(rules + l, sizeof(rules) - l, "%s%s",
					 l ? " " : "", h->log.notes[k].rule);
		}
		node_log("hop %s->%s: %s, presented %s at %s [%s]%s%s", h->from,
			 h->to, sc_status_name(h->status),
			 h->presented[0] ? h->presented : "nobody",
			 sc_level_name(h->level_effective), rules,
			 bad ? ": " : "",
			 bad ? h->log.notes[h->log.count - 1].text : "");
	}
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = 0;
	if (codec_trace_encode(&t, &buf, &len) != 0 ||
	    write_all(n->result_fd, buf, len) != 0) {
		node_log("cannot report the result");
		rc = 4;
	}
	free(buf);
	sc_trace_free(&t);
	return rc;
}

static int run_server(node *n)
{
	char err[RPC_ERRLEN];
	rpc_server *srv = NULL;
	int port = 0;
	if (rpc_server_start(n->listen, node_handle, n, &srv, &port, err,
			     sizeof(err)) != 0) {
		node_log("%s", err);
		return 3;
	}
	if (n->ready_fd >= 0) {
		char line[64];
		int l = snprintf(line, sizeof(line), "READY %d\n", port);
		if (write_all(n->ready_fd, line, (size_t)l) != 0)
			node_log("cannot report readiness");
		if (n->control_fd < 0) /* warm: cases are answered there */
			close(n->ready_fd);
	}
	node_log("listening on %s (port %d), %s%s", n->listen, port,
		 rpc_tls_on() ? "mutual TLS" : "no TLS",
		 n->control_fd >= 0 ? ", warm (cases on the control fd)" : "");
	pthread_t ctl;
	bool ctl_on = n->control_fd >= 0 &&
		      pthread_create(&ctl, NULL, control_serve, n) == 0;
	if (n->control_fd >= 0 && !ctl_on) {
		node_log("cannot start the control thread");
		stop_flag = 1;
	}
	rpc_server_run(srv, &stop_flag, MAX_INFLIGHT);
	if (ctl_on)
		pthread_join(ctl, NULL);
	unsigned long long refused, expired;
	rpc_server_counts(srv, &refused, &expired);
	rpc_server_free(srv);
	node_log("served %llu calls, at most %u at once; %llu signature "
		 "checks of statements already verified saved; %llu tickets "
		 "asked of the authority; %llu calls refused busy, %llu ended "
		 "at a stage's deadline, %llu connections refused",
		 (unsigned long long)atomic_load(&calls_served),
		 atomic_load(&calls_inflight_max),
		 (unsigned long long)auth_memo_hits(),
		 secure_tickets_requested(n->sec), refused, expired,
		 rpc_connections_refused());
	return 0;
}

int node_main(int argc, char **argv, node_kind kind)
{
	node n;
	memset(&n, 0, sizeof(n));
	n.kind = kind;
	the_node = &n;
	pthread_mutex_init(&n.lock, NULL);
	pthread_rwlock_init(&n.case_lock, NULL);
	if (parse_args(&n, argc, argv) != 0) {
		pthread_rwlock_destroy(&n.case_lock);
		pthread_mutex_destroy(&n.lock);
		return 2;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (n.control_fd >= 0 && !(n.cache = sc_load_cache_new())) {
		fprintf(stderr, "%s: out of memory\n", kind_name(kind));
		pthread_rwlock_destroy(&n.case_lock);
		pthread_mutex_destroy(&n.lock);
		return 3;
	}
	int rc = load(&n);
	if (rc == 0) {
		rpc_init();
		rc = open_secure(&n);
		if (rc == 0)
			rc = kind == NODE_CLIENT ? run_client(&n)
						 : run_server(&n);
		secure_close(n.sec);
		for (size_t i = 0; i < n.peers_count; i++)
			rpc_channel_close(n.peers[i].ch);
		rpc_shutdown();
	}
	sc_runtime_free(n.rt);
	sc_load_free(n.scn);
	sc_load_cache_free(n.cache);
	pthread_rwlock_destroy(&n.case_lock);
	pthread_mutex_destroy(&n.lock);
	free(fault_slot);
	fault_slot = NULL;
	return rc;
}
