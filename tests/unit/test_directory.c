/* test_directory.c: unit tests of the directory, named by rule id: P3
 * (default holders, a host's override, the SERVICE group, well-known
 * service accounts), P4 (rights snapshot at logon), principal lookup and
 * the network token. Scenarios are built by hand, not loaded from YAML.
 * Model only: no I/O beyond Criterion. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_directory.h"
#include "sc_sha1.h"

/* The scenario: domain CORP, hosts ws1 (defaults), srv1 (impersonation
 * given to alice and Developers only), srv2 (impersonation given to
 * nobody), srv3 (two entries for one privilege, and SeBackupPrivilege). */
static char *alice_groups[] = { "Developers" };
static char *bob_groups[] = { "Administrators" };
static char *svc_groups[] = { "CORP\\Service Accounts" };
static sc_account_def accounts[] = {
	{ .name = "alice", .groups = alice_groups, .groups_count = 1 },
	{ .name = "bob", .groups = bob_groups, .groups_count = 1 },
	{ .name = "svc-b", .groups = svc_groups, .groups_count = 1,
	  .trusted_for_delegation = true },
	{ .name = "carol", .sid = "S-1-5-21-7-8-9-4242" },
};

static char *srv1_holders[] = { "alice", "CORP\\Developers" };
static sc_right_def srv1_rights[] = {
	{ .privilege = SC_PRIV_IMPERSONATE, .holders = srv1_holders,
	  .holders_count = 2 },
};
static sc_right_def srv2_rights[] = {
	{ .privilege = SC_PRIV_IMPERSONATE, .holders = NULL,
	  .holders_count = 0 },
};
static char *srv3_first[] = { "bob" };
static char *srv3_later[] = { "carol" };
static char *srv3_backup[] = { "BUILTIN\\Administrators" };
static sc_right_def srv3_rights[] = {
	{ .privilege = SC_PRIV_IMPERSONATE, .holders = srv3_first,
	  .holders_count = 1 },
	{ .privilege = "SeBackupPrivilege", .holders = srv3_backup,
	  .holders_count = 1 },
	{ .privilege = "seimpersonateprivilege", .holders = srv3_later,
	  .holders_count = 1 },
};

/* srv4: SeBackupPrivilege from three policy scopes, listed out of
 * order: OU (carol), local (bob), domain (alice). */
static char *srv4_ou[] = { "carol" };
static char *srv4_local[] = { "bob" };
static char *srv4_domain[] = { "alice" };
static sc_right_def srv4_rights[] = {
	{ .privilege = "SeBackupPrivilege", .scope = SC_SCOPE_DOMAIN,
	  .holders = srv4_domain, .holders_count = 1 },
	{ .privilege = "SeBackupPrivilege", .scope = SC_SCOPE_LOCAL,
	  .holders = srv4_local, .holders_count = 1 },
	{ .privilege = "SeRestorePrivilege", .scope = SC_SCOPE_SITE,
	  .holders = srv4_local, .holders_count = 1 },
	{ .privilege = "SeRestorePrivilege", .scope = SC_SCOPE_OU,
	  .holders = srv4_ou, .holders_count = 1 },
};

static sc_host_def hosts[] = {
	{ .name = "ws1" },
	{ .name = "srv1", .rights = srv1_rights, .rights_count = 1 },
	{ .name = "srv2", .rights = srv2_rights, .rights_count = 1 },
	{ .name = "srv3", .rights = srv3_rights, .rights_count = 3 },
	{ .name = "srv4", .rights = srv4_rights, .rights_count = 4 },
};

static sc_scenario scn;
static sc_directory *dir;
static sc_log log_;

static void setup(void)
{
	memset(&scn, 0, sizeof(scn));
	scn.name = "unit";
	scn.domain.name = "CORP";
	scn.domain.accounts = accounts;
	scn.domain.accounts_count = sizeof(accounts) / sizeof(accounts[0]);
	scn.hosts = hosts;
	scn.hosts_count = sizeof(hosts) / sizeof(hosts[0]);
	cr_assert_eq(sc_directory_new(&scn, &dir), 0);
	sc_log_init(&log_);
}

static void teardown(void)
{
	sc_directory_free(dir);
	dir = NULL;
	sc_log_free(&log_);
}

TestSuite(P3, .init = setup, .fini = teardown);
TestSuite(P4, .init = setup, .fini = teardown);
TestSuite(D6, .init = setup, .fini = teardown);
TestSuite(directory, .init = setup, .fini = teardown);
TestSuite(network, .init = setup, .fini = teardown);
TestSuite(P1, .init = setup, .fini = teardown);

static const char *sid(const char *name)
{
	const char *s = sc_directory_sid(dir, name);
	cr_assert_not_null(s, "no SID for %s", name);
	return s;
}

static bool has_group(const sc_token *t, const char *gsid)
{
	for (size_t i = 0; i < sc_token_group_count(t); i++) {
		const char *s;
		sc_token_group(t, i, &s, NULL, NULL);
		if (strcmp(s, gsid) == 0)
			return true;
	}
	return false;
}

static bool has_privilege(const sc_token *t, const char *priv)
{
	for (size_t i = 0; i < sc_token_privilege_count(t); i++) {
		const char *n;
		bool en;
		sc_token_privilege(t, i, &n, &en);
		if (strcmp(n, priv) == 0)
			return true;
	}
	return false;
}

static bool log_has_text(const char *rule, const char *text)
{
	for (size_t i = 0; i < log_.count; i++)
		if (strcmp(log_.notes[i].rule, rule) == 0 &&
		    strstr(log_.notes[i].text, text))
			return true;
	return false;
}

static sc_token *logon(const char *account, const char *host, sc_start s)
{
	sc_token *t = NULL;
	cr_assert_eq(sc_directory_logon(dir, account, host, s, &t, &log_),
		     SC_OK, "logon %s on %s", account, host);
	cr_assert_not_null(t);
	return t;
}

/* P3 defaults */

Test(P3, default_holders_of_impersonate)
{
	const char *yes[] = { SC_SID_ADMINISTRATORS, SC_SID_LOCAL_SERVICE,
			      SC_SID_NETWORK_SERVICE, SC_SID_SERVICE,
			      SC_SID_LOCAL_SYSTEM };
	const char *no[] = { SC_SID_USERS, SC_SID_EVERYONE,
			     SC_SID_AUTHENTICATED_USERS, SC_SID_INTERACTIVE,
			     SC_SID_NETWORK };
	for (size_t i = 0; i < 5; i++)
		cr_assert(sc_directory_holds(dir, "ws1", SC_PRIV_IMPERSONATE,
					     yes[i]), "%s", yes[i]);
	for (size_t i = 0; i < 5; i++)
		cr_assert_not(sc_directory_holds(dir, "ws1",
						 SC_PRIV_IMPERSONATE, no[i]),
			      "%s", no[i]);
	cr_assert_not(sc_directory_holds(dir, "ws1", SC_PRIV_IMPERSONATE,
					 sid("alice")));
}

Test(P3, default_holders_of_tcb_and_audit)
{
	cr_assert(sc_directory_holds(dir, "ws1", SC_PRIV_TCB,
				     SC_SID_LOCAL_SYSTEM));
	cr_assert_not(sc_directory_holds(dir, "ws1", SC_PRIV_TCB,
					 SC_SID_ADMINISTRATORS));
	cr_assert_not(sc_directory_holds(dir, "ws1", SC_PRIV_TCB,
					 SC_SID_LOCAL_SERVICE));
	cr_assert(sc_directory_holds(dir, "ws1", SC_PRIV_AUDIT,
				     SC_SID_LOCAL_SERVICE));
	cr_assert(sc_directory_holds(dir, "ws1", SC_PRIV_AUDIT,
				     SC_SID_NETWORK_SERVICE));
	cr_assert_not(sc_directory_holds(dir, "ws1", SC_PRIV_AUDIT,
					 SC_SID_ADMINISTRATORS));
}

