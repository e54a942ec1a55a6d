/* The shell: an ordinary task with caps to the console, mm and the
 * supervisor, and nothing else. The console server edits the lines it
 * reads (input.c). */
#include "shell.h"
#include "../../include/proto/mm.h"
#include "../../include/proto/supervisor.h"

#define LINE_MAX 512
#define MAX_ARGS 16
#define CONSOLE_LINE 200


static int cmd_help(int argc, char **argv);

/* echo TEXT, echo TEXT > FILE, echo TEXT >> FILE */
static int cmd_echo(int argc, char **argv)
{
	char text[512];
	size_t n = 0;
	int redirect = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], ">") || !strcmp(argv[i], ">>")) {
			if (i + 2 != argc) {
				printf("usage: echo TEXT [> FILE | >> FILE]\n");
				return 1;
			}
			redirect = i;
			break;
		}
		n += (size_t)snprintf(text + n, sizeof text - n, "%s%s", i > 1 ? " " : "", argv[i]);
		if (n >= sizeof text - 1) {
			printf("echo: text too long\n");
			return 1;
		}
	}
	text[n++] = '\n';
	text[n] = 0;
	if (redirect)
		return write_text(argv[redirect + 1], text, argv[redirect][1] == '>');
	fputs(text, stdout);
	return 0;
}

static const char *state_name(uint64_t s)
{
	switch (s) {
	case TASK_RUNNING: return "running";
	case TASK_DEAD: return "dead";
	case TASK_KILLED: return "killed";
	case TASK_EXITED: return "exited";
	case TASK_IDLE: return "idle";
	case TASK_WAITING: return "waiting";
	case TASK_DOWN: return "down";
	default: return "?";
	}
}

static const char *failure_name(uint64_t f)
{
	static const char *const names[] = { "-", "crash", "hang", "bad-reply", "exit", "killed" };
	return f < sizeof names / sizeof names[0] ? names[f] : "?";
}

/* Every task; GEN is the instance (1: the first), LAST the way the
 * last one ended and when (ms since boot). */
static int cmd_ps(int argc, char **argv)
{
	(void)argc, (void)argv;
	uint64_t r[9];
	printf("%-15s %-8s %5s %6s %8s %4s %s\n", "NAME", "STATE", "PRIO", "PAGES", "RESTARTS", "GEN", "LAST");
	for (uint64_t i = 0;; i++) {
		enum err e = sup_task_info(i, r);
		if (e == E_RANGE)
			return 0;
		if (e) {
			printf("ps: %s\n", err_name(e));
			return 1;
		}
		char name[16], last[40];
		unpack_name(&r[4], name);
		if (r[7])
			snprintf(last, sizeof last, "%s@%llums", failure_name(r[7]), (unsigned long long)r[8]);
		else
			snprintf(last, sizeof last, "-");
		printf("%-15s %-8s %5llu %6llu %8llu %4llu %s\n", name, state_name(r[0]), (unsigned long long)r[1],
		       (unsigned long long)r[3], (unsigned long long)r[2], (unsigned long long)r[6], last);
	}
}

static int cmd_mem(int argc, char **argv)
{
	(void)argc, (void)argv;
	uint64_t r[4];
	enum err e = mm_stat(0, r);
	if (e) {
		printf("mem: %s\n", err_name(e));
		return 1;
	}
	printf("memory: %llu KiB free of %llu KiB (mm itself: %llu KiB)\n", (unsigned long long)r[0] * 4,
	       (unsigned long long)r[1] * 4, (unsigned long long)r[2] * 4);
	printf("%-15s %10s %10s\n", "TASK", "USED KiB", "QUOTA KiB");
	for (uint64_t id = 1; id < 64; id++) {
		e = mm_stat(id, r);
		if (e == E_RANGE)
			break;
		if (e)
			continue;
		char name[16];
		unpack_name(&r[2], name);
		printf("%-15s %10llu %10llu\n", name, (unsigned long long)r[0] * 4, (unsigned long long)r[1] * 4);
	}
	return 0;
}

