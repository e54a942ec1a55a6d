/* Spins above the file server while still answering its own heartbeats,
 * as a driver looping around its receive would (`run starver`): the
 * supervisor must blame it for the beats the starved file server misses,
 * not the file server. */
#include "task.h"
#include "../../../include/proto/supervisor.h"

int main(uint64_t id)
{
	(void)id;
	for (;;) {
		struct sysret r = ntfn_poll(TSLOT_NOTIFICATION);
		if (!r.err && (r.badge & SUP_HEARTBEAT_BADGE))
			heartbeat_answer();
	}
}
