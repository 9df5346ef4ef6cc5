/*
 * Host tests of the SVSM vTPM protocol (protocols/vtpm_protocol.c) against the fake core
 * backend's guest memory and Bastion's real TPM engine (vtpm/): the calls exactly as Linux's
 * tpm_svsm places them (a private page, u32 8 | u8 0 | u32 size | command), every bad field
 * with its SVSM error and nothing written back, TPM errors inside the response with RAX =
 * SUCCESS, and no double fetch (the guest rewriting the header after Bastion read it changes
 * nothing).
 */
#include <stdlib.h>
#include <string.h>

#include "protocols/svsm_abi.h"
#include "protocols/vtpm_protocol.h"
#include "tests/host/fake_core_backend.h"
#include "tests/ktest/ktest.h"
#include "vtpm/vtpm.h"

#define QUERY_RAX SVSM_CALL_RAX(SVSM_VTPM_PROTOCOL, SVSM_VTPM_QUERY)
#define CMD_RAX SVSM_CALL_RAX(SVSM_VTPM_PROTOCOL, SVSM_VTPM_CMD)
#define BUF 0x100000ull /* a validated private guest page */

struct tpm_fix {
	struct fake_core *f;
	struct vtpm *t;
	struct vtpm_backend be;
	uint8_t bounce[SVSM_VTPM_BUFFER_SIZE];
	uint64_t entropy;
};

static int fix_entropy(void *ctx, uint8_t *out, size_t len)
{
	uint64_t *n = ctx;

	for (size_t i = 0; i < len; i++) {
		out[i] = (uint8_t)(++*n * 0x9E3779B97F4A7C15ull >> 56);
	}
	return 0;
}

static uint64_t fix_clock(void *ctx)
{
	(void)ctx;
	return 1000;
}

static void fix_execute(void *ctx, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
			size_t *rsp_len)
{
	(void)vtpm_execute(ctx, 0, cmd, len, rsp, cap, rsp_len);
}

static struct tpm_fix *fix_new(void)
{
	struct tpm_fix *x = calloc(1, sizeof(*x));
	struct vtpm_platform p;

	if (x == NULL) {
		return NULL;
	}
	p = (struct vtpm_platform){ fix_entropy, fix_clock, &x->entropy };
	x->f = fake_core_new();
	x->t = aligned_alloc(16, (vtpm_size() + 15) & ~(size_t)15);
	if (x->f == NULL || x->t == NULL || vtpm_init(x->t, &p) != 0 ||
	    vtpm_manufacture(x->t) != 0) {
		return NULL;
	}
	x->be = (struct vtpm_backend){ x->t, fix_execute, x->bounce };
	x->f->vtpm = &x->be;
	return x;
}

