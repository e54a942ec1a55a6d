/* Loading a program from the boot image into a task's address space.
 * Every value in the ELF header is checked before use. */
#include "mm.h"
#include "../../include/elf64.h"

const uint8_t *bootimage_find(const char *name, uint64_t *size)
{
	const struct bootimage_header *h = (const void *)bi->bootimage_vaddr;
	for (uint64_t i = 0; i < h->count; i++) {
		if (strncmp(h->entry[i].name, name, 16) == 0 && h->entry[i].name[strnlen(name, 16)] == 0) {
			*size = h->entry[i].size;
			return (const uint8_t *)h + h->entry[i].offset;
		}
	}
	return NULL;
}

static unsigned rights_of(uint32_t flags)
{
	return (flags & PF_R ? RIGHT_READ : 0) | (flags & PF_W ? RIGHT_READ | RIGHT_WRITE : 0) |
	       (flags & PF_X ? RIGHT_EXEC | RIGHT_READ : 0);
}

static enum err load_segment(struct mtask *t, const uint8_t *elf, const struct elf_phdr *ph)
{
	for (uint64_t va = ph->vaddr & ~(PAGE - 1); va < ph->vaddr + ph->memsz; va += PAGE) {
		cptr_t frame;
		enum err e = task_new_frame(t, &frame);
		if (e)
			return e;
		uint8_t *dst = scratch_map(frame);   /* fill it before the task sees it */
		uint64_t from = va > ph->vaddr ? va : ph->vaddr;           /* file bytes in this page */
		uint64_t to = ph->vaddr + ph->filesz < va + PAGE ? ph->vaddr + ph->filesz : va + PAGE;
		if (from < to)
			memcpy(dst + (from - va), elf + ph->offset + (from - ph->vaddr), to - from);
		scratch_unmap(frame);
		e = task_map(t, frame, va, rights_of(ph->flags));
		task_store_page(t, frame, va);
		if (e)
			return e;
	}
	return E_OK;
}

static int in_exec_segment(const struct mtask *t, uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < t->nseg; i++)
		if ((t->seg[i].flags & PF_X) && start >= t->seg[i].start && end <= t->seg[i].end)
			return 1;
	return 0;
}

/* Where the task's instructions are, for the fault injector: the
 * executable sections if the image still has its section headers (the
 * text segment holds read-only data too), else the executable segments. */
static void find_text(struct mtask *t, const uint8_t *elf, uint64_t size)
{
	const struct elf_header *h = (const void *)elf;
	t->text_start = t->text_end = 0;
	if (h->shentsize == sizeof(struct elf_shdr) && h->shoff <= size &&
	    h->shnum <= (size - h->shoff) / sizeof(struct elf_shdr)) {
		for (int i = 0; i < h->shnum; i++) {
			const struct elf_shdr *sh = (const void *)(elf + h->shoff + i * sizeof *sh);
			if ((sh->flags & (SHF_ALLOC | SHF_EXECINSTR)) != (SHF_ALLOC | SHF_EXECINSTR) || !sh->size ||
			    sh->size > TASK_HEAP_MAX || !in_exec_segment(t, sh->addr, sh->addr + sh->size))
				continue;
			if (!t->text_end || sh->addr < t->text_start)
				t->text_start = sh->addr;
			if (sh->addr + sh->size > t->text_end)
				t->text_end = sh->addr + sh->size;
		}
	}
	for (unsigned i = 0; i < t->nseg && !t->text_end; i++)
		if (t->seg[i].flags & PF_X) {
			t->text_start = t->seg[i].start;
			t->text_end = t->seg[i].end;
		}
}

/* A loaded segment, remembered for MM_REGION. */
static enum err note_segment(struct mtask *t, const struct elf_phdr *ph)
{
	if (t->nseg == MAX_SEGMENTS)
		return E_INVALID_ARGUMENT;
	t->seg[t->nseg++] = (struct segment){ ph->vaddr, ph->vaddr + (ph->flags & PF_W ? ph->memsz : ph->filesz),
					      ph->flags };
	return E_OK;
}

enum err elf_load(struct mtask *t, const uint8_t *elf, uint64_t size, uint64_t *entry, uint64_t *end)
{
	const struct elf_header *h = (const void *)elf;
	if (size < sizeof *h || memcmp(h->ident, "\177ELF", 4) || h->ident[4] != 2 || h->machine != ELF_MACHINE_RISCV ||
	    h->phentsize != sizeof(struct elf_phdr) || h->phoff > size ||
	    h->phnum > (size - h->phoff) / sizeof(struct elf_phdr))
		return E_INVALID_ARGUMENT;
	*end = 0;
	for (int i = 0; i < h->phnum; i++) {
		const struct elf_phdr *ph = (const void *)(elf + h->phoff + i * sizeof *ph);
		if (ph->type != PT_LOAD)
			continue;
		if (ph->offset > size || ph->filesz > size - ph->offset || ph->filesz > ph->memsz ||
		    ph->vaddr < TASK_IMAGE_BASE || ph->memsz > TASK_HEAP_MAX ||
		    ph->vaddr + ph->memsz > TASK_IMAGE_BASE + TASK_HEAP_MAX)
			return E_INVALID_ARGUMENT;
		enum err e = load_segment(t, elf, ph);
		if (e || (e = note_segment(t, ph)))
			return e;
		if (ph->vaddr + ph->memsz > *end)
			*end = ph->vaddr + ph->memsz;
	}
	*entry = h->entry;
	find_text(t, elf, size);
	return *end ? E_OK : E_INVALID_ARGUMENT;
}
