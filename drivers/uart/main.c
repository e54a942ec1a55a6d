/* The ns16550a UART driver: hardware only. The console server
 * (servers/console) holds every buffered byte and every waiting reader;
 * this driver is its client (CONSOLE_DEV_* in include/proto/console.h),
 * so if it dies it loses at most what sat in the UART's FIFO.
 *
 * It waits on its notification for the UART's interrupt, the console
 * server's "there is work" signal and the supervisor's heartbeat. Input
 * taken from the receive FIFO is handed over in the next XFER; when the
 * console server has no room, the driver keeps it, stops taking bytes,
 * and the FIFO fills so that QEMU holds back further input (a burst of
 * piped input loses nothing). Output comes back in the XFER's reply; it
 * goes into the transmit FIFO as it has room, and the next XFER says
 * how much went out. */
#include <string.h>
#include "task.h"
#include "../../include/proto/console.h"
#include "../../include/proto/supervisor.h"

#define RBR 0   /* receive buffer (read) */
#define THR 0   /* transmit holding (write) */
#define IER 1
#define FCR 2
#define LCR 3
#define LSR 5
#define IER_RX 0x01
#define IER_TX 0x02
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define IRQ_BIT 1ULL               /* our IRQ handler signals bit 0 */
#define WORK_BIT (1ULL << 32)      /* the console server signals this one */

static volatile uint8_t *const uart = (volatile uint8_t *)TASK_DEVICE_BASE;
static uint8_t in[CONSOLE_DEV_MAX];     /* taken from the FIFO, not yet handed over */
static unsigned nin;
static uint8_t out[CONSOLE_DEV_MAX];    /* the console server's last chunk */
static unsigned nout, written;
static int attached;

static void set_ier(void)
{
	uart[IER] = (nin < sizeof in ? IER_RX : 0) | (written < nout ? IER_TX : 0);
}

static void pull_input(void)
{
	while (nin < sizeof in && (uart[LSR] & LSR_DR))
		in[nin++] = uart[RBR];
}

static void push_output(void)
{
	while (written < nout && (uart[LSR] & LSR_THRE))
		uart[THR] = out[written++];
}

/* Lend the console server a badged copy of our notification. */
static enum err attach(void)
{
	cptr_t n = slot_alloc();
	enum err e = cnode_mint(TSLOT_CNODE, n, TSLOT_CNODE, TSLOT_NOTIFICATION, RIGHT_WRITE, WORK_BIT);
	if (e == E_OK) {
		__ipcbuf->caps[0] = n;
		e = (enum err)sys_call(task.console, MSGINFO(CONSOLE_DEV_ATTACH, 1, 0), 0, 0, 0, 0).err;
	}
	cnode_delete(TSLOT_CNODE, n);
	slot_free(n);
	return e;
}

/* Hand over input and the count written; take the next output. */
static void xfer(void)
{
	uint64_t words[MSG_MAX_WORDS] = { written, nin };
	memcpy(&words[2], in, nin);
	unsigned n = 2 + (nin + 7) / 8;
	for (unsigned i = MSG_REG_COUNT; i < n; i++)
		__ipcbuf->mr[i] = words[i];
	struct sysret r = sys_call(task.console, MSGINFO(CONSOLE_DEV_XFER, 0, n), words[0], words[1], words[2], words[3]);
	unsigned len = MSGINFO_LEN(r.info);
	if (r.err || len < 2 || r.mr[0] > nin || r.mr[1] > CONSOLE_DEV_MAX || 2 + (r.mr[1] + 7) / 8 > len) {
		attached = 0;   /* a new console server, or one that lost us: attach again */
		return;
	}
	memmove(in, in + r.mr[0], nin - r.mr[0]);
	nin -= (unsigned)r.mr[0];
	words[2] = r.mr[2];
	words[3] = r.mr[3];
	for (unsigned i = MSG_REG_COUNT; i < len; i++)
		words[i] = __ipcbuf->mr[i];
	nout = (unsigned)r.mr[1];
	memcpy(out, &words[2], nout);
	written = 0;
}

/* One event: the FIFOs serviced, and the console server called when
 * there is input for it, its chunk is out, or it asked. */
static void service(uint64_t bits)
{
	pull_input();
	push_output();
	if (!attached && attach() == E_OK) {
		attached = 1;
		nout = written = 0;   /* a chunk of before is sent again */
		bits |= WORK_BIT;
	}
	/* ... or at a heartbeat with output the device has not taken yet:
	 * the console server counts a driver that stays away as hung */
	int due = nin || (written == nout && (nout || (bits & WORK_BIT))) ||
		  (written < nout && (bits & SUP_HEARTBEAT_BADGE));
	if (attached && due) {
		xfer();
		if (!attached && attach() == E_OK) {   /* the console server was new: once more */
			attached = 1;
			nout = written = 0;
			xfer();
		}
		push_output();
	}
	/* all of it went out: say so at once, so that output still stands
	 * acknowledged if we die idle (and get the rest, if any) */
	while (attached && nout && written == nout) {
		xfer();
		push_output();
	}
	set_ier();
}

int main(uint64_t id)
{
	(void)id;
	uart[LCR] = 0x03;   /* 8 bits, no parity, 1 stop bit */
	pull_input();       /* input may be waiting already: turning the FIFOs on clears them */
	uart[FCR] = 0x01;
	service(WORK_BIT);
	for (;;) {
		struct sysret r = ntfn_wait(TSLOT_NOTIFICATION);
		if (r.badge & SUP_HEARTBEAT_BADGE)
			heartbeat_answer();
		service(r.badge);
		if (r.badge & IRQ_BIT)
			INVOKE0(TSLOT_IRQ0, IRQ_HANDLER_ACK);
	}
}
