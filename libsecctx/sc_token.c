/* sc_token.c: access tokens (primary and impersonation) and the token
 * operations of rules T1 (query level), T2 (duplicate), T3 (impersonate
 * self) and L1 (the anonymous token).
 * Model only: no I/O, no gRPC, no globals: a built token is immutable and
 * may be shared read-only between threads. */
#include "sc_token.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sc_group {
	char *sid;
	char *name;
	uint32_t attrs;
};

struct sc_privilege {
	char *name;
	bool enabled;
};

struct sc_token {
	sc_token_type type;
	char *user_sid;
	char *user_name;
	struct sc_group *groups;
	size_t group_count;
	size_t group_cap;
	struct sc_privilege *privs;
	size_t priv_count;
	size_t priv_cap;
	sc_level level; /* meaningful for impersonation tokens only (T1) */
	sc_logon logon;
	sc_package package;
	sc_authn authn;
	char *origin_host;
	uint64_t session;
	unsigned boundaries;
	bool delegable;
	bool transition;  /* from protocol transition: no credential (D6) */
	bool forwardable; /* its ticket is forwardable (D4, D6) */
	bool unforwardable; /* its logon's tickets are not (D1, D4) */
	sc_integrity integrity; /* T12: stated; DEFAULT: from its logon */
};

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

/* An impersonation token starts at Impersonate, the level the APIs that
 * create one without being told (ImpersonateNamedPipeClient, DuplicateToken
 * callers in practice) use; a primary token has no level. */
sc_token *sc_token_new(sc_token_type type)
{
	if (type != SC_TOKEN_PRIMARY && type != SC_TOKEN_IMPERSONATION)
		return NULL;
	sc_token *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->type = type;
	t->user_sid = strdup("");
	t->user_name = strdup("");
	t->origin_host = strdup("");
	if (!t->user_sid || !t->user_name || !t->origin_host) {
		sc_token_free(t);
		return NULL;
	}
	t->level = type == SC_TOKEN_IMPERSONATION ? SC_LEVEL_IMPERSONATE
						  : SC_LEVEL_DEFAULT;
	return t;
}

void sc_token_free(sc_token *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->group_count; i++) {
		free(t->groups[i].sid);
		free(t->groups[i].name);
	}
	free(t->groups);
	for (size_t i = 0; i < t->priv_count; i++)
		free(t->privs[i].name);
	free(t->privs);
	free(t->user_sid);
	free(t->user_name);
	free(t->origin_host);
	free(t);
}

/* Replace *slot with a copy of s; *slot is kept on allocation failure. */
static int replace_str(char **slot, const char *s)
{
	char *c = dup_or_empty(s);
	if (!c)
		return SC_ERR_NOMEM;
	free(*slot);
	*slot = c;
	return 0;
}

/* A NULL name shows the SID, so a trace never prints an empty user. */
int sc_token_set_user(sc_token *t, const char *sid, const char *name)
{
	if (!t || !sid)
		return SC_ERR_INVAL;
	char *s = strdup(sid);
	char *n = strdup(name ? name : sid);
	if (!s || !n) {
		free(s);
		free(n);
		return SC_ERR_NOMEM;
	}
	free(t->user_sid);
	free(t->user_name);
	t->user_sid = s;
	t->user_name = n;
	return 0;
}

int sc_token_add_group(sc_token *t, const char *sid, const char *name,
		       uint32_t attrs)
{
	if (!t || !sid)
		return SC_ERR_INVAL;
	if (t->group_count == t->group_cap) {
		size_t cap = t->group_cap ? t->group_cap * 2 : 8;
		struct sc_group *g = realloc(t->groups, cap * sizeof(*g));
		if (!g)
			return SC_ERR_NOMEM;
		t->groups = g;
		t->group_cap = cap;
	}
	char *s = strdup(sid);
	char *n = strdup(name ? name : sid);
	if (!s || !n) {
		free(s);
		free(n);
		return SC_ERR_NOMEM;
	}
	t->groups[t->group_count++] = (struct sc_group){
		.sid = s, .name = n, .attrs = attrs
	};
	return 0;
}

