/* test_decide.c: unit tests of the per-hop decisions, named by rule id:
 * levels (L1-L6, T8), delegation (D1-D3, D7), who may impersonate (P1,
 * P2), cloaking (C1-C6). Microseconds each: no process, no network. */
#include "sc_decide.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static sc_token *tok(sc_token_type type, const char *sid, const char *name,
		     sc_level level, const char *origin, unsigned boundaries)
{
	sc_token *t = sc_token_new(type);
	cr_assert(t);
	sc_token_set_user(t, sid, name);
	sc_token_add_group(t, SC_SID_EVERYONE, "Everyone", SC_GROUP_ENABLED);
	sc_token_set_level(t, level);
	sc_token_set_origin_host(t, origin);
	sc_token_set_boundaries(t, boundaries);
	return t;
}

static sc_hop_facts facts(sc_level asked)
{
	sc_hop_facts f;
	memset(&f, 0, sizeof(f));
	f.asked = asked;
	f.client_authn = SC_AUTHN_CONNECT;
	f.package = SC_PACKAGE_KERBEROS;
	f.all_in_domain = true;
	return f;
}

static sc_level negotiate(const sc_hop_facts *f, sc_log *log,
			  sc_hop_outcome *oc)
{
	sc_hop_negotiate(f, oc, log);
	return oc->level;
}

static bool warned(const sc_log *l, const char *rule)
{
	for (size_t i = 0; i < l->count; i++)
		if (l->notes[i].warning && strcmp(l->notes[i].rule, rule) == 0)
			return true;
	return false;
}

/* The text of the first warning of rule, or "". */
static const char *warning_text(const sc_log *l, const char *rule)
{
	for (size_t i = 0; i < l->count; i++)
		if (l->notes[i].warning && strcmp(l->notes[i].rule, rule) == 0)
			return l->notes[i].text;
	return "";
}

Test(L2, anonymous_across_hosts_is_promoted_to_identify_with_a_warning)
{
	sc_log log;
	sc_log_init(&log);
	sc_hop_outcome oc;
	sc_hop_facts f = facts(SC_LEVEL_ANONYMOUS);
	f.crossed = true;
	cr_expect_eq(negotiate(&f, &log, &oc), SC_LEVEL_IDENTIFY);
	cr_expect(warned(&log, "L2"));
	sc_log_free(&log);
}

Test(L2, anonymous_on_one_host_stays_anonymous)
{
	sc_log log;
	sc_log_init(&log);
	sc_hop_outcome oc;
	sc_hop_facts f = facts(SC_LEVEL_ANONYMOUS);
	cr_expect_eq(negotiate(&f, &log, &oc), SC_LEVEL_ANONYMOUS);
	cr_expect(!sc_log_has_rule(&log, "L2"));
	cr_expect(sc_log_has_rule(&log, "L1"));
	sc_log_free(&log);
}

Test(L6, com_client_without_level_uses_the_host_default)
{
	sc_blanket b = {0};
	sc_host_def h = {.name = "ws1"};
	cr_expect_eq(sc_blanket_level_asked(&b, &h, false, NULL),
		     SC_LEVEL_IDENTIFY);
	h.default_level = SC_LEVEL_IMPERSONATE;
	cr_expect_eq(sc_blanket_level_asked(&b, &h, false, NULL),
		     SC_LEVEL_IMPERSONATE);
	b.level = SC_LEVEL_ANONYMOUS;
	cr_expect_eq(sc_blanket_level_asked(&b, &h, false, NULL),
		     SC_LEVEL_ANONYMOUS);
}

Test(L6, com_plus_application_without_level_asks_impersonate)
{
	/* COM+ server applications default to Impersonate, whatever the
	 * host's default; a level set is still the level asked. */
	sc_blanket b = {0};
	sc_host_def h = {.name = "ws1", .default_level = SC_LEVEL_IDENTIFY};
	sc_log log;
	sc_log_init(&log);
	cr_expect_eq(sc_blanket_level_asked(&b, &h, true, &log),
		     SC_LEVEL_IMPERSONATE);
	cr_expect(sc_log_has_rule(&log, "L6"));
	sc_log_free(&log);
	h.default_level = SC_LEVEL_ANONYMOUS;
	cr_expect_eq(sc_blanket_level_asked(&b, &h, true, NULL),
		     SC_LEVEL_IMPERSONATE);
	b.level = SC_LEVEL_IDENTIFY;
	cr_expect_eq(sc_blanket_level_asked(&b, &h, true, NULL),
		     SC_LEVEL_IDENTIFY);
	/* Not COM+: the host's default. */
	b.level = SC_LEVEL_DEFAULT;
	cr_expect_eq(sc_blanket_level_asked(&b, &h, false, NULL),
		     SC_LEVEL_ANONYMOUS);
}

Test(L6, pipe_client_without_level_asks_impersonate)
{
	sc_blanket b = {.transport = SC_TRANSPORT_PIPE};
	sc_host_def h = {.name = "ws1"};
	sc_log log;
	sc_log_init(&log);
	cr_expect_eq(sc_blanket_level_asked(&b, &h, false, &log),
		     SC_LEVEL_IMPERSONATE);
	cr_expect(sc_log_has_rule(&log, "L6"));
	sc_log_free(&log);
}

Test(L6, rpc_and_dde_clients_without_level_ask_impersonate)
{
	sc_transport ts[] = {SC_TRANSPORT_RPC, SC_TRANSPORT_DDE};
	sc_host_def h = {.name = "ws1", .default_level = SC_LEVEL_IDENTIFY};
	for (int i = 0; i < 2; i++) {
		sc_blanket b = {.transport = ts[i]};
		sc_log log;
		sc_log_init(&log);
		cr_expect_eq(sc_blanket_level_asked(&b, &h, false, &log),
			     SC_LEVEL_IMPERSONATE, "%s",
			     sc_transport_name(ts[i]));
		cr_expect(sc_log_has_rule(&log, "L6"));
		sc_log_free(&log);
		/* A level set is the level asked: no SQOS flags here. */
		b.level = SC_LEVEL_IDENTIFY;
		sc_log_init(&log);
		cr_expect_eq(sc_blanket_level_asked(&b, &h, false, &log),
			     SC_LEVEL_IDENTIFY);
		cr_expect(!sc_log_has_rule(&log, "N2"));
		sc_log_free(&log);
	}
}

