/* Leases (SYS_LEASE_COPY): a server reaches what its caller lent only
 * within the bounds and rights lent, only until it replies. */
#include <string.h>
#include "harness.h"

/* The server runs `script` on each call it receives: a list of lease
 * copies whose results it records, then replies. */
struct lease_op { uint64_t op, off, len; int use_bad_buffer; };
static struct lease_op script[8];
static volatile uint64_t results[8], got_len, got_rights, got_flag, saved;
static uint8_t server_buf[8192];

static void lease_server(uint64_t ep)
{
	for (;;) {
		struct sysret r = sys_recv(ep);
		if (r.err)
			return;
		got_flag = (r.info & MSGINFO_LEASE) != 0;
		got_len = __ipcbuf->lease_len;
		got_rights = __ipcbuf->lease_rights;
		cptr_t via = 0;
		if (saved) {   /* answer later: through a saved reply cap */
			CHECK_OK(INVOKE(SLOT_CNODE, CNODE_SAVE_CALLER, saved));
			via = saved;
		}
		for (int i = 0; i < 8 && script[i].op; i++) {
			void *buf = script[i].use_bad_buffer ? (void *)0x1000 : server_buf;
			results[i] = sys_lease_copy(via, script[i].op | (via ? LEASE_VIA_REPLY_CAP : 0), script[i].off,
						    buf, script[i].len);
		}
		if (via)
			sys_send(via, MSGINFO(0, 0, 0), 0, 0, 0, 0);
		else
			sys_reply(MSGINFO(0, 0, 0), 0, 0, 0, 0);
	}
}

static cptr_t lease_ep;
static uint8_t lent[20000];

static void start_server(void)
{
	static struct child c;
	lease_ep = make(OBJ_ENDPOINT, 0);
	saved = 0;
	child_start_cross_as(&c, lease_server, lease_ep, TEST_PRIO, 0);
	sys_yield();
}

static enum err call_lending(void *base, uint64_t len, uint64_t rights)
{
	for (int i = 0; i < 8; i++)
		results[i] = 0xdead;
	return invoke_lending(lease_ep, 0, 0, NULL, NULL, NULL, base, len, rights);
}

static void set_script(int i, uint64_t op, uint64_t off, uint64_t len)
{
	script[i] = (struct lease_op){ op, off, len, 0 };
	script[i + 1].op = 0;
}

TEST(lease_read_and_write_byte_exact)
{
	start_server();
	for (int i = 0; i < (int)sizeof lent; i++)
		lent[i] = (uint8_t)(i * 7 + 3);
	/* the server reads 13 bytes at offset 3, then writes 4097 at 5001 */
	set_script(0, LEASE_READ, 3, 13);
	set_script(1, LEASE_WRITE, 5001, 4097);
	memset(server_buf, 0xEE, sizeof server_buf);
	CHECK_OK(call_lending(lent, 10000, RIGHT_READ | RIGHT_WRITE));
	CHECK_OK(results[0]);
	CHECK_OK(results[1]);
	CHECK_EQ(got_flag, 1);
	CHECK_EQ(got_len, 10000);
	CHECK_EQ(got_rights, RIGHT_READ | RIGHT_WRITE);
	for (int i = 0; i < 13; i++)
		CHECK_EQ(server_buf[i], (uint8_t)((i + 3) * 7 + 3));
	CHECK_EQ(server_buf[13], 0xEE);    /* not a byte more */
	for (int i = 0; i < 5001; i++)
		CHECK_EQ(lent[i], (uint8_t)(i * 7 + 3));
	for (int i = 5001; i < 5001 + 4097; i++)
		CHECK_EQ(lent[i], i - 5001 < 13 ? (uint8_t)((i - 5001 + 3) * 7 + 3) : 0xEE);
	CHECK_EQ(lent[5001 + 4097], (uint8_t)((5001 + 4097) * 7 + 3));
}

TEST(lease_wrong_rights_refused)
{
	start_server();
	memset(lent, 0x11, 64);
	set_script(0, LEASE_READ, 0, 8);
	set_script(1, LEASE_WRITE, 0, 8);
	CHECK_OK(call_lending(lent, 64, RIGHT_WRITE));   /* write-only: no reading */
	CHECK_ERR(results[0], E_NO_RIGHTS);
	CHECK_OK(results[1]);
	memset(lent, 0x11, 64);
	CHECK_OK(call_lending(lent, 64, RIGHT_READ));    /* read-only: no writing */
	CHECK_OK(results[0]);
	CHECK_ERR(results[1], E_NO_RIGHTS);
	for (int i = 0; i < 64; i++)
		CHECK_EQ(lent[i], 0x11);                 /* untouched */
}

