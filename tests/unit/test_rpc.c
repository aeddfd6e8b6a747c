/* test_rpc.c: the gRPC plumbing carries context and body byte-exact, keeps
 * concurrent calls apart, honours deadlines and statuses, and stops clean.
 * It must never depend on a fixed port or on anything outside this process. */
#include "rpc.h"
#include "../support/stall.h"

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- fixture ----------------------------------------------------- */

static void rpc_test_setup(void)
{
	rpc_init();
}

static void rpc_test_teardown(void)
{
	rpc_shutdown();
}

TestSuite(rpc, .init = rpc_test_setup, .fini = rpc_test_teardown,
	  .timeout = 60);

typedef struct rpc_test_server {
	rpc_server *srv;
	int port;
	char target[64];
	pthread_t tid;
	volatile sig_atomic_t stop;
	unsigned max_inflight;
	int run_rc;
} rpc_test_server;

static void *rpc_test_run(void *arg)
{
	rpc_test_server *ts = arg;

	ts->run_rc = rpc_server_run(ts->srv, &ts->stop, ts->max_inflight);
	return NULL;
}

static void rpc_test_start(rpc_test_server *ts, rpc_handler_fn fn, void *user,
			   unsigned max_inflight)
{
	char err[RPC_ERRLEN] = "";

	memset(ts, 0, sizeof(*ts));
	ts->max_inflight = max_inflight;
	cr_assert_eq(rpc_server_start("127.0.0.1:0", &(rpc_service){fn, user},
				      &ts->srv, &ts->port, err, sizeof(err)),
		     0, "server start failed: %s", err);
	cr_assert_gt(ts->port, 0);
	snprintf(ts->target, sizeof(ts->target), "127.0.0.1:%d", ts->port);
	cr_assert_eq(pthread_create(&ts->tid, NULL, rpc_test_run, ts), 0);
}

static void rpc_test_stop(rpc_test_server *ts)
{
	ts->stop = 1;
	pthread_join(ts->tid, NULL);
	cr_expect_eq(ts->run_rc, 0);
	rpc_server_free(ts->srv);
	ts->srv = NULL;
}

static int64_t rpc_test_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static uint8_t *rpc_test_dup(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	cr_assert_not_null(d);
	if (n)
		memcpy(d, p, n);
	return d;
}

/* ---- handlers ---------------------------------------------------- */

/* What the recording handler saw of the last call. */
typedef struct rpc_seen {
	pthread_mutex_t lock;
	bool called;
	bool context_present;
	size_t context_entries;
	uint8_t context[64];
	size_t context_len;
	uint8_t body[64];
	size_t body_len;
	char peer[128];
	int64_t deadline_ms;
	int64_t at_ms;  /* when the handler read deadline_ms */
} rpc_seen;

/* Records the call and replies "re:" + body. */
static void rpc_test_record(void *user, const rpc_incoming *in,
			    rpc_reply *out)
{
	rpc_seen *s = user;

	pthread_mutex_lock(&s->lock);
	s->called = true;
	s->context_present = in->context_present;
	s->context_entries = in->context_entries;
	s->context_len = in->context_len;
	if (in->context_len <= sizeof(s->context) && in->context_len)
		memcpy(s->context, in->context, in->context_len);
	s->body_len = in->body_len;
	if (in->body_len <= sizeof(s->body) && in->body_len)
		memcpy(s->body, in->body, in->body_len);
	snprintf(s->peer, sizeof(s->peer), "%s", in->peer ? in->peer : "");
	s->deadline_ms = in->deadline_ms;
	s->at_ms = rpc_test_now_ms();
	pthread_mutex_unlock(&s->lock);

	out->body_len = 3 + in->body_len;
	out->body = malloc(out->body_len);
	memcpy(out->body, "re:", 3);
	if (in->body_len)
		memcpy(out->body + 3, in->body, in->body_len);
	out->status = RPC_STATUS_OK;
}

static void rpc_test_deny(void *user, const rpc_incoming *in, rpc_reply *out)
{
	(void)user;
	(void)in;
	out->status = RPC_STATUS_PERMISSION_DENIED;
	snprintf(out->details, sizeof(out->details),
		 "access denied: CORP\\alice lacks read on report.xlsx");
}

/* A refusal with bytes after the status: they travel as the trailer. */
static void rpc_test_refuse(void *user, const rpc_incoming *in, rpc_reply *out)
{
	(void)user;
	(void)in;
	out->status = RPC_STATUS_UNAUTHENTICATED;
	snprintf(out->details, sizeof(out->details), "for people");
	out->trailer = malloc(5);
	memcpy(out->trailer, "\0K5\xff!", 5);
	out->trailer_len = 5;
}

static void rpc_test_sleep_ms(int ms)
{
	struct timespec t = { .tv_sec = ms / 1000,
			      .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&t, &t) != 0)
		;
}

static void rpc_test_slow(void *user, const rpc_incoming *in, rpc_reply *out)
{
	(void)user;
	(void)in;
	rpc_test_sleep_ms(1500);
	out->body = rpc_test_dup((const uint8_t *)"late", 4);
	out->body_len = 4;
}

