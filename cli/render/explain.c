/* explain.c: renders a run's decisions for people (--explain), for tools
 * (JSON Lines) and as a Mermaid sequence diagram. Reads results only: it
 * never takes or changes a decision, and never alters the --json object. */
#include "explain.h"

#include "tokens.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- shared ------------------------------------------------------ */

/* The notes of h taken by the caller: the leading caller_notes. */
static size_t caller_count(const sc_hop *h)
{
	return h->caller_notes < h->log.count ? h->caller_notes : h->log.count;
}

static const char *effective_name(const sc_hop *h)
{
	return h->status == SC_OK ? sc_level_name(h->level_effective) : "-";
}

/* ---- text -------------------------------------------------------- */

static void note_line(FILE *out, unsigned num, const sc_note *n,
		      const char *ind, bool color)
{
	report_palette p = report_palette_for(color);
	if (n->warning)
		fprintf(out, "%s%u. %s%sWARNING [%s] %s%s\n", ind, num, p.bold,
			p.yellow, sc_note_rule_shown(n), n->text, p.off);
	else
		fprintf(out, "%s%u. [%s] %s\n", ind, num, sc_note_rule_shown(n),
			n->text);
}

/* Notes from to to (not included) of a log. */
typedef struct note_span {
	const sc_log *l;
	size_t from;
	size_t to;
} note_span;

static void notes_block(FILE *out, note_span sp, unsigned *num, const char *ind,
			bool color)
{
	for (size_t i = sp.from; i < sp.to; i++)
		note_line(out, ++*num, &sp.l->notes[i], ind, color);
}

static void steps_block(FILE *out, const sc_step_result *s, size_t n,
			unsigned *num, bool color)
{
	for (size_t i = 0; i < n; i++) {
		report_step_line(out, &s[i], "      ");
		notes_block(out, (note_span){&s[i].log, 0, s[i].log.count}, num,
			    "          ", color);
		if (s[i].kind == SC_STEP_CALL && s[i].hop >= 0)
			fprintf(out, "          (explained as hop %d)\n",
				s[i].hop + 1);
	}
}

static void explain_hop(FILE *out, const sc_hop *h, bool color)
{
	report_palette p = report_palette_for(color);
	size_t nc = caller_count(h);
	unsigned num = 0;
	char rules[512];

	fprintf(out,
		"    facts: level asked %s, in effect %s; authentication %s, "
		"package %s; crossed host %s; host boundaries of the identity "
		"%u; cloaking %s\n",
		sc_level_name(h->level_requested), effective_name(h),
		sc_authn_name(h->authn), sc_package_name(h->package),
		h->crossed_host ? "yes" : "no", h->boundaries,
		sc_cloaking_name(h->cloaking));
	fprintf(out, "    caller %s decided:%s\n", h->from,
		nc ? "" : " (no note)");
	notes_block(out, (note_span){&h->log, 0, nc}, &num, "      ", color);
	if (nc < h->log.count)
		fprintf(out, "    callee %s decided:\n", h->to);
	else if (h->not_sent)
		fprintf(out, "    callee %s decided: nothing (no call was made: "
			"%s's proxy refused it)\n", h->to, h->from);
	else if (h->status != SC_OK)
		fprintf(out, "    callee %s decided: nothing (the call failed "
			"before it did)\n", h->to);
	else
		fprintf(out, "    callee %s decided: (no note)\n", h->to);
	size_t end = h->log.count - sc_hop_closing_notes(h);
	notes_block(out, (note_span){&h->log, nc, end}, &num, "      ", color);
	if (h->steps_count) {
		fprintf(out, "    during the call:\n");
		steps_block(out, h->steps, h->steps_count, &num, color);
	}
	if (end < h->log.count) {
		fprintf(out, "    when the call ended, callee %s decided:\n",
			h->to);
		notes_block(out, (note_span){&h->log, end, h->log.count}, &num,
			    "      ", color);
	}
	tokens_explain(out, h, "    ");
	sc_hop_rules(h, rules, sizeof(rules), " ");
	if (h->status == SC_OK)
		fprintf(out, "    outcome: %s received %s at %s, OK",
			h->to, h->presented[0] ? h->presented : "-",
			sc_level_name(h->level_effective));
	else if (h->not_sent) {
		/* Nothing presented: whom the proxy would have presented. */
		char ns[SC_IDENT_LEN + 64];
		report_not_sent(h, ns, sizeof(ns));
		fprintf(out, "    outcome: %sfailed with %s%s (%s)", p.red,
			sc_status_name(h->status), p.off, ns);
	} else
		fprintf(out, "    outcome: %sfailed with %s%s%s%s%s", p.red,
			sc_status_name(h->status), p.off,
			h->presented[0] ? " (presenting " : "", h->presented,
			h->presented[0] ? ")" : "");
	fprintf(out, "; rules in the order they applied: %s\n",
		rules[0] ? rules : "none");
}

