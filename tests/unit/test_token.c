/* test_token.c: unit tests of the token operations, named by rule id:
 * T1 (query level), T2 (duplicate, both policy settings), T3 (impersonate
 * self), L1 (the anonymous token). Model only: no I/O beyond Criterion. */
#include <criterion/criterion.h>
#include <string.h>

#include "sc_token.h"

#define ALICE_SID "S-1-5-21-1-2-3-1000"

static sc_token *alice(sc_token_type type, sc_level level)
{
	sc_token *t = sc_token_new(type);
	cr_assert_not_null(t);
	cr_assert_eq(sc_token_set_user(t, ALICE_SID, "CORP\\alice"), 0);
	cr_assert_eq(sc_token_add_group(t, SC_SID_EVERYONE, "Everyone",
					SC_GROUP_ENABLED), 0);
	cr_assert_eq(sc_token_add_group(t, SC_SID_USERS, "BUILTIN\\Users",
					SC_GROUP_ENABLED), 0);
	cr_assert_eq(sc_token_add_privilege(t, SC_PRIV_IMPERSONATE, true), 0);
	cr_assert_eq(sc_token_set_origin_host(t, "ws1"), 0);
	sc_token_set_session(t, 42);
	if (type == SC_TOKEN_IMPERSONATION)
		sc_token_set_level(t, level);
	return t;
}

/* The last note must name rule and contain every needle. */
static void assert_last_note(const sc_log *log, const char *rule,
			     const char *needle)
{
	cr_assert_gt(log->count, 0);
	const sc_note *n = &log->notes[log->count - 1];
	cr_assert_str_eq(n->rule, rule);
	if (needle)
		cr_assert_not_null(strstr(n->text, needle), "note: %s",
				   n->text);
}

/* T4: the default owner is the user, but the administrators' group of an
 * administrator's token: BUILTIN\\Administrators first, else Domain
 * Admins; a deny-only or disabled group does not count. */
Test(T4, the_default_owner_is_the_user_or_the_administrators_group)
{
	sc_token *t = alice(SC_TOKEN_PRIMARY, SC_LEVEL_DEFAULT);
	const char *sid, *name;
	sc_token_default_owner(t, &sid, &name);
	cr_expect_str_eq(sid, ALICE_SID);
	cr_expect_str_eq(name, "CORP\\alice");
	cr_assert_eq(sc_token_add_group(t, "S-1-5-21-1-2-3-512",
					"CORP\\Domain Admins",
					SC_GROUP_ENABLED), 0);
	sc_token_default_owner(t, NULL, &name);
	cr_expect_str_eq(name, "CORP\\Domain Admins");
	cr_assert_eq(sc_token_add_group(t, SC_SID_ADMINISTRATORS,
					"BUILTIN\\Administrators",
					SC_GROUP_ENABLED), 0);
	sc_token_default_owner(t, &sid, NULL);
	cr_expect_str_eq(sid, SC_SID_ADMINISTRATORS);
	sc_token_free(t);

	t = alice(SC_TOKEN_PRIMARY, SC_LEVEL_DEFAULT);
	cr_assert_eq(sc_token_add_group(t, SC_SID_ADMINISTRATORS,
					"BUILTIN\\Administrators",
					SC_GROUP_ENABLED |
						SC_GROUP_USE_FOR_DENY_ONLY), 0);
	cr_assert_eq(sc_token_add_group(t, "S-1-5-21-1-2-3-512",
					"CORP\\Domain Admins", 0), 0);
	sc_token_default_owner(t, &sid, NULL);
	cr_expect_str_eq(sid, ALICE_SID, "deny-only and disabled groups");
	sc_token_free(t);
}

