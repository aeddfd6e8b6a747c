/* procB: a middle tier (B, and D, E... in longer chains). Serves calls
 * and calls onward on its callers' behalf.
 * Thin by design: everything is in node/node.c (wiring) and libsecctx
 * (decisions). */
#include "node.h"

int main(int argc, char **argv)
{
	return node_main(argc, argv, NODE_MIDDLE);
}
