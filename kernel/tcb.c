/* Thread control blocks: configure, priorities, registers, suspend and
 * resume, notification binding, and a thread's death.
 *
 * All TCBs are linked in one list so that when a CNode, VSpace or frame
 * dies, the threads that used it as CSpace, address space or IPC buffer
 * are found and let go of it. */
#include "kernel.h"

static struct tcb *all_threads;
struct tcb *fp_owner;

struct tcb *tcb_first(void) { return all_threads; }

void tcb_init(struct tcb *t)
{
	static uint32_t made;
	t->state = TS_INACTIVE;
	t->tid = ++made;
	t->all_next = all_threads;
	if (all_threads)
		all_threads->all_prev = t;
	all_threads = t;
}

/* Take a thread out of whatever it waits in; it ends up not runnable.
 * A thread blocked in Send, Recv or Wait will restart that syscall when
 * resumed; one waiting for a reply learns that it will never come. */
static void cancel_ipc(struct tcb *t)
{
	switch (t->state) {
	case TS_BLOCKED_SEND:
	case TS_BLOCKED_RECV:
		ep_cancel(t);
		if (!t->faulting)
			t->regs[0] -= 4;
		break;
	case TS_BLOCKED_NOTIFICATION:
		ntfn_cancel(t);
		t->regs[0] -= 4;
		break;
	case TS_BLOCKED_REPLY:
		if (t->replier)
			t->replier->caller = NULL;
		t->replier = NULL;
		reply_cap_drop(t);
		if (!t->faulting)
			t->regs[10] = E_OBJECT_DELETED;
		break;
	default:
		break;
	}
	sched_block(t, TS_INACTIVE);
	t->faulting = 0;
}

static void unbind(struct tcb *t)
{
	if (t->bound_ntfn)
		t->bound_ntfn->bound = NULL;
	t->bound_ntfn = NULL;
}

void tcb_destroy(struct tcb *t)
{
	cancel_ipc(t);
	unbind(t);
	if (t->caller) {
		struct tcb *c = t->caller;
		c->replier = NULL;
		t->caller = NULL;
		if (c->faulting)
			sched_block(c, TS_INACTIVE);   /* nobody left to handle its fault */
		else
			ipc_set_result(c, E_OBJECT_DELETED);
	}
	if (t->all_prev)
		t->all_prev->all_next = t->all_next;
	else
		all_threads = t->all_next;
	if (t->all_next)
		t->all_next->all_prev = t->all_prev;
	if (fp_owner == t)
		fp_owner = NULL;
	if (current == t)
		current = NULL;
}

void tcb_forget_object(uint64_t base, uint64_t size)
{
	for (struct tcb *t = all_threads; t; t = t->all_next) {
		if (t->cspace.type && kpa((void *)t->cspace.obj) - base < size)
			memset(&t->cspace, 0, sizeof t->cspace);
		if (t->ipcbuf && kpa(t->ipcbuf) - base < size)
			t->ipcbuf = NULL;
		if (t->vspace && kpa(t->vspace) - base < size) {
			cancel_ipc(t);
			t->vspace = NULL;
		}
	}
}

static enum err optional_cap(uint64_t cptr, int type, struct cte **out)
{
	*out = NULL;
	return cptr ? lookup_cap(cptr, type, out) : E_OK;
}

/* A Configure, decoded: mr0 CSpace, mr1 VSpace, mr2 IPC-buffer frame,
 * mr3 its address, mr4 fault endpoint; each may be 0 (none). */
struct thread_config_args {
	struct cte *cs, *vs, *buf, *ep;
	uint64_t buf_vaddr;
};

static enum err configure_decode(const uint64_t *mr, struct thread_config_args *a)
{
	enum err e;
	if ((e = optional_cap(mr[0], OBJ_CNODE, &a->cs)) || (e = optional_cap(mr[1], OBJ_VSPACE, &a->vs)) ||
	    (e = optional_cap(mr[2], OBJ_FRAME, &a->buf)) || (e = optional_cap(mr[4], OBJ_ENDPOINT, &a->ep)))
		return e;
	if (a->buf && (a->buf->cap.is_device || !(a->buf->cap.rights & RIGHT_WRITE)))
		return E_NO_RIGHTS;
	if (a->ep && !(a->ep->cap.rights & RIGHT_WRITE))
		return E_NO_RIGHTS;
	if (a->buf && (mr[3] & MASK(12) || mr[3] >= USER_TOP))
		return E_ALIGNMENT;
	a->buf_vaddr = a->buf ? mr[3] : 0;
	return E_OK;
}

