/* spawn.c: fork+exec of the daemons, their readiness and result pipes, and
 * stopping them all whatever happens (success, failure, a signal, a dead
 * daemon). Must never initialise gRPC. */
#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

void spawn_install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool spawn_interrupted(void)
{
	return interrupted != 0;
}

int spawn_child_fds(int ready, int cases)
{
	/* Both copied above 4 first: pipe2 may have returned 3 or 4 for
	 * either (another thread of the launcher closed its own), and dup2
	 * onto the same number neither clears close-on-exec nor keeps the
	 * other pipe apart. */
	int r = fcntl(ready, F_DUPFD_CLOEXEC, 10);
	int k = cases >= 0 ? fcntl(cases, F_DUPFD_CLOEXEC, 10) : -1;
	if (r < 0 || (cases >= 0 && k < 0) || dup2(r, 3) < 0 ||
	    (k >= 0 && dup2(k, 4) < 0))
		return -1;
	close(r);
	if (k >= 0)
		close(k);
	return 0;
}

int spawn_start(child *c, char *const argv[], char *err, size_t errlen)
{
	int p[2], q[2] = {-1, -1};
	c->ctl = -1;
	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if (c->warm && pipe2(q, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		if (c->warm) {
			close(q[0]);
			close(q[1]);
		}
		return -1;
	}
	if (pid == 0) {
		/* Child: die with the launcher, even on SIGKILL. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int log = open(c->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (log >= 0) {
			dup2(log, 1);
			dup2(log, 2);
			close(log);
		}
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0) {
			dup2(devnull, 0);
			close(devnull);
		}
		if (spawn_child_fds(p[1], c->warm ? q[0] : -1) != 0)
			_exit(127);
		if (c->netns[0]) {
			char ns[64];
			snprintf(ns, sizeof(ns), "/run/netns/%s", c->netns);
			int fd = open(ns, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
				fprintf(stderr, "cannot enter %s: %s\n", ns,
					strerror(errno));
				_exit(127);
			}
			close(fd);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	if (c->warm) {
		close(q[0]);
		c->ctl = q[1];
	}
	c->pid = pid;
	c->fd = p[0];
	c->reaped = false;
	c->expected_exit = false;
	return 0;
}

int spawn_daemon_start(child *c, const spawn_daemon *d, char *err,
		       size_t errlen)
{
	enum { WRAP_MAX = 32, FIXED_MAX = 16, PEERS_MAX = 16, EXTRA_MAX = 80 };
	char prog[4096 + 40], tmo[32], wrap[512] = "";
	char *argv[WRAP_MAX + FIXED_MAX + 2 * PEERS_MAX + EXTRA_MAX + 1];
	int a = 0;
	int n = snprintf(prog, sizeof(prog), "%s/%s/%s", d->bin_root,
			 c->program, c->program);
	if (n < 0 || (size_t)n >= sizeof(prog)) {
		snprintf(err, errlen, "path too long: %s", d->bin_root);
		return -1;
	}
	if (d->peers_count > PEERS_MAX || d->extra_count > EXTRA_MAX) {
		snprintf(err, errlen, "too many daemon options");
		return -1;
	}
	const char *w = getenv("CLOAKROOM_DAEMON_WRAPPER");
	if (w && *w) {
		snprintf(wrap, sizeof(wrap), "%s", w);
		char *save = NULL;
		for (char *t = strtok_r(wrap, " ", &save); t && a < WRAP_MAX;
		     t = strtok_r(NULL, " ", &save))
			argv[a++] = t;
	}
	argv[a++] = prog;
	argv[a++] = "--scenario";
	argv[a++] = (char *)d->scenario;
	if (strcmp(c->program, "authority") != 0) { /* it serves them all */
		argv[a++] = "--process";
		argv[a++] = c->name;
	}
	if (d->variant) {
		argv[a++] = "--variant";
		argv[a++] = (char *)d->variant;
	}
	if (d->listen) {
		argv[a++] = "--listen";
		argv[a++] = (char *)d->listen;
		argv[a++] = "--ready-fd";
	} else {
		snprintf(tmo, sizeof(tmo), "%d", d->timeout_ms);
		argv[a++] = "--timeout-ms";
		argv[a++] = tmo;
		argv[a++] = "--result-fd";
	}
	argv[a++] = "3";
	for (size_t i = 0; i < d->peers_count; i++) {
		argv[a++] = "--peer";
		argv[a++] = d->peers[i];
	}
	for (size_t i = 0; i < d->extra_count; i++)
		argv[a++] = d->extra[i];
	argv[a] = NULL;
	return spawn_start(c, argv, err, errlen);
}

child *spawn_reap(child *all, size_t n)
{
	child *bad = NULL;
	for (size_t i = 0; i < n; i++) {
		child *c = &all[i];
		if (c->pid <= 0 || c->reaped)
			continue;
		int ws;
		pid_t r = waitpid(c->pid, &ws, WNOHANG);
		if (r == c->pid) {
			c->reaped = true;
			c->wstatus = ws;
			if (!c->expected_exit && !bad)
				bad = c;
		}
	}
	return bad;
}

void spawn_describe(const child *c, char *buf, size_t len)
{
	if (!c->reaped)
		snprintf(buf, len, "still running");
	else if (WIFSIGNALED(c->wstatus))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(c->wstatus));
	else
		snprintf(buf, len, "exited with status %d",
			 WEXITSTATUS(c->wstatus));
}

