/* The shell's file commands, on the file server through libsys. */
#include "shell.h"

char cwd[FS_PATH_MAX + 1] = "/";

static int report(const char *cmd, const char *what, enum err e)
{
	printf("%s: %s: %s\n", cmd, what, err_name(e));
	return 1;
}

int resolve(const char *cmd, const char *arg, char out[FS_PATH_MAX + 1])
{
	enum err e = path_join(cwd, arg, out);
	if (e) {
		report(cmd, arg, e);
		return -1;
	}
	return 0;
}

static int usage(const char *text)
{
	printf("usage: %s\n", text);
	return 1;
}

static const char *type_char(uint64_t type) { return type == FS_TYPE_DIR ? "d" : type == FS_TYPE_FILE ? "-" : "?"; }

static void ls_long(const char *dir, const char *name)
{
	char path[FS_PATH_MAX + 1];
	struct fs_stat st;
	if (snprintf(path, sizeof path, "%s/%s", strcmp(dir, "/") ? dir : "", name) >= (int)sizeof path ||
	    fs_stat(path, &st)) {
		printf("?          ? %s\n", name);
		return;
	}
	printf("%s%04llo %3llu %10llu %s\n", type_char(st.type), (unsigned long long)st.mode,
	       (unsigned long long)st.links, (unsigned long long)st.size, name);
}

int cmd_ls(int argc, char **argv)
{
	char path[FS_PATH_MAX + 1], name[FS_NAME_MAX + 1];
	int lng = argc > 1 && !strcmp(argv[1], "-l");
	const char *arg = argc > 1 + lng ? argv[1 + lng] : ".";
	struct fs_stat st;
	enum err e;
	if (argc > 2 + lng)
		return usage("ls [-l] [PATH]");
	if (resolve("ls", arg, path))
		return 1;
	if ((e = fs_stat(path, &st)))
		return report("ls", arg, e);
	if (st.type != FS_TYPE_DIR) {
		printf("%s\n", arg);
		return 0;
	}
	int64_t fd = fs_open(path, 0);
	if (fd < 0)
		return report("ls", arg, (enum err)-fd);
	for (;;) {
		uint64_t ino, type;
		if ((e = fs_readdir(fd, &ino, &type, name)))
			break;
		if (!name[0])
			break;
		if (lng)
			ls_long(path, name);
		else
			printf("%s\n", name);
	}
	fs_close(fd);
	return e ? report("ls", arg, e) : 0;
}

/* cat goes through picolibc's stdio, as any program's file reading would. */
int cmd_cat(int argc, char **argv)
{
	char path[FS_PATH_MAX + 1], buf[FS_DATA_MAX];
	int status = 0;
	if (argc < 2)
		return usage("cat FILE...");
	for (int i = 1; i < argc; i++) {
		size_t n;
		if (resolve("cat", argv[i], path))
			return 1;
		file_error_reset();   /* stdio may see a failed read as the end */
		FILE *f = fopen(path, "r");
		if (!f) {
			status = report("cat", argv[i], file_error());
			continue;
		}
		while ((n = fread(buf, 1, sizeof buf, f)) > 0)
			fwrite(buf, 1, n, stdout);
		if (ferror(f) || file_error())
			status = report("cat", argv[i], file_error() ? file_error() : E_IO);
		fclose(f);
	}
	return status;
}

/* echo's > and >> go through fopen and fprintf. */
int write_text(const char *path_arg, const char *text, int append)
{
	char path[FS_PATH_MAX + 1];
	if (resolve("echo", path_arg, path))
		return 1;
	FILE *f = fopen(path, append ? "a" : "w");
	if (!f)
		return report("echo", path_arg, file_error());
	int bad = fprintf(f, "%s", text) < 0;
	bad |= fclose(f) != 0;
	return bad ? report("echo", path_arg, file_error()) : 0;
}

/* Deterministic content: the tests compute the same bytes on the host. */
static uint8_t next_byte(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint8_t)(*state >> 56);
}

