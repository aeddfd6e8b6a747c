/* test_paths.c: `cloakroom paths` on tests/data/domains/paths-lab.yaml. What each
 * path must give is written from the lab's definition and docs/rules.md
 * (D1, D4, D5, D6, L4, L5, C6), not from the program's output; every path
 * is then confirmed on the daemons. */
#include <criterion/criterion.h>
#include <jansson.h>

#include "harness.h"

static cmd_result paths(const char *a1, const char *a2, const char *a3,
			const char *a4)
{
	char lab[512];
	snprintf(lab, sizeof(lab), "%s/tests/data/domains/paths-lab.yaml",
		 env_or("CLOAKROOM_SOURCE", "."));
	char *argv[] = {(char *)env_or("CLOAKROOM_LAUNCH", "cloakroom-launch"),
			"paths", lab, "--format", "json", (char *)a1,
			(char *)a2, (char *)a3, (char *)a4, NULL};
	return cmd_run(argv);
}

typedef struct want {
	const char *kind, *middle, *client, *status, *rule;
	bool reached;
} want;

/* svc-sql has an allowed_to_act list (svc-rbcd): wherever classic
 * constrained delegation (D4, judged first) does not grant, that list
 * decides (D5), and a middle tier not on it gets NOT_FOUND. */
static const want lab[] = {
	/* svc-web: constrained, Kerberos only. D4 grants alice, though
	 * svc-sql's list does not name svc-web; admin's ticket and the
	 * transition's (Kerberos only) are not forwardable: D5. */
	{"constrained", "svc-web", "alice", "OK", "D4", true},
	{"constrained", "svc-web", "admin", "NOT_FOUND", "D5", false},
	{"protocol-transition", "svc-web", "alice", "NOT_FOUND", "D5", false},
	{"protocol-transition", "svc-web", "admin", "NOT_FOUND", "D5", false},
	/* svc-app: constrained, any protocol. */
	{"constrained", "svc-app", "alice", "OK", "D4", true},
	{"constrained", "svc-app", "admin", "NOT_FOUND", "D5", false},
	{"protocol-transition", "svc-app", "alice", "OK", "D6", true},
	{"protocol-transition", "svc-app", "admin", "NOT_FOUND", "D5", false},
	/* svc-legacy: unconstrained; a sensitive client's ticket stays
	 * home (D1, D2), no D4 list, and svc-sql's list does not name it
	 * (D5). */
	{"unconstrained", "svc-legacy", "alice", "OK", "L5", true},
	{"unconstrained", "svc-legacy", "admin", "NOT_FOUND", "D5", false},
	/* svc-rbcd: listed by svc-sql. */
	{"resource-based", "svc-rbcd", "alice", "OK", "D5", true},
	{"resource-based", "svc-rbcd", "admin", "NOT_SUPPORTED", "D5", false},
};

static bool has_rule(const char *rules, const char *rule)
{
	char padded[128], word[16];
	snprintf(padded, sizeof(padded), " %s ", rules);
	snprintf(word, sizeof(word), " %s ", rule);
	return strstr(padded, word) != NULL;
}

static void expect_paths(const char *out, const want *w, size_t n)
{
	json_error_t e;
	json_t *arr = json_loads(out, 0, &e);
	cr_assert(json_is_array(arr), "not JSON: %s", e.text);
	cr_expect_eq(json_array_size(arr), n, "%zu paths, expected %zu",
		     json_array_size(arr), n);
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		size_t k;
		json_t *o;
		json_array_foreach(arr, k, o) {
			const char *kind = json_string_value(
				json_object_get(o, "kind"));
			const char *mid = json_string_value(
				json_object_get(o, "middle"));
			const char *cl = json_string_value(
				json_object_get(o, "client"));
			if (!kind || !mid || !cl || strcmp(kind, w[i].kind) ||
			    strcmp(mid, w[i].middle) ||
			    strcmp(cl, w[i].client))
				continue;
			seen = true;
			const char *st = json_string_value(
				json_object_get(o, "status"));
			const char *rules = json_string_value(
				json_object_get(o, "rules"));
			cr_expect_str_eq(st, w[i].status, "%s via %s for %s",
					 w[i].kind, w[i].middle, w[i].client);
			cr_expect(rules && has_rule(rules, w[i].rule),
				  "%s via %s for %s: rules '%s' lack %s",
				  w[i].kind, w[i].middle, w[i].client,
				  rules ? rules : "", w[i].rule);
			cr_expect_eq(json_is_true(json_object_get(o, "reached")),
				     w[i].reached, "%s via %s for %s: reached",
				     w[i].kind, w[i].middle, w[i].client);
			cr_expect(json_is_true(json_object_get(o, "confirmed")),
				  "%s via %s for %s: not confirmed (%s)",
				  w[i].kind, w[i].middle, w[i].client,
				  json_string_value(
					  json_object_get(o, "daemons")));
		}
		cr_expect(seen, "no path %s via %s for %s", w[i].kind,
			  w[i].middle, w[i].client);
	}
	json_decref(arr);
}

