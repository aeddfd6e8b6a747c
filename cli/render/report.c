/* report.c: the per-hop table, the expectation lines and the JSON object
 * (jansson). Reads results only; every decision it shows was taken, and
 * named with its rule id, by libsecctx. */
#include "report.h"

#include "sc_acl.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* The table's width budget (report_set_width): 0, none. */
static int table_width;

void report_set_width(int columns)
{
	table_width = columns > 0 ? columns : 0;
}

/* The columns s takes on a terminal (wcwidth per character); bytes the
 * locale cannot decode count one column per UTF-8 character. */
int report_disp_width(const char *s)
{
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	int w = 0;
	size_t len = strlen(s);
	while (len > 0) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s, len, &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			/* Not decodable here: one column per character. */
			memset(&st, 0, sizeof(st));
			n = 1;
			while (n < len && ((unsigned char)s[n] & 0xC0) == 0x80)
				n++;
			w++;
		} else {
			int cw = wcwidth(wc);
			w += cw > 0 ? cw : 0;
		}
		s += n;
		len -= n;
	}
	return w;
}

/* s in at most width columns: cut, its last column a '~', when longer.
 * Writes into buf (len bytes). */
static const char *fit(const char *s, int width, char *buf, size_t len)
{
	if (width <= 0 || report_disp_width(s) <= width)
		return s;
	size_t o = 0;
	int w = 0;
	while (*s && o + 8 < len) {
		size_t n = 1;
		while (s[n] && ((unsigned char)s[n] & 0xC0) == 0x80)
			n++;
		char one[8];
		memcpy(one, s, n < 7 ? n : 7);
		one[n < 7 ? n : 7] = '\0';
		int cw = report_disp_width(one);
		if (w + cw > width - 1)
			break;
		memcpy(buf + o, s, n);
		o += n;
		w += cw;
		s += n;
	}
	buf[o++] = '~';
	buf[o] = '\0';
	return buf;
}

/* s, then spaces to width columns. */
static void pad(FILE *out, const char *s, int width)
{
	fputs(s, out);
	for (int i = report_disp_width(s); i < width; i++)
		fputc(' ', out);
}

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

report_palette report_palette_for(bool color)
{
	report_palette p = {"", "", "", "", ""};
	if (color)
		p = (report_palette){"\033[31m", "\033[32m", "\033[33m",
				     "\033[1m", "\033[0m"};
	return p;
}

void report_step_line(FILE *out, const sc_step_result *s, const char *ind)
{
	char rules[128] = "";
	for (size_t i = 0; i < s->log.count; i++) {
		size_t l = strlen(rules);
		/* An input error's note names no rule. */
		if (s->log.notes[i].rule[0] &&
		    !strstr(rules, s->log.notes[i].rule))
			snprintf(rules + l, sizeof(rules) - l, "%s%s",
				 l ? " " : "", s->log.notes[i].rule);
	}
	fprintf(out, "%s%s: %s", ind, s->process, sc_step_kind_name(s->kind));
	if (s->object[0])
		fprintf(out, " %s", s->object);
	fprintf(out, " as %s", s->as);
	if (s->as_level != SC_LEVEL_DEFAULT)
		fprintf(out, " (%s)", sc_level_name(s->as_level));
	fprintf(out, " -> %s", sc_status_name(s->status));
	if ((s->kind == SC_STEP_OPEN || s->kind == SC_STEP_ACCESS_CHECK) &&
	    s->status == SC_OK) {
		char g[96];
		sc_acl_rights_format(s->object_type, s->granted, g, sizeof(g));
		fprintf(out, ", granted %s", g);
	}
	if (s->kind == SC_STEP_QUERY_LEVEL && s->status == SC_OK)
		fprintf(out, ", level %s", sc_level_name(s->level));
	if (rules[0])
		fprintf(out, "  [%s]", rules);
	fputc('\n', out);
}

/* What the callee's opens came to: "report:OK,ledger:ACCESS_DENIED",
 * the same outcome repeated in a row folded ("ledger:ACCESS_DENIED x2"). */
