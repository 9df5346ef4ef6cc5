/*
 * Host tests of the vTPM authorization sessions (vtpm/session.[ch], cmd_session.c,
 * cmd_policy.c and the HMAC/policy paths of engine.c), built into build/host/vtpm_tests.
 *
 * OpenSSL is the oracle: every command HMAC, response HMAC, bound-session key (KDFa) and
 * policy digest is computed here from the TPM 2.0 Part 1 §19.6 / Part 3 §23 formulas and
 * compared byte for byte. A session storm corrupts valid StartAuthSession, policy and
 * HMAC-authorized PCR_Extend commands and checks that every response is well formed, that no
 * corrupted HMAC authorizes anything and that no PCR changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tests/ktest/ktest.h"
#include "vtpm/commands.h"
#include "vtpm/rc.h"
#include "vtpm/tpm2.h"
#include "vtpm/vtpm.h"

#include "tests/vtpm/vtpm_fixture.h"

static uint32_t pcr_read(struct fix *f, unsigned int bank, unsigned int pcr, uint8_t *out)
{
	struct cb c;
	uint32_t rc;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_PCR_READ);
	cb_u32(&c, 1);
	cb_u16(&c, bank_algs[bank]);
	cb_u8(&c, 3);
	cb_u8(&c, (uint8_t)(pcr < 8 ? 1u << pcr : 0));
	cb_u8(&c, (uint8_t)(pcr >= 8 && pcr < 16 ? 1u << (pcr - 8) : 0));
	cb_u8(&c, (uint8_t)(pcr >= 16 ? 1u << (pcr - 16) : 0));
	rc = run(f, &c);
	if (rc == 0) {
		memcpy(out, f->rsp + 10 + 4 + 10 + 4 + 2, bank_sizes[bank]);
	}
	return rc;
}

static uint32_t flush(struct fix *f, uint32_t h)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_FLUSH_CONTEXT);
	cb_u32(&c, h);
	return run(f, &c);
}

/* A policy command without parameters (or with the given u32). */
static uint32_t policy_cmd(struct fix *f, uint32_t cc, uint32_t h)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, cc);
	cb_u32(&c, h);
	return run(f, &c);
}

static uint32_t policy_cc(struct fix *f, uint32_t h, uint32_t code)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_POLICY_COMMAND_CODE);
	cb_u32(&c, h);
	cb_u32(&c, code);
	return run(f, &c);
}

static bool get_digest(struct fix *f, uint32_t h, uint8_t *out, unsigned int ds)
{
	if (policy_cmd(f, TPM_CC_POLICY_GET_DIGEST, h) != TPM_RC_SUCCESS ||
	    f->rsp_len != 12u + ds || get16(f->rsp + 10) != ds) {
		return false;
	}
	memcpy(out, f->rsp + 12, ds);
	return true;
}

/* policy = H(policy || cc [|| arg]) */
static void policy_update(unsigned int bank, uint8_t *policy, uint32_t cc, const uint32_t *arg)
{
	uint8_t b[8];
	size_t n = 4;

	b[0] = (uint8_t)(cc >> 24);
	b[1] = (uint8_t)(cc >> 16);
	b[2] = (uint8_t)(cc >> 8);
	b[3] = (uint8_t)cc;
	if (arg != NULL) {
		b[4] = (uint8_t)(*arg >> 24);
		b[5] = (uint8_t)(*arg >> 16);
		b[6] = (uint8_t)(*arg >> 8);
		b[7] = (uint8_t)*arg;
		n = 8;
	}
	ossl_hash3(bank, policy, bank_sizes[bank], b, n, NULL, 0, policy);
}

/* ---- StartAuthSession ------------------------------------------------------------------- */

