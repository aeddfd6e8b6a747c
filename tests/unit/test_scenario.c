/* test_scenario.c: unit tests of the scenario model (lookups, KEY=VALUE
 * settings, reference checks) and of the YAML loader's errors and their
 * exact line:col. Never depends on files other than the docs' example. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "sc_load.h"
#include "sc_scenario.h"

/* ---- helpers ---------------------------------------------------------- */

struct loaded {
	sc_scenario *s;
	sc_load_errors errs;
	int rc;
};

static void dump(const sc_load_errors *e)
{
	for (size_t i = 0; i < e->count; i++) {
		char buf[1024];
		sc_load_error_format(&e->items[i], buf, sizeof(buf));
		cr_log_info("%s", buf);
	}
}

static struct loaded load(const char *yaml, const char *variant)
{
	struct loaded l;
	memset(&l, 0, sizeof(l));
	l.rc = sc_load_buffer("t.yaml", yaml, strlen(yaml), variant, &l.s,
			      &l.errs);
	dump(&l.errs);
	return l;
}

static sc_scenario *load_ok(const char *yaml, const char *variant)
{
	struct loaded l = load(yaml, variant);
	cr_assert_eq(l.rc, 0, "the scenario should load (%zu errors)",
		     l.errs.count);
	cr_assert_not_null(l.s);
	cr_assert_eq(l.errs.count, 0);
	sc_load_errors_free(&l.errs);
	return l.s;
}

static void assert_error(const struct loaded *l, size_t i, unsigned line,
			 unsigned col, const char *fragment)
{
	cr_assert_lt(i, l->errs.count, "expected an error #%zu, have %zu", i,
		     l->errs.count);
	const sc_load_error *e = &l->errs.items[i];
	cr_expect_str_eq(e->file, "t.yaml");
	cr_expect_eq(e->line, line, "error #%zu '%s': line %u, expected %u", i,
		     e->message, e->line, line);
	cr_expect_eq(e->col, col, "error #%zu '%s': column %u, expected %u", i,
		     e->message, e->col, col);
	cr_expect_not_null(strstr(e->message, fragment),
			   "error #%zu: '%s' does not contain '%s'", i,
			   e->message, fragment);
}

static struct loaded load_fails(const char *yaml, const char *variant,
				size_t count)
{
	struct loaded l = load(yaml, variant);
	cr_assert_eq(l.rc, SC_ERR_INVAL);
	cr_assert_null(l.s);
	cr_assert_eq(l.errs.count, count, "%zu errors, expected %zu",
		     l.errs.count, count);
	return l;
}

/* Loading fails with exactly one error, at line:col, mentioning fragment. */
static void fails_once(const char *yaml, unsigned line, unsigned col,
		       const char *fragment)
{
	struct loaded l = load_fails(yaml, NULL, 1);
	assert_error(&l, 0, line, col, fragment);
	sc_load_errors_free(&l.errs);
}

/* Loading fails with the loop that B's call back to A closes (A calls B
 * in every call it serves; reported at A's call, line 18), then the error
 * at line:col. */
static void fails_then_loop(const char *yaml, unsigned line, unsigned col,
			    const char *fragment)
{
	struct loaded l = load_fails(yaml, NULL, 2);
	assert_error(&l, 0, 18, 13, "closes a loop: B -> A -> B");
	assert_error(&l, 1, line, col, fragment);
	sc_load_errors_free(&l.errs);
}

/* A valid scenario in pieces; the comments give the line numbers. Tests
 * insert lines at the piece boundaries: after DOMAIN (a new account),
 * after HOSTS (srv1's fields or a new host), after PROCS (B's fields or a
 * new process), or at the end (a new top-level section). */
#define HEAD "scenario: t\n"                  /*  1 */
#define DOMAIN                                                                \
	"domain:\n"                           /*  2 */                        \
	"  name: CORP\n"                      /*  3 */                        \
	"  accounts:\n"                       /*  4 */                        \
	"    - name: alice\n"                 /*  5 */                        \
	"      groups: [Domain Users]\n"      /*  6 */                        \
	"    - name: svc-b\n"                 /*  7 */
#define HOSTS                                                                 \
	"hosts:\n"                            /*  8 */                        \
	"  - name: ws1\n"                     /*  9 */                        \
	"  - name: srv1\n"                    /* 10 */
#define PROCS                                                                 \
	"processes:\n"                        /* 11 */                        \
	"  - name: A\n"                       /* 12 */                        \
	"    host: ws1\n"                     /* 13 */                        \
	"    account: alice\n"                /* 14 */                        \
	"    steps:\n"                        /* 15 */                        \
	"      - do: call\n"                  /* 16 */                        \
	"        id: a-call\n"                /* 17 */                        \
	"        to: B\n"                     /* 18 */                        \
	"  - name: B\n"                       /* 19 */                        \
	"    host: srv1\n"                    /* 20 */                        \
	"    account: svc-b\n"                /* 21 */
#define BASE HEAD DOMAIN HOSTS PROCS
/* An object on srv1, appended at line 22. */
#define OBJECT                                                                \
	"objects:\n"                          /* 22 */                        \
	"  - name: report\n"                  /* 23 */                        \
	"    host: srv1\n"                    /* 24 */                        \
	"    owner: svc-b\n"                  /* 25 */                        \
	"    dacl:\n"                         /* 26 */                        \
	"      - allow: alice\n"              /* 27 */                        \
	"        access: [read]\n"            /* 28 */

/* Every key of the format, with the seed diagram A -> B -> C. */
static const char full_yaml[] =
	"scenario: seed-diagram\n"
	"description: free text\n"
	"domain:\n"
	"  name: CORP\n"
	"  accounts:\n"
	"    - name: alice\n"
	"      sid: S-1-5-21-1-2-3-1001\n"
	"      groups: [Domain Users]\n"
	"      sensitive: false\n"
	"      trusted_for_delegation: false\n"
	"      trusted_to_auth_for_delegation: false\n"
	"      allowed_to_delegate_to: [svc-c]\n"
	"      allowed_to_act: [svc-b]\n"
	"    - name: svc-b\n"
	"      sensitive: true\n"
	"      trusted_for_delegation: true\n"
	"      trusted_to_auth_for_delegation: true\n"
	"    - name: svc-c\n"
	"    - name: bob\n"
	"hosts:\n"
	"  - name: ws1\n"
	"    workgroup: true\n"
	"    default_level: identify\n"
	"    address: 127.0.0.12\n"
	"    rights:\n"
	"      - privilege: SeImpersonatePrivilege\n"
	"        holders: [Administrators, SERVICE]\n"
	"  - {name: srv1, trusted_for_delegation: true}\n"
	"  - name: srv2\n"
	"processes:\n"
	"  - name: A\n"
	"    host: ws1\n"
	"    account: alice\n"
	"    started_by: interactive\n"
	"    blanket:\n"
	"      authn: packet\n"
	"      level: impersonate\n"
	"      package: kerberos\n"
	"      cloaking: none\n"
	"      identity: CORP\\alice\n"
	"      transport: rpc\n"
	"    server_authn: privacy\n"
	"    steps:\n"
	"      - do: call\n"
	"        id: a-call\n"
	"        to: B\n"
	"        blanket: {level: delegate, cloaking: static}\n"
	"      - do: set_blanket\n"
	"        to: B\n"
	"  - name: B\n"
	"    host: srv1\n"
	"    account: svc-b\n"
	"    started_by: service\n"
	"    blanket: {cloaking: dynamic}\n"
	"    steps:\n"
	"      - do: impersonate\n"
	"      - do: call\n"
	"        to: C\n"
	"      - do: call\n"
	"        to: C\n"
	"      - do: revert\n"
	"      - do: query_level\n"
	"  - name: C\n"
	"    host: srv2\n"
	"    account: NETWORK SERVICE\n"
	"    started_by: com\n"
	"    steps:\n"
	"      - do: open\n"
	"        id: c-open\n"
	"        object: report\n"
	"        access: [read, write_dac]\n"
	"      - do: access_check\n"
	"        object: report\n"
	"        access: [maximum_allowed]\n"
	"      - do: sleep\n"
	"        ms: 100\n"
	"objects:\n"
	"  - name: report\n"
	"    host: srv2\n"
	"    owner: svc-c\n"
	"    null_dacl: false\n"
	"    dacl:\n"
	"      - allow: alice\n"
	"        access: [read]\n"
	"      - deny: bob\n"
	"        access: [write, delete]\n"
	"  - name: report\n"
	"    host: srv1\n"
	"    owner: BUILTIN\\Administrators\n"
	"    null_dacl: true\n"
	"settings:\n"
	"  double_hop_status: BAD_IMPERSONATION_LEVEL\n"
	"  allow_primary_from_identify: true\n"
	"expect:\n"
	"  - hop: B->C\n"
	"    presented: CORP\\alice\n"
	"    level: impersonate\n"
	"    status: OK\n"
	"    warning: P2\n"
	"    rule: C4\n"
	"  - hop: B->C#2\n"
	"  - step: c-open\n"
	"    status: ACCESS_DENIED\n"
	"    granted: read|write_dac\n"
	"variants:\n"
	"  - name: cloaking-off\n"
	"    description: B stops cloaking\n"
	"    set: [B.cloaking=none, svc-b.sensitive=false]\n"
	"    expect:\n"
	"      - hop: B->C\n"
	"        presented: CORP\\svc-b\n"
	"        rule: C2\n"
	"  - name: empty\n";

/* ---- names and lookups ------------------------------------------------ */

Test(scenario, step_kind_names)
{
	static const char *const names[SC_STEP_COUNT] = {
		"impersonate", "revert", "call", "open", "access_check",
		"set_blanket", "sleep", "query_level", "impersonate_self",
		"duplicate", "start_process", "logon_user", "audit",
		"open_thread_token", "protocol_transition", "assign_right",
		"check_privilege", "enable_privilege", "disable_privilege",
		"read", "create_object", "enable_group", "disable_group",
		"set_thread_token", "restart",
	};
	for (int k = 0; k < SC_STEP_COUNT; k++)
		cr_expect_str_eq(sc_step_kind_name((sc_step_kind)k), names[k]);
	cr_expect_str_eq(sc_step_kind_name(SC_STEP_COUNT), "?");
	cr_expect_str_eq(sc_step_kind_name((sc_step_kind)-1), "?");
}

Test(scenario, lookups)
{
	sc_scenario *s = load_ok(full_yaml, NULL);

	cr_expect_eq(sc_scenario_process(s, "B"), &s->processes[1]);
	cr_expect_null(sc_scenario_process(s, "b"), "processes: case matters");
	cr_expect_null(sc_scenario_process(s, "Z"));
	cr_expect_null(sc_scenario_process(s, NULL));
	cr_expect_null(sc_scenario_process(NULL, "A"));

	cr_expect_eq(sc_scenario_host(s, "srv2"), &s->hosts[2]);
	cr_expect_null(sc_scenario_host(s, "SRV2"), "hosts: case matters");
	cr_expect_null(sc_scenario_host(s, "nohost"));

	cr_expect_eq(sc_scenario_account(s, "alice"), &s->domain.accounts[0]);
	cr_expect_eq(sc_scenario_account(s, "ALICE"), &s->domain.accounts[0]);
	cr_expect_eq(sc_scenario_account(s, "corp\\Alice"),
		     &s->domain.accounts[0]);
	cr_expect_null(sc_scenario_account(s, "OTHER\\alice"));
	cr_expect_null(sc_scenario_account(s, "NETWORK SERVICE"),
		       "well-known accounts are not domain accounts");
	cr_expect_null(sc_scenario_account(s, "mallory"));

	cr_expect_eq(sc_scenario_object(s, "srv2", "report"), &s->objects[0]);
	cr_expect_eq(sc_scenario_object(s, "srv1", "report"), &s->objects[1]);
	cr_expect_null(sc_scenario_object(s, "ws1", "report"));
	cr_expect_eq(sc_scenario_object(s, NULL, "report"), &s->objects[0],
		     "a NULL host matches any host");
	cr_expect_null(sc_scenario_object(s, "srv2", "nothing"));
	cr_expect_null(sc_scenario_object(s, "srv2", NULL));
	sc_load_free(s);
}

/* The loader's enum spellings agree with the name tables: BASE with
 * "fmt" (holding one %s for the name) appended to process B. */
static sc_scenario *load_b_with(const char *fmt, const char *name)
{
	char extra[512], yaml[1024];
	snprintf(extra, sizeof(extra), fmt, name);
	snprintf(yaml, sizeof(yaml), "%s%s", BASE, extra);
	return load_ok(yaml, NULL);
}

Test(scenario, enum_names_match_tables)
{
	sc_scenario *s;
	for (int v = 0; v < SC_LEVEL_COUNT; v++) {
		s = load_b_with("    blanket: {level: %s}\n", sc_level_name(v));
		cr_expect_eq((int)s->processes[1].blanket.level, v);
		sc_load_free(s);
	}
	for (int v = 0; v < SC_AUTHN_COUNT; v++) {
		s = load_b_with("    server_authn: %s\n", sc_authn_name(v));
		cr_expect_eq((int)s->processes[1].server_authn, v);
		s->processes[1].server_authn = SC_AUTHN_DEFAULT;
		sc_load_free(s);
		s = load_b_with("    blanket: {authn: %s}\n", sc_authn_name(v));
		cr_expect_eq((int)s->processes[1].blanket.authn, v);
		sc_load_free(s);
	}
	for (int v = 0; v < SC_PACKAGE_COUNT; v++) {
		s = load_b_with("    blanket: {package: %s}\n",
				sc_package_name(v));
		cr_expect_eq((int)s->processes[1].blanket.package, v);
		sc_load_free(s);
	}
	for (int v = 0; v < SC_CLOAK_COUNT; v++) {
		s = load_b_with("    blanket: {cloaking: %s}\n",
				sc_cloaking_name(v));
		cr_expect_eq((int)s->processes[1].blanket.cloaking, v);
		sc_load_free(s);
	}
	for (int v = 0; v < SC_TRANSPORT_COUNT; v++) {
		s = load_b_with("    blanket: {transport: %s}\n",
				sc_transport_name(v));
		cr_expect_eq((int)s->processes[1].blanket.transport, v);
		sc_load_free(s);
	}
	for (int v = 0; v < SC_START_COUNT; v++) {
		s = load_b_with("    started_by: %s\n", sc_start_name(v));
		cr_expect_eq((int)s->processes[1].started_by, v);
		sc_load_free(s);
	}
	for (int v = 0; v < SC_STEP_COUNT; v++) {
		/* A step of every kind, with the fields it needs. */
		bool to = v == SC_STEP_CALL || v == SC_STEP_SET_BLANKET;
		bool obj = v == SC_STEP_OPEN || v == SC_STEP_ACCESS_CHECK ||
			   v == SC_STEP_CREATE_OBJECT;
		bool priv = v == SC_STEP_ASSIGN_RIGHT ||
			    v == SC_STEP_CHECK_PRIVILEGE ||
			    v == SC_STEP_ENABLE_PRIVILEGE ||
			    v == SC_STEP_DISABLE_PRIVILEGE;
		bool group = v == SC_STEP_ENABLE_GROUP ||
			     v == SC_STEP_DISABLE_GROUP;
		bool token = v == SC_STEP_SET_THREAD_TOKEN;
		/* B calls a new C (calling A back would be a loop). */
		s = load_b_with(to    ? "    steps: [{do: %s, to: C}]\n"
					"  - name: C\n    host: srv1\n"
					"    account: svc-b\n"
				: obj ? "    steps: [{do: %s, object: report}]\n"
					OBJECT
				: priv ? "    steps: [{do: %s, privilege: "
					 "SeTcbPrivilege}]\n"
				: group ? "    steps: [{do: %s, group: "
					  "Everyone}]\n"
				: token ? "    steps: [{do: duplicate, keep: t}, "
					  "{do: %s, token: t}]\n"
				      : "    steps: [{do: %s}]\n",
				sc_step_kind_name(v));
		cr_expect_eq((int)s->processes[1].steps[token ? 1 : 0].kind,
			     v);
		sc_load_free(s);
	}
	for (int v = 0; v < SC_LEVEL_COUNT; v++) {
		char yaml[1024];
		snprintf(yaml, sizeof(yaml),
			 HEAD DOMAIN HOSTS "    default_level: %s\n" PROCS,
			 sc_level_name(v));
		s = load_ok(yaml, NULL);
		cr_expect_eq((int)s->hosts[1].default_level, v);
		sc_load_free(s);
	}
}

/* ---- loading: the full format and its defaults ------------------------ */

/* Every field of full_yaml as loaded. */
static void expect_full(const sc_scenario *s)
{

	cr_expect_str_eq(s->name, "seed-diagram");
	cr_expect_str_eq(s->description, "free text");
	cr_expect_str_eq(s->domain.name, "CORP");
	cr_assert_eq(s->domain.accounts_count, 4);
	const sc_account_def *a = &s->domain.accounts[0];
	cr_expect_str_eq(a->name, "alice");
	cr_expect_str_eq(a->sid, "S-1-5-21-1-2-3-1001");
	cr_assert_eq(a->groups_count, 1);
	cr_expect_str_eq(a->groups[0], "Domain Users");
	cr_expect(!a->sensitive && !a->trusted_for_delegation &&
		  !a->trusted_to_auth_for_delegation);
	cr_assert_eq(a->allowed_to_delegate_to_count, 1);
	cr_expect_str_eq(a->allowed_to_delegate_to[0], "svc-c");
	cr_assert_eq(a->allowed_to_act_count, 1);
	cr_expect_str_eq(a->allowed_to_act[0], "svc-b");
	a = &s->domain.accounts[1];
	cr_expect(a->sensitive && a->trusted_for_delegation &&
		  a->trusted_to_auth_for_delegation);
	cr_expect_null(a->sid);

	cr_assert_eq(s->hosts_count, 3);
	const sc_host_def *h = &s->hosts[0];
	cr_expect_str_eq(h->name, "ws1");
	cr_expect(h->workgroup);
	cr_expect_eq(h->default_level, SC_LEVEL_IDENTIFY);
	cr_expect_str_eq(h->address, "127.0.0.12");
	cr_expect_not(h->trusted_for_delegation);
	cr_expect(s->hosts[1].trusted_for_delegation);
	cr_assert_eq(h->rights_count, 1);
	cr_expect_str_eq(h->rights[0].privilege, "SeImpersonatePrivilege");
	cr_assert_eq(h->rights[0].holders_count, 2);
	cr_expect_str_eq(h->rights[0].holders[0], "Administrators");
	cr_expect_str_eq(h->rights[0].holders[1], "SERVICE");

	cr_assert_eq(s->processes_count, 3);
	const sc_process_def *p = &s->processes[0];
	cr_expect_str_eq(p->name, "A");
	cr_expect_str_eq(p->host, "ws1");
	cr_expect_str_eq(p->account, "alice");
	cr_expect_eq(p->started_by, SC_START_INTERACTIVE);
	cr_expect_eq(p->blanket.authn, SC_AUTHN_PACKET);
	cr_expect_eq(p->blanket.level, SC_LEVEL_IMPERSONATE);
	cr_expect_eq(p->blanket.package, SC_PACKAGE_KERBEROS);
	cr_expect_eq(p->blanket.cloaking, SC_CLOAK_NONE);
	cr_expect_str_eq(p->blanket.identity, "CORP\\alice");
	cr_expect_eq(p->blanket.transport, SC_TRANSPORT_RPC);
	cr_expect_eq(p->server_authn, SC_AUTHN_PRIVACY);
	cr_assert_eq(p->steps_count, 2);
	cr_expect_eq(p->steps[0].kind, SC_STEP_CALL);
	cr_expect_str_eq(p->steps[0].id, "a-call");
	cr_expect_str_eq(p->steps[0].to, "B");
	cr_assert_not_null(p->steps[0].blanket);
	cr_expect_eq(p->steps[0].blanket->level, SC_LEVEL_DELEGATE);
	cr_expect_eq(p->steps[0].blanket->cloaking, SC_CLOAK_STATIC);
	cr_expect_eq(p->steps[0].blanket->authn, SC_AUTHN_DEFAULT);
	cr_expect_eq(p->steps[1].kind, SC_STEP_SET_BLANKET);
	cr_expect_null(p->steps[1].blanket);

	p = &s->processes[1];
	cr_expect_eq(p->started_by, SC_START_SERVICE);
	cr_expect_eq(p->blanket.cloaking, SC_CLOAK_DYNAMIC);
	cr_assert_eq(p->steps_count, 5);
	cr_expect_eq(p->steps[0].kind, SC_STEP_IMPERSONATE);
	cr_expect_eq(p->steps[3].kind, SC_STEP_REVERT);
	cr_expect_eq(p->steps[4].kind, SC_STEP_QUERY_LEVEL);

	p = &s->processes[2];
	cr_expect_str_eq(p->account, "NETWORK SERVICE");
	cr_expect_eq(p->started_by, SC_START_COM);
	cr_assert_eq(p->steps_count, 3);
	cr_expect_eq(p->steps[0].kind, SC_STEP_OPEN);
	cr_expect_str_eq(p->steps[0].object, "report");
	cr_assert_eq(p->steps[0].access_count, 2);
	cr_expect_str_eq(p->steps[0].access[1], "write_dac");
	cr_expect_eq(p->steps[1].kind, SC_STEP_ACCESS_CHECK);
	cr_expect_eq(p->steps[2].kind, SC_STEP_SLEEP);
	cr_expect_eq(p->steps[2].ms, 100);

	cr_assert_eq(s->objects_count, 2);
	const sc_object_def *o = &s->objects[0];
	cr_expect_str_eq(o->name, "report");
	cr_expect_str_eq(o->host, "srv2");
	cr_expect_str_eq(o->owner, "svc-c");
	cr_expect(!o->null_dacl);
	cr_assert_eq(o->dacl_count, 2);
	cr_expect_str_eq(o->dacl[0].allow, "alice");
	cr_expect_null(o->dacl[0].deny);
	cr_expect_str_eq(o->dacl[1].deny, "bob");
	cr_assert_eq(o->dacl[1].access_count, 2);
	cr_expect_str_eq(o->dacl[1].access[1], "delete");
	cr_expect(s->objects[1].null_dacl);
	cr_expect_eq(s->objects[1].dacl_count, 0);

	cr_expect_str_eq(s->settings.double_hop_status,
			 "BAD_IMPERSONATION_LEVEL");
	cr_expect(s->settings.allow_primary_from_identify);

	cr_assert_eq(s->expect_count, 3);
	const sc_expect_def *e = &s->expect[0];
	cr_expect_str_eq(e->hop, "B->C");
	cr_expect_null(e->step);
	cr_expect_str_eq(e->presented, "CORP\\alice");
	cr_expect_str_eq(e->level, "impersonate");
	cr_expect_str_eq(e->status, "OK");
	cr_expect_str_eq(e->warning, "P2");
	cr_expect_str_eq(e->rule, "C4");
	cr_expect_null(e->granted);
	cr_expect_str_eq(s->expect[1].hop, "B->C#2");
	cr_expect_str_eq(s->expect[2].step, "c-open");
	cr_expect_str_eq(s->expect[2].granted, "read|write_dac");

	cr_assert_eq(s->variants_count, 2);
	const sc_variant_def *v = &s->variants[0];
	cr_expect_str_eq(v->name, "cloaking-off");
	cr_expect_str_eq(v->description, "B stops cloaking");
	cr_assert_eq(v->set_count, 2);
	cr_expect_str_eq(v->set[0], "B.cloaking=none");
	cr_assert_eq(v->expect_count, 1);
	cr_expect_str_eq(v->expect[0].presented, "CORP\\svc-b");
	cr_expect_eq(s->variants[1].set_count, 0);
	cr_expect_eq(s->variants[1].expect_count, 0);

	cr_expect_eq(sc_scenario_validate(s, NULL, NULL), 0);
}

