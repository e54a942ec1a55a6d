/* libsys: what every user program links. Raw syscalls are inline here;
 * invocation wrappers for each kernel object are in invoke.c. */
#ifndef LIBSYS_SYS_H
#define LIBSYS_SYS_H

#include <stdint.h>
#include "../include/abi/error.h"
#include "../include/abi/syscall.h"
#include "../include/abi/object.h"
#include "../include/abi/invocation.h"
#include "../include/abi/fault.h"
#include "../include/abi/bootinfo.h"

typedef uint64_t cptr_t;

struct sysret {
	uint64_t err, info, mr[MSG_REG_COUNT], badge;
};

/* Each thread's IPC buffer (thread-local; set by crt0 or thread_start). */
extern __thread struct ipc_buffer *__ipcbuf;

/* The IPC syscalls may clobber more registers than the others
 * (ABI_IPC_CLOBBER_LIST: none, or t0..t6 under the clobbering ABI). nr is
 * a constant in almost every use, so only one of the two asm statements
 * is left. */
static inline struct sysret sys_raw(uint64_t nr, cptr_t cap, msginfo_t info,
				    uint64_t m0, uint64_t m1, uint64_t m2, uint64_t m3)
{
	register uint64_t a0 __asm__("a0") = cap;
	register uint64_t a1 __asm__("a1") = info;
	register uint64_t a2 __asm__("a2") = m0;
	register uint64_t a3 __asm__("a3") = m1;
	register uint64_t a4 __asm__("a4") = m2;
	register uint64_t a5 __asm__("a5") = m3;
	register uint64_t a6 __asm__("a6");
	register uint64_t a7 __asm__("a7") = nr;
	if (nr >= ABI_IPC_FIRST && nr <= ABI_IPC_LAST)
		__asm__ volatile("ecall"
				 : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "=r"(a6)
				 : "r"(a7)
				 : "memory" ABI_IPC_CLOBBER_LIST);
	else
		__asm__ volatile("ecall"
				 : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "=r"(a6)
				 : "r"(a7)
				 : "memory");
	return (struct sysret){ a0, a1, { a2, a3, a4, a5 }, a6 };
}

static inline struct sysret sys_call(cptr_t c, msginfo_t i, uint64_t m0, uint64_t m1, uint64_t m2, uint64_t m3)
{ return sys_raw(SYS_CALL, c, i, m0, m1, m2, m3); }
static inline struct sysret sys_send(cptr_t c, msginfo_t i, uint64_t m0, uint64_t m1, uint64_t m2, uint64_t m3)
{ return sys_raw(SYS_SEND, c, i, m0, m1, m2, m3); }
static inline struct sysret sys_nbsend(cptr_t c, msginfo_t i, uint64_t m0, uint64_t m1, uint64_t m2, uint64_t m3)
{ return sys_raw(SYS_NBSEND, c, i, m0, m1, m2, m3); }
static inline struct sysret sys_recv(cptr_t c) { return sys_raw(SYS_RECV, c, 0, 0, 0, 0, 0); }
static inline struct sysret sys_nbrecv(cptr_t c) { return sys_raw(SYS_NBRECV, c, 0, 0, 0, 0, 0); }
static inline struct sysret sys_reply(msginfo_t i, uint64_t m0, uint64_t m1, uint64_t m2, uint64_t m3)
{ return sys_raw(SYS_REPLY, 0, i, m0, m1, m2, m3); }
static inline struct sysret sys_replyrecv(cptr_t c, msginfo_t i, uint64_t m0, uint64_t m1, uint64_t m2, uint64_t m3)
{ return sys_raw(SYS_REPLYRECV, c, i, m0, m1, m2, m3); }
static inline void sys_yield(void) { sys_raw(SYS_YIELD, 0, 0, 0, 0, 0, 0); }
/* The kernel console: needs the system cap (the root task's SLOT_SYSTEM). */
static inline enum err sys_debug_write(cptr_t system, const void *p, uint64_t len)
{ return (enum err)sys_raw(SYS_DEBUG_PUTS, system, (uint64_t)p, len, 0, 0, 0).err; }

/* Leases: a server copies to or from the buffer its caller lent (op:
 * LEASE_READ or LEASE_WRITE, with LEASE_VIA_REPLY_CAP for a saved reply
 * cap in `reply`). */
static inline enum err sys_lease_copy(cptr_t reply, uint64_t op, uint64_t off, void *buf, uint64_t len)
{ return (enum err)sys_raw(SYS_LEASE_COPY, reply, op, off, (uint64_t)buf, len, 0).err; }