typedef enum pump_until {
	UNTIL_EOF,
	UNTIL_NEWLINE,
	UNTIL_ANSWER, /* a line, or "RESULT N\n" and N bytes */
} pump_until;

static bool answer_complete(const uint8_t *buf, size_t len)
{
	const uint8_t *nl = memchr(buf, '\n', len);
	if (!nl)
		return false;
	unsigned long want = 0;
	if (strncmp((const char *)buf, "RESULT ", 7) != 0 ||
	    sscanf((const char *)buf + 7, "%lu", &want) != 1)
		return true;
	return len - (size_t)(nl + 1 - buf) >= want;
}

/* Read from c->fd until the answer is complete, EOF, timeout or
 * trouble. */
static int pump(const spawn_wait *w, uint8_t **buf, size_t *len,
		pump_until until, char *err, size_t errlen)
{
	child *c = w->c;
	int timeout_ms = w->timeout_ms;
	size_t cap = 256;
	*len = 0;
	*buf = malloc(cap);
	if (!*buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int64_t deadline = util_now_ms() + timeout_ms;
	for (;;) {
		if (interrupted) {
			snprintf(err, errlen, "interrupted by signal %d",
				 (int)interrupted);
			return -1;
		}
		child *dead = spawn_reap(w->all, w->n);
		if (dead && dead != c) {
			char d[64];
			spawn_describe(dead, d, sizeof(d));
			snprintf(err, errlen, "daemon %s (%s, pid %ld) %s",
				 dead->name, dead->program, (long)dead->pid, d);
			return -1;
		}
		int64_t left = deadline - util_now_ms();
		if (left <= 0) {
			snprintf(err, errlen, "%s (%s, pid %ld) did not answer "
					      "within %d ms",
				 c->name, c->program, (long)c->pid, timeout_ms);
			return -1;
		}
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		int pr = poll(&pfd, 1, left < 50 ? (int)left : 50);
		if (pr < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
		if (pr <= 0)
			continue;
		if (*len + 4096 > cap) {
			cap = (*len + 4096) * 2;
			uint8_t *nb = realloc(*buf, cap);
			if (!nb) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			*buf = nb;
		}
		ssize_t r = read(c->fd, *buf + *len, cap - *len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "read: %s", strerror(errno));
			return -1;
		}
		if (r == 0)
			return 0; /* EOF */
		*len += (size_t)r;
		(*buf)[*len] = 0;
		if (until == UNTIL_NEWLINE && memchr(*buf, '\n', *len))
			return 0;
		if (until == UNTIL_ANSWER && answer_complete(*buf, *len))
			return 0;
	}
}

int spawn_wait_ready(const spawn_wait *w, int *port, char *err, size_t errlen)
{
	child *c = w->c;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = pump(w, &buf, &len, UNTIL_NEWLINE, err, errlen);
	if (rc == 0) {
		if (len == 0 || sscanf((char *)buf, "READY %d", port) != 1) {
			/* EOF without READY: the daemon is gone or failed. */
			int ws;
			if (waitpid(c->pid, &ws, 0) == c->pid) {
				c->reaped = true;
				c->wstatus = ws;
			}
			char d[64];
			spawn_describe(c, d, sizeof(d));
			snprintf(err, errlen, "daemon %s (%s, pid %ld) did not "
					      "start: %s",
				 c->name, c->program, (long)c->pid, d);
			rc = -1;
		}
	}
	free(buf);
	if (!c->warm || rc != 0) { /* a warm daemon answers on it later */
		close(c->fd);
		c->fd = -1;
	}
	return rc;
}

int spawn_tell(child *c, const char *msg, char *err, size_t errlen)
{
	if (!c->warm || c->ctl < 0 || c->fd < 0) {
		snprintf(err, errlen, "%s (%s) takes no cases", c->name,
			 c->program);
		return -1;
	}
	size_t l = strlen(msg), off = 0;
	while (off < l) {
		ssize_t w = write(c->ctl, msg + off, l - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "%s (%s, pid %ld) is gone",
				 c->name, c->program, (long)c->pid);
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

int spawn_answer(const spawn_wait *w, uint8_t **buf, size_t *len, char *err,
		 size_t errlen)
{
	child *c = w->c;
	*buf = NULL;
	*len = 0;
	int rc = pump(w, buf, len, UNTIL_ANSWER, err, errlen);
	if (rc == 0 && !answer_complete(*buf, *len)) {
		snprintf(err, errlen, "%s (%s, pid %ld) closed its pipe",
			 c->name, c->program, (long)c->pid);
		rc = -1;
	}
	if (rc != 0) {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return 0;
}

int spawn_ask(const spawn_wait *w, const char *msg, uint8_t **buf, size_t *len,
	      char *err, size_t errlen)
{
	*buf = NULL;
	*len = 0;
	if (spawn_tell(w->c, msg, err, errlen) != 0)
		return -1;
	return spawn_answer(w, buf, len, err, errlen);
}

int spawn_read_result(const spawn_wait *w, uint8_t **buf, size_t *len,
		      char *err, size_t errlen)
{
	child *c = w->c;
	c->expected_exit = true;
	int rc = pump(w, buf, len, UNTIL_EOF, err, errlen);
	close(c->fd);
	c->fd = -1;
	if (rc != 0) {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	/* The client closes its pipe when it exits: reap it. */
	int64_t deadline = util_now_ms() + spawn_stop_grace_ms();
	while (!c->reaped && util_now_ms() < deadline) {
		int ws;
		pid_t r = waitpid(c->pid, &ws, WNOHANG);
		if (r == c->pid) {
			c->reaped = true;
			c->wstatus = ws;
			break;
		}
		usleep(2000);
	}
	if (!c->reaped || !WIFEXITED(c->wstatus) ||
	    WEXITSTATUS(c->wstatus) != 0) {
		char d[64];
		spawn_describe(c, d, sizeof(d));
		snprintf(err, errlen, "client %s (pid %ld) %s", c->name,
			 (long)c->pid, d);
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return 0;
}

/* Daemons that run slowly on purpose: under a wrapper (valgrind), or
 * built with AddressSanitizer (whose leak check runs at exit). */
static bool slow_daemons(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return true;
#else
	const char *w = getenv("CLOAKROOM_DAEMON_WRAPPER");
	return w && *w;
#endif
}

int spawn_stop_grace_ms(void)
{
	return slow_daemons() ? 60000 : 15000;
}

int spawn_ready_timeout_ms(void)
{
	return slow_daemons() ? 120000 : 10000;
}

void spawn_stop_all(child *all, size_t n, int grace_ms)
{
	spawn_stop_begin(all, n);
	spawn_stop_wait(all, n, grace_ms);
}

void spawn_stop_begin(child *all, size_t n)
{
	for (size_t i = 0; i < n; i++) { /* a warm daemon: no more cases */
		if (all[i].warm && all[i].ctl >= 0) {
			close(all[i].ctl);
			all[i].ctl = -1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (all[i].pid > 0 && !all[i].reaped) {
			all[i].expected_exit = true;
			kill(all[i].pid, SIGTERM);
		}
	}
}

void spawn_stop_wait(child *all, size_t n, int grace_ms)
{
	int64_t deadline = util_now_ms() + grace_ms;
	for (;;) {
		spawn_reap(all, n);
		bool live = false;
		for (size_t i = 0; i < n; i++)
			live = live || (all[i].pid > 0 && !all[i].reaped);
		if (!live)
			break;
		if (util_now_ms() >= deadline) {
			for (size_t i = 0; i < n; i++) {
				if (all[i].pid > 0 && !all[i].reaped) {
					kill(all[i].pid, SIGKILL);
					int ws;
					if (waitpid(all[i].pid, &ws, 0) ==
					    all[i].pid) {
						all[i].reaped = true;
						all[i].wstatus = ws;
					}
				}
			}
			break;
		}
		usleep(5000);
	}
	for (size_t i = 0; i < n; i++) {
		if (all[i].fd >= 0) {
			close(all[i].fd);
			all[i].fd = -1;
		}
	}
}

/* ---- how many daemons fit ------------------------------------------- */

/* One number from a file (cgroup limits); 0 when absent or "max". */
static unsigned long long file_number(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[64] = "";
	if (!f)
		return 0;
	bool got = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	if (!got || line[0] < '0' || line[0] > '9')
		return 0;
	return strtoull(line, NULL, 10);
}

/* MiB this process and its children may still use; 0 when unknown. */
static unsigned long long memory_available_mib(const char **source)
{
	const char *env = getenv("CLOAKROOM_MEMORY_MB");
	if (env && *env) {
		*source = "given by CLOAKROOM_MEMORY_MB";
		return strtoull(env, NULL, 10);
	}
	unsigned long long kib = 0;
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	unsigned long long mib = kib / 1024;
	*source = "available";
	/* Under a cgroup limit (v2, else v1) the room left there counts,
	 * when it is less. A v1 "no limit" is a huge number: harmless. */
	unsigned long long lim = file_number("/sys/fs/cgroup/memory.max");
	unsigned long long used = file_number("/sys/fs/cgroup/memory.current");
	if (!lim) {
		lim = file_number("/sys/fs/cgroup/memory/memory.limit_in_bytes");
		used = file_number("/sys/fs/cgroup/memory/memory.usage_in_bytes");
	}
	if (lim && lim > used && (lim - used) / (1024 * 1024) < mib) {
		mib = (lim - used) / (1024 * 1024);
		*source = "left under the cgroup's limit";
	}
	return mib;
}

unsigned spawn_daemons_fit(unsigned sets, char *why, size_t whylen)
{
	const char *source = "";
	unsigned long long mib = memory_available_mib(&source);
	if (sets < 1)
		sets = 1;
	if (!mib) {
		snprintf(why, whylen, "the memory available is unknown");
		return 0;
	}
	unsigned long long fit = mib / SPAWN_DAEMON_MIB / sets;
	if (fit > 1000000)
		fit = 1000000;
	if (fit < 1)
		fit = 1;
	if (sets > 1)
		snprintf(why, whylen, "%llu MiB %s, %d MiB a daemon, %u sets "
				      "of daemons at once (-j %u)",
			 mib, source, SPAWN_DAEMON_MIB, sets, sets);
	else
		snprintf(why, whylen, "%llu MiB %s, %d MiB a daemon", mib,
			 source, SPAWN_DAEMON_MIB);
	return (unsigned)fit;
}
