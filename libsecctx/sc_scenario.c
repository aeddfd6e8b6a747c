/* sc_scenario.c: lookups, "KEY=VALUE" settings and the reference checks
 * on a scenario already in memory (the loader fills it, the model reads it).
 * Model only: never any I/O, libcyaml or gRPC here; strings are malloc'd. */
#include "sc_scenario.h"
#include "sc_acl.h"
#include "sc_sddl.h"
#include "sc_suggest.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PATH_LEN 160
#define MSG_LEN 640
#define NAMES_LEN 360
#define RIGHT_CANDS 128 /* right names and aliases of one type */

#define STEP_VALUE(id, name, all) {name, SC_STEP_##id, all},
#define STEP_ALIAS(id, name) {name, SC_STEP_##id, false},
static const sc_enum_entry step_kind_entries[] = {
	SC_STEP_KINDS(STEP_VALUE) SC_STEP_KIND_ALIASES(STEP_ALIAS)};
const sc_enum_table sc_step_kind_table = {
	step_kind_entries,
	sizeof(step_kind_entries) / sizeof(step_kind_entries[0]),
	SC_STEP_COUNT};
#define MISBEHAVE_VALUE(id, name, all) {name, SC_MISBEHAVE_##id, all},
static const sc_enum_entry misbehave_entries[] = {
	SC_MISBEHAVES(MISBEHAVE_VALUE)};
const sc_enum_table sc_misbehave_table = {
	misbehave_entries,
	sizeof(misbehave_entries) / sizeof(misbehave_entries[0]),
	SC_MISBEHAVE_COUNT};

const char *sc_step_kind_name(sc_step_kind k)
{
	if ((int)k < 0 || (int)k >= SC_STEP_COUNT)
		return "?";
	return step_kind_entries[k].name;
}

/* The well-known service accounts a process may run as. */
static const char *const service_accounts[] = {
	"LOCAL SERVICE", "NETWORK SERVICE", "SYSTEM",
};

/* Principals every directory knows (sc_directory.h). */
static const char *const well_known_principals[] = {
	"Everyone", "Authenticated Users", "INTERACTIVE", "NETWORK",
	"SERVICE", "BATCH", "ANONYMOUS LOGON", "SYSTEM", "LOCAL SERVICE",
	"NETWORK SERVICE", "Administrators", "Users", "OWNER RIGHTS",
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(list[i], s) == 0)
			return true;
	return false;
}

static bool empty(const char *s)
{
	return !s || !*s;
}

/* ---- lookups ---------------------------------------------------------- */

/* ---- cases ------------------------------------------------------------ */

unsigned sc_scenario_cases(const sc_scenario *s)
{
	return s ? 1 + s->variants_count : 0;
}

const char *sc_scenario_case_variant(const sc_scenario *s, unsigned i)
{
	return s && i > 0 && i <= s->variants_count ? s->variants[i - 1].name
						    : NULL;
}

const char *sc_case_name(const char *variant)
{
	return variant ? variant : SC_AS_WRITTEN;
}

/* "FROM->TO" or "FROM->TO#N": the lengths of FROM and TO, and N (1 when
 * absent). false when it is not a hop. */
static bool hop_parts(const char *hop, size_t *from, const char **to,
		      size_t *tolen, unsigned long *nth)
{
	const char *arrow = hop ? strstr(hop, "->") : NULL;
	if (!arrow)
		return false;
	*from = (size_t)(arrow - hop);
	*to = arrow + 2;
	const char *hash = strchr(*to, '#');
	*tolen = hash ? (size_t)(hash - *to) : strlen(*to);
	*nth = hash ? strtoul(hash + 1, NULL, 10) : 1;
	return true;
}

bool sc_expect_same_target(const sc_expect_def *a, const sc_expect_def *b)
{
	if (!a || !b)
		return false;
	if (a->step || b->step)
		return a->step && b->step && strcasecmp(a->step, b->step) == 0;
	size_t af, bf, at, bt;
	const char *ato, *bto;
	unsigned long an, bn;
	if (!hop_parts(a->hop, &af, &ato, &at, &an) ||
	    !hop_parts(b->hop, &bf, &bto, &bt, &bn))
		return a->hop && b->hop && strcasecmp(a->hop, b->hop) == 0;
	return af == bf && at == bt && an == bn &&
	       strncasecmp(a->hop, b->hop, af) == 0 &&
	       strncasecmp(ato, bto, at) == 0;
}

bool sc_scenario_is_called(const sc_scenario *s, const char *name)
{
	for (unsigned i = 0; s && name && i < s->processes_count; i++)
		for (unsigned k = 0; k < s->processes[i].steps_count; k++) {
			const sc_step *st = &s->processes[i].steps[k];
			if (st->kind == SC_STEP_CALL && st->to &&
			    strcmp(st->to, name) == 0)
				return true;
		}
	return false;
}

bool sc_process_calls_out(const sc_process_def *p)
{
	for (unsigned k = 0; p && k < p->steps_count; k++)
		if (p->steps[k].kind == SC_STEP_CALL)
			return true;
	return false;
}

const char *sc_scenario_program(const sc_scenario *s,
				const sc_process_def *p)
{
	if (!sc_scenario_is_called(s, p->name))
		return "procA";
	return sc_process_calls_out(p) ? "procB" : "procC";
}

bool sc_process_name_ok(const char *name, char *why, size_t len)
{
	if (!name || !*name) {
		snprintf(why, len, "the process name is empty");
		return false;
	}
	size_t n = strlen(name);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f) {
			snprintf(why, len, "the process name contains a control "
					   "character (byte 0x%02x at offset %zu)",
				 c, i);
			return false;
		}
	}
	if (n > SC_PROCESS_NAME_MAX)
		snprintf(why, len, "process name '%.20s...' is %zu bytes long, "
				   "more than %d", name, n, SC_PROCESS_NAME_MAX);
	else if (name[0] == '.' || strchr(name, '/'))
		snprintf(why, len, "process name '%s' %s: it names the "
				   "process's key files", name,
			 name[0] == '.' ? "begins with '.'" : "contains '/'");
	else if (strstr(name, "->") || strchr(name, '#') || strchr(name, '='))
		snprintf(why, len, "process name '%s' contains '->', '#' or '=', "
				   "which separate hops and settings", name);
	else
		return true;
	return false;
}

const sc_process_def *sc_scenario_process(const sc_scenario *s,
					  const char *name)
{
	if (!s || !name)
		return NULL;
	for (unsigned i = 0; i < s->processes_count; i++)
		if (s->processes[i].name &&
		    strcmp(s->processes[i].name, name) == 0)
			return &s->processes[i];
	return NULL;
}

const sc_host_def *sc_scenario_host(const sc_scenario *s, const char *name)
{
	if (!s || !name)
		return NULL;
	for (unsigned i = 0; i < s->hosts_count; i++)
		if (s->hosts[i].name && strcmp(s->hosts[i].name, name) == 0)
			return &s->hosts[i];
	return NULL;
}

bool sc_host_computer_name(const sc_host_def *h, char *out, size_t len)
{
	if (len)
		out[0] = '\0';
	if (!h || !h->name || !h->name[0] || h->workgroup ||
	    len < SC_COMPUTER_NAME_MAX)
		return false;
	/* D8: the NetBIOS name (up to the first dot, in capitals) and '$'. */
	size_t n = 0;
	for (const char *c = h->name; *c && *c != '.' && n + 2 < len; c++)
		out[n++] = (char)toupper((unsigned char)*c);
	out[n++] = '$';
	out[n] = '\0';
	return true;
}

bool sc_account_protected(const sc_account_def *a)
{
	for (unsigned k = 0; a && k < a->groups_count; k++) {
		const char *g = a->groups[k];
		const char *bs = g ? strrchr(g, '\\') : NULL;
		if (g && strcasecmp(bs ? bs + 1 : g, "Protected Users") == 0)
			return true;
	}
	return false;
}

bool sc_account_not_delegated(const sc_account_def *a)
{
	return a && (a->sensitive || sc_account_protected(a));
}

const char *sc_account_not_delegated_why(const sc_account_def *a)
{
	return a && !a->sensitive && sc_account_protected(a)
		       ? "in Protected Users"
		       : "sensitive";
}

/* D8: name is a domain host's computer account ("SRV1$"), or the group
 * Domain Computers, which a scenario with a domain host has. */
static bool computer_principal(const sc_scenario *s, const char *name)
{
	char cn[SC_COMPUTER_NAME_MAX];
	for (unsigned i = 0; i < s->hosts_count; i++) {
		if (!sc_host_computer_name(&s->hosts[i], cn, sizeof(cn)))
			continue;
		if (strcasecmp(name, cn) == 0 ||
		    strcasecmp(name, "Domain Computers") == 0)
			return true;
	}
	return false;
}

/* "CORP\alice" -> "alice" when CORP is the scenario's domain; a name
 * without a backslash is returned as is; another authority gives NULL. */
static const char *domain_local(const sc_scenario *s, const char *name)
{
	const char *bs = strchr(name, '\\');
	if (!bs)
		return name;
	size_t n = (size_t)(bs - name);
	if (s->domain.name && strlen(s->domain.name) == n &&
	    strncasecmp(s->domain.name, name, n) == 0)
		return bs + 1;
	return NULL;
}

bool sc_spn_is(const char *entry)
{
	return entry && strchr(entry, '/') != NULL;
}

/* MS-ADTS 2.2.21 (DsMakeSpn): serviceclass "/" instance [":" port]
 * ["/" servicename]; no empty part, no white space. */
const char *sc_spn_syntax(const char *spn)
{
	if (!spn || !*spn)
		return "an SPN is not empty";
	for (const char *c = spn; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return "an SPN holds no space or control character";
	const char *slash = strchr(spn, '/');
	if (!slash)
		return "an SPN is CLASS/HOST[:PORT][/NAME]: no '/'";
	if (slash == spn)
		return "the service class before '/' is empty";
	const char *host = slash + 1;
	const char *end = strchr(host, '/');
	if (end && (end[1] == '\0' || strchr(end + 1, '/')))
		return "the service name after the second '/' is empty or "
		       "holds a '/'";
	size_t hl = end ? (size_t)(end - host) : strlen(host);
	const char *colon = memchr(host, ':', hl);
	size_t name_len = colon ? (size_t)(colon - host) : hl;
	if (name_len == 0)
		return "the host after '/' is empty";
	if (colon) {
		const char *port = colon + 1;
		size_t pl = hl - name_len - 1;
		unsigned long v = 0;
		if (pl == 0 || pl > 5)
			return "the port after ':' is not a number from 1 "
			       "to 65535";
		for (size_t k = 0; k < pl; k++) {
			if (port[k] < '0' || port[k] > '9')
				return "the port after ':' is not a number "
				       "from 1 to 65535";
			v = v * 10 + (unsigned long)(port[k] - '0');
		}
		if (v < 1 || v > 65535)
			return "the port after ':' is not a number from 1 "
			       "to 65535";
	}
	return NULL;
}

bool sc_account_holds_spn(const sc_account_def *a, const char *spn)
{
	for (unsigned i = 0; a && spn && i < a->spns_count; i++)
		if (a->spns[i] && strcasecmp(a->spns[i], spn) == 0)
			return true;
	return false;
}

const sc_account_def *sc_scenario_spn_holder(const sc_scenario *s,
					     const char *spn)
{
	for (unsigned i = 0; s && i < s->domain.accounts_count; i++)
		if (sc_account_holds_spn(&s->domain.accounts[i], spn))
			return &s->domain.accounts[i];
	return NULL;
}

const char *sc_delegation_listed(char *const *list, unsigned n,
				 const sc_account_def *target,
				 const char *spn)
{
	if (!target)
		return NULL;
	for (unsigned i = 0; i < n; i++) {
		const char *e = list[i];
		if (!e)
			continue;
		if (!sc_spn_is(e)) {
			/* An account: all its services. */
			if (target->name && strcasecmp(e, target->name) == 0)
				return e;
		} else if (spn ? strcasecmp(e, spn) == 0
			       : sc_account_holds_spn(target, e)) {
			return e;
		}
	}
	return NULL;
}

const sc_account_def *sc_scenario_account(const sc_scenario *s,
					  const char *name)
{
	if (!s || !name)
		return NULL;
	const char *local = domain_local(s, name);
	if (!local)
		return NULL;
	for (unsigned i = 0; i < s->domain.accounts_count; i++) {
		const sc_account_def *a = &s->domain.accounts[i];
		if (a->name && strcasecmp(a->name, local) == 0)
			return a;
	}
	return NULL;
}

const sc_object_def *sc_scenario_object(const sc_scenario *s,
					const char *host, const char *name)
{
	if (!s || !name)
		return NULL;
	for (unsigned i = 0; i < s->objects_count; i++) {
		const sc_object_def *o = &s->objects[i];
		if (!o->name || strcmp(o->name, name) != 0)
			continue;
		if (host && (!o->host || strcmp(o->host, host) != 0))
			continue;
		return o;
	}
	return NULL;
}

/* "LOCAL SERVICE" or "NT AUTHORITY\LOCAL SERVICE" and so on. */
static bool is_service_account(const char *name)
{
	static const char nt[] = "NT AUTHORITY\\";
	if (strncasecmp(name, nt, sizeof(nt) - 1) == 0)
		name += sizeof(nt) - 1;
	return in_list(service_accounts, COUNT_OF(service_accounts), name);
}

/* What a process (or an explicit blanket identity) may run as. */
static bool account_known(const sc_scenario *s, const char *name)
{
	return sc_scenario_account(s, name) || is_service_account(name);
}

static bool is_group_of_some_account(const sc_scenario *s, const char *g)
{
	for (unsigned i = 0; i < s->domain.accounts_count; i++) {
		const sc_account_def *a = &s->domain.accounts[i];
		for (unsigned k = 0; k < a->groups_count; k++)
			if (a->groups[k] && strcasecmp(a->groups[k], g) == 0)
				return true;
	}
	return false;
}

/* T6: whether g is one of the groups of account (a declared account;
 * a well-known one has none). When it is not, *near is the nearest of
 * them, or NULL. */
static bool is_group_of_account(const sc_scenario *s, const char *account,
				const char *g, const char **near)
{
	const sc_account_def *a = account ? sc_scenario_account(s, account)
					  : NULL;
	*near = NULL;
	for (unsigned k = 0; a && g && k < a->groups_count; k++)
		if (a->groups[k] && strcasecmp(a->groups[k], g) == 0)
			return true;
	if (a && g && strlen(g) >= 3)
		*near = sc_suggest_nearest(g, (const char *const *)a->groups,
					   a->groups_count);
	return false;
}

/* A principal in an ACE, an owner or a rights holder: a SID string, a
 * declared account, a group named in some account's groups, or a
 * well-known name; optionally qualified by the domain, NT AUTHORITY,
 * BUILTIN or a declared host. */
static bool principal_known(const sc_scenario *s, const char *name)
{
	if (empty(name))
		return false;
	if (strncasecmp(name, "S-1-", 4) == 0)
		return true;
	const char *base = name;
	const char *bs = strchr(name, '\\');
	if (bs) {
		size_t n = (size_t)(bs - name);
		bool ok = (n == 12 &&
			   strncasecmp(name, "NT AUTHORITY", n) == 0) ||
			  (n == 7 && strncasecmp(name, "BUILTIN", n) == 0) ||
			  (s->domain.name && strlen(s->domain.name) == n &&
			   strncasecmp(s->domain.name, name, n) == 0);
		for (unsigned i = 0; !ok && i < s->hosts_count; i++) {
			const char *h = s->hosts[i].name;
			ok = h && strlen(h) == n &&
			     strncasecmp(h, name, n) == 0;
		}
		if (!ok)
			return false;
		base = bs + 1;
	}
	if (in_list(well_known_principals, COUNT_OF(well_known_principals),
		    base))
		return true;
	for (unsigned i = 0; i < s->domain.accounts_count; i++) {
		const char *a = s->domain.accounts[i].name;
		if (a && strcasecmp(a, base) == 0)
			return true;
	}
	return is_group_of_some_account(s, base) ||
	       computer_principal(s, base);
}

/* T6: a right name (or alias, sc_acl.h) of an object of type t. */
static bool right_known(sc_object_type t, const char *name)
{
	uint32_t m;
	return !empty(name) && sc_acl_right_named(t, name, &m) == 0;
}

/* The right names of type t (not the aliases), joined with ", ", and
 * the one nearest word, if any. */
static const char *right_names_of(sc_object_type t, const char *word,
				  char *buf, size_t len)
{
	const char *cands[RIGHT_CANDS];
	size_t n = 0, used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sc_right_count && n < RIGHT_CANDS; i++) {
		const sc_right_entry *r = &sc_right_table[i];
		if (!(r->types & (1u << t)))
			continue;
		cands[n++] = r->name;
		if (r->alias || used >= len)
			continue;
		int w = snprintf(buf + used, len - used, "%s%s",
				 used ? ", " : "", r->name);
		if (w > 0)
			used += (size_t)w;
	}
	return word && strlen(word) >= 3 ? sc_suggest_nearest(word, cands, n)
					 : NULL;
}

