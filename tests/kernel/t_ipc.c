/* Endpoints: Send, NBSend, Call, Recv, NBRecv, Reply, ReplyRecv, badges,
 * long messages, capability transfer and deletion with waiters. */
#include "harness.h"

static volatile uint64_t got[8];
static volatile uint64_t done;

static void echo_server(uint64_t ep)
{
	struct sysret r = sys_recv(ep);
	for (;;) {
		/* reply with the label + 1 and each word + 1 */
		r = sys_replyrecv(ep, MSGINFO(MSGINFO_LABEL(r.info) + 1, 0, MSGINFO_LEN(r.info)),
				  r.mr[0] + 1, r.mr[1] + 1, r.mr[2] + 1, r.mr[3] + 1);
	}
}

static void receiver(uint64_t ep)
{
	struct sysret r = sys_recv(ep);
	got[0] = r.err;
	got[1] = MSGINFO_LABEL(r.info);
	got[2] = r.mr[0];
	got[3] = r.badge;
	got[4] = MSGINFO_LEN(r.info);
	done = 1;
}

TEST(send_then_receive)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	done = 0;
	child_start(&c, receiver, ep, TEST_PRIO, 0);
	sys_yield();   /* the receiver blocks first */
	CHECK_OK(sys_send(ep, MSGINFO(5, 0, 1), 42, 0, 0, 0).err);
	WAIT_FOR(done == 1);
	CHECK_EQ(done, 1);
	CHECK_EQ(got[0], E_OK);
	CHECK_EQ(got[1], 5);
	CHECK_EQ(got[2], 42);
	CHECK_EQ(got[4], 1);
}

TEST(sender_blocks_until_receiver_comes)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	done = 0;
	got[2] = 0;
	child_start(&c, receiver, ep, TEST_PRIO - 1, 0);   /* runs only when we block */
	CHECK_OK(sys_send(ep, MSGINFO(9, 0, 1), 7, 0, 0, 0).err);
	CHECK_EQ(done, 0);   /* it took the message but we preempted it at once */
	CHECK_OK(tcb_set_priority(SLOT_TCB, SLOT_TCB, TEST_PRIO - 2, 255));
	CHECK_OK(tcb_set_priority(SLOT_TCB, SLOT_TCB, TEST_PRIO, 255));
	CHECK_EQ(done, 1);
	CHECK_EQ(got[2], 7);
}

TEST(call_and_reply)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	child_start(&c, echo_server, ep, TEST_PRIO, 0);
	struct sysret r = sys_call(ep, MSGINFO(10, 0, 4), 1, 2, 3, 4);
	CHECK_OK(r.err);
	CHECK_EQ(MSGINFO_LABEL(r.info), 11);
	CHECK_EQ(MSGINFO_LEN(r.info), 4);
	CHECK_EQ(r.mr[0], 2);
	CHECK_EQ(r.mr[3], 5);
	r = sys_call(ep, MSGINFO(20, 0, 1), 100, 0, 0, 0);
	CHECK_EQ(MSGINFO_LABEL(r.info), 21);
	CHECK_EQ(r.mr[0], 101);
}

TEST(call_across_address_spaces)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	child_start_cross_as(&c, echo_server, ep, TEST_PRIO, 0);
	for (uint64_t i = 0; i < 100; i++) {
		struct sysret r = sys_call(ep, MSGINFO(i, 0, 2), i, i * 2, 0, 0);
		CHECK_OK(r.err);
		CHECK_EQ(MSGINFO_LABEL(r.info), i + 1);
		CHECK_EQ(r.mr[1], i * 2 + 1);
	}
}

TEST(nbsend_without_receiver_fails)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	CHECK_ERR(sys_nbsend(ep, MSGINFO(1, 0, 0), 0, 0, 0, 0).err, E_WOULD_BLOCK);
}

TEST(nbrecv_without_sender_fails)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	CHECK_ERR(sys_nbrecv(ep).err, E_WOULD_BLOCK);
}

