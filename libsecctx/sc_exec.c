/* sc_exec.c: the step interpreter. A process's steps run either as a
 * client program or inside one incoming call; the per-call state (the
 * caller's token, the thread token) lives on the stack of that call, so
 * concurrent calls never see each other's identity. Model only: no I/O,
 * no gRPC: outgoing calls and sleeps go through callbacks. */
#include "sc_exec.h"

#include "sc_acl.h"
#include "sc_sddl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sc_runtime {
	const sc_scenario *scn;
	const sc_process_def *self;
	const sc_host_def *host;
	sc_directory *dir;
	sc_token *process;
	sc_policy policy;
	sc_call_fn call;
	sc_sleep_fn sleep;
	void *user;
	pthread_mutex_t lock; /* guards proxies, process and retired */
	sc_proxy *proxies;
	size_t proxies_count;
	/* P4: the tokens of the process before each restart; calls that
	 * began before a restart still use theirs, so they live until the
	 * runtime is freed. */
	sc_token **retired;
	size_t retired_count;
};

/* The most tokens one call (or the client's program) keeps. */
#define SC_KEPT_MAX 16

/* The state of one call being served (or of the client program). */
typedef struct sc_frame {
	sc_runtime *rt;
	const sc_context *in;  /* NULL for the client program */
	sc_token *client;      /* the token built for the caller */
	sc_token *thread;      /* the thread token, NULL when reverted */
	sc_token *primary;     /* the process token once this call adjusted
	                          its privileges (a private copy), or NULL */
	const sc_token *proc;  /* the process token when the call began, or
	                          after this call restarted the process */
	bool read;             /* N1: a message was read from the pipe */
	struct {               /* T2: the copies duplicate steps kept */
		const char *name;
		sc_token *t;
	} kept[SC_KEPT_MAX];
	size_t kept_count;
	void *parent;
	sc_trace *out;
	int hop;               /* this call's hop in out, -1 for the client */
	unsigned depth;
} sc_frame;

sc_status sc_runtime_new(const sc_scenario *scn, const char *name,
			 sc_runtime **out, sc_log *log)
{
	*out = NULL;
	const sc_process_def *self = sc_scenario_process(scn, name);
	if (!self) {
		sc_log_input(log, "no process named %s", name);
		return SC_NOT_FOUND;
	}
	sc_runtime *rt = calloc(1, sizeof(*rt));
	if (!rt)
		return SC_INTERNAL;
	rt->scn = scn;
	rt->self = self;
	rt->host = sc_scenario_host(scn, self->host);
	pthread_mutex_init(&rt->lock, NULL);
	sc_policy_from_settings(&scn->settings, &rt->policy);
	if (sc_directory_new(scn, &rt->dir) != 0) {
		sc_runtime_free(rt);
		return SC_INTERNAL;
	}
	sc_status st = sc_directory_logon(rt->dir, self->account, self->host,
					  self->started_by, &rt->process, log);
	if (st == SC_OK)
		st = sc_directory_group_states(rt->dir, rt->process, self, log);
	if (st == SC_OK)
		/* D1, D4: the tickets its logon asks for; T12: its
		 * integrity level. */
		sc_directory_ticket_options(rt->process, self);
	if (st != SC_OK) {
		sc_runtime_free(rt);
		return st;
	}
	*out = rt;
	return SC_OK;
}

void sc_runtime_free(sc_runtime *rt)
{
	if (!rt)
		return;
	for (size_t i = 0; i < rt->proxies_count; i++)
		sc_proxy_release(&rt->proxies[i]);
	free(rt->proxies);
	sc_token_free(rt->process);
	for (size_t i = 0; i < rt->retired_count; i++)
		sc_token_free(rt->retired[i]);
	free(rt->retired);
	sc_directory_free(rt->dir);
	pthread_mutex_destroy(&rt->lock);
	free(rt);
}

void sc_runtime_set_transport(sc_runtime *rt, sc_call_fn call,
			      sc_sleep_fn sleep, void *user)
{
	rt->call = call;
	rt->sleep = sleep;
	rt->user = user;
}

const sc_process_def *sc_runtime_process(const sc_runtime *rt)
{
	return rt->self;
}

const sc_token *sc_runtime_token(const sc_runtime *rt)
{
	return rt->process;
}

const sc_directory *sc_runtime_directory(const sc_runtime *rt)
{
	return rt->dir;
}

const sc_scenario *sc_runtime_scenario(const sc_runtime *rt)
{
	return rt->scn;
}

/* The token f keeps as name, or NULL. */
static const sc_token *kept_token(const sc_frame *f, const char *name)
{
	for (size_t i = 0; name && i < f->kept_count; i++)
		if (strcmp(f->kept[i].name, name) == 0)
			return f->kept[i].t;
	return NULL;
}

/* The token f keeps as name; else NULL, said in the step's log (T2:
 * the loader checks that an earlier step keeps it, so the duplicate that
 * would have kept it failed, or did not run in this call). */
static const sc_token *kept_or_say(const sc_frame *f, const char *name,
				   sc_step_result *r)
{
	const sc_token *t = kept_token(f, name);
	if (!t)
		sc_log_rule(&r->log, "T2",
			    "no token is kept as %s in this call: the "
			    "duplicate that keeps it failed or did not run",
			    name);
	return t;
}

/* Keep t (taken) as name in f, replacing what that name held. 0, or -1
 * when f keeps too many (t not taken). */
static int keep_token(sc_frame *f, const char *name, sc_token *t)
{
	for (size_t i = 0; i < f->kept_count; i++)
		if (strcmp(f->kept[i].name, name) == 0) {
			sc_token_free(f->kept[i].t);
			f->kept[i].t = t;
			return 0;
		}
	if (f->kept_count == SC_KEPT_MAX)
		return -1;
	f->kept[f->kept_count].name = name;
	f->kept[f->kept_count++].t = t;
	return 0;
}

/* T2: t (taken) kept as keep for the rest of the call, said in the
 * step's log as what of its user; freed when the step keeps nothing
 * (or f keeps too many). */
static void keep_or_free(sc_frame *f, const char *keep, sc_token *t,
			 sc_step_result *r, const char *what)
{
	if (keep && keep_token(f, keep, t) == 0) {
		sc_log_rule(&r->log, "T2", "%s of %s is kept as %s", what,
			    sc_token_user_name(t), keep);
		return;
	}
	sc_token_free(t);
}

static void kept_free(sc_frame *f)
{
	for (size_t i = 0; i < f->kept_count; i++)
		sc_token_free(f->kept[i].t);
	f->kept_count = 0;
}

/* The process token as this call sees it: its own adjusted copy, if it
 * made one, else the runtime's. */
/* The process token now (a restart replaces it). */
static const sc_token *process_now(sc_runtime *rt)
{
	pthread_mutex_lock(&rt->lock);
	const sc_token *t = rt->process;
	pthread_mutex_unlock(&rt->lock);
	return t;
}

static const sc_token *proc_token(const sc_frame *f)
{
	return f->primary ? f->primary : f->proc;
}

/* The proxy to target; created on first use. Caller holds rt->lock. */
static sc_proxy *proxy_for(sc_runtime *rt, const char *target)
{
	for (size_t i = 0; i < rt->proxies_count; i++)
		if (strcmp(rt->proxies[i].target, target) == 0)
			return &rt->proxies[i];
	sc_proxy *n = realloc(rt->proxies,
			      (rt->proxies_count + 1) * sizeof(*n));
	if (!n)
		return NULL;
	rt->proxies = n;
	sc_proxy *p = &n[rt->proxies_count++];
	memset(p, 0, sizeof(*p));
	snprintf(p->target, sizeof(p->target), "%s", target);
	return p;
}

/* The blanket a call uses: the step's settings over the proxy's (set by
 * set_blanket) over the process's. A step's blanket overrides exactly the
 * fields it gives (over->given), none and default included: that is how
 * set_blanket turns cloaking off or puts the level back to the default. */
