/* The hostile build (meson -Dhostile_blk=true, for tests/recovery_suite.py):
 * every instance answers its sixth read or write with a reply the block
 * protocol cannot give, without touching the device, so that the tests can
 * show the file server does not believe it. Which reply depends on the
 * block asked for (1 KiB blocks: sector / 2), so a long read meets all
 * four. The normal build has none of this. */
#include "task.h"
#include "hostile.h"

#ifdef HOSTILE_BLK
#define HOSTILE_AT 6    /* the file server asks in runs of up to 64 KiB: a few a boot */

int hostile_reply(uint64_t sector, uint64_t *res, unsigned *nres, enum err *e)
{
	static unsigned served;
	if (++served != HOSTILE_AT)
		return 0;
	switch ((sector / 2) % 4) {
	case 0:   /* done, with words where none belong */
		res[0] = res[1] = 0x4242;
		*nres = 2;
		*e = E_OK;
		break;
	case 1:   /* an error the protocol gives only for ranges the client checked */
		*e = E_RANGE;
		break;
	case 2:   /* an error the block protocol never gives */
		*e = E_INVALID_CAPABILITY;
		break;
	default:  /* no error code at all */
		*e = (enum err)200;
		break;
	}
	return 1;
}
#else
int hostile_reply(uint64_t sector, uint64_t *res, unsigned *nres, enum err *e)
{
	(void)sector, (void)res, (void)nres, (void)e;
	return 0;
}
#endif
