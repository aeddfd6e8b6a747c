/* fuzz_scenario.c: libFuzzer target for the scenario loader: any bytes as a
 * scenario file, then one of its variants (picked by the input's size), and
 * a runtime for each process of a scenario that loads. Refusals must carry
 * a message; nothing may crash, leak or hit UB. */
#include "sc_exec.h"
#include "sc_load.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void refused(sc_load_errors *errs)
{
	if (errs->count == 0)
		abort(); /* a refusal always says why */
	for (size_t i = 0; i < errs->count; i++) {
		char line[1024];
		sc_load_error_format(&errs->items[i], line, sizeof(line));
		if (!errs->items[i].message || !line[0])
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sc_load_errors errs = {0};
	sc_scenario *s = NULL;
	if (sc_load_buffer("fuzz.yaml", (const char *)data, size, NULL, &s,
			   &errs) != 0) {
		refused(&errs);
		sc_load_errors_free(&errs);
		return 0;
	}
	for (unsigned i = 0; i < s->processes_count; i++) {
		sc_runtime *rt = NULL;
		sc_log log;
		sc_log_init(&log);
		if (sc_runtime_new(s, s->processes[i].name, &rt, &log) == SC_OK)
			sc_runtime_free(rt);
		sc_log_free(&log);
	}
	/* One variant per input (each is a whole load again): the fuzzer
	 * reaches the others by changing the size. */
	if (s->variants_count) {
		unsigned v = (unsigned)(size % s->variants_count);
		sc_load_errors verrs = {0};
		sc_scenario *sv = NULL;
		if (sc_load_buffer("fuzz.yaml", (const char *)data, size,
				   s->variants[v].name, &sv, &verrs) == 0)
			sc_load_free(sv);
		else
			refused(&verrs);
		sc_load_errors_free(&verrs);
	}
	sc_load_free(s);
	sc_load_errors_free(&errs);
	return 0;
}
