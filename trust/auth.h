/* auth.h: signed contexts. Ed25519 keys (OpenSSL), the authority's signed
 * statements (logon credentials, tickets), session keys sealed for one
 * process (AES-256-GCM under its secret key), sealing one call's context
 * under its ticket's session key (HMAC-SHA256) and checking a sealed
 * context (issuer, signatures once per statement, audience, the MAC,
 * expiry with a clock skew, replay). No gRPC and no model decision here:
 * who may get a ticket is decided in authority/ (by the model's
 * D1/D4/D5), what a hop grants in libsecctx. Rejections carry a K rule id
 * (docs/rules.md). */
#ifndef CLOAKROOM_AUTH_H
#define CLOAKROOM_AUTH_H

#include "sc_common.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_KEY_LEN 32
#define AUTH_SIG_LEN 64
#define AUTH_NONCE_LEN 16
#define AUTH_HASH_LEN 32
#define AUTH_NAME_LEN 64
#define AUTH_IDENT_LEN 160
#define AUTH_SEALED_MAX 131072
#define AUTH_SECRET_LEN 32      /* a process's secret key (NAME.skey) */
#define AUTH_SESSION_KEY_LEN 32 /* a ticket's session key */
#define AUTH_MAC_LEN 32         /* HMAC-SHA256 */
#define AUTH_GCM_NONCE_LEN 12
#define AUTH_GCM_TAG_LEN 16
/* A session key sealed for one process: GCM nonce, ciphertext, tag. */
#define AUTH_SEALED_KEY_LEN                                                  \
	(AUTH_GCM_NONCE_LEN + AUTH_SESSION_KEY_LEN + AUTH_GCM_TAG_LEN)

/* Lifetimes and skew, in ms (the defaults; settings can change them). */
#define AUTH_CREDENTIAL_LIFETIME_MS (3600u * 1000u)
#define AUTH_TICKET_LIFETIME_MS (600u * 1000u)
#define AUTH_CONTEXT_LIFETIME_MS (30u * 1000u)
#define AUTH_DEFAULT_SKEW_MS 5000u
#define AUTH_MAX_SKEW_MS 999999999u /* the most --clock-skew-ms takes */

typedef struct auth_key auth_key; /* a private Ed25519 key */

int auth_key_generate(auth_key **out);
/* A key file holds the raw 32-byte private key (mode 0600). */
int auth_key_load(const char *path, auth_key **out);
int auth_key_save(const auth_key *k, const char *path);
void auth_key_free(auth_key *k);
void auth_key_public(const auth_key *k, uint8_t pub[AUTH_KEY_LEN]);

int auth_sign(const auth_key *k, const uint8_t *msg, size_t len,
	      uint8_t sig[AUTH_SIG_LEN]);
bool auth_verify(const uint8_t pub[AUTH_KEY_LEN], const uint8_t *msg,
		 size_t len, const uint8_t *sig, size_t siglen);
void auth_hash(const uint8_t *msg, size_t len, uint8_t out[AUTH_HASH_LEN]);

/* A process's secret key: AUTH_SECRET_LEN random bytes the authority
 * makes for every process at launch and writes beside its key and
 * credential (NAME.skey, mode 0600); only the process and the authority
 * hold it. Session keys reach a process sealed under it. 0 or -1. */
int auth_secret_load(const char *path, uint8_t out[AUTH_SECRET_LEN]);

/* Seal a session key for holder under holder's secret (AES-256-GCM, a
 * fresh nonce; the additional data is the ticket's id and holder's name,
 * so a sealed key moved to another ticket or process does not open).
 * 0 or -1. */
int auth_key_seal(const uint8_t secret[AUTH_SECRET_LEN],
		  const uint8_t key[AUTH_SESSION_KEY_LEN],
		  const uint8_t ticket_id[AUTH_NONCE_LEN], const char *holder,
		  uint8_t out[AUTH_SEALED_KEY_LEN]);
