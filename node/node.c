/* node.c: the body of every daemon: procA, procB and procC are node_main
 * plus a main(). It parses the arguments (args.c), loads the scenario
 * and the model's runtime (serve.c), opens the signed-context layer, then
 * runs as a client (its steps, or case after case when warm: warm.c) or
 * as a server (serve.c); outgoing calls are call.c's. Decisions are the
 * model's; the node only moves bytes and reports transport facts. */
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

node *node_the;
volatile sig_atomic_t node_stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	node_stop_flag = 1;
}

const char *node_kind_name(node_kind k)
{
	return k == NODE_CLIENT ? "procA" : k == NODE_MIDDLE ? "procB" : "procC";
}

void node_log(const char *fmt, ...)
{
	char raw[1024], buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* What came from the wire (peers, details, names) cannot fake a
	 * line of the log. */
	sc_escape(raw, buf, sizeof(buf));
	fprintf(stderr, "%s[%s %ld]: %s\n", node_kind_name(node_the->kind),
		node_the->process ? node_the->process : "?", (long)getpid(),
		buf);
}

/* Signed contexts with the authority's files. The bare relay given them
 * (and not --insecure) only takes its mutual TLS from them, so that bare
 * and secured runs share a transport: the same certificates, the same
 * handshake, and nothing sealed or checked per call. */
static int node_open_secure(node *n)
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

static int run_client(node *n)
{
	if (n->control_fd >= 0)
		return node_run_client_warm(n);
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
	    util_write_all(n->result_fd, buf, len) != 0) {
		node_log("cannot report the result");
		rc = 4;
	}
	free(buf);
	sc_trace_free(&t);
	return rc;
}

int node_main(int argc, char **argv, node_kind kind)
{
	node n;
	memset(&n, 0, sizeof(n));
	n.kind = kind;
	node_the = &n;
	pthread_mutex_init(&n.lock, NULL);
	pthread_rwlock_init(&n.case_lock, NULL);
	if (node_parse_args(&n, argc, argv) != 0) {
		pthread_rwlock_destroy(&n.case_lock);
		pthread_mutex_destroy(&n.lock);
		return 2;
	}

	util_daemon_signals(on_signal);

	if (n.control_fd >= 0 && !(n.cache = sc_load_cache_new())) {
		fprintf(stderr, "%s: out of memory\n", node_kind_name(kind));
		pthread_rwlock_destroy(&n.case_lock);
		pthread_mutex_destroy(&n.lock);
		return 3;
	}
	int rc = node_load(&n);
	if (rc == 0) {
		rpc_init();
		rc = node_open_secure(&n);
		if (rc == 0)
			rc = kind == NODE_CLIENT ? run_client(&n)
						 : node_run_server(&n);
		secure_close(n.sec);
		for (size_t i = 0; i < n.peers_count; i++)
			rpc_channel_close(n.peers[i].ch);
		rpc_shutdown();
	}
	sc_runtime_free(n.rt);
	sc_load_free(n.scn);
	sc_load_cache_free(n.cache);
	free(n.case_key);
	pthread_rwlock_destroy(&n.case_lock);
	pthread_mutex_destroy(&n.lock);
	free(node_misbehave_slot);
	node_misbehave_slot = NULL;
	return rc;
}
