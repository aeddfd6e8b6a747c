/* secure.c: the daemon side of signed contexts (see secure.h): ticket
 * requests to the authority, a ticket cache, the evidence kept from
 * incoming calls, sealing and binding. A process set to misbehave
 * (scenarios/attacks/) seals beside this path, in misbehave.c, and its
 * contexts go through the same checks an honest call's do; nothing may
 * relax a check for it. */
#include "secure_int.h"

#include "cloakroom.pb-c.h"
#include "codec.h"
#include "rpc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(AUTH_TICKET_LEVEL_MIN == SC_LEVEL_ANONYMOUS &&
		       AUTH_TICKET_LEVEL_MAX == SC_LEVEL_DELEGATE &&
		       AUTH_TICKET_TRANSPORTS == SC_TRANSPORT_COUNT &&
		       AUTH_TICKET_PACKAGES == SC_PACKAGE_COUNT &&
		       AUTH_TICKET_AUTHNS == SC_AUTHN_COUNT,
	       "auth.h's ticket ranges are sc_common.h's");

static void slot_clear(slot *s)
{
	free(s->bytes);
	memset(s, 0, sizeof(*s));
}

void held_ticket_free(held_ticket *t)
{
	free(t->bytes);
	memset(t, 0, sizeof(*t));
}

int secure_slot_set(slot *s, const char *sid, const char *target,
		    const uint8_t *b, size_t len, uint64_t expires)
{
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return -1;
	memcpy(copy, b, len);
	slot_clear(s);
	snprintf(s->sid, sizeof(s->sid), "%s", sid);
	snprintf(s->target, sizeof(s->target), "%s", target);
	s->bytes = copy;
	s->len = len;
	s->expires_ms = expires;
	return 0;
}

static const kfacts no_facts;

static bool kf_equal(const kfacts *a, const kfacts *b)
{
	return a->call == b->call && a->case_id == b->case_id &&
	       a->basis_len == b->basis_len &&
	       memcmp(a->basis, b->basis, a->basis_len) == 0;
}

static size_t kc_hash(const char *sid, const char *target, const kfacts *f)
{
	uint64_t facts = f->call ^ f->case_id;
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (const char *p = sid; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (const char *p = target; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ facts) * 1099511628211ull;
	h = (h ^ (facts >> 32)) * 1099511628211ull;
	for (size_t i = 0; i < f->basis_len; i++)
		h = (h ^ f->basis[i]) * 1099511628211ull;
	return (size_t)(h ^ (h >> 32));
}

static slot *kc_find(const kcache *c, const char *sid, const char *target,
		     const kfacts *facts)
{
	if (!c->nbuckets)
		return NULL;
	for (slot *e = c->buckets[kc_hash(sid, target, facts) &
				  (c->nbuckets - 1)];
	     e; e = e->next)
		if (kf_equal(&e->facts, facts) && strcmp(e->sid, sid) == 0 &&
		    strcmp(e->target, target) == 0)
			return e;
	return NULL;
}

static void kc_unlink(kcache *c, slot *x)
{
	slot **pp = &c->buckets[kc_hash(x->sid, x->target, &x->facts) &
				(c->nbuckets - 1)];
	while (*pp && *pp != x)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = x->next;
		c->count--;
		free(x->bytes);
		free(x);
	}
}

/* Room for one more: expired entries go; if none had, the entry that
 * expires first. */
static void kc_make_room(kcache *c, uint64_t now)
{
	slot *first = NULL;
	for (size_t b = 0; b < c->nbuckets; b++)
		for (slot *e = c->buckets[b], *nx; e; e = nx) {
			nx = e->next;
			if (e->expires_ms <= now)
				kc_unlink(c, e);
			else if (!first || e->expires_ms < first->expires_ms)
				first = e;
		}
	if (c->count >= SECURE_CACHE_MAX && first)
		kc_unlink(c, first);
}

static int kc_grow(kcache *c)
{
	size_t n = c->nbuckets ? c->nbuckets * 2 : 64;
	slot **b = calloc(n, sizeof(*b));
	if (!b)
		return -1;
	for (size_t i = 0; i < c->nbuckets; i++)
		for (slot *e = c->buckets[i], *nx; e; e = nx) {
			nx = e->next;
			size_t h = kc_hash(e->sid, e->target, &e->facts) &
				   (n - 1);
			e->next = b[h];
			b[h] = e;
		}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = n;
	return 0;
}

