/* run.h: the result of one run of a scenario (one variant, one case):
 * the daemons that ran it, the trace they reported, the expectations
 * judged on it, or why it did not complete. Filled by the engine
 * (launch.h), read by the renderers (cli/render/). */
#ifndef CLOAKROOM_RUN_H
#define CLOAKROOM_RUN_H

#include "spawn.h"
#include "sc_scenario.h"
#include "sc_trace.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct run_result {
	const char *variant;          /* NULL: the scenario has none */
	const char *description;
	sc_scenario *scn;             /* the scenario as this run saw it */
	child *children;
	size_t children_count;
	char (*hosts_of)[64];         /* host of each child */
	char (*accounts_of)[160];     /* account of each child */
	sc_trace trace;
	sc_expect_result *expects;
	unsigned expect_count;
	unsigned failed;
	bool ran;                     /* the run completed */
	char error[512];              /* why it did not */
} run_result;

/* Free what r holds: its trace, children, hosts, accounts and judged
 * expectations; r->scn too when with_scenario (the caller's otherwise). */
void run_result_free(run_result *r, bool with_scenario);

#endif
