/* sc_exec.h: a process's runtime: its primary token, its proxies, and the
 * interpreter that runs its steps, as a client or inside an incoming call.
 * Model only: no I/O, no gRPC: the outgoing call is a callback the wire
 * layer provides (or a test's in-process fake). Thread-safe: many incoming
 * calls may be served at once; per-call state never leaves the call. */
#ifndef SC_EXEC_H
#define SC_EXEC_H

#include "sc_common.h"
#include "sc_decide.h"
#include "sc_directory.h"
#include "sc_scenario.h"
#include "sc_token.h"
#include "sc_trace.h"

/* The security context a call carries: what the caller presents. */
typedef struct sc_context {
	const sc_token *identity;   /* user, groups, privileges, level,
	                               origin host, boundaries at the callee */
	/* Caller side only (not on the wire): under C6 with
	 * settings.double_hop_outcome anonymous, identity is ANONYMOUS LOGON
	 * in place of replaced, the identity the call could not carry (the
	 * authority judges the hop on replaced's evidence); else NULL. */
	const sc_token *replaced;
	sc_level asked;             /* after L6 */
	sc_authn authn;             /* the client's */
	sc_package package;
	sc_cloaking cloaking;
	sc_transport transport;
	char caller[SC_NAME_LEN];
	char caller_host[SC_NAME_LEN];
	char caller_account[SC_IDENT_LEN];
	unsigned depth;             /* hops before this one */
	char chain[256];            /* "A>B": processes so far */
	/* The authority's word on this hop, when contexts are signed (the
	 * ticket: docs/security.md): the callee builds its token from
	 * vouched alone (user, groups and their attributes, privileges,
	 * logon type and session, origin host; names from its directory),
	 * never above vouched_level, and delegable only when
	 * vouched_forwardable. identity then only narrows: a lower level,
	 * disabled privileges on a local pipe. NULL: no authority (the
	 * model alone, or unsigned contexts): identity is taken as is. */
	const sc_token *vouched;
	sc_level vouched_level;
	bool vouched_forwardable;
} sc_context;

/* The wire layer's outgoing call. parent is what the runtime was given
 * for the incoming call (deadline propagation) or NULL. On SC_OK reply
 * holds the callee's trace fragment (its hop first). Otherwise the call
 * did not complete: the status says why and the log explains. */
typedef sc_status (*sc_call_fn)(void *user, void *parent, const char *target,
				const sc_context *ctx, sc_trace *reply,
				sc_log *log);
typedef void (*sc_sleep_fn)(void *user, unsigned ms);

typedef struct sc_runtime sc_runtime;

/* Build the runtime of process name: the directory, and its primary token
 * by logging its account on at its host (P3). Returns SC_OK, or a status
 * with the reason in log. */
sc_status sc_runtime_new(const sc_scenario *scn, const char *name,
			 sc_runtime **out, sc_log *log);
void sc_runtime_free(sc_runtime *rt);
void sc_runtime_set_transport(sc_runtime *rt, sc_call_fn call,
			      sc_sleep_fn sleep, void *user);

const sc_process_def *sc_runtime_process(const sc_runtime *rt);
const sc_token *sc_runtime_token(const sc_runtime *rt);
const sc_directory *sc_runtime_directory(const sc_runtime *rt);
const sc_scenario *sc_runtime_scenario(const sc_runtime *rt);

/* Run the process's steps as a client (no incoming call). */
sc_status sc_runtime_run_client(sc_runtime *rt, sc_trace *out);

/* Serve one incoming call. in is NULL for a call that carried no context
 * (unauthenticated, T8). The fragment in out starts with this hop. */
sc_status sc_runtime_serve(sc_runtime *rt, const sc_context *in,
			   void *parent, sc_trace *out);

#endif
