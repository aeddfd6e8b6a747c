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
	[PATHS_PRIVILEGED] = {"privileged-client", "P1",
			      "a privileged client connects to the service "
			      "on its host; a service holding "
			      "SeImpersonatePrivilege (P3) impersonates it "
			      "at Impersonate (P1) and calls on as it"},
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
	const char *started_by; /* NULL: not said (interactive) */
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
	if (p->started_by)
		put(b, "    started_by: %s\n", p->started_by);
	put(b, "    blanket: %s\n    steps:\n%s", p->blanket, p->steps);
}

/* A case file's head after its comment line: its name and description,
 * the domain with the accounts of its cast, and the hosts key. */
static void put_head(buf *b, paths_kind k, const sc_scenario *s,
		     const sc_account_def *const *acc, size_t ncast)
{
	put(b, "# %s.\n", kinds[k].what);
	put(b, "scenario: path-%s\ndescription: ", kinds[k].name);
	put_str(b, kinds[k].what);
	put(b, "\ndomain:\n  name: ");
	put_str(b, s->domain.name ? s->domain.name : "CORP");
	put(b, "\n  accounts:\n");
	for (size_t i = 0; i < ncast; i++)
		put_account(b, acc[i], acc, ncast);
	put(b, "hosts:\n");
}

/* The target C, which impersonates its caller, ends every case file:
 * the file's text, or NULL (and nothing left allocated) when out of
 * memory. */
static char *put_target(buf *b, const char *host, const char *account,
			const char *spn)
{
	put_process(b, &(case_process){
			       "C", host, account, spn, "{level: impersonate}",
			       "      - {do: impersonate, id: c-impersonate}\n",
			       "service"});
	if (b->oom) {
		free(b->s);
		return NULL;
	}
	return b->s;
}

/* One case of the search: a path of kind from client (standing for
 * clients accounts of its class) through middle to target. */
typedef struct path_case {
	paths_kind kind;
	const sc_account_def *client;
	size_t clients;
	const sc_account_def *middle;   /* NULL: not a domain account */
	const sc_account_def *target;
	sc_package package;             /* the client's (A's blanket) */
	/* PATHS_PRIVILEGED: the scenario's processes, client and service. */
	const sc_process_def *cproc, *mproc;
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
	put_head(&b, k, s, acc, ncast);
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
	snprintf(blanket, sizeof(blanket), "{level: %s%s%s}", level,
		 pc->package ? ", package: " : "",
		 pc->package ? sc_package_name(pc->package) : "");
	put_process(&b, &(case_process){"A", client_host, u->name, NULL,
					blanket,
					"      - {do: call, id: a-call, to: B}\n",
					NULL});
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
					blanket, steps.s ? steps.s : "",
					"service"});
	b.oom = b.oom || steps.oom;
	free(steps.s);
	return put_target(&b, "target-host", t->name, spn);
}

/* ---- a privileged client on the service's host (P1, P3) --------------- */

static bool is_system(const char *account)
{
	return strcasecmp(account, "SYSTEM") == 0 ||
	       strcasecmp(account, "NT AUTHORITY\\SYSTEM") == 0;
}

/* SYSTEM, or a domain account in Administrators or Domain Admins: a
 * client whose token a service would want to take (P1). */
static bool privileged(const sc_scenario *s, const char *account)
{
	if (is_system(account))
		return true;
	const sc_account_def *a = sc_scenario_account(s, account);
	static const char da[] = "Domain Admins";
	for (unsigned i = 0; a && i < a->groups_count; i++) {
		const char *g = a->groups[i], *slash = strrchr(g, '\\');
		const char *n = slash ? slash + 1 : g;
		if (strcasecmp(n, "Administrators") == 0 ||
		    strcasecmp(n, da) == 0)
			return true;
	}
	return false;
}

