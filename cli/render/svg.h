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

/* The helpers both drawings use: s as XML character data (markup
 * escaped, control characters as spaces, bytes that are not UTF-8 as
 * '?'); the width of s in DejaVu Sans at font size fs; the arrowheads
 * (markers head-ok, head-warning, head-failed). */
void svg_xml_text(FILE *out, const char *s);
double svg_text_w(const char *s, double fs);
/* One entry of a legend: a 40-unit sample line of class line_class
 * ending in marker #head-HEAD, then text (markup as given) of class
 * text_class; the next entry starts width further right. */
typedef struct svg_legend_item {
	const char *line_class;
	const char *head;
	const char *text_class;
	const char *text;
	double width;
} svg_legend_item;
/* A legend (group class "legend") whose entries, items[0..n), stand in
 * a row from (x, y), and note (markup as given) on the line below from
 * x. Returns the y below it. */
double svg_legend(FILE *out, double x, double y, const svg_legend_item *items,
		  size_t n, const char *note);
extern const char *const svg_defs;

/* One path of `cloakroom paths`, as the graph draws it. */
typedef struct svg_path {
	const char *kind, *kind_rule; /* "constrained", "D4" */
	const char *entry;   /* the client's hop, "Impersonate", ... */
	const char *client;  /* "alice (and 6 more)" */
	const char *middle, *target;
	const char *target_spn; /* "" when the target is named by account */
	const char *status, *presented, *rules, *why;
	bool reached;
	int confirmed; /* 1 the daemons agreed, 0 they did not, -1 not run */
} svg_path;

/* `cloakroom paths --format svg`: a graph of the paths to one target:
 * the clients, the middle tiers and the target as nodes, each path an
 * edge client -> middle tier -> target labelled with its rules; a path
 * that does not reach the target red and crossed, one not confirmed on
 * the daemons grey and dotted. Returns 0, or -1 when the write failed. */
int paths_svg(FILE *out, const char *title, const svg_path *paths,
	      size_t n);

#endif
