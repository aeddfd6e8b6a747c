/* procA: the client. Runs its steps (its calls into the chain), reports
 * the trace to the launcher and exits.
 * Thin by design: everything is in node/node.c (wiring) and libsecctx
 * (decisions). */
#include "node.h"

int main(int argc, char **argv)
{
	return node_main(argc, argv, NODE_CLIENT);
}
