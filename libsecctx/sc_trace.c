/* sc_trace.c: the hop-by-hop record of a run, and expectations checked
 * against it. Model only: no I/O, no gRPC. */
#include "sc_trace.h"

#include "sc_acl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sc_trace_init(sc_trace *t)
{
	memset(t, 0, sizeof(*t));
}

static void steps_free(sc_step_result *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sc_log_free(&s[i].log);
	free(s);
}

void sc_trace_free(sc_trace *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->count; i++) {
		sc_log_free(&t->hops[i].log);
		steps_free(t->hops[i].steps, t->hops[i].steps_count);
		sc_token_free(t->hops[i].caller_token);
		sc_token_free(t->hops[i].built_token);
	}
	free(t->hops);
	steps_free(t->steps, t->steps_count);
	sc_trace_init(t);
}

static int grow(void **p, size_t *cap, size_t count, size_t size)
{
	if (count < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 4;
	void *n = realloc(*p, nc * size);
	if (!n)
		return SC_ERR_NOMEM;
	*p = n;
	*cap = nc;
	return 0;
}

int sc_trace_add_hop(sc_trace *t)
{
	if (grow((void **)&t->hops, &t->cap, t->count, sizeof(sc_hop)) != 0)
		return -1;
	sc_hop *h = &t->hops[t->count];
	memset(h, 0, sizeof(*h));
	sc_log_init(&h->log);
	return (int)t->count++;
}

sc_step_result *sc_trace_add_step(sc_trace *t, int hop)
{
	sc_step_result **arr;
	size_t *count, *cap;
	if (hop < 0) {
		arr = &t->steps;
		count = &t->steps_count;
		cap = &t->steps_cap;
	} else {
		if ((size_t)hop >= t->count)
			return NULL;
		arr = &t->hops[hop].steps;
		count = &t->hops[hop].steps_count;
		cap = &t->hops[hop].steps_cap;
	}
	if (grow((void **)arr, cap, *count, sizeof(sc_step_result)) != 0)
		return NULL;
	sc_step_result *s = &(*arr)[(*count)++];
	memset(s, 0, sizeof(*s));
	s->hop = -1;
	sc_log_init(&s->log);
	return s;
}

int sc_trace_move(sc_trace *dst, sc_trace *src)
{
	int first = (int)dst->count;
	for (size_t i = 0; i < src->count; i++) {
		if (grow((void **)&dst->hops, &dst->cap, dst->count,
			 sizeof(sc_hop)) != 0)
			return -1;
		sc_hop *h = &dst->hops[dst->count++];
		*h = src->hops[i];
		for (size_t k = 0; k < h->steps_count; k++)
			if (h->steps[k].hop >= 0)
				h->steps[k].hop += first;
	}
	free(src->hops);
	src->hops = NULL;
	src->count = src->cap = 0;
	return first;
}

static void add_rule(char *buf, size_t len, const char *sep, const char *r)
{
	if (!r[0])
		return; /* an input error's note names no rule */
	/* Deduplicate: look for r as a whole item. */
	size_t rl = strlen(r), sl = strlen(sep);
	const char *p = buf;
	while ((p = strstr(p, r)) != NULL) {
		bool start = p == buf || (p - buf >= (long)sl &&
					  strncmp(p - sl, sep, sl) == 0);
		bool end = p[rl] == '\0' || strncmp(p + rl, sep, sl) == 0;
		if (start && end)
			return;
		p += rl;
	}
	size_t used = strlen(buf);
	snprintf(buf + used, len - used, "%s%s", used ? sep : "", r);
}

void sc_hop_rules(const sc_hop *h, char *buf, size_t len, const char *sep)
{
	if (len == 0)
		return;
	buf[0] = '\0';
	size_t end = h->log.count - sc_hop_closing_notes(h);
	for (size_t i = 0; i < end; i++)
		add_rule(buf, len, sep, h->log.notes[i].rule);
	for (size_t s = 0; s < h->steps_count; s++)
		for (size_t i = 0; i < h->steps[s].log.count; i++)
			add_rule(buf, len, sep, h->steps[s].log.notes[i].rule);
	for (size_t i = end; i < h->log.count; i++)
		add_rule(buf, len, sep, h->log.notes[i].rule);
}

/* sc_exec.c's serve writes one note after the steps, T5 when a step left
 * the thread impersonating (SC_NOTE_CALL_ENDS); every other note of the
 * hop's log, T5's apartment notes included, comes before them. */
size_t sc_hop_closing_notes(const sc_hop *h)
{
	if (h->steps_count == 0 || h->log.count <= h->caller_notes)
		return 0;
	const sc_note *n = &h->log.notes[h->log.count - 1];
	return strcmp(n->rule, "T5") == 0 &&
			       strcmp(n->text, SC_NOTE_CALL_ENDS) == 0
		       ? 1
		       : 0;
}

/* "B->C" or "B->C#2": the n-th hop from B to C. Process names compare
 * as the loader checks them: case-insensitively. */
static const sc_hop *find_hop(const sc_trace *t, const char *spec)
{
	char from[SC_NAME_LEN], to[SC_NAME_LEN];
	const char *arrow = strstr(spec, "->");
	if (!arrow || (size_t)(arrow - spec) >= sizeof(from))
		return NULL;
	snprintf(from, sizeof(from), "%.*s", (int)(arrow - spec), spec);
	snprintf(to, sizeof(to), "%s", arrow + 2);
	unsigned nth = 1;
	char *hash = strchr(to, '#');
	if (hash) {
		*hash = '\0';
		nth = (unsigned)atoi(hash + 1);
	}
	for (size_t i = 0; i < t->count; i++) {
		const sc_hop *h = &t->hops[i];
		if (strcasecmp(h->from, from) == 0 &&
		    strcasecmp(h->to, to) == 0 && --nth == 0)
			return h;
	}
	return NULL;
}

static const sc_step_result *find_in(const sc_step_result *s, size_t n,
				     const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s[i].id, id) == 0)
			return &s[i];
	return NULL;
}

