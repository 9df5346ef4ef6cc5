/*
 * Host tests of the vTPM engine (vtpm/), built with ASan/UBSan into build/host/vtpm_tests.
 *
 * Commands are assembled byte by byte with a tiny builder (struct cb) and responses are
 * checked byte for byte or field by field. OpenSSL (libcrypto) is the oracle for PCR
 * extend chains, PCR_Event digests and TPM2_Hash. The malformed-input storm runs more than
 * 100000 hostile commands (truncations at every length, oversized and random sizes, random
 * tags, random bodies for every command in the table) and checks that every response is
 * well formed and that no PCR changed.
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

/* ---- fixture ---------------------------------------------------------------------------- */

struct fake_platform {
	uint64_t entropy_counter;
	uint64_t now_ms;
	int fail_entropy;
};

static int fake_entropy(void *ctx, uint8_t *out, size_t len)
{
	struct fake_platform *p = ctx;

	if (p->fail_entropy) {
		return -1;
	}
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
	int malformed; /* responses that broke the header rules */
};

/* One TPM at a time: tests that stop early on an ASSERT leak nothing. */
static uint8_t vtpm_mem[160 * 1024] __attribute__((aligned(16)));

static bool fix_open(struct fix *f, bool startup)
{
	struct vtpm_platform p = { fake_entropy, fake_clock, &f->plat };

	memset(f, 0, sizeof(*f));
	f->plat.entropy_counter = 42;
	f->t = (struct vtpm *)vtpm_mem;
	if (vtpm_size() > sizeof(vtpm_mem) || vtpm_init(f->t, &p) != 0 || vtpm_manufacture(f->t) != 0) {
		return false;
	}
	vtpm_power_on(f->t);
	if (startup) {
		static const uint8_t su[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0 };
		size_t n;

		if (vtpm_execute(f->t, 0, su, sizeof(su), f->rsp, sizeof(f->rsp), &n) != 0) {
			return false;
		}
	}
	return true;
}

static void fix_close(struct fix *f)
{
	f->t = NULL;
}

/* ---- command builder -------------------------------------------------------------------- */

struct cb {
	uint8_t b[8192];
	size_t n;
	size_t auth_at; /* offset of authorizationSize, or 0 */
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
	if (n == 0) {
		return;
	}
	memcpy(c->b + c->n, p, n);
	c->n += n;
}

static void cb_tpm2b(struct cb *c, const void *p, uint16_t n)
{
	cb_u16(c, n);
	cb_bytes(c, p, n);
}

static void cb_start(struct cb *c, uint16_t tag, uint32_t cc)
{
	c->n = 0;
	c->auth_at = 0;
	cb_u16(c, tag);
	cb_u32(c, 0);
	cb_u32(c, cc);
}

/* One password session (TPM_RS_PW) with the given password and attributes. */
static void cb_pw(struct cb *c, const void *pw, uint16_t len, uint8_t attrs)
{
	cb_u32(c, 4 + 2 + 1 + 2 + len);
	cb_u32(c, TPM_RS_PW);
	cb_u16(c, 0);
	cb_u8(c, attrs);
	cb_tpm2b(c, pw, len);
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

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* Runs raw bytes; checks the response header rules every response must keep. */
static uint32_t run_raw(struct fix *f, uint8_t locality, const uint8_t *cmd, size_t len)
{
	uint32_t rc = vtpm_execute(f->t, locality, cmd, len, f->rsp, sizeof(f->rsp), &f->rsp_len);
	uint16_t tag;

	if (f->rsp_len < 10 || get32(f->rsp + 2) != f->rsp_len || get32(f->rsp + 6) != rc) {
		f->malformed++;
		return rc;
	}
	tag = get16(f->rsp);
	if (rc != TPM_RC_SUCCESS) {
		if (f->rsp_len != 10 || (tag != TPM_ST_NO_SESSIONS &&
					 !(tag == TPM_ST_RSP_COMMAND && rc == TPM_RC_BAD_TAG))) {
			f->malformed++;
		}
	} else if (len < 2 || tag != get16(cmd)) {
		f->malformed++;
	}
	return rc;
}

static uint32_t run(struct fix *f, struct cb *c)
{
	cb_end(c);
	return run_raw(f, 0, c->b, c->n);
}

static uint32_t run_loc(struct fix *f, struct cb *c, uint8_t locality)
{
	cb_end(c);
	return run_raw(f, locality, c->b, c->n);
}

/* ---- OpenSSL oracle --------------------------------------------------------------------- */

static const char *const bank_names[4] = { "SHA1", "SHA256", "SHA384", "SHA512" };
static const uint16_t bank_algs[4] = { TPM_ALG_SHA1, TPM_ALG_SHA256, TPM_ALG_SHA384,
				       TPM_ALG_SHA512 };
static const unsigned int bank_sizes[4] = { 20, 32, 48, 64 };

static void ossl_hash(unsigned int bank, const void *a, size_t alen, const void *b, size_t blen,
		      uint8_t *out)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned int n;

	EVP_DigestInit_ex(m, EVP_get_digestbyname(bank_names[bank]), NULL);
	EVP_DigestUpdate(m, a, alen);
	if (blen != 0) {
		EVP_DigestUpdate(m, b, blen);
	}
	EVP_DigestFinal_ex(m, out, &n);
	EVP_MD_CTX_free(m);
}

/* ---- command helpers -------------------------------------------------------------------- */

/* PCR_Read of one PCR in one bank; copies the digest out. Returns rc. */
static uint32_t pcr_read1(struct fix *f, unsigned int bank, unsigned int pcr, uint8_t *out)
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
		/* counter(4) selection(4+2+1+3) count(4) size(2) digest */
		if (get32(f->rsp + 10 + 4 + 10) != 1 ||
		    get16(f->rsp + 10 + 4 + 10 + 4) != bank_sizes[bank]) {
			return 0xFFFFFFFFu;
		}
		memcpy(out, f->rsp + 10 + 4 + 10 + 4 + 2, bank_sizes[bank]);
	}
	return rc;
}

static uint32_t pcr_extend(struct fix *f, uint8_t locality, uint32_t pcr, unsigned int mask,
			   const uint8_t *digest_seed)
{
	struct cb c;
	unsigned int n = 0;

	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u32(&c, pcr);
	cb_pw(&c, NULL, 0, TPMA_SESSION_CONTINUE);
	for (unsigned int b = 0; b < 4; b++) {
		n += (mask >> b) & 1u;
	}
	cb_u32(&c, n);
	for (unsigned int b = 0; b < 4; b++) {
		if ((mask >> b) & 1u) {
			cb_u16(&c, bank_algs[b]);
			cb_bytes(&c, digest_seed, bank_sizes[b]);
		}
	}
	return run_loc(f, &c, locality);
}

static uint32_t simple_u16(struct fix *f, uint32_t cc, uint16_t v)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, cc);
	cb_u16(&c, v);
	return run(f, &c);
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

/* ---- life cycle and header -------------------------------------------------------------- */

KTEST(vtpm, init_rejects_missing_hooks)
{
	struct vtpm_platform p = { fake_entropy, NULL, NULL };
	struct vtpm *t = aligned_alloc(16, vtpm_size());

	ASSERT_NOT_NULL(t);
	EXPECT_EQ(vtpm_init(t, &p), -1);
	p.clock_ms = fake_clock;
	p.entropy = NULL;
	EXPECT_EQ(vtpm_init(t, &p), -1);
	EXPECT_EQ(vtpm_init(t, NULL), -1);
	free(t);
}

KTEST(vtpm, manufacture_fails_without_entropy)
{
	struct fake_platform fp = { .fail_entropy = 1 };
	struct vtpm_platform p = { fake_entropy, fake_clock, &fp };
	struct vtpm *t = aligned_alloc(16, vtpm_size());
	static const uint8_t su[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0 };
	uint8_t rsp[64];
	size_t n;

	ASSERT_NOT_NULL(t);
	ASSERT_EQ(vtpm_init(t, &p), 0);
	EXPECT_EQ(vtpm_manufacture(t), -1);
	/* Not manufactured: failure mode, but still a well-formed answer. */
	EXPECT_EQ(vtpm_execute(t, 0, su, sizeof(su), rsp, sizeof(rsp), &n), TPM_RC_FAILURE);
	EXPECT_EQ(n, 10u);
	/* GetTestResult still answers, with testResult TPM_RC_FAILURE; so does GetCapability. */
	{
		static const uint8_t gtr[] = { 0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x01, 0x7C };
		static const uint8_t cap[] = { 0x80, 0x01, 0, 0, 0, 22, 0, 0, 0x01, 0x7A, 0, 0, 0,
					       6, 0, 0, 1, 0x29, 0, 0, 0, 1 };

		EXPECT_EQ(vtpm_execute(t, 0, gtr, sizeof(gtr), rsp, sizeof(rsp), &n), 0u);
		EXPECT_EQ(n, 16u);
		EXPECT_EQ(get32(rsp + 12), TPM_RC_FAILURE);
		EXPECT_EQ(vtpm_execute(t, 0, cap, sizeof(cap), rsp, sizeof(rsp), &n), 0u);
		EXPECT_EQ(n, 27u);
	}
	/* Entropy back: manufacture succeeds and the TPM leaves failure mode. */
	fp.fail_entropy = 0;
	EXPECT_EQ(vtpm_manufacture(t), 0);
	EXPECT_EQ(vtpm_execute(t, 0, su, sizeof(su), rsp, sizeof(rsp), &n), 0u);
	/* Entropy failing at the next power-on: failure mode again. */
	fp.fail_entropy = 1;
	vtpm_power_on(t);
	EXPECT_EQ(vtpm_execute(t, 0, su, sizeof(su), rsp, sizeof(rsp), &n), TPM_RC_FAILURE);
	free(t);
}

