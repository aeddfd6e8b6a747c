/* codec.c: sc_context and sc_trace <-> protobuf-c. Decoding never trusts
 * its input: every enum is range-checked and every string bounded before
 * it reaches the model. No gRPC here. */
#include "codec.h"

#include "cloakroom.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((char *)((x) ? (x) : ""))

/* ---- encoding ---------------------------------------------------- */

static void identity_free(Cloakroom__Identity *m)
{
	for (size_t i = 0; i < m->n_groups; i++)
		free(m->groups[i]);
	free(m->groups);
	for (size_t i = 0; i < m->n_privileges; i++)
		free(m->privileges[i]);
	free(m->privileges);
}

static int identity_fill(Cloakroom__Identity *m, Cloakroom__Sid *user,
			 const sc_token *t)
{
	cloakroom__identity__init(m);
	cloakroom__sid__init(user);
	user->sid = S(sc_token_user_sid(t));
	user->name = S(sc_token_user_name(t));
	m->user = user;
	size_t ng = sc_token_group_count(t), np = sc_token_privilege_count(t);
	m->groups = calloc(ng ? ng : 1, sizeof(*m->groups));
	m->privileges = calloc(np ? np : 1, sizeof(*m->privileges));
	if (!m->groups || !m->privileges)
		return SC_ERR_NOMEM;
	for (size_t i = 0; i < ng; i++) {
		Cloakroom__Sid *g = malloc(sizeof(*g));
		if (!g)
			return SC_ERR_NOMEM;
		cloakroom__sid__init(g);
		const char *sid, *name;
		uint32_t attrs;
		sc_token_group(t, i, &sid, &name, &attrs);
		g->sid = S(sid);
		g->name = S(name);
		g->attributes = attrs;
		m->groups[m->n_groups++] = g;
	}
	for (size_t i = 0; i < np; i++) {
		Cloakroom__Privilege *p = malloc(sizeof(*p));
		if (!p)
			return SC_ERR_NOMEM;
		cloakroom__privilege__init(p);
		const char *name;
		bool en;
		sc_token_privilege(t, i, &name, &en);
		p->name = S(name);
		p->enabled = en;
		m->privileges[m->n_privileges++] = p;
	}
	m->token_type = (uint32_t)sc_token_type_of(t);
	m->level = (uint32_t)sc_token_level_raw(t);
	m->logon_type = (uint32_t)sc_token_logon(t);
	m->package = (uint32_t)sc_token_package(t);
	m->authn = (uint32_t)sc_token_authn(t);
	m->origin_host = S(sc_token_origin_host(t));
	m->session = sc_token_session(t);
	m->boundaries = sc_token_boundaries(t);
	m->delegable = sc_token_delegable(t);
	m->unforwardable = sc_token_unforwardable(t);
	m->integrity = (uint32_t)sc_token_integrity_raw(t);
	return 0;
}

int codec_context_encode(const sc_context *ctx, uint8_t **buf, size_t *len)
{
	Cloakroom__SecurityContext m;
	Cloakroom__Identity id;
	Cloakroom__Sid user;
	cloakroom__security_context__init(&m);
	int rc = identity_fill(&id, &user, ctx->identity);
	if (rc == 0) {
		m.version = CODEC_CONTEXT_VERSION;
		m.identity = &id;
		m.level_requested = (uint32_t)ctx->asked;
		m.authn_level = (uint32_t)ctx->authn;
		m.package = (uint32_t)ctx->package;
		m.cloaking = (uint32_t)ctx->cloaking;
		m.transport = (uint32_t)ctx->transport;
		m.caller = S(ctx->caller);
		m.caller_host = S(ctx->caller_host);
		m.caller_account = S(ctx->caller_account);
		m.depth = ctx->depth;
		m.chain = S(ctx->chain);
		*len = cloakroom__security_context__get_packed_size(&m);
		*buf = malloc(*len ? *len : 1);
		if (!*buf)
			rc = SC_ERR_NOMEM;
		else
			cloakroom__security_context__pack(&m, *buf);
	}
	identity_free(&id);
	return rc;
}

