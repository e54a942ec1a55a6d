/* Sv39 address spaces: VSpace (root table) and PageTable objects, frames,
 * mapping and unmapping, ASIDs, and reading user memory safely.
 *
 * Every VSpace shares the kernel window (root entries 256..511) with
 * kernel_root. A frame or page-table cap records where it is mapped
 * (cap.data = vaddr, cap.asid); the ASID table says whether that address
 * space still exists, and the entry itself whether the record still holds
 * (the ASID may belong to a new VSpace by now). */
#include "kernel.h"

#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_U 0x10
#define PTE_A 0x40
#define PTE_D 0x80
#define PTE_LEAF (PTE_R | PTE_W | PTE_X)
#define KERNEL_FIRST_ENTRY 256

static uint64_t *asid_table[ASID_COUNT];
static uint64_t asid_free = ASID_COUNT - 1;   /* ASID 0 is the kernel's */
uint64_t *active_root = kernel_root;   /* whose satp is loaded */
uint64_t ram_start, ram_end;           /* set at boot */

static uint64_t pte_pa(uint64_t pte) { return (pte >> 10) << 12; }
static uint64_t *pte_table(uint64_t pte) { return kva(pte_pa(pte)); }
static int pte_is_table(uint64_t pte) { return (pte & PTE_V) && !(pte & PTE_LEAF); }
static unsigned va_index(uint64_t va, int level) { return (va >> (12 + 9 * level)) & 511; }

void vspace_init_root(uint64_t *root)
{
	for (int i = KERNEL_FIRST_ENTRY; i < 512; i++)
		root[i] = kernel_root[i];
}

enum err asid_available(uint64_t count)
{
	return count <= asid_free ? E_OK : E_NOT_ENOUGH_MEMORY;
}

/* A free ASID for root. Only after asid_available said there is one:
 * running out here is a kernel bug, not a user's error. */
uint64_t asid_take(uint64_t *root)
{
	for (uint64_t a = 1; a < ASID_COUNT; a++) {
		if (!asid_table[a]) {
			asid_table[a] = root;
			asid_free--;
			return a;
		}
	}
	panic("no free ASID after asid_available", __FILE__, __LINE__);
}

/* The PTE for va at `level` (2 = in the root), or NULL if a table above
 * it is missing. */
uint64_t *vspace_walk(uint64_t *root, uint64_t va, int level)
{
	uint64_t *table = root;
	for (int l = 2; l > level; l--) {
		uint64_t pte = table[va_index(va, l)];
		if (!pte_is_table(pte))
			return NULL;
		table = pte_table(pte);
	}
	return &table[va_index(va, level)];
}

void vspace_finalize(struct cap *c)
{
	uint64_t *root = (uint64_t *)c->obj;
	if (active_root == root)
		activate_root(kernel_root, satp_of(kernel_root, 0));
	asid_table[c->data] = NULL;
	asid_free++;
	sfence_vma(0, c->data);
	tcb_forget_object(kpa(root), PAGE_SIZE);
}

/* The entry a frame or page-table cap records, if the record still holds:
 * its ASID names a live VSpace and the entry there leads to its object. */
static uint64_t *recorded_pte(const struct cap *c)
{
	int is_pt = c->type == OBJ_PAGE_TABLE;
	if (!c->asid || !asid_table[c->asid])
		return NULL;
	int level = is_pt ? c->size_bits : (c->type == OBJ_LARGE_FRAME ? 1 : 0);
	uint64_t *pte = vspace_walk(asid_table[c->asid], c->data, level);
	if (pte && (*pte & PTE_V) && pte_pa(*pte) == kpa((void *)c->obj) && pte_is_table(*pte) == is_pt)
		return pte;
	return NULL;
}

/* Remove the mapping a frame or page-table cap records, if it still holds.
 * A page table the cap records as mapped is cleared whatever became of its
 * VSpace: after a VSpace is deleted its tables keep their entries, and a
 * table mapped again must not bring back paths to frames that may have
 * died since. So an unmapped table is always empty (the self-check says so),
 * and each table has one cap (cap_derive refuses copies) that says so. */
void vspace_unmap_cap(struct cap *c)
{
	uint64_t *pte = recorded_pte(c);
	if (pte) {
		*pte = 0;
		sfence_vma(0, c->asid);
	}
	if (c->type == OBJ_PAGE_TABLE && c->asid)
		memset((void *)c->obj, 0, PAGE_SIZE);
	c->asid = 0;
	c->data = 0;
}

static enum err lookup_vspace(uint64_t cptr, struct cap **vs)
{
	struct cte *slot;
	enum err e = lookup_cap(cptr, OBJ_VSPACE, &slot);
	*vs = &slot->cap;
	return e;
}

/* A map, decoded: the entry to write and what goes in it, and what the
 * cap will record. */
struct mapping {
	uint64_t *pte, value, asid, va;
	int level;
};

