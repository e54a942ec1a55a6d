/* CNode invocations and capability lookup. */
#include "harness.h"

TEST(cnode_copy_makes_a_child)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), copy = new_slot();
	CHECK_OK(cnode_copy(SLOT_CNODE, copy, SLOT_CNODE, ep, RIGHTS_ALL));
	CHECK_EQ(slot_info(copy).type, OBJ_ENDPOINT);
	CHECK_EQ(slot_info(copy).paddr, slot_info(ep).paddr);
	CHECK_EQ(slot_info(ep).has_children, 1);
}

TEST(cnode_copy_to_full_slot_fails)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), other = make(OBJ_NOTIFICATION, 0);
	CHECK_ERR(cnode_copy(SLOT_CNODE, other, SLOT_CNODE, ep, RIGHTS_ALL), E_DELETE_FIRST);
	CHECK_EQ(slot_info(other).type, OBJ_NOTIFICATION);
}

TEST(cnode_copy_from_empty_slot_fails)
{
	cptr_t empty = new_slot(), dest = new_slot();
	CHECK_ERR(cnode_copy(SLOT_CNODE, dest, SLOT_CNODE, empty, RIGHTS_ALL), E_EMPTY_SLOT);
}

TEST(cnode_slot_out_of_range)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	CHECK_ERR(cnode_copy(SLOT_CNODE, 1 << ROOT_CNODE_BITS, SLOT_CNODE, ep, RIGHTS_ALL), E_RANGE);
	CHECK_ERR(cnode_copy(SLOT_CNODE, new_slot(), SLOT_CNODE, 99999, RIGHTS_ALL), E_RANGE);
	CHECK_ERR(cnode_delete(SLOT_CNODE, 1 << 20), E_RANGE);
}

TEST(cnode_source_not_a_cnode)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	CHECK_ERR(cnode_copy(SLOT_CNODE, new_slot(), ep, 1, RIGHTS_ALL), E_INVALID_CAPABILITY);
}

TEST(cnode_mint_sets_badge)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), b = new_slot();
	CHECK_OK(cnode_mint(SLOT_CNODE, b, SLOT_CNODE, ep, RIGHTS_ALL, 0x1234));
	CHECK_EQ(slot_info(b).data, 0x1234);
	CHECK_EQ(slot_info(ep).data, 0);
}

TEST(cnode_mint_cannot_rebadge)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), b = new_slot(), c = new_slot();
	CHECK_OK(cnode_mint(SLOT_CNODE, b, SLOT_CNODE, ep, RIGHTS_ALL, 7));
	CHECK_ERR(cnode_mint(SLOT_CNODE, c, SLOT_CNODE, b, RIGHTS_ALL, 8), E_ILLEGAL_OPERATION);
	CHECK_OK(cnode_mint(SLOT_CNODE, c, SLOT_CNODE, b, RIGHTS_ALL, 7));
}

TEST(cnode_mint_reduces_rights)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), r = new_slot();
	CHECK_OK(cnode_mint(SLOT_CNODE, r, SLOT_CNODE, ep, RIGHT_READ, 0));
	CHECK_EQ(slot_info(r).rights, RIGHT_READ);
	cptr_t r2 = new_slot();
	CHECK_OK(cnode_copy(SLOT_CNODE, r2, SLOT_CNODE, r, RIGHTS_ALL));
	CHECK_EQ(slot_info(r2).rights, RIGHT_READ);   /* rights never grow back */
}

TEST(cnode_move_empties_source)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), to = new_slot();
	uint64_t pa = slot_info(ep).paddr;
	CHECK_OK(cnode_move(SLOT_CNODE, to, SLOT_CNODE, ep));
	CHECK_EQ(slot_info(ep).type, OBJ_NONE);
	CHECK_EQ(slot_info(to).paddr, pa);
	/* still a child of the pool: revoking the pool must reach it */
	CHECK_OK(cnode_revoke(SLOT_CNODE, pool));
	CHECK_EQ(slot_info(to).type, OBJ_NONE);
}

TEST(cnode_mutate_sets_badge)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), to = new_slot();
	CHECK_OK(INVOKE(SLOT_CNODE, CNODE_MUTATE, to, SLOT_CNODE, ep, 99, 0));
	CHECK_EQ(slot_info(to).data, 99);
	CHECK_EQ(slot_info(ep).type, OBJ_NONE);
}

TEST(cnode_delete_and_delete_empty)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	CHECK_OK(cnode_delete(SLOT_CNODE, ep));
	CHECK_EQ(slot_info(ep).type, OBJ_NONE);
	CHECK_OK(cnode_delete(SLOT_CNODE, ep));
}

TEST(cnode_revoke_deletes_derived_caps)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), a = new_slot(), b = new_slot();
	CHECK_OK(cnode_mint(SLOT_CNODE, a, SLOT_CNODE, ep, RIGHTS_ALL, 1));
	CHECK_OK(cnode_copy(SLOT_CNODE, b, SLOT_CNODE, a, RIGHTS_ALL));
	CHECK_OK(cnode_revoke(SLOT_CNODE, ep));
	CHECK_EQ(slot_info(a).type, OBJ_NONE);
	CHECK_EQ(slot_info(b).type, OBJ_NONE);
	CHECK_EQ(slot_info(ep).type, OBJ_ENDPOINT);
	CHECK_EQ(slot_info(ep).has_children, 0);
}

TEST(cnode_untyped_cannot_be_copied)
{
	CHECK_ERR(cnode_copy(SLOT_CNODE, new_slot(), SLOT_CNODE, pool, RIGHTS_ALL), E_ILLEGAL_OPERATION);
}

