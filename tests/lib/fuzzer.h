/* The syscall fuzzer, shared by the kernel test suite (a short smoke run)
 * and the fuzz campaign image (./do.sh fuzz).
 *
 * A round gives a fuzz thread a CSpace of its own (its TCB, CNode,
 * VSpace, an untyped, IRQ control and a few objects) and lets it run
 * programs: short sequences of calls that name the objects it made,
 * kept in a table (slot, type, where a frame or page table is mapped), so
 * that map, unmap, delete, revoke and retype of VSpaces, page tables,
 * frames and untyped meet in every order, with IPC (and caps) to helper
 * threads, TCB and notification calls, timers and IRQs in between; some
 * calls stay fully random. On a kernel built for coverage, programs that
 * reach new kernel code are kept and mutated. After the round the fuzzer
 * runs the kernel self-check, destroys everything and checks again. */
#ifndef TESTS_FUZZER_H
#define TESTS_FUZZER_H

#include "env.h"

struct fuzz_stats {
	uint64_t calls;
	uint64_t errors[E_COUNT + 1];   /* by code; the last counts codes out of range */
	uint64_t invariant_failures;    /* the kernel's self-check, and the fuzzer's own oracle */
	uint64_t stale_mappings;        /* oracle: memory readable where no cap maps any */
	uint64_t first_stale_call;      /* calls made before the first one was seen (0: none) */
	uint64_t probes;                /* loads the oracle made in window B */
	uint64_t rounds;
	uint64_t corpus;                /* programs kept for reaching new kernel code */
	uint64_t coverage;              /* distinct kernel code points reached (coverage build) */
};

uint64_t fuzz_rng(uint64_t *state);
/* One round of about `calls` calls from a fresh fuzz thread; adds to st. */
void fuzz_round(uint64_t seed, uint64_t calls, struct fuzz_stats *st);
/* Play a known hole straight, in a round of its own (1: a page table that
 * outlives its VSpace keeps its entries, issue 10; 2: a copy of a mapped
 * page table's cap maps the table a second time) and probe for it: the
 * stale mappings the oracle saw (0 on a kernel without the hole). */
uint64_t fuzz_known(uint64_t which, struct fuzz_stats *st);
/* Distinct kernel code points reached so far; 0 on a kernel without coverage. */
uint64_t fuzz_coverage(void);

#endif
