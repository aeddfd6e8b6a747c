/* sc_sha1.h: SHA-1 (FIPS 180-4), for the one value the model derives
 * with it: a service's SID (T13, MS-LSAT 3.1.1.1.2). Model only: pure
 * computation, no I/O; not for anything that needs a secure hash. */
#ifndef SC_SHA1_H
#define SC_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SC_SHA1_LEN 20

/* The SHA-1 digest of the len bytes at data, into out. */
void sc_sha1(const void *data, size_t len, uint8_t out[SC_SHA1_LEN]);

#endif
