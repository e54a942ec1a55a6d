/* Untyped memory and Retype: the only way kernel objects come to exist.
 *
 * An untyped cap covers 2^size_bits bytes and keeps a watermark of the
 * bytes already handed out (cap.data). Retype carves objects above the
 * watermark, aligned to their size; the new caps are children of the
 * untyped cap, so revoking it destroys them all and resets the watermark. */
#include "kernel.h"

#define RETYPE_MAX_COUNT 256

/* log2 of the size of one object, or 0 if the request is not valid. */
static unsigned object_bits(uint64_t type, uint64_t size_bits)
{
	switch (type) {
	case OBJ_UNTYPED:
		return size_bits >= UNTYPED_MIN_BITS && size_bits <= UNTYPED_MAX_BITS ? size_bits : 0;
	case OBJ_CNODE:
		return size_bits >= 1 && size_bits <= CNODE_MAX_BITS ? size_bits + CTE_SIZE_BITS : 0;
	case OBJ_TCB: return TCB_SIZE_BITS;
	case OBJ_ENDPOINT: return ENDPOINT_SIZE_BITS;
	case OBJ_NOTIFICATION: return NOTIFICATION_SIZE_BITS;
	case OBJ_VSPACE:
	case OBJ_PAGE_TABLE: return PAGE_TABLE_SIZE_BITS;
	case OBJ_FRAME: return FRAME_SIZE_BITS;
	case OBJ_LARGE_FRAME: return LARGE_FRAME_SIZE_BITS;
	case OBJ_TIMER: return TIMER_SIZE_BITS;
	default: return 0;
	}
}

static struct cap make_cap(uint64_t type, uint64_t size_bits, uint64_t addr, int device)
{
	struct cap c = { .type = (uint8_t)type, .rights = RIGHTS_ALL, .obj = addr };
	c.is_device = (uint8_t)device;
	if (type == OBJ_UNTYPED || type == OBJ_CNODE)
		c.size_bits = (uint8_t)size_bits;
	else if (type == OBJ_FRAME || type == OBJ_LARGE_FRAME)
		c.size_bits = (uint8_t)object_bits(type, 0);
	if (type == OBJ_CNODE)
		c.guard_bits = 0;
	return c;
}

/* Zero new memory and set up the object; cannot fail (ASIDs were counted). */
static void init_object(struct cap *c, unsigned bits)
{
	if (!c->is_device && c->type != OBJ_UNTYPED)   /* untyped: zeroed when used */
		memset((void *)c->obj, 0, BIT(bits));
	if (c->type == OBJ_TCB)
		tcb_init((struct tcb *)c->obj);
	if (c->type == OBJ_VSPACE) {
		vspace_init_root((uint64_t *)c->obj);
		asid_alloc((uint64_t *)c->obj, &c->data);
	}
}

enum err untyped_invoke(struct cte *ut, uint64_t label, uint64_t *mr)
{
	uint64_t type = mr[0], size_bits = mr[1], index = mr[3], count = mr[4];
	if (label != UNTYPED_RETYPE)
		return E_ILLEGAL_OPERATION;
	unsigned bits = object_bits(type, size_bits);
	if (!bits)
		return E_INVALID_ARGUMENT;
	if (ut->cap.is_device && type != OBJ_FRAME && type != OBJ_LARGE_FRAME && type != OBJ_UNTYPED)
		return E_INVALID_ARGUMENT;   /* kernel objects never live in device memory */
	if (count < 1 || count > RETYPE_MAX_COUNT)
		return E_RANGE;
	struct cte *cn, *dest;
	enum err e = lookup_cap(mr[2], OBJ_CNODE, &cn);
	if (e)
		return e;
	if (index >= BIT(cn->cap.size_bits) || count > BIT(cn->cap.size_bits) - index)
		return E_RANGE;
	dest = (struct cte *)cn->cap.obj + index;
	for (uint64_t i = 0; i < count; i++)
		if (dest[i].cap.type != OBJ_NONE)
			return E_DELETE_FIRST;
	uint64_t used = ut->child ? ut->cap.data : 0;
	uint64_t start = (used + BIT(bits) - 1) & ~MASK(bits);
	if (bits > ut->cap.size_bits || start + (count << bits) > BIT(ut->cap.size_bits))
		return E_NOT_ENOUGH_MEMORY;
	if (type == OBJ_VSPACE && (e = asid_available(count)))
		return e;

	for (uint64_t i = 0; i < count; i++) {
		struct cap c = make_cap(type, size_bits, ut->cap.obj + start + (i << bits), ut->cap.is_device);
		init_object(&c, bits);
		cte_insert(ut, &dest[i], &c);
	}
	ut->cap.data = start + (count << bits);
	return E_OK;
}
