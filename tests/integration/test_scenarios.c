/* test_scenarios.c: the data-driven runner. Every scenario file under
 * scenarios/ is one test: the real launcher starts the real daemons in
 * every case of the file (as written, then each variant), and the file's
 * own expect: blocks decide. A case without expectations fails, so no
 * file can pass by saying nothing. */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <ftw.h>
#include <jansson.h>

#define MAX_SCENARIOS 512

static char *found[MAX_SCENARIOS];
static size_t found_count;

static int collect(const char *path, const struct stat *sb, int flag,
		   struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	size_t l = strlen(path);
	if (flag == FTW_F && l > 5 && strcmp(path + l - 5, ".yaml") == 0 &&
	    found_count < MAX_SCENARIOS)
		found[found_count++] = strdup(path);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct scen {
	char path[512];
} scen;

ParameterizedTestParameters(scenarios, run)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/scenarios",
		 env_or("CLOAKROOM_SOURCE", "."));
	nftw(dir, collect, 16, FTW_PHYS);
	qsort(found, found_count, sizeof(found[0]), by_name);
	scen *params = cr_malloc(sizeof(scen) * (found_count ? found_count : 1));
	for (size_t i = 0; i < found_count; i++) {
		snprintf(params[i].path, sizeof(params[i].path), "%s",
			 found[i]);
		free(found[i]);
	}
	return cr_make_param_array(scen, params, found_count, NULL);
}

/* The rule ids docs/rules.md documents: the first cell of each table
 * row ("| D4 | ..."). Loaded once. */
#define MAX_IDS 128
static char doc_ids[MAX_IDS][8];
static size_t doc_ids_count;

static void load_doc_ids(void)
{
	if (doc_ids_count)
		return;
	char path[600];
	snprintf(path, sizeof(path), "%s/docs/rules.md",
		 env_or("CLOAKROOM_SOURCE", "."));
	FILE *f = fopen(path, "r");
	cr_assert(f, "cannot read %s", path);
	char line[4096];
	while (fgets(line, sizeof(line), f) && doc_ids_count < MAX_IDS) {
		char id[8];
		int n = 0;
		if (sscanf(line, "| %7[A-Z0-9] |%n", id, &n) == 1 && n > 0 &&
		    id[0] >= 'A' && id[0] <= 'Z' && id[1] >= '0' &&
		    id[1] <= '9')
			snprintf(doc_ids[doc_ids_count++], 8, "%s", id);
	}
	fclose(f);
	cr_assert_gt(doc_ids_count, 30, "%s: no rule table found", path);
}

/* A note's rule: an id docs/rules.md documents, or NET (a fact of the
 * transport, docs/rules.md). */
static bool documented(const char *rule)
{
	if (rule && strcmp(rule, "NET") == 0)
		return true;
	for (size_t i = 0; rule && i < doc_ids_count; i++)
		if (strcmp(doc_ids[i], rule) == 0)
			return true;
	return false;
}

static void check_notes(const char *path, const char *variant,
			const char *what, json_t *notes)
{
	size_t i;
	json_t *n;
	json_array_foreach(notes, i, n) {
		const char *rule = json_string_value(json_object_get(n, "rule"));
		cr_expect(documented(rule),
			  "%s %s: %s: note '%s' names %s, not a rule of "
			  "docs/rules.md",
			  path, variant, what,
			  json_string_value(json_object_get(n, "text")),
			  rule && *rule ? rule : "no rule");
	}
}

/* Every hop names the rules that decided it: the caller's choice of the
 * identity it presents (or of the blanket that refused the call), and
 * either the callee's decision on the level (a rule besides T5, which
 * only ends the call) or, for a hop that failed, the rule that failed it
 * (the last note; NET only for a transport failure). Each note names a
 * documented id, and so does each note of the steps the callee ran. */
