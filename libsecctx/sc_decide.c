/* sc_decide.c: per-hop decisions: levels (L, D, T8), who may impersonate
 * (P1, P2) and which identity a middle tier presents (C1-C6). The code
 * follows each rule's wording in order; every branch logs its rule id.
 * Model only: no I/O, no gRPC. */
#include "sc_decide.h"
#include "sc_directory.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void sc_policy_from_settings(const sc_settings *s, sc_policy *out)
{
	out->double_hop_status = SC_ACCESS_DENIED;
	out->allow_primary_from_identify = false;
	out->double_hop_outcome = SC_DOUBLE_HOP_FAIL;
	if (!s)
		return;
	out->double_hop_outcome = s->double_hop_outcome;
	sc_status st;
	if (s->double_hop_status &&
	    sc_status_parse(s->double_hop_status, &st) == 0)
		out->double_hop_status = st;
	out->allow_primary_from_identify = s->allow_primary_from_identify;
}

sc_status sc_blanket_validate(const sc_blanket *b, sc_log *log)
{
	/* C1: none, static or dynamic; both flags is an invalid blanket. */
	if (b->cloaking == SC_CLOAK_BOTH) {
		sc_log_rule(log, "C1",
			    "static and dynamic cloaking both set: invalid "
			    "blanket");
		return SC_INVALID_BLANKET;
	}
	/* C1 with D3: Schannel supports no cloaking. D3 states the
	 * limit; C1, last, decides the refusal. */
	if (b->cloaking != SC_CLOAK_NONE &&
	    b->package == SC_PACKAGE_SCHANNEL) {
		sc_log_rule(log, "D3",
			    "Schannel supports no cloaking: %s cloaking cannot "
			    "be used with it",
			    sc_cloaking_name(b->cloaking));
		sc_log_rule(log, "C1", "cloaking with Schannel: invalid blanket");
		return SC_INVALID_BLANKET;
	}
	/* C1: an explicit identity on the proxy excludes cloaking. */
	if (b->cloaking != SC_CLOAK_NONE && b->identity && *b->identity) {
		sc_log_rule(log, "C1",
			    "explicit identity '%s' on the proxy together with "
			    "%s cloaking: invalid blanket",
			    b->identity, sc_cloaking_name(b->cloaking));
		return SC_INVALID_BLANKET;
	}
	return SC_OK;
}

sc_level sc_blanket_level_asked(const sc_blanket *b,
				const sc_host_def *client_host, bool com_plus,
				sc_log *log)
{
	if (b->transport == SC_TRANSPORT_PIPE) {
		/* N2: a pipe client sets the level with the SQOS flags when
		 * it opens the pipe; without SECURITY_SQOS_PRESENT the level
		 * bits are ignored. */
		if (b->level != SC_LEVEL_DEFAULT && b->sqos) {
			sc_log_rule(log, "N2",
				    "named-pipe client opens the pipe with "
				    "SECURITY_SQOS_PRESENT: %s",
				    sc_level_name(b->level));
			return b->level;
		}
		if (b->level != SC_LEVEL_DEFAULT)
			sc_log_rule(log, "N2",
				    "named-pipe client asks %s without "
				    "SECURITY_SQOS_PRESENT: the level flags "
				    "are ignored, Impersonate",
				    sc_level_name(b->level));
		else
			/* L6: named-pipe, RPC and DDE clients default to
			 * Impersonate. */
			sc_log_rule(log, "L6",
				    "no level set on a named-pipe client: "
				    "Impersonate");
		return SC_LEVEL_IMPERSONATE;
	}
	if (b->level != SC_LEVEL_DEFAULT)
		return b->level;
	if (b->transport == SC_TRANSPORT_RPC ||
	    b->transport == SC_TRANSPORT_DDE) {
		/* L6: RPC and DDE clients default to Impersonate. */
		sc_log_rule(log, "L6", "no level set on an %s client: "
				       "Impersonate",
			    b->transport == SC_TRANSPORT_RPC ? "RPC" : "DDE");
		return SC_LEVEL_IMPERSONATE;
	}
	/* L6: a COM+ server application defaults to Impersonate (the
	 * application's own setting, not the machine-wide default). */
	if (com_plus) {
		sc_log_rule(log, "L6",
			    "no level set on a COM+ server application: "
			    "Impersonate, the COM+ default");
		return SC_LEVEL_IMPERSONATE;
	}
	/* L6: a COM client uses its host's default, Identify unless the
	 * host says otherwise. */
	sc_level l = SC_LEVEL_IDENTIFY;
	if (client_host && client_host->default_level != SC_LEVEL_DEFAULT)
		l = client_host->default_level;
	sc_log_rule(log, "L6",
		    "no level set on a COM client: host %s default, %s",
		    client_host ? client_host->name : "?", sc_level_name(l));
	return l;
}

sc_authn sc_blanket_authn_asked(const sc_blanket *b)
{
	return b->authn == SC_AUTHN_DEFAULT ? SC_AUTHN_CONNECT : b->authn;
}

sc_package sc_blanket_package(const sc_blanket *b, bool all_in_domain)
{
	if (b->package != SC_PACKAGE_DEFAULT)
		return b->package;
	return all_in_domain ? SC_PACKAGE_KERBEROS : SC_PACKAGE_NTLM;
}

