/* The journal: jbd2's on-disk format (what Linux's ext3 and e2fsprogs
 * write and replay), in ordered mode. Metadata changed since the last
 * commit stays in the cache (disk.c never writes it home on its own); a
 * commit writes the file data home first, then the metadata into the log
 * (descriptor blocks naming each block's home, then the copies), then a
 * commit block, flushing between, and only then the metadata home
 * (checkpoint) and an empty log. A crash at any point leaves either the
 * last transaction whole in the log, replayed at the next mount, or its
 * metadata home already: the disk is as some commit left it.
 *
 * One transaction is in the log at a time, so it never needs a revoke
 * record of ours; a block freed in a transaction may not be reused before
 * it commits (its old owner would get the new bytes if the free were
 * lost), so a request that frees blocks commits when it ends. Replay
 * follows jbd2's three passes over whatever the log holds (find the last
 * commit, gather revoked blocks, write the rest home), also for logs
 * Linux or debugfs wrote. Every value read from the log is checked; one
 * that cannot be right stops the replay there, as jbd2 does. */
#include <stdio.h>
#include "fs.h"

#define JBD2_MAGIC 0xC03B3998u
enum { JB_DESCRIPTOR = 1, JB_COMMIT = 2, JB_SB_V1 = 3, JB_SB_V2 = 4, JB_REVOKE = 5 };
#define TAG_ESCAPED 1
#define TAG_SAME_UUID 2
#define TAG_LAST 8
#define INCOMPAT_REVOKE 0x1
#define INCOMPAT_64BIT 0x2
#define INCOMPAT_ASYNC_COMMIT 0x4
#define INCOMPAT_KNOWN (INCOMPAT_REVOKE | INCOMPAT_64BIT | INCOMPAT_ASYNC_COMMIT)
#define MAX_EXTENTS 64
#define MAX_REVOKED 1024
#define MAX_LOGGED (DISK_CACHE_BYTES / 1024)

/* The journal superblock's fields, by byte offset (big-endian). */
enum { JS_BLOCKSIZE = 12, JS_MAXLEN = 16, JS_FIRST = 20, JS_SEQUENCE = 24, JS_START = 28,
       JS_INCOMPAT = 40, JS_UUID = 48 };

static struct {
	int active;                 /* metadata goes through the log */
	uint32_t maxlen, first, seq;
	uint32_t incompat;
	int freed;                  /* blocks freed since the last commit */
	struct { uint32_t logical, physical, count; } ext[MAX_EXTENTS];
	unsigned extents;
	uint8_t sb[1024];           /* the journal superblock's first KiB */
} j;

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static void put_be32(uint8_t *p, uint32_t v) { p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = (uint8_t)v; }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

int journal_active(void) { return j.active; }
void journal_note_free(void) { j.freed = 1; }

/* Where block `l` of the journal is on the disk; 0 if past its end. */
static uint32_t physical(uint32_t l)
{
	for (unsigned k = 0; k < j.extents; k++)
		if (l - j.ext[k].logical < j.ext[k].count)
			return j.ext[k].physical + (l - j.ext[k].logical);
	return 0;
}

static uint32_t next(uint32_t l) { return l + 1 == j.maxlen ? j.first : l + 1; }

/* The journal inode's blocks as runs: it is written once by mke2fs, and
 * read here before anything could change it. */
static enum err map_journal(uint32_t ino, uint32_t len)
{
	struct inode in;
	enum err e = inode_read(ino, &in);
	if (e)
		return e;
	j.extents = 0;
	for (uint32_t l = 0; l < len; l++) {
		uint32_t b;
		if ((e = bmap(ino, &in, l, 0, &b)))
			return e;
		if (!b)
			return E_CORRUPT;   /* a hole in the journal */
		if (j.extents && j.ext[j.extents - 1].physical + j.ext[j.extents - 1].count == b) {
			j.ext[j.extents - 1].count++;
			continue;
		}
		if (j.extents == MAX_EXTENTS)
			return E_ILLEGAL_OPERATION;
		j.ext[j.extents++] = (typeof(j.ext[0])){ l, b, 1 };
	}
	return E_OK;
}

static enum err log_read(uint32_t l, uint32_t slot)
{
	uint32_t p = physical(l);
	return p ? disk_log_io(BLK_READ, p, 1, slot) : E_CORRUPT;
}

