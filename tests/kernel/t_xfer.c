/* The IPC designs (libsys/xfer): every design built in moves every size
 * from 1 byte to 64 KiB byte-exact, odd lengths included, in order. */
#include <string.h>
#include "harness.h"
#include "xfer_env.h"

static const uint64_t sizes[] = {
	1, 3, 7, 8, 9, 15, 16, 63, 64, 65, 255, 503, 504, 505, 511, 512, 513, 1000, 4095, 4096, 4097,
	8191, 16385, 32768, 65535, 65536, 0, 2, 1,
};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static uint8_t pattern(uint64_t k, uint64_t j) { return (uint8_t)(j * 131 + k * 7 + (j >> 8) + 1); }

struct verifier {
	volatile uint64_t consumed, wrong_length, wrong_bytes;
};

static void verify(void *ctx, const uint8_t *data, uint64_t len)
{
	struct verifier *v = ctx;
	uint64_t k = v->consumed++ % NSIZES;
	if (len != sizes[k]) {
		v->wrong_length++;
		return;
	}
	for (uint64_t j = 0; j < len; j++)
		if (data[j] != pattern(k, j)) {
			v->wrong_bytes++;
			return;
		}
}

static struct xfer_pair pair;
static struct verifier ver;
static uint8_t src[XFER_MAX + 16];

static void run_design(const struct xfer_design *d, int rounds)
{
	memset((void *)&ver, 0, sizeof ver);
	xfer_start(&pair, d, verify, &ver, TEST_PRIO);
	for (int round = 0; round < rounds; round++) {
		for (uint64_t k = 0; k < NSIZES; k++) {
			for (uint64_t j = 0; j < sizes[k] + 16; j++)
				src[j] = pattern(k, j);   /* and 16 more bytes that must not arrive */
			enum err e = d->send(&pair.client, src, sizes[k]);
			if (e)
				ktest_fail(__FILE__, __LINE__, "%s: send of %llu bytes: %s", d->name,
					   (unsigned long long)sizes[k], err_name(e));
		}
	}
	if (d->flush)
		CHECK_OK(d->flush(&pair.client));
	if (ver.consumed != rounds * NSIZES || ver.wrong_length || ver.wrong_bytes)
		ktest_fail(__FILE__, __LINE__, "%s: %llu of %llu consumed, %llu wrong lengths, %llu wrong bytes",
			   d->name, (unsigned long long)ver.consumed, (unsigned long long)(rounds * NSIZES),
			   (unsigned long long)ver.wrong_length, (unsigned long long)ver.wrong_bytes);
	CHECK_ERR(d->send(&pair.client, src, XFER_MAX + 1), E_RANGE);
	CHECK_EQ(self_check(), 0);
	env_reset();   /* the next design starts from nothing */
}

TEST(xfer_every_design_byte_exact)
{
	int n = 0;
	for (const struct xfer_design *const *d = xfer_designs; *d; d++, n++)
		run_design(*d, 3);   /* the ring wraps around several times */
	CHECK(n > 0);
}
