/* micro.c: micro-benchmarks of the model (token builds, the per-hop
 * decision, access checks, a hop and the seed chain served in process) and
 * of what a hop adds to it on the wire: the context's encoding, sealing
 * and opening (Ed25519 signatures, the replay cache). It must never print
 * a figure it did not measure, nor open a socket. */
#include "auth.h"
#include "cloakroom.pb-c.h"
#include "codec.h"
#include "sc_acl.h"
#include "sc_decide.h"
#include "sc_directory.h"
#include "sc_exec.h"
#include "sc_load.h"
#include "sc_world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPS 5
#define TARGET_NS 2000.0 /* per-hop decision target: 2 microseconds */
#define PROOF_TARGET_NS 5000.0 /* per-call proof, made and checked */
#define MAX_ACES 200

typedef void (*bench_fn)(void *arg, uint64_t n);

/* The daemon's replay cache size (trust/secure.c). */
#define REPLAY_CAPACITY 16384

typedef struct result {
	const char *name;
	double ns;          /* median ns per operation */
	uint64_t iters;     /* iterations per repetition */
} result;

/* The seed diagram (variant cloaking-dynamic) run in process. */
typedef struct world {
	sc_scenario *scn;
	sc_world *w;
	/* The context B sends C, captured during the first chain. */
	bool captured;
	sc_context to_c;
	sc_token *to_c_identity;
} world;

/* Everything the items read; built once, freed once. */
typedef struct bench {
	world w;
	sc_runtime *a, *b, *c;
	const sc_directory *dir;
	sc_log log;
	sc_token *alice;        /* A's primary token */
	sc_token *client;       /* the network token B builds for alice */
	sc_hop_facts facts;     /* A->B as B accepts it */
	sc_blanket b_blanket;   /* B's blanket to C */
	sc_proxy proxy;         /* B's proxy to C */
	sc_policy policy;
	sc_delegation deleg;
	sc_sd sd;
	uint32_t desired;
	/* Signed contexts: what B does to send its context to C, and what C
	 * does to accept it (trust/secure.c, trust/auth.c). */
	auth_key *authority, *bkey;
	uint8_t anchor[AUTH_KEY_LEN], bpub[AUTH_KEY_LEN];
	uint8_t *cred, *ticket, *ctx_bytes, *authn;
	size_t cred_len, ticket_len, ctx_len, authn_len;
	uint8_t authn_sig[AUTH_SIG_LEN];
	uint8_t secret[AUTH_SECRET_LEN];   /* C's */
	uint8_t skey[AUTH_SESSION_KEY_LEN]; /* the ticket's session key */
	uint8_t tid[AUTH_NONCE_LEN];        /* and its id */
	auth_audience *aud;      /* C's, kept across calls as C keeps it */
	bool aud_fresh;          /* a new audience for every open (cold) */
	/* Prepared before each timed repetition (not timed). */
	uint8_t **pool;          /* fresh sealed contexts, one per open */
	size_t *pool_len;
	uint64_t pool_n;
	uint8_t (*nonces)[AUTH_NONCE_LEN];
	auth_replay *replay;     /* empty, as large as the daemon's or more */
} bench;

/* This thread's CPU time: on a shared machine, the time the benchmark
 * waits for a CPU is not counted against the model. */
static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "cloakroom-bench-micro: %s\n", what);
	exit(1);
}

/* ---- the scenario in process (sc_world), keeping B's context to C ---- */

static void keep_context_to_c(void *user, const char *target,
			      const sc_context *ctx)
{
	world *w = user;
	if (w->captured || strcmp(target, "C") != 0)
		return;
	w->to_c = *ctx;
	w->to_c_identity = sc_token_copy(ctx->identity);
	if (!w->to_c_identity)
		die("out of memory");
	w->to_c.identity = w->to_c_identity;
	w->captured = true;
}

static sc_runtime *world_runtime(world *w, const char *name)
{
	sc_runtime *rt = sc_world_runtime(w->w, name);
	if (!rt)
		die("the seed diagram has no such process");
	return rt;
}

static void world_load(world *w, const char *path, const char *variant)
{
	sc_load_errors errs = {0};
	memset(w, 0, sizeof(*w));
	if (sc_load_file(path, variant, &w->scn, &errs) != 0) {
		char buf[512];
		for (size_t i = 0; i < errs.count; i++) {
			sc_load_error_format(&errs.items[i], buf, sizeof(buf));
			fprintf(stderr, "%s\n", buf);
		}
		sc_load_errors_free(&errs);
		fprintf(stderr, "cloakroom-bench-micro: cannot load %s (set "
				"CLOAKROOM_SOURCE to the source tree)\n",
			path);
		exit(1);
	}
	sc_load_errors_free(&errs);
	sc_log log;
	sc_log_init(&log);
	if (sc_world_new(w->scn, &w->w, &log) != SC_OK)
		die("sc_world_new failed");
	sc_log_free(&log);
	sc_world_set_tap(w->w, keep_context_to_c, w);
}

