/* load.c: the benchmark's load loop (see load.h): warm-up, then either
 * sequential calls with each latency recorded, or a fixed number of
 * closed-loop threads for a fixed time. It must never interpret a call's
 * result beyond success or failure. */
#include "load.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t load_clock_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t load_now_ns(void)
{
	return load_clock_ns(CLOCK_MONOTONIC);
}

/* CPU time of the whole process (every thread). */
static uint64_t load_cpu_ns(void)
{
	return load_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

/* Buffered writes to the result descriptor. */
typedef struct load_out {
	int fd;
	char buf[8192];
	size_t len;
	bool failed;
} load_out;

static void load_flush(load_out *o)
{
	size_t off = 0;
	while (off < o->len && !o->failed) {
		ssize_t w = write(o->fd, o->buf + off, o->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			o->failed = true;
		else
			off += (size_t)w;
	}
	o->len = 0;
}

static void load_printf(load_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void load_printf(load_out *o, const char *fmt, ...)
{
	char line[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		o->failed = true;
		return;
	}
	if (o->len + (size_t)n > sizeof(o->buf))
		load_flush(o);
	memcpy(o->buf + o->len, line, (size_t)n);
	o->len += (size_t)n;
}

typedef struct load_shared {
	load_call_fn call;
	void *user;
	atomic_bool stop;
	atomic_uint_fast64_t calls;
	atomic_uint_fast64_t errors;
} load_shared;

static void *load_worker(void *arg)
{
	load_shared *s = arg;
	uint64_t calls = 0, errors = 0;
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		if (s->call(s->user) != 0)
			errors++;
		calls++;
	}
	atomic_fetch_add(&s->calls, calls);
	atomic_fetch_add(&s->errors, errors);
	return NULL;
}

static int load_sequential(const load_plan *p, load_call_fn call, void *user,
			   load_out *o)
{
	uint64_t *lat = malloc(p->calls * sizeof(*lat));
	if (!lat)
		return -1;
	unsigned errors = 0;
	uint64_t c0 = load_cpu_ns();
	uint64_t t0 = load_now_ns();
	for (unsigned i = 0; i < p->calls; i++) {
		uint64_t s = load_now_ns();
		if (call(user) != 0)
			errors++;
		lat[i] = load_now_ns() - s;
	}
	uint64_t el = load_now_ns() - t0;
	uint64_t cpu = load_cpu_ns() - c0;
	for (unsigned i = 0; i < p->calls; i++)
		load_printf(o, "lat %llu\n", (unsigned long long)lat[i]);
	load_printf(o, "cpu %llu\n", (unsigned long long)cpu);
	load_printf(o, "done %u %u %llu 1\n", p->calls, errors,
		    (unsigned long long)el);
	free(lat);
	return 0;
}

static int load_parallel(const load_plan *p, load_call_fn call, void *user,
			 load_out *o)
{
	load_shared s = {.call = call, .user = user};
	atomic_init(&s.stop, false);
	atomic_init(&s.calls, 0);
	atomic_init(&s.errors, 0);
	pthread_t *tids = calloc(p->inflight, sizeof(*tids));
	if (!tids)
		return -1;
	unsigned started = 0;
	uint64_t c0 = load_cpu_ns();
	uint64_t t0 = load_now_ns();
	for (; started < p->inflight; started++)
		if (pthread_create(&tids[started], NULL, load_worker, &s) != 0)
			break;
	struct timespec ts = {.tv_sec = p->duration_ms / 1000,
			      .tv_nsec = (long)(p->duration_ms % 1000) *
					 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	atomic_store(&s.stop, true);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	/* Calls in flight at the stop finish after it and are counted:
	 * elapsed runs until the last of them. */
	uint64_t el = load_now_ns() - t0;
	uint64_t cpu = load_cpu_ns() - c0;
	free(tids);
	if (started < p->inflight)
		return -1;
	load_printf(o, "cpu %llu\n", (unsigned long long)cpu);
	load_printf(o, "done %llu %llu %llu %u\n",
		    (unsigned long long)atomic_load(&s.calls),
		    (unsigned long long)atomic_load(&s.errors),
		    (unsigned long long)el, p->inflight);
	return 0;
}

int load_run(const load_plan *plan, load_call_fn call, void *user, int fd)
{
	if (!plan || !call || (plan->calls == 0 && plan->inflight == 0))
		return -1;
	load_out o = {.fd = fd};
	for (unsigned i = 0; i < plan->warmup; i++)
		(void)call(user);
	int rc = plan->calls ? load_sequential(plan, call, user, &o)
			     : load_parallel(plan, call, user, &o);
	load_flush(&o);
	return rc == 0 && !o.failed ? 0 : -1;
}