int cmd_write(int argc, char **argv)
{
	char path[FS_PATH_MAX + 1];
	static uint8_t buf[4096];
	uint64_t size, seed;
	if (argc != 4 || parse_number(argv[2], &size) || parse_number(argv[3], &seed))
		return usage("write FILE SIZE SEED");
	if (resolve("write", argv[1], path))
		return 1;
	int64_t fd = fs_open(path, FS_O_CREAT | FS_O_WRITE | FS_O_TRUNC);
	if (fd < 0)
		return report("write", argv[1], (enum err)-fd);
	for (uint64_t done = 0; done < size;) {
		uint64_t n = size - done < sizeof buf ? size - done : sizeof buf;
		for (uint64_t i = 0; i < n; i++)
			buf[i] = next_byte(&seed);
		int64_t k = fs_write(fd, buf, n);
		if (k < 0 || (uint64_t)k != n) {
			fs_close(fd);
			return report("write", argv[1], k < 0 ? (enum err)-k : E_NO_SPACE);
		}
		done += n;
	}
	fs_close(fd);
	return 0;
}

/* The POSIX cksum CRC: polynomial 0x04C11DB7, the length folded in. */
static uint32_t crc_step(uint32_t crc, uint8_t byte)
{
	crc ^= (uint32_t)byte << 24;
	for (int i = 0; i < 8; i++)
		crc = crc & 0x80000000u ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
	return crc;
}

/* cksum and cp move COPY_CHUNK bytes a call: more than a message holds, so
 * through a lease, and not a multiple of any block size. */
#define COPY_CHUNK 5000

int cmd_cksum(int argc, char **argv)
{
	static char buf[COPY_CHUNK];
	char path[FS_PATH_MAX + 1];
	int status = 0;
	if (argc < 2)
		return usage("cksum FILE...");
	for (int a = 1; a < argc; a++) {
		uint32_t crc = 0;
		uint64_t size = 0;
		int64_t fd, n;
		if (resolve("cksum", argv[a], path))
			return 1;
		if ((fd = fs_open(path, 0)) < 0) {
			status = report("cksum", argv[a], (enum err)-fd);
			continue;
		}
		while ((n = fs_read(fd, buf, sizeof buf)) > 0) {
			for (int64_t i = 0; i < n; i++)
				crc = crc_step(crc, (uint8_t)buf[i]);
			size += (uint64_t)n;
		}
		fs_close(fd);
		if (n < 0) {
			status = report("cksum", argv[a], (enum err)-n);
			continue;
		}
		for (uint64_t len = size; len; len >>= 8)
			crc = crc_step(crc, (uint8_t)len);
		printf("%lu %llu %s\n", (unsigned long)~crc, (unsigned long long)size, argv[a]);
	}
	return status;
}

/* The destination of cp and mv: into DST if it is a directory. */
static int target(const char *cmd, const char *src, const char *dst, char out[FS_PATH_MAX + 1])
{
	struct fs_stat st;
	if (resolve(cmd, dst, out))
		return -1;
	if (fs_stat(out, &st) == E_OK && st.type == FS_TYPE_DIR) {
		const char *base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
		size_t n = strlen(out);
		if (n + 1 + strlen(base) > FS_PATH_MAX) {
			report(cmd, dst, E_NAME_TOO_LONG);
			return -1;
		}
		snprintf(out + n, FS_PATH_MAX + 1 - n, "%s%s", n > 1 ? "/" : "", base);
	}
	return 0;
}