static void world_free(world *w)
{
	sc_world_free(w->w);
	sc_token_free(w->to_c_identity);
	sc_load_free(w->scn);
}

static const sc_hop *find_hop(const sc_trace *t, const char *from,
			      const char *to)
{
	for (size_t i = 0; i < t->count; i++)
		if (!strcmp(t->hops[i].from, from) &&
		    !strcmp(t->hops[i].to, to))
			return &t->hops[i];
	return NULL;
}

/* ---- the items ---- */

static void run_logon(void *arg, uint64_t n)
{
	bench *bn = arg;
	for (uint64_t i = 0; i < n; i++) {
		sc_token *t = NULL;
		sc_log_clear(&bn->log);
		if (sc_directory_logon(bn->dir, "svc-b", "ws1",
				       SC_START_SERVICE, &t,
				       &bn->log) != SC_OK)
			die("logon failed");
		sc_token_free(t);
	}
}

static void run_network_token(void *arg, uint64_t n)
{
	bench *bn = arg;
	for (uint64_t i = 0; i < n; i++) {
		sc_token *t = NULL;
		sc_log_clear(&bn->log);
		if (sc_directory_network_token(bn->dir, bn->alice, "ws1",
					       &(sc_binding){SC_LEVEL_IMPERSONATE,
							     SC_PACKAGE_KERBEROS,
							     SC_AUTHN_CONNECT},
					       &t,
					       &bn->log) != SC_OK)
			die("network token failed");
		sc_token_free(t);
	}
}

/* One hop's model decision at B: negotiate A->B, impersonate alice, choose
 * the identity presented to C. Returns the identity's user name. */
static const char *decide_once(bench *bn, sc_log *log)
{
	sc_hop_outcome oc;
	sc_token *thread = NULL;
	const sc_token *presented = NULL;
	unsigned boundaries = 0;
	const char *who = NULL;

	sc_hop_negotiate(&bn->facts, &oc, log);
	if (sc_impersonate(sc_runtime_token(bn->b), bn->client, &thread,
			   log) != SC_OK)
		die("impersonate failed");
	sc_cloak_input in = {.blanket = &bn->b_blanket,
			     .process = sc_runtime_token(bn->b),
			     .thread = thread, .my_host = "ws1",
			     .target_host = "srv2", .policy = &bn->policy,
			     .deleg = bn->deleg};
	if (sc_cloak_choose(&in, &bn->proxy, &presented, NULL, &boundaries,
			    log) == SC_OK &&
	    presented)
		who = presented == thread ? "thread" : "other";
	sc_token_free(thread);
	return who;
}

static void run_decide(void *arg, uint64_t n)
{
	bench *bn = arg;
	for (uint64_t i = 0; i < n; i++) {
		sc_log_clear(&bn->log);
		decide_once(bn, &bn->log);
	}
}

static void run_decide_nolog(void *arg, uint64_t n)
{
	bench *bn = arg;
	for (uint64_t i = 0; i < n; i++)
		decide_once(bn, NULL);
}

static void run_access(void *arg, uint64_t n)
{
	bench *bn = arg;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t granted = 0;
		sc_log_clear(&bn->log);
		if (sc_acl_access_check(bn->client, &bn->sd, bn->desired,
					&granted, &bn->log) != SC_OK)
			die("access check denied");
	}
}

static void run_serve_c(void *arg, uint64_t n)
{
	bench *bn = arg;
	for (uint64_t i = 0; i < n; i++) {
		sc_trace t;
		sc_trace_init(&t);
		sc_runtime_serve(bn->c, &bn->w.to_c, NULL, &t);
		sc_trace_free(&t);
	}
}

static void run_chain(void *arg, uint64_t n)
{
	bench *bn = arg;
	for (uint64_t i = 0; i < n; i++) {
		sc_trace t;
		sc_trace_init(&t);
		sc_runtime_run_client(bn->a, &t);
		sc_trace_free(&t);
	}
}

/* ---- signed contexts: one hop B -> C ---- */

