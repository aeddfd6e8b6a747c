/* test_rules.c: the rules the step interpreter decides, in one process
 * with an in-memory transport: every scenario under scenarios/rules/, in
 * every variant, meets its expectations from the model alone; then the
 * branches of N1, T5 (nesting), T7, D6, P4, C7, L3 and create_object one
 * by one; and docs/rules.md names, for every rule id, a scenario under
 * scenarios/rules/ that cites it. Never starts a daemon. */
#include "sc_exec.h"
#include "sc_load.h"
#include "sc_world.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct world {
	sc_scenario *scn;
	sc_world *w;
} world;

static const char *source(void)
{
	const char *s = getenv("CLOAKROOM_SOURCE");
	return s ? s : ".";
}

static void world_load(world *w, const char *path, const char *variant)
{
	sc_load_errors errs = {0};
	memset(w, 0, sizeof(*w));
	int rc = sc_load_file(path, variant, &w->scn, &errs);
	char first[512] = "";
	if (errs.count)
		sc_load_error_format(&errs.items[0], first, sizeof(first));
	sc_load_errors_free(&errs);
	cr_assert_eq(rc, 0, "cannot load %s: %s", path, first);
	sc_log log;
	sc_log_init(&log);
	cr_assert_eq(sc_world_new(w->scn, &w->w, &log), SC_OK);
	sc_log_free(&log);
}

static void world_free(world *w)
{
	sc_world_free(w->w);
	sc_load_free(w->scn);
}

/* Like the launcher: every client (a process nobody calls), one after
 * the other in the order declared, into one trace. */
static void world_run(world *w, sc_trace *t)
{
	cr_assert_eq(sc_world_run(w->w, t), SC_OK);
}

/* Load and run path (a file under scenarios/rules/ or tests/data/). */
static void run_file(world *w, sc_trace *t, const char *dir, const char *file,
		     const char *variant)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s/%s", source(), dir, file);
	world_load(w, path, variant);
	world_run(w, t);
}

static void done(world *w, sc_trace *t)
{
	sc_trace_free(t);
	world_free(w);
}

static const sc_hop *hop(const sc_trace *t, const char *from, const char *to,
			 int nth)
{
	for (size_t i = 0; i < t->count; i++)
		if (!strcmp(t->hops[i].from, from) &&
		    !strcmp(t->hops[i].to, to) && --nth == 0)
			return &t->hops[i];
	return NULL;
}

static const sc_step_result *step(const sc_trace *t, const char *id)
{
	for (size_t i = 0; i < t->count; i++)
		for (size_t k = 0; k < t->hops[i].steps_count; k++)
			if (!strcmp(t->hops[i].steps[k].id, id))
				return &t->hops[i].steps[k];
	for (size_t k = 0; k < t->steps_count; k++)
		if (!strcmp(t->steps[k].id, id))
			return &t->steps[k];
	cr_assert_fail("no step '%s' in the trace", id);
	return NULL;
}

/* Every expectation of file (in variant) holds in memory. */
static void expectations_hold(const char *file, const char *variant)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", file, variant);
	unsigned n = w.scn->expect_count;
	sc_expect_result *res = calloc(n ? n : 1, sizeof(*res));
	cr_assert_not_null(res);
	sc_expect_eval(w.scn->expect, n, &t, res);
	cr_expect_gt(n, 0, "%s %s: no expectation", file,
		     variant ? variant : "");
	for (unsigned i = 0; i < n; i++)
		cr_expect(res[i].pass, "%s %s: %s (saw: %s)", file,
			  variant ? variant : "", res[i].text, res[i].why);
	free(res);
	done(&w, &t);
}