static void access_summary(const sc_hop *h, char *buf, size_t len)
{
	buf[0] = '\0';
	char last[SC_NAME_LEN + 40] = "";
	unsigned times = 0;
	for (size_t i = 0; i <= h->steps_count; i++) {
		const sc_step_result *s = i < h->steps_count ? &h->steps[i]
							     : NULL;
		if (s && s->kind != SC_STEP_OPEN &&
		    s->kind != SC_STEP_ACCESS_CHECK)
			continue;
		char cur[SC_NAME_LEN + 40] = "";
		if (s)
			snprintf(cur, sizeof(cur), "%s:%s", s->object,
				 sc_status_name(s->status));
		if (s && times && strcmp(cur, last) == 0) {
			times++;
			continue;
		}
		if (times) {
			size_t l = strlen(buf);
			snprintf(buf + l, len - l, "%s%s", l ? "," : "", last);
			l = strlen(buf);
			if (times > 1)
				snprintf(buf + l, len - l, " x%u", times);
		}
		snprintf(last, sizeof(last), "%s", cur);
		times = s ? 1 : 0;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static void wrap_words(FILE *out, const char *head, const char *text,
		       const char *cont, const char *on, const char *off);

/* A line under a hop, indented six, wrapped to the budget (continuation
 * lines indented eight). */
static void detail_text(FILE *out, const char *text)
{
	if (!table_width) {
		fprintf(out, "      %s\n", text);
		return;
	}
	char head[SC_IDENT_LEN];
	size_t n = strcspn(text, " ");
	snprintf(head, sizeof(head), "      %.*s", (int)n, text);
	wrap_words(out, head, text + n + strspn(text + n, " "), "        ", "",
		   "");
}

void report_not_sent(const sc_hop *h, char *buf, size_t len)
{
	if (!h->not_sent)
		snprintf(buf, len, "%s", "");
	else if (h->presented[0])
		snprintf(buf, len, "presenting %s, not sent", h->presented);
	else if (h->chosen[0])
		snprintf(buf, len, "not sent; would have presented %s",
			 h->chosen);
	else
		snprintf(buf, len, "not sent");
}

static void default_detail(FILE *out, const run_result *r, size_t hop,
			   bool color)
{
	report_palette pal = report_palette_for(color);
	const char *yellow = pal.yellow, *off = pal.off;
	if (hop >= r->trace.count)
		return;
	const sc_hop *h = &r->trace.hops[hop];
	if (h->not_sent) {
		/* Nothing reached the callee: say whom the caller's proxy
		 * would have presented (sc_hop.chosen). */
		char text[SC_IDENT_LEN + 64];
		report_not_sent(h, text, sizeof(text));
		detail_text(out, text);
	}
	for (size_t k = 0; k < h->log.count; k++)
		if (h->log.notes[k].warning)
			fprintf(out, "      %swarning %s: %s%s\n", yellow,
				h->log.notes[k].rule, h->log.notes[k].text,
				off);
	for (size_t k = 0; k < h->steps_count; k++) {
		report_step_line(out, &h->steps[k], "      ");
		const sc_log *l = &h->steps[k].log;
		for (size_t w = 0; w < l->count; w++)
			if (l->notes[w].warning)
				fprintf(out, "        %swarning %s: %s%s\n",
					yellow, l->notes[w].rule,
					l->notes[w].text, off);
	}
}

#define NCOL 10
/* The per-hop table's columns. */
static const char *const head[NCOL] = {
	"#", "hop", "hosts", "crossed", "asked",
	"effective", "presented", "status", "access", "rules",
};

/* One line of the per-hop table, as text. */
typedef struct hop_row {
	char num[16], hop[SC_NAME_LEN * 2 + 4], hosts[SC_NAME_LEN * 2 + 4];
	char rules[256], acc[128];
	const char *cell[NCOL];
} hop_row;

static void hop_row_fill(hop_row *row, size_t i, const sc_hop *h)
{
	snprintf(row->num, sizeof(row->num), "%zu", i + 1);
	snprintf(row->hop, sizeof(row->hop), "%s->%s", h->from, h->to);
	snprintf(row->hosts, sizeof(row->hosts), "%s->%s", h->from_host,
		 h->to_host);
	sc_hop_rules(h, row->rules, sizeof(row->rules), " ");
	access_summary(h, row->acc, sizeof(row->acc));
	row->cell[0] = row->num;
	row->cell[1] = row->hop;
	row->cell[2] = row->hosts;
	row->cell[3] = yesno(h->crossed_host);
	row->cell[4] = sc_level_name(h->level_requested);
	row->cell[5] = h->status == SC_OK ? sc_level_name(h->level_effective)
					  : "-";
	row->cell[6] = h->presented[0] ? h->presented : "-";
	row->cell[7] = sc_status_name(h->status);
	row->cell[8] = row->acc;
	row->cell[9] = row->rules;
}

/* Within the width budget, the widest of the columns that can give
 * (presented, access, rules, hosts) lose columns, one at a time, down to
 * their heading's width; their cells are cut with '~'. */
static void shrink_to_fit(int w[NCOL])
{
	static const int give[] = {6, 8, 9, 2};
	if (!table_width)
		return;
	for (;;) {
		int total = NCOL - 1; /* the spaces between columns */
		for (int c = 0; c < NCOL; c++)
			total += w[c];
		if (total <= table_width)
			return;
		int widest = -1;
		for (size_t k = 0; k < sizeof(give) / sizeof(give[0]); k++) {
			int c = give[k];
			if (w[c] > report_disp_width(head[c]) + 1 &&
			    (widest < 0 || w[c] > w[widest]))
				widest = c;
		}
		if (widest < 0)
			return; /* as narrow as it goes */
		w[widest]--;
	}
}

/* Each column as wide as its widest cell over every run shown, so that
 * the variants of a scenario line up; then fitted to the budget. */
static void column_widths(const run_result *runs, size_t n, int w[NCOL])
{
	for (int c = 0; c < NCOL; c++)
		w[c] = report_disp_width(head[c]);
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; runs[k].ran && i < runs[k].trace.count;
		     i++) {
			hop_row row;
			hop_row_fill(&row, i, &runs[k].trace.hops[i]);
			for (int c = 0; c < NCOL; c++)
				if (report_disp_width(row.cell[c]) > w[c])
					w[c] = report_disp_width(row.cell[c]);
		}
	shrink_to_fit(w);
}

/* The table cannot fit the budget even with every column that can give
 * cut to its heading: the hops are then printed one block each. */
static bool table_too_wide(const int w[NCOL])
{
	int total = NCOL - 1;
	for (int c = 0; c < NCOL; c++)
		total += w[c];
	return table_width && total > table_width;
}

/* HEAD TEXT, wrapped at spaces to the budget (continuation lines
 * indented cont), a word longer than a line cut with '~'. */
static void wrap_words(FILE *out, const char *head, const char *text,
		       const char *cont, const char *on, const char *off)
{
	char line[1024], cut[1024];
	int used = snprintf(line, sizeof(line), "%s", head);
	int ind = (int)strlen(cont);
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, " ");
		char word[512];
		snprintf(word, sizeof(word), "%.*s", (int)n, p);
		if (used > ind && report_disp_width(line) + 1 +
					  report_disp_width(word) >
				      table_width) {
			fprintf(out, "%s%s%s\n", on,
				fit(line, table_width, cut, sizeof(cut)), off);
			used = snprintf(line, sizeof(line), "%s%s", cont, word);
		} else {
			used = (int)strlen(line);
			snprintf(line + used, sizeof(line) - (size_t)used,
				 " %s", word);
			used = (int)strlen(line);
		}
		p += n;
		p += strspn(p, " ");
	}
	fprintf(out, "%s%s%s\n", on, fit(line, table_width, cut, sizeof(cut)),
		off);
}