int cmd_cp(int argc, char **argv)
{
	static char buf[COPY_CHUNK];
	char from[FS_PATH_MAX + 1], to[FS_PATH_MAX + 1];
	if (argc != 3)
		return usage("cp SRC DST");
	if (resolve("cp", argv[1], from) || target("cp", argv[1], argv[2], to))
		return 1;
	int64_t in = fs_open(from, 0), out, n;
	if (in < 0)
		return report("cp", argv[1], (enum err)-in);
	if ((out = fs_open(to, FS_O_CREAT | FS_O_WRITE | FS_O_TRUNC)) < 0) {
		fs_close(in);
		return report("cp", argv[2], (enum err)-out);
	}
	int status = 0;
	while ((n = fs_read(in, buf, sizeof buf)) > 0) {
		int64_t k = fs_write(out, buf, (uint64_t)n);
		if (k != n) {
			status = report("cp", argv[2], k < 0 ? (enum err)-k : E_NO_SPACE);
			break;
		}
	}
	if (n < 0)
		status = report("cp", argv[1], (enum err)-n);
	fs_close(in);
	fs_close(out);
	return status;
}

int cmd_mv(int argc, char **argv)
{
	char from[FS_PATH_MAX + 1], to[FS_PATH_MAX + 1];
	if (argc != 3)
		return usage("mv SRC DST");
	if (resolve("mv", argv[1], from) || target("mv", argv[1], argv[2], to))
		return 1;
	enum err e = fs_rename(from, to);
	return e ? report("mv", argv[1], e) : 0;
}

static int each_path(int argc, char **argv, const char *cmd, enum err (*op)(const char *))
{
	char path[FS_PATH_MAX + 1];
	int status = 0;
	if (argc < 2) {
		printf("usage: %s PATH...\n", cmd);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		enum err e;
		if (resolve(cmd, argv[i], path))
			return 1;
		if ((e = op(path)))
			status = report(cmd, argv[i], e);
	}
	return status;
}

int cmd_rm(int argc, char **argv) { return each_path(argc, argv, "rm", fs_unlink); }
int cmd_mkdir(int argc, char **argv) { return each_path(argc, argv, "mkdir", fs_mkdir); }
int cmd_rmdir(int argc, char **argv) { return each_path(argc, argv, "rmdir", fs_rmdir); }

int cmd_stat(int argc, char **argv)
{
	char path[FS_PATH_MAX + 1];
	struct fs_stat st;
	if (argc != 2)
		return usage("stat PATH");
	if (resolve("stat", argv[1], path))
		return 1;
	enum err e = fs_stat(path, &st);
	if (e)
		return report("stat", argv[1], e);
	printf("%s: inode %llu, %s, mode %04llo, %llu bytes, %llu links, %llu blocks of 512\n", argv[1],
	       (unsigned long long)st.inode, st.type == FS_TYPE_DIR ? "directory" : "file",
	       (unsigned long long)st.mode, (unsigned long long)st.size, (unsigned long long)st.links,
	       (unsigned long long)st.blocks);
	return 0;
}

int cmd_df(int argc, char **argv)
{
	uint64_t r[FS_STATFS_WORDS];
	(void)argc, (void)argv;
	enum err e = fs_statfs(r);
	if (e)
		return report("df", "/", e);
	printf("block size %llu: %llu KiB free of %llu KiB; %llu of %llu inodes free%s\n",
	       (unsigned long long)r[0], (unsigned long long)(r[2] * r[0] / 1024),
	       (unsigned long long)(r[1] * r[0] / 1024), (unsigned long long)r[4], (unsigned long long)r[3],
	       r[5] ? " (read-only)" : "");
	printf("block requests: %llu KiB read, %llu KiB written; %llu files open\n",
	       (unsigned long long)(r[6] / 1024), (unsigned long long)(r[8] / 1024), (unsigned long long)r[12]);
	return 0;
}

int cmd_sync(int argc, char **argv)
{
	(void)argc, (void)argv;
	enum err e = fs_sync();
	return e ? report("sync", "/", e) : 0;
}

int cmd_cd(int argc, char **argv)
{
	char path[FS_PATH_MAX + 1];
	struct fs_stat st;
	if (argc > 2)
		return usage("cd [DIR]");
	if (resolve("cd", argc == 2 ? argv[1] : "/", path))
		return 1;
	enum err e = fs_stat(path, &st);
	if (!e && st.type != FS_TYPE_DIR)
		e = E_NOT_DIRECTORY;
	if (e)
		return report("cd", argc == 2 ? argv[1] : "/", e);
	size_t n = strlen(path);
	if (n > 1 && path[n - 1] == '/')
		path[n - 1] = 0;   /* the directory it named, as pwd shows it */
	strcpy(cwd, path);
	return 0;
}

