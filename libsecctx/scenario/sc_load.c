/* sc_load.c: reads a scenario file (YAML) into sc_scenario through libcyaml's
 * schema and reports every error as file:line:col in plain words.
 * Never lets libcyaml's wording or a half-loaded scenario out; malloc only. */
#include "sc_load.h"

#include <cyaml/cyaml.h>
#include <yaml.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SC_LOAD_MAX_BYTES (1024u * 1024u)
#define MSG_LEN 768
#define LIST_LEN 400
#define MAX_DEPTH 24
#define KEY_LEN 64

/* ---- schema ----------------------------------------------------------- */

/* Enum names: the same spellings as sc_common.c and sc_scenario.c (the
 * unit tests check they agree). */
static const cyaml_strval_t level_strings[] = {
	{"default", SC_LEVEL_DEFAULT},
	{"anonymous", SC_LEVEL_ANONYMOUS},
	{"identify", SC_LEVEL_IDENTIFY},
	{"impersonate", SC_LEVEL_IMPERSONATE},
	{"delegate", SC_LEVEL_DELEGATE},
};
static const cyaml_strval_t authn_strings[] = {
	{"default", SC_AUTHN_DEFAULT},
	{"none", SC_AUTHN_NONE},
	{"connect", SC_AUTHN_CONNECT},
	{"call", SC_AUTHN_CALL},
	{"packet", SC_AUTHN_PACKET},
	{"integrity", SC_AUTHN_INTEGRITY},
	{"privacy", SC_AUTHN_PRIVACY},
};
static const cyaml_strval_t package_strings[] = {
	{"default", SC_PACKAGE_DEFAULT},
	{"kerberos", SC_PACKAGE_KERBEROS},
	{"ntlm", SC_PACKAGE_NTLM},
	{"schannel", SC_PACKAGE_SCHANNEL},
};
static const cyaml_strval_t cloaking_strings[] = {
	{"none", SC_CLOAK_NONE},
	{"static", SC_CLOAK_STATIC},
	{"dynamic", SC_CLOAK_DYNAMIC},
	{"both", SC_CLOAK_BOTH},
};
static const cyaml_strval_t transport_strings[] = {
	{"com", SC_TRANSPORT_COM},
	{"pipe", SC_TRANSPORT_PIPE},
};
static const cyaml_strval_t start_strings[] = {
	{"interactive", SC_START_INTERACTIVE},
	{"service", SC_START_SERVICE},
	{"com", SC_START_COM},
	{"batch", SC_START_BATCH},
};
static const cyaml_strval_t misbehave_strings[] = {
	{"none", SC_MISBEHAVE_NONE},
	{"forge", SC_MISBEHAVE_FORGE},
	{"raise_level", SC_MISBEHAVE_RAISE_LEVEL},
	{"add_group", SC_MISBEHAVE_ADD_GROUP},
	{"replay", SC_MISBEHAVE_REPLAY},
	{"expired", SC_MISBEHAVE_EXPIRED},
	{"wrong_audience", SC_MISBEHAVE_WRONG_AUDIENCE},
	{"strip_actor", SC_MISBEHAVE_STRIP_ACTOR},
	{"present_client", SC_MISBEHAVE_PRESENT_CLIENT},
	{"unknown_authority", SC_MISBEHAVE_UNKNOWN_AUTHORITY},
	{"relay", SC_MISBEHAVE_RELAY},
};
static const cyaml_strval_t step_strings[] = {
	{"impersonate", SC_STEP_IMPERSONATE},
	{"revert", SC_STEP_REVERT},
	{"call", SC_STEP_CALL},
	{"open", SC_STEP_OPEN},
	{"access_check", SC_STEP_ACCESS_CHECK},
	{"set_blanket", SC_STEP_SET_BLANKET},
	{"sleep", SC_STEP_SLEEP},
	{"query_level", SC_STEP_QUERY_LEVEL},
	{"impersonate_self", SC_STEP_IMPERSONATE_SELF},
	{"duplicate", SC_STEP_DUPLICATE},
	{"start_process", SC_STEP_START_PROCESS},
	{"logon_user", SC_STEP_LOGON_USER},
	{"audit", SC_STEP_AUDIT},
	{"open_thread_token", SC_STEP_OPEN_THREAD_TOKEN},
	{"protocol_transition", SC_STEP_PROTOCOL_TRANSITION},
	{"assign_right", SC_STEP_ASSIGN_RIGHT},
	{"check_privilege", SC_STEP_CHECK_PRIVILEGE},
	{"enable_privilege", SC_STEP_ENABLE_PRIVILEGE},
	{"disable_privilege", SC_STEP_DISABLE_PRIVILEGE},
	{"read", SC_STEP_READ},
	{"create_object", SC_STEP_CREATE_OBJECT},
};
static const cyaml_strval_t tracking_strings[] = {
	{"static", SC_TRACKING_STATIC},
	{"dynamic", SC_TRACKING_DYNAMIC},
};
static const cyaml_strval_t scope_strings[] = {
	{"local", SC_SCOPE_LOCAL},
	{"site", SC_SCOPE_SITE},
	{"domain", SC_SCOPE_DOMAIN},
	{"ou", SC_SCOPE_OU},
};

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
	LIST("holders", OPT, sc_step, holders, &string_entry),
	ENUM("scope", ENUM_OPT, sc_step, scope, scope_strings),
	STR("from", OPT, sc_step, from),
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
	STR("owner", CYAML_FLAG_POINTER, sc_object_def, owner),
	CYAML_FIELD_BOOL("null_dacl", OPT, sc_object_def, null_dacl),
	LIST("dacl", OPT, sc_object_def, dacl, &ace_entry),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t object_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, sc_object_def, object_fields),
};

