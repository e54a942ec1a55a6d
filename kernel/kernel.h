/* Kernel-wide types and the functions each file offers the others.
 *
 * Every kernel object lives in memory retyped from untyped, addressed
 * through the kernel window: physical address + KERNEL_BASE. */
#ifndef KERNEL_H
#define KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include "riscv.h"
#include "../include/abi/error.h"
#include "../include/abi/syscall.h"
#include "../include/abi/object.h"
#include "../include/abi/invocation.h"
#include "../include/abi/fault.h"
#include "../include/abi/bootinfo.h"
#include "../include/abi/trace.h"

#define KERNEL_BASE 0xFFFFFFC000000000ULL
#define PAGE_SIZE 4096ULL
#define ASID_COUNT 1024     /* address spaces that may exist at once */
#define IRQ_COUNT 64        /* PLIC sources handled (QEMU virt has 96; we use < 64) */

static inline void *kva(uint64_t pa) { return (void *)(pa + KERNEL_BASE); }
static inline uint64_t kpa(const void *p) { return (uint64_t)p - KERNEL_BASE; }
#define BIT(n) (1ULL << (n))
#define MASK(n) ((n) >= 64 ? ~0ULL : BIT(n) - 1)

#define assert(c) do { if (!(c)) panic("assertion failed: " #c, __FILE__, __LINE__); } while (0)

/* A capability: what it names (type, obj), what it allows (rights) and the
 * per-type words below. Object caps point at the object's kernel address. */
struct cap {
	uint8_t type;        /* enum obj_type; OBJ_ZOMBIE only inside cnode.c */
	uint8_t rights;
	uint8_t size_bits;   /* untyped size, CNode radix, frame size */
	uint8_t guard_bits;  /* CNode guard width */
	uint8_t is_device;   /* untyped or frame of device memory */
	uint8_t pad[3];
	uint64_t obj;        /* kernel address of the object; IRQ: line number */
	uint64_t data;       /* badge (ep, ntfn), guard (CNode), bytes used (untyped),
	                        mapped vaddr (frame, page table), asid (vspace) */
	uint64_t asid;       /* frame, page table: asid it is mapped in, 0 = unmapped */
};

/* A capability table entry: a slot of a CNode, with its place in the
 * derivation tree (parent, first child, siblings). */
struct cte {
	struct cap cap;
	struct cte *parent, *child, *next, *prev;
};

#define OBJ_ZOMBIE 0xff

/* A FIFO of threads, linked through tcb->qnext/qprev (sched.c). */
struct tqueue {
	struct tcb *head, *tail;
};

enum ep_state { EP_IDLE, EP_SEND, EP_RECV };
struct endpoint {
	uint64_t state;
	struct tqueue q;
	uint64_t pad;
};

enum ntfn_state { NTFN_IDLE, NTFN_WAITING, NTFN_ACTIVE };
struct notification {
	uint64_t state;
	uint64_t word;
	struct tqueue q;
	struct tcb *bound;
	uint64_t pad[3];
};

struct ktimer {
	uint64_t deadline;
	struct notification *ntfn;
	uint64_t badge;
	struct ktimer *next;
	uint64_t armed;
	uint64_t pad[3];
};