Test(T8, authn_none_means_nobody_is_authenticated)
{
	sc_hop_outcome oc;
	sc_hop_facts f = facts(SC_LEVEL_IMPERSONATE);
	f.client_authn = SC_AUTHN_NONE;
	sc_log log;
	sc_log_init(&log);
	negotiate(&f, &log, &oc);
	cr_expect(!oc.authenticated);
	cr_expect_eq(oc.authn, SC_AUTHN_NONE);
	cr_expect(warned(&log, "T8"));
	sc_log_free(&log);
}

Test(T8, the_higher_of_client_and_server_levels_wins)
{
	sc_hop_outcome oc;
	sc_hop_facts f = facts(SC_LEVEL_IMPERSONATE);
	f.client_authn = SC_AUTHN_CONNECT;
	f.server_authn = SC_AUTHN_PRIVACY;
	negotiate(&f, NULL, &oc);
	cr_expect_eq(oc.authn, SC_AUTHN_PRIVACY);
	f.client_authn = SC_AUTHN_NONE;
	negotiate(&f, NULL, &oc);
	cr_expect(oc.authenticated, "a server at Privacy raises None");
}

Test(D1, delegate_holds_when_every_condition_does)
{
	sc_hop_outcome oc;
	sc_hop_facts f = facts(SC_LEVEL_DELEGATE);
	f.server_trusted = true;
	f.crossed = true;
	sc_log log;
	sc_log_init(&log);
	cr_expect_eq(negotiate(&f, &log, &oc), SC_LEVEL_DELEGATE);
	cr_expect(oc.delegable);
	cr_expect(sc_log_has_rule(&log, "D1"));
	sc_log_free(&log);
}

static bool log_mentions(const sc_log *l, const char *rule, const char *w)
{
	for (size_t i = 0; i < l->count; i++)
		if (strcmp(l->notes[i].rule, rule) == 0 &&
		    strstr(l->notes[i].text, w))
			return true;
	return false;
}

Test(D2, each_failed_condition_gives_impersonate_and_is_named)
{
	const char *words[] = {"sensitive", "not trusted", "not in the domain",
			       "not Kerberos", "ticket is not forwardable"};
	for (int c = 0; c < 5; c++) {
		sc_hop_facts f = facts(SC_LEVEL_DELEGATE);
		f.server_trusted = true;
		f.crossed = true;
		if (c == 0)
			f.client_sensitive = true;
		if (c == 1)
			f.server_trusted = false;
		if (c == 2)
			f.all_in_domain = false;
		if (c == 3)
			f.package = SC_PACKAGE_NTLM;
		if (c == 4)
			f.client_unforwardable = true;
		sc_log log;
		sc_log_init(&log);
		sc_hop_outcome oc;
		cr_expect_eq(negotiate(&f, &log, &oc), SC_LEVEL_IMPERSONATE,
			     "case %d", c);
		cr_expect(!oc.delegable);
		cr_expect(log_mentions(&log, "D2", words[c]), "case %d", c);
		sc_log_free(&log);
	}
}

Test(D3, schannel_caps_at_impersonate_and_refuses_cloaking)
{
	sc_hop_facts f = facts(SC_LEVEL_DELEGATE);
	f.package = SC_PACKAGE_SCHANNEL;
	f.server_trusted = true;
	sc_log log;
	sc_log_init(&log);
	sc_hop_outcome oc;
	cr_expect_eq(negotiate(&f, &log, &oc), SC_LEVEL_IMPERSONATE);
	cr_expect(sc_log_has_rule(&log, "D3"));
	sc_blanket b = {.package = SC_PACKAGE_SCHANNEL,
			.cloaking = SC_CLOAK_DYNAMIC};
	cr_expect_eq(sc_blanket_validate(&b, &log), SC_INVALID_BLANKET);
	sc_log_free(&log);
}

Test(D3, ntlm_delegate_names_d3)
{
	sc_hop_facts f = facts(SC_LEVEL_DELEGATE);
	f.package = SC_PACKAGE_NTLM;
	f.server_trusted = true;
	f.crossed = true;
	sc_log log;
	sc_log_init(&log);
	sc_hop_outcome oc;
	cr_expect_eq(negotiate(&f, &log, &oc), SC_LEVEL_IMPERSONATE);
	cr_expect(sc_log_has_rule(&log, "D3"));
	sc_log_free(&log);
}

/* D3: between processes of one host NTLM delegates: Delegate stays, the
 * domain's D1 conditions aside, and nothing may cross on it. */
Test(D3, ntlm_on_one_host_delegates_but_never_across)
{
	sc_hop_facts f = facts(SC_LEVEL_DELEGATE);
	f.package = SC_PACKAGE_NTLM;
	f.server_trusted = false;
	sc_log log;
	sc_log_init(&log);
	sc_hop_outcome oc;
	cr_expect_eq(negotiate(&f, &log, &oc), SC_LEVEL_DELEGATE);
	cr_expect(!oc.delegable);
	cr_expect(log_mentions(&log, "D3", "one host"));
	cr_expect(!sc_log_has_rule(&log, "D2"));
	sc_log_free(&log);
}

Test(D7, pipe_across_hosts_ignores_the_level_flags)
{
	sc_hop_facts f = facts(SC_LEVEL_ANONYMOUS);
	f.transport = SC_TRANSPORT_PIPE;
	f.crossed = true;
	sc_hop_outcome oc;
	cr_expect_eq(negotiate(&f, NULL, &oc), SC_LEVEL_IMPERSONATE);
	f.server_trusted = true;
	cr_expect_eq(negotiate(&f, NULL, &oc), SC_LEVEL_DELEGATE);
}

Test(D7, rpc_and_dde_across_hosts_ignore_the_level_flags)
{
	sc_transport ts[] = {SC_TRANSPORT_RPC, SC_TRANSPORT_DDE};
	for (int i = 0; i < 2; i++) {
		sc_hop_facts f = facts(SC_LEVEL_IDENTIFY);
		f.transport = ts[i];
		f.crossed = true;
		sc_hop_outcome oc;
		sc_log log;
		sc_log_init(&log);
		cr_expect_eq(negotiate(&f, &log, &oc), SC_LEVEL_IMPERSONATE);
		cr_expect(sc_log_has_rule(&log, "D7"));
		sc_log_free(&log);
		f.server_trusted = true;
		cr_expect_eq(negotiate(&f, NULL, &oc), SC_LEVEL_DELEGATE);
		/* On one host D7 does not apply: the level asked holds. */
		f.crossed = false;
		cr_expect_eq(negotiate(&f, NULL, &oc), SC_LEVEL_IDENTIFY);
	}
}

