/* sc_world.h: a whole scenario run in one process: a runtime for every
 * process, calling one another through memory instead of the network.
 * What the tests, the micro-benchmarks and path search use to ask the
 * model about a chain in microseconds, with no daemon. Model only: no
 * I/O, no gRPC. */
#ifndef SC_WORLD_H
#define SC_WORLD_H

#include "sc_exec.h"

typedef struct sc_world sc_world;

/* A runtime for each process of scn (borrowed: it must outlive the
 * world). Returns SC_OK, or the status of the runtime that could not be
 * made (log says why); *out is NULL then. */
sc_status sc_world_new(const sc_scenario *scn, sc_world **out, sc_log *log);
void sc_world_free(sc_world *w);

/* The runtime of process name, or NULL. */
sc_runtime *sc_world_runtime(sc_world *w, const char *name);

/* Called with every context a process sends, before its callee serves
 * it (a benchmark keeps one to replay). */
typedef void (*sc_world_tap)(void *user, const char *target,
			     const sc_context *ctx);
void sc_world_set_tap(sc_world *w, sc_world_tap tap, void *user);

/* As the launcher runs a scenario: every client (a process nobody calls)
 * one after the other, in the order declared, into t (initialised here).
 * Returns SC_OK, or the first status a client's run returned. */
sc_status sc_world_run(sc_world *w, sc_trace *t);

#endif
