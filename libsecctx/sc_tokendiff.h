/* sc_tokendiff.h: what changed between the token a caller presented and
 * the token the callee built from it (user, type, level, logon, groups
 * added, removed or made deny-only, privileges). Model only: no I/O, no
 * gRPC; it compares, it decides nothing. */
#ifndef SC_TOKENDIFF_H
#define SC_TOKENDIFF_H

#include "sc_token.h"

typedef enum sc_tdiff_kind {
	SC_TDIFF_GROUP_ADDED = 0,
	SC_TDIFF_GROUP_REMOVED,
	SC_TDIFF_GROUP_DENY_ONLY,    /* held before, deny-only after */
	SC_TDIFF_PRIV_ADDED,
	SC_TDIFF_PRIV_REMOVED,
	SC_TDIFF_PRIV_ENABLED,       /* held disabled before, enabled after */
	SC_TDIFF_PRIV_DISABLED,
	SC_TDIFF_KIND_COUNT
} sc_tdiff_kind;

/* One group or privilege that changed. name and sid point into the
 * tokens compared (sid is "" for a privilege). */
typedef struct sc_tdiff_item {
	sc_tdiff_kind kind;
	const char *name;
	const char *sid;
} sc_tdiff_item;

typedef struct sc_token_diff {
	bool user;      /* the user SID differs */
	bool type;      /* primary / impersonation */
	bool level;     /* sc_token_diff_level of each differs */
	bool logon;
	sc_tdiff_item *items;  /* groups first, then privileges, each in the
	                          order of the token that holds them */
	size_t count;
} sc_token_diff;

/* Compare before (what was presented) with after (what was built).
 * Returns 0, or SC_ERR_NOMEM (d is then empty). d borrows the tokens'
 * strings: free d before them. */
int sc_token_diff_compute(const sc_token *before, const sc_token *after,
			  sc_token_diff *d);
void sc_token_diff_free(sc_token_diff *d);
/* A token's level as the diff compares it: SC_LEVEL_DEFAULT for a primary
 * token, whatever its raw field. */
sc_level sc_token_diff_level(const sc_token *t);
/* "group added", "privilege removed"... */
const char *sc_tdiff_kind_name(sc_tdiff_kind k);
/* The stable JSON key of a kind's list: "groups_added"... */
const char *sc_tdiff_kind_key(sc_tdiff_kind k);

#endif
