/* test_matrix.c: `cloakroom matrix` runs every case of a sweep through the
 * real daemons: what each callee received is what the rules say, every
 * output format parses, and a bad key or value is exit 2 with nothing
 * started. */
#include "harness.h"

#include <criterion/criterion.h>
#include <jansson.h>

static char launch_path[512];
static char seed[512];

static void setup(void)
{
	snprintf(launch_path, sizeof(launch_path), "%s",
		 env_or("CLOAKROOM_LAUNCH", "cloakroom-launch"));
	snprintf(seed, sizeof(seed), "%s/scenarios/seed-diagram.yaml",
		 env_or("CLOAKROOM_SOURCE", "."));
}

TestSuite(matrix, .init = setup);

static json_t *find_hop(json_t *c, const char *label)
{
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(c, "hops"), i, h) {
		if (strcmp(json_string_value(json_object_get(h, "hop")),
			   label) == 0)
			return h;
	}
	return NULL;
}

static const char *field(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "(none)";
}

static json_t *find_step(json_t *c, const char *id)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(c, "steps"), i, s) {
		if (strcmp(field(s, "id"), id) == 0)
			return s;
	}
	return NULL;
}

/* One expected row of the seed diagram's sweep. */
struct row {
	const char *level, *cloaking;
	const char *ab_presented, *ab_level;
	const char *bc_presented, *bc_level, *bc_status;
	const char *c_open; /* c-opens-report's status, NULL: not run */
};

/* L1/L2/L3/L4, D1-D2 (svc-b is not trusted for delegation), C2-C5. */
static const struct row seed_rows[] = {
	{"anonymous", "none", "NT AUTHORITY\\ANONYMOUS LOGON", "anonymous",
	 "CORP\\svc-b", "identify", "OK", "BAD_IMPERSONATION_LEVEL"},
	{"anonymous", "static", "NT AUTHORITY\\ANONYMOUS LOGON", "anonymous",
	 "-", "-", "BAD_IMPERSONATION_LEVEL", NULL},
	{"anonymous", "dynamic", "NT AUTHORITY\\ANONYMOUS LOGON", "anonymous",
	 "-", "-", "BAD_IMPERSONATION_LEVEL", NULL},
	{"identify", "none", "CORP\\alice", "identify", "CORP\\svc-b",
	 "identify", "OK", "BAD_IMPERSONATION_LEVEL"},
	{"identify", "static", "CORP\\alice", "identify", "-", "-",
	 "BAD_IMPERSONATION_LEVEL", NULL},
	{"identify", "dynamic", "CORP\\alice", "identify", "-", "-",
	 "BAD_IMPERSONATION_LEVEL", NULL},
	{"impersonate", "none", "CORP\\alice", "impersonate", "CORP\\svc-b",
	 "impersonate", "OK", "ACCESS_DENIED"},
	{"impersonate", "static", "CORP\\alice", "impersonate", "CORP\\alice",
	 "impersonate", "OK", "OK"},
	{"impersonate", "dynamic", "CORP\\alice", "impersonate",
	 "CORP\\alice", "impersonate", "OK", "OK"},
	{"delegate", "none", "CORP\\alice", "impersonate", "CORP\\svc-b",
	 "impersonate", "OK", "ACCESS_DENIED"},
	{"delegate", "static", "CORP\\alice", "impersonate", "CORP\\alice",
	 "impersonate", "OK", "OK"},
	{"delegate", "dynamic", "CORP\\alice", "impersonate", "CORP\\alice",
	 "impersonate", "OK", "OK"},
};

