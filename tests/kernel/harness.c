/* Runs every TEST() in link order and prints TAP-like lines for
 * tests/run_tests.py: first the plan (the count, then every name), then
 * "ok - name" or "not ok - name: why" for each. A test passes if it, the
 * kernel self-check on what it left, the reset after it (env_reset) and
 * the self-check after that reset all succeed: the first sees the test's
 * objects alive, the second after they died, where leftovers show. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include "harness.h"

extern const struct ktest __start_ktests[], __stop_ktests[];

static jmp_buf on_fail;
static char why[256];
static volatile int child_failed;

/* The main thread's IPC buffer is the root task's; a child's is its own. */
static int on_main_thread(void) { return __ipcbuf == (struct ipc_buffer *)ROOT_IPCBUF_VADDR; }

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	if (!why[0]) {   /* the first failure says why */
		int n = snprintf(why, sizeof why, "%s%s:%d: ", on_main_thread() ? "" : "in a child thread: ", file,
				 line);
		va_start(ap, fmt);
		vsnprintf(why + n, sizeof why - n, fmt, ap);
		va_end(ap);
	}
	if (on_main_thread())
		longjmp(on_fail, 1);
	/* A child cannot jump to the main thread's stack: it records why and
	 * stops itself with a fault (no handler: the kernel suspends it); the
	 * main thread reports the failure when the test returns. */
	child_failed = 1;
	__builtin_trap();
}

/* Runs fn; returns whether it got through without a failed CHECK. */
static int guarded(void (*fn)(void))
{
	if (setjmp(on_fail) != 0)
		return 0;
	fn();
	return 1;
}

static void check_kernel(void)
{
	if (self_check() != 0)
		ktest_fail(__FILE__, __LINE__, "kernel self-check failed after the test (see the console)");
}

int main(uint64_t arg)
{
	env_init((const struct bootinfo *)arg);
	tcb_set_priority(SLOT_TCB, SLOT_TCB, TEST_PRIO, 255);
	unsigned count = __stop_ktests - __start_ktests, passed = 0;
	printf("ktest: plan %u\n", count);
	for (const struct ktest *t = __start_ktests; t < __stop_ktests; t++)
		printf("ktest: test %s\n", t->name);
	for (const struct ktest *t = __start_ktests; t < __stop_ktests; t++) {
		printf("ktest: run %s\n", t->name);
		child_failed = 0;
		why[0] = 0;
		int ok = guarded(t->fn) && !child_failed && guarded(check_kernel);
		int after = guarded(env_reset) && guarded(check_kernel);
		if (ok && after) {
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
