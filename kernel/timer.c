/* Time: the preemption tick and Timer objects, multiplexed on the one SBI
 * timer. Armed timers wait in a list sorted by deadline (rdtime ticks);
 * when one expires it signals its notification. */
#include "kernel.h"

static struct ktimer *armed;
static uint64_t next_tick, tick_period;

static void program(void)
{
	uint64_t when = next_tick;
	if (armed && armed->deadline < when)
		when = armed->deadline;
	sbi_set_timer(when);
}

void timer_start(void)
{
	tick_period = timebase_hz / TICK_HZ;
	next_tick = rdtime() + tick_period;
	program();
	csr_set(sie, SIE_STIE);
}

void timer_interrupt(void)
{
	uint64_t now = rdtime();
	while (armed && armed->deadline <= now) {
		struct ktimer *t = armed;
		armed = t->next;
		t->armed = 0;
		ntfn_signal(t->ntfn, t->badge);
	}
	if (now >= next_tick) {
		if (current)
			current->ticks++;   /* sampled: what the supervisor tells hogs from the starved by */
		sched_rotate();
		next_tick = now + tick_period;
	}
	program();
}

void timer_cancel(struct ktimer *t)
{
	if (!t->armed)
		return;
	struct ktimer **p = &armed;
	while (*p != t)
		p = &(*p)->next;
	*p = t->next;
	t->armed = 0;
}

void timer_forget_ntfn(struct notification *n)
{
	struct ktimer **p = &armed;
	while (*p) {
		if ((*p)->ntfn == n) {
			(*p)->armed = 0;
			*p = (*p)->next;
		} else {
			p = &(*p)->next;
		}
	}
}

/* Timers with equal deadlines fire in the order they were set. */
static void arm(struct ktimer *t)
{
	struct ktimer **p = &armed;
	while (*p && (*p)->deadline <= t->deadline)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
	t->armed = 1;
	program();
}

enum err timer_invoke(struct cte *slot, uint64_t label, uint64_t *mr)
{
	struct ktimer *t = (struct ktimer *)slot->cap.obj;
	struct cte *n;
	enum err e;
	switch (label) {
	case TIMER_SET:
		if ((e = lookup_cap(mr[0], OBJ_NOTIFICATION, &n)))
			return e;
		if (!(n->cap.rights & RIGHT_WRITE))
			return E_NO_RIGHTS;
		timer_cancel(t);
		t->ntfn = (struct notification *)n->cap.obj;
		t->badge = n->cap.data;
		t->deadline = mr[1];
		arm(t);
		return E_OK;
	case TIMER_CANCEL:
		timer_cancel(t);
		return E_OK;
	default:
		return E_ILLEGAL_OPERATION;
	}
}
