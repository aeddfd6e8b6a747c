/* test_codec.c: contexts and traces survive the wire byte-exact, and
 * hostile bytes are refused with a reason, never trusted. */
#include "codec.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sc_token *alice(void)
{
	sc_token *t = sc_token_new(SC_TOKEN_IMPERSONATION);
	sc_token_set_user(t, "S-1-5-21-1-2-3-1001", "CORP\\alice");
	sc_token_add_group(t, SC_SID_EVERYONE, "Everyone", SC_GROUP_ENABLED);
	sc_token_add_group(t, "S-1-5-21-1-2-3-2001", "CORP\\Finance",
			   SC_GROUP_USE_FOR_DENY_ONLY);
	sc_token_add_privilege(t, SC_PRIV_IMPERSONATE, false);
	sc_token_set_level(t, SC_LEVEL_DELEGATE);
	sc_token_set_logon(t, SC_LOGON_NETWORK);
	sc_token_set_package(t, SC_PACKAGE_KERBEROS);
	sc_token_set_authn(t, SC_AUTHN_PRIVACY);
	sc_token_set_origin_host(t, "ws1");
	sc_token_set_session(t, 42);
	sc_token_set_boundaries(t, 2);
	sc_token_set_delegable(t, true);
	return t;
}

static sc_context context(const sc_token *t)
{
	sc_context c;
	memset(&c, 0, sizeof(c));
	c.identity = t;
	c.asked = SC_LEVEL_DELEGATE;
	c.authn = SC_AUTHN_PACKET;
	c.package = SC_PACKAGE_KERBEROS;
	c.cloaking = SC_CLOAK_STATIC;
	c.transport = SC_TRANSPORT_COM;
	strcpy(c.caller, "B");
	strcpy(c.caller_host, "app1");
	strcpy(c.caller_account, "CORP\\svc-b");
	strcpy(c.chain, "A>B");
	c.depth = 1;
	return c;
}

Test(codec, context_round_trip_keeps_every_field)
{
	sc_token *t = alice();
	sc_context in = context(t);
	uint8_t *buf;
	size_t len;
	cr_assert_eq(codec_context_encode(&in, &buf, &len), 0);
	sc_context out;
	sc_token *id;
	char err[128];
	cr_assert_eq(codec_context_decode(buf, len, &out, &id, err,
					  sizeof(err)),
		     0, "%s", err);
	cr_expect_str_eq(sc_token_user_sid(id), "S-1-5-21-1-2-3-1001");
	cr_expect_eq(sc_token_group_count(id), 2);
	const char *sid, *name;
	uint32_t attrs;
	sc_token_group(id, 1, &sid, &name, &attrs);
	cr_expect_eq(attrs, SC_GROUP_USE_FOR_DENY_ONLY);
	cr_expect_eq(sc_token_privilege_count(id), 1);
	cr_expect_eq(sc_token_level_raw(id), SC_LEVEL_DELEGATE);
	cr_expect_eq(sc_token_type_of(id), SC_TOKEN_IMPERSONATION);
	cr_expect_str_eq(sc_token_origin_host(id), "ws1");
	cr_expect_eq(sc_token_session(id), 42);
	cr_expect_eq(sc_token_boundaries(id), 2);
	cr_expect(sc_token_delegable(id));
	cr_expect_eq(out.asked, SC_LEVEL_DELEGATE);
	cr_expect_eq(out.authn, SC_AUTHN_PACKET);
	cr_expect_eq(out.cloaking, SC_CLOAK_STATIC);
	cr_expect_str_eq(out.caller, "B");
	cr_expect_str_eq(out.chain, "A>B");
	cr_expect_eq(out.depth, 1);
	sc_token_free(id);
	sc_token_free(t);
	free(buf);
}

Test(codec, every_truncation_of_a_context_is_refused_or_decodes_cleanly)
{
	sc_token *t = alice();
	sc_context in = context(t);
	uint8_t *buf;
	size_t len;
	cr_assert_eq(codec_context_encode(&in, &buf, &len), 0);
	for (size_t cut = 0; cut < len; cut++) {
		sc_context out;
		sc_token *id = NULL;
		char err[128];
		if (codec_context_decode(buf, cut, &out, &id, err,
					 sizeof(err)) == 0)
			sc_token_free(id);
		else
			cr_expect(err[0], "a refusal without a reason");
	}
	sc_token_free(t);
	free(buf);
}

