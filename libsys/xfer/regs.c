/* Design (a): synchronous IPC. Each Call carries up to 64 words of data
 * in its message registers, the byte count and whether more follows in
 * its label; the kernel copies the words from the client's registers and
 * IPC buffer to the server's. Up to 32 bytes fit in the four registers
 * (the fastpath's case). The server gathers the pieces in its buffer and
 * consumes them on the last. */
#include <string.h>
#include "xfer.h"

#define CHUNK (MSG_MAX_WORDS * 8)
#define LABEL(kind, n) ((n) << 2 | (kind))

static enum err regs_send(struct xfer_channel *ch, const void *buf, uint64_t len)
{
	const uint8_t *p = buf;
	uint64_t *mr = __ipcbuf->mr;
	if (len > XFER_MAX)
		return E_RANGE;
	do {
		uint64_t n = len < CHUNK ? len : CHUNK, words = (n + 7) / 8;
		memcpy(mr, p, n);
		struct sysret r = sys_call(ch->ep, MSGINFO(LABEL(n == len ? XFER_LAST : XFER_MORE, n), 0, words),
					   mr[0], mr[1], mr[2], mr[3]);
		if (r.err || MSGINFO_LABEL(r.info))
			return r.err ? (enum err)r.err : (enum err)MSGINFO_LABEL(r.info);
		p += n, len -= n;
	} while (len);
	return E_OK;
}

static void regs_serve(struct xfer_channel *ch, uint8_t *buf, xfer_consume_fn consume, void *ctx)
{
	uint64_t *mr = __ipcbuf->mr, have = 0;
	struct sysret r = sys_recv(ch->ep);
	while (!r.err) {
		uint64_t n = MSGINFO_LABEL(r.info) >> 2, kind = MSGINFO_LABEL(r.info) & 3;
		enum err e = E_OK;
		if ((kind != XFER_MORE && kind != XFER_LAST) || n > CHUNK ||
		    MSGINFO_LEN(r.info) < (n + 7) / 8 || have + n > XFER_MAX) {
			e = E_INVALID_ARGUMENT;
			have = 0;
		} else {
			mr[0] = r.mr[0], mr[1] = r.mr[1], mr[2] = r.mr[2], mr[3] = r.mr[3];
			memcpy(buf + have, mr, n);
			have += n;
			if (kind == XFER_LAST) {
				consume(ctx, buf, have);
				have = 0;
			}
		}
		r = sys_replyrecv(ch->ep, MSGINFO(e, 0, 0), 0, 0, 0, 0);
	}
}

const struct xfer_design xfer_regs = { "regs", 0, 0, regs_send, NULL, regs_serve };
