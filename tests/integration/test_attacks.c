/* test_attacks.c: every attack of scenarios/attacks/, run by the real
 * launcher over mutual TLS, is refused the same way: one hop refused under
 * the attack's rule, either by the callee (BAD_CONTEXT, gRPC
 * UNAUTHENTICATED, its log naming the refusal) or by the authority, which
 * mints no ticket (the call is not made: ACCESS_DENIED, the authority's
 * log naming the refusal); the trace says why, nothing runs at the callee
 * for that call, and no process is left behind. Without TLS (--insecure)
 * every attack but the relay is refused the same way (the signatures and
 * the tickets' authorization data alone catch it); the relay, which only
 * the TLS peer binding catches, then succeeds, as docs/security.md says. */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <sys/stat.h>

/* Each attack, with the rule that must refuse it and where: at the
 * callee (the hop BAD_CONTEXT, gRPC UNAUTHENTICATED) or at the authority,
 * which mints no ticket (the call is not made: ACCESS_DENIED). */
typedef struct attack {
	char file[64];
	char rule[4];
	bool needs_tls; /* only a TLS peer binding catches it */
	bool at_authority;
} attack;

static const attack attacks[] = {
	{"forged-context.yaml", "K1", false, false},	  /* forged context */
	{"raised-level.yaml", "K1", false, false},	  /* level raised */
	{"added-group.yaml", "K1", false, false},	  /* a group added */
	{"replay.yaml", "K5", false, false},		  /* replay */
	{"expired-context.yaml", "K3", false, false},	  /* expired */
	{"wrong-audience.yaml", "K4", false, false},	  /* wrong audience */
	{"stripped-actor.yaml", "K6", false, false},	  /* actor stripped */
	{"present-client.yaml", "K7", false, false},	  /* no credential */
	{"unknown-authority.yaml", "K2", false, false},  /* unknown authority */
	{"relayed-context.yaml", "K6", true, true},	  /* relayed: TLS peer */
	{"claimed-groups.yaml", "K7", false, false},	  /* signed extra groups */
	{"claimed-groups-through-b.yaml", "K7", false, false}, /* via honest B */
	{"claimed-privilege.yaml", "K7", false, false},  /* pipe: SeTcb claimed */
	{"identify-evidence.yaml", "C5", false, true},	  /* Identify evidence */
	{"claimed-computer.yaml", "K7", false, true},	  /* another's HOST$ */
	{"other-session-key.yaml", "K1", false, false},  /* another's MAC key */
	{"moved-authenticator.yaml", "K1", false, false}, /* moved authenticator */
	{"stale-session-key.yaml", "K3", false, false},  /* key past expiry */
};
#define ATTACKS (sizeof(attacks) / sizeof(attacks[0]))

static void attacks_dir(char *buf, size_t len)
{
	snprintf(buf, len, "%s/scenarios/attacks",
		 env_or("CLOAKROOM_SOURCE", "."));
}

/* Every file in scenarios/attacks/ is in the table, and every entry of
 * the table is a file: an attack cannot be added, or lost, unchecked. */
Test(attacks, the_table_is_the_directory)
{
	char dir[512];
	attacks_dir(dir, sizeof(dir));
	DIR *d = opendir(dir);
	cr_assert(d, "%s", dir);
	struct dirent *e;
	size_t files = 0;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 5, ".yaml") != 0)
			continue;
		files++;
		bool known = false;
		for (size_t i = 0; i < ATTACKS; i++)
			known |= strcmp(attacks[i].file, e->d_name) == 0;
		cr_expect(known, "%s is not in test_attacks.c's table",
			  e->d_name);
	}
	closedir(d);
	cr_expect_eq(files, ATTACKS, "%zu files, %zu attacks in the table",
		     files, (size_t)ATTACKS);
}

ParameterizedTestParameters(attacks, refused)
{
	attack *p = cr_malloc(sizeof(attacks));
	memcpy(p, attacks, sizeof(attacks));
	return cr_make_param_array(attack, p, ATTACKS, NULL);
}

