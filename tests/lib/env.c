/* Resources for test and benchmark tasks, handed out in order and
 * reclaimed all at once by revoking the pool. */
#include "env.h"

const struct bootinfo *bi;
cptr_t pool;
static cptr_t first_slot, next_slot;
static uint64_t next_va;

#define TEST_VA_BASE 0x48000000ULL
#define TEST_VA_SIZE 0x08000000ULL

cptr_t new_slot(void)
{
	if (next_slot >= bi->empty.end)
		ktest_fail(__FILE__, __LINE__, "out of slots");
	return next_slot++;
}

cptr_t make(uint64_t type, uint64_t bits)
{
	cptr_t s = new_slot();
	CHECK_OK(untyped_retype(pool, type, bits, SLOT_CNODE, s, 1));
	return s;
}

uint64_t new_vaddr(uint64_t pages)
{
	uint64_t va = next_va;
	next_va += (pages + 1) * 4096;   /* leave a guard page */
	CHECK(next_va < TEST_VA_BASE + TEST_VA_SIZE);
	return va;
}

enum err map_frame(cptr_t frame, cptr_t vspace, uint64_t va, uint64_t rights)
{
	enum err e;
	for (int tries = 0; tries < 3; tries++) {
		e = frame_map(frame, vspace, va, rights);
		if (e != E_NO_MAPPING)
			return e;
		CHECK_OK(page_table_map(make(OBJ_PAGE_TABLE, 0), vspace, va));
	}
	return e;
}

void *new_page(cptr_t *frame)
{
	cptr_t f = make(OBJ_FRAME, 0);
	uint64_t va = new_vaddr(1);
	CHECK_OK(map_frame(f, SLOT_VSPACE, va, RIGHT_READ | RIGHT_WRITE));
	if (frame)
		*frame = f;
	return (void *)va;
}

struct cnode_info slot_info(cptr_t slot)
{
	uint64_t r[6];
	unsigned n = 0;
	CHECK_OK(invoke(SLOT_CNODE, CNODE_INFO, 1, (uint64_t[]){ slot }, r, &n));
	CHECK_EQ(n, 6);
	return (struct cnode_info){ r[0], r[1], r[2], r[3], r[4], r[5] };
}

/* The device untyped that starts at paddr, or 0. */
cptr_t device_untyped(uint64_t paddr)
{
	for (cptr_t s = bi->untyped.start; s < bi->untyped.end; s++) {
		const struct untyped_desc *u = &bi->untyped_list[s - bi->untyped.start];
		if (u->is_device && u->paddr == paddr)
			return s;
	}
	return 0;
}

/* The UART mapped in our space, its IRQ handler in a new slot (*handler)
 * signalling notification n with the badge 1 << UART_IRQ. */
volatile uint8_t *uart_with_irq(cptr_t n, cptr_t *handler)
{
	cptr_t ut = device_untyped(UART_PADDR), f = new_slot(), nb = new_slot();
	*handler = new_slot();
	CHECK(ut != 0);
	CHECK_OK(untyped_retype(ut, OBJ_FRAME, 0, SLOT_CNODE, f, 1));
	uint64_t va = new_vaddr(1);
	CHECK_OK(map_frame(f, SLOT_VSPACE, va, RIGHT_READ | RIGHT_WRITE));
	CHECK_OK(cnode_mint(SLOT_CNODE, nb, SLOT_CNODE, n, RIGHTS_ALL, 1 << UART_IRQ));
	CHECK_OK(INVOKE(SLOT_IRQ_CONTROL, IRQ_CONTROL_GET, UART_IRQ, SLOT_CNODE, *handler));
	CHECK_OK(INVOKE(*handler, IRQ_HANDLER_SET_NOTIFICATION, nb));
	return (volatile uint8_t *)va;
}

uint64_t self_check(void)
{
	uint64_t r[1];
	unsigned n;
	CHECK_OK(invoke(SLOT_SYSTEM, SYSTEM_SELF_CHECK, 0, 0, r, &n));
	return r[0];
}

uint64_t fastpath_hits(void)
{
	uint64_t r[1];
	unsigned n;
	CHECK_OK(invoke(SLOT_SYSTEM, SYSTEM_FASTPATH_HITS, 0, 0, r, &n));
	return r[0];
}

uint64_t thread_count(void)
{
	uint64_t r[1];
	unsigned n;
	CHECK_OK(invoke(SLOT_SYSTEM, SYSTEM_THREAD_COUNT, 0, 0, r, &n));
	return r[0];
}

void spin_yield(int times)
{
	while (times--)
		sys_yield();
}