Test(P3, system_holds_everything)
{
	cr_assert(sc_directory_holds(dir, "srv2", SC_PRIV_IMPERSONATE,
				     SC_SID_LOCAL_SYSTEM));
	cr_assert(sc_directory_holds(dir, "ws1", "SeDebugPrivilege",
				     SC_SID_LOCAL_SYSTEM));
	sc_token *t = logon("SYSTEM", "srv3", SC_START_SERVICE);
	cr_assert_str_eq(sc_token_user_sid(t), SC_SID_LOCAL_SYSTEM);
	cr_assert_str_eq(sc_token_user_name(t), "NT AUTHORITY\\SYSTEM");
	cr_assert(sc_token_privilege_enabled(t, SC_PRIV_TCB));
	cr_assert(sc_token_privilege_enabled(t, SC_PRIV_IMPERSONATE));
	cr_assert(sc_token_privilege_enabled(t, SC_PRIV_AUDIT));
	cr_assert(sc_token_privilege_enabled(t, "SeBackupPrivilege"));
	cr_assert(has_group(t, SC_SID_ADMINISTRATORS));
	sc_token_free(t);
}

Test(P3, unknown_host_uses_defaults)
{
	cr_assert(sc_directory_holds(dir, "nowhere", SC_PRIV_IMPERSONATE,
				     SC_SID_SERVICE));
	cr_assert(sc_directory_holds(dir, NULL, SC_PRIV_IMPERSONATE,
				     SC_SID_SERVICE));
	sc_token *t = logon("svc-b", "nowhere", SC_START_SERVICE);
	cr_assert(sc_token_privilege_enabled(t, SC_PRIV_IMPERSONATE));
	cr_assert(log_has_text("P3", "not in the scenario"));
	sc_token_free(t);
}

Test(P3, administrators_hold_impersonate_by_default)
{
	sc_token *t = logon("bob", "ws1", SC_START_INTERACTIVE);
	cr_assert(has_group(t, SC_SID_ADMINISTRATORS));
	cr_assert(sc_token_privilege_enabled(t, SC_PRIV_IMPERSONATE));
	cr_assert(log_has_text("P3", "CORP\\bob holds SeImpersonatePrivilege "
				     "on ws1 through BUILTIN\\Administrators"));
	sc_token_free(t);
}

Test(P3, plain_user_does_not_hold_impersonate)
{
	sc_token *t = logon("alice", "ws1", SC_START_INTERACTIVE);
	cr_assert_not(has_privilege(t, SC_PRIV_IMPERSONATE));
	/* Her one privilege: SeChangeNotifyPrivilege, every signed-in
	 * account's by default. */
	cr_assert_eq(sc_token_privilege_count(t), 1);
	cr_assert(sc_token_privilege_enabled(t, SC_PRIV_CHANGE_NOTIFY));
	cr_assert(log_has_text("P3", "CORP\\alice does not hold "
				     "SeImpersonatePrivilege on ws1"));
	sc_token_free(t);
}

Test(P3, every_signed_in_account_holds_change_notify_unnoted)
{
	/* Default holders: Everyone, Authenticated Users, Users, ... A
	 * logon notes it only when a step asks (do_privilege). */
	static const char *const who[] = {"alice", "bob", "LOCAL SERVICE",
					  "NETWORK SERVICE", "SYSTEM"};
	for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
		sc_token *t = logon(who[i], "ws1", SC_START_SERVICE);
		cr_assert(sc_token_privilege_enabled(t, SC_PRIV_CHANGE_NOTIFY),
			  "%s", who[i]);
		cr_assert_not(log_has_text("P3", SC_PRIV_CHANGE_NOTIFY),
			      "%s: noted at logon", who[i]);
		sc_token_free(t);
	}
}

/* P3 host override */

Test(P3, host_entry_replaces_defaults)
{
	cr_assert(sc_directory_holds(dir, "srv1", SC_PRIV_IMPERSONATE,
				     sid("alice")));
	cr_assert(sc_directory_holds(dir, "srv1", SC_PRIV_IMPERSONATE,
				     sid("Developers")));
	cr_assert_not(sc_directory_holds(dir, "srv1", SC_PRIV_IMPERSONATE,
					 SC_SID_ADMINISTRATORS));
	cr_assert_not(sc_directory_holds(dir, "srv1", SC_PRIV_IMPERSONATE,
					 SC_SID_SERVICE));
	cr_assert_not(sc_directory_holds(dir, "srv1", SC_PRIV_IMPERSONATE,
					 SC_SID_LOCAL_SERVICE));
	/* Only that privilege: the others keep their defaults. */
	cr_assert(sc_directory_holds(dir, "srv1", SC_PRIV_AUDIT,
				     SC_SID_LOCAL_SERVICE));
}

Test(P3, host_override_reaches_logon_tokens)
{
	sc_token *a = logon("alice", "srv1", SC_START_INTERACTIVE);
	cr_assert(sc_token_privilege_enabled(a, SC_PRIV_IMPERSONATE));
	cr_assert(log_has_text("P3", "host's rights assignment"));
	sc_token *b = logon("bob", "srv1", SC_START_INTERACTIVE);
	cr_assert_not(has_privilege(b, SC_PRIV_IMPERSONATE));
	sc_token *s = logon("svc-b", "srv1", SC_START_SERVICE);
	cr_assert(has_group(s, SC_SID_SERVICE));
	cr_assert_not(has_privilege(s, SC_PRIV_IMPERSONATE));
	sc_token_free(a);
	sc_token_free(b);
	sc_token_free(s);
}

Test(P3, empty_host_entry_leaves_only_system)
{
	cr_assert_not(sc_directory_holds(dir, "srv2", SC_PRIV_IMPERSONATE,
					 SC_SID_ADMINISTRATORS));
	cr_assert_not(sc_directory_holds(dir, "srv2", SC_PRIV_IMPERSONATE,
					 SC_SID_SERVICE));
	sc_token *t = logon("LOCAL SERVICE", "srv2", SC_START_SERVICE);
	cr_assert_not(has_privilege(t, SC_PRIV_IMPERSONATE));
	cr_assert(sc_token_privilege_enabled(t, SC_PRIV_AUDIT));
	sc_token_free(t);
}

Test(P3, later_entry_wins)
{
	cr_assert_not(sc_directory_holds(dir, "srv3", SC_PRIV_IMPERSONATE,
					 sid("bob")));
	cr_assert(sc_directory_holds(dir, "srv3", SC_PRIV_IMPERSONATE,
				     sid("carol")));
	cr_assert(sc_directory_holds(dir, "srv3", "SeBackupPrivilege",
				     SC_SID_ADMINISTRATORS));
	sc_token *b = logon("bob", "srv3", SC_START_INTERACTIVE);
	cr_assert_not(has_privilege(b, SC_PRIV_IMPERSONATE));
	cr_assert(sc_token_privilege_enabled(b, "SeBackupPrivilege"));
	sc_token_free(b);
}

/* P3 SERVICE group */

Test(P3, service_started_account_holds_impersonate)
{
	sc_token *t = logon("svc-b", "ws1", SC_START_SERVICE);
	cr_assert(has_group(t, SC_SID_SERVICE));
	cr_assert_not(has_group(t, SC_SID_INTERACTIVE));
	cr_assert_eq(sc_token_logon(t), SC_LOGON_SERVICE);
	cr_assert(sc_token_privilege_enabled(t, SC_PRIV_IMPERSONATE));
	cr_assert(log_has_text("P3", "CORP\\svc-b holds SeImpersonatePrivilege "
				     "on ws1 through NT AUTHORITY\\SERVICE"));
	cr_assert(log_has_text("P3", "service control manager"));
	sc_token_free(t);
}

Test(P3, com_started_account_gets_service_group)
{
	sc_token *t = logon("svc-b", "ws1", SC_START_COM);
	cr_assert(has_group(t, SC_SID_SERVICE));
	cr_assert_eq(sc_token_logon(t), SC_LOGON_SERVICE);
	cr_assert(sc_token_privilege_enabled(t, SC_PRIV_IMPERSONATE));
	sc_token_free(t);
}

