/* svg.c: draws the run as an SVG sequence diagram: a box per host holding
 * its processes' lifelines, one arrow per hop (class "arrow") labelled with
 * the identity presented and the level, red and ✗ for a failed call, amber
 * and ⚠ for a warning, under the arrow the rule ids, the deciding rule in
 * words, the callee's steps that change its identity or access, and the
 * warnings. Reads results only;
 * every text it writes is XML-escaped, and it never decides anything. */
#include "svg.h"

#include "sc_acl.h"

#include <stdlib.h>
#include <string.h>

#define MARGIN 24.0
#define COL_MIN 200.0
#define COL_MAX 480.0
#define COL_ONE_LINE 320.0 /* wider than this a column: two lines */
#define HOST_GAP 28.0
#define HEAD_H 44.0
#define FS_LABEL 13.0
#define FS_SMALL 12.0
#define CHAR_W 0.62      /* average glyph width / font size, DejaVu Sans */
#define MONO_W 0.61      /* DejaVu Sans Mono */
#define BOLD_W 0.64      /* DejaVu Sans Bold */
#define CAPS_W 0.70      /* DejaVu Sans Bold, mostly capitals */
#define WRAP_W 0.58      /* DejaVu Sans at 12px, mixed case, as rendered */
#define WARN_LINE 16.0
#define GLYPH_FAIL "\u2717" /* ✗ */
#define GLYPH_WARN "\u26a0" /* ⚠ */
#define GLYPH_OK "\u2713"   /* ✓ */

/* ---- text -------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	if (s[0] < 0x80)
		return 1;
	else if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
		n = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3;
	else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Characters (not bytes) in s, counting an invalid byte as one. */
static size_t text_chars(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; n++) {
		size_t l = utf8_len(p);
		p += l ? l : 1;
	}
	return n;
}

static double text_w(const char *s, double fs, double cw)
{
	return (double)text_chars(s) * fs * cw;
}

/* At most max bytes of s as XML character data: markup characters as
 * entities, control characters (which XML 1.0 forbids) as spaces, a byte
 * that is not UTF-8 as '?'. */
static void xml_textn(FILE *out, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + max;
	while (p < end && *p) {
		size_t l = utf8_len(p);
		if (l == 0 || p + l > end) {
			fputc('?', out);
			p++;
			continue;
		}
		switch (*p) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&apos;", out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fputc(' ', out);
			else
				fwrite(p, 1, l, out);
		}
		p += l;
	}
}

static void xml_text(FILE *out, const char *s)
{
	xml_textn(out, s, strlen(s));
}

void svg_xml_text(FILE *out, const char *s)
{
	xml_text(out, s);
}

double svg_text_w(const char *s, double fs)
{
	return text_w(s, fs, CHAR_W);
}

/* The byte length of the first line of s when wrapped at max characters:
 * at the last space that fits, else at max characters. */
static size_t wrap_at(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0, last_space = 0;
	while (*p) {
		if (chars == max)
			return last_space ? last_space
					  : (size_t)((const char *)p - s);
		if (*p == ' ')
			last_space = (size_t)((const char *)p - s);
		size_t l = utf8_len(p);
		p += l ? l : 1;
		chars++;
	}
	return (size_t)((const char *)p - s);
}

/* ---- the hops ---------------------------------------------------- */

static bool log_warns(const sc_log *l)
{
	for (size_t i = 0; i < l->count; i++)
		if (l->notes[i].warning)
			return true;
	return false;
}

static bool hop_warns(const sc_hop *h)
{
	if (log_warns(&h->log))
		return true;
	for (size_t k = 0; k < h->steps_count; k++)
		if (log_warns(&h->steps[k].log))
			return true;
	return false;
}

static bool rule_warns(const sc_hop *h, const char *rule)
{
	const sc_log *l = &h->log;
	for (size_t k = 0; k <= h->steps_count; k++) {
		for (size_t i = 0; i < l->count; i++)
			if (l->notes[i].warning &&
			    strcmp(l->notes[i].rule, rule) == 0)
				return true;
		if (k < h->steps_count)
			l = &h->steps[k].log;
	}
	return false;
}

/* The text over the arrow, in two parts: who (and the status of a failed
 * call), then how (the level, or what was presented). Drawn on one line
 * joined by a space when the arrow is long enough, else on two. */
