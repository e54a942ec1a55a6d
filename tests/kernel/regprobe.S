/* reg_probe(in, out): every register but sp set from in[1..31] (x2
 * skipped), one ecall (the number in in[17], a7), and every register
 * the kernel handed back stored to out[1..31]. The C registers are
 * saved around it, so the caller sees an ordinary function. */
#define FRAME (8 * 64)           /* what the kernel handed back, then the caller's */
#define SAVED(n) (8 * (32 + (n)))  /* where the caller's xn is kept (a1: out) */

	.section .text
	.globl reg_probe
reg_probe:
	addi sp, sp, -FRAME
	.irp n, 1,3,4,8,9,11,18,19,20,21,22,23,24,25,26,27
	sd x\n, SAVED(\n)(sp)
	.endr
	mv t6, a0
	.irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
	ld x\n, (8 * \n)(t6)
	.endr
	ld t6, (8 * 31)(t6)
	ecall
	.irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	sd x\n, (8 * \n)(sp)
	.endr
	.irp n, 1,3,4,8,9,11,18,19,20,21,22,23,24,25,26,27
	ld x\n, SAVED(\n)(sp)
	.endr
	mv t0, sp
	addi t1, sp, 8 * 32
1:	ld t2, 0(t0)
	sd t2, 0(a1)
	addi t0, t0, 8
	addi a1, a1, 8
	bne t0, t1, 1b
	addi sp, sp, FRAME
	ret
