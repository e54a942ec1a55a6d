/* virtio-blk over virtio-mmio (version 2): the block protocol
 * (include/proto/blk.h).
 *
 * The driver probes the eight virtio-mmio slots of QEMU's virt machine
 * for a block device, negotiates features and sets up one split
 * virtqueue. Each request is a chain of three descriptors (header, data,
 * status); several are in flight at once, each with the caller's saved
 * reply cap, answered when the device puts it in the used ring. A request
 * that finds every slot taken waits in a bounded list, its reply cap saved,
 * and is submitted when a slot frees: the client never polls.
 *
 * A request the device does not complete within TIMEOUT_MS means the
 * device is stuck: the driver resets it (status 0, the queue set up
 * again), which drops everything the device held, and submits every
 * outstanding request once more; one that times out a second time is
 * failed with E_TIMEOUT. No state waits on the device without a deadline. */
#include <string.h>
#include "task.h"
#include "hostile.h"
#include "../../include/proto/blk.h"
#include "../../include/proto/mm.h"
#include "../../include/proto/supervisor.h"

#define SLOTS 8
#define MMIO(slot, off) (*(volatile uint32_t *)(TASK_DEVICE_BASE + (slot) * 0x1000 + (off)))
enum {
	MAGIC = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, DEVICE_FEATURES = 0x010, DEVICE_FEATURES_SEL = 0x014,
	DRIVER_FEATURES = 0x020, DRIVER_FEATURES_SEL = 0x024, QUEUE_SEL = 0x030, QUEUE_NUM_MAX = 0x034,
	QUEUE_NUM = 0x038, QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050, INTERRUPT_STATUS = 0x060,
	INTERRUPT_ACK = 0x064, STATUS = 0x070, QUEUE_DESC = 0x080, QUEUE_DRIVER = 0x090, QUEUE_DEVICE = 0x0a0,
	CONFIG = 0x100,
};
enum { S_ACK = 1, S_DRIVER = 2, S_DRIVER_OK = 4, S_FEATURES_OK = 8, S_FAILED = 128 };
#define F_RO (1ULL << 5)
#define F_FLUSH (1ULL << 9)
#define F_VERSION_1 (1ULL << 32)
enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4 };
#define D_NEXT 1
#define D_WRITE 2

#define QSIZE 32
#define MAX_REQ (QSIZE / 3)
#define TIMEOUT_MS 5000
#define WAITERS 16   /* requests waiting for a free slot; more get E_IN_USE */

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct avail { uint16_t flags, idx, ring[QSIZE], used_event; };
struct used { uint16_t flags, idx; struct { uint32_t id, len; } ring[QSIZE]; uint16_t avail_event; };
struct req_header { uint32_t type, reserved; uint64_t sector; };

/* One DMA page: the queue, then per request slot a header and status. */
struct dma_page {
	struct desc desc[QSIZE];
	struct avail avail;
	uint8_t pad[(512 - sizeof(struct avail)) % 512];
	struct used used;
	struct req_header hdr[MAX_REQ];
	uint8_t status[MAX_REQ];
};

static struct dma_page *q;
static uint64_t q_pa;
static int slot = -1;
static uint64_t capacity, features;
static uint16_t used_seen;
/* What the device is asked: kept so a request can be submitted again
 * after a reset. */
struct job {
	cptr_t reply;
	uint32_t type, bytes;
	uint64_t sector, pa;
};
static struct {
	int busy, resubmitted;
	struct job job;
	uint64_t deadline;
} reqs[MAX_REQ];
static struct job waiting[WAITERS];   /* a ring, oldest first */
static unsigned wait_head, wait_count;
extern uint64_t libsys_timebase_hz;

static cptr_t timer_ntfn;   /* our notification, badged TIMER_BADGE */
#define TIMER_BADGE (1ULL << 63)

static uint64_t pa_of(const void *p) { return q_pa + ((const uint8_t *)p - (const uint8_t *)q); }