typedef struct hop_text {
	char who[256];
	char how[256];
	char both[520];
} hop_text;

static void hop_label(const sc_hop *h, hop_text *t)
{
	if (h->status != SC_OK) {
		/* A call the caller's proxy refused was never sent: whom it
		 * would have presented (report_not_sent). */
		report_not_sent(h, t->how, sizeof(t->how));
		if (!t->how[0] && h->presented[0])
			snprintf(t->how, sizeof(t->how), "presenting %s",
				 h->presented);
		snprintf(t->who, sizeof(t->who), GLYPH_FAIL " %s, asked %s%s",
			 sc_status_name(h->status),
			 sc_level_name(h->level_requested),
			 t->how[0] ? "," : "");
	} else {
		snprintf(t->who, sizeof(t->who), "%s%s",
			 hop_warns(h) ? GLYPH_WARN " " : "",
			 h->presented[0] ? h->presented : "-");
		snprintf(t->how, sizeof(t->how), "at %s",
			 sc_level_name(h->level_effective));
		if (h->level_effective != h->level_requested) {
			size_t l = strlen(t->how);
			snprintf(t->how + l, sizeof(t->how) - l, " (asked %s)",
				 sc_level_name(h->level_requested));
		}
	}
	snprintf(t->both, sizeof(t->both), "%s%s%s", t->who,
		 t->how[0] ? " " : "", t->how);
}

/* The decision a reader looks for first: for a failed call the rule that
 * failed it, else the caller's choice of identity (C1-C6; from the second
 * middle tier on, that, not C7, which only says the tier chooses with
 * its own proxy). NULL when it is a warning (spelt out with the others)
 * or there is none. */
static const sc_note *hop_why(const sc_hop *h)
{
	const sc_note *n = NULL;
	if (h->status != SC_OK) {
		if (h->log.count)
			n = &h->log.notes[h->log.count - 1];
	} else {
		for (size_t i = 0; i < h->caller_notes && i < h->log.count; i++)
			if (h->log.notes[i].rule[0] == 'C' &&
			    strcmp(h->log.notes[i].rule, "C7") != 0) {
				n = &h->log.notes[i];
				break;
			}
	}
	return n && !n->warning ? n : NULL;
}

/* The callee's steps that change its identity or what it may do, drawn
 * under the hop: the thread token (impersonate, revert, impersonate_self,
 * logon_user, set_thread_token, protocol_transition), the process token
 * (restart: a new logon), the token's privileges and groups
 * (enable_/disable_privilege, enable_/disable_group, assign_right), the
 * blanket of its later calls (set_blanket), a token kept or a process
 * started with one (duplicate, start_process), and what it could do with
 * them (open, access_check, create_object). The others (call: its own
 * arrow; query_level, check_privilege, read, audit, sleep,
 * open_thread_token) change neither. No default: a new step kind must be
 * placed on one side or the other. */
static bool drawn_step(const sc_step_result *s)
{
	switch (s->kind) {
	case SC_STEP_IMPERSONATE:
	case SC_STEP_REVERT:
	case SC_STEP_IMPERSONATE_SELF:
	case SC_STEP_LOGON_USER:
	case SC_STEP_SET_THREAD_TOKEN:
	case SC_STEP_PROTOCOL_TRANSITION:
	case SC_STEP_RESTART:
	case SC_STEP_ENABLE_PRIVILEGE:
	case SC_STEP_DISABLE_PRIVILEGE:
	case SC_STEP_ENABLE_GROUP:
	case SC_STEP_DISABLE_GROUP:
	case SC_STEP_ASSIGN_RIGHT:
	case SC_STEP_SET_BLANKET:
	case SC_STEP_DUPLICATE:
	case SC_STEP_START_PROCESS:
	case SC_STEP_OPEN:
	case SC_STEP_ACCESS_CHECK:
	case SC_STEP_CREATE_OBJECT:
		return true;
	case SC_STEP_CALL:
	case SC_STEP_QUERY_LEVEL:
	case SC_STEP_CHECK_PRIVILEGE:
	case SC_STEP_READ:
	case SC_STEP_AUDIT:
	case SC_STEP_SLEEP:
	case SC_STEP_OPEN_THREAD_TOKEN:
	case SC_STEP_COUNT:
		return false;
	}
	return false;
}

