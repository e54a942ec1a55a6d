/* Client wrappers for the memory manager and the supervisor. */
#include <string.h>
#include "task.h"
#include "../include/proto/mm.h"
#include "../include/proto/supervisor.h"
#include "../include/proto/faultinj.h"

void pack_name(const char *s, uint64_t w[2])
{
	char buf[16] = { 0 };
	strncpy(buf, s, 15);
	memcpy(w, buf, 16);
}

void unpack_name(const uint64_t w[2], char out[16])
{
	memcpy(out, w, 16);
	out[15] = 0;
}

/* A server call that must answer with at least `want` words. */
static enum err call(cptr_t cap, uint64_t label, unsigned nargs, const uint64_t *args, uint64_t *res,
		     unsigned want)
{
	uint64_t r[MSG_MAX_WORDS];
	unsigned n = 0;
	enum err e = invoke(cap, label, nargs, args, r, &n);
	if (!e && n < want)
		e = E_INVALID_ARGUMENT;   /* a reply too short to trust */
	if (!e)
		memcpy(res, r, want * sizeof *r);
	return e;
}

enum err mm_stat(uint64_t id, uint64_t res[4])
{
	return call(task.mm, MM_STAT, 1, &id, res, 4);
}

enum err sup_task_info(uint64_t index, uint64_t res[9])
{
	return call(task.supervisor, SUP_TASK_INFO, 1, &index, res, 9);
}

enum err sup_kill(const char *name)
{
	uint64_t w[2];
	pack_name(name, w);
	return invoke(task.supervisor, SUP_KILL, 2, w, 0, 0);
}

enum err sup_run(const char *name, uint64_t *how, uint64_t *status)
{
	uint64_t w[2], r[2];
	pack_name(name, w);
	enum err e = call(task.supervisor, SUP_RUN, 2, w, r, 2);
	*how = r[0];
	*status = r[1];
	return e;
}

enum err sup_inject(const char *name, uint64_t type, uint64_t count, uint64_t seed, uint64_t res[4])
{
	uint64_t a[5] = { 0, 0, type, count, seed };
	pack_name(name, a);
	return call(task.supervisor, SUP_INJECT, 5, a, res, 4);
}

enum err sup_restart(const char *name)
{
	uint64_t w[2];
	pack_name(name, w);
	return invoke(task.supervisor, SUP_RESTART, 2, w, 0, 0);
}

enum err sup_audit(uint64_t *breaches)
{
	return call(task.supervisor, SUP_AUDIT, 0, 0, breaches, 1);
}

enum err sup_power_off(void)
{
	return INVOKE0(task.supervisor, SUP_POWER_OFF);
}
