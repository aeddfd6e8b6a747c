/* test_tokendiff.c: the token diff of a hop names exactly what changed
 * between the presented token and the built one: user, type, level,
 * logon, groups added, removed or made deny-only, privileges. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sc_tokendiff.h"

static sc_token *token(sc_token_type type, const char *sid, const char *name)
{
	sc_token *t = sc_token_new(type);
	cr_assert_not_null(t);
	cr_assert_eq(sc_token_set_user(t, sid, name), 0);
	cr_assert_eq(sc_token_add_group(t, SC_SID_EVERYONE, "Everyone",
					SC_GROUP_ENABLED), 0);
	return t;
}

/* The names of d's items of kind k, joined with ",". */
static void names(const sc_token_diff *d, sc_tdiff_kind k, char *buf,
		  size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < d->count; i++)
		if (d->items[i].kind == k)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
				 buf[0] ? "," : "", d->items[i].name);
}

Test(tokendiff, interactive_to_network_logon)
{
	sc_token *b = token(SC_TOKEN_PRIMARY, "S-1-5-21-1", "CORP\\alice");
	sc_token_add_group(b, SC_SID_INTERACTIVE, "INTERACTIVE",
			   SC_GROUP_ENABLED);
	sc_token_add_group(b, "S-1-5-21-9", "CORP\\Finance", SC_GROUP_ENABLED);
	sc_token_add_privilege(b, "SeShutdownPrivilege", false);
	sc_token_add_privilege(b, SC_PRIV_IMPERSONATE, true);
	sc_token_set_logon(b, SC_LOGON_INTERACTIVE);
	sc_token *a = token(SC_TOKEN_IMPERSONATION, "S-1-5-21-1",
			    "CORP\\alice");
	sc_token_add_group(a, "S-1-5-21-9", "CORP\\Finance",
			   SC_GROUP_USE_FOR_DENY_ONLY);
	sc_token_add_group(a, SC_SID_NETWORK, "NETWORK", SC_GROUP_ENABLED);
	sc_token_add_privilege(a, "SeShutdownPrivilege", true);
	sc_token_add_privilege(a, SC_PRIV_AUDIT, true);
	sc_token_set_level(a, SC_LEVEL_IDENTIFY);
	sc_token_set_logon(a, SC_LOGON_NETWORK);

	sc_token_diff d;
	cr_assert_eq(sc_token_diff_compute(b, a, &d), 0);
	cr_expect(!d.user);
	cr_expect(d.type);
	cr_expect(d.level);
	cr_expect(d.logon);
	char buf[256];
	names(&d, SC_TDIFF_GROUP_ADDED, buf, sizeof(buf));
	cr_expect_str_eq(buf, "NETWORK");
	names(&d, SC_TDIFF_GROUP_REMOVED, buf, sizeof(buf));
	cr_expect_str_eq(buf, "INTERACTIVE");
	names(&d, SC_TDIFF_GROUP_DENY_ONLY, buf, sizeof(buf));
	cr_expect_str_eq(buf, "CORP\\Finance");
	names(&d, SC_TDIFF_PRIV_ADDED, buf, sizeof(buf));
	cr_expect_str_eq(buf, SC_PRIV_AUDIT);
	names(&d, SC_TDIFF_PRIV_REMOVED, buf, sizeof(buf));
	cr_expect_str_eq(buf, SC_PRIV_IMPERSONATE);
	names(&d, SC_TDIFF_PRIV_ENABLED, buf, sizeof(buf));
	cr_expect_str_eq(buf, "SeShutdownPrivilege");
	cr_expect_eq(d.count, 6);
	sc_token_diff_free(&d);
	sc_token_free(a);
	sc_token_free(b);
}

Test(tokendiff, same_token_has_no_difference)
{
	sc_token *b = token(SC_TOKEN_IMPERSONATION, "S-1-5-21-1", "CORP\\a");
	sc_token_set_level(b, SC_LEVEL_IMPERSONATE);
	sc_token *a = sc_token_copy(b);
	sc_token_diff d;
	cr_assert_eq(sc_token_diff_compute(b, a, &d), 0);
	cr_expect(!d.user && !d.type && !d.level && !d.logon);
	cr_expect_eq(d.count, 0);
	sc_token_diff_free(&d);
	sc_token_free(a);
	sc_token_free(b);
}

Test(tokendiff, anonymous_changes_the_user_and_a_primary_has_no_level)
{
	sc_token *b = token(SC_TOKEN_PRIMARY, "S-1-5-21-1", "CORP\\a");
	/* A primary token's raw level field is not compared. */
	sc_token_set_level(b, SC_LEVEL_ANONYMOUS);
	cr_expect_eq(sc_token_diff_level(b), SC_LEVEL_DEFAULT);
	sc_token *a = sc_token_new_anonymous(SC_LEVEL_ANONYMOUS);
	sc_token_diff d;
	cr_assert_eq(sc_token_diff_compute(b, a, &d), 0);
	cr_expect(d.user);
	cr_expect(d.level);
	sc_token_diff_free(&d);
	cr_assert_eq(sc_token_diff_compute(NULL, a, &d), 0);
	cr_expect_eq(d.count, 0);
	cr_expect(!d.user);
	sc_token_free(a);
	sc_token_free(b);
}
