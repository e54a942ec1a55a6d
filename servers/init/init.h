/* The supervisor: builds the system from its description (build.c), then
 * watches it and answers the shell (main.c). A task that fails goes
 * through the restart policy (policy.c); init's own timer (clock.c) wakes
 * it for back-offs and heartbeats (heartbeat.c); the clients of a service
 * left dead are answered E_DOWN (down.c). */
#ifndef INIT_INIT_H
#define INIT_INIT_H

#include <stdio.h>
#include <string.h>
#include "task.h"
#include "sysdesc_types.h"
#include "../../include/proto/mm.h"
#include "../../include/proto/supervisor.h"

#define MAX_STASKS 32
#define FAIL_HISTORY 33   /* one more than the largest `failures` sysdesc.py allows */

struct stask {
	char name[16];
	const struct task_desc *desc;   /* NULL: started by SUP_RUN */
	uint64_t id;                    /* mm's task id */
	uint64_t prio, restarts, status;
	int state;                      /* enum task_state */
	int by_run;                     /* this instance was started by SUP_RUN */
	cptr_t tcb, cnode, ntfn;
	cptr_t service;                 /* ours, from our memory: outlives instances */
	cptr_t beat;                    /* its notification, badged SUP_HEARTBEAT_BADGE */
	uint64_t client_badge;          /* this instance's badge on the services it calls */
	cptr_t waiter;                  /* saved reply cap of a SUP_RUN caller */
	uint64_t generation;            /* 1 for the first instance */
	uint64_t started_ms;
	int failure;                    /* enum task_failure of the last end */
	uint64_t failed_ms;             /* when, ms since boot */
	uint64_t fail_times[FAIL_HISTORY];   /* a ring of failure times */
	unsigned nfails, streak;        /* failures recorded; short-lived ones in a row */
	uint64_t restart_ms;            /* TASK_WAITING: when the back-off ends */
	uint64_t next_beat_ms, missed_ms;
	unsigned unanswered;            /* heartbeats sent since the last SUP_ALIVE */
	uint64_t missed_ticks;          /* its CPU ticks at the first unanswered beat */
	uint64_t mark_ticks[2], mark_calls[2], mark_ms[2];   /* CPU ticks and Calls at its last two beats */
	uint64_t call_mark, call_since_ms;    /* the Call it was found blocked in, since when */
	uint64_t starved_ms;            /* found starved since (0: it is not) */
};
extern struct stask stasks[MAX_STASKS];
extern unsigned nstasks;

/* build.c */
enum err build_system(void);
enum err start_described(struct stask *s);
enum err start_task(struct stask *s, const char *program, uint64_t quota, uint64_t stack, int dma);
struct stask *stask_by_id(uint64_t id);
struct stask *stask_by_name(const char *name);
struct stask *server_of(int svc);
void end_task(struct stask *s, int how, uint64_t status);
enum err own_object(uint64_t type, cptr_t *slot);   /* made from our memory */

/* main.c */
enum err signal_task(struct stask *s, uint64_t badge);   /* on its notification */

/* policy.c: what happens when a task fails */
void task_failed(struct stask *s, int failure);
enum err restart_now(struct stask *s);
void policy_tick(uint64_t now);
uint64_t policy_next(void);

/* heartbeat.c */
void heartbeat_start(struct stask *s);
void heartbeat_alive(struct stask *s);
enum err heartbeat_device_quiet(uint64_t id, uint64_t ms);
void heartbeat_tick(uint64_t now);
uint64_t heartbeat_next(void);

/* down.c */
#define DOWN_POLL_MS 20   /* callers of a service left dead wait at most this long */
void down_answer(void);
int down_any(void);

/* clock.c: init's own timer, on the notification bound to its thread */
enum err clock_init(void);
uint64_t now_ms(void);
void clock_arm(uint64_t when_ms);
#define NEVER (~0ULL)

/* inject.c: SUP_INJECT (mr0..1 name, mr2 type, mr3 count, mr4 seed -> res),
 * and a breakpoint fault at pc: 1 if an injection armed it (the task goes
 * on, executing the fault). */
enum err inject_faults(struct stask *t, const uint64_t *mr, uint64_t res[4]);
int inject_on_breakpoint(struct stask *t, uint64_t pc);

uint64_t audit_all(void);

#endif
