/* sc_token.h: access tokens (primary and impersonation), their SIDs,
 * groups and privileges, and the token operations of rules T1-T3.
 * Model only: no I/O, no gRPC. A token is opaque; it is immutable once
 * built by its creator and may be shared read-only between threads. */
#ifndef SC_TOKEN_H
#define SC_TOKEN_H

#include "sc_common.h"

/* Well-known SIDs (strings, compared exactly). */
#define SC_SID_EVERYONE "S-1-1-0"
#define SC_SID_NETWORK "S-1-5-2"
#define SC_SID_BATCH "S-1-5-3"
#define SC_SID_INTERACTIVE "S-1-5-4"
#define SC_SID_SERVICE "S-1-5-6"
#define SC_SID_ANONYMOUS "S-1-5-7"
#define SC_SID_AUTHENTICATED_USERS "S-1-5-11"
#define SC_SID_LOCAL_SYSTEM "S-1-5-18"
#define SC_SID_LOCAL_SERVICE "S-1-5-19"
#define SC_SID_NETWORK_SERVICE "S-1-5-20"
#define SC_SID_ADMINISTRATORS "S-1-5-32-544"
#define SC_SID_USERS "S-1-5-32-545"
#define SC_SID_BACKUP_OPERATORS "S-1-5-32-551"
#define SC_SID_OWNER_RIGHTS "S-1-3-4"
/* T13: service SIDs, NT SERVICE\<name>: S-1-5-80-<five numbers>. */
#define SC_SID_SERVICE_PREFIX "S-1-5-80-"

#define SC_ANONYMOUS_NAME "NT AUTHORITY\\ANONYMOUS LOGON"

/* Group attributes (subset of SE_GROUP_*). A logon makes every group
 * mandatory and enabled; only an optional group can be disabled (T11). */
#define SC_GROUP_MANDATORY 0x1u
#define SC_GROUP_ENABLED 0x4u
#define SC_GROUP_USE_FOR_DENY_ONLY 0x10u
#define SC_GROUP_OWNER 0x8u

typedef enum sc_token_type {
	SC_TOKEN_PRIMARY = 1,
	SC_TOKEN_IMPERSONATION = 2
} sc_token_type;

#define SC_PRIV_IMPERSONATE "SeImpersonatePrivilege"
#define SC_PRIV_TCB "SeTcbPrivilege"
#define SC_PRIV_CHANGE_NOTIFY "SeChangeNotifyPrivilege"
#define SC_PRIV_AUDIT "SeAuditPrivilege"

typedef struct sc_token sc_token;

/* Building. All setters copy their string arguments. */
sc_token *sc_token_new(sc_token_type type);
void sc_token_free(sc_token *t);
int sc_token_set_user(sc_token *t, const char *sid, const char *name);
int sc_token_add_group(sc_token *t, const char *sid, const char *name,
		       uint32_t attrs);
int sc_token_add_privilege(sc_token *t, const char *name, bool enabled);
/* Replaces the attributes of the group whose SID is sid (T6: deny-only,
 * disabled). Returns 0, or SC_ERR_RANGE when t holds no such group. */
int sc_token_set_group_attrs(sc_token *t, const char *sid, uint32_t attrs);
/* The attributes of t's group sid in *attrs: true, or false when t holds
 * no such group. */
bool sc_token_group_attrs(const sc_token *t, const char *sid,
			  uint32_t *attrs);
/* T7, K7: t was built from what vouches for the client (the authority's
 * authorization data); claim is the token the client sent. Each group of
 * t takes the claim's state where the claim may set it: deny-only when
 * the claim holds it so, and for an optional group (not mandatory, not
 * deny-only) the claim's enabled state. A mandatory group stays enabled,
 * a deny-only one deny-only, whatever the claim says. Returns how many
 * groups changed. */
size_t sc_token_take_group_states(sc_token *t, const sc_token *claim);
void sc_token_set_level(sc_token *t, sc_level level); /* impersonation */
void sc_token_set_logon(sc_token *t, sc_logon logon);
void sc_token_set_package(sc_token *t, sc_package p);
void sc_token_set_authn(sc_token *t, sc_authn a);
/* The host whose logon session holds this identity's credentials (L4). */
int sc_token_set_origin_host(sc_token *t, const char *host);
/* Logon session id: tokens from one logon share it (P1 third exemption). */
void sc_token_set_session(sc_token *t, uint64_t session);
/* Host boundaries this identity has crossed so far (L4, L5, C6). */
void sc_token_set_boundaries(sc_token *t, unsigned n);
/* True when the identity came with a forwardable (delegable) credential:
 * D1 held on the hop that brought it. */
void sc_token_set_delegable(sc_token *t, bool d);

/* Reading. Strings belong to the token. */
sc_token_type sc_token_type_of(const sc_token *t);
const char *sc_token_user_sid(const sc_token *t);
const char *sc_token_user_name(const sc_token *t);
size_t sc_token_group_count(const sc_token *t);
/* Returns 0, or SC_ERR_RANGE past the end. */
int sc_token_group(const sc_token *t, size_t i, const char **sid,
		   const char **name, uint32_t *attrs);