Test(matrix, seed_diagram_over_every_level_and_cloaking, .timeout = 120)
{
	char *argv[] = {launch_path, "matrix", seed, "--variant",
			"as-written", "--vary", "level=all", "--vary",
			"cloaking=all", "--format", "json", NULL};
	cmd_result r = cmd_run(argv);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	json_error_t jerr;
	json_t *root = json_loads(r.out, 0, &jerr);
	cr_assert(root, "not JSON: %s\n%s", jerr.text, r.out);
	json_t *cases = json_object_get(root, "cases");
	size_t n = sizeof(seed_rows) / sizeof(seed_rows[0]);
	cr_assert_eq(json_array_size(cases), n);
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &seed_rows[i];
		json_t *c = json_array_get(cases, i);
		json_t *set = json_object_get(c, "settings");
		cr_assert_str_eq(field(set, "level"), w->level);
		cr_assert_str_eq(field(set, "cloaking"), w->cloaking);
		cr_assert(json_is_true(json_object_get(c, "ran")));
		json_t *ab = find_hop(c, "A->B"), *bc = find_hop(c, "B->C");
		cr_assert(ab && bc, "case %zu lacks a hop", i);
		cr_expect_str_eq(field(ab, "presented"), w->ab_presented,
				 "%s/%s", w->level, w->cloaking);
		cr_expect_str_eq(field(ab, "level"), w->ab_level, "%s/%s",
				 w->level, w->cloaking);
		cr_expect_str_eq(field(ab, "status"), "OK");
		cr_expect_str_eq(field(bc, "presented"), w->bc_presented,
				 "%s/%s", w->level, w->cloaking);
		cr_expect_str_eq(field(bc, "level"), w->bc_level, "%s/%s",
				 w->level, w->cloaking);
		cr_expect_str_eq(field(bc, "status"), w->bc_status, "%s/%s",
				 w->level, w->cloaking);
		json_t *open = find_step(c, "c-opens-report");
		if (w->c_open) {
			cr_assert(open, "%s/%s: C did not open", w->level,
				  w->cloaking);
			cr_expect_str_eq(field(open, "status"), w->c_open,
					 "%s/%s", w->level, w->cloaking);
		} else {
			cr_expect_null(open, "%s/%s: C ran", w->level,
				       w->cloaking);
		}
	}
	json_decref(root);
	cmd_free(&r);
}

static cmd_result sweep(const char *format)
{
	char *argv[] = {launch_path, "matrix", seed, "--variant",
			"as-written", "--vary", "B.cloaking=none,dynamic",
			"--format", (char *)format, NULL};
	cmd_result r = cmd_run(argv);
	cr_assert_eq(r.status, 0, "%s: exit %d: %s", format, r.status, r.err);
	return r;
}

/* Fields of one CSV line (RFC 4180 quoting). */
static size_t csv_fields(const char *line)
{
	size_t n = 1;
	bool quoted = false;
	for (const char *p = line; *p && *p != '\n'; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == ',' && !quoted)
			n++;
	}
	return n;
}

Test(matrix, every_format_parses, .timeout = 120)
{
	/* csv: B.cloaking, 3 columns per hop (A->B, B->C), the two steps
	 * with an id, error. */
	cmd_result r = sweep("csv");
	size_t lines = 0;
	for (char *l = r.out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
		cr_expect_eq(csv_fields(l), 10, "line %zu: %s", lines, l);
		lines++;
	}
	cr_expect_eq(lines, 3);
	cr_expect(strncmp(r.out, "B.cloaking,A->B presented,A->B level,"
			  "A->B status,B->C presented", 56) == 0, "%s", r.out);
	cr_expect(strstr(r.out, "\ndynamic,CORP\\alice,impersonate,OK,"
			  "CORP\\alice,impersonate,OK,OK,OK,\n"), "%s", r.out);
	cmd_free(&r);

	r = sweep("json");
	json_error_t jerr;
	json_t *root = json_loads(r.out, 0, &jerr);
	cr_assert(root, "not JSON: %s", jerr.text);
	cr_expect_eq(json_array_size(json_object_get(root, "cases")), 2);
	cr_expect_str_eq(field(root, "scenario"), "seed-diagram");
	json_decref(root);
	cmd_free(&r);

	r = sweep("markdown");
	lines = 0;
	for (char *l = r.out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
		size_t bars = 0;
		for (char *p = l; *p && *p != '\n'; p++)
			bars += *p == '|' && (p == l || p[-1] != '\\');
		cr_expect_eq(bars, 6, "line %zu: %s", lines, l);
		lines++;
	}
	cr_expect_eq(lines, 4);
	cr_expect(strstr(r.out, "\n|---|---|---|---|---|\n"), "%s", r.out);
	cmd_free(&r);

	r = sweep("table");
	cr_expect(strncmp(r.out, "B.cloaking  A->B", 16) == 0, "%s", r.out);
	cr_expect(strstr(r.out, "none        CORP\\alice impersonate OK"),
		  "%s", r.out);
	cmd_free(&r);
}

