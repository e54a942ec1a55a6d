/* The block cache: CLUSTERS clusters of 64 KiB of DMA memory, so the
 * block driver reads and writes them in place. A cluster holds a run of
 * consecutive disk blocks (aligned to its size), each valid or not, dirty
 * or not, so one request moves many blocks: misses in sequence read ahead
 * (the blocks of a file lie mostly one after another), and write-back
 * writes each run of dirty blocks at once (clustered write-back). The least
 * recently used cluster is reused; its dirty blocks are written back then,
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
#define CLUSTER (64u << 10)   /* bytes: BLK_MAX_SECTORS, one request */
#define CLUSTERS DISK_CACHE_CLUSTERS   /* 512 KiB */
#define ALLOC_PAGES 64        /* the most one MM_DMA_ALLOC gives, contiguous */
#define PER_ALLOC (int)(ALLOC_PAGES * 4096 / CLUSTER)

static cptr_t blk;
static uint64_t capacity_sectors, clock;
static int read_only;
static uint32_t bs = 1024;
static struct cluster {
	uint32_t first;         /* its first block, a multiple of per_cluster() */
	uint64_t valid, dirty;  /* a bit for each of its blocks */
	uint64_t meta;          /* of the dirty ones, those the journal must log */
	uint64_t used;          /* 0: the cluster holds nothing */
	uint8_t *mem;
	uint64_t pa;
} cl[CLUSTERS];

/* The journal's own DMA buffer: what it logs is copied there, so writing
 * the log never takes a cluster of the cache. */
static uint8_t *log_mem;
static uint64_t log_pa;

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
 * for good or has used up its retries. Every block request starts here,
 * kept out of line so that the crash tests can stop the server at its Nth
 * (tests/journal_suite.py, with a breakpoint). */
static __attribute__((noinline)) enum err blk_call(uint64_t label, uint64_t sector, uint64_t count, uint64_t pa)
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
	for (int c = 0; c < CLUSTERS; c += PER_ALLOC) {
		if ((e = invoke(task.mm, MM_DMA_ALLOC, 1, (uint64_t[]){ ALLOC_PAGES }, r, &n)))
			return e;
		for (int k = 0; k < PER_ALLOC; k++) {
			cl[c + k].mem = (uint8_t *)r[0] + (uint64_t)k * CLUSTER;
			cl[c + k].pa = r[1] + (uint64_t)k * CLUSTER;
		}
	}
	if ((e = invoke(task.mm, MM_DMA_ALLOC, 1, (uint64_t[]){ DISK_LOG_BYTES / 4096 }, r, &n)))
		return e;
	log_mem = (uint8_t *)r[0];
	log_pa = r[1];
	return E_OK;
}

uint64_t disk_bytes(void) { return capacity_sectors * BLK_SECTOR; }
int disk_read_only(void) { return read_only; }
void disk_set_block_size(uint32_t b) { bs = b; }

/* bytes read, ticks reading, bytes written, ticks writing, flushes, ticks flushing */
static uint64_t io_stats[6];

void disk_stats(uint64_t out[6]) { memcpy(out, io_stats, sizeof io_stats); }

static uint32_t per_cluster(void) { return CLUSTER / bs; }
static uint64_t disk_blocks(void) { return capacity_sectors / (bs / BLK_SECTOR); }
static uint64_t bits(uint32_t i, uint32_t j) { return (j - i == 64 ? ~0ULL : (1ULL << (j - i)) - 1) << i; }
static int has(uint64_t mask, uint32_t i) { return (mask >> i) & 1; }

/* One request for n blocks from `block` on, at DMA address pa. */
static enum err io(uint64_t label, uint32_t block, uint32_t n, uint64_t pa)
{
	uint64_t t0 = rdtime();
	if ((uint64_t)block + n > disk_blocks())
		return E_CORRUPT;   /* a block number past the end of the disk */
	enum err e = blk_call(label, (uint64_t)block * (bs / BLK_SECTOR), (uint64_t)n * (bs / BLK_SECTOR), pa);
	uint64_t *st = &io_stats[label == BLK_WRITE ? 2 : 0];
	st[0] += (uint64_t)n * bs;
	st[1] += rdtime() - t0;
	return e;
}

/* n blocks of cluster c from its block i on. */
static enum err transfer(uint64_t label, struct cluster *c, uint32_t i, uint32_t n)
{
	return io(label, c->first + i, n, c->pa + (uint64_t)i * bs);
}

