/* The kernel's IPC trace, for the holder of a trace object (`trace = yes`,
 * TSLOT_TRACE; docs/tracing.md): TRACE_START, TRACE_STOP and TRACE_MARK are
 * plain invocations; this reads records back. */
#ifndef LIBSYS_TRACE_H
#define LIBSYS_TRACE_H

#include "sys.h"
#include "../include/abi/trace.h"

typedef int (*trace_each_fn)(const uint64_t w[TRACE_RECORD_WORDS], void *ctx);   /* 0: go on */

/* Every record from `first` (or the oldest the ring still holds) to the
 * last, in order, to each() until it says stop; *head: the records
 * written since the start. */
enum err trace_records(cptr_t ring, uint64_t first, uint64_t *head, trace_each_fn each, void *ctx);

#endif