static void replay_fresh(bench *bn, uint64_t n)
{
	auth_replay_free(bn->replay);
	bn->replay = auth_replay_new(n > REPLAY_CAPACITY ? (size_t)n
							 : REPLAY_CAPACITY);
	if (!bn->replay)
		die("out of memory");
}

static void seal_once(bench *bn, uint8_t **out, size_t *len)
{
	if (auth_seal(&(auth_seal_in){.session_key = bn->skey,
				      .ticket_id = bn->tid,
				      .cred = bn->cred,
				      .cred_len = bn->cred_len,
				      .ticket = bn->ticket,
				      .ticket_len = bn->ticket_len,
				      .context = bn->ctx_bytes,
				      .context_len = bn->ctx_len,
				      .audience = "C",
				      .issued_ms = auth_now_ms(),
				      .lifetime_ms = AUTH_CONTEXT_LIFETIME_MS},
		      out, len) != 0)
		die("auth_seal failed");
}

static void pool_free(bench *bn)
{
	for (uint64_t i = 0; i < bn->pool_n; i++)
		free(bn->pool[i]);
	free(bn->pool);
	free(bn->pool_len);
	bn->pool = NULL;
	bn->pool_len = NULL;
	bn->pool_n = 0;
}

/* Before a repetition of `open`: n contexts sealed afresh (each with
 * its own nonce) and an empty replay cache. */
static void prep_open(void *arg, uint64_t n)
{
	bench *bn = arg;
	pool_free(bn);
	bn->pool = calloc(n, sizeof(*bn->pool));
	bn->pool_len = calloc(n, sizeof(*bn->pool_len));
	if (!bn->pool || !bn->pool_len)
		die("out of memory");
	bn->pool_n = n;
	for (uint64_t i = 0; i < n; i++)
		seal_once(bn, &bn->pool[i], &bn->pool_len[i]);
	replay_fresh(bn, n);
}

/* Before a repetition of `replay.check`: n fresh nonces, an empty cache. */
static void prep_nonces(void *arg, uint64_t n)
{
	bench *bn = arg;
	free(bn->nonces);
	bn->nonces = malloc(n * sizeof(*bn->nonces));
	if (!bn->nonces || auth_random(&bn->nonces[0][0],
				       n * sizeof(*bn->nonces)) != 0)
		die("out of memory");
	replay_fresh(bn, n);
}

static void prep_replay(void *arg, uint64_t n)
{
	replay_fresh(arg, n);
}

static void run_ctx_encode(void *arg, uint64_t n)
{
	bench *bn = arg;
	for (uint64_t i = 0; i < n; i++) {
		uint8_t *b = NULL;
		size_t l = 0;
		if (codec_context_encode(&bn->w.to_c, &b, &l) != 0)
			die("encode failed");
		free(b);
	}
}

static void run_ctx_decode(void *arg, uint64_t n)
{
	bench *bn = arg;
	char err[200];
	for (uint64_t i = 0; i < n; i++) {
		sc_context c;
		sc_token *id = NULL;
		if (codec_context_decode(bn->ctx_bytes, bn->ctx_len, &c, &id,
					 err, sizeof(err)) != 0)
			die("decode failed");
		sc_token_free(id);
	}
}

static void run_sign(void *arg, uint64_t n)
{
	bench *bn = arg;
	uint8_t sig[AUTH_SIG_LEN];
	for (uint64_t i = 0; i < n; i++)
		if (auth_sign(bn->bkey, bn->authn, bn->authn_len, sig) != 0)
			die("auth_sign failed");
}

static void run_verify(void *arg, uint64_t n)
{
	bench *bn = arg;
	for (uint64_t i = 0; i < n; i++)
		if (!auth_verify(bn->bpub, bn->authn, bn->authn_len,
				 bn->authn_sig, AUTH_SIG_LEN))
			die("auth_verify failed");
}

static void run_ticket_check(void *arg, uint64_t n)
{
	bench *bn = arg;
	auth_ticket t;
	auth_reject why;
	for (uint64_t i = 0; i < n; i++)
		if (auth_ticket_check(&(auth_checker){bn->anchor, auth_now_ms(),
						      AUTH_DEFAULT_SKEW_MS},
				      bn->ticket, bn->ticket_len, &t,
				      &why) != 0)
			die("auth_ticket_check refused the ticket");
}

static void run_seal(void *arg, uint64_t n)
{
	bench *bn = arg;
	for (uint64_t i = 0; i < n; i++) {
		uint8_t *b = NULL;
		size_t l = 0;
		seal_once(bn, &b, &l);
		free(b);
	}
}

