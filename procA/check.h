/* check.h: running many scenarios (`check`) and writing a starter one
 * (`new`). Launcher commands; never initialise gRPC. */
#ifndef CLOAKROOM_CHECK_H
#define CLOAKROOM_CHECK_H

/* Exit: 0 all pass, 1 one failed, 2 bad arguments, 3 a set of daemons
 * did not stop cleanly, or a signal. */
int cmd_check(int argc, char **argv);
/* Writes NAME.yaml (never overwrites). Exit 0, or 2. */
int cmd_new(int argc, char **argv);

#endif
