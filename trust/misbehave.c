/* misbehave.c: what a process set to misbehave (scenarios/attacks/) does
 * to the contexts it sends in place of what the model decided: forged or
 * tampered signatures, replays, stolen keys, claimed groups... It seals
 * beside the honest path (secure_seal hands it the call), and what it
 * sends goes through every check an honest context does. */
#include "secure_int.h"

#include "cloakroom.pb-c.h"
#include "codec.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Replace the context inside a sealed message, keeping the signature
 * (raise_level, add_group) or break the ticket's signature (forge). */
static int tamper(secure *s, const sc_context *ctx, uint8_t **sealed,
		  size_t *len)
{
	Cloakroom__SealedContext *m =
		cloakroom__sealed_context__unpack(NULL, *len, *sealed);
	if (!m)
		return -1;
	uint8_t *cb = NULL;
	size_t cl = 0;
	sc_token *t = NULL;
	int rc = 0;
	ProtobufCBinaryData orig = m->context; /* unpack's: it frees it */
	if (s->cfg.misbehave == SC_MISBEHAVE_FORGE) {
		/* A Signed ends with its signature: change its last byte. */
		if (m->ticket.len > 0)
			m->ticket.data[m->ticket.len - 1] ^= 0x5a;
	} else {
		sc_context c = *ctx;
		t = sc_token_copy(ctx->identity);
		if (!t) {
			rc = -1;
			goto out;
		}
		if (s->cfg.misbehave == SC_MISBEHAVE_RAISE_LEVEL) {
			c.asked = SC_LEVEL_DELEGATE;
			sc_token_set_level(t, SC_LEVEL_DELEGATE);
			sc_token_set_delegable(t, true);
		} else {
			sc_token_add_group(t, SC_SID_ADMINISTRATORS,
					   "BUILTIN\\Administrators",
					   SC_GROUP_ENABLED);
		}
		c.identity = t;
		if (codec_context_encode(&c, &cb, &cl) != 0) {
			rc = -1;
			goto out;
		}
		m->context.data = cb;
		m->context.len = cl;
	}
	size_t nl = cloakroom__sealed_context__get_packed_size(m);
	uint8_t *nb = malloc(nl ? nl : 1);
	if (!nb) {
		rc = -1;
		goto out;
	}
	cloakroom__sealed_context__pack(m, nb);
	free(*sealed);
	*sealed = nb;
	*len = nl;
out:
	/* free_unpacked frees what unpack made, never our buffer */
	m->context = orig;
	cloakroom__sealed_context__free_unpacked(m, NULL);
	free(cb);
	sc_token_free(t);
	return rc;
}

/* A credential and a ticket from an authority nobody trusts, and a
 * session key of its own for the ticket (sealed for the target under a
 * key the target does not hold). */
static int rogue_statements(secure *s, const char *target, const sc_token *id,
			    uint8_t **cb, size_t *cl, held_ticket *tk)
{
	auth_credential c = s->me;
	c.expires_ms = auth_now_ms() + AUTH_CREDENTIAL_LIFETIME_MS;
	auth_ticket t;
	memset(&t, 0, sizeof(t));
	snprintf(t.subject, sizeof(t.subject), "%s", sc_token_user_name(id));
	snprintf(t.subject_sid, sizeof(t.subject_sid), "%s",
		 sc_token_user_sid(id));
	snprintf(t.subject_host, sizeof(t.subject_host), "%s", s->me.host);
	snprintf(t.presenter, sizeof(t.presenter), "%s", s->process);
	snprintf(t.audience, sizeof(t.audience), "%s", target);
	t.forwardable = true;
	t.expires_ms = c.expires_ms;
	snprintf(t.rule, sizeof(t.rule), "K8");
	uint8_t kek[AUTH_SECRET_LEN];
	if (auth_random(t.nonce, sizeof(t.nonce)) != 0 ||
	    auth_random(tk->key, sizeof(tk->key)) != 0 ||
	    auth_random(kek, sizeof(kek)) != 0 ||
	    auth_key_seal(kek, tk->key, t.nonce, target, t.session_key) != 0 ||
	    auth_credential_sign(s->rogue, &c, cb, cl) != 0)
		return -1;
	memcpy(tk->id, t.nonce, sizeof(tk->id));
	tk->expires_ms = t.expires_ms;
	if (auth_ticket_sign(s->rogue, &t, &tk->bytes, &tk->len) != 0) {
		free(*cb);
		*cb = NULL;
		return -1;
	}
	return 0;
}