Test(codec, out_of_range_level_is_refused)
{
	sc_token *t = alice();
	sc_context in = context(t);
	in.asked = (sc_level)99;
	uint8_t *buf;
	size_t len;
	cr_assert_eq(codec_context_encode(&in, &buf, &len), 0);
	sc_context out;
	sc_token *id;
	char err[128];
	cr_expect_neq(codec_context_decode(buf, len, &out, &id, err,
					   sizeof(err)),
		      0);
	cr_expect(strstr(err, "level") != NULL, "%s", err);
	sc_token_free(t);
	free(buf);
}

Test(codec, oversized_context_is_refused_before_decoding)
{
	size_t len = CODEC_MAX_CONTEXT + 1;
	uint8_t *buf = calloc(1, len);
	sc_context out;
	sc_token *id;
	char err[128];
	cr_expect_neq(codec_context_decode(buf, len, &out, &id, err,
					   sizeof(err)),
		      0);
	cr_expect(strstr(err, "cap") != NULL, "%s", err);
	free(buf);
}

/* The caps on a context's contents: each refused with the cap named. */
static void expect_refused(const sc_context *c, const char *words)
{
	uint8_t *buf;
	size_t len;
	cr_assert_eq(codec_context_encode(c, &buf, &len), 0);
	sc_context out;
	sc_token *id = (sc_token *)1;
	char err[128] = "";
	cr_expect_eq(codec_context_decode(buf, len, &out, &id, err,
					  sizeof(err)),
		     SC_ERR_INVAL);
	cr_expect_null(id);
	cr_expect(strstr(err, words) != NULL, "'%s' lacks '%s'", err, words);
	free(buf);
}

Test(codec, contexts_over_the_caps_are_refused)
{
	sc_token *t = alice();
	sc_context c = context(t);
	c.depth = CODEC_MAX_DEPTH + 1;
	expect_refused(&c, "come through 65 hops (cap 64)");
	c.depth = CODEC_MAX_DEPTH; /* at the cap: fine */
	uint8_t *buf;
	size_t len;
	cr_assert_eq(codec_context_encode(&c, &buf, &len), 0);
	sc_context out;
	sc_token *id;
	char err[128];
	cr_expect_eq(codec_context_decode(buf, len, &out, &id, err,
					  sizeof(err)), 0, "%s", err);
	sc_token_free(id);
	free(buf);
	c.depth = 1;

	for (int i = 0; i < CODEC_MAX_PRIVILEGES; i++)
		sc_token_add_privilege(t, "SeBackupPrivilege", true);
	expect_refused(&c, "privileges (cap 256)");
	sc_token_free(t);

	t = alice();
	c.identity = t;
	for (int i = 0; i < CODEC_MAX_GROUPS; i++)
		sc_token_add_group(t, "S-1-5-32-545", "Users",
				   SC_GROUP_ENABLED);
	expect_refused(&c, "groups (cap 1024)");
	sc_token_free(t);
}

