/* sc_directory.c: the domain directory built from a scenario: principals
 * and their SIDs, who holds which privilege on a host (P3), and the logons
 * that build primary and network tokens, snapshotting the rights (P4).
 * Model only: no I/O, no gRPC. Read-only once built but for the rights
 * changes of sc_directory_assign (an append-only list readers walk
 * without a lock) and the atomic logon-session counter. */
#include "sc_directory.h"
#include "sc_sha1.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum principal_kind {
	PK_WELL_KNOWN_USER = 0, /* SYSTEM, LOCAL SERVICE, ... */
	PK_WELL_KNOWN_GROUP,    /* Everyone, SERVICE, BUILTIN\Users, ... */
	PK_ACCOUNT,             /* a domain account of the scenario */
	PK_DOMAIN_GROUP,        /* a group named in accounts' groups lists */
	PK_SERVICE,             /* NT SERVICE\<service> (T13): named in full */
} principal_kind;

typedef struct principal {
	principal_kind kind;
	char *sid;
	char *name;        /* display name: "CORP\alice", "Everyone" */
	const char *bare;  /* the part after the backslash, inside name */
	const char *alias; /* another accepted bare name, or NULL */
	const sc_account_def *account; /* PK_ACCOUNT only */
} principal;

/* A rights assignment made while the process runs (the assign_right
 * step). Nodes are prepended and never change once published, so readers
 * walk the list without a lock; writers take the mutex. */
typedef struct overlay {
	struct overlay *next;
	char *host;
	sc_right_def right;
} overlay;

struct sc_directory {
	const sc_scenario *scn;
	_Atomic(overlay *) changes; /* newest first */
	pthread_mutex_t write_lock;
	char *domain;
	char sid_prefix[64]; /* "S-1-5-21-a-b-c" */
	principal *p;
	size_t count;
	size_t cap;
	/* D8: the computer accounts of the domain hosts, in host order
	 * (name NULL for a workgroup host, or one whose name another host's
	 * computer or a group already has); a declared account of that name
	 * is copied here (its lists stay the scenario's; groups is ours). */
	sc_account_def *computers;
	unsigned computers_count;
};

/* The group of every computer account (D8). */
static char domain_computers[] = "Domain Computers";

static const struct {
	principal_kind kind;
	const char *sid;
	const char *name;
	const char *alias;
} well_known[] = {
	{ PK_WELL_KNOWN_GROUP, SC_SID_EVERYONE, "Everyone", NULL },
	{ PK_WELL_KNOWN_GROUP, SC_SID_AUTHENTICATED_USERS,
	  "NT AUTHORITY\\Authenticated Users", NULL },
	{ PK_WELL_KNOWN_GROUP, SC_SID_INTERACTIVE, "NT AUTHORITY\\INTERACTIVE",
	  NULL },
	{ PK_WELL_KNOWN_GROUP, SC_SID_NETWORK, "NT AUTHORITY\\NETWORK", NULL },
	{ PK_WELL_KNOWN_GROUP, SC_SID_SERVICE, "NT AUTHORITY\\SERVICE", NULL },
	{ PK_WELL_KNOWN_GROUP, SC_SID_BATCH, "NT AUTHORITY\\BATCH", NULL },
	{ PK_WELL_KNOWN_USER, SC_SID_ANONYMOUS, SC_ANONYMOUS_NAME,
	  "ANONYMOUS" },
	{ PK_WELL_KNOWN_USER, SC_SID_LOCAL_SYSTEM, "NT AUTHORITY\\SYSTEM",
	  "LocalSystem" },
	{ PK_WELL_KNOWN_USER, SC_SID_LOCAL_SERVICE,
	  "NT AUTHORITY\\LOCAL SERVICE", "LocalService" },
	{ PK_WELL_KNOWN_USER, SC_SID_NETWORK_SERVICE,
	  "NT AUTHORITY\\NETWORK SERVICE", "NetworkService" },
	{ PK_WELL_KNOWN_GROUP, SC_SID_ADMINISTRATORS, "BUILTIN\\Administrators",
	  NULL },
	{ PK_WELL_KNOWN_GROUP, SC_SID_USERS, "BUILTIN\\Users", NULL },
	/* Not a group of anyone: an ACE principal standing for the owner
	 * (T6), known so that scenario DACLs may name it. */
	{ PK_WELL_KNOWN_GROUP, SC_SID_OWNER_RIGHTS, "OWNER RIGHTS", NULL },
};

#define N_WELL_KNOWN (sizeof(well_known) / sizeof(well_known[0]))

/* P3: the default holders, used on a host without a rights entry for the
 * privilege. SYSTEM holds every privilege and is handled apart. "Bypass
 * traverse checking" goes to every signed-in account (Everyone and
 * Authenticated Users among its holders), as Windows's default policy
 * assigns it. */
static const struct {
	const char *privilege;
	const char *holders[8];
	/* Noted at a logon only when a step asks about it (do_privilege):
	 * no rule reads it on its own, so a hop's decisions stay those
	 * relevant to the hop. */
	bool asked_only;
} default_rights[] = {
	/* "Bypass traverse checking": Everyone, Authenticated Users,
	 * Administrators, Users, Backup Operators, LOCAL SERVICE and NETWORK
	 * SERVICE. */
	{ SC_PRIV_CHANGE_NOTIFY,
	  { SC_SID_EVERYONE, SC_SID_AUTHENTICATED_USERS,
	    SC_SID_ADMINISTRATORS, SC_SID_USERS, SC_SID_BACKUP_OPERATORS,
	    SC_SID_LOCAL_SERVICE, SC_SID_NETWORK_SERVICE, NULL },
	  true },
	{ SC_PRIV_IMPERSONATE,
	  { SC_SID_ADMINISTRATORS, SC_SID_LOCAL_SERVICE,
	    SC_SID_NETWORK_SERVICE, SC_SID_SERVICE, NULL },
	  false },
	{ SC_PRIV_TCB, { SC_SID_LOCAL_SYSTEM, NULL }, false },
	{ SC_PRIV_AUDIT,
	  { SC_SID_LOCAL_SERVICE, SC_SID_NETWORK_SERVICE, NULL }, false },
};

#define N_DEFAULT_RIGHTS (sizeof(default_rights) / sizeof(default_rights[0]))

/* Logon sessions: 0 means none, the first logon gets 1. */
static atomic_uint_fast64_t next_session = 1;

static uint64_t new_session(void)
{
	return (uint64_t)atomic_fetch_add(&next_session, 1);
}

static principal *add_principal(sc_directory *dir, principal_kind kind,
				const char *sid, const char *name,
				const char *alias)
{
	if (dir->count == dir->cap) {
		size_t cap = dir->cap ? dir->cap * 2 : 32;
		principal *p = realloc(dir->p, cap * sizeof(*p));
		if (!p)
			return NULL;
		dir->p = p;
		dir->cap = cap;
	}
	char *s = strdup(sid);
	char *n = strdup(name);
	if (!s || !n) {
		free(s);
		free(n);
		return NULL;
	}
	const char *slash = strrchr(n, '\\');
	principal *p = &dir->p[dir->count++];
	*p = (principal){
		.kind = kind,
		.sid = s,
		.name = n,
		.bare = slash ? slash + 1 : n,
		.alias = alias,
	};
	return p;
}