/* D1, in the rule's order; returns the failed condition or NULL. */
static const char *d1_failed(const sc_hop_facts *f)
{
	if (f->client_sensitive)
		return f->client_protected
			       ? "the client account is in Protected Users "
				 "and cannot be delegated"
			       : "the client account is sensitive and cannot "
				 "be delegated";
	if (f->client_unforwardable)
		return "the client's ticket is not forwardable (its logon "
		       "asked for none)";
	if (!f->server_trusted)
		return f->server_computer
			       ? "the server runs as a machine identity and its "
				 "host's computer account is not trusted for "
				 "delegation"
			       : "the server account is not trusted for "
				 "delegation";
	if (!f->all_in_domain)
		return "a host is not in the domain";
	if (f->package != SC_PACKAGE_KERBEROS)
		return "the package is not Kerberos";
	return NULL;
}

/* T8: the call runs at the higher of the two authentication levels; at
 * None nobody is authenticated and nobody can be impersonated (false,
 * out's level Anonymous). */
static sc_authn client_authn_of(const sc_hop_facts *f)
{
	return f->client_authn == SC_AUTHN_DEFAULT ? SC_AUTHN_CONNECT
						   : f->client_authn;
}

/* A server that sets no minimum: none (docs/rules.md). */
static sc_authn server_authn_of(const sc_hop_facts *f)
{
	return f->server_authn == SC_AUTHN_DEFAULT ? SC_AUTHN_NONE
						   : f->server_authn;
}

/* T8: RPC authentication levels are a setting of COM and RPC bindings;
 * a named pipe opened with CreateFile has none: its client is
 * authenticated by its logon, whatever `authn` or `server_authn` say,
 * and its level comes from the pipe's SQOS (N2). Either side's level,
 * when set, is ignored with a note; the hop reports `connect`, as a pipe
 * client that sets none. */
static bool pipe_ignores_authn(const sc_hop_facts *f)
{
	return f->transport == SC_TRANSPORT_PIPE &&
	       (f->client_authn != SC_AUTHN_DEFAULT ||
		f->server_authn != SC_AUTHN_DEFAULT);
}

static bool negotiate_authn(const sc_hop_facts *f, sc_hop_outcome *out,
			    sc_log *log)
{
	if (f->transport == SC_TRANSPORT_PIPE) {
		out->authn = SC_AUTHN_CONNECT;
		out->authenticated = true;
		if (!pipe_ignores_authn(f))
			return true;
		bool c = f->client_authn != SC_AUTHN_DEFAULT;
		bool s = f->server_authn != SC_AUTHN_DEFAULT;
		sc_log_rule(log, "T8",
			    "named pipe: authentication levels do not apply "
			    "to a pipe (%s%s%s%s%s ignored): the client is "
			    "authenticated by its logon, at the level its "
			    "SQOS sets (N2)",
			    c ? "client " : "",
			    c ? sc_authn_name(f->client_authn) : "",
			    c && s ? ", " : "", s ? "server " : "",
			    s ? sc_authn_name(f->server_authn) : "");
		return true;
	}
	sc_authn ca = client_authn_of(f);
	sc_authn sa = server_authn_of(f);
	out->authn = ca > sa ? ca : sa;
	if (out->authn == SC_AUTHN_NONE) {
		out->authenticated = false;
		out->level = SC_LEVEL_ANONYMOUS;
		sc_log_warn(log, "T8",
			    "authentication level none: the caller is not "
			    "authenticated and cannot be impersonated");
		return false;
	}
	out->authenticated = true;
	if (sa > ca)
		sc_log_rule(log, "T8",
			    "authentication level %s (client %s, server %s: "
			    "the higher wins)",
			    sc_authn_name(out->authn), sc_authn_name(ca),
			    sc_authn_name(sa));
	return true;
}

/* What the level in effect lets the server do (L1, L3, L4, L5). */
static void log_level(sc_level l, bool delegable, sc_log *log)
{
	if (l == SC_LEVEL_ANONYMOUS)
		sc_log_rule(log, "L1",
			    "Anonymous: the server learns nothing about the "
			    "client");
	else if (l == SC_LEVEL_IDENTIFY)
		sc_log_rule(log, "L3",
			    "Identify: the server may query the client's "
			    "identity but not act as it");
	else if (l == SC_LEVEL_IMPERSONATE)
		sc_log_rule(log, "L4",
			    "Impersonate: the server may act as the client on "
			    "its own host");
	else if (l == SC_LEVEL_DELEGATE && delegable)
		sc_log_rule(log, "L5",
			    "Delegate: the identity may cross further hosts");
}