KTEST(session, start_auth_session_responses)
{
	static struct fix f;
	struct sess s[3];
	uint8_t nonce[80] = { 1 };
	static const uint16_t aes_cfb[4] = { TPM_ALG_AES, 128, TPM_ALG_CFB };
	static const uint16_t aes_cbc[4] = { TPM_ALG_AES, 128, TPM_ALG_CBC };
	static const uint16_t aes_bad_bits[4] = { TPM_ALG_AES, 100, TPM_ALG_CFB };
	static const uint16_t xor_sha[2] = { TPM_ALG_XOR, TPM_ALG_SHA256 };
	static const uint16_t sym_bad[1] = { 0x0099 };

	ASSERT_TRUE(fix_open(&f));
	/* Exact response layout per hash: handle, nonceTPM of the digest size. */
	ASSERT_EQ(start_session(&f, &s[0], SE_HMAC, TPM_ALG_SHA1, TPM_RH_NULL), TPM_RC_SUCCESS);
	EXPECT_EQ(s[0].handle, 0x02000000u);
	EXPECT_EQ(f.rsp_len, 10u + 4 + 2 + 20);
	EXPECT_EQ(get16(f.rsp), TPM_ST_NO_SESSIONS);
	ASSERT_EQ(start_session(&f, &s[1], SE_POLICY, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
	EXPECT_EQ(s[1].handle, 0x03000001u);
	EXPECT_EQ(f.rsp_len, 10u + 4 + 2 + 32);
	ASSERT_EQ(start_session(&f, &s[2], SE_TRIAL, TPM_ALG_SHA384, TPM_RH_NULL), 0u);
	EXPECT_EQ(s[2].handle, 0x03000002u);
	EXPECT_EQ(f.rsp_len, 10u + 4 + 2 + 48);
	EXPECT_TRUE(memcmp(s[1].nonce_tpm, s[2].nonce_tpm, 32) != 0);
	/* Slots exhausted. */
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, TPM_RH_NULL, nonce, 32, 0, SE_HMAC, sym_null,
				   1, TPM_ALG_SHA256),
		  TPM_RC_SESSION_MEMORY);
	/* GetCapability HANDLES: TPM_HT_LOADED_SESSION (0x02) lists every loaded session,
	 * TPM_HT_SAVED_SESSION (0x03) the saved ones (none without ContextSave); paging. Then
	 * HR_LOADED / HR_LOADED_AVAIL / HR_ACTIVE / HR_ACTIVE_AVAIL. */
	{
		struct cb c;

		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_CAPABILITY);
		cb_u32(&c, 1);
		cb_u32(&c, 0x02000000u);
		cb_u32(&c, 10);
		ASSERT_EQ(run(&f, &c), 0u);
		EXPECT_EQ(f.rsp_len, 10u + 1 + 4 + 4 + 12);
		EXPECT_EQ(f.rsp[10], 0);
		EXPECT_EQ(get32(f.rsp + 15), 3u);
		EXPECT_EQ(get32(f.rsp + 19), 0x02000000u);
		EXPECT_EQ(get32(f.rsp + 23), 0x03000001u);
		EXPECT_EQ(get32(f.rsp + 27), 0x03000002u);
		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_CAPABILITY);
		cb_u32(&c, 1);
		cb_u32(&c, 0x02000001u);
		cb_u32(&c, 1);
		ASSERT_EQ(run(&f, &c), 0u);
		EXPECT_EQ(f.rsp[10], 1); /* moreData */
		EXPECT_EQ(get32(f.rsp + 15), 1u);
		EXPECT_EQ(get32(f.rsp + 19), 0x03000001u);
		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_CAPABILITY);
		cb_u32(&c, 1);
		cb_u32(&c, 0x03000000u);
		cb_u32(&c, 10);
		ASSERT_EQ(run(&f, &c), 0u);
		EXPECT_EQ(get32(f.rsp + 15), 0u);
		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_CAPABILITY);
		cb_u32(&c, 6);
		cb_u32(&c, 0x203);
		cb_u32(&c, 4);
		ASSERT_EQ(run(&f, &c), 0u);
		EXPECT_EQ(get32(f.rsp + 15), 4u);
		EXPECT_EQ(get32(f.rsp + 19), 0x203u);
		EXPECT_EQ(get32(f.rsp + 23), 3u); /* HR_LOADED */
		EXPECT_EQ(get32(f.rsp + 31), 0u); /* HR_LOADED_AVAIL */
		EXPECT_EQ(get32(f.rsp + 39), 3u); /* HR_ACTIVE */
		EXPECT_EQ(get32(f.rsp + 47), 61u); /* HR_ACTIVE_AVAIL */
	}
	EXPECT_EQ(flush(&f, s[0].handle), 0u);

	/* Parameter errors (format-1 with the parameter number). */
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, TPM_RH_NULL, nonce, 15, 0, SE_HMAC, sym_null,
				   1, TPM_ALG_SHA256),
		  rc_param(TPM_RC_SIZE, 1));
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, TPM_RH_NULL, nonce, 32, 0, SE_HMAC, sym_null,
				   1, TPM_ALG_SHA1),
		  rc_param(TPM_RC_SIZE, 1));
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, TPM_RH_NULL, nonce, 65, 0, SE_HMAC, sym_null,
				   1, TPM_ALG_SHA512),
		  rc_param(TPM_RC_SIZE, 1));
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, TPM_RH_NULL, nonce, 32, 2, SE_HMAC, sym_null,
				   1, TPM_ALG_SHA256),
		  rc_param(TPM_RC_VALUE, 2));
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, TPM_RH_NULL, nonce, 32, 513, SE_HMAC,
				   sym_null, 1, TPM_ALG_SHA256),
		  rc_param(TPM_RC_SIZE, 2));
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, TPM_RH_NULL, nonce, 32, 0, 2, sym_null, 1,
				   TPM_ALG_SHA256),
		  rc_param(TPM_RC_VALUE, 3));
	/* AES-CFB (any AES key size) is accepted; XOR is not implemented. */
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, TPM_RH_NULL, nonce, 32, 0, SE_HMAC, aes_cfb,
				   3, TPM_ALG_SHA256),
		  0u);
	EXPECT_EQ(flush(&f, get32(f.rsp + 10)), 0u);
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, TPM_RH_NULL, nonce, 32, 0, SE_HMAC, aes_cbc,
				   3, TPM_ALG_SHA256),
		  rc_param(TPM_RC_MODE, 4));
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, TPM_RH_NULL, nonce, 32, 0, SE_HMAC,
				   aes_bad_bits, 3, TPM_ALG_SHA256),
		  rc_param(TPM_RC_VALUE, 4));
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, TPM_RH_NULL, nonce, 32, 0, SE_HMAC, xor_sha,
				   2, TPM_ALG_SHA256),
		  rc_param(TPM_RC_SYMMETRIC, 4));
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, TPM_RH_NULL, nonce, 32, 0, SE_HMAC, sym_bad,
				   1, TPM_ALG_SHA256),
		  rc_param(TPM_RC_SYMMETRIC, 4));
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, TPM_RH_NULL, nonce, 32, 0, SE_HMAC, sym_null,
				   1, TPM_ALG_NULL),
		  rc_param(TPM_RC_HASH, 5));
	/* Handles: salted (tpmKey) and bound-to-object requests name objects that do not exist. */
	EXPECT_EQ(start_session_ex(&f, 0x80000000u, TPM_RH_NULL, nonce, 32, 0, SE_HMAC, sym_null,
				   1, TPM_ALG_SHA256),
		  TPM_RC_REFERENCE_H0);
	EXPECT_EQ(start_session_ex(&f, 0x81000001u, TPM_RH_NULL, nonce, 32, 0, SE_HMAC, sym_null,
				   1, TPM_ALG_SHA256),
		  rc_handle(TPM_RC_HANDLE, 1));
	EXPECT_EQ(start_session_ex(&f, 0, TPM_RH_NULL, nonce, 32, 0, SE_HMAC, sym_null, 1,
				   TPM_ALG_SHA256),
		  rc_handle(TPM_RC_VALUE, 1));
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, 0x80000001u, nonce, 32, 0, SE_HMAC, sym_null,
				   1, TPM_ALG_SHA256),
		  TPM_RC_REFERENCE_H0 + 1);
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, 0x01000000u, nonce, 32, 0, SE_HMAC, sym_null,
				   1, TPM_ALG_SHA256),
		  rc_handle(TPM_RC_HANDLE, 2));
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, TPM_RS_PW, nonce, 32, 0, SE_HMAC, sym_null, 1,
				   TPM_ALG_SHA256),
		  rc_handle(TPM_RC_VALUE, 2));
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, 24, nonce, 32, 0, SE_HMAC, sym_null, 1,
				   TPM_ALG_SHA256),
		  rc_handle(TPM_RC_VALUE, 2));
	/* Trailing bytes. */
	{
		struct cb c;

		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_START_AUTH_SESSION);
		cb_u32(&c, TPM_RH_NULL);
		cb_u32(&c, TPM_RH_NULL);
		cb_tpm2b(&c, nonce, 32);
		cb_u16(&c, 0);
		cb_u8(&c, 0);
		cb_u16(&c, TPM_ALG_NULL);
		cb_u16(&c, TPM_ALG_SHA256);
		cb_u8(&c, 0);
		EXPECT_EQ(run(&f, &c), TPM_RC_SIZE);
	}
	/* No error consumed a slot: exactly one is free. */
	EXPECT_EQ(start_session(&f, &s[0], SE_HMAC, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
	EXPECT_EQ(s[0].handle, 0x02000000u);
	EXPECT_EQ(start_session_ex(&f, TPM_RH_NULL, TPM_RH_NULL, nonce, 32, 0, SE_HMAC, sym_null,
				   1, TPM_ALG_SHA256),
		  TPM_RC_SESSION_MEMORY);
	/* _TPM_Init drops every session. */
	vtpm_power_on(f.t);
	{
		struct cb c;

		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_STARTUP);
		cb_u16(&c, TPM_SU_CLEAR);
		ASSERT_EQ(run(&f, &c), 0u);
	}
	EXPECT_EQ(flush(&f, 0x02000000u), rc_param(TPM_RC_HANDLE, 1));
	EXPECT_EQ(policy_cmd(&f, TPM_CC_POLICY_RESTART, 0x03000001u), TPM_RC_REFERENCE_H0);
	EXPECT_EQ(f.malformed, 0);
}

/* ---- HMAC authorization ----------------------------------------------------------------- */

