/* The supervisor: builds the system from its description (build.c), then
 * watches it and answers the shell (main.c). */
#ifndef INIT_INIT_H
#define INIT_INIT_H

#include <stdio.h>
#include <string.h>
#include "task.h"
#include "sysdesc_types.h"
#include "../../include/proto/mm.h"
#include "../../include/proto/supervisor.h"

#define MAX_STASKS 32

struct stask {
	char name[16];
	const struct task_desc *desc;   /* NULL: started by SUP_RUN */
	uint64_t id;                    /* mm's task id */
	uint64_t prio, restarts, status;
	int state;                      /* enum task_state */
	cptr_t tcb, cnode, service, ntfn;
	cptr_t waiter;                  /* saved reply cap of a SUP_RUN caller */
};
extern struct stask stasks[MAX_STASKS];
extern unsigned nstasks;

enum err build_system(void);
enum err restart_task(struct stask *s);
enum err start_described(struct stask *s);
uint64_t audit_all(void);
#define MAX_RESTARTS 3   /* a task that keeps dying is left dead */
enum err start_task(struct stask *s, const char *program, uint64_t quota, uint64_t stack, int dma);
struct stask *stask_by_id(uint64_t id);
struct stask *stask_by_name(const char *name);
/* inject.c: SUP_INJECT (mr0..1 name, mr2 type, mr3 count, mr4 seed -> res),
 * and a breakpoint fault at pc: 1 if an injection armed it (the task goes
 * on, executing the fault). */
enum err inject_faults(struct stask *t, const uint64_t *mr, uint64_t res[4]);
int inject_on_breakpoint(struct stask *t, uint64_t pc);

#endif
