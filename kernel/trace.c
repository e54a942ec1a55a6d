/* The IPC trace (abi/trace.h), built with -Dtrace=true: a ring of records
 * in a trace object the holder made from its own untyped, so tracing takes
 * no kernel memory. One ring records at a time; deleting its object stops
 * it. Recording is a store of four words; everything else (names of
 * tasks, pairing a Call with its reply, drawing) is the host's work. */
#include "kernel.h"

#ifdef CONFIG_TRACE
struct trace_state trace;

void trace_name(const struct tcb *t)
{
	uint64_t lo, hi = 0;
	memcpy(&lo, t->name, 8);
	memcpy(&hi, t->name + 8, 7);
	trace_record(lo, TR_NAME | hi << 8, t->tid);
}

/* Records from `first` on, or from the oldest the ring still holds. */
static enum err trace_read(uint64_t *mr, uint64_t *nret)
{
	uint64_t first = mr[0], n = 0;
	if (first > trace.head)
		return E_RANGE;
	if (first + TRACE_RECORDS < trace.head)
		first = trace.head - TRACE_RECORDS;
	uint64_t out[3 + TRACE_READ_MAX * TRACE_RECORD_WORDS];
	for (; n < TRACE_READ_MAX && first + n < trace.head; n++)
		memcpy(&out[3 + n * TRACE_RECORD_WORDS],
		       &trace.ring[((first + n) % TRACE_RECORDS) * TRACE_RECORD_WORDS], 8 * TRACE_RECORD_WORDS);
	out[0] = trace.head;
	out[1] = first;
	out[2] = n;
	*nret = 3 + n * TRACE_RECORD_WORDS;
	memcpy(mr, out, 8 * *nret);
	return E_OK;
}

enum err trace_invoke(struct cte *slot, uint64_t label, uint64_t *mr, uint64_t *nret)
{
	uint64_t *ring = (uint64_t *)slot->cap.obj;
	int ours = trace.ring == ring;
	switch (label) {
	case TRACE_START:
		if (mr[0] != TRACE_CLOCK_TIME && mr[0] != TRACE_CLOCK_INSTRET)
			return E_INVALID_ARGUMENT;
		trace.on = 0;
		trace.ring = ring;
		trace.head = 0;
		trace.clock = (uint8_t)mr[0];
		for (const struct tcb *t = tcb_first(); t; t = t->all_next)
			trace_name(t);
		trace.on = 1;
		return E_OK;
	case TRACE_STOP:
		if (ours)
			trace.on = 0;
		return E_OK;
	case TRACE_READ:
		return ours ? trace_read(mr, nret) : E_RANGE;
	case TRACE_MARK:
		if (ours && trace.on)
			trace_record(0, TR_MARK | (uint64_t)(uint32_t)mr[0] << 32, current->tid);
		return E_OK;
	default:
		return E_ILLEGAL_OPERATION;
	}
}

/* Its object goes: no record may land in memory retyped for something else. */
void trace_finalize(void *obj)
{
	if (trace.ring == obj) {
		trace.on = 0;
		trace.ring = NULL;
	}
}
#else
enum err trace_invoke(struct cte *slot, uint64_t label, uint64_t *mr, uint64_t *nret)
{
	(void)slot, (void)label, (void)mr, (void)nret;
	return E_ILLEGAL_OPERATION;   /* built without -Dtrace=true */
}

void trace_finalize(void *obj) { (void)obj; }
#endif
