/* test_auth.c: signed contexts refuse what they must (forged, altered,
 * foreign, expired, misaddressed, replayed, relayed by another process)
 * with the rule that says why, and the authority mints a ticket only with
 * evidence and forwardable only when D1 holds. */
#include "auth.h"
#include "authority_ticket.h"
#include "cloakroom.pb-c.h"
#include "codec.h"
#include "sc_load.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1700000000000ull
#define SKEW 5000u

typedef struct world {
	auth_key *authority, *b;
	uint8_t anchor[AUTH_KEY_LEN];
	uint8_t *cred, *ticket;
	size_t cred_len, ticket_len;
} world;

static void cred_for(const auth_key *authority, const auth_key *who,
		     const char *process, uint64_t expires, uint8_t **out,
		     size_t *len)
{
	auth_credential c;
	memset(&c, 0, sizeof(c));
	snprintf(c.process, sizeof(c.process), "%s", process);
	snprintf(c.account, sizeof(c.account), "CORP\\svc-b");
	snprintf(c.account_sid, sizeof(c.account_sid), "S-1-5-21-1-1002");
	snprintf(c.host, sizeof(c.host), "ws1");
	auth_key_public(who, c.key);
	c.expires_ms = expires;
	cr_assert_eq(auth_credential_sign(authority, &c, out, len), 0);
}

/* The audience's secret key, and the session key and id of the ticket
 * ticket_for made last (each test runs in a process of its own). */
static uint8_t test_secret[AUTH_SECRET_LEN] = {7, 7, 7};
static uint8_t test_key[AUTH_SESSION_KEY_LEN];
static uint8_t test_id[AUTH_NONCE_LEN];

/* The authorization data of a ticket for alice: a packed Identity. */
static uint8_t test_pac[256];
static size_t test_pac_len;

static void pac_alice(void)
{
	Cloakroom__Identity id;
	Cloakroom__Sid user;
	cloakroom__identity__init(&id);
	cloakroom__sid__init(&user);
	user.sid = "S-1-5-21-1-1001";
	user.name = "CORP\\alice";
	id.user = &user;
	id.token_type = 1;
	test_pac_len = cloakroom__identity__get_packed_size(&id);
	cr_assert(test_pac_len <= sizeof(test_pac));
	cloakroom__identity__pack(&id, test_pac);
}

static void ticket_for(const auth_key *authority, const char *presenter,
		       const char *audience, uint64_t expires, uint8_t **out,
		       size_t *len)
{
	auth_ticket t;
	memset(&t, 0, sizeof(t));
	pac_alice();
	t.pac = test_pac;
	t.pac_len = test_pac_len;
	t.level = SC_LEVEL_IMPERSONATE;
	snprintf(t.subject, sizeof(t.subject), "CORP\\alice");
	snprintf(t.subject_sid, sizeof(t.subject_sid), "S-1-5-21-1-1001");
	snprintf(t.subject_host, sizeof(t.subject_host), "ws1");
	snprintf(t.presenter, sizeof(t.presenter), "%s", presenter);
	snprintf(t.audience, sizeof(t.audience), "%s", audience);
	t.expires_ms = expires;
	cr_assert_eq(auth_random(t.nonce, sizeof(t.nonce)), 0);
	cr_assert_eq(auth_random(test_key, sizeof(test_key)), 0);
	memcpy(test_id, t.nonce, sizeof(test_id));
	cr_assert_eq(auth_key_seal(test_secret, test_key, t.nonce, audience,
				   t.session_key),
		     0);
	cr_assert_eq(auth_ticket_sign(authority, &t, out, len), 0);
}

static void world_init(world *w)
{
	memset(w, 0, sizeof(*w));
	cr_assert_eq(auth_key_generate(&w->authority), 0);
	cr_assert_eq(auth_key_generate(&w->b), 0);
	auth_key_public(w->authority, w->anchor);
	cred_for(w->authority, w->b, "B", NOW + 3600000, &w->cred,
		 &w->cred_len);
	ticket_for(w->authority, "B", "C", NOW + 600000, &w->ticket,
		   &w->ticket_len);
}

static void world_free(world *w)
{
	auth_key_free(w->authority);
	auth_key_free(w->b);
	free(w->cred);
	free(w->ticket);
}

static const uint8_t context[] = "a packed SecurityContext";

/* What most tests seal: w's credential and ticket, the test's session
 * key and ticket id, this context, for C, issued NOW, for 30 s. */
static auth_seal_in seal_in(const world *w)
{
	return (auth_seal_in){.session_key = test_key,
			      .ticket_id = test_id,
			      .cred = w->cred,
			      .cred_len = w->cred_len,
			      .ticket = w->ticket,
			      .ticket_len = w->ticket_len,
			      .context = context,
			      .context_len = sizeof(context),
			      .audience = "C",
			      .issued_ms = NOW,
			      .lifetime_ms = 30000};
}

static void seal(world *w, const char *audience, uint64_t issued,
		 uint8_t **out, size_t *len)
{
	auth_seal_in in = seal_in(w);
	in.audience = audience;
	in.issued_ms = issued;
	cr_assert_eq(auth_seal(&in, out, len), 0);
}

/* auth_open as me, an audience with the test's secret that has verified
 * nothing yet. */
static int open_raw(world *w, const char *me, const uint8_t *buf, size_t len,
		    uint64_t now, uint64_t skew, auth_replay *r,
		    auth_opened *o, auth_reject *why)
{
	auth_audience *a = auth_audience_new(w->anchor, me, test_secret);
	cr_assert(a);
	auth_open_opts by = {a, r, now, skew};
	int rc = auth_open(&by, buf, len, o, why);
	auth_audience_free(a);
	return rc;
}

/* Opens as C at now; returns the rule ("" when accepted). */
static const char *open_as(world *w, const char *me, const uint8_t *buf,
			   size_t len, uint64_t now, auth_replay *r,
			   auth_reject *why)
{
	auth_opened o;
	static char rule[8];
	memset(why, 0, sizeof(*why));
	if (open_raw(w, me, buf, len, now, SKEW, r, &o, why) != 0) {
		snprintf(rule, sizeof(rule), "%s", why->rule);
		return rule;
	}
	cr_assert_eq(o.context_len, sizeof(context));
	cr_assert_eq(memcmp(o.context, context, sizeof(context)), 0);
	cr_assert_str_eq(o.cred.process, "B");
	cr_assert_str_eq(o.tk.subject, "CORP\\alice");
	auth_opened_free(&o);
	return "";
}

Test(auth, honest_context_opens)
{
	world w;
	world_init(&w);
	auth_replay *r = auth_replay_new(16);
	uint8_t *s;
	size_t l;
	auth_reject why;
	seal(&w, "C", NOW, &s, &l);
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW + 10, r, &why), "",
			 "%s", why.reason);
	free(s);
	auth_replay_free(r);
	world_free(&w);
}

/* A signer may seal an empty context (no bytes at all on the wire): it
 * opens as empty, for the codec to refuse, and nothing reads through a
 * null pointer (a case fuzz-auth found; the sanitizer build checks it). */
