/* diff.c: `cloakroom diff RUN1 RUN2`: matches the hops of two runs by
 * (from, to, occurrence), their steps by id or, without ids, by the
 * longest common sequence of what they do, and prints only the fields
 * that changed. A side is a `run --json` output (read with jansson, its
 * shape never trusted) or a scenario file, run here on its daemons. */
#include "cli.h"

#include "launch.h"
#include "report.h"
#include "sc_load.h"
#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct side {
	const char *label;      /* "RUN1", "RUN2" */
	char path[PATH_MAX];
	const char *variant;    /* FILE:VARIANT, or NULL */
	json_t *root;
	json_t *runs;           /* the run objects compared (owned) */
	bool run_failed;        /* a scenario side whose run did not complete */
} side;

typedef struct out_state {
	const char *header;     /* printed once, before the first change */
	bool changed;
} out_state;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cloakroom diff RUN1[:VARIANT] RUN2[:VARIANT]\n"
		"\n"
		"Compares two runs hop by hop (hops matched by caller, callee\n"
		"and occurrence; steps by id, or by the longest common\n"
		"sequence of what they do) and prints the fields that changed.\n"
		"A side is a `cloakroom run --json` output, or a scenario file\n"
		"(.yaml), which is run first: `diff FILE.yaml:V1 FILE.yaml:V2`\n"
		"compares two cases. Runs with several cases (the file as\n"
		"written, named as-written, and each variant) are compared case\n"
		"by case, by name; FILE:VARIANT picks one (FILE:as-written the\n"
		"file as written).\n"
		"Exit: 0 no difference, 1 differences, 2 bad input, 3 a\n"
		"scenario's run failed.\n");
}

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : dflt;
}

/* The strings of an array (or, with key, of that member of each object),
 * space-separated; truncated to len. */
