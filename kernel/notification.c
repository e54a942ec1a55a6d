/* Notifications: a word of badge bits that signals OR into. A notification
 * is idle, has waiters queued, or is active (bits set, nobody waiting).
 * Bound to a thread, a signal also wakes that thread from an endpoint
 * Recv, so a server waits for requests and interrupts at once. */
#include "kernel.h"

enum { A0 = 10, A1, A6 = 16 };

static void deliver(struct tcb *t, uint64_t word, uint64_t label)
{
	if (TRACING())
		trace_record(word, TR_WAKE, t->tid);
	t->regs[A0] = E_OK;
	t->regs[A1] = MSGINFO(label, 0, 0);
	t->regs[A6] = word;
	sched_ready(t);
}

static void remove_waiter(struct notification *n, struct tcb *t)
{
	tq_remove(&n->q, t);
	t->blocked_on = NULL;
	if (!n->q.head)
		n->state = NTFN_IDLE;
}

void ntfn_signal(struct notification *n, uint64_t badge)
{
	if (n->state == NTFN_WAITING) {
		struct tcb *t = n->q.head;
		remove_waiter(n, t);
		deliver(t, badge, 0);
		return;
	}
	struct tcb *b = n->bound;
	if (b && b->state == TS_BLOCKED_RECV) {
		ep_cancel(b);
		deliver(b, n->word | badge, LABEL_NOTIFICATION);
		n->word = 0;
		n->state = NTFN_IDLE;
		return;
	}
	n->word |= badge;
	n->state = NTFN_ACTIVE;
}

void ntfn_wait(struct notification *n, int blocking)
{
	struct tcb *t = current;
	if (n->state == NTFN_ACTIVE) {
		deliver(t, n->word, 0);
		n->word = 0;
		n->state = NTFN_IDLE;
		return;
	}
	if (!blocking) {
		t->regs[A0] = E_WOULD_BLOCK;
		return;
	}
	tq_append(&n->q, t);
	t->blocked_on = n;
	n->state = NTFN_WAITING;
	sched_block(t, TS_BLOCKED_NOTIFICATION);
}

/* Called on Recv by a thread with a bound notification: take pending bits. */
int ntfn_deliver_bound(struct tcb *t)
{
	struct notification *n = t->bound_ntfn;
	if (n->state != NTFN_ACTIVE)
		return 0;
	deliver(t, n->word, LABEL_NOTIFICATION);
	n->word = 0;
	n->state = NTFN_IDLE;
	return 1;
}

void ntfn_cancel(struct tcb *t)
{
	remove_waiter((struct notification *)t->blocked_on, t);
}

void ntfn_finalize(struct notification *n)
{
	while (n->q.head) {
		struct tcb *t = n->q.head;
		remove_waiter(n, t);
		ipc_set_result(t, E_OBJECT_DELETED);
	}
	if (n->bound)
		n->bound->bound_ntfn = NULL;
	n->bound = NULL;
	irq_forget_ntfn(n);
	timer_forget_ntfn(n);
}
