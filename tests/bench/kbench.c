/* Kernel micro-benchmarks. Run under QEMU with -icount shift=0, where
 * rdinstret counts guest instructions exactly (user, kernel and firmware
 * alike). Each benchmark discards a warm-up, then times ITERATIONS runs of
 * one operation and prints, for tests/run_bench.py,
 *
 *   BENCH name median min max iterations          one sample per operation
 *   BENCH name median min max iterations batch    a sample is the mean over
 *                                                 a batch of `batch` operations
 *   BENCH_FASTPATH name hits iterations           IPCs the kernel's fastpath
 *                                                 completed in the timed loop
 *
 * An operation that fails stops the run (BENCH-FAILED, no figure). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "env.h"
#include "xfer_env.h"
#include "../../include/abi/trace.h"

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

/* IPCs the fastpath completed during the timed runs of the last MEASURE:
 * a round trip that takes it counts two (the Call and the ReplyRecv). */
static uint64_t measured_hits;

static void report_fastpath(const char *name)
{
	printf("BENCH_FASTPATH %s %llu %d\n", name, (unsigned long long)measured_hits, ITERATIONS);
}

/* Time `op`, an expression giving an enum err, ITERATIONS times after
 * WARMUP, into samples[]; then run `check` (outside the timing). A failed
 * op stops the benchmark: a figure for a call that failed would time the
 * error path. */
#define MEASURE(op, check)                                                      \
	do {                                                                    \
		uint64_t hits0 = 0;                                             \
		for (int i = -WARMUP; i < ITERATIONS; i++) {                    \
			if (i == 0)                                             \
				hits0 = fastpath_hits();                        \
			uint64_t t0 = rdinstret();                              \
			enum err e_ = (op);                                     \
			uint64_t t1 = rdinstret();                              \
			if (e_)                                                 \
				ktest_fail(__FILE__, __LINE__, "%s (run %d) gave '%s'", #op, i, \
					   err_name(e_));                       \
			check;                                                  \
			if (i >= 0)                                             \
				samples[i] = t1 - t0;                           \
		}                                                               \
		measured_hits = fastpath_hits() - hits0;                        \
	} while (0)

/* The cheapest trip into the kernel and back: a zero-length debug write. */
static void bench_null_syscall(void)
{
	MEASURE(sys_debug_write(SLOT_SYSTEM, "", 0), );
	report("null_syscall");
}

/* A server that answers every call with a message as long as the call. */
static void echo_server(uint64_t ep)
{
	struct sysret r = sys_recv(ep);
	while (!r.err)   /* until the benchmark deletes the endpoint */
		r = sys_replyrecv(ep, MSGINFO(0, 0, MSGINFO_LEN(r.info)), r.mr[0], r.mr[1], r.mr[2], r.mr[3]);
}

/* Call + ReplyRecv, server waiting, `words` message words each way. */
static void bench_roundtrip(const char *name, int cross_as, uint64_t words)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	if (cross_as)
		child_start_cross_as(&c, echo_server, ep, TEST_PRIO, 0);
	else
		child_start(&c, echo_server, ep, TEST_PRIO, 0);
	sys_yield();   /* let the server block in Recv */
	struct sysret r;
	MEASURE((enum err)(r = sys_call(ep, MSGINFO(0, 0, words), (uint64_t)i, 0, 0, 0)).err,
		CHECK_EQ(MSGINFO_LEN(r.info), words));
	report(name);
	report_fastpath(name);
	env_reset();
}

/* The round trip again with the kernel's trace recording it (a kernel
 * built with -Dtrace=true; others refuse TRACE_START and print nothing):
 * what tracing costs while on. */
static void bench_roundtrip_traced(void)
{
	cptr_t ring = make(OBJ_TRACE, 0);
	if (INVOKE(ring, TRACE_START, TRACE_CLOCK_INSTRET) == E_OK)
		bench_roundtrip("ipc_roundtrip_cross_as_trace_on", 1, 1);   /* its reset deletes the ring */
	else
		env_reset();
}

