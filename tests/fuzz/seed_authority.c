/* seed_authority.c: writes the seed corpus of fuzz-authority into the
 * directory given: ticket requests made with the fixed keys of
 * fuzz_authority.h: granted under K8 (also for a workgroup client), D1,
 * D4, D5 and L5; refused C5 (evidence from an Identify call, protocol
 * transition without SeTcbPrivilege), C6, D4 (sensitive client), K1 (wrong signer,
 * out-of-range fact), K2, K3 (stale, future), K4 (evidence for another,
 * no such target) and K7 (no evidence). Each is served once here and its
 * verdict checked: a seed that no longer gets what its name says makes
 * this program exit 1.
 * A build tool for tests/fuzz/corpus/authority; never part of a daemon. */
#include "cloakroom.pb-c.h"
#include "codec.h"
#include "fuzz_authority.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dir;
static int failed;
static authority_state st;
static sc_scenario *scn;
static auth_key *keys[FUZZ_AUTHORITY_PROCS], *rogue;

static size_t index_of(const char *process)
{
	for (size_t i = 0; i < FUZZ_AUTHORITY_PROCS; i++)
		if (strcmp(fuzz_authority_procs[i].name, process) == 0)
			return i;
	abort();
}

/* The SID of a process's account, as the authority's runtime has it. */
static const char *sid_of(const char *process)
{
	for (size_t i = 0; i < st.count; i++)
		if (strcmp(st.procs[i].name, process) == 0)
			return sc_token_user_sid(sc_runtime_token(st.procs[i].rt));
	abort();
}

static const char *account_of(const char *process)
{
	for (size_t i = 0; i < st.count; i++)
		if (strcmp(st.procs[i].name, process) == 0)
			return sc_token_user_name(
				sc_runtime_token(st.procs[i].rt));
	abort();
}

/* process's logon credential, issued by issuer. */
static uint8_t *credential(const auth_key *issuer, const char *process,
			   size_t *len)
{
	auth_credential c;
	memset(&c, 0, sizeof(c));
	snprintf(c.process, sizeof(c.process), "%s", process);
	snprintf(c.account, sizeof(c.account), "%s", account_of(process));
	snprintf(c.account_sid, sizeof(c.account_sid), "%s", sid_of(process));
	snprintf(c.host, sizeof(c.host), "%s",
		 sc_scenario_process(scn, process)->host);
	auth_key_public(keys[index_of(process)], c.key);
	c.expires_ms = FUZZ_AUTH_NOW_MS + AUTH_CREDENTIAL_LIFETIME_MS;
	uint8_t *out = NULL;
	if (auth_credential_sign(issuer, &c, &out, len) != 0)
		failed = 1;
	return out;
}

/* A ticket presenting subject's identity (from subject's process) to
 * audience, as the authority would have minted it for the first hop. */
static uint8_t *evidence(const char *subject, const char *presenter,
			 const char *audience, bool forwardable,
			 sc_level level, size_t *len)
{
	auth_ticket t;
	memset(&t, 0, sizeof(t));
	/* The subject's own logon, as its authorization data. */
	uint8_t *pac = NULL;
	size_t pl = 0;
	for (size_t i = 0; i < st.count; i++)
		if (strcmp(st.procs[i].name, subject) == 0 &&
		    codec_identity_encode(sc_runtime_token(st.procs[i].rt),
					  &pac, &pl) != 0)
			abort();
	if (!pac)
		abort();
	t.pac = pac;
	t.pac_len = pl;
	t.level = level ? level
			: forwardable ? SC_LEVEL_DELEGATE : SC_LEVEL_IMPERSONATE;
	t.transport = SC_TRANSPORT_COM;
	t.package = SC_PACKAGE_KERBEROS;
	t.authn = SC_AUTHN_CONNECT;
	snprintf(t.subject, sizeof(t.subject), "%s", account_of(subject));
	snprintf(t.subject_sid, sizeof(t.subject_sid), "%s", sid_of(subject));
	snprintf(t.subject_host, sizeof(t.subject_host), "%s",
		 sc_scenario_process(scn, subject)->host);
	snprintf(t.presenter, sizeof(t.presenter), "%s", presenter);
	snprintf(t.audience, sizeof(t.audience), "%s", audience);
	snprintf(t.rule, sizeof(t.rule), forwardable ? "D1" : "K8");
	t.forwardable = forwardable;
	t.expires_ms = FUZZ_AUTH_NOW_MS + AUTH_TICKET_LIFETIME_MS;
	memset(t.nonce, 0x5a, sizeof(t.nonce));
	uint8_t *out = NULL;
	if (auth_ticket_sign(st.key, &t, &out, len) != 0)
		failed = 1;
	free(pac);
	return out;
}

