/* Random invocations from a thread with a CSpace of its own: whatever it
 * does to itself, the kernel must stay up and consistent. (The full
 * fuzzer with its own campaign tool comes later; this is the smoke test.) */
#include "harness.h"

#define FUZZ_ROUNDS 100
#define FUZZ_CALLS 1000
#define FUZZ_SLOTS 32
#define FUZZ_CNODE_BITS 8

static volatile uint64_t fuzz_calls, fuzz_errors;

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t random_arg(uint64_t *s)
{
	static const uint64_t special[] = {
		0, 1, 2, 3, 4, 5, 8, 12, 16, 21, 64, 255, 256, 4095, 4096, 0x48000000, 0x3fffffffff,
		USER_TOP, 0xFFFFFFC080200000ULL, ~0ULL, 1ULL << 63, 0x1000, 0x200000,
	};
	uint64_t r = rng(s);
	switch (r % 4) {
	case 0: return special[(r >> 8) % (sizeof special / sizeof special[0])];
	case 1: return (r >> 8) % FUZZ_SLOTS;
	case 2: return (r >> 8) % 64;
	default: return rng(s);
	}
}

/* Runs in its own CSpace: slot 2 is its CNode, the rest a random mix. */
static void fuzzer(uint64_t seed)
{
	uint64_t s = seed | 1, args[8];
	for (int i = 0; i < FUZZ_CALLS; i++) {
		cptr_t cap = rng(&s) % FUZZ_SLOTS;
		uint64_t label = rng(&s) % (INV_COUNT + 2), n = rng(&s) % 8, info[6];
		unsigned got = 0;
		for (unsigned j = 0; j < 8; j++)
			args[j] = random_arg(&s);
		/* never block forever: endpoints only get the non-blocking calls */
		int is_ep = invoke(2, CNODE_INFO, 1, (uint64_t[]){ cap }, info, &got) == E_OK &&
			    got && info[0] == OBJ_ENDPOINT;
		uint64_t e;
		switch (rng(&s) % 6) {
		case 0:
			e = is_ep ? sys_nbsend(cap, MSGINFO(label, rng(&s) % 4, n), args[0], args[1], args[2], args[3]).err
				  : invoke(cap, label, n, args, 0, 0);
			break;
		case 1: e = sys_nbrecv(cap).err; break;
		case 2: e = sys_reply(MSGINFO(label, 0, n), args[0], 0, 0, 0).err; break;
		case 3: e = sys_debug_write((void *)args[0], 0); break;
		case 4: sys_yield(); e = 0; break;
		default: e = is_ep ? E_OK : invoke(cap, label, n, args, 0, 0); break;
		}
		fuzz_calls++;
		fuzz_errors += e != E_OK;
	}
}

static void fuzz_round(uint64_t seed)
{
	cptr_t cn = make(OBJ_CNODE, FUZZ_CNODE_BITS), guarded = new_slot(), ut = make(OBJ_UNTYPED, 20);
	struct child c;
	/* its CNode as seen from its own CSpace: guard makes cptr = slot */
	CHECK_OK(INVOKE(SLOT_CNODE, CNODE_MINT, guarded, SLOT_CNODE, cn, RIGHTS_ALL, 0, 64 - FUZZ_CNODE_BITS));
	CHECK_OK(cnode_copy(cn, 2, SLOT_CNODE, guarded, RIGHTS_ALL));
	CHECK_OK(cnode_move(cn, 4, SLOT_CNODE, ut));
	static const uint64_t types[] = { OBJ_ENDPOINT, OBJ_NOTIFICATION, OBJ_FRAME, OBJ_PAGE_TABLE,
					  OBJ_TIMER, OBJ_TCB, OBJ_CNODE, OBJ_VSPACE, OBJ_UNTYPED };
	uint64_t s = seed;
	for (unsigned i = 5; i < 16; i++) {
		uint64_t t = types[rng(&s) % (sizeof types / sizeof types[0])];
		CHECK_OK(untyped_retype(pool, t, t == OBJ_CNODE ? 3 : t == OBJ_UNTYPED ? 14 : 0, cn, i, 1));
	}
	child_start_cross_as(&c, fuzzer, seed, TEST_PRIO, 0);
	CHECK_OK(cnode_copy(cn, 1, SLOT_CNODE, c.tcb, RIGHTS_ALL));
	CHECK_OK(cnode_copy(cn, 3, SLOT_CNODE, c.vspace, RIGHTS_ALL));
	CHECK_OK(tcb_configure(c.tcb, guarded, c.vspace, c.buf_frame, (uint64_t)c.buf, 0));
	uint64_t start = fuzz_calls;
	for (int i = 0; i < 200 && fuzz_calls - start < FUZZ_CALLS; i++)
		sys_yield();
	CHECK_EQ(self_check(), 0);
}

TEST(fuzz_random_invocations)
{
	fuzz_calls = fuzz_errors = 0;
	uint64_t threads = thread_count();
	for (uint64_t r = 0; r < FUZZ_ROUNDS; r++) {
		fuzz_round(0x9e3779b97f4a7c15ULL * (r + 1));
		env_reset();
		CHECK_EQ(thread_count(), threads);
		CHECK_EQ(self_check(), 0);
	}
	printf("ktest: fuzz made %llu calls, %llu errors\n", (unsigned long long)fuzz_calls,
	       (unsigned long long)fuzz_errors);
	CHECK(fuzz_calls > FUZZ_ROUNDS * 10);
}
