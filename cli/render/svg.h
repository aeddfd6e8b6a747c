/* svg.h: the run as an SVG sequence diagram (--format svg): lifelines in
 * one box per host, one arrow per hop labelled with the identity and level,
 * failures and warnings in colour and with a glyph, rule ids under each
 * arrow. Reads results; decides nothing. */
#ifndef CLOAKROOM_SVG_H
#define CLOAKROOM_SVG_H

#include "report.h"

/* One SVG document; several runs (variants) are sections one under the
 * other. Returns 0, or -1 when out of memory or the write failed. */
int explain_svg(FILE *out, const char *scenario, const run_result *runs,
		size_t n);

#endif
