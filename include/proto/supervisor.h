/* The supervisor's protocol (servers/init): the task list, kill, restart,
 * run, fault injection and power-off for the shell; exit, heartbeat
 * answers and reports of bad replies for every task. Every task holds a
 * cap to the supervisor badged with its task id, but only tasks whose
 * description says `calls = supervisor` may use the shell's part. Faults
 * of every task arrive at the same endpoint, with FAULT_BADGE set in the
 * badge. The supervisor never waits on a task it supervises: it answers
 * at once or later through a saved reply cap, and prints through the
 * kernel console, not the console server.
 *
 * Clients of a supervised server: a service's endpoint is the
 * supervisor's, made from its own memory, and every instance of the
 * server receives on the same one, so a client's cap stays good across
 * restarts. A call made while the server is dead or waiting out its
 * back-off (TASK_WAITING) blocks until the next instance receives it; a
 * call the dead instance had received ends with E_OBJECT_DELETED (ask
 * again). When no instance will come — the server is TASK_DOWN (failed
 * too often) or TASK_KILLED — the supervisor receives on that endpoint
 * itself and answers every caller E_DOWN, at once and then within 20 ms
 * of each later call. The policy and its description keys (heartbeat,
 * failures, window, backoff, reply_within): docs/system.md. */
#ifndef PROTO_SUPERVISOR_H
#define PROTO_SUPERVISOR_H

enum supervisor_label {
	SUP_TASK_INFO = 1,   /* mr0 index -> mr0 state (task_state), mr1 priority,
	                        mr2 restarts, mr3 pages, mr4..5 name, mr6 generation
	                        (1 for the first instance), mr7 last failure
	                        (task_failure), mr8 its time (ms since boot);
	                        E_RANGE past the end */
	SUP_KILL,            /* mr0..1 name -> E_NOT_FOUND if no such task */
	SUP_POWER_OFF,
	SUP_RUN,             /* mr0..1 name of a boot-image program (not mm or init:
	                        E_ILLEGAL_OPERATION): a described
	                        task with start = no, or a program outside the
	                        description, started with no capabilities but mm
	                        and this one -> mr0 how it ended (task_state),
	                        mr1 exit status or fault type, when it ends */
	SUP_EXIT,            /* mr0 status: the calling task ends (any task may) */
	SUP_AUDIT,           /* the capability matrix: every task's CSpace checked
	                        against its description, printed on the console
	                        -> mr0 breaches found */
	SUP_INJECT,          /* mr0..1 name, mr2 fault type (injected_fault in
	                        faultinj.h), mr3 count, mr4 seed: inject count faults
	                        of one type -> mr0 faults injected, mr1 address of the
	                        last, mr2 its old bits, mr3 its new bits */
	SUP_RESTART,         /* mr0..1 name: kill a described task and start it again
	                        (also one left dead, whose failure record is cleared);
	                        E_ILLEGAL_OPERATION for mm, init, start = no tasks */
	SUP_ALIVE,           /* sent (not called) by a task in answer to a heartbeat */
	SUP_REPORT,          /* mr0 service number, mr1 what was wrong (enum err
	                        seen): a client says a server it may call gave a
	                        reply that cannot be right; the server is restarted */
	SUP_INTERRUPT,       /* from the console server: the user pressed ^C. The
	                        program a SUP_RUN started is killed, and the shell's
	                        notification gets SUP_INTERRUPT_BADGE */
	SUP_GENERATION,      /* mr0 service number (one the caller may call) ->
	                        mr0 generation of its server's instance now (1 for
	                        the first), mr1 its state (task_state): what a
	                        client whose call ended E_OBJECT_DELETED asks */
	SUP_DEVICE_QUIET,    /* from the console server: mr0 mm's id of its device
	                        driver's instance, which has not come for the work
	                        it was woken for in mr1 ms (CONSOLE_DEV_QUIET_MS,
	                        include/proto/console.h). That instance is hung:
	                        restarted. E_NOT_FOUND if it is not the one running */
	SUP_CLIENT_RUNNING,  /* mr0 a client badge (CLIENT_BADGE) -> E_OK if that
	                        instance still runs, E_NOT_FOUND if it has ended:
	                        what a server asks when SUP_CLIENT_GONE_BADGE comes,
	                        to drop what it kept for clients that are gone */
};

enum task_state { TASK_RUNNING = 1, TASK_DEAD, TASK_KILLED, TASK_EXITED,
                  TASK_IDLE,      /* described with start = no, not run yet */
                  TASK_WAITING,   /* died; its restart waits out a back-off */
                  TASK_DOWN };    /* failed too often: left dead */

/* Why an instance ended, as SUP_TASK_INFO reports it. */
enum task_failure { FAIL_NONE, FAIL_CRASH, FAIL_HANG, FAIL_BAD_REPLY, FAIL_EXIT, FAIL_KILLED };

/* Bits the supervisor signals on a task's notification (TSLOT_NOTIFICATION):
 * a heartbeat the task answers with SUP_ALIVE, and ^C for the shell. */
#define SUP_HEARTBEAT_BADGE (1ULL << 62)
#define SUP_INTERRUPT_BADGE (1ULL << 61)
/* ... and, on a server's, that a task that could call it has ended. */
#define SUP_CLIENT_GONE_BADGE (1ULL << 60)

/* The badge a client's calls to a service carry: mm's id of the task in
 * the low bits, and which instance above them, so that a server never
 * takes a new task for one that died with the same id. */
#define CLIENT_BADGE(id, instance) ((uint64_t)(id) | (uint64_t)(instance) << 16)
#define CLIENT_TASK_ID(badge) ((badge) & 0xffff)

#endif