/* The type of the object a step opens (a file when it names none). */
static sc_object_type step_object_type(const sc_scenario *s,
				       const sc_process_def *p,
				       const sc_step *st)
{
	const sc_object_def *o =
		p && st->object ? sc_scenario_object(s, p->host, st->object)
				: NULL;
	return o ? o->type : SC_OBJ_FILE;
}

/* "a, b, c" from a NULL-safe name getter, cut to fit. */
typedef const char *(*name_at_fn)(const sc_scenario *s, unsigned i);

static void join_names(char *buf, size_t len, const sc_scenario *s,
		       unsigned count, name_at_fn at)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < count && used < len; i++) {
		const char *n = at(s, i);
		int w = snprintf(buf + used, len - used, "%s%s",
				 i ? ", " : "", n ? n : "");
		if (w < 0 || (size_t)w >= len - used) {
			/* Cut: end with an ellipsis when it fits. */
			if (len >= 4)
				memcpy(buf + len - 4, "...", 4);
			return;
		}
		used += (size_t)w;
	}
}

/* "did you mean 'X'? " for the declared name nearest word, or "". */
static const char *hint(char *buf, size_t len, const sc_scenario *s,
			unsigned count, name_at_fn at, const char *word)
{
	const char *cands[64];
	unsigned n = 0;
	for (unsigned i = 0; i < count && n < 64; i++)
		cands[n++] = at(s, i);
	/* One or two letters are near every short name: no guess. */
	const char *near = word && strlen(word) >= 3 ?
				   sc_suggest_nearest(word, cands, n) : NULL;
	if (near)
		snprintf(buf, len, "did you mean '%s'? ", near);
	else if (len)
		buf[0] = '\0';
	return buf;
}

/* "did you mean 'X'? " for the object on host nearest word, or "". */
static const char *object_hint(const sc_scenario *s, const char *host,
			       const char *word, char *buf, size_t len)
{
	const char *cands[64];
	unsigned n = 0;
	for (unsigned i = 0; i < s->objects_count && n < 64; i++)
		if (host && s->objects[i].host &&
		    strcmp(s->objects[i].host, host) == 0)
			cands[n++] = s->objects[i].name;
	/* One or two letters are near every short name: no guess. */
	const char *near = word && strlen(word) >= 3 ?
				   sc_suggest_nearest(word, cands, n) : NULL;
	if (near)
		snprintf(buf, len, "did you mean '%s'? ", near);
	else if (len)
		buf[0] = '\0';
	return buf;
}

static const char *process_at(const sc_scenario *s, unsigned i)
{
	return s->processes[i].name;
}

static const char *host_at(const sc_scenario *s, unsigned i)
{
	return s->hosts[i].name;
}

static const char *account_at(const sc_scenario *s, unsigned i)
{
	return s->domain.accounts[i].name;
}

static void join_table(char *buf, size_t len, const char *const *names,
		       size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s",
				 i ? ", " : "", names[i]);
		if (w < 0)
			return;
		used += (size_t)w;
	}
}

/* "default, anonymous, ..." for an enum with a name function. */
static void join_enum(char *buf, size_t len, const char *(*name)(int),
		      int count)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < count && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s",
				 i ? ", " : "", name(i));
		if (w < 0)
			return;
		used += (size_t)w;
	}
}

static const char *level_name_i(int v)
{
	return sc_level_name((sc_level)v);
}

static const char *status_name_i(int v)
{
	return sc_status_name((sc_status)v);
}

static int parse_bool(const char *s, bool *out)
{
	if (strcasecmp(s, "true") == 0) {
		*out = true;
		return 0;
	}
	if (strcasecmp(s, "false") == 0) {
		*out = false;
		return 0;
	}
	return SC_ERR_INVAL;
}

/* ---- KEY=VALUE -------------------------------------------------------- */

enum set_target { ON_PROC, ON_ACCOUNT, ON_HOST, ON_SETTINGS, ON_OBJECT };

enum set_field {
	F_LEVEL,
	F_CLOAKING,
	F_AUTHN,
	F_PACKAGE,
	F_HOST,
	F_ACCOUNT,
	F_STARTED_BY,
	F_SERVER_AUTHN,
	F_TRANSPORT,
	F_SQOS,
	F_TRACKING,
	F_EFFECTIVE_ONLY,
	F_MISBEHAVE,
	F_SENSITIVE,
	F_TRUSTED,
	F_TRUSTED_AUTH,
	F_WORKGROUP,
	F_HOST_TRUSTED,
	F_DEFAULT_LEVEL,
	F_DOUBLE_HOP,
	F_ALLOW_PRIMARY,
	F_RIGHT, /* HOST.SeSomethingPrivilege=holder+holder (P3) */
	F_DENY_ONLY_GROUPS, /* PROC.deny_only_groups=group+group (T6) */
	F_DISABLED_GROUPS,  /* PROC.disabled_groups=group+group (T6) */
	F_DELEGATE_TO,      /* ACCOUNT.allowed_to_delegate_to=acct+acct (D4) */
	F_ALLOWED_TO_ACT,   /* ACCOUNT.allowed_to_act=acct+acct (D5) */
	F_TICKETS,          /* PROC.tickets=not_forwardable (D1, D4) */
	F_APARTMENT,        /* PROC.apartment=sta (T5) */
	F_SPN,              /* PROC.spn=CLASS/HOST or none (D4) */
	F_DOUBLE_HOP_OUTCOME, /* settings.double_hop_outcome (C6) */
	F_COM_PLUS,         /* PROC.com_plus=true (L6) */
	F_INTEGRITY,        /* PROC.integrity=low (T12) */
	F_LABEL,            /* OBJECT.integrity=high (T12) */
	F_NO_READ_UP,       /* OBJECT.no_read_up=true (T12) */
};

/* Every `set:` (and `--vary`, `run --set`) key. bare: the key may be
 * written without "PROC." and then sets that blanket field of every
 * process with a call step (a call step's own blanket still overrides
 * it for that call, as it overrides PROC.KEY). */
static const struct set_key {
	const char *name;
	enum set_target target;
	enum set_field field;
	bool bare;
} set_keys[] = {
	{"level", ON_PROC, F_LEVEL, true},
	{"cloaking", ON_PROC, F_CLOAKING, true},
	{"authn", ON_PROC, F_AUTHN, true},
	{"package", ON_PROC, F_PACKAGE, true},
	{"host", ON_PROC, F_HOST, false},
	{"account", ON_PROC, F_ACCOUNT, false},
	{"started_by", ON_PROC, F_STARTED_BY, false},
	{"server_authn", ON_PROC, F_SERVER_AUTHN, false},
	{"transport", ON_PROC, F_TRANSPORT, true},
	{"sqos", ON_PROC, F_SQOS, true},
	{"tracking", ON_PROC, F_TRACKING, true},
	{"effective_only", ON_PROC, F_EFFECTIVE_ONLY, true},
	{"misbehave", ON_PROC, F_MISBEHAVE, false},
	{"deny_only_groups", ON_PROC, F_DENY_ONLY_GROUPS, false},
	{"disabled_groups", ON_PROC, F_DISABLED_GROUPS, false},
	{"tickets", ON_PROC, F_TICKETS, false},
	{"com_plus", ON_PROC, F_COM_PLUS, false},
	{"apartment", ON_PROC, F_APARTMENT, false},
	{"spn", ON_PROC, F_SPN, false},
	{"integrity", ON_PROC, F_INTEGRITY, false},
	{"sensitive", ON_ACCOUNT, F_SENSITIVE, false},
	{"trusted_for_delegation", ON_ACCOUNT, F_TRUSTED, false},
	{"trusted_to_auth_for_delegation", ON_ACCOUNT, F_TRUSTED_AUTH, false},
	{"allowed_to_delegate_to", ON_ACCOUNT, F_DELEGATE_TO, false},
	{"allowed_to_act", ON_ACCOUNT, F_ALLOWED_TO_ACT, false},
	{"workgroup", ON_HOST, F_WORKGROUP, false},
	{"default_level", ON_HOST, F_DEFAULT_LEVEL, false},
	/* After the account's: X names the account X, else the host X. */
	{"trusted_for_delegation", ON_HOST, F_HOST_TRUSTED, false},
	{"double_hop_status", ON_SETTINGS, F_DOUBLE_HOP, false},
	{"allow_primary_from_identify", ON_SETTINGS, F_ALLOW_PRIMARY, false},
	{"double_hop_outcome", ON_SETTINGS, F_DOUBLE_HOP_OUTCOME, false},
	/* After the process's: X names the process X, else the objects
	 * named X. */
	{"integrity", ON_OBJECT, F_LABEL, false},
	{"no_read_up", ON_OBJECT, F_NO_READ_UP, false},
};

void sc_set_keys(sc_set_key_fn fn, void *user)
{
	static const char *const prefix[] = {"PROC.", "ACCOUNT.", "HOST.",
					     "settings.", "OBJECT."};
	for (size_t i = 0; fn && i < COUNT_OF(set_keys); i++) {
		char key[96];
		snprintf(key, sizeof(key), "%s%s", prefix[set_keys[i].target],
			 set_keys[i].name);
		fn(user, key);
		if (set_keys[i].bare)
			fn(user, set_keys[i].name);
	}
}

bool sc_set_key_bare(const char *key)
{
	for (size_t i = 0; key && i < COUNT_OF(set_keys); i++)
		if (set_keys[i].bare && strcmp(set_keys[i].name, key) == 0)
			return true;
	return false;
}

#define SET_KEYS_HELP                                                        \
	"PROC.level|cloaking|authn|package|host|account|started_by|"         \
	"server_authn|transport|sqos|tracking|effective_only|misbehave|"     \
	"tickets|com_plus|apartment|spn|integrity, "                         \
	"level|cloaking|authn|package|transport|sqos|tracking|"              \
	"effective_only (every process that calls), "                        \
	"PROC.deny_only_groups|disabled_groups (groups joined by '+', or "  \
	"none), ACCOUNT.sensitive|trusted_for_delegation|"                   \
	"trusted_to_auth_for_delegation, ACCOUNT.allowed_to_delegate_to|"    \
	"allowed_to_act (accounts, or SPNs for allowed_to_delegate_to, "    \
	"joined by '+', or none), "                                          \
	"HOST.workgroup|default_level|"                                      \
	"trusted_for_delegation, "                                           \
	"settings.double_hop_status|allow_primary_from_identify|"           \
	"double_hop_outcome, "                                               \
	"HOST.Se...Privilege (holders joined by '+', or none), "             \
	"OBJECT.integrity|no_read_up"

/* One parsed, checked assignment, not yet applied. */
struct set_op {
	enum set_field field;
	bool bare;       /* every process with a call step */
	unsigned index;  /* process, account or host index */
	int ival;        /* enums */
	bool bval;       /* booleans */
	char *sval;      /* host, account, status, holders: malloc'd */
	char *privilege; /* F_RIGHT: malloc'd */
};

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static void errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int index_of(const void *base, size_t size, const void *elem)
{
	return (int)(((const char *)elem - (const char *)base) / size);
}

/* The enum a `set:` field's value is one of (its table, aliases
 * included), or NULL for the fields that are not enums. */
static const sc_enum_table *field_enum(enum set_field f)
{
	switch (f) {
	case F_LEVEL:
	case F_DEFAULT_LEVEL: return &sc_level_table;
	case F_CLOAKING: return &sc_cloaking_table;
	case F_AUTHN:
	case F_SERVER_AUTHN: return &sc_authn_table;
	case F_PACKAGE: return &sc_package_table;
	case F_STARTED_BY: return &sc_start_table;
	case F_TRANSPORT: return &sc_transport_table;
	case F_MISBEHAVE: return &sc_misbehave_table;
	case F_TRACKING: return &sc_tracking_table;
	case F_TICKETS: return &sc_tickets_table;
	case F_APARTMENT: return &sc_apartment_table;
	case F_INTEGRITY:
	case F_LABEL: return &sc_integrity_table;
	case F_DOUBLE_HOP_OUTCOME: return &sc_double_hop_table;
	case F_DOUBLE_HOP: return &sc_status_table;
	default: return NULL;
	}
}

/* value as one of t's spellings; else the error, with did-you-mean and
 * the values (not the aliases) listed. */
