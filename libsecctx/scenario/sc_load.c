/* sc_load.c: reads a scenario file (YAML, and the files it extends) into
 * sc_scenario through libcyaml's schema, reporting every error of the file
 * at once as file:line:col with its key path. Never lets libcyaml's
 * wording or a half-loaded scenario out; malloc only. */
#include "sc_load.h"
#include "sc_suggest.h"

#include <cyaml/cyaml.h>
#include <yaml.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define SC_LOAD_MAX_BYTES (1024u * 1024u)
#define MSG_LEN 768
#define LIST_LEN 400
#define MAX_DEPTH 24
#define KEY_LEN 64

/* ---- schema ----------------------------------------------------------- */

/* Enum spellings, aliases included: expanded from the tables of
 * sc_common.h and sc_scenario.h, the one place they are written. */
#define NO_ALIASES(X)
#define STRINGS(var, list, aliases, prefix)                                  \
	static const cyaml_strval_t var[] = {list(prefix##_V)               \
						 aliases(prefix##_A)};
#define LEVEL_V(id, name, all) {name, SC_LEVEL_##id},
#define LEVEL_A(id, name) {name, SC_LEVEL_##id},
#define AUTHN_V(id, name, all) {name, SC_AUTHN_##id},
#define AUTHN_A(id, name) {name, SC_AUTHN_##id},
#define PACKAGE_V(id, name, all) {name, SC_PACKAGE_##id},
#define PACKAGE_A(id, name) {name, SC_PACKAGE_##id},
#define CLOAK_V(id, name, all) {name, SC_CLOAK_##id},
#define CLOAK_A(id, name) {name, SC_CLOAK_##id},
#define TRANSPORT_V(id, name, all) {name, SC_TRANSPORT_##id},
#define TRANSPORT_A(id, name) {name, SC_TRANSPORT_##id},
#define START_V(id, name, all) {name, SC_START_##id},
#define START_A(id, name) {name, SC_START_##id},
#define MISBEHAVE_V(id, name, all) {name, SC_MISBEHAVE_##id},
#define MISBEHAVE_A(id, name) {name, SC_MISBEHAVE_##id},
#define STEP_V(id, name, all) {name, SC_STEP_##id},
#define STEP_A(id, name) {name, SC_STEP_##id},
#define TRACKING_V(id, name, all) {name, SC_TRACKING_##id},
#define TRACKING_A(id, name) {name, SC_TRACKING_##id},
#define TICKETS_V(id, name, all) {name, SC_TICKETS_##id},
#define TICKETS_A(id, name) {name, SC_TICKETS_##id},
#define APARTMENT_V(id, name, all) {name, SC_APARTMENT_##id},
#define APARTMENT_A(id, name) {name, SC_APARTMENT_##id},
#define DOUBLE_HOP_V(id, name, all) {name, SC_DOUBLE_HOP_##id},
#define DOUBLE_HOP_A(id, name) {name, SC_DOUBLE_HOP_##id},
#define SCOPE_V(id, name, all) {name, SC_SCOPE_##id},
#define SCOPE_A(id, name) {name, SC_SCOPE_##id},
STRINGS(level_strings, SC_LEVELS, SC_LEVEL_ALIASES, LEVEL)
STRINGS(authn_strings, SC_AUTHNS, SC_AUTHN_ALIASES, AUTHN)
STRINGS(package_strings, SC_PACKAGES, NO_ALIASES, PACKAGE)
STRINGS(cloaking_strings, SC_CLOAKINGS, SC_CLOAKING_ALIASES, CLOAK)
STRINGS(transport_strings, SC_TRANSPORTS, NO_ALIASES, TRANSPORT)
STRINGS(start_strings, SC_STARTS, NO_ALIASES, START)
STRINGS(misbehave_strings, SC_MISBEHAVES, NO_ALIASES, MISBEHAVE)
STRINGS(step_strings, SC_STEP_KINDS, SC_STEP_KIND_ALIASES, STEP)
STRINGS(tracking_strings, SC_TRACKINGS, NO_ALIASES, TRACKING)
STRINGS(scope_strings, SC_SCOPES, NO_ALIASES, SCOPE)
STRINGS(tickets_strings, SC_TICKETS, NO_ALIASES, TICKETS)
STRINGS(apartment_strings, SC_APARTMENTS, SC_APARTMENT_ALIASES, APARTMENT)
/* T12: the values, each one's Windows name and SID, then the aliases
 * (sc_integrity_table's order). */
#define INTEGRITY_V(id, name, all, rid, label) {name, SC_IL_##id},
#define INTEGRITY_L(id, name, all, rid, label) {label, SC_IL_##id},
#define INTEGRITY_S(id, name, all, rid, label) {"S-1-16-" #rid, SC_IL_##id},
#define INTEGRITY_A(id, name) {name, SC_IL_##id},
static const cyaml_strval_t integrity_strings[] = {
	{"default", SC_IL_DEFAULT},
	SC_INTEGRITY_LEVELS(INTEGRITY_V) SC_INTEGRITY_LEVELS(INTEGRITY_L)
	SC_INTEGRITY_LEVELS(INTEGRITY_S) SC_INTEGRITY_ALIASES(INTEGRITY_A)};
#define OBJECT_TYPE_V(id, name, all) {name, SC_OBJ_##id},
#define OBJECT_TYPE_A(id, name) {name, SC_OBJ_##id},
STRINGS(object_type_strings, SC_OBJECT_TYPES, SC_OBJECT_TYPE_ALIASES,
	OBJECT_TYPE)
STRINGS(double_hop_strings, SC_DOUBLE_HOP_OUTCOMES, NO_ALIASES, DOUBLE_HOP)

#define OPT CYAML_FLAG_OPTIONAL
#define ENUM_OPT (CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT | \
		  CYAML_FLAG_CASE_INSENSITIVE)
#define STR(key, flags, type, member) \
	CYAML_FIELD_STRING_PTR(key, (flags), type, member, 0, CYAML_UNLIMITED)
#define LIST(key, flags, type, member, entry) \
	CYAML_FIELD_SEQUENCE(key, (flags) | CYAML_FLAG_POINTER, type, member, \
			     entry, 0, CYAML_UNLIMITED)
#define ENUM(key, flags, type, member, strings) \
	CYAML_FIELD_ENUM(key, (flags), type, member, strings, \
			 CYAML_ARRAY_LEN(strings))

static const cyaml_schema_value_t string_entry = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};

static const cyaml_schema_field_t account_fields[] = {
	STR("name", CYAML_FLAG_POINTER, sc_account_def, name),
	STR("sid", OPT, sc_account_def, sid),
	LIST("groups", OPT, sc_account_def, groups, &string_entry),
	CYAML_FIELD_BOOL("sensitive", OPT, sc_account_def, sensitive),
	CYAML_FIELD_BOOL("trusted_for_delegation", OPT, sc_account_def,
			 trusted_for_delegation),
	CYAML_FIELD_BOOL("trusted_to_auth_for_delegation", OPT, sc_account_def,
			 trusted_to_auth_for_delegation),
	LIST("spns", OPT, sc_account_def, spns, &string_entry),
	LIST("allowed_to_delegate_to", OPT, sc_account_def,
	     allowed_to_delegate_to, &string_entry),
	LIST("allowed_to_act", OPT, sc_account_def, allowed_to_act,
	     &string_entry),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t account_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, sc_account_def, account_fields),
};

static const cyaml_schema_field_t domain_fields[] = {
	STR("name", CYAML_FLAG_POINTER, sc_domain_def, name),
	LIST("accounts", OPT, sc_domain_def, accounts, &account_entry),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t right_fields[] = {
	STR("privilege", CYAML_FLAG_POINTER, sc_right_def, privilege),
	LIST("holders", CYAML_FLAG_DEFAULT, sc_right_def, holders,
	     &string_entry),
	ENUM("scope", ENUM_OPT, sc_right_def, scope, scope_strings),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t right_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, sc_right_def, right_fields),
};

static const cyaml_schema_field_t host_fields[] = {
	STR("name", CYAML_FLAG_POINTER, sc_host_def, name),
	CYAML_FIELD_BOOL("workgroup", OPT, sc_host_def, workgroup),
	CYAML_FIELD_BOOL("trusted_for_delegation", OPT, sc_host_def,
			 trusted_for_delegation),
	ENUM("default_level", ENUM_OPT, sc_host_def, default_level,
	     level_strings),
	STR("address", OPT, sc_host_def, address),
	LIST("rights", OPT, sc_host_def, rights, &right_entry),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t host_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, sc_host_def, host_fields),
};

static const cyaml_schema_field_t blanket_fields[] = {
	ENUM("authn", ENUM_OPT, sc_blanket, authn, authn_strings),
	ENUM("level", ENUM_OPT, sc_blanket, level, level_strings),
	ENUM("package", ENUM_OPT, sc_blanket, package, package_strings),
	ENUM("cloaking", ENUM_OPT, sc_blanket, cloaking, cloaking_strings),
	STR("identity", OPT, sc_blanket, identity),
	ENUM("transport", ENUM_OPT, sc_blanket, transport, transport_strings),
	CYAML_FIELD_BOOL("sqos", OPT, sc_blanket, sqos),
	ENUM("tracking", ENUM_OPT, sc_blanket, tracking, tracking_strings),
	CYAML_FIELD_BOOL("effective_only", OPT, sc_blanket, effective_only),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t step_fields[] = {
	CYAML_FIELD_ENUM("do", CYAML_FLAG_STRICT | CYAML_FLAG_CASE_INSENSITIVE,
			 sc_step, kind, step_strings,
			 CYAML_ARRAY_LEN(step_strings)),
	STR("id", OPT, sc_step, id),
	STR("to", OPT, sc_step, to),
	STR("object", OPT, sc_step, object),
	LIST("access", OPT, sc_step, access, &string_entry),
	CYAML_FIELD_MAPPING_PTR("blanket", OPT, sc_step, blanket,
				blanket_fields),
	CYAML_FIELD_UINT("ms", OPT, sc_step, ms),
	ENUM("level", ENUM_OPT, sc_step, level, level_strings),
	CYAML_FIELD_BOOL("primary", OPT, sc_step, primary),
	CYAML_FIELD_BOOL("as_self", OPT, sc_step, as_self),
	STR("user", OPT, sc_step, user),
	STR("privilege", OPT, sc_step, privilege),
	STR("group", OPT, sc_step, group),
	LIST("holders", OPT, sc_step, holders, &string_entry),
	ENUM("scope", ENUM_OPT, sc_step, scope, scope_strings),
	STR("from", OPT, sc_step, from),
	STR("keep", OPT, sc_step, keep),
	STR("token", OPT, sc_step, token),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t step_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, sc_step, step_fields),
};

static const cyaml_schema_field_t process_fields[] = {
	STR("name", CYAML_FLAG_POINTER, sc_process_def, name),
	STR("host", CYAML_FLAG_POINTER, sc_process_def, host),
	STR("account", CYAML_FLAG_POINTER, sc_process_def, account),
	ENUM("started_by", ENUM_OPT, sc_process_def, started_by,
	     start_strings),
	CYAML_FIELD_MAPPING("blanket", OPT, sc_process_def, blanket,
			    blanket_fields),
	ENUM("server_authn", ENUM_OPT, sc_process_def, server_authn,
	     authn_strings),
	LIST("steps", OPT, sc_process_def, steps, &step_entry),
	ENUM("misbehave", ENUM_OPT, sc_process_def, misbehave,
	     misbehave_strings),
	LIST("deny_only_groups", OPT, sc_process_def, deny_only_groups,
	     &string_entry),
	LIST("disabled_groups", OPT, sc_process_def, disabled_groups,
	     &string_entry),
	CYAML_FIELD_BOOL("new", OPT, sc_process_def, is_new),
	ENUM("tickets", ENUM_OPT, sc_process_def, tickets, tickets_strings),
	CYAML_FIELD_BOOL("com_plus", OPT, sc_process_def, com_plus),
	ENUM("apartment", ENUM_OPT, sc_process_def, apartment,
	     apartment_strings),
	STR("spn", OPT, sc_process_def, spn),
	ENUM("integrity", ENUM_OPT, sc_process_def, integrity,
	     integrity_strings),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t process_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, sc_process_def,
			    process_fields),
};

