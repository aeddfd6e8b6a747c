/* netns.h: `--hosts netns`: each scenario host (and the authority) in its
 * own network namespace, joined by veth links to a bridge in a hub
 * namespace, with addresses from the benchmarking range 198.18.0.0/15
 * that exist only inside those namespaces. Uses ip(8) from iproute2; needs
 * root. Never initialises gRPC (the launcher forks). */
#ifndef CLOAKROOM_NETNS_H
#define CLOAKROOM_NETNS_H

#include <stdbool.h>
#include <stddef.h>

#define NETNS_NAME_LEN 32
#define NETNS_MAX 64

typedef struct netns_set {
	char prefix[16];                    /* "cr<pid>" */
	char hub[NETNS_NAME_LEN];
	char names[NETNS_MAX][NETNS_NAME_LEN]; /* one per host, then the
	                                          authority's */
	char addrs[NETNS_MAX][16];          /* 198.18.0.x */
	size_t count;
	bool hub_made;
} netns_set;

/* Why netns mode cannot run here (not root, no ip), or NULL. */
const char *netns_unavailable(void);

/* Make hosts + 1 namespaces (the last for the authority). 0, or -1 with
 * err (whatever was made is removed). */
int netns_setup(netns_set *ns, size_t hosts, char *err, size_t errlen);

/* Remove every namespace made (their links go with them). */
void netns_teardown(netns_set *ns);

#endif
