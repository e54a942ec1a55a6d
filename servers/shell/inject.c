/* inject NAME [TYPE [COUNT [SEED]]]: faults of one type put into a running
 * task by the supervisor (SUP_INJECT; the types: docs/faults.md). TYPE is
 * crash by default (a jump to 0, as `inject NAME` always did), COUNT 1,
 * SEED from the clock; the supervisor logs every injection with its seed,
 * so a run can be repeated. COUNT 0 shows the task's figures instead. */
#include "shell.h"
#include "../../include/proto/faultinj.h"

static const char *const type_names[FT_COUNT] = { FAULT_TYPE_NAMES };

static int usage(void)
{
	printf("inject: usage: inject NAME [TYPE [COUNT [SEED]]] (COUNT 1..64, 0: the figures)\n"
	       "inject: TYPE is one of");
	for (int t = FT_FLIP; t < FT_COUNT; t++)
		printf(" %s", type_names[t]);
	printf("\n");
	return 1;
}

static int type_by_name(const char *s)
{
	for (int t = FT_FLIP; t < FT_COUNT; t++)
		if (!strcmp(s, type_names[t]))
			return t;
	return 0;
}

static void explain(const char *name, enum err e)
{
	if (e == E_NOT_FOUND)
		printf("inject: %s: no such task\n", name);
	else if (e == E_NO_RIGHTS)
		printf("inject: %s: out of the injector's reach (no rights)\n", name);
	else if (e == E_NO_MAPPING)
		printf("inject: %s: nothing of that kind to inject into\n", name);
	else
		printf("inject: %s: %s\n", name, err_name(e));
}

int cmd_inject(int argc, char **argv)
{
	uint64_t count = 1, seed = rdtime(), res[4];
	int type = argc > 2 ? type_by_name(argv[2]) : FT_CRASH;
	if (argc < 2 || argc > 5 || !type || (argc > 3 && parse_number(argv[3], &count)) ||
	    (argc > 4 && parse_number(argv[4], &seed)))
		return usage();
	fflush(stdout);
	enum err e = sup_inject(argv[1], (uint64_t)type, count, seed, res);
	if (e) {
		explain(argv[1], e);
		return 1;
	}
	if (count == 0)
		printf("inject: %s: %llu injected, %llu activated, %llu armed\n", argv[1], (unsigned long long)res[0],
		       (unsigned long long)res[1], (unsigned long long)res[2]);
	else if (res[0] < count)
		printf("inject: %s: only %llu places for %s faults\n", argv[1], (unsigned long long)res[0], argv[2]);
	return 0;
}
