/* Capability spaces: resolving a cptr to a slot, and the derivation tree.
 *
 * The derivation tree records which capability was made from which: a
 * copy or mint is a child of its source; objects made by retype are
 * children of the untyped cap. Copies of one object always stay next to
 * each other among their siblings, so "is this the last cap to the
 * object?" is answered by looking at the neighbours. */
#include "kernel.h"

/* Look up a cap of the given type (OBJ_NONE: any non-empty) for the
 * current thread. */
enum err lookup_cap(uint64_t cptr, int type, struct cte **out)
{
	enum err e = cspace_lookup(&current->cspace, cptr, out);
	if (e)
		return e;
	if ((*out)->cap.type == OBJ_NONE)
		return E_EMPTY_SLOT;
	if (type != OBJ_NONE && (*out)->cap.type != type)
		return E_INVALID_CAPABILITY;
	return E_OK;
}

/* Slot `index` of the CNode that cnode_cptr names in the CSpace `root`,
 * whatever the slot holds. */
enum err lookup_slot_in(const struct cap *root, uint64_t cnode_cptr, uint64_t index, struct cte **out)
{
	struct cte *cn;
	enum err e = cspace_lookup(root, cnode_cptr, &cn);
	if (e)
		return e;
	if (cn->cap.type != OBJ_CNODE)
		return cn->cap.type == OBJ_NONE ? E_EMPTY_SLOT : E_INVALID_CAPABILITY;
	if (index >= BIT(cn->cap.size_bits))
		return E_RANGE;
	*out = (struct cte *)cn->cap.obj + index;
	return E_OK;
}

enum err lookup_slot(uint64_t cnode_cptr, uint64_t index, struct cte **out)
{
	return lookup_slot_in(&current->cspace, cnode_cptr, index, out);
}

enum err lookup_empty_slot(uint64_t cnode_cptr, uint64_t index, struct cte **out)
{
	enum err e = lookup_slot(cnode_cptr, index, out);
	if (e)
		return e;
	return (*out)->cap.type == OBJ_NONE ? E_OK : E_DELETE_FIRST;
}

int cap_same_object(const struct cap *a, const struct cap *b)
{
	return a->type == b->type && a->obj == b->obj && a->type != OBJ_UNTYPED;
}

/* The cap a copy, mint or IPC transfer of src makes, before any badge:
 * one cap per untyped keeps retype safe, a reply cap is its caller's, and
 * one cap per page table keeps its record of where it is mapped the whole
 * truth (vspace.c). A frame's copy is a mapping of its own, not yet made. */
enum err cap_derive(const struct cap *src, struct cap *out)
{
	if (src->type == OBJ_NONE)
		return E_EMPTY_SLOT;
	if (src->type == OBJ_UNTYPED || src->type == OBJ_REPLY || src->type == OBJ_PAGE_TABLE)
		return E_ILLEGAL_OPERATION;
	*out = *src;
	if (out->type == OBJ_FRAME || out->type == OBJ_LARGE_FRAME)
		out->asid = out->data = 0;
	return E_OK;
}

/* Put cap into the empty slot as the first child of parent (NULL: a root). */
void cte_insert(struct cte *parent, struct cte *slot, const struct cap *cap)
{
	slot->cap = *cap;
	slot->parent = parent;
	slot->child = NULL;
	slot->prev = NULL;
	slot->next = parent ? parent->child : NULL;
	if (slot->next)
		slot->next->prev = slot;
	if (parent)
		parent->child = slot;
}

/* Take a slot out of the tree; its children take its place, in order. */
static void cte_unlink(struct cte *x)
{
	struct cte *first = x->child, *last = x->child;
	if (first) {
		for (struct cte *c = first; c; c = c->next) {
			c->parent = x->parent;
			last = c;
		}
		first->prev = x->prev;
		last->next = x->next;
	} else {
		first = x->next;
		last = x->prev;
	}
	if (x->prev)
		x->prev->next = first;
	else if (x->parent)
		x->parent->child = first;
	if (x->next)
		x->next->prev = last;
	x->parent = x->child = x->next = x->prev = NULL;
}

/* Move a cap to an empty slot, keeping its place in the tree. */
void cte_move(struct cte *from, struct cte *to)
{
	*to = *from;
	if (to->prev)
		to->prev->next = to;
	else if (to->parent)
		to->parent->child = to;
	if (to->next)
		to->next->prev = to;
	for (struct cte *c = to->child; c; c = c->next)
		c->parent = to;
	memset(from, 0, sizeof *from);
}

static int cte_is_final(const struct cte *x)
{
	const struct cap *c = &x->cap;
	return !(x->parent && cap_same_object(&x->parent->cap, c)) &&
	       !(x->prev && cap_same_object(&x->prev->cap, c)) &&
	       !(x->next && cap_same_object(&x->next->cap, c)) &&
	       !(x->child && cap_same_object(&x->child->cap, c));
}

