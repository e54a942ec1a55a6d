/* Input: bytes the driver handed over wait in a ring until a reader takes
 * them. A raw reader (CONSOLE_READ) takes them as they are; a line reader
 * (CONSOLE_READ_LINE) takes them through the line discipline, which edits
 * one line at a time and echoes as it goes:
 *
 *   ring (as typed) --cook--> line (edited, echoed) --> a line reader
 *
 * Bytes are cooked only for a waiting line reader, so input meant for a
 * raw reader (`sum`'s data) is never echoed or edited. ^C is acted on the
 * moment it arrives, whoever reads: it drops what was typed ahead and
 * interrupts every waiting reader, or, with none waiting, tells the
 * supervisor. Readers wait in a queue and are served in the order they
 * came; a reader that died while waiting is skipped and the bytes go to
 * the next. */
#include "console.h"
#include "../../include/proto/supervisor.h"

#define RING 4096
#define CTRL_C 0x03

static uint8_t ring[RING];
static unsigned ring_head, ring_tail;   /* free-running */
static uint8_t line[CONSOLE_MAX];
static unsigned line_len;
static int line_done;                   /* line holds a whole line */
static int refused;                     /* the driver holds input we had no room for */

static struct reader {
	cptr_t reply;
	uint64_t max;
	int line;
} readers[CONSOLE_READERS];
static unsigned nreaders;

static unsigned ring_count(void) { return ring_tail - ring_head; }
int input_room(void) { return RING - ring_count(); }

/* The line discipline, one byte. */
static void cook(uint8_t c, uint64_t max)
{
	if (c == '\r' || c == '\n') {
		line[line_len++] = c;
		line_done = 1;
		output_echo("\n", 1);
	} else if (c == 0x7f || c == '\b') {
		if (line_len) {
			line_len--;
			output_echo("\b \b", 3);
		}
	} else if (c >= ' ' && c < 0x7f) {   /* other control bytes (^D) mean nothing here */
		line[line_len++] = c;
		output_echo((const char *)&c, 1);
		if (line_len == max)
			line_done = 1;                /* as long as the reader takes: a line */
	}
}

/* Cook typed bytes until a line is whole, for a reader of at most max. */
static void cook_line(uint64_t max)
{
	if (max > CONSOLE_MAX)
		max = CONSOLE_MAX;
	if (line_len >= max)
		line_done = 1;
	while (!line_done && ring_count())
		cook(ring[ring_head++ % RING], max);
}

/* Bytes for the first reader, packed after the length word: from the
 * edited line if one is (partly) there, else raw. 0: it must wait. */
static unsigned gather(const struct reader *r, uint64_t *words, int *from_line)
{
	uint8_t *bytes = (uint8_t *)&words[1];
	unsigned n = 0;
	if (r->line)
		cook_line(r->max);
	*from_line = line_len > 0;
	if (*from_line && (line_done || !r->line)) {
		n = line_len < r->max ? line_len : (unsigned)r->max;
		memcpy(bytes, line, n);
	} else if (!r->line) {
		n = ring_count() < r->max ? ring_count() : (unsigned)r->max;
		for (unsigned i = 0; i < n; i++)
			bytes[i] = ring[(ring_head + i) % RING];
	}
	words[0] = n;
	return n;
}

/* The bytes a reader was sent are gone from where they came. */
static void consume(unsigned n, int from_line)
{
	if (!from_line) {
		ring_head += n;
		return;
	}
	memmove(line, line + n, line_len - n);
	line_len -= n;
	if (!line_len)
		line_done = 0;
}

static void pop_reader(void)
{
	memmove(readers, readers + 1, --nreaders * sizeof readers[0]);
}

/* Answer waiting readers while there is input for the first of them. */
static void serve(void)
{
	uint64_t words[MSG_MAX_WORDS];
	while (nreaders) {
		int from_line;
		unsigned n = gather(&readers[0], words, &from_line);
		if (!n)
			break;
		if (answer(readers[0].reply, E_OK, 1 + (n + 7) / 8, words) == E_OK)
			consume(n, from_line);   /* a reader that died leaves them for the next */
		pop_reader();
	}
	if (refused && input_room()) {
		refused = 0;
		device_wake();
	}
}

/* A read request: the caller waits in the queue, and may be answered at once. */
enum err input_read(uint64_t max, int is_line)
{
	if (max == 0 || max > CONSOLE_MAX)
		return E_INVALID_ARGUMENT;
	if (nreaders == CONSOLE_READERS)
		return E_IN_USE;
	struct reader *r = &readers[nreaders];
	if (!(r->reply = save_caller()))
		return E_NOT_ENOUGH_MEMORY;
	r->max = max;
	r->line = is_line;
	nreaders++;
	serve();
	return E_OK;
}

/* ^C: typed-ahead input is dropped; readers stop waiting, or the
 * supervisor stops the foreground program. */
static void interrupt(void)
{
	ring_head = ring_tail;
	line_len = 0;
	line_done = 0;
	output_echo("^C\n", 3);
	if (!nreaders) {
		/* sent, not called: the supervisor never answers a task it supervises late */
		sys_send(task.supervisor, MSGINFO(SUP_INTERRUPT, 0, 0), 0, 0, 0, 0);
		return;
	}
	while (nreaders) {
		answer(readers[0].reply, E_INTERRUPTED, 0, 0);
		pop_reader();
	}
}

/* Input from the driver; returns how many bytes we took (all unless the
 * ring is full: the driver keeps the rest and is woken when room comes). */
unsigned input_take(const uint8_t *bytes, unsigned n)
{
	unsigned i;
	for (i = 0; i < n; i++) {
		if (bytes[i] == CTRL_C) {
			serve();   /* what came before the ^C is read or dropped first */
			interrupt();
		} else if (ring_count() < RING) {
			ring[ring_tail++ % RING] = bytes[i];
		} else {
			refused = 1;
			break;
		}
	}
	serve();
	return i;
}