static void expect_exit_2(const char *vary, const char *format,
			  const char *words)
{
	char tmp[64] = "/tmp/cloakroom-test-XXXXXX";
	cr_assert(mkdtemp(tmp));
	setenv("TMPDIR", tmp, 1);
	char *argv[] = {launch_path, "matrix", seed, "--vary", (char *)vary,
			"--format", (char *)format, NULL};
	cmd_result r = cmd_run(argv);
	cr_expect_eq(r.status, 2, "%s: exit %d", vary, r.status);
	cr_expect(strstr(r.err, words), "%s: stderr lacks '%s':\n%s", vary,
		  words, r.err);
	cr_expect_eq(strlen(r.out), 0, "%s: printed %s", vary, r.out);
	cr_expect(rmdir(tmp) == 0, "%s: something was launched", vary);
	cmd_free(&r);
}

Test(matrix, bad_key_or_value_is_exit_2_with_nothing_started)
{
	expect_exit_2("levle=all", "table",
		      "unknown key 'levle' (did you mean 'level'?)");
	expect_exit_2("B.cloak=none", "table",
		      "unknown key 'B.cloak' (did you mean 'B.cloaking'?");
	expect_exit_2("level=imperonate", "table",
		      "invalid value 'imperonate' for 'A.level' (did you "
		      "mean 'impersonate'?");
	expect_exit_2("Z.level=identify", "table", "unknown process 'Z'");
	expect_exit_2("B.host=ws9", "table", "no such host");
	expect_exit_2("account=all", "table", "unknown key 'account'");
	expect_exit_2("alice.groups=all", "table", "unknown key");
	expect_exit_2("level", "table", "is not KEY=V1,V2");
	expect_exit_2("level=identify", "xml", "unknown format 'xml'");
	expect_exit_2("ws1.SeImpersonatePrivilege=nobody", "table",
		      "unknown principal 'nobody'");
}

/* The first table of docs/levels-table.md, derived from docs/rules.md
 * alone, cell by cell, for the cast of scenarios/impersonation-levels.yaml:
 * alice's A on ws1 calls B (svc-b, a service, trusted for delegation) at
 * `level`; B, on `host`, impersonates her, checks access to and opens its
 * local object, and calls C (svc-c, not trusted) on srv2 at `level` with
 * `cloaking`; C impersonates what it received and opens `report`, which
 * only alice may read. One row, in the matrix's markdown. */
