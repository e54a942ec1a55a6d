/* Notifications: signal, wait, poll, badge OR, binding to a thread. */
#include "harness.h"

static volatile uint64_t got[4], done;

TEST(signal_then_wait)
{
	cptr_t n = make(OBJ_NOTIFICATION, 0), b = new_slot();
	CHECK_OK(cnode_mint(SLOT_CNODE, b, SLOT_CNODE, n, RIGHTS_ALL, 0x4));
	CHECK_OK(ntfn_signal(b));
	struct sysret r = ntfn_wait(n);
	CHECK_OK(r.err);
	CHECK_EQ(r.badge, 0x4);
}

TEST(poll_empty_would_block)
{
	cptr_t n = make(OBJ_NOTIFICATION, 0);
	CHECK_ERR(ntfn_poll(n).err, E_WOULD_BLOCK);
}

TEST(badges_or_together)
{
	cptr_t n = make(OBJ_NOTIFICATION, 0), a = new_slot(), b = new_slot();
	CHECK_OK(cnode_mint(SLOT_CNODE, a, SLOT_CNODE, n, RIGHTS_ALL, 0x1));
	CHECK_OK(cnode_mint(SLOT_CNODE, b, SLOT_CNODE, n, RIGHTS_ALL, 0x10));
	CHECK_OK(ntfn_signal(a));
	CHECK_OK(ntfn_signal(b));
	CHECK_OK(ntfn_signal(a));
	struct sysret r = ntfn_poll(n);
	CHECK_OK(r.err);
	CHECK_EQ(r.badge, 0x11);
	CHECK_ERR(ntfn_poll(n).err, E_WOULD_BLOCK);   /* reading cleared it */
}

static void waiter(uint64_t n)
{
	struct sysret r = ntfn_wait(n);
	got[0] = r.err;
	got[1] = r.badge;
	done = 1;
}

TEST(wait_blocks_until_signalled)
{
	cptr_t n = make(OBJ_NOTIFICATION, 0), b = new_slot();
	struct child c;
	done = 0;
	CHECK_OK(cnode_mint(SLOT_CNODE, b, SLOT_CNODE, n, RIGHTS_ALL, 0x8));
	child_start(&c, waiter, n, TEST_PRIO, 0);
	spin_yield(3);
	CHECK_EQ(done, 0);
	CHECK_OK(ntfn_signal(b));
	WAIT_FOR(done == 1);
	CHECK_EQ(done, 1);
	CHECK_EQ(got[1], 0x8);
}

TEST(signal_and_wait_need_rights)
{
	cptr_t n = make(OBJ_NOTIFICATION, 0), ro = new_slot(), wo = new_slot();
	CHECK_OK(cnode_mint(SLOT_CNODE, ro, SLOT_CNODE, n, RIGHT_READ, 1));
	CHECK_OK(cnode_mint(SLOT_CNODE, wo, SLOT_CNODE, n, RIGHT_WRITE, 2));
	CHECK_ERR(ntfn_signal(ro), E_NO_RIGHTS);
	CHECK_ERR(ntfn_poll(wo).err, E_NO_RIGHTS);
	CHECK_ERR(sys_call(n, 0, 0, 0, 0, 0).err, E_ILLEGAL_OPERATION);
}

static void bound_server(uint64_t ep)
{
	struct sysret r = sys_recv(ep);
	got[0] = MSGINFO_LABEL(r.info);
	got[1] = r.badge;
	r = sys_recv(ep);
	got[2] = MSGINFO_LABEL(r.info);
	got[3] = r.mr[0];
	done = 1;
}

TEST(bound_notification_wakes_endpoint_receive)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), n = make(OBJ_NOTIFICATION, 0), b = new_slot();
	struct child c;
	done = 0;
	CHECK_OK(cnode_mint(SLOT_CNODE, b, SLOT_CNODE, n, RIGHTS_ALL, 0x20));
	child_start(&c, bound_server, ep, TEST_PRIO, 0);
	CHECK_OK(INVOKE(c.tcb, TCB_BIND_NOTIFICATION, n));
	sys_yield();   /* server now blocked in Recv on the endpoint */
	got[0] = 0;
	CHECK_OK(ntfn_signal(b));
	WAIT_FOR(got[0] == LABEL_NOTIFICATION);
	CHECK_EQ(got[0], LABEL_NOTIFICATION);
	CHECK_EQ(got[1], 0x20);
	CHECK_OK(sys_send(ep, MSGINFO(3, 0, 1), 77, 0, 0, 0).err);   /* and messages still come */
	WAIT_FOR(done == 1);
	CHECK_EQ(done, 1);
	CHECK_EQ(got[2], 3);
	CHECK_EQ(got[3], 77);
}

TEST(bound_notification_pending_before_recv)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), n = make(OBJ_NOTIFICATION, 0), b = new_slot();
	CHECK_OK(cnode_mint(SLOT_CNODE, b, SLOT_CNODE, n, RIGHTS_ALL, 0x40));
	CHECK_OK(INVOKE(SLOT_TCB, TCB_BIND_NOTIFICATION, n));
	CHECK_OK(ntfn_signal(b));
	struct sysret r = sys_recv(ep);   /* returns at once with the bits */
	CHECK_OK(INVOKE0(SLOT_TCB, TCB_UNBIND_NOTIFICATION));
	CHECK_EQ(MSGINFO_LABEL(r.info), LABEL_NOTIFICATION);
	CHECK_EQ(r.badge, 0x40);
}

TEST(bind_twice_fails)
{
	cptr_t n = make(OBJ_NOTIFICATION, 0), t = make(OBJ_TCB, 0), u = make(OBJ_TCB, 0);
	CHECK_OK(INVOKE(t, TCB_BIND_NOTIFICATION, n));
	CHECK_ERR(INVOKE(u, TCB_BIND_NOTIFICATION, n), E_IN_USE);
	CHECK_ERR(INVOKE(t, TCB_BIND_NOTIFICATION, make(OBJ_NOTIFICATION, 0)), E_IN_USE);
	CHECK_ERR(INVOKE0(u, TCB_UNBIND_NOTIFICATION), E_ILLEGAL_OPERATION);
	CHECK_ERR(INVOKE(u, TCB_BIND_NOTIFICATION, SLOT_TCB), E_INVALID_CAPABILITY);
}

TEST(deleting_notification_wakes_waiter)
{
	cptr_t n = make(OBJ_NOTIFICATION, 0);
	struct child c;
	done = 0;
	child_start(&c, waiter, n, TEST_PRIO, 0);
	sys_yield();
	CHECK_OK(cnode_delete(SLOT_CNODE, n));
	sys_yield();
	CHECK_EQ(done, 1);
	CHECK_EQ(got[0], E_OBJECT_DELETED);
}
