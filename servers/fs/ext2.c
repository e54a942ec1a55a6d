/* ext2 (revision 0 and 1, 1 to 4 KiB blocks): mounting with every
 * superblock and group-descriptor field checked, block and inode bitmaps,
 * inodes, and the block map of a file through direct, indirect, double
 * and triple indirect blocks. */
#include "fs.h"

#define EXT2_MAGIC 0xEF53
#define INCOMPAT_FILETYPE 0x2
#define INCOMPAT_RECOVER 0x4    /* the journal may hold what is not home yet */
#define COMPAT_HAS_JOURNAL 0x4
#define SB_JOURNAL_INUM 224     /* s_journal_inum */
#define SB_INCOMPAT 96          /* s_feature_incompat */
#define SB_STATE 58             /* s_state */
#define STATE_VALID 1           /* cleanly unmounted */
#define STATE_ERROR 2
#define RO_COMPAT_OK 0x3        /* sparse_super, large_file */
#define GROUP_DESC_SIZE 32
#define MAX_GROUPS 256

struct superblock {
	uint32_t inodes_count, blocks_count, r_blocks_count, free_blocks_count, free_inodes_count;
	uint32_t first_data_block, log_block_size, log_frag_size, blocks_per_group, frags_per_group;
	uint32_t inodes_per_group, mtime, wtime;
	uint16_t mnt_count, max_mnt_count, magic, state, errors, minor_rev;
	uint32_t lastcheck, checkinterval, creator_os, rev_level;
	uint16_t def_resuid, def_resgid;
	uint32_t first_ino;
	uint16_t inode_size, block_group_nr;
	uint32_t feature_compat, feature_incompat, feature_ro_compat;
};

struct group_desc {
	uint32_t block_bitmap, inode_bitmap, inode_table;
	uint16_t free_blocks, free_inodes, used_dirs, pad;
	uint32_t reserved[3];
};

struct fsinfo fs;
static struct group_desc groups[MAX_GROUPS];
static uint32_t sb_wtime, gdt_block;

uint32_t fs_now(void) { return sb_wtime; }
int is_dir(const struct inode *in) { return (in->mode & S_IFMT) == S_IFDIR; }

static int block_ok(uint32_t b) { return b >= fs.first_data_block && b < fs.blocks; }

static enum err check_super(const struct superblock *sb)
{
	if (sb->magic != EXT2_MAGIC || sb->log_block_size > 2 || sb->rev_level > 1)
		return E_CORRUPT;
	fs.block_size = 1024u << sb->log_block_size;
	fs.blocks = sb->blocks_count;
	fs.inodes = sb->inodes_count;
	fs.blocks_per_group = sb->blocks_per_group;
	fs.inodes_per_group = sb->inodes_per_group;
	fs.first_data_block = sb->first_data_block;
	fs.inode_size = sb->rev_level ? sb->inode_size : 128;
	fs.first_ino = sb->rev_level ? sb->first_ino : 11;
	if (fs.first_data_block != (fs.block_size == 1024) || fs.blocks_per_group == 0 ||
	    fs.blocks_per_group > 8 * fs.block_size || fs.inodes_per_group == 0 ||
	    fs.inodes_per_group > 8 * fs.block_size || fs.blocks <= fs.first_data_block ||
	    (uint64_t)fs.blocks * fs.block_size > disk_bytes() || fs.inode_size < 128 ||
	    fs.inode_size > fs.block_size || (fs.inode_size & (fs.inode_size - 1)) ||
	    fs.first_ino < 11 || fs.first_ino >= fs.inodes)
		return E_CORRUPT;
	fs.groups = (fs.blocks - fs.first_data_block + fs.blocks_per_group - 1) / fs.blocks_per_group;
	if (fs.groups > MAX_GROUPS || (uint64_t)fs.groups * fs.inodes_per_group < fs.inodes ||
	    sb->free_blocks_count > fs.blocks || sb->free_inodes_count > fs.inodes)
		return E_CORRUPT;
	uint32_t journal = sb->rev_level && (sb->feature_compat & COMPAT_HAS_JOURNAL) ? INCOMPAT_RECOVER : 0;
	if (sb->rev_level && (sb->feature_incompat & ~(INCOMPAT_FILETYPE | journal)))
		return E_CORRUPT;   /* features we cannot read safely */
	fs.filetype = sb->rev_level && (sb->feature_incompat & INCOMPAT_FILETYPE);
	fs.read_only = disk_read_only() || (sb->rev_level && (sb->feature_ro_compat & ~RO_COMPAT_OK));
	fs.free_blocks = sb->free_blocks_count;
	fs.free_inodes = sb->free_inodes_count;
	sb_wtime = sb->wtime;
	return E_OK;
}

