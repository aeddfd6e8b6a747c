/* rpc.h: the gRPC core plumbing of the wire layer: one unary method whose
 * request and reply are opaque bytes, plus one binary metadata entry that
 * carries the caller's security context. With codec.h, this is the only
 * code that knows gRPC; it knows nothing of the model. */
#ifndef CLOAKROOM_RPC_H
#define CLOAKROOM_RPC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RPC_METHOD "/cloakroom.Chain/Call"
#define RPC_CONTEXT_KEY "x-cloakroom-context-bin"
/* A refusal (codec_refusal_*) rides with a non-OK status under this
 * trailing metadata key. */
#define RPC_REFUSAL_KEY "x-cloakroom-refusal-bin"
#define RPC_ERRLEN 256
/* A server accepts this much metadata (gRPC refuses more with
 * RESOURCE_EXHAUSTED before any handler runs): room for the largest
 * context the codec accepts (64 KiB), base64-encoded, and the headers. */
#define RPC_MAX_METADATA (128 * 1024)
#define RPC_NAMELEN 160

/* gRPC status codes used by callers (values of grpc_status_code). */
#define RPC_STATUS_OK 0
#define RPC_STATUS_CANCELLED 1
#define RPC_STATUS_UNKNOWN 2
#define RPC_STATUS_INVALID_ARGUMENT 3
#define RPC_STATUS_DEADLINE_EXCEEDED 4
#define RPC_STATUS_PERMISSION_DENIED 7
#define RPC_STATUS_RESOURCE_EXHAUSTED 8
#define RPC_STATUS_INTERNAL 13
#define RPC_STATUS_UNAVAILABLE 14
#define RPC_STATUS_UNAUTHENTICATED 16

/* Process-wide set-up: grpc_init / grpc_shutdown. Call rpc_init only in a
 * process that will not fork afterwards. */
void rpc_init(void);
void rpc_shutdown(void);

/* What a server handler sees of one incoming call. */
typedef struct rpc_incoming {
	const uint8_t *context;   /* value of RPC_CONTEXT_KEY, or NULL */
	size_t context_len;
	bool context_present;
	size_t context_entries;   /* how many RPC_CONTEXT_KEY entries came */
	const uint8_t *body;      /* request message bytes */
	size_t body_len;
	const char *peer;         /* the transport peer, e.g. ipv4:127.0.0.1:5 */
	const char *peer_account; /* over mutual TLS: the common name of the
	                             client's verified certificate; else "" */
	int64_t deadline_ms;      /* ms left before the caller's deadline,
	                             -1 when the caller set none */
	void *parent;             /* pass to rpc_call to propagate the deadline
	                             and cancellation along the chain */
} rpc_incoming;

/* What a handler fills. body and trailer are malloc'd by the handler and
 * freed by the server. status RPC_STATUS_OK sends body; any other status
 * sends no message, only the status, details (for people) and, when
 * set, trailer as RPC_REFUSAL_KEY (for the caller's program). */
typedef struct rpc_reply {
	uint8_t *body;
	size_t body_len;
	int status;
	char details[RPC_ERRLEN];
	uint8_t *trailer;
	size_t trailer_len;
} rpc_reply;

typedef void (*rpc_handler_fn)(void *user, const rpc_incoming *in,
			       rpc_reply *out);

/* Mutual TLS for every server started and channel opened afterwards in
 * this process: the run's CA and this process's certificate and key, all
 * PEM (copied). NULLs turn it off (insecure credentials, the default).
 * 0, or -1 when out of memory. */
int rpc_tls_use(const char *ca_pem, const char *cert_pem, const char *key_pem);
bool rpc_tls_on(void);

typedef struct rpc_server rpc_server;

/* Bind listen_addr ("127.0.0.12:0": port 0 picks an ephemeral port) with
 * insecure credentials (or mutual TLS after rpc_tls_use) and SO_REUSEPORT
 * off. On success returns 0, sets
 * *out and *bound_port. On failure returns -1 with a message naming the
 * address in err. */
/* What a server runs for each call: handler, given user. */
typedef struct rpc_service {
	rpc_handler_fn handler;
	void *user;
} rpc_service;
int rpc_server_start(const char *listen_addr, const rpc_service *svc,
		     rpc_server **out, int *bound_port, char *err,
		     size_t errlen);

/* Limits on each stage of serving a call. A call waits for its request
 * message, then for a worker, without holding one; a worker runs the
 * handler; the reply goes out and the caller's half-close comes back
 * without one. Each stage has a deadline, counted from its start, and a
 * call past it is ended (and counted): one whose message did not come
 * gets DEADLINE_EXCEEDED, one no worker took gets RESOURCE_EXHAUSTED,
 * one served too long is cancelled with DEADLINE_EXCEEDED (and the calls
 * its handler made with it), one whose caller does not take the reply is
 * cancelled. The caller's own deadline, when nearer, ends a call first
 * (gRPC). At most max_calls calls are held at once, every stage counted:
 * another is refused at once with RESOURCE_EXHAUSTED. */
