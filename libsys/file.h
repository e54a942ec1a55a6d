/* Files, for programs that `calls = fs`: client wrappers for the file
 * server (include/proto/fs.h). The POSIX open/read/write/lseek/close in
 * file.c use them too, so picolibc's fopen and fprintf work on files.
 * Calls return 0 or a negative enum err; open and read return counts. */
#ifndef LIBSYS_FILE_H
#define LIBSYS_FILE_H

#include "task.h"
#include "../include/proto/fs.h"

int64_t fs_open(const char *path, uint64_t flags);         /* -> fd */
enum err fs_close(int64_t fd);
int64_t fs_read(int64_t fd, void *buf, uint64_t len);       /* up to len; 0 at the end */
int64_t fs_write(int64_t fd, const void *buf, uint64_t len);
int64_t fs_seek(int64_t fd, int64_t off, int whence);
enum err fs_truncate(int64_t fd, uint64_t size);
enum err fs_fstat(int64_t fd, struct fs_stat *st);
enum err fs_stat(const char *path, struct fs_stat *st);
enum err fs_readdir(int64_t fd, uint64_t *ino, uint64_t *type, char name[FS_NAME_MAX + 1]);   /* name "" at end */
enum err fs_mkdir(const char *path);
enum err fs_rmdir(const char *path);
enum err fs_unlink(const char *path);
enum err fs_rename(const char *from, const char *to);
enum err fs_sync(void);
/* fd's writes durable; E_RESTARTED if the server that took them died */
enum err fs_fsync(int64_t fd);
enum err fs_statfs(uint64_t res[FS_STATFS_WORDS]);   /* see FS_STATFS */

/* The error behind the last failed POSIX call (open, read, ...), which
 * errno can only approximate. */
enum err file_error(void);
void file_error_reset(void);

/* Make `path` absolute against `cwd`, folding "." and ".." and keeping a
 * trailing slash (it says the path names a directory); E_NAME_TOO_LONG if
 * it does not fit in FS_PATH_MAX. */
enum err path_join(const char *cwd, const char *path, char out[FS_PATH_MAX + 1]);

#endif
