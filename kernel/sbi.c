/* Calls into OpenSBI: the kernel's console, its timer and power-off (QEMU
 * exits 0). A panic does not end here: see panic() in printk.c. */
#include "kernel.h"

struct sbiret { long error, value; };

static struct sbiret sbi_call(long eid, long fid, uint64_t a0, uint64_t a1)
{
	register uint64_t r0 __asm__("a0") = a0;
	register uint64_t r1 __asm__("a1") = a1;
	register long r6 __asm__("a6") = fid;
	register long r7 __asm__("a7") = eid;
	__asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r6), "r"(r7) : "memory");
	return (struct sbiret){ (long)r0, (long)r1 };
}

#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_TIME 0x54494D45
#define SBI_EXT_SRST 0x53525354

void sbi_putchar(char c) { sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, (uint8_t)c, 0); }

void sbi_set_timer(uint64_t when) { sbi_call(SBI_EXT_TIME, 0, when, 0); }

void sbi_shutdown(void)
{
	sbi_call(SBI_EXT_SRST, 0, 0, 0);
	for (;;)
		wfi();
}
