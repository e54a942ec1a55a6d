/* Design (a): synchronous IPC. Each Call carries a byte count in mr0 and
 * up to 63 words of data in mr1..; the kernel copies the words from the
 * client's registers and IPC buffer to the server's. The server gathers
 * the pieces in its buffer and consumes them on the last. */
#include <string.h>
#include "xfer.h"

#define CHUNK ((MSG_MAX_WORDS - 1) * 8)

static enum err regs_send(struct xfer_channel *ch, const void *buf, uint64_t len)
{
	const uint8_t *p = buf;
	uint64_t *mr = __ipcbuf->mr;
	if (len > XFER_MAX)
		return E_RANGE;
	do {
		uint64_t n = len < CHUNK ? len : CHUNK, words = 1 + (n + 7) / 8;
		memcpy(&mr[1], p, n);
		struct sysret r = sys_call(ch->ep, MSGINFO(n == len ? XFER_LAST : XFER_MORE, 0, words),
					   n, mr[1], mr[2], mr[3]);
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
		uint64_t n = r.mr[0], label = MSGINFO_LABEL(r.info);
		enum err e = E_OK;
		if ((label != XFER_MORE && label != XFER_LAST) || n > CHUNK ||
		    MSGINFO_LEN(r.info) < 1 + (n + 7) / 8 || have + n > XFER_MAX) {
			e = E_INVALID_ARGUMENT;
			have = 0;
		} else {
			mr[1] = r.mr[1], mr[2] = r.mr[2], mr[3] = r.mr[3];
			memcpy(buf + have, &mr[1], n);
			have += n;
			if (label == XFER_LAST) {
				consume(ctx, buf, have);
				have = 0;
			}
		}
		r = sys_replyrecv(ch->ep, MSGINFO(e, 0, 0), 0, 0, 0, 0);
	}
}

const struct xfer_design xfer_regs = { "regs", 0, 0, regs_send, NULL, regs_serve };
