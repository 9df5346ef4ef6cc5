/*
 * Host tests of objects and keys (vtpm/object.c, public.c, keygen.c, protect.c, cmd_object.c,
 * cmd_sign.c, the object part of cmd_context.c), built into build/host/vtpm_tests.
 *
 * Oracles: OpenSSL computes Names (nameAlg || H(TPMT_PUBLIC) over the bytes the TPM
 * returned), verifies ECDSA and RSA signatures with the public key from outPublic, and the
 * marshalling of a known template is checked byte by byte. Determinism: the same template
 * twice gives the same public area, a different template or hierarchy a different one.
 * Every error path of the commands is checked with its exact response code, and malformed
 * input storms are followed by a check that the TPM still works.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "tests/ktest/ktest.h"
#include "vtpm/commands.h"
#include "vtpm/rc.h"
#include "vtpm/tpm2.h"
#include "vtpm/vtpm.h"

#include "tests/vtpm/object_fixture.h"

/* ---- tests --------------------------------------------------------------------------- */

KTEST(object, ecc_primary_srk_template_marshalling)
{
	struct fix f;
	struct tmpl t;
	struct created k;

	ASSERT_TRUE(fix_open(&f));
	ecc_tmpl(&t, A_SRK, true, TPM_ALG_NULL, TPM_ECC_NIST_P256);
	ASSERT_EQ(create_primary(&f, TPM_RH_NULL, &t, NULL, 0, &k), TPM_RC_SUCCESS);
	EXPECT_EQ(k.handle, 0x80000000u);
	/* Every template field echoes back; unique = two 32-byte coordinates. */
	ASSERT_EQ(k.pub_len, t.n - 4 + 2 * 34);
	EXPECT_MEMEQ(k.pub, t.b, t.n - 4);
	EXPECT_EQ(get16(k.pub + t.n - 4), 32);
	EXPECT_EQ(get16(k.pub + t.n - 4 + 34), 32);
	EXPECT_TRUE(name_ok(&k));
	EXPECT_EQ(f.malformed, 0);
}

KTEST(object, primary_is_deterministic)
{
	struct fix f;
	struct tmpl t;
	struct created a, b, c2, d;

	ASSERT_TRUE(fix_open(&f));
	ecc_tmpl(&t, A_SRK, true, TPM_ALG_NULL, TPM_ECC_NIST_P256);
	ASSERT_EQ(create_primary(&f, TPM_RH_OWNER, &t, NULL, 0, &a), TPM_RC_SUCCESS);
	ASSERT_EQ(create_primary(&f, TPM_RH_OWNER, &t, "pw", 2, &b), TPM_RC_SUCCESS);
	EXPECT_EQ(a.pub_len, b.pub_len);
	EXPECT_MEMEQ(a.pub, b.pub, a.pub_len); /* authValue is not derivation input */
	ASSERT_EQ(create_primary(&f, TPM_RH_ENDORSEMENT, &t, NULL, 0, &c2), TPM_RC_SUCCESS);
	EXPECT_NE(memcmp(a.pub, c2.pub, a.pub_len), 0);
	EXPECT_EQ(ob_flush(&f, a.handle), TPM_RC_SUCCESS);
	EXPECT_EQ(ob_flush(&f, b.handle), TPM_RC_SUCCESS);
	EXPECT_EQ(ob_flush(&f, c2.handle), TPM_RC_SUCCESS);
	/* A different template (unique differs) gives a different key. */
	t.b[t.n - 1] = 1;
	t.b[t.n - 3] = 1;
	t.b[t.n - 2] = 0;
	t.n += 0;
	{
		struct tmpl u;

		ecc_tmpl(&u, A_SRK, true, TPM_ALG_NULL, TPM_ECC_NIST_P256);
		u.n -= 4;
		t_u16(&u, 1);
		u.b[u.n++] = 0x55;
		t_u16(&u, 0);
		ASSERT_EQ(create_primary(&f, TPM_RH_OWNER, &u, NULL, 0, &d), TPM_RC_SUCCESS);
		EXPECT_NE(memcmp(a.pub + a.pub_len - 66, d.pub + d.pub_len - 66, 66), 0);
	}
	EXPECT_EQ(f.malformed, 0);
}

