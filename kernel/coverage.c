/* Kernel coverage for the syscall fuzzer (docs/fuzzing.md).
 *
 * Built with -Dfuzz_coverage=true, every other kernel C file is compiled
 * with gcc's -fsanitize-coverage=trace-pc: each basic block starts with a
 * call to __sanitizer_cov_trace_pc, which sets the bit of its return
 * address in a fixed bitmap over the kernel's text. This file is not
 * instrumented. The callback runs in trap context on the one hart, with
 * interrupts off; a trap inside it could only be a kernel fault (a
 * panic), and even then the atomic OR loses no bit and counts none twice.
 *
 * SYSTEM_COVERAGE (holder of the system cap): mr0 = 0 answers the number
 * of distinct code points reached; mr0 = 1 prints the bitmap as
 *   kcov: base <address of bit 0>
 *   kcov: <word index> <64 bits, a bit per 2-byte step of text>
 *   kcov: end <count>
 * for tests/run_fuzz.py to map to source lines. */
#include "kernel.h"

#define COV_TEXT_MAX (512 * 1024)   /* bytes of kernel text the bitmap spans */
#define COV_WORDS (COV_TEXT_MAX / 2 / 64)

extern char _kernel_start[];
static uint64_t cov_bits[COV_WORDS];
static uint64_t cov_count;

void __sanitizer_cov_trace_pc(void);

void __sanitizer_cov_trace_pc(void)
{
	uint64_t off = ((uint64_t)__builtin_return_address(0) - (uint64_t)_kernel_start) / 2;
	if (off >= COV_WORDS * 64)
		return;
	uint64_t bit = BIT(off % 64), *w = &cov_bits[off / 64];
	if (*w & bit)
		return;
	if (!(__atomic_fetch_or(w, bit, __ATOMIC_RELAXED) & bit))
		__atomic_fetch_add(&cov_count, 1, __ATOMIC_RELAXED);
}

static void coverage_print(void)
{
	printk("kcov: base %lx\n", (uint64_t)_kernel_start);
	for (uint64_t i = 0; i < COV_WORDS; i++)
		if (cov_bits[i])
			printk("kcov: %lx %lx\n", i, cov_bits[i]);
	printk("kcov: end %lu\n", cov_count);
}

enum err coverage_invoke(uint64_t *mr, uint64_t *nret)
{
	switch (mr[0]) {
	case 0:
		mr[0] = cov_count;
		*nret = 1;
		return E_OK;
	case 1:
		coverage_print();
		return E_OK;
	default:
		return E_INVALID_ARGUMENT;
	}
}
