/* test_sddl.c: SDDL text and binary security descriptors read into the
 * model (libsecctx/sc_sddl.c). Expected values come from the published
 * formats (MS-DTYP 2.4.2 SID, 2.4.4 ACE, 2.4.5 ACL, 2.4.6 descriptor,
 * 2.5.1 SDDL), written down before the code ran, not from its output. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sc_sddl.h"

#define DOM "S-1-5-21-1-2-3"
#define ALICE DOM "-1104"

static sc_sd sd;
static sc_sddl_extra ex;
static sc_sddl_error err;

static void fini(void)
{
	sc_sd_free_contents(&sd);
}

TestSuite(sddl, .fini = fini);
TestSuite(sd_binary, .fini = fini);

static int parse(const char *text)
{
	return sc_sddl_parse(text, DOM, &sd, &ex, &err);
}

static void ace_is(size_t i, sc_ace_type type, const char *sid,
		   uint32_t mask)
{
	cr_assert_lt(i, sd.ace_count, "ACE %zu missing (%zu ACEs)", i,
		     sd.ace_count);
	cr_expect_eq(sd.aces[i].type, type, "ACE %zu type", i);
	cr_expect_str_eq(sd.aces[i].sid, sid, "ACE %zu SID", i);
	cr_expect_eq(sd.aces[i].mask, mask, "ACE %zu mask 0x%x", i,
		     sd.aces[i].mask);
}

Test(sddl, owner_and_allow_and_deny_aces_with_aliases)
{
	cr_assert_eq(parse("O:BAG:SYD:PAI(D;;FW;;;BG)(A;;FA;;;BA)"
			   "(A;;FR;;;" ALICE ")"),
		     0, "%s", err.msg);
	cr_expect_str_eq(sd.owner_sid, "S-1-5-32-544");
	cr_expect(ex.has_owner && ex.has_group && ex.has_dacl && !ex.has_sacl);
	cr_expect(sd.dacl_present);
	ace_is(0, SC_ACE_DENY, "S-1-5-32-546", 0x00120116u);
	ace_is(1, SC_ACE_ALLOW, "S-1-5-32-544", 0x001F01FFu);
	ace_is(2, SC_ACE_ALLOW, ALICE, 0x00120089u);
	cr_expect_eq(sd.ace_count, 3);
}

Test(sddl, rights_codes_add_up_and_masks_are_read_as_given)
{
	/* The rights AD writes for resource-based delegation. */
	cr_assert_eq(parse("D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;" ALICE ")"
			   "(A;;0x1200a9;;;WD)(A;;GRGX;;;AU)(A;;KR;;;IU)"),
		     0, "%s", err.msg);
	ace_is(0, SC_ACE_ALLOW, ALICE, 0x000F01FFu);
	ace_is(1, SC_ACE_ALLOW, "S-1-1-0", 0x001200A9u);
	ace_is(2, SC_ACE_ALLOW, "S-1-5-11", 0xA0000000u);
	ace_is(3, SC_ACE_ALLOW, "S-1-5-4", 0x00020019u);
}

Test(sddl, domain_relative_aliases_use_the_domain)
{
	cr_assert_eq(parse("O:DAD:(A;;GA;;;DA)(A;;GR;;;DU)(D;;GA;;;AP)"), 0,
		     "%s", err.msg);
	cr_expect_str_eq(sd.owner_sid, DOM "-512");
	ace_is(0, SC_ACE_ALLOW, DOM "-512", SC_GENERIC_ALL);
	ace_is(1, SC_ACE_ALLOW, DOM "-513", SC_GENERIC_READ);
	ace_is(2, SC_ACE_DENY, DOM "-525", SC_GENERIC_ALL);
}

Test(sddl, object_aces_without_an_object_type_are_allow_and_deny)
{
	cr_assert_eq(parse("D:(OA;;RP;;;AU)(OD;CI;WP;;;BG)"), 0, "%s",
		     err.msg);
	ace_is(0, SC_ACE_ALLOW, "S-1-5-11", 0x10u);
	ace_is(1, SC_ACE_DENY, "S-1-5-32-546", 0x20u);
}

Test(sddl, inherit_only_aces_do_not_apply_to_the_object)
{
	cr_assert_eq(parse("D:(A;OICIIO;GA;;;CO)(A;OICI;FA;;;SY)"), 0, "%s",
		     err.msg);
	cr_expect_eq(ex.skipped, 1);
	cr_expect_eq(sd.ace_count, 1);
	ace_is(0, SC_ACE_ALLOW, "S-1-5-18", 0x001F01FFu);
}

Test(sddl, a_sacl_is_read_and_not_kept)
{
	cr_assert_eq(parse("D:(A;;FA;;;BA)S:AI(AU;SAFA;FA;;;WD)"), 0, "%s",
		     err.msg);
	cr_expect(ex.has_sacl);
	cr_expect_eq(sd.ace_count, 1);
}

