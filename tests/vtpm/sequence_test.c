/*
 * Host tests of the vTPM hash and event sequences (vtpm/cmd_sequence.c, object.[ch] and the
 * sequence-object paths of engine.c, cmd_session.c and cmd_capability.c), built into
 * build/host/vtpm_tests.
 *
 * OpenSSL is the oracle: sequence digests over data fed in many pieces (more than
 * TPM2B_MAX_BUFFER in all), event-sequence digests and the PCR values they extend, and the
 * command/response HMACs of an HMAC session that authorizes a sequence by its authValue
 * (Part 1 §19.6; the sequence's Name is the Empty Buffer, as tpm2-tss computes it). A sequence storm corrupts valid
 * sequence commands against live sequence objects and checks every response is well formed
 * and no PCR changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tests/ktest/ktest.h"
#include "vtpm/rc.h"
#include "vtpm/tpm2.h"
#include "vtpm/vtpm.h"

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

static uint8_t vtpm_mem[160 * 1024] __attribute__((aligned(16)));

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

/* n password sessions, all with the same password. */
static void cb_pws(struct cb *c, unsigned int n, const void *pw, uint16_t len)
{
	cb_u32(c, n * (9u + len));
	for (unsigned int i = 0; i < n; i++) {
		cb_u32(c, TPM_RS_PW);
		cb_u16(c, 0);
		cb_u8(c, 1);
		cb_tpm2b(c, pw, len);
	}
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
	f->plat.entropy_counter = 11;
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

static void ossl_hash2(unsigned int bank, const void *a, size_t al, const void *b, size_t bl,
		       uint8_t *out)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned int n;

	EVP_DigestInit_ex(m, EVP_get_digestbyname(bank_names[bank]), NULL);
	EVP_DigestUpdate(m, a, al);
	EVP_DigestUpdate(m, b, bl);
	EVP_DigestFinal_ex(m, out, &n);
	EVP_MD_CTX_free(m);
}

/* ---- sequence commands ------------------------------------------------------------------ */

static uint32_t seq_start(struct fix *f, uint16_t alg, const void *auth, uint16_t len,
			  uint32_t *handle)
{
	struct cb c;
	uint32_t rc;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_HASH_SEQUENCE_START);
	cb_tpm2b(&c, auth, len);
	cb_u16(&c, alg);
	rc = run(f, &c);
	if (rc == TPM_RC_SUCCESS) {
		*handle = get32(f->rsp + 10);
	}
	return rc;
}

static uint32_t seq_update(struct fix *f, uint32_t h, const void *pw, uint16_t pl,
			   const void *data, uint16_t len)
{
	struct cb c;

	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_SEQUENCE_UPDATE);
	cb_u32(&c, h);
	cb_pws(&c, 1, pw, pl);
	cb_tpm2b(&c, data, len);
	return run(f, &c);
}

static uint32_t seq_complete(struct fix *f, uint32_t h, const void *pw, uint16_t pl,
			     const void *data, uint16_t len, uint32_t hierarchy)
{
	struct cb c;

	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_SEQUENCE_COMPLETE);
	cb_u32(&c, h);
	cb_pws(&c, 1, pw, pl);
	cb_tpm2b(&c, data, len);
	cb_u32(&c, hierarchy);
	return run(f, &c);
}

static uint32_t event_complete(struct fix *f, uint32_t pcr, uint32_t h, const void *data,
			       uint16_t len)
{
	struct cb c;

	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_EVENT_SEQUENCE_COMPLETE);
	cb_u32(&c, pcr);
	cb_u32(&c, h);
	cb_pws(&c, 2, NULL, 0);
	cb_tpm2b(&c, data, len);
	return run(f, &c);
}

static uint32_t flush(struct fix *f, uint32_t h)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_FLUSH_CONTEXT);
	cb_u32(&c, h);
	return run(f, &c);
}

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
	if (rc == TPM_RC_SUCCESS) {
		/* counter(4) sel(4+2+1+3) count(4) size(2) digest */
		memcpy(out, f->rsp + 10 + 4 + 10 + 4 + 2, bank_sizes[bank]);
	}
	return rc;
}

