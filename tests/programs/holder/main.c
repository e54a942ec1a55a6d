/* A second client of the file server (`run holder`), for POSIX file
 * lifetime and per-client limits. It keeps /log2 open while the name goes,
 * writes and syncs /data, then writes on through its old /log2 file: /data
 * must not change and /log2's inode must stay allocated until the close.
 * Then it opens files up to its limit, one more must fail E_TOO_MANY, and
 * it ends with them all open and one more removed-while-open file: the
 * file server must close them and free that inode itself. Prints what it
 * checked; exits 0 if all held, E_IO if not. Also: directory positions
 * inside an entry are refused. */
#include <stdio.h>
#include <string.h>
#include "file.h"

static int checks, failed;

static void expect(const char *what, int ok)
{
	checks++;
	if (!ok) {
		failed++;
		printf("holder: %s: failed\n", what);
	}
}

static uint64_t free_inodes(void)
{
	uint64_t r[FS_STATFS_WORDS];
	return fs_statfs(r) ? 0 : r[4];
}

static uint8_t data[8192], back[8192];

static int64_t make(const char *path)
{
	return fs_open(path, FS_O_CREAT | FS_O_WRITE | FS_O_TRUNC);
}

/* A file whose name goes while it is open keeps its own bytes. */
static void unlinked_keeps_its_data(void)
{
	int64_t log = make("/log2");
	expect("open /log2", log > 0);
	expect("write /log2", fs_write(log, "holder line 0\n", 14) == 14);
	uint64_t inodes = free_inodes();
	expect("remove /log2 while open", fs_unlink("/log2") == E_OK);
	struct fs_stat st;
	expect("/log2 has no name", fs_stat("/log2", &st) == E_NOT_FOUND);
	expect("its inode stays while open", free_inodes() == inodes);
	for (unsigned i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 31 + 7);
	int64_t d = make("/data");
	expect("write /data", d > 0 && fs_write(d, data, sizeof data) == sizeof data);
	expect("sync", fs_sync() == E_OK);
	char line[32];
	for (int i = 1; i <= 200; i++) {
		int n = snprintf(line, sizeof line, "holder line %d\n", i);
		expect("write on through the old /log2", fs_write(log, line, (uint64_t)n) == n);
	}
	expect("sync", fs_sync() == E_OK);
	memset(back, 0, sizeof back);
	expect("read /data back", fs_seek(d, 0, 0) == 0 && fs_read(d, back, sizeof back) == sizeof back);
	expect("/data unchanged", memcmp(back, data, sizeof data) == 0);
	expect("the old /log2 reads back", fs_seek(log, 0, 0) == 0 && fs_read(log, back, 14) == 14 &&
					   memcmp(back, "holder line 0\n", 14) == 0);
	fs_close(d);
	uint64_t open_still = free_inodes();
	fs_close(log);
	expect("its inode freed at the close", free_inodes() == open_still + 1);
}

/* Up to the limit, not one more; the rest is left for the server to
 * close when we end. */
static void limit_then_leave_open(void)
{
	char path[32];
	int opened = 0;
	for (int i = 0; i < FS_CLIENT_FILES + 1; i++) {
		snprintf(path, sizeof path, "/held%d", i % 4);
		int64_t fd = i == FS_CLIENT_FILES - 1 ? make("/gone") : make(path);
		if (i < FS_CLIENT_FILES)
			expect("open up to the limit", fd > 0);
		else
			expect("one more is refused E_TOO_MANY", fd == -(int64_t)E_TOO_MANY);
		opened += fd > 0;
	}
	expect("remove /gone while open", fs_unlink("/gone") == E_OK);
	printf("holder: %d files left open, /gone removed but open\n", opened);
}

/* A directory's positions are the ones readdir hands out: one inside an
 * entry is refused, never read as an entry. */
static void directory_positions(void)
{
	uint64_t ino, type;
	char name[FS_NAME_MAX + 1];
	int64_t dir = fs_open("/", 0);
	expect("open /", dir > 0);
	expect("first entry", fs_readdir(dir, &ino, &type, name) == E_OK && !strcmp(name, "."));
	int64_t second = fs_seek(dir, 0, 1);
	for (int64_t off = 1; off < second + 12; off++) {
		if (off == second)
			continue;
		enum err e = fs_seek(dir, off, 0) == off ? fs_readdir(dir, &ino, &type, name) : E_IO;
		expect("a position inside an entry is refused", e == E_INVALID_ARGUMENT);
	}
	expect("a position handed out reads on",
	       fs_seek(dir, second, 0) == second && fs_readdir(dir, &ino, &type, name) == E_OK && !strcmp(name, ".."));
	fs_close(dir);
}

int main(uint64_t id)
{
	(void)id;
	directory_positions();
	unlinked_keeps_its_data();
	limit_then_leave_open();
	printf("holder: %d checks, %d failed\n", checks, failed);
	return failed ? E_IO : E_OK;
}