/* Each run of the dirty blocks in `which` in one request. */
static enum err write_some(struct cluster *c, uint64_t which)
{
	which &= c->dirty;
	for (uint32_t i = 0, j; i < per_cluster(); i = j) {
		j = i + 1;
		if (!has(which, i))
			continue;
		while (j < per_cluster() && has(which, j))
			j++;
		enum err e = transfer(BLK_WRITE, c, i, j - i);
		if (e)
			return e;
		c->dirty &= ~bits(i, j);
		c->meta &= ~bits(i, j);
	}
	return E_OK;
}

static enum err write_back(struct cluster *c) { return write_some(c, ~0ULL); }

/* Metadata waiting for the journal: not to be written home before. */
static int holds_log(const struct cluster *c) { return journal_active() && (c->dirty & c->meta); }

/* A block that failed the file system's checks may have been read wrong
 * (a faulty driver can hand back the wrong bytes and E_OK): what is clean
 * is dropped, so the next use reads it from the disk again. */
unsigned disk_forget_clean(void)
{
	unsigned n = 0;
	for (int k = 0; k < CLUSTERS; k++) {
		n += (unsigned)__builtin_popcountll(cl[k].valid & ~cl[k].dirty);
		cl[k].valid = cl[k].dirty;
	}
	return n;
}

/* A cluster to fill: one that holds nothing, else the least recently
 * used of those holding no metadata the journal has yet to log, written
 * back first. Only if every cluster holds some is a transaction
 * committed here, in the middle of an operation. */
static struct cluster *take(enum err *e)
{
	struct cluster *v = NULL;
	for (int k = 0; k < CLUSTERS && !(v && !v->used); k++)
		if (!holds_log(&cl[k]) && (!v || cl[k].used < v->used))
			v = &cl[k];
	if (!v) {
		if ((*e = journal_commit()))
			return NULL;
		return take(e);
	}
	if ((*e = write_back(v)))
		return NULL;
	v->valid = v->dirty = v->meta = v->used = 0;
	return v;
}

/* The cluster that holds block's stretch of the disk, or NULL. */
static struct cluster *find(uint32_t block)
{
	uint32_t first = block - block % per_cluster();
	for (int k = 0; k < CLUSTERS; k++)
		if (cl[k].used && cl[k].first == first)
			return &cl[k];
	return NULL;
}

/* The cluster for block, found or taken (its blocks not read). */
static struct cluster *cluster_for(uint32_t block, enum err *e)
{
	uint32_t first = block - block % per_cluster();
	struct cluster *c = find(block);
	*e = E_OK;
	if (!c && (c = take(e)))
		c->first = first;
	if (c)
		c->used = ++clock;
	return c;
}

/* Where the last read from the disk ended, and how many blocks it wanted. */
static uint32_t ra_next, ra_window = 1;

/* Block i of c from the disk, with read-ahead: a miss right after the last
 * read wants twice as many blocks as it did (up to a cluster), any other
 * miss one, as Linux ramps its window up; the run stops at a block cached
 * already, the cluster's end or the disk's. A slow disk thus gets long
 * requests only for what is read in sequence. If the device fails a run,
 * block i alone is asked for: one bad block must not fail its neighbours. */
static enum err fill(struct cluster *c, uint32_t i)
{
	uint32_t want = c->first + i == ra_next ? 2 * ra_window : 1, j = i + 1;
	if (want > per_cluster())
		want = per_cluster();
	while (j < per_cluster() && j - i < want && !has(c->valid, j) && c->first + j < disk_blocks())
		j++;
	enum err e = transfer(BLK_READ, c, i, j - i);
	if (e == E_IO && j > i + 1)
		e = transfer(BLK_READ, c, i, j = i + 1);
	if (e)
		return e;
	c->valid |= bits(i, j);
	ra_next = c->first + j;
	ra_window = want;
	return E_OK;
}

uint8_t *bread(uint32_t block, enum err *e)
{
	struct cluster *c = cluster_for(block, e);
	uint32_t i = c ? block - c->first : 0;
	if (!c || (!has(c->valid, i) && (*e = fill(c, i))))
		return NULL;
	return c->mem + (uint64_t)i * bs;
}

/* Something changed since the last sync: on a disk without a journal the
 * superblock says so at once (ext2_dirtied), before any change is home. */
static int changed;