/* A blanket as the file wrote it (only the keys it gave). */
static void blanket_text(const sc_blanket *bl, char *out, size_t len)
{
	buf b = {0};
	const char *sep = "";
	put(&b, "{");
	if (bl->given & SC_GIVEN_LEVEL) {
		put(&b, "level: %s", sc_level_name(bl->level));
		sep = ", ";
	}
	if (bl->given & SC_GIVEN_TRANSPORT) {
		put(&b, "%stransport: %s", sep, sc_transport_name(bl->transport));
		sep = ", ";
	}
	if (bl->given & SC_GIVEN_SQOS) {
		put(&b, "%ssqos: %s", sep, bl->sqos ? "true" : "false");
		sep = ", ";
	}
	if (bl->given & SC_GIVEN_PACKAGE) {
		put(&b, "%spackage: %s", sep, sc_package_name(bl->package));
		sep = ", ";
	}
	if (bl->given & SC_GIVEN_AUTHN) {
		put(&b, "%sauthn: %s", sep, sc_authn_name(bl->authn));
		sep = ", ";
	}
	if (bl->given & SC_GIVEN_TRACKING) {
		put(&b, "%stracking: %s", sep, sc_tracking_name(bl->tracking));
		sep = ", ";
	}
	if (bl->given & SC_GIVEN_EFFECTIVE_ONLY)
		put(&b, "%seffective_only: %s", sep,
		    bl->effective_only ? "true" : "false");
	put(&b, "}");
	snprintf(out, len, "%s", b.s && !b.oom ? b.s : "{}");
	free(b.s);
}

/* The service's host as the scenario has it: what decides whether the
 * service holds SeImpersonatePrivilege (rights, P3) and the level a COM
 * client asks by default (L6). */
static void put_host(buf *b, const sc_host_def *h)
{
	put(b, "  - name: ");
	put_str(b, h->name);
	put(b, "\n");
	if (h->workgroup)
		put(b, "    workgroup: true\n");
	if (h->trusted_for_delegation)
		put(b, "    trusted_for_delegation: true\n");
	if (h->default_level)
		put(b, "    default_level: %s\n",
		    sc_level_name(h->default_level));
	if (h->rights_count)
		put(b, "    rights:\n");
	for (unsigned i = 0; i < h->rights_count; i++) {
		const sc_right_def *r = &h->rights[i];
		put(b, "      - {privilege: ");
		put_str(b, r->privilege);
		put(b, ", scope: %s, holders: [", sc_scope_name(r->scope));
		for (unsigned k = 0; k < r->holders_count; k++) {
			put(b, "%s", k ? ", " : "");
			put_str(b, r->holders[k]);
		}
		put(b, "]}\n");
	}
}

/* Add the domain account name to acc (at most cap, no twice). */
static void cast_add(const sc_scenario *s, const char *name,
		     const sc_account_def **acc, size_t *n, size_t cap)
{
	const sc_account_def *a = sc_scenario_account(s, name);
	for (size_t i = 0; a && i < *n; i++)
		if (acc[i] == a)
			return;
	if (a && *n < cap)
		acc[(*n)++] = a;
}

/* The case of a privileged client (pc->cproc) calling the service
 * (pc->mproc) on their host, which impersonates it and calls the target
 * on another host with dynamic cloaking. */
