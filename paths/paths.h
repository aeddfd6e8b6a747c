/* paths.h: delegation paths to a service, found in a domain. For a target
 * service account, every middle tier the domain's delegation settings let
 * present a client to it (unconstrained, constrained, constrained after
 * protocol transition, resource-based, and the plain double hop from the
 * client's own host, and a privileged client the scenario's processes
 * connect to a service on its host: P1, P3), each written as a small
 * scenario of its own and
 * decided by the model in process (sc_world), so that each answer names
 * the rules that gave it, and each can then be run on the daemons.
 * No I/O here: the caller writes the scenarios and runs them. */
#ifndef CLOAKROOM_PATHS_H
#define CLOAKROOM_PATHS_H

#include "sc_scenario.h"
#include "sc_trace.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum paths_kind {
	PATHS_UNCONSTRAINED,   /* D1, L5: the middle tier is trusted */
	PATHS_CONSTRAINED,     /* D4: the target is in its list */
	PATHS_TRANSITION,      /* D6 then D4: no client ticket needed */
	PATHS_RESOURCE_BASED,  /* D5: the target lists the middle tier */
	PATHS_SAME_HOST,       /* L4: the client on the middle tier's host */
	PATHS_PRIVILEGED,      /* P1, P3: a privileged client (SYSTEM, an
	                          administrator) connects to the service on
	                          its host, which impersonates it */
	PATHS_KIND_COUNT
} paths_kind;

/* Its name in tables and file names ("unconstrained", ...). */
const char *paths_kind_name(paths_kind k);
/* The rule the kind rests on, as docs/rules.md names it ("D4"). */
const char *paths_kind_rule(paths_kind k);

typedef struct paths_query {
	const char *target;   /* the service's account, **required** */
	const char *as;       /* one client account, or NULL: every class */
	const char *from;     /* one middle tier only: its account, or a host
	                         whose machine account HOST$ it is; then
	                         PATHS_SAME_HOST is tried for it too */
	sc_package package;   /* how the delegation kinds' client signs in
	                         (its blanket's package); DEFAULT: as the
	                         domain does (Kerberos) */
} paths_query;

typedef struct paths_found {
	paths_kind kind;
	char client[128];     /* the client account the case runs */
	char client_host[64]; /* PATHS_PRIVILEGED: the host both run on */
	size_t clients;       /* how many accounts it stands for */
	bool client_sensitive;
	char middle[128];     /* the middle tier's account */
	char target[128];
	char target_spn[256]; /* the SPN the middle tier's list names the
	                         target by (D4), or "": by its account */
	char *yaml;           /* the case as a scenario file (owned) */
	/* What the model decided for the hop to the target. */
	sc_status status;
	char presented[SC_IDENT_LEN];
	char rules[96];       /* the hop's rule ids in order, "D4 C6" */
	char why[SC_NOTE_TEXT]; /* the deciding note (the last of the hop) */
	char blocked_by[SC_RULE_LEN]; /* when not reached: the rule that
	                         stopped it (the deciding note's, or P2 when
	                         the middle tier's impersonation was
	                         downgraded) */
	sc_package package;   /* the client's package, as the case asks */
	bool reached;         /* status OK and the client presented (for
	                         SYSTEM on another host: its host's computer
	                         account, D8) */
} paths_found;

typedef struct paths_result {
	paths_found *items;
	size_t count;
	size_t candidates;    /* middle tiers considered */
} paths_result;

/* Every path of q in the domain of s (its accounts), and, for
 * PATHS_PRIVILEGED, each process of s running as SYSTEM or an
 * administrator that calls a service on its own host (its host's rights
 * and default level, both processes' blankets and starts as s writes
 * them). Returns 0, SC_ERR_NOMEM, or SC_ERR_INVAL with err (an unknown
 * target or client). */
int paths_find(const sc_scenario *s, const paths_query *q, paths_result *out,
	       char *err, size_t errlen);
void paths_result_free(paths_result *r);

/* The hop of a case's trace that decides it: B->C, or A->B when the
 * client's call failed and B never called on. NULL when neither ran. */
const sc_hop *paths_deciding_hop(const sc_trace *t);

#endif
