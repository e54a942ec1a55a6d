/* Fault injection (SUP_INJECT): the crash type only, as the shell's
 * `inject NAME` always did: the task's pc becomes 0, so it takes an
 * execute fault at once and goes through the normal crash path. */
#include "init.h"
#include "../../include/proto/faultinj.h"

enum err inject_faults(struct stask *t, const uint64_t *mr, uint64_t res[4])
{
	if (mr[2] != FT_CRASH)
		return E_INVALID_ARGUMENT;
	uint64_t regs[3] = { 1, 1, 0 };   /* resume, one register: pc = 0 */
	enum err e = tcb_suspend(t->tcb);
	if (!e)
		e = invoke(t->tcb, TCB_WRITE_REGISTERS, 3, regs, 0, 0);
	if (!e) {
		res[0] = 1;
		res[1] = res[2] = res[3] = 0;
	}
	return e;
}