KTEST(vtpm, initialize_before_startup)
{
	struct fix f;
	struct cb c;
	static const uint8_t want[] = { 0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x01, 0x00 };

	ASSERT_TRUE(fix_open(&f, false));
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_RANDOM);
	cb_u16(&c, 8);
	EXPECT_EQ(run(&f, &c), TPM_RC_INITIALIZE);
	EXPECT_EQ(f.rsp_len, 10u);
	EXPECT_MEMEQ(f.rsp, want, 10);
	EXPECT_EQ(get_cap(&f, TPM_CAP_TPM_PROPERTIES, 0x129, 1), TPM_RC_INITIALIZE);
	/* Startup(CLEAR): exactly the 10-byte success response. */
	EXPECT_EQ(simple_u16(&f, TPM_CC_STARTUP, TPM_SU_CLEAR), TPM_RC_SUCCESS);
	EXPECT_EQ(f.rsp_len, 10u);
	/* A second Startup is TPM_RC_INITIALIZE (Linux relies on it). */
	EXPECT_EQ(simple_u16(&f, TPM_CC_STARTUP, TPM_SU_CLEAR), TPM_RC_INITIALIZE);
	EXPECT_EQ(simple_u16(&f, TPM_CC_STARTUP, TPM_SU_STATE), TPM_RC_INITIALIZE);
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

KTEST(vtpm, startup_parameter_errors)
{
	struct fix f;

	ASSERT_TRUE(fix_open(&f, false));
	EXPECT_EQ(simple_u16(&f, TPM_CC_STARTUP, 2), 0x1C4u);	       /* VALUE, parameter 1 */
	EXPECT_EQ(simple_u16(&f, TPM_CC_STARTUP, TPM_SU_STATE), 0x1C4u); /* nothing saved */
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

KTEST(vtpm, header_errors)
{
	struct fix f;
	struct cb c;
	static const uint8_t tpm12[] = { 0x00, 0xC1, 0, 0, 0, 10, 0, 0, 0, 0x99 };

	ASSERT_TRUE(fix_open(&f, true));
	/* TPM 1.2 tag: TPM_RC_BAD_TAG in the 1.2 response format. */
	EXPECT_EQ(run_raw(&f, 0, tpm12, sizeof(tpm12)), TPM_RC_BAD_TAG);
	EXPECT_EQ(get16(f.rsp), TPM_ST_RSP_COMMAND);
	/* commandSize disagreeing with the bytes given, in both directions. */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_RANDOM);
	cb_u16(&c, 8);
	cb_end(&c);
	EXPECT_EQ(run_raw(&f, 0, c.b, c.n - 1), TPM_RC_COMMAND_SIZE);
	c.b[5] = 11;
	EXPECT_EQ(run_raw(&f, 0, c.b, c.n), TPM_RC_COMMAND_SIZE);
	EXPECT_EQ(run_raw(&f, 0, c.b, 5), TPM_RC_COMMAND_SIZE);
	EXPECT_EQ(run_raw(&f, 0, c.b, 0), TPM_RC_COMMAND_SIZE);
	/* Larger than VTPM_MAX_COMMAND_SIZE. */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_RANDOM);
	memset(c.b + c.n, 0, VTPM_MAX_COMMAND_SIZE + 1 - c.n);
	c.n = VTPM_MAX_COMMAND_SIZE + 1;
	EXPECT_EQ(run(&f, &c), TPM_RC_COMMAND_SIZE);
	/* Unknown and vendor command codes. */
	cb_start(&c, TPM_ST_NO_SESSIONS, 0x0000019F);
	EXPECT_EQ(run(&f, &c), TPM_RC_COMMAND_CODE);
	cb_start(&c, TPM_ST_NO_SESSIONS, 0x20000000 | TPM_CC_GET_RANDOM);
	EXPECT_EQ(run(&f, &c), TPM_RC_COMMAND_CODE);
	/* Trailing bytes after the parameters. */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_RANDOM);
	cb_u16(&c, 8);
	cb_u8(&c, 0);
	EXPECT_EQ(run(&f, &c), TPM_RC_SIZE);
	/* Missing parameter: TPM_RC_INSUFFICIENT for parameter 1. */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_RANDOM);
	cb_u8(&c, 0);
	EXPECT_EQ(run(&f, &c), 0x1DAu);
	/* A response buffer smaller than the response. */
	{
		uint8_t small[12];
		size_t n;

		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_RANDOM);
		cb_u16(&c, 8);
		cb_end(&c);
		EXPECT_EQ(vtpm_execute(f.t, 0, c.b, c.n, small, sizeof(small), &n), TPM_RC_SIZE);
		EXPECT_EQ(n, 10u);
		EXPECT_EQ(vtpm_execute(f.t, 0, c.b, c.n, small, 9, &n), TPM_RC_FAILURE);
		EXPECT_EQ(n, 0u);
	}
	/* A handle area cut short: TPM_RC_INSUFFICIENT for handle 1. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u16(&c, 0);
	EXPECT_EQ(run(&f, &c), 0x19Au);
	/* TPM_ST_SESSIONS with no authorization area at all. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_GET_RANDOM);
	EXPECT_EQ(run(&f, &c), TPM_RC_AUTHSIZE);
	/* The response may overwrite the command in place (the SVSM uses one page for both). */
	{
		static uint8_t page[VTPM_MAX_RESPONSE_SIZE];
		size_t n;

		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_RANDOM);
		cb_u16(&c, 32);
		cb_end(&c);
		memcpy(page, c.b, c.n);
		EXPECT_EQ(vtpm_execute(f.t, 0, page, c.n, page, sizeof(page), &n), TPM_RC_SUCCESS);
		EXPECT_EQ(n, 44u);
		EXPECT_EQ(get16(page + 10), 32u);
	}
	/* Bad locality value. */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_RANDOM);
	cb_u16(&c, 8);
	EXPECT_EQ(run_loc(&f, &c, 5), TPM_RC_LOCALITY);
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

/* ---- random, tests, clock --------------------------------------------------------------- */

KTEST(vtpm, get_random)
{
	struct fix f;
	uint8_t first[16];

	ASSERT_TRUE(fix_open(&f, true));
	EXPECT_EQ(simple_u16(&f, TPM_CC_GET_RANDOM, 16), TPM_RC_SUCCESS);
	EXPECT_EQ(f.rsp_len, 28u);
	EXPECT_EQ(get16(f.rsp), TPM_ST_NO_SESSIONS);
	EXPECT_EQ(get16(f.rsp + 10), 16u);
	memcpy(first, f.rsp + 12, 16);
	EXPECT_EQ(simple_u16(&f, TPM_CC_GET_RANDOM, 16), TPM_RC_SUCCESS);
	EXPECT_FALSE(memcmp(first, f.rsp + 12, 16) == 0);
	/* Capped at the largest digest (64). */
	EXPECT_EQ(simple_u16(&f, TPM_CC_GET_RANDOM, 0xFFFF), TPM_RC_SUCCESS);
	EXPECT_EQ(get16(f.rsp + 10), 64u);
	EXPECT_EQ(f.rsp_len, 76u);
	EXPECT_EQ(simple_u16(&f, TPM_CC_GET_RANDOM, 0), TPM_RC_SUCCESS);
	EXPECT_EQ(f.rsp_len, 12u);
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

KTEST(vtpm, stir_random)
{
	struct fix f;
	struct cb c;
	uint8_t data[129] = { 1, 2, 3 };

	ASSERT_TRUE(fix_open(&f, true));
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_STIR_RANDOM);
	cb_tpm2b(&c, data, 128);
	EXPECT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	EXPECT_EQ(f.rsp_len, 10u);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_STIR_RANDOM);
	cb_tpm2b(&c, data, 129);
	EXPECT_EQ(run(&f, &c), 0x1D5u); /* SIZE, parameter 1 */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_STIR_RANDOM);
	cb_u16(&c, 5);
	cb_bytes(&c, data, 4);
	EXPECT_EQ(run(&f, &c), 0x1DAu); /* INSUFFICIENT, parameter 1 */
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

KTEST(vtpm, self_tests)
{
	struct fix f;
	struct cb c;
	static const uint8_t want_result[] = { 0x80, 0x01, 0, 0, 0, 16, 0, 0, 0, 0,
					       0, 0, 0, 0, 0, 0 };
	static const uint8_t want_incremental[] = { 0x80, 0x01, 0, 0, 0, 14, 0, 0, 0, 0,
						    0, 0, 0, 0 };

	ASSERT_TRUE(fix_open(&f, true));
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_SELF_TEST);
	cb_u8(&c, 1);
	EXPECT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	EXPECT_EQ(f.rsp_len, 10u);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_SELF_TEST);
	cb_u8(&c, 2);
	EXPECT_EQ(run(&f, &c), 0x1C4u);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_TEST_RESULT);
	EXPECT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	ASSERT_EQ(f.rsp_len, sizeof(want_result));
	EXPECT_MEMEQ(f.rsp, want_result, sizeof(want_result));
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_INCREMENTAL_SELF_TEST);
	cb_u32(&c, 2);
	cb_u16(&c, TPM_ALG_SHA256);
	cb_u16(&c, TPM_ALG_AES);
	EXPECT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	ASSERT_EQ(f.rsp_len, sizeof(want_incremental));
	EXPECT_MEMEQ(f.rsp, want_incremental, sizeof(want_incremental));
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_INCREMENTAL_SELF_TEST);
	cb_u32(&c, 65);
	EXPECT_EQ(run(&f, &c), 0x1D5u);
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

