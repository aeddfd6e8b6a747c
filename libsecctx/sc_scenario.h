/* sc_scenario.h: a scenario as plain data: the domain's accounts, the
 * hosts, the processes and what they do, the objects, and what is expected.
 * The loader (libsecctx/scenario/) fills these structs from YAML; the model
 * reads them. Model only: no I/O, no gRPC. Field names follow the YAML keys
 * documented in docs/scenario-format.md. */
#ifndef SC_SCENARIO_H
#define SC_SCENARIO_H

#include "sc_acl.h"
#include "sc_common.h"

typedef struct sc_account_def {
	char *name;                /* "alice": shown as DOMAIN\alice */
	char *sid;                 /* optional: generated when absent */
	char **groups;             /* domain groups or aliases it belongs to */
	unsigned groups_count;
	bool sensitive;            /* "sensitive and cannot be delegated" (D1) */
	bool trusted_for_delegation;          /* D1 */
	bool trusted_to_auth_for_delegation;  /* D6 */
	char **spns;               /* servicePrincipalName: the services it
	                              runs, "MSSQLSvc/db1.corp.local:1433" */
	unsigned spns_count;
	char **allowed_to_delegate_to;        /* D4: target SPNs or accounts */
	unsigned allowed_to_delegate_to_count;
	char **allowed_to_act;                /* D5: on a target's account */
	unsigned allowed_to_act_count;
} sc_account_def;

typedef struct sc_domain_def {
	char *name; /* "CORP" */
	sc_account_def *accounts;
	unsigned accounts_count;
} sc_domain_def;

/* One user-rights assignment on a host: privilege -> holders. It replaces
 * the default holders of that privilege (P3). */
typedef struct sc_right_def {
	char *privilege;
	sc_scope scope;  /* local (default), site, domain, ou: later wins */
	char **holders; /* account names, group names or well-known names */
	unsigned holders_count;
} sc_right_def;

typedef struct sc_host_def {
	char *name;
	bool workgroup;        /* not in the domain (D1); default false */
	bool trusted_for_delegation; /* its computer account DOMAIN\NAME$
					(D1, D8); a workgroup host has none */
	sc_level default_level; /* L6: a COM client's default; DEFAULT=Identify */
	sc_right_def *rights;
	unsigned rights_count;
	char *address;          /* optional listen address, e.g. 127.0.0.12 */
} sc_host_def;

/* The fields of a blanket a file may write, each a YAML key and the
 * sc_blanket field of the same name. A step's blanket overrides exactly
 * the fields it gives (sc_blanket.given, of SC_GIVEN_* bits), so that
 * `cloaking: none` or `level: default` given there take effect (the zero
 * values otherwise read as "not set"). */
#define SC_BLANKET_FIELDS(X)                                                 \
	X(AUTHN, authn) X(LEVEL, level) X(PACKAGE, package)                  \
	X(CLOAKING, cloaking) X(IDENTITY, identity) X(TRANSPORT, transport)  \
	X(SQOS, sqos) X(TRACKING, tracking) X(EFFECTIVE_ONLY, effective_only)

enum {
#define SC_GIVEN_INDEX(id, field) SC_GIVEN_INDEX_##id,
	SC_BLANKET_FIELDS(SC_GIVEN_INDEX)
#undef SC_GIVEN_INDEX
};

enum {
#define SC_GIVEN_BIT(id, field) SC_GIVEN_##id = 1u << SC_GIVEN_INDEX_##id,
	SC_BLANKET_FIELDS(SC_GIVEN_BIT)
#undef SC_GIVEN_BIT
};