/* Echoes the context after a pause, counting how many run at once. */
typedef struct rpc_conc {
	atomic_int running;
	atomic_int peak;
	int pause_ms;
} rpc_conc;

static void rpc_test_echo_context(void *user, const rpc_incoming *in,
				  rpc_reply *out)
{
	rpc_conc *c = user;
	int now = atomic_fetch_add(&c->running, 1) + 1;
	int peak = atomic_load(&c->peak);

	while (now > peak && !atomic_compare_exchange_weak(&c->peak, &peak, now))
		;
	rpc_test_sleep_ms(c->pause_ms);
	atomic_fetch_sub(&c->running, 1);
	if (!in->context_present) {
		out->status = RPC_STATUS_INVALID_ARGUMENT;
		snprintf(out->details, sizeof(out->details), "no context");
		return;
	}
	out->body = rpc_test_dup(in->context, in->context_len);
	out->body_len = in->context_len;
}

/* ---- byte-exact transport ---------------------------------------- */

Test(rpc, context_and_body_arrive_byte_exact_and_reply_returns)
{
	rpc_seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	rpc_test_server ts;
	rpc_test_start(&ts, rpc_test_record, &seen, 4);

	const uint8_t ctx[] = { 0x00, 0xff, 0x01, 'a', 0x00, 0x80, 0xfe, 0x7f };
	const uint8_t body[] = { 'h', 0x00, 'i', 0xff };
	rpc_channel *ch = rpc_channel_open(ts.target);
	cr_assert_not_null(ch);
	rpc_result res;
	cr_assert_eq(rpc_call(ch,
			      &(rpc_request){NULL, ctx, sizeof(ctx), body,
					     sizeof(body), 5000},
			      &res),
		     0, "local failure: %s", res.details);
	cr_expect_eq(res.status, RPC_STATUS_OK, "status %d: %s", res.status,
		     res.details);
	const uint8_t want[] = { 'r', 'e', ':', 'h', 0x00, 'i', 0xff };
	cr_assert_eq(res.body_len, sizeof(want));
	cr_expect_arr_eq(res.body, want, sizeof(want));
	rpc_result_free(&res);
	cr_expect_null(res.body);
	rpc_channel_close(ch);
	rpc_test_stop(&ts); /* joins the handler threads: seen is settled */

	cr_assert(seen.called);
	cr_expect(seen.context_present);
	cr_expect_eq(seen.context_entries, 1);
	cr_assert_eq(seen.context_len, sizeof(ctx));
	cr_expect_arr_eq(seen.context, ctx, sizeof(ctx));
	cr_assert_eq(seen.body_len, sizeof(body));
	cr_expect_arr_eq(seen.body, body, sizeof(body));
	cr_expect(strstr(seen.peer, "127.0.0.1") != NULL, "peer %s", seen.peer);
}

Test(rpc, call_without_context_arrives_with_context_absent)
{
	rpc_seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	rpc_test_server ts;
	rpc_test_start(&ts, rpc_test_record, &seen, 4);

	rpc_channel *ch = rpc_channel_open(ts.target);
	rpc_result res;
	cr_assert_eq(rpc_call(ch,
			      &(rpc_request){NULL, NULL, 0,
					     (const uint8_t *)"x", 1, 5000},
			      &res),
		     0);
	cr_expect_eq(res.status, RPC_STATUS_OK);
	rpc_result_free(&res);
	rpc_channel_close(ch);
	rpc_test_stop(&ts);

	cr_assert(seen.called);
	cr_expect_not(seen.context_present);
	cr_expect_eq(seen.context_entries, 0);
	cr_expect_eq(seen.context_len, 0);
}

Test(rpc, empty_context_and_empty_body_are_still_present)
{
	rpc_seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	rpc_test_server ts;
	rpc_test_start(&ts, rpc_test_record, &seen, 4);

	rpc_channel *ch = rpc_channel_open(ts.target);
	rpc_result res;
	cr_assert_eq(rpc_call(ch,
			      &(rpc_request){NULL, (const uint8_t *)"", 0, NULL,
					     0, 5000},
			      &res),
		     0);
	cr_expect_eq(res.status, RPC_STATUS_OK, "%s", res.details);
	cr_expect_eq(res.body_len, 3);
	rpc_result_free(&res);
	rpc_channel_close(ch);
	rpc_test_stop(&ts);

	cr_assert(seen.called);
	cr_expect(seen.context_present);
	cr_expect_eq(seen.context_entries, 1);
	cr_expect_eq(seen.context_len, 0);
	cr_expect_eq(seen.body_len, 0);
}

/* Sends raw gRPC with a chosen method and n context entries, to reach
 * what rpc_call never sends. Returns the status; details copied. */