Test(P3, interactive_and_batch_get_no_service_group)
{
	sc_token *i = logon("svc-b", "ws1", SC_START_INTERACTIVE);
	cr_assert(has_group(i, SC_SID_INTERACTIVE));
	cr_assert_not(has_group(i, SC_SID_SERVICE));
	cr_assert_eq(sc_token_logon(i), SC_LOGON_INTERACTIVE);
	cr_assert_not(has_privilege(i, SC_PRIV_IMPERSONATE));
	sc_token *b = logon("svc-b", "ws1", SC_START_BATCH);
	cr_assert(has_group(b, SC_SID_BATCH));
	cr_assert_not(has_group(b, SC_SID_SERVICE));
	cr_assert_eq(sc_token_logon(b), SC_LOGON_BATCH);
	cr_assert_not(has_privilege(b, SC_PRIV_IMPERSONATE));
	sc_token_free(i);
	sc_token_free(b);
}

/* P3 well-known service accounts */

Test(P3, local_service_holds_impersonate_and_audit)
{
	sc_token *t = logon("LOCAL SERVICE", "ws1", SC_START_SERVICE);
	cr_assert_str_eq(sc_token_user_sid(t), SC_SID_LOCAL_SERVICE);
	cr_assert_str_eq(sc_token_user_name(t), "NT AUTHORITY\\LOCAL SERVICE");
	cr_assert(sc_token_privilege_enabled(t, SC_PRIV_IMPERSONATE));
	cr_assert(sc_token_privilege_enabled(t, SC_PRIV_AUDIT));
	cr_assert_not(has_privilege(t, SC_PRIV_TCB));
	cr_assert(has_group(t, SC_SID_EVERYONE));
	cr_assert(has_group(t, SC_SID_AUTHENTICATED_USERS));
	cr_assert(has_group(t, SC_SID_USERS));
	cr_assert_null(sc_directory_account(dir, "LOCAL SERVICE"));
	sc_token_free(t);
}

Test(P3, local_service_holds_impersonate_even_interactively)
{
	/* Through its own SID, not the SERVICE group. */
	sc_token *t = logon("NT AUTHORITY\\LOCAL SERVICE", "ws1",
			    SC_START_INTERACTIVE);
	cr_assert(sc_token_privilege_enabled(t, SC_PRIV_IMPERSONATE));
	cr_assert(log_has_text("P3", "NT AUTHORITY\\LOCAL SERVICE holds "
				     "SeImpersonatePrivilege on ws1 "
				     "(default holders)"));
	sc_token_free(t);
}

Test(P3, network_service_holds_impersonate)
{
	sc_token *t = logon("network service", "ws1", SC_START_SERVICE);
	cr_assert_str_eq(sc_token_user_sid(t), SC_SID_NETWORK_SERVICE);
	cr_assert(sc_token_privilege_enabled(t, SC_PRIV_IMPERSONATE));
	sc_token_free(t);
}

Test(P3, privileges_granted_at_logon_are_enabled)
{
	sc_token *t = logon("bob", "srv3", SC_START_SERVICE);
	cr_assert_gt(sc_token_privilege_count(t), 0);
	for (size_t i = 0; i < sc_token_privilege_count(t); i++) {
		const char *n;
		bool en = false;
		sc_token_privilege(t, i, &n, &en);
		cr_assert(en, "%s is disabled", n);
	}
	sc_token_free(t);
}

/* P4 */

Test(P4, tokens_snapshot_rights_at_logon)
{
	sc_token *before = logon("alice", "srv1", SC_START_INTERACTIVE);
	cr_assert(sc_token_privilege_enabled(before, SC_PRIV_IMPERSONATE));
	cr_assert(log_has_text("P4", "read at this logon"));

	/* The rights assignment on srv1 changes: impersonation goes to
	 * bob only. */
	static char *only_bob[] = { "bob" };
	sc_right_def changed[] = {
		{ .privilege = SC_PRIV_IMPERSONATE, .holders = only_bob,
		  .holders_count = 1 },
	};
	sc_host_def *srv1 = &scn.hosts[1];
	cr_assert_str_eq(srv1->name, "srv1");
	sc_right_def *saved = srv1->rights;
	srv1->rights = changed;

	/* The running process keeps what it started with ... */
	cr_assert(sc_token_privilege_enabled(before, SC_PRIV_IMPERSONATE));
	/* ... its next logon sees the change ... */
	sc_token *after = logon("alice", "srv1", SC_START_INTERACTIVE);
	cr_assert_not(has_privilege(after, SC_PRIV_IMPERSONATE));
	/* ... and so does a newcomer. */
	sc_token *b = logon("bob", "srv1", SC_START_INTERACTIVE);
	cr_assert(sc_token_privilege_enabled(b, SC_PRIV_IMPERSONATE));

	srv1->rights = saved;
	sc_token_free(before);
	sc_token_free(after);
	sc_token_free(b);
}

Test(P4, removing_the_host_entry_restores_defaults_at_next_logon)
{
	sc_token *before = logon("svc-b", "srv2", SC_START_SERVICE);
	cr_assert_not(has_privilege(before, SC_PRIV_IMPERSONATE));
	scn.hosts[2].rights_count = 0;
	sc_token *after = logon("svc-b", "srv2", SC_START_SERVICE);
	cr_assert(sc_token_privilege_enabled(after, SC_PRIV_IMPERSONATE));
	cr_assert_not(has_privilege(before, SC_PRIV_IMPERSONATE));
	scn.hosts[2].rights_count = 1;
	sc_token_free(before);
	sc_token_free(after);
}

/* SIDs and names */

Test(directory, well_known_names_and_sids)
{
	static const struct {
		const char *sid, *name, *bare;
	} wk[] = {
		{ SC_SID_LOCAL_SYSTEM, "NT AUTHORITY\\SYSTEM", "SYSTEM" },
		{ SC_SID_LOCAL_SERVICE, "NT AUTHORITY\\LOCAL SERVICE",
		  "LOCAL SERVICE" },
		{ SC_SID_NETWORK_SERVICE, "NT AUTHORITY\\NETWORK SERVICE",
		  "NETWORK SERVICE" },
		{ SC_SID_SERVICE, "NT AUTHORITY\\SERVICE", "SERVICE" },
		{ SC_SID_INTERACTIVE, "NT AUTHORITY\\INTERACTIVE",
		  "INTERACTIVE" },
		{ SC_SID_NETWORK, "NT AUTHORITY\\NETWORK", "NETWORK" },
		{ SC_SID_BATCH, "NT AUTHORITY\\BATCH", "BATCH" },
		{ SC_SID_ANONYMOUS, "NT AUTHORITY\\ANONYMOUS LOGON",
		  "ANONYMOUS LOGON" },
		{ SC_SID_AUTHENTICATED_USERS,
		  "NT AUTHORITY\\Authenticated Users", "Authenticated Users" },
		{ SC_SID_EVERYONE, "Everyone", "Everyone" },
		{ SC_SID_ADMINISTRATORS, "BUILTIN\\Administrators",
		  "Administrators" },
		{ SC_SID_USERS, "BUILTIN\\Users", "Users" },
		{ SC_SID_OWNER_RIGHTS, "OWNER RIGHTS", "OWNER RIGHTS" },
	};
	for (size_t i = 0; i < sizeof(wk) / sizeof(wk[0]); i++) {
		cr_assert_str_eq(sc_directory_name(dir, wk[i].sid), wk[i].name);
		cr_assert_str_eq(sid(wk[i].name), wk[i].sid);
		cr_assert_str_eq(sid(wk[i].bare), wk[i].sid);
		cr_assert_str_eq(sid(wk[i].sid), wk[i].sid);
		cr_assert_null(sc_directory_account_by_sid(dir, wk[i].sid));
	}
}

Test(directory, lookup_is_case_insensitive)
{
	cr_assert_str_eq(sid("nt authority\\system"), SC_SID_LOCAL_SYSTEM);
	cr_assert_str_eq(sid("everyone"), SC_SID_EVERYONE);
	cr_assert_str_eq(sid("builtin\\administrators"),
			 SC_SID_ADMINISTRATORS);
	cr_assert_str_eq(sid("ALICE"), sid("alice"));
	cr_assert_str_eq(sid("corp\\Alice"), sid("alice"));
	cr_assert_str_eq(sid("s-1-5-18"), SC_SID_LOCAL_SYSTEM);
	cr_assert_str_eq(sid("LocalSystem"), SC_SID_LOCAL_SYSTEM);
}

