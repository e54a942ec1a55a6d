/* Ways to move bytes from a client to a server: the IPC designs the
 * benchmark compares (docs/ipc-designs.md). Each design has both ends:
 * the client's send (and flush), the server's serve loop. A transfer is
 * done when the server has handed the bytes to its consume function.
 *
 *   regs    synchronous IPC: the bytes travel in message registers and
 *           the IPC buffer, 504 bytes a Call
 *   ring    a shared-memory ring of descriptors and data plus two
 *           notifications (the seL4 sDDF model): asynchronous, batched
 *   lease   the client lends its buffer for one Call; the server copies
 *           it through the kernel (SYS_LEASE_COPY; the Hubris model)
 *   shared  a region both map, set up once: the client writes it, then
 *           a one-word Call says how much
 *
 * Which designs are built is the Meson option ipc_designs. */
#ifndef LIBSYS_XFER_H
#define LIBSYS_XFER_H

#include <stddef.h>
#include "sys.h"

#define XFER_MAX (64u << 10)   /* largest transfer */

/* What one side holds. The harness makes the objects and the shared
 * memory and starts the server; a design uses only what it needs. */
struct xfer_channel {
	cptr_t ep;          /* client: calls it; server: receives on it */
	cptr_t signal;      /* ring: the notification this side signals */
	cptr_t wait;        /* ring: the notification this side waits on */
	uint8_t *shm;       /* shared memory as this side sees it, zeroed */
	uint64_t shm_size;
};

typedef void (*xfer_consume_fn)(void *ctx, const uint8_t *data, uint64_t len);

struct xfer_design {
	const char *name;
	uint64_t shm_size;      /* shared memory it needs; 0: none */
	int uses_notifications;
	/* Client: move len (<= XFER_MAX) bytes. E_RANGE if too long. */
	enum err (*send)(struct xfer_channel *ch, const void *buf, uint64_t len);
	/* Client: return once the server consumed all sent (a synchronous
	 * design's send already waits; then NULL). */
	enum err (*flush)(struct xfer_channel *ch);
	/* Server: serve until the channel's objects go away. buf is its own
	 * memory of XFER_MAX bytes, for the designs that copy into it. */
	void (*serve)(struct xfer_channel *ch, uint8_t *buf, xfer_consume_fn consume, void *ctx);
};

/* The designs built in, NULL-terminated. */
extern const struct xfer_design *const xfer_designs[];

extern const struct xfer_design xfer_regs, xfer_ring, xfer_lease, xfer_shared;

/* Message labels the synchronous designs use. */
enum { XFER_MORE = 1, XFER_LAST };

#endif