static int rpc_test_raw_call(const char *target, const char *method,
			     int entries, char *details, size_t dlen)
{
	grpc_channel_credentials *creds = grpc_insecure_credentials_create();
	grpc_channel *chan = grpc_channel_create(target, creds, NULL);
	grpc_channel_credentials_release(creds);
	grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
	gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
		gpr_time_from_millis(5000, GPR_TIMESPAN));
	grpc_call *call = grpc_channel_create_call(chan, NULL, 0, cq,
		grpc_slice_from_static_string(method), NULL, deadline, NULL);
	cr_assert_not_null(call);

	grpc_metadata md[2];
	memset(md, 0, sizeof(md));
	for (int i = 0; i < entries && i < 2; i++) {
		md[i].key = grpc_slice_from_static_string(RPC_CONTEXT_KEY);
		md[i].value = grpc_slice_from_static_string(i ? "two" : "one");
	}
	grpc_slice payload = grpc_slice_from_static_string("body");
	grpc_byte_buffer *req = grpc_raw_byte_buffer_create(&payload, 1);
	grpc_byte_buffer *rep = NULL;
	grpc_metadata_array init_md, trail_md;
	grpc_metadata_array_init(&init_md);
	grpc_metadata_array_init(&trail_md);
	grpc_status_code status = GRPC_STATUS_UNKNOWN;
	grpc_slice det = grpc_empty_slice();
	grpc_op ops[6];
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[0].data.send_initial_metadata.count = (size_t)entries;
	ops[0].data.send_initial_metadata.metadata = md;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = req;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &init_md;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &rep;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &trail_md;
	ops[5].data.recv_status_on_client.status = &status;
	ops[5].data.recv_status_on_client.status_details = &det;
	cr_assert_eq(grpc_call_start_batch(call, ops, 6, ops, NULL),
		     GRPC_CALL_OK);
	grpc_event ev = grpc_completion_queue_pluck(cq, ops,
		gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	cr_assert_eq(ev.type, GRPC_OP_COMPLETE);

	size_t n = GRPC_SLICE_LENGTH(det);
	if (n >= dlen)
		n = dlen - 1;
	memcpy(details, GRPC_SLICE_START_PTR(det), n);
	details[n] = '\0';

	if (rep)
		grpc_byte_buffer_destroy(rep);
	grpc_byte_buffer_destroy(req);
	grpc_slice_unref(det);
	grpc_metadata_array_destroy(&init_md);
	grpc_metadata_array_destroy(&trail_md);
	grpc_call_unref(call);
	grpc_completion_queue_shutdown(cq);
	grpc_completion_queue_destroy(cq);
	grpc_channel_destroy(chan);
	return (int)status;
}

Test(rpc, two_context_entries_are_counted_for_the_handler_to_refuse)
{
	rpc_seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	rpc_test_server ts;
	rpc_test_start(&ts, rpc_test_record, &seen, 4);

	char details[RPC_ERRLEN];
	cr_expect_eq(rpc_test_raw_call(ts.target, RPC_METHOD, 2, details,
				       sizeof(details)), RPC_STATUS_OK);
	rpc_test_stop(&ts);

	cr_assert(seen.called);
	cr_expect(seen.context_present);
	cr_expect_eq(seen.context_entries, 2);
}

Test(rpc, other_methods_are_unimplemented_and_never_reach_the_handler)
{
	rpc_seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	rpc_test_server ts;
	rpc_test_start(&ts, rpc_test_record, &seen, 4);

	char details[RPC_ERRLEN];
	cr_expect_eq(rpc_test_raw_call(ts.target, "/cloakroom.Chain/Other", 1,
				       details, sizeof(details)),
		     12 /* GRPC_STATUS_UNIMPLEMENTED */, "%s", details);
	rpc_test_stop(&ts);

	cr_expect_not(seen.called);
}

/* ---- statuses and deadlines -------------------------------------- */

Test(rpc, handler_status_and_details_reach_the_client)
{
	rpc_test_server ts;
	rpc_test_start(&ts, rpc_test_deny, NULL, 4);

	rpc_channel *ch = rpc_channel_open(ts.target);
	rpc_result res;
	cr_assert_eq(rpc_call(ch,
			      &(rpc_request){NULL, (const uint8_t *)"c", 1,
					     (const uint8_t *)"b", 1, 5000},
			      &res),
		     0);
	cr_expect_eq(res.status, RPC_STATUS_PERMISSION_DENIED);
	cr_expect_str_eq(res.details,
			 "access denied: CORP\\alice lacks read on report.xlsx");
	cr_expect_eq(res.body_len, 0);
	rpc_result_free(&res);

	rpc_channel_close(ch);
	rpc_test_stop(&ts);
}

/* The handler's trailer reaches the caller byte for byte, beside the
 * status and the details; a reply without one brings none. */