/* A capability travels with a one-word call; the server deletes it. */
static void cap_server(uint64_t ep)
{
	__ipcbuf->recv_cnode = SLOT_CNODE;
	__ipcbuf->recv_index = ep + 1;   /* the slot after the endpoint is left free */
	struct sysret r = sys_recv(ep);
	while (!r.err) {
		cnode_delete(SLOT_CNODE, ep + 1);
		r = sys_replyrecv(ep, MSGINFO(0, 0, 1), MSGINFO_CAPS(r.info), 0, 0, 0);
	}
}

static void bench_cap_transfer(void)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), spare = new_slot(), ntfn = make(OBJ_NOTIFICATION, 0);
	struct child c;
	(void)spare;
	child_start_cross_as(&c, cap_server, ep, TEST_PRIO, 0);
	sys_yield();
	__ipcbuf->caps[0] = ntfn;
	struct sysret r;
	MEASURE((enum err)(r = sys_call(ep, MSGINFO(0, 1, 1), 0, 0, 0, 0)).err, CHECK_EQ(r.mr[0], 1));
	report("ipc_cap_transfer");
	report_fastpath("ipc_cap_transfer");
	env_reset();
}

/* Signal in one address space, the waiter wakes in another. */
static void waiter(uint64_t n)
{
	while (!ntfn_wait(n).err)   /* until the notification is deleted */
		;
}

static void bench_notify(void)
{
	cptr_t n = make(OBJ_NOTIFICATION, 0), b = new_slot();
	struct child c;
	CHECK_OK(cnode_mint(SLOT_CNODE, b, SLOT_CNODE, n, RIGHTS_ALL, 1));
	child_start_cross_as(&c, waiter, n, TEST_PRIO + 1, 0);   /* higher: runs at once */
	MEASURE(ntfn_signal(b), );
	report("notify_signal_wait_cross_as");
	env_reset();
}

static void yielder(uint64_t unused)
{
	(void)unused;
	for (;;)
		sys_yield();
}

/* Yield to a thread in another address space, which yields straight back:
 * two context switches a sample. */
static void bench_yield(void)
{
	struct child c;
	child_start_cross_as(&c, yielder, 0, TEST_PRIO, 0);
	MEASURE((enum err)sys_raw(SYS_YIELD, 0, 0, 0, 0, 0, 0).err, );   /* sys_yield, with its error */
	report("context_switch_yield");
	env_reset();
}

static void bench_map_unmap(void)
{
	cptr_t f = make(OBJ_FRAME, 0);
	uint64_t va = new_vaddr(1);
	CHECK_OK(map_frame(f, SLOT_VSPACE, va, RIGHT_READ | RIGHT_WRITE));
	CHECK_OK(frame_unmap(f));
	MEASURE(frame_map(f, SLOT_VSPACE, va, RIGHT_READ | RIGHT_WRITE) ?: frame_unmap(f), );
	report("map_unmap_4k");
	env_reset();
}

/* A thread faults; its handler (us) replies with the next pc; it faults again. */
static void faulter(uint64_t unused)
{
	(void)unused;
	for (;;)
		__asm__ volatile(".option push\n.option norvc\nld t0, 0(zero)\n.option pop" ::: "t0");
}

static void bench_fault(void)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	child_start_cross_as(&c, faulter, 0, TEST_PRIO, ep);
	struct sysret r = sys_recv(ep);
	CHECK_OK(r.err);
	MEASURE((enum err)(r = sys_replyrecv(ep, MSGINFO(0, 0, 1), r.mr[2] + 4, 0, 0, 0)).err,
		CHECK_EQ(r.mr[0], FAULT_VM_READ));
	report("fault_roundtrip");
	report_fastpath("fault_roundtrip");
	env_reset();
}

/* From a device raising its interrupt to the thread waiting for it
 * running: the UART's transmitter-empty interrupt fires as soon as it is
 * enabled; the waiter, in its own address space and at a higher priority,
 * notes the time it woke. */
static volatile uint64_t irq_woke;

static void irq_waiter(uint64_t n)
{
	while (!ntfn_wait(n).err)
		irq_woke = rdinstret();
}

