/* sc_decide.h: the per-hop decisions: the level a call runs at (L1-L6,
 * D1-D3, D7, T8), whether a server may impersonate its caller (P1, P2)
 * and which identity a middle tier presents downstream (C1-C6).
 * Model only: no I/O, no gRPC. Every function appends the rule ids that
 * decided to the log, in the order they applied. */
#ifndef SC_DECIDE_H
#define SC_DECIDE_H

#include "sc_common.h"
#include "sc_scenario.h"
#include "sc_token.h"

/* Settings for points the spec leaves open (see docs/rules.md). */
typedef struct sc_policy {
	sc_status double_hop_status; /* C6: default SC_ACCESS_DENIED */
	sc_double_hop double_hop_outcome; /* C6: fail (the default) or
					     present ANONYMOUS LOGON */
	bool allow_primary_from_identify; /* T2 */
} sc_policy;

void sc_policy_from_settings(const sc_settings *s, sc_policy *out);

/* C1: is the blanket valid? cloaking "both", cloaking with Schannel, or an
 * explicit identity with cloaking: SC_INVALID_BLANKET. */
sc_status sc_blanket_validate(const sc_blanket *b, sc_log *log);

/* Client side, L6: the level a client asks for when its blanket sets none
 * (a COM client: its host's default, Identify unless the host says
 * otherwise, but Impersonate in a COM+ server application, com_plus; a
 * named-pipe, RPC or DDE client: Impersonate); N2: a pipe client's level
 * counts only with the SQOS flags. */
sc_level sc_blanket_level_asked(const sc_blanket *b,
				const sc_host_def *client_host, bool com_plus,
				sc_log *log);
/* The authentication level the client asks (default: Connect) and its
 * package (default: Kerberos when both hosts are in the domain, else
 * NTLM). */
sc_authn sc_blanket_authn_asked(const sc_blanket *b);
sc_package sc_blanket_package(const sc_blanket *b, bool all_in_domain);

/* What the server side knows of a hop when it accepts it. */
typedef struct sc_hop_facts {
	sc_level asked;          /* after L6 */
	sc_authn client_authn;
	sc_authn server_authn;
	sc_package package;
	sc_transport transport;
	bool crossed;            /* caller's host differs from the callee's */
	bool all_in_domain;      /* both hosts are domain members */
	bool client_sensitive;   /* the presented account cannot be
				    delegated: sensitive or in Protected
				    Users (D1) */
	bool client_protected;   /* it is in Protected Users (D1's note) */
	bool client_unforwardable; /* its logon asked for tickets that are
				      not forwardable (D1) */
	bool server_trusted;     /* the callee's account (D1, D7) */
	bool server_computer;    /* that account is its host's computer
				    account: it runs as a machine identity */
	bool presented_is_thread;/* the caller presents an impersonation token */
	sc_level presented_level;/* its level, when presented_is_thread */
} sc_hop_facts;

typedef struct sc_hop_outcome {
	sc_authn authn;          /* T8: max of client's and server's */
	sc_level level;          /* the level the callee's token gets */
	bool authenticated;      /* false: authn None, no identity (T8) */
	bool delegable;          /* the identity may cross further hosts */
} sc_hop_outcome;

/* Server side: the effective level of a hop. T8 (authn), D7 (a pipe, RPC
 * or DDE connection across hosts ignores the level flags), else L2
 * (Anonymous across hosts -> Identify, a warning), D3
 * (Schannel caps at Impersonate; NTLM never crosses hosts as Delegate),
 * D1/D2 (Delegate needs all conditions, else Impersonate naming the
 * failed one), T2 (a presented impersonation token cannot be raised). */
void sc_hop_negotiate(const sc_hop_facts *f, sc_hop_outcome *out,
		      sc_log *log);

/* P1, P2, L1, T8: the server thread impersonates its caller. client is
 * the token built for the caller (NULL when the call was not
 * authenticated: SC_CANNOT_IMPERSONATE, T8). On SC_OK *thread is a new
 * impersonation token: the client's at its level, the anonymous token at
 * Anonymous, or a copy at Identify when P1 fails (P2, a warning). */
sc_status sc_impersonate(const sc_token *process, const sc_token *client,
			 sc_token **thread, sc_log *log);

/* The state of one proxy (a middle tier's reference to a callee): what a
 * static proxy captured (C3). Protected by the caller. */