static void fix_free(struct tpm_fix *x)
{
	fake_core_free(x->f);
	free(x->t);
	free(x);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Writes a SEND_COMMAND request at gpa: platform command, locality, size, command bytes. */
static void put_request(struct fake_core *f, uint64_t gpa, uint32_t platform_cmd,
			uint8_t locality, uint32_t size, const uint8_t *cmd, size_t cmd_len)
{
	uint8_t h[9];

	put_le32(h, platform_cmd);
	h[4] = locality;
	put_le32(h + 5, size);
	fake_mem_put(f, gpa, h, sizeof(h));
	if (cmd_len != 0) {
		fake_mem_put(f, gpa + 9, cmd, cmd_len);
	}
}

static const uint8_t startup_clear[] = { 0x80, 0x01, 0, 0, 0, 0x0C, 0, 0, 0x01, 0x44, 0, 0 };
static const uint8_t get_random16[] = { 0x80, 0x01, 0, 0, 0, 0x0C, 0, 0, 0x01, 0x7B, 0, 16 };

/* Sends cmd through SVSM_VTPM_CMD at BUF; returns RAX, response in rsp (if RAX ok). */
static uint32_t send(struct tpm_fix *x, const uint8_t *cmd, size_t len, uint8_t *rsp,
		     uint32_t *rsp_len)
{
	uint32_t rax;

	put_request(x->f, BUF, 8, 0, (uint32_t)len, cmd, len);
	rax = fake_call(x->f, 0, CMD_RAX, BUF, 0, 0, 0);
	if (rax == SVSM_SUCCESS) {
		uint8_t h[4];

		fake_mem_get(x->f, BUF, h, 4);
		*rsp_len = le32(h);
		fake_mem_get(x->f, BUF + 4, rsp, *rsp_len <= 4092 ? *rsp_len : 4092);
	}
	return rax;
}

KTEST(protocols_vtpm, query)
{
	struct tpm_fix *x = fix_new();

	ASSERT_NOT_NULL(x);
	EXPECT_EQ(fake_call(x->f, 0, QUERY_RAX, 0, 0, 0, 0), SVSM_SUCCESS);
	EXPECT_EQ(x->f->regs.rcx, 1ull << 8);
	EXPECT_EQ(x->f->regs.rdx, 0ull);
	EXPECT_EQ(x->f->regs.rax, 0ull); /* zero-extended */
	/* QUERY_PROTOCOL(2, 1) = max 1, min 1; version 2 is not served. */
	EXPECT_EQ(fake_call(x->f, 0, SVSM_CALL_RAX(SVSM_CORE_PROTOCOL, SVSM_CORE_QUERY_PROTOCOL),
			    (2ull << 32) | 1, 0, 0, 0),
		  SVSM_SUCCESS);
	EXPECT_EQ(x->f->regs.rcx, (1ull << 32) | 1);
	EXPECT_EQ(fake_call(x->f, 0, SVSM_CALL_RAX(SVSM_CORE_PROTOCOL, SVSM_CORE_QUERY_PROTOCOL),
			    (2ull << 32) | 2, 0, 0, 0),
		  SVSM_SUCCESS);
	EXPECT_EQ(x->f->regs.rcx, 0ull);
	EXPECT_EQ(fake_call(x->f, 0, SVSM_CALL_RAX(SVSM_VTPM_PROTOCOL, 2), 0, 0, 0, 0),
		  SVSM_ERR_UNSUPPORTED_CALL);
	fix_free(x);
}

KTEST(protocols_vtpm, startup_and_get_random_like_linux)
{
	struct tpm_fix *x = fix_new();
	uint8_t rsp[4096];
	uint32_t n = 0;

	ASSERT_NOT_NULL(x);
	ASSERT_EQ(send(x, startup_clear, sizeof(startup_clear), rsp, &n), SVSM_SUCCESS);
	EXPECT_EQ(n, 10u);
	EXPECT_EQ(be32(rsp + 6), 0u);
	ASSERT_EQ(send(x, get_random16, sizeof(get_random16), rsp, &n), SVSM_SUCCESS);
	EXPECT_EQ(n, 10u + 2 + 16);
	EXPECT_EQ(be32(rsp + 2), n);
	EXPECT_EQ(be32(rsp + 6), 0u);
	/* A TPM error travels inside the response: a second Startup is TPM_RC_INITIALIZE. */
	ASSERT_EQ(send(x, startup_clear, sizeof(startup_clear), rsp, &n), SVSM_SUCCESS);
	EXPECT_EQ(be32(rsp + 6), 0x100u);
	/* An empty and a garbage command: TPM_RC_COMMAND_SIZE / TPM_RC_BAD_TAG inside. */
	ASSERT_EQ(send(x, NULL, 0, rsp, &n), SVSM_SUCCESS);
	EXPECT_EQ(n, 10u);
	EXPECT_EQ(be32(rsp + 6), 0x142u);
	fix_free(x);
}

KTEST(protocols_vtpm, bad_fields_answer_the_right_error_and_write_nothing)
{
	struct tpm_fix *x = fix_new();
	static const struct {
		uint32_t platform_cmd;
		uint8_t locality;
		uint32_t size;
		uint32_t want;
	} cases[] = {
		{ 1, 0, 12, SVSM_ERR_UNSUPPORTED_CALL },   /* SIGNAL_POWER_ON */
		{ 11, 0, 12, SVSM_ERR_UNSUPPORTED_CALL },  /* NV_ON */
		{ 30, 0, 12, SVSM_ERR_UNSUPPORTED_CALL },  /* TEST_FAILURE_MODE */
		{ 0, 0, 12, SVSM_ERR_INVALID_PARAMETER },
		{ 19, 0, 12, SVSM_ERR_INVALID_PARAMETER },
		{ 0x108, 0, 12, SVSM_ERR_INVALID_PARAMETER },
		{ 8, 1, 12, SVSM_ERR_INVALID_PARAMETER },  /* locality 1 */
		{ 8, 0xFF, 12, SVSM_ERR_INVALID_PARAMETER },
		{ 8, 0, 4088, SVSM_ERR_INVALID_PARAMETER }, /* one byte too many */
		{ 8, 0, 0xFFFFFFFFu, SVSM_ERR_INVALID_PARAMETER },
	};
	uint8_t before[4096], after[4096];

	ASSERT_NOT_NULL(x);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put_request(x->f, BUF, cases[i].platform_cmd, cases[i].locality, cases[i].size,
			    startup_clear, sizeof(startup_clear));
		fake_mem_get(x->f, BUF, before, sizeof(before));
		EXPECT_EQ(fake_call(x->f, 0, CMD_RAX, BUF, 0, 0, 0), cases[i].want);
		fake_mem_get(x->f, BUF, after, sizeof(after));
		EXPECT_MEMEQ(before, after, sizeof(before));
	}
	fix_free(x);
}

