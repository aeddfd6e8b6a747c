/* test_acl.c: unit tests of the access check (T6), every branch, and of
 * the right names used by scenarios and traces.
 * Model only: no I/O beyond Criterion. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sc_acl.h"

#define ALICE "S-1-5-21-1-2-3-1000"
#define BOB "S-1-5-21-1-2-3-1001"
#define DEVS "S-1-5-21-1-2-3-2001"
#define OPS "S-1-5-21-1-2-3-2002"

#define R SC_FILE_READ_DATA
#define W SC_FILE_WRITE_DATA
#define FGR 0x00120089u /* FILE_GENERIC_READ */
#define FGW 0x00120116u /* FILE_GENERIC_WRITE */
#define FGX 0x001200A0u /* FILE_GENERIC_EXECUTE */

static sc_log log_;

static void setup(void)
{
	sc_log_init(&log_);
}

static void teardown(void)
{
	sc_log_free(&log_);
}

TestSuite(T6, .init = setup, .fini = teardown);
TestSuite(rights, .init = setup, .fini = teardown);
TestSuite(T12, .init = setup, .fini = teardown);

/* alice: Everyone and Users enabled, DEVS enabled, OPS deny-only,
 * Administrators present but disabled. */
static sc_token *alice(sc_token_type type, sc_level level)
{
	sc_token *t = sc_token_new(type);
	cr_assert_not_null(t);
	sc_token_set_user(t, ALICE, "CORP\\alice");
	sc_token_add_group(t, SC_SID_EVERYONE, "Everyone", SC_GROUP_ENABLED);
	sc_token_add_group(t, SC_SID_USERS, "BUILTIN\\Users", SC_GROUP_ENABLED);
	sc_token_add_group(t, DEVS, "CORP\\Developers", SC_GROUP_ENABLED);
	sc_token_add_group(t, OPS, "CORP\\Ops", SC_GROUP_USE_FOR_DENY_ONLY);
	sc_token_add_group(t, SC_SID_ADMINISTRATORS, "BUILTIN\\Administrators",
			   0);
	if (type == SC_TOKEN_IMPERSONATION)
		sc_token_set_level(t, level);
	return t;
}

static sc_token *alice_identify(void)
{
	return alice(SC_TOKEN_IMPERSONATION, SC_LEVEL_IDENTIFY);
}

/* sd(owner, n, type, sid, mask, ...): a descriptor with n ACEs; n < 0 is a
 * NULL DACL. */
static sc_sd sd_make(const char *owner, int n, ...)
{
	sc_sd sd;
	memset(&sd, 0, sizeof(sd));
	sd.owner_sid = owner ? strdup(owner) : NULL;
	sd.type = SC_OBJ_FILE;
	sd.dacl_present = n >= 0;
	if (n <= 0)
		return sd;
	sd.aces = calloc((size_t)n, sizeof(*sd.aces));
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		sd.aces[i].type = (sc_ace_type)va_arg(ap, int);
		sd.aces[i].sid = strdup(va_arg(ap, const char *));
		sd.aces[i].mask = va_arg(ap, uint32_t);
	}
	va_end(ap);
	sd.ace_count = (size_t)n;
	return sd;
}

static const char *last_text(void)
{
	cr_assert_gt(log_.count, 0);
	return log_.notes[log_.count - 1].text;
}

static void assert_all_t6(void)
{
	cr_assert_gt(log_.count, 0);
	for (size_t i = 0; i < log_.count; i++)
		cr_assert_str_eq(log_.notes[i].rule, "T6", "note %zu: %s", i,
				 log_.notes[i].text);
}

static sc_status check(const sc_token *t, const sc_sd *sd, uint32_t want,
		       uint32_t *granted)
{
	*granted = 0xdeadbeef;
	return sc_acl_access_check(t, sd, want, granted, &log_);
}

Test(T6, primary_token_is_no_impersonation_token)
{
	sc_token *t = alice(SC_TOKEN_PRIMARY, SC_LEVEL_DEFAULT);
	sc_sd sd = sd_make(NULL, -1);
	uint32_t g;
	cr_assert_eq(check(t, &sd, R, &g), SC_NO_IMPERSONATION_TOKEN);
	cr_assert_eq(g, 0);
	assert_all_t6();
	cr_assert_not_null(strstr(last_text(), "primary"));
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, anonymous_level_is_bad_impersonation_level)
{
	sc_token *t = alice(SC_TOKEN_IMPERSONATION, SC_LEVEL_ANONYMOUS);
	sc_sd sd = sd_make(NULL, -1);
	uint32_t g;
	cr_assert_eq(check(t, &sd, R, &g), SC_BAD_IMPERSONATION_LEVEL);
	cr_assert_eq(g, 0);
	assert_all_t6();
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, anonymous_token_is_bad_impersonation_level)
{
	sc_token *t = sc_token_new_anonymous(SC_LEVEL_ANONYMOUS);
	sc_sd sd = sd_make(NULL, -1);
	uint32_t g;
	cr_assert_eq(check(t, &sd, R, &g), SC_BAD_IMPERSONATION_LEVEL);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, identify_and_above_are_accepted)
{
	sc_sd sd = sd_make(NULL, -1);
	for (sc_level l = SC_LEVEL_IDENTIFY; l <= SC_LEVEL_DELEGATE; l++) {
		sc_token *t = alice(SC_TOKEN_IMPERSONATION, l);
		uint32_t g;
		cr_assert_eq(check(t, &sd, R, &g), SC_OK);
		sc_token_free(t);
	}
	sc_sd_free_contents(&sd);
}

