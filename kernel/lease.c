/* Leases, after Hubris: a caller lends part of its memory for one Call;
 * the server reads or writes it only through the kernel (SYS_LEASE_COPY),
 * only within the bounds and rights lent, and only until it replies. No
 * mapping changes hands, so nothing is left to revoke afterwards.
 *
 * A thread's lease_rights is set by its Call and read only while the
 * thread waits for that Call's reply: the server finds it through its
 * implicit reply (current->caller) or a saved reply cap. */
#include "kernel.h"

enum { A0 = 10, A1, A2, A3, A4 };

/* What a Call lends: read from the caller's IPC buffer and checked, before
 * anything changes. */
struct lease {
	uint64_t base, len;
	uint8_t rights;
};

static enum err lease_decode(const struct tcb *t, uint64_t info, int call, struct lease *l)
{
	*l = (struct lease){ 0, 0, 0 };
	if (!(info & MSGINFO_LEASE))
		return E_OK;
	if (!call || !t->ipcbuf)
		return E_ILLEGAL_OPERATION;
	uint64_t base = t->ipcbuf->lease_base, len = t->ipcbuf->lease_len, rights = t->ipcbuf->lease_rights;
	if (!rights || (rights & ~(uint64_t)(RIGHT_READ | RIGHT_WRITE)))
		return E_INVALID_ARGUMENT;
	if (!len || len > LEASE_MAX)
		return E_RANGE;
	if (base >= USER_TOP || len > USER_TOP - base)
		return E_BAD_ADDRESS;
	*l = (struct lease){ base, len, (uint8_t)rights };
	return E_OK;
}

/* On every Call: what the caller lends this time (nothing, if the message
 * has no lease). A bad lease changes nothing. */
enum err lease_attach(struct tcb *t, uint64_t info, int call)
{
	struct lease l;
	enum err e = lease_decode(t, info, call, &l);
	if (e)
		return e;
	t->lease_base = l.base;
	t->lease_len = l.len;
	t->lease_rights = l.rights;
	return E_OK;
}

/* A Call's message reaches `to`: tell it the size and rights of the lease
 * (never where it lies), and keep the lease bit in the message info. */
void lease_announce(const struct tcb *from, struct tcb *to, uint64_t *info)
{
	if (!from->lease_rights)
		return;
	*info |= MSGINFO_LEASE;
	if (!to->ipcbuf)
		return;
	to->ipcbuf->lease_base = 0;
	to->ipcbuf->lease_len = from->lease_len;
	to->ipcbuf->lease_rights = from->lease_rights;
}

/* The caller whose lease `t` means to use. */
static enum err lease_holder(struct tcb *t, uint64_t op, struct tcb **out)
{
	struct tcb *c = t->caller;
	if (op & LEASE_VIA_REPLY_CAP) {
		struct cte *slot;
		enum err e = lookup_cap(t->regs[A0], OBJ_REPLY, &slot);
		if (e)
			return e;
		c = (struct tcb *)slot->cap.obj;
	}
	if (!c || c->faulting || !c->lease_rights)
		return E_ILLEGAL_OPERATION;
	*out = c;
	return E_OK;
}

enum err lease_copy(struct tcb *t)
{
	uint64_t op = t->regs[A1], off = t->regs[A2], buf = t->regs[A3], len = t->regs[A4];
	uint64_t dir = op & (LEASE_READ | LEASE_WRITE);
	struct tcb *c;
	if ((op & ~(uint64_t)(LEASE_READ | LEASE_WRITE | LEASE_VIA_REPLY_CAP)) ||
	    (dir != LEASE_READ && dir != LEASE_WRITE))
		return E_INVALID_ARGUMENT;
	enum err e = lease_holder(t, op, &c);
	if (e)
		return e;
	if (!(c->lease_rights & (dir == LEASE_READ ? RIGHT_READ : RIGHT_WRITE)))
		return E_NO_RIGHTS;
	if (len > LEASE_COPY_MAX || off > c->lease_len || len > c->lease_len - off)
		return E_RANGE;
	int bad = dir == LEASE_READ ? vspace_copy(t, buf, c, c->lease_base + off, len)
				    : vspace_copy(c, c->lease_base + off, t, buf, len);
	return bad ? E_BAD_ADDRESS : E_OK;
}