Test(paths, every_kind_found_decided_and_confirmed, .timeout = 300)
{
	cmd_result r = paths("--to", "svc-sql", NULL, NULL);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	expect_paths(r.out, lab, sizeof(lab) / sizeof(lab[0]));
	cr_expect(strstr(r.err, "12 of 12 confirmed"), "%s", r.err);
	cmd_free(&r);
}

/* --from one middle tier: its paths, and the client on its own host,
 * which needs no delegation at all (one host boundary, L4). */
Test(paths, from_one_middle_tier_adds_its_own_host, .timeout = 300)
{
	static const want w[] = {
		{"resource-based", "svc-rbcd", "bob", "OK", "D5", true},
		{"same-host", "svc-rbcd", "bob", "OK", "L4", true},
	};
	char lab_path[512];
	snprintf(lab_path, sizeof(lab_path), "%s/tests/data/domains/paths-lab.yaml",
		 env_or("CLOAKROOM_SOURCE", "."));
	char *argv[] = {(char *)env_or("CLOAKROOM_LAUNCH", "cloakroom-launch"),
			"paths", lab_path, "--format", "json", "--to",
			"svc-sql", "--from", "svc-rbcd", "--as", "bob", NULL};
	cmd_result r;
	r = cmd_run(argv);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	expect_paths(r.out, w, 2);
	cmd_free(&r);
}

/* D4 by SPN: a middle tier listing an SPN of svc-sql (either of its
 * two) reaches it, called by that SPN (target_spn); one listing the
 * account reaches it by account; one listing another account's SPN
 * (cifs/fs1) has no path. No sensitive client, no transition rights:
 * protocol transition gives a ticket that is not forwardable (D6), and
 * D4 refuses it (NOT_SUPPORTED). */
Test(paths, targets_named_by_spn, .timeout = 300)
{
	static const want w[] = {
		{"constrained", "svc-web", "alice", "OK", "D4", true},
		{"protocol-transition", "svc-web", "alice", "NOT_SUPPORTED",
		 "D4", false},
		{"constrained", "svc-rpt", "alice", "OK", "D4", true},
		{"protocol-transition", "svc-rpt", "alice", "NOT_SUPPORTED",
		 "D4", false},
		{"constrained", "svc-app", "alice", "OK", "D4", true},
		{"protocol-transition", "svc-app", "alice", "NOT_SUPPORTED",
		 "D4", false},
	};
	static const char *const spn[][2] = {
		{"svc-web", "MSSQLSvc/db1.corp.local:1433"},
		{"svc-rpt", "HTTP/db1.corp.local"},
		{"svc-app", ""},
	};
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/data/domains/spn-lab.yaml",
		 env_or("CLOAKROOM_SOURCE", "."));
	char *argv[] = {(char *)env_or("CLOAKROOM_LAUNCH", "cloakroom-launch"),
			"paths", path, "--format", "json", "--to", "svc-sql",
			NULL};
	cmd_result r = cmd_run(argv);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	expect_paths(r.out, w, sizeof(w) / sizeof(w[0]));
	json_t *arr = json_loads(r.out, 0, NULL);
	size_t k;
	json_t *o;
	json_array_foreach(arr, k, o) {
		const char *mid = json_string_value(json_object_get(o, "middle"));
		const char *got = json_string_value(
			json_object_get(o, "target_spn"));
		for (size_t i = 0; mid && i < 3; i++)
			if (strcmp(mid, spn[i][0]) == 0)
				cr_expect_str_eq(got ? got : "", spn[i][1],
						 "%s: the target's SPN", mid);
	}
	json_decref(arr);
	cmd_free(&r);
}

/* ---- --format svg --------------------------------------------------- */

/* The value of an XPath expression over file, as xmllint prints it. */
static long xpath_count(const char *file, const char *expr)
{
	char *argv[] = {"/usr/bin/xmllint", "--xpath", (char *)expr,
			(char *)file, NULL};
	cmd_result r = cmd_run(argv);
	cr_assert_eq(r.status, 0, "xmllint --xpath '%s': exit %d: %s", expr,
		     r.status, r.err);
	long n = strtol(r.out, NULL, 10);
	cmd_free(&r);
	return n;
}

