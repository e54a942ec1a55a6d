/* The file server's protocol (include/proto/fs.h): requests from any
 * client that `calls = fs`, each with its own open files (files.c). A
 * malformed request gets an error; so does everything if the disk did not
 * mount. */
#include <stdio.h>
#include "files.h"
#include "task.h"
#include "../../include/proto/supervisor.h"

static enum err mounted;
static uint64_t instance;   /* the time this instance started: no other answers with it */

/* The lease the current request came with (len 0: none), and where its
 * bytes are staged between the block cache and the client. */
static struct { uint64_t len, rights; } lease;
static uint8_t staging[FS_LEASE_MAX];

/* A string of `len` bytes starting at word `first` of the message. */
static enum err get_string(const uint64_t *mr, unsigned msglen, uint64_t len, unsigned first, char *out)
{
	if (len > FS_PATH_MAX)
		return E_NAME_TOO_LONG;
	if (first + (len + 7) / 8 > msglen)
		return E_INVALID_ARGUMENT;
	memcpy(out, (const uint8_t *)&mr[first], len);
	out[len] = 0;
	return strlen(out) == len && len ? E_OK : E_INVALID_ARGUMENT;
}

/* Two strings packed one after the other (FS_RENAME). */
static enum err get_two(const uint64_t *mr, unsigned msglen, char *a, char *b)
{
	uint64_t la = mr[0], lb = mr[1];
	if (la > FS_PATH_MAX || lb > FS_PATH_MAX)
		return E_NAME_TOO_LONG;
	if (2 + (la + lb + 7) / 8 > msglen)
		return E_INVALID_ARGUMENT;
	const char *bytes = (const char *)&mr[2];
	memcpy(a, bytes, la);
	memcpy(b, bytes + la, lb);
	a[la] = b[lb] = 0;
	return strlen(a) == la && strlen(b) == lb && la && lb ? E_OK : E_INVALID_ARGUMENT;
}

static void put_stat(uint32_t ino, const struct inode *in, uint64_t *res)
{
	res[0] = ino;
	res[1] = is_dir(in) ? FS_TYPE_DIR : (in->mode & S_IFMT) == S_IFREG ? FS_TYPE_FILE : FS_TYPE_OTHER;
	res[2] = in->mode & 07777;
	res[3] = in->size | (is_dir(in) ? 0 : (uint64_t)in->size_high << 32);
	res[4] = in->links;
	res[5] = in->blocks;
	res[6] = in->mtime;
}

static enum err do_open(uint64_t client, const uint64_t *mr, unsigned msglen, uint64_t *res)
{
	char path[FS_PATH_MAX + 1];
	uint64_t flags = mr[0];
	uint32_t ino;
	struct inode in;
	enum err e = get_string(mr, msglen, mr[1], 2, path);
	if (e)
		return e;
	if ((flags & ~(uint64_t)(FS_O_CREAT | FS_O_TRUNC | FS_O_APPEND | FS_O_WRITE)))
		return E_INVALID_ARGUMENT;
	struct ofile *f;
	uint64_t fd;
	if ((e = file_new(client, &f, &fd)))
		return e;
	if (flags & FS_O_CREAT)
		e = fs_create(path, &ino);
	else
		e = path_lookup(path, &ino);
	if (e || (e = inode_read(ino, &in)))
		return e;
	if ((flags & FS_O_WRITE) && is_dir(&in))
		return E_IS_DIRECTORY;
	if ((flags & FS_O_WRITE) && fs.read_only)
		return E_READ_ONLY;
	if ((flags & FS_O_TRUNC) && (flags & FS_O_WRITE) && (e = truncate_blocks(ino, &in, 0)))
		return e;
	if ((flags & FS_O_TRUNC) && (flags & FS_O_WRITE) && (e = inode_write(ino, &in)))
		return e;
	*f = (struct ofile){ 1, (flags & FS_O_WRITE) != 0, (flags & FS_O_APPEND) != 0, 0, ino };
	res[0] = fd;
	res[1] = instance;
	return E_OK;
}

