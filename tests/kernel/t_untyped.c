/* Untyped memory: retype of every object type and its error paths. */
#include "harness.h"

TEST(retype_every_object_type)
{
	static const uint64_t types[][2] = {
		{ OBJ_TCB, 0 }, { OBJ_ENDPOINT, 0 }, { OBJ_NOTIFICATION, 0 }, { OBJ_CNODE, 3 },
		{ OBJ_VSPACE, 0 }, { OBJ_PAGE_TABLE, 0 }, { OBJ_FRAME, 0 }, { OBJ_LARGE_FRAME, 0 },
		{ OBJ_TIMER, 0 }, { OBJ_UNTYPED, 16 },
	};
	for (unsigned i = 0; i < sizeof types / sizeof types[0]; i++) {
		cptr_t s = make(types[i][0], types[i][1]);
		CHECK_EQ(slot_info(s).type, types[i][0]);
	}
}

TEST(retype_objects_are_aligned_and_distinct)
{
	cptr_t a = make(OBJ_FRAME, 0), b = make(OBJ_FRAME, 0), t = make(OBJ_TCB, 0);
	CHECK_EQ(slot_info(a).paddr % 4096, 0);
	CHECK(slot_info(a).paddr != slot_info(b).paddr);
	CHECK_EQ(slot_info(t).paddr % (1 << TCB_SIZE_BITS), 0);
}

TEST(retype_several_at_once)
{
	cptr_t first = new_slot();
	for (int i = 1; i < 8; i++)
		new_slot();
	CHECK_OK(untyped_retype(pool, OBJ_ENDPOINT, 0, SLOT_CNODE, first, 8));
	for (int i = 0; i < 8; i++)
		CHECK_EQ(slot_info(first + i).type, OBJ_ENDPOINT);
}

TEST(retype_bad_type_fails)
{
	CHECK_ERR(untyped_retype(pool, OBJ_IRQ_HANDLER, 0, SLOT_CNODE, new_slot(), 1), E_INVALID_ARGUMENT);
	CHECK_ERR(untyped_retype(pool, 77, 0, SLOT_CNODE, new_slot(), 1), E_INVALID_ARGUMENT);
	CHECK_ERR(untyped_retype(pool, OBJ_CNODE, 0, SLOT_CNODE, new_slot(), 1), E_INVALID_ARGUMENT);
	CHECK_ERR(untyped_retype(pool, OBJ_CNODE, 30, SLOT_CNODE, new_slot(), 1), E_INVALID_ARGUMENT);
	CHECK_ERR(untyped_retype(pool, OBJ_UNTYPED, 2, SLOT_CNODE, new_slot(), 1), E_INVALID_ARGUMENT);
}

TEST(retype_beyond_size_fails)
{
	cptr_t small = make(OBJ_UNTYPED, 12);   /* 4 KiB */
	CHECK_ERR(untyped_retype(small, OBJ_LARGE_FRAME, 0, SLOT_CNODE, new_slot(), 1), E_NOT_ENOUGH_MEMORY);
	cptr_t f = new_slot();
	CHECK_OK(untyped_retype(small, OBJ_FRAME, 0, SLOT_CNODE, f, 1));
	CHECK_ERR(untyped_retype(small, OBJ_ENDPOINT, 0, SLOT_CNODE, new_slot(), 1), E_NOT_ENOUGH_MEMORY);
}

TEST(retype_into_occupied_slot_fails)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	CHECK_ERR(untyped_retype(pool, OBJ_ENDPOINT, 0, SLOT_CNODE, ep, 1), E_DELETE_FIRST);
	CHECK_ERR(untyped_retype(pool, OBJ_ENDPOINT, 0, SLOT_CNODE, SLOT_TCB, 1), E_DELETE_FIRST);
}

TEST(retype_count_out_of_range)
{
	CHECK_ERR(untyped_retype(pool, OBJ_ENDPOINT, 0, SLOT_CNODE, new_slot(), 0), E_RANGE);
	CHECK_ERR(untyped_retype(pool, OBJ_ENDPOINT, 0, SLOT_CNODE, 4090, 10), E_RANGE);
}