typedef struct sc_blanket {
	sc_authn authn;        /* DEFAULT: connect */
	sc_level level;        /* DEFAULT: L6 decides */
	sc_package package;    /* DEFAULT: kerberos in a domain, else ntlm */
	sc_cloaking cloaking;  /* default none (C2) */
	char *identity;        /* explicit identity on the proxy (C1) */
	sc_transport transport;
	/* A named pipe's security quality of service (N2, T7): without
	 * sqos (SECURITY_SQOS_PRESENT) the level flags are ignored
	 * (Impersonate), tracking is static and effective_only off. */
	bool sqos;
	sc_tracking tracking;
	bool effective_only;
	unsigned given;        /* SC_GIVEN_*: the keys the file wrote (the
	                          loader sets it; not a YAML key) */
} sc_blanket;

/* The step kinds (the YAML key "do"), as the enums of sc_common.h: id,
 * spelling, whether matrix's `all` sweeps it (never: a step is not a
 * setting). What each is:
 *   impersonate: CoImpersonateClient / RpcImpersonateClient
 *   revert: CoRevertToSelf (T5); call: call another process (to:)
 *   open: open a local object (object:, access:); access_check: AccessCheck
 *   on a local object (T6); set_blanket: CoSetProxyBlanket on the proxy
 *   to to:; sleep: wait ms milliseconds; query_level: GetTokenInformation
 *   (level) (T1); impersonate_self: ImpersonateSelf at level (T3);
 *   duplicate: DuplicateTokenEx at level / primary (T2); start_process:
 *   CreateProcess, the primary token (T4); logon_user: LogonUser,
 *   SeTcbPrivilege, primary (T4); audit: an audit alarm, SeAuditPrivilege
 *   (T4); open_thread_token: OpenThreadToken, as_self or not (L1);
 *   protocol_transition: S4U logon for user:, impersonated (D6);
 *   assign_right: the host's rights change now (P3, P4); check_privilege:
 *   PrivilegeCheck on the current token (T9); enable_privilege /
 *   disable_privilege: AdjustTokenPrivileges (T10); read: read the call's
 *   first message (N1); create_object: a new object, its owner (T4);
 *   enable_group / disable_group: AdjustTokenGroups (T11);
 *   set_thread_token: SetThreadToken / ImpersonateLoggedOnUser with a
 *   token a duplicate step kept (P1, T2). A duplicate's `keep: NAME`
 *   keeps its copy for the rest of the call (or of the client's
 *   program); query_level and start_process (CreateProcessWithTokenW,
 *   which needs SeImpersonatePrivilege: T4) take one with `token:`. */
#define SC_STEP_KINDS(X)                                                     \
	X(IMPERSONATE, "impersonate", 0)                                     \
	X(REVERT, "revert", 0)                                               \
	X(CALL, "call", 0)                                                   \
	X(OPEN, "open", 0)                                                   \
	X(ACCESS_CHECK, "access_check", 0)                                   \
	X(SET_BLANKET, "set_blanket", 0)                                     \
	X(SLEEP, "sleep", 0)                                                 \
	X(QUERY_LEVEL, "query_level", 0)                                     \
	X(IMPERSONATE_SELF, "impersonate_self", 0)                           \
	X(DUPLICATE, "duplicate", 0)                                         \
	X(START_PROCESS, "start_process", 0)                                 \
	X(LOGON_USER, "logon_user", 0)                                       \
	X(AUDIT, "audit", 0)                                                 \
	X(OPEN_THREAD_TOKEN, "open_thread_token", 0)                         \
	X(PROTOCOL_TRANSITION, "protocol_transition", 0)                     \
	X(ASSIGN_RIGHT, "assign_right", 0)                                   \
	X(CHECK_PRIVILEGE, "check_privilege", 0)                             \
	X(ENABLE_PRIVILEGE, "enable_privilege", 0)                           \
	X(DISABLE_PRIVILEGE, "disable_privilege", 0)                         \
	X(READ, "read", 0)                                                   \
	X(CREATE_OBJECT, "create_object", 0)                                 \
	X(ENABLE_GROUP, "enable_group", 0)                                   \
	X(DISABLE_GROUP, "disable_group", 0)                                 \
	X(SET_THREAD_TOKEN, "set_thread_token", 0)                           \
	X(RESTART, "restart", 0)