Test(rpc, a_refusals_trailer_reaches_the_client_byte_exact)
{
	rpc_test_server ts;
	rpc_test_start(&ts, rpc_test_refuse, NULL, 4);
	rpc_channel *ch = rpc_channel_open(ts.target);
	rpc_result res;
	cr_assert_eq(rpc_call(ch,
			      &(rpc_request){NULL, NULL, 0,
					     (const uint8_t *)"b", 1, 5000},
			      &res),
		     0);
	cr_expect_eq(res.status, RPC_STATUS_UNAUTHENTICATED);
	cr_expect_str_eq(res.details, "for people");
	cr_assert_eq(res.trailer_len, 5);
	cr_expect_eq(memcmp(res.trailer, "\0K5\xff!", 5), 0);
	rpc_result_free(&res);
	rpc_channel_close(ch);
	rpc_test_stop(&ts);

	rpc_test_start(&ts, rpc_test_deny, NULL, 4);
	ch = rpc_channel_open(ts.target);
	cr_assert_eq(rpc_call(ch,
			      &(rpc_request){NULL, NULL, 0,
					     (const uint8_t *)"b", 1, 5000},
			      &res),
		     0);
	cr_expect_null(res.trailer);
	cr_expect_eq(res.trailer_len, 0);
	rpc_result_free(&res);
	rpc_channel_close(ch);
	rpc_test_stop(&ts);
}

Test(rpc, slow_handler_gives_deadline_exceeded_within_the_timeout)
{
	rpc_test_server ts;
	rpc_test_start(&ts, rpc_test_slow, NULL, 4);

	rpc_channel *ch = rpc_channel_open(ts.target);
	rpc_result res;
	int64_t t0 = rpc_test_now_ms();
	cr_assert_eq(rpc_call(ch,
			      &(rpc_request){NULL, NULL, 0,
					     (const uint8_t *)"b", 1, 300},
			      &res),
		     0);
	int64_t took = rpc_test_now_ms() - t0;
	cr_expect_eq(res.status, RPC_STATUS_DEADLINE_EXCEEDED, "status %d: %s",
		     res.status, res.details);
	cr_expect_geq(took, 250, "returned after %lld ms", (long long)took);
	cr_expect_lt(took, 1200, "returned after %lld ms", (long long)took);
	cr_expect_null(res.body);
	rpc_result_free(&res);

	rpc_channel_close(ch);
	rpc_test_stop(&ts);
}

/* Deadlines are measured against what the call itself took: every
 * transit, every wait and every clock reading of a call lies between the
 * caller's start (t0) and its return (t1), so an error from a loaded
 * machine is at most t1 - t0; the only other one is the wire's: gRPC sends
 * the time left in three significant figures, rounded up (1 % at most).
 * The timeout is long, so that a slow call still leaves most of it, and
 * not the 30 s a call without one gets. */
#define RPC_TEST_DEADLINE_MS 20000

Test(rpc, handler_sees_the_callers_deadline)
{
	rpc_seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	rpc_test_server ts;
	rpc_test_start(&ts, rpc_test_record, &seen, 4);

	rpc_channel *ch = rpc_channel_open(ts.target);
	rpc_result res;
	int64_t t0 = rpc_test_now_ms();
	cr_assert_eq(
		rpc_call(ch,
			 &(rpc_request){NULL, NULL, 0, (const uint8_t *)"b", 1,
					RPC_TEST_DEADLINE_MS},
			 &res),
		0);
	int64_t took = rpc_test_now_ms() - t0;
	cr_expect_eq(res.status, RPC_STATUS_OK);
	rpc_result_free(&res);
	rpc_channel_close(ch);
	rpc_test_stop(&ts);

	/* The time left the handler saw is the caller's timeout, less what
	 * passed before the handler looked, within the wire's rounding. */
	cr_assert(seen.called);
	cr_expect_geq(seen.deadline_ms, RPC_TEST_DEADLINE_MS - 2 * took - 1,
		      "saw %lld ms left; the call took %lld ms",
		      (long long)seen.deadline_ms, (long long)took);
	cr_expect_leq(seen.deadline_ms,
		      RPC_TEST_DEADLINE_MS + RPC_TEST_DEADLINE_MS / 100 + took +
			      1,
		      "saw %lld ms left; the call took %lld ms",
		      (long long)seen.deadline_ms, (long long)took);
}

/* A handler that says when it starts and when it is done. */
typedef struct rpc_gate {
	atomic_bool started;
	atomic_bool finished;
	atomic_int pause_ms;
} rpc_gate;

static void rpc_test_gated(void *user, const rpc_incoming *in, rpc_reply *out)
{
	rpc_gate *g = user;

	(void)in;
	atomic_store(&g->started, true);
	rpc_test_sleep_ms(atomic_load(&g->pause_ms));
	out->body = rpc_test_dup((const uint8_t *)"done", 4);
	out->body_len = 4;
	atomic_store(&g->finished, true);
}

/* A middle node that forwards to the next with its call as parent. */
typedef struct rpc_hop {
	rpc_channel *next;
	int child_timeout_ms;
	int child_status;
	int64_t child_took_ms;
	int64_t deadline_ms;  /* the time left the middle saw, and when */
	int64_t at_ms;
} rpc_hop;

static void rpc_test_forward(void *user, const rpc_incoming *in,
			     rpc_reply *out)
{
	rpc_hop *h = user;
	rpc_result res;
	h->deadline_ms = in->deadline_ms;
	h->at_ms = rpc_test_now_ms();
	int64_t t0 = rpc_test_now_ms();
	int rc = rpc_call(h->next,
			  &(rpc_request){in->parent, in->context,
					 in->context_len, in->body,
					 in->body_len, h->child_timeout_ms},
			  &res);

	h->child_took_ms = rpc_test_now_ms() - t0;
	if (rc != 0) {
		out->status = RPC_STATUS_INTERNAL;
		snprintf(out->details, sizeof(out->details), "%s",
			 res.details);
		return;
	}
	h->child_status = res.status;
	out->status = res.status;
	snprintf(out->details, sizeof(out->details), "%s", res.details);
	out->body = res.body;
	out->body_len = res.body_len;
}