Test(sddl, null_empty_and_absent_dacls)
{
	cr_assert_eq(parse("D:NO_ACCESS_CONTROL"), 0, "%s", err.msg);
	cr_expect(!sd.dacl_present, "NO_ACCESS_CONTROL is a NULL DACL");
	sc_sd_free_contents(&sd);
	cr_assert_eq(parse("O:SYD:"), 0, "%s", err.msg);
	cr_expect(sd.dacl_present && sd.ace_count == 0, "D: is empty");
	sc_sd_free_contents(&sd);
	cr_assert_eq(parse("O:SY"), 0, "%s", err.msg);
	cr_expect(!sd.dacl_present && !ex.has_dacl,
		  "no D: at all: no DACL (a NULL DACL)");
}

/* A bad text: the error's column, and a word of its message. */
static void bad_at(const char *text, size_t col, const char *word)
{
	cr_expect_eq(sc_sddl_parse(text, DOM, &sd, &ex, &err), SC_ERR_INVAL,
		     "%s was read", text);
	cr_expect_eq(err.col, col, "%s: column %zu, not %zu (%s)", text,
		     err.col, col, err.msg);
	cr_expect(strstr(err.msg, word), "%s: '%s' lacks '%s'", text, err.msg,
		  word);
	sc_sd_free_contents(&sd);
}

Test(sddl, errors_name_the_column_of_the_bad_token)
{
	bad_at("D:(A;;FQ;;;BA)", 7, "access right");
	bad_at("D:(A;;FA;;;BA)(A;;FR;;;XX)", 24, "SID alias");
	bad_at("D:(Z;;FA;;;BA)", 4, "ACE type");
	bad_at("D:(A;QQ;FA;;;BA)", 6, "ACE flag");
	bad_at("D:(A;;FA;;;BA", 14, "')'");
	bad_at("D:(A;;0x1g;;;BA)", 10, "hex");
	bad_at("D:(A;;;;;BA)", 7, "access rights");
	bad_at("X:BA", 1, "O:, G:, D: or S:");
	bad_at("O:BAO:SY", 5, "twice");
	bad_at("D:(A;;FA;bf967aba-0de6-11d0-a285-00aa003049e2;;BA)", 10,
	       "object type");
	bad_at("D:(OA;;CR;00299570-246d-11d0-a768-00aa006e0529;;WD)", 11,
	       "not modelled");
	bad_at("D:(XA;;FA;;;WD;(Member_of {SID(BA)}))", 4, "conditional");
	bad_at("D:QQ(A;;FA;;;BA)", 3, "ACL flag");
	bad_at("O:S-1-5-21-1-x", 3, "SID");
	cr_expect_eq(sc_sddl_parse("D:(A;;FA;;;DA)", NULL, &sd, &ex, &err),
		     SC_ERR_INVAL);
	cr_expect_eq(err.col, 12);
	cr_expect(strstr(err.msg, "relative to a domain"), "%s", err.msg);
}

Test(sddl, format_reads_back_to_the_same_descriptor)
{
	cr_assert_eq(parse("O:BAD:(D;;FW;;;BG)(A;;FA;;;BA)(A;;0x3;;;" ALICE
			   ")"),
		     0);
	char text[512];
	cr_assert_eq(sc_sddl_format(&sd, text, sizeof(text)), 0);
	sc_sd again;
	cr_assert_eq(sc_sddl_parse(text, NULL, &again, NULL, &err), 0,
		     "%s: %s", text, err.msg);
	cr_expect_str_eq(again.owner_sid, sd.owner_sid);
	cr_assert_eq(again.ace_count, sd.ace_count);
	for (size_t i = 0; i < sd.ace_count; i++) {
		cr_expect_eq(again.aces[i].type, sd.aces[i].type);
		cr_expect_str_eq(again.aces[i].sid, sd.aces[i].sid);
		cr_expect_eq(again.aces[i].mask, sd.aces[i].mask);
	}
	sc_sd_free_contents(&again);
	char small[8];
	cr_expect_eq(sc_sddl_format(&sd, small, sizeof(small)), SC_ERR_RANGE);
}

/* Owner BA, one allow ACE with 0xF01FF for S-1-5-21-1-2-3-1104: the
 * msDS-AllowedToActOnBehalfOfOtherIdentity AD writes when a computer may
 * act for others on this one, laid out byte by byte from MS-DTYP. */
