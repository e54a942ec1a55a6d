/* One task of the system description (system.conf), as the generated
 * table (sysdesc.c) gives it to the supervisor. */
#ifndef INIT_SYSDESC_TYPES_H
#define INIT_SYSDESC_TYPES_H

#include <stdint.h>

struct task_desc {
	const char *name, *program;
	unsigned priority, quota, stack;
	unsigned ndevices;
	struct { uint64_t paddr, bytes; } devices[8];
	unsigned nirqs;
	unsigned irqs[8];
	int serves;              /* service number, or -1 */
	uint32_t calls;          /* bit n: may call service n */
	int calls_supervisor;    /* may use the supervisor's protocol beyond SUP_EXIT */
	int timer, dma;
	int trace;               /* gets a trace object at TSLOT_TRACE (abi/trace.h) */
	int start;               /* 0: only `run NAME` starts it (start = no) */
	unsigned heartbeat_ms;   /* 0: no heartbeats */
	unsigned failures, window_ms;   /* more failures than this within the window: left dead */
	unsigned backoff_ms;     /* the first back-off; doubled for each short-lived instance in a row */
	unsigned reply_within_ms;   /* a call it took and left unanswered this long: it is hung (0: never) */
};

extern const struct task_desc system_tasks[];
extern const unsigned system_task_count;

#endif