static const cyaml_schema_field_t settings_fields[] = {
	STR("double_hop_status", OPT, sc_settings, double_hop_status),
	CYAML_FIELD_BOOL("allow_primary_from_identify", OPT, sc_settings,
			 allow_primary_from_identify),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t expect_fields[] = {
	STR("hop", OPT, sc_expect_def, hop),
	STR("step", OPT, sc_expect_def, step),
	STR("presented", OPT, sc_expect_def, presented),
	STR("level", OPT, sc_expect_def, level),
	STR("status", OPT, sc_expect_def, status),
	STR("warning", OPT, sc_expect_def, warning),
	STR("rule", OPT, sc_expect_def, rule),
	STR("granted", OPT, sc_expect_def, granted),
	CYAML_FIELD_BOOL_PTR("ran", OPT, sc_expect_def, ran),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t expect_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, sc_expect_def, expect_fields),
};

static const cyaml_schema_field_t variant_fields[] = {
	STR("name", CYAML_FLAG_POINTER, sc_variant_def, name),
	STR("description", OPT, sc_variant_def, description),
	LIST("set", OPT, sc_variant_def, set, &string_entry),
	LIST("expect", OPT, sc_variant_def, expect, &expect_entry),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t variant_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, sc_variant_def,
			    variant_fields),
};

static const cyaml_schema_field_t scenario_fields[] = {
	STR("scenario", CYAML_FLAG_POINTER, sc_scenario, name),
	STR("description", OPT, sc_scenario, description),
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
	const char *file = e->file ? e->file : "";
	const char *msg = e->message ? e->message : "";
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
	unsigned line, col; /* libcyaml's, a fallback only */
};

struct capture {
	char msg[MSG_LEN];   /* the first error line, "Load: " stripped */
	bool have_msg;
	bool in_backtrace;
	struct frame frames[MAX_DEPTH];
	unsigned nframes;
};

