/*
 * Host tests of NV indices (vtpm/nv.[ch], vtpm/cmd_nv.c; Part 3 §31), built into
 * build/host/vtpm_tests: every NV command's success and error paths with the exact
 * response code, the Name (OpenSSL computes nameAlg || H(TPMS_NV_PUBLIC) and sees it change
 * when TPMA_NV_WRITTEN is set), the four index types against OpenSSL, the locks across
 * Startup(CLEAR) and Shutdown(STATE)/Startup(STATE), password/HMAC/policy authorization
 * per TPMA_NV, the ADMIN role, capabilities, and a malformed-input storm followed by a
 * state check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/ktest/ktest.h"
#include "vtpm/commands.h"
#include "vtpm/rc.h"
#include "vtpm/tpm2.h"
#include "vtpm/vtpm.h"

#include "tests/vtpm/vtpm_fixture.h"

#define IDX 0x01500016u
#define RW_OWNER (TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD)
#define RW_AUTH (TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD)
#define NT_SHIFT(nt) ((uint32_t)(nt) << TPMA_NV_TPM_NT_SHIFT)


static uint32_t pw_auth_cmd(struct fix *f, uint32_t cc, const uint32_t *h, unsigned int nh,
			    const void *pw, size_t pwl, const void *params, size_t pl)
{
	struct fauth a = { NULL, pw, pwl, false, NULL, 0 };

	return auth_cmd(f, cc, h, nh, &a, 1, params, pl);
}

/* TPM2B_AUTH auth || TPM2B_NV_PUBLIC */
static size_t define_params(uint8_t *p, const void *auth, uint16_t al, uint32_t index,
			    uint16_t alg, uint32_t attrs, const uint8_t *policy, uint16_t pl,
			    uint16_t size)
{
	struct cb c;

	c.n = 0;
	cb_tpm2b(&c, auth, al);
	cb_u16(&c, (uint16_t)(4 + 2 + 4 + 2 + pl + 2));
	cb_u32(&c, index);
	cb_u16(&c, alg);
	cb_u32(&c, attrs);
	cb_tpm2b(&c, policy, pl);
	cb_u16(&c, size);
	memcpy(p, c.b, c.n);
	return c.n;
}

static uint32_t define_ex(struct fix *f, uint32_t authh, uint32_t index, uint16_t alg,
			  uint32_t attrs, const uint8_t *policy, uint16_t pl, uint16_t size,
			  const char *auth)
{
	uint8_t p[256];
	size_t n = define_params(p, auth, auth ? (uint16_t)strlen(auth) : 0, index, alg, attrs,
				 policy, pl, size);

	return pw_auth_cmd(f, TPM_CC_NV_DEFINE_SPACE, &authh, 1, NULL, 0, p, n);
}

static uint32_t define(struct fix *f, uint32_t index, uint32_t attrs, uint16_t size,
		       const char *auth)
{
	return define_ex(f, TPM_RH_OWNER, index, TPM_ALG_SHA256, attrs, NULL, 0, size, auth);
}

static uint32_t undefine(struct fix *f, uint32_t authh, uint32_t index)
{
	uint32_t h[2] = { authh, index };

	return pw_auth_cmd(f, TPM_CC_NV_UNDEFINE_SPACE, h, 2, NULL, 0, NULL, 0);
}

static uint32_t nv_write_a(struct fix *f, const struct fauth *a, uint32_t authh, uint32_t index,
			   const void *data, uint16_t len, uint16_t off)
{
	uint32_t h[2] = { authh, index };
	struct cb c;

	c.n = 0;
	cb_tpm2b(&c, data, len);
	cb_u16(&c, off);
	return auth_cmd(f, TPM_CC_NV_WRITE, h, 2, a, 1, c.b, c.n);
}

static uint32_t nv_write(struct fix *f, uint32_t authh, const char *pw, uint32_t index,
			 const void *data, uint16_t len, uint16_t off)
{
	struct fauth a = { NULL, pw, pw ? strlen(pw) : 0, false, NULL, 0 };

	return nv_write_a(f, &a, authh, index, data, len, off);
}

/* Reads into out (the data's size returned in *n). */
static uint32_t nv_read(struct fix *f, uint32_t authh, const char *pw, uint32_t index,
			uint16_t size, uint16_t off, uint8_t *out, size_t *n)
{
	uint32_t h[2] = { authh, index };
	uint8_t p[4] = { (uint8_t)(size >> 8), (uint8_t)size, (uint8_t)(off >> 8), (uint8_t)off };
	uint32_t rc = pw_auth_cmd(f, TPM_CC_NV_READ, h, 2, pw, pw ? strlen(pw) : 0, p, 4);

	if (rc == TPM_RC_SUCCESS && out != NULL) {
		*n = get16(f->rsp + 14);
		memcpy(out, f->rsp + 16, *n);
	}
	return rc;
}

static uint32_t nv_simple(struct fix *f, uint32_t cc, uint32_t authh, const char *pw,
			  uint32_t index, const void *params, size_t pl)
{
	uint32_t h[2] = { authh, index };

	return pw_auth_cmd(f, cc, h, 2, pw, pw ? strlen(pw) : 0, params, pl);
}

static uint64_t read_u64(struct fix *f, uint32_t index)
{
	uint8_t b[8];
	size_t n = 0;

	if (nv_read(f, TPM_RH_OWNER, NULL, index, 8, 0, b, &n) != TPM_RC_SUCCESS || n != 8) {
		return 0xDEADull;
	}
	return (uint64_t)get32(b) << 32 | get32(b + 4);
}

static uint32_t read_public(struct fix *f, uint32_t index, uint32_t *attrs)
{
	struct cb c;
	uint32_t rc;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_NV_READ_PUBLIC);
	cb_u32(&c, index);
	rc = run(f, &c);
	if (rc == TPM_RC_SUCCESS && attrs != NULL) {
		*attrs = get32(f->rsp + 10 + 2 + 4 + 2);
	}
	return rc;
}

static void power_cycle(struct fix *f, int shutdown, uint16_t startup)
{
	struct cb c;

	if (shutdown >= 0) {
		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_SHUTDOWN);
		cb_u16(&c, (uint16_t)shutdown);
		run(f, &c);
	}
	vtpm_power_on(f->t);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_STARTUP);
	cb_u16(&c, startup);
	run(f, &c);
}

/* policyDigest after PolicyCommandCode(cc) from zero (Part 3 §23.11), SHA-256. */
static void policy_cc_digest(uint32_t cc, uint8_t *out)
{
	uint8_t zero[32] = { 0 };
	uint8_t b[8] = { 0, 0, 0x01, 0x6C, (uint8_t)(cc >> 24), (uint8_t)(cc >> 16),
			 (uint8_t)(cc >> 8), (uint8_t)cc };

	ossl_hash3(1, zero, 32, b, 8, NULL, 0, out);
}