/* 0 with key, or -1: not sealed under this secret, for this ticket and
 * holder, or altered. */
int auth_key_unseal(const uint8_t secret[AUTH_SECRET_LEN], const uint8_t *in,
		    size_t len, const uint8_t ticket_id[AUTH_NONCE_LEN],
		    const char *holder, uint8_t key[AUTH_SESSION_KEY_LEN]);

/* HMAC-SHA256 of msg under key. 0 or -1. */
int auth_mac(const uint8_t key[AUTH_SESSION_KEY_LEN], const uint8_t *msg,
	     size_t len, uint8_t out[AUTH_MAC_LEN]);

/* The authority's statements (credentials, tickets) come back on every
 * call, byte for byte. With the memo on, a statement whose exact bytes
 * (issuer key, body, signature: their SHA-256) already verified is not
 * verified again; anything else is, and only a signature that verifies is
 * remembered (a fixed table, AUTH_MEMO_SLOTS, newest wins a slot). Only
 * the signature is remembered: issuer, fields and expiry are checked on
 * every use. Off by default; daemons and the authority turn it on,
 * process-wide and thread-safe. auth_memo_hits: verifications saved. */
#define AUTH_MEMO_SLOTS 1024
void auth_memo_enable(bool on);
uint64_t auth_memo_hits(void);
int auth_random(uint8_t *buf, size_t len);
uint64_t auth_now_ms(void);

/* The DNS form of an account for TLS certificates: "CORP\\svc-b" ->
 * "svc-b.corp", "NT AUTHORITY\\NETWORK SERVICE" ->
 * "network-service.nt-authority" (lower case; other characters '-'). */
void auth_dns_name(const char *account, char *out, size_t len);
#define AUTH_AUTHORITY_ACCOUNT "cloakroom authority"

/* Read a whole small file (a key, a credential, a PEM). 0 or -1. The
 * buffer has room for one more byte after the data (a PEM's NUL). */
int auth_file_read(const char *path, uint8_t **buf, size_t *len);
int auth_file_write(const char *path, const uint8_t *buf, size_t len);

/* Why a statement or a sealed context was refused: its rule K1..K8 and
 * reason (the status is set where the refusal is sent). */
typedef sc_refusal auth_reject;

typedef struct auth_credential {
	uint8_t issuer[AUTH_KEY_LEN];
	char process[AUTH_NAME_LEN];
	char account[AUTH_IDENT_LEN];
	char account_sid[AUTH_IDENT_LEN];
	char host[AUTH_NAME_LEN];
	uint8_t key[AUTH_KEY_LEN];
	uint64_t expires_ms;
} auth_credential;

/* A ticket's level (SC_LEVEL_ANONYMOUS..SC_LEVEL_DELEGATE) and the
 * counts of its hop facts, as libsecctx/sc_common.h numbers them (auth
 * does not include it; trust/secure.c checks they agree). */
#define AUTH_TICKET_LEVEL_MIN 1u
#define AUTH_TICKET_LEVEL_MAX 4u
#define AUTH_TICKET_TRANSPORTS 4u
#define AUTH_TICKET_PACKAGES 4u
#define AUTH_TICKET_AUTHNS 7u

typedef struct auth_ticket {
	uint8_t issuer[AUTH_KEY_LEN];
	char subject[AUTH_IDENT_LEN];
	char subject_sid[AUTH_IDENT_LEN];
	char subject_host[AUTH_NAME_LEN];
	char presenter[AUTH_NAME_LEN];
	char audience[AUTH_NAME_LEN];
	bool forwardable;
	uint64_t expires_ms;
	uint8_t nonce[AUTH_NONCE_LEN];
	char rule[8];
	/* The hop's facts as the authority decided them: the most the
	 * audience may hold the subject at (an sc_level, Anonymous to
	 * Delegate), the transport, package and authentication level. */
	uint32_t level;
	uint32_t transport;
	uint32_t package;
	uint32_t authn;
	/* The authorization data (the PAC): a packed Identity, the subject
	 * as the presenter holds it (codec_identity_encode). Borrowed, for
	 * auth_ticket_sign only: auth_ticket_check leaves it NULL (the
	 * callee gets it in auth_opened.pac, the authority with
	 * auth_ticket_pac). */
	const uint8_t *pac;
	size_t pac_len;
	/* The session key sealed for the audience (auth_key_seal with the
	 * audience's secret, the ticket's nonce as its id). A ticket
	 * without one is refused (K1). */
	uint8_t session_key[AUTH_SEALED_KEY_LEN];
} auth_ticket;