/* Notifications are endpoints' little siblings: signal = send, wait = recv. */
static inline enum err ntfn_signal(cptr_t n) { return (enum err)sys_send(n, 0, 0, 0, 0, 0).err; }
static inline struct sysret ntfn_wait(cptr_t n) { return sys_recv(n); }
static inline struct sysret ntfn_poll(cptr_t n) { return sys_nbrecv(n); }

static inline uint64_t rdinstret(void) { uint64_t v; __asm__ volatile("rdinstret %0" : "=r"(v)); return v; }
static inline uint64_t rdtime(void) { uint64_t v; __asm__ volatile("rdtime %0" : "=r"(v)); return v; }

/* invoke.c: call a method of a kernel object or a request of a server.
 * Up to MSG_MAX_WORDS arguments; results (if res) copied out, their count
 * in *nres (res must have room for all a reply may carry: MSG_MAX_WORDS
 * for a server). */
enum err invoke(cptr_t cap, uint64_t label, unsigned nargs, const uint64_t *args,
		uint64_t *res, unsigned *nres);
/* The same, lending [base, base + len) with `rights` for the call (a
 * lease, include/abi/syscall.h). */
enum err invoke_lending(cptr_t cap, uint64_t label, unsigned nargs, const uint64_t *args, uint64_t *res,
			unsigned *nres, const void *base, uint64_t len, uint64_t rights);
#define INVOKE(cap, label, ...) \
	invoke((cap), (label), sizeof((uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t), \
	       (uint64_t[]){ __VA_ARGS__ }, 0, 0)
#define INVOKE0(cap, label) invoke((cap), (label), 0, 0, 0, 0)

const char *err_name(uint64_t e);

static inline enum err untyped_retype(cptr_t ut, uint64_t type, uint64_t bits, cptr_t cnode,
				      uint64_t index, uint64_t count)
{ return INVOKE(ut, UNTYPED_RETYPE, type, bits, cnode, index, count); }
static inline enum err cnode_copy(cptr_t cn, uint64_t dst, cptr_t src_cn, uint64_t src, uint64_t rights)
{ return INVOKE(cn, CNODE_COPY, dst, src_cn, src, rights); }
static inline enum err cnode_mint(cptr_t cn, uint64_t dst, cptr_t src_cn, uint64_t src, uint64_t rights,
				  uint64_t badge)
{ return INVOKE(cn, CNODE_MINT, dst, src_cn, src, rights, badge, 0); }
static inline enum err cnode_move(cptr_t cn, uint64_t dst, cptr_t src_cn, uint64_t src)
{ return INVOKE(cn, CNODE_MOVE, dst, src_cn, src); }
static inline enum err cnode_delete(cptr_t cn, uint64_t index) { return INVOKE(cn, CNODE_DELETE, index); }
static inline enum err cnode_revoke(cptr_t cn, uint64_t index) { return INVOKE(cn, CNODE_REVOKE, index); }
static inline enum err tcb_configure(cptr_t t, cptr_t cspace, cptr_t vspace, cptr_t buf,
				     uint64_t buf_vaddr, cptr_t fault_ep)
{ return INVOKE(t, TCB_CONFIGURE, cspace, vspace, buf, buf_vaddr, fault_ep); }
static inline enum err tcb_set_priority(cptr_t t, cptr_t auth, uint64_t prio, uint64_t mcp)
{ return INVOKE(t, TCB_SET_PRIORITY, auth, prio, mcp); }
static inline enum err tcb_resume(cptr_t t) { return INVOKE0(t, TCB_RESUME); }
static inline enum err tcb_suspend(cptr_t t) { return INVOKE0(t, TCB_SUSPEND); }
static inline enum err frame_map(cptr_t f, cptr_t vs, uint64_t va, uint64_t rights)
{ return INVOKE(f, FRAME_MAP, vs, va, rights); }
static inline enum err frame_unmap(cptr_t f) { return INVOKE0(f, FRAME_UNMAP); }
static inline enum err page_table_map(cptr_t pt, cptr_t vs, uint64_t va)
{ return INVOKE(pt, PAGE_TABLE_MAP, vs, va); }

/* thread.c: start a thread in our own address space and CSpace. */
struct thread {
	cptr_t tcb;
	void (*fn)(uint64_t);
	uint64_t arg;
	struct ipc_buffer *ipcbuf;
	uint8_t tls[256] __attribute__((aligned(16)));
};
struct thread_config {
	cptr_t tcb, cspace, vspace, ipcbuf_frame, fault_ep;
	struct ipc_buffer *ipcbuf;
	void *stack_top;
	cptr_t prio_authority;   /* 0: leave the priority alone */
	uint64_t prio;
};
/* Configure the TCB, set its registers and start fn(arg) in it. */
enum err thread_start(struct thread *t, const struct thread_config *cfg, void (*fn)(uint64_t), uint64_t arg);

void sys_exit(int status) __attribute__((noreturn));

#endif
