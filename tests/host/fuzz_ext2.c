/* libFuzzer harness for the file server's ext2 code, built for the host
 * (tests/run_host_fuzz.sh): the input is a disk image; the harness mounts
 * it with the server's own ext2.c, dir.c and journal.c (so a journal in
 * the image is replayed) and walks, reads and changes it as a client
 * would. Memory errors (ASan) and undefined behaviour
 * (UBSan) are findings; errors returned are not. This file stands in for
 * servers/fs/disk.c: the "disk" is the input, copied, and blocks are
 * changed in place, so no metadata ever waits for the journal. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../servers/fs/fs.h"

#define MAX_DISK (2048 * 1024)   /* the ext3 seed: the smallest disk with a journal */

static uint8_t disk[MAX_DISK];
static uint64_t disk_size;
static uint32_t bs = 1024;

enum err disk_init(uint64_t blk) { (void)blk; return E_OK; }
uint64_t disk_bytes(void) { return disk_size; }
int disk_read_only(void) { return 0; }
void disk_set_block_size(uint32_t b) { bs = b; }
void bdirty(uint32_t block) { (void)block; }
void bdirty_data(uint32_t block) { (void)block; }
enum err disk_sync(void) { return E_OK; }
void disk_stats(uint64_t out[6]) { memset(out, 0, 6 * sizeof *out); }
enum err disk_flush(void) { return E_OK; }
enum err disk_write_home(uint32_t block) { (void)block; return E_OK; }
enum err disk_write_data(void) { return E_OK; }
enum err disk_write_meta(void) { return E_OK; }
unsigned disk_meta_dirty(uint32_t *blocks, unsigned max) { (void)blocks, (void)max; return 0; }
unsigned disk_meta_clusters(void) { return 0; }
unsigned disk_forget_clean(void) { return 0; }
const char *err_name(uint64_t e) { (void)e; return "error"; }

static uint8_t log_buffer[DISK_LOG_BYTES];
uint8_t *disk_log_buffer(void) { return log_buffer; }

const uint8_t *disk_cached(uint32_t block)
{
	return (uint64_t)block * bs + bs <= disk_size ? disk + (uint64_t)block * bs : NULL;
}

enum err disk_log_io(uint64_t label, uint32_t block, uint32_t n, uint32_t at)
{
	if ((uint64_t)(at + n) * bs > DISK_LOG_BYTES || ((uint64_t)block + n) * bs > disk_size)
		return E_RANGE;
	uint8_t *d = disk + (uint64_t)block * bs, *l = log_buffer + (uint64_t)at * bs;
	if (label == BLK_WRITE)
		memcpy(d, l, (uint64_t)n * bs);
	else
		memcpy(l, d, (uint64_t)n * bs);
	return E_OK;
}

enum err disk_read_raw(uint64_t offset, void *buf, uint32_t len)
{
	if (offset + len > disk_size)
		return E_CORRUPT;
	memcpy(buf, disk + offset, len);
	return E_OK;
}

uint8_t *bread(uint32_t block, enum err *e)
{
	if ((uint64_t)block * bs + bs > disk_size) {
		*e = E_CORRUPT;
		return NULL;
	}
	*e = E_OK;
	return disk + (uint64_t)block * bs;
}

enum err bzero_new(uint32_t block)
{
	enum err e;
	uint8_t *b = bread(block, &e);
	if (b)
		memset(b, 0, bs);
	return e;
}

static void walk(const char *dir, int depth)
{
	uint32_t ino, child, len;
	uint64_t pos = 0;
	uint8_t type;
	char name[FS_NAME_MAX + 1], path[FS_PATH_MAX + 1];
	if (depth > 4 || path_lookup(dir, &ino))
		return;
	for (int n = 0; n < 64 && !dir_next(ino, &pos, &child, &type, name, &len) && len; n++) {
		struct inode in;
		name[len] = 0;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		snprintf(path, sizeof path, "%s/%s", strcmp(dir, "/") ? dir : "", name);
		if (path_lookup(path, &child) || inode_read(child, &in))
			continue;
		if (is_dir(&in)) {
			walk(path, depth + 1);
		} else {
			static uint8_t buf[8192];
			uint32_t got;
			file_read(child, &in, 0, buf, sizeof buf, &got);
			file_read(child, &in, 70000, buf, 100, &got);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t ino;
	struct inode in;
	disk_size = size < MAX_DISK ? size : MAX_DISK;
	memcpy(disk, data, disk_size);
	memset(&fs, 0, sizeof fs);
	bs = 1024;
	struct mount_report m;
	if (ext2_mount(&m))
		return 0;
	walk("/", 0);
	/* change it as a client would */
	if (!fs_create("/new", &ino) && !inode_read(ino, &in)) {
		file_write(ino, &in, 5000, data, size < 3000 ? (uint32_t)size : 3000);
		truncate_blocks(ino, &in, 100);
	}
	fs_mkdir("/dir");
	/* no file is open here, so each orphan goes at once, as the server's
	 * last close would free it */
	uint32_t orphan = 0;
	if (!fs_rename("/new", "/dir/moved", &orphan) && orphan)
		inode_release(orphan);
	orphan = 0;
	if (!fs_unlink("/dir/moved", &orphan) && orphan)
		inode_release(orphan);
	orphan = 0;
	if (!fs_rmdir("/dir", &orphan) && orphan)
		inode_release(orphan);
	return 0;
}
