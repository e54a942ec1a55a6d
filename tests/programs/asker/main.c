/* A client with heartbeats of its own (`run asker`): one call that the
 * forgetful server loses, then one it answers. Exits with the error of the
 * first call (the server's death: E_OBJECT_DELETED) if the second worked. */
#include "task.h"
#include "sysdesc.h"

#define FORGET_LOSE 1
#define FORGET_ANSWER 2

int main(uint64_t id)
{
	(void)id;
	uint64_t r[MSG_MAX_WORDS];
	unsigned n = 0;
	enum err lost = invoke(TSLOT_SVC(SVC_FORGET), FORGET_LOSE, 0, 0, r, &n);
	enum err e = invoke(TSLOT_SVC(SVC_FORGET), FORGET_ANSWER, 0, 0, r, &n);
	return (int)(e ? e : lost);
}
