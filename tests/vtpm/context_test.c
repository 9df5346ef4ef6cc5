/*
 * Host tests of session context management (vtpm/cmd_context.c: TPM2_ContextSave and
 * TPM2_ContextLoad, Part 1 §30, Part 3 §28), built into build/host/vtpm_tests.
 *
 * OpenSSL is the oracle for what a reloaded session must still do: its policy digest
 * (PolicyCommandCode before the save, PolicyCommandCode after the load) and its HMAC
 * arithmetic (an HMAC-authorized PCR_Extend with the nonceTPM from before the save, response
 * HMAC checked). The blob itself is keyed by a per-boot secret the test cannot know, so it is
 * checked structurally and by tampering: every single-bit change of the TPMS_CONTEXT fails
 * (TPM_RC_INTEGRITY + P1, or the unmarshalling code of a changed selector), a replay and a
 * stale copy fail with TPM_RC_HANDLE + P1, and a context storm accepts nothing but the one
 * valid blob.
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

/* ---- context helpers -------------------------------------------------------------------- */

/* TPMS_CONTEXT as saved: sequence(8) savedHandle(4) hierarchy(4) contextBlob(TPM2B). */
struct saved {
	uint8_t b[1100];
	size_t n;
};

static uint32_t ctx_save(struct fix *f, uint32_t h, struct saved *out)
{
	struct cb c;
	uint32_t rc;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_CONTEXT_SAVE);
	cb_u32(&c, h);
	rc = run(f, &c);
	if (rc == TPM_RC_SUCCESS && out != NULL) {
		out->n = f->rsp_len - 10;
		memcpy(out->b, f->rsp + 10, out->n);
	}
	return rc;
}

static uint32_t ctx_load(struct fix *f, const uint8_t *ctx, size_t n)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_CONTEXT_LOAD);
	cb_bytes(&c, ctx, n);
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

static uint32_t get_digest(struct fix *f, uint32_t h)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_POLICY_GET_DIGEST);
	cb_u32(&c, h);
	return run(f, &c);
}

static uint32_t flush(struct fix *f, uint32_t h)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_FLUSH_CONTEXT);
	cb_u32(&c, h);
	return run(f, &c);
}

/* GetCapability(TPM_CAP_HANDLES, first, 8): the number of handles; the first in *h0. */
static uint32_t handles(struct fix *f, uint32_t first, uint32_t *h0)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_CAPABILITY);
	cb_u32(&c, TPM_CAP_HANDLES);
	cb_u32(&c, first);
	cb_u32(&c, 8);
	if (run(f, &c) != TPM_RC_SUCCESS) {
		return 0xFFFFFFFFu;
	}
	*h0 = get32(f->rsp + 10 + 1 + 4 + 4);
	return get32(f->rsp + 10 + 1 + 4);
}

/* GetCapability(TPM_PROPERTIES, pt, 1) value. */
static uint32_t prop(struct fix *f, uint32_t pt)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_CAPABILITY);
	cb_u32(&c, TPM_CAP_TPM_PROPERTIES);
	cb_u32(&c, pt);
	cb_u32(&c, 1);
	if (run(f, &c) != TPM_RC_SUCCESS) {
		return 0xFFFFFFFFu;
	}
	return get32(f->rsp + 10 + 1 + 4 + 4 + 4);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- tests ------------------------------------------------------------------------------ */

