/* report.h: what the launcher prints: the per-hop table and expectation
 * lines for people, one JSON object for tools (a stable interface: fields
 * are added, never renamed). Reads results; decides nothing. */
#ifndef CLOAKROOM_REPORT_H
#define CLOAKROOM_REPORT_H

#include "run.h"

#include <jansson.h>
#include <stdio.h>


/* Terminal colours, or empty strings when color is false. */
typedef struct report_palette {
	const char *red, *green, *yellow, *bold, *off;
} report_palette;
report_palette report_palette_for(bool color);

/* What report_text prints under a hop's table line: by default its
 * warnings and the callee's steps. A detail function replaces that; it is
 * also called once with hop == r->trace.count, after the last hop, for
 * the client's own steps. */
typedef void (*report_detail_fn)(FILE *out, const run_result *r, size_t hop,
				 bool color);

/* The hop table fits in columns (0: no limit): the presented identity,
 * access, rules and hosts columns narrow first, their cells cut with
 * '~'. Widths count terminal columns (wcwidth), not bytes. */
void report_set_width(int columns);
/* The columns s takes on a terminal (wcwidth per character). */
int report_disp_width(const char *s);

void report_text(FILE *out, const char *scenario, const run_result *runs,
		 size_t n, bool color);
void report_text_with(FILE *out, const char *scenario,
		      const run_result *runs, size_t n, bool color,
		      report_detail_fn detail);
/* One step as in the table: "B: open report as CORP\alice -> OK [T6]". */
void report_step_line(FILE *out, const sc_step_result *s, const char *ind);
/* What a hop the caller's proxy refused came to, into buf: "not sent;
 * would have presented CORP\\alice" (sc_hop.chosen), "not sent" when
 * nothing was chosen (C1); "" for a hop that was sent. */
void report_not_sent(const sc_hop *h, char *buf, size_t len);
/* A hop as the JSON object prints it (a new reference). */
json_t *report_hop_json(const sc_hop *h);
/* One run as the JSON object prints it (a new reference): under
 * "variants" when the scenario has variants, else the object itself. */
json_t *report_run_json(const run_result *r);
/* Prints the JSON object; returns 0 or -1. */
int report_json(FILE *out, const char *scenario, const run_result *runs,
		size_t n);

#endif
