/* Hang detection (after MINIX's reincarnation server): a task described
 * with `heartbeat = MS` gets SUP_HEARTBEAT_BADGE signalled on its
 * notification every MS and answers SUP_ALIVE (libsys heartbeat_answer).
 * Two beats left unanswered (two periods) and it is hung: killed and
 * handed to the restart policy. A new instance has GRACE_MS more for its
 * first answer. Missed beats are counted, not elapsed time, so a pause of
 * the whole machine is no hang. Not blamed:
 *   - a task blocked in a call: the server it waits on answers for itself,
 *     by its heartbeats and, if described with `reply_within`, by the
 *     time it has held this one call (a request it lost);
 *   - a task one of whose servers is down or restarting;
 *   - a task that did not run (the kernel's tick samples say so): it is
 *     starved, and the task above it that took the CPU is the one hung,
 *     even if it answers its own heartbeats (a loop around its receive).
 * And the console server tells of a UART driver that answers its
 * heartbeats but no longer comes for console work (SUP_DEVICE_QUIET).
 * (A cycle of tasks calling each other is not seen as a hang: the
 * protocols of the system have none.) */
#include "init.h"
#include "../../include/proto/console.h"

#define GRACE_MS 500
#define BUSY_MS 10000   /* how long a task that calls or serves may starve one below it */

/* What the kernel says of a task's thread (TCB_GET_STATE). */
struct thread_view {
	uint64_t state, ticks, calls;
	char replier[16];   /* the thread owing it a reply, if BLOCKED_REPLY */
};

static int view(const struct stask *s, struct thread_view *v)
{
	uint64_t st[MSG_MAX_WORDS];
	unsigned n = 0;
	if (invoke(s->tcb, TCB_GET_STATE, 0, 0, st, &n) != E_OK || n < 9)
		return 0;
	v->state = st[0];
	v->ticks = st[5];
	v->calls = st[6];
	memcpy(v->replier, &st[7], 16);
	v->replier[15] = 0;
	return 1;
}


void heartbeat_start(struct stask *s)
{
	uint64_t now = now_ms();
	s->unanswered = 0;
	s->call_mark = ~0ULL;
	s->starved_ms = 0;
	struct thread_view v = { 0 };
	view(s, &v);
	s->mark_ticks[0] = s->mark_ticks[1] = v.ticks;
	s->mark_calls[0] = s->mark_calls[1] = v.calls;
	s->mark_ms[0] = s->mark_ms[1] = now;
	s->next_beat_ms = s->desc && s->desc->heartbeat_ms ? now + GRACE_MS + s->desc->heartbeat_ms : NEVER;
}

void heartbeat_alive(struct stask *s)
{
	s->unanswered = 0;
	s->starved_ms = 0;
}

static void hung(struct stask *s, const char *why)
{
	printf("init: task %s hung: %s\n", s->name, why);
	end_task(s, TASK_KILLED, 0);
	task_failed(s, FAIL_HANG);
}

/* SUP_DEVICE_QUIET: the console server woke the instance `id` of its
 * device driver ms ago and it has not come. Only the instance running now
 * is killed: a report may cross the driver's restart. */
enum err heartbeat_device_quiet(uint64_t id, uint64_t ms)
{
	struct stask *t = stask_by_id(id);   /* running tasks only */
	if (!t || strcmp(t->name, CONSOLE_DEVICE_TASK) != 0)
		return E_NOT_FOUND;
	char why[80];
	snprintf(why, sizeof why, "console work waited %llu ms for it", (unsigned long long)ms);
	hung(t, why);
	return E_OK;
}

/* s is blocked in one Call: if the server that took it is described to
 * answer within a time and has not, the server is hung (a request it
 * lost or spins on, while it may still answer its own heartbeats). */
static void check_call(struct stask *s, const struct thread_view *v, uint64_t now)
{
	if (v->calls != s->call_mark) {
		s->call_mark = v->calls;
		s->call_since_ms = now;
		return;
	}
	struct stask *server = v->state == TS_BLOCKED_REPLY ? stask_by_name(v->replier) : NULL;
	if (!server || server == s || server->state != TASK_RUNNING || !server->desc ||
	    !server->desc->reply_within_ms || now - s->call_since_ms <= server->desc->reply_within_ms)
		return;
	char why[80];
	snprintf(why, sizeof why, "a call from %s unanswered for %llu ms", s->name,
		 (unsigned long long)(now - s->call_since_ms));
	s->call_mark = ~0ULL;
	hung(server, why);
}

/* How much of the CPU t, above s, took over its own last beat period or
 * two (percent), and whether it made Calls meanwhile; -1: not a candidate. */