/* Load process's key and credential from the run's directory (relay). */
static int steal(secure *s, const char *process, auth_reject *why)
{
	char path[4096];
	if (s->stolen_key)
		return 0;
	snprintf(path, sizeof(path), "%s/%s.key", s->cfg.dir, process);
	if (auth_key_load(path, &s->stolen_key) != 0)
		return secure_fail(why, "K7", "cannot steal the caller's key");
	snprintf(path, sizeof(path), "%s/%s.cred", s->cfg.dir, process);
	if (auth_file_read(path, &s->stolen_cred, &s->stolen_cred_len) != 0)
		return secure_fail(why, "K7", "cannot steal the caller's credential");
	snprintf(path, sizeof(path), "%s/%s.skey", s->cfg.dir, process);
	if (auth_secret_load(path, s->stolen_secret) != 0)
		return secure_fail(why, "K7", "cannot steal the caller's secret key");
	return 0;
}

/* claim_groups: BUILTIN\\Administrators and the SID of every other
 * account of the domain (from the caller's directory), as enabled groups
 * of t. */
static int claim_groups(const sc_runtime *rt, sc_token *t)
{
	if (!sc_token_has_sid(t, SC_SID_ADMINISTRATORS) &&
	    sc_token_add_group(t, SC_SID_ADMINISTRATORS,
			       "BUILTIN\\Administrators",
			       SC_GROUP_ENABLED) != 0)
		return -1;
	if (!rt)
		return 0;
	const sc_scenario *scn = sc_runtime_scenario(rt);
	const sc_directory *dir = sc_runtime_directory(rt);
	for (unsigned i = 0; i < scn->domain.accounts_count; i++) {
		const char *sid =
			sc_directory_sid(dir, scn->domain.accounts[i].name);
		if (!sid || strcmp(sid, sc_token_user_sid(t)) == 0 ||
		    sc_token_has_sid(t, sid))
			continue;
		const char *name = sc_directory_name(dir, sid);
		if (sc_token_add_group(t, sid, name ? name : sid,
				       SC_GROUP_ENABLED) != 0)
			return -1;
	}
	return 0;
}

/* The identity a misbehaving process claims in place of id, before it
 * signs (claim_groups, claim_privilege): a new token, or NULL (out of
 * memory). */
static sc_token *claimed(secure *s, const sc_runtime *rt,
			 const sc_token *id)
{
	sc_token *t = sc_token_copy(id);
	if (!t)
		return NULL;
	int rc = 0;
	if (s->cfg.misbehave == SC_MISBEHAVE_CLAIM_GROUPS)
		rc = claim_groups(rt, t);
	else if (sc_token_privilege_held(t, SC_PRIV_TCB, NULL))
		rc = sc_token_adjust_privilege(t, SC_PRIV_TCB, true);
	else
		rc = sc_token_add_privilege(t, SC_PRIV_TCB, true);
	if (rc != 0) {
		sc_token_free(t);
		return NULL;
	}
	return t;
}

/* claim_computer: the computer account of the first domain host of the
 * scenario other than the process's own, logged on there (its groups),
 * with id's boundaries; NULL when there is none. */
static sc_token *other_computer(const sc_runtime *rt, const sc_token *id)
{
	const sc_scenario *scn = sc_runtime_scenario(rt);
	const sc_directory *dir = sc_runtime_directory(rt);
	const char *mine = sc_runtime_process(rt)->host;
	for (unsigned i = 0; i < scn->hosts_count; i++) {
		const char *h = scn->hosts[i].name;
		const sc_account_def *c = sc_directory_computer(dir, h);
		if (!c || strcmp(h, mine) == 0)
			continue;
		sc_token *t = NULL;
		if (sc_directory_logon(dir, c->name, h, SC_START_SERVICE, &t,
				       NULL) != SC_OK)
			return NULL;
		sc_token_set_boundaries(t, sc_token_boundaries(id));
		return t;
	}
	return NULL;
}

