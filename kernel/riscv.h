/* Tiny helpers for RISC-V control registers and instructions. */
#ifndef RISCV_H
#define RISCV_H

#include <stdint.h>

#define csr_read(name) ({ uint64_t v_; __asm__ volatile("csrr %0, " #name : "=r"(v_)); v_; })
#define csr_write(name, v) __asm__ volatile("csrw " #name ", %0" :: "r"((uint64_t)(v)))
#define csr_set(name, v) __asm__ volatile("csrs " #name ", %0" :: "r"((uint64_t)(v)))
#define csr_clear(name, v) __asm__ volatile("csrc " #name ", %0" :: "r"((uint64_t)(v)))

#define SSTATUS_SIE  (1ULL << 1)
#define SSTATUS_SPIE (1ULL << 5)
#define SSTATUS_SPP  (1ULL << 8)
#define SSTATUS_FS   (3ULL << 13)
#define SSTATUS_FS_INITIAL (1ULL << 13)
#define SSTATUS_FS_CLEAN   (2ULL << 13)
#define SSTATUS_FS_DIRTY   (3ULL << 13)
#define SSTATUS_SUM  (1ULL << 18)

#define SIE_STIE (1ULL << 5)
#define SIE_SEIE (1ULL << 9)
#define SIP_STIP (1ULL << 5)
#define SIP_SEIP (1ULL << 9)

#define SCAUSE_INTERRUPT (1ULL << 63)
enum scause {
	EXC_INST_MISALIGNED = 0, EXC_INST_ACCESS = 1, EXC_ILLEGAL = 2,
	EXC_BREAKPOINT = 3, EXC_LOAD_MISALIGNED = 4, EXC_LOAD_ACCESS = 5,
	EXC_STORE_MISALIGNED = 6, EXC_STORE_ACCESS = 7, EXC_ECALL_U = 8,
	EXC_INST_PAGE = 12, EXC_LOAD_PAGE = 13, EXC_STORE_PAGE = 15,
	IRQ_S_TIMER = 5, IRQ_S_EXTERNAL = 9,
};

static inline uint64_t rdtime(void)
{
	uint64_t t;
	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

static inline void sfence_vma_all(void) { __asm__ volatile("sfence.vma zero, zero" ::: "memory"); }

static inline void sfence_vma(uint64_t va, uint64_t asid)
{
	__asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"(asid) : "memory");
}

static inline void wfi(void) { __asm__ volatile("wfi"); }

#endif