KTEST(vtpm, read_clock_and_counters)
{
	struct fix f;
	struct cb c;

	ASSERT_TRUE(fix_open(&f, false));
	f.plat.now_ms = 1234;
	EXPECT_EQ(simple_u16(&f, TPM_CC_STARTUP, TPM_SU_CLEAR), TPM_RC_SUCCESS);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_READ_CLOCK);
	EXPECT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	ASSERT_EQ(f.rsp_len, 10u + 8 + 8 + 4 + 4 + 1);
	EXPECT_EQ(get64(f.rsp + 10), 1234u);
	EXPECT_EQ(get64(f.rsp + 18), 1234u);
	EXPECT_EQ(get32(f.rsp + 26), 1u); /* resetCount */
	EXPECT_EQ(get32(f.rsp + 30), 0u); /* restartCount */
	EXPECT_EQ(f.rsp[34], 1u);
	/* Power cycle: time restarts, Clock continues; Shutdown(STATE) + Startup(CLEAR) is a
	 * TPM Restart. */
	EXPECT_EQ(simple_u16(&f, TPM_CC_SHUTDOWN, TPM_SU_STATE), TPM_RC_SUCCESS);
	vtpm_power_on(f.t);
	f.plat.now_ms = 10;
	EXPECT_EQ(simple_u16(&f, TPM_CC_STARTUP, TPM_SU_CLEAR), TPM_RC_SUCCESS);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_READ_CLOCK);
	EXPECT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	EXPECT_EQ(get64(f.rsp + 10), 10u);
	EXPECT_EQ(get64(f.rsp + 18), 1244u);
	EXPECT_EQ(get32(f.rsp + 26), 1u);
	EXPECT_EQ(get32(f.rsp + 30), 1u);
	/* Plain power cycle: TPM Reset. */
	vtpm_power_on(f.t);
	EXPECT_EQ(simple_u16(&f, TPM_CC_STARTUP, TPM_SU_CLEAR), TPM_RC_SUCCESS);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_READ_CLOCK);
	EXPECT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 26), 2u);
	EXPECT_EQ(get32(f.rsp + 30), 0u);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_READ_CLOCK);
	cb_u8(&c, 0);
	EXPECT_EQ(run(&f, &c), TPM_RC_SIZE);
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

/* ---- PCRs -------------------------------------------------------------------------------- */

