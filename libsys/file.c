/* File client wrappers, and the POSIX calls picolibc's stdio builds on. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "file.h"

static cptr_t fs_cap(void) { return TSLOT_SVC(SVC_FS); }

/* A request whose message is `words` with a string packed from word `at`. */
static enum err call_with(uint64_t label, uint64_t *words, unsigned at, const char *s, uint64_t *res,
			  unsigned *nres)
{
	size_t len = strlen(s);
	if (len > FS_PATH_MAX)
		return E_NAME_TOO_LONG;
	memset(&words[at], 0, (len + 8) & ~7ULL);
	memcpy(&words[at], s, len);
	return invoke(fs_cap(), label, at + (unsigned)((len + 7) / 8), words, res, nres);
}

/* The file server instance that answered the last open (0: none yet),
 * and the one that answered the open of each file. */
static uint64_t fs_instance, fd_instance[FS_CLIENT_FILES + 1];

int64_t fs_open(const char *path, uint64_t flags)
{
	uint64_t w[MSG_MAX_WORDS], r[MSG_MAX_WORDS];
	unsigned n = 0;
	w[0] = flags;
	w[1] = strlen(path);
	enum err e = call_with(FS_OPEN, w, 2, path, r, &n);
	if (!e && n >= 2)
		fs_instance = r[1];
	if (!e && n >= 2 && r[0] <= FS_CLIENT_FILES)
		fd_instance[r[0]] = r[1];
	return e ? -(int64_t)e : (int64_t)r[0];
}

enum err fs_close(int64_t fd) { return INVOKE(fs_cap(), FS_CLOSE, (uint64_t)fd); }

/* The kernel's lease copies do not fault pages in: touch each page of a
 * buffer first, so that the pager maps what is not mapped yet. */
static void touch(const void *buf, uint64_t len, int for_writing)
{
	for (uintptr_t a = (uintptr_t)buf, end = a + len; a < end; a = (a | 4095) + 1) {
		volatile uint8_t *p = (volatile uint8_t *)a;
		if (for_writing)
			*p = *p;
		else
			(void)*p;
	}
}

/* More than a message holds goes through a lease on the buffer: one call
 * and one copy, where messages would take a call per 496 bytes. */
static int64_t read_leased(int64_t fd, void *buf, uint64_t len)
{
	uint64_t r[MSG_MAX_WORDS];
	unsigned n = 0;
	if (len > FS_LEASE_MAX)
		len = FS_LEASE_MAX;
	touch(buf, len, 1);
	enum err e = invoke_lending(fs_cap(), FS_READ, 2, (uint64_t[]){ (uint64_t)fd, len }, r, &n, buf, len,
				    RIGHT_WRITE);
	if (e)
		return -(int64_t)e;
	return n < 1 || r[0] > len ? -(int64_t)E_INVALID_ARGUMENT : (int64_t)r[0];
}

static int64_t write_leased(int64_t fd, const void *buf, uint64_t len)
{
	uint64_t r[MSG_MAX_WORDS];
	unsigned n = 0;
	touch(buf, len, 0);
	enum err e = invoke_lending(fs_cap(), FS_WRITE, 2, (uint64_t[]){ (uint64_t)fd, len }, r, &n, buf, len,
				    RIGHT_READ);
	return e ? -(int64_t)e : (int64_t)len;
}

int64_t fs_read(int64_t fd, void *buf, uint64_t len)
{
	uint64_t r[MSG_MAX_WORDS];
	unsigned n = 0;
	if (len > FS_DATA_MAX)
		return read_leased(fd, buf, len);
	enum err e = invoke(fs_cap(), FS_READ, 2, (uint64_t[]){ (uint64_t)fd, len }, r, &n);
	if (e)
		return -(int64_t)e;
	if (n < 1 || r[0] > len || r[0] > (n - 1) * 8)
		return -(int64_t)E_INVALID_ARGUMENT;
	memcpy(buf, &r[1], r[0]);
	return (int64_t)r[0];
}

