/* test_import.c: `cloakroom import` on the lab export of tests/data/import
 * (LDIF, and the same domain as SharpHound JSON), then `cloakroom paths`
 * on what it wrote. The paths to SQL01$ are written from the lab's
 * definition (make-lab.py) and docs/rules.md (D1, D4, D5, D6, L5, C6), not
 * from the program's output; each is confirmed on the daemons. A
 * malformed export is exit 2 with FILE:LINE, and nothing is written. */
#include <criterion/criterion.h>
#include <jansson.h>

#include "harness.h"

#include <sys/stat.h>

static char *src_path(const char *rel)
{
	static char buf[4][1024];
	static int n;
	char *b = buf[n++ % 4];
	snprintf(b, 1024, "%s/%s", env_or("CLOAKROOM_SOURCE", "."), rel);
	return b;
}

static char *tmp_dir(void)
{
	static char dir[256];
	snprintf(dir, sizeof(dir), "%s/cloakroom-import-test-XXXXXX",
		 env_or("TMPDIR", "/tmp"));
	cr_assert(mkdtemp(dir));
	return dir;
}

static cmd_result import(const char *a, const char *b, const char *out)
{
	char *argv[] = {(char *)env_or("CLOAKROOM_LAUNCH", "cloakroom-launch"),
			"import", (char *)a, "--out", (char *)out, (char *)b,
			NULL};
	return cmd_run(argv);
}

typedef struct want {
	const char *kind, *middle, *client, *status, *rule;
	bool reached;
} want;

/* The clients: the accounts that are not sensitive stand as one class
 * ("Administrator (and 9 more)", the first of them), the sensitive ones
 * (admin by NOT_DELEGATED, carol and dan by Protected Users) as
 * another. */
/* SQL01$ has an allowed_to_act list (APP02$): wherever classic
 * constrained delegation (D4, judged first) does not grant, that list
 * decides (D5), and a middle tier not on it gets NOT_FOUND. */
static const want lab[] = {
	/* svc-web: MSSQLSvc/sql01 is SQL01$'s; Kerberos only (D4, no D6):
	 * the transition's ticket is not forwardable. */
	{"constrained", "svc-web", "Administrator", "OK", "D4", true},
	{"constrained", "svc-web", "admin", "NOT_FOUND", "D5", false},
	{"protocol-transition", "svc-web", "Administrator", "NOT_FOUND",
	 "D5", false},
	{"protocol-transition", "svc-web", "admin", "NOT_FOUND", "D5",
	 false},
	/* svc-app: TRUSTED_TO_AUTH_FOR_DELEGATION (D6). */
	{"constrained", "svc-app", "Administrator", "OK", "D4", true},
	{"constrained", "svc-app", "admin", "NOT_FOUND", "D5", false},
	{"protocol-transition", "svc-app", "Administrator", "OK", "D6", true},
	{"protocol-transition", "svc-app", "admin", "NOT_FOUND", "D5",
	 false},
	/* TRUSTED_FOR_DELEGATION: WEB01$ and the domain controller; a
	 * sensitive client is not delegated (D1, D2), and SQL01$'s list
	 * names neither (D5). */
	{"unconstrained", "WEB01$", "Administrator", "OK", "L5", true},
	{"unconstrained", "WEB01$", "admin", "NOT_FOUND", "D5", false},
	{"unconstrained", "DC01$", "Administrator", "OK", "L5", true},
	{"unconstrained", "DC01$", "admin", "NOT_FOUND", "D5", false},
	/* SQL01$'s msDS-AllowedToActOnBehalfOfOtherIdentity: APP02$. */
	{"resource-based", "APP02$", "Administrator", "OK", "D5", true},
	{"resource-based", "APP02$", "admin", "NOT_SUPPORTED", "D5", false},
};

static bool has_rule(const char *rules, const char *rule)
{
	char padded[128], word[16];
	snprintf(padded, sizeof(padded), " %s ", rules);
	snprintf(word, sizeof(word), " %s ", rule);
	return strstr(padded, word) != NULL;
}

