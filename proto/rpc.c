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

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RPC_POLL_MS 100
#define RPC_REPLY_GRACE_POLLS 20 /* 2 s for a reply to drain at stop */
#define RPC_DEFAULT_TIMEOUT_MS 30000
#define RPC_STATUS_MAX 16 /* GRPC_STATUS_UNAUTHENTICATED */

/* ---- helpers ----------------------------------------------------- */

void rpc_init(void)
{
	grpc_init();
}

void rpc_shutdown(void)
{
	grpc_shutdown();
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

/* One requested (or arrived) call: everything grpc_server_request_call
 * fills, plus the pluck queue bound to the call. */
typedef struct rpc_request {
	grpc_call *call;
	grpc_call_details details;
	grpc_metadata_array md;
	grpc_completion_queue *cq;
} rpc_request;

/* A worker slot: at most max_inflight of them, each one joinable thread. */
typedef struct rpc_slot {
	struct rpc_server *srv;
	struct rpc_slot_set *set;
	rpc_request req;
	pthread_t tid;
	bool used;  /* a thread was started and not yet joined */
	bool done;  /* that thread has finished its call */
} rpc_slot;

typedef struct rpc_slot_set {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	rpc_slot *slots;
	unsigned n;
} rpc_slot_set;

struct rpc_server {
	grpc_server *server;
	grpc_completion_queue *cq;  /* notifications, create_for_next */
	rpc_handler_fn handler;
	void *user;
	rpc_request pend;           /* the request kept outstanding */
	bool pend_outstanding;
	atomic_bool stopping;       /* run saw *stop: drop calls still
	                               waiting for their request message */
};

static void rpc_request_clear(rpc_request *r)
{
	if (r->call) {
		grpc_call_unref(r->call);
		r->call = NULL;
	}
	grpc_call_details_destroy(&r->details);
	grpc_metadata_array_destroy(&r->md);
	if (r->cq) {
		rpc_pluck_cq_free(r->cq);
		r->cq = NULL;
	}
}

/* Refuse a call we will not serve (server stopping) and release it. */
static void rpc_request_refuse(rpc_request *r)
{
	if (r->call)
		grpc_call_cancel_with_status(r->call, GRPC_STATUS_UNAVAILABLE,
					     "server stopping", NULL);
	rpc_request_clear(r);
}

static int rpc_request_post(rpc_server *srv)
{
	rpc_request *r = &srv->pend;

	memset(r, 0, sizeof(*r));
	grpc_call_details_init(&r->details);
	grpc_metadata_array_init(&r->md);
	r->cq = grpc_completion_queue_create_for_pluck(NULL);
	if (!r->cq) {
		rpc_request_clear(r);
		return -1;
	}
	grpc_call_error e = grpc_server_request_call(srv->server, &r->call,
						     &r->details, &r->md, r->cq,
						     srv->cq, r);
	if (e != GRPC_CALL_OK) {
		rpc_request_clear(r);
		return -1;
	}
	srv->pend_outstanding = true;
	return 0;
}

/* Events on the notification queue other than the shutdown tag can only
 * be our outstanding request; when it completes outside rpc_server_run
 * the call is refused. */
static void rpc_pend_finished_unserved(rpc_server *srv, grpc_event ev)
{
	if (ev.type != GRPC_OP_COMPLETE || ev.tag != &srv->pend)
		return;
	srv->pend_outstanding = false;
	if (!ev.success) {
		srv->pend.call = NULL;
		rpc_request_clear(&srv->pend);
	} else {
		rpc_request_refuse(&srv->pend);
	}
}

int rpc_server_start(const char *listen_addr, rpc_handler_fn handler,
		     void *user, rpc_server **out, int *bound_port, char *err,
		     size_t errlen)
{
	grpc_server_credentials *creds;
	int port;

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

	/* Metadata up to RPC_MAX_METADATA reaches the handler, so that the
	 * codec's own, lower context cap answers (and is logged) rather
	 * than gRPC's 8 KiB default. */
	grpc_arg arg[2] = {
		{.type = GRPC_ARG_INTEGER,
		 .key = (char *)GRPC_ARG_ALLOW_REUSEPORT,
		 .value.integer = 0},
		{.type = GRPC_ARG_INTEGER,
		 .key = (char *)GRPC_ARG_MAX_METADATA_SIZE,
		 .value.integer = RPC_MAX_METADATA},
	};
	grpc_channel_args args = { .num_args = 2, .args = arg };
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

/* Wait for a batch on a server call. A caller without a deadline that
 * stalls (never sends its message, never reads the reply) must not keep
 * rpc_server_run from returning: once the server is stopping and the
 * batch is still pending after grace_polls polls, cancel the call. Returns
 * 0 when the batch succeeded and the call was not cancelled here. */
static int rpc_serve_wait(rpc_server *srv, rpc_request *r, void *tag,
			  int grace_polls)
{
	bool cancelled_here = false;
	int stuck = 0;
	grpc_event ev;

	for (;;) {
		ev = grpc_completion_queue_pluck(r->cq, tag,
						 rpc_after_ms(RPC_POLL_MS),
						 NULL);
		if (ev.type == GRPC_OP_COMPLETE)
			break;
		if (cancelled_here || !atomic_load(&srv->stopping))
			continue;
		if (++stuck >= grace_polls) {
			grpc_call_cancel_with_status(r->call,
						     GRPC_STATUS_UNAVAILABLE,
						     "server stopping", NULL);
			cancelled_here = true;
		}
	}
	return ev.success && !cancelled_here ? 0 : -1;
}

/* Wait for the request message. Returns 0 when the call is still live
 * (*bb may be NULL if the caller half-closed without a message). */
static int rpc_serve_receive(rpc_server *srv, rpc_request *r,
			     grpc_byte_buffer **bb)
{
	grpc_op op;

	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = bb;
	if (grpc_call_start_batch(r->call, &op, 1, &op, NULL) != GRPC_CALL_OK)
		return -1;
	return rpc_serve_wait(srv, r, &op, 1);
}

/* Build what the handler sees and run it. Pointers in the incoming view
 * stay valid until the call is released. */
static void rpc_serve_dispatch(rpc_server *srv, rpc_request *r,
			       grpc_byte_buffer *req_bb, rpc_reply *reply)
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
	if (!req_bb) {
		reply->status = RPC_STATUS_INVALID_ARGUMENT;
		snprintf(reply->details, sizeof(reply->details),
			 "no request message");
		return;
	}
	if (rpc_buffer_take(req_bb, &body, &body_len) != 0) {
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

/* Send the reply (message only with RPC_STATUS_OK) and the status. */
static void rpc_serve_reply(rpc_server *srv, rpc_request *r,
			    const rpc_reply *reply)
{
	grpc_byte_buffer *rep_bb = NULL;
	grpc_slice details = grpc_slice_from_copied_string(reply->details);
	int cancelled = 0;
	grpc_op ops[4];
	size_t n = 0;

	if (reply->status == RPC_STATUS_OK)
		rep_bb = rpc_buffer_make(reply->body ? reply->body :
					 (const uint8_t *)"", reply->body_len);
	memset(ops, 0, sizeof(ops));
	ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[n].data.send_initial_metadata.count = 0;
	n++;
	if (rep_bb) {
		ops[n].op = GRPC_OP_SEND_MESSAGE;
		ops[n].data.send_message.send_message = rep_bb;
		n++;
	}
	ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[n].data.send_status_from_server.trailing_metadata_count = 0;
	ops[n].data.send_status_from_server.status =
		(grpc_status_code)reply->status;
	ops[n].data.send_status_from_server.status_details = &details;
	n++;
	ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[n].data.recv_close_on_server.cancelled = &cancelled;
	n++;
	/* A reply gets RPC_REPLY_GRACE_POLLS polls to drain once stopping. */
	if (grpc_call_start_batch(r->call, ops, n, ops, NULL) == GRPC_CALL_OK)
		(void)rpc_serve_wait(srv, r, ops, RPC_REPLY_GRACE_POLLS);
	grpc_slice_unref(details);
	if (rep_bb)
		grpc_byte_buffer_destroy(rep_bb);
}

/* Serve one call on its own pluck queue, then release it. */
static void rpc_serve(rpc_server *srv, rpc_request *r)
{
	grpc_byte_buffer *req_bb = NULL;
	rpc_reply reply;

	memset(&reply, 0, sizeof(reply));
	reply.status = RPC_STATUS_OK;
	if (rpc_serve_receive(srv, r, &req_bb) == 0) {
		rpc_serve_dispatch(srv, r, req_bb, &reply);
		rpc_serve_reply(srv, r, &reply);
	}
	if (req_bb)
		grpc_byte_buffer_destroy(req_bb);
	free(reply.body);
	rpc_request_clear(r);
}

static void *rpc_worker(void *arg)
{
	rpc_slot *slot = arg;
	rpc_slot_set *set = slot->set;

	rpc_serve(slot->srv, &slot->req);
	pthread_mutex_lock(&set->lock);
	slot->done = true;
	pthread_cond_signal(&set->freed);
	pthread_mutex_unlock(&set->lock);
	return NULL;
}

/* A slot whose thread is not running, joining a finished one; NULL when
 * every slot is busy. Only the serving loop takes slots. */
static rpc_slot *rpc_slot_find(rpc_slot_set *set)
{
	rpc_slot *found = NULL;

	pthread_mutex_lock(&set->lock);
	for (unsigned i = 0; i < set->n && !found; i++)
		if (!set->slots[i].used || set->slots[i].done)
			found = &set->slots[i];
	pthread_mutex_unlock(&set->lock);
	if (found && found->used) {
		pthread_join(found->tid, NULL);
		found->used = false;
		found->done = false;
	}
	return found;
}

/* Wait up to RPC_POLL_MS for some slot to finish. */
static void rpc_slot_wait(rpc_slot_set *set)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += RPC_POLL_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&set->lock);
	bool any = false;
	for (unsigned i = 0; i < set->n; i++)
		any |= !set->slots[i].used || set->slots[i].done;
	if (!any)
		pthread_cond_timedwait(&set->freed, &set->lock, &until);
	pthread_mutex_unlock(&set->lock);
}

int rpc_server_run(rpc_server *srv, volatile sig_atomic_t *stop,
		   unsigned max_inflight)
{
	rpc_slot_set set;
	int rc = 0;

	if (!srv || !stop)
		return -1;
	if (max_inflight == 0)
		max_inflight = 1;
	memset(&set, 0, sizeof(set));
	set.n = max_inflight;
	set.slots = calloc(max_inflight, sizeof(*set.slots));
	if (!set.slots)
		return -1;
	atomic_store(&srv->stopping, false);
	pthread_mutex_init(&set.lock, NULL);
	pthread_cond_init(&set.freed, NULL);

	while (!*stop) {
		if (!srv->pend_outstanding) {
			/* Ask for a call only when a slot can take it, so
			 * excess calls wait inside gRPC. */
			rpc_slot *free_slot = rpc_slot_find(&set);
			if (!free_slot) {
				rpc_slot_wait(&set);
				continue;
			}
			if (rpc_request_post(srv) != 0) {
				rc = -1;
				break;
			}
		}
		grpc_event ev = grpc_completion_queue_next(
			srv->cq, rpc_after_ms(RPC_POLL_MS), NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN) {
			rc = -1;
			break;
		}
		if (ev.type != GRPC_OP_COMPLETE || ev.tag != &srv->pend)
			continue;
		srv->pend_outstanding = false;
		if (!ev.success) {
			srv->pend.call = NULL;
			rpc_request_clear(&srv->pend);
			continue;
		}
		rpc_slot *slot = rpc_slot_find(&set);
		if (!slot) {
			/* Cannot happen: we posted only with a free slot. */
			rpc_request_refuse(&srv->pend);
			continue;
		}
		slot->srv = srv;
		slot->set = &set;
		slot->req = srv->pend;
		memset(&srv->pend, 0, sizeof(srv->pend));
		slot->done = false;
		slot->used = true;
		if (pthread_create(&slot->tid, NULL, rpc_worker, slot) != 0) {
			slot->used = false;
			rpc_request_refuse(&slot->req);
		}
	}

	atomic_store(&srv->stopping, true);
	for (unsigned i = 0; i < set.n; i++)
		if (set.slots[i].used)
			pthread_join(set.slots[i].tid, NULL);
	pthread_cond_destroy(&set.freed);
	pthread_mutex_destroy(&set.lock);
	free(set.slots);
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

int rpc_call(rpc_channel *ch, void *parent, const uint8_t *context,
	     size_t context_len, const uint8_t *body, size_t body_len,
	     int timeout_ms, rpc_result *res)
{
	if (!res)
		return -1;
	rpc_result_reset(res);
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
}
