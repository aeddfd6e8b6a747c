/* authority_ticket.c: the authority's keys, the logon credentials it
 * issues, and its ticket decisions. A ticket is minted only when the
 * model says the requester may present that subject to that target
 * (sc_cloak_choose: own identity, L4 one boundary, L5 with a forwardable
 * ticket, D4/D5 constrained delegation; C6 otherwise); its forwardable
 * flag is D1 (sc_hop_negotiate); a machine identity's subject on another
 * host is what D8 makes of it (sc_directory_on_network). It must never
 * decide by itself. */
#include "authority_ticket.h"

#include "cloakroom.pb-c.h"
#include "codec.h"
#include "sc_decide.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A ticket's fixed field set to src: the loader and the credential's
 * own fields bound every name that reaches one, so nothing is cut. */
#define FIELD_SET(dst, src)                                                   \
	snprintf((dst), sizeof(dst), "%.*s", (int)sizeof(dst) - 1, (src))

_Static_assert(SC_PROCESS_NAME_MAX < AUTH_NAME_LEN,
	       "a process name fits a credential's fields");

/* One replay cache per process of the cast (K5), kept across rebinds.
 * 0, or -1 when out of memory. */
static int make_requesters(authority_state *st, const sc_scenario *scn)
{
	st->requesters = calloc(scn->processes_count ? scn->processes_count
						     : 1,
				sizeof(*st->requesters));
	if (!st->requesters)
		return -1;
	for (unsigned i = 0; i < scn->processes_count; i++) {
		authority_requester *rq = &st->requesters[i];
		snprintf(rq->name, sizeof(rq->name), "%s",
			 scn->processes[i].name);
		rq->replay = auth_replay_new(AUTHORITY_REPLAY_PER_REQUESTER);
		if (!rq->replay || auth_random(rq->secret, sizeof(rq->secret)))
			return -1;
		st->requesters_count++;
	}
	return 0;
}

static const authority_requester *requester_named(const authority_state *st,
						  const char *process)
{
	for (size_t i = 0; i < st->requesters_count; i++)
		if (strcmp(st->requesters[i].name, process) == 0)
			return &st->requesters[i];
	return NULL;
}

int authority_ticket_setup(authority_state *st, const sc_scenario *scn,
			   const char *dir, char *err, size_t errlen)
{
	char path[4096];
	st->scn = scn;
	if (auth_key_generate(&st->key) != 0) {
		snprintf(err, errlen, "cannot make the authority's key");
		return -1;
	}
	auth_key_public(st->key, st->pub);
	snprintf(path, sizeof(path), "%s/authority.pub", dir);
	if (auth_file_write(path, st->pub, AUTH_KEY_LEN) != 0) {
		snprintf(err, errlen, "cannot write %s", path);
		return -1;
	}
	st->procs = calloc(scn->processes_count ? scn->processes_count : 1,
			   sizeof(*st->procs));
	if (!st->procs || make_requesters(st, scn) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	uint64_t expires = auth_now_ms() + (st->credential_lifetime_ms
						    ? st->credential_lifetime_ms
						    : AUTH_CREDENTIAL_LIFETIME_MS);
	for (unsigned i = 0; i < scn->processes_count; i++) {
		const sc_process_def *p = &scn->processes[i];
		/* The loader's rule (it refused such a name already): the
		 * name becomes the names of key files. */
		char why[200];
		if (!sc_process_name_ok(p->name, why, sizeof(why))) {
			snprintf(err, errlen, "%s", why);
			return -1;
		}
		authority_proc *ap = &st->procs[st->count];
		sc_log log;
		sc_log_init(&log);
		sc_status s = sc_runtime_new(scn, p->name, &ap->rt, &log);
		sc_log_free(&log);
		if (s != SC_OK)
			continue; /* its daemon will not start either */
		snprintf(ap->name, sizeof(ap->name), "%s", p->name);
		st->count++;

		/* K8: the logon. The credential names the account of the
		 * process's primary token. */
		const sc_token *tok = sc_runtime_token(ap->rt);
		auth_key *pk = NULL;
		auth_credential c;
		memset(&c, 0, sizeof(c));
		snprintf(c.process, sizeof(c.process), "%s", p->name);
		snprintf(c.account, sizeof(c.account), "%s",
			 sc_token_user_name(tok));
		snprintf(c.account_sid, sizeof(c.account_sid), "%s",
			 sc_token_user_sid(tok));
		snprintf(c.host, sizeof(c.host), "%s", p->host);
		c.expires_ms = expires;
		uint8_t *cb = NULL;
		size_t cl = 0;
		int rc = auth_key_generate(&pk);
		if (rc == 0) {
			auth_key_public(pk, c.key);
			snprintf(path, sizeof(path), "%s/%s.key", dir, p->name);
			rc = auth_key_save(pk, path);
		}
		const authority_requester *rq = requester_named(st, p->name);
		if (rc == 0) {
			snprintf(path, sizeof(path), "%s/%s.skey", dir, p->name);
			rc = rq ? auth_file_write(path, rq->secret,
						  AUTH_SECRET_LEN)
				: -1;
		}
		if (rc == 0)
			rc = auth_credential_sign(st->key, &c, &cb, &cl);
		if (rc == 0) {
			snprintf(path, sizeof(path), "%s/%s.cred", dir, p->name);
			rc = auth_file_write(path, cb, cl);
		}
		free(cb);
		auth_key_free(pk);
		if (rc != 0) {
			snprintf(err, errlen, "cannot issue the credential of "
					      "%s in %s", p->name, dir);
			return -1;
		}
	}
	return 0;
}

int authority_ticket_rebind(authority_state *st, const sc_scenario *scn,
			    char *err, size_t errlen)
{
	authority_proc *procs =
		calloc(scn->processes_count ? scn->processes_count : 1,
		       sizeof(*procs));
	size_t count = 0;
	if (!procs) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < scn->processes_count; i++) {
		const sc_process_def *p = &scn->processes[i];
		authority_proc *ap = &procs[count];
		sc_log log;
		sc_log_init(&log);
		sc_status s = sc_runtime_new(scn, p->name, &ap->rt, &log);
		sc_log_free(&log);
		if (s != SC_OK)
			continue; /* as at the setup: no ticket for it */
		snprintf(ap->name, sizeof(ap->name), "%s", p->name);
		count++;
	}
	if (!st->requesters && make_requesters(st, scn) != 0) {
		for (size_t i = 0; i < count; i++)
			sc_runtime_free(procs[i].rt);
		free(procs);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < st->count; i++)
		sc_runtime_free(st->procs[i].rt);
	free(st->procs);
	st->procs = procs;
	st->count = count;
	st->scn = scn;
	return 0;
}

