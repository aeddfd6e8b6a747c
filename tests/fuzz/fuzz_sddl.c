/* fuzz_sddl.c: libFuzzer target for the security-descriptor readers
 * (libsecctx/sc_sddl.c). The first byte picks the reader: even, the rest
 * is SDDL text; odd, a self-relative binary descriptor. A refusal must say
 * why (and where, inside the text); a descriptor read must write back as
 * SDDL that reads to the same owner and ACEs. Nothing may crash, leak or
 * hit UB. */
#include "sc_sddl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_abort(const sc_sd *a, const sc_sd *b)
{
	if (a->dacl_present != b->dacl_present || a->ace_count != b->ace_count)
		abort();
	if ((a->owner_sid == NULL) != (b->owner_sid == NULL) ||
	    (a->owner_sid && strcmp(a->owner_sid, b->owner_sid) != 0))
		abort();
	for (size_t i = 0; i < a->ace_count; i++)
		if (a->aces[i].type != b->aces[i].type ||
		    a->aces[i].mask != b->aces[i].mask ||
		    strcmp(a->aces[i].sid, b->aces[i].sid) != 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	sc_sd sd;
	sc_sddl_extra ex;
	sc_sddl_error err;
	int rc;
	size_t len = size - 1;
	if (data[0] % 2 == 0) {
		char *text = malloc(len + 1);
		if (!text)
			return 0;
		memcpy(text, data + 1, len);
		text[len] = '\0';
		rc = sc_sddl_parse(text, "S-1-5-21-1-2-3", &sd, &ex, &err);
		if (rc == SC_ERR_INVAL &&
		    (!err.msg[0] || err.col < 1 || err.col > strlen(text) + 1))
			abort();
		free(text);
	} else {
		rc = sc_sd_from_binary(data + 1, len, &sd, &ex, &err);
		if (rc == SC_ERR_INVAL && !err.msg[0])
			abort();
	}
	if (rc == 0) {
		size_t cap = 64 + sd.ace_count * 160;
		char *back = malloc(cap);
		sc_sd again;
		if (back && sc_sddl_format(&sd, back, cap) == 0) {
			if (sc_sddl_parse(back, NULL, &again, NULL, &err) != 0)
				abort();
			same_or_abort(&sd, &again);
			sc_sd_free_contents(&again);
		}
		free(back);
	}
	sc_sd_free_contents(&sd);
	return 0;
}