/* C's open: with the audience C keeps (the ticket verified once), or,
 * cold, with one that has verified nothing yet. */
static int c_open(bench *bn, const uint8_t *buf, size_t len, auth_opened *o,
		  auth_reject *why)
{
	auth_audience *a =
		bn->aud_fresh ? auth_audience_new(bn->anchor, "C", bn->secret)
			      : bn->aud;
	if (!a)
		die("out of memory");
	auth_open_opts by = {a, bn->replay, auth_now_ms(),
			     AUTH_DEFAULT_SKEW_MS};
	int rc = auth_open(&by, buf, len, o, why);
	if (bn->aud_fresh)
		auth_audience_free(a);
	return rc;
}

static void run_mac(void *arg, uint64_t n)
{
	bench *bn = arg;
	uint8_t mac[AUTH_MAC_LEN];
	for (uint64_t i = 0; i < n; i++)
		if (auth_mac(bn->skey, bn->authn, bn->authn_len, mac) != 0)
			die("auth_mac failed");
}

static void open_one(bench *bn, const uint8_t *buf, size_t len)
{
	auth_opened o;
	auth_reject why;
	if (c_open(bn, buf, len, &o, &why) != 0) {
		fprintf(stderr, "cloakroom-bench-micro: auth_open: [%s] %s\n",
			why.rule, why.reason);
		exit(1);
	}
	auth_opened_free(&o);
}

static void run_open(void *arg, uint64_t n)
{
	bench *bn = arg;
	for (uint64_t i = 0; i < n && i < bn->pool_n; i++)
		open_one(bn, bn->pool[i], bn->pool_len[i]);
}

static void run_replay(void *arg, uint64_t n)
{
	bench *bn = arg;
	uint64_t until = auth_now_ms() + 60000;
	for (uint64_t i = 0; i < n; i++)
		if (auth_replay_check(bn->replay, bn->nonces[i], until,
				      auth_now_ms()) != 0)
			die("a fresh nonce was refused");
}

/* The whole of it, as one hop does it: B encodes and seals, C opens,
 * decodes and range-checks. */
static void run_signed_hop(void *arg, uint64_t n)
{
	bench *bn = arg;
	char err[200];
	for (uint64_t i = 0; i < n; i++) {
		uint8_t *cb = NULL, *sb = NULL;
		size_t cl = 0, sl = 0;
		if (codec_context_encode(&bn->w.to_c, &cb, &cl) != 0 ||
		    auth_seal(&(auth_seal_in){.session_key = bn->skey,
					      .ticket_id = bn->tid,
					      .cred = bn->cred,
					      .cred_len = bn->cred_len,
					      .ticket = bn->ticket,
					      .ticket_len = bn->ticket_len,
					      .context = cb,
					      .context_len = cl,
					      .audience = "C",
					      .issued_ms = auth_now_ms(),
					      .lifetime_ms =
						      AUTH_CONTEXT_LIFETIME_MS},
			      &sb, &sl) != 0)
			die("seal failed");
		free(cb);
		auth_opened o;
		auth_reject why;
		if (c_open(bn, sb, sl, &o, &why) != 0)
			die("open failed");
		free(sb);
		sc_context c;
		sc_token *id = NULL;
		if (codec_context_decode(o.context, o.context_len, &c, &id, err,
					 sizeof(err)) != 0)
			die("decode failed");
		sc_token_free(id);
		auth_opened_free(&o);
	}
}

/* The per-call proof alone: B seals the context it encoded once, C opens
 * it with the ticket kept (MAC, context hash, replay check). */
static void run_proof(void *arg, uint64_t n)
{
	bench *bn = arg;
	for (uint64_t i = 0; i < n; i++) {
		uint8_t *sb = NULL;
		size_t sl = 0;
		seal_once(bn, &sb, &sl);
		open_one(bn, sb, sl);
		free(sb);
	}
}

/* The statements the authority would issue for the hop B -> C (its
 * key, B's credential, a ticket for B to present alice to C), and one
 * sealed context opened once to check that the chain of checks
 * accepts it. */
