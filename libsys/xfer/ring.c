/* Design (b): a shared-memory ring plus notifications, as in seL4's sDDF.
 * The shared region holds a header, a ring of descriptors and a data
 * area. The client copies each transfer into the data area and queues a
 * descriptor; the server consumes the bytes where they lie. Neither side
 * enters the kernel per transfer: a side signals the other only when that
 * one said it is going to sleep (server_sleeping, client_waiting), so a
 * full ring costs two notifications, not one per transfer.
 *
 * Counters only grow; the client alone writes tail and alloc, the server
 * alone head and freed. A store of a flag, a fence and a load of the
 * other side's counter on both sides mean no wake-up is lost. */
#include <string.h>
#include "xfer.h"

#define SLOTS 64

struct ring {
	volatile uint64_t head;             /* next descriptor the server takes */
	volatile uint64_t tail;             /* next descriptor the client fills */
	volatile uint64_t freed;            /* data bytes the server is done with */
	volatile uint64_t server_sleeping;  /* the server waits: signal it */
	volatile uint64_t client_waiting;   /* the client waits: signal it */
	uint64_t alloc;                     /* data bytes the client has used */
	struct { uint64_t off, len, end; } desc[SLOTS];
};

#define DATA_OFFSET 4096   /* the header and ring fit in the first page */

static uint64_t data_size(const struct xfer_channel *ch) { return ch->shm_size - DATA_OFFSET; }

static void fence(void) { __sync_synchronize(); }

/* Where len bytes go in the data area (never split across its end), or
 * -1 if they do not fit now. */
static int64_t place(struct xfer_channel *ch, struct ring *r, uint64_t len)
{
	uint64_t size = data_size(ch), off = r->alloc % size;
	uint64_t skip = off + len > size ? size - off : 0;
	if (r->tail - r->head >= SLOTS || r->alloc + skip + len - r->freed > size)
		return -1;
	return (int64_t)(r->alloc + skip);
}

static void wake_server(struct xfer_channel *ch, struct ring *r)
{
	if (r->server_sleeping) {
		r->server_sleeping = 0;
		ntfn_signal(ch->signal);
	}
}

/* Sleep until the server has taken a descriptor since we saw head at
 * `seen` (at once if it already has). */
static enum err wait_server(struct xfer_channel *ch, struct ring *r, uint64_t seen)
{
	enum err e = E_OK;
	r->client_waiting = 1;
	fence();
	if (r->head == seen) {
		wake_server(ch, r);
		e = (enum err)ntfn_wait(ch->wait).err;
	}
	r->client_waiting = 0;
	return e;
}

static enum err ring_send(struct xfer_channel *ch, const void *buf, uint64_t len)
{
	struct ring *r = (struct ring *)ch->shm;
	int64_t at;
	if (len > XFER_MAX || len > data_size(ch))
		return E_RANGE;
	for (;;) {
		uint64_t seen = r->head;
		if ((at = place(ch, r, len)) >= 0)
			break;
		enum err e = wait_server(ch, r, seen);
		if (e)
			return e;
	}
	uint64_t start = (uint64_t)at, off = start % data_size(ch);
	memcpy(ch->shm + DATA_OFFSET + off, buf, len);
	r->alloc = start + ((len + 7) & ~7ULL);   /* keep each transfer word-aligned */
	r->desc[r->tail % SLOTS].off = off;
	r->desc[r->tail % SLOTS].len = len;
	r->desc[r->tail % SLOTS].end = r->alloc;
	fence();
	r->tail = r->tail + 1;
	fence();
	wake_server(ch, r);
	return E_OK;
}

static enum err ring_flush(struct xfer_channel *ch)
{
	struct ring *r = (struct ring *)ch->shm;
	for (uint64_t seen; (seen = r->head) != r->tail;) {
		enum err e = wait_server(ch, r, seen);
		if (e)
			return e;
	}
	return E_OK;
}

static void ring_serve(struct xfer_channel *ch, uint8_t *buf, xfer_consume_fn consume, void *ctx)
{
	struct ring *r = (struct ring *)ch->shm;
	(void)buf;
	for (;;) {
		while (r->head != r->tail) {
			fence();
			uint64_t i = r->head % SLOTS, off = r->desc[i].off, len = r->desc[i].len;
			if (off < data_size(ch) && len <= data_size(ch) - off)   /* else: a bad descriptor, skipped */
				consume(ctx, ch->shm + DATA_OFFSET + off, len);
			r->freed = r->desc[i].end;
			fence();
			r->head = r->head + 1;
			fence();
			if (r->client_waiting) {
				r->client_waiting = 0;
				ntfn_signal(ch->signal);
			}
		}
		r->server_sleeping = 1;
		fence();
		if (r->head != r->tail) {
			r->server_sleeping = 0;
			continue;
		}
		if (ntfn_wait(ch->wait).err)
			return;   /* the notification is gone: so is the channel */
	}
}

const struct xfer_design xfer_ring = {
	"ring", DATA_OFFSET + 4 * XFER_MAX, 1, ring_send, ring_flush, ring_serve
};
