/* The scheduler: 256 priorities, round robin within a level, the highest
 * ready priority found in O(1) from a two-level bitmap. The running
 * thread is not in a ready queue; it goes back to the tail when it
 * yields, its tick ends, or it is preempted. */
#include "kernel.h"

struct tcb *current;
static struct tqueue ready[PRIORITY_COUNT];
static uint64_t bitmap[PRIORITY_COUNT / 64];
static uint64_t words;   /* bit w: bitmap[w] is not 0 */
static int resched;

/* Priority p is bit 255 - p, so the highest ready priority is the lowest
 * set bit: x & -x isolates it and a de Bruijn multiply names it in a few
 * instructions (RV64GC has no count-zeros instruction; __builtin_ctzll
 * would be a libgcc call of some 50). */
static int lowest_bit(uint64_t x)
{
	static const uint8_t index[64] = {
	0, 1, 48, 2, 57, 49, 28, 3, 61, 58, 50, 42, 38, 29, 17, 4,
	62, 55, 59, 36, 53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5,
	63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11,
	46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9, 13, 8, 7, 6,
	};
	return index[((x & -x) * 0x03f79d71b4cb0a89ULL) >> 58];
}

static unsigned slot_of(unsigned prio) { return PRIORITY_COUNT - 1 - prio; }

static int highest_ready(void)
{
	if (!words)
		return -1;
	int w = lowest_bit(words);
	return PRIORITY_COUNT - 1 - (w * 64 + lowest_bit(bitmap[w]));
}

static void enqueue(struct tcb *t)
{
	unsigned s = slot_of(t->prio);
	tq_append(&ready[t->prio], t);
	bitmap[s / 64] |= BIT(s % 64);
	words |= BIT(s / 64);
	t->in_ready = 1;
}

void sched_dequeue(struct tcb *t)
{
	unsigned p = t->prio;
	if (!t->in_ready)
		return;
	unsigned s = slot_of(p);
	tq_remove(&ready[p], t);
	if (!ready[p].head)
		bitmap[s / 64] &= ~BIT(s % 64);
	if (!bitmap[s / 64])
		words &= ~BIT(s / 64);
	t->in_ready = 0;
}

/* A thread with no address space has nowhere to run: it stays inactive. */
void sched_ready(struct tcb *t)
{
	t->state = t->vspace ? TS_RUNNABLE : TS_INACTIVE;
	if (t != current && !t->in_ready && t->vspace)
		enqueue(t);
}

void sched_block(struct tcb *t, int state)
{
	sched_dequeue(t);
	t->state = (uint8_t)state;
}

/* The running thread goes to the back of its queue at the next schedule(): on
 * a yield, and at every tick. */
void sched_rotate(void) { resched = 1; }

/* Nothing to run: wait for an interrupt in the kernel's own address space. */
static void idle(void)
{
	vspace_activate(NULL);
	wfi();
	uint64_t sip = csr_read(sip);
	if (sip & SIP_STIP)
		timer_interrupt();
	if (sip & SIP_SEIP)
		irq_handle();
}

void schedule(void)
{
	struct tcb *c = current;
	int hp = highest_ready();
	int c_ok = c && c->state == TS_RUNNABLE && c->vspace;
	if (c_ok && (hp < c->prio || (hp == c->prio && !resched))) {
		resched = 0;
		return;
	}
	if (c_ok)
		enqueue(c);   /* at hp's level or below: hp stays the highest */
	current = NULL;   /* so that a wake-up while idle queues the thread */
	resched = 0;
	if (hp < 0 && TRACING())
		trace_record(0, TR_SWITCH, TRACE_TID(c));
	while (hp < 0) {
		idle();
		hp = highest_ready();
	}
	current = ready[hp].head;
	sched_dequeue(current);
	if (TRACING() && current != c)
		trace_record(0, TR_SWITCH, TRACE_TID(c) | TRACE_TID(current) << 32);
}

/* Kernel self-check: ready queues and bitmap agree with thread states. */
int sched_check(void)
{
	int bad = 0;
	for (int p = 0; p < PRIORITY_COUNT; p++) {
		unsigned s = slot_of(p);
		if (((bitmap[s / 64] >> (s % 64)) & 1) != (ready[p].head != NULL) ||
		    ((words >> (s / 64)) & 1) != (bitmap[s / 64] != 0)) {
			printk("self-check: ready bitmap wrong at priority %d\n", p);
			bad++;
		}
		for (struct tcb *t = ready[p].head; t; t = t->qnext) {
			if (t->prio != p || t->state != TS_RUNNABLE || !t->in_ready || t == current) {
				printk("self-check: thread '%s' in ready queue %d: prio %d state %d\n",
				       t->name, p, t->prio, t->state);
				bad++;
			}
		}
	}
	return bad;
}
