/* util.h: the few helpers every program of the tree needs (the monotonic
 * clock, removing a run directory, writing a whole buffer, a checked
 * number parser, snprintf that reports truncation). No model, no wire:
 * the lowest room with libsecctx, which does not use it (it has no I/O). */
#ifndef CLOAKROOM_UTIL_H
#define CLOAKROOM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The monotonic clock, in nanoseconds, milliseconds and seconds. */
uint64_t util_now_ns(void);
int64_t util_now_ms(void);
double util_now_s(void);

/* Remove path and everything under it (symbolic links are removed, not
 * followed). 0, or -1 when something could not be removed. */
int util_rm_tree(const char *path);

/* Create a fresh directory $TMPDIR/PREFIX-XXXXXX (/tmp when TMPDIR is
 * unset) into buf. 0, or -1 with errno. */
int util_mkdtemp(char *buf, size_t len, const char *prefix);

/* A daemon's signals: handler on SIGTERM and SIGINT (it should only set a
 * flag), SIGPIPE ignored (a peer gone is an error return, not a death). */
void util_daemon_signals(void (*handler)(int));

/* Write all len bytes of buf to fd, through EINTR and short writes. 0, or
 * -1 with errno. */
int util_write_all(int fd, const void *buf, size_t len);

/* s as a whole decimal number within [min, max]: nothing before or after
 * it, no overflow. 0 and *out, or -1. */
int util_parse_long(const char *s, long min, long max, long *out);

/* snprintf that says whether everything fitted. */
__attribute__((format(printf, 3, 4))) bool util_fmt(char *buf, size_t len,
						    const char *f, ...);

#endif
