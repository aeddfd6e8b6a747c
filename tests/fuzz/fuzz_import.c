/* fuzz_import.c: libFuzzer target for the readers of `cloakroom import`
 * (import/import.c): the first byte picks the reader (even: LDIF through
 * libldap, odd: SharpHound JSON through jansson), the rest is the file.
 * A refusal must say why; a file read is then resolved and written as a
 * domain, which the scenario loader reads back (errors allowed: the
 * command refuses such a domain). Nothing may crash, leak or hit UB. */
#include "import.h"

#include "sc_common.h"
#include "sc_load.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	imp_domain d;
	imp_error err;
	if (imp_domain_init(&d, data[0] & 2 ? "FUZZ" : NULL) != 0)
		return 0;
	const char *text = (const char *)data + 1;
	int rc = data[0] % 2 == 0
			 ? imp_read_ldif(&d, "fuzz.ldif", text, size - 1, &err)
			 : imp_read_json(&d, "fuzz.json", text, size - 1, &err);
	if (rc == SC_ERR_INVAL && !err.msg[0])
		abort();
	if (rc == 0) {
		char *yaml = NULL;
		imp_summary sum;
		rc = imp_build(&d, "fuzz", &yaml, &sum, &err);
		if (rc == SC_ERR_INVAL && !err.msg[0])
			abort();
		if (rc == 0) {
			sc_scenario *s = NULL;
			sc_load_errors errs = {0};
			sc_load_buffer("domain.yaml", yaml, strlen(yaml), NULL,
				       &s, &errs);
			sc_load_errors_free(&errs);
			sc_load_free(s);
		}
		free(yaml);
	}
	imp_domain_free(&d);
	return 0;
}