static enum err check_groups(void)
{
	uint32_t itable_blocks = (fs.inodes_per_group * fs.inode_size + fs.block_size - 1) / fs.block_size;
	for (uint32_t g = 0; g < fs.groups; g++) {
		struct group_desc *d = &groups[g];
		if (!block_ok(d->block_bitmap) || !block_ok(d->inode_bitmap) || !block_ok(d->inode_table) ||
		    d->inode_table + itable_blocks > fs.blocks || d->free_blocks > fs.blocks_per_group ||
		    d->free_inodes > fs.inodes_per_group)
			return E_CORRUPT;
	}
	return E_OK;
}

static uint16_t sb_state;

/* The superblock and group descriptors; the journal inode's number if
 * there is a journal, else 0. */
static enum err read_super(uint32_t *journal)
{
	uint8_t raw[1024];
	struct superblock sb;
	enum err e = disk_read_raw(1024, raw, sizeof raw);
	memcpy(&sb, raw, sizeof sb);
	if (e || (e = check_super(&sb)))
		return e;
	memcpy(journal, raw + SB_JOURNAL_INUM, 4);
	memcpy(&sb_state, raw + SB_STATE, 2);
	if (!sb.rev_level || !(sb.feature_compat & COMPAT_HAS_JOURNAL))
		*journal = 0;
	disk_set_block_size(fs.block_size);
	gdt_block = fs.first_data_block + 1;
	for (uint32_t g = 0; g < fs.groups; g++) {
		uint32_t per = fs.block_size / GROUP_DESC_SIZE;
		uint8_t *b = bread(gdt_block + g / per, &e);
		if (!b)
			return e;
		memcpy(&groups[g], b + (g % per) * GROUP_DESC_SIZE, sizeof groups[g]);
	}
	return check_groups();
}

#define SB_LAST_ORPHAN 232   /* s_last_orphan: the first inode of the orphan list */

/* The superblock in the cache: its block and where in it. */
static uint8_t *sb_cached(uint32_t *block, enum err *e)
{
	*block = fs.block_size == 1024 ? 1 : 0;
	uint8_t *b = bread(*block, e);
	return b ? b + (fs.block_size == 1024 ? 0 : 1024) : NULL;
}

/* needs_recovery on the disk at once, as Linux sets it while mounted: a
 * journal holding a transaction is then never taken for a stale one. */
static enum err mark_recover(void)
{
	uint32_t block, incompat;
	enum err e;
	uint8_t *sb = sb_cached(&block, &e);
	if (!sb)
		return e;
	memcpy(&incompat, sb + SB_INCOMPAT, 4);
	if (incompat & INCOMPAT_RECOVER)
		return E_OK;
	incompat |= INCOMPAT_RECOVER;
	memcpy(sb + SB_INCOMPAT, &incompat, 4);
	return disk_write_home(block);
}

/* s_state in the cached superblock set to `state`, and written home. */
static enum err write_state(uint16_t state)
{
	uint32_t block;
	enum err e;
	uint8_t *sb = sb_cached(&block, &e);
	if (!sb)
		return e;
	memcpy(sb + SB_STATE, &state, 2);
	return disk_write_home(block);
}

void ext2_dirtied(void)
{
	if (!fs.read_only)
		write_state(sb_state & ~STATE_VALID);
}

enum err ext2_synced(void) { return fs.read_only ? E_OK : write_state(sb_state | STATE_VALID); }

/* With a journal: its log replayed (then everything read again, as the
 * replay may have changed it) and kept from now on. A journal that cannot
 * be used leaves the disk read-only; m says why. */