/* L2 is for COM: D7 sets the level of a pipe, RPC or DDE connection
 * across hosts, and no promotion warning precedes it. */
Test(D7, anonymous_across_hosts_gets_no_l2_warning)
{
	sc_transport ts[] = {SC_TRANSPORT_PIPE, SC_TRANSPORT_RPC,
			     SC_TRANSPORT_DDE};
	for (int i = 0; i < 3; i++) {
		sc_hop_facts f = facts(SC_LEVEL_ANONYMOUS);
		f.transport = ts[i];
		f.crossed = true;
		sc_hop_outcome oc;
		sc_log log;
		sc_log_init(&log);
		cr_expect_eq(negotiate(&f, &log, &oc), SC_LEVEL_IMPERSONATE);
		cr_expect(!sc_log_has_rule(&log, "L2"), "%s",
			  sc_transport_name(ts[i]));
		cr_expect(sc_log_has_rule(&log, "D7"));
		sc_log_free(&log);
	}
}

Test(T2, a_hop_cannot_raise_a_presented_thread_token)
{
	sc_hop_facts f = facts(SC_LEVEL_DELEGATE);
	f.server_trusted = true;
	f.presented_is_thread = true;
	f.presented_level = SC_LEVEL_IMPERSONATE;
	sc_log log;
	sc_log_init(&log);
	sc_hop_outcome oc;
	cr_expect_eq(negotiate(&f, &log, &oc), SC_LEVEL_IMPERSONATE);
	cr_expect(!oc.delegable);
	cr_expect(sc_log_has_rule(&log, "T2"));
	sc_log_free(&log);
}

/* P1/P2 */

static sc_token *server(bool privileged)
{
	sc_token *t = tok(SC_TOKEN_PRIMARY, "S-1-5-21-9-9-9-1002",
			  "CORP\\svc-b", SC_LEVEL_DEFAULT, "ws1", 0);
	if (privileged)
		sc_token_add_privilege(t, SC_PRIV_IMPERSONATE, true);
	sc_token_set_session(t, 7);
	return t;
}

static sc_token *client(sc_level l)
{
	return tok(SC_TOKEN_IMPERSONATION, "S-1-5-21-9-9-9-1001", "CORP\\alice",
		   l, "ws1", 0);
}

Test(P1, a_server_with_seimpersonateprivilege_impersonates_at_the_level)
{
	sc_token *p = server(true), *c = client(SC_LEVEL_IMPERSONATE), *t;
	sc_log log;
	sc_log_init(&log);
	cr_assert_eq(sc_impersonate(p, c, &t, &log), SC_OK);
	cr_expect_eq(sc_token_level_raw(t), SC_LEVEL_IMPERSONATE);
	cr_expect(log_mentions(&log, "P1", "SeImpersonatePrivilege"));
	sc_token_free(t);
	sc_token_free(p);
	sc_token_free(c);
	sc_log_free(&log);
}

Test(P1, a_disabled_privilege_does_not_count)
{
	sc_token *p = server(false), *c = client(SC_LEVEL_IMPERSONATE), *t;
	sc_token_add_privilege(p, SC_PRIV_IMPERSONATE, false);
	sc_log log;
	sc_log_init(&log);
	cr_assert_eq(sc_impersonate(p, c, &t, &log), SC_OK);
	cr_expect_eq(sc_token_level_raw(t), SC_LEVEL_IDENTIFY);
	cr_expect(warned(&log, "P2"));
	sc_token_free(t);
	sc_token_free(p);
	sc_token_free(c);
	sc_log_free(&log);
}

Test(P1, the_same_user_needs_no_privilege)
{
	sc_token *p = server(false), *t;
	sc_token *c = tok(SC_TOKEN_IMPERSONATION, "S-1-5-21-9-9-9-1002",
			  "CORP\\svc-b", SC_LEVEL_DELEGATE, "ws1", 0);
	sc_log log;
	sc_log_init(&log);
	cr_assert_eq(sc_impersonate(p, c, &t, &log), SC_OK);
	cr_expect_eq(sc_token_level_raw(t), SC_LEVEL_DELEGATE);
	cr_expect(log_mentions(&log, "P1", "own user"));
	sc_token_free(t);
	sc_token_free(p);
	sc_token_free(c);
	sc_log_free(&log);
}

Test(P1, an_explicit_logon_in_the_servers_session_needs_no_privilege)
{
	sc_token *p = server(false), *c = client(SC_LEVEL_IMPERSONATE), *t;
	sc_token_set_logon(c, SC_LOGON_EXPLICIT);
	sc_token_set_session(c, 7);
	sc_log log;
	sc_log_init(&log);
	cr_assert_eq(sc_impersonate(p, c, &t, &log), SC_OK);
	cr_expect_eq(sc_token_level_raw(t), SC_LEVEL_IMPERSONATE);
	cr_expect(log_mentions(&log, "P1", "explicit logon"));
	sc_token_free(t);
	/* Another session: the exemption does not apply. */
	sc_token_set_session(c, 8);
	cr_assert_eq(sc_impersonate(p, c, &t, &log), SC_OK);
	cr_expect_eq(sc_token_level_raw(t), SC_LEVEL_IDENTIFY);
	sc_token_free(t);
	sc_token_free(p);
	sc_token_free(c);
	sc_log_free(&log);
}

Test(P1, identify_needs_no_privilege)
{
	sc_token *p = server(false), *c = client(SC_LEVEL_IDENTIFY), *t;
	sc_log log;
	sc_log_init(&log);
	cr_assert_eq(sc_impersonate(p, c, &t, &log), SC_OK);
	cr_expect_eq(sc_token_level_raw(t), SC_LEVEL_IDENTIFY);
	cr_expect(!warned(&log, "P2"));
	sc_token_free(t);
	sc_token_free(p);
	sc_token_free(c);
	sc_log_free(&log);
}

Test(P2, without_privilege_or_exemption_the_token_is_downgraded_silently)
{
	sc_token *p = server(false), *c = client(SC_LEVEL_IMPERSONATE), *t;
	sc_log log;
	sc_log_init(&log);
	cr_assert_eq(sc_impersonate(p, c, &t, &log), SC_OK,
		     "the downgrade is not an error");
	cr_expect_eq(sc_token_level_raw(t), SC_LEVEL_IDENTIFY);
	cr_expect(warned(&log, "P2"));
	sc_token_free(t);
	sc_token_free(p);
	sc_token_free(c);
	sc_log_free(&log);
}

