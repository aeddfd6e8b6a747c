/* fuzz_authority.c: libFuzzer target for the authority's one service, the
 * bytes of a ticket request as they arrive from the network:
 * authority_ticket_serve (the signed request, the requester's credential,
 * its signature, currency, replay, then the decision with the evidence
 * ticket and the model). It must never crash, leak or hit UB; every reply
 * must parse and name the rule that decided; and a ticket it mints must
 * verify under its key, be for the target asked, be presented by the
 * process whose credential signed the request, present that process's own
 * identity or the subject of evidence addressed to it (D8: a machine
 * identity on another host as its host's computer account or ANONYMOUS
 * LOGON), be forwardable only
 * when the evidence was, and the same request again must be refused K5. */
#include "cloakroom.pb-c.h"
#include "fuzz_authority.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static authority_state st;
static sc_scenario *scn;
static auth_key *keys[FUZZ_AUTHORITY_PROCS];
static uint8_t pubs[FUZZ_AUTHORITY_PROCS][AUTH_KEY_LEN];
static int verbose; /* FUZZ_AUTHORITY_VERBOSE=1: each verdict on stderr */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (fuzz_authority_state(&st, &scn) != 0) {
		fprintf(stderr, "fuzz-authority: cannot set up the run\n");
		abort();
	}
	for (size_t i = 0; i < FUZZ_AUTHORITY_PROCS; i++) {
		if (fuzz_auth_key(fuzz_authority_procs[i].fill, &keys[i]) !=
		    0) {
			fprintf(stderr, "fuzz-authority: no fixed keys\n");
			abort();
		}
		auth_key_public(keys[i], pubs[i]);
	}
	const char *v = getenv("FUZZ_AUTHORITY_VERBOSE");
	verbose = v && v[0] == '1';
	st.quiet = !verbose;
	return 0;
}

static void broken(const char *what)
{
	fprintf(stderr, "fuzz-authority: %s\n", what);
	abort();
}