void authority_ticket_free(authority_state *st)
{
	for (size_t i = 0; i < st->count; i++)
		sc_runtime_free(st->procs[i].rt);
	free(st->procs);
	auth_key_free(st->key);
	for (size_t i = 0; i < st->requesters_count; i++)
		auth_replay_free(st->requesters[i].replay);
	if (st->requesters)
		memset(st->requesters, 0,
		       st->requesters_count * sizeof(*st->requesters));
	free(st->requesters);
	memset(st, 0, sizeof(*st));
}

int authority_ticket_forget_requests(authority_state *st)
{
	for (size_t i = 0; i < st->requesters_count; i++) {
		auth_replay *fresh =
			auth_replay_new(AUTHORITY_REPLAY_PER_REQUESTER);
		if (!fresh)
			return -1;
		auth_replay_free(st->requesters[i].replay);
		st->requesters[i].replay = fresh;
	}
	return 0;
}

static auth_replay *replay_of(authority_state *st, const char *process)
{
	for (size_t i = 0; i < st->requesters_count; i++)
		if (strcmp(st->requesters[i].name, process) == 0)
			return st->requesters[i].replay;
	return NULL;
}

static uint64_t now_of(const authority_state *st)
{
	return st->fixed_now_ms ? st->fixed_now_ms : auth_now_ms();
}

static authority_proc *proc_named(authority_state *st, const char *name)
{
	for (size_t i = 0; i < st->count; i++)
		if (strcmp(st->procs[i].name, name) == 0)
			return &st->procs[i];
	return NULL;
}

static bool host_in_domain(const sc_scenario *scn, const char *host)
{
	const sc_host_def *h = sc_scenario_host(scn, host);
	return h && !h->workgroup;
}

/* The authority's answer: the rule that refused and why, or what the
 * ticket allows. */
typedef sc_refusal verdict;

/* The last rule the model logged: the one that refused. */
static int refuse_by_model(verdict *v, const sc_log *log, sc_status st)
{
	if (log->count == 0)
		return sc_refuse(v, "K7", "refused: %s", sc_status_name(st));
	const sc_note *n = &log->notes[log->count - 1];
	return sc_refuse(v, n->rule, "%s (%s)", n->text, sc_status_name(st));
}

/* One ticket request as decide() judges it: the requester, the target
 * and the subject asked for, looked up once. */
typedef struct deciding {
	authority_state *st;
	const auth_credential *cred;
	const Cloakroom__TicketRequest *rq;
	const sc_process_def *target;
	const sc_directory *dir;
	const sc_token *process;    /* the requester's primary token */
	const sc_process_def *self; /* the requester's definition */
	const char *sid;            /* the subject asked for */
	/* C6 (settings.double_hop_outcome anonymous): the identity ANONYMOUS
	 * LOGON is asked in place of, or NULL. */
	const char *replaced;
	const char *held_sid; /* the identity the requester holds */
	uint64_t now;
} deciding;

