/* test_explain.c: what `run --explain`, `--format json|mermaid` and `diff`
 * promise: every hop's decisions named by rule id, warnings that stand out,
 * parseable events, one arrow per hop, and only the changes in a diff. */
#include "harness.h"

#include <criterion/criterion.h>
#include <jansson.h>

static char launch_path[512];

static void setup(void)
{
	snprintf(launch_path, sizeof(launch_path), "%s",
		 env_or("CLOAKROOM_LAUNCH", "cloakroom-launch"));
}

static void scenario_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/scenarios/%s", env_or("CLOAKROOM_SOURCE", "."),
		 name);
}

/* run FILE --variant V, then the extra arguments (up to two). */
static cmd_result run_variant(const char *name, const char *variant,
			      const char *a1, const char *a2)
{
	char file[512];
	scenario_path(file, sizeof(file), name);
	char *argv[] = {launch_path, "run", file, "--variant", (char *)variant,
			(char *)a1, (char *)a2, NULL};
	cmd_result r = cmd_run(argv);
	cr_assert_eq(r.status, 0, "%s %s: exit %d\n%s", name, variant,
		     r.status, r.err);
	return r;
}

/* The part of out from the line starting with start to the next line
 * starting with a digit (the next table line) or "PASS"/"FAIL". */
static char *hop_block(const char *out, const char *start)
{
	const char *p = strstr(out, start);
	cr_assert(p, "no line '%s' in:\n%s", start, out);
	const char *e = strchr(p, '\n');
	while (e && e[1] && !(e[1] >= '0' && e[1] <= '9') &&
	       strncmp(e + 1, "PASS", 4) && strncmp(e + 1, "FAIL", 4))
		e = strchr(e + 1, '\n');
	size_t n = e ? (size_t)(e - p) : strlen(p);
	char *b = calloc(1, n + 1);
	memcpy(b, p, n);
	return b;
}

TestSuite(explain, .init = setup, .timeout = 120);

Test(explain, seed_cloaking_dynamic_cites_c4_on_b_to_c)
{
	cmd_result r = run_variant("seed-diagram.yaml", "cloaking-dynamic",
				   "--explain", NULL);
	char *ab = hop_block(r.out, "1   A->B");
	char *bc = hop_block(r.out, "2   B->C");
	/* Every hop: the facts, who decided, numbered rule-cited notes. */
	cr_expect(strstr(ab, "caller A decided:"), "%s", ab);
	cr_expect(strstr(ab, "callee B decided:"), "%s", ab);
	cr_expect(strstr(ab, "1. [C2] "), "%s", ab);
	cr_expect(strstr(ab, "[P1] impersonates CORP\\alice"), "%s", ab);
	cr_expect(strstr(bc, "facts: level asked impersonate"), "%s", bc);
	cr_expect(strstr(bc, "crossed host yes"), "%s", bc);
	cr_expect(strstr(bc, "cloaking dynamic"), "%s", bc);
	cr_expect(strstr(bc, "caller B decided:\n      1. [C4] dynamic "
			     "cloaking: presents the thread token, CORP\\alice"),
		  "%s", bc);
	cr_expect(strstr(bc, "during the call:"), "%s", bc);
	cr_expect(strstr(bc, "[T6] granted read to CORP\\alice"), "%s", bc);
	cr_expect(strstr(bc, "outcome: C received CORP\\alice at "
			     "impersonate, OK; rules in the order they "
			     "applied: C4 "),
		  "%s", bc);
	cr_expect(!strstr(bc, "WARNING"), "%s", bc);
	free(ab);
	free(bc);
	cmd_free(&r);
}

Test(explain, seed_cloaking_off_cites_c2_on_b_to_c)
{
	cmd_result r = run_variant("seed-diagram.yaml", "cloaking-off",
				   "--explain", NULL);
	char *bc = hop_block(r.out, "2   B->C");
	cr_expect(strstr(bc, "caller B decided:\n      1. [C2] no cloaking"),
		  "%s", bc);
	cr_expect(!strstr(bc, "[C4]"), "%s", bc);
	cr_expect(strstr(bc, "[T6] read is not granted"), "%s", bc);
	cr_expect(strstr(bc, "cloaking none"), "%s", bc);
	free(bc);
	cmd_free(&r);
}