static char *privileged_yaml(const sc_scenario *s, const path_case *pc)
{
	const sc_process_def *cp = pc->cproc, *mp = pc->mproc;
	const sc_account_def *t = pc->target;
	const sc_host_def *h = sc_scenario_host(s, mp->host);
	if (!h)
		return NULL;
	/* The accounts: client, service and target when they are the
	 * domain's, the host's computer account, and every account the
	 * host's rights name. */
	const sc_account_def *acc[32];
	size_t ncast = 0, cap = sizeof(acc) / sizeof(acc[0]);
	char cn[SC_IDENT_LEN];
	cast_add(s, cp->account, acc, &ncast, cap);
	cast_add(s, mp->account, acc, &ncast, cap);
	cast_add(s, t->name, acc, &ncast, cap);
	if (sc_host_computer_name(h, cn, sizeof(cn)))
		cast_add(s, cn, acc, &ncast, cap);
	for (unsigned i = 0; i < h->rights_count; i++)
		for (unsigned k = 0; k < h->rights[i].holders_count; k++)
			cast_add(s, h->rights[i].holders[k], acc, &ncast, cap);
	buf b = {0};
	const paths_kind k = PATHS_PRIVILEGED;
	put(&b, "# cloakroom paths: %s (%s): %s -> %s -> %s, on %s\n",
	    kinds[k].name, kinds[k].rule, cp->account, mp->account, t->name,
	    h->name);
	put_head(&b, k, s, acc, ncast);
	put_host(&b, h);
	put(&b, "  - name: %s\nprocesses:\n",
	    strcmp(h->name, "target-host") ? "target-host" : "target-host2");
	char blanket[256];
	blanket_text(&cp->blanket, blanket, sizeof(blanket));
	put_process(&b, &(case_process){
				"A", h->name, cp->account, NULL, blanket,
				"      - {do: call, id: a-call, to: B}\n",
				cp->started_by ? sc_start_name(cp->started_by)
					       : NULL});
	/* A pipe's server reads before it impersonates (N1). */
	put_process(&b, &(case_process){
				"B", h->name, mp->account, NULL,
				"{level: impersonate, cloaking: dynamic}",
				cp->blanket.transport == SC_TRANSPORT_PIPE
					? "      - {do: read}\n"
					  "      - {do: impersonate, id: "
					  "b-impersonate}\n"
					  "      - {do: call, id: b-call, to: C}\n"
					: "      - {do: impersonate, id: "
					  "b-impersonate}\n"
					  "      - {do: call, id: b-call, to: C}\n",
				mp->started_by ? sc_start_name(mp->started_by)
					       : NULL});
	return put_target(&b,
			  strcmp(h->name, "target-host") ? "target-host"
							 : "target-host2",
			  t->name, NULL);
}

/* ---- deciding a case in process ---------------------------------------- */

/* The hop from A to B of a case's trace, or NULL. */
static const sc_hop *client_hop(const sc_trace *t)
{
	for (size_t i = 0; i < t->count; i++)
		if (strcmp(t->hops[i].from, "A") == 0 &&
		    strcmp(t->hops[i].to, "B") == 0)
			return &t->hops[i];
	return NULL;
}

const sc_hop *paths_deciding_hop(const sc_trace *t)
{
	const sc_hop *ab = NULL;
	for (size_t i = 0; i < t->count; i++) {
		const sc_hop *h = &t->hops[i];
		if (strcmp(h->from, "B") == 0 && strcmp(h->to, "C") == 0)
			return h;
		if (strcmp(h->from, "A") == 0 && strcmp(h->to, "B") == 0)
			ab = h;
	}
	return ab;
}

/* Append the rule id r to rules (len bytes) unless it is there. */
static void add_rule(char *rules, size_t len, const char *r)
{
	char word[SC_RULE_LEN + 2], padded[128];
	snprintf(word, sizeof(word), " %.*s ", SC_RULE_LEN - 1, r);
	snprintf(padded, sizeof(padded), " %s ", rules);
	if (!r[0] || strstr(padded, word))
		return;
	size_t used = strlen(rules);
	int w = snprintf(rules + used, len - used, "%s%s", used ? " " : "", r);
	if (w < 0 || used + (size_t)w >= len)
		rules[used] = '\0';
}

/* Append the rule ids of log's notes to rules, each once. */
static void add_rules(char *rules, size_t len, const sc_log *log)
{
	for (size_t n = 0; n < log->count; n++)
		add_rule(rules, len, log->notes[n].rule);
}

/* "[RULE] text" of a note into why. */
static void note_why(char *why, size_t len, const sc_note *n)
{
	snprintf(why, len, "[%s] %.*s", n->rule,
		 (int)(len > 16 ? len - 16 : 0), n->text);
}

/* The middle tier's impersonation in a case's trace (PATHS_PRIVILEGED
 * names it b-impersonate), or NULL. */