static uint32_t policy_cc(struct fix *f, uint32_t h, uint32_t code)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_POLICY_COMMAND_CODE);
	cb_u32(&c, h);
	cb_u32(&c, code);
	return run(f, &c);
}

/* ---- tests ------------------------------------------------------------------------------ */

KTEST(nv, define_write_read_undefine_and_name)
{
	static struct fix f;
	uint8_t data[64];
	uint8_t got[64];
	uint8_t name[70];
	uint8_t pub[128];
	uint8_t want[34];
	size_t n = 0;
	size_t nl;
	uint32_t attrs = RW_OWNER | RW_AUTH;

	ASSERT_TRUE(fix_open(&f));
	for (unsigned int i = 0; i < sizeof(data); i++) {
		data[i] = (uint8_t)(i * 3 + 1);
	}
	ASSERT_EQ(define(&f, IDX, attrs, 32, "idxpw"), TPM_RC_SUCCESS);
	EXPECT_EQ(define(&f, IDX, attrs, 32, NULL), TPM_RC_NV_DEFINED);
	/* Name = 0x000B || SHA-256(TPMS_NV_PUBLIC), before and after the first write. */
	for (int written = 0; written < 2; written++) {
		uint32_t a = attrs | (written ? TPMA_NV_WRITTEN : 0);
		size_t pl = 0;

		pub[pl++] = (uint8_t)(IDX >> 24);
		pub[pl++] = (uint8_t)(IDX >> 16);
		pub[pl++] = (uint8_t)(IDX >> 8);
		pub[pl++] = (uint8_t)IDX;
		pub[pl++] = 0;
		pub[pl++] = 0x0B;
		pub[pl++] = (uint8_t)(a >> 24);
		pub[pl++] = (uint8_t)(a >> 16);
		pub[pl++] = (uint8_t)(a >> 8);
		pub[pl++] = (uint8_t)a;
		pub[pl++] = 0;
		pub[pl++] = 0;
		pub[pl++] = 0;
		pub[pl++] = 32;
		want[0] = 0;
		want[1] = 0x0B;
		ossl_hash3(1, pub, pl, NULL, 0, NULL, 0, want + 2);
		ASSERT_EQ(read_public(&f, IDX, NULL), TPM_RC_SUCCESS);
		EXPECT_EQ(get16(f.rsp + 10), (uint16_t)pl);
		EXPECT_MEMEQ(f.rsp + 12, pub, pl);
		nl = entity_name(&f, IDX, name);
		EXPECT_EQ(nl, 34u);
		EXPECT_MEMEQ(name, want, 34);
		if (!written) {
			EXPECT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX, 4, 0, got, &n),
				  TPM_RC_NV_UNINITIALIZED);
			ASSERT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX, data, 32, 0),
				  TPM_RC_SUCCESS);
		}
	}
	ASSERT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX, 32, 0, got, &n), TPM_RC_SUCCESS);
	EXPECT_EQ(n, 32u);
	EXPECT_MEMEQ(got, data, 32);
	/* Partial write at an offset, read back through the index's own authValue. */
	ASSERT_EQ(nv_write(&f, IDX, "idxpw", IDX, data + 40, 8, 24), TPM_RC_SUCCESS);
	ASSERT_EQ(nv_read(&f, IDX, "idxpw", IDX, 10, 22, got, &n), TPM_RC_SUCCESS);
	EXPECT_EQ(n, 10u);
	EXPECT_MEMEQ(got, data + 22, 2);
	EXPECT_MEMEQ(got + 2, data + 40, 8);
	/* Ranges and sizes. */
	EXPECT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX, data, 8, 25), TPM_RC_NV_RANGE);
	EXPECT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX, 33, 0, got, &n), TPM_RC_NV_RANGE);
	EXPECT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX, 1, 32, got, &n), TPM_RC_NV_RANGE);
	ASSERT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX, 0, 32, got, &n), TPM_RC_SUCCESS);
	EXPECT_EQ(n, 0u);
	/* A wrong index password: AUTH_FAIL + session 1. */
	EXPECT_EQ(nv_write(&f, IDX, "wrong", IDX, data, 1, 0),
		  rc_session(TPM_RC_AUTH_FAIL, 1));
	/* Undefine with the owner; afterwards the handle is gone. */
	ASSERT_EQ(undefine(&f, TPM_RH_OWNER, IDX), TPM_RC_SUCCESS);
	EXPECT_EQ(read_public(&f, IDX, NULL), rc_handle(TPM_RC_HANDLE, 1));
	EXPECT_EQ(undefine(&f, TPM_RH_OWNER, IDX), rc_handle(TPM_RC_HANDLE, 2));
	EXPECT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX, 1, 0, got, &n),
		  rc_handle(TPM_RC_HANDLE, 2));
	EXPECT_EQ(f.malformed, 0);
}

