/* fuzz_authority.h: what fuzz-authority and its seed program share: the
 * run the authority serves (a scenario with a client, two middle tiers and
 * two services, so that K8, D1, L4, L5, C6, D4 and D5 can all decide),
 * fixed keys for the authority and for each process, and a fixed clock,
 * so that the seeds stay valid run after run. Fuzzing only. */
#ifndef CLOAKROOM_FUZZ_AUTHORITY_H
#define CLOAKROOM_FUZZ_AUTHORITY_H

#include "authority_ticket.h"
#include "fuzz_auth.h"
#include "sc_load.h"

#define FUZZ_AUTHORITY_SCENARIO                                              \
	"scenario: fuzz-authority\n"                                         \
	"domain:\n"                                                          \
	"  name: CORP\n"                                                     \
	"  accounts:\n"                                                      \
	"    - name: alice\n"                                                \
	"    - name: bob\n"                                                  \
	"      sensitive: true\n"                                            \
	"    - name: svc-b\n"                                                \
	"      allowed_to_delegate_to: [svc-c]\n"                            \
	"    - name: svc-m\n"                                                \
	"      trusted_for_delegation: true\n"                               \
	"    - name: svc-c\n"                                                \
	"      trusted_for_delegation: true\n"                               \
	"    - name: svc-r\n"                                                \
	"      allowed_to_act: [svc-b]\n"                                    \
	"hosts:\n"                                                           \
	"  - name: ws1\n"                                                    \
	"  - name: app1\n"                                                   \
	"  - name: srv2\n"                                                   \
	"  - name: lab\n"                                                    \
	"    workgroup: true\n"                                              \
	"processes:\n"                                                       \
	"  - name: A\n"                                                      \
	"    host: ws1\n"                                                    \
	"    account: alice\n"                                               \
	"    blanket: {level: delegate}\n"                                   \
	"    steps:\n"                                                       \
	"      - do: call\n"                                                 \
	"        to: B\n"                                                    \
	"      - do: call\n"                                                 \
	"        to: M\n"                                                    \
	"  - name: Z\n"                                                      \
	"    host: lab\n"                                                    \
	"    account: bob\n"                                                 \
	"    steps:\n"                                                       \
	"      - do: call\n"                                                 \
	"        to: B\n"                                                    \
	"  - name: B\n"                                                      \
	"    host: app1\n"                                                   \
	"    account: svc-b\n"                                               \
	"    started_by: service\n"                                          \
	"    blanket: {level: impersonate, cloaking: dynamic}\n"             \
	"    steps:\n"                                                       \
	"      - do: impersonate\n"                                          \
	"      - do: call\n"                                                 \
	"        to: C\n"                                                    \
	"      - do: call\n"                                                 \
	"        to: R\n"                                                    \
	"  - name: M\n"                                                      \
	"    host: app1\n"                                                   \
	"    account: svc-m\n"                                               \
	"    started_by: service\n"                                          \
	"    blanket: {level: delegate, cloaking: dynamic}\n"                \
	"    steps:\n"                                                       \
	"      - do: impersonate\n"                                          \
	"      - do: call\n"                                                 \
	"        to: C\n"                                                    \
	"  - name: C\n"                                                      \
	"    host: srv2\n"                                                   \
	"    account: svc-c\n"                                               \
	"    started_by: service\n"                                          \
	"    steps:\n"                                                       \
	"      - do: impersonate\n"                                          \
	"  - name: R\n"                                                      \
	"    host: srv2\n"                                                   \
	"    account: svc-r\n"                                               \
	"    started_by: service\n"                                          \
	"    steps:\n"                                                       \
	"      - do: impersonate\n"

/* The processes of the run, each with the fill of its fixed key. */
static const struct {
	const char *name;
	unsigned fill;
} fuzz_authority_procs[] = {
	{"A", 0x31u}, {"Z", 0x41u}, {"B", 0x51u},
	{"M", 0x61u}, {"C", 0x71u}, {"R", 0x81u},
};
#define FUZZ_AUTHORITY_PROCS \
	(sizeof(fuzz_authority_procs) / sizeof(fuzz_authority_procs[0]))

/* The authority's state for the run: fixed key, fixed clock, runtimes
 * built from the scenario (authority_ticket_rebind), no files. 0 or -1. */
static inline int fuzz_authority_state(authority_state *st,
				       sc_scenario **scn)
{
	sc_load_errors errs = {0};
	memset(st, 0, sizeof(*st));
	if (sc_load_buffer("fuzz-authority.yaml", FUZZ_AUTHORITY_SCENARIO,
			   strlen(FUZZ_AUTHORITY_SCENARIO), NULL, scn,
			   &errs) != 0) {
		for (size_t i = 0; i < errs.count; i++) {
			char line[512];
			sc_load_error_format(&errs.items[i], line,
					     sizeof(line));
			fprintf(stderr, "%s\n", line);
		}
		sc_load_errors_free(&errs);
		return -1;
	}
	sc_load_errors_free(&errs);
	char err[256];
	st->ticket_lifetime_ms = AUTH_TICKET_LIFETIME_MS;
	st->skew_ms = FUZZ_AUTH_SKEW_MS;
	st->fixed_now_ms = FUZZ_AUTH_NOW_MS;
	if (fuzz_auth_key(FUZZ_AUTH_AUTHORITY_FILL, &st->key) != 0 ||
	    authority_ticket_rebind(st, *scn, err, sizeof(err)) != 0)
		return -1;
	auth_key_public(st->key, st->pub);
	return st->count == FUZZ_AUTHORITY_PROCS ? 0 : -1;
}

#endif
