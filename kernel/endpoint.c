/* Endpoints: synchronous IPC. An endpoint is idle, has senders queued, or
 * has receivers queued (never both). A message is copied straight from
 * the sender's registers and IPC buffer to the receiver's; Call leaves the
 * sender blocked until the receiver replies. A faulting thread "calls"
 * its fault endpoint with a fault message instead of its registers. */
#include "kernel.h"

enum { A0 = 10, A1, A2, A3, A4, A5, A6 };

void ipc_set_result(struct tcb *t, enum err e)
{
	t->regs[A0] = e;
	if (e)
		t->regs[A1] = 0;
	sched_ready(t);
}

static void queue_append(struct endpoint *ep, struct tcb *t)
{
	tq_append(&ep->q, t);
	t->blocked_on = ep;
}

static void queue_remove(struct endpoint *ep, struct tcb *t)
{
	tq_remove(&ep->q, t);
	t->blocked_on = NULL;
	if (!ep->q.head)
		ep->state = EP_IDLE;
}

static enum err recv_slot(struct tcb *to, uint64_t i, struct cte **out)
{
	enum err e = lookup_slot_in(&to->cspace, to->ipcbuf->recv_cnode, to->ipcbuf->recv_index + i, out);
	if (e)
		return e;
	return (*out)->cap.type == OBJ_NONE ? E_OK : E_DELETE_FIRST;
}

/* Copy up to n caps named in the sender's IPC buffer into consecutive
 * receive slots; stops at the first one that cannot move. */
static uint64_t transfer_caps(struct tcb *from, struct tcb *to, uint64_t n)
{
	uint64_t i;
	if (!from->ipcbuf || !to->ipcbuf)
		return 0;
	for (i = 0; i < n; i++) {
		struct cte *src, *dst;
		struct cap c;
		if (cspace_lookup(&from->cspace, from->ipcbuf->caps[i], &src) || cap_derive(&src->cap, &c) ||
		    recv_slot(to, i, &dst))
			break;
		cte_insert(src, dst, &c);
	}
	return i;
}

/* `call`: the message is a Call's, so a lease it carries goes with it. */
static void transfer(struct tcb *from, struct tcb *to, uint64_t badge, int grant, int call)
{
	uint64_t info;
	if (from->faulting) {
		to->regs[A2] = from->fault_type;
		to->regs[A3] = from->fault_addr;
		to->regs[A4] = from->regs[0];
		to->regs[A5] = from->fault_cause;
		info = MSGINFO(FAULT_LABEL, 0, 4);
	} else {
		uint64_t in = from->regs[A1], len = MSGINFO_LEN(in);
		if (len > MSG_MAX_WORDS)
			len = MSG_MAX_WORDS;
		if (len > MSG_REG_COUNT && (!from->ipcbuf || !to->ipcbuf))
			len = MSG_REG_COUNT;
		for (uint64_t i = 0; i < len && i < MSG_REG_COUNT; i++)
			to->regs[A2 + i] = from->regs[A2 + i];
		for (uint64_t i = MSG_REG_COUNT; i < len; i++)
			to->ipcbuf->mr[i] = from->ipcbuf->mr[i];
		uint64_t caps = grant ? transfer_caps(from, to, MSGINFO_CAPS(in)) : 0;
		info = MSGINFO(MSGINFO_LABEL(in), caps, len);
		if (call)
			lease_announce(from, to, &info);
	}
	to->regs[A0] = E_OK;
	to->regs[A1] = info;
	to->regs[A6] = badge;
}

/* No reply will come to c: a call wakes with E_OBJECT_DELETED, a fault
 * (nobody will resume the thread) leaves it suspended. */
static void no_reply_coming(struct tcb *c)
{
	if (TRACING())
		trace_record(0, TR_NO_REPLY, TRACE_TID(c));
	if (c->faulting)
		sched_block(c, TS_INACTIVE);
	else
		ipc_set_result(c, E_OBJECT_DELETED);
}

/* `to` now owes `from` a reply. A receiver owes one reply at a time: an
 * earlier call it left unanswered (and did not save) is dropped, and its
 * caller told so rather than left blocked for good. */
static void set_caller(struct tcb *to, struct tcb *from)
{
	if (to->caller) {
		to->caller->replier = NULL;
		no_reply_coming(to->caller);
	}
	to->caller = from;
	from->replier = to;
	sched_block(from, TS_BLOCKED_REPLY);
}