static bool is_sid_string(const char *s)
{
	return strncasecmp(s, "S-1-", 4) == 0;
}

/* Lookup order: SID string; full display name; bare name or alias, the
 * scenario's accounts and groups before the well-known names. */
static const principal *find(const sc_directory *dir, const char *name)
{
	if (!name || !name[0])
		return NULL;
	if (is_sid_string(name)) {
		for (size_t i = 0; i < dir->count; i++)
			if (strcasecmp(dir->p[i].sid, name) == 0)
				return &dir->p[i];
		return NULL;
	}
	for (size_t i = 0; i < dir->count; i++)
		if (strcasecmp(dir->p[i].name, name) == 0)
			return &dir->p[i];
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < dir->count; i++) {
			const principal *p = &dir->p[i];
			if (p->kind == PK_SERVICE)
				continue;
			bool mine = p->kind == PK_ACCOUNT ||
				    p->kind == PK_DOMAIN_GROUP;
			if (mine != (pass == 0))
				continue;
			if (strcasecmp(p->bare, name) == 0 ||
			    (p->alias && strcasecmp(p->alias, name) == 0))
				return p;
		}
	}
	return NULL;
}

static const principal *find_sid(const sc_directory *dir, const char *sid)
{
	if (!sid)
		return NULL;
	for (size_t i = 0; i < dir->count; i++)
		if (strcasecmp(dir->p[i].sid, sid) == 0)
			return &dir->p[i];
	return NULL;
}

/* Three stable numbers from the domain name (FNV-1a, case-folded). */
/* The principal of an account the scenario declares under name, or NULL
 * (D8: a computer account may be declared). */
static principal *declared_account(sc_directory *dir, const char *name)
{
	const sc_domain_def *d = &dir->scn->domain;
	for (unsigned k = 0; k < d->accounts_count; k++) {
		if (!d->accounts[k].name ||
		    strcasecmp(d->accounts[k].name, name) != 0)
			continue;
		for (size_t i = 0; i < dir->count; i++)
			if (dir->p[i].account == &d->accounts[k])
				return &dir->p[i];
	}
	return NULL;
}

static uint32_t domain_hash(const char *name, uint32_t seed)
{
	uint32_t h = 2166136261u ^ seed;
	for (const char *c = name; *c; c++) {
		unsigned char ch = (unsigned char)*c;
		if (ch >= 'a' && ch <= 'z')
			ch = (unsigned char)(ch - 'a' + 'A');
		h ^= ch;
		h *= 16777619u;
	}
	return h;
}

/* The domain groups Windows creates with fixed RIDs (MS-DTYP 2.4.2.4),
 * so that SIDs and SDDL aliases (DA, DU, DC, AP...) name the same group
 * as the names do. */
static const struct {
	const char *name;
	unsigned rid;
} fixed_rids[] = {
	{"Domain Admins", 512},      {"Domain Users", 513},
	{"Domain Guests", 514},      {"Domain Computers", 515},
	{"Domain Controllers", 516}, {"Cert Publishers", 517},
	{"Schema Admins", 518},      {"Enterprise Admins", 519},
	{"Group Policy Creator Owners", 520},
	{"Protected Users", 525},    {"Key Admins", 526},
};

/* "Domain Users" and every name in the accounts' groups lists that is not
 * already a principal becomes a domain group: its fixed RID when Windows
 * gives it one, else 2000 + index. */
static int add_domain_group(sc_directory *dir, const char *group,
			    unsigned *index)
{
	const char *bare = group;
	if (is_sid_string(group))
		return 0; /* a SID names a principal, never a new group */
	const char *slash = strrchr(group, '\\');
	if (slash) {
		size_t dlen = (size_t)(slash - group);
		if (dlen != strlen(dir->domain) ||
		    strncasecmp(group, dir->domain, dlen) != 0)
			return 0; /* another authority: not ours to invent */
		bare = slash + 1;
	}
	if (find(dir, group) || find(dir, bare))
		return 0;
	char sid[96];
	char name[256];
	unsigned rid = 0;
	for (size_t i = 0; i < sizeof(fixed_rids) / sizeof(fixed_rids[0]); i++)
		if (strcasecmp(bare, fixed_rids[i].name) == 0)
			rid = fixed_rids[i].rid;
	snprintf(sid, sizeof(sid), "%s-%u", dir->sid_prefix,
		 rid ? rid : 2000 + *index);
	snprintf(name, sizeof(name), "%s\\%s", dir->domain, bare);
	if (!add_principal(dir, PK_DOMAIN_GROUP, sid, name, NULL))
		return SC_ERR_NOMEM;
	*index += rid ? 0 : 1;
	return 0;
}

/* T13: every service's SID, NT SERVICE\<name>, whatever its SID type
 * (the SID exists; only unrestricted puts it in the token). */
static int add_service_sids(sc_directory *dir, const sc_scenario *scn)
{
	for (unsigned i = 0; i < scn->processes_count; i++) {
		const sc_process_def *sp = &scn->processes[i];
		if (sp->started_by != SC_START_SERVICE || !sp->name)
			continue;
		char sid[SC_SERVICE_SID_MAX], name[256];
		sc_service_sid_of(sp->name, sid, sizeof(sid));
		snprintf(name, sizeof(name), "%s\\%s", SC_SERVICE_DOMAIN,
			 sp->name);
		if (!find_sid(dir, sid) &&
		    !add_principal(dir, PK_SERVICE, sid, name, NULL))
			return SC_ERR_NOMEM;
	}
	return 0;
}