static int probe(void)
{
	for (int s = 0; s < SLOTS; s++)
		if (MMIO(s, MAGIC) == 0x74726976 && MMIO(s, VERSION) == 2 && MMIO(s, DEVICE_ID) == 2)
			return s;
	return -1;
}

static uint64_t device_features(void)
{
	MMIO(slot, DEVICE_FEATURES_SEL) = 1;
	uint64_t f = (uint64_t)MMIO(slot, DEVICE_FEATURES) << 32;
	MMIO(slot, DEVICE_FEATURES_SEL) = 0;
	return f | MMIO(slot, DEVICE_FEATURES);
}

static enum err device_init(void)
{
	uint64_t r[2];
	unsigned n;
	MMIO(slot, STATUS) = 0;   /* reset: the device forgets its queue and every request */
	MMIO(slot, STATUS) = S_ACK | S_DRIVER;
	features = device_features() & (F_RO | F_FLUSH | F_VERSION_1);
	if (!(features & F_VERSION_1))
		return E_IO;
	MMIO(slot, DRIVER_FEATURES_SEL) = 1;
	MMIO(slot, DRIVER_FEATURES) = (uint32_t)(features >> 32);
	MMIO(slot, DRIVER_FEATURES_SEL) = 0;
	MMIO(slot, DRIVER_FEATURES) = (uint32_t)features;
	MMIO(slot, STATUS) = S_ACK | S_DRIVER | S_FEATURES_OK;
	if (!(MMIO(slot, STATUS) & S_FEATURES_OK))
		return E_IO;
	if (!q) {   /* the first start; a reset keeps the page */
		if (invoke(task.mm, MM_DMA_ALLOC, 1, (uint64_t[]){ 1 }, r, &n) || n < 2)
			return E_NOT_ENOUGH_MEMORY;
		q = (struct dma_page *)r[0];
		q_pa = r[1];
	}
	memset(q, 0, sizeof *q);
	used_seen = 0;
	MMIO(slot, QUEUE_SEL) = 0;
	if (MMIO(slot, QUEUE_NUM_MAX) < QSIZE)
		return E_IO;
	MMIO(slot, QUEUE_NUM) = QSIZE;
	uint64_t d = pa_of(q->desc), a = pa_of(&q->avail), u = pa_of(&q->used);
	MMIO(slot, QUEUE_DESC) = (uint32_t)d;
	MMIO(slot, QUEUE_DESC + 4) = (uint32_t)(d >> 32);
	MMIO(slot, QUEUE_DRIVER) = (uint32_t)a;
	MMIO(slot, QUEUE_DRIVER + 4) = (uint32_t)(a >> 32);
	MMIO(slot, QUEUE_DEVICE) = (uint32_t)u;
	MMIO(slot, QUEUE_DEVICE + 4) = (uint32_t)(u >> 32);
	MMIO(slot, QUEUE_READY) = 1;
	MMIO(slot, STATUS) = S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK;
	capacity = MMIO(slot, CONFIG) | (uint64_t)MMIO(slot, CONFIG + 4) << 32;
	return E_OK;
}

/* Reset the device and set it up again (the same DMA page). */
static enum err device_start(void)
{
	enum err e = device_init();
	if (e) {
		MMIO(slot, STATUS) = S_FAILED;
		slot = -1;
	}
	return e;
}

static void answer(cptr_t reply, enum err e)
{
	sys_send(reply, MSGINFO(e, 0, 0), 0, 0, 0, 0);
	slot_free(reply);
}

static void arm_timer(void)
{
	uint64_t soonest = ~0ULL;
	for (int i = 0; i < MAX_REQ; i++)
		if (reqs[i].busy && reqs[i].deadline < soonest)
			soonest = reqs[i].deadline;
	if (soonest != ~0ULL && timer_ntfn)
		INVOKE(task.timer, TIMER_SET, timer_ntfn, soonest);
}

