/* sc_common.c: status and enum names, and the decision log.
 * Model only: no I/O, no gRPC. */
#include "sc_common.h"
#include "sc_suggest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Each enum's table (sc_common.h), expanded. */
#define TABLE(type, list, aliases, prefix)                                   \
	static const sc_enum_entry type##_entries[] = {                      \
		list(type##_VALUE) aliases(type##_ALIAS)};                   \
	const sc_enum_table type##_table = {                                 \
		type##_entries,                                              \
		sizeof(type##_entries) / sizeof(type##_entries[0]),          \
		prefix};
#define NO_ALIASES(X)

#define sc_status_VALUE(id, name, all) {name, SC_##id, all},
#define sc_level_VALUE(id, name, all) {name, SC_LEVEL_##id, all},
#define sc_level_ALIAS(id, name) {name, SC_LEVEL_##id, false},
#define sc_authn_VALUE(id, name, all) {name, SC_AUTHN_##id, all},
#define sc_authn_ALIAS(id, name) {name, SC_AUTHN_##id, false},
#define sc_package_VALUE(id, name, all) {name, SC_PACKAGE_##id, all},
#define sc_cloaking_VALUE(id, name, all) {name, SC_CLOAK_##id, all},
#define sc_cloaking_ALIAS(id, name) {name, SC_CLOAK_##id, false},
#define sc_transport_VALUE(id, name, all) {name, SC_TRANSPORT_##id, all},
#define sc_tracking_VALUE(id, name, all) {name, SC_TRACKING_##id, all},
#define sc_tickets_VALUE(id, name, all) {name, SC_TICKETS_##id, all},
#define sc_apartment_VALUE(id, name, all) {name, SC_APARTMENT_##id, all},
#define sc_apartment_ALIAS(id, name) {name, SC_APARTMENT_##id, false},
#define sc_double_hop_VALUE(id, name, all) {name, SC_DOUBLE_HOP_##id, all},
#define sc_scope_VALUE(id, name, all) {name, SC_SCOPE_##id, all},
#define sc_start_VALUE(id, name, all) {name, SC_START_##id, all},
#define sc_logon_VALUE(id, name, all) {name, SC_LOGON_##id, all},

TABLE(sc_status, SC_STATUSES, NO_ALIASES, SC_STATUS_COUNT)
TABLE(sc_level, SC_LEVELS, SC_LEVEL_ALIASES, SC_LEVEL_COUNT)
TABLE(sc_authn, SC_AUTHNS, SC_AUTHN_ALIASES, SC_AUTHN_COUNT)
TABLE(sc_package, SC_PACKAGES, NO_ALIASES, SC_PACKAGE_COUNT)
TABLE(sc_cloaking, SC_CLOAKINGS, SC_CLOAKING_ALIASES, SC_CLOAK_COUNT)
TABLE(sc_transport, SC_TRANSPORTS, NO_ALIASES, SC_TRANSPORT_COUNT)
TABLE(sc_tracking, SC_TRACKINGS, NO_ALIASES, SC_TRACKING_COUNT)
TABLE(sc_tickets, SC_TICKETS, NO_ALIASES, SC_TICKETS_COUNT)
TABLE(sc_apartment, SC_APARTMENTS, SC_APARTMENT_ALIASES, SC_APARTMENT_COUNT)
/* T12: "default", the values, then each one's Windows name and SID,
 * then the other aliases: one list (SC_INTEGRITY_LEVELS) gives all but
 * the last. */
#define sc_integrity_VALUE(id, name, all, rid, label) {name, SC_IL_##id, all},
#define sc_integrity_LABEL(id, name, all, rid, label)                        \
	{label, SC_IL_##id, false},
#define sc_integrity_SID(id, name, all, rid, label)                          \
	{"S-1-16-" #rid, SC_IL_##id, false},
#define sc_integrity_ALIAS(id, name) {name, SC_IL_##id, false},
static const sc_enum_entry sc_integrity_entries[] = {
	{"default", SC_IL_DEFAULT, false},
	SC_INTEGRITY_LEVELS(sc_integrity_VALUE)
	SC_INTEGRITY_LEVELS(sc_integrity_LABEL)
	SC_INTEGRITY_LEVELS(sc_integrity_SID)
	SC_INTEGRITY_ALIASES(sc_integrity_ALIAS)};
const sc_enum_table sc_integrity_table = {
	sc_integrity_entries,
	sizeof(sc_integrity_entries) / sizeof(sc_integrity_entries[0]),
	SC_IL_COUNT};

#define INTEGRITY_RID(id, name, all, rid, label) rid##u,
static const uint32_t integrity_rids[SC_IL_COUNT] = {
	0u, SC_INTEGRITY_LEVELS(INTEGRITY_RID)};

uint32_t sc_integrity_rid(sc_integrity v)
{
	return (int)v > 0 && v < SC_IL_COUNT ? integrity_rids[v] : 0;
}

/* The table's SID and Windows-name entries follow its values. */
const char *sc_integrity_sid(sc_integrity v)
{
	return (int)v > 0 && v < SC_IL_COUNT
		       ? sc_integrity_entries[2 * SC_IL_COUNT - 2 + v].name
		       : "";
}

const char *sc_integrity_label(sc_integrity v)
{
	return (int)v > 0 && v < SC_IL_COUNT
		       ? sc_integrity_entries[SC_IL_COUNT - 1 + v].name
		       : "";
}

TABLE(sc_double_hop, SC_DOUBLE_HOP_OUTCOMES, NO_ALIASES, SC_DOUBLE_HOP_COUNT)
TABLE(sc_scope, SC_SCOPES, NO_ALIASES, SC_SCOPE_COUNT)
TABLE(sc_start, SC_STARTS, NO_ALIASES, SC_START_COUNT)
TABLE(sc_logon, SC_LOGONS, NO_ALIASES, SC_LOGON_COUNT)

#define RULE_ID(id, warns) #id,
const char *const sc_rule_ids[] = {SC_RULES(RULE_ID)};
#define RULE_WARNS(id, warns) warns,
static const bool rule_warns[] = {SC_RULES(RULE_WARNS)};
const size_t sc_rule_count = sizeof(sc_rule_ids) / sizeof(sc_rule_ids[0]);

static long rule_index(const char *id)
{
	for (size_t i = 0; id && i < sc_rule_count; i++)
		if (strcasecmp(sc_rule_ids[i], id) == 0)
			return (long)i;
	return -1;
}

bool sc_rule_known(const char *id)
{
	return rule_index(id) >= 0;
}

bool sc_rule_warns(const char *id)
{
	long i = rule_index(id);
	return i >= 0 && rule_warns[i];
}

#define USER_RIGHT(name) #name,
const char *const sc_user_rights[] = {SC_USER_RIGHTS(USER_RIGHT)};
const size_t sc_user_right_count =
	sizeof(sc_user_rights) / sizeof(sc_user_rights[0]);

bool sc_user_right_known(const char *name)
{
	for (size_t i = 0; name && i < sc_user_right_count; i++)
		if (strcasecmp(sc_user_rights[i], name) == 0)
			return true;
	return false;
}

int sc_enum_parse(const sc_enum_table *t, const char *s, int *out)
{
	if (!s)
		return SC_ERR_INVAL;
	for (size_t i = 0; i < t->count; i++)
		if (strcasecmp(t->entries[i].name, s) == 0) {
			*out = t->entries[i].value;
			return 0;
		}
	return SC_ERR_INVAL;
}

/* The first spelling of v in t (values come first, in enum order). */
static const char *enum_name(const sc_enum_table *t, int v)
{
	return v >= 0 && (size_t)v < t->values ? t->entries[v].name : "?";
}

#define NAME_FUNCS(type)                                                     \
	const char *type##_name(type v)                                      \
	{                                                                    \
		return enum_name(&type##_table, (int)v);                     \
	}                                                                    \
	int type##_parse(const char *s, type *out)                           \
	{                                                                    \
		int v;                                                       \
		if (sc_enum_parse(&type##_table, s, &v) != 0)                \
			return SC_ERR_INVAL;                                 \
		*out = (type)v;                                              \
		return 0;                                                    \
	}

NAME_FUNCS(sc_status)
NAME_FUNCS(sc_level)
NAME_FUNCS(sc_authn)
NAME_FUNCS(sc_package)
NAME_FUNCS(sc_cloaking)
NAME_FUNCS(sc_transport)
NAME_FUNCS(sc_tracking)
NAME_FUNCS(sc_tickets)
NAME_FUNCS(sc_apartment)
NAME_FUNCS(sc_integrity)
NAME_FUNCS(sc_double_hop)
NAME_FUNCS(sc_scope)
NAME_FUNCS(sc_start)
NAME_FUNCS(sc_logon)

/* Length of the UTF-8 sequence at p (2 to 4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
		 : p[0] >= 0xe0 ? 3
		 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

char *sc_escape(const char *s, char *out, size_t len)
{
	size_t w = 0;
	if (!len)
		return out;
	for (const unsigned char *p = (const unsigned char *)(s ? s : "");
	     *p;) {
		char esc[8];
		size_t n = 1, el;
		if (*p < 0x80 && *p >= 0x20 && *p != 0x7f) {
			esc[0] = (char)*p;
			el = 1;
		} else if (*p == '\n' || *p == '\r' || *p == '\t') {
			esc[0] = '\\';
			esc[1] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
			el = 2;
		} else if (*p < 0x80) {
			el = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", *p);
		} else if ((n = utf8_len(p)) == 0) {
			n = 1;
			el = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", *p);
		} else if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
			el = (size_t)snprintf(esc, sizeof(esc), "\\u00%02x",
					      p[1]);
		} else {
			memcpy(esc, p, n);
			el = n;
		}
		if (w + el >= len)
			break;
		memcpy(out + w, esc, el);
		w += el;
		p += n;
	}
	out[w] = '\0';
	return out;
}

void sc_log_init(sc_log *log)
{
	memset(log, 0, sizeof(*log));
}

void sc_log_clear(sc_log *log)
{
	log->count = 0;
	log->oom = false;
}

void sc_log_free(sc_log *log)
{
	if (!log)
		return;
	free(log->notes);
	sc_log_init(log);
}

static sc_note *log_push(sc_log *log)
{
	if (log->count == log->cap) {
		size_t cap = log->cap ? log->cap * 2 : 8;
		sc_note *n = realloc(log->notes, cap * sizeof(*n));
		if (!n) {
			log->oom = true;
			return NULL;
		}
		log->notes = n;
		log->cap = cap;
	}
	return &log->notes[log->count++];
}

static void log_vadd(sc_log *log, bool warning, const char *rule,
		     const char *fmt, va_list ap)
{
	if (!log)
		return;
	sc_note *n = log_push(log);
	if (!n)
		return;
	sc_escape(rule, n->rule, sizeof(n->rule));
	n->warning = warning;
	/* A note may quote what came from a file or the wire: kept
	 * escaped, so that every printer of a trace prints it safely. */
	char raw[sizeof(n->text)];
	vsnprintf(raw, sizeof(raw), fmt, ap);
	sc_escape(raw, n->text, sizeof(n->text));
}

void sc_log_rule(sc_log *log, const char *rule, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vadd(log, false, rule, fmt, ap);
	va_end(ap);
}

void sc_log_warn(sc_log *log, const char *rule, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vadd(log, true, rule, fmt, ap);
	va_end(ap);
}

void sc_log_input(sc_log *log, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vadd(log, false, "", fmt, ap);
	va_end(ap);
}

const char *sc_note_rule_shown(const sc_note *n)
{
	return n->rule[0] ? n->rule : "-";
}

int sc_log_append(sc_log *dst, const sc_log *src)
{
	for (size_t i = 0; i < src->count; i++) {
		sc_note *n = log_push(dst);
		if (!n)
			return SC_ERR_NOMEM;
		*n = src->notes[i];
	}
	return 0;
}

bool sc_log_has_rule(const sc_log *log, const char *rule)
{
	for (size_t i = 0; i < log->count; i++)
		if (strcmp(log->notes[i].rule, rule) == 0)
			return true;
	return false;
}

const char *sc_status_suggest(const char *name)
{
	/* The prefixes of Windows' error spaces: Win32 errors, NTSTATUS,
	 * RPC and COM HRESULTs, SSPI. Longest first. */
	static const char *const prefixes[] = {"ERROR_", "STATUS_", "RPC_E_",
					       "RPC_S_", "SEC_E_", "CO_E_",
					       "E_"};
	const char *cands[SC_STATUS_COUNT];
	for (int i = 0; i < SC_STATUS_COUNT; i++)
		cands[i] = sc_status_name((sc_status)i);
	const char *near = sc_suggest_nearest(name, cands, SC_STATUS_COUNT);
	for (size_t p = 0; !near && name &&
			   p < sizeof(prefixes) / sizeof(prefixes[0]);
	     p++) {
		size_t l = strlen(prefixes[p]);
		if (strncasecmp(name, prefixes[p], l) != 0 || !name[l])
			continue;
		sc_status st;
		near = sc_status_parse(name + l, &st) == 0
			       ? sc_status_name(st)
			       : sc_suggest_nearest(name + l, cands,
						    SC_STATUS_COUNT);
	}
	return near;
}

int sc_refuse(sc_refusal *r, const char *rule, const char *fmt, ...)
{
	snprintf(r->rule, sizeof(r->rule), "%s", rule);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	return -1;
}