Test(scenario, full_scenario_loads_every_field)
{
	sc_scenario *s = load_ok(full_yaml, NULL);
	expect_full(s);
	sc_load_free(s);
}

/* A copy holds every field, owns its memory (the original is freed
 * first; the sanitizer build checks every byte), and a setting changes
 * the copy only. */
Test(scenario, a_copy_is_whole_and_its_own)
{
	sc_scenario *s = load_ok(full_yaml, NULL);
	sc_scenario *c = NULL, *d = NULL;
	cr_assert_eq(sc_load_clone(s, &c), 0);
	cr_assert_eq(sc_load_clone(c, &d), 0);
	sc_load_free(s);
	expect_full(c);
	char err[256];
	cr_assert_eq(sc_scenario_set(d, "B.cloaking=none", err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(sc_scenario_set(d, "alice.sensitive=true", err,
				     sizeof(err)), 0, "%s", err);
	cr_expect(d->domain.accounts[0].sensitive);
	cr_expect(!c->domain.accounts[0].sensitive);
	expect_full(c);
	sc_load_free(c);
	sc_load_free(d);
}

/* sc_load_case: the same file twice is the same scenario, each a copy of
 * its own with its settings; a bad setting is named in err; a file that
 * changed is loaded again. */
Test(scenario, cached_loads_are_copies_with_their_settings)
{
	char path[] = "/tmp/cloakroom-cache-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, full_yaml, strlen(full_yaml)),
		     (ssize_t)strlen(full_yaml));
	close(fd);
	sc_load_cache *cache = sc_load_cache_new();
	cr_assert(cache);
	sc_load_errors errs = {0};
	char err[512];
	const char *sets[] = {"alice.sensitive=true"};
	sc_scenario *a = NULL, *b = NULL, *c = NULL;
	cr_assert_eq(sc_load_case(cache, &(sc_case_ref){path, NULL, sets, 1},
				  &a, &errs, err,
				  sizeof(err)), 0, "%s", err);
	cr_assert_eq(sc_load_case(cache, &(sc_case_ref){path, NULL, NULL, 0},
				  &b, &errs, err,
				  sizeof(err)), 0, "%s", err);
	cr_expect(a->domain.accounts[0].sensitive);
	cr_expect(!b->domain.accounts[0].sensitive);
	expect_full(b);
	const char *bad[] = {"alice.sensitive=maybe"};
	cr_expect_neq(sc_load_case(cache, &(sc_case_ref){path, NULL, bad, 1},
				   &c, &errs, err,
				   sizeof(err)), 0);
	cr_expect_null(c);
	cr_expect_eq(errs.count, 0);
	cr_expect(strstr(err, "alice.sensitive=maybe"), "%s", err);
	/* The file changes (its size): the next case sees the change. */
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fprintf(f, "%s", full_yaml);
	fprintf(f, "# one more line\n");
	fclose(f);
	sc_scenario *e = NULL;
	cr_assert_eq(sc_load_case(cache, &(sc_case_ref){path, NULL, NULL, 0},
				  &e, &errs, err,
				  sizeof(err)), 0, "%s", err);
	expect_full(e);
	f = fopen(path, "w");
	cr_assert(f);
	fprintf(f, "scenario: [broken\n");
	fclose(f);
	sc_scenario *g = NULL;
	cr_expect_neq(sc_load_case(cache, &(sc_case_ref){path, NULL, NULL, 0},
				   &g, &errs, err,
				   sizeof(err)), 0, "a changed file is read again");
	cr_expect_gt(errs.count, 0);
	sc_load_errors_free(&errs);
	sc_load_free(a);
	sc_load_free(b);
	sc_load_free(e);
	sc_load_cache_free(cache);
	unlink(path);
}

Test(scenario, missing_optional_fields_are_zero)
{
	sc_scenario *s = load_ok(BASE, NULL);

	cr_expect_str_eq(s->name, "t");
	cr_expect_null(s->description);
	const sc_account_def *a = &s->domain.accounts[1];
	cr_expect_null(a->sid);
	cr_expect_eq(a->groups_count, 0);
	cr_expect_null(a->groups);
	cr_expect(!a->sensitive && !a->trusted_for_delegation &&
		  !a->trusted_to_auth_for_delegation);
	cr_expect_eq(a->allowed_to_delegate_to_count, 0);
	cr_expect_eq(a->allowed_to_act_count, 0);

	const sc_host_def *h = &s->hosts[0];
	cr_expect(!h->workgroup);
	cr_expect_eq(h->default_level, SC_LEVEL_DEFAULT);
	cr_expect_null(h->address);
	cr_expect_eq(h->rights_count, 0);

	const sc_process_def *p = &s->processes[1];
	cr_expect_eq(p->started_by, SC_START_INTERACTIVE);
	cr_expect_eq(p->blanket.authn, SC_AUTHN_DEFAULT);
	cr_expect_eq(p->blanket.level, SC_LEVEL_DEFAULT);
	cr_expect_eq(p->blanket.package, SC_PACKAGE_DEFAULT);
	cr_expect_eq(p->blanket.cloaking, SC_CLOAK_NONE);
	cr_expect_null(p->blanket.identity);
	cr_expect_eq(p->blanket.transport, SC_TRANSPORT_COM);
	cr_expect_eq(p->server_authn, SC_AUTHN_DEFAULT);
	cr_expect_eq(p->steps_count, 0);

	const sc_step *st = &s->processes[0].steps[0];
	cr_expect_null(st->blanket);
	cr_expect_null(st->object);
	cr_expect_eq(st->access_count, 0);
	cr_expect_eq(st->ms, 0);

	cr_expect_eq(s->objects_count, 0);
	cr_expect_null(s->settings.double_hop_status,
		       "NULL means the documented default, ACCESS_DENIED");
	cr_expect(!s->settings.allow_primary_from_identify);
	cr_expect_eq(s->expect_count, 0);
	cr_expect_eq(s->variants_count, 0);
	sc_load_free(s);
}

Test(scenario, flow_and_block_sequences_and_case_insensitive_enums)
{
	sc_scenario *s = load_ok(BASE
				 "    blanket: {level: IMPERSONATE, "
				 "cloaking: Dynamic}\n"
				 "    started_by: Service\n"
				 "    steps: [{do: Revert}, {do: sleep, ms: 5}]\n",
				 NULL);
	cr_expect_eq(s->processes[1].blanket.level, SC_LEVEL_IMPERSONATE);
	cr_expect_eq(s->processes[1].blanket.cloaking, SC_CLOAK_DYNAMIC);
	cr_expect_eq(s->processes[1].started_by, SC_START_SERVICE);
	cr_assert_eq(s->processes[1].steps_count, 2);
	cr_expect_eq(s->processes[1].steps[0].kind, SC_STEP_REVERT);
	cr_expect_eq(s->processes[1].steps[1].ms, 5);
	sc_load_free(s);
}

/* ---- loading: schema and syntax errors -------------------------------- */

Test(scenario, unknown_key_in_a_process)
{
	fails_once(BASE "    bogus: 1\n", 22, 5,
		   "unknown key 'bogus' in 'processes[1]' (valid keys: name, "
		   "host, account, started_by, blanket, server_authn, steps, "
		   "misbehave, deny_only_groups, disabled_groups, new, tickets, "
		   "com_plus, apartment, spn, integrity, required_privileges, "
		   "service_sid)");
}

Test(L6, com_plus_loads_and_takes_a_boolean)
{
	sc_scenario *s = load_b_with("    com_plus: %s\n", "true");
	cr_expect(s->processes[1].com_plus);
	cr_expect(!s->processes[0].com_plus, "the default");
	sc_load_free(s);
	fails_once(BASE "    com_plus: yes\n", 22, 15, "com_plus");
	fails_once(BASE "    com_pluss: true\n", 22, 5,
		   "did you mean 'com_plus'?");
}

Test(P1, logon_user_keeps_a_token_for_set_thread_token)
{
	sc_scenario *s = load_b_with(
		"    steps:\n"
		"      - {do: logon_user, user: %s, keep: t}\n"
		"      - {do: set_thread_token, token: t}\n", "alice");
	cr_expect_str_eq(s->processes[1].steps[0].user, "alice");
	cr_expect_str_eq(s->processes[1].steps[0].keep, "t");
	sc_load_free(s);
	/* keep without user: no token to keep. */
	fails_once(BASE "    steps: [{do: logon_user, keep: t}]\n", 22, 36,
		   "keeps a token only with 'user'");
	/* a well-known service account has no password. */
	fails_once(BASE "    steps: [{do: logon_user, user: NETWORK SERVICE}]"
			"\n", 22, 36, "has no password");
	/* an unknown account, with did-you-mean. */
	fails_once(BASE "    steps: [{do: logon_user, user: alise}]\n", 22,
		   36, "did you mean 'alice'?");
}

Test(scenario, unknown_top_level_key)
{
	fails_once(BASE "objets: []\n", 22, 1,
		   "unknown top-level key 'objets' (did you mean 'objects'?)");
}

Test(scenario, keys_are_case_sensitive)
{
	fails_once("Scenario: t\n" DOMAIN HOSTS PROCS, 1, 1,
		   "unknown top-level key 'Scenario'");
}

Test(scenario, unknown_key_in_a_nested_blanket)
{
	fails_then_loop(BASE
		   "    steps:\n"                         /* 22 */
		   "      - do: call\n"                   /* 23 */
		   "        to: A\n"                      /* 24 */
		   "        blanket: {level: delegate, levl: x}\n", /* 25 */
		   25, 36,
		   "unknown key 'levl' in 'processes[1].steps[0].blanket'");
}

Test(scenario, misspelled_enum_value)
{
	fails_once(BASE
		   "    blanket:\n"            /* 22 */
		   "      level: impersonat\n", /* 23 */
		   23, 14,
		   "invalid value 'impersonat' for 'processes[1].blanket.level' "
		   "(did you mean 'impersonate'? expected one of: "
		   "default, anonymous, identify, impersonate, delegate)");
}

/* SPNs: CLASS/HOST[:PORT][/NAME], as DsMakeSpn builds them. */
Test(scenario, spn_syntax)
{
	const char *good[] = {"MSSQLSvc/db1.corp.local:1433", "cifs/fs1",
			      "ldap/dc1.corp.local/corp.local", "HOST/ws1"};
	const char *bad[] = {"", "cifs", "/fs1", "cifs/", "cifs/:445",
			     "MSSQLSvc/db1:0", "MSSQLSvc/db1:99999",
			     "MSSQLSvc/db1:14x3", "http/web 1", "ldap/dc1/",
			     "ldap/dc1/a/b", NULL};
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		cr_expect_null(sc_spn_syntax(good[i]), "%s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_not_null(sc_spn_syntax(bad[i]), "%s",
				   bad[i] ? bad[i] : "(null)");
	cr_expect(sc_spn_is("cifs/fs1"));
	cr_expect(!sc_spn_is("svc-sql"));
}

Test(scenario, delegation_spn_must_be_held)
{
	fails_once(HEAD DOMAIN
		   "      allowed_to_delegate_to: [cifs/fs2]\n"  /*  8 */
		   "    - name: svc-fs\n"                        /*  9 */
		   "      spns: [cifs/fs1]\n"                    /* 10 */
		   HOSTS PROCS,
		   8, 32,
		   "no account holds the SPN 'cifs/fs2' (did you mean "
		   "'cifs/fs1'?");
}

Test(scenario, spn_syntax_error_at_the_entry)
{
	fails_once(HEAD DOMAIN
		   "      spns: [cifs/fs1, 'MSSQLSvc/db1:99999']\n" /* 8 */
		   HOSTS PROCS,
		   8, 24,
		   "'MSSQLSvc/db1:99999' is not an SPN: the port after ':'");
}

Test(scenario, process_spn_is_one_of_its_accounts)
{
	fails_once(HEAD DOMAIN
		   "      spns: [cifs/fs1, HTTP/fs1]\n"  /*  8 */
		   HOSTS PROCS
		   "    spn: cifs/fs2\n",               /* 23 */
		   23, 10,
		   "the process's account 'svc-b' holds no SPN 'cifs/fs2' "
		   "(did you mean 'cifs/fs1'?");
}

Test(scenario, group_state_names_a_group_of_the_account)
{
	fails_once(HEAD DOMAIN
		   "      groups: [Finance]\n"            /*  8 */
		   HOSTS PROCS
		   "    disabled_groups: [Finanse]\n",   /* 23 */
		   23, 23,
		   "'Finanse' is not a group of the process's account 'svc-b' "
		   "(did you mean 'Finance'? ");
}

Test(scenario, group_state_named_twice)
{
	fails_once(HEAD DOMAIN
		   "      groups: [Finance]\n"            /*  8 */
		   HOSTS PROCS
		   "    deny_only_groups: [Finance]\n"   /* 23 */
		   "    disabled_groups: [finance]\n",   /* 24 */
		   24, 23,
		   "group 'finance' is already in deny_only_groups[0]");
}

Test(scenario, group_steps_need_a_group_and_only_they_take_one)
{
	fails_once(BASE
		   "    steps:\n"                         /* 22 */
		   "      - {do: enable_group}\n",       /* 23 */
		   23, 9, "step 'enable_group' needs 'group'");
	fails_once(BASE
		   "    steps:\n"                         /* 22 */
		   "      - {do: disable_group, group: Finanse}\n", /* 23 */
		   23, 36, "unknown principal 'Finanse'");
	fails_once(BASE
		   "    steps:\n"                         /* 22 */
		   "      - {do: revert, group: Everyone}\n", /* 23 */
		   23, 29, "'group' is not used by step 'revert'");
}

Test(scenario, misspelled_step_kind)
{
	fails_then_loop(BASE
		   "    steps:\n"          /* 22 */
		   "      - do: cal\n"     /* 23 */
		   "        to: A\n",      /* 24 */
		   23, 13,
		   "invalid value 'cal' for 'processes[1].steps[0].do' (did you "
		   "mean 'call'? expected one of: impersonate, "
		   "revert, call, open, access_check, set_blanket, sleep, "
		   "query_level, impersonate_self, duplicate, start_process, "
		   "logon_user, audit, open_thread_token, protocol_transition, "
		   "assign_right, check_privilege, enable_privilege, "
		   "disable_privilege, read, create_object, enable_group, "
		   "disable_group, set_thread_token, restart)");
}

Test(scenario, misspelled_started_by)
{
	fails_once(BASE "    started_by: scm\n", 22, 17,
		   "invalid value 'scm' for 'processes[1].started_by' (expected "
		   "one of: "
		   "interactive, service, com, batch)");
}

Test(scenario, boolean_must_be_true_or_false)
{
	fails_once(HEAD DOMAIN "      sensitive: yes\n" HOSTS PROCS, 8, 18,
		   "invalid value 'yes' for 'domain.accounts[1].sensitive' "
		   "(expected true or "
		   "false)");
}

Test(scenario, every_bad_boolean_is_reported)
{
	struct loaded l = load_fails(HEAD DOMAIN
				     "      sensitive: 1\n"         /* 8 */
				     "      trusted_for_delegation: on\n" /* 9 */
				     HOSTS                            /* 10-12 */
				     "    workgroup: maybe\n"         /* 13 */
				     PROCS, NULL, 3);
	assert_error(&l, 0, 8, 18, "'1' for 'domain.accounts[1].sensitive'");
	assert_error(&l, 1, 9, 31, "'on' for 'domain.accounts[1].trusted_for_delegation'");
	assert_error(&l, 2, 13, 16, "'maybe' for 'hosts[1].workgroup'");
	sc_load_errors_free(&l.errs);
}

Test(scenario, ms_must_be_a_whole_number)
{
	static const char *const bad[] = {"1.5", "-1", "abc", "0x10",
					  "4294967296"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char yaml[1024];
		snprintf(yaml, sizeof(yaml),
			 BASE "    steps:\n      - do: sleep\n        ms: %s\n",
			 bad[i]);
		char frag[128];
		snprintf(frag, sizeof(frag),
			 "invalid value '%s' for 'processes[1].steps[0].ms' "
			 "(expected a whole number "
			 "from 0 to 4294967295)", bad[i]);
		fails_once(yaml, 24, 13, frag);
	}
}

Test(scenario, missing_required_key)
{
	fails_once(BASE
		   "    steps:\n"         /* 22 */
		   "      - to: A\n",     /* 23 */
		   23, 9,
		   "missing required key 'do' in 'processes[1].steps[0]'");
}

Test(scenario, missing_required_top_level_key)
{
	fails_once(DOMAIN HOSTS PROCS, 1, 1,
		   "missing required top-level key 'scenario'");
}

Test(scenario, duplicate_key)
{
	fails_once(BASE "    host: ws1\n", 22, 5, "duplicate key 'host'");
}

Test(scenario, wrong_type_list_expected)
{
	fails_once(BASE
		   "    steps:\n"              /* 22 */
		   "      - do: open\n"        /* 23 */
		   "        access: read\n",   /* 24 */
		   24, 17,
		   "wrong type for 'processes[1].steps[0].access': expected a "
		   "list, found the scalar "
		   "'read'");
}

Test(scenario, wrong_type_in_a_list)
{
	fails_once(HEAD DOMAIN "      groups: [a, {b: c}]\n" HOSTS PROCS, 8, 19,
		   "wrong type for 'domain.accounts[1].groups[1]': expected a "
		   "string, found a "
		   "mapping");
}

Test(scenario, wrong_type_mapping_expected)
{
	fails_once(BASE "    blanket:\n", 22, 13,
		   "wrong type for 'processes[1].blanket': expected a mapping, "
		   "found an "
		   "empty value");
}

Test(scenario, keys_must_be_plain_names)
{
	fails_once(BASE "? [a, b]\n: c\n", 22, 3,
		   "a key must be a plain name, not a list");
	fails_once(BASE "    {a: 1}: 2\n", 22, 5,
		   "a key must be a plain name, not a mapping");
}

Test(scenario, hosts_need_one_entry)
{
	fails_once(HEAD DOMAIN "hosts: []\n" PROCS, 8, 8,
		   "'hosts' needs at least 1 entry");
}

Test(scenario, document_must_be_a_mapping)
{
	fails_once("- a\n- b\n", 1, 1,
		   "the document must be a mapping with the scenario's keys, "
		   "not a list");
}

Test(scenario, empty_document)
{
	fails_once("# nothing\n", 1, 1, "the file is empty");
	fails_once("", 1, 1, "the file is empty");
}

Test(scenario, one_document_only)
{
	fails_once(BASE "---\nscenario: again\n", 22, 1,
		   "a second YAML document");
}

Test(scenario, yaml_syntax_errors)
{
	fails_once(HEAD "  foo: : bar\n", 2, 6,
		   "syntax error: mapping values are not allowed in this "
		   "context");
	fails_once(BASE "    steps: [{do: revert}\n", 23, 1,
		   "syntax error: did not find expected ',' or ']' while "
		   "parsing a flow sequence (started at line 22, column 12)");
	fails_once("scenario: 'abc\n", 2, 1,
		   "syntax error: found unexpected end of stream while "
		   "scanning a quoted scalar (started at line 1, column 11)");
	fails_once(BASE "    host: *nowhere\n", 22, 11,
		   "syntax error: found undefined alias");
	fails_once(HEAD "\tdomain: x\n", 2, 1, "syntax error: found");
}

Test(scenario, invalid_bytes)
{
	static const char bad[] = "scenario: t\xff\n";
	struct loaded l;
	memset(&l, 0, sizeof(l));
	l.rc = sc_load_buffer("t.yaml", bad, sizeof(bad) - 1, NULL, &l.s,
			      &l.errs);
	cr_assert_eq(l.rc, SC_ERR_INVAL);
	cr_assert_eq(l.errs.count, 1);
	assert_error(&l, 0, 1, 12, "invalid input: invalid leading UTF-8");
	sc_load_errors_free(&l.errs);
}

Test(scenario, backslash_names_plain_and_quoted)
{
	sc_scenario *s = load_ok(BASE
				 "objects:\n"
				 "  - name: o\n"
				 "    host: srv1\n"
				 "    owner: CORP\\alice\n"
				 "    dacl:\n"
				 "      - allow: 'CORP\\svc-b'\n"
				 "        access: [read]\n"
				 "      - allow: \"CORP\\\\alice\"\n"
				 "        access: [read]\n",
				 NULL);
	cr_expect_str_eq(s->objects[0].owner, "CORP\\alice");
	cr_expect_str_eq(s->objects[0].dacl[0].allow, "CORP\\svc-b");
	cr_expect_str_eq(s->objects[0].dacl[1].allow, "CORP\\alice");
	sc_load_free(s);
}

Test(scenario, buffer_over_one_mib)
{
	size_t len = 1024 * 1024 + 1;
	char *big = malloc(len);
	cr_assert_not_null(big);
	memset(big, ' ', len);
	sc_scenario *s = (sc_scenario *)1;
	sc_load_errors errs = {0};
	int rc = sc_load_buffer("big.yaml", big, len, NULL, &s, &errs);
	cr_expect_eq(rc, SC_ERR_INVAL);
	cr_expect_null(s);
	cr_assert_eq(errs.count, 1);
	/* The first byte past the cap: one line of spaces. */
	cr_expect_eq(errs.items[0].line, 1);
	cr_expect_eq(errs.items[0].col, 1024 * 1024 + 1);
	cr_expect_not_null(strstr(errs.items[0].message, "1 MiB"));
	sc_load_errors_free(&errs);
	free(big);
}

/* ---- caps and the call graph ----------------------------------------- */

/* BASE with n steps for B (from line 23 on, one a line). */
static char *with_b_steps(unsigned n, const char *step)
{
	size_t len = strlen(BASE) + 16 + (size_t)n * (strlen(step) + 1);
	char *yaml = malloc(len);
	cr_assert_not_null(yaml);
	size_t w = (size_t)snprintf(yaml, len, "%s    steps:\n", BASE);
	for (unsigned i = 0; i < n; i++)
		w += (size_t)snprintf(yaml + w, len - w, "%s\n", step);
	return yaml;
}

Test(scenario, steps_up_to_the_cap_load)
{
	char *yaml = with_b_steps(SC_MAX_STEPS, "      - do: revert");
	sc_scenario *s = load_ok(yaml, NULL);
	cr_expect_eq(s->processes[1].steps_count, SC_MAX_STEPS);
	sc_load_free(s);
	free(yaml);
}

Test(scenario, steps_over_the_cap_are_refused_at_the_first_one_past)
{
	char *yaml = with_b_steps(SC_MAX_STEPS + 5, "      - do: revert");
	/* B's steps start at line 23: step 256 (the 257th) is at 279. */
	fails_once(yaml, 23 + SC_MAX_STEPS, 9,
		   "too many steps for one process: 261, more than the cap "
		   "of 256 (this is number 257)");
	free(yaml);
}

Test(scenario, hosts_over_the_cap_are_refused)
{
	size_t len = 64 * 1024;
	char *yaml = malloc(len);
	cr_assert_not_null(yaml);
	size_t w = (size_t)snprintf(yaml, len, "%s%s", HEAD DOMAIN HOSTS,
				    "");
	for (unsigned i = 2; i < SC_MAX_HOSTS + 1; i++)
		w += (size_t)snprintf(yaml + w, len - w, "  - name: h%u\n", i);
	snprintf(yaml + w, len - w, "%s", PROCS);
	/* hosts[64] is on line 9 + 64. */
	fails_once(yaml, 9 + SC_MAX_HOSTS, 5,
		   "too many hosts: 65, more than the cap of 64");
	free(yaml);
}

Test(scenario, a_list_over_the_cap_is_refused)
{
	char *yaml = with_b_steps(1, "");
	size_t len = strlen(yaml) + 32 * (SC_MAX_LIST + 8);
	yaml = realloc(yaml, len);
	cr_assert_not_null(yaml);
	size_t w = strlen(BASE);
	w += (size_t)snprintf(yaml + w, len - w,
			      "    steps:\n      - do: check_privilege\n"
			      "        privilege: SeTcbPrivilege\n"
			      "      - do: assign_right\n"
			      "        privilege: SeTcbPrivilege\n"
			      "        holders:\n");
	for (unsigned i = 0; i < SC_MAX_LIST + 1; i++)
		w += (size_t)snprintf(yaml + w, len - w,
				      "          - alice\n");
	/* holders start at line 28: holders[256] at 28 + 256. */
	fails_once(yaml, 28 + SC_MAX_LIST, 13,
		   "too many holders: 257, more than the cap of 256");
	free(yaml);
}

/* A calls B and B calls A back: every call makes the next. */
Test(scenario, a_loop_of_calls_is_refused)
{
	/* Found from A, the client: A -> B -> A, whose call to B (line 18)
	 * would be served as before, and so on. */
	fails_once(BASE "    steps:\n"  /* 22 */
			"      - do: call\n"  /* 23 */
			"        to: A\n",    /* 24 */
		   18, 13, "this call closes a loop: B -> A -> B");
}

/* The same loop, broken by "from": B calls A only in calls from C, and
 * A's calls come from B; so the scenario is fine. */
Test(scenario, from_breaks_a_loop)
{
	sc_scenario *s = load_ok(BASE "    steps:\n"
				      "      - do: call\n"
				      "        to: A\n"
				      "        from: C\n"
				      "  - name: C\n"
				      "    host: ws1\n"
				      "    account: alice\n",
				 NULL);
	sc_load_free(s);
}

/* n processes, P0 (a client) calling P1 calling P2 ... */
static char *chain_yaml(unsigned n)
{
	size_t len = 256 + (size_t)n * 128;
	char *yaml = malloc(len);
	cr_assert_not_null(yaml);
	size_t w = (size_t)snprintf(yaml, len, "%s",
				    HEAD DOMAIN HOSTS "processes:\n");
	for (unsigned i = 0; i < n; i++) {
		w += (size_t)snprintf(yaml + w, len - w,
				      "  - name: P%u\n    host: ws1\n"
				      "    account: alice\n", i);
		if (i + 1 < n)
			w += (size_t)snprintf(yaml + w, len - w,
					      "    steps: [{do: call, "
					      "to: P%u}]\n", i + 1);
	}
	return yaml;
}

Test(scenario, a_chain_of_the_cap_loads)
{
	char *yaml = chain_yaml(SC_MAX_HOPS + 1);
	sc_scenario *s = load_ok(yaml, NULL);
	sc_load_free(s);
	free(yaml);
}

Test(scenario, a_chain_over_the_hop_cap_is_refused)
{
	char *yaml = chain_yaml(SC_MAX_HOPS + 2);
	/* Processes from line 12, four lines each: P16's call (the 17th
	 * hop) is on line 12 + 16 * 4 + 3, its "to" at column 28. */
	fails_once(yaml, 12 + 16 * 4 + 3, 28,
		   "this call makes a chain of 17 hops (P0 -> P1 -> P2");
	free(yaml);
}

/* ---- files ------------------------------------------------------------ */

static char *temp_file(const char *data, size_t len)
{
	char *path = strdup("/tmp/test-scenario-XXXXXX");
	cr_assert_not_null(path);
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

Test(scenario, load_file)
{
	char *path = temp_file(full_yaml, strlen(full_yaml));
	sc_scenario *s = NULL;
	sc_load_errors errs = {0};
	cr_assert_eq(sc_load_file(path, "cloaking-off", &s, &errs), 0);
	cr_expect_eq(errs.count, 0);
	cr_expect_str_eq(s->name, "seed-diagram");
	cr_expect_eq(s->expect_count, 3);
	sc_load_free(s);
	unlink(path);
	free(path);
}

Test(scenario, load_file_errors_name_the_file)
{
	char *path = temp_file(BASE "bogus: 1\n", strlen(BASE "bogus: 1\n"));
	sc_scenario *s = NULL;
	sc_load_errors errs = {0};
	cr_assert_eq(sc_load_file(path, NULL, &s, &errs), SC_ERR_INVAL);
	cr_assert_eq(errs.count, 1);
	char buf[512], want[512];
	sc_load_error_format(&errs.items[0], buf, sizeof(buf));
	snprintf(want, sizeof(want), "%s:22:1: unknown top-level key 'bogus'",
		 path);
	cr_expect_eq(strncmp(buf, want, strlen(want)), 0, "'%s'", buf);
	sc_load_errors_free(&errs);
	unlink(path);
	free(path);
}

Test(scenario, load_file_missing)
{
	sc_scenario *s = (sc_scenario *)1;
	sc_load_errors errs = {0};
	cr_assert_eq(sc_load_file("/nonexistent/x.yaml", NULL, &s, &errs),
		     SC_ERR_INVAL);
	cr_expect_null(s);
	cr_assert_eq(errs.count, 1);
	char buf[512];
	sc_load_error_format(&errs.items[0], buf, sizeof(buf));
	cr_expect_str_eq(buf, "/nonexistent/x.yaml: cannot open: No such "
			      "file or directory");
	sc_load_errors_free(&errs);
}

Test(scenario, load_file_over_one_mib)
{
	size_t len = 1024 * 1024 + 10;
	char *big = malloc(len);
	cr_assert_not_null(big);
	memset(big, '#', len);
	/* Comment lines of 64 bytes: the byte past the cap starts a line. */
	for (size_t i = 63; i < len; i += 64)
		big[i] = '\n';
	char *path = temp_file(big, len);
	sc_scenario *s = NULL;
	sc_load_errors errs = {0};
	cr_assert_eq(sc_load_file(path, NULL, &s, &errs), SC_ERR_INVAL);
	cr_assert_eq(errs.count, 1);
	cr_expect_not_null(strstr(errs.items[0].message,
				  "larger than 1 MiB"));
	cr_expect_eq(errs.items[0].line, 1024 * 1024 / 64 + 1);
	cr_expect_eq(errs.items[0].col, 1);
	sc_load_errors_free(&errs);
	unlink(path);
	free(path);
	free(big);
}

Test(scenario, error_format)
{
	sc_load_error e = {.file = "f.yaml", .line = 3, .col = 12,
			   .message = "bad"};
	char buf[64];
	sc_load_error_format(&e, buf, sizeof(buf));
	cr_expect_str_eq(buf, "f.yaml:3:12: bad");
	e.line = 0;
	e.col = 0;
	sc_load_error_format(&e, buf, sizeof(buf));
	cr_expect_str_eq(buf, "f.yaml: bad");
	sc_load_errors_free(NULL);
}

/* ---- reference checks (sc_scenario_validate), at their place --------- */

Test(validate, scenario_and_domain_names_not_empty)
{
	fails_once("scenario: ''\n" DOMAIN HOSTS PROCS, 1, 11,
		   "the scenario name is empty");
	fails_once(HEAD
		   "domain:\n"
		   "  name: ''\n"
		   "  accounts:\n"
		   "    - name: alice\n"
		   "      groups: [Domain Users]\n"
		   "    - name: svc-b\n" HOSTS PROCS,
		   3, 9, "the domain name is empty");
}

Test(validate, account_name_empty)
{
	fails_once(HEAD DOMAIN "    - name: ''\n" HOSTS PROCS, 8, 13,
		   "the account name is empty");
}

Test(validate, duplicate_account)
{
	fails_once(HEAD DOMAIN "    - name: Alice\n" HOSTS PROCS, 8, 13,
		   "duplicate account 'Alice' (also domain.accounts[0])");
}

Test(validate, account_sid_malformed)
{
	fails_once(HEAD DOMAIN
		   "    - name: carol\n"   /* 8 */
		   "      sid: X-1-5\n"    /* 9 */
		   HOSTS PROCS, 9, 12, "'X-1-5' is not a SID");
	fails_once(HEAD DOMAIN
		   "    - name: carol\n"
		   "      sid: S-1-5-\n"
		   HOSTS PROCS, 9, 12, "'S-1-5-' is not a SID");
}

Test(validate, delegation_targets_declared)
{
	fails_once(HEAD DOMAIN
		   "    - name: carol\n"                               /* 8 */
		   "      allowed_to_delegate_to: [svc-b, svc-x]\n"    /* 9 */
		   HOSTS PROCS, 9, 39, "unknown account 'svc-x'");
	fails_once(HEAD DOMAIN
		   "    - name: carol\n"
		   "      allowed_to_act: [nobody]\n"
		   HOSTS PROCS, 9, 24, "unknown account 'nobody'");
}

/* A misspelt account in either list is named at the bad name, with the
 * declared account it is nearest to. */
Test(validate, delegation_targets_did_you_mean)
{
	fails_once(HEAD DOMAIN
		   "    - name: carol\n"                               /* 8 */
		   "      allowed_to_delegate_to: [svc-b, svc-bb]\n"   /* 9 */
		   HOSTS PROCS, 9, 39,
		   "allowed_to_delegate_to[1]: unknown account 'svc-bb' "
		   "(did you mean 'svc-b'? ");
	fails_once(HEAD DOMAIN
		   "    - name: carol\n"
		   "      allowed_to_act: [alicee]\n"
		   HOSTS PROCS, 9, 24,
		   "allowed_to_act[0]: unknown account 'alicee' (did you "
		   "mean 'alice'? ");
	/* Nothing near: no guess, the declared accounts are listed. */
	fails_once(HEAD DOMAIN
		   "    - name: carol\n"
		   "      allowed_to_act: [zzzzzzzz]\n"
		   HOSTS PROCS, 9, 24,
		   "unknown account 'zzzzzzzz' (declared accounts: alice, "
		   "svc-b, carol; ");
}

Test(validate, host_name_empty_or_duplicate)
{
	fails_once(HEAD DOMAIN HOSTS "  - name: ''\n" PROCS, 11, 11,
		   "the host name is empty");
	fails_once(HEAD DOMAIN HOSTS "  - name: ws1\n" PROCS, 11, 11,
		   "duplicate host 'ws1' (also hosts[0])");
}

Test(validate, rights)
{
	fails_once(HEAD DOMAIN HOSTS
		   "    rights:\n"                        /* 11 */
		   "      - privilege: ''\n"              /* 12 */
		   "        holders: []\n" PROCS,
		   12, 20, "the privilege name is empty");
	fails_once(HEAD DOMAIN HOSTS
		   "    rights:\n"                                 /* 11 */
		   "      - privilege: SeImpersonatePrivilege\n"   /* 12 */
		   "        holders: [SERVICE]\n"                  /* 13 */
		   "      - privilege: seimpersonateprivilege\n"   /* 14 */
		   "        holders: []\n" PROCS,
		   14, 20,
		   "'seimpersonateprivilege' is assigned twice on host 'srv1' "
		   "at scope local (also rights[0])");
}

Test(validate, rights_holders_known)
{
	fails_once(HEAD DOMAIN HOSTS
		   "    rights:\n"                                  /* 11 */
		   "      - privilege: SeImpersonatePrivilege\n"    /* 12 */
		   "        holders: [SERVICE, Domain Users, CORP\\alice, "
		   "BUILTIN\\Administrators, S-1-5-32-544, Nobody]\n" /* 13 */
		   PROCS, 13, 92, "unknown principal 'Nobody'");
	fails_once(HEAD DOMAIN HOSTS
		   "    rights:\n"
		   "      - privilege: SeTcbPrivilege\n"
		   "        holders: [OTHER\\alice]\n"
		   PROCS, 13, 19, "unknown principal 'OTHER\\alice'");
}

Test(validate, process_names)
{
	fails_once(BASE
		   "  - name: ''\n"        /* 22 */
		   "    host: ws1\n"
		   "    account: alice\n",
		   22, 11, "the process name is empty");
	fails_once(BASE
		   "  - name: X->Y\n"
		   "    host: ws1\n"
		   "    account: alice\n",
		   22, 11, "process name 'X->Y' contains '->', '#' or '='");
	fails_once(BASE
		   "  - name: A\n"
		   "    host: ws1\n"
		   "    account: alice\n",
		   22, 11, "duplicate process 'A' (also processes[0])");
}

/* The names the authority would refuse (they name its key files) are
 * refused by the loader, at their position, by the same rule. */
Test(validate, process_names_the_authority_refuses)
{
	fails_once(BASE
		   "  - name: /\n"
		   "    host: ws1\n"
		   "    account: alice\n",
		   22, 11, "process name '/' contains '/'");
	fails_once(BASE
		   "  - name: ../x\n"
		   "    host: ws1\n"
		   "    account: alice\n",
		   22, 11, "process name '../x' begins with '.'");
	fails_once(BASE
		   "  - name: .hidden\n"
		   "    host: ws1\n"
		   "    account: alice\n",
		   22, 11, "begins with '.'");
	fails_once(BASE
		   "  - name: \"x\\ny\"\n"
		   "    host: ws1\n"
		   "    account: alice\n",
		   22, 11, "control character (byte 0x0a at offset 1)");
	char name[SC_PROCESS_NAME_MAX + 2];
	memset(name, 'p', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	char yaml[2048];
	snprintf(yaml, sizeof(yaml),
		 BASE "  - name: %s\n    host: ws1\n    account: alice\n",
		 name);
	fails_once(yaml, 22, 11, "bytes long, more than 63");
	/* One byte less is a name. */
	name[SC_PROCESS_NAME_MAX] = '\0';
	snprintf(yaml, sizeof(yaml),
		 BASE "  - name: %s\n    host: ws1\n    account: alice\n",
		 name);
	sc_load_free(load_ok(yaml, NULL));
	char why[200];
	cr_expect(sc_process_name_ok("procB", why, sizeof(why)));
	cr_expect_not(sc_process_name_ok("a/b", why, sizeof(why)));
}

/* A name or value with a control character is refused where it is
 * (it is printed, and could fake lines of a report); a description may
 * hold line breaks (printed escaped). */
Test(validate, control_characters_only_in_a_description)
{
	fails_once(BASE
		   "    steps:\n"                               /* 22 */
		   "      - do: revert\n"                       /* 23 */
		   "        id: \"x\\nPASS A->B\"\n",             /* 24 */
		   24, 13, "holds a control character (byte 0x0a");
	fails_once("scenario: \"t\\e[2K\"\n" DOMAIN HOSTS PROCS, 1, 11,
		   "'scenario' holds a control character (byte 0x1b");
	sc_scenario *s = load_ok(BASE "description: \"two\\nlines\"\n",
				 NULL);
	cr_expect_str_eq(s->description, "two\nlines");
	sc_load_free(s);
}

/* Nesting is checked while parsing, before a document is built: the
 * first collection past 64 levels is named, and a file of a million
 * levels (the 1 MiB cap) is refused at once (it took half an hour when
 * the depth was checked on the built document, libyaml's cost growing
 * with the square of the depth). */
Test(scenario, deep_nesting_is_refused_while_parsing)
{
	size_t levels = (1024 * 1024 - 64) / 2;
	size_t len = strlen("scenario: t\ndescription: ") + 2 * levels;
	char *yaml = malloc(len + 1);
	cr_assert_not_null(yaml);
	size_t w = (size_t)sprintf(yaml, "scenario: t\ndescription: ");
	memset(yaml + w, '[', levels);
	memset(yaml + w + levels, ']', levels);
	yaml[len] = '\0';
	struct loaded l = load_fails(yaml, NULL, 1);
	/* Level 1 is the top mapping: the 64th '[' (column 14 + 63) is
	 * level 65. */
	assert_error(&l, 0, 2, 77, "nested deeper than 64 levels");
	sc_load_errors_free(&l.errs);
	free(yaml);
	/* Block style, one level a line. */
	char block[8192] = "scenario: t\ndescription:\n";
	for (int i = 0; i < 70; i++) {
		size_t b = strlen(block);
		snprintf(block + b, sizeof(block) - b, "%*s-\n", i, "");
	}
	l = load_fails(block, NULL, 1);
	assert_error(&l, 0, 2 + 64, 64, "nested deeper than 64 levels");
	sc_load_errors_free(&l.errs);
}

Test(validate, process_host_declared)
{
	fails_once(BASE
		   "  - name: C\n"          /* 22 */
		   "    host: nohost\n"     /* 23 */
		   "    account: alice\n",
		   23, 11, "unknown host 'nohost' (declared hosts: ws1, srv1)");
	fails_once(BASE
		   "  - name: C\n"
		   "    host: ''\n"
		   "    account: alice\n",
		   23, 11, "the host is empty");
}

Test(validate, process_account_declared)
{
	fails_once(BASE
		   "  - name: C\n"          /* 22 */
		   "    host: ws1\n"        /* 23 */
		   "    account: mallory\n", /* 24 */
		   24, 14,
		   "unknown account 'mallory' (declared accounts: alice, svc-b; "
		   "or LOCAL SERVICE, NETWORK SERVICE, SYSTEM)");
	fails_once(BASE
		   "  - name: C\n"
		   "    host: ws1\n"
		   "    account: OTHER\\alice\n",
		   24, 14, "unknown account 'OTHER\\alice'");
}

Test(validate, well_known_and_qualified_accounts_are_fine)
{
	sc_scenario *s = load_ok(BASE
				 "  - name: C\n"
				 "    host: ws1\n"
				 "    account: local service\n"
				 "  - name: D\n"
				 "    host: ws1\n"
				 "    account: NT AUTHORITY\\NETWORK SERVICE\n"
				 "  - name: E\n"
				 "    host: ws1\n"
				 "    account: SYSTEM\n"
				 "  - name: F\n"
				 "    host: ws1\n"
				 "    account: corp\\ALICE\n",
				 NULL);
	cr_expect_eq(s->processes_count, 6);
	sc_load_free(s);
}

Test(validate, blanket_identity_declared)
{
	fails_once(BASE
		   "    blanket:\n"             /* 22 */
		   "      identity: mallory\n",  /* 23 */
		   23, 17, "unknown account 'mallory'");
	fails_once(BASE
		   "    steps:\n"                          /* 22 */
		   "      - do: call\n"                    /* 23 */
		   "        to: A\n"                       /* 24 */
		   "        blanket: {identity: mallory}\n", /* 25 */
		   25, 29, "unknown account 'mallory'");
}

/* C1: an explicit identity passes the account's password: a process
 * holds only its own; and pipes and DDE take none. */
Test(validate, blanket_identity_is_the_process_own_account)
{
	fails_once(BASE
		   "    blanket:\n"             /* 22 */
		   "      identity: alice\n",   /* 23 */
		   23, 17, "a process holds only its own account's");
	fails_once(BASE
		   "    steps:\n"                          /* 22 */
		   "      - do: set_blanket\n"             /* 23 */
		   "        to: A\n"                       /* 24 */
		   "        blanket: {identity: alice}\n", /* 25 */
		   25, 29, "explicit identity 'alice' on a proxy of process 'B'");
	fails_once(BASE
		   "    blanket:\n"                          /* 22 */
		   "      transport: pipe\n"                 /* 23 */
		   "      identity: CORP\\svc-b\n",         /* 24 */
		   24, 17, "on a pipe client: only COM and RPC");
	fails_once(BASE
		   "    steps:\n"                                      /* 22 */
		   "      - do: call\n"                                /* 23 */
		   "        to: A\n"                                   /* 24 */
		   "        blanket: {transport: dde, identity: svc-b}\n", /* 25 */
		   25, 45, "on a dde client");
	sc_scenario *s = load_ok(BASE
				 "    blanket: {identity: CORP\\SVC-B, "
				 "transport: rpc}\n"
				 "    steps:\n"
				 "      - do: set_blanket\n"
				 "        to: A\n"
				 "        blanket: {identity: svc-b}\n",
				 NULL);
	sc_load_free(s);
}

/* A step's blanket records the keys it wrote, zero values included, so
 * that `cloaking: none` and `level: default` override (item of C1). */
Test(scenario, a_step_blanket_knows_what_it_gave)
{
	sc_scenario *s = load_ok(BASE
				 "    blanket: {cloaking: dynamic, level: delegate}\n"
				 "    steps:\n"
				 "      - do: set_blanket\n"
				 "        to: A\n"
				 "        blanket: {cloaking: none, level: default, "
				 "sqos: false}\n"
				 "      - do: set_blanket\n"
				 "        to: A\n"
				 "        blanket: {authn: call}\n",
				 NULL);
	const sc_process_def *b = &s->processes[1];
	cr_expect_eq(b->blanket.given, SC_GIVEN_CLOAKING | SC_GIVEN_LEVEL);
	cr_assert_not_null(b->steps[0].blanket);
	cr_expect_eq(b->steps[0].blanket->given,
		     SC_GIVEN_CLOAKING | SC_GIVEN_LEVEL | SC_GIVEN_SQOS);
	cr_expect_eq(b->steps[0].blanket->cloaking, SC_CLOAK_NONE);
	cr_expect_eq(b->steps[0].blanket->level, SC_LEVEL_DEFAULT);
	cr_expect_eq(b->steps[1].blanket->given, SC_GIVEN_AUTHN);
	sc_scenario *copy = NULL;
	cr_assert_eq(sc_load_clone(s, &copy), 0);
	cr_expect_eq(copy->processes[1].steps[0].blanket->given,
		     SC_GIVEN_CLOAKING | SC_GIVEN_LEVEL | SC_GIVEN_SQOS);
	sc_load_free(copy);
	sc_load_free(s);
}

/* T4: runs_as names the account a start_process step's new process runs
 * as; it belongs to such a step only. `warning: none` is a valid value. */
Test(validate, runs_as_is_for_a_start_process_step)
{
	fails_once(BASE
		   "    steps:\n"                                  /* 22 */
		   "      - {do: revert, id: r}\n"                  /* 23 */
		   "expect:\n"                                     /* 24 */
		   "  - {step: r, runs_as: svc-b}\n",               /* 25 */
		   25, 24, "'runs_as' is for a start_process step; step 'r' "
			   "is a revert step");
	fails_once(BASE
		   "expect:\n"                                     /* 22 */
		   "  - {hop: A->B, runs_as: svc-b}\n",             /* 23 */
		   23, 26, "name it with 'step'");
	fails_once(BASE
		   "    steps:\n"                                  /* 22 */
		   "      - {do: start_process, id: p}\n"          /* 23 */
		   "expect:\n"                                     /* 24 */
		   "  - {step: p, runs_as: mallory}\n",             /* 25 */
		   25, 24, "unknown account 'mallory'");
	sc_scenario *s = load_ok(BASE
				 "    steps:\n"
				 "      - {do: start_process, id: p}\n"
				 "expect:\n"
				 "  - {step: p, runs_as: NT AUTHORITY\\SYSTEM, "
				 "warning: none}\n"
				 "  - {hop: A->B, warning: NONE}\n",
				 NULL);
	cr_expect_str_eq(s->expect[0].runs_as, "NT AUTHORITY\\SYSTEM");
	sc_load_free(s);
}

/* `chosen` is whom a caller chose for a hop: it names a hop, and a
 * dropping expectation takes none. */
Test(validate, chosen_is_for_a_hop)
{
	fails_once(BASE
		   "    steps:\n"                                  /* 22 */
		   "      - {do: revert, id: r}\n"                  /* 23 */
		   "expect:\n"                                     /* 24 */
		   "  - {step: r, chosen: alice}\n",                /* 25 */
		   25, 23, "'chosen' is the identity a caller chose for a "
			   "hop: name the hop with 'hop'");
	fails_once(BASE
		   "variants:\n"                                   /* 22 */
		   "  - name: v\n"                                 /* 23 */
		   "    expect:\n"                                 /* 24 */
		   "      - {hop: A->B, drop: true, chosen: alice}\n", /* 25 */
		   25, 41, "a dropping expectation takes no 'chosen'");
	sc_scenario *s = load_ok(BASE
				 "expect:\n"
				 "  - {hop: A->B, chosen: CORP\\alice}\n",
				 NULL);
	cr_expect_str_eq(s->expect[0].chosen, "CORP\\alice");
	sc_scenario *copy = NULL;
	cr_assert_eq(sc_load_clone(s, &copy), 0);
	cr_expect_str_eq(copy->expect[0].chosen, "CORP\\alice");
	sc_load_free(copy);
	sc_load_free(s);
}

/* A status as Windows spells it (a Win32 error, an NTSTATUS, an
 * HRESULT) is not the scenario's spelling, but the error points to it:
 * the prefix dropped, or the nearest name. */
Test(validate, windows_status_spellings_suggest_the_status)
{
	static const char *const cases[][2] = {
		{"ERROR_ACCESS_DENIED", "ACCESS_DENIED"},
		{"STATUS_ACCESS_DENIED", "ACCESS_DENIED"},
		{"RPC_E_ACCESS_DENIED", "ACCESS_DENIED"},
		{"E_ACCESSDENIED", "ACCESS_DENIED"},
		{"ERROR_NO_TOKEN", "NO_TOKEN"},
		{"ERROR_PRIVILEGE_NOT_HELD", "PRIVILEGE_NOT_HELD"},
		{"ERROR_BAD_IMPERSONATION_LEVEL", "BAD_IMPERSONATION_LEVEL"},
		{"ERROR_LOGON_FAILURE", "LOGON_FAILURE"},
		{"ERROR_ACCES_DENIED", "ACCESS_DENIED"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *near = sc_status_suggest(cases[i][0]);
		cr_expect(near && strcmp(near, cases[i][1]) == 0,
			  "%s: %s, not %s", cases[i][0],
			  near ? near : "(none)", cases[i][1]);
	}
	cr_expect_null(sc_status_suggest("ERROR_"));
	cr_expect_null(sc_status_suggest("ERROR_FILE_NOT_FOUND_AT_ALL"));
	fails_once(BASE
		   "expect:\n"                                     /* 22 */
		   "  - {hop: A->B, status: ERROR_ACCESS_DENIED}\n", /* 23 */
		   23, 25, "invalid status 'ERROR_ACCESS_DENIED' (did you "
			   "mean 'ACCESS_DENIED'?");
	fails_once(BASE
		   "expect:\n"                                     /* 22 */
		   "  - {hop: A->B, status: \"!STATUS_NO_TOKEN\"}\n",  /* 23 */
		   23, 25, "invalid status '!STATUS_NO_TOKEN' (did you mean "
			   "'!NO_TOKEN'?");
}

/* The negative expectations and the ones on notes: a negated status
 * names a status after its '!', `absent` a rule id, `authn` a hop's
 * authentication level, `note` some text; each wrong value is an error
 * at its place, with did-you-mean. */
Test(validate, negative_and_note_expectations)
{
	fails_once(BASE
		   "expect:\n"                                     /* 22 */
		   "  - {hop: A->B, status: \"!OK\", absent: D9}\n", /* 23 */
		   23, 40, "unknown rule id 'D9' (did you mean 'D1'?");
	fails_once(BASE
		   "expect:\n"                                     /* 22 */
		   "  - {hop: A->B, status: \"!ACCES_DENIED\"}\n",  /* 23 */
		   23, 25, "invalid status '!ACCES_DENIED' (did you mean "
			   "'!ACCESS_DENIED'?");
	fails_once(BASE
		   "expect:\n"                                     /* 22 */
		   "  - {hop: A->B, status: \"!\"}\n",             /* 23 */
		   23, 25, "invalid status '!'");
	fails_once(BASE
		   "expect:\n"                                     /* 22 */
		   "  - {hop: A->B, authn: pakcet}\n",             /* 23 */
		   23, 24, "invalid authentication level 'pakcet' (did you "
			   "mean 'packet'?");
	fails_once(BASE
		   "    steps:\n"                                  /* 22 */
		   "      - {do: revert, id: r}\n"                  /* 23 */
		   "expect:\n"                                     /* 24 */
		   "  - {step: r, authn: connect}\n",               /* 25 */
		   25, 22, "'authn' is the authentication level of a hop");
	fails_once(BASE
		   "expect:\n"                                     /* 22 */
		   "  - {hop: A->B, note: \"\"}\n",                /* 23 */
		   23, 23, "'note' is empty");
	sc_scenario *s = load_ok(BASE
				 "expect:\n"
				 "  - {hop: A->B, status: '!OK', absent: p2, "
				 "authn: RPC_C_AUTHN_LEVEL_PKT, note: Identify}\n",
				 NULL);
	cr_expect_str_eq(s->expect[0].status, "!OK");
	cr_expect(sc_expect_status_negated(s->expect[0].status));
	cr_expect_str_eq(sc_expect_status_name(s->expect[0].status), "OK");
	cr_expect_str_eq(s->expect[0].absent, "p2");
	cr_expect_str_eq(s->expect[0].authn, "RPC_C_AUTHN_LEVEL_PKT");
	cr_expect_str_eq(s->expect[0].note, "Identify");
	sc_load_free(s);
}

Test(validate, call_needs_a_target)
{
	fails_once(BASE
		   "    steps:\n"           /* 22 */
		   "      - do: call\n",    /* 23 */
		   23, 9, "step 'call' needs 'to'");
	fails_once(BASE
		   "    steps:\n"
		   "      - do: set_blanket\n",
		   23, 9, "step 'set_blanket' needs 'to'");
}

Test(validate, call_to_an_undeclared_process)
{
	fails_once(BASE
		   "    steps:\n"           /* 22 */
		   "      - do: call\n"     /* 23 */
		   "        to: Z\n",       /* 24 */
		   24, 13, "unknown process 'Z' (declared processes: A, B)");
}

Test(validate, call_to_itself)
{
	fails_once(BASE
		   "    steps:\n"
		   "      - do: call\n"
		   "        to: B\n",
		   24, 13, "step 'call' of process 'B' targets itself");
	fails_once(BASE
		   "    steps:\n"
		   "      - do: set_blanket\n"
		   "        to: B\n",
		   24, 13, "step 'set_blanket' of process 'B' targets itself");
}

Test(validate, open_needs_an_object)
{
	fails_once(BASE
		   "    steps:\n"                /* 22 */
		   "      - do: open\n"          /* 23 */
		   "        access: [read]\n",
		   23, 9, "step 'open' needs 'object'");
	fails_once(BASE
		   "    steps:\n"
		   "      - do: access_check\n",
		   23, 9, "step 'access_check' needs 'object'");
}

Test(validate, object_on_the_process_host)
{
	/* B runs on srv1; the only report is on ws1. */
	fails_once(BASE
		   "    steps:\n"                /* 22 */
		   "      - do: open\n"          /* 23 */
		   "        object: report\n"    /* 24 */
		   "objects:\n"
		   "  - name: report\n"
		   "    host: ws1\n"
		   "    owner: alice\n",
		   24, 17,
		   "object 'report' is on host 'ws1', not on 'srv1' where "
		   "process 'B' runs");
	fails_once(BASE
		   "    steps:\n"
		   "      - do: access_check\n"
		   "        object: report\n",
		   24, 17, "unknown object 'report' (no object of that name on "
			   "host 'srv1')");
}

Test(validate, step_access_names)
{
	fails_once(BASE
		   "    steps:\n"                             /* 22 */
		   "      - do: access_check\n"               /* 23 */
		   "        object: report\n"                 /* 24 */
		   "        access: [read, frobnicate]\n"     /* 25 */
		   "objects:\n"
		   "  - name: report\n"
		   "    host: srv1\n"
		   "    owner: svc-b\n",
		   25, 24,
		   "unknown access right 'frobnicate' for a file (expected "
		   "one of: all, read, write, execute, delete, read_control, "
		   "write_dac, write_owner, read_data, write_data, "
		   "append_data, read_ea, write_ea, file_execute, "
		   "delete_child, read_attributes, write_attributes, "
		   "synchronize, maximum_allowed, or a Windows name such as "
		   "GENERIC_READ)");
}

/* T6: an object's type decides which right names its ACEs and the steps
 * that open it may use; a misspelling gets the nearest of them. */
Test(validate, right_names_follow_the_object_type)
{
	fails_once(BASE
		   "    steps:\n"                             /* 22 */
		   "      - do: access_check\n"               /* 23 */
		   "        object: hklm-run\n"               /* 24 */
		   "        access: [KEY_QUERY_VALU]\n"       /* 25 */
		   "objects:\n"
		   "  - name: hklm-run\n"
		   "    type: key\n"
		   "    host: srv1\n"
		   "    owner: svc-b\n",
		   25, 18,
		   "unknown access right 'KEY_QUERY_VALU' for a key (did you "
		   "mean 'KEY_QUERY_VALUE'? expected one of: all, read, write, "
		   "execute, delete, read_control, write_dac, write_owner, "
		   "query_value,");
	/* A file's right on a key: not one of its names. */
	fails_once(BASE
		   "    steps:\n"                             /* 22 */
		   "      - do: open\n"                       /* 23 */
		   "        object: spooler\n"                /* 24 */
		   "        access: [read_data]\n"            /* 25 */
		   "objects:\n"
		   "  - name: spooler\n"
		   "    type: service\n"
		   "    host: srv1\n"
		   "    owner: svc-b\n",
		   25, 18, "unknown access right 'read_data' for a service");
	/* An ACE's rights follow its object's type, and so does granted. */
	fails_once(BASE
		   "    steps:\n"                             /* 22 */
		   "      - {do: open, id: o, object: spooler, access: [start]}\n"
		   "objects:\n"                                /* 24 */
		   "  - name: spooler\n"                      /* 25 */
		   "    type: service\n"                      /* 26 */
		   "    host: srv1\n"                         /* 27 */
		   "    owner: svc-b\n"                       /* 28 */
		   "    dacl: [{allow: alice, access: [SERVICE_STRAT]}]\n",
		   29, 36, "unknown access right 'SERVICE_STRAT' for a service "
			   "(did you mean 'SERVICE_START'?");
	fails_once(BASE
		   "    steps:\n"                             /* 22 */
		   "      - {do: open, id: o, object: run, access: [read]}\n"
		   "objects:\n"                                /* 24 */
		   "  - {name: run, type: key, host: srv1, owner: svc-b}\n"
		   "expect:\n"                                 /* 26 */
		   "  - {step: o, granted: read|set_valu}\n",  /* 27 */
		   27, 24, "'read|set_valu' is not a '|'-joined list of "
			   "access rights of a key (did you mean 'set_value'?");
	/* The type itself: one of the table's, with did-you-mean. */
	fails_once(BASE
		   "objects:\n"                                /* 22 */
		   "  - {name: run, type: servce, host: srv1, owner: svc-b}\n",
		   23, 23, "'servce' for 'objects[0].type' (did you mean "
			   "'service'?");
}

Test(validate, object_types_and_their_windows_spellings_load)
{
	sc_scenario *s = load_ok(BASE
				 "    steps:\n"
				 "      - {do: open, object: a, access: "
				 "[GENERIC_READ, FILE_READ_DATA, SYNCHRONIZE]}\n"
				 "      - {do: open, object: b, access: "
				 "[create_pipe_instance, FILE_WRITE_DATA]}\n"
				 "      - {do: open, object: c, access: "
				 "[KEY_READ, set_value, GENERIC_WRITE]}\n"
				 "      - {do: open, object: d, access: "
				 "[SERVICE_START, stop, read]}\n"
				 "objects:\n"
				 "  - {name: a, host: srv1, owner: svc-b}\n"
				 "  - {name: b, type: named_pipe, host: srv1, "
				 "owner: svc-b}\n"
				 "  - {name: c, type: SE_REGISTRY_KEY, host: srv1, "
				 "owner: svc-b}\n"
				 "  - {name: d, type: Service, host: srv1, "
				 "owner: svc-b}\n",
				 NULL);
	cr_expect_eq(s->objects[0].type, SC_OBJ_FILE);
	cr_expect_eq(s->objects[1].type, SC_OBJ_PIPE);
	cr_expect_eq(s->objects[2].type, SC_OBJ_KEY);
	cr_expect_eq(s->objects[3].type, SC_OBJ_SERVICE);
	sc_load_free(s);
}

Test(validate, every_right_name_is_accepted)
{
	sc_scenario *s = load_ok(BASE
				 "    steps:\n"
				 "      - do: open\n"
				 "        object: report\n"
				 "        access: [READ, write, execute, all, "
				 "delete, read_control, write_dac, write_owner, "
				 "maximum_allowed, read_data, write_data, "
				 "append_data, read_ea, write_ea, file_execute, "
				 "read_attributes, write_attributes, "
				 "synchronize]\n"
				 "objects:\n"
				 "  - name: report\n"
				 "    host: srv1\n"
				 "    owner: svc-b\n",
				 NULL);
	cr_expect_eq(s->processes[1].steps[0].access_count, 18);
	sc_load_free(s);
}

Test(validate, fields_a_step_does_not_use)
{
	struct loaded l = load_fails(BASE
				     "    steps:\n"                    /* 22 */
				     "      - do: revert\n"            /* 23 */
				     "        to: A\n"                 /* 24 */
				     "      - do: call\n"              /* 25 */
				     "        to: A\n"                 /* 26 */
				     "        object: report\n"        /* 27 */
				     "      - do: sleep\n"             /* 28 */
				     "        access: [read]\n"        /* 29 */
				     "      - do: impersonate\n"       /* 30 */
				     "        blanket: {level: delegate}\n" /* 31 */
				     "      - do: query_level\n"       /* 32 */
				     "        ms: 5\n",                /* 33 */
				     NULL, 5);
	assert_error(&l, 0, 24, 13, "'to' is not used by step 'revert'");
	assert_error(&l, 1, 27, 17, "'object' is not used by step 'call'");
	assert_error(&l, 2, 29, 17, "'access' is not used by step 'sleep'");
	assert_error(&l, 3, 31, 18,
		     "'blanket' is not used by step 'impersonate'");
	assert_error(&l, 4, 33, 13, "'ms' is not used by step 'query_level'");
	sc_load_errors_free(&l.errs);
}

Test(validate, step_ids)
{
	fails_once(BASE
		   "    steps:\n"             /* 22 */
		   "      - do: revert\n"     /* 23 */
		   "        id: a-call\n",    /* 24 */
		   24, 13,
		   "duplicate step id 'a-call' (also processes[0].steps[0])");
	fails_once(BASE
		   "    steps:\n"
		   "      - do: revert\n"
		   "        id: A-CALL\n",
		   24, 13, "duplicate step id 'A-CALL'");
	fails_once(BASE
		   "    steps:\n"
		   "      - do: revert\n"
		   "        id: ''\n",
		   24, 13, "the step id is empty");
}

Test(validate, object_names_and_hosts)
{
	fails_once(BASE
		   "objects:\n"             /* 22 */
		   "  - name: ''\n"         /* 23 */
		   "    host: srv1\n"
		   "    owner: svc-b\n",
		   23, 11, "the object name is empty");
	fails_once(BASE
		   "objects:\n"
		   "  - name: report\n"
		   "    host: nohost\n"     /* 24 */
		   "    owner: svc-b\n",
		   24, 11, "unknown host 'nohost'");
	fails_once(BASE OBJECT
		   "  - name: report\n"      /* 29 */
		   "    host: srv1\n"
		   "    owner: svc-b\n",
		   29, 11, "duplicate object 'report' on host 'srv1' (also "
			   "objects[0])");
}

Test(validate, same_object_name_on_two_hosts_is_fine)
{
	sc_scenario *s = load_ok(BASE OBJECT
				 "  - name: report\n"
				 "    host: ws1\n"
				 "    owner: alice\n",
				 NULL);
	cr_expect_eq(s->objects_count, 2);
	sc_load_free(s);
}

Test(validate, object_owner_known)
{
	fails_once(BASE
		   "objects:\n"
		   "  - name: report\n"
		   "    host: srv1\n"
		   "    owner: nobody\n",     /* 25 */
		   25, 12, "unknown principal 'nobody'");
}

Test(validate, null_dacl_with_entries)
{
	fails_once(BASE
		   "objects:\n"                /* 22 */
		   "  - name: report\n"        /* 23 */
		   "    host: srv1\n"          /* 24 */
		   "    owner: svc-b\n"        /* 25 */
		   "    null_dacl: true\n"     /* 26 */
		   "    dacl:\n"               /* 27 */
		   "      - allow: alice\n"    /* 28 */
		   "        access: [read]\n",
		   28, 7, "null_dacl is true but dacl has 1 entry");
}

/* dacl_sddl: the column of the bad token inside the text, plain and
 * quoted. */
Test(validate, dacl_sddl_error_names_the_bad_token)
{
	fails_once(BASE
		   "objects:\n"                /* 22 */
		   "  - name: report\n"        /* 23 */
		   "    host: srv1\n"          /* 24 */
		   "    dacl_sddl: O:BAD:(A;;FQ;;;BA)\n",
		   25, 26, "'FQ' is not an access right");
	fails_once(BASE
		   "objects:\n"
		   "  - name: report\n"
		   "    host: srv1\n"
		   "    dacl_sddl: \"O:BAD:(A;;FA;;;BA)(A;;FR;;;QQ)\"\n",
		   25, 44, "'QQ' is not a SID");
}

Test(validate, dacl_sddl_owner_once_and_a_dacl)
{
	fails_once(BASE
		   "objects:\n"
		   "  - name: report\n"
		   "    host: srv1\n"
		   "    owner: alice\n"       /* 25 */
		   "    dacl_sddl: \"O:BAD:\"\n",
		   25, 12, "the owner is given twice");
	fails_once(BASE
		   "objects:\n"
		   "  - name: report\n"
		   "    host: srv1\n"
		   "    dacl_sddl: \"O:BA\"\n",  /* 25 */
		   25, 16, "no D: part");
	fails_once(BASE
		   "objects:\n"
		   "  - name: report\n"        /* 23 */
		   "    host: srv1\n"
		   "    dacl_sddl: \"D:\"\n",
		   23, 5, "needs its owner");
	fails_once(BASE
		   "objects:\n"
		   "  - name: report\n"
		   "    host: srv1\n"
		   "    owner: alice\n"
		   "    null_dacl: true\n"
		   "    dacl_sddl: \"D:\"\n",   /* 27 */
		   27, 16, "give the DACL once");
}

Test(validate, ace_allow_xor_deny)
{
	fails_once(BASE
		   "objects:\n"
		   "  - name: report\n"
		   "    host: srv1\n"
		   "    owner: svc-b\n"
		   "    dacl:\n"                /* 26 */
		   "      - allow: alice\n"     /* 27 */
		   "        deny: svc-b\n"
		   "        access: [read]\n",
		   27, 9, "an ACE has both 'allow' and 'deny'");
	fails_once(BASE
		   "objects:\n"
		   "  - name: report\n"
		   "    host: srv1\n"
		   "    owner: svc-b\n"
		   "    dacl:\n"
		   "      - access: [read]\n",  /* 27 */
		   27, 9, "an ACE needs 'allow' or 'deny'");
}

Test(validate, ace_principal_and_access)
{
	fails_once(BASE
		   "objects:\n"
		   "  - name: report\n"
		   "    host: srv1\n"
		   "    owner: svc-b\n"
		   "    dacl:\n"
		   "      - deny: nobody\n"     /* 27 */
		   "        access: [read]\n",
		   27, 15, "unknown principal 'nobody'");
	fails_once(BASE
		   "objects:\n"
		   "  - name: report\n"
		   "    host: srv1\n"
		   "    owner: svc-b\n"
		   "    dacl:\n"
		   "      - allow: Everyone\n"
		   "        access: []\n",      /* 28 */
		   28, 17, "an ACE needs at least one access right");
	fails_once(BASE
		   "objects:\n"
		   "  - name: report\n"
		   "    host: srv1\n"
		   "    owner: svc-b\n"
		   "    dacl:\n"
		   "      - allow: Authenticated Users\n"
		   "        access: [raed]\n",  /* 28 */
		   28, 18, "unknown access right 'raed'");
}

Test(validate, settings_double_hop_status)
{
	fails_once(BASE
		   "settings:\n"                    /* 22 */
		   "  double_hop_status: DENIED\n", /* 23 */
		   23, 22,
		   "invalid status 'DENIED' (expected one of: OK, ACCESS_DENIED, "
		   "BAD_IMPERSONATION_LEVEL");
}

Test(validate, expectation_needs_one_of_hop_or_step)
{
	fails_once(BASE
		   "expect:\n"             /* 22 */
		   "  - status: OK\n",     /* 23 */
		   23, 5, "an expectation needs 'hop' or 'step'");
	fails_once(BASE
		   "expect:\n"
		   "  - hop: A->B\n"
		   "    step: a-call\n",
		   23, 5, "an expectation has both 'hop' and 'step'");
}

Test(validate, hop_syntax)
{
	struct loaded l = load_fails(BASE
				     "expect:\n"             /* 22 */
				     "  - hop: A-B\n"        /* 23 */
				     "  - hop: A->B#0\n"     /* 24 */
				     "  - hop: A->B#x\n"     /* 25 */
				     "  - hop: ->B\n"        /* 26 */
				     "  - hop: A->\n",       /* 27 */
				     NULL, 5);
	assert_error(&l, 0, 23, 10, "'A-B' is not a hop (expected FROM->TO "
				    "or FROM->TO#N");
	assert_error(&l, 1, 24, 10, "'A->B#0' is not a hop");
	assert_error(&l, 2, 25, 10, "'A->B#x' is not a hop");
	assert_error(&l, 3, 26, 10, "'->B' is not a hop");
	assert_error(&l, 4, 27, 10, "'A->' is not a hop");
	sc_load_errors_free(&l.errs);
}

Test(validate, hop_processes_declared_and_calling)
{
	fails_once(BASE
		   "expect:\n"
		   "  - hop: A->Z\n",      /* 23 */
		   23, 10, "unknown process 'Z' in hop 'A->Z'");
	fails_once(BASE
		   "expect:\n"
		   "  - hop: Q->B#3\n",
		   23, 10, "unknown process 'Q' in hop 'Q->B#3'");
	fails_once(BASE
		   "expect:\n"
		   "  - hop: B->A\n",
		   23, 10, "hop 'B->A' cannot happen: no call step of process "
			   "'B' goes to 'A'");
}

Test(validate, expectation_step_declared)
{
	fails_once(BASE
		   "expect:\n"
		   "  - step: nope\n",     /* 23 */
		   23, 11, "no step has id 'nope'");
}

Test(validate, expectation_level_status_rules_granted)
{
	struct loaded l = load_fails(BASE
				     "expect:\n"                  /* 22 */
				     "  - step: a-call\n"         /* 23 */
				     "    level: impersonat\n"    /* 24 */
				     "    status: DENIED\n"       /* 25 */
				     "    warning: P\n"           /* 26 */
				     "    rule: 2C\n"             /* 27 */
				     "    granted: read|wirte\n"  /* 28 */
				     "  - hop: A->B\n"            /* 29 */
				     "    granted: read||write\n", /* 30 */
				     NULL, 6);
	assert_error(&l, 0, 24, 12, "invalid level 'impersonat' (expected one "
				    "of: default, anonymous, identify, "
				    "impersonate, delegate)");
	assert_error(&l, 1, 25, 13, "invalid status 'DENIED'");
	assert_error(&l, 2, 26, 14, "unknown rule id 'P' (did you mean 'P1'?");
	assert_error(&l, 3, 27, 11, "unknown rule id '2C' (did you mean 'C2'?");
	assert_error(&l, 4, 28, 14, "'read|wirte' is not a '|'-joined list");
	assert_error(&l, 5, 30, 14, "'read||write' is not");
	sc_load_errors_free(&l.errs);
}

Test(validate, expectation_values_are_case_insensitive)
{
	sc_scenario *s = load_ok(BASE
				 "expect:\n"
				 "  - hop: a->b\n"
				 "  - step: A-Call\n"
				 "    level: Impersonate\n"
				 "    status: access_denied\n"
				 "    warning: p2\n"
				 "    rule: T10\n"
				 "    granted: READ|write_dac\n",
				 NULL);
	sc_load_free(s);
}

Test(validate, variant_names)
{
	fails_once(BASE
		   "variants:\n"           /* 22 */
		   "  - name: ''\n",       /* 23 */
		   23, 11, "the variant name is empty");
	fails_once(BASE
		   "variants:\n"
		   "  - name: v\n"
		   "  - name: v\n",        /* 24 */
		   24, 11, "duplicate variant 'v' (also variants[0])");
}

Test(validate, variant_set_entries_checked_without_the_variant)
{
	struct loaded l = load_fails(BASE
				     "variants:\n"                  /* 22 */
				     "  - name: v\n"                /* 23 */
				     "    set: [B.levle=impersonate, Z.level=delegate, "
				     "B.level=impersonat, alice.sensitive=maybe]\n",
				     NULL, 4);
	assert_error(&l, 0, 24, 11, "unknown key 'B.levle'");
	assert_error(&l, 1, 24, 32, "unknown process 'Z' in 'Z.level'");
	assert_error(&l, 2, 24, 50, "invalid value 'impersonat' for 'B.level'");
	assert_error(&l, 3, 24, 70, "invalid value 'maybe' for "
				    "'alice.sensitive' (expected true or "
				    "false)");
	sc_load_errors_free(&l.errs);
}

Test(validate, variant_expectations_checked)
{
	fails_once(BASE
		   "variants:\n"
		   "  - name: v\n"
		   "    expect:\n"
		   "      - hop: A->Q\n",   /* 25 */
		   25, 14, "unknown process 'Q' in hop 'A->Q'");
}

/* The path strings themselves, and the count. */
struct collected {
	char paths[16][160];
	char msgs[16][640];
	unsigned n;
};

static void collect(void *user, const char *path, const char *msg)
{
	struct collected *c = user;
	if (c->n < 16) {
		snprintf(c->paths[c->n], sizeof(c->paths[0]), "%s", path);
		snprintf(c->msgs[c->n], sizeof(c->msgs[0]), "%s", msg);
	}
	c->n++;
}

Test(validate, reports_key_paths)
{
	sc_scenario *s = load_ok(full_yaml, NULL);
	struct collected c = {.n = 0};

	free(s->processes[1].host);
	s->processes[1].host = strdup("nohost");
	free(s->processes[2].steps[0].object);
	s->processes[2].steps[0].object = NULL;
	free(s->variants[0].expect[0].hop);
	s->variants[0].expect[0].hop = strdup("B=>C");
	cr_expect_eq(sc_scenario_validate(s, collect, &c), 3);
	cr_assert_eq(c.n, 3);
	cr_expect_str_eq(c.paths[0], "processes[1].host");
	cr_expect_str_eq(c.paths[1], "processes[2].steps[0].object");
	cr_expect_str_eq(c.paths[2], "variants[0].expect[0].hop");
	cr_expect_eq(sc_scenario_validate(s, NULL, NULL), 3,
		     "counts without a callback");
	cr_expect_eq(sc_scenario_validate(NULL, NULL, NULL), 1);
	sc_load_free(s);
}

/* ---- variants --------------------------------------------------------- */

Test(variant, set_applied_and_expectations_replaced)
{
	sc_scenario *s = load_ok(full_yaml, "cloaking-off");

	cr_expect_eq(s->processes[1].blanket.cloaking, SC_CLOAK_NONE);
	cr_expect(!s->domain.accounts[1].sensitive);
	/* The variant's B->C replaces the file's; B->C#2 is another hop. */
	cr_assert_eq(s->expect_count, 3);
	cr_expect_str_eq(s->expect[0].hop, "B->C#2");
	cr_expect_str_eq(s->expect[1].step, "c-open");
	cr_expect_str_eq(s->expect[2].hop, "B->C");
	cr_expect_str_eq(s->expect[2].presented, "CORP\\svc-b");
	cr_expect_str_eq(s->expect[2].rule, "C2");
	cr_expect_null(s->expect[2].status);
	cr_expect_eq(s->variants_count, 0, "a variant's case has no variants");
	sc_load_free(s);
}

/* The file as written is a case of its own: its expectations alone,
 * also when asked for by the name `as-written`. */
Test(variant, as_written_is_the_file_alone)
{
	const char *names[] = {NULL, "as-written"};
	for (int i = 0; i < 2; i++) {
		sc_scenario *s = load_ok(full_yaml, names[i]);
		cr_expect_eq(s->processes[1].blanket.cloaking,
			     SC_CLOAK_DYNAMIC);
		cr_assert_eq(s->expect_count, 3);
		cr_expect_str_eq(s->expect[0].presented, "CORP\\alice");
		cr_expect_eq(sc_scenario_cases(s), 3);
		cr_expect_null(sc_scenario_case_variant(s, 0));
		cr_expect_str_eq(sc_scenario_case_variant(s, 1),
				 "cloaking-off");
		cr_expect_str_eq(sc_scenario_case_variant(s, 2), "empty");
		cr_expect_null(sc_scenario_case_variant(s, 3));
		cr_expect_str_eq(sc_case_name(NULL), "as-written");
		sc_load_free(s);
	}
}

/* A variant's expectation replaces the file's on the same target: the
 * same hop (B->C is B->C#1, names in any case) or the same step id; a
 * drop removes them; the rest stay. */
#define TWO_HOPS                                                              \
	BASE "    steps:\n"                     /* 22 */                      \
	"      - {do: open, id: b-open, object: report}\n" /* 23 */          \
	OBJECT                                  /* 24-30 */                   \
	"expect:\n"                             /* 31 */                      \
	"  - {hop: A->B#1, status: OK}\n"       /* 32 */                      \
	"  - {hop: A->B, level: identify}\n"    /* 33 */                      \
	"  - {step: b-open, status: OK}\n"      /* 34 */                      \
	"  - {step: a-call, status: OK}\n"      /* 35 */                      \
	"variants:\n"                           /* 36 */                      \
	"  - name: v\n"                         /* 37 */                      \
	"    expect:\n"                         /* 38 */

Test(variant, same_target_replaced_or_dropped)
{
	sc_scenario *s = load_ok(TWO_HOPS
				 "      - {hop: a->b, status: ACCESS_DENIED}\n"
				 "      - {step: B-OPEN, drop: true}\n",
				 "v");
	cr_assert_eq(s->expect_count, 2);
	cr_expect_str_eq(s->expect[0].step, "a-call");
	cr_expect_str_eq(s->expect[1].hop, "a->b");
	cr_expect_str_eq(s->expect[1].status, "ACCESS_DENIED");
	sc_load_free(s);

	/* As written: all four. */
	s = load_ok(TWO_HOPS "      - {hop: A->B, drop: true}\n", NULL);
	cr_expect_eq(s->expect_count, 4);
	sc_load_free(s);
	s = load_ok(TWO_HOPS "      - {hop: A->B, drop: true}\n", "v");
	cr_assert_eq(s->expect_count, 2);
	cr_expect_str_eq(s->expect[0].step, "b-open");
	sc_load_free(s);
}

Test(variant, a_drop_is_checked)
{
	/* Checked when the file loads, with or without the variant. */
	const char *variants[] = {NULL, "v"};
	for (int i = 0; i < 2; i++) {
		struct loaded l = load_fails(
			TWO_HOPS
			"      - {hop: A->B#2, drop: true}\n"          /* 39 */
			"      - {step: b-opn, drop: true}\n"          /* 40 */
			"      - {step: a-call, drop: true, status: OK}\n" /* 41 */
			"      - {drop: true}\n"                       /* 42 */
			"      - {step: b-open, drop: true}\n"         /* 43 */
			"      - {step: b-open, status: OK}\n",        /* 44 */
			variants[i], 5);
		assert_error(&l, 0, 39, 15, "drops nothing: the scenario has "
					    "no expectation on hop 'A->B#2' "
					    "(did you mean 'A->B#1'? its hops "
					    "with expectations: A->B#1, A->B)");
		assert_error(&l, 1, 40, 16, "drops nothing: the scenario has "
					    "no expectation on step 'b-opn' "
					    "(did you mean 'b-open'?");
		assert_error(&l, 2, 41, 44, "a dropping expectation takes no "
					    "'status'");
		assert_error(&l, 3, 42, 9, "a dropping expectation names one "
					   "'hop' or 'step'");
		assert_error(&l, 4, 43, 16, "variant 'v' both drops and "
					    "expects step 'b-open' (its "
					    "expect[5])");
		sc_load_errors_free(&l.errs);
	}
	fails_once(TWO_HOPS "      - {hop: A->B}\n"
		   "  - name: as-written\n", /* 40 */
		   40, 11, "'as-written' names the case of the file as "
			   "written; a variant needs another name");
	fails_once(BASE "expect:\n"
		   "  - {hop: A->B, drop: true}\n", /* 23 */
		   23, 17, "unknown key 'drop' in 'expect[0]'");
}

Test(variant, without_sets_or_expectations)
{
	sc_scenario *s = load_ok(full_yaml, "empty");
	cr_expect_eq(s->processes[1].blanket.cloaking, SC_CLOAK_DYNAMIC);
	cr_expect_eq(s->expect_count, 3);
	sc_load_free(s);
}

Test(variant, unknown_variant)
{
	/* The "variants:" key of full_yaml is on line 105. */
	struct loaded l = load_fails(full_yaml, "cloaking-of", 1);
	assert_error(&l, 0, 105, 1,
		     "unknown variant 'cloaking-of' (did you mean "
		     "'cloaking-off'? cases: as-written, cloaking-off, "
		     "empty)");
	sc_load_errors_free(&l.errs);

	l = load_fails(BASE, "anything", 1);
	assert_error(&l, 0, 1, 1,
		     "unknown variant 'anything' (the scenario has no "
		     "variants: its one case is as-written)");
	sc_load_errors_free(&l.errs);

	l = load_fails(full_yaml, "as-writen", 1);
	assert_error(&l, 0, 105, 1,
		     "unknown variant 'as-writen' (did you mean 'as-written'? "
		     "cases: as-written, cloaking-off, empty)");

	l = load_fails(full_yaml, "zzzzzzzzzz", 1);
	assert_error(&l, 0, 105, 1,
		     "unknown variant 'zzzzzzzzzz' (cases: as-written, "
		     "cloaking-off, empty)");
	sc_load_errors_free(&l.errs);
}

Test(variant, bad_set_entry)
{
	struct loaded l = load_fails(BASE
				     "variants:\n"               /* 22 */
				     "  - name: v\n"             /* 23 */
				     "    set:\n"                /* 24 */
				     "      - B.level=delegate\n" /* 25 */
				     "      - B.host=srv9\n",    /* 26 */
				     "v", 1);
	assert_error(&l, 0, 26, 9,
		     "invalid value 'srv9' for 'B.host': no such host "
		     "(declared hosts: ws1, srv1)");
	sc_load_errors_free(&l.errs);
}

Test(variant, rechecked_after_the_sets)
{
	/* Moving B to ws1 leaves its open step without a local object. */
	const char *yaml = BASE
		"    steps:\n"                   /* 22 */
		"      - do: open\n"             /* 23 */
		"        object: report\n"       /* 24 */
		OBJECT                           /* 25-31 */
		"variants:\n"
		"  - name: move-b\n"
		"    set: [B.host=ws1]\n";
	sc_scenario *s = load_ok(yaml, NULL);
	sc_load_free(s);

	struct loaded l = load_fails(yaml, "move-b", 1);
	assert_error(&l, 0, 24, 17,
		     "object 'report' is on host 'srv1', not on 'ws1' where "
		     "process 'B' runs: a process opens only local objects "
		     "(with variant 'move-b')");
	sc_load_errors_free(&l.errs);
}

/* ---- sc_scenario_set -------------------------------------------------- */

static void set_ok(sc_scenario *s, const char *assignment)
{
	char err[512] = "";
	int rc = sc_scenario_set(s, assignment, err, sizeof(err));
	cr_assert_eq(rc, 0, "'%s': %s", assignment, err);
}

static void set_fails(sc_scenario *s, const char *assignment,
		      const char *fragment)
{
	char err[1024] = "";
	int rc = sc_scenario_set(s, assignment, err, sizeof(err));
	cr_assert_eq(rc, SC_ERR_INVAL, "'%s' should fail", assignment);
	cr_expect_not_null(strstr(err, fragment), "'%s' does not contain '%s'",
			   err, fragment);
}

Test(set, group_states)
{
	sc_scenario *s = load_ok(full_yaml, NULL);
	sc_process_def *a = &s->processes[0]; /* alice: Domain Users */
	set_ok(s, "A.deny_only_groups=Domain Users");
	cr_assert_eq(a->deny_only_groups_count, 1);
	cr_expect_str_eq(a->deny_only_groups[0], "Domain Users");
	set_ok(s, "A.disabled_groups = Domain Users + domain users ");
	cr_assert_eq(a->disabled_groups_count, 2);
	cr_expect_str_eq(a->disabled_groups[1], "domain users");
	set_ok(s, "A.disabled_groups=none");
	cr_expect_eq(a->disabled_groups_count, 0);
	set_fails(s, "A.deny_only_groups=Domain Usres",
		  "'Domain Usres' is not a group of the process's account "
		  "'alice' (did you mean 'Domain Users'?)");
	set_fails(s, "B.disabled_groups=Domain Users",
		  "is not a group of the process's account 'svc-b'");
	set_fails(s, "A.disabled_groups=+", "groups of the process's account "
					    "joined by '+', or none");
	cr_expect_eq(a->deny_only_groups_count, 1, "a failed set changes "
						   "nothing");
	sc_load_free(s);
}

Test(set, process_keys)
{
	sc_scenario *s = load_ok(full_yaml, NULL);
	const sc_process_def *b = &s->processes[1];

	set_ok(s, "B.level=delegate");
	cr_expect_eq(b->blanket.level, SC_LEVEL_DELEGATE);
	set_ok(s, "B.cloaking=static");
	cr_expect_eq(b->blanket.cloaking, SC_CLOAK_STATIC);
	set_ok(s, "B.authn=integrity");
	cr_expect_eq(b->blanket.authn, SC_AUTHN_INTEGRITY);
	set_ok(s, "B.package=ntlm");
	cr_expect_eq(b->blanket.package, SC_PACKAGE_NTLM);
	set_ok(s, "B.host=srv2");
	cr_expect_str_eq(b->host, "srv2");
	set_ok(s, "B.account=bob");
	cr_expect_str_eq(b->account, "bob");
	set_ok(s, "B.account=NETWORK SERVICE");
	cr_expect_str_eq(b->account, "NETWORK SERVICE");
	set_ok(s, "B.account=CORP\\alice");
	cr_expect_str_eq(b->account, "CORP\\alice");
	set_ok(s, "B.started_by=batch");
	cr_expect_eq(b->started_by, SC_START_BATCH);
	set_ok(s, "B.server_authn=none");
	cr_expect_eq(b->server_authn, SC_AUTHN_NONE);
	cr_expect_eq(b->tickets, SC_TICKETS_FORWARDABLE, "the default");
	set_ok(s, "B.tickets=not_forwardable");
	cr_expect_eq(b->tickets, SC_TICKETS_NOT_FORWARDABLE);
	set_ok(s, "B.tickets=forwardable");
	cr_expect_eq(b->tickets, SC_TICKETS_FORWARDABLE);
	cr_expect(!b->com_plus, "the default: not a COM+ application");
	set_ok(s, "B.com_plus=true");
	cr_expect(b->com_plus);
	set_ok(s, "B.com_plus=false");
	cr_expect(!b->com_plus);
	set_ok(s, "B.transport=pipe");
	cr_expect_eq(b->blanket.transport, SC_TRANSPORT_PIPE);
	set_ok(s, " B.level = Impersonate ");
	cr_expect_eq(b->blanket.level, SC_LEVEL_IMPERSONATE);
	cr_expect_eq(s->processes[0].blanket.level, SC_LEVEL_IMPERSONATE,
		     "other processes untouched");
	cr_expect_eq(sc_scenario_validate(s, NULL, NULL), 0);
	sc_load_free(s);
}

Test(set, account_keys)
{
	sc_scenario *s = load_ok(full_yaml, NULL);
	const sc_account_def *a = &s->domain.accounts[0];

	set_ok(s, "alice.sensitive=true");
	cr_expect(a->sensitive);
	set_ok(s, "ALICE.trusted_for_delegation=TRUE");
	cr_expect(a->trusted_for_delegation);
	set_ok(s, "CORP\\alice.trusted_to_auth_for_delegation=true");
	cr_expect(a->trusted_to_auth_for_delegation);
	set_ok(s, "alice.sensitive=false");
	cr_expect(!a->sensitive);
	sc_load_free(s);
}

/* Constrained and resource-based delegation: declared accounts joined
 * by '+', or none, checked with did-you-mean (D4, D5). */
Test(set, delegation_lists)
{
	sc_scenario *s = load_ok(full_yaml, NULL);
	const sc_account_def *b = &s->domain.accounts[1];
	cr_assert_str_eq(b->name, "svc-b");
	set_ok(s, "svc-b.allowed_to_delegate_to=svc-c + bob");
	cr_assert_eq(b->allowed_to_delegate_to_count, 2);
	cr_expect_str_eq(b->allowed_to_delegate_to[0], "svc-c");
	cr_expect_str_eq(b->allowed_to_delegate_to[1], "bob");
	set_ok(s, "svc-b.allowed_to_delegate_to=none");
	cr_expect_eq(b->allowed_to_delegate_to_count, 0);
	set_ok(s, "svc-b.allowed_to_act=alice");
	cr_assert_eq(b->allowed_to_act_count, 1);
	cr_expect_str_eq(b->allowed_to_act[0], "alice");
	set_fails(s, "svc-b.allowed_to_act=alise",
		  "invalid value 'alise' for 'svc-b.allowed_to_act': unknown "
		  "account 'alise' (did you mean 'alice'?)");
	set_fails(s, "svc-b.alowed_to_act=alice",
		  "did you mean 'svc-b.allowed_to_act'?");
	cr_expect_eq(sc_scenario_validate(s, NULL, NULL), 0);
	sc_load_free(s);
}

/* A blanket key without "PROC." sets every process with a call step
 * (A and B here), not the one that only serves (C). */
Test(set, bare_blanket_keys_set_every_process_that_calls)
{
	sc_scenario *s = load_ok(full_yaml, NULL);
	set_ok(s, "level=identify");
	cr_expect_eq(s->processes[0].blanket.level, SC_LEVEL_IDENTIFY);
	cr_expect_eq(s->processes[1].blanket.level, SC_LEVEL_IDENTIFY);
	cr_expect_eq(s->processes[2].blanket.level, SC_LEVEL_DEFAULT);
	set_ok(s, "cloaking=static");
	cr_expect_eq(s->processes[0].blanket.cloaking, SC_CLOAK_STATIC);
	cr_expect_eq(s->processes[1].blanket.cloaking, SC_CLOAK_STATIC);
	cr_expect_eq(s->processes[2].blanket.cloaking, SC_CLOAK_NONE);
	set_ok(s, "sqos=true");
	cr_expect(s->processes[1].blanket.sqos && !s->processes[2].blanket.sqos);
	set_fails(s, "level=impersonat", "invalid value 'impersonat' for "
					 "'level' (did you mean 'impersonate'?");
	set_fails(s, "sqos=yes", "invalid value 'yes' for 'sqos' (expected "
				 "true or false)");
	cr_expect(sc_set_key_bare("level") && sc_set_key_bare("tracking"));
	cr_expect(!sc_set_key_bare("host") && !sc_set_key_bare("levle"));
	sc_load_free(s);

	s = load_ok(HEAD DOMAIN HOSTS
		    "processes:\n"
		    "  - {name: A, host: ws1, account: alice}\n",
		    NULL);
	set_fails(s, "level=identify", "no process of the scenario calls "
				       "another");
	sc_load_free(s);
}

Test(set, host_keys)
{
	sc_scenario *s = load_ok(full_yaml, NULL);
	set_ok(s, "ws1.workgroup=false");
	cr_expect(!s->hosts[0].workgroup);
	set_ok(s, "srv1.workgroup=true");
	cr_expect(s->hosts[1].workgroup);
	set_ok(s, "ws1.default_level=anonymous");
	cr_expect_eq(s->hosts[0].default_level, SC_LEVEL_ANONYMOUS);
	/* D1, D8: a host's computer account; the same key on an account
	 * names the account. */
	set_ok(s, "srv1.trusted_for_delegation=false");
	cr_expect_not(s->hosts[1].trusted_for_delegation);
	set_ok(s, "srv1.trusted_for_delegation=true");
	cr_expect(s->hosts[1].trusted_for_delegation);
	cr_expect_not(s->hosts[0].trusted_for_delegation);
	set_ok(s, "alice.trusted_for_delegation=true");
	cr_expect(s->domain.accounts[0].trusted_for_delegation);
	cr_expect(s->hosts[1].trusted_for_delegation, "the account's key "
		  "leaves the host's alone");
	set_fails(s, "nowhere.trusted_for_delegation=true",
		  "unknown account 'nowhere'");
	sc_load_free(s);
}

Test(set, dotted_host_names)
{
	sc_scenario *s = load_ok(HEAD DOMAIN HOSTS
				 "  - name: ws1.corp.example\n" PROCS,
				 NULL);
	set_ok(s, "ws1.corp.example.default_level=delegate");
	cr_expect_eq(s->hosts[2].default_level, SC_LEVEL_DELEGATE);
	cr_expect_eq(s->hosts[0].default_level, SC_LEVEL_DEFAULT);
	set_ok(s, "B.host=ws1.corp.example");
	cr_expect_str_eq(s->processes[1].host, "ws1.corp.example");
	sc_load_free(s);
}

Test(set, settings_keys)
{
	sc_scenario *s = load_ok(BASE, NULL);
	set_ok(s, "settings.double_hop_status=bad_impersonation_level");
	cr_expect_str_eq(s->settings.double_hop_status,
			 "BAD_IMPERSONATION_LEVEL", "canonical spelling");
	set_ok(s, "settings.double_hop_status=ACCESS_DENIED");
	cr_expect_str_eq(s->settings.double_hop_status, "ACCESS_DENIED");
	set_ok(s, "settings.allow_primary_from_identify=true");
	cr_expect(s->settings.allow_primary_from_identify);
	set_ok(s, "settings.allow_primary_from_identify=false");
	cr_expect(!s->settings.allow_primary_from_identify);
	cr_expect_eq(s->settings.double_hop_outcome, SC_DOUBLE_HOP_FAIL,
		     "the default");
	set_ok(s, "settings.double_hop_outcome=anonymous");
	cr_expect_eq(s->settings.double_hop_outcome, SC_DOUBLE_HOP_ANONYMOUS);
	set_ok(s, "settings.double_hop_outcome=fail");
	cr_expect_eq(s->settings.double_hop_outcome, SC_DOUBLE_HOP_FAIL);
	sc_load_free(s);
}

Test(set, errors)
{
	sc_scenario *s = load_ok(full_yaml, NULL);

	set_fails(s, "B.level", "'B.level' is not KEY=VALUE");
	set_fails(s, "levle=delegate", "unknown key 'levle' (did you mean "
				       "'level'?): a key without a dot");
	set_fails(s, "host=ws1", "unknown key 'host'");
	set_fails(s, "B.colour=red", "unknown key 'B.colour' (keys: "
				     "PROC.level|cloaking");
	set_fails(s, "settings.level=delegate", "unknown key 'settings.level'");
	set_fails(s, "B.=x", "unknown key 'B.'");
	set_fails(s, "Z.level=delegate", "unknown process 'Z' in 'Z.level'");
	set_fails(s, "b.level=delegate", "unknown process 'b'");
	set_fails(s, "mallory.sensitive=true", "unknown account 'mallory'");
	set_fails(s, "nohost.workgroup=true", "unknown host 'nohost'");
	set_fails(s, "B.level=impersonat",
		  "invalid value 'impersonat' for 'B.level' (did you mean "
		  "'impersonate'? expected one of: default, anonymous, identify, "
		  "impersonate, delegate)");
	set_fails(s, "B.cloaking=off", "expected one of: none, static, "
				       "dynamic, both");
	set_fails(s, "B.authn=high", "expected one of: default, none, "
				     "connect, call, packet, integrity, "
				     "privacy");
	set_fails(s, "B.package=ssl", "expected one of: default, kerberos, "
				      "ntlm, schannel");
	set_fails(s, "B.started_by=scm", "expected one of: interactive, "
					 "service, com, batch");
	set_fails(s, "B.server_authn=", "invalid value '' for "
					"'B.server_authn'");
	set_fails(s, "B.transport=tcp", "expected one of: com, pipe, rpc, dde");
	set_fails(s, "B.tickets=false",
		  "expected one of: forwardable, not_forwardable");
	set_fails(s, "B.host=srv9", "no such host (declared hosts: ws1, srv1, "
				    "srv2)");
	set_fails(s, "B.account=mallory", "not a declared account");
	set_fails(s, "B.account=", "not a declared account");
	set_fails(s, "alice.sensitive=yes", "expected true or false");
	set_fails(s, "ws1.workgroup=1", "expected true or false");
	set_fails(s, "ws1.default_level=max", "for 'ws1.default_level'");
	set_fails(s, "settings.double_hop_status=DENIED",
		  "invalid value 'DENIED' for 'settings.double_hop_status' "
		  "(expected one of: OK, ACCESS_DENIED");
	set_fails(s, "settings.allow_primary_from_identify=no",
		  "expected true or false");
	set_fails(s, "settings.double_hop_outcome=anonymus",
		  "did you mean 'anonymous'?");

	/* Nothing changed. */
	cr_expect_eq(s->processes[1].blanket.level, SC_LEVEL_DEFAULT);
	cr_expect_str_eq(s->processes[1].host, "srv1");
	cr_expect_str_eq(s->settings.double_hop_status,
			 "BAD_IMPERSONATION_LEVEL");

	char small[8];
	cr_expect_eq(sc_scenario_set(s, "Z.level=x", small, sizeof(small)),
		     SC_ERR_INVAL);
	cr_expect_eq(strlen(small), sizeof(small) - 1, "truncated, terminated");
	cr_expect_eq(sc_scenario_set(s, "Z.level=x", NULL, 0), SC_ERR_INVAL);
	cr_expect_eq(sc_scenario_set(NULL, "B.level=x", NULL, 0),
		     SC_ERR_INVAL);
	cr_expect_eq(sc_scenario_set(s, NULL, NULL, 0), SC_ERR_INVAL);
	sc_load_free(s);
}

/* ---- the documented examples ------------------------------------------ */

static char *read_doc(void)
{
	const char *root = getenv("CLOAKROOM_SOURCE");
	if (!root)
		return NULL;
	char path[1024];
	snprintf(path, sizeof(path), "%s/docs/scenario-format.md", root);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	static char md[256 * 1024];
	size_t n = fread(md, 1, sizeof(md) - 1, f);
	fclose(f);
	md[n] = '\0';
	return md;
}

/* The next ```yaml block of md from *at that starts with a top-level key
 * of a scenario (scenario: or extends:); its text in [*start, *end). */
static bool next_example(const char **at, const char **start,
			 const char **end)
{
	for (const char *p = strstr(*at, "```yaml\n"); p;
	     p = strstr(p + 1, "```yaml\n")) {
		const char *b = p + strlen("```yaml\n");
		const char *e = strstr(b, "\n```");
		if (!e)
			return false;
		*at = e + 4;
		if (strncmp(b, "scenario:", 9) == 0 ||
		    strncmp(b, "extends:", 8) == 0) {
			*start = b;
			*end = e + 1;
			return true;
		}
		p = e;
	}
	return false;
}

Test(docs, every_complete_example_loads)
{
	const char *md = read_doc();
	if (!md)
		cr_skip_test("CLOAKROOM_SOURCE is not set");
	const char *at = md, *start, *end;
	unsigned loaded = 0;
	while (next_example(&at, &start, &end)) {
		if (strncmp(start, "extends:", 8) == 0)
			continue; /* needs its base file */
		size_t len = (size_t)(end - start);
		sc_scenario *s = NULL;
		sc_load_errors errs = {0};
		int rc = sc_load_buffer("example.yaml", start, len, NULL, &s,
					&errs);
		dump(&errs);
		cr_assert_eq(rc, 0, "the documented example must load:\n%.*s",
			     (int)len, start);
		for (unsigned v = 0; v < s->variants_count; v++) {
			sc_scenario *sv = NULL;
			rc = sc_load_buffer("example.yaml", start, len,
					    s->variants[v].name, &sv, &errs);
			dump(&errs);
			cr_expect_eq(rc, 0, "variant %s", s->variants[v].name);
			sc_load_free(sv);
		}
		sc_load_free(s);
		sc_load_errors_free(&errs);
		loaded++;
	}
	cr_expect_geq(loaded, 2, "the complete examples");
}

struct keyset {
	char keys[256][96];
	size_t n;
};

static void keyset_add(struct keyset *k, const char *path)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->keys[i], path) == 0)
			return;
	if (k->n < 256)
		snprintf(k->keys[k->n++], sizeof(k->keys[0]), "%s", path);
}

static void collect_keys(yaml_document_t *d, yaml_node_t *n, char *path,
			 size_t used, struct keyset *k)
{
	if (!n || used + 3 >= 96)
		return;
	if (n->type == YAML_SEQUENCE_NODE) {
		memcpy(path + used, "[]", 3);
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++)
			collect_keys(d, yaml_document_get_node(d, *it), path,
				     used + 2, k);
		path[used] = '\0';
	} else if (n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
		     pr < n->data.mapping.pairs.top; pr++) {
			yaml_node_t *key = yaml_document_get_node(d, pr->key);
			if (!key || key->type != YAML_SCALAR_NODE)
				continue;
			int w = snprintf(path + used, 96 - used, "%s%s",
					 used ? "." : "",
					 (const char *)key->data.scalar.value);
			if (w < 0 || (size_t)w >= 96 - used)
				continue;
			keyset_add(k, path);
			collect_keys(d, yaml_document_get_node(d, pr->value),
				     path, used + (size_t)w, k);
			path[used] = '\0';
		}
	}
}

