/* The shell's console input. A read that fails for any reason but ^C is
 * taken for the console server or its driver being restarted, never for
 * the end of input (the console has none): it is tried again a few times
 * with a growing pause between, then the error goes to the command, which
 * reports it and goes on. ^C reaches the shell two ways: a read waiting
 * at the time fails with E_INTERRUPTED; anything else (a sleep) learns it
 * from SUP_INTERRUPT_BADGE, which the supervisor signals on our
 * notification. */
#include "shell.h"
#include "../../include/proto/supervisor.h"

#define READ_TRIES 6          /* pauses of 10, 20, .. 320 ms: longer than a restart takes */
#define FIRST_PAUSE_MS 10


int64_t shell_read(int line, char *buf, uint64_t max)
{
	uint64_t pause = FIRST_PAUSE_MS;
	int64_t n = 0;
	for (int i = 0; i < READ_TRIES; i++) {
		n = line ? input_line(buf, max) : console_read(buf, max);
		if (n >= 0 || n == -(int64_t)E_INTERRUPTED)
			return n;
		sleep_ms(pause);
		pause *= 2;
	}
	return n;
}

/* Sleep ms; 1 if ^C ended it early. */
int sleep_interruptible(uint64_t ms, enum err *e)
{
	uint64_t end = rdtime() + ms * libsys_timebase_hz / 1000;
	*e = E_OK;
	if (!task.timer || !task.notification) {
		*e = E_INVALID_CAPABILITY;
		return 0;
	}
	ntfn_poll(task.notification);   /* a ^C from before this sleep is not for it */
	while (rdtime() < end) {
		if ((*e = INVOKE(task.timer, TIMER_SET, task.notification, end)))
			return 0;
		struct sysret r = ntfn_wait(task.notification);
		if ((*e = (enum err)r.err))
			return 0;
		if (r.badge & SUP_INTERRUPT_BADGE)
			return 1;
	}
	return 0;
}