Test(rules, every_rules_scenario_holds_in_the_model)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/scenarios/rules", source());
	DIR *d = opendir(dir);
	cr_assert_not_null(d, "cannot open %s", dir);
	unsigned files = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0)
			continue;
		files++;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		sc_scenario *s = NULL;
		sc_load_errors errs = {0};
		cr_assert_eq(sc_load_file(path, NULL, &s, &errs), 0,
			     "cannot load %s", path);
		sc_load_errors_free(&errs);
		/* The file as written is a case too, with or without
		 * variants. */
		expectations_hold(e->d_name, NULL);
		for (unsigned v = 0; v < s->variants_count; v++)
			expectations_hold(e->d_name, s->variants[v].name);
		sc_load_free(s);
	}
	closedir(d);
	cr_expect_geq(files, 10);
}

Test(N1, impersonating_before_reading_the_pipe_fails)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", "n1-n2-named-pipes.yaml",
		 "no-sqos");
	const sc_step_result *early = step(&t, "too-early");
	cr_expect_eq(early->status, SC_CANNOT_IMPERSONATE);
	cr_expect(sc_log_has_rule(&early->log, "N1"));
	cr_expect_str_eq(early->as, "CORP\\svc-b",
			 "the thread keeps the process's context");
	cr_expect_eq(step(&t, "after-read")->status, SC_OK);
	cr_expect_str_eq(step(&t, "after-read")->as, "CORP\\alice");
	done(&w, &t);
}

/* N1 leaves the thread in the process's context: a token it held before
 * (ImpersonateSelf) is dropped, so the primary token answers next (T1). */
Test(N1, impersonating_before_reading_drops_an_earlier_token)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", "n1-n2-named-pipes.yaml",
		 "no-sqos");
	cr_expect_eq(step(&t, "self-first")->status, SC_OK);
	const sc_step_result *early = step(&t, "too-early");
	cr_expect_eq(early->status, SC_CANNOT_IMPERSONATE);
	cr_expect_eq(early->as_level, SC_LEVEL_DEFAULT,
		     "no thread token after N1");
	cr_expect_eq(step(&t, "still-process")->status, SC_INVALID_PARAMETER);
	done(&w, &t);
}

Test(N1, a_com_call_needs_no_read)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", "c2-c6-cloaking-and-hosts.yaml",
		 "as-written");
	/* B impersonates at once: a COM call's request came with it. */
	const sc_hop *ab = hop(&t, "A", "B", 1);
	cr_assert(ab);
	cr_expect_eq(ab->steps[0].status, SC_OK);
	cr_expect_not(sc_log_has_rule(&ab->steps[0].log, "N1"));
	done(&w, &t);
}

Test(N2, the_level_reaches_the_server_only_with_sqos)
{
	const char *variants[] = {"no-sqos", "sqos-identify"};
	sc_level want[] = {SC_LEVEL_IMPERSONATE, SC_LEVEL_IDENTIFY};
	for (int i = 0; i < 2; i++) {
		world w;
		sc_trace t;
		run_file(&w, &t, "scenarios/rules", "n1-n2-named-pipes.yaml",
			 variants[i]);
		const sc_hop *ab = hop(&t, "A", "B", 1);
		cr_assert(ab);
		cr_expect_eq(ab->level_effective, want[i], "%s", variants[i]);
		cr_expect(sc_log_has_rule(&ab->log, "N2"));
		done(&w, &t);
	}
}

Test(T7, tracking_static_or_dynamic_over_one_connection)
{
	const char *variants[] = {"static-tracking", "dynamic-tracking",
				  "no-sqos-is-static"};
	const char *second[] = {"CORP\\alice", "CORP\\bob", "CORP\\alice"};
	for (int i = 0; i < 3; i++) {
		world w;
		sc_trace t;
		run_file(&w, &t, "scenarios/rules", "t7-pipe-sqos.yaml",
			 variants[i]);
		const sc_hop *h = hop(&t, "B", "C", 2);
		cr_assert(h, "%s: no second B->C", variants[i]);
		cr_expect_str_eq(h->presented, second[i], "%s", variants[i]);
		cr_expect(sc_log_has_rule(&h->log, "T7"));
		done(&w, &t);
	}
}