void sc_hop_negotiate(const sc_hop_facts *f, sc_hop_outcome *out,
		      sc_log *log)
{
	memset(out, 0, sizeof(*out));

	if (!negotiate_authn(f, out, log))
		return;
	sc_level l = f->asked;
	bool d7 = f->crossed && (f->transport == SC_TRANSPORT_PIPE ||
				 f->transport == SC_TRANSPORT_RPC ||
				 f->transport == SC_TRANSPORT_DDE);

	if (d7) {
		/* D7: across hosts, a named pipe, RPC or DDE connection
		 * ignores the client's level flags (Anonymous included: L2
		 * has nothing to promote). */
		l = f->server_trusted ? SC_LEVEL_DELEGATE
				      : SC_LEVEL_IMPERSONATE;
		sc_log_rule(log, "D7",
			    "%s across hosts: level flags ignored, %s (server "
			    "account %strusted for delegation)",
			    f->transport == SC_TRANSPORT_PIPE  ? "named pipe"
			    : f->transport == SC_TRANSPORT_RPC ? "RPC"
							       : "DDE",
			    sc_level_name(l), f->server_trusted ? "" : "not ");
	} else if (l == SC_LEVEL_ANONYMOUS && f->crossed) {
		/* L2: Anonymous across hosts is promoted to Identify,
		 * silently. */
		l = SC_LEVEL_IDENTIFY;
		sc_log_warn(log, "L2",
			    "Anonymous asked on a call that crosses hosts: "
			    "promoted to Identify");
	}

	/* D3: Schannel gives Impersonate at most. */
	if (f->package == SC_PACKAGE_SCHANNEL && l > SC_LEVEL_IMPERSONATE) {
		l = SC_LEVEL_IMPERSONATE;
		sc_log_rule(log, "D3", "Schannel: Impersonate at most");
	}

	/* D3: NTLM delegates between processes of one host: the level
	 * stays Delegate on a hop that crosses nothing, and the identity
	 * never crosses hosts on its strength (not delegable). D1's
	 * conditions are the domain's, for Kerberos. */
	if (l == SC_LEVEL_DELEGATE && f->package == SC_PACKAGE_NTLM &&
	    !f->crossed) {
		sc_log_rule(log, "D3",
			    "NTLM on one host: Delegate holds between its "
			    "processes; the identity never crosses hosts on "
			    "it");
	} else if (l == SC_LEVEL_DELEGATE) {
		/* D1/D2: Delegate holds only when every condition does. */
		const char *why = d1_failed(f);
		if (why) {
			l = SC_LEVEL_IMPERSONATE;
			if (f->package == SC_PACKAGE_NTLM)
				sc_log_rule(log, "D3",
					    "NTLM: delegation never crosses "
					    "hosts");
			sc_log_rule(log, "D2",
				    "Delegate asked but %s: Impersonate", why);
		} else {
			out->delegable = true;
			sc_log_rule(log, "D1",
				    "Delegate holds: client not sensitive, "
				    "server trusted for delegation%s, domain "
				    "hosts, Kerberos",
				    f->server_computer
					    ? " (its host's computer account)"
					    : "");
		}
	}

	/* T2: a presented impersonation token cannot be raised above its
	 * own level. */
	if (f->presented_is_thread && f->presented_level != SC_LEVEL_DEFAULT &&
	    l > f->presented_level) {
		sc_log_rule(log, "T2",
			    "the presented token is at %s: the hop cannot "
			    "raise it to %s",
			    sc_level_name(f->presented_level), sc_level_name(l));
		l = f->presented_level;
		out->delegable = out->delegable && l == SC_LEVEL_DELEGATE;
	}

	out->level = l;
	log_level(l, out->delegable, log);
	/* T8: the client's level decided the authentication level (the
	 * server's raise is noted first, in negotiate_authn); noted last,
	 * after the level, which it does not change. */
	if (server_authn_of(f) <= client_authn_of(f) && !pipe_ignores_authn(f))
		sc_log_rule(log, "T8",
			    "authentication level %s: the client's level "
			    "decides (the server %s%s)",
			    sc_authn_name(out->authn),
			    f->server_authn == SC_AUTHN_DEFAULT ? "sets no "
								  "minimum"
								: "asks ",
			    f->server_authn == SC_AUTHN_DEFAULT
				    ? ""
				    : sc_authn_name(f->server_authn));
}

sc_status sc_impersonate(const sc_token *process, const sc_token *client,
			 sc_token **thread, sc_log *log)
{
	*thread = NULL;
	/* T8: an unauthenticated caller cannot be impersonated. */
	if (!client) {
		sc_log_rule(log, "T8",
			    "the call is not authenticated: impersonation "
			    "fails");
		return SC_CANNOT_IMPERSONATE;
	}
	sc_level l = sc_token_level_raw(client);

	/* L1: at Anonymous the thread gets the anonymous identity. */
	if (l == SC_LEVEL_ANONYMOUS) {
		*thread = sc_token_new_anonymous(SC_LEVEL_ANONYMOUS);
		if (!*thread)
			return SC_INTERNAL;
		sc_log_rule(log, "L1",
			    "Anonymous: the thread impersonates %s",
			    SC_ANONYMOUS_NAME);
		return SC_OK;
	}

	/* P1: impersonating at Impersonate or Delegate needs one of the
	 * four conditions; below Impersonate it is always allowed. */
	const char *why = NULL;
	if (l < SC_LEVEL_IMPERSONATE)
		why = "the level is below Impersonate";
	else if (sc_token_privilege_enabled(process, SC_PRIV_IMPERSONATE))
		why = "the server holds SeImpersonatePrivilege";
	else if (strcmp(sc_token_user_sid(process),
			sc_token_user_sid(client)) == 0)
		why = "the client is the server process's own user";
	else if (sc_token_logon(client) == SC_LOGON_EXPLICIT &&
		 sc_token_session(client) == sc_token_session(process))
		why = "the client token came from an explicit logon in the "
		      "server's logon session";

	if (why) {
		*thread = sc_token_copy(client);
		if (!*thread)
			return SC_INTERNAL;
		sc_log_rule(log, "P1", "impersonates %s at %s: %s",
			    sc_token_user_name(client), sc_level_name(l), why);
		return SC_OK;
	}

	/* P1 failed, the check that decides P2: none of its four
	 * conditions holds. */
	sc_log_rule(log, "P1",
		    "%s may not impersonate %s at %s: it lacks "
		    "SeImpersonatePrivilege, the client is not its own user, "
		    "and the token is not from an explicit logon in its "
		    "logon session",
		    sc_token_user_name(process), sc_token_user_name(client),
		    sc_level_name(l));
	/* P2: the silent downgrade: success, but at Identify. */
	*thread = sc_token_copy(client);
	if (!*thread)
		return SC_INTERNAL;
	sc_token_set_level(*thread, SC_LEVEL_IDENTIFY);
	sc_token_set_delegable(*thread, false);
	sc_log_warn(log, "P2",
		    "%s lacks SeImpersonatePrivilege and no P1 exemption "
		    "applies: the thread token for %s is downgraded from %s "
		    "to Identify",
		    sc_token_user_name(process), sc_token_user_name(client),
		    sc_level_name(l));
	return SC_OK;
}

