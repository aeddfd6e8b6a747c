/* sc_acl.c: generic-right mapping, the access check of rule T6 (walked in
 * the order of the rule, like Wine's server/token.c token_access_check),
 * and the right names used by scenarios and traces.
 * Model only: no I/O, no gRPC. */
#include "sc_acl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SC_STANDARD_RIGHTS_ALL 0x001F0000u
#define SC_GENERIC_ANY                                                        \
	(SC_GENERIC_READ | SC_GENERIC_WRITE | SC_GENERIC_EXECUTE |            \
	 SC_GENERIC_ALL)

/* Each type's GENERIC_MAPPING (sc_acl.h). */
static const sc_generic_mapping mappings[SC_OBJ_COUNT] = {
	[SC_OBJ_FILE] = {SC_FILE_GENERIC_READ, SC_FILE_GENERIC_WRITE,
			 SC_FILE_GENERIC_EXECUTE, SC_FILE_ALL_ACCESS},
	[SC_OBJ_PIPE] = {SC_FILE_GENERIC_READ, SC_FILE_GENERIC_WRITE,
			 SC_FILE_GENERIC_EXECUTE, SC_FILE_ALL_ACCESS},
	[SC_OBJ_KEY] = {SC_KEY_READ, SC_KEY_WRITE, SC_KEY_EXECUTE,
			SC_KEY_ALL_ACCESS},
	[SC_OBJ_SERVICE] = {SC_SERVICE_GENERIC_READ, SC_SERVICE_GENERIC_WRITE,
			    SC_SERVICE_GENERIC_EXECUTE, SC_SERVICE_ALL_ACCESS},
	[SC_OBJ_DIRECTORY] = {SC_FILE_GENERIC_READ, SC_FILE_GENERIC_WRITE,
			      SC_FILE_GENERIC_EXECUTE, SC_FILE_ALL_ACCESS},
	[SC_OBJ_SC_MANAGER] = {SC_MANAGER_GENERIC_READ,
			       SC_MANAGER_GENERIC_WRITE,
			       SC_MANAGER_GENERIC_EXECUTE,
			       SC_MANAGER_ALL_ACCESS},
};
const sc_generic_mapping sc_file_mapping = {
	SC_FILE_GENERIC_READ, SC_FILE_GENERIC_WRITE, SC_FILE_GENERIC_EXECUTE,
	SC_FILE_ALL_ACCESS};

const sc_generic_mapping *sc_acl_mapping(sc_object_type t)
{
	if ((int)t < 0 || t >= SC_OBJ_COUNT)
		t = SC_OBJ_FILE;
	return &mappings[t];
}

#define OBJ_VALUE(id, name, all) {name, SC_OBJ_##id, all},
#define OBJ_ALIAS(id, name) {name, SC_OBJ_##id, false},
static const sc_enum_entry object_type_entries[] = {
	SC_OBJECT_TYPES(OBJ_VALUE) SC_OBJECT_TYPE_ALIASES(OBJ_ALIAS)};
#undef OBJ_VALUE
#undef OBJ_ALIAS
const sc_enum_table sc_object_type_table = {
	object_type_entries,
	sizeof(object_type_entries) / sizeof(object_type_entries[0]),
	SC_OBJ_COUNT};

const char *sc_object_type_name(sc_object_type t)
{
	if ((int)t < 0 || t >= SC_OBJ_COUNT)
		return "?";
	return object_type_entries[t].name;
}

uint32_t sc_acl_map_generic(uint32_t mask, const sc_generic_mapping *m)
{
	uint32_t out = mask & ~SC_GENERIC_ANY;
	if (mask & SC_GENERIC_READ)
		out |= m->read;
	if (mask & SC_GENERIC_WRITE)
		out |= m->write;
	if (mask & SC_GENERIC_EXECUTE)
		out |= m->execute;
	if (mask & SC_GENERIC_ALL)
		out |= m->all;
	return out;
}

