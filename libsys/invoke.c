/* Calls to kernel objects and to servers alike: the first four arguments
 * travel in registers, the rest in the IPC buffer, and so do the results.
 * The error is the kernel's (a0) or, if the message went through, the
 * server's (the reply label). */
#include "sys.h"

static const char *const names[] = { ERROR_NAMES };

const char *err_name(uint64_t e)
{
	return e < E_COUNT ? names[e] : "unknown error";
}

static enum err call(cptr_t cap, msginfo_t info, unsigned nargs, const uint64_t *args, uint64_t *res,
		     unsigned *nres)
{
	uint64_t r[MSG_REG_COUNT] = { 0 };
	struct ipc_buffer *buf = __ipcbuf;
	if (nargs > MSG_MAX_WORDS)
		return E_INVALID_ARGUMENT;
	for (unsigned i = 0; i < nargs; i++) {
		if (i < MSG_REG_COUNT)
			r[i] = args[i];
		else
			buf->mr[i] = args[i];
	}
	struct sysret s = sys_call(cap, info | nargs, r[0], r[1], r[2], r[3]);
	unsigned n = MSGINFO_LEN(s.info);
	if (res) {
		for (unsigned i = 0; i < n; i++)
			res[i] = i < MSG_REG_COUNT ? s.mr[i] : buf->mr[i];
		if (nres)
			*nres = n;
	}
	/* kernel objects report in a0; servers answer with the error as label */
	return (enum err)(s.err ? s.err : MSGINFO_LABEL(s.info));
}

enum err invoke(cptr_t cap, uint64_t label, unsigned nargs, const uint64_t *args,
		uint64_t *res, unsigned *nres)
{
	return call(cap, MSGINFO(label, 0, 0), nargs, args, res, nres);
}

enum err invoke_lending(cptr_t cap, uint64_t label, unsigned nargs, const uint64_t *args, uint64_t *res,
			unsigned *nres, const void *base, uint64_t len, uint64_t rights)
{
	__ipcbuf->lease_base = (uint64_t)base;
	__ipcbuf->lease_len = len;
	__ipcbuf->lease_rights = rights;
	return call(cap, MSGINFO(label, 0, 0) | MSGINFO_LEASE, nargs, args, res, nres);
}
