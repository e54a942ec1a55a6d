/* A client/server pair for one IPC design (libsys/xfer): we are the
 * client; the server runs the design's serve loop in a thread with an
 * address space of its own. Shared by the tests and the benchmark. */
#ifndef TESTS_XFER_ENV_H
#define TESTS_XFER_ENV_H

#include "env.h"
#include "xfer.h"

struct xfer_pair {
	const struct xfer_design *d;
	struct xfer_channel client, server;
	xfer_consume_fn consume;
	void *ctx;
	uint8_t *server_buf;
	struct child child;
};

/* Make the design's objects and shared memory, start the server at prio
 * and let it reach its first wait. p must outlive the server (static). */
void xfer_start(struct xfer_pair *p, const struct xfer_design *d, xfer_consume_fn consume, void *ctx,
		uint64_t prio);

#endif
