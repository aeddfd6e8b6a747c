/* sc_common.c: status and enum names, and the decision log.
 * Model only: no I/O, no gRPC. */
#include "sc_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const status_names[SC_STATUS_COUNT] = {
	[SC_OK] = "OK",
	[SC_ACCESS_DENIED] = "ACCESS_DENIED",
	[SC_BAD_IMPERSONATION_LEVEL] = "BAD_IMPERSONATION_LEVEL",
	[SC_CANT_OPEN_ANONYMOUS] = "CANT_OPEN_ANONYMOUS",
	[SC_NO_IMPERSONATION_TOKEN] = "NO_IMPERSONATION_TOKEN",
	[SC_INVALID_PARAMETER] = "INVALID_PARAMETER",
	[SC_CANNOT_IMPERSONATE] = "CANNOT_IMPERSONATE",
	[SC_PRIVILEGE_NOT_HELD] = "PRIVILEGE_NOT_HELD",
	[SC_NOT_SUPPORTED] = "NOT_SUPPORTED",
	[SC_NO_MATCH] = "NO_MATCH",
	[SC_NOT_FOUND] = "NOT_FOUND",
	[SC_INVALID_BLANKET] = "INVALID_BLANKET",
	[SC_NO_SUCH_OBJECT] = "NO_SUCH_OBJECT",
	[SC_LOGON_FAILURE] = "LOGON_FAILURE",
	[SC_BAD_CONTEXT] = "BAD_CONTEXT",
	[SC_UNAVAILABLE] = "UNAVAILABLE",
	[SC_DEADLINE_EXCEEDED] = "DEADLINE_EXCEEDED",
	[SC_INTERNAL] = "INTERNAL",
	[SC_NO_TOKEN] = "NO_TOKEN",
	[SC_CANT_DISABLE_MANDATORY] = "CANT_DISABLE_MANDATORY",
	[SC_CANT_ENABLE_DENY_ONLY] = "CANT_ENABLE_DENY_ONLY",
};

static const char *const level_names[SC_LEVEL_COUNT] = {
	"default", "anonymous", "identify", "impersonate", "delegate",
};
static const char *const authn_names[SC_AUTHN_COUNT] = {
	"default", "none", "connect", "call", "packet", "integrity", "privacy",
};
static const char *const package_names[SC_PACKAGE_COUNT] = {
	"default", "kerberos", "ntlm", "schannel",
};
static const char *const cloaking_names[SC_CLOAK_COUNT] = {
	"none", "static", "dynamic", "both",
};
static const char *const transport_names[SC_TRANSPORT_COUNT] = {
#define TRANSPORT_NAME(id, name) [SC_TRANSPORT_##id] = name,
	SC_TRANSPORTS(TRANSPORT_NAME)
#undef TRANSPORT_NAME
};
static const char *const tracking_names[SC_TRACKING_COUNT] = {
	"static", "dynamic"};
static const char *const scope_names[SC_SCOPE_COUNT] = {
	"local", "site", "domain", "ou"};
static const char *const start_names[SC_START_COUNT] = {
	"interactive", "service", "com", "batch",
};
static const char *const logon_names[SC_LOGON_COUNT] = {
	"interactive", "network", "batch", "service", "explicit", "anonymous",
};

static const char *name_of(const char *const *names, int count, int v)
{
	return (v >= 0 && v < count && names[v]) ? names[v] : "?";
}

static int parse_in(const char *const *names, int count, const char *s,
		    int *out)
{
	if (!s)
		return SC_ERR_INVAL;
	for (int i = 0; i < count; i++) {
		if (names[i] && strcasecmp(names[i], s) == 0) {
			*out = i;
			return 0;
		}
	}
	return SC_ERR_INVAL;
}

#define NAME_FUNCS(type, prefix, table, count)                               \
	const char *prefix##_name(type v)                                    \
	{                                                                    \
		return name_of(table, count, (int)v);                        \
	}                                                                    \
	int prefix##_parse(const char *s, type *out)                         \
	{                                                                    \
		int v;                                                       \
		if (parse_in(table, count, s, &v) != 0)                      \
			return SC_ERR_INVAL;                                 \
		*out = (type)v;                                              \
		return 0;                                                    \
	}

NAME_FUNCS(sc_status, sc_status, status_names, SC_STATUS_COUNT)
NAME_FUNCS(sc_level, sc_level, level_names, SC_LEVEL_COUNT)
NAME_FUNCS(sc_authn, sc_authn, authn_names, SC_AUTHN_COUNT)
NAME_FUNCS(sc_package, sc_package, package_names, SC_PACKAGE_COUNT)
NAME_FUNCS(sc_cloaking, sc_cloaking, cloaking_names, SC_CLOAK_COUNT)

const char *sc_transport_name(sc_transport v)
{
	return name_of(transport_names, SC_TRANSPORT_COUNT, (int)v);
}

const char *sc_tracking_name(sc_tracking v)
{
	return name_of(tracking_names, SC_TRACKING_COUNT, (int)v);
}

const char *sc_scope_name(sc_scope v)
{
	return name_of(scope_names, SC_SCOPE_COUNT, (int)v);
}

const char *sc_start_name(sc_start v)
{
	return name_of(start_names, SC_START_COUNT, (int)v);
}

const char *sc_logon_name(sc_logon v)
{
	return name_of(logon_names, SC_LOGON_COUNT, (int)v);
}

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
