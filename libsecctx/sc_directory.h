/* sc_directory.h: the domain directory of accounts and hosts built from a
 * scenario: SIDs, principal names, user-rights assignments per host (P3),
 * and the logons that build primary and network tokens (P3, P4).
 * Model only: no I/O, no gRPC. The directory points into the scenario it
 * was built from, which must outlive it. Read-only after building but
 * for rights changes (sc_directory_assign), so threads may share it. */
#ifndef SC_DIRECTORY_H
#define SC_DIRECTORY_H

#include "sc_common.h"
#include "sc_scenario.h"
#include "sc_token.h"

typedef struct sc_directory sc_directory;

/* Build the directory. Accounts without a sid get
 * S-1-5-21-<domain-derived>-<1000 + index>. Well-known principals are
 * always known: Everyone, Authenticated Users, INTERACTIVE, NETWORK,
 * SERVICE, BATCH, ANONYMOUS LOGON, SYSTEM, LOCAL SERVICE, NETWORK SERVICE,
 * Administrators, Users; group names used in accounts' groups lists become
 * domain groups with generated SIDs. Returns 0 or SC_ERR_*. */
int sc_directory_new(const sc_scenario *scn, sc_directory **out);
void sc_directory_free(sc_directory *dir);

const char *sc_directory_domain(const sc_directory *dir);
/* The domain's SID ("S-1-5-21-a-b-c"), which its accounts' SIDs extend. */
const char *sc_directory_domain_sid(const sc_directory *dir);

/* Principal name ("alice", "CORP\\alice", "Administrators", "SERVICE",
 * "LOCAL SERVICE", ...) to SID; NULL when unknown. Case-insensitive. */
const char *sc_directory_sid(const sc_directory *dir, const char *name);
/* SID to display name ("CORP\\alice", "NT AUTHORITY\\SERVICE"); NULL when
 * unknown. */
const char *sc_directory_name(const sc_directory *dir, const char *sid);
/* The account definition behind a user SID or name (NULL: well-known or
 * unknown). */
const sc_account_def *sc_directory_account_by_sid(const sc_directory *dir,
						  const char *sid);
const sc_account_def *sc_directory_account(const sc_directory *dir,
					   const char *name);

/* P3: true when sid (a user or group) is a holder of privilege on host:
 * the host's rights entry for that privilege if it has one, else the
 * defaults. Default holders of SeImpersonatePrivilege: Administrators,
 * LOCAL SERVICE, NETWORK SERVICE, SERVICE. Of SeChangeNotifyPrivilege:
 * Everyone, Authenticated Users, Administrators, Users, Backup Operators,
 * LOCAL SERVICE, NETWORK SERVICE. Of SeTcbPrivilege: SYSTEM. Of
 * SeAuditPrivilege: LOCAL SERVICE, NETWORK SERVICE. SYSTEM holds all. */
bool sc_directory_holds(const sc_directory *dir, const char *host,
			const char *privilege, const char *sid);

/* P3: true when host assigns privilege itself (a rights entry, or a
 * change while the scenario runs); false when the defaults decide. */
bool sc_directory_right_assigned(const sc_directory *dir, const char *host,
				 const char *privilege);

/* Log account on at host as a process started by start: a primary token
 * with the user, Everyone, Authenticated Users (not for anonymous), the
 * logon group (INTERACTIVE for interactive, SERVICE for service and com,
 * BATCH for batch), Users, the account's groups (and Administrators when
 * listed there), and every privilege whose holders on host include the
 * user or one of its groups, enabled (P3). The rights are read now: a
 * later change does not reach this token (P4). Origin host = host,
 * boundaries 0, session = a new id. Unknown account: SC_LOGON_FAILURE. */
sc_status sc_directory_logon(const sc_directory *dir, const char *account,
			     const char *host, sc_start start,
			     sc_token **out, sc_log *log);