static const sc_step_result *b_impersonation(const sc_trace *t)
{
	for (size_t i = 0; i < t->count; i++)
		for (size_t k = 0; k < t->hops[i].steps_count; k++)
			if (strcmp(t->hops[i].steps[k].id, "b-impersonate") ==
			    0)
				return &t->hops[i].steps[k];
	return NULL;
}

/* The identity the target must see for the path to reach it: the
 * client; SYSTEM from another host is its host's computer account
 * (D8). */
static void reached_as(const sc_scenario *s, const paths_found *f,
		       const char *domain, char *out, size_t len)
{
	const sc_host_def *h = f->client_host[0]
				       ? sc_scenario_host(s, f->client_host)
				       : NULL;
	char cn[SC_COMPUTER_NAME_MAX];
	if (h && is_system(f->client) &&
	    sc_host_computer_name(h, cn, sizeof(cn)))
		snprintf(out, len, "%.64s\\%.*s", domain, 90, cn);
	else
		snprintf(out, len, "%.64s\\%.90s", domain, f->client);
}

/* What the model decided at the hop that decides the case (h), and, for
 * a privileged client, the middle tier's impersonation (imp) before
 * it: status, identity, rule ids, the deciding note, and what stopped
 * it. */
static void take_decision(paths_found *f, const sc_hop *h,
			  const sc_step_result *imp)
{
	f->status = h->status;
	snprintf(f->presented, sizeof(f->presented), "%s", h->presented);
	if (imp)
		add_rules(f->rules, sizeof(f->rules), &imp->log);
	add_rules(f->rules, sizeof(f->rules), &h->log);
	if (h->log.count)
		note_why(f->why, sizeof(f->why),
			 &h->log.notes[h->log.count - 1]);
	/* P2: the service's impersonation was downgraded (it holds no
	 * SeImpersonatePrivilege): that is what stops the path. */
	for (size_t n = 0; imp && n < imp->log.count; n++)
		if (strcmp(imp->log.notes[n].rule, "P2") == 0)
			note_why(f->why, sizeof(f->why), &imp->log.notes[n]);
	const char *close = strchr(f->why, ']');
	if (f->why[0] == '[' && close && (size_t)(close - f->why - 1) <
						 sizeof(f->blocked_by))
		snprintf(f->blocked_by, sizeof(f->blocked_by), "%.*s",
			 (int)(close - f->why - 1), f->why + 1);
}

/* A path stopped after the client's hop (ab) gave B less than the level
 * the client asked (NTLM carries no delegation, D3; a sensitive client's
 * Delegate, D2): what B's side decided first there is what stopped it:
 * its rule id comes first, and its note is the row's. */
static void blame_client_hop(paths_found *f, const sc_hop *ab,
			     const sc_hop *h)
{
	if (!ab || ab == h || ab->level_requested == SC_LEVEL_DEFAULT ||
	    ab->level_effective >= ab->level_requested ||
	    ab->log.count <= ab->caller_notes)
		return;
	const sc_note *n = &ab->log.notes[ab->caller_notes];
	/* That decision's rule, then the deciding hop's. */
	char rules[sizeof(f->rules)] = "";
	add_rule(rules, sizeof(rules), n->rule);
	char *save = NULL;
	for (char *w = strtok_r(f->rules, " ", &save); w;
	     w = strtok_r(NULL, " ", &save))
		add_rule(rules, sizeof(rules), w);
	snprintf(f->rules, sizeof(f->rules), "%s", rules);
	note_why(f->why, sizeof(f->why), n);
	snprintf(f->blocked_by, sizeof(f->blocked_by), "%s", n->rule);
}