static uint8_t *slot_mem(uint32_t slot) { return disk_log_buffer() + (uint64_t)slot * fs.block_size; }

/* A block of the log, read into slot 0: its type if it is one of
 * transaction `seq`, else 0. */
static int log_block(uint32_t l, uint32_t seq, enum err *e)
{
	*e = log_read(l, 0);
	const uint8_t *b = slot_mem(0);
	if (*e || be32(b) != JBD2_MAGIC || be32(b + 8) != seq)
		return 0;
	return (int)be32(b + 4);
}

static unsigned tag_bytes(void) { return j.incompat & INCOMPAT_64BIT ? 12 : 8; }

/* The tags of the descriptor in slot 0: each block's home and flags. */
static unsigned tags(uint32_t *home, uint16_t *flags, unsigned max)
{
	const uint8_t *b = slot_mem(0);
	unsigned n = 0;
	for (uint32_t at = 12; at + tag_bytes() <= fs.block_size && n < max;) {
		const uint8_t *t = b + at;
		home[n] = be32(t);
		flags[n] = be16(t + 6);
		if ((j.incompat & INCOMPAT_64BIT) && be32(t + 8))
			home[n] = 0;   /* past 2^32 blocks: not on this disk */
		at += tag_bytes() + (flags[n] & TAG_SAME_UUID ? 0 : 16);
		if (flags[n++] & TAG_LAST)
			break;
	}
	return n;
}

static struct { uint32_t block, seq; } revoked[MAX_REVOKED];
static unsigned nrevoked, blocks_replayed;

static enum err revoke(uint32_t block, uint32_t seq)
{
	for (unsigned k = 0; k < nrevoked; k++)
		if (revoked[k].block == block) {
			if ((int32_t)(seq - revoked[k].seq) > 0)
				revoked[k].seq = seq;
			return E_OK;
		}
	if (nrevoked == MAX_REVOKED)
		return E_ILLEGAL_OPERATION;
	revoked[nrevoked++] = (typeof(revoked[0])){ block, seq };
	return E_OK;
}

/* Revoked in transaction `seq` or a later one: not to be replayed. */
static int is_revoked(uint32_t block, uint32_t seq)
{
	for (unsigned k = 0; k < nrevoked; k++)
		if (revoked[k].block == block && (int32_t)(revoked[k].seq - seq) >= 0)
			return 1;
	return 0;
}

static enum err read_revokes(uint32_t seq)
{
	const uint8_t *b = slot_mem(0);
	unsigned size = j.incompat & INCOMPAT_64BIT ? 8 : 4;
	uint32_t count = be32(b + 12);
	if (count < 16 || count > fs.block_size)
		return E_CORRUPT;
	for (uint32_t at = 16; at + size <= count; at += size) {
		enum err e = revoke(be32(b + at + size - 4), seq);
		if (e)
			return e;
	}
	return E_OK;
}

/* A logged copy back home: slot 1 holds it. */
static enum err replay_block(uint32_t l, uint32_t home, uint16_t flags)
{
	enum err e = log_read(l, 1);
	if (e)
		return e;
	if (home < fs.first_data_block || home >= fs.blocks)
		return E_CORRUPT;
	if (flags & TAG_ESCAPED)
		put_be32(slot_mem(1), JBD2_MAGIC);
	blocks_replayed++;
	return disk_log_io(BLK_WRITE, home, 1, 1);
}

enum { SCAN, REVOKES, REPLAY };

/* One pass over the log from its start: the first transaction it holds
 * no commit of (SCAN), or stopping there (the other passes). */
static enum err pass(int which, uint32_t end, uint32_t *last)
{
	static uint32_t home[512];
	static uint16_t flags[512];
	uint32_t l = be32(j.sb + JS_START), seq = j.seq;
	enum err e = E_OK;
	for (uint32_t seen = 0; seen < j.maxlen && (which == SCAN || seq != end); seen++) {
		int type = log_block(l, seq, &e);
		if (e)
			return e;
		if (type == JB_DESCRIPTOR) {
			unsigned n = tags(home, flags, 512);
			for (unsigned k = 0; k < n; k++) {
				l = next(l);
				if (which == REPLAY && !is_revoked(home[k], seq) && (e = replay_block(l, home[k], flags[k])))
					return e;
			}
			seen += n;
		} else if (type == JB_COMMIT) {
			seq++;
		} else if (type == JB_REVOKE) {
			if (which == REVOKES && (e = read_revokes(seq)))
				return e;
		} else {
			break;
		}
		l = next(l);
	}
	*last = seq;
	return E_OK;
}