/* Put request r on the queue as descriptors 3r, 3r+1, 3r+2, with a new
 * deadline. */
static void submit(int r)
{
	int d = 3 * r;
	uint32_t type = reqs[r].job.type, bytes = reqs[r].job.bytes;
	uint64_t sector = reqs[r].job.sector, pa = reqs[r].job.pa;
	reqs[r].deadline = rdtime() + TIMEOUT_MS * libsys_timebase_hz / 1000;
	q->hdr[r] = (struct req_header){ type, 0, sector };
	q->status[r] = 0xff;
	q->desc[d] = (struct desc){ pa_of(&q->hdr[r]), sizeof q->hdr[r], D_NEXT, (uint16_t)(d + 1) };
	if (bytes) {
		q->desc[d + 1] = (struct desc){ pa, bytes, (uint16_t)(D_NEXT | (type == T_IN ? D_WRITE : 0)),
						(uint16_t)(d + 2) };
	} else {
		q->desc[d].next = (uint16_t)(d + 2);
	}
	q->desc[d + 2] = (struct desc){ pa_of(&q->status[r]), 1, D_WRITE, 0 };
	q->avail.ring[q->avail.idx % QSIZE] = (uint16_t)d;
	__asm__ volatile("fence rw, rw" ::: "memory");
	q->avail.idx++;
	__asm__ volatile("fence rw, rw" ::: "memory");
	MMIO(slot, QUEUE_NOTIFY) = 0;
}

static int free_slot(void)
{
	for (int r = 0; r < MAX_REQ; r++)
		if (!reqs[r].busy)
			return r;
	return -1;
}

/* Give a free slot to the job, or keep it waiting; 0 if neither can. */
static int start(const struct job *j)
{
	int r = free_slot();
	if (r < 0) {
		if (wait_count == WAITERS)
			return 0;
		waiting[(wait_head + wait_count++) % WAITERS] = *j;
		return 1;
	}
	reqs[r].busy = 1;
	reqs[r].resubmitted = 0;
	reqs[r].job = *j;
	submit(r);
	return 1;
}

/* Slots freed: the oldest waiting requests take them. */
static void start_waiting(void)
{
	int r;
	while (wait_count && (r = free_slot()) >= 0) {
		struct job j = waiting[wait_head];
		wait_head = (wait_head + 1) % WAITERS;
		wait_count--;
		start(&j);
	}
}

static void complete(void)
{
	__asm__ volatile("fence rw, rw" ::: "memory");
	while (used_seen != q->used.idx) {
		uint32_t id = q->used.ring[used_seen % QSIZE].id;
		used_seen++;
		int r = (int)(id / 3);
		if (id % 3 || r >= MAX_REQ || !reqs[r].busy)
			continue;   /* not one of ours: ignore it */
		reqs[r].busy = 0;
		answer(reqs[r].job.reply, q->status[r] == 0 ? E_OK : E_IO);
	}
	start_waiting();
}

/* Every request whose slot the device holds, and those still waiting, are
 * failed with e (the device is gone). */
static void fail_all(enum err e)
{
	for (int r = 0; r < MAX_REQ; r++)
		if (reqs[r].busy) {
			reqs[r].busy = 0;
			answer(reqs[r].job.reply, e);
		}
	for (; wait_count; wait_count--, wait_head = (wait_head + 1) % WAITERS)
		answer(waiting[wait_head].reply, e);
}

/* A request past its deadline: the device is stuck. After the reset it
 * holds nothing, so each outstanding request is submitted again, once;
 * one already submitted again is failed. */