static const cyaml_schema_field_t ace_fields[] = {
	STR("allow", OPT, sc_ace_def, allow),
	STR("deny", OPT, sc_ace_def, deny),
	LIST("access", CYAML_FLAG_DEFAULT, sc_ace_def, access, &string_entry),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t ace_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, sc_ace_def, ace_fields),
};

static const cyaml_schema_field_t object_fields[] = {
	STR("name", CYAML_FLAG_POINTER, sc_object_def, name),
	STR("host", CYAML_FLAG_POINTER, sc_object_def, host),
	STR("owner", OPT, sc_object_def, owner),
	CYAML_FIELD_BOOL("null_dacl", OPT, sc_object_def, null_dacl),
	LIST("dacl", OPT, sc_object_def, dacl, &ace_entry),
	STR("dacl_sddl", OPT, sc_object_def, dacl_sddl),
	ENUM("type", ENUM_OPT, sc_object_def, type, object_type_strings),
	ENUM("integrity", ENUM_OPT, sc_object_def, integrity,
	     integrity_strings),
	CYAML_FIELD_BOOL("no_read_up", OPT, sc_object_def, no_read_up),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t object_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, sc_object_def, object_fields),
};

static const cyaml_schema_field_t settings_fields[] = {
	STR("double_hop_status", OPT, sc_settings, double_hop_status),
	CYAML_FIELD_BOOL("allow_primary_from_identify", OPT, sc_settings,
			 allow_primary_from_identify),
	ENUM("double_hop_outcome", ENUM_OPT, sc_settings, double_hop_outcome,
	     double_hop_strings),
	CYAML_FIELD_END
};

/* An expectation's fields; a variant's may also drop (below). */
#define EXPECT_FIELDS                                                      \
	STR("hop", OPT, sc_expect_def, hop),                               \
	STR("step", OPT, sc_expect_def, step),                             \
	STR("presented", OPT, sc_expect_def, presented),                   \
	STR("chosen", OPT, sc_expect_def, chosen),                         \
	STR("level", OPT, sc_expect_def, level),                           \
	STR("status", OPT, sc_expect_def, status),                         \
	STR("warning", OPT, sc_expect_def, warning),                       \
	STR("rule", OPT, sc_expect_def, rule),                             \
	STR("granted", OPT, sc_expect_def, granted),                       \
	STR("runs_as", OPT, sc_expect_def, runs_as),                       \
	STR("absent", OPT, sc_expect_def, absent),                         \
	STR("authn", OPT, sc_expect_def, authn),                           \
	STR("note", OPT, sc_expect_def, note),                             \
	CYAML_FIELD_BOOL_PTR("ran", OPT, sc_expect_def, ran)

static const cyaml_schema_field_t expect_fields[] = {
	EXPECT_FIELDS,
	CYAML_FIELD_END
};
static const cyaml_schema_value_t expect_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, sc_expect_def, expect_fields),
};
/* A variant's expectation: the same, or a drop of the file's on its
 * hop or step. */
static const cyaml_schema_field_t variant_expect_fields[] = {
	EXPECT_FIELDS,
	CYAML_FIELD_BOOL("drop", OPT, sc_expect_def, drop),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t variant_expect_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, sc_expect_def,
			    variant_expect_fields),
};

static const cyaml_schema_field_t variant_fields[] = {
	STR("name", CYAML_FLAG_POINTER, sc_variant_def, name),
	STR("description", OPT, sc_variant_def, description),
	LIST("set", OPT, sc_variant_def, set, &string_entry),
	LIST("expect", OPT, sc_variant_def, expect, &variant_expect_entry),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t variant_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, sc_variant_def,
			    variant_fields),
};

static const cyaml_schema_field_t scenario_fields[] = {
	STR("scenario", CYAML_FLAG_POINTER, sc_scenario, name),
	STR("description", OPT, sc_scenario, description),
	STR("extends", OPT, sc_scenario, extends),
	CYAML_FIELD_MAPPING("domain", CYAML_FLAG_DEFAULT, sc_scenario, domain,
			    domain_fields),
	CYAML_FIELD_SEQUENCE("hosts", CYAML_FLAG_POINTER, sc_scenario, hosts,
			     &host_entry, 1, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("processes", CYAML_FLAG_POINTER, sc_scenario,
			     processes, &process_entry, 1, CYAML_UNLIMITED),
	LIST("objects", OPT, sc_scenario, objects, &object_entry),
	CYAML_FIELD_MAPPING("settings", OPT, sc_scenario, settings,
			    settings_fields),
	LIST("expect", OPT, sc_scenario, expect, &expect_entry),
	LIST("variants", OPT, sc_scenario, variants, &variant_entry),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t scenario_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, sc_scenario, scenario_fields),
};

/* ---- errors ----------------------------------------------------------- */

