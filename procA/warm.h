/* warm.h: warm daemons, a set of them serving many cases. A set is
 * started for a case's cast (its processes, their programs, hosts,
 * addresses, accounts, misbehaviour and whom they call) and kept while
 * the next cases have the same cast; each case is handed to every daemon
 * on a control pipe, which loads it before the clients run. A new cast
 * stops the set and starts another. Launcher code: never initialises
 * gRPC. Implemented in launch.c. */
#ifndef CLOAKROOM_WARM_H
#define CLOAKROOM_WARM_H

#include "report.h"

#include <stddef.h>

typedef struct launch_pool launch_pool;

/* A pool with no set running yet; daemon logs go under run_dir (which
 * must outlive the pool). NULL when out of memory. */
launch_pool *launch_pool_new(const char *run_dir, int timeout_ms);

/* Run r->scn (the caller loaded it from file with variant, then sets
 * applied in this order) on a set fit for its cast: the running one, or
 * a new one. Fills r->trace, r->ran, r->error and the expectations as
 * `run` does (r->children stays NULL). A case that fails stops its set
 * (the next starts afresh). Returns 0 when the case ran, -1 otherwise. */
int launch_pool_run(launch_pool *p, const char *file, const char *variant,
		    char **sets, size_t nsets, run_result *r);

/* The cast of s as a key: two cases with the same key can run on the
 * same set. A malloc'd string, or NULL when out of memory. */
char *launch_cast_key(const sc_scenario *s);

/* How many sets the pool has started so far. */
unsigned launch_pool_sets_started(const launch_pool *p);

/* Stop the running set and free the pool. 0, or -1 when a daemon of a
 * set did not stop cleanly (said on stderr). */
int launch_pool_free(launch_pool *p);

#endif