Test(directory, domain_accounts)
{
	cr_assert_str_eq(sc_directory_domain(dir), "CORP");
	const char *a = sid("alice");
	cr_assert_str_eq(sid("CORP\\alice"), a);
	cr_assert_str_eq(sc_directory_name(dir, a), "CORP\\alice");
	cr_assert_str_eq(sid(a), a);
	unsigned x, y, z, rid;
	cr_assert_eq(sscanf(a, "S-1-5-21-%u-%u-%u-%u", &x, &y, &z, &rid), 4,
		     "%s", a);
	cr_assert_eq(rid, 1000);
	char want[96];
	snprintf(want, sizeof(want), "S-1-5-21-%u-%u-%u-1001", x, y, z);
	cr_assert_str_eq(sid("bob"), want);
	snprintf(want, sizeof(want), "S-1-5-21-%u-%u-%u-1002", x, y, z);
	cr_assert_str_eq(sid("svc-b"), want);
	/* An explicit SID is kept. */
	cr_assert_str_eq(sid("carol"), "S-1-5-21-7-8-9-4242");
	cr_assert_str_eq(sc_directory_name(dir, "S-1-5-21-7-8-9-4242"),
			 "CORP\\carol");

	const sc_account_def *d = sc_directory_account(dir, "corp\\svc-b");
	cr_assert_not_null(d);
	cr_assert_str_eq(d->name, "svc-b");
	cr_assert(d->trusted_for_delegation);
	cr_assert_eq(sc_directory_account_by_sid(dir, a), &accounts[0]);
	cr_assert_null(sc_directory_account(dir, "Developers"));
	cr_assert_null(sc_directory_account(dir, "nobody"));
}

/* Groups Windows creates get their fixed RIDs (MS-DTYP 2.4.2.4: Domain
 * Users 513); the scenario's own groups 2000 on, in order. */
Test(directory, domain_groups_get_generated_sids)
{
	unsigned x, y, z, rid;
	const char *du = sid("Domain Users");
	cr_assert_eq(sscanf(du, "S-1-5-21-%u-%u-%u-%u", &x, &y, &z, &rid), 4);
	cr_assert_eq(rid, 513);
	cr_assert_str_eq(sc_directory_name(dir, du), "CORP\\Domain Users");
	char want[96];
	snprintf(want, sizeof(want), "S-1-5-21-%u-%u-%u-2000", x, y, z);
	cr_assert_str_eq(sid("Developers"), want);
	cr_assert_str_eq(sid("CORP\\Developers"), want);
	/* "Administrators" is BUILTIN, not a new domain group. */
	snprintf(want, sizeof(want), "S-1-5-21-%u-%u-%u-2001", x, y, z);
	cr_assert_str_eq(sid("Service Accounts"), want);
	cr_assert_str_eq(sc_directory_name(dir, want),
			 "CORP\\Service Accounts");
	/* The same prefix as the accounts, and the domain's SID. */
	cr_assert_eq(strncmp(du, sid("alice"), strlen(du) - 4), 0);
	cr_assert_eq(strncmp(du, sc_directory_domain_sid(dir),
			     strlen(du) - 4), 0);
	cr_assert_eq(strlen(sc_directory_domain_sid(dir)), strlen(du) - 4);
}

Test(directory, domain_prefix_is_derived_from_the_domain)
{
	char *saved = scn.domain.name;
	char first[96];
	snprintf(first, sizeof(first), "%s", sid("alice"));

	sc_directory *same = NULL;
	scn.domain.name = "corp";
	cr_assert_eq(sc_directory_new(&scn, &same), 0);
	cr_assert_str_eq(sc_directory_sid(same, "alice"), first);
	sc_directory_free(same);

	sc_directory *other = NULL;
	scn.domain.name = "FABRIKAM";
	cr_assert_eq(sc_directory_new(&scn, &other), 0);
	cr_assert_str_neq(sc_directory_sid(other, "alice"), first);
	cr_assert_str_eq(sc_directory_name(other,
					   sc_directory_sid(other, "alice")),
			 "FABRIKAM\\alice");
	sc_directory_free(other);
	scn.domain.name = saved;
}

Test(directory, no_domain_name_is_a_workgroup)
{
	char *saved = scn.domain.name;
	scn.domain.name = NULL;
	sc_directory *wg = NULL;
	cr_assert_eq(sc_directory_new(&scn, &wg), 0);
	cr_assert_str_eq(sc_directory_domain(wg), "WORKGROUP");
	cr_assert_str_eq(sc_directory_name(wg, sc_directory_sid(wg, "bob")),
			 "WORKGROUP\\bob");
	sc_directory_free(wg);
	scn.domain.name = saved;
}

Test(directory, unknown_names)
{
	cr_assert_null(sc_directory_sid(dir, "nobody"));
	cr_assert_null(sc_directory_sid(dir, "OTHER\\alice"));
	cr_assert_null(sc_directory_sid(dir, ""));
	cr_assert_null(sc_directory_sid(dir, NULL));
	cr_assert_null(sc_directory_sid(dir, "S-1-5-21-1-1-1-1"));
	cr_assert_null(sc_directory_name(dir, "S-1-5-21-1-1-1-1"));
	cr_assert_null(sc_directory_name(dir, NULL));
}

Test(directory, logon_of_unknown_or_group_fails)
{
	sc_token *t = (sc_token *)1;
	cr_assert_eq(sc_directory_logon(dir, "nobody", "ws1",
					SC_START_INTERACTIVE, &t, &log_),
		     SC_LOGON_FAILURE);
	cr_assert_null(t);
	cr_assert_eq(sc_directory_logon(dir, "Developers", "ws1",
					SC_START_INTERACTIVE, &t, &log_),
		     SC_LOGON_FAILURE);
	cr_assert_eq(sc_directory_logon(dir, "Everyone", "ws1",
					SC_START_INTERACTIVE, &t, &log_),
		     SC_LOGON_FAILURE);
	cr_assert_null(t);
}

Test(directory, interactive_logon_token_contents)
{
	sc_token *t = logon("alice", "ws1", SC_START_INTERACTIVE);
	cr_assert_eq(sc_token_type_of(t), SC_TOKEN_PRIMARY);
	cr_assert_str_eq(sc_token_user_sid(t), sid("alice"));
	cr_assert_str_eq(sc_token_user_name(t), "CORP\\alice");
	const char *want[] = { SC_SID_EVERYONE, SC_SID_AUTHENTICATED_USERS,
			       SC_SID_INTERACTIVE, SC_SID_USERS,
			       sid("Domain Users"), sid("Developers") };
	cr_assert_eq(sc_token_group_count(t), 6);
	for (size_t i = 0; i < 6; i++) {
		const char *gs;
		const char *gn;
		uint32_t attrs;
		cr_assert_eq(sc_token_group(t, i, &gs, &gn, &attrs), 0);
		cr_assert_str_eq(gs, want[i]);
		cr_assert_str_eq(gn, sc_directory_name(dir, want[i]));
		cr_assert(attrs & SC_GROUP_ENABLED);
	}
	cr_assert_not(has_group(t, SC_SID_ADMINISTRATORS));
	cr_assert_str_eq(sc_token_origin_host(t), "ws1");
	cr_assert_eq(sc_token_boundaries(t), 0);
	cr_assert_neq(sc_token_session(t), 0);
	cr_assert_eq(sc_token_logon(t), SC_LOGON_INTERACTIVE);
	sc_token_free(t);
}

Test(directory, anonymous_logon_is_not_in_everyone_nor_authenticated_users)
{
	sc_token *t = logon("ANONYMOUS LOGON", "ws1", SC_START_INTERACTIVE);
	cr_assert_str_eq(sc_token_user_sid(t), SC_SID_ANONYMOUS);
	cr_assert_not(has_group(t, SC_SID_EVERYONE));
	cr_assert_not(has_group(t, SC_SID_AUTHENTICATED_USERS));
	cr_assert_not(has_group(t, SC_SID_USERS));
	cr_assert_eq(sc_token_logon(t), SC_LOGON_ANONYMOUS);
	sc_token_free(t);
}

