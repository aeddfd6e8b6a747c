/* test_stress_check.c: the verdict of `cloakroom stress` on one call: a
 * match only when the end of the chain received exactly the identity the
 * client sent; someone else's identity is a mismatch, a call that did not
 * get there is a failure, never a match. */
#include "stress_check.h"

#include <criterion/criterion.h>
#include <stdio.h>

static void hop(sc_trace *t, const char *from, const char *to,
		const char *who, const char *sid, sc_status st)
{
	int i = sc_trace_add_hop(t);
	cr_assert(i >= 0);
	sc_hop *h = &t->hops[i];
	snprintf(h->from, sizeof(h->from), "%s", from);
	snprintf(h->to, sizeof(h->to), "%s", to);
	snprintf(h->presented, sizeof(h->presented), "%s", who);
	snprintf(h->presented_sid, sizeof(h->presented_sid), "%s", sid);
	h->status = st;
}

static stress_verdict judge(sc_trace *t, char *why, size_t len)
{
	stress_expect x = {"B", "C", "CORP\\user-1", "S-1-5-21-1-1001"};
	return stress_check(t, &x, why, len);
}

Test(stress_check, the_senders_identity_at_C_is_a_match)
{
	sc_trace t;
	sc_trace_init(&t);
	hop(&t, "client-1", "B", "CORP\\user-1", "S-1-5-21-1-1001", SC_OK);
	hop(&t, "B", "C", "CORP\\user-1", "S-1-5-21-1-1001", SC_OK);
	char why[256] = "";
	cr_expect_eq(judge(&t, why, sizeof(why)), STRESS_MATCH, "%s", why);
	sc_trace_free(&t);
}

Test(stress_check, another_clients_identity_at_C_is_a_mismatch)
{
	sc_trace t;
	sc_trace_init(&t);
	hop(&t, "client-1", "B", "CORP\\user-1", "S-1-5-21-1-1001", SC_OK);
	hop(&t, "B", "C", "CORP\\user-2", "S-1-5-21-1-1002", SC_OK);
	char why[256] = "";
	cr_expect_eq(judge(&t, why, sizeof(why)), STRESS_MISMATCH);
	cr_expect(strstr(why, "CORP\\user-2") != NULL, "%s", why);
	sc_trace_free(&t);
}

Test(stress_check, same_name_with_another_sid_is_a_mismatch)
{
	sc_trace t;
	sc_trace_init(&t);
	hop(&t, "B", "C", "CORP\\user-1", "S-1-5-21-1-1002", SC_OK);
	char why[256] = "";
	cr_expect_eq(judge(&t, why, sizeof(why)), STRESS_MISMATCH);
	sc_trace_free(&t);
}

Test(stress_check, a_call_that_did_not_reach_C_is_a_failure)
{
	sc_trace t;
	sc_trace_init(&t);
	hop(&t, "client-1", "B", "", "", SC_UNAVAILABLE);
	char why[256] = "";
	cr_expect_eq(judge(&t, why, sizeof(why)), STRESS_FAILED);
	sc_trace_free(&t);

	sc_trace_init(&t);
	hop(&t, "client-1", "B", "CORP\\user-1", "S-1-5-21-1-1001", SC_OK);
	hop(&t, "B", "C", "CORP\\user-1", "S-1-5-21-1-1001",
	    SC_DEADLINE_EXCEEDED);
	cr_expect_eq(judge(&t, why, sizeof(why)), STRESS_FAILED);
	cr_expect(strstr(why, "DEADLINE_EXCEEDED") != NULL, "%s", why);
	sc_trace_free(&t);
}

Test(stress_check, an_empty_reply_is_a_failure)
{
	sc_trace t;
	sc_trace_init(&t);
	char why[256] = "";
	cr_expect_eq(judge(&t, why, sizeof(why)), STRESS_FAILED);
	sc_trace_free(&t);
}