int sc_directory_new(const sc_scenario *scn, sc_directory **out)
{
	*out = NULL;
	if (!scn)
		return SC_ERR_INVAL;
	sc_directory *dir = calloc(1, sizeof(*dir));
	if (!dir)
		return SC_ERR_NOMEM;
	dir->scn = scn;
	atomic_init(&dir->changes, NULL);
	pthread_mutex_init(&dir->write_lock, NULL);
	/* A scenario without a domain name is a workgroup. */
	dir->domain = strdup(scn->domain.name && scn->domain.name[0]
				     ? scn->domain.name
				     : "WORKGROUP");
	if (!dir->domain)
		goto nomem;
	snprintf(dir->sid_prefix, sizeof(dir->sid_prefix),
		 "S-1-5-21-%u-%u-%u",
		 domain_hash(dir->domain, 1) % 900000000u + 100000000u,
		 domain_hash(dir->domain, 2) % 900000000u + 100000000u,
		 domain_hash(dir->domain, 3) % 900000000u + 100000000u);

	for (size_t i = 0; i < N_WELL_KNOWN; i++)
		if (!add_principal(dir, well_known[i].kind, well_known[i].sid,
				   well_known[i].name, well_known[i].alias))
			goto nomem;

	const sc_domain_def *d = &scn->domain;
	for (unsigned i = 0; i < d->accounts_count; i++) {
		const sc_account_def *a = &d->accounts[i];
		if (!a->name || !a->name[0]) {
			sc_directory_free(dir);
			return SC_ERR_INVAL;
		}
		char sid[96];
		char name[256];
		if (a->sid && a->sid[0])
			snprintf(sid, sizeof(sid), "%s", a->sid);
		else
			snprintf(sid, sizeof(sid), "%s-%u", dir->sid_prefix,
				 1000 + i);
		snprintf(name, sizeof(name), "%s\\%s", dir->domain, a->name);
		principal *p = add_principal(dir, PK_ACCOUNT, sid, name, NULL);
		if (!p)
			goto nomem;
		p->account = a;
	}

	/* D8: every domain host has a computer account, DOMAIN\HOST$, a
	 * member of Domain Computers, trusted for delegation when the host
	 * says so (D1). Its RID follows the accounts' range. An account the
	 * scenario declares under that name (as an import writes every
	 * computer) is that computer account: its SID, groups and delegation
	 * settings, and trusted when either it or the host says so. */
	dir->computers = calloc(scn->hosts_count ? scn->hosts_count : 1,
				sizeof(*dir->computers));
	if (!dir->computers)
		goto nomem;
	dir->computers_count = scn->hosts_count;
	bool any_computer = false;
	for (unsigned i = 0; i < scn->hosts_count; i++) {
		const sc_host_def *h = &scn->hosts[i];
		char cn[SC_COMPUTER_NAME_MAX], sid[96], name[256];
		if (!sc_host_computer_name(h, cn, sizeof(cn)))
			continue;
		principal *p = declared_account(dir, cn);
		if (!p && find(dir, cn))
			continue; /* another host's, or not an account */
		sc_account_def *c = &dir->computers[i];
		if (p)
			*c = *p->account;
		c->name = strdup(p ? p->account->name : cn);
		c->groups = calloc(c->groups_count + 1, sizeof(*c->groups));
		if (!c->name || !c->groups)
			goto nomem;
		unsigned ng = 0;
		bool listed = false;
		for (unsigned k = 0; p && k < p->account->groups_count; k++) {
			c->groups[ng++] = p->account->groups[k];
			listed |= p->account->groups[k] &&
				  strcasecmp(p->account->groups[k],
					     domain_computers) == 0;
		}
		if (!listed)
			c->groups[ng++] = domain_computers;
		c->groups_count = ng;
		c->trusted_for_delegation |= h->trusted_for_delegation;
		any_computer = true;
		if (p) {
			p->account = c;
			continue;
		}
		snprintf(sid, sizeof(sid), "%s-%u", dir->sid_prefix,
			 1000 + SC_MAX_ACCOUNTS + i);
		snprintf(name, sizeof(name), "%s\\%s", dir->domain, cn);
		p = add_principal(dir, PK_ACCOUNT, sid, name, NULL);
		if (!p)
			goto nomem;
		p->account = c;
	}

	unsigned gi = 0;
	if (add_domain_group(dir, "Domain Users", &gi) != 0 ||
	    (any_computer &&
	     add_domain_group(dir, "Domain Computers", &gi) != 0))
		goto nomem;
	for (unsigned i = 0; i < d->accounts_count; i++) {
		const sc_account_def *a = &d->accounts[i];
		for (unsigned k = 0; k < a->groups_count; k++)
			if (a->groups[k] &&
			    add_domain_group(dir, a->groups[k], &gi) != 0)
				goto nomem;
	}
	if (add_service_sids(dir, scn) != 0)
		goto nomem;
	*out = dir;
	return 0;
nomem:
	sc_directory_free(dir);
	return SC_ERR_NOMEM;
}

void sc_directory_free(sc_directory *dir)
{
	if (!dir)
		return;
	for (size_t i = 0; i < dir->count; i++) {
		free(dir->p[i].sid);
		free(dir->p[i].name);
	}
	free(dir->p);
	for (unsigned i = 0; dir->computers && i < dir->computers_count; i++) {
		free(dir->computers[i].name);
		free(dir->computers[i].groups);
	}
	free(dir->computers);
	free(dir->domain);
	overlay *o = atomic_load(&dir->changes);
	while (o) {
		overlay *next = o->next;
		for (unsigned i = 0; i < o->right.holders_count; i++)
			free(o->right.holders[i]);
		free(o->right.holders);
		free(o->right.privilege);
		free(o->host);
		free(o);
		o = next;
	}
	pthread_mutex_destroy(&dir->write_lock);
	free(dir);
}

const char *sc_directory_domain(const sc_directory *dir)
{
	return dir->domain;
}

const char *sc_directory_domain_sid(const sc_directory *dir)
{
	return dir->sid_prefix;
}

const char *sc_directory_sid(const sc_directory *dir, const char *name)
{
	const principal *p = find(dir, name);
	return p ? p->sid : NULL;
}

const char *sc_directory_name(const sc_directory *dir, const char *sid)
{
	const principal *p = find_sid(dir, sid);
	return p ? p->name : NULL;
}

const sc_account_def *sc_directory_account_by_sid(const sc_directory *dir,
						  const char *sid)
{
	const principal *p = find_sid(dir, sid);
	return p ? p->account : NULL;
}

const sc_account_def *sc_directory_account(const sc_directory *dir,
					   const char *name)
{
	const principal *p = find(dir, name);
	return p ? p->account : NULL;
}

/* The scenario's host definition, read now (P4: a later change reaches
 * only the logons made after it). */
static const sc_host_def *host_def(const sc_directory *dir, const char *host)
{
	if (!host)
		return NULL;
	for (unsigned i = 0; i < dir->scn->hosts_count; i++) {
		const sc_host_def *h = &dir->scn->hosts[i];
		if (h->name && strcasecmp(h->name, host) == 0)
			return h;
	}
	return NULL;
}

/* P3: the entry that decides privilege on host. Group policy applies
 * local, then site, domain, OU: the entry of the latest scope wins; within
 * one scope a later entry wins, and a change made while the process runs
 * (assign_right) is later than the file's. NULL: the defaults apply. */
static const sc_right_def *host_right(const sc_directory *dir,
				      const char *host, const char *privilege)
{
	const sc_right_def *found = NULL;
	bool found_changed = false;
	if (!host || !privilege)
		return NULL;
	for (const overlay *o = atomic_load(&dir->changes); o; o = o->next) {
		if (strcasecmp(o->host, host) != 0 ||
		    strcasecmp(o->right.privilege, privilege) != 0)
			continue;
		/* Newest first: the first of a scope is the latest. */
		if (!found || o->right.scope > found->scope) {
			found = &o->right;
			found_changed = true;
		}
	}
	const sc_host_def *h = host_def(dir, host);
	for (unsigned i = 0; h && i < h->rights_count; i++) {
		const sc_right_def *r = &h->rights[i];
		if (!r->privilege || strcasecmp(r->privilege, privilege) != 0)
			continue;
		if (!found || r->scope > found->scope ||
		    (r->scope == found->scope && !found_changed)) {
			found = r;
			found_changed = false;
		}
	}
	return found;
}