int sc_token_set_group_attrs(sc_token *t, const char *sid, uint32_t attrs)
{
	if (!t || !sid)
		return SC_ERR_INVAL;
	for (size_t i = 0; i < t->group_count; i++) {
		if (strcmp(t->groups[i].sid, sid) == 0) {
			t->groups[i].attrs = attrs;
			return 0;
		}
	}
	return SC_ERR_RANGE;
}

bool sc_token_group_attrs(const sc_token *t, const char *sid,
			  uint32_t *attrs)
{
	for (size_t i = 0; t && sid && i < t->group_count; i++) {
		if (strcmp(t->groups[i].sid, sid) == 0) {
			*attrs = t->groups[i].attrs;
			return true;
		}
	}
	return false;
}

size_t sc_token_take_group_states(sc_token *t, const sc_token *claim)
{
	size_t changed = 0;
	for (size_t i = 0; t && claim && i < t->group_count; i++) {
		uint32_t mine = t->groups[i].attrs, theirs;
		if (!sc_token_group_attrs(claim, t->groups[i].sid, &theirs))
			continue;
		uint32_t now = mine;
		if (mine & SC_GROUP_USE_FOR_DENY_ONLY)
			now = mine; /* never enabled again */
		else if (theirs & SC_GROUP_USE_FOR_DENY_ONLY)
			now = mine | SC_GROUP_USE_FOR_DENY_ONLY;
		else if (!(mine & SC_GROUP_MANDATORY))
			now = (mine & ~SC_GROUP_ENABLED) |
			      (theirs & SC_GROUP_ENABLED);
		if (now != mine) {
			t->groups[i].attrs = now;
			changed++;
		}
	}
	return changed;
}

int sc_token_add_privilege(sc_token *t, const char *name, bool enabled)
{
	if (!t || !name)
		return SC_ERR_INVAL;
	if (t->priv_count == t->priv_cap) {
		size_t cap = t->priv_cap ? t->priv_cap * 2 : 4;
		struct sc_privilege *p = realloc(t->privs, cap * sizeof(*p));
		if (!p)
			return SC_ERR_NOMEM;
		t->privs = p;
		t->priv_cap = cap;
	}
	char *n = strdup(name);
	if (!n)
		return SC_ERR_NOMEM;
	t->privs[t->priv_count++] = (struct sc_privilege){
		.name = n, .enabled = enabled
	};
	return 0;
}

void sc_token_set_level(sc_token *t, sc_level level)
{
	t->level = level;
}

void sc_token_set_logon(sc_token *t, sc_logon logon)
{
	t->logon = logon;
}

void sc_token_set_package(sc_token *t, sc_package p)
{
	t->package = p;
}

void sc_token_set_authn(sc_token *t, sc_authn a)
{
	t->authn = a;
}

int sc_token_set_origin_host(sc_token *t, const char *host)
{
	return replace_str(&t->origin_host, host);
}

void sc_token_set_session(sc_token *t, uint64_t session)
{
	t->session = session;
}

void sc_token_set_boundaries(sc_token *t, unsigned n)
{
	t->boundaries = n;
}

void sc_token_set_delegable(sc_token *t, bool d)
{
	t->delegable = d;
}

sc_token_type sc_token_type_of(const sc_token *t)
{
	return t->type;
}

const char *sc_token_user_sid(const sc_token *t)
{
	return t->user_sid;
}

const char *sc_token_user_name(const sc_token *t)
{
	return t->user_name;
}

size_t sc_token_group_count(const sc_token *t)
{
	return t->group_count;
}

int sc_token_group(const sc_token *t, size_t i, const char **sid,
		   const char **name, uint32_t *attrs)
{
	if (i >= t->group_count)
		return SC_ERR_RANGE;
	if (sid)
		*sid = t->groups[i].sid;
	if (name)
		*name = t->groups[i].name;
	if (attrs)
		*attrs = t->groups[i].attrs;
	return 0;
}