KTEST(object, rsa_primary_deterministic)
{
	struct fix f;
	struct tmpl t;
	struct created a, b;

	ASSERT_TRUE(fix_open(&f));
	rsa_tmpl(&t, A_SRK, true, TPM_ALG_NULL);
	ASSERT_EQ(create_primary(&f, TPM_RH_OWNER, &t, NULL, 0, &a), TPM_RC_SUCCESS);
	ASSERT_EQ(ob_flush(&f, a.handle), TPM_RC_SUCCESS);
	ASSERT_EQ(create_primary(&f, TPM_RH_OWNER, &t, NULL, 0, &b), TPM_RC_SUCCESS);
	EXPECT_EQ(a.pub_len, t.n + 256);
	EXPECT_EQ(a.pub_len, b.pub_len);
	EXPECT_MEMEQ(a.pub, b.pub, a.pub_len);
	EXPECT_TRUE(name_ok(&a));
	EXPECT_EQ(f.malformed, 0);
}

KTEST(object, create_primary_errors)
{
	struct fix f;
	struct tmpl t;
	struct cb c;

	ASSERT_TRUE(fix_open(&f));
	/* restricted decrypt without symmetric: TPM_RC_SYMMETRIC, parameter 2 */
	ecc_tmpl(&t, A_SRK, false, TPM_ALG_NULL, TPM_ECC_NIST_P256);
	EXPECT_EQ(create_primary(&f, TPM_RH_OWNER, &t, NULL, 0, NULL),
		  rc_param(TPM_RC_SYMMETRIC, 2));
	/* restricted with sign and decrypt */
	ecc_tmpl(&t, A_SRK | A_SIGN, true, TPM_ALG_NULL, TPM_ECC_NIST_P256);
	EXPECT_EQ(create_primary(&f, TPM_RH_OWNER, &t, NULL, 0, NULL),
		  rc_param(TPM_RC_ATTRIBUTES, 2));
	/* fixedTPM without fixedParent */
	ecc_tmpl(&t, (A_SRK & ~A_FIXED_PARENT), true, TPM_ALG_NULL, TPM_ECC_NIST_P256);
	EXPECT_EQ(create_primary(&f, TPM_RH_OWNER, &t, NULL, 0, NULL),
		  rc_param(TPM_RC_ATTRIBUTES, 2));
	/* sensitiveDataOrigin clear with no data */
	ecc_tmpl(&t, A_SRK & ~A_SDO, true, TPM_ALG_NULL, TPM_ECC_NIST_P256);
	EXPECT_EQ(create_primary(&f, TPM_RH_OWNER, &t, NULL, 0, NULL),
		  rc_param(TPM_RC_ATTRIBUTES, 2));
	/* reserved attribute bit */
	ecc_tmpl(&t, A_SRK | 1u, true, TPM_ALG_NULL, TPM_ECC_NIST_P256);
	EXPECT_EQ(create_primary(&f, TPM_RH_OWNER, &t, NULL, 0, NULL),
		  rc_param(TPM_RC_RESERVED_BITS, 2));
	/* bad curve, bad type, bad nameAlg */
	ecc_tmpl(&t, A_SRK, true, TPM_ALG_NULL, 0x0099);
	EXPECT_EQ(create_primary(&f, TPM_RH_OWNER, &t, NULL, 0, NULL), rc_param(TPM_RC_CURVE, 2));
	ecc_tmpl(&t, A_SRK, true, TPM_ALG_NULL, TPM_ECC_NIST_P256);
	t.b[1] = 0x77;
	EXPECT_EQ(create_primary(&f, TPM_RH_OWNER, &t, NULL, 0, NULL), rc_param(TPM_RC_TYPE, 2));
	ecc_tmpl(&t, A_SRK, true, TPM_ALG_NULL, TPM_ECC_NIST_P256);
	t.b[3] = 0x77;
	EXPECT_EQ(create_primary(&f, TPM_RH_OWNER, &t, NULL, 0, NULL), rc_param(TPM_RC_HASH, 2));
	/* signing key with a symmetric algorithm */
	ecc_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_SDO | A_USER_WITH_AUTH | A_SIGN, true,
		 TPM_ALG_ECDSA, TPM_ECC_NIST_P256);
	EXPECT_EQ(create_primary(&f, TPM_RH_OWNER, &t, NULL, 0, NULL),
		  rc_param(TPM_RC_SYMMETRIC, 2));
	/* storage key with a scheme */
	ecc_tmpl(&t, A_SRK, true, TPM_ALG_ECDSA, TPM_ECC_NIST_P256);
	EXPECT_EQ(create_primary(&f, TPM_RH_OWNER, &t, NULL, 0, NULL), rc_param(TPM_RC_SCHEME, 2));
	/* RSA key size */
	rsa_tmpl(&t, A_SRK, true, TPM_ALG_NULL);
	t.b[t.n - 8] = 0x04; /* 1024 */
	t.b[t.n - 7] = 0x00;
	EXPECT_EQ(create_primary(&f, TPM_RH_OWNER, &t, NULL, 0, NULL), rc_param(TPM_RC_VALUE, 2));
	/* userAuth longer than the nameAlg digest: TPM_RC_SIZE, parameter 1 */
	{
		uint8_t big[33] = { 1 };

		ecc_tmpl(&t, A_SRK, true, TPM_ALG_NULL, TPM_ECC_NIST_P256);
		EXPECT_EQ(create_primary(&f, TPM_RH_OWNER, &t, big, 33, NULL),
			  rc_param(TPM_RC_SIZE, 1));
	}
	/* TPM2B_PUBLIC size mismatches */
	ecc_tmpl(&t, A_SRK, true, TPM_ALG_NULL, TPM_ECC_NIST_P256);
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_CREATE_PRIMARY);
	cb_u32(&c, TPM_RH_OWNER);
	ob_cb_pw(&c, NULL, 0);
	cb_sens(&c, NULL, 0, NULL, 0);
	cb_u16(&c, (uint16_t)(t.n + 1));
	cb_bytes(&c, t.b, t.n);
	cb_u8(&c, 0);
	cb_u16(&c, 0);
	cb_u32(&c, 0);
	EXPECT_EQ(run(&f, &c), rc_param(TPM_RC_SIZE, 2));
	/* a leftover byte after creationPCR */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_CREATE_PRIMARY);
	cb_u32(&c, TPM_RH_OWNER);
	ob_cb_pw(&c, NULL, 0);
	cb_sens(&c, NULL, 0, NULL, 0);
	cb_tpm2b(&c, t.b, (uint16_t)t.n);
	cb_u16(&c, 0);
	cb_u32(&c, 0);
	cb_u8(&c, 0);
	EXPECT_EQ(run(&f, &c), TPM_RC_SIZE);
	/* bad hierarchy handle */
	EXPECT_EQ(create_primary(&f, TPM_RH_LOCKOUT, &t, NULL, 0, NULL),
		  rc_handle(TPM_RC_VALUE, 1));
	/* object memory: three slots */
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(create_primary(&f, TPM_RH_NULL, &t, NULL, 0, NULL), TPM_RC_SUCCESS);
	}
	EXPECT_EQ(create_primary(&f, TPM_RH_NULL, &t, NULL, 0, NULL), TPM_RC_OBJECT_MEMORY);
	EXPECT_EQ(f.malformed, 0);
}

