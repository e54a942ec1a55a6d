/* mm, the memory manager. It is the kernel's root task: it receives all
 * memory, starts the supervisor (init) and then serves requests for the
 * rest of the system's life (include/proto/mm.h). */
#include "mm.h"

const struct bootinfo *bi;
cptr_t mm_endpoint;                 /* every task's TSLOT_MM is a badged copy */
static cptr_t supervisor_ep;        /* faults of tasks go here */
static uint64_t slot_map[4096 / 64];

#define SCRATCH_VA 0x70000000ULL

/* mm's own heap (libsys/sbrk.c): mm cannot ask itself for memory. */
uint8_t root_heap[128 * 1024] __attribute__((aligned(16)));
const uint64_t root_heap_size = sizeof root_heap;

cptr_t mm_slot(void)
{
	for (cptr_t s = bi->empty.start; s < bi->empty.end; s++)
		if (!(slot_map[s / 64] & (1ULL << (s % 64)))) {
			slot_map[s / 64] |= 1ULL << (s % 64);
			return s;
		}
	return 0;
}

void mm_slot_free(cptr_t s)
{
	if (s)
		slot_map[s / 64] &= ~(1ULL << (s % 64));
}

void *scratch_map(cptr_t frame)
{
	frame_map(frame, SLOT_VSPACE, SCRATCH_VA, RIGHT_READ | RIGHT_WRITE);
	return (void *)SCRATCH_VA;
}

void scratch_unmap(cptr_t frame) { frame_unmap(frame); }

/* A page table for the scratch page, from a small region of mm's own. */
static void scratch_init(void)
{
	cptr_t ut = mm_slot(), pt = mm_slot();
	if (pool_untyped(14, ut) || untyped_retype(ut, OBJ_PAGE_TABLE, 0, SLOT_CNODE, pt, 1) ||
	    page_table_map(pt, SLOT_VSPACE, SCRATCH_VA))
		printf("mm: no scratch mapping\n");
}

static struct mtask *task_of(uint64_t id)
{
	return id < MAX_TASKS && tasks[id].used ? &tasks[id] : NULL;
}

/* The supervisor's debug access (debug.c), never to its own memory. */
static enum err debug_request(struct mtask *t, uint64_t id, uint64_t label, const uint64_t *mr, uint64_t *res,
			      unsigned *nres)
{
	if (!t)
		return E_NOT_FOUND;
	if (id == MM_SUPERVISOR_BADGE)
		return E_ILLEGAL_OPERATION;
	if (label == MM_POKE)
		return debug_poke(t, mr[1], mr[2], mr[3]);
	if (label == MM_REGION) {
		*nres = 4;
		return debug_region(t, mr[1], mr[2], res);
	}
	*nres = (unsigned)((mr[2] + 7) / 8);
	return debug_peek(t, mr[1], mr[2], res);
}

/* The request in r from `badge`; results into res, caps to send into caps. */
static enum err handle(uint64_t badge, uint64_t label, const uint64_t *mr, uint64_t *res, unsigned *nres,
		       cptr_t *caps, unsigned *ncaps)
{
	struct mtask *self = task_of(badge), *t;
	char prog[16], name[16];
	enum err e;
	if (!self)
		return E_NO_RIGHTS;
	switch (label) {
	case MM_SBRK:
		*nres = 1;
		return task_sbrk(self, (int64_t)mr[0], &res[0]);
	case MM_DMA_ALLOC:
		*nres = 2;
		return task_dma(self, mr[0], &res[0], &res[1]);
	case MM_STAT:
		*nres = 4;
		if (mr[0] == 0) {
			res[0] = pool_free_pages();
			res[1] = pool_total_pages();
			res[2] = bi->image_frames.end - bi->image_frames.start;
			res[3] = 0;
			return E_OK;
		}
		if (mr[0] >= MAX_TASKS)
			return E_RANGE;
		if (!(t = task_of(mr[0])))
			return E_NOT_FOUND;
		res[0] = t->pages;
		res[1] = t->quota;
		memcpy(&res[2], t->name, 16);
		return E_OK;
	default:
		break;
	}
	if (badge != MM_SUPERVISOR_BADGE)
		return label <= MM_REGION ? E_NO_RIGHTS : E_INVALID_ARGUMENT;
	t = task_of(mr[0]);
	switch (label) {
	case MM_SPAWN: {
		uint64_t id;
		unpack_name(&mr[0], prog);
		unpack_name(&mr[4], name);
		/* its faults reach the supervisor badged with its id */
		if ((e = task_spawn(prog, name, mr[2], mr[3], supervisor_ep, FAULT_BADGE, &id)))
			return e;
		t = &tasks[id];
		t->may_dma = (mr[6] & MM_SPAWN_DMA) != 0;
		res[0] = id;
		*nres = 1;
		caps[0] = t->tcb;
		caps[1] = t->guarded_cnode;
		*ncaps = 2;
		return E_OK;
	}
	case MM_NEW_OBJECT: {
		if (!t)
			return E_NOT_FOUND;
		cptr_t copy = mm_slot();
		if ((e = task_new_object(t, mr[1], mr[2], copy))) {
			mm_slot_free(copy);
			return e;
		}
		caps[0] = copy;
		*ncaps = 1;
		return E_OK;
	}
	case MM_MAP_DEVICE:
		return t ? task_map_device(t, mr[1], mr[2], mr[3]) : E_NOT_FOUND;
	case MM_FAULT:
		return t ? task_fault(t, mr[1]) : E_NOT_FOUND;
	case MM_KILL:
		if (!t)
			return E_NOT_FOUND;
		if (mr[0] == MM_SUPERVISOR_BADGE)
			return E_ILLEGAL_OPERATION;
		task_kill(t);
		return E_OK;
	case MM_PEEK:
	case MM_POKE:
	case MM_REGION:
		return debug_request(t, mr[0], label, mr, res, nres);
	default:
		return E_INVALID_ARGUMENT;
	}
}

