/* The kernel's IPC trace (built with meson -Dtrace=true): what one record
 * of the ring says. A trace object (OBJ_TRACE, made by Untyped_Retype like
 * any other) is the ring: TRACE_RECORDS records of four words, written
 * round and round while tracing is on; TRACE_READ copies them out. The
 * host's tools/ipctrace.py turns them into a Chrome trace-event file. */
#ifndef ABI_TRACE_H
#define ABI_TRACE_H

/*   w0  time: rdtime ticks, or instructions retired (TRACE_START's clock)
 *   w1  badge (the receiver's view), or a notification's word; NAME: name[0..7]
 *   w2  bits 0-7 event, 8-15 flags, 16-23 message length, 24-31 caps
 *       transferred, 32-63 label (IRQ: the line; MARK: the mark); NAME:
 *       bits 8-63 name[8..14]
 *   w3  bits 0-31 the thread, 32-63 the other thread (0: none, or the
 *       kernel). Threads are numbered from 1 as they are made. */
enum trace_event {
	TR_CALL = 1,   /* thread's Call delivered to peer (now, or when peer received) */
	TR_SEND,       /* thread's Send delivered to peer */
	TR_REPLY,      /* thread's reply delivered to peer, the caller */
	TR_FAULT,      /* thread's fault delivered to peer, its handler */
	TR_NO_REPLY,   /* thread's call ended with an error: peer, which owed the reply, is gone */
	TR_SIGNAL,     /* thread signalled a notification (badge) */
	TR_WAKE,       /* thread woke with a notification's word (w1) */
	TR_IRQ,        /* the kernel took an interrupt from line `label` */
	TR_SWITCH,     /* the hart left thread for peer (0: idle) */
	TR_NAME,       /* thread is called the name in w1, w2 */
	TR_MARK,       /* thread (a trace holder) marked the trace with `label` */
};

#define TRF_FASTPATH 1   /* the IPC fastpath did it */
#define TRF_LEASE    2   /* the Call lent a lease */

#define TRACE_RECORD_WORDS 4
#define TRACE_RECORDS (1u << (TRACE_SIZE_BITS - 5))
#define TRACE_READ_MAX 15    /* records one TRACE_READ returns */

#define TRACE_MARK_END (1u << 31)   /* the shell's `trace run`: the command's end */

#define TRACE_CLOCK_TIME  0  /* rdtime */
#define TRACE_CLOCK_INSTRET 1  /* rdinstret: exact under QEMU's -icount */

#endif