Test(T7, effective_only_keeps_the_server_from_enabling)
{
	const char *variants[] = {"static-tracking", "effective-only"};
	sc_status want[] = {SC_OK, SC_PRIVILEGE_NOT_HELD};
	for (int i = 0; i < 2; i++) {
		world w;
		sc_trace t;
		run_file(&w, &t, "scenarios/rules", "t7-pipe-sqos.yaml",
			 variants[i]);
		cr_expect_eq(step(&t, "d-check")->status,
			     SC_PRIVILEGE_NOT_HELD, "disabled by the client");
		cr_expect_eq(step(&t, "d-enable")->status, want[i], "%s",
			     variants[i]);
		done(&w, &t);
	}
}

Test(D6, the_transition_token_and_its_ticket)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", "d6-protocol-transition.yaml",
		 "forwardable");
	const sc_step_result *s4u = step(&t, "s4u");
	cr_expect_eq(s4u->status, SC_OK);
	cr_expect_str_eq(s4u->as, "CORP\\alice");
	cr_expect_eq(s4u->as_level, SC_LEVEL_IMPERSONATE);
	const sc_hop *bc = hop(&t, "B", "C", 1);
	cr_assert(bc);
	cr_expect_eq(bc->status, SC_OK);
	cr_expect_str_eq(bc->presented, "CORP\\alice");
	done(&w, &t);

	const char *refused[] = {"not-trusted", "sensitive-user"};
	for (int i = 0; i < 2; i++) {
		run_file(&w, &t, "scenarios/rules",
			 "d6-protocol-transition.yaml", refused[i]);
		bc = hop(&t, "B", "C", 1);
		cr_assert(bc);
		cr_expect_eq(bc->status, SC_NOT_SUPPORTED, "%s", refused[i]);
		cr_expect(sc_log_has_rule(&bc->log, "D6"));
		done(&w, &t);
	}

	run_file(&w, &t, "scenarios/rules", "d6-protocol-transition.yaml",
		 "no-tcb");
	cr_expect_eq(step(&t, "s4u")->as_level, SC_LEVEL_IDENTIFY,
		     "without SeTcbPrivilege: Identify");
	done(&w, &t);
}

Test(T5, a_nested_call_leaves_the_impersonation_restored)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", "t5-revert-and-nesting.yaml", NULL);
	const sc_step_result *call = step(&t, "b-calls-c");
	cr_expect_eq(call->status, SC_OK);
	cr_expect(sc_log_has_rule(&call->log, "T5"));
	cr_expect_str_eq(step(&t, "nested-create")->as, "CORP\\svc-c",
			 "the nested call impersonates its own caller");
	cr_expect_str_eq(step(&t, "after-nested")->as, "CORP\\alice",
			 "B impersonates alice again after the call");
	done(&w, &t);
}

/* Whether a note of rule in log says text. */
static bool says(const sc_log *log, const char *rule, const char *text)
{
	for (size_t i = 0; i < log->count; i++)
		if (!strcmp(log->notes[i].rule, rule) &&
		    strstr(log->notes[i].text, text))
			return true;
	return false;
}

/* bob's call reaches B while B's call for alice waits in C: in the MTA
 * it is served on another thread, in the STA re-entrantly on the waiting
 * thread; in both it runs as bob, and alice's impersonation holds after
 * B's call returns. The trace keeps the order: A->B, B->C, C->D, D->B. */