/* The authority signs: a malloc'd packed Signed message (issuer is set
 * from the key). 0 or -1. */
int auth_credential_sign(const auth_key *authority, const auth_credential *c,
			 uint8_t **out, size_t *len);
int auth_ticket_sign(const auth_key *authority, const auth_ticket *t,
		     uint8_t **out, size_t *len);

/* A ticket request as the authority takes it: body (a packed
 * TicketRequest) in a SignedRequest with k's signature. 0, or -1. */
int auth_request_sign(const auth_key *k, const uint8_t *body, size_t blen,
		      uint8_t **out, size_t *len);

/* Who checks a statement, and when: the trust anchor statements must come
 * from, the time, and the clock skew allowed. */
typedef struct auth_checker {
	const uint8_t *anchor; /* AUTH_KEY_LEN bytes */
	uint64_t now_ms;
	uint64_t skew_ms;
} auth_checker;

/* A ticket's authorization data (a packed Identity), malloc'd. */
typedef struct auth_pac {
	uint8_t *data;
	size_t len;
} auth_pac;

/* Check a packed Signed statement: it parses, its issuer is by->anchor
 * (else K2), its signature verifies (K1), it has not expired (K3, with
 * skew). 0 with *c or *t filled, or -1 with why. */
int auth_credential_check(const auth_checker *by, const uint8_t *buf,
			  size_t len, auth_credential *c, auth_reject *why);
int auth_ticket_check(const auth_checker *by, const uint8_t *buf, size_t len,
		      auth_ticket *t, auth_reject *why);
/* As auth_ticket_check, and the ticket's authorization data (a packed
 * Identity) in a malloc'd pac->data. A ticket without one, or whose level
 * or facts are out of range, is refused (K1) by both. */
int auth_ticket_pac(const auth_checker *by, const uint8_t *buf, size_t len,
		    auth_ticket *t, auth_pac *pac, auth_reject *why);

/* Seal one call's context: an Authenticator (the context's hash, the
 * ticket's id, audience, issued and expiry times, a fresh nonce) and its
 * HMAC-SHA256 under the ticket's session key, with the credential and
 * the ticket as they came from the authority. No signature: the
 * authority signed the ticket once. A malloc'd packed SealedContext. 0
 * or -1. */
typedef struct auth_seal_in {
	const uint8_t *session_key; /* AUTH_SESSION_KEY_LEN bytes */
	const uint8_t *ticket_id;   /* AUTH_NONCE_LEN bytes */
	const uint8_t *cred;        /* the presenter's Signed Credential */
	size_t cred_len;
	const uint8_t *ticket; /* a Signed Ticket */
	size_t ticket_len;
	const uint8_t *context; /* a packed SecurityContext */
	size_t context_len;
	const char *audience;
	uint64_t issued_ms;
	uint64_t lifetime_ms;
} auth_seal_in;
int auth_seal(const auth_seal_in *in, uint8_t **out, size_t *out_len);

/* Not a rule: a statement that was not judged because a cache was full
 * (a replay cache holding only live entries). The caller is told the
 * callee is busy (RESOURCE_EXHAUSTED, the hop UNAVAILABLE under NET),
 * never that its context was replayed. */
#define AUTH_BUSY "BUSY"

typedef struct auth_replay auth_replay; /* thread-safe */

