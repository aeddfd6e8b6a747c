/* fuzz_auth.c: libFuzzer target for what a callee does with the bytes of a
 * sealed x-cloakroom-context-bin: auth_open (credential, ticket, its
 * session key unsealed, the authenticator's ticket id and MAC, lifetime,
 * replay) and then the codec on the context it opened; the same bytes also
 * go to the credential and ticket checks alone. It must never crash, leak,
 * hit UB or accept what it must refuse. */
#include "cloakroom.pb-c.h"
#include "codec.h"
#include "fuzz_auth.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static auth_key *authority;
static uint8_t anchor[AUTH_KEY_LEN], secret[AUTH_SECRET_LEN];
static int verbose; /* FUZZ_AUTH_VERBOSE=1: each verdict on stderr */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (fuzz_auth_key(FUZZ_AUTH_AUTHORITY_FILL, &authority) != 0) {
		fprintf(stderr, "fuzz-auth: cannot make the fixed keys\n");
		abort();
	}
	auth_key_public(authority, anchor);
	fuzz_auth_secret(secret);
	const char *v = getenv("FUZZ_AUTH_VERBOSE");
	verbose = v && v[0] == '1';
	return 0;
}

static void broken(const char *what)
{
	fprintf(stderr, "fuzz-auth: %s\n", what);
	abort();
}

/* A refusal names a K rule and says why. */
static void check_refusal(const auth_reject *why)
{
	if (why->rule[0] != 'K' || why->rule[1] < '1' || why->rule[1] > '8' ||
	    why->rule[2] != '\0' || !why->reason[0])
		broken("a refusal without a K rule or a reason");
}

/* Past its expiry by more than the skew at the fixed clock (by
 * difference: an expiry near the top of the range does not wrap). */
static bool expired(uint64_t expires_ms)
{
	return expires_ms < FUZZ_AUTH_NOW_MS &&
	       FUZZ_AUTH_NOW_MS - expires_ms > FUZZ_AUTH_SKEW_MS;
}

/* What a callee does with a sealed context: open it, decode the context
 * it carries; the same bytes again must be refused as a replay (K5), the
 * credential and ticket then taken from what the audience kept. A new
 * audience per input: a verdict never depends on an earlier input. */
static void open_sealed(const char *how, const uint8_t *buf, size_t len)
{
	auth_replay *replay = auth_replay_new(4);
	auth_audience *aud = auth_audience_new(anchor, FUZZ_AUTH_ME, secret);
	if (!replay || !aud)
		abort();
	auth_opened o;
	auth_reject why;
	memset(&why, 0, sizeof(why));
	if (auth_open(&(auth_open_opts){aud, replay, FUZZ_AUTH_NOW_MS,
					FUZZ_AUTH_SKEW_MS},
		      buf, len, &o, &why) != 0) {
		check_refusal(&why);
		if (verbose)
			fprintf(stderr, "fuzz-auth: %s: refused [%s] %s\n", how,
				why.rule, why.reason);
		if (o.context || o.ticket)
			broken("a refused context left something opened");
		auth_replay_free(replay);
		auth_audience_free(aud);
		return;
	}
	/* Accepted: only what the authority signed, for this process,
	 * presented by the process its credential names. */
	if (memcmp(o.cred.issuer, anchor, AUTH_KEY_LEN) != 0 ||
	    memcmp(o.tk.issuer, anchor, AUTH_KEY_LEN) != 0 ||
	    strcmp(o.tk.audience, FUZZ_AUTH_ME) != 0 ||
	    strcmp(o.tk.presenter, o.cred.process) != 0 ||
	    expired(o.cred.expires_ms) || expired(o.tk.expires_ms) ||
	    !o.context || !o.ticket)
		broken("accepted a context it must refuse");
	if (verbose)
		fprintf(stderr, "fuzz-auth: %s: accepted: %s presents %s\n",
			how, o.cred.process, o.tk.subject);
	sc_context ctx;
	sc_token *id = NULL;
	char err[256] = "";
	if (codec_context_decode(o.context, o.context_len, &ctx, &id, err,
				 sizeof(err)) == 0)
		sc_token_free(id);
	else if (!err[0])
		broken("the codec refused a context without a reason");
	auth_opened again;
	memset(&why, 0, sizeof(why));
	if (auth_open(&(auth_open_opts){aud, replay, FUZZ_AUTH_NOW_MS,
					FUZZ_AUTH_SKEW_MS},
		      buf, len, &again, &why) == 0 ||
	    strcmp(why.rule, "K5") != 0)
		broken("a replayed context was not refused K5");
	auth_opened_free(&o);
	auth_replay_free(replay);
	auth_audience_free(aud);
}

/* A Signed of body by the fixed authority, packed into a malloc'd *out. */
static uint8_t *signed_again(const uint8_t *body, size_t blen, size_t *len)
{
	uint8_t sig[AUTH_SIG_LEN];
	if (auth_sign(authority, body, blen, sig) != 0)
		abort();
	Cloakroom__Signed s;
	cloakroom__signed__init(&s);
	s.body.data = (uint8_t *)body;
	s.body.len = blen;
	s.signature.data = sig;
	s.signature.len = sizeof(sig);
	*len = cloakroom__signed__get_packed_size(&s);
	uint8_t *out = malloc(*len ? *len : 1);
	if (!out)
		abort();
	cloakroom__signed__pack(&s, out);
	return out;
}

