/* Fault messages. A thread that faults sends its fault endpoint a message
 * as if by SYS_CALL: label = FAULT_LABEL, mr0 = fault type, mr1 = address,
 * mr2 = pc, mr3 = the raw scause. The thread waits for the reply: an empty
 * reply retries the faulting instruction; mr0 in a one-word reply is the pc
 * to resume at. */
#ifndef ABI_FAULT_H
#define ABI_FAULT_H

#define FAULT_LABEL 0xfa017ULL

enum fault_type {
	FAULT_NONE = 0,
	FAULT_VM_READ,        /* load from an unmapped or unreadable page */
	FAULT_VM_WRITE,       /* store to an unmapped or read-only page */
	FAULT_VM_EXEC,        /* fetch from an unmapped or non-executable page */
	FAULT_ILLEGAL,        /* illegal instruction */
	FAULT_MISALIGNED,     /* misaligned access the hardware refused */
	FAULT_BREAKPOINT,
	FAULT_BAD_SYSCALL,    /* unknown syscall number in a7 */
	FAULT_TYPE_COUNT
};

#endif