Test(T6, check_any_accepts_primary_token)
{
	sc_token *t = alice(SC_TOKEN_PRIMARY, SC_LEVEL_DEFAULT);
	sc_sd sd = sd_make(NULL, 1, SC_ACE_ALLOW, ALICE, R);
	uint32_t g = 0;
	cr_assert_eq(sc_acl_check_any(t, &sd, R, &g, &log_), SC_OK);
	cr_assert_eq(g, R);
	cr_assert_eq(sc_acl_check_any(t, &sd, W, &g, &log_),
		     SC_ACCESS_DENIED);
	cr_assert_eq(g, 0);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, null_dacl_grants_everything)
{
	sc_token *t = alice_identify();
	sc_sd sd = sd_make(BOB, -1);
	uint32_t g;
	cr_assert_eq(check(t, &sd, SC_WRITE_OWNER | SC_DELETE | W, &g), SC_OK);
	cr_assert_eq(g, SC_WRITE_OWNER | SC_DELETE | W);
	assert_all_t6();
	cr_assert_not_null(strstr(last_text(), "NULL DACL"));
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, null_dacl_maximum_allowed_is_all_plus_standard)
{
	sc_token *t = alice_identify();
	sc_sd sd = sd_make(BOB, -1);
	uint32_t g;
	cr_assert_eq(check(t, &sd, SC_MAXIMUM_ALLOWED, &g), SC_OK);
	cr_assert_eq(g, SC_FILE_ALL_ACCESS);
	cr_assert_eq(g & 0x001F0000u, 0x001F0000u);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, null_dacl_maps_generic_request)
{
	sc_token *t = alice_identify();
	sc_sd sd = sd_make(BOB, -1);
	uint32_t g;
	cr_assert_eq(check(t, &sd, SC_GENERIC_READ, &g), SC_OK);
	cr_assert_eq(g, FGR);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, empty_dacl_grants_nothing)
{
	sc_token *t = alice_identify();
	sc_sd sd = sd_make(BOB, 0);
	uint32_t g;
	cr_assert_eq(check(t, &sd, R, &g), SC_ACCESS_DENIED);
	cr_assert_eq(g, 0);
	cr_assert_eq(check(t, &sd, SC_MAXIMUM_ALLOWED, &g), SC_ACCESS_DENIED);
	cr_assert_eq(g, 0);
	assert_all_t6();
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, empty_dacl_still_gives_owner_implicit_rights)
{
	sc_token *t = alice_identify();
	sc_sd sd = sd_make(ALICE, 0);
	uint32_t g;
	cr_assert_eq(check(t, &sd, SC_READ_CONTROL | SC_WRITE_DAC, &g), SC_OK);
	cr_assert_eq(g, SC_READ_CONTROL | SC_WRITE_DAC);
	cr_assert_eq(check(t, &sd, R, &g), SC_ACCESS_DENIED);
	cr_assert_eq(check(t, &sd, SC_MAXIMUM_ALLOWED, &g), SC_OK);
	cr_assert_eq(g, SC_READ_CONTROL | SC_WRITE_DAC);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, owner_implicit_rights_are_read_control_and_write_dac_only)
{
	sc_token *t = alice_identify();
	sc_sd sd = sd_make(ALICE, 1, SC_ACE_ALLOW, ALICE, R);
	uint32_t g;
	cr_assert_eq(check(t, &sd, R | SC_WRITE_DAC, &g), SC_OK);
	cr_assert_eq(g, R | SC_WRITE_DAC);
	cr_assert_eq(check(t, &sd, SC_WRITE_OWNER, &g), SC_ACCESS_DENIED);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, owner_through_enabled_group)
{
	sc_token *t = alice_identify();
	sc_sd sd = sd_make(DEVS, 0);
	uint32_t g;
	cr_assert_eq(check(t, &sd, SC_READ_CONTROL, &g), SC_OK);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, owner_through_deny_only_or_disabled_group_is_not_owner)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(OPS, 0);
	cr_assert_eq(check(t, &sd, SC_READ_CONTROL, &g), SC_ACCESS_DENIED);
	sc_sd_free_contents(&sd);
	sd = sd_make(SC_SID_ADMINISTRATORS, 0);
	cr_assert_eq(check(t, &sd, SC_READ_CONTROL, &g), SC_ACCESS_DENIED);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, owner_rights_ace_replaces_implicit_rights)
{
	sc_token *t = alice_identify();
	uint32_t g;
	/* OWNER RIGHTS allows read only: no implicit WRITE_DAC any more. */
	sc_sd sd = sd_make(ALICE, 1, SC_ACE_ALLOW, SC_SID_OWNER_RIGHTS, R);
	cr_assert_eq(check(t, &sd, R, &g), SC_OK);
	cr_assert_eq(check(t, &sd, SC_WRITE_DAC, &g), SC_ACCESS_DENIED);
	cr_assert_eq(check(t, &sd, SC_READ_CONTROL, &g), SC_ACCESS_DENIED);
	cr_assert_eq(check(t, &sd, SC_MAXIMUM_ALLOWED, &g), SC_OK);
	cr_assert_eq(g, R);
	assert_all_t6();
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, owner_rights_ace_can_grant_more_than_implicit)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(ALICE, 1, SC_ACE_ALLOW, SC_SID_OWNER_RIGHTS,
			   SC_WRITE_OWNER | SC_WRITE_DAC);
	cr_assert_eq(check(t, &sd, SC_WRITE_OWNER | SC_WRITE_DAC, &g), SC_OK);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, owner_rights_deny_ace_denies_owner)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(ALICE, 2, SC_ACE_DENY, SC_SID_OWNER_RIGHTS,
			   SC_WRITE_DAC, SC_ACE_ALLOW, SC_SID_EVERYONE,
			   SC_WRITE_DAC | R);
	cr_assert_eq(check(t, &sd, SC_WRITE_DAC, &g), SC_ACCESS_DENIED);
	cr_assert_eq(check(t, &sd, R, &g), SC_OK);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, owner_rights_ace_does_not_match_non_owner)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(BOB, 1, SC_ACE_ALLOW, SC_SID_OWNER_RIGHTS, R);
	cr_assert_eq(check(t, &sd, R, &g), SC_ACCESS_DENIED);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, deny_ace_before_allow_denies)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(BOB, 2, SC_ACE_DENY, ALICE, W, SC_ACE_ALLOW,
			   SC_SID_EVERYONE, R | W);
	cr_assert_eq(check(t, &sd, R | W, &g), SC_ACCESS_DENIED);
	cr_assert_eq(g, 0);
	cr_assert_not_null(strstr(last_text(), "ACCESS_DENIED"));
	/* Asking only for what the deny ACE does not name succeeds. */
	cr_assert_eq(check(t, &sd, R, &g), SC_OK);
	cr_assert_eq(g, R);
	assert_all_t6();
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, deny_ace_matches_through_enabled_group)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(BOB, 2, SC_ACE_DENY, DEVS, R, SC_ACE_ALLOW, ALICE,
			   R);
	cr_assert_eq(check(t, &sd, R, &g), SC_ACCESS_DENIED);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, allow_accumulates_across_aces)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(BOB, 3, SC_ACE_ALLOW, ALICE, R, SC_ACE_ALLOW, DEVS,
			   W, SC_ACE_ALLOW, SC_SID_USERS, SC_DELETE);
	cr_assert_eq(check(t, &sd, R | W | SC_DELETE, &g), SC_OK);
	cr_assert_eq(g, R | W | SC_DELETE);
	/* Without the third ACE the request is only partly granted. */
	cr_assert_eq(check(t, &sd, R | W | SC_WRITE_OWNER, &g),
		     SC_ACCESS_DENIED);
	cr_assert_eq(g, 0);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, deny_after_allow_for_already_granted_bits_has_no_effect)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(BOB, 3, SC_ACE_ALLOW, ALICE, R, SC_ACE_DENY,
			   SC_SID_EVERYONE, R, SC_ACE_ALLOW, DEVS, W);
	cr_assert_eq(check(t, &sd, R | W, &g), SC_OK);
	cr_assert_eq(g, R | W);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, deny_after_allow_for_a_still_requested_bit_denies)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(BOB, 3, SC_ACE_ALLOW, ALICE, R, SC_ACE_DENY,
			   SC_SID_EVERYONE, R | W, SC_ACE_ALLOW, DEVS, W);
	cr_assert_eq(check(t, &sd, R | W, &g), SC_ACCESS_DENIED);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, walk_stops_once_everything_is_granted)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(BOB, 2, SC_ACE_ALLOW, ALICE, R, SC_ACE_DENY, ALICE,
			   R | W);
	cr_assert_eq(check(t, &sd, R, &g), SC_OK);
	for (size_t i = 0; i < log_.count; i++)
		cr_assert_null(strstr(log_.notes[i].text, "ACE 1"),
			       "the deny ACE was read: %s",
			       log_.notes[i].text);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, generic_rights_are_mapped_in_request_and_aces)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(BOB, 1, SC_ACE_ALLOW, ALICE, SC_GENERIC_READ);
	cr_assert_eq(check(t, &sd, R, &g), SC_OK);
	cr_assert_eq(g, R);
	cr_assert_eq(check(t, &sd, SC_GENERIC_READ, &g), SC_OK);
	cr_assert_eq(g, FGR);
	cr_assert_eq(check(t, &sd, SC_GENERIC_WRITE, &g), SC_ACCESS_DENIED);
	sc_sd_free_contents(&sd);

	/* A generic deny ACE denies the mapped bits. */
	sd = sd_make(BOB, 2, SC_ACE_DENY, ALICE, SC_GENERIC_WRITE,
		     SC_ACE_ALLOW, ALICE, SC_GENERIC_ALL);
	cr_assert_eq(check(t, &sd, W, &g), SC_ACCESS_DENIED);
	cr_assert_eq(check(t, &sd, R, &g), SC_OK);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, map_generic_keeps_maximum_allowed)
{
	const sc_generic_mapping *m = &sc_file_mapping;
	cr_assert_eq(m->read, 0x120089u);
	cr_assert_eq(m->write, 0x120116u);
	cr_assert_eq(m->execute, 0x1200A0u);
	cr_assert_eq(m->all, 0x1F01FFu);
	cr_assert_eq(sc_acl_map_generic(SC_GENERIC_READ, m), FGR);
	cr_assert_eq(sc_acl_map_generic(SC_GENERIC_WRITE | SC_DELETE, m),
		     FGW | SC_DELETE);
	cr_assert_eq(sc_acl_map_generic(SC_GENERIC_EXECUTE, m), FGX);
	cr_assert_eq(sc_acl_map_generic(SC_GENERIC_ALL, m), SC_FILE_ALL_ACCESS);
	cr_assert_eq(sc_acl_map_generic(SC_MAXIMUM_ALLOWED | SC_GENERIC_READ,
					m),
		     SC_MAXIMUM_ALLOWED | FGR);
}