int sc_directory_assign(sc_directory *dir, const char *host,
			const char *privilege, sc_scope scope,
			char *const *holders, unsigned count)
{
	if (!host || !privilege)
		return SC_ERR_INVAL;
	overlay *o = calloc(1, sizeof(*o));
	if (!o)
		return SC_ERR_NOMEM;
	o->host = strdup(host);
	o->right.privilege = strdup(privilege);
	o->right.scope = scope;
	o->right.holders = calloc(count ? count : 1, sizeof(char *));
	bool oom = !o->host || !o->right.privilege || !o->right.holders;
	for (unsigned i = 0; !oom && i < count; i++) {
		o->right.holders[i] = strdup(holders[i] ? holders[i] : "");
		if (!o->right.holders[i])
			oom = true;
		else
			o->right.holders_count = i + 1;
	}
	if (oom) {
		for (unsigned i = 0; i < o->right.holders_count; i++)
			free(o->right.holders[i]);
		free(o->right.holders);
		free(o->right.privilege);
		free(o->host);
		free(o);
		return SC_ERR_NOMEM;
	}
	pthread_mutex_lock(&dir->write_lock);
	o->next = atomic_load(&dir->changes);
	atomic_store(&dir->changes, o);
	pthread_mutex_unlock(&dir->write_lock);
	return 0;
}

/* P3 for one SID. *from_host tells whether the host's assignment (true)
 * or the defaults (false) decided. */
static bool holds(const sc_directory *dir, const char *host,
		  const char *privilege, const char *sid, bool *from_host)
{
	const sc_right_def *r = host_right(dir, host, privilege);
	*from_host = r != NULL;
	if (!sid || !privilege)
		return false;
	if (strcmp(sid, SC_SID_LOCAL_SYSTEM) == 0)
		return true;
	if (r) {
		for (unsigned i = 0; i < r->holders_count; i++) {
			const principal *p = find(dir, r->holders[i]);
			if (p && strcmp(p->sid, sid) == 0)
				return true;
		}
		return false;
	}
	for (size_t i = 0; i < N_DEFAULT_RIGHTS; i++) {
		if (strcasecmp(default_rights[i].privilege, privilege) != 0)
			continue;
		for (const char *const *h = default_rights[i].holders; *h; h++)
			if (strcmp(*h, sid) == 0)
				return true;
	}
	return false;
}

bool sc_directory_holds(const sc_directory *dir, const char *host,
			const char *privilege, const char *sid)
{
	bool from_host;
	return holds(dir, host, privilege, sid, &from_host);
}

bool sc_directory_right_assigned(const sc_directory *dir, const char *host,
				 const char *privilege)
{
	return host_right(dir, host, privilege) != NULL;
}

/* The privileges that can be held on host: the defaults and any the host
 * assigns. Returns how many names were stored in out. */
static size_t privilege_universe(const sc_directory *dir, const char *host,
				 const char **out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < N_DEFAULT_RIGHTS && n < cap; i++)
		out[n++] = default_rights[i].privilege;
	const sc_host_def *h = host_def(dir, host);
	for (unsigned i = 0; h && i < h->rights_count && n < cap; i++) {
		const char *p = h->rights[i].privilege;
		bool seen = !p;
		for (size_t k = 0; k < n && !seen; k++)
			seen = strcasecmp(out[k], p) == 0;
		if (!seen)
			out[n++] = p;
	}
	for (const overlay *o = atomic_load(&dir->changes); o && n < cap;
	     o = o->next) {
		if (!host || strcasecmp(o->host, host) != 0)
			continue;
		bool seen = false;
		for (size_t k = 0; k < n && !seen; k++)
			seen = strcasecmp(out[k], o->right.privilege) == 0;
		if (!seen)
			out[n++] = o->right.privilege;
	}
	return n;
}

#define MAX_PRIVILEGES 64

/* P3: a privilege whose default row is noted only when a step asks. */
static bool asked_only(const char *privilege)
{
	for (size_t i = 0; i < N_DEFAULT_RIGHTS; i++)
		if (strcasecmp(default_rights[i].privilege, privilege) == 0)
			return default_rights[i].asked_only;
	return false;
}

/* P3: give t every privilege that its user or one of its enabled groups
 * holds on host, enabled, and say why. Reads the rights now (P4). A
 * process's own logon (own) also says that it lacks
 * SeImpersonatePrivilege, which decides whether it may impersonate (P1);
 * a client's network logon says only what it holds. */
static int grant_privileges(const sc_directory *dir, sc_token *t,
			    const char *host, bool own, sc_log *log)
{
	const char *privs[MAX_PRIVILEGES];
	size_t n = privilege_universe(dir, host, privs, MAX_PRIVILEGES);
	const char *user = sc_token_user_name(t);

	for (size_t i = 0; i < n; i++) {
		bool from_host = false;
		const char *through = NULL;
		if (holds(dir, host, privs[i], sc_token_user_sid(t),
			  &from_host)) {
			through = user;
		} else {
			size_t ng = sc_token_group_count(t);
			for (size_t g = 0; g < ng && !through; g++) {
				const char *sid;
				const char *name;
				uint32_t attrs;
				sc_token_group(t, g, &sid, &name, &attrs);
				if (!(attrs & SC_GROUP_ENABLED) ||
				    (attrs & SC_GROUP_USE_FOR_DENY_ONLY))
					continue;
				if (holds(dir, host, privs[i], sid,
					  &from_host))
					through = name;
			}
		}
		char source[96];
		const sc_right_def *r = host_right(dir, host, privs[i]);
		if (from_host && r)
			snprintf(source, sizeof(source),
				 "the host's rights assignment, %s scope",
				 sc_scope_name(r->scope));
		else
			snprintf(source, sizeof(source), "default holders");
		bool impersonate = strcmp(privs[i], SC_PRIV_IMPERSONATE) == 0;
		if (!through) {
			if (impersonate && own)
				sc_log_rule(log, "P3",
					    "%s does not hold %s on %s (%s)",
					    user, privs[i], host, source);
			continue;
		}
		if (sc_token_add_privilege(t, privs[i], true) != 0)
			return SC_ERR_NOMEM;
		if (asked_only(privs[i]))
			continue;
		if (through == user)
			sc_log_rule(log, "P3", "%s holds %s on %s (%s)", user,
				    privs[i], host, source);
		else
			sc_log_rule(log, "P3", "%s holds %s on %s through %s "
					       "(%s)",
				    user, privs[i], host, through, source);
	}
	return 0;
}

/* Add the well-known or directory group sid, once. */
static int add_group(const sc_directory *dir, sc_token *t, const char *sid)
{
	size_t n = sc_token_group_count(t);
	for (size_t i = 0; i < n; i++) {
		const char *have;
		sc_token_group(t, i, &have, NULL, NULL);
		if (strcmp(have, sid) == 0)
			return 0;
	}
	const char *name = sc_directory_name(dir, sid);
	return sc_token_add_group(t, sid, name ? name : sid,
				  SC_GROUP_MANDATORY | SC_GROUP_ENABLED);
}

