/* spawn.h: starting and stopping the daemons of a run. The launcher never
 * initialises gRPC, so fork+exec here is safe. Every child gets a pipe on
 * fd 3 (readiness or result) and dies with the launcher (PDEATHSIG). */
#ifndef CLOAKROOM_SPAWN_H
#define CLOAKROOM_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct child {
	char name[64];      /* the scenario process */
	char program[16];   /* procA, procB, procC, authority */
	pid_t pid;
	int fd;             /* our end of the fd-3 pipe, -1 when closed */
	bool reaped;
	int wstatus;
	bool expected_exit; /* a client that finished, a server we stopped */
	char log_path[512];
	char netns[32];     /* --hosts netns: the namespace it runs in */
	bool warm;          /* set before the start: a warm daemon, which
	                       reads cases on fd 4 and answers on fd 3 */
	int ctl;            /* warm: our end of its fd-4 pipe, else -1 */
} child;

/* SIGINT/SIGTERM/SIGHUP set a flag that every wait below checks. */
void spawn_install_signals(void);
bool spawn_interrupted(void);

/* In a forked child before exec: make ready fd 3 and cases (a warm
 * daemon's, else -1) fd 4, both kept across exec, whatever numbers they
 * have now. 0, or -1. */
int spawn_child_fds(int ready, int cases);

/* Start argv[0] with fd 3 = pipe write end, stdout+stderr appended to
 * c->log_path. Returns 0, or -1 with err. */
int spawn_start(child *c, char *const argv[], char *err, size_t errlen);

/* A daemon's command line, as the launcher builds it; the benchmark
 * starts its daemons through this too, so both run the same thing. */
typedef struct spawn_daemon {
	const char *bin_root;    /* <build>: programs are <build>/procX/procX */
	const char *scenario;
	const char *variant;     /* or NULL */
	const char *listen;      /* a server: "ADDR:0", READY on fd 3; NULL:
	                            a client, its result on fd 3 */
	int timeout_ms;          /* a client's --timeout-ms */
	char *const *peers;      /* "NAME=ADDR" of every server started */
	size_t peers_count;
	char *const *extra;      /* options appended as they are (--bare...) */
	size_t extra_count;
} spawn_daemon;

/* Start c->program for process c->name (the authority: for the whole
 * run, no --process) with d's command line, behind
 * CLOAKROOM_DAEMON_WRAPPER (e.g. "valgrind -q") when it is set. c->name,
 * c->program and c->log_path must be set. Returns 0, or -1 with err. */
int spawn_daemon_start(child *c, const spawn_daemon *d, char *err,
		       size_t errlen);

/* Waiting on one child c: watching all n children (one that dies ends
 * the wait), for at most timeout_ms. */
typedef struct spawn_wait {
	child *c;
	child *all;
	size_t n;
	int timeout_ms;
} spawn_wait;

/* Wait for "READY <port>" from w->c. Returns 0 with *port, or -1 with err
 * (timeout, c died, another child died, interrupted). */
int spawn_wait_ready(const spawn_wait *w, int *port, char *err,
		     size_t errlen);

/* A warm daemon (c->warm): send msg (one line) on its control pipe, then
 * read its answer on fd 3: a line ("OK", "ERR why"), or "RESULT N" and N
 * bytes. Returns 0 with a malloc'd, NUL-terminated answer, or -1 with err
 * (timeout, c or another child died, interrupted, c closed its pipe). */
int spawn_ask(const spawn_wait *w, const char *msg, uint8_t **buf,
	      size_t *len, char *err, size_t errlen);
/* spawn_ask in two halves, to ask several daemons at once. */
int spawn_tell(child *c, const char *msg, char *err, size_t errlen);
int spawn_answer(const spawn_wait *w, uint8_t **buf, size_t *len, char *err,
		 size_t errlen);

/* Read c's result (everything it writes on fd 3 until it closes) and wait
 * for it to exit. Returns 0 with a malloc'd buffer, or -1 with err. */
int spawn_read_result(const spawn_wait *w, uint8_t **buf, size_t *len,
		      char *err, size_t errlen);

/* Reap whatever exited; returns the first child that exited while it was
 * not expected to, or NULL. */
child *spawn_reap(child *all, size_t n);

/* The most a daemon has to stop after SIGTERM before SIGKILL, in ms: 10 s,
 * or 60 s when the daemons run under CLOAKROOM_DAEMON_WRAPPER (valgrind)
 * or are built with AddressSanitizer (its leak check runs at exit): slow
 * to start and stop, all the more on a busy machine. A daemon that stops
 * cleanly is never kept waiting for it. */
int spawn_stop_grace_ms(void);
/* How long a daemon has to say READY, in ms: 10 s, or 2 minutes for the
 * slow daemons above. */
int spawn_ready_timeout_ms(void);
/* SIGTERM every live child, wait up to grace_ms, then SIGKILL; reaps all.
 * spawn_stop_begin is its first half (a warm daemon's control pipe closed,
 * SIGTERM sent, the exit marked expected), spawn_stop_wait its second
 * (wait, SIGKILL at grace_ms, reap, close): a caller may do other work
 * between them while the children stop. */
void spawn_stop_all(child *all, size_t n, int grace_ms);
void spawn_stop_begin(child *all, size_t n);
void spawn_stop_wait(child *all, size_t n, int grace_ms);

/* What one daemon is budgeted in memory, in MiB: each measured at 11 to
 * 20 MB resident (docs/robustness.md), with room for mutual TLS. */
#define SPAWN_DAEMON_MIB 16

/* The most daemons that fit in the memory available when sets sets of
 * them run at once (check -j, matrix -j): the memory available
 * (/proc/meminfo's MemAvailable, or the room left under this process's
 * cgroup limit when that is lower; CLOAKROOM_MEMORY_MB, when set, in its
 * place), divided by SPAWN_DAEMON_MIB and by sets. 0 when the memory
 * cannot be read (then no limit). why says how the figure was reached. */
unsigned spawn_daemons_fit(unsigned sets, char *why, size_t whylen);

/* "exited with status 3" / "killed by signal 9". */
void spawn_describe(const child *c, char *buf, size_t len);

#endif