static void dirtied(void)
{
	if (!changed && !journal_active()) {
		changed = 1;
		ext2_dirtied();
	}
}

void bdirty(uint32_t block)
{
	struct cluster *c = find(block);
	dirtied();
	if (c && has(c->valid, block - c->first)) {
		c->dirty |= 1ULL << (block - c->first);
		c->meta |= 1ULL << (block - c->first);
	}
}

void bdirty_data(uint32_t block)
{
	struct cluster *c = find(block);
	dirtied();
	if (c && has(c->valid, block - c->first))
		c->dirty |= 1ULL << (block - c->first);
}

enum err bzero_new(uint32_t block)
{
	enum err e;
	struct cluster *c = cluster_for(block, &e);
	if (!c)
		return e;
	uint32_t i = block - c->first;
	dirtied();
	memset(c->mem + (uint64_t)i * bs, 0, bs);
	c->valid |= 1ULL << i;
	c->dirty |= 1ULL << i;
	return E_OK;
}

/* Bytes at any offset (the superblock, before the block size is known),
 * through a cluster left holding nothing. */
enum err disk_read_raw(uint64_t offset, void *buf, uint32_t len)
{
	uint64_t sector = offset / BLK_SECTOR, skip = offset % BLK_SECTOR;
	uint64_t count = (skip + len + BLK_SECTOR - 1) / BLK_SECTOR;
	enum err e;
	if (!len || count > CLUSTER / BLK_SECTOR || sector + count > capacity_sectors)
		return E_RANGE;
	struct cluster *c = take(&e);
	if (!c)
		return e;
	if (!(e = blk_call(BLK_READ, sector, count, c->pa)))
		memcpy(buf, c->mem + skip, len);
	return e;
}

enum err disk_flush(void)
{
	uint64_t t0 = rdtime();
	enum err e = blk_call(BLK_FLUSH, 0, 0, 0);
	io_stats[4]++;
	io_stats[5] += rdtime() - t0;
	return e;
}

/* Every dirty block (meta: 1 the metadata, 0 the rest) to its home. */
static enum err write_all(int meta)
{
	enum err first = E_OK;
	for (int k = 0; k < CLUSTERS; k++) {
		enum err e = write_some(&cl[k], meta ? cl[k].meta : ~cl[k].meta);
		if (e && !first)
			first = e;
	}
	return first;
}

enum err disk_write_home(uint32_t block)
{
	struct cluster *c = find(block);
	uint32_t i = c ? block - c->first : 0;
	if (!c || !has(c->valid, i))
		return E_OK;
	enum err e = transfer(BLK_WRITE, c, i, 1);
	if (!e) {
		c->dirty &= ~(1ULL << i);
		c->meta &= ~(1ULL << i);
	}
	return e;
}

enum err disk_write_data(void) { return write_all(0); }
enum err disk_write_meta(void) { return write_all(1); }

enum err disk_sync(void)
{
	if (journal_active())
		return journal_commit();
	enum err e = write_all(0), m = write_all(1), f = disk_flush();
	if (e || m || f)
		return e ? e : m ? m : f;
	/* all home and flushed: clean again (not flushed itself: a clean mark
	 * lost to a power cut only makes the next mount careful) */
	changed = 0;
	return ext2_synced();
}

unsigned disk_meta_dirty(uint32_t *blocks, unsigned max)
{
	unsigned n = 0;
	for (int k = 0; k < CLUSTERS; k++)
		for (uint32_t i = 0; i < per_cluster(); i++)
			if (has(cl[k].dirty & cl[k].meta, i) && n < max)
				blocks[n++] = cl[k].first + i;
	return n;
}

/* Clusters holding metadata the journal has yet to log. */
unsigned disk_meta_clusters(void)
{
	unsigned n = 0;
	for (int k = 0; k < CLUSTERS; k++)
		n += (cl[k].dirty & cl[k].meta) != 0;
	return n;
}

const uint8_t *disk_cached(uint32_t block)
{
	struct cluster *c = find(block);
	return c && has(c->valid, block - c->first) ? c->mem + (uint64_t)(block - c->first) * bs : NULL;
}

uint8_t *disk_log_buffer(void) { return log_mem; }

enum err disk_log_io(uint64_t label, uint32_t block, uint32_t n, uint32_t at)
{
	if ((uint64_t)(at + n) * bs > DISK_LOG_BYTES)
		return E_RANGE;
	return io(label, block, n, log_pa + (uint64_t)at * bs);
}
