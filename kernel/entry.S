/* Boot entry and the trap path.
 *
 * OpenSBI jumps to _start at physical 0x80200000 with the MMU off (a0 =
 * hart id, a1 = device tree). We turn on Sv39 with kernel_root, which
 * maps RAM both where we run now and in the kernel window at KERNEL_BASE,
 * then jump to our link address in the window.
 *
 * While a user thread runs, sscratch holds the address of its saved
 * registers (tcb->regs); while the kernel runs it holds 0, so a trap taken
 * in the kernel is told apart from one taken in user mode. */

#define PTE_KERNEL 0xEF   /* V R W X G A D: global kernel gigapage */
#define PTE_BOOT   0xCF   /* V R W X A D: identity, only to get going */
#define REG(n) (8 * (n))
#define SYS_CALL 1        /* include/abi/syscall.h */
#define SYS_REPLYRECV 7

	.section .text.boot, "ax"
	.globl _start
_start:
	lla t0, kernel_root
	srli t0, t0, 12
	li t1, 8 << 60
	or t0, t0, t1
	csrw satp, t0
	sfence.vma
	lla t0, high_entry
	ld t0, 0(t0)
	jr t0

	.section .text
start_high:
	lla sp, boot_stack_top
	csrw sscratch, zero
	lla t0, trap_entry
	csrw stvec, t0
	call kmain
1:	wfi
	j 1b

	.balign 4
	.globl trap_entry
trap_entry:
	csrrw t6, sscratch, t6
	beqz t6, kernel_trap
	sd x1, REG(1)(t6)
	sd x2, REG(2)(t6)
	sd x3, REG(3)(t6)
	sd x4, REG(4)(t6)
	sd x5, REG(5)(t6)
	sd x6, REG(6)(t6)
	sd x7, REG(7)(t6)
	sd x8, REG(8)(t6)
	sd x9, REG(9)(t6)
	sd x10, REG(10)(t6)
	sd x11, REG(11)(t6)
	sd x12, REG(12)(t6)
	sd x13, REG(13)(t6)
	sd x14, REG(14)(t6)
	sd x15, REG(15)(t6)
	sd x16, REG(16)(t6)
	sd x17, REG(17)(t6)
	sd x18, REG(18)(t6)
	sd x19, REG(19)(t6)
	sd x20, REG(20)(t6)
	sd x21, REG(21)(t6)
	sd x22, REG(22)(t6)
	sd x23, REG(23)(t6)
	sd x24, REG(24)(t6)
	sd x25, REG(25)(t6)
	sd x26, REG(26)(t6)
	sd x27, REG(27)(t6)
	sd x28, REG(28)(t6)
	sd x29, REG(29)(t6)
	sd x30, REG(30)(t6)
	csrr t5, sscratch
	sd t5, REG(31)(t6)
	csrr t5, sepc
	sd t5, REG(0)(t6)
	csrw sscratch, zero
	lla sp, kernel_stack_top
#ifdef CONFIG_FASTPATH
	csrr t5, scause       /* Call or ReplyRecv: try the fastpath */
	li t4, 8              /* ecall from U-mode */
	bne t5, t4, 2f
	mv a0, t6
	li t4, SYS_CALL
	beq a7, t4, 1f
	li t4, SYS_REPLYRECV
	bne a7, t4, 2f
	call fastpath_reply_recv
	bnez a0, user_return
	j 2f
1:	call fastpath_call
	bnez a0, user_return
2:
#endif
	call trap_user        /* returns the registers of the thread to run */
	/* fall through */

	.globl user_return
user_return:
	csrw sscratch, a0
	ld t5, REG(0)(a0)
	csrw sepc, t5
	mv t6, a0
	ld x1, REG(1)(t6)
	ld x2, REG(2)(t6)
	ld x3, REG(3)(t6)
	ld x4, REG(4)(t6)
	ld x5, REG(5)(t6)
	ld x6, REG(6)(t6)
	ld x7, REG(7)(t6)
	ld x8, REG(8)(t6)
	ld x9, REG(9)(t6)
	ld x10, REG(10)(t6)
	ld x11, REG(11)(t6)
	ld x12, REG(12)(t6)
	ld x13, REG(13)(t6)
	ld x14, REG(14)(t6)
	ld x15, REG(15)(t6)
	ld x16, REG(16)(t6)
	ld x17, REG(17)(t6)
	ld x18, REG(18)(t6)
	ld x19, REG(19)(t6)
	ld x20, REG(20)(t6)
	ld x21, REG(21)(t6)
	ld x22, REG(22)(t6)
	ld x23, REG(23)(t6)
	ld x24, REG(24)(t6)
	ld x25, REG(25)(t6)
	ld x26, REG(26)(t6)
	ld x27, REG(27)(t6)
	ld x28, REG(28)(t6)
	ld x29, REG(29)(t6)
	ld x30, REG(30)(t6)
	ld x31, REG(31)(t6)
	sret

kernel_trap:
	csrrw t6, sscratch, t6
	call kernel_fault

	.section .rodata
	.balign 8
high_entry:
	.quad start_high

	.section .data
	.balign 4096
	.globl kernel_root
kernel_root:
	.quad 0, 0
	.quad (0x80000000 >> 2) | PTE_BOOT
	.fill 253, 8, 0
	.quad (0x00000000 >> 2) | PTE_KERNEL
	.quad (0x40000000 >> 2) | PTE_KERNEL
	.quad (0x80000000 >> 2) | PTE_KERNEL
	.quad (0xC0000000 >> 2) | PTE_KERNEL
	.fill 252, 8, 0

	.section .bss
	.balign 16
	.space 16384
boot_stack_top:
	.space 16384
	.globl kernel_stack_top
kernel_stack_top:
