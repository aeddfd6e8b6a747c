/* node.c: the body of every daemon: argument parsing, the scenario, the
 * model's runtime, and the wiring of its outgoing calls and incoming calls
 * to rpc. Decisions are the model's; this file only moves bytes and
 * reports transport facts. */
#include "node.h"

#include "codec.h"
#include "rpc.h"
#include "sc_load.h"
#include "secure.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PEERS 32
#define MAX_INFLIGHT 256

typedef struct peer {
	char name[SC_NAME_LEN];
	char addr[128];
	rpc_channel *ch;
} peer;

typedef struct node {
	node_kind kind;
	const char *process;
	const char *scenario_path;
	const char *variant;
	const char *listen;
	int ready_fd;
	int result_fd;
	int timeout_ms;
	const char *auth_dir;   /* signed contexts: the authority's files */
	const char *authority;  /* and its address */
	uint64_t skew_ms;
	secure *sec;            /* NULL: contexts are not signed */
	peer peers[MAX_PEERS];
	size_t peers_count;
	pthread_mutex_t lock; /* guards peers[].ch */
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

static void node_log(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s[%s %ld]: %s\n", kind_name(the_node->kind),
		the_node->process ? the_node->process : "?", (long)getpid(),
		buf);
}

static void usage(node_kind k)
{
	fprintf(stderr,
		"usage: %s --scenario FILE --process NAME [--variant NAME]\n"
		"       [--listen ADDR] [--peer NAME=ADDR]... [--ready-fd N]\n"
		"       [--result-fd N] [--timeout-ms N]\n"
		"       [--auth-dir DIR --authority ADDR] [--clock-skew-ms N]\n",
		kind_name(k));
}

static int parse_args(node *n, int argc, char **argv)
{
	n->ready_fd = -1;
	n->result_fd = 1;
	n->timeout_ms = 10000;
	n->skew_ms = AUTH_DEFAULT_SKEW_MS;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
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
		} else if (strcmp(a, "--listen") == 0) {
			n->listen = v;
		} else if (strcmp(a, "--ready-fd") == 0) {
			n->ready_fd = atoi(v);
		} else if (strcmp(a, "--result-fd") == 0) {
			n->result_fd = atoi(v);
		} else if (strcmp(a, "--timeout-ms") == 0) {
			n->timeout_ms = atoi(v);
		} else if (strcmp(a, "--auth-dir") == 0) {
			n->auth_dir = v;
		} else if (strcmp(a, "--authority") == 0) {
			n->authority = v;
		} else if (strcmp(a, "--clock-skew-ms") == 0) {
			n->skew_ms = strtoull(v, NULL, 10);
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
	if (n->kind != NODE_CLIENT && !n->listen)
		n->listen = "127.0.0.1:0";
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
		if (!p->ch)
			p->ch = rpc_channel_open(p->addr);
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
		if (secure_seal(n->sec, parent, target, ctx, &cbuf, &clen,
				&why) != 0) {
			sc_log_rule(log, why.rule, "no call to %s: %s", target,
				    why.reason);
			node_log("call to %s not made: [%s] %s", target,
				 why.rule, why.reason);
			return SC_ACCESS_DENIED;
		}
	} else if (codec_context_encode(ctx, &cbuf, &clen) != 0) {
		return SC_INTERNAL;
	}
	if (codec_request_encode(target, &rbuf, &rlen) != 0) {
		free(cbuf);
		return SC_INTERNAL;
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
		sc_log_rule(log, rule, "%s refused the call (gRPC status %d): "
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
	if (st != SC_OK)
		node_log("call to %s: %s", target, sc_status_name(st));
	rpc_result_free(&res);
	return st;
}

static void node_sleep(void *user, unsigned ms)
{
	(void)user;
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stop_flag)
		;
}

/* A signed context: open it (signatures, audience, expiry, replay), decode
 * what it carries, bind it to its signer. On refusal fills out with
 * UNAUTHENTICATED and "BAD_CONTEXT [rule] reason", logs, returns false. */
