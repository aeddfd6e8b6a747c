/* test_whoami.c: the token view of `cloakroom tokens` (cli/render/
 * whoami.c), without daemons: which tokens it shows (every process token,
 * then each callee's thread token; with a step id, those of the process
 * that ran it as they stood then), and that it prints each one's user,
 * groups with their attributes, privileges with their state, type, level,
 * logon and session, and says the model has no integrity level. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "whoami.h"

static sc_token *alice(sc_token_type type)
{
	sc_token *t = sc_token_new(type);
	cr_assert_not_null(t);
	sc_token_set_user(t, "S-1-5-21-7-1000", "CORP\\alice");
	sc_token_add_group(t, SC_SID_EVERYONE, "Everyone",
			   SC_GROUP_MANDATORY | SC_GROUP_ENABLED);
	sc_token_add_group(t, SC_SID_ADMINISTRATORS, "BUILTIN\\Administrators",
			   SC_GROUP_MANDATORY | SC_GROUP_USE_FOR_DENY_ONLY);
	sc_token_add_group(t, "S-1-5-21-7-1111", "CORP\\Finance",
			   SC_GROUP_OWNER | SC_GROUP_ENABLED);
	sc_token_add_group(t, "S-1-5-21-7-1112", "CORP\\Audit", 0);
	sc_token_add_privilege(t, "SeChangeNotifyPrivilege", true);
	sc_token_add_privilege(t, "SeShutdownPrivilege", false);
	sc_token_set_logon(t, type == SC_TOKEN_PRIMARY ? SC_LOGON_INTERACTIVE
						       : SC_LOGON_NETWORK);
	sc_token_set_session(t, 0x3e7);
	if (type == SC_TOKEN_IMPERSONATION)
		sc_token_set_level(t, SC_LEVEL_IMPERSONATE);
	return t;
}

static sc_token *svc(void)
{
	sc_token *t = sc_token_new(SC_TOKEN_PRIMARY);
	sc_token_set_user(t, "S-1-5-21-7-1001", "CORP\\svc-b");
	sc_token_add_privilege(t, SC_PRIV_IMPERSONATE, true);
	sc_token_set_logon(t, SC_LOGON_SERVICE);
	return t;
}

/* A: client alice; B serves hop 1 under the token it built, runs step
 * "b-opens" impersonating, and "b-self" reverted. */
typedef struct world {
	sc_process_def procs[2];
	sc_scenario scn;
	sc_token *pa, *pb;
	const sc_token *prim[2];
	sc_trace t;
} world;

static void world_init(world *w)
{
	memset(w, 0, sizeof(*w));
	w->procs[0].name = "A";
	w->procs[1].name = "B";
	w->scn.processes = w->procs;
	w->scn.processes_count = 2;
	w->pa = alice(SC_TOKEN_PRIMARY);
	w->pb = svc();
	w->prim[0] = w->pa;
	w->prim[1] = w->pb;
	sc_trace_init(&w->t);
	int h = sc_trace_add_hop(&w->t);
	cr_assert_eq(h, 0);
	sc_hop *hp = &w->t.hops[0];
	strcpy(hp->from, "A");
	strcpy(hp->to, "B");
	hp->caller_token = alice(SC_TOKEN_PRIMARY);
	hp->built_token = alice(SC_TOKEN_IMPERSONATION);
	sc_step_result *s = sc_trace_add_step(&w->t, 0);
	strcpy(s->process, "B");
	strcpy(s->id, "b-opens");
	strcpy(s->as, "CORP\\alice");
	s->as_level = SC_LEVEL_IMPERSONATE;
	s = sc_trace_add_step(&w->t, 0);
	strcpy(s->process, "B");
	strcpy(s->id, "b-self");
	strcpy(s->as, "CORP\\svc-b");
	s->as_level = SC_LEVEL_DEFAULT;
	s = sc_trace_add_step(&w->t, 0);
	strcpy(s->process, "B");
	strcpy(s->id, "b-logon");
	strcpy(s->as, "CORP\\bob");
	s->as_level = SC_LEVEL_IMPERSONATE;
}

static void world_free(world *w)
{
	sc_token_free(w->pa);
	sc_token_free(w->pb);
	sc_trace_free(&w->t);
}

static char *render_in(const whoami_entry *e, long n, int width)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	whoami_text(f, e, (size_t)n, width);
	fclose(f);
	return buf;
}