Test(rpc, child_call_inherits_the_parents_deadline)
{
	rpc_seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	rpc_test_server last, mid;
	rpc_test_start(&last, rpc_test_record, &seen, 4);
	rpc_hop hop = { .next = rpc_channel_open(last.target),
			.child_timeout_ms = 0 };
	rpc_test_start(&mid, rpc_test_forward, &hop, 4);

	rpc_channel *ch = rpc_channel_open(mid.target);
	rpc_result res;
	int64_t t0 = rpc_test_now_ms();
	cr_assert_eq(rpc_call(ch,
			      &(rpc_request){NULL, (const uint8_t *)"\x01\x00",
					     2, (const uint8_t *)"b", 1,
					     RPC_TEST_DEADLINE_MS},
			      &res),
		     0);
	int64_t took = rpc_test_now_ms() - t0;
	cr_expect_eq(res.status, RPC_STATUS_OK, "%s", res.details);
	cr_expect_eq(res.body_len, 4);
	rpc_result_free(&res);
	rpc_channel_close(ch);
	rpc_test_stop(&mid);
	rpc_channel_close(hop.next);
	rpc_test_stop(&last);

	cr_assert(seen.called);
	cr_expect_eq(seen.context_len, 2);
	/* The child call, which set no timeout of its own, ends when its
	 * parent does: the same instant, as each handler saw it, within what
	 * the whole call took and the wire's rounding on each hop. */
	cr_expect_geq(hop.deadline_ms, 0, "the middle saw no deadline");
	cr_expect_geq(seen.deadline_ms, 0, "the child has no deadline");
	int64_t parent_end = hop.at_ms + hop.deadline_ms;
	int64_t child_end = seen.at_ms + seen.deadline_ms;
	int64_t slack = took + 2 * (RPC_TEST_DEADLINE_MS / 100) + 2;
	cr_expect_leq(child_end - parent_end, slack,
		      "the child ends %lld ms after its parent; the call took "
		      "%lld ms",
		      (long long)(child_end - parent_end), (long long)took);
	cr_expect_geq(child_end - parent_end, -slack,
		      "the child ends %lld ms before its parent; the call took "
		      "%lld ms",
		      (long long)(parent_end - child_end), (long long)took);
}

Test(rpc, parent_deadline_cuts_a_slow_child_call_short)
{
	rpc_gate gate = { .pause_ms = 0 };
	rpc_test_server last, mid;
	rpc_test_start(&last, rpc_test_gated, &gate, 4);
	rpc_hop hop = { .next = rpc_channel_open(last.target),
			.child_timeout_ms = 10000, .child_status = -1 };
	rpc_test_start(&mid, rpc_test_forward, &hop, 4);
	rpc_channel *ch = rpc_channel_open(mid.target);
	rpc_result res;

	/* Warm both connections so the deadline below is all handler time. */
	cr_assert_eq(rpc_call(ch,
			      &(rpc_request){NULL, NULL, 0,
					     (const uint8_t *)"b", 1, 20000},
			      &res),
		     0);
	cr_assert_eq(res.status, RPC_STATUS_OK, "%s", res.details);
	rpc_result_free(&res);

	atomic_store(&gate.pause_ms, 2500);
	hop.child_status = -1;
	cr_assert_eq(rpc_call(ch,
			      &(rpc_request){NULL, NULL, 0,
					     (const uint8_t *)"b", 1, 500},
			      &res),
		     0);
	cr_expect_eq(res.status, RPC_STATUS_DEADLINE_EXCEEDED);
	rpc_result_free(&res);
	rpc_channel_close(ch);
	rpc_test_stop(&mid);
	/* The middle's child call was cut at the parent's 500 ms deadline,
	 * not after its own 10 s nor the last handler's 2.5 s pause. */
	cr_expect(hop.child_status == RPC_STATUS_DEADLINE_EXCEEDED ||
		  hop.child_status == RPC_STATUS_CANCELLED,
		  "child status %d", hop.child_status);
	cr_expect_lt(hop.child_took_ms, 1500, "child call took %lld ms",
		     (long long)hop.child_took_ms);
	rpc_channel_close(hop.next);
	rpc_test_stop(&last);
}

/* ---- concurrency ------------------------------------------------- */

#define RPC_TEST_CLIENTS 16

typedef struct rpc_client_job {
	rpc_channel *ch;
	int id;
	int status;
	bool own_reply;
} rpc_client_job;

