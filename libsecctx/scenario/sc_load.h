/* sc_load.h: reading a scenario file (YAML, through libcyaml's schema)
 * into the model's sc_scenario, with every error as file:line:col.
 * This is the only part of libsecctx that reads files; the model itself
 * (the sc_*.c files beside it) never does. */
#ifndef SC_LOAD_H
#define SC_LOAD_H

#include "sc_scenario.h"

#include <stdio.h>

typedef struct sc_load_error {
	char *file;
	unsigned line; /* 1-based; 0 when unknown */
	unsigned col;  /* 1-based; 0 when unknown */
	char *message;
} sc_load_error;

typedef struct sc_load_errors {
	sc_load_error *items;
	size_t count;
	size_t cap;
} sc_load_errors;

/* Load path. A top-level 'extends: FILE' (relative to path's directory)
 * loads FILE first and puts this file on top of it (docs/scenario-
 * format.md, "extends"). With variant non-NULL (and not SC_AS_WRITTEN,
 * which is the file as written), the case of that variant: its "set"
 * entries applied, the scenario's expectations but those on a hop or
 * step the variant expects or drops, then the variant's own; the case
 * has no variants. Errors (YAML syntax, unknown key, wrong type, invalid value,
 * undeclared reference, unknown variant, bad "set" entry, a missing or
 * cyclic 'extends') are appended to errs with their position, all of them.
 * Returns 0 and a scenario in *out, or SC_ERR_INVAL (with at least one
 * error in errs) and *out NULL. */
int sc_load_file(const char *path, const char *variant, sc_scenario **out,
		 sc_load_errors *errs);
/* The same from a buffer; name is used as the file name in errors. */
int sc_load_buffer(const char *name, const char *data, size_t len,
		   const char *variant, sc_scenario **out,
		   sc_load_errors *errs);

void sc_load_free(sc_scenario *s);

/* The most daemons a run of this process may start: one for each of a
 * scenario's processes, and the authority. The launcher sets it from the
 * memory available before it loads anything; a scenario with more
 * processes is then refused at the first process past it, the error
 * ending with why (how the figure was reached). 0, the default: only the
 * caps of sc_scenario.h. Set it once, before loading. */
void sc_load_limit_daemons(unsigned max, const char *why);

/* A deep copy of s (free it with sc_load_free): a loaded scenario can be
 * copied, then changed by sc_scenario_set, many times for the cost of one
 * load. 0, or -1 when out of memory. */
int sc_load_clone(const sc_scenario *s, sc_scenario **out);

/* Loads kept for copies (a warm daemon's cases, a sweep's cases): the
 * last few files loaded, each with its variant. */
typedef struct sc_load_cache sc_load_cache;
sc_load_cache *sc_load_cache_new(void); /* NULL when out of memory */
void sc_load_cache_free(sc_load_cache *c);

/* Which case to load: a scenario file, its variant (or NULL) and the
 * settings (`KEY=VALUE`, as sc_scenario_set takes them) applied over it,
 * sets[0..nsets). */
typedef struct sc_case_ref {
	const char *path;
	const char *variant;
	const char *const *sets;
	size_t nsets;
} sc_case_ref;

/* The scenario of which's path with its variant, then each of its sets
 * applied by sc_scenario_set in order: a copy of the cached load of (path, variant)
 * while the file has the same inode, size and modification time (a file
 * it extends is not looked at again), else a fresh load, then cached. c
 * may be NULL (no cache). 0 with *out; or non-zero with the load's
 * errors in errs, or "SET: why" for a setting (or "out of memory") in
 * err. */
int sc_load_case(sc_load_cache *c, const sc_case_ref *which,
		 sc_scenario **out, sc_load_errors *errs, char *err,
		 size_t errlen);

/* Calls fn with the path of every key the format knows, in schema order:
 * "scenario", "domain.accounts[].name", "processes[].steps[].blanket.sqos".
 * For documentation checks. */
typedef void (*sc_load_key_fn)(void *user, const char *path);
void sc_load_schema_keys(sc_load_key_fn fn, void *user);

/* "file:line:col: message" (or "file: message" without a position). */
void sc_load_error_format(const sc_load_error *e, char *buf, size_t len);
/* Every error of errs, formatted, one a line on out. */
void sc_load_errors_print(const sc_load_errors *errs, FILE *out);
void sc_load_errors_free(sc_load_errors *errs);

#endif
