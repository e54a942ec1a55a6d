/* Clients of a service nobody will serve again. A service's endpoint is
 * init's (build.c), so callers of a dead server simply wait for the next
 * instance. When there is none to come — the task is left dead after too
 * many failures (TASK_DOWN) or was killed by the user (TASK_KILLED) —
 * init takes the callers off the endpoint itself and answers each E_DOWN:
 * at once when the task is left dead, then at every wake-up, and at least
 * every DOWN_POLL_MS while any such service exists. */
#include "init.h"

static int left_dead(const struct stask *s)
{
	return s->desc && s->service && (s->state == TASK_DOWN || s->state == TASK_KILLED);
}

int down_any(void)
{
	for (unsigned i = 0; i < nstasks; i++)
		if (left_dead(&stasks[i]))
			return 1;
	return 0;
}

/* Answer every caller queued on s's endpoint. */
static void answer_callers(struct stask *s)
{
	__ipcbuf->recv_index = 0;   /* caps a caller sends are not taken */
	for (;;) {
		struct sysret r = sys_nbrecv(s->service);
		if (r.err)
			return;   /* E_WOULD_BLOCK: nobody left */
		if (MSGINFO_LABEL(r.info) == LABEL_NOTIFICATION)
			continue;   /* our own clock: the main loop re-arms it anyway */
		sys_reply(MSGINFO(E_DOWN, 0, 0), 0, 0, 0, 0);
	}
}

void down_answer(void)
{
	for (unsigned i = 0; i < nstasks; i++)
		if (left_dead(&stasks[i]))
			answer_callers(&stasks[i]);
}
