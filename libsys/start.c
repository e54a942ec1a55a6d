/* From crt0 to main: thread-local storage, the IPC buffer, the caps this
 * task was given, stdio; and the way out. */
#include <stdio.h>
#include <stdlib.h>
#include <picotls.h>
#include "task.h"
#include "../include/proto/supervisor.h"

__thread struct ipc_buffer *__ipcbuf;
uint64_t libsys_timebase_hz = 10000000;
static uint8_t main_tls[512] __attribute__((aligned(16)));

int main(uint64_t arg);

/* a0 = argument (boot info for the root task, task id for others),
 * a1 = IPC buffer, a2 = rdtime ticks per second (0: not told). */
void __libsys_start(uint64_t arg, uint64_t ipcbuf, uint64_t hz)
{
	_init_tls(main_tls);
	_set_tls(main_tls);
	__ipcbuf = (struct ipc_buffer *)ipcbuf;
	if (hz)
		libsys_timebase_hz = hz;
	task_probe(hz ? arg : 0);
	exit(main(arg));
}

void __libsys_thread(struct thread *t)
{
	_init_tls(t->tls);
	_set_tls(t->tls);
	__ipcbuf = t->ipcbuf;
	t->fn(t->arg);
	tcb_suspend(t->tcb);
	for (;;)
		sys_yield();
}

/* A task tells the supervisor it is done; the root task just stops. */
void sys_exit(int status)
{
	fflush(stdout);
	if (task.supervisor)
		INVOKE(task.supervisor, SUP_EXIT, (uint64_t)status);
	tcb_suspend(SLOT_TCB);
	for (;;)
		sys_yield();
}

void _exit(int status) { sys_exit(status); }