Test(T1, primary_token_has_no_level)
{
	sc_token *t = alice(SC_TOKEN_PRIMARY, SC_LEVEL_DEFAULT);
	sc_log log;
	sc_log_init(&log);
	sc_level l = SC_LEVEL_DELEGATE;
	cr_assert_eq(sc_token_query_level(t, &l, &log), SC_INVALID_PARAMETER);
	cr_assert_eq(l, SC_LEVEL_DELEGATE, "out untouched on failure");
	assert_last_note(&log, "T1", "primary");
	sc_log_free(&log);
	sc_token_free(t);
}

Test(T1, impersonation_token_reports_its_level)
{
	for (sc_level l = SC_LEVEL_ANONYMOUS; l <= SC_LEVEL_DELEGATE; l++) {
		sc_token *t = alice(SC_TOKEN_IMPERSONATION, l);
		sc_log log;
		sc_log_init(&log);
		sc_level got = SC_LEVEL_DEFAULT;
		cr_assert_eq(sc_token_query_level(t, &got, &log), SC_OK);
		cr_assert_eq(got, l);
		assert_last_note(&log, "T1", sc_level_name(l));
		sc_log_free(&log);
		sc_token_free(t);
	}
}

Test(T1, log_may_be_null)
{
	sc_token *t = alice(SC_TOKEN_IMPERSONATION, SC_LEVEL_IDENTIFY);
	sc_level got;
	cr_assert_eq(sc_token_query_level(t, &got, NULL), SC_OK);
	cr_assert_eq(got, SC_LEVEL_IDENTIFY);
	sc_token_free(t);
}

Test(T2, copy_at_or_below_source_level)
{
	sc_token *src = alice(SC_TOKEN_IMPERSONATION, SC_LEVEL_IMPERSONATE);
	for (sc_level l = SC_LEVEL_ANONYMOUS; l <= SC_LEVEL_IMPERSONATE; l++) {
		sc_log log;
		sc_log_init(&log);
		sc_token *c = NULL;
		cr_assert_eq(sc_token_duplicate(src, SC_TOKEN_IMPERSONATION, l,
						NULL, &c, &log),
			     SC_OK);
		cr_assert_not_null(c);
		cr_assert_eq(sc_token_type_of(c), SC_TOKEN_IMPERSONATION);
		cr_assert_eq(sc_token_level_raw(c), l);
		cr_assert_str_eq(sc_token_user_sid(c), ALICE_SID);
		cr_assert_eq(sc_token_group_count(c), 2);
		cr_assert(sc_token_privilege_enabled(c, SC_PRIV_IMPERSONATE));
		cr_assert_eq(sc_token_session(c), 42);
		assert_last_note(&log, "T2", "duplicated");
		sc_token_free(c);
		sc_log_free(&log);
	}
	sc_token_free(src);
}

Test(T2, copy_above_source_level_fails)
{
	sc_token *src = alice(SC_TOKEN_IMPERSONATION, SC_LEVEL_IDENTIFY);
	sc_log log;
	sc_log_init(&log);
	sc_token *c = (sc_token *)1;
	cr_assert_eq(sc_token_duplicate(src, SC_TOKEN_IMPERSONATION,
					SC_LEVEL_IMPERSONATE, NULL, &c, &log),
		     SC_BAD_IMPERSONATION_LEVEL);
	cr_assert_null(c);
	assert_last_note(&log, "T2", "BAD_IMPERSONATION_LEVEL");
	sc_log_free(&log);
	sc_token_free(src);
}

Test(T2, primary_source_counts_as_highest_level)
{
	sc_token *src = alice(SC_TOKEN_PRIMARY, SC_LEVEL_DEFAULT);
	sc_token *c = NULL;
	cr_assert_eq(sc_token_duplicate(src, SC_TOKEN_IMPERSONATION,
					SC_LEVEL_DELEGATE, NULL, &c, NULL),
		     SC_OK);
	cr_assert_eq(sc_token_level_raw(c), SC_LEVEL_DELEGATE);
	sc_token_free(c);
	sc_token_free(src);
}

