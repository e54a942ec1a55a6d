/* Building the system from the description: each task is spawned by mm,
 * then given exactly the objects, devices, IRQs and service endpoints its
 * entry names; only then do they all start. Service endpoints are made
 * once, from the supervisor's own memory, and handed to each instance of
 * their server; everything else is per instance, from the task's memory. */
#include "init.h"

struct stask stasks[MAX_STASKS];
unsigned nstasks;

/* Two free slots side by side (mm sends a task's TCB and CNode caps to
 * consecutive slots), or 0; slots freed by ended tasks leave holes. */
static cptr_t slot_pair(void)
{
	cptr_t skipped[MAX_STASKS * 4], a = slot_alloc(), b = 0;
	unsigned n = 0;
	while (a && (b = slot_alloc()) && b != a + 1 && n < sizeof skipped / sizeof skipped[0]) {
		skipped[n++] = a;
		a = b;
	}
	while (n)
		slot_free(skipped[--n]);
	if (a && b == a + 1)
		return a;
	slot_free(a);
	slot_free(b);
	return 0;
}

/* Spawn a program through mm; its TCB and CNode caps arrive in two slots. */
enum err start_task(struct stask *s, const char *program, uint64_t quota, uint64_t stack, int dma)
{
	uint64_t args[7], res[MSG_MAX_WORDS];
	unsigned n = 0;
	if (!(s->tcb = slot_pair()))
		return E_NOT_ENOUGH_MEMORY;
	s->cnode = s->tcb + 1;
	pack_name(program, &args[0]);
	args[2] = quota;
	args[3] = stack;
	pack_name(s->name, &args[4]);
	args[6] = dma ? MM_SPAWN_DMA : 0;
	__ipcbuf->recv_cnode = TSLOT_CNODE;
	__ipcbuf->recv_index = s->tcb;
	enum err e = invoke(task.mm, MM_SPAWN, 7, args, res, &n);
	if (e)
		return e;
	s->id = res[0];
	if ((e = tcb_set_priority(s->tcb, TSLOT_TCB, s->prio, s->prio)))
		return e;
	/* every task may at least tell us it exits */
	return cnode_mint(s->cnode, TSLOT_SVC(SVC_SUPERVISOR), TSLOT_CNODE, TSLOT_SERVICE, RIGHT_WRITE, s->id);
}

/* An object made from the task's memory, put in its slot; a copy for us. */
static enum err new_object(struct stask *s, uint64_t type, uint64_t slot, cptr_t *ours)
{
	*ours = slot_alloc();
	__ipcbuf->recv_cnode = TSLOT_CNODE;
	__ipcbuf->recv_index = *ours;
	return INVOKE(task.mm, MM_NEW_OBJECT, s->id, type, slot);
}

/* An object made from our own memory (mm's task MM_SUPERVISOR_BADGE is
 * us): it lives as long as we keep it, whatever happens to the tasks. */
enum err own_object(uint64_t type, cptr_t *slot)
{
	cptr_t copy = slot_alloc();
	*slot = slot_alloc();
	__ipcbuf->recv_cnode = TSLOT_CNODE;
	__ipcbuf->recv_index = copy;
	enum err e = INVOKE(task.mm, MM_NEW_OBJECT, MM_SUPERVISOR_BADGE, type, *slot);
	cnode_delete(TSLOT_CNODE, copy);   /* one cap is enough */
	slot_free(copy);
	return e;
}

/* A cap to the task's notification with `badge`, for us to signal. */
static enum err badged_ntfn(struct stask *s, uint64_t badge, cptr_t *out)
{
	*out = slot_alloc();
	return cnode_mint(TSLOT_CNODE, *out, TSLOT_CNODE, s->ntfn, RIGHT_WRITE, badge);
}

static enum err give_irqs(struct stask *s, const struct task_desc *d)
{
	for (unsigned k = 0; k < d->nirqs; k++) {
		cptr_t h = slot_alloc(), badged = slot_alloc();
		enum err e;
		if ((e = INVOKE(INIT_SLOT_IRQ_CONTROL, IRQ_CONTROL_GET, d->irqs[k], TSLOT_CNODE, h)) ||
		    (e = cnode_mint(TSLOT_CNODE, badged, TSLOT_CNODE, s->ntfn, RIGHT_WRITE, 1ULL << k)) ||
		    (e = INVOKE(h, IRQ_HANDLER_SET_NOTIFICATION, badged)) ||
		    (e = cnode_move(s->cnode, TSLOT_IRQ0 + k, TSLOT_CNODE, h)))
			return e;
		cnode_delete(TSLOT_CNODE, badged);
		slot_free(badged);
		slot_free(h);
	}
	return E_OK;
}

/* Its notification, bound to its thread if it serves with IRQs or must
 * answer heartbeats (so its Recv on TSLOT_SERVICE also wakes for them). */
static enum err give_notification(struct stask *s, const struct task_desc *d)
{
	enum err e;
	if (!d->nirqs && !d->timer && !d->heartbeat_ms)
		return E_OK;
	if ((e = new_object(s, OBJ_NOTIFICATION, TSLOT_NOTIFICATION, &s->ntfn)))
		return e;
	if (((d->nirqs && d->serves >= 0) || d->heartbeat_ms) && (e = INVOKE(s->tcb, TCB_BIND_NOTIFICATION, s->ntfn)))
		return e;
	return d->heartbeat_ms ? badged_ntfn(s, SUP_HEARTBEAT_BADGE, &s->beat) : E_OK;
}