static void expect_lab_paths(const char *domain)
{
	char *argv[] = {(char *)env_or("CLOAKROOM_LAUNCH", "cloakroom-launch"),
			"paths", (char *)domain, "--to", "SQL01$", "--format",
			"json", NULL};
	cmd_result r = cmd_run(argv);
	cr_assert_eq(r.status, 0, "paths exit %d: %s", r.status, r.err);
	json_error_t e;
	json_t *arr = json_loads(r.out, 0, &e);
	cr_assert(json_is_array(arr), "not JSON: %s", e.text);
	size_t n = sizeof(lab) / sizeof(lab[0]);
	cr_expect_eq(json_array_size(arr), n,
		     "%zu paths, expected %zu (svc-files, svc-backup and the "
		     "disabled svc-old have none)",
		     json_array_size(arr), n);
	for (size_t i = 0; i < n; i++) {
		const want *w = &lab[i];
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
			if (!kind || !mid || !cl || strcmp(kind, w->kind) ||
			    strcmp(mid, w->middle) || strcmp(cl, w->client))
				continue;
			seen = true;
			/* D4 by SPN: the export's msDS-AllowedToDelegateTo
			 * names SQL01$'s MSSQLSvc SPN, which the domain keeps
			 * and paths calls the target by. */
			bool by_spn = strcmp(w->middle, "svc-web") == 0 ||
				      strcmp(w->middle, "svc-app") == 0;
			const char *spn = json_string_value(
				json_object_get(o, "target_spn"));
			cr_expect_str_eq(spn ? spn : "",
					 by_spn ? "MSSQLSvc/sql01.corp.example"
						  ".com:1433"
						: "",
					 "%s via %s: the target's SPN",
					 w->kind, w->middle);
			const char *rules = json_string_value(
				json_object_get(o, "rules"));
			cr_expect_str_eq(json_string_value(
						 json_object_get(o, "status")),
					 w->status, "%s via %s for %s", w->kind,
					 w->middle, w->client);
			cr_expect(rules && has_rule(rules, w->rule),
				  "%s via %s for %s: rules '%s' lack %s",
				  w->kind, w->middle, w->client,
				  rules ? rules : "", w->rule);
			cr_expect_eq(json_is_true(json_object_get(o, "reached")),
				     w->reached, "%s via %s for %s: reached",
				     w->kind, w->middle, w->client);
			cr_expect(json_is_true(json_object_get(o, "confirmed")),
				  "%s via %s for %s: not confirmed (%s)",
				  w->kind, w->middle, w->client,
				  json_string_value(
					  json_object_get(o, "daemons")));
			if (!w->reached)
				continue;
			char as[160];
			snprintf(as, sizeof(as), "CORP\\%s", w->client);
			cr_expect_str_eq(json_string_value(json_object_get(
						 o, "presented")),
					 as, "%s via %s: identity at SQL01$",
					 w->kind, w->middle);
		}
		cr_expect(seen, "no path %s via %s for %s", w->kind, w->middle,
			  w->client);
	}
	/* The sensitive class holds the three: admin and 2 more. */
	size_t k;
	json_t *o;
	json_array_foreach(arr, k, o) {
		if (strcmp(json_string_value(json_object_get(o, "client")),
			   "admin") == 0)
			cr_expect_eq(json_integer_value(
					     json_object_get(o, "clients")),
				     3, "admin, carol and dan are sensitive");
	}
	json_decref(arr);
	cmd_free(&r);
}

