/* diff.h: `cloakroom diff`: what changed between two `run --json`
 * outputs, hop by hop. Reads files only; starts nothing. */
#ifndef CLOAKROOM_DIFF_H
#define CLOAKROOM_DIFF_H

/* argv: RUN1.json[:VARIANT] RUN2.json[:VARIANT].
 * Exit: 0 no difference, 1 differences, 2 bad input. */
int cmd_diff(int argc, char **argv);

#endif