static void notes_free(Cloakroom__Note **n, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(n[i]);
	free(n);
}

static int notes_fill(const sc_log *log, Cloakroom__Note ***out, size_t *n)
{
	*n = 0;
	*out = calloc(log->count ? log->count : 1, sizeof(**out));
	if (!*out)
		return SC_ERR_NOMEM;
	for (size_t i = 0; i < log->count; i++) {
		Cloakroom__Note *m = malloc(sizeof(*m));
		if (!m)
			return SC_ERR_NOMEM;
		cloakroom__note__init(m);
		m->rule = (char *)log->notes[i].rule;
		m->warning = log->notes[i].warning;
		m->text = (char *)log->notes[i].text;
		(*out)[(*n)++] = m;
	}
	return 0;
}

static void steps_free(Cloakroom__StepResult **s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		notes_free(s[i]->notes, s[i]->n_notes);
		free(s[i]);
	}
	free(s);
}

static int steps_fill(const sc_step_result *r, size_t count,
		      Cloakroom__StepResult ***out, size_t *n)
{
	*n = 0;
	*out = calloc(count ? count : 1, sizeof(**out));
	if (!*out)
		return SC_ERR_NOMEM;
	for (size_t i = 0; i < count; i++) {
		Cloakroom__StepResult *m = calloc(1, sizeof(*m));
		if (!m)
			return SC_ERR_NOMEM;
		cloakroom__step_result__init(m);
		(*out)[(*n)++] = m;
		m->process = (char *)r[i].process;
		m->id = (char *)r[i].id;
		m->kind = (uint32_t)r[i].kind;
		m->object = (char *)r[i].object;
		m->as = (char *)r[i].as;
		m->as_level = (uint32_t)r[i].as_level;
		m->status = (uint32_t)r[i].status;
		m->granted = r[i].granted;
		m->object_type = (uint32_t)r[i].object_type;
		m->level = (uint32_t)r[i].level;
		m->hop = r[i].hop;
		if (notes_fill(&r[i].log, &m->notes, &m->n_notes) != 0)
			return SC_ERR_NOMEM;
	}
	return 0;
}

/* A hop's token (caller_token, built_token): an Identity and its user,
 * allocated together so one free releases both. NULL for no token. */
typedef struct hop_identity {
	Cloakroom__Identity id;
	Cloakroom__Sid user;
} hop_identity;

static void hop_identity_free(Cloakroom__Identity *m)
{
	if (!m)
		return;
	identity_free(m);
	free((hop_identity *)m);
}

static int hop_identity_fill(const sc_token *t, Cloakroom__Identity **out)
{
	*out = NULL;
	if (!t)
		return 0;
	hop_identity *hi = calloc(1, sizeof(*hi));
	if (!hi)
		return SC_ERR_NOMEM;
	int rc = identity_fill(&hi->id, &hi->user, t);
	*out = &hi->id;
	return rc;
}

static void trace_msg_free(Cloakroom__Trace *m)
{
	for (size_t i = 0; i < m->n_hops; i++) {
		hop_identity_free(m->hops[i]->caller_token);
		hop_identity_free(m->hops[i]->built_token);
		notes_free(m->hops[i]->notes, m->hops[i]->n_notes);
		steps_free(m->hops[i]->steps, m->hops[i]->n_steps);
		free(m->hops[i]);
	}
	free(m->hops);
	steps_free(m->steps, m->n_steps);
}

int codec_trace_encode(const sc_trace *t, uint8_t **buf, size_t *len)
{
	return codec_trace_encode_as(t, true, buf, len);
}