enum err ext2_mount(struct mount_report *m)
{
	uint32_t journal;
	*m = (struct mount_report){ 0 };
	enum err e = read_super(&journal);
	if (!e && !journal && !fs.read_only && (!(sb_state & STATE_VALID) || (sb_state & STATE_ERROR))) {
		m->unclean = 1;   /* whatever a crash left half done: for e2fsck first */
		fs.read_only = 1;
	}
	if (e || !journal)
		return e;
	if ((m->journal = journal_mount(journal, !fs.read_only, m->replayed, &m->why))) {
		fs.read_only = 1;
		return E_OK;
	}
	if (m->replayed[0]) {
		disk_forget_clean();
		if ((e = read_super(&journal)))
			return e;
	}
	return journal_active() ? mark_recover() : E_OK;
}

/* The superblock's free counts and a group's descriptor, back to disk. */
static enum err write_counts(uint32_t g)
{
	enum err e;
	uint32_t per = fs.block_size / GROUP_DESC_SIZE;
	uint8_t *b = bread(gdt_block + g / per, &e);
	if (!b)
		return e;
	memcpy(b + (g % per) * GROUP_DESC_SIZE, &groups[g], sizeof groups[g]);
	bdirty(gdt_block + g / per);
	uint32_t sb_block;
	if (!(b = sb_cached(&sb_block, &e)))
		return e;
	struct superblock *sb = (struct superblock *)b;
	sb->free_blocks_count = fs.free_blocks;
	sb->free_inodes_count = fs.free_inodes;
	bdirty(sb_block);
	return E_OK;
}

/* Find and set a clear bit in a group's bitmap; -1 if full. Whole words
 * of set bits are stepped over at once (a disk fills from the front). */
static int64_t bitmap_take(uint32_t bitmap_block, uint32_t nbits, uint32_t from, enum err *e)
{
	uint8_t *b = bread(bitmap_block, e);
	if (!b)
		return -1;
	for (uint32_t i = from; i < nbits; i++) {
		while (i % 64 == 0 && i + 64 <= nbits && ((const uint64_t *)b)[i / 64] == ~0ULL)
			i += 64;
		if (i < nbits && !(b[i / 8] & (1 << (i % 8)))) {
			b[i / 8] |= (uint8_t)(1 << (i % 8));
			bdirty(bitmap_block);
			return i;
		}
	}
	return -1;
}

static enum err bitmap_clear(uint32_t bitmap_block, uint32_t bit)
{
	enum err e;
	uint8_t *b = bread(bitmap_block, &e);
	if (!b)
		return e;
	if (!(b[bit / 8] & (1 << (bit % 8))))
		return E_CORRUPT;   /* freeing what is free: the bitmap and the file disagree */
	b[bit / 8] &= (uint8_t)~(1 << (bit % 8));
	bdirty(bitmap_block);
	return E_OK;
}

static uint32_t group_blocks(uint32_t g)
{
	uint32_t left = fs.blocks - fs.first_data_block - g * fs.blocks_per_group;
	return left < fs.blocks_per_group ? left : fs.blocks_per_group;
}

static enum err block_free(uint32_t b);

/* A zeroed block, preferably in group `near`. */
static enum err block_alloc(uint32_t near, uint32_t *out)
{
	enum err e = E_OK;
	if (fs.read_only)
		return E_READ_ONLY;
	for (uint32_t k = 0; k < fs.groups; k++) {
		uint32_t g = (near + k) % fs.groups;
		if (!groups[g].free_blocks)
			continue;
		int64_t bit = bitmap_take(groups[g].block_bitmap, group_blocks(g), 0, &e);
		if (bit < 0) {
			if (e)
				return e;
			continue;
		}
		groups[g].free_blocks--;
		fs.free_blocks--;
		*out = fs.first_data_block + g * fs.blocks_per_group + (uint32_t)bit;
		if ((e = write_counts(g)) || (e = bzero_new(*out)))
			block_free(*out);   /* taken but not given: it goes back */
		return e;
	}
	return E_NO_SPACE;
}

static enum err block_free(uint32_t b)
{
	if (!block_ok(b))
		return E_CORRUPT;
	uint32_t g = (b - fs.first_data_block) / fs.blocks_per_group;
	enum err e = bitmap_clear(groups[g].block_bitmap, (b - fs.first_data_block) % fs.blocks_per_group);
	if (e)
		return e;
	groups[g].free_blocks++;
	fs.free_blocks++;
	journal_note_free();
	return write_counts(g);
}

