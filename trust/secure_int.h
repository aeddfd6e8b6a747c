/* secure_int.h: what secure.c (the honest path) and misbehave.c (the
 * attacks' path beside it) share: the daemon's signed-context state and
 * the ticket requests both make. */
#ifndef CLOAKROOM_SECURE_INT_H
#define CLOAKROOM_SECURE_INT_H

#include "secure.h"

#include "rpc.h"

#include <pthread.h>

/* Tickets and evidence kept: one entry per (subject, target, facts) and
 * per subject, as many as the calls use, up to this many each (a middle
 * tier serving 1,024 clients keeps 1,024 of each). */
#define SECURE_CACHE_MAX 65536u
#define SECURE_RENEW_MS 2000 /* renew a ticket this long before expiry */
#define SECURE_REPLAY_CAPACITY 262144u /* live nonces an incoming cache holds */

/* What a ticket was asked for, besides its subject and target: the
 * call's facts (what the authority reads of the call), the case the
 * process ran (secure_set_case: what the authority reads of the
 * scenario) and the evidence it was asked on (the last bytes of that
 * ticket: its signature's), all compared exactly. Zero for evidence. */
#define SECURE_BASIS_LEN 32
typedef struct kfacts {
	uint32_t call;
	uint64_t case_id;
	uint8_t basis[SECURE_BASIS_LEN];
	size_t basis_len;
} kfacts;

typedef struct slot {
	char sid[AUTH_IDENT_LEN];
	char target[AUTH_NAME_LEN];
	kfacts facts;
	uint8_t *bytes;
	size_t len;
	uint64_t expires_ms;
	/* A ticket this process presents: its session key and its id. */
	uint8_t key[AUTH_SESSION_KEY_LEN];
	uint8_t id[AUTH_NONCE_LEN];
	struct slot *next; /* in its bucket (a cache's entries) */
} slot;

/* A ticket held to present: the Signed bytes the authority made, the
 * session key it sealed for the holder, the ticket's id and expiry. */
typedef struct held_ticket {
	uint8_t *bytes;
	size_t len;
	uint8_t key[AUTH_SESSION_KEY_LEN];
	uint8_t id[AUTH_NONCE_LEN];
	uint64_t expires_ms;
} held_ticket;
void held_ticket_free(held_ticket *t);

/* A cache of signed statements by (sid, target, facts): chained buckets,
 * doubled as entries come; at SECURE_CACHE_MAX, expired entries go, then
 * the one that expires first. */
typedef struct kcache {
	slot **buckets;
	size_t nbuckets; /* a power of two, or 0 before the first entry */
	size_t count;
} kcache;

struct secure {
	secure_config cfg;
	char process[AUTH_NAME_LEN];
	uint8_t anchor[AUTH_KEY_LEN];
	auth_key *key;
	uint8_t secret[AUTH_SECRET_LEN]; /* session keys come sealed under it */
	auth_audience *audience; /* the tickets verified as their audience */
	uint8_t *cred;
	size_t cred_len;
	auth_credential me;
	char authority_addr[160];
	rpc_channel *authority;  /* opened at the first ticket request: a
	                            process that never calls has none */
	auth_replay *replay;
	pthread_mutex_t lock; /* guards everything below */
	unsigned long long requested; /* ticket requests made */
	kcache tickets;  /* by (subject sid, target, facts) */
	uint64_t case_id; /* secure_set_case */
	kcache evidence; /* by subject sid: the ticket that presented it */
	/* misbehaviour only */
	auth_key *rogue;
	auth_key *stolen_key;     /* relay: the caller's */
	uint8_t stolen_secret[AUTH_SECRET_LEN];
	uint8_t *stolen_cred;
	size_t stolen_cred_len;
	slot replayed;
	kcache stale;             /* stale_session_key: by target */
	sc_token *last_client;
	sc_level last_level;      /* the level its ticket vouched for */
	char last_caller[SC_NAME_LEN];
	char last_caller_host[SC_NAME_LEN];
	char last_chain[256];
};

/* Record bytes in s (replacing what it held). 0, or -1 out of memory. */
int secure_slot_set(slot *s, const char *sid, const char *target,
		    const uint8_t *b, size_t len, uint64_t expires_ms);
/* Keep a copy of the ticket h under (sid, target, facts) in c, replacing
 * what was. Caller holds the lock. 0, or -1 out of memory. */
int secure_kc_put(kcache *c, const char *sid, const char *target,
		  const kfacts *facts, const held_ticket *h);
/* A malloc'd copy of len bytes of b (NULL when out of memory). */
uint8_t *secure_dup_bytes(const uint8_t *b, size_t len);
/* Fill why with rule and reason; returns -1. */
int secure_fail(auth_reject *why, const char *rule, const char *reason);
/* Whose ticket request it is: the key that signs it, the credential it
 * carries, the secret its session key comes sealed under and the
 * process's name (the holder the key is sealed for). */
typedef struct requester {
	const auth_key *key;
	const uint8_t *cred;
	size_t cred_len;
	const uint8_t *secret;
	const char *process;
} requester;

/* What a ticket request asks: to present sid to target for the call
 * call, for lifetime_ms (0: the authority's lifetime; never longer). */
typedef struct ticket_want {
	const char *target;
	const char *sid;
	const sc_context *call;
	uint64_t lifetime_ms;
} ticket_want;

/* Ask the authority, as rq, for the ticket w asks. The ticket is
 * checked (the authority's signature) and its session key unsealed.
 * Caller does not hold the lock. 0 and the ticket in out, or -1 with
 * why. */
int secure_request_ticket_as(secure *s, const requester *rq,
			     const ticket_want *w, void *parent,
			     held_ticket *out, auth_reject *why);
/* A ticket for (w->sid, w->target, the facts of w->call): the cached one
 * while it is valid, else a new one (w->lifetime_ms is not used). 0, or
 * -1 with why. */
int secure_get_ticket(secure *s, void *parent, const ticket_want *w,
		      held_ticket *out, auth_reject *why);
/* secure_seal for a process set to misbehave (misbehave.c). */
int secure_misbehave_seal(secure *s, const secure_call *call, uint8_t **out,
			  size_t *out_len, auth_reject *why);

#endif
