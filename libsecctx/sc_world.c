/* sc_world.c: a scenario's processes calling one another in memory (see
 * sc_world.h). Model only: no I/O, no gRPC. */
#include "sc_world.h"

#include <stdlib.h>
#include <string.h>

struct sc_world {
	const sc_scenario *scn;
	sc_runtime **rt;
	size_t n;
	sc_world_tap tap;
	void *tap_user;
};

/* The transport: the callee serves the context at once; like a daemon,
 * its trace goes back whatever its own status. */
static sc_status in_memory_call(void *user, void *parent, const char *target,
				const sc_context *ctx, sc_trace *reply,
				sc_log *log)
{
	(void)parent;
	(void)log;
	sc_world *w = user;
	sc_runtime *callee = sc_world_runtime(w, target);
	if (!callee)
		return SC_UNAVAILABLE;
	if (w->tap)
		w->tap(w->tap_user, target, ctx);
	sc_runtime_serve(callee, ctx, NULL, reply);
	return SC_OK;
}

sc_status sc_world_new(const sc_scenario *scn, sc_world **out, sc_log *log)
{
	*out = NULL;
	sc_world *w = calloc(1, sizeof(*w));
	size_t n = scn->processes_count;
	if (!w || !(w->rt = calloc(n ? n : 1, sizeof(*w->rt)))) {
		free(w);
		return SC_INTERNAL;
	}
	w->scn = scn;
	for (size_t i = 0; i < n; i++) {
		sc_status st = sc_runtime_new(scn, scn->processes[i].name,
					      &w->rt[i], log);
		if (st != SC_OK) {
			sc_world_free(w);
			return st;
		}
		sc_runtime_set_transport(w->rt[i], in_memory_call, NULL, w);
		w->n = i + 1;
	}
	*out = w;
	return SC_OK;
}

void sc_world_free(sc_world *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		sc_runtime_free(w->rt[i]);
	free(w->rt);
	free(w);
}

sc_runtime *sc_world_runtime(sc_world *w, const char *name)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(sc_runtime_process(w->rt[i])->name, name) == 0)
			return w->rt[i];
	return NULL;
}

void sc_world_set_tap(sc_world *w, sc_world_tap tap, void *user)
{
	w->tap = tap;
	w->tap_user = user;
}

sc_status sc_world_run(sc_world *w, sc_trace *t)
{
	sc_trace_init(t);
	sc_status first = SC_OK;
	for (size_t i = 0; i < w->n; i++) {
		if (sc_scenario_is_called(w->scn, w->scn->processes[i].name))
			continue;
		sc_status st = sc_runtime_run_client(w->rt[i], t);
		if (first == SC_OK)
			first = st;
	}
	return first;
}
