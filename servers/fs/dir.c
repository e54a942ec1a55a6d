/* Names: directory entries, path walks, and the operations that change
 * the name space (create, mkdir, rmdir, unlink, rename). Every entry is
 * checked (record length, name length) before it is used. */
#include "fs.h"

struct dirent {
	uint32_t inode;
	uint16_t rec_len;
	uint8_t name_len, type;
	char name[];
};

#define ENTRY_LEN(n) ((8u + (n) + 3) & ~3u)

static struct dirent *entry_at(uint8_t *blk, uint32_t off)
{
	if (off + 8 > fs.block_size)
		return NULL;
	struct dirent *d = (struct dirent *)(blk + off);
	if (d->rec_len < 8 || d->rec_len % 4 || off + d->rec_len > fs.block_size || 8u + d->name_len > d->rec_len)
		return NULL;
	return d;
}

static enum err dir_inode(uint32_t dir, struct inode *in)
{
	enum err e = inode_read(dir, in);
	if (e)
		return e;
	if (!is_dir(in))
		return E_NOT_DIRECTORY;
	return in->size % fs.block_size ? E_CORRUPT : E_OK;
}

/* The i-th block of a directory in the cache. Directories have no holes:
 * one means a corrupt inode (and would let a bad size make us walk 4 GiB). */
static uint8_t *dir_block(uint32_t dir, struct inode *in, uint32_t i, uint32_t *b, enum err *e)
{
	if ((*e = bmap(dir, in, i, 0, b)))
		return NULL;
	if (!*b) {
		*e = E_CORRUPT;
		return NULL;
	}
	return bread(*b, e);
}

/* Visit every entry of every block of a directory, in order, until the
 * visitor returns nonzero (then *hit is set). Entries are checked first. */
struct visit {
	const char *name;
	uint32_t len, ino, need;
	uint8_t type;
};
typedef int (*visitor)(uint8_t *blk, uint32_t b, uint32_t off, struct dirent *d, struct dirent *prev,
		       struct visit *v);

static enum err dir_scan(uint32_t dir, struct inode *in, visitor fn, struct visit *v, int *hit)
{
	enum err e;
	*hit = 0;
	for (uint32_t i = 0; i < in->size / fs.block_size; i++) {
		uint32_t b;
		uint8_t *blk = dir_block(dir, in, i, &b, &e);
		if (!blk) {
			if (e)
				return e;
			continue;
		}
		struct dirent *prev = NULL;
		for (uint32_t off = 0; off < fs.block_size;) {
			struct dirent *d = entry_at(blk, off);
			if (!d)
				return E_CORRUPT;
			if (fn(blk, b, off, d, prev, v)) {
				*hit = 1;
				return E_OK;
			}
			prev = d;
			off += d->rec_len;
		}
	}
	return E_OK;
}

static int named(struct dirent *d, const struct visit *v)
{
	return d->inode && d->name_len == v->len && !memcmp(d->name, v->name, v->len);
}

static int match(uint8_t *blk, uint32_t b, uint32_t off, struct dirent *d, struct dirent *prev, struct visit *v)
{
	(void)blk, (void)b, (void)off, (void)prev;
	if (!named(d, v))
		return 0;
	v->ino = d->inode;
	return 1;
}

enum err dir_lookup(uint32_t dir, const char *name, uint32_t len, uint32_t *ino)
{
	struct inode in;
	struct visit v = { name, len, 0, 0, 0 };
	int hit;
	enum err e = dir_inode(dir, &in);
	if (e || (e = dir_scan(dir, &in, match, &v, &hit)))
		return e;
	if (!hit)
		return E_NOT_FOUND;
	if (v.ino > fs.inodes)
		return E_CORRUPT;
	*ino = v.ino;
	return E_OK;
}

/* Does an entry of the block start at off? Positions are only ever ones
 * dir_next handed out; one inside an entry would read a name's bytes as
 * an entry. */
static int entry_starts_at(uint8_t *blk, uint32_t off)
{
	uint32_t at = 0;
	struct dirent *d;
	while (at < off && (d = entry_at(blk, at)))
		at += d->rec_len;
	return at == off;
}

