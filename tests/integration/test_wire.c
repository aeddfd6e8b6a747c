/* test_wire.c: what a daemon does with what arrives on the wire: a call
 * with no context is served as unauthenticated (T8); a malformed or
 * duplicated context is refused with a clear status, logged, and the
 * daemon keeps serving. Talks to a real procC over gRPC. */
#include "harness.h"

#include "codec.h"
#include "rpc.h"

#include <criterion/criterion.h>

static pid_t daemon_pid;
static int daemon_port;
static rpc_channel *ch;
static char log_path[] = "/tmp/cloakroom-wire-XXXXXX";

static void start_procC(void)
{
	char scen[512], procC[512];
	snprintf(scen, sizeof(scen), "%s/tests/data/slow-chain.yaml",
		 env_or("CLOAKROOM_SOURCE", "."));
	snprintf(procC, sizeof(procC), "%s/procC/procC",
		 env_or("CLOAKROOM_BIN", "."));
	int logfd = mkstemp(log_path);
	int p[2];
	cr_assert(pipe(p) == 0 && logfd >= 0);
	/* Fork before gRPC is initialised in this process. */
	daemon_pid = fork();
	if (daemon_pid == 0) {
		dup2(p[1], 3);
		dup2(logfd, 2);
		char *argv[] = {procC, "--scenario", scen, "--process", "C",
				"--listen", "127.0.0.1:0", "--ready-fd", "3",
				NULL};
		execv(procC, argv);
		_exit(127);
	}
	close(p[1]);
	close(logfd);
	char line[64] = "";
	ssize_t got = read(p[0], line, sizeof(line) - 1);
	close(p[0]);
	int port = 0;
	cr_assert(got > 0 && sscanf(line, "READY %d", &port) == 1,
		  "procC did not start");
	daemon_port = port;
	rpc_init();
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	ch = rpc_channel_open(addr);
	cr_assert(ch);
}

static void stop_procC(void)
{
	rpc_channel_close(ch);
	rpc_shutdown();
	kill(daemon_pid, SIGTERM);
	cmd_wait(daemon_pid);
	unlink(log_path);
}

TestSuite(wire, .init = start_procC, .fini = stop_procC, .timeout = 60);

static void call(const uint8_t *ctx, size_t len, rpc_result *res)
{
	uint8_t *req;
	size_t rlen;
	cr_assert(codec_request_encode("C", true, &req, &rlen) == 0);
	memset(res, 0, sizeof(*res));
	cr_assert(rpc_call(ch, &(rpc_request){NULL, ctx, len, req, rlen, 20000},
			   res) == 0,
		  "%s", res->details);
	free(req);
}

static bool log_says(const char *words)
{
	FILE *f = fopen(log_path, "r");
	if (!f)
		return false;
	char line[1024];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, words) != NULL;
	fclose(f);
	return found;
}

Test(wire, T8_call_without_context_is_served_unauthenticated)
{
	rpc_result res;
	call(NULL, 0, &res);
	cr_assert_eq(res.status, RPC_STATUS_OK, "%s", res.details);
	sc_trace t;
	sc_trace_init(&t);
	char err[256];
	cr_assert(codec_trace_decode(res.body, res.body_len, &t, err,
				     sizeof(err)) == 0, "%s", err);
	cr_assert_geq(t.count, 1);
	cr_expect_str_eq(t.hops[0].presented, SC_ANONYMOUS_NAME);
	cr_expect_eq(t.hops[0].authn, SC_AUTHN_NONE);
	cr_expect(sc_log_has_rule(&t.hops[0].log, "T8"));
	cr_expect(log_says("carries no context"));
	sc_trace_free(&t);
	rpc_result_free(&res);
}

Test(wire, malformed_context_is_refused_and_logged)
{
	const uint8_t junk[] = {0xff, 0xff, 0xff, 0x07, 0x00, 0x12};
	rpc_result res;
	call(junk, sizeof(junk), &res);
	cr_expect_eq(res.status, RPC_STATUS_UNAUTHENTICATED);
	cr_expect(strstr(res.details, "BAD_CONTEXT") != NULL, "%s",
		  res.details);
	rpc_result_free(&res);
	cr_expect(log_says("malformed context"));
	/* The daemon lives on and serves the next call. */
	call(NULL, 0, &res);
	cr_expect_eq(res.status, RPC_STATUS_OK);
	rpc_result_free(&res);
}

