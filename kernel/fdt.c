/* Reads what the kernel needs from the flattened device tree: RAM, the
 * PLIC, the timer frequency and every other MMIO region (for device
 * untyped). Only the structure block is walked; nothing is written. */
#include "kernel.h"

#define FDT_MAGIC 0xd00dfeed
enum { FDT_BEGIN_NODE = 1, FDT_END_NODE = 2, FDT_PROP = 3, FDT_NOP = 4, FDT_END = 9 };
#define MAX_DEPTH 8

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

static uint64_t read_cells(const uint8_t **p, uint32_t cells)
{
	uint64_t v = 0;
	while (cells--) {
		v = (v << 32) | be32(*p);
		*p += 4;
	}
	return v;
}

static int str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static int has_prefix(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

/* Does any string of a compatible list contain `word`? */
static int compat_has(const char *list, uint32_t len, const char *word)
{
	for (uint32_t i = 0; i < len; i++) {
		const char *w = word, *s = list + i;
		while (*w && *s == *w)
			s++, w++;
		if (!*w)
			return 1;
	}
	return 0;
}

struct node {
	uint32_t addr_cells, size_cells;   /* for this node's children */
	const char *name, *compat;
	uint32_t compat_len;
	const uint8_t *reg;
	uint32_t reg_len;
};

static void add_region(struct platform *p, const struct node *n, const struct node *parent)
{
	const uint8_t *r = n->reg, *end = n->reg + n->reg_len;
	uint32_t ac = parent->addr_cells, sc = parent->size_cells;
	int is_memory = has_prefix(n->name, "memory");
	int is_kernel_dev = n->compat && (compat_has(n->compat, n->compat_len, "plic") ||
		compat_has(n->compat, n->compat_len, "clint") ||
		compat_has(n->compat, n->compat_len, "sifive,test"));
	if (!sc || has_prefix(parent->name, "reserved-memory"))
		return;   /* no addresses, or RAM that firmware keeps for itself */
	while (r + 4 * (ac + sc) <= end) {
		uint64_t base = read_cells(&r, ac), size = read_cells(&r, sc);
		if (is_memory && !p->ram_size) {
			p->ram_base = base;
			p->ram_size = size;
		} else if (n->compat && compat_has(n->compat, n->compat_len, "plic")) {
			p->plic_base = base;
		} else if (!is_memory && !is_kernel_dev && p->ndev < 48) {
			p->dev[p->ndev].base = base;
			p->dev[p->ndev].size = size;
			p->ndev++;
		}
	}
}

void fdt_parse(uint64_t dtb_pa, struct platform *p)
{
	const uint8_t *fdt = kva(dtb_pa);
	if (be32(fdt) != FDT_MAGIC)
		panic("no device tree", __FILE__, __LINE__);
	p->dtb_size = be32(fdt + 4);
	const uint8_t *tok = fdt + be32(fdt + 8);
	const char *strings = (const char *)fdt + be32(fdt + 12);
	struct node stack[MAX_DEPTH + 1];
	int depth = 0;
	stack[0] = (struct node){ 2, 1, "", 0, 0, 0, 0 };

	for (;;) {
		uint32_t t = be32(tok);
		tok += 4;
		if (t == FDT_BEGIN_NODE) {
			const char *name = (const char *)tok;
			uint32_t len = 0;
			while (name[len])
				len++;
			tok += (len + 4) & ~3u;
			if (++depth > MAX_DEPTH)
				panic("device tree too deep", __FILE__, __LINE__);
			stack[depth] = (struct node){ 2, 1, name, 0, 0, 0, 0 };
		} else if (t == FDT_END_NODE) {
			if (depth > 0 && stack[depth].reg)
				add_region(p, &stack[depth], &stack[depth - 1]);
			if (--depth < 0)
				break;
		} else if (t == FDT_PROP) {
			uint32_t len = be32(tok), nameoff = be32(tok + 4);
			const uint8_t *val = tok + 8;
			const char *pname = strings + nameoff;
			struct node *n = &stack[depth];
			if (str_eq(pname, "#address-cells"))
				n->addr_cells = be32(val);
			else if (str_eq(pname, "#size-cells"))
				n->size_cells = be32(val);
			else if (str_eq(pname, "reg"))
				n->reg = val, n->reg_len = len;
			else if (str_eq(pname, "compatible"))
				n->compat = (const char *)val, n->compat_len = len;
			else if (str_eq(pname, "timebase-frequency"))
				p->timebase_hz = len == 8 ? ((uint64_t)be32(val) << 32) | be32(val + 4) : be32(val);
			tok += 8 + ((len + 3) & ~3u);
		} else if (t == FDT_END) {
			break;
		} else if (t != FDT_NOP) {
			panic("bad device tree token", __FILE__, __LINE__);
		}
	}
}