KTEST(vtpm, pcr_extend_chain_matches_openssl)
{
	struct fix f;
	uint8_t expect[4][64];
	uint8_t got[64];
	uint8_t digest[64];

	ASSERT_TRUE(fix_open(&f, true));
	memset(expect, 0, sizeof(expect));
	for (unsigned int round = 0; round < 20; round++) {
		unsigned int mask = round == 0 ? 0xF : 1u + round % 15u;

		for (unsigned int i = 0; i < 64; i++) {
			digest[i] = (uint8_t)(round * 31 + i);
		}
		ASSERT_EQ(pcr_extend(&f, 0, 10, mask, digest), TPM_RC_SUCCESS);
		/* Password-session response: paramSize 0, empty nonce, continueSession, empty hmac. */
		{
			static const uint8_t want[] = { 0x80, 0x02, 0, 0, 0, 19, 0, 0, 0, 0,
							0, 0, 0, 0, 0, 0, 1, 0, 0 };
			ASSERT_EQ(f.rsp_len, sizeof(want));
			EXPECT_MEMEQ(f.rsp, want, sizeof(want));
		}
		for (unsigned int b = 0; b < 4; b++) {
			if ((mask >> b) & 1u) {
				ossl_hash(b, expect[b], bank_sizes[b], digest, bank_sizes[b],
					  expect[b]);
			}
		}
	}
	for (unsigned int b = 0; b < 4; b++) {
		ASSERT_EQ(pcr_read1(&f, b, 10, got), TPM_RC_SUCCESS);
		EXPECT_MEMEQ(got, expect[b], bank_sizes[b]);
	}
	/* TPM_RH_NULL: accepted, nothing changes. */
	EXPECT_EQ(pcr_extend(&f, 0, TPM_RH_NULL, 0xF, digest), TPM_RC_SUCCESS);
	ASSERT_EQ(pcr_read1(&f, 1, 10, got), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(got, expect[1], 32);
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

KTEST(vtpm, pcr_extend_known_value)
{
	struct fix f;
	uint8_t zero[64] = { 0 };
	uint8_t got[32];
	static const uint8_t want[32] = {
		0xf5, 0xa5, 0xfd, 0x42, 0xd1, 0x6a, 0x20, 0x30, 0x27, 0x98, 0xef,
		0x6e, 0xd3, 0x09, 0x97, 0x9b, 0x43, 0x00, 0x3d, 0x23, 0x20, 0xd9,
		0xf0, 0xe8, 0xea, 0x98, 0x31, 0xa9, 0x27, 0x59, 0xfb, 0x4b,
	};

	ASSERT_TRUE(fix_open(&f, true));
	ASSERT_EQ(pcr_extend(&f, 0, 7, 0x2, zero), TPM_RC_SUCCESS);
	ASSERT_EQ(pcr_read1(&f, 1, 7, got), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(got, want, 32);
	fix_close(&f);
}

KTEST(vtpm, pcr_auth_errors)
{
	struct fix f;
	struct cb c;
	uint8_t d[32] = { 0 };

	ASSERT_TRUE(fix_open(&f, true));
	/* No sessions for a command that needs authorization. */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u32(&c, 1);
	cb_u32(&c, 0);
	EXPECT_EQ(run(&f, &c), TPM_RC_AUTH_MISSING);
	/* Wrong password: AUTH_FAIL for session 1; trailing zeros are not significant. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u32(&c, 1);
	cb_pw(&c, "x", 1, 0);
	cb_u32(&c, 0);
	EXPECT_EQ(run(&f, &c), 0x98Eu);
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u32(&c, 1);
	cb_pw(&c, "\0\0", 2, 0);
	cb_u32(&c, 0);
	EXPECT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	EXPECT_EQ(f.rsp[16], 0u); /* continueSession echoed (clear) */
	/* HMAC session handle that is not loaded; a handle that is no session at all. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u32(&c, 1);
	cb_u32(&c, 9);
	cb_u32(&c, 0x02000000);
	cb_u16(&c, 0);
	cb_u8(&c, 1);
	cb_u16(&c, 0);
	cb_u32(&c, 0);
	EXPECT_EQ(run(&f, &c), TPM_RC_REFERENCE_S0);
	c.b[18] = 0x80;
	EXPECT_EQ(run_raw(&f, 0, c.b, c.n), 0x984u);
	/* Password session with audit / encrypt attributes, reserved bits. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u32(&c, 1);
	cb_pw(&c, NULL, 0, TPMA_SESSION_ENCRYPT);
	cb_u32(&c, 0);
	EXPECT_EQ(run(&f, &c), 0x982u);
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u32(&c, 1);
	cb_pw(&c, NULL, 0, 0x08);
	cb_u32(&c, 0);
	EXPECT_EQ(run(&f, &c), 0x9A1u);
	/* A second password session with nothing to authorize. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u32(&c, 1);
	cb_u32(&c, 18);
	for (int i = 0; i < 2; i++) {
		cb_u32(&c, TPM_RS_PW);
		cb_u16(&c, 0);
		cb_u8(&c, 0);
		cb_u16(&c, 0);
	}
	cb_u32(&c, 0);
	EXPECT_EQ(run(&f, &c), 0xA8Bu); /* HANDLE, session 2 */
	/* A password session on a command without authorization handles. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_GET_RANDOM);
	cb_pw(&c, NULL, 0, 0);
	cb_u16(&c, 4);
	EXPECT_EQ(run(&f, &c), 0x98Bu);
	/* authorizationSize: too small, larger than the command, not filled exactly. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u32(&c, 1);
	cb_u32(&c, 8);
	cb_u32(&c, TPM_RS_PW);
	cb_u32(&c, 0);
	EXPECT_EQ(run(&f, &c), TPM_RC_AUTHSIZE);
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u32(&c, 1);
	cb_u32(&c, 100);
	cb_u32(&c, TPM_RS_PW);
	cb_u16(&c, 0);
	cb_u8(&c, 0);
	cb_u16(&c, 0);
	EXPECT_EQ(run(&f, &c), TPM_RC_AUTHSIZE);
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u32(&c, 1);
	cb_u32(&c, 10);
	cb_u32(&c, TPM_RS_PW);
	cb_u16(&c, 0);
	cb_u8(&c, 0);
	cb_u16(&c, 0);
	cb_u8(&c, 0);
	cb_u32(&c, 0);
	EXPECT_EQ(run(&f, &c), TPM_RC_AUTHSIZE);
	/* Password longer than TPM2B_AUTH allows: SIZE for session 1. */
	{
		uint8_t pw[65] = { 0 };

		cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
		cb_u32(&c, 1);
		cb_pw(&c, pw, 65, 0);
		cb_u32(&c, 0);
		EXPECT_EQ(run(&f, &c), 0x995u);
	}
	/* Handle errors: PCR 24, TPM_RH_NULL for PCR_Reset. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u32(&c, 24);
	cb_pw(&c, NULL, 0, 0);
	cb_u32(&c, 0);
	EXPECT_EQ(run(&f, &c), 0x184u); /* VALUE, handle 1 */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_RESET);
	cb_u32(&c, TPM_RH_NULL);
	cb_pw(&c, NULL, 0, 0);
	EXPECT_EQ(run(&f, &c), 0x184u);
	/* Parameter errors: unknown hash, too many digests. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u32(&c, 1);
	cb_pw(&c, NULL, 0, 0);
	cb_u32(&c, 1);
	cb_u16(&c, 0x0012);
	cb_bytes(&c, d, 32);
	EXPECT_EQ(run(&f, &c), 0x1C3u); /* HASH, parameter 1 */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u32(&c, 1);
	cb_pw(&c, NULL, 0, 0);
	cb_u32(&c, 5);
	EXPECT_EQ(run(&f, &c), 0x1D5u);
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

KTEST(vtpm, pcr_locality_and_reset)
{
	struct fix f;
	struct cb c;
	uint8_t d[64] = { 7 };
	uint8_t got[64];
	uint8_t ones[64];

	memset(ones, 0xFF, sizeof(ones));
	ASSERT_TRUE(fix_open(&f, true));
	/* DRTM PCRs start as all ones and only localities 2-4 extend them. */
	ASSERT_EQ(pcr_read1(&f, 1, 17, got), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(got, ones, 32);
	EXPECT_EQ(pcr_extend(&f, 0, 17, 0xF, d), TPM_RC_LOCALITY);
	EXPECT_EQ(pcr_extend(&f, 2, 17, 0xF, d), TPM_RC_SUCCESS);
	/* PCR 0-15 never reset; 16 and 23 from any locality; 17-22 from locality 4. */
	for (uint32_t p = 0; p < 24; p++) {
		uint32_t want0 = (p == 16 || p == 23) ? TPM_RC_SUCCESS : TPM_RC_LOCALITY;
		uint32_t want4 = p >= 16 ? TPM_RC_SUCCESS : TPM_RC_LOCALITY;

		cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_RESET);
		cb_u32(&c, p);
		cb_pw(&c, NULL, 0, 0);
		EXPECT_EQ(run_loc(&f, &c, 0), want0);
		EXPECT_EQ(run_loc(&f, &c, 4), want4);
	}
	ASSERT_EQ(pcr_extend(&f, 0, 16, 0xF, d), TPM_RC_SUCCESS);
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_RESET);
	cb_u32(&c, 16);
	cb_pw(&c, NULL, 0, TPMA_SESSION_CONTINUE);
	EXPECT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	for (unsigned int b = 0; b < 4; b++) {
		ASSERT_EQ(pcr_read1(&f, b, 16, got), TPM_RC_SUCCESS);
		EXPECT_TRUE(memcmp(got, (uint8_t[64]){ 0 }, bank_sizes[b]) == 0);
	}
	/* Startup at locality 3 marks PCR 0 (H-CRTM). */
	vtpm_power_on(f.t);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_STARTUP);
	cb_u16(&c, TPM_SU_CLEAR);
	EXPECT_EQ(run_loc(&f, &c, 3), TPM_RC_SUCCESS);
	ASSERT_EQ(pcr_read1(&f, 1, 0, got), TPM_RC_SUCCESS);
	EXPECT_EQ(got[31], 3u);
	EXPECT_EQ(got[0], 0u);
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

KTEST(vtpm, pcr_event_matches_openssl)
{
	struct fix f;
	struct cb c;
	uint8_t data[1025];
	uint8_t expect[4][64];
	uint8_t digest[64];
	uint8_t got[64];
	size_t off;

	for (size_t i = 0; i < sizeof(data); i++) {
		data[i] = (uint8_t)(i * 7);
	}
	ASSERT_TRUE(fix_open(&f, true));
	memset(expect, 0, sizeof(expect));
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EVENT);
	cb_u32(&c, 5);
	cb_pw(&c, NULL, 0, TPMA_SESSION_CONTINUE);
	cb_tpm2b(&c, data, 1024);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	/* header | paramSize | count | 4 x (alg, digest) | session */
	EXPECT_EQ(get32(f.rsp + 10), 4u + 4 * 2 + 20 + 32 + 48 + 64);
	EXPECT_EQ(get32(f.rsp + 14), 4u);
	off = 18;
	for (unsigned int b = 0; b < 4; b++) {
		EXPECT_EQ(get16(f.rsp + off), bank_algs[b]);
		ossl_hash(b, data, 1024, NULL, 0, digest);
		EXPECT_MEMEQ(f.rsp + off + 2, digest, bank_sizes[b]);
		ossl_hash(b, expect[b], bank_sizes[b], digest, bank_sizes[b], expect[b]);
		off += 2 + bank_sizes[b];
	}
	EXPECT_EQ(f.rsp_len, off + 5);
	for (unsigned int b = 0; b < 4; b++) {
		ASSERT_EQ(pcr_read1(&f, b, 5, got), TPM_RC_SUCCESS);
		EXPECT_MEMEQ(got, expect[b], bank_sizes[b]);
	}
	/* 1025 bytes: SIZE, parameter 1. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EVENT);
	cb_u32(&c, 5);
	cb_pw(&c, NULL, 0, 0);
	cb_tpm2b(&c, data, 1025);
	EXPECT_EQ(run(&f, &c), 0x1D5u);
	/* TPM_RH_NULL: digests returned, no PCR changes. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EVENT);
	cb_u32(&c, TPM_RH_NULL);
	cb_pw(&c, NULL, 0, 0);
	cb_tpm2b(&c, "abc", 3);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	ossl_hash(1, "abc", 3, NULL, 0, digest);
	EXPECT_MEMEQ(f.rsp + 18 + 22 + 2, digest, 32);
	ASSERT_EQ(pcr_read1(&f, 1, 5, got), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(got, expect[1], 32);
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

KTEST(vtpm, pcr_read_selection_rules)
{
	struct fix f;
	struct cb c;

	ASSERT_TRUE(fix_open(&f, true));
	/* Every PCR of two banks: the first 8 (PCR 0-7 of SHA-1) come back, the rest are
	 * cleared from pcrSelectionOut. */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_PCR_READ);
	cb_u32(&c, 2);
	cb_u16(&c, TPM_ALG_SHA1);
	cb_u8(&c, 3);
	cb_u8(&c, 0xFF);
	cb_u8(&c, 0xFF);
	cb_u8(&c, 0xFF);
	cb_u16(&c, TPM_ALG_SHA256);
	cb_u8(&c, 3);
	cb_u8(&c, 0xFF);
	cb_u8(&c, 0xFF);
	cb_u8(&c, 0xFF);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	{
		static const uint8_t want_sel[] = { 0, 0, 0, 2, 0, 4, 3, 0xFF, 0, 0,
						    0, 0x0B, 3, 0, 0, 0 };
		EXPECT_EQ(get32(f.rsp + 10), 0u);
		EXPECT_MEMEQ(f.rsp + 14, want_sel, sizeof(want_sel));
		EXPECT_EQ(get32(f.rsp + 30), 8u);
		EXPECT_EQ(f.rsp_len, 34u + 8 * 22);
	}
	/* Selection errors: sizeofSelect, hash, count. */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_PCR_READ);
	cb_u32(&c, 1);
	cb_u16(&c, TPM_ALG_SHA256);
	cb_u8(&c, 4);
	cb_u32(&c, 0xFFFFFFFF);
	EXPECT_EQ(run(&f, &c), 0x1C4u);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_PCR_READ);
	cb_u32(&c, 1);
	cb_u16(&c, TPM_ALG_NULL);
	cb_u8(&c, 3);
	cb_u8(&c, 1);
	cb_u8(&c, 0);
	cb_u8(&c, 0);
	EXPECT_EQ(run(&f, &c), 0x1C3u);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_PCR_READ);
	cb_u32(&c, 5);
	EXPECT_EQ(run(&f, &c), 0x1D5u);
	/* Empty selection: counter, empty list, no digests. */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_PCR_READ);
	cb_u32(&c, 0);
	EXPECT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	EXPECT_EQ(f.rsp_len, 22u);
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

KTEST(vtpm, pcr_update_counter)
{
	struct fix f;
	uint8_t d[64] = { 1 };
	uint8_t got[64];

	ASSERT_TRUE(fix_open(&f, true));
	ASSERT_EQ(pcr_extend(&f, 0, 3, 0xF, d), TPM_RC_SUCCESS);
	ASSERT_EQ(pcr_extend(&f, 0, 4, 0x2, d), TPM_RC_SUCCESS);
	ASSERT_EQ(pcr_extend(&f, 0, 16, 0x2, d), TPM_RC_SUCCESS); /* no increment */
	ASSERT_EQ(pcr_read1(&f, 1, 3, got), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 10), 2u);
	fix_close(&f);
}