size_t sc_token_privilege_count(const sc_token *t)
{
	return t->priv_count;
}

int sc_token_privilege(const sc_token *t, size_t i, const char **name,
		       bool *enabled)
{
	if (i >= t->priv_count)
		return SC_ERR_RANGE;
	if (name)
		*name = t->privs[i].name;
	if (enabled)
		*enabled = t->privs[i].enabled;
	return 0;
}

sc_level sc_token_level_raw(const sc_token *t)
{
	return t->level;
}

sc_logon sc_token_logon(const sc_token *t)
{
	return t->logon;
}

sc_package sc_token_package(const sc_token *t)
{
	return t->package;
}

sc_authn sc_token_authn(const sc_token *t)
{
	return t->authn;
}

const char *sc_token_origin_host(const sc_token *t)
{
	return t->origin_host;
}

uint64_t sc_token_session(const sc_token *t)
{
	return t->session;
}

unsigned sc_token_boundaries(const sc_token *t)
{
	return t->boundaries;
}

bool sc_token_delegable(const sc_token *t)
{
	return t->delegable;
}

/* A deny-only group is not a positive membership: it does not count. */
bool sc_token_has_sid(const sc_token *t, const char *sid)
{
	if (!t || !sid)
		return false;
	if (strcmp(t->user_sid, sid) == 0)
		return true;
	for (size_t i = 0; i < t->group_count; i++) {
		const struct sc_group *g = &t->groups[i];
		if (!(g->attrs & SC_GROUP_ENABLED) ||
		    (g->attrs & SC_GROUP_USE_FOR_DENY_ONLY))
			continue;
		if (strcmp(g->sid, sid) == 0)
			return true;
	}
	return false;
}

/* The first group of t, enabled and not deny-only, that is BUILTIN\
 * Administrators (builtin) or a domain's Domain Admins (by name: the
 * directory makes up domain group SIDs); NULL if none. */
static const struct sc_group *admin_group(const sc_token *t, bool builtin)
{
	static const char da[] = "\\Domain Admins";
	const size_t dl = sizeof(da) - 1;
	for (size_t i = 0; t && i < t->group_count; i++) {
		const struct sc_group *g = &t->groups[i];
		if (!(g->attrs & SC_GROUP_ENABLED) ||
		    (g->attrs & SC_GROUP_USE_FOR_DENY_ONLY))
			continue;
		size_t n = strlen(g->name);
		bool match = builtin
				     ? strcmp(g->sid, SC_SID_ADMINISTRATORS) == 0
				     : strcasecmp(g->name, da + 1) == 0 ||
					       (n > dl &&
						strcasecmp(g->name + n - dl,
							   da) == 0);
		if (match)
			return g;
	}
	return NULL;
}

void sc_token_default_owner(const sc_token *t, const char **sid,
			    const char **name)
{
	const struct sc_group *g = admin_group(t, true);
	if (!g)
		g = admin_group(t, false);
	if (sid)
		*sid = g ? g->sid : t ? t->user_sid : "";
	if (name)
		*name = g ? g->name : t ? t->user_name : "";
}

bool sc_token_privilege_enabled(const sc_token *t, const char *name)
{
	if (!t || !name)
		return false;
	for (size_t i = 0; i < t->priv_count; i++)
		if (t->privs[i].enabled && strcmp(t->privs[i].name, name) == 0)
			return true;
	return false;
}

bool sc_token_privilege_held(const sc_token *t, const char *name,
			     bool *enabled)
{
	if (enabled)
		*enabled = false;
	if (!t || !name)
		return false;
	for (size_t i = 0; i < t->priv_count; i++)
		if (strcasecmp(t->privs[i].name, name) == 0) {
			if (enabled)
				*enabled = t->privs[i].enabled;
			return true;
		}
	return false;
}