Test(T5, two_clients_interleave_through_one_apartment)
{
	const char *variants[] = {"mta", "sta"};
	for (int i = 0; i < 2; i++) {
		world w;
		sc_trace t;
		run_file(&w, &t, "scenarios/rules", "t5-apartments.yaml",
			 variants[i]);
		cr_assert_eq(t.count, 4, "%s", variants[i]);
		const char *order[][2] = {
			{"A", "B"}, {"B", "C"}, {"C", "D"}, {"D", "B"}};
		for (int k = 0; k < 4; k++) {
			cr_expect_str_eq(t.hops[k].from, order[k][0]);
			cr_expect_str_eq(t.hops[k].to, order[k][1]);
		}
		const sc_hop *db = hop(&t, "D", "B", 1);
		bool sta = i == 1;
		cr_expect_eq(says(&db->log, "T5", "re-entrantly"), sta, "%s",
			     variants[i]);
		cr_expect_eq(says(&db->log, "T5", "on another thread"), !sta,
			     "%s", variants[i]);
		const sc_step_result *call = step(&t, "b-calls-c");
		cr_expect_eq(says(&call->log, "T5", "on this thread"), sta);
		cr_expect_eq(says(&call->log, "T5", "still impersonates"),
			     !sta);
		cr_expect_str_eq(step(&t, "bob-reads")->as, "CORP\\bob");
		cr_expect_eq(step(&t, "bob-reads")->status, SC_ACCESS_DENIED);
		cr_expect_str_eq(step(&t, "alice-reads-after")->as,
				 "CORP\\alice");
		cr_expect_eq(step(&t, "alice-reads-after")->status, SC_OK);
		done(&w, &t);
	}
}

/* A call that does not come back through its server is served in the
 * apartment as any call is: nothing is said about apartments. */
Test(T5, no_call_out_no_apartment_note)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", "t5-apartments.yaml", "sta");
	const sc_hop *ab = hop(&t, "A", "B", 1);
	cr_assert(ab);
	cr_expect_not(says(&ab->log, "T5", "apartment"));
	done(&w, &t);
}

/* Without a nested call nothing is restored, and nothing is said. */
Test(T5, no_nested_call_no_restoring)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", "c2-c6-cloaking-and-hosts.yaml",
		 "as-written");
	const sc_hop *ab = hop(&t, "A", "B", 1);
	cr_assert(ab && ab->steps_count >= 2);
	cr_expect_not(sc_log_has_rule(&ab->steps[1].log, "T5"));
	done(&w, &t);
}

Test(T5, one_revert_undoes_any_nesting)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", "t5-revert-and-nesting.yaml", NULL);
	cr_expect_eq(step(&t, "one-revert")->status, SC_OK);
	cr_expect_eq(step(&t, "no-token-left")->status, SC_NO_TOKEN);
	cr_expect_str_eq(step(&t, "after-nested")->as, "CORP\\alice");
	done(&w, &t);
}

Test(T4, a_new_object_is_owned_by_the_thread_or_the_process)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", "l1-l3-anonymous-and-identify.yaml",
		 "impersonate");
	const sc_step_result *c = step(&t, "create");
	cr_expect_eq(c->status, SC_OK);
	cr_expect_str_eq(c->as, "CORP\\alice");
	cr_expect(sc_log_has_rule(&c->log, "T4"));
	done(&w, &t);
}

/* T4: the owner of a new object is the token's default owner: the
 * Administrators group for an administrator's token (alice's, SYSTEM's),
 * else the user. */
Test(T4, a_new_object_is_owned_by_the_default_owner)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", "t4-new-object-owner.yaml", NULL);
	cr_expect_str_eq(step(&t, "alice-creates")->as,
			 "BUILTIN\\Administrators");
	cr_expect_str_eq(step(&t, "bob-creates")->as, "CORP\\bob");
	cr_expect_str_eq(step(&t, "b-creates")->as, "CORP\\svc-b");
	cr_expect_str_eq(step(&t, "system-creates")->as,
			 "BUILTIN\\Administrators");
	done(&w, &t);
}

/* T4: a process started while impersonating runs as the primary token's
 * account; the step records it as its object. */
Test(T4, a_new_process_runs_as_the_primary_token)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", "t-token-operations.yaml",
		 "service-account");
	const sc_step_result *p = step(&t, "start-process");
	cr_expect_str_eq(p->object, "CORP\\svc-b");
	cr_expect_str_eq(p->as, "CORP\\alice");
	done(&w, &t);
	run_file(&w, &t, "scenarios/rules", "t-token-operations.yaml",
		 "system");
	cr_expect_str_eq(step(&t, "start-process")->object,
			 "NT AUTHORITY\\SYSTEM");
	done(&w, &t);
}

