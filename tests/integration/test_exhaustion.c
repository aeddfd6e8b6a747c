/* test_exhaustion.c: a daemon under a slow or greedy peer. Plain TCP
 * connections past its descriptor limit do not stop it from accepting
 * once they are gone; calls that send headers and never a body hold none
 * of its workers. Each against a real procC, started here. */
#include "harness.h"

#include "codec.h"
#include "rpc.h"
#include "../support/stall.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

static pid_t daemon_pid = -1;
static int daemon_port;
static char log_path[] = "/tmp/cloakroom-exhaust-XXXXXX";

/* procC of the seed diagram, with at most nofile descriptors (soft and
 * hard, as `ulimit -n` sets them) when nofile > 0. Forks before gRPC is
 * initialised in this process. */
static void start_procC(rlim_t nofile)
{
	char scen[512], procC[512];
	snprintf(scen, sizeof(scen), "%s/scenarios/seed-diagram.yaml",
		 env_or("CLOAKROOM_SOURCE", "."));
	snprintf(procC, sizeof(procC), "%s/procC/procC",
		 env_or("CLOAKROOM_BIN", "."));
	int logfd = mkstemp(log_path);
	int p[2];
	cr_assert(pipe(p) == 0 && logfd >= 0);
	daemon_pid = fork();
	if (daemon_pid == 0) {
		dup2(p[1], 3);
		dup2(logfd, 2);
		if (nofile) {
			struct rlimit rl = {.rlim_cur = nofile,
					    .rlim_max = nofile};
			if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
				_exit(126);
		}
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
	cr_assert(got > 0 && sscanf(line, "READY %d", &daemon_port) == 1,
		  "procC did not start");
	rpc_init();
}

static void stop_procC(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		cmd_wait(daemon_pid);
	}
	rpc_shutdown();
	unlink(log_path);
}

TestSuite(exhaustion, .fini = stop_procC, .timeout = 120);

/* One honest call to C, on a new channel; its gRPC status. */
static int honest_call(void)
{
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", daemon_port);
	rpc_channel *ch = rpc_channel_open(addr);
	cr_assert(ch);
	uint8_t *req;
	size_t rlen;
	cr_assert(codec_request_encode("C", true, &req, &rlen) == 0);
	rpc_result res;
	cr_assert(rpc_call(ch, &(rpc_request){NULL, NULL, 0, req, rlen, 20000},
			   &res) == 0,
		  "%s", res.details);
	int st = res.status;
	if (st != RPC_STATUS_OK)
		cr_log_info("call: status %d: %s", st, res.details);
	rpc_result_free(&res);
	free(req);
	rpc_channel_close(ch);
	return st;
}

static int open_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 2;
}

/* Connections waiting in the kernel for the daemon to accept them (the
 * listening socket's accept queue, in /proc/net/tcp or tcp6: gRPC
 * listens on an IPv6 socket that takes IPv4 too), or -1. */
static int accept_queue(int port)
{
	static const char *const tables[] = {"/proc/net/tcp",
					     "/proc/net/tcp6"};
	int q = -1;
	for (int t = 0; t < 2; t++) {
		FILE *f = fopen(tables[t], "r");
		char line[512];
		while (f && fgets(line, sizeof(line), f)) {
			unsigned lport, st, tx, rx;
			if (sscanf(line,
				   " %*d: %*[0-9A-Fa-f]:%4x %*[0-9A-Fa-f]:%*4x "
				   "%2x %8x:%8x",
				   &lport, &st, &tx, &rx) == 4 &&
			    (int)lport == port && st == 0x0a)
				q = (int)rx;
		}
		if (f)
			fclose(f);
	}
	return q;
}

static bool log_says(const char *words)
{
	FILE *f = fopen(log_path, "r");
	char line[1024];
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, words) != NULL;
	if (f)
		fclose(f);
	return found;
}

/* At `ulimit -n 256`, 400 plain TCP connections (no handshake) are held
 * open, then closed. gRPC 1.51 used to stop listening for good at the
 * first accept4 without a descriptor; now the connections past the cap
 * are closed at once, and once the attack is over (the daemon's own
 * descriptors back down) an honest call is served. */
Test(exhaustion, connections_past_the_descriptor_limit_then_recovery)
{
	start_procC(256);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)daemon_port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	enum { N = 400 };
	int fds[N];
	int connected = 0;
	for (int i = 0; i < N; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		cr_assert_geq(fds[i], 0);
		if (connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) == 0)
			connected++;
	}
	cr_expect_gt(connected, 256, "%d connected", connected);
	/* Every connection has been accepted (or refused) once the
	 * daemon has no more pending: its descriptors stop growing below
	 * the limit. Then the attack ends. */
	cr_expect_eq(kill(daemon_pid, 0), 0, "procC died");
	for (int i = 0; i < N; i++)
		close(fds[i]);
	/* The daemon has taken every connection the kernel queued for it
	 * and let go of them (seen from outside: its accept queue is empty
	 * and its descriptors are back to a handful). */
	int left = open_fds(daemon_pid), queued = accept_queue(daemon_port);
	for (int i = 0; i < 12000 && (left > 64 || queued != 0); i++) {
		struct timespec ts = {.tv_nsec = 10 * 1000000L};
		nanosleep(&ts, NULL);
		queued = accept_queue(daemon_port);
		left = open_fds(daemon_pid);
	}
	cr_expect_eq(queued, 0, "%d connections still queued", queued);
	cr_expect_leq(left, 64, "procC still holds %d descriptors", left);
	cr_expect_eq(honest_call(), RPC_STATUS_OK,
		     "no call served after the attack");
	cr_expect_not(log_says("Failed accept4"),
		      "gRPC lost its listener (see the log)");
}

/* 300 calls that send headers and never a body (more than C's 256
 * workers) hold no worker: an honest call is served while they are
 * held (it used to time out behind them). */
Test(exhaustion, stalled_calls_take_no_worker)
{
	start_procC(0);
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", daemon_port);
	stall_set st;
	cr_assert_eq(stall_open(&st, addr, 300), 0);
	/* The stalled calls go first, on their connection. */
	grpc_connectivity_state s = GRPC_CHANNEL_IDLE;
	for (int i = 0; i < 6000 && s != GRPC_CHANNEL_READY; i++) {
		s = grpc_channel_check_connectivity_state(st.channel, 1);
		struct timespec ts = {.tv_nsec = 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	cr_assert_eq(s, GRPC_CHANNEL_READY);
	cr_expect_eq(honest_call(), RPC_STATUS_OK,
		     "an honest call was not served behind stalled ones");
	cr_expect_eq(kill(daemon_pid, 0), 0, "procC died");
	stall_close(&st);
}
