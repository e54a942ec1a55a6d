/* The syscalls that are not IPC, and the kernel's own consistency. */
#include <string.h>
#include "harness.h"

TEST(debug_write_prints)
{
	static const char msg[] = "ktest: debug write works\n";
	CHECK_OK(sys_debug_write(msg, sizeof msg - 1));
}

TEST(debug_write_bad_pointers)
{
	CHECK_ERR(sys_debug_write((void *)0xFFFFFFC080200000ULL, 4), E_BAD_ADDRESS);  /* kernel */
	CHECK_ERR(sys_debug_write((void *)0x3000000000ULL, 4), E_BAD_ADDRESS);        /* unmapped */
	CHECK_ERR(sys_debug_write((void *)0, 1), E_BAD_ADDRESS);                      /* null */
	CHECK_ERR(sys_debug_write("x", 1 << 20), E_RANGE);
	CHECK_ERR(sys_debug_write((void *)(USER_TOP - 2), 4), E_BAD_ADDRESS);       /* wraps out */
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
