/* A client that holds a removed file when the machine stops (`run
 * orphaner`): it writes /orphan, removes it while open, syncs, says so,
 * then waits for a line of input. The storage test cuts the power there;
 * the next mount must free the orphan. Given a line, it closes the file
 * and ends, and the file server frees it then. */
#include <stdio.h>
#include "file.h"

static char data[5000];

int main(uint64_t id)
{
	(void)id;
	int64_t fd = fs_open("/orphan", FS_O_CREAT | FS_O_WRITE | FS_O_TRUNC);
	if (fd < 0 || fs_write(fd, data, sizeof data) != sizeof data || fs_unlink("/orphan") || fs_sync()) {
		printf("orphaner: could not make the orphan\n");
		return E_IO;
	}
	printf("orphaner: /orphan removed, still open, synced: ready\n");
	fflush(stdout);
	char line[8];
	fgets(line, sizeof line, stdin);
	fs_close(fd);
	return E_OK;
}