#define CLASS(c) "contains(concat(' ',@class,' '),' " c " ')"
#define PATHS_G "//*[local-name()='g'][" CLASS("path") "]"

static void svg_of(const char *domain, const char *confirm, char *file,
		   size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/data/domains/%s",
		 env_or("CLOAKROOM_SOURCE", "."), domain);
	char *argv[] = {(char *)env_or("CLOAKROOM_LAUNCH", "cloakroom-launch"),
			"paths", path, "--to", "svc-sql", "--format", "svg",
			(char *)confirm, NULL};
	cmd_result r = cmd_run(argv);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	snprintf(file, len, "/tmp/cloakroom-paths-svg-%d-%s.svg", (int)getpid(),
		 domain);
	FILE *f = fopen(file, "w");
	cr_assert(f);
	fputs(r.out, f);
	fclose(f);
	cmd_free(&r);
	char *lint[] = {"/usr/bin/xmllint", "--noout", file, NULL};
	cmd_result l = cmd_run(lint);
	cr_expect_eq(l.status, 0, "not well-formed XML: %s", l.err);
	cmd_free(&l);
}

/* The graph of the lab's 12 paths: valid SVG, one group per path with
 * two edges (client -> middle tier -> target), a node per middle tier
 * (4) and one target; the 5 paths that stop (written in the table
 * above) drawn as failed; every edge labelled with its kind's rule; all
 * confirmed, so none unconfirmed. Without confirmation every path is
 * drawn unconfirmed. */
Test(paths, svg_graph_of_the_paths, .timeout = 300)
{
	char file[512];
	svg_of("paths-lab.yaml", "--confirm=each", file, sizeof(file));
	cr_expect_eq(xpath_count(file, "count(" PATHS_G ")"), 12);
	cr_expect_eq(xpath_count(file, "count(" PATHS_G "/*[local-name()="
				       "'line'][" CLASS("edge") "])"),
		     24);
	cr_expect_eq(xpath_count(file, "count(//*[local-name()='g']["
				       CLASS("node") "][" CLASS("middle") "])"),
		     4);
	cr_expect_eq(xpath_count(file, "count(//*[local-name()='g']["
				       CLASS("node") "][" CLASS("target") "])"),
		     1);
	size_t stopped = 0;
	for (size_t i = 0; i < sizeof(lab) / sizeof(lab[0]); i++)
		stopped += !lab[i].reached;
	cr_expect_eq(xpath_count(file, "count(" PATHS_G "[" CLASS("failed")
				       "])"),
		     (long)stopped);
	cr_expect_eq(xpath_count(file, "count(" PATHS_G "[" CLASS("unconfirmed")
				       "])"),
		     0);
	cr_expect_eq(xpath_count(file, "count(" PATHS_G "[@data-kind="
				       "'resource-based']//*[contains(., "
				       "'(D5)')])"),
		     2);
	unlink(file);
	svg_of("spn-lab.yaml", "--no-confirm", file, sizeof(file));
	cr_expect_eq(xpath_count(file, "count(" PATHS_G "[" CLASS("unconfirmed")
				       "])"),
		     6);
	/* The target node names the SPNs it is called by. */
	cr_expect_eq(xpath_count(file, "count(//*[" CLASS("target") "]//*["
				       "text()='MSSQLSvc/db1.corp.local:1433'])"),
		     1);
	unlink(file);
}

Test(paths, unknown_names_are_exit_2)
{
	cmd_result r = paths("--to", "svc-nope", NULL, NULL);
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "no account 'svc-nope'"), "%s", r.err);
	cmd_free(&r);
	r = paths("--to", "svc-sql", "--as", "carol");
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "no account 'carol'"), "%s", r.err);
	cmd_free(&r);
	r = paths(NULL, NULL, NULL, NULL);
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "--to SERVICE is required"), "%s", r.err);
	cmd_free(&r);
}

/* ---- privileged clients and NTLM clients (service-lab.yaml) ---------- */

static cmd_result service_lab(const char *a1, const char *a2)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/data/domains/service-lab.yaml",
		 env_or("CLOAKROOM_SOURCE", "."));
	char *argv[] = {(char *)env_or("CLOAKROOM_LAUNCH", "cloakroom-launch"),
			"paths", path, "--to", "svc-sql", (char *)a1,
			(char *)a2, NULL};
	return cmd_run(argv);
}