static uint32_t get_cap(struct fix *f, uint32_t cap, uint32_t prop, uint32_t count)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_CAPABILITY);
	cb_u32(&c, cap);
	cb_u32(&c, prop);
	cb_u32(&c, count);
	return run(f, &c);
}

/* TPM_PT_HR_TRANSIENT_AVAIL */
static uint32_t transient_avail(struct fix *f)
{
	if (get_cap(f, TPM_CAP_TPM_PROPERTIES, PT_VAR + 7, 1) != TPM_RC_SUCCESS) {
		return 0xFFFFFFFFu;
	}
	/* moreData | capability | count | property | value */
	return get32(f->rsp + 10 + 1 + 4 + 4 + 4);
}

static uint8_t big[5000];

static void fill_big(void)
{
	for (size_t i = 0; i < sizeof(big); i++) {
		big[i] = (uint8_t)(i * 7 + (i >> 8));
	}
}

/* ---- tests ------------------------------------------------------------------------------ */

KTEST(sequence, hash_sequence_matches_openssl)
{
	static struct fix f;
	static const uint16_t pieces[] = { 1024, 1000, 0, 7, 1, 1024, 600 };
	static const char pw[] = "seq-pw";

	fill_big();
	ASSERT_TRUE(fix_open(&f));
	for (unsigned int b = 0; b < 4; b++) {
		uint8_t want[64];
		uint8_t empty_want[64];
		size_t off = 0;
		uint32_t h;

		ASSERT_EQ(seq_start(&f, bank_algs[b], pw, 6, &h), TPM_RC_SUCCESS);
		EXPECT_EQ(h >> 24, 0x80u);
		for (unsigned int i = 0; i < sizeof(pieces) / sizeof(pieces[0]) - 1; i++) {
			ASSERT_EQ(seq_update(&f, h, pw, 6, big + off, pieces[i]), TPM_RC_SUCCESS);
			off += pieces[i];
		}
		ASSERT_EQ(seq_complete(&f, h, pw, 6, big + off, 600, TPM_RH_NULL), TPM_RC_SUCCESS);
		off += 600;
		ossl_hash2(b, big, off, "", 0, want);
		/* parameterSize | TPM2B_DIGEST | TPMT_TK_HASHCHECK (NULL ticket) */
		EXPECT_EQ(get16(f.rsp + 14), bank_sizes[b]);
		EXPECT_MEMEQ(f.rsp + 16, want, bank_sizes[b]);
		EXPECT_EQ(get16(f.rsp + 16 + bank_sizes[b]), TPM_ST_HASHCHECK);
		EXPECT_EQ(get32(f.rsp + 18 + bank_sizes[b]), TPM_RH_NULL);
		EXPECT_EQ(get16(f.rsp + 22 + bank_sizes[b]), 0);
		/* Complete flushed the sequence. */
		EXPECT_EQ(seq_update(&f, h, pw, 6, big, 1), TPM_RC_REFERENCE_H0);
		/* The empty sequence hashes the empty string. */
		ASSERT_EQ(seq_start(&f, bank_algs[b], NULL, 0, &h), TPM_RC_SUCCESS);
		ASSERT_EQ(seq_complete(&f, h, NULL, 0, NULL, 0, TPM_RH_NULL), TPM_RC_SUCCESS);
		ossl_hash2(b, "", 0, "", 0, empty_want);
		EXPECT_MEMEQ(f.rsp + 16, empty_want, bank_sizes[b]);
	}
	EXPECT_EQ(f.malformed, 0);
}