static const uint8_t rbcd[] = {
	/* header: revision 1, control SE_SELF_RELATIVE|SE_DACL_PRESENT */
	0x01, 0x00, 0x04, 0x80,
	0x14, 0x00, 0x00, 0x00, /* owner at 20 */
	0x00, 0x00, 0x00, 0x00, /* no group */
	0x00, 0x00, 0x00, 0x00, /* no SACL */
	0x24, 0x00, 0x00, 0x00, /* DACL at 36 */
	/* owner S-1-5-32-544 */
	0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
	0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00,
	/* ACL: revision 2, size 44, 1 ACE */
	0x02, 0x00, 0x2c, 0x00, 0x01, 0x00, 0x00, 0x00,
	/* ACE: allowed, no flags, size 36, mask 0x000F01FF */
	0x00, 0x00, 0x24, 0x00, 0xff, 0x01, 0x0f, 0x00,
	/* S-1-5-21-1-2-3-1104 */
	0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
	0x15, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
	0x50, 0x04, 0x00, 0x00,
};

Test(sd_binary, the_resource_based_delegation_descriptor)
{
	cr_assert_eq(sc_sd_from_binary(rbcd, sizeof(rbcd), &sd, &ex, &err), 0,
		     "%s", err.msg);
	cr_expect_str_eq(sd.owner_sid, "S-1-5-32-544");
	cr_expect(sd.dacl_present);
	ace_is(0, SC_ACE_ALLOW, ALICE, 0x000F01FFu);
	cr_expect_eq(sd.ace_count, 1);
}

Test(sd_binary, every_truncation_is_refused_without_reading_past_it)
{
	for (size_t n = 0; n < sizeof(rbcd); n++) {
		/* A copy of exactly n bytes, so that ASan sees a read past
		 * it. */
		uint8_t *b = malloc(n ? n : 1);
		cr_assert_not_null(b);
		memcpy(b, rbcd, n);
		cr_expect_eq(sc_sd_from_binary(b, n, &sd, &ex, &err),
			     SC_ERR_INVAL, "%zu bytes were read", n);
		cr_expect(strstr(err.msg, "byte "), "%zu: %s", n, err.msg);
		sc_sd_free_contents(&sd);
		free(b);
	}
}

Test(sd_binary, bad_sizes_and_offsets_are_refused)
{
	uint8_t b[sizeof(rbcd)];
	struct {
		size_t at;
		uint8_t v;
		const char *word;
	} cases[] = {
		{0, 2, "revision"},          /* SD revision */
		{3, 0x00, "self-relative"},  /* control without SE_SELF_RELATIVE */
		{4, 0x50, "owner"},          /* owner past the end */
		{16, 0x60, "DACL"},          /* DACL past the end */
		{38, 0xff, "size"},          /* ACL size past the end */
		{40, 0x02, "fewer ACEs"},    /* 2 ACEs counted, 1 there */
		{46, 0x30, "ACE's size"},    /* ACE size past its ACL */
		{44, 0x09, "not modelled"},  /* a callback ACE */
		{53, 0x10, "SID"},           /* 16 sub-authorities */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(b, rbcd, sizeof(b));
		b[cases[i].at] = cases[i].v;
		cr_expect_eq(sc_sd_from_binary(b, sizeof(b), &sd, &ex, &err),
			     SC_ERR_INVAL, "byte %zu = 0x%x was read",
			     cases[i].at, cases[i].v);
		cr_expect(strstr(err.msg, cases[i].word), "byte %zu: '%s'",
			  cases[i].at, err.msg);
		sc_sd_free_contents(&sd);
	}
}

Test(sd_binary, a_dacl_present_at_offset_0_is_a_null_dacl)
{
	uint8_t b[20] = {0x01, 0x00, 0x04, 0x80};
	cr_assert_eq(sc_sd_from_binary(b, sizeof(b), &sd, &ex, &err), 0, "%s",
		     err.msg);
	cr_expect(!sd.dacl_present);
	cr_expect(ex.has_dacl);
}

Test(sd_binary, sids_round_trip)
{
	const char *sids[] = {"S-1-1-0", "S-1-5-18", ALICE,
			      "S-1-5-21-4294967295-1-2-3-4-5-6-7-8-9-10-11-12"};
	for (size_t i = 0; i < 4; i++) {
		uint8_t b[68];
		size_t used = 0, used2 = 0;
		cr_assert_eq(sc_sid_to_binary(sids[i], b, sizeof(b), &used), 0,
			     "%s", sids[i]);
		char out[96];
		cr_assert_eq(sc_sid_from_binary(b, used, &used2, out,
						sizeof(out)),
			     0);
		cr_expect_str_eq(out, sids[i]);
		cr_expect_eq(used, used2);
	}
	uint8_t b[8];
	size_t used;
	cr_expect_eq(sc_sid_to_binary("S-1-5-21-x", b, sizeof(b), &used),
		     SC_ERR_INVAL);
	cr_expect_eq(sc_sid_to_binary(ALICE, b, sizeof(b), &used),
		     SC_ERR_RANGE);
}
