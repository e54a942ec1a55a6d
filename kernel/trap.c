/* Traps from user mode: syscalls, interrupts, and faults turned into
 * fault messages. Also the lazy switching of floating-point state: a
 * thread's first FP instruction after another thread used the FPU traps
 * (FS is off), and only then are the registers swapped. */
#include "kernel.h"

static int fp_claim(struct tcb *t)
{
	if ((csr_read(sstatus) & SSTATUS_FS) || fp_owner == t)
		return 0;   /* FPU was on: a genuine illegal instruction */
	set_fs(SSTATUS_FS_CLEAN);
	if (fp_owner)
		fp_save(fp_owner);
	fp_load(t);
	fp_owner = t;
	return 1;
}

void fault_raise(struct tcb *t, uint64_t type, uint64_t addr, uint64_t cause)
{
	t->fault_type = type;
	t->fault_addr = addr;
	t->fault_cause = cause;
	if (t->fault_ep) {
		ep_fault(t);
		return;
	}
	printk("kernel: thread '%s' fault %lu at pc %lx addr %lx: suspended\n",
	       t->name, type, t->regs[0], addr);
	sched_block(t, TS_INACTIVE);
}

static uint64_t fault_type(uint64_t cause)
{
	switch (cause) {
	case EXC_INST_PAGE: case EXC_INST_ACCESS: return FAULT_VM_EXEC;
	case EXC_LOAD_PAGE: case EXC_LOAD_ACCESS: return FAULT_VM_READ;
	case EXC_STORE_PAGE: case EXC_STORE_ACCESS: return FAULT_VM_WRITE;
	case EXC_ILLEGAL: return FAULT_ILLEGAL;
	case EXC_BREAKPOINT: return FAULT_BREAKPOINT;
	default: return FAULT_MISALIGNED;
	}
}

uint64_t *trap_user(void)
{
	uint64_t cause = csr_read(scause);
	if (cause & SCAUSE_INTERRUPT) {
		if ((cause & 0xff) == IRQ_S_TIMER)
			timer_interrupt();
		else if ((cause & 0xff) == IRQ_S_EXTERNAL)
			irq_handle();
	} else if (cause == EXC_ECALL_U) {
		syscall_handle();
	} else if (!(cause == EXC_ILLEGAL && fp_claim(current))) {
		fault_raise(current, fault_type(cause), csr_read(stval), cause);
	}
	schedule();
	return trap_resume();
}

void kernel_fault(void)
{
	printk("kernel trap: scause %lx sepc %lx stval %lx\n",
	       csr_read(scause), csr_read(sepc), csr_read(stval));
	panic("trap in kernel mode", __FILE__, __LINE__);
}