/* A cache that holds up to capacity live nonces (at least 32): its table
 * starts small and grows as live entries come, so a busy daemon is not
 * refused long before capacity, and an idle one holds little. */
auth_replay *auth_replay_new(size_t capacity);
void auth_replay_free(auth_replay *r);
/* 0: first sight, remembered until expires_ms + skew; -1: seen before;
 * -2: the cache is full of live entries. */
int auth_replay_check(auth_replay *r, const uint8_t nonce[AUTH_NONCE_LEN],
		      uint64_t keep_until_ms, uint64_t now_ms);
/* A cache that keeps each presenter's nonces apart (K5): one cache of
 * up to capacity live nonces per presenter, made at its first context, so
 * that a presenter that fills its own is the only one refused.
 * auth_replay_check_for checks nonce in presenter's (in a cache made by
 * auth_replay_new, in the one cache). Same returns as auth_replay_check;
 * -2 also past the most presenters kept apart (4096). auth_open checks
 * in the credential's process's. */
auth_replay *auth_replay_new_per_presenter(size_t capacity);
int auth_replay_check_for(auth_replay *r, const char *presenter,
			  const uint8_t nonce[AUTH_NONCE_LEN],
			  uint64_t keep_until_ms, uint64_t now_ms);

/* How many occupied slots auth_replay_check has compared so far (tests:
 * the slots are found with a keyed hash, SipHash-2-4 under a key drawn
 * when the cache is made, so nonces a signer chooses cannot share one
 * probe chain). */
uint64_t auth_replay_probes(auth_replay *r);

/* A sealed context that passed every check. */
typedef struct auth_opened {
	uint8_t *context;        /* the packed SecurityContext (malloc'd) */
	size_t context_len;
	uint8_t *ticket;         /* the packed Signed ticket (malloc'd): the
	                            evidence for an onward ticket request */
	size_t ticket_len;
	auth_credential cred;    /* the presenter's */
	auth_ticket tk;
	uint8_t *pac;            /* the ticket's authorization data, a
	                            packed Identity (malloc'd) */
	size_t pac_len;
} auth_opened;

/* An audience: a process that takes sealed contexts (its name, the trust
 * anchor, its secret key), and the credentials and tickets it has
 * verified, each with what it read from it (a ticket's session key
 * unsealed) until it expires. A statement is taken from there only when
 * its bytes are exactly those that verified; anything else is verified
 * afresh, and only a statement that passed every check is kept (a fixed
 * table, AUTH_AUDIENCE_SLOTS, a newer statement taking an older one's
 * slot). Expiry (K3) is checked on every use. Thread-safe. */
#define AUTH_AUDIENCE_SLOTS 4096
typedef struct auth_audience auth_audience;
auth_audience *auth_audience_new(const uint8_t anchor[AUTH_KEY_LEN],
				 const char *me,
				 const uint8_t secret[AUTH_SECRET_LEN]);
void auth_audience_free(auth_audience *a);
/* Statements taken from the audience's table instead of verified. */
uint64_t auth_audience_hits(auth_audience *a);

/* Open and check a sealed context meant for the audience: the credential
 * and the ticket come from its anchor (K2) and verify (K1), neither has
 * expired (K3); the ticket names the credential's process as presenter
 * (K6) and the audience as its audience (K4), and carries a session key
 * sealed for the audience (K1); the authenticator names this ticket
 * (K1), its MAC verifies under the ticket's session key and it covers
 * this context (K1), it names the audience (K4), is within its lifetime
 * (K3) and was not seen before (K5, checked last). 0 with out filled
 * (free with auth_opened_free), or -1 with why. */
typedef struct auth_open_opts {
	auth_audience *aud;
	auth_replay *replay; /* where the nonce goes (K5) */
	uint64_t now_ms;
	uint64_t skew_ms;
} auth_open_opts;
int auth_open(const auth_open_opts *by, const uint8_t *buf, size_t len,
	      auth_opened *out, auth_reject *why);
void auth_opened_free(auth_opened *o);

#endif
