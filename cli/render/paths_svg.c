/* paths_svg.c: `cloakroom paths --format svg`: the paths to one target as a
 * graph: clients on the left, the middle tiers in the middle (one node per
 * account, spanning its paths), the target on the right with the SPNs it is
 * called by; each path one row, an edge client -> middle tier (the level the
 * client grants) and an edge middle tier -> target (the path's kind and the
 * rule ids that decided it, then its outcome). A path that does not reach
 * the target is red and crossed; one the daemons did not confirm is grey
 * and dotted. Reads results only; every text is XML-escaped (svg.c). */
#include "svg.h"

#include <stdlib.h>
#include <string.h>

#define P_MARGIN 24.0
#define P_ROW 64.0
#define P_NODE_H 40.0
#define P_FS 13.0
#define P_FS_SMALL 12.0
#define P_TOP 78.0

static double maxd(double a, double b)
{
	return a > b ? a : b;
}

/* "ok", "failed", plus " unconfirmed" when the daemons did not agree or
 * did not run it. */
static const char *edge_class(const svg_path *p)
{
	if (p->confirmed == 1)
		return p->reached ? "ok" : "failed";
	return p->reached ? "ok unconfirmed" : "failed unconfirmed";
}

static const char *marker(const svg_path *p)
{
	if (p->confirmed != 1)
		return "head-unconfirmed";
	return p->reached ? "head-ok" : "head-failed";
}

static void text_at(FILE *out, const char *cls, double x, double y,
		    const char *anchor, const char *s)
{
	fprintf(out, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" "
		     "text-anchor=\"%s\">",
		cls, x, y, anchor);
	svg_xml_text(out, s);
	fputs("</text>\n", out);
}

/* A node's box: top left corner, width and height. */
typedef struct box {
	double x, y, w, h;
} box;

static void node(FILE *out, const char *cls, box b, const char *name,
		 const char *sub)
{
	double x = b.x, y = b.y, w = b.w, h = b.h;
	fprintf(out,
		"<g class=\"node %s\"><rect x=\"%.1f\" y=\"%.1f\" "
		"width=\"%.1f\" height=\"%.1f\" rx=\"6\"/>\n",
		cls, x, y, w, h);
	double cy = y + h / 2 + (sub && *sub ? -2 : 4);
	text_at(out, "nname", x + w / 2, cy, "middle", name);
	if (sub && *sub)
		text_at(out, "nsub", x + w / 2, cy + 15, "middle", sub);
	fputs("</g>\n", out);
}

typedef struct cols {
	double client_x, client_w, e1_w, mid_x, mid_w, e2_w, tgt_x, tgt_w;
	double width;
} cols;

static void measure(const svg_path *p, size_t n, cols *c)
{
	c->client_w = 150;
	c->mid_w = 120;
	c->e1_w = 140;
	c->e2_w = 300;
	c->tgt_w = 140;
	for (size_t i = 0; i < n; i++) {
		char buf[512];
		c->client_w = maxd(c->client_w,
				   svg_text_w(p[i].client, P_FS) + 24);
		c->mid_w = maxd(c->mid_w, svg_text_w(p[i].middle, P_FS) + 24);
		c->e1_w = maxd(c->e1_w, svg_text_w(p[i].entry, P_FS_SMALL) + 30);
		snprintf(buf, sizeof(buf), "%zu %s (%s): %s", i + 1, p[i].kind,
			 p[i].kind_rule, p[i].rules);
		c->e2_w = maxd(c->e2_w, svg_text_w(buf, P_FS_SMALL) + 40);
		snprintf(buf, sizeof(buf), "x as %s at %s, not confirmed",
			 p[i].reached ? p[i].presented : p[i].status,
			 p[i].target_spn);
		c->e2_w = maxd(c->e2_w, svg_text_w(buf, P_FS_SMALL) + 40);
		c->tgt_w = maxd(c->tgt_w, svg_text_w(p[i].target, P_FS) + 24);
		c->tgt_w = maxd(c->tgt_w,
				svg_text_w(p[i].target_spn, P_FS_SMALL) + 24);
	}
	c->client_x = P_MARGIN;
	c->mid_x = c->client_x + c->client_w + c->e1_w;
	c->tgt_x = c->mid_x + c->mid_w + c->e2_w;
	c->width = c->tgt_x + c->tgt_w + P_MARGIN;
}

