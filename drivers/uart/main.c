/* The ns16550a UART driver and console server (include/proto/console.h).
 *
 * Receive is driven by the UART's interrupt (IRQ via the bound
 * notification): bytes go into a ring; a reader waiting for input holds
 * a saved reply cap until some arrive. When the ring is nearly full the
 * driver stops taking bytes from the UART, so its FIFO fills and QEMU
 * holds back further input: a burst of piped input loses nothing.
 * Transmit goes to the UART while it has room, the rest into a ring
 * drained by the transmitter-empty interrupt. */
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
#define RING 4096

static volatile uint8_t *const uart = (volatile uint8_t *)TASK_DEVICE_BASE;
static uint8_t rx[RING], tx[RING];
static unsigned rx_head, rx_tail, tx_head, tx_tail;   /* head: next to take */
static uint8_t ier;
static cptr_t reader;          /* saved reply cap of a waiting reader */
static uint64_t reader_max;
static int reader_line;        /* it waits for a whole line */

static unsigned rx_count(void) { return rx_tail - rx_head; }
static unsigned tx_count(void) { return tx_tail - tx_head; }

static void set_ier(uint8_t v)
{
	ier = v;
	uart[IER] = v;
}

static void pull_input(void)
{
	while (rx_count() < RING - 16 && (uart[LSR] & LSR_DR))
		rx[rx_tail++ % RING] = uart[RBR];
	/* nearly full: stop listening until the reader catches up */
	set_ier(rx_count() >= RING - 16 ? (ier & ~IER_RX) : (ier | IER_RX));
}

static void push_output(void)
{
	while (tx_count() && (uart[LSR] & LSR_THRE))
		uart[THR] = tx[tx_head++ % RING];
	set_ier(tx_count() ? (ier | IER_TX) : (ier & ~IER_TX));
}

/* How many bytes a read may take now: 0 if it must wait. */
static unsigned available(uint64_t max, int line)
{
	unsigned n = rx_count() < max ? rx_count() : (unsigned)max;
	if (!line)
		return n;
	for (unsigned i = 0; i < n; i++)
		if (rx[(rx_head + i) % RING] == '\n' || rx[(rx_head + i) % RING] == '\r')
			return i + 1;   /* a terminal's Enter is a carriage return */
	return n == max || rx_count() >= RING - 16 ? n : 0;   /* a full ring is a line too */
}

/* n bytes of input, packed after the length word. */
static unsigned take_input(unsigned n, uint64_t *words)
{
	uint8_t *bytes = (uint8_t *)&words[1];
	for (unsigned i = 0; i < n; i++)
		bytes[i] = rx[rx_head++ % RING];
	words[0] = n;
	if (!(ier & IER_RX))
		pull_input();
	return 1 + (n + 7) / 8;
}

static void send_words(cptr_t to, uint64_t label, unsigned n, const uint64_t *w)
{
	for (unsigned i = MSG_REG_COUNT; i < n; i++)
		__ipcbuf->mr[i] = w[i];
	sys_send(to, MSGINFO(label, 0, n), w[0], w[1], w[2], w[3]);
}

static void wake_reader(void)
{
	uint64_t words[MSG_MAX_WORDS] = { 0 };
	unsigned avail = reader ? available(reader_max, reader_line) : 0;
	if (!avail)
		return;
	unsigned n = take_input(avail, words);
	send_words(reader, E_OK, n, words);   /* the saved reply cap is used up */
	slot_free(reader);
	reader = 0;
}

static void write_bytes(const uint8_t *p, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++) {
		while (tx_count() == RING) {   /* ring full: wait for the UART itself */
			while (!(uart[LSR] & LSR_THRE))
				;
			uart[THR] = tx[tx_head++ % RING];
		}
		tx[tx_tail++ % RING] = p[i];
	}
	push_output();
}

static void interrupt(void)
{
	pull_input();
	push_output();
	INVOKE0(TSLOT_IRQ0, IRQ_HANDLER_ACK);
	wake_reader();
}

/* Returns the number of reply words, or -1 if the reply is deferred. */
static int request(uint64_t label, struct sysret *r, uint64_t *words, enum err *e)
{
	uint64_t len = r->mr[0];
	*e = E_OK;
	switch (label) {
	case CONSOLE_WRITE:
		if (len > CONSOLE_MAX || (len + 7) / 8 + 1 > MSGINFO_LEN(r->info)) {
			*e = E_INVALID_ARGUMENT;
			return 0;
		}
		memcpy(&words[1], &r->mr[1], 3 * 8);
		for (unsigned i = MSG_REG_COUNT; i < MSGINFO_LEN(r->info); i++)
			words[i] = __ipcbuf->mr[i];
		write_bytes((const uint8_t *)&words[1], len);
		return 0;
	case CONSOLE_READ:
	case CONSOLE_READ_LINE: {
		int line = label == CONSOLE_READ_LINE;
		if (len == 0 || len > CONSOLE_MAX) {
			*e = E_INVALID_ARGUMENT;
			return 0;
		}
		if (reader) {
			*e = E_IN_USE;   /* one reader at a time */
			return 0;
		}
		unsigned avail = available(len, line);
		if (avail)
			return (int)take_input(avail, words);
		reader = slot_alloc();
		reader_max = len;
		reader_line = line;
		if ((*e = INVOKE(TSLOT_CNODE, CNODE_SAVE_CALLER, reader)) != E_OK) {
			reader = 0;
			return 0;
		}
		return -1;
	}
	default:
		*e = E_INVALID_ARGUMENT;
		return 0;
	}
}

int main(uint64_t id)
{
	(void)id;
	uint64_t words[MSG_MAX_WORDS];
	uart[LCR] = 0x03;   /* 8 bits, no parity, 1 stop bit */
	pull_input();       /* input may be waiting already: turning the FIFOs on clears them */
	uart[FCR] = 0x01;
	pull_input();       /* also turns the receive interrupt on */
	for (;;) {
		struct sysret r = sys_recv(TSLOT_SERVICE);
		if (MSGINFO_LABEL(r.info) == LABEL_NOTIFICATION) {
			if (r.badge & SUP_HEARTBEAT_BADGE)
				heartbeat_answer();
			interrupt();
			continue;
		}
		enum err e;
		memset(words, 0, sizeof words);
		int n = request(MSGINFO_LABEL(r.info), &r, words, &e);
		if (n < 0)
			continue;
		for (int i = MSG_REG_COUNT; i < n; i++)
			__ipcbuf->mr[i] = words[i];
		sys_reply(MSGINFO(e, 0, n), words[0], words[1], words[2], words[3]);
	}
}
