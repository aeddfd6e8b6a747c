/* paths.c: delegation paths to a service (see paths.h). Each candidate is
 * a three-process scenario (client A, middle tier B, target C) holding
 * only the accounts it involves, loaded by the scenario loader and run by
 * the model in process: the answer is the model's, rule by rule, and the
 * same text is what the daemons run to confirm it. No I/O. */
#include "paths.h"

#include "sc_load.h"
#include "sc_world.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name, *rule, *what;
} kinds[PATHS_KIND_COUNT] = {
	[PATHS_UNCONSTRAINED] = {"unconstrained", "L5",
				 "the middle tier is trusted for delegation: "
				 "the client's forwardable ticket crosses"},
	[PATHS_CONSTRAINED] = {"constrained", "D4",
			       "the middle tier lists the target "
			       "(allowed_to_delegate_to)"},
	[PATHS_TRANSITION] = {"protocol-transition", "D6",
			      "the client signs in without Kerberos; the "
			      "middle tier gets a token by protocol "
			      "transition, then constrained delegation"},
	[PATHS_RESOURCE_BASED] = {"resource-based", "D5",
				  "the target lists the middle tier "
				  "(allowed_to_act)"},
	[PATHS_SAME_HOST] = {"same-host", "L4",
			     "the client is on the middle tier's host: one "
			     "host boundary, Impersonate is enough"},
};

const char *paths_kind_name(paths_kind k)
{
	return k < PATHS_KIND_COUNT ? kinds[k].name : "?";
}

const char *paths_kind_rule(paths_kind k)
{
	return k < PATHS_KIND_COUNT ? kinds[k].rule : "?";
}

/* ---- a growing text ---------------------------------------------------- */

typedef struct buf {
	char *s;
	size_t len, cap;
	bool oom;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(buf *b, const char *fmt, ...)
{
	if (b->oom)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->s ? b->s + b->len : NULL,
				  b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

/* A YAML double-quoted string. */
static void put_str(buf *b, const char *v)
{
	put(b, "\"");
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			put(b, "\\%c", *p);
		else
			put(b, "%c", *p);
	}
	put(b, "\"");
}

/* ---- the scenario of one candidate ------------------------------------ */

static bool listed(char *const *list, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i] && strcasecmp(list[i], name) == 0)
			return true;
	return false;
}

/* Whether entry (of an allowed_to_delegate_to) names one of the case's
 * accounts: the account itself, or an SPN it holds. */
static bool names_cast(const char *entry, const sc_account_def *const *acc,
		       size_t ncast)
{
	for (size_t c = 0; entry && c < ncast; c++)
		if (sc_spn_is(entry) ? sc_account_holds_spn(acc[c], entry)
				     : strcasecmp(entry, acc[c]->name) == 0)
			return true;
	return false;
}

static void put_list(buf *b, const char *key, char *const *list,
		     unsigned n)
{
	if (!n)
		return;
	put(b, "      %s: [", key);
	for (unsigned i = 0; i < n; i++) {
		put(b, "%s", i ? ", " : "");
		put_str(b, list[i]);
	}
	put(b, "]\n");
}

/* An account as the case needs it: its flags, its groups, its SPNs, and
 * only the delegation entries naming the other accounts of the case. */
static void put_account(buf *b, const sc_account_def *a,
			const sc_account_def *const *acc, size_t ncast)
{
	put(b, "    - name: ");
	put_str(b, a->name);
	put(b, "\n");
	if (a->sid) {
		put(b, "      sid: ");
		put_str(b, a->sid);
		put(b, "\n");
	}
	put_list(b, "groups", a->groups, a->groups_count);
	put_list(b, "spns", a->spns, a->spns_count);
	if (a->sensitive)
		put(b, "      sensitive: true\n");
	if (a->trusted_for_delegation)
		put(b, "      trusted_for_delegation: true\n");
	if (a->trusted_to_auth_for_delegation)
		put(b, "      trusted_to_auth_for_delegation: true\n");
	struct {
		const char *key;
		char *const *list;
		unsigned n;
	} lists[] = {
		{"allowed_to_delegate_to", a->allowed_to_delegate_to,
		 a->allowed_to_delegate_to_count},
		{"allowed_to_act", a->allowed_to_act, a->allowed_to_act_count},
	};
	for (size_t l = 0; l < 2; l++) {
		bool any = false;
		for (unsigned i = 0; i < lists[l].n; i++) {
			if (!names_cast(lists[l].list[i], acc, ncast))
				continue;
			put(b, any ? ", " : "      %s: [", lists[l].key);
			put_str(b, lists[l].list[i]);
			any = true;
		}
		if (any)
			put(b, "]\n");
	}
}

/* One process of a case's file: its name, host, account, SPN (or
 * NULL), blanket and steps (YAML lines). */
