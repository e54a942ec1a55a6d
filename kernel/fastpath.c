/* The IPC fastpath: Call and ReplyRecv in their commonest form, done in
 * one straight pass instead of the general path's lookups, queue moves
 * and scheduler run. It applies when
 *   - the message fits in the registers and carries no caps (a Call may
 *     lend a lease; a reply carries none),
 *   - the cap is an endpoint with the needed right,
 *   - Call: a receiver is waiting and owes no one a reply;
 *     ReplyRecv: the caller waits for an ordinary (not fault) reply and
 *     the server has no bound notification and no sender is queued,
 *   - the thread we switch to has at least our priority (so it is what
 *     the scheduler would pick: nothing ready is above us).
 * Anything else returns NULL and the general path (syscall.c, endpoint.c)
 * does the work with the same result. Built only with -Dfastpath=true. */
#include "kernel.h"

/* Called by trap_entry (entry.S) with the registers saved: the registers
 * of the thread to run, or NULL for the general path. */
uint64_t *fastpath_call(struct tcb *c);
uint64_t *fastpath_reply_recv(struct tcb *s);

enum { A0 = 10, A1, A2, A3, A4, A5, A6, A7 };

#define INFO_CAPS_LEN ((3ULL << 10) | 0x3ff)
#define INFO_LEASE_CAPS_LEN (MSGINFO_LEASE | INFO_CAPS_LEN)

/* The endpoint cap a0 names, if it has `right`. Only the usual CSpace is
 * looked up here: one CNode whose guard takes the bits its radix leaves
 * (a cptr is then a slot number); deeper ones take the general path. */
static inline __attribute__((always_inline)) struct cte *endpoint_slot(struct tcb *t, unsigned right)
{
	const struct cap *root = &t->cspace;
	uint64_t cptr = t->regs[A0], radix = root->size_bits;
	if (root->type != OBJ_CNODE || root->guard_bits + radix != CPTR_BITS || (cptr >> radix) != root->data)
		return NULL;
	struct cte *slot = (struct cte *)root->obj + (cptr & MASK(radix));
	if (slot->cap.type != OBJ_ENDPOINT || !(slot->cap.rights & right))
		return NULL;
	return slot;
}

/* Only the words sent are copied: the rest of the receiver's registers
 * stay its own. */
static void deliver(const struct tcb *from, struct tcb *to, uint64_t info, uint64_t badge)
{
	switch (MSGINFO_LEN(info)) {
	case 4: to->regs[A5] = from->regs[A5]; /* fall through */
	case 3: to->regs[A4] = from->regs[A4]; /* fall through */
	case 2: to->regs[A3] = from->regs[A3]; /* fall through */
	case 1: to->regs[A2] = from->regs[A2]; /* fall through */
	default: break;
	}
	to->regs[A0] = E_OK;
	to->regs[A1] = info;
	to->regs[A6] = badge;
}

static inline __attribute__((always_inline)) uint64_t *fast_call(struct tcb *c, uint64_t info)
{
	struct cte *slot;
	if ((info & INFO_CAPS_LEN) > MSG_REG_COUNT || !(slot = endpoint_slot(c, RIGHT_WRITE)))
		return NULL;
	struct endpoint *ep = (struct endpoint *)slot->cap.obj;
	struct tcb *r = ep->q.head;
	if (ep->state != EP_RECV || r->prio < c->prio || r->caller || !r->vspace)
		return NULL;
	tq_remove(&ep->q, r);
	if (!ep->q.head)
		ep->state = EP_IDLE;
	r->blocked_on = NULL;
	deliver(c, r, info, slot->cap.data);
	if (TRACING())
		trace_ipc(TR_CALL, TRF_FASTPATH, c, r, slot->cap.data, info);
	c->regs[0] += 4;
	c->calls++;
	r->caller = c;
	c->replier = r;
	c->state = TS_BLOCKED_REPLY;
	r->state = TS_RUNNABLE;
	current = r;
	fastpath_hits++;
	return trap_resume();
}

/* A Call that lends a lease: kept apart so that the common case needs no
 * stack frame. A bad lease goes to the general path, which says why. */
static __attribute__((noinline)) uint64_t *fast_call_lending(struct tcb *c, uint64_t info)
{
	if (lease_attach(c, info, 1) || !fast_call(c, info))
		return NULL;
	lease_announce(c, current, &current->regs[A1]);
	return current->regs;
}

uint64_t *fastpath_call(struct tcb *c)
{
	uint64_t info = c->regs[A1];
	if (info & MSGINFO_LEASE)
		return fast_call_lending(c, info);
	c->lease_rights = 0;
	return fast_call(c, info);
}

uint64_t *fastpath_reply_recv(struct tcb *s)
{
	uint64_t info = s->regs[A1];
	struct tcb *c = s->caller;
	struct cte *slot;
	if ((info & INFO_LEASE_CAPS_LEN) > MSG_REG_COUNT || !c || c->faulting || c->prio < s->prio ||
	    !c->vspace || s->bound_ntfn || !(slot = endpoint_slot(s, RIGHT_READ)))
		return NULL;
	struct endpoint *ep = (struct endpoint *)slot->cap.obj;
	if (ep->state == EP_SEND)
		return NULL;
	s->regs[0] += 4;
	s->caller = NULL;
	c->replier = NULL;
	deliver(s, c, info, 0);
	if (TRACING())
		trace_ipc(TR_REPLY, TRF_FASTPATH, s, c, 0, info);
	c->state = TS_RUNNABLE;
	ep->state = EP_RECV;
	tq_append(&ep->q, s);
	s->blocked_on = ep;
	s->state = TS_BLOCKED_RECV;
	current = c;
	fastpath_hits++;
	return trap_resume();
}