KTEST(object, read_public_and_flush)
{
	struct fix f;
	struct tmpl t;
	struct created k;
	struct cb c;

	ASSERT_TRUE(fix_open(&f));
	ecc_tmpl(&t, A_SRK, true, TPM_ALG_NULL, TPM_ECC_NIST_P384);
	ASSERT_EQ(create_primary(&f, TPM_RH_OWNER, &t, NULL, 0, &k), TPM_RC_SUCCESS);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_READ_PUBLIC);
	cb_u32(&c, k.handle);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	EXPECT_EQ(get16(f.rsp + 10), k.pub_len);
	EXPECT_MEMEQ(f.rsp + 12, k.pub, k.pub_len);
	EXPECT_EQ(get16(f.rsp + 12 + k.pub_len), 34);
	EXPECT_MEMEQ(f.rsp + 14 + k.pub_len, k.name, 34);
	/* leftover byte */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_READ_PUBLIC);
	cb_u32(&c, k.handle);
	cb_u8(&c, 0);
	EXPECT_EQ(run(&f, &c), TPM_RC_SIZE);
	EXPECT_EQ(ob_flush(&f, k.handle), TPM_RC_SUCCESS);
	EXPECT_EQ(ob_flush(&f, k.handle), rc_param(TPM_RC_HANDLE, 1));
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_READ_PUBLIC);
	cb_u32(&c, k.handle);
	EXPECT_EQ(run(&f, &c), TPM_RC_REFERENCE_H0);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_READ_PUBLIC);
	cb_u32(&c, 0x81000001u);
	EXPECT_EQ(run(&f, &c), rc_handle(TPM_RC_HANDLE, 1));
	EXPECT_EQ(f.malformed, 0);
}