/* L1: at Anonymous a protocol transition with no user obtains nothing,
 * and never a token for the caller's real name. */
Test(L1, a_transition_without_user_at_anonymous_reveals_nobody)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", "l1-l3-anonymous-and-identify.yaml",
		 "anonymous");
	const sc_step_result *s = step(&t, "s4u-caller");
	cr_expect_eq(s->status, SC_LOGON_FAILURE);
	cr_expect(sc_log_has_rule(&s->log, "L1"));
	cr_expect_str_eq(s->object, "NT AUTHORITY\\ANONYMOUS LOGON");
	cr_expect_str_eq(s->as, "CORP\\svc-b");
	done(&w, &t);
	run_file(&w, &t, "scenarios/rules", "l1-l3-anonymous-and-identify.yaml",
		 "identify");
	s = step(&t, "s4u-caller");
	cr_expect_eq(s->status, SC_OK);
	cr_expect_str_eq(s->as, "CORP\\alice");
	done(&w, &t);
}

/* T9, T10: the privilege steps name their own rules, not T7 or P4. */
Test(T9, privilege_steps_name_their_own_rules)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", "t7-pipe-sqos.yaml",
		 "static-tracking");
	const sc_step_result *dis = step(&t, "s-disable"),
			     *chk = step(&t, "d-check"),
			     *en = step(&t, "d-enable");
	cr_expect(sc_log_has_rule(&dis->log, "T10"));
	cr_expect(sc_log_has_rule(&en->log, "T10"));
	cr_expect(sc_log_has_rule(&chk->log, "T9"));
	cr_expect(sc_log_has_rule(&chk->log, "T4"), "impersonating");
	const sc_step_result *all[] = {dis, chk, en};
	for (int i = 0; i < 3; i++)
		cr_expect(!sc_log_has_rule(&all[i]->log, "T7") &&
				  !sc_log_has_rule(&all[i]->log, "P4"),
			  "step %s", all[i]->id);
	done(&w, &t);
	/* On the process's own token P4 is named only when the host's
	 * rights changed since its logon. */
	run_file(&w, &t, "tests/unit/data", "privilege-check.yaml", NULL);
	const sc_step_result *before = step(&t, "before"),
			     *after = step(&t, "after"),
			     *never = step(&t, "never-held");
	cr_expect(sc_log_has_rule(&before->log, "T9"));
	cr_expect(!sc_log_has_rule(&before->log, "P4"));
	cr_expect_eq(after->status, SC_OK);
	cr_expect(sc_log_has_rule(&after->log, "P4"));
	cr_expect(!sc_log_has_rule(&never->log, "P4"));
	done(&w, &t);
}

/* C1 through set_blanket: an invalid blanket is refused and leaves the
 * proxy as it was; none and default given in a step take effect. */
Test(T11, adjusting_groups_and_the_states_a_pipe_server_sees)
{
	const char *variants[] = {"filtered", "unfiltered"};
	sc_status deny_only[] = {SC_CANT_ENABLE_DENY_ONLY, SC_OK};
	sc_status at_b[] = {SC_ACCESS_DENIED, SC_OK};
	for (int i = 0; i < 2; i++) {
		world w;
		sc_trace t;
		run_file(&w, &t, "scenarios/rules", "t6-group-states.yaml",
			 variants[i]);
		cr_expect_eq(step(&t, "a-disables-mandatory")->status,
			     SC_CANT_DISABLE_MANDATORY, "%s", variants[i]);
		cr_expect_eq(step(&t, "a-enables-deny-only")->status,
			     deny_only[i], "%s", variants[i]);
		cr_expect(sc_log_has_rule(&step(&t, "a-enables-sales")->log,
					  "T11"));
		cr_expect_eq(step(&t, "b-allow-deny-only")->status, at_b[i],
			     "%s: the deny-only group crossed the pipe",
			     variants[i]);
		const sc_hop *ab = hop(&t, "A", "B", 1);
		cr_assert(ab);
		/* Finance deny-only, Contractors disabled; Sales enabled. */
		cr_expect_eq(sc_log_has_rule(&ab->log, "T6"), i == 0, "%s",
			     variants[i]);
		done(&w, &t);
	}
}