/* A thread. regs[0] holds the pc (x0 is always zero, so the slot is free). */
struct tcb {
	uint64_t regs[32];
	uint64_t fregs[32];
	uint64_t fcsr;
	uint8_t state;       /* enum thread_state */
	uint8_t prio, mcp;
	uint8_t ipc_call;    /* blocked sender used Call */
	uint8_t ipc_grant;   /* blocked sender may transfer caps */
	uint8_t faulting;    /* its message is a fault, not its registers */
	uint8_t in_ready;    /* linked in a ready queue */
	uint8_t lease_rights; /* what its current Call lends (lease.c); 0: nothing */
	uint64_t ipc_badge;
	void *blocked_on;    /* endpoint or notification */
	struct tcb *qnext, *qprev;    /* ready queue or blocking queue */
	struct tcb *caller;  /* waits for our reply */
	struct tcb *replier; /* owes us a reply (we are BLOCKED_REPLY) */
	struct cte *reply_cap; /* or: the slot of the saved reply cap to us */
	struct cap cspace;
	uint64_t *vspace;
	uint64_t satp;       /* satp value for vspace (with its ASID) */
	struct ipc_buffer *ipcbuf;
	uint64_t ipcbuf_vaddr;
	struct endpoint *fault_ep;
	uint64_t fault_badge;
	struct notification *bound_ntfn;
	uint64_t fault_type, fault_addr, fault_cause;
	uint64_t lease_base, lease_len;
	struct tcb *all_next, *all_prev;
	char name[16];
	uint64_t ticks;      /* preemption ticks that found it running */
	uint64_t calls;      /* endpoint Calls it has made */
	char owed_by[16];    /* name of the thread that saved the reply cap to us */
	uint32_t tid;        /* its number in traces: 1, 2, ... as threads are made */
};

/* Kernel state (one hart). */
extern struct tcb *current;
extern uint64_t timebase_hz;

/* printk.c, sbi.c */
void printk(const char *fmt, ...);
void panic(const char *why, const char *file, int line) __attribute__((noreturn));
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void sbi_putchar(char c);
void sbi_set_timer(uint64_t when);
void sbi_shutdown(void) __attribute__((noreturn));

/* fdt.c */
struct platform {
	uint64_t ram_base, ram_size;
	uint64_t plic_base;
	uint64_t timebase_hz;
	uint64_t dtb_size;
	int ndev;
	struct { uint64_t base, size; } dev[48];
};
void fdt_parse(uint64_t dtb_pa, struct platform *p);

/* cspace.c: lookup and the derivation tree */
enum err lookup_cap(uint64_t cptr, int type, struct cte **out);
enum err lookup_slot_in(const struct cap *root, uint64_t cnode_cptr, uint64_t index, struct cte **out);
enum err lookup_slot(uint64_t cnode_cptr, uint64_t index, struct cte **out);
enum err lookup_empty_slot(uint64_t cnode_cptr, uint64_t index, struct cte **out);
void cte_insert(struct cte *parent, struct cte *slot, const struct cap *cap);
void cte_move(struct cte *from, struct cte *to);
void cte_delete(struct cte *slot);
int cte_remove(struct cte *slot);
void cte_revoke(struct cte *slot);
int cap_same_object(const struct cap *a, const struct cap *b);
enum err cap_derive(const struct cap *src, struct cap *out);
int cspace_each_slot(void (*fn)(struct cte *slot, void *arg), void *arg);
int cspace_check(void);

/* cnode.c */
enum err cnode_invoke(struct cte *slot, uint64_t label, uint64_t *mr, uint64_t *nret);
void cnode_finalize(struct cap *c);

/* untyped.c */
enum err untyped_invoke(struct cte *slot, uint64_t label, uint64_t *mr);
int untyped_check(const struct cte *ut);

/* tcb.c, sched.c */
enum err tcb_invoke(struct cte *slot, uint64_t label, uint64_t *mr, uint64_t *nret);
void tcb_init(struct tcb *t);
void tcb_destroy(struct tcb *t);
void tcb_forget_object(uint64_t base, uint64_t size);
struct tcb *tcb_first(void);
void sched_ready(struct tcb *t);
void sched_block(struct tcb *t, int state);
void sched_dequeue(struct tcb *t);
void sched_rotate(void);
void schedule(void);
int sched_check(void);

/* endpoint.c */
void ep_send(struct endpoint *ep, uint64_t badge, int blocking, int call, int grant);
void ep_recv(struct endpoint *ep, int blocking);
void ep_reply(void);
void ep_fault(struct tcb *t);
void ep_cancel(struct tcb *t);
void reply_cap_send(struct cte *slot);
void reply_cap_finalize(struct tcb *caller);
void reply_cap_drop(struct tcb *caller);
enum err reply_cap_save(struct cte *dest);
void ep_finalize(struct endpoint *ep);
void ipc_set_result(struct tcb *t, enum err e);

