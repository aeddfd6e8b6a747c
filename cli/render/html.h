/* html.h: the run as one self-contained HTML page (--format html): the
 * sequence diagram, the hops, each hop's explanation and token diff
 * (collapsible), the expectations in colour. No script, no external
 * asset. Reads results; decides nothing. */
#ifndef CLOAKROOM_HTML_H
#define CLOAKROOM_HTML_H

#include "run.h"

#include <stdio.h>

/* One HTML document; several runs (variants) are sections one under the
 * other. Returns 0, or -1 when the write failed. */
int explain_html(FILE *out, const char *scenario, const run_result *runs,
		 size_t n);

#endif
