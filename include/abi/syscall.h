/* The syscall ABI: numbers, the message-info word and register use.
 *
 * ecall with a7 = syscall number, a0 = capability pointer, a1 = message
 * info, a2..a5 = message registers 0..3. Further message registers live in
 * the IPC buffer (struct ipc_buffer). On return: a0 = error (enum err),
 * a1 = message info, a2..a5 = message registers 0..3, a6 = badge.
 *
 * Calling a capability to a kernel object (Call or Send) invokes one of its
 * methods: the label of the message names the method (invocation.h). */
#ifndef ABI_SYSCALL_H
#define ABI_SYSCALL_H

#include <stdint.h>

enum syscall {
	SYS_CALL = 1,    /* send and wait for the reply (kernel objects: invoke) */
	SYS_SEND,        /* blocking send; on a notification: signal */
	SYS_NBSEND,      /* send only if a receiver waits */
	SYS_RECV,        /* blocking receive; on a notification: wait */
	SYS_NBRECV,      /* receive only if a sender waits; notification: poll */
	SYS_REPLY,       /* answer the thread that last called us */
	SYS_REPLYRECV,   /* reply, then receive on the capability in a0 */
	SYS_YIELD,       /* give up the rest of the time slice */
	SYS_DEBUG_PUTS,  /* a0 = the system cap, a1 = user pointer, a2 = length:
	                    write to the kernel console */
	SYS_COUNT
};

#define MSG_REG_COUNT   4   /* message registers passed in CPU registers */
#define MSG_MAX_WORDS   64  /* message registers in all */
#define MSG_MAX_CAPS    3   /* capabilities one message may carry */

/* Message info: label (bits 63..12), caps (bits 11..10), length (9..0). */
typedef uint64_t msginfo_t;
#define MSGINFO(label, caps, len) \
	(((uint64_t)(label) << 12) | ((uint64_t)(caps) << 10) | (uint64_t)(len))
#define MSGINFO_LABEL(m)  ((m) >> 12)
#define MSGINFO_CAPS(m)   (((m) >> 10) & 3)
#define MSGINFO_LEN(m)    ((m) & 0x3ff)

/* The label a Recv returns when it was woken by its bound notification;
 * the badge register then holds the notification word. */
#define LABEL_NOTIFICATION  0xffffffffffULL

/* The IPC buffer: one page-aligned structure per thread, set by TCB_Configure. */
struct ipc_buffer {
	uint64_t mr[MSG_MAX_WORDS];     /* mr[0..3] are shadowed by a2..a5 */
	uint64_t caps[MSG_MAX_CAPS];    /* cptrs of the capabilities to send */
	uint64_t recv_cnode;            /* cptr of the CNode for received caps */
	uint64_t recv_index;            /* first slot there; caps fill upward */
	uint64_t user_data;             /* free for the thread's own use */
};

#endif