KTEST(object, seal_unseal_with_password)
{
	struct fix f;
	struct tmpl t;
	struct created srk, blob;
	uint32_t h;
	static const char secret[] = "disk key 0123456789";

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(make_srk(&f, &srk), TPM_RC_SUCCESS);
	seal_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_USER_WITH_AUTH, NULL, 0);
	ASSERT_EQ(ob_create(&f, srk.handle, &t, "pw", 2, secret, sizeof(secret), &blob),
		  TPM_RC_SUCCESS);
	ASSERT_EQ(ob_load(&f, srk.handle, &blob, &h), TPM_RC_SUCCESS);
	EXPECT_EQ(ob_unseal(&f, h, "pw", 2), TPM_RC_SUCCESS);
	EXPECT_EQ(get16(f.rsp + 14), sizeof(secret));
	EXPECT_MEMEQ(f.rsp + 16, secret, sizeof(secret));
	EXPECT_EQ(ob_unseal(&f, h, "px", 2), rc_session(TPM_RC_AUTH_FAIL, 1));
	/* Tampered private: integrity; a public area that is not the private's: integrity. */
	{
		struct created bad = blob;
		uint32_t h2;

		bad.priv[bad.priv_len - 1] ^= 1;
		EXPECT_EQ(ob_load(&f, srk.handle, &bad, &h2), rc_param(TPM_RC_INTEGRITY, 1));
		bad = blob;
		bad.priv[5] ^= 1;
		EXPECT_EQ(ob_load(&f, srk.handle, &bad, &h2), rc_param(TPM_RC_INTEGRITY, 1));
		bad = blob;
		bad.pub[6] ^= 0x04; /* noDA */
		EXPECT_EQ(ob_load(&f, srk.handle, &bad, &h2), rc_param(TPM_RC_INTEGRITY, 1));
	}
	/* Unseal of a non-keyedhash object, Load/Create under a non-parent. */
	EXPECT_EQ(ob_unseal(&f, srk.handle, NULL, 0), rc_handle(TPM_RC_TYPE, 1));
	EXPECT_EQ(ob_flush(&f, h), TPM_RC_SUCCESS);
	{
		struct created open_blob;

		ASSERT_EQ(ob_create(&f, srk.handle, &t, NULL, 0, "x", 1, &open_blob), TPM_RC_SUCCESS);
		ASSERT_EQ(ob_load(&f, srk.handle, &open_blob, &h), TPM_RC_SUCCESS);
		EXPECT_EQ(ob_load(&f, h, &blob, &h), rc_handle(TPM_RC_TYPE, 1));
		EXPECT_EQ(ob_create(&f, h, &t, NULL, 0, "x", 1, NULL), rc_handle(TPM_RC_TYPE, 1));
	}
	/* Create errors: sealed object with sensitiveDataOrigin, without data. */
	seal_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_USER_WITH_AUTH | A_SDO, NULL, 0);
	EXPECT_EQ(ob_create(&f, srk.handle, &t, NULL, 0, "x", 1, NULL),
		  rc_param(TPM_RC_ATTRIBUTES, 2));
	seal_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_USER_WITH_AUTH, NULL, 0);
	EXPECT_EQ(ob_create(&f, srk.handle, &t, NULL, 0, NULL, 0, NULL),
		  rc_param(TPM_RC_ATTRIBUTES, 2));
	/* authPolicy of the wrong size */
	{
		uint8_t pol[20] = { 0 };

		seal_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_USER_WITH_AUTH, pol, 20);
		EXPECT_EQ(ob_create(&f, srk.handle, &t, NULL, 0, "x", 1, NULL),
			  rc_param(TPM_RC_SIZE, 2));
	}
	/* Object memory: srk + sealed + one more fills the slots; Load then fails. */
	{
		uint32_t h2, h3;

		ASSERT_EQ(ob_load(&f, srk.handle, &blob, &h2), TPM_RC_SUCCESS);
		EXPECT_EQ(ob_load(&f, srk.handle, &blob, &h3), TPM_RC_OBJECT_MEMORY);
		EXPECT_EQ(ob_flush(&f, h2), TPM_RC_SUCCESS);
	}
	EXPECT_EQ(f.malformed, 0);
}

