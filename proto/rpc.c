/* rpc.c: gRPC core plumbing for the one unary method, opaque bytes in and
 * out plus the binary context entry. It must never interpret those bytes
 * (that is codec.c and node.c's job) nor leak a gRPC object on any path. */
#include "rpc.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define RPC_POLL_MS 100
#define RPC_REPLY_GRACE_MS 2000 /* for a reply to go out at stop */
#define RPC_TRIM_MS 2000 /* quiet this long: the heap is trimmed */
#define RPC_TRIM_IDLE_MS 10000 /* and this often while no call is held */
#define RPC_DEFAULT_TIMEOUT_MS 30000
#define RPC_STATUS_MAX 16 /* GRPC_STATUS_UNAUTHENTICATED */

/* ---- helpers ----------------------------------------------------- */

static void rpc_fd_setup(void);

void rpc_init(void)
{
	rpc_fd_setup();
	/* As many malloc arenas as CPUs, not glibc's eight per CPU: every
	 * worker thread that allocates would otherwise take an arena of its
	 * own and keep its free memory there (a daemon at 64 calls in flight
	 * held about 4 MB more). Before any thread starts. */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	mallopt(M_ARENA_MAX, cpus > 0 && cpus < 64 ? (int)cpus : 8);
	grpc_init();
}

void rpc_shutdown(void)
{
	grpc_shutdown();
	/* A channel or a server holds a reference of its own on gRPC and may
	 * drop it after ours, on one of gRPC's threads; the last reference
	 * then cleans up on a thread of its own, holding the lock
	 * grpc_is_initialized takes, and joins gRPC's threads. Wait for that
	 * (bounded), so the process does not exit while those threads run:
	 * a thread cut off at exit leaves its OpenSSL error state behind,
	 * which LeakSanitizer reports, failing the daemon's clean stop. */
	for (int i = 0; i < 500 && grpc_is_initialized(); i++)
		usleep(10000);
	rpc_tls_use(NULL, NULL, NULL);
}

/* ---- mutual TLS (process-wide; set before servers and channels) ---- */

