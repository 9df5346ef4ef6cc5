/*
 * Host tests of the SVSM attestation protocol (protocols/attest.c) against the fake core
 * backend's guest memory and a fake platform report: the operation structures exactly as
 * Linux places them, the services manifest (GUID table) and single-service manifest, REPORT_DATA
 * = SHA-512(nonce || manifest), the sizes in RCX/RDX/R8 (also when a buffer is too small),
 * every reserved field and alignment rule, BUSY and failures, and no double fetch.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"
#include "protocols/attest.h"
#include "protocols/svsm_abi.h"
#include "tests/host/fake_core_backend.h"
#include "tests/ktest/ktest.h"

#define SERVICES_RAX SVSM_CALL_RAX(SVSM_ATTEST_PROTOCOL, SVSM_ATTEST_SERVICES)
#define SINGLE_RAX SVSM_CALL_RAX(SVSM_ATTEST_PROTOCOL, SVSM_ATTEST_SINGLE_SERVICE)
#define OP 0x3000ull
#define REPORT 0x10000ull
#define MANIFEST 0x11000ull
#define NONCE 0x12000ull
#define CERTS 0x13000ull

struct att {
	struct fake_core *f;
	struct attest_backend be;
	uint8_t scratch[ATTEST_SCRATCH_SIZE];
	int report_result;
	unsigned int reports;
	uint8_t ek[314];
	int manifest_result;
};

static int fake_report(void *ctx, const uint8_t report_data[64], uint8_t *report)
{
	struct att *a = ctx;

	a->reports++;
	if (a->report_result != ATTEST_REPORT_OK) {
		return a->report_result;
	}
	memset(report, 0xA5, ATTEST_REPORT_SIZE);
	memcpy(report + 0x50, report_data, 64);
	return ATTEST_REPORT_OK;
}

static int fake_manifest(void *ctx, uint32_t version, uint8_t *out, size_t cap, size_t *len)
{
	struct att *a = ctx;

	if (version != 0 || a->manifest_result != 0 || cap < sizeof(a->ek)) {
		return -1;
	}
	memcpy(out, a->ek, sizeof(a->ek));
	*len = sizeof(a->ek);
	return 0;
}

static struct att *att_new(void)
{
	struct att *a = calloc(1, sizeof(*a));

	if (a == NULL || (a->f = fake_core_new()) == NULL) {
		free(a);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(a->ek); i++) {
		a->ek[i] = (uint8_t)(i * 7 + 1);
	}
	a->be = (struct attest_backend){ a, fake_report, fake_manifest, a->scratch };
	a->f->attest = &a->be;
	return a;
}

static void att_free(struct att *a)
{
	fake_core_free(a->f);
	free(a);
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The operation as Linux builds it (Table 11, + Table 13 when single). */
static void put_op(struct fake_core *f, uint64_t at, bool single, uint32_t report_size,
		   uint16_t nonce_size, uint32_t manifest_size, uint32_t cert_size)
{
	uint8_t op[ATTEST_OP_SINGLE_SIZE] = { 0 };

	put_le(op + 0x00, REPORT, 8);
	put_le(op + 0x08, report_size, 4);
	put_le(op + 0x10, NONCE, 8);
	put_le(op + 0x18, nonce_size, 2);
	put_le(op + 0x20, MANIFEST, 8);
	put_le(op + 0x28, manifest_size, 4);
	put_le(op + 0x30, CERTS, 8);
	put_le(op + 0x38, cert_size, 4);
	if (single) {
		memcpy(op + 0x40, attest_vtpm_service_guid, 16);
	}
	fake_mem_put(f, at, op, single ? ATTEST_OP_SINGLE_SIZE : ATTEST_OP_SERVICES_SIZE);
}

static void put_nonce(struct fake_core *f, uint8_t *nonce)
{
	for (int i = 0; i < 64; i++) {
		nonce[i] = (uint8_t)(0xC0 ^ i);
	}
	fake_mem_put(f, NONCE, nonce, 64);
}