Test(explain, p2_downgrade_is_a_warning)
{
	cmd_result r = run_variant("no-impersonate-privilege.yaml",
				   "plain-user", "--explain", NULL);
	char *ab = hop_block(r.out, "1   A->B");
	cr_expect(strstr(ab, ". WARNING [P2] CORP\\bob lacks "
			     "SeImpersonatePrivilege"),
		  "%s", ab);
	cr_expect(strstr(ab, "[L3] an Identify token cannot open objects"),
		  "%s", ab);
	/* Not a terminal: no colour codes. */
	cr_expect(!strchr(r.out, '\033'));
	free(ab);
	cmd_free(&r);
}

Test(explain, json_lines_parse_and_cite_c4)
{
	cmd_result r = run_variant("seed-diagram.yaml", "cloaking-dynamic",
				   "--format", "json");
	int lines = 0, hops = 0, expects = 0, c4 = 0, summary = 0;
	char *save = NULL;
	for (char *l = strtok_r(r.out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		json_error_t err;
		json_t *ev = json_loads(l, 0, &err);
		cr_assert(json_is_object(ev), "line %d is not JSON: %s (%s)",
			  lines + 1, l, err.text);
		lines++;
		const char *kind =
			json_string_value(json_object_get(ev, "event"));
		cr_assert(kind, "no event: %s", l);
		if (strcmp(kind, "hop") == 0) {
			hops++;
			cr_expect(json_is_integer(json_object_get(ev, "hop")));
			/* B->C: C4 and L4 are B's, the rest C's. */
			cr_expect_eq(json_integer_value(
					     json_object_get(ev, "caller_notes")),
				     hops == 2 ? 2 : 1);
		} else if (strcmp(kind, "expectation") == 0) {
			expects++;
		} else if (strcmp(kind, "summary") == 0) {
			summary++;
			cr_expect(json_is_true(json_object_get(ev, "pass")));
		} else if (strcmp(kind, "rule") == 0 &&
			   strcmp(json_string_value(json_object_get(ev, "rule")),
				  "C4") == 0) {
			c4++;
			cr_expect_str_eq(json_string_value(
						 json_object_get(ev, "side")),
					 "caller");
			cr_expect_str_eq(json_string_value(
						 json_object_get(ev, "from")),
					 "B");
			cr_expect_str_eq(json_string_value(
						 json_object_get(ev, "to")),
					 "C");
			cr_expect_eq(json_integer_value(
					     json_object_get(ev, "hop")), 2);
			cr_expect(json_is_false(json_object_get(ev, "warning")));
			cr_expect_str_eq(json_string_value(
						 json_object_get(ev, "variant")),
					 "cloaking-dynamic");
		}
		json_decref(ev);
	}
	cr_expect_eq(hops, 2);
	cr_expect_eq(expects, 4);
	cr_expect_eq(c4, 1);
	cr_expect_eq(summary, 1);
	cmd_free(&r);
}

static bool is_arrow(const char *l)
{
	while (*l == ' ')
		l++;
	return strncmp(l, "Note", 4) != 0 &&
	       (strstr(l, "->>") != NULL || strstr(l, "-x") != NULL);
}

static void mermaid_check(const char *name, const char *variant,
			  int expect_ok, int expect_failed)
{
	cmd_result r = run_variant(name, variant, "--format", "mermaid");
	cr_expect(strncmp(r.out, "sequenceDiagram\n", 16) == 0, "%s", r.out);
	int ok = 0, failed = 0, boxes = 0, ends = 0;
	char *save = NULL;
	for (char *l = strtok_r(r.out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "  box host ", 11) == 0)
			boxes++;
		if (strcmp(l, "  end") == 0)
			ends++;
		if (is_arrow(l))
			strstr(l, "->>") ? ok++ : failed++;
		/* Mermaid ends a text at ';' and reads '#' as an entity. */
		const char *c = strchr(l, ':');
		if (c)
			for (const char *h = strchr(c, '#'); h;
			     h = strchr(h + 1, '#'))
				cr_expect(strchr(h, ';'), "bare #: %s", l);
	}
	cr_expect_eq(ok, expect_ok, "%s %s: %d ok arrows", name, variant, ok);
	cr_expect_eq(failed, expect_failed, "%s %s: %d failed arrows", name,
		     variant, failed);
	cr_expect_gt(boxes, 0);
	cr_expect_eq(boxes, ends);
	cmd_free(&r);
}

