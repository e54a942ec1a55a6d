/* System calls: IPC on endpoints and notifications, and method calls on
 * kernel objects (a Call to an object cap: the label picks the method).
 *
 * Register use is in include/abi/syscall.h: a7 number, a0 cptr, a1 info,
 * a2..a5 message registers; a0 returns the error. */
#include "kernel.h"

enum { A0 = 10, A1, A2, A3, A4, A5, A6, A7 };

static void set_error(struct tcb *t, enum err e) { t->regs[A0] = e; }

static void load_args(struct tcb *t, uint64_t *mr, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		mr[i] = i < MSG_REG_COUNT ? t->regs[A2 + i] : (t->ipcbuf ? t->ipcbuf->mr[i] : 0);
}

static void store_results(struct tcb *t, enum err e, const uint64_t *mr, uint64_t n)
{
	if (n > MSG_REG_COUNT && !t->ipcbuf)
		n = MSG_REG_COUNT;
	for (uint64_t i = 0; i < n; i++) {
		if (i < MSG_REG_COUNT)
			t->regs[A2 + i] = mr[i];
		else
			t->ipcbuf->mr[i] = mr[i];
	}
	t->regs[A0] = e;
	t->regs[A1] = MSGINFO(0, 0, n);
}

static enum err dispatch(struct cte *slot, uint64_t label, uint64_t *mr, uint64_t *nret)
{
	switch (slot->cap.type) {
	case OBJ_UNTYPED: return untyped_invoke(slot, label, mr);
	case OBJ_CNODE: return cnode_invoke(slot, label, mr, nret);
	case OBJ_TCB: return tcb_invoke(slot, label, mr, nret);
	case OBJ_VSPACE:
	case OBJ_PAGE_TABLE:
	case OBJ_FRAME:
	case OBJ_LARGE_FRAME: return vspace_invoke(slot, label, mr, nret);
	case OBJ_IRQ_CONTROL:
	case OBJ_IRQ_HANDLER: return irq_invoke(slot, label, mr);
	case OBJ_TIMER: return timer_invoke(slot, label, mr);
	case OBJ_SYSTEM: return system_invoke(label, mr, nret);
	case OBJ_TRACE: return trace_invoke(slot, label, mr, nret);
	default: return E_INVALID_CAPABILITY;
	}
}

static void invoke(struct tcb *t, struct cte *slot)
{
	uint64_t mr[MSG_MAX_WORDS], info = t->regs[A1], len = MSGINFO_LEN(info), nret = 0;
	memset(mr, 0, sizeof mr);
	load_args(t, mr, len < MSG_MAX_WORDS ? len : MSG_MAX_WORDS);
	enum err e = dispatch(slot, MSGINFO_LABEL(info), mr, &nret);
	if (current == t)
		store_results(t, e, mr, e ? 0 : nret);
}

/* Send-class syscalls on an endpoint, notification or kernel object. */
static void do_send(struct tcb *t, struct cte *slot, uint64_t nr)
{
	struct cap *c = &slot->cap;
	int call = nr == SYS_CALL, blocking = nr != SYS_NBSEND;
	if (c->type == OBJ_ENDPOINT) {
		if (!(c->rights & RIGHT_WRITE))
			return set_error(t, E_NO_RIGHTS);
		enum err e = lease_attach(t, t->regs[A1], call);
		if (e)
			return set_error(t, e);
		t->calls += call;
		ep_send((struct endpoint *)c->obj, c->data, blocking, call, (c->rights & RIGHT_GRANT) != 0);
	} else if (c->type == OBJ_REPLY) {
		if (call)
			return set_error(t, E_ILLEGAL_OPERATION);
		reply_cap_send(slot);
	} else if (c->type == OBJ_NOTIFICATION) {
		if (call)
			return set_error(t, E_ILLEGAL_OPERATION);
		if (!(c->rights & RIGHT_WRITE))
			return set_error(t, E_NO_RIGHTS);
		set_error(t, E_OK);
		if (TRACING())
			trace_record(c->data, TR_SIGNAL, t->tid);
		ntfn_signal((struct notification *)c->obj, c->data);
	} else {
		invoke(t, slot);
	}
}

static void do_recv(struct tcb *t, struct cte *slot, int blocking)
{
	struct cap *c = &slot->cap;
	if (c->type != OBJ_ENDPOINT && c->type != OBJ_NOTIFICATION)
		return set_error(t, E_INVALID_CAPABILITY);
	if (!(c->rights & RIGHT_READ))
		return set_error(t, E_NO_RIGHTS);
	if (c->type == OBJ_ENDPOINT)
		ep_recv((struct endpoint *)c->obj, blocking);
	else
		ntfn_wait((struct notification *)c->obj, blocking);
}

