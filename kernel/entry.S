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
#include "../include/abi/syscall.h"

#define REG(n) (8 * (n))
#define SYS_CALL ABI_IPC_FIRST
#define SYS_REPLYRECV ABI_IPC_LAST
#define EXC_ECALL_U 8
/* What the IPC path leaves unsaved: what it may clobber, and a6 (a result). */
#define IPC_UNSAVED (ABI_IPC_CLOBBERS|(1<<16))

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

/* Store (op sd) or load (op ld) x1..x30 at tcb->regs, t6 pointing there,
 * but for the registers in mask. */
.macro regs op, mask
	.irp n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
	.if (((\mask) >> \n) & 1) == 0
	\op x\n, REG(\n)(t6)
	.endif
	.endr
.endm

/* The pc saved, sscratch marks kernel mode, the kernel stack. */
.macro enter_kernel
	csrr t5, sepc
	sd t5, REG(0)(t6)
	csrw sscratch, zero
	lla sp, kernel_stack_top
.endm

/* An ecall of Call or ReplyRecv tries the fastpath, which returns the
 * registers of the thread to run, or 0 for the general path. */
.macro try_fastpath
#ifdef CONFIG_FASTPATH
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
.endm

	.balign 4
	.globl trap_entry
trap_entry:
	csrrw t6, sscratch, t6
	beqz t6, kernel_trap
#ifdef CONFIG_CLOBBER_ABI
	/* An IPC syscall may clobber t0..t6 (include/abi/syscall.h): they are
	 * not saved, nor a6, which is a result and never an argument. Their
	 * slots keep what the thread last had saved there, so they come back
	 * holding its own values and nothing of anyone else's. */
	sd t5, REG(30)(t6)
	csrr t5, scause
	addi t5, t5, -EXC_ECALL_U
	bnez t5, save_all
	addi t5, a7, -ABI_IPC_FIRST
	sltiu t5, t5, ABI_IPC_LAST - ABI_IPC_FIRST + 1
	beqz t5, save_all
	regs sd, IPC_UNSAVED
	enter_kernel
	try_fastpath
	j general
save_all:
	regs sd, (1<<30)          /* t5 is saved */
#else
	regs sd, 0
#endif
	csrr t5, sscratch
	sd t5, REG(31)(t6)
	enter_kernel
#ifndef CONFIG_CLOBBER_ABI
	csrr t5, scause
	li t4, EXC_ECALL_U
	bne t5, t4, general
	try_fastpath
#endif
general:
	call trap_user        /* returns the registers of the thread to run */
	/* fall through */

	.globl user_return
user_return:
	csrw sscratch, a0
	ld t5, REG(0)(a0)
	csrw sepc, t5
	mv t6, a0
	regs ld, 0
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