/* Write the entry and record it in the cap; cannot fail. */
static void map_perform(struct cap *c, const struct mapping *m)
{
	*m->pte = m->value;
	if (c->type == OBJ_PAGE_TABLE)
		c->size_bits = (uint8_t)m->level;
	c->asid = m->asid;
	c->data = m->va;
	sfence_vma(m->va, m->asid);
}

/* A page table goes at the first level that has no table yet. */
static enum err pt_map_decode(const struct cap *pt, const uint64_t *mr, struct mapping *m)
{
	struct cap *vs;
	uint64_t va = mr[1];
	enum err e = lookup_vspace(mr[0], &vs);
	if (e)
		return e;
	if (pt->asid)
		return E_IN_USE;
	if (va >= USER_TOP)
		return E_RANGE;
	uint64_t *root = (uint64_t *)vs->obj, *pte = &root[va_index(va, 2)];
	int level = 2;
	if (pte_is_table(*pte)) {
		pte = &pte_table(*pte)[va_index(va, 1)];
		level = 1;
	}
	if (*pte & PTE_V)
		return E_DELETE_FIRST;
	*m = (struct mapping){ pte, (kpa((void *)pt->obj) >> 2) | PTE_V, vs->data, va & ~MASK(12 + 9 * level),
			       level };
	return E_OK;
}

static enum err frame_map_decode(const struct cap *f, const uint64_t *mr, struct mapping *m)
{
	struct cap *vs;
	uint64_t va = mr[1], rights = mr[2] & f->rights;
	int level = f->type == OBJ_LARGE_FRAME ? 1 : 0;
	enum err e = lookup_vspace(mr[0], &vs);
	if (e)
		return e;
	if (f->asid)
		return E_IN_USE;
	if (va & MASK(f->size_bits))
		return E_ALIGNMENT;
	if (va >= USER_TOP)
		return E_RANGE;
	if (!(rights & (RIGHT_READ | RIGHT_EXEC)) || (mr[2] & ~f->rights & (RIGHT_READ | RIGHT_WRITE | RIGHT_EXEC)))
		return E_NO_RIGHTS;
	uint64_t *pte = vspace_walk((uint64_t *)vs->obj, va, level);
	if (!pte)
		return E_NO_MAPPING;
	if (*pte & PTE_V)
		return E_DELETE_FIRST;
	uint64_t flags = PTE_V | PTE_U | PTE_A | PTE_D;
	if (rights & RIGHT_READ)
		flags |= PTE_R;
	if ((rights & RIGHT_WRITE) && (rights & RIGHT_READ))
		flags |= PTE_W;
	if (rights & RIGHT_EXEC)
		flags |= PTE_X;
	*m = (struct mapping){ pte, (kpa((void *)f->obj) >> 2) | flags, vs->data, va, level };
	return E_OK;
}

static enum err map(struct cap *c, const uint64_t *mr)
{
	struct mapping m;
	enum err e = c->type == OBJ_PAGE_TABLE ? pt_map_decode(c, mr, &m) : frame_map_decode(c, mr, &m);
	if (e)
		return e;
	map_perform(c, &m);
	return E_OK;
}

enum err vspace_invoke(struct cte *slot, uint64_t label, uint64_t *mr, uint64_t *nret)
{
	struct cap *c = &slot->cap;
	int is_pt = c->type == OBJ_PAGE_TABLE, is_frame = !is_pt && c->type != OBJ_VSPACE;
	switch (label) {
	case PAGE_TABLE_MAP:
		return is_pt ? map(c, mr) : E_ILLEGAL_OPERATION;
	case FRAME_MAP:
		return is_frame ? map(c, mr) : E_ILLEGAL_OPERATION;
	case PAGE_TABLE_UNMAP:
	case FRAME_UNMAP:
		if (is_pt != (label == PAGE_TABLE_UNMAP) || c->type == OBJ_VSPACE)
			return E_ILLEGAL_OPERATION;
		vspace_unmap_cap(c);
		return E_OK;
	case FRAME_GET_ADDRESS:
		if (!is_frame)
			return E_ILLEGAL_OPERATION;
		mr[0] = kpa((void *)c->obj);
		*nret = 1;
		return E_OK;
	default:
		return E_ILLEGAL_OPERATION;
	}
}

/* Where user address va of t lies in the kernel window, if it is mapped
 * user-accessible with the PTE bits `need` and is RAM; *room: bytes to
 * the end of its page. Device memory is never copied: a device page may
 * be mostly holes, where the kernel's own access would fault, and reads
 * of device registers have effects. */
