/* bleed_wrapper.c: test support only. Put in front of every daemon (as
 * CLOAKROOM_DAEMON_WRAPPER), it runs procB with the shared-context fault
 * of node.h switched on and every other program unchanged, so a test can
 * prove that `cloakroom stress` sees an identity bleed when there is one.
 * Never installed, never reachable from a scenario or an option. */
#include "node.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PROGRAM [ARG]...\n", argv[0]);
		return 127;
	}
	const char *base = strrchr(argv[1], '/');
	base = base ? base + 1 : argv[1];
	if (strcmp(base, "procB") == 0) {
		node_fault_shared_context(true);
		return node_main(argc - 1, argv + 1, NODE_MIDDLE);
	}
	execv(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