KTEST(sequence, tickets_match_tpm2_hash)
{
	static struct fix f;
	struct cb c;
	uint8_t hash_rsp[256];
	size_t hash_len;
	uint32_t h;
	uint8_t gen[40] = { 0xFF, 'T', 'C', 'G', 1, 2, 3 };

	ASSERT_TRUE(fix_open(&f));
	/* TPM2_Hash of 300 bytes in the owner hierarchy ... */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_HASH);
	cb_tpm2b(&c, big, 300);
	cb_u16(&c, TPM_ALG_SHA256);
	cb_u32(&c, TPM_RH_OWNER);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	hash_len = f.rsp_len - 10;
	memcpy(hash_rsp, f.rsp + 10, hash_len);
	EXPECT_EQ(get32(hash_rsp + 34 + 2), TPM_RH_OWNER);
	/* ... and the same 300 bytes through a sequence: the same digest and ticket. */
	ASSERT_EQ(seq_start(&f, TPM_ALG_SHA256, NULL, 0, &h), TPM_RC_SUCCESS);
	ASSERT_EQ(seq_update(&f, h, NULL, 0, big, 100), TPM_RC_SUCCESS);
	ASSERT_EQ(seq_complete(&f, h, NULL, 0, big + 100, 200, TPM_RH_OWNER), TPM_RC_SUCCESS);
	ASSERT_EQ(f.rsp_len, 10 + 4 + hash_len + 5);
	EXPECT_MEMEQ(f.rsp + 14, hash_rsp, hash_len);
	/* Data starting with TPM_GENERATED_VALUE, even split over updates: NULL ticket. */
	ASSERT_EQ(seq_start(&f, TPM_ALG_SHA256, NULL, 0, &h), TPM_RC_SUCCESS);
	ASSERT_EQ(seq_update(&f, h, NULL, 0, gen, 1), TPM_RC_SUCCESS);
	ASSERT_EQ(seq_update(&f, h, NULL, 0, gen + 1, 2), TPM_RC_SUCCESS);
	ASSERT_EQ(seq_complete(&f, h, NULL, 0, gen + 3, 37, TPM_RH_OWNER), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 16 + 32 + 2), TPM_RH_NULL);
	EXPECT_EQ(get16(f.rsp + 16 + 32 + 6), 0);
	/* Without the marker the owner ticket is real. */
	gen[0] = 0xFE;
	ASSERT_EQ(seq_start(&f, TPM_ALG_SHA256, NULL, 0, &h), TPM_RC_SUCCESS);
	ASSERT_EQ(seq_complete(&f, h, NULL, 0, gen, 40, TPM_RH_ENDORSEMENT), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 16 + 32 + 2), TPM_RH_ENDORSEMENT);
	EXPECT_EQ(get16(f.rsp + 16 + 32 + 6), 32);
	EXPECT_EQ(f.malformed, 0);
}