/* The journal superblock back to block 0 of the journal, from slot 0. */
static enum err write_jsb(uint32_t start, uint32_t seq)
{
	put_be32(j.sb + JS_START, start);
	put_be32(j.sb + JS_SEQUENCE, seq);
	memset(slot_mem(0), 0, fs.block_size);
	memcpy(slot_mem(0), j.sb, sizeof j.sb);
	return disk_log_io(BLK_WRITE, physical(0), 1, 0);
}

static enum err replay(unsigned *replayed)
{
	uint32_t end, last;
	nrevoked = blocks_replayed = 0;
	enum err e = pass(SCAN, 0, &end);
	if (!e && (j.incompat & INCOMPAT_REVOKE))
		e = pass(REVOKES, end, &last);
	if (!e)
		e = pass(REPLAY, end, &last);
	if (!e)
		e = disk_flush();
	replayed[0] = end - j.seq;
	replayed[1] = blocks_replayed;
	j.seq = end + 1;   /* past anything an unfinished transaction left */
	return e ? e : write_jsb(0, j.seq);
}

/* Reads the journal superblock and replays what the log holds; active
 * only if the fs may write. An error says why in *why. */
enum err journal_mount(uint32_t ino, int may_write, unsigned replayed[2], const char **why)
{
	struct inode in;
	enum err e;
	replayed[0] = replayed[1] = 0;
	j.active = 0;
	*why = "the journal inode";
	if (ino < 1 || ino >= fs.first_ino || (e = inode_read(ino, &in)))
		return E_CORRUPT;
	uint32_t len = in.size / fs.block_size;
	*why = "the journal's blocks";
	if (len < 2 || (e = map_journal(ino, len)))
		return e ? e : E_CORRUPT;
	*why = "the journal superblock";
	if ((e = log_read(0, 0)))
		return e;
	memcpy(j.sb, slot_mem(0), sizeof j.sb);
	uint32_t type = be32(j.sb + 4), start = be32(j.sb + JS_START);
	j.maxlen = be32(j.sb + JS_MAXLEN);
	j.first = be32(j.sb + JS_FIRST);
	j.seq = be32(j.sb + JS_SEQUENCE);
	j.incompat = type == JB_SB_V2 ? be32(j.sb + JS_INCOMPAT) : 0;
	if (be32(j.sb) != JBD2_MAGIC || (type != JB_SB_V1 && type != JB_SB_V2) ||
	    be32(j.sb + JS_BLOCKSIZE) != fs.block_size || j.maxlen > len || j.first < 1 || j.first >= j.maxlen ||
	    (start && (start < j.first || start >= j.maxlen)))
		return E_CORRUPT;
	*why = "journal features not known here (checksums, fast commits)";
	if (j.incompat & ~INCOMPAT_KNOWN)
		return E_ILLEGAL_OPERATION;
	*why = "the journal needs replaying and the disk is read-only";
	if (start && !may_write)
		return E_READ_ONLY;
	*why = "the journal replay";
	if (start && (e = replay(replayed)))
		return e;
	/* the whole cache's metadata, its descriptors and a commit must fit */
	*why = "the journal is smaller than the cache";
	if (j.maxlen - j.first < DISK_CACHE_BYTES / fs.block_size + 8)
		return E_ILLEGAL_OPERATION;
	j.active = may_write;
	return E_OK;
}

/* The log being written: consecutive journal blocks from `start`,
 * staged in the log buffer, written in runs that are consecutive on the
 * disk too. */
static struct { uint32_t start, n; } w;

static enum err log_out(void)
{
	for (uint32_t i = 0, k; i < w.n; i = k) {
		uint32_t p = physical(w.start + i);
		for (k = i + 1; k < w.n && physical(w.start + k) == p + (k - i); k++)
			;
		enum err e = p ? disk_log_io(BLK_WRITE, p, k - i, i) : E_CORRUPT;
		if (e)
			return e;
	}
	w.n = 0;
	return E_OK;
}