static const sc_step_result *find_step(const sc_trace *t, const char *id)
{
	const sc_step_result *s = find_in(t->steps, t->steps_count, id);
	for (size_t i = 0; !s && i < t->count; i++)
		s = find_in(t->hops[i].steps, t->hops[i].steps_count, id);
	return s;
}

/* "CORP\\alice" matches "CORP\\alice" and "alice". */
static bool same_identity(const char *want, const char *seen)
{
	if (strcasecmp(want, seen) == 0)
		return true;
	if (strchr(want, '\\'))
		return false;
	const char *bs = strrchr(seen, '\\');
	return bs && strcasecmp(want, bs + 1) == 0;
}

static bool log_has(const sc_log *l, const char *rule, bool warnings_only)
{
	for (size_t i = 0; i < l->count; i++)
		if ((!warnings_only || l->notes[i].warning) &&
		    strcasecmp(l->notes[i].rule, rule) == 0)
			return true;
	return false;
}

/* A hop's own decisions: the caller's and the callee's notes on the call
 * itself, not the notes of the steps the callee ran inside it (each step
 * is checked with a step expectation). */
static bool hop_has(const sc_hop *h, const char *rule, bool warnings_only)
{
	return log_has(&h->log, rule, warnings_only);
}

/* The one level a step reports: the level a query_level step read, the
 * level of a duplicate step's copy, and for any other step the level of
 * the token it ran as (default: a primary token). */
static sc_level step_level(const sc_step_result *s)
{
	if (s->kind == SC_STEP_QUERY_LEVEL || s->kind == SC_STEP_DUPLICATE)
		return s->level;
	return s->as_level;
}

/* `warning: none`: no warning at all (the hop's own notes, or the
 * step's); else the rule must be among the warnings. */
static bool no_warning(const sc_log *l)
{
	for (size_t i = 0; i < l->count; i++)
		if (l->notes[i].warning)
			return false;
	return true;
}

static bool warning_ok(const sc_log *l, const sc_hop *h, const char *want)
{
	if (strcasecmp(want, "none") == 0)
		return no_warning(l);
	return h ? hop_has(h, want, true) : log_has(l, want, true);
}

#define APPEND(buf, ...)                                                     \
	snprintf((buf) + strlen(buf), sizeof(buf) - strlen(buf), __VA_ARGS__)

/* Whether needle occurs in hay, case-insensitively. */
static bool has_text(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return n == 0;
}

/* `note:` a substring of the text of one of l's notes; with `rule:`
 * given, of one of that rule's notes. */