void sc_proxy_release(sc_proxy *p)
{
	sc_token_free(p->captured);
	p->captured = NULL;
	sc_token_free(p->anonymous);
	p->anonymous = NULL;
	sc_token_free(p->replaced);
	p->replaced = NULL;
}

/* Keep a copy of the identity a static proxy (C3) or a statically
 * tracked pipe connection (T7) presents from now on; on_call: the call
 * about to be made captures (else a set_blanket step). */
static int capture(sc_proxy *p, const sc_token *process,
		   const sc_token *thread, bool pipe, bool on_call, sc_log *log)
{
	const sc_token *who = thread ? thread : process;
	sc_token *copy = sc_token_copy(who);
	if (!copy)
		return SC_ERR_NOMEM;
	sc_token_free(p->captured);
	p->captured = copy;
	p->captured_call = on_call ? p->calls + 1 : 0;
	if (pipe)
		sc_log_rule(log, "T7",
			    "static tracking: the pipe to %s snapshots %s (%s "
			    "token) as it connects",
			    p->target, sc_token_user_name(who),
			    thread ? "thread" : "process");
	else if (on_call)
		sc_log_rule(log, "C3",
			    "static cloaking: the proxy to %s captures %s (%s "
			    "token) on its call %u",
			    p->target, sc_token_user_name(who),
			    thread ? "thread" : "process", p->captured_call);
	else
		sc_log_rule(log, "C3",
			    "static cloaking: the proxy to %s captures %s (%s "
			    "token) as its blanket is set",
			    p->target, sc_token_user_name(who),
			    thread ? "thread" : "process");
	return 0;
}

int sc_proxy_capture(sc_proxy *p, const sc_token *process,
		     const sc_token *thread, sc_log *log)
{
	return capture(p, process, thread, false, false, log);
}

static bool listed(char **names, unsigned n, const char *name)
{
	for (unsigned i = 0; name && i < n; i++)
		if (strcasecmp(names[i], name) == 0)
			return true;
	return false;
}

/* D4's evidence (MS-SFU 3.2.5.2): S4U2Proxy under classic constrained
 * delegation needs the client's Kerberos ticket to the middle tier, and
 * that ticket forwardable. What the middle tier holds: */
typedef enum d4_evidence {
	D4_FORWARDABLE,        /* the client's forwardable ticket */
	D4_BY_TRANSITION,      /* an NTLM sign-in: protocol transition
				  (D6) gives a forwardable ticket */
	D4_NTLM_KERBEROS_ONLY, /* an NTLM sign-in, no transition: none */
	D4_NTLM_SENSITIVE,     /* an NTLM sign-in: transition gives a
				  ticket that is not forwardable */
	D4_TRANSITION_UNFORWARDABLE, /* a transition token's ticket is not
					forwardable (D6) */
	D4_SENSITIVE,          /* a sensitive client's ticket is not
				  forwardable */
	D4_UNFORWARDABLE,      /* the client asked for tickets that are
				  not forwardable (processes[].tickets) */
} d4_evidence;

static d4_evidence d4_evidence_of(const sc_delegation *d, const sc_token *who)
{
	bool transition = sc_token_from_transition(who);
	if (!transition && sc_token_package(who) == SC_PACKAGE_NTLM) {
		/* An NTLM logon left no Kerberos ticket. "Use any
		 * authentication protocol" gets one by protocol transition
		 * (S4U2Self, D6); "Kerberos only" cannot. */
		if (!d->self->trusted_to_auth_for_delegation)
			return D4_NTLM_KERBEROS_ONLY;
		if (sc_account_not_delegated(d->client))
			return D4_NTLM_SENSITIVE;
		return D4_BY_TRANSITION;
	}
	if (transition && !sc_token_forwardable(who))
		return D4_TRANSITION_UNFORWARDABLE;
	if (!transition && sc_account_not_delegated(d->client))
		return D4_SENSITIVE;
	if (!transition && sc_token_unforwardable(who))
		return D4_UNFORWARDABLE;
	return D4_FORWARDABLE;
}

static bool d4_usable(d4_evidence e)
{
	return e == D4_FORWARDABLE || e == D4_BY_TRANSITION;
}

/* Why D4 cannot use the evidence e, in a few words (a note holds
 * SC_NOTE_TEXT bytes): D4's own note, or D5's when D5 decides after D4
 * did not grant. */
