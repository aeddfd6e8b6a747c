/* matrix.h: `cloakroom matrix FILE --vary KEY=V1,V2 ...`: settings swept
 * over their cartesian product, every case run by the real daemons, one
 * row per case. Launcher code: never initialises gRPC. */
#ifndef CLOAKROOM_MATRIX_H
#define CLOAKROOM_MATRIX_H

#include "report.h"

#include <stddef.h>

/* At most this many KEY=VALUE settings reach the daemons of one case. */
#define MATRIX_MAX_SETS 32

/* Exit: 0 every case ran, 2 bad arguments or scenario (nothing started),
 * 3 a case did not run (a daemon failed, or a signal). */
int cmd_matrix(int argc, char **argv);

/* In launch.c: run r->scn (loaded from file with variant, then sets
 * applied, in this order) once with real daemons, each given the same
 * --variant and --set arguments; daemon logs go under run_dir. Fills r as
 * `run` does. Returns 0 when the run completed, -1 otherwise (r->error). */
int launch_run_case(const char *file, const char *variant, char **sets,
		    size_t sets_count, const char *run_dir, int timeout_ms,
		    run_result *r);

#endif