static void rm_tree(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

Test(import, ldif_then_paths_every_kind_confirmed, .timeout = 300)
{
	char *dir = tmp_dir();
	char out[400], domain[450];
	snprintf(out, sizeof(out), "%s/corp", dir);
	cmd_result r = import(src_path("tests/data/import/lab.ldif"), NULL,
			      out);
	cr_assert_eq(r.status, 0, "import exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.out, "10 users, 5 computers"), "%s", r.out);
	cr_expect(strstr(r.out, "2 disabled, 1 not understood"), "%s", r.out);
	cr_expect(strstr(r.err, "skipped ") &&
		  strstr(r.err, "OU=Servers,DC=corp,DC=example,DC=com: not a "
				"user, computer or group"),
		  "the unknown record, reported with its DN: %s", r.err);
	cr_expect(strstr(r.err, "MSSQLSvc/oldsql.corp.example.com:1433"),
		  "%s", r.err);
	cmd_free(&r);
	snprintf(domain, sizeof(domain), "%s/domain.yaml", out);
	/* The SPNs are carried: SQL01$ holds its MSSQLSvc SPN, svc-app
	 * lists it as the export does; cifs/fs02, which AD maps to
	 * FS02$'s HOST/ SPN, is written as the account. */
	FILE *f = fopen(domain, "r");
	cr_assert(f);
	static char text[65536];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	cr_expect(strstr(text, "spns: [\"MSSQLSvc/sql01.corp.example.com:"
			       "1433\""), "%s", text);
	cr_expect(strstr(text, "allowed_to_delegate_to: [\"MSSQLSvc/sql01."
			       "corp.example.com:1433\"]"), "%s", text);
	cr_expect(strstr(text, "allowed_to_delegate_to: [\"FS02$\"]"), "%s",
		  text);
	expect_lab_paths(domain);
	rm_tree(dir);
}

Test(import, sharphound_then_paths_the_same, .timeout = 300)
{
	char *dir = tmp_dir();
	char out[400], domain[450];
	snprintf(out, sizeof(out), "%s/corp", dir);
	cmd_result r = import(src_path("tests/data/import/sharphound"), NULL,
			      out);
	cr_assert_eq(r.status, 0, "import exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.out, "3 JSON files"), "%s", r.out);
	cr_expect(strstr(r.out, "10 users, 5 computers"), "%s", r.out);
	cmd_free(&r);
	snprintf(domain, sizeof(domain), "%s/domain.yaml", out);
	expect_lab_paths(domain);
	rm_tree(dir);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
}

/* Exit 2, FILE:LINE: why, and the output left as it was: a new DIR is not
 * created, an old domain.yaml is not touched, no temporary file stays. */
static void malformed(const char *name, const char *text, const char *msg)
{
	char *dir = tmp_dir();
	char bad[400], out[400], old[450], good[400];
	snprintf(bad, sizeof(bad), "%s/%s", dir, name);
	write_text(bad, text);
	snprintf(out, sizeof(out), "%s/new", dir);
	cmd_result r = import(bad, NULL, out);
	cr_expect_eq(r.status, 2, "%s: exit %d", name, r.status);
	char want[600];
	snprintf(want, sizeof(want), "%s%s", bad, msg);
	cr_expect(strstr(r.err, want), "%s: '%s' lacks '%s'", name, r.err,
		  want);
	struct stat st;
	cr_expect(stat(out, &st) != 0, "%s: %s was created", name, out);
	cmd_free(&r);
	/* Over an earlier import: left alone, even with a good file first. */
	snprintf(out, sizeof(out), "%s/old", dir);
	mkdir(out, 0755);
	snprintf(old, sizeof(old), "%s/domain.yaml", out);
	write_text(old, "# an earlier import\n");
	snprintf(good, sizeof(good), "%s",
		 src_path("tests/data/import/lab.ldif"));
	r = import(good, bad, out);
	cr_expect_eq(r.status, 2, "%s: exit %d", name, r.status);
	cmd_free(&r);
	FILE *f = fopen(old, "r");
	char line[100] = "";
	cr_assert(f);
	cr_expect(fgets(line, sizeof(line), f) &&
			  strcmp(line, "# an earlier import\n") == 0,
		  "%s: domain.yaml was changed", name);
	fclose(f);
	DIR *dh = opendir(out);
	struct dirent *de;
	int entries = 0;
	while ((de = readdir(dh)) != NULL)
		entries += de->d_name[0] != '.' ||
			   strncmp(de->d_name, ".domain", 7) == 0;
	closedir(dh);
	cr_expect_eq(entries, 1, "%s: files left in %s", name, out);
	rm_tree(dir);
}

Test(import, malformed_ldif_line_exit_2_nothing_written)
{
	malformed("bad.ldif",
		  "# a user\ndn: CN=a,DC=corp,DC=test\nobjectClass: user\n"
		  "sAMAccountName: a\nthis is not an attribute\n",
		  ":5: not an LDIF line");
}

Test(import, malformed_base64_exit_2_nothing_written)
{
	malformed("b64.ldif",
		  "dn: CN=a,DC=corp,DC=test\nobjectClass: user\n"
		  "objectSid:: AQUA*AAAA\n",
		  ":3: not an LDIF line");
}

Test(import, include_is_refused)
{
	malformed("inc.ldif",
		  "dn: CN=a,DC=corp,DC=test\nobjectClass: user\n\n"
		  "include: file:///etc/passwd\n",
		  ":4: 'include:' is not read");
}

Test(import, malformed_json_exit_2_nothing_written)
{
	malformed("users.json",
		  "{\n \"data\": [\n  {\"Properties\": {\"name\": \"A\"},}\n"
		  " ],\n \"meta\": {\"type\": \"users\"}\n}\n",
		  ":3: not valid JSON");
}

Test(import, usage_errors)
{
	char *argv[] = {(char *)env_or("CLOAKROOM_LAUNCH", "cloakroom-launch"),
			"import", src_path("tests/data/import/lab.ldif"), NULL};
	cmd_result r = cmd_run(argv);
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "--out DIR is required"), "%s", r.err);
	cmd_free(&r);
	r = import("/nonexistent/export.ldif", NULL, "/tmp/never-written");
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "/nonexistent/export.ldif: cannot read"), "%s",
		  r.err);
	cmd_free(&r);
}

