/* Output: one ring of bytes on their way to the device.
 *
 *   head ........ head+sent ........ tail
 *   handed to the driver  | not yet handed
 *
 * Bytes leave the ring only when the driver acknowledges them in its next
 * XFER, so a driver that dies with bytes in hand gets them again (ack 0
 * after a new attach): output may repeat, it is never lost. A write that
 * does not fit waits, with its bytes, in a short queue of writers; as the
 * driver acknowledges output they go in, in order, and are answered.
 * Echo never waits: with the ring full it is dropped, as a terminal
 * would. */
#include "console.h"

#define RING 16384
#define WRITERS 8

static uint8_t ring[RING];
static unsigned head, sent, tail;   /* free-running; ring index is % RING */

static struct writer {
	cptr_t reply;
	unsigned len;
	uint8_t bytes[CONSOLE_MAX];
} writers[WRITERS];
static unsigned nwriters;

static unsigned room(void) { return RING - (tail - head); }

static void put(const uint8_t *bytes, unsigned n)
{
	int was_idle = tail - head == sent;   /* the driver has nothing new in hand */
	for (unsigned i = 0; i < n; i++)
		ring[tail++ % RING] = bytes[i];
	if (n && was_idle)
		device_wake();
}

/* 1: written; 0: the caller waits (its reply cap is saved); -1: too many
 * writers wait already. */
int output_write(const uint8_t *bytes, unsigned n)
{
	if (!nwriters && room() >= n) {
		put(bytes, n);
		return 1;
	}
	if (nwriters == WRITERS)
		return -1;
	struct writer *w = &writers[nwriters];
	if (!(w->reply = save_caller()))
		return -1;
	memcpy(w->bytes, bytes, n);
	w->len = n;
	nwriters++;
	return 0;
}

void output_echo(const char *bytes, unsigned n)
{
	if (room() >= n)
		put((const uint8_t *)bytes, n);
}

/* Room came: the waiting writers go in, oldest first. */
static void admit_writers(void)
{
	unsigned done = 0;
	while (done < nwriters && room() >= writers[done].len) {
		put(writers[done].bytes, writers[done].len);
		answer(writers[done].reply, E_OK, 0, 0);   /* a writer that died needs no answer */
		done++;
	}
	memmove(writers, writers + done, (nwriters - done) * sizeof writers[0]);
	nwriters -= done;
}

/* The driver wrote n bytes of what it was last handed. */
enum err output_ack(uint64_t n)
{
	if (n > sent)
		return E_INVALID_ARGUMENT;
	head += (unsigned)n;
	sent = 0;
	admit_writers();
	return E_OK;
}

/* The oldest bytes not acknowledged, now in the driver's hands. */
unsigned output_pending(uint8_t *bytes, unsigned max)
{
	unsigned n = tail - head < max ? tail - head : max;
	for (unsigned i = 0; i < n; i++)
		bytes[i] = ring[(head + i) % RING];
	sent = n;
	return n;
}

/* A new driver instance: what the old one was handed goes out again. */
void output_reset(void)
{
	sent = 0;
}
