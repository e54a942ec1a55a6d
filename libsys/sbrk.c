/* The heap for picolibc's malloc. A task asks mm, which enforces its
 * quota and maps the pages when first touched; the root task (which is
 * mm itself, or a test task) has a fixed heap of its own. */
#include <errno.h>
#include <stddef.h>
#include "task.h"
#include "../include/proto/mm.h"

#define STATIC_HEAP (256 * 1024)
static uint8_t static_heap[STATIC_HEAP] __attribute__((aligned(16)));
static uint64_t static_used;

void *sbrk(ptrdiff_t incr)
{
	if (task.mm) {
		uint64_t r[1];
		unsigned n = 0;
		if (invoke(task.mm, MM_SBRK, 1, (uint64_t[]){ (uint64_t)incr }, r, &n) || n != 1) {
			errno = ENOMEM;
			return (void *)-1;
		}
		return (void *)r[0];
	}
	if (incr < 0 || (uint64_t)incr > STATIC_HEAP - static_used) {
		errno = ENOMEM;
		return (void *)-1;
	}
	void *p = static_heap + static_used;
	static_used += (uint64_t)incr;
	return p;
}
