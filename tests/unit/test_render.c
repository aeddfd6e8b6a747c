/* test_render.c: the renderers of cli/render, without daemons, on a
 * trace built in memory: a call its caller's proxy refused before
 * sending it (nothing presented) names, in the table (wide and narrow),
 * --explain, Mermaid, SVG, HTML and the JSON, whom the caller's cloaking
 * chose: "not sent; would have presented CORP\alice" (sc_hop.chosen). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "html.h"
#include "report.h"
#include "svg.h"

#define WOULD "not sent; would have presented CORP\\alice"

/* ws1: A (alice); app1: B (svc-b); srv2: C (svc-c). A->B is sent and
 * presents alice; B->C, asked Delegate, is refused at B's proxy (C6)
 * after C4 chose alice's thread token; with refused_blanket, B's proxy
 * refused the blanket (C1) before choosing anyone. */
typedef struct world {
	sc_host_def hosts[3];
	sc_process_def procs[3];
	sc_scenario scn;
	run_result r;
} world;

static void world_init(world *w, bool refused_blanket)
{
	memset(w, 0, sizeof(*w));
	static char *const hn[] = {"ws1", "app1", "srv2"};
	static char *const pn[] = {"A", "B", "C"};
	static char *const an[] = {"alice", "svc-b", "svc-c"};
	for (int k = 0; k < 3; k++) {
		w->hosts[k].name = hn[k];
		w->procs[k].name = pn[k];
		w->procs[k].host = hn[k];
		w->procs[k].account = an[k];
	}
	w->scn.name = "refused";
	w->scn.hosts = w->hosts;
	w->scn.hosts_count = 3;
	w->scn.processes = w->procs;
	w->scn.processes_count = 3;
	w->r.scn = &w->scn;
	w->r.ran = true;
	sc_trace *t = &w->r.trace;
	sc_trace_init(t);

	int i = sc_trace_add_hop(t);
	cr_assert_geq(i, 0);
	sc_hop *h = &t->hops[i];
	strcpy(h->from, "A");
	strcpy(h->to, "B");
	strcpy(h->from_host, "ws1");
	strcpy(h->to_host, "app1");
	h->crossed_host = true;
	h->level_requested = SC_LEVEL_IMPERSONATE;
	h->level_effective = SC_LEVEL_IMPERSONATE;
	strcpy(h->presented, "CORP\\alice");
	strcpy(h->chosen, "CORP\\alice");
	sc_log_rule(&h->log, "C2", "no cloaking: presents CORP\\alice");
	h->caller_notes = 1;

	i = sc_trace_add_hop(t);
	cr_assert_geq(i, 0);
	h = &t->hops[i];
	strcpy(h->from, "B");
	strcpy(h->to, "C");
	strcpy(h->from_host, "app1");
	strcpy(h->to_host, "srv2");
	h->crossed_host = true;
	h->level_requested = SC_LEVEL_DELEGATE;
	h->not_sent = true;
	if (refused_blanket) {
		h->status = SC_INVALID_BLANKET;
		sc_log_rule(&h->log, "C1", "static and dynamic cloaking both "
					   "set");
	} else {
		h->status = SC_ACCESS_DENIED;
		strcpy(h->chosen, "CORP\\alice");
		sc_log_rule(&h->log, "C4", "dynamic cloaking: presents the "
					   "thread token, CORP\\alice");
		sc_log_rule(&h->log, "C6", "CORP\\alice cannot cross a second "
					   "host boundary");
	}
	h->caller_notes = (unsigned)h->log.count;
}

static void world_free(world *w)
{
	sc_trace_free(&w->r.trace);
}

typedef enum { TEXT, EXPLAIN, MERMAID, SVG, HTML } form;

static char *render(const world *w, form f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	cr_assert_not_null(out);
	switch (f) {
	case TEXT:
		report_text(out, "refused", &w->r, 1, false);
		break;
	case EXPLAIN:
		explain_text(out, "refused", &w->r, 1, false);
		break;
	case MERMAID:
		explain_mermaid(out, "refused", &w->r, 1);
		break;
	case SVG:
		cr_assert_eq(explain_svg(out, "refused", &w->r, 1), 0);
		break;
	case HTML:
		cr_assert_eq(explain_html(out, "refused", &w->r, 1), 0);
		break;
	}
	fclose(out);
	return buf;
}

/* s from the first occurrence of prefix on. */
static const char *hop_part(const char *s, const char *prefix)
{
	const char *p = strstr(s, prefix);
	cr_assert_not_null(p, "no '%s' in:\n%s", prefix, s);
	return p;
}

Test(render, the_table_says_whom_a_refused_call_would_have_presented)
{
	world w;
	world_init(&w, false);
	report_set_width(0); /* --wide */
	char *out = render(&w, TEXT);
	const char *bc = hop_part(out, "2 B->C ");
	cr_expect(strstr(bc, "\n      " WOULD "\n") != NULL, "%s", out);
	/* Nothing was presented: the row's presented column stays "-". */
	size_t row = strcspn(bc, "\n");
	cr_expect(!memmem(bc, row, "alice", 5), "%s", out);
	cr_expect(memmem(bc, row, " - ", 3) != NULL, "%s", out);
	/* Only the refused call says it. */
	cr_expect(strstr(out, "not sent") == strstr(bc, "not sent"), "%s",
		  out);
	free(out);
	world_free(&w);
}

/* On a terminal too narrow for the table each hop is a block of lines:
 * the line is wrapped to the width, and every word of it is there. */
