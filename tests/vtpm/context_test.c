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

#define SE_HMAC 0u
#define SE_POLICY 1u
#define SE_TRIAL 3u

/* ---- fixture (as in vtpm_test.c) -------------------------------------------------------- */

struct fake_platform {
	uint64_t entropy_counter;
	uint64_t now_ms;
};

static int fake_entropy(void *ctx, uint8_t *out, size_t len)
{
	struct fake_platform *p = ctx;

	for (size_t i = 0; i < len; i++) {
		p->entropy_counter = p->entropy_counter * 6364136223846793005ull + 1442695040888963407ull;
		out[i] = (uint8_t)(p->entropy_counter >> 56);
	}
	return 0;
}

static uint64_t fake_clock(void *ctx)
{
	return ((struct fake_platform *)ctx)->now_ms;
}

struct fix {
	struct vtpm *t;
	struct fake_platform plat;
	uint8_t rsp[VTPM_MAX_RESPONSE_SIZE];
	size_t rsp_len;
	int malformed;
};

static uint8_t vtpm_mem[64 * 1024] __attribute__((aligned(16)));

struct cb {
	uint8_t b[8192];
	size_t n;
};

static void cb_u8(struct cb *c, uint8_t v)
{
	c->b[c->n++] = v;
}

static void cb_u16(struct cb *c, uint16_t v)
{
	cb_u8(c, (uint8_t)(v >> 8));
	cb_u8(c, (uint8_t)v);
}

static void cb_u32(struct cb *c, uint32_t v)
{
	cb_u16(c, (uint16_t)(v >> 16));
	cb_u16(c, (uint16_t)v);
}

static void cb_bytes(struct cb *c, const void *p, size_t n)
{
	if (n != 0) {
		memcpy(c->b + c->n, p, n);
		c->n += n;
	}
}

static void cb_tpm2b(struct cb *c, const void *p, uint16_t n)
{
	cb_u16(c, n);
	cb_bytes(c, p, n);
}

static void cb_start(struct cb *c, uint16_t tag, uint32_t cc)
{
	c->n = 0;
	cb_u16(c, tag);
	cb_u32(c, 0);
	cb_u32(c, cc);
}

static void cb_end(struct cb *c)
{
	c->b[2] = (uint8_t)(c->n >> 24);
	c->b[3] = (uint8_t)(c->n >> 16);
	c->b[4] = (uint8_t)(c->n >> 8);
	c->b[5] = (uint8_t)c->n;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t run_raw(struct fix *f, const uint8_t *cmd, size_t len)
{
	uint32_t rc = vtpm_execute(f->t, 0, cmd, len, f->rsp, sizeof(f->rsp), &f->rsp_len);

	if (f->rsp_len < 10 || get32(f->rsp + 2) != f->rsp_len || get32(f->rsp + 6) != rc) {
		f->malformed++;
		return rc;
	}
	if (rc != TPM_RC_SUCCESS) {
		if (f->rsp_len != 10 || get16(f->rsp) != TPM_ST_NO_SESSIONS) {
			if (!(rc == TPM_RC_BAD_TAG && get16(f->rsp) == TPM_ST_RSP_COMMAND)) {
				f->malformed++;
			}
		}
	} else if (len < 2 || get16(f->rsp) != get16(cmd)) {
		f->malformed++;
	}
	return rc;
}

static uint32_t run(struct fix *f, struct cb *c)
{
	cb_end(c);
	return run_raw(f, c->b, c->n);
}

static bool fix_open(struct fix *f)
{
	struct vtpm_platform p = { fake_entropy, fake_clock, &f->plat };
	struct cb c;

	memset(f, 0, sizeof(*f));
	f->plat.entropy_counter = 7;
	f->t = (struct vtpm *)vtpm_mem;
	if (vtpm_size() > sizeof(vtpm_mem) || vtpm_init(f->t, &p) != 0 ||
	    vtpm_manufacture(f->t) != 0) {
		return false;
	}
	vtpm_power_on(f->t);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_STARTUP);
	cb_u16(&c, TPM_SU_CLEAR);
	return run(f, &c) == TPM_RC_SUCCESS;
}

/* ---- OpenSSL oracle --------------------------------------------------------------------- */

static const char *const bank_names[4] = { "SHA1", "SHA256", "SHA384", "SHA512" };
static const uint16_t bank_algs[4] = { TPM_ALG_SHA1, TPM_ALG_SHA256, TPM_ALG_SHA384,
				       TPM_ALG_SHA512 };
static const unsigned int bank_sizes[4] = { 20, 32, 48, 64 };

static unsigned int bank_of(uint16_t alg)
{
	for (unsigned int b = 0; b < 4; b++) {
		if (bank_algs[b] == alg) {
			return b;
		}
	}
	return 1;
}

