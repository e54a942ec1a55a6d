/* Threads running this program's code: in the caller's address space or
 * in another one that maps the same image. The TCB must already exist. */
#include "sys.h"

extern void __thread_entry(void);

enum err thread_start(struct thread *t, const struct thread_config *cfg, void (*fn)(uint64_t), uint64_t arg)
{
	uint64_t gp, regs[34] = { 1, 32 };
	enum err e;
	__asm__("mv %0, gp" : "=r"(gp));
	t->tcb = cfg->tcb;
	t->fn = fn;
	t->arg = arg;
	t->ipcbuf = cfg->ipcbuf;
	e = tcb_configure(cfg->tcb, cfg->cspace, cfg->vspace, cfg->ipcbuf_frame, (uint64_t)cfg->ipcbuf, cfg->fault_ep);
	if (e)
		return e;
	if (cfg->prio_authority &&
	    (e = tcb_set_priority(cfg->tcb, cfg->prio_authority, cfg->prio, cfg->prio)))
		return e;
	regs[2 + 0] = (uint64_t)__thread_entry;              /* pc */
	regs[2 + 2] = (uint64_t)cfg->stack_top & ~15ULL;           /* sp */
	regs[2 + 3] = gp;
	regs[2 + 10] = (uint64_t)t;                          /* a0 */
	return invoke(cfg->tcb, TCB_WRITE_REGISTERS, 34, regs, 0, 0);
}