Test(codec, trace_round_trip_keeps_hops_steps_and_notes)
{
	sc_trace t;
	sc_trace_init(&t);
	int h = sc_trace_add_hop(&t);
	strcpy(t.hops[h].from, "B");
	strcpy(t.hops[h].to, "C");
	strcpy(t.hops[h].presented, "CORP\\alice");
	t.hops[h].level_effective = SC_LEVEL_IMPERSONATE;
	t.hops[h].status = SC_ACCESS_DENIED;
	t.hops[h].crossed_host = true;
	sc_log_warn(&t.hops[h].log, "P2", "downgraded");
	sc_step_result *s = sc_trace_add_step(&t, h);
	strcpy(s->id, "c-open");
	s->kind = SC_STEP_OPEN;
	s->status = SC_OK;
	s->granted = 0x120089;
	sc_log_rule(&s->log, "T6", "granted");
	sc_step_result *cs = sc_trace_add_step(&t, -1);
	cs->kind = SC_STEP_CALL;
	cs->hop = 0;

	uint8_t *buf;
	size_t len;
	cr_assert_eq(codec_trace_encode(&t, &buf, &len), 0);
	sc_trace u;
	sc_trace_init(&u);
	char err[128];
	cr_assert_eq(codec_trace_decode(buf, len, &u, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(u.count, 1);
	cr_expect_str_eq(u.hops[0].presented, "CORP\\alice");
	cr_expect_eq(u.hops[0].status, SC_ACCESS_DENIED);
	cr_expect(u.hops[0].crossed_host);
	cr_expect(u.hops[0].log.notes[0].warning);
	cr_expect_str_eq(u.hops[0].log.notes[0].rule, "P2");
	cr_assert_eq(u.hops[0].steps_count, 1);
	cr_expect_str_eq(u.hops[0].steps[0].id, "c-open");
	cr_expect_eq(u.hops[0].steps[0].granted, 0x120089);
	cr_expect_eq(u.steps_count, 1);
	cr_expect_eq(u.steps[0].hop, 0);
	sc_trace_free(&t);
	sc_trace_free(&u);
	free(buf);
}

/* A call its caller's proxy refused reaches the launcher through every
 * tier before it: the identity the caller chose travels with it, and
 * nothing presented (sc_hop.chosen). */
Test(codec, trace_round_trip_keeps_whom_a_refused_call_chose)
{
	sc_trace t;
	sc_trace_init(&t);
	int h = sc_trace_add_hop(&t);
	strcpy(t.hops[h].from, "B");
	strcpy(t.hops[h].to, "C");
	strcpy(t.hops[h].chosen, "CORP\\alice");
	t.hops[h].status = SC_NOT_FOUND;
	t.hops[h].not_sent = true;

	uint8_t *buf;
	size_t len;
	cr_assert_eq(codec_trace_encode(&t, &buf, &len), 0);
	sc_trace u;
	sc_trace_init(&u);
	char err[128];
	cr_assert_eq(codec_trace_decode(buf, len, &u, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(u.count, 1);
	cr_expect_str_eq(u.hops[0].chosen, "CORP\\alice");
	cr_expect_str_eq(u.hops[0].presented, "");
	cr_expect(u.hops[0].not_sent);
	sc_trace_free(&t);
	sc_trace_free(&u);
	free(buf);
}

Test(codec, garbage_trace_is_refused)
{
	const uint8_t junk[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01};
	sc_trace t;
	sc_trace_init(&t);
	char err[128];
	cr_expect_neq(codec_trace_decode(junk, sizeof(junk), &t, err,
					 sizeof(err)),
		      0);
	cr_expect_eq(t.count, 0);
}

Test(codec, trace_round_trip_keeps_the_hop_tokens)
{
	sc_trace t;
	sc_trace_init(&t);
	int h = sc_trace_add_hop(&t);
	strcpy(t.hops[h].from, "B");
	strcpy(t.hops[h].to, "C");
	t.hops[h].caller_token = alice();
	int h2 = sc_trace_add_hop(&t);
	strcpy(t.hops[h2].from, "C");
	strcpy(t.hops[h2].to, "D");
	t.hops[h2].built_token = sc_token_new_anonymous(SC_LEVEL_ANONYMOUS);

	uint8_t *buf;
	size_t len;
	cr_assert_eq(codec_trace_encode(&t, &buf, &len), 0);
	sc_trace u;
	sc_trace_init(&u);
	char err[128];
	cr_assert_eq(codec_trace_decode(buf, len, &u, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(u.count, 2);
	const sc_token *c = u.hops[0].caller_token;
	cr_assert_not_null(c);
	cr_expect_null(u.hops[0].built_token);
	cr_expect_str_eq(sc_token_user_name(c), "CORP\\alice");
	cr_expect_eq(sc_token_level_raw(c), SC_LEVEL_DELEGATE);
	cr_expect_eq(sc_token_logon(c), SC_LOGON_NETWORK);
	cr_assert_eq(sc_token_group_count(c), 2);
	const char *sid, *name;
	uint32_t attrs;
	sc_token_group(c, 1, &sid, &name, &attrs);
	cr_expect_str_eq(name, "CORP\\Finance");
	cr_expect_eq(attrs, SC_GROUP_USE_FOR_DENY_ONLY);
	cr_assert_eq(sc_token_privilege_count(c), 1);
	cr_expect_null(u.hops[1].caller_token);
	cr_assert_not_null(u.hops[1].built_token);
	cr_expect_str_eq(sc_token_user_sid(u.hops[1].built_token),
			 SC_SID_ANONYMOUS);
	sc_trace_free(&t);
	sc_trace_free(&u);
	free(buf);
}

/* A name carrying a line break or an escape sequence could fake lines of
 * a report or a log wherever it is printed: the codec refuses a context
 * with one, in a caller field or in a name of the identity, and a trace
 * with one in a hop. */
Test(codec, names_with_control_characters_are_refused)
{
	sc_token *t = alice();
	sc_context in = context(t);
	strcpy(in.caller, "B\nPASS A->B: presented CORP\\alice");
	uint8_t *buf;
	size_t len;
	cr_assert_eq(codec_context_encode(&in, &buf, &len), 0);
	sc_context out;
	sc_token *id = NULL;
	char err[128];
	cr_expect_neq(codec_context_decode(buf, len, &out, &id, err,
					   sizeof(err)), 0);
	cr_expect(strstr(err, "control character") != NULL, "%s", err);
	free(buf);

	sc_token *bad = alice();
	sc_token_add_group(bad, "S-1-5-21-1-2-3-2002", "CORP\\\x1b[32mAdmins",
			   SC_GROUP_ENABLED);
	in = context(bad);
	cr_assert_eq(codec_context_encode(&in, &buf, &len), 0);
	cr_expect_neq(codec_context_decode(buf, len, &out, &id, err,
					   sizeof(err)), 0);
	cr_expect(strstr(err, "control character") != NULL, "%s", err);
	free(buf);

	sc_trace tr;
	sc_trace_init(&tr);
	int h = sc_trace_add_hop(&tr);
	cr_assert_geq(h, 0);
	strcpy(tr.hops[h].from, "A");
	strcpy(tr.hops[h].to, "C\r\x1b[2K");
	cr_assert_eq(codec_trace_encode(&tr, &buf, &len), 0);
	sc_trace back;
	sc_trace_init(&back);
	cr_expect_neq(codec_trace_decode(buf, len, &back, err, sizeof(err)), 0);
	sc_trace_free(&back);
	cr_expect(strstr(err, "control character") != NULL, "%s", err);
	free(buf);
	sc_trace_free(&tr);
	sc_token_free(bad);
	sc_token_free(t);
}

/* The one escaping function: controls written out, C1 controls and
 * bytes that are not UTF-8 too, UTF-8 kept, backslashes kept, the same
 * text again unchanged. */
Test(codec, escaping_for_display)
{
	char out[128], again[128];
	sc_escape("a\nb\x1b[32mPASS\t\r\x7f", out, sizeof(out));
	cr_expect_str_eq(out, "a\\nb\\x1b[32mPASS\\t\\r\\x7f");
	sc_escape("CORP\\alice \xc3\xa9 \xc2\x9b[2J \xff", out, sizeof(out));
	cr_expect_str_eq(out, "CORP\\alice \xc3\xa9 \\u009b[2J \\xff");
	sc_escape(out, again, sizeof(again));
	cr_expect_str_eq(again, out);
	/* Cut whole, never in the middle of an escape. */
	sc_escape("ab\x1b", out, 5);
	cr_expect_str_eq(out, "ab");
	/* A note records its text escaped, so every printer of a trace
	 * prints it safely. */
	sc_log log;
	sc_log_init(&log);
	sc_log_rule(&log, "NET", "C refused: %s", "x\n\x1b[32mPASS");
	cr_expect_str_eq(log.notes[0].text, "C refused: x\\n\\x1b[32mPASS");
	sc_log_free(&log);
}

/* A refusal keeps its status, rule and reason; one with an unknown
 * status or a rule that is not an id is refused, as is garbage. */
Test(codec, refusal_round_trip_and_bad_refusals)
{
	sc_refusal r = {.status = SC_BAD_CONTEXT, .rule = "K5",
			.reason = "replayed nonce"}, back;
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[128];
	cr_assert_eq(codec_refusal_encode(&r, &buf, &len), 0);
	cr_assert_eq(codec_refusal_decode(buf, len, &back, err, sizeof(err)), 0,
		     "%s", err);
	cr_expect_eq(back.status, SC_BAD_CONTEXT);
	cr_expect_str_eq(back.rule, "K5");
	cr_expect_str_eq(back.reason, "replayed nonce");
	free(buf);

	const char *rules[] = {"", "k5", "K5 ", "K5]x", "K-5"};
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		sc_refusal bad = r;
		snprintf(bad.rule, sizeof(bad.rule), "%s", rules[i]);
		cr_assert_eq(codec_refusal_encode(&bad, &buf, &len), 0);
		cr_expect_neq(codec_refusal_decode(buf, len, &back, err,
						   sizeof(err)), 0,
			      "rule '%s' accepted", rules[i]);
		free(buf);
	}
	sc_refusal bad = r;
	bad.status = SC_STATUS_COUNT; /* no name: encoded as "?" */
	cr_assert_eq(codec_refusal_encode(&bad, &buf, &len), 0);
	cr_expect_neq(codec_refusal_decode(buf, len, &back, err, sizeof(err)),
		      0);
	free(buf);
	cr_expect_neq(codec_refusal_decode((const uint8_t *)"\xff\xff", 2,
					   &back, err, sizeof(err)), 0);
}