enum err dir_next(uint32_t dir, uint64_t *pos, uint32_t *ino, uint8_t *type, char *name, uint32_t *len)
{
	struct inode in;
	enum err e = dir_inode(dir, &in);
	*len = 0;
	if (e)
		return e;
	while (*pos < in.size) {
		uint32_t b, i = (uint32_t)(*pos / fs.block_size), off = (uint32_t)(*pos % fs.block_size);
		uint8_t *blk = dir_block(dir, &in, i, &b, &e);
		if (!blk) {
			if (e)
				return e;
			*pos = (uint64_t)(i + 1) * fs.block_size;
			continue;
		}
		if (off && !entry_starts_at(blk, off))
			return E_INVALID_ARGUMENT;
		struct dirent *d = entry_at(blk, off);
		if (!d)
			return E_CORRUPT;
		*pos += d->rec_len;
		if (d->inode) {
			*ino = d->inode;
			*type = fs.filetype ? d->type : 0;
			*len = d->name_len;
			memcpy(name, d->name, d->name_len);
			return E_OK;
		}
	}
	return E_OK;
}

/* "/a/b/" names a directory, as in POSIX: a file there is not one. */
static int names_a_dir(const char *path)
{
	size_t n = strlen(path);
	return n > 1 && path[n - 1] == '/';
}

static enum err dir_or_not(const char *path, uint32_t ino)
{
	struct inode in;
	enum err e = names_a_dir(path) ? inode_read(ino, &in) : E_OK;
	return e ? e : names_a_dir(path) && !is_dir(&in) ? E_NOT_DIRECTORY : E_OK;
}

/* Walk an absolute path. */
enum err path_lookup(const char *path, uint32_t *ino)
{
	uint32_t cur = ROOT_INO;
	if (path[0] != '/')
		return E_INVALID_ARGUMENT;
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		const char *s = p;
		while (*p && *p != '/')
			p++;
		if (p == s)
			break;
		if (p - s > FS_NAME_MAX)
			return E_NAME_TOO_LONG;
		enum err e = dir_lookup(cur, s, (uint32_t)(p - s), &cur);
		if (e)
			return e;
	}
	*ino = cur;
	return dir_or_not(path, cur);
}

/* The directory a path's last name is in, and that name. */
enum err path_parent(const char *path, uint32_t *dir, const char **name, uint32_t *name_len)
{
	char parent[FS_PATH_MAX + 1];
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	size_t slash = n;
	while (slash > 0 && path[slash - 1] != '/')
		slash--;
	if (path[0] != '/' || slash == 0 || slash == n)
		return E_INVALID_ARGUMENT;
	*name = path + slash;
	*name_len = (uint32_t)(n - slash);
	if (*name_len > FS_NAME_MAX)
		return E_NAME_TOO_LONG;
	if ((*name_len == 1 && **name == '.') || (*name_len == 2 && !memcmp(*name, "..", 2)))
		return E_INVALID_ARGUMENT;
	memcpy(parent, path, slash);
	parent[slash] = 0;
	return path_lookup(parent, dir);
}

static uint8_t type_of(const struct inode *in) { return is_dir(in) ? FS_TYPE_DIR : FS_TYPE_FILE; }

static void fill_entry(struct dirent *d, uint32_t ino, const char *name, uint32_t len, uint8_t type)
{
	d->inode = ino;
	d->name_len = (uint8_t)len;
	d->type = fs.filetype ? type : 0;
	memcpy(d->name, name, len);
}

/* Directories we change lose their hash index; the linear form stays valid. */
static enum err touch_dir(uint32_t dir, struct inode *in)
{
	in->flags &= ~EXT2_INDEX_FL;
	in->mtime = in->ctime = fs_now();
	return inode_write(dir, in);
}

/* Room for the new entry: the slack after a live entry, or a free one. */
static int place(uint8_t *blk, uint32_t b, uint32_t off, struct dirent *d, struct dirent *prev, struct visit *v)
{
	(void)prev;
	uint32_t used = d->inode ? ENTRY_LEN(d->name_len) : 0;
	if (d->rec_len - used < v->need)
		return 0;
	if (used) {   /* split off the slack */
		struct dirent *n = (struct dirent *)(blk + off + used);
		n->rec_len = (uint16_t)(d->rec_len - used);
		d->rec_len = (uint16_t)used;
		d = n;
	}
	fill_entry(d, v->ino, v->name, v->len, v->type);
	bdirty(b);
	return 1;
}

static enum err add_entry(uint32_t dir, const char *name, uint32_t len, uint32_t ino, uint8_t type)
{
	struct inode in;
	struct visit v = { name, len, ino, ENTRY_LEN(len), type };
	uint32_t b;
	int hit;
	enum err e = dir_inode(dir, &in);
	if (e || (e = dir_scan(dir, &in, place, &v, &hit)))
		return e;
	if (hit)
		return touch_dir(dir, &in);
	/* no room: a new block holding just this entry */
	if ((e = bmap(dir, &in, in.size / fs.block_size, 1, &b))) {
		touch_dir(dir, &in);   /* keep whatever bmap allocated on the record */
		return e;
	}
	uint8_t *blk = bread(b, &e);
	if (!blk)
		return e;
	struct dirent *d = (struct dirent *)blk;
	d->rec_len = (uint16_t)fs.block_size;
	fill_entry(d, ino, name, len, type);
	bdirty(b);
	in.size += fs.block_size;
	return touch_dir(dir, &in);
}