KTEST(nv, define_space_errors)
{
	static struct fix f;
	uint8_t pol[32] = { 1 };
	uint8_t p[256];
	size_t n;
	uint32_t own = TPM_RH_OWNER;
	uint32_t rw = RW_OWNER;

	ASSERT_TRUE(fix_open(&f));
	/* No read (or no write) authorization; state bits; reserved types; PIN types. */
	EXPECT_EQ(define(&f, IDX, TPMA_NV_OWNERWRITE, 8, NULL), rc_param(TPM_RC_ATTRIBUTES, 2));
	EXPECT_EQ(define(&f, IDX, TPMA_NV_OWNERREAD, 8, NULL), rc_param(TPM_RC_ATTRIBUTES, 2));
	EXPECT_EQ(define(&f, IDX, rw | TPMA_NV_WRITTEN, 8, NULL), rc_param(TPM_RC_ATTRIBUTES, 2));
	EXPECT_EQ(define(&f, IDX, rw | TPMA_NV_WRITELOCKED, 8, NULL),
		  rc_param(TPM_RC_ATTRIBUTES, 2));
	EXPECT_EQ(define(&f, IDX, rw | TPMA_NV_READLOCKED, 8, NULL),
		  rc_param(TPM_RC_ATTRIBUTES, 2));
	EXPECT_EQ(define(&f, IDX, rw | NT_SHIFT(TPM_NT_PIN_FAIL), 8, NULL),
		  rc_param(TPM_RC_ATTRIBUTES, 2));
	EXPECT_EQ(define(&f, IDX, rw | NT_SHIFT(3), 8, NULL), rc_param(TPM_RC_ATTRIBUTES, 2));
	EXPECT_EQ(define(&f, IDX, rw | NT_SHIFT(TPM_NT_COUNTER) | TPMA_NV_CLEAR_STCLEAR, 8, NULL),
		  rc_param(TPM_RC_ATTRIBUTES, 2));
	EXPECT_EQ(define(&f, IDX, rw | NT_SHIFT(TPM_NT_BITS) | TPMA_NV_WRITEALL, 8, NULL),
		  rc_param(TPM_RC_ATTRIBUTES, 2));
	EXPECT_EQ(define(&f, IDX, rw | TPMA_NV_POLICY_DELETE, 8, NULL),
		  rc_param(TPM_RC_ATTRIBUTES, 2));
	/* PLATFORMCREATE belongs to the platform, everything else to the owner. */
	EXPECT_EQ(define(&f, IDX, rw | TPMA_NV_PLATFORMCREATE, 8, NULL),
		  rc_param(TPM_RC_ATTRIBUTES, 2));
	EXPECT_EQ(define_ex(&f, TPM_RH_PLATFORM, IDX, TPM_ALG_SHA256, rw, NULL, 0, 8, NULL),
		  rc_param(TPM_RC_ATTRIBUTES, 2));
	/* Reserved bits, bad nameAlg, an index handle outside the NV range. */
	EXPECT_EQ(define(&f, IDX, rw | (1u << 8), 8, NULL), rc_param(TPM_RC_RESERVED_BITS, 2));
	EXPECT_EQ(define(&f, IDX, rw | (1u << 20), 8, NULL), rc_param(TPM_RC_RESERVED_BITS, 2));
	EXPECT_EQ(define_ex(&f, own, IDX, TPM_ALG_NULL, rw, NULL, 0, 8, NULL),
		  rc_param(TPM_RC_HASH, 2));
	EXPECT_EQ(define_ex(&f, own, IDX, 0x0099, rw, NULL, 0, 8, NULL), rc_param(TPM_RC_HASH, 2));
	EXPECT_EQ(define_ex(&f, own, 0x81000001u, TPM_ALG_SHA256, rw, NULL, 0, 8, NULL),
		  rc_param(TPM_RC_VALUE, 2));
	/* Sizes: per type, the index maximum, authValue and authPolicy against nameAlg. */
	EXPECT_EQ(define(&f, IDX, rw | NT_SHIFT(TPM_NT_COUNTER), 4, NULL),
		  rc_param(TPM_RC_SIZE, 2));
	EXPECT_EQ(define(&f, IDX, rw | NT_SHIFT(TPM_NT_BITS), 9, NULL), rc_param(TPM_RC_SIZE, 2));
	EXPECT_EQ(define(&f, IDX, rw | NT_SHIFT(TPM_NT_EXTEND), 20, NULL),
		  rc_param(TPM_RC_SIZE, 2));
	EXPECT_EQ(define(&f, IDX, rw, 2049, NULL), rc_param(TPM_RC_SIZE, 2));
	EXPECT_EQ(define(&f, IDX, rw, 8, "0123456789abcdef0123456789abcdefX"),
		  rc_param(TPM_RC_SIZE, 1));
	EXPECT_EQ(define_ex(&f, own, IDX, TPM_ALG_SHA1, rw, NULL, 0, 8, "0123456789abcdefghijK"),
		  rc_param(TPM_RC_SIZE, 1));
	EXPECT_EQ(define_ex(&f, own, IDX, TPM_ALG_SHA256, rw, pol, 20, 8, NULL),
		  rc_param(TPM_RC_SIZE, 2));
	/* Malformed TPM2B_NV_PUBLIC: size 0, size beyond the structure, truncated. */
	n = define_params(p, NULL, 0, IDX, TPM_ALG_SHA256, rw, NULL, 0, 8);
	p[2] = 0;
	p[3] = 0;
	EXPECT_EQ(pw_auth_cmd(&f, TPM_CC_NV_DEFINE_SPACE, &own, 1, NULL, 0, p, 4),
		  rc_param(TPM_RC_SIZE, 2));
	n = define_params(p, NULL, 0, IDX, TPM_ALG_SHA256, rw, NULL, 0, 8);
	p[3] = (uint8_t)(p[3] + 1);
	p[n++] = 0;
	EXPECT_EQ(pw_auth_cmd(&f, TPM_CC_NV_DEFINE_SPACE, &own, 1, NULL, 0, p, n),
		  rc_param(TPM_RC_SIZE, 2));
	n = define_params(p, NULL, 0, IDX, TPM_ALG_SHA256, rw, NULL, 0, 8);
	EXPECT_EQ(pw_auth_cmd(&f, TPM_CC_NV_DEFINE_SPACE, &own, 1, NULL, 0, p, n - 1),
		  rc_param(TPM_RC_INSUFFICIENT, 2));
	p[n] = 0;
	EXPECT_EQ(pw_auth_cmd(&f, TPM_CC_NV_DEFINE_SPACE, &own, 1, NULL, 0, p, n + 1),
		  TPM_RC_SIZE);
	/* Nothing was defined by any of that. */
	EXPECT_EQ(read_public(&f, IDX, NULL), rc_handle(TPM_RC_HANDLE, 1));
	/* Exact fits: 32-octet SHA-256 auth (trailing zeros trimmed), 20-octet SHA-1. */
	ASSERT_EQ(define(&f, IDX, rw, 2048, "0123456789abcdef0123456789abcdef"), TPM_RC_SUCCESS);
	/* The pool: 32 slots, 8192 octets. */
	ASSERT_EQ(define(&f, IDX + 1, rw, 2048, NULL), TPM_RC_SUCCESS);
	ASSERT_EQ(define(&f, IDX + 2, rw, 2048, NULL), TPM_RC_SUCCESS);
	ASSERT_EQ(define(&f, IDX + 3, rw, 2040, NULL), TPM_RC_SUCCESS);
	EXPECT_EQ(define(&f, IDX + 4, rw, 9, NULL), TPM_RC_NV_SPACE);
	ASSERT_EQ(define(&f, IDX + 4, rw, 8, NULL), TPM_RC_SUCCESS);
	EXPECT_EQ(define(&f, IDX + 5, rw, 1, NULL), TPM_RC_NV_SPACE);
	ASSERT_EQ(undefine(&f, TPM_RH_OWNER, IDX + 1), TPM_RC_SUCCESS);
	for (unsigned int i = 0; i < 28; i++) { /* 4 + 28 = 32 slots */
		ASSERT_EQ(define(&f, 0x01000000u + i, rw, 8, NULL), TPM_RC_SUCCESS);
	}
	EXPECT_EQ(define(&f, 0x01000100u, rw, 8, NULL), TPM_RC_NV_SPACE);
	EXPECT_EQ(f.malformed, 0);
}

