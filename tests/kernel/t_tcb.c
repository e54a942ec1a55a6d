/* Threads: configure, priorities and their bound, registers, suspend and
 * resume, scheduling order, deletion. */
#include "harness.h"

static volatile uint64_t counter, order[8], order_n;

static void count_up(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		counter++;
}

static void record(uint64_t id)
{
	if (order_n < 8)
		order[order_n++] = id;
}

TEST(thread_runs_and_finishes)
{
	struct child c;
	counter = 0;
	child_start(&c, count_up, 1000, TEST_PRIO, 0);
	spin_yield(3);
	CHECK_EQ(counter, 1000);
	uint64_t r[MSG_MAX_WORDS];
	unsigned n;
	CHECK_OK(invoke(c.tcb, TCB_GET_STATE, 0, 0, r, &n));
	CHECK_EQ(r[0], TS_INACTIVE);   /* suspended itself when fn returned */
}

TEST(priority_above_bound_fails)
{
	cptr_t t = make(OBJ_TCB, 0);
	CHECK_ERR(tcb_set_priority(t, SLOT_TCB, 256, 0), E_PRIORITY);
	CHECK_OK(tcb_set_priority(t, SLOT_TCB, 50, 60));
	/* a thread whose bound is 60 cannot raise anyone above 60 */
	cptr_t u = make(OBJ_TCB, 0);
	CHECK_ERR(tcb_set_priority(u, t, 61, 0), E_PRIORITY);
	CHECK_ERR(tcb_set_priority(u, t, 10, 61), E_PRIORITY);
	CHECK_OK(tcb_set_priority(u, t, 60, 60));
}

TEST(priority_reported)
{
	cptr_t t = make(OBJ_TCB, 0);
	uint64_t r[MSG_MAX_WORDS];
	unsigned n;
	CHECK_OK(tcb_set_priority(t, SLOT_TCB, 42, 43));
	CHECK_OK(invoke(t, TCB_GET_STATE, 0, 0, r, &n));
	CHECK_EQ(n, 9);
	CHECK_EQ(r[1], 42);
	CHECK_EQ(r[2], 43);
	CHECK_ERR(tcb_set_priority(t, make(OBJ_ENDPOINT, 0), 1, 1), E_INVALID_CAPABILITY);
}

TEST(higher_priority_runs_first)
{
	struct child lo, hi;
	order_n = 0;
	/* started while we run: both wait; the higher one must go first */
	child_start(&lo, record, 1, TEST_PRIO - 2, 0);
	child_start(&hi, record, 2, TEST_PRIO - 1, 0);
	CHECK_EQ(order_n, 0);
	CHECK_OK(tcb_set_priority(SLOT_TCB, SLOT_TCB, TEST_PRIO - 3, 255));
	CHECK_OK(tcb_set_priority(SLOT_TCB, SLOT_TCB, TEST_PRIO, 255));
	CHECK_EQ(order_n, 2);
	CHECK_EQ(order[0], 2);
	CHECK_EQ(order[1], 1);
}

TEST(higher_priority_preempts_at_once)
{
	struct child hi;
	order_n = 0;
	child_start(&hi, record, 7, TEST_PRIO + 1, 0);
	/* thread_start resumed it: it ran before we got here */
	CHECK_EQ(order_n, 1);
	CHECK_EQ(order[0], 7);
}

TEST(round_robin_within_a_priority)
{
	struct child a, b;
	order_n = 0;
	child_start(&a, record, 1, TEST_PRIO, 0);
	child_start(&b, record, 2, TEST_PRIO, 0);
	sys_yield();
	CHECK_EQ(order_n, 2);
	CHECK_EQ(order[0], 1);
	CHECK_EQ(order[1], 2);
}

static volatile uint64_t spin_count;

static void spin_forever(uint64_t arg)
{
	(void)arg;
	for (;;)
		spin_count++;
}

TEST(timer_preempts_a_spinning_thread)
{
	struct child c;
	spin_count = 0;
	child_start(&c, spin_forever, 0, TEST_PRIO, 0);
	sys_yield();   /* it never yields back: only the tick brings us here */
	CHECK(spin_count > 0);
	CHECK_OK(tcb_suspend(c.tcb));
	uint64_t now = spin_count;
	spin_yield(2);
	CHECK_EQ(spin_count, now);
}

