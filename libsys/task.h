/* What a program started by the system finds at startup (abi/process.h):
 * the caps of the services it may call, probed once by crt0. Zero means
 * "not given" (for the root task, or a task not allowed to call it). */
#ifndef LIBSYS_TASK_H
#define LIBSYS_TASK_H

#include "sys.h"
#include "../include/abi/process.h"

struct task_caps {
	cptr_t mm, console, supervisor, timer, notification;
	cptr_t system;       /* the system cap, if we hold it: power-off, kernel console */
	uint64_t id;         /* task id given by mm (0 for the root task) */
};
extern struct task_caps task;

void task_probe(uint64_t id);
int slot_holds(cptr_t slot, int type);

/* A slot of our own CNode that holds nothing, or 0 if none is left. */
cptr_t slot_alloc(void);
void slot_free(cptr_t slot);

/* Client wrappers. */
enum err console_write(const void *buf, uint64_t len);
int64_t console_read(void *buf, uint64_t max);       /* bytes, or -error */
int64_t console_read_line(void *buf, uint64_t max);  /* through the newline */
int64_t input_line(char *buf, uint64_t max);         /* the same, after stdin's buffer */
enum err sleep_ms(uint64_t ms);

/* Client wrappers for mm and the supervisor (include/proto/). Names are at
 * most 15 characters. */
enum err mm_stat(uint64_t id, uint64_t res[4]);
enum err sup_task_info(uint64_t index, uint64_t res[9]);   /* as SUP_TASK_INFO's mr0..8 */
enum err sup_kill(const char *name);
enum err sup_run(const char *name, uint64_t *how, uint64_t *status);
enum err sup_power_off(void);
enum err sup_restart(const char *name);
/* type: injected_fault (proto/faultinj.h); count 0: the task's figures
 * (res: injected, activated, armed); else res: injected, the last one's
 * address, old and new bits. */
enum err sup_inject(const char *name, uint64_t type, uint64_t count, uint64_t seed, uint64_t res[4]);
enum err sup_audit(uint64_t *breaches);
/* start.c: rdtime() ticks per second, as mm told us */
extern uint64_t libsys_timebase_hz;
/* heartbeat.c: answer a heartbeat (a Recv woke with SUP_HEARTBEAT_BADGE). */
void heartbeat_answer(void);
void pack_name(const char *s, uint64_t w[2]);
void unpack_name(const uint64_t w[2], char out[16]);

#endif
