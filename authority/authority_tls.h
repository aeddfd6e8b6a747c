/* authority_tls.h: the run's CA and the daemons' TLS certificates (one per
 * account), written next to the credentials: DIR/ca.crt, DIR/DNS.crt and
 * DIR/DNS.key, DNS being auth_dns_name of the account (the authority's own
 * is AUTH_AUTHORITY_ACCOUNT). No gRPC here. */
#ifndef CLOAKROOM_AUTHORITY_TLS_H
#define CLOAKROOM_AUTHORITY_TLS_H

#include "authority_ticket.h"

/* After authority_ticket_setup. 0, or -1 with err. */
int authority_tls_setup(const authority_state *st, const char *dir, char *err,
			size_t errlen);

#endif
