/* A client of fsync (`run fsyncer`): it writes /fsynced and makes it
 * durable with fs_fsync alone, /posix through stdio and POSIX fsync, and
 * checks that a file it does not have gets E_INVALID_ARGUMENT. Then it
 * keeps /after open with unsynced writes, says it is ready and waits for
 * a line: the journal suite cuts the power there (/fsynced and /posix
 * must be on the disk), or crashes the file server and sends the line,
 * and the fsync of /after must then say the server restarted. */
#include <stdio.h>
#include <unistd.h>
#include "file.h"

#define SIZE 20000

static int checks, failed;
static uint8_t data[SIZE];

static void expect(const char *what, int ok)
{
	checks++;
	if (!ok) {
		failed++;
		printf("fsyncer: %s: failed\n", what);
	}
}

/* byte i of a file written with `salt`: the suite makes the same */
static void fill(unsigned salt)
{
	for (unsigned i = 0; i < SIZE; i++)
		data[i] = (uint8_t)(i * 7 + salt);
}

static int64_t written(const char *path, unsigned salt)
{
	fill(salt);
	int64_t fd = fs_open(path, FS_O_CREAT | FS_O_WRITE | FS_O_TRUNC);
	expect(path, fd > 0 && fs_write(fd, data, SIZE) == SIZE);
	return fd;
}

int main(uint64_t id)
{
	(void)id;
	expect("fsync of a file never opened", fs_fsync(9) == E_INVALID_ARGUMENT);
	int64_t fd = written("/fsynced", 3);
	expect("fsync /fsynced", fs_fsync(fd) == E_OK);
	fs_close(fd);
	expect("fsync of a closed file", fs_fsync(fd) == E_INVALID_ARGUMENT);
	FILE *f = fopen("/posix", "w");
	fill(5);
	expect("write /posix", f && fwrite(data, 1, SIZE, f) == SIZE && fflush(f) == 0);
	expect("POSIX fsync /posix", f && fsync(fileno(f)) == 0);
	if (f)
		fclose(f);
	int64_t after = written("/after", 9);
	printf("fsyncer: %d checks, %d failed; ready\n", checks, failed);
	fflush(stdout);
	char line[8];
	fgets(line, sizeof line, stdin);
	enum err first = fs_fsync(after), again = fs_fsync(after);
	printf("fsyncer: fsync of /after: %s, then %s\n", err_name(first), err_name(again));
	return failed ? E_IO : E_OK;
}
