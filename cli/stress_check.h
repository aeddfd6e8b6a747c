/* stress_check.h: the verdict on one call of `cloakroom stress`: did the
 * end of the chain receive the identity the client sent? Pure: reads a
 * trace, takes no decision of the model and does no I/O. */
#ifndef CLOAKROOM_STRESS_CHECK_H
#define CLOAKROOM_STRESS_CHECK_H

#include "sc_trace.h"

#include <stddef.h>

typedef enum stress_verdict {
	STRESS_MATCH = 0,  /* the end received exactly what was sent */
	STRESS_MISMATCH,   /* it received someone else's identity */
	STRESS_FAILED,     /* the call did not reach the end */
} stress_verdict;

/* The hop checked (middle->end) and the identity the client sent. */
typedef struct stress_expect {
	const char *middle;
	const char *end;
	const char *sent_name;
	const char *sent_sid;
} stress_expect;

/* Find the hop middle->end in t and compare the identity presented
 * there (user name and SID, as the end decoded them) with the client's
 * own. why gets one line for anything but a match. */
stress_verdict stress_check(const sc_trace *t, const stress_expect *x,
			    char *why, size_t whylen);

#endif