TEST(suspend_and_resume)
{
	struct child c;
	spin_count = 0;
	child_start(&c, spin_forever, 0, TEST_PRIO, 0);
	CHECK_OK(tcb_suspend(c.tcb));
	spin_count = 0;   /* a tick may have let it run before the suspend */
	sys_yield();
	CHECK_EQ(spin_count, 0);
	CHECK_OK(tcb_resume(c.tcb));
	/* a tick already due when it is dispatched can take it off the hart
	 * before its first instruction (a loaded host): give it a few turns */
	for (int k = 0; k < 100 && !spin_count; k++)
		sys_yield();
	CHECK(spin_count > 0);
}

TEST(read_and_write_registers)
{
	cptr_t t = make(OBJ_TCB, 0);
	uint64_t regs[34] = { 0, 32 }, r[32];
	unsigned n;
	for (int i = 0; i < 32; i++)
		regs[2 + i] = 0x1000 + i;
	CHECK_OK(invoke(t, TCB_WRITE_REGISTERS, 34, regs, 0, 0));
	CHECK_OK(invoke(t, TCB_READ_REGISTERS, 0, 0, r, &n));
	CHECK_EQ(n, 32);
	for (int i = 0; i < 32; i++)
		CHECK_EQ(r[i], 0x1000 + i);
	regs[1] = 33;
	CHECK_ERR(invoke(t, TCB_WRITE_REGISTERS, 35, regs, 0, 0), E_RANGE);
	CHECK_ERR(invoke(SLOT_TCB, TCB_WRITE_REGISTERS, 2, regs, 0, 0), E_ILLEGAL_OPERATION);
}

TEST(configure_wrong_cap_types_fail)
{
	cptr_t t = make(OBJ_TCB, 0), ep = make(OBJ_ENDPOINT, 0);
	CHECK_ERR(tcb_configure(t, ep, SLOT_VSPACE, 0, 0, 0), E_INVALID_CAPABILITY);
	CHECK_ERR(tcb_configure(t, SLOT_CNODE, SLOT_CNODE, 0, 0, 0), E_INVALID_CAPABILITY);
	CHECK_ERR(tcb_configure(t, SLOT_CNODE, SLOT_VSPACE, ep, 0, 0), E_INVALID_CAPABILITY);
	CHECK_ERR(tcb_configure(t, SLOT_CNODE, SLOT_VSPACE, 0, 0, SLOT_CNODE), E_INVALID_CAPABILITY);
	CHECK_ERR(tcb_configure(t, SLOT_CNODE, SLOT_VSPACE, SLOT_IPC_BUFFER, 0x1234, 0), E_ALIGNMENT);
	CHECK_ERR(tcb_configure(t, SLOT_CNODE, SLOT_VSPACE, 0, 0, new_slot()), E_EMPTY_SLOT);
	CHECK_OK(tcb_configure(t, SLOT_CNODE, SLOT_VSPACE, 0, 0, ep));
}

TEST(resume_without_address_space_fails)
{
	cptr_t t = make(OBJ_TCB, 0);
	CHECK_ERR(tcb_resume(t), E_ILLEGAL_OPERATION);
}

TEST(deleted_thread_is_descheduled)
{
	struct child c;
	uint64_t before = thread_count();
	spin_count = 0;
	child_start(&c, spin_forever, 0, TEST_PRIO, 0);
	sys_yield();
	CHECK(spin_count > 0);
	CHECK_EQ(thread_count(), before + 1);
	CHECK_OK(cnode_delete(SLOT_CNODE, c.tcb));
	CHECK_EQ(thread_count(), before);
	uint64_t now = spin_count;
	spin_yield(3);
	CHECK_EQ(spin_count, now);
}

TEST(thread_name_and_state)
{
	cptr_t t = make(OBJ_TCB, 0);
	uint64_t r[MSG_MAX_WORDS];
	unsigned n;
	CHECK_OK(INVOKE(t, TCB_SET_NAME, 0x74736574, 0));   /* "test" */
	CHECK_OK(invoke(t, TCB_GET_STATE, 0, 0, r, &n));
	CHECK_EQ(n, 9);
	CHECK_EQ(r[0], TS_INACTIVE);
	CHECK_EQ(r[3], 0x74736574);
}

