/* Design (c): leases. The client lends its buffer, read-only, for one
 * Call; the server copies it into its own buffer through the kernel, at
 * most LEASE_COPY_MAX bytes a SYS_LEASE_COPY, and replies when done. One
 * copy, no shared mapping, nothing to tear down. */
#include "xfer.h"

static enum err lease_send(struct xfer_channel *ch, const void *buf, uint64_t len)
{
	if (len > XFER_MAX)
		return E_RANGE;
	__ipcbuf->lease_base = (uint64_t)buf;
	__ipcbuf->lease_len = len;
	__ipcbuf->lease_rights = RIGHT_READ;
	struct sysret r = sys_call(ch->ep, MSGINFO(XFER_LAST, 0, 1) | (len ? MSGINFO_LEASE : 0), len, 0, 0, 0);
	return r.err ? (enum err)r.err : (enum err)MSGINFO_LABEL(r.info);
}

static enum err copy_in(uint8_t *buf, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += LEASE_COPY_MAX) {
		uint64_t n = len - off < LEASE_COPY_MAX ? len - off : LEASE_COPY_MAX;
		enum err e = sys_lease_copy(0, LEASE_READ, off, buf + off, n);
		if (e)
			return e;
	}
	return E_OK;
}

static void lease_serve(struct xfer_channel *ch, uint8_t *buf, xfer_consume_fn consume, void *ctx)
{
	struct sysret r = sys_recv(ch->ep);
	while (!r.err) {
		uint64_t len = r.mr[0];
		enum err e = E_OK;
		if (len && (!(r.info & MSGINFO_LEASE) || __ipcbuf->lease_len != len || len > XFER_MAX))
			e = E_INVALID_ARGUMENT;
		else if (len)
			e = copy_in(buf, len);
		if (!e)
			consume(ctx, buf, len);
		r = sys_replyrecv(ch->ep, MSGINFO(e, 0, 0), 0, 0, 0, 0);
	}
}

const struct xfer_design xfer_lease = { "lease", 0, 0, lease_send, NULL, lease_serve };