Test(auth, empty_context_opens_as_empty)
{
	world w;
	world_init(&w);
	auth_replay *r = auth_replay_new(16);
	uint8_t *s;
	size_t l;
	{
		auth_seal_in in = seal_in(&w);
		in.context = NULL;
		in.context_len = 0;
		cr_assert_eq(auth_seal(&in, &s, &l), 0);
	}
	auth_opened o;
	auth_reject why;
	cr_assert_eq(open_raw(&w, "C", s, l, NOW + 10, SKEW, r, &o,
			       &why),
		     0, "%s", why.reason);
	cr_expect_eq(o.context_len, 0);
	cr_expect(o.context != NULL);
	auth_opened_free(&o);
	free(s);
	auth_replay_free(r);
	world_free(&w);
}

Test(auth, replay_is_refused_on_the_second_call)
{
	world w;
	world_init(&w);
	auth_replay *r = auth_replay_new(16);
	uint8_t *s;
	size_t l;
	auth_reject why;
	seal(&w, "C", NOW, &s, &l);
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW, r, &why), "");
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW + 1, r, &why), "K5");
	/* A fresh seal of the same context is a new call. */
	uint8_t *s2;
	size_t l2;
	seal(&w, "C", NOW, &s2, &l2);
	cr_expect_str_eq(open_as(&w, "C", s2, l2, NOW + 2, r, &why), "");
	free(s);
	free(s2);
	auth_replay_free(r);
	world_free(&w);
}

/* A replay cache full of live nonces judges nothing: the context is
 * not opened, under BUSY (the caller hears the callee is busy), never
 * K5, which says the context was replayed. */
Test(auth, a_full_replay_cache_is_busy_not_a_replay)
{
	world w;
	world_init(&w);
	auth_replay *r = auth_replay_new(32); /* 32 live nonces at most */
	uint8_t n[AUTH_NONCE_LEN];
	memset(n, 0xee, sizeof(n));
	unsigned i = 0;
	while (auth_replay_check(r, n, NOW + 60000, NOW) == 0 && i < 100000)
		memcpy(n, &(unsigned){++i}, sizeof(i));
	uint8_t *s;
	size_t l;
	auth_reject why;
	seal(&w, "C", NOW, &s, &l);
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW + 1, r, &why), AUTH_BUSY);
	cr_expect(strstr(why.reason, "full") != NULL, "%s", why.reason);
	free(s);
	auth_replay_free(r);
	world_free(&w);
}

Test(auth, any_altered_byte_is_refused)
{
	world w;
	world_init(&w);
	uint8_t *s;
	size_t l;
	auth_reject why;
	seal(&w, "C", NOW, &s, &l);
	size_t refused = 0;
	for (size_t i = 0; i < l; i++) {
		auth_replay *r = auth_replay_new(16);
		s[i] ^= 0x01;
		const char *rule = open_as(&w, "C", s, l, NOW, r, &why);
		s[i] ^= 0x01;
		auth_replay_free(r);
		/* A flip in a field's tag or length may leave an unknown
		 * field protobuf skips; everything signed must not pass. */
		if (rule[0])
			refused++;
	}
	cr_expect_gt(refused, l * 9 / 10, "only %zu of %zu flips refused",
		     refused, l);
	free(s);
	world_free(&w);
}

Test(auth, altered_context_is_K1)
{
	world w;
	world_init(&w);
	uint8_t *s;
	size_t l;
	auth_reject why;
	seal(&w, "C", NOW, &s, &l);
	uint8_t *hit = memmem(s, l, "SecurityContext", 15);
	cr_assert_not_null(hit);
	hit[0] = 'X';
	auth_replay *r = auth_replay_new(16);
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW, r, &why), "K1");
	cr_expect(strstr(why.reason, "altered") != NULL, "%s", why.reason);
	auth_replay_free(r);
	free(s);
	world_free(&w);
}

Test(auth, wrong_audience_is_K4)
{
	world w;
	world_init(&w);
	uint8_t *s;
	size_t l;
	auth_reject why;
	auth_replay *r = auth_replay_new(16);
	seal(&w, "C", NOW, &s, &l);
	cr_expect_str_eq(open_as(&w, "D", s, l, NOW, r, &why), "K4");
	free(s);
	auth_replay_free(r);
	world_free(&w);
}

Test(auth, expiry_allows_the_clock_skew_and_no_more)
{
	world w;
	world_init(&w);
	uint8_t *s;
	size_t l;
	auth_reject why;
	auth_replay *r = auth_replay_new(16);
	seal(&w, "C", NOW, &s, &l); /* valid until NOW + 30000 */
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW + 30000 + SKEW + 1, r,
				 &why),
			 "K3");
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW + 30000 + SKEW, r, &why),
			 "");
	free(s);
	/* Dated in the future beyond the skew. */
	seal(&w, "C", NOW + SKEW + 1000, &s, &l);
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW, r, &why), "K3");
	free(s);
	auth_replay_free(r);
	world_free(&w);
}

/* A signer may claim any lifetime: a context that would live longer than
 * a context may is refused (its nonce would otherwise sit in the replay
 * cache until then, and enough of them fill it), and so is one that
 * expires before it was issued. */
Test(auth, a_context_claiming_a_long_life_is_K3)
{
	world w;
	world_init(&w);
	auth_replay *r = auth_replay_new(16);
	const uint64_t lifetimes[] = {AUTH_CONTEXT_LIFETIME_MS + 1,
				      24ull * 3600 * 1000,
				      UINT64_MAX - NOW};
	for (unsigned i = 0; i < 3; i++) {
		uint8_t *s;
		size_t l;
		auth_reject why;
		auth_seal_in in = seal_in(&w);
		in.lifetime_ms = lifetimes[i];
		cr_assert_eq(auth_seal(&in, &s, &l), 0);
		cr_expect_str_eq(open_as(&w, "C", s, l, NOW + 10, r, &why),
				 "K3", "lifetime %llu",
				 (unsigned long long)lifetimes[i]);
		cr_expect(strstr(why.reason, "a context lives at most"),
			  "%s", why.reason);
		free(s);
	}
	/* issued + lifetime wraps: expires before it was issued. */
	uint8_t *s;
	size_t l;
	auth_reject why;
	{
		auth_seal_in in = seal_in(&w);
		in.lifetime_ms = UINT64_MAX - NOW + 2;
		cr_assert_eq(auth_seal(&in, &s, &l), 0);
	}
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW + 10, r, &why), "K3");
	cr_expect(strstr(why.reason, "before it was issued"), "%s",
		  why.reason);
	free(s);
	/* Exactly the most a context may live: accepted. */
	{
		auth_seal_in in = seal_in(&w);
		in.lifetime_ms = AUTH_CONTEXT_LIFETIME_MS;
		cr_assert_eq(auth_seal(&in, &s, &l), 0);
	}
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW + 10, r, &why), "", "%s",
			 why.reason);
	free(s);
	auth_replay_free(r);
	world_free(&w);
}

/* Times near the top of the range neither wrap into the past nor the
 * future: a credential and ticket the authority made valid "forever"
 * open; a huge clock skew is capped, not summed past the range. */
