/* The boot-info page the kernel hands the root task (a0 at entry; a1 is
 * the address of its IPC buffer).
 * It lists every capability in the root CNode: fixed slots first, then
 * ranges [start, end) of slots for each kind of capability. */
#ifndef ABI_BOOTINFO_H
#define ABI_BOOTINFO_H

#include <stdint.h>

enum root_slot {
	SLOT_NULL = 0,
	SLOT_TCB,         /* the root task's own thread */
	SLOT_CNODE,       /* its CSpace root (this CNode) */
	SLOT_VSPACE,      /* its address space */
	SLOT_IRQ_CONTROL,
	SLOT_SYSTEM,      /* power-off, self-check */
	SLOT_IPC_BUFFER,  /* frame of its IPC buffer */
	SLOT_BOOTINFO,    /* frame of this page */
	SLOT_FIRST_FREE_FIXED
};

#define ROOT_CNODE_BITS  12          /* 4096 slots; guard makes cptr = slot */
#define BOOTINFO_MAGIC   0x6b346c3462697374ULL
#define BI_MAX_UNTYPED   192

/* Where the kernel maps things in the root task's address space. */
#define ROOT_STACK_TOP     0x40000000ULL
#define ROOT_STACK_PAGES   16
#define BOOTINFO_VADDR     0x40001000ULL
#define ROOT_IPCBUF_VADDR  0x40002000ULL
#define ROOT_DTB_VADDR     0x40100000ULL
#define ROOT_BOOTIMAGE_VADDR 0x41000000ULL

struct slot_range { uint64_t start, end; };

struct untyped_desc {
	uint64_t paddr;
	uint8_t size_bits;
	uint8_t is_device;
	uint8_t pad[6];
};

struct bootinfo {
	uint64_t magic;
	struct slot_range empty;          /* free slots of the root CNode */
	struct slot_range untyped;        /* untyped[i] describes slot start+i */
	struct slot_range image_frames;   /* its own pages (code, data, stack) and page tables */
	struct slot_range bootimage_frames; /* the boot image (all programs) */
	struct slot_range dtb_frames;     /* the device tree */
	uint64_t bootimage_vaddr, bootimage_size;
	uint64_t dtb_vaddr, dtb_size;
	uint64_t timebase_hz;             /* rdtime ticks per second */
	struct untyped_desc untyped_list[BI_MAX_UNTYPED];
};

/* The boot image: programs packed by tools/mkbootimage.py. */
#define BOOTIMAGE_MAGIC 0x474d49544f4f42ULL /* "BOOTIMG" */
struct bootimage_entry {
	char name[48];
	uint64_t offset;   /* from the start of the image */
	uint64_t size;
};
struct bootimage_header {
	uint64_t magic;
	uint64_t count;
	struct bootimage_entry entry[];
};

#endif