Test(wire, context_without_identity_is_refused)
{
	/* A well-formed SecurityContext (version 1) with no identity:
	 * field 1 varint 1. */
	const uint8_t empty[] = {0x08, 0x01};
	rpc_result res;
	call(empty, sizeof(empty), &res);
	cr_expect_eq(res.status, RPC_STATUS_UNAUTHENTICATED);
	cr_expect(strstr(res.details, "no user identity") != NULL, "%s",
		  res.details);
	rpc_result_free(&res);
}

/* Caps: a context over CODEC_MAX_CONTEXT bytes, or one that has come
 * through more than CODEC_MAX_DEPTH hops, is refused with a status that
 * names the cap, logged, and the daemon serves on. */
Test(wire, context_over_the_size_cap_is_refused_and_logged)
{
	size_t len = CODEC_MAX_CONTEXT + 1;
	uint8_t *big = malloc(len);
	cr_assert(big);
	memset(big, 0x41, len);
	rpc_result res;
	call(big, len, &res);
	free(big);
	cr_expect_eq(res.status, RPC_STATUS_UNAUTHENTICATED, "status %d: %s",
		     res.status, res.details);
	cr_expect(strstr(res.details, "65536-byte cap") != NULL, "%s",
		  res.details);
	rpc_result_free(&res);
	cr_expect(log_says("65536-byte cap"));
	call(NULL, 0, &res);
	cr_expect_eq(res.status, RPC_STATUS_OK);
	rpc_result_free(&res);
}

Test(wire, context_past_the_hop_cap_is_refused_and_logged)
{
	sc_token *t = sc_token_new(SC_TOKEN_IMPERSONATION);
	cr_assert(t && sc_token_set_user(t, "S-1-5-21-1-1001",
					 "CORP\\alice") == 0);
	sc_context c;
	memset(&c, 0, sizeof(c));
	c.identity = t;
	c.asked = SC_LEVEL_IMPERSONATE;
	strcpy(c.caller, "B");
	strcpy(c.caller_host, "ws1");
	c.depth = CODEC_MAX_DEPTH + 1;
	uint8_t *buf;
	size_t len;
	cr_assert(codec_context_encode(&c, &buf, &len) == 0);
	rpc_result res;
	call(buf, len, &res);
	free(buf);
	sc_token_free(t);
	cr_expect_eq(res.status, RPC_STATUS_UNAUTHENTICATED, "status %d: %s",
		     res.status, res.details);
	cr_expect(strstr(res.details, "hops (cap 64)") != NULL, "%s",
		  res.details);
	rpc_result_free(&res);
	cr_expect(log_says("hops (cap 64)"));
}

/* Metadata beyond what the server accepts (RPC_MAX_METADATA) never reaches
 * the handler: gRPC refuses it with RESOURCE_EXHAUSTED, which the caller
 * sees with its reason, and closes that connection; the daemon serves on
 * (a new connection is served). */
Test(wire, metadata_over_the_server_cap_is_resource_exhausted)
{
	size_t len = RPC_MAX_METADATA + 1024;
	uint8_t *big = malloc(len);
	cr_assert(big);
	memset(big, 0x41, len);
	rpc_result res;
	call(big, len, &res);
	free(big);
	cr_expect_eq(res.status, RPC_STATUS_RESOURCE_EXHAUSTED,
		     "status %d: %s", res.status, res.details);
	cr_expect(res.details[0] != '\0');
	rpc_result_free(&res);
	rpc_channel_close(ch);
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", daemon_port);
	ch = rpc_channel_open(addr);
	cr_assert(ch);
	call(NULL, 0, &res);
	cr_expect_eq(res.status, RPC_STATUS_OK, "status %d: %s", res.status,
		     res.details);
	rpc_result_free(&res);
}