/* Does the ACE's sid name this token? The user and enabled groups match
 * every ACE; a deny-only group matches deny ACEs only (whether or not its
 * enabled bit is set, as in a restricted token); any other group is
 * disabled and matches nothing. */
static bool sid_present(const sc_token *t, const char *sid, bool deny)
{
	if (!sid)
		return false;
	if (strcmp(sc_token_user_sid(t), sid) == 0)
		return true;
	size_t n = sc_token_group_count(t);
	for (size_t i = 0; i < n; i++) {
		const char *gsid;
		uint32_t attrs;
		sc_token_group(t, i, &gsid, NULL, &attrs);
		if (strcmp(gsid, sid) != 0)
			continue;
		if (attrs & SC_GROUP_USE_FOR_DENY_ONLY) {
			if (deny)
				return true;
		} else if (attrs & SC_GROUP_ENABLED) {
			return true;
		}
	}
	return false;
}

/* An ACE for OWNER RIGHTS stands for the object's owner. */
static bool ace_matches(const sc_token *t, const sc_sd *sd,
			const sc_ace *ace)
{
	bool deny = ace->type == SC_ACE_DENY;
	if (ace->sid && strcmp(ace->sid, SC_SID_OWNER_RIGHTS) == 0)
		return sid_present(t, sd->owner_sid, deny);
	return sid_present(t, ace->sid, deny);
}

/* An ACE's trustee as the trace names it: the token's user or group it
 * stands for (an ACE that matched is always one of them), OWNER RIGHTS,
 * else its SID. */
static const char *trustee_name(const sc_token *t, const char *sid)
{
	if (!sid)
		return "(no SID)";
	if (strcmp(sid, SC_SID_OWNER_RIGHTS) == 0)
		return "OWNER RIGHTS";
	if (strcmp(sc_token_user_sid(t), sid) == 0)
		return sc_token_user_name(t);
	size_t n = sc_token_group_count(t);
	for (size_t i = 0; i < n; i++) {
		const char *gsid, *name;
		sc_token_group(t, i, &gsid, &name, NULL);
		if (strcmp(gsid, sid) == 0 && name && *name)
			return name;
	}
	return sid;
}

static bool dacl_has_owner_rights(const sc_sd *sd)
{
	for (size_t i = 0; i < sd->ace_count; i++)
		if (sd->aces[i].sid &&
		    strcmp(sd->aces[i].sid, SC_SID_OWNER_RIGHTS) == 0)
			return true;
	return false;
}

/* The request is not fully granted: name the missing bits. */
static sc_status fail_denied(const sc_sd *sd, uint32_t *granted, sc_log *log,
			     const char *how, uint32_t missing)
{
	char names[128];
	sc_acl_rights_format(sd->type, missing, names, sizeof(names));
	sc_log_rule(log, "T6", "%s%s is not granted by any ACE: ACCESS_DENIED",
		    how, names);
	*granted = 0;
	return SC_ACCESS_DENIED;
}

/* T6 from step 2 on: everything after the token checks. */
/* One walk of the DACL for a token (steps 4 to 7 below). */
typedef struct walk {
	const sc_token *token;
	const sc_sd *sd;
	const sc_generic_mapping *m;
	const char *who;
	uint32_t want;    /* the bits asked for by name */
	bool max;         /* and MAXIMUM_ALLOWED */
	uint32_t current; /* granted so far */
	uint32_t denied;  /* denied before being granted */
	uint32_t mic;     /* T12: what the mandatory label lets be granted */
	sc_log *log;
} walk;

/* 4: the owner is implicitly granted READ_CONTROL and WRITE_DAC, unless
 * an OWNER RIGHTS ACE is present: then that ACE decides what the owner
 * gets, in its place in the walk. */