static uint8_t *user_ptr(struct tcb *t, uint64_t va, uint64_t need, uint64_t *room)
{
	uint64_t *table = t->vspace, pte = 0;
	int level;
	if (!table || va >= USER_TOP)
		return NULL;
	for (level = 2; level >= 0; level--) {
		pte = table[va_index(va, level)];
		if (!(pte & PTE_V) || (pte & PTE_LEAF))
			break;
		table = pte_table(pte);
	}
	need |= PTE_V | PTE_U;
	if (level < 0 || (pte & need) != need)
		return NULL;
	uint64_t page = BIT(12 + 9 * level), off = va & (page - 1);
	if (pte_pa(pte) < ram_start || pte_pa(pte) + page > ram_end)
		return NULL;
	*room = page - off;
	return (uint8_t *)kva(pte_pa(pte)) + off;
}

static int user_range_ok(struct tcb *t, uint64_t va, uint64_t len, uint64_t need)
{
	uint64_t room;
	if (va >= USER_TOP || len > USER_TOP - va)
		return 0;
	for (; len; va += room, len -= room < len ? room : len)
		if (!user_ptr(t, va, need, &room))
			return 0;
	return 1;
}

int vspace_user_readable(struct tcb *t, uint64_t va, uint64_t len)
{
	return user_range_ok(t, va, len, PTE_R);
}

/* Copy from a thread's user memory through the kernel window, checking
 * every page is mapped, user-accessible and readable. */
int vspace_copy_from_user(struct tcb *t, void *dst, uint64_t src, uint64_t len)
{
	uint8_t *d = dst;
	if (!user_range_ok(t, src, len, PTE_R))
		return -1;
	while (len) {
		uint64_t room, n;
		uint8_t *s = user_ptr(t, src, PTE_R, &room);
		n = room < len ? room : len;
		memcpy(d, s, n);
		d += n, src += n, len -= n;
	}
	return 0;
}

/* Copy between two threads' user memory (a lease). Both ranges are checked
 * whole first, so a bad page copies nothing. */
int vspace_copy(struct tcb *dt, uint64_t dst, struct tcb *st, uint64_t src, uint64_t len)
{
	if (!user_range_ok(st, src, len, PTE_R) || !user_range_ok(dt, dst, len, PTE_W))
		return -1;
	while (len) {
		uint64_t sroom, droom;
		uint8_t *s = user_ptr(st, src, PTE_R, &sroom), *d = user_ptr(dt, dst, PTE_W, &droom);
		uint64_t n = sroom < droom ? sroom : droom;
		n = n < len ? n : len;
		memcpy(d, s, n);
		src += n, dst += n, len -= n;
	}
	return 0;
}

/* The mapping invariant (SYSTEM_SELF_CHECK): every valid entry in the
 * user half of a live VSpace leads to a frame or page table whose cap
 * records exactly that mapping, and a page table no cap records as mapped
 * is empty. Pass one marks, with a PTE bit the hardware leaves to
 * software, each entry a cap accounts for; pass two walks every live
 * VSpace, clears the marks and counts the entries nobody marked. */
#define PTE_CHECKED 0x100

static void mark_recorded(struct cte *slot, void *bad)
{
	struct cap *c = &slot->cap;
	if (c->type != OBJ_PAGE_TABLE && c->type != OBJ_FRAME && c->type != OBJ_LARGE_FRAME)
		return;
	if (c->type == OBJ_PAGE_TABLE && !c->asid) {
		for (int i = 0; i < 512; i++)
			if (((uint64_t *)c->obj)[i]) {
				printk("self-check: unmapped page table %lx holds entries\n", kpa((void *)c->obj));
				++*(int *)bad;
				return;
			}
		return;
	}
	uint64_t *pte = recorded_pte(c);
	if (pte)
		*pte |= PTE_CHECKED;
}

static int check_table(uint64_t *table, int level, uint64_t va, uint64_t asid)
{
	int bad = 0;
	for (unsigned i = 0; i < (level == 2 ? KERNEL_FIRST_ENTRY : 512); i++) {
		uint64_t pte = table[i], at = va + ((uint64_t)i << (12 + 9 * level));
		if (!(pte & PTE_V))
			continue;
		table[i] &= ~PTE_CHECKED;
		if (!(pte & PTE_CHECKED)) {
			printk("self-check: ASID %lu maps %lx (level %d) to %lx, and no cap records it\n",
			       asid, at, level, pte_pa(pte));
			bad++;
		}
		if (pte_is_table(pte) && level > 0)
			bad += check_table(pte_table(pte), level - 1, at, asid);
	}
	return bad;
}

int vspace_check(void)
{
	int bad = 0;
	if (cspace_each_slot(mark_recorded, &bad) < 0)
		bad++;
	for (uint64_t a = 1; a < ASID_COUNT; a++) {
		if (!asid_table[a])
			continue;
		bad += check_table(asid_table[a], 2, 0, a);
		for (int i = KERNEL_FIRST_ENTRY; i < 512; i++)
			if (asid_table[a][i] != kernel_root[i]) {
				printk("self-check: ASID %lu has its own kernel-half entry %d\n", a, i);
				bad++;
			}
	}
	return bad;
}
