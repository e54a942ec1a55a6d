/* kmain: from OpenSBI's hand-off to the first user thread. */
#include "kernel.h"

uint64_t timebase_hz;

void kmain(uint64_t hartid, uint64_t dtb_pa)
{
	static struct platform plat;
	(void)hartid;
	printk("k4 microkernel: booting (RISC-V Sv39, dtb at %lx)\n", dtb_pa);
	fdt_parse(dtb_pa, &plat);
	timebase_hz = plat.timebase_hz ? plat.timebase_hz : 10000000;
	printk("kernel: RAM %lx..%lx, PLIC %lx, %d device regions\n", plat.ram_base,
	       plat.ram_base + plat.ram_size, plat.plic_base, plat.ndev);
	csr_clear(sstatus, SSTATUS_SPP | SSTATUS_SIE);
	csr_set(sstatus, SSTATUS_SPIE);
	csr_write(scounteren, 7);   /* user may read cycle, time, instret */
	plic_init(plat.plic_base);
	boot_root_task(dtb_pa, &plat);
	timer_start();
	schedule();
	vspace_activate(current);
	csr_clear(sstatus, SSTATUS_FS);
	user_return(current->regs);
}
