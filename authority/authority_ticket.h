/* authority_ticket.h: the authority's state and its one service: given a
 * signed ticket request, mint a ticket or refuse with the rule that
 * decided. Decisions are the model's (sc_hop_negotiate for D1,
 * sc_cloak_choose for L4/L5/C6/D4/D5); no gRPC here, so tests drive it
 * with bytes. */
#ifndef CLOAKROOM_AUTHORITY_TICKET_H
#define CLOAKROOM_AUTHORITY_TICKET_H

#include "auth.h"
#include "sc_exec.h"

typedef struct authority_proc {
	char name[AUTH_NAME_LEN];
	sc_runtime *rt; /* the process's runtime: its primary token */
} authority_proc;

typedef struct authority_requester {
	char name[AUTH_NAME_LEN];
	auth_replay *replay;
	/* The process's secret key (NAME.skey): session keys are sealed
	 * under it, for it as a ticket's audience or as its requester. */
	uint8_t secret[AUTH_SECRET_LEN];
} authority_requester;

typedef struct authority_state {
	const sc_scenario *scn;
	auth_key *key;
	uint8_t pub[AUTH_KEY_LEN];
	authority_proc *procs;
	size_t count;
	uint64_t ticket_lifetime_ms;
	uint64_t credential_lifetime_ms; /* 0: AUTH_CREDENTIAL_LIFETIME_MS */
	uint64_t skew_ms;      /* at most AUTH_MAX_SKEW_MS */
	uint64_t fixed_now_ms; /* 0: the real clock; else this (fuzzing) */
	bool quiet;            /* no verdict on stderr (fuzzing) */
	/* Ticket requests' nonces, one cache per requester (K5): a
	 * requester that floods the authority fills its own, never
	 * another's. Made at the setup, for the cast, and kept across
	 * rebinds. */
	authority_requester *requesters;
	size_t requesters_count;
} authority_state;

/* Live nonces each requester's replay cache holds. */
#define AUTHORITY_REPLAY_PER_REQUESTER 4096u

/* Make the authority's key and every process's key and secret key, and
 * issue each process its logon credential: DIR/authority.pub (the trust
 * anchor, raw 32 bytes), DIR/NAME.key, DIR/NAME.skey, DIR/NAME.cred.
 * ticket_lifetime_ms and skew_ms must be set before. 0, or -1 with
 * err. */
int authority_ticket_setup(authority_state *st, const sc_scenario *scn,
			   const char *dir, char *err, size_t errlen);
void authority_ticket_free(authority_state *st);

/* Decide from now on by scn (a warm authority's next case, whose cast is
 * the setup's: the same processes, accounts and hosts, so the keys and
 * credentials issued stand): the processes' runtimes are rebuilt from it.
 * The caller keeps scn alive and serves no request meanwhile. 0, or -1
 * with err (nothing changed). */
int authority_ticket_rebind(authority_state *st, const sc_scenario *scn,
			    char *err, size_t errlen);

/* One request (a packed SignedRequest) -> a malloc'd packed TicketReply,
 * a ticket (with a fresh session key, sealed in the ticket for its
 * audience and in the reply for the requester) or a refusal with its
 * rule. peer_account: over mutual TLS the
 * account in the requester's certificate, which must be the credential's
 * (K6); NULL without TLS. -1 only when out of memory. */
int authority_ticket_serve(authority_state *st, const uint8_t *req,
			   size_t len, const char *peer_account,
			   uint8_t **reply, size_t *reply_len);

/* Empty every requester's replay cache (fuzzing: each input on its own).
 * 0, or -1 when out of memory. */
int authority_ticket_forget_requests(authority_state *st);

#endif