Test(T2, impersonation_copy_needs_a_level)
{
	sc_token *src = alice(SC_TOKEN_PRIMARY, SC_LEVEL_DEFAULT);
	sc_token *c = NULL;
	cr_assert_eq(sc_token_duplicate(src, SC_TOKEN_IMPERSONATION,
					SC_LEVEL_DEFAULT, NULL, &c, NULL),
		     SC_INVALID_PARAMETER);
	cr_assert_null(c);
	sc_token_free(src);
}

Test(T2, primary_from_impersonate_token_is_allowed)
{
	sc_token *src = alice(SC_TOKEN_IMPERSONATION, SC_LEVEL_IMPERSONATE);
	sc_token *c = NULL;
	cr_assert_eq(sc_token_duplicate(src, SC_TOKEN_PRIMARY,
					SC_LEVEL_DEFAULT, NULL, &c, NULL),
		     SC_OK);
	cr_assert_eq(sc_token_type_of(c), SC_TOKEN_PRIMARY);
	sc_level l;
	cr_assert_eq(sc_token_query_level(c, &l, NULL), SC_INVALID_PARAMETER);
	sc_token_free(c);
	sc_token_free(src);
}

Test(T2, primary_from_identify_fails_by_default)
{
	sc_token_policy deflt = { .allow_primary_from_identify = false };
	for (sc_level l = SC_LEVEL_ANONYMOUS; l <= SC_LEVEL_IDENTIFY; l++) {
		sc_token *src = alice(SC_TOKEN_IMPERSONATION, l);
		sc_log log;
		sc_log_init(&log);
		sc_token *c = NULL;
		cr_assert_eq(sc_token_duplicate(src, SC_TOKEN_PRIMARY,
						SC_LEVEL_DEFAULT, &deflt, &c,
						&log),
			     SC_BAD_IMPERSONATION_LEVEL);
		cr_assert_null(c);
		assert_last_note(&log, "T2",
				 "allow_primary_from_identify=false");
		/* A NULL policy means the same defaults. */
		cr_assert_eq(sc_token_duplicate(src, SC_TOKEN_PRIMARY,
						SC_LEVEL_DEFAULT, NULL, &c,
						NULL),
			     SC_BAD_IMPERSONATION_LEVEL);
		sc_log_free(&log);
		sc_token_free(src);
	}
}

Test(T2, primary_from_identify_allowed_by_setting)
{
	sc_token_policy allow = { .allow_primary_from_identify = true };
	sc_token *src = alice(SC_TOKEN_IMPERSONATION, SC_LEVEL_IDENTIFY);
	sc_log log;
	sc_log_init(&log);
	sc_token *c = NULL;
	cr_assert_eq(sc_token_duplicate(src, SC_TOKEN_PRIMARY,
					SC_LEVEL_DEFAULT, &allow, &c, &log),
		     SC_OK);
	cr_assert_eq(sc_token_type_of(c), SC_TOKEN_PRIMARY);
	cr_assert_str_eq(sc_token_user_name(c), "CORP\\alice");
	cr_assert(sc_log_has_rule(&log, "T2"));
	cr_assert_not_null(strstr(log.notes[0].text,
				  "allow_primary_from_identify=true"));
	sc_token_free(c);
	sc_log_free(&log);
	sc_token_free(src);
}

Test(T2, copy_is_independent_of_source)
{
	sc_token *src = alice(SC_TOKEN_IMPERSONATION, SC_LEVEL_DELEGATE);
	sc_token *c = NULL;
	cr_assert_eq(sc_token_duplicate(src, SC_TOKEN_IMPERSONATION,
					SC_LEVEL_IDENTIFY, NULL, &c, NULL),
		     SC_OK);
	sc_token_free(src);
	/* Still readable after the source is gone. */
	cr_assert_str_eq(sc_token_user_name(c), "CORP\\alice");
	cr_assert_str_eq(sc_token_origin_host(c), "ws1");
	sc_token_free(c);
}

