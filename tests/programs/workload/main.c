/* The storage workload of a fault campaign (docs/campaigns.md): it keeps
 * SLOTS files on the disk rewritten with seeded content while faults land
 * in the driver or the file server, and prints a record of every write it
 * starts and every one that a sync acknowledged, so the host can check the
 * disk at the end (tools/campaign.py, with debugfs). After each write it
 * reads back the file it wrote, an older one (by then mostly out of the
 * file server's cache, so through the driver) and a file the host made
 * (/campaign.ref), and reports every wrong byte. An error from the file
 * server is reported and the write done again from the start.
 *
 * Lines (one record each; the host parses them):
 *   workload: write SLOT GEN SIZE SEED     about to write /cw/SLOT
 *   workload: synced SLOT GEN              fs_sync acknowledged it
 *   workload: error OP PATH: ERR           the file server said no
 *   workload: wrong bytes in PATH at OFF   a read gave bytes never written
 * The first two are written straight to the console and retried until
 * it takes them; the others go through stdio. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "file.h"

#define SLOTS 8
#define MAX_SIZE (96u << 10)
#define CHUNK 4096
#define REF_PATH "/campaign.ref"
#define REF_SIZE (768u << 10)   /* more than the file server caches (512 KiB) */
#define REF_SEED 12345
#define RETRIES 200   /* attempts at one write before it is given up */

static struct { uint64_t size, seed, gen; int acked; } slot[SLOTS];
static uint8_t buf[CHUNK], want[CHUNK];

/* The bytes `write FILE SIZE SEED` makes in the shell: the host's
 * tools/campaign.py makes the same. */
static void fill(uint8_t *out, uint64_t n, uint64_t *state)
{
	for (uint64_t i = 0; i < n; i++) {
		*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
		out[i] = (uint8_t)(*state >> 56);
	}
}

static uint64_t rng = 0x853c49e6748fea9bULL;
static uint64_t next(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng >> 11;
}

/* A record the host's disk check rests on: it is on the console before
 * the workload goes on, however long the console is away (a lost "write"
 * record would make the host expect the older content). */
static void record(const char *fmt, ...)
{
	char line[120];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	while (n > 0 && console_write(line, (uint64_t)n) != E_OK)
		sleep_ms(1);
}

static void path_of(int s, char *p) { snprintf(p, 16, "/cw/%d", s); }

static enum err report(const char *op, const char *path, int64_t r)
{
	if (r >= 0)
		return E_OK;
	printf("workload: error %s %s: %s\n", op, path, err_name((uint64_t)-r));
	return (enum err)-r;
}

static enum err write_file(const char *path, uint64_t size, uint64_t seed)
{
	int64_t fd = fs_open(path, FS_O_CREAT | FS_O_WRITE | FS_O_TRUNC);
	if (report("open", path, fd))
		return E_IO;
	uint64_t state = seed;
	enum err e = E_OK;
	for (uint64_t off = 0; off < size && !e; off += CHUNK) {
		uint64_t n = size - off < CHUNK ? size - off : CHUNK;
		fill(buf, n, &state);
		int64_t w = fs_write(fd, buf, n);
		e = report("write", path, w < 0 ? w : (uint64_t)w == n ? 0 : -(int64_t)E_IO);
	}
	fs_close(fd);
	return e ? e : report("sync", path, -(int64_t)fs_sync());
}

/* Reads `path` whole and compares it with what (size, seed) makes. */
static void verify(const char *path, uint64_t size, uint64_t seed)
{
	int64_t fd = fs_open(path, 0);
	if (report("open", path, fd))
		return;
	uint64_t state = seed;
	for (uint64_t off = 0; off < size; off += CHUNK) {
		uint64_t n = size - off < CHUNK ? size - off : CHUNK;
		fill(want, n, &state);
		int64_t r = fs_read(fd, buf, n);
		if (report("read", path, r))
			break;
		if ((uint64_t)r != n || memcmp(buf, want, n)) {
			uint64_t at = 0;
			while (at < (uint64_t)r && at < n && buf[at] == want[at])
				at++;
			printf("workload: wrong bytes in %s at %llu\n", path, (unsigned long long)(off + at));
			break;
		}
	}
	fs_close(fd);
}

/* One round: slot s gets new content, written until a sync acknowledges
 * it, then it, an older slot and the host's file are read back. */
static void round_of(int s)
{
	char path[16], other[16];
	path_of(s, path);
	slot[s].size = 1 + next() % MAX_SIZE;
	slot[s].seed = next();
	slot[s].gen++;
	slot[s].acked = 0;
	record("workload: write %d %llu %llu %llu\n", s, (unsigned long long)slot[s].gen,
	       (unsigned long long)slot[s].size, (unsigned long long)slot[s].seed);
	for (int tries = 0; tries < RETRIES && !slot[s].acked; tries++)
		if (write_file(path, slot[s].size, slot[s].seed) == E_OK)
			slot[s].acked = 1;
		else
			sleep_ms(2);
	if (!slot[s].acked)
		return;
	record("workload: synced %d %llu\n", s, (unsigned long long)slot[s].gen);
	verify(path, slot[s].size, slot[s].seed);
	int o = (s + SLOTS / 2) % SLOTS;
	if (slot[o].acked) {
		path_of(o, other);
		verify(other, slot[o].size, slot[o].seed);
	}
	verify(REF_PATH, REF_SIZE, REF_SEED);
}

int main(uint64_t id)
{
	(void)id;
	enum err e = fs_mkdir("/cw");
	if (e && e != E_EXISTS)
		printf("workload: error mkdir /cw: %s\n", err_name(e));
	printf("workload: start, %d files\n", SLOTS);
	for (uint64_t r = 0;; r++)
		round_of((int)(r % SLOTS));
}