static sc_blanket effective_blanket(const sc_blanket *base,
				    const sc_blanket *over)
{
	sc_blanket b = *base;
	if (!over)
		return b;
	unsigned g = over->given;
#define OVERRIDE(id, field)                                                  \
	if (g & SC_GIVEN_##id)                                               \
		b.field = over->field;
	SC_BLANKET_FIELDS(OVERRIDE)
#undef OVERRIDE
	b.given = base->given | g;
	return b;
}

static bool host_in_domain(const sc_scenario *scn, const char *host)
{
	const sc_host_def *h = sc_scenario_host(scn, host);
	return h && !h->workgroup;
}

static void set_as(sc_step_result *r, const sc_token *t)
{
	snprintf(r->as, sizeof(r->as), "%s", sc_token_user_name(t));
	r->as_level = sc_token_type_of(t) == SC_TOKEN_IMPERSONATION
			      ? sc_token_level_raw(t)
			      : SC_LEVEL_DEFAULT;
}

static sc_step_result *begin_step(sc_frame *f, const sc_step *s)
{
	sc_step_result *r = sc_trace_add_step(f->out, f->hop);
	if (!r)
		return NULL;
	snprintf(r->process, sizeof(r->process), "%s", f->rt->self->name);
	snprintf(r->id, sizeof(r->id), "%s", s->id ? s->id : "");
	r->kind = s->kind;
	return r;
}

static void fill_failed_hop(sc_frame *f, sc_hop *h, const char *target,
			    const char *target_host, const sc_blanket *b,
			    sc_level asked)
{
	snprintf(h->from, sizeof(h->from), "%s", f->rt->self->name);
	snprintf(h->to, sizeof(h->to), "%s", target);
	snprintf(h->from_host, sizeof(h->from_host), "%s", f->rt->self->host);
	snprintf(h->to_host, sizeof(h->to_host), "%s", target_host);
	h->crossed_host = strcmp(h->from_host, h->to_host) != 0;
	h->level_requested = asked;
	h->level_effective = SC_LEVEL_DEFAULT;
	h->cloaking = b->cloaking;
	h->package = b->package; /* as resolved for the hop (D3) */
	h->authn = sc_blanket_authn_asked(b); /* T8: the client's, as the
						 blanket asks it */
	h->depth = f->depth;
}

/* A call step: choose the identity (C1-C6), send, and merge the reply. */
/* One outgoing call as the caller decides it (call_choose), then sends
 * (call_send) and records (call_record). */
typedef struct call_plan {
	const sc_process_def *target;
	sc_blanket b;       /* the proxy's blanket with the step's */
	sc_level asked;     /* after L6 */
	sc_token *identity; /* what the call presents (owned) */
	sc_token *replaced; /* C6 anonymous: the identity it could not
			       carry (owned), else NULL */
	unsigned boundaries;
	char who_name[SC_IDENT_LEN];
	char chosen_name[SC_IDENT_LEN]; /* what the cloaking chose (C2-C4,
					   T7), also for a call refused */
	sc_log caller;      /* the caller's decisions */
} call_plan;

/* The blanket, the level asked, the identity presented (C1-C7, L4, L5,
 * D3-D6) and what the network makes of it (D8), under the runtime's
 * lock (the proxy's state). */
static sc_status call_choose(sc_frame *f, const sc_step *s, call_plan *c)
{
	sc_runtime *rt = f->rt;
	pthread_mutex_lock(&rt->lock);
	sc_proxy *proxy = proxy_for(rt, s->to);
	if (!proxy) {
		pthread_mutex_unlock(&rt->lock);
		return SC_INTERNAL;
	}
	/* A blanket set on the proxy replaces the process's whole: it was
	 * made from it. */
	c->b = effective_blanket(proxy->has_blanket ? &proxy->blanket
						    : &rt->self->blanket,
				 s->blanket);
	if (f->in && f->in->depth >= 1)
		/* C7: a middle tier called by another middle tier: the chain
		 * is longer than three, and this tier chooses with its own
		 * proxy and blanket whatever the tiers before it did. */
		sc_log_rule(&c->caller, "C7",
			    "%s, middle tier %u of the chain %s>%s, applies "
			    "C2-C6 with its own proxy to %s",
			    rt->self->name, f->in->depth + 1, f->in->chain,
			    rt->self->name, s->to);
	c->asked = sc_blanket_level_asked(&c->b, rt->host,
					   rt->self->com_plus, &c->caller);
	const sc_token *who = NULL, *chosen = NULL;
	/* The package this hop uses (Negotiate: Kerberos between domain
	 * hosts, else NTLM): D3 decides what it can carry. */
	c->b.package = sc_blanket_package(
		&c->b, host_in_domain(rt->scn, rt->self->host) &&
			       host_in_domain(rt->scn, c->target->host));
	sc_cloak_input ci = {
		.blanket = &c->b,
		.process = proc_token(f),
		.thread = f->thread,
		.my_host = rt->self->host,
		.target_host = c->target->host,
		.policy = &rt->policy,
	};
	sc_cloak_input_init(&ci, rt->dir, rt->self->account,
			    c->target->account, c->target->spn);
	sc_status st = sc_cloak_choose(&ci, proxy, &who, &chosen,
				       &c->boundaries, &c->caller);
	if (chosen)
		snprintf(c->chosen_name, sizeof(c->chosen_name), "%s",
			 sc_token_user_name(chosen));
	if (st == SC_OK) {
		/* D8: a machine identity authenticates to another host as
		 * its host's computer account, or anonymously. */
		st = sc_directory_on_network(rt->dir, who, rt->self->host,
					     c->target->host, &c->identity,
					     &c->caller);
		if (st == SC_OK && !c->identity)
			c->identity = sc_token_copy(who);
		/* C6: ANONYMOUS LOGON in place of an identity that could not
		 * cross: the authority is asked on that identity's
		 * evidence. */
		if (st == SC_OK && who == proxy->anonymous &&
		    !(c->replaced = sc_token_copy(proxy->replaced)))
			st = SC_INTERNAL;
	}
	if (who)
		snprintf(c->who_name, sizeof(c->who_name), "%s",
			 sc_token_user_name(c->identity ? c->identity : who));

	proxy->calls++;
	pthread_mutex_unlock(&rt->lock);
	return st == SC_OK && !c->identity ? SC_INTERNAL : st;
}

/* The context the call carries (T7's effective-only applied), sent
 * through the runtime's transport; the callee's trace into reply. */
static sc_status call_send(sc_frame *f, const sc_step *s, call_plan *c,
			   sc_trace *reply)
{
	sc_runtime *rt = f->rt;
	if (c->b.transport == SC_TRANSPORT_PIPE && c->b.sqos &&
	    c->b.effective_only) {
		/* T7: effective-only: only what is enabled reaches the
		 * server. */
		size_t n = sc_token_drop_disabled_privileges(c->identity);
		sc_log_rule(&c->caller, "T7",
			    "effective-only: %zu disabled privilege%s of %s "
			    "%s not sent",
			    n, n == 1 ? "" : "s", c->who_name,
			    n == 1 ? "is" : "are");
	}
	sc_token_set_boundaries(c->identity, c->boundaries);
	bool domain = host_in_domain(rt->scn, rt->self->host) &&
		      host_in_domain(rt->scn, c->target->host);
	sc_context ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.identity = c->identity;
	ctx.replaced = c->replaced;
	ctx.asked = c->asked;
	ctx.authn = sc_blanket_authn_asked(&c->b);
	ctx.package = sc_blanket_package(&c->b, domain);
	ctx.cloaking = c->b.cloaking;
	ctx.transport = c->b.transport;
	ctx.depth = f->in ? f->in->depth + 1 : 0;
	snprintf(ctx.caller, sizeof(ctx.caller), "%s", rt->self->name);
	snprintf(ctx.caller_host, sizeof(ctx.caller_host), "%s",
		 rt->self->host);
	snprintf(ctx.caller_account, sizeof(ctx.caller_account), "%s",
		 sc_token_user_name(f->proc));
	/* A chain too long for the field keeps its start. */
	if (snprintf(ctx.chain, sizeof(ctx.chain), "%s%s%s",
		     f->in ? f->in->chain : "", f->in ? ">" : "",
		     rt->self->name) >= (int)sizeof(ctx.chain))
		ctx.chain[sizeof(ctx.chain) - 1] = '\0';
	if (!rt->call) {
		/* A fact of the transport, not a decision: NET. */
		sc_log_rule(&c->caller, "NET", "no transport to call %s",
			    s->to);
		return SC_UNAVAILABLE;
	}
	return rt->call(rt->user, f->parent, s->to, &ctx, reply, &c->caller);
}

/* The callee's hops, the caller's decisions first, moved into the
 * frame's trace. */
static void call_record_reply(sc_frame *f, call_plan *c, sc_trace *reply,
			      sc_step_result *r)
{
	sc_runtime *rt = f->rt;
	sc_hop *h0 = &reply->hops[0];
	sc_log merged;
	sc_log_init(&merged);
	sc_log_append(&merged, &c->caller);
	unsigned ncaller = (unsigned)merged.count;
	sc_log_append(&merged, &h0->log);
	sc_log_free(&h0->log);
	h0->log = merged;
	h0->caller_notes = ncaller;
	h0->cloaking = c->b.cloaking;
	snprintf(h0->chosen, sizeof(h0->chosen), "%s", c->chosen_name);
	bool nested = false;
	for (size_t i = 0; i < reply->count; i++) {
		reply->hops[i].depth += f->depth;
		if (i > 0 && strcmp(reply->hops[i].to, rt->self->name) == 0)
			nested = true;
	}
	if (nested && f->thread) {
		/* T5: a call served meanwhile impersonated its own caller;
		 * this call's impersonation is restored when it returns (in
		 * an STA the other call ran on this very thread). */
		if (rt->self->apartment == SC_APARTMENT_STA)
			sc_log_rule(&r->log, "T5",
				    "a call into %s was served on this thread "
				    "(single-threaded apartment) while this "
				    "call waited: the thread's impersonation "
				    "of %s is restored",
				    rt->self->name,
				    sc_token_user_name(f->thread));
		else
			sc_log_rule(&r->log, "T5",
				    "a call into %s was served on another "
				    "thread of its multithreaded apartment "
				    "while this call waited: this thread "
				    "still impersonates %s",
				    rt->self->name,
				    sc_token_user_name(f->thread));
	}
	r->hop = sc_trace_move(f->out, reply);
	r->status = f->out->hops[r->hop].status;
}

/* A call that failed: its hop, with what the caller decided and
 * presented (the token diff: presented, nothing built). */
static void call_record_failure(sc_frame *f, const sc_step *s, call_plan *c,
				sc_status st, bool sent, sc_step_result *r)
{
	int hi = sc_trace_add_hop(f->out);
	if (hi >= 0) {
		sc_hop *h = &f->out->hops[hi];
		fill_failed_hop(f, h, s->to, c->target->host, &c->b, c->asked);
		h->status = st;
		h->not_sent = !sent;
		snprintf(h->presented, sizeof(h->presented), "%s",
			 c->who_name);
		/* Also for a call not sent: whom it would have presented. */
		snprintf(h->chosen, sizeof(h->chosen), "%s", c->chosen_name);
		/* The facts as the caller judged them: the boundaries the
		 * identity would have crossed (C6, D3-D6); the
		 * authentication level it asked is fill_failed_hop's (T8). */
		h->boundaries = c->boundaries;
		sc_log_append(&h->log, &c->caller);
		h->caller_notes = (unsigned)h->log.count;
		h->caller_token = c->identity;
		c->identity = NULL;
		r->hop = hi;
	}
	r->status = st;
}

static sc_status do_call(sc_frame *f, const sc_step *s, sc_step_result *r)
{
	call_plan c;
	memset(&c, 0, sizeof(c));
	c.target = sc_scenario_process(f->rt->scn, s->to);
	if (!c.target)
		return SC_NOT_FOUND;
	snprintf(r->object, sizeof(r->object), "%s", s->to);
	sc_log_init(&c.caller);
	sc_status st = call_choose(f, s, &c);
	/* A call the proxy refused (C1, C5, C6, D4, D5, D8) is not sent:
	 * no call is made. */
	bool sent = st == SC_OK;
	sc_trace reply;
	sc_trace_init(&reply);
	if (sent)
		st = call_send(f, s, &c, &reply);
	snprintf(r->as, sizeof(r->as), "%s", c.who_name);
	/* The level of the token presented, as a failed call reports the
	 * thread's (run_step): the same on every call line. */
	if (c.identity)
		r->as_level = sc_token_type_of(c.identity) ==
					      SC_TOKEN_IMPERSONATION
				      ? sc_token_level_raw(c.identity)
				      : SC_LEVEL_DEFAULT;
	if (st == SC_OK && reply.count > 0)
		call_record_reply(f, &c, &reply, r);
	else
		call_record_failure(f, s, &c,
				    st == SC_OK ? SC_BAD_CONTEXT /* no hop */
						: st,
				    sent, r);
	sc_token_free(c.identity);
	sc_token_free(c.replaced);
	sc_trace_free(&reply);
	sc_log_free(&c.caller);
	return r->status;
}

static sc_status build_sd(const sc_runtime *rt, const sc_object_def *o,
			  sc_sd *sd, sc_log *log)
{
	memset(sd, 0, sizeof(*sd));
	if (o->dacl_sddl) {
		/* T6 on the descriptor as written; the loader has read it
		 * already, so a failure here is only memory. */
		sc_sddl_error err;
		if (sc_sddl_parse(o->dacl_sddl,
				  sc_directory_domain_sid(rt->dir), sd, NULL,
				  &err) != 0)
			return SC_INTERNAL;
		sd->type = o->type;
		sd->label = o->integrity; /* T12 */
		sd->no_read_up = o->no_read_up;
		if (!sd->owner_sid && o->owner) {
			const char *sid = sc_directory_sid(rt->dir, o->owner);
			if (!sid) {
				sc_log_rule(log, "T6", "unknown owner %s",
					    o->owner);
				return SC_NO_SUCH_OBJECT;
			}
			if (!(sd->owner_sid = strdup(sid)))
				return SC_INTERNAL;
		}
		return SC_OK;
	}
	sd->type = o->type;
	sd->label = o->integrity; /* T12 */
	sd->no_read_up = o->no_read_up;
	const char *owner = sc_directory_sid(rt->dir, o->owner);
	if (o->owner && !owner) {
		sc_log_rule(log, "T6", "unknown owner %s", o->owner);
		return SC_NO_SUCH_OBJECT;
	}
	sd->owner_sid = owner ? strdup(owner) : NULL;
	sd->dacl_present = !o->null_dacl;
	if (o->dacl_count == 0)
		return SC_OK;
	sd->aces = calloc(o->dacl_count, sizeof(*sd->aces));
	if (!sd->aces)
		return SC_INTERNAL;
	for (unsigned i = 0; i < o->dacl_count; i++) {
		const sc_ace_def *a = &o->dacl[i];
		const char *who = a->allow ? a->allow : a->deny;
		const char *sid = sc_directory_sid(rt->dir, who);
		if (!sid) {
			sc_log_rule(log, "T6", "unknown principal %s in the DACL "
					       "of %s",
				    who ? who : "?", o->name);
			return SC_NO_SUCH_OBJECT;
		}
		sd->aces[i].type = a->allow ? SC_ACE_ALLOW : SC_ACE_DENY;
		sd->aces[i].sid = strdup(sid);
		for (unsigned k = 0; k < a->access_count; k++) {
			uint32_t m = 0;
			if (sc_acl_right_parse(o->type, a->access[k], &m) == 0)
				sd->aces[i].mask |= m;
		}
		sd->ace_count = i + 1;
	}
	return SC_OK;
}

/* open (L1, L3, T4 then T6) and access_check (T6). */
static sc_status do_object(sc_frame *f, const sc_step *s, sc_step_result *r)
{
	sc_runtime *rt = f->rt;
	snprintf(r->object, sizeof(r->object), "%s",
		 s->object ? s->object : "");
	const sc_object_def *o =
		sc_scenario_object(rt->scn, rt->self->host, s->object);
	if (!o) {
		sc_log_rule(&r->log, "T6", "no object %s on host %s",
			    s->object ? s->object : "?", rt->self->host);
		return SC_NO_SUCH_OBJECT;
	}
	r->object_type = o->type;
	uint32_t desired = 0;
	for (unsigned k = 0; k < s->access_count; k++) {
		uint32_t m = 0;
		if (sc_acl_right_parse(o->type, s->access[k], &m) == 0)
			desired |= m;
	}
	sc_sd sd;
	sc_status st = build_sd(rt, o, &sd, &r->log);
	if (st == SC_OK) {
		if (s->kind == SC_STEP_OPEN) {
			st = sc_open_allowed(f->thread, &r->log);
			if (st == SC_OK && f->thread)
				st = sc_acl_access_check(f->thread, &sd, desired,
							 &r->granted, &r->log);
			else if (st == SC_OK)
				st = sc_acl_check_any(proc_token(f), &sd,
						      desired, &r->granted,
						      &r->log);
		} else {
			/* T6: the API needs an impersonation token; a
			 * thread with none passes the primary token. */
			st = sc_acl_access_check(f->thread ? f->thread
							   : proc_token(f),
						 &sd, desired, &r->granted,
						 &r->log);
		}
	}
	sc_sd_free_contents(&sd);
	return st;
}

/* D6: protocol transition (S4U2Self): the service obtains a token for
 * a user without the user's credential and impersonates it. The token is
 * at Impersonate only when the process holds SeTcbPrivilege, else at
 * Identify (LsaLogonUser with KERB_S4U_LOGON); its ticket is forwardable
 * only when the service's account is trusted to authenticate for
 * delegation and the user is not sensitive. */
static sc_status do_transition(sc_frame *f, const sc_step *s,
			       sc_step_result *r)
{
	sc_runtime *rt = f->rt;
	const char *user = s->user;
	if (!user && f->client && f->in && f->in->caller[0]) {
		if (sc_token_level_raw(f->client) == SC_LEVEL_ANONYMOUS) {
			/* L1: at Anonymous the server learns nothing about
			 * its caller: the only user it knows is the anonymous
			 * identity, which no ticket can be obtained for. */
			snprintf(r->object, sizeof(r->object), "%s",
				 SC_ANONYMOUS_NAME);
			sc_log_rule(&r->log, "L1",
				    "the caller is anonymous: the server knows "
				    "it only as %s",
				    SC_ANONYMOUS_NAME);
			sc_log_rule(&r->log, "D6",
				    "protocol transition needs a domain "
				    "account: none for %s (LOGON_FAILURE)",
				    SC_ANONYMOUS_NAME);
			return SC_LOGON_FAILURE;
		}
		user = sc_token_user_name(f->client);
	}
	if (!user) {
		if (f->in && f->in->caller[0])
			/* T8: an unauthenticated call has no caller. */
			sc_log_rule(&r->log, "T8",
				    "the call is not authenticated: there is "
				    "no caller to obtain a token for");
		else
			sc_log_input(&r->log,
				     "protocol transition needs a user: no "
				     "'user' and no incoming call");
		return SC_INVALID_PARAMETER;
	}
	snprintf(r->object, sizeof(r->object), "%s", user);
	sc_token *t = NULL;
	const sc_service_self svc = {proc_token(f), rt->self->account,
				     rt->self->host};
	sc_status st = sc_directory_transition(rt->dir, &svc, user, &t,
					       &r->log);
	if (st != SC_OK)
		return st;
	sc_token *thread = NULL;
	st = sc_impersonate(proc_token(f), t, &thread, &r->log);
	sc_token_free(t);
	if (st == SC_OK) {
		sc_token_free(f->thread);
		f->thread = thread;
	}
	return st;
}

/* P3, P4: the host's rights assignment changes while the process runs.
 * Tokens built before keep their privileges; the next logons see it. */
static sc_status do_assign(sc_frame *f, const sc_step *s, sc_step_result *r)
{
	sc_runtime *rt = f->rt;
	snprintf(r->object, sizeof(r->object), "%s",
		 s->privilege ? s->privilege : "");
	if (sc_directory_assign(rt->dir, rt->self->host, s->privilege,
				s->scope, s->holders, s->holders_count) != 0)
		return SC_INTERNAL;
	sc_log_rule(&r->log, "P3",
		    "%s on %s is now held by %u principal%s (%s scope)",
		    s->privilege, rt->self->host, s->holders_count,
		    s->holders_count == 1 ? "" : "s", sc_scope_name(s->scope));
	bool had = sc_token_privilege_enabled(proc_token(f), s->privilege);
	sc_log_rule(&r->log, "P4",
		    "the running process keeps its token (%s %s): the change "
		    "reaches the next logon only",
		    had ? "still holding" : "still without", s->privilege);
	return SC_OK;
}

/* Whether a logon of t's user on host now would get privilege: the
 * host's rights as they are now, for the user or an enabled group (P3). */
static bool held_at_logon_now(const sc_runtime *rt, const sc_token *t,
			      const char *privilege)
{
	if (sc_directory_holds(rt->dir, rt->self->host, privilege,
			       sc_token_user_sid(t)))
		return true;
	size_t n = sc_token_group_count(t);
	for (size_t i = 0; i < n; i++) {
		const char *sid;
		uint32_t attrs;
		sc_token_group(t, i, &sid, NULL, &attrs);
		if ((attrs & SC_GROUP_ENABLED) &&
		    !(attrs & SC_GROUP_USE_FOR_DENY_ONLY) &&
		    sc_directory_holds(rt->dir, rt->self->host, privilege,
				       sid))
			return true;
	}
	return false;
}

/* T9 PrivilegeCheck and T10 AdjustTokenPrivileges on the current token:
 * the thread's when impersonating (T4; L1: not with an anonymous one),
 * else the process's (a private copy once adjusted). */
static sc_status do_privilege(sc_frame *f, const sc_step *s,
			      sc_step_result *r)
{
	snprintf(r->object, sizeof(r->object), "%s", s->privilege);
	if (f->thread && sc_token_level_raw(f->thread) == SC_LEVEL_ANONYMOUS) {
		sc_log_rule(&r->log, "L1",
			    "an anonymous token: privilege operations fail");
		return SC_BAD_IMPERSONATION_LEVEL;
	}
	const sc_token *cur = f->thread ? f->thread : proc_token(f);
	bool enabled = false;
	bool held = sc_token_privilege_held(cur, s->privilege, &enabled);
	const char *whose = f->thread ? "thread" : "process";
	if (s->kind == SC_STEP_CHECK_PRIVILEGE) {
		if (f->thread && sc_token_level_raw(f->thread) ==
					 SC_LEVEL_IDENTIFY)
			sc_log_rule(&r->log, "L3",
				    "an Identify token answers privilege "
				    "checks");
		if (f->thread)
			sc_log_rule(&r->log, "T4",
				    "impersonating: the privilege check uses "
				    "the thread token of %s",
				    sc_token_user_name(cur));
		/* T9: held and enabled, or PRIVILEGE_NOT_HELD. */
		sc_log_rule(&r->log, "T9", "%s %s in the %s token of %s",
			    s->privilege,
			    held && enabled ? "is enabled"
			    : held          ? "is held but disabled"
					    : "is not held",
			    whose, sc_token_user_name(cur));
		/* P3 decided what the token holds, at its logon. */
		sc_log_rule(&r->log, "P3",
			    "%s's token %s %s from its logon: the host's "
			    "holders of the right decided",
			    sc_token_user_name(cur),
			    held ? "got" : "did not get", s->privilege);
		if (!f->thread &&
		    held_at_logon_now(f->rt, cur, s->privilege) != held)
			/* P4: the rights changed since the process's logon;
			 * its token keeps what it started with. */
			sc_log_rule(&r->log, "P4",
				    "the rights of %s on %s changed since the "
				    "process's logon: a logon now would %s it, "
				    "the running process %s it",
				    s->privilege, f->rt->self->host,
				    held ? "not get" : "get",
				    held ? "keeps" : "still lacks");
		return held && enabled ? SC_OK : SC_PRIVILEGE_NOT_HELD;
	}
	bool enable = s->kind == SC_STEP_ENABLE_PRIVILEGE;
	if (!held) {
		/* T10: ERROR_NOT_ALL_ASSIGNED: a privilege the token
		 * lacks. */
		sc_log_rule(&r->log, "T10",
			    "%s is not in the %s token of %s: it cannot be "
			    "%s",
			    s->privilege, whose, sc_token_user_name(cur),
			    enable ? "enabled" : "disabled");
		return SC_PRIVILEGE_NOT_HELD;
	}
	sc_token *mine = f->thread;
	if (!mine) {
		if (!f->primary) {
			f->primary = sc_token_copy(f->proc);
			if (!f->primary)
				return SC_INTERNAL;
		}
		mine = f->primary;
	}
	sc_token_adjust_privilege(mine, s->privilege, enable);
	sc_log_rule(&r->log, "T10", "%s %s in the %s token of %s",
		    s->privilege, enable ? "enabled" : "disabled", whose,
		    sc_token_user_name(mine));
	return SC_OK;
}

/* T11 AdjustTokenGroups on the current token: the thread's when
 * impersonating (L1: not an anonymous one), else the process's (a private
 * copy once adjusted, as T10's). A mandatory group cannot be disabled, a
 * deny-only one cannot be enabled; a group the token lacks changes
 * nothing, and the call still succeeds. */
static sc_status do_group(sc_frame *f, const sc_step *s, sc_step_result *r)
{
	snprintf(r->object, sizeof(r->object), "%s", s->group);
	if (f->thread && sc_token_level_raw(f->thread) == SC_LEVEL_ANONYMOUS) {
		sc_log_rule(&r->log, "L1",
			    "an anonymous token: its groups cannot be "
			    "adjusted");
		return SC_BAD_IMPERSONATION_LEVEL;
	}
	bool enable = s->kind == SC_STEP_ENABLE_GROUP;
	const char *whose = f->thread ? "thread" : "process";
	const sc_token *cur = f->thread ? f->thread : proc_token(f);
	const char *sid = sc_directory_sid(f->rt->dir, s->group);
	uint32_t attrs = 0;
	if (!sid || !sc_token_group_attrs(cur, sid, &attrs)) {
		sc_log_rule(&r->log, "T11",
			    "%s is not in the %s token of %s: nothing changes",
			    s->group, whose, sc_token_user_name(cur));
		return SC_OK;
	}
	if (enable && (attrs & SC_GROUP_USE_FOR_DENY_ONLY)) {
		sc_log_rule(&r->log, "T11",
			    "%s is deny-only in the %s token of %s: it cannot "
			    "be enabled",
			    s->group, whose, sc_token_user_name(cur));
		return SC_CANT_ENABLE_DENY_ONLY;
	}
	if (!enable && (attrs & SC_GROUP_MANDATORY)) {
		sc_log_rule(&r->log, "T11",
			    "%s is mandatory in the %s token of %s: it cannot "
			    "be disabled",
			    s->group, whose, sc_token_user_name(cur));
		return SC_CANT_DISABLE_MANDATORY;
	}
	sc_token *mine = f->thread;
	if (!mine) {
		if (!f->primary) {
			f->primary = sc_token_copy(f->proc);
			if (!f->primary)
				return SC_INTERNAL;
		}
		mine = f->primary;
	}
	attrs = enable ? attrs | SC_GROUP_ENABLED : attrs & ~SC_GROUP_ENABLED;
	if (sc_token_set_group_attrs(mine, sid, attrs) != 0)
		return SC_INTERNAL;
	sc_log_rule(&r->log, "T11", "%s %s in the %s token of %s", s->group,
		    enable ? "enabled" : "disabled", whose,
		    sc_token_user_name(mine));
	return SC_OK;
}

/* T4: a new object is owned by the default owner of the thread token
 * when the thread impersonates, else of the process token: its user, or
 * the Administrators group for an administrator's token
 * (sc_token_default_owner); L1, L3: creating one with an Anonymous or
 * Identify token fails. The object is not kept. */
static sc_status do_create(sc_frame *f, const sc_step *s, sc_step_result *r)
{
	snprintf(r->object, sizeof(r->object), "%s",
		 s->object ? s->object : "");
	sc_status st = sc_open_allowed(f->thread, &r->log);
	if (st != SC_OK)
		return st;
	const sc_token *tok = f->thread ? f->thread : proc_token(f);
	const char *owner = NULL;
	sc_token_default_owner(tok, NULL, &owner);
	snprintf(r->as, sizeof(r->as), "%s", owner);
	r->as_level = SC_LEVEL_DEFAULT;
	if (strcmp(owner, sc_token_user_name(tok)) == 0)
		sc_log_rule(&r->log, "T4",
			    "the new object %s is owned by %s, the default "
			    "owner of the %s token (its user)",
			    s->object ? s->object : "?", owner,
			    f->thread ? "thread" : "process");
	else
		sc_log_rule(&r->log, "T4",
			    "the new object %s is owned by %s, the default "
			    "owner of the %s token of %s (an administrator's "
			    "token names the group, not the user)",
			    s->object ? s->object : "?", owner,
			    f->thread ? "thread" : "process",
			    sc_token_user_name(tok));
	return SC_OK;
}

static sc_status step_impersonate(sc_frame *f, const sc_step *s,
				  sc_step_result *r)
{
	(void)s;
	sc_status st = SC_OK;
	if (!f->in) {
		sc_log_input(&r->log, "no incoming call: there is no "
				      "client to impersonate");
		st = SC_CANNOT_IMPERSONATE;
		return st;
	}
	if (f->in->transport == SC_TRANSPORT_PIPE && !f->read) {
		/* N1: nothing was read from the pipe yet: the call
		 * fails and the thread is left in the process's
		 * context, whatever it impersonated before. */
		sc_log_rule(&r->log, "N1",
			    "impersonating a pipe client before reading "
			    "a message: fails, the thread is in the "
			    "process's context%s",
			    f->thread ? " (its earlier token is dropped)"
				      : "");
		sc_token_free(f->thread);
		f->thread = NULL;
		st = SC_CANNOT_IMPERSONATE;
		return st;
	}
	sc_token *t = NULL;
	st = sc_impersonate(proc_token(f), f->client, &t, &r->log);
	if (st == SC_OK) {
		sc_token_free(f->thread);
		f->thread = t;
	}
	return st;
}

static sc_status step_revert(sc_frame *f, const sc_step *s,
			     sc_step_result *r)
{
	(void)s;
	/* T5: revert drops the thread token, whatever the nesting. */
	sc_token_free(f->thread);
	f->thread = NULL;
	sc_log_rule(&r->log, "T5",
		    "revert: the thread runs as the process again");
	return SC_OK;
}

static sc_status step_set_blanket(sc_frame *f, const sc_step *s,
				  sc_step_result *r)
{
	sc_runtime *rt = f->rt;
	sc_status st = SC_OK;
	pthread_mutex_lock(&rt->lock);
	sc_proxy *p = proxy_for(rt, s->to ? s->to : "");
	if (!p) {
		st = SC_INTERNAL;
	} else {
		/* The process's blanket with the step's fields, the
		 * explicit identity included: C1 judges the whole. */
		sc_blanket nb = effective_blanket(&rt->self->blanket,
						  s->blanket);
		snprintf(r->object, sizeof(r->object), "%s", p->target);
		st = sc_blanket_validate(&nb, &r->log);
		if (st == SC_OK) {
			/* CoSetProxyBlanket took it; a failed one
			 * leaves the proxy as it was. */
			p->blanket = nb;
			p->has_blanket = true;
			if (nb.cloaking != SC_CLOAK_STATIC &&
			    nb.transport != SC_TRANSPORT_PIPE)
				/* No static cloaking any more: what
				 * the proxy had captured is gone. */
				sc_proxy_release(p);
			sc_log_rule(&r->log, "C1",
				    "the blanket of the proxy to %s is "
				    "set: cloaking %s, level %s%s%s",
				    p->target,
				    sc_cloaking_name(nb.cloaking),
				    sc_level_name(nb.level),
				    nb.identity ? ", explicit identity "
						: "",
				    nb.identity ? nb.identity : "");
		}
		/* C3: a static proxy captures when its blanket is
		 * set. */
		if (st == SC_OK &&
		    p->blanket.cloaking == SC_CLOAK_STATIC &&
		    sc_proxy_capture(p, proc_token(f), f->thread,
				     &r->log) != 0)
			st = SC_INTERNAL;
	}
	pthread_mutex_unlock(&rt->lock);
	return st;
}

static sc_status step_sleep(sc_frame *f, const sc_step *s,
			    sc_step_result *r)
{
	(void)r;
	sc_runtime *rt = f->rt;
	if (rt->sleep)
		rt->sleep(rt->user, s->ms);
	return SC_OK;
}

static sc_status step_query_level(sc_frame *f, const sc_step *s,
				  sc_step_result *r)
{
	const sc_token *t = s->token ? kept_or_say(f, s->token, r)
				     : f->thread ? f->thread : proc_token(f);
	if (!t)
		return SC_NO_TOKEN;
	return sc_token_query_level(t, &r->level, &r->log);
}

static sc_status step_impersonate_self(sc_frame *f, const sc_step *s,
				       sc_step_result *r)
{
	sc_status st = SC_OK;
	/* T3: the thread gets a copy of the process token. */
	sc_token *t = NULL;
	st = sc_token_impersonate_self(proc_token(f),
				       s->level != SC_LEVEL_DEFAULT
					       ? s->level
					       : SC_LEVEL_IMPERSONATE,
				       &t, &r->log);
	if (st == SC_OK) {
		sc_token_free(f->thread);
		f->thread = t;
	}
	return st;
}

static sc_status step_duplicate(sc_frame *f, const sc_step *s,
				sc_step_result *r)
{
	sc_runtime *rt = f->rt;
	sc_status st = SC_OK;
	/* T2: a copy of the current token, kept under s->keep when the step
	 * names it (for set_thread_token, query_level, start_process). */
	sc_token_policy tp = {
		.allow_primary_from_identify =
			rt->policy.allow_primary_from_identify};
	sc_token *t = NULL;
	const sc_token *src = f->thread ? f->thread : proc_token(f);
	sc_level want = s->level;
	if (want == SC_LEVEL_DEFAULT)
		want = sc_token_type_of(src) == SC_TOKEN_PRIMARY
			       ? SC_LEVEL_IMPERSONATE
			       : sc_token_level_raw(src);
	st = sc_token_duplicate(src,
				s->primary ? SC_TOKEN_PRIMARY
					   : SC_TOKEN_IMPERSONATION,
				want, &tp, &t, &r->log);
	if (st == SC_OK && !s->primary)
		r->level = sc_token_level_raw(t);
	if (st == SC_OK)
		keep_or_free(f, s->keep, t, r,
			     s->primary ? "the primary copy"
					: "the impersonation copy");
	return st;
}

/* CreateProcessWithTokenW: the new process runs as a kept primary token
 * when the caller's primary token holds SeImpersonatePrivilege (T4, the
 * potato's payoff). */
static sc_status start_with_token(sc_frame *f, const sc_step *s,
				  sc_step_result *r)
{
	const sc_token *t = kept_or_say(f, s->token, r);
	if (!t)
		return SC_NO_TOKEN;
	if (sc_token_type_of(t) != SC_TOKEN_PRIMARY) {
		sc_log_rule(&r->log, "T4",
			    "CreateProcessWithTokenW needs a primary token: %s "
			    "is an impersonation token (duplicate it with "
			    "primary: true)", s->token);
		return SC_INVALID_PARAMETER;
	}
	if (!sc_token_privilege_held(proc_token(f), SC_PRIV_IMPERSONATE,
				     NULL)) {
		sc_log_rule(&r->log, "T4",
			    "CreateProcessWithTokenW: %s's primary token does "
			    "not hold SeImpersonatePrivilege: the process is "
			    "not created",
			    sc_token_user_name(proc_token(f)));
		return SC_PRIVILEGE_NOT_HELD;
	}
	snprintf(r->object, sizeof(r->object), "%s", sc_token_user_name(t));
	sc_log_rule(&r->log, "T4",
		    "CreateProcessWithTokenW: %s holds SeImpersonatePrivilege: "
		    "the new process runs as %s, with the kept token %s",
		    sc_token_user_name(proc_token(f)), sc_token_user_name(t),
		    s->token);
	return SC_OK;
}

static sc_status step_start_process(sc_frame *f, const sc_step *s,
				    sc_step_result *r)
{
	if (s->token)
		return start_with_token(f, s, r);
	/* T4: a new process inherits the primary token. */
	snprintf(r->object, sizeof(r->object), "%s",
		 sc_token_user_name(proc_token(f)));
	sc_log_rule(&r->log, "T4",
		    "the new process runs with the primary token of "
		    "%s%s%s",
		    sc_token_user_name(proc_token(f)),
		    f->thread ? ", not the impersonated " : "",
		    f->thread ? sc_token_user_name(f->thread) : "");
	return SC_OK;
}

static sc_status step_primary_privilege(sc_frame *f, const sc_step *s,
					sc_step_result *r)
{
	sc_status st = SC_OK;
	/* T4: SeTcbPrivilege and SeAuditPrivilege are checked on
	 * the primary token, whoever the thread impersonates. */
	const char *priv = s->kind == SC_STEP_LOGON_USER ? SC_PRIV_TCB
							 : SC_PRIV_AUDIT;
	bool held = sc_token_privilege_enabled(proc_token(f), priv);
	st = held ? SC_OK : SC_PRIVILEGE_NOT_HELD;
	sc_log_rule(&r->log, "T4",
		    "%s is checked on the primary token of %s: %s",
		    priv, sc_token_user_name(proc_token(f)),
		    held ? "held" : "not held");
	return st;
}

/* LogonUser. With a user, the explicit-credentials logon (the user's
 * password): no privilege is needed (since Windows XP; docs/rules.md,
 * settings), and the token, kept under s->keep, is one the P1 exemption
 * accepts: an explicit logon in this process's logon session. Without a
 * user, the logon that needs SeTcbPrivilege, checked on the primary
 * token (T4). */
static sc_status step_logon_user(sc_frame *f, const sc_step *s,
				 sc_step_result *r)
{
	if (!s->user)
		return step_primary_privilege(f, s, r);
	sc_runtime *rt = f->rt;
	sc_token *t = NULL;
	sc_status st = sc_directory_explicit_logon(rt->dir, proc_token(f),
						   s->user, rt->self->host,
						   &t, &r->log);
	if (st != SC_OK)
		return st;
	snprintf(r->object, sizeof(r->object), "%s", sc_token_user_name(t));
	sc_log_rule(&r->log, "T4",
		    "LogonUser with the password of %s: explicit credentials "
		    "need no privilege of %s; a primary token in its logon "
		    "session",
		    sc_token_user_name(t), sc_token_user_name(proc_token(f)));
	keep_or_free(f, s->keep, t, r, "the token");
	return SC_OK;
}

static sc_status step_open_thread_token(sc_frame *f, const sc_step *s,
					sc_step_result *r)
{
	sc_status st = SC_OK;
	if (!f->thread) {
		st = SC_NO_TOKEN;
		sc_log_rule(&r->log, "T5",
			    "the thread is not impersonating: no "
			    "thread token");
	} else if (sc_token_level_raw(f->thread) ==
		   SC_LEVEL_ANONYMOUS) {
		/* L1: an anonymous token cannot be opened. */
		st = SC_CANT_OPEN_ANONYMOUS;
		sc_log_rule(&r->log, "L1",
			    "the thread token is anonymous: it cannot "
			    "be opened");
	} else if (!s->as_self && sc_token_level_raw(f->thread) ==
					  SC_LEVEL_IDENTIFY) {
		/* L3: opened with the thread's own Identify token. */
		st = SC_BAD_IMPERSONATION_LEVEL;
		sc_log_rule(&r->log, "L3",
			    "opened with the thread's Identify token: "
			    "fails; open as self to use the process's "
			    "context");
	} else {
		sc_log_rule(&r->log, "T4",
			    "the thread token is opened %s",
			    s->as_self ? "with the process's own context"
				       : "with the thread's token");
	}
	return st;
}

static sc_status step_read(sc_frame *f, const sc_step *s,
			   sc_step_result *r)
{
	(void)s;
	sc_status st = SC_OK;
	snprintf(r->object, sizeof(r->object), "%s",
		 f->in && f->in->caller[0] ? f->in->caller : "");
	if (!f->in || !f->in->caller[0]) {
		sc_log_input(&r->log, "no incoming call: nothing to "
				      "read");
		st = SC_INVALID_PARAMETER;
	} else {
		f->read = true;
		if (f->in->transport == SC_TRANSPORT_PIPE)
			sc_log_rule(&r->log, "N1",
				    "the first message is read from the "
				    "pipe: the client may be impersonated "
				    "now");
		else
			sc_log_rule(&r->log, "N1",
				    "a %s call's request comes with the "
				    "call: nothing more to read (only a "
				    "pipe server must read first)",
				    sc_transport_name(f->in->transport));
	}
	return st;
}

/* SetThreadToken / ImpersonateLoggedOnUser with a kept token: the
 * thread impersonates it as sc_impersonate allows (P1: at Impersonate
 * with SeImpersonatePrivilege or for the process's own user, else at
 * Identify). */
static sc_status step_set_thread_token(sc_frame *f, const sc_step *s,
				       sc_step_result *r)
{
	const sc_token *kept = kept_or_say(f, s->token, r);
	if (!kept)
		return SC_NO_TOKEN;
	/* ImpersonateLoggedOnUser with a primary token: the thread gets an
	 * impersonation copy at Impersonate, as P1 then allows. */
	sc_token *copy = NULL;
	if (sc_token_type_of(kept) == SC_TOKEN_PRIMARY) {
		sc_status cs = sc_token_duplicate(kept, SC_TOKEN_IMPERSONATION,
						  SC_LEVEL_IMPERSONATE, NULL,
						  &copy, &r->log);
		if (cs != SC_OK)
			return cs;
		kept = copy;
	}
	sc_token *t = NULL;
	sc_status st = sc_impersonate(proc_token(f), kept, &t, &r->log);
	sc_token_free(copy);
	if (st == SC_OK) {
		sc_token_free(f->thread);
		f->thread = t;
	}
	return st;
}

/* P4: the process restarts: a new logon builds its token from the host's
 * rights as they are now; the thread's impersonation, this call's adjusted
 * copy and its kept tokens end with the old process. Calls that began
 * before keep the old token (retired, freed with the runtime). */
static sc_status step_restart(sc_frame *f, const sc_step *s,
			      sc_step_result *r)
{
	(void)s;
	sc_runtime *rt = f->rt;
	const sc_process_def *self = rt->self;
	sc_token *t = NULL;
	sc_status st = sc_directory_logon(rt->dir, self->account, self->host,
					  self->started_by, &t, &r->log);
	if (st == SC_OK)
		st = sc_directory_group_states(rt->dir, t, self, &r->log);
	if (st != SC_OK) {
		sc_token_free(t);
		return st;
	}
	sc_directory_ticket_options(t, self);
	pthread_mutex_lock(&rt->lock);
	sc_token **n = realloc(rt->retired,
			       (rt->retired_count + 1) * sizeof(*n));
	if (n) {
		rt->retired = n;
		rt->retired[rt->retired_count++] = rt->process;
		rt->process = t;
	}
	pthread_mutex_unlock(&rt->lock);
	if (!n) {
		sc_token_free(t);
		return SC_INTERNAL;
	}
	f->proc = t;
	sc_token_free(f->thread);
	f->thread = NULL;
	sc_token_free(f->primary);
	f->primary = NULL;
	kept_free(f);
	snprintf(r->object, sizeof(r->object), "%s", self->name);
	sc_log_rule(&r->log, "P4",
		    "%s restarts: its new token is built from the rights of "
		    "%s as they are now",
		    self->name, self->host);
	return SC_OK;
}

/* One handler per step kind. */
typedef sc_status step_fn(sc_frame *f, const sc_step *s, sc_step_result *r);
static step_fn *const step_handlers[SC_STEP_COUNT] = {
	[SC_STEP_IMPERSONATE] = step_impersonate,
	[SC_STEP_REVERT] = step_revert,
	[SC_STEP_CALL] = do_call,
	[SC_STEP_OPEN] = do_object,
	[SC_STEP_ACCESS_CHECK] = do_object,
	[SC_STEP_SET_BLANKET] = step_set_blanket,
	[SC_STEP_SLEEP] = step_sleep,
	[SC_STEP_QUERY_LEVEL] = step_query_level,
	[SC_STEP_IMPERSONATE_SELF] = step_impersonate_self,
	[SC_STEP_DUPLICATE] = step_duplicate,
	[SC_STEP_START_PROCESS] = step_start_process,
	[SC_STEP_LOGON_USER] = step_logon_user,
	[SC_STEP_AUDIT] = step_primary_privilege,
	[SC_STEP_OPEN_THREAD_TOKEN] = step_open_thread_token,
	[SC_STEP_PROTOCOL_TRANSITION] = do_transition,
	[SC_STEP_ASSIGN_RIGHT] = do_assign,
	[SC_STEP_CHECK_PRIVILEGE] = do_privilege,
	[SC_STEP_ENABLE_PRIVILEGE] = do_privilege,
	[SC_STEP_DISABLE_PRIVILEGE] = do_privilege,
	[SC_STEP_READ] = step_read,
	[SC_STEP_CREATE_OBJECT] = do_create,
	[SC_STEP_ENABLE_GROUP] = do_group,
	[SC_STEP_DISABLE_GROUP] = do_group,
	[SC_STEP_SET_THREAD_TOKEN] = step_set_thread_token,
	[SC_STEP_RESTART] = step_restart,
};

static sc_status run_step(sc_frame *f, const sc_step *s)
{
	sc_step_result *r = begin_step(f, s);
	if (!r)
		return SC_INTERNAL;
	step_fn *handle = (int)s->kind >= 0 && s->kind < SC_STEP_COUNT
				  ? step_handlers[s->kind]
				  : NULL;
	sc_status st = handle ? handle(f, s, r) : SC_INVALID_PARAMETER;
	/* Steps run as the thread's identity once they are done (the call
	 * step set its own: the identity it presented; create_object its
	 * new object's owner). */
	if ((s->kind != SC_STEP_CALL && s->kind != SC_STEP_CREATE_OBJECT) ||
	    !r->as[0])
		set_as(r, f->thread ? f->thread : proc_token(f));
	r->status = st;
	return st;
}

static void run_steps(sc_frame *f)
{
	const sc_process_def *p = f->rt->self;
	for (unsigned i = 0; i < p->steps_count; i++) {
		const sc_step *s = &p->steps[i];
		/* A step with 'from' runs only in calls from that process. */
		if (s->from && (!f->in || strcmp(f->in->caller, s->from) != 0))
			continue;
		run_step(f, s);
	}
}

sc_status sc_runtime_run_client(sc_runtime *rt, sc_trace *out)
{
	sc_frame f = {.rt = rt, .out = out, .hop = -1,
		      .proc = process_now(rt)};
	run_steps(&f);
	sc_token_free(f.thread);
	sc_token_free(f.primary);
	kept_free(&f);
	return SC_OK;
}

/* How many groups of t are deny-only or disabled (T6). */
static size_t restricted_groups(const sc_token *t)
{
	size_t n = 0, ng = sc_token_group_count(t);
	for (size_t i = 0; i < ng; i++) {
		uint32_t attrs;
		sc_token_group(t, i, NULL, NULL, &attrs);
		if ((attrs & SC_GROUP_USE_FOR_DENY_ONLY) ||
		    !(attrs & SC_GROUP_ENABLED))
			n++;
	}
	return n;
}

/* The callee's view of a hop: the level (L, D, T8) and the caller's
 * token. */
/* K7: the bounds the authority's ticket sets on a hop it vouches for
 * (in->vouched): the level at most it lets the callee hold the identity
 * at (the context may only ask less), and no further delegation when
 * the ticket is not forwardable. */
static void vouched_bounds(const sc_context *in, sc_hop_outcome *oc,
			   sc_log *log)
{
	const sc_token *who = in->vouched;
	if (!who)
		return;
	if (oc->authenticated && oc->level > in->vouched_level) {
		sc_log_rule(log, "K7",
			    "the ticket vouches for %s at %s at most: the hop "
			    "runs at %s, not %s",
			    sc_token_user_name(who),
			    sc_level_name(in->vouched_level),
			    sc_level_name(in->vouched_level),
			    sc_level_name(oc->level));
		oc->level = in->vouched_level;
	}
	if (!in->vouched_forwardable && oc->delegable) {
		sc_log_rule(log, "K7",
			    "the ticket is not forwardable: %s cannot be "
			    "delegated further",
			    sc_token_user_name(who));
		oc->delegable = false;
	}
}

static sc_status accept_call(sc_frame *f, sc_hop *h)
{
	sc_runtime *rt = f->rt;
	const sc_context *in = f->in;
	const sc_token *id = in->identity; /* what the caller claims */
	/* Whom the token is built from: the authority's word when there is
	 * one (K7), else the claim. */
	const sc_token *who = in->vouched ? in->vouched : id;
	const sc_account_def *client_acct =
		sc_directory_account_by_sid(rt->dir, sc_token_user_sid(who));
	/* D1: the account whose trust for delegation counts (for a
	 * machine identity, the host's computer account). */
	const sc_account_def *server_acct = sc_directory_service_account(
		rt->dir, rt->self->account, rt->self->host);

	sc_hop_facts facts = {
		.asked = in->asked,
		.client_authn = in->authn,
		.server_authn = rt->self->server_authn,
		.package = in->package,
		.transport = in->transport,
		.crossed = h->crossed_host,
		.all_in_domain = host_in_domain(rt->scn, in->caller_host) &&
				 host_in_domain(rt->scn, rt->self->host),
		.client_sensitive = sc_account_not_delegated(client_acct),
		.client_protected = sc_account_protected(client_acct),
		.client_unforwardable = sc_token_unforwardable(who),
		.server_trusted = server_acct &&
				  server_acct->trusted_for_delegation,
		.server_computer =
			server_acct && server_acct == sc_directory_computer(
						       rt->dir, rt->self->host),
		.presented_is_thread =
			sc_token_type_of(id) == SC_TOKEN_IMPERSONATION,
		.presented_level = sc_token_level_raw(id),
	};
	sc_hop_outcome oc;
	sc_hop_negotiate(&facts, &oc, &h->log);
	vouched_bounds(in, &oc, &h->log);
	h->authn = oc.authn;
	h->level_effective = oc.level;

	if (!oc.authenticated) {
		snprintf(h->presented, sizeof(h->presented), "%s",
			 SC_ANONYMOUS_NAME);
		return SC_OK;
	}
	if (in->package == SC_PACKAGE_NTLM &&
	    sc_account_protected(client_acct)) {
		/* D3: a member of Protected Users cannot authenticate with
		 * NTLM: the logon is refused. */
		sc_log_rule(&h->log, "D3",
			    "%s is in Protected Users, which cannot "
			    "authenticate with NTLM: LOGON_FAILURE",
			    sc_token_user_name(who));
		return SC_LOGON_FAILURE;
	}
	sc_status st;
	const sc_binding terms = {oc.level, in->package, oc.authn};
	if (sc_directory_keeps_client_token(h->from_host, h->to_host)) {
		/* T7: on one host (a pipe, local RPC) the server
		 * impersonates the client's own token: its logon, groups and
		 * privileges (no network logon), the privileges as the
		 * client still holds them. */
		st = sc_directory_local_token(rt->dir, who, id, &terms,
					     &f->client, &h->log);
		if (st == SC_OK)
			sc_log_rule(&h->log, "T7",
				    "%s on one host: the server impersonates "
				    "the client's own token (%s logon, its "
				    "groups and privileges as the client has "
				    "them), not a network logon",
				    sc_transport_name(in->transport),
				    sc_logon_name(sc_token_logon(who)));
	} else {
		st = sc_directory_network_token(rt->dir, who, rt->self->host,
						&terms, &f->client, &h->log);
	}
	if (st != SC_OK)
		return st;
	/* T6, K7: the groups keep the states the client's token gives
	 * them, within what the authority vouches for (a mandatory group
	 * stays enabled, a deny-only one deny-only). */
	sc_token_take_group_states(f->client, id);
	size_t held = restricted_groups(f->client);
	if (held > 0)
		sc_log_rule(&h->log, "T6",
			    "the server's token of %s holds %zu group%s "
			    "deny-only or disabled, as the client's token does",
			    sc_token_user_name(f->client), held,
			    held == 1 ? "" : "s");
	sc_token_set_delegable(f->client, oc.delegable);
	/* D1, D4: tickets that are not forwardable stay so downstream. */
	sc_token_set_unforwardable(f->client, sc_token_unforwardable(who));
	/* The token diff's "after": at Anonymous, what the server sees (L1);
	 * else the token it built. A copy that fails leaves it unknown. */
	h->built_token = oc.level == SC_LEVEL_ANONYMOUS
				 ? sc_token_new_anonymous(SC_LEVEL_ANONYMOUS)
				 : sc_token_copy(f->client);
	if (oc.level == SC_LEVEL_ANONYMOUS) {
		/* L1: the server learns nothing about the client. */
		snprintf(h->presented, sizeof(h->presented), "%s",
			 SC_ANONYMOUS_NAME);
		snprintf(h->presented_sid, sizeof(h->presented_sid), "%s",
			 SC_SID_ANONYMOUS);
	} else {
		/* The name the callee's directory gives the SID: never the
		 * one on the wire. */
		snprintf(h->presented, sizeof(h->presented), "%s",
			 sc_token_user_name(f->client));
		snprintf(h->presented_sid, sizeof(h->presented_sid), "%s",
			 sc_token_user_sid(f->client));
	}
	return SC_OK;
}

/* Whether name is one of the processes of chain ("A>B>C"): one of its
 * calls is out, waiting for this one to return. */
static bool waiting_in_call(const char *chain, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = chain; *p;) {
		size_t len = strcspn(p, ">");
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len;
		if (*p == '>')
			p++;
	}
	return false;
}