static const char *logon_group(sc_start start, sc_logon *logon)
{
	switch (start) {
	case SC_START_SERVICE:
	case SC_START_COM:
		*logon = SC_LOGON_SERVICE;
		return SC_SID_SERVICE;
	case SC_START_BATCH:
		*logon = SC_LOGON_BATCH;
		return SC_SID_BATCH;
	case SC_START_INTERACTIVE:
	default:
		*logon = SC_LOGON_INTERACTIVE;
		return SC_SID_INTERACTIVE;
	}
}

/* The logon both sc_directory_logon and sc_directory_s4u_logon make:
 * s4u builds an impersonation token of logon type NETWORK. */
typedef struct logon_ask {
	const char *account;
	const char *host;
	sc_start start;
	bool s4u;
} logon_ask;
static sc_status logon_token(const sc_directory *dir, const logon_ask *ask,
			     sc_token **out, sc_log *log);

sc_status sc_directory_logon(const sc_directory *dir, const char *account,
			     const char *host, sc_start start,
			     sc_token **out, sc_log *log)
{
	const logon_ask ask = {account, host, start, false};
	return logon_token(dir, &ask, out, log);
}

sc_status sc_directory_s4u_logon(const sc_directory *dir, const char *account,
				 const char *host, sc_token **out, sc_log *log)
{
	const logon_ask ask = {account, host, SC_START_INTERACTIVE, true};
	return logon_token(dir, &ask, out, log);
}

static sc_status logon_token(const sc_directory *dir, const logon_ask *ask,
			     sc_token **out, sc_log *log)
{
	const char *account = ask->account, *host = ask->host;
	sc_start start = ask->start;
	bool s4u = ask->s4u;
	*out = NULL;
	const principal *p = find(dir, account);
	if (!p || (p->kind != PK_ACCOUNT && p->kind != PK_WELL_KNOWN_USER)) {
		sc_log_rule(log, "P3", "logon of %s on %s: %s (LOGON_FAILURE)",
			    account ? account : "(none)", host ? host : "?",
			    p ? "not a user account" : "unknown account");
		return SC_LOGON_FAILURE;
	}
	if (!host || !host[0]) {
		sc_log_rule(log, "P3",
			    "logon of %s: no host (INVALID_PARAMETER)",
			    p->name);
		return SC_INVALID_PARAMETER;
	}
	bool anonymous = strcmp(p->sid, SC_SID_ANONYMOUS) == 0;
	sc_logon logon;
	const char *lgroup = logon_group(start, &logon);
	if (s4u) {
		logon = SC_LOGON_NETWORK;
		lgroup = SC_SID_NETWORK;
	}

	sc_token *t = sc_token_new(s4u ? SC_TOKEN_IMPERSONATION
				       : SC_TOKEN_PRIMARY);
	if (!t)
		return SC_INTERNAL;
	if (sc_token_set_user(t, p->sid, p->name) != 0 ||
	    sc_token_set_origin_host(t, host) != 0 ||
	    /* L1: ANONYMOUS LOGON is in none of the groups every
	     * signed-in account is in: not Everyone (unless a host sets
	     * EveryoneIncludesAnonymous, not modelled), not Authenticated
	     * Users, not Users. */
	    (!anonymous &&
	     (add_group(dir, t, SC_SID_EVERYONE) != 0 ||
	      add_group(dir, t, SC_SID_AUTHENTICATED_USERS) != 0)) ||
	    add_group(dir, t, lgroup) != 0 ||
	    (!anonymous && add_group(dir, t, SC_SID_USERS) != 0))
		goto nomem;
	if (strcmp(p->sid, SC_SID_LOCAL_SYSTEM) == 0 &&
	    add_group(dir, t, SC_SID_ADMINISTRATORS) != 0)
		goto nomem;
	if (p->account) {
		const sc_account_def *a = p->account;
		const char *du = sc_directory_sid(dir, "Domain Users");
		if (du && add_group(dir, t, du) != 0)
			goto nomem;
		for (unsigned k = 0; k < a->groups_count; k++) {
			const char *gsid = sc_directory_sid(dir, a->groups[k]);
			if (!gsid) {
				sc_log_rule(log, "P3",
					    "%s: group %s is not in the "
					    "directory: skipped",
					    p->name, a->groups[k]);
				continue;
			}
			if (add_group(dir, t, gsid) != 0)
				goto nomem;
		}
	}
	sc_token_set_logon(t, anonymous ? SC_LOGON_ANONYMOUS : logon);
	sc_token_set_session(t, new_session());
	sc_token_set_boundaries(t, 0);

	if (!s4u && (start == SC_START_SERVICE || start == SC_START_COM))
		sc_log_rule(log, "P3",
			    "%s on %s is started by %s: its token gets "
			    "NT AUTHORITY\\SERVICE",
			    p->name, host,
			    start == SC_START_SERVICE
				    ? "the service control manager"
				    : "COM under a configured account");
	if (!host_def(dir, host))
		sc_log_rule(log, "P3", "host %s is not in the scenario: the "
				       "default rights apply",
			    host);
	if (grant_privileges(dir, t, host, true, log) != 0)
		goto nomem;
	sc_log_rule(log, "P4", "the rights of %s on %s are read at this logon: "
			       "later changes reach its next logon only",
		    p->name, host);
	*out = t;
	return SC_OK;
nomem:
	sc_token_free(t);
	return SC_INTERNAL;
}

sc_status sc_directory_explicit_logon(const sc_directory *dir,
				      const sc_token *process,
				      const char *account, const char *host,
				      sc_token **out, sc_log *log)
{
	*out = NULL;
	const principal *p = find(dir, account);
	if (p && !p->account) {
		sc_log_rule(log, "T4",
			    "LogonUser of %s: a well-known account has no "
			    "password to log on with (LOGON_FAILURE)",
			    p->name);
		return SC_LOGON_FAILURE;
	}
	const logon_ask ask = {account, host, SC_START_INTERACTIVE, false};
	sc_status st = logon_token(dir, &ask, out, log);
	if (st != SC_OK)
		return st;
	/* P1: an explicit-credentials logon made in the caller's logon
	 * session. */
	sc_token_set_logon(*out, SC_LOGON_EXPLICIT);
	sc_token_set_session(*out, sc_token_session(process));
	return SC_OK;
}

void sc_directory_ticket_options(sc_token *t, const sc_process_def *p)
{
	sc_token_set_unforwardable(t, p &&
				       p->tickets == SC_TICKETS_NOT_FORWARDABLE);
	/* T12: a level the scenario states for the process's token. */
	if (p && p->integrity != SC_IL_DEFAULT)
		sc_token_set_integrity(t, p->integrity);
}

/* T13: name as Windows upper-cases it, in UTF-16LE: ASCII letters
 * upper-cased (the names a scenario uses; other letters are hashed as
 * written), UTF-8 decoded, a byte that is not UTF-8 read as U+FFFD.
 * Returns the number of bytes stored in out (at most cap). */
