/* Open files, a table per client (badge), each with its own limit, so no
 * client can use up what another needs. A client's files are closed when
 * it ends: the supervisor signals SUP_CLIENT_GONE_BADGE and we ask which
 * of our clients still run. An inode whose last name went while it was
 * open (an orphan) is freed at its last close, never before: an open file
 * cannot reach another file's data, whatever the inode numbers do. */
#include "files.h"
#include "task.h"
#include "../../include/proto/supervisor.h"

#define CLIENTS 32   /* mm runs at most 32 tasks at a time */

static struct client {
	uint64_t badge;   /* 0: a free record */
	struct ofile files[FS_CLIENT_FILES];
} clients[CLIENTS];

static struct client *client_of(uint64_t badge)
{
	for (unsigned i = 0; i < CLIENTS; i++)
		if (badge && clients[i].badge == badge)
			return &clients[i];
	return NULL;
}

struct ofile *file_of(uint64_t client, uint64_t fd)
{
	struct client *c = client_of(client);
	if (!c || fd < 1 || fd > FS_CLIENT_FILES || !c->files[fd - 1].used)
		return NULL;
	return &c->files[fd - 1];
}

int file_is_open(uint32_t ino)
{
	for (unsigned i = 0; i < CLIENTS; i++)
		for (unsigned k = 0; clients[i].badge && k < FS_CLIENT_FILES; k++)
			if (clients[i].files[k].used && clients[i].files[k].ino == ino)
				return 1;
	return 0;
}

/* Still open: on the disk's orphan list, so that it is freed at the next
 * mount if we stop before its last close. */
void file_orphaned(uint32_t ino)
{
	if (ino && !file_is_open(ino))
		inode_release(ino);
	else if (ino)
		orphan_add(ino);
}

/* An orphan's blocks go back with its last open file. A failed release
 * leaves the inode allocated with no name: e2fsck finds it, nothing else. */
void file_close(struct ofile *f)
{
	struct inode in;
	f->used = 0;
	if (!file_is_open(f->ino) && inode_read(f->ino, &in) == E_OK && !in.links)
		inode_release(f->ino);
}

static void client_drop(struct client *c)
{
	for (unsigned k = 0; k < FS_CLIENT_FILES; k++)
		if (c->files[k].used)
			file_close(&c->files[k]);
	c->badge = 0;
}

/* The clients the supervisor says have ended: their files closed, their
 * records free. A client it does not know (no supervisor) is kept. */
void files_sweep(void)
{
	for (unsigned i = 0; i < CLIENTS; i++) {
		if (!clients[i].badge)
			continue;
		enum err e = INVOKE(task.supervisor, SUP_CLIENT_RUNNING, clients[i].badge);
		if (e == E_NOT_FOUND)
			client_drop(&clients[i]);
	}
}

static struct client *client_new(uint64_t badge)
{
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < CLIENTS; i++)
			if (!clients[i].badge) {
				memset(&clients[i], 0, sizeof clients[i]);
				clients[i].badge = badge;
				return &clients[i];
			}
		files_sweep();   /* a death we were not told of */
	}
	return NULL;
}

enum err file_new(uint64_t client, struct ofile **f, uint64_t *fd)
{
	struct client *c = client_of(client);
	if (!c && !(c = client_new(client)))
		return E_NOT_ENOUGH_MEMORY;
	for (unsigned k = 0; k < FS_CLIENT_FILES; k++)
		if (!c->files[k].used) {
			*f = &c->files[k];
			*fd = k + 1;
			return E_OK;
		}
	return E_TOO_MANY;
}

uint64_t files_open(void)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < CLIENTS; i++)
		for (unsigned k = 0; clients[i].badge && k < FS_CLIENT_FILES; k++)
			n += clients[i].files[k].used != 0;
	return n;
}