/* T5: a call that arrives while one of self's calls is out (chain: the
 * processes it came through) is served in self's apartment: in an STA
 * on the one thread, which waits in that call, re-entrantly; in an MTA
 * on another thread. Either way it impersonates its own caller. */
static void note_apartment(const sc_process_def *self, const char *chain,
			   sc_log *log)
{
	if (self->apartment == SC_APARTMENT_STA)
		sc_log_rule(log, "T5",
			    "%s is a single-threaded apartment and its thread "
			    "waits in a call out (%s>%s): this call is served "
			    "on that thread, re-entrantly, with its own "
			    "impersonation; the waiting call's is restored "
			    "when it returns",
			    self->name, chain, self->name);
	else
		sc_log_rule(log, "T5",
			    "%s is a multithreaded apartment: this call is "
			    "served on another thread while a call of %s is "
			    "out (%s>%s), each thread with its own "
			    "impersonation",
			    self->name, self->name, chain, self->name);
}

sc_status sc_runtime_serve(sc_runtime *rt, const sc_context *in,
			   void *parent, sc_trace *out)
{
	int hi = sc_trace_add_hop(out);
	if (hi < 0)
		return SC_INTERNAL;
	sc_hop *h = &out->hops[hi];
	snprintf(h->to, sizeof(h->to), "%s", rt->self->name);
	snprintf(h->to_host, sizeof(h->to_host), "%s", rt->self->host);
	if (in) {
		snprintf(h->from, sizeof(h->from), "%s", in->caller);
		snprintf(h->from_host, sizeof(h->from_host), "%s",
			 in->caller_host);
		h->level_requested = in->asked;
		h->package = in->package;
		h->cloaking = in->cloaking;
		h->boundaries = sc_token_boundaries(in->identity);
		h->crossed_host = strcmp(in->caller_host, rt->self->host) != 0;
		h->depth = in->depth;
		/* The token diff's "before": what the authority vouches the
		 * caller presents, else what it claims; unknown if the copy
		 * fails. */
		h->caller_token = sc_token_copy(in->vouched ? in->vouched
							    : in->identity);
	} else {
		snprintf(h->from, sizeof(h->from), "?");
		snprintf(h->from_host, sizeof(h->from_host), "?");
		snprintf(h->presented, sizeof(h->presented), "%s",
			 SC_ANONYMOUS_NAME);
		h->authn = SC_AUTHN_NONE;
		sc_log_warn(&h->log, "T8",
			    "the call carried no security context: "
			    "authentication level none, the caller is not "
			    "authenticated");
	}

	if (in && waiting_in_call(in->chain, rt->self->name))
		note_apartment(rt->self, in->chain, &h->log);

	sc_frame f = {.rt = rt, .in = in, .parent = parent, .out = out,
		      .hop = hi, .depth = in ? in->depth + 1 : 1,
		      .proc = process_now(rt)};
	sc_status st = SC_OK;
	sc_authn min = rt->self->server_authn;
	if (in) {
		st = accept_call(&f, &out->hops[hi]);
	} else if (min != SC_AUTHN_DEFAULT && min > SC_AUTHN_NONE) {
		/* T8: the call would run at the server's level, with nobody
		 * to authenticate: a server with a minimum refuses it. */
		sc_log_rule(&h->log, "T8",
			    "%s requires authentication level %s: a call "
			    "with no security context is refused",
			    rt->self->name, sc_authn_name(min));
		st = SC_ACCESS_DENIED;
	}
	out->hops[hi].status = st;
	if (st == SC_OK) {
		/* A call without context is still served, unauthenticated:
		 * impersonate steps fail (T8). */
		sc_context none;
		if (!in) {
			memset(&none, 0, sizeof(none));
			f.in = &none;
		}
		run_steps(&f);
		if (f.thread) {
			/* T5: impersonation ends with the call. */
			sc_log_rule(&out->hops[hi].log, "T5", "%s",
				    SC_NOTE_CALL_ENDS);
		}
	}
	sc_token_free(f.thread);
	sc_token_free(f.primary);
	sc_token_free(f.client);
	kept_free(&f);
	return st;
}
