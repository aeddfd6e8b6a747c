/* launch.h: the engine that runs a scenario on real daemons. One case
 * runs cold (launch_run_variant, launch_run_case: its daemons start, run
 * it and stop), or many run on warm daemons (launch_pool): a set is
 * started for a case's cast (its processes, their programs, hosts,
 * addresses, accounts, misbehaviour and whom they call) and kept while
 * the next cases have the same cast; each case is handed to every daemon
 * on a control pipe, which loads it before the clients run. A new cast
 * stops the set and starts another. Launcher code: never initialises
 * gRPC. */
#ifndef CLOAKROOM_LAUNCH_H
#define CLOAKROOM_LAUNCH_H

#include "netns.h"
#include "run.h"

#include <stdbool.h>
#include <stddef.h>

/* At most this many KEY=VALUE settings reach the daemons of one case. */
#define LAUNCH_MAX_SETS 32

/* What every daemon of a run is given. */
typedef struct launch_opts {
	const char *file;    /* the scenario */
	char **sets;         /* KEY=VALUE given to every daemon (matrix) */
	size_t sets_count;   /* at most LAUNCH_MAX_SETS are passed */
	int timeout_ms;      /* a call's deadline when the scenario sets none */
	const char *skew_ms; /* --clock-skew-ms, given to every daemon */
	bool insecure;       /* no mutual TLS between daemons */
} launch_opts;

/* Find the daemons: $CLOAKROOM_BIN; else, for an installed launcher
 * (<prefix>/<bindir>), <prefix>/<libexecdir>/cloakroom; else the build
 * directory it runs from (<build>/cli/cloakroom-launch). Either holds
 * procA/procA, procB/procB, procC/procC, authority/authority. 0, or -1
 * when none is found. */
int launch_find_bin_root(void);
/* Where launch_find_bin_root found them. */
const char *launch_bin_root(void);

/* The next server of s to start, callees before callers: the first (in
 * file order) not started whose callees have all started, or, with
 * any_waiting, the first not started at all (a call graph with a cycle).
 * Clients (procA) are never servers. -1 when none is left (or, without
 * any_waiting, none is ready). */
long launch_next_server(const sc_scenario *s, const bool *started,
			bool any_waiting);

/* Run r->scn (loaded by the caller from o->file with variant, o->sets
 * applied) once on its own daemons: the authority, the servers (callees
 * before callers), then each client, its trace collected; daemon logs go
 * under run_dir; with ns, each host in its network namespace. Fills
 * r->trace, r->ran, r->error, r->children and the expectations. */
void launch_run_variant(const launch_opts *o, const char *run_dir,
			netns_set *ns, const char *variant, run_result *r);

/* launch_run_variant without network namespaces. Returns 0 when the run
 * completed, -1 otherwise (r->error). */
int launch_run_case(const launch_opts *o, const char *variant,
		    const char *run_dir, run_result *r);

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

/* Daemons the pool starts from now on talk without mutual TLS
 * (`--insecure`). */
void launch_pool_set_insecure(launch_pool *p, bool insecure);

/* How many sets the pool has started so far. */
unsigned launch_pool_sets_started(const launch_pool *p);

/* Stop the running set and free the pool. 0, or -1 when a daemon of a
 * set did not stop cleanly (said on stderr). */
int launch_pool_free(launch_pool *p);

#endif
