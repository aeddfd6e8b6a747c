/* html.c: the run as one self-contained HTML page (--format html): per
 * run (variant), the sequence diagram (the SVG of svg.c, inline), the hop
 * table, each hop's explanation with its token diff in a collapsible
 * block, and the expectations in colour. No script, no external asset:
 * it opens offline. Reads results; decides nothing. */
#include "html.h"

#include "explain.h"
#include "svg.h"

#include <stdlib.h>
#include <string.h>

/* s with &, <, >, " and ' as entities. */
static void esc(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

static const char style[] =
	"body{font-family:'DejaVu Sans',Verdana,sans-serif;margin:2em;"
	"color:#1f2937;background:#fff}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;"
	"border-bottom:1px solid #d1d5db}"
	".diagram{overflow-x:auto;margin:1em 0}"
	"table.hops{border-collapse:collapse;margin:1em 0}"
	"table.hops th,table.hops td{border:1px solid #d1d5db;"
	"padding:.25em .5em;text-align:left;font-size:.9em}"
	"td.fail{color:#b91c1c;font-weight:bold}td.ok{color:#15803d}"
	"details.hop{margin:.4em 0;border:1px solid #e5e7eb;"
	"border-radius:4px;padding:.3em .6em}"
	"details.hop summary{cursor:pointer;font-weight:bold}"
	"pre{font-size:.85em;white-space:pre-wrap}"
	"ul.expects{list-style:none;padding:0}"
	"ul.expects li{padding:.2em .5em;margin:.2em 0;border-radius:3px}"
	"li.pass{background:#dcfce7;color:#14532d}"
	"li.fail{background:#fee2e2;color:#7f1d1d}"
	"p.error{color:#b91c1c;font-weight:bold}";

/* What f wrote, malloc'd (NULL when out of memory); f(out, arg). */
static char *capture(void (*f)(FILE *, const void *, size_t),
		     const void *arg, size_t i)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	f(m, arg, i);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

typedef struct svg_arg {
	const char *scenario;
	const run_result *r;
} svg_arg;

static void svg_of(FILE *out, const void *arg, size_t unused)
{
	(void)unused;
	const svg_arg *a = arg;
	explain_svg(out, a->scenario, a->r, 1);
}

static void hop_of(FILE *out, const void *arg, size_t i)
{
	explain_hop_text(out, arg, i);
}

/* The run's diagram, inline: the SVG document without its XML
 * declaration. */
static void diagram(FILE *out, const char *scenario, const run_result *r)
{
	svg_arg a = {scenario, r};
	char *svg = capture(svg_of, &a, 0);
	if (!svg)
		return;
	const char *start = strstr(svg, "<svg");
	fprintf(out, "<div class=\"diagram\">%s</div>\n", start ? start : "");
	free(svg);
}

/* The identity presented, or, for a call its caller's proxy refused,
 * whom it would have presented (report_not_sent). */
static void presented_cell(FILE *out, const sc_hop *h)
{
	char ns[SC_IDENT_LEN + 64];
	report_not_sent(h, ns, sizeof(ns));
	esc(out, ns[0] ? ns : h->presented[0] ? h->presented : "-");
}

static void hop_table(FILE *out, const run_result *r)
{
	fputs("<table class=\"hops\"><tr><th>#</th><th>hop</th><th>hosts</th>"
	      "<th>level asked</th><th>in effect</th><th>presented</th>"
	      "<th>status</th><th>rules</th></tr>\n", out);
	for (size_t i = 0; i < r->trace.count; i++) {
		const sc_hop *h = &r->trace.hops[i];
		char rules[512];
		sc_hop_rules(h, rules, sizeof(rules), " ");
		fprintf(out, "<tr><td>%zu</td><td>", i + 1);
		esc(out, h->from);
		fputs("-&gt;", out);
		esc(out, h->to);
		fputs("</td><td>", out);
		esc(out, h->from_host);
		fputs("-&gt;", out);
		esc(out, h->to_host);
		fprintf(out, "</td><td>%s</td><td>%s</td><td>",
			sc_level_name(h->level_requested),
			h->status == SC_OK ? sc_level_name(h->level_effective)
					   : "-");
		presented_cell(out, h);
		fprintf(out, "</td><td class=\"%s\">%s</td><td>",
			h->status == SC_OK ? "ok" : "fail",
			sc_status_name(h->status));
		esc(out, rules);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

/* Each hop's explanation (inputs, numbered decisions, token diff,
 * outcome), collapsed under a one-line summary; then the client's own
 * steps. */
static void hop_details(FILE *out, const run_result *r, size_t k)
{
	for (size_t i = 0; i <= r->trace.count; i++) {
		char *text = capture(hop_of, r, i);
		if (!text || !*text) {
			free(text);
			continue;
		}
		fprintf(out, "<details class=\"hop\" id=\"run%zu-hop%zu\">"
			"<summary>", k + 1, i + 1);
		if (i < r->trace.count) {
			const sc_hop *h = &r->trace.hops[i];
			fprintf(out, "%zu ", i + 1);
			esc(out, h->from);
			fputs(" -&gt; ", out);
			esc(out, h->to);
			fputs(": ", out);
			presented_cell(out, h);
			fprintf(out, ", %s", sc_status_name(h->status));
		} else {
			fputs("the client's own steps", out);
		}
		fputs("</summary><pre>", out);
		esc(out, text);
		fputs("</pre></details>\n", out);
		free(text);
	}
}

static void expectations(FILE *out, const run_result *r)
{
	fputs("<ul class=\"expects\">\n", out);
	for (unsigned i = 0; i < r->expect_count; i++) {
		const sc_expect_result *e = &r->expects[i];
		fprintf(out, "<li class=\"%s\">%s ", e->pass ? "pass" : "fail",
			e->pass ? "PASS" : "FAIL");
		esc(out, e->text);
		if (!e->pass) {
			fputs(" (saw: ", out);
			esc(out, e->why);
			fputc(')', out);
		}
		fputs("</li>\n", out);
	}
	fputs("</ul>\n", out);
}

int explain_html(FILE *out, const char *scenario, const run_result *runs,
		 size_t n)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8"
	      "\">\n<title>cloakroom: ", out);
	esc(out, scenario);
	fprintf(out, "</title>\n<style>%s</style>\n</head><body>\n<h1>", style);
	esc(out, scenario);
	fputs("</h1>\n", out);
	for (size_t k = 0; k < n; k++) {
		const run_result *r = &runs[k];
		fprintf(out, "<section class=\"run\" id=\"run%zu\">\n", k + 1);
		if (r->variant) {
			fputs("<h2>variant ", out);
			esc(out, r->variant);
			if (r->description) {
				fputs(": ", out);
				esc(out, r->description);
			}
			fputs("</h2>\n", out);
		}
		if (!r->ran) {
			fputs("<p class=\"error\">run failed: ", out);
			esc(out, r->error);
			fputs("</p>\n</section>\n", out);
			continue;
		}
		diagram(out, scenario, r);
		hop_table(out, r);
		hop_details(out, r, k);
		expectations(out, r);
		fputs("</section>\n", out);
	}
	fputs("</body></html>\n", out);
	return ferror(out) ? -1 : 0;
}