/* The hop as the callee will negotiate it (sc_hop_negotiate, with the
 * call's own facts: the level it asks, its package, transport and
 * authentication): the level at which the target may hold this subject,
 * and whether D1 lets it delegate further. presented: the level of the
 * impersonation token presented, or SC_LEVEL_DEFAULT for a primary
 * token (T2); subject: the token presented (D1: its tickets may not be
 * forwardable). */
static void negotiate(const deciding *d, const sc_token *subject,
		      sc_level presented, sc_hop_outcome *oc)
{
	const sc_directory *dir = d->dir;
	const sc_process_def *target = d->target;
	const Cloakroom__TicketRequest *rq = d->rq;
	const char *from_host = d->cred->host;
	const sc_account_def *client =
		sc_directory_account_by_sid(dir, d->sid);
	/* D1: as the callee judges it (for a machine identity, the
	 * host's computer account). */
	const sc_account_def *server = sc_directory_service_account(
		dir, target->account, target->host);
	sc_hop_facts f = {
		.asked = (sc_level)rq->asked,
		.client_authn = (sc_authn)rq->authn,
		.server_authn = target->server_authn,
		.package = (sc_package)rq->package,
		.transport = (sc_transport)rq->transport,
		.presented_is_thread = presented != SC_LEVEL_DEFAULT,
		.presented_level = presented,
		.crossed = strcmp(from_host, target->host) != 0,
		.all_in_domain = host_in_domain(d->st->scn, from_host) &&
				 host_in_domain(d->st->scn, target->host),
		.client_sensitive = sc_account_not_delegated(client),
		.client_protected = sc_account_protected(client),
		.client_unforwardable = sc_token_unforwardable(subject),
		.server_trusted = server && server->trusted_for_delegation,
		.server_computer = server && server == sc_directory_computer(
							dir, target->host),
	};
	sc_hop_negotiate(&f, oc, NULL);
	if (!oc->authenticated || oc->level < SC_LEVEL_ANONYMOUS)
		oc->level = SC_LEVEL_ANONYMOUS; /* T8: nobody to hold */
}

/* The ticket's hop facts and authorization data: the subject as token
 * (the presenter's hold on it) and the outcome of the hop. pac is
 * malloc'd into t (the caller frees t->pac). 0, or -1 with v. */
static int vouch_for(authority_state *st, const sc_token *token,
		     const sc_hop_outcome *oc,
		     const Cloakroom__TicketRequest *rq, auth_ticket *t,
		     verdict *v)
{
	uint8_t *pac = NULL;
	size_t len = 0;
	(void)st;
	if (codec_identity_encode(token, &pac, &len) != 0)
		return sc_refuse(v, "K7", "out of memory");
	t->pac = pac;
	t->pac_len = len;
	t->level = (uint32_t)oc->level;
	t->transport = rq->transport;
	t->package = rq->package;
	t->authn = (uint32_t)oc->authn;
	t->forwardable = t->forwardable && oc->delegable;
	return 0;
}

/* K7: the token the requester holds for the subject of the evidence e
 * (whose authorization data is epac), built as the requester built it
 * when it accepted that call: a network logon on its host, or on one host
 * the client's own token (T7: sc_directory_keeps_client_token), at the
 * level e vouched for. NULL with v. */
static sc_token *held_from_evidence(const deciding *d, const auth_ticket *e,
				    const uint8_t *epac, size_t epac_len,
				    verdict *v)
{
	authority_state *st = d->st;
	const sc_directory *dir = d->dir;
	const auth_credential *cred = d->cred;
	char err[200];
	sc_token *client = NULL, *held = NULL;
	if (codec_identity_decode(epac, epac_len, &client, err, sizeof(err)) !=
	    0) {
		sc_refuse(v, "K1", "evidence: its authorization data is "
				"malformed: %s", err);
		return NULL;
	}
	if (strcmp(sc_token_user_sid(client), e->subject_sid) != 0) {
		sc_token_free(client);
		sc_refuse(v, "K1", "evidence: its authorization data is not its "
				"subject's");
		return NULL;
	}
	const sc_process_def *from = sc_scenario_process(st->scn, e->presenter);
	bool local = from && sc_directory_keeps_client_token(from->host,
							      cred->host);
	const sc_binding terms = {(sc_level)e->level, (sc_package)e->package,
				  (sc_authn)e->authn};
	sc_status s =
		local
			? sc_directory_local_token(dir, client, client, &terms,
						  &held, NULL)
			: sc_directory_network_token(dir, client, cred->host,
						     &terms, &held, NULL);
	/* D1, D4: the subject's tickets, as its authorization data says. */
	bool unforwardable = sc_token_unforwardable(client);
	sc_token_free(client);
	if (s != SC_OK) {
		sc_refuse(v, "K7", "evidence: %s", sc_status_name(s));
		return NULL;
	}
	sc_token_set_unforwardable(held, unforwardable);
	sc_token_set_delegable(held, e->forwardable);
	sc_token_set_boundaries(held,
				strcmp(e->subject_host, cred->host) != 0 ? 1 : 0);
	return held;
}