static int parse_table_value(const sc_enum_table *t, const char *key,
			     const char *value, int *out, char *err,
			     size_t errlen)
{
	if (sc_enum_parse(t, value, out) == 0)
		return 0;
	char names[NAMES_LEN] = "";
	const char *cands[64];
	size_t n = t->values < 64 ? t->values : 64;
	for (size_t i = 0; i < n; i++) {
		cands[i] = t->entries[i].name;
		size_t l = strlen(names);
		snprintf(names + l, sizeof(names) - l, "%s%s", i ? ", " : "",
			 cands[i]);
	}
	const char *near = t == &sc_status_table
				   ? sc_status_suggest(value)
				   : sc_suggest_nearest(value, cands, n);
	if (near)
		errf(err, errlen,
		     "invalid value '%s' for '%s' (did you mean '%s'? "
		     "expected one of: %s)", value, key, near, names);
	else
		errf(err, errlen,
		     "invalid value '%s' for '%s' (expected one of: %s)",
		     value, key, names);
	return SC_ERR_INVAL;
}

/* The `set:` key named fname on target (a process, an account, a host
 * or "settings"), or NULL with the error (did-you-mean). */
static const struct set_key *set_find_key(const sc_scenario *s,
					  const char *target,
					  const char *fname, const char *full,
					  char *err, size_t errlen)
{
	bool settings = strcmp(target, "settings") == 0;
	const struct set_key *k = NULL;
	for (size_t i = 0; i < COUNT_OF(set_keys); i++) {
		if (strcmp(set_keys[i].name, fname) != 0 ||
		    (set_keys[i].target == ON_SETTINGS) != settings)
			continue;
		/* A name on accounts and hosts (trusted_for_delegation):
		 * the account X, else the host X. */
		if (!k || (k->target == ON_ACCOUNT &&
			   !sc_scenario_account(s, target) &&
			   set_keys[i].target == ON_HOST &&
			   sc_scenario_host(s, target)) ||
		    (k->target == ON_PROC && !sc_scenario_process(s, target) &&
		     set_keys[i].target == ON_OBJECT &&
		     sc_scenario_object(s, NULL, target)))
			k = &set_keys[i];
	}
	/* HOST.SeXxxPrivilege: the holders of a user right on a host (P3). */
	static const struct set_key right_key = {"", ON_HOST, F_RIGHT, false};
	if (!k && !settings && strncmp(fname, "Se", 2) == 0 &&
	    strlen(fname) > 2) {
		if (sc_user_right_known(fname))
			return &right_key;
		const char *near = sc_suggest_nearest(fname, sc_user_rights,
						      sc_user_right_count);
		errf(err, errlen, "unknown user right '%s' in '%s'%s%s%s",
		     fname, full, near ? " (did you mean '" : "",
		     near ? near : "", near ? "'?)" : "");
		return NULL;
	}
	if (k)
		return k;
	const char *cands[COUNT_OF(set_keys)];
	for (size_t i = 0; i < COUNT_OF(set_keys); i++)
		cands[i] = (set_keys[i].target == ON_SETTINGS) == settings
				   ? set_keys[i].name
				   : NULL;
	const char *near = sc_suggest_nearest(fname, cands, COUNT_OF(set_keys));
	if (near)
		errf(err, errlen,
		     "unknown key '%s' (did you mean '%s.%s'? keys: %s)", full,
		     target, near, SET_KEYS_HELP);
	else
		errf(err, errlen, "unknown key '%s' (keys: %s)", full,
		     SET_KEYS_HELP);
	return NULL;
}

/* One `set:` assignment being parsed. */
typedef struct set_ctx {
	const sc_scenario *s;
	const char *target, *fname, *value;
	const char *full; /* "TARGET.FIELD", for messages */
	struct set_op *op;
	char *err;
	size_t errlen;
} set_ctx;

/* op->index: the process, account or host the key's target names. 0, or
 * SC_ERR_INVAL with the error. */
static int set_target(const set_ctx *c, const struct set_key *k)
{
	const sc_scenario *s = c->s;
	const char *target = c->target, *full = c->full;
	struct set_op *op = c->op;
	char *err = c->err;
	size_t errlen = c->errlen;
	const void *found = NULL;
	const char *what = "";
	switch (k->target) {
	case ON_PROC:
		found = sc_scenario_process(s, target);
		/* X.integrity: the process X, else the objects named X. */
		what = k->field == F_INTEGRITY ? "process or object" : "process";
		if (found)
			op->index = (unsigned)index_of(
				s->processes, sizeof(s->processes[0]), found);
		break;
	case ON_ACCOUNT:
		found = sc_scenario_account(s, target);
		what = "account";
		if (found)
			op->index = (unsigned)index_of(
				s->domain.accounts,
				sizeof(s->domain.accounts[0]), found);
		break;
	case ON_HOST:
		found = sc_scenario_host(s, target);
		what = "host";
		if (found)
			op->index = (unsigned)index_of(
				s->hosts, sizeof(s->hosts[0]), found);
		break;
	case ON_OBJECT:
		found = sc_scenario_object(s, NULL, target);
		what = "object";
		if (found)
			op->index = (unsigned)index_of(
				s->objects, sizeof(s->objects[0]), found);
		break;
	case ON_SETTINGS:
		return 0;
	}
	if (found)
		return 0;
	/* Did-you-mean among the names of that kind. */
	const char *cands[64];
	size_t n = 0;
	if (k->target == ON_PROC)
		for (unsigned i = 0; i < s->processes_count && n < 64; i++)
			cands[n++] = s->processes[i].name;
	else if (k->target == ON_ACCOUNT)
		for (unsigned i = 0; i < s->domain.accounts_count && n < 64;
		     i++)
			cands[n++] = s->domain.accounts[i].name;
	else if (k->target == ON_HOST)
		for (unsigned i = 0; i < s->hosts_count && n < 64; i++)
			cands[n++] = s->hosts[i].name;
	if (k->field == F_INTEGRITY || k->target == ON_OBJECT)
		for (unsigned i = 0; i < s->objects_count && n < 64; i++)
			cands[n++] = s->objects[i].name;
	const char *near = sc_suggest_nearest(target, cands, n);
	errf(err, errlen, "unknown %s '%s' in '%s'%s%s%s", what, target, full,
	     near ? " (did you mean '" : "", near ? near : "",
	     near ? "'?)" : "");
	return SC_ERR_INVAL;
}

/* A '+'-joined `set:` value (or none): ok tells whether one item is
 * good, else writes why not (for the message). */
typedef bool (*plus_item_fn)(const set_ctx *c, const char *item, char *why,
			     size_t whylen);

struct plus_list {
	plus_item_fn ok;
	const char *empty; /* the value's form, when it names nothing at
			      all; NULL: naming nothing is allowed */
	const char *form;  /* the value's form, after an item's error */
};

/* c->value as l says: 0, or the error (the first bad item). */
static int check_plus_list(const set_ctx *c, const struct plus_list *l)
{
	if (strcasecmp(c->value, "none") == 0)
		return 0;
	char *copy = strdup(c->value);
	if (!copy) {
		errf(c->err, c->errlen, "out of memory");
		return SC_ERR_NOMEM;
	}
	int rc = 0;
	char *save = NULL;
	char *t = strtok_r(copy, "+", &save);
	if (!t && l->empty) {
		errf(c->err, c->errlen, "invalid value '%s' for '%s' (%s)",
		     c->value, c->full, l->empty);
		rc = SC_ERR_INVAL;
	}
	for (; t && rc == 0; t = strtok_r(NULL, "+", &save)) {
		t = trim(t);
		char why[1024];
		if (l->ok(c, t, why, sizeof(why)))
			continue;
		errf(c->err, c->errlen, "invalid value '%s' for '%s': %s (%s)",
		     c->value, c->full, why, l->form);
		rc = SC_ERR_INVAL;
	}
	free(copy);
	return rc;
}

/* "X (did you mean 'Y'?)", or X alone when nothing is near. */
#define NEAR_FMT "%s%s%s"
#define NEAR_ARGS(near)                                                      \
	(near) ? " (did you mean '" : "", (near) ? (near) : "",              \
		(near) ? "'?)" : ""

/* PROC.deny_only_groups, PROC.disabled_groups: a group of the process's
 * account (T6). */
static bool group_item_ok(const set_ctx *c, const char *t, char *why,
			  size_t whylen)
{
	const char *account = c->s->processes[c->op->index].account;
	const char *near;
	if (is_group_of_account(c->s, account, t, &near))
		return true;
	errf(why, whylen,
	     "'%s' is not a group of the process's account '%s'" NEAR_FMT, t,
	     account ? account : "", NEAR_ARGS(near));
	return false;
}

/* ACCOUNT.allowed_to_delegate_to, ACCOUNT.allowed_to_act: a declared
 * account (D4, D5). */
static bool account_item_ok(const set_ctx *c, const char *t, char *why,
			    size_t whylen)
{
	const sc_scenario *s = c->s;
	if (*t && sc_scenario_account(s, t))
		return true;
	/* D4: an SPN some account holds (allowed_to_delegate_to). */
	if (c->op->field == F_DELEGATE_TO && sc_scenario_spn_holder(s, t))
		return true;
	const char *cands[64];
	size_t n = 0;
	for (unsigned i = 0; i < s->domain.accounts_count && n < 64; i++)
		cands[n++] = s->domain.accounts[i].name;
	const char *near = sc_suggest_nearest(t, cands, n);
	errf(why, whylen, "unknown account '%s'" NEAR_FMT, t, NEAR_ARGS(near));
	return false;
}

/* HOST.SeXxxPrivilege: a declared account, group or well-known name
 * (P3). */
static bool holder_item_ok(const set_ctx *c, const char *t, char *why,
			   size_t whylen)
{
	if (principal_known(c->s, t))
		return true;
	errf(why, whylen, "unknown principal '%s'", t);
	return false;
}

static const struct plus_list group_list = {
	group_item_ok, "groups of the process's account joined by '+', or none",
	"groups of the account joined by '+', or none"};
static const struct plus_list account_list = {
	account_item_ok, "declared accounts joined by '+', or none",
	"declared accounts joined by '+', or none"};
static const struct plus_list holder_list = {
	holder_item_ok, NULL,
	"holders are declared accounts, groups or well-known names joined "
	"by '+', or none"};

/* HOST.SeXxxPrivilege=HOLDER+HOLDER... (or none): every holder a
 * declared account, group or well-known name. */
static int set_right(const set_ctx *c)
{
	int rc = check_plus_list(c, &holder_list);
	if (rc == 0 && !(c->op->privilege = strdup(c->fname))) {
		errf(c->err, c->errlen, "out of memory");
		rc = SC_ERR_NOMEM;
	}
	return rc;
}

/* The value of a field that is not an enum, into op (sval for the
 * names). */
static int set_value(const set_ctx *c, const struct set_key *k)
{
	const sc_scenario *s = c->s;
	const char *full = c->full, *value = c->value;
	struct set_op *op = c->op;
	char *err = c->err;
	size_t errlen = c->errlen;
	int rc = SC_ERR_INVAL;
	char names[NAMES_LEN];
	switch (k->field) {
	case F_HOST:
		if (sc_scenario_host(s, value)) {
			rc = 0;
			break;
		}
		join_names(names, sizeof(names), s, s->hosts_count, host_at);
		errf(err, errlen, "invalid value '%s' for '%s': no such host "
			"(declared hosts: %s)", value, full, names);
		break;
	case F_ACCOUNT:
		if (!empty(value) && account_known(s, value)) {
			rc = 0;
			break;
		}
		errf(err, errlen, "invalid value '%s' for '%s': not a declared "
			"account nor LOCAL SERVICE, NETWORK SERVICE or SYSTEM",
		     value, full);
		break;
	case F_RIGHT:
		rc = set_right(c);
		break;
	case F_DENY_ONLY_GROUPS:
	case F_DISABLED_GROUPS:
		rc = check_plus_list(c, &group_list);
		break;
	case F_DELEGATE_TO:
	case F_ALLOWED_TO_ACT:
		rc = check_plus_list(c, &account_list);
		break;
	case F_SPN:
		/* D4: an SPN an account holds, or none (named by account). */
		if (strcasecmp(value, "none") == 0 ||
		    sc_scenario_spn_holder(s, value)) {
			rc = 0;
			break;
		}
		errf(err, errlen, "invalid value '%s' for '%s': no account "
			"holds that SPN (an SPN of an account's spns, or none)",
		     value, full);
		break;
	default: /* the true/false keys */
		rc = parse_bool(value, &op->bval);
		if (rc != 0)
			errf(err, errlen, "invalid value '%s' for '%s' "
				"(expected true or false)", value, full);
		return rc;
	}
	if (rc == 0 && k->field != F_RIGHT && k->field != F_DENY_ONLY_GROUPS &&
	    k->field != F_DISABLED_GROUPS && k->field != F_HOST &&
	    k->field != F_ACCOUNT && k->field != F_DELEGATE_TO &&
	    k->field != F_ALLOWED_TO_ACT && k->field != F_SPN)
		return rc;
	if (rc == 0 && !(op->sval = strdup(value))) {
		errf(err, errlen, "out of memory");
		rc = SC_ERR_NOMEM;
	}
	return rc;
}

/* A key without "PROC.": a blanket field of every process with a call
 * step (one checked value for all). */
static int set_parse_bare(const sc_scenario *s, const char *key,
			  const char *value, struct set_op *op, char *err,
			  size_t errlen)
{
	const struct set_key *k = NULL;
	const char *cands[COUNT_OF(set_keys)];
	for (size_t i = 0; i < COUNT_OF(set_keys); i++) {
		cands[i] = set_keys[i].bare ? set_keys[i].name : NULL;
		if (set_keys[i].bare && strcmp(set_keys[i].name, key) == 0)
			k = &set_keys[i];
	}
	if (!k) {
		const char *near =
			sc_suggest_nearest(key, cands, COUNT_OF(set_keys));
		errf(err, errlen,
		     "unknown key '%s'%s%s%s: a key without a dot is a "
		     "blanket field of every process that calls (level, "
		     "cloaking, authn, package, transport, sqos, tracking, "
		     "effective_only); the others are PROC.KEY, ACCOUNT.KEY, "
		     "HOST.KEY or settings.KEY",
		     key, near ? " (did you mean '" : "", near ? near : "",
		     near ? "'?)" : "");
		return SC_ERR_INVAL;
	}
	unsigned first = s->processes_count;
	for (unsigned i = s->processes_count; i-- > 0;)
		if (sc_process_calls_out(&s->processes[i]))
			first = i;
	if (first == s->processes_count) {
		errf(err, errlen, "'%s' sets every process that calls, and no "
				  "process of the scenario calls another", key);
		return SC_ERR_INVAL;
	}
	op->bare = true;
	op->field = k->field;
	op->index = first;
	const sc_enum_table *t = field_enum(k->field);
	if (t)
		return parse_table_value(t, key, value, &op->ival, err, errlen);
	if (parse_bool(value, &op->bval) == 0)
		return 0;
	errf(err, errlen, "invalid value '%s' for '%s' (expected true or "
			  "false)", value, key);
	return SC_ERR_INVAL;
}