Test(render, a_narrow_terminal_wraps_the_refused_call_s_line)
{
	world w;
	world_init(&w, false);
	report_set_width(30);
	char *out = render(&w, TEXT);
	report_set_width(0);
	/* Every line of the hops (the summary after them is not the
	 * table's). */
	const char *bc = hop_part(out, "2 B->C ");
	char *copy = strndup(out, (size_t)(strstr(out, "\nexpectations") -
					   out));
	char *save = NULL;
	for (char *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save))
		cr_expect_leq(report_disp_width(l), 30, "'%s' in:\n%s", l,
			      out);
	free(copy);
	cr_expect(strstr(bc, "\n      not sent; would have\n"
			     "        presented CORP\\alice\n") != NULL,
		  "%s", out);
	free(out);
	world_free(&w);
}

Test(render, explain_names_it_in_the_outcome)
{
	world w;
	world_init(&w, false);
	report_set_width(0);
	char *out = render(&w, EXPLAIN);
	cr_expect(strstr(out, "    outcome: failed with ACCESS_DENIED (" WOULD
			      "); rules in the order they applied: C4 C6\n") !=
			  NULL,
		  "%s", out);
	cr_expect(strstr(out, "callee C decided: nothing (no call was made: "
			      "B's proxy refused it)\n") != NULL,
		  "%s", out);
	free(out);
	world_free(&w);
}

Test(render, the_mermaid_arrow_names_it)
{
	world w;
	world_init(&w, false);
	char *out = render(&w, MERMAID);
	/* ';' ends a Mermaid message: written as its entity. */
	cr_expect(strstr(out, "  B-xC: ACCESS_DENIED, asked delegate, not "
			      "sent#59; would have presented CORP\\alice\n") !=
			  NULL,
		  "%s", out);
	cr_expect(strstr(out, "  A->>B: CORP\\alice at impersonate\n") != NULL,
		  "%s", out);
	free(out);
	world_free(&w);
}

Test(render, the_svg_arrow_names_it)
{
	world w;
	world_init(&w, false);
	char *out = render(&w, SVG);
	cr_expect(strstr(out, ">" WOULD "</text>") != NULL, "%s", out);
	cr_expect(strstr(out, "\xe2\x9c\x97 ACCESS_DENIED, asked delegate,")
			  != NULL,
		  "%s", out);
	free(out);
	world_free(&w);
}

Test(render, the_html_report_names_it)
{
	world w;
	world_init(&w, false);
	char *out = render(&w, HTML);
	/* In the hop table and in the hop's summary line. */
	cr_expect(strstr(out, "<td>" WOULD "</td>") != NULL, "%s", out);
	cr_expect(strstr(out, "C: " WOULD ", ACCESS_DENIED</summary>") != NULL,
		  "%s", out);
	free(out);
	world_free(&w);
}

/* A blanket refused before any identity was chosen (C1): "not sent",
 * and no one it would have presented. */
Test(render, a_call_refused_before_choosing_names_nobody)
{
	world w;
	world_init(&w, true);
	report_set_width(0);
	char *out = render(&w, TEXT);
	cr_expect(strstr(out, "\n      not sent\n") != NULL, "%s", out);
	cr_expect(strstr(out, "would have") == NULL, "%s", out);
	free(out);
	out = render(&w, MERMAID);
	cr_expect(strstr(out, "  B-xC: INVALID_BLANKET, asked delegate, not "
			      "sent\n") != NULL,
		  "%s", out);
	free(out);
	out = render(&w, EXPLAIN);
	cr_expect(strstr(out, "failed with INVALID_BLANKET (not sent); ") !=
			  NULL,
		  "%s", out);
	free(out);
	world_free(&w);
}

Test(render, the_json_hop_has_chosen_beside_presented)
{
	world w;
	world_init(&w, false);
	json_t *ab = report_hop_json(&w.r.trace.hops[0]);
	json_t *bc = report_hop_json(&w.r.trace.hops[1]);
	cr_assert_not_null(ab);
	cr_assert_not_null(bc);
	cr_expect_str_eq(json_string_value(json_object_get(ab, "chosen")),
			 "CORP\\alice");
	cr_expect_str_eq(json_string_value(json_object_get(ab, "presented")),
			 "CORP\\alice");
	cr_expect(json_is_true(json_object_get(ab, "sent")));
	cr_expect_str_eq(json_string_value(json_object_get(bc, "chosen")),
			 "CORP\\alice");
	cr_expect_str_eq(json_string_value(json_object_get(bc, "presented")),
			 "");
	cr_expect(json_is_false(json_object_get(bc, "sent")));
	json_decref(ab);
	json_decref(bc);
	world_free(&w);
}

/* The JSON Lines hop event (--format json) carries the same fields. */
Test(render, the_json_lines_hop_event_has_chosen)
{
	world w;
	world_init(&w, false);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	cr_assert_eq(explain_jsonl(out, "refused", &w.r, 1), 0);
	fclose(out);
	bool seen = false;
	char *save = NULL;
	for (char *l = strtok_r(buf, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		json_t *ev = json_loads(l, 0, NULL);
		cr_assert_not_null(ev, "%s", l);
		if (strcmp(json_string_value(json_object_get(ev, "event")),
			   "hop") == 0 &&
		    json_integer_value(json_object_get(ev, "hop")) == 2) {
			seen = true;
			cr_expect_str_eq(json_string_value(
						 json_object_get(ev, "chosen")),
					 "CORP\\alice");
			cr_expect(json_is_false(json_object_get(ev, "sent")));
		}
		json_decref(ev);
	}
	cr_expect(seen);
	free(buf);
	world_free(&w);
}