Test(T3, impersonate_self_copies_process_token_at_level)
{
	sc_token *proc = alice(SC_TOKEN_PRIMARY, SC_LEVEL_DEFAULT);
	sc_token_set_logon(proc, SC_LOGON_SERVICE);
	for (sc_level l = SC_LEVEL_ANONYMOUS; l <= SC_LEVEL_DELEGATE; l++) {
		sc_log log;
		sc_log_init(&log);
		sc_token *th = NULL;
		cr_assert_eq(sc_token_impersonate_self(proc, l, &th, &log),
			     SC_OK);
		cr_assert_eq(sc_token_type_of(th), SC_TOKEN_IMPERSONATION);
		cr_assert_eq(sc_token_level_raw(th), l);
		cr_assert_str_eq(sc_token_user_sid(th), ALICE_SID);
		cr_assert_eq(sc_token_group_count(th), 2);
		cr_assert_eq(sc_token_privilege_count(th), 1);
		cr_assert_eq(sc_token_logon(th), SC_LOGON_SERVICE);
		cr_assert_eq(sc_token_session(th), 42);
		assert_last_note(&log, "T3", sc_level_name(l));
		sc_token_free(th);
		sc_log_free(&log);
	}
	/* The process token is unchanged. */
	cr_assert_eq(sc_token_type_of(proc), SC_TOKEN_PRIMARY);
	sc_token_free(proc);
}

Test(T3, impersonate_self_needs_a_level)
{
	sc_token *proc = alice(SC_TOKEN_PRIMARY, SC_LEVEL_DEFAULT);
	sc_token *th = NULL;
	cr_assert_eq(sc_token_impersonate_self(proc, SC_LEVEL_DEFAULT, &th,
					       NULL),
		     SC_INVALID_PARAMETER);
	cr_assert_null(th);
	sc_token_free(proc);
}

Test(L1, anonymous_token_identity)
{
	sc_token *t = sc_token_new_anonymous(SC_LEVEL_ANONYMOUS);
	cr_assert_not_null(t);
	cr_assert_eq(sc_token_type_of(t), SC_TOKEN_IMPERSONATION);
	cr_assert_str_eq(sc_token_user_sid(t), SC_SID_ANONYMOUS);
	cr_assert_str_eq(sc_token_user_name(t),
			 "NT AUTHORITY\\ANONYMOUS LOGON");
	/* Not even Everyone (EveryoneIncludesAnonymous is off by default). */
	cr_assert_eq(sc_token_group_count(t), 0);
	const char *sid;
	const char *name;
	uint32_t attrs;
	cr_assert_eq(sc_token_group(t, 0, &sid, &name, &attrs), SC_ERR_RANGE);
	cr_assert_eq(sc_token_privilege_count(t), 0);
	cr_assert_eq(sc_token_logon(t), SC_LOGON_ANONYMOUS);
	sc_level l;
	cr_assert_eq(sc_token_query_level(t, &l, NULL), SC_OK);
	cr_assert_eq(l, SC_LEVEL_ANONYMOUS);
	cr_assert(sc_token_has_sid(t, SC_SID_ANONYMOUS));
	cr_assert_not(sc_token_has_sid(t, SC_SID_EVERYONE));
	cr_assert_not(sc_token_has_sid(t, SC_SID_AUTHENTICATED_USERS));
	sc_token_free(t);
}

Test(L1, anonymous_token_at_given_level)
{
	sc_token *t = sc_token_new_anonymous(SC_LEVEL_IDENTIFY);
	cr_assert_eq(sc_token_level_raw(t), SC_LEVEL_IDENTIFY);
	sc_token_free(t);
}

Test(token, has_sid_ignores_disabled_and_deny_only_groups)
{
	sc_token *t = alice(SC_TOKEN_IMPERSONATION, SC_LEVEL_IDENTIFY);
	cr_assert_eq(sc_token_add_group(t, SC_SID_ADMINISTRATORS,
					"BUILTIN\\Administrators",
					SC_GROUP_USE_FOR_DENY_ONLY), 0);
	cr_assert_eq(sc_token_add_group(t, SC_SID_BATCH, "NT AUTHORITY\\BATCH",
					0), 0);
	cr_assert(sc_token_has_sid(t, ALICE_SID));
	cr_assert(sc_token_has_sid(t, SC_SID_USERS));
	cr_assert_not(sc_token_has_sid(t, SC_SID_ADMINISTRATORS));
	cr_assert_not(sc_token_has_sid(t, SC_SID_BATCH));
	sc_token_free(t);
}