static size_t upper_utf16le(const char *name, uint8_t *out, size_t cap)
{
	size_t n = 0;
	const unsigned char *c = (const unsigned char *)name;
	while (*c && n + 4 <= cap) {
		uint32_t cp = 0xfffd;
		unsigned len = *c < 0x80 ? 1 : (*c & 0xe0) == 0xc0 ? 2
				 : (*c & 0xf0) == 0xe0 ? 3 : (*c & 0xf8) == 0xf0 ? 4
									    : 0;
		bool ok = len > 0;
		for (unsigned k = 1; ok && k < len; k++)
			ok = (c[k] & 0xc0) == 0x80;
		if (ok) {
			cp = len == 1 ? *c : *c & (0x7fu >> len);
			for (unsigned k = 1; k < len; k++)
				cp = cp << 6 | (c[k] & 0x3fu);
			c += len;
		} else {
			c++;
		}
		if (cp >= 'a' && cp <= 'z')
			cp -= 'a' - 'A';
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			cp = 0xfffd;
		if (cp >= 0x10000) {
			uint32_t v = cp - 0x10000;
			uint16_t hi = (uint16_t)(0xd800 | v >> 10);
			uint16_t lo = (uint16_t)(0xdc00 | (v & 0x3ff));
			out[n++] = (uint8_t)hi;
			out[n++] = (uint8_t)(hi >> 8);
			out[n++] = (uint8_t)lo;
			out[n++] = (uint8_t)(lo >> 8);
		} else {
			out[n++] = (uint8_t)cp;
			out[n++] = (uint8_t)(cp >> 8);
		}
	}
	return n;
}

void sc_service_sid_of(const char *name, char *out, size_t len)
{
	/* T13 (MS-LSAT 3.1.1.1.2): the SHA-1 of the upper-cased name in
	 * UTF-16, its five 32-bit words read as Windows stores them
	 * (little-endian), after S-1-5-80. */
	uint8_t buf[2 * 4 * 256];
	size_t n = upper_utf16le(name ? name : "", buf, sizeof(buf));
	uint8_t h[SC_SHA1_LEN];
	sc_sha1(buf, n, h);
	uint32_t w[5];
	for (unsigned i = 0; i < 5; i++)
		w[i] = (uint32_t)h[4 * i] | (uint32_t)h[4 * i + 1] << 8 |
		       (uint32_t)h[4 * i + 2] << 16 |
		       (uint32_t)h[4 * i + 3] << 24;
	snprintf(out, len, "S-1-5-80-%u-%u-%u-%u-%u", w[0], w[1], w[2], w[3],
		 w[4]);
}

bool sc_service_keeps(const sc_process_def *p, const char *privilege)
{
	/* P5: no list, or not a service: every privilege stays. */
	if (!p || p->started_by != SC_START_SERVICE ||
	    !p->required_privileges_count)
		return true;
	/* "For compatibility, the SeChangeNotifyPrivilege privilege is never
	 * removed from a process token." */
	if (!privilege || strcasecmp(privilege, SC_PRIV_CHANGE_NOTIFY) == 0)
		return true;
	for (unsigned i = 0; i < p->required_privileges_count; i++)
		if (p->required_privileges[i] &&
		    strcasecmp(p->required_privileges[i], privilege) == 0)
			return true;
	return false;
}

/* P5: the service control manager removes from t the privileges p's
 * required_privileges does not list; a listed one t lacks stays absent
 * (listing grants nothing), and the note says so. */
static sc_status required_privileges(sc_token *t, const sc_process_def *p,
				     sc_log *log)
{
	if (!p || p->started_by != SC_START_SERVICE ||
	    !p->required_privileges_count)
		return SC_OK;
	for (size_t i = sc_token_privilege_count(t); i-- > 0;) {
		const char *name;
		bool enabled;
		sc_token_privilege(t, i, &name, &enabled);
		if (sc_service_keeps(p, name))
			continue;
		sc_log_rule(log, "P5",
			    "service %s: %s is not among its required "
			    "privileges: removed from its process token",
			    p->name, name);
		if (sc_token_remove_privilege(t, name) != 0)
			return SC_INTERNAL;
	}
	for (unsigned i = 0; i < p->required_privileges_count; i++) {
		const char *want = p->required_privileges[i];
		if (want && !sc_token_privilege_held(t, want, NULL))
			sc_log_rule(log, "P5",
				    "service %s lists %s among its required "
				    "privileges, but its account %s does not "
				    "hold it on %s: not granted",
				    p->name, want, sc_token_user_name(t),
				    p->host ? p->host : "?");
	}
	return SC_OK;
}

/* T13: an unrestricted service SID puts NT SERVICE\<name> in t, enabled
 * (SE_GROUP_ENABLED_BY_DEFAULT | SE_GROUP_OWNER, not mandatory). */
static sc_status service_sid_group(const sc_directory *dir, sc_token *t,
				   const sc_process_def *p, sc_log *log)
{
	if (!p || p->started_by != SC_START_SERVICE ||
	    p->service_sid != SC_SERVICE_SID_UNRESTRICTED)
		return SC_OK;
	char sid[SC_SERVICE_SID_MAX];
	sc_service_sid_of(p->name, sid, sizeof(sid));
	const char *name = sc_directory_name(dir, sid);
	if (sc_token_add_group(t, sid, name ? name : sid,
			       SC_GROUP_ENABLED | SC_GROUP_OWNER) != 0)
		return SC_INTERNAL;
	sc_log_rule(log, "T13",
		    "service %s has an unrestricted service SID: its process "
		    "token holds %s (%s)",
		    p->name, name ? name : sid, sid);
	return SC_OK;
}

sc_status sc_directory_process_token(const sc_directory *dir, sc_token *t,
				     const sc_process_def *p, sc_log *log)
{
	sc_status st = sc_directory_group_states(dir, t, p, log);
	if (st == SC_OK)
		st = required_privileges(t, p, log);
	if (st == SC_OK)
		st = service_sid_group(dir, t, p, log);
	if (st == SC_OK)
		sc_directory_ticket_options(t, p);
	return st;
}

sc_status sc_directory_group_states(const sc_directory *dir, sc_token *t,
				    const sc_process_def *p, sc_log *log)
{
	char **list[2] = {p->deny_only_groups, p->disabled_groups};
	unsigned count[2] = {p->deny_only_groups_count,
			     p->disabled_groups_count};
	for (unsigned l = 0; l < 2; l++) {
		for (unsigned k = 0; k < count[l]; k++) {
			const char *sid = sc_directory_sid(dir, list[l][k]);
			uint32_t attrs = 0;
			if (!sid || !sc_token_group_attrs(t, sid, &attrs)) {
				sc_log_input(log, "%s holds no group %s",
					     p->name, list[l][k]);
				return SC_NOT_FOUND;
			}
			/* Deny-only keeps the group's other attributes; an
			 * optional group held disabled is neither mandatory
			 * nor enabled (T11 may enable it). */
			attrs = l == 0 ? attrs | SC_GROUP_USE_FOR_DENY_ONLY
				       : attrs & ~(SC_GROUP_MANDATORY |
						   SC_GROUP_ENABLED);
			if (sc_token_set_group_attrs(t, sid, attrs) != 0)
				return SC_INTERNAL;
			sc_log_rule(log, "T6",
				    "%s's token holds %s %s: it matches %s",
				    p->name, list[l][k],
				    l == 0 ? "deny-only" : "disabled",
				    l == 0 ? "deny ACEs only" : "no ACE");
		}
	}
	return SC_OK;
}