KTEST(protocols_vtpm, buffers_outside_guest_private_memory)
{
	struct tpm_fix *x = fix_new();
	/* Unvalidated guest RAM, Bastion's region, the hole, beyond RAM, wrap-around, a
	 * request whose body runs from validated into unvalidated memory. */
	static const uint64_t bad[] = { FAKE_UNVALIDATED_BASE + 0x3000, FAKE_BASTION_BASE,
					FAKE_HOLE_BASE, FAKE_MEM_SIZE + 0x1000,
					0xFFFFFFFFFFFFF800ull, ~0ull };
	uint8_t rsp[4096];
	uint32_t n;

	ASSERT_NOT_NULL(x);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(fake_call(x->f, 0, CMD_RAX, bad[i], 0, 0, 0), SVSM_ERR_INVALID_ADDRESS);
	}
	/* Header in validated memory, body crossing into unvalidated memory. */
	put_request(x->f, FAKE_VALIDATED_END - 16, 8, 0, 100, startup_clear, 7);
	EXPECT_EQ(fake_call(x->f, 0, CMD_RAX, FAKE_VALIDATED_END - 16, 0, 0, 0),
		  SVSM_ERR_INVALID_ADDRESS);
	/* None of that reached the TPM: Startup still works (once). */
	EXPECT_EQ(send(x, startup_clear, sizeof(startup_clear), rsp, &n), SVSM_SUCCESS);
	EXPECT_EQ(be32(rsp + 6), 0u);
	/* The VMSA page and the CAA are not buffers the TPM may use either. */
	EXPECT_EQ(fake_call(x->f, 0, CMD_RAX, FAKE_BOOT_VMSA, 0, 0, 0), SVSM_ERR_INVALID_ADDRESS);
	fix_free(x);
}

/* The guest rewrites the header after Bastion read it (platform command 1, locality 3, size
 * 4087): Bastion runs the 12-byte command at locality 0 it read, never the new header. */
static void mutate_header(struct fake_core *f)
{
	uint8_t evil[9] = { 1, 0, 0, 0, 3, 0xF7, 0x0F, 0, 0 };

	fake_mem_put(f, BUF, evil, sizeof(evil));
}

KTEST(protocols_vtpm, no_double_fetch)
{
	struct tpm_fix *x = fix_new();
	uint8_t rsp[4096];
	uint32_t n = 0;

	ASSERT_NOT_NULL(x);
	x->f->mutate = mutate_header;
	x->f->mutate_after_read = 1; /* right after the header read */
	ASSERT_EQ(send(x, startup_clear, sizeof(startup_clear), rsp, &n), SVSM_SUCCESS);
	EXPECT_EQ(n, 10u);
	EXPECT_EQ(be32(rsp + 6), 0u); /* it ran Startup(CLEAR) as first read */
	fix_free(x);
}

KTEST(protocols_vtpm, without_a_vtpm_the_protocol_is_unsupported)
{
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	EXPECT_EQ(fake_call(f, 0, QUERY_RAX, 0, 0, 0, 0), SVSM_ERR_UNSUPPORTED_PROTOCOL);
	EXPECT_EQ(fake_call(f, 0, CMD_RAX, BUF, 0, 0, 0), SVSM_ERR_UNSUPPORTED_PROTOCOL);
	fake_core_free(f);
}

/* Random requests: every answer is one of the defined codes and a SUCCESS always carries a
 * well-formed TPM response; the engine keeps working. */
KTEST(protocols_vtpm, random_requests)
{
	struct tpm_fix *x = fix_new();
	uint64_t s = 0x1234567;
	uint8_t req[64];
	uint8_t rsp[4096];
	uint32_t n;
	unsigned int ok = 0;

	ASSERT_NOT_NULL(x);
	for (int i = 0; i < 20000; i++) {
		uint32_t rax;

		for (size_t j = 0; j < sizeof(req); j++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			req[j] = (uint8_t)(s >> 56);
		}
		/* Keep some requests close to valid. */
		if (i % 2 == 0) {
			put_le32(req, 8);
			req[4] = 0;
			put_le32(req + 5, req[5] % 56);
		}
		fake_mem_put(x->f, BUF, req, sizeof(req));
		rax = fake_call(x->f, 0, CMD_RAX, BUF, 0, 0, 0);
		if (rax == SVSM_SUCCESS) {
			fake_mem_get(x->f, BUF, rsp, 14);
			n = le32(rsp);
			EXPECT_GE(n, 10u);
			EXPECT_EQ(be32(rsp + 4 + 2), n);
			ok++;
		} else {
			EXPECT_TRUE(rax == SVSM_ERR_INVALID_PARAMETER ||
				    rax == SVSM_ERR_UNSUPPORTED_CALL);
		}
	}
	EXPECT_GT(ok, 5000u);
	ASSERT_EQ(send(x, startup_clear, sizeof(startup_clear), rsp, &n), SVSM_SUCCESS);
	ASSERT_EQ(send(x, get_random16, sizeof(get_random16), rsp, &n), SVSM_SUCCESS);
	EXPECT_EQ(n, 28u);
	fix_free(x);
}