TEST(badge_identifies_sender)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), b = new_slot();
	struct child c;
	done = 0;
	CHECK_OK(cnode_mint(SLOT_CNODE, b, SLOT_CNODE, ep, RIGHTS_ALL, 0xbad6e));
	child_start(&c, receiver, ep, TEST_PRIO, 0);
	sys_yield();
	CHECK_OK(sys_send(b, MSGINFO(1, 0, 0), 0, 0, 0, 0).err);
	WAIT_FOR(done == 1);
	CHECK_EQ(got[3], 0xbad6e);
}

static void long_server(uint64_t ep)
{
	struct sysret r = sys_recv(ep);
	uint64_t len = MSGINFO_LEN(r.info), sum = 0;
	for (uint64_t i = 0; i < len; i++)
		sum += i < MSG_REG_COUNT ? r.mr[i] : __ipcbuf->mr[i];
	__ipcbuf->mr[MSG_MAX_WORDS - 1] = sum;
	sys_reply(MSGINFO(0, 0, MSG_MAX_WORDS), sum, 0, 0, 0);
}

TEST(long_message_through_ipc_buffer)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	child_start(&c, long_server, ep, TEST_PRIO, 0);
	for (int i = MSG_REG_COUNT; i < MSG_MAX_WORDS; i++)
		__ipcbuf->mr[i] = i;
	struct sysret r = sys_call(ep, MSGINFO(0, 0, MSG_MAX_WORDS), 0, 1, 2, 3);
	uint64_t want = (MSG_MAX_WORDS - 1) * MSG_MAX_WORDS / 2;
	CHECK_OK(r.err);
	CHECK_EQ(MSGINFO_LEN(r.info), MSG_MAX_WORDS);
	CHECK_EQ(r.mr[0], want);
	CHECK_EQ(__ipcbuf->mr[MSG_MAX_WORDS - 1], want);
}

static volatile cptr_t recv_slot_base;

static void cap_receiver(uint64_t ep)
{
	__ipcbuf->recv_cnode = SLOT_CNODE;
	__ipcbuf->recv_index = recv_slot_base;
	struct sysret r = sys_recv(ep);
	got[0] = r.err;
	got[1] = MSGINFO_CAPS(r.info);
	done = 1;
}

static void cap_transfer(cptr_t ep_send, uint64_t want_caps)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), ntfn = make(OBJ_NOTIFICATION, 0);
	struct child c;
	done = 0;
	recv_slot_base = new_slot();
	new_slot();
	if (!ep_send)
		ep_send = ep;
	else
		CHECK_OK(cnode_mint(SLOT_CNODE, ep_send, SLOT_CNODE, ep, RIGHT_WRITE, 0));
	child_start(&c, cap_receiver, ep, TEST_PRIO, 0);
	sys_yield();
	__ipcbuf->caps[0] = ntfn;
	__ipcbuf->caps[1] = ep;
	CHECK_OK(sys_send(ep_send, MSGINFO(0, 2, 0), 0, 0, 0, 0).err);
	WAIT_FOR(done == 1);
	CHECK_EQ(done, 1);
	CHECK_EQ(got[1], want_caps);
	CHECK_EQ(slot_info(recv_slot_base).type, want_caps ? OBJ_NOTIFICATION : OBJ_NONE);
	CHECK_EQ(slot_info(recv_slot_base + 1).type, want_caps ? OBJ_ENDPOINT : OBJ_NONE);
	if (want_caps)
		CHECK_EQ(slot_info(recv_slot_base).paddr, slot_info(ntfn).paddr);
}

TEST(cap_transfer_with_grant)
{
	cap_transfer(0, 2);
}

TEST(cap_transfer_needs_grant)
{
	cap_transfer(new_slot(), 0);
}

TEST(send_needs_write_right)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), ro = new_slot();
	CHECK_OK(cnode_mint(SLOT_CNODE, ro, SLOT_CNODE, ep, RIGHT_READ, 0));
	CHECK_ERR(sys_send(ro, 0, 0, 0, 0, 0).err, E_NO_RIGHTS);
	CHECK_ERR(sys_call(ro, 0, 0, 0, 0, 0).err, E_NO_RIGHTS);
}

TEST(recv_needs_read_right)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), wo = new_slot();
	CHECK_OK(cnode_mint(SLOT_CNODE, wo, SLOT_CNODE, ep, RIGHT_WRITE, 0));
	CHECK_ERR(sys_recv(wo).err, E_NO_RIGHTS);
}