KTEST(nv, pool_packing_keeps_data)
{
	static struct fix f;
	uint8_t a[100];
	uint8_t got[100];
	size_t n = 0;

	ASSERT_TRUE(fix_open(&f));
	for (unsigned int k = 0; k < 6; k++) {
		memset(a, (int)(0x10 + k), sizeof(a));
		ASSERT_EQ(define(&f, IDX + k, RW_OWNER, (uint16_t)(50 + k), NULL), TPM_RC_SUCCESS);
		ASSERT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX + k, a, (uint16_t)(50 + k), 0),
			  TPM_RC_SUCCESS);
	}
	ASSERT_EQ(undefine(&f, TPM_RH_OWNER, IDX + 1), TPM_RC_SUCCESS);
	ASSERT_EQ(undefine(&f, TPM_RH_OWNER, IDX + 4), TPM_RC_SUCCESS);
	ASSERT_EQ(define(&f, IDX + 9, RW_OWNER, 77, NULL), TPM_RC_SUCCESS);
	for (unsigned int k = 0; k < 6; k++) {
		if (k == 1 || k == 4) {
			continue;
		}
		memset(a, (int)(0x10 + k), sizeof(a));
		ASSERT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX + k, (uint16_t)(50 + k), 0, got, &n),
			  TPM_RC_SUCCESS);
		EXPECT_MEMEQ(got, a, 50 + k);
	}
	EXPECT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX + 9, 1, 0, got, &n),
		  TPM_RC_NV_UNINITIALIZED);
}

KTEST(nv, authorization_choices)
{
	static struct fix f;
	uint8_t d[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t got[8];
	size_t n = 0;

	ASSERT_TRUE(fix_open(&f));
	/* Owner may write, only the index may read. */
	ASSERT_EQ(define(&f, IDX, TPMA_NV_OWNERWRITE | TPMA_NV_AUTHREAD, 8, "pw"), TPM_RC_SUCCESS);
	ASSERT_EQ(define(&f, IDX + 1, RW_OWNER | RW_AUTH, 8, NULL), TPM_RC_SUCCESS);
	EXPECT_EQ(nv_write(&f, IDX, "pw", IDX, d, 8, 0), TPM_RC_NV_AUTHORIZATION);
	EXPECT_EQ(nv_write(&f, TPM_RH_PLATFORM, NULL, IDX, d, 8, 0), TPM_RC_NV_AUTHORIZATION);
	ASSERT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX, d, 8, 0), TPM_RC_SUCCESS);
	EXPECT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX, 8, 0, got, &n), TPM_RC_NV_AUTHORIZATION);
	/* Another index is no authorization for this one. */
	EXPECT_EQ(nv_read(&f, IDX + 1, NULL, IDX, 8, 0, got, &n), TPM_RC_NV_AUTHORIZATION);
	ASSERT_EQ(nv_read(&f, IDX, "pw", IDX, 8, 0, got, &n), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(got, d, 8);
	/* Trailing zeros of a password are not significant. */
	{
		struct fauth a = { NULL, "pw\0\0", 4, false, NULL, 0 };
		uint32_t h[2] = { IDX, IDX };
		uint8_t p[4] = { 0, 8, 0, 0 };

		EXPECT_EQ(auth_cmd(&f, TPM_CC_NV_READ, h, 2, &a, 1, p, 4), TPM_RC_SUCCESS);
	}
	/* Write-type commands on the wrong index type: ATTRIBUTES on handle 2. */
	{
		uint8_t bits[8] = { 0 };

		EXPECT_EQ(nv_simple(&f, TPM_CC_NV_INCREMENT, TPM_RH_OWNER, NULL, IDX, NULL, 0),
			  rc_handle(TPM_RC_ATTRIBUTES, 2));
		EXPECT_EQ(nv_simple(&f, TPM_CC_NV_SET_BITS, TPM_RH_OWNER, NULL, IDX, bits, 8),
			  rc_handle(TPM_RC_ATTRIBUTES, 2));
		EXPECT_EQ(nv_simple(&f, TPM_CC_NV_EXTEND, TPM_RH_OWNER, NULL, IDX, bits, 2),
			  rc_handle(TPM_RC_ATTRIBUTES, 2));
	}
	/* Handle kinds: NV_Read's authHandle takes OWNER, PLATFORM or an index. */
	EXPECT_EQ(nv_read(&f, TPM_RH_ENDORSEMENT, NULL, IDX, 8, 0, got, &n),
		  rc_handle(TPM_RC_VALUE, 1));
	EXPECT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, 0x80000000u, 8, 0, got, &n),
		  rc_handle(TPM_RC_VALUE, 2));
	/* Without the hierarchy: owner indices vanish while shEnable is CLEAR. */
	{
		uint32_t h = TPM_RH_OWNER;
		uint8_t p[5] = { 0x40, 0, 0, 1, 0 };

		ASSERT_EQ(pw_auth_cmd(&f, TPM_CC_HIERARCHY_CONTROL, &h, 1, NULL, 0, p, 5),
			  TPM_RC_SUCCESS);
		EXPECT_EQ(nv_read(&f, IDX, "pw", IDX, 8, 0, got, &n), rc_handle(TPM_RC_HANDLE, 1));
		EXPECT_EQ(read_public(&f, IDX, NULL), rc_handle(TPM_RC_HANDLE, 1));
		power_cycle(&f, TPM_SU_CLEAR, TPM_SU_CLEAR);
		EXPECT_EQ(nv_read(&f, IDX, "pw", IDX, 8, 0, got, &n), TPM_RC_SUCCESS);
	}
	EXPECT_EQ(f.malformed, 0);
}

