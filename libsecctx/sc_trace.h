/* sc_trace.h: what a run observed, hop by hop: who called whom, which
 * identity was presented at which level, what the callee did, and the rule
 * ids behind every decision; and the evaluation of a scenario's
 * expectations against it. Model only: no I/O, no gRPC. */
#ifndef SC_TRACE_H
#define SC_TRACE_H

#include "sc_common.h"
#include "sc_scenario.h"
#include "sc_token.h"

#define SC_NAME_LEN 64
#define SC_IDENT_LEN 160

/* One step a process ran (inside an incoming call, or as a client). */
typedef struct sc_step_result {
	char process[SC_NAME_LEN];
	char id[SC_NAME_LEN];
	sc_step_kind kind;
	char object[SC_NAME_LEN];    /* open, access_check; call: the callee */
	char as[SC_IDENT_LEN];       /* the identity it ran as */
	sc_level as_level;           /* that token's level (DEFAULT: primary) */
	sc_status status;
	uint32_t granted;            /* open, access_check */
	sc_object_type object_type;  /* open, access_check: the object's
	                                type, which names granted (T6) */
	sc_level level;              /* query_level */
	int hop;                     /* call: index of its hop, else -1 */
	sc_log log;
} sc_step_result;

/* One call. Filled by the caller (cloaking, failures before the wire) and
 * by the callee (what it received, what it did). */
typedef struct sc_hop {
	char from[SC_NAME_LEN];
	char to[SC_NAME_LEN];
	char from_host[SC_NAME_LEN];
	char to_host[SC_NAME_LEN];
	bool crossed_host;
	unsigned boundaries;         /* host boundaries of the identity */
	sc_level level_requested;
	sc_level level_effective;
	sc_authn authn;
	sc_package package;
	sc_cloaking cloaking;
	char presented[SC_IDENT_LEN];     /* "CORP\\alice" */
	char presented_sid[SC_IDENT_LEN];
	char chosen[SC_IDENT_LEN];   /* the identity the caller's cloaking
	                                chose (C2-C4, T7), set also when its
	                                proxy refused the call (not_sent):
	                                what it would have presented; ""
	                                when nothing was chosen (C1) */
	sc_status status;
	bool not_sent;               /* the caller's proxy refused the call
	                                before sending it (C1, C5, C6, D4,
	                                D5, D8): no call was made */
	unsigned depth;              /* 0 for the client's own calls */
	sc_log log;                  /* rules and warnings, in order */
	unsigned caller_notes;       /* leading notes of log the caller took */
	sc_step_result *steps;       /* what the callee did */
	size_t steps_count;
	size_t steps_cap;
	/* The token diff of the hop (sc_tokendiff.h); owned, NULL when
	 * unknown: the token the caller presented (NULL when the call had
	 * no context), and the token the callee built from it (NULL when
	 * the call failed before it did, or was not authenticated). */
	sc_token *caller_token;
	sc_token *built_token;
} sc_hop;

typedef struct sc_trace {
	sc_hop *hops;                /* in the order the calls started */
	size_t count;
	size_t cap;
	sc_step_result *steps;       /* the client's own steps */
	size_t steps_count;
	size_t steps_cap;
} sc_trace;

void sc_trace_init(sc_trace *t);
void sc_trace_free(sc_trace *t);
/* A new zeroed hop at the end; returns its index, or -1 (no memory). */
int sc_trace_add_hop(sc_trace *t);
/* A new zeroed step result in hop (or, with hop -1, the client's own). */
sc_step_result *sc_trace_add_step(sc_trace *t, int hop);
/* Move every hop of src to the end of dst (src is left empty); the hop
 * indices in src's call steps are shifted. Returns the index in dst of
 * src's first hop, or -1. */
int sc_trace_move(sc_trace *dst, sc_trace *src);

/* T5's note when a served call ends with its thread still impersonating,
 * the one note of a hop's log taken after the callee's steps ran. */
#define SC_NOTE_CALL_ENDS "the call ends: its impersonation ends with it"

/* How many notes at the end of h's log the callee took when the call
 * ended, after its steps ran (T5, SC_NOTE_CALL_ENDS): 0 or 1. Numbered
 * and listed after the steps. */
size_t sc_hop_closing_notes(const sc_hop *h);

/* Rule ids of a hop (callee's steps included), deduplicated, in the order
 * they applied (the closing notes after the steps), joined with sep into
 * buf. */
void sc_hop_rules(const sc_hop *h, char *buf, size_t len, const char *sep);

/* One evaluated expectation. */
typedef struct sc_expect_result {
	char text[256];   /* "B->C: presented CORP\\alice, level ..." */
	bool pass;
	char why[256];    /* what was seen instead, when it failed */
} sc_expect_result;

/* Evaluate n expectations against t. out must hold n results. Returns
 * the number that failed. */
unsigned sc_expect_eval(const sc_expect_def *ex, unsigned n,
			const sc_trace *t, sc_expect_result *out);

#endif