static enum err inode_place(uint32_t ino, uint32_t *block, uint32_t *off)
{
	if (ino < 1 || ino > fs.inodes)
		return E_CORRUPT;
	uint32_t g = (ino - 1) / fs.inodes_per_group, i = (ino - 1) % fs.inodes_per_group;
	uint64_t byte = (uint64_t)i * fs.inode_size;
	*block = groups[g].inode_table + (uint32_t)(byte / fs.block_size);
	*off = (uint32_t)(byte % fs.block_size);
	return E_OK;
}

enum err inode_read(uint32_t ino, struct inode *in)
{
	uint32_t block, off;
	enum err e = inode_place(ino, &block, &off);
	uint8_t *b;
	if (e || !(b = bread(block, &e)))
		return e;
	memcpy(in, b + off, sizeof *in);
	return E_OK;
}

enum err inode_write(uint32_t ino, const struct inode *in)
{
	uint32_t block, off;
	enum err e = inode_place(ino, &block, &off);
	uint8_t *b;
	if (fs.read_only)
		return E_READ_ONLY;
	if (e || !(b = bread(block, &e)))
		return e;
	memcpy(b + off, in, sizeof *in);
	bdirty(block);
	return E_OK;
}

enum err inode_alloc(uint32_t near_ino, int dir, uint32_t *ino)
{
	enum err e = E_OK;
	if (fs.read_only)
		return E_READ_ONLY;
	uint32_t near = near_ino ? (near_ino - 1) / fs.inodes_per_group : 0;
	for (uint32_t k = 0; k < fs.groups; k++) {
		uint32_t g = (near + k) % fs.groups;
		if (!groups[g].free_inodes)
			continue;
		uint32_t from = g == 0 ? fs.first_ino - 1 : 0;
		int64_t bit = bitmap_take(groups[g].inode_bitmap, fs.inodes_per_group, from, &e);
		if (bit < 0) {
			if (e)
				return e;
			continue;
		}
		groups[g].free_inodes--;
		groups[g].used_dirs += dir != 0;
		fs.free_inodes--;
		*ino = g * fs.inodes_per_group + (uint32_t)bit + 1;
		return write_counts(g);
	}
	return E_NO_SPACE;
}

enum err inode_free(uint32_t ino, int dir)
{
	uint32_t g = (ino - 1) / fs.inodes_per_group;
	if (ino < fs.first_ino || ino > fs.inodes)
		return E_CORRUPT;
	enum err e = bitmap_clear(groups[g].inode_bitmap, (ino - 1) % fs.inodes_per_group);
	if (e)
		return e;
	groups[g].free_inodes++;
	if (dir && groups[g].used_dirs)
		groups[g].used_dirs--;
	fs.free_inodes++;
	return write_counts(g);
}

static uint32_t per_block(void) { return fs.block_size / 4; }

/* A block pointer: one of the inode's (slot) or entry `index` of the
 * indirect block `owner`. The owner is read again after anything that may
 * have reused its cache buffer. */
struct ptr {
	uint32_t *slot;
	uint32_t owner, index;
};

static enum err ptr_get(struct ptr p, uint32_t *v)
{
	enum err e = E_OK;
	uint32_t *tab = p.slot ? NULL : (uint32_t *)bread(p.owner, &e);
	if (!p.slot && !tab)
		return e;
	*v = p.slot ? *p.slot : tab[p.index];
	return E_OK;
}

static enum err ptr_set(struct ptr p, uint32_t v)
{
	enum err e = E_OK;
	if (p.slot) {
		*p.slot = v;
		return E_OK;
	}
	uint32_t *tab = (uint32_t *)bread(p.owner, &e);
	if (!tab)
		return e;
	tab[p.index] = v;
	bdirty(p.owner);
	return E_OK;
}

/* The block a pointer names, allocating it (zeroed) if asked. */
static enum err follow(struct ptr p, struct inode *in, int alloc, uint32_t near, uint32_t *out)
{
	uint32_t v = 0;
	enum err e = ptr_get(p, &v);
	if (e)
		return e;
	if (v == 0 && alloc) {
		if ((e = block_alloc(near, &v)))
			return e;
		if ((e = ptr_set(p, v))) {
			block_free(v);   /* nothing points at it: it goes back */
			return e;
		}
		in->blocks += fs.block_size / 512;
	} else if (v && !block_ok(v)) {
		return E_CORRUPT;
	}
	*out = v;
	return E_OK;
}