int codec_trace_encode_as(const sc_trace *t, bool full, uint8_t **buf,
			  size_t *len)
{
	Cloakroom__Trace m;
	cloakroom__trace__init(&m);
	int rc = 0;
	m.hops = calloc(t->count ? t->count : 1, sizeof(*m.hops));
	if (!m.hops)
		return SC_ERR_NOMEM;
	for (size_t i = 0; rc == 0 && i < t->count; i++) {
		const sc_hop *h = &t->hops[i];
		Cloakroom__Hop *hm = calloc(1, sizeof(*hm));
		if (!hm) {
			rc = SC_ERR_NOMEM;
			break;
		}
		cloakroom__hop__init(hm);
		m.hops[m.n_hops++] = hm;
		hm->from = (char *)h->from;
		hm->to = (char *)h->to;
		hm->status = (uint32_t)h->status;
		hm->depth = h->depth;
		hm->not_sent = h->not_sent;
		if (!full)
			continue; /* the hop's ends, status and depth */
		hm->from_host = (char *)h->from_host;
		hm->to_host = (char *)h->to_host;
		hm->crossed_host = h->crossed_host;
		hm->boundaries = h->boundaries;
		hm->level_requested = (uint32_t)h->level_requested;
		hm->level_effective = (uint32_t)h->level_effective;
		hm->authn = (uint32_t)h->authn;
		hm->package = (uint32_t)h->package;
		hm->cloaking = (uint32_t)h->cloaking;
		hm->presented = (char *)h->presented;
		hm->presented_sid = (char *)h->presented_sid;
		hm->chosen = (char *)h->chosen;
		hm->caller_notes = h->caller_notes;
		rc = notes_fill(&h->log, &hm->notes, &hm->n_notes);
		if (rc == 0)
			rc = hop_identity_fill(h->caller_token,
					       &hm->caller_token);
		if (rc == 0)
			rc = hop_identity_fill(h->built_token,
					       &hm->built_token);
		if (rc == 0)
			rc = steps_fill(h->steps, h->steps_count, &hm->steps,
					&hm->n_steps);
	}
	if (rc == 0)
		rc = steps_fill(t->steps, full ? t->steps_count : 0, &m.steps,
				&m.n_steps);
	if (rc == 0) {
		*len = cloakroom__trace__get_packed_size(&m);
		*buf = malloc(*len ? *len : 1);
		if (!*buf)
			rc = SC_ERR_NOMEM;
		else
			cloakroom__trace__pack(&m, *buf);
	}
	trace_msg_free(&m);
	return rc;
}

/* ---- decoding ---------------------------------------------------- */

#define FAIL(...)                                                            \
	do {                                                                 \
		snprintf(err, errlen, __VA_ARGS__);                          \
		goto fail;                                                   \
	} while (0)

/* No C0 control character and no DEL: every name is printed somewhere,
 * and a line break or an escape sequence in one could fake a report's
 * lines. Honest peers never send one (the loader refuses them). */
static bool printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : "");
	     *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* Every name of an identity is printable (see printable). */
static bool identity_printable(const Cloakroom__Identity *id)
{
	bool ok = printable(id->user->sid) && printable(id->user->name) &&
		  printable(id->origin_host);
	for (size_t i = 0; ok && i < id->n_groups; i++)
		ok = printable(id->groups[i]->sid) &&
		     printable(id->groups[i]->name);
	for (size_t i = 0; ok && i < id->n_privileges; i++)
		ok = printable(id->privileges[i]->name);
	return ok;
}

static bool copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src ? src : "");
	if (n >= cap || !printable(src))
		return false;
	memcpy(dst, src ? src : "", n + 1);
	return true;
}

/* The token an Identity message (checked) describes, the one copy of
 * its fields: 0 with *out new, or the model's error with *out NULL. */