/* The line under a hop for one drawn step: "✓ open report as CORP\alice
 * → OK, granted read", "✓ impersonate as CORP\alice (impersonate) → OK". */
static void step_label(const sc_step_result *st, char *buf, size_t len)
{
	bool ok = st->status == SC_OK;
	bool access = st->kind == SC_STEP_OPEN ||
		      st->kind == SC_STEP_ACCESS_CHECK;
	char g[96] = "", lv[48] = "";
	if (ok && access)
		sc_acl_rights_format(st->object_type, st->granted,
				     g, sizeof(g));
	if (!access && st->as_level != SC_LEVEL_DEFAULT)
		snprintf(lv, sizeof(lv), " (%s)", sc_level_name(st->as_level));
	snprintf(buf, len, "%s %s%s%s as %s%s \u2192 %s%s%s",
		 ok ? GLYPH_OK : GLYPH_FAIL, sc_step_kind_name(st->kind),
		 st->object[0] ? " " : "", st->object, st->as, lv,
		 sc_status_name(st->status), ok && access ? ", granted " : "",
		 g);
}

/* The warnings of a hop, in order, as "⚠ P2: text". */
typedef struct warn_list {
	const sc_note *notes[32];
	size_t count;
} warn_list;

static void hop_warnings(const sc_hop *h, warn_list *w)
{
	w->count = 0;
	const sc_log *l = &h->log;
	for (size_t k = 0; k <= h->steps_count; k++) {
		for (size_t i = 0; i < l->count; i++)
			if (l->notes[i].warning &&
			    w->count < sizeof(w->notes) / sizeof(w->notes[0]))
				w->notes[w->count++] = &l->notes[i];
		if (k < h->steps_count)
			l = &h->steps[k].log;
	}
}

/* ---- layout ------------------------------------------------------ */

typedef struct lane {
	const char *name;
	const char *host;
	char account[SC_IDENT_LEN];
	double x;
} lane;

typedef struct layout {
	lane *lanes;
	size_t n;
	double col_w;
	double width;
} layout;

