/* test_import_read.c: the readers of `cloakroom import` (import/import.h) on
 * the lab export of tests/data/import (LDIF and SharpHound JSON of one
 * domain, written by make-lab.py) and on small hand-made records: what
 * each userAccountControl bit, group and descriptor becomes, what is
 * skipped, and where a malformed file is wrong. Each built domain is
 * loaded back as a scenario. */
#include <criterion/criterion.h>

#include "import.h"
#include "sc_common.h"
#include "sc_load.h"
#include "sc_sddl.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *rel, size_t *len)
{
	char path[1024];
	const char *src = getenv("CLOAKROOM_SOURCE");
	snprintf(path, sizeof(path), "%s/%s", src ? src : ".", rel);
	FILE *f = fopen(path, "rb");
	cr_assert(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	cr_assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Build d, load the YAML back; the caller frees the scenario. */
static sc_scenario *built(imp_domain *d, imp_summary *sum)
{
	char *yaml = NULL;
	imp_error err;
	cr_assert_eq(imp_build(d, "t", &yaml, sum, &err), 0, "%s", err.msg);
	sc_scenario *s = NULL;
	sc_load_errors errs = {0};
	int rc = sc_load_buffer("domain.yaml", yaml, strlen(yaml), NULL, &s,
				&errs);
	cr_assert_eq(rc, 0, "does not load: %s\n%s",
		     errs.count ? errs.items[0].message : "", yaml);
	sc_load_errors_free(&errs);
	free(yaml);
	return s;
}

static bool listed(char **l, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(l[i], name) == 0)
			return true;
	return false;
}

/* What the lab's definition (make-lab.py) says each account becomes. */
static void expect_lab(const sc_scenario *s, const imp_summary *sum)
{
	cr_expect_str_eq(s->domain.name, "CORP");
	cr_expect_eq(s->domain.accounts_count, 15, "%u accounts",
		     s->domain.accounts_count);
	const sc_account_def *a;
	/* msDS-AllowedToDelegateTo as the SPNs it names (D4 compares the
	 * SPN called), held by SQL01$, which keeps them as spns. */
	const sc_account_def *sql = sc_scenario_account(s, "SQL01$");
	cr_assert(sql);
	a = sc_scenario_account(s, "svc-web");
	cr_assert(a);
	cr_expect(listed(a->allowed_to_delegate_to,
			 a->allowed_to_delegate_to_count,
			 "MSSQLSvc/sql01.corp.example.com:1433"));
	cr_expect_eq(a->allowed_to_delegate_to_count, 2,
		     "two SPNs of one account: both kept");
	cr_expect(sc_delegation_listed(a->allowed_to_delegate_to,
				       a->allowed_to_delegate_to_count, sql,
				       NULL));
	cr_expect(!a->trusted_to_auth_for_delegation);
	a = sc_scenario_account(s, "svc-app");
	cr_assert(a);
	cr_expect(a->trusted_to_auth_for_delegation,
		  "TRUSTED_TO_AUTH_FOR_DELEGATION 0x1000000");
	cr_expect(listed(a->allowed_to_delegate_to,
			 a->allowed_to_delegate_to_count,
			 "MSSQLSvc/sql01.corp.example.com:1433"));
	cr_expect(sc_account_holds_spn(sql,
				       "MSSQLSvc/sql01.corp.example.com:1433"));
	cr_expect(!sc_account_holds_spn(sql, "HOST/sql01.corp.example.com"),
		  "an SPN no delegation names is not kept");
	a = sc_scenario_account(s, "svc-files");
	cr_assert(a);
	cr_expect(listed(a->allowed_to_delegate_to,
			 a->allowed_to_delegate_to_count, "FS02$"),
		  "cifs/fs02 is held by HOST/fs02 (sPNMappings)");
	a = sc_scenario_account(s, "svc-backup");
	cr_assert(a);
	cr_expect_eq(a->allowed_to_delegate_to_count, 0,
		     "an SPN nobody holds names no account");
	cr_expect(sc_scenario_account(s, "WEB01$")->trusted_for_delegation,
		  "TRUSTED_FOR_DELEGATION 0x80000");
	cr_expect(sc_scenario_account(s, "DC01$")->trusted_for_delegation);
	a = sc_scenario_account(s, "SQL01$");
	cr_assert(a);
	cr_expect_eq(a->allowed_to_act_count, 1);
	cr_expect(listed(a->allowed_to_act, a->allowed_to_act_count,
			 "APP02$"),
		  "the descriptor's allow ACE names APP02$'s SID");
	cr_expect_str_eq(a->sid, "S-1-5-21-3623811015-3361044348-30300820-1102",
			 "objectSid read from its binary form");
	cr_expect(sc_scenario_account(s, "admin")->sensitive,
		  "NOT_DELEGATED 0x100000");
	cr_expect(sc_scenario_account(s, "carol")->sensitive,
		  "a member of Protected Users");
	cr_expect(sc_scenario_account(s, "dan")->sensitive,
		  "in Protected Users through Tier0 Admins");
	cr_expect(!sc_scenario_account(s, "alice")->sensitive);
	cr_expect(!sc_scenario_account(s, "bob")->sensitive);
	a = sc_scenario_account(s, "bob");
	cr_expect(listed(a->groups, a->groups_count, "SQL Admins"));
	cr_expect(!sc_scenario_account(s, "svc-old"),
		  "ACCOUNTDISABLE 0x2: left out");
	cr_expect(!sc_scenario_account(s, "krbtgt"));
	cr_expect_eq(sum->disabled, 2);
	cr_expect_eq(sum->groups, 4);
	cr_expect_eq(sum->unconstrained, 2);
	cr_expect_eq(sum->constrained, 3);
	cr_expect_eq(sum->transition, 1);
	cr_expect_eq(sum->resource_based, 1);
	cr_expect_eq(sum->sensitive, 3);
}

Test(import, lab_ldif_every_attribute)
{
	size_t len;
	char *data = slurp("tests/data/import/lab.ldif", &len);
	imp_domain d;
	imp_error err;
	cr_assert_eq(imp_domain_init(&d, NULL), 0);
	cr_assert_eq(imp_read(&d, "lab.ldif", data, len, &err), 0,
		     "%u: %s", err.line, err.msg);
	cr_expect_eq(d.trailers, 2, "the referral and the search result");
	imp_summary sum;
	sc_scenario *s = built(&d, &sum);
	expect_lab(s, &sum);
	/* The organizational unit: reported with its line and DN. */
	cr_assert_eq(d.skipped.count, 1);
	const char *dn = strstr(data, "dn: OU=Servers");
	unsigned line = 1;
	for (const char *p = data; p < dn; p++)
		line += *p == '\n';
	char want[200];
	snprintf(want, sizeof(want), "lab.ldif:%u: OU=Servers,DC=corp", line);
	cr_expect(strstr(d.skipped.items[0], want), "%s (want %s)",
		  d.skipped.items[0], want);
	cr_expect(strstr(d.skipped.items[0], "organizationalUnit"));
	cr_assert_eq(d.notes.count, 1);
	cr_expect(strstr(d.notes.items[0], "MSSQLSvc/oldsql"), "%s",
		  d.notes.items[0]);
	sc_load_free(s);
	imp_domain_free(&d);
	free(data);
}

Test(import, lab_sharphound_is_the_same_domain)
{
	static const char *files[] = {"users", "computers", "groups"};
	imp_domain d;
	imp_error err;
	cr_assert_eq(imp_domain_init(&d, NULL), 0);
	for (size_t i = 0; i < 3; i++) {
		char rel[200];
		size_t len;
		snprintf(rel, sizeof(rel),
			 "tests/data/import/sharphound/20240611093000_%s.json",
			 files[i]);
		char *data = slurp(rel, &len);
		cr_assert_eq(imp_read(&d, rel, data, len, &err), 0, "%u: %s",
			     err.line, err.msg);
		free(data);
	}
	imp_summary sum;
	sc_scenario *s = built(&d, &sum);
	expect_lab(s, &sum);
	cr_expect_eq(d.skipped.count, 1, "the entry without a SID");
	sc_load_free(s);
	imp_domain_free(&d);
}

/* One user record with userAccountControl uac and the lines extra. */
static sc_scenario *one_user(const char *uac, const char *extra,
			     imp_domain *d)
{
	char ldif[2000];
	snprintf(ldif, sizeof(ldif),
		 "dn: CN=u,CN=Users,DC=lab,DC=test\n"
		 "objectClass: top\nobjectClass: user\n"
		 "sAMAccountName: u\n"
		 "objectSid:: AQUAAAAAAAUVAAAAAQAAAAIAAAADAAAAUAQAAA==\n"
		 "userAccountControl: %s\n%s",
		 uac, extra);
	imp_error err;
	cr_assert_eq(imp_domain_init(d, NULL), 0);
	cr_assert_eq(imp_read_ldif(d, "u.ldif", ldif, strlen(ldif), &err), 0,
		     "%u: %s", err.line, err.msg);
	imp_summary sum;
	return built(d, &sum);
}

Test(import, user_account_control_bits)
{
	static const struct {
		const char *uac;
		bool present, sensitive, trusted, t2a4d;
	} cases[] = {
		{"512", true, false, false, false},
		{"524800", true, false, true, false},     /* 0x80200 */
		{"1049088", true, true, false, false},    /* 0x100200 */
		{"16777728", true, false, false, true},   /* 0x1000200 */
		{"514", false, false, false, false},      /* 0x202 */
		{"-2147483136", true, false, false, false}, /* signed form */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		imp_domain d;
		sc_scenario *s = one_user(cases[i].uac, "", &d);
		const sc_account_def *a = sc_scenario_account(s, "u");
		cr_expect_eq(a != NULL, cases[i].present, "%s",
			     cases[i].uac);
		if (a) {
			cr_expect_str_eq(a->sid, "S-1-5-21-1-2-3-1104");
			cr_expect_eq(a->sensitive, cases[i].sensitive, "%s",
				     cases[i].uac);
			cr_expect_eq(a->trusted_for_delegation,
				     cases[i].trusted, "%s", cases[i].uac);
			cr_expect_eq(a->trusted_to_auth_for_delegation,
				     cases[i].t2a4d, "%s", cases[i].uac);
		}
		sc_load_free(s);
		imp_domain_free(&d);
	}
}

static void b64(const uint8_t *in, size_t n, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				"qrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = t[(v >> 18) & 63];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	out[o] = '\0';
}

/* A self-relative descriptor whose DACL holds (type, sid) ACEs. */
static size_t descriptor(uint8_t *buf, const int *types,
			 const char *const *sids, size_t n)
{
	memset(buf, 0, 20);
	buf[0] = 1;
	buf[2] = 0x04;
	buf[3] = 0x80; /* SE_DACL_PRESENT | SE_SELF_RELATIVE */
	buf[16] = 20;  /* the DACL at 20 */
	size_t off = 28;
	for (size_t i = 0; i < n; i++) {
		size_t used;
		cr_assert_eq(sc_sid_to_binary(sids[i], buf + off + 8, 100,
					      &used), 0);
		buf[off] = (uint8_t)types[i];
		buf[off + 2] = (uint8_t)(8 + used);
		buf[off + 4] = 0xff;
		buf[off + 5] = 0x01;
		buf[off + 6] = 0x0f; /* 0xf01ff */
		off += 8 + used;
	}
	buf[20] = 4;
	buf[22] = (uint8_t)(off - 20);
	buf[23] = (uint8_t)((off - 20) >> 8);
	buf[24] = (uint8_t)n;
	return off;
}

/* D5: allow ACEs name accounts or groups (their members), deny ACEs take
 * accounts back out, SIDs outside the export are noted. */
Test(import, rbcd_descriptor_allow_deny_and_groups)
{
	static const int types[] = {0, 0, 1, 0};
	static const char *const sids[] = {
		"S-1-5-21-1-2-3-1201", /* app: allowed */
		"S-1-5-21-1-2-3-1300", /* the group web-servers */
		"S-1-5-21-1-2-3-1203", /* web2, a member, denied */
		"S-1-5-21-1-2-3-9999", /* nobody */
	};
	/* Zeroed: descriptor() leaves ACE flags and the high bytes of sizes
	 * and masks as they are, and stack garbage there (an inherit-only
	 * flag on the deny ACE) changed what the test read. */
	uint8_t sd[400] = {0};
	size_t n = descriptor(sd, types, sids, 4);
	char enc[700];
	b64(sd, n, enc);
	char ldif[4000];
	snprintf(ldif, sizeof(ldif),
		 "dn: CN=target,DC=lab,DC=test\nobjectClass: user\n"
		 "sAMAccountName: target\nobjectSid: S-1-5-21-1-2-3-1200\n"
		 "msDS-AllowedToActOnBehalfOfOtherIdentity:: %s\n\n"
		 "dn: CN=app,DC=lab,DC=test\nobjectClass: user\n"
		 "sAMAccountName: app\nobjectSid: S-1-5-21-1-2-3-1201\n\n"
		 "dn: CN=web1,DC=lab,DC=test\nobjectClass: computer\n"
		 "sAMAccountName: web1$\nobjectSid: S-1-5-21-1-2-3-1202\n"
		 "memberOf: CN=web-servers,DC=lab,DC=test\n\n"
		 "dn: CN=web2,DC=lab,DC=test\nobjectClass: computer\n"
		 "sAMAccountName: web2$\nobjectSid: S-1-5-21-1-2-3-1203\n\n"
		 "dn: CN=web-servers,DC=lab,DC=test\nobjectClass: group\n"
		 "sAMAccountName: web-servers\n"
		 "objectSid: S-1-5-21-1-2-3-1300\n"
		 "member: CN=web2,DC=lab,DC=test\n",
		 enc);
	imp_domain d;
	imp_error err;
	cr_assert_eq(imp_domain_init(&d, NULL), 0);
	cr_assert_eq(imp_read_ldif(&d, "r.ldif", ldif, strlen(ldif), &err),
		     0, "%u: %s", err.line, err.msg);
	imp_summary sum;
	sc_scenario *s = built(&d, &sum);
	const sc_account_def *t = sc_scenario_account(s, "target");
	cr_assert(t);
	cr_expect_eq(t->allowed_to_act_count, 2, "%u",
		     t->allowed_to_act_count);
	cr_expect(listed(t->allowed_to_act, t->allowed_to_act_count, "app"));
	cr_expect(listed(t->allowed_to_act, t->allowed_to_act_count,
			 "web1$"),
		  "a member of the allowed group (memberOf)");
	cr_expect(!listed(t->allowed_to_act, t->allowed_to_act_count,
			  "web2$"),
		  "a member (member) that a deny ACE names");
	cr_assert_eq(d.notes.count, 1);
	cr_expect(strstr(d.notes.items[0], "S-1-5-21-1-2-3-9999"), "%s",
		  d.notes.items[0]);
	cr_expect_str_eq(s->domain.name, "LAB");
	sc_load_free(s);
	imp_domain_free(&d);
}

/* A descriptor that does not parse: noted, the account kept, nothing
 * it read before the error left allocated (the sanitizer build checks). */
Test(import, rbcd_descriptor_malformed_is_noted)
{
	/* Revision 1, self-relative, an owner read, then a DACL at the end. */
	static const char ldif[] =
		"dn: CN=t,DC=lab,DC=test\nobjectClass: user\n"
		"sAMAccountName: t\nobjectSid: S-1-5-21-1-2-3-1200\n"
		"msDS-AllowedToActOnBehalfOfOtherIdentity:: "
		"AQAEgBQAAAAAAAAAAAAAACQAAAABAgAAAAAABSAAAAAgAgAA\n";
	imp_domain d;
	imp_error err;
	cr_assert_eq(imp_domain_init(&d, NULL), 0);
	cr_assert_eq(imp_read_ldif(&d, "m.ldif", ldif, strlen(ldif), &err),
		     0, "%u: %s", err.line, err.msg);
	cr_expect_eq(d.count, 1);
	cr_assert_eq(d.notes.count, 1);
	cr_expect(strstr(d.notes.items[0], "m.ldif:1: CN=t,DC=lab,DC=test: "
					   "msDS-AllowedToActOnBehalfOf"
					   "OtherIdentity not read"),
		  "%s", d.notes.items[0]);
	imp_domain_free(&d);
}

/* A malformed file: the line, and why. */
static void refused(const char *text, unsigned line, const char *why,
		    bool json)
{
	imp_domain d;
	imp_error err;
	cr_assert_eq(imp_domain_init(&d, NULL), 0);
	int rc = json ? imp_read_json(&d, "bad", text, strlen(text), &err)
		      : imp_read_ldif(&d, "bad", text, strlen(text), &err);
	cr_expect_eq(rc, SC_ERR_INVAL, "accepted: %s", text);
	cr_expect_eq(err.line, line, "line %u, want %u (%s)", err.line, line,
		     err.msg);
	cr_expect(strstr(err.msg, why), "'%s' lacks '%s'", err.msg, why);
	imp_domain_free(&d);
}

Test(import, malformed_files_say_where)
{
	refused("# x\n\ndn: CN=a,DC=l\nobjectClass: user\n"
		"this line has no colon\n", 5, "not an LDIF line", false);
	refused("dn: CN=a,DC=l\nobjectClass: user\n\n"
		"dn: CN=b,DC=l\nobjectSid:: !!notbase64\n", 5,
		"not an LDIF line", false);
	refused("dn: CN=a,DC=l\ncn: a\n\nobjectClass: user\ncn: b\n", 4,
		"without dn", false);
	refused("include: file:///etc/passwd\n", 1, "include", false);
	refused("dn: CN=a,DC=l\n: user\n", 2, "without a name", false);
	refused("dn: CN=a,DC=l\n-\n", 2, "not an LDIF line", false);
	refused("dn: CN=a,DC=l\njpegPhoto:< file:///etc/shadow\n", 2,
		"from a URL", false);
	refused("{\"data\": [\n  {\"Properties\": }\n]}", 2, "not valid JSON",
		true);
	refused("[1, 2]", 1, "not a SharpHound collection", true);
	refused("{\"data\": [], \"meta\": {}}", 1,
		"not a SharpHound collection", true);
}

/* The length check above needs the NUL inside the text: strlen stops at
 * it, so the buffer is passed whole here. */
Test(import, nul_byte_inside_the_text)
{
	static const char text[] = "dn: CN=a,DC=l\ncn: a\0b\n";
	imp_domain d;
	imp_error err;
	cr_assert_eq(imp_domain_init(&d, NULL), 0);
	cr_expect_eq(imp_read_ldif(&d, "n", text, sizeof(text) - 1, &err),
		     SC_ERR_INVAL);
	cr_expect_eq(err.line, 2);
	imp_domain_free(&d);
}

Test(import, records_not_understood_are_skipped_with_their_dn)
{
	static const char ldif[] =
		"dn: CN=Users,DC=lab,DC=test\nobjectClass: container\n\n"
		"dn: CN=nosid,DC=lab,DC=test\nobjectClass: user\n"
		"sAMAccountName: nosid\n\n"
		"dn: CN=u,DC=lab,DC=test\nchangetype: delete\n\n"
		"dn: CN=ok,DC=lab,DC=test\nobjectClass: user\n"
		"sAMAccountName: ok\nobjectSid: S-1-5-21-1-2-3-1000\n"
		"userAccountControl: lots\n";
	imp_domain d;
	imp_error err;
	cr_assert_eq(imp_domain_init(&d, NULL), 0);
	cr_assert_eq(imp_read_ldif(&d, "s.ldif", ldif, strlen(ldif), &err),
		     0, "%u: %s", err.line, err.msg);
	cr_assert_eq(d.skipped.count, 4, "%zu", d.skipped.count);
	cr_expect(strstr(d.skipped.items[0], "s.ldif:1: CN=Users,"));
	cr_expect(strstr(d.skipped.items[0], "container"));
	cr_expect(strstr(d.skipped.items[1], "s.ldif:4: CN=nosid"));
	cr_expect(strstr(d.skipped.items[1], "no objectSid"));
	cr_expect(strstr(d.skipped.items[2], "change record"));
	cr_expect(strstr(d.skipped.items[3], "userAccountControl 'lots'"));
	imp_domain_free(&d);
	static const char json[] =
		"{\"data\": [{\"x\": 1}], \"meta\": {\"type\": \"gpos\"}}";
	cr_assert_eq(imp_domain_init(&d, "LAB"), 0);
	cr_assert_eq(imp_read_json(&d, "g.json", json, strlen(json), &err), 0);
	cr_assert_eq(d.skipped.count, 1);
	cr_expect(strstr(d.skipped.items[0], "a collection of gpos"));
	imp_domain_free(&d);
}

Test(import, host_aliases_follow_spn_mappings)
{
	cr_expect(imp_spn_is_host_alias("cifs", 4));
	cr_expect(imp_spn_is_host_alias("HTTP", 4));
	cr_expect(!imp_spn_is_host_alias("MSSQLSvc", 8));
	cr_expect(!imp_spn_is_host_alias("ldap", 4));
}

/* A record libldap counts but keeps no text of (a line number alone,
 * which it skips as an "index", first in the file or after another
 * record): refused as unreadable, never read out of bounds (found by
 * fuzz-import). */
Test(import, index_line_alone_is_unreadable)
{
	static const char *const texts[] = {
		"2-not-an-entry\n",
		"dn: CN=a,DC=l\nobjectClass: user\n\n2-not-an-entry\n",
	};
	for (size_t i = 0; i < 2; i++) {
		imp_domain d;
		imp_error err;
		cr_assert_eq(imp_domain_init(&d, NULL), 0);
		cr_expect_eq(imp_read_ldif(&d, "i.ldif", texts[i],
					   strlen(texts[i]), &err),
			     SC_ERR_INVAL, "%s", texts[i]);
		cr_expect(strstr(err.msg, "could not read"), "%s", err.msg);
		imp_domain_free(&d);
	}
}