/* secure_seal for a process set to misbehave: what the model decided,
 * altered as its misbehaviour says, before, while or after sealing. */
/* One misbehaving seal: what it works on, freed by misdeed_free. */
typedef struct misdeed {
	secure *s;
	void *parent;
	const char *target;
	sc_misbehave mb;
	sc_context c;              /* the context as sent */
	sc_token *swapped;         /* an identity put in its place */
	sc_token *relayed;         /* relay: the caller's vouched token */
	uint8_t *cb, *credb;       /* the context packed; a credential */
	size_t cl, credl;
	held_ticket tk, other;     /* the ticket; another of its own */
} misdeed;

/* relay: present exactly what the stolen ticket vouches for (the
 * caller's own logon), as the caller itself would: a new context in *cb
 * for *c with *relayed as its identity. 0 or -1. */
static int relay_as_vouched(misdeed *m)
{
	secure *s = m->s;
	const uint8_t *tb = m->tk.bytes;
	size_t tl = m->tk.len;
	sc_context *c = &m->c;
	sc_token **relayed = &m->relayed;
	uint8_t **cb = &m->cb;
	size_t *cl = &m->cl;
	auth_ticket t;
	auth_reject why;
	char err[200];
	auth_checker by = {s->anchor, auth_now_ms(), s->cfg.skew_ms};
	auth_pac pac = {NULL, 0};
	int rc = auth_ticket_pac(&by, tb, tl, &t, &pac, &why);
	if (rc == 0)
		rc = codec_identity_decode(pac.data, pac.len, relayed, err,
					   sizeof(err));
	free(pac.data);
	if (rc != 0)
		return -1;
	sc_token_set_boundaries(*relayed, sc_token_boundaries(c->identity));
	c->identity = *relayed;
	free(*cb);
	*cb = NULL;
	return codec_context_encode(c, cb, cl) == 0 ? 0 : -1;
}

/* stale_session_key: the first ticket to target, asked for one second
 * only, and then that ticket and its session key for every call to
 * target, long after it expired (the honest path asks again before
 * expiry). 0, or -1 with why. */
#define STALE_LIFETIME_MS 1000u
static int stale_ticket(secure *s, void *parent, const ticket_want *w,
			held_ticket *tk, auth_reject *why)
{
	const char *target = w->target;
	pthread_mutex_lock(&s->lock);
	const slot *k = NULL;
	for (size_t b = 0; b < s->stale.nbuckets && !k; b++)
		for (const slot *e = s->stale.buckets[b]; e && !k; e = e->next)
			if (strcmp(e->target, target) == 0)
				k = e;
	if (k) {
		tk->bytes = secure_dup_bytes(k->bytes, k->len);
		tk->len = k->len;
		memcpy(tk->key, k->key, sizeof(tk->key));
		memcpy(tk->id, k->id, sizeof(tk->id));
		tk->expires_ms = k->expires_ms;
	}
	pthread_mutex_unlock(&s->lock);
	if (k)
		return tk->bytes ? 0 : secure_fail(why, "K7", "out of memory");
	const requester me = {s->key, s->cred, s->cred_len, s->secret,
			      s->process};
	if (secure_request_ticket_as(s, &me, w, parent, tk, why) != 0)
		return -1;
	pthread_mutex_lock(&s->lock);
	static const kfacts none;
	int rc = secure_kc_put(&s->stale, "", target, &none, tk);
	pthread_mutex_unlock(&s->lock);
	return rc == 0 ? 0 : secure_fail(why, "K7", "out of memory");
}

/* The context's caller and identity as the misbehaviour wants them:
 * the caller's caller (strip_actor, relay), our caller presented
 * (present_client, identify_evidence), another host's computer account
 * (claim_computer), claimed groups or privileges. Caller holds no
 * lock. 0, or -1 with why. */