KTEST(nv, counter_bits_extend)
{
	static struct fix f;
	uint8_t got[64];
	uint8_t want[64];
	uint8_t zero[32] = { 0 };
	uint8_t p[64];
	size_t n = 0;
	uint64_t v;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(define(&f, IDX, RW_OWNER | NT_SHIFT(TPM_NT_COUNTER), 8, NULL), TPM_RC_SUCCESS);
	EXPECT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX, 8, 0, got, &n), TPM_RC_NV_UNINITIALIZED);
	EXPECT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX, got, 8, 0),
		  rc_handle(TPM_RC_ATTRIBUTES, 2));
	for (unsigned int i = 0; i < 5; i++) {
		ASSERT_EQ(nv_simple(&f, TPM_CC_NV_INCREMENT, TPM_RH_OWNER, NULL, IDX, NULL, 0),
			  TPM_RC_SUCCESS);
	}
	v = read_u64(&f, IDX);
	EXPECT_EQ(v, 5u);
	/* A redefined counter starts above every value any counter had. */
	ASSERT_EQ(undefine(&f, TPM_RH_OWNER, IDX), TPM_RC_SUCCESS);
	ASSERT_EQ(define(&f, IDX, RW_OWNER | NT_SHIFT(TPM_NT_COUNTER), 8, NULL), TPM_RC_SUCCESS);
	ASSERT_EQ(nv_simple(&f, TPM_CC_NV_INCREMENT, TPM_RH_OWNER, NULL, IDX, NULL, 0),
		  TPM_RC_SUCCESS);
	EXPECT_TRUE(read_u64(&f, IDX) > 5u);
	EXPECT_EQ(nv_simple(&f, TPM_CC_NV_INCREMENT, TPM_RH_OWNER, NULL, IDX, p, 1), TPM_RC_SIZE);

	/* Bits: OR into zero. */
	ASSERT_EQ(define(&f, IDX + 1, RW_OWNER | NT_SHIFT(TPM_NT_BITS), 8, NULL), TPM_RC_SUCCESS);
	memset(p, 0, 8);
	p[7] = 0x01;
	ASSERT_EQ(nv_simple(&f, TPM_CC_NV_SET_BITS, TPM_RH_OWNER, NULL, IDX + 1, p, 8),
		  TPM_RC_SUCCESS);
	p[7] = 0;
	p[6] = 0x01;
	p[0] = 0x80;
	ASSERT_EQ(nv_simple(&f, TPM_CC_NV_SET_BITS, TPM_RH_OWNER, NULL, IDX + 1, p, 8),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(read_u64(&f, IDX + 1), 0x8000000000000101ull);
	EXPECT_EQ(nv_simple(&f, TPM_CC_NV_SET_BITS, TPM_RH_OWNER, NULL, IDX + 1, p, 7),
		  rc_param(TPM_RC_INSUFFICIENT, 1));

	/* Extend: SHA-256(old || data), old = zeros before the first extend. */
	ASSERT_EQ(define(&f, IDX + 2, RW_OWNER | NT_SHIFT(TPM_NT_EXTEND), 32, NULL),
		  TPM_RC_SUCCESS);
	p[0] = 0;
	p[1] = 3;
	memcpy(p + 2, "abc", 3);
	ASSERT_EQ(nv_simple(&f, TPM_CC_NV_EXTEND, TPM_RH_OWNER, NULL, IDX + 2, p, 5),
		  TPM_RC_SUCCESS);
	ossl_hash3(1, zero, 32, "abc", 3, NULL, 0, want);
	ASSERT_EQ(nv_simple(&f, TPM_CC_NV_EXTEND, TPM_RH_OWNER, NULL, IDX + 2, p, 5),
		  TPM_RC_SUCCESS);
	ossl_hash3(1, want, 32, "abc", 3, NULL, 0, want);
	ASSERT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX + 2, 32, 0, got, &n), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(got, want, 32);
	/* A SHA-1 extend index holds 20 octets. */
	ASSERT_EQ(define_ex(&f, TPM_RH_OWNER, IDX + 3, TPM_ALG_SHA1,
			    RW_OWNER | NT_SHIFT(TPM_NT_EXTEND), NULL, 0, 20, NULL),
		  TPM_RC_SUCCESS);
	ASSERT_EQ(nv_simple(&f, TPM_CC_NV_EXTEND, TPM_RH_OWNER, NULL, IDX + 3, p, 5),
		  TPM_RC_SUCCESS);
	ossl_hash3(0, zero, 20, "abc", 3, NULL, 0, want);
	ASSERT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX + 3, 20, 0, got, &n), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(got, want, 20);
	/* WRITEALL ordinary index: only whole writes. */
	ASSERT_EQ(define(&f, IDX + 4, RW_OWNER | TPMA_NV_WRITEALL, 16, NULL), TPM_RC_SUCCESS);
	EXPECT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX + 4, p, 8, 0), TPM_RC_NV_RANGE);
	EXPECT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX + 4, p, 16, 0), TPM_RC_SUCCESS);
	EXPECT_EQ(f.malformed, 0);
}

KTEST(nv, locks_across_startup)
{
	static struct fix f;
	uint8_t d[8] = { 9 };
	uint8_t got[8];
	size_t n = 0;
	uint32_t a = 0;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(define(&f, IDX, RW_OWNER | TPMA_NV_WRITE_STCLEAR | TPMA_NV_READ_STCLEAR, 8, NULL),
		  TPM_RC_SUCCESS);
	ASSERT_EQ(define(&f, IDX + 1, RW_OWNER | TPMA_NV_WRITEDEFINE, 8, NULL), TPM_RC_SUCCESS);
	ASSERT_EQ(define(&f, IDX + 2, RW_OWNER | TPMA_NV_GLOBALLOCK, 8, NULL), TPM_RC_SUCCESS);
	ASSERT_EQ(define(&f, IDX + 3, RW_OWNER | TPMA_NV_CLEAR_STCLEAR, 8, NULL), TPM_RC_SUCCESS);
	ASSERT_EQ(define(&f, IDX + 4, RW_OWNER, 8, NULL), TPM_RC_SUCCESS);
	for (unsigned int k = 0; k < 5; k++) {
		ASSERT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX + k, d, 8, 0), TPM_RC_SUCCESS);
	}
	/* Locks need their attributes. */
	EXPECT_EQ(nv_simple(&f, TPM_CC_NV_WRITE_LOCK, TPM_RH_OWNER, NULL, IDX + 4, NULL, 0),
		  rc_handle(TPM_RC_ATTRIBUTES, 2));
	EXPECT_EQ(nv_simple(&f, TPM_CC_NV_READ_LOCK, TPM_RH_OWNER, NULL, IDX + 4, NULL, 0),
		  rc_handle(TPM_RC_ATTRIBUTES, 2));
	ASSERT_EQ(nv_simple(&f, TPM_CC_NV_WRITE_LOCK, TPM_RH_OWNER, NULL, IDX, NULL, 0),
		  TPM_RC_SUCCESS);
	ASSERT_EQ(nv_simple(&f, TPM_CC_NV_WRITE_LOCK, TPM_RH_OWNER, NULL, IDX, NULL, 0),
		  TPM_RC_SUCCESS); /* again: no change */
	ASSERT_EQ(nv_simple(&f, TPM_CC_NV_READ_LOCK, TPM_RH_OWNER, NULL, IDX, NULL, 0),
		  TPM_RC_SUCCESS);
	ASSERT_EQ(nv_simple(&f, TPM_CC_NV_WRITE_LOCK, TPM_RH_OWNER, NULL, IDX + 1, NULL, 0),
		  TPM_RC_SUCCESS);
	{
		uint32_t h = TPM_RH_OWNER;

		ASSERT_EQ(pw_auth_cmd(&f, TPM_CC_NV_GLOBAL_WRITE_LOCK, &h, 1, NULL, 0, NULL, 0),
			  TPM_RC_SUCCESS);
	}
	ASSERT_EQ(read_public(&f, IDX, &a), TPM_RC_SUCCESS);
	EXPECT_TRUE((a & TPMA_NV_WRITELOCKED) && (a & TPMA_NV_READLOCKED));
	EXPECT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX, d, 8, 0), TPM_RC_NV_LOCKED);
	EXPECT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX, 8, 0, got, &n), TPM_RC_NV_LOCKED);
	EXPECT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX + 1, d, 8, 0), TPM_RC_NV_LOCKED);
	EXPECT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX + 2, d, 8, 0), TPM_RC_NV_LOCKED);
	EXPECT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX + 4, d, 8, 0), TPM_RC_SUCCESS);
	/* TPM Resume keeps every lock and WRITTEN. */
	power_cycle(&f, TPM_SU_STATE, TPM_SU_STATE);
	EXPECT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX, d, 8, 0), TPM_RC_NV_LOCKED);
	EXPECT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX, 8, 0, got, &n), TPM_RC_NV_LOCKED);
	EXPECT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX + 2, d, 8, 0), TPM_RC_NV_LOCKED);
	EXPECT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX + 3, 8, 0, got, &n), TPM_RC_SUCCESS);
	/* TPM Restart (Shutdown(STATE) + Startup(CLEAR)) ends the STCLEAR locks, not the
	 * WRITEDEFINE one, and forgets CLEAR_STCLEAR data. */
	power_cycle(&f, TPM_SU_STATE, TPM_SU_CLEAR);
	EXPECT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX, d, 8, 0), TPM_RC_SUCCESS);
	EXPECT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX, 8, 0, got, &n), TPM_RC_SUCCESS);
	EXPECT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX + 1, d, 8, 0), TPM_RC_NV_LOCKED);
	EXPECT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX + 2, d, 8, 0), TPM_RC_SUCCESS);
	EXPECT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX + 3, 8, 0, got, &n), TPM_RC_NV_UNINITIALIZED);
	EXPECT_EQ(nv_read(&f, TPM_RH_OWNER, NULL, IDX + 4, 8, 0, got, &n), TPM_RC_SUCCESS);
	/* TPM Reset likewise; the define lock stays until the index is undefined. */
	power_cycle(&f, -1, TPM_SU_CLEAR);
	EXPECT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX + 1, d, 8, 0), TPM_RC_NV_LOCKED);
	ASSERT_EQ(undefine(&f, TPM_RH_OWNER, IDX + 1), TPM_RC_SUCCESS);
	ASSERT_EQ(define(&f, IDX + 1, RW_OWNER | TPMA_NV_WRITEDEFINE, 8, NULL), TPM_RC_SUCCESS);
	EXPECT_EQ(nv_write(&f, TPM_RH_OWNER, NULL, IDX + 1, d, 8, 0), TPM_RC_SUCCESS);
	EXPECT_EQ(f.malformed, 0);
}

