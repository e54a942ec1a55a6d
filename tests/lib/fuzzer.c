/* The fuzz thread and its rounds (fuzzer.h). */
#include "fuzzer.h"

#define SLOTS 32
#define CNODE_BITS 8

/* What the fuzz thread and the fuzzer share: a page of its own, since
 * the rest of our memory is read-only in the fuzz thread's space (random
 * threads it starts run there too). */
struct round {
	struct child c;
	volatile uint64_t calls, limit, seed;
	volatile uint64_t errors[E_COUNT + 1];
};

uint64_t fuzz_rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Valid and invalid values alike: slots, sizes, user, kernel, unmapped and
 * misaligned addresses, and plain noise. */
static uint64_t random_arg(uint64_t *s)
{
	static const uint64_t special[] = {
		0, 1, 2, 3, 4, 5, 8, 12, 16, 21, 64, 255, 256, 4095, 4096, 0x48000000, 0x48000001,
		0x3fffffffff, USER_TOP, 0xFFFFFFC080200000ULL, ~0ULL, 1ULL << 63, 0x1000, 0x200000,
		0x40002000, 0x10000, 0x10001,
	};
	uint64_t r = fuzz_rng(s);
	switch (r % 4) {
	case 0: return special[(r >> 8) % (sizeof special / sizeof special[0])];
	case 1: return (r >> 8) % SLOTS;
	case 2: return (r >> 8) % 64;
	default: return fuzz_rng(s);
	}
}

static uint64_t fuzz_call(uint64_t *s)
{
	uint64_t args[8], info[6];
	unsigned got = 0;
	cptr_t cap = fuzz_rng(s) % SLOTS;
	uint64_t label = fuzz_rng(s) % (INV_COUNT + 2), n = fuzz_rng(s) % 8;
	for (unsigned j = 0; j < 8; j++)
		args[j] = random_arg(s);
	/* never block forever: endpoints get only the non-blocking calls */
	int is_ep = invoke(2, CNODE_INFO, 1, (uint64_t[]){ cap }, info, &got) == E_OK && got &&
		    info[0] == OBJ_ENDPOINT;
	switch (fuzz_rng(s) % 8) {
	case 0:
		return is_ep ? sys_nbsend(cap, MSGINFO(label, fuzz_rng(s) % 4, n), args[0], args[1], args[2], args[3]).err
			     : invoke(cap, label, n, args, 0, 0);
	case 1: return sys_nbrecv(cap).err;
	case 2: return sys_reply(MSGINFO(label, 0, n), args[0], 0, 0, 0).err;
	case 3: {   /* pointers the kernel must refuse (a valid one would only print noise) */
		static const uint64_t bad[] = { 0, 8, 0xFFFFFFC080200000ULL, USER_TOP - 4, ~0ULL, 0x3000000001ULL };
		return sys_debug_write(cap, (void *)bad[args[1] % 6], args[2] % 2 ? 8 : 5000);
	}
	case 4: sys_yield(); return E_OK;
	case 5: return sys_raw(SYS_NBSEND, cap, fuzz_rng(s), args[0], args[1], args[2], args[3]).err;
	case 6: return sys_lease_copy(cap, args[0] % 8, args[1], (void *)args[2], args[3] % (2 * LEASE_COPY_MAX));
	default: return is_ep ? E_OK : invoke(cap, label, n, args, 0, 0);
	}
}

static void fuzz_thread(uint64_t arg)
{
	struct round *m = (struct round *)arg;
	uint64_t s = m->seed | 1;
	while (m->calls < m->limit) {
		uint64_t e = fuzz_call(&s);
		m->errors[e < E_COUNT ? e : E_COUNT]++;
		m->calls++;
	}
}

/* Its CNode, as seen from its own CSpace (guard: cptr = slot), holding
 * itself, its VSpace, an untyped of its own and a random mix of objects. */
static cptr_t fuzz_cspace(uint64_t *s, cptr_t *guarded)
{
	cptr_t cn = make(OBJ_CNODE, CNODE_BITS), ut = make(OBJ_UNTYPED, 20);
	*guarded = new_slot();
	CHECK_OK(INVOKE(SLOT_CNODE, CNODE_MINT, *guarded, SLOT_CNODE, cn, RIGHTS_ALL, 0, 64 - CNODE_BITS));
	CHECK_OK(cnode_copy(cn, 2, SLOT_CNODE, *guarded, RIGHTS_ALL));
	CHECK_OK(cnode_move(cn, 4, SLOT_CNODE, ut));
	static const uint64_t types[] = { OBJ_ENDPOINT, OBJ_NOTIFICATION, OBJ_FRAME, OBJ_PAGE_TABLE, OBJ_TIMER,
					  OBJ_TCB, OBJ_CNODE, OBJ_VSPACE, OBJ_UNTYPED, OBJ_LARGE_FRAME };
	for (unsigned i = 5; i < 16; i++) {
		uint64_t t = types[fuzz_rng(s) % (sizeof types / sizeof types[0])];
		CHECK_OK(untyped_retype(pool, t, t == OBJ_CNODE ? 3 : t == OBJ_UNTYPED ? 14 : 0, cn, i, 1));
	}
	return cn;
}

void fuzz_round(uint64_t seed, uint64_t calls, struct fuzz_stats *st)
{
	uint64_t s = seed | 1;
	cptr_t guarded, cn = fuzz_cspace(&s, &guarded);
	struct round *m = new_page(NULL);
	m->limit = calls;
	m->seed = fuzz_rng(&s);
	child_start_isolated(&m->c, fuzz_thread, (uint64_t)m, TEST_PRIO, 0);
	CHECK_OK(cnode_copy(cn, 1, SLOT_CNODE, m->c.tcb, RIGHTS_ALL));
	CHECK_OK(cnode_copy(cn, 3, SLOT_CNODE, m->c.vspace, RIGHTS_ALL));
	CHECK_OK(tcb_configure(m->c.tcb, guarded, m->c.vspace, m->c.buf_frame, (uint64_t)m->c.buf, 0));
	/* let it run; now and then pull an object out from under it */
	for (int i = 0; i < 400 && m->calls < calls; i++) {
		sys_yield();
		if (fuzz_rng(&s) % 8 == 0)
			cnode_delete(cn, 5 + fuzz_rng(&s) % 11);
	}
	for (unsigned e = 0; e <= E_COUNT; e++)
		st->errors[e] += m->errors[e];
	st->calls += m->calls;
	st->rounds++;
	st->invariant_failures += self_check();
	env_reset();
	st->invariant_failures += self_check();
}