KTEST(sequence, event_sequence_extends_every_bank)
{
	static struct fix f;
	uint8_t old[4][64], want[4][64], got[64], pcr_want[64];
	static uint8_t rsp[VTPM_MAX_RESPONSE_SIZE];
	uint32_t h;
	size_t off;

	fill_big();
	ASSERT_TRUE(fix_open(&f));
	for (unsigned int b = 0; b < 4; b++) {
		ASSERT_EQ(pcr_read(&f, b, 16, old[b]), TPM_RC_SUCCESS);
		ossl_hash2(b, big, 3000, "", 0, want[b]);
	}
	ASSERT_EQ(seq_start(&f, TPM_ALG_NULL, "e", 1, &h), TPM_RC_SUCCESS);
	ASSERT_EQ(seq_update(&f, h, "e", 1, big, 1024), TPM_RC_SUCCESS);
	ASSERT_EQ(seq_update(&f, h, "e\0", 2, big + 1024, 1024), TPM_RC_SUCCESS);
	/* The event sequence cannot be completed as a hash sequence. */
	EXPECT_EQ(seq_complete(&f, h, "e", 1, NULL, 0, TPM_RH_NULL),
		  rc_handle(TPM_RC_MODE, 1));
	/* PCR auth (empty) and the sequence auth ("e"): wrong sequence password is session 2. */
	{
		struct cb c;

		cb_start(&c, TPM_ST_SESSIONS, TPM_CC_EVENT_SEQUENCE_COMPLETE);
		cb_u32(&c, 16);
		cb_u32(&c, h);
		cb_pws(&c, 2, NULL, 0);
		cb_tpm2b(&c, big + 2048, 952);
		EXPECT_EQ(run(&f, &c), rc_session(TPM_RC_AUTH_FAIL, 2));
		cb_start(&c, TPM_ST_SESSIONS, TPM_CC_EVENT_SEQUENCE_COMPLETE);
		cb_u32(&c, 16);
		cb_u32(&c, h);
		cb_u32(&c, 9 + 9 + 1);
		cb_u32(&c, TPM_RS_PW);
		cb_u16(&c, 0);
		cb_u8(&c, 1);
		cb_u16(&c, 0);
		cb_u32(&c, TPM_RS_PW);
		cb_u16(&c, 0);
		cb_u8(&c, 1);
		cb_tpm2b(&c, "e", 1);
		cb_tpm2b(&c, big + 2048, 952);
		ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	}
	/* parameterSize | TPML_DIGEST_VALUES: count 4, each alg || digest */
	memcpy(rsp, f.rsp, f.rsp_len);
	EXPECT_EQ(get32(rsp + 14), 4u);
	off = 18;
	for (unsigned int b = 0; b < 4; b++) {
		EXPECT_EQ(get16(rsp + off), bank_algs[b]);
		EXPECT_MEMEQ(rsp + off + 2, want[b], bank_sizes[b]);
		off += 2 + bank_sizes[b];
		ASSERT_EQ(pcr_read(&f, b, 16, got), TPM_RC_SUCCESS);
		ossl_hash2(b, old[b], bank_sizes[b], want[b], bank_sizes[b], pcr_want);
		EXPECT_MEMEQ(got, pcr_want, bank_sizes[b]);
	}
	EXPECT_EQ(transient_avail(&f), 3u);
	/* TPM_RH_NULL: digests returned, no PCR changes; a hash sequence is refused. */
	ASSERT_EQ(seq_start(&f, TPM_ALG_SHA1, NULL, 0, &h), TPM_RC_SUCCESS);
	EXPECT_EQ(event_complete(&f, TPM_RH_NULL, h, big, 10), rc_handle(TPM_RC_MODE, 2));
	ASSERT_EQ(flush(&f, h), TPM_RC_SUCCESS);
	ASSERT_EQ(seq_start(&f, TPM_ALG_NULL, NULL, 0, &h), TPM_RC_SUCCESS);
	ASSERT_EQ(event_complete(&f, TPM_RH_NULL, h, big, 10), TPM_RC_SUCCESS);
	ossl_hash2(2, big, 10, "", 0, want[2]);
	EXPECT_MEMEQ(f.rsp + 18 + 22 + 34 + 2, want[2], 48);
	ASSERT_EQ(pcr_read(&f, 1, 16, got), TPM_RC_SUCCESS);
	ossl_hash2(1, old[1], 32, want[1], 32, pcr_want);
	ossl_hash2(1, big, 3000, "", 0, want[1]);
	ossl_hash2(1, old[1], 32, want[1], 32, pcr_want);
	EXPECT_MEMEQ(got, pcr_want, 32);
	/* Locality: PCR 17 needs locality 2..4. */
	ASSERT_EQ(seq_start(&f, TPM_ALG_NULL, NULL, 0, &h), TPM_RC_SUCCESS);
	EXPECT_EQ(event_complete(&f, 17, h, NULL, 0), TPM_RC_LOCALITY);
	EXPECT_EQ(event_complete(&f, 24, h, NULL, 0), rc_handle(TPM_RC_VALUE, 1));
	EXPECT_EQ(f.malformed, 0);
}

