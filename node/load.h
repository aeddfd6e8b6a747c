/* load.h: a daemon's load mode for the benchmark: one call repeated,
 * sequentially (each latency kept) or from several threads at once for a
 * while (calls counted), with the figures written to a file descriptor.
 * It never decides anything and never knows what one call is. */
#ifndef CLOAKROOM_LOAD_H
#define CLOAKROOM_LOAD_H

#include <stdint.h>

/* One call end to end; 0 when it completed as it should. Called from
 * several threads at once when inflight > 1. */
typedef int (*load_call_fn)(void *user);

typedef struct load_plan {
	unsigned warmup;      /* calls made first and not measured */
	unsigned calls;       /* sequential mode: calls measured (> 0) */
	unsigned inflight;    /* throughput mode: threads, each one call in
	                         flight at a time (> 0 when calls is 0) */
	unsigned duration_ms; /* throughput mode: how long to measure */
} load_plan;

/* Run plan and write to fd, one record a line:
 *   "lat NS"                          each measured call (sequential)
 *   "cpu NS"                          CPU time of this process (all
 *                                     threads) while measuring
 *   "done CALLS ERRORS ELAPSED_NS INFLIGHT"   last line
 * Returns 0 when the figures were written (even with failed calls: the
 * reader decides), -1 when they could not be. */
int load_run(const load_plan *plan, load_call_fn call, void *user, int fd);

#endif
