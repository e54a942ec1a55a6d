/* Address spaces: mapping frames and page tables, rights, unmapping. */
#include "harness.h"

TEST(map_write_read_unmap)
{
	cptr_t f = make(OBJ_FRAME, 0);
	uint64_t va = new_vaddr(1);
	CHECK_OK(map_frame(f, SLOT_VSPACE, va, RIGHT_READ | RIGHT_WRITE));
	volatile uint64_t *p = (volatile uint64_t *)va;
	CHECK_EQ(*p, 0);   /* retype zeroes memory */
	*p = 0xfeed;
	CHECK_EQ(*p, 0xfeed);
	CHECK_OK(frame_unmap(f));
	/* map again elsewhere: same memory */
	uint64_t va2 = new_vaddr(1);
	CHECK_OK(map_frame(f, SLOT_VSPACE, va2, RIGHT_READ));
	CHECK_EQ(*(volatile uint64_t *)va2, 0xfeed);
}

TEST(map_shared_between_two_caps)
{
	cptr_t f = make(OBJ_FRAME, 0), g = new_slot();
	uint64_t a = new_vaddr(1), b = new_vaddr(1);
	CHECK_OK(cnode_copy(SLOT_CNODE, g, SLOT_CNODE, f, RIGHTS_ALL));
	CHECK_OK(map_frame(f, SLOT_VSPACE, a, RIGHT_READ | RIGHT_WRITE));
	CHECK_OK(map_frame(g, SLOT_VSPACE, b, RIGHT_READ));
	*(volatile uint32_t *)a = 0x5a5a;
	CHECK_EQ(*(volatile uint32_t *)b, 0x5a5a);
}

TEST(map_unaligned_fails)
{
	cptr_t f = make(OBJ_FRAME, 0), l = make(OBJ_LARGE_FRAME, 0);
	CHECK_ERR(frame_map(f, SLOT_VSPACE, new_vaddr(1) + 8, RIGHT_READ), E_ALIGNMENT);
	CHECK_ERR(frame_map(l, SLOT_VSPACE, 0x50001000, RIGHT_READ), E_ALIGNMENT);
}

TEST(map_kernel_address_fails)
{
	cptr_t f = make(OBJ_FRAME, 0);
	CHECK_ERR(frame_map(f, SLOT_VSPACE, 0xFFFFFFC080200000ULL, RIGHT_READ), E_RANGE);
	CHECK_ERR(frame_map(f, SLOT_VSPACE, USER_TOP, RIGHT_READ), E_RANGE);
	CHECK_ERR(page_table_map(make(OBJ_PAGE_TABLE, 0), SLOT_VSPACE, USER_TOP + 0x1000), E_RANGE);
}

TEST(map_without_page_table_fails)
{
	cptr_t f = make(OBJ_FRAME, 0);
	CHECK_ERR(frame_map(f, SLOT_VSPACE, 0x2000000000ULL, RIGHT_READ), E_NO_MAPPING);
}

TEST(map_twice_fails)
{
	cptr_t f = make(OBJ_FRAME, 0), g = make(OBJ_FRAME, 0);
	uint64_t va = new_vaddr(1);
	CHECK_OK(map_frame(f, SLOT_VSPACE, va, RIGHT_READ));
	CHECK_ERR(frame_map(f, SLOT_VSPACE, new_vaddr(1), RIGHT_READ), E_IN_USE);
	CHECK_ERR(frame_map(g, SLOT_VSPACE, va, RIGHT_READ), E_DELETE_FIRST);
}

TEST(map_needs_rights)
{
	cptr_t f = make(OBJ_FRAME, 0), ro = new_slot();
	CHECK_OK(cnode_mint(SLOT_CNODE, ro, SLOT_CNODE, f, RIGHT_READ, 0));
	CHECK_ERR(frame_map(ro, SLOT_VSPACE, new_vaddr(1), RIGHT_READ | RIGHT_WRITE), E_NO_RIGHTS);
	CHECK_ERR(frame_map(f, SLOT_VSPACE, new_vaddr(1), 0), E_NO_RIGHTS);
	CHECK_ERR(frame_map(f, make(OBJ_ENDPOINT, 0), new_vaddr(1), RIGHT_READ), E_INVALID_CAPABILITY);
	CHECK_ERR(INVOKE(SLOT_TCB, FRAME_MAP, SLOT_VSPACE, 0x48000000, 1), E_ILLEGAL_OPERATION);
}