static void d4_why_not(d4_evidence e, const sc_delegation *d,
		       const sc_token *who, char *out, size_t n)
{
	const char *user = sc_token_user_name(who);
	switch (e) {
	case D4_NTLM_KERBEROS_ONLY:
		snprintf(out, n,
			 "%s signed in with NTLM and %s is Kerberos only: no "
			 "evidence ticket",
			 user, d->self->name);
		break;
	case D4_NTLM_SENSITIVE:
		snprintf(out, n,
			 "%s signed in with NTLM, and is %s: no "
			 "forwardable ticket",
			 user, sc_account_not_delegated_why(d->client));
		break;
	case D4_TRANSITION_UNFORWARDABLE:
		snprintf(out, n,
			 "the ticket from protocol transition is not "
			 "forwardable");
		break;
	case D4_SENSITIVE:
		snprintf(out, n, "%s is %s: its ticket is not "
				 "forwardable",
			 user, sc_account_not_delegated_why(d->client));
		break;
	case D4_UNFORWARDABLE:
		snprintf(out, n, "%s's ticket is not forwardable (its logon "
				 "asked for none)",
			 user);
		break;
	default:
		snprintf(out, n, "%s", "");
		break;
	}
}

/* The service the call asks for, in a note: its SPN and account
 * ("MSSQLSvc/db1:1433 of svc-c"), or its account. */
static void service_name(const sc_delegation *d, char *out, size_t n)
{
	if (d->target_spn)
		snprintf(out, n, "%s of %s", d->target_spn, d->target->name);
	else
		snprintf(out, n, "%s", d->target->name);
}

/* D4: does the middle tier's list (msDS-AllowedToDelegateTo) name the
 * service the call asks for? The KDC compares the SPN of the S4U2Proxy
 * request with the list (MS-SFU 3.2.5.2.2): another SPN of the same
 * account does not match; an account entry stands for all its SPNs. */
static const char *d4_listed(const sc_delegation *d)
{
	return sc_delegation_listed(d->self->allowed_to_delegate_to,
				    d->self->allowed_to_delegate_to_count,
				    d->target, d->target_spn);
}

/* D4: the middle tier's own list of services, with the evidence it
 * holds. */
static sc_status d4(const sc_delegation *d, const char *target,
		    const sc_token *who, sc_log *log)
{
	char svc[SC_NOTE_TEXT];
	service_name(d, svc, sizeof(svc));
	if (!d4_listed(d)) {
		sc_log_rule(log, "D4",
			    "constrained delegation: %s may delegate "
			    "only to its listed services, not to %s (%s)",
			    d->self->name, target, svc);
		return SC_NO_MATCH;
	}
	d4_evidence e = d4_evidence_of(d, who);
	/* D6: what protocol transition gave, or would give. */
	if (e == D4_NTLM_SENSITIVE)
		sc_log_rule(log, "D6",
			    "protocol transition for %s, signed in with NTLM: "
			    "the ticket of a sensitive account is not "
			    "forwardable",
			    d->client->name);
	else if (e == D4_TRANSITION_UNFORWARDABLE)
		sc_log_rule(log, "D6",
			    "the ticket %s obtained for %s by protocol "
			    "transition is not forwardable",
			    d->self->name, sc_token_user_name(who));
	else if (e == D4_BY_TRANSITION)
		sc_log_rule(log, "D6",
			    "%s signed in with NTLM: %s, trusted to "
			    "authenticate for delegation, obtains a "
			    "forwardable ticket for it by protocol "
			    "transition",
			    sc_token_user_name(who), d->self->name);
	if (!d4_usable(e)) {
		char why[SC_NOTE_TEXT];
		d4_why_not(e, d, who, why, sizeof(why));
		sc_log_rule(log, "D4",
			    "constrained delegation: %s lists %s, but %s: the "
			    "call fails",
			    d->self->name, svc, why);
		return SC_NOT_SUPPORTED;
	}
	sc_log_rule(log, "D4",
		    "constrained delegation: %s lists %s; the client's "
		    "ticket is forwardable",
		    d->self->name, svc);
	return SC_OK;
}

/* D5: resource-based, on the target's account (which lists accounts
 * allowed to act for others), judged when D4 did not grant: d4_not says
 * why, for the note. */
static sc_status d5(const sc_delegation *d, d4_evidence ev,
		    const char *d4_not, sc_log *log)
{
	if (listed(d->target->allowed_to_act,
		   d->target->allowed_to_act_count, d->self->name)) {
		/* S4U2Proxy takes a ticket that is not forwardable
		 * only for a client that is not sensitive (MS-SFU
		 * 3.1.5.2.1); a sensitive client's never is. */
		if (sc_account_not_delegated(d->client)) {
			sc_log_rule(log, "D5",
				    "D4 did not grant (%s); resource-based "
				    "delegation: %s lists %s, but %s is "
				    "%s: the call fails",
				    d4_not, d->target->name, d->self->name,
				    d->client->name,
				    sc_account_not_delegated_why(d->client));
			return SC_NOT_SUPPORTED;
		}
		/* Say why the ticket D4 could not use serves here: the
		 * KDC takes a ticket that is not forwardable for
		 * resource-based delegation (MS-SFU 3.1.5.2.1). */
		if (ev == D4_FORWARDABLE || ev == D4_BY_TRANSITION)
			sc_log_rule(log, "D5",
				    "D4 did not grant (%s); resource-based "
				    "delegation: %s lists %s",
				    d4_not, d->target->name, d->self->name);
		else
			sc_log_rule(log, "D5",
				    "D4 did not grant (%s); resource-based "
				    "delegation: %s lists %s, and it accepts "
				    "%s that is not forwardable for a client "
				    "that is not sensitive (MS-SFU 3.1.5.2.1)",
				    d4_not, d->target->name, d->self->name,
				    ev == D4_UNFORWARDABLE
					    ? "the client's ticket"
					    : "an S4U2self ticket");
		return SC_OK;
	}
	sc_log_rule(log, "D5",
		    "D4 did not grant (%s); resource-based delegation: %s "
		    "does not list %s",
		    d4_not, d->target->name, d->self->name);
	return SC_NOT_FOUND;
}