static int identity_token(const Cloakroom__Identity *id, sc_token **out)
{
	sc_token *t = sc_token_new((sc_token_type)id->token_type);
	int rc = t ? sc_token_set_user(t, id->user->sid, id->user->name)
		   : SC_ERR_NOMEM;
	for (size_t i = 0; rc == 0 && i < id->n_groups; i++)
		rc = sc_token_add_group(t, id->groups[i]->sid,
					id->groups[i]->name,
					id->groups[i]->attributes);
	for (size_t i = 0; rc == 0 && i < id->n_privileges; i++)
		rc = sc_token_add_privilege(t, id->privileges[i]->name,
					    id->privileges[i]->enabled);
	if (rc == 0)
		rc = sc_token_set_origin_host(t, id->origin_host);
	if (rc != 0) {
		sc_token_free(t);
		*out = NULL;
		return rc;
	}
	sc_token_set_level(t, (sc_level)id->level);
	sc_token_set_logon(t, (sc_logon)id->logon_type);
	sc_token_set_package(t, (sc_package)id->package);
	sc_token_set_authn(t, (sc_authn)id->authn);
	sc_token_set_session(t, id->session);
	sc_token_set_boundaries(t, id->boundaries);
	sc_token_set_delegable(t, id->delegable);
	sc_token_set_unforwardable(t, id->unforwardable);
	sc_token_set_integrity(t, (sc_integrity)id->integrity);
	*out = t;
	return 0;
}

int codec_context_decode(const uint8_t *buf, size_t len, sc_context *ctx,
			 sc_token **identity, char *err, size_t errlen)
{
	memset(ctx, 0, sizeof(*ctx));
	*identity = NULL;
	sc_token *t = NULL;
	Cloakroom__SecurityContext *m = NULL;
	if (len > CODEC_MAX_CONTEXT)
		FAIL("context of %zu bytes exceeds the %d-byte cap", len,
		     CODEC_MAX_CONTEXT);
	m = cloakroom__security_context__unpack(NULL, len, buf);
	if (!m)
		FAIL("context is not a valid SecurityContext message");
	if (m->version != CODEC_CONTEXT_VERSION)
		FAIL("context version %u, expected %d", m->version,
		     CODEC_CONTEXT_VERSION);
	const Cloakroom__Identity *id = m->identity;
	if (!id || !id->user || !id->user->sid[0])
		FAIL("context carries no user identity");
	if (m->depth > CODEC_MAX_DEPTH)
		FAIL("context has come through %u hops (cap %d)", m->depth,
		     CODEC_MAX_DEPTH);
	if (id->n_groups > CODEC_MAX_GROUPS)
		FAIL("context carries %zu groups (cap %d)", id->n_groups,
		     CODEC_MAX_GROUPS);
	if (id->n_privileges > CODEC_MAX_PRIVILEGES)
		FAIL("context carries %zu privileges (cap %d)",
		     id->n_privileges, CODEC_MAX_PRIVILEGES);
	if (id->token_type != SC_TOKEN_PRIMARY &&
	    id->token_type != SC_TOKEN_IMPERSONATION)
		FAIL("token type %u out of range", id->token_type);
	if (id->level >= SC_LEVEL_COUNT || m->level_requested >= SC_LEVEL_COUNT)
		FAIL("impersonation level out of range");
	if (id->logon_type >= SC_LOGON_COUNT)
		FAIL("logon type %u out of range", id->logon_type);
	if (id->integrity >= SC_IL_COUNT)
		FAIL("integrity level %u out of range", id->integrity);
	if (id->package >= SC_PACKAGE_COUNT || m->package >= SC_PACKAGE_COUNT)
		FAIL("package out of range");
	if (id->authn >= SC_AUTHN_COUNT || m->authn_level >= SC_AUTHN_COUNT)
		FAIL("authentication level out of range");
	if (m->cloaking >= SC_CLOAK_COUNT || m->transport >= SC_TRANSPORT_COUNT)
		FAIL("cloaking or transport out of range");
	if (!copy_str(ctx->caller, sizeof(ctx->caller), m->caller) ||
	    !copy_str(ctx->caller_host, sizeof(ctx->caller_host),
		      m->caller_host) ||
	    !copy_str(ctx->caller_account, sizeof(ctx->caller_account),
		      m->caller_account) ||
	    !copy_str(ctx->chain, sizeof(ctx->chain), m->chain))
		FAIL("a caller field is too long or holds a control "
		     "character");
	if (!identity_printable(id))
		FAIL("a name of the identity holds a control character");
	if (!ctx->caller[0] || !ctx->caller_host[0])
		FAIL("context names no caller process or host");

	if (identity_token(id, &t) != 0)
		FAIL("out of memory");

	ctx->identity = t;
	ctx->asked = (sc_level)m->level_requested;
	ctx->authn = (sc_authn)m->authn_level;
	ctx->package = (sc_package)m->package;
	ctx->cloaking = (sc_cloaking)m->cloaking;
	ctx->transport = (sc_transport)m->transport;
	ctx->depth = m->depth;
	*identity = t;
	cloakroom__security_context__free_unpacked(m, NULL);
	return 0;
fail:
	sc_token_free(t);
	if (m)
		cloakroom__security_context__free_unpacked(m, NULL);
	memset(ctx, 0, sizeof(*ctx));
	return SC_ERR_INVAL;
}

