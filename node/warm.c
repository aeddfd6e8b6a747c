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

/* "CASE\tFILE\tVARIANT\tSET..." (VARIANT empty for none): load it and
 * make it this daemon's case. Between cases, everything a case leaves
 * behind goes with it: the runtime (its objects, rights and policy
 * changes) and the tickets and evidence of signed contexts. 0, or -1
 * with err (the previous case stays). */
static int take_case(node *n, char *line, char *err, size_t errlen)
{
	control_case c;
	if (control_case_parse(line, &c) != 0 || c.sets_count > MAX_SETS) {
		snprintf(err, errlen, "bad control line");
		return -1;
	}
	sc_scenario *scn = NULL;
	sc_runtime *rt = NULL;
	if (node_load_case(n, c.file, c.variant, c.sets, c.sets_count, false,
			   &scn, &rt, err, errlen) != 0)
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
	pthread_rwlock_wrlock(&n->case_lock);
	sc_runtime *old_rt = n->rt;
	sc_scenario *old_scn = n->scn;
	n->rt = rt;
	n->scn = scn;
	if (n->sec)
		secure_reset(n->sec);
	pthread_rwlock_unlock(&n->case_lock);
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