static void *rpc_test_client(void *arg)
{
	rpc_client_job *j = arg;
	uint8_t ctx[32];
	int n = snprintf((char *)ctx, sizeof(ctx), "client-%02d", j->id);
	ctx[n] = (uint8_t)j->id; /* a raw byte too */
	size_t len = (size_t)n + 1;
	rpc_result res;

	if (rpc_call(j->ch, &(rpc_request){NULL, ctx, len, ctx, len, 10000},
		     &res) != 0) {
		j->status = -1;
		return NULL;
	}
	j->status = res.status;
	j->own_reply = res.body_len == len && memcmp(res.body, ctx, len) == 0;
	rpc_result_free(&res);
	return NULL;
}

static void rpc_test_clients(rpc_test_server *ts, rpc_client_job *jobs)
{
	pthread_t tid[RPC_TEST_CLIENTS];
	rpc_channel *ch = rpc_channel_open(ts->target);

	cr_assert_not_null(ch);
	for (int i = 0; i < RPC_TEST_CLIENTS; i++) {
		jobs[i] = (rpc_client_job){ .ch = ch, .id = i, .status = -2 };
		cr_assert_eq(pthread_create(&tid[i], NULL, rpc_test_client,
					    &jobs[i]), 0);
	}
	for (int i = 0; i < RPC_TEST_CLIENTS; i++)
		pthread_join(tid[i], NULL);
	rpc_channel_close(ch);
}

Test(rpc, concurrent_clients_each_get_their_own_reply)
{
	rpc_conc conc = { .pause_ms = 100 };
	rpc_test_server ts;
	rpc_test_start(&ts, rpc_test_echo_context, &conc, 32);

	rpc_client_job jobs[RPC_TEST_CLIENTS];
	rpc_test_clients(&ts, jobs);
	for (int i = 0; i < RPC_TEST_CLIENTS; i++) {
		cr_expect_eq(jobs[i].status, RPC_STATUS_OK, "client %d: %d", i,
			     jobs[i].status);
		cr_expect(jobs[i].own_reply, "client %d got another reply", i);
	}
	/* A slow call does not hold up the others. */
	cr_expect_gt(atomic_load(&conc.peak), 1, "peak %d",
		     atomic_load(&conc.peak));

	rpc_test_stop(&ts);
}

Test(rpc, no_more_than_max_inflight_handlers_run_at_once)
{
	rpc_conc conc = { .pause_ms = 50 };
	rpc_test_server ts;
	rpc_test_start(&ts, rpc_test_echo_context, &conc, 3);

	rpc_client_job jobs[RPC_TEST_CLIENTS];
	rpc_test_clients(&ts, jobs);
	for (int i = 0; i < RPC_TEST_CLIENTS; i++) {
		cr_expect_eq(jobs[i].status, RPC_STATUS_OK, "client %d: %d", i,
			     jobs[i].status);
		cr_expect(jobs[i].own_reply, "client %d got another reply", i);
	}
	cr_expect_leq(atomic_load(&conc.peak), 3, "peak %d",
		      atomic_load(&conc.peak));

	rpc_test_stop(&ts);
}

/* ---- binding and stopping ---------------------------------------- */

static void rpc_test_never(void *user, const rpc_incoming *in, rpc_reply *out)
{
	(void)user;
	(void)in;
	out->status = RPC_STATUS_INTERNAL;
}

Test(rpc, binding_a_port_in_use_fails_naming_the_address)
{
	char err[RPC_ERRLEN] = "";
	rpc_server *a = NULL, *b = NULL;
	int port = 0, port2 = 0;

	cr_assert_eq(rpc_server_start("127.0.0.1:0",
				      &(rpc_service){rpc_test_never, NULL}, &a,
				      &port, err, sizeof(err)),
		     0, "%s", err);
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	cr_expect_eq(rpc_server_start(addr,
				      &(rpc_service){rpc_test_never, NULL}, &b,
				      &port2, err, sizeof(err)),
		     -1);
	cr_expect_null(b);
	cr_expect(strstr(err, addr) != NULL, "message \"%s\" lacks %s", err,
		  addr);
	rpc_server_free(b);
	rpc_server_free(a);
}

Test(rpc, unparsable_address_fails_naming_the_address)
{
	char err[RPC_ERRLEN] = "";
	rpc_server *s = NULL;
	int port = 0;

	cr_expect_eq(rpc_server_start("not an address:x",
				      &(rpc_service){rpc_test_never, NULL}, &s,
				      &port, err, sizeof(err)),
		     -1);
	cr_expect_null(s);
	cr_expect(strstr(err, "not an address:x") != NULL, "%s", err);
}

Test(rpc, server_stops_promptly_when_stop_is_set)
{
	rpc_seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	rpc_test_server ts;
	rpc_test_start(&ts, rpc_test_record, &seen, 4);

	/* Serve one call first so the loop is past its start. */
	rpc_channel *ch = rpc_channel_open(ts.target);
	rpc_result res;
	cr_assert_eq(rpc_call(ch,
			      &(rpc_request){NULL, NULL, 0,
					     (const uint8_t *)"b", 1, 5000},
			      &res),
		     0);
	cr_expect_eq(res.status, RPC_STATUS_OK);
	rpc_result_free(&res);

	int64_t t0 = rpc_test_now_ms();
	ts.stop = 1;
	pthread_join(ts.tid, NULL);
	int64_t took = rpc_test_now_ms() - t0;
	cr_expect_eq(ts.run_rc, 0);
	cr_expect_lt(took, 500, "run returned %lld ms after stop",
		     (long long)took);
	rpc_server_free(ts.srv);

	/* Nobody answers any more. */
	cr_assert_eq(rpc_call(ch,
			      &(rpc_request){NULL, NULL, 0,
					     (const uint8_t *)"b", 1, 2000},
			      &res),
		     0);
	cr_expect_neq(res.status, RPC_STATUS_OK);
	rpc_result_free(&res);
	rpc_channel_close(ch);
}