KTEST(vtpm, shutdown_state_resume_restores_pcrs)
{
	struct fix f;
	uint8_t d[64] = { 9, 9, 9 };
	uint8_t before[4][64];
	uint8_t got[64];

	ASSERT_TRUE(fix_open(&f, true));
	ASSERT_EQ(pcr_extend(&f, 0, 0, 0xF, d), TPM_RC_SUCCESS);
	ASSERT_EQ(pcr_extend(&f, 0, 14, 0x3, d), TPM_RC_SUCCESS);
	for (unsigned int b = 0; b < 4; b++) {
		ASSERT_EQ(pcr_read1(&f, b, 0, before[b]), TPM_RC_SUCCESS);
	}
	EXPECT_EQ(simple_u16(&f, TPM_CC_SHUTDOWN, 7), 0x1C4u);
	ASSERT_EQ(simple_u16(&f, TPM_CC_SHUTDOWN, TPM_SU_STATE), TPM_RC_SUCCESS);
	vtpm_power_on(f.t);
	ASSERT_EQ(simple_u16(&f, TPM_CC_STARTUP, TPM_SU_STATE), TPM_RC_SUCCESS);
	for (unsigned int b = 0; b < 4; b++) {
		ASSERT_EQ(pcr_read1(&f, b, 0, got), TPM_RC_SUCCESS);
		EXPECT_MEMEQ(got, before[b], bank_sizes[b]);
	}
	EXPECT_EQ(get32(f.rsp + 10), 2u); /* the saved pcrUpdateCounter */
	/* The saved state is consumed: another power cycle cannot resume again. */
	vtpm_power_on(f.t);
	EXPECT_EQ(simple_u16(&f, TPM_CC_STARTUP, TPM_SU_STATE), 0x1C4u);
	/* Shutdown(CLEAR) then Startup(STATE) is refused too; CLEAR resets the PCRs. */
	ASSERT_EQ(simple_u16(&f, TPM_CC_STARTUP, TPM_SU_CLEAR), TPM_RC_SUCCESS);
	ASSERT_EQ(pcr_read1(&f, 1, 0, got), TPM_RC_SUCCESS);
	EXPECT_TRUE(memcmp(got, (uint8_t[32]){ 0 }, 32) == 0);
	ASSERT_EQ(simple_u16(&f, TPM_CC_SHUTDOWN, TPM_SU_CLEAR), TPM_RC_SUCCESS);
	vtpm_power_on(f.t);
	EXPECT_EQ(simple_u16(&f, TPM_CC_STARTUP, TPM_SU_STATE), 0x1C4u);
	EXPECT_EQ(simple_u16(&f, TPM_CC_STARTUP, TPM_SU_CLEAR), TPM_RC_SUCCESS);
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

/* ---- Hash, TestParms --------------------------------------------------------------------- */

KTEST(vtpm, hash_matches_openssl)
{
	struct fix f;
	struct cb c;
	uint8_t data[1024];
	uint8_t want[64];

	struct fake_platform replay = { .entropy_counter = 42 };
	uint8_t drawn[4 * 64 + 4 * 32];
	uint8_t (*proofs)[32] = (uint8_t (*)[32])(drawn + 4 * 64);

	for (size_t i = 0; i < sizeof(data); i++) {
		data[i] = (uint8_t)(i ^ 0x5A);
	}
	/* vtpm_manufacture draws the four seeds and then the four proofs (platform, owner,
	 * endorsement, null) as its first entropy: replay the fake source to know them. */
	fake_entropy(&replay, drawn, sizeof(drawn));
	ASSERT_TRUE(fix_open(&f, true));
	for (unsigned int b = 0; b < 4; b++) {
		size_t len = b == 0 ? 0 : b == 1 ? 3 : b == 2 ? 200 : 1024;
		size_t off = 10 + 2 + bank_sizes[b];

		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_HASH);
		cb_tpm2b(&c, data, (uint16_t)len);
		cb_u16(&c, bank_algs[b]);
		cb_u32(&c, TPM_RH_OWNER);
		ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
		ossl_hash(b, data, len, NULL, 0, want);
		EXPECT_EQ(get16(f.rsp + 10), bank_sizes[b]);
		EXPECT_MEMEQ(f.rsp + 12, want, bank_sizes[b]);
		/* Owner ticket: HMAC-SHA-256(ownerProof, TPM_ST_HASHCHECK || outHash). */
		EXPECT_EQ(get16(f.rsp + off), TPM_ST_HASHCHECK);
		EXPECT_EQ(get32(f.rsp + off + 2), TPM_RH_OWNER);
		EXPECT_EQ(get16(f.rsp + off + 6), 32u);
		EXPECT_EQ(f.rsp_len, off + 8 + 32);
		{
			uint8_t msg[2 + 64] = { 0x80, 0x24 };
			uint8_t mac[32];
			unsigned int mac_len;

			memcpy(msg + 2, want, bank_sizes[b]);
			HMAC(EVP_sha256(), proofs[1], 32, msg, 2 + bank_sizes[b], mac, &mac_len);
			EXPECT_MEMEQ(f.rsp + off + 8, mac, 32);
		}
	}
	/* TPM_RH_NULL, and data starting with TPM_GENERATED_VALUE: the NULL ticket. */
	for (int k = 0; k < 2; k++) {
		static const uint8_t generated[] = { 0xFF, 'T', 'C', 'G', 1 };

		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_HASH);
		cb_tpm2b(&c, k == 0 ? data : generated, k == 0 ? 10 : 5);
		cb_u16(&c, TPM_ALG_SHA256);
		cb_u32(&c, k == 0 ? TPM_RH_NULL : TPM_RH_ENDORSEMENT);
		ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
		EXPECT_EQ(get16(f.rsp + 44), TPM_ST_HASHCHECK);
		EXPECT_EQ(get32(f.rsp + 46), TPM_RH_NULL);
		EXPECT_EQ(get16(f.rsp + 50), 0u);
		EXPECT_EQ(f.rsp_len, 52u);
	}
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_HASH);
	cb_tpm2b(&c, data, 3);
	cb_u16(&c, TPM_ALG_NULL);
	cb_u32(&c, TPM_RH_NULL);
	EXPECT_EQ(run(&f, &c), 0x2C3u); /* HASH, parameter 2 */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_HASH);
	cb_tpm2b(&c, data, 3);
	cb_u16(&c, TPM_ALG_SHA256);
	cb_u32(&c, TPM_RH_LOCKOUT);
	EXPECT_EQ(run(&f, &c), 0x3C4u); /* VALUE, parameter 3 */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_HASH);
	cb_u16(&c, 1025);
	EXPECT_EQ(run(&f, &c), 0x1D5u);
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

static uint32_t test_parms(struct fix *f, const uint16_t *words, size_t n, uint32_t exponent)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_TEST_PARMS);
	for (size_t i = 0; i < n; i++) {
		cb_u16(&c, words[i]);
	}
	if (exponent != 0xFFFFFFFFu) {
		cb_u32(&c, exponent);
	}
	return run(f, &c);
}

KTEST(vtpm, test_parms)
{
	struct fix f;
	/* RSA-2048 storage key: AES-128-CFB, NULL scheme. */
	static const uint16_t rsa[] = { TPM_ALG_RSA, TPM_ALG_AES, 128, TPM_ALG_CFB,
					TPM_ALG_NULL, 2048 };
	static const uint16_t rsa_sign[] = { TPM_ALG_RSA, TPM_ALG_NULL, TPM_ALG_RSASSA,
					     TPM_ALG_SHA256, 3072 };
	static const uint16_t rsa_1024[] = { TPM_ALG_RSA, TPM_ALG_NULL, TPM_ALG_NULL, 1024 };
	static const uint16_t ecc[] = { TPM_ALG_ECC, TPM_ALG_AES, 128, TPM_ALG_CFB, TPM_ALG_NULL,
					TPM_ECC_NIST_P256, TPM_ALG_NULL };
	static const uint16_t ecc_sign[] = { TPM_ALG_ECC, TPM_ALG_NULL, TPM_ALG_ECDSA,
					     TPM_ALG_SHA384, TPM_ECC_NIST_P384, TPM_ALG_NULL };
	static const uint16_t ecc_bn[] = { TPM_ALG_ECC, TPM_ALG_NULL, TPM_ALG_NULL, 0x0010,
					   TPM_ALG_NULL };
	static const uint16_t ecc_kdf2[] = { TPM_ALG_ECC, TPM_ALG_NULL, TPM_ALG_NULL,
					     TPM_ECC_NIST_P256, 0x0021, TPM_ALG_SHA256 };
	static const uint16_t sym[] = { TPM_ALG_SYMCIPHER, TPM_ALG_AES, 256, TPM_ALG_CFB };
	static const uint16_t sym_ofb[] = { TPM_ALG_SYMCIPHER, TPM_ALG_AES, 128, TPM_ALG_OFB };
	static const uint16_t sym_bits[] = { TPM_ALG_SYMCIPHER, TPM_ALG_AES, 64, TPM_ALG_CFB };
	static const uint16_t sym_camellia[] = { TPM_ALG_SYMCIPHER, 0x0026, 128, TPM_ALG_CFB };
	static const uint16_t kh_hmac[] = { TPM_ALG_KEYEDHASH, TPM_ALG_HMAC, TPM_ALG_SHA256 };
	static const uint16_t kh_xor[] = { TPM_ALG_KEYEDHASH, TPM_ALG_XOR, TPM_ALG_SHA256,
					   TPM_ALG_KDF1_SP800_108 };
	static const uint16_t kh_null[] = { TPM_ALG_KEYEDHASH, TPM_ALG_NULL };
	static const uint16_t bad_type[] = { 0x0009 };

	ASSERT_TRUE(fix_open(&f, true));
	EXPECT_EQ(test_parms(&f, rsa, 6, 0), TPM_RC_SUCCESS);
	EXPECT_EQ(test_parms(&f, rsa, 6, 65537), TPM_RC_SUCCESS);
	EXPECT_EQ(test_parms(&f, rsa, 6, 3), 0x1C4u);
	EXPECT_EQ(test_parms(&f, rsa_sign, 5, 0), TPM_RC_SUCCESS);
	EXPECT_EQ(test_parms(&f, rsa_1024, 4, 0), 0x1C4u);
	EXPECT_EQ(test_parms(&f, ecc, 7, 0xFFFFFFFFu), TPM_RC_SUCCESS);
	EXPECT_EQ(test_parms(&f, ecc_sign, 6, 0xFFFFFFFFu), TPM_RC_SUCCESS);
	EXPECT_EQ(test_parms(&f, ecc_bn, 5, 0xFFFFFFFFu), 0x1E6u); /* CURVE */
	EXPECT_EQ(test_parms(&f, ecc_kdf2, 6, 0xFFFFFFFFu), 0x1CCu); /* KDF */
	EXPECT_EQ(test_parms(&f, sym, 4, 0xFFFFFFFFu), TPM_RC_SUCCESS);
	EXPECT_EQ(test_parms(&f, sym_ofb, 4, 0xFFFFFFFFu), 0x1C9u); /* MODE */
	EXPECT_EQ(test_parms(&f, sym_bits, 4, 0xFFFFFFFFu), 0x1C4u);
	EXPECT_EQ(test_parms(&f, sym_camellia, 4, 0xFFFFFFFFu), 0x1D6u); /* SYMMETRIC */
	EXPECT_EQ(test_parms(&f, kh_hmac, 3, 0xFFFFFFFFu), TPM_RC_SUCCESS);
	EXPECT_EQ(test_parms(&f, kh_xor, 4, 0xFFFFFFFFu), TPM_RC_SUCCESS);
	EXPECT_EQ(test_parms(&f, kh_null, 2, 0xFFFFFFFFu), TPM_RC_SUCCESS);
	EXPECT_EQ(test_parms(&f, kh_hmac, 2, 0xFFFFFFFFu), 0x1DAu); /* INSUFFICIENT */
	EXPECT_EQ(test_parms(&f, bad_type, 1, 0xFFFFFFFFu), 0x1CAu); /* TYPE */
	EXPECT_EQ(test_parms(&f, kh_null, 2, 0), TPM_RC_SIZE);	   /* trailing bytes */
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

/* ---- GetCapability ----------------------------------------------------------------------- */

KTEST(vtpm, capability_commands_match_total)
{
	struct fix f;
	uint32_t total;
	uint32_t n;

	ASSERT_TRUE(fix_open(&f, true));
	/* What Linux does: TPM_PT_TOTAL_COMMANDS, then all commands in one response. */
	ASSERT_EQ(get_cap(&f, TPM_CAP_TPM_PROPERTIES, 0x129, 1), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 15), 1u);
	EXPECT_EQ(get32(f.rsp + 19), 0x129u);
	total = get32(f.rsp + 23);
	EXPECT_EQ(total, vtpm_command_count);
	ASSERT_EQ(get_cap(&f, TPM_CAP_COMMANDS, 0x11F, total), TPM_RC_SUCCESS);
	EXPECT_EQ(f.rsp[10], TPM_NO);
	EXPECT_EQ(get32(f.rsp + 11), TPM_CAP_COMMANDS);
	n = get32(f.rsp + 15);
	EXPECT_EQ(n, total);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = get32(f.rsp + 19 + 4 * i);
		const struct vtpm_command_desc *d = vtpm_command_find(a & 0xFFFF);

		ASSERT_NOT_NULL(d);
		EXPECT_EQ((a >> 25) & 7u, d->n_handles);
		if (i > 0) {
			EXPECT_GT(a & 0xFFFF, get32(f.rsp + 19 + 4 * (i - 1)) & 0xFFFF);
		}
	}
	/* PCR_Extend: one handle, nv; Startup: no handle. */
	ASSERT_EQ(get_cap(&f, TPM_CAP_COMMANDS, TPM_CC_PCR_EXTEND, 1), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 19), 0x02400182u);
	EXPECT_EQ(f.rsp[10], TPM_YES);
	/* Paging one at a time visits the same list. */
	{
		uint32_t prop = 0;
		uint32_t seen = 0;

		for (;;) {
			ASSERT_EQ(get_cap(&f, TPM_CAP_COMMANDS, prop, 1), TPM_RC_SUCCESS);
			if (get32(f.rsp + 15) == 0) {
				break;
			}
			seen++;
			prop = (get32(f.rsp + 19) & 0xFFFF) + 1;
			if (f.rsp[10] == TPM_NO) {
				break;
			}
		}
		EXPECT_EQ(seen, total);
	}
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