static void walk_owner(walk *w)
{
	if (!w->sd->owner_sid || !sid_present(w->token, w->sd->owner_sid, false))
		return;
	if (dacl_has_owner_rights(w->sd)) {
		sc_log_rule(w->log, "T6",
			    "%s owns the object, but the DACL has an OWNER "
			    "RIGHTS ACE: no implicit rights, the ACE decides",
			    w->who);
		return;
	}
	w->current |= (SC_READ_CONTROL | SC_WRITE_DAC) & w->mic;
	sc_log_rule(w->log, "T6",
		    "%s owns the object: read_control and write_dac are "
		    "granted implicitly%s",
		    w->who,
		    w->mic & SC_WRITE_DAC ? ""
					  : " (write_dac not: T12 withholds "
					    "it)");
}

/* 6a: a matching deny ACE denies the bits not yet granted; if it names
 * any bit still requested, the check fails (SC_ACCESS_DENIED). */
static sc_status walk_deny(walk *w, size_t i, const sc_ace *ace,
			   uint32_t access)
{
	char names[128];
	uint32_t hit = access & ~w->current;
	w->denied |= hit;
	if (!w->max && (hit & w->want)) {
		sc_acl_rights_format(w->sd->type, hit & w->want, names, sizeof(names));
		sc_log_rule(w->log, "T6",
			    "ACE %zu (deny %s) matches %s and denies requested "
			    "%s: ACCESS_DENIED",
			    i, trustee_name(w->token, ace->sid), w->who, names);
		return SC_ACCESS_DENIED;
	}
	if (hit) {
		sc_acl_rights_format(w->sd->type, hit, names, sizeof(names));
		sc_log_rule(w->log, "T6", "ACE %zu (deny %s) matches %s: "
					  "denies %s",
			    i, trustee_name(w->token, ace->sid), w->who, names);
	} else {
		sc_log_rule(w->log, "T6",
			    "ACE %zu (deny %s) matches %s but names only rights "
			    "already granted: no effect",
			    i, trustee_name(w->token, ace->sid), w->who);
	}
	return SC_OK;
}

/* 6b: a matching allow ACE adds the bits no earlier deny ACE took
 * away. */
static void walk_allow(walk *w, size_t i, const sc_ace *ace, uint32_t access)
{
	char names[128];
	uint32_t add = access & ~w->denied & ~w->current & w->mic;
	w->current |= add;
	sc_acl_rights_format(w->sd->type, add, names, sizeof(names));
	sc_log_rule(w->log, "T6", "ACE %zu (allow %s) matches %s: adds %s", i,
		    trustee_name(w->token, ace->sid), w->who,
		    add ? names : "nothing new");
}

/* 6: the ACEs in order, until everything requested is granted. */
static sc_status walk_aces(walk *w)
{
	for (size_t i = 0; i < w->sd->ace_count; i++) {
		if (!w->max && (w->current & w->want) == w->want)
			break; /* everything requested is granted: stop */
		const sc_ace *ace = &w->sd->aces[i];
		if (!ace_matches(w->token, w->sd, ace))
			continue;
		uint32_t access =
			sc_acl_map_generic(ace->mask, w->m) & ~SC_MAXIMUM_ALLOWED;
		if (ace->type != SC_ACE_DENY)
			walk_allow(w, i, ace, access);
		else if (walk_deny(w, i, ace, access) != SC_OK)
			return SC_ACCESS_DENIED;
	}
	return SC_OK;
}

/* 7: the result. */
static sc_status walk_result(walk *w, uint32_t *granted)
{
	char names[128];
	if (w->max) {
		/* MAXIMUM_ALLOWED: what would be granted, provided the bits
		 * asked for by name are among it and it is not nothing. */
		if ((w->current & w->want) != w->want)
			return fail_denied(w->sd, granted, w->log, "maximum_allowed: ",
					   w->want & ~w->current);
		if (!w->current) {
			sc_log_rule(w->log, "T6",
				    "maximum_allowed: nothing would be granted: "
				    "ACCESS_DENIED");
			return SC_ACCESS_DENIED;
		}
		*granted = w->current;
		sc_acl_rights_format(w->sd->type, w->current, names, sizeof(names));
		sc_log_rule(w->log, "T6", "maximum_allowed grants %s to %s",
			    names, w->who);
		return SC_OK;
	}
	if ((w->current & w->want) != w->want)
		return fail_denied(w->sd, granted, w->log, "", w->want & ~w->current);
	*granted = w->want;
	sc_acl_rights_format(w->sd->type, w->want, names, sizeof(names));
	sc_log_rule(w->log, "T6", "granted %s to %s", names, w->who);
	return SC_OK;
}

