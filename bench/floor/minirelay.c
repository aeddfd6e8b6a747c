/* minirelay.c: the benchmark's floor for the bare relay: a minimal gRPC
 * C-core relay written for the benchmark and nothing else. Each server
 * thread owns one completion queue, takes a call on it, relays it to the
 * next hop (on the same queue) or, at the end of the chain, echoes the
 * request, and replies; no worker pool, no hand-off between threads, no
 * deadline propagation, no metadata, insecure credentials. The client is
 * the daemons' load mode (node/load.c) around one blocking call on a
 * completion queue of the calling thread.
 *
 *   cloakroom-minirelay --listen ADDR [--next ADDR] [--threads N]
 *       a server: "READY <port>" on fd 3, serves until SIGTERM
 *   cloakroom-minirelay --next ADDR --bench-calls N | --bench-inflight K
 *       --bench-ms MS [--bench-warmup W]
 *       the client: load mode, its figures on fd 3 (load.h)
 *
 * The method and request are the chain's (RPC_METHOD, a CallRequest's
 * bytes are carried as they are, never decoded). */
#include "load.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define METHOD "/cloakroom.Chain/Call"
#define MAX_THREADS 256
#define CALL_TIMEOUT_MS 10000

static volatile sig_atomic_t stopping;
static grpc_channel *next_channel; /* NULL: the end of the chain */

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static gpr_timespec after_ms(int ms)
{
	return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
			    gpr_time_from_millis(ms, GPR_TIMESPAN));
}