static int64_t share_above(const struct stask *s, struct stask *t, uint64_t now, int *called)
{
	struct thread_view v;
	if (t == s || t->state != TASK_RUNNING || !t->beat || t->prio <= s->prio || !view(t, &v) ||
	    now - t->mark_ms[0] < 10 || v.ticks < t->mark_ticks[0])
		return -1;
	*called = v.calls != t->mark_calls[0];
	return (int64_t)((v.ticks - t->mark_ticks[0]) * (1000 / TICK_HZ) * 100 / (now - t->mark_ms[0]));
}

/* s has run too little to answer: which task above it took the CPU. One
 * that neither calls nor serves, taking more than half, is blamed at
 * once: it only spins, or loops on its notification and heartbeats. One
 * that calls or serves may be working for someone (a UART driver passing
 * a burst of input to the console server, the console server answering
 * it), so only once s has starved for BUSY_MS: then the caller that took
 * most (more than a quarter), as the one that drives the exchange, or
 * else whoever took more than half. */
static struct stask *hog_above(const struct stask *s, uint64_t now, int long_starved, uint64_t *pct)
{
	struct stask *hog = NULL, *caller = NULL;
	int64_t best = 50, best_caller = 25;
	for (unsigned i = 0; i < nstasks; i++) {
		struct stask *t = &stasks[i];
		int called = 0;
		int64_t share = share_above(s, t, now, &called);
		int works = called || (t->desc && t->desc->serves >= 0);
		if (share < 0 || (works && !long_starved))
			continue;
		if (called && share > best_caller) {
			best_caller = share;
			caller = t;
		}
		if (share > best) {
			best = share;
			hog = t;
		}
	}
	if (caller) {
		hog = caller;
		best = best_caller;
	}
	*pct = (uint64_t)(best > 100 ? 100 : best);
	return hog;
}

/* s left two beats unanswered. If it ran meanwhile it is hung; so it is
 * if it waits in a receive again (the beat woke it, and it went back
 * without answering). If it is still runnable and did not run, it is
 * starved: the task above it that took the CPU is the one hung (a loop
 * that answers its own heartbeats, or one with none), and s gets two
 * periods more. */
static void unanswered(struct stask *s, const struct thread_view *v, uint64_t now)
{
	char why[80];
	int waits = v->state == TS_BLOCKED_RECV || v->state == TS_BLOCKED_NOTIFICATION;
	if (v->ticks - s->missed_ticks >= 2 || waits) {
		snprintf(why, sizeof why, "no heartbeat for %llu ms", (unsigned long long)(now - s->missed_ms));
		hung(s, why);
		return;
	}
	uint64_t pct;
	if (!s->starved_ms)
		s->starved_ms = s->missed_ms;
	struct stask *hog = hog_above(s, now, now - s->starved_ms >= BUSY_MS, &pct);
	s->unanswered = 0;
	if (!hog)
		return;
	s->starved_ms = 0;
	snprintf(why, sizeof why, "took %llu%% of the CPU, starving %s", (unsigned long long)pct, s->name);
	hung(hog, why);
}

/* Is one of the servers s may call not running (dead or backing off)? */
static int server_down(const struct stask *s)
{
	for (int svc = 1; svc < SVC_COUNT; svc++) {
		struct stask *server = server_of(svc);
		if ((s->desc->calls & (1u << svc)) && server && server != s && server->state != TASK_RUNNING)
			return 1;
	}
	return 0;
}

static void beat(struct stask *s, uint64_t now)
{
	struct thread_view v;
	s->next_beat_ms = now + s->desc->heartbeat_ms;
	if (!view(s, &v))
		return;
	s->mark_ticks[0] = s->mark_ticks[1];
	s->mark_calls[0] = s->mark_calls[1];
	s->mark_ms[0] = s->mark_ms[1];
	s->mark_ticks[1] = v.ticks;
	s->mark_calls[1] = v.calls;
	s->mark_ms[1] = now;
	if (v.state == TS_BLOCKED_REPLY || v.state == TS_BLOCKED_SEND) {
		s->unanswered = 0;   /* the server it waits on answers for itself */
		check_call(s, &v, now);
	} else {
		s->call_mark = ~0ULL;
		if (server_down(s))
			s->unanswered = 0;
	}
	if (s->unanswered >= 2) {
		unanswered(s, &v, now);
		if (s->state != TASK_RUNNING)
			return;
	}
	ntfn_signal(s->beat);
	if (!s->unanswered++) {
		s->missed_ms = now;   /* the beat it has not answered yet */
		s->missed_ticks = v.ticks;
	}
}

void heartbeat_tick(uint64_t now)
{
	for (unsigned i = 0; i < nstasks; i++) {
		struct stask *s = &stasks[i];
		if (s->state == TASK_RUNNING && s->beat && s->next_beat_ms <= now)
			beat(s, now);
	}
}

uint64_t heartbeat_next(void)
{
	uint64_t next = NEVER;
	for (unsigned i = 0; i < nstasks; i++)
		if (stasks[i].state == TASK_RUNNING && stasks[i].beat && stasks[i].next_beat_ms < next)
			next = stasks[i].next_beat_ms;
	return next;
}
