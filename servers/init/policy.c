/* The restart policy. A described task that fails (crash, hang, bad
 * reply, exit) is restarted from its pristine image: at once if the
 * instance that failed had lived STABLE_BACKOFFS times its `backoff` or
 * more (it served between failures), else after a back-off that doubles with each short-lived
 * instance in a row, from the description's `backoff` up to
 * BACKOFF_MAX_MS. There is
 * no lifetime cap; but a task failing more than `failures` times within
 * `window` ms (its description, docs/system.md) is left dead
 * (TASK_DOWN), reported once, and its clients are answered E_DOWN
 * (down.c). Tasks that `run` started are never restarted: their waiter
 * learns how they ended. */
#include "init.h"

#define STABLE_BACKOFFS 10
#define BACKOFF_MAX_MS 10000

/* Record a failure at `now`; is it one too many within the window? */
static int over_limit(struct stask *s, uint64_t now, uint64_t *span)
{
	const struct task_desc *d = s->desc;
	s->fail_times[s->nfails++ % FAIL_HISTORY] = now;
	if (s->nfails <= d->failures)
		return 0;
	uint64_t oldest = s->fail_times[(s->nfails - 1 - d->failures) % FAIL_HISTORY];
	*span = now - oldest;
	return *span <= d->window_ms;
}

static uint64_t backoff(struct stask *s, uint64_t now)
{
	s->streak = now - s->started_ms >= STABLE_BACKOFFS * (uint64_t)s->desc->backoff_ms ? 1 : s->streak + 1;
	if (s->streak <= 1)
		return 0;
	unsigned doublings = s->streak - 2 < 16 ? s->streak - 2 : 16;
	uint64_t ms = (uint64_t)s->desc->backoff_ms << doublings;
	return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

/* s's instance has just ended (end_task) because of `failure`. */
void task_failed(struct stask *s, int failure)
{
	uint64_t now = now_ms(), span = 0;
	s->failure = failure;
	s->failed_ms = now;
	if (!s->desc || s->by_run || !s->desc->start)
		return;
	if (over_limit(s, now, &span)) {
		s->state = TASK_DOWN;
		printf("init: %s is down: left dead after %u failures in %llu ms\n", s->name, s->desc->failures + 1,
		       (unsigned long long)span);
		down_answer();
		return;
	}
	uint64_t wait = backoff(s, now);
	if (!wait) {
		restart_now(s);
		return;
	}
	s->state = TASK_WAITING;
	s->restart_ms = now + wait;
	printf("init: restarting %s in %llu ms (failure %u in a row)\n", s->name, (unsigned long long)wait, s->streak);
}

/* The next instance of s, now. */
enum err restart_now(struct stask *s)
{
	s->restarts++;
	enum err e = start_described(s);
	if (e) {
		printf("init: restarting %s: %s\n", s->name, err_name(e));
		end_task(s, TASK_DEAD, 0);
		task_failed(s, s->failure);   /* counts as a failure: it backs off, or is left dead */
		return e;
	}
	printf("init: restarting %s: done (generation %llu, %llu ms after the failure)\n", s->name,
	       (unsigned long long)s->generation, (unsigned long long)(s->started_ms - s->failed_ms));
	return E_OK;
}

/* Restarts whose back-off is over. */
void policy_tick(uint64_t now)
{
	for (unsigned i = 0; i < nstasks; i++)
		if (stasks[i].state == TASK_WAITING && stasks[i].restart_ms <= now)
			restart_now(&stasks[i]);
}

uint64_t policy_next(void)
{
	uint64_t next = NEVER;
	for (unsigned i = 0; i < nstasks; i++)
		if (stasks[i].state == TASK_WAITING && stasks[i].restart_ms < next)
			next = stasks[i].restart_ms;
	return next;
}