/* "  LABEL TEXT", wrapped to the budget (continuation lines indented
 * four). */
static void block_line(FILE *out, const char *label, const char *text,
		       const char *on, const char *off)
{
	char head[256];
	snprintf(head, sizeof(head), "  %s", label);
	wrap_words(out, head, text, "    ", on, off);
}

/* One hop as a block of lines, for a terminal too narrow for the
 * table: the same cells, each after its heading. */
static void hop_block(FILE *out, const hop_row *row, bool bad,
		      const report_palette *pal)
{
	char line[512], cut[512];
	snprintf(line, sizeof(line), "%s %s %s%s", row->num, row->hop,
		 row->hosts,
		 strcmp(row->cell[3], "yes") == 0 ? " (crossed)" : "");
	fprintf(out, "%s\n", fit(line, table_width, cut, sizeof(cut)));
	snprintf(line, sizeof(line), "%s, effective %s", row->cell[4],
		 row->cell[5]);
	block_line(out, "asked", line, "", "");
	block_line(out, "presented", row->cell[6], "", "");
	block_line(out, "status", row->cell[7], bad ? pal->red : "",
		   bad ? pal->off : "");
	block_line(out, "access", row->cell[8], "", "");
	block_line(out, "rules", row->cell[9], "", "");
}

static void text_run(FILE *out, const run_result *r, const int w[NCOL],
		     bool color, report_detail_fn detail)
{
	report_palette pal = report_palette_for(color);
	const char *red = pal.red, *green = pal.green, *off = pal.off;
	char esc[1024];
	if (r->variant && strcmp(r->variant, SC_AS_WRITTEN) == 0)
		fprintf(out, "\n== %s: the file as written\n", SC_AS_WRITTEN);
	else if (r->variant)
		fprintf(out, "\n== variant %s%s%s\n", r->variant,
			r->description ? ": " : "",
			sc_escape(r->description, esc, sizeof(esc)));
	if (!r->ran) {
		fprintf(out, "%srun failed: %s%s\n", red,
			sc_escape(r->error, esc, sizeof(esc)), off);
		return;
	}
	bool blocks = table_too_wide(w);
	for (int c = 0; !blocks && c + 1 < NCOL; c++) {
		pad(out, head[c], w[c]);
		fputc(' ', out);
	}
	if (!blocks)
		fprintf(out, "%s\n", head[NCOL - 1]);
	for (size_t i = 0; i < r->trace.count; i++) {
		const sc_hop *h = &r->trace.hops[i];
		hop_row row;
		hop_row_fill(&row, i, h);
		bool bad = h->status != SC_OK;
		if (blocks) {
			hop_block(out, &row, bad, &pal);
			detail(out, r, i, color);
			continue;
		}
		for (int c = 0; c < NCOL; c++) {
			char cut[512];
			const char *cell = fit(row.cell[c], w[c], cut,
					       sizeof(cut));
			if (c == 7 && bad)
				fputs(red, out);
			if (c + 1 < NCOL) {
				pad(out, cell, w[c]);
				fprintf(out, "%s ", c == 7 && bad ? off : "");
			} else {
				fprintf(out, "%s\n", cell);
			}
		}
		detail(out, r, i, color);
	}
	detail(out, r, r->trace.count, color);
	for (unsigned i = 0; i < r->expect_count; i++) {
		const sc_expect_result *e = &r->expects[i];
		fprintf(out, "%s%s%s %s", e->pass ? green : red,
			e->pass ? "PASS" : "FAIL", off, e->text);
		if (!e->pass)
			fprintf(out, "  (saw: %s)", e->why);
		fputc('\n', out);
	}
}

