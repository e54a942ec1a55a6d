/* Boot: build the root task and hand it everything.
 *
 * The kernel keeps its own image and static state. The root task's
 * objects (CNode, TCB, VSpace, page tables, frames) are carved from the
 * RAM just above the kernel; all RAM left after that becomes untyped
 * caps, every MMIO region device untyped. The root task learns what it
 * holds from the boot-info page. */
#include "kernel.h"
#include "../include/elf64.h"

extern char _kernel_end[], _bootimage_start[], _bootimage_end[];

#define PTE_V 0x01
#define PTE_U 0x10
#define PTE_AD 0xC0

static uint64_t boot_free;     /* physical bump pointer */
static struct cte *root_cnode;
static uint64_t next_slot = SLOT_FIRST_FREE_FIXED;
static uint64_t *root_vspace;
static uint64_t root_asid;
static struct bootinfo *bi;

static uint64_t balloc(unsigned bits)
{
	uint64_t pa = (boot_free + BIT(bits) - 1) & ~MASK(bits);
	boot_free = pa + BIT(bits);
	memset(kva(pa), 0, BIT(bits));
	return pa;
}

static struct cte *new_slot(void)
{
	if (next_slot >= BIT(ROOT_CNODE_BITS))
		panic("root CNode full", __FILE__, __LINE__);
	return &root_cnode[next_slot++];
}

static void put_cap(struct cte *slot, struct cap c) { cte_insert(NULL, slot, &c); }

/* The level-0 PTE for va, making page tables (with caps) as needed. */
static uint64_t *boot_pte(uint64_t va)
{
	uint64_t *table = root_vspace;
	for (int level = 2; level > 0; level--) {
		uint64_t *pte = &table[(va >> (12 + 9 * level)) & 511];
		if (!(*pte & PTE_V)) {
			uint64_t pa = balloc(12);
			*pte = (pa >> 2) | PTE_V;
			put_cap(new_slot(), (struct cap){ .type = OBJ_PAGE_TABLE, .rights = RIGHTS_ALL,
				.size_bits = (uint8_t)level, .obj = (uint64_t)kva(pa),
				.data = va & ~MASK(12 + 9 * level), .asid = root_asid });
		}
		table = kva((*pte >> 10) << 12);
	}
	return &table[(va >> 12) & 511];
}

/* Map one page for the root task and give it a frame cap for it. */
static void boot_map(uint64_t va, uint64_t pa, unsigned rights)
{
	uint64_t *pte = boot_pte(va);
	uint64_t flags = PTE_V | PTE_U | PTE_AD;
	if (rights & RIGHT_READ)
		flags |= 0x2;
	if (rights & RIGHT_WRITE)
		flags |= 0x4;
	if (rights & RIGHT_EXEC)
		flags |= 0x8;
	*pte = (pa >> 2) | flags;
	put_cap(new_slot(), (struct cap){ .type = OBJ_FRAME, .rights = (uint8_t)rights,
		.size_bits = FRAME_SIZE_BITS, .obj = (uint64_t)kva(pa), .data = va, .asid = root_asid });
}

static void map_range(uint64_t va, uint64_t pa, uint64_t size, unsigned rights, struct slot_range *r)
{
	r->start = next_slot;
	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		boot_map(va + off, pa + off, rights);
	r->end = next_slot;
}

/* ELF64 loading of the root task (first program of the boot image): it
 * is ours, built with the kernel, so it is trusted as it is. */
static uint64_t load_root_elf(const uint8_t *elf)
{
	const struct elf_header *h = (const void *)elf;
	if (h->ident[0] != 0x7f || h->ident[1] != 'E' || h->machine != ELF_MACHINE_RISCV)
		panic("root task is not a RISC-V ELF", __FILE__, __LINE__);
	bi->image_frames.start = next_slot;
	for (int i = 0; i < h->phnum; i++) {
		const struct elf_phdr *ph = (const void *)(elf + h->phoff + i * h->phentsize);
		if (ph->type != PT_LOAD)
			continue;
		unsigned rights = (ph->flags & PF_R ? RIGHT_READ : 0) | (ph->flags & PF_W ? RIGHT_WRITE | RIGHT_READ : 0) |
		                  (ph->flags & PF_X ? RIGHT_EXEC : 0);
		for (uint64_t va = ph->vaddr & ~MASK(12); va < ph->vaddr + ph->memsz; va += PAGE_SIZE) {
			uint64_t pa = balloc(12);
			uint64_t from = va > ph->vaddr ? va : ph->vaddr;   /* file bytes in this page */
			uint64_t to = ph->vaddr + ph->filesz < va + PAGE_SIZE ? ph->vaddr + ph->filesz : va + PAGE_SIZE;
			if (from < to)
				memcpy((uint8_t *)kva(pa) + (from - va), elf + ph->offset + (from - ph->vaddr), to - from);
			boot_map(va, pa, rights);
		}
	}
	bi->image_frames.end = next_slot;
	return h->entry;
}

/* Hand [base, end) out as untyped caps of aligned power-of-two sizes. */
static void make_untyped(uint64_t base, uint64_t end, int device)
{
	while (base < end) {
		unsigned bits = base ? (unsigned)__builtin_ctzll(base) : 63;
		while (bits > UNTYPED_MAX_BITS || base + BIT(bits) > end)
			bits--;
		if (bits < 12 || bi->untyped.end - bi->untyped.start >= BI_MAX_UNTYPED)
			return;
		bi->untyped_list[bi->untyped.end - bi->untyped.start] =
			(struct untyped_desc){ .paddr = base, .size_bits = (uint8_t)bits, .is_device = (uint8_t)device };
		put_cap(new_slot(), (struct cap){ .type = OBJ_UNTYPED, .rights = RIGHTS_ALL,
			.size_bits = (uint8_t)bits, .is_device = (uint8_t)device, .obj = (uint64_t)kva(base) });
		bi->untyped.end++;
		base += BIT(bits);
	}
}