static void explain_detail(FILE *out, const run_result *r, size_t hop,
			   bool color)
{
	if (hop < r->trace.count) {
		explain_hop(out, &r->trace.hops[hop], color);
		return;
	}
	if (!r->trace.steps_count)
		return;
	unsigned num = 0;
	fprintf(out, "    the client's own steps:\n");
	steps_block(out, r->trace.steps, r->trace.steps_count, &num, color);
}

void explain_hop_text(FILE *out, const run_result *r, size_t i)
{
	explain_detail(out, r, i, false);
}

void explain_text(FILE *out, const char *scenario, const run_result *runs,
		  size_t n, bool color)
{
	report_text_with(out, scenario, runs, n, color, explain_detail);
}

/* ---- JSON Lines -------------------------------------------------- */

static int emit(FILE *out, json_t *ev)
{
	if (!ev)
		return -1;
	int rc = json_dumpf(ev, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(ev);
	return rc;
}

static json_t *event(const char *kind, const run_result *r)
{
	json_t *ev = json_object();
	json_object_set_new(ev, "event", json_string(kind));
	json_object_set_new(ev, "variant", r->variant ? json_string(r->variant)
						      : json_null());
	return ev;
}

/* Where rule events come from: hop hi (h NULL for the client's own
 * steps), the side that decided, its process and step (or NULL). */
typedef struct rule_origin {
	size_t hi;
	const sc_hop *h;
	const char *side;
	const char *process;
	const sc_step_result *s;
} rule_origin;

/* One rule event per note of sp. */
static int rule_events(FILE *out, const run_result *r, const rule_origin *o,
		       note_span sp)
{
	size_t hi = o->hi;
	const sc_hop *h = o->h;
	const char *side = o->side, *process = o->process;
	const sc_step_result *s = o->s;
	const sc_log *l = sp.l;
	int rc = 0;
	for (size_t i = sp.from; i < sp.to; i++) {
		json_t *ev = event("rule", r);
		if (h) {
			json_object_set_new(ev, "hop", json_integer(
						(json_int_t)hi + 1));
			json_object_set_new(ev, "from", json_string(h->from));
			json_object_set_new(ev, "to", json_string(h->to));
		}
		json_object_set_new(ev, "side", json_string(side));
		json_object_set_new(ev, "process", json_string(process));
		if (s) {
			json_object_set_new(ev, "step", json_string(
						sc_step_kind_name(s->kind)));
			json_object_set_new(ev, "step_id", json_string(s->id));
		}
		json_object_set_new(ev, "rule", json_string(l->notes[i].rule));
		json_object_set_new(ev, "warning",
				    json_boolean(l->notes[i].warning));
		json_object_set_new(ev, "text", json_string(l->notes[i].text));
		rc |= emit(out, ev);
	}
	return rc;
}

static int jsonl_run(FILE *out, const char *scenario, const run_result *r)
{
	int rc = 0;
	json_t *ev = event("run", r);
	json_object_set_new(ev, "scenario", json_string(scenario));
	if (r->description)
		json_object_set_new(ev, "description",
				    json_string(r->description));
	json_object_set_new(ev, "ran", json_boolean(r->ran));
	json_object_set_new(ev, "pass", json_boolean(r->ran && !r->failed));
	if (!r->ran)
		json_object_set_new(ev, "error", json_string(r->error));
	rc |= emit(out, ev);
	for (size_t i = 0; r->ran && i < r->trace.count; i++) {
		const sc_hop *h = &r->trace.hops[i];
		size_t nc = caller_count(h);
		ev = event("hop", r);
		json_object_set_new(ev, "hop", json_integer((json_int_t)i + 1));
		json_t *hj = report_hop_json(h);
		json_object_update(ev, hj);
		json_decref(hj);
		if (tokens_hop_json(ev, h) != 0)
			rc = -1;
		rc |= emit(out, ev);
		rc |= rule_events(out, r,
				  &(rule_origin){i, h, "caller", h->from, NULL},
				  (note_span){&h->log, 0, nc});
		size_t end = h->log.count - sc_hop_closing_notes(h);
		rc |= rule_events(out, r,
				  &(rule_origin){i, h, "callee", h->to, NULL},
				  (note_span){&h->log, nc, end});
		for (size_t k = 0; k < h->steps_count; k++) {
			const sc_step_result *s = &h->steps[k];
			rc |= rule_events(
				out, r,
				&(rule_origin){i, h, "step", s->process, s},
				(note_span){&s->log, 0, s->log.count});
		}
		rc |= rule_events(out, r,
				  &(rule_origin){i, h, "callee", h->to, NULL},
				  (note_span){&h->log, end, h->log.count});
	}
	for (size_t k = 0; r->ran && k < r->trace.steps_count; k++) {
		const sc_step_result *s = &r->trace.steps[k];
		rc |= rule_events(
			out, r,
			&(rule_origin){0, NULL, "client", s->process, s},
			(note_span){&s->log, 0, s->log.count});
	}
	for (unsigned i = 0; i < r->expect_count; i++) {
		const sc_expect_result *e = &r->expects[i];
		ev = event("expectation", r);
		json_object_set_new(ev, "text", json_string(e->text));
		json_object_set_new(ev, "pass", json_boolean(e->pass));
		if (!e->pass)
			json_object_set_new(ev, "saw", json_string(e->why));
		rc |= emit(out, ev);
	}
	return rc;
}

int explain_jsonl(FILE *out, const char *scenario, const run_result *runs,
		  size_t n)
{
	int rc = 0;
	unsigned passed = 0, failed = 0;
	bool pass = true;
	for (size_t i = 0; i < n; i++) {
		rc |= jsonl_run(out, scenario, &runs[i]);
		pass = pass && runs[i].ran && runs[i].failed == 0;
		for (unsigned k = 0; k < runs[i].expect_count; k++)
			runs[i].expects[k].pass ? passed++ : failed++;
	}
	json_t *ev = json_object();
	json_object_set_new(ev, "event", json_string("summary"));
	json_object_set_new(ev, "scenario", json_string(scenario));
	json_object_set_new(ev, "pass", json_boolean(pass));
	json_object_set_new(ev, "expectations_passed", json_integer(passed));
	json_object_set_new(ev, "expectations_failed", json_integer(failed));
	rc |= emit(out, ev);
	return rc ? -1 : 0;
}

/* ---- Mermaid ----------------------------------------------------- */

/* Text after a ':' (message, note, title): Mermaid ends it at ';' or a
 * newline and reads '#...;' as an entity, so those are written as
 * entities; '<' and '>' too, so no text reads as HTML. */
static void mm_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case ';':
			fputs("#59;", out);
			break;
		case '#':
			fputs("#35;", out);
			break;
		case '<':
			fputs("#lt;", out);
			break;
		case '>':
			fputs("#gt;", out);
			break;
		case '\n':
		case '\r':
			fputc(' ', out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

/* A process name usable as a participant id as it is: a letter, then
 * letters, digits, '_', and no keyword. Else it gets the id pN. */
static bool mm_plain(const char *s)
{
	static const char *const kw[] = {
		"participant", "actor", "as", "box", "end", "note", "over",
		"left", "right", "of", "loop", "alt", "else", "opt", "par",
		"and", "rect", "critical", "option", "break", "activate",
		"deactivate", "autonumber", "title", "link", "links",
		"properties", "details", "create", "destroy", "x", NULL};
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= '0' && *c <= '9') || *c == '_'))
			return false;
	for (size_t i = 0; kw[i]; i++)
		if (strcasecmp(s, kw[i]) == 0)
			return false;
	return true;
}

