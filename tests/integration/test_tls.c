/* test_tls.c: mutual TLS between daemons refuses a certificate another
 * CA signed, on either side of a call: a daemon does not serve a caller
 * whose certificate is not from the run's CA, and a caller does not call a
 * daemon whose certificate is not, and the authority gives no ticket to
 * a client whose certificate is not; a context signed by one process and
 * sent on another's connection is refused (K6). Real authorities make the
 * CAs; a real procC (or procB) serves; this process, or a real procA,
 * calls. */
#include "harness.h"

#include "codec.h"
#include "rpc.h"
#include "sc_load.h"
#include "secure.h"

#include <criterion/criterion.h>
#include <sys/stat.h>

static char tmp[64];
static pid_t procC_pid = -1;
static int procC_port;
static char procC_log[128];

static void run_cmd(const char *cmd)
{
	cr_assert(system(cmd) == 0, "%s", cmd);
}

static pid_t authority_pid = -1;
static int authority_port;

/* An authority's files in dir (made empty, 0700): start one, read its
 * READY line; with keep, leave it serving (authority_pid, _port), else
 * stop it: only its files are needed. */
static void start_authority(const char *dir, bool keep)
{
	char scen[512], prog[512];
	snprintf(scen, sizeof(scen), "%s/scenarios/seed-diagram.yaml",
		 env_or("CLOAKROOM_SOURCE", "."));
	snprintf(prog, sizeof(prog), "%s/authority/authority",
		 env_or("CLOAKROOM_BIN", "."));
	cr_assert(mkdir(dir, 0700) == 0, "%s", dir);
	int p[2];
	cr_assert(pipe(p) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 3);
		int dn = open("/dev/null", O_WRONLY);
		dup2(dn, 2);
		char *argv[] = {prog,	     "--scenario", scen,
				"--variant", "cloaking-dynamic", "--dir",
				(char *)dir, "--listen", "127.0.0.1:0",
				"--ready-fd", "3", NULL};
		execv(prog, argv);
		_exit(127);
	}
	close(p[1]);
	char line[64] = "";
	ssize_t got = read(p[0], line, sizeof(line) - 1);
	close(p[0]);
	cr_assert(got > 0 && sscanf(line, "READY %d", &authority_port) == 1,
		  "the authority did not start in %s", dir);
	if (keep) {
		authority_pid = pid;
		return;
	}
	kill(pid, SIGTERM);
	int st = cmd_wait(pid);
	cr_expect_eq(st, 0, "the authority did not stop cleanly: %d", st);
}

static void make_authority(const char *dir)
{
	start_authority(dir, false);
}

/* Two runs' files: own/ (the run's) and other/ (another CA). */
static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/cloakroom-tls-XXXXXX");
	cr_assert(mkdtemp(tmp));
	char d[128];
	snprintf(d, sizeof(d), "%s/own", tmp);
	make_authority(d);
	snprintf(d, sizeof(d), "%s/other", tmp);
	make_authority(d);
}

static void teardown(void)
{
	if (authority_pid > 0) {
		kill(authority_pid, SIGTERM);
		cmd_wait(authority_pid);
	}
	if (procC_pid > 0) {
		kill(procC_pid, SIGTERM);
		cmd_wait(procC_pid);
	}
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", tmp);
}

TestSuite(tls, .init = setup, .fini = teardown, .timeout = 60);

static void start_daemon(const char *program, const char *role,
			 const char *dir);

/* procC with the files of dir (TLS on, as in a run); never calls out, so
 * the authority's address is never dialled. */
static void start_procC(const char *dir)
{
	start_daemon("procC", "C", dir);
}

/* A server daemon (procC's slot: procC_pid, _port, _log) playing role
 * with the files of dir, the authority at authority_port (9: none). */
