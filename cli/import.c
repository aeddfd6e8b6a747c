/* import.c: `cloakroom import FILE... --out DIR`: an Active Directory
 * export (LDIF, SharpHound JSON, or a directory of them) written as
 * DIR/domain.yaml, the domain of a scenario (import.h). Nothing is written
 * unless every file was read and the result loads as a scenario: the file
 * is written beside its place and renamed into it. Launcher code: never
 * initialises gRPC. */
#include "cli.h"
#include "import.h"

#include "sc_common.h"
#include "sc_load.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* The largest export file read (a 10,000-user LDIF is about 20 MB). */
#define IMPORT_MAX_FILE (1024L * 1024 * 1024)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cloakroom import FILE... --out DIR [--domain NAME] "
		"[--name SCENARIO]\n"
		"  Reads an Active Directory export: LDIF as ldapsearch "
		"writes it, or a\n"
		"  SharpHound/BloodHound JSON collection (users.json, "
		"computers.json,\n"
		"  groups.json); a directory stands for its *.ldif, *.ldf and "
		"*.json files.\n"
		"  Writes DIR/domain.yaml, the domain as a scenario "
		"(`cloakroom paths` reads\n"
		"  it), and prints what it read and skipped. A malformed file "
		"is exit 2 with\n"
		"  FILE:LINE: why, and nothing is written.\n");
}