typedef struct case_process {
	const char *name;
	const char *host;
	const char *account;
	const char *spn;
	const char *blanket;
	const char *steps;
} case_process;

static void put_process(buf *b, const case_process *p)
{
	put(b, "  - name: %s\n    host: %s\n    account: ", p->name, p->host);
	put_str(b, p->account);
	put(b, "\n");
	if (p->spn) {
		put(b, "    spn: ");
		put_str(b, p->spn);
		put(b, "\n");
	}
	if (strcmp(p->name, "A") != 0)
		put(b, "    started_by: service\n");
	put(b, "    blanket: %s\n    steps:\n%s", p->blanket, p->steps);
}

/* One case of the search: a path of kind from client (standing for
 * clients accounts of its class) through middle to target. */
typedef struct path_case {
	paths_kind kind;
	const sc_account_def *client;
	size_t clients;
	const sc_account_def *middle;
	const sc_account_def *target;
} path_case;

/* The first account list names that is not one of cast's, when list names
 * none of them: the case holds it, so that the list stays non-empty there
 * as in the domain (D5 decides on the target's list whenever it has one,
 * D4 on the middle tier's, and the case must be decided alike). NULL
 * when not needed. */
static const sc_account_def *stand_in(const sc_scenario *s,
				      char *const *list, unsigned n,
				      const sc_account_def *const *acc,
				      size_t ncast)
{
	for (unsigned i = 0; i < n; i++)
		if (names_cast(list[i], acc, ncast))
			return NULL;
	for (unsigned i = 0; i < n; i++) {
		const sc_account_def *a =
			!list[i]		 ? NULL
			: sc_spn_is(list[i]) ? sc_scenario_spn_holder(s, list[i])
					     : sc_scenario_account(s, list[i]);
		if (a)
			return a;
	}
	return NULL;
}

