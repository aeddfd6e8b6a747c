/* control.c: see control.h. */
#include "control.h"

#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int control_read_line(control_reader *r, char **line,
		      const volatile sig_atomic_t *stop)
{
	*line = NULL;
	for (;;) {
		char *nl = r->len ? memchr(r->pending, '\n', r->len) : NULL;
		if (nl) {
			size_t l = (size_t)(nl - r->pending);
			*line = strndup(r->pending, l);
			memmove(r->pending, nl + 1, r->len - l - 1);
			r->len -= l + 1;
			return *line ? 1 : -1;
		}
		if (stop && *stop)
			return 0;
		struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
		int pr = poll(&pfd, 1, 100);
		if (pr < 0 && errno != EINTR)
			return -1;
		if (pr <= 0)
			continue;
		char buf[4096];
		ssize_t n = read(r->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? 0 : -1;
		if (r->len + (size_t)n > CONTROL_MAX_LINE)
			return -1;
		char *p = realloc(r->pending, r->len + (size_t)n + 1);
		if (!p)
			return -1;
		memcpy(p + r->len, buf, (size_t)n);
		r->pending = p;
		r->len += (size_t)n;
	}
}

void control_reader_free(control_reader *r)
{
	free(r->pending);
	r->pending = NULL;
	r->len = 0;
}

static int field_ok(const char *s)
{
	return s && *s && !strpbrk(s, "\t\n");
}

char *control_case_format(const char *file, const char *variant,
			  char *const *sets, size_t nsets)
{
	if (!field_ok(file) || nsets > CONTROL_MAX_SETS ||
	    (variant && (!field_ok(variant) || strcmp(variant, "-") == 0)))
		return NULL;
	for (size_t i = 0; i < nsets; i++)
		if (!field_ok(sets[i]))
			return NULL;
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);
	if (!f)
		return NULL;
	fprintf(f, "CASE\t%s\t%s", file, variant ? variant : "-");
	for (size_t i = 0; i < nsets; i++)
		fprintf(f, "\t%s", sets[i]);
	fputc('\n', f);
	if (fclose(f) != 0) {
		free(line);
		return NULL;
	}
	return line;
}

int control_case_parse(char *line, control_case *c)
{
	char *fields[3 + CONTROL_MAX_SETS + 1];
	size_t nf = 0;
	char *save = NULL;
	for (char *t = strtok_r(line, "\t", &save);
	     t && nf < sizeof(fields) / sizeof(fields[0]);
	     t = strtok_r(NULL, "\t", &save))
		fields[nf++] = t;
	if (nf < 3 || strcmp(fields[0], "CASE") != 0 ||
	    nf > 3 + CONTROL_MAX_SETS)
		return -1;
	c->file = fields[1];
	c->variant = strcmp(fields[2], "-") == 0 ? NULL : fields[2];
	c->sets_count = nf - 3;
	for (size_t i = 0; i < c->sets_count; i++)
		c->sets[i] = fields[3 + i];
	return 0;
}

int control_send(int fd, const char *head, const void *body, size_t len)
{
	return util_write_all(fd, head, strlen(head)) == 0 &&
			       (!len || util_write_all(fd, body, len) == 0)
		       ? 0
		       : -1;
}

int control_send_status(int fd, const char *err)
{
	char head[1100];
	if (err && *err)
		snprintf(head, sizeof(head), "ERR %.*s\n",
			 (int)strcspn(err, "\n"), err);
	else
		snprintf(head, sizeof(head), "OK\n");
	return control_send(fd, head, NULL, 0);
}