/* D4, D5: constrained delegation, when configured, in the KDC's order
 * (MS-SFU 3.2.5.2): classic first, when the middle tier lists the target
 * and holds forwardable evidence (D4 grants); else, when the target
 * lists accounts allowed to act, resource-based (D5 decides); else D4
 * alone. Returns SC_OK when it lets the middle tier present the client,
 * a failure status when it is configured and refuses, or SC_NOT_FOUND
 * with *applies false when neither is configured. */
static sc_status constrained(const sc_delegation *dg, const char *target,
			     const sc_token *who, bool *applies,
			     const char **by, sc_log *log)
{
	*applies = false;
	*by = "D4";
	if (!dg || !dg->self || !dg->target)
		return SC_NOT_FOUND;
	/* D4, D5 judge the identity presented (who): under static cloaking
	 * it is the one captured, not the thread's. */
	sc_delegation judged = *dg;
	if (dg->dir)
		judged.client = sc_directory_account_by_sid(
			dg->dir, sc_token_user_sid(who));
	const sc_delegation *d = &judged;
	bool d4_lists = d4_listed(d) != NULL;
	char svc[SC_NOTE_TEXT];
	service_name(d, svc, sizeof(svc));
	d4_evidence ev = d4_evidence_of(d, who);
	if (d4_lists && d4_usable(ev)) {
		/* D4 first: the target's own list is not read. */
		*applies = true;
		return d4(d, target, who, log);
	}
	if (d->target->allowed_to_act_count > 0) {
		*applies = true;
		*by = "D5";
		char why[3 * SC_NOTE_TEXT];
		if (d4_lists) {
			char ev_why[SC_NOTE_TEXT];
			d4_why_not(ev, d, who, ev_why, sizeof(ev_why));
			snprintf(why, sizeof(why), "%s lists %s, but %s",
				 d->self->name, svc, ev_why);
		} else {
			snprintf(why, sizeof(why),
				 d->self->allowed_to_delegate_to_count
					 ? "%s does not list %s"
					 : "%s lists no service, %s "
					   "included",
				 d->self->name, svc);
		}
		return d5(d, ev, why, log);
	}
	if (d->self->allowed_to_delegate_to_count > 0) {
		*applies = true;
		return d4(d, target, who, log);
	}
	return SC_NOT_FOUND;
}

/* C6 with settings.double_hop_outcome anonymous: the middle tier holds no
 * credentials of who to send, and the call goes through with none (a null
 * session): the callee sees ANONYMOUS LOGON. */
static sc_status as_anonymous(const sc_token *who, const char *target_host,
			      bool *anonymous, sc_log *log)
{
	*anonymous = true;
	sc_log_rule(log, "C6",
		    "the double hop: %s cannot be presented to %s; with "
		    "double_hop_outcome anonymous the call goes through with "
		    "no credentials: the identity is replaced by %s",
		    sc_token_user_name(who), target_host, SC_ANONYMOUS_NAME);
	return SC_OK;
}

/* C6: an identity that cannot cross fails the call, with no fallback to
 * another identity; or, when the scenario says so, goes as anonymous. */
static sc_status cannot_cross(const sc_policy *policy, const sc_token *who,
			      const char *target_host, bool *anonymous,
			      sc_log *log)
{
	if (policy->double_hop_outcome == SC_DOUBLE_HOP_ANONYMOUS)
		return as_anonymous(who, target_host, anonymous, log);
	sc_log_rule(log, "C6",
		    "the identity cannot cross to %s: the call fails with %s",
		    target_host, sc_status_name(policy->double_hop_status));
	return policy->double_hop_status;
}

void sc_cloak_input_init(sc_cloak_input *in, const struct sc_directory *dir,
			 const char *self_account, const char *target_account,
			 const char *target_spn)
{
	/* D4, D5 read the accounts' lists; a machine identity's are its
	 * host's computer account's (D1, D8). */
	in->deleg = (sc_delegation){
		.self = sc_directory_service_account(dir, self_account,
						     in->my_host),
		.target = sc_directory_service_account(dir, target_account,
						       in->target_host),
		.dir = dir, /* the client: whom the call presents */
		.target_spn = target_spn,
	};
}

/* C3 (T7 on a pipe): static cloaking presents what the proxy captured
 * when its blanket was set, else on its first call; later calls present
 * the same identity, whatever the thread does now. */