Test(directory, each_logon_gets_a_new_session)
{
	sc_token *a = logon("alice", "ws1", SC_START_INTERACTIVE);
	sc_token *b = logon("alice", "ws1", SC_START_INTERACTIVE);
	cr_assert_neq(sc_token_session(a), 0);
	cr_assert_neq(sc_token_session(a), sc_token_session(b));
	sc_token_free(a);
	sc_token_free(b);
}

#define THREADS 8
#define PER_THREAD 200

static void *logon_many(void *arg)
{
	uint64_t *out = arg;
	for (int i = 0; i < PER_THREAD; i++) {
		sc_token *t = NULL;
		if (sc_directory_logon(dir, "bob", "srv3", SC_START_SERVICE,
				       &t, NULL) != SC_OK)
			return NULL;
		out[i] = sc_token_session(t);
		sc_token_free(t);
	}
	return arg;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a;
	uint64_t y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

Test(directory, concurrent_logons_get_distinct_sessions)
{
	static uint64_t ids[THREADS * PER_THREAD];
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, logon_many,
					    &ids[i * PER_THREAD]), 0);
	for (int i = 0; i < THREADS; i++) {
		void *r;
		pthread_join(th[i], &r);
		cr_assert_not_null(r);
	}
	qsort(ids, THREADS * PER_THREAD, sizeof(ids[0]), cmp_u64);
	cr_assert_neq(ids[0], 0);
	for (size_t i = 1; i < THREADS * PER_THREAD; i++)
		cr_assert_neq(ids[i], ids[i - 1]);
}

/* The network token */

Test(network, token_contents)
{
	sc_token *c = logon("alice", "ws1", SC_START_INTERACTIVE);
	sc_token_set_boundaries(c, 1);
	sc_token *n = NULL;
	cr_assert_eq(sc_directory_network_token(dir, c, "srv1",
						&(sc_binding){SC_LEVEL_IMPERSONATE,
							      SC_PACKAGE_KERBEROS,
							      SC_AUTHN_PACKET},
						&n, &log_),
		     SC_OK);
	cr_assert_eq(sc_token_type_of(n), SC_TOKEN_IMPERSONATION);
	cr_assert_eq(sc_token_level_raw(n), SC_LEVEL_IMPERSONATE);
	cr_assert_eq(sc_token_logon(n), SC_LOGON_NETWORK);
	cr_assert_str_eq(sc_token_user_sid(n), sid("alice"));
	cr_assert_str_eq(sc_token_user_name(n), "CORP\\alice");
	cr_assert(has_group(n, SC_SID_EVERYONE));
	cr_assert(has_group(n, SC_SID_AUTHENTICATED_USERS));
	cr_assert(has_group(n, SC_SID_USERS));
	cr_assert(has_group(n, sid("Domain Users")));
	cr_assert(has_group(n, sid("Developers")));
	cr_assert(has_group(n, SC_SID_NETWORK));
	cr_assert_not(has_group(n, SC_SID_INTERACTIVE));
	cr_assert_eq(sc_token_group_count(n), 6);
	/* srv1 gives alice SeImpersonatePrivilege (P3 on the server's
	 * host, not the client's). */
	cr_assert(sc_token_privilege_enabled(n, SC_PRIV_IMPERSONATE));
	cr_assert_str_eq(sc_token_origin_host(n), "ws1");
	cr_assert_eq(sc_token_boundaries(n), 1);
	cr_assert_eq(sc_token_package(n), SC_PACKAGE_KERBEROS);
	cr_assert_eq(sc_token_authn(n), SC_AUTHN_PACKET);
	cr_assert_not(sc_token_delegable(n));
	cr_assert_neq(sc_token_session(n), sc_token_session(c));
	sc_token_free(n);
	sc_token_free(c);
}

/* T7: one host keeps the client's own token, whatever the transport;
 * another host is a network logon. Host names compare exactly. */
Test(network, one_host_keeps_the_clients_token)
{
	cr_assert(sc_directory_keeps_client_token("ws1", "ws1"));
	cr_assert_not(sc_directory_keeps_client_token("ws1", "srv1"));
	cr_assert_not(sc_directory_keeps_client_token("ws1", "ws10"));
	cr_assert_not(sc_directory_keeps_client_token(NULL, "ws1"));
	cr_assert_not(sc_directory_keeps_client_token("ws1", NULL));
}

Test(network, service_group_is_dropped_with_its_privilege)
{
	sc_token *c = logon("svc-b", "ws1", SC_START_SERVICE);
	cr_assert(sc_token_privilege_enabled(c, SC_PRIV_IMPERSONATE));
	sc_token *n = NULL;
	cr_assert_eq(sc_directory_network_token(dir, c, "ws1",
						&(sc_binding){SC_LEVEL_DELEGATE,
							      SC_PACKAGE_NTLM,
							      SC_AUTHN_CONNECT},
						&n, &log_),
		     SC_OK);
	cr_assert_not(has_group(n, SC_SID_SERVICE));
	cr_assert(has_group(n, SC_SID_NETWORK));
	cr_assert(has_group(n, sid("Service Accounts")));
	cr_assert_not(has_privilege(n, SC_PRIV_IMPERSONATE));
	sc_token_free(n);
	sc_token_free(c);
}

Test(network, batch_group_is_dropped)
{
	sc_token *c = logon("alice", "ws1", SC_START_BATCH);
	sc_token *n = NULL;
	cr_assert_eq(sc_directory_network_token(dir, c, "ws1",
						&(sc_binding){SC_LEVEL_IDENTIFY,
							      SC_PACKAGE_KERBEROS,
							      SC_AUTHN_CONNECT},
						&n, NULL),
		     SC_OK);
	cr_assert_not(has_group(n, SC_SID_BATCH));
	cr_assert_eq(sc_token_level_raw(n), SC_LEVEL_IDENTIFY);
	sc_token_free(n);
	sc_token_free(c);
}

Test(network, group_attributes_are_kept_and_deny_only_grants_nothing)
{
	sc_token *c = sc_token_new(SC_TOKEN_PRIMARY);
	sc_token_set_user(c, sid("carol"), "CORP\\carol");
	sc_token_add_group(c, SC_SID_EVERYONE, "Everyone", SC_GROUP_ENABLED);
	sc_token_add_group(c, SC_SID_ADMINISTRATORS, "BUILTIN\\Administrators",
			   SC_GROUP_USE_FOR_DENY_ONLY);
	sc_token_set_origin_host(c, "ws1");
	sc_token *n = NULL;
	cr_assert_eq(sc_directory_network_token(dir, c, "ws1",
						&(sc_binding){SC_LEVEL_IMPERSONATE,
							      SC_PACKAGE_KERBEROS,
							      SC_AUTHN_CONNECT},
						&n, &log_),
		     SC_OK);
	uint32_t attrs = 0;
	for (size_t i = 0; i < sc_token_group_count(n); i++) {
		const char *gs;
		uint32_t a;
		sc_token_group(n, i, &gs, NULL, &a);
		if (strcmp(gs, SC_SID_ADMINISTRATORS) == 0)
			attrs = a;
	}
	cr_assert_eq(attrs, SC_GROUP_USE_FOR_DENY_ONLY);
	cr_assert_not(has_privilege(n, SC_PRIV_IMPERSONATE));
	sc_token_free(n);
	sc_token_free(c);
}

Test(network, level_must_be_set)
{
	sc_token *c = logon("alice", "ws1", SC_START_INTERACTIVE);
	sc_token *n = (sc_token *)1;
	cr_assert_eq(sc_directory_network_token(dir, c, "ws1",
						&(sc_binding){SC_LEVEL_DEFAULT,
							      SC_PACKAGE_KERBEROS,
							      SC_AUTHN_CONNECT},
						&n, &log_),
		     SC_INVALID_PARAMETER);
	cr_assert_null(n);
	sc_token_free(c);
}

