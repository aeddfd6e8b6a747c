/* matrix.c: `cloakroom matrix FILE --vary KEY=V1,V2 ...` sweeps settings
 * over their cartesian product; every case is checked before anything
 * starts, then run by the real daemons, one after the other (warm: one
 * set of daemons serves every case of the same cast, launch.h), and printed
 * as one row: the varied settings, then per hop what the callee received,
 * at which level, with which status. Decides nothing (the model does) and
 * never initialises gRPC (it forks the daemons). */
#include "cli.h"

#include "report.h"
#include "sc_load.h"
#include "sc_suggest.h"
#include "spawn.h"
#include "launch.h"
#include "util.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_VARY 16
#define MAX_AXES (MAX_VARY + 1) /* the --vary, and the cases of the file */
#define MAX_CASES 10000
#define MAX_VALUES 64

typedef enum mformat { MF_TABLE = 0, MF_CSV, MF_JSON, MF_MARKDOWN } mformat;

/* One --vary: the key as written, the full keys it sets, its values.
 * The axis of the cases (variant: as-written, then each variant) sets
 * nothing: its value is the variant each case loads. */
typedef struct axis {
	const char *key;
	bool is_case;
	char *targets[LAUNCH_MAX_SETS];
	size_t ntargets;
	char *values[MAX_VALUES];
	size_t nvalues;
} axis;

/* What one hop or one step with an id showed in one case. */
typedef struct cell {
	char label[160];     /* "A->B", "A->B#2", or a step id */
	bool is_step;
	char from[64], to[64];
	char presented[160];
	char level[16];
	char status[40];
	char rules[160];
} cell;

typedef struct mcase {
	size_t *pick;        /* value index per axis */
	char *cast;          /* its cast (launch.h): cases run grouped by it */
	cell *cells;
	size_t ncells;
	bool ran;
	bool finished;       /* ran or failed (not interrupted before) */
	char error[512];
} mcase;

/* A column: a hop label or a step id, in first-seen order. */
typedef struct column {
	char label[160];
	bool is_step;
} column;

static void matrix_usage(FILE *out)
{
	fprintf(out,
		"usage: cloakroom matrix FILE --vary KEY=V1,V2 [--vary ...]\n"
		"                        [--format table|csv|json|markdown]\n"
		"                        [--variant NAME] [--timeout-ms N] [--stats]\n"
		"                        [--cold] [-j N] [--wide]\n"
		"Runs FILE once per combination of the values (the cartesian\n"
		"product), with real daemons, and prints one row per case: the\n"
		"varied settings, then per hop the identity the callee received,\n"
		"the level in effect and the status, then each step with an id.\n"
		"KEY is a `set:` key (PROC.level, B.cloaking, A.host,\n"
		"alice.sensitive, svc-b.trusted_for_delegation, ws1.workgroup,\n"
		"srv2.SeImpersonatePrivilege=svc-c+Administrators,\n"
		"svc-b.allowed_to_delegate_to=svc-c+svc-r|none, B.disabled_groups,\n"
		"...) or a bare level|cloaking|authn|package|transport|sqos|\n"
		"tracking|effective_only, which sets every process that calls.\n"
		"The value `all` expands to every meaningful value.\n"
		"A file with variants is swept in every case (the file as\n"
		"written, named as-written, then each variant: the first\n"
		"column, `variant`); --variant NAME sweeps that one only.\n"
		"Cases of the same cast (processes, hosts, accounts, whom they\n"
		"call) run on one warm set of daemons; a case that changes the\n"
		"cast gets a new set (--cold: new daemons for every case, as\n"
		"`run` does). --stats: cases, seconds, cases per second,\n"
		"daemon sets started and tickets the authority minted, on\n"
		"stderr. -j N: N sets at once, each\n"
		"taking the next case (1 by default).\n"
		"The table fits the terminal ($COLUMNS): when it is wider,\n"
		"each case is a block of lines, a column a line; --wide\n"
		"prints the table whole.\n"
		"Exit: 0 every case ran, 2 bad input (nothing started), 3 a case\n"
		"did not run.\n");
}

static const sc_enum_entry bool_entries[] = {{"false", 0, true},
					    {"true", 1, true}};
static const sc_enum_table bool_table = {bool_entries, 2, 2};

/* The values `all` stands for, for a field name; hosts for "host". */
static int expand_all(const sc_scenario *s, const char *field, axis *ax)
{
	/* The values each enum's table (sc_common.h) marks for `all`. */
	const sc_enum_table *list = NULL;
	static const struct {
		const char *field;
		const sc_enum_table *t;
	} table[] = {
		{"level", &sc_level_table},
		{"default_level", &sc_level_table},
		{"cloaking", &sc_cloaking_table},
		{"authn", &sc_authn_table},
		{"server_authn", &sc_authn_table},
		{"package", &sc_package_table},
		{"transport", &sc_transport_table},
		{"started_by", &sc_start_table},
		{"misbehave", &sc_misbehave_table},
		{"tickets", &sc_tickets_table},
		{"apartment", &sc_apartment_table},
		{"integrity", &sc_integrity_table},
		{"service_sid", &sc_service_sid_table},
		{"no_read_up", &bool_table},
		{"double_hop_outcome", &sc_double_hop_table},
		{"sensitive", &bool_table},
		{"trusted_for_delegation", &bool_table},
		{"trusted_to_auth_for_delegation", &bool_table},
		{"workgroup", &bool_table},
		{"allow_primary_from_identify", &bool_table},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].field, field) == 0)
			list = table[i].t;
	if (strcmp(field, "host") == 0) {
		for (unsigned i = 0; i < s->hosts_count && ax->nvalues < MAX_VALUES;
		     i++)
			ax->values[ax->nvalues++] = strdup(s->hosts[i].name);
		return 0;
	}
	if (!list)
		return -1;
	for (size_t i = 0; i < list->values && ax->nvalues < MAX_VALUES; i++)
		if (list->entries[i].in_all)
			ax->values[ax->nvalues++] =
				strdup(list->entries[i].name);
	return 0;
}

