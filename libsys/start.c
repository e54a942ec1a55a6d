/* From crt0 to main: thread-local storage, the IPC buffer, stdio. */
#include <stdio.h>
#include <stdlib.h>
#include <picotls.h>
#include "sys.h"

__thread struct ipc_buffer *__ipcbuf;
static uint8_t main_tls[512] __attribute__((aligned(16)));

int main(uint64_t arg);

void __libsys_start(uint64_t arg, uint64_t ipcbuf)
{
	_init_tls(main_tls);
	_set_tls(main_tls);
	__ipcbuf = (struct ipc_buffer *)ipcbuf;
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

void sys_exit(int status)
{
	fflush(stdout);
	printf("exit(%d)\n", status);
	fflush(stdout);
	tcb_suspend(SLOT_TCB);
	for (;;)
		sys_yield();
}

void _exit(int status) { sys_exit(status); }
