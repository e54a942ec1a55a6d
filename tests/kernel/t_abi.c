/* The syscall ABI, register by register (include/abi/syscall.h): a
 * syscall returns every register its ABI keeps as it was, and the
 * registers an IPC syscall may clobber (t0..t6 under -Dclobber_abi) never
 * carry another thread's values or a kernel address. Each side fills all
 * its registers with its own pattern around the ecall (regprobe.S). */
#include "harness.h"

void reg_probe(const uint64_t in[32], uint64_t out[32]);

#ifdef CONFIG_CLOBBER_ABI
#define IPC_CLOBBERS ABI_IPC_CLOBBERS
#else
#define IPC_CLOBBERS 0u
#endif
/* A side's values carry its tag in their top 16 bits. The checks name the
 * other side by its tag alone: a thread that held the whole pattern in a
 * register when a trap saved it would get it back as its own value. */
#define CLIENT_TAG 0xc11eULL
#define SERVER_TAG 0x5e4eULL
#define CLIENT_MARK (CLIENT_TAG << 48)
#define SERVER_MARK (SERVER_TAG << 48)
#define KERNEL_WINDOW(v) ((v) >= 0xffffffc000000000ULL && (v) < 0xffffffc100000000ULL)

static void fill(uint64_t in[32], uint64_t mark, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	for (int i = 0; i < 32; i++)
		in[i] = mark | (uint64_t)i << 8;
	in[17] = nr, in[10] = a0, in[11] = a1, in[12] = a2;
}

/* The first register (by number) the ABI let down, or 0. `clobbers`:
 * those this syscall may clobber; the results (a0..a6) are checked by the
 * caller. */
static int broken_reg(const uint64_t in[32], const uint64_t out[32], uint32_t clobbers, uint64_t foreign_tag)
{
	for (int i = 1; i < 32; i++) {
		if (i == 2 || (ABI_RESULT_REGS >> i & 1))
			continue;
		if (!(clobbers >> i & 1) ? out[i] != in[i] : out[i] >> 48 == foreign_tag || KERNEL_WINDOW(out[i]))
			return i;
	}
	return 0;
}

static uint64_t server_in[32], server_out[32];
static volatile int server_broken = -1;

/* ReplyRecv with every register patterned; checks what the next message
 * left in them, and answers it with its first word plus one. */
static void probing_server(uint64_t ep)
{
	struct sysret r = sys_recv(ep);
	fill(server_in, SERVER_MARK, SYS_REPLYRECV, ep, MSGINFO(0, 0, 1), r.mr[0] + 1);
	reg_probe(server_in, server_out);
	server_broken = broken_reg(server_in, server_out, IPC_CLOBBERS, CLIENT_TAG);
	sys_reply(MSGINFO(0, 0, 1), server_out[12] + 1, 0, 0, 0);
}

/* Two Calls, each answered by the server's probed ReplyRecv: the client's
 * registers after the second, and the server's after the first, show
 * nothing of the other. */
static void probed_round_trip(uint64_t prio)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0);
	struct child c;
	uint64_t in[32], out[32];
	server_broken = -1;
	child_start_cross_as(&c, probing_server, ep, prio, 0);
	spin_yield(3);
	CHECK_EQ(sys_call(ep, MSGINFO(0, 0, 1), 10, 0, 0, 0).mr[0], 11);   /* the server now probes */
	fill(in, CLIENT_MARK, SYS_CALL, ep, MSGINFO(0, 0, 1), 20);
	reg_probe(in, out);
	CHECK_OK(out[10]);
	CHECK_EQ(out[12], 21);
	CHECK_EQ(broken_reg(in, out, IPC_CLOBBERS, SERVER_TAG), 0);
	WAIT_FOR(server_broken >= 0);
	CHECK_EQ(server_broken, 0);
	CHECK_EQ(self_check(), 0);
}

TEST(abi_ipc_keeps_registers_fastpath_case)
{
	probed_round_trip(TEST_PRIO);
}

/* A lower server: the Calls go the general way. */
TEST(abi_ipc_keeps_registers_general_path)
{
	probed_round_trip(TEST_PRIO - 1);
}

/* A Call on a kernel object is an IPC syscall too. */
TEST(abi_invocation_keeps_registers)
{
	uint64_t in[32], out[32];
	fill(in, CLIENT_MARK, SYS_CALL, SLOT_SYSTEM, MSGINFO(SYSTEM_THREAD_COUNT, 0, 0), 0);
	reg_probe(in, out);
	CHECK_OK(out[10]);
	CHECK_EQ(out[12], thread_count());
	CHECK_EQ(broken_reg(in, out, IPC_CLOBBERS, SERVER_TAG), 0);
}

static void yielder(uint64_t arg)
{
	(void)arg;
	uint64_t in[32], out[32];
	fill(in, SERVER_MARK, SYS_YIELD, 0, 0, 0);
	for (;;)
		reg_probe(in, out);
}

/* Every other syscall keeps every register but a0..a6, under each ABI,
 * while another thread runs in between. */
TEST(abi_yield_keeps_every_register)
{
	struct child c;
	uint64_t in[32], out[32];
	child_start(&c, yielder, 0, TEST_PRIO, 0);
	fill(in, CLIENT_MARK, SYS_YIELD, 0, 0, 0);
	for (int i = 0; i < 4; i++) {
		reg_probe(in, out);
		CHECK_OK(out[10]);
		CHECK_EQ(broken_reg(in, out, 0, SERVER_TAG), 0);
	}
}
