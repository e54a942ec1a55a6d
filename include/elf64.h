/* The parts of the ELF64 format the kernel (loading the root task) and mm
 * (loading every other program) read. */
#ifndef ELF64_H
#define ELF64_H

#include <stdint.h>

struct elf_header {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

/* Section headers: mm reads them only to find a program's instructions
 * for the fault injector (the text segment holds read-only data too). */
struct elf_shdr {
	uint32_t name, type;
	uint64_t flags, addr, offset, size;
	uint32_t link, info;
	uint64_t addralign, entsize;
};
#define SHF_ALLOC 2
#define SHF_EXECINSTR 4

#define ELF_MACHINE_RISCV 243
#define PT_LOAD 1
#define PF_X 1
#define PF_W 2
#define PF_R 4

#endif
