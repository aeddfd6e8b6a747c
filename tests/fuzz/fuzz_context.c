/* fuzz_context.c: libFuzzer target for what a daemon does with the bytes of
 * x-cloakroom-context-bin: decode and check them (codec), then let the model
 * verify and serve the call (B calling C in-process), then round-trip the
 * trace through the reply codec. It must never crash, leak or hit UB. */
#include "codec.h"
#include "sc_load.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char scenario_yaml[] =
	"scenario: fuzz-context\n"
	"domain:\n"
	"  name: CORP\n"
	"  accounts:\n"
	"    - name: alice\n"
	"    - name: svc-b\n"
	"    - name: svc-c\n"
	"hosts:\n"
	"  - name: ws1\n"
	"  - name: srv2\n"
	"processes:\n"
	"  - name: A\n"
	"    host: ws1\n"
	"    account: alice\n"
	"    started_by: interactive\n"
	"    blanket: {level: impersonate}\n"
	"    steps:\n"
	"      - do: call\n"
	"        to: B\n"
	"  - name: B\n"
	"    host: ws1\n"
	"    account: svc-b\n"
	"    started_by: service\n"
	"    blanket: {level: delegate, cloaking: dynamic}\n"
	"    steps:\n"
	"      - do: impersonate\n"
	"      - do: query_level\n"
	"      - do: call\n"
	"        to: C\n"
	"      - do: duplicate\n"
	"        level: impersonate\n"
	"        primary: true\n"
	"      - do: revert\n"
	"  - name: C\n"
	"    host: srv2\n"
	"    account: svc-c\n"
	"    started_by: service\n"
	"    steps:\n"
	"      - do: impersonate\n"
	"      - do: open\n"
	"        object: report\n"
	"        access: [read]\n"
	"      - do: access_check\n"
	"        object: report\n"
	"        access: [read, write]\n"
	"      - do: open_thread_token\n"
	"      - do: revert\n"
	"objects:\n"
	"  - name: report\n"
	"    host: srv2\n"
	"    owner: svc-c\n"
	"    dacl:\n"
	"      - allow: alice\n"
	"        access: [read]\n";

static sc_scenario *scn;
static sc_runtime *rt_b, *rt_c;

/* B's outgoing call: C serves it in-process, the context going through the
 * codec as it would over the wire. */
static sc_status call_c(void *user, void *parent, const char *target,
			const sc_context *ctx, sc_trace *reply, sc_log *log)
{
	(void)user;
	(void)parent;
	(void)log;
	if (strcmp(target, "C") != 0)
		return SC_UNAVAILABLE;
	uint8_t *buf;
	size_t len;
	if (codec_context_encode(ctx, &buf, &len) != 0)
		return SC_INTERNAL;
	sc_context in;
	sc_token *id;
	char err[256];
	int rc = codec_context_decode(buf, len, &in, &id, err, sizeof(err));
	free(buf);
	if (rc != 0)
		return SC_BAD_CONTEXT;
	sc_runtime_serve(rt_c, &in, NULL, reply);
	sc_token_free(id);
	return SC_OK;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sc_load_errors errs = {0};
	sc_log log;
	sc_log_init(&log);
	if (sc_load_buffer("fuzz-context", scenario_yaml,
			   sizeof(scenario_yaml) - 1, NULL, &scn, &errs) != 0 ||
	    sc_runtime_new(scn, "B", &rt_b, &log) != SC_OK ||
	    sc_runtime_new(scn, "C", &rt_c, &log) != SC_OK) {
		fprintf(stderr, "fuzz-context: the built-in scenario fails\n");
		abort();
	}
	sc_log_free(&log);
	sc_load_errors_free(&errs);
	sc_runtime_set_transport(rt_b, call_c, NULL, NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sc_context ctx;
	sc_token *id;
	char err[256];
	if (codec_context_decode(data, size, &ctx, &id, err, sizeof(err)) != 0) {
		/* Refused: a reason is always given. */
		if (!err[0])
			abort();
		return 0;
	}
	/* Accepted: it must encode again, and decode to the same context. */
	uint8_t *buf;
	size_t len;
	if (codec_context_encode(&ctx, &buf, &len) != 0)
		abort();
	sc_context again;
	sc_token *id2;
	if (codec_context_decode(buf, len, &again, &id2, err, sizeof(err)) != 0)
		abort();
	free(buf);
	if (again.depth != ctx.depth || again.asked != ctx.asked ||
	    strcmp(again.caller, ctx.caller) != 0 ||
	    strcmp(sc_token_user_sid(id2), sc_token_user_sid(id)) != 0 ||
	    sc_token_group_count(id2) != sc_token_group_count(id))
		abort();
	sc_token_free(id2);

	/* The model verifies the caller and serves the call: B, calling C. */
	sc_trace t;
	sc_trace_init(&t);
	sc_runtime_serve(rt_b, &ctx, NULL, &t);
	if (codec_trace_encode(&t, &buf, &len) == 0) {
		sc_trace back;
		sc_trace_init(&back);
		if (codec_trace_decode(buf, len, &back, err, sizeof(err)) != 0)
			abort(); /* a trace the model built must decode */
		sc_trace_free(&back);
		free(buf);
	}
	sc_trace_free(&t);
	sc_token_free(id);
	return 0;
}