static void sha512_2(const uint8_t *a, size_t al, const uint8_t *b, size_t bl, uint8_t *out)
{
	struct hash_ctx h;

	hash_init(&h, HASH_SHA512);
	hash_update(&h, a, al);
	hash_update(&h, b, bl);
	hash_final(&h, out);
}

KTEST(protocols_attest, services_like_linux)
{
	struct att *a = att_new();
	uint8_t nonce[64], manifest[4096], report[ATTEST_REPORT_SIZE], want[64];
	size_t mlen = 16 + 8 + 24 + 314;

	ASSERT_NOT_NULL(a);
	put_nonce(a->f, nonce);
	put_op(a->f, OP, false, 4096, 64, 4096, 0x4000);
	ASSERT_EQ(fake_call(a->f, 0, SERVICES_RAX, OP, ~0ull, ~0ull, 0), SVSM_SUCCESS);
	EXPECT_EQ(a->f->regs.rcx, (uint64_t)mlen);
	EXPECT_EQ(a->f->regs.rdx, 0ull);
	EXPECT_EQ(a->f->regs.r8, (uint64_t)ATTEST_REPORT_SIZE);
	fake_mem_get(a->f, MANIFEST, manifest, mlen);
	EXPECT_MEMEQ(manifest, attest_services_manifest_guid, 16);
	EXPECT_EQ(le32(manifest + 16), (uint32_t)mlen);
	EXPECT_EQ(le32(manifest + 20), 1u);
	EXPECT_MEMEQ(manifest + 24, attest_vtpm_service_guid, 16);
	EXPECT_EQ(le32(manifest + 40), 48u);
	EXPECT_EQ(le32(manifest + 44), 314u);
	EXPECT_MEMEQ(manifest + 48, a->ek, 314);
	fake_mem_get(a->f, REPORT, report, sizeof(report));
	sha512_2(nonce, 64, manifest, mlen, want);
	EXPECT_MEMEQ(report + 0x50, want, 64);
	EXPECT_EQ(report[0], 0xA5);
	att_free(a);
}

