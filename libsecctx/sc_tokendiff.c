/* sc_tokendiff.c: the difference between two tokens, item by item, for
 * the token diff of a hop. Model only: no I/O, no gRPC; it compares and
 * never changes either token. */
#include "sc_tokendiff.h"

#include <stdlib.h>
#include <string.h>

sc_level sc_token_diff_level(const sc_token *t)
{
	return sc_token_type_of(t) == SC_TOKEN_IMPERSONATION
		       ? sc_token_level_raw(t)
		       : SC_LEVEL_DEFAULT;
}

static const char *const kind_names[SC_TDIFF_KIND_COUNT] = {
	"group added", "group removed", "group now deny-only",
	"privilege added", "privilege removed", "privilege enabled",
	"privilege disabled"};
static const char *const kind_keys[SC_TDIFF_KIND_COUNT] = {
	"groups_added", "groups_removed", "groups_deny_only",
	"privileges_added", "privileges_removed", "privileges_enabled",
	"privileges_disabled"};

const char *sc_tdiff_kind_name(sc_tdiff_kind k)
{
	return k < SC_TDIFF_KIND_COUNT ? kind_names[k] : "?";
}

const char *sc_tdiff_kind_key(sc_tdiff_kind k)
{
	return k < SC_TDIFF_KIND_COUNT ? kind_keys[k] : "?";
}

static int push(sc_token_diff *d, size_t *cap, sc_tdiff_kind kind,
		const char *name, const char *sid)
{
	if (d->count == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		sc_tdiff_item *n = realloc(d->items, nc * sizeof(*n));
		if (!n)
			return SC_ERR_NOMEM;
		d->items = n;
		*cap = nc;
	}
	d->items[d->count++] = (sc_tdiff_item){kind, name ? name : "",
					       sid ? sid : ""};
	return 0;
}

/* Index of the group with sid in t, or -1. */
static long group_index(const sc_token *t, const char *sid)
{
	size_t n = sc_token_group_count(t);
	for (size_t i = 0; i < n; i++) {
		const char *s, *name;
		uint32_t a;
		sc_token_group(t, i, &s, &name, &a);
		if (strcmp(s, sid) == 0)
			return (long)i;
	}
	return -1;
}

static long priv_index(const sc_token *t, const char *name)
{
	size_t n = sc_token_privilege_count(t);
	for (size_t i = 0; i < n; i++) {
		const char *p;
		bool en;
		sc_token_privilege(t, i, &p, &en);
		if (strcmp(p, name) == 0)
			return (long)i;
	}
	return -1;
}

static int diff_groups(const sc_token *b, const sc_token *a,
		       sc_token_diff *d, size_t *cap)
{
	size_t na = sc_token_group_count(a), nb = sc_token_group_count(b);
	for (size_t i = 0; i < na; i++) {
		const char *sid, *name;
		uint32_t attrs;
		sc_token_group(a, i, &sid, &name, &attrs);
		long k = group_index(b, sid);
		int rc = 0;
		if (k < 0) {
			rc = push(d, cap, SC_TDIFF_GROUP_ADDED, name, sid);
		} else {
			const char *s2, *n2;
			uint32_t before;
			sc_token_group(b, (size_t)k, &s2, &n2, &before);
			if ((attrs & SC_GROUP_USE_FOR_DENY_ONLY) &&
			    !(before & SC_GROUP_USE_FOR_DENY_ONLY))
				rc = push(d, cap, SC_TDIFF_GROUP_DENY_ONLY,
					  name, sid);
		}
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < nb; i++) {
		const char *sid, *name;
		uint32_t attrs;
		sc_token_group(b, i, &sid, &name, &attrs);
		if (group_index(a, sid) < 0 &&
		    push(d, cap, SC_TDIFF_GROUP_REMOVED, name, sid) != 0)
			return SC_ERR_NOMEM;
	}
	return 0;
}

static int diff_privileges(const sc_token *b, const sc_token *a,
			   sc_token_diff *d, size_t *cap)
{
	size_t na = sc_token_privilege_count(a);
	size_t nb = sc_token_privilege_count(b);
	for (size_t i = 0; i < na; i++) {
		const char *name;
		bool en;
		sc_token_privilege(a, i, &name, &en);
		long k = priv_index(b, name);
		int rc = 0;
		if (k < 0) {
			rc = push(d, cap, SC_TDIFF_PRIV_ADDED, name, "");
		} else {
			const char *n2;
			bool was;
			sc_token_privilege(b, (size_t)k, &n2, &was);
			if (en != was)
				rc = push(d, cap,
					  en ? SC_TDIFF_PRIV_ENABLED
					     : SC_TDIFF_PRIV_DISABLED,
					  name, "");
		}
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < nb; i++) {
		const char *name;
		bool en;
		sc_token_privilege(b, i, &name, &en);
		if (priv_index(a, name) < 0 &&
		    push(d, cap, SC_TDIFF_PRIV_REMOVED, name, "") != 0)
			return SC_ERR_NOMEM;
	}
	return 0;
}

int sc_token_diff_compute(const sc_token *before, const sc_token *after,
			  sc_token_diff *d)
{
	memset(d, 0, sizeof(*d));
	if (!before || !after)
		return 0;
	d->user = strcmp(sc_token_user_sid(before),
			 sc_token_user_sid(after)) != 0;
	d->type = sc_token_type_of(before) != sc_token_type_of(after);
	d->level = sc_token_diff_level(before) != sc_token_diff_level(after);
	d->logon = sc_token_logon(before) != sc_token_logon(after);
	size_t cap = 0;
	if (diff_groups(before, after, d, &cap) != 0 ||
	    diff_privileges(before, after, d, &cap) != 0) {
		sc_token_diff_free(d);
		return SC_ERR_NOMEM;
	}
	return 0;
}

void sc_token_diff_free(sc_token_diff *d)
{
	if (!d)
		return;
	free(d->items);
	memset(d, 0, sizeof(*d));
}
