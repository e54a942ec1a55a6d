/* An example server, the one docs/adding-a-server.md walks through: it
 * answers HELLO_PING with its argument plus one and counts the calls. */
#include "task.h"

#define HELLO_PING 1

int main(uint64_t id)
{
	uint64_t calls = 0;
	(void)id;
	struct sysret r = sys_recv(TSLOT_SERVICE);
	for (;;) {
		enum err e = MSGINFO_LABEL(r.info) == HELLO_PING ? E_OK : E_INVALID_ARGUMENT;
		calls += e == E_OK;
		r = sys_replyrecv(TSLOT_SERVICE, MSGINFO(e, 0, e ? 0 : 2), r.mr[0] + 1, calls, 0, 0);
	}
}
