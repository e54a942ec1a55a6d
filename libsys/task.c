/* Startup probing of the caps a task was given, its slot allocator, and
 * the client side of the console and timer. */
#include <string.h>
#include "task.h"
#include "../include/proto/console.h"
#include "../include/proto/mm.h"

struct task_caps task;
static uint64_t slot_used[(1 << TASK_CNODE_BITS) / 64];

int slot_holds(cptr_t slot, int type)
{
	uint64_t r[6];
	unsigned n = 0;
	return invoke(TSLOT_CNODE, CNODE_INFO, 1, (uint64_t[]){ slot }, r, &n) == E_OK && n && r[0] == (uint64_t)type;
}

static cptr_t probe(cptr_t slot, int type) { return slot_holds(slot, type) ? slot : 0; }

void task_probe(uint64_t id)
{
	task.id = id;
	task.mm = probe(TSLOT_MM, OBJ_ENDPOINT);
	task.console = probe(TSLOT_SVC(SVC_CONSOLE), OBJ_ENDPOINT);
	task.supervisor = probe(TSLOT_SVC(SVC_SUPERVISOR), OBJ_ENDPOINT);
	task.notification = probe(TSLOT_NOTIFICATION, OBJ_NOTIFICATION);
	task.timer = task.notification ? probe(TSLOT_TIMER, OBJ_TIMER) : 0;
	/* the root task holds it at SLOT_SYSTEM, the supervisor at INIT_SLOT_SYSTEM */
	task.system = probe(SLOT_SYSTEM, OBJ_SYSTEM);
	if (!task.system)
		task.system = probe(INIT_SLOT_SYSTEM, OBJ_SYSTEM);
}

cptr_t slot_alloc(void)
{
	for (cptr_t s = TSLOT_FIRST_FREE; s < (1 << TASK_CNODE_BITS); s++) {
		if (!(slot_used[s / 64] & (1ULL << (s % 64)))) {
			slot_used[s / 64] |= 1ULL << (s % 64);
			return s;
		}
	}
	return 0;
}

void slot_free(cptr_t slot)
{
	if (slot < (1 << TASK_CNODE_BITS))
		slot_used[slot / 64] &= ~(1ULL << (slot % 64));
}

enum err console_write(const void *buf, uint64_t len)
{
	const uint8_t *p = buf;
	uint64_t words[MSG_MAX_WORDS];
	while (len) {
		uint64_t n = len < CONSOLE_MAX ? len : CONSOLE_MAX;
		words[0] = n;
		memset(&words[1], 0, (n + 7) & ~7ULL);
		memcpy(&words[1], p, n);
		enum err e = invoke(task.console, CONSOLE_WRITE, 1 + (n + 7) / 8, words, 0, 0);
		if (e)
			return e;
		p += n, len -= n;
	}
	return E_OK;
}

static int64_t read_input(uint64_t label, void *buf, uint64_t max)
{
	uint64_t words[MSG_MAX_WORDS];
	unsigned n = 0;
	if (max > CONSOLE_MAX)
		max = CONSOLE_MAX;
	enum err e = invoke(task.console, label, 1, (uint64_t[]){ max }, words, &n);
	if (e)
		return -(int64_t)e;
	if (n < 1 || words[0] > max || words[0] > (n - 1) * 8)
		return -(int64_t)E_INVALID_ARGUMENT;   /* a malformed reply */
	memcpy(buf, &words[1], words[0]);
	return (int64_t)words[0];
}

int64_t console_read(void *buf, uint64_t max) { return read_input(CONSOLE_READ, buf, max); }
int64_t console_read_line(void *buf, uint64_t max) { return read_input(CONSOLE_READ_LINE, buf, max); }

enum err sleep_ms(uint64_t ms)
{
	extern uint64_t libsys_timebase_hz;
	if (!task.timer)
		return E_INVALID_CAPABILITY;
	enum err e = INVOKE(task.timer, TIMER_SET, task.notification, rdtime() + ms * libsys_timebase_hz / 1000);
	if (e)
		return e;
	return (enum err)ntfn_wait(task.notification).err;
}