/* lease.c */
enum err lease_attach(struct tcb *t, uint64_t info, int call);
void lease_announce(const struct tcb *from, struct tcb *to, uint64_t *info);
enum err lease_copy(struct tcb *t);

/* notification.c */
void ntfn_signal(struct notification *n, uint64_t badge);
void ntfn_wait(struct notification *n, int blocking);
void ntfn_cancel(struct tcb *t);
void ntfn_finalize(struct notification *n);
int ntfn_deliver_bound(struct tcb *t);

/* vspace.c */
extern uint64_t kernel_root[512];
extern uint64_t ram_start, ram_end;   /* the RAM the kernel copies user data in */
enum err vspace_invoke(struct cte *slot, uint64_t label, uint64_t *mr, uint64_t *nret);
void vspace_init_root(uint64_t *root);
uint64_t asid_take(uint64_t *root);   /* after asid_available: cannot fail */
enum err asid_available(uint64_t count);
void vspace_finalize(struct cap *c);
void vspace_unmap_cap(struct cap *c);
uint64_t *vspace_walk(uint64_t *root, uint64_t va, int level);
int vspace_check(void);
int vspace_user_readable(struct tcb *t, uint64_t va, uint64_t len);
int vspace_copy_from_user(struct tcb *t, void *dst, uint64_t src, uint64_t len);
int vspace_copy(struct tcb *dt, uint64_t dst, struct tcb *st, uint64_t src, uint64_t len);

/* irq.c, timer.c */
void plic_init(uint64_t base);
void irq_handle(void);
enum err irq_invoke(struct cte *slot, uint64_t label, uint64_t *mr);
void irq_finalize(uint64_t irq);
void irq_forget_ntfn(struct notification *n);
void timer_start(void);
void timer_interrupt(void);
enum err timer_invoke(struct cte *slot, uint64_t label, uint64_t *mr);
void timer_cancel(struct ktimer *t);
void timer_forget_ntfn(struct notification *n);

/* syscall.c, trap.c */
extern uint64_t fastpath_hits;   /* counted by fastpath.c, read by SYSTEM_FASTPATH_HITS */
void syscall_handle(void);
void fault_raise(struct tcb *t, uint64_t type, uint64_t addr, uint64_t cause);
enum err system_invoke(uint64_t label, uint64_t *mr, uint64_t *nret);
enum err coverage_invoke(uint64_t *mr, uint64_t *nret);   /* coverage.c: SYSTEM_COVERAGE */

/* trace.c: the IPC trace (-Dtrace=true; abi/trace.h). Each hook is
 * `if (TRACING()) ...`: a load and a branch while tracing is off, nothing
 * at all compiled out. */
struct trace_state {
	uint64_t *ring;   /* the trace object recording, or NULL */
	uint64_t head;    /* records written since TRACE_START */
	uint8_t on, clock;
};
enum err trace_invoke(struct cte *slot, uint64_t label, uint64_t *mr, uint64_t *nret);
void trace_finalize(void *obj);
#define TRACE_TID(t) ((t) ? (uint64_t)(t)->tid : 0)
#ifdef CONFIG_TRACE
extern struct trace_state trace;
#define TRACING() __builtin_expect(trace.on, 0)
void trace_name(const struct tcb *t);

/* Inline, so that the fastpath stays free of calls (and of a stack frame). */
static inline __attribute__((always_inline)) void trace_record(uint64_t w1, uint64_t w2, uint64_t threads)
{
	uint64_t *r = &trace.ring[(trace.head++ % TRACE_RECORDS) * TRACE_RECORD_WORDS];
	r[0] = trace.clock == TRACE_CLOCK_INSTRET ? csr_read(instret) : rdtime();
	r[1] = w1;
	r[2] = w2;
	r[3] = threads;
}