static enum err read_to_message(struct ofile *f, struct inode *in, uint64_t want, uint64_t *res, unsigned *nres)
{
	uint32_t got;
	enum err e;
	if (want > FS_DATA_MAX)
		return E_INVALID_ARGUMENT;
	if ((e = file_read(f->ino, in, f->pos, &res[1], (uint32_t)want, &got)))
		return e;
	f->pos += got;
	res[0] = got;
	*nres = 1 + (got + 7) / 8;
	return E_OK;
}

/* The position moves only once the bytes are in the client's buffer. */
static enum err read_to_lease(struct ofile *f, struct inode *in, uint64_t want, uint64_t *res, unsigned *nres)
{
	uint32_t got;
	enum err e;
	if (!(lease.rights & RIGHT_WRITE) || want > lease.len || want > FS_LEASE_MAX)
		return E_INVALID_ARGUMENT;
	if ((e = file_read(f->ino, in, f->pos, staging, (uint32_t)want, &got)) ||
	    (got && (e = sys_lease_copy(0, LEASE_WRITE, 0, staging, got))))
		return e;
	f->pos += got;
	res[0] = got;
	*nres = 1;
	return E_OK;
}

static enum err write_from_message(struct ofile *f, struct inode *in, const uint64_t *mr, unsigned msglen,
				   uint64_t *res, unsigned *nres)
{
	enum err e;
	if (mr[1] > FS_DATA_MAX || 2 + (mr[1] + 7) / 8 > msglen)
		return E_INVALID_ARGUMENT;
	if ((e = file_write(f->ino, in, f->pos, &mr[2], (uint32_t)mr[1])))
		return e;
	f->pos += mr[1];
	res[0] = mr[1];
	*nres = 1;
	return E_OK;
}

/* Nothing is written unless all the bytes came across. */
static enum err write_from_lease(struct ofile *f, struct inode *in, uint64_t len, uint64_t *res, unsigned *nres)
{
	enum err e;
	if (!(lease.rights & RIGHT_READ) || len > lease.len || len > FS_LEASE_MAX)
		return E_INVALID_ARGUMENT;
	if ((len && (e = sys_lease_copy(0, LEASE_READ, 0, staging, len))) ||
	    (e = file_write(f->ino, in, f->pos, staging, (uint32_t)len)))
		return e;
	f->pos += len;
	res[0] = len;
	*nres = 1;
	return E_OK;
}

static enum err do_io(uint64_t label, struct ofile *f, const uint64_t *mr, unsigned msglen, uint64_t *res,
		      unsigned *nres)
{
	struct inode in;
	enum err e = inode_read(f->ino, &in);
	if (e)
		return e;
	uint64_t size = in.size | (is_dir(&in) ? 0 : (uint64_t)in.size_high << 32);
	switch (label) {
	case FS_READ:
		if (is_dir(&in))
			return E_IS_DIRECTORY;
		return lease.len ? read_to_lease(f, &in, mr[1], res, nres) : read_to_message(f, &in, mr[1], res, nres);
	case FS_WRITE:
		if (!f->writable)
			return E_NO_RIGHTS;
		if (f->append)
			f->pos = size;
		return lease.len ? write_from_lease(f, &in, mr[1], res, nres)
				 : write_from_message(f, &in, mr, msglen, res, nres);
	case FS_SEEK: {
		uint64_t base = mr[2] == 0 ? 0 : mr[2] == 1 ? f->pos : mr[2] == 2 ? size : ~0ULL;
		if (base == ~0ULL || (int64_t)(base + mr[1]) < 0)
			return E_INVALID_ARGUMENT;
		f->pos = base + mr[1];
		res[0] = f->pos;
		*nres = 1;
		return E_OK;
	}
	case FS_TRUNCATE:
		if (!f->writable)
			return E_NO_RIGHTS;
		if (mr[1] > size)
			return E_INVALID_ARGUMENT;   /* only shrinking */
		if ((e = truncate_blocks(f->ino, &in, mr[1])))
			return e;
		in.mtime = fs_now();
		return inode_write(f->ino, &in);
	case FS_FSTAT:
		put_stat(f->ino, &in, res);
		*nres = FS_STAT_WORDS;
		return E_OK;
	case FS_READDIR: {
		uint32_t ino, len;
		uint8_t type;
		if (!is_dir(&in))
			return E_NOT_DIRECTORY;
		if ((e = dir_next(f->ino, &f->pos, &ino, &type, (char *)&res[3], &len)))
			return e;
		res[0] = ino;
		res[1] = type;
		res[2] = len;
		*nres = 3 + (len + 7) / 8;
		return E_OK;
	}
	default:
		return E_INVALID_ARGUMENT;
	}
}

