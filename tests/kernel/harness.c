/* Runs every TEST() in link order and prints TAP-like lines for
 * tests/run_tests.py: "ok - name" or "not ok - name: why". */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include "harness.h"

extern const struct ktest __start_ktests[], __stop_ktests[];

static jmp_buf on_fail;
static char why[256];

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(why, sizeof why, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vsnprintf(why + n, sizeof why - n, fmt, ap);
	va_end(ap);
	longjmp(on_fail, 1);
}

int main(uint64_t arg)
{
	env_init((const struct bootinfo *)arg);
	tcb_set_priority(SLOT_TCB, SLOT_TCB, TEST_PRIO, 255);
	unsigned count = __stop_ktests - __start_ktests, passed = 0;
	printf("ktest: plan %u\n", count);
	for (const struct ktest *t = __start_ktests; t < __stop_ktests; t++) {
		volatile int ok = 1;
		printf("ktest: run %s\n", t->name);
		if (setjmp(on_fail) == 0) {
			t->fn();
			if (self_check() != 0) {
				snprintf(why, sizeof why, "kernel self-check failed after the test");
				ok = 0;
			}
		} else {
			ok = 0;
		}
		env_reset();
		if (ok) {
			passed++;
			printf("ok - %s\n", t->name);
		} else {
			printf("not ok - %s: %s\n", t->name, why);
		}
	}
	printf("ktest: %u of %u passed\nktest: done\n", passed, count);
	fflush(stdout);
	INVOKE0(SLOT_SYSTEM, SYSTEM_POWER_OFF);
	return 0;
}