static struct tcb *make_root_objects(void)
{
	root_cnode = kva(balloc(ROOT_CNODE_BITS + CTE_SIZE_BITS));
	struct tcb *t = kva(balloc(TCB_SIZE_BITS));
	root_vspace = kva(balloc(PAGE_TABLE_SIZE_BITS));
	vspace_init_root(root_vspace);
	root_asid = asid_take(root_vspace);
	tcb_init(t);
	struct cap cn = { .type = OBJ_CNODE, .rights = RIGHTS_ALL, .size_bits = ROOT_CNODE_BITS,
		.guard_bits = CPTR_BITS - ROOT_CNODE_BITS, .obj = (uint64_t)root_cnode };
	put_cap(&root_cnode[SLOT_TCB], (struct cap){ .type = OBJ_TCB, .rights = RIGHTS_ALL, .obj = (uint64_t)t });
	put_cap(&root_cnode[SLOT_CNODE], cn);
	put_cap(&root_cnode[SLOT_VSPACE], (struct cap){ .type = OBJ_VSPACE, .rights = RIGHTS_ALL,
		.obj = (uint64_t)root_vspace, .data = root_asid });
	put_cap(&root_cnode[SLOT_IRQ_CONTROL], (struct cap){ .type = OBJ_IRQ_CONTROL, .rights = RIGHTS_ALL });
	put_cap(&root_cnode[SLOT_SYSTEM], (struct cap){ .type = OBJ_SYSTEM, .rights = RIGHTS_ALL });
	t->cspace = cn;
	t->vspace = root_vspace;
	t->satp = satp_of(root_vspace, root_asid);
	return t;
}

/* A fixed slot gets the frame cap boot_map just made at the end. */
static void move_last_cap_to(uint64_t slot)
{
	next_slot--;
	cte_move(&root_cnode[next_slot], &root_cnode[slot]);
}

void boot_root_task(uint64_t dtb_pa, struct platform *p)
{
	boot_free = kpa(_kernel_end);
	struct tcb *t = make_root_objects();

	uint64_t bi_pa = balloc(12), buf_pa = balloc(12);
	bi = kva(bi_pa);
	bi->magic = BOOTINFO_MAGIC;
	bi->timebase_hz = p->timebase_hz;
	boot_map(BOOTINFO_VADDR, bi_pa, RIGHT_READ);
	move_last_cap_to(SLOT_BOOTINFO);
	boot_map(ROOT_IPCBUF_VADDR, buf_pa, RIGHT_READ | RIGHT_WRITE);
	move_last_cap_to(SLOT_IPC_BUFFER);

	const struct bootimage_header *img = (const void *)_bootimage_start;
	if (img->magic != BOOTIMAGE_MAGIC || img->count < 1)
		panic("no boot image", __FILE__, __LINE__);
	uint64_t entry = load_root_elf((const uint8_t *)img + img->entry[0].offset);
	struct slot_range stack;
	for (uint64_t i = 0; i < ROOT_STACK_PAGES; i++)
		boot_map(ROOT_STACK_TOP - (i + 1) * PAGE_SIZE, balloc(12), RIGHT_READ | RIGHT_WRITE);
	stack.end = next_slot;
	bi->image_frames.end = stack.end;   /* the stack pages count as its own pages */

	uint64_t img_size = (uint64_t)(_bootimage_end - _bootimage_start);
	map_range(ROOT_BOOTIMAGE_VADDR, kpa(_bootimage_start), (img_size + PAGE_SIZE - 1) & ~MASK(12),
		  RIGHT_READ, &bi->bootimage_frames);
	bi->bootimage_vaddr = ROOT_BOOTIMAGE_VADDR;
	bi->bootimage_size = img_size;
	uint64_t dtb_lo = dtb_pa & ~MASK(12), dtb_hi = (dtb_pa + p->dtb_size + PAGE_SIZE - 1) & ~MASK(12);
	map_range(ROOT_DTB_VADDR, dtb_lo, dtb_hi - dtb_lo, RIGHT_READ, &bi->dtb_frames);
	bi->dtb_vaddr = ROOT_DTB_VADDR + (dtb_pa - dtb_lo);
	bi->dtb_size = p->dtb_size;

	ram_start = p->ram_base;
	ram_end = p->ram_base + p->ram_size;
	bi->untyped.start = bi->untyped.end = next_slot;
	/* untyped slots are reserved now, filled in order */
	if (dtb_lo >= boot_free && dtb_hi <= ram_end) {
		make_untyped(boot_free, dtb_lo, 0);
		make_untyped(dtb_hi, ram_end, 0);
	} else {
		make_untyped(boot_free, ram_end, 0);
	}
	for (int i = 0; i < p->ndev; i++) {
		uint64_t b = p->dev[i].base & ~MASK(12);
		make_untyped(b, (p->dev[i].base + p->dev[i].size + PAGE_SIZE - 1) & ~MASK(12), 1);
	}
	bi->empty = (struct slot_range){ next_slot, BIT(ROOT_CNODE_BITS) };

	t->regs[0] = entry;
	t->regs[2] = ROOT_STACK_TOP;
	t->regs[10] = BOOTINFO_VADDR;
	t->regs[11] = ROOT_IPCBUF_VADDR;
	t->prio = t->mcp = PRIORITY_COUNT - 1;
	t->ipcbuf = kva(buf_pa);
	t->ipcbuf_vaddr = ROOT_IPCBUF_VADDR;
	memcpy(t->name, "root", 5);
	sched_ready(t);
}