static int unlink_entry(uint8_t *blk, uint32_t b, uint32_t off, struct dirent *d, struct dirent *prev,
			struct visit *v)
{
	(void)blk, (void)off;
	if (!named(d, v))
		return 0;
	if (prev)
		prev->rec_len = (uint16_t)(prev->rec_len + d->rec_len);
	else
		d->inode = 0;
	bdirty(b);
	return 1;
}

static enum err remove_entry(uint32_t dir, const char *name, uint32_t len)
{
	struct inode in;
	struct visit v = { name, len, 0, 0, 0 };
	int hit;
	enum err e = dir_inode(dir, &in);
	if (e || (e = dir_scan(dir, &in, unlink_entry, &v, &hit)))
		return e;
	return hit ? touch_dir(dir, &in) : E_NOT_FOUND;
}

static void new_inode(struct inode *in, uint16_t mode, uint16_t links)
{
	memset(in, 0, sizeof *in);
	in->mode = mode;
	in->links = links;
	in->atime = in->ctime = in->mtime = fs_now();
}

/* A new inode that did not get its name: its blocks and itself go back,
 * marked deleted first so e2fsck agrees with the bitmap. */
static void discard_new(uint32_t ino, struct inode *in)
{
	truncate_blocks(ino, in, 0);
	in->links = 0;
	in->dtime = fs_now();
	inode_write(ino, in);
	inode_free(ino, is_dir(in));
}

enum err fs_create(const char *path, uint32_t *ino)
{
	uint32_t dir, len;
	const char *name;
	struct inode in;
	enum err e = path_parent(path, &dir, &name, &len);
	if (e)
		return e;
	if ((e = dir_lookup(dir, name, len, ino)) != E_NOT_FOUND)
		return e ? e : dir_or_not(path, *ino);
	if (names_a_dir(path))
		return E_IS_DIRECTORY;   /* a new file cannot be a directory */
	if ((e = inode_alloc(dir, 0, ino)))
		return e;
	new_inode(&in, S_IFREG | 0644, 1);
	if ((e = inode_write(*ino, &in)) || (e = add_entry(dir, name, len, *ino, FS_TYPE_FILE)))
		discard_new(*ino, &in);
	return e;
}

enum err fs_mkdir(const char *path)
{
	uint32_t dir, len, ino, b;
	const char *name;
	struct inode in, parent;
	enum err e = path_parent(path, &dir, &name, &len);
	if (e)
		return e;
	if ((e = dir_lookup(dir, name, len, &ino)) != E_NOT_FOUND)
		return e ? e : E_EXISTS;
	if ((e = inode_alloc(dir, 1, &ino)))
		return e;
	new_inode(&in, S_IFDIR | 0755, 2);
	uint8_t *blk;
	if ((e = bmap(ino, &in, 0, 1, &b)) || !(blk = bread(b, &e))) {
		discard_new(ino, &in);
		return e;
	}
	struct dirent *dot = (struct dirent *)blk, *dotdot = (struct dirent *)(blk + 12);
	dot->rec_len = 12;
	fill_entry(dot, ino, ".", 1, FS_TYPE_DIR);
	dotdot->rec_len = (uint16_t)(fs.block_size - 12);
	fill_entry(dotdot, dir, "..", 2, FS_TYPE_DIR);
	bdirty(b);
	in.size = fs.block_size;
	if ((e = inode_write(ino, &in)) || (e = add_entry(dir, name, len, ino, FS_TYPE_DIR))) {
		discard_new(ino, &in);
		return e;
	}
	if ((e = inode_read(dir, &parent)))
		return e;
	parent.links++;
	return inode_write(dir, &parent);
}

/* Drop one link. With the last, the inode becomes an orphan: no name
 * reaches it, but it and its blocks stay until no open file does either
 * (inode_release, called by whoever keeps the open files). */
static enum err unlink_inode(uint32_t ino, struct inode *in, uint32_t *orphan)
{
	if (in->links)
		in->links--;
	if (in->links && !is_dir(in))
		return inode_write(ino, in);
	in->links = 0;
	in->dtime = fs_now();
	*orphan = ino;
	return inode_write(ino, in);
}