static void axis_free(axis *ax)
{
	for (size_t i = 0; i < ax->ntargets; i++)
		free(ax->targets[i]);
	for (size_t i = 0; i < ax->nvalues; i++)
		free(ax->values[i]);
}

/* "KEY=V1,V2" into an axis, checked against the scenario s (which each
 * assignment is tried on). Returns 0, or -1 after printing why. */
static int axis_parse(sc_scenario *s, const char *spec, axis *ax)
{
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec || !eq[1]) {
		fprintf(stderr,
			"cloakroom matrix: --vary '%s' is not KEY=V1,V2,...\n",
			spec);
		return -1;
	}
	char *key = strndup(spec, (size_t)(eq - spec));
	if (!key)
		return -1;
	ax->key = key;
	const char *field = strrchr(key, '.');
	if (field) {
		field++;
		ax->targets[ax->ntargets++] = strdup(key);
	} else {
		/* A key without a dot (sc_set_key_bare, the one table of
		 * `set:` keys): each process that calls gets its own
		 * setting, so that two axes cannot both set one. */
		if (!sc_set_key_bare(key)) {
			char probe[512], err[1024];
			snprintf(probe, sizeof(probe), "%s", spec);
			sc_scenario_set(s, probe, err, sizeof(err));
			fprintf(stderr, "cloakroom matrix: --vary %s: %s\n", spec,
				err);
			return -1;
		}
		field = key;
		for (unsigned i = 0; i < s->processes_count; i++)
			if (sc_process_calls_out(&s->processes[i]) &&
			    ax->ntargets < LAUNCH_MAX_SETS) {
				char full[256];
				snprintf(full, sizeof(full), "%s.%s",
					 s->processes[i].name, key);
				ax->targets[ax->ntargets++] = strdup(full);
			}
		if (ax->ntargets == 0) {
			fprintf(stderr,
				"cloakroom matrix: '%s': no process of the "
				"scenario calls another\n", key);
			return -1;
		}
	}
	for (size_t i = 0; i < ax->ntargets; i++)
		if (!ax->targets[i])
			return -1;

	char *list = strdup(eq + 1);
	if (!list)
		return -1;
	char *save = NULL;
	int rc = 0;
	for (char *v = strtok_r(list, ",", &save); v && rc == 0;
	     v = strtok_r(NULL, ",", &save)) {
		if (strcmp(v, "all") == 0) {
			if (expand_all(s, field, ax) != 0) {
				/* A bad key says so before 'all' does. */
				char probe[512], err[768];
				snprintf(probe, sizeof(probe), "%s=all",
					 ax->targets[0]);
				if (sc_scenario_set(s, probe, err,
						    sizeof(err)) != 0 &&
				    strncmp(err, "unknown", 7) == 0)
					fprintf(stderr,
						"cloakroom matrix: --vary %s: "
						"%s\n", spec, err);
				else
					fprintf(stderr,
						"cloakroom matrix: '%s=all': "
						"'all' is defined for level, "
						"cloaking, authn, package, "
						"transport, started_by, misbehave, host "
						"and the true/false keys; list "
						"the values of '%s'\n", key,
						field);
				rc = -1;
			}
		} else if (ax->nvalues < MAX_VALUES) {
			ax->values[ax->nvalues++] = strdup(v);
		} else {
			fprintf(stderr, "cloakroom matrix: '%s': more than %d "
				"values\n", key, MAX_VALUES);
			rc = -1;
		}
	}
	free(list);
	if (rc != 0)
		return rc;
	if (ax->nvalues == 0) {
		fprintf(stderr, "cloakroom matrix: '%s' has no values\n", spec);
		return -1;
	}
	/* Every assignment must be one the scenario accepts. */
	for (size_t v = 0; v < ax->nvalues; v++) {
		if (!ax->values[v])
			return -1;
		for (size_t t = 0; t < ax->ntargets; t++) {
			char set[512], err[768];
			snprintf(set, sizeof(set), "%s=%s", ax->targets[t],
				 ax->values[v]);
			if (sc_scenario_set(s, set, err, sizeof(err)) != 0) {
				fprintf(stderr,
					"cloakroom matrix: --vary %s: %s\n",
					spec, err);
				return -1;
			}
		}
	}
	return 0;
}

/* The variant a case loads: its value on the axis of the cases, else
 * dflt (--variant, or NULL: the file as written). */
static const char *case_variant(const axis *axes, size_t naxes,
				const size_t *pick, const char *dflt)
{
	for (size_t a = 0; a < naxes; a++)
		if (axes[a].is_case)
			return axes[a].values[pick[a]];
	return dflt;
}

/* The KEY=VALUE list of a case, in axis order. Returns the count. */
static size_t case_sets(const axis *axes, size_t naxes, const size_t *pick,
			char **sets)
{
	size_t n = 0;
	for (size_t a = 0; a < naxes; a++)
		for (size_t t = 0; t < axes[a].ntargets && n < LAUNCH_MAX_SETS;
		     t++) {
			size_t l = strlen(axes[a].targets[t]) +
				   strlen(axes[a].values[pick[a]]) + 2;
			sets[n] = malloc(l);
			if (!sets[n])
				break;
			snprintf(sets[n], l, "%s=%s", axes[a].targets[t],
				 axes[a].values[pick[a]]);
			n++;
		}
	return n;
}