int64_t fs_write(int64_t fd, const void *buf, uint64_t len)
{
	uint64_t w[MSG_MAX_WORDS], r[MSG_MAX_WORDS];
	unsigned n = 0;
	int64_t done = 0;
	while (len > FS_DATA_MAX) {
		uint64_t k = len < FS_LEASE_MAX ? len : FS_LEASE_MAX;
		int64_t got = write_leased(fd, (const uint8_t *)buf + done, k);
		if (got < 0)
			return done ? done : got;
		done += got;
		len -= k;
	}
	while (len) {
		uint64_t k = len < FS_DATA_MAX ? len : FS_DATA_MAX;
		w[0] = (uint64_t)fd;
		w[1] = k;
		memset(&w[2], 0, (k + 7) & ~7ULL);
		memcpy(&w[2], (const uint8_t *)buf + done, k);
		enum err e = invoke(fs_cap(), FS_WRITE, 2 + (unsigned)((k + 7) / 8), w, r, &n);
		if (e)
			return done ? done : -(int64_t)e;
		done += (int64_t)k;
		len -= k;
	}
	return done;
}

int64_t fs_seek(int64_t fd, int64_t off, int whence)
{
	uint64_t r[MSG_MAX_WORDS];
	unsigned n = 0;
	enum err e = invoke(fs_cap(), FS_SEEK, 3, (uint64_t[]){ (uint64_t)fd, (uint64_t)off, (uint64_t)whence }, r, &n);
	return e ? -(int64_t)e : (int64_t)r[0];
}

enum err fs_truncate(int64_t fd, uint64_t size) { return INVOKE(fs_cap(), FS_TRUNCATE, (uint64_t)fd, size); }

static void to_stat(const uint64_t *r, struct fs_stat *st)
{
	*st = (struct fs_stat){ r[0], r[1], r[2], r[3], r[4], r[5], r[6] };
}

enum err fs_fstat(int64_t fd, struct fs_stat *st)
{
	uint64_t r[MSG_MAX_WORDS];
	unsigned n = 0;
	enum err e = invoke(fs_cap(), FS_FSTAT, 1, (uint64_t[]){ (uint64_t)fd }, r, &n);
	if (!e && n < FS_STAT_WORDS)
		e = E_INVALID_ARGUMENT;
	if (!e)
		to_stat(r, st);
	return e;
}

enum err fs_stat(const char *path, struct fs_stat *st)
{
	uint64_t w[MSG_MAX_WORDS], r[MSG_MAX_WORDS];
	unsigned n = 0;
	w[0] = strlen(path);
	enum err e = call_with(FS_STAT, w, 1, path, r, &n);
	if (!e && n < FS_STAT_WORDS)
		e = E_INVALID_ARGUMENT;
	if (!e)
		to_stat(r, st);
	return e;
}

enum err fs_readdir(int64_t fd, uint64_t *ino, uint64_t *type, char name[FS_NAME_MAX + 1])
{
	uint64_t r[MSG_MAX_WORDS];
	unsigned n = 0;
	enum err e = invoke(fs_cap(), FS_READDIR, 1, (uint64_t[]){ (uint64_t)fd }, r, &n);
	if (!e && (n < 3 || r[2] > FS_NAME_MAX || r[2] > (n - 3) * 8))
		e = E_INVALID_ARGUMENT;
	if (e)
		return e;
	*ino = r[0];
	*type = r[1];
	memcpy(name, &r[3], r[2]);
	name[r[2]] = 0;
	return E_OK;
}

static enum err path_call(uint64_t label, const char *path)
{
	uint64_t w[MSG_MAX_WORDS];
	w[0] = strlen(path);
	return call_with(label, w, 1, path, 0, 0);
}

enum err fs_mkdir(const char *path) { return path_call(FS_MKDIR, path); }
enum err fs_rmdir(const char *path) { return path_call(FS_RMDIR, path); }
enum err fs_unlink(const char *path) { return path_call(FS_UNLINK, path); }

enum err fs_rename(const char *from, const char *to)
{
	uint64_t w[MSG_MAX_WORDS];
	size_t a = strlen(from), b = strlen(to);
	if (a > FS_PATH_MAX || b > FS_PATH_MAX || 2 + (a + b + 7) / 8 > MSG_MAX_WORDS)
		return E_NAME_TOO_LONG;
	w[0] = a;
	w[1] = b;
	memset(&w[2], 0, (a + b + 8) & ~7ULL);
	memcpy((char *)&w[2], from, a);
	memcpy((char *)&w[2] + a, to, b);
	return invoke(fs_cap(), FS_RENAME, 2 + (unsigned)((a + b + 7) / 8), w, 0, 0);
}

/* A sync answered by another instance than the one the files were
 * opened with: the server restarted in between, and what was written
 * through the dead one may be lost. Said once; from then on the new one
 * counts. */
