/* fuzz_auth.c: libFuzzer target for what a callee does with the bytes of a
 * signed x-cloakroom-context-bin: auth_open (credential, ticket,
 * authenticator, lifetime, replay) and then the codec on the context it
 * opened; the same bytes also go to the credential and ticket checks
 * alone. It must never crash, leak, hit UB or accept what it must refuse. */
#include "cloakroom.pb-c.h"
#include "codec.h"
#include "fuzz_auth.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static auth_key *authority, *presenter;
static uint8_t anchor[AUTH_KEY_LEN];
static int verbose; /* FUZZ_AUTH_VERBOSE=1: each verdict on stderr */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (fuzz_auth_key(FUZZ_AUTH_AUTHORITY_FILL, &authority) != 0 ||
	    fuzz_auth_key(FUZZ_AUTH_PRESENTER_FILL, &presenter) != 0) {
		fprintf(stderr, "fuzz-auth: cannot make the fixed keys\n");
		abort();
	}
	auth_key_public(authority, anchor);
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
 * it carries; the same bytes again must be refused as a replay (K5). */
static void open_sealed(const char *how, const uint8_t *buf, size_t len)
{
	auth_replay *replay = auth_replay_new(4);
	if (!replay)
		abort();
	auth_opened o;
	auth_reject why;
	memset(&why, 0, sizeof(why));
	if (auth_open(anchor, FUZZ_AUTH_ME, buf, len, FUZZ_AUTH_NOW_MS,
		      FUZZ_AUTH_SKEW_MS, replay, &o, &why) != 0) {
		check_refusal(&why);
		if (verbose)
			fprintf(stderr, "fuzz-auth: %s: refused [%s] %s\n", how,
				why.rule, why.reason);
		if (o.context || o.ticket)
			broken("a refused context left something opened");
		auth_replay_free(replay);
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
	if (auth_open(anchor, FUZZ_AUTH_ME, buf, len, FUZZ_AUTH_NOW_MS,
		      FUZZ_AUTH_SKEW_MS, replay, &again, &why) == 0 ||
	    strcmp(why.rule, "K5") != 0)
		broken("a replayed context was not refused K5");
	auth_opened_free(&o);
	auth_replay_free(replay);
}

/* Mutations almost never keep a signature valid, so the checks after the
 * signatures would be reached only by the seeds. Here whatever parses as a
 * sealed context is signed again as the authority and as B would have
 * signed it (the bodies exactly as they came, the authenticator's hashes
 * made to match), so hostile field values reach every later check. */
static void reseal(const uint8_t *data, size_t size)
{
	Cloakroom__SealedContext *m =
		cloakroom__sealed_context__unpack(NULL, size, data);
	if (!m || !m->credential || !m->ticket) {
		if (m)
			cloakroom__sealed_context__free_unpacked(m, NULL);
		return;
	}
	uint8_t csig[AUTH_SIG_LEN], tsig[AUTH_SIG_LEN], asig[AUTH_SIG_LEN];
	uint8_t ch[AUTH_HASH_LEN], th[AUTH_HASH_LEN];
	uint8_t *ab = NULL, *out = NULL;
	const uint8_t *abody = m->authenticator.data;
	size_t al = m->authenticator.len;
	Cloakroom__Authenticator *a = cloakroom__authenticator__unpack(
		NULL, m->authenticator.len, m->authenticator.data);
	if (a) {
		auth_hash(m->context.data, m->context.len, ch);
		auth_hash(m->ticket->body.data, m->ticket->body.len, th);
		Cloakroom__Authenticator na;
		cloakroom__authenticator__init(&na);
		na.context_hash.data = ch;
		na.context_hash.len = sizeof(ch);
		na.ticket_hash.data = th;
		na.ticket_hash.len = sizeof(th);
		na.audience = a->audience;
		na.issued_ms = a->issued_ms;
		na.expires_ms = a->expires_ms;
		na.nonce = a->nonce;
		al = cloakroom__authenticator__get_packed_size(&na);
		ab = malloc(al ? al : 1);
		if (!ab)
			abort();
		cloakroom__authenticator__pack(&na, ab);
		abody = ab;
	}
	if (auth_sign(authority, m->credential->body.data,
		      m->credential->body.len, csig) != 0 ||
	    auth_sign(authority, m->ticket->body.data, m->ticket->body.len,
		      tsig) != 0 ||
	    auth_sign(presenter, abody, al, asig) != 0)
		abort();
	Cloakroom__Signed cs, ts;
	cloakroom__signed__init(&cs);
	cloakroom__signed__init(&ts);
	cs.body = m->credential->body;
	cs.signature.data = csig;
	cs.signature.len = sizeof(csig);
	ts.body = m->ticket->body;
	ts.signature.data = tsig;
	ts.signature.len = sizeof(tsig);
	Cloakroom__SealedContext s;
	cloakroom__sealed_context__init(&s);
	s.context = m->context;
	s.credential = &cs;
	s.ticket = &ts;
	s.authenticator.data = (uint8_t *)abody;
	s.authenticator.len = al;
	s.signature.data = asig;
	s.signature.len = sizeof(asig);
	size_t len = cloakroom__sealed_context__get_packed_size(&s);
	out = malloc(len ? len : 1);
	if (!out)
		abort();
	cloakroom__sealed_context__pack(&s, out);
	open_sealed("signed again", out, len);
	free(out);
	free(ab);
	if (a)
		cloakroom__authenticator__free_unpacked(a, NULL);
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
	if (auth_credential_check(anchor, data, size, FUZZ_AUTH_NOW_MS,
				  FUZZ_AUTH_SKEW_MS, &c, &why) != 0)
		check_refusal(&why);
	else if (memcmp(c.issuer, anchor, AUTH_KEY_LEN) != 0)
		broken("accepted a credential from another authority");
	auth_ticket t;
	memset(&why, 0, sizeof(why));
	if (auth_ticket_check(anchor, data, size, FUZZ_AUTH_NOW_MS,
			      FUZZ_AUTH_SKEW_MS, &t, &why) != 0)
		check_refusal(&why);
	else if (memcmp(t.issuer, anchor, AUTH_KEY_LEN) != 0)
		broken("accepted a ticket from another authority");

	open_sealed("as sent", data, size);
	reseal(data, size);      /* the same, signed again */
	return 0;
}