/* P3: policy applies local, then site, domain, OU; the later scope wins
 * whatever order the entries are written in. */
Test(P3, later_policy_scope_wins)
{
	sc_token *a = logon("alice", "srv4", SC_START_INTERACTIVE);
	sc_token *b = logon("bob", "srv4", SC_START_INTERACTIVE);
	sc_token *c = logon("carol", "srv4", SC_START_INTERACTIVE);
	/* Backup: domain (alice) over local (bob). */
	cr_expect(sc_token_privilege_enabled(a, "SeBackupPrivilege"));
	cr_expect_not(has_privilege(b, "SeBackupPrivilege"));
	cr_expect(log_has_text("P3", "domain scope"));
	/* Restore: OU (carol) over site (bob), though written after it. */
	cr_expect(sc_token_privilege_enabled(c, "SeRestorePrivilege"));
	cr_expect_not(has_privilege(b, "SeRestorePrivilege"));
	cr_expect(log_has_text("P3", "ou scope"));
	sc_token_free(a);
	sc_token_free(b);
	sc_token_free(c);
}

/* P3: a change at an earlier scope than the deciding one changes
 * nothing; one at the same or a later scope decides from then on. */
Test(P3, a_change_at_run_time_takes_its_scope_place)
{
	char *only_bob[] = { "bob" };
	cr_assert_eq(sc_directory_assign(dir, "srv4", "SeBackupPrivilege",
					 SC_SCOPE_SITE, only_bob, 1),
		     0);
	sc_token *b = logon("bob", "srv4", SC_START_INTERACTIVE);
	cr_expect_not(has_privilege(b, "SeBackupPrivilege"),
		      "a site entry does not override the domain's");
	cr_assert_eq(sc_directory_assign(dir, "srv4", "SeBackupPrivilege",
					 SC_SCOPE_DOMAIN, only_bob, 1),
		     0);
	sc_token *b2 = logon("bob", "srv4", SC_START_INTERACTIVE);
	sc_token *a2 = logon("alice", "srv4", SC_START_INTERACTIVE);
	cr_expect(sc_token_privilege_enabled(b2, "SeBackupPrivilege"),
		  "a run-time change is later than the file's, same scope");
	cr_expect_not(has_privilege(a2, "SeBackupPrivilege"));
	sc_token_free(b);
	sc_token_free(b2);
	sc_token_free(a2);
}

/* P4: a change made while a process runs does not reach a token built
 * before it: only the next logons (interactive or network) see it. */
Test(P4, a_run_time_change_reaches_only_later_logons)
{
	sc_token *before = logon("svc-b", "ws1", SC_START_SERVICE);
	cr_assert(sc_token_privilege_enabled(before, SC_PRIV_IMPERSONATE));
	cr_assert_eq(sc_directory_assign(dir, "ws1", SC_PRIV_IMPERSONATE,
					 SC_SCOPE_OU, NULL, 0),
		     0);
	cr_expect(sc_token_privilege_enabled(before, SC_PRIV_IMPERSONATE),
		  "the running process keeps its privilege");
	sc_token *after = logon("svc-b", "ws1", SC_START_SERVICE);
	cr_expect_not(has_privilege(after, SC_PRIV_IMPERSONATE));

	/* A right given at run time reaches a network token built later. */
	char *alice[] = { "alice" };
	cr_assert_eq(sc_directory_assign(dir, "ws1", "SeBackupPrivilege",
					 SC_SCOPE_LOCAL, alice, 1),
		     0);
	sc_token *a = logon("alice", "ws1", SC_START_INTERACTIVE);
	cr_expect(sc_token_privilege_enabled(a, "SeBackupPrivilege"));
	sc_token_free(before);
	sc_token_free(after);
	sc_token_free(a);
}

/* D6: an S4U logon reads the rights now (P4) and gives a network
 * impersonation token with the user's groups; unknown users fail. */
Test(D6, s4u_logon_builds_a_network_token_for_the_user)
{
	sc_token *t = NULL;
	cr_assert_eq(sc_directory_s4u_logon(dir, "alice", "srv1", &t, &log_),
		     SC_OK);
	cr_expect_str_eq(sc_token_user_name(t), "CORP\\alice");
	cr_expect_eq(sc_token_type_of(t), SC_TOKEN_IMPERSONATION);
	cr_expect(has_group(t, sid("Developers")));
	cr_expect(sc_token_privilege_enabled(t, SC_PRIV_IMPERSONATE),
		  "srv1 gives alice SeImpersonatePrivilege");
	sc_token_free(t);
	t = NULL;
	cr_expect_neq(sc_directory_s4u_logon(dir, "nobody", "srv1", &t,
					     &log_),
		      SC_OK);
	cr_expect_null(t);
}

/* D1, D8: computer accounts. srv1 is trusted for delegation, srv2 is not,
 * wg is not in the domain. */
static sc_account_def d8_accounts[] = {{.name = "alice"}};
static sc_host_def d8_hosts[] = {
	{.name = "srv1.corp.example", .trusted_for_delegation = true},
	{.name = "srv2"},
	{.name = "wg", .workgroup = true, .trusted_for_delegation = true},
};
static sc_scenario d8_scn;

static void d8_setup(void)
{
	memset(&d8_scn, 0, sizeof(d8_scn));
	d8_scn.name = "d8";
	d8_scn.domain.name = "CORP";
	d8_scn.domain.accounts = d8_accounts;
	d8_scn.domain.accounts_count = 1;
	d8_scn.hosts = d8_hosts;
	d8_scn.hosts_count = 3;
	cr_assert_eq(sc_directory_new(&d8_scn, &dir), 0);
	sc_log_init(&log_);
}

TestSuite(D8, .init = d8_setup, .fini = teardown);
TestSuite(D1, .init = d8_setup, .fini = teardown);

Test(D8, every_domain_host_has_a_computer_account)
{
	const sc_account_def *c = sc_directory_computer(dir, "srv1.corp.example");
	cr_assert_not_null(c);
	cr_expect_str_eq(c->name, "SRV1$");
	cr_expect(c->trusted_for_delegation);
	cr_expect_str_eq(sc_directory_name(dir, sid("CORP\\SRV1$")),
			 "CORP\\SRV1$");
	cr_expect_eq(sc_directory_account_by_sid(dir, sid("SRV1$")), c);
	cr_expect_not(sc_directory_computer(dir, "srv2")->trusted_for_delegation);
	cr_expect_null(sc_directory_computer(dir, "wg"),
		       "a workgroup host has no computer account");
	cr_expect_null(sc_directory_computer(dir, "nowhere"));
	/* Domain Computers has its fixed RID. */
	char dc[96];
	snprintf(dc, sizeof(dc), "%s-515", sc_directory_domain_sid(dir));
	cr_expect_str_eq(sid("Domain Computers"), dc);
}

Test(D1, a_machine_identity_has_its_computers_trust)
{
	const sc_account_def *c = sc_directory_computer(dir, "srv1.corp.example");
	cr_expect_eq(sc_directory_service_account(dir, "NETWORK SERVICE",
						  "srv1.corp.example"), c);
	cr_expect_eq(sc_directory_service_account(dir, "SYSTEM",
						  "srv1.corp.example"), c);
	cr_expect_eq(sc_directory_service_account(dir, "LOCAL SERVICE",
						  "srv1.corp.example"), c);
	cr_expect_null(sc_directory_service_account(dir, "SYSTEM", "wg"));
	cr_expect_eq(sc_directory_service_account(dir, "alice", "srv2"),
		     &d8_accounts[0]);
	cr_expect_null(sc_directory_service_account(dir, "nobody", "srv2"));
}

/* D8: a declared account named as a host's computer (SRV1$, as an import
 * writes every computer) is that computer account: its SID, groups and
 * delegation settings, trusted when it or the host says so. */
static char *d8d_groups[] = {"Web Servers"};
static char *d8d_to[] = {"svc-c"};
static sc_account_def d8d_accounts[] = {
	{.name = "alice"},
	{.name = "srv2$", .sid = "S-1-5-21-1-2-3-2001", .groups = d8d_groups,
	 .groups_count = 1, .trusted_for_delegation = true,
	 .allowed_to_delegate_to = d8d_to, .allowed_to_delegate_to_count = 1},
	{.name = "svc-c"},
};