Test(token, set_group_attrs_changes_only_that_group)
{
	sc_token *t = alice(SC_TOKEN_IMPERSONATION, SC_LEVEL_IDENTIFY);
	cr_assert(sc_token_has_sid(t, SC_SID_USERS));
	cr_assert_eq(sc_token_set_group_attrs(t, SC_SID_USERS,
					      SC_GROUP_ENABLED |
						      SC_GROUP_USE_FOR_DENY_ONLY),
		     0);
	cr_assert_not(sc_token_has_sid(t, SC_SID_USERS));
	cr_assert(sc_token_has_sid(t, SC_SID_EVERYONE));
	uint32_t a = 0;
	cr_assert(sc_token_group_attrs(t, SC_SID_USERS, &a));
	cr_assert_eq(a, SC_GROUP_ENABLED | SC_GROUP_USE_FOR_DENY_ONLY);
	cr_assert_not(sc_token_group_attrs(t, SC_SID_BATCH, &a));
	cr_assert_eq(sc_token_set_group_attrs(t, SC_SID_BATCH, 0),
		     SC_ERR_RANGE);
	sc_token_free(t);
}

/* T6, K7: the server's token takes the client's group states where the
 * vouched token lets it: deny-only always, enabled or not for an optional
 * group; never enabling a deny-only group nor disabling a mandatory one. */
Test(T6, group_states_taken_from_the_claim_within_the_vouched)
{
	const uint32_t M = SC_GROUP_MANDATORY | SC_GROUP_ENABLED;
	const struct {
		uint32_t vouched, claim, want;
	} cases[] = {
		{M, M | SC_GROUP_USE_FOR_DENY_ONLY,
		 M | SC_GROUP_USE_FOR_DENY_ONLY},
		{M, 0, M},                              /* mandatory stays */
		{0, SC_GROUP_ENABLED, SC_GROUP_ENABLED}, /* optional enabled */
		{SC_GROUP_ENABLED, 0, 0},               /* optional disabled */
		{SC_GROUP_USE_FOR_DENY_ONLY, SC_GROUP_ENABLED,
		 SC_GROUP_USE_FOR_DENY_ONLY},           /* deny-only stays */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sc_token *v = alice(SC_TOKEN_IMPERSONATION, SC_LEVEL_IMPERSONATE);
		sc_token *c = alice(SC_TOKEN_IMPERSONATION, SC_LEVEL_IMPERSONATE);
		cr_assert_eq(sc_token_set_group_attrs(v, SC_SID_USERS,
						      cases[i].vouched), 0);
		cr_assert_eq(sc_token_set_group_attrs(c, SC_SID_USERS,
						      cases[i].claim), 0);
		size_t n = sc_token_take_group_states(v, c);
		uint32_t a = 0;
		cr_assert(sc_token_group_attrs(v, SC_SID_USERS, &a));
		cr_expect_eq(a, cases[i].want, "case %zu: 0x%x, want 0x%x", i,
			     a, cases[i].want);
		cr_expect_eq(n, cases[i].want != cases[i].vouched, "case %zu",
			     i);
		sc_token_free(v);
		sc_token_free(c);
	}
}

Test(token, privilege_enabled_only_when_enabled)
{
	sc_token *t = sc_token_new(SC_TOKEN_PRIMARY);
	cr_assert_eq(sc_token_add_privilege(t, SC_PRIV_TCB, false), 0);
	cr_assert_eq(sc_token_add_privilege(t, SC_PRIV_AUDIT, true), 0);
	cr_assert_not(sc_token_privilege_enabled(t, SC_PRIV_TCB));
	cr_assert(sc_token_privilege_enabled(t, SC_PRIV_AUDIT));
	cr_assert_not(sc_token_privilege_enabled(t, SC_PRIV_IMPERSONATE));
	sc_token_free(t);
}

