/* The file system protocol, served by servers/fs (ext2). Paths are
 * absolute ("/a/b"), at most FS_PATH_MAX bytes, packed into message
 * registers after their length; file data travels the same way, at most
 * FS_DATA_MAX bytes a message, or through a lease on the client's buffer
 * (up to FS_LEASE_MAX bytes a call; docs/ipc-designs.md). Each client
 * (badge) has its own open files, closed when it ends. A file removed or
 * renamed over while open stays readable and writable through its open
 * files; its inode and blocks are freed at its last close. */
#ifndef PROTO_FS_H
#define PROTO_FS_H

enum fs_label {
	FS_OPEN = 1,   /* mr0 flags, mr1 path length, mr2.. path -> mr0 fd, mr1 the server's
	                  instance (a number no other instance answers with) */
	FS_CLOSE,      /* mr0 fd */
	FS_READ,       /* mr0 fd, mr1 most bytes -> mr0 length, mr1.. bytes (0: end of file);
	                  with a writable lease of >= mr1 bytes: the bytes go there */
	FS_WRITE,      /* mr0 fd, mr1 length, mr2.. bytes -> mr0 bytes written;
	                  with a readable lease of >= mr1 bytes: the bytes come from there */
	FS_SEEK,       /* mr0 fd, mr1 offset, mr2 whence (0 set, 1 current, 2 end) -> mr0 offset */
	FS_TRUNCATE,   /* mr0 fd, mr1 size */
	FS_FSTAT,      /* mr0 fd -> struct fs_stat in mr0.. */
	FS_STAT,       /* mr0 path length, mr1.. path -> struct fs_stat */
	FS_READDIR,    /* mr0 fd of a directory -> mr0 inode, mr1 type, mr2 name length,
	                  mr3.. name; name length 0 at the end */
	FS_MKDIR,      /* mr0 path length, mr1.. path */
	FS_RMDIR,      /* the same */
	FS_UNLINK,     /* the same */
	FS_RENAME,     /* mr0 old length, mr1 new length, mr2.. old then new */
	FS_SYNC,       /* write every changed block to the disk -> mr0 the server's instance:
	                  not the one that took the caller's writes means they may be lost */
	FS_STATFS,     /* -> mr0 block size, mr1 blocks, mr2 free blocks, mr3 inodes,
	                  mr4 free inodes, mr5 read-only (0/1); the block requests so far:
	                  mr6 bytes read, mr7 rdtime ticks reading, mr8 bytes written,
	                  mr9 ticks writing (the driver's throughput as the server sees it),
	                  mr10 flushes, mr11 ticks flushing; mr12 files open (all clients) */
	FS_FSYNC,      /* mr0 fd, mr1 the instance its open was answered by (0: not known):
	                  the file's writes on the disk, and every change made before them (one
	                  journal commit holds them all, as in Linux's ext3) -> mr0 the instance.
	                  E_RESTARTED if mr1 is another instance: the file's writes went to a
	                  server that died, and may be lost */
};

#define FS_O_CREAT  1
#define FS_O_TRUNC  2
#define FS_O_APPEND 4
#define FS_O_WRITE  8     /* open for writing (else read only) */

#define FS_PATH_MAX 400
#define FS_DATA_MAX ((MSG_MAX_WORDS - 2) * 8)    /* 496 bytes */
#define FS_LEASE_MAX (64u << 10)
#define FS_NAME_MAX 255
#define FS_CLIENT_FILES 16   /* open files a client may have; one more: E_TOO_MANY */

enum fs_type { FS_TYPE_FILE = 1, FS_TYPE_DIR = 2, FS_TYPE_OTHER = 7 };

struct fs_stat {   /* as FS_STAT and FS_FSTAT return it, a word each */
	uint64_t inode, type, mode, size, links, blocks, mtime;
};
#define FS_STAT_WORDS 7
#define FS_STATFS_WORDS 13

#endif