static int errs_push(sc_load_errors *errs, const char *file, unsigned line,
		     unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int errs_push(sc_load_errors *errs, const char *file, unsigned line,
		     unsigned col, const char *fmt, ...)
{
	if (!errs)
		return 0;
	char msg[MSG_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (errs->count == errs->cap) {
		size_t cap = errs->cap ? errs->cap * 2 : 8;
		sc_load_error *n = realloc(errs->items, cap * sizeof(*n));
		if (!n)
			return SC_ERR_NOMEM;
		errs->items = n;
		errs->cap = cap;
	}
	sc_load_error *e = &errs->items[errs->count];
	e->file = strdup(file ? file : "");
	e->message = strdup(msg);
	if (!e->file || !e->message) {
		free(e->file);
		free(e->message);
		return SC_ERR_NOMEM;
	}
	e->line = line;
	e->col = col;
	errs->count++;
	return 0;
}

void sc_load_error_format(const sc_load_error *e, char *buf, size_t len)
{
	if (!buf || !len)
		return;
	if (!e) {
		buf[0] = '\0';
		return;
	}
	/* Messages quote the file's text: escaped, as every printer does. */
	char file[512], msg[2 * MSG_LEN];
	sc_escape(e->file, file, sizeof(file));
	sc_escape(e->message, msg, sizeof(msg));
	if (e->line && e->col)
		snprintf(buf, len, "%s:%u:%u: %s", file, e->line, e->col, msg);
	else if (e->line)
		snprintf(buf, len, "%s:%u: %s", file, e->line, msg);
	else
		snprintf(buf, len, "%s: %s", file, msg);
}

void sc_load_errors_free(sc_load_errors *errs)
{
	if (!errs)
		return;
	for (size_t i = 0; i < errs->count; i++) {
		free(errs->items[i].file);
		free(errs->items[i].message);
	}
	free(errs->items);
	memset(errs, 0, sizeof(*errs));
}

/* ---- libcyaml configuration and log capture --------------------------- */

/* Plain realloc/free: every string and array of the scenario can be freed
 * or replaced with free()/strdup() by sc_scenario_set. */
static void *load_mem(void *ctx, void *ptr, size_t size)
{
	(void)ctx;
	if (size == 0) {
		free(ptr);
		return NULL;
	}
	return realloc(ptr, size);
}

/* One backtrace line: "in mapping field 'K'", "in mapping" or "in sequence
 * entry 'N'", innermost first as libcyaml prints them. */
struct frame {
	enum { FR_FIELD, FR_MAPPING, FR_ENTRY } kind;
	char key[KEY_LEN];
	unsigned n;
};

struct capture {
	char msg[MSG_LEN]; /* the first error line, "Load: " stripped */
	bool have_msg;
	bool in_backtrace;
	struct frame frames[MAX_DEPTH];
	unsigned nframes;
};

static void parse_frame(struct capture *c, const char *line)
{
	struct frame f;
	memset(&f, 0, sizeof(f));
	if (sscanf(line, " in mapping field '%63[^']'", f.key) == 1 ||
	    sscanf(line, " in mapping field: %63s", f.key) == 1) {
		f.kind = FR_FIELD;
	} else if (sscanf(line, " in sequence entry '%u'", &f.n) == 1 ||
		   sscanf(line, " in sequence entry: %u", &f.n) == 1) {
		f.kind = FR_ENTRY;
	} else if (strncmp(line, "  in mapping", 12) == 0) {
		f.kind = FR_MAPPING;
	} else {
		return;
	}
	if (c->nframes < MAX_DEPTH)
		c->frames[c->nframes++] = f;
}

static void load_log(cyaml_log_t level, void *ctx, const char *fmt,
		     va_list args)
{
	struct capture *c = ctx;
	char line[MSG_LEN];

	if (level < CYAML_LOG_ERROR || !c)
		return;
	vsnprintf(line, sizeof(line), fmt, args);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (strncmp(line, "Load: Backtrace:", 16) == 0) {
		c->in_backtrace = true;
		return;
	}
	if (c->in_backtrace && strncmp(line, "  in ", 5) == 0) {
		parse_frame(c, line);
		return;
	}
	if (c->have_msg)
		return;
	const char *m = line;
	if (strncmp(m, "Load: ", 6) == 0)
		m += 6;
	snprintf(c->msg, sizeof(c->msg), "%s", m);
	c->have_msg = true;
}

static void quiet_log(cyaml_log_t level, void *ctx, const char *fmt,
		      va_list args)
{
	(void)level;
	(void)ctx;
	(void)fmt;
	(void)args;
}

static const cyaml_config_t free_config = {
	.log_fn = quiet_log,
	.log_ctx = NULL,
	.mem_fn = load_mem,
	.mem_ctx = NULL,
	.log_level = CYAML_LOG_ERROR,
	.flags = CYAML_CFG_DEFAULT,
};

/* ---- key paths -------------------------------------------------------- */

/* One step of a path: a mapping key, or (key[0] == 0) a sequence index. */
struct comp {
	char key[KEY_LEN];
	unsigned index;
};

struct path {
	struct comp c[MAX_DEPTH];
	unsigned n;
};

static void path_key(struct path *p, const char *key)
{
	if (p->n >= MAX_DEPTH)
		return;
	snprintf(p->c[p->n].key, KEY_LEN, "%s", key);
	p->c[p->n].index = 0;
	p->n++;
}

static void path_index(struct path *p, unsigned index)
{
	if (p->n >= MAX_DEPTH)
		return;
	p->c[p->n].key[0] = '\0';
	p->c[p->n].index = index;
	p->n++;
}

/* "processes[1].steps[0].to" -> components. Returns false if malformed. */
static bool path_parse(const char *s, struct path *p)
{
	p->n = 0;
	while (*s) {
		if (*s == '[') {
			char *end;
			unsigned long v = strtoul(s + 1, &end, 10);
			if (end == s + 1 || *end != ']')
				return false;
			path_index(p, (unsigned)v);
			s = end + 1;
		} else if (*s == '.') {
			s++;
		} else {
			size_t n = strcspn(s, ".[");
			char key[KEY_LEN];
			if (n >= sizeof(key))
				return false;
			memcpy(key, s, n);
			key[n] = '\0';
			path_key(p, key);
			s += n;
		}
	}
	return true;
}

/* "processes[1].blanket" (from component 0 to n). */
static void path_format(const struct path *p, unsigned n, char *buf,
			size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < n && used < len; i++) {
		int w;
		if (p->c[i].key[0])
			w = snprintf(buf + used, len - used, "%s%s",
				     used ? "." : "", p->c[i].key);
		else
			w = snprintf(buf + used, len - used, "[%u]",
				     p->c[i].index);
		if (w < 0)
			return;
		used += (size_t)w;
	}
}

/* Is a a prefix of b (component by component)? */
static bool path_prefix(const struct path *a, const struct path *b)
{
	if (a->n > b->n)
		return false;
	for (unsigned i = 0; i < a->n; i++) {
		if (strcmp(a->c[i].key, b->c[i].key) != 0 ||
		    (!a->c[i].key[0] && a->c[i].index != b->c[i].index))
			return false;
	}
	return true;
}

/* ---- the document tree ------------------------------------------------ */

/* The file as a tree that remembers where each node came from: the file
 * (a scenario may extend another) and the line and column. The loader
 * merges, checks and repairs this tree, then hands libcyaml its text. */
enum { YN_SCALAR, YN_SEQ, YN_MAP };

typedef struct yn yn;
struct yn {
	int type;
	int style;  /* a scalar's yaml_scalar_style_t: columns inside it */
	char *text; /* scalar, NUL-terminated */
	size_t len;
	yn **kids; /* sequence items; mapping keys and values alternating */
	size_t n, cap;
	const char *file;
	unsigned line, col;
};

#define MAX_NODES 250000u
#define MAX_EXTENDS 8
#define MAX_NESTING 64 /* mappings and lists inside one another */

struct loader {
	const char *file;
	sc_load_errors *errs;
	int oom;
	unsigned problems;
	/* every node and every file name, freed together */
	yn **nodes;
	size_t nnodes, capnodes;
	char **files;
	size_t nfiles;
	yn *root;
	/* where the checker put a placeholder: reference problems under
	 * these paths would only repeat the schema error */
	struct path quiet[64];
	unsigned nquiet;
	bool skip_refs;
	/* While re-validating with a variant: where each expectation of the
	 * case came from (>= 0: the file's expect[i]; < 0: the variant's
	 * expect[-1 - i]) and which variant it is. */
	bool variant_applied;
	long *expect_origin;
	unsigned s_expect_count; /* entries of expect_origin */
	unsigned variant_index;
	const char *variant_name;
};

static void add_error_at(struct loader *ld, const char *file, unsigned line,
			 unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void add_error_at(struct loader *ld, const char *file, unsigned line,
			 unsigned col, const char *fmt, ...)
{
	char msg[MSG_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (errs_push(ld->errs, file ? file : ld->file, line, col, "%s",
		      msg) != 0)
		ld->oom = 1;
	ld->problems++;
}

#define add_error(ld, line, col, ...) \
	add_error_at((ld), NULL, (line), (col), __VA_ARGS__)
#define add_error_n(ld, nd, ...)                                           \
	add_error_at((ld), (nd) ? (nd)->file : NULL, (nd) ? (nd)->line : 1, \
		     (nd) ? (nd)->col : 1, __VA_ARGS__)

static yn *yn_new(struct loader *ld, int type, const char *file,
		  unsigned line, unsigned col)
{
	if (ld->nnodes >= MAX_NODES) {
		ld->oom = ld->oom ? ld->oom : 2;
		return NULL;
	}
	if (ld->nnodes == ld->capnodes) {
		size_t cap = ld->capnodes ? ld->capnodes * 2 : 256;
		yn **n = realloc(ld->nodes, cap * sizeof(*n));
		if (!n) {
			ld->oom = 1;
			return NULL;
		}
		ld->nodes = n;
		ld->capnodes = cap;
	}
	yn *y = calloc(1, sizeof(*y));
	if (!y) {
		ld->oom = 1;
		return NULL;
	}
	y->type = type;
	y->file = file;
	y->line = line;
	y->col = col;
	ld->nodes[ld->nnodes++] = y;
	return y;
}

static yn *yn_scalar(struct loader *ld, const char *text, size_t len,
		     const yn *at)
{
	yn *y = yn_new(ld, YN_SCALAR, at ? at->file : ld->file,
		       at ? at->line : 1, at ? at->col : 1);
	if (!y)
		return NULL;
	y->text = malloc(len + 1);
	if (!y->text) {
		ld->oom = 1;
		return NULL;
	}
	memcpy(y->text, text, len);
	y->text[len] = '\0';
	y->len = len;
	return y;
}

static bool yn_push(struct loader *ld, yn *parent, yn *kid)
{
	if (!parent || !kid)
		return false;
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 4;
		yn **k = realloc(parent->kids, cap * sizeof(*k));
		if (!k) {
			ld->oom = 1;
			return false;
		}
		parent->kids = k;
		parent->cap = cap;
	}
	parent->kids[parent->n++] = kid;
	return true;
}

static void loader_free(struct loader *ld)
{
	for (size_t i = 0; i < ld->nnodes; i++) {
		free(ld->nodes[i]->text);
		free(ld->nodes[i]->kids);
		free(ld->nodes[i]);
	}
	free(ld->nodes);
	for (size_t i = 0; i < ld->nfiles; i++)
		free(ld->files[i]);
	free(ld->files);
	free(ld->expect_origin);
	ld->expect_origin = NULL;
	ld->nodes = NULL;
	ld->files = NULL;
	ld->nnodes = ld->capnodes = ld->nfiles = 0;
}

/* A file name that lives as long as the loader. */
static const char *keep_file(struct loader *ld, const char *name)
{
	char **f = realloc(ld->files, (ld->nfiles + 1) * sizeof(*f));
	if (!f) {
		ld->oom = 1;
		return NULL;
	}
	ld->files = f;
	f[ld->nfiles] = strdup(name);
	if (!f[ld->nfiles]) {
		ld->oom = 1;
		return NULL;
	}
	return f[ld->nfiles++];
}

static bool scalar_is(const yn *n, const char *s)
{
	return n && n->type == YN_SCALAR && strcmp(n->text, s) == 0;
}

static size_t map_pairs(const yn *m)
{
	return m && m->type == YN_MAP ? m->n / 2 : 0;
}

static yn *map_key(const yn *m, size_t i) { return m->kids[2 * i]; }
static yn *map_val(const yn *m, size_t i) { return m->kids[2 * i + 1]; }

/* Index of the nth (0-based) pair of m whose key is key, or -1. */
static long map_find(const yn *m, const char *key, unsigned nth)
{
	for (size_t i = 0; i < map_pairs(m); i++)
		if (scalar_is(map_key(m, i), key) && nth-- == 0)
			return (long)i;
	return -1;
}

static yn *map_get(const yn *m, const char *key)
{
	long i = map_find(m, key, 0);
	return i < 0 ? NULL : map_val(m, (size_t)i);
}

static void map_remove(yn *m, size_t i)
{
	memmove(&m->kids[2 * i], &m->kids[2 * i + 2],
		(m->n - 2 * i - 2) * sizeof(*m->kids));
	m->n -= 2;
}

static bool map_add(struct loader *ld, yn *m, const char *key, yn *value)
{
	yn *k = yn_scalar(ld, key, strlen(key), m);
	return k && value && yn_push(ld, m, k) && yn_push(ld, m, value);
}

/* The deepest node along path; *depth says how many components matched. */
static yn *walk(struct loader *ld, const struct path *p, unsigned n,
		unsigned *depth)
{
	yn *cur = ld->root;
	unsigned i = 0;
	for (; cur && i < n; i++) {
		yn *next = NULL;
		if (p->c[i].key[0])
			next = map_get(cur, p->c[i].key);
		else if (cur->type == YN_SEQ && p->c[i].index < cur->n)
			next = cur->kids[p->c[i].index];
		if (!next)
			break;
		cur = next;
	}
	if (depth)
		*depth = i;
	return cur;
}

static const char *node_kind(const yn *n)
{
	if (!n)
		return "nothing";
	switch (n->type) {
	case YN_SCALAR:
		return n->len ? "a scalar" : "an empty value";
	case YN_SEQ:
		return "a list";
	default:
		return "a mapping";
	}
}

/* A scalar's text, cut for messages. */
static void scalar_text(const yn *n, char *buf, size_t len)
{
	if (!n || n->type != YN_SCALAR || len < 8) {
		if (len)
			buf[0] = '\0';
		return;
	}
	if (n->len >= len)
		snprintf(buf, len, "%.*s...", (int)(len - 4), n->text);
	else
		snprintf(buf, len, "%s", n->text);
}

/* libyaml's document as a tree; aliases are copied (within MAX_NODES). */
static yn *from_doc(struct loader *ld, yaml_document_t *doc, int id,
		    const char *file, unsigned depth)
{
	yaml_node_t *d = yaml_document_get_node(doc, id);
	if (!d || ld->oom)
		return NULL;
	if (depth > MAX_NESTING) {
		ld->oom = ld->oom ? ld->oom : 2;
		return NULL;
	}
	unsigned line = (unsigned)d->start_mark.line + 1;
	unsigned col = (unsigned)d->start_mark.column + 1;
	yn at = {.file = file, .line = line, .col = col};
	if (d->type == YAML_SCALAR_NODE) {
		yn *y = yn_scalar(ld, (const char *)d->data.scalar.value,
				  d->data.scalar.length, &at);
		if (y)
			y->style = (int)d->data.scalar.style;
		return y;
	}
	if (d->type == YAML_SEQUENCE_NODE) {
		yn *s = yn_new(ld, YN_SEQ, file, line, col);
		for (yaml_node_item_t *it = d->data.sequence.items.start;
		     s && it < d->data.sequence.items.top; it++)
			if (!yn_push(ld, s, from_doc(ld, doc, *it, file,
						     depth + 1)))
				return NULL;
		return s;
	}
	yn *m = yn_new(ld, YN_MAP, file, line, col);
	for (yaml_node_pair_t *pr = d->data.mapping.pairs.start;
	     m && pr < d->data.mapping.pairs.top; pr++) {
		if (!yn_push(ld, m, from_doc(ld, doc, pr->key, file,
					     depth + 1)) ||
		    !yn_push(ld, m, from_doc(ld, doc, pr->value, file,
					     depth + 1)))
			return NULL;
	}
	return m;
}

/* ---- the text libcyaml reads ------------------------------------------ */

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Flow style, every scalar double-quoted: the same values, whatever the
 * file's layout. */
static void emit(struct buf *b, const yn *n)
{
	if (n->type == YN_SCALAR) {
		buf_put(b, "\"", 1);
		for (size_t i = 0; i < n->len; i++) {
			unsigned char c = (unsigned char)n->text[i];
			char esc[8];
			if (c == '"' || c == '\\') {
				esc[0] = '\\';
				esc[1] = (char)c;
				buf_put(b, esc, 2);
			} else if (c < 0x20 || c == 0x7f) {
				snprintf(esc, sizeof(esc), "\\x%02x", c);
				buf_put(b, esc, 4);
			} else {
				buf_put(b, (const char *)&n->text[i], 1);
			}
		}
		buf_put(b, "\"", 1);
		return;
	}
	bool map = n->type == YN_MAP;
	buf_put(b, map ? "{" : "[", 1);
	for (size_t i = 0; i < n->n; i++) {
		if (i)
			buf_put(b, map && i % 2 ? ": " : ", ", 2);
		emit(b, n->kids[i]);
	}
	buf_put(b, map ? "}" : "]", 1);
}

/* ---- the schema check: every error, and a repaired tree --------------- */

static void strval_list(const cyaml_schema_value_t *v, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i < v->enumeration.count && used < len; i++) {
		/* An alias names a value already listed: the list gives each
		 * value's own spelling once. */
		bool alias = false;
		for (uint32_t j = 0; j < i && !alias; j++)
			alias = v->enumeration.strings[j].val ==
				v->enumeration.strings[i].val;
		if (alias)
			continue;
		int w = snprintf(buf + used, len - used, "%s%s",
				 used ? ", " : "", v->enumeration.strings[i].str);
		if (w < 0)
			return;
		used += (size_t)w;
	}
}

static void field_list(const cyaml_schema_value_t *v, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	if (!v || v->type != CYAML_MAPPING)
		return;
	for (const cyaml_schema_field_t *f = v->mapping.fields;
	     f->key && used < len; f++) {
		int w = snprintf(buf + used, len - used, "%s%s",
				 used ? ", " : "", f->key);
		if (w < 0)
			return;
		used += (size_t)w;
	}
}

static unsigned long long uint_max(const cyaml_schema_value_t *v)
{
	if (v->data_size >= 8)
		return ~0ull;
	return (1ull << (8 * v->data_size)) - 1;
}

/* What a schema value expects, in words. */
static void expected_text(const cyaml_schema_value_t *v, char *buf,
			  size_t len)
{
	char list[LIST_LEN - 16]; /* room for "one of: " */
	if (!v) {
		snprintf(buf, len, "something else");
		return;
	}
	switch (v->type) {
	case CYAML_STRING:
		snprintf(buf, len, "a string");
		break;
	case CYAML_BOOL:
		snprintf(buf, len, "true or false");
		break;
	case CYAML_UINT:
		snprintf(buf, len, "a whole number from 0 to %llu",
			 uint_max(v));
		break;
	case CYAML_ENUM:
		strval_list(v, list, sizeof(list));
		snprintf(buf, len, "one of: %s", list);
		break;
	case CYAML_MAPPING:
		snprintf(buf, len, "a mapping");
		break;
	case CYAML_SEQUENCE:
	case CYAML_SEQUENCE_FIXED:
		snprintf(buf, len, "a list");
		break;
	default:
		snprintf(buf, len, "another type");
		break;
	}
}

/* A value that satisfies v: an empty string, the first enum name, false,
 * 0, a mapping of its required keys, a list of its minimum length. */
static yn *placeholder(struct loader *ld, const cyaml_schema_value_t *v,
		       const yn *at)
{
	switch (v->type) {
	case CYAML_ENUM: {
		const char *s = v->enumeration.count ?
					v->enumeration.strings[0].str : "";
		return yn_scalar(ld, s, strlen(s), at);
	}
	case CYAML_BOOL:
		return yn_scalar(ld, "false", 5, at);
	case CYAML_UINT:
	case CYAML_INT:
		return yn_scalar(ld, "0", 1, at);
	case CYAML_MAPPING: {
		yn *m = yn_new(ld, YN_MAP, at->file, at->line, at->col);
		for (const cyaml_schema_field_t *f = v->mapping.fields;
		     m && f->key; f++)
			if (!(f->value.flags & CYAML_FLAG_OPTIONAL) &&
			    !map_add(ld, m, f->key,
				     placeholder(ld, &f->value, at)))
				return NULL;
		return m;
	}
	case CYAML_SEQUENCE:
	case CYAML_SEQUENCE_FIXED: {
		yn *s = yn_new(ld, YN_SEQ, at->file, at->line, at->col);
		for (unsigned i = 0; s && i < v->sequence.min; i++)
			if (!yn_push(ld, s,
				     placeholder(ld, v->sequence.entry, at)))
				return NULL;
		return s;
	}
	default:
		return yn_scalar(ld, "", 0, at);
	}
}

/* Reference problems under p come from a placeholder: say nothing. */
static void quiet_under(struct loader *ld, const struct path *p)
{
	if (p->n == 0 || ld->nquiet == sizeof(ld->quiet) / sizeof(*ld->quiet))
		ld->skip_refs = true;
	else
		ld->quiet[ld->nquiet++] = *p;
}

static bool check_value(struct loader *ld, yn *n,
			const cyaml_schema_value_t *v, struct path *p);

/* A mapping: unknown keys (with the nearest valid one), duplicates,
 * missing required keys, then each value. */
static void check_mapping(struct loader *ld, yn *m,
			  const cyaml_schema_value_t *v, struct path *p)
{
	char where[LIST_LEN], list[LIST_LEN];
	const char *names[64];
	size_t nnames = 0;
	path_format(p, p->n, where, sizeof(where));
	for (const cyaml_schema_field_t *f = v->mapping.fields;
	     f->key && nnames < 64; f++)
		names[nnames++] = f->key;

	/* Keys first: after this loop every key is a known, single one. */
	for (size_t i = 0; i < map_pairs(m);) {
		yn *k = map_key(m, i);
		if (k->type != YN_SCALAR) {
			add_error_n(ld, k, "%s%sa key must be a plain name, "
				    "not %s", where, *where ? ": " : "",
				    node_kind(k));
			map_remove(m, i);
			continue;
		}
		size_t f = 0;
		while (f < nnames && strcmp(names[f], k->text) != 0)
			f++;
		if (f == nnames) {
			const char *near =
				sc_suggest_nearest(k->text, names, nnames);
			if (near && map_find(m, near, 0) >= 0)
				near = NULL;
			field_list(v, list, sizeof(list));
			char in[LIST_LEN + 96];
			if (*where)
				snprintf(in, sizeof(in), "key '%.64s' in '%s'",
					 k->text, where);
			else
				snprintf(in, sizeof(in),
					 "top-level key '%.64s'", k->text);
			if (near) {
				add_error_n(ld, k, "unknown %s (did you mean "
					    "'%s'?)", in, near);
				/* Read on as if spelt right. */
				yn *fixed = yn_scalar(ld, near, strlen(near),
						      k);
				if (!fixed)
					return;
				m->kids[2 * i] = fixed;
				continue; /* now a known key */
			}
			add_error_n(ld, k, "unknown %s (valid keys: %s)", in,
				    list);
			map_remove(m, i);
			continue;
		}
		if (map_find(m, k->text, 0) != (long)i) {
			add_error_n(ld, k, "duplicate key '%s'%s%s%s", k->text,
				    *where ? " in '" : "", where,
				    *where ? "'" : "");
			map_remove(m, i);
			continue;
		}
		i++;
	}

	for (const cyaml_schema_field_t *f = v->mapping.fields; f->key; f++) {
		long i = map_find(m, f->key, 0);
		unsigned saved = p->n;
		path_key(p, f->key);
		if (i < 0) {
			if (!(f->value.flags & CYAML_FLAG_OPTIONAL)) {
				if (*where)
					add_error_n(ld, m, "missing required "
						    "key '%s' in '%s'", f->key,
						    where);
				else
					add_error_n(ld, m, "missing required "
						    "top-level key '%s'",
						    f->key);
				if (saved == 0)
					ld->skip_refs = true;
				map_add(ld, m, f->key,
					placeholder(ld, &f->value, m));
				p->n = saved;
				quiet_under(ld, p);
			}
			p->n = saved;
			continue;
		}
		yn *val = map_val(m, (size_t)i);
		if (!check_value(ld, val, &f->value, p)) {
			if (f->value.flags & CYAML_FLAG_OPTIONAL)
				map_remove(m, (size_t)i);
			else
				m->kids[2 * i + 1] =
					placeholder(ld, &f->value, val);
			struct path q = *p;
			if (saved > 0)
				q.n = saved;
			quiet_under(ld, &q);
		}
		p->n = saved;
	}
}

/* Checks n against v, reporting every error under it. Returns false when
 * n itself is unusable (wrong type, bad value): the caller drops or
 * replaces it; errors below n are repaired in place. */
/* What an error about a value says: where it is, what was expected,
 * what was found. */
typedef struct vtext {
	const char *where, *exp, *text;
} vtext;

/* Whether n has the shape v wants (a mapping, a list or a scalar);
 * when not, the error. */
static bool check_type(struct loader *ld, yn *n, const cyaml_schema_value_t *v,
		       struct path *p, const vtext *t)
{
	const char *where = t->where, *exp = t->exp, *text = t->text;
	bool type_ok;
	switch (v->type) {
	case CYAML_MAPPING:
		type_ok = n->type == YN_MAP;
		break;
	case CYAML_SEQUENCE:
	case CYAML_SEQUENCE_FIXED:
		type_ok = n->type == YN_SEQ;
		break;
	default:
		type_ok = n->type == YN_SCALAR;
		break;
	}
	if (type_ok)
		return true;
	if (p->n == 0)
		add_error_n(ld, n, "the document must be a mapping with the "
			    "scenario's keys, not %s", node_kind(n));
	else if (n->type == YN_SCALAR && n->len)
		add_error_n(ld, n, "wrong type for '%s': expected %s, found "
			    "the scalar '%s'", where, exp, text);
	else
		add_error_n(ld, n, "wrong type for '%s': expected %s, found %s",
			    where, exp, node_kind(n));
	return false;
}

/* Every entry (a bad one replaced by a placeholder, so that the rest is
 * still checked), then the list's length. */
static bool check_sequence(struct loader *ld, yn *n,
			   const cyaml_schema_value_t *v, struct path *p,
			   const char *where)
{
	for (size_t i = 0; i < n->n; i++) {
		unsigned saved = p->n;
		path_index(p, (unsigned)i);
		if (!check_value(ld, n->kids[i], v->sequence.entry, p)) {
			yn *ph = placeholder(ld, v->sequence.entry, n->kids[i]);
			if (!ph)
				return true;
			n->kids[i] = ph;
			quiet_under(ld, p);
		}
		p->n = saved;
	}
	if (n->n < v->sequence.min) {
		add_error_n(ld, n, "'%s' needs at least %u entr%s", where,
			    v->sequence.min,
			    v->sequence.min == 1 ? "y" : "ies");
		while (n->n < v->sequence.min)
			if (!yn_push(ld, n,
				     placeholder(ld, v->sequence.entry, n)))
				return true;
		if (p->n <= 1)
			ld->skip_refs = true;
		quiet_under(ld, p);
	} else if (v->sequence.max != CYAML_UNLIMITED &&
		   n->n > v->sequence.max) {
		add_error_n(ld, n, "'%s' has too many entries", where);
		return false;
	}
	return true;
}

/* One of the enum's spellings (aliases included); a near miss is an
 * error with did-you-mean, and reading goes on as if spelt right. */
static bool check_enum(struct loader *ld, yn *n, const cyaml_schema_value_t *v,
		       const vtext *t)
{
	const char *where = t->where, *exp = t->exp, *text = t->text;
	const char *names[128];
	uint32_t count = v->enumeration.count < 128 ? v->enumeration.count
						    : 128;
	for (uint32_t i = 0; i < count; i++) {
		names[i] = v->enumeration.strings[i].str;
		if (strcasecmp(names[i], n->text) == 0)
			return true;
	}
	const char *near = sc_suggest_nearest(n->text, names, count);
	if (!near) {
		add_error_n(ld, n, "invalid value '%s' for '%s' (expected %s)",
			    text, where, exp);
		return false;
	}
	add_error_n(ld, n, "invalid value '%s' for '%s' (did you mean '%s'? "
		    "expected %s)", text, where, near, exp);
	char *fixed = strdup(near);
	if (!fixed) {
		ld->oom = 1;
		return true;
	}
	free(n->text);
	n->text = fixed;
	n->len = strlen(fixed);
	return true;
}

/* A boolean, a whole number in range, or a string without control
 * characters. */
static bool check_scalar(struct loader *ld, yn *n,
			 const cyaml_schema_value_t *v, struct path *p,
			 const vtext *t)
{
	const char *where = t->where, *exp = t->exp, *text = t->text;
	if (v->type == CYAML_BOOL) {
		if (strcasecmp(n->text, "true") == 0 ||
		    strcasecmp(n->text, "false") == 0)
			return true;
	} else if (v->type == CYAML_UINT) {
		bool ok = n->len > 0 && n->len <= 20;
		for (size_t i = 0; ok && i < n->len; i++)
			ok = isdigit((unsigned char)n->text[i]);
		if (ok) {
			errno = 0;
			unsigned long long x = strtoull(n->text, NULL, 10);
			ok = errno == 0 && x <= uint_max(v);
		}
		if (ok)
			return true;
	} else if (v->type == CYAML_STRING) {
		/* Names and values are printed: a control character could
		 * fake lines of a report. Only a description may hold one
		 * (a line break), and it is escaped wherever printed. */
		const char *key = p->n ? p->c[p->n - 1].key : "";
		if (strcmp(key, "description") == 0)
			return true;
		for (size_t i = 0; i < n->len; i++) {
			unsigned char c = (unsigned char)n->text[i];
			if (c < 0x20 || c == 0x7f) {
				add_error_n(ld, n, "'%s' holds a control "
					    "character (byte 0x%02x at offset "
					    "%zu): only a description may",
					    where, c, i);
				return false;
			}
		}
		return true;
	} else {
		return true;
	}
	add_error_n(ld, n, "invalid value '%s' for '%s' (expected %s)", text,
		    where, exp);
	return false;
}

static bool check_value(struct loader *ld, yn *n,
			const cyaml_schema_value_t *v, struct path *p)
{
	char where[LIST_LEN], exp[LIST_LEN], text[LIST_LEN];
	if (ld->oom)
		return true;
	path_format(p, p->n, where, sizeof(where));
	expected_text(v, exp, sizeof(exp));
	scalar_text(n, text, sizeof(text));
	const vtext t = {where, exp, text};
	if (!check_type(ld, n, v, p, &t))
		return false;
	switch (v->type) {
	case CYAML_MAPPING:
		check_mapping(ld, n, v, p);
		return true;
	case CYAML_SEQUENCE:
	case CYAML_SEQUENCE_FIXED:
		return check_sequence(ld, n, v, p, where);
	case CYAML_ENUM:
		return check_enum(ld, n, v, &t);
	default:
		return check_scalar(ld, n, v, p, &t);
	}
}

/* ---- extends ---------------------------------------------------------- */

/* Lists whose entries are matched by name when a scenario extends
 * another (the cast); every other list, variants and expectations
 * included, is replaced whole. */
static bool named_list(const struct path *p)
{
	if (p->n == 1)
		return strcmp(p->c[0].key, "hosts") == 0 ||
		       strcmp(p->c[0].key, "processes") == 0 ||
		       strcmp(p->c[0].key, "objects") == 0;
	return p->n == 2 && strcmp(p->c[0].key, "domain") == 0 &&
	       strcmp(p->c[1].key, "accounts") == 0;
}

/* Two entries of a named list are the same entry: same name (objects:
 * same name and host). */
static bool same_entry(const yn *a, const yn *b, bool object)
{
	const yn *na = map_get(a, "name"), *nb = map_get(b, "name");
	if (!na || !nb || na->type != YN_SCALAR || !scalar_is(nb, na->text))
		return false;
	if (!object)
		return true;
	const yn *ha = map_get(a, "host"), *hb = map_get(b, "host");
	return ha && ha->type == YN_SCALAR && scalar_is(hb, ha->text);
}

static yn *merge(struct loader *ld, yn *base, yn *over, struct path *p);

/* Whether a process entry says `new: true`. */
static bool marked_new(const yn *entry)
{
	const yn *v = map_get(entry, "new");
	return v && v->type == YN_SCALAR && strcasecmp(v->text, "true") == 0;
}

/* A process of a file that extends another either merges into a
 * process of the base (same name) or is marked `new: true`: a misspelt
 * name must not add a process silently. */
static void check_process_entry(struct loader *ld, const yn *base,
				const yn *o, bool found)
{
	if (o->type != YN_MAP)
		return;
	const yn *name = map_get(o, "name");
	if (found && marked_new(o)) {
		long k = map_find(o, "new", 0);
		add_error_n(ld, k >= 0 ? map_key(o, (size_t)k) : o,
			    "process '%s' is in the scenario this one extends: "
			    "this entry changes it ('new: true' is for a "
			    "process the base does not have)",
			    name && name->type == YN_SCALAR ? name->text : "");
		return;
	}
	if (found || marked_new(o) || !name || name->type != YN_SCALAR)
		return;
	const char *cands[64];
	size_t nc = 0;
	char names[LIST_LEN] = "";
	for (size_t i = 0; i < base->n; i++) {
		const yn *bn = map_get(base->kids[i], "name");
		if (!bn || bn->type != YN_SCALAR)
			continue;
		if (nc < 64)
			cands[nc++] = bn->text;
		size_t l = strlen(names);
		snprintf(names + l, sizeof(names) - l, "%s%s", l ? ", " : "",
			 bn->text);
	}
	const char *near = sc_suggest_nearest(name->text, cands, nc);
	add_error_n(ld, name,
		    "process '%s' is not in the scenario this one extends "
		    "(%s%s%sits processes: %s); to add a process, mark it "
		    "'new: true'",
		    name->text, near ? "did you mean '" : "", near ? near : "",
		    near ? "'? " : "", names);
}

static yn *merge_named(struct loader *ld, yn *base, yn *over, struct path *p)
{
	bool object = strcmp(p->c[0].key, "objects") == 0;
	bool process = strcmp(p->c[0].key, "processes") == 0;
	yn *s = yn_new(ld, YN_SEQ, over->file, over->line, over->col);
	for (size_t i = 0; s && i < base->n; i++)
		yn_push(ld, s, base->kids[i]);
	for (size_t j = 0; s && j < over->n; j++) {
		yn *o = over->kids[j];
		size_t i = 0;
		while (i < base->n && !(o->type == YN_MAP &&
					base->kids[i]->type == YN_MAP &&
					same_entry(base->kids[i], o, object)))
			i++;
		if (process)
			check_process_entry(ld, base, o, i < base->n);
		if (i == base->n) {
			yn_push(ld, s, o);
			continue;
		}
		unsigned saved = p->n;
		path_index(p, (unsigned)i);
		s->kids[i] = merge(ld, base->kids[i], o, p);
		p->n = saved;
	}
	return s;
}

/* over on top of base: mappings key by key, named lists entry by entry,
 * anything else replaced. */
static yn *merge(struct loader *ld, yn *base, yn *over, struct path *p)
{
	if (base->type == YN_SEQ && over->type == YN_SEQ && named_list(p))
		return merge_named(ld, base, over, p);
	if (base->type != YN_MAP || over->type != YN_MAP)
		return over;
	yn *m = yn_new(ld, YN_MAP, over->file, over->line, over->col);
	for (size_t i = 0; m && i < map_pairs(base); i++) {
		yn *k = map_key(base, i), *v = map_val(base, i);
		long j = k->type == YN_SCALAR ? map_find(over, k->text, 0) : -1;
		if (j >= 0) {
			unsigned saved = p->n;
			path_key(p, k->text);
			v = merge(ld, v, map_val(over, (size_t)j), p);
			p->n = saved;
			k = map_key(over, (size_t)j);
		}
		yn_push(ld, m, k);
		yn_push(ld, m, v);
	}
	for (size_t j = 0; m && j < map_pairs(over); j++) {
		yn *k = map_key(over, j);
		if (k->type == YN_SCALAR && map_find(base, k->text, 0) >= 0)
			continue;
		yn_push(ld, m, k);
		yn_push(ld, m, map_val(over, j));
	}
	return m;
}

/* ---- reading and parsing ---------------------------------------------- */

/* The whole file, at most one byte past the limit. Returns 0, or an errno
 * (EFBIG when over the limit; with regular_only, EINVAL for anything but a
 * regular file, found without blocking and before a byte is read). */
static int read_all(const char *path, bool regular_only, char **out,
		    size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
				    (regular_only ? O_NONBLOCK : 0));
	if (fd < 0)
		return errno ? errno : EIO;
	struct stat st;
	if (regular_only && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		return EINVAL;
	}
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		int e = errno ? errno : EIO;
		close(fd);
		return e;
	}
	size_t cap = 64 * 1024, len = 0;
	char *buf = malloc(cap);
	int rc = 0;
	if (!buf) {
		fclose(f);
		return ENOMEM;
	}
	for (;;) {
		if (len == cap) {
			if (cap > SC_LOAD_MAX_BYTES) {
				rc = EFBIG;
				break;
			}
			size_t ncap = cap * 2;
			if (ncap > SC_LOAD_MAX_BYTES + 1)
				ncap = SC_LOAD_MAX_BYTES + 1;
			char *n = realloc(buf, ncap);
			if (!n) {
				rc = ENOMEM;
				break;
			}
			buf = n;
			cap = ncap;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			if (ferror(f))
				rc = errno ? errno : EIO;
			break;
		}
	}
	fclose(f);
	/* Over the cap, the first cap + 1 bytes are kept for the caller to
	 * name the position past it. */
	if (!rc && len > SC_LOAD_MAX_BYTES)
		rc = EFBIG;
	if (rc && rc != EFBIG) {
		free(buf);
		return rc;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* Line and column (1-based) of a byte offset, for reader errors. */
static void offset_mark(const char *data, size_t len, size_t off,
			unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static void report_syntax_error(struct loader *ld, const char *file,
				const char *data, size_t len,
				const yaml_parser_t *yp)
{
	unsigned line, col;
	const char *problem = yp->problem ? yp->problem : "malformed YAML";

	if (yp->error == YAML_READER_ERROR) {
		offset_mark(data, len, yp->problem_offset, &line, &col);
		add_error_at(ld, file, line, col, "invalid input: %s",
			     problem);
		return;
	}
	if (yp->error == YAML_MEMORY_ERROR) {
		ld->oom = 1;
		return;
	}
	line = (unsigned)yp->problem_mark.line + 1;
	col = (unsigned)yp->problem_mark.column + 1;
	if (yp->context)
		add_error_at(ld, file, line, col,
			     "syntax error: %s %s (started at line %u, column "
			     "%u)", problem, yp->context,
			     (unsigned)yp->context_mark.line + 1,
			     (unsigned)yp->context_mark.column + 1);
	else
		add_error_at(ld, file, line, col, "syntax error: %s", problem);
}

/* Refuse nesting past MAX_NESTING while parsing, before libyaml builds
 * a document: its loader and scanner cost grows with the square of the
 * depth (37 s for 100,000 levels), and no scenario nests more than a few
 * levels. Events stream: the walk stops at the first collection too
 * deep, having read only what lies before it. A syntax error is left to
 * the load that follows, which reports it. Returns false after reporting
 * the position of the first collection past the cap. */
static bool nesting_ok(struct loader *ld, const char *file, const char *data,
		       size_t len)
{
	yaml_parser_t yp;
	if (!yaml_parser_initialize(&yp)) {
		ld->oom = 1;
		return false;
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)data, len);
	unsigned depth = 0;
	bool ok = true;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&yp, &ev))
			break;
		yaml_event_type_t t = ev.type;
		if (t == YAML_SEQUENCE_START_EVENT ||
		    t == YAML_MAPPING_START_EVENT) {
			if (++depth > MAX_NESTING) {
				add_error_at(ld, file,
					     (unsigned)ev.start_mark.line + 1,
					     (unsigned)ev.start_mark.column + 1,
					     "nested deeper than %d levels "
					     "(mappings and lists inside one "
					     "another): this one is level %u",
					     MAX_NESTING, depth);
				ok = false;
			}
		} else if (t == YAML_SEQUENCE_END_EVENT ||
			   t == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		yaml_event_delete(&ev);
		if (!ok || t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&yp);
	return ok;
}

