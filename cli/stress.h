/* stress.h: `cloakroom stress`: many client identities at once through
 * one middle tier, counting calls whose identity bled into another's.
 * Part of the launcher: it forks daemons, so it never initialises gRPC. */
#ifndef CLOAKROOM_STRESS_H
#define CLOAKROOM_STRESS_H

/* The generated scenario: clients client-0..N-1 (accounts user-0..N-1 on
 * ws1), B (svc-b on ws1, impersonates, cloaking dynamic), C (svc-c on
 * srv2). Returns a malloc'd YAML text, or NULL. */
char *stress_scenario_yaml(unsigned clients);

#endif
