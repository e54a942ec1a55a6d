/* The capability matrix: for every task, what its CSpace could reach,
 * checked slot by slot against its description. A task may hold its own
 * TCB, CNode and VSpace, mm, its described service endpoint, notification,
 * timer, IRQ handlers, trace object and the endpoints of services it may call (and, in
 * its free slots, reply caps and copies of those); a server also a right
 * to signal a client's notification, lent by that client. Anything else — another
 * task's memory, a device, an IRQ, an endpoint, the power-off cap, a
 * trace object (which sees every message in the system) — is a breach. */
#include "init.h"

enum reach { R_MEMORY, R_DEVICE, R_IRQ, R_ENDPOINT, R_POWER, R_TRACE, R_COUNT };
static const char *const reach_names[R_COUNT] = { "memory", "device", "irq", "endpoint", "power-off", "trace" };

struct cap_info { uint64_t type, bits, rights, data, children, paddr; };

static int info(cptr_t cnode, uint64_t slot, struct cap_info *c)
{
	uint64_t r[MSG_MAX_WORDS];
	unsigned n = 0;
	if (invoke(cnode, CNODE_INFO, 1, &slot, r, &n) || n < 6)
		return 0;
	*c = (struct cap_info){ r[0], r[1], r[2], r[3], r[4], r[5] };
	return c->type != OBJ_NONE;
}

static uint64_t paddr_at(cptr_t cnode, uint64_t slot)
{
	struct cap_info c;
	return info(cnode, slot, &c) ? c.paddr : ~0ULL;
}

/* Is the endpoint at paddr one this task was given? */
static int endpoint_allowed(const struct stask *s, uint64_t pa, uint64_t slot)
{
	if (slot == TSLOT_MM || pa == paddr_at(s->cnode, TSLOT_MM))
		return 1;
	if (s->desc && s->desc->serves >= 0 && pa == paddr_at(s->cnode, TSLOT_SERVICE))
		return 1;
	for (int svc = 0; svc < SVC_COUNT; svc++) {
		int may = svc == SVC_SUPERVISOR || (s->desc && (s->desc->calls & (1u << svc)));
		if (may && pa == paddr_at(s->cnode, TSLOT_SVC(svc)) && pa != ~0ULL)
			return 1;
	}
	return 0;
}

/* A signal-only right to the notification of a task that may call this
 * one: lent by a client so its server can wake it without waiting on it
 * (the UART driver and the console server, include/proto/console.h). */
static int lent_signal(const struct stask *s, const struct cap_info *c)
{
	if (!s->desc || s->desc->serves < 0 || (c->rights & ~RIGHT_WRITE))
		return 0;
	for (unsigned i = 0; i < nstasks; i++) {
		const struct stask *t = &stasks[i];
		if (t != s && t->state == TASK_RUNNING && t->desc && (t->desc->calls & (1u << s->desc->serves)) &&
		    c->paddr == paddr_at(t->cnode, TSLOT_NOTIFICATION))
			return 1;
	}
	return 0;
}

/* Which category a cap in slot `slot` breaches, or -1 if it is allowed. */
static int breach(const struct stask *s, uint64_t slot, const struct cap_info *c)
{
	const struct task_desc *d = s->desc;
	switch (c->type) {
	case OBJ_TCB: return slot == TSLOT_TCB ? -1 : R_MEMORY;
	case OBJ_CNODE: return slot == TSLOT_CNODE ? -1 : R_MEMORY;
	case OBJ_VSPACE: return slot == TSLOT_VSPACE ? -1 : R_MEMORY;
	case OBJ_UNTYPED: case OBJ_FRAME: case OBJ_LARGE_FRAME: case OBJ_PAGE_TABLE: return R_MEMORY;
	case OBJ_IRQ_CONTROL: return R_IRQ;
	case OBJ_IRQ_HANDLER:
		return d && slot >= TSLOT_IRQ0 && slot < TSLOT_IRQ0 + d->nirqs ? -1 : R_IRQ;
	case OBJ_SYSTEM: return R_POWER;
	case OBJ_ENDPOINT: return endpoint_allowed(s, c->paddr, slot) ? -1 : R_ENDPOINT;
	case OBJ_NOTIFICATION:
		if (lent_signal(s, c))
			return -1;
		return d && (d->nirqs || d->timer || d->heartbeat_ms) && c->paddr == paddr_at(s->cnode, TSLOT_NOTIFICATION) ? -1 : R_IRQ;
	case OBJ_TIMER: return d && d->timer && slot == TSLOT_TIMER ? -1 : R_IRQ;
	case OBJ_REPLY: return -1;   /* a caller's right to an answer */
	case OBJ_TRACE: return d && d->trace && slot == TSLOT_TRACE ? -1 : R_TRACE;
	default: return R_MEMORY;
	}
}

/* One line per task: each category "none" (or "ok" where the description
 * grants some), or the slots that breach it. Returns the breaches. */
static unsigned audit_task(const struct stask *s)
{
	char cell[R_COUNT][48];
	unsigned bad = 0;
	const struct task_desc *d = s->desc;
	int granted[R_COUNT] = { 0, d && d->ndevices, d && d->nirqs, 1, 0, d && d->trace };
	for (int k = 0; k < R_COUNT; k++)
		snprintf(cell[k], sizeof cell[k], "%s", granted[k] ? "described" : "none");
	for (uint64_t slot = 0; slot < (1u << TASK_CNODE_BITS); slot++) {
		struct cap_info c;
		if (!info(s->cnode, slot, &c))
			continue;
		int k = breach(s, slot, &c);
		if (k >= 0) {
			size_t n = strlen(cell[k]);
			snprintf(cell[k] + (bad ? n : 0), sizeof cell[k] - (bad ? n : 0), "%sBREACH slot %llu",
				 bad ? "," : "", (unsigned long long)slot);
			bad++;
		}
	}
	printf("audit: %-12s", s->name);
	for (int k = 0; k < R_COUNT; k++)
		printf(" %s=%s", reach_names[k], cell[k]);
	printf("\n");
	return bad;
}

/* Audit every running task; returns the number of breaches. */
uint64_t audit_all(void)
{
	uint64_t bad = 0;
	for (unsigned i = 0; i < nstasks; i++)
		if (stasks[i].state == TASK_RUNNING)
			bad += audit_task(&stasks[i]);
	printf("audit: %llu breaches\n", (unsigned long long)bad);
	fflush(stdout);
	return bad;
}