ParameterizedTestParameters(attacks, refused_without_tls)
{
	attack *p = cr_malloc(sizeof(attacks));
	size_t n = 0;
	for (size_t i = 0; i < ATTACKS; i++)
		if (!attacks[i].needs_tls)
			p[n++] = attacks[i];
	return cr_make_param_array(attack, p, n, NULL);
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static bool has_rule(json_t *hop, const char *rule)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(hop, "rules"), i, r)
		if (strcmp(json_string_value(r), rule) == 0)
			return true;
	return false;
}

/* How many lines of the callee's log(s) under dir say it refused a call
 * under rule. */
static int refusals_logged(const char *dir, const char *callee,
			   const char *rule)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "cat %s/*/%s.log %s/*/*-%s.log 2>/dev/null | "
		 "grep -c 'refused a call from .*: \\[%s\\] '",
		 dir, callee, dir, callee, rule);
	FILE *p = popen(cmd, "r");
	int n = 0;
	if (p) {
		if (fscanf(p, "%d", &n) != 1)
			n = 0;
		pclose(p);
	}
	return n;
}

/* Runs scenarios/attacks/NAME with --json and --keep-logs (and
 * --insecure), in a private TMPDIR written to tmp; the exit status must be
 * want. Returns the report; attack_run_end frees it and removes tmp. */
static json_t *attack_run(const char *name, bool insecure, int want,
			  char tmp[64], cmd_result *r)
{
	char file[600], dir[512];
	attacks_dir(dir, sizeof(dir));
	snprintf(file, sizeof(file), "%s/%s", dir, name);
	snprintf(tmp, 64, "/tmp/cloakroom-attack-XXXXXX");
	cr_assert(mkdtemp(tmp));
	setenv("TMPDIR", tmp, 1);
	char *argv[] = {(char *)env_or("CLOAKROOM_LAUNCH", "cloakroom-launch"),
			"run", file, "--json", "--keep-logs",
			insecure ? "--insecure" : NULL, NULL};
	*r = cmd_run(argv);
	cr_expect_eq(r->status, want, "%s: exit %d\n%s", name, r->status,
		     r->err);
	json_error_t jerr;
	json_t *root = json_loads(r->out, 0, &jerr);
	cr_assert(root, "%s: no JSON: %s\n%s", name, jerr.text, r->err);
	return root;
}

static void attack_run_end(const char *tmp, json_t *root, cmd_result *r)
{
	/* No process of the run outlives it. */
	cr_expect_eq(procs_mentioning(tmp), 0,
		     "a process of the run is still running");
	json_decref(root);
	cmd_free(r);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", tmp);
}

/* Refused at the authority: the caller's trace says so under the rule,
 * the authority's log names the refusal, and the callee never served the
 * call (no step, no refusal of its own). */
static void expect_refused_at_authority(const attack *a, const char *tmp,
					json_t *h)
{
	bool why = false;
	size_t i;
	json_t *n;
	json_array_foreach(json_object_get(h, "notes"), i, n)
		why |= strcmp(str(n, "rule"), a->rule) == 0 &&
		       strstr(str(n, "text"), "the authority refused") != NULL;
	cr_expect(why, "%s: no note under %s saying the authority refused",
		  a->file, a->rule);
	cr_expect_eq(json_array_size(json_object_get(h, "steps")), 0,
		     "%s: steps ran at %s", a->file, str(h, "to"));
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "cat %s/*/authority.log %s/*/*-authority.log 2>/dev/null | "
		 "grep -c '^authority: refused: \\[%s\\] '",
		 tmp, tmp, a->rule);
	FILE *p = popen(cmd, "r");
	int count = 0;
	if (p) {
		if (fscanf(p, "%d", &count) != 1)
			count = 0;
		pclose(p);
	}
	cr_expect_geq(count, 1, "%s: the authority's log does not say it "
				"refused under %s",
		      a->file, a->rule);
	cr_expect_eq(refusals_logged(tmp, str(h, "to"), a->rule), 0,
		     "%s: %s was reached and refused the call itself", a->file,
		     str(h, "to"));
}

