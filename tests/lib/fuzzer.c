/* The structured syscall fuzzer (fuzzer.h).
 *
 *   fuzz_round (root task)      builds the fuzz thread's CSpace, runs it,
 *     |                         answers its probe faults, keeps programs
 *     |                         that reached new kernel code, self-checks
 *   fuzz_thread                 runs programs: fresh, or a corpus one mutated
 *     run_call                  one call: resolves its picks in the object
 *                               table, makes the syscall, updates the table
 *   helper_main                 helper threads: blocking IPC the fuzz thread
 *                               itself must never do, on command
 *
 * The oracle beside the kernel's self-check: the fuzz thread maps frames
 * into its own VSpace only in window A, into other VSpaces only in window
 * B, and page tables anywhere. So nothing in window B of its own VSpace
 * may ever be readable: a probe load there that does not fault has found a
 * mapping that outlived the caps that made it (a page table moved with
 * its old entries, a frame freed under a live entry). */
#include "fuzzer.h"

#define CNODE_BITS 8
#define TAB 64            /* the slots structured calls name: the object table */
#define NHELP 3           /* helper threads (their pages) */
#define PROG_MAX 24       /* calls in a program */
#define CORPUS_MAX 128
#define LOG_PROGS 8       /* programs a round remembers until the root looks */
#define STALL_LIMIT 64    /* root turns without a call made: the round is over */
#define RANDOM_SLOTS 64   /* fully random calls name slots below this */
#define OP_MAX_CALLS 3    /* calls one operation makes at most */

/* The fuzz thread's fixed slots. */
enum {
	S_TCB = 1, S_CNODE, S_VSPACE, S_UNTYPED, S_IRQCTL,
	S_HBUF,                     /* NHELP frames: the helpers' IPC buffers */
	S_MIX = S_HBUF + NHELP,     /* objects the root made */
	S_FREE = S_MIX + 6,         /* first slot structured calls fill */
};
#define FUZZ_UNTYPED_BITS 22     /* room for a large frame */

#define PAGE_SIZE 4096ULL
#define BIT(n) (1ULL << (n))
#define MASK(n) (BIT(n) - 1)

#define WIN_A 0x2000000000ULL   /* frames in our own VSpace */
#define WIN_B 0x2040000000ULL   /* frames in other VSpaces; in ours, only page tables */
#define LARGE_PAGE 0x200000ULL
#define PROBE_RING 16

/* --- programs ----------------------------------------------------------- */

enum op {
	OP_RANDOM, OP_RETYPE, OP_DELETE, OP_REVOKE, OP_COPY, OP_MOVE, OP_PT_MAP, OP_PT_UNMAP,
	OP_FRAME_MAP, OP_FRAME_UNMAP, OP_FRAME_ADDR, OP_PROBE, OP_HELPER_START, OP_HELPER_CMD,
	OP_TCB, OP_SEND, OP_RECV, OP_SIGNAL, OP_TIMER, OP_IRQ, OP_REPLY_CAP, OP_YIELD,
	OP_COUNT
};
static const char *const op_name[OP_COUNT] = {
	"random", "retype", "delete", "revoke", "copy", "move", "pt-map", "pt-unmap", "frame-map",
	"frame-unmap", "frame-addr", "probe", "helper-start", "helper-cmd", "tcb", "send", "recv",
	"signal", "timer", "irq", "reply-cap", "yield",
};
/* How often each is drawn, out of the sum. */
static const uint8_t op_weight[OP_COUNT] = {
	[OP_RANDOM] = 10, [OP_RETYPE] = 14, [OP_DELETE] = 8, [OP_REVOKE] = 3, [OP_COPY] = 5,
	[OP_MOVE] = 3, [OP_PT_MAP] = 10, [OP_PT_UNMAP] = 4, [OP_FRAME_MAP] = 10, [OP_FRAME_UNMAP] = 4,
	[OP_FRAME_ADDR] = 1, [OP_PROBE] = 5, [OP_HELPER_START] = 3, [OP_HELPER_CMD] = 5, [OP_TCB] = 5,
	[OP_SEND] = 4, [OP_RECV] = 4, [OP_SIGNAL] = 2, [OP_TIMER] = 2, [OP_IRQ] = 2, [OP_REPLY_CAP] = 1,
	[OP_YIELD] = 1,
};

/* A call: an operation, three picks (which objects: an index among the
 * live ones of the right type; with bit 7, among the most recently made)
 * and two words of arguments. */
struct call {
	uint8_t op, p[3];
	uint32_t a;
	uint64_t b;
};
struct prog {
	uint64_t n;
	struct call c[PROG_MAX];
};

/* Kept by the root task (read-only in the fuzz thread's address space). */
static struct prog corpus[CORPUS_MAX];
static volatile uint64_t ncorpus;

/* --- what the fuzz thread knows -------------------------------------- */

struct obj {
	uint8_t type, bits;
	uint16_t pad;
	uint32_t stamp;      /* when it was made: picks may prefer the newest */
	uint64_t va;         /* frame, page table: where it is mapped (cap data) */
	uint64_t vs;         /* and in which VSpace (its paddr), 0 if unknown */
	uint64_t paddr;
};

/* A helper's page: its IPC buffer first (the frame in S_HBUF + i), then
 * the command the fuzz thread leaves it. */
enum hcmd { H_IDLE, H_RECV, H_REPLYRECV, H_CALL, H_SEND, H_WAIT, H_FAULT, H_FP, H_CMD_COUNT };
struct hpage {
	struct ipc_buffer buf;
	volatile uint64_t cmd, cap, info, m0, doorbell, last_err;
	uint8_t lease[256];
} __attribute__((aligned(4096)));

/* What the fuzz thread and the fuzzer share: pages of its own, since the
 * rest of our memory is read-only in the fuzz thread's space. */
/* The last calls made, printed when the oracle first fires. */
#define TRACE 256
struct trace { uint16_t op, label; uint8_t cap, err, pad[2]; uint32_t arg0; uint64_t arg1; };

struct round {
	struct child c;
	struct trace trace[TRACE];
	uint64_t ntrace, cur_op, stale_trace;
	volatile uint64_t go, calls, limit, seed, coverage_on, faults, done, known;
	volatile uint64_t errors[E_COUNT + 1];
	volatile uint64_t stale, stale_va, progs, probes;
	struct prog log[LOG_PROGS];
	struct obj tab[TAB];
	uint64_t own_vspace, own_tcb, stamp, ring[PROBE_RING], nring;
	struct hpage hp[NHELP];
	uint8_t hstack[NHELP][4096] __attribute__((aligned(4096)));
	uint8_t buf[512];
};