KTEST(object, context_save_load_objects)
{
	struct fix f;
	struct tmpl t;
	struct created srk, blob, k2;
	static uint8_t ctx[2100], m[2100];
	size_t n;
	uint32_t h;
	unsigned int refused = 0;
	static const char secret[] = "s";

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(make_srk(&f, &srk), TPM_RC_SUCCESS);
	ASSERT_EQ(ob_ctx_save(&f, srk.handle, ctx, &n), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(ctx + 8), 0x80000000u);
	EXPECT_EQ(get32(ctx + 12), TPM_RH_OWNER);
	ASSERT_EQ(ob_flush(&f, srk.handle), TPM_RC_SUCCESS);
	/* Loaded twice: two objects with the same Name. */
	ASSERT_EQ(ob_ctx_load(&f, ctx, n), TPM_RC_SUCCESS);
	h = get32(f.rsp + 10);
	ASSERT_EQ(ob_ctx_load(&f, ctx, n), TPM_RC_SUCCESS);
	EXPECT_NE(get32(f.rsp + 10), h);
	EXPECT_EQ(ob_flush(&f, get32(f.rsp + 10)), TPM_RC_SUCCESS);
	/* The reloaded parent still works (its seedValue came back). */
	seal_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_USER_WITH_AUTH, NULL, 0);
	ASSERT_EQ(ob_create(&f, h, &t, NULL, 0, secret, sizeof(secret), &blob), TPM_RC_SUCCESS);
	{
		uint32_t s;

		ASSERT_EQ(ob_load(&f, h, &blob, &s), TPM_RC_SUCCESS);
		EXPECT_EQ(ob_unseal(&f, s, NULL, 0), TPM_RC_SUCCESS);
		EXPECT_EQ(ob_flush(&f, s), TPM_RC_SUCCESS);
	}
	/* Every byte flip of the blob is refused. */
	for (size_t i = 0; i < n; i++) {
		uint32_t rc;

		memcpy(m, ctx, n);
		m[i] ^= 0x01;
		rc = ob_ctx_load(&f, m, n);
		if (rc == TPM_RC_SUCCESS) {
			ob_flush(&f, get32(f.rsp + 10));
		} else {
			refused++;
		}
	}
	EXPECT_EQ(refused, n);
	/* NULL hierarchy: the context dies with a TPM Reset. */
	ecc_tmpl(&t, A_SRK, true, TPM_ALG_NULL, TPM_ECC_NIST_P256);
	ASSERT_EQ(create_primary(&f, TPM_RH_NULL, &t, NULL, 0, &k2), TPM_RC_SUCCESS);
	ASSERT_EQ(ob_ctx_save(&f, k2.handle, ctx, &n), TPM_RC_SUCCESS);
	vtpm_power_on(f.t);
	{
		struct cb c;

		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_STARTUP);
		cb_u16(&c, TPM_SU_CLEAR);
		ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	}
	EXPECT_EQ(ob_ctx_load(&f, ctx, n), rc_param(TPM_RC_INTEGRITY, 1));
	/* The same NULL primary re-created after the reset has another Name. */
	{
		struct created k3;

		ASSERT_EQ(create_primary(&f, TPM_RH_NULL, &t, NULL, 0, &k3), TPM_RC_SUCCESS);
		EXPECT_NE(memcmp(k3.name, k2.name, 34), 0);
	}
	EXPECT_EQ(f.malformed, 0);
}