static void join(json_t *a, const char *key, char *buf, size_t len)
{
	size_t i;
	json_t *v;
	buf[0] = '\0';
	json_array_foreach(a, i, v) {
		const char *s = key ? str_or(v, key, NULL)
				    : json_string_value(v);
		size_t l = strlen(buf);
		if (s)
			snprintf(buf + l, len - l, "%s%s", l ? " " : "", s);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

static void change(out_state *o, const char *what, const char *field,
		   const char *a, const char *b)
{
	a = *a ? a : "-"; /* an empty value as the table shows it */
	b = *b ? b : "-";
	if (strcmp(a, b) == 0)
		return;
	if (o->header && !o->changed)
		printf("%s\n", o->header);
	o->changed = true;
	printf("%s%s%s: %s -> %s\n", what, field[0] ? " " : "", field, a, b);
}

static void only_in(out_state *o, const char *what, const side *s)
{
	if (o->header && !o->changed)
		printf("%s\n", o->header);
	o->changed = true;
	printf("%s: only in %s (%s)\n", what, s->label, s->path);
}

static bool valid_run(json_t *run, const side *s, const char *name)
{
	json_t *hops = json_object_get(run, "hops");
	if (!json_is_object(run) || !json_is_array(hops)) {
		fprintf(stderr, "cloakroom diff: %s: %s%s is not a run object "
			"(no \"hops\" array)\n", s->path,
			name ? "variant " : "the file", name ? name : "");
		return false;
	}
	size_t i;
	json_t *h;
	json_array_foreach(hops, i, h) {
		if (!json_is_string(json_object_get(h, "from")) ||
		    !json_is_string(json_object_get(h, "to"))) {
			fprintf(stderr, "cloakroom diff: %s: hop %zu has no "
				"\"from\" and \"to\"\n", s->path, i + 1);
			return false;
		}
	}
	return true;
}

static bool is_scenario(const char *path)
{
	size_t n = strlen(path);
	return (n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(path + n - 4, ".yml") == 0);
}

/* One variant (NULL: none) of the scenario at s->path, run on its own
 * daemons under run_dir, appended to s->runs as `run --json` has it.
 * False when it does not load (said on stderr). */
static bool run_variant(side *s, const char *variant, const char *desc,
			const char *run_dir)
{
	run_result r;
	memset(&r, 0, sizeof(r));
	r.variant = variant;
	r.description = desc;
	sc_load_errors errs = {0};
	if (sc_load_file(s->path, variant, &r.scn, &errs) != 0) {
		sc_load_errors_print(&errs, stderr);
		sc_load_errors_free(&errs);
		return false;
	}
	sc_load_errors_free(&errs);
	launch_opts o = {.file = s->path, .timeout_ms = 10000};
	launch_run_variant(&o, run_dir, NULL, variant, &r);
	if (!r.ran) {
		fprintf(stderr, "cloakroom diff: %s%s%s: the run failed: %s\n",
			s->path, variant ? ":" : "", variant ? variant : "",
			r.error);
		s->run_failed = true;
	}
	json_array_append_new(s->runs, report_run_json(&r));
	run_result_free(&r, true);
	return true;
}

/* A scenario side: the file is checked, then each case (or the one
 * named) runs, as `run --json` would. False on bad input or a failed
 * run (s->run_failed). */
static bool run_side(side *s)
{
	sc_load_errors errs = {0};
	sc_scenario *base = NULL;
	if (sc_load_file(s->path, NULL, &base, &errs) != 0) {
		sc_load_errors_print(&errs, stderr);
		sc_load_errors_free(&errs);
		return false;
	}
	sc_load_errors_free(&errs);
	char run_dir[PATH_MAX];
	if (util_mkdtemp(run_dir, sizeof(run_dir), "cloakroom-diff") != 0) {
		fprintf(stderr, "cloakroom diff: cannot create a run directory: "
			"%s\n", strerror(errno));
		sc_load_free(base);
		s->run_failed = true;
		return false;
	}
	spawn_install_signals();
	s->runs = json_array();
	bool ok = true;
	if (s->variant || !base->variants_count) {
		const char *desc = NULL;
		for (unsigned k = 0; s->variant && k < base->variants_count; k++)
			if (strcmp(base->variants[k].name, s->variant) == 0)
				desc = base->variants[k].description;
		ok = run_variant(s, s->variant, desc, run_dir);
	}
	/* Every case, as `run` has them: as written, then each variant. */
	for (unsigned k = 0; ok && !s->variant && base->variants_count &&
			     k < sc_scenario_cases(base);
	     k++)
		ok = run_variant(s, sc_case_name(sc_scenario_case_variant(base, k)),
				 k ? base->variants[k - 1].description : NULL,
				 run_dir);
	sc_load_free(base);
	if (s->run_failed)
		fprintf(stderr, "cloakroom diff: daemon logs kept in %s\n",
			run_dir);
	else
		util_rm_tree(run_dir);
	return ok && !s->run_failed && !spawn_interrupted();
}

/* Reads FILE or FILE:VARIANT into s. Returns false on bad input. */
static bool load_side(side *s, const char *arg)
{
	snprintf(s->path, sizeof(s->path), "%s", arg);
	char *colon = strrchr(s->path, ':');
	if (access(s->path, F_OK) != 0 && colon) {
		*colon = '\0';
		s->variant = arg + (colon - s->path) + 1;
	}
	if (is_scenario(s->path))
		return run_side(s);
	json_error_t err;
	s->root = json_load_file(s->path, 0, &err);
	if (!s->root) {
		if (err.line > 0)
			fprintf(stderr, "cloakroom diff: %s:%d:%d: %s (a side "
				"is `cloakroom run --json` output, or a scenario "
				"file ending in .yaml)\n",
				s->path, err.line, err.column, err.text);
		else
			fprintf(stderr, "cloakroom diff: %s\n", err.text);
		return false;
	}
	if (!json_is_object(s->root)) {
		fprintf(stderr, "cloakroom diff: %s: not a JSON object\n",
			s->path);
		return false;
	}
	json_t *vs = json_object_get(s->root, "variants");
	s->runs = json_array();
	if (!json_is_array(vs)) {
		if (s->variant) {
			fprintf(stderr, "cloakroom diff: %s has no variants\n",
				s->path);
			return false;
		}
		json_array_append(s->runs, s->root);
		return valid_run(s->root, s, NULL);
	}
	size_t i;
	json_t *v;
	json_array_foreach(vs, i, v) {
		const char *name = str_or(v, "name", "");
		if (s->variant && strcmp(name, s->variant) != 0)
			continue;
		if (!valid_run(v, s, name))
			return false;
		json_array_append(s->runs, v);
	}
	if (json_array_size(s->runs) == 0) {
		fprintf(stderr, "cloakroom diff: %s: no variant %s\n", s->path,
			s->variant ? s->variant : "at all");
		return false;
	}
	return true;
}

/* The k-th hop from->to of hops (k from 0), or NULL. */
static json_t *nth_hop(json_t *hops, const char *from, const char *to,
		       size_t k)
{
	size_t i;
	json_t *h;
	json_array_foreach(hops, i, h) {
		if (strcmp(str_or(h, "from", ""), from) == 0 &&
		    strcmp(str_or(h, "to", ""), to) == 0 && k-- == 0)
			return h;
	}
	return NULL;
}

/* How many hops from->to come before index end. */
static size_t occurrence(json_t *hops, size_t end)
{
	json_t *me = json_array_get(hops, end);
	size_t n = 0;
	for (size_t i = 0; i < end; i++) {
		json_t *h = json_array_get(hops, i);
		if (strcmp(str_or(h, "from", ""), str_or(me, "from", "")) == 0 &&
		    strcmp(str_or(h, "to", ""), str_or(me, "to", "")) == 0)
			n++;
	}
	return n;
}

static void hop_label(json_t *h, size_t occ, char *buf, size_t len)
{
	if (occ)
		snprintf(buf, len, "%s->%s (call %zu)", str_or(h, "from", ""),
			 str_or(h, "to", ""), occ + 1);
	else
		snprintf(buf, len, "%s->%s", str_or(h, "from", ""),
			 str_or(h, "to", ""));
}

static void step_label(json_t *st, size_t k, const char *hop, char *buf,
		       size_t len)
{
	const char *obj = str_or(st, "object", "");
	snprintf(buf, len, "%s step %zu (%s%s%s)", hop, k + 1,
		 str_or(st, "do", "?"), obj[0] ? " " : "", obj);
}

/* What a step is, for matching: its id when it has one, else what it
 * does and to which object or callee. */
static void step_key(json_t *st, char *buf, size_t len)
{
	const char *id = str_or(st, "id", "");
	if (*id)
		snprintf(buf, len, "id:%s", id);
	else
		snprintf(buf, len, "%s %s%s", str_or(st, "do", "?"),
			 str_or(st, "object", ""), str_or(st, "to", ""));
}

static void diff_step(out_state *o, const char *hop, json_t *x, json_t *y,
		      size_t k)
{
	char label[512];
	step_label(x, k, hop, label, sizeof(label));
	change(o, label, "do", str_or(x, "do", "-"), str_or(y, "do", "-"));
	change(o, label, "status", str_or(x, "status", "-"),
	       str_or(y, "status", "-"));
}

/* Steps paired along the longest common sequence of their keys (ids
 * where they have them): a step added or removed in the middle leaves the
 * others paired with their own. */
static void diff_steps(out_state *o, const char *hop, json_t *a, json_t *b,
		       const side *sa, const side *sb)
{
	size_t na = json_array_size(a), nb = json_array_size(b);
	if (na > 256 || nb > 256) { /* beyond any scenario: by position */
		na = nb = na < nb ? na : nb;
	}
	char (*ka)[160] = calloc(na + 1, sizeof(*ka));
	char (*kb)[160] = calloc(nb + 1, sizeof(*kb));
	unsigned short *L = calloc((na + 1) * (nb + 1), sizeof(*L));
	if (!ka || !kb || !L)
		goto out;
	for (size_t i = 0; i < na; i++)
		step_key(json_array_get(a, i), ka[i], sizeof(ka[i]));
	for (size_t j = 0; j < nb; j++)
		step_key(json_array_get(b, j), kb[j], sizeof(kb[j]));
#define LCS(i, j) L[(i) * (nb + 1) + (j)]
	for (size_t i = na; i-- > 0;)
		for (size_t j = nb; j-- > 0;)
			LCS(i, j) = strcmp(ka[i], kb[j]) == 0
					    ? (unsigned short)(LCS(i + 1, j + 1) + 1)
				    : LCS(i + 1, j) >= LCS(i, j + 1) ? LCS(i + 1, j)
								     : LCS(i, j + 1);
	char label[512];
	size_t i = 0, j = 0;
	while (i < na || j < nb) {
		json_t *x = i < na ? json_array_get(a, i) : NULL;
		json_t *y = j < nb ? json_array_get(b, j) : NULL;
		if (x && y && strcmp(ka[i], kb[j]) == 0) {
			diff_step(o, hop, x, y, i);
			i++, j++;
		} else if (x && (!y || LCS(i + 1, j) >= LCS(i, j + 1))) {
			step_label(x, i, hop, label, sizeof(label));
			only_in(o, label, sa);
			i++;
		} else {
			step_label(y, j, hop, label, sizeof(label));
			only_in(o, label, sb);
			j++;
		}
	}
#undef LCS
out:
	free(ka);
	free(kb);
	free(L);
}

/* The level in effect as the table shows it: "-" for a failed hop. */
static const char *level_of(json_t *h)
{
	if (strcmp(str_or(h, "status", "OK"), "OK") != 0)
		return "-";
	return str_or(h, "level_effective", "-");
}

static void diff_hop(out_state *o, const char *label, json_t *a, json_t *b,
		     const side *sa, const side *sb)
{
	static const char *const fields[] = {"presented", "status", NULL};
	char x[1024], y[1024];
	for (size_t i = 0; fields[i]; i++)
		change(o, label, fields[i], str_or(a, fields[i], "-"),
		       str_or(b, fields[i], "-"));
	/* Whom the caller's cloaking chose, where presented does not say
	 * it: a call its proxy refused on either side (sent false). */
	if (json_is_false(json_object_get(a, "sent")) ||
	    json_is_false(json_object_get(b, "sent")))
		change(o, label, "chosen", str_or(a, "chosen", "-"),
		       str_or(b, "chosen", "-"));
	change(o, label, "level_effective", level_of(a), level_of(b));
	join(json_object_get(a, "rules"), NULL, x, sizeof(x));
	join(json_object_get(b, "rules"), NULL, y, sizeof(y));
	change(o, label, "rules", x, y);
	join(json_object_get(a, "warnings"), "rule", x, sizeof(x));
	join(json_object_get(b, "warnings"), "rule", y, sizeof(y));
	change(o, label, "warnings", x, y);
	diff_steps(o, label, json_object_get(a, "steps"),
		   json_object_get(b, "steps"), sa, sb);
}

static void diff_run(out_state *o, json_t *a, json_t *b, const side *sa,
		     const side *sb)
{
	char label[256];
	const char *ra = json_is_false(json_object_get(a, "ran")) ? "no" : "yes";
	const char *rb = json_is_false(json_object_get(b, "ran")) ? "no" : "yes";
	change(o, "run", "completed", ra, rb);
	json_t *ha = json_object_get(a, "hops"), *hb = json_object_get(b, "hops");
	size_t i;
	json_t *h;
	json_array_foreach(ha, i, h) {
		size_t occ = occurrence(ha, i);
		hop_label(h, occ, label, sizeof(label));
		json_t *other = nth_hop(hb, str_or(h, "from", ""),
					str_or(h, "to", ""), occ);
		if (!other)
			only_in(o, label, sa);
		else
			diff_hop(o, label, h, other, sa, sb);
	}
	json_array_foreach(hb, i, h) {
		size_t occ = occurrence(hb, i);
		if (nth_hop(ha, str_or(h, "from", ""), str_or(h, "to", ""),
			    occ))
			continue;
		hop_label(h, occ, label, sizeof(label));
		only_in(o, label, sb);
	}
}

static json_t *run_named(json_t *runs, const char *name)
{
	size_t i;
	json_t *r;
	json_array_foreach(runs, i, r) {
		if (strcmp(str_or(r, "name", ""), name) == 0)
			return r;
	}
	return NULL;
}

static bool diff_sides(const side *a, const side *b)
{
	out_state o = {0};
	if (json_array_size(a->runs) == 1 && json_array_size(b->runs) == 1) {
		diff_run(&o, json_array_get(a->runs, 0),
			 json_array_get(b->runs, 0), a, b);
		return o.changed;
	}
	bool changed = false;
	char header[256], what[256];
	size_t i;
	json_t *r;
	json_array_foreach(a->runs, i, r) {
		const char *name = str_or(r, "name", "");
		json_t *other = run_named(b->runs, name);
		snprintf(header, sizeof(header), "== variant %s", name);
		o = (out_state){.header = header};
		if (other) {
			diff_run(&o, r, other, a, b);
		} else {
			snprintf(what, sizeof(what), "variant %s", name);
			o.header = NULL;
			only_in(&o, what, a);
		}
		changed = changed || o.changed;
	}
	json_array_foreach(b->runs, i, r) {
		const char *name = str_or(r, "name", "");
		if (run_named(a->runs, name))
			continue;
		snprintf(what, sizeof(what), "variant %s", name);
		o = (out_state){0};
		only_in(&o, what, b);
		changed = true;
	}
	return changed;
}

int cmd_diff(int argc, char **argv)
{
	if (argc == 1 && (strcmp(argv[0], "-h") == 0 ||
			  strcmp(argv[0], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc != 2) {
		usage(stderr);
		return 2;
	}
	side s[2] = {{.label = "RUN1"}, {.label = "RUN2"}};
	int rc = 2;
	if (load_side(&s[0], argv[0]) && load_side(&s[1], argv[1]))
		rc = diff_sides(&s[0], &s[1]) ? 1 : 0;
	else if (s[0].run_failed || s[1].run_failed)
		rc = 3;
	fflush(stdout);
	for (int i = 0; i < 2; i++) {
		json_decref(s[i].runs);
		json_decref(s[i].root);
	}
	return rc;
}
