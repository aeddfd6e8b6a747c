/* whoami.c: renders the tokens a run used as `whoami /all` does (text)
 * and as JSON. The tokens are libsecctx's: the process tokens each
 * process logged on with (P3) and the tokens the callees built (the
 * trace); nothing here builds or changes one. */
#include "whoami.h"
#include "report.h"

#include "sc_tokendiff.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* whoami's spellings of the group attributes the model holds. The model
 * keeps no "enabled by default" state (docs/trace-format.md, "tokens"). */
static const struct {
	uint32_t bit;
	const char *text;
	const char *key;
} group_attrs[] = {
	{SC_GROUP_MANDATORY, "Mandatory group", "mandatory"},
	{SC_GROUP_ENABLED, "Enabled group", "enabled"},
	{SC_GROUP_OWNER, "Group owner", "owner"},
	{SC_GROUP_USE_FOR_DENY_ONLY, "Group used for deny only", "deny_only"},
};
#define N_ATTRS (sizeof(group_attrs) / sizeof(group_attrs[0]))

static const char *type_name(const sc_token *t)
{
	return sc_token_type_of(t) == SC_TOKEN_PRIMARY ? "primary"
						       : "impersonation";
}

static void add(whoami_entry **v, size_t *n, const whoami_entry *e, int *err)
{
	whoami_entry *nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv) {
		*err = 1;
		return;
	}
	*v = nv;
	nv[(*n)++] = *e;
}

static const sc_token *primary_of(const sc_scenario *scn,
				  const sc_token *const *primaries,
				  const char *process)
{
	for (unsigned i = 0; i < scn->processes_count; i++)
		if (strcmp(scn->processes[i].name, process) == 0)
			return primaries[i];
	return NULL;
}

static void primary_entry(whoami_entry *e, const char *process,
			  const sc_token *t)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->process, sizeof(e->process), "%s", process);
	e->primary = true;
	snprintf(e->context, sizeof(e->context), "process token");
	e->token = t;
}

/* The step with id at, and the hop it ran in (-1: the client's own). */
static const sc_step_result *find_step(const sc_trace *t, const char *at,
				       int *hop)
{
	for (size_t i = 0; i < t->steps_count; i++)
		if (strcmp(t->steps[i].id, at) == 0) {
			*hop = -1;
			return &t->steps[i];
		}
	for (size_t h = 0; h < t->count; h++)
		for (size_t i = 0; i < t->hops[h].steps_count; i++)
			if (strcmp(t->hops[h].steps[i].id, at) == 0) {
				*hop = (int)h;
				return &t->hops[h].steps[i];
			}
	return NULL;
}

long whoami_collect(const sc_scenario *scn, const sc_token *const *primaries,
		    const sc_trace *t, const char *at, whoami_entry **out)
{
	whoami_entry *v = NULL, e;
	size_t n = 0;
	int err = 0;
	*out = NULL;
	if (!at) {
		for (unsigned i = 0; i < scn->processes_count; i++) {
			if (!primaries[i])
				continue;
			primary_entry(&e, scn->processes[i].name,
				      primaries[i]);
			add(&v, &n, &e, &err);
		}
		for (size_t h = 0; h < t->count; h++) {
			const sc_hop *hp = &t->hops[h];
			if (!hp->built_token)
				continue;
			memset(&e, 0, sizeof(e));
			snprintf(e.process, sizeof(e.process), "%s", hp->to);
			snprintf(e.context, sizeof(e.context),
				 "thread token serving the call from %s "
				 "(hop %zu)", hp->from, h + 1);
			e.token = hp->built_token;
			add(&v, &n, &e, &err);
		}
	} else {
		int hop;
		const sc_step_result *s = find_step(t, at, &hop);
		if (!s)
			return 0;
		const sc_token *p = primary_of(scn, primaries, s->process);
		if (p) {
			primary_entry(&e, s->process, p);
			add(&v, &n, &e, &err);
		}
		memset(&e, 0, sizeof(e));
		snprintf(e.process, sizeof(e.process), "%s", s->process);
		if (s->as_level == SC_LEVEL_DEFAULT) {
			/* Not impersonating: the step ran as the process
			 * token; no thread token to show. */
			snprintf(e.context, sizeof(e.context),
				 "thread at step %s: no thread token (runs "
				 "as its process token, %s)", at, s->as);
		} else {
			const sc_token *b =
				hop >= 0 ? t->hops[hop].built_token : NULL;
			snprintf(e.context, sizeof(e.context),
				 "thread token at step %s", at);
			if (b && strcmp(sc_token_user_name(b), s->as) == 0 &&
			    sc_token_diff_level(b) == s->as_level)
				e.token = b;
			snprintf(e.user, sizeof(e.user), "%s", s->as);
			e.level = s->as_level;
		}
		add(&v, &n, &e, &err);
	}
	if (err) {
		free(v);
		return -1;
	}
	*out = v;
	return (long)n;
}

