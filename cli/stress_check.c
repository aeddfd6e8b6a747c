/* stress_check.c: the verdict on one call of `cloakroom stress` (see
 * stress_check.h). Reads the trace the chain sent back; never decides
 * anything the model decides. */
#include "stress_check.h"

#include <stdio.h>
#include <string.h>

stress_verdict stress_check(const sc_trace *t, const stress_expect *x,
			    char *why, size_t whylen)
{
	const char *middle = x->middle, *end = x->end;
	const char *sent_name = x->sent_name, *sent_sid = x->sent_sid;
	const sc_hop *h = NULL;
	for (size_t i = 0; i < t->count && !h; i++)
		if (strcmp(t->hops[i].from, middle) == 0 &&
		    strcmp(t->hops[i].to, end) == 0)
			h = &t->hops[i];
	if (!h) {
		const char *st = t->count ? sc_status_name(t->hops[0].status)
					  : "no hop at all";
		snprintf(why, whylen, "no hop %s->%s in the reply (first hop: "
				      "%s)", middle, end, st);
		return STRESS_FAILED;
	}
	if (h->status != SC_OK) {
		snprintf(why, whylen, "hop %s->%s: %s", middle, end,
			 sc_status_name(h->status));
		return STRESS_FAILED;
	}
	if (strcmp(h->presented, sent_name) != 0 ||
	    strcmp(h->presented_sid, sent_sid) != 0) {
		snprintf(why, whylen, "sent %s (%s), %s received %s (%s)",
			 sent_name, sent_sid, end, h->presented,
			 h->presented_sid);
		return STRESS_MISMATCH;
	}
	return STRESS_MATCH;
}