Test(C1, set_blanket_judges_the_whole_blanket)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", "c1-set-blanket.yaml", NULL);
	const sc_step_result *bad = step(&t, "b1-static-identity");
	cr_expect_eq(bad->status, SC_INVALID_BLANKET);
	cr_expect(!sc_log_has_rule(&bad->log, "C3"), "nothing captured");
	const sc_hop *b1 = hop(&t, "B1", "C", 1);
	cr_assert(b1);
	cr_expect_str_eq(b1->presented, "CORP\\svc-b");
	const sc_hop *off = hop(&t, "B3", "C", 1), *def = hop(&t, "B3", "C", 2);
	cr_assert(off && def);
	cr_expect_str_eq(off->presented, "CORP\\svc-b");
	cr_expect_str_eq(def->presented, "CORP\\alice");
	cr_expect_eq(def->level_requested, SC_LEVEL_IDENTIFY);
	done(&w, &t);
}

/* An input error names no rule: its note's id is empty, and the lists of
 * rule ids leave it out. */
Test(rules, an_input_error_names_no_rule)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "tests/unit/data", "input-errors.yaml", NULL);
	const char *ids[] = {"no-caller", "nothing-to-read", "no-user"};
	for (int i = 0; i < 3; i++) {
		const sc_step_result *s = step(&t, ids[i]);
		cr_expect_neq(s->status, SC_OK, "%s", ids[i]);
		cr_assert_eq(s->log.count, 1, "%s", ids[i]);
		cr_expect_str_eq(s->log.notes[0].rule, "", "%s", ids[i]);
		cr_expect_str_eq(sc_note_rule_shown(&s->log.notes[0]), "-");
	}
	done(&w, &t);
}

Test(L3, an_access_check_answers_where_an_open_fails)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", "l1-l3-anonymous-and-identify.yaml",
		 "identify");
	const sc_step_result *q = step(&t, "query"), *o = step(&t, "open");
	cr_expect_eq(q->status, SC_OK);
	cr_expect_neq(q->granted, 0u);
	cr_expect_eq(o->status, SC_BAD_IMPERSONATION_LEVEL);
	cr_expect(sc_log_has_rule(&o->log, "L3"));
	cr_expect_eq(step(&t, "create")->status, SC_BAD_IMPERSONATION_LEVEL);
	cr_expect_eq(step(&t, "privilege")->status, SC_OK);
	done(&w, &t);
}

Test(P4, a_rights_change_between_calls)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", "p3-p4-policy-changes.yaml", NULL);
	/* B lost SeImpersonatePrivilege in policy, not in its token. */
	cr_expect_eq(step(&t, "b-keeps-impersonate")->status, SC_OK);
	cr_expect_eq(step(&t, "bob-impersonated")->as_level,
		     SC_LEVEL_IMPERSONATE);
	/* bob's later logon sees the OU assignment. */
	cr_expect_eq(step(&t, "bob-backup")->status, SC_OK);
	done(&w, &t);
}

Test(C7, named_from_the_second_middle_tier_on)
{
	world w;
	sc_trace t;
	run_file(&w, &t, "scenarios/rules", "c7-long-chain.yaml",
		 "as-written");
	const sc_hop *bd = hop(&t, "B", "D", 1), *dc = hop(&t, "D", "C", 1);
	cr_assert(bd && dc);
	cr_expect_not(sc_log_has_rule(&bd->log, "C7"));
	cr_expect(sc_log_has_rule(&dc->log, "C7"));
	cr_expect_str_eq(dc->presented, "CORP\\alice");
	done(&w, &t);
}

