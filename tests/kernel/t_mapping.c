/* Mappings that could outlive what they point to: page tables, frames and
 * large frames deleted or unmapped in every order against their VSpace,
 * ASID reuse, and revoke of the untyped under live mappings. Each ends by
 * mapping what is left into our own space and checking that the old path
 * leads nowhere, and by the kernel's mapping invariant (self-check). */
#include "harness.h"

#define FAR 0x3000000000ULL    /* a root entry of ours nothing else uses */
#define OFFSET 0x1000ULL       /* where F sits in the other space */

static enum err pt_unmap(cptr_t pt) { return INVOKE0(pt, PAGE_TABLE_UNMAP); }

/* Nothing of ours is mapped at va: the kernel will not read it for us. */
static void check_unreachable(uint64_t va)
{
	CHECK_ERR(sys_debug_write(SLOT_SYSTEM, (const void *)va, 1), E_BAD_ADDRESS);
}

/* ... and a table mapped above va leads to no table below: a frame cannot
 * go there without one. */
static void check_no_table_below(uint64_t va)
{
	check_unreachable(va);
	CHECK_ERR(frame_map(make(OBJ_FRAME, 0), SLOT_VSPACE, va, RIGHT_READ), E_NO_MAPPING);
}

struct stale {
	cptr_t ut, f, v, pt1, pt0;
};

/* A frame F from a one-page untyped, mapped at OFFSET in a new VSpace V
 * through page tables PT1 (in V's root) and PT0 (in PT1). */
static struct stale stale_setup(void)
{
	struct stale s = { make(OBJ_UNTYPED, 12), new_slot(), make(OBJ_VSPACE, 0), make(OBJ_PAGE_TABLE, 0),
			   make(OBJ_PAGE_TABLE, 0) };
	CHECK_OK(untyped_retype(s.ut, OBJ_FRAME, 0, SLOT_CNODE, s.f, 1));
	CHECK_OK(page_table_map(s.pt1, s.v, OFFSET));
	CHECK_OK(page_table_map(s.pt0, s.v, OFFSET));
	CHECK_OK(frame_map(s.f, s.v, OFFSET, RIGHT_READ | RIGHT_WRITE));
	CHECK_EQ(self_check(), 0);
	return s;
}

/* F's memory becomes a notification; reading it through a stale path
 * would let us forge its badge. */
static cptr_t reuse_as_notification(struct stale *s)
{
	cptr_t n = new_slot();
	CHECK_OK(cnode_delete(SLOT_CNODE, s->f));
	CHECK_OK(untyped_retype(s->ut, OBJ_NOTIFICATION, 0, SLOT_CNODE, n, 1));
	return n;
}

/* The sequence of the report: V deleted, PT1 unmapped and mapped into our
 * own space, F deleted and its memory retyped as a notification. */
TEST(deleted_vspace_leaves_no_path_to_a_kernel_object)
{
	struct stale s = stale_setup();
	CHECK_OK(cnode_delete(SLOT_CNODE, s.v));
	CHECK_OK(pt_unmap(s.pt1));
	CHECK_EQ(self_check(), 0);
	CHECK_OK(page_table_map(s.pt1, SLOT_VSPACE, FAR));
	cptr_t n = reuse_as_notification(&s);
	check_no_table_below(FAR + OFFSET);
	CHECK_ERR(ntfn_poll(n).err, E_WOULD_BLOCK);   /* nobody signalled it */
	CHECK_EQ(self_check(), 0);
	CHECK_OK(pt_unmap(s.pt1));
}

/* One cap per page table: a copy would be a second, unmapped handle on a
 * table that may still hold entries. */
TEST(page_table_caps_cannot_be_copied)
{
	struct stale s = stale_setup();
	cptr_t c = new_slot();
	CHECK_ERR(cnode_copy(SLOT_CNODE, c, SLOT_CNODE, s.pt1, RIGHTS_ALL), E_ILLEGAL_OPERATION);
	CHECK_OK(cnode_delete(SLOT_CNODE, s.v));
	CHECK_ERR(cnode_copy(SLOT_CNODE, c, SLOT_CNODE, s.pt1, RIGHTS_ALL), E_ILLEGAL_OPERATION);
	CHECK_ERR(cnode_mint(SLOT_CNODE, c, SLOT_CNODE, s.pt0, RIGHTS_ALL, 0), E_ILLEGAL_OPERATION);
	CHECK_EQ(slot_info(c).type, OBJ_NONE);
	/* moving keeps the one cap, and with it the record of the mapping */
	CHECK_OK(cnode_move(SLOT_CNODE, c, SLOT_CNODE, s.pt1));
	CHECK_OK(pt_unmap(c));
	CHECK_OK(page_table_map(c, SLOT_VSPACE, FAR));
	check_no_table_below(FAR + OFFSET);
	CHECK_OK(pt_unmap(c));
}