/* A hop's token from its Identity, checked like a context's: 0 with *out
 * a new token (NULL for an absent message), or SC_ERR_INVAL. */
static int hop_identity_decode(const Cloakroom__Identity *id, sc_token **out)
{
	*out = NULL;
	if (!id)
		return 0;
	if (!id->user || !id->user->sid[0] ||
	    id->n_groups > CODEC_MAX_GROUPS ||
	    id->n_privileges > CODEC_MAX_PRIVILEGES ||
	    (id->token_type != SC_TOKEN_PRIMARY &&
	     id->token_type != SC_TOKEN_IMPERSONATION) ||
	    id->level >= SC_LEVEL_COUNT || id->logon_type >= SC_LOGON_COUNT ||
	    id->package >= SC_PACKAGE_COUNT || id->authn >= SC_AUTHN_COUNT ||
	    id->integrity >= SC_IL_COUNT ||
	    !identity_printable(id))
		return SC_ERR_INVAL;
	return identity_token(id, out) == 0 ? 0 : SC_ERR_INVAL;
}

static bool notes_decode(Cloakroom__Note **n, size_t count, sc_log *log)
{
	for (size_t i = 0; i < count; i++) {
		if (n[i]->warning)
			sc_log_warn(log, n[i]->rule, "%s", n[i]->text);
		else
			sc_log_rule(log, n[i]->rule, "%s", n[i]->text);
	}
	return !log->oom;
}

static bool step_decode(const Cloakroom__StepResult *m, sc_step_result *r)
{
	if (m->kind >= SC_STEP_COUNT || m->status >= SC_STATUS_COUNT ||
	    m->level >= SC_LEVEL_COUNT || m->as_level >= SC_LEVEL_COUNT ||
	    m->object_type >= SC_OBJ_COUNT)
		return false;
	r->kind = (sc_step_kind)m->kind;
	r->status = (sc_status)m->status;
	r->level = (sc_level)m->level;
	r->as_level = (sc_level)m->as_level;
	r->granted = m->granted;
	r->object_type = (sc_object_type)m->object_type;
	r->hop = m->hop;
	return copy_str(r->process, sizeof(r->process), m->process) &&
	       copy_str(r->id, sizeof(r->id), m->id) &&
	       copy_str(r->object, sizeof(r->object), m->object) &&
	       copy_str(r->as, sizeof(r->as), m->as) &&
	       notes_decode(m->notes, m->n_notes, &r->log);
}

