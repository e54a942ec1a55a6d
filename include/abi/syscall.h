/* The syscall ABI: numbers, the message-info word and register use.
 *
 * ecall with a7 = syscall number, a0 = capability pointer, a1 = message
 * info, a2..a5 = message registers 0..3. Further message registers live in
 * the IPC buffer (struct ipc_buffer). On return: a0 = error (enum err),
 * a1 = message info, a2..a5 = message registers 0..3, a6 = badge.
 *
 * Calling a capability to a kernel object (Call or Send) invokes one of its
 * methods: the label of the message names the method (invocation.h).
 *
 * Every other register is kept, except under the clobbering ABI
 * (-Dclobber_abi=true, CONFIG_CLOBBER_ABI): there the IPC syscalls,
 * SYS_CALL..SYS_REPLYRECV, may also clobber t0..t6, so the kernel does not
 * save them on that path. They come back holding values of the thread's
 * own (what they held when the kernel last saved them, or what
 * TCB_WRITE_REGISTERS put there), never another thread's or the kernel's.
 * This header is also read by kernel/entry.S. */
#ifndef ABI_SYSCALL_H
#define ABI_SYSCALL_H

/* Bit n stands for register xn. */
#define ABI_RESULT_REGS   0x1fc00       /* a0..a6: results of every syscall */
#define ABI_IPC_CLOBBERS  0xf00000e0    /* t0..t2 (x5..x7), t3..t6 (x28..x31) */
#define ABI_IPC_FIRST     1             /* SYS_CALL */
#define ABI_IPC_LAST      7             /* SYS_REPLYRECV */
/* The same set, for the libsys stubs' clobber lists. */
#ifdef CONFIG_CLOBBER_ABI
#define ABI_IPC_CLOBBER_LIST , "t0", "t1", "t2", "t3", "t4", "t5", "t6"
#else
#define ABI_IPC_CLOBBER_LIST
#endif

#ifndef __ASSEMBLER__
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
	SYS_LEASE_COPY,  /* a server copies to or from its caller's lease:
	                    a0 = reply cap (with LEASE_VIA_REPLY_CAP), a1 = op,
	                    a2 = offset in the lease, a3 = own buffer, a4 = length */
	SYS_COUNT
};
_Static_assert(SYS_CALL == ABI_IPC_FIRST && SYS_REPLYRECV == ABI_IPC_LAST, "the IPC syscalls are one range");

#define MSG_REG_COUNT   4   /* message registers passed in CPU registers */
#define MSG_MAX_WORDS   64  /* message registers in all */
#define MSG_MAX_CAPS    3   /* capabilities one message may carry */

/* Message info: label (bits 63..13), lease (12), caps (11..10), length (9..0). */
typedef uint64_t msginfo_t;
#define MSGINFO(label, caps, len) \
	(((uint64_t)(label) << 13) | ((uint64_t)(caps) << 10) | (uint64_t)(len))
#define MSGINFO_LABEL(m)  ((m) >> 13)
#define MSGINFO_LEASE     (1ULL << 12)  /* Call: lends the buffer in ipc_buffer.lease_* */
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
	/* A lease (Hubris-style): a Call with MSGINFO_LEASE lends the server
	 * lease_len bytes at lease_base with lease_rights (RIGHT_READ: the
	 * server may read them, RIGHT_WRITE: write) until the reply. The
	 * server receives the length and rights here (lease_base 0) and
	 * reaches the bytes only through SYS_LEASE_COPY. */
	uint64_t lease_base, lease_len, lease_rights;
};

/* SYS_LEASE_COPY operations (a1). One call moves at most LEASE_COPY_MAX
 * bytes, so the kernel's copy stays short; a lease may be longer. */
#define LEASE_READ           1   /* lease -> own buffer (needs RIGHT_READ) */
#define LEASE_WRITE          2   /* own buffer -> lease (needs RIGHT_WRITE) */
#define LEASE_VIA_REPLY_CAP  4   /* the caller is named by the reply cap in a0,
                                    not the one owed the implicit reply */
#define LEASE_MAX       (16ULL << 20)
#define LEASE_COPY_MAX  (64ULL << 10)

#endif /* __ASSEMBLER__ */
#endif