static bool note_ok(const sc_log *l, const char *rule, const char *want)
{
	for (size_t i = 0; i < l->count; i++)
		if ((!rule || strcasecmp(l->notes[i].rule, rule) == 0) &&
		    has_text(l->notes[i].text, want))
			return true;
	return false;
}

/* `status: NAME`, or `status: "!NAME"`: any status but NAME. */
static bool status_ok(const char *want, sc_status seen)
{
	bool same = strcasecmp(sc_expect_status_name(want),
			       sc_status_name(seen)) == 0;
	return sc_expect_status_negated(want) ? !same : same;
}

/* The fields a hop and a step share, in the expectation's text. */
static void text_common(const sc_expect_def *e, sc_expect_result *r)
{
	if (e->warning)
		APPEND(r->text, " warning %s", e->warning);
	if (e->rule)
		APPEND(r->text, " rule %s", e->rule);
	if (e->absent)
		APPEND(r->text, " without %s", e->absent);
	if (e->note)
		APPEND(r->text, " note '%s'", e->note);
}

static void text_status(const sc_expect_def *e, sc_expect_result *r)
{
	if (!e->status)
		return;
	if (sc_expect_status_negated(e->status))
		APPEND(r->text, " status not %s",
		       sc_expect_status_name(e->status));
	else
		APPEND(r->text, " status %s", e->status);
}

/* The checks on a hop's or a step's notes: warning, rule, absent,
 * note. hop is the hop when l is its log, else NULL. */
static void eval_notes(const sc_expect_def *e, const sc_log *l,
		       const sc_hop *h, sc_expect_result *r)
{
	if (e->warning && !warning_ok(l, h, e->warning)) {
		r->pass = false;
		if (strcasecmp(e->warning, "none") == 0)
			APPEND(r->why, "a warning was given; ");
		else
			APPEND(r->why, "no %s warning; ", e->warning);
	}
	if (e->rule && !log_has(l, e->rule, false)) {
		r->pass = false;
		APPEND(r->why, "rule %s did not apply; ", e->rule);
	}
	/* absent: no note of the rule, decision or warning. */
	if (e->absent && log_has(l, e->absent, false)) {
		r->pass = false;
		APPEND(r->why, "%s applied; ", e->absent);
	}
	if (e->note && !note_ok(l, e->rule, e->note)) {
		r->pass = false;
		APPEND(r->why, "no %s%snote says '%s'; ",
		       e->rule ? e->rule : "", e->rule ? " " : "", e->note);
	}
}

static void eval_hop(const sc_expect_def *e, const sc_trace *t,
		     sc_expect_result *r)
{
	APPEND(r->text, "%s:", e->hop);
	if (e->presented)
		APPEND(r->text, " presented %s", e->presented);
	if (e->chosen)
		APPEND(r->text, " chosen %s", e->chosen);
	if (e->level)
		APPEND(r->text, " level %s", e->level);
	if (e->authn)
		APPEND(r->text, " authn %s", e->authn);
	text_status(e, r);
	text_common(e, r);

	const sc_hop *h = find_hop(t, e->hop);
	if (e->ran) {
		/* A hop ran when its call was made: one the caller's proxy
		 * refused before sending (C1, C5, C6, D4, D5, D8) did not,
		 * though the trace records the refusal. */
		bool made = h && !h->not_sent;
		APPEND(r->text, " %s", *e->ran ? "ran" : "did not run");
		r->pass = made == *e->ran;
		if (!r->pass)
			APPEND(r->why, "%s",
			       made ? "the hop ran"
			       : h  ? "no call was made: the caller's proxy "
				      "refused it"
				    : "no such hop in the run");
		if (!h || !r->pass)
			return;
	}
	if (!h) {
		r->pass = false;
		APPEND(r->why, "no such hop in the run");
		return;
	}
	r->pass = true;
	if (e->presented && !same_identity(e->presented, h->presented)) {
		r->pass = false;
		APPEND(r->why, "presented %s; ",
		       h->presented[0] ? h->presented : "nobody");
	}
	/* The identity the caller's cloaking chose, also for a call its
	 * proxy refused (C5, C6, D3-D6), when nothing was presented. */
	if (e->chosen && !same_identity(e->chosen, h->chosen)) {
		r->pass = false;
		APPEND(r->why, "chosen %s; ",
		       h->chosen[0] ? h->chosen : "nobody");
	}
	sc_level want;
	if (e->level && (sc_level_parse(e->level, &want) != 0 ||
			 want != h->level_effective)) {
		r->pass = false;
		APPEND(r->why, "level %s; ", sc_level_name(h->level_effective));
	}
	sc_authn authn;
	if (e->authn && (sc_authn_parse(e->authn, &authn) != 0 ||
			 authn != h->authn)) {
		r->pass = false;
		APPEND(r->why, "authn %s; ", sc_authn_name(h->authn));
	}
	if (e->status && !status_ok(e->status, h->status)) {
		r->pass = false;
		APPEND(r->why, "status %s; ", sc_status_name(h->status));
	}
	/* A hop's own decisions: the caller's and the callee's notes on
	 * the call itself (hop_has), not those of the callee's steps. */
	eval_notes(e, &h->log, h, r);
}