uint64_t fuzz_rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* --- making calls ------------------------------------------------------ */

/* Every counted call is noted first (what, on which slot), then counted
 * with its answer. */
static void note(struct round *m, uint64_t cap, uint64_t label, uint64_t a0, uint64_t a1)
{
	m->trace[m->ntrace++ % TRACE] = (struct trace){ .op = (uint16_t)m->cur_op, .label = (uint16_t)label,
		.cap = (uint8_t)cap, .err = 0xff, .arg0 = (uint32_t)a0, .arg1 = a1 };
}

static uint64_t count(struct round *m, uint64_t e)
{
	m->errors[e < E_COUNT ? e : E_COUNT]++;
	m->calls++;
	if (m->ntrace)
		m->trace[(m->ntrace - 1) % TRACE].err = (uint8_t)e;
	return e;
}

/* Invoke an object with a non-blocking Send: the same decoding as a Call,
 * and should the slot hold an endpoint by now, no waiting for a reply. */
static uint64_t inv(struct round *m, cptr_t cap, uint64_t label, unsigned n, const uint64_t *args, uint64_t *res)
{
	uint64_t r[MSG_REG_COUNT] = { 0 };
	note(m, cap, label, n > 0 ? args[0] : 0, n > 1 ? args[1] : 0);
	for (unsigned i = 0; i < n; i++) {
		if (i < MSG_REG_COUNT)
			r[i] = args[i];
		else
			__ipcbuf->mr[i] = args[i];
	}
	struct sysret s = sys_nbsend(cap, MSGINFO(label, 0, n), r[0], r[1], r[2], r[3]);
	if (res)
		for (unsigned i = 0; i < MSG_REG_COUNT; i++)
			res[i] = s.mr[i];
	return s.err;
}
#define INV(m, cap, label, ...) \
	count(m, inv(m, (cap), (label), sizeof((uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t), \
		     (uint64_t[]){ __VA_ARGS__ }, 0))

/* Ask the kernel what a slot of ours holds (bookkeeping: not counted). */
static void refresh(struct round *m, unsigned slot)
{
	uint64_t r[6] = { 0 };
	unsigned n = 0;
	struct obj *o = &m->tab[slot];
	if (invoke(S_CNODE, CNODE_INFO, 1, (uint64_t[]){ slot }, r, &n) || n != 6)
		r[0] = OBJ_NONE;
	if (r[0] != o->type || r[5] != o->paddr) {
		o->stamp = (uint32_t)++m->stamp;
		o->vs = 0;
	}
	o->type = (uint8_t)r[0];
	o->bits = (uint8_t)r[1];
	o->paddr = r[5];
	o->va = r[0] == OBJ_FRAME || r[0] == OBJ_LARGE_FRAME || r[0] == OBJ_PAGE_TABLE ? r[3] : 0;
	if (!o->va)
		o->vs = 0;
}

static void refresh_all(struct round *m)
{
	for (unsigned s = 1; s < TAB; s++)
		refresh(m, s);
}

/* The (p % n)-th live object whose type is in `types` (a bit mask), among
 * all of them or, with bit 7 of p, among the three newest; 0 if none. */
static unsigned pick(struct round *m, uint64_t types, uint8_t p)
{
	unsigned found[TAB], n = 0;
	for (unsigned s = 1; s < TAB; s++)
		if (types & BIT(m->tab[s].type))
			found[n++] = s;
	if (!n)
		return 0;
	if (p & 0x80) {   /* newest first: a short insertion sort of the stamps */
		for (unsigned i = 1; i < n; i++)
			for (unsigned j = i; j > 0 && m->tab[found[j]].stamp > m->tab[found[j - 1]].stamp; j--) {
				unsigned t = found[j];
				found[j] = found[j - 1];
				found[j - 1] = t;
			}
		return found[(p & 0x7f) % (n < 3 ? n : 3u)];
	}
	return found[p % n];
}
#define T(x) BIT(OBJ_##x)
#define MAPPABLE (T(FRAME) | T(LARGE_FRAME) | T(PAGE_TABLE))

/* A run of `n` empty slots at or above S_FREE, the (p % runs)-th; 0 if none. */
static unsigned free_slots(struct round *m, uint8_t p, unsigned n)
{
	unsigned runs[TAB], k = 0;
	for (unsigned s = S_FREE; s + n <= TAB; s++) {
		unsigned j = 0;
		while (j < n && m->tab[s + j].type == OBJ_NONE)
			j++;
		if (j == n)
			runs[k++] = s;
	}
	return k ? runs[p % k] : 0;
}

/* A page in a window: one of three 2 MiB regions, eight pages each (small
 * on purpose: page tables get shared), now and then a bad address. */
static uint64_t window_va(uint64_t base, uint64_t r, int large)
{
	switch (r % 32) {
	case 0: return base + 0x800;          /* misaligned */
	case 1: return USER_TOP + base;       /* above user space */
	default: break;
	}
	uint64_t va = base + ((r >> 5) % 3) * LARGE_PAGE;
	return large ? va : va + ((r >> 7) % 8) * PAGE_SIZE;
}

static int is_own_vspace(struct round *m, unsigned vs) { return m->tab[vs].paddr == m->own_vspace; }

/* --- the probe (the oracle) -------------------------------------------- */

/* A load from va. If nothing is mapped there it faults, and the root
 * task, our fault handler, resumes us after the load (4 bytes: no
 * compressed instruction). Returns whether the load went through. */
static int probe(struct round *m, uint64_t va)
{
	uint64_t faults = m->faults, v = 0;
	__asm__ volatile(".option push\n.option norvc\nld %0, 0(%1)\n.option pop"
			 : "+r"(v) : "r"(va) : "memory");
	(void)v;
	return m->faults == faults;
}

static void remember_b(struct round *m, uint64_t va)
{
	m->ring[m->nring++ % PROBE_RING] = va;
}

static void op_probe(struct round *m, const struct call *c)
{
	uint64_t va;
	if (m->nring && c->a % 4)
		va = m->ring[(c->a >> 2) % (m->nring < PROBE_RING ? m->nring : PROBE_RING)];
	else
		va = window_va(WIN_B, c->b, 0) & ~MASK(12);
	if (va < WIN_B || va >= WIN_B + 0x40000000ULL)
		return;
	m->probes++;
	if (probe(m, va)) {
		if (!m->stale) {
			m->stale_va = va;
			m->stale_trace = m->ntrace;
		}
		m->stale++;
	}
}

/* --- helpers ---------------------------------------------------------- */

/* Runs in the fuzz thread's address space on the image's code: no
 * globals, no thread-local storage, only its page and raw syscalls. */
static void __attribute__((noreturn)) helper_main(uint64_t arg)
{
	struct hpage *h = (struct hpage *)arg;
	for (;;) {
		uint64_t cmd = h->cmd, e;
		h->cmd = H_IDLE;
		switch (cmd) {
		case H_RECV:   /* and perhaps serve one more: the fastpath's reply-and-receive */
			e = sys_recv(h->cap).err;
			if (!e && (h->m0 & 1))
				e = sys_replyrecv(h->cap, MSGINFO(0, 0, 1), h->m0, 0, 0, 0).err;
			break;
		case H_REPLYRECV: e = sys_replyrecv(h->cap, MSGINFO(0, 0, 1), h->m0, 0, 0, 0).err; break;
		case H_CALL:   /* perhaps twice, the second time plain: the fastpath's Call */
			e = sys_call(h->cap, h->info, h->m0, 1, 2, 3).err;
			if (!e && (h->m0 & 4))
				e = sys_call(h->cap, MSGINFO(1, 0, 2), h->m0, 1, 2, 3).err;
			break;
		case H_SEND: e = sys_send(h->cap, h->info, h->m0, 1, 2, 3).err; break;
		case H_WAIT: e = sys_recv(h->cap).err; break;
		case H_FAULT:
			__asm__ volatile(".option push\n.option norvc\nld %0, 8(zero)\n.option pop" : "=r"(e) : : "memory");
			break;
		case H_FP: {   /* the first FP instruction traps: the kernel hands over the FPU */
			volatile double x = (double)h->m0;
			h->m0 = (uint64_t)(x * 1.5);
			e = E_OK;
			break;
		}
		default:   /* wait for the next command; without a doorbell, stop by faulting */
			e = sys_recv(h->doorbell).err;
			if (e)
				__asm__ volatile("ld %0, 16(zero)" : "=r"(e) : : "memory");
			break;
		}
		h->last_err = e;
	}
}

static void op_helper_start(struct round *m, const struct call *c)
{
	unsigned t = pick(m, T(TCB), c->p[0]), h = c->a % NHELP;
	if (!t || m->tab[t].paddr == m->own_tcb)
		return;
	struct hpage *hp = &m->hp[h];
	unsigned vs = c->b % 8 ? S_VSPACE : pick(m, T(VSPACE), c->p[1]);   /* elsewhere: it faults */
	unsigned ep = c->b % 3 ? 0 : pick(m, T(ENDPOINT), c->p[2]);
	hp->doorbell = pick(m, T(NOTIFICATION), c->p[2]);
	hp->cmd = H_IDLE;
	if (INV(m, t, TCB_CONFIGURE, S_CNODE, vs, S_HBUF + h, (uint64_t)&hp->buf, ep))
		return;
	if (INV(m, t, TCB_SET_PRIORITY, S_TCB, TEST_PRIO, TEST_PRIO))
		return;
	uint64_t gp, regs[13] = { 1, 11 };
	__asm__("mv %0, gp" : "=r"(gp));
	regs[2 + 0] = (uint64_t)helper_main;
	regs[2 + 2] = (uint64_t)m->hstack[h] + sizeof m->hstack[h];
	regs[2 + 3] = gp;
	regs[2 + 10] = (uint64_t)hp;
	count(m, inv(m, t, TCB_WRITE_REGISTERS, 13, regs, 0));
}

/* Leave a helper a command and ring its doorbell. */
static void op_helper_cmd(struct round *m, const struct call *c)
{
	struct hpage *hp = &m->hp[c->a % NHELP];
	unsigned cmd = 1 + (c->a >> 4) % (H_CMD_COUNT - 1);
	uint64_t types = cmd == H_WAIT ? T(NOTIFICATION) : cmd == H_SEND && c->b % 4 == 0 ? T(REPLY) : T(ENDPOINT);
	unsigned ncaps = (c->a >> 8) % 4;
	hp->cap = pick(m, types, c->p[0]);
	if (c->b >> 8 & 1 && m->hp[c->a >> 20 & 1].cap)   /* where another helper waits or calls */
		hp->cap = m->hp[(c->a >> 20 & 1) % NHELP].cap;
	hp->m0 = c->b;
	hp->info = MSGINFO(c->a >> 12 & 7, ncaps, (c->a >> 16) % 7);
	for (unsigned i = 0; i < 3; i++)
		hp->buf.caps[i] = pick(m, ~(uint64_t)T(NONE), c->p[1] + i);
	hp->buf.recv_cnode = S_CNODE;
	hp->buf.recv_index = free_slots(m, c->p[2], 3);
	if (cmd == H_CALL && (c->b & 2)) {   /* lend part of its page */
		hp->info |= MSGINFO_LEASE;
		hp->buf.lease_base = (uint64_t)hp->lease;
		hp->buf.lease_len = c->b & 4 ? sizeof hp->lease : 4096 * 2;   /* or past its page */
		hp->buf.lease_rights = 1 + (c->b >> 3) % 3;
	}
	hp->cmd = cmd;
	note(m, hp->doorbell, 0x100 + SYS_SEND, cmd, hp->cap);
	count(m, sys_send(hp->doorbell, 0, 0, 0, 0, 0).err);
}

/* --- the operations ---------------------------------------------------- */

static void op_retype(struct round *m, const struct call *c)
{
	static const uint8_t types[] = {
		OBJ_FRAME, OBJ_FRAME, OBJ_PAGE_TABLE, OBJ_PAGE_TABLE, OBJ_PAGE_TABLE, OBJ_VSPACE, OBJ_VSPACE,
		OBJ_UNTYPED, OBJ_UNTYPED, OBJ_LARGE_FRAME, OBJ_ENDPOINT, OBJ_NOTIFICATION, OBJ_TCB, OBJ_CNODE,
		OBJ_TIMER, OBJ_ENDPOINT,
	};
	unsigned ut = pick(m, T(UNTYPED), c->p[0]);
	uint64_t type = types[c->a % sizeof types], bits = 0, n = 1 + (c->a >> 8) % 4 / 3;
	if (type == OBJ_UNTYPED)
		bits = 12 + (c->a >> 12) % 5;   /* one page, up to sixteen */
	else if (type == OBJ_CNODE)
		bits = 1 + (c->a >> 12) % 4;
	if (c->b % 64 == 0)   /* now and then a bad type or size */
		type = c->b >> 6 & 15, bits = c->b >> 10 & 31;
	unsigned d = free_slots(m, c->p[1], (unsigned)n);
	if (!ut || !d)
		return;
	if (c->b % 16 == 2) {   /* into a CNode of its own making */
		unsigned cn = pick(m, T(CNODE), c->p[2]);
		if (cn && cn != S_CNODE) {
			INV(m, ut, UNTYPED_RETYPE, type, bits, cn, c->b >> 8 & 7, n);
			return;
		}
	}
	if (!INV(m, ut, UNTYPED_RETYPE, type, bits, S_CNODE, d, n))
		for (unsigned i = 0; i < n; i++)
			refresh(m, d + i);
}

/* Delete or revoke: anything but our own four, mostly what maps. */
static void op_delete(struct round *m, const struct call *c, int revoke)
{
	uint64_t types = c->a % 2 ? MAPPABLE | T(VSPACE) | T(UNTYPED) : ~(uint64_t)T(NONE);
	unsigned s = revoke && c->b % 4 == 3 ? S_UNTYPED : pick(m, types, c->p[0]);   /* all it made, at once */
	if ((s <= S_IRQCTL && !(revoke && s == S_UNTYPED)) || (s >= S_HBUF && s < S_HBUF + NHELP))
		return;
	if (c->b % 8 == 0) {   /* a slot of a CNode it made */
		unsigned cn = pick(m, T(CNODE), c->p[1]);
		if (cn && cn != S_CNODE) {
			INV(m, cn, revoke ? CNODE_REVOKE : CNODE_DELETE, c->b >> 3 & 15);
			refresh_all(m);
			return;
		}
	}
	INV(m, S_CNODE, revoke ? CNODE_REVOKE : CNODE_DELETE, s);
	if (revoke || m->tab[s].type == OBJ_CNODE)
		refresh_all(m);
	else
		refresh(m, s);
}

static void op_copy(struct round *m, const struct call *c, int move)
{
	unsigned s = pick(m, ~(uint64_t)T(NONE), c->p[0]), d = free_slots(m, c->p[1], 1);
	uint64_t label = move ? (c->a % 2 ? CNODE_MOVE : CNODE_MUTATE) : (c->a % 2 ? CNODE_COPY : CNODE_MINT);
	if (!s || !d || (move && (s <= S_IRQCTL || (s >= S_HBUF && s < S_HBUF + NHELP))))
		return;
	uint64_t rights = c->a & 8 ? RIGHTS_ALL : c->a >> 4 & 15, badge = c->a & 0x100 ? c->b & 0xff : 0;
	if (label == CNODE_MUTATE)
		INV(m, S_CNODE, label, d, S_CNODE, s, badge, 0);
	else
		INV(m, S_CNODE, label, d, S_CNODE, s, rights, badge, 0);
	refresh(m, d);
	refresh(m, s);
}

static void op_pt_map(struct round *m, const struct call *c)
{
	unsigned pt = pick(m, T(PAGE_TABLE), c->p[0]), vs = pick(m, T(VSPACE), c->p[1]);
	if (!pt || !vs)
		return;
	uint64_t va = window_va(c->a % 2 ? WIN_A : WIN_B, c->b, 1);
	if (!INV(m, pt, PAGE_TABLE_MAP, vs, va)) {
		m->tab[pt].vs = m->tab[vs].paddr;
		refresh(m, pt);
	}
}

static void op_frame_map(struct round *m, const struct call *c)
{
	unsigned f = pick(m, T(FRAME) | T(LARGE_FRAME), c->p[0]), vs = pick(m, T(VSPACE), c->p[1]);
	if (!f || !vs)
		return;
	refresh(m, vs);   /* the window depends on whose VSpace it really is */
	if (m->tab[vs].type != OBJ_VSPACE)
		return;
	int own = is_own_vspace(m, vs);
	uint64_t va = window_va(own ? WIN_A : WIN_B, c->b, m->tab[f].type == OBJ_LARGE_FRAME);
	uint64_t rights = c->a % 4 ? RIGHT_READ | RIGHT_WRITE : c->a >> 2 & RIGHTS_ALL;
	if (!INV(m, f, FRAME_MAP, vs, va, rights)) {
		m->tab[f].vs = m->tab[vs].paddr;
		m->tab[f].va = va;
		if (!own)
			remember_b(m, va);
	}
}

static void op_unmap(struct round *m, const struct call *c, uint64_t types, uint64_t label)
{
	unsigned s = pick(m, types, c->p[0]);
	if (s && !INV(m, s, label))
		m->tab[s].va = m->tab[s].vs = 0;
}

static void op_tcb(struct round *m, const struct call *c)
{
	unsigned t = pick(m, T(TCB), c->p[0]);
	if (!t)
		return;
	int own = m->tab[t].paddr == m->own_tcb;
	switch (c->a % 10) {
	case 0: if (!own) INV(m, t, TCB_SUSPEND); break;
	case 1: INV(m, t, TCB_RESUME); break;
	case 2: if (!own) INV(m, t, TCB_SET_PRIORITY, S_TCB, c->b % 2 ? TEST_PRIO : c->b % 300, TEST_PRIO); break;
	case 3: INV(m, t, TCB_BIND_NOTIFICATION, pick(m, T(NOTIFICATION), c->p[1])); break;
	case 4: INV(m, t, TCB_UNBIND_NOTIFICATION); break;
	case 5: INV(m, t, TCB_GET_STATE); break;
	case 6: INV(m, t, TCB_READ_REGISTERS); break;
	case 7: INV(m, t, TCB_SET_NAME, c->b, 0); break;
	case 8:   /* configure with whatever objects there are (not ours: we would lose our fault handler) */
		if (!own)
			INV(m, t, TCB_CONFIGURE, c->b & 1 ? S_CNODE : pick(m, T(CNODE), c->p[1]),
			    pick(m, T(VSPACE), c->p[2]), c->b & 2 ? pick(m, T(FRAME), c->p[1]) : 0,
			    c->b & 4 ? 0x123 : WIN_A + (c->b >> 3 & 7) * PAGE_SIZE, pick(m, T(ENDPOINT), c->p[2]));
		break;
	default:
		if (!own)   /* start it somewhere: it faults, or runs on */
			INV(m, t, TCB_WRITE_REGISTERS, c->b & 1, 3, c->b & 2 ? (uint64_t)helper_main : WIN_A, 0, WIN_A + PAGE_SIZE);
		break;
	}
}

/* Our own IPC buffer: caps to send, where received ones go. */
static void set_caps(struct round *m, const struct call *c)
{
	for (unsigned i = 0; i < 3; i++)
		__ipcbuf->caps[i] = pick(m, ~(uint64_t)T(NONE), (uint8_t)(c->p[1] + i));
	__ipcbuf->recv_cnode = S_CNODE;
	__ipcbuf->recv_index = free_slots(m, c->p[2], 3);
}

static void refresh_received(struct round *m)
{
	uint64_t d = __ipcbuf->recv_index;
	for (uint64_t i = 0; d && i < 3 && d + i < TAB; i++)
		refresh(m, (unsigned)(d + i));
}

/* Half the time, the endpoint a helper was last told to use: where
 * someone is likely to wait. */
static unsigned helper_cap(struct round *m, const struct call *c)
{
	return c->a & 0x1000 ? (unsigned)m->hp[c->p[0] % NHELP].cap : 0;
}

static void op_send(struct round *m, const struct call *c)
{
	unsigned ep = helper_cap(m, c);
	if (!ep)
		ep = pick(m, T(ENDPOINT) | T(NOTIFICATION) | T(REPLY), c->p[0]);
	if (!ep)
		return;
	set_caps(m, c);
	for (unsigned i = MSG_REG_COUNT; i < 8; i++)
		__ipcbuf->mr[i] = c->b + i;
	note(m, ep, 0x100 + SYS_NBSEND, __ipcbuf->caps[0], c->b);
	count(m, sys_nbsend(ep, MSGINFO(c->a & 0xff, c->a >> 8 & 3, c->a >> 10 & 7), c->b, 1, 2, 3).err);
	refresh(m, ep);   /* a reply cap is used up */
}

/* Receive without blocking; a Call or a fault that arrives is answered,
 * kept in a slot for later, or its lease used first. */
static void op_recv(struct round *m, const struct call *c)
{
	unsigned ep = helper_cap(m, c);
	if (!ep)
		ep = pick(m, T(ENDPOINT) | T(NOTIFICATION), c->p[0]);
	if (!ep)
		return;
	set_caps(m, c);
	note(m, ep, 0x100 + SYS_NBRECV, __ipcbuf->recv_index, 0);
	struct sysret r = sys_nbrecv(ep);
	count(m, r.err);
	if (r.err || m->tab[ep].type != OBJ_ENDPOINT)
		return;
	refresh_received(m);
	uint64_t resume = MSGINFO_LABEL(r.info) == FAULT_LABEL ? r.mr[2] + 4 : c->b;
	if (r.info & MSGINFO_LEASE && (note(m, 0, 0x100 + SYS_LEASE_COPY, c->a, c->b), 1))
		count(m, sys_lease_copy(0, c->a & 1 ? LEASE_READ : LEASE_WRITE, c->b % 300, m->buf,
					c->a & 2 ? 64 : 1 + c->b % 512));
	switch (c->a >> 2 & 3) {
	case 0: {   /* keep the reply right; answer later through OP_REPLY_CAP */
		unsigned d = free_slots(m, c->p[2], 1);
		if (d) {
			count(m, inv(m, S_CNODE, CNODE_SAVE_CALLER, 1, (uint64_t[]){ d }, 0));
			refresh(m, d);
		}
		break;
	}
	case 1: break;   /* leave the caller waiting: the next receive drops it */
	default:
		note(m, 0, 0x100 + SYS_REPLY, resume, 0);
		count(m, sys_reply(MSGINFO(0, 0, 1), resume, 0, 0, 0).err);
		break;
	}
}

static void op_timer(struct round *m, const struct call *c)
{
	unsigned t = pick(m, T(TIMER), c->p[0]);
	if (!t)
		return;
	if (c->a % 4 == 0) {
		INV(m, t, TIMER_CANCEL);
		return;
	}
	uint64_t when = c->a % 4 == 1 ? 0 : c->a % 4 == 2 ? rdtime() + c->b % 20000 : ~0ULL;
	INV(m, t, TIMER_SET, pick(m, T(NOTIFICATION), c->p[1]), when);
}

static void op_irq(struct round *m, const struct call *c)
{
	unsigned h = pick(m, T(IRQ_HANDLER), c->p[0]), d;
	switch (c->a % 5) {
	case 0:
		if ((d = free_slots(m, c->p[1], 1))) {
			INV(m, S_IRQCTL, IRQ_CONTROL_GET, c->b % 70, S_CNODE, d);
			refresh(m, d);
		}
		break;
	case 1: if (h) INV(m, h, IRQ_HANDLER_SET_NOTIFICATION, pick(m, T(NOTIFICATION), c->p[1])); break;
	case 2: if (h) INV(m, h, IRQ_HANDLER_ACK); break;
	case 3: if (h) INV(m, h, IRQ_HANDLER_CLEAR); break;
	default: if (h) INV(m, S_CNODE, CNODE_DELETE, h), refresh(m, h); break;
	}
}

/* --- fully random calls (as the first fuzzer made them) ---------------- */

/* Valid and invalid values alike: slots, sizes, user, kernel, unmapped and
 * misaligned addresses, and plain noise (never an address in the windows). */
static uint64_t random_arg(uint64_t *s)
{
	static const uint64_t special[] = {
		0, 1, 2, 3, 4, 5, 8, 12, 16, 21, 64, 255, 256, 4095, 4096, 0x48000000, 0x48000001,
		0x3fffffffff, USER_TOP, 0xFFFFFFC080200000ULL, ~0ULL, 1ULL << 63, 0x1000, 0x200000,
		0x40002000, 0x10000, 0x10001,
	};
	uint64_t r = fuzz_rng(s);
	switch (r % 4) {
	case 0: return special[(r >> 8) % (sizeof special / sizeof special[0])];
	case 1: return (r >> 8) % RANDOM_SLOTS;
	case 2: return (r >> 8) % 64;
	default: return fuzz_rng(s);
	}
}

static uint64_t random_call(struct round *m, uint64_t *s)
{
	uint64_t args[8];
	cptr_t cap = fuzz_rng(s) % RANDOM_SLOTS;
	uint64_t label = fuzz_rng(s) % (INV_COUNT + 2), n = fuzz_rng(s) % 8;
	for (unsigned j = 0; j < 8; j++)
		args[j] = random_arg(s);
	note(m, cap, 0x200, label, args[0]);   /* 0x200: a random call */
	switch (fuzz_rng(s) % 7) {
	case 0: return inv(m, cap, label, (unsigned)n, args, 0);
	case 1: return sys_nbrecv(cap).err;
	case 2: return sys_reply(MSGINFO(label, 0, n), args[0], 0, 0, 0).err;
	case 3: {   /* pointers the kernel must refuse (a valid one would only print noise) */
		static const uint64_t bad[] = { 0, 8, 0xFFFFFFC080200000ULL, USER_TOP - 4, ~0ULL, 0x3000000001ULL };
		return sys_debug_write(cap, (void *)bad[args[1] % 6], args[2] % 2 ? 8 : 5000);
	}
	case 4: return sys_raw(SYS_NBSEND, cap, fuzz_rng(s), args[0], args[1], args[2], args[3]).err;
	case 5: return sys_lease_copy(cap, args[0] % 8, args[1], (void *)args[2], args[3] % (2 * LEASE_COPY_MAX));
	default:   /* no such syscall: a fault, which answers no code */
		sys_raw(fuzz_rng(s) % 2 ? SYS_COUNT : 0, cap, 0, 0, 0, 0, 0);
		return E_COUNT;
	}
}

/* --- programs: run, make, mutate -------------------------------------- */

static void run_call(struct round *m, const struct call *c, uint64_t *s)
{
	m->cur_op = c->op;
	switch (c->op) {
	case OP_RANDOM: {
		uint64_t e = random_call(m, s);
		count(m, e);
		if (e == E_OK)   /* it may have moved caps in our table */
			refresh_all(m);
		break;
	}
	case OP_RETYPE: op_retype(m, c); break;
	case OP_DELETE: op_delete(m, c, 0); break;
	case OP_REVOKE: op_delete(m, c, 1); break;
	case OP_COPY: op_copy(m, c, 0); break;
	case OP_MOVE: op_copy(m, c, 1); break;
	case OP_PT_MAP: op_pt_map(m, c); break;
	case OP_PT_UNMAP: op_unmap(m, c, T(PAGE_TABLE), PAGE_TABLE_UNMAP); break;
	case OP_FRAME_MAP: op_frame_map(m, c); break;
	case OP_FRAME_UNMAP: op_unmap(m, c, T(FRAME) | T(LARGE_FRAME), FRAME_UNMAP); break;
	case OP_FRAME_ADDR: {
		unsigned f = pick(m, MAPPABLE | T(VSPACE), c->p[0]);
		if (f)
			INV(m, f, FRAME_GET_ADDRESS);
		break;
	}
	case OP_PROBE: op_probe(m, c); break;
	case OP_HELPER_START: op_helper_start(m, c); break;
	case OP_HELPER_CMD: op_helper_cmd(m, c); break;
	case OP_TCB: op_tcb(m, c); break;
	case OP_SEND: op_send(m, c); break;
	case OP_RECV: op_recv(m, c); break;
	case OP_SIGNAL: {
		unsigned n = pick(m, T(NOTIFICATION), c->p[0]);
		if (n && (note(m, n, 0x100 + (c->a % 2 ? SYS_SEND : SYS_NBRECV), 0, 0), 1))
			count(m, c->a % 2 ? (uint64_t)ntfn_signal(n) : sys_nbrecv(n).err);
		break;
	}
	case OP_TIMER: op_timer(m, c); break;
	case OP_IRQ: op_irq(m, c); break;
	case OP_REPLY_CAP: {
		unsigned r = pick(m, T(REPLY), c->p[0]);
		if (r) {
			if (c->a % 2)
				note(m, r, 0x100 + SYS_NBSEND, c->b, 0);
			count(m, c->a % 2 ? sys_nbsend(r, MSGINFO(0, 0, 1), c->b, 0, 0, 0).err
					  : inv(m, S_CNODE, CNODE_DELETE, 1, (uint64_t[]){ r }, 0));
			refresh(m, r);
		}
		break;
	}
	default:
		note(m, 0, 0x100 + SYS_YIELD, 0, 0);
		sys_yield();
		count(m, E_OK);
		break;
	}
}

static struct call new_call(uint64_t *s, int lifecycle)
{
	static const uint8_t mapping_ops[] = {
		OP_RETYPE, OP_PT_MAP, OP_PT_MAP, OP_FRAME_MAP, OP_FRAME_MAP, OP_DELETE, OP_PT_UNMAP,
		OP_FRAME_UNMAP, OP_REVOKE, OP_PROBE, OP_PROBE, OP_MOVE, OP_COPY,
	};
	uint64_t r = fuzz_rng(s), w = 0, sum = 0;
	struct call c = { .a = (uint32_t)fuzz_rng(s), .b = fuzz_rng(s) };
	for (unsigned i = 0; i < 3; i++)
		c.p[i] = (uint8_t)(r >> (8 * i)) | (lifecycle || (r >> 30) % 2 ? 0x80 : 0);
	if (lifecycle) {
		c.op = mapping_ops[(r >> 32) % sizeof mapping_ops];
		return c;
	}
	for (unsigned i = 0; i < OP_COUNT; i++)
		sum += op_weight[i];
	w = (r >> 32) % sum;
	for (c.op = 0; w >= op_weight[c.op]; c.op++)
		w -= op_weight[c.op];
	return c;
}

/* Either calls of every kind, or the life of a few mapping objects: make
 * them, then map, unmap, delete, revoke and probe them in random order. */
static void new_prog(struct prog *p, uint64_t *s)
{
	int lifecycle = fuzz_rng(s) % 2;
	p->n = 4 + fuzz_rng(s) % (PROG_MAX - 4);
	for (unsigned i = 0; i < p->n; i++)
		p->c[i] = new_call(s, lifecycle);
	if (lifecycle)   /* start by making them: untyped, VSpace, page tables, frames */
		for (unsigned i = 0; i < 5 && i < p->n; i++) {
			static const uint8_t make_type[] = { 7, 5, 2, 3, 0 };   /* indices into op_retype's types */
			p->c[i].op = OP_RETYPE;
			p->c[i].a = (p->c[i].a & ~0xffu) | make_type[i];
			p->c[i].b |= 1;   /* not a bad type, not into a nested CNode */
		}
}

static void mutate(struct prog *p, uint64_t *s)
{
	for (unsigned k = 1 + fuzz_rng(s) % 3; k; k--) {
		uint64_t r = fuzz_rng(s);
		unsigned i = (unsigned)((r >> 8) % p->n);
		switch (r % 6) {
		case 0: p->c[i].a ^= 1u << (r >> 20) % 32; break;
		case 1: p->c[i].b = fuzz_rng(s); break;
		case 2: p->c[i].p[(r >> 20) % 3] = (uint8_t)fuzz_rng(s); break;
		case 3:   /* insert a fresh call */
			if (p->n < PROG_MAX) {
				for (unsigned j = (unsigned)p->n++; j > i; j--)
					p->c[j] = p->c[j - 1];
				p->c[i] = new_call(s, r >> 40 & 1);
			}
			break;
		case 4:   /* drop one */
			if (p->n > 1) {
				for (unsigned j = i; j + 1 < p->n; j++)
					p->c[j] = p->c[j + 1];
				p->n--;
			}
			break;
		default: {   /* swap two: the same calls in another order */
			unsigned j = (unsigned)((r >> 32) % p->n);
			struct call t = p->c[i];
			p->c[i] = p->c[j];
			p->c[j] = t;
			break;
		}
		}
	}
}

/* --- the known holes, played straight (fuzz_known) ------------------ */

/* A VSpace V with page tables PT1 (slot a), PT0 (a + 1) and a frame
 * (a + 2, from a one-page untyped in a + 3) mapped at the start of window
 * B; V itself in a + 4. */
static void known_setup(struct round *m, unsigned a)
{
	INV(m, S_UNTYPED, UNTYPED_RETYPE, OBJ_UNTYPED, 12, S_CNODE, a + 3, 1);
	INV(m, a + 3, UNTYPED_RETYPE, OBJ_FRAME, 0, S_CNODE, a + 2, 1);
	INV(m, S_UNTYPED, UNTYPED_RETYPE, OBJ_PAGE_TABLE, 0, S_CNODE, a, 2);
	INV(m, S_UNTYPED, UNTYPED_RETYPE, OBJ_VSPACE, 0, S_CNODE, a + 4, 1);
	INV(m, a, PAGE_TABLE_MAP, a + 4, WIN_B);
	INV(m, a + 1, PAGE_TABLE_MAP, a + 4, WIN_B);
	INV(m, a + 2, FRAME_MAP, a + 4, WIN_B, RIGHT_READ | RIGHT_WRITE);
}

static void known_probe(struct round *m)
{
	m->probes++;
	if (probe(m, WIN_B)) {
		m->stale_va = WIN_B;
		m->stale++;
	}
}

/* 1: issue 10's hole: delete V, unmap PT1 (which clears nothing of a
 * dead VSpace's), map it into our own VSpace, drop the frame and retype
 * its memory as a notification. 2: a copy of PT1's cap, which starts
 * unmapped, maps the same table into our own VSpace as well. */
static void known_hole(struct round *m, uint64_t which)
{
	unsigned a = S_FREE;
	known_setup(m, a);
	if (which == 1) {
		INV(m, S_CNODE, CNODE_DELETE, a + 4);
		INV(m, a, PAGE_TABLE_UNMAP);
		INV(m, a, PAGE_TABLE_MAP, S_VSPACE, WIN_B);
		INV(m, S_CNODE, CNODE_DELETE, a + 2);
		INV(m, a + 3, UNTYPED_RETYPE, OBJ_NOTIFICATION, 0, S_CNODE, a + 2, 1);
	} else {
		INV(m, S_CNODE, CNODE_COPY, a + 5, S_CNODE, a, RIGHTS_ALL);
		INV(m, a + 5, PAGE_TABLE_MAP, S_VSPACE, WIN_B);
	}
	known_probe(m);
}

static void fuzz_thread(uint64_t arg)
{
	struct round *m = (struct round *)arg;
	uint64_t s = m->seed | 1;
	while (!m->go)   /* until the root task has given us our own CSpace: we start in its */
		sys_yield();
	refresh_all(m);
	m->own_vspace = m->tab[S_VSPACE].paddr;
	m->own_tcb = m->tab[S_TCB].paddr;
	if (m->known)
		known_hole(m, m->known);
	while (!m->known && m->calls < m->limit) {
		struct prog *p = &m->log[m->progs % LOG_PROGS];
		uint64_t n = ncorpus;
		if (n && fuzz_rng(&s) % 4) {
			*p = corpus[fuzz_rng(&s) % (n < CORPUS_MAX ? n : CORPUS_MAX)];
			mutate(p, &s);
		} else {
			new_prog(p, &s);
		}
		for (unsigned i = 0; i < p->n && m->calls + OP_MAX_CALLS <= m->limit; i++)
			run_call(m, &p->c[i], &s);
		while (m->calls < m->limit && m->calls + OP_MAX_CALLS > m->limit)   /* the last few: exactly */
			run_call(m, &(struct call){ .op = OP_YIELD }, &s);
		m->progs++;
		if (m->coverage_on)
			sys_yield();   /* let the root task see what this program reached */
	}
	m->done = 1;
	tcb_suspend(S_TCB);
}

/* --- the root task's side --------------------------------------------- */

uint64_t fuzz_coverage(void)
{
	uint64_t r[4] = { 0 };
	unsigned n = 0;
	if (invoke(SLOT_SYSTEM, SYSTEM_COVERAGE, 1, (uint64_t[]){ 0 }, r, &n) || n < 1)
		return 0;
	return r[0];
}

/* The fuzz thread's CNode, as seen from its own CSpace (guard: cptr =
 * slot), with the fixed slots filled and a random mix of objects. */
static cptr_t fuzz_cspace(uint64_t *s, cptr_t *guarded, struct round *m, cptr_t *hbuf)
{
	cptr_t cn = make(OBJ_CNODE, CNODE_BITS), ut = make(OBJ_UNTYPED, FUZZ_UNTYPED_BITS);
	*guarded = new_slot();
	CHECK_OK(INVOKE(SLOT_CNODE, CNODE_MINT, *guarded, SLOT_CNODE, cn, RIGHTS_ALL, 0, 64 - CNODE_BITS));
	CHECK_OK(cnode_copy(cn, S_CNODE, SLOT_CNODE, *guarded, RIGHTS_ALL));
	CHECK_OK(cnode_move(cn, S_UNTYPED, SLOT_CNODE, ut));
	CHECK_OK(cnode_copy(cn, S_IRQCTL, SLOT_CNODE, SLOT_IRQ_CONTROL, RIGHTS_ALL));
	for (unsigned i = 0; i < NHELP; i++)
		CHECK_OK(cnode_copy(cn, S_HBUF + i, SLOT_CNODE, hbuf[i], RIGHTS_ALL));
	static const uint64_t types[] = { OBJ_ENDPOINT, OBJ_NOTIFICATION, OBJ_FRAME, OBJ_PAGE_TABLE, OBJ_TIMER,
					  OBJ_TCB, OBJ_CNODE, OBJ_VSPACE, OBJ_UNTYPED, OBJ_LARGE_FRAME };
	for (unsigned i = S_MIX; i < S_FREE; i++) {
		uint64_t t = types[fuzz_rng(s) % (sizeof types / sizeof types[0])];
		CHECK_OK(untyped_retype(pool, t, t == OBJ_CNODE ? 3 : t == OBJ_UNTYPED ? 14 : 0, cn, i, 1));
	}
	(void)m;
	return cn;
}

/* The shared pages, in one run of addresses; the frames of the helpers'
 * pages in hbuf. */
static struct round *round_pages(cptr_t *hbuf)
{
	uint64_t pages = (sizeof(struct round) + PAGE_SIZE - 1) / PAGE_SIZE, va = new_vaddr(pages);
	struct round *m = (struct round *)va;
	for (uint64_t i = 0; i < pages; i++) {
		cptr_t f = make(OBJ_FRAME, 0);
		uint64_t pva = va + i * PAGE_SIZE;
		CHECK_OK(map_frame(f, SLOT_VSPACE, pva, RIGHT_READ | RIGHT_WRITE));
		for (unsigned h = 0; h < NHELP; h++)
			if (pva == (uint64_t)&m->hp[h])
				hbuf[h] = f;
	}
	return m;
}

/* A fault of the fuzz thread: a probe, or a random call's unknown syscall
 * number (resume after the load or the ecall); anything else is a harness
 * failure. */
static int answer_faults(struct round *m, cptr_t fault_ep)
{
	for (;;) {
		struct sysret r = sys_nbrecv(fault_ep);
		if (r.err)
			return 0;
		int bad_syscall = r.mr[0] == FAULT_BAD_SYSCALL, in_b = r.mr[1] >= WIN_B && r.mr[1] < WIN_B + 0x40000000ULL;
		if (MSGINFO_LABEL(r.info) != FAULT_LABEL || !(bad_syscall || in_b)) {
			printf("fuzz: the fuzz thread faulted: type %llu addr %llx pc %llx\n", (unsigned long long)r.mr[0],
			       (unsigned long long)r.mr[1], (unsigned long long)r.mr[2]);
			return 1;
		}
		m->faults += !bad_syscall;
		sys_reply(MSGINFO(0, 0, 1), r.mr[2] + 4, 0, 0, 0);   /* past the load or the ecall */
	}
}

/* The calls that led to the oracle's first finding, oldest first: the op,
 * the slot, the invocation label (0x100 + n: syscall n; 0x200: a random
 * call), two arguments and the answer. */
static void print_trace(struct round *m)
{
	uint64_t end = m->stale_trace, start = end > TRACE ? end - TRACE : 0;
	for (uint64_t i = start; i < end; i++) {
		const struct trace *t = &m->trace[i % TRACE];
		printf("fuzz: trace %s slot %u label %#x args %#x %#llx -> %s\n", op_name[t->op % OP_COUNT], t->cap,
		       t->label, (unsigned)t->arg0, (unsigned long long)t->arg1, t->err == 0xff ? "?" : err_name(t->err));
	}
}

/* Programs the fuzz thread ran since we last looked reached new code. */
static void keep_programs(struct round *m, uint64_t from, uint64_t to, uint64_t *s)
{
	if (to - from > LOG_PROGS)
		from = to - LOG_PROGS;
	for (uint64_t i = from; i < to; i++) {
		uint64_t n = ncorpus;
		corpus[n < CORPUS_MAX ? n : fuzz_rng(s) % CORPUS_MAX] = m->log[i % LOG_PROGS];
		ncorpus = n + 1;
	}
}

static void round_run(uint64_t seed, uint64_t calls, uint64_t known, struct fuzz_stats *st);

void fuzz_round(uint64_t seed, uint64_t calls, struct fuzz_stats *st) { round_run(seed, calls, 0, st); }

uint64_t fuzz_known(uint64_t which, struct fuzz_stats *st)
{
	uint64_t stale = st->stale_mappings;
	round_run(1, 0, which, st);
	return st->stale_mappings - stale;
}

static void round_run(uint64_t seed, uint64_t calls, uint64_t known, struct fuzz_stats *st)
{
	uint64_t s = seed | 1;
	cptr_t hbuf[NHELP], guarded;
	struct round *m = round_pages(hbuf);
	cptr_t cn = fuzz_cspace(&s, &guarded, m, hbuf), fault_ep = make(OBJ_ENDPOINT, 0);
	uint64_t cov = fuzz_coverage(), seen = 0, last_calls = 0, stalled = 0;
	m->limit = calls;
	m->known = known;
	m->seed = fuzz_rng(&s);
	m->coverage_on = cov != 0;
	child_start_isolated(&m->c, fuzz_thread, (uint64_t)m, TEST_PRIO, 0);
	CHECK_OK(cnode_copy(cn, S_TCB, SLOT_CNODE, m->c.tcb, RIGHTS_ALL));
	CHECK_OK(cnode_copy(cn, S_VSPACE, SLOT_CNODE, m->c.vspace, RIGHTS_ALL));
	CHECK_OK(tcb_configure(m->c.tcb, guarded, m->c.vspace, m->c.buf_frame, (uint64_t)m->c.buf, fault_ep));
	m->go = 1;
	/* let it run; now and then pull an object out from under it */
	while (!m->done && stalled < STALL_LIMIT) {
		sys_yield();
		if (answer_faults(m, fault_ep))
			break;
		uint64_t now = fuzz_coverage(), progs = m->progs;
		if (now > cov && progs > seen)
			keep_programs(m, seen, progs, &s);
		seen = progs;
		if (fuzz_rng(&s) % 64 == 0)
			cnode_delete(cn, S_MIX + fuzz_rng(&s) % (TAB - S_MIX));
		stalled = m->calls == last_calls ? stalled + 1 : 0;
		last_calls = m->calls;
		cov = fuzz_coverage();
	}
	for (unsigned e = 0; e <= E_COUNT; e++)
		st->errors[e] += m->errors[e];
	if (m->stale) {
		printf("fuzz: oracle: %llu probes read memory no cap maps (first at va %llx, round %llu, "
		       "after %llu calls)\n", (unsigned long long)m->stale, (unsigned long long)m->stale_va,
		       (unsigned long long)st->rounds, (unsigned long long)(st->calls + m->calls));
		if (!st->stale_mappings) {
			st->first_stale_call = st->calls + m->calls;
			print_trace(m);
		}
		st->stale_mappings += m->stale;
		st->invariant_failures++;
	}
	st->calls += m->calls;
	st->probes += m->probes;
	st->rounds++;
	st->invariant_failures += self_check();
	env_reset();
	st->invariant_failures += self_check();
	st->corpus = ncorpus;
	st->coverage = fuzz_coverage();
}