static size_t max_sz(size_t a, size_t b)
{
	return a > b ? a : b;
}

static void rule(FILE *out, const char *title)
{
	fprintf(out, "\n%s\n", title);
	for (size_t i = 0; title[i]; i++)
		fputc('-', out);
	fputc('\n', out);
}

/* The attributes of a group, as whoami names them, into buf. */
static const char *attrs_str(uint32_t a, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t k = 0; k < N_ATTRS; k++)
		if (a & group_attrs[k].bit) {
			size_t l = strlen(buf);
			snprintf(buf + l, len - l, "%s%s", l ? ", " : "",
				 group_attrs[k].text);
		}
	if (!buf[0])
		snprintf(buf, len, "-");
	return buf;
}

static size_t cols(const char *s)
{
	return (size_t)report_disp_width(s);
}

/* s, then spaces up to width terminal columns, then one more. */
static void cell(FILE *out, const char *s, size_t width)
{
	fputs(s, out);
	for (size_t k = cols(s); k <= width; k++)
		fputc(' ', out);
}

/* width: the terminal's columns (0: no limit). A table wider than that
 * is printed as a list, a line per field, as `whoami /fo list` does. */
static void token_text(FILE *out, const sc_token *t, size_t width)
{
	rule(out, "USER INFORMATION");
	const char *un = sc_token_user_name(t), *us = sc_token_user_sid(t);
	size_t w = max_sz(cols("User Name"), cols(un));
	if (width && w + 1 + cols(us) > width) {
		fprintf(out, "User Name: %s\nSID:       %s\n", un, us);
	} else {
		cell(out, "User Name", w);
		fprintf(out, "SID\n");
		cell(out, un, w);
		fprintf(out, "%s\n", us);
	}

	rule(out, "GROUP INFORMATION");
	size_t ng = sc_token_group_count(t), wn = cols("Group Name"),
	       ws = cols("SID"), wa = cols("Attributes");
	char attrs[256];
	for (size_t i = 0; i < ng; i++) {
		const char *sid, *name;
		uint32_t a;
		sc_token_group(t, i, &sid, &name, &a);
		wn = max_sz(wn, cols(name));
		ws = max_sz(ws, cols(sid));
		wa = max_sz(wa, cols(attrs_str(a, attrs, sizeof(attrs))));
	}
	bool list = width && wn + 1 + ws + 1 + wa > width;
	if (!list) {
		cell(out, "Group Name", wn);
		cell(out, "SID", ws);
		fprintf(out, "Attributes\n");
	}
	for (size_t i = 0; i < ng; i++) {
		const char *sid, *name;
		uint32_t a;
		sc_token_group(t, i, &sid, &name, &a);
		attrs_str(a, attrs, sizeof(attrs));
		if (list) {
			fprintf(out, "%sGroup Name: %s\nSID:        %s\n"
				     "Attributes: %s\n",
				i ? "\n" : "", name, sid, attrs);
			continue;
		}
		cell(out, name, wn);
		cell(out, sid, ws);
		fprintf(out, "%s\n", attrs);
	}
	if (ng == 0)
		fputs("(none)\n", out);

	rule(out, "PRIVILEGES INFORMATION");
	size_t np = sc_token_privilege_count(t), wp = strlen("Privilege Name");
	for (size_t i = 0; i < np; i++) {
		const char *name;
		bool en;
		sc_token_privilege(t, i, &name, &en);
		wp = max_sz(wp, strlen(name));
	}
	fprintf(out, "%-*s State\n", (int)wp, "Privilege Name");
	for (size_t i = 0; i < np; i++) {
		const char *name;
		bool en;
		sc_token_privilege(t, i, &name, &en);
		fprintf(out, "%-*s %s\n", (int)wp, name,
			en ? "Enabled" : "Disabled");
	}
	if (np == 0)
		fputs("(none)\n", out);

	rule(out, "TOKEN INFORMATION");
	sc_level l = sc_token_diff_level(t);
	fprintf(out, "Token type:          %s\n", type_name(t));
	fprintf(out, "Impersonation level: %s\n",
		l == SC_LEVEL_DEFAULT ? "- (a primary token has none)"
				      : sc_level_name(l));
	fprintf(out, "Logon type:          %s\n",
		sc_logon_name(sc_token_logon(t)));
	fprintf(out, "Logon session:       0x%" PRIx64 "\n",
		sc_token_session(t));
	sc_integrity il = sc_token_integrity(t); /* T12 */
	fprintf(out, "Integrity level:     %s (Mandatory Label\\%s, %s)\n",
		sc_integrity_name(il), sc_integrity_label(il),
		sc_integrity_sid(il));
}

