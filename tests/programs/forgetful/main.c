/* A server that loses requests: it takes a FORGET_LOSE call, keeps the
 * reply cap and never answers, while it goes on answering its heartbeats
 * and other calls. Described with `reply_within`, it must be called hung
 * when its caller has waited that long (`run asker`). */
#include "task.h"
#include "../../../include/proto/supervisor.h"

#define FORGET_LOSE 1

int main(uint64_t id)
{
	(void)id;
	cptr_t kept = slot_alloc();
	for (;;) {
		struct sysret r = sys_recv(TSLOT_SERVICE);
		if (MSGINFO_LABEL(r.info) == LABEL_NOTIFICATION) {
			if (r.badge & SUP_HEARTBEAT_BADGE)
				heartbeat_answer();
			continue;
		}
		if (MSGINFO_LABEL(r.info) == FORGET_LOSE && kept && INVOKE(TSLOT_CNODE, CNODE_SAVE_CALLER, kept) == E_OK)
			continue;   /* lost: kept, never answered */
		sys_reply(MSGINFO(E_OK, 0, 0), 0, 0, 0, 0);
	}
}