struct missing {
	const struct keyset *have;
	char list[4096];
};

static void key_documented(void *user, const char *path)
{
	struct missing *m = user;
	for (size_t i = 0; i < m->have->n; i++)
		if (strcmp(m->have->keys[i], path) == 0)
			return;
	size_t used = strlen(m->list);
	snprintf(m->list + used, sizeof(m->list) - used, " %s", path);
}

/* The issue's promise: an example for every key of the format. */
Test(docs, every_key_has_an_example)
{
	const char *md = read_doc();
	if (!md)
		cr_skip_test("CLOAKROOM_SOURCE is not set");
	static struct keyset have;
	have.n = 0;
	const char *at = md, *start, *end;
	while (next_example(&at, &start, &end)) {
		yaml_parser_t yp;
		yaml_document_t doc;
		cr_assert(yaml_parser_initialize(&yp));
		yaml_parser_set_input_string(&yp, (const unsigned char *)start,
					     (size_t)(end - start));
		cr_assert(yaml_parser_load(&yp, &doc), "an example is not YAML");
		char path[96] = "";
		collect_keys(&doc, yaml_document_get_root_node(&doc), path, 0,
			     &have);
		yaml_document_delete(&doc);
		yaml_parser_delete(&yp);
	}
	static struct missing m;
	m.have = &have;
	m.list[0] = '\0';
	sc_load_schema_keys(key_documented, &m);
	cr_expect_str_eq(m.list, "", "keys without an example in "
			 "docs/scenario-format.md:%s", m.list);
}