Test(T6, maximum_allowed_returns_what_would_be_granted)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(BOB, 4, SC_ACE_DENY, DEVS, W, SC_ACE_ALLOW, ALICE,
			   R | W, SC_ACE_ALLOW, SC_SID_EVERYONE, SC_DELETE,
			   SC_ACE_DENY, SC_SID_EVERYONE, R | SC_WRITE_OWNER);
	cr_assert_eq(check(t, &sd, SC_MAXIMUM_ALLOWED, &g), SC_OK);
	/* W denied before it was allowed; R allowed before the later deny
	 * (which then has no effect on it); DELETE allowed. */
	cr_assert_eq(g, R | SC_DELETE, "granted 0x%x", g);
	/* Together with bits asked by name: they must be granted. */
	cr_assert_eq(check(t, &sd, SC_MAXIMUM_ALLOWED | R, &g), SC_OK);
	cr_assert_eq(g, R | SC_DELETE);
	cr_assert_eq(check(t, &sd, SC_MAXIMUM_ALLOWED | W, &g),
		     SC_ACCESS_DENIED);
	cr_assert_eq(g, 0);
	assert_all_t6();
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, maximum_allowed_with_nothing_allowed_is_denied)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(BOB, 1, SC_ACE_ALLOW, BOB, R);
	cr_assert_eq(check(t, &sd, SC_MAXIMUM_ALLOWED, &g), SC_ACCESS_DENIED);
	cr_assert_eq(g, 0);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, maximum_allowed_includes_owner_rights)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(ALICE, 1, SC_ACE_ALLOW, SC_SID_EVERYONE,
			   SC_GENERIC_READ);
	cr_assert_eq(check(t, &sd, SC_MAXIMUM_ALLOWED, &g), SC_OK);
	cr_assert_eq(g, FGR | SC_WRITE_DAC);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, deny_only_group_matches_deny_but_not_allow)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(BOB, 1, SC_ACE_ALLOW, OPS, R);
	cr_assert_eq(check(t, &sd, R, &g), SC_ACCESS_DENIED);
	sc_sd_free_contents(&sd);
	sd = sd_make(BOB, 2, SC_ACE_DENY, OPS, R, SC_ACE_ALLOW,
		     SC_SID_EVERYONE, R);
	cr_assert_eq(check(t, &sd, R, &g), SC_ACCESS_DENIED);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, deny_only_group_matches_deny_even_with_enabled_bit)
{
	sc_token *t = alice_identify();
	sc_token_add_group(t, BOB, "CORP\\bob-group",
			   SC_GROUP_ENABLED | SC_GROUP_USE_FOR_DENY_ONLY);
	uint32_t g;
	sc_sd sd = sd_make(BOB, 1, SC_ACE_ALLOW, BOB, R);
	cr_assert_eq(check(t, &sd, R, &g), SC_ACCESS_DENIED);
	sc_sd_free_contents(&sd);
	sd = sd_make(BOB, 2, SC_ACE_DENY, BOB, R, SC_ACE_ALLOW, ALICE, R);
	cr_assert_eq(check(t, &sd, R, &g), SC_ACCESS_DENIED);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, disabled_group_matches_nothing)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(BOB, 1, SC_ACE_ALLOW, SC_SID_ADMINISTRATORS, R);
	cr_assert_eq(check(t, &sd, R, &g), SC_ACCESS_DENIED);
	sc_sd_free_contents(&sd);
	sd = sd_make(BOB, 2, SC_ACE_DENY, SC_SID_ADMINISTRATORS, R,
		     SC_ACE_ALLOW, ALICE, R);
	cr_assert_eq(check(t, &sd, R, &g), SC_OK);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, nothing_requested_is_denied)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(BOB, 1, SC_ACE_ALLOW, ALICE, R);
	cr_assert_eq(check(t, &sd, 0, &g), SC_ACCESS_DENIED);
	cr_assert_eq(g, 0);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

