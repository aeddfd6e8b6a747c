/* warm.c: warm daemons (--control-fd): case after case on one daemon,
 * each loaded whole, none seeing what the last one left. The launcher
 * writes "CASE\tFILE\tVARIANT\tSET..." lines on the control pipe; a
 * server answers "OK" or "ERROR why", a client runs the case and answers
 * "RESULT" and its trace. */
#include "node_int.h"

#include "codec.h"
#include "load.h"
#include "rpc.h"
#include "sc_load.h"
#include "secure.h"
#include "control.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Whether a set changes only the facts of the calls its process makes:
 * PROC.level, PROC.authn, PROC.package, PROC.transport (what a ticket
 * request states, and the ticket cache's key) or PROC.cloaking (which
 * identity is presented: the cache's key too). Every other set may
 * change what the authority decides on the same request (accounts,
 * groups, hosts, delegation, rights, settings...). */
static bool fact_only(const char *set)
{
	static const char *const keys[] = {"level", "authn", "package",
					   "transport", "cloaking"};
	const char *dot = strchr(set, '.'), *eq = strchr(set, '=');
	if (!dot || !eq || dot > eq)
		return false;
	const char *dot2 = strchr(dot + 1, '.');
	if (dot2 && dot2 < eq)
		return false;
	size_t kl = (size_t)(eq - dot - 1);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i]) == kl && strncmp(dot + 1, keys[i], kl) == 0)
			return true;
	return false;
}

/* The case as the authority reads it: the file, the variant and every
 * set but those that change only a call's facts, in order. Two cases
 * with the same key get the same ticket for the same request (the
 * ticket cache is keyed by the call's facts and the evidence besides),
 * so a ticket asked in one serves in the other. A malloc'd string, or
 * NULL. */
static char *case_key(const control_case *c)
{
	size_t len = strlen(c->file) + 2 +
		     (c->variant ? strlen(c->variant) : 0) + 1;
	for (size_t i = 0; i < c->sets_count; i++)
		len += strlen(c->sets[i]) + 1;
	char *k = malloc(len);
	if (!k)
		return NULL;
	size_t o = (size_t)snprintf(k, len, "%s\t%s", c->file,
				    c->variant ? c->variant : "");
	for (size_t i = 0; i < c->sets_count; i++)
		if (!fact_only(c->sets[i]))
			o += (size_t)snprintf(k + o, len - o, "\t%s",
					      c->sets[i]);
	return k;
}

/* The case key's 64-bit FNV-1a: the ticket cache's case (0 is the
 * daemon's own case, from its command line). */
static uint64_t case_id(const char *key)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h | 1u;
}

/* "CASE\tFILE\tVARIANT\tSET..." (VARIANT empty for none): load it and
 * make it this daemon's case. Between cases, everything a case leaves
 * behind goes with it: the runtime (its objects, rights and policy
 * changes) and the evidence of signed contexts; the tickets held stay,
 * each for the case (case_key) it was asked in. 0, or -1 with err (the
 * previous case stays). */
static int take_case(node *n, char *line, char *err, size_t errlen)
{
	control_case c;
	if (control_case_parse(line, &c) != 0 || c.sets_count > MAX_SETS) {
		snprintf(err, errlen, "bad control line");
		return -1;
	}
	sc_scenario *scn = NULL;
	sc_runtime *rt = NULL;
	node_case nc = {c.file, c.variant, c.sets, c.sets_count, false};
	if (node_load_case(n, &nc, &scn, &rt, err, errlen) != 0)
		return -1;
	if (sc_runtime_process(rt)->misbehave !=
	    (n->rt ? sc_runtime_process(n->rt)->misbehave
		   : SC_MISBEHAVE_NONE)) {
		snprintf(err, errlen, "this case's misbehaviour needs its own "
				      "daemons");
		sc_runtime_free(rt);
		sc_load_free(scn);
		return -1;
	}
	char *key = case_key(&c);
	if (!key) {
		snprintf(err, errlen, "out of memory");
		sc_runtime_free(rt);
		sc_load_free(scn);
		return -1;
	}
	pthread_rwlock_wrlock(&n->case_lock);
	sc_runtime *old_rt = n->rt;
	sc_scenario *old_scn = n->scn;
	n->rt = rt;
	n->scn = scn;
	if (n->sec)
		secure_reset(n->sec, case_id(key));
	pthread_rwlock_unlock(&n->case_lock);
	free(n->case_key);
	n->case_key = key;
	sc_runtime_free(old_rt);
	sc_load_free(old_scn);
	return 0;
}

/* A warm server's control thread: each case is loaded, swapped in, and
 * answered "OK" (or "ERR why") on the ready fd. End of input stops the
 * daemon. */
void *node_control_serve(void *arg)
{
	node *n = arg;
	control_reader r = {.fd = n->control_fd};
	char *line = NULL;
	while (control_read_line(&r, &line, &node_stop_flag) == 1) {
		char err[1024] = "";
		take_case(n, line, err, sizeof(err));
		free(line);
		if (control_send_status(n->ready_fd, err) != 0)
			break;
	}
	control_reader_free(&r);
	node_stop_flag = 1;
	return NULL;
}

/* The client's trace of one run of its steps. */
static void client_trace(node *n, sc_trace *t)
{
	sc_trace_init(t);
	sc_runtime_run_client(n->rt, t);
}

/* A warm client: each case is loaded and run, and its trace answered as
 * "RESULT N" and N bytes (or "ERR why") on the result fd. */
int node_run_client_warm(node *n)
{
	control_reader r = {.fd = n->control_fd};
	char *line = NULL;
	int got, rc = 0;
	while ((got = control_read_line(&r, &line, &node_stop_flag)) == 1) {
		char err[1024], head[1100];
		uint8_t *buf = NULL;
		size_t len = 0;
		if (take_case(n, line, err, sizeof(err)) == 0) {
			sc_trace t;
			client_trace(n, &t);
			if (codec_trace_encode(&t, &buf, &len) != 0) {
				snprintf(head, sizeof(head), "ERR out of memory\n");
				len = 0;
			} else {
				snprintf(head, sizeof(head), "RESULT %zu\n",
					 len);
			}
			sc_trace_free(&t);
		} else {
			snprintf(head, sizeof(head), "ERR %.*s\n",
				 (int)strcspn(err, "\n"), err);
		}
		free(line);
		int w = control_send(n->result_fd, head, buf, len);
		free(buf);
		if (w != 0) {
			rc = 4;
			break;
		}
	}
	control_reader_free(&r);
	return got < 0 ? 4 : rc;
}