Test(auth, expiry_near_the_top_of_the_range_does_not_wrap)
{
	world w;
	world_init(&w);
	free(w.cred);
	free(w.ticket);
	cred_for(w.authority, w.b, "B", UINT64_MAX, &w.cred, &w.cred_len);
	ticket_for(w.authority, "B", "C", UINT64_MAX - 1, &w.ticket,
		   &w.ticket_len);
	auth_replay *r = auth_replay_new(16);
	uint8_t *s;
	size_t l;
	auth_reject why;
	seal(&w, "C", NOW, &s, &l);
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW + 10, r, &why), "", "%s",
			 why.reason);
	free(s);
	/* Expired an hour ago, opened with the largest skew there is: the
	 * skew is capped at AUTH_MAX_SKEW_MS, so an hour is within it, and
	 * a context from the far future is still refused. */
	seal(&w, "C", NOW - 3600000, &s, &l);
	auth_opened o;
	memset(&why, 0, sizeof(why));
	cr_expect_eq(open_raw(&w, "C", s, l, NOW, UINT64_MAX, r, &o,
			       &why),
		     0, "%s", why.reason);
	auth_opened_free(&o);
	free(s);
	seal(&w, "C", UINT64_MAX - AUTH_CONTEXT_LIFETIME_MS, &s, &l);
	memset(&why, 0, sizeof(why));
	cr_expect_neq(open_raw(&w, "C", s, l, NOW, UINT64_MAX, r, &o,
				&why),
		      0);
	cr_expect_str_eq(why.rule, "K3");
	cr_expect(strstr(why.reason, "in the future"), "%s", why.reason);
	free(s);
	auth_replay_free(r);
	world_free(&w);
}

/* Past its expiry by more than the skew, with the message saying by how
 * much (not a wrapped figure). */
Test(auth, expired_credential_says_how_long_ago)
{
	world w;
	world_init(&w);
	free(w.cred);
	cred_for(w.authority, w.b, "B", NOW - 60000, &w.cred, &w.cred_len);
	auth_replay *r = auth_replay_new(16);
	uint8_t *s;
	size_t l;
	auth_reject why;
	seal(&w, "C", NOW, &s, &l);
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW, r, &why), "K3");
	cr_expect(strstr(why.reason, "credential expired 60000 ms ago"),
		  "%s", why.reason);
	free(s);
	auth_replay_free(r);
	world_free(&w);
}

/* The memo of verified statements: the same credential and ticket bytes
 * are verified once; every other check still runs on every use, and bytes
 * that differ in any way are verified afresh. */
Test(auth, memo_verifies_a_statement_once_and_nothing_else)
{
	world w;
	world_init(&w);
	auth_memo_enable(true);
	auth_replay *r = auth_replay_new(64);
	uint8_t *s;
	size_t l;
	auth_reject why;
	seal(&w, "C", NOW, &s, &l);
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW, r, &why), "", "%s",
			 why.reason);
	free(s);
	cr_expect_eq(auth_memo_hits(), 0);
	seal(&w, "C", NOW, &s, &l);
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW, r, &why), "", "%s",
			 why.reason);
	free(s);
	cr_expect_eq(auth_memo_hits(), 2, "credential and ticket remembered");

	/* The remembered credential with one bit changed anywhere, signature
	 * or body: verified afresh, refused. */
	for (size_t i = 0; i < w.cred_len; i++) {
		w.cred[i] ^= 0x01;
		auth_credential c;
		auth_checker by = {w.anchor, NOW, SKEW};
		int rc = auth_credential_check(&by, w.cred, w.cred_len, &c,
					       &why);
		w.cred[i] ^= 0x01;
		cr_expect_neq(rc, 0, "byte %zu altered, accepted", i);
		if (rc == 0)
			break;
	}
	/* Remembered, yet past its expiry later: K3 (a verified signature is
	 * all the memo keeps). */
	seal(&w, "C", NOW + 3600000 + SKEW + 10, &s, &l);
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW + 3600000 + SKEW + 20, r,
				 &why),
			 "K3");
	cr_expect(strstr(why.reason, "credential expired"), "%s", why.reason);
	free(s);
	/* The same bytes under another anchor: K2, whatever was remembered. */
	uint8_t other[AUTH_KEY_LEN];
	memcpy(other, w.anchor, sizeof(other));
	other[0] ^= 0x80;
	auth_credential c;
	cr_expect_neq(auth_credential_check(&(auth_checker){other, NOW, SKEW},
					    w.cred, w.cred_len, &c, &why),
		      0);
	cr_expect_str_eq(why.rule, "K2");
	auth_memo_enable(false);
	auth_replay_free(r);
	world_free(&w);
}

/* A forged statement is never remembered: refused every time. */
Test(auth, memo_never_remembers_a_forgery)
{
	world w;
	world_init(&w);
	auth_memo_enable(true);
	size_t sig_at = w.cred_len - 1; /* the signature is the last field */
	w.cred[sig_at] ^= 0x01;
	for (int i = 0; i < 3; i++) {
		auth_credential c;
		auth_reject why;
		cr_expect_neq(auth_credential_check(
				      &(auth_checker){w.anchor, NOW, SKEW},
				      w.cred, w.cred_len, &c, &why),
			      0);
		cr_expect_str_eq(why.rule, "K1");
	}
	cr_expect_eq(auth_memo_hits(), 0);
	auth_memo_enable(false);
	world_free(&w);
}

Test(auth, unknown_authority_is_K2)
{
	world w;
	world_init(&w);
	auth_key *rogue = NULL;
	cr_assert_eq(auth_key_generate(&rogue), 0);
	free(w.ticket);
	ticket_for(rogue, "B", "C", NOW + 600000, &w.ticket, &w.ticket_len);
	uint8_t *s;
	size_t l;
	auth_reject why;
	auth_replay *r = auth_replay_new(16);
	seal(&w, "C", NOW, &s, &l);
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW, r, &why), "K2");
	free(s);
	auth_replay_free(r);
	auth_key_free(rogue);
	world_free(&w);
}

Test(auth, a_ticket_for_another_presenter_is_K6)
{
	world w;
	world_init(&w);
	free(w.ticket);
	ticket_for(w.authority, "X", "C", NOW + 600000, &w.ticket,
		   &w.ticket_len);
	uint8_t *s;
	size_t l;
	auth_reject why;
	auth_replay *r = auth_replay_new(16);
	seal(&w, "C", NOW, &s, &l);
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW, r, &why), "K6");
	free(s);
	auth_replay_free(r);
	world_free(&w);
}

/* other_session_key: the authenticator names this ticket, but its MAC
 * was made with another ticket's session key. */
Test(auth, a_mac_under_another_session_key_is_K1)
{
	world w;
	world_init(&w);
	uint8_t other[AUTH_SESSION_KEY_LEN];
	memcpy(other, test_key, sizeof(other));
	other[0] ^= 0x01;
	uint8_t *s;
	size_t l;
	auth_reject why;
	{
		auth_seal_in in = seal_in(&w);
		in.session_key = other;
		cr_assert_eq(auth_seal(&in, &s, &l), 0);
	}
	auth_replay *r = auth_replay_new(16);
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW, r, &why), "K1");
	cr_expect(strstr(why.reason, "MAC does not verify"), "%s", why.reason);
	free(s);
	auth_replay_free(r);
	world_free(&w);
}

/* moved_authenticator: an authenticator made (and MAC'd) for one ticket,
 * sent with another. */
