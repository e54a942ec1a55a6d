/* The memory manager's parts: the untyped pool (pool.c), tasks and their
 * address spaces (task.c), program loading (elf.c), the supervisor's
 * access to a task's memory (debug.c), requests (main.c). */
#ifndef MM_MM_H
#define MM_MM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "task.h"
#include "../../include/proto/mm.h"
#include "../../include/proto/supervisor.h"

#define MAX_TASKS 32
#define PAGE 4096ULL
#define MAX_SEGMENTS 4   /* loadable segments of a program: text and data here */

/* mm's own CNode (the root CNode) layout beyond the kernel's fixed slots */
extern const struct bootinfo *bi;
cptr_t mm_slot(void);               /* a free slot of mm's CNode */
void mm_slot_free(cptr_t s);

/* pool.c: untyped memory */
void pool_init(void);
enum err pool_untyped(unsigned bits, cptr_t dest);   /* a fresh untyped of 2^bits */
void pool_give_back(cptr_t ut, unsigned bits);       /* emptied, kept for reuse */
uint64_t pool_free_pages(void);
uint64_t pool_total_pages(void);

struct mtask {
	int used;
	char name[16];
	unsigned ut_bits;
	cptr_t ut, store, tcb, cnode, vspace, guarded_cnode;
	cptr_t trace_ut;                     /* a trace object's own untyped, or 0 */
	uint64_t store_next, store_size;
	uint64_t quota, pages, reserved;     /* pages: mapped; reserved: promised */
	uint64_t heap_start, brk, stack_max;
	uint64_t device_next;                /* next free DMA address */
	int may_dma;
	/* What debug.c needs to find a task's pages and name its regions:
	 * page_vpn[i] is the page number of the RAM frame whose cap sits in
	 * store slot i (0: not a RAM frame), and the image's segments. */
	uint32_t *page_vpn;
	struct segment { uint64_t start, end; uint32_t flags; } seg[MAX_SEGMENTS];
	unsigned nseg;
	uint64_t text_start, text_end;       /* its executable sections */
};
extern struct mtask tasks[MAX_TASKS];

/* task.c */
enum err task_spawn(const char *program, const char *name, uint64_t quota, uint64_t stack,
		    cptr_t fault_ep, uint64_t fault_badge, uint64_t *id_out);   /* badge | id */
enum err task_new_object(struct mtask *t, uint64_t type, uint64_t slot, cptr_t copy_to);
enum err task_map_device(struct mtask *t, uint64_t paddr, uint64_t bytes, uint64_t vaddr);
enum err task_fault(struct mtask *t, uint64_t addr);
enum err task_sbrk(struct mtask *t, int64_t incr, uint64_t *old);
enum err task_dma(struct mtask *t, uint64_t pages, uint64_t *va, uint64_t *pa);
void task_kill(struct mtask *t);
enum err task_new_frame(struct mtask *t, cptr_t *frame);
enum err task_map(struct mtask *t, cptr_t frame, uint64_t va, uint64_t rights);
enum err task_map_new_page(struct mtask *t, uint64_t va, uint64_t rights);
void task_store(struct mtask *t, cptr_t slot);
void task_store_page(struct mtask *t, cptr_t frame, uint64_t va);   /* a RAM frame mapped at va */

/* elf.c */
enum err elf_load(struct mtask *t, const uint8_t *elf, uint64_t size, uint64_t *entry, uint64_t *end);
const uint8_t *bootimage_find(const char *name, uint64_t *size);

/* debug.c: the supervisor's access to a task's memory (MM_PEEK, MM_POKE, MM_REGION) */
enum err debug_peek(struct mtask *t, uint64_t addr, uint64_t bytes, uint64_t *words);
enum err debug_poke(struct mtask *t, uint64_t addr, uint64_t bytes, uint64_t value);
enum err debug_region(struct mtask *t, uint64_t region, uint64_t n, uint64_t res[4]);

/* scratch mapping in mm's own address space, for filling frames */
void *scratch_map(cptr_t frame);
void scratch_unmap(cptr_t frame);

#endif