/* The notes name an ACE's trustee as the token holds it, the account or
 * the group, never its bare SID (what --explain prints); a SID the token
 * holds without a name (none known for it) is shown as the SID. */
Test(T6, ace_trustees_are_named_by_account_or_group)
{
#define NAMELESS "S-1-5-21-1-2-3-4242"
	sc_token *t = alice(SC_TOKEN_IMPERSONATION, SC_LEVEL_IMPERSONATE);
	sc_token_add_group(t, NAMELESS, NULL, SC_GROUP_ENABLED);
	/* MAXIMUM_ALLOWED walks every ACE. */
	sc_sd sd = sd_make(BOB, 4, SC_ACE_ALLOW, DEVS, R, SC_ACE_ALLOW, ALICE,
			   W, SC_ACE_DENY, OPS, FGX, SC_ACE_ALLOW, NAMELESS,
			   SC_FILE_APPEND_DATA);
	uint32_t granted;
	cr_assert_eq(check(t, &sd, SC_MAXIMUM_ALLOWED, &granted), SC_OK);
	const char *want[] = {"ACE 0 (allow CORP\\Developers) matches",
			      "ACE 1 (allow CORP\\alice) matches",
			      "ACE 2 (deny CORP\\Ops) matches",
			      "ACE 3 (allow " NAMELESS ") matches"};
	for (size_t k = 0; k < 4; k++) {
		bool seen = false;
		for (size_t i = 0; i < log_.count; i++)
			seen = seen || strstr(log_.notes[i].text, want[k]);
		cr_expect(seen, "no note says '%s'", want[k]);
	}
	/* No named trustee's SID appears in any note. */
	const char *sids[] = {ALICE, DEVS, OPS};
	for (size_t i = 0; i < log_.count; i++)
		for (size_t k = 0; k < 3; k++)
			cr_expect(strstr(log_.notes[i].text, sids[k]) == NULL,
				  "note %zu names %s: %s", i, sids[k],
				  log_.notes[i].text);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
#undef NAMELESS
}

Test(T6, every_note_names_t6)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(ALICE, 3, SC_ACE_DENY, DEVS, SC_DELETE,
			   SC_ACE_ALLOW, ALICE, SC_GENERIC_READ, SC_ACE_ALLOW,
			   SC_SID_EVERYONE, W);
	cr_assert_eq(check(t, &sd, SC_GENERIC_READ | SC_GENERIC_WRITE, &g),
		     SC_ACCESS_DENIED);
	cr_assert_eq(check(t, &sd, SC_MAXIMUM_ALLOWED, &g), SC_OK);
	assert_all_t6();
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(rights, parse_names)
{
	static const struct {
		const char *name;
		uint32_t mask;
	} cases[] = {
		{ "read", SC_GENERIC_READ },
		{ "write", SC_GENERIC_WRITE },
		{ "execute", SC_GENERIC_EXECUTE },
		{ "all", SC_GENERIC_ALL },
		{ "delete", SC_DELETE },
		{ "read_control", SC_READ_CONTROL },
		{ "write_dac", SC_WRITE_DAC },
		{ "write_owner", SC_WRITE_OWNER },
		{ "maximum_allowed", SC_MAXIMUM_ALLOWED },
		{ "read_data", SC_FILE_READ_DATA },
		{ "write_data", SC_FILE_WRITE_DATA },
		{ "append_data", SC_FILE_APPEND_DATA },
		{ "read_ea", SC_FILE_READ_EA },
		{ "write_ea", SC_FILE_WRITE_EA },
		{ "file_execute", SC_FILE_EXECUTE },
		{ "read_attributes", SC_FILE_READ_ATTRIBUTES },
		{ "write_attributes", SC_FILE_WRITE_ATTRIBUTES },
		{ "synchronize", SC_SYNCHRONIZE },
		{ "READ", SC_GENERIC_READ },
		{ "none", 0 },
		{ "0x100000", SC_SYNCHRONIZE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t m = 0xffffffffu;
		cr_assert_eq(sc_acl_right_parse(SC_OBJ_FILE, cases[i].name, &m), 0, "%s",
			     cases[i].name);
		cr_assert_eq(m, cases[i].mask, "%s", cases[i].name);
	}
	uint32_t m = 7;
	cr_assert_eq(sc_acl_right_parse(SC_OBJ_FILE, "frobnicate", &m), SC_ERR_INVAL);
	cr_assert_eq(sc_acl_right_parse(SC_OBJ_FILE, "", &m), SC_ERR_INVAL);
	cr_assert_eq(sc_acl_right_parse(SC_OBJ_FILE, "0x", &m), SC_ERR_INVAL);
	cr_assert_eq(sc_acl_right_parse(SC_OBJ_FILE, "0xzz", &m), SC_ERR_INVAL);
	cr_assert_eq(sc_acl_right_parse(SC_OBJ_FILE, "0x 1", &m), SC_ERR_INVAL);
	cr_assert_eq(sc_acl_right_parse(SC_OBJ_FILE, "0x1ffffffff", &m), SC_ERR_INVAL);
	cr_assert_eq(sc_acl_right_parse(SC_OBJ_FILE, NULL, &m), SC_ERR_INVAL);
	cr_assert_eq(m, 7);
}

static void assert_format(uint32_t mask, const char *want)
{
	char buf[160];
	sc_acl_rights_format(SC_OBJ_FILE, mask, buf, sizeof(buf));
	cr_assert_str_eq(buf, want, "mask 0x%x", mask);
}

Test(rights, format_prefers_generic_names)
{
	assert_format(0, "none");
	assert_format(FGR, "read");
	assert_format(FGW, "write");
	assert_format(FGX, "execute");
	assert_format(SC_FILE_ALL_ACCESS, "all");
	assert_format(FGR | FGW, "read|write");
	assert_format(FGR | FGX, "read|execute");
	assert_format(FGR | SC_DELETE, "read|delete");
	assert_format(FGR | SC_WRITE_DAC, "read|write_dac");
	assert_format(SC_READ_CONTROL | SC_WRITE_DAC, "read_control|write_dac");
	assert_format(R | W, "read_data|write_data");
	assert_format(SC_MAXIMUM_ALLOWED, "maximum_allowed");
	assert_format(SC_GENERIC_READ, "read");
	assert_format(SC_GENERIC_ALL | SC_GENERIC_WRITE, "all|write");
}

Test(rights, format_names_every_specific_right)
{
	assert_format(SC_SYNCHRONIZE, "synchronize");
	assert_format(R | SC_FILE_APPEND_DATA | SC_FILE_EXECUTE,
		      "read_data|append_data|file_execute");
	/* FILE_GENERIC_READ less READ_DATA is not "read". */
	assert_format(FGR & ~R,
		      "read_control|read_ea|read_attributes|synchronize");
	assert_format(FGW & ~W, "read_control|append_data|write_ea|"
				"write_attributes|synchronize");
}

Test(rights, format_leftover_bits_in_hex)
{
	/* Bits no file right names (0x200), ACCESS_SYSTEM_SECURITY. */
	assert_format(R | 0x200u, "read_data|0x200");
	assert_format(R | SC_FILE_DELETE_CHILD, "read_data|delete_child");
	assert_format(0x01000000u, "0x1000000");
}

Test(rights, format_round_trips_through_parse)
{
	static const uint32_t masks[] = {
		FGR, FGR | FGW, SC_FILE_ALL_ACCESS, R | SC_DELETE,
		SC_READ_CONTROL | SC_WRITE_DAC, FGX | SC_WRITE_OWNER,
	};
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		char buf[160];
		sc_acl_rights_format(SC_OBJ_FILE, masks[i], buf, sizeof(buf));
		uint32_t back = 0;
		char *save = NULL;
		for (char *tok = strtok_r(buf, "|", &save); tok;
		     tok = strtok_r(NULL, "|", &save)) {
			uint32_t m;
			cr_assert_eq(sc_acl_right_parse(SC_OBJ_FILE, tok, &m), 0, "%s", tok);
			back |= sc_acl_map_generic(m, &sc_file_mapping);
		}
		cr_assert_eq(back, masks[i], "0x%x -> 0x%x", masks[i], back);
	}
}

