/* Uses about 20 KiB of stack: mm maps the pages as the stack grows.
 * Exits 0 if the arithmetic through the deep frames came out right. */
#include "task.h"

static int depth(int n)
{
	volatile char frame[1024];
	frame[0] = (char)n;
	frame[1023] = 1;
	return n ? depth(n - 1) + frame[0] + frame[1023] - 1 : 0;
}

int main(uint64_t id)
{
	(void)id;
	return depth(20) == 210 ? 0 : 1;
}
