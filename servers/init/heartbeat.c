/* Hang detection (after MINIX's reincarnation server): a task described
 * with `heartbeat = MS` gets SUP_HEARTBEAT_BADGE signalled on its
 * notification every MS and answers SUP_ALIVE (libsys heartbeat_answer).
 * A beat left unanswered for two periods (two more beats sent meanwhile,
 * neither answered) and it is hung: killed and handed to the restart
 * policy. A new instance has
 * GRACE_MS more for its first answer. Missed beats are counted, not
 * elapsed time, so a pause of the whole machine is no hang. A task blocked
 * in a call (waiting for a server to take it or to reply: a slow disk
 * under the file server) is not blamed: the server it waits on answers for
 * itself, by its own heartbeats; nor is one whose server is down or
 * restarting, nor one below a task that has not answered either (that one
 * may be spinning above it, and is caught first). (So a cycle of tasks calling each other is not seen as a
 * hang: the protocols of the system have none.) */
#include "init.h"

#define GRACE_MS 500

void heartbeat_start(struct stask *s)
{
	uint64_t now = now_ms();
	s->unanswered = 0;
	s->answered_ms = now;
	s->next_beat_ms = s->desc && s->desc->heartbeat_ms ? now + GRACE_MS + s->desc->heartbeat_ms : NEVER;
}

void heartbeat_alive(struct stask *s)
{
	s->unanswered = 0;
	s->answered_ms = now_ms();
}

/* Is s waiting on another task: blocked in a call, starved by a task
 * above it, or one of the servers it may call not running? */
static int waits_on_others(const struct stask *s)
{
	uint64_t st[MSG_MAX_WORDS];
	unsigned n = 0;
	if (invoke(s->tcb, TCB_GET_STATE, 0, 0, st, &n) == E_OK && n >= 1 &&
	    (st[0] == TS_BLOCKED_REPLY || st[0] == TS_BLOCKED_SEND))
		return 1;
	/* a task above it that has not answered lately (in its grace period
	 * too) may be spinning, and s cannot run */
	uint64_t now = now_ms();
	for (unsigned i = 0; i < nstasks; i++) {
		const struct stask *t = &stasks[i];
		if (t->state == TASK_RUNNING && t->beat && t->prio > s->prio &&
		    (t->unanswered || now - t->answered_ms > 2 * t->desc->heartbeat_ms))
			return 1;
	}
	for (int svc = 1; svc < SVC_COUNT; svc++) {
		struct stask *server = server_of(svc);
		if ((s->desc->calls & (1u << svc)) && server && server != s && server->state != TASK_RUNNING)
			return 1;
	}
	return 0;
}

static void hung(struct stask *s, uint64_t now)
{
	printf("init: task %s hung: no heartbeat for %llu ms\n", s->name, (unsigned long long)(now - s->missed_ms));
	end_task(s, TASK_KILLED, 0);
	task_failed(s, FAIL_HANG);
}

static void beat(struct stask *s, uint64_t now)
{
	if (waits_on_others(s))
		s->unanswered = 0;
	if (s->unanswered >= 2) {
		hung(s, now);
		return;
	}
	ntfn_signal(s->beat);
	if (!s->unanswered++)
		s->missed_ms = now;   /* the beat it has not answered yet */
	s->next_beat_ms = now + s->desc->heartbeat_ms;
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
