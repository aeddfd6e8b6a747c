/* fuzz_auth.h: what fuzz-auth and its seed program share: fixed keys for
 * the authority and for the presenting process B, the secret key of the
 * process the sealed contexts are for (C), the session key of a ticket
 * (derived from its id, so that an input can be sealed again) and a fixed
 * clock, so that the seeds are valid for the target run after run.
 * Fuzzing only: no daemon ever uses these keys. */
#ifndef CLOAKROOM_FUZZ_AUTH_H
#define CLOAKROOM_FUZZ_AUTH_H

#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_AUTH_NOW_MS 1800000000000ull /* 2027-01-15 */
#define FUZZ_AUTH_SKEW_MS AUTH_DEFAULT_SKEW_MS
#define FUZZ_AUTH_ME "C"
#define FUZZ_AUTH_PRESENTER "B"

/* A fixed Ed25519 key: the 32-byte private key is fill, fill+1, ...
 * (through a key file: auth.h loads keys only from files). 0 or -1. */
static inline int fuzz_auth_key(unsigned fill, auth_key **out)
{
	uint8_t seed[AUTH_KEY_LEN];
	for (unsigned i = 0; i < AUTH_KEY_LEN; i++)
		seed[i] = (uint8_t)(fill + i);
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/fuzz-auth-key-XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	int rc = auth_file_write(path, seed, sizeof(seed));
	if (rc == 0)
		rc = auth_key_load(path, out);
	unlink(path);
	return rc;
}

#define FUZZ_AUTH_AUTHORITY_FILL 0x11u
#define FUZZ_AUTH_PRESENTER_FILL 0x51u
#define FUZZ_AUTH_SECRET_FILL 0x71u

/* C's secret key: fill, fill+1, ... */
static inline void fuzz_auth_secret(uint8_t out[AUTH_SECRET_LEN])
{
	for (unsigned i = 0; i < AUTH_SECRET_LEN; i++)
		out[i] = (uint8_t)(FUZZ_AUTH_SECRET_FILL + i);
}

/* The session key of the ticket whose id this is: HMAC-SHA256 of the id
 * under C's secret (the seeds' tickets, and every input sealed again). 0
 * or -1. */
static inline int fuzz_auth_session_key(const uint8_t id[AUTH_NONCE_LEN],
					uint8_t key[AUTH_SESSION_KEY_LEN])
{
	uint8_t secret[AUTH_SECRET_LEN];
	fuzz_auth_secret(secret);
	return auth_mac(secret, id, AUTH_NONCE_LEN, key);
}

#endif