/* The Windows API names people paste. */
#define SC_STEP_KIND_ALIASES(X)                                              \
	X(IMPERSONATE, "CoImpersonateClient")                                \
	X(IMPERSONATE, "RpcImpersonateClient")                               \
	X(IMPERSONATE, "ImpersonateNamedPipeClient")                         \
	X(REVERT, "CoRevertToSelf")                                          \
	X(REVERT, "RevertToSelf")                                            \
	X(SET_BLANKET, "CoSetProxyBlanket")                                  \
	X(IMPERSONATE_SELF, "ImpersonateSelf")                               \
	X(DUPLICATE, "DuplicateTokenEx")                                     \
	X(START_PROCESS, "CreateProcess")                                    \
	X(LOGON_USER, "LogonUser")                                           \
	X(OPEN_THREAD_TOKEN, "OpenThreadToken")                              \
	X(ACCESS_CHECK, "AccessCheck")                                       \
	X(CHECK_PRIVILEGE, "PrivilegeCheck")                                 \
	X(READ, "ReadFile")                                                  \
	X(SET_THREAD_TOKEN, "SetThreadToken")                                \
	X(SET_THREAD_TOKEN, "ImpersonateLoggedOnUser")                       \
	X(START_PROCESS, "CreateProcessWithTokenW")

typedef enum sc_step_kind {
#define SC_STEP_KIND_ENUM(id, name, all) SC_STEP_##id,
	SC_STEP_KINDS(SC_STEP_KIND_ENUM)
#undef SC_STEP_KIND_ENUM
	SC_STEP_COUNT
} sc_step_kind;
extern const sc_enum_table sc_step_kind_table;

const char *sc_step_kind_name(sc_step_kind k);

typedef struct sc_step {
	sc_step_kind kind;   /* YAML key "do" */
	char *id;            /* optional, for expectations */
	char *to;            /* call, set_blanket: the callee process */
	char *object;        /* open, access_check */
	char **access;       /* right names (sc_acl_right_parse) */
	unsigned access_count;
	sc_blanket *blanket; /* call, set_blanket: overrides the process's */
	unsigned ms;         /* sleep */
	sc_level level;      /* impersonate_self, duplicate */
	bool primary;        /* duplicate: to a primary token */
	bool as_self;        /* open_thread_token: OpenAsSelf */
	char *user;          /* protocol_transition: the account (default:
	                        the caller of the current call) */
	char *privilege;     /* assign_right, check/enable/disable_privilege */
	char *group;         /* enable_group, disable_group: a principal */
	char **holders;      /* assign_right: the new holders */
	unsigned holders_count;
	sc_scope scope;      /* assign_right: the policy scope */
	char *from;          /* any step: run only in calls from this process */
	char *keep;          /* duplicate: the name the copy is kept under */
	char *token;         /* set_thread_token, query_level, start_process:
	                        a kept token's name */
} sc_step;

/* A process that misbehaves on the wire (scenarios/attacks/): what it
 * does to the signed context of its outgoing calls. The model ignores
 * it; the wire layer acts it out and the callee must refuse. */
/* What a process set to misbehave (attacks only) does to the contexts
 * it sends (trust/misbehave.c):
 *   forge: the ticket's signature is made up; raise_level / add_group:
 *   the level raised, a group added after signing; replay: resends its
 *   first context; expired: a context an hour old; wrong_audience: a
 *   ticket for another service; strip_actor: removes itself from the
 *   chain; present_client: presents its caller without a ticket;
 *   unknown_authority: its own authority's signatures; relay: signs as
 *   its caller, with the caller's stolen key and credential;
 *   claim_groups: signs a context claiming groups it is not in
 *   (Administrators, the other accounts' SIDs); claim_privilege: signs a
 *   context claiming SeTcbPrivilege, enabled; identify_evidence: presents
 *   its caller at Impersonate on evidence from a call made at Identify or
 *   Anonymous; claim_computer: presents another host's computer account
 *   (D8), asking a ticket; other_session_key: makes its authenticator's
 *   MAC with another ticket's session key; moved_authenticator: sends an
 *   authenticator made for another of its tickets with this one;
 *   stale_session_key: asks its first ticket to each target for one
 *   second and keeps using it and its session key after it expired. */