static void sets_free(char **sets, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(sets[i]);
}

struct vreport {
	const char *file;
	const char *where;
	unsigned problems;
};

static void on_problem(void *user, const char *path, const char *msg)
{
	struct vreport *v = user;
	if (v->problems++ < 5)
		fprintf(stderr, "%s: with %s: %s: %s\n", v->file, v->where,
			path, msg);
}

/* One case to load: the file (and variant), then the sets; where names
 * the sets in messages. */
typedef struct mload {
	const char *file;
	const char *variant;
	char **sets;
	size_t nsets;
	const char *where;
} mload;

/* The scenario of one case; the file is loaded once (cache), each case
 * is a copy. */
static sc_scenario *case_load(sc_load_cache *cache, const mload *m,
			      bool validate)
{
	const char *file = m->file, *where = m->where;
	sc_load_errors errs = {0};
	sc_scenario *s = NULL;
	char err[1024];
	const sc_case_ref which = {file, m->variant,
				   (const char *const *)m->sets, m->nsets};
	if (sc_load_case(cache, &which, &s, &errs, err, sizeof(err)) != 0) {
		sc_load_errors_print(&errs, stderr);
		if (!errs.count)
			fprintf(stderr, "%s: with %s: %s\n", file, where, err);
		sc_load_errors_free(&errs);
		return NULL;
	}
	sc_load_errors_free(&errs);
	if (validate) {
		struct vreport v = {.file = file, .where = where};
		sc_scenario_validate(s, on_problem, &v);
		if (v.problems) {
			sc_load_free(s);
			return NULL;
		}
	}
	return s;
}

