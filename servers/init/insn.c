/* RISC-V instructions as the fault injector sees them: their length, the
 * register fields each format has, and the faulty form each text fault
 * type makes of one (docs/faults.md). Encodings: the unprivileged spec,
 * base formats R/I/S/B/U/J and the compressed formats (CR, CI, CSS, CIW,
 * CL, CS, CA, CB, CJ) of the C extension, RV64. */
#include "inject.h"

static unsigned bits(uint32_t x, unsigned lo, unsigned n) { return (x >> lo) & ((1u << n) - 1); }

/* A register field: where it lies, and values the format reserves there
 * (AVOID_X0: x0 changes the instruction, e.g. c.mv into c.jr; AVOID_SP:
 * c.lui with rd = sp is c.addi16sp). */
struct field { uint8_t shift, width, avoid; };
#define AVOID_X0 1
#define AVOID_SP 2

static int fields32(uint32_t i, struct field *f)
{
	const struct field rd = { 7, 5, 0 }, rs1 = { 15, 5, 0 }, rs2 = { 20, 5, 0 };
	int n = 0;
	switch (i & 0x7f) {
	case 0x33: case 0x3b: case 0x2f:            /* OP, OP-32, AMO */
		f[n++] = rd, f[n++] = rs1, f[n++] = rs2;
		break;
	case 0x03: case 0x13: case 0x1b: case 0x67: /* LOAD, OP-IMM, OP-IMM-32, JALR */
		f[n++] = rd, f[n++] = rs1;
		break;
	case 0x23: case 0x63:                       /* STORE, BRANCH */
		f[n++] = rs1, f[n++] = rs2;
		break;
	case 0x37: case 0x17: case 0x6f:            /* LUI, AUIPC, JAL */
		f[n++] = rd;
		break;
	}
	return n;
}

static int fields16(uint32_t i, struct field *f)
{
	const struct field rd = { 7, 5, AVOID_X0 }, rs2 = { 2, 5, AVOID_X0 }, rs2_any = { 2, 5, 0 };
	const struct field low3 = { 2, 3, 0 }, high3 = { 7, 3, 0 };   /* rd'/rs2' and rs1' (x8..x15) */
	unsigned op = i & 3, f3 = bits(i, 13, 3), r = bits(i, 7, 5), r2 = bits(i, 2, 5);
	int n = 0;
	if (op == 0) {
		if (f3 == 0)                                   /* c.addi4spn */
			f[n++] = low3;
		else if (f3 == 2 || f3 == 3 || f3 == 6 || f3 == 7)   /* c.lw c.ld c.sw c.sd */
			f[n++] = high3, f[n++] = low3;
		else if (f3 == 1 || f3 == 5)                   /* c.fld c.fsd: the base register */
			f[n++] = high3;
	} else if (op == 1) {
		if (f3 <= 2 && r)                              /* c.addi c.addiw c.li */
			f[n++] = rd;
		else if (f3 == 3 && r && r != 2)               /* c.lui */
			f[n++] = (struct field){ 7, 5, AVOID_X0 | AVOID_SP };
		else if (f3 == 4) {                            /* c.srli c.srai c.andi; c.sub .. c.addw */
			f[n++] = high3;
			if (bits(i, 10, 2) == 3)
				f[n++] = low3;
		} else if (f3 == 6 || f3 == 7)                 /* c.beqz c.bnez */
			f[n++] = high3;
	} else {
		if ((f3 == 0 || f3 == 2 || f3 == 3) && r)      /* c.slli c.lwsp c.ldsp */
			f[n++] = rd;
		else if (f3 == 4 && r2 && r)                   /* c.mv c.add */
			f[n++] = rd, f[n++] = rs2;
		else if (f3 == 4 && r)                         /* c.jr c.jalr */
			f[n++] = rd;
		else if (f3 == 6 || f3 == 7)                   /* c.swsp c.sdsp */
			f[n++] = rs2_any;
	}
	return n;
}

/* Another value for field f than `old`, chosen by r; 0 if none. */
static int other_value(struct field f, unsigned old, uint64_t r, uint32_t insn, uint32_t *out)
{
	unsigned ok[32], n = 0;
	for (unsigned v = 0; v < (1u << f.width); v++)
		if (v != old && !(v == 0 && (f.avoid & AVOID_X0)) && !(v == 2 && (f.avoid & AVOID_SP)))
			ok[n++] = v;
	if (!n)
		return 0;
	uint32_t mask = ((1u << f.width) - 1) << f.shift;
	*out = (insn & ~mask) | (ok[r % n] << f.shift);
	return 1;
}

static int change_operand(uint32_t i, uint64_t r, uint32_t *out)
{
	struct field f[3];
	int n = insn_size(i) == 4 ? fields32(i, f) : fields16(i, f);
	if (!n)
		return 0;
	struct field which = f[r % (unsigned)n];
	return other_value(which, bits(i, which.shift, which.width), r / (unsigned)n, i, out);
}

int insn_is_branch(uint32_t i)
{
	if (insn_size(i) == 4)   /* beq bne blt bge bltu bgeu: funct3 010 and 011 are not used */
		return (i & 0x7f) == 0x63 && bits(i, 12, 3) != 2 && bits(i, 12, 3) != 3;
	return (i & 3) == 1 && bits(i, 13, 3) >= 6;   /* c.beqz c.bnez */
}

int insn_is_jump(uint32_t i)
{
	if (insn_is_branch(i))
		return 1;
	if (insn_size(i) == 4)
		return (i & 0x7f) == 0x6f || (i & 0x7f) == 0x67;
	unsigned op = i & 3, f3 = bits(i, 13, 3);
	return (op == 1 && f3 == 5) || (op == 2 && f3 == 4 && !bits(i, 2, 5) && bits(i, 7, 5));   /* c.j; c.jr c.jalr */
}

