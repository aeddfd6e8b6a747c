/* test_exec.c: the step interpreter and a whole chain run in one process,
 * with an in-memory transport: the seed diagram's answers come from the
 * model alone, in microseconds, before any daemon is involved. */
#include "sc_exec.h"
#include "sc_load.h"
#include "sc_world.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

typedef struct world {
	sc_scenario *scn;
	sc_world *w;
} world;

static void world_load(world *w, const char *file, const char *variant)
{
	char path[512];
	const char *src = getenv("CLOAKROOM_SOURCE");
	snprintf(path, sizeof(path), "%s/scenarios/%s", src ? src : ".", file);
	sc_load_errors errs = {0};
	memset(w, 0, sizeof(*w));
	cr_assert_eq(sc_load_file(path, variant, &w->scn, &errs), 0,
		     "cannot load %s", path);
	sc_load_errors_free(&errs);
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

static const sc_hop *hop(const sc_trace *t, const char *from, const char *to)
{
	for (size_t i = 0; i < t->count; i++)
		if (!strcmp(t->hops[i].from, from) && !strcmp(t->hops[i].to, to))
			return &t->hops[i];
	return NULL;
}

static void run_seed(const char *variant, const char *want_at_c,
		     sc_status want_open)
{
	world w;
	world_load(&w, "seed-diagram.yaml", variant);
	sc_trace t;
	sc_trace_init(&t);
	cr_assert_eq(sc_runtime_run_client(sc_world_runtime(w.w, "A"), &t), SC_OK);
	const sc_hop *ab = hop(&t, "A", "B"), *bc = hop(&t, "B", "C");
	cr_assert(ab && bc);
	cr_expect_str_eq(ab->presented, "CORP\\alice");
	cr_expect_eq(ab->level_effective, SC_LEVEL_IMPERSONATE);
	cr_expect_str_eq(bc->presented, want_at_c);
	cr_expect(bc->crossed_host);
	cr_assert_geq(bc->steps_count, 2);
	cr_expect_eq(bc->steps[1].status, want_open);
	/* The expectations of the file agree with the model. */
	sc_expect_result res[16];
	cr_assert_leq(w.scn->expect_count, 16);
	cr_expect_eq(sc_expect_eval(w.scn->expect, w.scn->expect_count, &t,
				    res),
		     0);
	sc_trace_free(&t);
	world_free(&w);
}

Test(C4, seed_diagram_dynamic_cloaking_presents_alice_to_c)
{
	run_seed("cloaking-dynamic", "CORP\\alice", SC_OK);
}

Test(C2, seed_diagram_without_cloaking_presents_svc_b_to_c)
{
	run_seed("cloaking-off", "CORP\\svc-b", SC_ACCESS_DENIED);
}

Test(C6, double_hop_fails_at_impersonate_and_passes_with_delegation)
{
	const char *variants[] = {"as-written", "delegate",
				  "delegate-sensitive", "delegate-untrusted"};
	sc_status want[] = {SC_ACCESS_DENIED, SC_OK, SC_ACCESS_DENIED,
			    SC_ACCESS_DENIED};
	for (int i = 0; i < 4; i++) {
		world w;
		world_load(&w, "double-hop.yaml", variants[i]);
		sc_trace t;
		sc_trace_init(&t);
		sc_runtime_run_client(sc_world_runtime(w.w, "A"), &t);
		const sc_hop *bc = hop(&t, "B", "C");
		cr_assert(bc, "%s: no B->C hop", variants[i]);
		cr_expect_eq(bc->status, want[i], "%s: %s", variants[i],
			     sc_status_name(bc->status));
		sc_trace_free(&t);
		world_free(&w);
	}
}

/* D1, D3, D4, D5: a member of Protected Users is never delegated and
 * cannot sign in with NTLM (scenarios/rules/d1-protected-users.yaml). */
Test(D1, a_member_of_protected_users_is_not_delegated)
{
	const char *variants[] = {"as-written", "ntlm", "constrained",
				  "resource-based"};
	sc_status want_ab[] = {SC_OK, SC_LOGON_FAILURE, SC_OK, SC_OK};
	sc_status want_bc[] = {SC_ACCESS_DENIED, SC_OK, SC_NOT_SUPPORTED,
			       SC_NOT_SUPPORTED};
	for (int i = 0; i < 4; i++) {
		world w;
		world_load(&w, "rules/d1-protected-users.yaml", variants[i]);
		sc_trace t;
		sc_trace_init(&t);
		sc_runtime_run_client(sc_world_runtime(w.w, "A"), &t);
		const sc_hop *ab = hop(&t, "A", "B"), *bc = hop(&t, "B", "C");
		cr_assert(ab, "%s: no A->B hop", variants[i]);
		cr_expect_eq(ab->status, want_ab[i], "%s: A->B %s",
			     variants[i], sc_status_name(ab->status));
		if (i == 0)
			cr_expect_eq(ab->level_effective, SC_LEVEL_IMPERSONATE,
				     "Delegate refused for alice");
		if (want_ab[i] == SC_OK) {
			cr_assert(bc, "%s: no B->C hop", variants[i]);
			cr_expect_eq(bc->status, want_bc[i], "%s: B->C %s",
				     variants[i], sc_status_name(bc->status));
		}
		sc_trace_free(&t);
		world_free(&w);
	}
}

Test(T5, impersonation_ends_with_the_call)
{
	world w;
	world_load(&w, "identify-cloaked.yaml", NULL);
	sc_trace t;
	sc_trace_init(&t);
	sc_runtime_run_client(sc_world_runtime(w.w, "A"), &t);
	const sc_hop *ab = hop(&t, "A", "B");
	cr_assert(ab);
	/* B never reverts: the end of the call does. */
	cr_expect(sc_log_has_rule(&ab->log, "T5"));
	sc_trace_free(&t);
	world_free(&w);
}

Test(T8, a_call_without_context_is_served_unauthenticated)
{
	world w;
	world_load(&w, "seed-diagram.yaml", "cloaking-dynamic");
	sc_trace t;
	sc_trace_init(&t);
	/* C serves a call that carried no context: impersonation fails. */
	cr_assert_eq(sc_runtime_serve(sc_world_runtime(w.w, "C"), NULL, NULL, &t), SC_OK);
	cr_expect_str_eq(t.hops[0].presented, "NT AUTHORITY\\ANONYMOUS LOGON");
	cr_assert_geq(t.hops[0].steps_count, 1);
	cr_expect_eq(t.hops[0].steps[0].status, SC_CANNOT_IMPERSONATE);
	sc_trace_free(&t);
	world_free(&w);
}

/* The name the callee shows is its directory's for the SID presented,
 * never the one on the wire: svc-b's SID named "CORP\\alice" is shown,
 * and impersonated, as CORP\\svc-b. */
Test(K7, the_presented_name_comes_from_the_directory)
{
	world w;
	world_load(&w, "seed-diagram.yaml", "cloaking-dynamic");
	const sc_token *b = sc_runtime_token(sc_world_runtime(w.w, "B"));
	sc_token *liar = sc_token_copy(b);
	cr_assert(liar);
	cr_assert_eq(sc_token_set_user(liar, sc_token_user_sid(b),
				       "CORP\\alice"),
		     0);
	sc_context c;
	memset(&c, 0, sizeof(c));
	c.identity = liar;
	c.asked = SC_LEVEL_IMPERSONATE;
	c.authn = SC_AUTHN_CONNECT;
	c.package = SC_PACKAGE_KERBEROS;
	snprintf(c.caller, sizeof(c.caller), "B");
	snprintf(c.caller_host, sizeof(c.caller_host), "%s",
		 sc_runtime_process(sc_world_runtime(w.w, "B"))->host);
	snprintf(c.chain, sizeof(c.chain), "A>B");
	sc_trace t;
	sc_trace_init(&t);
	cr_assert_eq(sc_runtime_serve(sc_world_runtime(w.w, "C"), &c, NULL, &t), SC_OK);
	cr_expect_str_eq(t.hops[0].presented, "CORP\\svc-b");
	cr_assert_geq(t.hops[0].steps_count, 1);
	cr_expect_str_eq(t.hops[0].steps[0].as, "CORP\\svc-b");
	sc_trace_free(&t);
	sc_token_free(liar);
	world_free(&w);
}

/* What a call with no context draws (docs/security.md): B's steps run,
 * as B: its impersonation fails (T8) and its call to C, with dynamic
 * cloaking and no thread token, presents B's own account (C4). Nothing
 * runs as the caller. */
Test(T8, a_call_without_context_makes_the_server_act_as_itself)
{
	world w;
	world_load(&w, "seed-diagram.yaml", "cloaking-dynamic");
	sc_trace t;
	sc_trace_init(&t);
	cr_assert_eq(sc_runtime_serve(sc_world_runtime(w.w, "B"), NULL, NULL, &t), SC_OK);
	cr_expect_str_eq(t.hops[0].presented, "NT AUTHORITY\\ANONYMOUS LOGON");
	cr_expect_eq(t.hops[0].steps[0].status, SC_CANNOT_IMPERSONATE);
	const sc_hop *bc = hop(&t, "B", "C");
	cr_assert(bc, "B did not call C");
	cr_expect_str_eq(bc->presented, "CORP\\svc-b");
	cr_expect(sc_log_has_rule(&bc->log, "C4"));
	for (size_t i = 0; i < t.count; i++)
		cr_expect_str_neq(t.hops[i].presented, "CORP\\alice");
	sc_trace_free(&t);
	world_free(&w);
}

/* A server with a minimum authentication level refuses a call that
 * carries no context (it cannot run at that level with nobody
 * authenticated): no step runs, nobody is called. */
Test(T8, a_server_with_a_minimum_level_refuses_a_call_without_context)
{
	world w;
	world_load(&w, "seed-diagram.yaml", "cloaking-dynamic");
	w.scn->processes[1].server_authn = SC_AUTHN_PACKET;
	sc_trace t;
	sc_trace_init(&t);
	cr_expect_eq(sc_runtime_serve(sc_world_runtime(w.w, "B"), NULL, NULL, &t),
		     SC_ACCESS_DENIED);
	cr_assert_eq(t.count, 1, "B called on");
	cr_expect_eq(t.hops[0].status, SC_ACCESS_DENIED);
	cr_expect_eq(t.hops[0].steps_count, 0, "B's steps ran");
	cr_expect(sc_log_has_rule(&t.hops[0].log, "T8"));
	sc_trace_free(&t);
	world_free(&w);
}

/* `ran: false` passes only when the step or hop did not happen, and
 * `ran: true` only when it did. */
Test(expect, ran_false_fails_when_the_step_ran)
{
	world w;
	world_load(&w, "seed-diagram.yaml", "cloaking-dynamic");
	sc_trace t;
	sc_trace_init(&t);
	cr_assert_eq(sc_runtime_run_client(sc_world_runtime(w.w, "A"), &t), SC_OK);
	bool no = false, yes = true;
	sc_expect_def ex[4];
	memset(ex, 0, sizeof(ex));
	ex[0].step = "c-opens-report";
	ex[0].ran = &no;  /* it ran: fails */
	ex[1].step = "c-opens-report";
	ex[1].ran = &yes; /* passes */
	ex[2].hop = "A->C";
	ex[2].ran = &no;  /* no such hop: passes */
	ex[3].hop = "B->C";
	ex[3].ran = &no;  /* it ran: fails */
	sc_expect_result res[4];
	cr_expect_eq(sc_expect_eval(ex, 4, &t, res), 2);
	cr_expect_not(res[0].pass);
	cr_expect(strstr(res[0].why, "the step ran") != NULL, "%s",
		  res[0].why);
	cr_expect(res[1].pass);
	cr_expect(res[2].pass);
	cr_expect_not(res[3].pass);
	sc_trace_free(&t);
	world_free(&w);
}

/* A hop's `rule:` names the hop's own decisions (the caller's and the
 * callee's notes on the call), never a note of a step the callee ran
 * inside it; a step's `rule:` names the step's. */
Test(expect, a_hop_rule_is_not_found_in_the_callees_steps)
{
	sc_trace t;
	sc_trace_init(&t);
	int h = sc_trace_add_hop(&t);
	cr_assert_geq(h, 0);
	snprintf(t.hops[h].from, SC_NAME_LEN, "B");
	snprintf(t.hops[h].to, SC_NAME_LEN, "C");
	sc_log_rule(&t.hops[h].log, "C4", "dynamic cloaking");
	sc_step_result *s = sc_trace_add_step(&t, h);
	cr_assert(s);
	snprintf(s->id, SC_NAME_LEN, "c-open");
	s->kind = SC_STEP_OPEN;
	sc_log_rule(&s->log, "T6", "the access check");
	sc_expect_def ex[4];
	memset(ex, 0, sizeof(ex));
	ex[0].hop = "B->C";
	ex[0].rule = "T6";  /* the step's note: fails */
	ex[1].hop = "B->C";
	ex[1].rule = "C4";  /* the hop's own: passes */
	ex[2].step = "c-open";
	ex[2].rule = "T6";  /* passes */
	ex[3].step = "c-open";
	ex[3].rule = "C4";  /* the hop's note: fails */
	sc_expect_result res[4];
	cr_expect_eq(sc_expect_eval(ex, 4, &t, res), 2);
	cr_expect_not(res[0].pass);
	cr_expect(res[1].pass);
	cr_expect(res[2].pass);
	cr_expect_not(res[3].pass);
	sc_trace_free(&t);
}

/* A step's `level:` is the one level the step reports: what a
 * query_level read (not the level of the token it ran as), the level of
 * a duplicate's copy, and for any other step the level of its token. */
Test(expect, a_step_level_is_the_level_the_step_reports)
{
	sc_trace t;
	sc_trace_init(&t);
	sc_step_result *q = sc_trace_add_step(&t, -1);
	cr_assert(q);
	snprintf(q->id, SC_NAME_LEN, "query");
	q->kind = SC_STEP_QUERY_LEVEL;
	q->level = SC_LEVEL_IDENTIFY;
	q->as_level = SC_LEVEL_IMPERSONATE;
	sc_step_result *o = sc_trace_add_step(&t, -1);
	cr_assert(o);
	snprintf(o->id, SC_NAME_LEN, "open");
	o->kind = SC_STEP_OPEN;
	o->level = SC_LEVEL_IDENTIFY;
	o->as_level = SC_LEVEL_IMPERSONATE;
	sc_expect_def ex[4];
	memset(ex, 0, sizeof(ex));
	ex[0].step = "query";
	ex[0].level = "identify";     /* read: passes */
	ex[1].step = "query";
	ex[1].level = "impersonate";  /* its thread's: fails */
	ex[2].step = "open";
	ex[2].level = "impersonate";  /* its token's: passes */
	ex[3].step = "open";
	ex[3].level = "identify";     /* fails */
	sc_expect_result res[4];
	cr_expect_eq(sc_expect_eval(ex, 4, &t, res), 2);
	cr_expect(res[0].pass);
	cr_expect_not(res[1].pass);
	cr_expect(strstr(res[1].why, "level identify") != NULL, "%s",
		  res[1].why);
	cr_expect(res[2].pass);
	cr_expect_not(res[3].pass);
	sc_trace_free(&t);
}

/* A hand-made hop B->C with the notes given, and a step "s" with its own
 * note: the traces the checks below read. */
static void trace_with_hop(sc_trace *t, sc_status st, sc_authn authn,
			   bool not_sent)
{
	sc_trace_init(t);
	int h = sc_trace_add_hop(t);
	cr_assert_geq(h, 0);
	snprintf(t->hops[h].from, SC_NAME_LEN, "B");
	snprintf(t->hops[h].to, SC_NAME_LEN, "C");
	t->hops[h].status = st;
	t->hops[h].authn = authn;
	t->hops[h].not_sent = not_sent;
	sc_log_rule(&t->hops[h].log, "D2",
		    "Delegate asked but the client account is sensitive and "
		    "cannot be delegated: Impersonate");
	sc_log_rule(&t->hops[h].log, "L4", "Impersonate");
	sc_step_result *s = sc_trace_add_step(t, h);
	cr_assert(s);
	snprintf(s->id, SC_NAME_LEN, "s");
	s->kind = SC_STEP_IMPERSONATE;
	s->status = SC_OK;
	sc_log_warn(&s->log, "P2", "downgraded to Identify");
}

/* `chosen:` pins whom the caller's cloaking chose, also on a call its
 * proxy refused, where nothing was presented (and `presented:` cannot
 * hold). */
Test(expect, chosen_pins_whom_a_refused_call_would_have_presented)
{
	sc_trace t;
	trace_with_hop(&t, SC_ACCESS_DENIED, SC_AUTHN_CONNECT, true);
	snprintf(t.hops[0].chosen, SC_IDENT_LEN, "CORP\\alice");
	sc_expect_def ex[4];
	memset(ex, 0, sizeof(ex));
	ex[0].hop = "B->C";
	ex[0].chosen = "CORP\\alice";  /* passes */
	ex[1].hop = "B->C";
	ex[1].chosen = "alice";         /* the account alone: passes */
	ex[2].hop = "B->C";
	ex[2].chosen = "CORP\\svc-b";  /* fails */
	ex[3].hop = "B->C";
	ex[3].presented = "CORP\\alice"; /* nothing presented: fails */
	sc_expect_result res[4];
	cr_expect_eq(sc_expect_eval(ex, 4, &t, res), 2);
	cr_expect(res[0].pass, "%s", res[0].why);
	cr_expect(strstr(res[0].text, "chosen CORP\\alice") != NULL, "%s",
		  res[0].text);
	cr_expect(res[1].pass, "%s", res[1].why);
	cr_expect_not(res[2].pass);
	cr_expect(strstr(res[2].why, "chosen CORP\\alice") != NULL, "%s",
		  res[2].why);
	cr_expect_not(res[3].pass);
	cr_expect(strstr(res[3].why, "presented nobody") != NULL, "%s",
		  res[3].why);
	t.hops[0].chosen[0] = '\0'; /* nothing chosen (C1) */
	cr_expect_eq(sc_expect_eval(ex, 1, &t, res), 1);
	cr_expect(strstr(res[0].why, "chosen nobody") != NULL, "%s",
		  res[0].why);
	sc_trace_free(&t);
}

/* `status: "!OK"`: any status but OK; `status: "!ACCESS_DENIED"` fails
 * on an ACCESS_DENIED hop. */
Test(expect, a_negated_status_is_any_other_status)
{
	sc_trace t;
	trace_with_hop(&t, SC_INVALID_BLANKET, SC_AUTHN_CONNECT, false);
	sc_expect_def ex[4];
	memset(ex, 0, sizeof(ex));
	ex[0].hop = "B->C";
	ex[0].status = "!OK";              /* INVALID_BLANKET: passes */
	ex[1].hop = "B->C";
	ex[1].status = "!invalid_blanket"; /* it is: fails */
	ex[2].step = "s";
	ex[2].status = "!OK";              /* the step is OK: fails */
	ex[3].step = "s";
	ex[3].status = "!ACCESS_DENIED";   /* passes */
	sc_expect_result res[4];
	cr_expect_eq(sc_expect_eval(ex, 4, &t, res), 2);
	cr_expect(res[0].pass);
	cr_expect(strstr(res[0].text, "status not OK") != NULL, "%s",
		  res[0].text);
	cr_expect_not(res[1].pass);
	cr_expect(strstr(res[1].why, "status INVALID_BLANKET") != NULL, "%s",
		  res[1].why);
	cr_expect_not(res[2].pass);
	cr_expect(res[3].pass);
	sc_trace_free(&t);
}

/* `absent: ID`: no note of the hop (or the step) names the id, as a
 * decision or as a warning. */
Test(expect, absent_fails_when_the_rule_applied)
{
	sc_trace t;
	trace_with_hop(&t, SC_OK, SC_AUTHN_CONNECT, false);
	sc_expect_def ex[4];
	memset(ex, 0, sizeof(ex));
	ex[0].hop = "B->C";
	ex[0].absent = "D1";  /* passes */
	ex[1].hop = "B->C";
	ex[1].absent = "d2";  /* applied: fails */
	ex[2].step = "s";
	ex[2].absent = "P2";  /* the step's warning: fails */
	ex[3].hop = "B->C";
	ex[3].absent = "P2";  /* a step's note is not the hop's: passes */
	sc_expect_result res[4];
	cr_expect_eq(sc_expect_eval(ex, 4, &t, res), 2);
	cr_expect(res[0].pass);
	cr_expect_not(res[1].pass);
	cr_expect(strstr(res[1].why, "d2 applied") != NULL, "%s", res[1].why);
	cr_expect_not(res[2].pass);
	cr_expect(res[3].pass);
	sc_trace_free(&t);
}

/* `authn:` the hop's authentication level, in any of its spellings. */
Test(expect, authn_is_the_hops_authentication_level)
{
	sc_trace t;
	trace_with_hop(&t, SC_OK, SC_AUTHN_PACKET, false);
	sc_expect_def ex[3];
	memset(ex, 0, sizeof(ex));
	ex[0].hop = "B->C";
	ex[0].authn = "packet";                /* passes */
	ex[1].hop = "B->C";
	ex[1].authn = "RPC_C_AUTHN_LEVEL_PKT"; /* the same: passes */
	ex[2].hop = "B->C";
	ex[2].authn = "default";               /* fails */
	sc_expect_result res[3];
	cr_expect_eq(sc_expect_eval(ex, 3, &t, res), 1);
	cr_expect(res[0].pass);
	cr_expect(res[1].pass);
	cr_expect_not(res[2].pass);
	cr_expect(strstr(res[2].why, "authn packet") != NULL, "%s",
		  res[2].why);
	sc_trace_free(&t);
}

/* `note:` a substring of a note's text, case-insensitively; with `rule:`
 * it must be in a note of that rule. */
Test(expect, note_is_a_substring_of_a_notes_text)
{
	sc_trace t;
	trace_with_hop(&t, SC_OK, SC_AUTHN_CONNECT, false);
	sc_expect_def ex[5];
	memset(ex, 0, sizeof(ex));
	ex[0].hop = "B->C";
	ex[0].note = "SENSITIVE";   /* passes */
	ex[1].hop = "B->C";
	ex[1].rule = "D2";
	ex[1].note = "sensitive";   /* D2's note: passes */
	ex[2].hop = "B->C";
	ex[2].rule = "L4";
	ex[2].note = "sensitive";   /* not L4's note: fails */
	ex[3].hop = "B->C";
	ex[3].note = "trusted";     /* no note says it: fails */
	ex[4].step = "s";
	ex[4].note = "downgraded";  /* the step's warning: passes */
	sc_expect_result res[5];
	cr_expect_eq(sc_expect_eval(ex, 5, &t, res), 2);
	cr_expect(res[0].pass);
	cr_expect(res[1].pass);
	cr_expect_not(res[2].pass);
	cr_expect(strstr(res[2].why, "no L4 note says 'sensitive'") != NULL,
		  "%s", res[2].why);
	cr_expect_not(res[3].pass);
	cr_expect(res[4].pass);
	sc_trace_free(&t);
}

/* `ran: false` on a hop: no call was made. A hop the caller's proxy
 * refused before sending it did not run, though the trace records it
 * (and its other fields are checked); a hop that was sent ran. */
Test(expect, a_hop_refused_at_the_proxy_did_not_run)
{
	sc_trace t;
	trace_with_hop(&t, SC_INVALID_BLANKET, SC_AUTHN_CONNECT, true);
	bool no = false, yes = true;
	sc_expect_def ex[3];
	memset(ex, 0, sizeof(ex));
	ex[0].hop = "B->C";
	ex[0].ran = &no;
	ex[0].status = "INVALID_BLANKET";  /* passes */
	ex[1].hop = "B->C";
	ex[1].ran = &no;
	ex[1].status = "OK";               /* not sent, but the status: fails */
	ex[2].hop = "B->C";
	ex[2].ran = &yes;                  /* fails */
	sc_expect_result res[3];
	cr_expect_eq(sc_expect_eval(ex, 3, &t, res), 2);
	cr_expect(res[0].pass);
	cr_expect_not(res[1].pass);
	cr_expect_not(res[2].pass);
	cr_expect(strstr(res[2].why, "no call was made") != NULL, "%s",
		  res[2].why);
	sc_trace_free(&t);
	trace_with_hop(&t, SC_ACCESS_DENIED, SC_AUTHN_CONNECT, false);
	memset(ex, 0, sizeof(ex));
	ex[0].hop = "B->C";
	ex[0].ran = &no;                   /* it was sent: fails */
	cr_expect_eq(sc_expect_eval(ex, 1, &t, res), 1);
	cr_expect(strstr(res[0].why, "the hop ran") != NULL, "%s",
		  res[0].why);
	sc_trace_free(&t);
}

/* P1's third exemption against P2: the caller's token is downgraded, the
 * same user logged on with a password is impersonated at Impersonate. */
Test(P1, explicit_logon_token_is_impersonated_without_the_privilege)
{
	world w;
	world_load(&w, "rules/p1-explicit-logon.yaml", NULL);
	sc_trace t;
	sc_trace_init(&t);
	sc_runtime_run_client(sc_world_runtime(w.w, "A"), &t);
	const sc_hop *ab = hop(&t, "A", "B");
	cr_assert(ab);
	cr_assert_geq(ab->steps_count, 9);
	/* impersonate: P2, Identify. */
	cr_expect_eq(ab->steps[0].status, SC_OK);
	cr_expect(sc_log_has_rule(&ab->steps[0].log, "P2"));
	/* logon_user with bob's password, then set_thread_token. */
	cr_expect_eq(ab->steps[3].status, SC_OK);
	cr_expect_eq(ab->steps[4].status, SC_OK);
	cr_expect(sc_log_has_rule(&ab->steps[4].log, "P1"));
	cr_expect_not(sc_log_has_rule(&ab->steps[4].log, "P2"));
	cr_expect_eq(ab->steps[5].level, SC_LEVEL_IMPERSONATE);
	cr_expect_eq(ab->steps[6].status, SC_OK, "bob's file opens");
	/* logon_user without a user needs SeTcbPrivilege. */
	cr_expect_eq(ab->steps[8].status, SC_PRIVILEGE_NOT_HELD);
	sc_trace_free(&t);
	world_free(&w);
}

/* P4: rights assigned while the process runs reach its token at its
 * restart, not before. */
Test(P4, restart_builds_the_token_from_the_current_rights)
{
	world w;
	world_load(&w, "rules/p4-restart.yaml", NULL);
	sc_trace t;
	sc_trace_init(&t);
	sc_runtime_run_client(sc_world_runtime(w.w, "A1"), &t);
	const sc_hop *ab = hop(&t, "A1", "B");
	cr_assert(ab);
	cr_assert_eq(ab->steps_count, 8);
	cr_expect_eq(ab->steps[5].status, SC_PRIVILEGE_NOT_HELD,
		     "assigned, not yet restarted");
	cr_expect_eq(ab->steps[6].status, SC_OK);
	cr_expect(sc_log_has_rule(&ab->steps[6].log, "P4"));
	cr_expect_eq(ab->steps[7].status, SC_OK, "restarted: held");
	const sc_token *now = sc_runtime_token(sc_world_runtime(w.w, "B"));
	cr_expect(sc_token_privilege_enabled(now, "SeBackupPrivilege"));
	cr_expect_not(sc_token_privilege_enabled(now, "SeImpersonatePrivilege"));
	sc_trace_free(&t);
	world_free(&w);
}