static int misdeed_identity(misdeed *m, const sc_context *ctx,
			    const sc_runtime *rt, auth_reject *why)
{
	secure *s = m->s;
	sc_misbehave mb = m->mb;
	pthread_mutex_lock(&s->lock);
	if ((mb == SC_MISBEHAVE_STRIP_ACTOR || mb == SC_MISBEHAVE_RELAY) &&
	    s->last_caller[0]) {
		/* Pretend the call comes straight from our caller. */
		snprintf(m->c.caller, sizeof(m->c.caller), "%s",
			 s->last_caller);
		snprintf(m->c.caller_host, sizeof(m->c.caller_host), "%s",
			 s->last_caller_host);
		snprintf(m->c.chain, sizeof(m->c.chain), "%s", s->last_chain);
		m->c.depth = ctx->depth ? ctx->depth - 1 : 0;
	}
	if ((mb == SC_MISBEHAVE_PRESENT_CLIENT ||
	     mb == SC_MISBEHAVE_IDENTIFY_EVIDENCE) && s->last_client) {
		/* Present our caller, whatever the model decided. */
		m->swapped = sc_token_copy(s->last_client);
		if (m->swapped) {
			sc_token_set_boundaries(
				m->swapped,
				sc_token_boundaries(s->last_client) + 1);
			/* identify_evidence: as if the caller's Identify (or
			 * Anonymous) call let us act as it. */
			if (mb == SC_MISBEHAVE_IDENTIFY_EVIDENCE &&
			    sc_token_level_raw(m->swapped) <
				    SC_LEVEL_IMPERSONATE)
				sc_token_set_level(m->swapped,
						   SC_LEVEL_IMPERSONATE);
			m->c.identity = m->swapped;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (mb == SC_MISBEHAVE_CLAIM_COMPUTER && rt) {
		/* D8: be another domain host's SYSTEM on the network. */
		m->swapped = other_computer(rt, ctx->identity);
		if (m->swapped)
			m->c.identity = m->swapped;
	}
	if (mb == SC_MISBEHAVE_CLAIM_GROUPS ||
	    mb == SC_MISBEHAVE_CLAIM_PRIVILEGE) {
		/* Claimed before signing: every signature will verify. */
		m->swapped = claimed(s, rt, ctx->identity);
		if (!m->swapped)
			return secure_fail(why, "K7", "out of memory");
		m->c.identity = m->swapped;
	}
	return 0;
}

/* The ticket (and credential) the context goes with: the caller's,
 * stolen (relay); a rogue authority's; a short-lived one
 * (stale_session_key); one for ourselves (wrong_audience); ours; and
 * for other_session_key and moved_authenticator another ticket of its
 * own, its own account presented to itself: a different ticket, a
 * different session key. 0, or -1 with why. */
static int misdeed_ticket(misdeed *m, auth_reject *why)
{
	secure *s = m->s;
	sc_misbehave mb = m->mb;
	const char *target = m->target;
	const char *sid = sc_token_user_sid(m->c.identity);
	if (mb == SC_MISBEHAVE_RELAY && s->last_caller[0]) {
		/* The caller's files sit in the same directory on one
		 * machine: steal them, and be the caller. */
		if (steal(s, s->last_caller, why) != 0)
			return -1;
		const requester as = {s->stolen_key, s->stolen_cred,
				      s->stolen_cred_len, s->stolen_secret,
				      s->last_caller};
		if (secure_request_ticket_as(
			    s, &as, &(ticket_want){target, sid, &m->c, 0},
			    m->parent, &m->tk, why) != 0)
			return -1;
		m->credb = secure_dup_bytes(s->stolen_cred, s->stolen_cred_len);
		m->credl = s->stolen_cred_len;
		if (!m->credb || relay_as_vouched(m) != 0)
			return secure_fail(why, "K7", "out of memory");
	} else if (mb == SC_MISBEHAVE_UNKNOWN_AUTHORITY) {
		if (rogue_statements(s, target, m->c.identity, &m->credb,
				     &m->credl, &m->tk) != 0)
			return secure_fail(why, "K7", "out of memory");
	} else if (mb == SC_MISBEHAVE_STALE_SESSION_KEY) {
		if (stale_ticket(s, m->parent,
				 &(ticket_want){target, sid, &m->c,
						STALE_LIFETIME_MS},
				 &m->tk, why) != 0)
			return -1;
	} else {
		const char *for_whom =
			mb == SC_MISBEHAVE_WRONG_AUDIENCE ? s->process : target;
		if (secure_get_ticket(s, m->parent,
				      &(ticket_want){for_whom, sid, &m->c, 0},
				      &m->tk, why) != 0) {
			if (mb != SC_MISBEHAVE_PRESENT_CLIENT)
				return -1;
			/* Refused: present the client on our own ticket. */
			if (secure_get_ticket(s, m->parent,
					      &(ticket_want){target,
							     s->me.account_sid,
							     &m->c, 0},
					      &m->tk, why) != 0)
				return -1;
		}
	}
	if ((mb == SC_MISBEHAVE_OTHER_SESSION_KEY ||
	     mb == SC_MISBEHAVE_MOVED_AUTHENTICATOR) &&
	    secure_get_ticket(
		    s, m->parent,
		    &(ticket_want){s->process, s->me.account_sid, &m->c, 0},
		    &m->other, why) != 0)
		return -1;
	return 0;
}

/* Seal the context: the authenticator with the ticket's session key,
 * or the other ticket's key (and, moved, its id: the authenticator made
 * for the other ticket), an hour in the past (expired); then tampered
 * with (forge, raise_level, add_group). 0, or -1 with why. */
static int misdeed_seal(misdeed *m, uint8_t **out, size_t *out_len,
			auth_reject *why)
{
	secure *s = m->s;
	sc_misbehave mb = m->mb;
	const uint8_t *key = m->other.bytes ? m->other.key : m->tk.key;
	const uint8_t *id = mb == SC_MISBEHAVE_MOVED_AUTHENTICATOR
				    ? m->other.id
				    : m->tk.id;
	uint64_t issued = auth_now_ms();
	if (mb == SC_MISBEHAVE_EXPIRED)
		issued -= 3600u * 1000u;
	if (auth_seal(&(auth_seal_in){.session_key = key,
				      .ticket_id = id,
				      .cred = m->credb ? m->credb : s->cred,
				      .cred_len = m->credb ? m->credl
							   : s->cred_len,
				      .ticket = m->tk.bytes,
				      .ticket_len = m->tk.len,
				      .context = m->cb,
				      .context_len = m->cl,
				      .audience = m->target,
				      .issued_ms = issued,
				      .lifetime_ms = AUTH_CONTEXT_LIFETIME_MS},
		      out, out_len) != 0)
		return secure_fail(why, "K7", "cannot seal the context");
	if ((mb == SC_MISBEHAVE_FORGE || mb == SC_MISBEHAVE_RAISE_LEVEL ||
	     mb == SC_MISBEHAVE_ADD_GROUP) &&
	    tamper(s, &m->c, out, out_len) != 0) {
		free(*out);
		*out = NULL;
		return secure_fail(why, "K7", "out of memory");
	}
	return 0;
}

static void misdeed_free(misdeed *m)
{
	sc_token_free(m->swapped);
	sc_token_free(m->relayed);
	free(m->cb);
	held_ticket_free(&m->tk);
	held_ticket_free(&m->other);
	free(m->credb);
}

int secure_misbehave_seal(secure *s, const secure_call *call, uint8_t **out,
			  size_t *out_len, auth_reject *why)
{
	void *parent = call->parent;
	const char *target = call->target;
	const sc_context *ctx = call->ctx;
	const sc_runtime *rt = call->rt;
	*out = NULL;
	misdeed m;
	memset(&m, 0, sizeof(m));
	m.s = s;
	m.parent = parent;
	m.target = target;
	m.mb = s->cfg.misbehave;
	m.c = *ctx;

	pthread_mutex_lock(&s->lock);
	if (m.mb == SC_MISBEHAVE_REPLAY && s->replayed.bytes &&
	    strcmp(s->replayed.target, target) == 0) {
		*out = secure_dup_bytes(s->replayed.bytes, s->replayed.len);
		*out_len = s->replayed.len;
		pthread_mutex_unlock(&s->lock);
		return *out ? 0 : secure_fail(why, "K7", "out of memory");
	}
	pthread_mutex_unlock(&s->lock);

	int rc = -1;
	if (misdeed_identity(&m, ctx, rt, why) != 0)
		goto out;
	if (codec_context_encode(&m.c, &m.cb, &m.cl) != 0) {
		secure_fail(why, "K7", "out of memory");
		goto out;
	}
	if (misdeed_ticket(&m, why) != 0 ||
	    misdeed_seal(&m, out, out_len, why) != 0)
		goto out;
	if (m.mb == SC_MISBEHAVE_REPLAY) {
		pthread_mutex_lock(&s->lock);
		if (!s->replayed.bytes)
			secure_slot_set(&s->replayed, "", target, *out, *out_len, 0);
		pthread_mutex_unlock(&s->lock);
	}
	rc = 0;
out:
	misdeed_free(&m);
	return rc;
}

int secure_tampering(secure *s, const sc_context *ctx, char *buf, size_t len)
{
	static const char *const what[SC_MISBEHAVE_COUNT] = {
		[SC_MISBEHAVE_FORGE] = "signs its ticket with a made-up signature",
		[SC_MISBEHAVE_RAISE_LEVEL] = "raises the level after signing",
		[SC_MISBEHAVE_ADD_GROUP] = "adds a group after signing",
		[SC_MISBEHAVE_REPLAY] = "resends the context of its first call",
		[SC_MISBEHAVE_EXPIRED] = "sends a context an hour old",
		[SC_MISBEHAVE_WRONG_AUDIENCE] = "uses a ticket for another service",
		[SC_MISBEHAVE_STRIP_ACTOR] = "removes itself from the chain",
		[SC_MISBEHAVE_UNKNOWN_AUTHORITY] =
			"signs with another authority's keys",
		[SC_MISBEHAVE_RELAY] =
			"signs as its caller, with the caller's stolen key",
		[SC_MISBEHAVE_CLAIM_GROUPS] =
			"claims BUILTIN\\Administrators and the other accounts' "
			"SIDs as its groups, and signs that",
		[SC_MISBEHAVE_CLAIM_PRIVILEGE] =
			"claims SeTcbPrivilege, enabled, and signs that",
		[SC_MISBEHAVE_CLAIM_COMPUTER] =
			"presents another host's computer account and asks "
			"the authority a ticket for it",
		[SC_MISBEHAVE_OTHER_SESSION_KEY] =
			"makes its authenticator's MAC with the session key "
			"of another of its tickets",
		[SC_MISBEHAVE_MOVED_AUTHENTICATOR] =
			"sends with its ticket an authenticator made for "
			"another of its tickets",
		[SC_MISBEHAVE_STALE_SESSION_KEY] =
			"keeps a one-second ticket and its session key, and "
			"uses them after the ticket expired",
	};
	sc_misbehave mb = s->cfg.misbehave;
	if (mb <= SC_MISBEHAVE_NONE || mb >= SC_MISBEHAVE_COUNT)
		return 0;
	if (mb == SC_MISBEHAVE_PRESENT_CLIENT ||
	    mb == SC_MISBEHAVE_IDENTIFY_EVIDENCE) {
		pthread_mutex_lock(&s->lock);
		const char *client = s->last_client
			? sc_token_user_name(s->last_client) : NULL;
		if (mb == SC_MISBEHAVE_PRESENT_CLIENT)
			snprintf(buf, len,
				 "presents its caller %s in place of %s, with "
				 "no ticket for that",
				 client ? client : "(none yet)",
				 sc_token_user_name(ctx->identity));
		else
			snprintf(buf, len,
				 "presents its caller %s at Impersonate in "
				 "place of %s, on the ticket of a call made "
				 "at %s",
				 client ? client : "(none yet)",
				 sc_token_user_name(ctx->identity),
				 s->last_client
					 ? sc_level_name(s->last_level)
					 : "?");
		pthread_mutex_unlock(&s->lock);
	} else {
		snprintf(buf, len, "%s", what[mb]);
	}
	return 1;
}