int codec_trace_decode(const uint8_t *buf, size_t len, sc_trace *t,
		       char *err, size_t errlen)
{
	Cloakroom__Trace *m = cloakroom__trace__unpack(NULL, len, buf);
	if (!m)
		FAIL("reply is not a valid Trace message");
	if (m->n_hops > CODEC_MAX_HOPS)
		FAIL("reply carries %zu hops (cap %d)", m->n_hops,
		     CODEC_MAX_HOPS);
	for (size_t i = 0; i < m->n_hops; i++) {
		const Cloakroom__Hop *hm = m->hops[i];
		if (hm->level_requested >= SC_LEVEL_COUNT ||
		    hm->level_effective >= SC_LEVEL_COUNT ||
		    hm->authn >= SC_AUTHN_COUNT ||
		    hm->package >= SC_PACKAGE_COUNT ||
		    hm->cloaking >= SC_CLOAK_COUNT ||
		    hm->status >= SC_STATUS_COUNT)
			FAIL("hop %zu: a value out of range", i);
		int hi = sc_trace_add_hop(t);
		if (hi < 0)
			FAIL("out of memory");
		sc_hop *h = &t->hops[hi];
		if (!copy_str(h->from, sizeof(h->from), hm->from) ||
		    !copy_str(h->to, sizeof(h->to), hm->to) ||
		    !copy_str(h->from_host, sizeof(h->from_host),
			      hm->from_host) ||
		    !copy_str(h->to_host, sizeof(h->to_host), hm->to_host) ||
		    !copy_str(h->presented, sizeof(h->presented),
			      hm->presented) ||
		    !copy_str(h->presented_sid, sizeof(h->presented_sid),
			      hm->presented_sid) ||
		    !copy_str(h->chosen, sizeof(h->chosen), hm->chosen))
			FAIL("hop %zu: a field is too long or holds a control "
			     "character", i);
		h->crossed_host = hm->crossed_host;
		h->boundaries = hm->boundaries;
		h->level_requested = (sc_level)hm->level_requested;
		h->level_effective = (sc_level)hm->level_effective;
		h->authn = (sc_authn)hm->authn;
		h->package = (sc_package)hm->package;
		h->cloaking = (sc_cloaking)hm->cloaking;
		h->status = (sc_status)hm->status;
		h->not_sent = hm->not_sent;
		h->depth = hm->depth;
		if (!notes_decode(hm->notes, hm->n_notes, &h->log))
			FAIL("out of memory");
		if (hm->caller_notes > h->log.count)
			FAIL("hop %zu: caller_notes out of range", i);
		h->caller_notes = hm->caller_notes;
		if (hop_identity_decode(hm->caller_token, &h->caller_token) ||
		    hop_identity_decode(hm->built_token, &h->built_token))
			FAIL("hop %zu: an invalid token", i);
		for (size_t k = 0; k < hm->n_steps; k++) {
			sc_step_result *r = sc_trace_add_step(t, hi);
			if (!r || !step_decode(hm->steps[k], r))
				FAIL("hop %zu step %zu: invalid", i, k);
			if (r->hop >= (int)m->n_hops)
				FAIL("hop %zu step %zu: hop index out of range",
				     i, k);
		}
	}
	for (size_t k = 0; k < m->n_steps; k++) {
		sc_step_result *r = sc_trace_add_step(t, -1);
		if (!r || !step_decode(m->steps[k], r))
			FAIL("step %zu: invalid", k);
		if (r->hop >= (int)m->n_hops)
			FAIL("step %zu: hop index out of range", k);
	}
	cloakroom__trace__free_unpacked(m, NULL);
	return 0;
fail:
	if (m)
		cloakroom__trace__free_unpacked(m, NULL);
	sc_trace_free(t);
	return SC_ERR_INVAL;
}

int codec_request_encode(const char *target, bool trace, uint8_t **buf,
			 size_t *len)
{
	Cloakroom__CallRequest m;
	cloakroom__call_request__init(&m);
	m.target = S(target);
	m.trace = trace;
	*len = cloakroom__call_request__get_packed_size(&m);
	*buf = malloc(*len ? *len : 1);
	if (!*buf)
		return SC_ERR_NOMEM;
	cloakroom__call_request__pack(&m, *buf);
	return 0;
}

