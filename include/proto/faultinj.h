/* Software-implemented fault injection (SWIFI): the fault types the
 * supervisor's SUP_INJECT and the shell's `inject NAME TYPE [COUNT]` take,
 * after the Nooks/Rio and MINIX 3 fault models, on RISC-V encodings. */
#ifndef PROTO_FAULTINJ_H
#define PROTO_FAULTINJ_H

/* Not `enum fault_type`: abi/fault.h has that name (the kernel's fault
 * messages) and every program includes both. */
enum injected_fault {
	FT_FLIP = 1,   /* one bit of an instruction flipped */
	FT_NOP,        /* an instruction replaced with a no-op */
	FT_OPERAND,    /* a source or destination register operand changed */
	FT_BRANCH,     /* a branch condition inverted */
	FT_NOBRANCH,   /* a branch removed */
	FT_POINTER,    /* a register holding a pointer corrupted */
	FT_REGISTER,   /* a random register corrupted */
	FT_DATA,       /* a bit flipped in initialised or zeroed data */
	FT_HEAP,       /* a bit flipped in the heap */
	FT_STACK,      /* a bit flipped in the stack */
	FT_LOOP,       /* an instruction replaced with a jump to itself */
	FT_EXIT,       /* the task exits before its time */
	FT_WILD,       /* a store of random bits to a random mapped address */
	FT_REPLY,      /* a malformed reply sent to a client */
	FT_CRASH,      /* a jump to address 0 (the old `inject NAME`) */
	FT_COUNT
};

#define FAULT_TYPE_NAMES                                                          \
	"", "flip", "nop", "operand", "branch", "nobranch", "pointer", "register", \
	"data", "heap", "stack", "loop", "exit", "wild", "reply", "crash"

#endif
