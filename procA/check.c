/* check.c: `cloakroom check PATH...` runs every scenario file under the
 * paths, each through `run --json` in its own launcher process (so each
 * keeps its own daemons and its own clean-up), up to -j at once, and prints
 * one line per scenario and a closing `N passed, N failed` line; and
 * `cloakroom new NAME` writes a starter scenario. Never initialises gRPC. */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FILES 4096

static char **files;
static size_t files_count;

static int collect(const char *path, const struct stat *sb, int flag,
		   struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	size_t l = strlen(path);
	if (flag == FTW_F && files_count < MAX_FILES &&
	    ((l > 5 && strcmp(path + l - 5, ".yaml") == 0) ||
	     (l > 4 && strcmp(path + l - 4, ".yml") == 0))) {
		char *d = strdup(path);
		if (d)
			files[files_count++] = d;
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct job {
	const char *file;
	pid_t pid;
	int fd;
	int efd;        /* its stderr: the first line explains bad input */
	char *out;
	size_t len, cap;
	char *err;
	int status;
	bool done;
} job;

static int job_start(job *j, const char *self)
{
	int p[2], e[2];
	if (pipe(p) != 0)
		return -1;
	if (pipe(e) != 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	j->pid = fork();
	if (j->pid < 0) {
		close(p[0]);
		close(p[1]);
		close(e[0]);
		close(e[1]);
		return -1;
	}
	if (j->pid == 0) {
		dup2(p[1], 1);
		dup2(e[1], 2);
		close(p[0]);
		close(p[1]);
		close(e[0]);
		close(e[1]);
		execl(self, self, "run", j->file, "--json", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	close(e[1]);
	j->fd = p[0];
	j->efd = e[0];
	return 0;
}

/* Read what is there; returns true when the job's output is complete. */
static bool job_read(job *j)
{
	if (j->len + 4096 >= j->cap) {
		size_t nc = j->cap ? j->cap * 2 : 16384;
		char *n = realloc(j->out, nc);
		if (!n)
			return true;
		j->out = n;
		j->cap = nc;
	}
	ssize_t r = read(j->fd, j->out + j->len, j->cap - j->len - 1);
	if (r < 0 && errno == EINTR)
		return false;
	if (r <= 0) {
		close(j->fd);
		j->fd = -1;
		/* Its stderr: a few lines at most; keep the first. */
		char err[512];
		ssize_t e = read(j->efd, err, sizeof(err) - 1);
		close(j->efd);
		j->efd = -1;
		if (e > 0) {
			err[e] = '\0';
			err[strcspn(err, "\n")] = '\0';
			j->err = strdup(err);
		}
		int ws;
		while (waitpid(j->pid, &ws, 0) < 0 && errno == EINTR)
			;
		j->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
		j->done = true;
		return true;
	}
	j->len += (size_t)r;
	j->out[j->len] = '\0';
	return false;
}

/* The first failing expectation or run error of a run object. */
static const char *first_failure(json_t *run)
{
	json_t *err = json_object_get(run, "error");
	if (json_is_string(err))
		return json_string_value(err);
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(run, "expectations"), i, e) {
		if (!json_is_true(json_object_get(e, "pass")))
			return json_string_value(json_object_get(e, "text"));
	}
	return NULL;
}

/* One line for a finished job; fills *pass. */
static void job_report(const job *j, bool as_json, json_t *all, bool *pass)
{
	json_error_t jerr;
	json_t *root = j->out ? json_loads(j->out, 0, &jerr) : NULL;
	*pass = j->status == 0 && root &&
		json_is_true(json_object_get(root, "pass"));
	char why[512] = "";
	if (!root) {
		snprintf(why, sizeof(why), "%s (exit %d)",
			 j->err ? j->err : "no result", j->status);
	} else if (!*pass) {
		json_t *vs = json_object_get(root, "variants");
		const char *w = NULL;
		size_t i;
		json_t *v;
		if (vs) {
			json_array_foreach(vs, i, v) {
				w = first_failure(v);
				if (w) {
					snprintf(why, sizeof(why), "[%s] %s",
						 json_string_value(json_object_get(
							 v, "name")),
						 w);
					break;
				}
			}
		} else {
			w = first_failure(root);
			if (w)
				snprintf(why, sizeof(why), "%s", w);
		}
	}
	if (as_json) {
		json_array_append_new(all, json_pack("{s:s, s:b, s:i, s:s}",
						     "file", j->file, "pass",
						     *pass, "exit", j->status,
						     "failure", why));
	} else {
		printf("%s %s%s%s\n", *pass ? "pass" : "FAIL", j->file,
		       why[0] ? ": " : "", why);
		fflush(stdout);
	}
	json_decref(root);
}

static void check_usage(FILE *out)
{
	fprintf(out, "usage: cloakroom check [-j N] [--json] PATH...\n"
		     "Runs every scenario (*.yaml) under the paths; prints one "
		     "line each\nand 'N passed, N failed'. Exit 0 only when "
		     "all pass.\n");
}

int cmd_check(const char *self, int argc, char **argv)
{
	int jobs = 2;
	bool as_json = false;
	files = calloc(MAX_FILES, sizeof(*files));
	if (!files)
		return 3;
	int rc = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-j") == 0 && i + 1 < argc) {
			jobs = atoi(argv[++i]);
		} else if (strncmp(argv[i], "-j", 2) == 0 && argv[i][2]) {
			jobs = atoi(argv[i] + 2);
		} else if (strcmp(argv[i], "--json") == 0) {
			as_json = true;
		} else if (strcmp(argv[i], "-h") == 0 ||
			   strcmp(argv[i], "--help") == 0) {
			check_usage(stdout);
			goto out;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "cloakroom check: unknown option %s\n",
				argv[i]);
			rc = 2;
			goto out;
		} else {
			struct stat st;
			if (stat(argv[i], &st) != 0) {
				fprintf(stderr, "cloakroom check: %s: %s\n",
					argv[i], strerror(errno));
				rc = 2;
				goto out;
			}
			size_t before = files_count;
			if (S_ISDIR(st.st_mode))
				nftw(argv[i], collect, 16, FTW_PHYS);
			else if (files_count < MAX_FILES)
				files[files_count++] = strdup(argv[i]);
			qsort(files + before, files_count - before,
			      sizeof(*files), by_name);
		}
	}
	if (files_count == 0) {
		check_usage(stderr);
		rc = 2;
		goto out;
	}
	if (jobs < 1)
		jobs = 1;

	job *js = calloc(files_count, sizeof(*js));
	json_t *all = as_json ? json_array() : NULL;
	unsigned passed = 0, failed = 0;
	size_t next = 0, running = 0, reported = 0;
	if (!js) {
		rc = 3;
		goto out;
	}
	for (size_t i = 0; i < files_count; i++) {
		js[i].file = files[i];
		js[i].fd = -1;
		js[i].efd = -1;
	}
	/* Lines come out in file order, whatever order the jobs end in. */
	while (reported < files_count) {
		while (running < (size_t)jobs && next < files_count) {
			if (job_start(&js[next], self) != 0) {
				js[next].done = true;
				js[next].status = 3;
			} else {
				running++;
			}
			next++;
		}
		struct pollfd pfd[64];
		size_t idx[64], np = 0;
		for (size_t i = 0; i < next && np < 64; i++)
			if (!js[i].done && js[i].fd >= 0) {
				pfd[np].fd = js[i].fd;
				pfd[np].events = POLLIN;
				idx[np++] = i;
			}
		if (np > 0 && poll(pfd, np, -1) > 0) {
			for (size_t k = 0; k < np; k++)
				if (pfd[k].revents && job_read(&js[idx[k]]))
					running--;
		}
		while (reported < next && js[reported].done) {
			bool pass;
			job_report(&js[reported], as_json, all, &pass);
			pass ? passed++ : failed++;
			free(js[reported].out);
			free(js[reported].err);
			reported++;
		}
	}
	if (as_json) {
		json_t *root = json_pack("{s:o, s:i, s:i}", "scenarios", all,
					 "passed", passed, "failed", failed);
		json_dumpf(root, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(root);
	} else {
		printf("%u passed, %u failed\n", passed, failed);
	}
	free(js);
	rc = failed ? 1 : 0;
out:
	for (size_t i = 0; i < files_count; i++)
		free(files[i]);
	free(files);
	files = NULL;
	files_count = 0;
	return rc;
}

static const char starter[] =
	"# %s: a starter scenario. A (alice, on ws1) calls B (a service on\n"
	"# ws1), which impersonates her and calls C on srv2 with dynamic\n"
	"# cloaking; C opens an object as whoever it received. Change a line,\n"
	"# run `./cloakroom run %s`, and read the rule ids.\n"
	"# Every key: docs/scenario-format.md. Every rule: docs/rules.md.\n"
	"scenario: %s\n"
	"description: what C sees when B calls it on alice's behalf\n"
	"\n"
	"domain:\n"
	"  name: CORP\n"
	"  accounts:\n"
	"    - name: alice\n"
	"    - name: svc-b\n"
	"    - name: svc-c\n"
	"\n"
	"hosts:\n"
	"  - name: ws1\n"
	"  - name: srv2\n"
	"\n"
	"processes:\n"
	"  - name: A\n"
	"    host: ws1\n"
	"    account: alice\n"
	"    started_by: interactive\n"
	"    blanket: {level: impersonate}   # anonymous|identify|impersonate|delegate\n"
	"    steps:\n"
	"      - {do: call, to: B}\n"
	"  - name: B\n"
	"    host: ws1\n"
	"    account: svc-b\n"
	"    started_by: service             # the SERVICE group holds SeImpersonatePrivilege\n"
	"    blanket: {level: impersonate, cloaking: dynamic}   # none|static|dynamic\n"
	"    steps:\n"
	"      - {do: impersonate}\n"
	"      - {do: call, to: C}\n"
	"      - {do: revert}\n"
	"  - name: C\n"
	"    host: srv2\n"
	"    account: svc-c\n"
	"    started_by: service\n"
	"    steps:\n"
	"      - {do: impersonate}\n"
	"      - {do: open, id: c-opens-report, object: report, access: [read]}\n"
	"\n"
	"objects:\n"
	"  - name: report\n"
	"    host: srv2\n"
	"    owner: svc-c\n"
	"    dacl:\n"
	"      - {allow: alice, access: [read]}\n"
	"\n"
	"variants:\n"
	"  - name: as-written\n"
	"    expect:\n"
	"      - {hop: B->C, presented: CORP\\alice, level: impersonate, status: OK}\n"
	"      - {step: c-opens-report, status: OK}\n"
	"  - name: no-cloaking\n"
	"    set: [B.cloaking=none]\n"
	"    expect:\n"
	"      - {hop: B->C, presented: CORP\\svc-b}\n"
	"      - {step: c-opens-report, status: ACCESS_DENIED}\n";

int cmd_new(int argc, char **argv)
{
	if (argc != 1 || argv[0][0] == '-') {
		fprintf(stderr, "usage: cloakroom new NAME  (writes NAME.yaml)\n");
		return 2;
	}
	char path[PATH_MAX], name[256];
	const char *base = strrchr(argv[0], '/');
	snprintf(name, sizeof(name), "%s", base ? base + 1 : argv[0]);
	size_t nl = strlen(name);
	if (nl > 5 && strcmp(name + nl - 5, ".yaml") == 0)
		name[nl - 5] = '\0';
	if (snprintf(path, sizeof(path), "%s%s", argv[0],
		     strstr(argv[0], ".yaml") ? "" : ".yaml") >=
	    (int)sizeof(path)) {
		fprintf(stderr, "cloakroom new: name too long\n");
		return 2;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		fprintf(stderr, "cloakroom new: %s: %s\n", path,
			strerror(errno));
		return 2;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return 3;
	}
	fprintf(f, starter, path, path, name);
	fclose(f);
	printf("wrote %s; run it with: ./cloakroom run %s\n", path, path);
	return 0;
}
