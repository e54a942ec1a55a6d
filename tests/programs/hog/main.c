/* Takes memory until mm refuses; exits with the error mm gave. */
#include <stdlib.h>
#include <string.h>
#include "task.h"
#include "../../../include/proto/mm.h"

int main(uint64_t id)
{
	(void)id;
	uint64_t r[MSG_MAX_WORDS];
	unsigned n;
	/* touch what we get, so mm really maps it */
	for (int i = 0; i < 100000; i++) {
		enum err e = invoke(task.mm, MM_SBRK, 1, (uint64_t[]){ 64 * 1024 }, r, &n);
		if (e)
			return (int)e;
		memset((void *)r[0], 0xa5, 64 * 1024);
	}
	return 0;
}