int cmd_pwd(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("%s\n", cwd);
	return 0;
}

/* fsbench: a sequential write (and sync), then read, of SIZE bytes in
 * FSBENCH_OP operations. Each pass is timed with rdinstret and rdtime and
 * reported in what they count here (counters.c): instructions per KiB
 * where rdinstret counts instructions (under -icount an upper bound: the
 * disk's waits count too), milliseconds and MB/s where rdtime is
 * wall-clock time, and under -icount the time as guest time. Any error
 * stops it with its name and where, before a figure is computed. */
#define FSBENCH_OP 4096

static uint8_t fsbench_buf[FSBENCH_OP];

/* One pass over the file; *done is how far it got. A short write is the
 * disk filling up (as in cmd_write); a read that ends early, E_RANGE. */
static enum err fsbench_pass(int64_t fd, int writing, uint64_t size, uint64_t *done)
{
	for (*done = 0; *done < size;) {
		uint64_t want = FSBENCH_OP - *done % FSBENCH_OP;
		int64_t k = writing ? fs_write(fd, fsbench_buf, want) : fs_read(fd, fsbench_buf, want);
		if (k < 0)
			return (enum err)-k;
		if (k == 0 || (writing && (uint64_t)k != want))
			return writing ? E_NO_SPACE : E_RANGE;
		*done += (uint64_t)k;
	}
	return E_OK;
}