TEST(cnode_object_survives_while_a_copy_lives)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), copy = new_slot();
	CHECK_OK(cnode_copy(SLOT_CNODE, copy, SLOT_CNODE, ep, RIGHTS_ALL));
	CHECK_OK(cnode_delete(SLOT_CNODE, ep));
	/* the copy still works: a non-blocking receive finds nobody */
	CHECK_ERR(sys_nbrecv(copy).err, E_WOULD_BLOCK);
}

TEST(lookup_bad_guard_fails)
{
	CHECK_ERR(INVOKE0((1ULL << 40) | SLOT_TCB, TCB_GET_STATE), E_FAILED_LOOKUP);
}

TEST(invoke_empty_slot_fails)
{
	CHECK_ERR(INVOKE0(new_slot(), TCB_GET_STATE), E_EMPTY_SLOT);
}

/* The labels each object answers; every other label is refused. */
static int own_label(uint64_t type, uint64_t l)
{
	switch (type) {
	case OBJ_UNTYPED: return l == UNTYPED_RETYPE;
	case OBJ_TCB: return l >= TCB_CONFIGURE && l <= TCB_GET_STATE;
	case OBJ_PAGE_TABLE: return l == PAGE_TABLE_MAP || l == PAGE_TABLE_UNMAP;
	case OBJ_FRAME: return l >= FRAME_MAP && l <= FRAME_GET_ADDRESS;
	case OBJ_TIMER: return l == TIMER_SET || l == TIMER_CANCEL;
	case OBJ_SYSTEM: return l >= SYSTEM_POWER_OFF && l < INV_COUNT;
	default: return 0;   /* a VSpace answers none: it is mapped into */
	}
}

/* Every label sent to every kind of object: those of other objects get
 * E_ILLEGAL_OPERATION and change nothing, so the kernel dispatches each
 * label to its own object's code only. */
TEST(invoke_other_objects_labels_fails)
{
	cptr_t objs[] = { make(OBJ_UNTYPED, 12), make(OBJ_TCB, 0), make(OBJ_PAGE_TABLE, 0), make(OBJ_FRAME, 0),
			  make(OBJ_VSPACE, 0), make(OBJ_TIMER, 0), SLOT_SYSTEM };
	for (unsigned o = 0; o < sizeof objs / sizeof objs[0]; o++) {
		struct cnode_info before = slot_info(objs[o]);
		for (uint64_t l = 0; l < INV_COUNT + 4; l++) {
			if (own_label(before.type, l))
				continue;
			uint64_t args[6] = { 0 };
			if (invoke(objs[o], l, 6, args, 0, 0) != E_ILLEGAL_OPERATION)
				ktest_fail(__FILE__, __LINE__, "type %llu took label %llu", (unsigned long long)before.type,
					   (unsigned long long)l);
		}
		struct cnode_info after = slot_info(objs[o]);
		CHECK_EQ(after.type, before.type);
		CHECK_EQ(after.data, before.data);
		CHECK_EQ(after.has_children, before.has_children);
	}
	CHECK_ERR(INVOKE0(SLOT_CNODE, 999), E_ILLEGAL_OPERATION);
}

/* A two-level CSpace: a child thread whose root CNode cap has a 48-bit
 * guard, so the root consumes 60 bits and the last 4 index a 16-slot
 * CNode stored in it: cptr = (slot of that CNode << 4) | index. */
static volatile uint64_t lookup_result[2];
static volatile int configured;

static void two_level_child(uint64_t cptr)
{
	while (!configured)   /* a tick may start us before our CSpace is set */
		sys_yield();
	lookup_result[0] = sys_nbrecv(cptr).err;
	lookup_result[1] = sys_nbrecv(cptr ^ 0xf).err;   /* slot 10 of the small CNode: empty */
}

TEST(cspace_two_levels)
{
	cptr_t cn = make(OBJ_CNODE, 4), root48 = new_slot(), ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	CHECK_OK(INVOKE(SLOT_CNODE, CNODE_MINT, root48, SLOT_CNODE, SLOT_CNODE, RIGHTS_ALL, 0, 48));
	CHECK_OK(cnode_copy(cn, 5, SLOT_CNODE, ep, RIGHTS_ALL));
	lookup_result[0] = lookup_result[1] = 99;
	configured = 0;
	child_start(&c, two_level_child, (cn << 4) | 5, TEST_PRIO, 0);
	CHECK_OK(tcb_configure(c.tcb, root48, SLOT_VSPACE, c.buf_frame, (uint64_t)c.buf, 0));
	configured = 1;
	spin_yield(5);
	CHECK_EQ(lookup_result[0], E_WOULD_BLOCK);   /* found the endpoint */
	CHECK_EQ(lookup_result[1], E_EMPTY_SLOT);
	CHECK_ERR(INVOKE(SLOT_CNODE, CNODE_MINT, new_slot(), SLOT_CNODE, cn, RIGHTS_ALL, 1, 61),
		  E_INVALID_ARGUMENT);   /* guard + radix over 64 bits */
}

TEST(cnode_delete_destroys_nested_cnodes)
{
	cptr_t outer = make(OBJ_CNODE, 2), inner = make(OBJ_CNODE, 2), ep = make(OBJ_ENDPOINT, 0);
	CHECK_OK(cnode_copy(inner, 1, SLOT_CNODE, ep, RIGHTS_ALL));
	CHECK_OK(cnode_move(outer, 3, SLOT_CNODE, inner));
	CHECK_EQ(slot_info(ep).has_children, 1);
	CHECK_OK(cnode_delete(SLOT_CNODE, outer));
	CHECK_EQ(slot_info(ep).has_children, 0);   /* the copy two levels down died too */
}