/* Keep a copy of b under (sid, target, facts), replacing what was; h,
 * when given, is the ticket's session key and id. */
static int kc_put(kcache *c, const char *sid, const char *target,
		  const kfacts *facts, const uint8_t *b, size_t len,
		  uint64_t expires, uint64_t now, const held_ticket *h)
{
	slot *e = kc_find(c, sid, target, facts);
	if (e && e->len == len && memcmp(e->bytes, b, len) == 0) {
		e->expires_ms = expires; /* the same statement again */
		return 0;
	}
	if (e) {
		uint8_t *copy = malloc(len ? len : 1);
		if (!copy)
			return -1;
		memcpy(copy, b, len);
		free(e->bytes);
		e->bytes = copy;
		e->len = len;
		e->expires_ms = expires;
		if (h) {
			memcpy(e->key, h->key, sizeof(e->key));
			memcpy(e->id, h->id, sizeof(e->id));
		}
		return 0;
	}
	if (c->count >= SECURE_CACHE_MAX)
		kc_make_room(c, now);
	if ((c->count >= c->nbuckets && c->nbuckets * 2 <= SECURE_CACHE_MAX) ||
	    !c->nbuckets)
		if (kc_grow(c) != 0 && !c->nbuckets)
			return -1;
	e = calloc(1, sizeof(*e));
	if (!e || secure_slot_set(e, sid, target, b, len, expires) != 0) {
		free(e);
		return -1;
	}
	e->facts = *facts;
	if (h) {
		memcpy(e->key, h->key, sizeof(e->key));
		memcpy(e->id, h->id, sizeof(e->id));
	}
	size_t hb = kc_hash(sid, target, facts) & (c->nbuckets - 1);
	e->next = c->buckets[hb];
	c->buckets[hb] = e;
	c->count++;
	return 0;
}

int secure_kc_put(kcache *c, const char *sid, const char *target,
		  const kfacts *facts, const held_ticket *h)
{
	return kc_put(c, sid, target, facts, h->bytes, h->len, h->expires_ms,
		      auth_now_ms(), h);
}

static void kc_clear(kcache *c)
{
	for (size_t i = 0; i < c->nbuckets; i++)
		for (slot *e = c->buckets[i], *nx; e; e = nx) {
			nx = e->next;
			free(e->bytes);
			free(e);
		}
	free(c->buckets);
	memset(c, 0, sizeof(*c));
}

uint8_t *secure_dup_bytes(const uint8_t *b, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);
	if (c)
		memcpy(c, b, len);
	return c;
}

int secure_fail(auth_reject *why, const char *rule, const char *reason)
{
	snprintf(why->rule, sizeof(why->rule), "%s", rule);
	size_t n = strlen(reason);
	if (n >= sizeof(why->reason))
		n = sizeof(why->reason) - 1; /* a long reason is cut */
	memcpy(why->reason, reason, n);
	why->reason[n] = '\0';
	return -1;
}

int secure_tls_use(const char *dir, const char *account, char *err,
		   size_t errlen)
{
	char path[4096], dns[AUTH_NAME_LEN];
	uint8_t *pem[3] = {NULL, NULL, NULL};
	size_t len;
	auth_dns_name(account, dns, sizeof(dns));
	const char *names[3] = {"ca", dns, dns};
	const char *exts[3] = {"crt", "crt", "key"};
	int rc = 0;
	for (int i = 0; i < 3 && rc == 0; i++) {
		snprintf(path, sizeof(path), "%s/%s.%s", dir, names[i],
			 exts[i]);
		rc = auth_file_read(path, &pem[i], &len);
		if (rc == 0)
			pem[i][len] = 0; /* there is room: see auth.h */
		else
			snprintf(err, errlen, "cannot read %s", path);
	}
	if (rc == 0 &&
	    (rc = rpc_tls_use((char *)pem[0], (char *)pem[1],
			      (char *)pem[2])) != 0)
		snprintf(err, errlen, "out of memory");
	for (int i = 0; i < 3; i++)
		free(pem[i]);
	return rc;
}