Test(L1, impersonating_an_anonymous_caller_gives_the_anonymous_token)
{
	sc_token *p = server(true), *c = client(SC_LEVEL_ANONYMOUS), *t;
	cr_assert_eq(sc_impersonate(p, c, &t, NULL), SC_OK);
	cr_expect_str_eq(sc_token_user_sid(t), SC_SID_ANONYMOUS);
	cr_expect_eq(sc_open_allowed(t, NULL), SC_BAD_IMPERSONATION_LEVEL);
	sc_token_free(t);
	sc_token_free(p);
	sc_token_free(c);
}

Test(T8, an_unauthenticated_caller_cannot_be_impersonated)
{
	sc_token *p = server(true), *t;
	cr_expect_eq(sc_impersonate(p, NULL, &t, NULL), SC_CANNOT_IMPERSONATE);
	cr_expect_null(t);
	sc_token_free(p);
}

Test(L3, an_identify_token_cannot_open_objects)
{
	sc_token *c = client(SC_LEVEL_IDENTIFY);
	sc_log log;
	sc_log_init(&log);
	cr_expect_eq(sc_open_allowed(c, &log), SC_BAD_IMPERSONATION_LEVEL);
	cr_expect(sc_log_has_rule(&log, "L3"));
	cr_expect_eq(sc_open_allowed(NULL, &log), SC_OK, "process token");
	sc_token_free(c);
	sc_log_free(&log);
}

/* Cloaking */

typedef struct cloak_case {
	sc_token *process, *thread;
	sc_proxy proxy;
	sc_policy policy;
	const sc_delegation *deleg;
	sc_log log;
} cloak_case;

static void cc_init(cloak_case *c, sc_level thread_level, unsigned bnd)
{
	memset(c, 0, sizeof(*c));
	c->process = server(true);
	c->thread = thread_level ? tok(SC_TOKEN_IMPERSONATION,
				       "S-1-5-21-9-9-9-1001", "CORP\\alice",
				       thread_level, "ws1", bnd)
				 : NULL;
	snprintf(c->proxy.target, sizeof(c->proxy.target), "C");
	c->policy.double_hop_status = SC_ACCESS_DENIED;
	sc_log_init(&c->log);
}

static void cc_free(cloak_case *c)
{
	sc_token_free(c->process);
	sc_token_free(c->thread);
	sc_proxy_release(&c->proxy);
	sc_log_free(&c->log);
}

/* sc_cloak_choose for c's tokens from ws1 to host to. */
static sc_status cloak(cloak_case *c, const sc_blanket *b, const char *to,
		       const sc_token **who, unsigned *n)
{
	sc_cloak_input in = {.blanket = b, .process = c->process,
			     .thread = c->thread, .my_host = "ws1",
			     .target_host = to, .policy = &c->policy};
	if (c->deleg)
		in.deleg = *c->deleg;
	return sc_cloak_choose(&in, &c->proxy, who, NULL, n, &c->log);
}

static sc_status choose(cloak_case *c, sc_cloaking mode, const char *to,
			const sc_token **who, unsigned *n)
{
	sc_blanket b = {.cloaking = mode};
	return cloak(c, &b, to, who, n);
}

Test(C1, both_cloaking_flags_or_an_explicit_identity_are_invalid)
{
	sc_blanket b = {.cloaking = SC_CLOAK_BOTH};
	cr_expect_eq(sc_blanket_validate(&b, NULL), SC_INVALID_BLANKET);
	b.cloaking = SC_CLOAK_STATIC;
	b.identity = "CORP\\carol";
	cr_expect_eq(sc_blanket_validate(&b, NULL), SC_INVALID_BLANKET);
	b.cloaking = SC_CLOAK_NONE;
	cr_expect_eq(sc_blanket_validate(&b, NULL), SC_OK);
}

/* C1: an explicit identity without cloaking is named in the trace, and
 * the proxy authenticates with the process's own credentials (the only
 * account a process may name there). */
Test(C1, an_explicit_identity_without_cloaking_is_not_ignored)
{
	cloak_case c;
	cc_init(&c, SC_LEVEL_IMPERSONATE, 0);
	sc_blanket b = {.cloaking = SC_CLOAK_NONE, .identity = "CORP\\svc-b"};
	const sc_token *who;
	unsigned n;
	cr_assert_eq(cloak(&c, &b, "srv2", &who, &n), SC_OK);
	cr_expect_eq(who, c.process);
	cr_expect(sc_log_has_rule(&c.log, "C1"));
	cr_expect(sc_log_has_rule(&c.log, "C2"));
	cc_free(&c);
	/* With cloaking it is an invalid blanket, whatever the mode. */
	b.cloaking = SC_CLOAK_DYNAMIC;
	cr_expect_eq(sc_blanket_validate(&b, NULL), SC_INVALID_BLANKET);
}

Test(C2, without_cloaking_the_process_identity_goes_downstream)
{
	cloak_case c;
	cc_init(&c, SC_LEVEL_IMPERSONATE, 0);
	const sc_token *who;
	unsigned n;
	cr_assert_eq(choose(&c, SC_CLOAK_NONE, "srv2", &who, &n), SC_OK);
	cr_expect_eq(who, c.process);
	cr_expect_eq(n, 1);
	cr_expect(sc_log_has_rule(&c.log, "C2"));
	cc_free(&c);
}

Test(C4, dynamic_cloaking_presents_the_current_thread_token)
{
	cloak_case c;
	cc_init(&c, SC_LEVEL_IMPERSONATE, 0);
	const sc_token *who;
	unsigned n;
	cr_assert_eq(choose(&c, SC_CLOAK_DYNAMIC, "srv2", &who, &n), SC_OK);
	cr_expect_eq(who, c.thread);
	cr_expect(sc_log_has_rule(&c.log, "C4"));
	cr_expect(sc_log_has_rule(&c.log, "L4"));
	/* After a revert, the process token. */
	sc_token_free(c.thread);
	c.thread = NULL;
	cr_assert_eq(choose(&c, SC_CLOAK_DYNAMIC, "srv2", &who, &n), SC_OK);
	cr_expect_eq(who, c.process);
	cc_free(&c);
}