static int lane_of(const layout *L, const char *name)
{
	for (size_t i = 0; i < L->n; i++)
		if (strcmp(L->lanes[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The x of a process; a caller the scenario does not know (a call that
 * carried no context) draws from the left edge. */
static double lane_x(const layout *L, const char *name)
{
	int i = lane_of(L, name);
	return i >= 0 ? L->lanes[i].x : MARGIN / 2;
}

static void add_lane(layout *L, const sc_scenario *s,
		     const sc_process_def *p)
{
	lane *ln = &L->lanes[L->n++];
	ln->name = p->name;
	ln->host = p->host;
	if (p->account && sc_scenario_account(s, p->account) &&
	    s->domain.name && !strchr(p->account, '\\'))
		snprintf(ln->account, sizeof(ln->account), "%s\\%s",
			 s->domain.name, p->account);
	else
		snprintf(ln->account, sizeof(ln->account), "%s",
			 p->account ? p->account : "");
}

/* Characters a wrapped warning line may hold over a span of w pixels. */
static size_t warn_chars(double w)
{
	double c = (w - 16) / (FS_SMALL * WRAP_W);
	return c < 30 ? 30 : (size_t)c;
}

/* Pixels between the lifelines a hop joins (a call to itself: its loop
 * and the room to its right). */
static double arrow_span(const layout *L, const sc_hop *h)
{
	double a = lane_x(L, h->from), b = lane_x(L, h->to);
	if (strcmp(h->from, h->to) == 0)
		return 2 * L->col_w;
	return a > b ? a - b : b - a;
}

/* Whether the text over the arrow takes two lines: when on one it would
 * run past the lifelines it joins (over the hop number). */
static bool label_two_lines(const layout *L, const sc_hop *h,
			    const hop_text *t)
{
	return text_w(t->both, FS_LABEL, BOLD_W) + 40 > arrow_span(L, h);
}

/* col: the column width to use, or 0 to fit this run's labels. */
static int layout_build(layout *L, const run_result *r, double col_w)
{
	const sc_scenario *s = r->scn;
	memset(L, 0, sizeof(*L));
	L->lanes = calloc(s->processes_count ? s->processes_count : 1,
			  sizeof(*L->lanes));
	if (!L->lanes)
		return -1;
	/* Host by host, in the scenario's order; then any process whose
	 * host is not declared. */
	for (unsigned h = 0; h < s->hosts_count; h++)
		for (unsigned i = 0; i < s->processes_count; i++)
			if (strcmp(s->processes[i].host, s->hosts[h].name) == 0)
				add_lane(L, s, &s->processes[i]);
	for (unsigned i = 0; i < s->processes_count; i++)
		if (!sc_scenario_host(s, s->processes[i].host))
			add_lane(L, s, &s->processes[i]);

	/* Columns wide enough for every label over the span it covers: on
	 * one line when that takes no more than COL_ONE_LINE a column, else
	 * on two lines. */
	double col = COL_MIN;
	for (size_t i = 0; i < L->n; i++) {
		double need = text_w(L->lanes[i].account, 11, CHAR_W) + 56;
		if (need > col)
			col = need;
	}
	for (size_t k = 0; r->ran && k < r->trace.count; k++) {
		const sc_hop *h = &r->trace.hops[k];
		int a = lane_of(L, h->from), b = lane_of(L, h->to);
		int span = (a >= 0 && b >= 0) ? abs(a - b) : 1;
		if (span == 0)
			span = 2; /* a call to itself: the label goes right */
		hop_text t;
		char rules[512];
		hop_label(h, &t);
		sc_hop_rules(h, rules, sizeof(rules), " ");
		double w = text_w(t.both, FS_LABEL, BOLD_W);
		if ((w + 40) / span > COL_ONE_LINE) {
			double w1 = text_w(t.who, FS_LABEL, BOLD_W);
			double w2 = text_w(t.how, FS_LABEL, BOLD_W);
			w = w1 > w2 ? w1 : w2;
		}
		double rw = text_w(rules, FS_SMALL, MONO_W) +
			    FS_SMALL * MONO_W * 12;
		if (rw > w)
			w = rw;
		double need = (w + 40) / span;
		if (need > col)
			col = need;
		/* Object step lines start at the left lifeline + 16. */
		for (size_t i = 0; i < h->steps_count; i++) {
			if (!drawn_step(&h->steps[i]))
				continue;
			char sl[512];
			step_label(&h->steps[i], sl, sizeof(sl));
			/* They may run half a column past the arrow, short
			 * of the box's border (a failed one is bold, and
			 * status names are capitals: wider glyphs). */
			need = (text_w(sl, FS_SMALL, CAPS_W) + 16 + 24) /
			       ((span < 2 ? 1 : span) + 0.5);
			if (need > col)
				col = need;
		}
	}
	L->col_w = col > COL_MAX ? COL_MAX : col;
	if (col_w > 0)
		L->col_w = col_w;
	double x = MARGIN + L->col_w / 2;
	for (size_t i = 0; i < L->n; i++) {
		if (i && strcmp(L->lanes[i].host, L->lanes[i - 1].host) != 0)
			x += HOST_GAP;
		L->lanes[i].x = x;
		x += L->col_w;
	}
	L->width = x - L->col_w / 2 + MARGIN;
	return 0;
}

/* The x where a hop's left-aligned lines start. */
static double hop_left(const layout *L, const sc_hop *h)
{
	double a = lane_x(L, h->from), b = lane_x(L, h->to);
	return strcmp(h->from, h->to) == 0 ? a + 50 : (a < b ? a : b) + 16;
}

/* The width a hop's wrapped lines may take: to the diagram's right edge
 * (a box's border), never less than the arrow's span. */
static double span_w(const layout *L, const sc_hop *h)
{
	double w = arrow_span(L, h);
	double room = L->width - MARGIN - 12 - hop_left(L, h);
	if (room > w)
		w = room;
	return w < L->col_w ? L->col_w : w;
}

/* One wrapped text (a warning, the deciding rule) as lines of class cls
 * from y; returns the lines written. out NULL: only counts them. */
static unsigned wrapped(FILE *out, const char *cls, const char *text,
			size_t max, double x, double y)
{
	unsigned n = 0;
	const char *s = text;
	while (*s) {
		size_t b = wrap_at(s, max);
		if (out) {
			fprintf(out,
				"<text class=\"%s\" x=\"%.1f\" y=\"%.1f\">",
				cls, x, y + n * WARN_LINE);
			xml_textn(out, s, b);
			fputs("</text>\n", out);
		}
		n++;
		s += b;
		while (*s == ' ')
			s++;
	}
	return n;
}

/* The lines under a hop's rule ids, from y: why it went as it did, what
 * the callee's drawn steps came to, then each warning spelt out. out
 * NULL: only counts them. Returns the lines. */
static unsigned hop_lines(FILE *out, const layout *L, const sc_hop *h,
			  double y)
{
	double left = hop_left(L, h);
	size_t max = warn_chars(span_w(L, h));
	unsigned n = 0;
	char buf[600];
	const sc_note *why = hop_why(h);
	if (why) {
		snprintf(buf, sizeof(buf), "[%s] %s", sc_note_rule_shown(why),
			 why->text);
		n += wrapped(out, h->status == SC_OK ? "why" : "why failed",
			     buf, max, left, y);
	}
	for (size_t k = 0; k < h->steps_count; k++) {
		const sc_step_result *st = &h->steps[k];
		if (!drawn_step(st))
			continue;
		if (out) {
			step_label(st, buf, sizeof(buf));
			fprintf(out,
				"<text class=\"step %s\" x=\"%.1f\" y=\"%.1f\">",
				st->status == SC_OK ? "ok" : "failed", left,
				y + n * WARN_LINE);
			xml_text(out, buf);
			fputs("</text>\n", out);
		}
		n++;
	}
	warn_list w;
	hop_warnings(h, &w);
	for (size_t i = 0; i < w.count; i++) {
		snprintf(buf, sizeof(buf), GLYPH_WARN " %s: %s",
			 w.notes[i]->rule, w.notes[i]->text);
		n += wrapped(out, "warntext", buf, max, left,
			     y + n * WARN_LINE);
	}
	return n;
}

static double hop_height(const layout *L, const sc_hop *h)
{
	hop_text t;
	hop_label(h, &t);
	return 62 + (label_two_lines(L, h, &t) ? FS_LABEL + 4 : 0) +
	       hop_lines(NULL, L, h, 0) * WARN_LINE;
}

/* ---- drawing ----------------------------------------------------- */

static const char *hop_class(const sc_hop *h)
{
	if (h->status != SC_OK)
		return "failed";
	return hop_warns(h) ? "warning" : "ok";
}

static void label_line(FILE *out, const char *cls, double x, double y,
		       const char *anchor, const char *text)
{
	fprintf(out,
		"<text class=\"label %s\" x=\"%.1f\" y=\"%.1f\" "
		"text-anchor=\"%s\">",
		cls, x, y, anchor);
	xml_text(out, text);
	fputs("</text>\n", out);
}

static void draw_hop(FILE *out, const layout *L, const sc_hop *h, size_t num,
		     double y)
{
	double x1 = lane_x(L, h->from), x2 = lane_x(L, h->to);
	const char *cls = hop_class(h);
	hop_text t;
	char rules[512];
	hop_label(h, &t);
	sc_hop_rules(h, rules, sizeof(rules), " ");
	bool two = label_two_lines(L, h, &t);
	double ya = y + 26 + (two ? FS_LABEL + 4 : 0);

	fprintf(out, "<g class=\"hop %s\" data-hop=\"%zu\">\n", cls, num);
	double lx;
	const char *anchor = "middle";
	if (strcmp(h->from, h->to) == 0) {
		/* A call to itself: a loop to the right of the lifeline. */
		fprintf(out,
			"<path class=\"arrow %s\" d=\"M %.1f %.1f h 40 v 18 "
			"h -36\" marker-end=\"url(#head-%s)\"/>\n",
			cls, x1 + 10, ya, cls);
		lx = x1 + 50;
		anchor = "start";
	} else {
		double dir = x2 > x1 ? 1 : -1;
		fprintf(out,
			"<line class=\"arrow %s\" x1=\"%.1f\" y1=\"%.1f\" "
			"x2=\"%.1f\" y2=\"%.1f\" marker-end=\"url(#head-%s)\"/>"
			"\n",
			cls, x1 + dir * 10, ya, x2 - dir * 2, ya, cls);
		lx = (x1 + x2) / 2;
	}
	/* The hop number on the caller's lifeline, as in the table. */
	fprintf(out,
		"<circle class=\"num %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"9\"/>"
		"<text class=\"num\" x=\"%.1f\" y=\"%.1f\">%zu</text>\n",
		cls, x1, ya, x1, ya + 4, num);
	if (two) {
		label_line(out, cls, lx, y + 18, anchor, t.who);
		label_line(out, cls, lx, y + 18 + FS_LABEL + 4, anchor, t.how);
	} else {
		label_line(out, cls, lx, y + 18, anchor, t.both);
	}

	/* The rule ids, warnings marked. */
	fprintf(out,
		"<text class=\"rules\" x=\"%.1f\" y=\"%.1f\" "
		"text-anchor=\"%s\">rules",
		lx, ya + 19, anchor);
	char *save = NULL;
	for (char *r = strtok_r(rules, " ", &save); r;
	     r = strtok_r(NULL, " ", &save)) {
		if (rule_warns(h, r)) {
			fputs(" <tspan class=\"warnrule\">" GLYPH_WARN, out);
			xml_text(out, r);
			fputs("</tspan>", out);
		} else {
			fputc(' ', out);
			xml_text(out, r);
		}
	}
	fputs("</text>\n", out);

	/* Why, what the callee's drawn steps came to, the warnings. */
	hop_lines(out, L, h, ya + 37);
	fputs("</g>\n", out);
}

/* One run: its title, host boxes, lifelines and hops, from y; returns the
 * y after it. */
static double draw_run(FILE *out, const char *scenario, const run_result *r,
		       const layout *L, double y)
{
	fprintf(out, "<text class=\"title\" x=\"%.1f\" y=\"%.1f\">", MARGIN,
		y + 18);
	xml_text(out, scenario);
	if (r->variant) {
		fputs(" \u00b7 variant ", out);
		xml_text(out, r->variant);
	}
	fputs("</text>\n", out);
	y += 26;
	if (r->description) {
		fprintf(out, "<text class=\"desc\" x=\"%.1f\" y=\"%.1f\">",
			MARGIN, y + 12);
		xml_text(out, r->description);
		fputs("</text>\n", out);
		y += 18;
	}
	y += 8;

	double body = 0;
	for (size_t k = 0; r->ran && k < r->trace.count; k++)
		body += hop_height(L, &r->trace.hops[k]);
	if (!r->ran)
		body = 40;
	double top = y, head = y + 26, first = head + HEAD_H + 14;
	double bottom = first + body + 6;

	/* A box per host, its name on top. */
	for (size_t i = 0; i < L->n;) {
		size_t j = i;
		while (j + 1 < L->n &&
		       strcmp(L->lanes[j + 1].host, L->lanes[i].host) == 0)
			j++;
		double x0 = L->lanes[i].x - L->col_w / 2 + 6;
		double x1 = L->lanes[j].x + L->col_w / 2 - 6;
		const sc_host_def *hd = sc_scenario_host(r->scn,
							 L->lanes[i].host);
		fprintf(out,
			"<rect class=\"host\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"%.1f\" height=\"%.1f\" rx=\"8\"/>\n"
			"<text class=\"hostname\" x=\"%.1f\" y=\"%.1f\">host ",
			x0, top, x1 - x0, bottom - top, x0 + 10, top + 17);
		xml_text(out, L->lanes[i].host);
		fputs(hd && hd->workgroup ? " (workgroup)" : "", out);
		fputs("</text>\n", out);
		i = j + 1;
	}
	/* Participants and their lifelines. */
	for (size_t i = 0; i < L->n; i++) {
		const lane *ln = &L->lanes[i];
		double bw = L->col_w - 40;
		fprintf(out,
			"<line class=\"lifeline\" x1=\"%.1f\" y1=\"%.1f\" "
			"x2=\"%.1f\" y2=\"%.1f\"/>\n"
			"<rect class=\"process\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"%.1f\" height=\"%.1f\" rx=\"4\"/>\n"
			"<text class=\"pname\" x=\"%.1f\" y=\"%.1f\">",
			ln->x, head + HEAD_H, ln->x, bottom - 4,
			ln->x - bw / 2, head, bw, HEAD_H, ln->x, head + 19);
		xml_text(out, ln->name);
		fprintf(out,
			"</text>\n<text class=\"paccount\" x=\"%.1f\" "
			"y=\"%.1f\">",
			ln->x, head + 35);
		xml_text(out, ln->account);
		fputs("</text>\n", out);
	}
	if (!r->ran) {
		fprintf(out, "<text class=\"label failed\" x=\"%.1f\" "
			     "y=\"%.1f\">" GLYPH_FAIL " run failed: ",
			MARGIN + 10, first + 20);
		xml_text(out, r->error);
		fputs("</text>\n", out);
		return bottom + 18;
	}
	double yh = first;
	for (size_t k = 0; k < r->trace.count; k++) {
		draw_hop(out, L, &r->trace.hops[k], k + 1, yh);
		yh += hop_height(L, &r->trace.hops[k]);
	}
	return bottom + 18;
}

double svg_legend(FILE *out, double x, double y, const svg_legend_item *items,
		  size_t n, const char *note)
{
	fprintf(out, "<g class=\"legend\">\n");
	double ex = x;
	for (size_t i = 0; i < n; i++) {
		const svg_legend_item *it = &items[i];
		fprintf(out,
			"<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" "
			"x2=\"%.1f\" y2=\"%.1f\" "
			"marker-end=\"url(#head-%s)\"/>\n"
			"<text class=\"%s\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
			it->line_class, ex, y, ex + 40, y, it->head,
			it->text_class, ex + 48, y + 4, it->text);
		ex += it->width;
	}
	fprintf(out,
		"<text class=\"legend\" x=\"%.1f\" y=\"%.1f\">%s</text>\n"
		"</g>\n",
		x, y + 24, note);
	return y + 34;
}

static double draw_legend(FILE *out, double y)
{
	static const svg_legend_item items[] = {
		{"arrow-sample ok", "ok", "legend",
		 "call: identity presented at level in effect", 330},
		{"arrow-sample failed", "failed", "legend failed",
		 GLYPH_FAIL " failed call", 150},
		{"arrow-sample warning", "warning", "legend warning",
		 GLYPH_WARN " warning (P2, L2, C3, T8)", 0},
	};
	return svg_legend(out, MARGIN, y, items,
			  sizeof(items) / sizeof(*items),
			  "Under each arrow: the rule ids that decided the "
			  "hop, in the order they applied (docs/rules.md).");
}

static const char *const style =
	"<style>\n"
	"text{font-family:'DejaVu Sans',Verdana,sans-serif;font-size:13px;"
	"fill:#1f2937}\n"
	".title{font-size:16px;font-weight:bold}\n"
	".desc{font-size:12px;fill:#4b5563}\n"
	".host{fill:#f3f6fb;stroke:#94a3b8;stroke-width:1.5}\n"
	".hostname{font-size:12px;font-weight:bold;fill:#475569}\n"
	".process{fill:#ffffff;stroke:#334155;stroke-width:1.2}\n"
	".pname{font-size:14px;font-weight:bold;text-anchor:middle}\n"
	".paccount{font-size:11px;fill:#4b5563;text-anchor:middle}\n"
	".lifeline{stroke:#64748b;stroke-width:1;stroke-dasharray:4 4}\n"
	".arrow,.arrow-sample{fill:none;stroke-width:2}\n"
	".arrow.ok,.arrow-sample.ok{stroke:#1f2937}\n"
	".arrow.warning,.arrow-sample.warning{stroke:#b45309}\n"
	".arrow.failed,.arrow-sample.failed{stroke:#dc2626;"
	"stroke-dasharray:7 4}\n"
	"circle.num{stroke-width:1.5;fill:#ffffff}\n"
	"circle.ok{stroke:#1f2937}circle.warning{stroke:#b45309}"
	"circle.failed{stroke:#dc2626}\n"
	"text.num{font-size:10px;font-weight:bold;text-anchor:middle}\n"
	".label.ok{fill:#111827}\n"
	".label.warning,.warntext,.warnrule,.legend.warning{fill:#b45309}\n"
	".label.failed,.legend.failed{fill:#dc2626}\n"
	".label{font-weight:bold}\n"
	".rules{font-family:'DejaVu Sans Mono',monospace;font-size:12px;"
	"fill:#475569}\n"
	".warnrule{font-weight:bold}\n"
	".warntext,.step,.why{font-size:12px}\n"
	".why{fill:#475569;font-style:italic}\n"
	".why.failed{fill:#dc2626;font-style:normal}\n"
	".step.ok{fill:#166534}.step.failed{fill:#dc2626;font-weight:bold}\n"
	/* A halo so text stays readable over lifelines and box borders. */
	".label,.rules,.warntext,.step,.why{paint-order:stroke;stroke:#ffffff;"
	"stroke-width:4px;stroke-linejoin:round}\n"
	".legend{font-size:12px}\n"
	"</style>\n";

/* Arrowheads: a filled head for a call, a cross for a failed one. */
const char *const svg_defs =
	"<defs>\n"
	"<marker id=\"head-ok\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
	"markerUnits=\"userSpaceOnUse\" markerWidth=\"12\" markerHeight=\"12\" orient=\"auto\">"
	"<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#1f2937\"/></marker>\n"
	"<marker id=\"head-warning\" viewBox=\"0 0 10 10\" refX=\"10\" "
	"refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"12\" markerHeight=\"12\" orient=\"auto\">"
	"<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#b45309\"/></marker>\n"
	"<marker id=\"head-failed\" viewBox=\"0 0 10 10\" refX=\"8\" "
	"refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"13\" markerHeight=\"13\" orient=\"auto\">"
	"<path d=\"M1,1 L9,9 M9,1 L1,9\" stroke=\"#dc2626\" "
	"stroke-width=\"2.2\" fill=\"none\"/></marker>\n"
	"</defs>\n";

int explain_svg(FILE *out, const char *scenario, const run_result *runs,
		size_t n)
{
	char *body = NULL;
	size_t body_len = 0;
	FILE *b = open_memstream(&body, &body_len);
	if (!b)
		return -1;
	double y = MARGIN / 2, width = 760;
	int rc = 0;
	/* One column width for every run, so the variants line up. */
	double col_w = 0;
	for (size_t i = 0; i < n; i++) {
		layout L;
		if (!runs[i].scn || layout_build(&L, &runs[i], 0) != 0)
			continue;
		if (L.col_w > col_w)
			col_w = L.col_w;
		free(L.lanes);
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		layout L;
		if (!runs[i].scn) {
			fprintf(b, "<text class=\"label failed\" x=\"%.1f\" "
				   "y=\"%.1f\">" GLYPH_FAIL " run failed: ",
				MARGIN, y + 18);
			xml_text(b, runs[i].error);
			fputs("</text>\n", b);
			y += 30;
			continue;
		}
		if (layout_build(&L, &runs[i], col_w) != 0) {
			rc = -1;
			break;
		}
		if (i)
			fprintf(b,
				"<line class=\"separator\" x1=\"%.1f\" "
				"y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				"stroke=\"#cbd5e1\"/>\n",
				MARGIN, y, L.width - MARGIN, y);
		fprintf(b, "<g class=\"run\" data-variant=\"");
		xml_text(b, runs[i].variant ? runs[i].variant : "");
		fputs("\">\n", b);
		y = draw_run(b, scenario, &runs[i], &L, y + 6);
		fputs("</g>\n", b);
		if (L.width > width)
			width = L.width;
		free(L.lanes);
	}
	y = draw_legend(b, y + 10);
	if (fclose(b) != 0)
		rc = -1;
	if (rc == 0) {
		fprintf(out,
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			"<svg xmlns=\"http://www.w3.org/2000/svg\" "
			"width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f "
			"%.0f\">\n<title>",
			width, y + MARGIN / 2, width, y + MARGIN / 2);
		xml_text(out, scenario);
		fputs(": sequence diagram</title>\n", out);
		fputs(style, out);
		fputs(svg_defs, out);
		fprintf(out,
			"<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" "
			"fill=\"#ffffff\"/>\n");
		fwrite(body, 1, body_len, out);
		fputs("</svg>\n", out);
		if (ferror(out))
			rc = -1;
	}
	free(body);
	return rc;
}
