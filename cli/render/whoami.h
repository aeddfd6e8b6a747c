/* whoami.h: the token view of `cloakroom tokens`: each token a run used,
 * printed as `whoami /all` prints one (user, groups and their attributes,
 * privileges and their state, logon, type and level), as text or JSON.
 * Reads tokens and the trace; decides nothing, builds no token. */
#ifndef CLOAKROOM_WHOAMI_H
#define CLOAKROOM_WHOAMI_H

#include "sc_trace.h"

#include <jansson.h>
#include <stdio.h>

/* One token in the view. token is the token itself; NULL when the trace
 * records only its user and level (a thread token a step put on the
 * thread without a call bringing it: impersonate_self, logon_user,
 * set_thread_token), which are then in user and level. */
typedef struct whoami_entry {
	char process[SC_NAME_LEN];
	bool primary;               /* the process token; else a thread's */
	char context[384];          /* "serving the call from A (hop 1)" */
	const sc_token *token;
	char user[SC_IDENT_LEN];    /* token NULL only */
	sc_level level;             /* token NULL only */
} whoami_entry;

/* The view's entries of a run: with at NULL, each process's primary
 * token (primaries[i] for the scenario's process i, NULL when it has
 * none) and then the thread token each hop's callee served the call
 * under (the token it built). With at a step id: the primary token of
 * the process that ran that step, and the thread token it ran under,
 * when it impersonated. Entries are malloc'd into *out (free() them;
 * tokens stay the trace's and primaries'). Returns the count; 0 with
 * *out NULL when the step did not run; -1 out of memory. */
long whoami_collect(const sc_scenario *scn, const sc_token *const *primaries,
		    const sc_trace *t, const char *at, whoami_entry **out);

/* The entries as `whoami /all` sections, one block per token. width:
 * the terminal's columns (0: no limit); a table wider than that (the
 * user, the groups) is printed as a list, a line per field, as
 * `whoami /fo list` does. */
void whoami_text(FILE *out, const whoami_entry *e, size_t n, int width);
/* The entries as a JSON array (docs/trace-format.md, "tokens"); NULL
 * when out of memory. */
json_t *whoami_json(const whoami_entry *e, size_t n);

#endif