static void signed_setup(bench *bn)
{
	const sc_scenario *scn = bn->w.scn;
	const sc_process_def *pb = sc_scenario_process(scn, "B");
	if (auth_key_generate(&bn->authority) != 0 ||
	    auth_key_generate(&bn->bkey) != 0)
		die("cannot make keys");
	auth_key_public(bn->authority, bn->anchor);
	auth_key_public(bn->bkey, bn->bpub);
	uint64_t now = auth_now_ms();
	auth_credential c;
	memset(&c, 0, sizeof(c));
	snprintf(c.process, sizeof(c.process), "B");
	snprintf(c.account, sizeof(c.account), "%s\\%s",
		 scn->domain.name ? scn->domain.name : "CORP", pb->account);
	snprintf(c.account_sid, sizeof(c.account_sid), "%s",
		 sc_directory_sid(bn->dir, pb->account));
	snprintf(c.host, sizeof(c.host), "%s", pb->host);
	memcpy(c.key, bn->bpub, AUTH_KEY_LEN);
	c.expires_ms = now + AUTH_CREDENTIAL_LIFETIME_MS;
	auth_ticket t;
	memset(&t, 0, sizeof(t));
	const sc_token *id = bn->w.to_c.identity;
	snprintf(t.subject, sizeof(t.subject), "%s", sc_token_user_name(id));
	snprintf(t.subject_sid, sizeof(t.subject_sid), "%s",
		 sc_token_user_sid(id));
	snprintf(t.subject_host, sizeof(t.subject_host), "%s",
		 sc_token_origin_host(id) ? sc_token_origin_host(id) : "");
	snprintf(t.presenter, sizeof(t.presenter), "B");
	snprintf(t.audience, sizeof(t.audience), "C");
	t.expires_ms = now + AUTH_TICKET_LIFETIME_MS;
	snprintf(t.rule, sizeof(t.rule), "C4");
	t.level = SC_LEVEL_IMPERSONATE;
	t.package = SC_PACKAGE_KERBEROS;
	t.authn = SC_AUTHN_CONNECT;
	uint8_t *pac = NULL;
	if (codec_identity_encode(id, &pac, &t.pac_len) != 0)
		die("out of memory");
	t.pac = pac;
	if (auth_random(t.nonce, sizeof(t.nonce)) != 0 ||
	    auth_random(bn->secret, sizeof(bn->secret)) != 0 ||
	    auth_random(bn->skey, sizeof(bn->skey)) != 0 ||
	    auth_key_seal(bn->secret, bn->skey, t.nonce, "C",
			  t.session_key) != 0 ||
	    (bn->aud = auth_audience_new(bn->anchor, "C", bn->secret)) ==
		    NULL ||
	    auth_credential_sign(bn->authority, &c, &bn->cred,
				 &bn->cred_len) != 0 ||
	    auth_ticket_sign(bn->authority, &t, &bn->ticket,
			     &bn->ticket_len) != 0 ||
	    codec_context_encode(&bn->w.to_c, &bn->ctx_bytes,
				 &bn->ctx_len) != 0)
		die("cannot sign the statements");
	memcpy(bn->tid, t.nonce, sizeof(bn->tid));
	free(pac);
	/* One authenticator, as sealed: the message each signature covers. */
	uint8_t *sb = NULL;
	size_t sl = 0;
	seal_once(bn, &sb, &sl);
	Cloakroom__SealedContext *m =
		cloakroom__sealed_context__unpack(NULL, sl, sb);
	if (!m)
		die("cannot read a sealed context back");
	bn->authn_len = m->authenticator.len;
	bn->authn = malloc(bn->authn_len ? bn->authn_len : 1);
	if (!bn->authn)
		die("out of memory");
	memcpy(bn->authn, m->authenticator.data, bn->authn_len);
	cloakroom__sealed_context__free_unpacked(m, NULL);
	if (auth_sign(bn->bkey, bn->authn, bn->authn_len, bn->authn_sig) != 0)
		die("auth_sign failed");
	/* C accepts it and gets back the context B sent. */
	replay_fresh(bn, 1);
	auth_opened o;
	auth_reject why;
	if (c_open(bn, sb, sl, &o, &why) != 0 ||
	    o.context_len != bn->ctx_len ||
	    memcmp(o.context, bn->ctx_bytes, bn->ctx_len) != 0)
		die("C does not accept the context B sealed");
	auth_opened_free(&o);
	/* ... exactly once (K5). */
	if (c_open(bn, sb, sl, &o, &why) == 0 || strcmp(why.rule, "K5") != 0)
		die("C accepts a replayed context");
	free(sb);
}

static void signed_free(bench *bn)
{
	pool_free(bn);
	free(bn->nonces);
	auth_replay_free(bn->replay);
	free(bn->cred);
	free(bn->ticket);
	free(bn->ctx_bytes);
	free(bn->authn);
	auth_key_free(bn->authority);
	auth_key_free(bn->bkey);
	auth_audience_free(bn->aud);
}

/* ---- set-up: every item is checked to decide as the seed says ---- */