static sc_status static_identity(sc_proxy *proxy, const sc_token *process,
				 const sc_token *thread, bool pipe, sc_log *log)
{
	if (!proxy->captured) {
		if (capture(proxy, process, thread, pipe, true, log) != 0)
			return SC_INTERNAL;
	} else if (pipe) {
		const sc_token *now = thread ? thread : process;
		sc_log_rule(log, "T7",
			    "static tracking: presents %s, snapshotted "
			    "when the pipe connected%s%s",
			    sc_token_user_name(proxy->captured),
			    strcmp(sc_token_user_sid(now),
				   sc_token_user_sid(proxy->captured))
				    ? ", not the current "
				    : "",
			    strcmp(sc_token_user_sid(now),
				   sc_token_user_sid(proxy->captured))
				    ? sc_token_user_name(now)
				    : "");
	} else {
		const sc_token *now = thread ? thread : process;
		bool same = strcmp(sc_token_user_sid(now),
				   sc_token_user_sid(proxy->captured)) ==
			    0;
		/* When it was captured: on which call, or when
		 * the blanket was set. */
		const char *who_then =
			sc_token_user_name(proxy->captured);
		unsigned cap = proxy->captured_call,
			 now_call = proxy->calls + 1;
		if (same && cap)
			sc_log_rule(log, "C3",
				    "static cloaking: presents %s, "
				    "captured on the proxy's call %u (this "
				    "is its call %u)",
				    who_then, cap, now_call);
		else if (same)
			sc_log_rule(log, "C3",
				    "static cloaking: presents %s, "
				    "captured when its blanket was set",
				    who_then);
		else if (cap)
			sc_log_warn(log, "C3",
				    "static cloaking: presents %s, "
				    "captured on the proxy's call %u (this "
				    "is its call %u), not the current %s",
				    who_then, cap, now_call,
				    sc_token_user_name(now));
		else
			sc_log_warn(log, "C3",
				    "static cloaking: presents %s, "
				    "captured when its blanket was "
				    "set, not the current %s",
				    who_then, sc_token_user_name(now));
	}
	return SC_OK;
}

/* Whether who may be presented across a host boundary (its n-th): D3
 * for NTLM, D6 for a token from protocol transition, then L5 (Delegate),
 * L4 (one boundary), constrained delegation (D4, D5) or the double hop
 * (C6). SC_OK, or the status the call fails with; SC_OK with *anonymous
 * set when C6 lets the call go through as ANONYMOUS LOGON instead. */
static sc_status may_cross(const sc_cloak_input *in, const sc_token *who,
			   unsigned n, bool *anonymous, sc_log *log)
{
	const sc_blanket *b = in->blanket;
	const char *my_host = in->my_host, *target_host = in->target_host;
	const sc_policy *policy = in->policy;
	const sc_delegation *deleg = &in->deleg;
	sc_level l = sc_token_level_raw(who);
	if (b->package == SC_PACKAGE_NTLM &&
	    (sc_token_boundaries(who) > 0 || sc_token_from_transition(who))) {
		/* D3: NTLM authenticates with the client's own secret, which
		 * only the host holding its logon has. This one holds a
		 * forwarded ticket, or a token from protocol transition, or
		 * what constrained delegation would give: all Kerberos. No
		 * fallback to another identity (C6). */
		sc_log_rule(log, "D3",
			    "NTLM: %s holds no NTLM secret of %s (its logon is "
			    "on %s), so NTLM cannot present it to %s",
			    my_host, sc_token_user_name(who),
			    sc_token_origin_host(who), target_host);
		return cannot_cross(policy, who, target_host, anonymous, log);
	}
	if (sc_token_from_transition(who)) {
		/* D6: protocol transition gave a token but no credential of
		 * the user: only constrained delegation (S4U2Proxy) presents
		 * it to another host. */
		bool applies;
		const char *by;
		sc_status cd = constrained(deleg, target_host, who, &applies,
					   &by, log);
		if (applies) {
			if (cd != SC_OK)
				return cd;
			sc_log_rule(log, "D6",
				    "%s, obtained by protocol transition, "
				    "reaches %s through %s delegation (%s)",
				    sc_token_user_name(who), target_host,
				    strcmp(by, "D5") == 0 ? "resource-based"
							  : "constrained",
				    by);
			return SC_OK;
		}
		sc_log_rule(log, "D6",
			    "%s was obtained by protocol transition: %s holds "
			    "no credential of it and no constrained delegation "
			    "is configured",
			    sc_token_user_name(who), my_host);
		return cannot_cross(policy, who, target_host, anonymous, log);
	}
	if (l == SC_LEVEL_DELEGATE && sc_token_delegable(who)) {
		sc_log_rule(log, "L5",
			    "Delegate: %s may cross to %s (boundary %u)",
			    sc_token_user_name(who), target_host, n);
	} else if (sc_token_boundaries(who) == 0) {
		sc_log_rule(log, "L4",
			    "Impersonate: %s's credentials are on %s, "
			    "one boundary to %s is allowed",
			    sc_token_user_name(who), my_host,
			    target_host);
	} else {
		bool applies;
		const char *by;
		sc_status cd = constrained(deleg, target_host, who,
					   &applies, &by, log);
		if (applies)
			return cd;
		/* C6: no silent fallback to another identity. */
		sc_log_rule(log, "L4",
			    "Impersonate: %s's credentials stay on %s; "
			    "%s cannot present them to %s",
			    sc_token_user_name(who),
			    sc_token_origin_host(who), my_host,
			    target_host);
		if (policy->double_hop_outcome == SC_DOUBLE_HOP_ANONYMOUS)
			return as_anonymous(who, target_host, anonymous, log);
		sc_log_rule(log, "C6",
			    "the double hop: %u host boundaries exceed "
			    "what %s allows: the call fails with %s",
			    n, sc_level_name(l),
			    sc_status_name(policy->double_hop_status));
		return policy->double_hop_status;
	}
	return SC_OK;
}