static void start_supervisor(void)
{
	uint64_t id;
	enum err e = task_spawn("init", "init", 256, 8, mm_endpoint, FAULT_BADGE, &id);
	if (e || id != MM_SUPERVISOR_BADGE) {
		printf("mm: cannot start the supervisor: %s\n", err_name(e));
		return;
	}
	struct mtask *t = &tasks[id];
	supervisor_ep = mm_slot();
	if ((e = task_new_object(t, OBJ_ENDPOINT, TSLOT_SERVICE, supervisor_ep)) ||
	    (e = cnode_copy(t->cnode, INIT_SLOT_IRQ_CONTROL, SLOT_CNODE, SLOT_IRQ_CONTROL, RIGHTS_ALL)) ||
	    (e = cnode_copy(t->cnode, INIT_SLOT_SYSTEM, SLOT_CNODE, SLOT_SYSTEM, RIGHTS_ALL)) ||
	    (e = tcb_set_priority(t->tcb, SLOT_TCB, 254, 254)) || (e = tcb_resume(t->tcb)))
		printf("mm: cannot start the supervisor: %s\n", err_name(e));
}

int main(uint64_t arg)
{
	bi = (const struct bootinfo *)arg;
	libsys_timebase_hz = bi->timebase_hz;
	pool_init();
	uint64_t ndev = 0;
	for (cptr_t s = bi->untyped.start; s < bi->untyped.end; s++)
		ndev += bi->untyped_list[s - bi->untyped.start].is_device;
	printf("mm: %llu KiB of RAM in %llu untyped regions, %llu device regions, %llu free slots\n",
	       (unsigned long long)pool_total_pages() * 4, (unsigned long long)(bi->untyped.end - bi->untyped.start - ndev),
	       (unsigned long long)ndev, (unsigned long long)(bi->empty.end - bi->empty.start));
	scratch_init();
	mm_endpoint = mm_slot();
	cptr_t ut = mm_slot();
	if (pool_untyped(12, ut) || untyped_retype(ut, OBJ_ENDPOINT, 0, SLOT_CNODE, mm_endpoint, 1)) {
		printf("mm: no memory for an endpoint\n");
		return 1;
	}
	start_supervisor();

	uint64_t res[MSG_MAX_WORDS], mr[MSG_MAX_WORDS];
	cptr_t pending = 0;   /* caps sent with the last reply, deleted after it */
	struct sysret r = sys_recv(mm_endpoint);
	for (;;) {
		if (pending) {
			cnode_delete(SLOT_CNODE, pending);
			mm_slot_free(pending);
			pending = 0;
		}
		if (r.badge & FAULT_BADGE) {
			printf("mm: the supervisor faulted (type %llu at pc 0x%llx, address 0x%llx)\n",
			       (unsigned long long)r.mr[0], (unsigned long long)r.mr[2], (unsigned long long)r.mr[1]);
			r = sys_recv(mm_endpoint);
			continue;
		}
		unsigned len = MSGINFO_LEN(r.info), nres = 0, ncaps = 0;
		cptr_t caps[MSG_MAX_CAPS];
		memset(mr, 0, sizeof mr);
		for (unsigned i = 0; i < len && i < MSG_MAX_WORDS; i++)
			mr[i] = i < MSG_REG_COUNT ? r.mr[i] : __ipcbuf->mr[i];
		enum err e = handle(r.badge, MSGINFO_LABEL(r.info), mr, res, &nres, caps, &ncaps);
		if (e)
			nres = ncaps = 0;
		for (unsigned i = MSG_REG_COUNT; i < nres; i++)
			__ipcbuf->mr[i] = res[i];
		for (unsigned i = 0; i < ncaps; i++)
			__ipcbuf->caps[i] = caps[i];
		if (ncaps == 1 && MSGINFO_LABEL(r.info) == MM_NEW_OBJECT)
			pending = caps[0];
		r = sys_replyrecv(mm_endpoint, MSGINFO(e, ncaps, nres), res[0], res[1], res[2], res[3]);
	}
}
