/* The scheduler: 256 priorities, round robin within a level, the highest
 * ready priority found in O(1) from a bitmap. The running thread is not
 * in a ready queue; it goes back to the tail when it yields, its tick
 * ends, or it is preempted. */
#include "kernel.h"

struct tcb *current;
static struct tqueue ready[PRIORITY_COUNT];
static uint64_t bitmap[PRIORITY_COUNT / 64];
static int resched;

static int highest_ready(void)
{
	for (int w = PRIORITY_COUNT / 64 - 1; w >= 0; w--)
		if (bitmap[w])
			return w * 64 + 63 - __builtin_clzll(bitmap[w]);
	return -1;
}

static void enqueue(struct tcb *t)
{
	tq_append(&ready[t->prio], t);
	bitmap[t->prio / 64] |= BIT(t->prio % 64);
	t->in_ready = 1;
}

void sched_dequeue(struct tcb *t)
{
	unsigned p = t->prio;
	if (!t->in_ready)
		return;
	tq_remove(&ready[p], t);
	if (!ready[p].head)
		bitmap[p / 64] &= ~BIT(p % 64);
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
		enqueue(c);
	current = NULL;   /* so that a wake-up while idle queues the thread */
	resched = 0;
	while ((hp = highest_ready()) < 0)
		idle();
	current = ready[hp].head;
	sched_dequeue(current);
}

/* Kernel self-check: ready queues and bitmap agree with thread states. */
int sched_check(void)
{
	int bad = 0;
	for (int p = 0; p < PRIORITY_COUNT; p++) {
		if (((bitmap[p / 64] >> (p % 64)) & 1) != (ready[p].head != NULL)) {
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