/* A message from one thread to another, as the receiver got it. */
static inline __attribute__((always_inline)) void trace_ipc(unsigned event, unsigned flags, const struct tcb *from,
							    const struct tcb *to, uint64_t badge, uint64_t info)
{
	flags |= info & MSGINFO_LEASE ? TRF_LEASE : 0;
	trace_record(badge, event | flags << 8 | MSGINFO_LEN(info) << 16 | MSGINFO_CAPS(info) << 24 |
			    (uint64_t)(uint32_t)MSGINFO_LABEL(info) << 32,
		     TRACE_TID(from) | TRACE_TID(to) << 32);
}
#else
#define TRACING() 0
static inline void trace_record(uint64_t w1, uint64_t w2, uint64_t threads) { (void)w1, (void)w2, (void)threads; }
static inline void trace_name(const struct tcb *t) { (void)t; }
static inline void trace_ipc(unsigned event, unsigned flags, const struct tcb *from, const struct tcb *to,
			     uint64_t badge, uint64_t info)
{
	(void)event, (void)flags, (void)from, (void)to, (void)badge, (void)info;
}
#endif

/* boot.c */
void boot_root_task(uint64_t dtb_pa, struct platform *p);

/* fp.S, entry.S */
void fp_save(struct tcb *t);
void fp_load(struct tcb *t);
void user_return(uint64_t *regs) __attribute__((noreturn));

/* Inline: on the path of every syscall, and the IPC fastpath's
 * (fastpath.c) uses the queue and address-space ones too. */

/* Resolve all 64 bits of cptr, seL4-style: each CNode consumes its guard
 * and radix bits; a slot holding another CNode continues the walk. */
static inline enum err cspace_lookup(const struct cap *root, uint64_t cptr, struct cte **out)
{
	const struct cap *c = root;
	int left = CPTR_BITS;
	for (;;) {
		if (c->type != OBJ_CNODE)
			return E_FAILED_LOOKUP;
		int g = c->guard_bits, r = c->size_bits;
		if (g + r > left)
			return E_FAILED_LOOKUP;
		if (g && ((cptr >> (left - g)) & MASK(g)) != c->data)
			return E_FAILED_LOOKUP;
		left -= g + r;
		struct cte *slot = (struct cte *)c->obj + ((cptr >> left) & MASK(r));
		if (left == 0 || slot->cap.type != OBJ_CNODE) {
			*out = slot;
			return E_OK;
		}
		c = &slot->cap;
	}
}

static inline void tq_append(struct tqueue *q, struct tcb *t)
{
	t->qnext = NULL;
	t->qprev = q->tail;
	if (q->tail)
		q->tail->qnext = t;
	else
		q->head = t;
	q->tail = t;
}

static inline void tq_remove(struct tqueue *q, struct tcb *t)
{
	if (t->qprev)
		t->qprev->qnext = t->qnext;
	else
		q->head = t->qnext;
	if (t->qnext)
		t->qnext->qprev = t->qprev;
	else
		q->tail = t->qprev;
	t->qnext = t->qprev = NULL;
}

extern uint64_t *active_root;   /* vspace.c */

static inline uint64_t satp_of(uint64_t *root, uint64_t asid)
{
	return (8ULL << 60) | (asid << 44) | (kpa(root) >> 12);
}

static inline void activate_root(uint64_t *root, uint64_t satp)
{
	if (root == active_root)
		return;
	active_root = root;
	csr_write(satp, satp);
}

static inline void vspace_activate(struct tcb *t)
{
	if (t && t->vspace)
		activate_root(t->vspace, t->satp);
	else
		activate_root(kernel_root, satp_of(kernel_root, 0));
}

extern struct tcb *fp_owner;   /* tcb.c */

static inline void set_fs(uint64_t fs)
{
	csr_clear(sstatus, SSTATUS_FS);
	csr_set(sstatus, fs);
}

/* Into the address space of the thread to run; its FPU state is live only
 * if it owns the FPU. Returns where its registers are. */
static inline uint64_t *trap_resume(void)
{
	vspace_activate(current);
	set_fs(current == fp_owner ? SSTATUS_FS_CLEAN : 0);
	return current->regs;
}

#endif