static void decide(paths_found *f, const sc_scenario *domain_of)
{
	const char *domain = domain_of->domain.name ? domain_of->domain.name
						    : "CORP";
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
		const sc_hop *h = paths_deciding_hop(&t);
		if (h)
			take_decision(f, h,
				      f->kind == PATHS_PRIVILEGED
					      ? b_impersonation(&t)
					      : NULL);
	} else if (log.count) {
		snprintf(f->why, sizeof(f->why), "%s",
			 log.notes[log.count - 1].text);
	}
	char want[SC_IDENT_LEN];
	reached_as(domain_of, f, domain, want, sizeof(want));
	f->reached = f->status == SC_OK && strcasecmp(f->presented, want) == 0;
	if (f->reached)
		f->blocked_by[0] = '\0';
	else
		blame_client_hop(f, client_hop(&t), paths_deciding_hop(&t));
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
	f->clients = pc->clients;
	f->package = pc->package;
	snprintf(f->target, sizeof(f->target), "%s", t->name);
	if (pc->kind == PATHS_PRIVILEGED) {
		snprintf(f->client, sizeof(f->client), "%s",
			 pc->cproc->account);
		snprintf(f->client_host, sizeof(f->client_host), "%s",
			 pc->cproc->host);
		f->client_sensitive = u && u->sensitive;
		f->package = pc->cproc->blanket.package;
		snprintf(f->middle, sizeof(f->middle), "%s",
			 pc->mproc->account);
		f->yaml = privileged_yaml(s, pc);
	} else {
		snprintf(f->client, sizeof(f->client), "%s", u->name);
		f->client_sensitive = u->sensitive;
		snprintf(f->middle, sizeof(f->middle), "%s", m->name);
		/* D4: the target called by the SPN the middle tier's list
		 * names it by, when the list names an SPN of it (the KDC
		 * matches the SPN), else by its account. */
		const char *spn = sc_delegation_listed(
			m->allowed_to_delegate_to,
			m->allowed_to_delegate_to_count, t, NULL);
		if (spn && sc_spn_is(spn))
			snprintf(f->target_spn, sizeof(f->target_spn), "%s",
				 spn);
		f->yaml = case_yaml(s, pc,
				    f->target_spn[0] ? f->target_spn : NULL);
	}
	if (!f->yaml)
		return SC_ERR_NOMEM;
	r->count++;
	decide(f, s);
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

/* A search's inputs, resolved against the domain. */
typedef struct search {
	const sc_scenario *s;
	const paths_query *q;
	const sc_account_def *t;    /* the target */
	const sc_account_def *as;   /* --as, a domain account, or NULL */
	const sc_account_def *from; /* --from, or NULL */
	bool as_process;            /* --as names a privileged process's
	                               account only (SYSTEM): no delegation
	                               kinds */
} search;

/* The delegation kinds: every middle tier whose settings reach the
 * target, with one client of each class (or --as). */
static int find_delegation(const search *S, paths_result *out)
{
	const sc_domain_def *d = &S->s->domain;
	const sc_account_def *t = S->t, *as = S->as;
	for (unsigned i = 0; !S->as_process && i < d->accounts_count; i++) {
		const sc_account_def *m = &d->accounts[i];
		if (m == t || m == as || (S->from && m != S->from))
			continue;
		unsigned ks = kinds_of(m, t, S->q);
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
			for (size_t c = 0; (ks & 1u << k) && c < 2; c++) {
				if (!rep[c])
					continue;
				const path_case pc = {(paths_kind)k, rep[c],
						      count[c], m, t,
						      S->q->package, NULL,
						      NULL};
				int rc = add_case(out, S->s, &pc);
				if (rc)
					return rc;
			}
		}
	}
	return 0;
}

/* Whether service process mp is the middle tier --from asks for: its
 * account, or its host's computer account. */
static bool from_matches(const search *S, const sc_process_def *mp)
{
	if (!S->from)
		return true;
	char cn[SC_IDENT_LEN];
	const sc_host_def *h = sc_scenario_host(S->s, mp->host);
	return strcasecmp(S->from->name, mp->account) == 0 ||
	       (h && sc_host_computer_name(h, cn, sizeof(cn)) &&
		strcasecmp(S->from->name, cn) == 0);
}