/* Stack and IPC buffer pages for a child, mapped in our space. */
static uint64_t child_pages(struct child *c)
{
	uint64_t stack = new_vaddr(4);
	for (int i = 0; i < 4; i++)
		CHECK_OK(map_frame(make(OBJ_FRAME, 0), SLOT_VSPACE, stack + i * 4096, RIGHT_READ | RIGHT_WRITE));
	c->buf = new_page(&c->buf_frame);
	c->tcb = make(OBJ_TCB, 0);
	return stack + 4 * 4096;
}

static void child_go(struct child *c, uint64_t stack_top, void (*fn)(uint64_t), uint64_t arg,
		     uint64_t prio, cptr_t fault_ep)
{
	struct thread_config cfg = {
		.tcb = c->tcb, .cspace = SLOT_CNODE, .vspace = c->vspace, .ipcbuf_frame = c->buf_frame,
		.fault_ep = fault_ep, .ipcbuf = c->buf, .stack_top = (void *)stack_top,
		.prio_authority = SLOT_TCB, .prio = prio,
	};
	CHECK_OK(thread_start(&c->th, &cfg, fn, arg));
}

void child_start(struct child *c, void (*fn)(uint64_t), uint64_t arg, uint64_t prio, cptr_t fault_ep)
{
	uint64_t top = child_pages(c);
	c->vspace = SLOT_VSPACE;
	child_go(c, top, fn, arg, prio, fault_ep);
}

/* Copy a frame cap of ours and map the copy at the same address in vs. */
static void share_frame(cptr_t frame, uint64_t va, uint64_t rights, cptr_t vs)
{
	cptr_t copy = new_slot();
	CHECK_OK(cnode_copy(SLOT_CNODE, copy, SLOT_CNODE, frame, RIGHTS_ALL));
	CHECK_OK(map_frame(copy, vs, va, rights));
}

/* A new address space mapping everything the test task has: its image,
 * stack and every page the current test mapped so far. With `image_ro`,
 * the image (our data and stack too) is mapped read-only: the new space
 * can then harm nothing of ours but the pages the test made. */
static cptr_t vspace_with_image(int image_ro)
{
	cptr_t vs = make(OBJ_VSPACE, 0);
	cptr_t end = next_slot;
	for (cptr_t s = bi->image_frames.start; s < bi->image_frames.end; s++) {
		struct cnode_info i = slot_info(s);
		if (i.type == OBJ_FRAME)
			share_frame(s, i.data, image_ro ? i.rights & ~(uint64_t)RIGHT_WRITE : i.rights, vs);
	}
	for (cptr_t s = first_slot; s < end; s++) {
		struct cnode_info i = slot_info(s);
		if (i.type == OBJ_FRAME && i.data)
			share_frame(s, i.data, i.rights, vs);
	}
	if (!image_ro)
		share_frame(SLOT_IPC_BUFFER, ROOT_IPCBUF_VADDR, RIGHT_READ | RIGHT_WRITE, vs);
	return vs;
}

cptr_t new_vspace_with_image(void) { return vspace_with_image(0); }

void child_start_cross_as(struct child *c, void (*fn)(uint64_t), uint64_t arg, uint64_t prio,
			  cptr_t fault_ep)
{
	uint64_t top = child_pages(c);   /* mapped first, so the new space gets them too */
	c->vspace = vspace_with_image(0);
	child_go(c, top, fn, arg, prio, fault_ep);
}

void child_start_isolated(struct child *c, void (*fn)(uint64_t), uint64_t arg, uint64_t prio, cptr_t fault_ep)
{
	uint64_t top = child_pages(c);
	c->vspace = vspace_with_image(1);
	child_go(c, top, fn, arg, prio, fault_ep);
}

/* Destroy whatever the test made: its slots, then everything in the pool
 * (a failure is the caller's: ktest_fail). */
void env_reset(void)
{
	cptr_t end = next_slot;
	next_slot = first_slot;
	next_va = TEST_VA_BASE;
	for (cptr_t s = first_slot; s < end; s++)
		CHECK_OK(cnode_delete(SLOT_CNODE, s));
	CHECK_OK(cnode_revoke(SLOT_CNODE, pool));
	CHECK_EQ(slot_info(pool).has_children, 0);
}

static cptr_t largest_untyped(void)
{
	cptr_t best = 0;
	unsigned bits = 0;
	for (cptr_t s = bi->untyped.start; s < bi->untyped.end; s++) {
		const struct untyped_desc *u = &bi->untyped_list[s - bi->untyped.start];
		if (!u->is_device && u->size_bits > bits) {
			bits = u->size_bits;
			best = s;
		}
	}
	return best;
}

void env_init(const struct bootinfo *bootinfo)
{
	bi = bootinfo;
	pool = largest_untyped();
	first_slot = next_slot = bi->empty.start;
	next_va = TEST_VA_BASE;
}