static bool accept_signed(node *n, const rpc_incoming *in, sc_context *ctx,
			  sc_token **identity, rpc_reply *out)
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
	ok = secure_bind(n->sec, &o, ctx, &why) == 0;
	auth_opened_free(&o);
	if (ok)
		return true;
	sc_token_free(*identity);
	*identity = NULL;
refuse:
	node_log("refused a call from %s: [%s] %s", in->peer, why.rule,
		 why.reason);
	out->status = RPC_STATUS_UNAUTHENTICATED;
	snprintf(out->details, sizeof(out->details), "BAD_CONTEXT [%s] %s",
		 why.rule, why.reason);
	return false;
}

/* rpc_handler_fn: one incoming call. */
static void node_handle(void *user, const rpc_incoming *in, rpc_reply *out)
{
	node *n = user;
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
	sc_token *identity = NULL;
	const sc_context *pctx = NULL;
	if (in->context_entries > 1) {
		snprintf(err, sizeof(err), "%zu context entries, expected one",
			 in->context_entries);
	} else if (in->context_present && n->sec) {
		if (accept_signed(n, in, &ctx, &identity, out))
			pctx = &ctx;
		else
			return;
	} else if (in->context_present) {
		if (codec_context_decode(in->context, in->context_len, &ctx,
					 &identity, err, sizeof(err)) == 0)
			pctx = &ctx;
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

static int load(node *n)
{
	sc_load_errors errs = {0};
	if (sc_load_file(n->scenario_path, n->variant, &n->scn, &errs) != 0) {
		for (size_t i = 0; i < errs.count; i++) {
			char line[512];
			sc_load_error_format(&errs.items[i], line, sizeof(line));
			fprintf(stderr, "%s\n", line);
		}
		sc_load_errors_free(&errs);
		return 2;
	}
	sc_load_errors_free(&errs);
	sc_log log;
	sc_log_init(&log);
	sc_status st = sc_runtime_new(n->scn, n->process, &n->rt, &log);
	if (st != SC_OK) {
		node_log("cannot start: %s%s%s", sc_status_name(st),
			 log.count ? ": " : "",
			 log.count ? log.notes[log.count - 1].text : "");
		sc_log_free(&log);
		return 3;
	}
	sc_log_free(&log);
	sc_runtime_set_transport(n->rt, node_call, node_sleep, n);
	return 0;
}

static int open_secure(node *n)
{
	if (!n->auth_dir)
		return 0;
	secure_config cfg = {
		.dir = n->auth_dir,
		.authority = n->authority,
		.process = n->process,
		.skew_ms = n->skew_ms,
		.timeout_ms = n->timeout_ms,
		.misbehave = sc_runtime_process(n->rt)->misbehave,
	};
	char err[256];
	if (secure_open(&cfg, &n->sec, err, sizeof(err)) != 0) {
		node_log("cannot sign contexts: %s", err);
		return 3;
	}
	if (cfg.misbehave != SC_MISBEHAVE_NONE)
		node_log("misbehaving on purpose (scenario setting)");
	return 0;
}

static int run_client(node *n)
{
	sc_trace t;
	sc_trace_init(&t);
	sc_runtime_run_client(n->rt, &t);
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
		close(n->ready_fd);
	}
	node_log("listening on %s (port %d)", n->listen, port);
	rpc_server_run(srv, &stop_flag, MAX_INFLIGHT);
	rpc_server_free(srv);
	return 0;
}

int node_main(int argc, char **argv, node_kind kind)
{
	node n;
	memset(&n, 0, sizeof(n));
	n.kind = kind;
	the_node = &n;
	pthread_mutex_init(&n.lock, NULL);
	if (parse_args(&n, argc, argv) != 0)
		return 2;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

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
	pthread_mutex_destroy(&n.lock);
	return rc;
}
