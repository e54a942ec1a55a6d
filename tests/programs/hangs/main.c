/* Answers the supervisor's heartbeats for a while, then loops forever
 * without them, as a driver stuck in a loop would: the supervisor must
 * notice within two heartbeat periods and kill it (`run hangs`). */
#include "task.h"
#include "../../../include/proto/supervisor.h"

#define ANSWERED 5

int main(uint64_t id)
{
	(void)id;
	for (unsigned n = 0; n < ANSWERED;) {
		struct sysret r = ntfn_wait(TSLOT_NOTIFICATION);
		if (r.err)
			return (int)r.err;
		if (r.badge & SUP_HEARTBEAT_BADGE) {
			heartbeat_answer();
			n++;
		}
	}
	for (volatile unsigned long spin = 0;; spin++)
		;
}