static int rd_or_none(unsigned r) { return r ? (int)r : -1; }

int insn_rd(uint32_t i)
{
	if (insn_size(i) == 4) {
		switch (i & 0x7f) {
		case 0x03: case 0x13: case 0x1b: case 0x33: case 0x3b: case 0x37: case 0x17: case 0x6f: case 0x67:
		case 0x2f:
			return rd_or_none(bits(i, 7, 5));
		}
		return -1;
	}
	unsigned op = i & 3, f3 = bits(i, 13, 3), r = bits(i, 7, 5), r2 = bits(i, 2, 5);
	if (op == 0)
		return f3 == 0 || f3 == 2 || f3 == 3 ? 8 + (int)bits(i, 2, 3) : -1;
	if (op == 1)
		return f3 <= 3 ? rd_or_none(r) : f3 == 4 ? 8 + (int)bits(i, 7, 3) : -1;
	if (f3 == 0 || f3 == 2 || f3 == 3)
		return rd_or_none(r);
	if (f3 == 4)
		return r2 ? rd_or_none(r) : bits(i, 12, 1) && r ? 1 : -1;   /* c.mv c.add; c.jalr writes ra */
	return -1;
}

int insn_sets_a7(uint32_t i, int64_t *value)
{
	if (insn_size(i) == 4) {   /* addi a7, zero, imm */
		if ((i & 0x707f) != 0x13 || bits(i, 15, 5) || bits(i, 7, 5) != 17)
			return 0;
		*value = (int32_t)i >> 20;
		return 1;
	}
	if ((i & 3) != 1 || bits(i, 13, 3) != 2 || bits(i, 7, 5) != 17)   /* c.li a7, imm */
		return 0;
	int64_t imm = (int64_t)(bits(i, 12, 1) << 5 | bits(i, 2, 5));
	*value = imm >= 32 ? imm - 64 : imm;
	return 1;
}

/* A message register's set-up with its value changed but its destination
 * kept: an immediate bit or a source register (docs/faults.md, reply). */
static int garble32(uint32_t i, uint64_t r, uint32_t *out)
{
	unsigned f3 = bits(i, 12, 3);
	switch (i & 0x7f) {
	case 0x13: case 0x1b:   /* shifts keep their kind: only the shift amount */
		*out = i ^ (1u << (20 + (f3 == 1 || f3 == 5 ? r % 5 : r % 12)));
		return 1;
	case 0x37: case 0x17:
		*out = i ^ (1u << (12 + r % 20));
		return 1;
	case 0x03:              /* the offset, by a multiple of 8: still aligned */
		*out = i ^ (1u << (23 + r % 9));
		return 1;
	case 0x33: case 0x3b:
		return other_value((struct field){ 20, 5, 0 }, bits(i, 20, 5), r, i, out);
	}
	return 0;
}

static int garble16(uint32_t i, uint64_t r, uint32_t *out)
{
	static const uint8_t ci_imm[] = { 12, 6, 5, 4, 3, 2 }, cl_off[] = { 12, 11, 10, 6, 5 };
	unsigned op = i & 3, f3 = bits(i, 13, 3);
	if ((op == 1 && f3 <= 3) || (op == 2 && (f3 == 0 || f3 == 2 || f3 == 3))) {   /* CI */
		for (unsigned k = 0; k < 6; k++) {
			uint32_t c = i ^ (1u << ci_imm[(r + k) % 6]);
			if (op == 1 && f3 == 3 && !bits(c, 12, 1) && !bits(c, 2, 5))
				continue;   /* c.lui with 0 is reserved */
			*out = c;
			return 1;
		}
		return 0;
	}
	if (op == 2 && f3 == 4 && bits(i, 2, 5))   /* c.mv c.add: another source */
		return other_value((struct field){ 2, 5, AVOID_X0 }, bits(i, 2, 5), r, i, out);
	if (op == 0 && (f3 == 2 || f3 == 3)) {     /* c.lw c.ld: another offset, still aligned */
		*out = i ^ (1u << cl_off[r % 5]);
		return 1;
	}
	return 0;
}

int insn_mutate(int type, uint32_t i, uint64_t r, uint32_t *faulty)
{
	unsigned size = insn_size(i);
	i &= size == 4 ? 0xffffffffu : 0xffffu;
	uint32_t nop = size == 4 ? INSN_NOP : INSN_C_NOP;
	if (i == 0 || i == INSN_EBREAK || i == INSN_C_EBREAK)
		return 0;   /* padding (0 is an illegal instruction) or a breakpoint */
	switch (type) {
	case FT_FLIP:
		*faulty = i ^ (1u << (r % (size * 8)));
		return 1;
	case FT_NOP:
		*faulty = nop;
		return i != nop;
	case FT_LOOP:
		*faulty = size == 4 ? INSN_LOOP : INSN_C_LOOP;
		return i != *faulty;
	case FT_BRANCH:   /* funct3 bit 0 (bit 12) pairs beq/bne, blt/bge, bltu/bgeu; bit 13 c.beqz/c.bnez */
		*faulty = i ^ (size == 4 ? 1u << 12 : 1u << 13);
		return insn_is_branch(i);
	case FT_NOBRANCH:
		*faulty = nop;
		return insn_is_branch(i);
	case FT_OPERAND:
		return change_operand(i, r, faulty);
	case FT_REPLY:
		return size == 4 ? garble32(i, r, faulty) : garble16(i, r, faulty);
	default:
		return 0;
	}
}