/* Requests that change nothing when they fail: one that found the file
 * system corrupt is asked once more, of blocks read from the disk again. */
static int asks_again(uint64_t label)
{
	return label == FS_OPEN || label == FS_STAT || label == FS_READ || label == FS_FSTAT ||
	       label == FS_READDIR || label == FS_STATFS;
}

/* Requests that change names. A file whose last name goes stays while
 * it is open (files.c frees it at its last close). */
static enum err change_names(uint64_t label, const uint64_t *mr, unsigned msglen)
{
	char a[FS_PATH_MAX + 1], b[FS_PATH_MAX + 1];
	uint32_t orphan = 0;
	enum err e = label == FS_RENAME ? get_two(mr, msglen, a, b) : get_string(mr, msglen, mr[0], 1, a);
	if (e)
		return e;
	if (fs.read_only)
		return E_READ_ONLY;
	e = label == FS_MKDIR ? fs_mkdir(a) : label == FS_RMDIR ? fs_rmdir(a, &orphan)
		: label == FS_UNLINK ? fs_unlink(a, &orphan) : fs_rename(a, b, &orphan);
	file_orphaned(orphan);
	return e;
}

static enum err request(uint64_t client, uint64_t label, const uint64_t *mr, unsigned msglen, uint64_t *res,
			unsigned *nres)
{
	char a[FS_PATH_MAX + 1];
	struct ofile *f;
	enum err e;
	uint32_t ino;
	struct inode in;
	if (mounted)
		return mounted;
	switch (label) {
	case FS_OPEN:
		*nres = 2;
		return do_open(client, mr, msglen, res);
	case FS_CLOSE:
		if (!(f = file_of(client, mr[0])))
			return E_INVALID_ARGUMENT;
		file_close(f);
		return E_OK;
	case FS_READ: case FS_WRITE: case FS_SEEK: case FS_TRUNCATE: case FS_FSTAT: case FS_READDIR:
		if (!(f = file_of(client, mr[0])))
			return E_INVALID_ARGUMENT;
		return do_io(label, f, mr, msglen, res, nres);
	case FS_STAT:
		if ((e = get_string(mr, msglen, mr[0], 1, a)) || (e = path_lookup(a, &ino)) || (e = inode_read(ino, &in)))
			return e;
		put_stat(ino, &in, res);
		*nres = FS_STAT_WORDS;
		return E_OK;
	case FS_MKDIR: case FS_RMDIR: case FS_UNLINK: case FS_RENAME:
		return change_names(label, mr, msglen);
	case FS_FSYNC: case FS_SYNC:   /* one commit makes a file's writes durable with all the rest */
		if (label == FS_FSYNC && mr[1] && mr[1] != instance)
			return E_RESTARTED;
		if (label == FS_FSYNC && !file_of(client, mr[0]))
			return E_INVALID_ARGUMENT;
		res[0] = instance;
		*nres = 1;
		return fs.read_only ? E_OK : disk_sync();
	case FS_STATFS:
		res[0] = fs.block_size;
		res[1] = fs.blocks;
		res[2] = fs.free_blocks;
		res[3] = fs.inodes;
		res[4] = fs.free_inodes;
		res[5] = (uint64_t)fs.read_only;
		disk_stats(&res[6]);
		res[12] = files_open();
		*nres = FS_STATFS_WORDS;
		return E_OK;
	default:
		return E_INVALID_ARGUMENT;
	}
}

