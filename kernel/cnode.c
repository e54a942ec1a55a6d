/* CNode invocations (copy, mint, move, mutate, delete, revoke, info) and
 * the emptying of a CNode when its last cap goes.
 *
 * Every invocation decodes first (looks up and checks both slots and all
 * arguments) and only then performs, so a failed call changes nothing. */
#include "kernel.h"

static enum err source_slot(uint64_t cnode_cptr, uint64_t index, struct cte **out)
{
	enum err e = lookup_slot(cnode_cptr, index, out);
	if (e)
		return e;
	return (*out)->cap.type == OBJ_NONE ? E_EMPTY_SLOT : E_OK;
}

static struct cte *own_slot(struct cte *cn, uint64_t index)
{
	return index < BIT(cn->cap.size_bits) ? (struct cte *)cn->cap.obj + index : NULL;
}

/* Decide the badge or guard a derived cap gets; fails if not allowed. */
static enum err derive_data(struct cap *c, uint64_t value, uint64_t guard_bits)
{
	switch (c->type) {
	case OBJ_ENDPOINT:
	case OBJ_NOTIFICATION:
		if (c->data && value && value != c->data)
			return E_ILLEGAL_OPERATION;   /* a badge, once set, stays */
		if (value)
			c->data = value;
		return E_OK;
	case OBJ_CNODE:
		if (guard_bits + c->size_bits > CPTR_BITS || (guard_bits < 64 && value >> guard_bits))
			return E_INVALID_ARGUMENT;
		c->data = value;
		c->guard_bits = (uint8_t)guard_bits;
		return E_OK;
	default:
		return value ? E_INVALID_ARGUMENT : E_OK;
	}
}

static enum err cnode_derive(struct cte *dest, struct cte *src, uint64_t label, uint64_t *mr)
{
	struct cap c;
	enum err e = cap_derive(&src->cap, &c);
	if (e)
		return e;
	c.rights &= (uint8_t)mr[3];
	if (label == CNODE_MINT && (e = derive_data(&c, mr[4], mr[5])))
		return e;
	cte_insert(src, dest, &c);
	return E_OK;
}

static enum err cnode_move_mutate(struct cte *dest, struct cte *src, uint64_t label, uint64_t *mr)
{
	struct cap c = src->cap;
	if (c.type == OBJ_REPLY)
		return E_ILLEGAL_OPERATION;   /* its caller points at this slot */
	if (label == CNODE_MUTATE) {
		enum err e = derive_data(&c, mr[3], mr[4]);
		if (e)
			return e;
	}
	cte_move(src, dest);
	dest->cap = c;
	return E_OK;
}

static uint64_t cap_paddr(const struct cap *c)
{
	switch (c->type) {
	case OBJ_UNTYPED: case OBJ_FRAME: case OBJ_LARGE_FRAME:
	case OBJ_CNODE: case OBJ_TCB: case OBJ_ENDPOINT: case OBJ_NOTIFICATION:
	case OBJ_VSPACE: case OBJ_PAGE_TABLE: case OBJ_TIMER:
		return kpa((void *)c->obj);
	default:
		return c->obj;
	}
}

enum err cnode_invoke(struct cte *cn, uint64_t label, uint64_t *mr, uint64_t *nret)
{
	struct cte *dest = own_slot(cn, mr[0]), *src;
	enum err e;
	if (!dest)
		return E_RANGE;
	switch (label) {
	case CNODE_COPY:
	case CNODE_MINT:
	case CNODE_MOVE:
	case CNODE_MUTATE:
		if (dest->cap.type != OBJ_NONE)
			return E_DELETE_FIRST;
		if ((e = source_slot(mr[1], mr[2], &src)))
			return e;
		if (src == dest)
			return E_DELETE_FIRST;
		if (label == CNODE_COPY || label == CNODE_MINT)
			return cnode_derive(dest, src, label, mr);
		return cnode_move_mutate(dest, src, label, mr);
	case CNODE_SAVE_CALLER:
		if (dest->cap.type != OBJ_NONE)
			return E_DELETE_FIRST;
		return reply_cap_save(dest);
	case CNODE_DELETE:
		cte_delete(dest);
		return E_OK;
	case CNODE_REVOKE:
		cte_revoke(dest);
		return E_OK;
	case CNODE_INFO:
		mr[0] = dest->cap.type;
		mr[1] = dest->cap.size_bits;
		mr[2] = dest->cap.rights;
		mr[3] = dest->cap.data;
		mr[4] = dest->child != NULL;
		mr[5] = dest->cap.type ? cap_paddr(&dest->cap) : 0;
		*nret = 6;
		return E_OK;
	default:
		return E_ILLEGAL_OPERATION;
	}
}

/* Empty a dying CNode. A CNode inside it that dies too is emptied in the
 * same loop: its slot becomes a zombie whose data field remembers the
 * zombie above it, so the kernel stack stays flat however deep the nesting. */
void cnode_finalize(struct cap *top)
{
	struct cte *zombie = NULL;
	struct cte *cur = (struct cte *)top->obj;
	uint64_t n = BIT(top->size_bits), i = 0;
	for (;;) {
		while (i < n && (cur[i].cap.type == OBJ_NONE || cur[i].cap.type == OBJ_ZOMBIE))
			i++;
		if (i < n && cur[i].cap.type == OBJ_CNODE) {
			struct cap c = cur[i].cap;
			if (cte_remove(&cur[i])) {
				cur[i].cap = c;
				cur[i].cap.type = OBJ_ZOMBIE;
				cur[i].cap.data = (uint64_t)zombie;
				zombie = &cur[i];
				cur = (struct cte *)c.obj;
				n = BIT(c.size_bits);
				i = 0;
			}
			continue;
		}
		if (i < n) {
			cte_delete(&cur[i]);   /* frees no slot before i: the scan goes on */
			continue;
		}
		/* cur is empty */
		tcb_forget_object(kpa(cur), n << CTE_SIZE_BITS);
		if (!zombie)
			return;
		struct cte *z = zombie;
		zombie = (struct cte *)z->cap.data;
		memset(&z->cap, 0, sizeof z->cap);
		struct cap *up = zombie ? &zombie->cap : top;
		cur = (struct cte *)up->obj;
		n = BIT(up->size_bits);
		i = 0;
	}
}
