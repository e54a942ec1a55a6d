/* Tasks: each lives in an untyped region of its own, sized from its
 * quota. Its CNode, VSpace, TCB, page tables and pages are all made from
 * that region, and every cap mm keeps for it sits in its "store" CNode, so
 * killing a task is one revoke. */
#include "mm.h"

struct mtask tasks[MAX_TASKS];

static unsigned log2_up(uint64_t x)
{
	unsigned b = 0;
	while ((1ULL << b) < x)
		b++;
	return b;
}

void task_store(struct mtask *t, cptr_t slot)
{
	if (t->store_next < t->store_size &&
	    cnode_move(t->store, t->store_next, SLOT_CNODE, slot) == E_OK) {
		t->store_next++;
		mm_slot_free(slot);
	} else {
		cnode_delete(SLOT_CNODE, slot);   /* the object lives on while mapped */
		mm_slot_free(slot);
	}
}

/* The same for a RAM frame mapped at va, remembered so that debug.c finds
 * the page again. */
void task_store_page(struct mtask *t, cptr_t frame, uint64_t va)
{
	uint64_t i = t->store_next;
	task_store(t, frame);
	if (t->store_next > i)
		t->page_vpn[i] = (uint32_t)(va / PAGE);
}

static enum err new_object(struct mtask *t, uint64_t type, uint64_t bits, cptr_t *slot)
{
	*slot = mm_slot();
	if (!*slot)
		return E_NOT_ENOUGH_MEMORY;
	enum err e = untyped_retype(t->ut, type, bits, SLOT_CNODE, *slot, 1);
	if (e) {
		mm_slot_free(*slot);
		*slot = 0;
	}
	return e;
}

enum err task_new_frame(struct mtask *t, cptr_t *frame)
{
	if (t->pages >= t->quota)
		return E_NOT_ENOUGH_MEMORY;
	enum err e = new_object(t, OBJ_FRAME, 0, frame);
	if (!e)
		t->pages++;
	return e;
}

enum err task_map(struct mtask *t, cptr_t frame, uint64_t va, uint64_t rights)
{
	for (int level = 0; level < 3; level++) {
		enum err e = frame_map(frame, t->vspace, va, rights);
		if (e != E_NO_MAPPING)
			return e;
		cptr_t pt;
		if ((e = new_object(t, OBJ_PAGE_TABLE, 0, &pt)))
			return e;
		e = page_table_map(pt, t->vspace, va);
		task_store(t, pt);
		if (e)
			return e;
	}
	return E_NO_MAPPING;
}

enum err task_map_new_page(struct mtask *t, uint64_t va, uint64_t rights)
{
	cptr_t frame;
	enum err e = task_new_frame(t, &frame);
	if (e)
		return e;
	e = task_map(t, frame, va, rights);
	task_store_page(t, frame, va);
	return e;
}

/* The CNode the task sees as its CSpace, with its own caps in place. */
static enum err fill_cspace(struct mtask *t, uint64_t id)
{
	enum err e;
	t->guarded_cnode = mm_slot();
	if ((e = INVOKE(SLOT_CNODE, CNODE_MINT, t->guarded_cnode, SLOT_CNODE, t->cnode, RIGHTS_ALL, 0,
			64 - TASK_CNODE_BITS)))
		return e;
	if ((e = cnode_copy(t->cnode, TSLOT_TCB, SLOT_CNODE, t->tcb, RIGHTS_ALL)) ||
	    (e = cnode_copy(t->cnode, TSLOT_CNODE, SLOT_CNODE, t->guarded_cnode, RIGHTS_ALL)) ||
	    (e = cnode_copy(t->cnode, TSLOT_VSPACE, SLOT_CNODE, t->vspace, RIGHTS_ALL)))
		return e;
	extern cptr_t mm_endpoint;
	return cnode_mint(t->cnode, TSLOT_MM, SLOT_CNODE, mm_endpoint, RIGHT_WRITE | RIGHT_GRANT, id);
}