KTEST(vtpm, capability_properties_paging)
{
	struct fix f;
	uint8_t all[2048];
	uint32_t n_all;
	uint32_t prop = PT_FIXED;
	uint32_t seen = 0;

	ASSERT_TRUE(fix_open(&f, true));
	ASSERT_EQ(get_cap(&f, TPM_CAP_TPM_PROPERTIES, PT_FIXED, 1000), TPM_RC_SUCCESS);
	EXPECT_EQ(f.rsp[10], TPM_NO);
	n_all = get32(f.rsp + 15);
	ASSERT_LE(n_all, 127u);
	memcpy(all, f.rsp + 19, 8 * n_all);
	/* Identity: "2.0", manufacturer "BSTN", vendor "Bastion vTPM". */
	EXPECT_EQ(get32(all + 0), 0x100u);
	EXPECT_EQ(get32(all + 4), 0x322E3000u);
	EXPECT_EQ(get32(all + 5 * 8), 0x105u);
	EXPECT_MEMEQ(all + 5 * 8 + 4, "BSTN", 4);
	EXPECT_MEMEQ(all + 6 * 8 + 4, "Bast", 4);
	EXPECT_MEMEQ(all + 7 * 8 + 4, "ion ", 4);
	EXPECT_MEMEQ(all + 8 * 8 + 4, "vTPM", 4);
	/* Page through with count 3: same entries, moreData on every page but the last. */
	for (;;) {
		uint32_t n;

		ASSERT_EQ(get_cap(&f, TPM_CAP_TPM_PROPERTIES, prop, 3), TPM_RC_SUCCESS);
		n = get32(f.rsp + 15);
		ASSERT_LE(seen + n, n_all);
		EXPECT_MEMEQ(f.rsp + 19, all + 8 * seen, 8 * n);
		seen += n;
		if (f.rsp[10] == TPM_NO) {
			break;
		}
		ASSERT_EQ(n, 3u);
		prop = get32(f.rsp + 19 + 8 * (n - 1)) + 1;
	}
	EXPECT_EQ(seen, n_all);
	/* Variable group starts at PT_VAR; STARTUP_CLEAR has the enables set. */
	ASSERT_EQ(get_cap(&f, TPM_CAP_TPM_PROPERTIES, PT_VAR + 1, 1), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 19), PT_VAR + 1);
	EXPECT_EQ(get32(f.rsp + 23), 0xFu);
	/* Count 0: empty list, moreData YES. Past the end: empty, NO. */
	ASSERT_EQ(get_cap(&f, TPM_CAP_TPM_PROPERTIES, PT_FIXED, 0), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 15), 0u);
	EXPECT_EQ(f.rsp[10], TPM_YES);
	ASSERT_EQ(get_cap(&f, TPM_CAP_TPM_PROPERTIES, 0x300, 10), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 15), 0u);
	EXPECT_EQ(f.rsp[10], TPM_NO);
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

KTEST(vtpm, capability_other_lists)
{
	struct fix f;
	static const uint8_t pcrs[] = {
		0, 0, 0, 4, 0x00, 0x04, 3, 0xFF, 0xFF, 0xFF, 0x00, 0x0B, 3, 0xFF, 0xFF, 0xFF,
		0x00, 0x0C, 3, 0xFF, 0xFF, 0xFF, 0x00, 0x0D, 3, 0xFF, 0xFF, 0xFF,
	};

	ASSERT_TRUE(fix_open(&f, true));
	ASSERT_EQ(get_cap(&f, TPM_CAP_PCRS, 0, 1), TPM_RC_SUCCESS);
	EXPECT_EQ(f.rsp[10], TPM_NO);
	ASSERT_EQ(f.rsp_len, 15u + sizeof(pcrs));
	EXPECT_MEMEQ(f.rsp + 15, pcrs, sizeof(pcrs));
	/* Algorithms: paging from SHA256 with count 2 gives SHA256, SHA384 and moreData. */
	ASSERT_EQ(get_cap(&f, TPM_CAP_ALGS, TPM_ALG_SHA256, 2), TPM_RC_SUCCESS);
	EXPECT_EQ(f.rsp[10], TPM_YES);
	EXPECT_EQ(get32(f.rsp + 15), 2u);
	EXPECT_EQ(get16(f.rsp + 19), TPM_ALG_SHA256);
	EXPECT_EQ(get32(f.rsp + 21), 0x4u);
	EXPECT_EQ(get16(f.rsp + 25), TPM_ALG_SHA384);
	ASSERT_EQ(get_cap(&f, TPM_CAP_ECC_CURVES, 0, 100), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 15), 2u);
	EXPECT_EQ(get16(f.rsp + 19), TPM_ECC_NIST_P256);
	EXPECT_EQ(get16(f.rsp + 21), TPM_ECC_NIST_P384);
	/* Handles: none transient/persistent/NV yet; PCRs and permanent handles listed. */
	ASSERT_EQ(get_cap(&f, TPM_CAP_HANDLES, 0x80000000u, 100), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 15), 0u);
	EXPECT_EQ(f.rsp[10], TPM_NO);
	ASSERT_EQ(get_cap(&f, TPM_CAP_HANDLES, 0x81000000u, 100), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 15), 0u);
	ASSERT_EQ(get_cap(&f, TPM_CAP_HANDLES, 0x01000000u, 100), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 15), 0u);
	ASSERT_EQ(get_cap(&f, TPM_CAP_HANDLES, 20, 100), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 15), 4u);
	ASSERT_EQ(get_cap(&f, TPM_CAP_HANDLES, TPM_RH_NULL, 2), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 15), 2u);
	EXPECT_EQ(get32(f.rsp + 19), TPM_RH_NULL);
	EXPECT_EQ(get32(f.rsp + 23), TPM_RS_PW);
	EXPECT_EQ(f.rsp[10], TPM_YES);
	EXPECT_EQ(get_cap(&f, TPM_CAP_HANDLES, 0x05000000u, 1), 0x2CBu); /* HANDLE, parameter 2 */
	EXPECT_EQ(get_cap(&f, 0x0000000Bu, 0, 1), 0x1C4u);		   /* VALUE, parameter 1 */
	ASSERT_EQ(get_cap(&f, TPM_CAP_PCR_PROPERTIES, 0, 100), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 15), 15u);
	ASSERT_EQ(get_cap(&f, TPM_CAP_AUDIT_COMMANDS, 0, 100), TPM_RC_SUCCESS);
	EXPECT_EQ(f.rsp_len, 19u);
	/* Truncated parameters are numbered. */
	{
		struct cb c;

		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_CAPABILITY);
		cb_u32(&c, 0);
		cb_u32(&c, 0);
		cb_u16(&c, 0);
		EXPECT_EQ(run(&f, &c), 0x3DAu);
	}
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}