static void mm_id(const sc_scenario *s, const char *name, char *buf,
		  size_t len)
{
	const sc_process_def *p = sc_scenario_process(s, name);
	if (mm_plain(name) || !p)
		snprintf(buf, len, "%s", mm_plain(name) ? name : "unknown");
	else
		snprintf(buf, len, "p%zu", (size_t)(p - s->processes) + 1);
}

static void mm_participant(FILE *out, const sc_scenario *s, size_t i)
{
	const char *name = s->processes[i].name;
	char id[SC_NAME_LEN + 8];
	mm_id(s, name, id, sizeof(id));
	if (strcmp(id, name) == 0) {
		fprintf(out, "    participant %s\n", id);
		return;
	}
	/* An alias ends at the characters arrows use. */
	fprintf(out, "    participant %s as ", id);
	for (const char *c = name; *c; c++)
		fputc(strchr("-+>:,;#<\n\r", *c) ? '_' : *c, out);
	fputc('\n', out);
}

static void mm_participants(FILE *out, const sc_scenario *s)
{
	bool *done = calloc(s->processes_count ? s->processes_count : 1, 1);
	for (unsigned h = 0; h < s->hosts_count; h++) {
		bool any = false;
		for (unsigned i = 0; i < s->processes_count; i++)
			if (strcmp(s->processes[i].host, s->hosts[h].name) == 0)
				any = true;
		if (!any)
			continue;
		fputs("  box host ", out);
		mm_text(out, s->hosts[h].name);
		fputc('\n', out);
		for (unsigned i = 0; i < s->processes_count; i++) {
			if (strcmp(s->processes[i].host, s->hosts[h].name) != 0)
				continue;
			mm_participant(out, s, i);
			if (done)
				done[i] = true;
		}
		fputs("  end\n", out);
	}
	for (unsigned i = 0; done && i < s->processes_count; i++)
		if (!done[i])
			mm_participant(out, s, i);
	free(done);
}