#define SC_MISBEHAVES(X)                                                     \
	X(NONE, "none", 1)                                                   \
	X(FORGE, "forge", 1)                                                 \
	X(RAISE_LEVEL, "raise_level", 1)                                     \
	X(ADD_GROUP, "add_group", 1)                                         \
	X(REPLAY, "replay", 1)                                               \
	X(EXPIRED, "expired", 1)                                             \
	X(WRONG_AUDIENCE, "wrong_audience", 1)                               \
	X(STRIP_ACTOR, "strip_actor", 1)                                     \
	X(PRESENT_CLIENT, "present_client", 1)                               \
	X(UNKNOWN_AUTHORITY, "unknown_authority", 1)                         \
	X(RELAY, "relay", 1)                                                 \
	X(CLAIM_GROUPS, "claim_groups", 1)                                   \
	X(CLAIM_PRIVILEGE, "claim_privilege", 1)                             \
	X(IDENTIFY_EVIDENCE, "identify_evidence", 1)                         \
	X(CLAIM_COMPUTER, "claim_computer", 1)                               \
	X(OTHER_SESSION_KEY, "other_session_key", 1)                         \
	X(MOVED_AUTHENTICATOR, "moved_authenticator", 1)                     \
	X(STALE_SESSION_KEY, "stale_session_key", 1)

typedef enum sc_misbehave {
#define SC_MISBEHAVE_ENUM(id, name, all) SC_MISBEHAVE_##id,
	SC_MISBEHAVES(SC_MISBEHAVE_ENUM)
#undef SC_MISBEHAVE_ENUM
	SC_MISBEHAVE_COUNT
} sc_misbehave;
extern const sc_enum_table sc_misbehave_table;

typedef struct sc_process_def {
	char *name;          /* "A", "B", "C", ... */
	char *host;
	char *account;       /* a domain account, or LOCAL SERVICE etc. */
	sc_start started_by;
	sc_blanket blanket;  /* the blanket on its outgoing proxies */
	sc_authn server_authn; /* its own level as a server (T8) */
	sc_step *steps;      /* client: its program; server: per call */
	unsigned steps_count;
	sc_misbehave misbehave; /* attacks only; default none */
	/* T6: groups of its account that its token holds deny-only (a
	 * filtered or restricted token) or optional and disabled; names
	 * from the account's groups. */
	char **deny_only_groups;
	unsigned deny_only_groups_count;
	char **disabled_groups;
	unsigned disabled_groups_count;
	bool is_new;         /* `new: true`: a process a file that extends
	                        another adds (checked when merging) */
	/* D1, D4: whether its logon's tickets are forwardable (the
	 * default) or not (kinit without -f). */
	sc_tickets tickets;
	/* L6: a COM+ server application (dllhost), whose COM calls ask
	 * Impersonate when its blanket sets no level, whatever its host's
	 * default. */
	bool com_plus;
	/* T5: the apartment its calls are served in (MTA by default). */
	sc_apartment apartment;
	/* D4: the SPN its callers name it by (one of its account's spns);
	 * NULL: named by its account. */
	char *spn;
	/* T12: the integrity level of its token (CreateProcess with a
	 * low-integrity token, a sandboxed browser's); DEFAULT: the one
	 * its logon gives (sc_token_integrity). */
	sc_integrity integrity;
} sc_process_def;

typedef struct sc_ace_def {
	char *allow;         /* exactly one of allow / deny: a principal */
	char *deny;
	char **access;
	unsigned access_count;
} sc_ace_def;