/* H(a || b || c) */
static void ossl_hash3(unsigned int bank, const void *a, size_t al, const void *b, size_t bl,
		       const void *c, size_t cl, uint8_t *out)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned int n;

	EVP_DigestInit_ex(m, EVP_get_digestbyname(bank_names[bank]), NULL);
	EVP_DigestUpdate(m, a, al);
	if (bl != 0) {
		EVP_DigestUpdate(m, b, bl);
	}
	if (cl != 0) {
		EVP_DigestUpdate(m, c, cl);
	}
	EVP_DigestFinal_ex(m, out, &n);
	EVP_MD_CTX_free(m);
}

/* HMAC(key, m1 || m2 || m3 || attr) */
static void ossl_hmac(unsigned int bank, const uint8_t *key, size_t kl, const uint8_t *m1,
		      size_t l1, const uint8_t *m2, size_t l2, const uint8_t *m3, size_t l3,
		      uint8_t attr, uint8_t *out)
{
	uint8_t msg[512];
	unsigned int n;
	size_t len = 0;

	memcpy(msg + len, m1, l1);
	len += l1;
	memcpy(msg + len, m2, l2);
	len += l2;
	memcpy(msg + len, m3, l3);
	len += l3;
	msg[len++] = attr;
	HMAC(EVP_get_digestbyname(bank_names[bank]), kl ? key : (const uint8_t *)"", (int)kl, msg,
	     len, out, &n);
}

/* KDFa with one output block (bits == digest bits): HMAC(key, [1] || label || 0 || u || v ||
 * [bits]) (Part 1 §11.4.10.2). */
static void ossl_kdfa1(unsigned int bank, const char *label, const uint8_t *u, size_t ul,
		       const uint8_t *v, size_t vl, uint8_t *out)
{
	uint8_t msg[256];
	size_t len = 0;
	uint32_t bits = bank_sizes[bank] * 8;
	unsigned int n;

	msg[len++] = 0;
	msg[len++] = 0;
	msg[len++] = 0;
	msg[len++] = 1;
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
	HMAC(EVP_get_digestbyname(bank_names[bank]), "", 0, msg, len, out, &n);
}

/* ---- sessions as the caller tracks them ------------------------------------------------- */

struct sess {
	uint32_t handle;
	unsigned int bank;
	uint8_t nonce_tpm[64];
	uint8_t key[64];
	size_t key_len;
	uint8_t counter; /* varies nonceCaller */
	uint16_t key_bits; /* AES-CFB key bits, 0 for symmetric TPM_ALG_NULL */
};

static uint32_t start_session_ex(struct fix *f, uint32_t tpm_key, uint32_t bind,
				 const uint8_t *nonce, uint16_t nonce_len, uint16_t salt_len,
				 uint8_t type, const uint16_t *sym, unsigned int sym_words,
				 uint16_t hash)
{
	struct cb c;
	uint8_t salt[600] = { 0 };

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_START_AUTH_SESSION);
	cb_u32(&c, tpm_key);
	cb_u32(&c, bind);
	cb_tpm2b(&c, nonce, nonce_len);
	cb_tpm2b(&c, salt, salt_len);
	cb_u8(&c, type);
	for (unsigned int i = 0; i < sym_words; i++) {
		cb_u16(&c, sym[i]);
	}
	cb_u16(&c, hash);
	return run(f, &c);
}

static const uint16_t sym_null[1] = { TPM_ALG_NULL };

/* Starts a session; fills s (nonceTPM, key for a bound session). key_bits: AES-CFB. */
static uint32_t start_session_sym(struct fix *f, struct sess *s, uint8_t type, uint16_t hash,
				  uint32_t bind, uint16_t key_bits)
{
	const uint16_t aes[3] = { TPM_ALG_AES, key_bits, TPM_ALG_CFB };
	uint8_t nonce[64];
	unsigned int bank = bank_of(hash);
	uint16_t ds = (uint16_t)bank_sizes[bank];
	uint32_t rc;

	memset(s, 0, sizeof(*s));
	for (unsigned int i = 0; i < 64; i++) {
		nonce[i] = (uint8_t)(0xA0 + i);
	}
	rc = start_session_ex(f, TPM_RH_NULL, bind, nonce, ds, 0, type,
			      key_bits != 0 ? aes : sym_null, key_bits != 0 ? 3 : 1, hash);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (f->rsp_len != 10u + 4 + 2 + ds || get16(f->rsp + 14) != ds) {
		return 0xFFFFFFFFu;
	}
	s->handle = get32(f->rsp + 10);
	s->bank = bank;
	s->key_bits = key_bits;
	memcpy(s->nonce_tpm, f->rsp + 16, ds);
	if (bind != TPM_RH_NULL) {
		ossl_kdfa1(bank, "ATH", s->nonce_tpm, ds, nonce, ds, s->key);
		s->key_len = ds;
	}
	return TPM_RC_SUCCESS;
}

