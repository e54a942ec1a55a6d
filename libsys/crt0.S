/* Program entry: a0 = argument (the boot-info page for the root task),
 * a1 = address of this thread's IPC buffer, sp set by whoever started us. */
	.section .text.init.enter, "ax"
	.globl _start
_start:
	.option push
	.option norelax
	lla gp, __global_pointer$
	.option pop
	andi sp, sp, -16
	call __libsys_start
1:	j 1b

/* Threads started by thread_start begin here: a0 = struct thread *. */
	.globl __thread_entry
__thread_entry:
	.option push
	.option norelax
	lla gp, __global_pointer$
	.option pop
	call __libsys_thread
2:	j 2b
