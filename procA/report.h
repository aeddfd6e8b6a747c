/* report.h: what the launcher prints: the per-hop table and expectation
 * lines for people, one JSON object for tools (a stable interface: fields
 * are added, never renamed). Reads results; decides nothing. */
#ifndef CLOAKROOM_REPORT_H
#define CLOAKROOM_REPORT_H

#include "spawn.h"
#include "sc_scenario.h"
#include "sc_trace.h"

#include <stdio.h>

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

void report_text(FILE *out, const char *scenario, const run_result *runs,
		 size_t n, bool color);
/* Prints the JSON object; returns 0 or -1. */
int report_json(FILE *out, const char *scenario, const run_result *runs,
		size_t n);

#endif