Test(D8, a_declared_computer_account_is_the_hosts)
{
	sc_directory_free(dir);
	dir = NULL;
	d8_scn.domain.accounts = d8d_accounts;
	d8_scn.domain.accounts_count = 3;
	cr_assert_eq(sc_directory_new(&d8_scn, &dir), 0);
	const sc_account_def *c = sc_directory_computer(dir, "srv2");
	cr_assert_not_null(c, "declaring SRV2$ keeps srv2's computer account");
	cr_expect(c->trusted_for_delegation, "the declared flag");
	cr_assert_eq(c->allowed_to_delegate_to_count, 1);
	cr_expect_str_eq(c->allowed_to_delegate_to[0], "svc-c");
	cr_expect_eq(sc_directory_account(dir, "SRV2$"), c);
	cr_expect_eq(sc_directory_account_by_sid(dir, "S-1-5-21-1-2-3-2001"), c);
	cr_expect_eq(sc_directory_service_account(dir, "NETWORK SERVICE",
						  "srv2"), c);
	/* The host's own flag still counts for srv1's undeclared one. */
	cr_expect(sc_directory_computer(dir, "srv1.corp.example")
			  ->trusted_for_delegation);

	sc_token *ns = NULL, *net = NULL;
	cr_assert_eq(sc_directory_logon(dir, "NETWORK SERVICE", "srv2",
					SC_START_SERVICE, &ns, NULL), SC_OK);
	cr_assert_eq(sc_directory_on_network(dir, ns, "srv2",
					     "srv1.corp.example", &net, &log_),
		     SC_OK);
	cr_assert_not_null(net);
	cr_expect_str_eq(sc_token_user_sid(net), "S-1-5-21-1-2-3-2001");
	cr_expect_str_eq(sc_token_user_name(net), "CORP\\srv2$");
	cr_expect(has_group(net, sid("Domain Computers")));
	cr_expect(has_group(net, sid("Web Servers")), "its declared group");
	sc_token_free(net);
	sc_token_free(ns);
}

static sc_token *d8_logon(const char *account, const char *host)
{
	sc_token *t = NULL;
	cr_assert_eq(sc_directory_logon(dir, account, host, SC_START_SERVICE,
					&t, NULL), SC_OK);
	return t;
}

Test(D8, system_reaches_another_host_as_the_computer_account)
{
	sc_token *sys = d8_logon("SYSTEM", "srv1.corp.example"), *net = NULL;
	cr_assert(sc_token_privilege_enabled(sys, SC_PRIV_TCB));
	cr_assert_eq(sc_directory_on_network(dir, sys, "srv1.corp.example",
					     "srv2", &net, &log_), SC_OK);
	cr_assert_not_null(net);
	cr_expect_str_eq(sc_token_user_name(net), "CORP\\SRV1$");
	cr_expect(has_group(net, sid("Domain Computers")));
	cr_expect(has_group(net, SC_SID_AUTHENTICATED_USERS));
	cr_expect(has_group(net, SC_SID_EVERYONE));
	cr_expect_not(has_group(net, SC_SID_ADMINISTRATORS));
	cr_expect_eq(sc_token_privilege_count(net), 0,
		     "none of SYSTEM's privileges");
	cr_expect_eq(sc_token_type_of(net), SC_TOKEN_PRIMARY);
	cr_expect_str_eq(sc_token_origin_host(net), "srv1.corp.example");
	cr_expect(sc_log_has_rule(&log_, "D8"));
	sc_token_free(net);
	net = NULL;
	/* On its own host SYSTEM stays itself. */
	cr_expect_eq(sc_directory_on_network(dir, sys, "srv1.corp.example",
					     "srv1.corp.example", &net, NULL),
		     SC_OK);
	cr_expect_null(net);
	sc_token_free(sys);
}

Test(D8, an_impersonated_machine_identity_keeps_its_level)
{
	sc_token *ns = d8_logon("NETWORK SERVICE", "srv2"), *imp = NULL,
		 *net = NULL;
	cr_assert_eq(sc_token_duplicate(ns, SC_TOKEN_IMPERSONATION,
					SC_LEVEL_IMPERSONATE, NULL, &imp,
					NULL), SC_OK);
	cr_assert_eq(sc_directory_on_network(dir, imp, "srv2",
					     "srv1.corp.example", &net, NULL),
		     SC_OK);
	cr_assert_not_null(net);
	cr_expect_str_eq(sc_token_user_name(net), "CORP\\SRV2$");
	cr_expect_eq(sc_token_type_of(net), SC_TOKEN_IMPERSONATION);
	cr_expect_eq(sc_token_level_raw(net), SC_LEVEL_IMPERSONATE);
	sc_token_free(net);
	sc_token_free(imp);
	sc_token_free(ns);
}

Test(D8, local_service_and_a_workgroup_host_present_anonymous)
{
	sc_token *ls = d8_logon("LOCAL SERVICE", "srv2"), *net = NULL;
	cr_assert_eq(sc_directory_on_network(dir, ls, "srv2", "wg", &net,
					     &log_), SC_OK);
	cr_assert_not_null(net);
	cr_expect_str_eq(sc_token_user_sid(net), SC_SID_ANONYMOUS);
	cr_expect_eq(sc_token_privilege_count(net), 0);
	sc_token_free(net);
	net = NULL;
	sc_token *sys = d8_logon("SYSTEM", "wg");
	cr_assert_eq(sc_directory_on_network(dir, sys, "wg", "srv2", &net,
					     &log_), SC_OK);
	cr_assert_not_null(net);
	cr_expect_str_eq(sc_token_user_sid(net), SC_SID_ANONYMOUS);
	sc_token_free(net);
	sc_token_free(sys);
	sc_token_free(ls);
}

Test(D8, other_identities_cross_as_themselves)
{
	sc_token *a = d8_logon("alice", "srv2"), *net = NULL;
	cr_expect_eq(sc_directory_on_network(dir, a, "srv2",
					     "srv1.corp.example", &net, &log_),
		     SC_OK);
	cr_expect_null(net);
	cr_expect_not(sc_log_has_rule(&log_, "D8"));
	sc_token_free(a);
}

/* A client's network logon says which privileges it holds, not which it
 * lacks: whether the callee may impersonate is its own token's P3. */
Test(network, a_client_without_impersonate_is_not_a_decision)
{
	sc_token *c = logon("alice", "ws1", SC_START_INTERACTIVE);
	sc_token *b = logon("bob", "ws1", SC_START_INTERACTIVE);
	sc_log_free(&log_);
	sc_log_init(&log_);
	sc_token *n = NULL, *m = NULL;
	cr_assert_eq(sc_directory_network_token(dir, c, "ws1",
						&(sc_binding){SC_LEVEL_IMPERSONATE,
							      SC_PACKAGE_KERBEROS,
							      SC_AUTHN_PACKET},
						&n, &log_),
		     SC_OK);
	cr_expect_not(log_has_text("P3", "does not hold"));
	cr_assert_eq(sc_directory_network_token(dir, b, "ws1",
						&(sc_binding){SC_LEVEL_IMPERSONATE,
							      SC_PACKAGE_KERBEROS,
							      SC_AUTHN_PACKET},
						&m, &log_),
		     SC_OK);
	cr_expect(log_has_text("P3", "CORP\\bob holds SeImpersonatePrivilege "
				     "on ws1"));
	cr_expect(sc_token_privilege_enabled(m, SC_PRIV_IMPERSONATE));
	cr_expect_not(has_privilege(n, SC_PRIV_IMPERSONATE));
	sc_token_free(n);
	sc_token_free(m);
	sc_token_free(c);
	sc_token_free(b);
}

/* P1, T4: LogonUser with a password: an explicit logon in the caller's
 * logon session, with the user's privileges on the host now; a
 * well-known service account has no password. */