typedef struct sc_object_def {
	char *name;
	char *host;
	char *owner;         /* principal; required, unless dacl_sddl has O: */
	bool null_dacl;      /* true: NULL DACL (everything granted) */
	sc_ace_def *dacl;    /* dacl: [] is an empty DACL (nothing granted) */
	unsigned dacl_count;
	char *dacl_sddl;     /* or the descriptor as SDDL text (sc_sddl.h) */
	sc_object_type type; /* T6: its generic mapping and right names;
	                        a file when not given */
	sc_integrity integrity; /* T12: its mandatory label (DEFAULT:
	                           medium, as an object without one) */
	bool no_read_up;     /* T12: the label also withholds reads */
} sc_object_def;

/* One expectation. Every field but one of hop/step is optional; a set
 * field must match. Strings are compared case-insensitively. */
typedef struct sc_expect_def {
	char *hop;       /* "B->C", or "B->C#2" for the second such hop */
	char *step;      /* a step id */
	char *presented; /* "CORP\\alice" or "alice" */
	char *chosen;    /* hop: the identity the caller's cloaking chose,
	                    sent or not (sc_hop.chosen) */
	char *level;     /* effective level name */
	char *status;    /* OK, ACCESS_DENIED, ...; "!OK": any status but
	                    that one */
	char *warning;   /* a rule id that must be among the warnings */
	char *rule;      /* a rule id that must be among the rules */
	char *granted;   /* step: right names joined by '|' */
	char *runs_as;   /* step (start_process): the new process's account
	                    (T4: the primary token's) */
	char *absent;    /* a rule id none of the hop's (or step's) notes
	                    names, as a rule or a warning */
	char *authn;     /* hop: its authentication level (T8) */
	char *note;      /* a substring of one of the notes' text (of a
	                    note of `rule` when both are given) */
	bool *ran;       /* NULL: not asked; false: the hop or step must not
	                    have happened (an attack refused upstream) */
	bool drop;       /* in a variant: the scenario's expectations on this
	                    hop or step do not apply (no other field) */
} sc_expect_def;

/* An expectation's status negated: "!OK" is any status but OK (the
 * call failed, whatever the reason). sc_expect_status_negated says
 * whether status is so written; sc_expect_status_name gives the status
 * name it compares with (past the '!'). */
#define SC_STATUS_NOT '!'
bool sc_expect_status_negated(const char *status);
const char *sc_expect_status_name(const char *status);

/* The name of the case that is the file as written, beside one case per
 * variant; no variant may take it, and `--variant as-written` selects
 * the file as written. */
#define SC_AS_WRITTEN "as-written"

/* Whether a and b name the same hop ("B->C" is "B->C#1"; process names
 * compared case-insensitively, as expectations are) or the same step id
 * (case-insensitively): a variant's expectation replaces the scenario's
 * on the same target. */
bool sc_expect_same_target(const sc_expect_def *a, const sc_expect_def *b);

typedef struct sc_variant_def {
	char *name;
	char *description;
	char **set;      /* "B.cloaking=none" */
	unsigned set_count;
	sc_expect_def *expect;
	unsigned expect_count;
} sc_variant_def;

/* Settings for points the spec leaves open; documented defaults. */
typedef struct sc_settings {
	char *double_hop_status;        /* C6: default ACCESS_DENIED */
	bool allow_primary_from_identify; /* T2: default false */
	sc_double_hop double_hop_outcome; /* C6: default fail */
} sc_settings;

typedef struct sc_scenario {
	char *name;
	char *description;
	char *extends; /* the file this one builds on, as written; or NULL */
	sc_domain_def domain;
	sc_host_def *hosts;
	unsigned hosts_count;
	sc_process_def *processes;
	unsigned processes_count;
	sc_object_def *objects;
	unsigned objects_count;
	sc_expect_def *expect;   /* the file's; a variant's case has these but
	                            those it replaces or drops, then its own */
	unsigned expect_count;
	sc_variant_def *variants;
	unsigned variants_count;
	sc_settings settings;
} sc_scenario;