/* ---- malformed-input storm ------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* The TPMS_CONTEXT of a saved session (every_command_needs_startup_and_succeeds_after
 * saves one); until then a well-formed context whose integrity fails. */
static uint8_t saved_context[1024];
static size_t saved_context_len;

/* The commands valid_command builds a complete, valid body for. */
static bool valid_command_known(uint32_t cc)
{
	static const uint32_t known[] = {
		TPM_CC_PCR_EVENT, TPM_CC_PCR_RESET, TPM_CC_SEQUENCE_COMPLETE,
		TPM_CC_INCREMENTAL_SELF_TEST, TPM_CC_SELF_TEST, TPM_CC_STARTUP, TPM_CC_SHUTDOWN,
		TPM_CC_STIR_RANDOM, TPM_CC_SEQUENCE_UPDATE, TPM_CC_CONTEXT_LOAD,
		TPM_CC_CONTEXT_SAVE, TPM_CC_FLUSH_CONTEXT, TPM_CC_POLICY_AUTH_VALUE,
		TPM_CC_POLICY_COMMAND_CODE, TPM_CC_START_AUTH_SESSION, TPM_CC_GET_CAPABILITY,
		TPM_CC_GET_RANDOM, TPM_CC_GET_TEST_RESULT, TPM_CC_HASH, TPM_CC_PCR_READ,
		TPM_CC_POLICY_PCR, TPM_CC_POLICY_RESTART, TPM_CC_READ_CLOCK, TPM_CC_PCR_EXTEND,
		TPM_CC_EVENT_SEQUENCE_COMPLETE, TPM_CC_HASH_SEQUENCE_START,
		TPM_CC_POLICY_GET_DIGEST, TPM_CC_TEST_PARMS, TPM_CC_POLICY_PASSWORD,
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (known[i] == cc) {
			return true;
		}
	}
	return false;
}

/* A valid command for each table entry (the storm's starting point). */
static void valid_command(struct cb *c, uint32_t cc)
{
	bool sessions = cc == TPM_CC_PCR_EXTEND || cc == TPM_CC_PCR_EVENT || cc == TPM_CC_PCR_RESET;
	uint8_t d[64] = { 3 };

	/* Sequence commands name the sequence objects every_command_needs_startup_and_
	 * succeeds_after starts: 0x80000000 and 0x80000001 (hash), 0x80000002 (event). */
	if (cc == TPM_CC_SEQUENCE_COMPLETE || cc == TPM_CC_SEQUENCE_UPDATE) {
		cb_start(c, TPM_ST_SESSIONS, cc);
		cb_u32(c, cc == TPM_CC_SEQUENCE_COMPLETE ? 0x80000000u : 0x80000001u);
		cb_pw(c, NULL, 0, 1);
	} else if (cc == TPM_CC_EVENT_SEQUENCE_COMPLETE) {
		cb_start(c, TPM_ST_SESSIONS, cc);
		cb_u32(c, TPM_RH_NULL);
		cb_u32(c, 0x80000002u);
		cb_u32(c, 18);
		cb_u32(c, TPM_RS_PW);
		cb_u16(c, 0);
		cb_u8(c, 1);
		cb_u16(c, 0);
		cb_u32(c, TPM_RS_PW);
		cb_u16(c, 0);
		cb_u8(c, 1);
		cb_u16(c, 0);
	} else {
		cb_start(c, sessions ? TPM_ST_SESSIONS : TPM_ST_NO_SESSIONS, cc);
	}
	if (sessions) {
		cb_u32(c, cc == TPM_CC_PCR_RESET ? 16 : TPM_RH_NULL);
		cb_pw(c, NULL, 0, 1);
	}
	/* Policy commands name the policy session in slot 0 (see
	 * every_command_needs_startup_and_succeeds_after; session_test.c covers them). */
	if (cc == TPM_CC_POLICY_AUTH_VALUE || cc == TPM_CC_POLICY_COMMAND_CODE ||
	    cc == TPM_CC_POLICY_PCR || cc == TPM_CC_POLICY_RESTART ||
	    cc == TPM_CC_POLICY_GET_DIGEST || cc == TPM_CC_POLICY_PASSWORD) {
		cb_u32(c, 0x03000000u);
	}
	switch (cc) {
	case TPM_CC_START_AUTH_SESSION:
		cb_u32(c, TPM_RH_NULL);
		cb_u32(c, TPM_RH_NULL);
		cb_tpm2b(c, d, 32);
		cb_u16(c, 0);
		cb_u8(c, 0); /* TPM_SE_HMAC */
		cb_u16(c, TPM_ALG_NULL);
		cb_u16(c, TPM_ALG_SHA256);
		break;
	case TPM_CC_FLUSH_CONTEXT:
	case TPM_CC_CONTEXT_SAVE:
		cb_u32(c, 0x02000001u);
		break;
	case TPM_CC_CONTEXT_LOAD:
		if (saved_context_len != 0) {
			cb_bytes(c, saved_context, saved_context_len);
		} else {
			cb_u32(c, 0);
			cb_u32(c, 0);
			cb_u32(c, 0x02000002u);
			cb_u32(c, TPM_RH_NULL);
			cb_u16(c, 40);
			cb_u16(c, 32);
			cb_bytes(c, d, 38);
		}
		break;
	case TPM_CC_POLICY_COMMAND_CODE:
		cb_u32(c, TPM_CC_PCR_EXTEND);
		break;
	case TPM_CC_POLICY_PCR:
		cb_u16(c, 0);
		cb_u32(c, 1);
		cb_u16(c, TPM_ALG_SHA256);
		cb_u8(c, 3);
		cb_u8(c, 0x0F);
		cb_u8(c, 0);
		cb_u8(c, 0);
		break;
	case TPM_CC_STARTUP:
	case TPM_CC_SHUTDOWN:
		cb_u16(c, TPM_SU_CLEAR);
		break;
	case TPM_CC_SELF_TEST:
		cb_u8(c, 1);
		break;
	case TPM_CC_INCREMENTAL_SELF_TEST:
		cb_u32(c, 1);
		cb_u16(c, TPM_ALG_SHA1);
		break;
	case TPM_CC_GET_RANDOM:
		cb_u16(c, 20);
		break;
	case TPM_CC_STIR_RANDOM:
	case TPM_CC_PCR_EVENT:
	case TPM_CC_SEQUENCE_UPDATE:
	case TPM_CC_EVENT_SEQUENCE_COMPLETE:
		cb_tpm2b(c, d, 40);
		break;
	case TPM_CC_SEQUENCE_COMPLETE:
		cb_tpm2b(c, d, 40);
		cb_u32(c, TPM_RH_OWNER);
		break;
	case TPM_CC_HASH_SEQUENCE_START:
		cb_tpm2b(c, d + 8, 8); /* eight zero octets: the empty authValue */
		cb_u16(c, TPM_ALG_SHA256);
		break;
	case TPM_CC_GET_CAPABILITY:
		cb_u32(c, TPM_CAP_TPM_PROPERTIES);
		cb_u32(c, PT_FIXED);
		cb_u32(c, 50);
		break;
	case TPM_CC_PCR_READ:
		cb_u32(c, 2);
		cb_u16(c, TPM_ALG_SHA256);
		cb_u8(c, 3);
		cb_u8(c, 0xFF);
		cb_u8(c, 0);
		cb_u8(c, 0);
		cb_u16(c, TPM_ALG_SHA1);
		cb_u8(c, 3);
		cb_u8(c, 1);
		cb_u8(c, 0);
		cb_u8(c, 0);
		break;
	case TPM_CC_PCR_EXTEND:
		cb_u32(c, 2);
		cb_u16(c, TPM_ALG_SHA256);
		cb_bytes(c, d, 32);
		cb_u16(c, TPM_ALG_SHA512);
		cb_bytes(c, d, 64);
		break;
	case TPM_CC_HASH:
		cb_tpm2b(c, d, 10);
		cb_u16(c, TPM_ALG_SHA384);
		cb_u32(c, TPM_RH_NULL);
		break;
	case TPM_CC_TEST_PARMS:
		cb_u16(c, TPM_ALG_ECC);
		cb_u16(c, TPM_ALG_AES);
		cb_u16(c, 128);
		cb_u16(c, TPM_ALG_CFB);
		cb_u16(c, TPM_ALG_ECDSA);
		cb_u16(c, TPM_ALG_SHA256);
		cb_u16(c, TPM_ECC_NIST_P256);
		cb_u16(c, TPM_ALG_NULL);
		break;
	default:
		break;
	}
	cb_end(c);
}