/* The tree of one file's text: syntax errors, one document only. Returns
 * NULL after reporting an error. */
static yn *parse_tree(struct loader *ld, const char *file, const char *data,
		      size_t len)
{
	yaml_parser_t yp;
	yaml_document_t doc;
	if (!nesting_ok(ld, file, data, len))
		return NULL;
	if (!yaml_parser_initialize(&yp)) {
		ld->oom = 1;
		return NULL;
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)data, len);
	if (!yaml_parser_load(&yp, &doc)) {
		report_syntax_error(ld, file, data, len, &yp);
		yaml_parser_delete(&yp);
		return NULL;
	}
	yn *root = NULL;
	if (!yaml_document_get_root_node(&doc)) {
		add_error_at(ld, file, 1, 1,
			     "the file is empty (expected a mapping with "
			     "scenario, domain, hosts and processes)");
		goto out;
	}
	/* One document only: a second one would be silently ignored. */
	yaml_document_t next;
	if (!yaml_parser_load(&yp, &next)) {
		report_syntax_error(ld, file, data, len, &yp);
		goto out;
	}
	if (yaml_document_get_root_node(&next)) {
		add_error_at(ld, file, (unsigned)next.start_mark.line + 1,
			     (unsigned)next.start_mark.column + 1,
			     "a second YAML document: a scenario file holds "
			     "exactly one");
		yaml_document_delete(&next);
		goto out;
	}
	yaml_document_delete(&next);
	root = from_doc(ld, &doc, 1, file, 0);
	if (!root && ld->oom == 2) {
		add_error_at(ld, file, 1, 1,
			     "the document is too large: more than %u nodes "
			     "or %d levels once its aliases are expanded",
			     MAX_NODES, MAX_NESTING);
		ld->oom = 0;
	}
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&yp);
	return root;
}