/* Whether out has the privileged path of client cp through mp. */
static bool have_privileged(const paths_result *out,
			    const sc_process_def *cp,
			    const sc_process_def *mp)
{
	for (size_t i = 0; i < out->count; i++) {
		const paths_found *f = &out->items[i];
		if (f->kind == PATHS_PRIVILEGED &&
		    strcasecmp(f->client, cp->account) == 0 &&
		    strcmp(f->client_host, cp->host) == 0 &&
		    strcasecmp(f->middle, mp->account) == 0)
			return true;
	}
	return false;
}

/* P1, P3: each process of the scenario running as a privileged account
 * (SYSTEM, an administrator) that calls a service on its own host
 * running as an account that is not: the service may impersonate it and
 * act as it, on its host and toward the target. */
static int find_privileged(const search *S, paths_result *out)
{
	const sc_scenario *s = S->s;
	for (unsigned i = 0; i < s->processes_count; i++) {
		const sc_process_def *cp = &s->processes[i];
		if (!privileged(s, cp->account) ||
		    (S->q->as && strcasecmp(cp->account, S->q->as) != 0))
			continue;
		for (unsigned k = 0; k < cp->steps_count; k++) {
			const sc_step *st = &cp->steps[k];
			const sc_process_def *mp =
				st->kind == SC_STEP_CALL && st->to
					? sc_scenario_process(s, st->to)
					: NULL;
			if (!mp || strcmp(mp->host, cp->host) != 0 ||
			    privileged(s, mp->account) ||
			    strcasecmp(mp->account, S->t->name) == 0 ||
			    !from_matches(S, mp) ||
			    have_privileged(out, cp, mp))
				continue;
			out->candidates++;
			const path_case pc = {
				PATHS_PRIVILEGED,
				sc_scenario_account(s, cp->account),
				1,
				sc_scenario_account(s, mp->account),
				S->t,
				SC_PACKAGE_DEFAULT,
				cp,
				mp};
			int rc = add_case(out, s, &pc);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* Whether a process of s runs as account and is a privileged client. */
static bool privileged_process(const sc_scenario *s, const char *account)
{
	for (unsigned i = 0; i < s->processes_count; i++)
		if (strcasecmp(s->processes[i].account, account) == 0 &&
		    privileged(s, account))
			return true;
	return false;
}

int paths_find(const sc_scenario *s, const paths_query *q, paths_result *out,
	       char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	const sc_domain_def *d = &s->domain;
	search S = {.s = s, .q = q};
	for (unsigned i = 0; i < d->accounts_count; i++) {
		if (q->target && strcasecmp(d->accounts[i].name, q->target) == 0)
			S.t = &d->accounts[i];
		if (q->as && strcasecmp(d->accounts[i].name, q->as) == 0)
			S.as = &d->accounts[i];
	}
	if (!S.t) {
		snprintf(err, errlen, "no account '%s' in the domain",
			 q->target ? q->target : "");
		return SC_ERR_INVAL;
	}
	S.as_process = q->as && !S.as && privileged_process(s, q->as);
	if (q->as && !S.as && !S.as_process) {
		snprintf(err, errlen, "no account '%s' in the domain", q->as);
		return SC_ERR_INVAL;
	}
	/* --from: one middle tier, by its account or its host's (HOST$). */
	for (unsigned i = 0; q->from && i < d->accounts_count; i++) {
		const char *n = d->accounts[i].name;
		size_t l = strlen(q->from);
		if (strcasecmp(n, q->from) == 0 ||
		    (strncasecmp(n, q->from, l) == 0 && n[l] == '$' &&
		     n[l + 1] == '\0'))
			S.from = &d->accounts[i];
	}
	if (q->from && !S.from) {
		snprintf(err, errlen,
			 "no account '%s' (or '%s$', its host's) in the domain",
			 q->from, q->from);
		return SC_ERR_INVAL;
	}
	int rc = find_delegation(&S, out);
	if (rc == 0)
		rc = find_privileged(&S, out);
	if (rc)
		snprintf(err, errlen, "out of memory");
	return rc;
}

void paths_result_free(paths_result *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->items[i].yaml);
	free(r->items);
	memset(r, 0, sizeof(*r));
}