Test(rights, format_truncates_safely)
{
	char buf[8];
	sc_acl_rights_format(SC_OBJ_FILE, FGR | FGW | SC_DELETE, buf, sizeof(buf));
	cr_assert_lt(strlen(buf), sizeof(buf));
	cr_assert_eq(strncmp(buf, "read|wr", 7), 0, "%s", buf);
	sc_acl_rights_format(SC_OBJ_FILE, FGR, buf, 0); /* no write at all */
}

Test(rights, sd_free_contents_resets)
{
	sc_sd sd = sd_make(ALICE, 2, SC_ACE_ALLOW, ALICE, R, SC_ACE_DENY, BOB,
			   W);
	sc_sd_free_contents(&sd);
	cr_assert_null(sd.owner_sid);
	cr_assert_null(sd.aces);
	cr_assert_eq(sd.ace_count, 0);
	sc_sd_free_contents(&sd);
	sc_sd_free_contents(NULL);
}

/* ---- object types: each its own generic mapping (T6) ------------------- */

/* The GENERIC_MAPPING of each type, bit for bit as winnt.h and winsvc.h
 * define the sets (written out here, not taken from sc_acl.h). */
Test(T6, each_object_type_maps_generic_rights_as_windows)
{
	static const struct {
		sc_object_type t;
		uint32_t read, write, execute, all;
	} want[] = {
		{SC_OBJ_FILE, 0x120089u, 0x120116u, 0x1200A0u, 0x1F01FFu},
		{SC_OBJ_PIPE, 0x120089u, 0x120116u, 0x1200A0u, 0x1F01FFu},
		/* KEY_READ, KEY_WRITE, KEY_EXECUTE, KEY_ALL_ACCESS */
		{SC_OBJ_KEY, 0x20019u, 0x20006u, 0x20019u, 0xF003Fu},
		/* STANDARD_RIGHTS_READ | QUERY_CONFIG | QUERY_STATUS |
		 * ENUMERATE_DEPENDENTS | INTERROGATE; STANDARD_RIGHTS_WRITE |
		 * CHANGE_CONFIG; STANDARD_RIGHTS_EXECUTE | START | STOP |
		 * PAUSE_CONTINUE | USER_DEFINED_CONTROL; SERVICE_ALL_ACCESS */
		{SC_OBJ_SERVICE, 0x2008Du, 0x20002u, 0x20170u, 0xF01FFu},
		/* a directory maps as a file ("File Access Rights
		 * Constants") */
		{SC_OBJ_DIRECTORY, 0x120089u, 0x120116u, 0x1200A0u, 0x1F01FFu},
		/* STANDARD_RIGHTS_READ | ENUMERATE_SERVICE |
		 * QUERY_LOCK_STATUS; STANDARD_RIGHTS_WRITE | CREATE_SERVICE |
		 * MODIFY_BOOT_CONFIG; STANDARD_RIGHTS_EXECUTE | CONNECT |
		 * LOCK; SC_MANAGER_ALL_ACCESS */
		{SC_OBJ_SC_MANAGER, 0x20014u, 0x20022u, 0x20009u, 0xF003Fu},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const sc_generic_mapping *m = sc_acl_mapping(want[i].t);
		const char *n = sc_object_type_name(want[i].t);
		cr_expect_eq(m->read, want[i].read, "%s read", n);
		cr_expect_eq(m->write, want[i].write, "%s write", n);
		cr_expect_eq(m->execute, want[i].execute, "%s execute", n);
		cr_expect_eq(m->all, want[i].all, "%s all", n);
		cr_expect_eq(sc_acl_map_generic(SC_GENERIC_READ | SC_DELETE, m),
			     want[i].read | SC_DELETE, "%s", n);
	}
	/* SYNCHRONIZE is part of FILE_GENERIC_READ, not of KEY_READ. */
	cr_expect(sc_acl_mapping(SC_OBJ_FILE)->read & SC_SYNCHRONIZE);
	cr_expect(!(sc_acl_mapping(SC_OBJ_KEY)->read & SC_SYNCHRONIZE));
}

