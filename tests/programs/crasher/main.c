/* Dereferences null: the supervisor must report it and carry on. */
#include "task.h"

int main(uint64_t id)
{
	(void)id;
	return *(volatile int *)0;
}