/* Wait on cq for the batch tagged tag (the only one outstanding on it). */
static bool wait_for(grpc_completion_queue *cq, void *tag)
{
	for (;;) {
		grpc_event ev = grpc_completion_queue_next(
			cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			return false;
		if (ev.type == GRPC_OP_COMPLETE && ev.tag == tag)
			return ev.success != 0;
	}
}

/* One unary call to the next hop on cq: request in, reply out (a new
 * reference the caller destroys, or NULL). */
static grpc_status_code call_next(grpc_completion_queue *cq,
				  grpc_byte_buffer *request,
				  grpc_byte_buffer **reply)
{
	*reply = NULL;
	grpc_call *call = grpc_channel_create_call(
		next_channel, NULL, 0, cq,
		grpc_slice_from_static_string(METHOD), NULL,
		after_ms(CALL_TIMEOUT_MS), NULL);
	if (!call)
		return GRPC_STATUS_INTERNAL;
	grpc_metadata_array initial, trailing;
	grpc_metadata_array_init(&initial);
	grpc_metadata_array_init(&trailing);
	grpc_status_code status = GRPC_STATUS_UNKNOWN;
	grpc_slice details = grpc_empty_slice();
	grpc_op ops[6];
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = request;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = reply;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &trailing;
	ops[5].data.recv_status_on_client.status = &status;
	ops[5].data.recv_status_on_client.status_details = &details;
	if (grpc_call_start_batch(call, ops, 6, ops, NULL) != GRPC_CALL_OK ||
	    !wait_for(cq, ops))
		status = GRPC_STATUS_INTERNAL;
	grpc_slice_unref(details);
	grpc_metadata_array_destroy(&initial);
	grpc_metadata_array_destroy(&trailing);
	grpc_call_unref(call);
	return status;
}

typedef struct server_thread {
	grpc_server *server;
	grpc_completion_queue *cq;
	pthread_t tid;
} server_thread;

/* Take a call on this thread's queue, relay or echo it, reply; again. */
static void *serve(void *arg)
{
	server_thread *t = arg;
	for (;;) {
		grpc_call *call = NULL;
		grpc_call_details details;
		grpc_metadata_array md;
		grpc_call_details_init(&details);
		grpc_metadata_array_init(&md);
		int tag_new = 0;
		if (grpc_server_request_call(t->server, &call, &details, &md,
					     t->cq, t->cq,
					     &tag_new) != GRPC_CALL_OK ||
		    !wait_for(t->cq, &tag_new)) {
			grpc_call_details_destroy(&details);
			grpc_metadata_array_destroy(&md);
			break; /* the server is shutting down */
		}
		grpc_byte_buffer *request = NULL, *reply = NULL;
		int cancelled = 0;
		grpc_op ops[4];
		memset(ops, 0, sizeof(ops));
		ops[0].op = GRPC_OP_RECV_MESSAGE;
		ops[0].data.recv_message.recv_message = &request;
		bool ok = grpc_call_start_batch(call, ops, 1, ops, NULL) ==
				  GRPC_CALL_OK &&
			  wait_for(t->cq, ops) && request;
		grpc_status_code status = ok ? GRPC_STATUS_OK
					     : GRPC_STATUS_INTERNAL;
		if (ok && next_channel)
			status = call_next(t->cq, request, &reply);
		else if (ok)
			reply = grpc_byte_buffer_copy(request);
		memset(ops, 0, sizeof(ops));
		ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
		ops[1].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
		ops[1].data.recv_close_on_server.cancelled = &cancelled;
		ops[2].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
		ops[2].data.send_status_from_server.status = status;
		size_t n = 3;
		if (status == GRPC_STATUS_OK && reply) {
			ops[3].op = GRPC_OP_SEND_MESSAGE;
			ops[3].data.send_message.send_message = reply;
			n = 4;
		}
		if (grpc_call_start_batch(call, ops, n, ops, NULL) ==
		    GRPC_CALL_OK)
			wait_for(t->cq, ops);
		if (request)
			grpc_byte_buffer_destroy(request);
		if (reply)
			grpc_byte_buffer_destroy(reply);
		grpc_call_unref(call);
		grpc_call_details_destroy(&details);
		grpc_metadata_array_destroy(&md);
	}
	return NULL;
}

static int run_server(const char *listen, unsigned nthreads)
{
	grpc_server *server = grpc_server_create(NULL, NULL);
	server_thread *th = calloc(nthreads, sizeof(*th));
	if (!server || !th)
		return 3;
	for (unsigned i = 0; i < nthreads; i++) {
		th[i].server = server;
		th[i].cq = grpc_completion_queue_create_for_next(NULL);
		grpc_server_register_completion_queue(server, th[i].cq, NULL);
	}
	grpc_server_credentials *creds =
		grpc_insecure_server_credentials_create();
	int port = grpc_server_add_http2_port(server, listen, creds);
	grpc_server_credentials_release(creds);
	if (port <= 0) {
		fprintf(stderr, "minirelay: cannot listen on %s\n", listen);
		return 3;
	}
	grpc_server_start(server);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_create(&th[i].tid, NULL, serve, &th[i]);
	char line[32];
	int l = snprintf(line, sizeof(line), "READY %d\n", port);
	if (write(3, line, (size_t)l) != l)
		fprintf(stderr, "minirelay: cannot report readiness\n");
	close(3);
	while (!stopping)
		usleep(50000);
	/* Shut down: the server's own queue for the notification, then
	 * every thread's queue once its thread has left. */
	grpc_completion_queue *sq = grpc_completion_queue_create_for_pluck(NULL);
	int tag = 0;
	grpc_server_shutdown_and_notify(server, sq, &tag);
	grpc_server_cancel_all_calls(server);
	grpc_completion_queue_pluck(sq, &tag,
				    gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	for (unsigned i = 0; i < nthreads; i++) {
		grpc_completion_queue_shutdown(th[i].cq);
		pthread_join(th[i].tid, NULL);
		grpc_completion_queue_destroy(th[i].cq);
	}
	grpc_server_destroy(server);
	grpc_completion_queue_shutdown(sq);
	grpc_completion_queue_destroy(sq);
	free(th);
	return 0;
}

/* A load thread's queue, shut down, drained and destroyed when the
 * thread ends. */
static pthread_once_t cq_once = PTHREAD_ONCE_INIT;
static pthread_key_t cq_key;

static void cq_free(void *p)
{
	grpc_completion_queue *cq = p;
	grpc_completion_queue_shutdown(cq);
	while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME),
					  NULL)
		       .type != GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(cq);
}