/* The whole text of FILE (the caller frees it). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert(f, "cannot read %s", path);
	size_t cap = 1 << 16, n = 0;
	char *text = malloc(cap);
	cr_assert(text);
	size_t got;
	while ((got = fread(text + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap) {
			cap *= 2;
			text = realloc(text, cap);
			cr_assert(text);
		}
	}
	text[n] = '\0';
	fclose(f);
	return text;
}

/* From "\ndomain:\n" up to the next top-level key ("\nhosts:"): the
 * domain block of a scenario, as text. */
static char *domain_block(const char *text, const char *what)
{
	const char *from = strstr(text, "\ndomain:\n");
	cr_assert(from, "%s has no domain:", what);
	const char *to = strstr(from, "\nhosts:");
	cr_assert(to, "%s has no hosts: after its domain", what);
	while (to > from && to[-1] == '\n')
		to--;
	return strndup(from + 1, (size_t)(to - from - 1));
}

/* scenarios/cookbook/corp-lab.yaml says its domain is the lab as
 * `cloakroom import` writes it: the generator is run afresh, its LDIF
 * imported, and the scenario's domain block must be that import's, word
 * for word. The committed lab.ldif must be the generator's output too. */
Test(import, lab_scenario_domain_is_a_fresh_import, .timeout = 120)
{
	char *dir = tmp_dir();
	char cmd[1400], ldif[400], out[400], domain[450];
	snprintf(cmd, sizeof(cmd), "python3 '%s' '%s'",
		 src_path("tests/data/import/make-lab.py"), dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(ldif, sizeof(ldif), "%s/lab.ldif", dir);
	char *fresh = slurp(ldif);
	char *kept = slurp(src_path("tests/data/import/lab.ldif"));
	cr_expect_str_eq(kept, fresh,
			 "tests/data/import/lab.ldif is not make-lab.py's "
			 "output: run make-lab.py");
	free(fresh);
	free(kept);
	snprintf(out, sizeof(out), "%s/corp", dir);
	cmd_result r = import(ldif, NULL, out);
	cr_assert_eq(r.status, 0, "import exit %d: %s", r.status, r.err);
	cmd_free(&r);
	snprintf(domain, sizeof(domain), "%s/domain.yaml", out);
	char *imported = slurp(domain);
	char *scenario = slurp(src_path("scenarios/cookbook/corp-lab.yaml"));
	char *want = domain_block(imported, domain);
	char *got = domain_block(scenario, "corp-lab.yaml");
	cr_expect_str_eq(got, want,
			 "scenarios/cookbook/corp-lab.yaml's domain is not "
			 "what `cloakroom import` writes for the lab");
	free(want);
	free(got);
	free(imported);
	free(scenario);
	rm_tree(dir);
}