/* The request's facts in range and its processes in the run: 0 with d
 * filled, or -1 with v. */
static int deciding_init(deciding *d, authority_state *st,
			 const auth_credential *cred,
			 const Cloakroom__TicketRequest *rq, verdict *v)
{
	memset(d, 0, sizeof(*d));
	d->st = st;
	d->cred = cred;
	d->rq = rq;
	d->now = now_of(st);
	authority_proc *me = proc_named(st, cred->process);
	if (!me)
		return sc_refuse(v, "K7", "no process %s in this run",
			      cred->process);
	d->target = sc_scenario_process(st->scn, rq->target);
	if (!d->target)
		return sc_refuse(v, "K4", "no service %s in this run", rq->target);
	/* The level asked is the one after L6: never "default". */
	if (rq->package >= SC_PACKAGE_COUNT || rq->asked >= SC_LEVEL_COUNT ||
	    rq->asked == SC_LEVEL_DEFAULT ||
	    rq->authn >= SC_AUTHN_COUNT || rq->transport >= SC_TRANSPORT_COUNT ||
	    rq->presented >= SC_LEVEL_COUNT || rq->basis > 1)
		return sc_refuse(v, "K1", "a call fact is out of range");
	d->dir = sc_runtime_directory(me->rt);
	d->process = sc_runtime_token(me->rt);
	d->self = sc_runtime_process(me->rt);
	d->sid = rq->subject_sid ? rq->subject_sid : "";
	/* C6 (settings.double_hop_outcome anonymous): ANONYMOUS LOGON asked
	 * in place of an identity the call could not carry. The hop is
	 * judged on that identity (its evidence, or its protocol
	 * transition), and the model must present anonymous in its place
	 * (checked once it chose). */
	d->replaced = rq->replaced_sid && rq->replaced_sid[0]
			      ? rq->replaced_sid
			      : NULL;
	if (d->replaced && strcmp(d->sid, SC_SID_ANONYMOUS) != 0)
		return sc_refuse(v, "K7",
			      "%s is asked in place of %s: only ANONYMOUS "
			      "LOGON replaces an identity",
			      d->sid, d->replaced);
	d->held_sid = d->replaced ? d->replaced : d->sid;
	return 0;
}

/* The ticket's presenter, audience, life and nonce: 0, or -1 with v. */
static int ticket_start(const deciding *d, auth_ticket *t, verdict *v)
{
	const authority_state *st = d->st;
	memset(t, 0, sizeof(*t));
	FIELD_SET(t->presenter, d->cred->process);
	FIELD_SET(t->audience, d->target->name);
	/* A requester may ask a shorter life than the authority gives,
	 * never a longer one. */
	uint64_t life = d->rq->lifetime_ms &&
					d->rq->lifetime_ms < st->ticket_lifetime_ms
				? d->rq->lifetime_ms
				: st->ticket_lifetime_ms;
	t->expires_ms = d->now + life;
	if (auth_random(t->nonce, sizeof(t->nonce)) != 0)
		return sc_refuse(v, "K7", "no randomness");
	return 0;
}

/* The requester's own logon on its host (K7: only one whose SID is the
 * credential's), with its group states (T6) and ticket options (D1, D4),
 * and what the target's host sees of it (D8: *on_net, NULL when it is
 * presented as itself). */
static sc_status own_logon(const deciding *d, sc_token **logon,
			   sc_token **on_net)
{
	const auth_credential *cred = d->cred;
	sc_status ls = sc_directory_logon(d->dir, cred->account_sid,
					  cred->host, d->self->started_by,
					  logon, NULL);
	if (ls == SC_OK &&
	    strcmp(sc_token_user_sid(*logon), cred->account_sid) != 0) {
		/* K7: the directory also finds an account by name; a
		 * credential whose account SID is not the SID of the logon
		 * found vouches for no logon. */
		sc_token_free(*logon);
		*logon = NULL;
		ls = SC_NOT_FOUND;
	}
	if (ls == SC_OK)
		/* T6: the groups its definition holds deny-only or disabled,
		 * as its daemon's token holds them. */
		ls = sc_directory_group_states(d->dir, *logon, d->self, NULL);
	if (ls == SC_OK)
		/* D1, D4: the tickets its logon asks for. */
		sc_directory_ticket_options(*logon, d->self);
	if (ls == SC_OK)
		ls = sc_directory_on_network(d->dir, *logon, cred->host,
					     d->target->host, on_net, NULL);
	return ls;
}

