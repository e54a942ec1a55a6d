/* The ext2 file server. Layers, from the bottom:
 *   disk.c  blocks: the block cache on a DMA buffer, read and written by the
 *           block driver (no copies through messages), write-back on sync
 *   journal.c  jbd2 (ext3's journal), ordered mode: commit and replay
 *   ext2.c  the file system: superblock, groups, bitmaps, inodes, the block
 *           map of a file (direct to triple indirect), truncate
 *   dir.c   names: directory entries, paths, mkdir/rmdir/unlink/rename
 *   main.c  the protocol (include/proto/fs.h): open files per client
 * Every on-disk value is checked before it is used; a bad one gives
 * E_CORRUPT for the operation, never a fault. */
#ifndef FS_FS_H
#define FS_FS_H

#include <stdint.h>
#include <string.h>
#include "../../include/abi/error.h"
#include "../../include/abi/syscall.h"
#include "../../include/proto/fs.h"
#include "../../include/proto/blk.h"

/* ext2.c and dir.c need only this header, so they also build for the host,
 * where tests/host/fuzz_ext2.c stands in for disk.c and fuzzes them. */

/* disk.c */
#define DISK_CACHE_CLUSTERS 8
#define DISK_CACHE_BYTES (DISK_CACHE_CLUSTERS * (64u << 10))
#define DISK_LOG_BYTES (64u << 10)   /* the journal's own buffer */
enum err disk_init(uint64_t blk_cap);
uint64_t disk_bytes(void);
int disk_read_only(void);
void disk_set_block_size(uint32_t bs);
enum err disk_read_raw(uint64_t offset, void *buf, uint32_t len);   /* for the superblock */
uint8_t *bread(uint32_t block, enum err *e);   /* NULL on error */
void bdirty(uint32_t block);        /* metadata: journalled */
void bdirty_data(uint32_t block);   /* a file's bytes: written home before the commit */
enum err bzero_new(uint32_t block);
enum err disk_sync(void);
unsigned disk_forget_clean(void);   /* drop every cached block not dirty: how many */
void disk_stats(uint64_t out[6]);   /* FS_STATFS mr6..11 */
enum err disk_flush(void);
enum err disk_write_home(uint32_t block);   /* one cached block, now, outside the journal */
enum err disk_write_data(void);   /* every dirty block not metadata */
enum err disk_write_meta(void);   /* every dirty metadata block */
unsigned disk_meta_dirty(uint32_t *blocks, unsigned max);
unsigned disk_meta_clusters(void);
const uint8_t *disk_cached(uint32_t block);   /* NULL if not cached */
uint8_t *disk_log_buffer(void);
/* n blocks between the disk from `block` on and the log buffer from block `at` on */
enum err disk_log_io(uint64_t label, uint32_t block, uint32_t n, uint32_t at);

const char *err_name(uint64_t e);   /* libsys */

/* journal.c */
int journal_active(void);
enum err journal_mount(uint32_t ino, int may_write, unsigned replayed[2], const char **why);
enum err journal_commit(void);
void journal_note_free(void);
enum err journal_request_done(void);

/* ext2.c */
struct inode {
	uint16_t mode, uid;
	uint32_t size, atime, ctime, mtime, dtime;
	uint16_t gid, links;
	uint32_t blocks, flags, osd1;
	uint32_t block[15];
	uint32_t generation, file_acl, size_high, faddr;
	uint8_t osd2[12];
};
_Static_assert(sizeof(struct inode) == 128, "ext2 inode layout");

#define S_IFMT 0xF000
#define S_IFREG 0x8000
#define S_IFDIR 0x4000
#define EXT2_INDEX_FL 0x1000
#define ROOT_INO 2

struct fsinfo {
	uint32_t block_size, blocks, inodes, groups, blocks_per_group, inodes_per_group;
	uint32_t first_data_block, inode_size, first_ino, free_blocks, free_inodes;
	int filetype, read_only;
};
extern struct fsinfo fs;

struct mount_report {
	unsigned replayed[2];   /* journal transactions replayed, and blocks */
	enum err journal;       /* why the journal is not used: the disk is read-only */
	const char *why;
	int unclean;            /* no journal, and not cleanly unmounted: read-only */
};
enum err ext2_mount(struct mount_report *m);
void ext2_dirtied(void);     /* without a journal: the disk is not clean from now on */
enum err ext2_synced(void);  /* and is again */
enum err inode_read(uint32_t ino, struct inode *in);
enum err inode_write(uint32_t ino, const struct inode *in);
enum err inode_alloc(uint32_t near_ino, int is_dir, uint32_t *ino);
enum err inode_free(uint32_t ino, int is_dir);
enum err inode_release(uint32_t ino);   /* an orphan's blocks, then the inode itself */
enum err orphan_add(uint32_t ino);       /* on the disk's orphan list until released */
enum err orphans_release(unsigned *freed);   /* at mount: those a stopped server left */
enum err bmap(uint32_t ino, struct inode *in, uint64_t fblock, int alloc, uint32_t *out);
enum err truncate_blocks(uint32_t ino, struct inode *in, uint64_t size);
enum err file_read(uint32_t ino, struct inode *in, uint64_t off, void *buf, uint32_t len, uint32_t *got);
enum err file_write(uint32_t ino, struct inode *in, uint64_t off, const void *buf, uint32_t len);
uint32_t fs_now(void);
int is_dir(const struct inode *in);

/* dir.c */
enum err path_lookup(const char *path, uint32_t *ino);
enum err path_parent(const char *path, uint32_t *dir, const char **name, uint32_t *name_len);
enum err dir_lookup(uint32_t dir, const char *name, uint32_t len, uint32_t *ino);
enum err dir_next(uint32_t dir, uint64_t *pos, uint32_t *ino, uint8_t *type, char *name, uint32_t *len);
enum err fs_create(const char *path, uint32_t *ino);
enum err fs_mkdir(const char *path);
/* These three set *orphan to an inode whose last link they removed (else
 * leave it alone): it is freed by inode_release once no open file has it. */
enum err fs_rmdir(const char *path, uint32_t *orphan);
enum err fs_unlink(const char *path, uint32_t *orphan);
enum err fs_rename(const char *from, const char *to, uint32_t *orphan);

#endif