static sc_sd typed(sc_object_type type, uint32_t allow_alice)
{
	sc_sd sd = sd_make(BOB, 1, SC_ACE_ALLOW, ALICE, allow_alice);
	sd.type = type;
	return sd;
}

/* The request's generic rights and the ACE's are mapped through the
 * descriptor's type: KEY_READ on a key satisfies GENERIC_READ, and does
 * not give KEY_SET_VALUE. */
Test(T6, generic_request_is_mapped_through_the_object_type)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = typed(SC_OBJ_KEY, SC_KEY_READ);
	cr_assert_eq(check(t, &sd, SC_GENERIC_READ, &g), SC_OK);
	cr_expect_eq(g, SC_KEY_READ);
	cr_expect_eq(check(t, &sd, SC_KEY_SET_VALUE, &g), SC_ACCESS_DENIED);
	cr_expect_str_eq(last_text(), "set_value is not granted by any ACE: "
				      "ACCESS_DENIED");
	cr_expect_eq(check(t, &sd, SC_GENERIC_WRITE, &g), SC_ACCESS_DENIED);
	sc_sd_free_contents(&sd);
	/* The same ACE mask on a file: FILE_GENERIC_READ needs more. */
	sd = typed(SC_OBJ_FILE, SC_KEY_READ);
	cr_expect_eq(check(t, &sd, SC_GENERIC_READ, &g), SC_ACCESS_DENIED);
	sc_sd_free_contents(&sd);
	/* An ACE of GENERIC_READ on a file grants FILE_GENERIC_READ,
	 * SYNCHRONIZE among it. */
	sd = typed(SC_OBJ_FILE, SC_GENERIC_READ);
	cr_expect_eq(check(t, &sd, SC_SYNCHRONIZE, &g), SC_OK);
	cr_expect_eq(check(t, &sd, FGR, &g), SC_OK);
	cr_expect_eq(g, FGR);
	sc_sd_free_contents(&sd);
	/* ... but not on a key: KEY_READ has no SYNCHRONIZE. */
	sd = typed(SC_OBJ_KEY, SC_GENERIC_READ);
	cr_expect_eq(check(t, &sd, SC_SYNCHRONIZE, &g), SC_ACCESS_DENIED);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, service_start_does_not_give_stop)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = typed(SC_OBJ_SERVICE, SC_SERVICE_START);
	cr_expect_eq(check(t, &sd, SC_SERVICE_START, &g), SC_OK);
	cr_expect_eq(check(t, &sd, SC_SERVICE_STOP, &g), SC_ACCESS_DENIED);
	cr_expect_str_eq(last_text(), "stop is not granted by any ACE: "
				      "ACCESS_DENIED");
	/* GENERIC_EXECUTE on a service holds START and STOP. */
	cr_expect_eq(check(t, &sd, SC_GENERIC_EXECUTE, &g), SC_ACCESS_DENIED);
	sc_sd_free_contents(&sd);
	sd = typed(SC_OBJ_SERVICE, SC_GENERIC_EXECUTE);
	cr_expect_eq(check(t, &sd, SC_SERVICE_STOP, &g), SC_OK);
	cr_expect_eq(check(t, &sd, SC_SERVICE_CHANGE_CONFIG, &g),
		     SC_ACCESS_DENIED);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

Test(T6, maximum_allowed_on_a_null_dacl_is_the_type_s_all)
{
	sc_token *t = alice_identify();
	uint32_t g;
	sc_sd sd = sd_make(NULL, -1);
	sd.type = SC_OBJ_KEY;
	cr_assert_eq(check(t, &sd, SC_MAXIMUM_ALLOWED, &g), SC_OK);
	cr_expect_eq(g, SC_KEY_ALL_ACCESS | 0x1F0000u);
	sc_sd_free_contents(&sd);
	sc_token_free(t);
}

/* Each type takes its own names, and the Windows spellings as aliases;
 * another type's names are not its own. */