/* The subject asked for is the requester's own identity: its logon
 * credential is the evidence, and its logon, as the directory and its
 * host's rights make it (D8: on another host, the computer account's or
 * anonymous), the authorization data. 0 with t filled, -1 with v, or 1
 * when the subject is someone else. */
static int by_own_logon(const deciding *d, auth_ticket *t, verdict *v)
{
	const auth_credential *cred = d->cred;
	const Cloakroom__TicketRequest *rq = d->rq;
	sc_token *logon = NULL, *on_net = NULL;
	sc_status ls = SC_OK;
	if (rq->basis == 0)
		ls = own_logon(d, &logon, &on_net);
	int rc = 1;
	const sc_token *own = on_net ? on_net : logon;
	if (rq->basis == 0 && strcmp(d->sid, cred->account_sid) == 0 &&
	    (ls != SC_OK || on_net)) {
		rc = ls != SC_OK
			     ? sc_refuse(v, "K7", "no logon of %s on %s: %s",
				      d->sid, cred->host, sc_status_name(ls))
			     : sc_refuse(v, "D8",
				      "%s does not authenticate to %s as "
				      "itself: it is presented there as %s",
				      cred->account, d->target->host,
				      sc_token_user_name(on_net));
	} else if (!d->replaced && own &&
		   strcmp(d->sid, sc_token_user_sid(own)) == 0) {
		FIELD_SET(t->subject,
			  on_net ? sc_token_user_name(on_net) : cred->account);
		FIELD_SET(t->subject_sid, d->sid);
		FIELD_SET(t->subject_host, cred->host);
		/* The subject's own consent: the level of the token it
		 * presents may only lower the hop (T2). */
		sc_hop_outcome oc;
		negotiate(d, own,
			  rq->presented ? (sc_level)rq->presented
					: SC_LEVEL_DEFAULT,
			  &oc);
		t->forwardable = true;
		rc = vouch_for(d->st, own, &oc, rq, t, v);
		/* K8: the logon vouches for it; D1: it may go further; D8:
		 * a machine identity's logon, as the network sees it. */
		FIELD_SET(t->rule,
			  t->forwardable ? "D1" : on_net ? "D8" : "K8");
	}
	sc_token_free(logon);
	sc_token_free(on_net);
	return rc;
}

/* No evidence came with a request for another identity: K7 refuses,
 * naming D8 when that identity is a host's computer account. */
static int refuse_no_evidence(const deciding *d, verdict *v)
{
	const sc_scenario *scn = d->st->scn;
	const sc_account_def *c =
		sc_directory_account_by_sid(d->dir, d->held_sid);
	for (unsigned i = 0; c && i < scn->hosts_count; i++)
		if (sc_directory_computer(d->dir, scn->hosts[i].name) == c)
			/* D8: a host's computer account is presented only by
			 * that host's SYSTEM or NETWORK SERVICE. */
			return sc_refuse(v, "K7",
				      "%s holds no credential for %s: only "
				      "SYSTEM or NETWORK SERVICE on %s "
				      "presents it (D8)",
				      d->cred->process, c->name,
				      scn->hosts[i].name);
	return sc_refuse(v, "K7",
		      "%s holds no credential for %s: no ticket presented "
		      "that identity to it",
		      d->cred->process, d->held_sid);
}

/* S4U2Proxy's evidence: a ticket the authority signed that presented
 * the subject to the requester. *held is the token the requester holds
 * for it (held_from_evidence), *forwardable the evidence's flag. 0, or
 * -1 with v. */
static int held_by_evidence(const deciding *d, sc_token **held,
			    bool *forwardable, verdict *v)
{
	authority_state *st = d->st;
	const auth_credential *cred = d->cred;
	if (!d->rq->evidence)
		return refuse_no_evidence(d, v);
	Cloakroom__Signed *ev = d->rq->evidence;
	size_t el = cloakroom__signed__get_packed_size(ev);
	uint8_t *eb = malloc(el ? el : 1), *epac = NULL;
	size_t epac_len = 0;
	if (!eb)
		return sc_refuse(v, "K7", "out of memory");
	cloakroom__signed__pack(ev, eb);
	auth_ticket e;
	auth_reject why;
	auth_checker by = {st->pub, d->now, st->skew_ms};
	auth_pac ep = {NULL, 0};
	int rc = auth_ticket_pac(&by, eb, el, &e, &ep, &why);
	epac = ep.data;
	epac_len = ep.len;
	free(eb);
	if (rc != 0)
		rc = sc_refuse(v, why.rule, "evidence: %s", why.reason);
	else if (strcmp(e.audience, cred->process) != 0)
		rc = sc_refuse(v, "K4",
			    "the evidence ticket was for %s, not for %s",
			    e.audience, cred->process);
	else if (strcmp(e.subject_sid, d->held_sid) != 0 &&
		 !sc_directory_machine_identity(e.subject_sid))
		/* (A machine identity's evidence may ask for what D8 makes
		 * of it: checked once the model chose.) */
		rc = sc_refuse(v, "K7", "the evidence ticket presents %s, not %s",
			    e.subject, d->held_sid);
	else if (!(*held = held_from_evidence(d, &e, epac, epac_len,
					      v)))
		rc = -1;
	free(epac);
	if (rc == 0)
		*forwardable = e.forwardable;
	return rc;
}