/* The kernel console is a device: only the holder of the system cap
 * may write to it. The whole text is checked readable before a byte goes
 * out, so a bad address prints nothing. */
static void debug_puts(struct tcb *t)
{
	uint64_t p = t->regs[A1], len = t->regs[A2];
	char buf[128];
	struct cte *sys;
	enum err e = lookup_cap(t->regs[A0], OBJ_SYSTEM, &sys);
	if (e)
		return set_error(t, e);
	if (len > 4096)
		return set_error(t, E_RANGE);
	if (len && !vspace_user_readable(t, p, len))
		return set_error(t, E_BAD_ADDRESS);
	while (len) {
		uint64_t n = len < sizeof buf ? len : sizeof buf;
		vspace_copy_from_user(t, buf, p, n);   /* checked above: cannot fail */
		for (uint64_t i = 0; i < n; i++)
			sbi_putchar(buf[i]);
		p += n, len -= n;
	}
	set_error(t, E_OK);
}

void syscall_handle(void)
{
	struct tcb *t = current;
	uint64_t nr = t->regs[A7], cptr = t->regs[A0];
	struct cte *slot;
	if (nr == 0 || nr >= SYS_COUNT) {
		fault_raise(t, FAULT_BAD_SYSCALL, nr, EXC_ECALL_U);
		return;
	}
	t->regs[0] += 4;
	switch (nr) {
	case SYS_YIELD:
		sched_rotate();
		return set_error(t, E_OK);
	case SYS_DEBUG_PUTS:
		return debug_puts(t);
	case SYS_LEASE_COPY:
		return set_error(t, lease_copy(t));
	case SYS_REPLY:
		return ep_reply();
	case SYS_REPLYRECV:
		ep_reply();
		break;
	default:
		break;
	}
	enum err e = lookup_cap(cptr, OBJ_NONE, &slot);
	if (e)
		return set_error(t, e);
	if (nr == SYS_RECV || nr == SYS_NBRECV || nr == SYS_REPLYRECV)
		do_recv(t, slot, nr != SYS_NBRECV);
	else
		do_send(t, slot, nr);
}

static int in_queue(const struct tcb *t)
{
	const struct tqueue *q = t->state == TS_BLOCKED_NOTIFICATION ?
		&((const struct notification *)t->blocked_on)->q : &((const struct endpoint *)t->blocked_on)->q;
	for (const struct tcb *u = q->head; u; u = u->qnext)
		if (u == t)
			return 1;
	return 0;
}

/* Every thread is where its state says: runnable ones queued (or
 * running), blocked ones on an object's queue, callers known to the
 * thread that owes them a reply. Prints what it finds broken. */
static int threads_check(void)
{
	int bad = 0;
	for (struct tcb *t = tcb_first(); t; t = t->all_next) {
		int queued = t->state == TS_BLOCKED_SEND || t->state == TS_BLOCKED_RECV ||
			     t->state == TS_BLOCKED_NOTIFICATION;
		const char *why = NULL;
		if (t->state == TS_RUNNABLE && t != current && !t->in_ready)
			why = "runnable but not queued";
		else if (queued != (t->blocked_on != NULL))
			why = "blocked state and queue disagree";
		else if (t->state == TS_BLOCKED_REPLY && t->replier && t->replier->caller != t)
			why = "waits for a reply nobody owes";
		else if (t->state != TS_RUNNABLE && t->in_ready)
			why = "queued but not runnable";
		else if (queued && !in_queue(t))
			why = "not in the queue it is blocked on";
		if (why) {
			printk("self-check: thread '%s' (state %d): %s\n", t->name, t->state, why);
			bad++;
		}
	}
	return bad;
}

/* Here, not in fastpath.c, so that a kernel without the fastpath says 0:
 * the suite checks the benchmark's round trips took the path they claim. */
uint64_t fastpath_hits;

enum err system_invoke(uint64_t label, uint64_t *mr, uint64_t *nret)
{
	switch (label) {
	case SYSTEM_POWER_OFF:
		printk("kernel: power off\n");
		sbi_shutdown();
	case SYSTEM_SELF_CHECK:
		mr[0] = (uint64_t)(sched_check() + threads_check() + cspace_check() + vspace_check());
		*nret = 1;
		return E_OK;
	case SYSTEM_FASTPATH_HITS:
		mr[0] = fastpath_hits;
		*nret = 1;
		return E_OK;
	case SYSTEM_COVERAGE:
		return coverage_invoke(mr, nret);
	case SYSTEM_THREAD_COUNT: {
		uint64_t n = 0;
		for (struct tcb *t = tcb_first(); t; t = t->all_next)
			n++;
		mr[0] = n;
		*nret = 1;
		return E_OK;
	}
	default:
		return E_ILLEGAL_OPERATION;
	}
}