static void configure_perform(struct tcb *t, const struct thread_config_args *a)
{
	if (a->cs)
		t->cspace = a->cs->cap;
	else
		memset(&t->cspace, 0, sizeof t->cspace);
	if (!a->vs)
		cancel_ipc(t);
	t->vspace = a->vs ? (uint64_t *)a->vs->cap.obj : NULL;
	t->satp = a->vs ? satp_of(t->vspace, a->vs->cap.data) : 0;
	t->ipcbuf = a->buf ? (struct ipc_buffer *)a->buf->cap.obj : NULL;
	t->ipcbuf_vaddr = a->buf_vaddr;
	t->fault_ep = a->ep ? (struct endpoint *)a->ep->cap.obj : NULL;
	t->fault_badge = a->ep ? a->ep->cap.data : 0;
}

static enum err tcb_configure(struct tcb *t, uint64_t *mr)
{
	struct thread_config_args a;
	enum err e = configure_decode(mr, &a);
	if (e)
		return e;
	configure_perform(t, &a);
	return E_OK;
}

static enum err tcb_set_priority(struct tcb *t, uint64_t *mr)
{
	struct cte *auth;
	enum err e = lookup_cap(mr[0], OBJ_TCB, &auth);
	if (e)
		return e;
	struct tcb *a = (struct tcb *)auth->cap.obj;
	if (mr[1] >= PRIORITY_COUNT || mr[2] >= PRIORITY_COUNT || mr[1] > a->mcp || mr[2] > a->mcp)
		return E_PRIORITY;
	int queued = t->in_ready;
	sched_dequeue(t);
	t->prio = (uint8_t)mr[1];
	t->mcp = (uint8_t)mr[2];
	if (queued)
		sched_ready(t);
	return E_OK;
}

static enum err tcb_write_registers(struct tcb *t, uint64_t *mr)
{
	uint64_t n = mr[1];
	if (t == current)
		return E_ILLEGAL_OPERATION;
	if (n > 32)
		return E_RANGE;
	if (mr[0] && !t->vspace)
		return E_ILLEGAL_OPERATION;   /* cannot resume: nowhere to run */
	for (uint64_t i = 0; i < n; i++)
		t->regs[i] = mr[2 + i];
	if (mr[0] && t->state == TS_INACTIVE)
		sched_ready(t);
	return E_OK;
}

static enum err tcb_bind(struct tcb *t, uint64_t cptr)
{
	struct cte *n;
	enum err e = lookup_cap(cptr, OBJ_NOTIFICATION, &n);
	if (e)
		return e;
	struct notification *ntfn = (struct notification *)n->cap.obj;
	if (t->bound_ntfn || ntfn->bound)
		return E_IN_USE;
	t->bound_ntfn = ntfn;
	ntfn->bound = t;
	return E_OK;
}

enum err tcb_invoke(struct cte *slot, uint64_t label, uint64_t *mr, uint64_t *nret)
{
	struct tcb *t = (struct tcb *)slot->cap.obj;
	switch (label) {
	case TCB_CONFIGURE: return tcb_configure(t, mr);
	case TCB_SET_PRIORITY: return tcb_set_priority(t, mr);
	case TCB_READ_REGISTERS:
		for (int i = 0; i < 32; i++)
			mr[i] = t->regs[i];
		*nret = 32;
		return E_OK;
	case TCB_WRITE_REGISTERS: return tcb_write_registers(t, mr);
	case TCB_RESUME:
		if (!t->vspace)
			return E_ILLEGAL_OPERATION;   /* nowhere to run */
		if (t->state == TS_INACTIVE)
			sched_ready(t);
		return E_OK;
	case TCB_SUSPEND:
		cancel_ipc(t);
		return E_OK;
	case TCB_BIND_NOTIFICATION: return tcb_bind(t, mr[0]);
	case TCB_UNBIND_NOTIFICATION:
		if (!t->bound_ntfn)
			return E_ILLEGAL_OPERATION;
		unbind(t);
		return E_OK;
	case TCB_SET_NAME:
		memcpy(t->name, mr, 15);
		t->name[15] = 0;
		if (TRACING())
			trace_name(t);
		return E_OK;
	case TCB_GET_STATE:
		mr[0] = t->state;
		mr[1] = t->prio;
		mr[2] = t->mcp;
		memcpy(&mr[3], t->name, 16);
		mr[5] = t->ticks;
		mr[6] = t->calls;
		mr[7] = mr[8] = 0;
		if (t->state == TS_BLOCKED_REPLY && (t->replier || t->reply_cap))
			memcpy(&mr[7], t->replier ? t->replier->name : t->owed_by, 16);
		*nret = 9;
		return E_OK;
	default:
		return E_ILLEGAL_OPERATION;
	}
}
