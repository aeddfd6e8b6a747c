/* authority: the run's domain authority, one process per run (or, warm,
 * per set of daemons: --control-fd gives it case after case of one cast).
 * At start it makes its Ed25519 key and every process's key, and issues
 * each process its logon credential (files in --dir); then it serves
 * ticket requests,
 * deciding as a KDC with the model's own rules (D1 via sc_hop_negotiate,
 * L4/L5/C6/D4/D5 via sc_cloak_choose): it never re-implements them. Its
 * private key never leaves this process. */
#include "auth.h"
#include "authority_ticket.h"
#include "authority_tls.h"
#include "control.h"
#include "rpc.h"
#include "sc_exec.h"
#include "sc_load.h"
#include "secure.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct authority {
	const char *scenario_path;
	const char *variant;
	const char *dir;
	const char *listen;
	int ready_fd;
	int control_fd;       /* --control-fd: warm, cases come here */
	pthread_rwlock_t case_lock; /* requests read st, a case swaps it */
	bool insecure;        /* --insecure: no TLS on its own port */
	sc_load_cache *cache; /* warm: the files loaded, for copies */
	const char *sets[64]; /* --set KEY=VALUE, as the daemons get them */
	size_t sets_count;
	sc_scenario *scn;
	authority_state st;
} authority;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* A numeric option, checked whole and within its range. 0, or -1 said
 * on stderr. */
static int number_option(authority *a, const char *k, const char *v)
{
	bool skew = strcmp(k, "--clock-skew-ms") == 0;
	bool hours = strcmp(k, "--credential-hours") == 0;
	long min = hours ? 1 : 0;
	long max = skew ? (long)AUTH_MAX_SKEW_MS : hours ? 24 * 365 : INT_MAX;
	long x;
	if (util_parse_long(v, min, max, &x) != 0) {
		fprintf(stderr, "authority: bad %s '%s' (%ld to %ld)\n", k, v,
			min, max);
		return -1;
	}
	if (skew)
		a->st.skew_ms = (uint64_t)x;
	else if (hours)
		a->st.credential_lifetime_ms = (uint64_t)x * 3600u * 1000u;
	else if (strcmp(k, "--ready-fd") == 0)
		a->ready_fd = (int)x;
	else
		a->control_fd = (int)x;
	return 0;
}

static int parse_args(authority *a, int argc, char **argv)
{
	a->ready_fd = -1;
	a->control_fd = -1;
	a->listen = "127.0.0.1:0";
	a->st.ticket_lifetime_ms = AUTH_TICKET_LIFETIME_MS;
	a->st.skew_ms = AUTH_DEFAULT_SKEW_MS;
	for (int i = 1; i < argc; i++) {
		const char *k = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(k, "--insecure") == 0) {
			a->insecure = true;
			continue;
		}
		if (!v) {
			fprintf(stderr, "authority: %s needs a value\n", k);
			return -1;
		}
		i++;
		if (strcmp(k, "--scenario") == 0)
			a->scenario_path = v;
		else if (strcmp(k, "--variant") == 0)
			a->variant = v;
		else if (strcmp(k, "--dir") == 0)
			a->dir = v;
		else if (strcmp(k, "--listen") == 0)
			a->listen = v;
		else if (strcmp(k, "--ready-fd") == 0 ||
			 strcmp(k, "--control-fd") == 0 ||
			 strcmp(k, "--clock-skew-ms") == 0 ||
			 strcmp(k, "--credential-hours") == 0) {
			if (number_option(a, k, v) != 0)
				return -1;
		}
		else if (strcmp(k, "--set") == 0 && a->sets_count < 64)
			a->sets[a->sets_count++] = v;
		else {
			fprintf(stderr, "authority: unknown option %s\n", k);
			return -1;
		}
	}
	if (!a->scenario_path || !a->dir) {
		fprintf(stderr, "usage: authority --scenario FILE --dir DIR "
				"[--variant NAME] [--listen ADDR] "
				"[--ready-fd N] [--clock-skew-ms N] "
				"[--set KEY=VALUE]... [--insecure] "
				"[--credential-hours N] [--control-fd N]\n");
		return -1;
	}
	return 0;
}

static void handle(void *user, const rpc_incoming *in, rpc_reply *out)
{
	authority *a = user;
	out->status = RPC_STATUS_OK;
	pthread_rwlock_rdlock(&a->case_lock);
	int rc = authority_ticket_serve(&a->st, in->body, in->body_len,
					rpc_tls_on() ? in->peer_account : NULL,
					&out->body, &out->body_len);
	pthread_rwlock_unlock(&a->case_lock);
	if (rc != 0) {
		out->status = RPC_STATUS_INTERNAL;
		snprintf(out->details, sizeof(out->details), "out of memory");
	}
}

/* A scenario to load: the file, its variant and settings. */
typedef struct scenario_ask {
	const char *path;
	const char *variant;
	const char *const *sets;
	size_t nsets;
} scenario_ask;

/* The scenario at k->path (variant, then sets). NULL after printing why
 * (into err when err is given, else on stderr). */