typedef struct sc_proxy {
	char target[64];
	sc_token *captured;      /* NULL until captured */
	bool has_blanket;        /* a set_blanket step succeeded */
	sc_blanket blanket;      /* the whole blanket it set (C1 judged it) */
	unsigned calls;          /* calls made through it */
	unsigned captured_call;  /* C3: the call (1-based) that captured;
				    0: its set_blanket step did */
	/* C6 with settings.double_hop_outcome anonymous: what the last call
	 * presented (ANONYMOUS LOGON, a null session) in place of the
	 * identity it could not carry (replaced, a copy); NULL otherwise. */
	sc_token *anonymous;
	sc_token *replaced;
} sc_proxy;

void sc_proxy_release(sc_proxy *p);

/* C3: CoSetProxyBlanket on a static proxy captures the identity now. */
int sc_proxy_capture(sc_proxy *p, const sc_token *process,
		     const sc_token *thread, sc_log *log);

/* C2-C6: which identity a call through proxy presents. process is the
 * caller's primary token, thread its current thread token (NULL when not
 * impersonating). On SC_OK *presented points at process, thread or the
 * proxy's captured token (not a copy) and *boundaries is how many host
 * boundaries that identity will have crossed at the callee. C5: a thread
 * token at Identify or Anonymous cannot be cloaked
 * (SC_BAD_IMPERSONATION_LEVEL). C6: more boundaries than the identity's
 * level allows (Impersonate: one, and only from the host that holds its
 * credentials, L4; Delegate with a delegable identity: any, L5) fails
 * with policy->double_hop_status, unless constrained delegation lets the
 * middle tier present the client to that target, in the KDC's order
 * (MS-SFU 3.2.5.2): the middle tier's own list first (D4 grants when it
 * names the target and the client's ticket is forwardable); else, when
 * the target's account lists accounts allowed to act, that list decides
 * (D5: NOT_FOUND when not listed, no forwardable ticket needed); else D4
 * alone (NO_MATCH when the target is not listed, NOT_SUPPORTED when the
 * client's ticket is not forwardable). */
/* What constrained delegation needs to know (D4, D5): the accounts of the
 * middle tier, of its target and of the client it presents. Any may be
 * NULL (a well-known account, or none configured). With dir set, the
 * client is the account of the identity the call presents, looked up
 * there when it is chosen (static cloaking may present another than the
 * thread's); client is then not read. */
typedef struct sc_delegation {
	const sc_account_def *self;
	const sc_account_def *target;
	const sc_account_def *client;
	const struct sc_directory *dir;
	const char *target_spn; /* the SPN the call names the target by
	                           (processes[].spn), or NULL: its account */
} sc_delegation;

/* A hop as sc_cloak_choose judges it. The caller (sc_exec.c) and the
 * authority (authority_ticket.c, before it mints a ticket) fill it the
 * same way: sc_cloak_input_init gives the accounts, the blanket carries
 * the call's facts (level asked, authentication, package, transport) and
 * cloaking. The authority's tokens are rebuilt from the credential and
 * the evidence it verified, never taken from the caller. */
typedef struct sc_cloak_input {
	const sc_blanket *blanket;
	const sc_token *process;  /* the middle tier's primary token */
	const sc_token *thread;   /* its thread token, or NULL */
	const char *my_host, *target_host;
	const sc_policy *policy;
	sc_delegation deleg;
} sc_cloak_input;

/* in's delegation inputs from the directory: the middle tier's and the
 * target's accounts (by name; for a machine identity its host's computer
 * account, from in->my_host and in->target_host, which the caller sets
 * first) and the SPN the call names the target by (NULL: its account);
 * the client is whom the call presents (looked up by its SID in dir).
 * The other fields are the caller's. */
void sc_cloak_input_init(sc_cloak_input *in, const struct sc_directory *dir,
			 const char *self_account, const char *target_account,
			 const char *target_spn);

/* Which identity a call presents (C1-C6) and the host boundaries it
 * crosses with it (L4, L5, D3-D6). SC_OK with *presented and *boundaries,
 * or the status the call fails with and *presented NULL; when the
 * identity chosen could not cross (C6, D3-D6), *boundaries is what it
 * would have crossed, so that the failed hop's facts agree with the
 * decision; otherwise 0. chosen (NULL: not wanted) is the identity the
 * cloaking chose (C2-C4, T7) before C5, C6 and D3-D6 judged it, also
 * when they refuse the call: what it would have presented; NULL when
 * the blanket is invalid (C1), as nothing was chosen. */
sc_status sc_cloak_choose(const sc_cloak_input *in, sc_proxy *proxy,
			  const sc_token **presented, const sc_token **chosen,
			  unsigned *boundaries, sc_log *log);

/* L1, L3, T4: may a thread open a securable object with its current
 * token? A thread with no token uses the process token (SC_OK). An
 * Anonymous or Identify thread token: SC_BAD_IMPERSONATION_LEVEL. */
sc_status sc_open_allowed(const sc_token *thread, sc_log *log);

#endif
