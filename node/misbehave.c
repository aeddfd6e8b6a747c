/* misbehave.c: a fault for tests only (node.h): every call's context
 * passes through one process-wide slot, the bug of a server that keeps
 * "the current caller" per process. No option, environment variable or
 * scenario key reaches it: only a program that calls
 * node_fault_shared_context before node_main. */
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

atomic_bool node_misbehave_shared;
pthread_mutex_t node_misbehave_lock = PTHREAD_MUTEX_INITIALIZER;
uint8_t *node_misbehave_slot;
size_t node_misbehave_slot_len;

void node_fault_shared_context(bool on)
{
	atomic_store(&node_misbehave_shared, on);
}

/* The bug: store the caller's context where every call can see it, let
 * other calls run, then read "the caller" back. Returns a malloc'd copy
 * of whatever the slot holds by then (NULL when out of memory). */
uint8_t *node_misbehave_share(const uint8_t *ctx, size_t len, size_t *out_len)
{
	pthread_mutex_lock(&node_misbehave_lock);
	uint8_t *p = realloc(node_misbehave_slot, len ? len : 1);
	if (p) {
		node_misbehave_slot = p;
		memcpy(node_misbehave_slot, ctx, len);
		node_misbehave_slot_len = len;
	}
	pthread_mutex_unlock(&node_misbehave_lock);
	usleep(500);
	pthread_mutex_lock(&node_misbehave_lock);
	uint8_t *copy = malloc(node_misbehave_slot_len ? node_misbehave_slot_len : 1);
	if (copy) {
		memcpy(copy, node_misbehave_slot, node_misbehave_slot_len);
		*out_len = node_misbehave_slot_len;
	}
	pthread_mutex_unlock(&node_misbehave_lock);
	return copy;
}

/* The same bug behind signed contexts: what the signatures vouched for
 * was right, what the call is then served with is another call's. */
void node_misbehave_share_opened(sc_context *ctx, sc_token **identity,
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
	    (shared = node_misbehave_share(b, len, &slen)) != NULL) {
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
