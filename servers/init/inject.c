/* The fault injector (SWIFI, after the Nooks/Rio and MINIX 3 fault
 * models): SUP_INJECT puts `count` faults of one type into a running
 * task the injector may reach (docs/faults.md).
 *
 *   text faults (flip nop operand branch nobranch loop reply): an
 *     instruction is picked from the task's text, read through mm
 *     (MM_PEEK), and a breakpoint written in its place (MM_POKE). When the
 *     task reaches it, handle_fault() asks inject_on_breakpoint(), which
 *     writes the faulty instruction and lets the task go on: it executes
 *     the fault, and we know it was activated.
 *   register faults (register pointer): a bit of a saved register flipped
 *     (TCB_READ/WRITE_REGISTERS; the task keeps running or waiting).
 *   memory faults (data heap stack wild): a word of a mapped page of the
 *     region changed through mm.
 *   exit, crash: the task is stopped and resumed at an ecall set up as its
 *     own SUP_EXIT, or at address 0.
 *
 * Choices come from a splitmix64 generator seeded by the request, so the
 * same seed on the same image makes the same injections. The target
 * cannot see any of it: mm writes through its own mapping of the frame. */
#include <stdarg.h>
#include "init.h"
#include "inject.h"

#define MAX_ARMED 256           /* breakpoints waiting to be reached, all tasks together */
#define MAX_COUNT 64            /* faults one SUP_INJECT may ask for */
#define MAX_TEXT (64 * 1024)    /* the most text we read of a task (init has no heap) */
#define REPLY_WINDOW 12         /* instructions looked at before a send or reply */
#define PAGE_SIZE 4096ULL

static const char *const type_names[FT_COUNT] = { FAULT_TYPE_NAMES };

/* A text fault waiting for the task to reach it. */
struct armed {
	struct stask *t;
	uint64_t id, addr;   /* id: mm's id of the instance it was armed in */
	uint64_t when;       /* order of arming: the oldest goes when the table is full */
	uint32_t old, faulty;
	uint8_t size, type, used;
};
static struct armed armed[MAX_ARMED];
static uint64_t armings;

static struct { uint64_t injected, activated; } stats[MAX_STASKS];

/* One injection: where, the bits before and after. */
struct shot { uint64_t addr, old, new; };

struct rng { uint64_t s; };

