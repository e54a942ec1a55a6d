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

TEST(debug_write_needs_the_system_cap)
{
	CHECK_ERR(sys_debug_write(SLOT_TCB, "x", 1), E_INVALID_CAPABILITY);
	CHECK_ERR(sys_debug_write(new_slot(), "x", 1), E_EMPTY_SLOT);
	cptr_t copy = new_slot();
	CHECK_OK(cnode_copy(SLOT_CNODE, copy, SLOT_CNODE, SLOT_SYSTEM, RIGHTS_ALL));
	CHECK_OK(sys_debug_write(copy, "", 0));
}

TEST(yield_returns)
{
	for (int i = 0; i < 10; i++)
		sys_yield();
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