static void parse_frame(struct capture *c, const char *line)
{
	struct frame f;
	memset(&f, 0, sizeof(f));
	if (sscanf(line, " in mapping field '%63[^']' (line: %u, column: %u)",
		   f.key, &f.line, &f.col) >= 1 ||
	    sscanf(line, " in mapping field: %63s", f.key) == 1) {
		f.kind = FR_FIELD;
	} else if (sscanf(line,
			  " in sequence entry '%u' (line: %u, column: %u)",
			  &f.n, &f.line, &f.col) >= 1 ||
		   sscanf(line, " in sequence entry: %u", &f.n) == 1) {
		f.kind = FR_ENTRY;
	} else if (strncmp(line, "  in mapping", 12) == 0) {
		f.kind = FR_MAPPING;
		sscanf(line, " in mapping (line: %u, column: %u)", &f.line,
		       &f.col);
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

/* The last key and its indexes: "level", "groups[1]", "processes[0]". */
static void path_tail(const struct path *p, char *buf, size_t len)
{
	unsigned start = p->n;
	while (start > 0 && !p->c[start - 1].key[0])
		start--;
	if (start > 0)
		start--;
	struct path tail;
	tail.n = 0;
	for (unsigned i = start; i < p->n; i++)
		tail.c[tail.n++] = p->c[i];
	path_format(&tail, tail.n, buf, len);
	if (!buf[0])
		snprintf(buf, len, "the document");
}

/* The schema of the value at path (NULL if the path leaves the schema). */
static const cyaml_schema_value_t *schema_at(const struct path *p,
					     unsigned n)
{
	const cyaml_schema_value_t *v = &scenario_schema;
	for (unsigned i = 0; i < n && v; i++) {
		if (p->c[i].key[0]) {
			if (v->type != CYAML_MAPPING)
				return NULL;
			const cyaml_schema_field_t *f = v->mapping.fields;
			while (f->key && strcmp(f->key, p->c[i].key) != 0)
				f++;
			v = f->key ? &f->value : NULL;
		} else {
			if (v->type != CYAML_SEQUENCE)
				return NULL;
			v = v->sequence.entry;
		}
	}
	return v;
}

/* ---- the libyaml document --------------------------------------------- */

struct loader {
	const char *file;
	const char *data;
	size_t len;
	yaml_document_t doc;
	bool have_doc;
	sc_load_errors *errs;
	int oom;
	/* While re-validating with a variant: where its expectations start
	 * and which variant they came from. */
	bool variant_applied;
	unsigned own_expect;
	unsigned variant_index;
	const char *variant_name;
	unsigned problems;
};

static void add_error(struct loader *ld, unsigned line, unsigned col,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add_error(struct loader *ld, unsigned line, unsigned col,
		      const char *fmt, ...)
{
	char msg[MSG_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (errs_push(ld->errs, ld->file, line, col, "%s", msg) != 0)
		ld->oom = 1;
	ld->problems++;
}

static yaml_node_t *root_node(struct loader *ld)
{
	return ld->have_doc ? yaml_document_get_root_node(&ld->doc) : NULL;
}

static yaml_node_t *node(struct loader *ld, int id)
{
	return yaml_document_get_node(&ld->doc, id);
}

static bool scalar_is(const yaml_node_t *n, const char *s)
{
	return n && n->type == YAML_SCALAR_NODE &&
	       strlen(s) == n->data.scalar.length &&
	       memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

/* The nth (0-based) pair of mapping m whose key is key. */
static yaml_node_pair_t *find_pair(struct loader *ld, yaml_node_t *m,
				   const char *key, unsigned nth)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start;
	     pr < m->data.mapping.pairs.top; pr++) {
		if (scalar_is(node(ld, pr->key), key) && nth-- == 0)
			return pr;
	}
	return NULL;
}

/* The deepest node along path; *depth says how many components matched. */
static yaml_node_t *walk(struct loader *ld, const struct path *p, unsigned n,
			 unsigned *depth)
{
	yaml_node_t *cur = root_node(ld);
	unsigned i = 0;
	for (; cur && i < n; i++) {
		yaml_node_t *next = NULL;
		if (p->c[i].key[0]) {
			yaml_node_pair_t *pr =
				find_pair(ld, cur, p->c[i].key, 0);
			if (pr)
				next = node(ld, pr->value);
		} else if (cur->type == YAML_SEQUENCE_NODE) {
			yaml_node_item_t *items =
				cur->data.sequence.items.start;
			size_t count = (size_t)(cur->data.sequence.items.top -
						items);
			if (p->c[i].index < count)
				next = node(ld, items[p->c[i].index]);
		}
		if (!next)
			break;
		cur = next;
	}
	if (depth)
		*depth = i;
	return cur;
}

static void mark_of(const yaml_node_t *n, unsigned *line, unsigned *col)
{
	if (n) {
		*line = (unsigned)n->start_mark.line + 1;
		*col = (unsigned)n->start_mark.column + 1;
	} else {
		*line = 1;
		*col = 1;
	}
}

static const char *node_kind(const yaml_node_t *n)
{
	if (!n)
		return "nothing";
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return n->data.scalar.length ? "a scalar" : "an empty value";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/* A scalar's text, cut for messages. */
static void scalar_text(const yaml_node_t *n, char *buf, size_t len)
{
	if (!n || n->type != YAML_SCALAR_NODE) {
		buf[0] = '\0';
		return;
	}
	size_t l = n->data.scalar.length;
	if (l >= len) {
		l = len > 4 ? len - 4 : 0;
		memcpy(buf, n->data.scalar.value, l);
		memcpy(buf + l, "...", len > 4 ? 4 : 0);
		if (len <= 4)
			buf[0] = '\0';
		return;
	}
	memcpy(buf, n->data.scalar.value, l);
	buf[l] = '\0';
}

static void strval_list(const cyaml_schema_value_t *v, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i < v->enumeration.count && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s",
				 i ? ", " : "", v->enumeration.strings[i].str);
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
	case CYAML_INT:
		snprintf(buf, len, "a whole number");
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

/* ---- libcyaml's error, in words and at its place ---------------------- */

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* After the colon of "Unexpected key: bogus". */
static const char *after_colon(const char *m)
{
	const char *c = strstr(m, ": ");
	return c ? c + 2 : "";
}

static void report_schema_error(struct loader *ld, const struct capture *c,
				cyaml_err_t err)
{
	const char *m = c->have_msg ? c->msg : cyaml_strerror(err);
	enum {
		K_VALUE, K_TYPE, K_UNKNOWN_KEY, K_MISSING, K_DUP, K_TOO_FEW,
		K_TOO_MANY, K_LENGTH, K_COMPLEX_KEY, K_OTHER
	} kind = K_OTHER;

	if (starts(m, "Invalid ENUM value") || starts(m, "Invalid INT value") ||
	    starts(m, "Invalid UINT value") ||
	    starts(m, "Invalid uint64_t value") ||
	    starts(m, "Invalid FLOAT value"))
		kind = K_VALUE;
	else if (starts(m, "Expecting "))
		kind = K_TYPE;
	else if (starts(m, "Unexpected key"))
		kind = K_UNKNOWN_KEY;
	else if (starts(m, "Missing required mapping field"))
		kind = K_MISSING;
	else if (starts(m, "Mapping field already seen"))
		kind = K_DUP;
	else if (starts(m, "Insufficient entries"))
		kind = K_TOO_FEW;
	else if (starts(m, "Excessive entries"))
		kind = K_TOO_MANY;
	else if (starts(m, "STRING length"))
		kind = K_LENGTH;
	/* libcyaml has no handler, and no word, for a key that is a list or
	 * a mapping ("? [a]: b"): it answers with an internal error. */
	if (!c->have_msg && err == CYAML_ERR_INTERNAL_ERROR)
		kind = K_COMPLEX_KEY;

	/* Frames come innermost first. Missing and duplicate keys are
	 * reported in the mapping's own frame (with a stale field name);
	 * too few or too many entries in the sequence's own frame. */
	unsigned nframes = c->nframes;
	unsigned skip = 0;
	if (kind == K_MISSING || kind == K_DUP || kind == K_TOO_FEW ||
	    kind == K_TOO_MANY || kind == K_COMPLEX_KEY)
		skip = nframes ? 1 : 0;
	struct path p = {.n = 0};
	for (unsigned i = nframes; i-- > skip;) {
		const struct frame *f = &c->frames[i];
		if (f->kind == FR_FIELD)
			path_key(&p, f->key);
		else if (f->kind == FR_ENTRY)
			path_index(&p, f->n ? f->n - 1 : 0);
	}
	if (kind == K_TOO_MANY && nframes && c->frames[0].kind == FR_ENTRY)
		path_index(&p, c->frames[0].n);

	unsigned depth = 0, line = 0, col = 0;
	yaml_node_t *n = walk(ld, &p, p.n, &depth);
	const cyaml_schema_value_t *sv = schema_at(&p, p.n);
	char where[LIST_LEN], tail[LIST_LEN], text[LIST_LEN], exp[LIST_LEN];
	path_format(&p, p.n, where, sizeof(where));
	path_tail(&p, tail, sizeof(tail));
	scalar_text(n, text, sizeof(text));
	mark_of(n, &line, &col);
	if (depth < p.n && nframes) {
		/* The document does not have the path: trust libcyaml. */
		const struct frame *f = &c->frames[0];
		if (f->line) {
			line = f->line;
			col = f->col;
		}
	}

	switch (kind) {
	case K_VALUE:
		expected_text(sv, exp, sizeof(exp));
		if (n && n->type == YAML_SCALAR_NODE)
			add_error(ld, line, col,
				  "invalid value '%s' for '%s' (expected %s)",
				  text, tail, exp);
		else
			add_error(ld, line, col,
				  "invalid value for '%s' (expected %s)", tail,
				  exp);
		break;
	case K_TYPE:
		expected_text(sv, exp, sizeof(exp));
		if (!p.n)
			add_error(ld, line, col,
				  "the document must be a mapping with the "
				  "scenario's keys, not %s", node_kind(n));
		else if (n && n->type == YAML_SCALAR_NODE &&
			 n->data.scalar.length)
			add_error(ld, line, col,
				  "wrong type for '%s': expected %s, found the "
				  "scalar '%s'", tail, exp, text);
		else
			add_error(ld, line, col,
				  "wrong type for '%s': expected %s, found %s",
				  tail, exp, node_kind(n));
		break;
	case K_UNKNOWN_KEY: {
		const char *key = after_colon(m);
		yaml_node_pair_t *pr = find_pair(ld, n, key, 0);
		if (pr)
			mark_of(node(ld, pr->key), &line, &col);
		field_list(sv, exp, sizeof(exp));
		if (p.n)
			add_error(ld, line, col,
				  "unknown key '%s' in '%s' (valid keys: %s)",
				  key, where, exp);
		else
			add_error(ld, line, col,
				  "unknown top-level key '%s' (valid keys: %s)",
				  key, exp);
		break;
	}
	case K_MISSING:
		if (p.n)
			add_error(ld, line, col,
				  "missing required key '%s' in '%s'",
				  after_colon(m), where);
		else
			add_error(ld, line, col,
				  "missing required top-level key '%s'",
				  after_colon(m));
		break;
	case K_DUP: {
		const char *key = after_colon(m);
		yaml_node_pair_t *pr = find_pair(ld, n, key, 1);
		if (pr)
			mark_of(node(ld, pr->key), &line, &col);
		add_error(ld, line, col, "duplicate key '%s'", key);
		break;
	}
	case K_TOO_FEW:
		add_error(ld, line, col, "'%s' needs at least %u entr%s", tail,
			  sv ? sv->sequence.min : 1,
			  sv && sv->sequence.min == 1 ? "y" : "ies");
		break;
	case K_TOO_MANY:
		add_error(ld, line, col, "'%s' has too many entries", where);
		break;
	case K_COMPLEX_KEY: {
		const char *what = "a list or a mapping";
		if (n && n->type == YAML_MAPPING_NODE) {
			for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
			     pr < n->data.mapping.pairs.top; pr++) {
				yaml_node_t *k = node(ld, pr->key);
				if (k && k->type != YAML_SCALAR_NODE) {
					mark_of(k, &line, &col);
					what = node_kind(k);
					break;
				}
			}
		}
		add_error(ld, line, col, "a key must be a plain name, not %s",
			  what);
		break;
	}
	case K_LENGTH:
		add_error(ld, line, col, "the value of '%s' has a bad length",
			  tail);
		break;
	case K_OTHER: {
		char lower[MSG_LEN];
		snprintf(lower, sizeof(lower), "%s", m);
		lower[0] = (char)tolower((unsigned char)lower[0]);
		add_error(ld, line, col, "%s", lower);
		break;
	}
	}
}

/* libcyaml takes anything but false/no/off/0 as true and stops at the
 * first digit that does not parse: hold booleans to true/false and
 * numbers to digits. Walks the document along the schema. */
static void strict_scalars(struct loader *ld, yaml_node_t *n,
			   const cyaml_schema_value_t *v, struct path *p)
{
	if (!n || !v)
		return;
	if (v->type == CYAML_MAPPING && n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
		     pr < n->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = node(ld, pr->key);
			if (!k || k->type != YAML_SCALAR_NODE)
				continue;
			const cyaml_schema_field_t *f = v->mapping.fields;
			while (f->key &&
			       !scalar_is(k, f->key))
				f++;
			if (!f->key)
				continue;
			unsigned saved = p->n;
			path_key(p, f->key);
			strict_scalars(ld, node(ld, pr->value), &f->value, p);
			p->n = saved;
		}
	} else if (v->type == CYAML_SEQUENCE &&
		   n->type == YAML_SEQUENCE_NODE) {
		unsigned i = 0;
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++, i++) {
			unsigned saved = p->n;
			path_index(p, i);
			strict_scalars(ld, node(ld, *it), v->sequence.entry, p);
			p->n = saved;
		}
	} else if (n->type == YAML_SCALAR_NODE &&
		   (v->type == CYAML_BOOL || v->type == CYAML_UINT)) {
		char text[LIST_LEN], tail[LIST_LEN], exp[LIST_LEN];
		unsigned line, col;
		bool ok;
		scalar_text(n, text, sizeof(text));
		if (v->type == CYAML_BOOL) {
			ok = strcasecmp(text, "true") == 0 ||
			     strcasecmp(text, "false") == 0;
		} else {
			ok = text[0] != '\0';
			for (const char *q = text; *q; q++)
				if (!isdigit((unsigned char)*q))
					ok = false;
		}
		if (ok)
			return;
		path_tail(p, tail, sizeof(tail));
		expected_text(v, exp, sizeof(exp));
		mark_of(n, &line, &col);
		add_error(ld, line, col,
			  "invalid value '%s' for '%s' (expected %s)", text,
			  tail, exp);
	}
}

/* ---- validation, mapped back to the file ------------------------------ */

static void on_problem(void *user, const char *path, const char *msg)
{
	struct loader *ld = user;
	struct path p;
	if (!path_parse(path, &p))
		p.n = 0;
	/* Expectations appended by a variant point back at the variant. */
	if (ld->variant_applied && p.n >= 2 &&
	    strcmp(p.c[0].key, "expect") == 0 && !p.c[1].key[0] &&
	    p.c[1].index >= ld->own_expect && p.n + 2 <= MAX_DEPTH) {
		struct path q = {.n = 0};
		path_key(&q, "variants");
		path_index(&q, ld->variant_index);
		path_key(&q, "expect");
		path_index(&q, p.c[1].index - ld->own_expect);
		for (unsigned i = 2; i < p.n; i++)
			q.c[q.n++] = p.c[i];
		p = q;
	}
	unsigned line, col;
	mark_of(walk(ld, &p, p.n, NULL), &line, &col);
	if (ld->variant_applied)
		add_error(ld, line, col, "%s (with variant '%s')", msg,
			  ld->variant_name);
	else
		add_error(ld, line, col, "%s", msg);
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

static int append_expectations(sc_scenario *s, const sc_variant_def *v)
{
	if (!v->expect_count)
		return 0;
	size_t n = (size_t)s->expect_count + v->expect_count;
	sc_expect_def *e = realloc(s->expect, n * sizeof(*e));
	if (!e)
		return SC_ERR_NOMEM;
	s->expect = e;
	bool oom = false;
	for (unsigned i = 0; i < v->expect_count; i++) {
		const sc_expect_def *src = &v->expect[i];
		sc_expect_def *dst = &s->expect[s->expect_count];
		dst->hop = dup_or_null(src->hop, &oom);
		dst->step = dup_or_null(src->step, &oom);
		dst->presented = dup_or_null(src->presented, &oom);
		dst->level = dup_or_null(src->level, &oom);
		dst->status = dup_or_null(src->status, &oom);
		dst->warning = dup_or_null(src->warning, &oom);
		dst->rule = dup_or_null(src->rule, &oom);
		dst->granted = dup_or_null(src->granted, &oom);
		dst->ran = NULL;
		if (src->ran) {
			dst->ran = malloc(sizeof(bool));
			if (dst->ran)
				*dst->ran = *src->ran;
			else
				oom = true;
		}
		s->expect_count++; /* freed with the scenario, even on oom */
		if (oom)
			return SC_ERR_NOMEM;
	}
	return 0;
}

static void variants_position(struct loader *ld, unsigned *line,
			      unsigned *col)
{
	yaml_node_pair_t *pr = find_pair(ld, root_node(ld), "variants", 0);
	if (pr) {
		mark_of(node(ld, pr->key), line, col);
	} else {
		*line = 1;
		*col = 1;
	}
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
		unsigned line, col;
		char names[LIST_LEN];
		size_t used = 0;
		names[0] = '\0';
		for (unsigned i = 0;
		     i < s->variants_count && used < sizeof(names); i++) {
			int w = snprintf(names + used, sizeof(names) - used,
					 "%s%s", i ? ", " : "",
					 s->variants[i].name ?
						 s->variants[i].name : "");
			if (w < 0)
				break;
			used += (size_t)w;
		}
		variants_position(ld, &line, &col);
		if (s->variants_count)
			add_error(ld, line, col,
				  "unknown variant '%s' (variants: %s)",
				  variant, names);
		else
			add_error(ld, line, col,
				  "unknown variant '%s' (the scenario has no "
				  "variants)", variant);
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
			unsigned line, col;
			path_key(&p, "variants");
			path_index(&p, vi);
			path_key(&p, "set");
			path_index(&p, k);
			mark_of(walk(ld, &p, p.n, NULL), &line, &col);
			add_error(ld, line, col, "variant '%s': %s", variant,
				  err);
		}
	}
	if (ld->problems)
		return;

	ld->own_expect = s->expect_count;
	if (append_expectations(s, v) != 0) {
		ld->oom = 1;
		return;
	}
	ld->variant_applied = true;
	ld->variant_index = vi;
	ld->variant_name = v->name;
	sc_scenario_validate(s, on_problem, ld);
}