void whoami_text(FILE *out, const whoami_entry *e, size_t n, int width)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc('\n', out);
		fprintf(out, "== %s: %s ==\n", e[i].process, e[i].context);
		if (e[i].token)
			token_text(out, e[i].token,
				   width > 0 ? (size_t)width : 0);
		else if (e[i].user[0])
			fprintf(out, "User Name:           %s\n"
				     "Impersonation level: %s\n"
				     "(the trace records only the user and "
				     "level of this token)\n",
				e[i].user, sc_level_name(e[i].level));
	}
}

static json_t *token_json(const sc_token *t)
{
	json_t *groups = json_array(), *privs = json_array();
	size_t ng = sc_token_group_count(t), np = sc_token_privilege_count(t);
	for (size_t i = 0; i < ng; i++) {
		const char *sid, *name;
		uint32_t a;
		sc_token_group(t, i, &sid, &name, &a);
		json_t *g = json_pack("{s:s, s:s}", "name", name, "sid", sid);
		for (size_t k = 0; g && k < N_ATTRS; k++)
			json_object_set_new(
				g, group_attrs[k].key,
				json_boolean((a & group_attrs[k].bit) != 0));
		json_array_append_new(groups, g);
	}
	for (size_t i = 0; i < np; i++) {
		const char *name;
		bool en;
		sc_token_privilege(t, i, &name, &en);
		json_array_append_new(privs,
				      json_pack("{s:s, s:b}", "name", name,
						"enabled", en));
	}
	sc_level l = sc_token_diff_level(t);
	char session[32];
	snprintf(session, sizeof(session), "0x%" PRIx64, sc_token_session(t));
	sc_integrity il = sc_token_integrity(t); /* T12 */
	return json_pack(
		"{s:b, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:o, s:o}",
		"complete", 1, "user",
		sc_token_user_name(t), "user_sid", sc_token_user_sid(t),
		"type", type_name(t), "level",
		l == SC_LEVEL_DEFAULT ? json_null()
				      : json_string(sc_level_name(l)),
		"logon", sc_logon_name(sc_token_logon(t)), "logon_session",
		session, "integrity", sc_integrity_name(il), "integrity_sid",
		sc_integrity_sid(il), "groups", groups, "privileges", privs);
}

json_t *whoami_json(const whoami_entry *e, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "process",
				      e[i].process, "kind",
				      e[i].primary ? "primary" : "thread",
				      "context", e[i].context);
		if (!o) {
			json_decref(arr);
			return NULL;
		}
		if (e[i].token)
			json_object_set_new(o, "token",
					    token_json(e[i].token));
		else if (e[i].user[0])
			json_object_set_new(
				o, "token",
				json_pack("{s:s, s:s, s:b}", "user",
					  e[i].user, "level",
					  sc_level_name(e[i].level),
					  "complete", 0));
		else
			json_object_set_new(o, "token", json_null());
		json_array_append_new(arr, o);
	}
	return arr;
}
