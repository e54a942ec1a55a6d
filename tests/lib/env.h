/* The environment test and benchmark tasks build on: a pool of untyped
 * memory, slots and virtual addresses handed out in order and given back
 * all at once (env_reset), and child threads running the task's own code,
 * in its address space or in a new one. */
#ifndef TESTS_ENV_H
#define TESTS_ENV_H

#include <stdio.h>
#include "sys.h"

/* Supplied by the task: report the failure and never return here. */
void ktest_fail(const char *file, int line, const char *fmt, ...) __attribute__((noreturn));

#define CHECK(c)                                                             \
	do {                                                                 \
		if (!(c))                                                    \
			ktest_fail(__FILE__, __LINE__, "%s", #c);            \
	} while (0)
#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);             \
		if (a_ != b_)                                                \
			ktest_fail(__FILE__, __LINE__, "%s == %llu, want %llu", #a, \
				   (unsigned long long)a_, (unsigned long long)b_); \
	} while (0)
#define CHECK_ERR(expr, want)                                                \
	do {                                                                 \
		uint64_t e_ = (uint64_t)(expr);                              \
		if (e_ != (uint64_t)(want))                                  \
			ktest_fail(__FILE__, __LINE__, "%s gave '%s', want '%s'", #expr, \
				   err_name(e_), err_name(want));            \
	} while (0)
#define CHECK_OK(expr) CHECK_ERR(expr, E_OK)

extern const struct bootinfo *bi;
extern cptr_t pool;          /* this test's untyped memory */

#define TEST_PRIO 100        /* the test task's priority; children default to it */

cptr_t new_slot(void);
cptr_t make(uint64_t type, uint64_t bits);        /* retype one object from the pool */
uint64_t new_vaddr(uint64_t pages);               /* unused address range in our space */
/* Map frame in vspace, making page tables from the pool as needed. */
enum err map_frame(cptr_t frame, cptr_t vspace, uint64_t va, uint64_t rights);
void *new_page(cptr_t *frame);                    /* fresh frame mapped read-write */
struct cnode_info { uint64_t type, bits, rights, data, has_children, paddr; };
struct cnode_info slot_info(cptr_t slot);
cptr_t device_untyped(uint64_t paddr);            /* the device untyped at paddr, or 0 */
#define UART_PADDR 0x10000000ULL
#define UART_IRQ 10
#define UART_IER 1                                /* interrupt-enable register */
volatile uint8_t *uart_with_irq(cptr_t n, cptr_t *handler);
uint64_t self_check(void);
uint64_t thread_count(void);
uint64_t fastpath_hits(void);   /* IPCs the kernel's fastpath completed */
void spin_yield(int times);
/* Yield until cond holds (a few times at most): a timer tick may send us
 * round the ready queue before the thread we wait for has run. */
#define WAIT_FOR(cond) for (int w_ = 0; w_ < 20 && !(cond); w_++) sys_yield()

/* A thread running the test program's code. */
struct child {
	struct thread th;
	cptr_t tcb, vspace, buf_frame;
	struct ipc_buffer *buf;
};
void child_start(struct child *c, void (*fn)(uint64_t), uint64_t arg, uint64_t prio, cptr_t fault_ep);
/* The same, in an address space of its own that maps our image. */
void child_start_cross_as(struct child *c, void (*fn)(uint64_t), uint64_t arg, uint64_t prio,
			  cptr_t fault_ep);
cptr_t new_vspace_with_image(void);
/* The same, but our image is read-only there: for threads that run wild.
 * `c` must lie in a page the test made (new_page), which stays writable. */
void child_start_isolated(struct child *c, void (*fn)(uint64_t), uint64_t arg, uint64_t prio, cptr_t fault_ep);

void env_init(const struct bootinfo *bootinfo);
void env_reset(void);   /* destroy all that was made since env_init or the last reset */

#endif