KTEST(context, policy_session_survives_save_and_load)
{
	static struct fix f;
	static struct saved s;
	struct sess p;
	uint8_t want[64] = { 0 };
	uint8_t arg[8];
	uint32_t h0;

	ASSERT_TRUE(fix_open(&f));
	for (unsigned int b = 0; b < 4; b++) {
		unsigned int ds = bank_sizes[b];

		ASSERT_EQ(start_session(&f, &p, 1, bank_algs[b], TPM_RH_NULL), TPM_RC_SUCCESS);
		ASSERT_EQ(policy_cc(&f, p.handle, TPM_CC_PCR_EXTEND), TPM_RC_SUCCESS);
		ASSERT_EQ(ctx_save(&f, p.handle, &s), TPM_RC_SUCCESS);
		/* TPMS_CONTEXT: sequence b (one save per round), the handle, TPM_RH_NULL, a blob
		 * of integrity (TPM2B, 32 octets) || encrypted state. */
		EXPECT_EQ(get32(s.b), 0u);
		EXPECT_EQ(get32(s.b + 4), b);
		EXPECT_EQ(get32(s.b + 8), p.handle);
		EXPECT_EQ(get32(s.b + 12), TPM_RH_NULL);
		EXPECT_EQ(get16(s.b + 16), s.n - 18);
		EXPECT_EQ(get16(s.b + 18), 32);
		/* Saved: not loaded (policy commands see no session), listed in the 0x03 range,
		 * not in the 0x02 one; HR_LOADED 0, HR_ACTIVE 1. */
		EXPECT_EQ(get_digest(&f, p.handle), TPM_RC_REFERENCE_H0);
		EXPECT_EQ(handles(&f, 0x03000000u, &h0), 1u);
		EXPECT_EQ(h0, p.handle);
		EXPECT_EQ(handles(&f, 0x02000000u, &h0), 0u);
		EXPECT_EQ(prop(&f, 0x200 + 3), 0u);
		EXPECT_EQ(prop(&f, 0x200 + 5), 1u);
		EXPECT_EQ(prop(&f, 0x200 + 4), 2u);
		/* Load: the same handle, the policy digest carried over and extendable. */
		ASSERT_EQ(ctx_load(&f, s.b, s.n), TPM_RC_SUCCESS);
		EXPECT_EQ(get32(f.rsp + 10), p.handle);
		EXPECT_EQ(handles(&f, 0x03000000u, &h0), 0u);
		ASSERT_EQ(policy_cc(&f, p.handle, TPM_CC_PCR_EXTEND), TPM_RC_SUCCESS);
		ASSERT_EQ(get_digest(&f, p.handle), TPM_RC_SUCCESS);
		memset(want, 0, sizeof(want));
		for (unsigned int k = 0; k < 2; k++) {
			put32(arg, TPM_CC_POLICY_COMMAND_CODE);
			put32(arg + 4, TPM_CC_PCR_EXTEND);
			ossl_hash3(b, want, ds, arg, 8, NULL, 0, want);
		}
		EXPECT_EQ(get16(f.rsp + 10), ds);
		EXPECT_MEMEQ(f.rsp + 12, want, ds);
		/* Replay of the loaded blob: refused, the loaded session untouched. */
		EXPECT_EQ(ctx_load(&f, s.b, s.n), rc_param(TPM_RC_HANDLE, 1));
		ASSERT_EQ(get_digest(&f, p.handle), TPM_RC_SUCCESS);
		EXPECT_MEMEQ(f.rsp + 12, want, ds);
		ASSERT_EQ(flush(&f, p.handle), TPM_RC_SUCCESS);
	}
	EXPECT_EQ(f.malformed, 0);
}

KTEST(context, hmac_session_nonces_survive_save_and_load)
{
	static struct fix f;
	static struct saved s;
	struct sess h;
	uint8_t dig[32] = { 9 };
	bool ok = false;

	ASSERT_TRUE(fix_open(&f));
	/* A bound session (sessionKey non-empty) with AES-CFB: both survive the blob. */
	ASSERT_EQ(start_session_sym(&f, &h, 0, TPM_ALG_SHA384, 16, 128), TPM_RC_SUCCESS);
	ASSERT_EQ(hmac_extend(&f, &h, 16, dig, 1, 0, &ok), TPM_RC_SUCCESS);
	EXPECT_TRUE(ok);
	ASSERT_EQ(ctx_save(&f, h.handle, &s), TPM_RC_SUCCESS);
	/* A saved session cannot authorize. */
	EXPECT_EQ(hmac_extend(&f, &h, 16, dig, 1, 0, &ok), TPM_RC_REFERENCE_S0);
	ASSERT_EQ(ctx_load(&f, s.b, s.n), TPM_RC_SUCCESS);
	/* The nonceTPM from before the save still keys the HMAC; a stale one does not. */
	EXPECT_EQ(hmac_extend(&f, &h, 16, dig, 1, 2, &ok), rc_session(TPM_RC_AUTH_FAIL, 1));
	ASSERT_EQ(hmac_extend(&f, &h, 16, dig, 1, 0, &ok), TPM_RC_SUCCESS);
	EXPECT_TRUE(ok);
	/* Save, load, save again: the first blob is now stale. */
	{
		static struct saved s2;

		ASSERT_EQ(ctx_save(&f, h.handle, &s2), TPM_RC_SUCCESS);
		EXPECT_EQ(get32(s2.b + 4), get32(s.b + 4) + 1);
		EXPECT_EQ(ctx_load(&f, s.b, s.n), rc_param(TPM_RC_HANDLE, 1));
		ASSERT_EQ(ctx_load(&f, s2.b, s2.n), TPM_RC_SUCCESS);
	}
	ASSERT_EQ(hmac_extend(&f, &h, 16, dig, 1, 0, &ok), TPM_RC_SUCCESS);
	EXPECT_TRUE(ok);
	EXPECT_EQ(f.malformed, 0);
}