typedef struct rpc_bg_call {
	const char *target;
	rpc_result res;
	int rc;
} rpc_bg_call;

static void *rpc_test_bg_call(void *arg)
{
	rpc_bg_call *b = arg;
	rpc_channel *ch = rpc_channel_open(b->target);

	b->rc = rpc_call(
		ch,
		&(rpc_request){NULL, NULL, 0, (const uint8_t *)"b", 1, 20000},
		&b->res);
	rpc_channel_close(ch);
	return NULL;
}

Test(rpc, stop_lets_a_running_call_finish_and_reply)
{
	rpc_gate gate = { .pause_ms = 800 };
	rpc_test_server ts;
	rpc_test_start(&ts, rpc_test_gated, &gate, 4);

	rpc_bg_call bg = { .target = ts.target, .rc = -2 };
	pthread_t client;
	cr_assert_eq(pthread_create(&client, NULL, rpc_test_bg_call, &bg), 0);
	for (int i = 0; i < 10000 && !atomic_load(&gate.started); i++)
		rpc_test_sleep_ms(1);
	cr_assert(atomic_load(&gate.started), "handler never started");

	ts.stop = 1;
	pthread_join(ts.tid, NULL);
	cr_expect_eq(ts.run_rc, 0);
	cr_expect(atomic_load(&gate.finished),
		  "run returned while the handler was still running");
	pthread_join(client, NULL);
	cr_expect_eq(bg.rc, 0);
	cr_expect_eq(bg.res.status, RPC_STATUS_OK, "status %d: %s",
		     bg.res.status, bg.res.details);
	cr_expect_eq(bg.res.body_len, 4);
	rpc_result_free(&bg.res);
	rpc_server_free(ts.srv);
}