Test(auth, an_authenticator_moved_to_another_ticket_is_K1)
{
	world w;
	world_init(&w);
	uint8_t first_key[AUTH_SESSION_KEY_LEN], first_id[AUTH_NONCE_LEN];
	memcpy(first_key, test_key, sizeof(first_key));
	memcpy(first_id, test_id, sizeof(first_id));
	free(w.ticket);
	ticket_for(w.authority, "B", "C", NOW + 600000, &w.ticket,
		   &w.ticket_len);
	uint8_t *s;
	size_t l;
	auth_reject why;
	{
		auth_seal_in in = seal_in(&w);
		in.session_key = first_key;
		in.ticket_id = first_id;
		cr_assert_eq(auth_seal(&in, &s, &l), 0);
	}
	auth_replay *r = auth_replay_new(16);
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW, r, &why), "K1");
	cr_expect(strstr(why.reason, "made for another ticket"), "%s",
		  why.reason);
	free(s);
	/* The same authenticator with its own ticket's key but naming the
	 * first ticket: still for another ticket. */
	{
		auth_seal_in in = seal_in(&w);
		in.ticket_id = first_id;
		cr_assert_eq(auth_seal(&in, &s, &l), 0);
	}
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW, r, &why), "K1");
	cr_expect(strstr(why.reason, "made for another ticket"), "%s",
		  why.reason);
	free(s);
	auth_replay_free(r);
	world_free(&w);
}

/* A ticket whose session key was sealed under another process's secret
 * (or for another holder) gives its presenter nothing at this audience. */
Test(auth, a_session_key_not_sealed_for_the_audience_is_K1)
{
	world w;
	world_init(&w);
	uint8_t *s;
	size_t l;
	auth_reject why;
	auth_opened o;
	seal(&w, "C", NOW, &s, &l);
	uint8_t other[AUTH_SECRET_LEN] = {9};
	auth_audience *a = auth_audience_new(w.anchor, "C", other);
	auth_replay *r = auth_replay_new(16);
	cr_expect_neq(
		auth_open(&(auth_open_opts){a, r, NOW, SKEW}, s, l, &o, &why),
		0);
	cr_expect_str_eq(why.rule, "K1");
	cr_expect(strstr(why.reason, "not sealed for C"), "%s", why.reason);
	auth_audience_free(a);
	free(s);
	auth_replay_free(r);
	world_free(&w);
}

Test(auth, a_sealed_key_opens_only_for_its_ticket_and_holder)
{
	uint8_t secret[AUTH_SECRET_LEN] = {1}, key[AUTH_SESSION_KEY_LEN] = {2};
	uint8_t id[AUTH_NONCE_LEN] = {3}, sealed[AUTH_SEALED_KEY_LEN];
	uint8_t out[AUTH_SESSION_KEY_LEN];
	cr_assert_eq(auth_key_seal(secret, key, id, "C", sealed), 0);
	cr_expect_eq(auth_key_unseal(secret, sealed, sizeof(sealed), id, "C",
				     out),
		     0);
	cr_expect_eq(memcmp(out, key, sizeof(key)), 0);
	cr_expect_neq(auth_key_unseal(secret, sealed, sizeof(sealed), id, "B",
				      out),
		      0, "another holder");
	uint8_t id2[AUTH_NONCE_LEN] = {4};
	cr_expect_neq(auth_key_unseal(secret, sealed, sizeof(sealed), id2,
				      "C", out),
		      0, "another ticket");
	uint8_t secret2[AUTH_SECRET_LEN] = {5};
	cr_expect_neq(auth_key_unseal(secret2, sealed, sizeof(sealed), id,
				      "C", out),
		      0, "another secret");
	for (size_t i = 0; i < sizeof(sealed); i++) {
		sealed[i] ^= 0x10;
		cr_expect_neq(auth_key_unseal(secret, sealed, sizeof(sealed),
					      id, "C", out),
			      0, "byte %zu altered", i);
		sealed[i] ^= 0x10;
	}
}

/* The audience verifies a ticket once and keeps it with its session key:
 * the next call takes it from there (no signature checked), and past the
 * ticket's expiry the kept session key opens nothing (K3): a session
 * key reused after its ticket expired. */
Test(auth, the_audience_keeps_a_ticket_until_it_expires)
{
	world w;
	world_init(&w);
	free(w.ticket);
	ticket_for(w.authority, "B", "C", NOW + 1000, &w.ticket,
		   &w.ticket_len);
	auth_audience *a = auth_audience_new(w.anchor, "C", test_secret);
	auth_replay *r = auth_replay_new(64);
	auth_opened o;
	auth_reject why;
	uint8_t *s;
	size_t l;
	for (int i = 0; i < 3; i++) {
		seal(&w, "C", NOW, &s, &l);
		cr_expect_eq(auth_open(&(auth_open_opts){a, r, NOW, SKEW}, s, l,
				       &o, &why),
			     0, "%s", why.reason);
		auth_opened_free(&o);
		free(s);
	}
	cr_expect_eq(auth_audience_hits(a), 4,
		     "credential and ticket taken twice as verified");
	/* Within the skew after expiry: still taken. */
	seal(&w, "C", NOW + 1000 + SKEW, &s, &l);
	cr_expect_eq(auth_open(&(auth_open_opts){a, r, NOW + 1000 + SKEW, SKEW},
			       s, l, &o, &why),
		     0, "%s", why.reason);
	auth_opened_free(&o);
	free(s);
	/* Past it: the kept ticket and its session key are refused. */
	seal(&w, "C", NOW + 1000 + SKEW + 1, &s, &l);
	cr_expect_neq(
		auth_open(&(auth_open_opts){a, r, NOW + 1000 + SKEW + 1, SKEW},
			  s, l, &o, &why),
		0);
	cr_expect_str_eq(why.rule, "K3");
	cr_expect(strstr(why.reason, "ticket expired"), "%s", why.reason);
	free(s);
	auth_audience_free(a);
	auth_replay_free(r);
	world_free(&w);
}

Test(auth, garbage_is_refused_not_trusted)
{
	world w;
	world_init(&w);
	auth_reject why;
	auth_replay *r = auth_replay_new(16);
	const uint8_t junk[] = {0x0a, 0x03, 'a', 'b', 'c', 0xff, 0x01};
	cr_expect_str_eq(open_as(&w, "C", junk, sizeof(junk), NOW, r, &why),
			 "K1");
	cr_expect_str_eq(open_as(&w, "C", junk, 0, NOW, r, &why), "K1");
	auth_replay_free(r);
	world_free(&w);
}

Test(auth, replay_cache_forgets_expired_and_refuses_when_full)
{
	auth_replay *r = auth_replay_new(4); /* 64 slots */
	uint8_t n[AUTH_NONCE_LEN];
	unsigned ok = 0;
	int rc = 0;
	for (unsigned i = 0; i < 200 && rc == 0; i++) {
		memset(n, 0, sizeof(n));
		memcpy(n, &i, sizeof(i));
		rc = auth_replay_check(r, n, NOW + 1000, NOW);
		ok += rc == 0;
	}
	cr_expect_eq(rc, -2, "a full cache of live entries refuses");
	cr_expect_eq(ok, 32);
	/* Later, every entry has expired: room again, and the nonce is
	 * accepted (its context cannot pass the expiry check anyway). */
	memset(n, 0, sizeof(n));
	cr_expect_eq(auth_replay_check(r, n, NOW + 5000, NOW + 2000), 0);
	cr_expect_eq(auth_replay_check(r, n, NOW + 5000, NOW + 2001), -1);
	auth_replay_free(r);
}

