/* The root task: for now it reports what the kernel handed it and powers
 * the machine off. (The supervisor that starts the system grows here.) */
#include <stdio.h>
#include "sys.h"

static void print_size(uint64_t bytes)
{
	if (bytes >= (1ULL << 20))
		printf("%4llu MiB", (unsigned long long)(bytes >> 20));
	else
		printf("%4llu KiB", (unsigned long long)(bytes >> 10));
}

static void print_untyped(const struct bootinfo *bi, int device)
{
	uint64_t total = 0, count = 0;
	for (uint64_t s = bi->untyped.start; s < bi->untyped.end; s++) {
		const struct untyped_desc *u = &bi->untyped_list[s - bi->untyped.start];
		if (u->is_device != device)
			continue;
		printf("  slot %4llu  paddr 0x%09llx  ", (unsigned long long)s, (unsigned long long)u->paddr);
		print_size(1ULL << u->size_bits);
		printf("  (2^%u)\n", u->size_bits);
		total += 1ULL << u->size_bits;
		count++;
	}
	printf("  %llu %s regions, ", (unsigned long long)count, device ? "device" : "untyped");
	print_size(total);
	printf(" in all\n");
}

int main(uint64_t arg)
{
	const struct bootinfo *bi = (const struct bootinfo *)arg;
	if (bi->magic != BOOTINFO_MAGIC) {
		printf("root: bad boot-info magic\n");
		return 1;
	}
	printf("root: boot info at %p, timebase %llu Hz\n", (void *)bi, (unsigned long long)bi->timebase_hz);
	printf("root: fixed caps: tcb %d, cnode %d, vspace %d, irq control %d, system %d, ipc buffer %d\n",
	       SLOT_TCB, SLOT_CNODE, SLOT_VSPACE, SLOT_IRQ_CONTROL, SLOT_SYSTEM, SLOT_IPC_BUFFER);
	printf("root: own frames and page tables: slots %llu..%llu\n",
	       (unsigned long long)bi->image_frames.start, (unsigned long long)bi->image_frames.end - 1);
	printf("root: boot image %llu bytes at 0x%llx, frames in slots %llu..%llu\n",
	       (unsigned long long)bi->bootimage_size, (unsigned long long)bi->bootimage_vaddr,
	       (unsigned long long)bi->bootimage_frames.start, (unsigned long long)bi->bootimage_frames.end - 1);
	printf("root: device tree %llu bytes at 0x%llx\n", (unsigned long long)bi->dtb_size,
	       (unsigned long long)bi->dtb_vaddr);
	printf("root: untyped memory:\n");
	print_untyped(bi, 0);
	printf("root: device untyped:\n");
	print_untyped(bi, 1);
	printf("root: free slots %llu..%llu (%llu)\n", (unsigned long long)bi->empty.start,
	       (unsigned long long)bi->empty.end - 1, (unsigned long long)(bi->empty.end - bi->empty.start));
	printf("root: done, powering off\n");
	fflush(stdout);
	INVOKE0(SLOT_SYSTEM, SYSTEM_POWER_OFF);
	return 0;
}