/* ---- entry points ----------------------------------------------------- */

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

static void report_syntax_error(struct loader *ld, const yaml_parser_t *yp)
{
	unsigned line, col;
	const char *problem = yp->problem ? yp->problem : "malformed YAML";

	if (yp->error == YAML_READER_ERROR) {
		offset_mark(ld->data, ld->len, yp->problem_offset, &line, &col);
		add_error(ld, line, col, "invalid input: %s", problem);
		return;
	}
	if (yp->error == YAML_MEMORY_ERROR) {
		ld->oom = 1;
		return;
	}
	line = (unsigned)yp->problem_mark.line + 1;
	col = (unsigned)yp->problem_mark.column + 1;
	if (yp->context)
		add_error(ld, line, col,
			  "syntax error: %s %s (started at line %u, column "
			  "%u)", problem, yp->context,
			  (unsigned)yp->context_mark.line + 1,
			  (unsigned)yp->context_mark.column + 1);
	else
		add_error(ld, line, col, "syntax error: %s", problem);
}

/* The libyaml document of the data: syntax errors, and the positions of
 * every later error. Returns false after reporting an error. */
static bool parse_document(struct loader *ld)
{
	yaml_parser_t yp;
	if (!yaml_parser_initialize(&yp)) {
		ld->oom = 1;
		return false;
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)ld->data,
				     ld->len);
	if (!yaml_parser_load(&yp, &ld->doc)) {
		report_syntax_error(ld, &yp);
		yaml_parser_delete(&yp);
		return false;
	}
	ld->have_doc = true;
	if (!yaml_document_get_root_node(&ld->doc)) {
		add_error(ld, 1, 1,
			  "the file is empty (expected a mapping with "
			  "scenario, domain, hosts and processes)");
		yaml_parser_delete(&yp);
		return false;
	}
	/* One document only: a second one would be silently ignored. */
	yaml_document_t next;
	if (!yaml_parser_load(&yp, &next)) {
		report_syntax_error(ld, &yp);
		yaml_parser_delete(&yp);
		return false;
	}
	yaml_node_t *r = yaml_document_get_root_node(&next);
	if (r) {
		add_error(ld, (unsigned)next.start_mark.line + 1,
			  (unsigned)next.start_mark.column + 1,
			  "a second YAML document: a scenario file holds "
			  "exactly one");
	}
	yaml_document_delete(&next);
	yaml_parser_delete(&yp);
	return r == NULL;
}