/* A busy daemon: the cache grows to its capacity, well past where it
 * starts, still refuses every replay, and refuses when full. */
Test(auth, replay_cache_grows_to_its_capacity)
{
	auth_replay *r = auth_replay_new(20000); /* up to 32768 live */
	uint8_t n[AUTH_NONCE_LEN];
	memset(n, 0, sizeof(n));
	unsigned ok = 0;
	int rc = 0;
	for (unsigned i = 0; i < 40000 && rc == 0; i++) {
		memcpy(n, &i, sizeof(i));
		rc = auth_replay_check(r, n, NOW + 1000, NOW);
		ok += rc == 0;
	}
	cr_expect_eq(rc, -2, "a full cache of live entries refuses");
	cr_expect_eq(ok, 32768);
	for (unsigned i = 0; i < 32768; i += 997) {
		memcpy(n, &i, sizeof(i));
		cr_expect_eq(auth_replay_check(r, n, NOW + 1000, NOW + 1), -2);
	}
	auth_replay_free(r);
	r = auth_replay_new(20000);
	for (unsigned i = 0; i < 20000; i++) {
		memcpy(n, &i, sizeof(i));
		cr_assert_eq(auth_replay_check(r, n, NOW + 1000, NOW), 0);
	}
	for (unsigned i = 0; i < 20000; i += 997) {
		memcpy(n, &i, sizeof(i));
		cr_expect_eq(auth_replay_check(r, n, NOW + 1000, NOW + 1), -1,
			     "nonce %u replayed", i);
	}
	auth_replay_free(r);
}

/* A signer chooses its nonces: 20,000 that share their first 8 bytes
 * (the bytes an unkeyed table would index by) still find their slots in
 * a few probes each, not in one chain as long as the cache. */
Test(auth, replay_slots_are_a_keyed_hash)
{
	const unsigned n = 20000;
	auth_replay *r = auth_replay_new(n);
	uint8_t nonce[AUTH_NONCE_LEN];
	memset(nonce, 0x42, sizeof(nonce));
	for (unsigned i = 0; i < n; i++) {
		memcpy(nonce + 8, &i, sizeof(i));
		cr_assert_eq(auth_replay_check(r, nonce, NOW + 1000, NOW), 0);
	}
	uint64_t probes = auth_replay_probes(r);
	cr_expect_lt(probes, 4ull * n, "%llu probes for %u chosen nonces",
		     (unsigned long long)probes, n);
	memcpy(nonce + 8, &(unsigned){7}, sizeof(unsigned));
	cr_expect_eq(auth_replay_check(r, nonce, NOW + 1000, NOW + 1), -1);
	auth_replay_free(r);
}

/* K5 per presenter at the callee: another presenter X fills its own
 * cache with live nonces and is then refused; B's context still opens;
 * only when B's own cache is full is B refused. */
Test(auth, a_presenter_fills_only_its_own_replay_cache)
{
	world w;
	world_init(&w);
	auth_replay *r = auth_replay_new_per_presenter(64);
	uint8_t n[AUTH_NONCE_LEN];
	memset(n, 0, sizeof(n));
	int last = 0;
	for (unsigned i = 0; i < 200 && last == 0; i++) {
		memcpy(n, &i, sizeof(i));
		last = auth_replay_check_for(r, "X", n, NOW + 30000, NOW);
	}
	cr_expect_eq(last, -2, "X's cache never filled");
	uint8_t *s;
	size_t l;
	auth_reject why;
	seal(&w, "C", NOW, &s, &l);
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW + 10, r, &why), "",
			 "B refused after X filled its cache: [%s] %s",
			 why.rule, why.reason);
	free(s);
	last = 0;
	for (unsigned i = 0; i < 200 && last == 0; i++) {
		memcpy(n, &i, sizeof(i));
		last = auth_replay_check_for(r, "B", n, NOW + 30000, NOW);
	}
	seal(&w, "C", NOW, &s, &l);
	/* B's own cache full: B is busy-refused (nothing judged), not K5. */
	cr_expect_str_eq(open_as(&w, "C", s, l, NOW + 10, r, &why), AUTH_BUSY);
	free(s);
	auth_replay_free(r);
	world_free(&w);
}

/* ---- the authority ------------------------------------------------- */

static char dir[64];

static int rm_entry(const char *p, const struct stat *sb, int f,
		    struct FTW *ftw)
{
	(void)sb;
	(void)f;
	(void)ftw;
	return remove(p);
}

typedef struct run {
	sc_scenario *scn;
	authority_state st;
} run;