KTEST(sequence, slots_flush_and_capability)
{
	static struct fix f;
	uint32_t h[3];
	uint32_t extra;

	ASSERT_TRUE(fix_open(&f));
	EXPECT_EQ(transient_avail(&f), 3u);
	for (unsigned int i = 0; i < 3; i++) {
		ASSERT_EQ(seq_start(&f, TPM_ALG_SHA256, NULL, 0, &h[i]), TPM_RC_SUCCESS);
	}
	EXPECT_EQ(h[0], 0x80000000u);
	EXPECT_EQ(h[1], 0x80000001u);
	EXPECT_EQ(h[2], 0x80000002u);
	EXPECT_EQ(seq_start(&f, TPM_ALG_NULL, NULL, 0, &extra), TPM_RC_OBJECT_MEMORY);
	EXPECT_EQ(transient_avail(&f), 0u);
	/* TPM_CAP_HANDLES, transient range: all three, then paging. */
	ASSERT_EQ(get_cap(&f, TPM_CAP_HANDLES, 0x80000000u, 100), TPM_RC_SUCCESS);
	EXPECT_EQ(f.rsp[10], TPM_NO);
	EXPECT_EQ(get32(f.rsp + 15), 3u);
	EXPECT_EQ(get32(f.rsp + 19), h[0]);
	EXPECT_EQ(get32(f.rsp + 27), h[2]);
	ASSERT_EQ(get_cap(&f, TPM_CAP_HANDLES, 0x80000001u, 1), TPM_RC_SUCCESS);
	EXPECT_EQ(f.rsp[10], TPM_YES);
	EXPECT_EQ(get32(f.rsp + 15), 1u);
	EXPECT_EQ(get32(f.rsp + 19), h[1]);
	/* FlushContext frees a slot; flushing again is TPM_RC_HANDLE. */
	EXPECT_EQ(flush(&f, h[1]), TPM_RC_SUCCESS);
	EXPECT_EQ(flush(&f, h[1]), rc_param(TPM_RC_HANDLE, 1));
	EXPECT_EQ(flush(&f, 0x80000003u), rc_param(TPM_RC_HANDLE, 1));
	EXPECT_EQ(transient_avail(&f), 1u);
	EXPECT_EQ(seq_update(&f, h[1], NULL, 0, "x", 1), TPM_RC_REFERENCE_H0);
	ASSERT_EQ(seq_start(&f, TPM_ALG_NULL, NULL, 0, &extra), TPM_RC_SUCCESS);
	EXPECT_EQ(extra, h[1]);
	/* A power cycle drops every sequence. */
	vtpm_power_on(f.t);
	{
		struct cb c;

		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_STARTUP);
		cb_u16(&c, TPM_SU_CLEAR);
		ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	}
	EXPECT_EQ(transient_avail(&f), 3u);
	ASSERT_EQ(get_cap(&f, TPM_CAP_HANDLES, 0x80000000u, 100), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 15), 0u);
	EXPECT_EQ(f.malformed, 0);
}