static void cq_key_make(void)
{
	if (pthread_key_create(&cq_key, cq_free) != 0)
		abort();
}

/* The client's call: the request as the chain's client sends it (a
 * CallRequest naming B: field 1, "B"), on this thread's queue. */
static int client_call(void *user)
{
	(void)user;
	pthread_once(&cq_once, cq_key_make);
	grpc_completion_queue *cq = pthread_getspecific(cq_key);
	if (!cq) {
		cq = grpc_completion_queue_create_for_next(NULL);
		if (!cq || pthread_setspecific(cq_key, cq) != 0) {
			if (cq)
				cq_free(cq);
			return -1;
		}
	}
	static const char req[] = {0x0a, 0x01, 'B'};
	grpc_slice s = grpc_slice_from_static_buffer(req, sizeof(req));
	grpc_byte_buffer *request = grpc_raw_byte_buffer_create(&s, 1);
	grpc_byte_buffer *reply = NULL;
	grpc_status_code st = call_next(cq, request, &reply);
	grpc_byte_buffer_destroy(request);
	if (reply)
		grpc_byte_buffer_destroy(reply);
	return st == GRPC_STATUS_OK ? 0 : -1;
}

static bool number(const char *s, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v > 100000000ul)
		return false;
	*out = (unsigned)v;
	return true;
}

int main(int argc, char **argv)
{
	const char *listen = NULL, *next = NULL;
	unsigned nthreads = 64;
	load_plan plan = {0};
	bool load = false;
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool ok = v != NULL;
		if (strcmp(a, "--listen") == 0 && v)
			listen = v;
		else if (strcmp(a, "--next") == 0 && v)
			next = v;
		else if (strcmp(a, "--threads") == 0 && v)
			ok = number(v, &nthreads) && nthreads > 0 &&
			     nthreads <= MAX_THREADS;
		else if (strcmp(a, "--bench-warmup") == 0 && v)
			ok = number(v, &plan.warmup), load = true;
		else if (strcmp(a, "--bench-calls") == 0 && v)
			ok = number(v, &plan.calls), load = true;
		else if (strcmp(a, "--bench-inflight") == 0 && v)
			ok = number(v, &plan.inflight), load = true;
		else if (strcmp(a, "--bench-ms") == 0 && v)
			ok = number(v, &plan.duration_ms), load = true;
		else
			ok = false;
		if (!ok) {
			fprintf(stderr, "minirelay: bad option %s\n", a);
			return 2;
		}
	}
	if (!listen == !load || (load && !next) ||
	    (load && !plan.calls && !(plan.inflight && plan.duration_ms))) {
		fprintf(stderr, "usage: minirelay --listen ADDR [--next ADDR] "
				"[--threads N] | --next ADDR --bench-...\n");
		return 2;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	grpc_init();
	if (next) {
		grpc_channel_credentials *c = grpc_insecure_credentials_create();
		next_channel = grpc_channel_create(next, c, NULL);
		grpc_channel_credentials_release(c);
	}
	int rc = load ? (load_run(&plan, client_call, NULL, 3) == 0 ? 0 : 3)
		      : run_server(listen, nthreads);
	/* The sequential calls ran on this thread, whose key destructor
	 * never runs. */
	pthread_once(&cq_once, cq_key_make);
	grpc_completion_queue *cq = pthread_getspecific(cq_key);
	if (cq) {
		pthread_setspecific(cq_key, NULL);
		cq_free(cq);
	}
	if (next_channel)
		grpc_channel_destroy(next_channel);
	grpc_shutdown();
	return rc;
}