Test(rights, names_belong_to_their_object_type)
{
	static const struct {
		sc_object_type t;
		const char *name;
		uint32_t mask; /* 0: not a name of t */
	} cases[] = {
		{SC_OBJ_FILE, "read_data", SC_FILE_READ_DATA},
		{SC_OBJ_FILE, "FILE_READ_DATA", SC_FILE_READ_DATA},
		{SC_OBJ_FILE, "FILE_GENERIC_READ", FGR},
		{SC_OBJ_FILE, "GENERIC_READ", SC_GENERIC_READ},
		{SC_OBJ_FILE, "query_value", 0},
		{SC_OBJ_FILE, "create_pipe_instance", 0},
		{SC_OBJ_PIPE, "create_pipe_instance", 0x4u},
		{SC_OBJ_PIPE, "FILE_CREATE_PIPE_INSTANCE", 0x4u},
		{SC_OBJ_PIPE, "read_data", SC_FILE_READ_DATA},
		{SC_OBJ_KEY, "query_value", 0x1u},
		{SC_OBJ_KEY, "KEY_SET_VALUE", 0x2u},
		{SC_OBJ_KEY, "KEY_READ", 0x20019u},
		{SC_OBJ_KEY, "KEY_ALL_ACCESS", 0xF003Fu},
		{SC_OBJ_KEY, "GENERIC_WRITE", SC_GENERIC_WRITE},
		{SC_OBJ_KEY, "read_data", 0},
		{SC_OBJ_KEY, "SERVICE_START", 0},
		{SC_OBJ_SERVICE, "start", 0x10u},
		{SC_OBJ_SERVICE, "SERVICE_STOP", 0x20u},
		{SC_OBJ_SERVICE, "SERVICE_ALL_ACCESS", 0xF01FFu},
		{SC_OBJ_SERVICE, "synchronize", SC_SYNCHRONIZE},
		{SC_OBJ_SERVICE, "KEY_READ", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t m = 0;
		int rc = sc_acl_right_named(cases[i].t, cases[i].name, &m);
		if (!cases[i].mask) {
			cr_expect_eq(rc, SC_ERR_INVAL, "%s on a %s",
				     cases[i].name,
				     sc_object_type_name(cases[i].t));
			continue;
		}
		cr_expect_eq(rc, 0, "%s on a %s", cases[i].name,
			     sc_object_type_name(cases[i].t));
		cr_expect_eq(m, cases[i].mask, "%s", cases[i].name);
	}
}

/* granted: lists compare as masks: GENERIC_READ, read and
 * FILE_GENERIC_READ's component rights are one mask on a file. */
Test(rights, a_list_of_names_is_one_mapped_mask)
{
	uint32_t a, b, c, d;
	cr_assert_eq(sc_acl_rights_mask(SC_OBJ_FILE, "GENERIC_READ", &a), 0);
	cr_assert_eq(sc_acl_rights_mask(SC_OBJ_FILE, "FILE_GENERIC_READ", &b),
		     0);
	cr_assert_eq(sc_acl_rights_mask(SC_OBJ_FILE,
					"read_data|read_attributes|read_ea|"
					"READ_CONTROL|SYNCHRONIZE",
					&c),
		     0);
	cr_assert_eq(sc_acl_rights_mask(SC_OBJ_FILE, "read", &d), 0);
	cr_expect_eq(a, FGR);
	cr_expect_eq(b, FGR);
	cr_expect_eq(c, FGR);
	cr_expect_eq(d, FGR);
	cr_assert_eq(sc_acl_rights_mask(SC_OBJ_KEY, "read", &a), 0);
	cr_expect_eq(a, 0x20019u);
	cr_expect_eq(sc_acl_rights_mask(SC_OBJ_KEY, "read|read_data", &a),
		     SC_ERR_INVAL);
	cr_expect_eq(sc_acl_rights_mask(SC_OBJ_FILE, "read||write", &a),
		     SC_ERR_INVAL);
	cr_expect_eq(sc_acl_rights_mask(SC_OBJ_FILE, "", &a), SC_ERR_INVAL);
}

static void assert_format_t(sc_object_type t, uint32_t mask, const char *want)
{
	char buf[200];
	sc_acl_rights_format(t, mask, buf, sizeof(buf));
	cr_assert_str_eq(buf, want, "%s mask 0x%x", sc_object_type_name(t),
			 mask);
}

/* A granted mask prints as the names of its object's type. */
Test(rights, format_uses_the_object_type_s_names)
{
	assert_format_t(SC_OBJ_KEY, SC_KEY_READ, "read");
	assert_format_t(SC_OBJ_KEY, SC_KEY_ALL_ACCESS, "all");
	assert_format_t(SC_OBJ_KEY, SC_KEY_READ | SC_KEY_SET_VALUE,
			"read|set_value");
	assert_format_t(SC_OBJ_KEY, SC_KEY_QUERY_VALUE | SC_READ_CONTROL,
			"read_control|query_value");
	assert_format_t(SC_OBJ_SERVICE, SC_SERVICE_START, "start");
	assert_format_t(SC_OBJ_SERVICE, 0x2008Du, "read");
	assert_format_t(SC_OBJ_SERVICE, 0x20170u, "execute");
	assert_format_t(SC_OBJ_PIPE, SC_FILE_APPEND_DATA | R,
			"read_data|create_pipe_instance");
	assert_format_t(SC_OBJ_FILE, SC_FILE_APPEND_DATA | R,
			"read_data|append_data");
}

/* Every name of the table parses back for every type it is for, and an
 * alias never prints: the names are the one table. */
Test(rights, every_table_name_parses_for_its_types)
{
	for (size_t i = 0; i < sc_right_count; i++) {
		const sc_right_entry *r = &sc_right_table[i];
		for (int t = 0; t < SC_OBJ_COUNT; t++) {
			uint32_t m = 0;
			int rc = sc_acl_right_named((sc_object_type)t, r->name,
						    &m);
			if (r->types & (1u << t)) {
				cr_expect_eq(rc, 0, "%s", r->name);
				cr_expect_eq(m, r->mask, "%s", r->name);
			}
		}
	}
}

/* A directory's and the service control manager's right names are
 * theirs alone, with the Windows spellings, as literal masks. */
Test(rights, directory_and_sc_manager_names)
{
	static const struct {
		sc_object_type t;
		const char *name;
		uint32_t mask;
	} ok[] = {
		{SC_OBJ_DIRECTORY, "list_directory", 0x1u},
		{SC_OBJ_DIRECTORY, "FILE_LIST_DIRECTORY", 0x1u},
		{SC_OBJ_DIRECTORY, "add_file", 0x2u},
		{SC_OBJ_DIRECTORY, "FILE_ADD_FILE", 0x2u},
		{SC_OBJ_DIRECTORY, "add_subdirectory", 0x4u},
		{SC_OBJ_DIRECTORY, "FILE_ADD_SUBDIRECTORY", 0x4u},
		{SC_OBJ_DIRECTORY, "traverse", 0x20u},
		{SC_OBJ_DIRECTORY, "FILE_TRAVERSE", 0x20u},
		{SC_OBJ_DIRECTORY, "delete_child", 0x40u},
		{SC_OBJ_DIRECTORY, "FILE_DELETE_CHILD", 0x40u},
		{SC_OBJ_DIRECTORY, "FILE_GENERIC_READ", 0x120089u},
		{SC_OBJ_SC_MANAGER, "connect", 0x1u},
		{SC_OBJ_SC_MANAGER, "SC_MANAGER_CREATE_SERVICE", 0x2u},
		{SC_OBJ_SC_MANAGER, "enumerate_service", 0x4u},
		{SC_OBJ_SC_MANAGER, "lock", 0x8u},
		{SC_OBJ_SC_MANAGER, "query_lock_status", 0x10u},
		{SC_OBJ_SC_MANAGER, "modify_boot_config", 0x20u},
		{SC_OBJ_SC_MANAGER, "SC_MANAGER_ALL_ACCESS", 0xF003Fu},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint32_t m = 0;
		cr_expect_eq(sc_acl_right_named(ok[i].t, ok[i].name, &m), 0,
			     "%s", ok[i].name);
		cr_expect_eq(m, ok[i].mask, "%s: 0x%x", ok[i].name, m);
	}
	uint32_t m;
	/* a file's names for those bits are not a directory's, and the
	 * other way round; the manager's are not a service's */
	cr_expect_neq(sc_acl_right_named(SC_OBJ_DIRECTORY, "read_data", &m), 0);
	cr_expect_neq(sc_acl_right_named(SC_OBJ_FILE, "list_directory", &m), 0);
	cr_expect_neq(sc_acl_right_named(SC_OBJ_SERVICE, "connect", &m), 0);
	cr_expect_neq(sc_acl_right_named(SC_OBJ_SC_MANAGER, "start", &m), 0);
	char buf[128];
	sc_acl_rights_format(SC_OBJ_DIRECTORY, 0x27u, buf, sizeof(buf));
	cr_expect_str_eq(buf, "list_directory|add_file|add_subdirectory|"
			      "traverse");
	sc_acl_rights_format(SC_OBJ_SC_MANAGER, 0x20014u, buf, sizeof(buf));
	cr_expect_str_eq(buf, "read");
	sc_acl_rights_format(SC_OBJ_SC_MANAGER, 0x3u, buf, sizeof(buf));
	cr_expect_str_eq(buf, "connect|create_service");
	cr_expect_str_eq(sc_object_type_name(SC_OBJ_DIRECTORY), "directory");
	cr_expect_str_eq(sc_object_type_name(SC_OBJ_SC_MANAGER), "sc_manager");
}

/* A token of a given level: alice's at Identify, its level stated. */
static sc_token *alice_at(sc_integrity il)
{
	sc_token *t = alice_identify();
	sc_token_set_integrity(t, il);
	return t;
}

/* T12: what a token below the label may be granted, as literal masks:
 * the type's generic read and execute sets (MS-DTYP 2.5.3.3); without
 * the read set under no_read_up; everything at or above the label. */
Test(T12, what_a_lower_token_may_be_granted)
{
	sc_token *low = alice_at(SC_IL_LOW), *med = alice_at(SC_IL_MEDIUM);
	sc_sd sd = sd_make(BOB, -1);
	/* a file: FILE_GENERIC_READ | FILE_GENERIC_EXECUTE */
	cr_expect_eq(sc_acl_mandatory_allowed(low, &sd), 0x1200A9u);
	cr_expect_eq(sc_acl_mandatory_allowed(med, &sd), 0xFFFFFFFFu);
	sd.no_read_up = true;
	cr_expect_eq(sc_acl_mandatory_allowed(low, &sd), 0x1200A0u);
	sd.no_read_up = false;
	sd.type = SC_OBJ_KEY; /* KEY_READ (= KEY_EXECUTE) */
	cr_expect_eq(sc_acl_mandatory_allowed(low, &sd), 0x20019u);
	sd.type = SC_OBJ_SC_MANAGER; /* 0x20014 | 0x20009 */
	cr_expect_eq(sc_acl_mandatory_allowed(low, &sd), 0x2001Du);
	sd.type = SC_OBJ_FILE;
	sd.label = SC_IL_HIGH; /* a medium token below a high label */
	cr_expect_eq(sc_acl_mandatory_allowed(med, &sd), 0x1200A9u);
	sd.label = SC_IL_LOW; /* a low token at a low label */
	cr_expect_eq(sc_acl_mandatory_allowed(low, &sd), 0xFFFFFFFFu);
	sc_sd_free_contents(&sd);
	sc_token_free(low);
	sc_token_free(med);
}

static bool logged(const char *rule, const char *needle)
{
	for (size_t i = 0; i < log_.count; i++)
		if (strcmp(log_.notes[i].rule, rule) == 0 &&
		    strstr(log_.notes[i].text, needle))
			return true;
	return false;
}

/* T12: below an unlabelled (medium) object, a write is denied before the
 * DACL, even a NULL DACL's; a read passes to it. */
Test(T12, no_write_up_before_the_dacl)
{
	sc_token *low = alice_at(SC_IL_LOW);
	uint32_t g;
	sc_sd sd = sd_make(BOB, -1);
	cr_expect_eq(check(low, &sd, W, &g), SC_ACCESS_DENIED);
	cr_expect_eq(g, 0u);
	cr_expect(logged("T12", "write_data denied: the low token of "
				"CORP\\alice is below the object's medium "
				"label (no_write_up)"));
	static const uint32_t writes[] = {SC_DELETE, SC_WRITE_DAC,
					  SC_WRITE_OWNER, SC_FILE_DELETE_CHILD,
					  SC_FILE_APPEND_DATA, SC_GENERIC_WRITE};
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
		cr_expect_eq(check(low, &sd, writes[i], &g), SC_ACCESS_DENIED,
			     "0x%x", writes[i]);
	cr_expect_eq(check(low, &sd, SC_GENERIC_READ, &g), SC_OK);
	cr_expect_eq(g, FGR);
	cr_expect_eq(check(low, &sd, SC_GENERIC_EXECUTE, &g), SC_OK);
	cr_expect_eq(g, FGX);
	/* MAXIMUM_ALLOWED on a NULL DACL: the read and execute sets */
	cr_expect_eq(check(low, &sd, SC_MAXIMUM_ALLOWED, &g), SC_OK);
	cr_expect_eq(g, 0x1200A9u);
	/* no_read_up: reads are denied too, execution is not */
	sd.no_read_up = true;
	cr_expect_eq(check(low, &sd, R, &g), SC_ACCESS_DENIED);
	cr_expect(logged("T12", "no_write_up, no_read_up"));
	cr_expect_eq(check(low, &sd, SC_FILE_EXECUTE, &g), SC_OK);
	sc_sd_free_contents(&sd);
	sc_token_free(low);
}

/* T12: the owner's implicit WRITE_DAC is withheld from a lower token;
 * with MAXIMUM_ALLOWED the DACL's grant is cut to the sets the label
 * leaves. A token at the label is not restricted, and T12 notes
 * nothing. */
Test(T12, the_dacl_grants_only_what_the_label_leaves)
{
	sc_token *low = alice_at(SC_IL_LOW), *med = alice_at(SC_IL_MEDIUM);
	uint32_t g;
	sc_sd owned = sd_make(ALICE, 0); /* alice owns it; empty DACL */
	cr_expect_eq(check(low, &owned, SC_MAXIMUM_ALLOWED, &g), SC_OK);
	cr_expect_eq(g, SC_READ_CONTROL);
	cr_expect_eq(check(med, &owned, SC_MAXIMUM_ALLOWED, &g), SC_OK);
	cr_expect_eq(g, SC_READ_CONTROL | SC_WRITE_DAC);
	sc_sd all = sd_make(BOB, 1, SC_ACE_ALLOW, ALICE, SC_GENERIC_ALL);
	cr_expect_eq(check(low, &all, SC_MAXIMUM_ALLOWED, &g), SC_OK);
	cr_expect_eq(g, 0x1200A9u);
	sc_log_clear(&log_);
	cr_expect_eq(check(med, &all, W, &g), SC_OK);
	cr_expect(!sc_log_has_rule(&log_, "T12"));
	all.label = SC_IL_SYSTEM;
	cr_expect_eq(check(med, &all, W, &g), SC_ACCESS_DENIED);
	cr_expect(logged("T12", "the medium token of CORP\\alice is below "
				"the object's system label"));
	sc_sd_free_contents(&owned);
	sc_sd_free_contents(&all);
	sc_token_free(low);
	sc_token_free(med);
}