static enum err dir_is_empty(uint32_t dir)
{
	uint64_t pos = 0;
	uint32_t ino, len;
	uint8_t type;
	char name[FS_NAME_MAX + 1];
	for (;;) {
		enum err e = dir_next(dir, &pos, &ino, &type, name, &len);
		if (e)
			return e;
		if (!len)
			return E_OK;
		if (!(len == 1 && name[0] == '.') && !(len == 2 && !memcmp(name, "..", 2)))
			return E_NOT_EMPTY;
	}
}

enum err fs_rmdir(const char *path, uint32_t *orphan)
{
	uint32_t dir, len, ino;
	const char *name;
	struct inode in, parent;
	enum err e = path_parent(path, &dir, &name, &len);
	if (e || (e = dir_lookup(dir, name, len, &ino)) || (e = inode_read(ino, &in)))
		return e;
	if (!is_dir(&in))
		return E_NOT_DIRECTORY;
	if ((e = dir_is_empty(ino)) || (e = remove_entry(dir, name, len)) || (e = inode_read(dir, &parent)))
		return e;
	if (parent.links > 2)
		parent.links--;
	if ((e = inode_write(dir, &parent)))
		return e;
	in.links = 1;
	return unlink_inode(ino, &in, orphan);
}

enum err fs_unlink(const char *path, uint32_t *orphan)
{
	uint32_t dir, len, ino;
	const char *name;
	struct inode in;
	enum err e = path_parent(path, &dir, &name, &len);
	if (e || (e = dir_lookup(dir, name, len, &ino)) || (e = inode_read(ino, &in)))
		return e;
	if (is_dir(&in))
		return E_IS_DIRECTORY;
	if (names_a_dir(path))
		return E_NOT_DIRECTORY;
	if ((e = remove_entry(dir, name, len)))
		return e;
	return unlink_inode(ino, &in, orphan);
}

/* Is `dir` the directory `ancestor` or below it? */
static enum err below(uint32_t dir, uint32_t ancestor, int *yes)
{
	for (int depth = 0; depth < 4096; depth++) {
		if (dir == ancestor) {
			*yes = 1;
			return E_OK;
		}
		if (dir == ROOT_INO) {
			*yes = 0;
			return E_OK;
		}
		enum err e = dir_lookup(dir, "..", 2, &dir);
		if (e)
			return e;
	}
	return E_CORRUPT;   /* a loop of ".." entries */
}

static enum err set_dotdot(uint32_t dir, uint32_t parent)
{
	struct inode in;
	uint32_t b;
	enum err e = dir_inode(dir, &in);
	uint8_t *blk;
	if (e || !(blk = dir_block(dir, &in, 0, &b, &e)))
		return e ? e : E_CORRUPT;
	struct dirent *dot = entry_at(blk, 0), *dotdot = dot ? entry_at(blk, dot->rec_len) : NULL;
	if (!dotdot || dotdot->name_len != 2 || memcmp(dotdot->name, "..", 2))
		return E_CORRUPT;
	dotdot->inode = parent;
	bdirty(b);
	return E_OK;
}

static enum err adjust_links(uint32_t ino, int delta)
{
	struct inode in;
	enum err e = inode_read(ino, &in);
	if (e)
		return e;
	in.links = (uint16_t)(in.links + delta);
	return inode_write(ino, &in);
}

enum err fs_rename(const char *from, const char *to, uint32_t *orphan)
{
	uint32_t sdir, slen, ddir, dlen, ino, old;
	const char *sname, *dname;
	struct inode in, target;
	int loop = 0;
	enum err e = path_parent(from, &sdir, &sname, &slen);
	if (e || (e = dir_lookup(sdir, sname, slen, &ino)) || (e = inode_read(ino, &in)) ||
	    (e = path_parent(to, &ddir, &dname, &dlen)))
		return e;
	if (!is_dir(&in) && (names_a_dir(from) || names_a_dir(to)))
		return E_NOT_DIRECTORY;
	if (is_dir(&in) && ((e = below(ddir, ino, &loop)) || loop))
		return e ? e : E_INVALID_ARGUMENT;   /* into itself */
	e = dir_lookup(ddir, dname, dlen, &old);
	if (e == E_OK) {
		if (old == ino)
			return E_OK;
		if ((e = inode_read(old, &target)))
			return e;
		if (is_dir(&target) || is_dir(&in))
			return E_EXISTS;
		if ((e = fs_unlink(to, orphan)))
			return e;
	} else if (e != E_NOT_FOUND) {
		return e;
	}
	if ((e = add_entry(ddir, dname, dlen, ino, type_of(&in))) || (e = remove_entry(sdir, sname, slen)))
		return e;
	if (is_dir(&in) && sdir != ddir) {
		if ((e = set_dotdot(ino, ddir)) || (e = adjust_links(sdir, -1)) || (e = adjust_links(ddir, 1)))
			return e;
	}
	return E_OK;
}