KTEST(protocols_attest, single_service_vtpm)
{
	struct att *a = att_new();
	uint8_t nonce[64], manifest[314], report[ATTEST_REPORT_SIZE], want[64];
	uint8_t bad_guid[16];

	ASSERT_NOT_NULL(a);
	put_nonce(a->f, nonce);
	put_op(a->f, OP, true, 4096, 64, 4096, 0);
	ASSERT_EQ(fake_call(a->f, 0, SINGLE_RAX, OP, 0, 0, 0), SVSM_SUCCESS);
	EXPECT_EQ(a->f->regs.rcx, 314ull);
	fake_mem_get(a->f, MANIFEST, manifest, sizeof(manifest));
	EXPECT_MEMEQ(manifest, a->ek, 314);
	fake_mem_get(a->f, REPORT, report, sizeof(report));
	sha512_2(nonce, 64, a->ek, 314, want);
	EXPECT_MEMEQ(report + 0x50, want, 64);
	/* Manifest version 1 and an unknown GUID. */
	fake_put_u32(a->f, OP + 0x50, 1);
	EXPECT_EQ(fake_call(a->f, 0, SINGLE_RAX, OP, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	fake_put_u32(a->f, OP + 0x50, 0);
	memcpy(bad_guid, attest_vtpm_service_guid, 16);
	bad_guid[15] ^= 1;
	fake_mem_put(a->f, OP + 0x40, bad_guid, 16);
	EXPECT_EQ(fake_call(a->f, 0, SINGLE_RAX, OP, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	/* The services-manifest GUID is not a service. */
	fake_mem_put(a->f, OP + 0x40, attest_services_manifest_guid, 16);
	EXPECT_EQ(fake_call(a->f, 0, SINGLE_RAX, OP, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	att_free(a);
}

KTEST(protocols_attest, reserved_fields_and_alignment)
{
	struct att *a = att_new();
	static const unsigned int reserved[] = { 0x0C, 0x0F, 0x1A, 0x1F, 0x2C, 0x2F, 0x3C, 0x3F,
						 0x54, 0x57 };
	uint8_t nonce[64];

	ASSERT_NOT_NULL(a);
	put_nonce(a->f, nonce);
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		put_op(a->f, OP, true, 4096, 64, 4096, 0);
		fake_mem_put(a->f, OP + reserved[i], (const uint8_t[]){ 1 }, 1);
		EXPECT_EQ(fake_call(a->f, 0, SINGLE_RAX, OP, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	}
	put_op(a->f, OP, false, 4096, 64, 4096, 0);
	EXPECT_EQ(fake_call(a->f, 0, SERVICES_RAX, OP + 4, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	put_op(a->f, OP + 0xFC8, false, 4096, 64, 4096, 0);
	EXPECT_EQ(fake_call(a->f, 0, SERVICES_RAX, OP + 0xFC8, 0, 0, 0),
		  SVSM_ERR_INVALID_PARAMETER); /* 0x40 bytes at 0xFC8 cross into the next page */
	/* Buffers not 4 KiB aligned; a nonce crossing a page. */
	put_op(a->f, OP, false, 4096, 64, 4096, 0);
	fake_put_u32(a->f, OP + 0x00, (uint32_t)REPORT + 8);
	EXPECT_EQ(fake_call(a->f, 0, SERVICES_RAX, OP, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	put_op(a->f, OP, false, 4096, 64, 4096, 0);
	fake_put_u32(a->f, OP + 0x20, (uint32_t)MANIFEST + 0x800);
	EXPECT_EQ(fake_call(a->f, 0, SERVICES_RAX, OP, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	put_op(a->f, OP, false, 4096, 64, 4096, 16);
	fake_put_u32(a->f, OP + 0x30, (uint32_t)CERTS + 16);
	EXPECT_EQ(fake_call(a->f, 0, SERVICES_RAX, OP, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	put_op(a->f, OP, false, 4096, 64, 4096, 0);
	fake_put_u32(a->f, OP + 0x10, (uint32_t)NONCE + 0xFF0);
	EXPECT_EQ(fake_call(a->f, 0, SERVICES_RAX, OP, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(a->reports, 0u);
	att_free(a);
}

KTEST(protocols_attest, small_buffers_return_the_sizes_and_write_nothing)
{
	struct att *a = att_new();
	uint8_t nonce[64], before[4096], after[4096];

	ASSERT_NOT_NULL(a);
	put_nonce(a->f, nonce);
	fake_mem_get(a->f, REPORT, before, sizeof(before));
	put_op(a->f, OP, false, ATTEST_REPORT_SIZE - 1, 64, 4096, 0);
	EXPECT_EQ(fake_call(a->f, 0, SERVICES_RAX, OP, ~0ull, ~0ull, 0), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(a->f->regs.r8, (uint64_t)ATTEST_REPORT_SIZE);
	EXPECT_EQ(a->f->regs.rcx, 16ull + 8 + 24 + 314);
	EXPECT_EQ(a->f->regs.rdx, 0ull);
	put_op(a->f, OP, false, 4096, 64, 100, 0);
	EXPECT_EQ(fake_call(a->f, 0, SERVICES_RAX, OP, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(a->f->regs.rcx, 16ull + 8 + 24 + 314);
	fake_mem_get(a->f, REPORT, after, sizeof(after));
	EXPECT_MEMEQ(before, after, sizeof(before));
	EXPECT_EQ(a->reports, 0u);
	/* Exactly the sizes it asked for: success. */
	put_op(a->f, OP, false, ATTEST_REPORT_SIZE, 64, 16 + 8 + 24 + 314, 0);
	EXPECT_EQ(fake_call(a->f, 0, SERVICES_RAX, OP, 0, 0, 0), SVSM_SUCCESS);
	att_free(a);
}

KTEST(protocols_attest, busy_failure_and_addresses)
{
	struct att *a = att_new();
	uint8_t nonce[64];

	ASSERT_NOT_NULL(a);
	put_nonce(a->f, nonce);
	put_op(a->f, OP, false, 4096, 64, 4096, 0);
	a->report_result = ATTEST_REPORT_BUSY;
	EXPECT_EQ(fake_call(a->f, 0, SERVICES_RAX, OP, 0, 0, 0), SVSM_ERR_BUSY);
	a->report_result = ATTEST_REPORT_FAIL;
	EXPECT_EQ(fake_call(a->f, 0, SERVICES_RAX, OP, 0, 0, 0), SVSM_ERR_PROTOCOL_BASE);
	a->report_result = ATTEST_REPORT_OK;
	a->manifest_result = -1; /* no EK */
	EXPECT_EQ(fake_call(a->f, 0, SERVICES_RAX, OP, 0, 0, 0), SVSM_ERR_PROTOCOL_BASE);
	a->manifest_result = 0;
	/* Operation in unvalidated memory; report buffer in Bastion's region. */
	EXPECT_EQ(fake_call(a->f, 0, SERVICES_RAX, FAKE_UNVALIDATED_BASE, 0, 0, 0),
		  SVSM_ERR_INVALID_ADDRESS);
	put_op(a->f, OP, false, 4096, 64, 4096, 0);
	fake_put_u32(a->f, OP + 0x00, (uint32_t)FAKE_BASTION_BASE);
	EXPECT_EQ(fake_call(a->f, 0, SERVICES_RAX, OP, 0, 0, 0), SVSM_ERR_INVALID_ADDRESS);
	put_op(a->f, OP, false, 4096, 64, 4096, 0);
	fake_put_u32(a->f, OP + 0x10, (uint32_t)FAKE_UNVALIDATED_BASE);
	EXPECT_EQ(fake_call(a->f, 0, SERVICES_RAX, OP, 0, 0, 0), SVSM_ERR_INVALID_ADDRESS);
	EXPECT_EQ(fake_call(a->f, 0, SVSM_CALL_RAX(SVSM_ATTEST_PROTOCOL, 2), OP, 0, 0, 0),
		  SVSM_ERR_UNSUPPORTED_CALL);
	a->f->attest = NULL;
	EXPECT_EQ(fake_call(a->f, 0, SERVICES_RAX, OP, 0, 0, 0), SVSM_ERR_UNSUPPORTED_PROTOCOL);
	att_free(a);
}

/* The guest rewrites the operation after Bastion read it: the report buffer moves into
 * Bastion's region and the nonce size grows. Bastion uses what it read. */
static void mutate_op(struct fake_core *f)
{
	fake_put_u32(f, OP + 0x00, (uint32_t)FAKE_BASTION_BASE);
	fake_put_u16(f, OP + 0x18, 4000);
}

KTEST(protocols_attest, no_double_fetch)
{
	struct att *a = att_new();
	uint8_t nonce[64], report[ATTEST_REPORT_SIZE], manifest[4096], want[64];

	ASSERT_NOT_NULL(a);
	put_nonce(a->f, nonce);
	put_op(a->f, OP, false, 4096, 64, 4096, 0);
	a->f->mutate = mutate_op;
	a->f->mutate_after_read = 1;
	ASSERT_EQ(fake_call(a->f, 0, SERVICES_RAX, OP, 0, 0, 0), SVSM_SUCCESS);
	fake_mem_get(a->f, REPORT, report, sizeof(report));
	fake_mem_get(a->f, MANIFEST, manifest, 362);
	sha512_2(nonce, 64, manifest, 362, want);
	EXPECT_MEMEQ(report + 0x50, want, 64);
	att_free(a);
}