KTEST(context, every_bit_flip_is_refused)
{
	static struct fix f;
	static struct saved s;
	static struct saved m;
	struct sess p;
	unsigned int integrity = 0, other = 0;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(start_session(&f, &p, 1, TPM_ALG_SHA256, TPM_RH_NULL), TPM_RC_SUCCESS);
	ASSERT_EQ(ctx_save(&f, p.handle, &s), TPM_RC_SUCCESS);
	for (size_t i = 0; i < s.n; i++) {
		for (unsigned int bit = 0; bit < 8; bit++) {
			uint32_t rc;

			m = s;
			m.b[i] ^= (uint8_t)(1u << bit);
			rc = ctx_load(&f, m.b, m.n);
			if (rc == rc_param(TPM_RC_INTEGRITY, 1)) {
				integrity++;
			} else if (rc != TPM_RC_SUCCESS) {
				other++;
			} else {
				ktest_report_failure(__FILE__, __LINE__,
						     "a tampered context loaded (byte %zu bit %u)", i, bit);
			}
		}
	}
	ktest_print("  %u integrity failures, %u other refusals of %zu bit flips\n", integrity,
		    other, s.n * 8);
	EXPECT_GT(integrity, (unsigned int)(s.n * 8 * 9 / 10));
	/* Specific fields: handle type, hierarchy, sizes. */
	m = s;
	put32(m.b + 8, 0x01000000u);
	EXPECT_EQ(ctx_load(&f, m.b, m.n), rc_param(TPM_RC_VALUE, 1));
	m = s;
	put32(m.b + 8, 0x03000001u); /* another session slot: the HMAC covers the handle */
	EXPECT_EQ(ctx_load(&f, m.b, m.n), rc_param(TPM_RC_INTEGRITY, 1));
	m = s;
	put32(m.b + 12, TPM_RH_OWNER);
	EXPECT_EQ(ctx_load(&f, m.b, m.n), rc_param(TPM_RC_INTEGRITY, 1));
	m = s;
	put32(m.b + 12, TPM_RH_LOCKOUT);
	EXPECT_EQ(ctx_load(&f, m.b, m.n), rc_param(TPM_RC_VALUE, 1));
	m = s;
	m.b[16] = 0x04;
	m.b[17] = 0x01; /* 1025 */
	EXPECT_EQ(ctx_load(&f, m.b, m.n), rc_param(TPM_RC_SIZE, 1));
	EXPECT_EQ(ctx_load(&f, s.b, s.n - 1), rc_param(TPM_RC_INSUFFICIENT, 1));
	m = s;
	m.b[m.n] = 0;
	EXPECT_EQ(ctx_load(&f, m.b, m.n + 1), TPM_RC_SIZE);
	/* A shorter blob (size field consistent) fails integrity. */
	m = s;
	m.b[17] = (uint8_t)(m.b[17] - 1);
	EXPECT_EQ(ctx_load(&f, m.b, m.n - 1), rc_param(TPM_RC_INTEGRITY, 1));
	/* None of that changed the saved session. */
	ASSERT_EQ(ctx_load(&f, s.b, s.n), TPM_RC_SUCCESS);
	EXPECT_EQ(f.malformed, 0);
}