int secure_open(const secure_config *cfg, secure **out, char *err,
		size_t errlen)
{
	*out = NULL;
	secure *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->cfg = *cfg;
	snprintf(s->process, sizeof(s->process), "%s", cfg->process);
	s->cfg.process = s->process;
	pthread_mutex_init(&s->lock, NULL);
	char path[4096];
	uint8_t *pub = NULL;
	size_t pl = 0;
	auth_reject why;
	snprintf(path, sizeof(path), "%s/authority.pub", cfg->dir);
	if (auth_file_read(path, &pub, &pl) != 0 || pl != AUTH_KEY_LEN) {
		snprintf(err, errlen, "cannot read the trust anchor %s", path);
		goto bad;
	}
	memcpy(s->anchor, pub, AUTH_KEY_LEN);
	snprintf(path, sizeof(path), "%s/%s.key", cfg->dir, cfg->process);
	if (auth_key_load(path, &s->key) != 0) {
		snprintf(err, errlen, "cannot read the key %s", path);
		goto bad;
	}
	snprintf(path, sizeof(path), "%s/%s.cred", cfg->dir, cfg->process);
	if (auth_file_read(path, &s->cred, &s->cred_len) != 0 ||
	    auth_credential_check(s->anchor, s->cred, s->cred_len,
				  auth_now_ms(), cfg->skew_ms, &s->me,
				  &why) != 0) {
		snprintf(err, errlen, "no valid credential in %s", path);
		goto bad;
	}
	snprintf(path, sizeof(path), "%s/%s.skey", cfg->dir, cfg->process);
	if (auth_secret_load(path, s->secret) != 0) {
		snprintf(err, errlen, "cannot read the secret key %s", path);
		goto bad;
	}
	uint8_t mine[AUTH_KEY_LEN];
	auth_key_public(s->key, mine);
	if (memcmp(mine, s->me.key, AUTH_KEY_LEN) != 0 ||
	    strcmp(s->me.process, cfg->process) != 0) {
		snprintf(err, errlen, "the credential in %s is not this "
				      "process's", path);
		goto bad;
	}
	/* A nonce lives as long as its context, plus the skew (35 s by
	 * default): room for about 7,000 calls a second from each caller,
	 * in a cache of its own: a caller that fills its own is the only
	 * one refused (K5). */
	s->replay = auth_replay_new_per_presenter(SECURE_REPLAY_CAPACITY);
	s->audience = auth_audience_new(s->anchor, s->process, s->secret);
	if (!s->replay || !s->audience) {
		snprintf(err, errlen, "out of memory");
		goto bad;
	}
	if (!cfg->authority || !cfg->authority[0] ||
	    strlen(cfg->authority) >= sizeof(s->authority_addr)) {
		snprintf(err, errlen, "no usable authority address");
		goto bad;
	}
	snprintf(s->authority_addr, sizeof(s->authority_addr), "%s",
		 cfg->authority);
	if (!cfg->insecure && secure_tls_use(cfg->dir, s->me.account, err,
				       errlen) != 0)
		goto bad;
	if (cfg->misbehave == SC_MISBEHAVE_UNKNOWN_AUTHORITY &&
	    auth_key_generate(&s->rogue) != 0) {
		snprintf(err, errlen, "out of memory");
		goto bad;
	}
	free(pub);
	*out = s;
	return 0;
bad:
	free(pub);
	secure_close(s);
	return -1;
}

