/* init, the supervisor. mm starts it first; it builds the system from
 * the description, then handles faults (page faults go to mm; anything
 * else kills the task and is reported) and the supervisor protocol
 * (include/proto/supervisor.h). */
#include "init.h"

static const char *const fault_names[] = {
	"no fault", "read fault", "write fault", "execute fault", "illegal instruction",
	"misaligned access", "breakpoint", "bad syscall",
};

/* A task ends: mm frees its memory, whoever ran it learns how. */
static void end_task(struct stask *s, int how, uint64_t status)
{
	INVOKE(task.mm, MM_KILL, s->id);
	s->state = how;
	s->status = status;
	/* its caps here went with its memory */
	slot_free(s->tcb);
	slot_free(s->cnode);
	if (s->waiter) {
		sys_send(s->waiter, MSGINFO(0, 0, 2), (uint64_t)how, status, 0, 0);
		slot_free(s->waiter);
		s->waiter = 0;
	}
}

/* Returns 1 if the faulting task may go on (so we reply). */
static int handle_fault(uint64_t id, const struct sysret *r)
{
	struct stask *s = stask_by_id(id);
	uint64_t type = r->mr[0], addr = r->mr[1], pc = r->mr[2];
	if (!s)
		return 0;
	if ((type == FAULT_VM_READ || type == FAULT_VM_WRITE) && INVOKE(task.mm, MM_FAULT, id, addr) == E_OK)
		return 1;
	if (type == FAULT_BREAKPOINT && inject_on_breakpoint(s, pc))
		return 1;
	/* end it first: if it was the console, we must not wait on it to print */
	end_task(s, TASK_DEAD, type);
	printf("init: task %s crashed: %s at pc 0x%llx, address 0x%llx\n", s->name,
	       type < sizeof fault_names / sizeof fault_names[0] ? fault_names[type] : "fault",
	       (unsigned long long)pc, (unsigned long long)addr);
	if (s->desc && s->desc->start && s->restarts < MAX_RESTARTS) {
		enum err e = restart_task(s);
		printf("init: restarting %s: %s\n", s->name, e ? err_name(e) : "done");
	}
	return 0;
}

static enum err task_info(uint64_t i, uint64_t *res)
{
	uint64_t st[MSG_MAX_WORDS];
	unsigned n;
	memset(res, 0, 6 * sizeof *res);
	if (i == 0 || i == 1) {   /* mm and ourselves */
		res[0] = TASK_RUNNING;
		res[1] = i == 0 ? 255 : 254;
		if (i == 0 && invoke(task.mm, MM_STAT, 1, (uint64_t[]){ 0 }, st, &n) == E_OK)
			res[3] = st[2];
		if (i == 1 && invoke(task.mm, MM_STAT, 1, (uint64_t[]){ MM_SUPERVISOR_BADGE }, st, &n) == E_OK)
			res[3] = st[0];
		memcpy(&res[4], i == 0 ? "mm\0\0\0\0\0\0\0\0\0\0\0\0\0" : "init\0\0\0\0\0\0\0\0\0\0\0", 16);
		return E_OK;
	}
	if (i - 2 >= nstasks)
		return E_RANGE;
	struct stask *s = &stasks[i - 2];
	res[0] = (uint64_t)s->state;
	res[1] = s->prio;
	res[2] = s->restarts;
	if (s->state == TASK_RUNNING && invoke(task.mm, MM_STAT, 1, (uint64_t[]){ s->id }, st, &n) == E_OK)
		res[3] = st[0];
	memcpy(&res[4], s->name, 16);
	return E_OK;
}

static struct stask *new_stask(const char *name)
{
	for (unsigned i = 0; i < nstasks; i++)   /* reuse the entry of an ended run */
		if (!stasks[i].desc && stasks[i].state != TASK_RUNNING && !strncmp(stasks[i].name, name, 16))
			return &stasks[i];
	return nstasks < MAX_STASKS ? &stasks[nstasks++] : NULL;
}

/* A described task with start = no, named `name`, or NULL. */
static struct stask *on_demand(const char *name, enum err *e)
{
	*e = E_OK;
	for (unsigned i = 0; i < nstasks; i++) {
		struct stask *s = &stasks[i];
		if (!s->desc || (strcmp(s->name, name) && strcmp(s->desc->program, name)))
			continue;
		if (s->desc->start)
			*e = E_ILLEGAL_OPERATION;   /* part of the running system */
		else if (s->state == TASK_RUNNING)
			*e = E_IN_USE;
		return s;
	}
	return NULL;
}