Test(rpc, a_caller_that_never_sends_its_request_does_not_block_stop)
{
	rpc_seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	rpc_test_server ts;
	rpc_test_start(&ts, rpc_test_record, &seen, 4);

	/* Headers only, no deadline, no message, no half-close. */
	grpc_channel_credentials *creds = grpc_insecure_credentials_create();
	grpc_channel *chan = grpc_channel_create(ts.target, creds, NULL);
	grpc_channel_credentials_release(creds);
	grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
	grpc_call *call = grpc_channel_create_call(chan, NULL, 0, cq,
		grpc_slice_from_static_string(RPC_METHOD), NULL,
		gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	cr_assert_not_null(call);
	grpc_metadata_array init_md, trail_md;
	grpc_metadata_array_init(&init_md);
	grpc_metadata_array_init(&trail_md);
	grpc_status_code status = GRPC_STATUS_OK;
	grpc_slice det = grpc_empty_slice();
	grpc_op ops[2];
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[1].data.recv_status_on_client.trailing_metadata = &trail_md;
	ops[1].data.recv_status_on_client.status = &status;
	ops[1].data.recv_status_on_client.status_details = &det;
	cr_assert_eq(grpc_call_start_batch(call, ops, 2, ops, NULL),
		     GRPC_CALL_OK);
	rpc_test_sleep_ms(500); /* let a worker take the call */

	int64_t t0 = rpc_test_now_ms();
	ts.stop = 1;
	pthread_join(ts.tid, NULL);
	int64_t took = rpc_test_now_ms() - t0;
	cr_expect_eq(ts.run_rc, 0);
	cr_expect_lt(took, 1000, "run returned %lld ms after stop",
		     (long long)took);
	rpc_server_free(ts.srv);
	cr_expect_not(seen.called);

	/* The server reset the stream; a client that never half-closes is
	 * left to its own deadline by gRPC, so end it here. */
	grpc_call_cancel(call, NULL);
	grpc_event ev = grpc_completion_queue_pluck(cq, ops,
		gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	cr_expect_eq(ev.type, GRPC_OP_COMPLETE);
	cr_expect_neq(status, GRPC_STATUS_OK);

	grpc_slice_unref(det);
	grpc_metadata_array_destroy(&init_md);
	grpc_metadata_array_destroy(&trail_md);
	grpc_call_unref(call);
	grpc_completion_queue_shutdown(cq);
	grpc_completion_queue_destroy(cq);
	grpc_channel_destroy(chan);
}

/* ---- callers that stall ------------------------------------------ */

/* A call honest callers make, with its own deadline. */
static int rpc_test_honest(const char *target, int timeout_ms)
{
	rpc_channel *ch = rpc_channel_open(target);
	rpc_result res;
	cr_assert_eq(
		rpc_call(ch,
			 &(rpc_request){NULL, NULL, 0, (const uint8_t *)"b", 1,
					timeout_ms},
			 &res),
		0);
	int st = res.status;
	rpc_result_free(&res);
	rpc_channel_close(ch);
	return st;
}

/* Calls that send their headers and never their message wait for it
 * without a worker: with 2 workers and 50 such calls held, an honest
 * call is served at once (it used to wait behind them until its
 * deadline, each stalled call holding a worker for good). */
Test(rpc, stalled_callers_hold_no_worker)
{
	rpc_seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	rpc_test_server ts;
	rpc_test_start(&ts, rpc_test_record, &seen, 2);
	stall_set st;
	cr_assert_eq(stall_open(&st, ts.target, 50), 0);
	/* Until the server holds all of them, then the honest call. */
	for (int i = 0; i < 3000 && rpc_server_held(ts.srv) < 50; i++)
		rpc_test_sleep_ms(10);
	cr_assert_eq(rpc_server_held(ts.srv), 50);
	cr_expect_eq(rpc_test_honest(ts.target, 20000), RPC_STATUS_OK);
	cr_expect_not(stall_ended(&st, 0, 0), "a stalled call was ended "
		      "before its stage's deadline");
	stall_close(&st);
	rpc_test_stop(&ts);
}

/* A call whose message does not come within the receive limit is ended
 * (DEADLINE_EXCEEDED; gRPC 1.51 does not tell a client that never
 * half-closes, so the server's count is what is checked), and the server
 * holds nothing after. */
Test(rpc, a_message_that_never_comes_ends_the_call_at_the_stage_deadline)
{
	rpc_seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	rpc_test_server ts;
	char err[RPC_ERRLEN] = "";
	memset(&ts, 0, sizeof(ts));
	ts.max_inflight = 2;
	cr_assert_eq(rpc_server_start("127.0.0.1:0",
				      &(rpc_service){rpc_test_record, &seen},
				      &ts.srv, &ts.port, err, sizeof(err)),
		     0);
	rpc_server_limits(ts.srv, &(rpc_limits){.receive_ms = 200});
	snprintf(ts.target, sizeof(ts.target), "127.0.0.1:%d", ts.port);
	cr_assert_eq(pthread_create(&ts.tid, NULL, rpc_test_run, &ts), 0);

	stall_set st;
	cr_assert_eq(stall_open(&st, ts.target, 5), 0);
	unsigned long long refused = 0, expired = 0;
	for (int i = 0; i < 3000 && expired < 5; i++) {
		rpc_test_sleep_ms(10);
		rpc_server_counts(ts.srv, &refused, &expired);
	}
	cr_expect_eq(expired, 5);
	cr_expect_eq(refused, 0);
	cr_expect_not(seen.called);
	for (int i = 0; i < 3000 && rpc_server_held(ts.srv) > 0; i++)
		rpc_test_sleep_ms(10);
	cr_expect_eq(rpc_server_held(ts.srv), 0);
	cr_expect_eq(rpc_test_honest(ts.target, 20000), RPC_STATUS_OK);
	stall_close(&st);
	rpc_test_stop(&ts);
}

/* Past max_calls held at once, a call is refused at once with
 * RESOURCE_EXHAUSTED; once the stalled ones are gone, calls are served
 * again. */
Test(rpc, calls_past_the_cap_are_refused_and_service_comes_back)
{
	rpc_seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	rpc_test_server ts;
	char err[RPC_ERRLEN] = "";
	memset(&ts, 0, sizeof(ts));
	ts.max_inflight = 2;
	cr_assert_eq(rpc_server_start("127.0.0.1:0",
				      &(rpc_service){rpc_test_record, &seen},
				      &ts.srv, &ts.port, err, sizeof(err)),
		     0);
	rpc_server_limits(ts.srv, &(rpc_limits){.max_calls = 4});
	snprintf(ts.target, sizeof(ts.target), "127.0.0.1:%d", ts.port);
	cr_assert_eq(pthread_create(&ts.tid, NULL, rpc_test_run, &ts), 0);

	stall_set st;
	cr_assert_eq(stall_open(&st, ts.target, 10), 0);
	unsigned long long refused = 0, expired = 0;
	for (int i = 0; i < 3000 && refused < 6; i++) {
		rpc_test_sleep_ms(10);
		rpc_server_counts(ts.srv, &refused, &expired);
	}
	cr_expect_eq(refused, 6);
	cr_expect_eq(rpc_server_held(ts.srv), 4);
	cr_expect_eq(rpc_test_honest(ts.target, 20000),
		     RPC_STATUS_RESOURCE_EXHAUSTED);
	stall_close(&st); /* the callers give up */
	for (int i = 0; i < 3000 && rpc_server_held(ts.srv) > 0; i++)
		rpc_test_sleep_ms(10);
	cr_assert_eq(rpc_server_held(ts.srv), 0);
	cr_expect_eq(rpc_test_honest(ts.target, 20000), RPC_STATUS_OK);
	rpc_test_stop(&ts);
}