KTEST(context, slots_flush_errors_and_power_cycle)
{
	static struct fix f;
	static struct saved s;
	struct sess a, b, c2, d;
	struct cb c;
	uint32_t h0;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(start_session(&f, &a, 0, TPM_ALG_SHA256, TPM_RH_NULL), TPM_RC_SUCCESS);
	ASSERT_EQ(start_session(&f, &b, 1, TPM_ALG_SHA256, TPM_RH_NULL), TPM_RC_SUCCESS);
	ASSERT_EQ(ctx_save(&f, a.handle, &s), TPM_RC_SUCCESS);
	/* A saved session keeps its slot: one more session fits, then none. */
	ASSERT_EQ(start_session(&f, &c2, 0, TPM_ALG_SHA256, TPM_RH_NULL), TPM_RC_SUCCESS);
	EXPECT_NE(c2.handle, a.handle);
	EXPECT_EQ(start_session(&f, &d, 0, TPM_ALG_SHA256, TPM_RH_NULL), TPM_RC_SESSION_MEMORY);
	EXPECT_EQ(prop(&f, 0x200 + 4), 0u); /* HR_LOADED_AVAIL */
	EXPECT_EQ(prop(&f, 0x200 + 3), 2u); /* HR_LOADED */
	/* ContextSave: a saved session is not loaded; a PCR is no context; a sequence object's
	 * context is not implemented. */
	EXPECT_EQ(ctx_save(&f, a.handle, NULL), TPM_RC_REFERENCE_H0);
	EXPECT_EQ(ctx_save(&f, c2.handle ^ 0x01000000u, NULL), TPM_RC_REFERENCE_H0);
	EXPECT_EQ(ctx_save(&f, 5, NULL), rc_handle(TPM_RC_VALUE, 1));
	EXPECT_EQ(ctx_save(&f, TPM_RH_OWNER, NULL), rc_handle(TPM_RC_VALUE, 1));
	EXPECT_EQ(flush(&f, c2.handle), TPM_RC_SUCCESS);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_HASH_SEQUENCE_START);
	cb_u16(&c, 0);
	cb_u16(&c, TPM_ALG_SHA256);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	EXPECT_EQ(ctx_save(&f, 0x80000000u, NULL), rc_handle(TPM_RC_TYPE, 1));
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_CONTEXT_SAVE);
	cb_u32(&c, b.handle);
	cb_u8(&c, 0);
	EXPECT_EQ(run(&f, &c), TPM_RC_SIZE);
	/* FlushContext of a saved session frees it; its blob then has nowhere to go. */
	EXPECT_EQ(flush(&f, a.handle), TPM_RC_SUCCESS);
	EXPECT_EQ(handles(&f, 0x03000000u, &h0), 0u);
	EXPECT_EQ(ctx_load(&f, s.b, s.n), rc_param(TPM_RC_HANDLE, 1));
	/* A power cycle: the context key changes, old blobs fail their integrity check. */
	ASSERT_EQ(ctx_save(&f, b.handle, &s), TPM_RC_SUCCESS);
	vtpm_power_on(f.t);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_STARTUP);
	cb_u16(&c, TPM_SU_CLEAR);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	EXPECT_EQ(handles(&f, 0x03000000u, &h0), 0u);
	EXPECT_EQ(ctx_load(&f, s.b, s.n), rc_param(TPM_RC_INTEGRITY, 1));
	EXPECT_EQ(f.malformed, 0);
}

static uint64_t rng_state = 0x6A09E667F3BCC909ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* Random corruptions (1-4 bytes, truncations, extensions) of a valid ContextLoad: nothing
 * but the untouched command may load, every response is well formed. */
KTEST(context, malformed_context_storm)
{
	static struct fix f;
	static struct saved s;
	static struct saved m;
	struct sess p;
	unsigned long cases = 0, accepted = 0;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(start_session(&f, &p, 1, TPM_ALG_SHA512, TPM_RH_NULL), TPM_RC_SUCCESS);
	ASSERT_EQ(ctx_save(&f, p.handle, &s), TPM_RC_SUCCESS);
	for (unsigned int k = 0; k < 30000; k++) {
		unsigned int n = 1 + rnd() % 4;

		m = s;
		switch (rnd() % 3) {
		case 0:
			for (unsigned int i = 0; i < n; i++) {
				m.b[rnd() % m.n] ^= (uint8_t)(1 + rnd() % 255);
			}
			break;
		case 1:
			m.n = rnd() % m.n;
			break;
		default:
			for (unsigned int i = 0; i < n; i++) {
				m.b[m.n++] = (uint8_t)rnd();
			}
			break;
		}
		if (ctx_load(&f, m.b, m.n) == TPM_RC_SUCCESS) {
			accepted++;
		}
		cases++;
	}
	ktest_print("  context storm: %lu cases, %lu accepted, %d malformed\n", cases, accepted,
		    f.malformed);
	EXPECT_EQ(accepted, 0ul);
	EXPECT_EQ(f.malformed, 0);
	ASSERT_EQ(ctx_load(&f, s.b, s.n), TPM_RC_SUCCESS);
}
