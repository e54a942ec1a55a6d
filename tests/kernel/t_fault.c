/* Faults: a thread that faults sends its handler a fault message and
 * waits; the handler resumes it (at the next instruction, or after
 * fixing the cause). Without a handler the thread is suspended. */
#include "harness.h"

static volatile uint64_t after_fault;

enum { K_NULL_READ, K_NULL_WRITE, K_ILLEGAL, K_RO_WRITE, K_EXEC, K_BAD_SYSCALL, K_MISALIGNED, K_EBREAK };
static volatile uint64_t ro_page;

/* Each faulting instruction is 4 bytes (no compression) so the handler
 * can resume at pc + 4. */
static void faulter(uint64_t kind)
{
	switch (kind) {
	case K_NULL_READ:
		__asm__ volatile(".option push\n.option norvc\nld t0, 0(zero)\n.option pop" ::: "t0");
		break;
	case K_NULL_WRITE:
		__asm__ volatile(".option push\n.option norvc\nsd zero, 8(zero)\n.option pop");
		break;
	case K_ILLEGAL:
		__asm__ volatile(".option push\n.option norvc\n.word 0\n.option pop");
		break;
	case K_RO_WRITE:
		__asm__ volatile(".option push\n.option norvc\nsd zero, 0(%0)\n.option pop" ::"r"(ro_page));
		break;
	case K_BAD_SYSCALL:
		__asm__ volatile(".option push\n.option norvc\nli a7, 1000\necall\n.option pop" ::: "a7", "memory");
		break;
	case K_MISALIGNED:
		__asm__ volatile(".option push\n.option norvc\namoadd.w zero, zero, (%0)\n.option pop" ::"r"(ro_page + 0x1001));
		break;
	case K_EBREAK:
		__asm__ volatile(".option push\n.option norvc\nebreak\n.option pop");
		break;
	}
	after_fault = 1;
}

/* Take one fault message; check it; resume the thread 4 bytes on. */
static struct sysret handle_one(cptr_t fault_ep, uint64_t want_type)
{
	struct sysret r = sys_recv(fault_ep);
	CHECK_OK(r.err);
	CHECK_EQ(MSGINFO_LABEL(r.info), FAULT_LABEL);
	CHECK_EQ(r.mr[0], want_type);
	CHECK_OK(sys_reply(MSGINFO(0, 0, 1), r.mr[2] + 4, 0, 0, 0).err);
	return r;
}

static struct sysret fault_and_resume(uint64_t kind, uint64_t want_type)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	after_fault = 0;
	child_start(&c, faulter, kind, TEST_PRIO, ep);
	struct sysret r = handle_one(ep, want_type);
	spin_yield(2);
	CHECK_EQ(after_fault, 1);
	return r;
}

TEST(fault_null_read_resumed)
{
	struct sysret r = fault_and_resume(K_NULL_READ, FAULT_VM_READ);
	CHECK_EQ(r.mr[1], 0);   /* the address */
}

TEST(fault_null_write_resumed)
{
	struct sysret r = fault_and_resume(K_NULL_WRITE, FAULT_VM_WRITE);
	CHECK_EQ(r.mr[1], 8);
}

TEST(fault_illegal_instruction_resumed)
{
	fault_and_resume(K_ILLEGAL, FAULT_ILLEGAL);
}

TEST(fault_write_to_read_only_page)
{
	cptr_t f = make(OBJ_FRAME, 0);
	ro_page = new_vaddr(1);
	CHECK_OK(map_frame(f, SLOT_VSPACE, ro_page, RIGHT_READ));
	struct sysret r = fault_and_resume(K_RO_WRITE, FAULT_VM_WRITE);
	CHECK_EQ(r.mr[1], ro_page);
}

TEST(fault_bad_syscall_number)
{
	struct sysret r = fault_and_resume(K_BAD_SYSCALL, FAULT_BAD_SYSCALL);
	CHECK_EQ(r.mr[1], 1000);
}

TEST(fault_misaligned_atomic)
{
	cptr_t f = make(OBJ_FRAME, 0);
	ro_page = new_vaddr(2) ;
	CHECK_OK(map_frame(f, SLOT_VSPACE, ro_page + 0x1000, RIGHT_READ | RIGHT_WRITE));
	fault_and_resume(K_MISALIGNED, FAULT_MISALIGNED);
}

TEST(fault_breakpoint)
{
	fault_and_resume(K_EBREAK, FAULT_BREAKPOINT);
}

TEST(fault_handler_maps_page_and_retries)
{
	/* the pager case: map the missing page, reply empty, the load retries */
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	ro_page = new_vaddr(1);
	after_fault = 0;
	child_start(&c, faulter, K_RO_WRITE, TEST_PRIO, ep);
	struct sysret r = sys_recv(ep);
	CHECK_EQ(MSGINFO_LABEL(r.info), FAULT_LABEL);
	CHECK_EQ(r.mr[0], FAULT_VM_WRITE);
	CHECK_EQ(r.mr[1], ro_page);
	CHECK_OK(map_frame(make(OBJ_FRAME, 0), SLOT_VSPACE, ro_page, RIGHT_READ | RIGHT_WRITE));
	CHECK_OK(sys_reply(MSGINFO(0, 0, 0), 0, 0, 0, 0).err);
	spin_yield(2);
	CHECK_EQ(after_fault, 1);
}

TEST(fault_without_handler_suspends_thread)
{
	struct child c;
	after_fault = 0;
	child_start(&c, faulter, K_NULL_READ, TEST_PRIO, 0);
	spin_yield(2);
	CHECK_EQ(after_fault, 0);
	uint64_t r[MSG_MAX_WORDS];
	unsigned n;
	CHECK_OK(invoke(c.tcb, TCB_GET_STATE, 0, 0, r, &n));
	CHECK_EQ(r[0], TS_INACTIVE);
}

TEST(fault_registers_readable_by_handler)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	after_fault = 0;
	child_start(&c, faulter, K_NULL_READ, TEST_PRIO, ep);
	struct sysret r = sys_recv(ep);
	uint64_t regs[32];
	unsigned n;
	CHECK_OK(invoke(c.tcb, TCB_READ_REGISTERS, 0, 0, regs, &n));
	CHECK_EQ(regs[0], r.mr[2]);     /* pc */
	CHECK(regs[2] > 0x48000000 && regs[2] < 0x50000000);   /* sp in its stack */
	uint64_t w[3] = { 0, 1, r.mr[2] + 4 };
	CHECK_OK(invoke(c.tcb, TCB_WRITE_REGISTERS, 3, w, 0, 0));
	CHECK_OK(sys_reply(MSGINFO(0, 0, 0), 0, 0, 0, 0).err);   /* resume where we set the pc */
	spin_yield(2);
	CHECK_EQ(after_fault, 1);
}

TEST(fault_in_other_address_space)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	child_start_cross_as(&c, faulter, K_NULL_WRITE, TEST_PRIO, ep);
	handle_one(ep, FAULT_VM_WRITE);
	CHECK_EQ(self_check(), 0);
}