/* T12: what a token at or above the label may be granted: anything. */
#define SC_MIC_UNRESTRICTED 0xFFFFFFFFu

/* T12: an object without a label is medium, as Windows treats one. */
static sc_integrity sd_label(const sc_sd *sd)
{
	return sd->label != SC_IL_DEFAULT ? sd->label : SC_IL_MEDIUM;
}

uint32_t sc_acl_mandatory_allowed(const sc_token *token, const sc_sd *sd)
{
	const sc_generic_mapping *m = sc_acl_mapping(sd->type);
	sc_integrity label = sd_label(sd);
	if (sc_token_integrity(token) >= label)
		return SC_MIC_UNRESTRICTED;
	/* MS-DTYP 2.5.3.3: below the label, the generic sets the policy
	 * does not withhold; NO_WRITE_UP is always set. */
	return (sd->no_read_up ? 0 : m->read) | m->execute;
}

/* T12: Mandatory Integrity Control, before the DACL. A token below the
 * object's label may be granted only w->mic (sc_acl_mandatory_allowed);
 * a request naming anything else is denied here, the DACL unread; with
 * MAXIMUM_ALLOWED the rest is withheld from what the DACL grants. A
 * token at or above the label passes, and nothing is noted. */
static sc_status mandatory_check(walk *w)
{
	char names[128];
	w->mic = sc_acl_mandatory_allowed(w->token, w->sd);
	if (w->mic == SC_MIC_UNRESTRICTED)
		return SC_OK;
	sc_integrity tl = sc_token_integrity(w->token);
	sc_integrity ol = sd_label(w->sd);
	const char *policy = w->sd->no_read_up ? "no_write_up, no_read_up"
					       : "no_write_up";
	uint32_t refused = w->want & ~w->mic;
	if (refused) {
		sc_acl_rights_format(w->sd->type, refused, names,
				     sizeof(names));
		sc_log_rule(w->log, "T12",
			    "%s denied: the %s token of %s is below the "
			    "object's %s label (%s), before the DACL: "
			    "ACCESS_DENIED",
			    names, sc_integrity_name(tl), w->who,
			    sc_integrity_name(ol), policy);
		return SC_ACCESS_DENIED;
	}
	sc_log_rule(w->log, "T12",
		    "the %s token of %s is below the object's %s label (%s): "
		    "%s passes to the DACL",
		    sc_integrity_name(tl), w->who, sc_integrity_name(ol),
		    policy,
		    w->max ? "maximum_allowed, less the withheld rights,"
			   : "what was asked");
	return SC_OK;
}