static char *render(const whoami_entry *e, long n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	whoami_text(f, e, (size_t)n, 0);
	fclose(f);
	return buf;
}

Test(whoami, every_process_token_then_each_callee_thread_token)
{
	world w;
	world_init(&w);
	whoami_entry *e;
	long n = whoami_collect(&w.scn, w.prim, &w.t, NULL, &e);
	cr_assert_eq(n, 3);
	cr_assert(e[0].primary && strcmp(e[0].process, "A") == 0);
	cr_assert(e[0].token == w.pa);
	cr_assert(e[1].primary && e[1].token == w.pb);
	cr_assert(!e[2].primary && strcmp(e[2].process, "B") == 0);
	cr_assert(e[2].token == w.t.hops[0].built_token);
	cr_assert(strstr(e[2].context, "call from A (hop 1)"));
	free(e);
	world_free(&w);
}

Test(whoami, text_is_whoami_all)
{
	world w;
	world_init(&w);
	whoami_entry *e;
	long n = whoami_collect(&w.scn, w.prim, &w.t, NULL, &e);
	char *s = render(e, n);
	cr_assert(strstr(s, "== A: process token =="), "%s", s);
	cr_assert(strstr(s, "USER INFORMATION"));
	cr_assert(strstr(s, "CORP\\alice S-1-5-21-7-1000"), "%s", s);
	/* every attribute the model holds, as whoami spells it */
	cr_assert(strstr(s, "S-1-1-0 ") && strstr(s, "Mandatory group, "
						      "Enabled group\n"));
	cr_assert(strstr(s, "Mandatory group, Group used for deny only\n"),
		  "%s", s);
	cr_assert(strstr(s, "Enabled group, Group owner\n"), "%s", s);
	cr_assert(strstr(s, "S-1-5-21-7-1112 -\n"), "%s", s);
	cr_assert(strstr(s, "SeChangeNotifyPrivilege Enabled\n"), "%s", s);
	cr_assert(strstr(s, "SeShutdownPrivilege     Disabled\n"), "%s", s);
	cr_assert(strstr(s, "Token type:          primary\n"));
	cr_assert(strstr(s, "Impersonation level: - (a primary token has "
			    "none)\n"));
	cr_assert(strstr(s, "Logon type:          interactive\n"));
	cr_assert(strstr(s, "Logon type:          service\n"));
	cr_assert(strstr(s, "Logon session:       0x3e7\n"));
	/* T12: alice's interactive logon medium, B's service logon system,
	 * the network logon B built for alice medium */
	cr_assert(strstr(s, "Integrity level:     medium (Mandatory Label\\"
			    "Medium Mandatory Level, S-1-16-8192)\n"), "%s", s);
	cr_assert(strstr(s, "Integrity level:     system (Mandatory Label\\"
			    "System Mandatory Level, S-1-16-16384)\n"), "%s", s);
	/* the thread token B served the call under */
	cr_assert(strstr(s, "== B: thread token serving the call from A "
			    "(hop 1) =="));
	cr_assert(strstr(s, "Token type:          impersonation\n"));
	cr_assert(strstr(s, "Impersonation level: impersonate\n"));
	cr_assert(strstr(s, "Logon type:          network\n"));
	free(s);
	free(e);
	world_free(&w);
}

/* A terminal narrower than a table: the user and the groups as a list,
 * a line per field (whoami /fo list); every line within the width; the
 * same facts. Wide enough: the tables. */
