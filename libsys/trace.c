/* Reading a trace object (include/abi/trace.h) with TRACE_READ. */
#include "trace.h"

enum err trace_records(cptr_t ring, uint64_t first, uint64_t *head, trace_each_fn each, void *ctx)
{
	uint64_t r[MSG_MAX_WORDS];
	unsigned n = 0;
	enum err e = invoke(ring, TRACE_READ, 1, &first, r, &n);
	if (e || n < 3)
		return e ? e : E_INVALID_ARGUMENT;
	*head = r[0];
	for (uint64_t at = r[1] > first ? r[1] : first; at < *head; at = r[1] + r[2]) {
		if ((e = invoke(ring, TRACE_READ, 1, &at, r, &n)))
			return e;
		if (r[2] == 0 || n < 3 + r[2] * TRACE_RECORD_WORDS)
			return E_INVALID_ARGUMENT;
		for (uint64_t k = 0; k < r[2]; k++)
			if (each(&r[3 + k * TRACE_RECORD_WORDS], ctx))
				return E_OK;
	}
	return E_OK;
}
