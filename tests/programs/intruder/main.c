/* A program the description does not mention, trying to reach the UART:
 * through a console cap it was not given, the device, and the kernel's
 * console with any cap it holds.
 * Exits with the first error it meets (E_OK would mean it got through). */
#include "task.h"
#include "../../../include/proto/console.h"

int main(uint64_t id)
{
	(void)id;
	enum err e = INVOKE(TSLOT_SVC(SVC_CONSOLE), CONSOLE_WRITE, 1, 0x21);
	if (e == E_OK)
		return 0;
	/* no IRQ control, no device memory, no kernel console: these fail too */
	if (INVOKE(8, IRQ_CONTROL_GET, 10, TSLOT_CNODE, 100) == E_OK)
		return 0;
	for (cptr_t c = 0; c < 64; c++)
		if (sys_debug_write(c, "!", 1) == E_OK)
			return 0;
	return (int)e;
}