static char *case_yaml(const sc_scenario *s, const path_case *pc,
		       const char *spn)
{
	paths_kind k = pc->kind;
	const sc_account_def *u = pc->client, *m = pc->middle,
			     *t = pc->target;
	const sc_account_def *acc[5] = {u, m, t};
	size_t ncast = 3;
	/* The middle tier's list of services (D4) and the target's list of
	 * accounts allowed to act (D5) keep one entry each when they name
	 * nobody of the case. */
	const sc_account_def *extra[2] = {
		stand_in(s, m->allowed_to_delegate_to,
			 m->allowed_to_delegate_to_count, acc, 3),
		stand_in(s, t->allowed_to_act, t->allowed_to_act_count, acc,
			 3),
	};
	for (size_t i = 0; i < 2; i++) {
		if (!extra[i] || (i == 1 && extra[1] == extra[0]))
			continue;
		acc[ncast++] = extra[i];
	}
	const char *client_host = k == PATHS_SAME_HOST ? "middle-host"
						       : "client-host";
	buf b = {0};
	put(&b, "# cloakroom paths: %s (%s): %s -> %s -> %s\n",
	    kinds[k].name, kinds[k].rule, u->name, m->name, t->name);
	put(&b, "# %s.\n", kinds[k].what);
	put(&b, "scenario: path-%s\n", kinds[k].name);
	put(&b, "description: ");
	put_str(&b, kinds[k].what);
	put(&b, "\ndomain:\n  name: ");
	put_str(&b, s->domain.name ? s->domain.name : "CORP");
	put(&b, "\n  accounts:\n");
	for (size_t i = 0; i < ncast; i++)
		put_account(&b, acc[i], acc, ncast);
	put(&b, "hosts:\n");
	if (k != PATHS_SAME_HOST)
		put(&b, "  - name: %s\n", client_host);
	put(&b, "  - name: middle-host\n");
	if (k == PATHS_TRANSITION) {
		/* S4U2Self gives an Impersonate token only to a holder of
		 * SeTcbPrivilege (D6); without it, Identify (C5). */
		put(&b, "    rights:\n      - privilege: SeTcbPrivilege\n"
			"        holders: [");
		put_str(&b, m->name);
		put(&b, "]\n");
	}
	put(&b, "  - name: target-host\nprocesses:\n");
	const char *level = k == PATHS_UNCONSTRAINED ? "delegate"
			    : k == PATHS_TRANSITION  ? "identify"
						     : "impersonate";
	char blanket[64];
	snprintf(blanket, sizeof(blanket), "{level: %s}", level);
	put_process(&b, &(case_process){"A", client_host, u->name, NULL,
					blanket,
					"      - {do: call, id: a-call, to: B}\n"});
	snprintf(blanket, sizeof(blanket), "{level: %s, cloaking: dynamic}",
		 k == PATHS_UNCONSTRAINED ? "delegate" : "impersonate");
	buf steps = {0};
	if (k == PATHS_TRANSITION) {
		put(&steps, "      - {do: protocol_transition, id: s4u, user: ");
		put_str(&steps, u->name);
		put(&steps, "}\n");
	} else {
		put(&steps, "      - {do: impersonate, id: b-impersonate}\n");
	}
	put(&steps, "      - {do: call, id: b-call, to: C}\n");
	put_process(&b, &(case_process){"B", "middle-host", m->name, NULL,
					blanket, steps.s ? steps.s : ""});
	b.oom = b.oom || steps.oom;
	free(steps.s);
	put_process(&b, &(case_process){
				"C", "target-host", t->name, spn,
				"{level: impersonate}",
				"      - {do: impersonate, id: c-impersonate}\n"});
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* ---- deciding a case in process ---------------------------------------- */

static void decide(paths_found *f, const char *domain)
{
	sc_scenario *scn = NULL;
	sc_load_errors errs = {0};
	f->status = SC_INTERNAL;
	if (sc_load_buffer("path.yaml", f->yaml, strlen(f->yaml), NULL, &scn,
			   &errs) != 0) {
		if (errs.count)
			sc_load_error_format(&errs.items[0], f->why,
					     sizeof(f->why));
		sc_load_errors_free(&errs);
		return;
	}
	sc_load_errors_free(&errs);
	sc_world *w = NULL;
	sc_log log;
	sc_log_init(&log);
	sc_trace t;
	sc_trace_init(&t);
	if (sc_world_new(scn, &w, &log) == SC_OK) {
		sc_world_run(w, &t);
		for (size_t i = 0; i < t.count; i++) {
			const sc_hop *h = &t.hops[i];
			if (strcmp(h->from, "B") != 0 || strcmp(h->to, "C") != 0)
				continue;
			f->status = h->status;
			snprintf(f->presented, sizeof(f->presented), "%s",
				 h->presented);
			size_t used = 0;
			for (size_t n = 0; n < h->log.count; n++) {
				const char *r = h->log.notes[n].rule;
				char word[SC_RULE_LEN + 2];
				snprintf(word, sizeof(word), " %s ", r);
				char padded[sizeof(f->rules) + 2];
				snprintf(padded, sizeof(padded), " %s ",
					 f->rules);
				if (!r[0] || strstr(padded, word))
					continue;
				int w2 = snprintf(f->rules + used,
						  sizeof(f->rules) - used,
						  "%s%s", used ? " " : "", r);
				if (w2 > 0 && used + (size_t)w2 <
						      sizeof(f->rules))
					used += (size_t)w2;
			}
			if (h->log.count) {
				const sc_note *n = &h->log.notes[h->log.count - 1];
				int w3 = snprintf(f->why, sizeof(f->why), "[%s] ",
						  n->rule);
				size_t at = w3 > 0 ? (size_t)w3 : 0;
				if (at < sizeof(f->why))
					snprintf(f->why + at, sizeof(f->why) - at,
						 "%.*s",
						 (int)(sizeof(f->why) - at - 1),
						 n->text);
			}
			break;
		}
	} else if (log.count) {
		snprintf(f->why, sizeof(f->why), "%s",
			 log.notes[log.count - 1].text);
	}
	char want[SC_IDENT_LEN];
	snprintf(want, sizeof(want), "%s\\%s", domain, f->client);
	f->reached = f->status == SC_OK && strcasecmp(f->presented, want) == 0;
	sc_trace_free(&t);
	sc_log_free(&log);
	sc_world_free(w);
	sc_load_free(scn);
}

/* ---- the search -------------------------------------------------------- */

static int add_case(paths_result *r, const sc_scenario *s,
		    const path_case *pc)
{
	const sc_account_def *u = pc->client, *m = pc->middle,
			     *t = pc->target;
	paths_found *items = realloc(r->items,
				     (r->count + 1) * sizeof(*items));
	if (!items)
		return SC_ERR_NOMEM;
	r->items = items;
	paths_found *f = &items[r->count];
	memset(f, 0, sizeof(*f));
	f->kind = pc->kind;
	snprintf(f->client, sizeof(f->client), "%s", u->name);
	f->clients = pc->clients;
	f->client_sensitive = u->sensitive;
	snprintf(f->middle, sizeof(f->middle), "%s", m->name);
	snprintf(f->target, sizeof(f->target), "%s", t->name);
	/* D4: the target called by the SPN the middle tier's list names
	 * it by, when the list names an SPN of it (the KDC matches the
	 * SPN), else by its account. */
	const char *spn = sc_delegation_listed(
		m->allowed_to_delegate_to, m->allowed_to_delegate_to_count, t,
		NULL);
	if (spn && sc_spn_is(spn))
		snprintf(f->target_spn, sizeof(f->target_spn), "%s", spn);
	if (!(f->yaml = case_yaml(s, pc,
				  f->target_spn[0] ? f->target_spn : NULL)))
		return SC_ERR_NOMEM;
	r->count++;
	decide(f, s->domain.name ? s->domain.name : "CORP");
	/* What the model decided, as the file's expectation: `cloakroom
	 * check` on the files then says whether the daemons still agree. */
	buf b = {.s = f->yaml, .len = strlen(f->yaml),
		 .cap = strlen(f->yaml) + 1};
	put(&b, "expect:\n  - {hop: B->C, status: %s",
	    sc_status_name(f->status));
	if (f->status == SC_OK) {
		put(&b, ", presented: ");
		put_str(&b, f->presented);
	}
	put(&b, "}\n");
	f->yaml = b.s;
	return b.oom ? SC_ERR_NOMEM : 0;
}

/* The kinds of path m may offer toward t. */
static unsigned kinds_of(const sc_account_def *m, const sc_account_def *t,
			 const paths_query *q)
{
	unsigned ks = 0;
	if (m->trusted_for_delegation)
		ks |= 1u << PATHS_UNCONSTRAINED;
	if (sc_delegation_listed(m->allowed_to_delegate_to,
				 m->allowed_to_delegate_to_count, t, NULL)) {
		ks |= 1u << PATHS_CONSTRAINED;
		ks |= 1u << PATHS_TRANSITION;
	}
	if (listed(t->allowed_to_act, t->allowed_to_act_count, m->name))
		ks |= 1u << PATHS_RESOURCE_BASED;
	/* Any service can do this one for a client on its own host (L4),
	 * so it is shown only for the middle tier asked for. */
	if (q->from)
		ks |= 1u << PATHS_SAME_HOST;
	return ks;
}

int paths_find(const sc_scenario *s, const paths_query *q, paths_result *out,
	       char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	const sc_domain_def *d = &s->domain;
	const sc_account_def *t = NULL, *as = NULL;
	for (unsigned i = 0; i < d->accounts_count; i++) {
		if (q->target && strcasecmp(d->accounts[i].name, q->target) == 0)
			t = &d->accounts[i];
		if (q->as && strcasecmp(d->accounts[i].name, q->as) == 0)
			as = &d->accounts[i];
	}
	if (!t) {
		snprintf(err, errlen, "no account '%s' in the domain",
			 q->target ? q->target : "");
		return SC_ERR_INVAL;
	}
	if (q->as && !as) {
		snprintf(err, errlen, "no account '%s' in the domain", q->as);
		return SC_ERR_INVAL;
	}
	/* --from: one middle tier, by its account or its host's (HOST$). */
	const sc_account_def *from = NULL;
	for (unsigned i = 0; q->from && i < d->accounts_count; i++) {
		const char *n = d->accounts[i].name;
		size_t l = strlen(q->from);
		if (strcasecmp(n, q->from) == 0 ||
		    (strncasecmp(n, q->from, l) == 0 && n[l] == '$' &&
		     n[l + 1] == '\0'))
			from = &d->accounts[i];
	}
	if (q->from && !from) {
		snprintf(err, errlen,
			 "no account '%s' (or '%s$', its host's) in the domain",
			 q->from, q->from);
		return SC_ERR_INVAL;
	}
	for (unsigned i = 0; i < d->accounts_count; i++) {
		const sc_account_def *m = &d->accounts[i];
		if (m == t || m == as || (from && m != from))
			continue;
		unsigned ks = kinds_of(m, t, q);
		if (!ks)
			continue;
		out->candidates++;
		/* The clients: the one asked for, or one of each class (not
		 * sensitive, sensitive) standing for all its members. */
		const sc_account_def *rep[2] = {as, NULL};
		size_t count[2] = {as ? 1 : 0, 0};
		for (unsigned j = 0; !as && j < d->accounts_count; j++) {
			const sc_account_def *u = &d->accounts[j];
			if (u == m || u == t)
				continue;
			size_t c = u->sensitive ? 1 : 0;
			if (!rep[c])
				rep[c] = u;
			count[c]++;
		}
		for (unsigned k = 0; k < PATHS_KIND_COUNT; k++) {
			if (!(ks & 1u << k))
				continue;
			for (size_t c = 0; c < 2; c++) {
				if (!rep[c])
					continue;
				const path_case pc = {(paths_kind)k, rep[c],
						      count[c], m, t};
				int rc = add_case(out, s, &pc);
				if (rc) {
					snprintf(err, errlen, "out of memory");
					return rc;
				}
			}
		}
	}
	return 0;
}

void paths_result_free(paths_result *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->items[i].yaml);
	free(r->items);
	memset(r, 0, sizeof(*r));
}