static enum err equip(struct stask *s, const struct task_desc *d)
{
	enum err e;
	cptr_t timer;
	if (d->serves >= 0 && (e = cnode_copy(s->cnode, TSLOT_SERVICE, TSLOT_CNODE, s->service, RIGHTS_ALL)))
		return e;
	if ((e = give_notification(s, d)) || (e = give_irqs(s, d)))
		return e;
	uint64_t va = TASK_DEVICE_BASE;
	for (unsigned i = 0; i < d->ndevices; i++) {
		if ((e = INVOKE(task.mm, MM_MAP_DEVICE, s->id, d->devices[i].paddr, d->devices[i].bytes, va)))
			return e;
		va += (d->devices[i].bytes + 0xfff) & ~0xfffULL;
	}
	if (d->timer) {
		if ((e = new_object(s, OBJ_TIMER, TSLOT_TIMER, &timer)))
			return e;
		cnode_delete(TSLOT_CNODE, timer);
		slot_free(timer);
	}
	if (d->trace) {   /* made from mm's memory for it, counted in its quota */
		if ((e = new_object(s, OBJ_TRACE, TSLOT_TRACE, &timer)))
			return e;
		cnode_delete(TSLOT_CNODE, timer);
		slot_free(timer);
	}
	return E_OK;
}

struct stask *server_of(int svc)
{
	for (unsigned i = 0; i < nstasks; i++)
		if (stasks[i].desc && stasks[i].desc->serves == svc)
			return &stasks[i];
	return NULL;
}

/* Endpoints of the services the task may call, badged for this instance
 * (mm's id and a count of instances: an id mm gives out again is never
 * the same client to a server). The endpoints are ours and outlive every
 * instance of their servers, so a client is connected once per instance
 * of its own. */
static enum err connect(struct stask *s)
{
	static uint64_t instances;
	s->client_badge = CLIENT_BADGE(s->id, ++instances);
	for (int svc = 0; svc < SVC_COUNT; svc++) {
		struct stask *server = server_of(svc);
		if (!(s->desc->calls & (1u << svc)) || !server || !server->service)
			continue;
		enum err e = cnode_mint(s->cnode, TSLOT_SVC(svc), TSLOT_CNODE, server->service,
					RIGHT_WRITE | RIGHT_GRANT, s->client_badge);
		if (e)
			return e;
	}
	return E_OK;
}

/* A new instance of a described task: built, equipped, connected; not
 * yet resumed. */
static enum err instantiate(struct stask *s)
{
	const struct task_desc *d = s->desc;
	enum err e;
	s->state = TASK_RUNNING;
	s->generation++;
	s->started_ms = now_ms();
	if ((e = start_task(s, d->program, d->quota, d->stack, d->dma)) || (e = equip(s, d)) || (e = connect(s)))
		return e;
	heartbeat_start(s);
	return E_OK;
}

/* A described task (again), from its pristine image. */
enum err start_described(struct stask *s)
{
	enum err e = instantiate(s);
	return e ? e : tcb_resume(s->tcb);
}

enum err build_system(void)
{
	enum err e;
	for (unsigned i = 0; i < system_task_count && nstasks < MAX_STASKS; i++) {
		const struct task_desc *d = &system_tasks[i];
		struct stask *s = &stasks[nstasks++];
		strncpy(s->name, d->name, 15);
		s->desc = d;
		s->prio = d->priority;
		s->state = TASK_IDLE;
		if (d->serves >= 0 && (e = own_object(OBJ_ENDPOINT, &s->service)))
			return e;
	}
	for (unsigned i = 0; i < nstasks; i++)
		if (stasks[i].desc->start && (e = instantiate(&stasks[i]))) {
			printf("init: cannot start %s: %s\n", stasks[i].name, err_name(e));
			return e;
		}
	for (unsigned i = 0; i < nstasks; i++)
		if (stasks[i].state == TASK_RUNNING && (e = tcb_resume(stasks[i].tcb)))
			return e;
	return E_OK;
}

/* The servers s could call learn that a client of theirs is gone, so
 * they drop what they kept for it (open files). */
static void tell_servers(const struct stask *s)
{
	for (int svc = 0; s->desc && svc < SVC_COUNT; svc++) {
		struct stask *server = server_of(svc);
		if ((s->desc->calls & (1u << svc)) && server && server->state == TASK_RUNNING && server->ntfn)
			signal_task(server, SUP_CLIENT_GONE_BADGE);
	}
}

/* A task ends: mm frees its memory, whoever ran it learns how. */
void end_task(struct stask *s, int how, uint64_t status)
{
	if (s->id)
		INVOKE(task.mm, MM_KILL, s->id);
	s->id = 0;
	if (s->client_badge)
		tell_servers(s);
	s->client_badge = 0;
	s->state = how;
	s->status = status;
	/* its caps here went with its memory; the slots are free again */
	cptr_t *mine[] = { &s->tcb, &s->cnode, &s->ntfn, &s->beat };
	for (unsigned i = 0; i < sizeof mine / sizeof mine[0]; i++) {
		if (*mine[i]) {
			cnode_delete(TSLOT_CNODE, *mine[i]);
			slot_free(*mine[i]);
		}
		*mine[i] = 0;
	}
	if (s->waiter) {
		sys_send(s->waiter, MSGINFO(0, 0, 2), (uint64_t)how, status, 0, 0);
		slot_free(s->waiter);
		s->waiter = 0;
	}
}

struct stask *stask_by_id(uint64_t id)
{
	for (unsigned i = 0; i < nstasks; i++)
		if (stasks[i].id == id && stasks[i].state == TASK_RUNNING)
			return &stasks[i];
	return NULL;
}

struct stask *stask_by_name(const char *name)
{
	for (unsigned i = 0; i < nstasks; i++)
		if (strncmp(stasks[i].name, name, 16) == 0 && stasks[i].state == TASK_RUNNING)
			return &stasks[i];
	return NULL;
}
