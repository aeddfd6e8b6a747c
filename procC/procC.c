/* procC: the end server. Serves calls: impersonates, checks access to
 * its objects.
 * Thin by design: everything is in node/node.c (wiring) and libsecctx
 * (decisions). */
#include "node.h"

int main(int argc, char **argv)
{
	return node_main(argc, argv, NODE_END);
}