static bool log_warns(const sc_log *l, const char *rule)
{
	for (size_t i = 0; i < l->count; i++)
		if (l->notes[i].warning && strcmp(l->notes[i].rule, rule) == 0)
			return true;
	return false;
}

static bool hop_warns(const sc_hop *h, const char *rule)
{
	if (log_warns(&h->log, rule))
		return true;
	for (size_t k = 0; k < h->steps_count; k++)
		if (log_warns(&h->steps[k].log, rule))
			return true;
	return false;
}

static void mm_warnings(FILE *out, const char *to, const sc_log *l)
{
	for (size_t i = 0; i < l->count; i++) {
		if (!l->notes[i].warning)
			continue;
		fprintf(out, "  Note over %s: ⚠ %s ", to, l->notes[i].rule);
		mm_text(out, l->notes[i].text);
		fputc('\n', out);
	}
}

static void mm_hop(FILE *out, const sc_scenario *s, const sc_hop *h)
{
	char from[SC_NAME_LEN + 8], to[SC_NAME_LEN + 8], rules[512];
	mm_id(s, h->from, from, sizeof(from));
	mm_id(s, h->to, to, sizeof(to));
	if (h->status == SC_OK) {
		fprintf(out, "  %s->>%s: ", from, to);
		mm_text(out, h->presented[0] ? h->presented : "-");
		fprintf(out, " at %s", sc_level_name(h->level_effective));
		if (h->level_effective != h->level_requested)
			fprintf(out, " (asked %s)",
				sc_level_name(h->level_requested));
	} else {
		fprintf(out, "  %s-x%s: %s, asked %s", from, to,
			sc_status_name(h->status),
			sc_level_name(h->level_requested));
		/* A call the caller's proxy refused was never sent: whom it
		 * would have presented (report_not_sent). */
		char ns[SC_IDENT_LEN + 64];
		report_not_sent(h, ns, sizeof(ns));
		if (ns[0]) {
			fputs(", ", out);
			mm_text(out, ns);
		} else if (h->presented[0]) {
			fputs(", presenting ", out);
			mm_text(out, h->presented);
		}
	}
	fputc('\n', out);
	sc_hop_rules(h, rules, sizeof(rules), " ");
	if (!rules[0])
		return;
	fprintf(out, "  Note over %s: rules", to);
	char *save = NULL;
	for (char *t = strtok_r(rules, " ", &save); t;
	     t = strtok_r(NULL, " ", &save)) {
		fputs(hop_warns(h, t) ? " ⚠" : " ", out);
		mm_text(out, t);
	}
	fputc('\n', out);
	mm_warnings(out, to, &h->log);
	for (size_t k = 0; k < h->steps_count; k++)
		mm_warnings(out, to, &h->steps[k].log);
}

void explain_mermaid(FILE *out, const char *scenario, const run_result *runs,
		     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const run_result *r = &runs[i];
		if (i)
			fputc('\n', out);
		fputs("sequenceDiagram\n  title ", out);
		mm_text(out, scenario);
		if (r->variant) {
			fputs(", variant ", out);
			mm_text(out, r->variant);
		}
		fputc('\n', out);
		if (!r->scn)
			continue;
		mm_participants(out, r->scn);
		if (!r->ran) {
			char id[SC_NAME_LEN + 8] = "unknown";
			if (r->scn->processes_count)
				mm_id(r->scn, r->scn->processes[0].name, id,
				      sizeof(id));
			fprintf(out, "  Note over %s: run failed: ", id);
			mm_text(out, r->error);
			fputc('\n', out);
			continue;
		}
		for (size_t k = 0; k < r->trace.count; k++)
			mm_hop(out, r->scn, &r->trace.hops[k]);
	}
}
