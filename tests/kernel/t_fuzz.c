/* The fuzzer's smoke run: 100,000 random syscalls and invocations with a
 * fixed seed (the full campaigns are ./do.sh fuzz). The kernel must stay
 * up, consistent, and give back every thread the rounds made. */
#include "harness.h"
#include "fuzzer.h"

#define SMOKE_CALLS 100000
#define ROUND_CALLS 1000

TEST(fuzz_random_invocations)
{
	static struct fuzz_stats st;
	uint64_t threads = thread_count(), seed = 0x5eed;
	for (int r = 0; st.calls < SMOKE_CALLS && r < 1000; r++) {
		fuzz_round(fuzz_rng(&seed), ROUND_CALLS, &st);
		CHECK_EQ(thread_count(), threads);
	}
	printf("ktest: fuzz made %llu calls in %llu rounds, %llu errors\n", (unsigned long long)st.calls,
	       (unsigned long long)st.rounds, (unsigned long long)(st.calls - st.errors[E_OK]));
	CHECK_EQ(st.invariant_failures, 0);
	CHECK(st.calls >= SMOKE_CALLS);
}