/* The disk block of file block `fb` (0 = a hole, when not allocating). */
enum err bmap(uint32_t ino, struct inode *in, uint64_t fb, int alloc, uint32_t *out)
{
	uint64_t per = per_block(), span = 1;
	uint32_t near = (ino - 1) / fs.inodes_per_group;
	int level;
	if (fb < 12)
		return follow((struct ptr){ &in->block[fb], 0, 0 }, in, alloc, near, out);
	fb -= 12;
	for (level = 1; level <= 3; level++) {
		span *= per;
		if (fb < span)
			break;
		fb -= span;
	}
	if (level > 3)
		return E_RANGE;   /* beyond a triple indirect block */
	uint32_t b;
	enum err e = follow((struct ptr){ &in->block[11 + level], 0, 0 }, in, alloc, near, &b);
	while (!e && b && level > 0) {
		span /= per;
		e = follow((struct ptr){ NULL, b, (uint32_t)(fb / span) }, in, alloc, near, &b);
		fb %= span;
		level--;
	}
	*out = e ? 0 : b;
	return e;
}

/* Free a whole subtree of `level` indirection under block b. */
static enum err free_tree(struct inode *in, uint32_t b, int level)
{
	enum err e;
	if (!block_ok(b))
		return E_CORRUPT;
	if (level > 0) {
		uint32_t entries[1024];
		uint32_t *tab = (uint32_t *)bread(b, &e);
		if (!tab)
			return e;
		memcpy(entries, tab, fs.block_size);   /* the cache may reuse the buffer */
		for (uint32_t i = 0; i < per_block(); i++)
			if (entries[i] && (e = free_tree(in, entries[i], level - 1)))
				return e;
	}
	in->blocks -= in->blocks >= fs.block_size / 512 ? fs.block_size / 512 : in->blocks;
	return block_free(b);
}

/* Keep the file blocks below `keep` of the subtree at p, which covers
 * file blocks [base, base + per^level). */
static enum err trim(struct inode *in, struct ptr p, int level, uint64_t base, uint64_t keep)
{
	uint64_t span = 1;
	uint32_t v = 0;
	enum err e = ptr_get(p, &v);
	for (int i = 0; i < level; i++)
		span *= per_block();
	if (e || v == 0 || base + span <= keep)
		return e;
	if (base >= keep) {
		if ((e = free_tree(in, v, level)))
			return e;
		return ptr_set(p, 0);
	}
	for (uint32_t i = 0; i < per_block(); i++)
		if ((e = trim(in, (struct ptr){ NULL, v, i }, level - 1, base + i * (span / per_block()), keep)))
			return e;
	return E_OK;
}

enum err truncate_blocks(uint32_t ino, struct inode *in, uint64_t size)
{
	uint64_t keep = (size + fs.block_size - 1) / fs.block_size, base = 12, span = 1;
	enum err e;
	(void)ino;
	if (fs.read_only)
		return E_READ_ONLY;
	for (int i = 0; i < 12; i++)
		if ((e = trim(in, (struct ptr){ &in->block[i], 0, 0 }, 0, (uint64_t)i, keep)))
			return e;
	for (int level = 1; level <= 3; level++) {
		span *= per_block();
		if ((e = trim(in, (struct ptr){ &in->block[11 + level], 0, 0 }, level, base, keep)))
			return e;
		base += span;
	}
	in->size = (uint32_t)size;
	in->size_high = (uint32_t)(size >> 32) * !is_dir(in);
	return E_OK;
}

/* The orphan list, as ext3 keeps it: inodes with no name but open files,
 * chained through their dtime from the superblock, so that a server that
 * stops before their last close has them freed at the next mount. */
static enum err orphan_head(uint32_t **head, uint32_t *block)
{
	enum err e;
	uint8_t *sb = sb_cached(block, &e);
	if (!sb)
		return e;
	*head = (uint32_t *)(sb + SB_LAST_ORPHAN);
	return E_OK;
}

/* The list's first inode (set anew: the cache may have moved the block
 * since it was read). */
static enum err orphan_set_head(uint32_t ino)
{
	uint32_t *head = NULL, block;
	enum err e = orphan_head(&head, &block);
	if (e)
		return e;
	*head = ino;
	bdirty(block);
	return E_OK;
}