/* Runs the attack (over mutual TLS, or without TLS) and checks that it
 * was refused as the header says. */
static void expect_refused(const attack *a, bool insecure)
{
	char tmp[64];
	cmd_result r;
	json_t *root = attack_run(a->file, insecure, 0, tmp, &r);
	cr_expect(json_is_true(json_object_get(root, "pass")),
		  "%s: its expectations failed", a->file);

	json_t *hops = json_object_get(root, "hops");
	size_t i, refused = 0, at = 0;
	json_t *h;
	const char *refusal = a->at_authority ? "ACCESS_DENIED" : "BAD_CONTEXT";
	json_array_foreach(hops, i, h) {
		if (strcmp(str(h, "status"), refusal) == 0) {
			refused++;
			at = i;
		} else {
			cr_expect_str_eq(str(h, "status"), "OK",
					 "%s: hop %zu %s->%s", a->file, i + 1,
					 str(h, "from"), str(h, "to"));
		}
	}
	cr_assert_eq(refused, 1, "%s: %zu hops refused, expected 1", a->file,
		     refused);
	h = json_array_get(hops, at);
	const char *callee = str(h, "to");
	/* Refused under the attack's rule, and the trace says why: the
	 * callee's UNAUTHENTICATED status and reason, cited under it. */
	cr_expect(has_rule(h, a->rule), "%s: the refused hop does not cite %s",
		  a->file, a->rule);
	if (a->at_authority) {
		expect_refused_at_authority(a, tmp, h);
		attack_run_end(tmp, root, &r);
		return;
	}
	char tag[32];
	snprintf(tag, sizeof(tag), "BAD_CONTEXT [%s] ", a->rule);
	bool why = false;
	json_t *n;
	json_array_foreach(json_object_get(h, "notes"), i, n) {
		const char *text = str(n, "text");
		const char *t = strstr(text, tag);
		if (strcmp(str(n, "rule"), a->rule) == 0 && t &&
		    strlen(t + strlen(tag)) > 8 &&
		    strstr(text, "gRPC status 16") != NULL)
			why = true;
	}
	cr_expect(why, "%s: no note under %s saying '%s<reason>' with the "
		       "UNAUTHENTICATED status",
		  a->file, a->rule, tag);
	/* Nothing granted: no step ran at the callee for this call, and no
	 * call went further from it. */
	cr_expect_eq(json_array_size(json_object_get(h, "steps")), 0,
		     "%s: steps ran at %s for the refused call", a->file,
		     callee);
	for (size_t k = at + 1; k < json_array_size(hops); k++)
		cr_expect_str_neq(str(json_array_get(hops, k), "from"), callee,
				  "%s: %s called on after it refused", a->file,
				  callee);
	/* The callee logged the refusal under the same rule. */
	cr_expect_eq(refusals_logged(tmp, callee, a->rule), 1,
		     "%s: %s's log does not say it refused under %s", a->file,
		     callee, a->rule);
	attack_run_end(tmp, root, &r);
}

ParameterizedTest(attack *a, attacks, refused, .timeout = 120)
{
	expect_refused(a, false);
}

ParameterizedTest(attack *a, attacks, refused_without_tls, .timeout = 120)
{
	expect_refused(a, true);
}

/* The relay without TLS: every signature checks out, so C believes A
 * called; the run's expectations (refused under K6) fail, exit 1. */
Test(attacks, the_relay_succeeds_without_tls, .timeout = 120)
{
	char tmp[64];
	cmd_result r;
	json_t *root = attack_run("relayed-context.yaml", true, 1, tmp, &r);
	json_t *h;
	size_t i, bad = 0;
	json_array_foreach(json_object_get(root, "hops"), i, h)
		bad += strcmp(str(h, "status"), "OK") != 0;
	cr_expect_eq(bad, 0, "a hop was refused without TLS");
	attack_run_end(tmp, root, &r);
}
