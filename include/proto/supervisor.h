/* The supervisor's protocol (servers/init): the task list, kill, run and
 * power-off for the shell, exit for every task. Every task holds a cap to
 * the supervisor badged with its task id, but only tasks whose description
 * says `calls = supervisor` may use more than SUP_EXIT. Faults of every
 * task arrive at the same endpoint, with FAULT_BADGE set in the badge. */
#ifndef PROTO_SUPERVISOR_H
#define PROTO_SUPERVISOR_H

enum supervisor_label {
	SUP_TASK_INFO = 1,   /* mr0 index -> mr0 state (task_state), mr1 priority,
	                        mr2 restarts, mr3 pages, mr4..5 name; E_RANGE at the end */
	SUP_KILL,            /* mr0..1 name -> E_NOT_FOUND if no such task */
	SUP_POWER_OFF,
	SUP_RUN,             /* mr0..1 name of a boot-image program that is not in
	                        the description: started with no capabilities but mm
	                        and this one -> mr0 how it ended (task_state),
	                        mr1 exit status or fault type, when it ends */
	SUP_EXIT,            /* mr0 status: the calling task ends (any task may) */
	SUP_AUDIT,           /* the capability matrix: every task's CSpace checked
	                        against its description, printed on the console
	                        -> mr0 breaches found */
	SUP_INJECT,          /* mr0..1 name: fault injection. The task is made to jump
	                        to address 0, so it faults as a bug would; a described
	                        task is then restarted (at most MAX_RESTARTS times) */
};

enum task_state { TASK_RUNNING = 1, TASK_DEAD, TASK_KILLED, TASK_EXITED,
                  TASK_IDLE };   /* described with start = no, not run yet */

#endif