/* The row of kind through middle for client in a JSON array, or NULL. */
static json_t *row_of(json_t *arr, const char *kind, const char *middle,
		      const char *client)
{
	size_t k;
	json_t *o;
	json_array_foreach(arr, k, o) {
		const char *kd = json_string_value(json_object_get(o, "kind"));
		const char *m = json_string_value(json_object_get(o, "middle"));
		const char *c = json_string_value(json_object_get(o, "client"));
		if (kd && m && c && !strcmp(kd, kind) && !strcmp(m, middle) &&
		    !strcmp(c, client))
			return o;
	}
	return NULL;
}

static void expect_field(json_t *arr, const want *w, const char *key,
			 const char *value)
{
	json_t *o = row_of(arr, w->kind, w->middle, w->client);
	const char *got = o ? json_string_value(json_object_get(o, key)) : NULL;
	cr_expect(got && strcmp(got, value) == 0, "%s via %s for %s: %s '%s', "
		  "expected '%s'", w->kind, w->middle, w->client, key,
		  got ? got : "(none)", value);
}

/* Written from the lab and docs/rules.md before the search ran. The
 * delegation rows, with Kerberos: svc-web's list gives D4 (no
 * allowed_to_act on svc-sql to decide otherwise), but its transition
 * ticket is not forwardable (no trust to authenticate): NOT_SUPPORTED
 * (D4); svc-app has both (D6); svc-legacy is trusted (L5). The
 * privileged clients the lab's processes name: SYSTEM on srv1 reaches
 * svc-print's pipe at Impersonate and svc-print, a service, holds
 * SeImpersonatePrivilege (P3), so its impersonation is at Impersonate
 * (P1) and its call with dynamic cloaking presents SYSTEM, which another
 * host knows as srv1's computer account, CORP\SRV1$ (D8); admin on srv2
 * reaches svc-batch, but srv2 gives SeImpersonatePrivilege to nobody:
 * the impersonation is at Identify (P1 fails, P2) and the cloaked call
 * is BAD_IMPERSONATION_LEVEL (C5); SYSTEM calls svc-mon at Identify:
 * the same status, C5. alice calls svc-print on srv1 too, but she is
 * no privileged client: no row. */
static const want service_kerberos[] = {
	{"constrained", "svc-web", "alice", "OK", "D4", true},
	{"protocol-transition", "svc-web", "alice", "NOT_SUPPORTED", "D4",
	 false},
	{"constrained", "svc-app", "alice", "OK", "D4", true},
	{"protocol-transition", "svc-app", "alice", "OK", "D6", true},
	{"unconstrained", "svc-legacy", "alice", "OK", "L5", true},
	{"privileged-client", "svc-print", "SYSTEM", "OK", "P1", true},
	{"privileged-client", "svc-batch", "admin", "BAD_IMPERSONATION_LEVEL",
	 "P2", false},
	{"privileged-client", "svc-mon", "SYSTEM", "BAD_IMPERSONATION_LEVEL",
	 "C5", false},
};

Test(paths, privileged_clients_impersonated_on_their_hosts, .timeout = 300)
{
	cmd_result r = service_lab("--format", "json");
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	size_t n = sizeof(service_kerberos) / sizeof(service_kerberos[0]);
	expect_paths(r.out, service_kerberos, n);
	json_t *arr = json_loads(r.out, 0, NULL);
	cr_assert(arr);
	expect_field(arr, &service_kerberos[5], "presented", "CORP\\SRV1$");
	expect_field(arr, &service_kerberos[5], "client_host", "srv1");
	expect_field(arr, &service_kerberos[6], "client_host", "srv2");
	/* What blocks each: no SeImpersonatePrivilege (P2, the downgrade),
	 * the client at Identify (C5). */
	expect_field(arr, &service_kerberos[6], "blocked_by", "P2");
	expect_field(arr, &service_kerberos[7], "blocked_by", "C5");
	json_decref(arr);
	cmd_free(&r);
}

/* --package ntlm: the delegation clients sign in with NTLM. svc-web
 * (Kerberos only) has no Kerberos ticket of the client to show
 * (S4U2Proxy's evidence): NOT_SUPPORTED, D4; svc-app transitions to a
 * forwardable ticket (D6) and D4 grants; svc-legacy's forwarded ticket
 * does not exist over NTLM: D3, the double hop fails (ACCESS_DENIED, the
 * default double_hop_status). The privileged clients keep their own
 * blankets (a pipe on one host): their rows are those of Kerberos. */
