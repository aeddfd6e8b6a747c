/* tokens.h: the token diff of a hop (the token the caller presented
 * against the one the callee built) for --explain and the JSON Lines hop
 * event. Reads the trace; decides nothing. */
#ifndef CLOAKROOM_TOKENS_H
#define CLOAKROOM_TOKENS_H

#include "sc_trace.h"

#include <jansson.h>
#include <stdio.h>

/* The "token:" lines of --explain, each starting with ind. */
void tokens_explain(FILE *out, const sc_hop *h, const char *ind);
/* Sets caller_token, built_token and token_diff on the hop event o
 * (docs/trace-format.md). Returns 0 or -1. */
int tokens_hop_json(json_t *o, const sc_hop *h);

#endif