/* The cases of a scenario: the file as written (case 0, variant NULL),
 * then one per variant (case i: variants[i - 1]). sc_scenario_case_variant
 * gives the variant to load for case i (NULL: as written);
 * sc_case_name the name to show for a variant (NULL: SC_AS_WRITTEN). */
unsigned sc_scenario_cases(const sc_scenario *s);
const char *sc_scenario_case_variant(const sc_scenario *s, unsigned i);
const char *sc_case_name(const char *variant);

/* Caps on a scenario's size (sc_scenario_validate refuses more, naming the
 * first element over the cap). Beside the loader's 1 MiB on the file, they
 * bound the work every check and every daemon does. A process's steps are
 * its program; a call chain is the hops from a client to the last callee. */
#define SC_MAX_ACCOUNTS 65536
#define SC_MAX_HOSTS 64
#define SC_MAX_PROCESSES 2048 /* cloakroom stress: 1024 clients, B and C */
#define SC_MAX_STEPS 256     /* per process */
#define SC_MAX_OBJECTS 1024
#define SC_MAX_EXPECT 1024   /* the scenario's, and each variant's */
#define SC_MAX_VARIANTS 256
#define SC_MAX_LIST 256      /* any inner list: groups, dacl, access... */
#define SC_MAX_HOPS 16       /* the longest call chain */

/* The call graph: whether some process has a call step to name (a
 * process nobody calls is a client), whether p has a call step at all;
 * and the program that runs p: "procA" for a client, "procB" for a
 * server that calls onward, "procC" for one that only serves. */
bool sc_scenario_is_called(const sc_scenario *s, const char *name);
bool sc_process_calls_out(const sc_process_def *p);
const char *sc_scenario_program(const sc_scenario *s,
				const sc_process_def *p);

/* The longest process name, in bytes: a name must fit the trace's fields
 * and the credentials and key files the authority names after it. */
#define SC_PROCESS_NAME_MAX 63

/* Whether name can be a process's name. Not when empty, longer than
 * SC_PROCESS_NAME_MAX, beginning with '.', holding '/' (it names key
 * files), a control character, or '->', '#' or '=' (which separate hops
 * and settings); why then says which, in words (it never echoes a control
 * character). The one rule: the loader refuses such a name at its
 * position, and the authority checks it again before it names a file. */
bool sc_process_name_ok(const char *name, char *why, size_t len);

/* D8: the name of host h's computer account in the domain ("SRV1$": the
 * host's name up to its first dot, in capitals, then '$') into out,
 * which holds at least SC_COMPUTER_NAME_MAX bytes; false (out empty) for
 * a workgroup host, which has none. */
#define SC_COMPUTER_NAME_MAX 72
bool sc_host_computer_name(const sc_host_def *h, char *out, size_t len);

/* D1, D3: a is a member of Protected Users (its groups name it, bare or
 * domain-qualified): it cannot be delegated, as a sensitive account, and
 * cannot authenticate with NTLM. */
bool sc_account_protected(const sc_account_def *a);
/* D1, D2, D4, D5, D6: a cannot be delegated: it is marked sensitive, or
 * is a member of Protected Users. False for NULL. */
bool sc_account_not_delegated(const sc_account_def *a);
/* Why a cannot be delegated, for a note: "sensitive" or "in Protected
 * Users". */
const char *sc_account_not_delegated_why(const sc_account_def *a);

/* Lookups by name (NULL when absent). */
const sc_process_def *sc_scenario_process(const sc_scenario *s,
					  const char *name);
const sc_host_def *sc_scenario_host(const sc_scenario *s, const char *name);
/* SPNs (servicePrincipalName, "class/host[:port][/name]"). An entry of
 * allowed_to_delegate_to with a '/' is an SPN (AD's msDS-AllowedTo-
 * DelegateTo); one without is an account, standing for all its SPNs. */
