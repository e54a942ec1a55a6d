/* The block cache: CACHE_BLOCKS buffers of up to 4 KiB in one DMA
 * region, so the block driver reads and writes them in place. Least
 * recently used buffers are reused; dirty ones are written back then,
 * and all of them on sync.
 *
 * Below the cache, blk_call() is the one place a request goes to the
 * driver, and it does not believe the driver: whole-block reads and writes
 * are idempotent, so a request the driver died holding (E_OBJECT_DELETED,
 * E_RESTARTED) is asked again of the next instance, up to MAX_RESTARTS
 * times, and one the device failed (E_IO) up to MAX_IO_RETRIES times
 * (MINIX's libbdev keeps the same bounds). A reply that cannot be right
 * (words where none belong, an error the block protocol does not give for
 * a request we checked) is a driver failure: it
 * is reported to the supervisor (SUP_REPORT), which restarts the driver,
 * and the request is asked again. The fs calls the driver synchronously,
 * so one request is outstanding at a time: `pending` counts what it has
 * survived. While the
 * driver is dead or waiting out a back-off, the call simply waits: its
 * endpoint is the supervisor's and outlives every instance. */
#include <stdio.h>
#include "fs.h"
#include "task.h"
#include "../../include/proto/mm.h"
#include "../../include/proto/supervisor.h"

#define MAX_RESTARTS 10    /* driver deaths or bad replies one request survives */
#define MAX_IO_RETRIES 5   /* device errors one request survives */
#define CACHE_BLOCKS 64
#define BUF 4096

static cptr_t blk;
static uint8_t *cache;
static uint64_t cache_pa, capacity_sectors, clock;
static int read_only;
static uint32_t bs = 1024;
static struct { uint32_t block; int valid, dirty; uint64_t used; } ent[CACHE_BLOCKS];

/* What the request in hand has survived. */
static struct {
	int restarts, io_retries, timeouts;
	uint64_t failed_at;   /* rdtime() of the first driver failure, 0 if none */
} pending;

/* A reply the block protocol cannot give to a request we checked. */
static int reply_impossible(enum err e, unsigned words)
{
	if (words != 0)
		return 1;
	return !(e == E_OK || e == E_IO || e == E_TIMEOUT || e == E_IN_USE || e == E_NOT_FOUND ||
		 (e == E_NO_RIGHTS && read_only));
}

static void report_driver(enum err seen)
{
	uint64_t res[MSG_MAX_WORDS];
	unsigned n;
	invoke(task.supervisor, SUP_REPORT, 2, (uint64_t[]){ SVC_BLK, seen }, res, &n);
}

/* One more driver failure for the pending request: 1 to ask again. */
static int driver_failed(void)
{
	if (!pending.failed_at)
		pending.failed_at = rdtime() | 1;
	return ++pending.restarts <= MAX_RESTARTS;
}

static void recovered(void)
{
	uint64_t ms = (rdtime() - pending.failed_at) * 1000 / libsys_timebase_hz, res[MSG_MAX_WORDS];
	unsigned n = 0;
	if (invoke(task.supervisor, SUP_GENERATION, 1, (uint64_t[]){ SVC_BLK }, res, &n) != E_OK || n < 1)
		res[0] = 0;   /* unknown */
	printf("fs: virtio-blk back after %llu ms (%d restarts for one request; generation %llu)\n",
	       (unsigned long long)ms, pending.restarts, (unsigned long long)res[0]);
}

/* What one answer from the driver means: E_OK and errors end the request,
 * E_RESTARTED says ask again. */
static enum err judge(enum err e, unsigned words)
{
	switch (words ? E_INVALID_ARGUMENT : e) {
	case E_OBJECT_DELETED:   /* the instance died holding it */
	case E_RESTARTED:
		return driver_failed() ? E_RESTARTED : E_IO;
	case E_DOWN:
		return E_DOWN;
	case E_TIMEOUT:
		/* The driver reset the device and it still did not answer: the
		 * driver itself may be what is broken (a fault can leave it
		 * serving heartbeats but not the queue). A new instance starts
		 * from nothing, the device included; once per request, as a
		 * device that is truly stuck is no driver's fault. */
		if (pending.timeouts++)
			return E_TIMEOUT;
		report_driver(E_TIMEOUT);
		return driver_failed() ? E_RESTARTED : E_TIMEOUT;
	case E_IO:
		return ++pending.io_retries <= MAX_IO_RETRIES ? E_RESTARTED : E_IO;
	case E_IN_USE:   /* other clients hold every slot and waiting place: theirs to retry */
		return E_IN_USE;
	case E_NOT_FOUND:        /* the device is gone: a reset failed */
		return E_IO;
	default:
		if (!reply_impossible(e, words))
			return e;
		report_driver(words ? E_INVALID_ARGUMENT : e);
		return driver_failed() ? E_RESTARTED : E_IO;
	}
}

/* A read, write or flush of the driver, asked again until it is answered
 * for good or has used up its retries. */
static enum err blk_call(uint64_t label, uint64_t sector, uint64_t count, uint64_t pa)
{
	pending.restarts = pending.io_retries = pending.timeouts = 0;
	pending.failed_at = 0;
	enum err e;
	do {
		uint64_t res[MSG_MAX_WORDS];
		unsigned n = 0;
		e = judge(invoke(blk, label, label == BLK_FLUSH ? 0 : 3, (uint64_t[]){ sector, count, pa }, res, &n), n);
	} while (e == E_RESTARTED);
	if (e == E_OK && pending.failed_at)
		recovered();
	if (e == E_TIMEOUT)
		printf("fs: virtio-blk: sector %llu: no answer, even after a device reset and a new driver\n",
		       (unsigned long long)sector);
	return e;
}

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
	e = blk_call(label, sector, bs / BLK_SECTOR, cache_pa + (uint64_t)i * BUF);
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

/* A block that failed the file system's checks may have been read wrong
 * (a faulty driver can hand back the wrong bytes and E_OK): what is clean
 * is dropped, so the next use reads it from the disk again. */
unsigned disk_forget_clean(void)
{
	unsigned n = 0;
	for (int i = 0; i < CACHE_BLOCKS; i++)
		if (ent[i].valid && !ent[i].dirty) {
			ent[i].valid = 0;
			n++;
		}
	return n;
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
	enum err e = blk_call(BLK_FLUSH, 0, 0, 0);
	return first ? first : e;
}
