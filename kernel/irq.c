/* Interrupts: the PLIC, IRQControl and IRQHandler caps.
 *
 * The kernel claims an interrupt and signals the handler's notification,
 * but completes it at the PLIC only when the user acks: until then the
 * line stays quiet, so a driver handles one interrupt at a time. */
#include "kernel.h"

#define PLIC_PRIORITY(irq)  (4 * (irq))
#define PLIC_ENABLE         0x2080      /* S-mode context of hart 0 */
#define PLIC_THRESHOLD      0x201000
#define PLIC_CLAIM          0x201004

enum irq_state { IRQ_FREE, IRQ_CLAIMED };
static struct {
	uint8_t state;
	uint8_t pending;     /* claimed at the PLIC, waiting for the user's ack */
	struct notification *ntfn;
	uint64_t badge;
} irqs[IRQ_COUNT];
static volatile uint32_t *plic;

static volatile uint32_t *plic_reg(uint64_t off) { return (volatile uint32_t *)((uint8_t *)plic + off); }

static void line_enable(uint64_t irq, int on)
{
	volatile uint32_t *en = plic_reg(PLIC_ENABLE + 4 * (irq / 32));
	*plic_reg(PLIC_PRIORITY(irq)) = on ? 1 : 0;
	if (on)
		*en |= 1u << (irq % 32);
	else
		*en &= ~(1u << (irq % 32));
}

static void complete(uint64_t irq)
{
	if (irqs[irq].pending)
		*plic_reg(PLIC_CLAIM) = (uint32_t)irq;
	irqs[irq].pending = 0;
}

void plic_init(uint64_t base)
{
	plic = kva(base);
	for (uint64_t i = 1; i < IRQ_COUNT; i++)
		line_enable(i, 0);
	*plic_reg(PLIC_THRESHOLD) = 0;
	csr_set(sie, SIE_SEIE);
}

void irq_handle(void)
{
	uint32_t irq;
	while ((irq = *plic_reg(PLIC_CLAIM)) != 0) {
		if (TRACING())
			trace_record(0, TR_IRQ | (uint64_t)irq << 32, 0);
		if (irq < IRQ_COUNT && irqs[irq].ntfn) {
			irqs[irq].pending = 1;
			ntfn_signal(irqs[irq].ntfn, irqs[irq].badge);
		} else {
			*plic_reg(PLIC_CLAIM) = irq;   /* nobody listens: complete and mask */
			if (irq < IRQ_COUNT)
				line_enable(irq, 0);
		}
	}
}

void irq_finalize(uint64_t irq)
{
	line_enable(irq, 0);
	complete(irq);
	irqs[irq].ntfn = NULL;
	irqs[irq].state = IRQ_FREE;
}

void irq_forget_ntfn(struct notification *n)
{
	for (uint64_t i = 0; i < IRQ_COUNT; i++)
		if (irqs[i].ntfn == n) {
			line_enable(i, 0);
			irqs[i].ntfn = NULL;
		}
}

static enum err irq_control_get(struct cte *ctl, uint64_t *mr)
{
	uint64_t irq = mr[0];
	struct cte *dest;
	if (irq == 0 || irq >= IRQ_COUNT)
		return E_RANGE;
	enum err e = lookup_empty_slot(mr[1], mr[2], &dest);
	if (e)
		return e;
	if (irqs[irq].state != IRQ_FREE)
		return E_IN_USE;
	irqs[irq].state = IRQ_CLAIMED;
	struct cap c = { .type = OBJ_IRQ_HANDLER, .rights = RIGHTS_ALL, .obj = irq };
	cte_insert(ctl, dest, &c);
	return E_OK;
}

enum err irq_invoke(struct cte *slot, uint64_t label, uint64_t *mr)
{
	uint64_t irq = slot->cap.obj;
	struct cte *n;
	enum err e;
	if (slot->cap.type == OBJ_IRQ_CONTROL)
		return label == IRQ_CONTROL_GET ? irq_control_get(slot, mr) : E_ILLEGAL_OPERATION;
	switch (label) {
	case IRQ_HANDLER_SET_NOTIFICATION:
		if ((e = lookup_cap(mr[0], OBJ_NOTIFICATION, &n)))
			return e;
		if (!(n->cap.rights & RIGHT_WRITE))
			return E_NO_RIGHTS;
		irqs[irq].ntfn = (struct notification *)n->cap.obj;
		irqs[irq].badge = n->cap.data;
		line_enable(irq, 1);
		return E_OK;
	case IRQ_HANDLER_ACK:
		complete(irq);
		if (irqs[irq].ntfn)
			line_enable(irq, 1);
		return E_OK;
	case IRQ_HANDLER_CLEAR:
		line_enable(irq, 0);
		irqs[irq].ntfn = NULL;
		return E_OK;
	default:
		return E_ILLEGAL_OPERATION;
	}
}
