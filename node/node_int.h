/* node_int.h: what the files of the daemon body share (node.h is the
 * programs' interface): the node's state and the functions one file calls
 * in another. */
#ifndef CLOAKROOM_NODE_INT_H
#define CLOAKROOM_NODE_INT_H

#include "node.h"

#include "load.h"
#include "rpc.h"
#include "sc_load.h"
#include "secure.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	char *case_key;        /* warm: what of the case the authority reads
	                          (warm.c), to keep tickets across cases */
	sc_scenario *scn;
	sc_runtime *rt;
} node;


/* The daemon (node.c), and whether a stop signal came. */
extern node *node_the;
extern volatile sig_atomic_t node_stop_flag;
/* serve.c's counts. */
extern atomic_ullong node_calls_served;
extern atomic_uint node_calls_inflight, node_calls_inflight_max;
/* misbehave.c's slot; node_main frees it. */
extern atomic_bool node_misbehave_shared;
extern uint8_t *node_misbehave_slot;

/* node.c */
const char *node_kind_name(node_kind k);

/* The bug: store the caller's context where every call can see it, let
 * other calls run, then read "the caller" back. Returns a malloc'd copy
 * of whatever the slot holds by then (NULL when out of memory). */
uint8_t *node_misbehave_share(const uint8_t *ctx, size_t len, size_t *out_len);

/* The same bug behind signed contexts: what the signatures vouched for
 * was right, what the call is then served with is another call's. */
void node_misbehave_share_opened(sc_context *ctx, sc_token **identity,
			       sc_token **vouched);

/* node.c */
void node_log(const char *fmt, ...);

/* args.c: 0, or -1 said on stderr (exit 2). */
int node_parse_args(node *n, int argc, char **argv);

/* Whether the calls this thread makes ask their callees for the trace:
 * as the call it serves asked (serve.c), true for the launcher's client,
 * false in load mode (call.c). */
extern _Thread_local bool node_trace_wanted;

/* sc_call_fn: the model asks for an outgoing call. */
sc_status node_call(void *user, void *parent, const char *target,
			   const sc_context *ctx, sc_trace *reply, sc_log *log);

/* call.c */
void node_sleep(void *user, unsigned ms);

/* Bare relay: the calls this process's steps make, in order, each with
 * the same request message as the secured path but no context; nothing
 * is decoded or decided. The reply is the last callee's reply, or (at the
 * end of the chain) the request itself. Returns an RPC status. */
int node_bare_relay(node *n, const rpc_incoming *in, uint8_t **reply,
		    size_t *reply_len, char *why, size_t whylen);

/* The scenario at path (variant, then sets, applied in this order) and,
 * unless bare, this process's runtime wired to the transport. 0, or 2 (bad
 * scenario or setting) or 3 (no runtime for this process) with err. */
typedef struct node_case {
	const char *path;
	const char *variant;
	const char *const *sets;
	size_t nsets;
	bool bare;
} node_case;
int node_load_case(node *n, const node_case *c, sc_scenario **scn,
		   sc_runtime **rt, char *err, size_t errlen);

/* serve.c */
int node_load(node *n);

/* A warm server's control thread: each case is loaded, swapped in, and
 * answered "OK" (or "ERR why") on the ready fd. End of input stops the
 * daemon. */
void *node_control_serve(void *arg);

/* A warm client: each case is loaded and run, and its trace answered as
 * "RESULT N" and N bytes (or "ERR why") on the result fd. */
int node_run_client_warm(node *n);

/* load_call_fn: one call through the chain as the client makes it. */
int node_call_once(void *user);

/* serve.c */
int node_run_server(node *n);

#endif
