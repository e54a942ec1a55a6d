/* See xfer_env.h. The server's space maps our image and every page made
 * so far (child_start_cross_as), so the shared region is mapped there at
 * the same address; the design uses it only through its channel. */
#include <string.h>
#include "xfer_env.h"

static void *pages(uint64_t bytes)
{
	uint64_t n = (bytes + 4095) / 4096, va = new_vaddr(n);
	for (uint64_t i = 0; i < n; i++)
		CHECK_OK(map_frame(make(OBJ_FRAME, 0), SLOT_VSPACE, va + i * 4096, RIGHT_READ | RIGHT_WRITE));
	memset((void *)va, 0, n * 4096);
	return (void *)va;
}

static void server_main(uint64_t arg)
{
	struct xfer_pair *p = (struct xfer_pair *)arg;
	p->d->serve(&p->server, p->server_buf, p->consume, p->ctx);
}

void xfer_start(struct xfer_pair *p, const struct xfer_design *d, xfer_consume_fn consume, void *ctx,
		uint64_t prio)
{
	cptr_t ep = make(OBJ_ENDPOINT, 0), to_server = make(OBJ_NOTIFICATION, 0);
	cptr_t to_client = make(OBJ_NOTIFICATION, 0);
	uint8_t *shm = d->shm_size ? pages(d->shm_size) : NULL;
	p->d = d;
	p->consume = consume;
	p->ctx = ctx;
	p->server_buf = pages(XFER_MAX);
	p->client = (struct xfer_channel){ ep, to_server, to_client, shm, d->shm_size };
	p->server = (struct xfer_channel){ ep, to_client, to_server, shm, d->shm_size };
	child_start_cross_as(&p->child, server_main, (uint64_t)p, prio, 0);
	sys_yield();
}