typedef struct rpc_limits {
	unsigned receive_ms;
	unsigned queue_ms;
	unsigned serve_ms;
	unsigned reply_ms;
	unsigned max_calls;
} rpc_limits;
#define RPC_RECEIVE_MS 10000
#define RPC_QUEUE_MS 30000
#define RPC_SERVE_MS 120000
#define RPC_REPLY_MS 10000
#define RPC_MAX_CALLS 4096

/* What every server of the process is given, per connection and in all
 * (gRPC channel arguments, and the descriptor cap of rpc_init): */
#define RPC_HANDSHAKE_MS 10000   /* TLS and HTTP/2 settings, from accept */
#define RPC_IDLE_MS 300000       /* a connection with no call is closed */
#define RPC_MAX_STREAMS 1024     /* calls at once on one connection */
#define RPC_MAX_MESSAGE (1024 * 1024) /* a request message */
#define RPC_MEMORY_QUOTA (256u * 1024 * 1024) /* gRPC's buffers, a server */
/* rpc_init raises the soft RLIMIT_NOFILE to the hard one; a connection
 * that would take a descriptor at or over the limit less RPC_FD_HEADROOM
 * (at most RPC_MAX_FDS) is accepted and closed at once, so that the
 * process never runs out of descriptors (gRPC 1.51 stops listening for
 * good when it does) and the channels and files of its own work always
 * find one. */
#define RPC_FD_HEADROOM 128
#define RPC_MAX_FDS 8192

/* Change a server's limits before rpc_server_run (0 keeps a default). */
void rpc_server_limits(rpc_server *srv, const rpc_limits *l);
/* Calls refused (too many at once, or no worker in time) and calls ended
 * at a stage's deadline, since the server started. */
void rpc_server_counts(const rpc_server *srv, unsigned long long *refused,
		       unsigned long long *expired);
/* Calls the server holds now, every stage counted. */
unsigned rpc_server_held(rpc_server *srv);
/* Connections accepted and closed at once by the descriptor cap, in this
 * process. */
unsigned long long rpc_connections_refused(void);

/* Serve until *stop becomes non-zero (checked at least every 100 ms).
 * Calls run handler on a pool of worker threads, so a slow call does not
 * hold up others; at most max_inflight calls run at once (further calls
 * wait for a worker, within the limits above). At stop, calls not yet
 * served are refused (UNAVAILABLE); returns when every running call has
 * finished and replied. */
int rpc_server_run(rpc_server *srv, volatile sig_atomic_t *stop,
		   unsigned max_inflight);

/* Shutdown in the order that does not crash (shutdown_and_notify,
 * cancel_all_calls, wait, destroy, drain the queue) and free. */
void rpc_server_free(rpc_server *srv);

typedef struct rpc_channel rpc_channel;

/* A channel to target ("127.0.0.13:40123"), insecure credentials (or TLS
 * after rpc_tls_use). A
 * channel may be used by several threads at once. NULL on failure. */
rpc_channel *rpc_channel_open(const char *target);
/* The same; over TLS the server's certificate must name peer_name (a DNS
 * name in its subjectAltName), whatever address target is. */
rpc_channel *rpc_channel_open_as(const char *target, const char *peer_name);
void rpc_channel_close(rpc_channel *ch);

typedef struct rpc_result {
	int status;               /* grpc status code */
	char details[RPC_ERRLEN];
	uint8_t *body;            /* malloc'd reply bytes (caller frees) */
	size_t body_len;
	uint8_t *trailer;         /* malloc'd RPC_REFUSAL_KEY value, or NULL */
	size_t trailer_len;
} rpc_result;

/* One call's request: parent, the context and body, the timeout. */
typedef struct rpc_request {
	void *parent;
	const uint8_t *context;
	size_t context_len;
	const uint8_t *body;
	size_t body_len;
	int timeout_ms;
} rpc_request;

/* One unary call of RPC_METHOD with rq. context (may be NULL: no metadata
 * sent) goes as RPC_CONTEXT_KEY. parent is an rpc_incoming.parent or NULL; with
 * a parent the child call inherits its deadline (and is cancelled with
 * it), and timeout_ms (if > 0) can only shorten it. Blocks until the call
 * ends. Returns 0 when the call completed (whatever its status, in res),
 * -1 on a local failure (res->details says why). */
int rpc_call(rpc_channel *ch, const rpc_request *rq, rpc_result *res);

void rpc_result_free(rpc_result *res);

#endif