static volatile cptr_t self_tcb;

static void delete_self(uint64_t unused)
{
	(void)unused;
	while (!self_tcb)   /* its slot is known only once child_start returns */
		sys_yield();
	cnode_delete(SLOT_CNODE, self_tcb);
	counter = 999;   /* never reached: the thread is gone */
}

TEST(thread_deletes_its_own_tcb)
{
	struct child c;
	uint64_t before = thread_count();
	counter = 0;
	self_tcb = 0;
	child_start(&c, delete_self, 0, TEST_PRIO, 0);
	self_tcb = c.tcb;
	spin_yield(3);
	CHECK_EQ(counter, 0);
	CHECK_EQ(thread_count(), before);
	CHECK_EQ(slot_info(c.tcb).type, OBJ_NONE);
}

/* Each thread keeps its own floating-point registers across switches. */
static volatile double fp_result[2];

static void fp_worker(uint64_t k)
{
	double acc = 0, step = (double)k;
	for (int i = 0; i < 50; i++) {
		acc += step;
		sys_yield();
	}
	fp_result[k == 3] = acc;
}

TEST(floating_point_state_is_per_thread)
{
	struct child a, b;
	fp_result[0] = fp_result[1] = 0;
	child_start(&a, fp_worker, 3, TEST_PRIO, 0);
	child_start(&b, fp_worker, 5, TEST_PRIO, 0);
	double mine = 0;
	for (int i = 0; i < 60; i++) {
		mine += 0.5;
		sys_yield();
	}
	CHECK(mine == 30.0);
	CHECK(fp_result[1] == 150.0);
	CHECK(fp_result[0] == 250.0);
}

static void call_once(uint64_t ep)
{
	sys_call(ep, MSGINFO(1, 0, 0), 0, 0, 0, 0);
}

/* What the supervisor's hang detection reads: Calls made, and who owes
 * the reply, before and after the server saves the reply cap. */
TEST(state_counts_calls_and_names_who_owes_the_reply)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	uint64_t me[MSG_MAX_WORDS], r[MSG_MAX_WORDS];
	unsigned n;
	CHECK_OK(invoke(SLOT_TCB, TCB_GET_STATE, 0, 0, me, &n));
	child_start(&c, call_once, ep, TEST_PRIO, 0);
	CHECK_OK(sys_recv(ep).err);   /* its Call: we owe it the reply */
	CHECK_OK(invoke(c.tcb, TCB_GET_STATE, 0, 0, r, &n));
	CHECK_EQ(r[0], TS_BLOCKED_REPLY);
	CHECK_EQ(r[6], 1);
	CHECK_EQ(r[7], me[3]);
	CHECK_EQ(r[8], me[4]);
	cptr_t saved = new_slot();
	CHECK_OK(INVOKE(SLOT_CNODE, CNODE_SAVE_CALLER, saved));
	CHECK_OK(invoke(c.tcb, TCB_GET_STATE, 0, 0, r, &n));
	CHECK_EQ(r[0], TS_BLOCKED_REPLY);
	CHECK_EQ(r[7], me[3]);
	CHECK_OK(sys_send(saved, MSGINFO(0, 0, 0), 0, 0, 0, 0).err);
	spin_yield(3);
	CHECK_OK(invoke(c.tcb, TCB_GET_STATE, 0, 0, r, &n));
	CHECK_EQ(r[0], TS_INACTIVE);
	CHECK_EQ(r[6], 1);
	CHECK_EQ(r[7], 0);
}

/* A thread that runs across preemption ticks is charged them. */
TEST(state_counts_ticks_running)
{
	uint64_t a[MSG_MAX_WORDS], b[MSG_MAX_WORDS];
	unsigned n;
	CHECK_OK(invoke(SLOT_TCB, TCB_GET_STATE, 0, 0, a, &n));
	for (volatile uint64_t i = 0; i < 8000000; i++)
		;
	CHECK_OK(invoke(SLOT_TCB, TCB_GET_STATE, 0, 0, b, &n));
	CHECK(b[5] >= a[5] + 1);
}