static void start_daemon(const char *program, const char *role,
			 const char *dir)
{
	char scen[512], prog[512];
	snprintf(scen, sizeof(scen), "%s/scenarios/seed-diagram.yaml",
		 env_or("CLOAKROOM_SOURCE", "."));
	snprintf(prog, sizeof(prog), "%s/%s/%s", env_or("CLOAKROOM_BIN", "."),
		 program, program);
	snprintf(procC_log, sizeof(procC_log), "%s/procC.log", tmp);
	char auth[64];
	snprintf(auth, sizeof(auth), "127.0.0.1:%d",
		 authority_pid > 0 ? authority_port : 9);
	int logfd = open(procC_log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int p[2];
	cr_assert(pipe(p) == 0 && logfd >= 0);
	/* Fork before gRPC is initialised in this process. */
	procC_pid = fork();
	if (procC_pid == 0) {
		dup2(p[1], 3);
		dup2(logfd, 2);
		char *argv[] = {prog,	      "--scenario", scen,
				"--variant",  "cloaking-dynamic",
				"--role",     (char *)role, "--listen",
				"127.0.0.1:0", "--ready-fd", "3",
				"--auth-dir", (char *)dir, "--authority",
				auth,	      NULL};
		execv(prog, argv);
		_exit(127);
	}
	close(p[1]);
	close(logfd);
	char line[64] = "";
	ssize_t got = read(p[0], line, sizeof(line) - 1);
	close(p[0]);
	cr_assert(got > 0 && sscanf(line, "READY %d", &procC_port) == 1,
		  "%s did not start", program);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert(f, "%s", path);
	char *buf = calloc(1, 65536);
	size_t n = fread(buf, 1, 65535, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* One call to procC without a context (served as T8 when it gets
 * through), as a caller holding ca_dir's CA and cert_dir's certificate
 * for svc-b. Returns the gRPC status. */
static int call_procC(const char *ca_dir, const char *cert_dir)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s/ca.crt", tmp, ca_dir);
	char *ca = slurp(path);
	snprintf(path, sizeof(path), "%s/%s/svc-b.corp.crt", tmp, cert_dir);
	char *cert = slurp(path);
	snprintf(path, sizeof(path), "%s/%s/svc-b.corp.key", tmp, cert_dir);
	char *key = slurp(path);
	rpc_init();
	cr_assert(rpc_tls_use(ca, cert, key) == 0);
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", procC_port);
	rpc_channel *ch = rpc_channel_open_as(addr, "svc-c.corp");
	cr_assert(ch);
	uint8_t *req;
	size_t rlen;
	cr_assert(codec_request_encode("C", true, &req, &rlen) == 0);
	rpc_result res;
	memset(&res, 0, sizeof(res));
	cr_assert(rpc_call(ch, &(rpc_request){NULL, NULL, 0, req, rlen, 10000},
			   &res) == 0,
		  "%s", res.details);
	int status = res.status;
	cr_log_info("status %d: %s", status, res.details);
	rpc_result_free(&res);
	free(req);
	rpc_channel_close(ch);
	rpc_tls_use(NULL, NULL, NULL);
	rpc_shutdown();
	free(ca);
	free(cert);
	free(key);
	return status;
}

/* procC's count of calls it served, from the line it logs on SIGTERM. */
static int served_calls(void)
{
	kill(procC_pid, SIGTERM);
	int st = cmd_wait(procC_pid);
	procC_pid = -1;
	char *log = slurp(procC_log);
	/* A crash, or a sanitizer's report at exit, is not a clean stop. */
	cr_expect_eq(st, 0, "procC did not stop cleanly (%d):\n%s", st, log);
	const char *s = strstr(log, "]: served ");
	int n = -1;
	if (!s || sscanf(s, "]: served %d", &n) != 1)
		cr_log_error("no count of calls served in:\n%s", log);
	free(log);
	return n;
}

/* The control: the run's own certificates on both sides get through. */
Test(tls, the_runs_own_certificates_are_served)
{
	char own[128];
	snprintf(own, sizeof(own), "%s/own", tmp);
	start_procC(own);
	cr_expect_eq(call_procC("own", "own"), 0);
	cr_expect_eq(served_calls(), 1);
}

/* The caller presents svc-b's certificate from another CA: procC refuses
 * the handshake; nothing is served. */
Test(tls, a_caller_with_a_certificate_from_another_ca_is_refused)
{
	char own[128];
	snprintf(own, sizeof(own), "%s/own", tmp);
	start_procC(own);
	int st = call_procC("own", "other");
	cr_expect_eq(st, 14, "status %d, expected UNAVAILABLE (14)", st);
	cr_expect_eq(served_calls(), 0);
}

/* procC presents svc-c's certificate from another CA (the rest of its
 * files are the run's): the caller refuses it before sending anything. */
Test(tls, a_daemon_with_a_certificate_from_another_ca_is_refused)
{
	char mixed[128], cmd[1024];
	snprintf(mixed, sizeof(mixed), "%s/mixed", tmp);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -m 0700 '%s' && cp '%s'/own/* '%s' && "
		 "cp '%s'/other/svc-c.corp.crt '%s'/other/svc-c.corp.key '%s'",
		 mixed, tmp, mixed, tmp, tmp, mixed);
	run_cmd(cmd);
	start_procC(mixed);
	int st = call_procC("own", "own");
	cr_expect_eq(st, 14, "status %d, expected UNAVAILABLE (14)", st);
	cr_expect_eq(served_calls(), 0);
}

/* A whole client, procA, whose certificate another CA signed (its other
 * files are the run's): the run's authority refuses its TLS handshake, so
 * it gets no ticket and makes no call; the hop says the authority was
 * out of reach (NET), not that anything was decided. B serves nothing. */
Test(tls, a_client_with_a_certificate_from_another_ca_gets_no_ticket)
{
	char own[128], mixed[128], cmd[1024];
	snprintf(own, sizeof(own), "%s/run", tmp);
	start_authority(own, true);
	snprintf(mixed, sizeof(mixed), "%s/mixed", tmp);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -m 0700 '%s' && cp '%s'/* '%s' && "
		 "cp '%s'/other/alice.corp.crt '%s'/other/alice.corp.key '%s'",
		 mixed, own, mixed, tmp, tmp, mixed);
	run_cmd(cmd);
	/* procB in the server slot (procC_pid, _port, _log). */
	start_daemon("procB", "B", own);
	char scen[512], prog[512], peer[64], auth[64];
	snprintf(scen, sizeof(scen), "%s/scenarios/seed-diagram.yaml",
		 env_or("CLOAKROOM_SOURCE", "."));
	snprintf(prog, sizeof(prog), "%s/procA/procA",
		 env_or("CLOAKROOM_BIN", "."));
	snprintf(peer, sizeof(peer), "B=127.0.0.1:%d", procC_port);
	snprintf(auth, sizeof(auth), "127.0.0.1:%d", authority_port);
	char *argv[] = {prog,	      "--scenario", scen,
			"--variant",  "cloaking-dynamic",
			"--role",     "A",	    "--peer",
			peer,	      "--auth-dir", mixed,
			"--authority", auth,	    "--result-fd",
			"1",	      NULL};
	cmd_result r = cmd_run(argv);
	cr_expect_eq(r.status, 0, "procA exit %d\n%s", r.status, r.err);
	cr_expect(strstr(r.err, "hop A->B: UNAVAILABLE") != NULL &&
			  strstr(r.err, "the authority did not answer") !=
				  NULL,
		  "procA did not report the authority out of reach:\n%s",
		  r.err);
	cmd_free(&r);
	cr_expect_eq(served_calls(), 0);
}

/* K6 at the callee: a context signed as A, with A's key, credential and
 * a ticket the authority minted to A (asked over A's own TLS connection,
 * as A would), sent to B over a connection whose certificate is
 * svc-b's: B refuses it, the TLS peer is not the signer. */
Test(tls, a_context_relayed_by_another_peer_is_refused_K6)
{
	char own[128], scen[512], auth[64], err[256];
	snprintf(own, sizeof(own), "%s/run", tmp);
	start_authority(own, true);
	start_daemon("procB", "B", own);
	snprintf(scen, sizeof(scen), "%s/scenarios/seed-diagram.yaml",
		 env_or("CLOAKROOM_SOURCE", "."));
	snprintf(auth, sizeof(auth), "127.0.0.1:%d", authority_port);
	sc_scenario *scn = NULL;
	sc_load_errors errs = {0};
	cr_assert_eq(sc_load_file(scen, "cloaking-dynamic", &scn, &errs), 0);
	sc_load_errors_free(&errs);
	sc_runtime *rt = NULL;
	sc_log log;
	sc_log_init(&log);
	cr_assert_eq(sc_runtime_new(scn, "A", &rt, &log), SC_OK);
	sc_log_free(&log);

	rpc_init();
	secure_config cfg = {.dir = own, .authority = auth, .process = "A",
			     .skew_ms = AUTH_DEFAULT_SKEW_MS,
			     .timeout_ms = 10000};
	secure *sec = NULL;
	cr_assert_eq(secure_open(&cfg, &sec, err, sizeof(err)), 0, "%s", err);
	sc_context c;
	memset(&c, 0, sizeof(c));
	c.identity = sc_runtime_token(rt);
	c.asked = SC_LEVEL_IMPERSONATE;
	c.authn = SC_AUTHN_CONNECT;
	c.package = SC_PACKAGE_KERBEROS;
	c.transport = SC_TRANSPORT_COM;
	snprintf(c.caller, sizeof(c.caller), "A");
	snprintf(c.caller_host, sizeof(c.caller_host), "%s",
		 sc_runtime_process(rt)->host);
	snprintf(c.caller_account, sizeof(c.caller_account), "%s",
		 secure_account(sec));
	snprintf(c.chain, sizeof(c.chain), "A");
	uint8_t *sealed = NULL;
	size_t slen = 0;
	auth_reject why;
	cr_assert_eq(secure_seal(sec, &(secure_call){NULL, "B", &c, rt},
				 &sealed, &slen, &why),
		     0, "[%s] %s", why.rule, why.reason);

	/* Now as svc-b: its certificate, A's sealed context. */
	char path[256];
	snprintf(path, sizeof(path), "%s/ca.crt", own);
	char *ca = slurp(path);
	snprintf(path, sizeof(path), "%s/svc-b.corp.crt", own);
	char *cert = slurp(path);
	snprintf(path, sizeof(path), "%s/svc-b.corp.key", own);
	char *key = slurp(path);
	cr_assert(rpc_tls_use(ca, cert, key) == 0);
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", procC_port);
	rpc_channel *ch = rpc_channel_open_as(addr, "svc-b.corp");
	cr_assert(ch);
	uint8_t *req;
	size_t rlen;
	cr_assert(codec_request_encode("B", true, &req, &rlen) == 0);
	rpc_result res;
	memset(&res, 0, sizeof(res));
	cr_assert(rpc_call(ch,
			   &(rpc_request){NULL, sealed, slen, req, rlen, 10000},
			   &res) == 0,
		  "%s", res.details);
	cr_expect_eq(res.status, RPC_STATUS_UNAUTHENTICATED, "status %d: %s",
		     res.status, res.details);
	cr_expect(strstr(res.details, "BAD_CONTEXT [K6] the TLS peer is "
				      "CORP\\svc-b") != NULL,
		  "%s", res.details);
	rpc_result_free(&res);
	free(req);
	free(sealed);
	rpc_channel_close(ch);
	secure_close(sec);
	rpc_tls_use(NULL, NULL, NULL);
	rpc_shutdown();
	free(ca);
	free(cert);
	free(key);
	sc_runtime_free(rt);
	sc_load_free(scn);
	cr_expect_eq(served_calls(), 1);
}
