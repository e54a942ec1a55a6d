/* Reports the hello server's reply as bad (`run reporter`), after trying
 * to report the file server, which it may not call: exits with E_OK if
 * the first report was refused (E_NO_RIGHTS) and the second taken, else
 * with the error that was wrong. */
#include "task.h"
#include "sysdesc.h"
#include "../../../include/proto/supervisor.h"

int main(uint64_t id)
{
	(void)id;
	enum err e = INVOKE(task.supervisor, SUP_REPORT, SVC_FS, E_INVALID_ARGUMENT);
	if (e != E_NO_RIGHTS)
		return e ? (int)e : (int)E_ILLEGAL_OPERATION;
	return (int)INVOKE(task.supervisor, SUP_REPORT, SVC_HELLO, E_INVALID_ARGUMENT);
}