/* rdinstret and rdtime from reset to our first prompt (OpenSBI included). */
static uint64_t first_prompt_instret, first_prompt_time;

/* Time since reset, and when the first prompt came: in instructions only
 * where rdinstret counts them (counters.c; under -icount an upper bound,
 * the boot's waits for the disk count too), by the clock only where rdtime
 * is not made of instructions. */
static int cmd_uptime(int argc, char **argv)
{
	(void)argc, (void)argv;
	uint64_t t = rdtime(), hz = libsys_timebase_hz, us = first_prompt_time * 1000000 / hz;
	int what = counters();
	printf("up %llu.%03llu s (%s; first prompt", (unsigned long long)(t / hz),
	       (unsigned long long)(t % hz * 1000 / hz), counters_name());
	if (what & COUNTS_WALL_TIME)
		printf(" at %llu.%03llu ms", (unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
	if (what & COUNTS_INSTRUCTIONS)
		printf(" after %s%llu instructions", instructions_bound(), (unsigned long long)first_prompt_instret);
	printf(")\n");
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Time N one-byte console writes (shell -> console server -> UART) in
 * instructions retired where rdinstret counts them (under QEMU's -icount
 * shift=0 exact, as nothing in a write waits), else in nanoseconds by
 * rdtime. */
static int cmd_conbench(int argc, char **argv)
{
	static uint64_t t[1000];
	uint64_t n;
	if (argc != 2 || parse_number(argv[1], &n) || n < 1 || n > 1000) {
		printf("conbench: usage: conbench N (1..1000)\n");
		return 1;
	}
	int instructions = counters() & COUNTS_INSTRUCTIONS;
	fflush(stdout);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t0 = instructions ? rdinstret() : rdtime();
		console_write(".", 1);
		t[i] = (instructions ? rdinstret() : rdtime()) - t0;
		if (!instructions)
			t[i] = t[i] * 1000000000 / libsys_timebase_hz;
	}
	qsort(t, n, sizeof t[0], cmp_u64);
	printf("\nconbench: %llu writes, median %llu min %llu max %llu %s (%s)\n", (unsigned long long)n,
	       (unsigned long long)t[n / 2], (unsigned long long)t[0], (unsigned long long)t[n - 1],
	       instructions ? "instructions" : "ns", counters_name());
	return 0;
}

/* A supervisor request about one task by name (kill). */
static int task_command(int argc, char **argv, enum err (*op)(const char *))
{
	if (argc != 2) {
		printf("%s: usage: %s NAME\n", argv[0], argv[0]);
		return 1;
	}
	enum err e = op(argv[1]);
	if (e == E_NOT_FOUND)
		printf("%s: %s: no such task\n", argv[0], argv[1]);
	else if (e)
		printf("%s: %s: %s\n", argv[0], argv[1], err_name(e));
	return e != E_OK;
}

static int cmd_kill(int argc, char **argv) { return task_command(argc, argv, sup_kill); }
static int cmd_restart(int argc, char **argv) { return task_command(argc, argv, sup_restart); }

int parse_number(const char *s, uint64_t *v)
{
	char *end;
	if (!*s || *s == '-')
		return -1;
	*v = strtoull(s, &end, 10);
	return *end ? -1 : 0;
}

static int cmd_audit(int argc, char **argv)
{
	uint64_t breaches;
	(void)argc, (void)argv;
	fflush(stdout);
	enum err e = sup_audit(&breaches);
	if (e)
		printf("audit: %s\n", err_name(e));
	return e || breaches;
}

static int cmd_sleep(int argc, char **argv)
{
	uint64_t ms;
	if (argc != 2 || parse_number(argv[1], &ms) || ms > 3600000) {
		printf("sleep: usage: sleep MS (0..3600000)\n");
		return 1;
	}
	enum err e;
	if (sleep_interruptible(ms, &e)) {
		printf("sleep: interrupted\n");
		return 1;
	}
	if (e)
		printf("sleep: %s\n", err_name(e));
	return e != E_OK;
}

static int cmd_run(int argc, char **argv)
{
	uint64_t how, status;
	if (argc != 2) {
		printf("run: usage: run PROGRAM\n");
		return 1;
	}
	fflush(stdout);
	enum err e = sup_run(argv[1], &how, &status);
	if (e == E_NOT_FOUND)
		printf("run: %s: no such program\n", argv[1]);
	else if (e == E_ILLEGAL_OPERATION)
		printf("run: %s: already part of the system\n", argv[1]);
	else if (e == E_IN_USE)
		printf("run: %s: already running\n", argv[1]);
	else if (e)
		printf("run: %s: %s\n", argv[1], err_name(e));
	else if (how == TASK_EXITED)
		printf("%s: exit status %lld (%s)\n", argv[1], (long long)status, err_name(status));
	else
		printf("%s: %s\n", argv[1], state_name(how));
	return e != E_OK;
}

/* Read BYTES bytes of raw input (no echo) and print their FNV-1a hash:
 * a check that bulk input arrives whole. */
static int cmd_sum(int argc, char **argv)
{
	uint64_t want, got = 0;
	uint32_t h = 0x811c9dc5;
	if (argc != 2 || parse_number(argv[1], &want) || want > (1u << 30)) {
		printf("sum: usage: sum BYTES\n");
		return 1;
	}
	fflush(stdout);
	while (got < want) {
		char buf[256];
		int64_t n = shell_read(0, buf, want - got < sizeof buf ? want - got : sizeof buf);
		if (n < 0) {
			printf("sum: %s\n", err_name((uint64_t)-n));
			break;
		}
		for (int64_t i = 0; i < n; i++)
			h = (h ^ (uint8_t)buf[i]) * 0x01000193;
		got += (uint64_t)n;
	}
	printf("sum: %llu bytes, fnv1a 0x%08lx\n", (unsigned long long)got, (unsigned long)h);
	return got != want;
}

/* Read one line as the console server cuts it, and print it back. */
static int cmd_read(int argc, char **argv)
{
	char buf[CONSOLE_LINE + 1];
	(void)argc, (void)argv;
	fflush(stdout);
	int64_t n = shell_read(1, buf, CONSOLE_LINE);
	if (n < 0) {
		printf("read: %s\n", err_name((uint64_t)-n));
		return 1;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = 0;
	printf("read: [%s]\n", buf);
	return 0;
}

static int cmd_poweroff(int argc, char **argv)
{
	(void)argc, (void)argv;
	fflush(stdout);
	enum err e = sup_power_off();
	printf("poweroff: %s\n", err_name(e));
	return 1;
}

static const struct command {
	const char *name, *help;
	int (*fn)(int, char **);
} commands[] = {
	{ "help", "list the commands", cmd_help },
	{ "echo", "echo TEXT [> FILE | >> FILE]: print TEXT, or write or append it", cmd_echo },
	{ "ps", "every task: name, state, priority, memory pages, restarts, generation, last failure", cmd_ps },
	{ "mem", "free memory, and memory used per task", cmd_mem },
	{ "uptime", "time since boot", cmd_uptime },
	{ "kill", "kill NAME: stop a task", cmd_kill },
	{ "restart", "restart NAME: kill a task of the system and start it again", cmd_restart },
	{ "audit", "the capability matrix: what each task could reach", cmd_audit },
	{ "inject", "inject NAME [TYPE [COUNT [SEED]]]: put faults into a task, as bugs would (docs/faults.md)",
	  cmd_inject },
	{ "sleep", "sleep MS: wait MS milliseconds", cmd_sleep },
	{ "run", "run PROGRAM: start a program of the boot image, wait for it", cmd_run },
	{ "conbench", "conbench N: time N one-byte console writes", cmd_conbench },
	{ "read", "read a line of input and print it", cmd_read },
	{ "sum", "sum BYTES: read BYTES bytes of input, print their FNV-1a hash", cmd_sum },
	{ "ls", "ls [-l] [PATH]: list a directory", cmd_ls },
	{ "cat", "cat FILE...: print files", cmd_cat },
	{ "write", "write FILE SIZE SEED: a file of SIZE bytes made from SEED", cmd_write },
	{ "cksum", "cksum FILE...: POSIX CRC and size", cmd_cksum },
	{ "cp", "cp SRC DST: copy a file", cmd_cp },
	{ "mv", "mv SRC DST: rename or move", cmd_mv },
	{ "rm", "rm FILE...: remove files", cmd_rm },
	{ "mkdir", "mkdir DIR...: make directories", cmd_mkdir },
	{ "rmdir", "rmdir DIR...: remove empty directories", cmd_rmdir },
	{ "stat", "stat PATH: inode, type, size, links", cmd_stat },
	{ "df", "free space on the disk", cmd_df },
	{ "sync", "write every changed block to the disk", cmd_sync },
	{ "cd", "cd [DIR]: change directory", cmd_cd },
	{ "pwd", "print the current directory", cmd_pwd },
	{ "poke", "poke FILE OFFSET TEXT: write TEXT at OFFSET", cmd_poke },
	{ "peek", "peek FILE OFFSET LEN: show LEN bytes at OFFSET in hex", cmd_peek },
	{ "fsbench", "fsbench BYTES: time a sequential write and read", cmd_fsbench },
	{ "trace", "trace on [time|instret] | off | mark N | dump: the kernel's IPC trace (docs/tracing.md)",
	  cmd_trace },
	{ "poweroff", "stop the machine", cmd_poweroff },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static int cmd_help(int argc, char **argv)
{
	(void)argc, (void)argv;
	for (unsigned i = 0; i < NCOMMANDS; i++)
		printf("  %-9s %s\n", commands[i].name, commands[i].help);
	return 0;
}

static void execute(char *line)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;
	for (char *p = strtok(line, " \t"); p; p = strtok(NULL, " \t")) {
		if (argc == MAX_ARGS) {
			printf("sh: too many arguments (at most %d)\n", MAX_ARGS);
			return;
		}
		argv[argc++] = p;
	}
	argv[argc] = NULL;
	if (argc)
		run_command(argc, argv);
}

int run_command(int argc, char **argv)
{
	for (unsigned i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[0], commands[i].name))
			return commands[i].fn(argc, argv);
	printf("sh: %s: unknown command (try help)\n", argv[0]);
	return 1;
}

/* Read a command line: the console server echoes and edits it (backspace;
 * ^C drops it and gives a new prompt; ^D means nothing, this being the
 * only console). A read that keeps failing is reported, then the line is
 * empty: the shell never ends for want of input. A line too long for the
 * buffer is not run at all, rather than run cut short. */
static int ends_line(const char *buf, int64_t n) { return n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'); }

static void read_line(char *buf)
{
	int64_t n = 0, got;
	do {   /* a message carries less than a line may hold */
		got = shell_read(1, buf + n, (uint64_t)(LINE_MAX - 1 - n));
		n += got > 0 ? got : 0;
	} while (got > 0 && !ends_line(buf, n) && n < LINE_MAX - 1);
	if (got < 0 && got != -(int64_t)E_INTERRUPTED)
		printf("sh: console: %s\n", err_name((uint64_t)-got));
	if (got < 0)
		n = 0;
	if (n == LINE_MAX - 1 && !ends_line(buf, n)) {
		int64_t total = n;
		do {   /* the rest of the line, up to its end, goes unread */
			got = shell_read(1, buf, LINE_MAX - 1);
			total += got > 0 ? got : 0;
		} while (got > 0 && !ends_line(buf, got));
		printf("sh: a line of %lld characters is longer than %d: not run\n", (long long)total - 1,
		       LINE_MAX - 2);
		n = 0;
	}
	while (ends_line(buf, n))
		n--;
	buf[n] = 0;
}

int main(uint64_t id)
{
	(void)id;
	static char line[LINE_MAX];
	if (!task.console)
		return 1;   /* nothing to talk through */
	printf("\nk4 shell. Type help for the commands.\n");
	first_prompt_instret = rdinstret();
	first_prompt_time = rdtime();
	for (;;) {
		printf("k4$ ");
		fflush(stdout);
		read_line(line);
		execute(line);
		fflush(stdout);
	}
}