KTEST(sequence, parameter_and_auth_errors)
{
	static struct fix f;
	uint8_t a[70];
	struct cb c;
	uint32_t h;

	for (unsigned int i = 0; i < sizeof(a); i++) {
		a[i] = (uint8_t)(i + 1);
	}
	ASSERT_TRUE(fix_open(&f));
	EXPECT_EQ(seq_start(&f, TPM_ALG_AES, NULL, 0, &h), rc_param(TPM_RC_HASH, 2));
	EXPECT_EQ(seq_start(&f, TPM_ALG_SHA256, a, 65, &h), rc_param(TPM_RC_SIZE, 1));
	ASSERT_EQ(seq_start(&f, TPM_ALG_SHA256, a, 64, &h), TPM_RC_SUCCESS);
	/* Wrong and empty passwords; the right one with trailing zeros. */
	EXPECT_EQ(seq_update(&f, h, NULL, 0, "x", 1), rc_session(TPM_RC_AUTH_FAIL, 1));
	EXPECT_EQ(seq_update(&f, h, a, 63, "x", 1), rc_session(TPM_RC_AUTH_FAIL, 1));
	EXPECT_EQ(seq_update(&f, h, a, 64, big, 1025), rc_param(TPM_RC_SIZE, 1));
	EXPECT_EQ(seq_update(&f, h, a, 64, "x", 1), TPM_RC_SUCCESS);
	EXPECT_EQ(seq_complete(&f, h, a, 64, "x", 1, TPM_RH_LOCKOUT), rc_param(TPM_RC_VALUE, 2));
	EXPECT_EQ(seq_complete(&f, h, a, 64, "x", 1, 0x40000099u), rc_param(TPM_RC_VALUE, 2));
	/* No authorization at all. */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_SEQUENCE_UPDATE);
	cb_u32(&c, h);
	cb_tpm2b(&c, "x", 1);
	EXPECT_EQ(run(&f, &c), TPM_RC_AUTH_MISSING);
	/* Handle types: a persistent handle, a PCR, a session handle. */
	EXPECT_EQ(seq_update(&f, 0x81000000u, NULL, 0, "x", 1), rc_handle(TPM_RC_HANDLE, 1));
	EXPECT_EQ(seq_update(&f, 3, NULL, 0, "x", 1), rc_handle(TPM_RC_VALUE, 1));
	EXPECT_EQ(seq_update(&f, 0x02000000u, NULL, 0, "x", 1), rc_handle(TPM_RC_VALUE, 1));
	/* Trailing bytes. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_SEQUENCE_UPDATE);
	cb_u32(&c, h);
	cb_pws(&c, 1, a, 64);
	cb_tpm2b(&c, "x", 1);
	cb_u8(&c, 0);
	EXPECT_EQ(run(&f, &c), TPM_RC_SIZE);
	/* A loaded sequence object cannot salt or bind a session. */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_START_AUTH_SESSION);
	cb_u32(&c, h);
	cb_u32(&c, TPM_RH_NULL);
	cb_tpm2b(&c, a, 16);
	cb_u16(&c, 0);
	cb_u8(&c, 0);
	cb_u16(&c, TPM_ALG_NULL);
	cb_u16(&c, TPM_ALG_SHA256);
	EXPECT_EQ(run(&f, &c), rc_handle(TPM_RC_HANDLE, 1));
	/* After every error the sequence still completes with the right digest. */
	ASSERT_EQ(seq_complete(&f, h, a, 64, "y", 1, TPM_RH_NULL), TPM_RC_SUCCESS);
	{
		uint8_t want[32];

		ossl_hash2(1, "x", 1, "y", 1, want);
		EXPECT_MEMEQ(f.rsp + 16, want, 32);
	}
	EXPECT_EQ(f.malformed, 0);
}

/* An unbound, unsalted HMAC session authorizes SequenceUpdate and SequenceComplete with the
 * sequence's authValue; the sequence's Name in cpHash is the Empty Buffer. The response HMAC of
 * SequenceComplete uses the authValue of the (now flushed) sequence. */