Test(explain, mermaid_one_arrow_per_hop_in_host_boxes)
{
	mermaid_check("seed-diagram.yaml", "cloaking-dynamic", 2, 0);
	cmd_result r = run_variant("seed-diagram.yaml", "cloaking-dynamic",
				   "--format", "mermaid");
	cr_expect(strstr(r.out, "  box host ws1\n    participant A\n    "
				"participant B\n  end\n  box host srv2\n    "
				"participant C\n  end\n"),
		  "%s", r.out);
	cr_expect(strstr(r.out, "  B->>C: CORP\\alice at impersonate\n"),
		  "%s", r.out);
	cr_expect(strstr(r.out, "  Note over C: rules C4 "), "%s", r.out);
	cmd_free(&r);
}

Test(explain, mermaid_failed_hop_and_warning)
{
	mermaid_check("double-hop.yaml", "impersonate", 1, 1);
	cmd_result r = run_variant("no-impersonate-privilege.yaml",
				   "plain-user", "--format", "mermaid");
	cr_expect(strstr(r.out, "⚠P2"), "%s", r.out);
	cr_expect(strstr(r.out, "Note over B: ⚠ P2 "), "%s", r.out);
	cmd_free(&r);
}

static void to_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
}

Test(explain, diff_reports_only_the_cloaking_change)
{
	char dir[] = "/tmp/cloakroom-diff-XXXXXX", off[64], dyn[64];
	cr_assert(mkdtemp(dir));
	snprintf(off, sizeof(off), "%s/off.json", dir);
	snprintf(dyn, sizeof(dyn), "%s/dyn.json", dir);
	cmd_result a = run_variant("seed-diagram.yaml", "cloaking-off",
				   "--json", NULL);
	cmd_result b = run_variant("seed-diagram.yaml", "cloaking-dynamic",
				   "--json", NULL);
	to_file(off, a.out);
	to_file(dyn, b.out);
	cmd_free(&a);
	cmd_free(&b);

	char *argv[] = {launch_path, "diff", off, dyn, NULL};
	cmd_result d = cmd_run(argv);
	cr_expect_eq(d.status, 1, "exit %d: %s", d.status, d.err);
	int presented = 0, lines = 0;
	char *save = NULL;
	for (char *l = strtok_r(d.out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		lines++;
		cr_expect(strncmp(l, "B->C ", 5) == 0,
			  "a line not about B->C: %s", l);
		if (strstr(l, "presented"))
			presented++;
	}
	cmd_free(&d);
	cmd_result d2 = cmd_run(argv);
	cr_expect(strstr(d2.out, "B->C presented: CORP\\svc-b -> "
				 "CORP\\alice\n"),
		  "%s", d2.out);
	cr_expect(strstr(d2.out, "B->C step 2 (open report) status: "
				 "ACCESS_DENIED -> OK\n"),
		  "%s", d2.out);
	cmd_free(&d2);
	cr_expect_eq(presented, 1);
	cr_expect_gt(lines, 0);

	char *same[] = {launch_path, "diff", off, off, NULL};
	cmd_result s = cmd_run(same);
	cr_expect_eq(s.status, 0, "exit %d: %s", s.status, s.err);
	cr_expect_str_eq(s.out, "");
	cmd_free(&s);

	char bad[64];
	snprintf(bad, sizeof(bad), "%s/bad.json", dir);
	to_file(bad, "{\"hops\": [1, {\"from\": 2}]");
	char *badv[] = {launch_path, "diff", bad, off, NULL};
	cmd_result e = cmd_run(badv);
	cr_expect_eq(e.status, 2, "exit %d", e.status);
	cr_expect_str_eq(e.out, "");
	cmd_free(&e);
	unlink(bad);
	unlink(off);
	unlink(dyn);
	rmdir(dir);
}
