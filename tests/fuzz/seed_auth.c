/* seed_auth.c: writes the seed corpus of fuzz-auth into the directory
 * given: sealed contexts for C made with the fixed keys of fuzz_auth.h
 * (valid ones, and one refused for each reason), a bare credential and a
 * bare ticket. A build tool for tests/fuzz/corpus/auth; never part of a
 * daemon. */
#include "codec.h"
#include "fuzz_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dir;
static int failed;

static void write_seed(const char *name, const uint8_t *buf, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!buf || auth_file_write(path, buf, len) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		failed = 1;
	}
}

static uint8_t *credential(const auth_key *issuer, const auth_key *key,
			   size_t *len)
{
	auth_credential c;
	memset(&c, 0, sizeof(c));
	snprintf(c.process, sizeof(c.process), "%s", FUZZ_AUTH_PRESENTER);
	snprintf(c.account, sizeof(c.account), "CORP\\svc-b");
	snprintf(c.account_sid, sizeof(c.account_sid), "S-1-5-21-1-1002");
	snprintf(c.host, sizeof(c.host), "srv1");
	auth_key_public(key, c.key);
	c.expires_ms = FUZZ_AUTH_NOW_MS + AUTH_CREDENTIAL_LIFETIME_MS;
	uint8_t *out = NULL;
	if (auth_credential_sign(issuer, &c, &out, len) != 0)
		failed = 1;
	return out;
}

/* A ticket, its id in id; its session key (fuzz_auth_session_key of the
 * id) sealed for the audience under C's secret. */
static uint8_t *ticket(const auth_key *issuer, const char *subject,
		       const char *sid, const char *presenter,
		       const char *audience, bool forwardable,
		       uint8_t id[AUTH_NONCE_LEN], size_t *len)
{
	auth_ticket t;
	memset(&t, 0, sizeof(t));
	snprintf(t.subject, sizeof(t.subject), "%s", subject);
	snprintf(t.subject_sid, sizeof(t.subject_sid), "%s", sid);
	snprintf(t.subject_host, sizeof(t.subject_host), "ws1");
	snprintf(t.presenter, sizeof(t.presenter), "%s", presenter);
	snprintf(t.audience, sizeof(t.audience), "%s", audience);
	snprintf(t.rule, sizeof(t.rule), forwardable ? "D1" : "L4");
	t.forwardable = forwardable;
	t.expires_ms = FUZZ_AUTH_NOW_MS + AUTH_TICKET_LIFETIME_MS;
	t.level = forwardable ? SC_LEVEL_DELEGATE : SC_LEVEL_IMPERSONATE;
	t.package = SC_PACKAGE_KERBEROS;
	t.authn = SC_AUTHN_CONNECT;
	/* The authorization data: the subject and its groups. */
	sc_token *pac = sc_token_new(SC_TOKEN_IMPERSONATION);
	uint8_t *pb = NULL;
	size_t pl = 0;
	if (!pac || sc_token_set_user(pac, sid, subject) != 0 ||
	    sc_token_add_group(pac, "S-1-5-21-1-513", "CORP\\Domain Users",
			       7) != 0 ||
	    codec_identity_encode(pac, &pb, &pl) != 0)
		failed = 1;
	sc_token_free(pac);
	t.pac = pb;
	t.pac_len = pl;
	uint8_t *out = NULL, key[AUTH_SESSION_KEY_LEN],
		secret[AUTH_SECRET_LEN];
	fuzz_auth_secret(secret);
	if (auth_random(t.nonce, sizeof(t.nonce)) != 0 ||
	    fuzz_auth_session_key(t.nonce, key) != 0 ||
	    auth_key_seal(secret, key, t.nonce, audience, t.session_key) != 0 ||
	    auth_ticket_sign(issuer, &t, &out, len) != 0)
		failed = 1;
	memcpy(id, t.nonce, AUTH_NONCE_LEN);
	free(pb);
	return out;
}