int codec_request_decode(const uint8_t *buf, size_t len, codec_request *out,
			 char *err, size_t errlen)
{
	Cloakroom__CallRequest *m = cloakroom__call_request__unpack(NULL, len,
								   buf);
	if (!m)
		FAIL("request is not a valid CallRequest message");
	if (!copy_str(out->target, sizeof(out->target), m->target))
		FAIL("request target too long");
	out->trace = m->trace;
	cloakroom__call_request__free_unpacked(m, NULL);
	return 0;
fail:
	if (m)
		cloakroom__call_request__free_unpacked(m, NULL);
	return SC_ERR_INVAL;
}

int codec_identity_encode(const sc_token *t, uint8_t **buf, size_t *len)
{
	Cloakroom__Identity id;
	Cloakroom__Sid user;
	*buf = NULL;
	int rc = identity_fill(&id, &user, t);
	if (rc == 0) {
		*len = cloakroom__identity__get_packed_size(&id);
		*buf = malloc(*len ? *len : 1);
		if (!*buf)
			rc = SC_ERR_NOMEM;
		else
			cloakroom__identity__pack(&id, *buf);
	}
	identity_free(&id);
	return rc;
}

int codec_identity_decode(const uint8_t *buf, size_t len, sc_token **out,
			  char *err, size_t errlen)
{
	*out = NULL;
	if (len > CODEC_MAX_CONTEXT) {
		snprintf(err, errlen, "identity of %zu bytes over the %d-byte "
				      "cap", len, CODEC_MAX_CONTEXT);
		return SC_ERR_INVAL;
	}
	Cloakroom__Identity *m = cloakroom__identity__unpack(NULL, len, buf);
	int rc = m ? hop_identity_decode(m, out) : SC_ERR_INVAL;
	if (m)
		cloakroom__identity__free_unpacked(m, NULL);
	if (rc != 0 || !*out) {
		sc_token_free(*out);
		*out = NULL;
		snprintf(err, errlen, "malformed identity");
		return SC_ERR_INVAL;
	}
	return 0;
}

int codec_refusal_encode(const sc_refusal *r, uint8_t **buf, size_t *len)
{
	Cloakroom__Refusal m;
	cloakroom__refusal__init(&m);
	m.status = S(sc_status_name(r->status));
	m.rule = S(r->rule);
	m.reason = S(r->reason);
	*len = cloakroom__refusal__get_packed_size(&m);
	*buf = malloc(*len ? *len : 1);
	if (!*buf)
		return SC_ERR_NOMEM;
	cloakroom__refusal__pack(&m, *buf);
	return 0;
}

int codec_refusal_decode(const uint8_t *buf, size_t len, sc_refusal *r,
			 char *err, size_t errlen)
{
	Cloakroom__Refusal *m = cloakroom__refusal__unpack(NULL, len, buf);
	memset(r, 0, sizeof(*r));
	if (!m)
		FAIL("refusal is not a valid Refusal message");
	if (!m->status || sc_status_parse(m->status, &r->status) != 0)
		FAIL("refusal with an unknown status");
	size_t rl = m->rule ? strlen(m->rule) : 0;
	if (rl == 0 || rl >= sizeof(r->rule) ||
	    strspn(m->rule, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != rl)
		FAIL("refusal without a rule id");
	memcpy(r->rule, m->rule, rl + 1);
	/* The reason is the callee's words: kept, never trusted. */
	snprintf(r->reason, sizeof(r->reason), "%s",
		 m->reason ? m->reason : "");
	cloakroom__refusal__free_unpacked(m, NULL);
	return 0;
fail:
	if (m)
		cloakroom__refusal__free_unpacked(m, NULL);
	return SC_ERR_INVAL;
}
