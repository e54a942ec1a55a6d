/* init, the supervisor. mm starts it first; it builds the system from
 * the description, then handles faults (page faults go to mm; anything
 * else kills the task and is reported), the supervisor protocol
 * (include/proto/supervisor.h) and its own clock (back-offs and
 * heartbeats). It never waits on a task it supervises, and prints
 * through the kernel console (its stdout has no console server). */
#include "init.h"
#include "../../include/proto/faultinj.h"

static const char *const fault_names[] = {
	"no fault", "read fault", "write fault", "execute fault", "illegal instruction",
	"misaligned access", "breakpoint", "bad syscall",
};

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
	end_task(s, TASK_DEAD, type);
	printf("init: task %s crashed: %s at pc 0x%llx, address 0x%llx\n", s->name,
	       type < sizeof fault_names / sizeof fault_names[0] ? fault_names[type] : "fault",
	       (unsigned long long)pc, (unsigned long long)addr);
	task_failed(s, FAIL_CRASH);
	return 0;
}

static enum err task_info(uint64_t i, uint64_t *res)
{
	uint64_t st[MSG_MAX_WORDS];
	unsigned n;
	memset(res, 0, 9 * sizeof *res);
	if (i == 0 || i == 1) {   /* mm and ourselves */
		res[0] = TASK_RUNNING;
		res[1] = i == 0 ? 255 : 254;
		if (i == 0 && invoke(task.mm, MM_STAT, 1, (uint64_t[]){ 0 }, st, &n) == E_OK)
			res[3] = st[2];
		if (i == 1 && invoke(task.mm, MM_STAT, 1, (uint64_t[]){ MM_SUPERVISOR_BADGE }, st, &n) == E_OK)
			res[3] = st[0];
		memcpy(&res[4], i == 0 ? "mm\0\0\0\0\0\0\0\0\0\0\0\0\0" : "init\0\0\0\0\0\0\0\0\0\0\0", 16);
		res[6] = 1;
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
	res[6] = s->generation;
	res[7] = (uint64_t)s->failure;
	res[8] = s->failed_ms;
	return E_OK;
}

/* An entry for a program outside the description: a free one, or that
 * of an ended run (the table must not fill up with runs long gone). */
static struct stask *new_stask(void)
{
	for (unsigned i = 0; i < nstasks; i++)
		if (!stasks[i].desc && stasks[i].state != TASK_RUNNING)
			return &stasks[i];
	return nstasks < MAX_STASKS ? &stasks[nstasks++] : NULL;
}

/* A described task named `name` (or running `name`), or NULL. */
static struct stask *described(const char *name)
{
	for (unsigned i = 0; i < nstasks; i++) {
		struct stask *s = &stasks[i];
		if (s->desc && (!strcmp(s->name, name) || !strcmp(s->desc->program, name)))
			return s;
	}
	return NULL;
}

/* A program outside the description, with nothing but mm and exit. */
static enum err run_undescribed(const char *name, struct stask **out)
{
	unsigned had = nstasks;
	struct stask *s = new_stask();
	if (!s)
		return E_NOT_ENOUGH_MEMORY;
	struct stask old = *s, fresh = { .prio = 50, .state = TASK_RUNNING, .by_run = 1, .generation = 1 };
	strncpy(fresh.name, name, 15);
	*s = fresh;
	s->started_ms = now_ms();
	enum err e = start_task(s, name, 128, 8, 0);
	if (!e)
		e = tcb_resume(s->tcb);
	if (e) {
		end_task(s, TASK_DEAD, 0);
		*s = old;   /* no such program, or it did not start: it takes no entry */
		nstasks = had;
		return e;
	}
	*out = s;
	return E_OK;
}

/* SUP_RUN: a described task with start = no, with what its description
 * gives it; or a program outside the description. The caller's reply
 * waits until it ends. mm and init are always there, once. */
static enum err run(const char *name, int *deferred)
{
	enum err e;
	struct stask *s = described(name);
	if (!strcmp(name, "mm") || !strcmp(name, "init") || (s && s->desc->start))
		return E_ILLEGAL_OPERATION;   /* part of the running system */
	if (s && s->state == TASK_RUNNING)
		return E_IN_USE;
	if (s) {
		s->by_run = 1;
		if ((e = start_described(s))) {
			end_task(s, TASK_DEAD, 0);
			return e;
		}
	} else if ((e = run_undescribed(name, &s))) {
		return e;
	}
	s->waiter = slot_alloc();
	if ((e = INVOKE(TSLOT_CNODE, CNODE_SAVE_CALLER, s->waiter)))
		return e;
	*deferred = 1;
	return E_OK;
}

/* SUP_RESTART: a described task that starts with the system, whatever
 * its state; the user's word also clears its failure record. */
static enum err restart(struct stask *t)
{
	if (!t->desc || !t->desc->start)
		return t->desc ? E_ILLEGAL_OPERATION : E_NOT_FOUND;
	if (t->state == TASK_RUNNING) {
		end_task(t, TASK_KILLED, 0);
		t->failure = FAIL_KILLED;
		t->failed_ms = now_ms();
	}
	t->nfails = t->streak = 0;
	return restart_now(t);
}

/* The server of service svc, which s must be allowed to call. */
static enum err server_s_calls(const struct stask *s, uint64_t svc, struct stask **server)
{
	if (svc == SVC_SUPERVISOR || svc >= SVC_COUNT || !(s->desc->calls & (1u << svc)))
		return E_NO_RIGHTS;
	return (*server = server_of((int)svc)) ? E_OK : E_NOT_FOUND;
}

/* SUP_REPORT: s says the server of service mr0 gave a reply that cannot
 * be right (error mr1). Believed only of a service s may call. */
static enum err report(struct stask *s, uint64_t svc, uint64_t seen)
{
	struct stask *server;
	enum err e = server_s_calls(s, svc, &server);
	if (e)
		return e;
	if (server->state != TASK_RUNNING)
		return E_NOT_FOUND;
	printf("init: task %s gave a bad reply: %s reports %s\n", server->name, s->name, err_name(seen));
	end_task(server, TASK_DEAD, 0);
	task_failed(server, FAIL_BAD_REPLY);
	return E_OK;
}

/* SUP_GENERATION: which instance of a server s may call serves now. */
static enum err generation(const struct stask *s, uint64_t svc, uint64_t *res, unsigned *nres)
{
	struct stask *server;
	enum err e = server_s_calls(s, svc, &server);
	if (e)
		return e;
	res[0] = server->generation;
	res[1] = (uint64_t)server->state;
	*nres = 2;
	return E_OK;
}

/* SUP_CLIENT_RUNNING: is the instance a client badge names still running?
 * It tells no more than `ps` does. */
static int client_running(uint64_t badge)
{
	struct stask *c = stask_by_id(CLIENT_TASK_ID(badge));
	return c && c->client_badge == badge;
}

/* Signal `badge` on s's notification. */
enum err signal_task(struct stask *s, uint64_t badge)
{
	cptr_t c = slot_alloc();
	enum err e = cnode_mint(TSLOT_CNODE, c, TSLOT_CNODE, s->ntfn, RIGHT_WRITE, badge);
	if (!e)
		e = ntfn_signal(c);
	cnode_delete(TSLOT_CNODE, c);
	slot_free(c);
	return e;
}

/* SUP_INTERRUPT (^C, from the console server): the program `run`
 * started is killed, and the shell — each running task that may use the
 * shell's part of the protocol — is told on its notification. */
static enum err interrupt(void)
{
	for (unsigned i = 0; i < nstasks; i++)
		if (stasks[i].by_run && stasks[i].state == TASK_RUNNING && stasks[i].waiter) {
			end_task(&stasks[i], TASK_KILLED, 0);
			stasks[i].failure = FAIL_KILLED;
			stasks[i].failed_ms = now_ms();
		}
	enum err e = E_NOT_FOUND;
	for (unsigned i = 0; i < nstasks; i++) {
		struct stask *s = &stasks[i];
		if (s->state == TASK_RUNNING && s->desc && s->desc->calls_supervisor && s->ntfn)
			e = signal_task(s, SUP_INTERRUPT_BADGE);
	}
	return e;
}

/* What any task may send: it exits, or answers a heartbeat. */
static int task_message(struct stask *s, uint64_t label, const struct sysret *r)
{
	if (label == SUP_EXIT) {
		if (s) {
			printf("init: task %s exited with status %lld\n", s->name, (long long)r->mr[0]);
			end_task(s, TASK_EXITED, r->mr[0]);
			task_failed(s, FAIL_EXIT);
		}
		return 1;
	}
	if (label == SUP_ALIVE) {
		if (s)
			heartbeat_alive(s);
		return 1;
	}
	return 0;
}

static int is_console(const struct stask *s)
{
	return s->desc && s->desc->serves == SVC_CONSOLE;
}

/* The shell's part of the protocol (calls = supervisor). */
static enum err shell_request(struct stask *s, uint64_t label, const struct sysret *r, uint64_t *res,
			      unsigned *nres, int *deferred)
{
	struct stask *t;
	char name[16];
	unpack_name(r->mr, name);
	switch (label) {
	case SUP_TASK_INFO:
		*nres = 9;
		return task_info(r->mr[0], res);
	case SUP_KILL:
		if (!strcmp(name, "mm") || !strcmp(name, "init"))
			return E_ILLEGAL_OPERATION;
		if (!(t = stask_by_name(name)))
			return E_NOT_FOUND;
		end_task(t, TASK_KILLED, 0);
		t->failure = FAIL_KILLED;
		t->failed_ms = now_ms();
		*deferred = t == s;
		down_answer();
		return E_OK;
	case SUP_RESTART:
		if (!strcmp(name, "mm") || !strcmp(name, "init"))
			return E_ILLEGAL_OPERATION;
		if (!(t = described(name)))
			return E_NOT_FOUND;
		*deferred = t == s;
		return restart(t);
	case SUP_AUDIT:
		res[0] = audit_all();
		*nres = 1;
		return E_OK;
	case SUP_INJECT: {
		if (!(t = stask_by_name(name)))
			return !strcmp(name, "mm") || !strcmp(name, "init") ? E_NO_RIGHTS : E_NOT_FOUND;
		if (t == s)
			return E_ILLEGAL_OPERATION;
		if (MSGINFO_LEN(r->info) < 5)   /* name, type, count, seed */
			return E_INVALID_ARGUMENT;
		/* past mr3 the words are in the IPC buffer */
		uint64_t mr[5] = { r->mr[0], r->mr[1], r->mr[2], r->mr[3], __ipcbuf->mr[4] };
		*nres = 4;
		return inject_faults(t, mr, res);
	}
	case SUP_POWER_OFF:
		printf("init: power off\n");
		fflush(stdout);
		return INVOKE0(INIT_SLOT_SYSTEM, SYSTEM_POWER_OFF);
	case SUP_RUN:
		return run(name, deferred);
	default:
		return E_INVALID_ARGUMENT;
	}
}

static enum err request(uint64_t id, uint64_t label, const struct sysret *r, uint64_t *res, unsigned *nres,
			int *deferred)
{
	struct stask *s = stask_by_id(id);
	if (task_message(s, label, r)) {
		*deferred = 1;   /* sent, not called: nobody to answer */
		return E_OK;
	}
	if (!s || !s->desc)
		return E_NO_RIGHTS;
	if (label == SUP_REPORT)
		return report(s, r->mr[0], r->mr[1]);
	if (label == SUP_INTERRUPT)
		return is_console(s) ? interrupt() : E_NO_RIGHTS;
	if (label == SUP_DEVICE_QUIET)
		return is_console(s) ? heartbeat_device_quiet(r->mr[0], r->mr[1]) : E_NO_RIGHTS;
	if (label == SUP_GENERATION)
		return generation(s, r->mr[0], res, nres);
	if (label == SUP_CLIENT_RUNNING)
		return client_running(r->mr[0]) ? E_OK : E_NOT_FOUND;
	if (!s->desc->calls_supervisor)
		return E_NO_RIGHTS;
	return shell_request(s, label, r, res, nres, deferred);
}

/* Whatever is due: restarts after their back-off, heartbeats, callers of
 * services left dead; then the clock for the next. */
static void tick(void)
{
	uint64_t now = now_ms();
	down_answer();
	policy_tick(now);
	heartbeat_tick(now);
	uint64_t next = policy_next(), hb = heartbeat_next();
	if (hb < next)
		next = hb;
	if (down_any() && now + DOWN_POLL_MS < next)
		next = now + DOWN_POLL_MS;
	clock_arm(next);
}

static void serve(struct sysret r)
{
	uint64_t res[MSG_MAX_WORDS];
	unsigned nres = 0;
	int deferred = 0;
	if (MSGINFO_LABEL(r.info) == LABEL_NOTIFICATION)
		return;   /* the clock: tick() follows */
	if (r.badge & FAULT_BADGE) {
		if (handle_fault(r.badge & ~FAULT_BADGE, &r))
			sys_reply(MSGINFO(0, 0, 0), 0, 0, 0, 0);
		return;
	}
	enum err e = request(r.badge, MSGINFO_LABEL(r.info), &r, res, &nres, &deferred);
	if (deferred && !e)
		return;
	if (e)
		nres = 0;
	for (unsigned i = MSG_REG_COUNT; i < nres; i++)
		__ipcbuf->mr[i] = res[i];
	sys_reply(MSGINFO(e, 0, nres), res[0], res[1], res[2], res[3]);
}

int main(uint64_t id)
{
	(void)id;
	enum err e = clock_init();
	if (e)
		printf("init: no clock (no back-off, no heartbeats): %s\n", err_name(e));
	if ((e = build_system()))
		printf("init: the system is incomplete: %s\n", err_name(e));
	for (;;) {
		tick();
		__ipcbuf->recv_index = 0;
		serve(sys_recv(TSLOT_SERVICE));
	}
}