/* The last cap to an object is gone: the object dies. CNodes are emptied
 * by cnode_finalize without recursion. */
static void finalize(struct cap *c)
{
	switch (c->type) {
	case OBJ_TCB: tcb_destroy((struct tcb *)c->obj); break;
	case OBJ_ENDPOINT: ep_finalize((struct endpoint *)c->obj); break;
	case OBJ_NOTIFICATION: ntfn_finalize((struct notification *)c->obj); break;
	case OBJ_CNODE: cnode_finalize(c); break;
	case OBJ_VSPACE: vspace_finalize(c); break;
	case OBJ_FRAME:
	case OBJ_LARGE_FRAME:
		tcb_forget_object(kpa((void *)c->obj), BIT(c->size_bits));
		break;
	case OBJ_TIMER: timer_cancel((struct ktimer *)c->obj); break;
	case OBJ_TRACE: trace_finalize((void *)c->obj); break;
	case OBJ_IRQ_HANDLER: irq_finalize(c->obj); break;
	case OBJ_REPLY: reply_cap_finalize((struct tcb *)c->obj); break;
	default: break;
	}
}

/* Empty the slot; returns whether it held the last cap to its object. */
int cte_remove(struct cte *x)
{
	int final = cte_is_final(x);
	cte_unlink(x);
	memset(&x->cap, 0, sizeof x->cap);
	return final;
}

void cte_delete(struct cte *x)
{
	if (x->cap.type == OBJ_NONE)
		return;
	struct cap c = x->cap;
	int final = cte_remove(x);
	if (c.type == OBJ_FRAME || c.type == OBJ_LARGE_FRAME || c.type == OBJ_PAGE_TABLE)
		vspace_unmap_cap(&c);
	if (final)
		finalize(&c);
}

/* Delete every cap derived from x, leaves first, so no recursion is needed. */
void cte_revoke(struct cte *x)
{
	while (x->child) {
		struct cte *c = x->child;
		while (c->child)
			c = c->child;
		cte_delete(c);
	}
	if (x->cap.type == OBJ_UNTYPED)
		x->cap.data = 0;
}

/* Whether the tree's links around x are broken. */
static int cte_check(const struct cte *x)
{
	if (x->cap.type == OBJ_NONE)
		return x->parent || x->child || x->next || x->prev;
	return (x->next && x->next->prev != x) || (x->prev && x->prev->next != x) ||
	       (x->child && (x->child->parent != x || x->child->prev)) ||
	       (x->parent && !x->prev && x->parent->child != x) || (x->next && x->next->parent != x->parent);
}

/* Every CNode a thread can reach (its CSpace root and the CNodes held in
 * reachable CNodes), each once, breadth first. A CNode no thread can
 * reach (one that holds the only cap to itself) is not visited. */
#define CHECK_MAX_CNODES 1024
static struct { struct cte *slots; uint64_t n; } reach[CHECK_MAX_CNODES];

static int reach_add(int count, const struct cap *c)
{
	if (c->type != OBJ_CNODE)
		return count;
	for (int i = 0; i < count; i++)
		if (reach[i].slots == (struct cte *)c->obj)
			return count;
	if (count == CHECK_MAX_CNODES)
		return -1;
	reach[count].slots = (struct cte *)c->obj;
	reach[count].n = BIT(c->size_bits);
	return count + 1;
}

/* Calls fn on every slot of every reachable CNode; returns how many
 * CNodes, or -1 if there were more than the check can hold. */
int cspace_each_slot(void (*fn)(struct cte *slot, void *arg), void *arg)
{
	int count = 0;
	for (struct tcb *t = tcb_first(); t && count >= 0; t = t->all_next)
		count = reach_add(count, &t->cspace);
	for (int i = 0; i < count; i++)
		for (uint64_t j = 0; j < reach[i].n && count >= 0; j++) {
			fn(&reach[i].slots[j], arg);
			count = reach_add(count, &reach[i].slots[j].cap);
		}
	if (count < 0)
		printk("self-check: more than %d CNodes to check\n", CHECK_MAX_CNODES);
	return count;
}

/* Self-check of the derivation tree around every reachable slot: the
 * links agree both ways, empty slots are out of the tree, and what an
 * untyped made lies in the part of it handed out. */
static void cte_check_one(struct cte *x, void *bad)
{
	*(int *)bad += cte_check(x) + (x->cap.type == OBJ_UNTYPED ? untyped_check(x) : 0);
}

int cspace_check(void)
{
	int bad = 0;
	if (cspace_each_slot(cte_check_one, &bad) < 0)
		bad++;
	if (bad)
		printk("self-check: %d broken links in the derivation tree\n", bad);
	return bad;
}