static int set_parse(const sc_scenario *s, const char *assignment,
		     struct set_op *op, char *err, size_t errlen)
{
	memset(op, 0, sizeof(*op));
	if (!s || !assignment) {
		errf(err, errlen, "no assignment");
		return SC_ERR_INVAL;
	}
	char *copy = strdup(assignment);
	if (!copy) {
		errf(err, errlen, "out of memory");
		return SC_ERR_NOMEM;
	}
	int rc = SC_ERR_INVAL;
	char *eq = strchr(copy, '=');
	char *key = copy, *value = eq ? trim(eq + 1) : NULL, *dot = NULL;
	if (eq) {
		*eq = '\0';
		key = trim(copy);
		dot = strrchr(key, '.');
	}
	if (!eq) {
		errf(err, errlen, "'%s' is not KEY=VALUE (keys: %s)",
		     assignment, SET_KEYS_HELP);
	} else if (!dot) {
		rc = set_parse_bare(s, key, value, op, err, errlen);
	} else if (dot == key || !dot[1]) {
		errf(err, errlen, "unknown key '%s' (keys: %s)", key,
		     SET_KEYS_HELP);
	} else {
		*dot = '\0';
		const char *target = key, *fname = dot + 1;
		char full[256]; /* "TARGET.FIELD", for messages */
		snprintf(full, sizeof(full), "%s.%s", target, fname);
		const struct set_key *k =
			set_find_key(s, target, fname, full, err, errlen);
		set_ctx c = {s, target, fname, value, full, op, err, errlen};
		if (k && (rc = set_target(&c, k)) == 0) {
			op->field = k->field;
			const sc_enum_table *t = field_enum(k->field);
			rc = t ? parse_table_value(t, full, value, &op->ival,
						   err, errlen)
			       : set_value(&c, k);
			/* A status is kept in its canonical spelling. */
			if (rc == 0 && k->field == F_DOUBLE_HOP &&
			    !(op->sval = strdup(
				      sc_status_name((sc_status)op->ival)))) {
				errf(err, errlen, "out of memory");
				rc = SC_ERR_NOMEM;
			}
		}
	}
	free(copy);
	return rc;
}

/* *slot becomes *value, which the caller no longer owns. */
static void take_string(char **slot, char **value)
{
	free(*slot);
	*slot = *value;
	*value = NULL;
}

static void free_names(char **names, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		free(names[k]);
	free(names);
}

/* The items of sval ('+'-separated, or "none"; cut up), each trimmed,
 * as n new strings in *out: 0, or SC_ERR_NOMEM. */
static int split_plus(char *sval, char ***out, unsigned *count)
{
	unsigned n = 0;
	char **items = calloc(strlen(sval) / 2 + 2, sizeof(char *));
	if (!items)
		return SC_ERR_NOMEM;
	if (strcasecmp(sval, "none") != 0) {
		char *save = NULL;
		for (char *t = strtok_r(sval, "+", &save); t;
		     t = strtok_r(NULL, "+", &save)) {
			if (!(items[n] = strdup(trim(t)))) {
				free_names(items, n);
				return SC_ERR_NOMEM;
			}
			n++;
		}
	}
	*out = items;
	*count = n;
	return 0;
}

/* *list (count names) becomes the items of sval (split_plus). */
static int replace_names(char ***list, unsigned *count, char *sval)
{
	char **names;
	unsigned n;
	if (split_plus(sval, &names, &n) != 0)
		return SC_ERR_NOMEM;
	free_names(*list, *count);
	*list = names;
	*count = n;
	return 0;
}

/* P3: the host's rights entry for op->privilege gets the holders of
 * op->sval ('+'-separated, or "none"); it is added when absent. */
static int set_apply_right(sc_host_def *h, struct set_op *op)
{
	sc_right_def *r = NULL;
	for (unsigned i = 0; i < h->rights_count; i++)
		if (h->rights[i].privilege &&
		    strcmp(h->rights[i].privilege, op->privilege) == 0)
			r = &h->rights[i];
	char **holders;
	unsigned n;
	if (split_plus(op->sval, &holders, &n) != 0)
		return SC_ERR_NOMEM;
	if (!r) {
		sc_right_def *nr = realloc(h->rights, (h->rights_count + 1) *
							      sizeof(*nr));
		if (!nr) {
			free_names(holders, n);
			return SC_ERR_NOMEM;
		}
		h->rights = nr;
		r = &h->rights[h->rights_count++];
		memset(r, 0, sizeof(*r));
		r->privilege = op->privilege;
		op->privilege = NULL;
	}
	free_names(r->holders, r->holders_count);
	r->holders = holders;
	r->holders_count = n;
	return 0;
}

/* T12: the label of every object named as the one op->index names. */
static void set_apply_label(sc_scenario *s, const struct set_op *op)
{
	const char *name = s->objects[op->index].name;
	for (unsigned i = 0; i < s->objects_count; i++) {
		sc_object_def *o = &s->objects[i];
		if (!o->name || strcmp(o->name, name) != 0)
			continue;
		if (op->field == F_LABEL)
			o->integrity = (sc_integrity)op->ival;
		else
			o->no_read_up = op->bval;
	}
}

/* A list of names: a process's deny-only or disabled groups (T6), an
 * account's allowed_to_delegate_to (D4) or allowed_to_act (D5). */
static int set_apply_names(sc_scenario *s, const struct set_op *op)
{
	sc_process_def *p = &s->processes[op->index];
	sc_account_def *a = &s->domain.accounts[op->index];
	if (op->field == F_DENY_ONLY_GROUPS)
		return replace_names(&p->deny_only_groups,
				     &p->deny_only_groups_count, op->sval);
	if (op->field == F_DISABLED_GROUPS)
		return replace_names(&p->disabled_groups,
				     &p->disabled_groups_count, op->sval);
	if (op->field == F_DELEGATE_TO)
		return replace_names(&a->allowed_to_delegate_to,
				     &a->allowed_to_delegate_to_count,
				     op->sval);
	return replace_names(&a->allowed_to_act, &a->allowed_to_act_count,
			     op->sval);
}

/* A field of the process's blanket (the fields a bare key sets). */
static void set_apply_blanket(sc_blanket *b, const struct set_op *op)
{
	switch (op->field) {
	case F_LEVEL: b->level = (sc_level)op->ival; break;
	case F_CLOAKING: b->cloaking = (sc_cloaking)op->ival; break;
	case F_AUTHN: b->authn = (sc_authn)op->ival; break;
	case F_PACKAGE: b->package = (sc_package)op->ival; break;
	case F_TRANSPORT: b->transport = (sc_transport)op->ival; break;
	case F_SQOS: b->sqos = op->bval; break;
	case F_TRACKING: b->tracking = (sc_tracking)op->ival; break;
	case F_EFFECTIVE_ONLY: b->effective_only = op->bval; break;
	default: break;
	}
}

static int set_apply(sc_scenario *s, struct set_op *op)
{
	sc_process_def *p = &s->processes[op->index];
	sc_account_def *a = &s->domain.accounts[op->index];
	sc_host_def *h = &s->hosts[op->index];

	switch (op->field) {
	case F_LEVEL:
	case F_CLOAKING:
	case F_AUTHN:
	case F_PACKAGE:
	case F_TRANSPORT:
	case F_SQOS:
	case F_TRACKING:
	case F_EFFECTIVE_ONLY:
		set_apply_blanket(&p->blanket, op);
		break;
	case F_MISBEHAVE:
		p->misbehave = (sc_misbehave)op->ival;
		break;
	case F_TICKETS:
		p->tickets = (sc_tickets)op->ival;
		break;
	case F_COM_PLUS:
		p->com_plus = op->bval;
		break;
	case F_APARTMENT:
		p->apartment = (sc_apartment)op->ival;
		break;
	case F_INTEGRITY:
		p->integrity = (sc_integrity)op->ival;
		break;
	case F_LABEL:
	case F_NO_READ_UP:
		set_apply_label(s, op);
		break;
	case F_HOST:
		take_string(&p->host, &op->sval);
		break;
	case F_ACCOUNT:
		take_string(&p->account, &op->sval);
		break;
	case F_SPN:
		if (strcasecmp(op->sval, "none") == 0) {
			free(p->spn);
			p->spn = NULL;
		} else {
			take_string(&p->spn, &op->sval);
		}
		break;
	case F_STARTED_BY:
		p->started_by = (sc_start)op->ival;
		break;
	case F_SERVER_AUTHN:
		p->server_authn = (sc_authn)op->ival;
		break;
	case F_SENSITIVE:
		a->sensitive = op->bval;
		break;
	case F_TRUSTED:
		a->trusted_for_delegation = op->bval;
		break;
	case F_TRUSTED_AUTH:
		a->trusted_to_auth_for_delegation = op->bval;
		break;
	case F_WORKGROUP:
		h->workgroup = op->bval;
		break;
	case F_HOST_TRUSTED:
		h->trusted_for_delegation = op->bval;
		break;
	case F_DEFAULT_LEVEL:
		h->default_level = (sc_level)op->ival;
		break;
	case F_DOUBLE_HOP:
		take_string(&s->settings.double_hop_status, &op->sval);
		break;
	case F_ALLOW_PRIMARY:
		s->settings.allow_primary_from_identify = op->bval;
		break;
	case F_DOUBLE_HOP_OUTCOME:
		s->settings.double_hop_outcome = (sc_double_hop)op->ival;
		break;
	case F_RIGHT:
		return set_apply_right(h, op);
	case F_DENY_ONLY_GROUPS:
	case F_DISABLED_GROUPS:
	case F_DELEGATE_TO:
	case F_ALLOWED_TO_ACT:
		return set_apply_names(s, op);
	}
	return 0;
}

int sc_scenario_set(sc_scenario *s, const char *assignment, char *err,
		    size_t errlen)
{
	struct set_op op;
	int rc = set_parse(s, assignment, &op, err, errlen);
	if (rc != 0) {
		free(op.sval);
		free(op.privilege);
		return rc;
	}
	if (op.bare) {
		/* A blanket field (no string): the same value for each. */
		for (unsigned i = 0; i < s->processes_count && rc == 0; i++)
			if (sc_process_calls_out(&s->processes[i])) {
				op.index = i;
				rc = set_apply(s, &op);
			}
	} else {
		rc = set_apply(s, &op);
	}
	free(op.sval);
	free(op.privilege);
	if (rc != 0)
		errf(err, errlen, "out of memory");
	return rc;
}

/* ---- validation ------------------------------------------------------- */

struct vctx {
	const sc_scenario *s;
	sc_scenario_report_fn report;
	void *user;
	unsigned problems;
};