/* An edge; the client's (first) reaches the middle tier whatever the
 * path comes to: only the unconfirmed style is carried to it. */
static void edge(FILE *out, const svg_path *p, bool first, double x1,
		 double x2, double y)
{
	bool unconfirmed = p->confirmed != 1;
	fprintf(out,
		"<line class=\"edge %s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		"y2=\"%.1f\" marker-end=\"url(#%s)\"/>\n",
		!first		? edge_class(p)
		: unconfirmed ? "ok unconfirmed"
			      : "ok",
		x1, y, x2 - 2, y,
		!first		? marker(p)
		: unconfirmed ? "head-unconfirmed"
			      : "head-ok");
}

/* One path: its client node, the edge to the middle tier, the edge to the
 * target with its labels. */
static void draw_path(FILE *out, const svg_path *p, size_t i, const cols *c,
		      double y)
{
	double cy = y + P_NODE_H / 2;
	fprintf(out, "<g class=\"path %s\" data-path=\"%zu\" data-kind=\"",
		edge_class(p), i + 1);
	svg_xml_text(out, p->kind);
	fputs("\">\n<title>", out);
	svg_xml_text(out, p->why[0] ? p->why : p->presented);
	fputs("</title>\n", out);
	node(out, "client", (box){c->client_x, y, c->client_w - 12, P_NODE_H},
	     p->client, NULL);
	edge(out, p, true, c->client_x + c->client_w - 12, c->mid_x, cy);
	text_at(out, "elabel", (c->client_x + c->client_w + c->mid_x) / 2,
		cy - 7, "middle", p->entry);
	edge(out, p, false, c->mid_x + c->mid_w, c->tgt_x, cy);
	double lx = (c->mid_x + c->mid_w + c->tgt_x) / 2;
	char buf[512];
	snprintf(buf, sizeof(buf), "%zu %s (%s): %s", i + 1, p->kind,
		 p->kind_rule, p->rules[0] ? p->rules : "-");
	text_at(out, "elabel rules", lx, cy - 7, "middle", buf);
	const char *conf = p->confirmed == 1	 ? ""
			   : p->confirmed == 0 ? ", not confirmed"
					       : ", not run";
	char spn[300] = "";
	if (p->target_spn[0])
		snprintf(spn, sizeof(spn), " at %s", p->target_spn);
	if (p->reached)
		snprintf(buf, sizeof(buf), "\u2713 as %s%s%s", p->presented,
			 spn, conf);
	else
		snprintf(buf, sizeof(buf), "\u2717 %s%s%s", p->status, spn,
			 conf);
	text_at(out, p->reached ? "outcome ok" : "outcome failed", lx,
		cy + 17, "middle", buf);
	fputs("</g>\n", out);
}

static const char *const paths_style =
	"<style>\n"
	"text{font-family:'DejaVu Sans',Verdana,sans-serif;font-size:13px;"
	"fill:#1f2937}\n"
	".title{font-size:16px;font-weight:bold}\n"
	".desc,.legend{font-size:12px;fill:#4b5563}\n"
	".node rect{fill:#ffffff;stroke:#334155;stroke-width:1.2}\n"
	".node.middle rect{fill:#f3f6fb}\n"
	".node.target rect{fill:#eef6ee;stroke:#166534}\n"
	".nname{font-weight:bold}\n"
	".nsub{font-size:11px;fill:#4b5563}\n"
	".edge{fill:none;stroke-width:2}\n"
	".edge.ok{stroke:#1f2937}\n"
	".edge.failed{stroke:#dc2626;stroke-dasharray:7 4}\n"
	".edge.unconfirmed{stroke:#9ca3af;stroke-dasharray:2 3}\n"
	".elabel{font-size:12px}\n"
	".rules{font-family:'DejaVu Sans Mono',monospace}\n"
	".outcome{font-size:12px;font-weight:bold}\n"
	".outcome.ok{fill:#166534}.outcome.failed{fill:#dc2626}\n"
	".path.unconfirmed .outcome{fill:#6b7280}\n"
	".elabel,.outcome{paint-order:stroke;stroke:#ffffff;stroke-width:4px;"
	"stroke-linejoin:round}\n"
	"</style>\n"
	"<defs><marker id=\"head-unconfirmed\" viewBox=\"0 0 10 10\" "
	"refX=\"10\" refY=\"5\" markerUnits=\"userSpaceOnUse\" "
	"markerWidth=\"12\" markerHeight=\"12\" orient=\"auto\">"
	"<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#9ca3af\"/></marker></defs>\n";