Test(C3, static_cloaking_keeps_the_identity_of_the_first_call)
{
	cloak_case c;
	cc_init(&c, SC_LEVEL_IMPERSONATE, 0);
	const sc_token *who;
	unsigned n;
	cr_assert_eq(choose(&c, SC_CLOAK_STATIC, "srv2", &who, &n), SC_OK);
	cr_expect_str_eq(sc_token_user_name(who), "CORP\\alice");
	cr_expect_eq(c.proxy.captured_call, 1);
	c.proxy.calls++; /* as the runtime counts the call made */
	/* Revert: a static proxy still presents alice, with a warning that
	 * says when it was captured. */
	sc_token_free(c.thread);
	c.thread = NULL;
	sc_log_clear(&c.log);
	cr_assert_eq(choose(&c, SC_CLOAK_STATIC, "srv2", &who, &n), SC_OK);
	cr_expect_str_eq(sc_token_user_name(who), "CORP\\alice");
	cr_expect(warned(&c.log, "C3"));
	cr_expect_str_eq(warning_text(&c.log, "C3"),
			 "static cloaking: presents CORP\\alice, captured on "
			 "the proxy's call 1 (this is its call 2), not the "
			 "current CORP\\svc-b");
	cc_free(&c);
}

Test(C3, a_blanket_set_while_not_impersonating_captures_the_process)
{
	cloak_case c;
	cc_init(&c, 0, 0);
	cr_assert_eq(sc_proxy_capture(&c.proxy, c.process, NULL, &c.log), 0);
	c.thread = client(SC_LEVEL_IMPERSONATE);
	const sc_token *who;
	unsigned n;
	cr_assert_eq(choose(&c, SC_CLOAK_STATIC, "srv2", &who, &n), SC_OK);
	cr_expect_str_eq(sc_token_user_name(who), "CORP\\svc-b");
	cr_expect_str_eq(warning_text(&c.log, "C3"),
			 "static cloaking: presents CORP\\svc-b, captured "
			 "when its blanket was set, not the current "
			 "CORP\\alice");
	cc_free(&c);
}

Test(C5, an_identify_thread_token_cannot_be_cloaked)
{
	cloak_case c;
	cc_init(&c, SC_LEVEL_IDENTIFY, 0);
	const sc_token *who;
	unsigned n;
	cr_expect_eq(choose(&c, SC_CLOAK_DYNAMIC, "ws1", &who, &n),
		     SC_BAD_IMPERSONATION_LEVEL);
	cr_expect(sc_log_has_rule(&c.log, "C5"));
	cc_free(&c);
}

Test(C6, impersonate_cannot_cross_a_second_host_boundary)
{
	cloak_case c;
	cc_init(&c, SC_LEVEL_IMPERSONATE, 1); /* alice came from another host */
	const sc_token *who;
	unsigned n;
	cr_expect_eq(choose(&c, SC_CLOAK_DYNAMIC, "srv2", &who, &n),
		     SC_ACCESS_DENIED);
	cr_expect(sc_log_has_rule(&c.log, "C6"));
	cr_expect_null(who, "no silent fallback to another identity");
	cr_expect_eq(n, 2); /* the boundaries C6 counted, for the trace */
	/* The status is a setting. */
	c.policy.double_hop_status = SC_LOGON_FAILURE;
	cr_expect_eq(choose(&c, SC_CLOAK_DYNAMIC, "srv2", &who, &n),
		     SC_LOGON_FAILURE);
	/* On the same host the token needs no further boundary. */
	cr_expect_eq(choose(&c, SC_CLOAK_DYNAMIC, "ws1", &who, &n), SC_OK);
	cc_free(&c);
}

/* What the cloaking chose (C2, C4) is reported whatever C5 and C6 then
 * decide: a call refused before the wire still says whom it would have
 * presented; a blanket refused (C1) chose nobody. */
Test(C6, a_refused_call_still_reports_whom_the_cloaking_chose)
{
	cloak_case c;
	cc_init(&c, SC_LEVEL_IMPERSONATE, 1); /* alice came from another host */
	sc_cloak_input in = {.process = c.process, .thread = c.thread,
			     .my_host = "ws1", .target_host = "srv2",
			     .policy = &c.policy};
	sc_blanket b = {.cloaking = SC_CLOAK_DYNAMIC};
	in.blanket = &b;
	const sc_token *who, *chosen;
	unsigned n;
	cr_expect_eq(sc_cloak_choose(&in, &c.proxy, &who, &chosen, &n,
				     &c.log),
		     SC_ACCESS_DENIED); /* C6 */
	cr_expect_null(who);
	cr_expect(chosen == c.thread, "C4 chose the thread token");
	b.cloaking = SC_CLOAK_NONE; /* C2: the process's own, sent */
	cr_expect_eq(sc_cloak_choose(&in, &c.proxy, &who, &chosen, &n,
				     &c.log),
		     SC_OK);
	cr_expect(chosen == c.process && who == c.process);
	b.cloaking = SC_CLOAK_BOTH; /* C1 */
	cr_expect_eq(sc_cloak_choose(&in, &c.proxy, &who, &chosen, &n,
				     &c.log),
		     SC_INVALID_BLANKET);
	cr_expect_null(chosen);
	cc_free(&c);

	cc_init(&c, SC_LEVEL_IDENTIFY, 0); /* C5 */
	in.process = c.process;
	in.thread = c.thread;
	in.target_host = "ws1";
	b.cloaking = SC_CLOAK_DYNAMIC;
	cr_expect_eq(sc_cloak_choose(&in, &c.proxy, &who, &chosen, &n,
				     &c.log),
		     SC_BAD_IMPERSONATION_LEVEL);
	cr_expect(chosen == c.thread);
	cc_free(&c);
}

/* C6 with settings.double_hop_outcome anonymous: the call goes through as
 * ANONYMOUS LOGON (a null session from the middle tier's host), and the
 * note says the identity was replaced; the failure status is not used. */