/* ---- every error in one pass ------------------------------------------ */

Test(scenario, every_error_of_a_file_in_one_pass)
{
	struct loaded l = load_fails(
		"scenario: typos\n"                                  /*  1 */
		"domain:\n"                                          /*  2 */
		"  name: CORP\n"                                     /*  3 */
		"  accounts:\n"                                      /*  4 */
		"    - name: alice\n"                                /*  5 */
		"      sensitve: false\n"                            /*  6 */
		"    - name: svc-b\n"                                /*  7 */
		"hosts:\n"                                           /*  8 */
		"  - name: ws1\n"                                    /*  9 */
		"  - name: srv1\n"                                   /* 10 */
		"processes:\n"                                       /* 11 */
		"  - name: A\n"                                      /* 12 */
		"    host: ws1\n"                                    /* 13 */
		"    acount: alice\n"                                /* 14 */
		"    blanket: {level: impersonat, cloaking: dynamik}\n" /* 15 */
		"    steps:\n"                                       /* 16 */
		"      - do: cal\n"                                  /* 17 */
		"        to: B\n"                                    /* 18 */
		"  - name: B\n"                                      /* 19 */
		"    host: srv9\n"                                   /* 20 */
		"    account: svc-b\n"                               /* 21 */
		"objects:\n"                                         /* 22 */
		"  - name: report\n"                                 /* 23 */
		"    host: srv1\n"                                   /* 24 */
		"    owner: svc-b\n"                                 /* 25 */
		"    dacl:\n"                                        /* 26 */
		"      - {allow: alise, access: [read]}\n"           /* 27 */
		"expect:\n"                                          /* 28 */
		"  - {hop: A->B, levl: impersonate}\n",              /* 29 */
		NULL, 8);
	assert_error(&l, 0, 6, 7, "unknown key 'sensitve' in "
		     "'domain.accounts[0]' (did you mean 'sensitive'?)");
	assert_error(&l, 1, 14, 5, "unknown key 'acount' in 'processes[0]' "
		     "(did you mean 'account'?)");
	assert_error(&l, 2, 15, 22, "invalid value 'impersonat' for "
		     "'processes[0].blanket.level' (did you mean "
		     "'impersonate'?");
	assert_error(&l, 3, 15, 44, "invalid value 'dynamik' for "
		     "'processes[0].blanket.cloaking' (did you mean "
		     "'dynamic'?");
	assert_error(&l, 4, 17, 13, "invalid value 'cal' for "
		     "'processes[0].steps[0].do' (did you mean 'call'?");
	assert_error(&l, 5, 20, 11, "processes[1].host: unknown host 'srv9' "
		     "(did you mean 'srv1'?");
	assert_error(&l, 6, 27, 17, "objects[0].dacl[0].allow: unknown "
		     "principal 'alise' (did you mean 'alice'?");
	assert_error(&l, 7, 29, 17, "unknown key 'levl' in 'expect[0]' (did "
		     "you mean 'level'?)");
	sc_load_errors_free(&l.errs);
}