/* Whether the middle tier may present the token it holds to the target,
 * as the model decides it: the requester impersonates what it holds (P1,
 * P2, L1) and presents it, cloaked (C5, L4, L5, C6, D4, D5), the same
 * calls the caller made. *shown is what the target sees: the thread's
 * identity, ANONYMOUS LOGON in its place (C6, double_hop_outcome
 * anonymous), or what D8 makes of a machine identity. 0 with *shown and
 * t->rule, or -1 with v. Consumes held. */
static int present_held(const deciding *d, sc_token *held, sc_token **shown,
			auth_ticket *t, verdict *v)
{
	const auth_credential *cred = d->cred;
	const Cloakroom__TicketRequest *rq = d->rq;
	sc_log log;
	sc_log_init(&log);
	sc_token *thread = NULL;
	sc_status s = sc_impersonate(d->process, held, &thread, &log);
	sc_token_free(held);
	if (s != SC_OK) {
		int rc = refuse_by_model(v, &log, s);
		sc_log_free(&log);
		return rc;
	}
	sc_log_free(&log);
	sc_log_init(&log);
	/* The hop on the inputs the caller's model had: the call's facts
	 * as the request states them (level asked, authentication,
	 * package, transport), presenting the subject through its thread
	 * (dynamic cloaking: the question is whether it may be presented),
	 * the accounts from the same directory lookups. */
	sc_blanket b;
	memset(&b, 0, sizeof(b));
	b.cloaking = SC_CLOAK_DYNAMIC;
	b.level = (sc_level)rq->asked;
	b.authn = (sc_authn)rq->authn;
	b.package = (sc_package)rq->package;
	b.transport = (sc_transport)rq->transport;
	sc_proxy proxy;
	memset(&proxy, 0, sizeof(proxy));
	sc_policy policy;
	sc_policy_from_settings(&d->st->scn->settings, &policy);
	sc_cloak_input ci = {
		.blanket = &b,
		.process = d->process,
		.thread = thread,
		.my_host = cred->host,
		.target_host = d->target->host,
		.policy = &policy,
	};
	sc_cloak_input_init(&ci, d->dir, d->self->account,
			    d->target->account, d->target->spn);
	const sc_token *presented = NULL;
	unsigned boundaries = 0;
	s = sc_cloak_choose(&ci, &proxy, &presented, NULL, &boundaries,
			    &log);
	/* C6: the model presents ANONYMOUS LOGON in place of the thread's
	 * identity (settings.double_hop_outcome anonymous). */
	sc_token *anon = NULL;
	if (s == SC_OK && presented && presented != thread &&
	    !(anon = sc_token_copy(presented)))
		s = SC_INTERNAL;
	sc_proxy_release(&proxy);
	if (anon) {
		sc_token_free(thread);
		thread = anon;
	}
	/* D8: a machine identity the requester holds authenticates to
	 * another host as the computer account of the requester's host, or
	 * anonymously: the subject asked for must be that. */
	sc_token *net = NULL;
	if (s == SC_OK)
		s = sc_directory_on_network(d->dir, thread, cred->host,
					    d->target->host, &net, &log);
	int rc = 0;
	if (s != SC_OK)
		rc = refuse_by_model(v, &log, s);
	else if (strcmp(sc_token_user_sid(net ? net : thread), d->sid) != 0)
		rc = sc_refuse(v, "K7",
			    "the evidence ticket presents %s, who reaches %s "
			    "as %s, not %s",
			    sc_token_user_name(thread), d->target->host,
			    sc_token_user_name(net ? net : thread), d->sid);
	else
		FIELD_SET(t->rule,
			  log.count ? log.notes[log.count - 1].rule : "L4");
	sc_log_free(&log);
	if (rc != 0) {
		sc_token_free(net);
		net = NULL;
	}
	if (rc != 0 || net) {
		sc_token_free(thread);
		thread = net;
	}
	*shown = thread;
	return rc;
}