enum err orphan_add(uint32_t ino)
{
	uint32_t *head = NULL, block;
	struct inode in;
	enum err e = inode_read(ino, &in);
	if (e || (e = orphan_head(&head, &block)))
		return e;
	in.dtime = *head;
	if ((e = inode_write(ino, &in)))
		return e;
	return orphan_set_head(ino);
}

/* Take ino off the list, if it is on it. */
static enum err orphan_remove(uint32_t ino)
{
	uint32_t *head = NULL, block, prev = 0, cur;
	struct inode in, p;
	enum err e = orphan_head(&head, &block);
	if (e)
		return e;
	cur = *head;
	for (uint32_t steps = 0; cur && steps < fs.inodes; steps++) {
		if (cur < fs.first_ino || cur > fs.inodes || (e = inode_read(cur, &in)))
			return e ? e : E_CORRUPT;
		if (cur == ino) {
			if (!prev)
				return orphan_set_head(in.dtime);
			if ((e = inode_read(prev, &p)))
				return e;
			p.dtime = in.dtime;
			return inode_write(prev, &p);
		}
		prev = cur;
		cur = in.dtime;
	}
	return E_OK;
}

enum err inode_release(uint32_t ino)
{
	struct inode in;
	enum err e = inode_read(ino, &in);
	if (e)
		return e;
	if (in.links)
		return E_CORRUPT;   /* a name reaches it again: not ours to free */
	if ((e = orphan_remove(ino)) || (e = inode_read(ino, &in)) || (e = truncate_blocks(ino, &in, 0)))
		return e;
	in.dtime = fs_now();
	if ((e = inode_write(ino, &in)))
		return e;
	return inode_free(ino, is_dir(&in));
}

enum err orphans_release(unsigned *freed)
{
	uint32_t *head = NULL, block;
	enum err e;
	*freed = 0;
	if (fs.read_only)
		return E_OK;
	while (!(e = orphan_head(&head, &block)) && *head) {
		if (*freed >= fs.inodes)
			return E_CORRUPT;   /* a loop */
		if ((e = inode_release(*head)))
			return e;
		++*freed;
	}
	return e;
}

static uint64_t file_size(const struct inode *in)
{
	return in->size | (is_dir(in) ? 0 : (uint64_t)in->size_high << 32);
}

enum err file_read(uint32_t ino, struct inode *in, uint64_t off, void *buf, uint32_t len, uint32_t *got)
{
	uint64_t size = file_size(in);
	uint8_t *dst = buf;
	*got = 0;
	while (len && off < size) {
		uint32_t b, in_block = (uint32_t)(off % fs.block_size);
		uint32_t n = fs.block_size - in_block;
		if (n > len)
			n = len;
		if (n > size - off)
			n = (uint32_t)(size - off);
		enum err e = bmap(ino, in, off / fs.block_size, 0, &b);
		if (e)
			return e;
		if (b == 0) {
			memset(dst, 0, n);   /* a hole */
		} else {
			uint8_t *data = bread(b, &e);
			if (!data)
				return e;
			memcpy(dst, data + in_block, n);
		}
		dst += n, off += n, len -= n, *got += n;
	}
	return E_OK;
}

enum err file_write(uint32_t ino, struct inode *in, uint64_t off, const void *buf, uint32_t len)
{
	const uint8_t *src = buf;
	enum err e = E_OK;
	if (fs.read_only)
		return E_READ_ONLY;
	while (len) {
		uint32_t b, in_block = (uint32_t)(off % fs.block_size);
		uint32_t n = fs.block_size - in_block < len ? fs.block_size - in_block : len;
		uint8_t *data = NULL;
		if ((e = bmap(ino, in, off / fs.block_size, 1, &b)) || !(data = bread(b, &e)))
			break;   /* the inode still records what was allocated */
		memcpy(data + in_block, src, n);
		bdirty_data(b);
		src += n, off += n, len -= n;
		if (off > file_size(in)) {
			in->size = (uint32_t)off;
			in->size_high = (uint32_t)(off >> 32);
		}
	}
	in->mtime = in->ctime = fs_now();
	enum err w = inode_write(ino, in);
	return e ? e : w;
}