/* SUP_RUN: a described task with start = no, with what its description
 * gives it; or a program outside the description, with nothing but mm
 * and exit. The caller's reply waits until it ends. */
static enum err run(const char *name, int *deferred)
{
	enum err e;
	struct stask *s = on_demand(name, &e);
	if (e)
		return e;
	if (s) {
		e = start_described(s);
	} else {
		if (!(s = new_stask(name)))
			return E_NOT_ENOUGH_MEMORY;
		memset(s, 0, sizeof *s);
		strncpy(s->name, name, 15);
		s->prio = 50;
		s->state = TASK_RUNNING;
		e = start_task(s, name, 128, 8, 0);
		if (!e)
			e = tcb_resume(s->tcb);
	}
	if (e) {
		s->state = TASK_DEAD;
		return e;
	}
	s->waiter = slot_alloc();
	if ((e = INVOKE(TSLOT_CNODE, CNODE_SAVE_CALLER, s->waiter)))
		return e;
	*deferred = 1;
	return E_OK;
}

static enum err request(uint64_t id, uint64_t label, const struct sysret *r, uint64_t *res, unsigned *nres,
			int *deferred)
{
	struct stask *s = stask_by_id(id), *t;
	char name[16];
	if (label == SUP_EXIT) {
		if (s) {
			printf("init: task %s exited with status %lld\n", s->name, (long long)r->mr[0]);
			end_task(s, TASK_EXITED, r->mr[0]);
		}
		*deferred = 1;   /* nobody to answer */
		return E_OK;
	}
	if (!s || !s->desc || !s->desc->calls_supervisor)
		return E_NO_RIGHTS;
	switch (label) {
	case SUP_TASK_INFO:
		*nres = 6;
		return task_info(r->mr[0], res);
	case SUP_KILL:
		unpack_name(r->mr, name);
		if (!strcmp(name, "mm") || !strcmp(name, "init"))
			return E_ILLEGAL_OPERATION;
		if (!(t = stask_by_name(name)))
			return E_NOT_FOUND;
		end_task(t, TASK_KILLED, 0);
		*deferred = t == s;
		return E_OK;
	case SUP_AUDIT:
		res[0] = audit_all();
		*nres = 1;
		return E_OK;
	case SUP_INJECT: {
		unpack_name(r->mr, name);
		if (!(t = stask_by_name(name)))
			return !strcmp(name, "mm") || !strcmp(name, "init") ? E_NO_RIGHTS : E_NOT_FOUND;
		if (t == s)
			return E_ILLEGAL_OPERATION;
		if (MSGINFO_LEN(r->info) < 5)   /* name, type, count, seed */
			return E_INVALID_ARGUMENT;
		uint64_t mr[5] = { r->mr[0], r->mr[1], r->mr[2], r->mr[3], __ipcbuf->mr[4] };
		*nres = 4;
		return inject_faults(t, mr, res);
	}
	case SUP_POWER_OFF:
		printf("init: power off\n");
		fflush(stdout);
		return INVOKE0(INIT_SLOT_SYSTEM, SYSTEM_POWER_OFF);
	case SUP_RUN:
		unpack_name(r->mr, name);
		return run(name, deferred);
	default:
		return E_INVALID_ARGUMENT;
	}
}

int main(uint64_t id)
{
	(void)id;
	enum err e = build_system();
	if (e)
		printf("init: the system is incomplete: %s\n", err_name(e));
	uint64_t res[MSG_MAX_WORDS];
	for (;;) {
		struct sysret r = sys_recv(TSLOT_SERVICE);
		if (r.badge & FAULT_BADGE) {
			if (handle_fault(r.badge & ~FAULT_BADGE, &r))
				sys_reply(MSGINFO(0, 0, 0), 0, 0, 0, 0);
			continue;
		}
		unsigned nres = 0;
		int deferred = 0;
		e = request(r.badge, MSGINFO_LABEL(r.info), &r, res, &nres, &deferred);
		if (deferred && !e)
			continue;
		if (e)
			nres = 0;
		for (unsigned i = MSG_REG_COUNT; i < nres; i++)
			__ipcbuf->mr[i] = res[i];
		sys_reply(MSGINFO(e, 0, nres), res[0], res[1], res[2], res[3]);
	}
}