/* The buffer for journal block l, which follows the last one asked for. */
static uint8_t *log_next(uint32_t l, enum err *e)
{
	*e = E_OK;
	if (w.n && (w.n == DISK_LOG_BYTES / fs.block_size || l != w.start + w.n) && (*e = log_out()))
		return NULL;
	if (!w.n)
		w.start = l;
	uint8_t *b = slot_mem(w.n++);
	memset(b, 0, fs.block_size);
	return b;
}

static void header(uint8_t *b, uint32_t type)
{
	put_be32(b, JBD2_MAGIC);
	put_be32(b + 4, type);
	put_be32(b + 8, j.seq);
}

static uint32_t logged[MAX_LOGGED];

/* Descriptors and copies of the n blocks in `logged`, from journal block
 * l on; where the commit block goes. Each descriptor starts an empty
 * buffer and its copies fill it at most, so it is written whole. */
static enum err log_blocks(unsigned n, uint32_t *l)
{
	unsigned per = (fs.block_size - 12 - 16) / 8, room = DISK_LOG_BYTES / fs.block_size - 1;
	enum err e = E_OK;
	if (per > room)
		per = room;
	for (unsigned k = 0; k < n; k += per) {
		uint8_t *d;
		if ((e = log_out()) || !(d = log_next(*l, &e)))
			return e;
		*l = next(*l);
		header(d, JB_DESCRIPTOR);
		uint8_t *tag = d + 12;
		for (unsigned i = k; i < n && i < k + per; i++) {
			const uint8_t *src = disk_cached(logged[i]);
			uint8_t *copy;
			if (!src || !(copy = log_next(*l, &e)))
				return src ? e : E_CORRUPT;
			*l = next(*l);
			memcpy(copy, src, fs.block_size);
			uint16_t f = (i == k ? 0 : TAG_SAME_UUID) | (i + 1 == n || i + 1 == k + per ? TAG_LAST : 0);
			if (be32(copy) == JBD2_MAGIC) {
				memset(copy, 0, 4);
				f |= TAG_ESCAPED;
			}
			put_be32(tag, logged[i]);
			tag[6] = (uint8_t)(f >> 8), tag[7] = (uint8_t)f;
			if (i == k)
				memcpy(tag + 8, j.sb + JS_UUID, 16);
			tag += 8 + (i == k ? 16 : 0);
		}
	}
	return e;
}

/* A metadata home write failed after its commit: the log holds what it
 * lacks, and only a replay can put it back, so nothing more is written. */
static enum err give_up(enum err e)
{
	fs.read_only = 1;
	j.active = 0;
	printf("fs: metadata could not be written home after its commit (%s): read-only now; the next mount "
	       "replays the journal\n", err_name(e));
	return e;
}

enum err journal_commit(void)
{
	enum err e = disk_write_data();   /* ordered: the data first */
	unsigned n = e ? 0 : disk_meta_dirty(logged, MAX_LOGGED);
	if (e || !n)
		return e ? e : disk_flush();
	uint32_t l = j.first;
	uint8_t *c;
	w.n = 0;
	if ((e = write_jsb(j.first, j.seq)) || (e = log_blocks(n, &l)) || (e = log_out()) || (e = disk_flush()))
		return e;
	if (!(c = log_next(l, &e)))
		return e;
	header(c, JB_COMMIT);
	put_be32(c + 52, fs_now());   /* h_commit_sec, low half */
	if ((e = log_out()) || (e = disk_flush()))
		return e;
	if ((e = disk_write_meta()) || (e = disk_flush()))
		return give_up(e);
	j.freed = 0;
	return write_jsb(0, ++j.seq);
}

/* After each request: commit if it freed blocks, or if metadata waiting
 * for the log holds all clusters of the cache but one (the next request
 * could then only commit in its middle). */
enum err journal_request_done(void)
{
	if (!j.active || (!j.freed && disk_meta_clusters() < DISK_CACHE_CLUSTERS - 1))
		return E_OK;
	enum err e = journal_commit();
	if (e)
		printf("fs: journal commit failed: %s\n", err_name(e));
	return e;
}