/* A value with no near spelling is replaced, and what follows from it is
 * not reported again. */
Test(scenario, a_bad_value_is_reported_once)
{
	fails_once(BASE
		   "    steps:\n"          /* 22 */
		   "      - do: xyzzy\n"   /* 23 */
		   "        to: A\n",      /* 24 */
		   23, 13, "invalid value 'xyzzy' for 'processes[1].steps[0]."
		   "do' (expected one of:");
}

/* A misspelt required key is one error, not also a missing one. */
Test(scenario, a_misspelt_required_key_is_reported_once)
{
	fails_once(HEAD DOMAIN HOSTS
		   "processes:\n"            /* 11 */
		   "  - name: A\n"           /* 12 */
		   "    hots: ws1\n"         /* 13 */
		   "    account: alice\n",   /* 14 */
		   13, 5, "unknown key 'hots' in 'processes[0]' (did you mean "
		   "'host'?)");
}

Test(scenario, several_missing_keys_and_a_bad_entry)
{
	struct loaded l = load_fails(HEAD DOMAIN HOSTS
				     "processes:\n"          /* 11 */
				     "  - name: A\n"         /* 12 */
				     "  - oops\n",           /* 13 */
				     NULL, 3);
	assert_error(&l, 0, 12, 5, "missing required key 'host' in "
		     "'processes[0]'");
	assert_error(&l, 1, 12, 5, "missing required key 'account' in "
		     "'processes[0]'");
	assert_error(&l, 2, 13, 5, "wrong type for 'processes[1]': expected "
		     "a mapping, found the scalar 'oops'");
	sc_load_errors_free(&l.errs);
}