TEST(recv_on_non_endpoint_fails)
{
	CHECK_ERR(sys_recv(SLOT_TCB).err, E_INVALID_CAPABILITY);
	CHECK_ERR(sys_recv(new_slot()).err, E_EMPTY_SLOT);
}

TEST(reply_without_caller_fails)
{
	CHECK_ERR(sys_reply(0, 0, 0, 0, 0).err, E_ILLEGAL_OPERATION);
}

static void blocked_receiver(uint64_t ep)
{
	got[0] = sys_recv(ep).err;
	done++;
}

TEST(deleting_endpoint_wakes_blocked_threads)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child a, b;
	done = 0;
	got[0] = 99;
	child_start(&a, blocked_receiver, ep, TEST_PRIO, 0);
	child_start(&b, blocked_receiver, ep, TEST_PRIO, 0);
	sys_yield();
	CHECK_EQ(done, 0);
	CHECK_OK(cnode_delete(SLOT_CNODE, ep));
	WAIT_FOR(done == 2);
	CHECK_EQ(done, 2);
	CHECK_EQ(got[0], E_OBJECT_DELETED);
}

static void silent_server(uint64_t ep)
{
	sys_recv(ep);
	for (;;)
		sys_yield();   /* never replies */
}

static void caller_fn(uint64_t ep)
{
	got[0] = sys_call(ep, MSGINFO(1, 0, 0), 0, 0, 0, 0).err;
	done = 1;
}

TEST(caller_woken_when_server_dies)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child srv, cl;
	done = 0;
	child_start(&srv, silent_server, ep, TEST_PRIO, 0);
	sys_yield();
	child_start(&cl, caller_fn, ep, TEST_PRIO, 0);
	spin_yield(3);
	CHECK_EQ(done, 0);   /* waiting for a reply that never comes */
	CHECK_OK(cnode_delete(SLOT_CNODE, srv.tcb));
	WAIT_FOR(done == 1);
	CHECK_EQ(done, 1);
	CHECK_EQ(got[0], E_OBJECT_DELETED);
}

static void second_caller_fn(uint64_t ep)
{
	got[1] = sys_call(ep, MSGINFO(2, 0, 0), 0, 0, 0, 0).err;
	done++;
}

/* A server owes one reply at a time: receiving a second Call before
 * answering the first drops the first, whose caller learns it at once
 * (E_OBJECT_DELETED) instead of waiting for good. */
TEST(second_call_received_drops_the_unanswered_first)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child a, b;
	done = 0;
	got[0] = got[1] = 99;
	child_start(&a, caller_fn, ep, TEST_PRIO, 0);
	child_start(&b, second_caller_fn, ep, TEST_PRIO, 0);
	spin_yield(3);   /* both wait in Call */
	struct sysret r = sys_recv(ep);
	CHECK_EQ(MSGINFO_LABEL(r.info), 1);
	r = sys_recv(ep);
	CHECK_EQ(MSGINFO_LABEL(r.info), 2);
	WAIT_FOR(done == 1);
	CHECK_EQ(got[0], E_OBJECT_DELETED);
	CHECK_EQ(got[1], 99);   /* still waiting for the reply we owe */
	CHECK_OK(sys_reply(MSGINFO(0, 0, 0), 0, 0, 0, 0).err);
	WAIT_FOR(done == 2);
	CHECK_EQ(got[1], E_OK);
	CHECK_EQ(self_check(), 0);
}

TEST(suspended_receiver_restarts_its_recv)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	done = 0;
	child_start(&c, receiver, ep, TEST_PRIO, 0);
	sys_yield();                    /* blocked in Recv */
	CHECK_OK(tcb_suspend(c.tcb));
	CHECK_ERR(sys_nbsend(ep, MSGINFO(1, 0, 1), 5, 0, 0, 0).err, E_WOULD_BLOCK);
	CHECK_OK(tcb_resume(c.tcb));
	sys_yield();                    /* back in Recv, not returned with junk */
	CHECK_EQ(done, 0);
	CHECK_OK(sys_send(ep, MSGINFO(2, 0, 1), 6, 0, 0, 0).err);
	WAIT_FOR(done == 1);
	CHECK_EQ(done, 1);
	CHECK_EQ(got[1], 2);
	CHECK_EQ(got[2], 6);
}