Test(paths, ntlm_clients_blocked_by_d3_and_d4, .timeout = 300)
{
	static const want w[] = {
		{"constrained", "svc-web", "alice", "NOT_SUPPORTED", "D4",
		 false},
		{"protocol-transition", "svc-web", "alice", "NOT_SUPPORTED",
		 "D4", false},
		{"constrained", "svc-app", "alice", "OK", "D6", true},
		{"protocol-transition", "svc-app", "alice", "OK", "D6", true},
		{"unconstrained", "svc-legacy", "alice", "ACCESS_DENIED", "D3",
		 false},
		{"privileged-client", "svc-print", "SYSTEM", "OK", "P1", true},
		{"privileged-client", "svc-batch", "admin",
		 "BAD_IMPERSONATION_LEVEL", "P2", false},
		{"privileged-client", "svc-mon", "SYSTEM",
		 "BAD_IMPERSONATION_LEVEL", "C5", false},
	};
	cmd_result r = service_lab("--format=json", "--package=ntlm");
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	expect_paths(r.out, w, sizeof(w) / sizeof(w[0]));
	json_t *arr = json_loads(r.out, 0, NULL);
	cr_assert(arr);
	expect_field(arr, &w[0], "blocked_by", "D4");
	expect_field(arr, &w[4], "blocked_by", "D3");
	expect_field(arr, &w[0], "package", "ntlm");
	expect_field(arr, &w[2], "package", "ntlm");
	json_decref(arr);
	cmd_free(&r);
	/* The table says it too. */
	r = service_lab("--package", "ntlm");
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.out, "stopped: [D3]"), "%s", r.out);
	cr_expect(strstr(r.out, "stopped: [D4]"), "%s", r.out);
	cr_expect(strstr(r.err, "signing in with ntlm"), "%s", r.err);
	cmd_free(&r);
	r = service_lab("--package", "lanman");
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "--package takes"), "%s", r.err);
	cmd_free(&r);
}

/* An imported domain says nothing of processes: a file that extends the
 * import's domain.yaml says who connects to what. SYSTEM on web01 calls
 * svc-web's pipe (a service: SeImpersonatePrivilege, P3): svc-web
 * impersonates it (P1) and reaches SQL01$ as web01's computer account,
 * CORP\WEB01$ (D8), which the export has. */
Test(paths, an_import_extended_with_who_connects, .timeout = 300)
{
	char dir[] = "/tmp/cloakroom-paths-import-XXXXXX";
	cr_assert(mkdtemp(dir));
	char ldif[512], out[600], web01[700];
	snprintf(ldif, sizeof(ldif), "%s/tests/data/import/lab.ldif",
		 env_or("CLOAKROOM_SOURCE", "."));
	snprintf(out, sizeof(out), "%s/corp", dir);
	char *imp[] = {(char *)env_or("CLOAKROOM_LAUNCH", "cloakroom-launch"),
		       "import", ldif, "--out", out, NULL};
	cmd_result r = cmd_run(imp);
	cr_assert_eq(r.status, 0, "import: exit %d: %s", r.status, r.err);
	cmd_free(&r);
	snprintf(web01, sizeof(web01), "%s/web01.yaml", out);
	FILE *f = fopen(web01, "w");
	cr_assert(f);
	fputs("extends: domain.yaml\n"
	      "scenario: corp-web01\n"
	      "hosts:\n"
	      "  - name: web01\n"
	      "processes:\n"
	      "  - {name: spooler, new: true, host: web01, account: SYSTEM,\n"
	      "     started_by: service,\n"
	      "     blanket: {transport: pipe, sqos: true, level: impersonate},\n"
	      "     steps: [{do: call, to: web}]}\n"
	      "  - {name: web, new: true, host: web01, account: svc-web,\n"
	      "     started_by: service,\n"
	      "     steps: [{do: read}, {do: impersonate}]}\n",
	      f);
	fclose(f);
	char *argv[] = {(char *)env_or("CLOAKROOM_LAUNCH", "cloakroom-launch"),
			"paths", web01, "--to", "SQL01$", "--as", "SYSTEM",
			"--format", "json", NULL};
	r = cmd_run(argv);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	static const want w[] = {
		{"privileged-client", "svc-web", "SYSTEM", "OK", "P1", true},
	};
	expect_paths(r.out, w, 1);
	json_t *arr = json_loads(r.out, 0, NULL);
	cr_assert(arr);
	expect_field(arr, &w[0], "presented", "CORP\\WEB01$");
	json_decref(arr);
	cmd_free(&r);
	char *rm[] = {"/bin/rm", "-rf", dir, NULL};
	r = cmd_run(rm);
	cmd_free(&r);
}