/* T6: the groups process p's definition holds deny-only
 * (deny_only_groups: as a filtered or restricted token) or optional and
 * disabled (disabled_groups) in its token t, made by sc_directory_logon;
 * each names a group t holds (the loader checked it is one of the
 * account's). The daemons and the authority apply it to the same logon.
 * SC_OK, or SC_NOT_FOUND when t lacks a group. */
sc_status sc_directory_group_states(const sc_directory *dir, sc_token *t,
				    const sc_process_def *p, sc_log *log);

/* A process's token as its definition makes it, from the logon t of its
 * account (sc_directory_logon): its group states (T6,
 * sc_directory_group_states), as a service its required privileges (P5:
 * the others removed, SeChangeNotifyPrivilege always kept, a listed one
 * the account lacks not granted) and its service SID (T13: with
 * service_sid unrestricted, NT SERVICE\<name>, enabled), its tickets
 * and integrity level (sc_directory_ticket_options). The daemons (at
 * start and restart) and the authority apply it to the same logon, so
 * both hold one token. SC_OK, or sc_directory_group_states' status. */
sc_status sc_directory_process_token(const sc_directory *dir, sc_token *t,
				     const sc_process_def *p, sc_log *log);

/* P5: whether service p's process token keeps privilege: always when p
 * is no service or lists no required privileges, and for
 * SeChangeNotifyPrivilege ("never removed from a process token"); else
 * when p lists it. */
bool sc_service_keeps(const sc_process_def *p, const char *privilege);

/* T13: the SID of the service named name, as Windows derives it (MS-LSAT
 * 3.1.1.1.2): S-1-5-80- and the five little-endian 32-bit words of the
 * SHA-1 of the name upper-cased in UTF-16LE (ASCII letters upper-cased;
 * others hashed as written). Written to out (len bytes,
 * SC_SERVICE_SID_MAX suffices). */
#define SC_SERVICE_SID_MAX 64
void sc_service_sid_of(const char *name, char *out, size_t len);

/* D1, D4: the tickets p's logon asks for (processes[].tickets): t, that
 * logon, is marked when they are not forwardable; T12: t takes the
 * integrity level p states (processes[].integrity), if any. The daemons and the
 * authority apply it to the same logon. */
void sc_directory_ticket_options(sc_token *t, const sc_process_def *p);

/* D6: the token a service on host obtains for account by protocol
 * transition (an S4U logon: no credential of the user): an impersonation
 * token of logon type NETWORK with the user's groups and the privileges
 * they hold on host now (P4: a new logon reads the current rights). The
 * caller sets its level and forwardability. */
sc_status sc_directory_s4u_logon(const sc_directory *dir, const char *account,
				 const char *host, sc_token **out,
				 sc_log *log);

/* P1, T4: LogonUser with account's password (explicit credentials), by
 * a process on host whose token is process: a primary token as
 * sc_directory_logon makes for an interactive logon, its privileges read
 * now (P4), of logon type EXPLICIT and in process's logon session (the
 * third exemption of P1 looks for both). No privilege is needed. A
 * well-known service account has no password: SC_LOGON_FAILURE. */
sc_status sc_directory_explicit_logon(const sc_directory *dir,
				      const sc_token *process,
				      const char *account, const char *host,
				      sc_token **out, sc_log *log);

/* D6: protocol transition by the service self (its process token, the
 * account it runs as and its host): the S4U logon of user on self's host,
 * at Impersonate when self's process holds SeTcbPrivilege (enabled), else
 * Identify; its ticket forwardable when self's account is trusted to
 * authenticate for delegation and user is not sensitive. The
 * `protocol_transition` step and the authority both call it. */
typedef struct sc_service_self {
	const sc_token *process; /* its process token */
	const char *account;     /* the account it runs as */
	const char *host;        /* where it runs */
} sc_service_self;

sc_status sc_directory_transition(const sc_directory *dir,
				  const sc_service_self *self,
				  const char *user, sc_token **out,
				  sc_log *log);

/* P4: a change of host's user-rights assignment made while the process
 * runs: privilege is now held by holders (principal names) at scope. It
 * reaches the logons made after it (sc_directory_logon, network tokens,
 * S4U logons), never a token built before. Safe to call while other
 * threads read the directory. Returns 0 or SC_ERR_*. */