static uint64_t rnd(struct rng *g)   /* splitmix64 */
{
	uint64_t z = (g->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *g, uint64_t n) { return n ? rnd(g) % n : 0; }

/* mm's debug access (include/proto/mm.h). */
static enum err peek(const struct stask *t, uint64_t addr, uint64_t bytes, void *out)
{
	uint64_t r[MSG_MAX_WORDS];
	unsigned n = 0;
	enum err e = invoke(task.mm, MM_PEEK, 3, (uint64_t[]){ t->id, addr, bytes }, r, &n);
	if (!e && n < (bytes + 7) / 8)
		e = E_INVALID_ARGUMENT;
	if (!e)
		memcpy(out, r, bytes);
	return e;
}

static enum err poke(const struct stask *t, uint64_t addr, uint64_t bytes, uint64_t value)
{
	return invoke(task.mm, MM_POKE, 4, (uint64_t[]){ t->id, addr, bytes, value }, 0, 0);
}

static enum err region(const struct stask *t, uint64_t kind, uint64_t n, uint64_t res[4])
{
	uint64_t r[MSG_MAX_WORDS];
	unsigned k = 0;
	enum err e = invoke(task.mm, MM_REGION, 3, (uint64_t[]){ t->id, kind, n }, r, &k);
	if (!e && k < 4)
		e = E_INVALID_ARGUMENT;
	if (!e)
		memcpy(res, r, 4 * sizeof *r);
	return e;
}

static enum err read_regs(const struct stask *t, uint64_t regs[32])   /* pc, x1..x31 */
{
	uint64_t r[MSG_MAX_WORDS];
	unsigned n = 0;
	enum err e = invoke(t->tcb, TCB_READ_REGISTERS, 0, 0, r, &n);
	if (!e && n < 32)
		e = E_INVALID_ARGUMENT;
	if (!e)
		memcpy(regs, r, 32 * sizeof *r);
	return e;
}

/* pc, x1 .. x(count - 1); resume: a suspended task runs again. */
static enum err write_regs(const struct stask *t, const uint64_t regs[32], unsigned count, int resume)
{
	uint64_t a[2 + 32] = { (uint64_t)resume, count };
	memcpy(&a[2], regs, count * sizeof *regs);
	return invoke(t->tcb, TCB_WRITE_REGISTERS, 2 + count, a, 0, 0);
}

/* A log line, through the kernel console: the target may be the console
 * driver itself, stopped or waiting on our fault reply. */
static void say(const char *fmt, ...)
{
	char line[200];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fflush(stdout);   /* what we printed before comes first */
	sys_debug_write(INIT_SLOT_SYSTEM, line, n < (int)sizeof line ? (uint64_t)n : sizeof line - 1);
}

static void log_shot(int type, const struct stask *t, const struct shot *s, uint64_t seed, int reg)
{
	char in[8] = "";
	if (reg)
		snprintf(in, sizeof in, " in x%d", reg);
	say("inject: %s into %s at 0x%llx: 0x%llx -> 0x%llx (seed %llu)%s\n", type_names[type], t->name,
	    (unsigned long long)s->addr, (unsigned long long)s->old, (unsigned long long)s->new,
	    (unsigned long long)seed, in);
}

static void log_activation(int type, const struct stask *t, uint64_t addr)
{
	say("inject: activated %s in %s at 0x%llx\n", type_names[type], t->name, (unsigned long long)addr);
}

/* ---- text faults ---- */

struct text { uint64_t start, len; uint8_t *b; };
static uint8_t text_buf[MAX_TEXT];

static enum err read_text(const struct stask *t, struct text *x)
{
	uint64_t r[4];
	enum err e = region(t, MR_TEXT, 0, r);
	if (e)
		return e;
	x->start = r[0];
	x->len = r[1] - r[0];
	if (r[1] <= r[0] || x->len > MAX_TEXT)
		return E_RANGE;
	x->b = text_buf;
	for (uint64_t off = 0; off < x->len && !e; off += MM_PEEK_MAX)
		e = peek(t, x->start + off, x->len - off < MM_PEEK_MAX ? x->len - off : MM_PEEK_MAX, x->b + off);
	return e;
}

/* The instruction at off; 0 (not one) if a 32-bit one runs past the end. */
static uint32_t insn_at(const struct text *x, uint64_t off)
{
	uint32_t i = (uint32_t)x->b[off] | (uint32_t)x->b[off + 1] << 8;
	if (insn_size(i) == 2)
		return i;
	if (off + 4 > x->len)
		return 0;
	return i | (uint32_t)x->b[off + 2] << 16 | (uint32_t)x->b[off + 3] << 24;
}

static int is_send_or_reply(int64_t nr)
{
	return nr == SYS_SEND || nr == SYS_NBSEND || nr == SYS_REPLY || nr == SYS_REPLYRECV;
}

/* At an ecall: the instructions since the last jump (recent, oldest
 * first) that set up a message register (a1 info, a2..a5 mr0..3) as the
 * last write before it, if a7 says it sends or replies. */
static unsigned reply_setups(const struct text *x, const uint32_t *recent, unsigned n, uint32_t *out)
{
	int64_t nr = -1;
	unsigned found = 0;
	uint32_t later = 0;   /* registers written after the instruction looked at */
	for (unsigned k = n; k-- > 0;)   /* the last write of a7 says what the ecall does */
		if (insn_rd(insn_at(x, recent[k])) == 17) {
			if (!insn_sets_a7(insn_at(x, recent[k]), &nr))
				return 0;
			break;
		}
	if (!is_send_or_reply(nr))
		return 0;
	for (unsigned k = n; k-- > 0;) {
		uint32_t i = insn_at(x, recent[k]), f;
		int rd = insn_rd(i);
		if (rd >= 11 && rd <= 15 && !(later & (1u << rd)) && insn_mutate(FT_REPLY, i, 0, &f))
			out[found++] = recent[k];
		if (rd > 0)
			later |= 1u << rd;
	}
	return found;
}

/* How many instructions a fault of `type` may change, and (if want is
 * below that) the offset of the want-th in *off: a linear sweep from the
 * start, in text order (RISC-V text holds no data). */
static unsigned sweep(const struct text *x, int type, uint64_t want, uint32_t *off)
{
	uint32_t recent[REPLY_WINDOW], found[REPLY_WINDOW], f;
	unsigned nrecent = 0, n = 0;
	for (uint64_t o = 0; o + 2 <= x->len; o += insn_size(x->b[o])) {
		uint32_t i = insn_at(x, o);
		if (type != FT_REPLY) {
			if (insn_mutate(type, i, 0, &f) && n++ == want)
				*off = (uint32_t)o;
			continue;
		}
		if (i == INSN_ECALL)
			for (unsigned k = 0, m = reply_setups(x, recent, nrecent, found); k < m; k++)
				if (n++ == want)
					*off = found[k];
		if (i == INSN_ECALL || insn_is_jump(i)) {
			nrecent = 0;
			continue;
		}
		if (nrecent == REPLY_WINDOW)
			memmove(recent, recent + 1, --nrecent * sizeof *recent);
		recent[nrecent++] = (uint32_t)o;
	}
	return n;
}

static struct armed *armed_at(const struct stask *t, uint64_t addr)
{
	for (unsigned k = 0; k < MAX_ARMED; k++)
		if (armed[k].used && armed[k].t == t && armed[k].id == t->id && armed[k].addr == addr)
			return &armed[k];
	return NULL;
}

static int holds_breakpoint(const struct stask *t, const struct armed *a)
{
	uint32_t now = 0;
	return !peek(t, a->addr, a->size, &now) && now == (a->size == 4 ? INSN_EBREAK : INSN_C_EBREAK);
}

/* Forget breakpoints of an instance that ended (a restart loads a pristine
 * image): only those still in the task's memory are waiting. */
static unsigned prune(const struct stask *t)
{
	unsigned left = 0;
	for (unsigned k = 0; k < MAX_ARMED; k++) {
		struct armed *a = &armed[k];
		if (!a->used || a->t != t)
			continue;
		if (a->id != t->id || !holds_breakpoint(t, a))
			a->used = 0;
		else
			left++;
	}
	return left;
}

/* A free entry; when none is, the oldest fault nobody reached is taken
 * out (its instruction put back) to make room: a campaign injects on. */
static struct armed *free_entry(void)
{
	struct armed *oldest = &armed[0];
	for (unsigned k = 0; k < MAX_ARMED; k++) {
		if (!armed[k].used)
			return &armed[k];
		if (armed[k].when < oldest->when)
			oldest = &armed[k];
	}
	if (oldest->t->id == oldest->id && holds_breakpoint(oldest->t, oldest) &&
	    poke(oldest->t, oldest->addr, oldest->size, oldest->old))
		return NULL;
	say("inject: disarmed %s in %s at 0x%llx: never reached\n", type_names[oldest->type], oldest->t->name,
	    (unsigned long long)oldest->addr);
	oldest->used = 0;
	return oldest;
}

static enum err arm(struct stask *t, int type, uint64_t addr, uint32_t old, uint32_t faulty)
{
	struct armed *a = free_entry();
	unsigned size = insn_size(old);
	if (!a)
		return E_NOT_ENOUGH_MEMORY;
	enum err e = poke(t, addr, size, size == 4 ? INSN_EBREAK : INSN_C_EBREAK);
	if (!e)
		*a = (struct armed){ t, t->id, addr, armings++, old, faulty, (uint8_t)size, (uint8_t)type, 1 };
	return e;
}

/* One text fault at a candidate not armed yet, from the j-th on. */
static enum err text_shot(struct stask *t, int type, const struct text *x, unsigned n, uint64_t j, uint64_t r,
			  struct shot *s)
{
	for (unsigned tries = 0; tries < n; tries++, j = (j + 1) % n) {
		uint32_t off = 0, faulty;
		sweep(x, type, j, &off);
		uint64_t addr = x->start + off;
		uint32_t old = insn_at(x, off);
		if (armed_at(t, addr) || !insn_mutate(type, old, r, &faulty))
			continue;
		*s = (struct shot){ addr, old, faulty };
		return arm(t, type, addr, old, faulty);
	}
	return E_NO_MAPPING;   /* every candidate is armed already */
}

static enum err text_faults(struct stask *t, int type, uint64_t count, struct rng *g, uint64_t seed,
			    uint64_t res[4])
{
	struct text x;
	uint32_t unused;
	enum err e = read_text(t, &x);
	if (e)
		return e;
	unsigned n = sweep(&x, type, ~0ULL, &unused);
	if (!n)
		return E_NO_MAPPING;   /* no instruction of that kind */
	for (uint64_t k = 0; k < count; k++) {
		struct shot s;
		uint64_t j = below(g, n), r = rnd(g);
		if ((e = text_shot(t, type, &x, n, j, r, &s)))
			return res[0] && e == E_NO_MAPPING ? E_OK : e;   /* fewer places than asked for */
		log_shot(type, t, &s, seed, 0);
		stats[t - stasks].injected++;
		res[0]++, res[1] = s.addr, res[2] = s.old, res[3] = s.new;
	}
	return E_OK;
}

int inject_on_breakpoint(struct stask *t, uint64_t pc)
{
	struct armed *a = armed_at(t, pc);
	if (!a || !holds_breakpoint(t, a))
		return 0;
	a->used = 0;
	if (poke(t, pc, a->size, a->faulty))
		return 0;   /* it ends as a breakpoint crash */
	stats[t - stasks].activated++;
	log_activation(a->type, t, pc);
	return 1;
}

/* ---- register faults ---- */

/* A random register (x1..x31), or for FT_POINTER one whose value is an
 * address mapped in the task, gets one bit flipped: any of 64, or of the
 * low 32 for a pointer (an address here is below 2^31). */
static enum err register_shot(struct stask *t, int type, struct rng *g, struct shot *s, int *reg)
{
	uint64_t regs[32];
	unsigned cand[31], n = 0;
	uint8_t byte;
	enum err e = read_regs(t, regs);
	if (e)
		return e;
	for (unsigned k = 1; k < 32; k++)
		if (type == FT_REGISTER || peek(t, regs[k], 1, &byte) == E_OK)
			cand[n++] = k;
	if (!n)
		return E_NO_MAPPING;
	unsigned k = cand[below(g, n)];
	s->addr = regs[0];
	s->old = regs[k];
	regs[k] ^= 1ULL << below(g, type == FT_POINTER ? 32 : 64);
	s->new = regs[k];
	*reg = (int)k;
	/* not suspended: a waiting task keeps waiting, with the bit flipped */
	return write_regs(t, regs, k + 1, 0);
}

/* ---- memory faults ---- */

static uint64_t region_of(int type)
{
	return type == FT_DATA ? MR_DATA : type == FT_HEAP ? MR_HEAP : type == FT_STACK ? MR_STACK : MR_WRITABLE;
}

/* Where in the region: a random mapped page of it, or for the stack its
 * live part, from sp up (below sp nothing is read again). */
static enum err memory_range(struct stask *t, int type, struct rng *g, uint64_t *lo, uint64_t *hi)
{
	uint64_t r[4], regs[32];
	enum err e = region(t, region_of(type), rnd(g), r);
	if (e)
		return e;
	if (!r[2])
		return E_NO_MAPPING;   /* nothing of it mapped */
	*lo = r[3] > r[0] ? r[3] : r[0];
	*hi = r[3] + PAGE_SIZE < r[1] ? r[3] + PAGE_SIZE : r[1];
	if (type == FT_STACK && !read_regs(t, regs) && regs[2] >= r[0] && regs[2] < r[1]) {
		*lo = regs[2];
		*hi = r[1];
	}
	return *hi > *lo ? E_OK : E_NO_MAPPING;
}

/* A bit of a word flipped, or (wild) a word of random bits stored. */
static enum err memory_shot(struct stask *t, int type, struct rng *g, struct shot *s)
{
	uint64_t lo, hi, old = 0;
	enum err e = memory_range(t, type, g, &lo, &hi);
	if (e)
		return e;
	s->addr = (lo + below(g, hi - lo)) & ~7ULL;
	if (s->addr < lo)
		s->addr = lo;   /* an unaligned start: the word from there */
	if ((e = peek(t, s->addr, 8, &old)))
		return e;
	s->old = old;
	s->new = type == FT_WILD ? rnd(g) : old ^ (1ULL << below(g, 64));
	return poke(t, s->addr, 8, s->new);
}

/* ---- exit and crash ---- */

/* An ecall of the task's text, chosen by g: where it will make its exit. */
static enum err find_ecall(struct stask *t, struct rng *g, uint64_t *addr)
{
	struct text x;
	unsigned n = 0;
	enum err e = read_text(t, &x);
	if (e)
		return e;
	uint64_t want = rnd(g), pass;
	for (pass = 0; pass < 2; pass++) {   /* count them, then take one */
		unsigned k = 0;
		for (uint64_t off = 0; off + 2 <= x.len; off += insn_size(x.b[off]))
			if (insn_at(&x, off) == INSN_ECALL) {
				if (pass == 1 && k == want % n)
					*addr = x.start + off;
				k++;
			}
		if (!(n = k))
			break;
	}
	return n ? E_OK : E_NO_MAPPING;
}

/* The task stopped, then resumed at an ecall with the registers of a send
 * of SUP_EXIT (status 0) to its supervisor cap: it exits itself, early. */
static enum err exit_shot(struct stask *t, struct rng *g, struct shot *s)
{
	uint64_t regs[32], ecall = 0;
	enum err e;
	if ((e = find_ecall(t, g, &ecall)) || (e = tcb_suspend(t->tcb)) || (e = read_regs(t, regs)))
		return e;
	s->addr = ecall;
	s->old = regs[0];
	s->new = ecall;
	regs[0] = ecall;
	regs[10] = TSLOT_SVC(SVC_SUPERVISOR);
	regs[11] = MSGINFO(SUP_EXIT, 0, 1);
	regs[12] = 0;
	regs[17] = SYS_SEND;
	return write_regs(t, regs, 18, 1);
}

/* A jump to address 0, as the old `inject NAME` did. */
static enum err crash_shot(struct stask *t, struct shot *s)
{
	uint64_t regs[32];
	enum err e;
	if ((e = tcb_suspend(t->tcb)) || (e = read_regs(t, regs)))
		return e;
	*s = (struct shot){ regs[0], regs[0], 0 };
	regs[0] = 0;
	return write_regs(t, regs, 1, 1);
}

/* ---- SUP_INJECT ---- */

static int is_text_fault(int type)
{
	return (type >= FT_FLIP && type <= FT_NOBRANCH) || type == FT_LOOP || type == FT_REPLY;
}

static enum err one_shot(struct stask *t, int type, struct rng *g, struct shot *s, int *reg)
{
	switch (type) {
	case FT_POINTER: case FT_REGISTER: return register_shot(t, type, g, s, reg);
	case FT_DATA: case FT_HEAP: case FT_STACK: case FT_WILD: return memory_shot(t, type, g, s);
	case FT_EXIT: return exit_shot(t, g, s);
	case FT_CRASH: return crash_shot(t, s);
	default: return E_INVALID_ARGUMENT;
	}
}

static enum err other_faults(struct stask *t, int type, uint64_t count, struct rng *g, uint64_t seed,
			     uint64_t res[4])
{
	if (type == FT_EXIT || type == FT_CRASH)
		count = 1;   /* a task ends once */
	for (uint64_t k = 0; k < count; k++) {
		struct shot s;
		int reg = 0;
		enum err e = one_shot(t, type, g, &s, &reg);
		if (e)
			return res[0] ? E_OK : e;
		log_shot(type, t, &s, seed, reg);
		stats[t - stasks].injected++;
		if (type == FT_EXIT || type == FT_CRASH) {   /* its next instruction is the fault */
			stats[t - stasks].activated++;
			log_activation(type, t, s.new);
		}
		res[0]++, res[1] = s.addr, res[2] = s.old, res[3] = s.new;
	}
	return E_OK;
}

/* What the injector may reach: a task of the description that does not
 * command the supervisor (the shell, a campaign driver: the injector's own
 * clients). mm and init are not supervised tasks at all. */
static int reachable(const struct stask *t)
{
	return t->desc && !t->desc->calls_supervisor;
}

/* Count 0: the figures for the task so far. */
static enum err report_stats(struct stask *t, uint64_t res[4])
{
	res[0] = stats[t - stasks].injected;
	res[1] = stats[t - stasks].activated;
	res[2] = prune(t);
	return E_OK;
}

enum err inject_faults(struct stask *t, const uint64_t *mr, uint64_t res[4])
{
	uint64_t type = mr[2], count = mr[3], seed = mr[4];
	struct rng g = { seed };
	memset(res, 0, 4 * sizeof *res);
	if (!reachable(t))
		return E_NO_RIGHTS;
	if (t->state != TASK_RUNNING)
		return E_ILLEGAL_OPERATION;
	if (count == 0)
		return report_stats(t, res);
	if (type < FT_FLIP || type >= FT_COUNT)
		return E_INVALID_ARGUMENT;
	if (count > MAX_COUNT)
		return E_RANGE;
	prune(t);
	if (is_text_fault((int)type))
		return text_faults(t, (int)type, count, &g, seed, res);
	return other_faults(t, (int)type, count, &g, seed, res);
}