static void derived_row(const char *level, const char *host,
			const char *cloaking, char *row, size_t len)
{
	const char *alice = "CORP\\alice", *anon = "NT AUTHORITY\\ANONYMOUS LOGON";
	bool local = strcmp(host, "ws1") == 0;
	/* A->B: L2 raises Anonymous between hosts to Identify; D1 holds for
	 * Delegate (alice not sensitive, svc-b trusted, Kerberos). */
	const char *a = !strcmp(level, "anonymous") && !local ? "identify"
							      : level;
	bool anonymous = !strcmp(a, "anonymous"), identify = !strcmp(a, "identify");
	char ab[96];
	snprintf(ab, sizeof(ab), "%s %s OK", anonymous ? anon : alice, a);
	/* T6 needs Identify or above (L1); opening needs Impersonate (L3). */
	const char *checks = anonymous ? "BAD_IMPERSONATION_LEVEL" : "OK";
	const char *opens = anonymous || identify ? "BAD_IMPERSONATION_LEVEL"
						  : "OK";
	char bc[96];
	const char *c_opens;
	if (!strcmp(cloaking, "none")) {
		/* C2: B presents svc-b. Its call crosses to srv2: Anonymous is
		 * raised to Identify (L2); Delegate fails D1 (svc-c is not
		 * trusted) and runs at Impersonate (D2). C opens report as
		 * svc-b: not at Identify (L3), and the DACL lets only alice
		 * read it (T6). */
		const char *l = !strcmp(level, "anonymous")  ? "identify"
				: !strcmp(level, "delegate") ? "impersonate"
							     : level;
		snprintf(bc, sizeof(bc), "CORP\\svc-b %s OK", l);
		c_opens = !strcmp(l, "identify") ? "BAD_IMPERSONATION_LEVEL"
						 : "ACCESS_DENIED";
	} else if (anonymous || identify) {
		/* C3, C4 present the thread token: at Identify or below a
		 * cloaked call is not possible (C5). */
		snprintf(bc, sizeof(bc), "BAD_IMPERSONATION_LEVEL");
		c_opens = "-";
	} else if (!strcmp(a, "impersonate") && !local) {
		/* L4: alice's credentials stay on ws1: a second host boundary
		 * fails the call (C6, ACCESS_DENIED by default). */
		snprintf(bc, sizeof(bc), "ACCESS_DENIED");
		c_opens = "-";
	} else {
		/* L4 from alice's host, L5 at Delegate: alice reaches srv2, at
		 * Impersonate (D2 for a Delegate request: svc-c is not
		 * trusted); C opens report as her. */
		snprintf(bc, sizeof(bc), "%s impersonate OK", alice);
		c_opens = "OK";
	}
	snprintf(row, len, "| %s | %s | %s | %s | %s | %s | %s | %s |", level,
		 host, cloaking, ab, bc, checks, opens, c_opens);
}

/* docs/levels-table.md keeps the output of the command printed above its
 * first table. Every cell of that table, and every cell the command
 * prints today, must be what docs/rules.md gives (derived_row): a model
 * that changed, or a table written from a wrong model, fails. */
Test(matrix, levels_table_in_docs_is_current, .timeout = 300)
{
	char doc[512], file[512];
	const char *src = env_or("CLOAKROOM_SOURCE", ".");
	snprintf(doc, sizeof(doc), "%s/docs/levels-table.md", src);
	snprintf(file, sizeof(file), "%s/scenarios/impersonation-levels.yaml",
		 src);
	FILE *f = fopen(doc, "r");
	cr_assert(f, "cannot open %s", doc);
	static char text[1 << 16];
	size_t len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = '\0';
	const char *cmd = "    ./cloakroom matrix scenarios/impersonation-levels"
			  ".yaml --variant as-written --vary level=all --vary "
			  "B.host=ws1,app1 "
			  "--vary B.cloaking=all --format markdown\n\n";
	char *start = strstr(text, cmd);
	cr_assert(start, "the command is not in %s", doc);
	start += strlen(cmd);
	char *end = strstr(start, "\n\n");
	cr_assert(end);
	end[1] = '\0';

	/* The table docs/rules.md gives, in the matrix's order. */
	static char want[1 << 14];
	size_t used = (size_t)snprintf(
		want, sizeof(want),
		"| level | B.host | B.cloaking | A->B | B->C | b-checks-local "
		"| b-opens-local | c-opens-remote |\n"
		"|---|---|---|---|---|---|---|---|\n");
	const char *levels_[] = {"anonymous", "identify", "impersonate",
				 "delegate"};
	const char *hosts[] = {"ws1", "app1"};
	const char *cloakings[] = {"none", "static", "dynamic"};
	for (int l = 0; l < 4; l++)
		for (int h = 0; h < 2; h++)
			for (int c = 0; c < 3; c++) {
				char row[512];
				derived_row(levels_[l], hosts[h], cloakings[c],
					    row, sizeof(row));
				used += (size_t)snprintf(want + used,
							 sizeof(want) - used,
							 "%s\n", row);
			}
	cr_assert_lt(used, sizeof(want));

	char *argv[] = {launch_path, "matrix", file, "--variant", "as-written",
			"--vary", "level=all",
			"--vary", "B.host=ws1,app1", "--vary",
			"B.cloaking=all", "--format", "markdown", NULL};
	cmd_result r = cmd_run(argv);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	cr_expect_str_eq(start, want,
			 "docs/levels-table.md differs from what docs/rules.md "
			 "gives");
	cr_expect_str_eq(r.out, want,
			 "the model differs from what docs/rules.md gives");
	cmd_free(&r);
}

