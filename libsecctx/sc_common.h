/* sc_common.h: the vocabulary every libsecctx module shares: Windows-style
 * statuses, the ordered enums of the rule table, and the decision log that
 * records which rule id decided what.
 * Model only: no I/O, no gRPC. */
#ifndef SC_COMMON_H
#define SC_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* One error convention for the whole project.
 * - Functions that can only fail for resource or argument reasons return
 *   int: 0 on success, SC_ERR_* (negative) on failure.
 * - Functions that take a security decision return sc_status (SC_OK or the
 *   Windows-style status) and append the rule id(s) that decided it to an
 *   sc_log. Tests, traces and the launcher all read the same two things. */
#define SC_ERR_NOMEM (-1)
#define SC_ERR_INVAL (-2)
#define SC_ERR_RANGE (-3)

typedef enum sc_status {
	SC_OK = 0,
	SC_ACCESS_DENIED,
	SC_BAD_IMPERSONATION_LEVEL,
	SC_CANT_OPEN_ANONYMOUS,
	SC_NO_IMPERSONATION_TOKEN,
	SC_INVALID_PARAMETER,
	SC_CANNOT_IMPERSONATE,
	SC_PRIVILEGE_NOT_HELD,
	SC_NOT_SUPPORTED,
	SC_NO_MATCH,
	SC_NOT_FOUND,
	SC_INVALID_BLANKET,
	SC_NO_SUCH_OBJECT,
	SC_LOGON_FAILURE,
	SC_BAD_CONTEXT,
	SC_UNAVAILABLE,
	SC_DEADLINE_EXCEEDED,
	SC_INTERNAL,
	SC_NO_TOKEN,
	SC_CANT_DISABLE_MANDATORY, /* AdjustTokenGroups on a mandatory group */
	SC_CANT_ENABLE_DENY_ONLY,   /* AdjustTokenGroups on a deny-only one */
	SC_STATUS_COUNT
} sc_status;

/* A refusal: the status the refused party records, the id of the rule
 * that decided (a K rule of docs/rules.md, or NET for a fact of the
 * transport) and why. One type for trust (auth_reject) and the wire
 * (codec_refusal_*, the callee's refusal carried to the caller). */
typedef struct sc_refusal {
	sc_status status;
	char rule[8];
	char reason[200];
} sc_refusal;

/* Copy s into out (len bytes, always terminated), with every byte a
 * terminal could act on written out: C0 controls and DEL as \n, \r, \t
 * or \xNN, C1 controls (UTF-8 U+0080 to U+009F) as \u00NN, and bytes
 * that are not UTF-8 as \xNN. Backslashes stay (account names hold
 * them), so the result is for display only. Idempotent. The one function
 * every printer of names and text from files or the wire uses. Returns
 * out. */
char *sc_escape(const char *s, char *out, size_t len);

const char *sc_status_name(sc_status s);
/* Returns 0 and sets *out, or SC_ERR_INVAL for an unknown name. */
int sc_status_parse(const char *name, sc_status *out);

/* Levels are ordered: comparisons with < and > follow the spec's order
 * Anonymous < Identify < Impersonate < Delegate. SC_LEVEL_DEFAULT means
 * "the client set none" (L6 decides). */
typedef enum sc_level {
	SC_LEVEL_DEFAULT = 0,
	SC_LEVEL_ANONYMOUS,
	SC_LEVEL_IDENTIFY,
	SC_LEVEL_IMPERSONATE,
	SC_LEVEL_DELEGATE,
	SC_LEVEL_COUNT
} sc_level;

/* Authentication levels, ordered as T8 says. */
typedef enum sc_authn {
	SC_AUTHN_DEFAULT = 0,
	SC_AUTHN_NONE,
	SC_AUTHN_CONNECT,
	SC_AUTHN_CALL,
	SC_AUTHN_PACKET,
	SC_AUTHN_INTEGRITY,
	SC_AUTHN_PRIVACY,
	SC_AUTHN_COUNT
} sc_authn;

typedef enum sc_package {
	SC_PACKAGE_DEFAULT = 0, /* Kerberos in a domain, NTLM otherwise */
	SC_PACKAGE_KERBEROS,
	SC_PACKAGE_NTLM,
	SC_PACKAGE_SCHANNEL,
	SC_PACKAGE_COUNT
} sc_package;

typedef enum sc_cloaking {
	SC_CLOAK_NONE = 0,
	SC_CLOAK_STATIC,
	SC_CLOAK_DYNAMIC,
	SC_CLOAK_BOTH, /* both capability flags set: invalid (C1) */
	SC_CLOAK_COUNT
} sc_cloaking;