enum step { DELETE_V, DELETE_F, UNMAP_PT1, UNMAP_PT0, STEPS };

static void do_step(struct stale *s, enum step st)
{
	switch (st) {
	case DELETE_V: CHECK_OK(cnode_delete(SLOT_CNODE, s->v)); break;
	case DELETE_F: reuse_as_notification(s); break;
	case UNMAP_PT1: CHECK_OK(pt_unmap(s->pt1)); break;
	default: CHECK_OK(pt_unmap(s->pt0)); break;
	}
	CHECK_EQ(self_check(), 0);
}

/* Every order of deleting V and F and unmapping both tables; then both
 * tables go into our space, and neither leads to F's old memory. */
TEST(every_order_of_delete_and_unmap)
{
	static const uint8_t orders[24][4] = {
		{0,1,2,3},{0,1,3,2},{0,2,1,3},{0,2,3,1},{0,3,1,2},{0,3,2,1},
		{1,0,2,3},{1,0,3,2},{1,2,0,3},{1,2,3,0},{1,3,0,2},{1,3,2,0},
		{2,0,1,3},{2,0,3,1},{2,1,0,3},{2,1,3,0},{2,3,0,1},{2,3,1,0},
		{3,0,1,2},{3,0,2,1},{3,1,0,2},{3,1,2,0},{3,2,0,1},{3,2,1,0},
	};
	for (int o = 0; o < 24; o++) {
		struct stale s = stale_setup();
		for (int i = 0; i < STEPS; i++)
			do_step(&s, (enum step)orders[o][i]);
		CHECK_OK(page_table_map(s.pt1, SLOT_VSPACE, FAR));
		check_no_table_below(FAR + OFFSET);
		CHECK_OK(pt_unmap(s.pt1));
		cptr_t top = make(OBJ_PAGE_TABLE, 0);
		CHECK_OK(page_table_map(top, SLOT_VSPACE, FAR));
		CHECK_OK(page_table_map(s.pt0, SLOT_VSPACE, FAR));
		check_unreachable(FAR + OFFSET);
		CHECK_EQ(self_check(), 0);
		CHECK_OK(pt_unmap(s.pt0));
		CHECK_OK(pt_unmap(top));
	}
}

/* Deleting the tables' last caps instead of unmapping them: the dead
 * tables' memory comes back as frames of ours, full of zeros. */
TEST(deleted_page_tables_come_back_clean)
{
	cptr_t ut = make(OBJ_UNTYPED, 13), f = make(OBJ_FRAME, 0), v = make(OBJ_VSPACE, 0);
	cptr_t pt1 = new_slot(), pt0 = new_slot(), g = new_slot();
	new_slot();   /* g + 1 */
	CHECK_OK(untyped_retype(ut, OBJ_PAGE_TABLE, 0, SLOT_CNODE, pt1, 1));
	CHECK_OK(untyped_retype(ut, OBJ_PAGE_TABLE, 0, SLOT_CNODE, pt0, 1));
	CHECK_OK(page_table_map(pt1, v, OFFSET));
	CHECK_OK(page_table_map(pt0, v, OFFSET));
	CHECK_OK(frame_map(f, v, OFFSET, RIGHT_READ | RIGHT_WRITE));
	CHECK_OK(cnode_delete(SLOT_CNODE, v));
	CHECK_OK(cnode_delete(SLOT_CNODE, pt0));
	CHECK_OK(cnode_delete(SLOT_CNODE, pt1));
	CHECK_EQ(self_check(), 0);
	CHECK_OK(untyped_retype(ut, OBJ_FRAME, 0, SLOT_CNODE, g, 2));
	for (int i = 0; i < 2; i++) {
		uint64_t va = new_vaddr(1);
		CHECK_OK(map_frame(g + i, SLOT_VSPACE, va, RIGHT_READ));
		for (int w = 0; w < 512; w++)
			CHECK_EQ(((volatile uint64_t *)va)[w], 0);
	}
}

/* A new VSpace gets the dead one's ASID: the old caps' records name it,
 * and must neither unmap nor reach what the new space maps there. */