/* ---- warm daemons ---------------------------------------------------- */

static char levels[512];

/* A matrix run of the levels scenario's delegate-remote variant with the
 * given --vary values: its cases (JSON, a new reference); *sets
 * receives the daemon sets started. */
static json_t *levels_sweep(const char *trusted, const char *sensitive,
			    unsigned *sets)
{
	snprintf(levels, sizeof(levels), "%s/scenarios/impersonation-levels.yaml",
		 env_or("CLOAKROOM_SOURCE", "."));
	char t[64], s[64];
	snprintf(t, sizeof(t), "svc-b.trusted_for_delegation=%s", trusted);
	snprintf(s, sizeof(s), "alice.sensitive=%s", sensitive);
	char *argv[] = {launch_path, "matrix", levels, "--variant",
			"delegate-remote", "--vary", t, "--vary", s,
			"--format", "json", "--stats", NULL};
	cmd_result r = cmd_run(argv);
	cr_assert_eq(r.status, 0, "%s %s: exit %d: %s", t, s, r.status,
		     r.err);
	const char *st = strstr(r.err, "daemon set");
	cr_assert(st, "no --stats line: %s", r.err);
	while (st > r.err && st[-1] != ',')
		st--;
	*sets = (unsigned)atoi(st + 1);
	json_error_t jerr;
	json_t *root = json_loads(r.out, 0, &jerr);
	cr_assert(root, "not JSON: %s\n%s", jerr.text, r.out);
	json_t *cases = json_incref(json_object_get(root, "cases"));
	json_decref(root);
	cmd_free(&r);
	return cases;
}

/* What a case showed: its hops and its steps. */
static bool same_case(json_t *a, json_t *b)
{
	return json_equal(json_object_get(a, "hops"),
			  json_object_get(b, "hops")) &&
	       json_equal(json_object_get(a, "steps"),
			  json_object_get(b, "steps"));
}

/* One set of daemons serves the whole sweep, and no case sees what an
 * earlier one left: a forwardable ticket (svc-b trusted for delegation)
 * or the evidence of one must not make the next case (untrusted, or a
 * sensitive alice) delegate. Every case of the warm sweep, in either
 * order, shows what that case run alone on daemons of its own shows. */
Test(matrix, warm_cases_do_not_leak_into_each_other, .timeout = 300)
{
	static const char *const orders[2][2] = {{"true,false", "false,true"},
						 {"false,true", "true,false"}};
	const char *alone_t[2] = {"true", "false"};
	const char *alone_s[2] = {"false", "true"};
	json_t *want[2][2];
	for (int a = 0; a < 2; a++)
		for (int b = 0; b < 2; b++) {
			unsigned sets = 0;
			json_t *c = levels_sweep(alone_t[a], alone_s[b], &sets);
			cr_expect_eq(sets, 1);
			cr_assert_eq(json_array_size(c), 1);
			want[a][b] = json_incref(json_array_get(c, 0));
			json_decref(c);
		}
	/* The cases differ (else the test could not fail). */
	cr_assert(!same_case(want[0][0], want[1][0]));
	cr_assert(!same_case(want[0][0], want[0][1]));
	for (int o = 0; o < 2; o++) {
		unsigned sets = 0;
		json_t *c = levels_sweep(orders[o][0], orders[o][1], &sets);
		cr_expect_eq(sets, 1, "one set for the whole sweep, not %u",
			     sets);
		cr_assert_eq(json_array_size(c), 4);
		for (size_t i = 0; i < 4; i++) {
			/* Case order: trusted outer, sensitive inner. */
			int ti = o == 0 ? (int)i / 2 : 1 - (int)i / 2;
			int si = o == 0 ? (int)i % 2 : 1 - (int)i % 2;
			char *got = json_dumps(json_array_get(c, i), 0);
			cr_expect(same_case(json_array_get(c, i),
					    want[ti][si]),
				  "order %d case %zu differs from the case run "
				  "alone: %s",
				  o, i, got);
			free(got);
		}
		json_decref(c);
	}
	for (int a = 0; a < 2; a++)
		for (int b = 0; b < 2; b++)
			json_decref(want[a][b]);
}