/* C1, C2: why a call without cloaking presents the process identity. */
static void log_no_cloaking(const sc_blanket *b, const sc_token *process,
			    const sc_token *thread, sc_log *log)
{
	if (b->identity && *b->identity)
		/* C1: an explicit identity without cloaking. The scenario
		 * loader accepts only the process's own account there (a
		 * process holds no other account's password), so its
		 * credentials are the process's. */
		sc_log_rule(log, "C1",
			    "explicit identity %s on the proxy, no "
			    "cloaking: the proxy authenticates with "
			    "that account's credentials, the process's "
			    "own",
			    b->identity);
	if (thread)
		sc_log_rule(log, "C2",
			    "no cloaking: presents the process "
			    "identity %s, not the impersonated %s",
			    sc_token_user_name(process),
			    sc_token_user_name(thread));
	else
		sc_log_rule(log, "C2",
			    "no cloaking: presents the process "
			    "identity %s",
			    sc_token_user_name(process));
}

sc_status sc_cloak_choose(const sc_cloak_input *in, sc_proxy *proxy,
			  const sc_token **presented, const sc_token **chosen,
			  unsigned *boundaries, sc_log *log)
{
	const sc_blanket *b = in->blanket;
	const sc_token *process = in->process, *thread = in->thread;
	const char *my_host = in->my_host, *target_host = in->target_host;
	*presented = NULL;
	*boundaries = 0;
	if (chosen)
		*chosen = NULL;
	sc_status st = sc_blanket_validate(b, log);
	if (st != SC_OK)
		return st;

	const sc_token *who;
	bool pipe = b->transport == SC_TRANSPORT_PIPE;
	sc_cloaking mode = b->cloaking;
	if (pipe) {
		/* T7: a pipe client presents its thread's token, else its
		 * process's; static tracking (the default, and always
		 * without SQOS) snapshots it when the pipe connects, on the
		 * first call; dynamic tracking follows it. */
		mode = b->sqos && b->tracking == SC_TRACKING_DYNAMIC
			       ? SC_CLOAK_DYNAMIC
			       : SC_CLOAK_STATIC;
	}
	switch (mode) {
	case SC_CLOAK_STATIC:
		/* C3: fixed when the blanket was set, else on the first
		 * call; later calls present the same identity. */
		if (static_identity(proxy, process, thread, pipe, log) != SC_OK)
			return SC_INTERNAL;
		who = proxy->captured;
		break;
	case SC_CLOAK_DYNAMIC:
		/* C4: the current thread token, else the process token. */
		who = thread ? thread : process;
		if (pipe) {
			sc_log_rule(log, "T7",
				    "dynamic tracking: presents the %s token, "
				    "%s",
				    thread ? "thread" : "process",
				    sc_token_user_name(who));
			break;
		}
		sc_log_rule(log, "C4",
			    "dynamic cloaking: presents the %s token, %s",
			    thread ? "thread" : "process",
			    sc_token_user_name(who));
		break;
	default:
		/* C2: the process identity, whatever the thread does. */
		who = process;
		log_no_cloaking(b, process, thread, log);
		break;
	}
	/* What the cloaking chose, whatever C5, C6 and D3-D6 make of it. */
	if (chosen)
		*chosen = who;

	bool crossing = strcmp(my_host, target_host) != 0;
	if (sc_token_type_of(who) == SC_TOKEN_PRIMARY) {
		/* A process presents its own credentials: one boundary at
		 * most, always allowed. */
		*presented = who;
		*boundaries = crossing ? 1 : 0;
		return SC_OK;
	}

	/* C5: an Identify or Anonymous token cannot be cloaked. */
	sc_level l = sc_token_level_raw(who);
	if (l <= SC_LEVEL_IDENTIFY) {
		sc_log_rule(log, "C5",
			    "the token of %s is at %s: a cloaked call is not "
			    "possible",
			    sc_token_user_name(who), sc_level_name(l));
		return SC_BAD_IMPERSONATION_LEVEL;
	}

	unsigned n = sc_token_boundaries(who) + (crossing ? 1u : 0u);
	bool anonymous = false;
	if (crossing && (st = may_cross(in, who, n, &anonymous, log)) != SC_OK) {
		/* The boundaries the identity would have crossed, for the
		 * trace: the failed hop's facts agree with C6, D3-D6. */
		*boundaries = n;
		return st;
	}
	if (anonymous) {
		/* C6: a null session from this host, in place of who. */
		sc_token *anon = sc_token_new_anonymous(l);
		sc_token *was = sc_token_copy(who);
		if (!anon || !was ||
		    sc_token_set_origin_host(anon, my_host) != 0) {
			sc_token_free(anon);
			sc_token_free(was);
			return SC_INTERNAL;
		}
		sc_token_set_package(anon, b->package);
		sc_token_free(proxy->anonymous);
		sc_token_free(proxy->replaced);
		proxy->anonymous = anon;
		proxy->replaced = was;
		*presented = anon;
		*boundaries = 1;
		return SC_OK;
	}
	*presented = who;
	*boundaries = n;
	return SC_OK;
}

sc_status sc_open_allowed(const sc_token *thread, sc_log *log)
{
	if (!thread) {
		sc_log_rule(log, "T4",
			    "not impersonating: the open uses the process "
			    "token");
		return SC_OK;
	}
	sc_level l = sc_token_level_raw(thread);
	if (l == SC_LEVEL_ANONYMOUS) {
		sc_log_rule(log, "L1",
			    "an Anonymous token cannot open objects");
		return SC_BAD_IMPERSONATION_LEVEL;
	}
	if (l == SC_LEVEL_IDENTIFY) {
		sc_log_rule(log, "L3",
			    "an Identify token cannot open objects");
		return SC_BAD_IMPERSONATION_LEVEL;
	}
	sc_log_rule(log, "T4", "impersonating: the open uses the thread token "
			       "of %s",
		    sc_token_user_name(thread));
	return SC_OK;
}
