/* Asks mm for a DMA buffer without `dma = yes` in the description:
 * exits with mm's answer (E_NO_RIGHTS expected). */
#include "task.h"
#include "../../../include/proto/mm.h"

int main(uint64_t id)
{
	(void)id;
	return (int)INVOKE(task.mm, MM_DMA_ALLOC, 1);
}
