/* trace on [time|instret] | off | mark N | run CMD... | dump: the kernel's
 * IPC trace into the shell's trace object (`trace = yes`, TSLOT_TRACE; the
 * record format: include/abi/trace.h). `run` marks the trace with k before
 * the command and k | TRACE_MARK_END after it (k: 1 for the first run, 2..),
 * so that what the command made lies between, without the typing of it.
 * dump prints every record the ring still holds, one line each in hex,
 * for the host's tools/ipctrace.py. */
#include "shell.h"
#include "trace.h"

static int failed(enum err e)
{
	if (e == E_ILLEGAL_OPERATION)
		printf("trace: the kernel was built without tracing (meson -Dtrace=true)\n");
	else if (e == E_INVALID_CAPABILITY)
		printf("trace: this shell has no trace object (trace = yes in its description)\n");
	else
		printf("trace: %s\n", err_name(e));
	return 1;
}

static int print_record(const uint64_t w[TRACE_RECORD_WORDS], void *ctx)
{
	(void)ctx;
	printf("trace: r %llx %llx %llx %llx\n", (unsigned long long)w[0], (unsigned long long)w[1],
	       (unsigned long long)w[2], (unsigned long long)w[3]);
	return 0;
}

static int dump(void)
{
	uint64_t head = 0, r[MSG_MAX_WORDS];
	unsigned n = 0;
	enum err e = invoke(TSLOT_TRACE, TRACE_READ, 1, (uint64_t[]){ 0 }, r, &n);   /* the header's figures */
	if (e || n < 3)
		return failed(e ? e : E_INVALID_ARGUMENT);
	printf("trace: %llu records since the start, %llu written over\n", (unsigned long long)r[0],
	       (unsigned long long)r[1]);
	if ((e = trace_records(TSLOT_TRACE, 0, &head, print_record, 0)))
		return failed(e);
	printf("trace: end\n");
	return 0;
}

static int run(int argc, char **argv)
{
	static uint64_t runs;
	enum err e = INVOKE(TSLOT_TRACE, TRACE_MARK, ++runs);
	if (e)
		return failed(e);
	int status = run_command(argc, argv);
	fflush(stdout);
	INVOKE(TSLOT_TRACE, TRACE_MARK, runs | TRACE_MARK_END);
	return status;
}

int cmd_trace(int argc, char **argv)
{
	uint64_t v = 0;
	enum err e;
	if (argc >= 3 && !strcmp(argv[1], "run"))
		return run(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "on") && argc <= 3) {
		if (argc == 3 && strcmp(argv[2], "time") && strcmp(argv[2], "instret"))
			return printf("trace: on: the clock is time or instret\n"), 1;
		v = argc == 3 && !strcmp(argv[2], "instret") ? TRACE_CLOCK_INSTRET : TRACE_CLOCK_TIME;
		e = INVOKE(TSLOT_TRACE, TRACE_START, v);
	} else if (argc == 2 && !strcmp(argv[1], "off")) {
		e = INVOKE(TSLOT_TRACE, TRACE_STOP);
	} else if (argc == 3 && !strcmp(argv[1], "mark") && !parse_number(argv[2], &v)) {
		e = INVOKE(TSLOT_TRACE, TRACE_MARK, v);
	} else if (argc == 2 && !strcmp(argv[1], "dump")) {
		return dump();
	} else {
		printf("trace: usage: trace on [time|instret] | off | mark N | run CMD... | dump\n");
		return 1;
	}
	return e ? failed(e) : 0;
}