void secure_close(secure *s)
{
	if (!s)
		return;
	kc_clear(&s->tickets);
	kc_clear(&s->evidence);
	kc_clear(&s->stale);
	slot_clear(&s->replayed);
	sc_token_free(s->last_client);
	rpc_channel_close(s->authority);
	auth_replay_free(s->replay);
	auth_audience_free(s->audience);
	memset(s->secret, 0, sizeof(s->secret));
	memset(s->stolen_secret, 0, sizeof(s->stolen_secret));
	auth_key_free(s->key);
	auth_key_free(s->rogue);
	auth_key_free(s->stolen_key);
	free(s->stolen_cred);
	free(s->cred);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void secure_reset(secure *s, uint64_t case_id)
{
	pthread_mutex_lock(&s->lock);
	s->case_id = case_id;
	kc_clear(&s->evidence);
	kc_clear(&s->stale);
	slot_clear(&s->replayed);
	sc_token_free(s->last_client);
	s->last_client = NULL;
	auth_key_free(s->stolen_key);
	s->stolen_key = NULL;
	free(s->stolen_cred);
	s->stolen_cred = NULL;
	s->stolen_cred_len = 0;
	memset(s->stolen_secret, 0, sizeof(s->stolen_secret));
	s->last_caller[0] = '\0';
	s->last_caller_host[0] = '\0';
	s->last_chain[0] = '\0';
	pthread_mutex_unlock(&s->lock);
}

unsigned long long secure_tickets_requested(secure *s)
{
	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	unsigned long long n = s->requested;
	pthread_mutex_unlock(&s->lock);
	return n;
}

unsigned long long secure_statements_reused(secure *s)
{
	return s ? (unsigned long long)auth_audience_hits(s->audience) : 0;
}

const char *secure_account(const secure *s)
{
	return s->me.account;
}

/* ---- tickets ------------------------------------------------------ */

/* The ticket that presented sid to this process (its evidence for a
 * ticket presenting sid further), or NULL: none for a token from protocol
 * transition (D6, S4U2Self, no evidence) nor for the process's own
 * account. D8: a machine identity this process holds reaches another host
 * as its host's computer account, or as ANONYMOUS LOGON: its evidence is
 * the ticket that presented SYSTEM, NETWORK SERVICE or LOCAL SERVICE to
 * it (the authority checks what D8 makes of it). Caller holds the lock. */
static const slot *evidence_for(const secure *s, const char *sid,
				bool transition)
{
	if (transition)
		return NULL;
	const slot *held = kc_find(&s->evidence, sid, "", &no_facts);
	static const char *const as_computer[] = {
		SC_SID_LOCAL_SYSTEM, SC_SID_NETWORK_SERVICE, NULL};
	static const char *const as_anonymous[] = {
		SC_SID_LOCAL_SERVICE, SC_SID_LOCAL_SYSTEM,
		SC_SID_NETWORK_SERVICE, NULL};
	const char *const *machine =
		strcmp(sid, SC_SID_ANONYMOUS) == 0 ? as_anonymous : as_computer;
	for (size_t i = 0; !held && machine[i] &&
			   strcmp(sid, s->me.account_sid) != 0;
	     i++)
		held = kc_find(&s->evidence, machine[i], "", &no_facts);
	return held;
}

/* What the authority needs to know of the call (D1, D3, D7), the case
 * it decides by, and which evidence it would be asked on: the ticket
 * cache's key. A ticket is asked again when the call's facts change, the
 * case does (secure_set_case) or its evidence does (a new ticket from
 * this process's caller). Caller holds the lock. */
static void call_facts(const secure *s, const char *sid, const sc_context *c,
		       kfacts *f)
{
	const sc_token *id = c->identity;
	unsigned presented = sc_token_type_of(id) == SC_TOKEN_IMPERSONATION
				     ? (unsigned)sc_token_level_raw(id)
				     : 0;
	/* C6: ANONYMOUS LOGON in place of an identity that could not cross
	 * is asked on that identity's evidence. */
	const sc_token *judged = c->replaced ? c->replaced : id;
	bool transition = sc_token_from_transition(judged);
	if (c->replaced)
		sid = sc_token_user_sid(c->replaced);
	memset(f, 0, sizeof(*f));
	f->call = (unsigned)c->asked | (unsigned)c->authn << 4 |
		  (unsigned)c->package << 8 | (unsigned)c->transport << 12 |
		  presented << 16 | (unsigned)transition << 20;
	f->case_id = s->case_id;
	const slot *ev = evidence_for(s, sid, transition);
	if (ev) {
		/* The evidence's last bytes are its signature's. */
		f->basis_len = ev->len < SECURE_BASIS_LEN ? ev->len
							  : SECURE_BASIS_LEN;
		memcpy(f->basis, ev->bytes + ev->len - f->basis_len,
		       f->basis_len);
		f->call |= 1u << 31; /* asked on evidence */
	}
}

/* A ticket request as who signs it (*req, malloc'd): its credential,
 * the identity (sid) to present to target, the evidence this process
 * holds for it (none for a protocol-transition token, D6), and the
 * call's facts. 0, or -1 with why. */
static int ticket_request_make(secure *s, const requester *who,
			       const ticket_want *w, uint8_t **req,
			       size_t *rl, auth_reject *why)
{
	int rc = -1;
	uint8_t nonce[AUTH_NONCE_LEN];
	uint8_t *body = NULL, *ev = NULL;
	size_t evl = 0;
	Cloakroom__Signed *cred = NULL, *evs = NULL;
	const sc_context *c = w->call;

	/* D6: a token from protocol transition is presented on no
	 * evidence (S4U2Self); any other identity but the process's own on
	 * the ticket that presented it to this process. C6: ANONYMOUS LOGON
	 * in place of an identity that could not cross, on that identity's
	 * basis. */
	const sc_token *judged = c->replaced ? c->replaced : c->identity;
	bool transition = sc_token_from_transition(judged);
	pthread_mutex_lock(&s->lock);
	s->requested++;
	const slot *held = evidence_for(
		s, c->replaced ? sc_token_user_sid(c->replaced) : w->sid,
		transition);
	if (held) {
		ev = secure_dup_bytes(held->bytes, held->len);
		evl = held->len;
	}
	pthread_mutex_unlock(&s->lock);

	cred = cloakroom__signed__unpack(NULL, who->cred_len, who->cred);
	if (ev)
		evs = cloakroom__signed__unpack(NULL, evl, ev);
	if (!cred || auth_random(nonce, sizeof(nonce)) != 0) {
		secure_fail(why, "K7", "cannot build a ticket request");
		goto out;
	}
	Cloakroom__TicketRequest rq;
	cloakroom__ticket_request__init(&rq);
	rq.credential = cred;
	rq.target = (char *)w->target;
	rq.subject_sid = (char *)w->sid;
	rq.evidence = evs;
	rq.package = (uint32_t)c->package;
	rq.asked = (uint32_t)c->asked;
	rq.authn = (uint32_t)c->authn;
	rq.transport = (uint32_t)c->transport;
	rq.basis = transition ? 1 : 0;
	rq.replaced_sid =
		c->replaced ? (char *)sc_token_user_sid(c->replaced) : (char *)"";
	rq.presented = sc_token_type_of(c->identity) == SC_TOKEN_IMPERSONATION
			       ? (uint32_t)sc_token_level_raw(c->identity)
			       : 0;
	rq.lifetime_ms = w->lifetime_ms;
	rq.issued_ms = auth_now_ms();
	rq.nonce.data = nonce;
	rq.nonce.len = sizeof(nonce);
	size_t bl = cloakroom__ticket_request__get_packed_size(&rq);
	body = malloc(bl ? bl : 1);
	if (!body) {
		secure_fail(why, "K7", "out of memory");
		goto out;
	}
	cloakroom__ticket_request__pack(&rq, body);
	if (auth_request_sign(who->key, body, bl, req, rl) != 0) {
		secure_fail(why, "K7", "cannot sign the ticket request");
		goto out;
	}
	rc = 0;
out:
	if (cred)
		cloakroom__signed__free_unpacked(cred, NULL);
	if (evs)
		cloakroom__signed__free_unpacked(evs, NULL);
	free(ev);
	free(body);
	return rc;
}

/* Send the request to the authority (the channel opened at the first
 * request) and read its reply (*rep, the caller's to free). A reply
 * that refuses is the caller's to read. 0, or -1 with why. */
static int ticket_request_send(secure *s, void *parent, const uint8_t *req,
			       size_t rl, Cloakroom__TicketReply **rep,
			       auth_reject *why)
{
	*rep = NULL;
	pthread_mutex_lock(&s->lock);
	if (!s->authority) {
		char dns[AUTH_NAME_LEN];
		auth_dns_name(AUTH_AUTHORITY_ACCOUNT, dns, sizeof(dns));
		s->authority = rpc_channel_open_as(s->authority_addr, dns);
	}
	rpc_channel *ach = s->authority;
	pthread_mutex_unlock(&s->lock);
	/* Transport, not a decision: NET (docs/rules.md). */
	if (!ach)
		return secure_fail(why, "NET",
				   "cannot open a channel to the authority");
	rpc_result res;
	memset(&res, 0, sizeof(res));
	int rc = -1;
	if (rpc_call(ach, parent, NULL, 0, req, rl, s->cfg.timeout_ms,
		     &res) != 0 ||
	    res.status != RPC_STATUS_OK) {
		snprintf(why->rule, sizeof(why->rule), "NET");
		snprintf(why->reason, sizeof(why->reason),
			 "the authority did not answer: %.150s", res.details);
	} else if (!(*rep = cloakroom__ticket_reply__unpack(
			     NULL, res.body_len, res.body))) {
		secure_fail(why, "K7", "the authority's reply is unreadable");
	} else {
		rc = 0;
	}
	rpc_result_free(&res);
	return rc;
}

/* The ticket of a reply into out: refused (the authority's rule and
 * reason), or checked (the authority's signature, once per ticket) and
 * its session key unsealed with who's secret. 0, or -1 with why. */
static int ticket_take(secure *s, const requester *who,
		       const ticket_want *w, const Cloakroom__TicketReply *rep,
		       held_ticket *out, auth_reject *why)
{
	if (!rep->ticket) {
		snprintf(why->rule, sizeof(why->rule), "%s",
			 rep->rule && rep->rule[0] ? rep->rule : "K7");
		snprintf(why->reason, sizeof(why->reason),
			 "the authority refused a ticket to present %s to %s: "
			 "%s",
			 w->sid, w->target, rep->reason ? rep->reason : "");
		return -1;
	}
	out->len = cloakroom__signed__get_packed_size(rep->ticket);
	out->bytes = malloc(out->len ? out->len : 1);
	if (!out->bytes)
		return secure_fail(why, "K7", "out of memory");
	cloakroom__signed__pack(rep->ticket, out->bytes);
	auth_ticket t;
	auth_reject bad;
	if (auth_ticket_check(s->anchor, out->bytes, out->len, auth_now_ms(),
			      s->cfg.skew_ms, &t, &bad) != 0)
		return secure_fail(why, bad.rule, bad.reason);
	if (auth_key_unseal(who->secret, rep->session_key.data,
			    rep->session_key.len, t.nonce, who->process,
			    out->key) != 0)
		return secure_fail(why, "K1",
				   "the ticket's session key is not sealed "
				   "for this process");
	memcpy(out->id, t.nonce, sizeof(out->id));
	out->expires_ms = t.expires_ms;
	return 0;
}

int secure_request_ticket_as(secure *s, const requester *who,
			     const ticket_want *w, void *parent,
			     held_ticket *out, auth_reject *why)
{
	memset(out, 0, sizeof(*out));
	uint8_t *req = NULL;
	size_t rl = 0;
	Cloakroom__TicketReply *rep = NULL;
	int rc = -1;
	if (ticket_request_make(s, who, w, &req, &rl, why) == 0 &&
	    ticket_request_send(s, parent, req, rl, &rep, why) == 0 &&
	    ticket_take(s, who, w, rep, out, why) == 0)
		rc = 0;
	if (rc != 0)
		held_ticket_free(out);
	if (rep)
		cloakroom__ticket_reply__free_unpacked(rep, NULL);
	free(req);
	return rc;
}

int secure_get_ticket(secure *s, void *parent, const char *target,
		      const char *sid, const sc_context *c, held_ticket *out,
		      auth_reject *why)
{
	uint64_t now = auth_now_ms();
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->lock);
	kfacts facts;
	call_facts(s, sid, c, &facts);
	const slot *k = kc_find(&s->tickets, sid, target, &facts);
	if (k && k->expires_ms > now + SECURE_RENEW_MS) {
		out->bytes = secure_dup_bytes(k->bytes, k->len);
		out->len = k->len;
		memcpy(out->key, k->key, sizeof(out->key));
		memcpy(out->id, k->id, sizeof(out->id));
		out->expires_ms = k->expires_ms;
	}
	pthread_mutex_unlock(&s->lock);
	if (out->bytes)
		return 0;
	const requester me = {s->key, s->cred, s->cred_len, s->secret,
			      s->process};
	if (secure_request_ticket_as(s, &me, &(ticket_want){target, sid, c, 0},
				     parent, out, why) != 0)
		return -1;
	pthread_mutex_lock(&s->lock);
	(void)kc_put(&s->tickets, sid, target, &facts, out->bytes, out->len,
		     out->expires_ms, now, out); /* not kept when out of
						    memory: asked again */
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* ---- seal, accept, bind ------------------------------------------- */

int secure_seal(secure *s, void *parent, const char *target,
		const sc_context *ctx, const sc_runtime *rt, uint8_t **out,
		size_t *out_len, auth_reject *why)
{
	if (s->cfg.misbehave != SC_MISBEHAVE_NONE)
		return secure_misbehave_seal(s, parent, target, ctx, rt, out,
					     out_len, why);
	*out = NULL;
	uint8_t *cb = NULL;
	size_t cl = 0;
	held_ticket t;
	memset(&t, 0, sizeof(t));
	int rc = -1;
	if (codec_context_encode(ctx, &cb, &cl) != 0)
		secure_fail(why, "K7", "out of memory");
	else if (secure_get_ticket(s, parent, target,
				   sc_token_user_sid(ctx->identity), ctx, &t,
				   why) != 0)
		; /* why says it */
	else if (auth_seal(&(auth_seal_in){.session_key = t.key,
					   .ticket_id = t.id,
					   .cred = s->cred,
					   .cred_len = s->cred_len,
					   .ticket = t.bytes,
					   .ticket_len = t.len,
					   .context = cb,
					   .context_len = cl,
					   .audience = target,
					   .issued_ms = auth_now_ms(),
					   .lifetime_ms =
						   AUTH_CONTEXT_LIFETIME_MS},
			   out, out_len) != 0)
		secure_fail(why, "K7", "cannot seal the context");
	else
		rc = 0;
	free(cb);
	held_ticket_free(&t);
	return rc;
}

int secure_accept(secure *s, const uint8_t *buf, size_t len, auth_opened *o,
		  auth_reject *why)
{
	return auth_open(s->audience, buf, len, auth_now_ms(), s->cfg.skew_ms,
			 s->replay, o, why);
}

static bool chain_ends_with(const char *chain, const char *name)
{
	size_t cl = strlen(chain), nl = strlen(name);
	if (cl < nl || strcmp(chain + cl - nl, name) != 0)
		return false;
	return cl == nl || chain[cl - nl - 1] == '>';
}

int secure_peer_name(secure *s, const char *target, char *out, size_t len)
{
	char path[4096];
	uint8_t *b = NULL;
	size_t l = 0;
	auth_credential c;
	auth_reject why;
	out[0] = '\0';
	if (!rpc_tls_on())
		return 0;
	snprintf(path, sizeof(path), "%s/%s.cred", s->cfg.dir, target);
	int rc = auth_file_read(path, &b, &l);
	if (rc == 0)
		rc = auth_credential_check(s->anchor, b, l, auth_now_ms(),
					   s->cfg.skew_ms, &c, &why);
	free(b);
	if (rc == 0)
		auth_dns_name(c.account, out, len);
	return rc;
}

/* K7: the ticket's authorization data (the PAC) is the authority's word
 * on the identity; the context may claim no group it does not hold and,
 * on a local pipe (where the server gets the client's own privileges,
 * T7), no privilege it does not hold nor enable one it holds disabled.
 * Over the network the callee's host decides the privileges (P3), so
 * what the context says of them is not read. On success *vouched is the
 * ticket's identity, its boundaries the context's. */
static int vouch(secure *s, const auth_opened *o, const sc_context *ctx,
		 sc_token **vouched, auth_reject *why)
{
	char r[700], err[200];
	sc_token *v = NULL;
	if (!o->pac || codec_identity_decode(o->pac, o->pac_len, &v, err,
					     sizeof(err)) != 0) {
		snprintf(r, sizeof(r), "the ticket's authorization data is "
				       "malformed: %s",
			 o->pac ? err : "none");
		return secure_fail(why, "K1", r);
	}
	if (strcmp(sc_token_user_sid(v), o->tk.subject_sid) != 0) {
		sc_token_free(v);
		return secure_fail(why, "K1", "the ticket's authorization data is "
				       "not its subject's");
	}
	const sc_token *id = ctx->identity;
	size_t ng = sc_token_group_count(id);
	for (size_t i = 0; i < ng; i++) {
		const char *sid, *name;
		uint32_t attrs;
		sc_token_group(id, i, &sid, &name, &attrs);
		size_t k, nv = sc_token_group_count(v);
		for (k = 0; k < nv; k++) {
			const char *vs;
			sc_token_group(v, k, &vs, NULL, NULL);
			if (strcmp(vs, sid) == 0)
				break;
		}
		if (k == nv) {
			snprintf(r, sizeof(r),
				 "%s claims group %s for %s, which its ticket "
				 "does not vouch for",
				 o->cred.process, sid, o->tk.subject);
			sc_token_free(v);
			return secure_fail(why, "K7", r);
		}
	}
	/* T7: on one host the server takes the client's privileges too. */
	bool local = sc_directory_keeps_client_token(ctx->caller_host,
						     s->me.host);
	size_t np = local ? sc_token_privilege_count(id) : 0;
	for (size_t i = 0; i < np; i++) {
		const char *name;
		bool on, von;
		sc_token_privilege(id, i, &name, &on);
		bool held = sc_token_privilege_held(v, name, &von);
		if (!held || (on && !von)) {
			snprintf(r, sizeof(r),
				 "%s claims %s%s for %s on one host, which "
				 "its ticket does not vouch for",
				 o->cred.process, name,
				 held ? " enabled" : "", o->tk.subject);
			sc_token_free(v);
			return secure_fail(why, "K7", r);
		}
	}
	sc_token_set_boundaries(v, sc_token_boundaries(id));
	*vouched = v;
	return 0;
}

int secure_bind(secure *s, const auth_opened *o, const sc_context *ctx,
		const char *peer_account, sc_token **vouched, auth_reject *why)
{
	*vouched = NULL;
	char r[700];
	/* K6: the TLS peer is the account whose process signed. */
	if (peer_account && strcmp(peer_account, o->cred.account) != 0) {
		snprintf(r, sizeof(r),
			 "the TLS peer is %s, but the context was sealed by "
			 "%s (%s): relayed by another process",
			 peer_account[0] ? peer_account : "(no certificate)",
			 o->cred.process, o->cred.account);
		return secure_fail(why, "K6", r);
	}
	if (strcmp(ctx->caller, o->cred.process) != 0 ||
	    strcmp(ctx->caller_host, o->cred.host) != 0) {
		snprintf(r, sizeof(r),
			 "the context names caller %s on %s, but it was "
			 "signed by %s on %s",
			 ctx->caller, ctx->caller_host, o->cred.process,
			 o->cred.host);
		return secure_fail(why, "K6", r);
	}
	if (!chain_ends_with(ctx->chain, ctx->caller)) {
		snprintf(r, sizeof(r), "the chain '%s' does not end with its "
				       "caller %s",
			 ctx->chain, ctx->caller);
		return secure_fail(why, "K6", r);
	}
	if (strcmp(sc_token_user_sid(ctx->identity), o->tk.subject_sid) != 0) {
		snprintf(r, sizeof(r),
			 "%s presents %s, but its ticket is for %s: no "
			 "credential the authority minted for this hop",
			 o->cred.process, sc_token_user_sid(ctx->identity),
			 o->tk.subject);
		return secure_fail(why, "K7", r);
	}
	if (vouch(s, o, ctx, vouched, why) != 0)
		return -1;
	pthread_mutex_lock(&s->lock);
	(void)kc_put(&s->evidence, o->tk.subject_sid, "", &no_facts, o->ticket,
		     o->ticket_len, o->tk.expires_ms, auth_now_ms(), NULL);
	if (s->cfg.misbehave != SC_MISBEHAVE_NONE) {
		sc_token_free(s->last_client);
		s->last_client = sc_token_copy(ctx->identity);
		snprintf(s->last_caller, sizeof(s->last_caller), "%s",
			 ctx->caller);
		snprintf(s->last_caller_host, sizeof(s->last_caller_host),
			 "%s", ctx->caller_host);
		snprintf(s->last_chain, sizeof(s->last_chain), "%s",
			 ctx->chain);
		s->last_level = (sc_level)o->tk.level;
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}
