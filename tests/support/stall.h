/* stall.h: callers that stall, for tests of a server's limits: each call
 * sends its headers (no deadline) and then nothing, neither its request
 * message nor its half-close, as a slow or hostile peer may. Raw gRPC
 * core, since rpc_call never does this. Test support only. */
#ifndef CLOAKROOM_STALL_H
#define CLOAKROOM_STALL_H

#include "rpc.h"

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct stall_call {
	grpc_call *call;
	grpc_op ops[2];
	grpc_metadata_array trailing;
	grpc_status_code status;
	grpc_slice details;
	bool done;
} stall_call;

typedef struct stall_set {
	grpc_channel *channel;
	grpc_completion_queue *cq;
	stall_call *calls;
	size_t n;
} stall_set;

/* n stalled calls to target over one insecure channel; 0 or -1. */
static inline int stall_open(stall_set *s, const char *target, size_t n)
{
	memset(s, 0, sizeof(*s));
	grpc_channel_credentials *creds = grpc_insecure_credentials_create();
	s->channel = grpc_channel_create(target, creds, NULL);
	grpc_channel_credentials_release(creds);
	s->cq = grpc_completion_queue_create_for_pluck(NULL);
	s->calls = calloc(n ? n : 1, sizeof(*s->calls));
	if (!s->channel || !s->cq || !s->calls)
		return -1;
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		stall_call *c = &s->calls[i];
		c->call = grpc_channel_create_call(
			s->channel, NULL, 0, s->cq,
			grpc_slice_from_static_string(RPC_METHOD), NULL,
			gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (!c->call)
			return -1;
		grpc_metadata_array_init(&c->trailing);
		c->details = grpc_empty_slice();
		c->status = GRPC_STATUS_OK;
		c->ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
		c->ops[1].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
		c->ops[1].data.recv_status_on_client.trailing_metadata =
			&c->trailing;
		c->ops[1].data.recv_status_on_client.status = &c->status;
		c->ops[1].data.recv_status_on_client.status_details =
			&c->details;
		if (grpc_call_start_batch(c->call, c->ops, 2, c->ops, NULL) !=
		    GRPC_CALL_OK)
			return -1;
	}
	return 0;
}

/* Wait up to ms for call i to end (its status from the server); true
 * when it has. */
static inline bool stall_ended(stall_set *s, size_t i, int ms)
{
	stall_call *c = &s->calls[i];
	if (c->done)
		return true;
	grpc_event ev = grpc_completion_queue_pluck(
		s->cq, c->ops,
		gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
			     gpr_time_from_millis(ms, GPR_TIMESPAN)),
		NULL);
	c->done = ev.type == GRPC_OP_COMPLETE;
	return c->done;
}

/* End every call still open (client side), wait for each, free all. */
static inline void stall_close(stall_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		stall_call *c = &s->calls[i];
		if (!c->call)
			continue;
		if (!c->done) {
			grpc_call_cancel(c->call, NULL);
			grpc_completion_queue_pluck(
				s->cq, c->ops,
				gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		}
		grpc_slice_unref(c->details);
		grpc_metadata_array_destroy(&c->trailing);
		grpc_call_unref(c->call);
	}
	free(s->calls);
	if (s->cq) {
		grpc_completion_queue_shutdown(s->cq);
		grpc_completion_queue_destroy(s->cq);
	}
	if (s->channel)
		grpc_channel_destroy(s->channel);
	memset(s, 0, sizeof(*s));
}

#endif