/* docs/rules.md against scenarios/rules/: every id of the specification
 * has a row, and the row names a scenario file under scenarios/rules/
 * that exists and has an expectation citing the id (rule: or warning:). */

static const char *const spec_ids[] = {
	"L1", "L2", "L3", "L4", "L5", "L6",
	"D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8",
	"C1", "C2", "C3", "C4", "C5", "C6", "C7",
	"P1", "P2", "P3", "P4",
	"T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8",
	"T9", "T10", /* ours: PrivilegeCheck, AdjustTokenPrivileges */
	"N1", "N2",
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (!buf)
		buf = calloc(1, 1);
	else
		buf[len] = '\0';
	return buf;
}

/* The table row of id: a line that starts "| ID |". */
static char *row_of(const char *doc, const char *id)
{
	char head[16];
	snprintf(head, sizeof(head), "| %s |", id);
	for (const char *l = doc; l && *l;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		if (strncmp(l, head, strlen(head)) == 0)
			return strndup(l, len);
		l = end ? end + 1 : NULL;
	}
	return NULL;
}

/* Whether e cites id: its `rule:` or `warning:` is id (parsed, so a
 * comment or T10 for T1 does not count). */
static bool cites(const sc_expect_def *e, const char *id)
{
	return (e->rule && strcasecmp(e->rule, id) == 0) ||
	       (e->warning && strcasecmp(e->warning, id) == 0);
}

/* How many expectations citing id the runs of file check and find
 * holding: the file is run in the model in each of its cases (as
 * written, then each variant), and each expectation of the run is evaluated. One
 * that fails is not counted: it is added to *failed, and the first is
 * described in why. */
static unsigned checked_citations(const char *rel, const char *id,
				  unsigned *failed, char *why, size_t len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", source(), rel);
	sc_scenario *s = NULL;
	sc_load_errors errs = {0};
	int rc = sc_load_file(path, NULL, &s, &errs);
	sc_load_errors_free(&errs);
	cr_expect_eq(rc, 0, "%s: docs/rules.md names %s, which does not load",
		     id, rel);
	if (rc != 0)
		return 0;
	/* Every case: the file as written, then each variant. */
	unsigned runs = sc_scenario_cases(s);
	char **names = calloc(runs, sizeof(*names));
	cr_assert_not_null(names);
	for (unsigned v = 0; v < runs; v++) {
		const char *name = sc_scenario_case_variant(s, v);
		names[v] = name ? strdup(name) : NULL;
	}
	sc_load_free(s);
	unsigned held = 0;
	for (unsigned v = 0; v < runs; v++) {
		world w;
		sc_trace t;
		run_file(&w, &t, ".", rel, names[v]);
		unsigned n = w.scn->expect_count;
		sc_expect_result *res = calloc(n ? n : 1, sizeof(*res));
		cr_assert_not_null(res);
		sc_expect_eval(w.scn->expect, n, &t, res);
		for (unsigned i = 0; i < n; i++) {
			if (!cites(&w.scn->expect[i], id))
				continue;
			if (res[i].pass) {
				held++;
			} else if ((*failed)++ == 0) {
				snprintf(why, len, "%s %s: %s (saw: %s)", rel,
					 names[v] ? names[v] : "", res[i].text,
					 res[i].why);
			}
		}
		free(res);
		done(&w, &t);
		free(names[v]);
	}
	free(names);
	return held;
}