static void send(struct tcb *s, struct endpoint *ep, uint64_t badge, int blocking, int call, int grant)
{
	if (ep->state == EP_RECV) {
		struct tcb *r = ep->q.head;
		queue_remove(ep, r);
		transfer(s, r, badge, grant, call);
		if (TRACING())
			trace_ipc(s->faulting ? TR_FAULT : call ? TR_CALL : TR_SEND, 0, s, r, badge, r->regs[A1]);
		if (call || s->faulting)
			set_caller(r, s);
		else
			s->regs[A0] = E_OK;
		sched_ready(r);
		return;
	}
	if (!blocking) {
		s->regs[A0] = E_WOULD_BLOCK;
		return;
	}
	ep->state = EP_SEND;
	queue_append(ep, s);
	s->ipc_badge = badge;
	s->ipc_call = (uint8_t)call;
	s->ipc_grant = (uint8_t)grant;
	sched_block(s, TS_BLOCKED_SEND);
}

void ep_send(struct endpoint *ep, uint64_t badge, int blocking, int call, int grant)
{
	send(current, ep, badge, blocking, call, grant);
}

void ep_fault(struct tcb *t)
{
	t->faulting = 1;
	send(t, t->fault_ep, t->fault_badge, 1, 1, 0);
}

void ep_recv(struct endpoint *ep, int blocking)
{
	struct tcb *r = current;
	if (r->bound_ntfn && ntfn_deliver_bound(r))
		return;
	if (ep->state == EP_SEND) {
		struct tcb *s = ep->q.head;
		queue_remove(ep, s);
		transfer(s, r, s->ipc_badge, s->ipc_grant, s->ipc_call);
		if (TRACING())
			trace_ipc(s->faulting ? TR_FAULT : s->ipc_call ? TR_CALL : TR_SEND, 0, s, r, s->ipc_badge,
				  r->regs[A1]);
		if (s->ipc_call || s->faulting)
			set_caller(r, s);
		else
			ipc_set_result(s, E_OK);
		return;
	}
	if (!blocking) {
		r->regs[A0] = E_WOULD_BLOCK;
		return;
	}
	ep->state = EP_RECV;
	queue_append(ep, r);
	sched_block(r, TS_BLOCKED_RECV);
}

/* Deliver r's reply to c. A fault reply resumes the thread: at mr0 if given. */
static void deliver_reply(struct tcb *r, struct tcb *c)
{
	if (TRACING())
		trace_ipc(TR_REPLY, 0, r, c, 0, r->regs[A1]);
	if (c->faulting) {
		c->faulting = 0;
		if (MSGINFO_LEN(r->regs[A1]) >= 1)
			c->regs[0] = r->regs[A2];
	} else {
		transfer(r, c, 0, 1, 0);
	}
	sched_ready(c);
}

enum err ep_reply_current(void)
{
	struct tcb *r = current, *c = r->caller;
	if (!c)
		return E_ILLEGAL_OPERATION;
	r->caller = NULL;
	c->replier = NULL;
	deliver_reply(r, c);
	return E_OK;
}

/* Saved reply caps: the right to answer one caller, kept in a slot so the
 * server may take other messages first. The caller points back at the
 * slot, so whichever of the two goes first tidies up the other. */
enum err reply_cap_save(struct cte *dest)
{
	struct tcb *c = current->caller;
	if (!c)
		return E_ILLEGAL_OPERATION;
	current->caller = NULL;
	c->replier = NULL;
	struct cap cap = { .type = OBJ_REPLY, .rights = RIGHTS_ALL, .obj = (uint64_t)c };
	cte_insert(NULL, dest, &cap);
	c->reply_cap = dest;
	memcpy(c->owed_by, current->name, sizeof c->owed_by);   /* for TCB_GET_STATE */
	return E_OK;
}

void reply_cap_send(struct cte *slot)
{
	struct tcb *c = (struct tcb *)slot->cap.obj;
	c->reply_cap = NULL;
	cte_remove(slot);
	deliver_reply(current, c);
	current->regs[A0] = E_OK;
}

/* The cap was deleted unused: the caller learns no reply will come. */
void reply_cap_finalize(struct tcb *c)
{
	c->reply_cap = NULL;
	no_reply_coming(c);
}

/* The caller stops waiting (deleted or suspended): the cap goes. */
void reply_cap_drop(struct tcb *c)
{
	if (c->reply_cap)
		cte_remove(c->reply_cap);
	c->reply_cap = NULL;
}

void ep_reply(void) { current->regs[A0] = ep_reply_current(); }

void ep_cancel(struct tcb *t)
{
	queue_remove((struct endpoint *)t->blocked_on, t);
}

void ep_finalize(struct endpoint *ep)
{
	while (ep->q.head) {
		struct tcb *t = ep->q.head;
		queue_remove(ep, t);
		if (t->faulting)
			sched_block(t, TS_INACTIVE);
		else
			ipc_set_result(t, E_OBJECT_DELETED);
	}
	for (struct tcb *t = tcb_first(); t; t = t->all_next)
		if (t->fault_ep == ep)
			t->fault_ep = NULL;
}