void report_text(FILE *out, const char *scenario, const run_result *runs,
		 size_t n, bool color)
{
	report_text_with(out, scenario, runs, n, color, NULL);
}

void report_text_with(FILE *out, const char *scenario,
		      const run_result *runs, size_t n, bool color,
		      report_detail_fn detail)
{
	fprintf(out, "scenario %s\n", scenario);
	unsigned passed = 0, failed = 0;
	int w[NCOL];
	column_widths(runs, n, w);
	for (size_t i = 0; i < n; i++) {
		text_run(out, &runs[i], w, color,
			 detail ? detail : default_detail);
		for (unsigned k = 0; k < runs[i].expect_count; k++)
			runs[i].expects[k].pass ? passed++ : failed++;
	}
	fprintf(out, "\nexpectations: %u passed, %u failed\n", passed, failed);
}

static json_t *notes_json(const sc_log *l, bool warnings_only)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->count; i++) {
		if (warnings_only && !l->notes[i].warning)
			continue;
		json_array_append_new(
			a, json_pack("{s:s, s:b, s:s}", "rule",
				     l->notes[i].rule, "warning",
				     l->notes[i].warning, "text",
				     l->notes[i].text));
	}
	return a;
}

static json_t *step_json(const sc_step_result *s)
{
	char g[96];
	sc_acl_rights_format(s->object_type, s->granted, g, sizeof(g));
	json_t *rules = json_array();
	for (size_t i = 0; i < s->log.count; i++)
		if (s->log.notes[i].rule[0]) /* an input error names none */
			json_array_append_new(rules,
					      json_string(s->log.notes[i].rule));
	/* T6: the type of the object an open or access check named, which
	 * names `granted`; null for the other steps. */
	bool typed = s->kind == SC_STEP_OPEN || s->kind == SC_STEP_ACCESS_CHECK;
	return json_pack(
		"{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:o, s:o}",
		"process", s->process, "id", s->id, "do",
		sc_step_kind_name(s->kind), "object", s->object, "object_type",
		typed ? json_string(sc_object_type_name(s->object_type))
		      : json_null(),
		"as", s->as, "as_level", sc_level_name(s->as_level), "status",
		sc_status_name(s->status), "granted", g, "rules", rules,
		"notes", notes_json(&s->log, false));
}