enum err fs_sync(void)
{
	uint64_t r[MSG_MAX_WORDS];
	unsigned n = 0;
	enum err e = invoke(fs_cap(), FS_SYNC, 0, 0, r, &n);
	if (e || n < 1 || !fs_instance || r[0] == fs_instance)
		return e;
	fs_instance = r[0];
	return E_RESTARTED;
}

enum err fs_fsync(int64_t fd)
{
	uint64_t inst = fd >= 1 && fd <= FS_CLIENT_FILES ? fd_instance[fd] : 0;
	return INVOKE(fs_cap(), FS_FSYNC, (uint64_t)fd, inst);
}

enum err fs_statfs(uint64_t res[FS_STATFS_WORDS])
{
	uint64_t r[MSG_MAX_WORDS];
	unsigned n = 0;
	enum err e = invoke(fs_cap(), FS_STATFS, 0, 0, r, &n);
	if (!e && n < FS_STATFS_WORDS)
		e = E_INVALID_ARGUMENT;
	if (!e)
		memcpy(res, r, FS_STATFS_WORDS * sizeof *r);
	return e;
}

enum err path_join(const char *cwd, const char *path, char out[FS_PATH_MAX + 1])
{
	char buf[2 * FS_PATH_MAX + 2];
	size_t n = 0;
	if (path[0] != '/') {
		n = strlen(cwd);
		if (n > FS_PATH_MAX)
			return E_NAME_TOO_LONG;
		memcpy(buf, cwd, n);
		buf[n++] = '/';
	}
	if (strlen(path) > FS_PATH_MAX)
		return E_NAME_TOO_LONG;
	strcpy(buf + n, path);
	/* fold the components into out */
	size_t o = 0;
	for (char *p = buf; *p;) {
		while (*p == '/')
			p++;
		char *s = p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - s);
		if (!len || (len == 1 && s[0] == '.'))
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			while (o > 0 && out[--o] != '/')
				;
			continue;
		}
		if (o + 1 + len > FS_PATH_MAX)
			return E_NAME_TOO_LONG;
		out[o++] = '/';
		memcpy(out + o, s, len);
		o += len;
	}
	/* a trailing slash stays: the file server takes it to name a directory */
	size_t plen = strlen(path);
	if (o > 0 && plen && path[plen - 1] == '/') {
		if (o + 1 > FS_PATH_MAX)
			return E_NAME_TOO_LONG;
		out[o++] = '/';
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = 0;
	return E_OK;
}

/* POSIX for picolibc: file descriptors 3 and up are the file server's. */
#define FD_BASE 2
static enum err last_error;

enum err file_error(void) { return last_error; }
void file_error_reset(void) { last_error = E_OK; }

static int fail(enum err e)
{
	last_error = e;
	errno = e == E_NOT_FOUND ? ENOENT : e == E_NO_SPACE ? ENOSPC : e == E_IS_DIRECTORY ? EISDIR
	      : e == E_NOT_DIRECTORY ? ENOTDIR : e == E_READ_ONLY ? EROFS : EIO;
	return -1;
}

int open(const char *path, int flags, ...)
{
	uint64_t f = 0;
	if ((flags & O_ACCMODE) != O_RDONLY)
		f |= FS_O_WRITE;
	f |= flags & O_CREAT ? FS_O_CREAT : 0;
	f |= flags & O_TRUNC ? FS_O_TRUNC : 0;
	f |= flags & O_APPEND ? FS_O_APPEND : 0;
	int64_t fd = fs_open(path, f);
	return fd < 0 ? fail((enum err)-fd) : (int)(fd + FD_BASE);
}

ssize_t read(int fd, void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		int64_t k = fs_read(fd - FD_BASE, (uint8_t *)buf + done, n - done);
		if (k < 0)
			return done ? (ssize_t)done : fail((enum err)-k);
		if (k == 0)
			break;
		done += (size_t)k;
	}
	return (ssize_t)done;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	int64_t k = fs_write(fd - FD_BASE, buf, n);
	return k < 0 ? fail((enum err)-k) : (ssize_t)k;
}

off_t lseek(int fd, off_t off, int whence)
{
	int64_t k = fs_seek(fd - FD_BASE, off, whence);
	return k < 0 ? fail((enum err)-k) : (off_t)k;
}

int fsync(int fd)
{
	enum err e = fs_fsync(fd - FD_BASE);
	return e ? fail(e) : 0;
}

int close(int fd)
{
	enum err e = fs_close(fd - FD_BASE);
	return e ? fail(e) : 0;
}