static sc_scenario *load_scenario(sc_load_cache *cache, const scenario_ask *k,
				  char *err, size_t errlen)
{
	const char *path = k->path;
	sc_load_errors errs = {0};
	sc_scenario *scn = NULL;
	char why[RPC_ERRLEN];
	const sc_case_ref which = {path, k->variant, k->sets, k->nsets};
	if (sc_load_case(cache, &which, &scn, &errs, why, sizeof(why)) != 0) {
		for (size_t i = 0; i < errs.count; i++) {
			char line[512];
			sc_load_error_format(&errs.items[i], line, sizeof(line));
			if (err && i == 0)
				snprintf(err, errlen, "%s", line);
			else if (!err)
				fprintf(stderr, "%s\n", line);
		}
		if (!errs.count && err)
			snprintf(err, errlen, "%s: --set %s", path, why);
		else if (!errs.count)
			fprintf(stderr, "%s: --set %s\n", path, why);
		sc_load_errors_free(&errs);
		return NULL;
	}
	sc_load_errors_free(&errs);
	return scn;
}

/* A warm authority's control thread: each line "CASE\tFILE\tVARIANT\t
 * SET..." (VARIANT "-" for none) makes that case the one it decides by,
 * answered "OK" or "ERR why" on the ready fd. Its keys and the
 * credentials it issued stand (the launcher starts a new authority when
 * the cast changes). End of input stops it. */
static void *control_serve(void *arg)
{
	authority *a = arg;
	control_reader r = {.fd = a->control_fd};
	char *line = NULL;
	while (control_read_line(&r, &line, &stop_flag) == 1) {
		char err[1024] = "";
		control_case c;
		sc_scenario *scn = NULL;
		if (control_case_parse(line, &c) != 0)
			snprintf(err, sizeof(err), "bad control line");
		else
			scn = load_scenario(a->cache,
					    &(scenario_ask){c.file, c.variant,
							    c.sets,
							    c.sets_count},
					    err, sizeof(err));
		if (scn) {
			pthread_rwlock_wrlock(&a->case_lock);
			sc_scenario *old = a->scn;
			if (authority_ticket_rebind(&a->st, scn, err,
						    sizeof(err)) == 0) {
				a->scn = scn;
				scn = old;
			}
			pthread_rwlock_unlock(&a->case_lock);
			sc_load_free(scn); /* the old one, or the refused one */
		}
		free(line);
		if (control_send_status(a->ready_fd, err) != 0)
			break;
	}
	control_reader_free(&r);
	stop_flag = 1;
	return NULL;
}

int main(int argc, char **argv)
{
	authority a;
	memset(&a, 0, sizeof(a));
	if (parse_args(&a, argc, argv) != 0)
		return 2;
	util_daemon_signals(on_signal);

	int rc = 2;
	char err[RPC_ERRLEN];
	pthread_rwlock_init(&a.case_lock, NULL);
	if (a.control_fd >= 0 && !(a.cache = sc_load_cache_new()))
		goto out;
	scenario_ask k = {a.scenario_path, a.variant, a.sets, a.sets_count};
	a.scn = load_scenario(a.cache, &k, NULL, 0);
	if (!a.scn)
		goto out;
	rc = 3;
	if (authority_ticket_setup(&a.st, a.scn, a.dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "authority: %s\n", err);
		goto out;
	}
	/* Certificates only for mutual TLS: --insecure runs use none. */
	if (!a.insecure &&
	    authority_tls_setup(&a.st, a.dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "authority: %s\n", err);
		goto out;
	}
	auth_memo_enable(true); /* credentials and evidence come back */
	rpc_init();
	if (!a.insecure && secure_tls_use(a.dir, AUTH_AUTHORITY_ACCOUNT, err,
					 sizeof(err)) != 0) {
		fprintf(stderr, "authority: %s\n", err);
		rpc_shutdown();
		goto out;
	}
	rpc_server *srv = NULL;
	int port = 0;
	if (rpc_server_start(a.listen, &(rpc_service){handle, &a}, &srv, &port,
			     err, sizeof(err)) != 0) {
		fprintf(stderr, "authority: %s\n", err);
		rpc_shutdown();
		goto out;
	}
	if (a.ready_fd >= 0) {
		char line[64];
		int l = snprintf(line, sizeof(line), "READY %d\n", port);
		if (write(a.ready_fd, line, (size_t)l) != l)
			fprintf(stderr, "authority: cannot report readiness\n");
		if (a.control_fd < 0) /* warm: cases are answered there */
			close(a.ready_fd);
	}
	fprintf(stderr, "authority[%ld]: listening on %s (port %d), %s%s\n",
		(long)getpid(), a.listen, port,
		rpc_tls_on() ? "mutual TLS" : "no TLS",
		a.control_fd >= 0 ? ", warm" : "");
	pthread_t ctl;
	bool ctl_on = a.control_fd >= 0 &&
		      pthread_create(&ctl, NULL, control_serve, &a) == 0;
	if (a.control_fd >= 0 && !ctl_on)
		stop_flag = 1;
	rpc_server_run(srv, &stop_flag, 64);
	if (ctl_on)
		pthread_join(ctl, NULL);
	rpc_server_free(srv);
	rpc_shutdown();
	rc = 0;
out:
	authority_ticket_free(&a.st);
	sc_load_free(a.scn);
	sc_load_cache_free(a.cache);
	pthread_rwlock_destroy(&a.case_lock);
	return rc;
}
