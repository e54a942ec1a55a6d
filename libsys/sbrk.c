/* The heap for picolibc's malloc. A task asks mm, which enforces its
 * quota and maps the pages when first touched. A root task (mm itself)
 * that wants a heap defines root_heap[] and root_heap_size; in every
 * other program they are absent (weak, so address 0). */
#include <errno.h>
#include <stddef.h>
#include "task.h"
#include "../include/proto/mm.h"

extern uint8_t root_heap[] __attribute__((weak));
extern const uint64_t root_heap_size __attribute__((weak));
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
	if (!root_heap || incr < 0 || (uint64_t)incr > root_heap_size - static_used) {
		errno = ENOMEM;
		return (void *)-1;
	}
	void *p = root_heap + static_used;
	static_used += (uint64_t)incr;
	return p;
}