/* Malformed bodies over every object command, then the TPM still works. */
KTEST(object, malformed_input_storm)
{
	static const uint16_t ccs[] = { TPM_CC_CREATE_PRIMARY, TPM_CC_CREATE, TPM_CC_LOAD,
					TPM_CC_READ_PUBLIC, TPM_CC_UNSEAL,
					TPM_CC_OBJECT_CHANGE_AUTH, TPM_CC_CONTEXT_LOAD,
					TPM_CC_SIGN, TPM_CC_VERIFY_SIGNATURE, TPM_CC_EVICT_CONTROL,
					TPM_CC_LOAD_EXTERNAL, TPM_CC_QUOTE, TPM_CC_CERTIFY };
	struct fix f;
	struct created srk, blob, again;
	struct tmpl t;
	struct cb c;
	uint32_t h;
	unsigned long cases = 0;
	unsigned int seed = 1;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(make_srk(&f, &srk), TPM_RC_SUCCESS);
	seal_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_USER_WITH_AUTH, NULL, 0);
	ASSERT_EQ(ob_create(&f, srk.handle, &t, NULL, 0, "abc", 3, &blob), TPM_RC_SUCCESS);
	for (unsigned int i = 0; i < sizeof(ccs) / sizeof(ccs[0]); i++) {
		for (unsigned int round = 0; round < 400; round++) {
			size_t len;

			cb_start(&c, TPM_ST_SESSIONS, ccs[i]);
			if (ccs[i] == TPM_CC_CONTEXT_LOAD || ccs[i] == TPM_CC_LOAD_EXTERNAL) {
				c.b[1] = 0x01; /* TPM_ST_NO_SESSIONS */
			} else if (ccs[i] == TPM_CC_VERIFY_SIGNATURE) {
				c.b[1] = 0x01;
				cb_u32(&c, srk.handle);
			} else if (ccs[i] == TPM_CC_OBJECT_CHANGE_AUTH ||
				   ccs[i] == TPM_CC_EVICT_CONTROL || ccs[i] == TPM_CC_CERTIFY) {
				cb_u32(&c, ccs[i] == TPM_CC_EVICT_CONTROL ? TPM_RH_OWNER
									   : srk.handle);
				cb_u32(&c, srk.handle);
				cb_u32(&c, 18);
				for (int s2 = 0; s2 < 2; s2++) {
					cb_u32(&c, TPM_RS_PW);
					cb_u16(&c, 0);
					cb_u8(&c, 0);
					cb_u16(&c, 0);
				}
			} else {
				cb_u32(&c, ccs[i] == TPM_CC_CREATE_PRIMARY ? TPM_RH_NULL
									    : srk.handle);
				ob_cb_pw(&c, NULL, 0);
			}
			/* a valid-looking prefix, then random bytes, truncated anywhere */
			if (ccs[i] == TPM_CC_LOAD && round % 2 == 0) {
				cb_tpm2b(&c, blob.priv, (uint16_t)blob.priv_len);
				cb_tpm2b(&c, blob.pub, (uint16_t)blob.pub_len);
			}
			len = (size_t)(rand_r(&seed) % 700);
			for (size_t j = 0; j < len; j++) {
				cb_u8(&c, (uint8_t)rand_r(&seed));
			}
			if (round % 3 == 0 && c.n > 20) {
				c.n -= (size_t)(rand_r(&seed) % 10);
			}
			if (run(&f, &c) == TPM_RC_SUCCESS && ccs[i] != TPM_CC_READ_PUBLIC) {
				/* e.g. a random but valid template: drop what was made */
				if (f.rsp_len > 14 && (get32(f.rsp + 10) >> 24) == 0x80 &&
				    get32(f.rsp + 10) != srk.handle) {
					ob_flush(&f, get32(f.rsp + 10));
				}
			}
			cases++;
		}
	}
	ktest_print("  storm: %lu cases\n", cases);
	EXPECT_EQ(f.malformed, 0);
	/* Still consistent: the SRK loads the blob, the sealed data comes back. */
	ASSERT_EQ(ob_load(&f, srk.handle, &blob, &h), TPM_RC_SUCCESS);
	ASSERT_EQ(ob_unseal(&f, h, NULL, 0), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(f.rsp + 16, "abc", 3);
	ASSERT_EQ(ob_flush(&f, h), TPM_RC_SUCCESS);
	ASSERT_EQ(make_srk(&f, &again), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(again.pub, srk.pub, srk.pub_len);
}

KTEST(object, evict_control_persistent_objects)
{
	struct fix f;
	struct created srk, blob, nul;
	struct tmpl t;
	uint32_t hs[20], h;
	struct cb c;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(make_srk(&f, &srk), TPM_RC_SUCCESS);
	EXPECT_EQ(ob_cap_handles(&f, 0x81000000u, hs), 0u);
	/* range and handle checks */
	EXPECT_EQ(ob_evict(&f, TPM_RH_OWNER, srk.handle, 0x81800001u), rc_param(TPM_RC_RANGE, 1));
	EXPECT_EQ(ob_evict(&f, TPM_RH_PLATFORM, srk.handle, 0x81000001u), rc_param(TPM_RC_RANGE, 1));
	EXPECT_EQ(ob_evict(&f, TPM_RH_OWNER, srk.handle, 0x80000001u), rc_param(TPM_RC_VALUE, 1));
	EXPECT_EQ(ob_evict(&f, TPM_RH_ENDORSEMENT, srk.handle, 0x81000001u),
		  rc_handle(TPM_RC_VALUE, 1));
	ASSERT_EQ(ob_evict(&f, TPM_RH_OWNER, srk.handle, 0x81000001u), TPM_RC_SUCCESS);
	EXPECT_EQ(ob_evict(&f, TPM_RH_OWNER, srk.handle, 0x81000001u), TPM_RC_NV_DEFINED);
	EXPECT_EQ(ob_cap_handles(&f, 0x81000000u, hs), 1u);
	EXPECT_EQ(hs[0], 0x81000001u);
	EXPECT_EQ(ob_flush(&f, srk.handle), TPM_RC_SUCCESS);
	/* The persistent SRK is a parent: create, load, unseal. */
	seal_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_USER_WITH_AUTH, NULL, 0);
	ASSERT_EQ(ob_create(&f, 0x81000001u, &t, NULL, 0, "p", 1, &blob), TPM_RC_SUCCESS);
	ASSERT_EQ(ob_load(&f, 0x81000001u, &blob, &h), TPM_RC_SUCCESS);
	EXPECT_EQ(ob_unseal(&f, h, NULL, 0), TPM_RC_SUCCESS);
	/* ReadPublic gives the same public area and Name. */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_READ_PUBLIC);
	cb_u32(&c, 0x81000001u);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(f.rsp + 12, srk.pub, srk.pub_len);
	/* It survives a power cycle. */
	vtpm_power_on(f.t);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_STARTUP);
	cb_u16(&c, TPM_SU_CLEAR);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	ASSERT_EQ(ob_load(&f, 0x81000001u, &blob, &h), TPM_RC_SUCCESS);
	EXPECT_EQ(ob_unseal(&f, h, NULL, 0), TPM_RC_SUCCESS);
	/* A NULL-hierarchy object cannot be persisted; a sealed object can. */
	{
		struct tmpl u;

		ecc_tmpl(&u, A_SRK, true, TPM_ALG_NULL, TPM_ECC_NIST_P256);
		ASSERT_EQ(create_primary(&f, TPM_RH_NULL, &u, NULL, 0, &nul), TPM_RC_SUCCESS);
		EXPECT_EQ(ob_evict(&f, TPM_RH_OWNER, nul.handle, 0x81000002u),
			  rc_handle(TPM_RC_HIERARCHY, 2));
		EXPECT_EQ(ob_flush(&f, nul.handle), TPM_RC_SUCCESS);
	}
	ASSERT_EQ(ob_evict(&f, TPM_RH_OWNER, h, 0x81000002u), TPM_RC_SUCCESS);
	/* Fill the slots: NV_SPACE. */
	for (uint32_t i = 3; i <= 7; i++) {
		EXPECT_EQ(ob_evict(&f, TPM_RH_OWNER, h, 0x81000000u + i), TPM_RC_SUCCESS);
	}
	EXPECT_EQ(ob_evict(&f, TPM_RH_OWNER, h, 0x81000010u), TPM_RC_NV_SPACE);
	EXPECT_EQ(ob_cap_handles(&f, 0x81000003u, hs), 5u);
	EXPECT_EQ(hs[0], 0x81000003u);
	/* Evict: the handle must be the object's own. */
	EXPECT_EQ(ob_evict(&f, TPM_RH_OWNER, 0x81000002u, 0x81000003u), rc_param(TPM_RC_HANDLE, 1));
	for (uint32_t i = 2; i <= 7; i++) {
		EXPECT_EQ(ob_evict(&f, TPM_RH_OWNER, 0x80000000u + i == 0 ? 0 : 0x81000000u + i,
				0x81000000u + i),
			  TPM_RC_SUCCESS);
	}
	EXPECT_EQ(ob_cap_handles(&f, 0x81000000u, hs), 1u);
	EXPECT_EQ(ob_unseal(&f, 0x81000002u, NULL, 0), rc_handle(TPM_RC_HANDLE, 1));
	EXPECT_EQ(f.malformed, 0);
}