/* A setting that changes the cast (B's host: its address and the hop's
 * crossing) gets a set of its own; cases are grouped by cast, whatever
 * the order of the axes, and the rows still come out in case order, with
 * one set or two at once. */
Test(matrix, a_new_set_only_when_the_cast_changes, .timeout = 300)
{
	char *argv[] = {launch_path, "matrix", seed, "--variant",
			"as-written", "--vary", "B.cloaking=none,dynamic",
			"--vary", "B.host=ws1,srv2", "--format", "json",
			"--stats", NULL};
	cmd_result r = cmd_run(argv);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "4 cases"), "%s", r.err);
	cr_expect(strstr(r.err, "2 daemon sets started"), "%s", r.err);
	json_error_t jerr;
	json_t *root = json_loads(r.out, 0, &jerr);
	cr_assert(root, "not JSON: %s\n%s", jerr.text, r.out);
	json_t *cases = json_object_get(root, "cases");
	cr_assert_eq(json_array_size(cases), 4);
	static const char *const want[4][2] = {{"none", "ws1"},
					       {"none", "srv2"},
					       {"dynamic", "ws1"},
					       {"dynamic", "srv2"}};
	for (size_t i = 0; i < 4; i++) {
		json_t *set = json_object_get(json_array_get(cases, i),
					      "settings");
		cr_expect_str_eq(field(set, "B.cloaking"), want[i][0]);
		cr_expect_str_eq(field(set, "B.host"), want[i][1]);
		json_t *bc = find_hop(json_array_get(cases, i), "B->C");
		cr_assert(bc, "case %zu lacks B->C", i);
		/* Cloaking decides what C sees, wherever B runs. */
		cr_expect_str_eq(field(bc, "presented"),
				 i < 2 ? "CORP\\svc-b" : "CORP\\alice",
				 "case %zu", i);
	}
	/* Two sets at once (-j 2) print the same rows. */
	char *two[] = {launch_path, "matrix", seed, "--variant",
		       "as-written", "--vary", "B.cloaking=none,dynamic",
		       "--vary", "B.host=ws1,srv2", "--format", "json", "-j",
		       "2", NULL};
	cmd_result r2 = cmd_run(two);
	cr_assert_eq(r2.status, 0, "-j 2: exit %d: %s", r2.status, r2.err);
	json_t *root2 = json_loads(r2.out, 0, &jerr);
	cr_assert(root2, "-j 2: not JSON: %s\n%s", jerr.text, r2.out);
	cr_expect(json_equal(json_object_get(root, "cases"),
			     json_object_get(root2, "cases")),
		  "-j 2 printed other cases:\n%s", r2.out);
	json_decref(root2);
	cmd_free(&r2);
	json_decref(root);
	cmd_free(&r);

	char *same[] = {launch_path, "matrix", seed, "--variant",
			"as-written", "--vary", "level=all", "--vary",
			"cloaking=all", "--format", "csv", "--stats", NULL};
	r = cmd_run(same);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "12 cases"), "%s", r.err);
	cr_expect(strstr(r.err, "1 daemon set started"), "%s", r.err);
	cmd_free(&r);
}

/* Warm daemons keep their tickets across the cases of a cast: a case
 * that asks the same of the authority (the same subject, presenter,
 * target and call facts, in a case the authority reads the same) is
 * served by the ticket an earlier case was given; a case that changes
 * the call's facts (the level asked) or what the authority decides by
 * (alice's account flag) gets new tickets. The authority's count is the
 * evidence: two tickets a case (A->B, B->C) when nothing is shared. */
static unsigned long long tickets_minted(char *const argv[])
{
	cmd_result r = cmd_run(argv);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	const char *m = strstr(r.err, " tickets minted");
	if (!m)
		m = strstr(r.err, " ticket minted");
	cr_assert(m, "no ticket count: %s", r.err);
	while (m > r.err && m[-1] >= '0' && m[-1] <= '9')
		m--;
	unsigned long long n = strtoull(m, NULL, 10);
	cmd_free(&r);
	return n;
}

