/* How every program started by the system finds its capabilities and
 * memory: fixed CNode slots and a fixed address-space layout, set up by
 * the memory manager (mm) and the supervisor (init) from the system
 * description. */
#ifndef ABI_PROCESS_H
#define ABI_PROCESS_H

#define TASK_CNODE_BITS   8      /* 256 slots; guard makes cptr = slot */

enum task_slot {
	TSLOT_TCB = 1,         /* the task's own thread */
	TSLOT_CNODE = 2,       /* its CSpace */
	TSLOT_VSPACE = 3,      /* its address space */
	TSLOT_MM = 4,          /* the memory manager (badged: who we are) */
	TSLOT_SERVICE = 5,     /* the endpoint we serve on, if we are a server */
	TSLOT_NOTIFICATION = 6,/* bound to our thread: IRQs and timer ticks */
	TSLOT_TIMER = 7,       /* a timer object signalling TSLOT_NOTIFICATION */
	TSLOT_IRQ0 = 8,        /* IRQ handler caps, in description order */
	TSLOT_SERVICES = 16,   /* endpoints of servers we may call (below) */
	TSLOT_TRACE = 32,      /* a trace object (`trace = yes`; abi/trace.h) */
	TSLOT_FIRST_FREE = 33  /* libsys allocates slots from here */
};

/* Well-known services: a task that may call one finds it at
 * TSLOT_SERVICES + its number. */
enum service {
	SVC_SUPERVISOR = 0,
	SVC_CONSOLE = 1,
	SVC_FS = 2,
	SVC_BLK = 3,
	SVC_USER = 4,          /* first number for servers a user adds */
	SVC_COUNT = 16
};
#define TSLOT_SVC(s) (TSLOT_SERVICES + (s))

/* Address-space layout of a task. */
#define TASK_IMAGE_BASE   0x10000ULL
#define TASK_STACK_TOP    0x40000000ULL    /* grows down, pages mapped on fault */
#define TASK_IPCBUF_VADDR 0x40002000ULL
#define TASK_DEVICE_BASE  0x50000000ULL    /* device regions from the description */
#define TASK_DMA_BASE     0x60000000ULL    /* DMA buffers from mm */
#define TASK_HEAP_MAX     0x20000000ULL    /* heap: from the image end, at most this */

/* The badge bit that marks a fault message at the supervisor. */
#define FAULT_BADGE 0x8000000000000000ULL

#endif