static sc_status access_walk(const sc_token *token, const sc_sd *sd,
			     uint32_t desired, uint32_t *granted, sc_log *log)
{
	walk w = {.token = token, .sd = sd, .who = sc_token_user_name(token),
		  .log = log};
	char names[128];
	*granted = 0;

	/* 2: generic rights are mapped first, in the request and (in
	 * walk_aces) in every ACE, through the object type's mapping (the
	 * GENERIC_MAPPING AccessCheck is given). */
	w.m = sc_acl_mapping(sd->type);
	uint32_t want = sc_acl_map_generic(desired, w.m);
	w.max = want & SC_MAXIMUM_ALLOWED;
	w.want = want & ~SC_MAXIMUM_ALLOWED;
	if (desired & SC_GENERIC_ANY) {
		sc_acl_rights_format(sd->type, w.want, names, sizeof(names));
		sc_log_rule(log, "T6", "generic rights mapped: %s%s", names,
			    w.max ? " (and maximum_allowed)" : "");
	}
	if (!w.max && !w.want) {
		sc_log_rule(log, "T6", "nothing was requested: ACCESS_DENIED");
		return SC_ACCESS_DENIED;
	}

	/* T12: the mandatory label, before the DACL (a NULL DACL too). */
	if (mandatory_check(&w) != SC_OK)
		return SC_ACCESS_DENIED;

	/* 3: a NULL DACL grants everything. */
	if (!sd->dacl_present) {
		*granted = w.want;
		if (w.max)
			*granted = (*granted | w.m->all | SC_STANDARD_RIGHTS_ALL) &
				   w.mic;
		sc_acl_rights_format(sd->type, *granted, names, sizeof(names));
		sc_log_rule(log, "T6", "NULL DACL: everything is granted to "
				       "%s: %s",
			    w.who, names);
		return SC_OK;
	}

	walk_owner(&w);
	/* 5: an empty DACL grants nothing (beyond the owner's rights). */
	if (sd->ace_count == 0)
		sc_log_rule(log, "T6", "empty DACL: no ACE grants anything");
	if (walk_aces(&w) != SC_OK)
		return SC_ACCESS_DENIED;
	return walk_result(&w, granted);
}

sc_status sc_acl_access_check(const sc_token *token, const sc_sd *sd,
			      uint32_t desired, uint32_t *granted,
			      sc_log *log)
{
	*granted = 0;
	/* 1a: AccessCheck needs an impersonation token. */
	if (sc_token_type_of(token) == SC_TOKEN_PRIMARY) {
		sc_log_rule(log, "T6",
			    "the token of %s is a primary token: "
			    "NO_IMPERSONATION_TOKEN",
			    sc_token_user_name(token));
		return SC_NO_IMPERSONATION_TOKEN;
	}
	/* 1b: ... at Identify or above. */
	if (sc_token_level_raw(token) <= SC_LEVEL_ANONYMOUS) {
		sc_log_rule(log, "T6",
			    "the token of %s is at %s: "
			    "BAD_IMPERSONATION_LEVEL",
			    sc_token_user_name(token),
			    sc_level_name(sc_token_level_raw(token)));
		return SC_BAD_IMPERSONATION_LEVEL;
	}
	return access_walk(token, sd, desired, granted, log);
}

sc_status sc_acl_check_any(const sc_token *token, const sc_sd *sd,
			   uint32_t desired, uint32_t *granted, sc_log *log)
{
	return access_walk(token, sd, desired, granted, log);
}

/* The right names (SC_ACCESS_RIGHTS, then the aliases), in the order
 * sc_acl_rights_format writes them. */
#define SC_RIGHT_ENTRY(types, name, mask) {SC_OT_##types, name, mask, false},
#define SC_RIGHT_ALIAS(types, name, mask) {SC_OT_##types, name, mask, true},
const sc_right_entry sc_right_table[] = {
	SC_ACCESS_RIGHTS(SC_RIGHT_ENTRY) SC_ACCESS_RIGHT_ALIASES(SC_RIGHT_ALIAS)};
#undef SC_RIGHT_ENTRY
#undef SC_RIGHT_ALIAS
const size_t sc_right_count = sizeof(sc_right_table) / sizeof(sc_right_table[0]);

static bool for_type(const sc_right_entry *r, sc_object_type t)
{
	return (int)t >= 0 && t < SC_OBJ_COUNT && (r->types & (1u << t));
}

int sc_acl_right_named(sc_object_type t, const char *name, uint32_t *mask)
{
	if (!name || !mask)
		return SC_ERR_INVAL;
	for (size_t i = 0; i < sc_right_count; i++) {
		if (for_type(&sc_right_table[i], t) &&
		    strcasecmp(name, sc_right_table[i].name) == 0) {
			*mask = sc_right_table[i].mask;
			return 0;
		}
	}
	return SC_ERR_INVAL;
}

