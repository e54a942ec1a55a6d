/* Kernel object types, their sizes, capability rights and the fixed layout
 * of the user address space. Every object is made by Untyped_Retype. */
#ifndef ABI_OBJECT_H
#define ABI_OBJECT_H

enum obj_type {
	OBJ_NONE = 0,     /* an empty slot */
	OBJ_UNTYPED,
	OBJ_TCB,
	OBJ_ENDPOINT,
	OBJ_NOTIFICATION,
	OBJ_CNODE,        /* size_bits = log2(slots) */
	OBJ_VSPACE,       /* Sv39 root page table */
	OBJ_PAGE_TABLE,   /* Sv39 level-1 or level-0 page table */
	OBJ_FRAME,        /* 4 KiB page */
	OBJ_LARGE_FRAME,  /* 2 MiB page */
	OBJ_TIMER,        /* signals a notification at a deadline */
	/* capabilities that are not made from untyped: */
	OBJ_IRQ_CONTROL,
	OBJ_IRQ_HANDLER,
	OBJ_SYSTEM,       /* power-off and kernel self-check */
	OBJ_REPLY,        /* a saved reply right (CNODE_SAVE_CALLER): Send answers once */
	OBJ_TRACE,        /* made from untyped: the IPC trace's ring (abi/trace.h) */
	OBJ_TYPE_COUNT
};

/* log2 of each object's size in bytes (CNode: per slot, times 2^size_bits). */
#define TCB_SIZE_BITS          11
#define ENDPOINT_SIZE_BITS     5
#define NOTIFICATION_SIZE_BITS 6
#define CTE_SIZE_BITS          6
#define PAGE_TABLE_SIZE_BITS   12
#define FRAME_SIZE_BITS        12
#define LARGE_FRAME_SIZE_BITS  21
#define TIMER_SIZE_BITS        6
#define TRACE_SIZE_BITS        18   /* 8192 records */
#define UNTYPED_MIN_BITS       4
#define UNTYPED_MAX_BITS       38
#define CNODE_MAX_BITS         16

/* Capability rights. Endpoints: write = may send, read = may receive,
 * grant = may send capabilities. Frames: read, write, execute when mapped. */
#define RIGHT_READ   1u
#define RIGHT_WRITE  2u
#define RIGHT_GRANT  4u
#define RIGHT_EXEC   8u
#define RIGHTS_ALL   15u

#define PRIORITY_COUNT 256
#define CPTR_BITS      64

/* The user half of Sv39: user mappings must lie below this. */
#define USER_TOP 0x4000000000ULL

#endif