/* The groups a network logon does not carry: the logon-type groups, and
 * service SIDs (T13), which the service control manager adds to a
 * process token on its own host only. */
static bool network_drops_group(const char *sid)
{
	return strncmp(sid, SC_SID_SERVICE_PREFIX,
		       sizeof(SC_SID_SERVICE_PREFIX) - 1) == 0 ||
	       strcmp(sid, SC_SID_INTERACTIVE) == 0 ||
	       strcmp(sid, SC_SID_SERVICE) == 0 ||
	       strcmp(sid, SC_SID_BATCH) == 0;
}

/* The display name of sid: the directory's, else the one given. */
static const char *name_of(const sc_directory *dir, const char *sid,
			   const char *given)
{
	const char *n = sc_directory_name(dir, sid);
	return n ? n : given;
}

/* t's user, origin host and groups (less the logon-type groups when
 * network) from client, names from the directory. */
static int copy_user_and_groups(const sc_directory *dir, sc_token *t,
				const sc_token *client, bool network)
{
	const char *usid = sc_token_user_sid(client);
	if (sc_token_set_user(t, usid,
			      name_of(dir, usid, sc_token_user_name(client))) !=
		    0 ||
	    sc_token_set_origin_host(t, sc_token_origin_host(client)) != 0)
		return SC_ERR_NOMEM;
	size_t ng = sc_token_group_count(client);
	for (size_t i = 0; i < ng; i++) {
		const char *sid;
		const char *name;
		uint32_t attrs;
		sc_token_group(client, i, &sid, &name, &attrs);
		if (network && network_drops_group(sid))
			continue;
		if (sc_token_add_group(t, sid, name_of(dir, sid, name),
				       attrs) != 0)
			return SC_ERR_NOMEM;
	}
	return 0;
}

bool sc_directory_keeps_client_token(const char *from_host,
				     const char *to_host)
{
	/* T7: one host, one logon: the server impersonates the token the
	 * client holds; across hosts the client logs on to the server's
	 * host over the network. */
	return from_host && to_host && strcmp(from_host, to_host) == 0;
}

/* What a logon puts in a token besides its user, groups and
 * privileges: the level, the logon type and session (T7), the package
 * (D3), the authentication level (T8) and the boundaries crossed. */
typedef struct logon_terms {
	sc_level level;
	sc_logon logon;
	uint64_t session;
	sc_package package;
	sc_authn authn;
	unsigned boundaries;
} logon_terms;

static void set_logon_terms(sc_token *t, const logon_terms *l)
{
	sc_token_set_level(t, l->level);
	sc_token_set_logon(t, l->logon);
	sc_token_set_session(t, l->session);
	sc_token_set_package(t, l->package);
	sc_token_set_authn(t, l->authn);
	sc_token_set_boundaries(t, l->boundaries);
}

/* T7: the token a server impersonates for client: a new impersonation
 * token with the client's user and groups (a network logon's own
 * instead of the client's logon-type groups), then the terms l. NULL
 * when out of memory. */
static sc_token *served_token(const sc_directory *dir, const sc_token *client,
			      bool network, const logon_terms *l)
{
	sc_token *t = sc_token_new(SC_TOKEN_IMPERSONATION);
	if (!t)
		return NULL;
	if (copy_user_and_groups(dir, t, client, network) != 0 ||
	    (network && add_group(dir, t, SC_SID_NETWORK) != 0)) {
		sc_token_free(t);
		return NULL;
	}
	set_logon_terms(t, l);
	return t;
}

static bool level_valid(sc_level level)
{
	return level >= SC_LEVEL_ANONYMOUS && level <= SC_LEVEL_DELEGATE;
}

sc_status sc_directory_local_token(const sc_directory *dir,
				  const sc_token *client, const sc_token *claim,
				  const sc_binding *terms, sc_token **out,
				  sc_log *log)
{
	*out = NULL;
	if (!client || !claim || !level_valid(terms->level)) {
		sc_log_rule(log, "T7", "local pipe client: %s "
				       "(INVALID_PARAMETER)",
			    client && claim ? "the level is not set"
					    : "no client");
		return SC_INVALID_PARAMETER;
	}
	/* T7: the client's own logon, with the boundaries its call
	 * crossed. */
	sc_token *t = served_token(
		dir, client, false,
		&(logon_terms){terms->level, sc_token_logon(client),
			       sc_token_session(client), terms->package,
			       terms->authn, sc_token_boundaries(claim)});
	if (!t)
		return SC_INTERNAL;
	size_t np = sc_token_privilege_count(client);
	for (size_t i = 0; i < np; i++) {
		const char *name;
		bool enabled, claimed_on;
		sc_token_privilege(client, i, &name, &enabled);
		if (!sc_token_privilege_held(claim, name, &claimed_on))
			continue; /* dropped: effective-only */
		if (sc_token_add_privilege(t, name, enabled && claimed_on) !=
		    0) {
			sc_token_free(t);
			return SC_INTERNAL;
		}
	}
	/* T12: the client's own token's level (a low-integrity client
	 * is served at low; with signed contexts the authority's logon
	 * of the client states it, as the client's own does). */
	sc_token_set_integrity(t, sc_token_integrity_raw(client));
	*out = t;
	return SC_OK;
}

sc_status sc_directory_network_token(const sc_directory *dir,
				     const sc_token *client, const char *host,
				     const sc_binding *terms, sc_token **out,
				     sc_log *log)
{
	*out = NULL;
	if (!client || !host || !level_valid(terms->level)) {
		sc_log_rule(log, "P3", "network logon on %s: %s "
				       "(INVALID_PARAMETER)",
			    host ? host : "?",
			    client ? "the level is not set" : "no client");
		return SC_INVALID_PARAMETER;
	}
	/* P3: a new network logon on host, its own session; the host
	 * grants the privileges. */
	sc_token *t = served_token(
		dir, client, true,
		&(logon_terms){terms->level, SC_LOGON_NETWORK, new_session(),
			       terms->package, terms->authn,
			       sc_token_boundaries(client)});
	if (!t)
		return SC_INTERNAL;
	if (grant_privileges(dir, t, host, false, log) != 0) {
		sc_token_free(t);
		return SC_INTERNAL;
	}
	*out = t;
	return SC_OK;
}

