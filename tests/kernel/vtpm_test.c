/*
 * The vTPM engine in the freestanding kernel build (the host tests in tests/vtpm/ cover the
 * engine in depth; this catches kernel-flag differences: -mgeneral-regs-only, no libc, the
 * kernel's own memcpy/memset). Fixed entropy, Startup(CLEAR), GetRandom(16), and a
 * PCR_Extend of PCR 7 (SHA-256 bank) with 32 zero bytes read back as
 * SHA-256(32 zero bytes || 32 zero bytes) =
 * f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b.
 */
#include "kernel/string.h"
#include "tests/ktest/ktest.h"
#include "vtpm/vtpm.h"

static int fixed_entropy(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < len; i++) {
		out[i] = (uint8_t)(i * 13 + 7);
	}
	return 0;
}

static uint64_t fixed_clock(void *ctx)
{
	(void)ctx;
	return 1000;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

KTEST(vtpm, kernel_startup_random_pcr)
{
	/* Too big for the stack: the TPM state and the response page. */
	static uint8_t mem[160 * 1024] __attribute__((aligned(16)));
	static uint8_t rsp[VTPM_MAX_RESPONSE_SIZE];
	static const uint8_t startup[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0 };
	static const uint8_t get_random[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7B, 0, 16 };
	/* PCR_Extend(PCR 7, TPM_RS_PW, {SHA-256: 32 zero bytes}) */
	static const uint8_t extend[] = {
		0x80, 0x02, 0, 0, 0, 65, 0, 0, 0x01, 0x82, /* header */
		0, 0, 0, 7,				   /* pcrHandle */
		0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 1, 0, 0,  /* authorization area */
		0, 0, 0, 1, 0, 0x0B,			   /* 1 digest, SHA-256 */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	/* PCR_Read({SHA-256: PCR 7}) */
	static const uint8_t read[] = { 0x80, 0x01, 0, 0, 0, 20, 0, 0, 0x01, 0x7E,
					0, 0, 0, 1, 0, 0x0B, 3, 0x80, 0, 0 };
	static const uint8_t want[32] = {
		0xf5, 0xa5, 0xfd, 0x42, 0xd1, 0x6a, 0x20, 0x30, 0x27, 0x98, 0xef,
		0x6e, 0xd3, 0x09, 0x97, 0x9b, 0x43, 0x00, 0x3d, 0x23, 0x20, 0xd9,
		0xf0, 0xe8, 0xea, 0x98, 0x31, 0xa9, 0x27, 0x59, 0xfb, 0x4b,
	};
	struct vtpm_platform plat = { fixed_entropy, fixed_clock, NULL };
	struct vtpm *t = (struct vtpm *)mem;
	size_t n;

	ASSERT_LE(vtpm_size(), sizeof(mem));
	ASSERT_EQ(vtpm_init(t, &plat), 0);
	ASSERT_EQ(vtpm_manufacture(t), 0);
	vtpm_power_on(t);
	EXPECT_EQ(vtpm_execute(t, 0, get_random, sizeof(get_random), rsp, sizeof(rsp), &n),
		  0x100u); /* TPM_RC_INITIALIZE */
	ASSERT_EQ(vtpm_execute(t, 0, startup, sizeof(startup), rsp, sizeof(rsp), &n), 0u);
	EXPECT_EQ(n, 10u);

	ASSERT_EQ(vtpm_execute(t, 0, get_random, sizeof(get_random), rsp, sizeof(rsp), &n), 0u);
	EXPECT_EQ(n, 28u);
	EXPECT_EQ(rd32(rsp + 2), 28u);
	EXPECT_EQ(rsp[10], 0u);
	EXPECT_EQ(rsp[11], 16u);

	ASSERT_EQ(vtpm_execute(t, 0, extend, sizeof(extend), rsp, sizeof(rsp), &n), 0u);
	EXPECT_EQ(n, 19u);
	ASSERT_EQ(vtpm_execute(t, 0, read, sizeof(read), rsp, sizeof(rsp), &n), 0u);
	/* header | counter | selection (10) | count | size | digest */
	ASSERT_EQ(n, 10u + 4 + 10 + 4 + 2 + 32);
	EXPECT_EQ(rd32(rsp + 24), 1u);
	EXPECT_MEMEQ(rsp + 30, want, 32);
}
