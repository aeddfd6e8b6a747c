/* seed_context.c: writes the seed corpus of fuzz-context (valid contexts of
 * several shapes, as the codec encodes them) into the directory given.
 * A build tool for tests/fuzz/corpus/context; never part of a daemon. */
#include "codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int write_seed(const char *dir, const char *name, const sc_context *c)
{
	uint8_t *buf;
	size_t len;
	if (codec_context_encode(c, &buf, &len) != 0)
		return 1;
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	int rc = !f || fwrite(buf, 1, len, f) != len;
	if (f && fclose(f) != 0)
		rc = 1;
	free(buf);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	int rc = 0;
	sc_token *t = sc_token_new(SC_TOKEN_IMPERSONATION);
	if (!t || sc_token_set_user(t, "S-1-5-21-1-1001", "CORP\\alice") != 0)
		return 1;
	sc_token_set_level(t, SC_LEVEL_IMPERSONATE);
	sc_token_set_origin_host(t, "ws1");
	sc_context c;
	memset(&c, 0, sizeof(c));
	c.identity = t;
	c.asked = SC_LEVEL_IMPERSONATE;
	c.authn = SC_AUTHN_CONNECT;
	c.package = SC_PACKAGE_KERBEROS;
	strcpy(c.caller, "A");
	strcpy(c.caller_host, "ws1");
	strcpy(c.caller_account, "CORP\\alice");
	strcpy(c.chain, "A");
	rc |= write_seed(argv[1], "alice-impersonate", &c);

	sc_token_add_group(t, "S-1-5-21-1-513", "CORP\\Domain Users", 7);
	sc_token_add_group(t, "S-1-5-6", "NT AUTHORITY\\SERVICE", 7);
	sc_token_add_privilege(t, "SeImpersonatePrivilege", true);
	sc_token_add_privilege(t, "SeChangeNotifyPrivilege", false);
	sc_token_set_delegable(t, true);
	sc_token_set_boundaries(t, 1);
	c.asked = SC_LEVEL_DELEGATE;
	c.authn = SC_AUTHN_PRIVACY;
	c.cloaking = SC_CLOAK_DYNAMIC;
	c.depth = 1;
	strcpy(c.caller, "B");
	strcpy(c.chain, "A>B");
	rc |= write_seed(argv[1], "groups-privileges-delegate", &c);

	c.asked = SC_LEVEL_IDENTIFY;
	c.package = SC_PACKAGE_NTLM;
	c.transport = SC_TRANSPORT_PIPE;
	c.cloaking = SC_CLOAK_STATIC;
	strcpy(c.caller_host, "srv2");
	rc |= write_seed(argv[1], "pipe-identify-ntlm", &c);

	c.asked = SC_LEVEL_ANONYMOUS;
	c.depth = CODEC_MAX_DEPTH;
	rc |= write_seed(argv[1], "anonymous-deep", &c);
	sc_token_free(t);

	t = sc_token_new(SC_TOKEN_PRIMARY);
	if (!t || sc_token_set_user(t, "S-1-5-19", "NT AUTHORITY\\LOCAL SERVICE"))
		return 1;
	sc_token_set_logon(t, SC_LOGON_SERVICE);
	c.identity = t;
	c.depth = 0;
	c.asked = SC_LEVEL_DEFAULT;
	rc |= write_seed(argv[1], "primary-local-service", &c);
	sc_token_free(t);
	return rc;
}
