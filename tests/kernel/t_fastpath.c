/* The cases the IPC fastpath (kernel/fastpath.c) takes and the ones it
 * leaves to the general path. Both must give the same results: the whole
 * suite also runs on a kernel built with -Dfastpath=false. */
#include "harness.h"

static volatile uint64_t seen[8];

/* Replies with four words, then records what a one-word call leaves in its
 * message registers: the three it did not send must still be its own. */
static void short_then_long_server(uint64_t ep)
{
	struct sysret r = sys_recv(ep);
	r = sys_replyrecv(ep, MSGINFO(1, 0, 4), 11, 22, 33, 44);
	seen[0] = r.mr[0], seen[1] = r.mr[1], seen[2] = r.mr[2], seen[3] = r.mr[3];
	seen[4] = r.badge, seen[5] = MSGINFO_LABEL(r.info), seen[6] = MSGINFO_LEN(r.info);
	sys_replyrecv(ep, MSGINFO(2, 0, 1), 5, 6, 7, 8);
}

/* `fast`: how many of the four IPCs the fastpath must take when the
 * kernel has it (a kernel built without it must take none). */
static void short_message_across(int cross_as, uint64_t prio, uint64_t fast)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), b = new_slot();
	struct child c;
	CHECK_OK(cnode_mint(SLOT_CNODE, b, SLOT_CNODE, ep, RIGHTS_ALL, 0x5eed));
	for (int i = 0; i < 8; i++)
		seen[i] = 0;
	if (cross_as)
		child_start_cross_as(&c, short_then_long_server, ep, prio, 0);
	else
		child_start(&c, short_then_long_server, ep, prio, 0);
	spin_yield(3);   /* the server waits in Recv */
	uint64_t hits = fastpath_hits();
	struct sysret r = sys_call(b, MSGINFO(3, 0, 0), 0, 0, 0, 0);
	CHECK_OK(r.err);
	CHECK_EQ(MSGINFO_LEN(r.info), 4);
	CHECK_EQ(r.mr[3], 44);
	r = sys_call(b, MSGINFO(9, 0, 1), 7, 99, 99, 99);
	CHECK_OK(r.err);
	CHECK_EQ(seen[0], 7);
	CHECK_EQ(seen[1], 22);   /* not the caller's 99s */
	CHECK_EQ(seen[3], 44);
	CHECK_EQ(seen[4], 0x5eed);
	CHECK_EQ(seen[5], 9);
	CHECK_EQ(seen[6], 1);
	CHECK_EQ(MSGINFO_LABEL(r.info), 2);
	CHECK_EQ(MSGINFO_LEN(r.info), 1);
	CHECK_EQ(r.mr[0], 5);
	CHECK_EQ(r.badge, 0);
	CHECK_EQ(r.mr[1], 99);   /* ours, not the server's 6 */
	CHECK_EQ(fastpath_hits() - hits, K4_FASTPATH ? fast : 0);
	CHECK_EQ(self_check(), 0);
}

TEST(fastpath_message_badge_label_exact)
{
	short_message_across(1, TEST_PRIO, 4);
}

TEST(fastpath_same_address_space)
{
	short_message_across(0, TEST_PRIO, 4);
}

/* A server of lower priority: the fastpath must not switch to it while we
 * could run; the general path gives the same answers. */
TEST(call_to_lower_priority_server)
{
	short_message_across(1, TEST_PRIO - 1, 2);   /* the Calls go the general way */
}

/* ReplyRecv while another caller already waits: the server takes that
 * call at once instead of blocking. */
static void two_call_server(uint64_t ep)
{
	struct sysret r = sys_recv(ep);
	for (;;)
		r = sys_replyrecv(ep, MSGINFO(0, 0, 1), r.mr[0] * 2, 0, 0, 0);
}

static volatile uint64_t other_answer;

static void second_caller(uint64_t ep)
{
	other_answer = sys_call(ep, MSGINFO(0, 0, 1), 21, 0, 0, 0).mr[0];
}

TEST(replyrecv_with_caller_queued)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child s, c2;
	other_answer = 0;
	child_start_cross_as(&s, two_call_server, ep, TEST_PRIO - 1, 0);
	child_start(&c2, second_caller, ep, TEST_PRIO, 0);
	sys_yield();   /* c2 calls; the server is lower: c2's call waits queued */
	struct sysret r = sys_call(ep, MSGINFO(0, 0, 1), 50, 0, 0, 0);
	CHECK_OK(r.err);
	CHECK_EQ(r.mr[0], 100);
	WAIT_FOR(other_answer == 42);
	CHECK_EQ(other_answer, 42);
	CHECK_EQ(self_check(), 0);
}

/* Messages longer than the registers go the general way. */
TEST(long_message_takes_the_general_path)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	child_start_cross_as(&c, two_call_server, ep, TEST_PRIO, 0);
	sys_yield();
	__ipcbuf->mr[4] = 1234;
	struct sysret r = sys_call(ep, MSGINFO(0, 0, 5), 8, 0, 0, 0);
	CHECK_OK(r.err);
	CHECK_EQ(r.mr[0], 16);
	CHECK_EQ(MSGINFO_LEN(r.info), 1);
	CHECK_EQ(self_check(), 0);
}
