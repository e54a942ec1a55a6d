/* Interrupts (the UART's IRQ 10) and timers. */
#include "harness.h"


TEST(irq_control_get_and_errors)
{
	cptr_t h = new_slot();
	CHECK_OK(INVOKE(SLOT_IRQ_CONTROL, IRQ_CONTROL_GET, 5, SLOT_CNODE, h));
	CHECK_EQ(slot_info(h).type, OBJ_IRQ_HANDLER);
	CHECK_ERR(INVOKE(SLOT_IRQ_CONTROL, IRQ_CONTROL_GET, 5, SLOT_CNODE, new_slot()), E_IN_USE);
	CHECK_ERR(INVOKE(SLOT_IRQ_CONTROL, IRQ_CONTROL_GET, 0, SLOT_CNODE, new_slot()), E_RANGE);
	CHECK_ERR(INVOKE(SLOT_IRQ_CONTROL, IRQ_CONTROL_GET, 1000, SLOT_CNODE, new_slot()), E_RANGE);
	CHECK_ERR(INVOKE(SLOT_IRQ_CONTROL, IRQ_CONTROL_GET, 6, SLOT_CNODE, SLOT_TCB), E_DELETE_FIRST);
	CHECK_ERR(INVOKE(h, IRQ_HANDLER_SET_NOTIFICATION, SLOT_TCB), E_INVALID_CAPABILITY);
	CHECK_OK(cnode_delete(SLOT_CNODE, h));
	/* deleting the handler frees the line */
	CHECK_OK(INVOKE(SLOT_IRQ_CONTROL, IRQ_CONTROL_GET, 5, SLOT_CNODE, new_slot()));
}

TEST(uart_irq_delivered_to_notification)
{
	cptr_t n = make(OBJ_NOTIFICATION, 0), h;
	volatile uint8_t *uart = uart_with_irq(n, &h);
	CHECK_ERR(ntfn_poll(n).err, E_WOULD_BLOCK);
	uart[UART_IER] = 0x02;   /* transmitter-empty interrupt: fires at once */
	struct sysret r = ntfn_wait(n);
	uart[UART_IER] = 0;
	CHECK_OK(r.err);
	CHECK_EQ(r.badge, 1 << UART_IRQ);
	CHECK_OK(INVOKE0(h, IRQ_HANDLER_ACK));
	CHECK_OK(cnode_delete(SLOT_CNODE, h));
}

TEST(irq_handler_clear_unbinds)
{
	cptr_t h = new_slot(), n = make(OBJ_NOTIFICATION, 0);
	CHECK_OK(INVOKE(SLOT_IRQ_CONTROL, IRQ_CONTROL_GET, 7, SLOT_CNODE, h));
	CHECK_OK(INVOKE(h, IRQ_HANDLER_SET_NOTIFICATION, n));
	CHECK_OK(INVOKE0(h, IRQ_HANDLER_CLEAR));
	CHECK_OK(INVOKE0(h, IRQ_HANDLER_ACK));   /* nothing pending: harmless */
	CHECK_ERR(INVOKE0(h, 999), E_ILLEGAL_OPERATION);
	CHECK_ERR(INVOKE0(SLOT_IRQ_CONTROL, IRQ_HANDLER_ACK), E_ILLEGAL_OPERATION);
}

TEST(timer_wakes_in_deadline_order)
{
	cptr_t n = make(OBJ_NOTIFICATION, 0), b[3], t[3];
	uint64_t hz = bi->timebase_hz, now = rdtime();
	static const uint64_t ms[3] = { 30, 10, 20 };
	for (int i = 0; i < 3; i++) {
		b[i] = new_slot();
		CHECK_OK(cnode_mint(SLOT_CNODE, b[i], SLOT_CNODE, n, RIGHTS_ALL, 1 << i));
		t[i] = make(OBJ_TIMER, 0);
		CHECK_OK(INVOKE(t[i], TIMER_SET, b[i], now + ms[i] * hz / 1000));
	}
	uint64_t seen[3];
	for (int i = 0; i < 3; i++) {
		struct sysret r = ntfn_wait(n);
		CHECK_OK(r.err);
		seen[i] = r.badge;
	}
	CHECK_EQ(seen[0], 2);   /* 10 ms */
	CHECK_EQ(seen[1], 4);   /* 20 ms */
	CHECK_EQ(seen[2], 1);   /* 30 ms */
	CHECK(rdtime() - now >= 30 * hz / 1000);
}

TEST(timer_cancel_and_errors)
{
	cptr_t n = make(OBJ_NOTIFICATION, 0), nb = new_slot(), t = make(OBJ_TIMER, 0);
	uint64_t hz = bi->timebase_hz;
	CHECK_OK(cnode_mint(SLOT_CNODE, nb, SLOT_CNODE, n, RIGHTS_ALL, 1));
	CHECK_OK(INVOKE(t, TIMER_SET, nb, rdtime() + hz / 200));
	CHECK_OK(INVOKE0(t, TIMER_CANCEL));
	uint64_t until = rdtime() + hz / 50;
	while (rdtime() < until)
		sys_yield();
	CHECK_ERR(ntfn_poll(n).err, E_WOULD_BLOCK);
	CHECK_ERR(INVOKE(t, TIMER_SET, SLOT_TCB, 0), E_INVALID_CAPABILITY);
	CHECK_ERR(INVOKE0(t, 999), E_ILLEGAL_OPERATION);
	/* a deadline in the past fires at once */
	CHECK_OK(INVOKE(t, TIMER_SET, nb, 0));
	CHECK_EQ(ntfn_wait(n).badge, 1);
}

TEST(deleting_armed_timer_is_safe)
{
	cptr_t n = make(OBJ_NOTIFICATION, 0), t = make(OBJ_TIMER, 0);
	CHECK_OK(INVOKE(t, TIMER_SET, n, rdtime() + bi->timebase_hz / 100));
	CHECK_OK(cnode_delete(SLOT_CNODE, t));
	CHECK_OK(cnode_delete(SLOT_CNODE, n));
	spin_yield(2);
}