Test(token, copy_is_deep)
{
	sc_token *t = alice(SC_TOKEN_IMPERSONATION, SC_LEVEL_DELEGATE);
	sc_token_set_delegable(t, true);
	sc_token_set_boundaries(t, 2);
	sc_token_set_package(t, SC_PACKAGE_KERBEROS);
	sc_token_set_authn(t, SC_AUTHN_PRIVACY);
	sc_token *c = sc_token_copy(t);
	sc_token_free(t);
	cr_assert_not_null(c);
	cr_assert_str_eq(sc_token_user_sid(c), ALICE_SID);
	cr_assert_eq(sc_token_level_raw(c), SC_LEVEL_DELEGATE);
	cr_assert(sc_token_delegable(c));
	cr_assert_eq(sc_token_boundaries(c), 2);
	cr_assert_eq(sc_token_package(c), SC_PACKAGE_KERBEROS);
	cr_assert_eq(sc_token_authn(c), SC_AUTHN_PRIVACY);
	cr_assert_str_eq(sc_token_origin_host(c), "ws1");
	const char *name;
	bool en;
	cr_assert_eq(sc_token_privilege(c, 0, &name, &en), 0);
	cr_assert_str_eq(name, SC_PRIV_IMPERSONATE);
	cr_assert(en);
	sc_token_free(c);
}

/* T7: AdjustTokenPrivileges on a held privilege; a missing one fails. */
Test(T7, adjust_enables_and_disables_only_held_privileges)
{
	sc_token *t = sc_token_new(SC_TOKEN_PRIMARY);
	cr_assert_eq(sc_token_add_privilege(t, SC_PRIV_AUDIT, true), 0);
	bool en = false;
	cr_assert_eq(sc_token_adjust_privilege(t, "seauditprivilege", false),
		     0);
	cr_expect(sc_token_privilege_held(t, SC_PRIV_AUDIT, &en));
	cr_expect_not(en);
	cr_assert_eq(sc_token_adjust_privilege(t, SC_PRIV_AUDIT, true), 0);
	cr_expect(sc_token_privilege_enabled(t, SC_PRIV_AUDIT));
	cr_expect_neq(sc_token_adjust_privilege(t, SC_PRIV_TCB, true), 0);
	cr_expect_not(sc_token_privilege_held(t, SC_PRIV_TCB, &en));
	sc_token_free(t);
}

/* T7: effective-only sends only what is enabled. */
Test(T7, effective_only_drops_the_disabled_privileges)
{
	sc_token *t = sc_token_new(SC_TOKEN_PRIMARY);
	cr_assert_eq(sc_token_add_privilege(t, SC_PRIV_AUDIT, false), 0);
	cr_assert_eq(sc_token_add_privilege(t, SC_PRIV_IMPERSONATE, true), 0);
	cr_assert_eq(sc_token_add_privilege(t, SC_PRIV_TCB, false), 0);
	cr_expect_eq(sc_token_drop_disabled_privileges(t), 2);
	cr_expect_eq(sc_token_privilege_count(t), 1);
	cr_expect(sc_token_privilege_enabled(t, SC_PRIV_IMPERSONATE));
	cr_expect_eq(sc_token_drop_disabled_privileges(t), 0);
	sc_token_free(t);
}

/* T7: a local pipe server's token carries the client's privileges with
 * their states, whatever it held before. */