int sc_token_adjust_privilege(sc_token *t, const char *name, bool enable)
{
	if (!t || !name)
		return SC_ERR_INVAL;
	for (size_t i = 0; i < t->priv_count; i++)
		if (strcasecmp(t->privs[i].name, name) == 0) {
			t->privs[i].enabled = enable;
			return 0;
		}
	return SC_ERR_RANGE;
}

int sc_token_mirror_privileges(sc_token *dst, const sc_token *src)
{
	for (size_t i = 0; i < dst->priv_count; i++)
		free(dst->privs[i].name);
	dst->priv_count = 0;
	for (size_t i = 0; i < src->priv_count; i++)
		if (sc_token_add_privilege(dst, src->privs[i].name,
					   src->privs[i].enabled) != 0)
			return SC_ERR_NOMEM;
	return 0;
}

int sc_token_remove_privilege(sc_token *t, const char *name)
{
	if (!t || !name)
		return SC_ERR_INVAL;
	for (size_t i = 0; i < t->priv_count; i++) {
		if (strcasecmp(t->privs[i].name, name) != 0)
			continue;
		/* A token holds a privilege once. Freed last: name may be
		 * this very string. */
		char *gone = t->privs[i].name;
		memmove(&t->privs[i], &t->privs[i + 1],
			(t->priv_count - i - 1) * sizeof(t->privs[0]));
		t->priv_count--;
		free(gone);
		break;
	}
	return 0;
}

size_t sc_token_drop_disabled_privileges(sc_token *t)
{
	size_t kept = 0, dropped = 0;
	for (size_t i = 0; i < t->priv_count; i++) {
		if (t->privs[i].enabled) {
			t->privs[kept++] = t->privs[i];
		} else {
			free(t->privs[i].name);
			dropped++;
		}
	}
	t->priv_count = kept;
	return dropped;
}

void sc_token_set_transition(sc_token *t, bool forwardable)
{
	t->transition = true;
	t->forwardable = forwardable;
}

void sc_token_set_unforwardable(sc_token *t, bool u)
{
	t->unforwardable = u;
}

bool sc_token_unforwardable(const sc_token *t)
{
	return t && t->unforwardable;
}

bool sc_token_from_transition(const sc_token *t)
{
	return t && t->transition;
}

bool sc_token_forwardable(const sc_token *t)
{
	return t && t->forwardable;
}

/* T1: only impersonation tokens have a level. */
sc_status sc_token_query_level(const sc_token *t, sc_level *out,
			       sc_log *log)
{
	if (t->type == SC_TOKEN_PRIMARY) {
		sc_log_rule(log, "T1",
			    "the token of %s is a primary token: it has no "
			    "impersonation level (INVALID_PARAMETER)",
			    t->user_name);
		return SC_INVALID_PARAMETER;
	}
	*out = t->level;
	sc_log_rule(log, "T1", "the impersonation token of %s is at %s",
		    t->user_name, sc_level_name(t->level));
	return SC_OK;
}

sc_token *sc_token_copy(const sc_token *t)
{
	if (!t)
		return NULL;
	sc_token *c = sc_token_new(t->type);
	if (!c)
		return NULL;
	if (sc_token_set_user(c, t->user_sid, t->user_name) != 0 ||
	    sc_token_set_origin_host(c, t->origin_host) != 0)
		goto fail;
	for (size_t i = 0; i < t->group_count; i++)
		if (sc_token_add_group(c, t->groups[i].sid, t->groups[i].name,
				       t->groups[i].attrs) != 0)
			goto fail;
	for (size_t i = 0; i < t->priv_count; i++)
		if (sc_token_add_privilege(c, t->privs[i].name,
					   t->privs[i].enabled) != 0)
			goto fail;
	c->level = t->level;
	c->logon = t->logon;
	c->package = t->package;
	c->authn = t->authn;
	c->session = t->session;
	c->boundaries = t->boundaries;
	c->delegable = t->delegable;
	c->transition = t->transition;
	c->integrity = t->integrity;
	c->forwardable = t->forwardable;
	c->unforwardable = t->unforwardable;
	return c;
fail:
	sc_token_free(c);
	return NULL;
}

