/* check.h: running many scenarios (`check`) and writing a starter one
 * (`new`). Launcher commands; never initialise gRPC. */
#ifndef CLOAKROOM_CHECK_H
#define CLOAKROOM_CHECK_H

/* self: the launcher's own path, re-executed as `self run FILE --json`.
 * Exit: 0 all pass, 1 one failed, 2 bad arguments. */
int cmd_check(const char *self, int argc, char **argv);
/* Writes NAME.yaml (never overwrites). Exit 0, or 2. */
int cmd_new(int argc, char **argv);

#endif
