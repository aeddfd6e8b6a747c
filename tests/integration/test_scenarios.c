/* test_scenarios.c: the data-driven runner. Every scenario file under
 * scenarios/ is one test: the real launcher starts the real daemons, and
 * the file's own expect: blocks decide. A scenario without expectations
 * fails, so no file can pass by saying nothing. */
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
	json_array_foreach(hops, i, h) {
		cr_expect(json_array_size(json_object_get(h, "rules")) > 0,
			  "%s %s: hop %zu names no rule", path, variant, i);
	}
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