int sc_directory_assign(sc_directory *dir, const char *host,
			const char *privilege, sc_scope scope,
			char *const *holders, unsigned count);

/* The token a server on host builds for an authenticated network caller
 * whose presented identity is client (user and groups as the client's
 * token carries them; the user's and groups' names from the directory
 * when it knows their SIDs), on the terms of the hop's binding (its
 * level, package and authentication level, as the server's token of its
 * caller records them): an impersonation token at level, logon type
 * NETWORK, with the client's user and groups less the logon-type groups
 * (INTERACTIVE, SERVICE, BATCH) plus NETWORK, the privileges the user or
 * its groups hold on host (P3), origin host and boundaries copied from
 * client, package and authn as given. */
typedef struct sc_binding {
	sc_level level;     /* the level the hop settled on */
	sc_package package; /* the package that authenticated the caller */
	sc_authn authn;     /* the hop's authentication level */
} sc_binding;

sc_status sc_directory_network_token(const sc_directory *dir,
				     const sc_token *client, const char *host,
				     const sc_binding *terms, sc_token **out,
				     sc_log *log);

/* T7: whether a server on to_host impersonating a client that called
 * from from_host gets the client's own token (one host: a named pipe,
 * local RPC as COM uses on one machine, or DDE; sc_directory_local_token)
 * rather than a network logon (another host;
 * sc_directory_network_token). The model's hop, the authority's rebuild
 * of a held token and the wire's check of a claim all ask it. */
bool sc_directory_keeps_client_token(const char *from_host,
				     const char *to_host);

/* T7: the token a server impersonating a client on its own host gets:
 * the client's own token (client: its user, groups with their
 * attributes, logon type and session, origin host; names from the
 * directory), at level, with client's privileges as far as claim still
 * holds them: a privilege claim lacks is dropped (effective-only), one
 * claim disabled is disabled; claim never adds one or enables one
 * client has disabled. claim may be client itself. Boundaries from
 * claim; package and authn as given. */
sc_status sc_directory_local_token(const sc_directory *dir,
				  const sc_token *client, const sc_token *claim,
				  const sc_binding *terms, sc_token **out,
				  sc_log *log);

/* D8: the computer account of host (DOMAIN\HOST$, in Domain Computers,
 * trusted for delegation when hosts[].trusted_for_delegation says so);
 * NULL for a workgroup host, which has none, or an unknown one. */
const sc_account_def *sc_directory_computer(const sc_directory *dir,
					    const char *host);

/* D1, D8: SYSTEM, NETWORK SERVICE or LOCAL SERVICE (a SID): an account
 * of a host, not of the domain. */
bool sc_directory_machine_identity(const char *sid);

/* D1: the account whose delegation settings a service running as account
 * on host has: for SYSTEM, NETWORK SERVICE and LOCAL SERVICE the host's
 * computer account (NULL on a workgroup host), else the domain account
 * (NULL for an unknown one). The model's hop (sc_exec.c) and the
 * authority's both judge trust for delegation by it. */
const sc_account_def *sc_directory_service_account(const sc_directory *dir,
						   const char *account,
						   const char *host);

/* D8: the identity who (a token a process on from_host presents)
 * authenticates as on to_host. On another host, SYSTEM and NETWORK
 * SERVICE are the computer account of from_host, with Everyone,
 * Authenticated Users and Domain Computers and no privilege; LOCAL
 * SERVICE, and a machine identity of a workgroup host (no computer
 * account), present anonymous credentials (ANONYMOUS LOGON, Everyone).
 * Then *out is a new token of who's type and level, its logon on
 * from_host; else (the same host, or another identity) *out is NULL and
 * nothing is logged. The caller (do_call) and the authority both call
 * it. SC_OK, or SC_INTERNAL out of memory. */
sc_status sc_directory_on_network(const sc_directory *dir,
				  const sc_token *who, const char *from_host,
				  const char *to_host, sc_token **out,
				  sc_log *log);

#endif