static void sd_build(bench *bn, size_t aces)
{
	sc_sd_free_contents(&bn->sd);
	memset(&bn->sd, 0, sizeof(bn->sd));
	bn->sd.type = SC_OBJ_FILE;
	bn->sd.dacl_present = true;
	bn->sd.owner_sid = strdup(sc_directory_sid(bn->dir, "svc-c"));
	bn->sd.aces = calloc(aces, sizeof(*bn->sd.aces));
	if (!bn->sd.owner_sid || !bn->sd.aces)
		die("out of memory");
	for (size_t i = 0; i < aces; i++) {
		char sid[64];
		/* SIDs alice does not hold, then alice's, last. */
		if (i + 1 < aces)
			snprintf(sid, sizeof(sid), "S-1-5-21-7-7-7-%zu",
				 5000 + i);
		else
			snprintf(sid, sizeof(sid), "%s",
				 sc_token_user_sid(bn->client));
		bn->sd.aces[i].type = SC_ACE_ALLOW;
		bn->sd.aces[i].mask = bn->desired;
		bn->sd.aces[i].sid = strdup(sid);
		if (!bn->sd.aces[i].sid)
			die("out of memory");
		bn->sd.ace_count = i + 1;
	}
	uint32_t granted = 0;
	if (sc_acl_access_check(bn->client, &bn->sd, bn->desired, &granted,
				NULL) != SC_OK || !granted)
		die("the access check does not grant read");
}

static void bench_setup(bench *bn, const char *path)
{
	memset(bn, 0, sizeof(*bn));
	sc_log_init(&bn->log);
	world_load(&bn->w, path, "cloaking-dynamic");
	bn->a = world_runtime(&bn->w, "A");
	bn->b = world_runtime(&bn->w, "B");
	bn->c = world_runtime(&bn->w, "C");
	bn->dir = sc_runtime_directory(bn->b);
	const sc_scenario *scn = bn->w.scn;

	/* The chain once: it must present alice to C, who may open the
	 * report; it also captures the context B sends C. */
	sc_trace t;
	sc_trace_init(&t);
	sc_runtime_run_client(bn->a, &t);
	const sc_hop *ab = find_hop(&t, "A", "B"), *bc = find_hop(&t, "B", "C");
	if (!ab || !bc || t.count != 2 || ab->status != SC_OK ||
	    bc->status != SC_OK || strcmp(bc->presented, "CORP\\alice") ||
	    bc->steps_count < 2 || bc->steps[1].status != SC_OK ||
	    !bn->w.captured)
		die("the seed chain does not run as the seed diagram says");
	sc_trace_free(&t);

	/* A->B as B accepts it (accept_call in sc_exec.c). */
	const sc_process_def *pa = sc_scenario_process(scn, "A");
	const sc_process_def *pb = sc_scenario_process(scn, "B");
	const sc_process_def *pc = sc_scenario_process(scn, "C");
	if (sc_directory_logon(bn->dir, "alice", "ws1", SC_START_INTERACTIVE,
			       &bn->alice, NULL) != SC_OK)
		die("alice cannot log on");
	bn->facts = (sc_hop_facts){
		.asked = sc_blanket_level_asked(&pa->blanket,
						sc_scenario_host(scn, "ws1"),
						pa->com_plus, NULL),
		.client_authn = sc_blanket_authn_asked(&pa->blanket),
		.server_authn = pb->server_authn,
		.package = sc_blanket_package(&pa->blanket, true),
		.transport = pa->blanket.transport,
		.crossed = false,
		.all_in_domain = true,
		.presented_is_thread = false,
		.presented_level = sc_token_level_raw(bn->alice),
	};
	sc_hop_outcome oc;
	sc_hop_negotiate(&bn->facts, &oc, NULL);
	if (oc.level != SC_LEVEL_IMPERSONATE || !oc.authenticated)
		die("A->B does not run at Impersonate");
	if (sc_directory_network_token(bn->dir, bn->alice, "ws1",
				       &(sc_binding){oc.level,
						     bn->facts.package,
						     oc.authn},
				       &bn->client, NULL) != SC_OK)
		die("no network token for alice");
	sc_token_set_delegable(bn->client, oc.delegable);

	bn->b_blanket = pb->blanket;
	snprintf(bn->proxy.target, sizeof(bn->proxy.target), "C");
	sc_policy_from_settings(&scn->settings, &bn->policy);
	bn->deleg = (sc_delegation){
		.self = sc_directory_account(bn->dir, pb->account),
		.target = sc_directory_account(bn->dir, pc->account),
		.client = sc_directory_account_by_sid(
			bn->dir, sc_token_user_sid(bn->client)),
	};
	const char *who = decide_once(bn, NULL);
	if (!who || strcmp(who, "thread"))
		die("B does not present alice to C (C4)");

	if (sc_acl_right_parse(SC_OBJ_FILE, "read", &bn->desired) != 0)
		die("no right named read");
	signed_setup(bn);
}