TEST(lease_bounds_and_arguments)
{
	start_server();
	script[0] = (struct lease_op){ LEASE_READ, 60, 5, 0 };           /* past the end */
	script[1] = (struct lease_op){ LEASE_READ, ~0ULL, 2, 0 };        /* offset overflow */
	script[2] = (struct lease_op){ LEASE_READ, 0, LEASE_COPY_MAX + 1, 0 };
	script[3] = (struct lease_op){ 3, 0, 1, 0 };                     /* read and write */
	script[4] = (struct lease_op){ 8 | LEASE_READ, 0, 1, 0 };       /* unknown bit */
	script[5] = (struct lease_op){ LEASE_READ, 0, 64, 1 };           /* own buffer unmapped */
	script[6] = (struct lease_op){ LEASE_READ, 0, 64, 0 };
	script[7].op = 0;
	CHECK_OK(call_lending(lent, 64, RIGHT_READ));
	CHECK_ERR(results[0], E_RANGE);
	CHECK_ERR(results[1], E_RANGE);
	CHECK_ERR(results[2], E_RANGE);
	CHECK_ERR(results[3], E_INVALID_ARGUMENT);
	CHECK_ERR(results[4], E_INVALID_ARGUMENT);
	CHECK_ERR(results[5], E_BAD_ADDRESS);
	CHECK_OK(results[6]);
	/* a lease over memory that is not mapped: accepted, but copies fail */
	set_script(0, LEASE_READ, 0, 8);
	CHECK_OK(call_lending((void *)0x2000, 64, RIGHT_READ));
	CHECK_ERR(results[0], E_BAD_ADDRESS);
}

TEST(lease_refused_at_call)
{
	start_server();
	set_script(0, LEASE_READ, 0, 1);
	CHECK_ERR(call_lending(lent, 64, 0), E_INVALID_ARGUMENT);
	CHECK_ERR(call_lending(lent, 64, RIGHT_GRANT | RIGHT_READ), E_INVALID_ARGUMENT);
	CHECK_ERR(call_lending(lent, 0, RIGHT_READ), E_RANGE);
	CHECK_ERR(call_lending(lent, LEASE_MAX + 1, RIGHT_READ), E_RANGE);
	CHECK_ERR(call_lending((void *)(USER_TOP - 8), 64, RIGHT_READ), E_BAD_ADDRESS);
	CHECK_EQ(results[0], 0xdead);   /* the server never ran */
	/* a lease goes only with a Call */
	__ipcbuf->lease_base = (uint64_t)lent;
	CHECK_ERR(sys_send(lease_ep, MSGINFO(0, 0, 0) | MSGINFO_LEASE, 0, 0, 0, 0).err, E_ILLEGAL_OPERATION);
	/* a Call without one: the server has nothing to copy */
	CHECK_OK(sys_call(lease_ep, MSGINFO(0, 0, 0), 0, 0, 0, 0).err);
	CHECK_EQ(got_flag, 0);
	CHECK_ERR(results[0], E_ILLEGAL_OPERATION);
}

TEST(lease_through_saved_reply_cap_ends_with_reply)
{
	start_server();
	saved = new_slot();
	memset(lent, 0x5A, 32);
	set_script(0, LEASE_READ, 0, 32);
	CHECK_OK(call_lending(lent, 32, RIGHT_READ));
	CHECK_OK(results[0]);
	CHECK_EQ(server_buf[31], 0x5A);
	CHECK_EQ(slot_info(saved).type, OBJ_NONE);   /* used up by the reply */
	/* the lease died with the reply: neither way reaches it now */
	CHECK_ERR(sys_lease_copy(0, LEASE_READ, 0, server_buf, 1), E_ILLEGAL_OPERATION);
	CHECK_ERR(sys_lease_copy(saved, LEASE_READ | LEASE_VIA_REPLY_CAP, 0, server_buf, 1), E_EMPTY_SLOT);
	CHECK_EQ(self_check(), 0);
}

/* A lease over device memory (here the UART's page, most of which no
 * device answers): the kernel copies only RAM, so the copy is refused,
 * and it does not touch the device on the caller's behalf. */
TEST(lease_over_device_memory_refused)
{
	cptr_t n = make(OBJ_NOTIFICATION, 0), h;
	volatile uint8_t *uart = uart_with_irq(n, &h);
	start_server();
	set_script(0, LEASE_READ, 0x200, 64);
	CHECK_OK(call_lending((void *)uart, 4096, RIGHT_READ));
	CHECK_ERR(results[0], E_BAD_ADDRESS);
	CHECK_ERR(sys_debug_write(SLOT_SYSTEM, (const void *)(uart + 0x200), 16), E_BAD_ADDRESS);
}
