/* What rdinstret and rdtime count on this machine, so that the shell
 * names a figure for what it measures (uptime, conbench, fsbench):
 *
 *   QEMU -icount shift=0   rdinstret, rdcycle and rdtime are one clock,
 *                          QEMU's virtual time: 1 ns for each instruction
 *                          run, and while the hart sleeps (wfi, waiting for
 *                          the disk, for input) the host's time. A count
 *                          over a stretch with sleep in it is therefore an
 *                          upper bound on the instructions ("at most").
 *   QEMU without -icount   rdinstret returns host ticks; rdtime follows the
 *                          host's clock: wall-clock time
 *   hardware               both count what their names say
 *
 * Neither the kernel nor the boot info says which, so we find out: a loop
 * of 2n + 1 instructions retires exactly 2n more when n grows by n only if
 * rdinstret counts instructions (host ticks never add up to the same
 * figure twice), and when it does, rdtime keeping pace with it at 1 ns an
 * instruction means the two are QEMU's one virtual clock (-icount). */
#include "shell.h"

#define LOOP 20000

struct loop_count { uint64_t instret, ticks; };

/* rdinstret and rdtime across `n` turns of a two-instruction loop. */
static struct loop_count run_loop(uint64_t n)
{
	uint64_t i0, i1, t0, t1;
	__asm__ volatile("rdtime %2\n\trdinstret %0\n"
			 "1:\taddi %4, %4, -1\n\tbnez %4, 1b\n\t"
			 "rdinstret %1\n\trdtime %3"
			 : "=&r"(i0), "=&r"(i1), "=&r"(t0), "=&r"(t1), "+r"(n));
	return (struct loop_count){ i1 - i0, t1 - t0 };
}

/* One try: the loop of n, 2n and 3n turns; a timer interrupt in the middle
 * spoils it (the kernel's instructions count too). */
static int try_counts(struct loop_count *longest)
{
	struct loop_count a = run_loop(LOOP), b = run_loop(2 * LOOP), c = run_loop(3 * LOOP);
	*longest = c;
	return b.instret - a.instret == 2 * LOOP && c.instret - b.instret == 2 * LOOP;
}

static int probed, flags;

int counters(void)
{
	struct loop_count c;
	if (probed)
		return flags;
	probed = 1;
	flags = COUNTS_WALL_TIME;
	for (int i = 0; i < 3; i++)
		if (try_counts(&c)) {
			uint64_t ns = c.ticks * 1000000000 / libsys_timebase_hz, slack = c.instret / 50;
			int one_clock = ns + slack >= c.instret && ns <= c.instret + slack;
			flags = COUNTS_INSTRUCTIONS | (one_clock ? INSTRET_COUNTS_SLEEP : COUNTS_WALL_TIME);
			break;
		}
	return flags;
}

/* What counters() found, in words, for a figure's label. */
const char *counters_name(void)
{
	switch (counters()) {
	case COUNTS_INSTRUCTIONS | INSTRET_COUNTS_SLEEP:
		return "-icount: guest time, 1 ns an instruction, the hart's sleep counted too";
	case COUNTS_WALL_TIME: return "wall clock by rdtime; rdinstret counts no instructions here";
	default: return "wall clock by rdtime";
	}
}

/* "" or "at most ": what a count of rdinstret over a stretch that may
 * have slept is, in instructions. */
const char *instructions_bound(void)
{
	return counters() & INSTRET_COUNTS_SLEEP ? "at most " : "";
}
