/* The answer to the supervisor's heartbeat (SUP_HEARTBEAT_BADGE on our
 * notification): a server's receive loop calls this when the bit is set,
 * which shows the supervisor it still gets round to its loop. Sent, not
 * called: the supervisor never answers it. */
#include "task.h"
#include "../include/proto/supervisor.h"

void heartbeat_answer(void)
{
	if (task.supervisor)
		sys_send(task.supervisor, MSGINFO(SUP_ALIVE, 0, 0), 0, 0, 0, 0);
}
