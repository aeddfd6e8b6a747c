/* secure.h: a daemon's side of signed contexts. It holds the process's
 * key and logon credential, asks the authority for tickets (cached until
 * they expire), seals each outgoing context, and opens and binds each
 * incoming one. It never decides what a hop grants (the model does) nor
 * who may have a ticket (the authority does). */
#ifndef CLOAKROOM_SECURE_H
#define CLOAKROOM_SECURE_H

#include "auth.h"
#include "sc_exec.h"

typedef struct secure secure;

typedef struct secure_config {
	const char *dir;            /* the run's authority directory */
	const char *authority;      /* the authority's address */
	const char *process;        /* this process */
	uint64_t skew_ms;           /* clock skew allowed */
	int timeout_ms;             /* for ticket requests */
	sc_misbehave misbehave;     /* attacks only */
	bool insecure;              /* no mutual TLS (comparison runs) */
} secure_config;

/* Load the trust anchor, the process's key and credential, and (unless
 * insecure) turn on mutual TLS with its account's certificate
 * (rpc_tls_use): call after rpc_init, before any server or channel. 0 or
 * -1 with err. */
int secure_open(const secure_config *cfg, secure **out, char *err,
		size_t errlen);
void secure_close(secure *s);

/* Forget what earlier runs left: the evidence kept from incoming calls
 * and what a misbehaving process captured; and run the next case as
 * case_id. A warm daemon calls it between cases. The tickets it holds to
 * present stay, each keyed by the case it was asked in (with its
 * subject, target, the call's facts and the evidence it was asked on),
 * so a ticket is presented again only in a case whose case_id is the
 * same: case_id stands for every input of the authority's decisions the
 * case sets (node/warm.c: the file, the variant and the sets that are
 * not a call's facts). The key, the secret, the credential, the replay
 * cache and the tickets verified as an audience stay. */
void secure_reset(secure *s, uint64_t case_id);

/* Seal ctx for target: a ticket for (the identity's user, target) from
 * the cache or the authority, then the authenticator. parent propagates
 * the incoming call's deadline. 0 with a malloc'd packed SealedContext,
 * or -1 with why (the authority refused: its rule and reason). A
 * misbehaving process alters what it sends here (rt: the caller's
 * runtime, whose directory it reads the accounts it claims from; may be
 * NULL). */
typedef struct secure_call {
	void *parent;          /* the incoming call (its deadline) */
	const char *target;    /* the callee */
	const sc_context *ctx; /* what is sealed */
	const sc_runtime *rt;  /* the caller's runtime; may be NULL */
} secure_call;
int secure_seal(secure *s, const secure_call *call, uint8_t **out,
		size_t *out_len, auth_reject *why);

/* Open an incoming sealed context (auth_open against the run's anchor,
 * this process as audience, the process's replay cache). */
int secure_accept(secure *s, const uint8_t *buf, size_t len, auth_opened *o,
		  auth_reject *why);

/* Bind what was opened to the decoded context: over mutual TLS the peer's
 * certificate names the credential's account (peer_account; NULL without
 * TLS), the caller named in the context is the credential's process on
 * its host, the chain ends with it (K6), the identity presented is the
 * ticket's subject, and it claims no group its ticket's authorization
 * data does not hold, nor on a local pipe a privilege (K7). On success
 * *vouched is a new token, the ticket's identity (the caller sets
 * ctx->vouched to it and frees it after the call), and the ticket is
 * kept as the evidence for presenting that subject further. 0 or -1
 * with why. */
int secure_bind(secure *s, const auth_opened *o, const sc_context *ctx,
		const char *peer_account, sc_token **vouched,
		auth_reject *why);

/* The name target's TLS certificate must carry (the DNS form of the
 * account in target's credential), for rpc_channel_open_as; "" without
 * TLS. 0, or -1 when target has no valid credential. */
int secure_peer_name(secure *s, const char *target, char *out, size_t len);

/* Ticket requests this process has made of the authority (a cache that
 * keeps what it was given asks once per subject and target). */
unsigned long long secure_tickets_requested(secure *s);

/* Credentials and tickets taken as already verified (their session key
 * unsealed) instead of verified again, as an audience. */
unsigned long long secure_statements_reused(secure *s);

/* The account named in this process's credential. */
const char *secure_account(const secure *s);

/* When the process misbehaves (an attack scenario), what it does to the
 * context it seals for ctx, in words, into buf; returns 1, else 0. The
 * trace shows it next to what the model decided. */
int secure_tampering(secure *s, const sc_context *ctx, char *buf, size_t len);

/* Mutual TLS for this process's gRPC (rpc_tls_use) with the certificate
 * of account that the authority wrote in dir (ca.crt, NAME.crt and
 * NAME.key). Call after rpc_init, before any server or channel. 0, or -1
 * with err. */
int secure_tls_use(const char *dir, const char *account, char *err,
		   size_t errlen);

#endif
