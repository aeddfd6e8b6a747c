/* diff.c: `cloakroom diff RUN1.json RUN2.json`: matches the hops of two
 * `run --json` outputs by (from, to, occurrence) and prints only the fields
 * that changed. Reads the files with jansson; never trusts their shape. */
#include "cli.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct side {
	const char *label;      /* "RUN1", "RUN2" */
	char path[PATH_MAX];
	const char *variant;    /* FILE:VARIANT, or NULL */
	json_t *root;
	json_t *runs;           /* the run objects compared (owned) */
} side;

typedef struct out_state {
	const char *header;     /* printed once, before the first change */
	bool changed;
} out_state;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cloakroom diff RUN1.json[:VARIANT] RUN2.json[:VARIANT]\n"
		"\n"
		"Compares two outputs of `cloakroom run --json` hop by hop\n"
		"(hops matched by caller, callee and occurrence) and prints\n"
		"the fields that changed. Files with variants are compared\n"
		"variant by variant, by name; FILE:VARIANT picks one.\n"
		"Exit: 0 no difference, 1 differences, 2 bad input.\n");
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

/* Reads FILE or FILE:VARIANT into s. Returns false on bad input. */
static bool load_side(side *s, const char *arg)
{
	snprintf(s->path, sizeof(s->path), "%s", arg);
	char *colon = strrchr(s->path, ':');
	if (access(s->path, F_OK) != 0 && colon) {
		*colon = '\0';
		s->variant = arg + (colon - s->path) + 1;
	}
	json_error_t err;
	s->root = json_load_file(s->path, 0, &err);
	if (!s->root) {
		if (err.line > 0)
			fprintf(stderr, "cloakroom diff: %s:%d:%d: %s\n",
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

static void diff_steps(out_state *o, const char *hop, json_t *a, json_t *b,
		       const side *sa, const side *sb)
{
	size_t na = json_array_size(a), nb = json_array_size(b);
	char label[512];
	for (size_t k = 0; k < na || k < nb; k++) {
		json_t *x = json_array_get(a, k), *y = json_array_get(b, k);
		step_label(x ? x : y, k, hop, label, sizeof(label));
		if (!x || !y) {
			only_in(o, label, x ? sa : sb);
			continue;
		}
		change(o, label, "do", str_or(x, "do", "-"),
		       str_or(y, "do", "-"));
		change(o, label, "status", str_or(x, "status", "-"),
		       str_or(y, "status", "-"));
	}
}

static void diff_hop(out_state *o, const char *label, json_t *a, json_t *b,
		     const side *sa, const side *sb)
{
	static const char *const fields[] = {"presented", "level_effective",
					     "status", NULL};
	char x[1024], y[1024];
	for (size_t i = 0; fields[i]; i++)
		change(o, label, fields[i], str_or(a, fields[i], "-"),
		       str_or(b, fields[i], "-"));
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
	fflush(stdout);
	for (int i = 0; i < 2; i++) {
		json_decref(s[i].runs);
		json_decref(s[i].root);
	}
	return rc;
}
