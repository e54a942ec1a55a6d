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
	case OBJ_TRACE: return TRACE_SIZE_BITS;
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

/* Zero new memory and set up the object; cannot fail (decode counted the
 * ASIDs a VSpace needs). */
static void init_object(struct cap *c, unsigned bits)
{
	if (!c->is_device && c->type != OBJ_UNTYPED)   /* untyped: zeroed when used */
		memset((void *)c->obj, 0, BIT(bits));
	if (c->type == OBJ_TCB)
		tcb_init((struct tcb *)c->obj);
	if (c->type == OBJ_VSPACE) {
		vspace_init_root((uint64_t *)c->obj);
		c->data = asid_take((uint64_t *)c->obj);
	}
}

/* A Retype, decoded: mr0 type, mr1 size, mr2 dest CNode, mr3 index, mr4 count. */
struct retype {
	uint64_t type, size_bits, count, start;
	unsigned bits;
	struct cte *dest;
};

static enum err retype_decode(const struct cte *ut, const uint64_t *mr, struct retype *r)
{
	struct cte *cn;
	enum err e;
	r->type = mr[0], r->size_bits = mr[1], r->count = mr[4];
	uint64_t index = mr[3];
	if (!(r->bits = object_bits(r->type, r->size_bits)))
		return E_INVALID_ARGUMENT;
	if (ut->cap.is_device && r->type != OBJ_FRAME && r->type != OBJ_LARGE_FRAME && r->type != OBJ_UNTYPED)
		return E_INVALID_ARGUMENT;   /* kernel objects never live in device memory */
	if (r->count < 1 || r->count > RETYPE_MAX_COUNT)
		return E_RANGE;
	if ((e = lookup_cap(mr[2], OBJ_CNODE, &cn)))
		return e;
	if (index >= BIT(cn->cap.size_bits) || r->count > BIT(cn->cap.size_bits) - index)
		return E_RANGE;
	r->dest = (struct cte *)cn->cap.obj + index;
	for (uint64_t i = 0; i < r->count; i++)
		if (r->dest[i].cap.type != OBJ_NONE)
			return E_DELETE_FIRST;
	uint64_t used = ut->child ? ut->cap.data : 0;
	r->start = (used + BIT(r->bits) - 1) & ~MASK(r->bits);
	if (r->bits > ut->cap.size_bits || r->start + (r->count << r->bits) > BIT(ut->cap.size_bits))
		return E_NOT_ENOUGH_MEMORY;
	if (r->type == OBJ_VSPACE && (e = asid_available(r->count)))
		return e;
	return E_OK;
}

static void retype_perform(struct cte *ut, const struct retype *r)
{
	for (uint64_t i = 0; i < r->count; i++) {
		struct cap c = make_cap(r->type, r->size_bits, ut->cap.obj + r->start + (i << r->bits),
					ut->cap.is_device);
		init_object(&c, r->bits);
		cte_insert(ut, &r->dest[i], &c);
	}
	ut->cap.data = r->start + (r->count << r->bits);
}

enum err untyped_invoke(struct cte *ut, uint64_t label, uint64_t *mr)
{
	struct retype r;
	if (label != UNTYPED_RETYPE)
		return E_ILLEGAL_OPERATION;
	enum err e = retype_decode(ut, mr, &r);
	if (e)
		return e;
	retype_perform(ut, &r);
	return E_OK;
}

/* Self-check: every object made from this untyped lies inside it, below
 * its watermark, and apart from the others, so nothing retyped later can
 * overlap a live object. Retype allocates upwards and puts each new cap
 * first among the untyped's children, and a dying cap's copies (same
 * object) take its place: so along the children, objects go down in
 * memory, each ending at or below the one before it starts. object_bits
 * gives each object's size from its cap's type and size_bits. */
int untyped_check(const struct cte *ut)
{
	uint64_t base = ut->cap.obj, used = ut->cap.data, below = base + used;
	const struct cap *last = NULL;
	for (const struct cte *c = ut->child; c; c = c->next) {
		uint64_t at = c->cap.obj, n = BIT(object_bits(c->cap.type, c->cap.size_bits));
		if (last && cap_same_object(last, &c->cap))
			continue;
		if (at < base || at + n > below || used > BIT(ut->cap.size_bits)) {
			printk("self-check: object at %lx (type %d) lies beyond the watermark of untyped %lx"
			       " or overlaps another of its objects\n", kpa((void *)at), c->cap.type, kpa((void *)base));
			return 1;
		}
		below = at;
		last = &c->cap;
	}
	return 0;
}
