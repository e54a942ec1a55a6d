/* The kernel test harness: tests run one after another in the test task,
 * each with a fresh pool of untyped memory, fresh slots and a fresh area
 * of virtual addresses; whatever a test made is destroyed after it. */
#ifndef KTEST_HARNESS_H
#define KTEST_HARNESS_H

#include "env.h"

struct ktest {
	const char *name;
	void (*fn)(void);
};

#define TEST(n)                                                              \
	static void test_##n(void);                                          \
	static const struct ktest ktest_##n                                  \
		__attribute__((section("ktests"), used, aligned(8))) = { #n, test_##n }; \
	static void test_##n(void)

#endif