static char *tls_ca, *tls_cert, *tls_key;

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int rpc_tls_use(const char *ca_pem, const char *cert_pem, const char *key_pem)
{
	free(tls_ca);
	free(tls_cert);
	if (tls_key) {
		memset(tls_key, 0, strlen(tls_key));
		free(tls_key);
	}
	tls_ca = tls_cert = tls_key = NULL;
	if (!ca_pem || !cert_pem || !key_pem)
		return 0;
	tls_ca = dup_or_null(ca_pem);
	tls_cert = dup_or_null(cert_pem);
	tls_key = dup_or_null(key_pem);
	if (!tls_ca || !tls_cert || !tls_key) {
		rpc_tls_use(NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

bool rpc_tls_on(void)
{
	return tls_ca != NULL;
}

static gpr_timespec rpc_after_ms(int64_t ms)
{
	return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
			    gpr_time_from_millis(ms, GPR_TIMESPAN));
}

/* Copy a byte buffer into one malloc'd block (at least one byte, so a
 * message of length 0 still yields a non-NULL pointer). */
static int rpc_buffer_take(grpc_byte_buffer *bb, uint8_t **out, size_t *len)
{
	grpc_byte_buffer_reader reader;

	*out = NULL;
	*len = 0;
	if (!grpc_byte_buffer_reader_init(&reader, bb))
		return -1;
	grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
	grpc_byte_buffer_reader_destroy(&reader);
	size_t n = GRPC_SLICE_LENGTH(all);
	uint8_t *p = malloc(n ? n : 1);
	if (!p) {
		grpc_slice_unref(all);
		return -1;
	}
	if (n)
		memcpy(p, GRPC_SLICE_START_PTR(all), n);
	grpc_slice_unref(all);
	*out = p;
	*len = n;
	return 0;
}

static grpc_byte_buffer *rpc_buffer_make(const uint8_t *data, size_t len)
{
	grpc_slice s = grpc_slice_from_copied_buffer((const char *)data, len);
	grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
	grpc_slice_unref(s);
	return bb;
}

/* Shut down a per-call pluck queue whose tags have all been plucked. */
static void rpc_pluck_cq_free(grpc_completion_queue *cq)
{
	grpc_completion_queue_shutdown(cq);
	grpc_completion_queue_destroy(cq);
}

/* ---- server ------------------------------------------------------ */

static void rpc_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void rpc_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int64_t rpc_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The stages of one call. Only SERVING holds a worker: a call waits for
 * its request message, and its reply goes out, on the serving loop's
 * queue, so a caller that stalls costs a slot in the table of live calls
 * (bounded, and each stage with a deadline), never a worker. */
typedef enum rpc_stage {
	RPC_STAGE_REQUESTED, /* asked of gRPC, not arrived */
	RPC_STAGE_RECEIVING, /* arrived, its request message not yet */
	RPC_STAGE_QUEUED,    /* message in, waiting for a worker */
	RPC_STAGE_SERVING,   /* a worker runs the handler */
	RPC_STAGE_REPLYING,  /* reply and status going out */
} rpc_stage;

/* One call, from the request to gRPC to its release. Its address is the
 * tag of its one outstanding batch at any time. */
typedef struct rpc_live {
	grpc_call *call;
	grpc_call_details details;
	grpc_metadata_array md;
	grpc_byte_buffer *req_bb;
	rpc_stage stage;
	int64_t until_ms;   /* the stage's deadline (monotonic ms) */
	bool linked;        /* in the server's list of live calls */
	rpc_reply reply;
	grpc_op ops[4];
	grpc_slice status_details;
	bool have_status_details;
	grpc_metadata trailer;  /* RPC_REFUSAL_KEY, when the reply has one */
	bool have_trailer;
	grpc_byte_buffer *rep_bb;
	int close_cancelled;
	struct rpc_live *prev, *next; /* live calls */
	struct rpc_live *qnext;       /* the queue for a worker */
} rpc_live;

struct rpc_server {
	grpc_server *server;
	grpc_completion_queue *cq; /* requests and every call's batches */
	grpc_resource_quota *quota;
	rpc_handler_fn handler;
	void *user;
	rpc_limits lim;
	rpc_live *pend;            /* the request kept outstanding */
	pthread_mutex_t lock;      /* guards everything below */
	pthread_cond_t work;       /* a call queued, or the workers quit */
	rpc_live *live;            /* calls past REQUESTED */
	size_t nlive;
	rpc_live *qhead, *qtail;
	size_t queued;
	pthread_t *workers;
	unsigned nworkers, idle, max_workers;
	bool quit;
	atomic_bool stopping;
	atomic_ullong refused, expired;
};

#define RPC_DEFAULT_LIMITS                                                 \
	((rpc_limits){.receive_ms = RPC_RECEIVE_MS,                        \
		      .queue_ms = RPC_QUEUE_MS,                            \
		      .serve_ms = RPC_SERVE_MS,                            \
		      .reply_ms = RPC_REPLY_MS,                            \
		      .max_calls = RPC_MAX_CALLS})

void rpc_server_limits(rpc_server *srv, const rpc_limits *l)
{
	rpc_limits d = RPC_DEFAULT_LIMITS;

	if (!srv || !l)
		return;
	srv->lim.receive_ms = l->receive_ms ? l->receive_ms : d.receive_ms;
	srv->lim.queue_ms = l->queue_ms ? l->queue_ms : d.queue_ms;
	srv->lim.serve_ms = l->serve_ms ? l->serve_ms : d.serve_ms;
	srv->lim.reply_ms = l->reply_ms ? l->reply_ms : d.reply_ms;
	srv->lim.max_calls = l->max_calls ? l->max_calls : d.max_calls;
}

void rpc_server_counts(const rpc_server *srv, unsigned long long *refused,
		       unsigned long long *expired)
{
	*refused = srv ? atomic_load(&srv->refused) : 0;
	*expired = srv ? atomic_load(&srv->expired) : 0;
}

unsigned rpc_server_held(rpc_server *srv)
{
	if (!srv)
		return 0;
	pthread_mutex_lock(&srv->lock);
	unsigned n = (unsigned)srv->nlive;
	pthread_mutex_unlock(&srv->lock);
	return n;
}

static void rpc_live_free(rpc_live *c)
{
	if (!c)
		return;
	if (c->call)
		grpc_call_unref(c->call);
	grpc_call_details_destroy(&c->details);
	grpc_metadata_array_destroy(&c->md);
	if (c->req_bb)
		grpc_byte_buffer_destroy(c->req_bb);
	if (c->rep_bb)
		grpc_byte_buffer_destroy(c->rep_bb);
	if (c->have_status_details)
		grpc_slice_unref(c->status_details);
	if (c->have_trailer) {
		grpc_slice_unref(c->trailer.key);
		grpc_slice_unref(c->trailer.value);
	}
	free(c->reply.body);
	free(c->reply.trailer);
	free(c);
}

/* Take c out of the list of live calls and free it. Caller holds no
 * lock. */
static void rpc_live_release(rpc_server *srv, rpc_live *c)
{
	pthread_mutex_lock(&srv->lock);
	if (c->linked) {
		if (c->prev)
			c->prev->next = c->next;
		else
			srv->live = c->next;
		if (c->next)
			c->next->prev = c->prev;
		c->linked = false;
		srv->nlive--;
	}
	pthread_mutex_unlock(&srv->lock);
	rpc_live_free(c);
}

/* A call arrived that will not be served (too many, or stopping): its
 * status says why; then it is released. */
static void rpc_live_refuse(rpc_server *srv, rpc_live *c, int status,
			    const char *why)
{
	if (c->call)
		grpc_call_cancel_with_status(c->call, (grpc_status_code)status,
					     why, NULL);
	rpc_live_release(srv, c);
}

static int rpc_request_post(rpc_server *srv)
{
	rpc_live *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	grpc_call_details_init(&c->details);
	grpc_metadata_array_init(&c->md);
	c->stage = RPC_STAGE_REQUESTED;
	grpc_call_error e = grpc_server_request_call(srv->server, &c->call,
						     &c->details, &c->md,
						     srv->cq, srv->cq, c);
	if (e != GRPC_CALL_OK) {
		c->call = NULL;
		rpc_live_free(c);
		return -1;
	}
	srv->pend = c;
	return 0;
}

/* The outstanding request, completing outside rpc_server_run (at
 * shutdown): a call that came with it is refused. */
static void rpc_pend_finished_unserved(rpc_server *srv, grpc_event ev)
{
	if (ev.type != GRPC_OP_COMPLETE || !srv->pend || ev.tag != srv->pend)
		return;
	rpc_live *c = srv->pend;
	srv->pend = NULL;
	if (!ev.success) {
		c->call = NULL;
		rpc_live_free(c);
	} else {
		rpc_live_refuse(srv, c, GRPC_STATUS_UNAVAILABLE,
				"server stopping");
	}
}

/* ---- connections: descriptors never run out ---------------------- */

/* gRPC 1.51 stops listening for good when accept4 fails for want of a
 * descriptor ("Failed accept4: Too many open files"): the process lives
 * on and never accepts again. So the daemon takes accept4 itself (gRPC
 * core calls it through the dynamic linker, and the program's own
 * definition comes first): a connection that would take a descriptor at
 * or above the cap (rpc_max_fds, below the process's limit) is accepted
 * and closed at once, as is one that found no descriptor (the
 * descriptor kept in reserve is given up for it), and gRPC hears EAGAIN,
 * which keeps it listening. Closed connections free their descriptors,
 * and the daemon accepts again. */
static atomic_int rpc_fd_cap;        /* 0: no cap */
static atomic_int rpc_fd_reserve = -1;
static atomic_ullong rpc_conns_refused;

static void rpc_fd_reserve_take(void)
{
	if (atomic_load(&rpc_fd_reserve) < 0)
		atomic_store(&rpc_fd_reserve,
			     open("/dev/null", O_RDONLY | O_CLOEXEC));
}

int accept4(int fd, __SOCKADDR_ARG sa, socklen_t *__restrict len, int flags)
{
	struct sockaddr *addr = sa.__sockaddr__; /* glibc's declaration */
	for (int tries = 0; tries < 65536; tries++) {
		socklen_t keep = len ? *len : 0;
		int c = (int)syscall(SYS_accept4, fd, addr, len, flags);
		int cap = atomic_load(&rpc_fd_cap);
		if (c >= 0 && (cap <= 0 || c < cap))
			return c;
		if (c >= 0) {
			close(c); /* over the cap: refused */
			atomic_fetch_add(&rpc_conns_refused, 1);
		} else if (errno == EMFILE || errno == ENFILE ||
			   errno == ENOBUFS || errno == ENOMEM) {
			/* No descriptor: take the connection with the one in
			 * reserve and drop it, so that the listener lives. */
			int r = atomic_exchange(&rpc_fd_reserve, -1);
			if (r < 0) {
				errno = EAGAIN;
				return -1;
			}
			close(r);
			int d = (int)syscall(SYS_accept4, fd, NULL, NULL,
					     SOCK_CLOEXEC);
			if (d >= 0) {
				close(d);
				atomic_fetch_add(&rpc_conns_refused, 1);
			}
			rpc_fd_reserve_take();
			if (d < 0) {
				errno = EAGAIN;
				return -1;
			}
		} else {
			return -1; /* EAGAIN and the rest, as they are */
		}
		if (len)
			*len = keep;
	}
	errno = EAGAIN;
	return -1;
}

unsigned long long rpc_connections_refused(void)
{
	return atomic_load(&rpc_conns_refused);
}

/* Raise the soft descriptor limit to the hard one, keep one descriptor
 * in reserve, and cap connections below the limit: room is left for
 * the daemon's own channels, files and gRPC's internal descriptors. */
static void rpc_fd_setup(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	rpc_fd_reserve_take();
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return;
	rlim_t cap = rl.rlim_cur > RPC_FD_HEADROOM * 2
			     ? rl.rlim_cur - RPC_FD_HEADROOM
			     : rl.rlim_cur / 2;
	if (cap > RPC_MAX_FDS)
		cap = RPC_MAX_FDS;
	atomic_store(&rpc_fd_cap, (int)cap);
}

int rpc_server_start(const char *listen_addr, const rpc_service *svc,
		     rpc_server **out, int *bound_port, char *err,
		     size_t errlen)
{
	grpc_server_credentials *creds;
	int port;
	rpc_handler_fn handler = svc ? svc->handler : NULL;
	void *user = svc ? svc->user : NULL;

	if (out)
		*out = NULL;
	if (!listen_addr || !handler || !out || !bound_port) {
		rpc_err(err, errlen, "cannot bind %s: bad arguments",
			listen_addr ? listen_addr : "(null)");
		return -1;
	}
	rpc_server *srv = calloc(1, sizeof(*srv));
	if (!srv) {
		rpc_err(err, errlen, "cannot bind %s: out of memory",
			listen_addr);
		return -1;
	}
	srv->handler = handler;
	srv->user = user;
	srv->lim = RPC_DEFAULT_LIMITS;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->work, NULL);

	/* Metadata up to RPC_MAX_METADATA reaches the handler, so that the
	 * codec's own, lower context cap answers (and is logged) rather
	 * than gRPC's 8 KiB default. A connection that has not finished
	 * its handshake (TLS, or HTTP/2's settings) within
	 * RPC_HANDSHAKE_MS is closed (gRPC's default is 120 s); one with no
	 * call for RPC_IDLE_MS is closed; one carries at most
	 * RPC_MAX_STREAMS calls at once; and gRPC's buffers for all of
	 * them share one memory quota. */
	srv->quota = grpc_resource_quota_create("cloakroom-server");
	grpc_resource_quota_resize(srv->quota, RPC_MEMORY_QUOTA);
	grpc_arg arg[7] = {
		{.type = GRPC_ARG_INTEGER,
		 .key = (char *)GRPC_ARG_ALLOW_REUSEPORT,
		 .value.integer = 0},
		{.type = GRPC_ARG_INTEGER,
		 .key = (char *)GRPC_ARG_MAX_METADATA_SIZE,
		 .value.integer = RPC_MAX_METADATA},
		{.type = GRPC_ARG_INTEGER,
		 .key = (char *)GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
		 .value.integer = RPC_HANDSHAKE_MS},
		{.type = GRPC_ARG_INTEGER,
		 .key = (char *)GRPC_ARG_MAX_CONNECTION_IDLE_MS,
		 .value.integer = RPC_IDLE_MS},
		{.type = GRPC_ARG_INTEGER,
		 .key = (char *)GRPC_ARG_MAX_CONCURRENT_STREAMS,
		 .value.integer = RPC_MAX_STREAMS},
		{.type = GRPC_ARG_POINTER,
		 .key = (char *)GRPC_ARG_RESOURCE_QUOTA,
		 .value.pointer = {.p = srv->quota,
				   .vtable = grpc_resource_quota_arg_vtable()}},
		{.type = GRPC_ARG_INTEGER,
		 .key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
		 .value.integer = RPC_MAX_MESSAGE},
	};
	grpc_channel_args args = { .num_args = 7, .args = arg };
	srv->server = grpc_server_create(&args, NULL);
	srv->cq = grpc_completion_queue_create_for_next(NULL);
	if (!srv->server || !srv->cq) {
		rpc_err(err, errlen, "cannot bind %s: cannot create server",
			listen_addr);
		goto fail;
	}
	grpc_server_register_completion_queue(srv->server, srv->cq, NULL);

	if (tls_ca) {
		/* Mutual TLS: a client without a certificate of the run's
		 * CA is refused during the handshake. */
		grpc_ssl_pem_key_cert_pair pair = {.private_key = tls_key,
						   .cert_chain = tls_cert};
		creds = grpc_ssl_server_credentials_create_ex(
			tls_ca, &pair, 1,
			GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY,
			NULL);
	} else {
		creds = grpc_insecure_server_credentials_create();
	}
	port = grpc_server_add_http2_port(srv->server, listen_addr, creds);
	grpc_server_credentials_release(creds);
	if (port <= 0) {
		rpc_err(err, errlen,
			"cannot bind %s: address in use or not available",
			listen_addr);
		goto fail;
	}
	grpc_server_start(srv->server);
	*bound_port = port;
	*out = srv;
	return 0;

fail:
	if (srv->server) {
		/* Never started: no calls, no shutdown notification needed. */
		grpc_server_destroy(srv->server);
	}
	if (srv->cq) {
		grpc_completion_queue_shutdown(srv->cq);
		for (;;) {
			grpc_event ev = grpc_completion_queue_next(
				srv->cq, gpr_inf_future(GPR_CLOCK_REALTIME),
				NULL);
			if (ev.type == GRPC_QUEUE_SHUTDOWN)
				break;
		}
		grpc_completion_queue_destroy(srv->cq);
	}
	if (srv->quota)
		grpc_resource_quota_unref(srv->quota);
	pthread_cond_destroy(&srv->work);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
	return -1;
}

static int64_t rpc_deadline_left_ms(gpr_timespec deadline)
{
	if (gpr_time_cmp(deadline, gpr_inf_future(deadline.clock_type)) >= 0)
		return -1;
	gpr_timespec left = gpr_time_sub(deadline,
					 gpr_now(deadline.clock_type));
	if (left.tv_sec < 0)
		return 0;
	int64_t ms = left.tv_sec * 1000 + left.tv_nsec / 1000000;
	return ms < 0 ? 0 : ms;
}

/* Build what the handler sees and run it. Pointers in the incoming view
 * stay valid until the call is released. */
static void rpc_serve_dispatch(rpc_server *srv, rpc_live *r,
			       rpc_reply *reply)
{
	uint8_t *body = NULL;
	size_t body_len = 0;
	rpc_incoming in;

	if (grpc_slice_str_cmp(r->details.method, RPC_METHOD) != 0) {
		reply->status = GRPC_STATUS_UNIMPLEMENTED;
		snprintf(reply->details, sizeof(reply->details),
			 "unknown method (only %s is served)", RPC_METHOD);
		return;
	}
	if (!r->req_bb) {
		reply->status = RPC_STATUS_INVALID_ARGUMENT;
		snprintf(reply->details, sizeof(reply->details),
			 "no request message");
		return;
	}
	if (rpc_buffer_take(r->req_bb, &body, &body_len) != 0) {
		reply->status = RPC_STATUS_RESOURCE_EXHAUSTED;
		snprintf(reply->details, sizeof(reply->details),
			 "cannot read request message");
		return;
	}

	memset(&in, 0, sizeof(in));
	for (size_t i = 0; i < r->md.count; i++) {
		const grpc_metadata *m = &r->md.metadata[i];

		if (grpc_slice_str_cmp(m->key, RPC_CONTEXT_KEY) != 0)
			continue;
		if (in.context_entries++ == 0) {
			in.context = GRPC_SLICE_START_PTR(m->value);
			in.context_len = GRPC_SLICE_LENGTH(m->value);
			in.context_present = true;
		}
	}
	in.body = body;
	in.body_len = body_len;
	char *peer = grpc_call_get_peer(r->call);
	in.peer = peer ? peer : "";
	char peer_account[RPC_NAMELEN] = "";
	grpc_auth_context *actx = grpc_call_auth_context(r->call);
	if (actx) {
		grpc_auth_property_iterator it =
			grpc_auth_context_find_properties_by_name(
				actx, GRPC_X509_CN_PROPERTY_NAME);
		const grpc_auth_property *p =
			grpc_auth_property_iterator_next(&it);
		if (p && p->value && p->value_length < sizeof(peer_account))
			memcpy(peer_account, p->value, p->value_length);
		grpc_auth_context_release(actx);
	}
	in.peer_account = peer_account;
	in.deadline_ms = rpc_deadline_left_ms(r->details.deadline);
	in.parent = r->call;

	srv->handler(srv->user, &in, reply);

	reply->details[sizeof(reply->details) - 1] = '\0';
	if (reply->status < 0 || reply->status > RPC_STATUS_MAX) {
		int bad = reply->status;

		reply->status = RPC_STATUS_UNKNOWN;
		snprintf(reply->details, sizeof(reply->details),
			 "handler returned invalid status %d", bad);
	}
	gpr_free(peer);
	free(body);
}

/* Send c->reply (its message only with RPC_STATUS_OK) and the status,
 * and wait for the caller's half-close; the completion comes to the
 * serving loop, which releases the call. From any thread. */
static void rpc_reply_start(rpc_server *srv, rpc_live *c)
{
	size_t n = 0;

	if (c->reply.status == RPC_STATUS_OK)
		c->rep_bb = rpc_buffer_make(c->reply.body ? c->reply.body :
					    (const uint8_t *)"",
					    c->reply.body_len);
	c->status_details = grpc_slice_from_copied_string(c->reply.details);
	c->have_status_details = true;
	memset(c->ops, 0, sizeof(c->ops));
	c->ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
	n++;
	if (c->rep_bb) {
		c->ops[n].op = GRPC_OP_SEND_MESSAGE;
		c->ops[n].data.send_message.send_message = c->rep_bb;
		n++;
	}
	c->ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	c->ops[n].data.send_status_from_server.status =
		(grpc_status_code)c->reply.status;
	c->ops[n].data.send_status_from_server.status_details =
		&c->status_details;
	if (c->reply.status != RPC_STATUS_OK && c->reply.trailer &&
	    !c->have_trailer) {
		c->trailer.key = grpc_slice_from_static_string(RPC_REFUSAL_KEY);
		c->trailer.value = grpc_slice_from_copied_buffer(
			(const char *)c->reply.trailer, c->reply.trailer_len);
		c->have_trailer = true;
		c->ops[n].data.send_status_from_server.trailing_metadata_count =
			1;
		c->ops[n].data.send_status_from_server.trailing_metadata =
			&c->trailer;
	}
	n++;
	c->ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	c->ops[n].data.recv_close_on_server.cancelled = &c->close_cancelled;
	n++;
	pthread_mutex_lock(&srv->lock);
	c->stage = RPC_STAGE_REPLYING;
	c->until_ms = rpc_now_ms() + (atomic_load(&srv->stopping)
					      ? RPC_REPLY_GRACE_MS
					      : (int64_t)srv->lim.reply_ms);
	pthread_mutex_unlock(&srv->lock);
	if (grpc_call_start_batch(c->call, c->ops, n, c, NULL) !=
	    GRPC_CALL_OK)
		rpc_live_refuse(srv, c, GRPC_STATUS_INTERNAL,
				"cannot send the reply");
}

/* Reply with a status and no message, from the serving loop. */
static void rpc_reply_status(rpc_server *srv, rpc_live *c, int status,
			     const char *why)
{
	c->reply.status = status;
	snprintf(c->reply.details, sizeof(c->reply.details), "%s", why);
	rpc_reply_start(srv, c);
}

static void *rpc_worker(void *arg)
{
	rpc_server *srv = arg;

	pthread_mutex_lock(&srv->lock);
	for (;;) {
		rpc_live *c = srv->qhead;
		if (!c) {
			if (srv->quit)
				break;
			srv->idle++;
			pthread_cond_wait(&srv->work, &srv->lock);
			srv->idle--;
			continue;
		}
		srv->qhead = c->qnext;
		if (!srv->qhead)
			srv->qtail = NULL;
		srv->queued--;
		c->qnext = NULL;
		c->stage = RPC_STAGE_SERVING;
		c->until_ms = rpc_now_ms() + srv->lim.serve_ms;
		pthread_mutex_unlock(&srv->lock);
		memset(&c->reply, 0, sizeof(c->reply));
		c->reply.status = RPC_STATUS_OK;
		rpc_serve_dispatch(srv, c, &c->reply);
		rpc_reply_start(srv, c);
		pthread_mutex_lock(&srv->lock);
	}
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

/* A call whose message arrived: to a worker (started when none is idle
 * and fewer than max_inflight run), or refused when the queue is as long
 * as the number of workers can drain in reason. */
static void rpc_enqueue(rpc_server *srv, rpc_live *c)
{
	pthread_mutex_lock(&srv->lock);
	if (srv->queued >= srv->lim.max_calls) {
		pthread_mutex_unlock(&srv->lock);
		atomic_fetch_add(&srv->refused, 1);
		rpc_reply_status(srv, c, RPC_STATUS_RESOURCE_EXHAUSTED,
				 "server busy: too many calls waiting");
		return;
	}
	c->stage = RPC_STAGE_QUEUED;
	c->until_ms = rpc_now_ms() + srv->lim.queue_ms;
	if (srv->qtail)
		srv->qtail->qnext = c;
	else
		srv->qhead = c;
	srv->qtail = c;
	srv->queued++;
	if (srv->idle == 0 && srv->nworkers < srv->max_workers &&
	    pthread_create(&srv->workers[srv->nworkers], NULL, rpc_worker,
			   srv) == 0)
		srv->nworkers++;
	pthread_cond_signal(&srv->work);
	pthread_mutex_unlock(&srv->lock);
}

/* The message of c, on its way in: wait for it on the loop's queue. */
static void rpc_receive_start(rpc_server *srv, rpc_live *c)
{
	grpc_op op;

	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &c->req_bb;
	pthread_mutex_lock(&srv->lock);
	c->stage = RPC_STAGE_RECEIVING;
	c->until_ms = rpc_now_ms() + srv->lim.receive_ms;
	pthread_mutex_unlock(&srv->lock);
	if (grpc_call_start_batch(c->call, &op, 1, c, NULL) != GRPC_CALL_OK)
		rpc_live_refuse(srv, c, GRPC_STATUS_INTERNAL,
				"cannot receive the request");
}

/* One completion on the loop's queue. */
static void rpc_on_event(rpc_server *srv, grpc_event ev)
{
	rpc_live *c = ev.tag;

	if (c == srv->pend) {
		srv->pend = NULL;
		if (!ev.success) {
			c->call = NULL;
			rpc_live_free(c);
			return;
		}
		pthread_mutex_lock(&srv->lock);
		bool full = srv->nlive >= srv->lim.max_calls;
		if (!full) {
			c->next = srv->live;
			if (srv->live)
				srv->live->prev = c;
			srv->live = c;
			c->linked = true;
			srv->nlive++;
		}
		pthread_mutex_unlock(&srv->lock);
		if (atomic_load(&srv->stopping)) {
			rpc_live_refuse(srv, c, GRPC_STATUS_UNAVAILABLE,
					"server stopping");
		} else if (full) {
			atomic_fetch_add(&srv->refused, 1);
			rpc_live_refuse(srv, c, GRPC_STATUS_RESOURCE_EXHAUSTED,
					"server busy: too many calls at once");
		} else {
			rpc_receive_start(srv, c);
		}
		return;
	}
	pthread_mutex_lock(&srv->lock);
	rpc_stage stage = c->stage;
	bool expired = c->until_ms == INT64_MAX;
	pthread_mutex_unlock(&srv->lock);
	if (stage == RPC_STAGE_RECEIVING && ev.success && !expired &&
	    !atomic_load(&srv->stopping))
		rpc_enqueue(srv, c);
	else
		rpc_live_release(srv, c); /* replied, or cancelled */
}

/* Every stage past its deadline: a call that has not sent its message,
 * waited too long for a worker, is served too long, or does not take
 * its reply is ended; with stopping, calls not yet served are. */
static void rpc_expire(rpc_server *srv, bool stopping)
{
	int64_t now = rpc_now_ms();
	rpc_live *busy[64];
	size_t nbusy = 0;

	pthread_mutex_lock(&srv->lock);
	for (rpc_live *c = srv->live; c; c = c->next) {
		bool over = now >= c->until_ms;
		if (c->until_ms == INT64_MAX)
			continue; /* already ended here */
		if (c->stage == RPC_STAGE_RECEIVING && (over || stopping)) {
			grpc_call_cancel_with_status(
				c->call,
				stopping ? GRPC_STATUS_UNAVAILABLE
					 : GRPC_STATUS_DEADLINE_EXCEEDED,
				stopping ? "server stopping"
					 : "the request message did not "
					   "arrive in time",
				NULL);
			c->until_ms = INT64_MAX;
			if (!stopping)
				atomic_fetch_add(&srv->expired, 1);
		} else if (c->stage == RPC_STAGE_QUEUED &&
			   (over || stopping) && nbusy < 64) {
			/* Out of the queue; answered below, unlocked. */
			rpc_live **p = &srv->qhead, *prev = NULL;
			while (*p && *p != c) {
				prev = *p;
				p = &(*p)->qnext;
			}
			if (*p) {
				*p = c->qnext;
				if (srv->qtail == c)
					srv->qtail = prev;
				srv->queued--;
				c->qnext = NULL;
			}
			c->stage = RPC_STAGE_REPLYING;
			c->until_ms = INT64_MAX;
			busy[nbusy++] = c;
		} else if ((c->stage == RPC_STAGE_SERVING ||
			    c->stage == RPC_STAGE_REPLYING) && over) {
			/* The handler's calls are cancelled with it. */
			grpc_call_cancel_with_status(
				c->call, GRPC_STATUS_DEADLINE_EXCEEDED,
				c->stage == RPC_STAGE_SERVING
					? "serving the call took too long"
					: "the caller did not take its reply",
				NULL);
			c->until_ms = INT64_MAX;
			if (!stopping)
				atomic_fetch_add(&srv->expired, 1);
		}
	}
	pthread_mutex_unlock(&srv->lock);
	for (size_t i = 0; i < nbusy; i++) {
		if (!stopping)
			atomic_fetch_add(&srv->expired, 1);
		rpc_reply_status(srv, busy[i],
				 stopping ? RPC_STATUS_UNAVAILABLE
					  : RPC_STATUS_RESOURCE_EXHAUSTED,
				 stopping ? "server stopping"
					  : "server busy: no worker free in "
					    "time");
	}
}

int rpc_server_run(rpc_server *srv, volatile sig_atomic_t *stop,
		   unsigned max_inflight)
{
	int rc = 0;

	if (!srv || !stop)
		return -1;
	if (max_inflight == 0)
		max_inflight = 1;
	srv->workers = calloc(max_inflight, sizeof(*srv->workers));
	if (!srv->workers)
		return -1;
	srv->max_workers = max_inflight;
	srv->nworkers = 0;
	srv->quit = false;
	atomic_store(&srv->stopping, false);

	int64_t last_scan = rpc_now_ms(), last_event = last_scan, last_trim = 0;
	while (!*stop) {
		if (!srv->pend && rpc_request_post(srv) != 0) {
			rc = -1;
			break;
		}
		grpc_event ev = grpc_completion_queue_next(
			srv->cq, rpc_after_ms(RPC_POLL_MS), NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN) {
			rc = -1;
			break;
		}
		if (ev.type == GRPC_OP_COMPLETE)
			rpc_on_event(srv, ev);
		int64_t now = rpc_now_ms();
		if (ev.type == GRPC_OP_COMPLETE)
			last_event = now;
		if (now - last_scan >= RPC_POLL_MS) {
			rpc_expire(srv, false);
			last_scan = now;
		}
		/* After a burst (streams reset at once, a flood of
		 * connections), give the freed heap back: the allocator
		 * keeps it otherwise, and the process's memory would stay
		 * at the burst's high-water mark. Once calls have been
		 * quiet for a while, and every RPC_TRIM_IDLE_MS while no
		 * call is held (connections make no event here). */
		bool quiet = last_event > last_trim &&
			     now - last_event >= RPC_TRIM_MS;
		if (quiet || (now - last_trim >= RPC_TRIM_IDLE_MS &&
			      rpc_server_held(srv) == 0)) {
			malloc_trim(0);
			last_trim = now;
		}
	}

	/* Stop: calls not yet served are refused, running ones finish and
	 * reply (a reply has RPC_REPLY_GRACE_MS to go out). */
	atomic_store(&srv->stopping, true);
	for (;;) {
		rpc_expire(srv, true);
		pthread_mutex_lock(&srv->lock);
		size_t left = srv->nlive;
		pthread_mutex_unlock(&srv->lock);
		if (left == 0)
			break;
		grpc_event ev = grpc_completion_queue_next(
			srv->cq, rpc_after_ms(RPC_POLL_MS), NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type == GRPC_OP_COMPLETE)
			rpc_on_event(srv, ev);
	}
	pthread_mutex_lock(&srv->lock);
	srv->quit = true;
	pthread_cond_broadcast(&srv->work);
	pthread_mutex_unlock(&srv->lock);
	for (unsigned i = 0; i < srv->nworkers; i++)
		pthread_join(srv->workers[i], NULL);
	free(srv->workers);
	srv->workers = NULL;
	srv->nworkers = 0;
	return rc;
}

void rpc_server_free(rpc_server *srv)
{
	int shutdown_tag;

	if (!srv)
		return;
	grpc_server_shutdown_and_notify(srv->server, srv->cq, &shutdown_tag);
	grpc_server_cancel_all_calls(srv->server);
	for (;;) {
		grpc_event ev = grpc_completion_queue_next(
			srv->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (ev.type == GRPC_OP_COMPLETE && ev.tag == &shutdown_tag)
			break;
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		rpc_pend_finished_unserved(srv, ev);
	}
	grpc_server_destroy(srv->server);
	grpc_completion_queue_shutdown(srv->cq);
	for (;;) {
		grpc_event ev = grpc_completion_queue_next(
			srv->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		rpc_pend_finished_unserved(srv, ev);
	}
	grpc_completion_queue_destroy(srv->cq);
	grpc_resource_quota_unref(srv->quota);
	pthread_cond_destroy(&srv->work);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}

/* ---- client ------------------------------------------------------ */

struct rpc_channel {
	grpc_channel *channel;
};

rpc_channel *rpc_channel_open(const char *target)
{
	return rpc_channel_open_as(target, NULL);
}

rpc_channel *rpc_channel_open_as(const char *target, const char *peer_name)
{
	if (!target)
		return NULL;
	rpc_channel *ch = calloc(1, sizeof(*ch));
	if (!ch)
		return NULL;
	grpc_channel_credentials *creds;
	grpc_arg arg = {
		.type = GRPC_ARG_STRING,
		.key = (char *)GRPC_SSL_TARGET_NAME_OVERRIDE_ARG,
		.value.string = (char *)peer_name,
	};
	grpc_channel_args args = {.num_args = 1, .args = &arg};
	bool named = false;
	if (tls_ca) {
		grpc_ssl_pem_key_cert_pair pair = {.private_key = tls_key,
						   .cert_chain = tls_cert};
		creds = grpc_ssl_credentials_create(tls_ca, &pair, NULL, NULL);
		named = peer_name && *peer_name;
	} else {
		creds = grpc_insecure_credentials_create();
	}
	ch->channel = grpc_channel_create(target, creds, named ? &args : NULL);
	grpc_channel_credentials_release(creds);
	if (!ch->channel) {
		free(ch);
		return NULL;
	}
	return ch;
}

void rpc_channel_close(rpc_channel *ch)
{
	if (!ch)
		return;
	grpc_channel_destroy(ch->channel);
	free(ch);
}

static void rpc_result_reset(rpc_result *res)
{
	memset(res, 0, sizeof(*res));
}

static int rpc_local_fail(rpc_result *res, const char *why)
{
	res->status = RPC_STATUS_INTERNAL;
	snprintf(res->details, sizeof(res->details), "%s", why);
	return -1;
}

/* The first RPC_REFUSAL_KEY value of md, copied into res (nothing when
 * there is none, or it is over RPC_ERRLEN: a refusal is small). */
static void rpc_take_trailer(const grpc_metadata_array *md, rpc_result *res)
{
	for (size_t i = 0; i < md->count; i++) {
		if (grpc_slice_str_cmp(md->metadata[i].key, RPC_REFUSAL_KEY) != 0)
			continue;
		size_t len = GRPC_SLICE_LENGTH(md->metadata[i].value);
		if (len == 0 || len > RPC_ERRLEN || !(res->trailer = malloc(len)))
			return;
		memcpy(res->trailer, GRPC_SLICE_START_PTR(md->metadata[i].value),
		       len);
		res->trailer_len = len;
		return;
	}
}

int rpc_call(rpc_channel *ch, const rpc_request *rq, rpc_result *res)
{
	if (!res)
		return -1;
	rpc_result_reset(res);
	if (!rq)
		return rpc_local_fail(res, "rpc_call: bad arguments");
	void *parent = rq->parent;
	const uint8_t *context = rq->context;
	size_t context_len = rq->context_len;
	const uint8_t *body = rq->body;
	size_t body_len = rq->body_len;
	int timeout_ms = rq->timeout_ms;
	if (!ch || (!body && body_len))
		return rpc_local_fail(res, "rpc_call: bad arguments");

	gpr_timespec deadline;
	if (timeout_ms > 0)
		deadline = rpc_after_ms(timeout_ms);
	else if (parent)
		deadline = gpr_inf_future(GPR_CLOCK_MONOTONIC);
	else
		deadline = rpc_after_ms(RPC_DEFAULT_TIMEOUT_MS);

	grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
	if (!cq)
		return rpc_local_fail(res, "rpc_call: cannot create queue");
	grpc_call *call = grpc_channel_create_call(
		ch->channel, (grpc_call *)parent,
		parent ? GRPC_PROPAGATE_DEFAULTS : 0, cq,
		grpc_slice_from_static_string(RPC_METHOD), NULL, deadline,
		NULL);
	if (!call) {
		rpc_pluck_cq_free(cq);
		return rpc_local_fail(res, "rpc_call: cannot create call");
	}

	grpc_metadata md;
	memset(&md, 0, sizeof(md));
	if (context) {
		md.key = grpc_slice_from_static_string(RPC_CONTEXT_KEY);
		md.value = grpc_slice_from_copied_buffer((const char *)context,
							 context_len);
	}
	grpc_byte_buffer *req_bb =
		rpc_buffer_make(body ? body : (const uint8_t *)"", body_len);
	grpc_metadata_array initial_md, trailing_md;
	grpc_metadata_array_init(&initial_md);
	grpc_metadata_array_init(&trailing_md);
	grpc_byte_buffer *rep_bb = NULL;
	grpc_status_code status = GRPC_STATUS_UNKNOWN;
	grpc_slice details = grpc_empty_slice();
	grpc_op ops[6];
	int rc = 0;

	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[0].data.send_initial_metadata.count = context ? 1 : 0;
	ops[0].data.send_initial_metadata.metadata = context ? &md : NULL;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = req_bb;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &rep_bb;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
	ops[5].data.recv_status_on_client.status = &status;
	ops[5].data.recv_status_on_client.status_details = &details;

	grpc_call_error e = grpc_call_start_batch(call, ops, 6, ops, NULL);
	if (e != GRPC_CALL_OK) {
		char why[96];
		snprintf(why, sizeof(why),
			 "rpc_call: cannot start call (grpc_call_error %d)",
			 (int)e);
		rc = rpc_local_fail(res, why);
	} else {
		grpc_event ev = grpc_completion_queue_pluck(
			cq, ops, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (ev.type != GRPC_OP_COMPLETE) {
			rc = rpc_local_fail(res, "rpc_call: queue failed");
		} else {
			res->status = (int)status;
			size_t dl = GRPC_SLICE_LENGTH(details);
			if (dl >= sizeof(res->details))
				dl = sizeof(res->details) - 1;
			memcpy(res->details, GRPC_SLICE_START_PTR(details), dl);
			res->details[dl] = '\0';
			if (rep_bb && status == GRPC_STATUS_OK &&
			    rpc_buffer_take(rep_bb, &res->body,
					    &res->body_len) != 0)
				rc = rpc_local_fail(res,
					"rpc_call: cannot read reply message");
			if (status != GRPC_STATUS_OK)
				rpc_take_trailer(&trailing_md, res);
		}
	}

	if (rep_bb)
		grpc_byte_buffer_destroy(rep_bb);
	grpc_byte_buffer_destroy(req_bb);
	grpc_slice_unref(details);
	grpc_metadata_array_destroy(&initial_md);
	grpc_metadata_array_destroy(&trailing_md);
	if (context)
		grpc_slice_unref(md.value);
	grpc_call_unref(call);
	rpc_pluck_cq_free(cq);
	return rc;
}

void rpc_result_free(rpc_result *res)
{
	if (!res)
		return;
	free(res->body);
	res->body = NULL;
	res->body_len = 0;
	free(res->trailer);
	res->trailer = NULL;
	res->trailer_len = 0;
}
