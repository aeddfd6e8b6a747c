/* tokens.c: renders the token diff of a hop (sc_tokendiff.h) as text and
 * JSON. Reads the trace only: the tokens were built, and the diff is
 * computed, by libsecctx. */
#include "tokens.h"

#include "sc_tokendiff.h"

#include <string.h>

static const char *type_name(const sc_token *t)
{
	return sc_token_type_of(t) == SC_TOKEN_PRIMARY ? "primary"
						       : "impersonation";
}

/* A primary token has no level: "-". */
static const char *level_name(const sc_token *t)
{
	sc_level l = sc_token_diff_level(t);
	return l == SC_LEVEL_DEFAULT ? "-" : sc_level_name(l);
}

static void items_line(FILE *out, const sc_token_diff *d, sc_tdiff_kind k,
		       const char *ind)
{
	bool any = false;
	for (size_t i = 0; i < d->count; i++) {
		if (d->items[i].kind != k)
			continue;
		if (any)
			fprintf(out, ", %s", d->items[i].name);
		else
			fprintf(out, "%s%s: %s", ind, sc_tdiff_kind_name(k),
				d->items[i].name);
		any = true;
	}
	if (any)
		fputc('\n', out);
}

void tokens_explain(FILE *out, const sc_hop *h, const char *ind)
{
	const sc_token *b = h->caller_token, *a = h->built_token;
	if (!b) {
		fprintf(out, "%stoken diff: %s presented no token%s\n", ind,
			h->from,
			h->status == SC_OK ? ""
					   : " (the call failed before it)");
		return;
	}
	if (!a) {
		fprintf(out, "%stoken diff: %s presented %s (%s, %s logon); "
			"%s built no token\n",
			ind, h->from, sc_token_user_name(b), type_name(b),
			sc_logon_name(sc_token_logon(b)), h->to);
		return;
	}
	sc_token_diff d;
	if (sc_token_diff_compute(b, a, &d) != 0) {
		fprintf(out, "%stoken diff: (out of memory)\n", ind);
		return;
	}
	char sub[64];
	snprintf(sub, sizeof(sub), "%s  ", ind);
	fprintf(out, "%stoken diff (%s presented -> %s built):\n", ind,
		h->from, h->to);
	if (d.user)
		fprintf(out, "%suser: %s -> %s\n", sub, sc_token_user_name(b),
			sc_token_user_name(a));
	else
		fprintf(out, "%suser: %s (unchanged)\n", sub,
			sc_token_user_name(a));
	if (d.type)
		fprintf(out, "%stype: %s -> %s\n", sub, type_name(b),
			type_name(a));
	if (d.level)
		fprintf(out, "%slevel: %s -> %s\n", sub, level_name(b),
			level_name(a));
	if (d.logon)
		fprintf(out, "%slogon: %s -> %s\n", sub,
			sc_logon_name(sc_token_logon(b)),
			sc_logon_name(sc_token_logon(a)));
	for (int k = 0; k < SC_TDIFF_KIND_COUNT; k++)
		items_line(out, &d, (sc_tdiff_kind)k, sub);
	if (!d.type && !d.level && !d.logon && d.count == 0)
		fprintf(out, "%snothing else changed (%s, level %s, %s "
			"logon)\n",
			sub, type_name(a), level_name(a),
			sc_logon_name(sc_token_logon(a)));
	sc_token_diff_free(&d);
}

static json_t *token_json(const sc_token *t)
{
	if (!t)
		return json_null();
	json_t *groups = json_array(), *privs = json_array();
	size_t ng = sc_token_group_count(t), np = sc_token_privilege_count(t);
	for (size_t i = 0; i < ng; i++) {
		const char *sid, *name;
		uint32_t attrs;
		sc_token_group(t, i, &sid, &name, &attrs);
		json_array_append_new(
			groups,
			json_pack("{s:s, s:s, s:b, s:b}", "name", name, "sid",
				  sid, "enabled", (attrs & SC_GROUP_ENABLED) != 0,
				  "deny_only",
				  (attrs & SC_GROUP_USE_FOR_DENY_ONLY) != 0));
	}
	for (size_t i = 0; i < np; i++) {
		const char *name;
		bool en;
		sc_token_privilege(t, i, &name, &en);
		json_array_append_new(privs, json_pack("{s:s, s:b}", "name",
						       name, "enabled", en));
	}
	sc_level l = sc_token_diff_level(t);
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:o}", "user",
			 sc_token_user_name(t), "user_sid",
			 sc_token_user_sid(t), "type", type_name(t), "level",
			 l == SC_LEVEL_DEFAULT ? json_null()
					       : json_string(sc_level_name(l)),
			 "logon", sc_logon_name(sc_token_logon(t)), "groups",
			 groups, "privileges", privs);
}

/* {"from": X, "to": Y} when changed, else null. */
static json_t *change(bool changed, json_t *from, json_t *to)
{
	if (changed)
		return json_pack("{s:o, s:o}", "from", from, "to", to);
	json_decref(from);
	json_decref(to);
	return json_null();
}

static json_t *level_json(const sc_token *t)
{
	sc_level l = sc_token_diff_level(t);
	return l == SC_LEVEL_DEFAULT ? json_null()
				     : json_string(sc_level_name(l));
}

static json_t *diff_json(const sc_token *b, const sc_token *a)
{
	if (!b || !a)
		return json_null();
	sc_token_diff d;
	if (sc_token_diff_compute(b, a, &d) != 0)
		return NULL;
	json_t *o = json_object();
	json_object_set_new(o, "user",
			    change(d.user, json_string(sc_token_user_name(b)),
				   json_string(sc_token_user_name(a))));
	json_object_set_new(o, "type",
			    change(d.type, json_string(type_name(b)),
				   json_string(type_name(a))));
	json_object_set_new(o, "level",
			    change(d.level, level_json(b), level_json(a)));
	json_object_set_new(
		o, "logon",
		change(d.logon,
		       json_string(sc_logon_name(sc_token_logon(b))),
		       json_string(sc_logon_name(sc_token_logon(a)))));
	for (int k = 0; k < SC_TDIFF_KIND_COUNT; k++) {
		json_t *arr = json_array();
		for (size_t i = 0; i < d.count; i++) {
			const sc_tdiff_item *it = &d.items[i];
			if (it->kind != (sc_tdiff_kind)k)
				continue;
			json_array_append_new(
				arr, it->sid[0] ? json_pack("{s:s, s:s}",
							    "name", it->name,
							    "sid", it->sid)
						: json_string(it->name));
		}
		json_object_set_new(o, sc_tdiff_kind_key((sc_tdiff_kind)k),
				    arr);
	}
	sc_token_diff_free(&d);
	return o;
}

int tokens_hop_json(json_t *o, const sc_hop *h)
{
	json_t *diff = diff_json(h->caller_token, h->built_token);
	if (!diff)
		return -1;
	json_object_set_new(o, "caller_token", token_json(h->caller_token));
	json_object_set_new(o, "built_token", token_json(h->built_token));
	json_object_set_new(o, "token_diff", diff);
	return 0;
}