static bool level_valid(sc_level l)
{
	return l >= SC_LEVEL_ANONYMOUS && l <= SC_LEVEL_DELEGATE;
}

/* T2: a primary source counts as the highest level. */
static sc_level source_level(const sc_token *src)
{
	return src->type == SC_TOKEN_PRIMARY ? SC_LEVEL_DELEGATE : src->level;
}

static const char *type_name(sc_token_type type)
{
	return type == SC_TOKEN_PRIMARY ? "primary" : "impersonation";
}

sc_status sc_token_duplicate(const sc_token *src, sc_token_type type,
			     sc_level level, const sc_token_policy *policy,
			     sc_token **out, sc_log *log)
{
	static const sc_token_policy defaults = {
		.allow_primary_from_identify = false,
	};
	if (!policy)
		policy = &defaults;
	*out = NULL;
	sc_level from = source_level(src);

	if (type != SC_TOKEN_PRIMARY && type != SC_TOKEN_IMPERSONATION) {
		sc_log_rule(log, "T2", "duplicating %s: token type %d is "
				       "neither primary nor impersonation",
			    src->user_name, (int)type);
		return SC_INVALID_PARAMETER;
	}
	if (type == SC_TOKEN_IMPERSONATION) {
		if (!level_valid(level)) {
			sc_log_rule(log, "T2",
				    "duplicating %s: an impersonation copy "
				    "needs a level, got %s",
				    src->user_name, sc_level_name(level));
			return SC_INVALID_PARAMETER;
		}
		/* T2 first sentence: the copy's level may not be above the
		 * source's. */
		if (level > from) {
			sc_log_rule(log, "T2",
				    "duplicating the %s token of %s at %s to "
				    "%s: the copy may not be above the source "
				    "(BAD_IMPERSONATION_LEVEL)",
				    type_name(src->type), src->user_name,
				    sc_level_name(from), sc_level_name(level));
			return SC_BAD_IMPERSONATION_LEVEL;
		}
	} else if (src->type == SC_TOKEN_IMPERSONATION &&
		   src->level <= SC_LEVEL_IDENTIFY) {
		/* T2 second sentence: observed, not documented; the
		 * scenario setting allow_primary_from_identify decides. */
		if (!policy->allow_primary_from_identify) {
			sc_log_rule(log, "T2",
				    "a primary copy of the %s token of %s "
				    "fails (BAD_IMPERSONATION_LEVEL; observed "
				    "behaviour, setting "
				    "allow_primary_from_identify=false)",
				    sc_level_name(src->level), src->user_name);
			return SC_BAD_IMPERSONATION_LEVEL;
		}
		sc_log_rule(log, "T2",
			    "a primary copy of the %s token of %s is allowed "
			    "by the setting allow_primary_from_identify=true",
			    sc_level_name(src->level), src->user_name);
	}

	sc_token *c = sc_token_copy(src);
	if (!c)
		return SC_INTERNAL;
	c->type = type;
	c->level = type == SC_TOKEN_IMPERSONATION ? level : SC_LEVEL_DEFAULT;
	if (type == SC_TOKEN_IMPERSONATION)
		sc_log_rule(log, "T2",
			    "duplicated the %s token of %s (%s) as an "
			    "impersonation token at %s",
			    type_name(src->type), src->user_name,
			    src->type == SC_TOKEN_PRIMARY ? "highest level"
							  : sc_level_name(from),
			    sc_level_name(level));
	else
		sc_log_rule(log, "T2",
			    "duplicated the %s token of %s as a primary token",
			    type_name(src->type), src->user_name);
	*out = c;
	return SC_OK;
}

