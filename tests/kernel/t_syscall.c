/* The syscalls that are not IPC, and the kernel's own consistency. */
#include <string.h>
#include "harness.h"

TEST(debug_write_prints)
{
	static const char msg[] = "ktest: debug write works\n";
	CHECK_OK(sys_debug_write(SLOT_SYSTEM, msg, sizeof msg - 1));
}

TEST(debug_write_bad_pointers)
{
	CHECK_ERR(sys_debug_write(SLOT_SYSTEM, (void *)0xFFFFFFC080200000ULL, 4), E_BAD_ADDRESS);  /* kernel */
	CHECK_ERR(sys_debug_write(SLOT_SYSTEM, (void *)0x3000000000ULL, 4), E_BAD_ADDRESS);        /* unmapped */
	CHECK_ERR(sys_debug_write(SLOT_SYSTEM, (void *)0, 1), E_BAD_ADDRESS);                      /* null */
	CHECK_ERR(sys_debug_write(SLOT_SYSTEM, "x", 1 << 20), E_RANGE);
	CHECK_ERR(sys_debug_write(SLOT_SYSTEM, (void *)(USER_TOP - 2), 4), E_BAD_ADDRESS);       /* wraps out */
}

/* Text running off its page into the unmapped guard page after it: an
 * error, and (checked whole first) none of it printed. */
TEST(debug_write_across_into_unmapped_fails_whole)
{
	static const char mark[] = "must-not-print";   /* tests/run_tests.py looks for it */
	char *page = new_page(NULL);
	for (int i = 0; i < 4096; i++)
		page[i] = mark[i % (sizeof mark - 1)];
	CHECK_ERR(sys_debug_write(SLOT_SYSTEM, page + 4096 - 200, 300), E_BAD_ADDRESS);
}

TEST(debug_write_needs_the_system_cap)
{
	CHECK_ERR(sys_debug_write(SLOT_TCB, "x", 1), E_INVALID_CAPABILITY);
	CHECK_ERR(sys_debug_write(new_slot(), "x", 1), E_EMPTY_SLOT);
	cptr_t copy = new_slot();
	CHECK_OK(cnode_copy(SLOT_CNODE, copy, SLOT_CNODE, SLOT_SYSTEM, RIGHTS_ALL));
	CHECK_OK(sys_debug_write(copy, "", 0));
}

static volatile uint64_t turns;

static void take_turns(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		turns++;
		sys_yield();
	}
}

/* Yield hands the processor to a thread of the same priority, which runs
 * once per yield of ours; alone, yield comes straight back. */
TEST(yield_gives_way_to_equal_priority)
{
	struct child c;
	turns = 0;
	child_start(&c, take_turns, 1000, TEST_PRIO, 0);
	for (int i = 0; i < 10; i++) {
		uint64_t before = turns;
		sys_yield();
		CHECK(turns > before);
	}
	CHECK_OK(tcb_suspend(c.tcb));
	uint64_t now = turns;
	for (int i = 0; i < 10; i++)
		sys_yield();
	CHECK_EQ(turns, now);
}

TEST(self_check_clean)
{
	CHECK_EQ(self_check(), 0);
}

TEST(system_cap_required_for_power_off)
{
	/* only the system cap powers off: elsewhere the label means nothing */
	CHECK_ERR(INVOKE0(SLOT_TCB, SYSTEM_POWER_OFF), E_ILLEGAL_OPERATION);
}
