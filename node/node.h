/* node.h: one cloakroom daemon. A node loads the scenario, builds the
 * model's runtime for its process, serves incoming calls and calls its
 * peers over rpc. procA, procB and procC are this plus a main(); no
 * security decision is taken here: they all live in libsecctx. */
#ifndef CLOAKROOM_NODE_H
#define CLOAKROOM_NODE_H

#include <stdbool.h>

typedef enum node_kind {
	NODE_CLIENT, /* procA: runs its steps, reports the trace, exits (warm:
	                once per case, until its control pipe closes) */
	NODE_MIDDLE, /* procB: serves calls and calls onward */
	NODE_END     /* procC: serves calls */
} node_kind;

/* Exit codes: 0 done, 2 bad arguments or scenario, 3 could not start
 * (bind failure, no runtime), 4 the run failed. */
int node_main(int argc, char **argv, node_kind kind);

/* For tests only, to prove that `cloakroom stress` can see a bleed: with
 * on, every incoming call's context passes through one process-wide slot
 * (the bug of a server that keeps "the current caller" per process), so
 * concurrent calls can be served as each other (with signed contexts,
 * after they were opened and bound). No option, environment
 * variable or scenario key reaches this: only a program that calls it
 * before node_main. */
void node_fault_shared_context(bool on);

#endif
