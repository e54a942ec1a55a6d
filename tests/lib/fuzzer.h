/* The syscall fuzzer, shared by the kernel test suite (a short smoke run)
 * and the fuzz campaign image (./do.sh fuzz). A round gives a fuzz thread
 * a CSpace of its own holding random objects, lets it make random
 * syscalls and invocations with random slots, labels, lengths and
 * pointers, deletes some of its objects under it, then destroys it all
 * and checks the kernel's invariants. */
#ifndef TESTS_FUZZER_H
#define TESTS_FUZZER_H

#include "env.h"

struct fuzz_stats {
	uint64_t calls;
	uint64_t errors[E_COUNT + 1];   /* by code; the last counts codes out of range */
	uint64_t invariant_failures;
	uint64_t rounds;
};

uint64_t fuzz_rng(uint64_t *state);
/* One round of up to `calls` calls from a fresh fuzz thread; adds to st. */
void fuzz_round(uint64_t seed, uint64_t calls, struct fuzz_stats *st);

#endif