TEST(asid_reuse_leaves_the_new_space_alone)
{
	struct stale s = stale_setup();
	CHECK_OK(cnode_delete(SLOT_CNODE, s.v));
	cptr_t w = make(OBJ_VSPACE, 0), f2 = make(OBJ_FRAME, 0);
	CHECK_OK(map_frame(f2, w, OFFSET, RIGHT_READ | RIGHT_WRITE));
	CHECK_OK(frame_unmap(s.f));
	CHECK_OK(pt_unmap(s.pt0));
	CHECK_OK(pt_unmap(s.pt1));
	CHECK_ERR(frame_map(make(OBJ_FRAME, 0), w, OFFSET, RIGHT_READ), E_DELETE_FIRST);   /* f2 still there */
	CHECK_ERR(frame_map(f2, w, OFFSET, RIGHT_READ), E_IN_USE);
	CHECK_EQ(self_check(), 0);
	/* and the old tables, mapped into our space, lead nowhere */
	CHECK_OK(page_table_map(s.pt1, SLOT_VSPACE, FAR));
	check_no_table_below(FAR + OFFSET);
	CHECK_OK(pt_unmap(s.pt1));
}

/* The same with a 2 MiB frame in PT1 (a leaf one level up). */
TEST(large_frame_in_a_dead_vspace)
{
	cptr_t ut = make(OBJ_UNTYPED, 21), lf = new_slot(), v = make(OBJ_VSPACE, 0), pt1 = make(OBJ_PAGE_TABLE, 0);
	CHECK_OK(untyped_retype(ut, OBJ_LARGE_FRAME, 0, SLOT_CNODE, lf, 1));
	CHECK_OK(page_table_map(pt1, v, 0x200000));
	CHECK_OK(frame_map(lf, v, 0x200000, RIGHT_READ | RIGHT_WRITE));
	CHECK_EQ(self_check(), 0);
	CHECK_OK(cnode_delete(SLOT_CNODE, v));
	CHECK_OK(pt_unmap(pt1));
	CHECK_OK(page_table_map(pt1, SLOT_VSPACE, FAR));
	CHECK_OK(cnode_delete(SLOT_CNODE, lf));
	CHECK_OK(untyped_retype(ut, OBJ_NOTIFICATION, 0, SLOT_CNODE, new_slot(), 4));
	CHECK_ERR(sys_debug_write(SLOT_SYSTEM, (const void *)(FAR + 0x200000), 1), E_BAD_ADDRESS);
	CHECK_EQ(self_check(), 0);
	CHECK_OK(pt_unmap(pt1));
}

/* Revoking the untyped under live mappings in our own space removes them
 * before the memory can be handed out again. */
TEST(revoke_under_live_mappings)
{
	cptr_t ut = make(OBJ_UNTYPED, 16), pt1 = new_slot(), pt0 = new_slot(), f = new_slot();
	new_slot();   /* f + 1 */
	cptr_t v = new_slot();
	CHECK_OK(untyped_retype(ut, OBJ_PAGE_TABLE, 0, SLOT_CNODE, pt1, 1));
	CHECK_OK(untyped_retype(ut, OBJ_PAGE_TABLE, 0, SLOT_CNODE, pt0, 1));
	CHECK_OK(untyped_retype(ut, OBJ_FRAME, 0, SLOT_CNODE, f, 2));
	CHECK_OK(page_table_map(pt1, SLOT_VSPACE, FAR));
	CHECK_OK(page_table_map(pt0, SLOT_VSPACE, FAR));
	CHECK_OK(frame_map(f, SLOT_VSPACE, FAR + OFFSET, RIGHT_READ | RIGHT_WRITE));
	*(volatile uint64_t *)(FAR + OFFSET) = 0x5ca1ab1e;
	/* a VSpace made last is deleted first by the revoke, under f + 1 */
	CHECK_OK(untyped_retype(ut, OBJ_VSPACE, 0, SLOT_CNODE, v, 1));
	CHECK_OK(map_frame(f + 1, v, OFFSET, RIGHT_READ | RIGHT_WRITE));
	CHECK_EQ(self_check(), 0);
	CHECK_OK(cnode_revoke(SLOT_CNODE, ut));
	CHECK_EQ(slot_info(f).type, OBJ_NONE);
	check_unreachable(FAR + OFFSET);
	CHECK_OK(untyped_retype(ut, OBJ_NOTIFICATION, 0, SLOT_CNODE, new_slot(), 64));
	check_unreachable(FAR + OFFSET);
	CHECK_EQ(self_check(), 0);
}
