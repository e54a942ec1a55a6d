/* The supervisor's debug access to a task's memory, for the fault
 * injector: MM_PEEK and MM_POKE copy bytes through a second mapping of
 * the task's own frame in mm's scratch page (so text, which the task maps
 * read-only, is written all the same, and the task sees nothing happen),
 * and MM_REGION names the parts of its address space an injection picks
 * from. A frame is found by the page number task_store_page() noted for
 * its store slot; only RAM frames are noted, so device registers are never
 * touched. */
#include "mm.h"
#include "../../include/elf64.h"

/* The store slot of the RAM frame mapped at va, or -1. */
static int64_t page_slot(const struct mtask *t, uint64_t va)
{
	uint32_t vpn = (uint32_t)(va / PAGE);
	if (va >= USER_TOP || !t->page_vpn)
		return -1;
	for (uint64_t i = 0; i < t->store_next; i++)
		if (t->page_vpn[i] == vpn)
			return (int64_t)i;
	return -1;
}

/* Copy between buf and the task's page at va (len bytes, within the page):
 * a copy of the frame's cap is mapped at mm's scratch address (a mapped cap
 * cannot be mapped twice), then deleted. */
static enum err copy_page(struct mtask *t, uint64_t va, void *buf, uint64_t len, int write)
{
	int64_t i = page_slot(t, va);
	if (i < 0)
		return E_BAD_ADDRESS;
	cptr_t f = mm_slot();
	if (!f)
		return E_NOT_ENOUGH_MEMORY;
	enum err e = cnode_copy(SLOT_CNODE, f, t->store, (uint64_t)i, RIGHT_READ | RIGHT_WRITE);
	if (!e) {
		uint8_t *p = (uint8_t *)scratch_map(f) + va % PAGE;
		if (write)
			memcpy(p, buf, len);
		else
			memcpy(buf, p, len);
		scratch_unmap(f);
		cnode_delete(SLOT_CNODE, f);
	}
	mm_slot_free(f);
	return e;
}

/* Bytes at addr..addr+len, page by page (an instruction may straddle two). */
static enum err copy(struct mtask *t, uint64_t addr, uint8_t *buf, uint64_t len, int write)
{
	while (len) {
		uint64_t n = PAGE - addr % PAGE;
		if (n > len)
			n = len;
		enum err e = copy_page(t, addr, buf, n, write);
		if (e)
			return e;
		addr += n, buf += n, len -= n;
	}
	return E_OK;
}

enum err debug_peek(struct mtask *t, uint64_t addr, uint64_t bytes, uint64_t *words)
{
	if (bytes < 1 || bytes > MM_PEEK_MAX || addr + bytes < addr)
		return E_RANGE;
	memset(words, 0, (bytes + 7) / 8 * 8);
	return copy(t, addr, (uint8_t *)words, bytes, 0);
}

static inline void fence_i(void) { __asm__ volatile("fence.i" ::: "memory"); }

enum err debug_poke(struct mtask *t, uint64_t addr, uint64_t bytes, uint64_t value)
{
	if (bytes < 1 || bytes > 8 || addr + bytes < addr)
		return E_RANGE;
	enum err e = copy(t, addr, (uint8_t *)&value, bytes, 1);
	/* Instruction fetch after our store: fence.i orders it on this hart,
	 * the only one (QEMU drops code it translated from the page itself). */
	fence_i();
	return e;
}

/* A noted page lies in the task's writable memory unless an image segment
 * without PF_W holds it. */
static int page_writable(const struct mtask *t, uint64_t va)
{
	for (unsigned i = 0; i < t->nseg; i++)
		if (!(t->seg[i].flags & PF_W) && va + PAGE > t->seg[i].start && va < t->seg[i].end)
			return 0;
	return 1;
}

/* The bounds of a region; MR_WRITABLE's come from its pages. */
static enum err region_bounds(const struct mtask *t, uint64_t region, uint64_t *start, uint64_t *end)
{
	*start = *end = 0;
	switch (region) {
	case MR_TEXT:
		*start = t->text_start, *end = t->text_end;
		return E_OK;
	case MR_DATA:
		for (unsigned i = 0; i < t->nseg; i++)
			if (t->seg[i].flags & PF_W)
				*start = t->seg[i].start, *end = t->seg[i].end;
		return E_OK;
	case MR_HEAP:
		*start = t->heap_start, *end = t->brk;
		return E_OK;
	case MR_STACK:
		*start = TASK_STACK_TOP - t->stack_max * PAGE, *end = TASK_STACK_TOP;
		return E_OK;
	case MR_WRITABLE:
		return E_OK;
	default:
		return E_INVALID_ARGUMENT;
	}
}

/* The page of store slot i if it is a RAM page of the region, else 0. */
static uint64_t region_page(const struct mtask *t, uint64_t i, uint64_t region, uint64_t start, uint64_t end)
{
	uint64_t va = (uint64_t)t->page_vpn[i] * PAGE;
	if (!va)
		return 0;
	if (region == MR_WRITABLE)
		return page_writable(t, va) ? va : 0;
	return va + PAGE > start && va < end ? va : 0;
}

/* MM_REGION: res = start, end, pages mapped, the (n mod pages)-th page.
 * Pages are counted in store order, the order mm mapped them, so the same
 * program doing the same things gives the same numbering. */
enum err debug_region(struct mtask *t, uint64_t region, uint64_t n, uint64_t res[4])
{
	uint64_t start, end, count = 0, lo = 0, hi = 0, k = 0;
	enum err e = region_bounds(t, region, &start, &end);
	if (e)
		return e;
	for (uint64_t i = 0; i < t->store_next; i++) {
		uint64_t va = region_page(t, i, region, start, end);
		if (!va)
			continue;
		lo = !count || va < lo ? va : lo;
		hi = va + PAGE > hi ? va + PAGE : hi;
		count++;
	}
	if (region == MR_WRITABLE)
		start = lo, end = hi;
	res[0] = start, res[1] = end, res[2] = count, res[3] = 0;
	for (uint64_t i = 0; i < t->store_next && count; i++) {
		uint64_t va = region_page(t, i, region, start, end);
		if (va && k++ == n % count) {
			res[3] = va;
			break;
		}
	}
	return E_OK;
}