int sc_acl_right_parse(sc_object_type t, const char *name, uint32_t *mask)
{
	if (!name || !mask)
		return SC_ERR_INVAL;
	if (sc_acl_right_named(t, name, mask) == 0)
		return 0;
	if (strcasecmp(name, "none") == 0) {
		*mask = 0;
		return 0;
	}
	if (name[0] == '0' && (name[1] == 'x' || name[1] == 'X') &&
	    isxdigit((unsigned char)name[2])) {
		char *end;
		unsigned long v = strtoul(name + 2, &end, 16);
		if (*end == '\0' && v <= UINT32_MAX) {
			*mask = (uint32_t)v;
			return 0;
		}
	}
	return SC_ERR_INVAL;
}

int sc_acl_rights_mask(sc_object_type t, const char *list, uint32_t *mask)
{
	uint32_t out = 0;
	if (!list || !mask)
		return SC_ERR_INVAL;
	for (const char *p = list;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		char one[64];
		uint32_t m;
		if (n == 0 || n >= sizeof(one))
			return SC_ERR_INVAL;
		memcpy(one, p, n);
		one[n] = '\0';
		if (sc_acl_right_named(t, one, &m) != 0)
			return SC_ERR_INVAL;
		out |= m;
		if (!bar)
			break;
		p = bar + 1;
	}
	/* T6: generic rights name the type's specific ones. */
	*mask = sc_acl_map_generic(out, sc_acl_mapping(t));
	return 0;
}

static void put(char *buf, size_t len, size_t *used, const char *s)
{
	if (!len)
		return;
	int n = snprintf(buf + *used, len - *used, "%s%s",
			 *used ? "|" : "", s);
	if (n < 0 || (size_t)n >= len - *used)
		*used = len - 1; /* truncated: keep what fits */
	else
		*used += (size_t)n;
}

/* "read"/"write"/"execute"/"all" name the type's full generic set (or
 * the generic bit itself: FILE_GENERIC_READ for a file, KEY_READ for a
 * key); then the leftover bits by the type's names; then the bits
 * without a name as one hex value. 0 is "none". */
void sc_acl_rights_format(sc_object_type t, uint32_t mask, char *buf,
			  size_t len)
{
	const sc_generic_mapping *m = sc_acl_mapping(t);
	const struct {
		const char *name;
		uint32_t generic;
		uint32_t set;
	} sets[] = {
		{ "all", SC_GENERIC_ALL, m->all },
		{ "read", SC_GENERIC_READ, m->read },
		{ "write", SC_GENERIC_WRITE, m->write },
		{ "execute", SC_GENERIC_EXECUTE, m->execute },
	};
	size_t used = 0;
	uint32_t covered = 0;

	if (!buf || !len)
		return;
	buf[0] = '\0';
	if (!mask) {
		put(buf, len, &used, "none");
		return;
	}
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		bool full = (mask & sets[i].set) == sets[i].set;
		bool generic = mask & sets[i].generic;
		/* "all" already says read, write and execute (and a key's
		 * "read" its "execute"). */
		bool implied = i > 0 && !generic &&
			       (covered & sets[i].set) == sets[i].set;
		if ((full && !implied) || generic)
			put(buf, len, &used, sets[i].name);
		if (full)
			covered |= sets[i].set;
		covered |= sets[i].generic;
	}
	uint32_t left = mask & ~covered;
	for (size_t i = 4; i < sc_right_count; i++) {
		const sc_right_entry *r = &sc_right_table[i];
		if (r->alias || !for_type(r, t))
			continue;
		if (left & r->mask) {
			put(buf, len, &used, r->name);
			left &= ~r->mask;
		}
	}
	if (left) {
		char hex[16];
		snprintf(hex, sizeof(hex), "0x%x", left);
		put(buf, len, &used, hex);
	}
}

void sc_sd_free_contents(sc_sd *sd)
{
	if (!sd)
		return;
	free(sd->owner_sid);
	for (size_t i = 0; i < sd->ace_count; i++)
		free(sd->aces[i].sid);
	free(sd->aces);
	sd->owner_sid = NULL;
	sd->aces = NULL;
	sd->ace_count = 0;
}