typedef struct asking {
	const char *process;  /* whose credential */
	const char *signer;   /* whose key signs the request (NULL: rogue) */
	const char *target;
	const char *subject;  /* whose identity (a process name) */
	const char *ev_from;  /* evidence: the subject presented to ... */
	bool ev_forwardable;
	sc_level asked;
	int64_t issued_offset_ms;
	bool rogue_credential; /* issued by another authority */
	uint32_t package;      /* SC_PACKAGE_COUNT: out of range */
	const char *ev_to;     /* the evidence's audience (NULL: process) */
	sc_level ev_level;     /* the evidence's level (default: Delegate
	                          when forwardable, else Impersonate) */
	uint32_t basis;        /* 1: protocol transition (D6) */
} asking;

static void request(const char *name, const char *want, const asking *a)
{
	size_t cl = 0, el = 0;
	uint8_t *cb = credential(a->rogue_credential ? rogue : st.key,
				 a->process, &cl);
	uint8_t *eb = a->ev_from ? evidence(a->subject, a->ev_from,
					    a->ev_to ? a->ev_to : a->process,
					    a->ev_forwardable, a->ev_level, &el)
				 : NULL;
	Cloakroom__Signed *cs = cb ? cloakroom__signed__unpack(NULL, cl, cb)
				   : NULL;
	Cloakroom__Signed *es = eb ? cloakroom__signed__unpack(NULL, el, eb)
				   : NULL;
	uint8_t nonce[AUTH_NONCE_LEN];
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(name[i % strlen(name)] + i);
	Cloakroom__TicketRequest rq;
	cloakroom__ticket_request__init(&rq);
	rq.credential = cs;
	rq.target = (char *)a->target;
	rq.subject_sid = (char *)sid_of(a->subject);
	rq.evidence = es;
	rq.package = a->package;
	rq.asked = a->asked;
	rq.authn = SC_AUTHN_CONNECT;
	rq.transport = SC_TRANSPORT_COM;
	rq.basis = a->basis;
	rq.issued_ms =
		(uint64_t)((int64_t)FUZZ_AUTH_NOW_MS + a->issued_offset_ms);
	rq.nonce.data = nonce;
	rq.nonce.len = sizeof(nonce);
	size_t bl = cloakroom__ticket_request__get_packed_size(&rq);
	uint8_t *body = malloc(bl ? bl : 1);
	if (!cs || !body)
		abort(); /* out of memory, or a credential that does not parse */
	cloakroom__ticket_request__pack(&rq, body);
	const auth_key *k = a->signer ? keys[index_of(a->signer)] : rogue;
	uint8_t *out = NULL;
	size_t len = 0;
	if (auth_request_sign(k, body, bl, &out, &len) != 0)
		abort();

	/* Served once: the seed must get the verdict its name gives. */
	if (authority_ticket_forget_requests(&st) != 0)
		abort();
	uint8_t *reply = NULL;
	size_t rl = 0;
	Cloakroom__TicketReply *r = NULL;
	if (authority_ticket_serve(&st, out, len, NULL, &reply, &rl) == 0)
		r = cloakroom__ticket_reply__unpack(NULL, rl, reply);
	bool granted = strncmp(name, "granted", 7) == 0;
	if (!r || strcmp(r->rule, want) != 0 || (r->ticket != NULL) != granted) {
		fprintf(stderr, "%s: wanted %s %s, got %s [%s] %s\n", name,
			granted ? "a ticket" : "a refusal", want,
			r && r->ticket ? "a ticket" : "a refusal",
			r ? r->rule : "?", r ? r->reason : "no reply");
		failed = 1;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (auth_file_write(path, out, len) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		failed = 1;
	}
	if (r)
		cloakroom__ticket_reply__free_unpacked(r, NULL);
	free(reply);
	free(out);
	free(body);
	if (cs)
		cloakroom__signed__free_unpacked(cs, NULL);
	if (es)
		cloakroom__signed__free_unpacked(es, NULL);
	free(cb);
	free(eb);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	if (fuzz_authority_state(&st, &scn) != 0 ||
	    fuzz_auth_key(0xa1u, &rogue) != 0) {
		fprintf(stderr, "cannot set up the run\n");
		return 1;
	}
	st.quiet = true;
	for (size_t i = 0; i < FUZZ_AUTHORITY_PROCS; i++)
		if (fuzz_auth_key(fuzz_authority_procs[i].fill, &keys[i]) != 0)
			return 1;
	const uint32_t K = SC_PACKAGE_KERBEROS;
	const sc_level I = SC_LEVEL_IMPERSONATE, D = SC_LEVEL_DELEGATE;
	/* process, signer, target, subject, evidence from, forwardable,
	 * asked, issued offset, rogue credential, package, evidence's
	 * audience */
	request("granted-k8-own-identity", "K8",
		&(asking){"A", "A", "B", "A", NULL, false, I, -1000, false,
			  K, NULL, 0, 0});
	request("granted-d1-own-identity-forwardable", "D1",
		&(asking){"A", "A", "M", "A", NULL, false, D, -1000, false,
			  K, NULL, 0, 0});
	request("granted-d4-listed-service", "D4",
		&(asking){"B", "B", "C", "A", "A", false, I, -1000, false,
			  K, NULL, 0, 0});
	request("granted-d5-resource-allows", "D5",
		&(asking){"B", "B", "R", "A", "A", false, I, -1000, false,
			  K, NULL, 0, 0});
	request("granted-l5-forwardable-evidence", "L5",
		&(asking){"M", "M", "C", "A", "A", true, D, -1000, false,
			  K, NULL, 0, 0});
	request("granted-k8-workgroup-client", "K8",
		&(asking){"Z", "Z", "B", "Z", NULL, false, I, 0, false,
			  K, NULL, 0, 0});
	request("refused-c6-double-hop", "C6",
		&(asking){"M", "M", "C", "A", "A", false, I, -1000, false,
			  K, NULL, 0, 0});
	request("refused-d4-sensitive-client", "D4",
		&(asking){"B", "B", "C", "Z", "Z", false, I, -1000, false,
			  K, NULL, 0, 0});
	request("refused-k7-no-evidence", "K7",
		&(asking){"B", "B", "C", "A", NULL, false, I, -1000, false,
			  K, NULL, 0, 0});
	request("refused-k4-evidence-for-another", "K4",
		&(asking){"M", "M", "C", "A", "A", false, I, -1000, false, K,
			  "B", 0, 0});
	request("refused-k4-no-such-target", "K4",
		&(asking){"A", "A", "X", "A", NULL, false, I, -1000, false,
			  K, NULL, 0, 0});
	request("refused-k1-wrong-signer", "K1",
		&(asking){"B", "A", "C", "B", NULL, false, I, -1000, false,
			  K, NULL, 0, 0});
	request("refused-k1-out-of-range", "K1",
		&(asking){"A", "A", "B", "A", NULL, false, I, -1000, false,
			  SC_PACKAGE_COUNT, NULL, 0, 0});
	request("refused-k2-other-authority", "K2",
		&(asking){"A", "A", "B", "A", NULL, false, I, -1000, true,
			  K, NULL, 0, 0});
	request("refused-k3-stale", "K3",
		&(asking){"A", "A", "B", "A", NULL, false, I, -600000, false,
			  K, NULL, 0, 0});
	request("refused-k3-future", "K3",
		&(asking){"A", "A", "B", "A", NULL, false, I, 60000, false,
			  K, NULL, 0, 0});
	/* The level of the evidence decides (C5), as in the model. */
	request("refused-c5-identify-evidence", "C5",
		&(asking){"B", "B", "C", "A", "A", false, I, -1000, false, K,
			  NULL, SC_LEVEL_IDENTIFY, 0});
	/* Protocol transition without SeTcbPrivilege: Identify (D6), so
	 * nobody is presented (C5). */
	request("refused-c5-transition-without-tcb", "C5",
		&(asking){"B", "B", "C", "A", NULL, false, I, -1000, false, K,
			  NULL, 0, 1});
	for (size_t i = 0; i < FUZZ_AUTHORITY_PROCS; i++)
		auth_key_free(keys[i]);
	auth_key_free(rogue);
	authority_ticket_free(&st);
	sc_load_free(scn);
	return failed;
}