KTEST(session, hmac_pcr_extend_good_and_wrong)
{
	static struct fix f;
	struct sess s;
	uint8_t d[32];
	uint8_t want[32] = { 0 };
	uint8_t got[32];
	bool ok;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(start_session(&f, &s, SE_HMAC, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
	memset(d, 0x5A, sizeof(d));
	/* Wrong HMAC and stale nonceTPM: TPM_RC_AUTH_FAIL + session 1, PCR unchanged. */
	EXPECT_EQ(hmac_extend(&f, &s, 16, d, TPMA_SESSION_CONTINUE, 1, &ok),
		  rc_session(TPM_RC_AUTH_FAIL, 1));
	EXPECT_EQ(hmac_extend(&f, &s, 16, d, TPMA_SESSION_CONTINUE, 2, &ok),
		  rc_session(TPM_RC_AUTH_FAIL, 1));
	ASSERT_EQ(pcr_read(&f, 1, 16, got), 0u);
	EXPECT_MEMEQ(got, want, 32);
	/* The failures did not roll the nonce: the correct HMAC now works. */
	EXPECT_EQ(hmac_extend(&f, &s, 16, d, TPMA_SESSION_CONTINUE, 0, &ok), 0u);
	EXPECT_TRUE(ok);
	ossl_hash3(1, want, 32, d, 32, NULL, 0, want);
	ASSERT_EQ(pcr_read(&f, 1, 16, got), 0u);
	EXPECT_MEMEQ(got, want, 32);
	/* The same command replayed (old nonceTPM) fails. */
	{
		struct cb c;
		uint8_t nonce[64];
		struct sess old = s;

		memcpy(old.nonce_tpm, s.nonce_tpm, 32);
		old.nonce_tpm[0] ^= 0xFF;
		build_hmac_extend(&c, &old, 16, d, TPMA_SESSION_CONTINUE, 0, 32, nonce);
		EXPECT_EQ(run_raw(&f, c.b, c.n), rc_session(TPM_RC_AUTH_FAIL, 1));
	}
	/* A wrong handle in the cpHash (the command names PCR 16, the HMAC PCR 15) fails. */
	{
		struct cb c;
		uint8_t nonce[64];

		build_hmac_extend(&c, &s, 15, d, TPMA_SESSION_CONTINUE, 0, 32, nonce);
		c.b[13] = 16;
		EXPECT_EQ(run_raw(&f, c.b, c.n), rc_session(TPM_RC_AUTH_FAIL, 1));
		/* nonceCaller of 15 octets: TPM_RC_SIZE + session 1. */
		build_hmac_extend(&c, &s, 16, d, TPMA_SESSION_CONTINUE, 0, 15, nonce);
		EXPECT_EQ(run_raw(&f, c.b, c.n), rc_session(TPM_RC_SIZE, 1));
		/* Attributes: audit, decrypt, encrypt, reserved. */
		build_hmac_extend(&c, &s, 16, d, TPMA_SESSION_CONTINUE | TPMA_SESSION_AUDIT, 0, 32,
				  nonce);
		EXPECT_EQ(run_raw(&f, c.b, c.n), rc_session(TPM_RC_ATTRIBUTES, 1));
		/* PCR_Extend's first parameter is no TPM2B, nor is its response's. */
		build_hmac_extend(&c, &s, 16, d, TPMA_SESSION_CONTINUE | TPMA_SESSION_DECRYPT, 0,
				  32, nonce);
		EXPECT_EQ(run_raw(&f, c.b, c.n), rc_session(TPM_RC_ATTRIBUTES, 1));
		build_hmac_extend(&c, &s, 16, d, TPMA_SESSION_CONTINUE | TPMA_SESSION_ENCRYPT, 0,
				  32, nonce);
		EXPECT_EQ(run_raw(&f, c.b, c.n), rc_session(TPM_RC_ATTRIBUTES, 1));
		build_hmac_extend(&c, &s, 16, d, TPMA_SESSION_CONTINUE | 0x08, 0, 32, nonce);
		EXPECT_EQ(run_raw(&f, c.b, c.n), rc_session(TPM_RC_RESERVED_BITS, 1));
		/* Unloaded session handle: TPM_RC_REFERENCE_S0. */
		build_hmac_extend(&c, &s, 16, d, TPMA_SESSION_CONTINUE, 0, 32, nonce);
		c.b[21] = 2;
		EXPECT_EQ(run_raw(&f, c.b, c.n), TPM_RC_REFERENCE_S0);
	}
	/* Two sessions: the same one twice, then a second one that authorizes nothing. */
	{
		struct cb c;
		uint8_t nonce[64];
		struct sess s2;
		size_t one;

		build_hmac_extend(&c, &s, 16, d, TPMA_SESSION_CONTINUE, 0, 32, nonce);
		/* Duplicate the session entry: authorizationSize doubles. */
		one = get32(c.b + 14);
		{
			struct cb m;

			m.n = 0;
			cb_bytes(&m, c.b, 14);
			cb_u32(&m, (uint32_t)(2 * one));
			cb_bytes(&m, c.b + 18, one);
			cb_bytes(&m, c.b + 18, one);
			cb_bytes(&m, c.b + 18 + one, c.n - 18 - one);
			cb_end(&m);
			EXPECT_EQ(run_raw(&f, m.b, m.n), rc_session(TPM_RC_HANDLE, 2));
			ASSERT_EQ(start_session(&f, &s2, SE_HMAC, TPM_ALG_SHA256, TPM_RH_NULL),
				  0u);
			m.b[18 + one + 3] = (uint8_t)s2.handle;
			EXPECT_EQ(run_raw(&f, m.b, m.n), rc_session(TPM_RC_ATTRIBUTES, 2));
			EXPECT_EQ(flush(&f, s2.handle), 0u);
		}
	}
	/* Still usable after all the failures. */
	EXPECT_EQ(hmac_extend(&f, &s, 16, d, TPMA_SESSION_CONTINUE, 0, &ok), 0u);
	EXPECT_TRUE(ok);
	EXPECT_EQ(f.malformed, 0);
}

KTEST(session, nonce_rolling_and_bound_sessions)
{
	static struct fix f;
	static const uint16_t hashes[3] = { TPM_ALG_SHA1, TPM_ALG_SHA256, TPM_ALG_SHA384 };
	static const uint32_t binds[3] = { TPM_RH_NULL, TPM_RH_OWNER, 16 };
	uint8_t d[32] = { 9, 8, 7 };
	uint8_t want[32] = { 0 };
	uint8_t got[32];

	ASSERT_TRUE(fix_open(&f));
	for (unsigned int b = 0; b < 3; b++) {
		for (unsigned int h = 0; h < 3; h++) {
			struct sess s;
			uint8_t seen[3][64];
			bool ok;

			ASSERT_EQ(start_session(&f, &s, SE_HMAC, hashes[h], binds[b]), 0u);
			EXPECT_EQ(s.key_len, binds[b] == TPM_RH_NULL ? 0u : bank_sizes[s.bank]);
			for (unsigned int i = 0; i < 3; i++) {
				uint8_t prev[64];

				memcpy(prev, s.nonce_tpm, 64);
				ASSERT_EQ(hmac_extend(&f, &s, 16, d, TPMA_SESSION_CONTINUE, 0,
						      &ok),
					  0u);
				EXPECT_TRUE(ok); /* response HMAC verified, nonce changed */
				memcpy(seen[i], s.nonce_tpm, 64);
				ossl_hash3(1, want, 32, d, 32, NULL, 0, want);
				/* The previous nonceTPM no longer works. */
				{
					struct sess stale = s;
					bool ok2;

					memcpy(stale.nonce_tpm, prev, 64);
					EXPECT_EQ(hmac_extend(&f, &stale, 16, d,
							      TPMA_SESSION_CONTINUE, 0, &ok2),
						  rc_session(TPM_RC_AUTH_FAIL, 1));
				}
			}
			EXPECT_TRUE(memcmp(seen[0], seen[1], bank_sizes[s.bank]) != 0);
			EXPECT_TRUE(memcmp(seen[1], seen[2], bank_sizes[s.bank]) != 0);
			/* continueSession clear: the command succeeds, the session is gone. */
			ASSERT_EQ(hmac_extend(&f, &s, 16, d, 0, 0, &ok), 0u);
			EXPECT_TRUE(ok);
			ossl_hash3(1, want, 32, d, 32, NULL, 0, want);
			EXPECT_EQ(hmac_extend(&f, &s, 16, d, TPMA_SESSION_CONTINUE, 0, &ok),
				  TPM_RC_REFERENCE_S0);
			EXPECT_EQ(flush(&f, s.handle), rc_param(TPM_RC_HANDLE, 1));
		}
	}
	ASSERT_EQ(pcr_read(&f, 1, 16, got), 0u);
	EXPECT_MEMEQ(got, want, 32);
	EXPECT_EQ(f.malformed, 0);
}

/* ---- policy ----------------------------------------------------------------------------- */

KTEST(session, policy_digests)
{
	static struct fix f;
	static const uint8_t types[2] = { SE_POLICY, SE_TRIAL };
	static const uint16_t hashes[3] = { TPM_ALG_SHA1, TPM_ALG_SHA256, TPM_ALG_SHA384 };

	ASSERT_TRUE(fix_open(&f));
	for (unsigned int ti = 0; ti < 2; ti++) {
		for (unsigned int hi = 0; hi < 3; hi++) {
			struct sess s;
			uint8_t want[64] = { 0 };
			uint8_t got[64];
			unsigned int ds;
			uint32_t code = TPM_CC_PCR_EXTEND;

			ASSERT_EQ(start_session(&f, &s, types[ti], hashes[hi], TPM_RH_NULL), 0u);
			ds = bank_sizes[s.bank];
			ASSERT_TRUE(get_digest(&f, s.handle, got, ds));
			EXPECT_MEMEQ(got, want, ds);
			ASSERT_EQ(policy_cc(&f, s.handle, code), 0u);
			policy_update(s.bank, want, TPM_CC_POLICY_COMMAND_CODE, &code);
			ASSERT_TRUE(get_digest(&f, s.handle, got, ds));
			EXPECT_MEMEQ(got, want, ds);
			/* The same code again extends again; a different one is refused. */
			ASSERT_EQ(policy_cc(&f, s.handle, code), 0u);
			policy_update(s.bank, want, TPM_CC_POLICY_COMMAND_CODE, &code);
			EXPECT_EQ(policy_cc(&f, s.handle, TPM_CC_PCR_EVENT),
				  rc_param(TPM_RC_VALUE, 1));
			ASSERT_EQ(policy_cmd(&f, TPM_CC_POLICY_AUTH_VALUE, s.handle), 0u);
			policy_update(s.bank, want, TPM_CC_POLICY_AUTH_VALUE, NULL);
			ASSERT_EQ(policy_cmd(&f, TPM_CC_POLICY_PASSWORD, s.handle), 0u);
			policy_update(s.bank, want, TPM_CC_POLICY_AUTH_VALUE, NULL);
			ASSERT_TRUE(get_digest(&f, s.handle, got, ds));
			EXPECT_MEMEQ(got, want, ds);
			/* PolicyRestart: back to the Zero Digest, the command code forgotten. */
			ASSERT_EQ(policy_cmd(&f, TPM_CC_POLICY_RESTART, s.handle), 0u);
			memset(want, 0, sizeof(want));
			ASSERT_TRUE(get_digest(&f, s.handle, got, ds));
			EXPECT_MEMEQ(got, want, ds);
			code = TPM_CC_PCR_EVENT;
			ASSERT_EQ(policy_cc(&f, s.handle, code), 0u);
			policy_update(s.bank, want, TPM_CC_POLICY_COMMAND_CODE, &code);
			ASSERT_TRUE(get_digest(&f, s.handle, got, ds));
			EXPECT_MEMEQ(got, want, ds);
			/* A code that is no command of this TPM: TPM_RC_POLICY_CC + parameter 1. */
			ASSERT_EQ(policy_cmd(&f, TPM_CC_POLICY_RESTART, s.handle), 0u);
			EXPECT_EQ(policy_cc(&f, s.handle, 0x0300u), rc_param(TPM_RC_POLICY_CC, 1));
			/* Trailing bytes. */
			{
				struct cb c;

				cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_POLICY_AUTH_VALUE);
				cb_u32(&c, s.handle);
				cb_u8(&c, 0);
				EXPECT_EQ(run(&f, &c), TPM_RC_SIZE);
			}
			EXPECT_EQ(flush(&f, s.handle), 0u);
			/* Flushed: not loaded any more. */
			EXPECT_EQ(policy_cmd(&f, TPM_CC_POLICY_GET_DIGEST, s.handle),
				  TPM_RC_REFERENCE_H0);
		}
	}
	/* A policy command on an HMAC session handle or a non-session handle. */
	{
		struct sess s;

		ASSERT_EQ(start_session(&f, &s, SE_HMAC, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
		EXPECT_EQ(policy_cmd(&f, TPM_CC_POLICY_RESTART, s.handle),
			  rc_handle(TPM_RC_VALUE, 1));
		EXPECT_EQ(policy_cmd(&f, TPM_CC_POLICY_RESTART, TPM_RH_NULL),
			  rc_handle(TPM_RC_VALUE, 1));
		EXPECT_EQ(flush(&f, s.handle), 0u);
	}
	EXPECT_EQ(f.malformed, 0);
}

/* PolicyPCR with a selection of two banks; returns rc. pcr_digest may be NULL (empty). */
static uint32_t policy_pcr(struct fix *f, uint32_t h, const uint8_t *pcr_digest, uint16_t len,
			   uint8_t *sel_bytes, size_t *sel_len)
{
	struct cb c;
	size_t at;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_POLICY_PCR);
	cb_u32(&c, h);
	cb_tpm2b(&c, pcr_digest, len);
	at = c.n;
	cb_u32(&c, 2);
	cb_u16(&c, TPM_ALG_SHA256);
	cb_u8(&c, 3);
	cb_u8(&c, 0x07); /* PCRs 0, 1, 2 */
	cb_u8(&c, 0);
	cb_u8(&c, 0x80); /* PCR 23 */
	cb_u16(&c, TPM_ALG_SHA1);
	cb_u8(&c, 3);
	cb_u8(&c, 0);
	cb_u8(&c, 0);
	cb_u8(&c, 0x01); /* PCR 16 */
	if (sel_bytes != NULL) {
		memcpy(sel_bytes, c.b + at, c.n - at);
		*sel_len = c.n - at;
	}
	return run(f, &c);
}

KTEST(session, policy_pcr_digest)
{
	static struct fix f;
	struct sess s;
	struct sess hs;
	uint8_t d[32];
	uint8_t vals[5][32];
	uint8_t concat[5 * 32];
	uint8_t digest_tpm[32];
	uint8_t want[32] = { 0 };
	uint8_t got[32];
	uint8_t sel[64];
	size_t sel_len = 0;
	size_t cl = 0;
	uint8_t cc[4] = { 0, 0, (uint8_t)(TPM_CC_POLICY_PCR >> 8), (uint8_t)TPM_CC_POLICY_PCR };
	bool ok;

	ASSERT_TRUE(fix_open(&f));
	/* Give PCRs 1, 2 (SHA-256) and 16 (SHA-1) non-trivial values. */
	ASSERT_EQ(start_session(&f, &hs, SE_HMAC, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
	memset(d, 0x11, 32);
	ASSERT_EQ(hmac_extend(&f, &hs, 1, d, TPMA_SESSION_CONTINUE, 0, &ok), 0u);
	ASSERT_EQ(hmac_extend(&f, &hs, 2, d, TPMA_SESSION_CONTINUE, 0, &ok), 0u);
	ASSERT_EQ(pcr_read(&f, 1, 0, vals[0]), 0u);
	ASSERT_EQ(pcr_read(&f, 1, 1, vals[1]), 0u);
	ASSERT_EQ(pcr_read(&f, 1, 2, vals[2]), 0u);
	ASSERT_EQ(pcr_read(&f, 1, 23, vals[3]), 0u);
	ASSERT_EQ(pcr_read(&f, 0, 16, vals[4]), 0u);
	for (unsigned int i = 0; i < 4; i++) {
		memcpy(concat + cl, vals[i], 32);
		cl += 32;
	}
	memcpy(concat + cl, vals[4], 20);
	cl += 20;
	ossl_hash3(1, concat, cl, NULL, 0, NULL, 0, digest_tpm);

	ASSERT_EQ(start_session(&f, &s, SE_POLICY, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
	ASSERT_EQ(policy_pcr(&f, s.handle, NULL, 0, sel, &sel_len), 0u);
	/* policyDigest = H(0^32 || TPM_CC_PolicyPCR || pcrs || digestTPM) */
	{
		uint8_t msg[32 + 4 + 64 + 32];
		size_t n = 0;

		memset(msg, 0, 32);
		n = 32;
		memcpy(msg + n, cc, 4);
		n += 4;
		memcpy(msg + n, sel, sel_len);
		n += sel_len;
		memcpy(msg + n, digest_tpm, 32);
		n += 32;
		ossl_hash3(1, msg, n, NULL, 0, NULL, 0, want);
	}
	ASSERT_TRUE(get_digest(&f, s.handle, got, 32));
	EXPECT_MEMEQ(got, want, 32);
	/* The right pcrDigest is accepted and gives the same policy; a wrong one is not. */
	ASSERT_EQ(policy_cmd(&f, TPM_CC_POLICY_RESTART, s.handle), 0u);
	ASSERT_EQ(policy_pcr(&f, s.handle, digest_tpm, 32, NULL, NULL), 0u);
	ASSERT_TRUE(get_digest(&f, s.handle, got, 32));
	EXPECT_MEMEQ(got, want, 32);
	{
		uint8_t bad[65] = { 0 };

		memcpy(bad, digest_tpm, 32);
		bad[5] ^= 1;
		EXPECT_EQ(policy_pcr(&f, s.handle, bad, 32, NULL, NULL), rc_param(TPM_RC_VALUE, 1));
		EXPECT_EQ(policy_pcr(&f, s.handle, bad, 20, NULL, NULL), rc_param(TPM_RC_VALUE, 1));
		EXPECT_EQ(policy_pcr(&f, s.handle, bad, 65, NULL, NULL), rc_param(TPM_RC_SIZE, 1));
	}
	/* The error left the digest alone. */
	ASSERT_TRUE(get_digest(&f, s.handle, got, 32));
	EXPECT_MEMEQ(got, want, 32);

	/* Policy authorization of PCR 16: its authPolicy is empty, so TPM_RC_POLICY_FAIL. */
	{
		struct sess p = s;
		uint8_t pd[32] = { 0 };

		p.bank = 1;
		EXPECT_EQ(hmac_extend(&f, &p, 16, pd, TPMA_SESSION_CONTINUE, 0, &ok),
			  rc_session(TPM_RC_POLICY_FAIL, 1));
	}
	/* A PCR changes: a second PolicyPCR in the same session is TPM_RC_PCR_CHANGED. */
	ASSERT_EQ(hmac_extend(&f, &hs, 3, d, TPMA_SESSION_CONTINUE, 0, &ok), 0u);
	EXPECT_EQ(policy_pcr(&f, s.handle, NULL, 0, NULL, NULL), TPM_RC_PCR_CHANGED);
	ASSERT_EQ(policy_cmd(&f, TPM_CC_POLICY_RESTART, s.handle), 0u);
	EXPECT_EQ(policy_pcr(&f, s.handle, NULL, 0, NULL, NULL), 0u);
	EXPECT_EQ(flush(&f, s.handle), 0u);

	/* A trial session takes pcrDigest as given, and never authorizes. */
	ASSERT_EQ(start_session(&f, &s, SE_TRIAL, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
	{
		uint8_t given[32];
		uint8_t msg[32 + 4 + 64 + 32];
		size_t n;

		memset(given, 0xEE, 32);
		ASSERT_EQ(policy_pcr(&f, s.handle, given, 32, NULL, NULL), 0u);
		memset(msg, 0, 32);
		n = 32;
		memcpy(msg + n, cc, 4);
		n += 4;
		memcpy(msg + n, sel, sel_len);
		n += sel_len;
		memcpy(msg + n, given, 32);
		n += 32;
		ossl_hash3(1, msg, n, NULL, 0, NULL, 0, want);
		ASSERT_TRUE(get_digest(&f, s.handle, got, 32));
		EXPECT_MEMEQ(got, want, 32);
	}
	{
		struct sess p = s;
		uint8_t pd[32] = { 0 };

		EXPECT_EQ(hmac_extend(&f, &p, 16, pd, TPMA_SESSION_CONTINUE, 0, &ok),
			  rc_session(TPM_RC_ATTRIBUTES, 1));
	}
	EXPECT_EQ(f.malformed, 0);
}

/* ---- parameter encryption -------------------------------------------------------------- */

/* KDFa (Part 1 §11.4.10.2), any number of blocks. */
static void ossl_kdfa(unsigned int bank, const uint8_t *key, size_t kl, const char *label,
		      const uint8_t *u, size_t ul, const uint8_t *v, size_t vl, uint32_t bits,
		      uint8_t *out)
{
	uint8_t acc[256] = { 0 };
	size_t have = 0;

	for (uint32_t i = 1; have < bits / 8; i++) {
		uint8_t msg[256];
		size_t len = 0;
		unsigned int n;

		msg[len++] = (uint8_t)(i >> 24);
		msg[len++] = (uint8_t)(i >> 16);
		msg[len++] = (uint8_t)(i >> 8);
		msg[len++] = (uint8_t)i;
		memcpy(msg + len, label, strlen(label) + 1);
		len += strlen(label) + 1;
		memcpy(msg + len, u, ul);
		len += ul;
		memcpy(msg + len, v, vl);
		len += vl;
		msg[len++] = (uint8_t)(bits >> 24);
		msg[len++] = (uint8_t)(bits >> 16);
		msg[len++] = (uint8_t)(bits >> 8);
		msg[len++] = (uint8_t)bits;
		HMAC(EVP_get_digestbyname(bank_names[bank]), kl ? key : (const uint8_t *)"",
		     (int)kl, msg, len, acc + have, &n);
		have += n;
	}
	memcpy(out, acc, bits / 8);
}

/* AES-CFB with key || iv = KDFa(authHash, sessionKey, "CFB", newer, older, keyBits + 128). */
static void ossl_cfb(const struct sess *s, const uint8_t *newer, size_t nl, const uint8_t *older,
		     size_t ol, bool encrypt, uint8_t *data, size_t len)
{
	unsigned int kb = s->key_bits / 8u;
	uint8_t kiv[48];
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	const EVP_CIPHER *ci = kb == 16 ? EVP_aes_128_cfb128()
				       : kb == 24 ? EVP_aes_192_cfb128() : EVP_aes_256_cfb128();
	int n;

	ossl_kdfa(s->bank, s->key, s->key_len, "CFB", newer, nl, older, ol, (kb + 16) * 8, kiv);
	EVP_CipherInit_ex(x, ci, NULL, kiv, kiv + kb, encrypt ? 1 : 0);
	EVP_CipherUpdate(x, data, &n, data, (int)len);
	EVP_CIPHER_CTX_free(x);
}

/* One session's use in a command built by build_cmd. */
struct use {
	struct sess *s;
	uint8_t attrs;
	uint8_t nonce[64];
	uint16_t nonce_len;
	bool skip_extra; /* leave the decrypt/encrypt nonces out of session 1's HMAC */
};

/* Builds cc(handles, params) with HMAC sessions u[0..nu) (authValues all empty); params
 * are used as given (already encrypted by the caller). */
static void build_cmd(struct cb *c, uint32_t cc, const uint32_t *h, unsigned int nh,
		      struct use *u, unsigned int nu, const uint8_t *params, size_t pl)
{
	unsigned int dec = 9;
	unsigned int enc = 9;
	size_t auth_at;

	for (unsigned int i = 0; i < nu; i++) {
		if (u[i].attrs & TPMA_SESSION_DECRYPT) {
			dec = i;
		}
		if (u[i].attrs & TPMA_SESSION_ENCRYPT) {
			enc = i;
		}
		u[i].s->counter++;
		u[i].nonce_len = (uint16_t)bank_sizes[u[i].s->bank];
		for (unsigned int k = 0; k < 64; k++) {
			u[i].nonce[k] = (uint8_t)(u[i].s->counter * 13 + k + i);
		}
	}
	cb_start(c, TPM_ST_SESSIONS, cc);
	for (unsigned int i = 0; i < nh; i++) {
		cb_u32(c, h[i]);
	}
	auth_at = c->n;
	cb_u32(c, 0);
	for (unsigned int i = 0; i < nu; i++) {
		struct sess *s = u[i].s;
		unsigned int ds = bank_sizes[s->bank];
		uint8_t pre[4 + 12];
		uint8_t cp[64];
		uint8_t older[200];
		size_t ol = 0;
		uint8_t mac[64];

		pre[0] = (uint8_t)(cc >> 24);
		pre[1] = (uint8_t)(cc >> 16);
		pre[2] = (uint8_t)(cc >> 8);
		pre[3] = (uint8_t)cc;
		for (unsigned int k = 0; k < nh; k++) {
			pre[4 + 4 * k] = (uint8_t)(h[k] >> 24);
			pre[5 + 4 * k] = (uint8_t)(h[k] >> 16);
			pre[6 + 4 * k] = (uint8_t)(h[k] >> 8);
			pre[7 + 4 * k] = (uint8_t)h[k];
		}
		ossl_hash3(s->bank, pre, 4 + 4 * nh, params, pl, NULL, 0, cp);
		/* nonceOlder || nonceTPMdecrypt || nonceTPMencrypt (session 1 only) */
		memcpy(older, s->nonce_tpm, ds);
		ol = ds;
		if (i == 0 && !u[0].skip_extra) {
			if (dec != 9 && dec != 0) {
				memcpy(older + ol, u[dec].s->nonce_tpm, bank_sizes[u[dec].s->bank]);
				ol += bank_sizes[u[dec].s->bank];
			}
			if (enc != 9 && enc != 0 && enc != dec) {
				memcpy(older + ol, u[enc].s->nonce_tpm, bank_sizes[u[enc].s->bank]);
				ol += bank_sizes[u[enc].s->bank];
			}
		}
		ossl_hmac(s->bank, s->key, s->key_len, cp, ds, u[i].nonce, u[i].nonce_len, older, ol,
			  u[i].attrs, mac);
		cb_u32(c, s->handle);
		cb_tpm2b(c, u[i].nonce, u[i].nonce_len);
		cb_u8(c, u[i].attrs);
		cb_tpm2b(c, mac, (uint16_t)ds);
	}
	put_be32(c->b + auth_at, (uint32_t)(c->n - auth_at - 4));
	cb_bytes(c, params, pl);
	cb_end(c);
}

/* Checks a TPM_ST_SESSIONS response: every session's HMAC over rpHash, attributes echoed, a
 * new nonceTPM (rolled into u[i].s). params/pl receive the parameter area. */
static bool check_rsp(struct fix *f, uint32_t cc, struct use *u, unsigned int nu,
		      size_t rhandles, const uint8_t **params, size_t *pl)
{
	const uint8_t *r = f->rsp + 10 + 4 * rhandles;
	const uint8_t *end = f->rsp + f->rsp_len;
	uint8_t hdr[8] = { 0, 0, 0, 0, (uint8_t)(cc >> 24), (uint8_t)(cc >> 16), (uint8_t)(cc >> 8),
			   (uint8_t)cc };

	if (get16(f->rsp) != TPM_ST_SESSIONS || r + 4 > end) {
		return false;
	}
	*pl = get32(r);
	*params = r + 4;
	r += 4 + *pl;
	for (unsigned int i = 0; i < nu; i++) {
		struct sess *s = u[i].s;
		unsigned int ds = bank_sizes[s->bank];
		uint8_t rp[64];
		uint8_t mac[64];

		if (r + 2 + ds + 1 + 2 + ds > end || get16(r) != ds || r[2 + ds] != u[i].attrs ||
		    get16(r + 3 + ds) != ds) {
			return false;
		}
		ossl_hash3(s->bank, hdr, 8, *params, *pl, NULL, 0, rp);
		ossl_hmac(s->bank, s->key, s->key_len, rp, ds, r + 2, ds, u[i].nonce, u[i].nonce_len,
			  u[i].attrs, mac);
		if (memcmp(mac, r + 5 + ds, ds) != 0 || memcmp(s->nonce_tpm, r + 2, ds) == 0) {
			return false;
		}
		memcpy(s->nonce_tpm, r + 2, ds);
		r += 5 + 2 * ds;
	}
	return r == end;
}

KTEST(session, parameter_encryption)
{
	static struct fix f;
	static const uint16_t hashes[3] = { TPM_ALG_SHA256, TPM_ALG_SHA1, TPM_ALG_SHA384 };
	static const uint16_t bits[3] = { 128, 256, 192 };
	static const uint32_t binds[3] = { TPM_RH_NULL, TPM_RH_OWNER, TPM_RH_NULL };
	uint8_t plain[100];
	const uint8_t *rp;
	size_t rpl;

	ASSERT_TRUE(fix_open(&f));
	for (unsigned int i = 0; i < sizeof(plain); i++) {
		plain[i] = (uint8_t)(i * 3 + 1);
	}
	/* Hash(data) with one session that decrypts data and encrypts outHash. */
	for (unsigned int v = 0; v < 3; v++) {
		struct sess s;
		struct use u = { 0 };
		struct cb c;
		uint8_t params[200];
		uint8_t want[32];
		uint8_t got[32];
		size_t pl = 0;

		ASSERT_EQ(start_session_sym(&f, &s, SE_HMAC, hashes[v], binds[v], bits[v]), 0u);
		u.s = &s;
		u.attrs = TPMA_SESSION_CONTINUE | TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT;
		for (unsigned int k = 0; k < 2; k++) {
			params[0] = 0;
			params[1] = sizeof(plain);
			memcpy(params + 2, plain, sizeof(plain));
			pl = 2 + sizeof(plain);
			params[pl++] = 0;
			params[pl++] = (uint8_t)TPM_ALG_SHA256;
			put_be32(params + pl, TPM_RH_NULL);
			pl += 4;
			/* build_cmd draws nonceCaller; encrypt with it afterwards (the nonce is
			 * drawn from the counter, so build twice). */
			build_cmd(&c, TPM_CC_HASH, NULL, 0, &u, 1, params, pl);
			ossl_cfb(&s, u.nonce, u.nonce_len, s.nonce_tpm, bank_sizes[s.bank], true,
				 params + 2, sizeof(plain));
			s.counter--;
			build_cmd(&c, TPM_CC_HASH, NULL, 0, &u, 1, params, pl);
			ASSERT_EQ(run_raw(&f, c.b, c.n), 0u);
			ASSERT_TRUE(check_rsp(&f, TPM_CC_HASH, &u, 1, 0, &rp, &rpl));
			ASSERT_EQ(get16(rp), 32u);
			memcpy(got, rp + 2, 32);
			ossl_cfb(&s, s.nonce_tpm, bank_sizes[s.bank], u.nonce, u.nonce_len, false,
				 got, 32);
			ossl_hash3(1, plain, sizeof(plain), NULL, 0, NULL, 0, want);
			EXPECT_MEMEQ(got, want, 32);
			/* The ciphertext on the wire is not the plaintext. */
			EXPECT_TRUE(memcmp(rp + 2, want, 32) != 0);
		}
		EXPECT_EQ(flush(&f, s.handle), 0u);
	}
	/* PolicyGetDigest through an encrypt session: the Zero Digest comes back encrypted. */
	{
		struct sess p;
		struct sess e;
		struct use u = { 0 };
		struct cb c;
		uint8_t zero[32] = { 0 };
		uint8_t got[32];

		ASSERT_EQ(start_session(&f, &p, SE_POLICY, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
		ASSERT_EQ(start_session_sym(&f, &e, SE_HMAC, TPM_ALG_SHA256, TPM_RH_NULL, 128), 0u);
		u.s = &e;
		u.attrs = TPMA_SESSION_CONTINUE | TPMA_SESSION_ENCRYPT;
		build_cmd(&c, TPM_CC_POLICY_GET_DIGEST, &p.handle, 1, &u, 1, NULL, 0);
		ASSERT_EQ(run_raw(&f, c.b, c.n), 0u);
		ASSERT_TRUE(check_rsp(&f, TPM_CC_POLICY_GET_DIGEST, &u, 1, 0, &rp, &rpl));
		ASSERT_EQ(rpl, 34u);
		memcpy(got, rp + 2, 32);
		ossl_cfb(&e, e.nonce_tpm, 32, u.nonce, u.nonce_len, false, got, 32);
		EXPECT_MEMEQ(got, zero, 32);
		/* Decrypt is not allowed on PolicyGetDigest (no parameters), encrypt not on
		 * PolicyRestart (no response parameters). */
		u.attrs = TPMA_SESSION_CONTINUE | TPMA_SESSION_DECRYPT;
		build_cmd(&c, TPM_CC_POLICY_GET_DIGEST, &p.handle, 1, &u, 1, NULL, 0);
		EXPECT_EQ(run_raw(&f, c.b, c.n), rc_session(TPM_RC_ATTRIBUTES, 1));
		u.attrs = TPMA_SESSION_CONTINUE | TPMA_SESSION_ENCRYPT;
		build_cmd(&c, TPM_CC_POLICY_RESTART, &p.handle, 1, &u, 1, NULL, 0);
		EXPECT_EQ(run_raw(&f, c.b, c.n), rc_session(TPM_RC_ATTRIBUTES, 1));
		/* A session that only rides along (no decrypt/encrypt) is refused. */
		u.attrs = TPMA_SESSION_CONTINUE;
		build_cmd(&c, TPM_CC_POLICY_GET_DIGEST, &p.handle, 1, &u, 1, NULL, 0);
		EXPECT_EQ(run_raw(&f, c.b, c.n), rc_session(TPM_RC_ATTRIBUTES, 1));
		EXPECT_EQ(flush(&f, p.handle), 0u);
		EXPECT_EQ(flush(&f, e.handle), 0u);
	}
	/* PCR_Event(16): session 1 authorizes (HMAC, SHA-256, no symmetric), session 2
	 * (SHA-1, AES-128-CFB) decrypts eventData; session 1's HMAC carries session 2's
	 * nonceTPM (nonceTPMdecrypt). */
	{
		struct sess a;
		struct sess e;
		struct use u[2];
		struct cb c;
		uint8_t params[200];
		uint8_t pcr_old[32];
		uint8_t pcr_new[32];
		uint8_t want[32];
		uint32_t h16 = 16;

		ASSERT_EQ(pcr_read(&f, 1, 16, pcr_old), 0u);
		ASSERT_EQ(start_session(&f, &a, SE_HMAC, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
		ASSERT_EQ(start_session_sym(&f, &e, SE_HMAC, TPM_ALG_SHA1, TPM_RH_NULL, 128), 0u);
		memset(u, 0, sizeof(u));
		u[0].s = &a;
		u[0].attrs = TPMA_SESSION_CONTINUE;
		u[1].s = &e;
		u[1].attrs = TPMA_SESSION_CONTINUE | TPMA_SESSION_DECRYPT;
		params[0] = 0;
		params[1] = 60;
		memcpy(params + 2, plain, 60);
		/* The nonces build_cmd will draw: counters + 1. */
		build_cmd(&c, TPM_CC_PCR_EVENT, &h16, 1, u, 2, params, 62);
		ossl_cfb(&e, u[1].nonce, u[1].nonce_len, e.nonce_tpm, 20, true, params + 2, 60);
		a.counter--;
		e.counter--;
		/* Without nonceTPMdecrypt in session 1's HMAC: TPM_RC_AUTH_FAIL + session 1. */
		u[0].skip_extra = true;
		build_cmd(&c, TPM_CC_PCR_EVENT, &h16, 1, u, 2, params, 62);
		EXPECT_EQ(run_raw(&f, c.b, c.n), rc_session(TPM_RC_AUTH_FAIL, 1));
		a.counter--;
		e.counter--;
		u[0].skip_extra = false;
		build_cmd(&c, TPM_CC_PCR_EVENT, &h16, 1, u, 2, params, 62);
		ASSERT_EQ(run_raw(&f, c.b, c.n), 0u);
		ASSERT_TRUE(check_rsp(&f, TPM_CC_PCR_EVENT, u, 2, 0, &rp, &rpl));
		ossl_hash3(1, plain, 60, NULL, 0, NULL, 0, want);
		ossl_hash3(1, pcr_old, 32, want, 32, NULL, 0, want);
		ASSERT_EQ(pcr_read(&f, 1, 16, pcr_new), 0u);
		EXPECT_MEMEQ(pcr_new, want, 32);
		/* Errors: encrypt on PCR_Event (its response starts with a TPML), two decrypt
		 * sessions, decrypt on a session without a symmetric algorithm. */
		u[1].attrs = TPMA_SESSION_CONTINUE | TPMA_SESSION_ENCRYPT;
		build_cmd(&c, TPM_CC_PCR_EVENT, &h16, 1, u, 2, params, 62);
		EXPECT_EQ(run_raw(&f, c.b, c.n), rc_session(TPM_RC_ATTRIBUTES, 2));
		u[0].attrs = TPMA_SESSION_CONTINUE | TPMA_SESSION_DECRYPT;
		u[1].attrs = TPMA_SESSION_CONTINUE | TPMA_SESSION_DECRYPT;
		build_cmd(&c, TPM_CC_PCR_EVENT, &h16, 1, u, 2, params, 62);
		EXPECT_EQ(run_raw(&f, c.b, c.n), rc_session(TPM_RC_SYMMETRIC, 1));
		u[0].s = &e;
		u[1].s = &a;
		u[1].attrs = TPMA_SESSION_CONTINUE;
		build_cmd(&c, TPM_CC_PCR_EVENT, &h16, 1, u, 1, params, 62);
		u[1].attrs = TPMA_SESSION_CONTINUE | TPMA_SESSION_DECRYPT;
		{
			struct sess e2;
			struct use w[2];

			ASSERT_EQ(start_session_sym(&f, &e2, SE_HMAC, TPM_ALG_SHA256, TPM_RH_NULL,
						    128),
				  0u);
			memset(w, 0, sizeof(w));
			w[0].s = &e;
			w[0].attrs = TPMA_SESSION_CONTINUE | TPMA_SESSION_DECRYPT;
			w[1].s = &e2;
			w[1].attrs = TPMA_SESSION_CONTINUE | TPMA_SESSION_DECRYPT;
			build_cmd(&c, TPM_CC_PCR_EVENT, &h16, 1, w, 2, params, 62);
			EXPECT_EQ(run_raw(&f, c.b, c.n), rc_session(TPM_RC_ATTRIBUTES, 2));
		}
		ASSERT_EQ(pcr_read(&f, 1, 16, pcr_new), 0u);
		EXPECT_MEMEQ(pcr_new, want, 32);
	}
	EXPECT_EQ(f.malformed, 0);
}

/* ---- FlushContext ----------------------------------------------------------------------- */

KTEST(session, flush_context)
{
	static struct fix f;
	struct sess s;
	struct cb c;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(start_session(&f, &s, SE_POLICY, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
	EXPECT_EQ(flush(&f, 0x02000000u), rc_param(TPM_RC_HANDLE, 1)); /* slot 0 is policy */
	EXPECT_EQ(flush(&f, 0x03000001u), rc_param(TPM_RC_HANDLE, 1));
	EXPECT_EQ(flush(&f, 0x03FFFFFFu), rc_param(TPM_RC_HANDLE, 1));
	EXPECT_EQ(flush(&f, 0x80000000u), rc_param(TPM_RC_HANDLE, 1));
	EXPECT_EQ(flush(&f, TPM_RH_OWNER), rc_param(TPM_RC_VALUE, 1));
	EXPECT_EQ(flush(&f, 0x81000000u), rc_param(TPM_RC_VALUE, 1));
	EXPECT_EQ(flush(&f, 5), rc_param(TPM_RC_VALUE, 1));
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_FLUSH_CONTEXT);
	cb_u16(&c, 3);
	EXPECT_EQ(run(&f, &c), rc_param(TPM_RC_INSUFFICIENT, 1));
	EXPECT_EQ(flush(&f, s.handle), 0u);
	EXPECT_EQ(f.rsp_len, 10u);
	EXPECT_EQ(flush(&f, s.handle), rc_param(TPM_RC_HANDLE, 1));
	/* The slot is reused. */
	ASSERT_EQ(start_session(&f, &s, SE_HMAC, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
	EXPECT_EQ(s.handle, 0x02000000u);
	EXPECT_EQ(f.malformed, 0);
}

/* ---- session storm ---------------------------------------------------------------------- */

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* Flushes every session and starts the policy session the storm's commands name. */
static void storm_reset(struct fix *f, uint32_t *policy)
{
	struct sess s;

	for (uint32_t i = 0; i < 3; i++) {
		flush(f, 0x02000000u | i);
		flush(f, 0x03000000u | i);
	}
	start_session(f, &s, SE_POLICY, TPM_ALG_SHA256, TPM_RH_NULL);
	*policy = s.handle;
}

static void storm_command(struct cb *c, uint32_t cc, uint32_t policy)
{
	uint8_t d[64] = { 4 };

	cb_start(c, TPM_ST_NO_SESSIONS, cc);
	switch (cc) {
	case TPM_CC_START_AUTH_SESSION:
		cb_u32(c, TPM_RH_NULL);
		cb_u32(c, TPM_RH_OWNER);
		cb_tpm2b(c, d, 20);
		cb_u16(c, 0);
		cb_u8(c, SE_POLICY);
		cb_u16(c, TPM_ALG_NULL);
		cb_u16(c, TPM_ALG_SHA256);
		break;
	case TPM_CC_FLUSH_CONTEXT:
		cb_u32(c, policy);
		break;
	case TPM_CC_POLICY_PCR:
		cb_u32(c, policy);
		cb_u16(c, 0);
		cb_u32(c, 1);
		cb_u16(c, TPM_ALG_SHA384);
		cb_u8(c, 3);
		cb_u8(c, 0x81);
		cb_u8(c, 0x40);
		cb_u8(c, 0x02);
		break;
	case TPM_CC_POLICY_COMMAND_CODE:
		cb_u32(c, policy);
		cb_u32(c, TPM_CC_PCR_EXTEND);
		break;
	default:
		cb_u32(c, policy);
		break;
	}
	cb_end(c);
}

KTEST(session, malformed_session_storm)
{
	static struct fix f;
	static struct cb c;
	static struct cb m;
	static const uint32_t ccs[] = { TPM_CC_START_AUTH_SESSION, TPM_CC_FLUSH_CONTEXT,
					TPM_CC_POLICY_PCR, TPM_CC_POLICY_COMMAND_CODE,
					TPM_CC_POLICY_AUTH_VALUE, TPM_CC_POLICY_PASSWORD,
					TPM_CC_POLICY_RESTART, TPM_CC_POLICY_GET_DIGEST };
	uint8_t before[4][32];
	uint8_t after[32];
	uint8_t d[32] = { 0x77 };
	uint32_t policy = 0;
	unsigned long cases = 0;
	unsigned long accepted = 0;
	unsigned long forged = 0;

	ASSERT_TRUE(fix_open(&f));
	for (unsigned int p = 0; p < 4; p++) {
		ASSERT_EQ(pcr_read(&f, 1, 13 + p, before[p]), 0u);
	}
	storm_reset(&f, &policy);
	ASSERT_EQ(policy, 0x03000000u);
	for (unsigned int ci = 0; ci < sizeof(ccs) / sizeof(ccs[0]); ci++) {
		storm_command(&c, ccs[ci], policy);
		for (size_t len = 0; len < c.n; len++) {
			m = c;
			m.n = len;
			if (len >= 6) {
				cb_end(&m);
			}
			if (run_raw(&f, m.b, len) == 0) {
				accepted++;
				storm_reset(&f, &policy);
			}
			cases++;
		}
		for (unsigned int k = 0; k < 6000; k++) {
			m = c;
			if (k & 1) {
				m.b[10 + rnd() % (m.n - 10)] ^= (uint8_t)(1u << (rnd() % 8));
			} else {
				m.b[10 + rnd() % (m.n - 10)] = (uint8_t)rnd();
				m.b[10 + rnd() % (m.n - 10)] = (uint8_t)rnd();
			}
			if (k % 3 == 0) {
				m.n = 10 + rnd() % (m.n - 9);
				cb_end(&m);
			}
			if (run_raw(&f, m.b, m.n) == 0) {
				accepted++;
				if (ccs[ci] == TPM_CC_START_AUTH_SESSION ||
				    ccs[ci] == TPM_CC_FLUSH_CONTEXT) {
					storm_reset(&f, &policy);
				}
			}
			cases++;
		}
		for (unsigned int k = 0; k < 4000; k++) {
			size_t len = 10 + rnd() % 120;

			cb_start(&m, (rnd() & 1) ? TPM_ST_SESSIONS : TPM_ST_NO_SESSIONS, ccs[ci]);
			for (size_t i = 10; i < len; i++) {
				m.b[i] = (uint8_t)rnd();
			}
			if (len >= 14 && (k & 1)) {
				put_be32(m.b + 10, policy);
			}
			m.n = len;
			cb_end(&m);
			if (run_raw(&f, m.b, m.n) == 0) {
				accepted++;
				storm_reset(&f, &policy);
			}
			cases++;
		}
	}
	/* HMAC-authorized PCR_Extend: any single corruption of a valid command must fail. */
	storm_reset(&f, &policy);
	for (unsigned int k = 0; k < 20000; k++) {
		static struct sess s;
		uint8_t nonce[64];
		size_t at;
		uint8_t v;

		if (k % 500 == 0) {
			storm_reset(&f, &policy);
			flush(&f, policy);
			ASSERT_EQ(start_session(&f, &s, SE_HMAC, TPM_ALG_SHA256,
						(k & 1024) ? TPM_RH_NULL : TPM_RH_ENDORSEMENT),
				  0u);
		}
		build_hmac_extend(&m, &s, 13 + k % 4, d, TPMA_SESSION_CONTINUE, 0, 32, nonce);
		at = 10 + rnd() % (m.n - 10);
		v = (k & 1) ? (uint8_t)(m.b[at] ^ (1u << (rnd() % 8))) : (uint8_t)rnd();
		if (v == m.b[at]) {
			v ^= 0x01;
		}
		m.b[at] = v;
		if (run_raw(&f, m.b, m.n) == 0) {
			forged++;
		}
		cases++;
	}
	/* An encrypted, HMAC-checked Hash: no corruption of ciphertext, nonce, attributes or
	 * HMAC may be accepted. */
	storm_reset(&f, &policy);
	flush(&f, policy);
	{
		static struct sess e;
		struct use u = { 0 };
		uint8_t params[80];

		ASSERT_EQ(start_session_sym(&f, &e, SE_HMAC, TPM_ALG_SHA256, TPM_RH_ENDORSEMENT,
					    128),
			  0u);
		u.s = &e;
		u.attrs = TPMA_SESSION_CONTINUE | TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT;
		memset(params, 0x3C, sizeof(params));
		params[0] = 0;
		params[1] = 64;
		params[66] = 0;
		params[67] = (uint8_t)TPM_ALG_SHA256;
		put_be32(params + 68, TPM_RH_NULL);
		for (unsigned int k = 0; k < 10000; k++) {
			size_t at;
			uint8_t v;

			build_cmd(&m, TPM_CC_HASH, NULL, 0, &u, 1, params, 72);
			at = 10 + rnd() % (m.n - 10);
			v = (k & 1) ? (uint8_t)(m.b[at] ^ (1u << (rnd() % 8))) : (uint8_t)rnd();
			if (v == m.b[at]) {
				v ^= 0x80;
			}
			m.b[at] = v;
			if (run_raw(&f, m.b, m.n) == 0) {
				forged++;
			}
			cases++;
		}
		/* The session is intact: the uncorrupted command still works. */
		build_cmd(&m, TPM_CC_HASH, NULL, 0, &u, 1, params, 72);
		EXPECT_EQ(run_raw(&f, m.b, m.n), 0u);
	}
	ktest_print("  session storm: %lu cases, %lu accepted, %lu forged, %d malformed\n", cases,
		    accepted, forged, f.malformed);
	EXPECT_GE(cases, 100000ul);
	EXPECT_EQ(forged, 0ul);
	EXPECT_EQ(f.malformed, 0);
	for (unsigned int p = 0; p < 4; p++) {
		ASSERT_EQ(pcr_read(&f, 1, 13 + p, after), 0u);
		EXPECT_MEMEQ(after, before[p], 32);
	}
}
