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
	char *ab = hop_block(r.out, "1 A->B");
	char *bc = hop_block(r.out, "2 B->C");
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
	char *bc = hop_block(r.out, "2 B->C");
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
	char *ab = hop_block(r.out, "1 A->B");
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
	mermaid_check("double-hop.yaml", "as-written", 1, 1);
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

	/* Exactly three lines, all about B->C: the identity C received,
	 * the cloaking rule that chose it (C2 -> C4, the other rule ids the
	 * same), and what that identity could do at C. Nothing about A->B,
	 * and no level, status or warning line: nothing else changed. */
	char *argv[] = {launch_path, "diff", off, dyn, NULL};
	cmd_result d = cmd_run(argv);
	cr_expect_eq(d.status, 1, "exit %d: %s", d.status, d.err);
	char *lines[8] = {0};
	int n = 0;
	char *save = NULL;
	for (char *l = strtok_r(d.out, "\n", &save); l && n < 8;
	     l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	cr_assert_eq(n, 3, "diff printed %d lines", n);
	cr_expect_str_eq(lines[0], "B->C presented: CORP\\svc-b -> CORP\\alice");
	const char *rules = "B->C rules: C2 ";
	cr_assert(strncmp(lines[1], rules, strlen(rules)) == 0, "%s",
		  lines[1]);
	const char *arrow = strstr(lines[1], " -> C4 ");
	cr_assert(arrow, "%s", lines[1]);
	/* "C2 L4 ... -> C4 L4 ...": the same ids after the first. */
	size_t rest = (size_t)(arrow - (lines[1] + strlen(rules)));
	cr_expect(strlen(arrow + 7) == rest &&
			  strncmp(lines[1] + strlen(rules), arrow + 7, rest) == 0,
		  "rule ids other than the cloaking rule changed: %s",
		  lines[1]);
	cr_expect_str_eq(lines[2], "B->C step 2 (open report) status: "
				   "ACCESS_DENIED -> OK");
	cmd_free(&d);

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

/* run FILE with the extra arguments, all variants; exit status 0. */
static cmd_result run_all(const char *name, const char *a1, const char *a2)
{
	char file[512];
	scenario_path(file, sizeof(file), name);
	char *argv[] = {launch_path, "run", file, (char *)a1, (char *)a2,
			NULL};
	cmd_result r = cmd_run(argv);
	cr_assert_eq(r.status, 0, "%s: exit %d\n%s", name, r.status, r.err);
	return r;
}

/* The table's columns are as wide as their widest cell over every
 * variant: the header is the same for each variant, each hop line has
 * its cells where the header has its names, and the table is narrow. */
Test(explain, table_columns_fit_and_line_up_across_variants)
{
	cmd_result r = run_all("seed-diagram.yaml", NULL, NULL);
	const char *p = r.out, *first = NULL;
	size_t first_len = 0, headers = 0, rows = 0;
	const char *names[] = {"hop", "hosts", "presented", "status",
			       "access", "rules"};
	size_t at[6] = {0};
	while (p && *p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (strncmp(p, "# hop ", 6) == 0) {
			if (!first) {
				first = p;
				first_len = n;
				for (int c = 0; c < 6; c++) {
					const char *q = strstr(p, names[c]);
					cr_assert(q && (size_t)(q - p) < n);
					at[c] = (size_t)(q - p);
				}
			} else {
				cr_expect(n == first_len &&
					      strncmp(p, first, n) == 0,
					  "variants' headers differ:\n%.*s\n%.*s",
					  (int)first_len, first, (int)n, p);
			}
			headers++;
		} else if (first && p[0] >= '1' && p[0] <= '9' && p[1] == ' ') {
			/* A hop line: a cell starts under each name. */
			for (int c = 0; c < 6; c++)
				cr_expect(at[c] < n && p[at[c] - 1] == ' ' &&
					      p[at[c]] != ' ',
					  "no cell under '%s' in:\n%.*s",
					  names[c], (int)n, p);
			cr_expect(n < 120, "a %zu-column line:\n%.*s", n,
				  (int)n, p);
			rows++;
		}
		p = e ? e + 1 : NULL;
	}
	cr_expect_eq(headers, 3, "one header per case");
	cr_expect_eq(rows, 6, "two hops per case");
	cmd_free(&r);
}

static bool is_rule_id(const char *s)
{
	if (!s || !(s[0] >= 'A' && s[0] <= 'Z') || !s[1])
		return false;
	for (const char *c = s + 1; *c; c++)
		if (!(*c >= '0' && *c <= '9'))
			return false;
	return true;
}

/* Every hop of every variant of the seed scenarios: rule ids, the first
 * of them the caller's, each note naming one. */
Test(explain, every_hop_of_the_seed_scenarios_carries_rule_ids)
{
	static const char *const seeds[] = {
		"seed-diagram.yaml", "double-hop.yaml",
		"no-impersonate-privilege.yaml", "identify-cloaked.yaml",
		"anonymous-remote.yaml"};
	for (size_t f = 0; f < sizeof(seeds) / sizeof(seeds[0]); f++) {
		cmd_result r = run_all(seeds[f], "--json", NULL);
		json_error_t err;
		json_t *root = json_loads(r.out, 0, &err);
		cr_assert(root, "%s: %s", seeds[f], err.text);
		json_t *vs = json_object_get(root, "variants");
		size_t nv = vs ? json_array_size(vs) : 1, hops = 0;
		for (size_t v = 0; v < nv; v++) {
			json_t *run = vs ? json_array_get(vs, v) : root;
			json_t *hs = json_object_get(run, "hops");
			for (size_t i = 0; i < json_array_size(hs); i++, hops++) {
				json_t *h = json_array_get(hs, i);
				json_t *rules = json_object_get(h, "rules");
				json_t *notes = json_object_get(h, "notes");
				cr_expect_gt(json_array_size(rules), 0,
					     "%s variant %zu hop %zu: no rule",
					     seeds[f], v, i + 1);
				cr_expect_gt(json_integer_value(json_object_get(
						     h, "caller_notes")),
					     0, "%s hop %zu", seeds[f], i + 1);
				for (size_t k = 0; k < json_array_size(rules);
				     k++)
					cr_expect(is_rule_id(json_string_value(
							  json_array_get(rules,
									 k))),
						  "%s hop %zu rule %zu",
						  seeds[f], i + 1, k);
				for (size_t k = 0; k < json_array_size(notes);
				     k++)
					cr_expect(is_rule_id(json_string_value(
							  json_object_get(
								  json_array_get(
									  notes,
									  k),
								  "rule"))),
						  "%s hop %zu note %zu",
						  seeds[f], i + 1, k);
			}
		}
		cr_expect_gt(hops, 0, "%s: no hop", seeds[f]);
		json_decref(root);
		cmd_free(&r);
	}
}

/* The P2 downgrade stands out in the table, the JSON object and the
 * events, not only in --explain. */
Test(explain, p2_downgrade_is_a_warning_everywhere)
{
	cmd_result t = run_variant("no-impersonate-privilege.yaml",
				   "plain-user", NULL, NULL);
	char *ab = hop_block(t.out, "1 A->B");
	cr_expect(strstr(ab, "warning P2: CORP\\bob lacks "
			     "SeImpersonatePrivilege"),
		  "%s", ab);
	free(ab);
	cmd_free(&t);
	cmd_result j = run_variant("no-impersonate-privilege.yaml",
				   "plain-user", "--format", "json");
	int p2 = 0;
	char *save = NULL;
	for (char *l = strtok_r(j.out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		json_t *ev = json_loads(l, 0, NULL);
		cr_assert(ev);
		const char *kind =
			json_string_value(json_object_get(ev, "event"));
		const char *rule =
			json_string_value(json_object_get(ev, "rule"));
		if (strcmp(kind, "rule") == 0 && strcmp(rule, "P2") == 0) {
			p2++;
			cr_expect(json_is_true(json_object_get(ev, "warning")));
		}
		if (strcmp(kind, "hop") == 0) {
			json_t *w = json_object_get(ev, "warnings");
			cr_expect_eq(json_array_size(w), 1, "%s", l);
			cr_expect_str_eq(json_string_value(json_object_get(
						 json_array_get(w, 0), "rule")),
					 "P2");
		}
		json_decref(ev);
	}
	cr_expect_eq(p2, 1);
	cmd_free(&j);
}

Test(explain, token_diff_of_a_hop_to_another_host)
{
	/* alice, logged on interactively on ws1, reaches B on app1: the
	 * network logon drops INTERACTIVE and adds NETWORK. */
	cmd_result r = run_variant("double-hop.yaml", "as-written",
				   "--explain", NULL);
	char *ab = hop_block(r.out, "1 A->B");
	cr_expect(strstr(ab, "crossed host yes"), "%s", ab);
	cr_expect(strstr(ab, "    token diff (A presented -> B built):\n"
			     "      user: CORP\\alice (unchanged)\n"
			     "      type: primary -> impersonation\n"
			     "      level: - -> impersonate\n"
			     "      logon: interactive -> network\n"
			     "      group added: NT AUTHORITY\\NETWORK\n"
			     "      group removed: NT AUTHORITY\\INTERACTIVE\n"
			     "    outcome:"),
		  "%s", ab);
	/* The second hop never left B: nothing was presented. */
	char *bc = hop_block(r.out, "2 B->C");
	cr_expect(strstr(bc, "token diff: B presented no token (the call "
			     "failed before it)"),
		  "%s", bc);
	free(ab);
	free(bc);
	cmd_free(&r);
}

Test(explain, token_diff_of_a_service_identity_in_the_events)
{
	/* Cloaking off. Hop 1, A to B on ws1: one host, so B impersonates
	 * alice's own token (T7): only the type and the level change. Hop
	 * 2: C builds svc-b's network token on srv2: the SERVICE group and
	 * SeImpersonatePrivilege (held on ws1 as a service) are gone,
	 * NETWORK is added. */
	cmd_result r = run_variant("seed-diagram.yaml", "cloaking-off",
				   "--format", "json");
	int hops = 0;
	char *save = NULL;
	for (char *l = strtok_r(r.out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		json_t *ev = json_loads(l, 0, NULL);
		cr_assert(ev);
		if (strcmp(json_string_value(json_object_get(ev, "event")),
			   "hop") != 0) {
			json_decref(ev);
			continue;
		}
		hops++;
		json_t *d = json_object_get(ev, "token_diff");
		cr_assert(json_is_object(d), "%s", l);
		cr_expect(json_is_null(json_object_get(d, "user")));
		json_t *lvl = json_object_get(d, "level");
		cr_expect(json_is_null(json_object_get(lvl, "from")));
		cr_expect_str_eq(json_string_value(json_object_get(lvl, "to")),
				 "impersonate");
		json_t *add = json_object_get(d, "groups_added");
		json_t *rem = json_object_get(d, "groups_removed");
		json_t *prem = json_object_get(d, "privileges_removed");
		json_t *built = json_object_get(ev, "built_token");
		cr_expect_eq(json_array_size(json_object_get(
				     d, "groups_deny_only")),
			     0);
		if (hops == 1) {
			cr_expect_eq(json_array_size(add), 0, "%s", l);
			cr_expect_eq(json_array_size(rem), 0, "%s", l);
			cr_expect_eq(json_array_size(prem), 0, "%s", l);
			cr_expect(json_is_null(json_object_get(d, "logon")),
				  "%s", l);
			cr_expect_str_eq(json_string_value(json_object_get(
						 built, "logon")),
					 "interactive");
		} else {
			cr_assert_eq(json_array_size(add), 1, "%s", l);
			cr_expect_str_eq(json_string_value(json_object_get(
						 json_array_get(add, 0), "sid")),
					 "S-1-5-2");
			cr_assert_eq(json_array_size(rem), 1, "%s", l);
			cr_expect_str_eq(json_string_value(json_object_get(
						 json_array_get(rem, 0), "sid")),
					 "S-1-5-6");
			cr_expect_str_eq(json_string_value(json_object_get(
						 built, "logon")),
					 "network");
			cr_assert_eq(json_array_size(prem), 1, "%s", l);
			cr_expect_str_eq(json_string_value(
						 json_array_get(prem, 0)),
					 "SeImpersonatePrivilege");
			cr_expect_str_eq(json_string_value(json_object_get(
						 json_object_get(ev,
								 "caller_token"),
						 "user")),
					 "CORP\\svc-b");
			/* svc-b's network logon on C's host: only
			 * SeChangeNotifyPrivilege, every signed-in
			 * account's by default (P3). */
			json_t *bp = json_object_get(built, "privileges");
			cr_assert_eq(json_array_size(bp), 1, "%s", l);
			cr_expect_str_eq(json_string_value(json_object_get(
						 json_array_get(bp, 0), "name")),
					 "SeChangeNotifyPrivilege");
		}
		json_decref(ev);
	}
	cr_expect_eq(hops, 2);
	cmd_free(&r);
}

/* ---- --format svg --------------------------------------------------- */

/* xmllint (libxml2-utils) with up to two options on file. */
static cmd_result xmllint(const char *a1, const char *a2, const char *file)
{
	char *argv[] = {"/usr/bin/xmllint", (char *)a1, (char *)a2,
			(char *)file, NULL};
	if (!a2) {
		argv[2] = (char *)file;
		argv[3] = NULL;
	}
	return cmd_run(argv);
}

/* The value of an XPath expression over file, as xmllint prints it. */
static char *xpath(const char *file, const char *expr)
{
	cmd_result r = xmllint("--xpath", expr, file);
	cr_assert_eq(r.status, 0, "xmllint --xpath '%s': exit %d: %s", expr,
		     r.status, r.err);
	free(r.err);
	size_t n = strlen(r.out);
	if (n && r.out[n - 1] == '\n')
		r.out[n - 1] = 0; /* xmllint ends the value with a newline */
	return r.out;
}

static long xpath_count(const char *file, const char *expr)
{
	char *v = xpath(file, expr);
	long n = strtol(v, NULL, 10);
	free(v);
	return n;
}

/* An element whose class list holds c. */
#define CLASS(c) "contains(concat(' ',@class,' '),' " c " ')"
#define HOPS "//*[local-name()='g'][" CLASS("hop") "]"

static void svg_file(char *path, size_t len, const char *dir,
		     const char *text)
{
	static int n;
	snprintf(path, len, "%s/%d.svg", dir, n++);
	to_file(path, text);
}

/* Seed scenarios with hops that succeed, fail and warn, every variant:
 * the SVG is well-formed XML, and has one arrow per hop (the hops of the
 * same run's --json), each in its hop's group; failed and warning hops
 * are marked as such. */
Test(explain, svg_is_valid_with_one_arrow_per_hop)
{
	static const char *const seeds[] = {"seed-diagram.yaml",
					    "double-hop.yaml",
					    "no-impersonate-privilege.yaml"};
	char dir[] = "/tmp/cloakroom-svg-XXXXXX";
	cr_assert(mkdtemp(dir));
	for (size_t f = 0; f < sizeof(seeds) / sizeof(seeds[0]); f++) {
		cmd_result j = run_all(seeds[f], "--json", NULL);
		json_t *root = json_loads(j.out, 0, NULL);
		cr_assert(root, "%s", seeds[f]);
		json_t *vs = json_object_get(root, "variants");
		long hops = 0, failed = 0, warned = 0;
		size_t nv = vs ? json_array_size(vs) : 1;
		for (size_t v = 0; v < nv; v++) {
			json_t *hs = json_object_get(
				vs ? json_array_get(vs, v) : root, "hops");
			for (size_t i = 0; i < json_array_size(hs); i++) {
				json_t *h = json_array_get(hs, i);
				hops++;
				if (strcmp(json_string_value(json_object_get(
						   h, "status")),
					   "OK") != 0)
					failed++;
				else if (json_array_size(json_object_get(
						 h, "warnings")))
					warned++;
			}
		}
		json_decref(root);
		cmd_free(&j);

		cmd_result r = run_all(seeds[f], "--format", "svg");
		char file[128];
		svg_file(file, sizeof(file), dir, r.out);
		cmd_free(&r);
		cmd_result lint = xmllint("--noout", NULL, file);
		cr_expect_eq(lint.status, 0, "%s: not valid XML: %s", seeds[f],
			     lint.err);
		cr_expect_str_eq(lint.err, "", "%s", seeds[f]);
		cmd_free(&lint);
		cr_expect_eq(xpath_count(file, "count(/*[local-name()='svg'])"),
			     1, "%s: the root is not <svg>", seeds[f]);
		cr_expect_eq(xpath_count(file, "count(//*[" CLASS("arrow") "])"),
			     hops, "%s: arrows", seeds[f]);
		cr_expect_eq(xpath_count(file, "count(" HOPS ")"), hops,
			     "%s: hop groups", seeds[f]);
		cr_expect_eq(xpath_count(file, "count(" HOPS "[count(*[" CLASS(
						       "arrow") "]) != 1])"),
			     0, "%s: a hop without exactly one arrow",
			     seeds[f]);
		cr_expect_eq(xpath_count(file, "count(" HOPS "[" CLASS(
						       "failed") "])"),
			     failed, "%s: failed hops", seeds[f]);
		cr_expect_eq(xpath_count(file, "count(" HOPS "[" CLASS(
						       "warning") "])"),
			     warned, "%s: warning hops", seeds[f]);
		unlink(file);
	}
	rmdir(dir);
}

/* The seed diagram's picture tells the --explain story: hosts as boxes
 * holding their lifelines, whom C received under each cloaking, the rule
 * that chose it, and what the open of the report came to. */
Test(explain, svg_of_the_seed_diagram_shows_who_c_received)
{
	char dir[] = "/tmp/cloakroom-svg-XXXXXX", file[128];
	cr_assert(mkdtemp(dir));
	cmd_result r = run_all("seed-diagram.yaml", "--format", "svg");
	svg_file(file, sizeof(file), dir, r.out);
	cmd_free(&r);
	static const struct {
		const char *variant, *label, *rules, *why, *step, *step_cls;
	} want[] = {
		{"cloaking-off", "CORP\\svc-b at impersonate", "rules C2 ",
		 "[C2] no cloaking", "open report as CORP\\svc-b \u2192 "
		 "ACCESS_DENIED", "failed"},
		{"cloaking-dynamic", "CORP\\alice at impersonate", "rules C4 ",
		 "[C4] dynamic cloaking", "open report as CORP\\alice \u2192 "
		 "OK, granted read", "ok"},
	};
	for (size_t i = 0; i < 2; i++) {
		char run[96], expr[1024];
		snprintf(run, sizeof(run),
			 "//*[local-name()='g'][@data-variant='%s']",
			 want[i].variant);
		/* Two host boxes, ws1 then srv2; C's lifeline right of the
		 * first box. */
		snprintf(expr, sizeof(expr),
			 "count(%s/*[local-name()='rect'][@class='host'])", run);
		cr_expect_eq(xpath_count(file, expr), 2, "%s", want[i].variant);
		snprintf(expr, sizeof(expr),
			 "string(%s/*[@class='hostname'][2])", run);
		char *v = xpath(file, expr);
		cr_expect_str_eq(v, "host srv2");
		free(v);
		snprintf(expr, sizeof(expr),
			 "%s/*[local-name()='rect'][@class='host'][1]/@x + "
			 "%s/*[local-name()='rect'][@class='host'][1]/@width < "
			 "%s/*[@class='pname'][.='C']/@x and "
			 "%s/*[local-name()='rect'][@class='host'][1]/@x + "
			 "%s/*[local-name()='rect'][@class='host'][1]/@width > "
			 "%s/*[@class='pname'][.='B']/@x",
			 run, run, run, run, run, run);
		v = xpath(file, expr);
		cr_expect_str_eq(v, "true", "%s: lifelines not grouped by host",
				 want[i].variant);
		free(v);
		/* Hop 2, B->C. */
		char hop[160];
		snprintf(hop, sizeof(hop), "%s/*[@data-hop='2']", run);
		snprintf(expr, sizeof(expr), "string(%s/*[" CLASS("label") "])",
			 hop);
		v = xpath(file, expr);
		cr_expect_str_eq(v, want[i].label, "%s", want[i].variant);
		free(v);
		snprintf(expr, sizeof(expr), "string(%s/*[@class='rules'])",
			 hop);
		v = xpath(file, expr);
		cr_expect(strncmp(v, want[i].rules, strlen(want[i].rules)) == 0,
			  "%s: %s", want[i].variant, v);
		free(v);
		snprintf(expr, sizeof(expr), "string(%s/*[@class='why'][1])",
			 hop);
		v = xpath(file, expr);
		cr_expect(strncmp(v, want[i].why, strlen(want[i].why)) == 0,
			  "%s: %s", want[i].variant, v);
		free(v);
		snprintf(expr, sizeof(expr),
			 "string(%s/*[" CLASS("step") "][" CLASS("%s") "]"
			 "[contains(., 'open report')])", hop,
			 want[i].step_cls);
		v = xpath(file, expr);
		cr_expect(strstr(v, want[i].step), "%s: %s", want[i].variant, v);
		free(v);
	}
	unlink(file);
	rmdir(dir);
}

/* ---- warnings no user may miss ------------------------------------- */

/* The text of a hop group of the SVG's variant: its warntext lines
 * joined by a space, entities undone. Empty when there is no such hop. */
static void svg_warntext(const char *svg, const char *variant, int hop,
			 char *buf, size_t len)
{
	char key[128];
	buf[0] = 0;
	snprintf(key, sizeof(key), "data-variant=\"%s\"", variant);
	const char *p = strstr(svg, key);
	if (!p)
		return;
	snprintf(key, sizeof(key), "data-hop=\"%d\">", hop);
	p = strstr(p, key);
	const char *end = p ? strstr(p, "</g>") : NULL;
	size_t n = 0;
	const char *open = "<text class=\"warntext\"";
	for (const char *t = p ? strstr(p, open) : NULL; t && t < end;
	     t = strstr(t + 1, open)) {
		const char *c = strchr(t, '>') + 1, *e = strstr(c, "</text>");
		if (n && n + 1 < len)
			buf[n++] = ' ';
		while (c < e && n + 1 < len) {
			static const char *const ent[][2] = {
				{"&apos;", "'"}, {"&amp;", "&"}, {"&lt;", "<"},
				{"&gt;", ">"},	 {"&quot;", "\""}};
			bool done = false;
			for (size_t k = 0; k < 5 && !done; k++)
				if (strncmp(c, ent[k][0], strlen(ent[k][0])) ==
				    0) {
					buf[n++] = ent[k][1][0];
					c += strlen(ent[k][0]);
					done = true;
				}
			if (!done)
				buf[n++] = *c++;
		}
	}
	buf[n] = 0;
}

/* A warning shown in the table (under its hop), in --explain (numbered,
 * WARNING) and in the SVG (the hop amber, its label and rule id marked
 * ⚠, the warning spelt out under the arrow). */
static void warning_everywhere(const char *name, const char *variant,
			       int hop, const char *line, const char *rule,
			       const char *text)
{
	char want[512];
	cmd_result t = run_variant(name, variant, NULL, NULL);
	char *b = hop_block(t.out, line);
	snprintf(want, sizeof(want), "      warning %s: %s", rule, text);
	cr_expect(strstr(b, want), "table of %s %s: no '%s' in\n%s", name,
		  variant, want, b);
	free(b);
	cmd_free(&t);

	cmd_result e = run_variant(name, variant, "--explain", NULL);
	b = hop_block(e.out, line);
	snprintf(want, sizeof(want), ". WARNING [%s] %s", rule, text);
	cr_expect(strstr(b, want), "--explain of %s %s: no '%s' in\n%s",
		  name, variant, want, b);
	free(b);
	cmd_free(&e);

	cmd_result s = run_variant(name, variant, "--format", "svg");
	char dir[] = "/tmp/cloakroom-svg-XXXXXX", file[128], expr[512];
	cr_assert(mkdtemp(dir));
	svg_file(file, sizeof(file), dir, s.out);
	snprintf(expr, sizeof(expr),
		 "count(" HOPS "[@data-hop='%d'][" CLASS("warning") "]/*[" CLASS(
			 "arrow") "][" CLASS("warning") "])",
		 hop);
	cr_expect_eq(xpath_count(file, expr), 1,
		     "svg of %s %s: hop %d is not an amber arrow", name,
		     variant, hop);
	snprintf(expr, sizeof(expr),
		 "starts-with(" HOPS "[@data-hop='%d']/*[" CLASS("label") "],"
		 " '\u26a0 ')",
		 hop);
	char *v = xpath(file, expr);
	cr_expect_str_eq(v, "true", "svg of %s %s: label without \u26a0",
			 name, variant);
	free(v);
	snprintf(expr, sizeof(expr),
		 "string(" HOPS "[@data-hop='%d']//*[@class='warnrule'])", hop);
	v = xpath(file, expr);
	snprintf(want, sizeof(want), "\u26a0%s", rule);
	cr_expect_str_eq(v, want, "svg of %s %s", name, variant);
	free(v);
	char got[1024];
	svg_warntext(s.out, variant, hop, got, sizeof(got));
	snprintf(want, sizeof(want), "\u26a0 %s: %s", rule, text);
	cr_expect(strstr(got, want), "svg of %s %s: no '%s' in '%s'", name,
		  variant, want, got);
	cmd_free(&s);
	unlink(file);
	rmdir(dir);
}

Test(explain, p2_downgrade_in_the_table_explain_and_svg)
{
	warning_everywhere("no-impersonate-privilege.yaml", "plain-user", 1,
			   "1 A->B", "P2",
			   "CORP\\bob lacks SeImpersonatePrivilege and no P1 "
			   "exemption applies");
}

Test(explain, l2_anonymous_promotion_in_the_table_explain_and_svg)
{
	warning_everywhere("anonymous-remote.yaml", "as-written", 1, "1 A->B",
			   "L2",
			   "Anonymous asked on a call that crosses hosts: "
			   "promoted to Identify");
}

Test(explain, c3_identity_captured_earlier_in_the_table_explain_and_svg)
{
	warning_everywhere("rules/c3-static-cloaking.yaml", "as-written", 4,
			   "4 B->C", "C3",
			   "static cloaking: presents CORP\\alice, captured on "
			   "the proxy's call 1 (this is its call 2), not the "
			   "current CORP\\bob");
}

Test(explain, t8_unauthenticated_caller_in_the_table_explain_and_svg)
{
	warning_everywhere("rules/t8-authentication-level.yaml", "as-written", 1,
			   "1 A->B", "T8",
			   "authentication level none: the caller is not "
			   "authenticated and cannot be impersonated");
}

/* diff FILE.yaml:V1 FILE.yaml:V2 runs the two variants and compares them
 * as their --json outputs compare. */
Test(explain, diff_runs_two_variants_of_a_scenario_file)
{
	char file[512], a[600], b[600];
	snprintf(file, sizeof(file), "%s/scenarios/seed-diagram.yaml",
		 env_or("CLOAKROOM_SOURCE", "."));
	snprintf(a, sizeof(a), "%s:cloaking-off", file);
	snprintf(b, sizeof(b), "%s:cloaking-dynamic", file);
	char *argv[] = {launch_path, "diff", a, b, NULL};
	cmd_result d = cmd_run(argv);
	cr_expect_eq(d.status, 1, "exit %d: %s", d.status, d.err);
	cr_expect(strstr(d.out, "B->C presented: CORP\\svc-b -> CORP\\alice\n"),
		  "%s", d.out);
	cr_expect(strstr(d.out, "B->C step 2 (open report) status: "
				"ACCESS_DENIED -> OK\n"), "%s", d.out);
	cmd_free(&d);
	snprintf(b, sizeof(b), "%s:no-such-variant", file);
	char *bad[] = {launch_path, "diff", a, b, NULL};
	d = cmd_run(bad);
	cr_expect_eq(d.status, 2, "exit %d", d.status);
	cr_expect(strstr(d.err, "unknown variant 'no-such-variant'"), "%s",
		  d.err);
	cmd_free(&d);
}

/* Steps pair by id, or by the longest common sequence of what they do:
 * a step added in the middle is the only difference, not every step
 * after it. An empty value shows as "-", and a failed hop's level as
 * "-" on both sides, as the table shows them. */
Test(explain, diff_aligns_steps_and_shows_empty_values)
{
	char dir[] = "/tmp/cloakroom-diff-XXXXXX", x[64], y[64];
	cr_assert(mkdtemp(dir));
	snprintf(x, sizeof(x), "%s/x.json", dir);
	snprintf(y, sizeof(y), "%s/y.json", dir);
	to_file(x, "{\"hops\": [{\"from\": \"A\", \"to\": \"B\", "
		   "\"presented\": \"\", \"status\": \"ACCESS_DENIED\", "
		   "\"level_effective\": \"impersonate\", \"steps\": ["
		   "{\"do\": \"impersonate\", \"status\": \"OK\"},"
		   "{\"do\": \"open\", \"object\": \"report\", "
		   "\"status\": \"OK\"},"
		   "{\"do\": \"revert\", \"status\": \"OK\"}]}]}");
	to_file(y, "{\"hops\": [{\"from\": \"A\", \"to\": \"B\", "
		   "\"presented\": \"CORP\\\\alice\", "
		   "\"status\": \"ACCESS_DENIED\", "
		   "\"level_effective\": \"identify\", \"steps\": ["
		   "{\"do\": \"impersonate\", \"status\": \"OK\"},"
		   "{\"do\": \"query_level\", \"status\": \"OK\"},"
		   "{\"do\": \"open\", \"object\": \"report\", "
		   "\"status\": \"OK\"},"
		   "{\"do\": \"revert\", \"status\": \"OK\"}]}]}");
	char *argv[] = {launch_path, "diff", x, y, NULL};
	cmd_result d = cmd_run(argv);
	cr_expect_eq(d.status, 1, "exit %d: %s", d.status, d.err);
	cr_expect(strstr(d.out, "A->B presented: - -> CORP\\alice\n") ==
			  d.out,
		  "%s", d.out);
	cr_expect(strstr(d.out, "A->B step 2 (query_level): only in RUN2"),
		  "%s", d.out);
	cr_expect(!strstr(d.out, "level_effective"), "%s", d.out);
	cr_expect(!strstr(d.out, "open report) do") &&
			  !strstr(d.out, "revert) do"),
		  "%s", d.out);
	int lines = 0;
	for (const char *p = d.out; *p; p++)
		lines += *p == '\n';
	cr_expect_eq(lines, 2, "%s", d.out);
	cmd_free(&d);
	unlink(x);
	unlink(y);
	rmdir(dir);
}

/* `chosen` is compared where `presented` cannot say it: a call not sent
 * on either side (whom each would have presented); two calls both sent
 * show only `presented`. */
Test(explain, diff_names_whom_a_refused_call_would_have_presented)
{
	char dir[] = "/tmp/cloakroom-diff-XXXXXX", x[64], y[64], z[64];
	cr_assert(mkdtemp(dir));
	snprintf(x, sizeof(x), "%s/x.json", dir);
	snprintf(y, sizeof(y), "%s/y.json", dir);
	snprintf(z, sizeof(z), "%s/z.json", dir);
	to_file(x, "{\"hops\": [{\"from\": \"B\", \"to\": \"C\", "
		   "\"presented\": \"\", \"chosen\": \"CORP\\\\alice\", "
		   "\"sent\": false, \"status\": \"ACCESS_DENIED\"}]}");
	to_file(y, "{\"hops\": [{\"from\": \"B\", \"to\": \"C\", "
		   "\"presented\": \"CORP\\\\svc-b\", "
		   "\"chosen\": \"CORP\\\\svc-b\", \"sent\": true, "
		   "\"status\": \"OK\", \"level_effective\": \"impersonate\"}]}");
	to_file(z, "{\"hops\": [{\"from\": \"B\", \"to\": \"C\", "
		   "\"presented\": \"CORP\\\\alice\", "
		   "\"chosen\": \"CORP\\\\alice\", \"sent\": true, "
		   "\"status\": \"OK\", \"level_effective\": \"impersonate\"}]}");
	char *argv[] = {launch_path, "diff", x, y, NULL};
	cmd_result d = cmd_run(argv);
	cr_expect_eq(d.status, 1, "exit %d: %s", d.status, d.err);
	cr_expect(strstr(d.out, "B->C presented: - -> CORP\\svc-b\n"), "%s",
		  d.out);
	cr_expect(strstr(d.out, "B->C chosen: CORP\\alice -> CORP\\svc-b\n"),
		  "%s", d.out);
	cmd_free(&d);
	char *sent[] = {launch_path, "diff", y, z, NULL};
	d = cmd_run(sent);
	cr_expect_eq(d.status, 1, "exit %d: %s", d.status, d.err);
	cr_expect(strstr(d.out, "B->C presented: CORP\\svc-b -> CORP\\alice\n"),
		  "%s", d.out);
	cr_expect(!strstr(d.out, "chosen"), "%s", d.out);
	cmd_free(&d);
	unlink(x);
	unlink(y);
	unlink(z);
	rmdir(dir);
}

/* Through the daemons: B's proxy refuses the double hop (C6) after C4
 * chose alice; run, --explain, Mermaid, SVG and --json name her as whom
 * B would have presented, and nothing as presented. */
Test(explain, a_refused_call_names_whom_it_would_have_presented)
{
	const char *f = "rules/c4-c6-chosen-when-refused.yaml";
	cmd_result r = run_variant(f, "as-written", "--wide", NULL);
	char *bc = hop_block(r.out, "2 B->C ");
	cr_expect(strstr(bc, "\n      not sent; would have presented "
			     "CORP\\alice") != NULL,
		  "%s", bc);
	free(bc);
	cmd_free(&r);
	r = run_variant(f, "as-written", "--explain", NULL);
	cr_expect(strstr(r.out, "    outcome: failed with ACCESS_DENIED (not "
				"sent; would have presented CORP\\alice); ") !=
			  NULL,
		  "%s", r.out);
	cmd_free(&r);
	r = run_variant(f, "as-written", "--format", "mermaid");
	cr_expect(strstr(r.out, "  B-xC: ACCESS_DENIED, asked impersonate, "
				"not sent#59; would have presented "
				"CORP\\alice\n") != NULL,
		  "%s", r.out);
	cmd_free(&r);
	char dir[] = "/tmp/cloakroom-svg-XXXXXX", file[128];
	cr_assert(mkdtemp(dir));
	r = run_variant(f, "as-written", "--format", "svg");
	svg_file(file, sizeof(file), dir, r.out);
	cmd_free(&r);
	cr_expect_eq(xpath_count(file, "count(//*[@data-hop='2']/*[" CLASS(
					       "label") "][contains(., "
					       "'would have presented "
					       "CORP\\alice')])"),
		     1);
	unlink(file);
	rmdir(dir);
	r = run_variant(f, "as-written", "--json", NULL);
	json_t *j = json_loads(r.out, 0, NULL);
	cr_assert_not_null(j, "%s", r.out);
	/* The scenario has variants: its one case is under "variants". */
	json_t *run = json_array_get(json_object_get(j, "variants"), 0);
	json_t *h = json_array_get(json_object_get(run, "hops"), 1);
	cr_assert_not_null(h, "%s", r.out);
	cr_expect_str_eq(json_string_value(json_object_get(h, "presented")),
			 "");
	cr_expect_str_eq(json_string_value(json_object_get(h, "chosen")),
			 "CORP\\alice");
	cr_expect(json_is_false(json_object_get(h, "sent")));
	json_decref(j);
	cmd_free(&r);
}

/* --explain names each ACE's trustee by the group or the account the
 * DACL names (T6), never by its bare SID: Finance, Sales and Contractors
 * are groups of alice, and alice an account. */
Test(explain, ace_trustees_are_named_not_bare_sids)
{
	cmd_result r = run_variant("rules/t6-group-states.yaml", "as-written",
				   "--explain", NULL);
	cr_expect(strstr(r.out, "] ACE 0 (deny CORP\\Finance) matches "
				"CORP\\alice") != NULL,
		  "%s", r.out);
	cr_expect(strstr(r.out, "] ACE 1 (allow CORP\\alice) matches "
				"CORP\\alice") != NULL,
		  "%s", r.out);
	unsigned aces = 0;
	for (const char *p = strstr(r.out, "] ACE "); p;
	     p = strstr(p + 1, "] ACE ")) {
		size_t n = strcspn(p, "\n");
		aces++;
		cr_expect(!memmem(p, n, "S-1-", 4), "a bare SID: %.*s",
			  (int)n, p);
	}
	cr_expect_geq(aces, 4, "%s", r.out);
	cmd_free(&r);
}

/* ---- order and agreement ----------------------------------------- */

/* The line of block holding text, or NULL. */
static const char *line_with(const char *block, const char *text)
{
	const char *p = strstr(block, text);
	if (!p)
		return NULL;
	while (p > block && p[-1] != '\n')
		p--;
	return p;
}

/* The decision number of the line of block holding text (0: none). */
static unsigned number_of(const char *block, const char *text)
{
	const char *l = line_with(block, text);
	if (!l)
		return 0;
	while (*l == ' ')
		l++;
	return (unsigned)strtoul(l, NULL, 10);
}

/* Decisions are numbered in the order they were taken: B's impersonation
 * ends with the call (T5) after the steps it ran during the call, so the
 * T5 line comes after them, numbered after them, and the rule ids list
 * T5 after P1. */
Test(explain, the_call_ends_after_the_steps_that_ran_in_it)
{
	cmd_result r = run_variant("double-hop.yaml", "as-written",
				   "--explain", NULL);
	char *b = hop_block(r.out, "1 A->B");
	const char *during = strstr(b, "during the call:");
	const char *ends = strstr(b, "[T5] the call ends");
	cr_assert(during && ends, "%s", b);
	cr_expect(ends > during, "T5 before the steps:\n%s", b);
	unsigned p1 = number_of(b, "[P1] impersonates CORP\\alice");
	unsigned t5 = number_of(b, "[T5] the call ends");
	cr_expect(p1 > 0 && t5 > p1, "P1 %u, T5 %u:\n%s", p1, t5, b);
	cr_expect(strstr(b, "when the call ended, callee B decided:") != NULL,
		  "%s", b);
	cr_expect(strstr(b, "rules in the order they applied: "
			    "C2 L4 T8 P1 T5") != NULL,
		  "%s", b);
	cr_expect(strstr(r.out, "C2 L4 T8 P1 T5\n") != NULL,
		  "the table's rules:\n%s", r.out);
	free(b);
	cmd_free(&r);

	/* the JSON Lines rule events in the same order */
	r = run_variant("double-hop.yaml", "as-written", "--format", "json");
	const char *ev = strstr(r.out, "{\"event\":\"rule\"");
	cr_assert_not_null(ev, "%s", r.out);
	const char *p = strstr(ev, "\"rule\":\"P1\"");
	const char *t = strstr(ev, "\"rule\":\"T5\"");
	cr_expect(p && t && t > p, "%s", r.out);
	cmd_free(&r);
}

/* A hop that failed at its caller (C6, the double hop) keeps the facts
 * its caller judged: its facts line says the 2 host boundaries its
 * decision cites, and the authentication level it asked. */
Test(explain, a_failed_hop_agrees_with_its_decisions)
{
	cmd_result r = run_variant("double-hop.yaml", "as-written",
				   "--explain", NULL);
	char *b = hop_block(r.out, "2 B->C");
	cr_expect(strstr(b, "[C6] the double hop: 2 host boundaries") != NULL,
		  "%s", b);
	cr_expect(strstr(b, "host boundaries of the identity 2;") != NULL,
		  "facts disagree with C6:\n%s", b);
	cr_expect(strstr(b, "authentication default") == NULL, "%s", b);
	free(b);
	cmd_free(&r);
}

/* From the second middle tier on, the SVG explains the cloaking rule
 * that chose the identity (C4), not C7, which only says the tier
 * chooses with its own proxy. */
Test(explain, svg_explains_the_deciding_cloaking_rule_at_every_tier)
{
	char file[512];
	snprintf(file, sizeof(file), "%s/scenarios/cookbook/four-tier.yaml",
		 env_or("CLOAKROOM_SOURCE", "."));
	char *argv[] = {launch_path, "run", file, "--variant",
			"delegate-all-the-way", "--format", "svg", NULL};
	cmd_result r = cmd_run(argv);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	char dir[] = "/tmp/cloakroom-svg-XXXXXX", path[128];
	cr_assert(mkdtemp(dir));
	svg_file(path, sizeof(path), dir, r.out);
	cmd_free(&r);
	char *v = xpath(path, "string(//*[@data-hop='3']/*[@class='rules'])");
	cr_expect(strstr(v, "C7") != NULL, "hop 3 is not a second tier's: %s",
		  v);
	free(v);
	v = xpath(path, "string(//*[@data-hop='3']/*[@class='why'][1])");
	cr_expect(strncmp(v, "[C4] dynamic cloaking", 21) == 0, "%s", v);
	free(v);
	unlink(path);
	rmdir(dir);
}

/* Every step of the callee that changes its identity or what it may do
 * is drawn under its hop: B's impersonate (and revert) as well as C's
 * open. */
Test(explain, svg_draws_the_steps_that_change_identity)
{
	char dir[] = "/tmp/cloakroom-svg-XXXXXX", file[128];
	cr_assert(mkdtemp(dir));
	cmd_result r = run_variant("seed-diagram.yaml", "cloaking-dynamic",
				   "--format", "svg");
	svg_file(file, sizeof(file), dir, r.out);
	cmd_free(&r);
	cr_expect_eq(xpath_count(file, "count(//*[@data-hop='2']/*[" CLASS(
					       "step") "][starts-with("
					       "substring-after(., ' '), "
					       "'impersonate as CORP\\alice "
					       "(impersonate)')])"),
		     1);
	cr_expect_eq(xpath_count(file, "count(//*[@data-hop='2']/*[" CLASS(
					       "step") "][starts-with("
					       "substring-after(., ' '), "
					       "'revert as ')])"),
		     1);
	cr_expect_eq(xpath_count(file, "count(//*[@data-hop='2']/*[" CLASS(
					       "step") "][starts-with("
					       "substring-after(., ' '), "
					       "'open report')])"),
		     1);
	unlink(file);
	rmdir(dir);
}

/* The process token changes too: B's restart (P4, a new logon) is drawn
 * under the hop it ran in, with the assignments before it. */
Test(explain, svg_draws_a_restart)
{
	char dir[] = "/tmp/cloakroom-svg-XXXXXX", file[128];
	cr_assert(mkdtemp(dir));
	cmd_result r = run_variant("rules/p4-restart.yaml", "as-written",
				   "--format", "svg");
	svg_file(file, sizeof(file), dir, r.out);
	cmd_free(&r);
	cr_expect_eq(xpath_count(file, "count(//*[@data-hop='1']/*[" CLASS(
					       "step") "][starts-with("
					       "substring-after(., ' '), "
					       "'restart B as CORP\\svc-b')])"),
		     1);
	cr_expect_eq(xpath_count(file, "count(//*[@data-hop='1']/*[" CLASS(
					       "step") "][starts-with("
					       "substring-after(., ' '), "
					       "'assign_right ')])"),
		     2);
	unlink(file);
	rmdir(dir);
}

/* A call B's proxy refused (C1: an invalid blanket) was never sent: its
 * arrow says so, in the SVG and in Mermaid; a call that was made does
 * not. */
Test(explain, a_call_not_sent_says_so_on_its_arrow)
{
	char dir[] = "/tmp/cloakroom-svg-XXXXXX", file[128];
	cr_assert(mkdtemp(dir));
	cmd_result r = run_variant("rules/c1-d3-refused-at-the-proxy.yaml",
				   "as-written", "--format", "svg");
	svg_file(file, sizeof(file), dir, r.out);
	cmd_free(&r);
	cr_expect_eq(xpath_count(file, "count(//*[@data-hop='2']/*[" CLASS(
					       "label") "][contains(., "
					       "'not sent')])"),
		     1);
	cr_expect_eq(xpath_count(file, "count(//*[@data-hop='1']/*[" CLASS(
					       "label") "][contains(., "
					       "'not sent')])"),
		     0);
	unlink(file);
	rmdir(dir);

	r = run_variant("rules/c1-d3-refused-at-the-proxy.yaml", "as-written",
			"--format", "mermaid");
	cr_expect(strstr(r.out, "  B-xC: INVALID_BLANKET, asked impersonate, "
				"not sent\n") != NULL,
		  "%s", r.out);
	cr_expect(strstr(r.out, "A->>B: CORP\\alice at impersonate\n") != NULL,
		  "%s", r.out);
	cmd_free(&r);
}
