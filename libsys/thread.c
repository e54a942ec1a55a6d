/* Threads in the caller's own address space and CSpace: the TCB must
 * already exist (retyped by the caller). */
#include "sys.h"

extern void __thread_entry(void);

enum err thread_start(struct thread *t, cptr_t tcb, cptr_t ipcbuf_frame, struct ipc_buffer *ipcbuf,
		      void *stack_top, void (*fn)(uint64_t), uint64_t arg)
{
	uint64_t gp, regs[34] = { 1, 32 };
	enum err e;
	__asm__("mv %0, gp" : "=r"(gp));
	t->tcb = tcb;
	t->fn = fn;
	t->arg = arg;
	t->ipcbuf = ipcbuf;
	e = tcb_configure(tcb, SLOT_CNODE, SLOT_VSPACE, ipcbuf_frame, (uint64_t)ipcbuf, 0);
	if (e)
		return e;
	regs[2 + 0] = (uint64_t)__thread_entry;              /* pc */
	regs[2 + 2] = (uint64_t)stack_top & ~15ULL;           /* sp */
	regs[2 + 3] = gp;
	regs[2 + 10] = (uint64_t)t;                          /* a0 */
	return invoke(tcb, TCB_WRITE_REGISTERS, 34, regs, 0, 0);
}
