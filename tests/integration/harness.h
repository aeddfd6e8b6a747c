/* harness.h: running the real launcher and daemons from Criterion tests:
 * a command with its output captured, and the processes a launcher
 * started. Test support only. */
#ifndef CLOAKROOM_HARNESS_H
#define CLOAKROOM_HARNESS_H

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct cmd_result {
	char *out;
	char *err;
	int status; /* exit code, or 128+signal */
} cmd_result;

static inline const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

static inline void slurp_two(int fo, int fe, char **out, char **err)
{
	size_t lo = 0, le = 0, co = 4096, ce = 4096;
	*out = calloc(1, co);
	*err = calloc(1, ce);
	struct pollfd p[2] = {{.fd = fo, .events = POLLIN},
			      {.fd = fe, .events = POLLIN}};
	int open_fds = 2;
	while (open_fds > 0) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			char **b = i ? err : out;
			size_t *l = i ? &le : &lo, *c = i ? &ce : &co;
			if (*l + 4096 >= *c) {
				*c *= 2;
				*b = realloc(*b, *c);
			}
			ssize_t r = read(p[i].fd, *b + *l, *c - *l - 1);
			if (r <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_fds--;
			} else {
				*l += (size_t)r;
				(*b)[*l] = 0;
			}
		}
	}
}

/* Start argv with stdout and stderr on pipes; returns the pid. With
 * group, in a process group of its own (whose id is the pid), as a shell
 * runs a foreground job: Ctrl-C is a SIGINT to that whole group. */
static inline pid_t cmd_start_as(char *const argv[], int *fo, int *fe,
				 bool group)
{
	int po[2], pe[2];
	*fo = *fe = -1;
	if (pipe(po) != 0 || pipe(pe) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		if (group)
			setpgid(0, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		close(po[1]);
		close(pe[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	*fo = po[0];
	*fe = pe[0];
	return pid;
}

static inline pid_t cmd_start(char *const argv[], int *fo, int *fe)
{
	return cmd_start_as(argv, fo, fe, false);
}

static inline int cmd_wait(pid_t pid)
{
	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

static inline cmd_result cmd_run(char *const argv[])
{
	cmd_result r = {0};
	int fo = -1, fe = -1;
	pid_t pid = cmd_start(argv, &fo, &fe);
	slurp_two(fo, fe, &r.out, &r.err);
	r.status = cmd_wait(pid);
	return r;
}

static inline void cmd_free(cmd_result *r)
{
	free(r->out);
	free(r->err);
}

/* The children of pid (from /proc), up to max. */
static inline int children_of(pid_t pid, pid_t *kids, int max)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
		 (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	int n = 0;
	long k;
	while (n < max && fscanf(f, "%ld", &k) == 1)
		kids[n++] = (pid_t)k;
	fclose(f);
	return n;
}

/* The program name a pid runs ("procB"), from /proc/PID/comm. */
static inline void comm_of(pid_t pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	buf[0] = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

static inline bool pid_alive(pid_t pid)
{
	/* A zombie is not alive: read its state. */
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool alive = false;
	if (fgets(line, sizeof(line), f)) {
		char *p = strrchr(line, ')');
		alive = p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
	}
	fclose(f);
	return alive;
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Whether /proc/PID/FILE (NUL-separated strings) contains text. */
static inline bool proc_file_has(const char *pid, const char *file,
				 const char *text)
{
	char path[300], buf[65536];
	snprintf(path, sizeof(path), "/proc/%s/%s", pid, file);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	for (size_t i = 0; i < n; i++)
		if (buf[i] == 0)
			buf[i] = '\n';
	buf[n] = 0;
	return strstr(buf, text) != NULL;
}

/* Live processes (not zombies, not this one) whose command line or
 * environment mentions text: a run started with TMPDIR=text, or given
 * files under it, leaves none once it is over. */
static inline int procs_mentioning(const char *text)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid <= 0 || pid == getpid() || !pid_alive(pid))
			continue;
		if (proc_file_has(e->d_name, "cmdline", text) ||
		    proc_file_has(e->d_name, "environ", text))
			n++;
	}
	closedir(d);
	return n;
}

#endif