static uint32_t start_session(struct fix *f, struct sess *s, uint8_t type, uint16_t hash,
			      uint32_t bind)
{
	return start_session_sym(f, s, type, hash, bind, 0);
}

/*
 * PCR_Extend(pcr, SHA-256 digest) authorized by HMAC session s. corrupt: 0 = correct HMAC,
 * 1 = flip a bit of the HMAC, 2 = use a stale nonceTPM. nonce_len: nonceCaller size. On
 * success the response HMAC is checked (*rsp_ok) and s's nonceTPM rolled.
 */
static void build_hmac_extend(struct cb *c, struct sess *s, uint32_t pcr, const uint8_t *dig,
			      uint8_t attrs, int corrupt, uint16_t nonce_len, uint8_t *nonce_out)
{
	unsigned int ds = bank_sizes[s->bank];
	uint8_t params[64];
	size_t pl = 0;
	uint8_t cc_names[8];
	uint8_t cp[64];
	uint8_t mac[64];
	uint8_t nonce[64];
	uint8_t older[64];

	s->counter++;
	for (unsigned int i = 0; i < 64; i++) {
		nonce[i] = (uint8_t)(s->counter * 7 + i);
	}
	memcpy(nonce_out, nonce, 64);
	/* parameters: TPML_DIGEST_VALUES with one SHA-256 digest */
	params[pl++] = 0;
	params[pl++] = 0;
	params[pl++] = 0;
	params[pl++] = 1;
	params[pl++] = 0;
	params[pl++] = (uint8_t)TPM_ALG_SHA256;
	memcpy(params + pl, dig, 32);
	pl += 32;
	cc_names[0] = 0;
	cc_names[1] = 0;
	cc_names[2] = (uint8_t)(TPM_CC_PCR_EXTEND >> 8);
	cc_names[3] = (uint8_t)TPM_CC_PCR_EXTEND;
	cc_names[4] = (uint8_t)(pcr >> 24);
	cc_names[5] = (uint8_t)(pcr >> 16);
	cc_names[6] = (uint8_t)(pcr >> 8);
	cc_names[7] = (uint8_t)pcr;
	ossl_hash3(s->bank, cc_names, 8, params, pl, NULL, 0, cp);
	memcpy(older, s->nonce_tpm, ds);
	if (corrupt == 2) {
		older[0] ^= 1;
	}
	ossl_hmac(s->bank, s->key, s->key_len, cp, ds, nonce, nonce_len, older, ds, attrs, mac);
	if (corrupt == 1) {
		mac[ds - 1] ^= 0x10;
	}
	cb_start(c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u32(c, pcr);
	cb_u32(c, (uint32_t)(4 + 2 + nonce_len + 1 + 2 + ds));
	cb_u32(c, s->handle);
	cb_tpm2b(c, nonce, nonce_len);
	cb_u8(c, attrs);
	cb_tpm2b(c, mac, (uint16_t)ds);
	cb_bytes(c, params, pl);
	cb_end(c);
}

static uint32_t hmac_extend(struct fix *f, struct sess *s, uint32_t pcr, const uint8_t *dig,
			    uint8_t attrs, int corrupt, bool *rsp_ok)
{
	unsigned int ds = bank_sizes[s->bank];
	uint16_t nonce_len = (uint16_t)ds;
	struct cb c;
	uint8_t nonce[64];
	uint8_t rp[64];
	uint8_t mac[64];
	uint8_t hdr[8] = { 0, 0, 0, 0, 0, 0, (uint8_t)(TPM_CC_PCR_EXTEND >> 8),
			   (uint8_t)TPM_CC_PCR_EXTEND };
	uint32_t rc;
	const uint8_t *r;

	*rsp_ok = false;
	build_hmac_extend(&c, s, pcr, dig, attrs, corrupt, nonce_len, nonce);
	rc = run_raw(f, c.b, c.n);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	/* header | parameterSize = 0 | nonceTPM | attributes | hmac */
	r = f->rsp + 10;
	if (f->rsp_len != 10u + 4 + 2 + ds + 1 + 2 + ds || get32(r) != 0 || get16(r + 4) != ds ||
	    r[6 + ds] != attrs || get16(r + 7 + ds) != ds) {
		return rc;
	}
	ossl_hash3(s->bank, hdr, 8, NULL, 0, NULL, 0, rp);
	ossl_hmac(s->bank, s->key, s->key_len, rp, ds, r + 6, ds, nonce, nonce_len, attrs, mac);
	*rsp_ok = memcmp(mac, r + 9 + ds, ds) == 0 && memcmp(s->nonce_tpm, r + 6, ds) != 0;
	memcpy(s->nonce_tpm, r + 6, ds);
	return rc;
}

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