static void run_start_in(run *x, const char *file, const char *variant)
{
	char path[512];
	const char *src = getenv("CLOAKROOM_SOURCE");
	snprintf(path, sizeof(path), "%s/scenarios/%s", src ? src : ".",
		 file);
	sc_load_errors errs = {0};
	cr_assert_eq(sc_load_file(path, variant, &x->scn, &errs), 0);
	sc_load_errors_free(&errs);
	snprintf(dir, sizeof(dir), "/tmp/cloakroom-auth-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	memset(&x->st, 0, sizeof(x->st));
	x->st.ticket_lifetime_ms = AUTH_TICKET_LIFETIME_MS;
	x->st.skew_ms = SKEW;
	char err[256];
	cr_assert_eq(authority_ticket_setup(&x->st, x->scn, dir, err,
					    sizeof(err)),
		     0, "%s", err);
}

static void run_start(run *x, const char *variant)
{
	run_start_in(x, "double-hop.yaml", variant);
}

static void run_stop(run *x)
{
	authority_ticket_free(&x->st);
	sc_load_free(x->scn);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* The issue time ask() puts in a request: 0 for the clock's. */
static uint64_t ask_issued_ms;
/* The TLS peer ask() reports: NULL for none (no TLS); "" for the
 * requester's own account. */
static const char *ask_peer;
/* C6: the identity ANONYMOUS LOGON is asked in place of (NULL: none). */
static const char *ask_replaced_sid;

/* process asks for a ticket presenting sid to target; returns the reply
 * (free with cloakroom__ticket_reply__free_unpacked). */
static Cloakroom__TicketReply *ask(run *x, const char *process,
				   const char *target, const char *sid,
				   sc_level asked, const uint8_t *evidence,
				   size_t evidence_len)
{
	char path[256];
	auth_key *k = NULL;
	uint8_t *cred = NULL;
	size_t cl = 0;
	snprintf(path, sizeof(path), "%s/%s.key", dir, process);
	cr_assert_eq(auth_key_load(path, &k), 0);
	snprintf(path, sizeof(path), "%s/%s.cred", dir, process);
	cr_assert_eq(auth_file_read(path, &cred, &cl), 0);
	Cloakroom__Signed *cs = cloakroom__signed__unpack(NULL, cl, cred);
	Cloakroom__Signed *es =
		evidence ? cloakroom__signed__unpack(NULL, evidence_len,
						     evidence)
			 : NULL;
	uint8_t nonce[AUTH_NONCE_LEN];
	auth_random(nonce, sizeof(nonce));
	Cloakroom__TicketRequest rq;
	cloakroom__ticket_request__init(&rq);
	rq.credential = cs;
	rq.target = (char *)target;
	rq.subject_sid = (char *)sid;
	rq.evidence = es;
	rq.package = SC_PACKAGE_KERBEROS;
	rq.asked = asked;
	rq.authn = SC_AUTHN_CONNECT;
	rq.transport = SC_TRANSPORT_COM;
	rq.issued_ms = ask_issued_ms ? ask_issued_ms : auth_now_ms();
	rq.replaced_sid = (char *)(ask_replaced_sid ? ask_replaced_sid : "");
	rq.nonce.data = nonce;
	rq.nonce.len = sizeof(nonce);
	size_t bl = cloakroom__ticket_request__get_packed_size(&rq);
	uint8_t *body = malloc(bl);
	cloakroom__ticket_request__pack(&rq, body);
	uint8_t *req = NULL;
	size_t rl = 0;
	cr_assert_eq(auth_request_sign(k, body, bl, &req, &rl), 0);
	uint8_t *reply = NULL;
	size_t replen = 0;
	char own[AUTH_IDENT_LEN] = "";
	if (ask_peer && !ask_peer[0]) {
		auth_credential c;
		auth_reject why;
		cr_assert_eq(
			auth_credential_check(
				&(auth_checker){x->st.pub, auth_now_ms(), SKEW},
				cred, cl, &c, &why),
			0);
		snprintf(own, sizeof(own), "%s", c.account);
	}
	cr_assert_eq(authority_ticket_serve(&x->st, req, rl,
					    ask_peer && !ask_peer[0] ? own
								     : ask_peer,
					    &reply, &replen),
		     0);
	Cloakroom__TicketReply *rep =
		cloakroom__ticket_reply__unpack(NULL, replen, reply);
	cr_assert_not_null(rep);
	free(reply);
	free(req);
	free(body);
	cloakroom__signed__free_unpacked(cs, NULL);
	if (es)
		cloakroom__signed__free_unpacked(es, NULL);
	free(cred);
	auth_key_free(k);
	return rep;
}

/* alice's SID as the authority issued it (in A's logon credential). */
static const char *sid_of(run *x, const char *account)
{
	static auth_credential c;
	char path[256];
	uint8_t *b = NULL;
	size_t l = 0;
	auth_reject why;
	cr_assert_str_eq(account, "alice");
	snprintf(path, sizeof(path), "%s/A.cred", dir);
	cr_assert_eq(auth_file_read(path, &b, &l), 0);
	cr_assert_eq(auth_credential_check(
			     &(auth_checker){x->st.pub, auth_now_ms(), SKEW}, b,
			     l, &c, &why),
		     0);
	free(b);
	return c.account_sid;
}

static bool ticket_forwardable(run *x, const Cloakroom__TicketReply *rep)
{
	uint8_t *b = NULL;
	size_t l = cloakroom__signed__get_packed_size(rep->ticket);
	b = malloc(l);
	cloakroom__signed__pack(rep->ticket, b);
	auth_ticket t;
	auth_reject why;
	cr_assert_eq(auth_ticket_check(
			     &(auth_checker){x->st.pub, auth_now_ms(), SKEW}, b,
			     l, &t, &why),
		     0, "%s", why.reason);
	free(b);
	return t.forwardable;
}

Test(authority, own_identity_forwardable_only_when_delegate_asked_and_D1)
{
	run x;
	run_start(&x, "delegate");
	Cloakroom__TicketReply *rep = ask(&x, "A", "B", sid_of(&x, "alice"),
					  SC_LEVEL_DELEGATE, NULL, 0);
	cr_assert_not_null(rep->ticket, "%s", rep->reason);
	cr_expect(ticket_forwardable(&x, rep));
	cr_expect_str_eq(rep->rule, "D1");
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	rep = ask(&x, "A", "B", sid_of(&x, "alice"), SC_LEVEL_IMPERSONATE,
		  NULL, 0);
	cr_assert_not_null(rep->ticket);
	cr_expect_not(ticket_forwardable(&x, rep));
	cr_expect_str_eq(rep->rule, "K8");
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	run_stop(&x);
}

Test(authority, D1_fails_for_a_sensitive_client)
{
	run x;
	run_start(&x, "delegate-sensitive");
	Cloakroom__TicketReply *rep = ask(&x, "A", "B", sid_of(&x, "alice"),
					  SC_LEVEL_DELEGATE, NULL, 0);
	cr_assert_not_null(rep->ticket);
	cr_expect_not(ticket_forwardable(&x, rep));
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	run_stop(&x);
}

Test(authority, another_identity_needs_evidence)
{
	run x;
	run_start(&x, "delegate");
	Cloakroom__TicketReply *rep = ask(&x, "B", "C", sid_of(&x, "alice"),
					  SC_LEVEL_DELEGATE, NULL, 0);
	cr_expect_null(rep->ticket);
	cr_expect_str_eq(rep->rule, "K7");
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	run_stop(&x);
}

/* A request's issue time is checked by difference: one from near the top
 * of the 64-bit range does not wrap into the window and is refused K3,
 * as is one a minute old; one a second old is served. */
Test(authority, a_request_not_current_is_K3_whatever_its_time)
{
	run x;
	run_start(&x, "delegate");
	const uint64_t times[] = {UINT64_MAX, UINT64_MAX - 20000,
				  auth_now_ms() - 60000,
				  auth_now_ms() + 60000};
	for (unsigned i = 0; i < 4; i++) {
		ask_issued_ms = times[i];
		Cloakroom__TicketReply *rep =
			ask(&x, "A", "B", sid_of(&x, "alice"),
			    SC_LEVEL_IMPERSONATE, NULL, 0);
		cr_expect_null(rep->ticket, "issued %llu",
			       (unsigned long long)times[i]);
		cr_expect_str_eq(rep->rule, "K3");
		cloakroom__ticket_reply__free_unpacked(rep, NULL);
	}
	ask_issued_ms = auth_now_ms() - 1000;
	Cloakroom__TicketReply *rep = ask(&x, "A", "B", sid_of(&x, "alice"),
					  SC_LEVEL_IMPERSONATE, NULL, 0);
	ask_issued_ms = 0;
	cr_expect_not_null(rep->ticket, "[%s] %s", rep->rule, rep->reason);
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	run_stop(&x);
}

/* The evidence a middle tier holds: the ticket its caller presented. */
static Cloakroom__TicketReply *double_hop_in(const char *file,
					     const char *variant,
					     sc_level a_asks, run *x)
{
	run_start_in(x, file, variant);
	Cloakroom__TicketReply *ab = ask(x, "A", "B", sid_of(x, "alice"),
					 a_asks, NULL, 0);
	cr_assert_not_null(ab->ticket);
	size_t l = cloakroom__signed__get_packed_size(ab->ticket);
	uint8_t *ev = malloc(l);
	cloakroom__signed__pack(ab->ticket, ev);
	cloakroom__ticket_reply__free_unpacked(ab, NULL);
	Cloakroom__TicketReply *bc = ask(x, "B", "C", sid_of(x, "alice"),
					 SC_LEVEL_DELEGATE, ev, l);
	free(ev);
	return bc;
}

static Cloakroom__TicketReply *double_hop(const char *variant,
					  sc_level a_asks, run *x)
{
	return double_hop_in("double-hop.yaml", variant, a_asks, x);
}

/* Constrained and resource-based delegation are decided at the
 * authority: B, holding alice's non-forwardable ticket (Impersonate),
 * asks for alice to C. */
static void expect_delegation_in(const char *file, const char *variant,
				 bool minted, const char *rule)
{
	run x;
	Cloakroom__TicketReply *rep =
		double_hop_in(file, variant, SC_LEVEL_IMPERSONATE, &x);
	if (minted)
		cr_expect_not_null(rep->ticket, "%s: %s", variant,
				   rep->reason);
	else
		cr_expect_null(rep->ticket, "%s: a ticket was minted",
			       variant);
	cr_expect_str_eq(rep->rule, rule, "%s: %s %s", variant, rep->rule,
			 rep->reason);
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	run_stop(&x);
}

static void expect_delegation(const char *variant, bool minted,
			      const char *rule)
{
	expect_delegation_in("constrained-delegation.yaml", variant, minted,
			     rule);
}

Test(authority, D4_constrained_delegation_to_a_listed_service)
{
	expect_delegation("constrained-listed", true, "D4");
}

Test(authority, D4_refuses_a_service_not_listed)
{
	expect_delegation("constrained-not-listed", false, "D4");
}

Test(authority, D5_resource_based_delegation_the_target_allows)
{
	expect_delegation("resource-based-allowed", true, "D5");
}

Test(authority, D5_refuses_a_caller_the_target_does_not_name)
{
	expect_delegation("resource-based-not-allowed", false, "D5");
}

Test(authority, nothing_configured_is_refused_C6)
{
	expect_delegation("nothing-configured", false, "C6");
}

/* The KDC's order: classic constrained delegation is judged first, also
 * at the authority, whatever the target's allowed_to_act list says. */
Test(authority, D4_is_judged_before_the_targets_list)
{
	expect_delegation_in("rules/d4-before-d5.yaml",
			     SC_AS_WRITTEN, true, "D4");
	expect_delegation_in("rules/d4-before-d5.yaml",
			     "d4-listed-target-lists-b", true, "D4");
	expect_delegation_in("rules/d4-before-d5.yaml",
			     "sensitive-d5-not-listed", false, "D5");
}

/* alice's logon asks for tickets that are not forwardable: the evidence
 * ticket says so, and the authority's D4 refuses it, as the caller's
 * model does; D5 takes it. */
Test(authority, D4_refuses_evidence_that_is_not_forwardable)
{
	expect_delegation_in("rules/d4-unforwardable-ticket.yaml",
			     SC_AS_WRITTEN, false, "D4");
	expect_delegation_in("rules/d4-unforwardable-ticket.yaml",
			     "forwardable-default", true, "D4");
	expect_delegation_in("rules/d4-unforwardable-ticket.yaml",
			     "d5-accepts", true, "D5");
}

Test(authority, double_hop_with_a_forwardable_ticket_is_L5)
{
	run x;
	Cloakroom__TicketReply *rep =
		double_hop("delegate", SC_LEVEL_DELEGATE, &x);
	cr_expect_not_null(rep->ticket, "%s", rep->reason);
	cr_expect_str_eq(rep->rule, "L5");
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	run_stop(&x);
}

Test(authority, double_hop_at_impersonate_is_refused_C6)
{
	run x;
	Cloakroom__TicketReply *rep =
		double_hop("delegate", SC_LEVEL_IMPERSONATE, &x);
	cr_expect_null(rep->ticket);
	cr_expect_str_eq(rep->rule, "C6", "%s: %s", rep->rule, rep->reason);
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	run_stop(&x);
}

Test(authority, evidence_for_another_audience_is_K4)
{
	run x;
	run_start(&x, "delegate");
	Cloakroom__TicketReply *ac = ask(&x, "A", "C", sid_of(&x, "alice"),
					 SC_LEVEL_DELEGATE, NULL, 0);
	cr_assert_not_null(ac->ticket);
	size_t l = cloakroom__signed__get_packed_size(ac->ticket);
	uint8_t *ev = malloc(l);
	cloakroom__signed__pack(ac->ticket, ev);
	cloakroom__ticket_reply__free_unpacked(ac, NULL);
	Cloakroom__TicketReply *rep = ask(&x, "B", "C", sid_of(&x, "alice"),
					  SC_LEVEL_DELEGATE, ev, l);
	free(ev);
	cr_expect_null(rep->ticket);
	cr_expect_str_eq(rep->rule, "K4");
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	run_stop(&x);
}

/* Evidence carries the level of the hop it proves, and the authority
 * decides on it as the middle tier's model does: alice called B at
 * Identify (or Anonymous, raised to Identify across hosts, L2), so B's
 * thread holds her at Identify and a cloaked call cannot present her
 * (C5), even where constrained delegation would let an Impersonate token
 * through (D4). */
Test(authority, evidence_from_an_identify_call_presents_nobody_C5)
{
	const sc_level levels[] = {SC_LEVEL_IDENTIFY, SC_LEVEL_ANONYMOUS};
	for (unsigned i = 0; i < 2; i++) {
		run x;
		Cloakroom__TicketReply *rep = double_hop_in(
			"constrained-delegation.yaml", "constrained-listed",
			levels[i], &x);
		cr_expect_null(rep->ticket, "alice called at %s: a ticket was "
					    "minted",
			       sc_level_name(levels[i]));
		cr_expect_str_eq(rep->rule, "C5", "%s: [%s] %s",
				 sc_level_name(levels[i]), rep->rule,
				 rep->reason);
		cloakroom__ticket_reply__free_unpacked(rep, NULL);
		run_stop(&x);
	}
}

static auth_ticket ticket_of(run *x, const Cloakroom__TicketReply *rep,
			     sc_token **pac)
{
	size_t l = cloakroom__signed__get_packed_size(rep->ticket);
	uint8_t *b = malloc(l), *p = NULL;
	size_t pl = 0;
	cloakroom__signed__pack(rep->ticket, b);
	auth_ticket t;
	auth_reject why;
	auth_checker by = {x->st.pub, auth_now_ms(), SKEW};
	auth_pac ap = {NULL, 0};
	cr_assert_eq(auth_ticket_pac(&by, b, l, &t, &ap, &why), 0, "%s",
		     why.reason);
	p = ap.data;
	pl = ap.len;
	char err[200];
	cr_assert_eq(codec_identity_decode(p, pl, pac, err, sizeof(err)), 0,
		     "%s", err);
	free(p);
	free(b);
	return t;
}

/* The ticket carries the level the hop may reach and the subject's
 * authorization data as the directory and the host's rights make it:
 * alice's own logon on ws1 (her groups, INTERACTIVE, no Administrators). */
Test(authority, a_ticket_carries_the_level_and_the_logon_of_its_subject)
{
	run x;
	run_start(&x, "delegate");
	Cloakroom__TicketReply *rep = ask(&x, "A", "B", sid_of(&x, "alice"),
					  SC_LEVEL_IDENTIFY, NULL, 0);
	cr_assert_not_null(rep->ticket, "%s", rep->reason);
	sc_token *pac = NULL;
	auth_ticket t = ticket_of(&x, rep, &pac);
	cr_expect_eq(t.level, SC_LEVEL_IDENTIFY);
	cr_expect_str_eq(sc_token_user_sid(pac), sid_of(&x, "alice"));
	cr_expect(sc_token_has_sid(pac, SC_SID_INTERACTIVE));
	cr_expect(sc_token_has_sid(pac, SC_SID_EVERYONE));
	cr_expect_not(sc_token_has_sid(pac, SC_SID_ADMINISTRATORS));
	cr_expect_eq(sc_token_logon(pac), SC_LOGON_INTERACTIVE);
	sc_token_free(pac);
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	run_stop(&x);
	/* B, holding alice at Delegate (D1), presents her network token:
	 * NETWORK in place of INTERACTIVE; C's account is not trusted for
	 * delegation, so the hop reaches Impersonate only (D2). */
	rep = double_hop("delegate", SC_LEVEL_DELEGATE, &x);
	cr_assert_not_null(rep->ticket, "%s", rep->reason);
	t = ticket_of(&x, rep, &pac);
	cr_expect_eq(t.level, SC_LEVEL_IMPERSONATE);
	cr_expect_not(t.forwardable);
	cr_expect(sc_token_has_sid(pac, SC_SID_NETWORK));
	cr_expect_not(sc_token_has_sid(pac, SC_SID_INTERACTIVE));
	sc_token_free(pac);
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	run_stop(&x);
}

/* K6 at the authority: a request signed with A's key and credential
 * that arrives over svc-b's TLS connection is refused; over A's own, it
 * is served. */
Test(authority, the_requester_is_bound_to_its_TLS_peer_K6)
{
	run x;
	run_start(&x, "delegate");
	ask_peer = "CORP\\svc-b";
	Cloakroom__TicketReply *rep = ask(&x, "A", "B", sid_of(&x, "alice"),
					  SC_LEVEL_IMPERSONATE, NULL, 0);
	cr_expect_null(rep->ticket, "a ticket was minted to another peer");
	cr_expect_str_eq(rep->rule, "K6", "[%s] %s", rep->rule, rep->reason);
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	ask_peer = "";
	rep = ask(&x, "A", "B", sid_of(&x, "alice"), SC_LEVEL_IMPERSONATE,
		  NULL, 0);
	ask_peer = NULL;
	cr_expect_not_null(rep->ticket, "[%s] %s", rep->rule, rep->reason);
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	run_stop(&x);
}

/* K5 per requester: A fills its own replay cache with live requests and
 * is then refused, as busy (nothing judged, not a replay); B, asking
 * next, is served. */
Test(authority, a_requester_fills_only_its_own_replay_cache, .timeout = 120)
{
	run x;
	run_start(&x, "delegate");
	unsigned refused = 0;
	for (unsigned i = 0; i < AUTHORITY_REPLAY_PER_REQUESTER + 8; i++) {
		Cloakroom__TicketReply *rep =
			ask(&x, "A", "B", sid_of(&x, "alice"),
			    SC_LEVEL_IMPERSONATE, NULL, 0);
		refused += rep->ticket == NULL;
		if (!rep->ticket)
			cr_expect_str_eq(rep->rule, AUTH_BUSY);
		cloakroom__ticket_reply__free_unpacked(rep, NULL);
	}
	cr_expect_gt(refused, 0, "A was never refused");
	auth_credential b;
	uint8_t *cb = NULL;
	size_t cl = 0;
	auth_reject why;
	char path[256];
	snprintf(path, sizeof(path), "%s/B.cred", dir);
	cr_assert_eq(auth_file_read(path, &cb, &cl), 0);
	cr_assert_eq(auth_credential_check(
			     &(auth_checker){x.st.pub, auth_now_ms(), SKEW}, cb,
			     cl, &b, &why),
		     0);
	free(cb);
	Cloakroom__TicketReply *rep =
		ask(&x, "B", "C", b.account_sid, SC_LEVEL_IMPERSONATE, NULL, 0);
	cr_expect_not_null(rep->ticket, "B refused after A's flood: [%s] %s",
			   rep->rule, rep->reason);
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	run_stop(&x);
}

/* C6 with settings.double_hop_outcome anonymous: B holds alice at
 * Impersonate from another host and may present ANONYMOUS LOGON in her
 * place to C, on her evidence; the authority mints it only when the
 * model replaces her so (rule C6), and mints nothing else in her
 * place. */
static Cloakroom__TicketReply *anonymous_for_alice(run *x, const char *sid,
						   bool replaced)
{
	Cloakroom__TicketReply *ab = ask(x, "A", "B", sid_of(x, "alice"),
					 SC_LEVEL_IMPERSONATE, NULL, 0);
	cr_assert_not_null(ab->ticket);
	size_t l = cloakroom__signed__get_packed_size(ab->ticket);
	uint8_t *ev = malloc(l);
	cloakroom__signed__pack(ab->ticket, ev);
	cloakroom__ticket_reply__free_unpacked(ab, NULL);
	ask_replaced_sid = replaced ? sid_of(x, "alice") : NULL;
	Cloakroom__TicketReply *bc =
		ask(x, "B", "C", sid, SC_LEVEL_IMPERSONATE, ev, l);
	ask_replaced_sid = NULL;
	free(ev);
	return bc;
}

Test(authority, C6_anonymous_in_place_of_an_identity_that_cannot_cross)
{
	run x;
	run_start_in(&x, "rules/c6-double-hop-anonymous.yaml", "anonymous");
	Cloakroom__TicketReply *rep =
		anonymous_for_alice(&x, SC_SID_ANONYMOUS, true);
	cr_expect_not_null(rep->ticket, "%s", rep->reason);
	cr_expect_str_eq(rep->rule, "C6", "%s %s", rep->rule, rep->reason);
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	/* Only ANONYMOUS LOGON replaces an identity. */
	rep = anonymous_for_alice(&x, SC_SID_LOCAL_SYSTEM, true);
	cr_expect_null(rep->ticket);
	cr_expect_str_eq(rep->rule, "K7", "%s %s", rep->rule, rep->reason);
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	/* Anonymous on alice's evidence without saying whom it replaces. */
	rep = anonymous_for_alice(&x, SC_SID_ANONYMOUS, false);
	cr_expect_null(rep->ticket);
	cr_expect_str_eq(rep->rule, "K7", "%s %s", rep->rule, rep->reason);
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	run_stop(&x);
}

Test(authority, C6_no_anonymous_when_the_scenario_says_fail)
{
	run x;
	run_start_in(&x, "rules/c6-double-hop-anonymous.yaml", SC_AS_WRITTEN);
	Cloakroom__TicketReply *rep =
		anonymous_for_alice(&x, SC_SID_ANONYMOUS, true);
	cr_expect_null(rep->ticket, "a ticket was minted");
	cr_expect_str_eq(rep->rule, "C6", "%s %s", rep->rule, rep->reason);
	cloakroom__ticket_reply__free_unpacked(rep, NULL);
	run_stop(&x);
}
