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

/* Endpoints of the services each task may call, badged with its id. */
static enum err connect(struct stask *s)
{
	for (int svc = 0; svc < SVC_COUNT; svc++) {
		struct stask *server = server_of(svc);
		if (!(s->desc->calls & (1u << svc)) || !server)
			continue;
		enum err e = cnode_mint(s->cnode, TSLOT_SVC(svc), TSLOT_CNODE, server->service,
					RIGHT_WRITE | RIGHT_GRANT, s->id);
		if (e)
			return e;
	}
	return E_OK;
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
		s->state = TASK_RUNNING;
		if ((e = start_task(s, d->program, d->quota, d->stack, d->dma)) || (e = equip(s, d))) {
			printf("init: cannot start %s: %s\n", d->name, err_name(e));
			return e;
		}
	}
	for (unsigned i = 0; i < nstasks; i++)
		if ((e = connect(&stasks[i])))
			return e;
	/* our own console, to report on the others */
	struct stask *console = server_of(SVC_CONSOLE);
	if (console) {
		cptr_t c = slot_alloc();
		if (cnode_mint(TSLOT_CNODE, c, TSLOT_CNODE, console->service, RIGHT_WRITE, MM_SUPERVISOR_BADGE) == E_OK)
			task.console = c;
	}
	for (unsigned i = 0; i < nstasks; i++)
		if ((e = tcb_resume(stasks[i].tcb)))
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