static void bench_irq(void)
{
	cptr_t n = make(OBJ_NOTIFICATION, 0), h;
	volatile uint8_t *uart = uart_with_irq(n, &h);
	struct child c;
	child_start_cross_as(&c, irq_waiter, n, TEST_PRIO + 1, 0);
	for (int i = -WARMUP; i < ITERATIONS; i++) {
		irq_woke = 0;
		uint64_t t0 = rdinstret();
		uart[UART_IER] = 0x02;
		uint64_t woke = irq_woke;
		uart[UART_IER] = 0;
		CHECK_OK(INVOKE0(h, IRQ_HANDLER_ACK));
		CHECK(woke != 0);
		if (i >= 0)
			samples[i] = woke - t0;
	}
	report("irq_to_user");
	CHECK_OK(cnode_delete(SLOT_CNODE, h));
	env_reset();
}

/* The IPC designs (libsys/xfer): a client streams transfers of one size to
 * a server of the same priority. A sample is the cost per transfer over a
 * batch of BATCH transfers and a flush (the ring's batching shows there):
 * BATCHES samples, so the line names BATCHES * BATCH transfers timed in
 * batches of BATCH. The server only takes delivery: what it does with the
 * bytes would cost the same in every design. */
#define BATCH 32
#define BATCHES 32

static void take_delivery(void *ctx, const uint8_t *data, uint64_t len) { (void)ctx, (void)data, (void)len; }

static uint8_t payload[XFER_MAX];

static void bench_design(const struct xfer_design *d)
{
	static struct xfer_pair pair;
	xfer_start(&pair, d, take_delivery, NULL, TEST_PRIO);
	for (uint64_t size = 8; size <= XFER_MAX; size *= 2) {
		for (int b = -2; b < BATCHES; b++) {
			uint64_t t0 = rdinstret();
			for (int i = 0; i < BATCH; i++)
				CHECK_OK(d->send(&pair.client, payload, size));
			if (d->flush)
				CHECK_OK(d->flush(&pair.client));
			uint64_t t1 = rdinstret();
			if (b >= 0)
				samples[b] = (t1 - t0) / BATCH;
		}
		qsort(samples, BATCHES, sizeof samples[0], cmp);
		printf("BENCH xfer_%s_%llu %llu %llu %llu %d %d\n", d->name, (unsigned long long)size,
		       (unsigned long long)samples[BATCHES / 2], (unsigned long long)samples[0],
		       (unsigned long long)samples[BATCHES - 1], BATCHES * BATCH, BATCH);
	}
	env_reset();
}

int main(uint64_t arg)
{
	env_init((const struct bootinfo *)arg);
	tcb_set_priority(SLOT_TCB, SLOT_TCB, TEST_PRIO, 255);
	printf("kbench: start; IPC designs:");
	for (const struct xfer_design *const *d = xfer_designs; *d; d++)
		printf(" %s", (*d)->name);
	printf("\n");
	bench_null_syscall();
	bench_roundtrip("ipc_roundtrip_same_as", 0, 1);
	bench_roundtrip("ipc_roundtrip_cross_as", 1, 1);
	bench_roundtrip("ipc_roundtrip_0_words", 1, 0);
	bench_roundtrip("ipc_roundtrip_1_words", 1, 1);
	bench_roundtrip("ipc_roundtrip_2_words", 1, 2);
	bench_roundtrip("ipc_roundtrip_4_words", 1, 4);
	bench_roundtrip("ipc_roundtrip_8_words", 1, 8);
	bench_roundtrip("ipc_roundtrip_16_words", 1, 16);
	bench_roundtrip("ipc_roundtrip_32_words", 1, 32);
	bench_roundtrip("ipc_roundtrip_64_words", 1, MSG_MAX_WORDS);
	bench_roundtrip_traced();
	bench_cap_transfer();
	bench_notify();
	bench_yield();
	bench_map_unmap();
	bench_fault();
	bench_irq();
	for (const struct xfer_design *const *d = xfer_designs; *d; d++)
		bench_design(*d);
	printf("kbench: done\n");
	fflush(stdout);
	INVOKE0(SLOT_SYSTEM, SYSTEM_POWER_OFF);
	return 0;
}
