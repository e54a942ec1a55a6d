/* The guest half of a fault campaign (docs/campaigns.md): injects faults
 * one after another into one target task through the supervisor's
 * SUP_INJECT, so that many land in one boot without a round trip to the
 * host for each. Its orders come from /campaign.cfg, which the host writes
 * into the disk image before the boot:
 *   target=NAME first=I count=N seed=S window=MS settle=MS budget=MS types=a,b,...
 * Fault i (first <= i < first + count) has its type and its seed from
 * (S, i) alone (splitmix64, as tools/campaign.py computes them too), so
 * the same seed gives the same faults however the host splits the range
 * over boots and QEMU instances.
 *
 * For each fault it prints "campaign: inject I TYPE seed X" before it
 * injects (the target still works then, even when it is the UART), then
 * watches the target with SUP_TASK_INFO every millisecond: a new
 * instance running means a restart; no change for `window` ms, no visible
 * effect; dead for a second without a restart coming, left dead (the
 * system needs a new boot: it powers off). Then it waits `settle` ms for
 * the workload to go on with the new instance. Its own lines go through
 * the console, retried while the console is being restarted. After
 * `budget` ms (0: none) it stops early, syncs and powers off, so that a
 * boot the host would have to cut off at its time limit ends with the
 * disk synced and the console drained instead (the host's record of
 * acknowledged writes comes through the console, which may be the
 * target); the host puts the faults left into a new boot.
 *
 * With trace=N in its orders (./do.sh campaign --trace-failures) and a
 * kernel built with -Dtrace=true, the kernel traces IPC all along; after
 * each failure detected and the workload going on again, the last N
 * records (the failure and the recovery) go out as "campaign: trace I W0
 * W1 W2 W3" lines, and the ring starts afresh. */
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "file.h"
#include "trace.h"
#include "../../../include/proto/supervisor.h"
/* faultinj.h's enum shares its tag with abi/fault.h's (which task.h
 * brings in); only the enumerators are used here, so the tag is renamed. */
#define fault_type swifi_fault_type
#include "../../../include/proto/faultinj.h"
#undef fault_type

static const char *const type_names[] = { FAULT_TYPE_NAMES };
#define DEAD_MS 200       /* dead this long with no restart coming: left dead */
#define SAY_TRIES 200     /* ms a line waits for the console to come back */
#define PROGRESS_MS 100   /* the longest wait for the workload to go on */
#define WARMUP_MS 2000    /* the longest wait for its first write */

static struct {
	char target[16];
	uint64_t first, count, seed, window, settle, budget, trace;
	int types[FT_COUNT], ntypes;
} cfg = { .window = 40, .settle = 5 };

static uint64_t now_ms(void)
{
	extern uint64_t libsys_timebase_hz;   /* libsys/start.c */
	return rdtime() / (libsys_timebase_hz / 1000);
}

