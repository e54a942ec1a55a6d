/* files.c: the open files of each client (main.c serves them). */
#ifndef FS_FILES_H
#define FS_FILES_H

#include "fs.h"

struct ofile {
	int used, writable, append;
	uint64_t pos;
	uint32_t ino;
};

enum err file_new(uint64_t client, struct ofile **f, uint64_t *fd);   /* a free one; E_TOO_MANY */
struct ofile *file_of(uint64_t client, uint64_t fd);                 /* NULL: not the client's */
void file_close(struct ofile *f);
int file_is_open(uint32_t ino);
void file_orphaned(uint32_t ino);   /* its last name went: freed now, or at its last close */
void files_sweep(void);             /* close the files of clients that have ended */
uint64_t files_open(void);          /* open files, all clients */

#endif