/* T3: ImpersonateSelf copies the process token at the requested level. */
sc_status sc_token_impersonate_self(const sc_token *process, sc_level level,
				    sc_token **out, sc_log *log)
{
	*out = NULL;
	if (!level_valid(level)) {
		sc_log_rule(log, "T3",
			    "ImpersonateSelf for %s needs a level, got %s "
			    "(INVALID_PARAMETER)",
			    process->user_name, sc_level_name(level));
		return SC_INVALID_PARAMETER;
	}
	if (process->type != SC_TOKEN_PRIMARY && level > process->level) {
		sc_log_rule(log, "T3",
			    "ImpersonateSelf at %s from a %s token of %s: "
			    "above the source (BAD_IMPERSONATION_LEVEL)",
			    sc_level_name(level),
			    sc_level_name(process->level), process->user_name);
		return SC_BAD_IMPERSONATION_LEVEL;
	}
	sc_token *c = sc_token_copy(process);
	if (!c)
		return SC_INTERNAL;
	c->type = SC_TOKEN_IMPERSONATION;
	c->level = level;
	sc_log_rule(log, "T3",
		    "ImpersonateSelf: the thread gets a copy of the process "
		    "token of %s at %s",
		    process->user_name, sc_level_name(level));
	*out = c;
	return SC_OK;
}

/* L1: the anonymous identity: ANONYMOUS LOGON and no group. Windows
 * leaves Everyone out of an anonymous token unless the host sets
 * EveryoneIncludesAnonymous (ImpersonateAnonymousToken's remarks), which
 * the model does not. */
sc_token *sc_token_new_anonymous(sc_level level)
{
	sc_token *t = sc_token_new(SC_TOKEN_IMPERSONATION);
	if (!t)
		return NULL;
	if (sc_token_set_user(t, SC_SID_ANONYMOUS, SC_ANONYMOUS_NAME) != 0) {
		sc_token_free(t);
		return NULL;
	}
	t->level = level;
	t->logon = SC_LOGON_ANONYMOUS;
	return t;
}

/* T12: the level a logon gives when nobody states one, from what the
 * logon put in the token: ANONYMOUS LOGON is untrusted; SYSTEM, LOCAL
 * SERVICE, NETWORK SERVICE and a service's logon run at system; an
 * interactive logon (and LogonUser's) at medium, an administrator's
 * being the filtered token UAC gives; any other logon (network, batch)
 * at high for a member of Administrators (enabled, not deny-only), else
 * medium. */
static sc_integrity logon_integrity(const sc_token *t)
{
	const char *u = t->user_sid ? t->user_sid : "";
	if (strcmp(u, SC_SID_ANONYMOUS) == 0)
		return SC_IL_UNTRUSTED;
	if (strcmp(u, SC_SID_LOCAL_SYSTEM) == 0 ||
	    strcmp(u, SC_SID_LOCAL_SERVICE) == 0 ||
	    strcmp(u, SC_SID_NETWORK_SERVICE) == 0 ||
	    t->logon == SC_LOGON_SERVICE)
		return SC_IL_SYSTEM;
	if (t->logon == SC_LOGON_INTERACTIVE || t->logon == SC_LOGON_EXPLICIT)
		return SC_IL_MEDIUM;
	return sc_token_has_sid(t, SC_SID_ADMINISTRATORS) ? SC_IL_HIGH
							  : SC_IL_MEDIUM;
}

sc_integrity sc_token_integrity(const sc_token *t)
{
	if (!t)
		return SC_IL_UNTRUSTED;
	return t->integrity != SC_IL_DEFAULT ? t->integrity
					     : logon_integrity(t);
}

sc_integrity sc_token_integrity_raw(const sc_token *t)
{
	return t ? t->integrity : SC_IL_DEFAULT;
}

void sc_token_set_integrity(sc_token *t, sc_integrity il)
{
	if (t && (int)il >= 0 && il < SC_IL_COUNT)
		t->integrity = il;
}