static void case_where(const axis *axes, size_t naxes, const size_t *pick,
		       char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t a = 0; a < naxes && used < len; a++) {
		int w = snprintf(buf + used, len - used, "%s%s=%s",
				 a ? " " : "", axes[a].key,
				 axes[a].values[pick[a]]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static cell *cell_add(mcase *c)
{
	cell *n = realloc(c->cells, (c->ncells + 1) * sizeof(*n));
	if (!n)
		return NULL;
	c->cells = n;
	memset(&n[c->ncells], 0, sizeof(*n));
	return &n[c->ncells++];
}

static void step_cell(mcase *c, const sc_step_result *st)
{
	if (!st->id[0])
		return;
	cell *e = cell_add(c);
	if (!e)
		return;
	e->is_step = true;
	snprintf(e->label, sizeof(e->label), "%s", st->id);
	snprintf(e->from, sizeof(e->from), "%s", st->process);
	snprintf(e->presented, sizeof(e->presented), "%s", st->as);
	snprintf(e->level, sizeof(e->level), "%s",
		 st->as_level == SC_LEVEL_DEFAULT ? "primary"
						  : sc_level_name(st->as_level));
	snprintf(e->status, sizeof(e->status), "%s",
		 sc_status_name(st->status));
}

/* The hops and identified steps of a finished run, as cells. */
static void case_collect(mcase *c, const sc_trace *t)
{
	for (size_t i = 0; i < t->count; i++) {
		const sc_hop *h = &t->hops[i];
		unsigned nth = 1;
		for (size_t k = 0; k < i; k++)
			if (strcmp(t->hops[k].from, h->from) == 0 &&
			    strcmp(t->hops[k].to, h->to) == 0)
				nth++;
		cell *e = cell_add(c);
		if (!e)
			return;
		if (nth > 1)
			snprintf(e->label, sizeof(e->label), "%s->%s#%u",
				 h->from, h->to, nth);
		else
			snprintf(e->label, sizeof(e->label), "%s->%s",
				 h->from, h->to);
		snprintf(e->from, sizeof(e->from), "%s", h->from);
		snprintf(e->to, sizeof(e->to), "%s", h->to);
		snprintf(e->presented, sizeof(e->presented), "%s",
			 h->presented[0] ? h->presented : "-");
		snprintf(e->level, sizeof(e->level), "%s",
			 h->level_effective == SC_LEVEL_DEFAULT
				 ? "-"
				 : sc_level_name(h->level_effective));
		snprintf(e->status, sizeof(e->status), "%s",
			 sc_status_name(h->status));
		sc_hop_rules(h, e->rules, sizeof(e->rules), " ");
		for (size_t k = 0; k < h->steps_count; k++)
			step_cell(c, &h->steps[k]);
	}
	for (size_t k = 0; k < t->steps_count; k++)
		step_cell(c, &t->steps[k]);
}

/* Case indices by cast, then by index. */
static int by_cast(const void *a, const void *b, void *user)
{
	const mcase *cases = user;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(cases[i].cast ? cases[i].cast : "",
		       cases[j].cast ? cases[j].cast : "");
	return c ? c : i < j ? -1 : i > j;
}

static const cell *case_cell(const mcase *c, const column *col)
{
	for (size_t i = 0; i < c->ncells; i++)
		if (c->cells[i].is_step == col->is_step &&
		    strcmp(c->cells[i].label, col->label) == 0)
			return &c->cells[i];
	return NULL;
}

/* Hop columns first, then step columns, each in first-seen order. */
static column *columns_of(const mcase *cases, size_t ncases, size_t *n)
{
	column *cols = NULL;
	*n = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < ncases; i++)
			for (size_t k = 0; k < cases[i].ncells; k++) {
				const cell *e = &cases[i].cells[k];
				if (e->is_step != (pass == 1))
					continue;
				bool seen = false;
				for (size_t j = 0; j < *n && !seen; j++)
					seen = cols[j].is_step == e->is_step &&
					       strcmp(cols[j].label,
						      e->label) == 0;
				if (seen)
					continue;
				column *nc =
					realloc(cols, (*n + 1) * sizeof(*nc));
				if (!nc)
					return cols;
				cols = nc;
				snprintf(cols[*n].label, sizeof(cols[*n].label),
					 "%s", e->label);
				cols[*n].is_step = e->is_step;
				(*n)++;
			}
	return cols;
}

/* ---- output ----------------------------------------------------------- */

/* A grid of strings: row 0 is the header. */
typedef struct grid {
	char ***cells;
	size_t rows, cols;
} grid;

static char *dupf(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *dupf(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	char *s = NULL;
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* What a grid shows: the axes, the cases and the columns. */
typedef struct grid_src {
	const axis *axes;
	size_t naxes;
	const mcase *cases;
	size_t ncases;
	const column *cols;
	size_t ncols;
} grid_src;

/* split: one column per field (csv), else one per hop and step. */
static int grid_build(grid *g, const grid_src *src, bool split)
{
	const axis *axes = src->axes;
	const mcase *cases = src->cases;
	const column *cols = src->cols;
	size_t naxes = src->naxes, ncases = src->ncases, ncols = src->ncols;
	size_t hopw = split ? 3 : 1;
	size_t width = naxes;
	for (size_t j = 0; j < ncols; j++)
		width += cols[j].is_step ? 1 : hopw;
	width += 1; /* error */
	g->rows = ncases + 1;
	g->cols = width;
	g->cells = calloc(g->rows, sizeof(*g->cells));
	if (!g->cells)
		return -1;
	for (size_t r = 0; r < g->rows; r++) {
		g->cells[r] = calloc(width, sizeof(char *));
		if (!g->cells[r])
			return -1;
		size_t c = 0;
		const mcase *mc = r ? &cases[r - 1] : NULL;
		for (size_t a = 0; a < naxes; a++)
			g->cells[r][c++] = strdup(
				mc ? axes[a].values[mc->pick[a]] : axes[a].key);
		for (size_t j = 0; j < ncols; j++) {
			const column *col = &cols[j];
			const cell *e = mc ? case_cell(mc, col) : NULL;
			if (col->is_step) {
				g->cells[r][c++] =
					!mc  ? dupf("%s", col->label)
					: e ? dupf("%s", e->status)
					    : strdup("-");
			} else if (split) {
				g->cells[r][c++] =
					!mc  ? dupf("%s presented", col->label)
					: e ? strdup(e->presented)
					    : strdup("-");
				g->cells[r][c++] =
					!mc  ? dupf("%s level", col->label)
					: e ? strdup(e->level)
					    : strdup("-");
				g->cells[r][c++] =
					!mc  ? dupf("%s status", col->label)
					: e ? strdup(e->status)
					    : strdup("-");
			} else {
				g->cells[r][c++] =
					!mc  ? dupf("%s", col->label)
					: !e ? strdup("-")
					: strcmp(e->presented, "-") == 0
						? strdup(e->status)
						: dupf("%s %s %s", e->presented,
						       e->level, e->status);
			}
		}
		g->cells[r][c++] = strdup(!mc ? "error"
					  : mc->ran ? ""
						    : mc->error);
		for (size_t k = 0; k < c; k++)
			if (!g->cells[r][k])
				return -1;
	}
	return 0;
}

static void grid_free(grid *g)
{
	for (size_t r = 0; g->cells && r < g->rows; r++) {
		for (size_t c = 0; g->cells[r] && c < g->cols; c++)
			free(g->cells[r][c]);
		free(g->cells[r]);
	}
	free(g->cells);
}

/* The error column only when some case has an error. */
static bool any_error(const mcase *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!cases[i].ran)
			return true;
	return false;
}

/* s, then spaces up to width terminal columns. */
static void pad_cell(FILE *out, const char *s, size_t width)
{
	fputs(s, out);
	for (size_t k = (size_t)report_disp_width(s); k < width; k++)
		fputc(' ', out);
}

/* A terminal too narrow for the table: each case as a block, one line
 * per column, its heading then its cell. */
static void print_blocks(FILE *out, const grid *g, size_t cols)
{
	size_t hw = 0;
	for (size_t c = 0; c < cols; c++)
		if ((size_t)report_disp_width(g->cells[0][c]) > hw)
			hw = (size_t)report_disp_width(g->cells[0][c]);
	for (size_t r = 1; r < g->rows; r++) {
		fprintf(out, "%scase %zu\n", r > 1 ? "\n" : "", r);
		for (size_t c = 0; c < cols; c++) {
			fputs("  ", out);
			pad_cell(out, g->cells[0][c], hw + 2);
			fprintf(out, "%s\n", g->cells[r][c]);
		}
	}
}

/* width: the terminal's columns (0: no limit); a table wider than that
 * is printed as blocks (print_blocks). */
static void print_table(FILE *out, const grid *g, bool errors, int width)
{
	size_t cols = errors ? g->cols : g->cols - 1;
	size_t *w = calloc(cols ? cols : 1, sizeof(size_t));
	if (!w)
		return;
	size_t total = 0;
	for (size_t c = 0; c < cols; c++) {
		for (size_t r = 0; r < g->rows; r++) {
			size_t l = (size_t)report_disp_width(g->cells[r][c]);
			if (l > w[c])
				w[c] = l;
		}
		total += w[c] + (c ? 2 : 0);
	}
	if (width > 0 && total > (size_t)width) {
		print_blocks(out, g, cols);
		free(w);
		return;
	}
	for (size_t r = 0; r < g->rows; r++) {
		for (size_t c = 0; c < cols; c++) {
			fputs(c ? "  " : "", out);
			pad_cell(out, g->cells[r][c], c + 1 < cols ? w[c] : 0);
		}
		fputc('\n', out);
		if (r == 0) {
			for (size_t c = 0; c < cols; c++) {
				fprintf(out, "%s", c ? "  " : "");
				for (size_t k = 0; k < w[c]; k++)
					fputc('-', out);
			}
			fputc('\n', out);
		}
	}
	free(w);
}

static void csv_field(FILE *out, const char *s)
{
	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void print_csv(FILE *out, const grid *g)
{
	for (size_t r = 0; r < g->rows; r++) {
		for (size_t c = 0; c < g->cols; c++) {
			if (c)
				fputc(',', out);
			csv_field(out, g->cells[r][c]);
		}
		fputc('\n', out);
	}
}

static void md_field(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', out);
		fputc(*s, out);
	}
}

static void print_markdown(FILE *out, const grid *g, bool errors)
{
	size_t cols = errors ? g->cols : g->cols - 1;
	for (size_t r = 0; r < g->rows; r++) {
		fputc('|', out);
		for (size_t c = 0; c < cols; c++) {
			fputc(' ', out);
			md_field(out, g->cells[r][c]);
			fputs(" |", out);
		}
		fputc('\n', out);
		if (r == 0) {
			fputc('|', out);
			for (size_t c = 0; c < cols; c++)
				fputs("---|", out);
			fputc('\n', out);
		}
	}
}

static int print_json(FILE *out, const char *scenario, const axis *axes,
		      size_t naxes, const mcase *cases, size_t ncases)
{
	json_t *root = json_object();
	json_t *vary = json_array();
	json_t *arr = json_array();
	json_object_set_new(root, "scenario", json_string(scenario));
	json_object_set_new(root, "vary", vary);
	json_object_set_new(root, "cases", arr);
	for (size_t a = 0; a < naxes; a++) {
		json_t *v = json_array();
		for (size_t k = 0; k < axes[a].nvalues; k++)
			json_array_append_new(v, json_string(axes[a].values[k]));
		json_array_append_new(vary,
				      json_pack("{s:s, s:o}", "key", axes[a].key,
						"values", v));
	}
	for (size_t i = 0; i < ncases; i++) {
		const mcase *mc = &cases[i];
		json_t *settings = json_object();
		json_t *hops = json_array();
		json_t *steps = json_array();
		for (size_t a = 0; a < naxes; a++)
			json_object_set_new(settings, axes[a].key,
					    json_string(axes[a].values[mc->pick[a]]));
		for (size_t k = 0; k < mc->ncells; k++) {
			const cell *e = &mc->cells[k];
			if (e->is_step)
				json_array_append_new(
					steps,
					json_pack("{s:s, s:s, s:s, s:s, s:s}",
						  "id", e->label, "process",
						  e->from, "as", e->presented,
						  "as_level", e->level, "status",
						  e->status));
			else
				json_array_append_new(
					hops,
					json_pack("{s:s, s:s, s:s, s:s, s:s, "
						  "s:s, s:s}",
						  "hop", e->label, "from",
						  e->from, "to", e->to,
						  "presented", e->presented,
						  "level", e->level, "status",
						  e->status, "rules",
						  e->rules));
		}
		json_t *o = json_pack("{s:o, s:b, s:o, s:o}", "settings",
				      settings, "ran", mc->ran, "hops", hops,
				      "steps", steps);
		if (!mc->ran)
			json_object_set_new(o, "error", json_string(mc->error));
		json_array_append_new(arr, o);
	}
	int rc = json_dumpf(root, out, JSON_INDENT(2));
	fputc('\n', out);
	json_decref(root);
	return rc;
}

#define MAX_JOBS 16

/* A sweep in progress: the cases, the order they run in, and what the
 * workers share (under lock). */
typedef struct sweep {
	const axis *axes;
	size_t naxes;
	mcase *cases;
	size_t ncases;
	size_t *order;       /* case indices, grouped by cast */
	const char *file, *variant, *run_dir;
	int timeout_ms;
	bool cold;
	double start;
	cli_progress bar;    /* on stderr, under lock */
	pthread_mutex_t lock;
	size_t next, done;   /* in order; finished */
	unsigned sets;       /* daemon sets started */
	bool failed;
} sweep;

typedef struct mworker {
	sweep *sw;
	unsigned id;         /* 0: the only one, in run_dir itself */
	pthread_t thread;
	bool started;
} mworker;

/* One worker: its own scenario cache and set of daemons (in its own
 * directory when there are several), taking the next case in order
 * until none is left. */
static void *sweep_worker(void *arg)
{
	mworker *w = arg;
	sweep *sw = w->sw;
	char dir[PATH_MAX + 16];
	snprintf(dir, sizeof(dir), "%s", sw->run_dir);
	if (w->id)
		snprintf(dir, sizeof(dir), "%s/w%u", sw->run_dir, w->id);
	bool dir_ok = !w->id || mkdir(dir, 0700) == 0;
	sc_load_cache *cache = sc_load_cache_new();
	launch_pool *pool = dir_ok ? launch_pool_new(dir, sw->timeout_ms)
				   : NULL;
	for (;;) {
		pthread_mutex_lock(&sw->lock);
		size_t k = sw->next < sw->ncases && !spawn_interrupted()
				   ? sw->order[sw->next++]
				   : (size_t)-1;
		pthread_mutex_unlock(&sw->lock);
		if (k == (size_t)-1)
			break;
		mcase *mc = &sw->cases[k];
		char *sets[LAUNCH_MAX_SETS], where[1024];
		size_t n = case_sets(sw->axes, sw->naxes, mc->pick, sets);
		case_where(sw->axes, sw->naxes, mc->pick, where, sizeof(where));
		run_result r;
		memset(&r, 0, sizeof(r));
		const char *variant = case_variant(sw->axes, sw->naxes,
						   mc->pick, sw->variant);
		mload ml = {sw->file, variant, sets, n, where};
		launch_opts lo = {.file = sw->file,
				  .sets = sets,
				  .sets_count = n,
				  .timeout_ms = sw->timeout_ms};
		r.scn = cache && pool ? case_load(cache, &ml, false) : NULL;
		if (r.scn &&
		    (sw->cold ? launch_run_case(&lo, variant, dir, &r)
			      : launch_pool_run(pool, sw->file, variant, sets,
						n, &r)) == 0) {
			mc->ran = true;
			case_collect(mc, &r.trace);
		} else {
			sc_escape(r.error[0] ? r.error : "the case did not load",
				  mc->error, sizeof(mc->error));
		}
		run_result_free(&r, true);
		sets_free(sets, n);
		pthread_mutex_lock(&sw->lock);
		mc->finished = true;
		sw->failed = sw->failed || !mc->ran;
		sw->done++;
		if (sw->cold)
			sw->sets++;
		cli_progress_show(&sw->bar, sw->done, sw->ncases);
		pthread_mutex_unlock(&sw->lock);
	}
	unsigned sets = pool ? launch_pool_sets_started(pool) : 0;
	bool unclean = launch_pool_free(pool) != 0;
	sc_load_cache_free(cache);
	pthread_mutex_lock(&sw->lock);
	if (!sw->cold)
		sw->sets += sets;
	sw->failed = sw->failed || unclean || !pool || !cache;
	pthread_mutex_unlock(&sw->lock);
	return NULL;
}

/* ---- the command ------------------------------------------------------ */

/* What the command line asks for. */
typedef struct mopts {
	const char *file, *variant;
	const char *specs[MAX_VARY];
	size_t nspecs;
	mformat format;
	int timeout_ms;
	bool stats, cold;
	bool wide; /* --wide: the table whole, whatever the width */
	int jobs;
} mopts;

/* The sweep's plan: its axes and every case (each with its cast). */
typedef struct mplan {
	sc_load_cache *cache;
	sc_scenario *base;
	axis axes[MAX_AXES];
	size_t naxes;
	mcase *cases;
	size_t ncases;
} mplan;

static int parse_format(const char *f, mformat *out)
{
	static const char *const names[] = {"table", "csv", "json",
					    "markdown"};
	for (size_t k = 0; k < 4; k++)
		if (strcmp(names[k], f) == 0) {
			*out = (mformat)k;
			return 0;
		}
	const char *near = sc_suggest_nearest(f, names, 4);
	fprintf(stderr, "cloakroom matrix: unknown format '%s'%s%s%s (table, "
		"csv, json, markdown)\n", f, near ? " (did you mean '" : "",
		near ? near : "", near ? "'?)" : "");
	return -1;
}

enum { MO_VARY = 256, MO_FORMAT, MO_VARIANT, MO_TIMEOUT, MO_STATS,
       MO_COLD, MO_WIDE };

static int parse_one(mopts *o, int c, const char *v)
{
	long n;
	switch (c) {
	case 'j':
		if (util_parse_long(v, 1, MAX_JOBS, &n) != 0) {
			fprintf(stderr, "cloakroom matrix: -j takes a number of "
				"sets, 1 to %d (not '%s')\n", MAX_JOBS, v);
			return -1;
		}
		o->jobs = (int)n;
		return 0;
	case MO_VARY:
		if (o->nspecs == MAX_VARY) {
			fprintf(stderr, "cloakroom matrix: at most %d --vary\n",
				MAX_VARY);
			return -1;
		}
		o->specs[o->nspecs++] = v;
		return 0;
	case MO_FORMAT:
		return parse_format(v, &o->format);
	case MO_VARIANT:
		o->variant = v;
		return 0;
	case MO_TIMEOUT:
		if (util_parse_long(v, 1, INT_MAX, &n) != 0) {
			fprintf(stderr, "cloakroom matrix: --timeout-ms takes a "
				"positive whole number\n");
			return -1;
		}
		o->timeout_ms = (int)n;
		return 0;
	case MO_STATS:
		o->stats = true;
		return 0;
	case MO_COLD:
		o->cold = true;
		return 0;
	case MO_WIDE:
		o->wide = true;
		return 0;
	}
	return -1;
}

static int matrix_one(void *o, int c, const char *value)
{
	return parse_one(o, c, value);
}

static int matrix_positional(void *ctx, const char *arg)
{
	mopts *o = ctx;
	if (o->file) {
		fprintf(stderr, "cloakroom matrix: one FILE only\n");
		return -1;
	}
	o->file = arg;
	return 0;
}

/* 0, 1 when help was printed, -1 on bad arguments (said on stderr). */
static int parse_opts(int argc, char **argv, mopts *o)
{
	static const struct option longs[] = {
		{"vary", required_argument, NULL, MO_VARY},
		{"format", required_argument, NULL, MO_FORMAT},
		{"variant", required_argument, NULL, MO_VARIANT},
		{"timeout-ms", required_argument, NULL, MO_TIMEOUT},
		{"stats", no_argument, NULL, MO_STATS},
		{"cold", no_argument, NULL, MO_COLD},
		{"wide", no_argument, NULL, MO_WIDE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	memset(o, 0, sizeof(*o));
	o->timeout_ms = 10000;
	o->jobs = 1;
	static const cli_parser parser = {
		.cmd = "cloakroom matrix",
		.shorts = "j:",
		.longs = longs,
		.usage = matrix_usage,
		.one = matrix_one,
		.positional = matrix_positional,
	};
	int rc = cli_getopt(&parser, argc, argv, o);
	if (rc == 0 && (!o->file || o->nspecs == 0)) {
		matrix_usage(stderr);
		rc = -1;
	}
	return rc;
}

/* No two axes set the same target. 0, or -1 said on stderr. */
static int axes_disjoint(const axis *axes, size_t n)
{
	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < a; b++)
			for (size_t t = 0; t < axes[a].ntargets; t++)
				for (size_t u = 0; u < axes[b].ntargets; u++) {
					if (strcmp(axes[a].targets[t],
						   axes[b].targets[u]) != 0)
						continue;
					fprintf(stderr, "cloakroom matrix: '%s' "
						"and '%s' both set %s\n",
						axes[b].key, axes[a].key,
						axes[a].targets[t]);
					return -1;
				}
	return 0;
}

/* The axes of o's --vary over the scenario as written, and their
 * product's size. 0, or 2 (said on stderr). */
static int plan_axes(const mopts *o, mplan *P)
{
	P->cache = sc_load_cache_new();
	mload ml = {o->file, o->variant, NULL, 0, "no setting"};
	P->base = P->cache ? case_load(P->cache, &ml, false) : NULL;
	if (!P->base)
		return 2;
	P->ncases = 1;
	/* Without --variant, every case of the file: as written, then each
	 * variant, as the first axis. */
	if (!o->variant && P->base->variants_count) {
		axis *ax = &P->axes[P->naxes++];
		ax->is_case = true;
		ax->key = strdup("variant");
		if (sc_scenario_cases(P->base) > MAX_VALUES) {
			fprintf(stderr, "cloakroom matrix: %s has more than %d "
				"cases (as-written and its variants): pick one "
				"with --variant\n", o->file, MAX_VALUES);
			return 2;
		}
		for (unsigned k = 0; k < sc_scenario_cases(P->base); k++) {
			ax->values[ax->nvalues] = strdup(
				sc_case_name(sc_scenario_case_variant(P->base, k)));
			if (!ax->values[ax->nvalues++] || !ax->key)
				return 3;
		}
		P->ncases = ax->nvalues;
	}
	size_t nsets = 0;
	for (size_t i = 0; i < o->nspecs; i++) {
		size_t a = P->naxes++;
		if (axis_parse(P->base, o->specs[i], &P->axes[a]) != 0)
			return 2;
		if (P->ncases > MAX_CASES / P->axes[a].nvalues) {
			fprintf(stderr, "cloakroom matrix: more than %d cases\n",
				MAX_CASES);
			return 2;
		}
		P->ncases *= P->axes[a].nvalues;
		nsets += P->axes[a].ntargets;
	}
	if (axes_disjoint(P->axes, P->naxes) != 0)
		return 2;
	if (nsets > LAUNCH_MAX_SETS) {
		fprintf(stderr, "cloakroom matrix: more than %d settings per "
			"case\n", LAUNCH_MAX_SETS);
		return 2;
	}
	return 0;
}

/* Every case of the product, each loaded (so that a bad one stops the
 * sweep before anything starts) for its cast. 0, 2 (a case does not
 * load, said on stderr) or 3. */
static int plan_cases(const mopts *o, mplan *P)
{
	P->cases = calloc(P->ncases, sizeof(*P->cases));
	if (!P->cases)
		return 3;
	bool bad = false;
	for (size_t i = 0; i < P->ncases; i++) {
		mcase *c = &P->cases[i];
		c->pick = calloc(P->naxes ? P->naxes : 1, sizeof(size_t));
		if (!c->pick)
			return 3;
		size_t rest = i;
		for (size_t a = P->naxes; a-- > 0;) {
			c->pick[a] = rest % P->axes[a].nvalues;
			rest /= P->axes[a].nvalues;
		}
		char *sets[LAUNCH_MAX_SETS], where[1024];
		size_t n = case_sets(P->axes, P->naxes, c->pick, sets);
		case_where(P->axes, P->naxes, c->pick, where, sizeof(where));
		mload ml = {
			o->file,
			case_variant(P->axes, P->naxes, c->pick, o->variant),
			sets, n, where};
		sc_scenario *s = case_load(P->cache, &ml, true);
		if (!s)
			bad = true;
		else if (!(c->cast = launch_cast_key(s)))
			c->cast = strdup("");
		sc_load_free(s);
		sets_free(sets, n);
	}
	return bad ? 2 : 0;
}

static void plan_free(mplan *P)
{
	for (size_t i = 0; P->cases && i < P->ncases; i++) {
		free(P->cases[i].pick);
		free(P->cases[i].cells);
		free(P->cases[i].cast);
	}
	free(P->cases);
	for (size_t a = 0; a < P->naxes; a++) {
		axis_free(&P->axes[a]);
		free((char *)P->axes[a].key);
	}
	sc_load_free(P->base);
	sc_load_cache_free(P->cache);
}

/* Tickets the authorities of the sweep minted: their logs' "authority:
 * ticket:" lines, in every *authority.log under dir (nftw's walk). */
static unsigned long long minted;

static int count_minted(const char *path, const struct stat *st, int type,
			struct FTW *f)
{
	(void)st;
	(void)f;
	size_t l = strlen(path);
	if (type != FTW_F || l < 13 || strcmp(path + l - 13, "authority.log"))
		return 0;
	FILE *in = fopen(path, "r");
	char line[512];
	while (in && fgets(line, sizeof(line), in))
		minted += strncmp(line, "authority: ticket:", 18) == 0;
	if (in)
		fclose(in);
	return 0;
}

/* Run every case: the cases of one cast one after the other, each cast
 * once, a set of daemons per cast and worker (rows are printed in case
 * order all the same). Returns whether every case ran (-1: out of
 * memory). */
static int sweep_run(const mopts *o, mplan *P, const char *run_dir)
{
	sweep sw = {
		.axes = P->axes, .naxes = P->naxes, .cases = P->cases,
		.ncases = P->ncases, .file = o->file, .variant = o->variant,
		.run_dir = run_dir, .timeout_ms = o->timeout_ms,
		.cold = o->cold, .start = util_now_s(),
	};
	cli_progress_start(&sw.bar, "cloakroom matrix");
	sw.order = calloc(P->ncases, sizeof(*sw.order));
	if (!sw.order)
		return -1;
	for (size_t i = 0; i < P->ncases; i++)
		sw.order[i] = i;
	qsort_r(sw.order, P->ncases, sizeof(*sw.order), by_cast, P->cases);
	pthread_mutex_init(&sw.lock, NULL);
	mworker ws[MAX_JOBS];
	memset(ws, 0, sizeof(ws));
	for (int j = 0; j < o->jobs; j++) {
		ws[j].sw = &sw;
		ws[j].id = o->jobs == 1 ? 0 : (unsigned)j + 1;
		if (o->jobs == 1)
			sweep_worker(&ws[0]);
		else
			ws[j].started = pthread_create(&ws[j].thread, NULL,
						       sweep_worker,
						       &ws[j]) == 0;
	}
	for (int j = 0; j < o->jobs; j++)
		if (ws[j].started)
			pthread_join(ws[j].thread, NULL);
	pthread_mutex_destroy(&sw.lock);
	cli_progress_clear(&sw.bar);
	double took = util_now_s() - sw.start;
	minted = 0;
	if (o->stats)
		nftw(run_dir, count_minted, 8, FTW_PHYS);
	if (o->stats)
		fprintf(stderr,
			"matrix: %zu cases in %.3f s (%.0f cases/s), %u daemon "
			"set%s started, %llu ticket%s minted\n",
			sw.done, took, took > 0 ? (double)sw.done / took : 0.0,
			sw.sets, sw.sets == 1 ? "" : "s", minted,
			minted == 1 ? "" : "s");
	free(sw.order);
	return !sw.failed && !spawn_interrupted();
}

/* The rows of the cases that ran, in case order, up to the first that
 * did not (an interrupted sweep). Returns whether they were printed. */
static bool print_rows(const mopts *o, const mplan *P)
{
	size_t done = 0;
	while (done < P->ncases && P->cases[done].finished)
		done++;
	size_t ncols = 0;
	column *cols = columns_of(P->cases, done, &ncols);
	const char *name = P->base->name ? P->base->name : o->file;
	bool ok = true;
	if (o->format == MF_JSON) {
		print_json(stdout, name, P->axes, P->naxes, P->cases, done);
	} else {
		grid g = {0};
		grid_src src = {P->axes, P->naxes, P->cases, done, cols, ncols};
		if (grid_build(&g, &src, o->format == MF_CSV) == 0) {
			bool errors = any_error(P->cases, done);
			if (o->format == MF_CSV)
				print_csv(stdout, &g);
			else if (o->format == MF_MARKDOWN)
				print_markdown(stdout, &g, errors);
			else
				print_table(stdout, &g, errors,
					    o->wide ? 0 : cli_columns(1));
		} else {
			ok = false;
		}
		grid_free(&g);
	}
	fflush(stdout);
	free(cols);
	return ok;
}

int cmd_matrix(int argc, char **argv)
{
	mopts o;
	int rc = parse_opts(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	/* Everything is checked before anything starts, and that the
	 * daemons fit in memory, -j sets at once. */
	char fit_why[200];
	sc_load_limit_daemons(spawn_daemons_fit((unsigned)o.jobs, fit_why,
						sizeof(fit_why)),
			      fit_why);
	mplan P;
	memset(&P, 0, sizeof(P));
	char run_dir[PATH_MAX];
	rc = plan_axes(&o, &P);
	if (rc == 0)
		rc = plan_cases(&o, &P);
	if (rc == 0 &&
	    util_mkdtemp(run_dir, sizeof(run_dir), "cloakroom-matrix") != 0) {
		fprintf(stderr, "cloakroom matrix: cannot create a run "
			"directory: %s\n", strerror(errno));
		rc = 3;
	}
	if (rc != 0) {
		plan_free(&P);
		return rc;
	}
	spawn_install_signals();
	int ran = sweep_run(&o, &P, run_dir);
	bool ok = ran == 1;
	if (ran >= 0)
		ok = print_rows(&o, &P) && ok;
	if (ran == 0)
		fprintf(stderr, "cloakroom matrix: daemon logs kept in %s\n",
			run_dir);
	else
		util_rm_tree(run_dir);
	plan_free(&P);
	return ok ? 0 : 3;
}