/* Reads PCRs 0-7 (SHA-256) and 9 (SHA-512): the state the storm must not change. */
static bool snapshot(struct fix *f, uint8_t *out, size_t *len)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_PCR_READ);
	cb_u32(&c, 2);
	cb_u16(&c, TPM_ALG_SHA256);
	cb_u8(&c, 3);
	cb_u8(&c, 0xFF);
	cb_u8(&c, 0);
	cb_u8(&c, 0);
	cb_u16(&c, TPM_ALG_SHA512);
	cb_u8(&c, 3);
	cb_u8(&c, 0);
	cb_u8(&c, 2);
	cb_u8(&c, 0);
	if (run(f, &c) != TPM_RC_SUCCESS) {
		return false;
	}
	memcpy(out, f->rsp, f->rsp_len);
	*len = f->rsp_len;
	return true;
}

KTEST(vtpm, malformed_input_storm)
{
	static struct fix f;
	static struct cb c;
	static struct cb m;
	static uint8_t before[VTPM_MAX_RESPONSE_SIZE];
	static uint8_t after[VTPM_MAX_RESPONSE_SIZE];
	size_t before_len;
	size_t after_len;
	uint8_t d[64] = { 0x42 };
	uint8_t want9[64];
	uint8_t got[64];
	unsigned long cases = 0;
	unsigned long successes = 0;

	ASSERT_TRUE(fix_open(&f, true));
	ASSERT_EQ(pcr_extend(&f, 0, 9, 0xF, d), TPM_RC_SUCCESS);
	ossl_hash(3, (uint8_t[64]){ 0 }, 64, d, 64, want9);
	ASSERT_TRUE(snapshot(&f, before, &before_len));

	for (unsigned int ci = 0; ci < vtpm_command_count; ci++) {
		uint32_t cc = vtpm_commands[ci].cc;

		valid_command(&c, cc);
		/* Truncations at every length, with commandSize both kept and adjusted. */
		for (size_t len = 0; len < c.n; len++) {
			m = c;
			run_raw(&f, 0, m.b, len);
			if (len >= 6) {
				m.n = len;
				cb_end(&m);
				if (run_raw(&f, 0, m.b, len) == TPM_RC_SUCCESS) {
					successes++;
				}
			}
			cases += 2;
		}
		/* Oversized commandSize and trailing garbage. */
		for (unsigned int extra = 1; extra <= 64; extra++) {
			m = c;
			m.b[2] = (uint8_t)((m.n + extra) >> 24);
			m.b[3] = (uint8_t)((m.n + extra) >> 16);
			m.b[4] = (uint8_t)((m.n + extra) >> 8);
			m.b[5] = (uint8_t)(m.n + extra);
			run_raw(&f, 0, m.b, m.n);
			for (unsigned int i = 0; i < extra; i++) {
				m.b[m.n + i] = (uint8_t)rnd();
			}
			run_raw(&f, 0, m.b, m.n + extra);
			cases += 2;
		}
		/* Single-byte and single-word corruptions of the valid command. */
		/* Handles are left alone here (a corrupted TPM_RH_NULL could name a PCR in
		 * the snapshot and make a legitimate change); random bodies cover them. */
		size_t from = 10 + 4u * vtpm_commands[ci].n_handles;

		for (unsigned int k = 0; k < 4000 && c.n > from; k++) {
			m = c;
			m.b[from + rnd() % (m.n - from)] ^= (uint8_t)(1u << (rnd() % 8));
			if (k & 1) {
				m.b[from + rnd() % (m.n - from)] = (uint8_t)rnd();
			}
			if (run_raw(&f, (uint8_t)(rnd() % 5), m.b, m.n) == TPM_RC_SUCCESS) {
				successes++;
			}
			cases++;
		}
		/* Random bodies of random lengths behind a valid header. */
		for (unsigned int k = 0; k < 8000; k++) {
			size_t len = 10 + rnd() % (k < 6000 ? 80 : 1100);

			cb_start(&m, (rnd() & 1) ? TPM_ST_SESSIONS : TPM_ST_NO_SESSIONS, cc);
			for (size_t i = 10; i < len; i++) {
				m.b[i] = (uint8_t)rnd();
			}
			m.n = len;
			cb_end(&m);
			if (run_raw(&f, 0, m.b, m.n) == TPM_RC_SUCCESS) {
				successes++;
			}
			cases++;
		}
	}
	/* Random tags, sizes and command codes. */
	for (unsigned int k = 0; k < 40000; k++) {
		size_t len = rnd() % 64;
		uint32_t r = rnd();

		for (size_t i = 0; i < len; i++) {
			m.b[i] = (uint8_t)rnd();
		}
		if (len >= 10) {
			if (r & 1) {
				put_be16(m.b, (r & 2) ? TPM_ST_SESSIONS : TPM_ST_NO_SESSIONS);
			}
			if (r & 4) {
				put_be32(m.b + 2, (uint32_t)len);
			}
			if (r & 8) {
				put_be32(m.b + 6, vtpm_commands[(r >> 8) % vtpm_command_count].cc);
			}
		}
		run_raw(&f, 0, m.b, len);
		cases++;
	}
	/* A sessioned command whose authorization area is random. */
	for (unsigned int k = 0; k < 10000; k++) {
		size_t len = 14 + rnd() % 40;

		cb_start(&m, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
		cb_u32(&m, rnd() % 30);
		for (size_t i = 14; i < len; i++) {
			m.b[i] = (uint8_t)rnd();
		}
		if (k & 1) {
			put_be32(m.b + 14, (uint32_t)(rnd() % 40));
		}
		m.n = len;
		cb_end(&m);
		run_raw(&f, 0, m.b, m.n);
		cases++;
	}

	ktest_print("  storm: %lu cases, %lu accepted, %d malformed responses\n", cases,
		    successes, f.malformed);
	EXPECT_GE(cases, 100000ul);
	EXPECT_EQ(f.malformed, 0);
	/* The storm never started the TPM twice nor changed a PCR. */
	ASSERT_TRUE(snapshot(&f, after, &after_len));
	EXPECT_EQ(after_len, before_len);
	EXPECT_MEMEQ(after + 14, before + 14, before_len - 14); /* counter may not move either */
	EXPECT_EQ(get32(after + 10), get32(before + 10));
	ASSERT_EQ(pcr_read1(&f, 3, 9, got), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(got, want9, 64);
	fix_close(&f);
}

KTEST(vtpm, every_command_needs_startup_and_succeeds_after)
{
	static struct fix f;
	static struct cb c;

	ASSERT_TRUE(fix_open(&f, false));
	for (unsigned int i = 0; i < vtpm_command_count; i++) {
		valid_command(&c, vtpm_commands[i].cc);
		if (vtpm_commands[i].cc != TPM_CC_STARTUP) {
			EXPECT_EQ(run_raw(&f, 0, c.b, c.n), TPM_RC_INITIALIZE);
		}
	}
	ASSERT_EQ(simple_u16(&f, TPM_CC_STARTUP, TPM_SU_CLEAR), TPM_RC_SUCCESS);
	/* A policy session (slot 0, 0x03000000) for the policy commands and an HMAC session
	 * (slot 1, 0x02000001) for FlushContext, which StartAuthSession then re-creates. */
	valid_command(&c, TPM_CC_START_AUTH_SESSION);
	c.b[10 + 8 + 2 + 32 + 2] = 1; /* TPM_SE_POLICY */
	ASSERT_EQ(run_raw(&f, 0, c.b, c.n), TPM_RC_SUCCESS);
	valid_command(&c, TPM_CC_START_AUTH_SESSION);
	ASSERT_EQ(run_raw(&f, 0, c.b, c.n), TPM_RC_SUCCESS);
	/* Sequence objects 0x80000000 and 0x80000001 (SHA-256) for SequenceComplete and
	 * SequenceUpdate and 0x80000002 (event) for EventSequenceComplete; HashSequenceStart
	 * then re-creates the first one. Their auth is empty (eight zero octets, which are
	 * not significant). */
	valid_command(&c, TPM_CC_HASH_SEQUENCE_START);
	ASSERT_EQ(run_raw(&f, 0, c.b, c.n), TPM_RC_SUCCESS);
	ASSERT_EQ(run_raw(&f, 0, c.b, c.n), TPM_RC_SUCCESS);
	c.b[c.n - 1] = TPM_ALG_NULL;
	ASSERT_EQ(run_raw(&f, 0, c.b, c.n), TPM_RC_SUCCESS);
	/* A third session (0x02000002), saved for ContextLoad; ContextSave then saves
	 * 0x02000001, which FlushContext flushes while saved. */
	valid_command(&c, TPM_CC_START_AUTH_SESSION);
	ASSERT_EQ(run_raw(&f, 0, c.b, c.n), TPM_RC_SUCCESS);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_CONTEXT_SAVE);
	cb_u32(&c, 0x02000002u);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	saved_context_len = f.rsp_len - 10;
	memcpy(saved_context, f.rsp + 10, saved_context_len);
	/* The storm's starting points are valid commands (Startup is valid but refused) for
	 * the commands valid_command knows; the object, NV and hierarchy commands start from
	 * their bare header here (their own suites, object_test.c, nv_test.c and
	 * hierarchy_test.c, drive them with valid bodies) and only need a well-formed answer. */
	for (unsigned int i = 0; i < vtpm_command_count; i++) {
		uint32_t cc = vtpm_commands[i].cc;
		uint32_t want = cc == TPM_CC_STARTUP ? TPM_RC_INITIALIZE : 0;
		uint32_t rc;

		valid_command(&c, cc);
		rc = run_raw(&f, 0, c.b, c.n);
		if (valid_command_known(cc)) {
			EXPECT_EQ(rc, want);
		}
	}
	EXPECT_EQ(f.malformed, 0);
	fix_close(&f);
}