KTEST(nv, hmac_and_policy_authorization)
{
	static struct fix f;
	struct sess s;
	uint8_t pol[32];
	uint8_t d[4] = { 1, 2, 3, 4 };
	uint8_t old_name[3][70];
	size_t lens[3];
	uint32_t h[2] = { IDX, IDX };
	uint8_t p[8];

	ASSERT_TRUE(fix_open(&f));
	/* HMAC session, index authValue: cpHash carries the Name, which changes when the first
	 * write sets WRITTEN. */
	ASSERT_EQ(define(&f, IDX, RW_AUTH | TPMA_NV_NO_DA, 8, "secret"), TPM_RC_SUCCESS);
	ASSERT_EQ(start_session(&f, &s, SE_HMAC, TPM_ALG_SHA256, TPM_RH_NULL), TPM_RC_SUCCESS);
	{
		struct fauth a = { &s, "secret", 6, true, NULL, 0 };
		struct fauth bad = { &s, "secreT", 6, true, NULL, 0 };

		lens[0] = entity_name(&f, IDX, old_name[0]);
		lens[1] = lens[0];
		memcpy(old_name[1], old_name[0], lens[0]);
		EXPECT_EQ(nv_write_a(&f, &bad, IDX, IDX, d, 4, 0), rc_session(TPM_RC_AUTH_FAIL, 1));
		ASSERT_EQ(nv_write_a(&f, &a, IDX, IDX, d, 4, 0), TPM_RC_SUCCESS);
		/* The Name before the write is no longer the index's Name. */
		p[0] = 0;
		p[1] = 4;
		memcpy(p + 2, d, 4);
		p[6] = 0;
		p[7] = 0;
		EXPECT_EQ(auth_cmd_names(&f, TPM_CC_NV_WRITE, h, 2, &a, 1, p, 8,
					 (const uint8_t(*)[70])old_name, lens),
			  rc_session(TPM_RC_AUTH_FAIL, 1));
		ASSERT_EQ(nv_write_a(&f, &a, IDX, IDX, d, 4, 4), TPM_RC_SUCCESS);
		EXPECT_EQ(f.rsp_hmac_bad, 0);
	}
	/* Policy: the index's authPolicy is PolicyCommandCode(NV_Write). */
	policy_cc_digest(TPM_CC_NV_WRITE, pol);
	ASSERT_EQ(define_ex(&f, TPM_RH_OWNER, IDX + 1, TPM_ALG_SHA256,
			    TPMA_NV_POLICYWRITE | TPMA_NV_OWNERREAD, pol, 32, 8, NULL),
		  TPM_RC_SUCCESS);
	ASSERT_EQ(define_ex(&f, TPM_RH_OWNER, IDX + 2, TPM_ALG_SHA256,
			    TPMA_NV_AUTHWRITE | TPMA_NV_OWNERREAD, pol, 32, 8, NULL),
		  TPM_RC_SUCCESS);
	ASSERT_EQ(start_session(&f, &s, SE_POLICY, TPM_ALG_SHA256, TPM_RH_NULL), TPM_RC_SUCCESS);
	{
		struct fauth a = { &s, NULL, 0, false, NULL, 0 };

		/* Empty policy digest: POLICY_FAIL. */
		EXPECT_EQ(nv_write_a(&f, &a, IDX + 1, IDX + 1, d, 4, 0),
			  rc_session(TPM_RC_POLICY_FAIL, 1));
		ASSERT_EQ(policy_cc(&f, s.handle, TPM_CC_NV_WRITE), TPM_RC_SUCCESS);
		ASSERT_EQ(nv_write_a(&f, &a, IDX + 1, IDX + 1, d, 4, 0), TPM_RC_SUCCESS);
		/* The policy was reset by its use. */
		EXPECT_EQ(nv_write_a(&f, &a, IDX + 1, IDX + 1, d, 4, 0),
			  rc_session(TPM_RC_POLICY_FAIL, 1));
		/* A satisfied policy on an index without POLICYWRITE. */
		ASSERT_EQ(policy_cc(&f, s.handle, TPM_CC_NV_WRITE), TPM_RC_SUCCESS);
		EXPECT_EQ(nv_write_a(&f, &a, IDX + 2, IDX + 2, d, 4, 0), TPM_RC_NV_AUTHORIZATION);
		EXPECT_EQ(f.rsp_hmac_bad, 0);
	}
	EXPECT_EQ(f.malformed, 0);
}

