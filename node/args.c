/* args.c: a daemon's command line (see usage below), parsed with
 * getopt_long; every number is checked whole and within its range. */
#include "node_int.h"

#include "util.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static void usage(node_kind k)
{
	fprintf(stderr,
		"usage: %s --scenario FILE --role NAME (or --process NAME) [--variant NAME]\n"
		"       [--set KEY=VALUE]... [--listen ADDR] [--peer NAME=ADDR|NAME=@FILE]... [--ready-fd N]\n"
		"       [--result-fd N] [--timeout-ms N] [--bare]\n"
		"       [--bench-warmup N] [--bench-calls N | --bench-inflight K"
		" --bench-ms MS]\n"
		"       [--auth-dir DIR --authority ADDR] [--clock-skew-ms N]"
		" [--insecure]\n"
		"       [--control-fd N]\n",
		node_kind_name(k));
}

enum {
	O_SCENARIO = 256, O_PROCESS, O_VARIANT, O_SET, O_LISTEN, O_PEER,
	O_READY_FD, O_RESULT_FD, O_CONTROL_FD, O_TIMEOUT, O_AUTH_DIR,
	O_AUTHORITY, O_SKEW, O_BARE, O_INSECURE, O_WARMUP, O_CALLS,
	O_INFLIGHT, O_BENCH_MS,
};

static const struct option longs[] = {
	{"scenario", required_argument, NULL, O_SCENARIO},
	{"process", required_argument, NULL, O_PROCESS},
	{"role", required_argument, NULL, O_PROCESS},
	{"variant", required_argument, NULL, O_VARIANT},
	{"set", required_argument, NULL, O_SET},
	{"listen", required_argument, NULL, O_LISTEN},
	{"peer", required_argument, NULL, O_PEER},
	{"ready-fd", required_argument, NULL, O_READY_FD},
	{"result-fd", required_argument, NULL, O_RESULT_FD},
	{"control-fd", required_argument, NULL, O_CONTROL_FD},
	{"timeout-ms", required_argument, NULL, O_TIMEOUT},
	{"auth-dir", required_argument, NULL, O_AUTH_DIR},
	{"authority", required_argument, NULL, O_AUTHORITY},
	{"clock-skew-ms", required_argument, NULL, O_SKEW},
	{"bare", no_argument, NULL, O_BARE},
	{"insecure", no_argument, NULL, O_INSECURE},
	{"bench-warmup", required_argument, NULL, O_WARMUP},
	{"bench-calls", required_argument, NULL, O_CALLS},
	{"bench-inflight", required_argument, NULL, O_INFLIGHT},
	{"bench-ms", required_argument, NULL, O_BENCH_MS},
	{NULL, 0, NULL, 0},
};

/* The option's value as a number in [min, max], or -1 said on stderr. */
static int number(const node *n, const char *opt, const char *v, long min,
		  long max, long *out)
{
	if (util_parse_long(v, min, max, out) == 0)
		return 0;
	fprintf(stderr, "%s: bad --%s '%s' (%ld to %ld)\n",
		node_kind_name(n->kind), opt, v, min, max);
	return -1;
}

static int add_peer(node *n, const char *v)
{
	const char *eq = strchr(v, '=');
	if (!eq || n->peers_count == MAX_PEERS ||
	    (size_t)(eq - v) >= sizeof(n->peers[0].name) ||
	    strlen(eq + 1) >= sizeof(n->peers[0].addr)) {
		fprintf(stderr, "%s: bad --peer '%s'\n", node_kind_name(n->kind),
			v);
		return -1;
	}
	peer *p = &n->peers[n->peers_count++];
	snprintf(p->name, sizeof(p->name), "%.*s", (int)(eq - v), v);
	snprintf(p->addr, sizeof(p->addr), "%s", eq + 1);
	return 0;
}

/* An option that takes a number. */
static int set_number(node *n, int c, const char *name, const char *v)
{
	long x;
	long max = c == O_SKEW ? (long)AUTH_MAX_SKEW_MS
		 : c == O_TIMEOUT || c >= O_WARMUP ? 1000000000L
						   : INT_MAX;
	if (number(n, name, v, 0, max, &x) != 0)
		return -1;
	switch (c) {
	case O_READY_FD: n->ready_fd = (int)x; break;
	case O_RESULT_FD: n->result_fd = (int)x; break;
	case O_CONTROL_FD: n->control_fd = (int)x; break;
	case O_TIMEOUT: n->timeout_ms = (int)x; break;
	case O_SKEW: n->skew_ms = (uint64_t)x; break;
	case O_WARMUP: n->load.warmup = (unsigned)x; break;
	case O_CALLS: n->load.calls = (unsigned)x; break;
	case O_INFLIGHT: n->load.inflight = (unsigned)x; break;
	case O_BENCH_MS: n->load.duration_ms = (unsigned)x; break;
	default: return -1;
	}
	if (c >= O_WARMUP)
		n->load_set = true;
	return 0;
}

static int set_option(node *n, int c, const char *name, const char *v)
{
	switch (c) {
	case O_SCENARIO: n->scenario_path = v; return 0;
	case O_PROCESS: n->process = v; return 0;
	case O_VARIANT: n->variant = v; return 0;
	case O_LISTEN: n->listen = v; return 0;
	case O_AUTH_DIR: n->auth_dir = v; return 0;
	case O_AUTHORITY: n->authority = v; return 0;
	case O_BARE: n->bare = true; return 0;
	case O_INSECURE: n->insecure = true; return 0;
	case O_PEER: return add_peer(n, v);
	case O_SET:
		if (n->sets_count == MAX_SETS) {
			fprintf(stderr, "%s: more than %d --set\n",
				node_kind_name(n->kind), MAX_SETS);
			return -1;
		}
		n->sets[n->sets_count++] = v;
		return 0;
	}
	return set_number(n, c, name, v);
}

/* The combinations the options allow. 0, or -1 said on stderr. */
static int check_modes(node *n)
{
	if (!n->scenario_path || !n->process ||
	    !n->auth_dir != !n->authority) {
		usage(n->kind);
		return -1;
	}
	if (n->control_fd >= 0 && (n->bare || n->load_set)) {
		fprintf(stderr, "%s: --control-fd is for scenario runs, not "
				"the benchmark's modes\n",
			node_kind_name(n->kind));
		return -1;
	}
	if (n->load_set &&
	    (n->kind != NODE_CLIENT ||
	     (n->load.calls == 0) == (n->load.inflight == 0))) {
		fprintf(stderr, "%s: the load mode is a client's, with either "
				"--bench-calls or --bench-inflight\n",
			node_kind_name(n->kind));
		return -1;
	}
	if (n->kind != NODE_CLIENT && !n->listen)
		n->listen = "127.0.0.1:0";
	return 0;
}

int node_parse_args(node *n, int argc, char **argv)
{
	n->ready_fd = -1;
	n->result_fd = 1;
	n->control_fd = -1;
	n->timeout_ms = 10000;
	n->skew_ms = AUTH_DEFAULT_SKEW_MS;
	optind = 1;
	opterr = 0;
	int c, idx = 0;
	while ((c = getopt_long(argc, argv, "", longs, &idx)) != -1) {
		if (c == '?' || c == ':') {
			fprintf(stderr, "%s: unknown option or missing value: "
				"%s\n", node_kind_name(n->kind),
				argv[optind - 1]);
			return -1;
		}
		if (set_option(n, c, longs[idx].name, optarg) != 0)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument %s\n",
			node_kind_name(n->kind), argv[optind]);
		return -1;
	}
	return check_modes(n);
}