sc_status sc_directory_transition(const sc_directory *dir,
				  const sc_service_self *svc,
				  const char *user, sc_token **out,
				  sc_log *log)
{
	const sc_token *process = svc->process;
	const char *self_account = svc->account, *host = svc->host;
	*out = NULL;
	sc_token *t = NULL;
	sc_status st = sc_directory_s4u_logon(dir, user, host, &t, log);
	if (st != SC_OK)
		return st;
	/* D6: a machine identity's is its host's computer account's. */
	const sc_account_def *self =
		sc_directory_service_account(dir, self_account, host);
	const sc_account_def *who =
		sc_directory_account_by_sid(dir, sc_token_user_sid(t));
	bool tcb = sc_token_privilege_enabled(process, SC_PRIV_TCB);
	sc_token_set_level(t, tcb ? SC_LEVEL_IMPERSONATE : SC_LEVEL_IDENTIFY);
	bool trusted = self && self->trusted_to_auth_for_delegation;
	/* D6: sensitive, or in Protected Users: never forwardable. */
	bool sensitive = sc_account_not_delegated(who);
	sc_token_set_transition(t, trusted && !sensitive);
	sc_log_rule(log, "D6",
		    "protocol transition: %s obtains a token for %s without "
		    "its credential, at %s (%s SeTcbPrivilege)",
		    sc_token_user_name(process), sc_token_user_name(t),
		    tcb ? "Impersonate" : "Identify",
		    tcb ? "holds" : "lacks");
	if (sensitive)
		sc_log_rule(log, "D6",
			    "%s is %s and cannot be delegated: its "
			    "ticket is never forwardable",
			    sc_token_user_name(t),
			    sc_account_not_delegated_why(who));
	else
		sc_log_rule(log, "D6",
			    "the ticket is %sforwardable: %s is %strusted to "
			    "authenticate for delegation",
			    trusted ? "" : "not ",
			    self ? self->name : self_account,
			    trusted ? "" : "not ");
	*out = t;
	return SC_OK;
}

const sc_account_def *sc_directory_computer(const sc_directory *dir,
					    const char *host)
{
	for (unsigned i = 0; host && i < dir->computers_count; i++) {
		const sc_host_def *h = &dir->scn->hosts[i];
		if (dir->computers[i].name && h->name &&
		    strcmp(h->name, host) == 0)
			return &dir->computers[i];
	}
	return NULL;
}

/* SYSTEM, NETWORK SERVICE or LOCAL SERVICE: an account of the host, not
 * of the domain (D1, D8). */
bool sc_directory_machine_identity(const char *sid)
{
	return sid && (strcmp(sid, SC_SID_LOCAL_SYSTEM) == 0 ||
		       strcmp(sid, SC_SID_NETWORK_SERVICE) == 0 ||
		       strcmp(sid, SC_SID_LOCAL_SERVICE) == 0);
}

const sc_account_def *sc_directory_service_account(const sc_directory *dir,
						   const char *account,
						   const char *host)
{
	const principal *p = find(dir, account);
	if (!p)
		return NULL;
	/* D1: a service running as a machine identity has its host's
	 * computer account's delegation settings. */
	if (sc_directory_machine_identity(p->sid))
		return sc_directory_computer(dir, host);
	return p->account;
}

/* D8: who a machine identity presents on the network: the user sid,
 * name, with the groups of groups[] (well-known or directory SIDs,
 * NULL-ended), and its logon type. */
typedef struct net_identity {
	const char *sid;
	const char *name;
	const char *const *groups;
	sc_logon logon;
} net_identity;

/* D8: a token of who's type (and level) presenting as, no privilege, its
 * logon on host. */
static sc_token *network_self(const sc_directory *dir, const sc_token *who,
			      const net_identity *as, const char *host)
{
	const char *sid = as->sid, *name = as->name;
	const char *const *groups = as->groups;
	sc_logon logon = as->logon;
	sc_token *t = sc_token_new(sc_token_type_of(who));
	if (!t)
		return NULL;
	if (sc_token_set_user(t, sid, name) != 0 ||
	    sc_token_set_origin_host(t, host) != 0)
		goto nomem;
	for (const char *const *g = groups; *g; g++)
		if (add_group(dir, t, *g) != 0)
			goto nomem;
	/* A primary token keeps its no-level. */
	sc_level level = sc_token_type_of(who) == SC_TOKEN_IMPERSONATION
				 ? sc_token_level_raw(who)
				 : sc_token_level_raw(t);
	set_logon_terms(t, &(logon_terms){level, logon,
					  sc_token_session(who),
					  sc_token_package(who),
					  sc_token_authn(who),
					  sc_token_boundaries(who)});
	return t;
nomem:
	sc_token_free(t);
	return NULL;
}

sc_status sc_directory_on_network(const sc_directory *dir,
				  const sc_token *who, const char *from_host,
				  const char *to_host, sc_token **out,
				  sc_log *log)
{
	*out = NULL;
	const char *sid = who ? sc_token_user_sid(who) : NULL;
	if (!who || !from_host || !to_host || strcmp(from_host, to_host) == 0 ||
	    !sc_directory_machine_identity(sid))
		return SC_OK;
	const char *user = sc_token_user_name(who);
	const sc_account_def *c = sc_directory_computer(dir, from_host);
	const char *csid = c ? sc_directory_sid(dir, c->name) : NULL;
	if (strcmp(sid, SC_SID_LOCAL_SERVICE) != 0 && c && csid) {
		/* D8: SYSTEM and NETWORK SERVICE act as the computer on the
		 * network: its account, its groups (Domain Computers and
		 * those a declared computer account lists), no local
		 * privilege. */
		const char *groups[SC_MAX_LIST + 4] = {
			SC_SID_EVERYONE, SC_SID_AUTHENTICATED_USERS};
		size_t ng = 2;
		for (unsigned k = 0; k < c->groups_count && ng + 1 <
				     sizeof(groups) / sizeof(*groups); k++) {
			const char *g = sc_directory_sid(dir, c->groups[k]);
			if (g)
				groups[ng++] = g;
		}
		const net_identity as = {csid, sc_directory_name(dir, csid),
					 groups, sc_token_logon(who)};
		*out = network_self(dir, who, &as, from_host);
		if (!*out)
			return SC_INTERNAL;
		sc_log_rule(log, "D8",
			    "%s authenticates to %s as the computer account "
			    "of %s, %s (its groups, none of %s's privileges "
			    "on %s)",
			    user, to_host, from_host, sc_token_user_name(*out),
			    user, from_host);
		return SC_OK;
	}
	/* D8: LOCAL SERVICE presents anonymous credentials; so does a
	 * machine identity of a host outside the domain, which has no
	 * computer account (a null session). */
	const char *groups[] = {NULL}; /* L1: not even Everyone */
	const net_identity as = {SC_SID_ANONYMOUS, SC_ANONYMOUS_NAME, groups,
				 SC_LOGON_ANONYMOUS};
	*out = network_self(dir, who, &as, from_host);
	if (!*out)
		return SC_INTERNAL;
	if (strcmp(sid, SC_SID_LOCAL_SERVICE) == 0)
		sc_log_rule(log, "D8",
			    "%s presents anonymous credentials to %s: %s",
			    user, to_host, SC_ANONYMOUS_NAME);
	else
		sc_log_rule(log, "D8",
			    "%s is not a domain member: %s has no computer "
			    "account to authenticate to %s with, and presents "
			    "anonymous credentials (a null session): %s",
			    from_host, user, to_host, SC_ANONYMOUS_NAME);
	return SC_OK;
}