/* ---- extends ---------------------------------------------------------- */

struct tree {
	char dir[64];
};

static void tree_file(const struct tree *t, const char *name,
		      const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static struct tree tree_new(void)
{
	struct tree t;
	snprintf(t.dir, sizeof(t.dir), "/tmp/test-extends-XXXXXX");
	cr_assert_not_null(mkdtemp(t.dir));
	tree_file(&t, "base.yaml",
		  BASE "    blanket: {level: impersonate, cloaking: dynamic}\n"
		  OBJECT);
	return t;
}

static void tree_free(const struct tree *t)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	cr_expect_eq(system(cmd), 0);
}

static int mkdir_sub(const struct tree *t)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/sub", t->dir);
	return mkdir(path, 0700);
}

static struct loaded load_in(const struct tree *t, const char *name)
{
	char path[256];
	struct loaded l;
	memset(&l, 0, sizeof(l));
	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	l.rc = sc_load_file(path, NULL, &l.s, &l.errs);
	dump(&l.errs);
	return l;
}

static void assert_error_in(const struct loaded *l, size_t i,
			    const struct tree *t, const char *file,
			    unsigned line, unsigned col, const char *fragment)
{
	cr_assert_lt(i, l->errs.count, "expected an error #%zu, have %zu", i,
		     l->errs.count);
	const sc_load_error *e = &l->errs.items[i];
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", t->dir, file);
	cr_expect_str_eq(e->file, path);
	cr_expect_eq(e->line, line, "'%s': line %u, expected %u", e->message,
		     e->line, line);
	cr_expect_eq(e->col, col, "'%s': column %u, expected %u", e->message,
		     e->col, col);
	cr_expect_not_null(strstr(e->message, fragment),
			   "'%s' does not contain '%s'", e->message, fragment);
}