TEST(page_table_map_twice_fails)
{
	cptr_t pt = make(OBJ_PAGE_TABLE, 0), pt2 = make(OBJ_PAGE_TABLE, 0), pt3 = make(OBJ_PAGE_TABLE, 0);
	CHECK_OK(page_table_map(pt, SLOT_VSPACE, 0x1000000000ULL));    /* level 1 there */
	CHECK_OK(page_table_map(pt2, SLOT_VSPACE, 0x1000000000ULL));   /* then level 0 */
	CHECK_ERR(page_table_map(pt3, SLOT_VSPACE, 0x1000000000ULL), E_DELETE_FIRST);
	CHECK_ERR(page_table_map(pt, SLOT_VSPACE, 0x2000000000ULL), E_IN_USE);
	cptr_t f = make(OBJ_FRAME, 0);
	CHECK_OK(frame_map(f, SLOT_VSPACE, 0x1000000000ULL, RIGHT_READ | RIGHT_WRITE));
	*(volatile int *)0x1000000000ULL = 3;
	CHECK_OK(INVOKE0(pt2, PAGE_TABLE_UNMAP));
	CHECK_ERR(frame_map(make(OBJ_FRAME, 0), SLOT_VSPACE, 0x1000000000ULL, RIGHT_READ), E_NO_MAPPING);
}

TEST(large_frame_map)
{
	cptr_t l = make(OBJ_LARGE_FRAME, 0), pt = make(OBJ_PAGE_TABLE, 0);
	CHECK_OK(page_table_map(pt, SLOT_VSPACE, 0x1200000000ULL));
	CHECK_OK(frame_map(l, SLOT_VSPACE, 0x1200200000ULL, RIGHT_READ | RIGHT_WRITE));
	volatile uint8_t *p = (volatile uint8_t *)0x1200200000ULL;
	p[0] = 1;
	p[(2 << 20) - 1] = 2;
	CHECK_EQ(p[0] + p[(2 << 20) - 1], 3);
}

TEST(frame_physical_address)
{
	cptr_t f = make(OBJ_FRAME, 0);
	uint64_t r[1];
	unsigned n;
	CHECK_OK(invoke(f, FRAME_GET_ADDRESS, 0, 0, r, &n));
	CHECK_EQ(r[0], slot_info(f).paddr);
	CHECK(r[0] >= 0x80000000ULL);
}

TEST(deleting_mapped_frame_unmaps_it)
{
	/* a child touches a page after its frame cap is deleted: it faults */
	cptr_t f = make(OBJ_FRAME, 0);
	uint64_t va = new_vaddr(1);
	CHECK_OK(map_frame(f, SLOT_VSPACE, va, RIGHT_READ | RIGHT_WRITE));
	*(volatile int *)va = 1;
	CHECK_OK(cnode_delete(SLOT_CNODE, f));
	CHECK_OK(frame_map(make(OBJ_FRAME, 0), SLOT_VSPACE, va, RIGHT_READ));   /* the slot is free again */
	CHECK_EQ(*(volatile int *)va, 0);
}

TEST(deleting_vspace_stops_its_threads)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	child_start_cross_as(&c, (void (*)(uint64_t))0x10, ep, TEST_PRIO - 1, 0);
	CHECK_OK(cnode_delete(SLOT_CNODE, c.vspace));
	uint64_t r[MSG_MAX_WORDS];
	unsigned n;
	CHECK_OK(invoke(c.tcb, TCB_GET_STATE, 0, 0, r, &n));
	CHECK_EQ(r[0], TS_INACTIVE);
	CHECK_ERR(tcb_resume(c.tcb), E_ILLEGAL_OPERATION);
}
