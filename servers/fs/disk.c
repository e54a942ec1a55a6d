/* The block cache: CACHE_BLOCKS buffers of up to 4 KiB in one DMA
 * region, so the block driver reads and writes them in place. Least
 * recently used buffers are reused; dirty ones are written back then,
 * and all of them on sync. */
#include "fs.h"
#include "task.h"
#include "../../include/proto/mm.h"

#define CACHE_BLOCKS 64
#define BUF 4096

static cptr_t blk;
static uint8_t *cache;
static uint64_t cache_pa, capacity_sectors, clock;
static int read_only;
static uint32_t bs = 1024;
static struct { uint32_t block; int valid, dirty; uint64_t used; } ent[CACHE_BLOCKS];

enum err disk_init(uint64_t blk_cap)
{
	uint64_t r[MSG_MAX_WORDS];
	unsigned n = 0;
	blk = blk_cap;
	enum err e = invoke(blk, BLK_INFO, 0, 0, r, &n);
	if (e)
		return e;
	if (n < 2)
		return E_IO;
	capacity_sectors = r[0];
	read_only = (r[1] & BLK_READ_ONLY) != 0;
	if ((e = invoke(task.mm, MM_DMA_ALLOC, 1, (uint64_t[]){ CACHE_BLOCKS * BUF / 4096 }, r, &n)))
		return e;
	cache = (uint8_t *)r[0];
	cache_pa = r[1];
	return E_OK;
}

uint64_t disk_bytes(void) { return capacity_sectors * BLK_SECTOR; }
int disk_read_only(void) { return read_only; }
void disk_set_block_size(uint32_t b) { bs = b; }

static uint64_t io_stats[4];   /* bytes read, ticks reading, bytes written, ticks writing */

void disk_stats(uint64_t out[4]) { memcpy(out, io_stats, sizeof io_stats); }

static enum err transfer(uint64_t label, int i, uint32_t block)
{
	uint64_t sector = (uint64_t)block * (bs / BLK_SECTOR), t0 = rdtime();
	enum err e;
	if (sector + bs / BLK_SECTOR > capacity_sectors)
		return E_CORRUPT;   /* a block number past the end of the disk */
	while ((e = INVOKE(blk, label, sector, bs / BLK_SECTOR, cache_pa + (uint64_t)i * BUF)) == E_IN_USE)
		sys_yield();   /* the driver's queue is full */
	uint64_t *s = &io_stats[label == BLK_WRITE ? 2 : 0];
	s[0] += bs;
	s[1] += rdtime() - t0;
	return e;
}

static enum err write_back(int i)
{
	if (!ent[i].dirty)
		return E_OK;
	enum err e = transfer(BLK_WRITE, i, ent[i].block);
	if (!e)
		ent[i].dirty = 0;
	return e;
}

/* The buffer for block (not read from the disk if `fill` is 0). */
static int slot_for(uint32_t block, int fill, enum err *e)
{
	int victim = -1;
	*e = E_OK;
	for (int i = 0; i < CACHE_BLOCKS; i++)
		if (ent[i].valid && ent[i].block == block) {
			ent[i].used = ++clock;
			return i;
		}
	for (int i = 0; i < CACHE_BLOCKS && victim < 0; i++)
		if (!ent[i].valid)
			victim = i;
	if (victim < 0) {   /* all taken: the least recently used goes */
		victim = 0;
		for (int i = 1; i < CACHE_BLOCKS; i++)
			if (ent[i].used < ent[victim].used)
				victim = i;
		if ((*e = write_back(victim)))
			return -1;
		ent[victim].valid = 0;
	}
	if (fill && (*e = transfer(BLK_READ, victim, block)))
		return -1;
	ent[victim].block = block;
	ent[victim].valid = 1;
	ent[victim].dirty = 0;
	ent[victim].used = ++clock;
	return victim;
}

uint8_t *bread(uint32_t block, enum err *e)
{
	int i = slot_for(block, 1, e);
	return i < 0 ? NULL : cache + (uint64_t)i * BUF;
}

void bdirty(uint32_t block)
{
	for (int i = 0; i < CACHE_BLOCKS; i++)
		if (ent[i].valid && ent[i].block == block)
			ent[i].dirty = 1;
}

enum err bzero_new(uint32_t block)
{
	enum err e;
	int i = slot_for(block, 0, &e);
	if (i < 0)
		return e;
	memset(cache + (uint64_t)i * BUF, 0, bs);
	ent[i].dirty = 1;
	return E_OK;
}

enum err disk_read_raw(uint64_t offset, void *buf, uint32_t len)
{
	/* through the first cache buffer, before the block size is known */
	uint32_t saved = bs;
	enum err e;
	bs = 1024;
	int i = slot_for((uint32_t)(offset / 1024), 1, &e);
	bs = saved;
	if (i < 0)
		return e;
	memcpy(buf, cache + (uint64_t)i * BUF + offset % 1024, len);
	ent[i].valid = 0;   /* cached with the wrong block size: forget it */
	return E_OK;
}

enum err disk_sync(void)
{
	enum err first = E_OK;
	for (int i = 0; i < CACHE_BLOCKS; i++) {
		enum err e = write_back(i);
		if (e && !first)
			first = e;
	}
	enum err e = INVOKE0(blk, BLK_FLUSH);
	return first ? first : e;
}