KTEST(sequence, hmac_session_authorizes_sequence)
{
	static struct fix f;
	static const uint8_t auth[] = { 's', 'e', 'q' };
	uint8_t nonce_caller[32];
	uint8_t nonce_tpm[32];
	uint8_t cp[32], mac[32], rp[32], want[32];
	uint32_t sh, h;
	struct cb c;

	ASSERT_TRUE(fix_open(&f));
	memset(nonce_caller, 0x5A, sizeof(nonce_caller));
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_START_AUTH_SESSION);
	cb_u32(&c, TPM_RH_NULL);
	cb_u32(&c, TPM_RH_NULL);
	cb_tpm2b(&c, nonce_caller, 32);
	cb_u16(&c, 0);
	cb_u8(&c, 0);
	cb_u16(&c, TPM_ALG_NULL);
	cb_u16(&c, TPM_ALG_SHA256);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	sh = get32(f.rsp + 10);
	ASSERT_EQ(get16(f.rsp + 14), 32);
	memcpy(nonce_tpm, f.rsp + 16, 32);
	ASSERT_EQ(seq_start(&f, TPM_ALG_SHA256, auth, 3, &h), TPM_RC_SUCCESS);

	for (unsigned int step = 0; step < 2; step++) {
		uint32_t cc = step == 0 ? TPM_CC_SEQUENCE_UPDATE : TPM_CC_SEQUENCE_COMPLETE;
		uint8_t params[64];
		size_t pl = 0;
		uint8_t hdr[4];
		uint8_t msg[128];
		size_t ml = 0;
		size_t po;
		unsigned int n;

		nonce_caller[0] = (uint8_t)(step + 1);
		params[pl++] = 0;
		params[pl++] = 3;
		memcpy(params + pl, step == 0 ? "abc" : "def", 3);
		pl += 3;
		if (step == 1) {
			params[pl++] = 0x40;
			params[pl++] = 0;
			params[pl++] = 0;
			params[pl++] = 7; /* TPM_RH_NULL */
		}
		/* cpHash = H(cc || Name(sequence) || params), the Name being the Empty Buffer */
		hdr[0] = (uint8_t)(cc >> 24);
		hdr[1] = (uint8_t)(cc >> 16);
		hdr[2] = (uint8_t)(cc >> 8);
		hdr[3] = (uint8_t)cc;
		memcpy(msg, hdr, 4);
		memcpy(msg + 4, params, pl);
		ossl_hash2(1, msg, 4 + pl, "", 0, cp);
		ml = 0;
		memcpy(msg + ml, cp, 32);
		ml += 32;
		memcpy(msg + ml, nonce_caller, 32);
		ml += 32;
		memcpy(msg + ml, nonce_tpm, 32);
		ml += 32;
		msg[ml++] = 1;
		HMAC(EVP_sha256(), auth, 3, msg, ml, mac, &n);

		cb_start(&c, TPM_ST_SESSIONS, cc);
		cb_u32(&c, h);
		cb_u32(&c, 4 + 2 + 32 + 1 + 2 + 32);
		cb_u32(&c, sh);
		cb_tpm2b(&c, nonce_caller, 32);
		cb_u8(&c, 1);
		cb_tpm2b(&c, mac, 32);
		cb_bytes(&c, params, pl);
		ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
		/* Response: parameterSize, parameters, nonceTPM, attributes, hmac. */
		pl = get32(f.rsp + 10);
		po = 14 + pl;
		ASSERT_EQ(get16(f.rsp + po), 32);
		memcpy(nonce_tpm, f.rsp + po + 2, 32);
		memset(msg, 0, 4);
		msg[4] = (uint8_t)(cc >> 24);
		msg[5] = (uint8_t)(cc >> 16);
		msg[6] = (uint8_t)(cc >> 8);
		msg[7] = (uint8_t)cc;
		memcpy(msg + 8, f.rsp + 14, pl);
		ossl_hash2(1, msg, 8 + pl, "", 0, rp);
		ml = 0;
		memcpy(msg + ml, rp, 32);
		ml += 32;
		memcpy(msg + ml, nonce_tpm, 32);
		ml += 32;
		memcpy(msg + ml, nonce_caller, 32);
		ml += 32;
		msg[ml++] = 1;
		HMAC(EVP_sha256(), auth, 3, msg, ml, mac, &n);
		EXPECT_EQ(f.rsp[po + 34], 1);
		EXPECT_EQ(get16(f.rsp + po + 35), 32);
		EXPECT_MEMEQ(f.rsp + po + 37, mac, 32);
	}
	ossl_hash2(1, "abc", 3, "def", 3, want);
	EXPECT_MEMEQ(f.rsp + 16, want, 32);
	EXPECT_EQ(f.malformed, 0);
}

/* ---- storm -------------------------------------------------------------------------------- */

static uint64_t rng_state = 0x1F83D9ABFB41BD6Bull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* Loads sequences until the slots are full, alternating hash and event sequences. */
static void refill(struct fix *f)
{
	uint32_t h;
	unsigned int k = 0;

	while (seq_start(f, (k++ & 1) ? TPM_ALG_NULL : TPM_ALG_SHA384, NULL, 0, &h) ==
	       TPM_RC_SUCCESS) {
	}
}

