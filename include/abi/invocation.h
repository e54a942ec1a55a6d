/* Method labels for invoking kernel objects with SYS_CALL, and the message
 * registers each takes. "cptr" arguments are looked up in the caller's
 * CSpace; a (cnode, index) pair names slot `index` of that CNode directly.
 * Replies: a0 = error; results in mr0.. as listed. */
#ifndef ABI_INVOCATION_H
#define ABI_INVOCATION_H

enum invocation {
	INV_NONE = 0,
	/* Untyped: mr0 type, mr1 size_bits, mr2 dest cnode, mr3 dest index,
	 * mr4 count. All destination slots must be empty. */
	UNTYPED_RETYPE,
	/* CNode (the invoked cap names the destination CNode):
	 * copy/mint/move/mutate: mr0 dest index, mr1 src cnode, mr2 src index,
	 * mr3 rights mask (copy, mint), mr4 badge or guard (mint, mutate). */
	CNODE_COPY,
	CNODE_MINT,
	CNODE_MOVE,
	CNODE_MUTATE,
	CNODE_DELETE,         /* mr0 index */
	CNODE_REVOKE,         /* mr0 index: delete every cap derived from it */
	CNODE_INFO,           /* mr0 index -> mr0 type, mr1 size_bits, mr2 rights,
	                         mr3 badge/guard, mr4 children (0/1), mr5 paddr */
	CNODE_SAVE_CALLER,    /* mr0 index: keep our pending reply right there, as an
	                         OBJ_REPLY cap, so we may receive others first */
	/* TCB */
	TCB_CONFIGURE,        /* mr0 cspace root, mr1 vspace, mr2 ipc buffer frame
	                         (0: none), mr3 ipc buffer vaddr, mr4 fault ep (0: none) */
	TCB_SET_PRIORITY,     /* mr0 authority TCB, mr1 priority, mr2 mcp */
	TCB_READ_REGISTERS,   /* -> mr0 pc, mr1..mr31 x1..x31 */
	TCB_WRITE_REGISTERS,  /* mr0 resume (0/1), mr1 count, mr2.. pc, x1, x2 ... */
	TCB_RESUME,
	TCB_SUSPEND,
	TCB_BIND_NOTIFICATION,   /* mr0 notification cptr */
	TCB_UNBIND_NOTIFICATION,
	TCB_SET_NAME,         /* mr0, mr1: up to 16 bytes of name */
	TCB_GET_STATE,        /* -> mr0 thread state, mr1 priority, mr2 mcp, mr3..4 name,
	                       *    mr5 ticks it was found running, mr6 Calls made,
	                       *    mr7..8 name of the thread owing it a reply (BLOCKED_REPLY) */
	/* VSpace objects */
	PAGE_TABLE_MAP,       /* mr0 vspace, mr1 vaddr */
	PAGE_TABLE_UNMAP,
	FRAME_MAP,            /* mr0 vspace, mr1 vaddr, mr2 rights */
	FRAME_UNMAP,
	FRAME_GET_ADDRESS,    /* -> mr0 physical address */
	/* IRQs */
	IRQ_CONTROL_GET,      /* mr0 irq, mr1 dest cnode, mr2 dest index */
	IRQ_HANDLER_SET_NOTIFICATION, /* mr0 notification cptr */
	IRQ_HANDLER_ACK,
	IRQ_HANDLER_CLEAR,
	/* Timer */
	TIMER_SET,            /* mr0 notification cptr, mr1 deadline (rdtime ticks) */
	TIMER_CANCEL,
	/* System */
	SYSTEM_POWER_OFF,
	SYSTEM_SELF_CHECK,    /* -> mr0 number of broken kernel invariants: ready queues,
	                         thread states and queues, the derivation tree around every
	                         slot a thread can reach, and the mappings (every entry of a
	                         live VSpace recorded by the cap of what it maps; unmapped
	                         page tables empty); printed on the kernel console */
	SYSTEM_THREAD_COUNT,  /* -> mr0 number of TCBs that exist */
	SYSTEM_FASTPATH_HITS, /* -> mr0 IPCs the fastpath completed since boot (0 without it) */
	SYSTEM_COVERAGE,      /* mr0 0: -> mr0 kernel code points reached (0 unless built with
	                         -Dfuzz_coverage); 1: print them on the console (kernel/coverage.c) */
	/* Trace (abi/trace.h; without -Dtrace=true each is E_ILLEGAL_OPERATION) */
	TRACE_START,          /* mr0 clock (TRACE_CLOCK_*): record from now on into this ring,
	                         from its start; a NAME record for every thread first */
	TRACE_STOP,
	TRACE_READ,           /* mr0 first record -> mr0 records written since the start,
	                         mr1 the first one returned (the oldest kept, if the ring has
	                         written over mr0), mr2 n, mr3.. n records (at most
	                         TRACE_READ_MAX); E_RANGE past the last */
	TRACE_MARK,           /* mr0 a number: a MARK record (the host splits traces there) */
	INV_COUNT
};

/* The preemption tick: TCB_GET_STATE's mr5 counts ticks that found the
 * thread running (a sample of its CPU time, 1/TICK_HZ s each). */
#define TICK_HZ 100

/* Thread states as TCB_GET_STATE reports them. */
enum thread_state {
	TS_INACTIVE = 0,   /* never resumed, suspended or dead */
	TS_RUNNABLE,
	TS_BLOCKED_SEND,
	TS_BLOCKED_RECV,
	TS_BLOCKED_REPLY,
	TS_BLOCKED_NOTIFICATION
};

#endif
