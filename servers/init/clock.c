/* init's own clock: a timer and a notification made from init's memory,
 * the notification bound to init's thread, so the one Recv on init's
 * endpoint wakes for faults, requests and timer expiries alike (the
 * latter as LABEL_NOTIFICATION). One deadline is armed at a time: the
 * earliest back-off or heartbeat the main loop asks for. */
#include "init.h"

static cptr_t timer, tick;

enum err clock_init(void)
{
	enum err e;
	if ((e = own_object(OBJ_NOTIFICATION, &tick)) || (e = own_object(OBJ_TIMER, &timer)))
		return e;
	return INVOKE(TSLOT_TCB, TCB_BIND_NOTIFICATION, tick);
}

uint64_t now_ms(void)
{
	return rdtime() * 1000 / libsys_timebase_hz;
}

/* Wake at when_ms (at once if it has passed); NEVER: not at all. */
void clock_arm(uint64_t when_ms)
{
	if (!timer)
		return;
	if (when_ms == NEVER) {
		INVOKE0(timer, TIMER_CANCEL);
		return;
	}
	INVOKE(timer, TIMER_SET, tick, when_ms * libsys_timebase_hz / 1000);
}