Test(T7, mirror_copies_privileges_and_their_states)
{
	sc_token *server = alice(SC_TOKEN_IMPERSONATION, SC_LEVEL_IMPERSONATE);
	sc_token *client = sc_token_new(SC_TOKEN_PRIMARY);
	cr_assert_eq(sc_token_add_privilege(client, SC_PRIV_AUDIT, false), 0);
	cr_assert_eq(sc_token_mirror_privileges(server, client), 0);
	bool en = true;
	cr_expect(sc_token_privilege_held(server, SC_PRIV_AUDIT, &en));
	cr_expect_not(en);
	cr_expect_not(sc_token_privilege_held(server, SC_PRIV_IMPERSONATE,
					      &en));
	sc_token_free(server);
	sc_token_free(client);
}

/* D6: a transition token says so, and whether its ticket forwards; the
 * flags survive a copy. */
Test(D6, transition_and_forwardable_flags)
{
	sc_token *t = alice(SC_TOKEN_IMPERSONATION, SC_LEVEL_IMPERSONATE);
	cr_expect_not(sc_token_from_transition(t));
	sc_token_set_transition(t, false);
	cr_expect(sc_token_from_transition(t));
	cr_expect_not(sc_token_forwardable(t));
	sc_token_set_transition(t, true);
	sc_token *c = sc_token_copy(t);
	cr_expect(sc_token_from_transition(c));
	cr_expect(sc_token_forwardable(c));
	sc_token_free(t);
	sc_token_free(c);
}

/* T12: the level each logon gives, from what the logon put in the
 * token, and a stated level over it. */
Test(T12, the_level_a_logon_gives)
{
	sc_token *t = alice(SC_TOKEN_PRIMARY, SC_LEVEL_DEFAULT);
	sc_token_set_logon(t, SC_LOGON_INTERACTIVE);
	cr_expect_eq(sc_token_integrity(t), SC_IL_MEDIUM);
	cr_expect_eq(sc_token_integrity_raw(t), SC_IL_DEFAULT);
	sc_token_set_logon(t, SC_LOGON_NETWORK);
	cr_expect_eq(sc_token_integrity(t), SC_IL_MEDIUM);
	sc_token_set_logon(t, SC_LOGON_SERVICE);
	cr_expect_eq(sc_token_integrity(t), SC_IL_SYSTEM);
	/* a member of Administrators: high on a network or batch logon,
	 * medium interactively (the filtered token), and not when the
	 * group is deny-only */
	cr_assert_eq(sc_token_add_group(t, SC_SID_ADMINISTRATORS,
					"BUILTIN\\Administrators",
					SC_GROUP_ENABLED), 0);
	sc_token_set_logon(t, SC_LOGON_NETWORK);
	cr_expect_eq(sc_token_integrity(t), SC_IL_HIGH);
	sc_token_set_logon(t, SC_LOGON_BATCH);
	cr_expect_eq(sc_token_integrity(t), SC_IL_HIGH);
	sc_token_set_logon(t, SC_LOGON_INTERACTIVE);
	cr_expect_eq(sc_token_integrity(t), SC_IL_MEDIUM);
	sc_token_set_logon(t, SC_LOGON_EXPLICIT);
	cr_expect_eq(sc_token_integrity(t), SC_IL_MEDIUM);
	sc_token_set_logon(t, SC_LOGON_NETWORK);
	cr_assert_eq(sc_token_set_group_attrs(t, SC_SID_ADMINISTRATORS,
					      SC_GROUP_USE_FOR_DENY_ONLY), 0);
	cr_expect_eq(sc_token_integrity(t), SC_IL_MEDIUM);
	/* a stated level wins, and a copy keeps it */
	sc_token_set_integrity(t, SC_IL_LOW);
	cr_expect_eq(sc_token_integrity(t), SC_IL_LOW);
	sc_token *c = sc_token_copy(t);
	cr_expect_eq(sc_token_integrity(c), SC_IL_LOW);
	sc_token *d = NULL;
	sc_token_policy pol = {false};
	cr_assert_eq(sc_token_duplicate(t, SC_TOKEN_IMPERSONATION,
					SC_LEVEL_IMPERSONATE, &pol, &d, NULL),
		     SC_OK);
	cr_expect_eq(sc_token_integrity(d), SC_IL_LOW);
	sc_token_free(d);
	sc_token_free(c);
	sc_token_free(t);
}