Test(extends, overrides_settings_and_merges_named_entries)
{
	struct tree t = tree_new();
	tree_file(&t, "child.yaml",
		  "extends: base.yaml\n"
		  "scenario: child\n"
		  "hosts:\n"
		  "  - name: srv1\n"
		  "    workgroup: true\n"
		  "  - name: srv2\n"
		  "processes:\n"
		  "  - name: B\n"
		  "    blanket: {level: delegate}\n"
		  "    host: srv2\n"
		  "objects:\n"
		  "  - name: report\n"
		  "    host: srv1\n"
		  "    dacl:\n"
		  "      - allow: svc-b\n"
		  "        access: [write]\n");
	struct loaded l = load_in(&t, "child.yaml");
	cr_assert_eq(l.rc, 0);
	sc_scenario *s = l.s;
	cr_expect_str_eq(s->name, "child");
	cr_expect_str_eq(s->extends, "base.yaml");
	cr_expect_str_eq(s->domain.name, "CORP", "kept from the base");
	cr_assert_eq(s->hosts_count, 3, "ws1, srv1 (merged), srv2 (new)");
	cr_expect_str_eq(s->hosts[1].name, "srv1");
	cr_expect(s->hosts[1].workgroup);
	cr_expect_str_eq(s->hosts[2].name, "srv2");
	cr_assert_eq(s->processes_count, 2);
	const sc_process_def *a = &s->processes[0], *b = &s->processes[1];
	cr_expect_eq(a->steps_count, 1, "A kept whole");
	cr_expect_str_eq(b->host, "srv2");
	cr_expect_str_eq(b->account, "svc-b");
	cr_expect_eq(b->blanket.level, SC_LEVEL_DELEGATE, "overridden");
	cr_expect_eq(b->blanket.cloaking, SC_CLOAK_DYNAMIC,
		     "the blanket is merged key by key");
	cr_assert_eq(s->objects_count, 1);
	cr_expect_str_eq(s->objects[0].owner, "svc-b");
	cr_assert_eq(s->objects[0].dacl_count, 1, "a list is replaced");
	cr_expect_str_eq(s->objects[0].dacl[0].allow, "svc-b");
	sc_load_free(s);
	tree_free(&t);
}

Test(extends, a_chain_of_two)
{
	struct tree t = tree_new();
	tree_file(&t, "mid.yaml", "extends: base.yaml\nscenario: mid\n"
				  "processes:\n  - name: B\n"
				  "    blanket: {cloaking: static}\n");
	cr_assert_eq(mkdir_sub(&t), 0);
	tree_file(&t, "sub/top.yaml", "extends: ../mid.yaml\n"
				      "scenario: top\n");
	struct loaded l = load_in(&t, "sub/top.yaml");
	cr_assert_eq(l.rc, 0);
	cr_expect_str_eq(l.s->name, "top");
	cr_expect_eq(l.s->processes[1].blanket.cloaking, SC_CLOAK_STATIC);
	cr_expect_eq(l.s->processes[1].blanket.level, SC_LEVEL_IMPERSONATE);
	sc_load_free(l.s);
	tree_free(&t);
}

Test(extends, a_missing_base_is_an_error_at_its_name)
{
	struct tree t = tree_new();
	tree_file(&t, "child.yaml", "scenario: child\n"
				    "extends: nowhere.yaml\n");
	struct loaded l = load_in(&t, "child.yaml");
	cr_assert_eq(l.rc, SC_ERR_INVAL);
	cr_assert_eq(l.errs.count, 1);
	assert_error_in(&l, 0, &t, "child.yaml", 2, 10,
			"extends 'nowhere.yaml': cannot open");
	sc_load_errors_free(&l.errs);
	tree_free(&t);
}

Test(extends, a_cycle_is_an_error)
{
	struct tree t = tree_new();
	tree_file(&t, "a.yaml", "extends: b.yaml\nscenario: a\n");
	tree_file(&t, "b.yaml", "scenario: b\nextends: a.yaml\n");
	struct loaded l = load_in(&t, "a.yaml");
	cr_assert_eq(l.rc, SC_ERR_INVAL);
	cr_assert_eq(l.errs.count, 1);
	assert_error_in(&l, 0, &t, "b.yaml", 2, 10,
			"extends 'a.yaml' makes a cycle:");
	cr_expect_not_null(strstr(l.errs.items[0].message, "b.yaml ->"));
	sc_load_errors_free(&l.errs);

	tree_file(&t, "self.yaml", "extends: self.yaml\nscenario: s\n");
	l = load_in(&t, "self.yaml");
	cr_assert_eq(l.rc, SC_ERR_INVAL);
	assert_error_in(&l, 0, &t, "self.yaml", 1, 10, "makes a cycle");
	sc_load_errors_free(&l.errs);
	tree_free(&t);
}

/* Each error names the file its text is in. */
/* A process of a file that extends another that matches no process of
 * the base is an error at its name, with did-you-mean, unless it is
 * marked `new: true`; `new: true` on a process the base has, or in a
 * file that extends nothing, is an error too. */
Test(extends, a_process_the_base_lacks_must_be_marked_new)
{
	struct tree t = tree_new();
	tree_file(&t, "typo.yaml",
		  "extends: base.yaml\n"                 /* 1 */
		  "scenario: typo\n"                     /* 2 */
		  "processes:\n"                         /* 3 */
		  "  - name: Bb\n"                       /* 4 */
		  "    blanket: {level: delegate}\n");   /* 5 */
	struct loaded l = load_in(&t, "typo.yaml");
	cr_assert_eq(l.rc, SC_ERR_INVAL);
	cr_assert_eq(l.errs.count, 1);
	assert_error_in(&l, 0, &t, "typo.yaml", 4, 11,
			"process 'Bb' is not in the scenario this one extends "
			"(did you mean 'B'? its processes: A, B); to add a "
			"process, mark it 'new: true'");
	sc_load_errors_free(&l.errs);

	tree_file(&t, "added.yaml",
		  "extends: base.yaml\n"
		  "scenario: added\n"
		  "processes:\n"
		  "  - name: D\n"
		  "    new: true\n"
		  "    host: ws1\n"
		  "    account: alice\n"
		  "    steps: [{do: call, to: B}]\n");
	l = load_in(&t, "added.yaml");
	cr_assert_eq(l.rc, 0);
	cr_assert_eq(l.s->processes_count, 3);
	cr_expect_str_eq(l.s->processes[2].name, "D");
	cr_expect(l.s->processes[2].is_new);
	cr_expect(!l.s->processes[1].is_new);
	sc_load_free(l.s);

	tree_file(&t, "not-new.yaml",
		  "extends: base.yaml\n"                 /* 1 */
		  "scenario: not-new\n"                  /* 2 */
		  "processes:\n"                         /* 3 */
		  "  - name: B\n"                        /* 4 */
		  "    new: true\n");                    /* 5 */
	l = load_in(&t, "not-new.yaml");
	cr_assert_eq(l.rc, SC_ERR_INVAL);
	cr_assert_eq(l.errs.count, 1);
	assert_error_in(&l, 0, &t, "not-new.yaml", 5, 5,
			"process 'B' is in the scenario this one extends");
	sc_load_errors_free(&l.errs);
	tree_free(&t);

	fails_once(BASE "    new: true\n", /* 22 */
		   22, 5, "'new: true' marks a process that a file adds to "
			  "the scenario it extends; this file extends none");
	fails_once(BASE "    new: maybe\n", /* 22 */
		   22, 10, "invalid value 'maybe' for 'processes[1].new'");
}

Test(extends, errors_name_the_file_they_are_in)
{
	struct tree t = tree_new();
	tree_file(&t, "bad-base.yaml", BASE "    blanket: {levl: identify}\n");
	tree_file(&t, "child.yaml",
		  "extends: bad-base.yaml\n"             /* 1 */
		  "scenario: child\n"                    /* 2 */
		  "processes:\n"                         /* 3 */
		  "  - name: B\n"                        /* 4 */
		  "    host: srv9\n");                   /* 5 */
	struct loaded l = load_in(&t, "child.yaml");
	cr_assert_eq(l.rc, SC_ERR_INVAL);
	cr_assert_eq(l.errs.count, 2);
	assert_error_in(&l, 0, &t, "child.yaml", 5, 11,
			"processes[1].host: unknown host 'srv9'");
	assert_error_in(&l, 1, &t, "bad-base.yaml", 22, 15,
			"unknown key 'levl' in 'processes[1].blanket' (did "
			"you mean 'level'?)");
	sc_load_errors_free(&l.errs);

	tree_file(&t, "syntax.yaml", "scenario: [\n");
	tree_file(&t, "child2.yaml", "extends: syntax.yaml\n");
	l = load_in(&t, "child2.yaml");
	cr_assert_eq(l.rc, SC_ERR_INVAL);
	cr_assert_eq(l.errs.count, 1);
	cr_expect_not_null(strstr(l.errs.items[0].file, "syntax.yaml"));
	cr_expect_not_null(strstr(l.errs.items[0].message, "syntax error"));
	sc_load_errors_free(&l.errs);
	tree_free(&t);
}

Test(extends, must_name_a_file)
{
	struct tree t = tree_new();
	tree_file(&t, "child.yaml", "extends: [a, b]\nscenario: c\n");
	struct loaded l = load_in(&t, "child.yaml");
	cr_assert_eq(l.rc, SC_ERR_INVAL);
	cr_assert_eq(l.errs.count, 1);
	assert_error_in(&l, 0, &t, "child.yaml", 1, 10,
			"'extends' names the scenario file");
	sc_load_errors_free(&l.errs);
	tree_free(&t);
}

/* 'extends' reads only a regular file named .yaml or .yml; anything else
 * is refused before a byte of it is read, so nothing of it reaches an
 * error, and a FIFO does not block. */