/* "<ms> ms" for `ticks` of rdtime; returns the microseconds. */
static uint64_t print_ms(uint64_t ticks)
{
	uint64_t us = ticks * 1000000 / libsys_timebase_hz;
	printf("%llu.%03llu ms", (unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
	return us;
}

/* "<ms> ms[, <MB/s> MB/s]" for `ticks` of rdtime over `bytes`: MB/s only
 * where rdtime is wall-clock time. */
static void print_time(uint64_t ticks, uint64_t bytes)
{
	uint64_t us = print_ms(ticks), kbps = us ? bytes * 1000 / us : 0;
	if (counters() & COUNTS_WALL_TIME)
		printf(", %llu.%02llu MB/s", (unsigned long long)(kbps / 1000), (unsigned long long)(kbps % 1000 / 10));
}

static void fsbench_report(const char *op, uint64_t size, uint64_t instret, uint64_t ticks)
{
	printf("fsbench: %s %llu bytes in 4 KiB operations:", op, (unsigned long long)size);
	if (counters() & COUNTS_INSTRUCTIONS)
		printf(" %s%llu instructions/KiB,", instructions_bound(), (unsigned long long)(instret / (size / 1024)));
	printf(" ");
	print_time(ticks, size);
	printf(" (%s)\n", counters_name());
}

/* The block requests the file server made between two FS_STATFS. */
static void fsbench_driver(const uint64_t io0[FS_STATFS_WORDS], const uint64_t io1[FS_STATFS_WORDS])
{
	for (int i = 0; i < 2; i++) {
		uint64_t bytes = io1[6 + 2 * i] - io0[6 + 2 * i], ticks = io1[7 + 2 * i] - io0[7 + 2 * i];
		printf("fsbench: driver %s %llu bytes", i ? "writes" : "reads", (unsigned long long)bytes);
		if (!bytes) {
			printf(" (no requests)\n");
			continue;
		}
		printf(" in ");
		print_time(ticks, bytes);
		printf(" (%s)\n", counters_name());
	}
	/* the write's sync ends in a flush: the host's own sync of the image */
	printf("fsbench: driver flushes %llu in ", (unsigned long long)(io1[10] - io0[10]));
	print_ms(io1[11] - io0[11]);
	printf(" (%s)\n", counters_name());
}

int cmd_fsbench(int argc, char **argv)
{
	uint64_t size, done = 0, t[3], n[3], io0[FS_STATFS_WORDS], io1[FS_STATFS_WORDS];
	const char *path = "/fsbench.tmp", *stage = "statfs";
	enum err e;
	if (argc != 2 || parse_number(argv[1], &size) || size < FSBENCH_OP || size > (64u << 20) || size % FSBENCH_OP)
		return usage("fsbench BYTES (a multiple of 4096, up to 64 MiB)");
	counters();   /* find out now, not in the middle of a timing */
	memset(fsbench_buf, 0x5a, sizeof fsbench_buf);
	if ((e = fs_statfs(io0)))
		return report("fsbench", stage, e);
	int64_t fd = fs_open(path, FS_O_CREAT | FS_O_WRITE | FS_O_TRUNC);
	if (fd < 0)
		return report("fsbench", path, (enum err)-fd);
	stage = "write";
	t[0] = rdtime(), n[0] = rdinstret();
	e = fsbench_pass(fd, 1, size, &done);
	if (!e) {
		stage = "sync";
		e = fs_sync();
	}
	t[1] = rdtime(), n[1] = rdinstret();
	if (!e) {
		int64_t k = fs_seek(fd, 0, 0);
		stage = "seek";
		e = k < 0 ? (enum err)-k : E_OK;
	}
	if (!e) {
		stage = "read";
		e = fsbench_pass(fd, 0, size, &done);
	}
	t[2] = rdtime(), n[2] = rdinstret();
	fs_close(fd);
	fs_unlink(path);
	if (!e) {
		stage = "statfs";
		e = fs_statfs(io1);
	}
	if (e) {
		printf("fsbench: %s of %s stopped at byte %llu of %llu: %s; no figures\n", stage, path,
		       (unsigned long long)done, (unsigned long long)size,
		       e == E_RANGE && !strcmp(stage, "read") ? "the file ended there" : err_name(e));
		return 1;
	}
	fsbench_report("write", size, n[1] - n[0], t[1] - t[0]);
	fsbench_report("read", size, n[2] - n[1], t[2] - t[1]);
	fsbench_driver(io0, io1);
	return 0;
}

/* poke FILE OFFSET TEXT: write TEXT at OFFSET (holes before it stay holes). */
int cmd_poke(int argc, char **argv)
{
	char path[FS_PATH_MAX + 1];
	uint64_t off;
	if (argc != 4 || parse_number(argv[2], &off))
		return usage("poke FILE OFFSET TEXT");
	if (resolve("poke", argv[1], path))
		return 1;
	int64_t fd = fs_open(path, FS_O_CREAT | FS_O_WRITE), k;
	if (fd < 0)
		return report("poke", argv[1], (enum err)-fd);
	if ((k = fs_seek(fd, (int64_t)off, 0)) >= 0)
		k = fs_write(fd, argv[3], strlen(argv[3]));
	fs_close(fd);
	return k < 0 ? report("poke", argv[1], (enum err)-k) : 0;
}

/* peek FILE OFFSET LEN: print LEN bytes from OFFSET, as hex. */
int cmd_peek(int argc, char **argv)
{
	char path[FS_PATH_MAX + 1], buf[FS_DATA_MAX];
	uint64_t off, len;
	if (argc != 4 || parse_number(argv[2], &off) || parse_number(argv[3], &len) || len > sizeof buf)
		return usage("peek FILE OFFSET LEN (LEN <= 496)");
	if (resolve("peek", argv[1], path))
		return 1;
	int64_t fd = fs_open(path, 0), k;
	if (fd < 0)
		return report("peek", argv[1], (enum err)-fd);
	if ((k = fs_seek(fd, (int64_t)off, 0)) >= 0)
		k = fs_read(fd, buf, len);
	fs_close(fd);
	if (k < 0)
		return report("peek", argv[1], (enum err)-k);
	for (int64_t i = 0; i < k; i++)
		printf("%02x", (uint8_t)buf[i]);
	printf("\n");
	return 0;
}