/* The context B sends C on behalf of user (sid), as the codec packs it. */
static uint8_t *context(const char *user, const char *sid, bool rich,
			size_t *len)
{
	sc_token *t = sc_token_new(SC_TOKEN_IMPERSONATION);
	uint8_t *out = NULL;
	if (!t || sc_token_set_user(t, sid, user) != 0) {
		failed = 1;
		sc_token_free(t);
		return NULL;
	}
	sc_token_set_level(t, rich ? SC_LEVEL_DELEGATE : SC_LEVEL_IMPERSONATE);
	sc_token_set_origin_host(t, "ws1");
	if (rich) {
		sc_token_add_group(t, "S-1-5-21-1-513", "CORP\\Domain Users", 7);
		sc_token_add_privilege(t, "SeChangeNotifyPrivilege", true);
		sc_token_set_delegable(t, true);
		sc_token_set_boundaries(t, 1);
	}
	sc_context c;
	memset(&c, 0, sizeof(c));
	c.identity = t;
	c.asked = rich ? SC_LEVEL_DELEGATE : SC_LEVEL_IMPERSONATE;
	c.authn = rich ? SC_AUTHN_PRIVACY : SC_AUTHN_CONNECT;
	c.package = SC_PACKAGE_KERBEROS;
	c.cloaking = SC_CLOAK_DYNAMIC;
	c.depth = 1;
	strcpy(c.caller, FUZZ_AUTH_PRESENTER);
	strcpy(c.caller_host, "srv1");
	strcpy(c.caller_account, "CORP\\svc-b");
	strcpy(c.chain, "A>B");
	if (codec_context_encode(&c, &out, len) != 0)
		failed = 1;
	sc_token_free(t);
	return out;
}

typedef struct sealing {
	const uint8_t *key_id;    /* the ticket whose session key MACs */
	const uint8_t *id;        /* the ticket the authenticator names */
	const uint8_t *cred, *ticket, *ctx;
	size_t cred_len, ticket_len, ctx_len;
	const char *audience;
	int64_t issued_offset_ms; /* from FUZZ_AUTH_NOW_MS */
	bool alter;               /* flip a byte of the context afterwards */
} sealing;