Test(matrix, warm_daemons_reuse_tickets_only_for_an_unchanged_case,
     .timeout = 300)
{
	/* Static and dynamic cloaking present the same alice to C on the
	 * same facts: one ticket each hop for both cases. */
	char *same[] = {launch_path, "matrix", seed, "--variant",
			"as-written", "--vary",
			"B.cloaking=static,dynamic", "--format", "csv",
			"--stats", NULL};
	cr_expect_eq(tickets_minted(same), 2);
	/* Another level asked: other facts, other tickets. */
	char *level[] = {launch_path, "matrix", seed, "--variant",
			"as-written", "--vary",
			 "level=impersonate,delegate", "--format", "csv",
			 "--stats", NULL};
	cr_expect_eq(tickets_minted(level), 4);
	/* alice sensitive: the authority's inputs changed, new tickets
	 * for the same request. */
	char *flag[] = {launch_path, "matrix", seed, "--variant",
			"as-written", "--vary",
			"alice.sensitive=false,true", "--format", "csv",
			"--stats", NULL};
	cr_expect_eq(tickets_minted(flag), 4);
	/* Both: three cloakings share within each value of the flag
	 * (svc-b's ticket to C, alice's to C, alice's to B). */
	char *both[] = {launch_path, "matrix", seed, "--variant",
			"as-written", "--vary",
			"B.cloaking=none,static,dynamic", "--vary",
			"alice.sensitive=false,true", "--format", "csv",
			"--stats", NULL};
	cr_expect_eq(tickets_minted(both), 6);
	/* Cold daemons (new ones per case) share nothing. */
	char *cold[] = {launch_path, "matrix", seed, "--variant",
			"as-written", "--vary",
			"B.cloaking=static,dynamic", "--format", "csv",
			"--stats", "--cold", NULL};
	cr_expect_eq(tickets_minted(cold), 4);
}

/* The table's columns count terminal columns, not bytes (CORP\josé is
 * ten columns, eleven bytes), and a table wider than the terminal
 * ($COLUMNS) is printed one block per case; --wide prints it whole. */
Test(matrix, the_table_fits_the_terminal_and_lines_up, .timeout = 120)
{
	char file[512];
	snprintf(file, sizeof(file), "%s/tests/data/wide-names.yaml",
		 env_or("CLOAKROOM_SOURCE", "."));
	char *argv[] = {launch_path, "matrix", file, "--vary",
			"level=impersonate,identify", NULL};
	cmd_result r = cmd_run(argv);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* "A->B" heads its column: the cell below starts where it does. */
	const char *head = r.out;
	const char *row = strstr(r.out, "\nimpersonate ");
	cr_assert(row, "%s", r.out);
	row++;
	cr_expect(strstr(row, "  CORP\\jos\xc3\xa9 impersonate OK") != NULL,
		  "%s", r.out);
	cr_expect_eq(strstr(head, "A->B") - head,
		     strstr(row, "CORP") - row, "%s", r.out);
	/* The rule under the heading is as wide as the cell shows: 24. */
	cr_expect(strstr(r.out, "\n-----------  ------------------------\n") !=
			  NULL,
		  "%s", r.out);
	cmd_free(&r);

	setenv("COLUMNS", "30", 1);
	r = cmd_run(argv);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_null(strstr(r.out, "-----"), "a table at 30:\n%s", r.out);
	cr_expect(strstr(r.out, "case 1\n  level  impersonate\n"
				"  A->B   CORP\\jos\xc3\xa9 impersonate OK\n"
				"\ncase 2\n  level  identify\n") != NULL,
		  "%s", r.out);
	cmd_free(&r);

	char *wide[] = {launch_path, "matrix", file, "--vary",
			"level=impersonate,identify", "--wide", NULL};
	r = cmd_run(wide);
	unsetenv("COLUMNS");
	cr_expect(strstr(r.out, "-----") != NULL, "%s", r.out);
	cmd_free(&r);
}
