/* The fuzz campaign task (./do.sh fuzz): the root task of kernel-fuzz.elf.
 * Its parameters come on the kernel command line (QEMU -append), found in
 * the device tree: "iterations=N seed=S". It prints progress lines and,
 * at the end, its counts and (on a coverage kernel) the kernel's coverage
 * bitmap, then "fuzz: done", for tests/run_fuzz.py. A harness failure
 * prints "fuzz: harness failure" and never "fuzz: done". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzzer.h"

#define ROUND_CALLS 1000

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	printf("fuzz: harness failure %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	INVOKE0(SLOT_SYSTEM, SYSTEM_POWER_OFF);
	exit(1);
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

/* /chosen/bootargs from the flattened device tree, or "". */
static const char *bootargs(const uint8_t *fdt)
{
	const uint8_t *tok = fdt + be32(fdt + 8);
	const char *strings = (const char *)fdt + be32(fdt + 12);
	int depth = 0, in_chosen = 0;
	for (;;) {
		uint32_t t = be32(tok);
		tok += 4;
		if (t == 1) {   /* begin node */
			const char *name = (const char *)tok;
			depth++;
			in_chosen = depth == 2 && !strcmp(name, "chosen");
			tok += (strlen(name) + 4) & ~3u;
		} else if (t == 2) {
			depth--;
			in_chosen = 0;
		} else if (t == 3) {
			uint32_t len = be32(tok), off = be32(tok + 4);
			if (in_chosen && !strcmp(strings + off, "bootargs"))
				return (const char *)tok + 8;
			tok += 8 + ((len + 3) & ~3u);
		} else if (t != 4) {
			return "";
		}
	}
}

static uint64_t arg_value(const char *args, const char *key, uint64_t dflt)
{
	const char *p = strstr(args, key);
	return p ? strtoull(p + strlen(key), NULL, 0) : dflt;
}

int main(uint64_t arg)
{
	static struct fuzz_stats st;
	env_init((const struct bootinfo *)arg);
	tcb_set_priority(SLOT_TCB, SLOT_TCB, TEST_PRIO, 255);
	const char *args = bootargs((const uint8_t *)bi->dtb_vaddr);
	uint64_t iterations = arg_value(args, "iterations=", 100000), seed = arg_value(args, "seed=", 1);
	uint64_t threads = thread_count(), state = seed ? seed : 1, next_report = 0;
	printf("fuzz: iterations %llu seed %llu\n", (unsigned long long)iterations, (unsigned long long)seed);
	if (arg_value(args, "known=", 0)) {   /* the known holes, played straight: does the oracle see them? */
		for (uint64_t k = 1; k <= 2; k++)
			printf("fuzz: known hole %llu stale %llu\n", (unsigned long long)k,
			       (unsigned long long)fuzz_known(k, &st));
		iterations = 0;
	}
	while (st.calls < iterations) {
		uint64_t left = iterations - st.calls;
		fuzz_round(fuzz_rng(&state), left < ROUND_CALLS ? left : ROUND_CALLS, &st);
		if (thread_count() != threads)
			st.invariant_failures++;   /* a round's thread outlived its memory */
		if (st.calls >= next_report) {
			printf("fuzz: progress %llu\n", (unsigned long long)st.calls);
			next_report += iterations / 100 + 1;
		}
	}
	printf("fuzz: calls %llu rounds %llu invariant_failures %llu\n", (unsigned long long)st.calls,
	       (unsigned long long)st.rounds, (unsigned long long)st.invariant_failures);
	printf("fuzz: oracle probes %llu stale %llu first_stale_call %llu\n", (unsigned long long)st.probes,
	       (unsigned long long)st.stale_mappings, (unsigned long long)st.first_stale_call);
	printf("fuzz: coverage points %llu corpus %llu\n", (unsigned long long)st.coverage,
	       (unsigned long long)st.corpus);
	for (unsigned e = 0; e <= E_COUNT; e++)
		if (st.errors[e])
			printf("fuzz: error %s %llu\n", e < E_COUNT ? err_name(e) : "no code (fault)",
			       (unsigned long long)st.errors[e]);
	fflush(stdout);
	if (st.coverage)
		CHECK_OK(INVOKE(SLOT_SYSTEM, SYSTEM_COVERAGE, 1));   /* the bitmap, on the kernel console */
	printf("fuzz: done\n");
	fflush(stdout);
	INVOKE0(SLOT_SYSTEM, SYSTEM_POWER_OFF);
	return 0;
}