int main(uint64_t id)
{
	(void)id;
	uint64_t mr[MSG_MAX_WORDS], res[MSG_MAX_WORDS];
	instance = rdtime() | 1;
	mounted = disk_init(TSLOT_SVC(SVC_BLK));
	if (mounted == E_NOT_FOUND)
		mounted = E_IO;   /* no disk at all */
	struct mount_report m = { 0 };
	uint64_t t0 = rdtime();
	if (!mounted)
		mounted = ext2_mount(&m);
	uint64_t mount_us = (rdtime() - t0) * 1000000 / libsys_timebase_hz;
	if (!mounted && m.unclean)
		printf("fs: the disk was not cleanly unmounted and has no journal: mounted read-only "
		       "(e2fsck it on the host)\n");
	if (!mounted && m.journal)
		printf("fs: %s: %s: mounted read-only\n", m.why, err_name(m.journal));
	if (!mounted && m.replayed[0])
		printf("fs: journal replayed: %u transaction%s, %u block%s; the mount took %llu.%03llu ms\n",
		       m.replayed[0], m.replayed[0] == 1 ? "" : "s", m.replayed[1], m.replayed[1] == 1 ? "" : "s", (unsigned long long)mount_us / 1000,
		       (unsigned long long)mount_us % 1000);
	unsigned orphans = 0;
	enum err oe = mounted ? E_OK : orphans_release(&orphans);
	if (!mounted)
		journal_request_done();
	if (!mounted && (oe || orphans))
		printf("fs: files removed while open when the file server last stopped: %u freed%s%s\n", orphans,
		       oe ? ", then " : "", oe ? err_name(oe) : "");
	if (mounted)
		printf("fs: no file system: %s\n", err_name(mounted));
	struct sysret r = sys_recv(TSLOT_SERVICE);
	for (;;) {
		if (MSGINFO_LABEL(r.info) == LABEL_NOTIFICATION) {
			if (r.badge & SUP_HEARTBEAT_BADGE)
				heartbeat_answer();
			if (r.badge & SUP_CLIENT_GONE_BADGE) {
				files_sweep();
				journal_request_done();
			}
			r = sys_recv(TSLOT_SERVICE);
			continue;
		}
		unsigned len = MSGINFO_LEN(r.info), nres = 0;
		lease.len = r.info & MSGINFO_LEASE ? __ipcbuf->lease_len : 0;
		lease.rights = __ipcbuf->lease_rights;
		memset(mr, 0, sizeof mr);
		for (unsigned i = 0; i < len && i < MSG_MAX_WORDS; i++)
			mr[i] = i < MSG_REG_COUNT ? r.mr[i] : __ipcbuf->mr[i];
		enum err e = request(r.badge, MSGINFO_LABEL(r.info), mr, len, res, &nres);
		if (e == E_CORRUPT && asks_again(MSGINFO_LABEL(r.info)) && disk_forget_clean()) {
			nres = 0;
			if (!(e = request(r.badge, MSGINFO_LABEL(r.info), mr, len, res, &nres)))
				printf("fs: a block that failed its checks was read again, and was good\n");
		}
		if (e)
			nres = 0;
		journal_request_done();
		for (unsigned i = MSG_REG_COUNT; i < nres; i++)
			__ipcbuf->mr[i] = res[i];
		r = sys_replyrecv(TSLOT_SERVICE, MSGINFO(e, 0, nres), res[0], res[1], res[2], res[3]);
	}
}