json_t *report_hop_json(const sc_hop *h)
{
	char rules[512];
	sc_hop_rules(h, rules, sizeof(rules), " ");
	json_t *ra = json_array();
	char *save = NULL;
	for (char *t = strtok_r(rules, " ", &save); t;
	     t = strtok_r(NULL, " ", &save))
		json_array_append_new(ra, json_string(t));
	json_t *warn = notes_json(&h->log, true);
	for (size_t i = 0; i < h->steps_count; i++) {
		json_t *sw = notes_json(&h->steps[i].log, true);
		json_array_extend(warn, sw);
		json_decref(sw);
	}
	json_t *steps = json_array();
	for (size_t i = 0; i < h->steps_count; i++)
		json_array_append_new(steps, step_json(&h->steps[i]));
	json_t *o = json_pack(
		"{s:s, s:s, s:s, s:s, s:b, s:i, s:s, s:s, s:s, s:s, s:s, s:s, "
		"s:s, s:s, s:s, s:o, s:o, s:o, s:o}",
		"from", h->from, "to", h->to, "from_host", h->from_host,
		"to_host", h->to_host, "crossed_host", h->crossed_host,
		"boundaries", (int)h->boundaries, "level_requested",
		sc_level_name(h->level_requested), "level_effective",
		sc_level_name(h->level_effective), "authn",
		sc_authn_name(h->authn), "package", sc_package_name(h->package),
		"cloaking", sc_cloaking_name(h->cloaking), "presented",
		h->presented, "presented_sid", h->presented_sid, "chosen",
		h->chosen, "status",
		sc_status_name(h->status), "rules", ra, "warnings", warn,
		"notes", notes_json(&h->log, false), "steps", steps);
	if (o) {
		json_object_set_new(o, "caller_notes",
				    json_integer(h->caller_notes));
		/* false: the caller's proxy refused the call before
		 * sending it (no call was made). */
		json_object_set_new(o, "sent", json_boolean(!h->not_sent));
	}
	return o;
}

json_t *report_run_json(const run_result *r)
{
	json_t *o = json_object();
	if (r->variant) {
		json_object_set_new(o, "name", json_string(r->variant));
		if (r->description)
			json_object_set_new(o, "description",
					    json_string(r->description));
	}
	json_object_set_new(o, "pass",
			    json_boolean(r->ran && r->failed == 0));
	json_object_set_new(o, "ran", json_boolean(r->ran));
	if (!r->ran)
		json_object_set_new(o, "error", json_string(r->error));
	json_t *procs = json_array();
	for (size_t i = 0; i < r->children_count; i++)
		json_array_append_new(
			procs,
			json_pack("{s:s, s:s, s:I, s:s, s:s}", "name",
				  r->children[i].name, "program",
				  r->children[i].program, "pid",
				  (json_int_t)r->children[i].pid, "host",
				  r->hosts_of[i], "account",
				  r->accounts_of[i]));
	json_object_set_new(o, "processes", procs);
	json_t *hops = json_array();
	for (size_t i = 0; i < r->trace.count; i++)
		json_array_append_new(hops,
				      report_hop_json(&r->trace.hops[i]));
	json_object_set_new(o, "hops", hops);
	json_t *cs = json_array();
	for (size_t i = 0; i < r->trace.steps_count; i++)
		json_array_append_new(cs, step_json(&r->trace.steps[i]));
	json_object_set_new(o, "client_steps", cs);
	json_t *ex = json_array();
	for (unsigned i = 0; i < r->expect_count; i++) {
		json_t *e = json_pack("{s:s, s:b}", "text", r->expects[i].text,
				      "pass", r->expects[i].pass);
		if (!r->expects[i].pass)
			json_object_set_new(e, "saw",
					    json_string(r->expects[i].why));
		json_array_append_new(ex, e);
	}
	json_object_set_new(o, "expectations", ex);
	return o;
}

int report_json(FILE *out, const char *scenario, const run_result *runs,
		size_t n)
{
	json_t *root;
	bool pass = true;
	for (size_t i = 0; i < n; i++)
		pass = pass && runs[i].ran && runs[i].failed == 0;
	if (n == 1 && !runs[0].variant) {
		root = report_run_json(&runs[0]);
	} else {
		root = json_object();
		json_t *vs = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(vs, report_run_json(&runs[i]));
		json_object_set_new(root, "variants", vs);
	}
	json_object_set_new(root, "scenario", json_string(scenario));
	json_object_set_new(root, "pass", json_boolean(pass));
	int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(root);
	return rc;
}