/* name ends in .yaml or .yml. */
static bool yaml_named(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

/* A base file named by 'extends', relative to the directory of from. */
static void base_path(const char *from, const char *name, char *buf,
		      size_t len)
{
	const char *slash = strrchr(from, '/');
	if (name[0] == '/' || !slash)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%.*s/%s", (int)(slash - from + 1) - 1,
			 from, name);
}

/* root with the scenario it extends merged under it (recursively).
 * chain holds the real paths of the files on the way, for cycles. */
static yn *with_base(struct loader *ld, yn *root, const char *file,
		     char chain[][PATH_MAX], unsigned depth)
{
	yn *v = map_get(root, "extends");
	if (!v && root->type == YN_MAP) {
		/* `new: true` adds a process to a base; without one it is a
		 * mistake (the file was meant to extend another). */
		const yn *ps = map_get(root, "processes");
		for (size_t i = 0; ps && ps->type == YN_SEQ && i < ps->n; i++) {
			long k = map_find(ps->kids[i], "new", 0);
			if (k >= 0 && marked_new(ps->kids[i]))
				add_error_n(ld, map_key(ps->kids[i], (size_t)k),
					    "'new: true' marks a process that "
					    "a file adds to the scenario it "
					    "extends; this file extends none");
		}
	}
	if (!v || root->type != YN_MAP)
		return root;
	if (v->type != YN_SCALAR || !v->len) {
		add_error_n(ld, v, "'extends' names the scenario file this "
			    "one builds on, not %s", node_kind(v));
		return NULL;
	}
	char path[PATH_MAX], real[PATH_MAX];
	base_path(file, v->text, path, sizeof(path));
	if (!realpath(path, real)) {
		add_error_n(ld, v, "extends '%s': cannot open %s: %s", v->text,
			    path, strerror(errno));
		return NULL;
	}
	/* Only a scenario file: a name ending in .yaml or .yml, for the name
	 * given and the file it resolves to (a link named x.yaml to
	 * /etc/shadow is refused), and a regular file (a FIFO or a device
	 * would block or never end). What is refused is never read, so
	 * none of its content reaches an error. */
	if (!yaml_named(path) || !yaml_named(real)) {
		add_error_n(ld, v, "extends '%s': %s is not a scenario file "
			    "(a name ending in .yaml or .yml)", v->text,
			    yaml_named(path) ? real : path);
		return NULL;
	}
	for (unsigned i = 0; i <= depth; i++) {
		if (strcmp(chain[i], real) != 0)
			continue;
		char cyc[MSG_LEN] = "";
		size_t used = 0;
		for (unsigned k = i; k <= depth && used < sizeof(cyc); k++) {
			int w = snprintf(cyc + used, sizeof(cyc) - used,
					 "%s -> ", chain[k]);
			if (w < 0)
				break;
			used += (size_t)w;
		}
		add_error_n(ld, v, "extends '%s' makes a cycle: %s%s", v->text,
			    cyc, real);
		return NULL;
	}
	if (depth + 1 >= MAX_EXTENDS) {
		add_error_n(ld, v, "extends '%s': more than %d files extend "
			    "one another", v->text, MAX_EXTENDS);
		return NULL;
	}
	char *data;
	size_t len;
	int e = read_all(path, true, &data, &len);
	if (e) {
		free(data);
		add_error_n(ld, v, "extends '%s': cannot read %s: %s", v->text,
			    path, e == EFBIG ? "larger than 1 MiB" :
			    e == EINVAL ? "not a regular file" :
			    strerror(e));
		return NULL;
	}
	const char *kept = keep_file(ld, path);
	yn *base = kept ? parse_tree(ld, kept, data, len) : NULL;
	free(data);
	if (!base)
		return NULL;
	snprintf(chain[depth + 1], PATH_MAX, "%s", real);
	base = with_base(ld, base, kept, chain, depth + 1);
	if (!base)
		return NULL;
	struct path p = {.n = 0};
	return merge(ld, base, root, &p);
}