/* Mutations almost never keep a signature or a MAC valid, so the checks
 * after them would be reached only by the seeds. Here whatever parses as
 * a sealed context is sealed again as the authority and as B would have:
 * the credential's body signed as it came; the ticket's body with the
 * session key its id derives (fuzz_auth.h) sealed for C, signed; the
 * authenticator naming that ticket, its context hash made to match, MAC'd
 * under that key. Hostile field values then reach every later check. */
static void reseal(const uint8_t *data, size_t size)
{
	Cloakroom__SealedContext *m =
		cloakroom__sealed_context__unpack(NULL, size, data);
	Cloakroom__Signed *cs = NULL, *ts = NULL;
	Cloakroom__Ticket *tk = NULL;
	Cloakroom__Authenticator *a = NULL;
	uint8_t *cb = NULL, *tb = NULL, *tbody = NULL, *ab = NULL, *out = NULL;
	size_t cl = 0, tl = 0, al = 0;
	if (!m)
		return;
	cs = cloakroom__signed__unpack(NULL, m->credential.len,
				       m->credential.data);
	ts = cloakroom__signed__unpack(NULL, m->ticket.len, m->ticket.data);
	tk = ts ? cloakroom__ticket__unpack(NULL, ts->body.len, ts->body.data)
		: NULL;
	a = cloakroom__authenticator__unpack(NULL, m->authenticator.len,
					     m->authenticator.data);
	if (!cs || !tk || !a || tk->nonce.len != AUTH_NONCE_LEN)
		goto out;
	uint8_t key[AUTH_SESSION_KEY_LEN], sealed[AUTH_SEALED_KEY_LEN];
	uint8_t ch[AUTH_HASH_LEN], mac[AUTH_MAC_LEN];
	if (fuzz_auth_session_key(tk->nonce.data, key) != 0 ||
	    auth_key_seal(secret, key, tk->nonce.data, FUZZ_AUTH_ME,
			  sealed) != 0)
		abort();
	ProtobufCBinaryData was = tk->session_key; /* unpack's: it frees it */
	tk->session_key.data = sealed;
	tk->session_key.len = sizeof(sealed);
	size_t tbl = cloakroom__ticket__get_packed_size(tk);
	tbody = malloc(tbl ? tbl : 1);
	if (!tbody)
		abort();
	cloakroom__ticket__pack(tk, tbody);
	tk->session_key = was;
	cb = signed_again(cs->body.data, cs->body.len, &cl);
	tb = signed_again(tbody, tbl, &tl);
	auth_hash(m->context.data, m->context.len, ch);
	Cloakroom__Authenticator na;
	cloakroom__authenticator__init(&na);
	na.context_hash.data = ch;
	na.context_hash.len = sizeof(ch);
	na.ticket_id = tk->nonce;
	na.audience = a->audience;
	na.issued_ms = a->issued_ms;
	na.expires_ms = a->expires_ms;
	na.nonce = a->nonce;
	al = cloakroom__authenticator__get_packed_size(&na);
	ab = malloc(al ? al : 1);
	if (!ab)
		abort();
	cloakroom__authenticator__pack(&na, ab);
	if (auth_mac(key, ab, al, mac) != 0)
		abort();
	Cloakroom__SealedContext s;
	cloakroom__sealed_context__init(&s);
	s.context = m->context;
	s.credential.data = cb;
	s.credential.len = cl;
	s.ticket.data = tb;
	s.ticket.len = tl;
	s.authenticator.data = ab;
	s.authenticator.len = al;
	s.mac.data = mac;
	s.mac.len = sizeof(mac);
	size_t len = cloakroom__sealed_context__get_packed_size(&s);
	out = malloc(len ? len : 1);
	if (!out)
		abort();
	cloakroom__sealed_context__pack(&s, out);
	open_sealed("sealed again", out, len);
out:
	free(out);
	free(ab);
	free(cb);
	free(tb);
	free(tbody);
	if (a)
		cloakroom__authenticator__free_unpacked(a, NULL);
	if (tk)
		cloakroom__ticket__free_unpacked(tk, NULL);
	if (ts)
		cloakroom__signed__free_unpacked(ts, NULL);
	if (cs)
		cloakroom__signed__free_unpacked(cs, NULL);
	cloakroom__sealed_context__free_unpacked(m, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	auth_reject why;
	/* The memo of verified statements on, as the daemons run, and
	 * emptied for each input: a verdict never depends on an earlier
	 * input, and within one input the second look at a statement
	 * (signed again, replayed) is answered from the memo. */
	auth_memo_enable(true);
	/* A credential or a ticket alone (a key file's neighbour, a
	 * ticket request's evidence). */
	auth_credential c;
	memset(&why, 0, sizeof(why));
	if (auth_credential_check(&(auth_checker){anchor, FUZZ_AUTH_NOW_MS,
						  FUZZ_AUTH_SKEW_MS},
				  data, size, &c, &why) != 0)
		check_refusal(&why);
	else if (memcmp(c.issuer, anchor, AUTH_KEY_LEN) != 0)
		broken("accepted a credential from another authority");
	auth_ticket t;
	memset(&why, 0, sizeof(why));
	if (auth_ticket_check(&(auth_checker){anchor, FUZZ_AUTH_NOW_MS,
					      FUZZ_AUTH_SKEW_MS},
			      data, size, &t, &why) != 0)
		check_refusal(&why);
	else if (memcmp(t.issuer, anchor, AUTH_KEY_LEN) != 0)
		broken("accepted a ticket from another authority");

	open_sealed("as sent", data, size);
	reseal(data, size);      /* the same, sealed again */
	return 0;
}