static enum err build(struct mtask *t, uint64_t id, const uint8_t *elf, uint64_t size,
		      cptr_t fault_ep, uint64_t fault_badge)
{
	enum err e;
	uint64_t entry, end;
	cptr_t buf, fault = 0;
	unsigned store_bits = log2_up(t->quota + 64);
	if ((e = new_object(t, OBJ_CNODE, store_bits, &t->store)) ||
	    (e = new_object(t, OBJ_CNODE, TASK_CNODE_BITS, &t->cnode)) ||
	    (e = new_object(t, OBJ_VSPACE, 0, &t->vspace)) ||
	    (e = new_object(t, OBJ_TCB, 0, &t->tcb)))
		return e;
	t->store_size = 1ULL << store_bits;
	if (!(t->page_vpn = calloc(t->store_size, sizeof *t->page_vpn)))
		return E_NOT_ENOUGH_MEMORY;   /* mm's own heap, not the task's quota */
	if ((e = elf_load(t, elf, size, &entry, &end)))
		return e;
	t->heap_start = t->brk = (end + PAGE - 1) & ~(PAGE - 1);
	t->reserved = t->pages + t->stack_max;
	if (t->reserved > t->quota)
		return E_NOT_ENOUGH_MEMORY;
	if ((e = task_new_frame(t, &buf)))
		return e;
	if ((e = task_map(t, buf, TASK_IPCBUF_VADDR, RIGHT_READ | RIGHT_WRITE)) ||
	    (e = task_map_new_page(t, TASK_STACK_TOP - PAGE, RIGHT_READ | RIGHT_WRITE)) ||
	    (e = fill_cspace(t, id)))
		return e;
	if (fault_ep) {
		fault = mm_slot();
		if ((e = cnode_mint(SLOT_CNODE, fault, SLOT_CNODE, fault_ep, RIGHT_WRITE, fault_badge)))
			return e;
	}
	e = tcb_configure(t->tcb, t->guarded_cnode, t->vspace, buf, TASK_IPCBUF_VADDR, fault);
	if (fault) {
		cnode_delete(SLOT_CNODE, fault);
		mm_slot_free(fault);
	}
	task_store_page(t, buf, TASK_IPCBUF_VADDR);
	if (e)
		return e;
	uint64_t regs[2 + 13] = { 0, 13 };
	regs[2 + 0] = entry;
	regs[2 + 2] = TASK_STACK_TOP;
	regs[2 + 10] = id;
	regs[2 + 11] = TASK_IPCBUF_VADDR;
	regs[2 + 12] = libsys_timebase_hz;
	return invoke(t->tcb, TCB_WRITE_REGISTERS, 2 + 13, regs, 0, 0);
}

enum err task_spawn(const char *program, const char *name, uint64_t quota, uint64_t stack,
		    cptr_t fault_ep, uint64_t fault_badge, uint64_t *id_out)
{
	uint64_t size, id;
	const uint8_t *elf = bootimage_find(program, &size);
	if (!elf)
		return E_NOT_FOUND;
	if (quota < 16 || quota > 65536 || stack < 1 || stack > 256)
		return E_INVALID_ARGUMENT;
	for (id = 1; id < MAX_TASKS && tasks[id].used; id++)
		;
	if (id == MAX_TASKS)
		return E_NOT_ENOUGH_MEMORY;
	struct mtask *t = &tasks[id];
	memset(t, 0, sizeof *t);
	strncpy(t->name, name, sizeof t->name - 1);
	t->quota = quota;
	t->stack_max = stack;
	/* room for the pages, the store CNode, the task's own objects and tables */
	t->ut_bits = log2_up(quota * PAGE + (log2_up(quota + 64) < 6 ? 64 : (quota + 64)) * 64 * 2 +
			     (1 << (TASK_CNODE_BITS + 6)) + 64 * PAGE);
	t->ut = mm_slot();
	enum err e = pool_untyped(t->ut_bits, t->ut);
	if (e) {
		mm_slot_free(t->ut);
		return e;
	}
	t->used = 1;
	uint64_t w[2];
	pack_name(t->name, w);
	if ((e = build(t, id, elf, size, fault_ep, fault_badge | id)) ||
	    (e = INVOKE(t->tcb, TCB_SET_NAME, w[0], w[1]))) {
		task_kill(t);
		return e;
	}
	*id_out = id;
	return E_OK;
}

/* Free all the task had: its region is emptied and kept for reuse. */
void task_kill(struct mtask *t)
{
	pool_give_back(t->ut, t->ut_bits);
	if (t->trace_ut)
		pool_give_back(t->trace_ut, TRACE_SIZE_BITS);
	/* the mm slots that held caps into the region are empty now */
	mm_slot_free(t->store);
	mm_slot_free(t->cnode);
	mm_slot_free(t->vspace);
	mm_slot_free(t->tcb);
	mm_slot_free(t->guarded_cnode);
	free(t->page_vpn);
	t->page_vpn = NULL;
	t->used = 0;
}

/* A trace object is larger than a task's region has room for: it gets an
 * untyped of its own, its pages counted in the task's quota. */
static enum err new_trace(struct mtask *t, cptr_t *obj)
{
	uint64_t pages = 1u << (TRACE_SIZE_BITS - 12);
	if (t->trace_ut)
		return E_IN_USE;
	if (t->pages + pages > t->quota)
		return E_NOT_ENOUGH_MEMORY;
	t->trace_ut = mm_slot();
	enum err e = t->trace_ut ? pool_untyped(TRACE_SIZE_BITS, t->trace_ut) : E_NOT_ENOUGH_MEMORY;
	if (!e && !(*obj = mm_slot()))
		e = E_NOT_ENOUGH_MEMORY;
	if (!e && (e = untyped_retype(t->trace_ut, OBJ_TRACE, 0, SLOT_CNODE, *obj, 1)))
		mm_slot_free(*obj);
	if (e) {
		if (t->trace_ut)
			mm_slot_free(t->trace_ut);
		t->trace_ut = 0;
		return e;
	}
	t->pages += pages;
	return E_OK;
}