Test(rules_doc, every_id_has_a_scenario)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/docs/rules.md", source());
	char *doc = slurp(path);
	cr_assert_not_null(doc, "cannot read %s", path);
	const char *prefix = "scenarios/rules/";
	for (size_t i = 0; i < sizeof(spec_ids) / sizeof(spec_ids[0]); i++) {
		const char *id = spec_ids[i];
		char *row = row_of(doc, id);
		cr_expect_not_null(row, "docs/rules.md has no row for %s", id);
		if (!row)
			continue;
		unsigned named = 0, showing = 0, failed = 0;
		char why[768] = "";
		for (const char *p = strstr(row, prefix); p;
		     p = strstr(p + 1, prefix)) {
			size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz"
					     "0123456789-_./");
			char rel[256];
			snprintf(rel, sizeof(rel), "%.*s", (int)n, p);
			size_t rl = strlen(rel);
			if (rl < 5 || strcmp(rel + rl - 5, ".yaml") != 0)
				continue;
			named++;
			showing += checked_citations(rel, id, &failed, why,
						     sizeof(why));
		}
		cr_expect_gt(named, 0,
			     "%s: its row in docs/rules.md names no scenario "
			     "under scenarios/rules/", id);
		cr_expect_eq(failed, 0, "%s: %u expectation(s) citing it do "
			     "not hold, first: %s", id, failed, why);
		cr_expect_gt(showing, 0,
			     "%s: no run of a scenario its row names checks an "
			     "expectation citing it (rule: %s or warning: %s) "
			     "and finds it holding",
			     id, id, id);
		free(row);
	}
	free(doc);
}

/* The check above can fail: a row without a scenario is caught, and an
 * expectation counts only when it is one (parsed) that cites the id and
 * that a run of the file checks and finds holding. */
Test(rules_doc, the_check_catches_a_missing_scenario)
{
	const char *doc = "| D6 | words | code | none yet |\n"
			  "| D7 | words | code | `scenarios/rules/x.yaml` |\n";
	char *row = row_of(doc, "D6");
	cr_assert_not_null(row);
	cr_expect_null(strstr(row, "scenarios/rules/"));
	free(row);
	cr_expect_null(row_of(doc, "D1"));
	sc_expect_def e = {.hop = "A->B", .rule = "T10"};
	cr_expect_not(cites(&e, "T1"));
	e.rule = "t1";
	cr_expect(cites(&e, "T1"));
	e.rule = NULL;
	e.warning = "l2";
	cr_expect(cites(&e, "L2"));
	/* The probe cites C4 in a comment, and in an expectation that does
	 * not hold; C2 in one that does. */
	unsigned failed = 0;
	char why[768] = "";
	cr_expect_eq(checked_citations("tests/unit/data/rules-doc-probe.yaml",
				       "C4", &failed, why, sizeof(why)),
		     0);
	cr_expect_eq(failed, 1);
	cr_expect(strstr(why, "rule C4") != NULL, "%s", why);
	failed = 0;
	cr_expect_eq(checked_citations("tests/unit/data/rules-doc-probe.yaml",
				       "C2", &failed, why, sizeof(why)),
		     1);
	cr_expect_eq(failed, 0);
}

/* The model's table of rule ids (SC_RULES, which the loader checks
 * expectations against) and the rows of docs/rules.md are the same ids:
 * a rule added to one and not the other fails here. */
Test(rules_doc, the_rule_table_is_the_doc)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/docs/rules.md",
		 getenv("CLOAKROOM_SOURCE") ? getenv("CLOAKROOM_SOURCE") : ".");
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "cannot read %s", path);
	char line[4096];
	size_t rows = 0;
	while (fgets(line, sizeof(line), f)) {
		char id[16];
		int end = 0;
		/* "| D7 | ..." is a rule's row; "| D7 and D1 together |" is
		 * not. */
		if (sscanf(line, "| %15[A-Z0-9] |%n", id, &end) != 1 || !end ||
		    !(id[0] >= 'A' && id[0] <= 'Z' && id[1] >= '0' &&
		      id[1] <= '9'))
			continue;
		rows++;
		cr_expect(sc_rule_known(id), "docs/rules.md has %s, SC_RULES "
			  "does not", id);
	}
	fclose(f);
	cr_expect_eq(rows, sc_rule_count, "docs/rules.md has %zu rule rows, "
		     "SC_RULES %zu ids", rows, sc_rule_count);
}