void sc_load_free(sc_scenario *s)
{
	if (s)
		cyaml_free(&free_config, &scenario_schema, s, 0);
}

int sc_load_buffer(const char *name, const char *data, size_t len,
		   const char *variant, sc_scenario **out,
		   sc_load_errors *errs)
{
	struct loader ld;
	sc_scenario *s = NULL;

	if (out)
		*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.file = name ? name : "<buffer>";
	ld.data = data ? data : "";
	ld.len = data ? len : 0;
	ld.errs = errs;

	if (!out) {
		add_error(&ld, 0, 0, "no place for the scenario (out is NULL)");
		return SC_ERR_INVAL;
	}
	if (ld.len > SC_LOAD_MAX_BYTES) {
		add_error(&ld, 0, 0,
			  "the scenario is %zu bytes, more than the %u bytes "
			  "(1 MiB) a scenario may have", ld.len,
			  SC_LOAD_MAX_BYTES);
		return SC_ERR_INVAL;
	}
	if (!parse_document(&ld))
		goto fail;

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
	cyaml_err_t cerr = cyaml_load_data((const uint8_t *)ld.data, ld.len,
					   &cfg, &scenario_schema,
					   (cyaml_data_t **)&s, NULL);
	if (cerr == CYAML_ERR_OOM) {
		ld.oom = 1;
		goto fail;
	}
	if (cerr != CYAML_OK) {
		s = NULL; /* libcyaml freed what it had loaded */
		report_schema_error(&ld, &cap, cerr);
		goto fail;
	}
	if (!s) {
		add_error(&ld, 1, 1, "the file holds no scenario");
		goto fail;
	}

	struct path p = {.n = 0};
	strict_scalars(&ld, root_node(&ld), &scenario_schema, &p);
	if (ld.problems || ld.oom)
		goto fail;

	sc_scenario_validate(s, on_problem, &ld);
	if (ld.problems || ld.oom)
		goto fail;

	if (variant) {
		apply_variant(&ld, s, variant);
		if (ld.problems || ld.oom)
			goto fail;
	}

	yaml_document_delete(&ld.doc);
	*out = s;
	return 0;

fail:
	sc_load_free(s);
	if (ld.have_doc)
		yaml_document_delete(&ld.doc);
	if (ld.oom) {
		/* Best effort: the error list may itself be out of memory. */
		errs_push(errs, ld.file, 0, 0, "out of memory");
		return SC_ERR_NOMEM;
	}
	return SC_ERR_INVAL;
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
	FILE *f = fopen(path, "rb");
	if (!f) {
		add_error(&ld, 0, 0, "cannot open: %s", strerror(errno));
		return SC_ERR_INVAL;
	}
	/* Read at most one byte past the limit: enough to know it is over. */
	size_t cap = 64 * 1024, len = 0;
	char *buf = malloc(cap);
	int rc = SC_ERR_INVAL;
	if (!buf) {
		add_error(&ld, 0, 0, "out of memory");
		fclose(f);
		return SC_ERR_NOMEM;
	}
	for (;;) {
		if (len == cap) {
			if (cap > SC_LOAD_MAX_BYTES)
				break;
			size_t ncap = cap * 2;
			if (ncap > SC_LOAD_MAX_BYTES + 1)
				ncap = SC_LOAD_MAX_BYTES + 1;
			char *n = realloc(buf, ncap);
			if (!n) {
				add_error(&ld, 0, 0, "out of memory");
				rc = SC_ERR_NOMEM;
				goto out;
			}
			buf = n;
			cap = ncap;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			if (ferror(f)) {
				add_error(&ld, 0, 0, "read error: %s",
					  strerror(errno));
				goto out;
			}
			break;
		}
	}
	if (len > SC_LOAD_MAX_BYTES) {
		add_error(&ld, 0, 0,
			  "the file is larger than 1 MiB (%u bytes): a "
			  "scenario file must be at most that",
			  SC_LOAD_MAX_BYTES);
		goto out;
	}
	rc = sc_load_buffer(path, buf, len, variant, out, errs);
out:
	free(buf);
	fclose(f);
	return rc;
}