static double legend(FILE *out, double y)
{
	static const svg_legend_item items[] = {
		{"edge ok", "ok", "legend",
		 "reaches the target, confirmed on the daemons", 370},
		{"edge failed", "failed", "legend", "\u2717 stopped", 140},
		{"edge unconfirmed", "unconfirmed", "legend",
		 "not confirmed (the daemons disagreed, or not run)", 0},
	};
	return svg_legend(out, P_MARGIN, y, items,
			  sizeof(items) / sizeof(*items),
			  "On each edge to the target: the path's number, "
			  "kind and kind's rule, then the rule ids of the hop "
			  "in the order they applied (docs/rules.md).");
}

int paths_svg(FILE *out, const char *title, const svg_path *p, size_t n)
{
	cols c;
	measure(p, n, &c);
	double rows = n ? (double)n : 1;
	double body_h = rows * P_ROW;
	double height = P_TOP + body_h + 70;
	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
		"height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n<title>",
		c.width, height, c.width, height);
	svg_xml_text(out, title);
	fputs(": delegation paths</title>\n", out);
	fputs(paths_style, out);
	fputs(svg_defs, out);
	fputs("<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" "
	      "fill=\"#ffffff\"/>\n",
	      out);
	char buf[512];
	snprintf(buf, sizeof(buf), "Delegation paths to %s",
		 n ? p[0].target : title);
	text_at(out, "title", P_MARGIN, 28, "start", buf);
	snprintf(buf, sizeof(buf), "%s: %zu path%s; client, middle tier, "
				   "target",
		 title, n, n == 1 ? "" : "s");
	text_at(out, "desc", P_MARGIN, 48, "start", buf);
	/* Column heads. */
	text_at(out, "desc", c.client_x, P_TOP - 10, "start", "client");
	text_at(out, "desc", c.mid_x, P_TOP - 10, "start", "middle tier");
	text_at(out, "desc", c.tgt_x, P_TOP - 10, "start", "target");
	/* The target: one node over every row, with the SPNs it is called
	 * by. */
	if (n) {
		fprintf(out,
			"<g class=\"node target\"><rect x=\"%.1f\" y=\"%.1f\" "
			"width=\"%.1f\" height=\"%.1f\" rx=\"6\"/>\n",
			c.tgt_x, P_TOP, c.tgt_w, body_h - (P_ROW - P_NODE_H));
		text_at(out, "nname", c.tgt_x + c.tgt_w / 2, P_TOP + 22,
			"middle", p[0].target);
		double sy = P_TOP + 40;
		for (size_t i = 0; i < n; i++) {
			bool seen = !p[i].target_spn[0];
			for (size_t k = 0; !seen && k < i; k++)
				seen = strcmp(p[k].target_spn,
					      p[i].target_spn) == 0;
			if (seen)
				continue;
			text_at(out, "nsub", c.tgt_x + c.tgt_w / 2, sy,
				"middle", p[i].target_spn);
			sy += 15;
		}
		fputs("</g>\n", out);
	}
	/* The middle tiers: one node over the rows of its paths. */
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && strcmp(p[j].middle, p[i].middle) == 0)
			j++;
		node(out, "middle",
		     (box){c.mid_x, P_TOP + (double)i * P_ROW, c.mid_w,
			   (double)(j - i) * P_ROW - (P_ROW - P_NODE_H)},
		     p[i].middle, NULL);
		i = j;
	}
	for (size_t i = 0; i < n; i++)
		draw_path(out, &p[i], i, &c, P_TOP + (double)i * P_ROW);
	if (!n)
		text_at(out, "desc", P_MARGIN, P_TOP + 20, "start",
			"no path reaches the target");
	legend(out, P_TOP + body_h + 14);
	fputs("</svg>\n", out);
	return ferror(out) ? -1 : 0;
}