Test(P1, explicit_logon_is_in_the_callers_session)
{
	sc_token *svc = logon("svc-b", "ws1", SC_START_INTERACTIVE);
	sc_token *t = NULL;
	cr_assert_eq(sc_directory_explicit_logon(dir, svc, "bob", "ws1", &t,
						 &log_),
		     SC_OK);
	cr_expect_eq(sc_token_type_of(t), SC_TOKEN_PRIMARY);
	cr_expect_eq(sc_token_logon(t), SC_LOGON_EXPLICIT);
	cr_expect_eq(sc_token_session(t), sc_token_session(svc));
	cr_expect_str_eq(sc_token_user_sid(t), sid("bob"));
	/* bob is in Administrators: SeImpersonatePrivilege by default. */
	cr_expect(sc_token_privilege_enabled(t, SC_PRIV_IMPERSONATE));
	sc_token_free(t);
	t = NULL;
	cr_expect_eq(sc_directory_explicit_logon(dir, svc, "NETWORK SERVICE",
						 "ws1", &t, &log_),
		     SC_LOGON_FAILURE);
	cr_expect_null(t);
	cr_expect_eq(sc_directory_explicit_logon(dir, svc, "nobody", "ws1",
						 &t, &log_),
		     SC_LOGON_FAILURE);
	sc_token_free(svc);
}

/* P5, T13: a service's process token (sc_directory_process_token). */

static char *app_required[] = { "SeAuditPrivilege", "SeTcbPrivilege" };
static sc_process_def services[] = {
	{ .name = "AppSvc", .host = "ws1", .account = "NETWORK SERVICE",
	  .started_by = SC_START_SERVICE,
	  .service_sid = SC_SERVICE_SID_UNRESTRICTED,
	  .required_privileges = app_required,
	  .required_privileges_count = 2 },
	{ .name = "Plain", .host = "ws1", .account = "NETWORK SERVICE",
	  .started_by = SC_START_SERVICE },
	{ .name = "Desk", .host = "ws1", .account = "alice" },
};

static void setup_services(void)
{
	setup();
	sc_directory_free(dir);
	scn.processes = services;
	scn.processes_count = sizeof(services) / sizeof(services[0]);
	cr_assert_eq(sc_directory_new(&scn, &dir), 0);
}

TestSuite(P5, .init = setup_services, .fini = teardown);
TestSuite(T13, .init = setup_services, .fini = teardown);

static sc_token *process_token(const sc_process_def *p)
{
	sc_token *t = logon(p->account, p->host, p->started_by);
	cr_assert_eq(sc_directory_process_token(dir, t, p, &log_), SC_OK);
	return t;
}

Test(P5, only_the_required_privileges_and_change_notify_stay)
{
	sc_token *t = process_token(&services[0]);
	cr_assert(sc_token_privilege_enabled(t, "SeAuditPrivilege"));
	cr_assert(sc_token_privilege_enabled(t, SC_PRIV_CHANGE_NOTIFY),
		  "never removed from a process token");
	cr_assert_not(has_privilege(t, SC_PRIV_IMPERSONATE));
	cr_assert_not(has_privilege(t, SC_PRIV_TCB), "listing grants nothing");
	cr_assert_eq(sc_token_privilege_count(t), 2);
	cr_assert(log_has_text("P5", "SeImpersonatePrivilege is not among "
				     "its required privileges"));
	cr_assert(log_has_text("P5", "lists SeTcbPrivilege among its "
				     "required privileges, but its account "
				     "NT AUTHORITY\\NETWORK SERVICE does not "
				     "hold it on ws1: not granted"));
	sc_token_free(t);
}

Test(P5, no_list_keeps_every_privilege)
{
	sc_token *t = process_token(&services[1]);
	cr_assert(sc_token_privilege_enabled(t, SC_PRIV_IMPERSONATE));
	cr_assert(sc_token_privilege_enabled(t, "SeAuditPrivilege"));
	cr_assert(sc_token_privilege_enabled(t, SC_PRIV_CHANGE_NOTIFY));
	for (size_t i = 0; i < log_.count; i++)
		cr_assert_str_neq(log_.notes[i].rule, "P5");
	sc_token_free(t);
}

Test(P5, keeps_answers_as_the_scm_does)
{
	cr_assert(sc_service_keeps(&services[0], "seauditprivilege"));
	cr_assert(sc_service_keeps(&services[0], SC_PRIV_CHANGE_NOTIFY));
	cr_assert_not(sc_service_keeps(&services[0], SC_PRIV_IMPERSONATE));
	cr_assert(sc_service_keeps(&services[1], SC_PRIV_IMPERSONATE));
	/* Not a service: the list would not apply. */
	sc_process_def desk = services[2];
	desk.required_privileges = app_required;
	desk.required_privileges_count = 2;
	cr_assert(sc_service_keeps(&desk, SC_PRIV_IMPERSONATE));
}

static const char *hex(const uint8_t *d, char *out)
{
	for (unsigned i = 0; i < SC_SHA1_LEN; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
	return out;
}

Test(T13, sha1_gives_the_fips_180_vectors)
{
	static const struct {
		const char *msg;
		const char *digest;
	} v[] = {
		{ "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		/* 56 bytes: the padding takes a second block. */
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t d[SC_SHA1_LEN];
		char h[2 * SC_SHA1_LEN + 1];
		sc_sha1(v[i].msg, strlen(v[i].msg), d);
		cr_assert_str_eq(hex(d, h), v[i].digest, "'%s'", v[i].msg);
	}
}

Test(T13, service_sid_as_windows_derives_it)
{
	/* Well-known service SIDs of Windows. */
	char s[SC_SERVICE_SID_MAX];
	sc_service_sid_of("TrustedInstaller", s, sizeof(s));
	cr_assert_str_eq(s, "S-1-5-80-956008885-3418522649-1831038044-"
			    "1853292631-2271478464");
	sc_service_sid_of("trustedinstaller", s, sizeof(s));
	cr_assert_str_eq(s, "S-1-5-80-956008885-3418522649-1831038044-"
			    "1853292631-2271478464", "upper-cased first");
	sc_service_sid_of("MSSQLSERVER", s, sizeof(s));
	cr_assert_str_eq(s, "S-1-5-80-3880718306-3832830129-1677859214-"
			    "2598158968-1052248003");
}

Test(T13, directory_names_every_service_sid)
{
	char s[SC_SERVICE_SID_MAX];
	sc_service_sid_of("AppSvc", s, sizeof(s));
	cr_assert_str_eq(sid("NT SERVICE\\AppSvc"), s);
	cr_assert_str_eq(sc_directory_name(dir, s), "NT SERVICE\\AppSvc");
	/* Plain's SID type is none, yet its SID exists. */
	cr_assert_not_null(sc_directory_sid(dir, "nt service\\plain"));
	/* Not a service; and a bare name is no service SID. */
	cr_assert_null(sc_directory_sid(dir, "NT SERVICE\\Desk"));
	cr_assert_null(sc_directory_sid(dir, "AppSvc"));
}

Test(T13, unrestricted_sid_in_the_process_token_only)
{
	sc_token *app = process_token(&services[0]);
	sc_token *plain = process_token(&services[1]);
	const char *app_sid = sid("NT SERVICE\\AppSvc");
	uint32_t attrs = 0;
	cr_assert(sc_token_group_attrs(app, app_sid, &attrs));
	cr_assert_eq(attrs, SC_GROUP_ENABLED | SC_GROUP_OWNER,
		     "enabled and owner, not mandatory");
	cr_assert(log_has_text("T13", "its process token holds "
				      "NT SERVICE\\AppSvc"));
	cr_assert_not(has_group(plain, app_sid));
	cr_assert_not(has_group(plain, sid("NT SERVICE\\Plain")),
		      "SID type none");
	/* A network logon on another host does not carry it. */
	sc_token *n = NULL;
	cr_assert_eq(sc_directory_network_token(dir, app, "srv1",
						&(sc_binding){SC_LEVEL_IMPERSONATE,
							      SC_PACKAGE_KERBEROS,
							      SC_AUTHN_PACKET},
						&n, &log_),
		     SC_OK);
	cr_assert_not(has_group(n, app_sid));
	sc_token_free(n);
	sc_token_free(app);
	sc_token_free(plain);
}
