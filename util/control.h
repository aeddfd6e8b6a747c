/* control.h: the warm control protocol, one text line a message over a
 * pipe, between the launcher and its warm daemons (procA, procB, procC
 * and the authority):
 *
 *   launcher -> daemon   CASE\tFILE\tVARIANT\tSET...\n   (VARIANT "-" for
 *                        none; no field holds a tab or a newline)
 *   server   -> launcher OK\n  or  ERR why\n            (on its ready fd)
 *   client   -> launcher RESULT N\n and N bytes (its encoded trace), or
 *                        ERR why\n                      (on its result fd)
 *
 * End of input on the control pipe stops the daemon. The one place the
 * format is written and read. */
#ifndef CLOAKROOM_CONTROL_H
#define CLOAKROOM_CONTROL_H

#include <signal.h>
#include <stddef.h>

/* The most SET fields a case carries. */
#define CONTROL_MAX_SETS 64
/* No control line is longer (bytes waiting for a newline). */
#define CONTROL_MAX_LINE (1u << 20)

/* A case line's fields, pointing into the parsed line. */
typedef struct control_case {
	const char *file;
	const char *variant; /* NULL: none */
	const char *sets[CONTROL_MAX_SETS];
	size_t sets_count;
} control_case;

/* Lines read from a pipe; bytes after a newline wait for the next read. */
typedef struct control_reader {
	int fd;
	char *pending;
	size_t len;
} control_reader;

/* The next line from r (malloc'd into *line, without its newline),
 * waiting in slices of 100 ms so that *stop is seen. 1 a line, 0 end of
 * input or stop, -1 error (or a line over CONTROL_MAX_LINE). */
int control_read_line(control_reader *r, char **line,
		      const volatile sig_atomic_t *stop);
void control_reader_free(control_reader *r);

/* The CASE line for file, variant (NULL: none) and sets, malloc'd, or
 * NULL when a field is empty or holds a tab or a newline (or the variant
 * is "-", which stands for none): such a case cannot be sent. */
char *control_case_format(const char *file, const char *variant,
			  char *const *sets, size_t nsets);
/* Split line (changed in place) into c. 0, or -1 when it is not a CASE
 * line or carries more than CONTROL_MAX_SETS sets. */
int control_case_parse(char *line, control_case *c);

/* Write head and len bytes of body to fd. 0, or -1. */
int control_send(int fd, const char *head, const void *body, size_t len);
/* "OK\n" with err NULL or empty, else "ERR why\n" (its first line). */
int control_send_status(int fd, const char *err);

#endif
