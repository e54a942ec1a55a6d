/* One call to the hello server (`run pinger`): exits with the error the
 * call returned, or E_INVALID_ARGUMENT for a wrong answer. It shows what
 * a client of a restarting or dead server sees: a call made while the
 * server waits out its back-off completes (E_OK) once the next instance
 * runs; one made to a server left dead gets E_DOWN. */
#include "task.h"
#include "sysdesc.h"

#define HELLO_PING 1

int main(uint64_t id)
{
	(void)id;
	uint64_t r[MSG_MAX_WORDS];
	unsigned n = 0;
	enum err e = invoke(TSLOT_SVC(SVC_HELLO), HELLO_PING, 1, (uint64_t[]){ 41 }, r, &n);
	if (!e && (n < 1 || r[0] != 42))
		e = E_INVALID_ARGUMENT;
	return (int)e;
}