static void eval_step(const sc_expect_def *e, const sc_trace *t,
		      sc_expect_result *r)
{
	APPEND(r->text, "step %s:", e->step);
	if (e->presented)
		APPEND(r->text, " as %s", e->presented);
	text_status(e, r);
	if (e->level)
		APPEND(r->text, " level %s", e->level);
	if (e->granted)
		APPEND(r->text, " granted %s", e->granted);
	if (e->runs_as)
		APPEND(r->text, " runs as %s", e->runs_as);
	text_common(e, r);

	const sc_step_result *s = find_step(t, e->step);
	if (e->ran) {
		APPEND(r->text, " %s", *e->ran ? "ran" : "did not run");
		r->pass = !s == !*e->ran;
		if (!r->pass)
			APPEND(r->why, s ? "the step ran" : "the step did not run");
		if (!s || !r->pass)
			return;
	}
	if (!s) {
		r->pass = false;
		APPEND(r->why, "the step did not run");
		return;
	}
	r->pass = true;
	if (e->presented && !same_identity(e->presented, s->as)) {
		r->pass = false;
		APPEND(r->why, "ran as %s; ", s->as);
	}
	if (e->status && !status_ok(e->status, s->status)) {
		r->pass = false;
		APPEND(r->why, "status %s; ", sc_status_name(s->status));
	}
	sc_level want;
	if (e->level && (sc_level_parse(e->level, &want) != 0 ||
			 want != step_level(s))) {
		r->pass = false;
		APPEND(r->why, "level %s; ", sc_level_name(step_level(s)));
	}
	if (e->granted) {
		/* T6: access masks compare, each side mapped through the
		 * object's type: GENERIC_READ, read and FILE_GENERIC_READ's
		 * parts are one mask on a file. */
		char seen[128];
		uint32_t want;
		sc_acl_rights_format(s->object_type, s->granted, seen,
				     sizeof(seen));
		if (sc_acl_rights_mask(s->object_type, e->granted, &want) != 0 ||
		    want != sc_acl_map_generic(s->granted,
					       sc_acl_mapping(s->object_type))) {
			r->pass = false;
			APPEND(r->why, "granted %s; ", seen);
		}
	}
	/* T4: a start_process step records the new process's account as
	 * its object. */
	if (e->runs_as && (s->kind != SC_STEP_START_PROCESS ||
			   !same_identity(e->runs_as, s->object))) {
		r->pass = false;
		APPEND(r->why, "the new process runs as %s; ",
		       s->kind == SC_STEP_START_PROCESS ? s->object
							: "nobody (no process)");
	}
	eval_notes(e, &s->log, NULL, r);
}

unsigned sc_expect_eval(const sc_expect_def *ex, unsigned n,
			const sc_trace *t, sc_expect_result *out)
{
	unsigned failed = 0;
	for (unsigned i = 0; i < n; i++) {
		sc_expect_result *r = &out[i];
		memset(r, 0, sizeof(*r));
		if (ex[i].hop)
			eval_hop(&ex[i], t, r);
		else if (ex[i].step)
			eval_step(&ex[i], t, r);
		else
			snprintf(r->why, sizeof(r->why),
				 "names neither a hop nor a step");
		size_t wl = strlen(r->why);
		if (wl >= 2 && r->why[wl - 2] == ';')
			r->why[wl - 2] = '\0';
		if (!r->pass)
			failed++;
	}
	return failed;
}