/* A server that keeps the first caller waiting, answers the second, then
 * the first through the saved reply cap. */
static volatile cptr_t saved_slot;

static void deferring_server(uint64_t ep)
{
	struct sysret r = sys_recv(ep);
	got[4] = INVOKE(SLOT_CNODE, CNODE_SAVE_CALLER, saved_slot);
	uint64_t first = r.mr[0];
	r = sys_recv(ep);
	sys_reply(MSGINFO(0, 0, 1), r.mr[0] * 10, 0, 0, 0);
	sys_send(saved_slot, MSGINFO(0, 0, 1), first * 10, 0, 0, 0);
}

static void deferred_client(uint64_t v)
{
	struct sysret r = sys_call(got[7], MSGINFO(0, 0, 1), v, 0, 0, 0);
	got[v] = r.err ? 1000 + r.err : r.mr[0];
	done++;
}

TEST(saved_reply_cap_answers_later)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child srv, a, b;
	saved_slot = new_slot();
	got[1] = got[2] = 0;
	got[7] = ep;
	done = 0;
	child_start(&srv, deferring_server, ep, TEST_PRIO, 0);
	sys_yield();
	child_start(&a, deferred_client, 1, TEST_PRIO, 0);
	/* A timer tick can reorder the run queue: wait for the step, do not
	 * count on how many yields it takes. */
	WAIT_FOR(slot_info(saved_slot).type == OBJ_REPLY);
	CHECK_EQ(slot_info(saved_slot).type, OBJ_REPLY);
	child_start(&b, deferred_client, 2, TEST_PRIO, 0);
	WAIT_FOR(done == 2);
	CHECK_EQ(got[4], E_OK);
	CHECK_EQ(done, 2);
	CHECK_EQ(got[1], 10);
	CHECK_EQ(got[2], 20);
	CHECK_EQ(slot_info(saved_slot).type, OBJ_NONE);   /* used up */
}

static void saving_server(uint64_t ep)
{
	for (;;) {
		sys_recv(ep);
		INVOKE(SLOT_CNODE, CNODE_SAVE_CALLER, saved_slot);
	}
}

TEST(saved_reply_cap_deleted_or_caller_gone)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child srv, a;
	saved_slot = new_slot();
	got[7] = ep;
	got[1] = 0;
	done = 0;
	CHECK_ERR(INVOKE(SLOT_CNODE, CNODE_SAVE_CALLER, new_slot()), E_ILLEGAL_OPERATION);
	child_start(&srv, saving_server, ep, TEST_PRIO, 0);
	sys_yield();
	child_start(&a, deferred_client, 1, TEST_PRIO, 0);
	WAIT_FOR(slot_info(saved_slot).type == OBJ_REPLY);
	CHECK_EQ(slot_info(saved_slot).type, OBJ_REPLY);
	CHECK_ERR(cnode_copy(SLOT_CNODE, new_slot(), SLOT_CNODE, saved_slot, RIGHTS_ALL), E_ILLEGAL_OPERATION);
	CHECK_ERR(cnode_move(SLOT_CNODE, new_slot(), SLOT_CNODE, saved_slot), E_ILLEGAL_OPERATION);
	CHECK_OK(cnode_delete(SLOT_CNODE, saved_slot));
	WAIT_FOR(done == 1);
	CHECK_EQ(done, 1);
	CHECK_EQ(got[1], 1000 + E_OBJECT_DELETED);
	/* and the other way round: the caller dies, the saved cap goes */
	struct child b;
	child_start(&b, deferred_client, 2, TEST_PRIO, 0);
	WAIT_FOR(slot_info(saved_slot).type == OBJ_REPLY);
	CHECK_EQ(slot_info(saved_slot).type, OBJ_REPLY);
	CHECK_OK(cnode_delete(SLOT_CNODE, b.tcb));
	CHECK_EQ(slot_info(saved_slot).type, OBJ_NONE);
}