Test(extends, only_a_regular_yaml_file)
{
	struct tree t = tree_new();
	tree_file(&t, "secret.txt", "root:secret-hash:19000:0:99999:7:::\n");
	char path[256], target[256];
	snprintf(path, sizeof(path), "%s/link.yaml", t.dir);
	snprintf(target, sizeof(target), "%s/secret.txt", t.dir);
	cr_assert_eq(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/fifo.yaml", t.dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/dir.yaml", t.dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	static const struct {
		const char *extends, *says;
	} cases[] = {
		{"secret.txt", "is not a scenario file"},
		{"link.yaml", "is not a scenario file"},
		{"fifo.yaml", "not a regular file"},
		{"dir.yaml", "not a regular file"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "scenario: child\nextends: %s\n",
			 cases[i].extends);
		tree_file(&t, "child.yaml", text);
		struct loaded l = load_in(&t, "child.yaml");
		cr_assert_eq(l.rc, SC_ERR_INVAL);
		cr_assert_eq(l.errs.count, 1, "%s: %zu errors",
			     cases[i].extends, l.errs.count);
		assert_error_in(&l, 0, &t, "child.yaml", 2, 10, cases[i].says);
		cr_expect_null(strstr(l.errs.items[0].message, "secret-hash"));
		sc_load_errors_free(&l.errs);
	}
	tree_file(&t, "base.yml", BASE);
	tree_file(&t, "child.yaml", "scenario: child\nextends: base.yml\n");
	struct loaded l = load_in(&t, "child.yaml");
	cr_expect_eq(l.rc, 0, "a .yml base loads");
	sc_load_free(l.s);
	sc_load_errors_free(&l.errs);
	tree_free(&t);
}

/* The pipe settings of a blanket (N2, T7) as variant keys. */
Test(set, pipe_quality_of_service_keys)
{
	const char *yaml =
		"scenario: s\n"
		"domain: {name: CORP, accounts: [{name: alice}]}\n"
		"hosts: [{name: ws1}]\n"
		"processes:\n"
		"  - {name: A, host: ws1, account: alice,\n"
		"     steps: [{do: call, to: B}]}\n"
		"  - {name: B, host: ws1, account: alice}\n";
	sc_scenario *s = NULL;
	sc_load_errors errs = {0};
	cr_assert_eq(sc_load_buffer("s.yaml", yaml, strlen(yaml), NULL, &s,
				    &errs), 0);
	char err[512];
	cr_expect_eq(sc_scenario_set(s, "A.sqos=true", err, sizeof(err)), 0,
		     "%s", err);
	cr_expect_eq(sc_scenario_set(s, "A.tracking=Dynamic", err,
				     sizeof(err)), 0, "%s", err);
	cr_expect_eq(sc_scenario_set(s, "A.effective_only=true", err,
				     sizeof(err)), 0, "%s", err);
	const sc_process_def *a = sc_scenario_process(s, "A");
	cr_expect(a->blanket.sqos);
	cr_expect_eq(a->blanket.tracking, SC_TRACKING_DYNAMIC);
	cr_expect(a->blanket.effective_only);
	cr_expect_eq(sc_scenario_set(s, "A.tracking=dynamik", err,
				     sizeof(err)), SC_ERR_INVAL);
	cr_expect(strstr(err, "did you mean 'dynamic'"), "%s", err);
	cr_expect_eq(sc_scenario_set(s, "A.sqos=yes", err, sizeof(err)),
		     SC_ERR_INVAL);
	sc_load_free(s);
	sc_load_errors_free(&errs);
}

/* The keys of the privilege, protocol transition, create_object and
 * time-ordering steps are checked like every other reference. */
Test(validate, fields_of_the_policy_and_transition_steps)
{
	struct loaded l = load_fails(BASE
				     "    steps:\n"                      /* 22 */
				     "      - do: check_privilege\n"     /* 23 */
				     "      - do: revert\n"              /* 24 */
				     "        privilege: SeTcbPrivilege\n" /* 25 */
				     "      - do: protocol_transition\n" /* 26 */
				     "        user: nobody\n"            /* 27 */
				     "      - do: assign_right\n"        /* 28 */
				     "        privilege: SeTcbPrivilege\n" /* 29 */
				     "        holders: [ghost]\n"        /* 30 */
				     "      - do: revert\n"              /* 31 */
				     "        scope: ou\n"               /* 32 */
				     "      - do: read\n"                /* 33 */
				     "        from: Z\n"                 /* 34 */
				     "      - do: read\n"                /* 35 */
				     "        from: B\n"                 /* 36 */
				     "      - do: create_object\n",      /* 37 */
				     NULL, 8);
	assert_error(&l, 0, 23, 9, "needs 'privilege'");
	assert_error(&l, 1, 25, 20, "'privilege' is not used by step 'revert'");
	assert_error(&l, 2, 27, 15, "nobody");
	assert_error(&l, 3, 30, 19, "ghost");
	assert_error(&l, 4, 32, 16, "'scope' is not used by step 'revert'");
	assert_error(&l, 5, 34, 15, "unknown process 'Z'");
	assert_error(&l, 6, 36, 15, "names process 'B' itself");
	assert_error(&l, 7, 37, 9, "step 'create_object' needs 'object'");
	sc_load_errors_free(&l.errs);
}

Test(validate, a_scope_may_repeat_a_privilege)
{
	struct loaded ok = load(HEAD DOMAIN
				"hosts:\n"
				"  - name: ws1\n"
				"    rights:\n"
				"      - {privilege: SeTcbPrivilege, holders: [alice]}\n"
				"      - {privilege: SeTcbPrivilege, scope: ou, holders: []}\n"
				"  - name: srv1\n" PROCS,
				NULL);
	cr_expect_eq(ok.rc, 0);
	cr_expect_eq(ok.s->hosts[0].rights[1].scope, SC_SCOPE_OU);
	sc_load_free(ok.s);
	sc_load_errors_free(&ok.errs);
	fails_once(HEAD DOMAIN
		   "hosts:\n"                                             /* 8 */
		   "  - name: ws1\n"                                      /* 9 */
		   "    rights:\n"                                        /* 10 */
		   "      - {privilege: SeTcbPrivilege, scope: site, holders: []}\n"
		   "      - {privilege: SeTcbPrivilege, scope: site, holders: []}\n"
		   "  - name: srv1\n" PROCS,
		   12, 21, "assigned twice on host 'ws1' at scope site");
}

/* The program that runs each process follows the call graph: nobody
 * calls A (procA), B is called and calls C (procB), C only serves. */
Test(scenario, program_follows_the_call_graph)
{
	struct loaded l = load(full_yaml, NULL);
	cr_assert_eq(l.rc, 0);
	const sc_process_def *a = sc_scenario_process(l.s, "A");
	const sc_process_def *b = sc_scenario_process(l.s, "B");
	const sc_process_def *c = sc_scenario_process(l.s, "C");
	cr_assert(a && b && c);
	cr_expect_str_eq(sc_scenario_program(l.s, a), "procA");
	cr_expect_str_eq(sc_scenario_program(l.s, b), "procB");
	cr_expect_str_eq(sc_scenario_program(l.s, c), "procC");
	cr_expect(!sc_scenario_is_called(l.s, "A"));
	cr_expect(sc_scenario_is_called(l.s, "C"));
	cr_expect(!sc_process_calls_out(c));
	sc_load_free(l.s);
	sc_load_errors_free(&l.errs);
}

/* Every value of every enum table (sc_common.h, sc_scenario.h), and
 * every alias, is spelt in docs/scenario-format.md in backquotes: the
 * tables are the one place a spelling is defined, and the doc cannot
 * fall behind them. */
struct set_doc {
	const char *table; /* the `set` keys table of the docs */
	char missing[1024];
};

static void set_key_documented(void *user, const char *key)
{
	struct set_doc *d = user;
	char quoted[128];
	snprintf(quoted, sizeof(quoted), "`%s`", key);
	if (!strstr(d->table, quoted)) {
		size_t l = strlen(d->missing);
		snprintf(d->missing + l, sizeof(d->missing) - l, " %s", key);
	}
}

/* Every key `set:`, `--vary` and `run --set` take (the one table of
 * sc_scenario.c) is in the `set` keys table of docs/scenario-format.md,
 * in backquotes: PROC.level, ACCOUNT.allowed_to_act, a bare `level`. */
Test(docs, every_set_key_is_documented)
{
	const char *md = read_doc();
	if (!md)
		cr_skip_test("CLOAKROOM_SOURCE is not set");
	const char *from = strstr(md, "`set` keys (");
	cr_assert_not_null(from, "no `set` keys table");
	const char *to = strstr(from, "\nEvery `set` entry");
	cr_assert_not_null(to);
	static char table[16384];
	size_t n = (size_t)(to - from);
	cr_assert_lt(n, sizeof(table));
	memcpy(table, from, n);
	table[n] = '\0';
	static struct set_doc d;
	d.table = table;
	d.missing[0] = '\0';
	sc_set_keys(set_key_documented, &d);
	cr_expect_str_eq(d.missing, "", "set keys not in the table of "
			 "docs/scenario-format.md:%s", d.missing);
}

Test(docs, every_enum_spelling_is_documented)
{
	const char *md = read_doc();
	const struct {
		const char *what;
		const sc_enum_table *t;
	} tables[] = {
		{"status", &sc_status_table},     {"level", &sc_level_table},
		{"authn", &sc_authn_table},       {"package", &sc_package_table},
		{"cloaking", &sc_cloaking_table}, {"transport", &sc_transport_table},
		{"tracking", &sc_tracking_table}, {"scope", &sc_scope_table},
		{"started_by", &sc_start_table},  {"misbehave", &sc_misbehave_table},
		{"tickets", &sc_tickets_table},
		{"apartment", &sc_apartment_table},
		{"integrity", &sc_integrity_table},
		{"double_hop_outcome", &sc_double_hop_table},
		{"do", &sc_step_kind_table},
		{"type", &sc_object_type_table},
	};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		for (size_t k = 0; k < tables[i].t->count; k++) {
			char want[128];
			snprintf(want, sizeof(want), "`%s`",
				 tables[i].t->entries[k].name);
			cr_expect(strstr(md, want) != NULL,
				  "docs/scenario-format.md lacks %s %s",
				  tables[i].what, want);
		}
}

/* Every right name of SC_ACCESS_RIGHTS (sc_acl.h), the one table the
 * loader, the access check and the printers read, is in the access
 * rights section of docs/scenario-format.md, in backquotes. */
Test(docs, every_right_name_is_documented)
{
	const char *md = read_doc();
	if (!md)
		cr_skip_test("CLOAKROOM_SOURCE is not set");
	const char *from = strstr(md, "### Access rights");
	cr_assert_not_null(from, "no access rights section");
	const char *to = strstr(from, "\n## ");
	cr_assert_not_null(to);
	static char section[16384];
	size_t n = (size_t)(to - from);
	cr_assert_lt(n, sizeof(section));
	memcpy(section, from, n);
	section[n] = '\0';
	for (size_t i = 0; i < sc_right_count; i++) {
		if (sc_right_table[i].alias)
			continue;
		char want[96];
		snprintf(want, sizeof(want), "`%s`", sc_right_table[i].name);
		cr_expect(strstr(section, want) != NULL,
			  "docs/scenario-format.md's access rights lack %s",
			  want);
	}
}

/* A Windows spelling loads as the value it names, through the schema and
 * through the parse functions alike, and prints as the scenario's own
 * spelling. */
Test(scenario, windows_spellings_are_aliases)
{
	const struct {
		const char *yaml;
		int want;
		int which; /* 0 level, 1 authn, 2 cloaking, 3 step kind */
	} cases[] = {
		{"    blanket: {level: SecurityImpersonation}\n",
		 SC_LEVEL_IMPERSONATE, 0},
		{"    blanket: {level: RPC_C_IMP_LEVEL_DELEGATE}\n",
		 SC_LEVEL_DELEGATE, 0},
		{"    blanket: {authn: RPC_C_AUTHN_LEVEL_PKT_PRIVACY}\n",
		 SC_AUTHN_PRIVACY, 1},
		{"    blanket: {authn: pkt_integrity}\n", SC_AUTHN_INTEGRITY, 1},
		{"    blanket: {cloaking: EOAC_DYNAMIC_CLOAKING}\n",
		 SC_CLOAK_DYNAMIC, 2},
		{"    steps: [{do: ImpersonateNamedPipeClient}, "
		 "{do: RevertToSelf}]\n", SC_STEP_IMPERSONATE, 3},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sc_scenario *s = load_b_with("%s", cases[i].yaml);
		const sc_process_def *b = &s->processes[1];
		int got = cases[i].which == 0   ? (int)b->blanket.level
			: cases[i].which == 1 ? (int)b->blanket.authn
			: cases[i].which == 2 ? (int)b->blanket.cloaking
					      : (int)b->steps[0].kind;
		cr_expect_eq(got, cases[i].want, "%s", cases[i].yaml);
		if (cases[i].which == 3)
			cr_expect_eq((int)b->steps[1].kind, SC_STEP_REVERT);
		sc_load_free(s);
	}
	sc_level l;
	cr_expect_eq(sc_level_parse("SecurityIdentification", &l), 0);
	cr_expect_eq(l, SC_LEVEL_IDENTIFY);
	cr_expect_str_eq(sc_level_name(l), "identify");
	cr_expect_neq(sc_level_parse("SecurityImpersonate", &l), 0);
}

/* Every name is checked at load time, with did-you-mean: a user right
 * (on a host, in a step, in `set:`), a rule id and a warning (only the
 * rules that warn), a status. */
Test(validate, every_name_with_did_you_mean)
{
	fails_once(HEAD DOMAIN HOSTS
		   "    rights:\n"                                 /* 11 */
		   "      - privilege: SeImpersonatePrivelege\n"   /* 12 */
		   "        holders: [SERVICE]\n" PROCS,
		   12, 20,
		   "unknown user right 'SeImpersonatePrivelege' (did you mean "
		   "'SeImpersonatePrivilege'?)");
	fails_once(HEAD DOMAIN HOSTS PROCS
		   "expect:\n"                 /* 22 */
		   "  - hop: A->B\n"           /* 23 */
		   "    warning: P1\n",        /* 24 */
		   24, 14, "'P1' never warns (the rules that warn: L2, C3, P2, "
			   "T8; or none)");
	fails_once(HEAD DOMAIN HOSTS PROCS
		   "expect:\n"                 /* 22 */
		   "  - hop: A->B\n"           /* 23 */
		   "    rule: Z9\n",           /* 24 */
		   24, 11, "unknown rule id 'Z9' (did you mean 'T9'?");
	fails_once(HEAD DOMAIN HOSTS PROCS
		   "expect:\n"                 /* 22 */
		   "  - hop: A->B\n"           /* 23 */
		   "    status: ACCES_DENIED\n", /* 24 */
		   24, 13, "(did you mean 'ACCESS_DENIED'?");
	sc_scenario *s = load_ok(HEAD DOMAIN HOSTS PROCS, NULL);
	char err[512];
	cr_expect_neq(sc_scenario_set(s, "srv1.SeTcbPrivelege=alice", err,
				      sizeof(err)), 0);
	cr_expect(strstr(err, "did you mean 'SeTcbPrivilege'") != NULL, "%s",
		  err);
	cr_expect_eq(sc_scenario_set(s, "srv1.SeTcbPrivilege=alice", err,
				     sizeof(err)), 0, "%s", err);
	cr_expect_neq(sc_scenario_set(s, "Bb.level=identify", err, sizeof(err)),
		      0);
	cr_expect(strstr(err, "unknown process 'Bb' in 'Bb.level' (did you "
			      "mean 'B'?)") != NULL, "%s", err);
	sc_load_free(s);
}

/* T12: PROC.integrity sets a process's level, OBJECT.integrity and
 * OBJECT.no_read_up the label of every object so named (report is on
 * two hosts); Windows spellings are taken; a misspelt value or name is
 * refused with did-you-mean. */
Test(set, integrity_levels)
{
	sc_scenario *s = load_ok(full_yaml, NULL);
	cr_expect_eq(s->processes[0].integrity, SC_IL_DEFAULT);
	cr_expect_eq(s->objects[0].integrity, SC_IL_DEFAULT);
	set_ok(s, "A.integrity=low");
	cr_expect_eq(s->processes[0].integrity, SC_IL_LOW);
	set_ok(s, "A.integrity=SECURITY_MANDATORY_HIGH_RID");
	cr_expect_eq(s->processes[0].integrity, SC_IL_HIGH);
	set_ok(s, "report.integrity=Low Mandatory Level");
	cr_expect_eq(s->objects[0].integrity, SC_IL_LOW);
	cr_expect_eq(s->objects[1].integrity, SC_IL_LOW);
	set_ok(s, "report.integrity=S-1-16-16384");
	cr_expect_eq(s->objects[1].integrity, SC_IL_SYSTEM);
	set_ok(s, "report.no_read_up=true");
	cr_expect(s->objects[0].no_read_up && s->objects[1].no_read_up);
	set_fails(s, "A.integrity=lo", "did you mean 'low'?");
	set_fails(s, "reprot.integrity=low",
		  "unknown process or object 'reprot' in 'reprot.integrity' "
		  "(did you mean 'report'?)");
	set_fails(s, "report.no_read_up=maybe", "expected true or false");
	set_fails(s, "reprot.no_read_up=true", "did you mean 'report'?");
	sc_load_free(s);
}

/* T12: the keys load, with the Windows spellings. */
Test(T12, integrity_keys_load)
{
	sc_scenario *s = load_b_with("    integrity: %s\n",
				     "Low Mandatory Level");
	cr_expect_eq(s->processes[1].integrity, SC_IL_LOW);
	sc_load_free(s);
	s = load_ok(BASE OBJECT "    integrity: SECURITY_MANDATORY_HIGH_RID\n"
			       "    no_read_up: true\n"
			       "    type: directory\n",
		    NULL);
	cr_expect_eq(s->objects[0].integrity, SC_IL_HIGH);
	cr_expect(s->objects[0].no_read_up);
	cr_expect_eq(s->objects[0].type, SC_OBJ_DIRECTORY);
	sc_load_free(s);
}

/* ---- P5, T13: a service's required privileges and SID type ----------- */

Test(P5, required_privileges_load_on_a_service_only)
{
	sc_scenario *s = load_b_with(
		"    started_by: service\n"
		"    required_privileges: [%s, SeTcbPrivilege]\n",
		"SeAuditPrivilege");
	cr_assert_eq(s->processes[1].required_privileges_count, 2);
	cr_expect_str_eq(s->processes[1].required_privileges[0],
			 "SeAuditPrivilege");
	cr_expect_eq(s->processes[1].service_sid, SC_SERVICE_SID_NONE,
		     "the default");
	sc_load_free(s);
	/* Misspelt: did-you-mean, at the name. */
	fails_once(BASE "    started_by: service\n"
			"    required_privileges: [SeAuditPrivilage]\n",
		   23, 27, "unknown privilege 'SeAuditPrivilage' (did you "
			   "mean 'SeAuditPrivilege'?)");
	/* A logon right is no privilege; a name listed twice. */
	fails_once(BASE "    started_by: service\n"
			"    required_privileges: [SeServiceLogonRight]\n",
		   23, 27, "logon rights are not privileges");
	fails_once(BASE "    started_by: service\n"
			"    required_privileges: [SeTcbPrivilege, "
			"SeTcbPrivilege]\n",
		   23, 43, "is already listed (required_privileges[0])");
	/* Not a service. */
	fails_once(BASE "    required_privileges: [SeTcbPrivilege]\n", 22, 26,
		   "process 'B' is started by interactive, not the service "
		   "control manager");
}

Test(T13, service_sid_types)
{
	sc_scenario *s = load_b_with("    started_by: service\n"
				     "    service_sid: %s\n",
				     "SERVICE_SID_TYPE_UNRESTRICTED");
	cr_expect_eq(s->processes[1].service_sid,
		     SC_SERVICE_SID_UNRESTRICTED);
	sc_load_free(s);
	/* restricted: refused, saying it is not modelled. */
	fails_once(BASE "    started_by: service\n"
			"    service_sid: restricted\n",
		   23, 18, "a write-restricted token) is not modelled");
	fails_once(BASE "    service_sid: unrestricted\n", 22, 18,
		   "service_sid configures a service");
	/* NT SERVICE\NAME names a process run as a service. */
	fails_once(BASE "    started_by: service\n"
			"objects:\n"
			"  - {name: o, host: srv1, owner: alice, dacl: "
			"[{allow: NT SERVICE\\Bb, access: [read]}]}\n",
		   24, 56, "unknown service 'NT SERVICE\\Bb' (did you mean "
			   "'NT SERVICE\\B'?");
}

Test(set, required_privileges_and_service_sid)
{
	sc_scenario *s = load_ok(full_yaml, NULL);
	unsigned b = 1;
	cr_assert_str_eq(s->processes[b].name, "B");
	set_ok(s, "B.required_privileges=SeImpersonatePrivilege+SeAuditPrivilege");
	cr_assert_eq(s->processes[b].required_privileges_count, 2);
	cr_expect_str_eq(s->processes[b].required_privileges[1],
			 "SeAuditPrivilege");
	set_ok(s, "B.required_privileges=none");
	cr_expect_eq(s->processes[b].required_privileges_count, 0);
	set_fails(s, "B.required_privileges=SeAuditPrivilage",
		  "did you mean 'SeAuditPrivilege'?");
	set_ok(s, "B.service_sid=unrestricted");
	cr_expect_eq(s->processes[b].service_sid, SC_SERVICE_SID_UNRESTRICTED);
	set_fails(s, "B.service_sid=restricted", "is not modelled");
	set_fails(s, "B.service_sid=unrestrictd", "did you mean 'unrestricted'?");
	sc_load_free(s);
}