/* A rule id as docs/rules.md writes them: a capital and digits. */
static bool rule_ok(const char *r)
{
	if (!r || !isupper((unsigned char)r[0]) || !r[1])
		return false;
	for (const char *p = r + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return strlen(r) <= 3;
}

static uint8_t *pack_signed(const Cloakroom__Signed *s, size_t *len)
{
	*len = cloakroom__signed__get_packed_size(s);
	uint8_t *b = malloc(*len ? *len : 1);
	if (!b)
		abort();
	cloakroom__signed__pack(s, b);
	return b;
}

/* D8: t presents what a machine identity of host is on another host:
 * host's computer account, or ANONYMOUS LOGON; its credentials on host. */
static bool d8_subject(const auth_ticket *t, const char *host)
{
	if (strcmp(t->subject_host, host) != 0 || st.count == 0)
		return false;
	if (strcmp(t->subject_sid, SC_SID_ANONYMOUS) == 0)
		return true;
	const sc_directory *dir = sc_runtime_directory(st.procs[0].rt);
	const sc_account_def *a = sc_directory_computer(dir, host);
	const char *sid = a ? sc_directory_sid(dir, a->name) : NULL;
	return sid && strcmp(sid, t->subject_sid) == 0;
}

/* What a minted ticket must be, given the request that obtained it. */
static void check_ticket(const Cloakroom__Signed *ts, const uint8_t *req,
			 size_t len)
{
	size_t tl, cl;
	uint8_t *tb = pack_signed(ts, &tl);
	auth_ticket t;
	auth_credential c;
	auth_reject why;
	if (auth_ticket_check(&(auth_checker){st.pub, FUZZ_AUTH_NOW_MS,
					      FUZZ_AUTH_SKEW_MS},
			      tb, tl, &t, &why) != 0) {
		fprintf(stderr, "fuzz-authority: [%s] %s\n", why.rule,
			why.reason);
		broken("a minted ticket does not verify");
	}
	free(tb);
	Cloakroom__SignedRequest *sr =
		cloakroom__signed_request__unpack(NULL, len, req);
	Cloakroom__TicketRequest *rq =
		sr ? cloakroom__ticket_request__unpack(NULL, sr->body.len,
						       sr->body.data)
		   : NULL;
	if (!rq || !rq->credential || !rq->target)
		broken("a ticket for a request that does not parse");
	uint8_t *cb = pack_signed(rq->credential, &cl);
	if (auth_credential_check(&(auth_checker){st.pub, FUZZ_AUTH_NOW_MS,
						  FUZZ_AUTH_SKEW_MS},
				  cb, cl, &c, &why) != 0)
		broken("a ticket for a request whose credential is refused");
	free(cb);
	if (!auth_verify(c.key, sr->body.data, sr->body.len,
			 sr->signature.data, sr->signature.len))
		broken("a ticket for a request its credential did not sign");
	if (strcmp(t.presenter, c.process) != 0)
		broken("a ticket presented by another process than the "
		       "requester");
	if (strcmp(t.audience, rq->target) != 0)
		broken("a ticket for another target than the one asked");
	if (t.level < SC_LEVEL_ANONYMOUS || t.level > SC_LEVEL_DELEGATE)
		broken("a ticket without a level");
	if (t.forwardable && t.level != SC_LEVEL_DELEGATE)
		broken("a forwardable ticket below Delegate");
	if (strcmp(t.subject_sid, c.account_sid) == 0 && rq->basis == 0) {
		if (strcmp(t.subject, c.account) != 0 ||
		    strcmp(t.subject_host, c.host) != 0)
			broken("an own-identity ticket that is not the "
			       "credential's");
	} else if (rq->basis == 0 &&
		   sc_directory_machine_identity(c.account_sid) &&
		   d8_subject(&t, c.host)) {
		/* D8: the requester's own machine identity, as another
		 * host sees it. */
	} else if (rq->basis == 1) {
		if (strcmp(t.subject_host, c.host) != 0)
			broken("a protocol-transition ticket whose subject's "
			       "credentials are not on the requester's host");
	} else {
		if (!rq->evidence)
			broken("another identity without evidence");
		size_t el;
		uint8_t *eb = pack_signed(rq->evidence, &el);
		auth_ticket e;
		if (auth_ticket_check(&(auth_checker){st.pub, FUZZ_AUTH_NOW_MS,
						      FUZZ_AUTH_SKEW_MS},
				      eb, el, &e, &why) != 0)
			broken("another identity on evidence that is refused");
		free(eb);
		/* The subject's name comes from the directory by SID, not
		 * from the evidence: the SID must be the evidence's. */
		if (strcmp(e.audience, c.process) != 0 ||
		    (strcmp(e.subject_sid, t.subject_sid) != 0 &&
		     !(sc_directory_machine_identity(e.subject_sid) &&
		       d8_subject(&t, c.host))))
			broken("a ticket for a subject the evidence did not "
			       "present to the requester");
		if (t.forwardable && !e.forwardable)
			broken("a forwardable ticket from evidence that was "
			       "not");
		/* C5: a hold below Impersonate presents nobody; T2: a
		 * hop never above the level the evidence vouched for. */
		if (e.level < SC_LEVEL_IMPERSONATE)
			broken("a ticket on evidence below Impersonate");
		if (t.level > e.level)
			broken("a ticket above the level of its evidence");
	}
	cloakroom__ticket_request__free_unpacked(rq, NULL);
	cloakroom__signed_request__free_unpacked(sr, NULL);
}

/* Serve the bytes as the authority does, with a fresh replay cache (so
 * that a verdict does not depend on earlier inputs), and check the
 * reply; a ticket's request is served again and must be refused K5. */
static void serve(const char *how, const uint8_t *buf, size_t len)
{
	if (authority_ticket_forget_requests(&st) != 0)
		abort();
	for (int round = 0; round < 2; round++) {
		uint8_t *reply = NULL;
		size_t rl = 0;
		if (authority_ticket_serve(&st, buf, len, NULL, &reply, &rl) !=
		    0)
			broken("no reply (serve failed)");
		Cloakroom__TicketReply *r =
			cloakroom__ticket_reply__unpack(NULL, rl, reply);
		free(reply);
		if (!r)
			broken("a reply that does not parse");
		if (!rule_ok(r->rule) || !r->reason || !r->reason[0])
			broken("a reply without a rule or a reason");
		if (verbose)
			fprintf(stderr, "fuzz-authority: %s: %s [%s] %s\n",
				how, r->ticket ? "ticket" : "refused",
				r->rule, r->reason);
		bool minted = r->ticket != NULL;
		if (round == 0 && minted)
			check_ticket(r->ticket, buf, len);
		if (round == 1 && (minted || strcmp(r->rule, "K5") != 0))
			broken("a replayed request was not refused K5");
		cloakroom__ticket_reply__free_unpacked(r, NULL);
		if (!minted)
			break;
	}
}

/* The key a request is signed with: the process whose public key its
 * credential names, else B's. */
static const auth_key *signer_for(const Cloakroom__Signed *cred)
{
	const auth_key *k = keys[2]; /* B */
	Cloakroom__Credential *c =
		cred ? cloakroom__credential__unpack(NULL, cred->body.len,
						     cred->body.data)
		     : NULL;
	for (size_t i = 0; c && i < FUZZ_AUTHORITY_PROCS; i++)
		if (c->key.len == AUTH_KEY_LEN &&
		    memcmp(c->key.data, pubs[i], AUTH_KEY_LEN) == 0)
			k = keys[i];
	if (c)
		cloakroom__credential__free_unpacked(c, NULL);
	return k;
}

/* orig's body, exactly as it came, signed by the authority into *into. */
static Cloakroom__Signed *authority_signed(const Cloakroom__Signed *orig,
					   Cloakroom__Signed *into,
					   uint8_t sig[AUTH_SIG_LEN])
{
	if (auth_sign(st.key, orig->body.data, orig->body.len, sig) != 0)
		abort();
	cloakroom__signed__init(into);
	into->body = orig->body;
	into->signature.data = sig;
	into->signature.len = AUTH_SIG_LEN;
	return into;
}

/* Mutations almost never keep a signature valid: whatever parses as a
 * ticket request is signed again (the credential's and the evidence's
 * bodies exactly as they came, by the authority's key; the request by the
 * key its credential names), so hostile field values reach the decision. */
static void resign(const uint8_t *data, size_t size)
{
	Cloakroom__SignedRequest *sr =
		cloakroom__signed_request__unpack(NULL, size, data);
	Cloakroom__TicketRequest *rq =
		sr ? cloakroom__ticket_request__unpack(NULL, sr->body.len,
						       sr->body.data)
		   : NULL;
	if (!rq) {
		if (sr)
			cloakroom__signed_request__free_unpacked(sr, NULL);
		return;
	}
	uint8_t csig[AUTH_SIG_LEN], esig[AUTH_SIG_LEN];
	Cloakroom__Signed cs, es;
	Cloakroom__Signed *oc = rq->credential, *oe = rq->evidence;
	if (oc)
		rq->credential = authority_signed(oc, &cs, csig);
	if (oe)
		rq->evidence = authority_signed(oe, &es, esig);
	size_t bl = cloakroom__ticket_request__get_packed_size(rq);
	uint8_t *body = malloc(bl ? bl : 1);
	if (!body)
		abort();
	cloakroom__ticket_request__pack(rq, body);
	uint8_t *buf = NULL;
	size_t len = 0;
	if (auth_request_sign(signer_for(oc), body, bl, &buf, &len) != 0)
		abort();
	rq->credential = oc; /* freed with rq */
	rq->evidence = oe;
	serve("signed again", buf, len);
	free(buf);
	free(body);
	cloakroom__ticket_request__free_unpacked(rq, NULL);
	cloakroom__signed_request__free_unpacked(sr, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The memo of verified statements on, as the daemons run, and
	 * emptied for each input: a verdict never depends on an earlier
	 * input, and within one input the second look at a statement
	 * (signed again, replayed) is answered from the memo. */
	auth_memo_enable(true);
	serve("as sent", data, size);
	resign(data, size);
	return 0;
}