/* The decision: 0 with t filled (t->pac malloc'd), or -1 with v. */
static int decide(authority_state *st, const auth_credential *cred,
		  const Cloakroom__TicketRequest *rq, auth_ticket *t,
		  verdict *v)
{
	deciding d;
	if (deciding_init(&d, st, cred, rq, v) != 0 ||
	    ticket_start(&d, t, v) != 0)
		return -1;
	int rc = by_own_logon(&d, t, v);
	if (rc != 1)
		return rc;

	/* Someone else: the token the requester holds for that subject,
	 * built by the model from what the authority itself signed (the
	 * evidence: a ticket that presented the subject to the requester,
	 * as for S4U2Proxy), or by protocol transition (D6, S4U2Self). */
	sc_token *held = NULL;
	bool ev_forwardable = false;
	if (rq->basis == 1) {
		sc_log log;
		sc_log_init(&log);
		const sc_service_self svc = {d.process, d.self->account,
					     cred->host};
		sc_status ts = sc_directory_transition(d.dir, &svc, d.held_sid,
						       &held, &log);
		rc = ts != SC_OK ? refuse_by_model(v, &log, ts) : 0;
		sc_log_free(&log);
	} else {
		rc = held_by_evidence(&d, &held, &ev_forwardable, v);
	}
	if (rc != 0)
		return -1;
	sc_token *shown = NULL;
	if (present_held(&d, held, &shown, t, v) != 0)
		return -1;
	FIELD_SET(t->subject, sc_token_user_name(shown));
	FIELD_SET(t->subject_sid, d.sid);
	FIELD_SET(t->subject_host, sc_token_origin_host(shown));
	/* The next hop as the target will negotiate it, on the token the
	 * requester presents (T2: never above its level); forwardable only
	 * when the evidence was (or, for a transition, when D1 holds on a
	 * token that T2 lets reach Delegate) and D1 holds for this hop. */
	sc_hop_outcome oc;
	negotiate(&d, shown, sc_token_level_raw(shown), &oc);
	t->forwardable = rq->basis == 1 || ev_forwardable;
	rc = vouch_for(st, shown, &oc, rq, t, v);
	sc_token_free(shown);
	return rc;
}

typedef struct minted {
	uint8_t *ticket; /* malloc'd; NULL: none */
	size_t len;
	uint8_t sealed_key[AUTH_SEALED_KEY_LEN];
	char granted[SC_NOTE_TEXT]; /* with a ticket: what it allows */
} minted;

/* The reply: m's ticket with the rule that allowed it and what it
 * allows, or none with the rule that refused and why (v). */
static int reply_pack(const minted *m, const verdict *v, uint8_t **out,
		      size_t *len)
{
	Cloakroom__TicketReply r;
	cloakroom__ticket_reply__init(&r);
	Cloakroom__Signed *s = NULL;
	if (m->ticket) {
		r.session_key.data = (uint8_t *)m->sealed_key;
		r.session_key.len = AUTH_SEALED_KEY_LEN;
		s = cloakroom__signed__unpack(NULL, m->len, m->ticket);
		if (!s)
			return -1;
		r.ticket = s;
	}
	r.rule = (char *)v->rule;
	r.reason = (char *)(m->ticket ? m->granted : v->reason);
	*len = cloakroom__ticket_reply__get_packed_size(&r);
	*out = malloc(*len ? *len : 1);
	if (*out)
		cloakroom__ticket_reply__pack(&r, *out);
	if (s)
		cloakroom__signed__free_unpacked(s, NULL);
	return *out ? 0 : -1;
}

/* A request the authority will judge: its credential current and
 * signed by the authority (K1-K3), the request signed by the
 * credential's key (K1), made by the TLS peer (K6), current (K3) and
 * never seen before (K5). 0 with cred, or -1 with v. */