static void check_hop_rules(const char *path, const char *variant,
			    size_t i, json_t *h)
{
	load_doc_ids();
	json_t *notes = json_object_get(h, "notes");
	size_t n = json_array_size(notes);
	size_t caller = (size_t)json_integer_value(
		json_object_get(h, "caller_notes"));
	const char *status = json_string_value(json_object_get(h, "status"));
	char what[64];
	snprintf(what, sizeof(what), "hop %zu", i + 1);
	check_notes(path, variant, what, notes);
	cr_expect(caller > 0 && caller <= n,
		  "%s %s: hop %zu: the caller's decision names no rule", path,
		  variant, i + 1);
	if (status && strcmp(status, "OK") == 0) {
		bool decided = false;
		for (size_t k = caller; k < n; k++) {
			const char *r = json_string_value(json_object_get(
				json_array_get(notes, k), "rule"));
			decided = decided || (r && strcmp(r, "T5") != 0);
		}
		cr_expect(decided,
			  "%s %s: hop %zu: the callee accepted it and names no "
			  "rule for its level",
			  path, variant, i + 1);
	} else {
		const char *last = n ? json_string_value(json_object_get(
					       json_array_get(notes, n - 1),
					       "rule"))
				     : NULL;
		bool transport = status && (!strcmp(status, "UNAVAILABLE") ||
					    !strcmp(status, "DEADLINE_EXCEEDED"));
		cr_expect(last && (transport || strcmp(last, "NET") != 0),
			  "%s %s: hop %zu failed with %s and names no rule "
			  "for it",
			  path, variant, i + 1, status ? status : "?");
	}
	size_t k;
	json_t *st;
	json_array_foreach(json_object_get(h, "steps"), k, st) {
		snprintf(what, sizeof(what), "hop %zu step %zu", i + 1, k + 1);
		check_notes(path, variant, what, json_object_get(st, "notes"));
	}
}

static void check_run(const char *path, json_t *run, const char *variant)
{
	json_t *hops = json_object_get(run, "hops");
	json_t *ex = json_object_get(run, "expectations");
	cr_assert(json_is_array(hops) && json_array_size(hops) > 0,
		  "%s %s: no hop was recorded", path, variant);
	cr_assert(json_is_array(ex) && json_array_size(ex) > 0,
		  "%s %s: no expectation: a scenario must pin its outcome",
		  path, variant);
	size_t i;
	json_t *e;
	json_array_foreach(ex, i, e) {
		cr_expect(json_is_true(json_object_get(e, "pass")),
			  "%s %s: expectation failed: %s (saw: %s)", path,
			  variant,
			  json_string_value(json_object_get(e, "text")),
			  json_string_value(json_object_get(e, "saw")));
	}
	/* Every hop names the rules that decided it. */
	json_t *h;
	json_array_foreach(hops, i, h)
		check_hop_rules(path, variant, i, h);
	json_t *st;
	json_array_foreach(json_object_get(run, "client_steps"), i, st)
		check_notes(path, variant, "a client step",
			    json_object_get(st, "notes"));
}

ParameterizedTest(scen *s, scenarios, run, .timeout = 120)
{
	char *argv[] = {(char *)env_or("CLOAKROOM_LAUNCH", "cloakroom-launch"),
			"run", s->path, "--json", NULL};
	cmd_result r = cmd_run(argv);
	cr_log_info("%s: exit %d", s->path, r.status);
	json_error_t jerr;
	json_t *root = json_loads(r.out, 0, &jerr);
	cr_assert(root, "%s: launcher printed no JSON (exit %d): %s\n%s",
		  s->path, r.status, jerr.text, r.err);
	json_t *variants = json_object_get(root, "variants");
	if (variants) {
		size_t i;
		json_t *v;
		json_array_foreach(variants, i, v) {
			cr_expect(json_is_true(json_object_get(v, "ran")),
				  "%s variant %s did not run: %s", s->path,
				  json_string_value(json_object_get(v, "name")),
				  json_string_value(json_object_get(v, "error")));
			check_run(s->path, v,
				  json_string_value(json_object_get(v, "name")));
		}
	} else {
		check_run(s->path, root, "");
	}
	cr_expect(r.status == 0, "%s: exit status %d, expected 0\n%s",
		  s->path, r.status, r.err);
	cr_expect(json_is_true(json_object_get(root, "pass")),
		  "%s: pass is not true", s->path);
	json_decref(root);
	cmd_free(&r);
}