Test(whoami, a_narrow_terminal_gets_lists)
{
	world w;
	world_init(&w);
	whoami_entry *e;
	long n = whoami_collect(&w.scn, w.prim, &w.t, NULL, &e);
	char *s = render_in(e, n, 20);
	cr_expect(strstr(s, "User Name: CORP\\alice\nSID:       "
			    "S-1-5-21-7-1000\n"), "%s", s);
	free(s);
	s = render_in(e, n, 40); /* the user's table fits, the groups' not */
	cr_expect(strstr(s, "CORP\\alice S-1-5-21-7-1000\n"), "%s", s);
	cr_expect(strstr(s, "Group Name: Everyone\nSID:        S-1-1-0\n"
			    "Attributes: Mandatory group, Enabled group\n"),
		  "%s", s);
	cr_expect_null(strstr(s, "\nEveryone "), "a group table:\n%s", s);
	/* The sections but the list's own long values fit: a value is
	 * never cut. */
	for (const char *l = s; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] ? 1 : 0)) {
		size_t len = strcspn(l, "\n");
		if (strncmp(l, "Attributes: ", 12) != 0 &&
		    strncmp(l, "Integrity level:", 16) != 0 &&
		    strncmp(l, "Impersonation level:", 20) != 0 &&
		    strncmp(l, "==", 2) != 0)
			cr_expect_leq(len, 40, "%.*s", (int)len, l);
		if (!l[len])
			break;
	}
	free(s);
	s = render_in(e, n, 200);
	cr_expect(strstr(s, "CORP\\alice S-1-5-21-7-1000"), "%s", s);
	cr_expect(strstr(s, "\nEveryone "), "%s", s);
	free(s);
	free(e);
	world_free(&w);
}

Test(whoami, at_a_step_the_tokens_of_its_process_then)
{
	world w;
	world_init(&w);
	whoami_entry *e;
	long n = whoami_collect(&w.scn, w.prim, &w.t, "b-opens", &e);
	cr_assert_eq(n, 2);
	cr_assert(e[0].primary && e[0].token == w.pb);
	cr_assert(!e[1].primary && e[1].token == w.t.hops[0].built_token);
	free(e);
	/* reverted: no thread token */
	n = whoami_collect(&w.scn, w.prim, &w.t, "b-self", &e);
	cr_assert_eq(n, 2);
	cr_assert_null(e[1].token);
	cr_assert_eq(e[1].user[0], '\0');
	char *s = render(e, n);
	cr_assert(strstr(s, "no thread token (runs as its process token, "
			    "CORP\\svc-b)"), "%s", s);
	free(s);
	free(e);
	/* a thread token no call brought: only what the trace records */
	n = whoami_collect(&w.scn, w.prim, &w.t, "b-logon", &e);
	cr_assert_eq(n, 2);
	cr_assert_null(e[1].token);
	cr_assert_str_eq(e[1].user, "CORP\\bob");
	s = render(e, n);
	cr_assert(strstr(s, "the trace records only the user and level"));
	free(s);
	free(e);
	/* a step that did not run */
	cr_assert_eq(whoami_collect(&w.scn, w.prim, &w.t, "nope", &e), 0);
	cr_assert_null(e);
	world_free(&w);
}

Test(whoami, json_holds_the_same)
{
	world w;
	world_init(&w);
	whoami_entry *e;
	long n = whoami_collect(&w.scn, w.prim, &w.t, NULL, &e);
	json_t *a = whoami_json(e, (size_t)n);
	cr_assert_not_null(a);
	cr_assert_eq(json_array_size(a), 3);
	json_t *t0 = json_object_get(json_array_get(a, 0), "token");
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(a, 0), "kind")), "primary");
	cr_assert_str_eq(json_string_value(json_object_get(t0, "user")),
			 "CORP\\alice");
	cr_assert_str_eq(json_string_value(json_object_get(t0, "integrity")),
			 "medium");
	cr_assert_str_eq(json_string_value(json_object_get(t0,
							   "integrity_sid")),
			 "S-1-16-8192");
	cr_assert(json_is_null(json_object_get(t0, "level")));
	cr_assert_str_eq(json_string_value(json_object_get(t0,
							   "logon_session")),
			 "0x3e7");
	json_t *g1 = json_array_get(json_object_get(t0, "groups"), 1);
	cr_assert(json_is_true(json_object_get(g1, "deny_only")));
	cr_assert(json_is_true(json_object_get(g1, "mandatory")));
	cr_assert(json_is_false(json_object_get(g1, "enabled")));
	json_t *g2 = json_array_get(json_object_get(t0, "groups"), 2);
	cr_assert(json_is_true(json_object_get(g2, "owner")));
	json_t *p1 = json_array_get(json_object_get(t0, "privileges"), 1);
	cr_assert(json_is_false(json_object_get(p1, "enabled")));
	json_t *t2 = json_object_get(json_array_get(a, 2), "token");
	cr_assert_str_eq(json_string_value(json_object_get(t2, "level")),
			 "impersonate");
	cr_assert_str_eq(json_string_value(json_object_get(t2, "type")),
			 "impersonation");
	json_decref(a);
	free(e);
	world_free(&w);
}