static void storm_command(struct cb *c, unsigned int which)
{
	uint32_t h = 0x80000000u + rnd() % 3;

	switch (which) {
	case 0:
		cb_start(c, TPM_ST_NO_SESSIONS, TPM_CC_HASH_SEQUENCE_START);
		cb_tpm2b(c, big, 4);
		cb_u16(c, (rnd() & 1) ? TPM_ALG_NULL : TPM_ALG_SHA1);
		break;
	case 1:
		cb_start(c, TPM_ST_SESSIONS, TPM_CC_SEQUENCE_UPDATE);
		cb_u32(c, h);
		cb_pws(c, 1, NULL, 0);
		cb_tpm2b(c, big, (uint16_t)(rnd() % 1025));
		break;
	case 2:
		cb_start(c, TPM_ST_SESSIONS, TPM_CC_SEQUENCE_COMPLETE);
		cb_u32(c, h);
		cb_pws(c, 1, NULL, 0);
		cb_tpm2b(c, big, (uint16_t)(rnd() % 100));
		cb_u32(c, TPM_RH_OWNER);
		break;
	default:
		cb_start(c, TPM_ST_SESSIONS, TPM_CC_EVENT_SEQUENCE_COMPLETE);
		cb_u32(c, TPM_RH_NULL);
		cb_u32(c, h);
		cb_pws(c, 2, NULL, 0);
		cb_tpm2b(c, big, (uint16_t)(rnd() % 100));
		break;
	}
	cb_end(c);
}

KTEST(sequence, malformed_sequence_storm)
{
	static struct fix f;
	static struct cb c;
	static struct cb m;
	uint8_t before[4][64], after[64];
	unsigned long cases = 0;
	unsigned long successes = 0;

	fill_big();
	ASSERT_TRUE(fix_open(&f));
	for (unsigned int b = 0; b < 4; b++) {
		ASSERT_EQ(pcr_read(&f, b, 0, before[b]), TPM_RC_SUCCESS);
	}
	for (unsigned int k = 0; k < 40000; k++) {
		size_t from;

		if ((k & 3) == 0) {
			refill(&f);
		}
		storm_command(&c, k % 4);
		m = c;
		if (k % 3 == 0) { /* every third command valid: sequences churn */
			if (run_raw(&f, m.b, m.n) == TPM_RC_SUCCESS) {
				successes++;
			}
			cases++;
			continue;
		}
		from = 10 + (k % 4 == 0 ? 0 : k % 4 == 3 ? 8 : 4);
		switch (rnd() % 4) {
		case 0: /* truncated, commandSize adjusted */
			m.n = 10 + rnd() % (m.n - 10);
			cb_end(&m);
			break;
		case 1: /* a flipped bit */
			m.b[from + rnd() % (m.n - from)] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 2: /* a random byte anywhere past the header */
			m.b[10 + rnd() % (m.n - 10)] = (uint8_t)rnd();
			break;
		default: /* trailing garbage */
			m.b[m.n++] = (uint8_t)rnd();
			cb_end(&m);
			break;
		}
		if (run_raw(&f, m.b, m.n) == TPM_RC_SUCCESS) {
			successes++;
		}
		cases++;
	}
	ktest_print("  sequence storm: %lu cases, %lu accepted, %d malformed\n", cases, successes,
		    f.malformed);
	EXPECT_EQ(f.malformed, 0);
	EXPECT_GT(successes, 100ul);
	/* Event sequences go to TPM_RH_NULL; one random byte can turn it into PCR 7 (a
	 * legitimate extend) but never into PCR 0, which is unchanged in every bank. */
	for (unsigned int b = 0; b < 4; b++) {
		ASSERT_EQ(pcr_read(&f, b, 0, after), TPM_RC_SUCCESS);
		EXPECT_MEMEQ(after, before[b], bank_sizes[b]);
	}
}
