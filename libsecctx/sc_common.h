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

/* One table per enum: each X(ID, "spelling", ALL) line gives a value's
 * id, its one spelling (in scenarios, `set:`, traces and output) and
 * whether `matrix --vary KEY=all` sweeps it. The enum, its name and parse
 * functions, the scenario schema (sc_load.c) and matrix's `all` are all
 * expanded from these lists: adding a value is one line here. Aliases
 * (SC_*_ALIASES) are further spellings a scenario may use, such as the
 * Windows API's names; output always uses the first. */
#define SC_STATUSES(X)                                                       \
	X(OK, "OK", 1)                                                       \
	X(ACCESS_DENIED, "ACCESS_DENIED", 1)                                 \
	X(BAD_IMPERSONATION_LEVEL, "BAD_IMPERSONATION_LEVEL", 1)             \
	X(CANT_OPEN_ANONYMOUS, "CANT_OPEN_ANONYMOUS", 1)                     \
	X(NO_IMPERSONATION_TOKEN, "NO_IMPERSONATION_TOKEN", 1)               \
	X(INVALID_PARAMETER, "INVALID_PARAMETER", 1)                         \
	X(CANNOT_IMPERSONATE, "CANNOT_IMPERSONATE", 1)                       \
	X(PRIVILEGE_NOT_HELD, "PRIVILEGE_NOT_HELD", 1)                       \
	X(NOT_SUPPORTED, "NOT_SUPPORTED", 1)                                 \
	X(NO_MATCH, "NO_MATCH", 1)                                           \
	X(NOT_FOUND, "NOT_FOUND", 1)                                         \
	X(INVALID_BLANKET, "INVALID_BLANKET", 1)                             \
	X(NO_SUCH_OBJECT, "NO_SUCH_OBJECT", 1)                               \
	X(LOGON_FAILURE, "LOGON_FAILURE", 1)                                 \
	X(BAD_CONTEXT, "BAD_CONTEXT", 1)                                     \
	X(UNAVAILABLE, "UNAVAILABLE", 1)                                     \
	X(DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", 1)                         \
	X(INTERNAL, "INTERNAL", 1)                                           \
	X(NO_TOKEN, "NO_TOKEN", 1)                                           \
	/* AdjustTokenGroups on a mandatory group, on a deny-only one */     \
	X(CANT_DISABLE_MANDATORY, "CANT_DISABLE_MANDATORY", 1)               \
	X(CANT_ENABLE_DENY_ONLY, "CANT_ENABLE_DENY_ONLY", 1)

typedef enum sc_status {
#define SC_STATUS_ENUM(id, name, all) SC_##id,
	SC_STATUSES(SC_STATUS_ENUM)
#undef SC_STATUS_ENUM
	SC_STATUS_COUNT
} sc_status;

/* Every rule id of docs/rules.md, and whether the rule can warn (a note
 * a user must not miss; a `warning:` expectation names one of these).
 * The unit test rules_doc::the_rule_table_is_the_doc keeps this list
 * and the document's rows the same. */
#define SC_RULES(X)                                                          \
	X(L1, 0) X(L2, 1) X(L3, 0) X(L4, 0) X(L5, 0) X(L6, 0)               \
	X(D1, 0) X(D2, 0) X(D3, 0) X(D4, 0) X(D5, 0) X(D6, 0) X(D7, 0)      \
	X(D8, 0)                                                             \
	X(C1, 0) X(C2, 0) X(C3, 1) X(C4, 0) X(C5, 0) X(C6, 0) X(C7, 0)      \
	X(P1, 0) X(P2, 1) X(P3, 0) X(P4, 0)                                  \
	X(T1, 0) X(T2, 0) X(T3, 0) X(T4, 0) X(T5, 0) X(T6, 0) X(T7, 0)      \
	X(T8, 1) X(T9, 0) X(T10, 0) X(T11, 0) X(T12, 0)                      \
	X(N1, 0) X(N2, 0)                                                    \
	X(K1, 0) X(K2, 0) X(K3, 0) X(K4, 0) X(K5, 0) X(K6, 0) X(K7, 0)      \
	X(K8, 0)

/* The ids of SC_RULES, in order, and how many. */
extern const char *const sc_rule_ids[];
extern const size_t sc_rule_count;
/* id (case-insensitive) is a rule of docs/rules.md; and one that warns. */
bool sc_rule_known(const char *id);
bool sc_rule_warns(const char *id);

/* The user rights a scenario may name (privileges and logon rights), as
 * Windows spells them; anything else is a typo. */
#define SC_USER_RIGHTS(X)                                                    \
	X(SeAssignPrimaryTokenPrivilege) X(SeAuditPrivilege)                 \
	X(SeBackupPrivilege) X(SeChangeNotifyPrivilege)                      \
	X(SeCreateGlobalPrivilege) X(SeCreatePagefilePrivilege)              \
	X(SeCreatePermanentPrivilege) X(SeCreateSymbolicLinkPrivilege)       \
	X(SeCreateTokenPrivilege) X(SeDebugPrivilege)                        \
	X(SeDelegateSessionUserImpersonatePrivilege)                         \
	X(SeEnableDelegationPrivilege) X(SeImpersonatePrivilege)             \
	X(SeIncreaseBasePriorityPrivilege) X(SeIncreaseQuotaPrivilege)       \
	X(SeIncreaseWorkingSetPrivilege) X(SeLoadDriverPrivilege)            \
	X(SeLockMemoryPrivilege) X(SeMachineAccountPrivilege)                \
	X(SeManageVolumePrivilege) X(SeProfileSingleProcessPrivilege)        \
	X(SeRelabelPrivilege) X(SeRemoteShutdownPrivilege)                   \
	X(SeRestorePrivilege) X(SeSecurityPrivilege) X(SeShutdownPrivilege)  \
	X(SeSyncAgentPrivilege) X(SeSystemEnvironmentPrivilege)              \
	X(SeSystemProfilePrivilege) X(SeSystemtimePrivilege)                 \
	X(SeTakeOwnershipPrivilege) X(SeTcbPrivilege)                        \
	X(SeTimeZonePrivilege) X(SeTrustedCredManAccessPrivilege)            \
	X(SeUndockPrivilege) X(SeUnsolicitedInputPrivilege)                  \
	X(SeBatchLogonRight) X(SeDenyBatchLogonRight)                        \
	X(SeDenyInteractiveLogonRight) X(SeDenyNetworkLogonRight)            \
	X(SeDenyRemoteInteractiveLogonRight) X(SeDenyServiceLogonRight)      \
	X(SeInteractiveLogonRight) X(SeNetworkLogonRight)                    \
	X(SeRemoteInteractiveLogonRight) X(SeServiceLogonRight)

extern const char *const sc_user_rights[];
extern const size_t sc_user_right_count;
/* name is one of SC_USER_RIGHTS (any case, as LookupPrivilegeValue
 * takes it). */
bool sc_user_right_known(const char *name);

/* A refusal: the status the refused party records, the id of the rule
 * that decided (a K rule of docs/rules.md, or NET for a fact of the
 * transport) and why. One type for trust (auth_reject) and the wire
 * (codec_refusal_*, the callee's refusal carried to the caller). */
typedef struct sc_refusal {
	sc_status status;
	char rule[8];
	char reason[200];
} sc_refusal;

/* r's rule and its reason (formatted, cut to fit); r's status is left
 * as it is. Returns -1, what a refusing function returns. */
int sc_refuse(sc_refusal *r, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

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
/* For a name sc_status_parse refuses, the status it most likely means,
 * or NULL: the nearest by spelling (sc_suggest_nearest), else the one a
 * Windows spelling names once its prefix is dropped (ERROR_ACCESS_DENIED,
 * STATUS_ACCESS_DENIED, RPC_E_ACCESS_DENIED, E_ACCESSDENIED: ACCESS_DENIED;
 * ERROR_NO_TOKEN: NO_TOKEN). For did-you-mean only: the scenario spells a
 * status one way. */
const char *sc_status_suggest(const char *name);

/* Levels are ordered: comparisons with < and > follow the spec's order
 * Anonymous < Identify < Impersonate < Delegate. SC_LEVEL_DEFAULT means
 * "the client set none" (L6 decides). */
#define SC_LEVELS(X)                                                         \
	X(DEFAULT, "default", 0)                                             \
	X(ANONYMOUS, "anonymous", 1)                                         \
	X(IDENTIFY, "identify", 1)                                           \
	X(IMPERSONATE, "impersonate", 1)                                     \
	X(DELEGATE, "delegate", 1)
/* As Windows spells them: SECURITY_IMPERSONATION_LEVEL and RPC_C_IMP_*. */
#define SC_LEVEL_ALIASES(X)                                                  \
	X(ANONYMOUS, "SecurityAnonymous")                                    \
	X(IDENTIFY, "SecurityIdentification")                                \
	X(IMPERSONATE, "SecurityImpersonation")                              \
	X(DELEGATE, "SecurityDelegation")                                    \
	X(DEFAULT, "RPC_C_IMP_LEVEL_DEFAULT")                                \
	X(ANONYMOUS, "RPC_C_IMP_LEVEL_ANONYMOUS")                            \
	X(IDENTIFY, "RPC_C_IMP_LEVEL_IDENTIFY")                              \
	X(IMPERSONATE, "RPC_C_IMP_LEVEL_IMPERSONATE")                        \
	X(DELEGATE, "RPC_C_IMP_LEVEL_DELEGATE")

typedef enum sc_level {
#define SC_LEVEL_ENUM(id, name, all) SC_LEVEL_##id,
	SC_LEVELS(SC_LEVEL_ENUM)
#undef SC_LEVEL_ENUM
	SC_LEVEL_COUNT
} sc_level;

/* Authentication levels, ordered as T8 says. */
#define SC_AUTHNS(X)                                                         \
	X(DEFAULT, "default", 0)                                             \
	X(NONE, "none", 1)                                                   \
	X(CONNECT, "connect", 1)                                             \
	X(CALL, "call", 1)                                                   \
	X(PACKET, "packet", 1)                                               \
	X(INTEGRITY, "integrity", 1)                                         \
	X(PRIVACY, "privacy", 1)
/* As Windows spells them: RPC_C_AUTHN_LEVEL_*, and its short forms. */
#define SC_AUTHN_ALIASES(X)                                                  \
	X(DEFAULT, "RPC_C_AUTHN_LEVEL_DEFAULT")                              \
	X(NONE, "RPC_C_AUTHN_LEVEL_NONE")                                    \
	X(CONNECT, "RPC_C_AUTHN_LEVEL_CONNECT")                              \
	X(CALL, "RPC_C_AUTHN_LEVEL_CALL")                                    \
	X(PACKET, "RPC_C_AUTHN_LEVEL_PKT")                                   \
	X(INTEGRITY, "RPC_C_AUTHN_LEVEL_PKT_INTEGRITY")                      \
	X(PRIVACY, "RPC_C_AUTHN_LEVEL_PKT_PRIVACY")                          \
	X(PACKET, "pkt")                                                     \
	X(INTEGRITY, "pkt_integrity")                                        \
	X(PRIVACY, "pkt_privacy")

typedef enum sc_authn {
#define SC_AUTHN_ENUM(id, name, all) SC_AUTHN_##id,
	SC_AUTHNS(SC_AUTHN_ENUM)
#undef SC_AUTHN_ENUM
	SC_AUTHN_COUNT
} sc_authn;

/* DEFAULT: Kerberos in a domain, NTLM otherwise. */
#define SC_PACKAGES(X)                                                       \
	X(DEFAULT, "default", 0)                                             \
	X(KERBEROS, "kerberos", 1)                                           \
	X(NTLM, "ntlm", 1)                                                   \
	X(SCHANNEL, "schannel", 1)

typedef enum sc_package {
#define SC_PACKAGE_ENUM(id, name, all) SC_PACKAGE_##id,
	SC_PACKAGES(SC_PACKAGE_ENUM)
#undef SC_PACKAGE_ENUM
	SC_PACKAGE_COUNT
} sc_package;

/* BOTH: both capability flags set, which C1 refuses. */
#define SC_CLOAKINGS(X)                                                      \
	X(NONE, "none", 1)                                                   \
	X(STATIC, "static", 1)                                               \
	X(DYNAMIC, "dynamic", 1)                                             \
	X(BOTH, "both", 0)
/* As Windows spells them: the EOAC_* capability flags. */
#define SC_CLOAKING_ALIASES(X)                                               \
	X(NONE, "EOAC_NONE")                                                 \
	X(STATIC, "EOAC_STATIC_CLOAKING")                                    \
	X(DYNAMIC, "EOAC_DYNAMIC_CLOAKING")

typedef enum sc_cloaking {
#define SC_CLOAKING_ENUM(id, name, all) SC_CLOAK_##id,
	SC_CLOAKINGS(SC_CLOAKING_ENUM)
#undef SC_CLOAKING_ENUM
	SC_CLOAK_COUNT
} sc_cloaking;

/* The transports, and their spellings: the one place both are defined
 * (the enum, sc_transport_name and the scenario loader all expand it).
 * COM is DCOM with CoSetProxyBlanket; a named pipe sets its level with
 * the SQOS flags (N1, N2, T7); RPC and DDE clients default to
 * Impersonate (L6); a pipe, RPC or DDE connection between hosts ignores
 * the level flags (D7). */
#define SC_TRANSPORTS(X)                                                     \
	X(COM, "com", 1)                                                     \
	X(PIPE, "pipe", 1)                                                   \
	X(RPC, "rpc", 1)                                                     \
	X(DDE, "dde", 1)

typedef enum sc_transport {
#define SC_TRANSPORT_ENUM(id, name, all) SC_TRANSPORT_##id,
	SC_TRANSPORTS(SC_TRANSPORT_ENUM)
#undef SC_TRANSPORT_ENUM
	SC_TRANSPORT_COUNT
} sc_transport;

/* T7: how a named-pipe connection tracks the client's context. Without
 * SECURITY_CONTEXT_TRACKING the mode is static. */
#define SC_TRACKINGS(X)                                                      \
	X(STATIC, "static", 1)                                               \
	X(DYNAMIC, "dynamic", 1)

typedef enum sc_tracking {
#define SC_TRACKING_ENUM(id, name, all) SC_TRACKING_##id,
	SC_TRACKINGS(SC_TRACKING_ENUM)
#undef SC_TRACKING_ENUM
	SC_TRACKING_COUNT
} sc_tracking;

/* D1, D4: the tickets a process's logon asks for. Forwardable is the
 * default (Windows', `kinit -f`); a client may ask for tickets that are
 * not (`kinit` without -f): they are not forwarded (D1) and are no
 * evidence for classic constrained delegation (D4). */
#define SC_TICKETS(X)                                                        \
	X(FORWARDABLE, "forwardable", 1)                                     \
	X(NOT_FORWARDABLE, "not_forwardable", 1)

typedef enum sc_tickets {
#define SC_TICKETS_ENUM(id, name, all) SC_TICKETS_##id,
	SC_TICKETS(SC_TICKETS_ENUM)
#undef SC_TICKETS_ENUM
	SC_TICKETS_COUNT
} sc_tickets;

/* T5: the apartment a server process's COM threads initialise
 * (CoInitializeEx). MTA, COINIT_MULTITHREADED, is CoInitializeEx's
 * default and what services commonly use: calls are served concurrently,
 * each on its own thread. An STA (COINIT_APARTMENTTHREADED) has one
 * thread, which serves one call at a time; while that thread waits in
 * an outgoing call, a call arriving in the apartment is served on it,
 * re-entrantly. */
#define SC_APARTMENTS(X)                                                     \
	X(MTA, "mta", 1)                                                     \
	X(STA, "sta", 1)
#define SC_APARTMENT_ALIASES(X)                                              \
	X(MTA, "COINIT_MULTITHREADED")                                       \
	X(STA, "COINIT_APARTMENTTHREADED")

typedef enum sc_apartment {
#define SC_APARTMENT_ENUM(id, name, all) SC_APARTMENT_##id,
	SC_APARTMENTS(SC_APARTMENT_ENUM)
#undef SC_APARTMENT_ENUM
	SC_APARTMENT_COUNT
} sc_apartment;

/* C6: what a call whose identity cannot cross (the double hop: L4, D3,
 * D6) comes to: it fails with settings.double_hop_status (the default),
 * or it goes through as NT AUTHORITY\ANONYMOUS LOGON, the middle tier
 * having no credentials of the client to send (a null session), the
 * symptom Windows commonly shows ("login failed for NT AUTHORITY\
 * ANONYMOUS LOGON"). */
#define SC_DOUBLE_HOP_OUTCOMES(X)                                            \
	X(FAIL, "fail", 1)                                                   \
	X(ANONYMOUS, "anonymous", 1)

typedef enum sc_double_hop {
#define SC_DOUBLE_HOP_ENUM(id, name, all) SC_DOUBLE_HOP_##id,
	SC_DOUBLE_HOP_OUTCOMES(SC_DOUBLE_HOP_ENUM)
#undef SC_DOUBLE_HOP_ENUM
	SC_DOUBLE_HOP_COUNT
} sc_double_hop;

/* T12: mandatory integrity levels (Mandatory Integrity Control), ordered
 * as Windows compares them. X(ID, "spelling", ALL, RID, "Windows name"):
 * the level's SID is S-1-16-RID (RID in decimal), and whoami names it
 * "Mandatory Label\\<Windows name>". The Windows names, the SIDs and the
 * SECURITY_MANDATORY_*_RID names are further spellings a scenario may
 * use (sc_common.c expands the first two from this one list). Before
 * the list, SC_IL_DEFAULT ("default") is a level not stated: a
 * process's token takes the level its logon gives (sc_token_integrity),
 * an object the medium label Windows gives an object without one. */
#define SC_INTEGRITY_LEVELS(X)                                               \
	X(UNTRUSTED, "untrusted", 1, 0, "Untrusted Mandatory Level")         \
	X(LOW, "low", 1, 4096, "Low Mandatory Level")                        \
	X(MEDIUM, "medium", 1, 8192, "Medium Mandatory Level")               \
	X(HIGH, "high", 1, 12288, "High Mandatory Level")                    \
	X(SYSTEM, "system", 1, 16384, "System Mandatory Level")
#define SC_INTEGRITY_ALIASES(X)                                              \
	X(UNTRUSTED, "SECURITY_MANDATORY_UNTRUSTED_RID")                     \
	X(LOW, "SECURITY_MANDATORY_LOW_RID")                                 \
	X(MEDIUM, "SECURITY_MANDATORY_MEDIUM_RID")                           \
	X(HIGH, "SECURITY_MANDATORY_HIGH_RID")                               \
	X(SYSTEM, "SECURITY_MANDATORY_SYSTEM_RID")

typedef enum sc_integrity {
	SC_IL_DEFAULT,
#define SC_INTEGRITY_ENUM(id, name, all, rid, label) SC_IL_##id,
	SC_INTEGRITY_LEVELS(SC_INTEGRITY_ENUM)
#undef SC_INTEGRITY_ENUM
	SC_IL_COUNT
} sc_integrity;

/* T12: the level's RID, its SID ("S-1-16-8192") and whoami's name for
 * it ("Medium Mandatory Level"); DEFAULT has RID 0, SID "" and name
 * "". */
uint32_t sc_integrity_rid(sc_integrity v);
const char *sc_integrity_sid(sc_integrity v);
const char *sc_integrity_label(sc_integrity v);

/* P3: where a user-rights assignment comes from. Group policy applies
 * local, then site, domain, OU: a later scope wins. */
#define SC_SCOPES(X)                                                         \
	X(LOCAL, "local", 1)                                                 \
	X(SITE, "site", 1)                                                   \
	X(DOMAIN, "domain", 1)                                               \
	X(OU, "ou", 1)

typedef enum sc_scope {
#define SC_SCOPE_ENUM(id, name, all) SC_SCOPE_##id,
	SC_SCOPES(SC_SCOPE_ENUM)
#undef SC_SCOPE_ENUM
	SC_SCOPE_COUNT
} sc_scope;

/* How a process was started: decides logon type and the SERVICE group
 * (SERVICE: by the service control manager; COM: a COM server under a
 * configured account; both get the SERVICE group). */
#define SC_STARTS(X)                                                         \
	X(INTERACTIVE, "interactive", 1)                                     \
	X(SERVICE, "service", 1)                                             \
	X(COM, "com", 1)                                                     \
	X(BATCH, "batch", 1)

typedef enum sc_start {
#define SC_START_ENUM(id, name, all) SC_START_##id,
	SC_STARTS(SC_START_ENUM)
#undef SC_START_ENUM
	SC_START_COUNT
} sc_start;

/* EXPLICIT: LogonUser with explicit credentials. */
#define SC_LOGONS(X)                                                         \
	X(INTERACTIVE, "interactive", 1)                                     \
	X(NETWORK, "network", 1)                                             \
	X(BATCH, "batch", 1)                                                 \
	X(SERVICE, "service", 1)                                             \
	X(EXPLICIT, "explicit", 1)                                           \
	X(ANONYMOUS, "anonymous", 1)

typedef enum sc_logon {
#define SC_LOGON_ENUM(id, name, all) SC_LOGON_##id,
	SC_LOGONS(SC_LOGON_ENUM)
#undef SC_LOGON_ENUM
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
int sc_transport_parse(const char *s, sc_transport *out);
const char *sc_tracking_name(sc_tracking v);
int sc_tracking_parse(const char *s, sc_tracking *out);
const char *sc_tickets_name(sc_tickets v);
int sc_tickets_parse(const char *s, sc_tickets *out);
const char *sc_apartment_name(sc_apartment v);
int sc_apartment_parse(const char *s, sc_apartment *out);
const char *sc_integrity_name(sc_integrity v);
int sc_integrity_parse(const char *s, sc_integrity *out);
const char *sc_double_hop_name(sc_double_hop v);
int sc_double_hop_parse(const char *s, sc_double_hop *out);
const char *sc_scope_name(sc_scope v);
int sc_scope_parse(const char *s, sc_scope *out);
const char *sc_start_name(sc_start v);
int sc_start_parse(const char *s, sc_start *out);
const char *sc_logon_name(sc_logon v);
int sc_logon_parse(const char *s, sc_logon *out);

/* An enum as its table gives it, for code that lists spellings (the
 * scenario loader's schema, matrix's `all`, did-you-mean): every value's
 * spelling, value and whether `all` sweeps it, then the aliases. */
typedef struct sc_enum_entry {
	const char *name;
	int value;
	bool in_all; /* false for aliases */
} sc_enum_entry;
typedef struct sc_enum_table {
	const sc_enum_entry *entries;
	size_t count;   /* values, then aliases */
	size_t values;  /* the first `values` entries are the values */
} sc_enum_table;
extern const sc_enum_table sc_status_table, sc_level_table, sc_authn_table,
	sc_package_table, sc_cloaking_table, sc_transport_table,
	sc_tracking_table, sc_tickets_table, sc_apartment_table,
	sc_integrity_table, sc_double_hop_table,
	sc_scope_table, sc_start_table, sc_logon_table;
/* The value of s in t (a spelling or an alias, case-insensitive). 0, or
 * SC_ERR_INVAL. */
int sc_enum_parse(const sc_enum_table *t, const char *s, int *out);

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