KTEST(object, change_auth_and_roles)
{
	struct fix f;
	struct created srk, srk2, blob, nb;
	struct tmpl t;
	struct cb c;
	uint32_t h, h2;
	uint8_t pol[32] = { 1, 2, 3 };

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(make_srk(&f, &srk), TPM_RC_SUCCESS);
	seal_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_USER_WITH_AUTH, NULL, 0);
	ASSERT_EQ(ob_create(&f, srk.handle, &t, "old", 3, "data", 4, &blob), TPM_RC_SUCCESS);
	ASSERT_EQ(ob_load(&f, srk.handle, &blob, &h), TPM_RC_SUCCESS);
	/* ObjectChangeAuth: newAuth too long, wrong parent, then the real thing. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_OBJECT_CHANGE_AUTH);
	cb_u32(&c, h);
	cb_u32(&c, srk.handle);
	ob_cb_pw(&c, "old", 3);
	{
		uint8_t big[33] = { 1 };

		cb_tpm2b(&c, big, 33);
	}
	EXPECT_EQ(run(&f, &c), rc_param(TPM_RC_SIZE, 1));
	{
		struct tmpl u;

		rsa_tmpl(&u, A_SRK, true, TPM_ALG_NULL);
		ASSERT_EQ(create_primary(&f, TPM_RH_OWNER, &u, NULL, 0, &srk2), TPM_RC_SUCCESS);
	}
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_OBJECT_CHANGE_AUTH);
	cb_u32(&c, h);
	cb_u32(&c, srk2.handle);
	ob_cb_pw(&c, "old", 3);
	cb_tpm2b(&c, "new", 3);
	EXPECT_EQ(run(&f, &c), rc_handle(TPM_RC_TYPE, 2));
	EXPECT_EQ(ob_flush(&f, srk2.handle), TPM_RC_SUCCESS);
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_OBJECT_CHANGE_AUTH);
	cb_u32(&c, h);
	cb_u32(&c, srk.handle);
	ob_cb_pw(&c, "old", 3);
	cb_tpm2b(&c, "new", 3);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	nb = blob;
	nb.priv_len = get16(f.rsp + 14);
	memcpy(nb.priv, f.rsp + 16, nb.priv_len);
	/* the loaded object keeps its old auth; the new private has the new one */
	EXPECT_EQ(ob_unseal(&f, h, "old", 3), TPM_RC_SUCCESS);
	EXPECT_EQ(ob_flush(&f, h), TPM_RC_SUCCESS);
	ASSERT_EQ(ob_load(&f, srk.handle, &nb, &h2), TPM_RC_SUCCESS);
	EXPECT_EQ(ob_unseal(&f, h2, "new", 3), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(f.rsp + 16, "data", 4);
	EXPECT_EQ(ob_unseal(&f, h2, "old", 3), rc_session(TPM_RC_AUTH_FAIL, 1));
	EXPECT_EQ(ob_flush(&f, h2), TPM_RC_SUCCESS);
	/* userWithAuth CLEAR: a password cannot authorize the USER role. */
	seal_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_NO_DA, pol, 32);
	ASSERT_EQ(ob_create(&f, srk.handle, &t, NULL, 0, "data", 4, &blob), TPM_RC_SUCCESS);
	ASSERT_EQ(ob_load(&f, srk.handle, &blob, &h), TPM_RC_SUCCESS);
	EXPECT_EQ(ob_unseal(&f, h, NULL, 0), TPM_RC_AUTH_UNAVAILABLE);
	EXPECT_EQ(f.malformed, 0);
}