bool sc_spn_is(const char *entry);
/* NULL when spn is well formed, else what is wrong, in a few words. */
const char *sc_spn_syntax(const char *spn);
/* Whether a holds spn (case-insensitively, as AD compares them). */
bool sc_account_holds_spn(const sc_account_def *a, const char *spn);
/* The account holding spn, or NULL. */
const sc_account_def *sc_scenario_spn_holder(const sc_scenario *s,
					     const char *spn);
/* D4: the entry of list (an allowed_to_delegate_to) naming the service
 * target runs, called by spn: the account's name, or spn itself; with
 * no spn (a service named by its account), the name or any SPN target
 * holds. NULL when none does. */
const char *sc_delegation_listed(char *const *list, unsigned n,
				 const sc_account_def *target,
				 const char *spn);

const sc_account_def *sc_scenario_account(const sc_scenario *s,
					  const char *name);
const sc_object_def *sc_scenario_object(const sc_scenario *s,
					const char *host, const char *name);

/* Apply one "KEY=VALUE" setting to the scenario in place (variants,
 * matrix sweeps, run --set). Keys:
 *   PROC.level | PROC.cloaking | PROC.authn | PROC.package | PROC.host |
 *   PROC.account | PROC.started_by | PROC.server_authn | PROC.transport |
 *   PROC.sqos | PROC.tracking | PROC.effective_only   (pipes: N2, T7)
 *   PROC.misbehave | PROC.deny_only_groups | PROC.disabled_groups
 *   level | cloaking | authn | package | transport | sqos | tracking |
 *   effective_only: without "PROC.", every process with a call step
 *   PROC.tickets   (forwardable / not_forwardable: D1, D4)
 *   PROC.apartment (mta / sta: T5)
 *   PROC.integrity (untrusted / low / medium / high / system: T12)
 *   OBJECT.integrity | OBJECT.no_read_up (T12: every object so named)
 *   ACCOUNT.sensitive | ACCOUNT.trusted_for_delegation |
 *   ACCOUNT.trusted_to_auth_for_delegation   (true/false)
 *   ACCOUNT.allowed_to_delegate_to | ACCOUNT.allowed_to_act (accounts
 *   joined by '+', or none)
 *   HOST.workgroup | HOST.default_level | HOST.trusted_for_delegation |
 *   HOST.Se...Privilege (holders)
 * (X.trusted_for_delegation names the account X, else the host X;
 * X.integrity the process X, else the objects named X.)
 *   settings.double_hop_status | settings.allow_primary_from_identify |
 *   settings.double_hop_outcome
 * Returns 0, or SC_ERR_INVAL with a message in err (unknown key or value). */
int sc_scenario_set(sc_scenario *s, const char *assignment, char *err,
		    size_t errlen);
/* Whether key may be written without "PROC." (every process that
 * calls): level, cloaking, authn, package, transport, sqos, tracking,
 * effective_only. */
bool sc_set_key_bare(const char *key);
/* Calls fn with every key of sc_scenario_set as the documentation
 * writes it: "PROC.level", "ACCOUNT.allowed_to_act", "HOST.workgroup",
 * "settings.double_hop_status", and each bare key ("level"). For
 * documentation checks (HOST.Se...Privilege is not listed). */
typedef void (*sc_set_key_fn)(void *user, const char *key);
void sc_set_keys(sc_set_key_fn fn, void *user);

/* Reference checks the schema cannot make (a process naming an undeclared
 * host, a call to an undeclared process...), the caps above, and the call
 * graph (a loop of calls, or a chain longer than SC_MAX_HOPS). Calls report(user, path, msg)
 * for each problem, path being the key path of the offending value, e.g.
 * "processes[1].host". Returns the number of problems. */
typedef void (*sc_scenario_report_fn)(void *user, const char *path,
				      const char *msg);
unsigned sc_scenario_validate(const sc_scenario *s,
			      sc_scenario_report_fn report, void *user);

#endif