static void seal(const char *name, const sealing *s)
{
	uint8_t *out = NULL, key[AUTH_SESSION_KEY_LEN];
	size_t len = 0;
	if (!s->cred || !s->ticket || !s->ctx ||
	    fuzz_auth_session_key(s->key_id, key) != 0 ||
	    auth_seal(
		    &(auth_seal_in){
			    .session_key = key,
			    .ticket_id = s->id,
			    .cred = s->cred,
			    .cred_len = s->cred_len,
			    .ticket = s->ticket,
			    .ticket_len = s->ticket_len,
			    .context = s->ctx,
			    .context_len = s->ctx_len,
			    .audience = s->audience,
			    .issued_ms = (uint64_t)((int64_t)FUZZ_AUTH_NOW_MS +
						    s->issued_offset_ms),
			    .lifetime_ms = AUTH_CONTEXT_LIFETIME_MS},
		    &out, &len) != 0) {
		failed = 1;
		return;
	}
	if (s->alter) {
		/* The context's bytes sit in the message as they were
		 * given: find them and change the last one. */
		for (size_t i = 0; i + s->ctx_len <= len; i++)
			if (memcmp(out + i, s->ctx, s->ctx_len) == 0) {
				out[i + s->ctx_len - 1] ^= 0x01;
				break;
			}
	}
	write_seed(name, out, len);
	free(out);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	auth_key *authority = NULL, *b = NULL, *rogue = NULL;
	if (fuzz_auth_key(FUZZ_AUTH_AUTHORITY_FILL, &authority) != 0 ||
	    fuzz_auth_key(FUZZ_AUTH_PRESENTER_FILL, &b) != 0 ||
	    fuzz_auth_key(0xa1u, &rogue) != 0) {
		fprintf(stderr, "cannot make the fixed keys\n");
		return 1;
	}
	size_t cl, rcl, tl, otl, atl, ptl, rtl, xl, ol, rl;
	uint8_t ti[AUTH_NONCE_LEN], oi[AUTH_NONCE_LEN], ai[AUTH_NONCE_LEN],
		pi[AUTH_NONCE_LEN], ri[AUTH_NONCE_LEN];
	uint8_t *cred = credential(authority, b, &cl);
	uint8_t *rcred = credential(rogue, b, &rcl);
	uint8_t *tk = ticket(authority, "CORP\\alice", "S-1-5-21-1-1001", "B",
			     "C", true, ti, &tl);
	uint8_t *own = ticket(authority, "CORP\\svc-b", "S-1-5-21-1-1002", "B",
			      "C", false, oi, &otl);
	uint8_t *other = ticket(authority, "CORP\\alice", "S-1-5-21-1-1001",
				"B", "D", true, ai, &atl);
	uint8_t *pres = ticket(authority, "CORP\\alice", "S-1-5-21-1-1001",
			       "A", "C", true, pi, &ptl);
	uint8_t *rtk = ticket(rogue, "CORP\\alice", "S-1-5-21-1-1001", "B",
			      "C", true, ri, &rtl);
	uint8_t *ctx = context("CORP\\alice", "S-1-5-21-1-1001", false, &xl);
	uint8_t *octx = context("CORP\\svc-b", "S-1-5-21-1-1002", false, &ol);
	uint8_t *rich = context("CORP\\alice", "S-1-5-21-1-1001", true, &rl);

	write_seed("credential-b", cred, cl);
	write_seed("ticket-alice-b-c", tk, tl);
	sealing s = {ti, ti, cred, tk, ctx, cl, tl, xl, "C", -1000, false};
	seal("sealed-alice", &s);
	sealing own_s = {oi, oi, cred, own, octx, cl, otl, ol, "C", -1000,
			 false};
	seal("sealed-own-identity", &own_s);
	sealing r = {ti, ti, cred, tk, rich, cl, tl, rl, "C", 0, false};
	seal("sealed-alice-delegate", &r);
	/* Refused, one reason each. */
	sealing k4 = {ai, ai, cred, other, ctx, cl, atl, xl, "D", -1000,
		      false};
	seal("refused-k4-ticket-for-d", &k4);
	sealing k4a = {ti, ti, cred, tk, ctx, cl, tl, xl, "D", -1000, false};
	seal("refused-k4-addressed-to-d", &k4a);
	sealing k1 = {ti, ti, cred, tk, ctx, cl, tl, xl, "C", -1000, true};
	seal("refused-k1-altered", &k1);
	sealing k1k = {oi, ti, cred, tk, ctx, cl, tl, xl, "C", -1000, false};
	seal("refused-k1-other-session-key", &k1k);
	sealing k1m = {oi, oi, cred, tk, ctx, cl, tl, xl, "C", -1000, false};
	seal("refused-k1-moved-authenticator", &k1m);
	sealing k3 = {ti, ti, cred, tk, ctx, cl, tl, xl, "C", -600000, false};
	seal("refused-k3-expired", &k3);
	sealing k3f = {ti, ti, cred, tk, ctx, cl, tl, xl, "C", 60000, false};
	seal("refused-k3-future", &k3f);
	sealing k6 = {pi, pi, cred, pres, ctx, cl, ptl, xl, "C", -1000, false};
	seal("refused-k6-presenter-a", &k6);
	sealing k2 = {ri, ri, rcred, rtk, ctx, rcl, rtl, xl, "C", -1000,
		      false};
	seal("refused-k2-other-authority", &k2);

	free(cred);
	free(rcred);
	free(tk);
	free(own);
	free(other);
	free(pres);
	free(rtk);
	free(ctx);
	free(octx);
	free(rich);
	auth_key_free(authority);
	auth_key_free(b);
	auth_key_free(rogue);
	return failed;
}