enum err task_new_object(struct mtask *t, uint64_t type, uint64_t slot, cptr_t copy_to)
{
	if (type != OBJ_ENDPOINT && type != OBJ_NOTIFICATION && type != OBJ_TIMER && type != OBJ_TRACE)
		return E_INVALID_ARGUMENT;
	if (slot >= (1 << TASK_CNODE_BITS))
		return E_RANGE;
	cptr_t obj;
	enum err e = type == OBJ_TRACE ? new_trace(t, &obj) : new_object(t, type, 0, &obj);
	if (e)
		return e;
	if (!(e = cnode_copy(t->cnode, slot, SLOT_CNODE, obj, RIGHTS_ALL)))
		e = cnode_copy(SLOT_CNODE, copy_to, SLOT_CNODE, obj, RIGHTS_ALL);
	task_store(t, obj);
	return e;
}

enum err task_map_device(struct mtask *t, uint64_t paddr, uint64_t bytes, uint64_t vaddr)
{
	cptr_t dev = 0;
	for (cptr_t s = bi->untyped.start; s < bi->untyped.end; s++) {
		const struct untyped_desc *u = &bi->untyped_list[s - bi->untyped.start];
		if (u->is_device && u->paddr == paddr && bytes <= (1ULL << u->size_bits))
			dev = s;
	}
	if (!dev || bytes % PAGE || vaddr % PAGE)
		return E_INVALID_ARGUMENT;
	for (uint64_t off = 0; off < bytes; off += PAGE) {
		cptr_t f = mm_slot();
		enum err e = untyped_retype(dev, OBJ_FRAME, 0, SLOT_CNODE, f, 1);
		if (e) {
			mm_slot_free(f);
			return e == E_NOT_ENOUGH_MEMORY ? E_IN_USE : e;
		}
		e = task_map(t, f, vaddr + off, RIGHT_READ | RIGHT_WRITE);
		task_store(t, f);
		if (e)
			return e;
	}
	return E_OK;
}

static int in_stack(struct mtask *t, uint64_t a)
{
	return a < TASK_STACK_TOP && a >= TASK_STACK_TOP - t->stack_max * PAGE;
}

enum err task_fault(struct mtask *t, uint64_t addr)
{
	if (!in_stack(t, addr) && !(addr >= t->heap_start && addr < t->brk))
		return E_BAD_ADDRESS;
	return task_map_new_page(t, addr & ~(PAGE - 1), RIGHT_READ | RIGHT_WRITE);
}

enum err task_sbrk(struct mtask *t, int64_t incr, uint64_t *old)
{
	if (incr < 0)
		return E_INVALID_ARGUMENT;
	uint64_t new_brk = t->brk + (uint64_t)incr;
	uint64_t had = (t->brk - t->heap_start + PAGE - 1) / PAGE;
	uint64_t want = (new_brk - t->heap_start + PAGE - 1) / PAGE;
	if (new_brk - t->heap_start > TASK_HEAP_MAX || t->reserved + (want - had) > t->quota)
		return E_NOT_ENOUGH_MEMORY;
	t->reserved += want - had;
	*old = t->brk;
	t->brk = new_brk;
	return E_OK;
}

/* Physically contiguous pages: a fresh untyped region of their own, cut
 * into frames in order. */
enum err task_dma(struct mtask *t, uint64_t pages, uint64_t *va, uint64_t *pa)
{
	if (!t->may_dma)
		return E_NO_RIGHTS;
	if (pages < 1 || pages > 64 || t->reserved + pages > t->quota)
		return E_NOT_ENOUGH_MEMORY;
	cptr_t ut;
	enum err e = new_object(t, OBJ_UNTYPED, log2_up(pages) + 12, &ut);
	if (e)
		return e;
	uint64_t base = TASK_DMA_BASE + t->device_next;
	for (uint64_t i = 0; i < pages && !e; i++) {
		cptr_t f = mm_slot();
		if ((e = untyped_retype(ut, OBJ_FRAME, 0, SLOT_CNODE, f, 1))) {
			mm_slot_free(f);
			break;
		}
		t->pages++;
		if (i == 0) {
			uint64_t r[1];
			unsigned n;
			invoke(f, FRAME_GET_ADDRESS, 0, 0, r, &n);
			*pa = r[0];
		}
		e = task_map(t, f, base + i * PAGE, RIGHT_READ | RIGHT_WRITE);
		task_store_page(t, f, base + i * PAGE);
	}
	task_store(t, ut);
	if (e)
		return e;
	t->reserved += pages;
	t->device_next += (pages + 1) * PAGE;
	*va = base;
	return E_OK;
}
