/* Spins forever and never asks for anything: what `run` of a buggy
 * program looks like. Only ^C (SUP_INTERRUPT) gives the shell back. */
#include "task.h"

int main(uint64_t id)
{
	(void)id;
	for (volatile unsigned long spin = 0;; spin++)
		;
}
