/* explain.h: the run, hop by hop, with the decisions behind it: the
 * rule-cited text (--explain), JSON Lines events (--format json) and a
 * Mermaid sequence diagram (--format mermaid). Reads results; decides
 * nothing, and never changes the --json object. */
#ifndef CLOAKROOM_EXPLAIN_H
#define CLOAKROOM_EXPLAIN_H

#include "report.h"

/* The text report with each hop's inputs, numbered notes and outcome. */
void explain_text(FILE *out, const char *scenario, const run_result *runs,
		  size_t n, bool color);
/* Hop i of r as --explain prints it under the hop's line (no colour);
 * with i == r->trace.count, the client's own steps (nothing when it has
 * none). */
void explain_hop_text(FILE *out, const run_result *r, size_t i);

/* One JSON object per line (docs/trace-format.md); returns 0 or -1. */
int explain_jsonl(FILE *out, const char *scenario, const run_result *runs,
		  size_t n);
/* One sequenceDiagram per run. */
void explain_mermaid(FILE *out, const char *scenario, const run_result *runs,
		     size_t n);

#endif