/* ---- how many daemons a run may start ---------------------------------- */

static unsigned daemons_max;
static char daemons_why[200];

void sc_load_limit_daemons(unsigned max, const char *why)
{
	daemons_max = max;
	snprintf(daemons_why, sizeof(daemons_why), "%s", why ? why : "");
}

/* A run starts a daemon for every process and the authority: refused at
 * the first process past the limit, if one is set. */
static void check_daemons(struct loader *ld, const yn *root)
{
	const yn *procs = map_get(root, "processes");
	if (!daemons_max || !procs || procs->type != YN_SEQ)
		return;
	size_t n = procs->n, fit = daemons_max > 1 ? daemons_max - 1 : 0;
	if (n <= fit)
		return;
	add_error_n(ld, procs->kids[fit],
		    "processes[%zu]: a run of this scenario starts %zu daemons "
		    "(one for each of its %zu processes, and the authority), "
		    "more than the %u that fit in memory%s%s",
		    fit, n + 1, n, daemons_max, daemons_why[0] ? ": " : "",
		    daemons_why);
}

/* ---- libcyaml's own error, should the check have missed one ----------- */

static void report_schema_error(struct loader *ld, const struct capture *c,
				cyaml_err_t err)
{
	const char *m = c->have_msg ? c->msg : cyaml_strerror(err);
	struct path p = {.n = 0};
	for (unsigned i = c->nframes; i-- > 0;) {
		const struct frame *f = &c->frames[i];
		if (f->kind == FR_FIELD)
			path_key(&p, f->key);
		else if (f->kind == FR_ENTRY)
			path_index(&p, f->n ? f->n - 1 : 0);
	}
	char where[LIST_LEN], lower[MSG_LEN];
	path_format(&p, p.n, where, sizeof(where));
	snprintf(lower, sizeof(lower), "%s", m);
	lower[0] = (char)tolower((unsigned char)lower[0]);
	yn *n = walk(ld, &p, p.n, NULL);
	if (*where)
		add_error_n(ld, n, "%s: %s", where, lower);
	else
		add_error_n(ld, n, "%s", lower);
}

/* ---- validation, mapped back to the file ------------------------------ */

static void on_problem(void *user, const char *path, const char *msg)
{
	struct loader *ld = user;
	/* "PATH#N": the problem is N bytes into the scalar at PATH. */
	char bare[LIST_LEN];
	const char *hash = strchr(path, '#');
	unsigned long inside = hash ? strtoul(hash + 1, NULL, 10) : 0;
	snprintf(bare, sizeof(bare), "%.*s",
		 (int)(hash ? (size_t)(hash - path) : strlen(path)), path);
	path = bare;
	struct path p;
	if (!path_parse(path, &p))
		p.n = 0;
	/* The variants were checked before one was applied; a drop is
	 * checked against the file's expectations, not the case's. */
	if (ld->variant_applied && p.n >= 1 &&
	    strcmp(p.c[0].key, "variants") == 0)
		return;
	/* The case's expectations point back at where they are written:
	 * the file's expect, or the variant's. */
	if (ld->variant_applied && ld->expect_origin && p.n >= 2 &&
	    strcmp(p.c[0].key, "expect") == 0 && !p.c[1].key[0] &&
	    p.c[1].index < ld->s_expect_count && p.n + 2 <= MAX_DEPTH) {
		long o = ld->expect_origin[p.c[1].index];
		struct path q = {.n = 0};
		if (o < 0) {
			path_key(&q, "variants");
			path_index(&q, ld->variant_index);
		}
		path_key(&q, "expect");
		path_index(&q, (unsigned)(o < 0 ? -1 - o : o));
		for (unsigned i = 2; i < p.n; i++)
			q.c[q.n++] = p.c[i];
		p = q;
	}
	for (unsigned i = 0; i < ld->nquiet; i++)
		if (path_prefix(&ld->quiet[i], &p))
			return;
	char where[LIST_LEN];
	path_format(&p, p.n, where, sizeof(where));
	yn *n = walk(ld, &p, p.n, NULL);
	yn inner;
	if (hash && n && n->type == YN_SCALAR && !memchr(n->text, '\n', n->len) &&
	    (n->style == YAML_PLAIN_SCALAR_STYLE ||
	     n->style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	     n->style == YAML_DOUBLE_QUOTED_SCALAR_STYLE) &&
	    inside <= n->len) {
		inner = *n;
		inner.col += (unsigned)inside +
			     (n->style != YAML_PLAIN_SCALAR_STYLE);
		n = &inner;
	}
	const char *sep = *where ? ": " : "";
	if (ld->variant_applied)
		add_error_n(ld, n, "%s%s%s (with variant '%s')", where, sep,
			    msg, ld->variant_name);
	else
		add_error_n(ld, n, "%s%s%s", where, sep, msg);
}

/* ---- variants --------------------------------------------------------- */

static char *dup_or_null(const char *s, bool *oom)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

static int copy_expectation(sc_expect_def *dst, const sc_expect_def *src)
{
	bool oom = false;
	memset(dst, 0, sizeof(*dst));
	dst->hop = dup_or_null(src->hop, &oom);
	dst->step = dup_or_null(src->step, &oom);
	dst->presented = dup_or_null(src->presented, &oom);
	dst->chosen = dup_or_null(src->chosen, &oom);
	dst->level = dup_or_null(src->level, &oom);
	dst->status = dup_or_null(src->status, &oom);
	dst->warning = dup_or_null(src->warning, &oom);
	dst->rule = dup_or_null(src->rule, &oom);
	dst->granted = dup_or_null(src->granted, &oom);
	dst->runs_as = dup_or_null(src->runs_as, &oom);
	dst->absent = dup_or_null(src->absent, &oom);
	dst->authn = dup_or_null(src->authn, &oom);
	dst->note = dup_or_null(src->note, &oom);
	if (src->ran) {
		dst->ran = malloc(sizeof(bool));
		if (dst->ran)
			*dst->ran = *src->ran;
		else
			oom = true;
	}
	return oom ? SC_ERR_NOMEM : 0;
}

