/* Kernel micro-benchmarks. Run under QEMU with -icount shift=0, where
 * rdinstret counts guest instructions exactly (user, kernel and firmware
 * alike). Each benchmark discards a warm-up, then times ITERATIONS runs
 * and prints "BENCH name median min max iterations" for
 * tests/run_bench.py. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "env.h"

#define WARMUP 100
#define ITERATIONS 2000

static uint64_t samples[ITERATIONS];

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	printf("BENCH-FAILED %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	INVOKE0(SLOT_SYSTEM, SYSTEM_POWER_OFF);
	exit(1);
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *name)
{
	qsort(samples, ITERATIONS, sizeof samples[0], cmp);
	printf("BENCH %s %llu %llu %llu %d\n", name, (unsigned long long)samples[ITERATIONS / 2],
	       (unsigned long long)samples[0], (unsigned long long)samples[ITERATIONS - 1], ITERATIONS);
}

/* The cheapest trip into the kernel and back: a zero-length debug write. */
static void bench_null_syscall(void)
{
	for (int i = -WARMUP; i < ITERATIONS; i++) {
		uint64_t t0 = rdinstret();
		sys_debug_write("", 0);
		uint64_t t1 = rdinstret();
		if (i >= 0)
			samples[i] = t1 - t0;
	}
	report("null_syscall");
}

static void echo_server(uint64_t ep)
{
	struct sysret r = sys_recv(ep);
	for (;;)
		r = sys_replyrecv(ep, MSGINFO(0, 0, 1), r.mr[0], 0, 0, 0);
}

/* Call + ReplyRecv with a one-word message, server waiting. */
static void bench_roundtrip(const char *name, int cross_as)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	if (cross_as)
		child_start_cross_as(&c, echo_server, ep, TEST_PRIO, 0);
	else
		child_start(&c, echo_server, ep, TEST_PRIO, 0);
	sys_yield();   /* let the server block in Recv */
	for (int i = -WARMUP; i < ITERATIONS; i++) {
		uint64_t t0 = rdinstret();
		struct sysret r = sys_call(ep, MSGINFO(0, 0, 1), (uint64_t)i, 0, 0, 0);
		uint64_t t1 = rdinstret();
		CHECK_EQ(r.mr[0], (uint64_t)i);
		if (i >= 0)
			samples[i] = t1 - t0;
	}
	report(name);
	env_reset();
}

int main(uint64_t arg)
{
	env_init((const struct bootinfo *)arg);
	tcb_set_priority(SLOT_TCB, SLOT_TCB, TEST_PRIO, 255);
	printf("kbench: start\n");
	bench_null_syscall();
	bench_roundtrip("ipc_roundtrip_same_as", 0);
	bench_roundtrip("ipc_roundtrip_cross_as", 1);
	printf("kbench: done\n");
	fflush(stdout);
	INVOKE0(SLOT_SYSTEM, SYSTEM_POWER_OFF);
	return 0;
}