/* T12: SYSTEM, LOCAL SERVICE and NETWORK SERVICE run at system, whatever
 * the logon; ANONYMOUS LOGON is untrusted. */
Test(T12, service_accounts_system_anonymous_untrusted)
{
	static const char *const sids[] = {SC_SID_LOCAL_SYSTEM,
					   SC_SID_LOCAL_SERVICE,
					   SC_SID_NETWORK_SERVICE};
	for (size_t i = 0; i < 3; i++) {
		sc_token *t = sc_token_new(SC_TOKEN_PRIMARY);
		cr_assert_eq(sc_token_set_user(t, sids[i], "x"), 0);
		sc_token_set_logon(t, SC_LOGON_INTERACTIVE);
		cr_expect_eq(sc_token_integrity(t), SC_IL_SYSTEM, "%s",
			     sids[i]);
		sc_token_free(t);
	}
	sc_token *a = sc_token_new_anonymous(SC_LEVEL_IMPERSONATE);
	cr_expect_eq(sc_token_integrity(a), SC_IL_UNTRUSTED);
	sc_token_free(a);
}

/* T12: the one table of levels: spellings, RIDs, SIDs, whoami's names,
 * and the Windows spellings as aliases. */
Test(T12, the_levels_as_windows_spells_them)
{
	static const struct {
		sc_integrity v;
		const char *name, *sid, *label, *rid_name;
		uint32_t rid;
	} want[] = {
		{SC_IL_UNTRUSTED, "untrusted", "S-1-16-0",
		 "Untrusted Mandatory Level", "SECURITY_MANDATORY_UNTRUSTED_RID",
		 0x0u},
		{SC_IL_LOW, "low", "S-1-16-4096", "Low Mandatory Level",
		 "SECURITY_MANDATORY_LOW_RID", 0x1000u},
		{SC_IL_MEDIUM, "medium", "S-1-16-8192", "Medium Mandatory Level",
		 "SECURITY_MANDATORY_MEDIUM_RID", 0x2000u},
		{SC_IL_HIGH, "high", "S-1-16-12288", "High Mandatory Level",
		 "SECURITY_MANDATORY_HIGH_RID", 0x3000u},
		{SC_IL_SYSTEM, "system", "S-1-16-16384", "System Mandatory Level",
		 "SECURITY_MANDATORY_SYSTEM_RID", 0x4000u},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		cr_expect_str_eq(sc_integrity_name(want[i].v), want[i].name);
		cr_expect_str_eq(sc_integrity_sid(want[i].v), want[i].sid);
		cr_expect_str_eq(sc_integrity_label(want[i].v), want[i].label);
		cr_expect_eq(sc_integrity_rid(want[i].v), want[i].rid);
		const char *spell[] = {want[i].name, want[i].sid, want[i].label,
				       want[i].rid_name};
		for (size_t k = 0; k < 4; k++) {
			sc_integrity v = SC_IL_DEFAULT;
			cr_expect_eq(sc_integrity_parse(spell[k], &v), 0, "%s",
				     spell[k]);
			cr_expect_eq(v, want[i].v, "%s", spell[k]);
		}
	}
	sc_integrity v;
	cr_expect_eq(sc_integrity_parse("default", &v), 0);
	cr_expect_eq(v, SC_IL_DEFAULT);
	cr_expect_str_eq(sc_integrity_sid(SC_IL_DEFAULT), "");
	cr_expect_neq(sc_integrity_parse("lowest", &v), 0);
	/* ordered as Windows compares them */
	cr_expect(SC_IL_UNTRUSTED < SC_IL_LOW && SC_IL_LOW < SC_IL_MEDIUM &&
		  SC_IL_MEDIUM < SC_IL_HIGH && SC_IL_HIGH < SC_IL_SYSTEM);
}
