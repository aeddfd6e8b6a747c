/* stress.h: `cloakroom stress`: many client identities at once through
 * one middle tier, counting calls whose identity bled into another's.
 * Part of the launcher: it forks daemons, so it never initialises gRPC. */
#ifndef CLOAKROOM_STRESS_H
#define CLOAKROOM_STRESS_H

/* bin_root: the build directory holding procB/, procC/, procA/.
 * Exit: 0 every call arrived with its own identity, 1 a mismatch or a
 * failed call, 2 bad arguments, 3 the run failed (a daemon died...). */
int cmd_stress(const char *bin_root, int argc, char **argv);

/* The generated scenario: clients client-0..N-1 (accounts user-0..N-1 on
 * ws1), B (svc-b on ws1, impersonates, cloaking dynamic), C (svc-c on
 * srv2). Returns a malloc'd YAML text, or NULL. */
char *stress_scenario_yaml(unsigned clients);

#endif