Test(C6, the_double_hop_can_go_through_as_anonymous)
{
	cloak_case c;
	cc_init(&c, SC_LEVEL_IMPERSONATE, 1); /* alice came from another host */
	c.policy.double_hop_outcome = SC_DOUBLE_HOP_ANONYMOUS;
	c.policy.double_hop_status = SC_LOGON_FAILURE;
	const sc_token *who;
	unsigned n;
	cr_assert_eq(choose(&c, SC_CLOAK_DYNAMIC, "srv2", &who, &n), SC_OK);
	cr_assert_not_null(who);
	cr_expect_str_eq(sc_token_user_sid(who), SC_SID_ANONYMOUS);
	cr_expect_str_eq(sc_token_user_name(who), SC_ANONYMOUS_NAME);
	cr_expect_eq(sc_token_level_raw(who), SC_LEVEL_IMPERSONATE);
	cr_expect_str_eq(sc_token_origin_host(who), "ws1");
	cr_expect_eq(n, 1, "a null session from this host");
	cr_expect(who == c.proxy.anonymous);
	cr_expect_str_eq(sc_token_user_name(c.proxy.replaced), "CORP\\alice");
	cr_expect(log_mentions(&c.log, "C6", "replaced by NT AUTHORITY"));
	/* One boundary from the client's own host is still L4's: alice. */
	sc_token_set_boundaries(c.thread, 0);
	sc_log_clear(&c.log);
	cr_assert_eq(choose(&c, SC_CLOAK_DYNAMIC, "srv2", &who, &n), SC_OK);
	cr_expect_str_eq(sc_token_user_name(who), "CORP\\alice");
	cr_expect_not(sc_log_has_rule(&c.log, "C6"));
	cc_free(&c);
}

Test(L5, a_delegable_identity_crosses_any_number_of_hosts)
{
	cloak_case c;
	cc_init(&c, SC_LEVEL_DELEGATE, 3);
	sc_token_set_delegable(c.thread, true);
	const sc_token *who;
	unsigned n;
	cr_expect_eq(choose(&c, SC_CLOAK_DYNAMIC, "srv2", &who, &n), SC_OK);
	cr_expect_eq(n, 4);
	cr_expect(sc_log_has_rule(&c.log, "L5"));
	/* Delegate without a forwardable credential: the double hop. */
	sc_token_set_delegable(c.thread, false);
	cr_expect_eq(choose(&c, SC_CLOAK_DYNAMIC, "srv2", &who, &n),
		     SC_ACCESS_DENIED);
	cc_free(&c);
}

/* D4, D5: constrained delegation instead of the double-hop failure. */

static sc_status choose_with(sc_account_def *self, sc_account_def *target,
			     sc_account_def *cl, sc_log *log)
{
	cloak_case c;
	cc_init(&c, SC_LEVEL_IMPERSONATE, 1);
	sc_delegation d = {.self = self, .target = target, .client = cl};
	c.deleg = &d;
	const sc_token *who;
	unsigned n;
	sc_status st = choose(&c, SC_CLOAK_DYNAMIC, "srv2", &who, &n);
	sc_log_append(log, &c.log);
	cc_free(&c);
	return st;
}

Test(D4, a_listed_service_receives_the_client)
{
	char *to[] = {"svc-c"};
	sc_account_def self = {.name = "svc-b", .allowed_to_delegate_to = to,
			       .allowed_to_delegate_to_count = 1};
	sc_account_def target = {.name = "svc-c"}, other = {.name = "svc-x"};
	sc_account_def alice = {.name = "alice"};
	sc_log log;
	sc_log_init(&log);
	cr_expect_eq(choose_with(&self, &target, &alice, &log), SC_OK);
	cr_expect(sc_log_has_rule(&log, "D4"));
	cr_expect_eq(choose_with(&self, &other, &alice, &log), SC_NO_MATCH);
	alice.sensitive = true;
	cr_expect_eq(choose_with(&self, &target, &alice, &log),
		     SC_NOT_SUPPORTED);
	sc_log_free(&log);
}

/* D4 by SPN (MS-SFU 3.2.5.2.2): the KDC compares the SPN the middle
 * tier asks for with msDS-AllowedToDelegateTo; another SPN of the same
 * account is not listed; an account entry stands for all its SPNs; a
 * service named by its account matches an SPN the account holds. */
static sc_status choose_spn(sc_account_def *self, sc_account_def *target,
			    const char *spn, sc_log *log)
{
	cloak_case c;
	cc_init(&c, SC_LEVEL_IMPERSONATE, 1);
	sc_account_def alice = {.name = "alice"};
	sc_delegation d = {.self = self, .target = target, .client = &alice,
			   .target_spn = spn};
	c.deleg = &d;
	const sc_token *who;
	unsigned n;
	sc_status st = choose(&c, SC_CLOAK_DYNAMIC, "srv2", &who, &n);
	sc_log_append(log, &c.log);
	cc_free(&c);
	return st;
}

Test(D4, lists_services_by_spn)
{
	char *spns[] = {"MSSQLSvc/db1.corp.local:1433", "HTTP/db1.corp.local"};
	char *to_spn[] = {"mssqlsvc/DB1.corp.local:1433"};
	char *to_acct[] = {"svc-sql"};
	sc_account_def sql = {.name = "svc-sql", .spns = spns,
			      .spns_count = 2};
	sc_account_def web = {.name = "svc-web",
			      .allowed_to_delegate_to = to_spn,
			      .allowed_to_delegate_to_count = 1};
	sc_account_def app = {.name = "svc-app",
			      .allowed_to_delegate_to = to_acct,
			      .allowed_to_delegate_to_count = 1};
	sc_log log;
	sc_log_init(&log);
	cr_expect_eq(choose_spn(&web, &sql, spns[0], &log), SC_OK);
	cr_expect_eq(choose_spn(&web, &sql, spns[1], &log), SC_NO_MATCH);
	cr_expect_eq(choose_spn(&web, &sql, NULL, &log), SC_OK);
	cr_expect_eq(choose_spn(&app, &sql, spns[1], &log), SC_OK);
	cr_expect(sc_log_has_rule(&log, "D4"));
	sc_log_free(&log);
}

Test(D5, the_targets_list_decides)
{
	char *act[] = {"svc-b"};
	sc_account_def self = {.name = "svc-b"}, stranger = {.name = "svc-x"};
	sc_account_def target = {.name = "svc-c", .allowed_to_act = act,
				 .allowed_to_act_count = 1};
	sc_log log;
	sc_log_init(&log);
	cr_expect_eq(choose_with(&self, &target, NULL, &log), SC_OK);
	cr_expect(sc_log_has_rule(&log, "D5"));
	cr_expect_eq(choose_with(&stranger, &target, NULL, &log), SC_NOT_FOUND);
	sc_log_free(&log);
}

/* The KDC's order (MS-SFU 3.2.5.2): classic constrained delegation first;
 * the target's list decides only when D4 does not grant. */
