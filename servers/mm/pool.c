/* The untyped pool: RAM untyped from the boot info, cut into power-of-two
 * untyped regions, one per task (its quota). A killed task's region is
 * emptied and kept for the next task of the same size. */
#include "mm.h"

#define MAX_POOL 64
#define MAX_SPARE 32

static struct { cptr_t slot; unsigned bits; uint64_t used; } pool[MAX_POOL];
static unsigned npool;
static struct { cptr_t slot; unsigned bits; } spare[MAX_SPARE];
static unsigned nspare;

void pool_init(void)
{
	for (cptr_t s = bi->untyped.start; s < bi->untyped.end && npool < MAX_POOL; s++) {
		const struct untyped_desc *u = &bi->untyped_list[s - bi->untyped.start];
		if (!u->is_device)
			pool[npool++] = (typeof(pool[0])){ s, u->size_bits, 0 };
	}
}

enum err pool_untyped(unsigned bits, cptr_t dest)
{
	for (unsigned i = 0; i < nspare; i++) {
		if (spare[i].bits == bits) {
			enum err e = cnode_move(SLOT_CNODE, dest, SLOT_CNODE, spare[i].slot);
			if (e)
				return e;
			mm_slot_free(spare[i].slot);
			spare[i] = spare[--nspare];
			return E_OK;
		}
	}
	/* smallest region it fits in, to keep big ones whole */
	int best = -1;
	for (unsigned i = 0; i < npool; i++) {
		uint64_t start = (pool[i].used + (1ULL << bits) - 1) & ~((1ULL << bits) - 1);
		if (bits <= pool[i].bits && start + (1ULL << bits) <= (1ULL << pool[i].bits) &&
		    (best < 0 || pool[i].bits < pool[best].bits))
			best = (int)i;
	}
	if (best < 0)
		return E_NOT_ENOUGH_MEMORY;
	enum err e = untyped_retype(pool[best].slot, OBJ_UNTYPED, bits, SLOT_CNODE, dest, 1);
	if (e)
		return e;
	uint64_t start = (pool[best].used + (1ULL << bits) - 1) & ~((1ULL << bits) - 1);
	pool[best].used = start + (1ULL << bits);
	return E_OK;
}

void pool_give_back(cptr_t ut, unsigned bits)
{
	cnode_revoke(SLOT_CNODE, ut);
	if (nspare < MAX_SPARE) {
		spare[nspare].slot = ut;
		spare[nspare].bits = bits;
		nspare++;
	}
}

uint64_t pool_free_pages(void)
{
	uint64_t free = 0;
	for (unsigned i = 0; i < npool; i++)
		free += ((1ULL << pool[i].bits) - pool[i].used) / PAGE;
	for (unsigned i = 0; i < nspare; i++)
		free += (1ULL << spare[i].bits) / PAGE;
	return free;
}

uint64_t pool_total_pages(void)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < npool; i++)
		total += (1ULL << pool[i].bits) / PAGE;
	return total;
}