TEST(retype_device_memory_only_frames)
{
	cptr_t dev = 0;
	for (cptr_t s = bi->untyped.start; s < bi->untyped.end; s++)
		if (bi->untyped_list[s - bi->untyped.start].is_device)
			dev = s;
	CHECK(dev != 0);
	CHECK_ERR(untyped_retype(dev, OBJ_TCB, 0, SLOT_CNODE, new_slot(), 1), E_INVALID_ARGUMENT);
	CHECK_ERR(untyped_retype(dev, OBJ_CNODE, 2, SLOT_CNODE, new_slot(), 1), E_INVALID_ARGUMENT);
	cptr_t f = new_slot();
	CHECK_OK(untyped_retype(dev, OBJ_FRAME, 0, SLOT_CNODE, f, 1));
	CHECK_OK(cnode_delete(SLOT_CNODE, f));
}

TEST(retype_on_non_untyped_fails)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	CHECK_ERR(untyped_retype(SLOT_TCB, OBJ_ENDPOINT, 0, SLOT_CNODE, new_slot(), 1), E_ILLEGAL_OPERATION);
	CHECK_ERR(untyped_retype(pool, OBJ_ENDPOINT, 0, ep, 0, 1), E_INVALID_CAPABILITY);
}

TEST(revoke_resets_untyped)
{
	cptr_t ut = make(OBJ_UNTYPED, 13), a = new_slot(), b = new_slot();
	CHECK_OK(untyped_retype(ut, OBJ_FRAME, 0, SLOT_CNODE, a, 2));
	CHECK_ERR(untyped_retype(ut, OBJ_FRAME, 0, SLOT_CNODE, new_slot(), 1), E_NOT_ENOUGH_MEMORY);
	CHECK_OK(cnode_revoke(SLOT_CNODE, ut));
	CHECK_EQ(slot_info(a).type, OBJ_NONE);
	CHECK_OK(untyped_retype(ut, OBJ_FRAME, 0, SLOT_CNODE, b, 1));
	CHECK_EQ(slot_info(b).paddr, slot_info(ut).paddr);   /* memory reused from the start */
}

static volatile uint64_t spins;

static void blocker(uint64_t ep) { sys_recv(ep); }

static void spinner(uint64_t arg)
{
	(void)arg;
	for (;;) {
		spins++;
		sys_yield();
	}
}

TEST(revoke_with_children_in_use)
{
	/* a running thread, an endpoint with a thread blocked on it, a CNode
	   holding caps: all made from one untyped, all gone after revoke */
	cptr_t saved_pool = pool, ut = make(OBJ_UNTYPED, 20);
	struct child run, blocked;
	uint64_t before = thread_count();
	pool = ut;
	child_start(&run, spinner, 0, TEST_PRIO, 0);
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	child_start(&blocked, blocker, ep, TEST_PRIO, 0);
	cptr_t cn = make(OBJ_CNODE, 3);
	CHECK_OK(cnode_copy(cn, 0, SLOT_CNODE, ep, RIGHTS_ALL));
	pool = saved_pool;
	spin_yield(3);
	CHECK(spins > 0);
	CHECK_EQ(thread_count(), before + 2);
	CHECK_OK(cnode_revoke(SLOT_CNODE, ut));
	CHECK_EQ(thread_count(), before);
	uint64_t now = spins;
	spin_yield(3);
	CHECK_EQ(spins, now);                 /* the spinner is gone */
	CHECK_EQ(slot_info(cn).type, OBJ_NONE);
	CHECK_EQ(self_check(), 0);
}

/* The kernel's own check of what retype made (untyped_check): objects
 * inside the untyped's used part, apart from each other. */
TEST(self_check_sees_objects_apart)
{
	cptr_t ut = make(OBJ_UNTYPED, 14), s = new_slot();
	new_slot(), new_slot();
	CHECK_OK(untyped_retype(ut, OBJ_ENDPOINT, 0, SLOT_CNODE, s, 3));
	CHECK_OK(untyped_retype(ut, OBJ_FRAME, 0, SLOT_CNODE, new_slot(), 1));
	CHECK_EQ(self_check(), 0);
}