Test(D4, is_judged_before_the_targets_list)
{
	char *to[] = {"svc-c"}, *act_other[] = {"svc-x"}, *act_b[] = {"svc-b"};
	sc_account_def self = {.name = "svc-b", .allowed_to_delegate_to = to,
			       .allowed_to_delegate_to_count = 1};
	sc_account_def target = {.name = "svc-c", .allowed_to_act = act_other,
				 .allowed_to_act_count = 1};
	sc_account_def alice = {.name = "alice"};
	sc_log log;
	sc_log_init(&log);
	/* (a) the target lets another act, svc-b lists it: D4 grants. */
	cr_expect_eq(choose_with(&self, &target, &alice, &log), SC_OK);
	cr_expect(sc_log_has_rule(&log, "D4"));
	cr_expect_not(sc_log_has_rule(&log, "D5"),
		      "the target's list is not read when D4 grants");
	sc_log_clear(&log);
	/* (a) both lists name the pair: still D4. */
	target.allowed_to_act = act_b;
	cr_expect_eq(choose_with(&self, &target, &alice, &log), SC_OK);
	cr_expect(sc_log_has_rule(&log, "D4"));
	cr_expect_not(sc_log_has_rule(&log, "D5"));
	sc_log_clear(&log);
	/* (b) a sensitive client: D4 cannot grant, D5 decides and says
	 * why D4 did not. */
	alice.sensitive = true;
	cr_expect_eq(choose_with(&self, &target, &alice, &log),
		     SC_NOT_SUPPORTED);
	cr_expect(log_mentions(&log, "D5", "D4 did not grant"));
	cr_expect(log_mentions(&log, "D5", "not forwardable"));
	cr_expect_not(sc_log_has_rule(&log, "D4"));
	sc_log_clear(&log);
	target.allowed_to_act = act_other;
	cr_expect_eq(choose_with(&self, &target, &alice, &log), SC_NOT_FOUND);
	cr_expect(log_mentions(&log, "D5", "does not list svc-b"));
	sc_log_clear(&log);
	/* (c) no list on the target: D4 alone. */
	target.allowed_to_act_count = 0;
	cr_expect_eq(choose_with(&self, &target, &alice, &log),
		     SC_NOT_SUPPORTED);
	cr_expect(sc_log_has_rule(&log, "D4"));
	cr_expect_not(sc_log_has_rule(&log, "D5"));
	sc_log_free(&log);
}

/* A client whose logon asked for tickets that are not forwardable (kinit
 * without -f), not sensitive: its ticket is no evidence for D4; D5 takes
 * it; a token from protocol transition has its own ticket (D6). */
Test(D4, a_ticket_that_is_not_forwardable_is_no_evidence)
{
	char *to[] = {"svc-c"}, *act[] = {"svc-b"};
	sc_account_def self = {.name = "svc-b", .allowed_to_delegate_to = to,
			       .allowed_to_delegate_to_count = 1};
	sc_account_def target = {.name = "svc-c"};
	sc_account_def alice = {.name = "alice"};
	cloak_case c;
	cc_init(&c, SC_LEVEL_IMPERSONATE, 1);
	sc_token_set_unforwardable(c.thread, true);
	sc_delegation d = {.self = &self, .target = &target, .client = &alice};
	c.deleg = &d;
	const sc_token *who;
	unsigned n;
	cr_expect_eq(choose(&c, SC_CLOAK_DYNAMIC, "srv2", &who, &n),
		     SC_NOT_SUPPORTED);
	cr_expect(log_mentions(&c.log, "D4", "not forwardable"));
	cr_expect_null(who);
	/* The default: forwardable, D4 grants. */
	sc_token_set_unforwardable(c.thread, false);
	sc_log_clear(&c.log);
	cr_expect_eq(choose(&c, SC_CLOAK_DYNAMIC, "srv2", &who, &n), SC_OK);
	cr_expect(log_mentions(&c.log, "D4", "forwardable"));
	/* D5 takes a ticket that is not forwardable. */
	sc_token_set_unforwardable(c.thread, true);
	target.allowed_to_act = act;
	target.allowed_to_act_count = 1;
	sc_log_clear(&c.log);
	cr_expect_eq(choose(&c, SC_CLOAK_DYNAMIC, "srv2", &who, &n), SC_OK);
	cr_expect(log_mentions(&c.log, "D5", "not forwardable"));
	cr_expect_not(sc_log_has_rule(&c.log, "D4"));
	/* A forwardable ticket from protocol transition: D4 grants. */
	target.allowed_to_act_count = 0;
	sc_token_set_transition(c.thread, true);
	sc_log_clear(&c.log);
	cr_expect_eq(choose(&c, SC_CLOAK_DYNAMIC, "srv2", &who, &n), SC_OK);
	cr_expect(sc_log_has_rule(&c.log, "D4"));
	cc_free(&c);
}

/* (b): resource-based delegation takes evidence D4 cannot use. */
Test(D5, decides_when_d4_cannot_use_the_evidence)
{
	char *to[] = {"svc-c"}, *act[] = {"svc-b"};
	sc_account_def self = {.name = "svc-b", .allowed_to_delegate_to = to,
			       .allowed_to_delegate_to_count = 1};
	sc_account_def target = {.name = "svc-c", .allowed_to_act = act,
				 .allowed_to_act_count = 1};
	sc_account_def alice = {.name = "alice"};
	cloak_case c;
	cc_init(&c, SC_LEVEL_IMPERSONATE, 1);
	/* alice signed in with NTLM; svc-b is Kerberos only: no evidence. */
	sc_token_set_package(c.thread, SC_PACKAGE_NTLM);
	sc_delegation d = {.self = &self, .target = &target, .client = &alice};
	c.deleg = &d;
	const sc_token *who;
	unsigned n;
	cr_expect_eq(choose(&c, SC_CLOAK_DYNAMIC, "srv2", &who, &n), SC_OK);
	cr_expect(log_mentions(&c.log, "D5", "Kerberos only: no evidence"));
	cr_expect_not(sc_log_has_rule(&c.log, "D4"));
	/* With no list on the target, D4 alone refuses the same evidence
	 * (c). */
	target.allowed_to_act_count = 0;
	sc_log_clear(&c.log);
	cr_expect_eq(choose(&c, SC_CLOAK_DYNAMIC, "srv2", &who, &n),
		     SC_NOT_SUPPORTED);
	cr_expect(sc_log_has_rule(&c.log, "D4"));
	cc_free(&c);
}