/* The transports, and their spellings: the one place both are defined
 * (the enum, sc_transport_name and the scenario loader all expand it).
 * COM is DCOM with CoSetProxyBlanket; a named pipe sets its level with
 * the SQOS flags (N1, N2, T7); RPC and DDE clients default to
 * Impersonate (L6); a pipe, RPC or DDE connection between hosts ignores
 * the level flags (D7). */
#define SC_TRANSPORTS(X) \
	X(COM, "com")        \
	X(PIPE, "pipe")      \
	X(RPC, "rpc")        \
	X(DDE, "dde")

typedef enum sc_transport {
#define SC_TRANSPORT_ENUM(id, name) SC_TRANSPORT_##id,
	SC_TRANSPORTS(SC_TRANSPORT_ENUM)
#undef SC_TRANSPORT_ENUM
	SC_TRANSPORT_COUNT
} sc_transport;

/* T7: how a named-pipe connection tracks the client's context. Without
 * SECURITY_CONTEXT_TRACKING the mode is static. */
typedef enum sc_tracking {
	SC_TRACKING_STATIC = 0,
	SC_TRACKING_DYNAMIC,
	SC_TRACKING_COUNT
} sc_tracking;

/* P3: where a user-rights assignment comes from. Group policy applies
 * local, then site, domain, OU: a later scope wins. */
typedef enum sc_scope {
	SC_SCOPE_LOCAL = 0,
	SC_SCOPE_SITE,
	SC_SCOPE_DOMAIN,
	SC_SCOPE_OU,
	SC_SCOPE_COUNT
} sc_scope;

/* How a process was started: decides logon type and the SERVICE group. */
typedef enum sc_start {
	SC_START_INTERACTIVE = 0,
	SC_START_SERVICE, /* by the service control manager: SERVICE group */
	SC_START_COM,     /* COM server under a configured account: SERVICE */
	SC_START_BATCH,
	SC_START_COUNT
} sc_start;

typedef enum sc_logon {
	SC_LOGON_INTERACTIVE = 0,
	SC_LOGON_NETWORK,
	SC_LOGON_BATCH,
	SC_LOGON_SERVICE,
	SC_LOGON_EXPLICIT, /* LogonUser with explicit credentials */
	SC_LOGON_ANONYMOUS,
	SC_LOGON_COUNT
} sc_logon;

/* Name tables: "impersonate" <-> SC_LEVEL_IMPERSONATE and so on. The
 * parse functions return 0 or SC_ERR_INVAL. */
const char *sc_level_name(sc_level v);
int sc_level_parse(const char *s, sc_level *out);
const char *sc_authn_name(sc_authn v);
int sc_authn_parse(const char *s, sc_authn *out);
const char *sc_package_name(sc_package v);
int sc_package_parse(const char *s, sc_package *out);
const char *sc_cloaking_name(sc_cloaking v);
int sc_cloaking_parse(const char *s, sc_cloaking *out);
const char *sc_transport_name(sc_transport v);
const char *sc_tracking_name(sc_tracking v);
const char *sc_scope_name(sc_scope v);
const char *sc_start_name(sc_start v);
const char *sc_logon_name(sc_logon v);

/* The decision log: every decision appends one note naming its rule id.
 * Warnings are notes a user must not miss (P2, L2, C3, T8 none). */
#define SC_NOTE_TEXT 240
#define SC_RULE_LEN 8

typedef struct sc_note {
	char rule[SC_RULE_LEN]; /* "P2" */
	bool warning;
	char text[SC_NOTE_TEXT];
} sc_note;

typedef struct sc_log {
	sc_note *notes;
	size_t count;
	size_t cap;
	bool oom; /* a note could not be stored */
} sc_log;

void sc_log_init(sc_log *log);
void sc_log_clear(sc_log *log);
void sc_log_free(sc_log *log);
/* Append a note; log may be NULL (the decision is taken, nothing kept). */
void sc_log_rule(sc_log *log, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sc_log_warn(sc_log *log, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An input error (a step placed where it cannot act, such as an
 * impersonate with no incoming call) decides nothing: its note carries no
 * rule id (an empty one). Readers show it as "-" (sc_note_rule_shown). */
void sc_log_input(sc_log *log, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The note's rule id, or "-" for an input error's note. */
const char *sc_note_rule_shown(const sc_note *n);
/* Append all notes of src to dst. */
int sc_log_append(sc_log *dst, const sc_log *src);
bool sc_log_has_rule(const sc_log *log, const char *rule);

#endif