static void problem(struct vctx *v, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct vctx *v, const char *path, const char *fmt, ...)
{
	char msg[MSG_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->problems++;
	if (v->report)
		v->report(v->user, path, msg);
}

static void check_user_right(struct vctx *v, const char *path,
			     const char *name);

/* The path buffer every check writes into. */
static const char *P(char *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static const char *P(char *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, PATH_LEN, fmt, ap);
	va_end(ap);
	return buf;
}

static void check_principal(struct vctx *v, const char *path,
			    const char *name)
{
	if (empty(name))
		problem(v, path, "the principal is empty");
	else if (!principal_known(v->s, name)) {
		char near[NAMES_LEN];
		problem(v, path,
			"unknown principal '%s' (%sexpected a declared "
			"account, a group named in an account's groups, or a "
			"well-known name such as Everyone, Administrators, "
			"SERVICE)", name,
			hint(near, sizeof(near), v->s,
			     v->s->domain.accounts_count, account_at, name));
	}
}

/* An object's dacl_sddl: readable, with a D: part, and the owner given
 * once (owner: or O:). Domain-relative aliases are read against a
 * stand-in domain here: the run resolves them against the scenario's. */
static void check_object_sddl(struct vctx *v, const char *pre,
			      const sc_object_def *o)
{
	char path[PATH_LEN];
	if (!o->dacl_sddl) {
		if (empty(o->owner))
			problem(v, P(path, "%s", pre),
				"an object needs its owner (owner:)");
		return;
	}
	if (o->dacl_count || o->null_dacl)
		problem(v, P(path, "%s.dacl_sddl", pre),
			"give the DACL once: dacl_sddl, or dacl / null_dacl");
	sc_sd sd;
	sc_sddl_extra ex;
	sc_sddl_error err;
	int rc = sc_sddl_parse(o->dacl_sddl, "S-1-5-21-0-0-0", &sd, &ex,
			       &err);
	sc_sd_free_contents(&sd);
	if (rc == SC_ERR_INVAL) {
		problem(v, P(path, "%s.dacl_sddl#%zu", pre, err.col - 1),
			"%s", err.msg);
		return;
	}
	if (!ex.has_dacl)
		problem(v, P(path, "%s.dacl_sddl", pre),
			"no D: part: that is no DACL at all, which grants "
			"everyone everything; write D:NO_ACCESS_CONTROL to "
			"mean that");
	if (ex.has_owner && o->owner)
		problem(v, P(path, "%s.owner", pre),
			"the owner is given twice (owner: and O: in "
			"dacl_sddl)");
	else if (!ex.has_owner && empty(o->owner))
		problem(v, P(path, "%s", pre),
			"an object needs its owner (owner:, or O: in "
			"dacl_sddl)");
}


/* PRE.host (of a process or an object): a declared host. */
static void check_host(struct vctx *v, const char *pre, const char *host)
{
	const sc_scenario *s = v->s;
	char path[PATH_LEN];
	if (empty(host)) {
		problem(v, P(path, "%s.host", pre), "the host is empty");
	} else if (!sc_scenario_host(s, host)) {
		char names[NAMES_LEN];
		join_names(names, sizeof(names), s, s->hosts_count, host_at);
		char near[NAMES_LEN];
		problem(v, P(path, "%s.host", pre),
			"unknown host '%s' (%sdeclared hosts: %s)", host,
			hint(near, sizeof(near), s, s->hosts_count, host_at,
			     host),
			names);
	}
}

static void check_account(struct vctx *v, const char *path,
			  const char *name, const char *what)
{
	if (empty(name)) {
		problem(v, path, "%s is empty", what);
		return;
	}
	if (account_known(v->s, name))
		return;
	char names[NAMES_LEN];
	join_names(names, sizeof(names), v->s, v->s->domain.accounts_count,
		   account_at);
	char near[NAMES_LEN];
	problem(v, path,
		"unknown account '%s' (%sdeclared accounts: %s; or LOCAL "
		"SERVICE, NETWORK SERVICE, SYSTEM)", name,
		hint(near, sizeof(near), v->s, v->s->domain.accounts_count,
		     account_at, name),
		v->s->domain.accounts_count ? names : "none");
}

static void check_rights(struct vctx *v, const char *prefix,
			 sc_object_type t, char **access, unsigned count)
{
	char path[PATH_LEN];
	for (unsigned k = 0; k < count; k++) {
		if (right_known(t, access[k]))
			continue;
		char names[NAMES_LEN];
		const char *near =
			right_names_of(t, access[k], names, sizeof(names));
		problem(v, P(path, "%s.access[%u]", prefix, k),
			"unknown access right '%s' for a %s (%s%s%sexpected "
			"one of: %s, or a Windows name such as GENERIC_READ)",
			access[k] ? access[k] : "", sc_object_type_name(t),
			near ? "did you mean '" : "", near ? near : "",
			near ? "'? " : "", names);
	}
}

static bool sid_well_formed(const char *sid)
{
	if (strncasecmp(sid, "S-1-", 4) != 0)
		return false;
	const char *p = sid + 4;
	bool digit = false;
	for (; *p; p++) {
		if (isdigit((unsigned char)*p)) {
			digit = true;
		} else if (*p == '-' && digit) {
			digit = false;
		} else {
			return false;
		}
	}
	return digit;
}

/* An account named in a delegation list (allowed_to_delegate_to,
 * allowed_to_act): a declared account, or an error with the nearest
 * declared one. The built-in accounts do not count: the lists name
 * service accounts of the domain. */
static void check_listed_account(struct vctx *v, const char *path,
				 const char *name, const char *what)
{
	if (name && sc_scenario_account(v->s, name))
		return;
	char names[NAMES_LEN];
	join_names(names, sizeof(names), v->s, v->s->domain.accounts_count,
		   account_at);
	char near[NAMES_LEN];
	problem(v, path,
		"unknown account '%s' (%sdeclared accounts: %s; %s names "
		"declared accounts)", name ? name : "",
		hint(near, sizeof(near), v->s, v->s->domain.accounts_count,
		     account_at, name),
		v->s->domain.accounts_count ? names : "none", what);
}

/* The i-th SPN of the domain, accounts in order (for did-you-mean). */
static const char *spn_at(const sc_scenario *s, unsigned i)
{
	for (unsigned a = 0; a < s->domain.accounts_count; a++) {
		if (i < s->domain.accounts[a].spns_count)
			return s->domain.accounts[a].spns[i];
		i -= s->domain.accounts[a].spns_count;
	}
	return NULL;
}

static unsigned spn_count(const sc_scenario *s)
{
	unsigned n = 0;
	for (unsigned a = 0; a < s->domain.accounts_count; a++)
		n += s->domain.accounts[a].spns_count;
	return n;
}

/* An SPN named in allowed_to_delegate_to (D4): well formed, and held by
 * an account of the domain. AD accepts any string there, but a service
 * no account runs is one no call can reach: a misspelt SPN would make
 * the list refuse silently, so it is an error, with the nearest SPN. */
static void check_listed_spn(struct vctx *v, const char *path,
			     const char *spn)
{
	const char *why = sc_spn_syntax(spn);
	if (why) {
		problem(v, path, "'%s' is not an SPN: %s", spn, why);
		return;
	}
	if (sc_scenario_spn_holder(v->s, spn))
		return;
	char near[NAMES_LEN];
	problem(v, path,
		"no account holds the SPN '%s' (%sconstrained delegation "
		"names an SPN some account's spns holds, or an account)",
		spn,
		hint(near, sizeof(near), v->s, spn_count(v->s), spn_at, spn));
}

/* domain.accounts[i].spns: each well formed. */
static void validate_spns(struct vctx *v, unsigned i)
{
	const sc_account_def *a = &v->s->domain.accounts[i];
	char path[PATH_LEN];
	for (unsigned k = 0; k < a->spns_count; k++) {
		const char *why = sc_spn_syntax(a->spns[k]);
		if (why)
			problem(v, P(path, "domain.accounts[%u].spns[%u]", i,
				     k),
				"'%s' is not an SPN: %s",
				a->spns[k] ? a->spns[k] : "", why);
	}
}

struct spn_at {
	const char *spn;
	unsigned account, k;
};

static int spn_at_cmp(const void *x, const void *y)
{
	const struct spn_at *a = x, *b = y;
	int c = strcasecmp(a->spn, b->spn);
	if (c)
		return c;
	if (a->account != b->account)
		return a->account < b->account ? -1 : 1;
	return (a->k > b->k) - (a->k < b->k);
}

/* An SPN is held by one account only (AD refuses a duplicate in the
 * forest): sorted, so that a domain of thousands is checked at once. */
static void check_duplicate_spns(struct vctx *v)
{
	const sc_scenario *s = v->s;
	unsigned n = spn_count(s);
	if (n < 2)
		return;
	struct spn_at *all = calloc(n, sizeof(*all));
	if (!all) {
		problem(v, "domain.accounts", "out of memory");
		return;
	}
	unsigned m = 0;
	for (unsigned a = 0; a < s->domain.accounts_count; a++)
		for (unsigned k = 0; k < s->domain.accounts[a].spns_count; k++)
			if (s->domain.accounts[a].spns[k])
				all[m++] = (struct spn_at){
					s->domain.accounts[a].spns[k], a, k};
	qsort(all, m, sizeof(*all), spn_at_cmp);
	char path[PATH_LEN];
	for (unsigned j = 1; j < m; j++) {
		if (strcasecmp(all[j].spn, all[j - 1].spn) != 0)
			continue;
		unsigned f = j - 1;
		while (f > 0 && strcasecmp(all[f - 1].spn, all[j].spn) == 0)
			f--;
		const char *owner = s->domain.accounts[all[f].account].name;
		problem(v,
			P(path, "domain.accounts[%u].spns[%u]", all[j].account,
			  all[j].k),
			"duplicate SPN '%s' (also domain.accounts[%u].spns[%u], "
			"of '%s': an SPN names one account)",
			all[j].spn, all[f].account, all[f].k,
			owner ? owner : "");
	}
	free(all);
}

static void validate_accounts(struct vctx *v)
{
	const sc_scenario *s = v->s;
	char path[PATH_LEN];
	for (unsigned i = 0; i < s->domain.accounts_count; i++) {
		const sc_account_def *a = &s->domain.accounts[i];
		if (empty(a->name)) {
			problem(v, P(path, "domain.accounts[%u].name", i),
				"the account name is empty");
		} else {
			for (unsigned j = 0; j < i; j++) {
				const char *o = s->domain.accounts[j].name;
				if (o && strcasecmp(o, a->name) == 0) {
					problem(v,
						P(path,
						  "domain.accounts[%u].name",
						  i),
						"duplicate account '%s' (also "
						"domain.accounts[%u])",
						a->name, j);
					break;
				}
			}
		}
		if (a->sid && !sid_well_formed(a->sid))
			problem(v, P(path, "domain.accounts[%u].sid", i),
				"'%s' is not a SID (expected S-1-...)",
				a->sid);
		validate_spns(v, i);
		for (unsigned k = 0; k < a->allowed_to_delegate_to_count;
		     k++) {
			P(path, "domain.accounts[%u].allowed_to_delegate_to"
				"[%u]", i, k);
			if (sc_spn_is(a->allowed_to_delegate_to[k]))
				check_listed_spn(v, path,
						 a->allowed_to_delegate_to[k]);
			else
				check_listed_account(
					v, path, a->allowed_to_delegate_to[k],
					"constrained delegation");
		}
		for (unsigned k = 0; k < a->allowed_to_act_count; k++)
			check_listed_account(
				v,
				P(path,
				  "domain.accounts[%u].allowed_to_act[%u]", i,
				  k),
				a->allowed_to_act[k],
				"resource-based delegation");
	}
	check_duplicate_spns(v);
}

static void validate_hosts(struct vctx *v)
{
	const sc_scenario *s = v->s;
	char path[PATH_LEN];
	for (unsigned i = 0; i < s->hosts_count; i++) {
		const sc_host_def *h = &s->hosts[i];
		if (empty(h->name)) {
			problem(v, P(path, "hosts[%u].name", i),
				"the host name is empty");
		} else {
			for (unsigned j = 0; j < i; j++) {
				const char *o = s->hosts[j].name;
				if (o && strcmp(o, h->name) == 0) {
					problem(v, P(path, "hosts[%u].name", i),
						"duplicate host '%s' (also "
						"hosts[%u])", h->name, j);
					break;
				}
			}
		}
		for (unsigned k = 0; k < h->rights_count; k++) {
			const sc_right_def *r = &h->rights[k];
			if (empty(r->privilege)) {
				problem(v,
					P(path,
					  "hosts[%u].rights[%u].privilege", i,
					  k),
					"the privilege name is empty");
			} else {
				check_user_right(
					v,
					P(path, "hosts[%u].rights[%u].privilege",
					  i, k),
					r->privilege);
				for (unsigned m = 0; m < k; m++) {
					const char *o = h->rights[m].privilege;
					if (!o ||
					    strcasecmp(o, r->privilege) != 0 ||
					    h->rights[m].scope != r->scope)
						continue;
					problem(v,
						P(path,
						  "hosts[%u].rights[%u]."
						  "privilege", i, k),
						"'%s' is assigned twice on "
						"host '%s' at scope %s (also "
						"rights[%u])",
						r->privilege,
						h->name ? h->name : "",
						sc_scope_name(r->scope), m);
					break;
				}
			}
			for (unsigned m = 0; m < r->holders_count; m++)
				check_principal(v,
						P(path,
						  "hosts[%u].rights[%u]."
						  "holders[%u]", i, k, m),
						r->holders[m]);
		}
	}
}

/* Whether a and b name one account: a declared one, however written, or
 * the same well-known service account. */
static bool same_account(const sc_scenario *s, const char *a, const char *b)
{
	const sc_account_def *da = sc_scenario_account(s, a);
	const sc_account_def *db = sc_scenario_account(s, b);
	if (da || db)
		return da == db;
	static const char nt[] = "NT AUTHORITY\\";
	if (strncasecmp(a, nt, sizeof(nt) - 1) == 0)
		a += sizeof(nt) - 1;
	if (strncasecmp(b, nt, sizeof(nt) - 1) == 0)
		b += sizeof(nt) - 1;
	return strcasecmp(a, b) == 0;
}

/* C1: an explicit identity on a proxy (CoSetProxyBlanket's, or an RPC
 * binding's, authentication identity) is a user name with its password.
 * A process of a scenario holds only its own account's credentials, so
 * the identity may name only that account; and a named-pipe or DDE
 * client has no such identity to set: it presents its own context (T7). */
static void check_blanket_identity(struct vctx *v, const char *prefix,
				   const sc_blanket *b,
				   const sc_process_def *p)
{
	char path[PATH_LEN];
	if (!b || !b->identity)
		return;
	P(path, "%s.blanket.identity", prefix);
	check_account(v, path, b->identity, "the blanket identity");
	if (!account_known(v->s, b->identity) || empty(p->account) ||
	    !account_known(v->s, p->account))
		return;
	if (!same_account(v->s, b->identity, p->account)) {
		problem(v, path,
			"explicit identity '%s' on a proxy of process '%s', "
			"which runs as '%s': an explicit identity passes that "
			"account's password, and a process holds only its own "
			"account's credentials (name '%s', or leave the "
			"identity out)",
			b->identity, p->name ? p->name : "?", p->account,
			p->account);
		return;
	}
	sc_transport t = (b != &p->blanket && (b->given & SC_GIVEN_TRANSPORT))
				 ? b->transport
				 : p->blanket.transport;
	if (t == SC_TRANSPORT_PIPE || t == SC_TRANSPORT_DDE)
		problem(v, path,
			"explicit identity '%s' on a %s client: only COM and "
			"RPC proxies take one; a %s client presents its own "
			"context",
			b->identity, sc_transport_name(t),
			t == SC_TRANSPORT_PIPE ? "named-pipe" : "DDE");
}

static const sc_step *step_by_id(const sc_scenario *s, const char *id)
{
	for (unsigned i = 0; i < s->processes_count; i++) {
		const sc_process_def *p = &s->processes[i];
		for (unsigned j = 0; j < p->steps_count; j++)
			if (p->steps[j].id &&
			    strcasecmp(p->steps[j].id, id) == 0)
				return &p->steps[j];
	}
	return NULL;
}

/* The type of the object the step named id opens, for its `granted`
 * expectation (a file when there is none). */
static sc_object_type granted_type(const sc_scenario *s, const char *id)
{
	for (unsigned i = 0; id && i < s->processes_count; i++) {
		const sc_process_def *p = &s->processes[i];
		for (unsigned j = 0; j < p->steps_count; j++)
			if (p->steps[j].id &&
			    strcasecmp(p->steps[j].id, id) == 0)
				return step_object_type(s, p, &p->steps[j]);
	}
	return SC_OBJ_FILE;
}

static bool has_step_id(const sc_scenario *s, const char *id)
{
	for (unsigned i = 0; i < s->processes_count; i++) {
		const sc_process_def *p = &s->processes[i];
		for (unsigned j = 0; j < p->steps_count; j++)
			if (p->steps[j].id &&
			    strcasecmp(p->steps[j].id, id) == 0)
				return true;
	}
	return false;
}

/* The first step with this id before (pi, sj), as "processes[a].steps[b]". */
static bool earlier_step_id(const sc_scenario *s, unsigned pi, unsigned sj,
			    const char *id, char *where)
{
	for (unsigned i = 0; i <= pi; i++) {
		const sc_process_def *p = &s->processes[i];
		unsigned end = (i == pi) ? sj : p->steps_count;
		for (unsigned j = 0; j < end; j++) {
			if (p->steps[j].id &&
			    strcasecmp(p->steps[j].id, id) == 0) {
				P(where, "processes[%u].steps[%u]", i, j);
				return true;
			}
		}
	}
	return false;
}

/* Whether name is a declared process; if not, says so at path with the
 * declared names and the nearest one. */
static bool known_process(struct vctx *v, const char *path, const char *name)
{
	const sc_scenario *s = v->s;
	if (sc_scenario_process(s, name))
		return true;
	char names[NAMES_LEN], near[NAMES_LEN];
	join_names(names, sizeof(names), s, s->processes_count, process_at);
	problem(v, path, "unknown process '%s' (%sdeclared processes: %s)",
		name, hint(near, sizeof(near), s, s->processes_count,
			   process_at, name), names);
	return false;
}

/* Which step kinds take each of a step's optional keys: the one place
 * the "'KEY' is not used by step 'KIND' (only ...)" checks come from. */
#define KIND(k) (1ull << SC_STEP_##k)
typedef struct step_key {
	const char *key;
	bool (*given)(const sc_step *st);
	unsigned long long kinds;
	const char *only;
} step_key;
static bool given_to(const sc_step *st) { return st->to; }
static bool given_blanket(const sc_step *st) { return st->blanket; }
static bool given_object(const sc_step *st) { return st->object; }
static bool given_access(const sc_step *st) { return st->access_count; }
static bool given_ms(const sc_step *st) { return st->ms; }
static bool given_level(const sc_step *st)
{
	return st->level != SC_LEVEL_DEFAULT;
}
static bool given_primary(const sc_step *st) { return st->primary; }
static bool given_as_self(const sc_step *st) { return st->as_self; }
static bool given_user(const sc_step *st) { return st->user; }
static bool given_privilege(const sc_step *st) { return st->privilege; }
static bool given_group(const sc_step *st) { return st->group; }
static bool given_holders(const sc_step *st) { return st->holders_count; }
static bool given_keep(const sc_step *st) { return st->keep; }
static bool given_token(const sc_step *st) { return st->token; }
static bool given_scope(const sc_step *st)
{
	return st->scope != SC_SCOPE_LOCAL;
}
static const step_key step_keys[] = {
	{"to", given_to, KIND(CALL) | KIND(SET_BLANKET),
	 "call and set_blanket"},
	{"blanket", given_blanket, KIND(CALL) | KIND(SET_BLANKET),
	 "call and set_blanket"},
	{"object", given_object,
	 KIND(OPEN) | KIND(ACCESS_CHECK) | KIND(CREATE_OBJECT),
	 "open, access_check and create_object"},
	{"access", given_access, KIND(OPEN) | KIND(ACCESS_CHECK),
	 "open and access_check"},
	{"ms", given_ms, KIND(SLEEP), "sleep"},
	{"level", given_level, KIND(IMPERSONATE_SELF) | KIND(DUPLICATE),
	 "impersonate_self and duplicate"},
	{"primary", given_primary, KIND(DUPLICATE), "duplicate"},
	{"as_self", given_as_self, KIND(OPEN_THREAD_TOKEN),
	 "open_thread_token"},
	{"user", given_user, KIND(PROTOCOL_TRANSITION) | KIND(LOGON_USER),
	 "protocol_transition and logon_user"},
	{"privilege", given_privilege,
	 KIND(ASSIGN_RIGHT) | KIND(CHECK_PRIVILEGE) | KIND(ENABLE_PRIVILEGE) |
		 KIND(DISABLE_PRIVILEGE),
	 "assign_right, check_privilege, enable_privilege and "
	 "disable_privilege"},
	{"group", given_group, KIND(ENABLE_GROUP) | KIND(DISABLE_GROUP),
	 "enable_group and disable_group"},
	{"holders", given_holders, KIND(ASSIGN_RIGHT), "assign_right"},
	{"scope", given_scope, KIND(ASSIGN_RIGHT), "assign_right"},
	{"keep", given_keep, KIND(DUPLICATE) | KIND(LOGON_USER),
	 "duplicate and logon_user"},
	{"token", given_token,
	 KIND(SET_THREAD_TOKEN) | KIND(QUERY_LEVEL) | KIND(START_PROCESS),
	 "set_thread_token, query_level and start_process"},
};
_Static_assert(SC_STEP_COUNT <= 64, "step kinds fit the KIND() masks");

static bool step_takes(const sc_step *st, const char *key)
{
	for (size_t i = 0; i < COUNT_OF(step_keys); i++)
		if (strcmp(step_keys[i].key, key) == 0)
			return step_keys[i].kinds & (1ull << st->kind);
	return false;
}

/* A step's id: not empty, and not another step's of the process. */
static void check_step_id(struct vctx *v, const char *pre, unsigned pi,
			  unsigned sj, const sc_step *st)
{
	char path[PATH_LEN], where[PATH_LEN];
	if (!st->id)
		return;
	if (!*st->id)
		problem(v, P(path, "%s.id", pre), "the step id is empty");
	else if (earlier_step_id(v->s, pi, sj, st->id, where))
		problem(v, P(path, "%s.id", pre),
			"duplicate step id '%s' (also %s): expectations name "
			"steps by id", st->id, where);
}

/* call and set_blanket: the callee, another process. */
static void check_step_to(struct vctx *v, const char *pre,
			  const sc_process_def *p, const sc_step *st)
{
	char path[PATH_LEN];
	const char *kind = sc_step_kind_name(st->kind);
	if (empty(st->to))
		problem(v, P(path, "%s.to", pre),
			"step '%s' needs 'to' (the callee process)", kind);
	else if (known_process(v, P(path, "%s.to", pre), st->to) && p->name &&
		 strcmp(st->to, p->name) == 0)
		problem(v, P(path, "%s.to", pre),
			"step '%s' of process '%s' targets itself: a call goes "
			"to another process", kind, p->name);
	check_blanket_identity(v, pre, st->blanket, p);
}

/* open and access_check: a declared object on the process's host, and
 * the rights asked; create_object: a new object's name. */
static void check_step_object(struct vctx *v, const char *pre,
			      const sc_process_def *p, const sc_step *st)
{
	char path[PATH_LEN], near[NAMES_LEN];
	const char *kind = sc_step_kind_name(st->kind);
	const sc_scenario *s = v->s;
	if (st->kind == SC_STEP_CREATE_OBJECT) {
		if (empty(st->object))
			problem(v, P(path, "%s.object", pre),
				"step '%s' needs 'object' (the new object's "
				"name)", kind);
		return;
	}
	if (empty(st->object)) {
		problem(v, P(path, "%s.object", pre),
			"step '%s' needs 'object'", kind);
	} else if (!sc_scenario_object(s, p->host, st->object)) {
		const sc_object_def *o = sc_scenario_object(s, NULL, st->object);
		if (o)
			problem(v, P(path, "%s.object", pre),
				"object '%s' is on host '%s', not on '%s' where "
				"process '%s' runs: a process opens only local "
				"objects",
				st->object, o->host ? o->host : "",
				p->host ? p->host : "", p->name ? p->name : "");
		else
			problem(v, P(path, "%s.object", pre),
				"unknown object '%s' (%sno object of that name "
				"on host '%s')",
				st->object,
				object_hint(s, p->host, st->object, near,
					    sizeof(near)),
				p->host ? p->host : "");
	}
	check_rights(v, pre, step_object_type(s, p, st), st->access,
		     st->access_count);
}

/* Whether a step of p before st keeps a token named name. */
static bool kept_before(const sc_process_def *p, const sc_step *st,
			const char *name)
{
	for (const sc_step *k = p->steps; k < st; k++)
		if ((k->kind == SC_STEP_DUPLICATE ||
		     k->kind == SC_STEP_LOGON_USER) &&
		    k->keep && strcmp(k->keep, name) == 0)
			return true;
	return false;
}

/* A user right named in a scenario: one Windows has (a typo would
 * otherwise be a right nobody checks), with did-you-mean. */
static void check_user_right(struct vctx *v, const char *path,
			     const char *name)
{
	if (empty(name) || sc_user_right_known(name))
		return;
	const char *near = sc_suggest_nearest(name, sc_user_rights,
					      sc_user_right_count);
	if (near)
		problem(v, path, "unknown user right '%s' (did you mean '%s'?)",
			name, near);
	else
		problem(v, path, "unknown user right '%s' (privileges such as "
			"SeImpersonatePrivilege, logon rights such as "
			"SeNetworkLogonRight)", name);
}

/* What the keys a step kind takes must hold: the user, privilege,
 * group, holders and the process a step runs in calls from. */
static void check_step_values(struct vctx *v, const char *pre,
			      const sc_process_def *p, const sc_step *st)
{
	char path[PATH_LEN];
	const char *kind = sc_step_kind_name(st->kind);
	if (st->user && step_takes(st, "user"))
		check_account(v, P(path, "%s.user", pre), st->user, "the user");
	if (step_takes(st, "privilege") && empty(st->privilege))
		problem(v, P(path, "%s.privilege", pre),
			"step '%s' needs 'privilege' (e.g. "
			"SeImpersonatePrivilege)", kind);
	else if (step_takes(st, "privilege"))
		check_user_right(v, P(path, "%s.privilege", pre),
				 st->privilege);
	if (step_takes(st, "group") && empty(st->group))
		problem(v, P(path, "%s.group", pre),
			"step '%s' needs 'group' (e.g. Domain Users)", kind);
	else if (step_takes(st, "group"))
		check_principal(v, P(path, "%s.group", pre), st->group);
	for (unsigned m = 0; step_takes(st, "holders") && m < st->holders_count;
	     m++)
		check_principal(v, P(path, "%s.holders[%u]", pre, m),
				st->holders[m]);
	if (st->kind == SC_STEP_SET_THREAD_TOKEN && empty(st->token))
		problem(v, P(path, "%s.token", pre),
			"step '%s' needs 'token' (the name a duplicate or "
			"logon_user step kept its token under)", kind);
	else if (st->token && step_takes(st, "token") &&
		 !kept_before(p, st, st->token))
		problem(v, P(path, "%s.token", pre),
			"no earlier step of process '%s' keeps a token named "
			"'%s' (a duplicate or logon_user step with keep: %s)",
			p->name ? p->name : "", st->token, st->token);
	if (st->keep && empty(st->keep))
		problem(v, P(path, "%s.keep", pre), "the kept token's name is "
			"empty");
	else if (st->keep && st->kind == SC_STEP_LOGON_USER && !st->user)
		problem(v, P(path, "%s.keep", pre),
			"step 'logon_user' keeps a token only with 'user' (the "
			"account whose password it logs on with)");
	if (st->kind == SC_STEP_LOGON_USER && !empty(st->user) &&
	    account_known(v->s, st->user) &&
	    !sc_scenario_account(v->s, st->user))
		problem(v, P(path, "%s.user", pre),
			"'%s' is a well-known service account, which has no "
			"password: LogonUser with explicit credentials names a "
			"domain account", st->user);
	if (st->from && known_process(v, P(path, "%s.from", pre), st->from) &&
	    p->name && strcmp(st->from, p->name) == 0)
		problem(v, P(path, "%s.from", pre),
			"'from' names process '%s' itself: a step runs in "
			"calls from another process", p->name);
}

static void validate_step(struct vctx *v, unsigned pi, unsigned sj)
{
	const sc_process_def *p = &v->s->processes[pi];
	const sc_step *st = &p->steps[sj];
	char pre[PATH_LEN], path[PATH_LEN];
	P(pre, "processes[%u].steps[%u]", pi, sj);
	check_step_id(v, pre, pi, sj, st);
	for (size_t i = 0; i < COUNT_OF(step_keys); i++)
		if (step_keys[i].given(st) &&
		    !(step_keys[i].kinds & (1ull << st->kind)))
			problem(v, P(path, "%s.%s", pre, step_keys[i].key),
				"'%s' is not used by step '%s' (only %s)",
				step_keys[i].key, sc_step_kind_name(st->kind),
				step_keys[i].only);
	if (step_takes(st, "to"))
		check_step_to(v, pre, p, st);
	if (step_takes(st, "object"))
		check_step_object(v, pre, p, st);
	check_step_values(v, pre, p, st);
}

/* D4: a process's spn is well formed and one of its account's spns (a
 * service presents as an SPN its account holds). */
static void check_process_spn(struct vctx *v, const char *pre,
			      const sc_process_def *p)
{
	if (!p->spn)
		return;
	char path[PATH_LEN];
	P(path, "%s.spn", pre);
	const char *why = sc_spn_syntax(p->spn);
	if (why) {
		problem(v, path, "'%s' is not an SPN: %s", p->spn, why);
		return;
	}
	const sc_account_def *a =
		p->account ? sc_scenario_account(v->s, p->account) : NULL;
	if (sc_account_holds_spn(a, p->spn))
		return;
	const sc_account_def *holder = sc_scenario_spn_holder(v->s, p->spn);
	char near[NAMES_LEN] = "";
	if (a && !holder) {
		const char *cands[64];
		unsigned n = 0;
		for (unsigned k = 0; k < a->spns_count && n < 64; k++)
			cands[n++] = a->spns[k];
		const char *m = sc_suggest_nearest(p->spn, cands, n);
		if (m)
			snprintf(near, sizeof(near), "did you mean '%s'? ", m);
	}
	if (holder)
		problem(v, path,
			"'%s' is an SPN of '%s', not of the process's account "
			"'%s' (a service presents as an SPN its account holds)",
			p->spn, holder->name, p->account ? p->account : "");
	else
		problem(v, path,
			"the process's account '%s' holds no SPN '%s' (%sa "
			"service presents as an SPN its account's spns hold)",
			p->account ? p->account : "", p->spn, near);
}

/* T6: each name in a process's deny_only_groups / disabled_groups is one
 * of its account's groups, named once across both lists. */
static void check_group_states(struct vctx *v, const char *pre,
			       const sc_process_def *p)
{
	char path[PATH_LEN];
	const char *key[2] = {"deny_only_groups", "disabled_groups"};
	char **list[2] = {p->deny_only_groups, p->disabled_groups};
	unsigned count[2] = {p->deny_only_groups_count,
			     p->disabled_groups_count};
	for (unsigned l = 0; l < 2; l++) {
		for (unsigned k = 0; k < count[l]; k++) {
			const char *g = list[l][k];
			const char *near;
			P(path, "%s.%s[%u]", pre, key[l], k);
			if (empty(g)) {
				problem(v, path, "the group name is empty");
				continue;
			}
			if (!is_group_of_account(v->s, p->account, g, &near)) {
				char hintbuf[NAMES_LEN] = "";
				if (near)
					snprintf(hintbuf, sizeof(hintbuf),
						 "did you mean '%s'? ", near);
				problem(v, path,
					"'%s' is not a group of the process's "
					"account '%s' (%sonly the account's "
					"groups can be deny-only or disabled)",
					g, p->account ? p->account : "",
					hintbuf);
				continue;
			}
			bool dup = false;
			for (unsigned l2 = 0; l2 <= l && !dup; l2++) {
				unsigned end = l2 == l ? k : count[l2];
				for (unsigned j = 0; j < end && !dup; j++)
					if (list[l2][j] &&
					    strcasecmp(list[l2][j], g) == 0) {
						problem(v, path,
							"group '%s' is already "
							"in %s[%u]",
							g, key[l2], j);
						dup = true;
					}
			}
		}
	}
}

static void validate_processes(struct vctx *v)
{
	const sc_scenario *s = v->s;
	char path[PATH_LEN], pre[PATH_LEN];
	for (unsigned i = 0; i < s->processes_count; i++) {
		const sc_process_def *p = &s->processes[i];
		P(pre, "processes[%u]", i);
		char why[200];
		if (!sc_process_name_ok(p->name, why, sizeof(why))) {
			problem(v, P(path, "%s.name", pre), "%s", why);
		} else {
			for (unsigned j = 0; j < i; j++) {
				const char *o = s->processes[j].name;
				if (o && strcmp(o, p->name) == 0) {
					problem(v, P(path, "%s.name", pre),
						"duplicate process '%s' (also "
						"processes[%u])", p->name, j);
					break;
				}
			}
		}
		check_host(v, pre, p->host);
		check_account(v, P(path, "%s.account", pre), p->account,
			      "the account");
		check_blanket_identity(v, pre, &p->blanket, p);
		check_group_states(v, pre, p);
		check_process_spn(v, pre, p);
		for (unsigned j = 0; j < p->steps_count; j++)
			validate_step(v, i, j);
	}
}

static void validate_objects(struct vctx *v)
{
	const sc_scenario *s = v->s;
	char path[PATH_LEN], pre[PATH_LEN];
	for (unsigned i = 0; i < s->objects_count; i++) {
		const sc_object_def *o = &s->objects[i];
		P(pre, "objects[%u]", i);
		if (empty(o->name)) {
			problem(v, P(path, "%s.name", pre),
				"the object name is empty");
		} else {
			for (unsigned j = 0; j < i; j++) {
				const sc_object_def *e = &s->objects[j];
				if (!e->name || strcmp(e->name, o->name) != 0 ||
				    !e->host || !o->host ||
				    strcmp(e->host, o->host) != 0)
					continue;
				problem(v, P(path, "%s.name", pre),
					"duplicate object '%s' on host '%s' "
					"(also objects[%u])", o->name, o->host,
					j);
				break;
			}
		}
		check_host(v, pre, o->host);
		check_object_sddl(v, pre, o);
		if (o->owner)
			check_principal(v, P(path, "%s.owner", pre), o->owner);
		if (o->null_dacl && o->dacl_count)
			problem(v, P(path, "%s.dacl", pre),
				"null_dacl is true but dacl has %u entr%s: a "
				"NULL DACL has no entries", o->dacl_count,
				o->dacl_count == 1 ? "y" : "ies");
		for (unsigned k = 0; k < o->dacl_count; k++) {
			const sc_ace_def *a = &o->dacl[k];
			char ace[PATH_LEN];
			P(ace, "%s.dacl[%u]", pre, k);
			if (a->allow && a->deny)
				problem(v, ace,
					"an ACE has both 'allow' and 'deny': "
					"write two ACEs");
			else if (!a->allow && !a->deny)
				problem(v, ace,
					"an ACE needs 'allow' or 'deny' (the "
					"principal)");
			if (a->allow)
				check_principal(v, P(path, "%s.allow", ace),
						a->allow);
			if (a->deny)
				check_principal(v, P(path, "%s.deny", ace),
						a->deny);
			if (!a->access_count)
				problem(v, P(path, "%s.access", ace),
					"an ACE needs at least one access "
					"right");
			check_rights(v, ace, o->type, a->access,
				     a->access_count);
		}
	}
}

/* The rule ids as ranges, one a family ("L1-L6, D1-D8, ..."): SC_RULES
 * lists each family's ids together and in order. */
static void rule_ranges(char *out, size_t len)
{
	size_t l = 0;
	out[0] = '\0';
	for (size_t i = 0, first = 0; i < sc_rule_count && l < len; i++) {
		if (i + 1 < sc_rule_count &&
		    sc_rule_ids[i + 1][0] == sc_rule_ids[first][0])
			continue;
		l += (size_t)snprintf(out + l, len - l, "%s%s-%s",
				      first ? ", " : "", sc_rule_ids[first],
				      sc_rule_ids[i]);
		first = i + 1;
	}
}

/* An expectation's rule id: one of docs/rules.md's (sc_common.h's
 * SC_RULES), and for a `warning:` one of the rules that warn. */
static void check_rule_id(struct vctx *v, const char *path, const char *id,
			  bool warning)
{
	if (sc_rule_known(id)) {
		if (!warning || sc_rule_warns(id))
			return;
		char warns[64] = "";
		for (size_t i = 0; i < sc_rule_count; i++)
			if (sc_rule_warns(sc_rule_ids[i])) {
				size_t l = strlen(warns);
				snprintf(warns + l, sizeof(warns) - l, "%s%s",
					 l ? ", " : "", sc_rule_ids[i]);
			}
		problem(v, path, "'%s' never warns (the rules that warn: %s; "
			"or none)", id, warns);
		return;
	}
	const char *near = sc_suggest_nearest(id, sc_rule_ids, sc_rule_count);
	char ranges[128];
	rule_ranges(ranges, sizeof(ranges));
	problem(v, path, "unknown rule id '%s' (%s%s%sthe ids are those of "
		"docs/rules.md: %s)", id, near ? "did you mean '" : "",
		near ? near : "", near ? "'? " : "", ranges);
}

bool sc_expect_status_negated(const char *status)
{
	return status && status[0] == SC_STATUS_NOT;
}

const char *sc_expect_status_name(const char *status)
{
	return sc_expect_status_negated(status) ? status + 1 : status;
}

/* Expectations compare case-insensitively: so does a hop's lookup. */
static const sc_process_def *process_nocase(const sc_scenario *s,
					    const char *name)
{
	const sc_process_def *p = sc_scenario_process(s, name);
	for (unsigned i = 0; !p && i < s->processes_count; i++)
		if (s->processes[i].name &&
		    strcasecmp(s->processes[i].name, name) == 0)
			p = &s->processes[i];
	return p;
}

static bool calls(const sc_process_def *from, const char *to)
{
	for (unsigned j = 0; j < from->steps_count; j++)
		if (from->steps[j].kind == SC_STEP_CALL && from->steps[j].to &&
		    strcmp(from->steps[j].to, to) == 0)
			return true;
	return false;
}

static void check_hop(struct vctx *v, const char *path, const char *hop)
{
	const char *arrow = strstr(hop, "->");
	char from[128], to[128];
	if (!arrow || arrow == hop || (size_t)(arrow - hop) >= sizeof(from))
		goto bad;
	memcpy(from, hop, (size_t)(arrow - hop));
	from[arrow - hop] = '\0';
	const char *rest = arrow + 2;
	const char *hash = strchr(rest, '#');
	size_t tolen = hash ? (size_t)(hash - rest) : strlen(rest);
	if (tolen == 0 || tolen >= sizeof(to))
		goto bad;
	memcpy(to, rest, tolen);
	to[tolen] = '\0';
	if (hash) {
		const char *n = hash + 1;
		if (!*n || *n == '0')
			goto bad;
		for (; *n; n++)
			if (!isdigit((unsigned char)*n))
				goto bad;
	}
	const sc_process_def *pf = process_nocase(v->s, from);
	const sc_process_def *pt = process_nocase(v->s, to);
	if (!pf || !pt) {
		char names[NAMES_LEN];
		join_names(names, sizeof(names), v->s, v->s->processes_count,
			   process_at);
		char near[NAMES_LEN];
		problem(v, path,
			"unknown process '%s' in hop '%s' (%sdeclared "
			"processes: %s)", pf ? to : from, hop,
			hint(near, sizeof(near), v->s, v->s->processes_count,
			     process_at, pf ? to : from), names);
		return;
	}
	if (!calls(pf, pt->name))
		problem(v, path,
			"hop '%s' cannot happen: no call step of process '%s' "
			"goes to '%s'", hop, from, to);
	return;
bad:
	problem(v, path,
		"'%s' is not a hop (expected FROM->TO or FROM->TO#N, N >= 1)",
		hop);
}

/* The keys of an expectation that only a hop has. */
static void check_hop_only(struct vctx *v, const char *pre,
			   const sc_expect_def *e)
{
	char path[PATH_LEN];
	const struct {
		const char *key;
		bool given;
		const char *what;
	} only[] = {
		{"authn", e->authn, "the authentication level of a hop"},
		{"chosen", e->chosen, "the identity a caller chose for a hop"},
	};
	for (size_t i = 0; !e->hop && i < COUNT_OF(only); i++)
		if (only[i].given)
			problem(v, P(path, "%s.%s", pre, only[i].key),
				"'%s' is %s: name the hop with 'hop'",
				only[i].key, only[i].what);
}

static void validate_expect(struct vctx *v, const char *pre,
			    const sc_expect_def *e)
{
	char path[PATH_LEN], names[NAMES_LEN];
	sc_level level;
	sc_status status;

	if (e->hop && e->step) {
		problem(v, pre,
			"an expectation has both 'hop' and 'step': use one");
	} else if (!e->hop && !e->step) {
		problem(v, pre, "an expectation needs 'hop' or 'step'");
	}
	if (e->hop)
		check_hop(v, P(path, "%s.hop", pre), e->hop);
	if (e->step && !has_step_id(v->s, e->step))
		problem(v, P(path, "%s.step", pre),
			"no step has id '%s'", e->step);
	if (e->level && sc_level_parse(e->level, &level) != 0) {
		join_enum(names, sizeof(names), level_name_i, SC_LEVEL_COUNT);
		problem(v, P(path, "%s.level", pre),
			"invalid level '%s' (expected one of: %s)", e->level,
			names);
	}
	/* "!OK": any status but OK (sc_expect_status_negated). */
	const char *st_name = e->status ? sc_expect_status_name(e->status)
					: NULL;
	if (st_name && sc_status_parse(st_name, &status) != 0) {
		join_enum(names, sizeof(names), status_name_i,
			  SC_STATUS_COUNT);
		const char *near = sc_status_suggest(st_name);
		const char *neg = st_name != e->status ? "!" : "";
		problem(v, P(path, "%s.status", pre),
			"invalid status '%s' (%s%s%s%sexpected one of: %s, "
			"or one of them after '!' for any other status)",
			e->status, near ? "did you mean '" : "",
			near ? neg : "", near ? near : "", near ? "'? " : "",
			names);
	}
	if (e->absent)
		check_rule_id(v, P(path, "%s.absent", pre), e->absent, false);
	check_hop_only(v, pre, e);
	if (e->authn && e->hop) {
		sc_authn a;
		if (sc_authn_parse(e->authn, &a) != 0) {
			const char *cands[SC_AUTHN_COUNT];
			for (int i = 0; i < SC_AUTHN_COUNT; i++)
				cands[i] = sc_authn_name((sc_authn)i);
			const char *near = sc_suggest_nearest(
				e->authn, cands, SC_AUTHN_COUNT);
			join_table(names, sizeof(names), cands,
				   SC_AUTHN_COUNT);
			problem(v, P(path, "%s.authn", pre),
				"invalid authentication level '%s' (%s%s%s"
				"expected one of: %s)",
				e->authn, near ? "did you mean '" : "",
				near ? near : "", near ? "'? " : "", names);
		}
	}
	if (e->note && !e->note[0])
		problem(v, P(path, "%s.note", pre),
			"'note' is empty: it would match any note (give a "
			"word of the note's text)");
	else if (e->note && strlen(e->note) >= SC_NOTE_TEXT)
		problem(v, P(path, "%s.note", pre),
			"'note' is longer than a note can be (%d bytes): it "
			"can match none", SC_NOTE_TEXT - 1);
	if (e->warning && strcasecmp(e->warning, "none") != 0)
		check_rule_id(v, P(path, "%s.warning", pre), e->warning, true);
	if (e->runs_as) {
		const sc_step *st = e->step ? step_by_id(v->s, e->step) : NULL;
		if (!e->step)
			problem(v, P(path, "%s.runs_as", pre),
				"'runs_as' is for a start_process step: "
				"name it with 'step'");
		else if (st && st->kind != SC_STEP_START_PROCESS)
			problem(v, P(path, "%s.runs_as", pre),
				"'runs_as' is for a start_process step; step "
				"'%s' is a %s step",
				e->step, sc_step_kind_name(st->kind));
		check_account(v, P(path, "%s.runs_as", pre), e->runs_as,
			      "the account the new process runs as");
	}
	if (e->rule)
		check_rule_id(v, P(path, "%s.rule", pre), e->rule, false);
	if (e->granted) {
		/* "read|write": every part a right name of the type of the
		 * object the step opens (T6). */
		sc_object_type t = granted_type(v->s, e->step);
		const char *g = e->granted;
		for (;;) {
			const char *bar = strchr(g, '|');
			size_t n = bar ? (size_t)(bar - g) : strlen(g);
			char one[64];
			bool ok = n > 0 && n < sizeof(one);
			if (ok) {
				memcpy(one, g, n);
				one[n] = '\0';
				ok = right_known(t, one);
			}
			if (!ok) {
				const char *near = right_names_of(
					t, n < sizeof(one) ? one : NULL, names,
					sizeof(names));
				problem(v, P(path, "%s.granted", pre),
					"'%s' is not a '|'-joined list of "
					"access rights of a %s (%s%s%sexpected: "
					"%s)",
					e->granted, sc_object_type_name(t),
					near ? "did you mean '" : "",
					near ? near : "", near ? "'? " : "",
					names);
				break;
			}
			if (!bar)
				break;
			g = bar + 1;
		}
	}
}

/* What an expectation aims at, for messages: "hop 'B->C'" or "step
 * 'c-open'". */
static const char *target_text(const sc_expect_def *e, char *buf,
			       size_t len)
{
	snprintf(buf, len, "%s '%s'", e->hop ? "hop" : "step",
		 e->hop ? e->hop : e->step ? e->step : "");
	return buf;
}

/* A variant's {hop|step: X, drop: true}: it names X and nothing else,
 * the scenario has an expectation on X, and the variant does not also
 * expect X. */
static void validate_drop(struct vctx *v, const char *pre,
			  const sc_variant_def *vd, unsigned k)
{
	const sc_scenario *s = v->s;
	const sc_expect_def *e = &vd->expect[k];
	char path[PATH_LEN], what[300];
	if (!e->hop == !e->step) {
		problem(v, pre, "a dropping expectation names one 'hop' or "
				"'step': the target whose expectations it "
				"drops");
		return;
	}
	const struct {
		const char *key;
		bool given;
	} others[] = {
		{"presented", e->presented}, {"level", e->level},
		{"status", e->status},       {"warning", e->warning},
		{"rule", e->rule},           {"granted", e->granted},
		{"runs_as", e->runs_as},     {"ran", e->ran},
		{"absent", e->absent},       {"authn", e->authn},
		{"note", e->note},           {"chosen", e->chosen},
	};
	for (size_t i = 0; i < COUNT_OF(others); i++)
		if (others[i].given) {
			problem(v, P(path, "%s.%s", pre, others[i].key),
				"a dropping expectation takes no '%s': it "
				"only drops the scenario's expectations on "
				"%s (write the new one without 'drop')",
				others[i].key, target_text(e, what,
							   sizeof(what)));
			return;
		}
	const char *key = e->hop ? "hop" : "step";
	for (unsigned j = 0; j < vd->expect_count; j++)
		if (j != k && !vd->expect[j].drop &&
		    sc_expect_same_target(&vd->expect[j], e)) {
			problem(v, P(path, "%s.%s", pre, key),
				"variant '%s' both drops and expects %s (its "
				"expect[%u]): an expectation of the variant "
				"already replaces the scenario's on it",
				vd->name ? vd->name : "",
				target_text(e, what, sizeof(what)), j);
			return;
		}
	const char *cands[64];
	size_t nc = 0;
	char names[NAMES_LEN] = "";
	for (unsigned j = 0; j < s->expect_count; j++) {
		const sc_expect_def *o = &s->expect[j];
		if (sc_expect_same_target(o, e))
			return;
		const char *t = o->hop ? o->hop : o->step;
		if (!t || !o->hop != !e->hop)
			continue;
		bool seen = false;
		for (size_t c = 0; c < nc && !seen; c++)
			seen = strcasecmp(cands[c], t) == 0;
		if (seen || nc == COUNT_OF(cands))
			continue;
		cands[nc++] = t;
		size_t l = strlen(names);
		snprintf(names + l, sizeof(names) - l, "%s%s", nc > 1 ? ", " : "",
			 t);
	}
	if (!nc) {
		problem(v, P(path, "%s.%s", pre, key),
			"drops nothing: the scenario has no expectation on "
			"%s (nor on any %s)", target_text(e, what, sizeof(what)),
			key);
		return;
	}
	const char *near = sc_suggest_nearest(e->hop ? e->hop : e->step, cands,
					      nc);
	problem(v, P(path, "%s.%s", pre, key),
		"drops nothing: the scenario has no expectation on %s "
		"(%s%s%sits %ss with expectations: %s)",
		target_text(e, what, sizeof(what)), near ? "did you mean '" : "",
		near ? near : "", near ? "'? " : "", key, names);
}

static void validate_variants(struct vctx *v)
{
	const sc_scenario *s = v->s;
	char path[PATH_LEN], pre[PATH_LEN];
	for (unsigned i = 0; i < s->variants_count; i++) {
		const sc_variant_def *vd = &s->variants[i];
		if (empty(vd->name)) {
			problem(v, P(path, "variants[%u].name", i),
				"the variant name is empty");
		} else if (strcasecmp(vd->name, SC_AS_WRITTEN) == 0) {
			problem(v, P(path, "variants[%u].name", i),
				"'%s' names the case of the file as written; "
				"a variant needs another name", vd->name);
		} else {
			for (unsigned j = 0; j < i; j++) {
				const char *o = s->variants[j].name;
				if (o && strcmp(o, vd->name) == 0) {
					problem(v,
						P(path, "variants[%u].name", i),
						"duplicate variant '%s' (also "
						"variants[%u])", vd->name, j);
					break;
				}
			}
		}
		for (unsigned k = 0; k < vd->set_count; k++) {
			struct set_op op;
			char err[MSG_LEN];
			int rc = set_parse(s, vd->set[k], &op, err,
					   sizeof(err));
			free(op.sval);
			free(op.privilege);
			if (rc != 0)
				problem(v,
					P(path, "variants[%u].set[%u]", i, k),
					"%s", err);
		}
		for (unsigned k = 0; k < vd->expect_count; k++) {
			P(pre, "variants[%u].expect[%u]", i, k);
			if (vd->expect[k].drop)
				validate_drop(v, pre, vd, k);
			else
				validate_expect(v, pre, &vd->expect[k]);
		}
	}
}

/* ---- caps -------------------------------------------------------------- */

/* One list against its cap: the element just past the cap is reported. */
static bool cap_ok(struct vctx *v, const char *list_path, unsigned count,
		   unsigned cap, const char *what)
{
	if (count <= cap)
		return true;
	char path[PATH_LEN];
	problem(v, P(path, "%s[%u]", list_path, cap),
		"too many %s: %u, more than the cap of %u (this is number "
		"%u)", what, count, cap, cap + 1);
	return false;
}

/* Every count of the scenario against its cap. Returns false when one is
 * over: the other checks are then skipped, their work being bounded only
 * by the caps. */
static bool validate_caps(struct vctx *v)
{
	const sc_scenario *s = v->s;
	char pre[PATH_LEN], path[PATH_LEN];
	bool ok = cap_ok(v, "domain.accounts", s->domain.accounts_count,
			 SC_MAX_ACCOUNTS, "accounts");
	ok &= cap_ok(v, "hosts", s->hosts_count, SC_MAX_HOSTS, "hosts");
	ok &= cap_ok(v, "processes", s->processes_count, SC_MAX_PROCESSES,
		     "processes");
	ok &= cap_ok(v, "objects", s->objects_count, SC_MAX_OBJECTS,
		     "objects");
	ok &= cap_ok(v, "expect", s->expect_count, SC_MAX_EXPECT,
		     "expectations");
	ok &= cap_ok(v, "variants", s->variants_count, SC_MAX_VARIANTS,
		     "variants");
	if (!ok)
		return false;
	for (unsigned i = 0; i < s->domain.accounts_count; i++) {
		const sc_account_def *a = &s->domain.accounts[i];
		P(pre, "domain.accounts[%u]", i);
		ok &= cap_ok(v, P(path, "%s.groups", pre), a->groups_count,
			     SC_MAX_LIST, "groups");
		ok &= cap_ok(v, P(path, "%s.spns", pre), a->spns_count,
			     SC_MAX_LIST, "SPNs");
		ok &= cap_ok(v, P(path, "%s.allowed_to_delegate_to", pre),
			     a->allowed_to_delegate_to_count, SC_MAX_LIST,
			     "delegation targets");
		ok &= cap_ok(v, P(path, "%s.allowed_to_act", pre),
			     a->allowed_to_act_count, SC_MAX_LIST,
			     "accounts allowed to act");
	}
	for (unsigned i = 0; i < s->hosts_count; i++) {
		const sc_host_def *h = &s->hosts[i];
		P(pre, "hosts[%u]", i);
		ok &= cap_ok(v, P(path, "%s.rights", pre), h->rights_count,
			     SC_MAX_LIST, "rights assignments");
		for (unsigned k = 0; k < h->rights_count; k++)
			ok &= cap_ok(v, P(path, "%s.rights[%u].holders", pre, k),
				     h->rights[k].holders_count, SC_MAX_LIST,
				     "holders");
	}
	for (unsigned i = 0; i < s->processes_count; i++) {
		const sc_process_def *p = &s->processes[i];
		P(pre, "processes[%u]", i);
		if (!cap_ok(v, P(path, "%s.steps", pre), p->steps_count,
			    SC_MAX_STEPS, "steps for one process")) {
			ok = false;
			continue;
		}
		for (unsigned j = 0; j < p->steps_count; j++) {
			const sc_step *st = &p->steps[j];
			ok &= cap_ok(v, P(path, "%s.steps[%u].access", pre, j),
				     st->access_count, SC_MAX_LIST,
				     "access rights");
			ok &= cap_ok(v, P(path, "%s.steps[%u].holders", pre, j),
				     st->holders_count, SC_MAX_LIST,
				     "holders");
		}
	}
	for (unsigned i = 0; i < s->objects_count; i++) {
		const sc_object_def *o = &s->objects[i];
		P(pre, "objects[%u]", i);
		if (!cap_ok(v, P(path, "%s.dacl", pre), o->dacl_count,
			    SC_MAX_LIST, "ACL entries")) {
			ok = false;
			continue;
		}
		for (unsigned k = 0; k < o->dacl_count; k++)
			ok &= cap_ok(v, P(path, "%s.dacl[%u].access", pre, k),
				     o->dacl[k].access_count, SC_MAX_LIST,
				     "access rights");
	}
	for (unsigned i = 0; i < s->variants_count; i++) {
		const sc_variant_def *vd = &s->variants[i];
		P(pre, "variants[%u]", i);
		ok &= cap_ok(v, P(path, "%s.set", pre), vd->set_count,
			     SC_MAX_LIST, "settings");
		ok &= cap_ok(v, P(path, "%s.expect", pre), vd->expect_count,
			     SC_MAX_EXPECT, "expectations");
	}
	return ok;
}

/* ---- the call graph ----------------------------------------------------- */

/* A process serving a call runs its steps whose "from" is empty or names
 * the caller; a client runs those without "from". So a node of the graph
 * is (process, its caller or none), and an edge is a call step that runs
 * there. A loop of such edges never ends; a path is a call chain. */
#define CG_NONE (g->n) /* no caller: the process is a client */

struct callgraph {
	struct vctx *v;
	unsigned n;                     /* processes; nodes: n * (n + 1) */
	unsigned char *color;           /* 0 new, 1 on the path, 2 done */
	unsigned *longest;              /* hops below this node */
	unsigned short *next_step;      /* the call step that starts them */
	unsigned stack[SC_MAX_HOPS + 2];
	unsigned depth;
	bool reported;
};

static bool step_runs(const struct callgraph *g, const sc_step *st,
		      unsigned caller)
{
	const sc_scenario *s = g->v->s;
	if (!st->from)
		return true;
	return caller != CG_NONE &&
	       strcmp(st->from, s->processes[caller].name) == 0;
}

/* "A -> B -> C": the processes of the nodes on the stack from index from,
 * then of the node tail and the longest chain below it (when tail is not
 * CG_END). */
#define CG_END ((unsigned)-1)

static void cg_chain(const struct callgraph *g, unsigned from, unsigned tail,
		     char *buf, size_t len)
{
	const sc_scenario *s = g->v->s;
	size_t n = 0;
	unsigned count = 0;
	buf[0] = '\0';
	for (unsigned i = from; i <= g->depth && n < len; i++) {
		unsigned node = i < g->depth ? g->stack[i] : tail;
		if (node == CG_END)
			break;
		for (;;) {
			int w = snprintf(buf + n, len - n, "%s%s",
					 count++ ? " -> " : "",
					 s->processes[node / (CG_NONE + 1)].name);
			if (w < 0 || (size_t)w >= len - n)
				return;
			n += (size_t)w;
			/* Past the stack: follow the longest chain down. */
			if (i < g->depth || !g->longest[node])
				break;
			unsigned p = node / (CG_NONE + 1);
			const sc_step *st =
				&s->processes[p].steps[g->next_step[node]];
			const sc_process_def *t = sc_scenario_process(s, st->to);
			node = (unsigned)(t - s->processes) * (CG_NONE + 1) + p;
		}
	}
}

/* Depth-first from node (process p, called by c); stops at the first
 * problem. The stack holds the path from a client: depth nodes, so the
 * calls made here are hop number depth. */
static void cg_visit(struct callgraph *g, unsigned p, unsigned c)
{
	const sc_scenario *s = g->v->s;
	unsigned node = p * (CG_NONE + 1) + c;
	g->color[node] = 1;
	g->stack[g->depth++] = node;
	const sc_process_def *pd = &s->processes[p];
	for (unsigned j = 0; j < pd->steps_count && !g->reported; j++) {
		const sc_step *st = &pd->steps[j];
		if (st->kind != SC_STEP_CALL || !st->to || !step_runs(g, st, c))
			continue;
		const sc_process_def *t = sc_scenario_process(s, st->to);
		if (!t)
			continue;
		unsigned q = (unsigned)(t - s->processes);
		unsigned next = q * (CG_NONE + 1) + p;
		char path[PATH_LEN], chain[MSG_LEN / 2];
		P(path, "processes[%u].steps[%u].to", p, j);
		if (g->color[next] == 1) {
			unsigned at = 0;
			while (g->stack[at] != next)
				at++;
			g->stack[g->depth] = next;
			g->depth++;
			cg_chain(g, at, CG_END, chain, sizeof(chain));
			g->depth--;
			problem(g->v, path,
				"this call closes a loop: %s, and so on without "
				"end (each call in it makes the next)", chain);
			g->reported = true;
			break;
		}
		/* This call is hop number depth; below it, at least the
		 * longest chain already known from next. */
		unsigned hops = g->depth + (g->color[next] == 2
						    ? g->longest[next] : 0);
		if (hops > SC_MAX_HOPS) {
			cg_chain(g, 0, next, chain, sizeof(chain));
			problem(g->v, path,
				"this call makes a chain of %u hops (%s), more "
				"than the cap of %u", hops, chain, SC_MAX_HOPS);
			g->reported = true;
			break;
		}
		if (g->color[next] == 0)
			cg_visit(g, q, p);
		if (!g->reported && g->longest[next] + 1 > g->longest[node]) {
			g->longest[node] = g->longest[next] + 1;
			g->next_step[node] = (unsigned short)j;
		}
	}
	g->depth--;
	g->color[node] = 2;
}

/* Loops and chains longer than SC_MAX_HOPS, from every client. */
static void validate_call_graph(struct vctx *v)
{
	const sc_scenario *s = v->s;
	struct callgraph *g = calloc(1, sizeof(*g));
	size_t nodes = (size_t)s->processes_count * (s->processes_count + 1);
	if (g) {
		g->n = s->processes_count;
		g->color = calloc(nodes ? nodes : 1, sizeof(*g->color));
		g->longest = calloc(nodes ? nodes : 1, sizeof(*g->longest));
		g->next_step = calloc(nodes ? nodes : 1, sizeof(*g->next_step));
	}
	if (!g || !g->color || !g->longest || !g->next_step) {
		problem(v, "processes", "out of memory");
		if (g) {
			free(g->color);
			free(g->longest);
			free(g->next_step);
		}
		free(g);
		return;
	}
	g->v = v;
	/* From every process as a client: its steps without "from". For a
	 * process only ever called these run in every call too, so a loop
	 * among them is a loop whoever starts it. */
	for (unsigned p = 0; p < s->processes_count && !g->reported; p++)
		if (g->color[p * (CG_NONE + 1) + CG_NONE] == 0)
			cg_visit(g, p, CG_NONE);
	free(g->color);
	free(g->longest);
	free(g->next_step);
	free(g);
}

unsigned sc_scenario_validate(const sc_scenario *s,
			      sc_scenario_report_fn report, void *user)
{
	struct vctx v = {.s = s, .report = report, .user = user};
	char path[PATH_LEN];

	if (!s) {
		problem(&v, "", "no scenario");
		return v.problems;
	}
	if (!validate_caps(&v))
		return v.problems;
	if (empty(s->name))
		problem(&v, "scenario", "the scenario name is empty");
	if (empty(s->domain.name))
		problem(&v, "domain.name", "the domain name is empty");
	validate_accounts(&v);
	validate_hosts(&v);
	validate_processes(&v);
	validate_objects(&v);
	if (s->settings.double_hop_status) {
		sc_status st;
		if (sc_status_parse(s->settings.double_hop_status, &st) != 0) {
			char names[NAMES_LEN];
			join_enum(names, sizeof(names), status_name_i,
				  SC_STATUS_COUNT);
			const char *near =
				sc_status_suggest(s->settings.double_hop_status);
			problem(&v, "settings.double_hop_status",
				"invalid status '%s' (%s%s%sexpected one of: "
				"%s)",
				s->settings.double_hop_status,
				near ? "did you mean '" : "", near ? near : "",
				near ? "'? " : "", names);
		}
	}
	for (unsigned i = 0; i < s->expect_count; i++)
		validate_expect(&v, P(path, "expect[%u]", i), &s->expect[i]);
	validate_variants(&v);
	if (!v.problems)
		validate_call_graph(&v);
	return v.problems;
}