Test(C6, without_constrained_delegation_configured_the_double_hop_fails)
{
	sc_account_def self = {.name = "svc-b"}, target = {.name = "svc-c"};
	sc_log log;
	sc_log_init(&log);
	cr_expect_eq(choose_with(&self, &target, NULL, &log), SC_ACCESS_DENIED);
	cr_expect(sc_log_has_rule(&log, "C6"));
	sc_log_free(&log);
}

/* N2: on a pipe the level is the client's only with the SQOS flags. */
Test(N2, pipe_level_needs_sqos_present)
{
	sc_host_def h = {.name = "ws1", .default_level = SC_LEVEL_ANONYMOUS};
	sc_log log;
	sc_log_init(&log);
	sc_blanket b = {.transport = SC_TRANSPORT_PIPE,
			.level = SC_LEVEL_IDENTIFY};
	cr_expect_eq(sc_blanket_level_asked(&b, &h, false, &log),
		     SC_LEVEL_IMPERSONATE, "level bits without SQOS ignored");
	cr_expect(log_mentions(&log, "N2", "without SECURITY_SQOS_PRESENT"));
	sc_log_clear(&log);
	b.sqos = true;
	cr_expect_eq(sc_blanket_level_asked(&b, &h, false, &log),
		     SC_LEVEL_IDENTIFY);
	cr_expect(sc_log_has_rule(&log, "N2"));
	sc_log_clear(&log);
	b.level = SC_LEVEL_DEFAULT;
	cr_expect_eq(sc_blanket_level_asked(&b, &h, false, &log),
		     SC_LEVEL_IMPERSONATE,
		     "SQOS without a level: the pipe default, not the host's");
	cr_expect(sc_log_has_rule(&log, "L6"));
	sc_log_free(&log);
}

/* T7: a pipe connection's context tracking. */
static sc_status choose_pipe(cloak_case *c, bool sqos, sc_tracking tr,
			     const sc_token **who)
{
	sc_blanket b = {.transport = SC_TRANSPORT_PIPE, .sqos = sqos,
			.tracking = tr};
	unsigned n;
	return cloak(c, &b, "ws1", who, &n);
}

Test(T7, static_tracking_snapshots_the_context_at_connect)
{
	cloak_case c;
	cc_init(&c, SC_LEVEL_IMPERSONATE, 0);
	const sc_token *who;
	cr_assert_eq(choose_pipe(&c, true, SC_TRACKING_STATIC, &who), SC_OK);
	cr_expect_str_eq(sc_token_user_name(who), "CORP\\alice");
	cr_expect(log_mentions(&c.log, "T7", "snapshots"));
	/* The thread reverts: the connection still carries alice. */
	sc_token_free(c.thread);
	c.thread = NULL;
	cr_assert_eq(choose_pipe(&c, true, SC_TRACKING_STATIC, &who), SC_OK);
	cr_expect_str_eq(sc_token_user_name(who), "CORP\\alice");
	cr_expect(log_mentions(&c.log, "T7", "not the current"));
	cr_expect_not(sc_log_has_rule(&c.log, "C3"),
		      "a pipe's tracking is T7, not cloaking");
	cc_free(&c);
}

Test(T7, dynamic_tracking_follows_the_thread)
{
	cloak_case c;
	cc_init(&c, SC_LEVEL_IMPERSONATE, 0);
	const sc_token *who;
	cr_assert_eq(choose_pipe(&c, true, SC_TRACKING_DYNAMIC, &who), SC_OK);
	cr_expect_str_eq(sc_token_user_name(who), "CORP\\alice");
	sc_token_free(c.thread);
	c.thread = NULL;
	cr_assert_eq(choose_pipe(&c, true, SC_TRACKING_DYNAMIC, &who), SC_OK);
	cr_expect_str_eq(sc_token_user_name(who), "CORP\\svc-b");
	cr_expect(log_mentions(&c.log, "T7", "dynamic tracking"));
	cc_free(&c);
}

Test(T7, without_sqos_tracking_is_static)
{
	cloak_case c;
	cc_init(&c, SC_LEVEL_IMPERSONATE, 0);
	const sc_token *who;
	cr_assert_eq(choose_pipe(&c, false, SC_TRACKING_DYNAMIC, &who), SC_OK);
	sc_token_free(c.thread);
	c.thread = NULL;
	cr_assert_eq(choose_pipe(&c, false, SC_TRACKING_DYNAMIC, &who), SC_OK);
	cr_expect_str_eq(sc_token_user_name(who), "CORP\\alice");
	cc_free(&c);
}

/* D6: a token from protocol transition crosses a host only through
 * constrained delegation, and only with a forwardable ticket. */
static sc_status choose_transition(bool forwardable, bool listed,
				   sc_log *log)
{
	char *to[] = {"svc-c"};
	sc_account_def self = {.name = "svc-b",
			       .allowed_to_delegate_to = listed ? to : NULL,
			       .allowed_to_delegate_to_count = listed ? 1 : 0};
	sc_account_def target = {.name = "svc-c"};
	cloak_case c;
	cc_init(&c, SC_LEVEL_IMPERSONATE, 0);
	sc_token_set_transition(c.thread, forwardable);
	sc_delegation d = {.self = &self, .target = &target};
	c.deleg = &d;
	const sc_token *who;
	unsigned n;
	sc_status st = choose(&c, SC_CLOAK_DYNAMIC, "srv2", &who, &n);
	sc_log_append(log, &c.log);
	cc_free(&c);
	return st;
}

Test(D6, a_forwardable_transition_ticket_reaches_a_listed_service)
{
	sc_log log;
	sc_log_init(&log);
	cr_expect_eq(choose_transition(true, true, &log), SC_OK);
	cr_expect(log_mentions(&log, "D6", "through constrained delegation"));
	sc_log_free(&log);
}

Test(D6, a_ticket_that_is_not_forwardable_fails)
{
	sc_log log;
	sc_log_init(&log);
	cr_expect_eq(choose_transition(false, true, &log), SC_NOT_SUPPORTED);
	cr_expect(log_mentions(&log, "D6", "not forwardable"));
	cr_expect(sc_log_has_rule(&log, "D4"));
	sc_log_free(&log);
}

Test(D6, without_constrained_delegation_the_transition_token_stays)
{
	sc_log log;
	sc_log_init(&log);
	cr_expect_eq(choose_transition(true, false, &log), SC_ACCESS_DENIED);
	cr_expect(log_mentions(&log, "D6", "no constrained delegation"));
	cr_expect(sc_log_has_rule(&log, "C6"));
	sc_log_free(&log);
}