static void free_expectation(sc_expect_def *e)
{
	free(e->hop);
	free(e->step);
	free(e->presented);
	free(e->chosen);
	free(e->level);
	free(e->status);
	free(e->warning);
	free(e->rule);
	free(e->granted);
	free(e->runs_as);
	free(e->absent);
	free(e->authn);
	free(e->note);
	free(e->ran);
}

/* The case of variant v: the scenario's expectations but those on a
 * target (hop or step) that v expects or drops, then v's own (its
 * drops left out). ld->expect_origin says where each came from. */
static int merge_expectations(struct loader *ld, sc_scenario *s,
			      const sc_variant_def *v)
{
	size_t cap = (size_t)s->expect_count + v->expect_count;
	long *origin = calloc(cap ? cap : 1, sizeof(*origin));
	sc_expect_def *e = calloc(cap ? cap : 1, sizeof(*e));
	if (!origin || !e) {
		free(origin);
		free(e);
		return SC_ERR_NOMEM;
	}
	unsigned n = 0;
	for (unsigned i = 0; i < s->expect_count; i++) {
		bool replaced = false;
		for (unsigned k = 0; k < v->expect_count && !replaced; k++)
			replaced = sc_expect_same_target(&s->expect[i],
							 &v->expect[k]);
		if (replaced) {
			free_expectation(&s->expect[i]);
			continue;
		}
		origin[n] = (long)i;
		e[n++] = s->expect[i]; /* moved */
	}
	free(s->expect);
	s->expect = e;
	s->expect_count = n;
	free(ld->expect_origin);
	ld->expect_origin = origin;
	for (unsigned k = 0; k < v->expect_count; k++) {
		if (v->expect[k].drop)
			continue;
		origin[n] = -1 - (long)k;
		int rc = copy_expectation(&e[n], &v->expect[k]);
		s->expect_count = ++n; /* freed with the scenario, even on oom */
		if (rc != 0)
			return rc;
	}
	ld->s_expect_count = n;
	return 0;
}

static void apply_variant(struct loader *ld, sc_scenario *s,
			  const char *variant)
{
	unsigned vi = 0;
	while (vi < s->variants_count &&
	       (!s->variants[vi].name ||
		strcmp(s->variants[vi].name, variant) != 0))
		vi++;
	if (vi == s->variants_count) {
		char names[LIST_LEN];
		const char *cands[64];
		size_t used = 0, nc = 0;
		names[0] = '\0';
		/* The cases of the file: as written, then each variant. */
		int w0 = snprintf(names, sizeof(names), "%s", SC_AS_WRITTEN);
		if (w0 > 0)
			used = (size_t)w0;
		for (unsigned i = 0; i < s->variants_count; i++) {
			if (nc < 64)
				cands[nc++] = s->variants[i].name;
			if (used >= sizeof(names))
				continue;
			int w = snprintf(names + used, sizeof(names) - used,
					 ", %s",
					 s->variants[i].name ?
						 s->variants[i].name : "");
			if (w > 0)
				used += (size_t)w;
		}
		if (nc < 64) /* the file as written is a case too */
			cands[nc++] = SC_AS_WRITTEN;
		const char *near = sc_suggest_nearest(variant, cands, nc);
		yn *at = map_get(ld->root, "variants");
		long k = map_find(ld->root, "variants", 0);
		if (k >= 0)
			at = map_key(ld->root, (size_t)k);
		if (!s->variants_count)
			add_error_n(ld, at, "unknown variant '%s' (the "
				    "scenario has no variants: its one case is "
				    "%s)", variant, SC_AS_WRITTEN);
		else if (near)
			add_error_n(ld, at, "unknown variant '%s' (did you "
				    "mean '%s'? cases: %s)", variant, near,
				    names);
		else
			add_error_n(ld, at, "unknown variant '%s' (cases: %s)",
				    variant, names);
		return;
	}

	const sc_variant_def *v = &s->variants[vi];
	for (unsigned k = 0; k < v->set_count; k++) {
		char err[MSG_LEN];
		int rc = sc_scenario_set(s, v->set[k], err, sizeof(err));
		if (rc == SC_ERR_NOMEM) {
			ld->oom = 1;
			return;
		}
		if (rc != 0) {
			struct path p = {.n = 0};
			path_key(&p, "variants");
			path_index(&p, vi);
			path_key(&p, "set");
			path_index(&p, k);
			add_error_n(ld, walk(ld, &p, p.n, NULL),
				    "variant '%s': %s", variant, err);
		}
	}
	if (ld->problems)
		return;

	if (merge_expectations(ld, s, v) != 0) {
		ld->oom = 1;
		return;
	}
	ld->variant_applied = true;
	ld->variant_index = vi;
	ld->variant_name = v->name;
	sc_scenario_validate(s, on_problem, ld);
	if (ld->problems)
		return;
	/* The case is the variant applied: the variants are not its own
	 * (their drops and sets were checked against the file as written). */
	for (unsigned i = 0; i < s->variants_count; i++) {
		sc_variant_def *d = &s->variants[i];
		free(d->name);
		free(d->description);
		for (unsigned k = 0; k < d->set_count; k++)
			free(d->set[k]);
		free(d->set);
		for (unsigned k = 0; k < d->expect_count; k++)
			free_expectation(&d->expect[k]);
		free(d->expect);
	}
	free(s->variants);
	s->variants = NULL;
	s->variants_count = 0;
}

/* ---- entry points ----------------------------------------------------- */

/* The errors from first on, in the order of the files they name (the
 * main file, then the others as first named), then of their lines and
 * columns: each file read top to bottom. */
static size_t file_rank(const sc_load_errors *errs, size_t first,
			const char *main, const char *file)
{
	if (strcmp(file, main) == 0)
		return 0;
	size_t r = first;
	while (strcmp(errs->items[r].file, file) != 0)
		r++;
	return r + 1;
}

static void sort_errors(sc_load_errors *errs, size_t first, const char *main)
{
	if (!errs)
		return;
	for (size_t i = first + 1; i < errs->count; i++) {
		sc_load_error e = errs->items[i];
		size_t fe = file_rank(errs, first, main, e.file);
		size_t j = i;
		while (j > first) {
			const sc_load_error *p = &errs->items[j - 1];
			size_t fp = file_rank(errs, first, main, p->file);
			bool after = fp > fe ||
				     (fp == fe && (p->line > e.line ||
						   (p->line == e.line &&
						    p->col > e.col)));
			if (!after)
				break;
			errs->items[j] = errs->items[j - 1];
			j--;
		}
		errs->items[j] = e;
	}
}

static void keys_walk(const cyaml_schema_value_t *v, char *buf, size_t len,
		      size_t used, sc_load_key_fn fn, void *user)
{
	if (v->type == CYAML_SEQUENCE || v->type == CYAML_SEQUENCE_FIXED) {
		if (used + 3 > len)
			return;
		memcpy(buf + used, "[]", 3);
		keys_walk(v->sequence.entry, buf, len, used + 2, fn, user);
		return;
	}
	if (v->type != CYAML_MAPPING)
		return;
	for (const cyaml_schema_field_t *f = v->mapping.fields; f->key; f++) {
		int w = snprintf(buf + used, len - used, "%s%s",
				 used ? "." : "", f->key);
		if (w < 0 || (size_t)w >= len - used)
			continue;
		fn(user, buf);
		keys_walk(&f->value, buf, len, used + (size_t)w, fn, user);
		buf[used] = '\0';
	}
}

void sc_load_schema_keys(sc_load_key_fn fn, void *user)
{
	char buf[256] = "";
	if (fn)
		keys_walk(&scenario_schema, buf, sizeof(buf), 0, fn, user);
}

void sc_load_free(sc_scenario *s)
{
	if (s)
		cyaml_free(&free_config, &scenario_schema, s, 0);
}

/* ---- the fields a blanket wrote ---------------------------------------- */

static const struct {
	const char *key;
	unsigned bit;
} given_bits[] = {
#define GIVEN_BIT(id, field) {#field, SC_GIVEN_##id},
	SC_BLANKET_FIELDS(GIVEN_BIT)
#undef GIVEN_BIT
};

static unsigned given_of(const yn *m)
{
	unsigned given = 0;
	for (size_t i = 0; i < map_pairs(m); i++)
		for (size_t k = 0; k < sizeof(given_bits) / sizeof(given_bits[0]);
		     k++)
			if (scalar_is(map_key(m, i), given_bits[k].key))
				given |= given_bits[k].bit;
	return given;
}

/* Which blanket fields the (merged, checked) tree wrote: libcyaml reads a
 * field not written and one written as its zero value (none, default,
 * false) alike, and a step's blanket must tell them apart (it overrides
 * exactly what it gives). The tree and s list processes and steps in the
 * same order. */
static void mark_given(const yn *root, sc_scenario *s)
{
	const yn *procs = map_get(root, "processes");
	for (unsigned i = 0; procs && procs->type == YN_SEQ &&
			     i < s->processes_count && i < procs->n;
	     i++) {
		sc_process_def *p = &s->processes[i];
		const yn *pm = procs->kids[i];
		p->blanket.given = given_of(map_get(pm, "blanket"));
		const yn *steps = map_get(pm, "steps");
		for (unsigned j = 0; steps && steps->type == YN_SEQ &&
				     j < p->steps_count && j < steps->n;
		     j++)
			if (p->steps[j].blanket)
				p->steps[j].blanket->given = given_of(
					map_get(steps->kids[j], "blanket"));
	}
}

/* ---- copies ----------------------------------------------------------- */

/* A deep copy driven by the schema, as cyaml_free walks it (so that
 * sc_load_free frees a copy as it frees a load): every pointer the schema
 * names gets its own allocation, everything else is copied as it is. */
static int clone_value(const cyaml_schema_value_t *v, const uint8_t *src,
		       uint8_t *dst, unsigned count);

static size_t entry_size(const cyaml_schema_value_t *e)
{
	return e->flags & CYAML_FLAG_POINTER ? sizeof(void *) : e->data_size;
}

/* After a failed copy: the pointers of a value not deepened yet (still
 * src's) become NULL, so that the copy frees only its own. */
static void clone_forget(const cyaml_schema_value_t *v, uint8_t *dst)
{
	if (v->flags & CYAML_FLAG_POINTER) {
		memset(dst, 0, sizeof(void *));
		return;
	}
	if (v->type == CYAML_MAPPING) {
		for (const cyaml_schema_field_t *f = v->mapping.fields; f->key;
		     f++)
			clone_forget(&f->value, dst + f->data_offset);
	} else if (v->type == CYAML_SEQUENCE_FIXED) {
		const cyaml_schema_value_t *e = v->sequence.entry;
		for (unsigned i = 0; i < v->sequence.max; i++)
			clone_forget(e, dst + entry_size(e) * i);
	}
}