static void expire(void)
{
	uint64_t now = rdtime();
	int late = 0;
	for (int r = 0; r < MAX_REQ; r++)
		late |= reqs[r].busy && reqs[r].deadline <= now;
	if (!late) {
		arm_timer();   /* an early or stale timer signal */
		return;
	}
	if (device_start()) {
		fail_all(E_IO);
		return;
	}
	for (int r = 0; r < MAX_REQ; r++) {
		if (!reqs[r].busy)
			continue;
		if (reqs[r].resubmitted) {
			reqs[r].busy = 0;
			answer(reqs[r].job.reply, E_TIMEOUT);
			continue;
		}
		reqs[r].resubmitted = 1;
		submit(r);
	}
	start_waiting();
	arm_timer();
}

static void interrupt(uint64_t badge)
{
	if (slot >= 0 && (badge & (1ULL << slot))) {
		MMIO(slot, INTERRUPT_ACK) = MMIO(slot, INTERRUPT_STATUS);
		complete();
		INVOKE0(TSLOT_IRQ0 + slot, IRQ_HANDLER_ACK);
	}
	if (badge & TIMER_BADGE)
		expire();
}

/* *queued: the answer comes when the device completes the request. */
static enum err request(uint64_t label, const uint64_t *mr, uint64_t *res, unsigned *nres, int *queued)
{
	uint64_t sector = mr[0], count = mr[1], pa = mr[2];
	*queued = 0;
	if (slot < 0)
		return E_NOT_FOUND;
	if (label == BLK_INFO) {
		res[0] = capacity;
		res[1] = features & F_RO ? BLK_READ_ONLY : 0;
		*nres = 2;
		return E_OK;
	}
	uint32_t type = label == BLK_READ ? T_IN : label == BLK_WRITE ? T_OUT : T_FLUSH;
	if (label != BLK_READ && label != BLK_WRITE && label != BLK_FLUSH)
		return E_INVALID_ARGUMENT;
	enum err bad;
	if (label != BLK_FLUSH && hostile_reply(sector, res, nres, &bad))
		return bad;
	if (label == BLK_FLUSH && !(features & F_FLUSH))
		return E_OK;   /* no write cache to flush: writes go straight to the disk */
	if (label != BLK_FLUSH && (count < 1 || count > BLK_MAX_SECTORS || sector >= capacity ||
				   count > capacity - sector || pa % 8))
		return E_RANGE;
	if (label == BLK_WRITE && (features & F_RO))
		return E_NO_RIGHTS;
	if (free_slot() < 0 && wait_count == WAITERS)
		return E_IN_USE;   /* every slot and every waiting place taken */
	struct job j = { slot_alloc(), type, label == BLK_FLUSH ? 0 : (uint32_t)(count * BLK_SECTOR),
			 label == BLK_FLUSH ? 0 : sector, pa };
	enum err e = INVOKE(TSLOT_CNODE, CNODE_SAVE_CALLER, j.reply);
	if (e) {
		slot_free(j.reply);
		return e;
	}
	start(&j);
	*queued = 1;
	arm_timer();
	return E_OK;
}

int main(uint64_t id)
{
	(void)id;
	if (task.timer) {
		timer_ntfn = slot_alloc();
		if (cnode_mint(TSLOT_CNODE, timer_ntfn, TSLOT_CNODE, TSLOT_NOTIFICATION, RIGHT_WRITE, TIMER_BADGE))
			timer_ntfn = 0;
	}
	enum err e;
	if ((slot = probe()) >= 0)
		device_start();
	for (;;) {
		struct sysret r = sys_recv(TSLOT_SERVICE);
		if (MSGINFO_LABEL(r.info) == LABEL_NOTIFICATION) {
			if (r.badge & SUP_HEARTBEAT_BADGE)
				heartbeat_answer();
			interrupt(r.badge & ~SUP_HEARTBEAT_BADGE);
			continue;
		}
		uint64_t res[4] = { 0 };
		unsigned nres = 0;
		int queued;
		e = request(MSGINFO_LABEL(r.info), r.mr, res, &nres, &queued);
		if (queued)
			continue;
		sys_reply(MSGINFO(e, 0, nres), res[0], res[1], res[2], res[3]);
	}
}
