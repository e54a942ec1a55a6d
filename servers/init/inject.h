/* The fault injector's parts (docs/faults.md): SUP_INJECT and breakpoint
 * activation (inject.c), RISC-V instruction decoding and the text
 * mutations of each fault type (insn.c). */
#ifndef INIT_INJECT_H
#define INIT_INJECT_H

#include <stdint.h>
#include "../../include/proto/faultinj.h"

#define INSN_EBREAK   0x00100073u
#define INSN_C_EBREAK 0x9002u
#define INSN_NOP      0x00000013u   /* addi x0, x0, 0 */
#define INSN_C_NOP    0x0001u
#define INSN_LOOP     0x0000006fu   /* jal x0, 0: a jump to itself */
#define INSN_C_LOOP   0xa001u       /* c.j 0 */
#define INSN_ECALL    0x00000073u

/* Bytes of the instruction whose low half is `low`: low two bits 11 mean
 * 32 bits, else a compressed one. */
static inline unsigned insn_size(uint32_t low) { return (low & 3) == 3 ? 4 : 2; }

int insn_is_branch(uint32_t insn);
int insn_is_jump(uint32_t insn);             /* a branch, jump or return */
int insn_rd(uint32_t insn);                  /* the integer register written, or -1 */
int insn_sets_a7(uint32_t insn, int64_t *value);   /* li a7, value */
/* The faulty form of insn for a text fault type (FT_FLIP .. FT_LOOP, FT_REPLY),
 * r choosing among the ways; 0 if the type does not apply to it. */
int insn_mutate(int type, uint32_t insn, uint64_t r, uint32_t *faulty);

#endif