/* dst holds a copy of src's bytes already; deepen the fields. */
static int clone_mapping(const cyaml_schema_value_t *v, const uint8_t *src,
			 uint8_t *dst)
{
	for (const cyaml_schema_field_t *f = v->mapping.fields; f->key; f++) {
		bool failed = false;
		unsigned count = 0;
		if (f->value.type == CYAML_SEQUENCE) {
			const uint8_t *c = src + f->count_offset;
			switch (f->count_size) {
			case 1: count = *c; break;
			case 2: count = *(const uint16_t *)c; break;
			case 4: count = *(const uint32_t *)c; break;
			case 8: count = (unsigned)*(const uint64_t *)c; break;
			default: failed = true;
			}
		}
		if (failed || clone_value(&f->value, src + f->data_offset,
					  dst + f->data_offset, count) != 0) {
			if (failed)
				clone_forget(&f->value, dst + f->data_offset);
			while ((++f)->key)
				clone_forget(&f->value, dst + f->data_offset);
			return -1;
		}
	}
	return 0;
}

/* src and dst point at the value's place (a pointer's, for a pointer);
 * dst's bytes are a copy of src's. On failure every pointer not yet
 * deepened is NULL in dst, so that it can be freed. */
static int clone_value(const cyaml_schema_value_t *v, const uint8_t *src,
		       uint8_t *dst, unsigned count)
{
	const uint8_t *from = src;
	uint8_t *to = dst;
	if (v->type == CYAML_SEQUENCE_FIXED)
		count = v->sequence.max;
	bool seq = v->type == CYAML_SEQUENCE || v->type == CYAML_SEQUENCE_FIXED;
	if (v->flags & CYAML_FLAG_POINTER) {
		memcpy(&from, src, sizeof(from));
		if (!from)
			return 0;
		size_t size = v->type == CYAML_STRING
				      ? strlen((const char *)from) + 1
			      : seq ? (size_t)count * entry_size(v->sequence.entry)
				    : v->data_size;
		to = malloc(size ? size : 1);
		if (to && size)
			memcpy(to, from, size);
		memcpy(dst, &to, sizeof(to));
		if (!to)
			return -1;
	}
	if (v->type == CYAML_MAPPING)
		return clone_mapping(v, from, to);
	if (!seq)
		return 0;
	const cyaml_schema_value_t *e = v->sequence.entry;
	size_t step = entry_size(e);
	int rc = 0;
	for (unsigned i = 0; i < count; i++)
		if (rc == 0)
			rc = clone_value(e, from + step * i, to + step * i, 0);
		else
			clone_forget(e, to + step * i);
	return rc;
}

#define CACHE_SLOTS 8

typedef struct cache_slot {
	char *path;
	char *variant;   /* NULL: none */
	struct stat st;  /* the file as it was loaded */
	sc_scenario *scn;
} cache_slot;

struct sc_load_cache {
	cache_slot slots[CACHE_SLOTS];
	unsigned next;
};

sc_load_cache *sc_load_cache_new(void)
{
	return calloc(1, sizeof(sc_load_cache));
}

static void cache_slot_clear(cache_slot *c)
{
	free(c->path);
	free(c->variant);
	sc_load_free(c->scn);
	memset(c, 0, sizeof(*c));
}

void sc_load_cache_free(sc_load_cache *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < CACHE_SLOTS; i++)
		cache_slot_clear(&c->slots[i]);
	free(c);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

int sc_load_case(sc_load_cache *c, const sc_case_ref *which,
		 sc_scenario **out, sc_load_errors *errs, char *err,
		 size_t errlen)
{
	const char *path = which->path, *variant = which->variant;
	const char *const *sets = which->sets;
	size_t nsets = which->nsets;
	*out = NULL;
	if (errlen)
		err[0] = '\0';
	struct stat st;
	const sc_scenario *base = NULL;
	bool known = stat(path, &st) == 0;
	for (unsigned i = 0; known && c && i < CACHE_SLOTS; i++) {
		cache_slot *k = &c->slots[i];
		if (k->scn && strcmp(k->path, path) == 0 &&
		    (variant ? k->variant && strcmp(k->variant, variant) == 0
			     : !k->variant) &&
		    same_file(&k->st, &st))
			base = k->scn;
	}
	sc_scenario *s = NULL;
	if (base) {
		if (sc_load_clone(base, &s) != 0) {
			snprintf(err, errlen, "out of memory");
			return SC_ERR_NOMEM;
		}
	} else {
		int rc = sc_load_file(path, variant, &s, errs);
		if (rc != 0)
			return rc;
		if (known && c) {
			cache_slot *k = &c->slots[c->next++ % CACHE_SLOTS];
			cache_slot_clear(k);
			k->path = strdup(path);
			k->variant = variant ? strdup(variant) : NULL;
			k->st = st;
			if (!k->path || (variant && !k->variant) ||
			    sc_load_clone(s, &k->scn) != 0)
				cache_slot_clear(k); /* kept next time, maybe */
		}
	}
	for (size_t i = 0; i < nsets; i++) {
		char why[512];
		if (sc_scenario_set(s, sets[i], why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s: %s", sets[i], why);
			sc_load_free(s);
			return SC_ERR_INVAL;
		}
	}
	*out = s;
	return 0;
}

int sc_load_clone(const sc_scenario *s, sc_scenario **out)
{
	*out = NULL;
	if (!s)
		return -1;
	sc_scenario *copy = NULL;
	if (clone_value(&scenario_schema, (const uint8_t *)&s,
			(uint8_t *)&copy, 0) != 0) {
		sc_load_free(copy);
		return -1;
	}
	*out = copy;
	return 0;
}

/* The error of a document over SC_LOAD_MAX_BYTES, at the first byte
 * past the cap (columns count characters: UTF-8 continuation bytes do
 * not). */
static void too_large(struct loader *ld, const char *data)
{
	unsigned line = 1, col = 1;
	for (size_t i = 0; i < SC_LOAD_MAX_BYTES; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c == '\n') {
			line++;
			col = 1;
		} else if ((c & 0xC0) != 0x80) {
			col++;
		}
	}
	add_error(ld, line, col,
		  "the scenario is larger than 1 MiB (the cap, %u bytes); "
		  "this is the first byte past it",
		  SC_LOAD_MAX_BYTES);
}

/* libcyaml reads the checked and repaired tree (emitted into text): the
 * scenario, or NULL with the error reported (or ld->oom). */
static sc_scenario *cyaml_read(struct loader *ld, struct buf *text)
{
	sc_scenario *s = NULL;
	emit(text, ld->root);
	if (text->oom) {
		ld->oom = 1;
		return NULL;
	}
	struct capture cap;
	memset(&cap, 0, sizeof(cap));
	cyaml_config_t cfg = {
		.log_fn = load_log,
		.log_ctx = &cap,
		.mem_fn = load_mem,
		.mem_ctx = NULL,
		.log_level = CYAML_LOG_ERROR,
		.flags = CYAML_CFG_DEFAULT,
	};
	cyaml_err_t cerr = cyaml_load_data((const uint8_t *)text->p, text->len,
					   &cfg, &scenario_schema,
					   (cyaml_data_t **)&s, NULL);
	if (cerr == CYAML_ERR_OOM) {
		ld->oom = 1;
		return NULL;
	}
	if (cerr != CYAML_OK || !s) {
		/* libcyaml freed what it had loaded */
		if (!ld->problems)
			report_schema_error(ld, &cap, cerr);
		return NULL;
	}
	return s;
}

/* What a load that failed returns, its last error added: the document
 * too large, out of memory, or the errors found (sorted). */
static int load_failed(struct loader *ld, sc_load_errors *errs,
		       size_t first)
{
	if (ld->oom == 2) {
		errs_push(errs, ld->file, 1, 1, "the document is too large");
		return SC_ERR_INVAL;
	}
	if (ld->oom) {
		/* Best effort: the error list may itself be out of memory. */
		errs_push(errs, ld->file, 0, 0, "out of memory");
		return SC_ERR_NOMEM;
	}
	if (!ld->problems)
		errs_push(errs, ld->file, 1, 1, "the scenario did not load");
	sort_errors(errs, first, ld->file);
	return SC_ERR_INVAL;
}

int sc_load_buffer(const char *name, const char *data, size_t len,
		   const char *variant, sc_scenario **out,
		   sc_load_errors *errs)
{
	struct loader ld;
	sc_scenario *s = NULL;
	struct buf text = {0};
	char (*chain)[PATH_MAX] = NULL;

	if (out)
		*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.file = name ? name : "<buffer>";
	ld.errs = errs;
	size_t first = errs ? errs->count : 0;
	if (!data)
		len = 0;

	if (!out) {
		add_error(&ld, 0, 0, "no place for the scenario (out is NULL)");
		return SC_ERR_INVAL;
	}
	if (len > SC_LOAD_MAX_BYTES) {
		too_large(&ld, data);
		return SC_ERR_INVAL;
	}
	ld.root = parse_tree(&ld, ld.file, data ? data : "", len);
	if (!ld.root)
		goto fail;

	/* 1. The scenario it extends, merged under it. */
	chain = calloc(MAX_EXTENDS + 1, sizeof(*chain));
	if (!chain) {
		ld.oom = 1;
		goto fail;
	}
	if (!realpath(ld.file, chain[0]))
		snprintf(chain[0], PATH_MAX, "%s", ld.file);
	ld.root = with_base(&ld, ld.root, ld.file, chain, 0);
	if (!ld.root || ld.problems || ld.oom)
		goto fail;
	check_daemons(&ld, ld.root);
	if (ld.problems)
		goto fail;

	/* 2. Every schema error, the tree repaired as it goes. */
	struct path p = {.n = 0};
	if (!check_value(&ld, ld.root, &scenario_schema, &p))
		goto fail;
	if (ld.oom)
		goto fail;

	/* 3. libcyaml reads the (repaired) tree. */
	s = cyaml_read(&ld, &text);
	if (!s)
		goto fail;

	mark_given(ld.root, s);

	/* 4. References, also when the schema had errors: all in one pass. */
	if (!ld.skip_refs)
		sc_scenario_validate(s, on_problem, &ld);
	if (ld.problems || ld.oom)
		goto fail;

	/* `--variant as-written` is the file as written. */
	if (variant && strcmp(variant, SC_AS_WRITTEN) != 0) {
		apply_variant(&ld, s, variant);
		if (ld.problems || ld.oom)
			goto fail;
	}

	free(text.p);
	free(chain);
	loader_free(&ld);
	*out = s;
	return 0;

fail:
	sc_load_free(s);
	free(text.p);
	free(chain);
	loader_free(&ld);
	return load_failed(&ld, errs, first);
}

int sc_load_file(const char *path, const char *variant, sc_scenario **out,
		 sc_load_errors *errs)
{
	struct loader ld;
	memset(&ld, 0, sizeof(ld));
	ld.file = path ? path : "<null>";
	ld.errs = errs;

	if (out)
		*out = NULL;
	if (!path) {
		add_error(&ld, 0, 0, "no file name");
		return SC_ERR_INVAL;
	}
	char *buf;
	size_t len;
	int e = read_all(path, false, &buf, &len);
	/* Over the cap (len is then the cap and one byte): the buffer's
	 * check names the position of the first byte past it. */
	if (e == ENOMEM) {
		add_error(&ld, 0, 0, "out of memory");
		return SC_ERR_NOMEM;
	}
	if (e && e != EFBIG) {
		add_error(&ld, 0, 0, "cannot open: %s", strerror(e));
		return SC_ERR_INVAL;
	}
	int rc = sc_load_buffer(path, buf, len, variant, out, errs);
	free(buf);
	return rc;
}

void sc_load_errors_print(const sc_load_errors *errs, FILE *out)
{
	for (size_t i = 0; i < errs->count; i++) {
		char line[1024];
		sc_load_error_format(&errs->items[i], line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
}
