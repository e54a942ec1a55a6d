/* A hostile client of the file server (run on demand: `run fsprobe`).
 * It sends read and write requests whose leases are wrong — the wrong
 * right, shorter than asked, longer than the protocol allows, over
 * memory that is not mapped — and checks that each gets an error and
 * that the file and the file position are as if it had not been sent.
 * Prints what it checked; exits 0 if all held, E_IO if not. */
#include <stdio.h>
#include <string.h>
#include "file.h"

static int checks, failed;

static void expect(const char *what, enum err got, enum err want)
{
	checks++;
	if (got != want) {
		failed++;
		printf("fsprobe: %s: %s, want %s\n", what, err_name(got), err_name(want));
	}
}

static enum err leased(uint64_t label, int64_t fd, uint64_t len, const void *base, uint64_t lent, uint64_t rights)
{
	uint64_t r[MSG_MAX_WORDS];
	unsigned n;
	return invoke_lending(TSLOT_SVC(SVC_FS), label, 2, (uint64_t[]){ (uint64_t)fd, len }, r, &n, base, lent,
			      rights);
}

static uint8_t data[3000], back[3000], big[FS_LEASE_MAX + 8];
#define UNMAPPED ((const void *)0x1000)   /* below every program's image */

int main(uint64_t id)
{
	(void)id;
	const char *path = "/fsprobe.tmp";
	for (unsigned i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 13 + 5);
	int64_t fd = fs_open(path, FS_O_CREAT | FS_O_WRITE | FS_O_TRUNC);
	expect("open", fd < 0 ? (enum err)-fd : E_OK, E_OK);
	expect("write through a good lease", fs_write(fd, data, sizeof data) == sizeof data ? E_OK : E_IO, E_OK);
	expect("seek", fs_seek(fd, 0, 0) == 0 ? E_OK : E_IO, E_OK);

	expect("read into a read-only lease", leased(FS_READ, fd, 100, back, 100, RIGHT_READ), E_INVALID_ARGUMENT);
	expect("read more than lent", leased(FS_READ, fd, 200, back, 100, RIGHT_WRITE), E_INVALID_ARGUMENT);
	expect("read more than FS_LEASE_MAX", leased(FS_READ, fd, FS_LEASE_MAX + 1, big, FS_LEASE_MAX + 1, RIGHT_WRITE),
	       E_INVALID_ARGUMENT);
	expect("read into unmapped memory", leased(FS_READ, fd, 100, UNMAPPED, 100, RIGHT_WRITE), E_BAD_ADDRESS);
	expect("write from a write-only lease", leased(FS_WRITE, fd, 100, data, 100, RIGHT_WRITE), E_INVALID_ARGUMENT);
	expect("write more than lent", leased(FS_WRITE, fd, 200, data, 100, RIGHT_READ), E_INVALID_ARGUMENT);
	expect("write from unmapped memory", leased(FS_WRITE, fd, 100, UNMAPPED, 100, RIGHT_READ), E_BAD_ADDRESS);

	/* none of it moved the position or changed a byte */
	memset(back, 0, sizeof back);
	expect("position unchanged", fs_read(fd, back, sizeof back) == sizeof back ? E_OK : E_IO, E_OK);
	expect("file unchanged", memcmp(back, data, sizeof data) ? E_IO : E_OK, E_OK);
	struct fs_stat st;
	expect("fstat", fs_fstat(fd, &st), E_OK);
	expect("size unchanged", st.size == sizeof data ? E_OK : E_IO, E_OK);
	fs_close(fd);
	expect("unlink", fs_unlink(path), E_OK);
	printf("fsprobe: %d checks, %d failed\n", checks, failed);
	return failed ? E_IO : E_OK;
}