/* TPM2_Clear (hierarchy module) changes the owner seed and the owner and endorsement proofs
 * (Part 3 TPM2_Clear): contexts of both hierarchies no longer load, persistent owner
 * objects are gone, owner primaries differ, endorsement primaries (EPS kept) do not. */
KTEST(object, clear_invalidates_owner_objects)
{
	struct fix f;
	struct created srk, ek, srk2;
	struct tmpl t;
	static uint8_t ctx[2100], ectx[2100];
	size_t n, en;
	struct cb c;
	uint32_t hs[20];

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(make_srk(&f, &srk), TPM_RC_SUCCESS);
	ASSERT_EQ(ob_ctx_save(&f, srk.handle, ctx, &n), TPM_RC_SUCCESS);
	ASSERT_EQ(ob_evict(&f, TPM_RH_OWNER, srk.handle, 0x81000001u), TPM_RC_SUCCESS);
	ecc_tmpl(&t, A_SRK, true, TPM_ALG_NULL, TPM_ECC_NIST_P256);
	ASSERT_EQ(create_primary(&f, TPM_RH_ENDORSEMENT, &t, NULL, 0, &ek), TPM_RC_SUCCESS);
	ASSERT_EQ(ob_ctx_save(&f, ek.handle, ectx, &en), TPM_RC_SUCCESS);
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_CLEAR);
	cb_u32(&c, TPM_RH_LOCKOUT);
	ob_cb_pw(&c, NULL, 0);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	EXPECT_EQ(ob_ctx_load(&f, ctx, n), rc_param(TPM_RC_INTEGRITY, 1));
	EXPECT_EQ(ob_cap_handles(&f, 0x81000000u, hs), 0u);
	EXPECT_EQ(ob_ctx_load(&f, ectx, en), rc_param(TPM_RC_INTEGRITY, 1));
	ASSERT_EQ(make_srk(&f, &srk2), TPM_RC_SUCCESS);
	EXPECT_NE(memcmp(srk2.name, srk.name, 34), 0);
	EXPECT_EQ(ob_flush(&f, srk2.handle), TPM_RC_SUCCESS);
	ASSERT_EQ(create_primary(&f, TPM_RH_ENDORSEMENT, &t, NULL, 0, &srk2), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(srk2.name, ek.name, 34);
	EXPECT_EQ(f.malformed, 0);
}