KTEST(nv, change_auth_and_undefine_special_need_policy)
{
	static struct fix f;
	struct sess s;
	uint8_t pol[32];
	uint8_t p[16];
	uint8_t got[8];
	size_t n = 0;
	uint32_t idx = IDX;

	ASSERT_TRUE(fix_open(&f));
	policy_cc_digest(TPM_CC_NV_CHANGE_AUTH, pol);
	ASSERT_EQ(define_ex(&f, TPM_RH_OWNER, IDX, TPM_ALG_SHA256, RW_AUTH | TPMA_NV_NO_DA, pol, 32,
			    8, "old"),
		  TPM_RC_SUCCESS);
	p[0] = 0;
	p[1] = 3;
	memcpy(p + 2, "new", 3);
	/* ADMIN role: a password (even the right one) is the wrong kind of authorization. */
	EXPECT_EQ(pw_auth_cmd(&f, TPM_CC_NV_CHANGE_AUTH, &idx, 1, "old", 3, p, 5),
		  TPM_RC_AUTH_TYPE);
	ASSERT_EQ(start_session(&f, &s, SE_POLICY, TPM_ALG_SHA256, TPM_RH_NULL), TPM_RC_SUCCESS);
	ASSERT_EQ(policy_cc(&f, s.handle, TPM_CC_NV_CHANGE_AUTH), TPM_RC_SUCCESS);
	{
		struct fauth a = { &s, NULL, 0, false, NULL, 0 };
		uint8_t big[40] = { 0, 33 };

		memset(big + 2, 'x', 33);
		EXPECT_EQ(auth_cmd(&f, TPM_CC_NV_CHANGE_AUTH, &idx, 1, &a, 1, big, 35),
			  rc_param(TPM_RC_SIZE, 1));
		/* A failed command leaves the policy as it was. */
		ASSERT_EQ(auth_cmd(&f, TPM_CC_NV_CHANGE_AUTH, &idx, 1, &a, 1, p, 5),
			  TPM_RC_SUCCESS);
	}
	ASSERT_EQ(nv_write(&f, IDX, "new", IDX, "abcdefgh", 8, 0), TPM_RC_SUCCESS);
	EXPECT_EQ(nv_read(&f, IDX, "old", IDX, 8, 0, got, &n), rc_session(TPM_RC_AUTH_FAIL, 1));

	/* POLICY_DELETE: a platform index only NV_UndefineSpaceSpecial removes. */
	policy_cc_digest(TPM_CC_NV_UNDEFINE_SPACE_SPECIAL, pol);
	ASSERT_EQ(define_ex(&f, TPM_RH_PLATFORM, IDX + 1, TPM_ALG_SHA256,
			    TPMA_NV_PPWRITE | TPMA_NV_PPREAD | TPMA_NV_PLATFORMCREATE |
				    TPMA_NV_POLICY_DELETE,
			    pol, 32, 8, NULL),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(undefine(&f, TPM_RH_PLATFORM, IDX + 1), rc_handle(TPM_RC_ATTRIBUTES, 2));
	{
		uint32_t h[2] = { IDX + 1, TPM_RH_PLATFORM };
		struct fauth a[2] = { { &s, NULL, 0, false, NULL, 0 }, { NULL, NULL, 0, false, NULL, 0 } };
		struct fauth pw[2] = { { NULL, NULL, 0, false, NULL, 0 }, { NULL, NULL, 0, false, NULL, 0 } };

		EXPECT_EQ(auth_cmd(&f, TPM_CC_NV_UNDEFINE_SPACE_SPECIAL, h, 2, pw, 2, NULL, 0),
			  TPM_RC_AUTH_TYPE);
		ASSERT_EQ(policy_cc(&f, s.handle, TPM_CC_NV_UNDEFINE_SPACE_SPECIAL),
			  TPM_RC_SUCCESS);
		ASSERT_EQ(auth_cmd(&f, TPM_CC_NV_UNDEFINE_SPACE_SPECIAL, h, 2, a, 2, NULL, 0),
			  TPM_RC_SUCCESS);
		EXPECT_EQ(read_public(&f, IDX + 1, NULL), rc_handle(TPM_RC_HANDLE, 1));
		/* Special on an index without POLICY_DELETE. */
		h[0] = IDX;
		policy_cc_digest(TPM_CC_NV_UNDEFINE_SPACE_SPECIAL, pol);
		ASSERT_EQ(define_ex(&f, TPM_RH_PLATFORM, IDX + 2, TPM_ALG_SHA256,
				    TPMA_NV_PPWRITE | TPMA_NV_PPREAD | TPMA_NV_PLATFORMCREATE, pol,
				    32, 8, NULL),
			  TPM_RC_SUCCESS);
		h[0] = IDX + 2;
		ASSERT_EQ(policy_cc(&f, s.handle, TPM_CC_NV_UNDEFINE_SPACE_SPECIAL),
			  TPM_RC_SUCCESS);
		EXPECT_EQ(auth_cmd(&f, TPM_CC_NV_UNDEFINE_SPACE_SPECIAL, h, 2, a, 2, NULL, 0),
			  rc_handle(TPM_RC_ATTRIBUTES, 1));
		/* The owner cannot undefine a platform index; the platform can. */
		EXPECT_EQ(undefine(&f, TPM_RH_OWNER, IDX + 2), TPM_RC_NV_AUTHORIZATION);
		EXPECT_EQ(undefine(&f, TPM_RH_PLATFORM, IDX + 2), TPM_RC_SUCCESS);
	}
	EXPECT_EQ(f.malformed, 0);
}

KTEST(nv, capabilities)
{
	static struct fix f;
	struct cb c;
	const uint32_t idx[3] = { 0x01C00002u, 0x01000001u, 0x01500000u };

	ASSERT_TRUE(fix_open(&f));
	for (unsigned int i = 0; i < 3; i++) {
		ASSERT_EQ(define(&f, idx[i], RW_OWNER | (i == 2 ? NT_SHIFT(TPM_NT_COUNTER) : 0), 8,
				 NULL),
			  TPM_RC_SUCCESS);
	}
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_CAPABILITY);
	cb_u32(&c, TPM_CAP_HANDLES);
	cb_u32(&c, 0x01000000u);
	cb_u32(&c, 2);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	EXPECT_EQ(f.rsp[10], 1); /* moreData */
	EXPECT_EQ(get32(f.rsp + 15), 2u);
	EXPECT_EQ(get32(f.rsp + 19), 0x01000001u);
	EXPECT_EQ(get32(f.rsp + 23), 0x01500000u);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_CAPABILITY);
	cb_u32(&c, TPM_CAP_HANDLES);
	cb_u32(&c, 0x01500001u);
	cb_u32(&c, 10);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	EXPECT_EQ(f.rsp[10], 0);
	EXPECT_EQ(get32(f.rsp + 15), 1u);
	EXPECT_EQ(get32(f.rsp + 19), 0x01C00002u);
	/* HR_NV_INDEX, NV_COUNTERS, NV_COUNTERS_AVAIL; NV_INDEX_MAX, NV_BUFFER_MAX. */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_CAPABILITY);
	cb_u32(&c, TPM_CAP_TPM_PROPERTIES);
	cb_u32(&c, PT_VAR + 2);
	cb_u32(&c, 1);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 19), PT_VAR + 2);
	EXPECT_EQ(get32(f.rsp + 23), 3u);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_CAPABILITY);
	cb_u32(&c, TPM_CAP_TPM_PROPERTIES);
	cb_u32(&c, PT_VAR + 10);
	cb_u32(&c, 2);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 23), 1u);
	EXPECT_EQ(get32(f.rsp + 31), 29u);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_CAPABILITY);
	cb_u32(&c, TPM_CAP_TPM_PROPERTIES);
	cb_u32(&c, PT_FIXED + 23);
	cb_u32(&c, 1);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 23), 2048u);
}

