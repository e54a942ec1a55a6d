/* Save and load a thread's floating-point registers (lazy FP switching). */
#define FREG(n) (8 * (32 + (n)))
#define FCSR_OFF (8 * 64)

	.section .text
	.globl fp_save
fp_save:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	fsd f\n, FREG(\n)(a0)
	.endr
	frcsr t0
	sd t0, FCSR_OFF(a0)
	ret

	.globl fp_load
fp_load:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	fld f\n, FREG(\n)(a0)
	.endr
	ld t0, FCSR_OFF(a0)
	fscsr t0
	ret
