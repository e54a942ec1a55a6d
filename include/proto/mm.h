/* The memory manager's protocol. mm owns all memory: it builds every
 * task's address space from that task's own untyped (its quota), loads its
 * program, and later maps heap, stack and DMA pages for it. The badge of
 * the caller's mm cap says which task is asking; the MM_SUPERVISOR_ONLY
 * requests are refused (E_NO_RIGHTS) to anyone but the supervisor. */
#ifndef PROTO_MM_H
#define PROTO_MM_H

enum mm_label {
	MM_SBRK = 1,        /* mr0 increment (bytes) -> mr0 old break */
	MM_DMA_ALLOC,       /* mr0 pages -> mr0 vaddr, mr1 paddr (contiguous); only
	                       tasks spawned with MM_SPAWN_DMA (E_NO_RIGHTS) */
	MM_STAT,            /* mr0 task id (0: totals) -> mr0 pages used, mr1 quota
	                       pages, mr2..3 name; totals: mr0 free pages, mr1 all pages */
	/* supervisor only: */
	MM_SPAWN,           /* mr0..1 program name in the boot image (16 bytes),
	                       mr2 quota pages, mr3 max stack pages, mr4..5 task name,
	                       mr6 flags (MM_SPAWN_DMA: may ask for DMA buffers)
	                       -> mr0 task id; caps: its TCB, its CNode (as it sees it).
	                       The task starts when the supervisor resumes it. */
	MM_NEW_OBJECT,      /* mr0 task id, mr1 object type, mr2 slot in the task's
	                       CNode -> the object; cap: a copy for the supervisor */
	MM_MAP_DEVICE,      /* mr0 task id, mr1 paddr, mr2 bytes, mr3 vaddr */
	MM_FAULT,           /* mr0 task id, mr1 address: map a page if the address
	                       is in its stack or heap, else E_BAD_ADDRESS */
	MM_KILL,            /* mr0 task id: free everything the task had */
	/* The supervisor's debug access, for the fault injector
	   (servers/init/inject.c): a task's memory read and written through
	   mm's own mapping of its frames, text included though the task maps
	   it read-only; the task cannot notice or prevent it. Only RAM pages
	   mm mapped for it (image, stack, heap, IPC buffer, DMA buffers),
	   never device pages; never the supervisor's own (E_ILLEGAL_OPERATION).
	   E_BAD_ADDRESS: a byte not mapped. */
	MM_PEEK,            /* mr0 task id, mr1 address, mr2 bytes (1..512)
	                       -> mr0.. the bytes, little-endian, 8 a word */
	MM_POKE,            /* mr0 task id, mr1 address, mr2 bytes (1..8), mr3 the
	                       bytes, little-endian; instruction fetches see them
	                       (fence.i: one hart) */
	MM_REGION,          /* mr0 task id, mr1 region (mm_region), mr2 n -> mr0
	                       start, mr1 end of the region, mr2 pages of it mapped
	                       now, mr3 address of the (n mod mr2)-th of them (0:
	                       none mapped) */
};

/* The parts of a task's address space MM_REGION describes. */
enum mm_region {
	MR_TEXT = 1,    /* the executable sections of its image */
	MR_DATA,        /* its writable image segment: data and bss */
	MR_HEAP,        /* from the image end to the break */
	MR_STACK,       /* the most the stack may grow to, below TASK_STACK_TOP */
	MR_WRITABLE,    /* every writable RAM page: data, heap, stack, IPC buffer,
	                   DMA buffers (start, end: lowest and highest) */
	MR_COUNT
};
#define MM_PEEK_MAX 512   /* bytes one MM_PEEK returns at most */

#define MM_SUPERVISOR_BADGE 1   /* task id of the supervisor */
#define MM_SPAWN_DMA 1
/* Extra caps mm gives the supervisor, in its CNode: */
#define INIT_SLOT_IRQ_CONTROL 8
#define INIT_SLOT_SYSTEM      9

#endif