/* A line on the console, tried again while the console server is away. */
static void say(const char *fmt, ...)
{
	char line[200];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	for (int tries = 0; tries < SAY_TRIES && console_write(line, (uint64_t)n) != E_OK; tries++)
		sleep_ms(1);
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int type_by_name(const char *s, size_t len)
{
	for (int t = 1; t < FT_COUNT; t++)
		if (strlen(type_names[t]) == len && !strncmp(type_names[t], s, len))
			return t;
	return 0;
}

static void parse_types(const char *v)
{
	while (*v && *v != ' ' && *v != '\n' && cfg.ntypes < FT_COUNT) {
		size_t len = strcspn(v, ", \n");
		int t = type_by_name(v, len);
		if (t)
			cfg.types[cfg.ntypes++] = t;
		else
			say("campaign: unknown fault type '%.*s' left out", (int)len, v);
		v += len + (v[len] == ',');
	}
}

static void parse_cfg(char *text)
{
	for (char *w = strtok(text, " \n"); w; w = strtok(NULL, " \n")) {
		char *v = strchr(w, '=');
		if (!v)
			continue;
		*v++ = 0;
		if (!strcmp(w, "target"))
			strncpy(cfg.target, v, 15);
		else if (!strcmp(w, "types"))
			parse_types(v);
		else if (!strcmp(w, "first"))
			cfg.first = strtoull(v, 0, 0);
		else if (!strcmp(w, "count"))
			cfg.count = strtoull(v, 0, 0);
		else if (!strcmp(w, "seed"))
			cfg.seed = strtoull(v, 0, 0);
		else if (!strcmp(w, "window"))
			cfg.window = strtoull(v, 0, 0);
		else if (!strcmp(w, "settle"))
			cfg.settle = strtoull(v, 0, 0);
		else if (!strcmp(w, "budget"))
			cfg.budget = strtoull(v, 0, 0);
		else if (!strcmp(w, "trace"))
			cfg.trace = strtoull(v, 0, 0);
	}
}

static enum err read_cfg(void)
{
	static char text[512];
	int64_t fd = fs_open("/campaign.cfg", 0);
	if (fd < 0)
		return (enum err)-fd;
	int64_t n = fs_read(fd, text, sizeof text - 1);
	fs_close(fd);
	if (n < 0)
		return (enum err)-n;
	text[n] = 0;
	parse_cfg(text);
	return cfg.target[0] && cfg.ntypes ? E_OK : E_INVALID_ARGUMENT;
}

/* What SUP_TASK_INFO tells of the target: state, restarts, generation
 * (0 from a supervisor that does not report one). */
struct info { uint64_t state, restarts, generation; };
static uint64_t target_index;

static enum err info_of(uint64_t index, struct info *i, char name[16])
{
	uint64_t r[MSG_MAX_WORDS];
	unsigned n = 0;
	enum err e = invoke(task.supervisor, SUP_TASK_INFO, 1, &index, r, &n);
	if (e)
		return e;
	if (n < 6)
		return E_INVALID_ARGUMENT;
	*i = (struct info){ r[0], r[2], n > 6 ? r[6] : 0 };
	if (name)
		unpack_name(&r[4], name);
	return E_OK;
}

static enum err find_target(void)
{
	struct info i;
	char name[16];
	for (uint64_t k = 0; info_of(k, &i, name) == E_OK; k++)
		if (!strcmp(name, cfg.target)) {
			target_index = k;
			return E_OK;
		}
	return E_NOT_FOUND;
}

/* One SUP_INJECT of fault i: E_OK with its four result words. */
static enum err inject(uint64_t i, int type, uint64_t seed, uint64_t res[4])
{
	uint64_t w[5] = { 0, 0, (uint64_t)type, 1, seed }, r[MSG_MAX_WORDS];
	unsigned n = 0;
	say("campaign: inject %llu %s seed %llu", (unsigned long long)i, type_names[type], (unsigned long long)seed);
	pack_name(cfg.target, w);
	enum err e = invoke(task.supervisor, SUP_INJECT, 5, w, r, &n);
	if (!e && n < 4)
		return E_INVALID_ARGUMENT;   /* not the protocol's reply */
	memcpy(res, r, 4 * sizeof *r);
	return e;
}

enum outcome { OUT_RESTARTED, OUT_NO_EFFECT, OUT_DEAD };

/* Watches the target after fault i until it is restarted, found dead for
 * good, or `window` ms pass with nothing to see. */
static enum outcome watch(const struct info *before, uint64_t t0, uint64_t *ms)
{
	uint64_t dead_since = 0;
	for (;;) {
		struct info i;
		uint64_t t = now_ms();
		*ms = t - t0;
		if (info_of(target_index, &i, 0) == E_OK) {
			int newer = i.restarts > before->restarts || i.generation > before->generation;
			if (newer && i.state == TASK_RUNNING)
				return OUT_RESTARTED;
			if (i.state == TASK_DOWN)
				return OUT_DEAD;
			if (i.state == TASK_RUNNING || i.state == TASK_WAITING)
				dead_since = 0;
			else if (!dead_since)
				dead_since = t;
			else if (t - dead_since >= DEAD_MS)
				return OUT_DEAD;
			if (!dead_since && i.state == TASK_RUNNING && *ms >= cfg.window)
				return OUT_NO_EFFECT;
		}
		sleep_ms(1);
	}
}

/* The file server's count of bytes it asked the driver for: it moves
 * when the workload gets requests through (failed ones included). */
static uint64_t disk_requests(void)
{
	uint64_t r[FS_STATFS_WORDS];
	return fs_statfs(r) == E_OK ? r[6] + r[8] : 0;
}

/* Waits until the workload has had a disk request through, at most
 * `max` ms: the next fault then meets a working system, not one still
 * recovering from the last. */
static void disk_progress(uint64_t max)
{
	uint64_t start = disk_requests(), t0 = now_ms();
	while (disk_requests() == start && now_ms() - t0 < max)
		sleep_ms(1);
}

/* Fault i's type and seed, from the campaign seed and i alone. */
static int fault_of(uint64_t i, uint64_t *seed)
{
	uint64_t x = cfg.seed ^ (i * 0xd1342543de82ef95ULL);
	int type = cfg.types[splitmix(&x) % (uint64_t)cfg.ntypes];
	*seed = splitmix(&x);
	return type;
}

/* A target left dead is started again with SUP_RESTART, so the boot can
 * go on (and its disk be synced at the end); a supervisor without
 * SUP_RESTART leaves that to a new boot. Returns 1 if it runs again. */
static int revive(uint64_t i)
{
	uint64_t w[2];
	pack_name(cfg.target, w);
	enum err e = invoke(task.supervisor, SUP_RESTART, 2, w, 0, 0);
	struct info now;
	for (int ms = 0; !e && ms < DEAD_MS; ms++, sleep_ms(1))
		if (info_of(target_index, &now, 0) == E_OK && now.state == TASK_RUNNING) {
			say("campaign: fault %llu left the target dead; restarted with SUP_RESTART",
			    (unsigned long long)i);
			return 1;
		}
	say("campaign: fault %llu left the target dead; SUP_RESTART: %s", (unsigned long long)i,
	    e ? err_name(e) : "not running");
	return 0;
}

/* One fault: inject, watch, say what happened. Returns 0 when the
 * target is left dead (the boot is over). */
static struct { uint64_t fault, names; int names_only; } dumping;

static int say_record(const uint64_t w[TRACE_RECORD_WORDS], void *ctx)
{
	(void)ctx;
	if (dumping.names_only && (w[2] & 0xff) != TR_NAME)
		return 1;
	dumping.names++;
	say("campaign: trace %llu %llx %llx %llx %llx", (unsigned long long)dumping.fault, (unsigned long long)w[0],
	    (unsigned long long)w[1], (unsigned long long)w[2], (unsigned long long)w[3]);
	return 0;
}

/* The trace around fault i's failure: the names of the threads (the
 * ring's first records), then its last cfg.trace records; then a fresh
 * ring for the next. */
static void trace_failure(uint64_t i)
{
	uint64_t head = 0, from;
	INVOKE0(TSLOT_TRACE, TRACE_STOP);
	dumping.fault = i, dumping.names = 0, dumping.names_only = 1;
	enum err e = trace_records(TSLOT_TRACE, 0, &head, say_record, 0);
	from = head > cfg.trace ? head - cfg.trace : 0;
	dumping.names_only = 0;
	if (!e)
		e = trace_records(TSLOT_TRACE, from > dumping.names ? from : dumping.names, &head, say_record, 0);
	if (e)
		say("campaign: fault %llu trace: %s", (unsigned long long)i, err_name(e));
	INVOKE(TSLOT_TRACE, TRACE_START, TRACE_CLOCK_TIME);
}

static int one_fault(uint64_t i)
{
	static const char *const outcome_names[] = { "restarted", "no-effect", "dead" };
	uint64_t seed, res[4], ms = 0;
	int type = fault_of(i, &seed);
	struct info before;
	if (info_of(target_index, &before, 0))
		return 1;
	uint64_t t0 = now_ms();
	enum err e = inject(i, type, seed, res);
	if (e) {
		say("campaign: fault %llu %s not injected: %s", (unsigned long long)i, type_names[type], err_name(e));
		return 1;
	}
	enum outcome o = watch(&before, t0, &ms);
	say("campaign: fault %llu %s injected %llu at 0x%llx: 0x%llx -> 0x%llx", (unsigned long long)i,
	    type_names[type], (unsigned long long)res[0], (unsigned long long)res[1],
	    (unsigned long long)res[2], (unsigned long long)res[3]);
	say("campaign: fault %llu outcome %s after %llu ms (at %llu ms)", (unsigned long long)i, outcome_names[o],
	    (unsigned long long)ms, (unsigned long long)now_ms());
	if (o == OUT_DEAD && !revive(i))
		return 0;
	disk_progress(PROGRESS_MS);
	if (cfg.trace && o != OUT_NO_EFFECT)
		trace_failure(i);
	sleep_ms(cfg.settle);
	return 1;
}

/* The disk the host checks: all the workload had done, consistent, and
 * /campaign.done saying so (the host reads it there, not on a console
 * that may be the dead target). */
static enum err final_sync(void)
{
	enum err e = fs_sync();
	if (e == E_RESTARTED)   /* told the server restarted since our open: nothing of ours to redo */
		e = fs_sync();
	if (e)
		return e;
	int64_t fd = fs_open("/campaign.done", FS_O_CREAT | FS_O_WRITE | FS_O_TRUNC);
	if (fd < 0)
		return (enum err)-fd;
	int64_t n = fs_write(fd, "synced\n", 7);
	fs_close(fd);
	return n != 7 ? (n < 0 ? (enum err)-n : E_IO) : fs_sync();
}

int main(uint64_t id)
{
	(void)id;
	enum err e = read_cfg();
	if (!e)
		e = find_target();
	if (e) {
		say("campaign: no campaign: /campaign.cfg: %s", err_name(e));
		return (int)e;
	}
	say("campaign: start target %s first %llu count %llu seed %llu window %llu ms", cfg.target,
	    (unsigned long long)cfg.first, (unsigned long long)cfg.count, (unsigned long long)cfg.seed,
	    (unsigned long long)cfg.window);
	if (cfg.trace && (e = INVOKE(TSLOT_TRACE, TRACE_START, TRACE_CLOCK_TIME))) {
		say("campaign: no trace: %s", err_name(e));
		cfg.trace = 0;
	}
	uint64_t w0 = now_ms();   /* the workload under way first */
	while (disk_requests() < (256u << 10) && now_ms() - w0 < WARMUP_MS)
		sleep_ms(5);
	uint64_t i = cfg.first, t0 = now_ms();
	int dead = 0, spent = 0;
	while (i < cfg.first + cfg.count && !spent) {
		if (!one_fault(i)) {
			dead = 1;
			break;
		}
		i++;
		spent = cfg.budget && now_ms() - w0 >= cfg.budget;
	}
	const char *why = dead ? "target left dead" : i < cfg.first + cfg.count ? "time budget spent" : "all injected";
	say("campaign: end after fault %llu of %llu..%llu, %s, %llu ms", (unsigned long long)(i - !dead),
	    (unsigned long long)cfg.first, (unsigned long long)(cfg.first + cfg.count - 1), why,
	    (unsigned long long)(now_ms() - t0));
	e = final_sync();
	say("campaign: final sync: %s", err_name(e));
	sup_power_off();
	return 0;
}