size_t sc_token_privilege_count(const sc_token *t);
int sc_token_privilege(const sc_token *t, size_t i, const char **name,
		       bool *enabled);
/* The raw level field, whatever the type (for the wire and the trace). */
sc_level sc_token_level_raw(const sc_token *t);
sc_logon sc_token_logon(const sc_token *t);
sc_package sc_token_package(const sc_token *t);
sc_authn sc_token_authn(const sc_token *t);
const char *sc_token_origin_host(const sc_token *t);
uint64_t sc_token_session(const sc_token *t);
unsigned sc_token_boundaries(const sc_token *t);
bool sc_token_delegable(const sc_token *t);

/* True if the token's user or an enabled group is sid. */
bool sc_token_has_sid(const sc_token *t, const char *sid);
/* T4: the token's default owner, the owner of the objects it creates:
 * its user, except for an administrator's token, whose default owner is
 * the administrators' group it holds enabled (BUILTIN\Administrators,
 * else Domain Admins), so that every administrator may manage what one
 * of them created. Either out pointer may be NULL; strings belong to t. */
void sc_token_default_owner(const sc_token *t, const char **sid,
			    const char **name);
/* True if the token holds the privilege and it is enabled. */
bool sc_token_privilege_enabled(const sc_token *t, const char *name);

/* Whether the token holds the privilege (case-insensitive name); when it
 * does, *enabled says whether it is enabled. */
bool sc_token_privilege_held(const sc_token *t, const char *name,
			     bool *enabled);
/* AdjustTokenPrivileges on a token its owner may change (a frame's own
 * copy): 0, or SC_ERR_RANGE when the token does not hold it. */
int sc_token_adjust_privilege(sc_token *t, const char *name, bool enable);
/* T7: dst's privileges become src's, with their enabled states (a local
 * pipe server impersonates the client's own token). 0 or SC_ERR_NOMEM. */
int sc_token_mirror_privileges(sc_token *dst, const sc_token *src);
/* P5: remove the privilege name (any case) from t; 0 whether or not t
 * held it. name may be t's own string for it. */
int sc_token_remove_privilege(sc_token *t, const char *name);
/* T7 effective-only: remove the disabled privileges; returns how many. */
size_t sc_token_drop_disabled_privileges(sc_token *t);

/* D1, D4: the identity's logon asked for tickets that are not forwardable
 * (processes[].tickets: not_forwardable, kinit without -f): they are not
 * forwarded, and are no evidence for classic constrained delegation. The
 * flag travels with the identity to the hosts it reaches. */
void sc_token_set_unforwardable(sc_token *t, bool u);
bool sc_token_unforwardable(const sc_token *t);

/* D6: a token obtained by protocol transition (S4U): the service holds no
 * credential of the user; forwardable says whether its ticket is. */
void sc_token_set_transition(sc_token *t, bool forwardable);
bool sc_token_from_transition(const sc_token *t);
bool sc_token_forwardable(const sc_token *t);

/* T12: the token's mandatory integrity level: the one stated for it
 * (processes[].integrity; a local server's token of its client takes
 * the client's),
 * else the one its logon gives: ANONYMOUS LOGON untrusted; SYSTEM, LOCAL
 * SERVICE, NETWORK SERVICE and a service's logon (logon type service)
 * system; an interactive or explicit logon medium; any other logon
 * (network, batch) high for a member of Administrators, else medium.
 * A copy (T2, T3) keeps its source's level. */
sc_integrity sc_token_integrity(const sc_token *t);
/* The stated level alone (SC_IL_DEFAULT: none; for the wire). */
sc_integrity sc_token_integrity_raw(const sc_token *t);
void sc_token_set_integrity(sc_token *t, sc_integrity il);

/* T1: the level of an impersonation token; a primary token has none:
 * SC_INVALID_PARAMETER. */
sc_status sc_token_query_level(const sc_token *t, sc_level *out,
			       sc_log *log);

/* Settings the spec leaves open (T2 second sentence). */
typedef struct sc_token_policy {
	/* Duplicating an Identify or Anonymous token to a primary token:
	 * false (default, observed behaviour) fails with
	 * BAD_IMPERSONATION_LEVEL; true allows it. */
	bool allow_primary_from_identify;
} sc_token_policy;

/* T2: copy src as a token of type type at level level (level ignored for
 * a primary copy). The copy's level may not exceed src's
 * (BAD_IMPERSONATION_LEVEL); a primary copy of an Identify or Anonymous
 * token fails likewise unless the policy allows it. A primary source
 * counts as the highest level. On SC_OK *out is a new token. */
sc_status sc_token_duplicate(const sc_token *src, sc_token_type type,
			     sc_level level, const sc_token_policy *policy,
			     sc_token **out, sc_log *log);

/* T3: ImpersonateSelf: an impersonation copy of the process token. */
sc_status sc_token_impersonate_self(const sc_token *process, sc_level level,
				    sc_token **out, sc_log *log);

/* A deep copy (NULL on allocation failure). */
sc_token *sc_token_copy(const sc_token *t);

/* The anonymous identity's token (L1): user S-1-5-7, Everyone, at level. */
sc_token *sc_token_new_anonymous(sc_level level);

#endif