/* Random mutations of valid NV commands never crash, never answer malformed, and leave the
 * defined indices exactly as the successful commands made them. */
KTEST(nv, malformed_input_storm)
{
	static struct fix f;
	static struct cb base[6];
	static struct cb m;
	unsigned long cases = 0;
	unsigned long ok = 0;
	uint32_t seed = 12345;
	uint8_t p[256];
	size_t n;

	ASSERT_TRUE(fix_open(&f));
	/* The index under test is the platform's: no owner-authorized command can remove it. */
	ASSERT_EQ(define_ex(&f, TPM_RH_PLATFORM, IDX, TPM_ALG_SHA256,
			    TPMA_NV_PPWRITE | TPMA_NV_PPREAD | RW_AUTH | TPMA_NV_NO_DA |
				    TPMA_NV_PLATFORMCREATE,
			    NULL, 0, 64, "pw"),
		  TPM_RC_SUCCESS);
	/* Seeds: DefineSpace, Write, Read, ReadPublic, Increment, UndefineSpace (password). */
	n = define_params(p, "a", 1, IDX + 1, TPM_ALG_SHA256, RW_OWNER, NULL, 0, 16);
	for (unsigned int k = 0; k < 6; k++) {
		static const uint32_t ccs[6] = { TPM_CC_NV_DEFINE_SPACE, TPM_CC_NV_WRITE,
						 TPM_CC_NV_READ, TPM_CC_NV_READ_PUBLIC,
						 TPM_CC_NV_INCREMENT, TPM_CC_NV_UNDEFINE_SPACE };
		struct cb *c = &base[k];

		cb_start(c, ccs[k] == TPM_CC_NV_READ_PUBLIC ? TPM_ST_NO_SESSIONS : TPM_ST_SESSIONS,
			 ccs[k]);
		if (ccs[k] == TPM_CC_NV_DEFINE_SPACE || ccs[k] == TPM_CC_NV_UNDEFINE_SPACE) {
			cb_u32(c, TPM_RH_OWNER);
		} else if (ccs[k] != TPM_CC_NV_READ_PUBLIC) {
			cb_u32(c, IDX);
		}
		if (ccs[k] != TPM_CC_NV_DEFINE_SPACE) {
			cb_u32(c, IDX + 1);
		}
		if (ccs[k] != TPM_CC_NV_READ_PUBLIC) {
			cb_u32(c, 11);
			cb_u32(c, TPM_RS_PW);
			cb_u16(c, 0);
			cb_u8(c, 1);
			cb_tpm2b(c, ccs[k] == TPM_CC_NV_DEFINE_SPACE ||
					    ccs[k] == TPM_CC_NV_UNDEFINE_SPACE ? "\0\0" : "pw",
				 2);
		}
		if (ccs[k] == TPM_CC_NV_DEFINE_SPACE) {
			cb_bytes(c, p, n);
		} else if (ccs[k] == TPM_CC_NV_WRITE) {
			cb_tpm2b(c, "hello", 5);
			cb_u16(c, 0);
		} else if (ccs[k] == TPM_CC_NV_READ) {
			cb_u16(c, 4);
			cb_u16(c, 0);
		}
		cb_end(c);
	}
	for (unsigned int round = 0; round < 60000; round++) {
		const struct cb *b = &base[round % 6];
		unsigned int flips;

		m = *b;
		seed = seed * 1103515245u + 12345u;
		flips = 1 + (seed >> 16) % 3;
		for (unsigned int k = 0; k < flips; k++) {
			seed = seed * 1103515245u + 12345u;
			m.b[10 + (seed >> 8) % (m.n - 10)] ^= (uint8_t)(1u << ((seed >> 4) & 7));
		}
		if (((seed >> 20) & 7) == 0) {
			m.n -= 1 + (seed >> 24) % 4; /* truncated (the header still says the old size) */
		}
		cases++;
		if (run_raw(&f, m.b, m.n) == TPM_RC_SUCCESS) {
			ok++;
		}
		/* The index under the owner's control must still be intact. */
		if (round % 1000 == 999) {
			uint32_t a = 0;

			ASSERT_EQ(read_public(&f, IDX, &a), TPM_RC_SUCCESS);
			EXPECT_EQ(a & ~(uint32_t)TPMA_NV_WRITTEN,
				  TPMA_NV_PPWRITE | TPMA_NV_PPREAD | RW_AUTH | TPMA_NV_NO_DA |
					  TPMA_NV_PLATFORMCREATE);
		}
	}
	ktest_print("  NV storm: %lu cases, %lu accepted, %d malformed\n", cases, ok, f.malformed);
	EXPECT_EQ(f.malformed, 0);
	/* Whatever else was defined, the pool accounting is still consistent: it can be
	 * emptied and filled again. */
	for (uint32_t h = 0x01000000u; h < 0x01FFFFFFu;) {
		struct cb c;

		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_CAPABILITY);
		cb_u32(&c, TPM_CAP_HANDLES);
		cb_u32(&c, h);
		cb_u32(&c, 1);
		ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
		if (get32(f.rsp + 15) == 0) {
			break;
		}
		h = get32(f.rsp + 19);
		if (undefine(&f, TPM_RH_OWNER, h) != TPM_RC_SUCCESS) {
			ASSERT_EQ(undefine(&f, TPM_RH_PLATFORM, h), TPM_RC_SUCCESS);
		}
	}
	for (unsigned int k = 0; k < 4; k++) {
		ASSERT_EQ(define(&f, IDX + k, RW_OWNER, 2048, NULL), TPM_RC_SUCCESS);
	}
}