static int admit_request(authority_state *st,
			 const Cloakroom__SignedRequest *sr,
			 const Cloakroom__TicketRequest *rq,
			 const char *peer_account, auth_credential *cred,
			 verdict *v)
{
	uint64_t now = now_of(st);
	auth_reject why;
	size_t cl = cloakroom__signed__get_packed_size(rq->credential);
	uint8_t *cb = malloc(cl ? cl : 1);
	if (!cb)
		return sc_refuse(v, "K7", "out of memory");
	cloakroom__signed__pack(rq->credential, cb);
	auth_checker by = {st->pub, now, st->skew_ms};
	int rc = auth_credential_check(&by, cb, cl, cred, &why);
	free(cb);
	if (rc != 0)
		return sc_refuse(v, why.rule, "credential: %s", why.reason);
	if (!auth_verify(cred->key, sr->body.data, sr->body.len,
			 sr->signature.data, sr->signature.len))
		return sc_refuse(v, "K1", "the request is not signed by %s's key",
			      cred->process);
	/* K6: the requester is the TLS peer, as a daemon binds its
	 * callers: a key and credential stolen by another process get it
	 * nothing. */
	if (peer_account && strcmp(peer_account, cred->account) != 0)
		return sc_refuse(v, "K6",
			      "the TLS peer is %.60s, but the request was "
			      "signed by %.50s (%.60s): made by another "
			      "process",
			      peer_account[0] ? peer_account
					      : "(no certificate)",
			      cred->process, cred->account);
	auth_replay *replay = replay_of(st, cred->process);
	if (!replay)
		return sc_refuse(v, "K7", "no process %.60s in this run",
			      cred->process);
	/* K3: a request lives as long as a context does. Compared by
	 * difference: no issue time wraps into the window. */
	uint64_t skew = st->skew_ms < AUTH_MAX_SKEW_MS ? st->skew_ms
						       : AUTH_MAX_SKEW_MS;
	if ((rq->issued_ms < now &&
	     now - rq->issued_ms > AUTH_CONTEXT_LIFETIME_MS + skew) ||
	    (rq->issued_ms > now && rq->issued_ms - now > skew))
		return sc_refuse(v, "K3", "the request is not current");
	uint64_t until = rq->issued_ms + AUTH_CONTEXT_LIFETIME_MS;
	int seen = rq->nonce.len != AUTH_NONCE_LEN
			   ? -1
			   : auth_replay_check(replay, rq->nonce.data,
					       until + skew, now);
	if (seen == -1)
		return sc_refuse(v, "K5", "the request was replayed");
	if (seen != 0)
		/* Nothing judged: busy, not a replay. */
		return sc_refuse(v, AUTH_BUSY,
			      "%.60s has %u requests in flight, the most one "
			      "requester may: the request was not judged",
			      cred->process, AUTHORITY_REPLAY_PER_REQUESTER);
	return 0;
}

/* A signed ticket and its session key sealed for the requester. */
/* The ticket t decided for cred's process, signed into m, with a fresh
 * session key for this ticket alone: sealed for the audience inside the
 * ticket, for the requester in m. Frees t->pac. 0, or -1 with v. */
static int mint(authority_state *st, const auth_credential *cred,
		auth_ticket *t, minted *m, verdict *v)
{
	uint8_t key[AUTH_SESSION_KEY_LEN];
	const authority_requester *aud = requester_named(st, t->audience);
	const authority_requester *req = requester_named(st, cred->process);
	int rc = aud && req && auth_random(key, sizeof(key)) == 0 &&
				 auth_key_seal(aud->secret, key, t->nonce,
					       t->audience,
					       t->session_key) == 0 &&
				 auth_key_seal(req->secret, key, t->nonce,
					       cred->process,
					       m->sealed_key) == 0
			 ? auth_ticket_sign(st->key, t, &m->ticket, &m->len)
			 : -1;
	memset(key, 0, sizeof(key));
	free((void *)t->pac);
	t->pac = NULL;
	if (rc != 0)
		return sc_refuse(v, "K7", "cannot sign");
	FIELD_SET(v->rule, t->rule);
	snprintf(m->granted, sizeof(m->granted),
		 "%.50s may present %.90s to %.50s%s", t->presenter,
		 t->subject, t->audience,
		 t->forwardable ? " (forwardable)" : "");
	return 0;
}

int authority_ticket_serve(authority_state *st, const uint8_t *req,
			   size_t len, const char *peer_account,
			   uint8_t **reply, size_t *reply_len)
{
	verdict v;
	memset(&v, 0, sizeof(v));
	minted m;
	memset(&m, 0, sizeof(m));
	Cloakroom__TicketRequest *rq = NULL;
	Cloakroom__SignedRequest *sr =
		cloakroom__signed_request__unpack(NULL, len, req);
	if (sr)
		rq = cloakroom__ticket_request__unpack(NULL, sr->body.len,
						       sr->body.data);
	auth_credential cred;
	auth_ticket t;
	memset(&t, 0, sizeof(t));
	if (!sr)
		sc_refuse(&v, "K1", "not a signed ticket request");
	else if (!rq || !rq->credential || !rq->target)
		sc_refuse(&v, "K1", "the ticket request is malformed");
	else if (admit_request(st, sr, rq, peer_account, &cred, &v) == 0 &&
		 decide(st, &cred, rq, &t, &v) == 0)
		mint(st, &cred, &t, &m, &v);
	int rc = reply_pack(&m, &v, reply, reply_len);
	if (!st->quiet)
		fprintf(stderr, "authority: %s: [%s] %s\n",
			m.ticket ? "ticket" : "refused", v.rule,
			m.ticket ? m.granted : v.reason);
	free(m.ticket);
	if (rq)
		cloakroom__ticket_request__free_unpacked(rq, NULL);
	if (sr)
		cloakroom__signed_request__free_unpacked(sr, NULL);
	return rc;
}
