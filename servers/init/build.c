/* Building the system from the description: each task is spawned by mm,
 * then given exactly the objects, devices, IRQs and service endpoints its
 * entry names; only then do they all start. */
#include "init.h"

struct stask stasks[MAX_STASKS];
unsigned nstasks;

/* Spawn a program through mm; its TCB and CNode caps arrive in two slots. */
enum err start_task(struct stask *s, const char *program, uint64_t quota, uint64_t stack, int dma)
{
	uint64_t args[7], res[MSG_MAX_WORDS];
	unsigned n = 0;
	s->tcb = slot_alloc();
	s->cnode = slot_alloc();
	if (!s->tcb || s->cnode != s->tcb + 1)
		return E_NOT_ENOUGH_MEMORY;
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

static enum err equip(struct stask *s, const struct task_desc *d)
{
	enum err e;
	cptr_t timer;
	if (d->serves >= 0 && (e = new_object(s, OBJ_ENDPOINT, TSLOT_SERVICE, &s->service)))
		return e;
	if ((d->nirqs || d->timer) && (e = new_object(s, OBJ_NOTIFICATION, TSLOT_NOTIFICATION, &s->ntfn)))
		return e;
	if (d->nirqs && d->serves >= 0 && (e = INVOKE(s->tcb, TCB_BIND_NOTIFICATION, s->ntfn)))
		return e;
	if ((e = give_irqs(s, d)))
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
	return E_OK;
}

static struct stask *server_of(int svc)
{
	for (unsigned i = 0; i < nstasks; i++)
		if (stasks[i].desc && stasks[i].desc->serves == svc)
			return &stasks[i];
	return NULL;
}

/* Endpoints of the services each task may call, badged with its id
 * (only service `only`, if it is not -1). */
static enum err connect(struct stask *s, int only)
{
	for (int svc = 0; svc < SVC_COUNT; svc++) {
		struct stask *server = server_of(svc);
		if (!(s->desc->calls & (1u << svc)) || !server || server->state != TASK_RUNNING ||
		    (only >= 0 && svc != only))
			continue;
		cnode_delete(s->cnode, TSLOT_SVC(svc));   /* a cap to a dead server's endpoint */
		enum err e = cnode_mint(s->cnode, TSLOT_SVC(svc), TSLOT_CNODE, server->service,
					RIGHT_WRITE | RIGHT_GRANT, s->id);
		if (e)
			return e;
	}
	return E_OK;
}

/* Our own console, to report on the others. */
static void connect_console(void)
{
	struct stask *console = server_of(SVC_CONSOLE);
	if (!console || console->state != TASK_RUNNING)
		return;
	if (!task.console)
		task.console = slot_alloc();
	cnode_delete(TSLOT_CNODE, task.console);
	if (cnode_mint(TSLOT_CNODE, task.console, TSLOT_CNODE, console->service, RIGHT_WRITE, MM_SUPERVISOR_BADGE))
		task.console = 0;
}

/* A described task that died starts again from its pristine image, and
 * everyone who may call it gets a fresh cap to its new endpoint. */
enum err restart_task(struct stask *s)
{
	s->restarts++;
	return start_described(s);
}

/* A described task (again): built, equipped, connected, resumed. */
enum err start_described(struct stask *s)
{
	const struct task_desc *d = s->desc;
	enum err e;
	s->state = TASK_RUNNING;
	s->service = s->ntfn = 0;
	if ((e = start_task(s, d->program, d->quota, d->stack, d->dma)) || (e = equip(s, d)) ||
	    (e = connect(s, -1))) {
		s->state = TASK_DEAD;
		return e;
	}
	for (unsigned i = 0; i < nstasks && d->serves >= 0; i++)
		if (&stasks[i] != s && stasks[i].desc && stasks[i].state == TASK_RUNNING &&
		    (e = connect(&stasks[i], d->serves)))
			return e;
	if (d->serves == SVC_CONSOLE)
		connect_console();
	return tcb_resume(s->tcb);
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
		s->state = d->start ? TASK_RUNNING : TASK_IDLE;
		if (!d->start)
			continue;
		if ((e = start_task(s, d->program, d->quota, d->stack, d->dma)) || (e = equip(s, d))) {
			printf("init: cannot start %s: %s\n", d->name, err_name(e));
			return e;
		}
	}
	for (unsigned i = 0; i < nstasks; i++)
		if (stasks[i].state == TASK_RUNNING && (e = connect(&stasks[i], -1)))
			return e;
	connect_console();
	for (unsigned i = 0; i < nstasks; i++)
		if (stasks[i].state == TASK_RUNNING && (e = tcb_resume(stasks[i].tcb)))
			return e;
	return E_OK;
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