static char *read_all(const char *path, size_t *len, char *why, size_t wlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(why, wlen, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > IMPORT_MAX_FILE) {
		snprintf(why, wlen, S_ISREG(st.st_mode)
					    ? "larger than 1 GiB"
					    : "not a regular file");
		close(fd);
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!buf || got != (size_t)st.st_size) {
		snprintf(why, wlen, "%s", buf ? "cannot read it whole"
					      : "out of memory");
		free(buf);
		return NULL;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

static bool export_name(const char *n)
{
	size_t l = strlen(n);
	return n[0] != '.' &&
	       ((l > 5 && strcmp(n + l - 5, ".ldif") == 0) ||
		(l > 4 && strcmp(n + l - 4, ".ldf") == 0) ||
		(l > 5 && strcmp(n + l - 5, ".json") == 0));
}

/* One file, or each export file of a directory in name order. */
static int read_arg(imp_domain *d, const char *arg)
{
	struct stat st;
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
		struct dirent **ents = NULL;
		int n = scandir(arg, &ents, NULL, alphasort);
		if (n < 0) {
			fprintf(stderr, "cloakroom import: %s: %s\n", arg,
				strerror(errno));
			return 2;
		}
		int rc = 0, used = 0;
		for (int i = 0; i < n; i++) {
			if (rc == 0 && export_name(ents[i]->d_name)) {
				char path[4096];
				snprintf(path, sizeof(path), "%s/%s", arg,
					 ents[i]->d_name);
				rc = read_arg(d, path);
				used++;
			}
			free(ents[i]);
		}
		free(ents);
		if (rc == 0 && used == 0) {
			fprintf(stderr, "cloakroom import: %s: no *.ldif, "
					"*.ldf or *.json file\n", arg);
			rc = 2;
		}
		return rc;
	}
	size_t len = 0;
	char why[200];
	char *data = read_all(arg, &len, why, sizeof(why));
	if (!data) {
		fprintf(stderr, "%s: cannot read: %s\n", arg, why);
		return 2;
	}
	imp_error err;
	int rc = imp_read(d, arg, data, len, &err);
	free(data);
	if (rc == SC_ERR_INVAL) {
		if (err.line)
			fprintf(stderr, "%s:%u: %s\n", arg, err.line, err.msg);
		else
			fprintf(stderr, "%s: %s\n", arg, err.msg);
		return 2;
	}
	if (rc) {
		fprintf(stderr, "cloakroom import: out of memory\n");
		return 3;
	}
	return 0;
}

/* path written whole or not at all: a temporary file beside it, renamed. */
static int write_atomic(const char *dir, const char *path, const char *text)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s/.domain.yaml.XXXXXX", dir);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	bool ok = util_write_all(fd, text, strlen(text)) == 0 &&
		  fchmod(fd, 0644) == 0 && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

typedef struct iopts {
	const char *out, *domain, *name;
	const char **files; /* the arguments that are no option */
	int nfiles;
} iopts;

static int import_one(void *ctx, int c, const char *value)
{
	iopts *o = ctx;
	switch (c) {
	case 'o': o->out = value; return 0;
	case 'd': o->domain = value; return 0;
	case 'n': o->name = value; return 0;
	}
	return -1;
}

static int import_positional(void *ctx, const char *arg)
{
	iopts *o = ctx;
	o->files[o->nfiles++] = arg;
	return 0;
}

/* 0, 1 when help was printed, -1 on bad arguments (said on stderr). o->files
 * is malloc'd. */
static int parse_opts(int argc, char **argv, iopts *o)
{
	static const struct option longs[] = {
		{"out", required_argument, NULL, 'o'},
		{"domain", required_argument, NULL, 'd'},
		{"name", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const cli_parser parser = {
		.cmd = "cloakroom import",
		.longs = longs,
		.usage = usage,
		.one = import_one,
		.positional = import_positional,
	};
	memset(o, 0, sizeof(*o));
	o->files = calloc((size_t)argc + 1, sizeof(*o->files));
	if (!o->files)
		return -1;
	int rc = cli_getopt(&parser, argc, argv, o);
	if (rc == 0 && (o->nfiles == 0 || !o->out)) {
		if (!o->out && o->nfiles > 0)
			fprintf(stderr, "cloakroom import: --out DIR is "
					"required\n");
		usage(stderr);
		rc = -1;
	}
	return rc;
}

/* The domain read from o's files as scenario text (*yaml, malloc'd),
 * which must load as a scenario at path. 0, 2 bad input, 3 failure. */
static int domain_yaml(const iopts *o, imp_domain *d, const char *path,
		       char **yaml, imp_summary *sum)
{
	int rc = 0;
	for (int i = 0; i < o->nfiles && rc == 0; i++)
		rc = read_arg(d, o->files[i]);
	if (rc != 0)
		return rc;
	char low[64], scn[300];
	snprintf(low, sizeof(low), "%s", d->name ? d->name : "");
	for (char *c = low; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	snprintf(scn, sizeof(scn), "%s", o->name ? o->name : "imported-domain");
	if (!o->name && low[0])
		snprintf(scn, sizeof(scn), "imported-%s", low);
	imp_error err;
	int b = imp_build(d, scn, yaml, sum, &err);
	if (b == SC_ERR_INVAL) {
		fprintf(stderr, "cloakroom import: %s\n", err.msg);
		return 2;
	}
	if (b)
		return 3;
	/* What is written must load: a name the format refuses is an error
	 * here, not in `cloakroom paths`. */
	sc_scenario *s = NULL;
	sc_load_errors errs = {0};
	if (sc_load_buffer(path, *yaml, strlen(*yaml), NULL, &s, &errs)) {
		for (size_t i = 0; i < errs.count && i < 10; i++) {
			char line[1024];
			sc_load_error_format(&errs.items[i], line, sizeof(line));
			fprintf(stderr, "cloakroom import: the domain would not "
					"load: %s\n",
				line);
		}
		rc = 2;
	}
	sc_load_errors_free(&errs);
	sc_load_free(s);
	return rc;
}

/* yaml written as path in the directory out, made if need be. 0, or 3. */
static int write_out(const char *out, const char *path, const char *yaml)
{
	struct stat st;
	if (mkdir(out, 0755) != 0 &&
	    !(errno == EEXIST && stat(out, &st) == 0 && S_ISDIR(st.st_mode))) {
		fprintf(stderr, "cloakroom import: cannot create %s: %s\n", out,
			strerror(errno));
		return 3;
	}
	if (write_atomic(out, path, yaml) != 0) {
		fprintf(stderr, "cloakroom import: cannot write %s: %s\n", path,
			strerror(errno));
		return 3;
	}
	return 0;
}

static void print_summary(const imp_domain *d, const imp_summary *sum,
			  const char *path)
{
	printf("import: %zu record%s read from %zu LDIF and %zu JSON "
	       "file%s (%zu ldapsearch trailer%s)\n",
	       d->records, d->records == 1 ? "" : "s", d->ldif_files,
	       d->json_files, d->ldif_files + d->json_files == 1 ? "" : "s",
	       d->trailers, d->trailers == 1 ? "" : "s");
	printf("  accounts written: %zu users, %zu computers "
	       "(%zu groups read)\n",
	       sum->users, sum->computers, sum->groups);
	printf("  delegation: %zu unconstrained, %zu constrained "
	       "(%zu with protocol transition), %zu resource-based "
	       "targets\n",
	       sum->unconstrained, sum->constrained, sum->transition,
	       sum->resource_based);
	printf("  sensitive: %zu (%zu by Protected Users)\n", sum->sensitive,
	       sum->protected_users);
	printf("  left out: %zu disabled, %zu not understood; "
	       "%zu reference%s not resolved\n",
	       sum->disabled, d->skipped.count, d->notes.count,
	       d->notes.count == 1 ? "" : "s");
	printf("wrote %s\n", path);
}

int cmd_import(int argc, char **argv)
{
	iopts o;
	int rc = parse_opts(argc, argv, &o);
	if (rc != 0) {
		free(o.files);
		return rc > 0 ? 0 : 2;
	}
	imp_domain d;
	if (imp_domain_init(&d, o.domain) != 0) {
		free(o.files);
		return 3;
	}
	char *yaml = NULL;
	imp_summary sum;
	char path[4200];
	snprintf(path, sizeof(path), "%s/domain.yaml", o.out);
	rc = domain_yaml(&o, &d, path, &yaml, &sum);
	for (size_t i = 0; rc == 0 && i < d.skipped.count; i++)
		fprintf(stderr, "import: skipped %s\n", d.skipped.items[i]);
	for (size_t i = 0; rc == 0 && i < d.notes.count; i++)
		fprintf(stderr, "import: %s\n", d.notes.items[i]);
	if (rc == 0)
		rc = write_out(o.out, path, yaml);
	if (rc == 0)
		print_summary(&d, &sum, path);
	free(yaml);
	imp_domain_free(&d);
	free(o.files);
	return rc;
}