static void bench_free(bench *bn)
{
	signed_free(bn);
	sc_sd_free_contents(&bn->sd);
	sc_proxy_release(&bn->proxy);
	sc_token_free(bn->client);
	sc_token_free(bn->alice);
	sc_log_free(&bn->log);
	world_free(&bn->w);
}

/* ---- timing ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Calibrate n so one repetition takes about rep_ns, then run REPS
 * repetitions and keep the median ns per operation. prep, when set, runs
 * untimed before each timed run of n operations (fresh sealed contexts,
 * an empty replay cache). */
static result measure_prep(const char *name, bench_fn prep, bench_fn fn,
			   void *arg, uint64_t rep_ns)
{
	uint64_t n = 1, el;
	for (;;) {
		if (prep)
			prep(arg, n);
		uint64_t t0 = now_ns();
		fn(arg, n);
		el = now_ns() - t0;
		if (el >= rep_ns / 8 || n >= (1ull << 40))
			break;
		n *= 2;
	}
	if (el == 0)
		el = 1;
	uint64_t iters = (uint64_t)((double)n * (double)rep_ns / (double)el);
	if (iters < 1)
		iters = 1;
	double v[REPS];
	for (int r = 0; r < REPS; r++) {
		if (prep)
			prep(arg, iters);
		uint64_t t0 = now_ns();
		fn(arg, iters);
		v[r] = (double)(now_ns() - t0) / (double)iters;
	}
	qsort(v, REPS, sizeof(v[0]), cmp_double);
	return (result){.name = name, .ns = v[REPS / 2], .iters = iters};
}

static result measure(const char *name, bench_fn fn, void *arg,
		      uint64_t rep_ns)
{
	return measure_prep(name, NULL, fn, arg, rep_ns);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: cloakroom-bench-micro [--quick] [--json]\n"
		   "  --quick  about 0.02 s per item instead of 0.2 s\n"
		   "  --json   one JSON object instead of the table\n"
		   "The seed diagram is read from $CLOAKROOM_SOURCE/scenarios "
		   "or ./scenarios.\n");
}

/* The options: -1 to go on with *quick and *json set, else the exit
 * status (0 after --help, 2 on a bad argument). */
static int parse_args(int argc, char **argv, bool *quick, bool *json)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			*quick = true;
		} else if (!strcmp(argv[i], "--json")) {
			*json = true;
		} else if (!strcmp(argv[i], "--help") ||
			   !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	bool quick = false, json = false;
	int rc = parse_args(argc, argv, &quick, &json);
	if (rc >= 0)
		return rc;
	char path[1024];
	const char *src = getenv("CLOAKROOM_SOURCE");
	snprintf(path, sizeof(path), "%s/scenarios/seed-diagram.yaml",
		 src && *src ? src : ".");

	static bench bn;
	bench_setup(&bn, path);
	/* The item's budget is shared by its REPS repetitions. */
	uint64_t rep_ns = (quick ? 20000000ull : 200000000ull) / REPS;

	result res[32];
	size_t nres = 0;
	res[nres++] = measure("token.logon (svc-b, service)", run_logon, &bn,
			      rep_ns);
	res[nres++] = measure("token.network (alice at ws1)",
			      run_network_token, &bn, rep_ns);
	size_t decide = nres;
	res[nres++] = measure("decide.hop (negotiate+impersonate+cloak)",
			      run_decide, &bn, rep_ns);
	res[nres++] = measure("decide.hop, log NULL", run_decide_nolog, &bn,
			      rep_ns);
	static const size_t aces[] = {1, 20, MAX_ACES};
	static const char *const ace_names[] = {
		"acl.check, 1 ACE", "acl.check, 20 ACEs",
		"acl.check, 200 ACEs"};
	for (size_t i = 0; i < 3; i++) {
		sd_build(&bn, aces[i]);
		res[nres++] = measure(ace_names[i], run_access, &bn, rep_ns);
	}
	res[nres++] = measure("serve.hop (C serves B's call)", run_serve_c,
			      &bn, rep_ns);
	size_t chain = nres;
	res[nres++] = measure("chain A->B->C (run_client)", run_chain, &bn,
			      rep_ns);
	res[nres++] = measure("context.encode (B's context for C)",
			      run_ctx_encode, &bn, rep_ns);
	res[nres++] = measure("context.decode (at C, range checked)",
			      run_ctx_decode, &bn, rep_ns);
	res[nres++] = measure("ed25519.sign (once per ticket)", run_sign,
			      &bn, rep_ns);
	res[nres++] = measure("ed25519.verify (once per ticket)",
			      run_verify, &bn, rep_ns);
	res[nres++] = measure("hmac-sha256 (an authenticator)", run_mac, &bn,
			      rep_ns);
	res[nres++] = measure("ticket.check (parse, issuer, verify, expiry)",
			      run_ticket_check, &bn, rep_ns);
	size_t seal = nres;
	res[nres++] = measure("seal (B: context hash, authenticator, MAC)",
			      run_seal, &bn, rep_ns);
	/* Cold: an audience that has verified nothing (2 verifies, the
	 * session key unsealed); then as the daemons run: the credential
	 * and the ticket kept with the session key after the first call. */
	bn.aud_fresh = true;
	size_t open = nres;
	res[nres++] = measure_prep("open, first sight (2 verifies, unseal)",
				   prep_open, run_open, &bn, rep_ns);
	size_t hop = nres;
	res[nres++] = measure_prep("sealed hop, first sight",
				   prep_replay, run_signed_hop, &bn, rep_ns);
	bn.aud_fresh = false;
	res[nres++] = measure_prep("replay.check (a fresh nonce)",
				   prep_nonces, run_replay, &bn, rep_ns);
	size_t open_memo = nres;
	res[nres++] = measure_prep("open, ticket kept (MAC, hash, replay)",
				   prep_open, run_open, &bn, rep_ns);
	size_t hop_memo = nres;
	res[nres++] = measure_prep("sealed hop (encode+seal+open+decode)",
				   prep_replay, run_signed_hop, &bn, rep_ns);
	size_t proof = nres;
	res[nres++] = measure_prep("proof (seal+open, ticket kept)",
				   prep_replay, run_proof, &bn, rep_ns);
	const unsigned hops = 2; /* checked in bench_setup */
	double per_hop = res[chain].ns / hops;
	double d = res[decide].ns;
	bool met = d <= TARGET_NS;

	if (json) {
		printf("{\"quick\": %s, \"repetitions\": %d, \"items\": [",
		       quick ? "true" : "false", REPS);
		for (size_t i = 0; i < nres; i++)
			printf("%s\n  {\"item\": \"%s\", \"ns_per_op\": %.1f, "
			       "\"iterations\": %llu}",
			       i ? "," : "", res[i].name, res[i].ns,
			       (unsigned long long)res[i].iters);
		printf("],\n \"chain_hops\": %u, \"chain_ns_per_hop\": %.1f,\n"
		       " \"per_hop_decision\": {\"ns\": %.1f, "
		       "\"target_ns\": %.0f, \"met\": %s},\n"
		       " \"signed\": {\"seal_ns\": %.1f, \"open_ns\": %.1f, "
		       "\"hop_ns\": %.1f, \"open_remembered_ns\": %.1f, "
		       "\"hop_remembered_ns\": %.1f, \"proof_ns\": %.1f, "
		       "\"proof_target_ns\": %.0f}}\n",
		       hops, per_hop, d, TARGET_NS, met ? "true" : "false",
		       res[seal].ns, res[open].ns, res[hop].ns,
		       res[open_memo].ns, res[hop_memo].ns, res[proof].ns,
		       PROOF_TARGET_NS);
	} else {
		printf("%-44s %12s %12s\n", "item", "ns/op", "iterations");
		for (size_t i = 0; i < nres; i++)
			printf("%-44s %12.1f %12llu\n", res[i].name, res[i].ns,
			       (unsigned long long)res[i].iters);
		printf("%-44s %12.1f %12s\n", "chain A->B->C, per hop (/2)",
		       per_hop, "-");
		printf("(median of %d repetitions; iterations per "
		       "repetition)\n", REPS);
		printf("per-hop decision: %.0f ns (target <= %.0f ns): %s\n", d,
		       TARGET_NS, met ? "met" : "missed");
		printf("per-call proof (seal+open, ticket kept): %.0f ns "
		       "(target <= %.0f ns): %s\n",
		       res[proof].ns, PROOF_TARGET_NS,
		       res[proof].ns <= PROOF_TARGET_NS ? "met" : "missed");
	}
	bench_free(&bn);
	return 0;
}
