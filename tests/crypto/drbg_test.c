/*
 * crypto/drbg.h (HMAC_DRBG, SHA-256) and arch/x86/rng_hw.h (RDSEED/RDRAND).
 *
 * Known answers: NIST CAVP HMAC_DRBG.rsp [SHA-256] records (no-reseed and pr=false, with and
 * without personalization and additional input) in tests/crypto/data/hmac_drbg_sha256.txt
 * (the vectors package lacks the DRBG files).
 * Differential: 10000 random instantiate/reseed/generate sequences against a second HMAC_DRBG
 * written here straight from SP 800-90A §10.1.2 on OpenSSL's HMAC().
 * Errors: generate before instantiate, reseed required after reseed_interval requests,
 * oversized requests and inputs, short entropy; the crypto_rng adapter.
 * Hardware: rng_hw_seed on this CPU when it has RDRAND/RDSEED (else a printed note), and the
 * health checks (retry limit, stuck, all-zero/all-ones) through a fake instruction source.
 */
#include "crypto/drbg.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "tests/crypto/vectors.h"
#include "tests/ktest/ktest.h"

/*
 * The crypto test binary (Makefile: CRYPTO_TEST_ALL) links only the crypto/ sources, and the hardware
 * RNG lives in arch/x86, so its one file is compiled into this test. If the Makefile ever
 * links arch/x86/rng_hw.c into crypto_tests, drop this include.
 */
#include "arch/x86/rng_hw.c"

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		p[i] = (uint8_t)rnd64();
	}
}

/* Opens a data file next to this source (tests/crypto/data/), for vec_next()/vec_close(). */
static int open_data(struct vec_file *f, const char *name)
{
	const char *slash = strrchr(__FILE__, '/');
	int dirlen = slash != NULL ? (int)(slash - __FILE__) : 0;

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%.*s%sdata/%s", dirlen, __FILE__,
		 slash != NULL ? "/" : "", name);
	f->line = malloc(VEC_LINE_MAX);
	f->fp = fopen(f->path, "r");
	if (f->line == NULL || f->fp == NULL) {
		printf("  cannot open %s\n", f->path);
		vec_close(f);
		return -1;
	}
	return 0;
}

/* ---- known answers ------------------------------------------------------------------------ */

KTEST(crypto_drbg, cavp_hmac_drbg_sha256)
{
	struct vec_file f;
	unsigned int n = 0, nreseed = 0;

	ASSERT_EQ(open_data(&f, "hmac_drbg_sha256.txt"), 0);
	while (vec_next(&f)) {
		uint8_t e[64], nonce[32], pers[64], er[64], ar[64], a1[64], a2[64], want[128];
		uint8_t out[128];
		size_t el = vec_hex(&f, "EntropyInput", e, sizeof(e));
		size_t nl = vec_hex(&f, "Nonce", nonce, sizeof(nonce));
		size_t pl = vec_hex(&f, "PersonalizationString", pers, sizeof(pers));
		size_t a1l = vec_hex(&f, "AdditionalInput1", a1, sizeof(a1));
		size_t a2l = vec_hex(&f, "AdditionalInput2", a2, sizeof(a2));
		size_t wl = vec_hex(&f, "ReturnedBits", want, sizeof(want));
		const char *mode = vec_get(&f, "Mode");
		struct hmac_drbg d;

		ASSERT_NOT_NULL(mode);
		ASSERT_EQ(wl, 128u);
		ASSERT_TRUE(el != (size_t)-1 && nl != (size_t)-1 && pl != (size_t)-1 &&
			    a1l != (size_t)-1 && a2l != (size_t)-1);
		ASSERT_EQ(hmac_drbg_instantiate(&d, e, el, nonce, nl, pers, pl), 0);
		if (strcmp(mode, "reseed") == 0) {
			size_t erl = vec_hex(&f, "EntropyInputReseed", er, sizeof(er));
			size_t arl = vec_hex(&f, "AdditionalInputReseed", ar, sizeof(ar));

			ASSERT_TRUE(erl != (size_t)-1 && arl != (size_t)-1);
			ASSERT_EQ(hmac_drbg_reseed(&d, er, erl, ar, arl), 0);
			nreseed++;
		} else {
			ASSERT_STREQ(mode, "no_reseed");
		}
		ASSERT_EQ(hmac_drbg_generate(&d, out, 128, a1l ? a1 : NULL, a1l), 0);
		ASSERT_EQ(hmac_drbg_generate(&d, out, 128, a2l ? a2 : NULL, a2l), 0);
		if (memcmp(out, want, 128) != 0) {
			ktest_report_failure(__FILE__, __LINE__, "record ending at line %u differs",
					     f.line_no);
		}
		hmac_drbg_uninstantiate(&d);
		n++;
	}
	vec_close(&f);
	EXPECT_EQ(n, 10u);
	EXPECT_EQ(nreseed, 5u);
}

/* ---- a second implementation, straight from SP 800-90A §10.1.2, on OpenSSL HMAC ------------ */

struct ref_drbg {
	uint8_t k[32], v[32];
	uint64_t ctr;
};

static void ref_hmac(const uint8_t k[32], const uint8_t *m, size_t ml, uint8_t out[32])
{
	unsigned int ol;

	HMAC(EVP_sha256(), k, 32, m, ml, out, &ol);
}

/* §10.1.2.2 HMAC_DRBG_Update, with provided_data concatenated into one buffer. */
static void ref_update(struct ref_drbg *r, const uint8_t *data, size_t dl)
{
	uint8_t *m = malloc(32 + 1 + dl + 1);

	memcpy(m, r->v, 32);
	m[32] = 0x00;
	if (dl > 0) {
		memcpy(m + 33, data, dl);
	}
	ref_hmac(r->k, m, 33 + dl, r->k);
	ref_hmac(r->k, r->v, 32, r->v);
	if (dl > 0) {
		memcpy(m, r->v, 32);
		m[32] = 0x01;
		memcpy(m + 33, data, dl);
		ref_hmac(r->k, m, 33 + dl, r->k);
		ref_hmac(r->k, r->v, 32, r->v);
	}
	free(m);
}

static void ref_instantiate(struct ref_drbg *r, const uint8_t *e, size_t el, const uint8_t *n,
			    size_t nl, const uint8_t *p, size_t pl)
{
	uint8_t *seed = malloc(el + nl + pl + 1);

	memcpy(seed, e, el);
	memcpy(seed + el, n, nl);
	memcpy(seed + el + nl, p, pl);
	memset(r->k, 0, 32);
	memset(r->v, 1, 32);
	ref_update(r, seed, el + nl + pl);
	r->ctr = 1;
	free(seed);
}

static void ref_reseed(struct ref_drbg *r, const uint8_t *e, size_t el, const uint8_t *a,
		       size_t al)
{
	uint8_t *seed = malloc(el + al + 1);

	memcpy(seed, e, el);
	memcpy(seed + el, a, al);
	ref_update(r, seed, el + al);
	r->ctr = 1;
	free(seed);
}

static void ref_generate(struct ref_drbg *r, uint8_t *out, size_t len, const uint8_t *a,
			 size_t al)
{
	size_t done = 0;

	if (al > 0) {
		ref_update(r, a, al);
	}
	while (done < len) {
		size_t take = len - done < 32 ? len - done : 32;

		ref_hmac(r->k, r->v, 32, r->v);
		memcpy(out + done, r->v, take);
		done += take;
	}
	ref_update(r, a, al);
	r->ctr++;
}

KTEST(crypto_drbg, random_vs_reference)
{
	uint8_t e[100], n[40], p[80], a[80], ours[1100], theirs[1100];
	struct hmac_drbg d;
	struct ref_drbg r;
	unsigned int ops = 0;

	rng_state = 0xd4b60001;
	for (unsigned int inst = 0; ops < 10000; inst++) {
		size_t el = 32 + (size_t)(rnd64() % (sizeof(e) - 32));
		size_t nl = (el >= 48 && rnd64() % 4 == 0) ? 0 : 16 + (size_t)(rnd64() % 24);
		size_t pl = rnd64() % 2 ? 0 : (size_t)(rnd64() % sizeof(p));

		rnd_bytes(e, el);
		rnd_bytes(n, nl);
		rnd_bytes(p, pl);
		ASSERT_EQ(hmac_drbg_instantiate(&d, e, el, nl ? n : NULL, nl, pl ? p : NULL, pl), 0);
		ref_instantiate(&r, e, el, n, nl, p, pl);
		for (unsigned int step = 0; step < 20; step++, ops++) {
			size_t al = rnd64() % 2 ? 0 : (size_t)(rnd64() % sizeof(a));

			rnd_bytes(a, al);
			if (rnd64() % 8 == 0) {
				el = 32 + (size_t)(rnd64() % (sizeof(e) - 32));
				rnd_bytes(e, el);
				ASSERT_EQ(hmac_drbg_reseed(&d, e, el, al ? a : NULL, al), 0);
				ref_reseed(&r, e, el, a, al);
			} else {
				size_t len = (size_t)(rnd64() % sizeof(ours));

				ASSERT_EQ(hmac_drbg_generate(&d, ours, len, al ? a : NULL, al), 0);
				ref_generate(&r, theirs, len, a, al);
				if (memcmp(ours, theirs, len) != 0) {
					ktest_report_failure(__FILE__, __LINE__,
							     "seed 0xd4b60001 instance %u step %u", inst,
							     step);
					return;
				}
			}
			if (memcmp(d.key, r.k, 32) != 0 || memcmp(d.v, r.v, 32) != 0 ||
			    d.reseed_counter != r.ctr) {
				ktest_report_failure(__FILE__, __LINE__,
						     "state differs: instance %u step %u", inst, step);
				return;
			}
		}
		hmac_drbg_uninstantiate(&d);
	}
}

/* ---- errors and limits -------------------------------------------------------------------- */

static const uint8_t fixed_seed[48] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
				    33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48 };

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != 0) {
			return false;
		}
	}
	return true;
}

KTEST(crypto_drbg, generate_before_instantiate)
{
	struct hmac_drbg d;
	uint8_t out[32];

	memset(&d, 0, sizeof(d));
	memset(out, 0xaa, sizeof(out));
	EXPECT_EQ(hmac_drbg_generate(&d, out, sizeof(out), NULL, 0), HMAC_DRBG_ERR_STATE);
	EXPECT_TRUE(all_zero(out, sizeof(out)));
	EXPECT_EQ(hmac_drbg_reseed(&d, fixed_seed, 32, NULL, 0), HMAC_DRBG_ERR_STATE);
	/* ... and after uninstantiate. */
	ASSERT_EQ(hmac_drbg_instantiate(&d, fixed_seed, 32, fixed_seed + 32, 16, NULL, 0), 0);
	hmac_drbg_uninstantiate(&d);
	EXPECT_TRUE(all_zero((const uint8_t *)&d, sizeof(d)));
	EXPECT_EQ(hmac_drbg_generate(&d, out, sizeof(out), NULL, 0), HMAC_DRBG_ERR_STATE);
}

KTEST(crypto_drbg, reseed_required)
{
	struct hmac_drbg d;
	uint8_t out[16];

	ASSERT_EQ(hmac_drbg_instantiate(&d, fixed_seed, 32, fixed_seed + 32, 16, NULL, 0), 0);
	EXPECT_EQ(d.reseed_interval, HMAC_DRBG_RESEED_INTERVAL);
	EXPECT_EQ(hmac_drbg_set_reseed_interval(&d, 0), HMAC_DRBG_ERR_ARG);
	EXPECT_EQ(hmac_drbg_set_reseed_interval(&d, HMAC_DRBG_RESEED_INTERVAL + 1),
		  HMAC_DRBG_ERR_ARG);
	ASSERT_EQ(hmac_drbg_set_reseed_interval(&d, 3), 0);
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(hmac_drbg_generate(&d, out, sizeof(out), NULL, 0), 0);
	}
	memset(out, 0xaa, sizeof(out));
	EXPECT_EQ(hmac_drbg_generate(&d, out, sizeof(out), NULL, 0), HMAC_DRBG_ERR_RESEED);
	EXPECT_TRUE(all_zero(out, sizeof(out)));
	/* Still refused with additional input; a reseed clears it. */
	EXPECT_EQ(hmac_drbg_generate(&d, out, sizeof(out), fixed_seed, 8), HMAC_DRBG_ERR_RESEED);
	ASSERT_EQ(hmac_drbg_reseed(&d, fixed_seed + 1, 32, NULL, 0), 0);
	EXPECT_EQ(hmac_drbg_generate(&d, out, sizeof(out), NULL, 0), 0);
	EXPECT_FALSE(all_zero(out, sizeof(out)));
	hmac_drbg_uninstantiate(&d);
}

KTEST(crypto_drbg, rejects_bad_inputs)
{
	struct hmac_drbg d;
	static uint8_t big[HMAC_DRBG_MAX_REQUEST + 1];
	uint8_t out[8];

	/* Entropy shorter than the security strength; entropy + nonce below 3/2 of it. */
	EXPECT_EQ(hmac_drbg_instantiate(&d, fixed_seed, 31, fixed_seed, 32, NULL, 0), HMAC_DRBG_ERR_ARG);
	EXPECT_EQ(hmac_drbg_instantiate(&d, fixed_seed, 32, fixed_seed, 15, NULL, 0), HMAC_DRBG_ERR_ARG);
	EXPECT_EQ(hmac_drbg_instantiate(&d, fixed_seed, 48, NULL, 0, NULL, 0), 0);
	EXPECT_EQ(hmac_drbg_instantiate(&d, NULL, 48, NULL, 0, NULL, 0), HMAC_DRBG_ERR_ARG);
	EXPECT_EQ(hmac_drbg_instantiate(&d, fixed_seed, 32, fixed_seed, 16, NULL, 5), HMAC_DRBG_ERR_ARG);
	EXPECT_EQ(hmac_drbg_instantiate(&d, fixed_seed, 32, fixed_seed, 16, big,
					HMAC_DRBG_MAX_INPUT + 1),
		  HMAC_DRBG_ERR_ARG);
	ASSERT_EQ(hmac_drbg_instantiate(&d, fixed_seed, 32, fixed_seed, 16, NULL, 0), 0);
	EXPECT_EQ(hmac_drbg_reseed(&d, fixed_seed, 31, NULL, 0), HMAC_DRBG_ERR_ARG);
	EXPECT_EQ(hmac_drbg_reseed(&d, fixed_seed, 32, NULL, 1), HMAC_DRBG_ERR_ARG);
	EXPECT_EQ(hmac_drbg_generate(&d, big, HMAC_DRBG_MAX_REQUEST + 1, NULL, 0),
		  HMAC_DRBG_ERR_ARG);
	EXPECT_EQ(hmac_drbg_generate(&d, NULL, 8, NULL, 0), HMAC_DRBG_ERR_ARG);
	EXPECT_EQ(hmac_drbg_generate(&d, out, 8, NULL, 3), HMAC_DRBG_ERR_ARG);
	EXPECT_EQ(hmac_drbg_generate(&d, big, HMAC_DRBG_MAX_REQUEST, NULL, 0), 0);
	EXPECT_EQ(hmac_drbg_generate(&d, NULL, 0, NULL, 0), 0);
	hmac_drbg_uninstantiate(&d);
}

/* The same fixed inputs give the same stream (TPM primary keys rely on it); different
 * personalization gives a different one. */
KTEST(crypto_drbg, deterministic_instances)
{
	struct hmac_drbg d1, d2;
	uint8_t o1[100], o2[100];

	ASSERT_EQ(hmac_drbg_instantiate(&d1, fixed_seed, 32, fixed_seed + 32, 16,
					(const uint8_t *)"primary", 7), 0);
	ASSERT_EQ(hmac_drbg_instantiate(&d2, fixed_seed, 32, fixed_seed + 32, 16,
					(const uint8_t *)"primary", 7), 0);
	ASSERT_EQ(hmac_drbg_generate(&d1, o1, sizeof(o1), NULL, 0), 0);
	ASSERT_EQ(hmac_drbg_generate(&d2, o2, sizeof(o2), NULL, 0), 0);
	EXPECT_MEMEQ(o1, o2, sizeof(o1));
	ASSERT_EQ(hmac_drbg_instantiate(&d2, fixed_seed, 32, fixed_seed + 32, 16,
					(const uint8_t *)"primarY", 7), 0);
	ASSERT_EQ(hmac_drbg_generate(&d2, o2, sizeof(o2), NULL, 0), 0);
	EXPECT_NE(memcmp(o1, o2, sizeof(o1)), 0);
	hmac_drbg_uninstantiate(&d1);
	hmac_drbg_uninstantiate(&d2);
}

/* The crypto_rng adapter: same bytes as generate, big requests split, errors propagate and
 * leave no partial output. */
KTEST(crypto_drbg, rng_adapter)
{
	struct hmac_drbg d1, d2;
	struct crypto_rng rng = hmac_drbg_rng(&d1);
	static uint8_t o1[HMAC_DRBG_MAX_REQUEST + 100], o2[HMAC_DRBG_MAX_REQUEST + 100];

	ASSERT_EQ(hmac_drbg_instantiate(&d1, fixed_seed, 48, NULL, 0, NULL, 0), 0);
	ASSERT_EQ(hmac_drbg_instantiate(&d2, fixed_seed, 48, NULL, 0, NULL, 0), 0);
	ASSERT_EQ(crypto_rng_bytes(&rng, o1, 40), 0);
	ASSERT_EQ(hmac_drbg_generate(&d2, o2, 40, NULL, 0), 0);
	EXPECT_MEMEQ(o1, o2, 40);
	/* A request above the per-call maximum: two generate calls. */
	ASSERT_EQ(crypto_rng_bytes(&rng, o1, sizeof(o1)), 0);
	ASSERT_EQ(hmac_drbg_generate(&d2, o2, HMAC_DRBG_MAX_REQUEST, NULL, 0), 0);
	ASSERT_EQ(hmac_drbg_generate(&d2, o2 + HMAC_DRBG_MAX_REQUEST, 100, NULL, 0), 0);
	EXPECT_MEMEQ(o1, o2, sizeof(o1));
	EXPECT_EQ(d1.reseed_counter, 4u);
	/* Reseed required half-way through a split request: all output zeroed. */
	ASSERT_EQ(hmac_drbg_set_reseed_interval(&d1, 4), 0);
	memset(o1, 0xaa, sizeof(o1));
	EXPECT_EQ(crypto_rng_bytes(&rng, o1, sizeof(o1)), HMAC_DRBG_ERR_RESEED);
	EXPECT_TRUE(all_zero(o1, sizeof(o1)));
	hmac_drbg_uninstantiate(&d1);
	EXPECT_EQ(crypto_rng_bytes(&rng, o1, 16), HMAC_DRBG_ERR_STATE);
	hmac_drbg_uninstantiate(&d2);
}

/* ---- the hardware source ------------------------------------------------------------------ */

KTEST(crypto_rng_hw, cpu_instructions)
{
	struct rng_hw_source src = rng_hw_detect();
	uint8_t a[64], b[64];

	if (src.rdseed == NULL && src.rdrand == NULL) {
		ktest_print("  note: this CPU offers neither RDSEED nor RDRAND; only the "
			    "unsupported path is checked\n");
		EXPECT_EQ(rng_hw_seed(a, sizeof(a)), RNG_HW_ERR_UNSUPPORTED);
		return;
	}
	ktest_print("  note: RDSEED %s, RDRAND %s\n", src.rdseed ? "yes" : "no",
		    src.rdrand ? "yes" : "no");
	ASSERT_EQ(rng_hw_seed(a, sizeof(a)), 0);
	ASSERT_EQ(rng_hw_seed(b, sizeof(b)), 0);
	EXPECT_NE(memcmp(a, b, sizeof(a)), 0);
	EXPECT_FALSE(all_zero(a, sizeof(a)));
	EXPECT_EQ(rng_hw_seed(NULL, 0), 0);
	EXPECT_EQ(rng_hw_seed(a, 1), 0);
	EXPECT_EQ(rng_hw_seed(a, 13), 0);
	/* Each instruction on its own. */
	if (src.rdrand != NULL) {
		struct rng_hw_source only = { NULL, src.rdrand };

		EXPECT_EQ(rng_hw_seed_from(&only, a, sizeof(a)), 0);
	}
	if (src.rdseed != NULL) {
		struct rng_hw_source only = { src.rdseed, NULL };
		int rc = rng_hw_seed_from(&only, a, sizeof(a));

		/* RDSEED alone may run dry under load; that must show as EXHAUSTED. */
		EXPECT_TRUE(rc == 0 || rc == RNG_HW_ERR_EXHAUSTED);
	}
}

/* CPUID bit decoding. */
KTEST(crypto_rng_hw, caps_from_cpuid)
{
	struct cpuid_regs l1 = { 0, 0, 1u << 30, 0 }, l7 = { 0, 1u << 18, 0, 0 }, none = { 0 };
	struct rng_hw_source s;

	s = rng_hw_caps_from_cpuid(&l1, &l7);
	EXPECT_TRUE(s.rdrand == rng_hw_rdrand64 && s.rdseed == rng_hw_rdseed64);
	s = rng_hw_caps_from_cpuid(&none, &l7);
	EXPECT_TRUE(s.rdrand == NULL && s.rdseed == rng_hw_rdseed64);
	s = rng_hw_caps_from_cpuid(&l1, NULL);
	EXPECT_TRUE(s.rdrand == rng_hw_rdrand64 && s.rdseed == NULL);
	s = rng_hw_caps_from_cpuid(&none, &none);
	EXPECT_TRUE(s.rdrand == NULL && s.rdseed == NULL);
}

/* A scripted fake instruction: a list of (ok, value) results, then a counter pattern. */
struct fake_script {
	const bool *ok;
	const uint64_t *val;
	size_t n, pos;
	unsigned int calls;
	uint64_t counter; /* after the script: distinct, healthy values */
	bool fail_after;  /* after the script: always CF=0 */
};

static struct fake_script fake_seed, fake_rand;

static bool fake_exec(struct fake_script *s, uint64_t *out)
{
	s->calls++;
	if (s->pos < s->n) {
		size_t i = s->pos++;

		*out = s->ok[i] ? s->val[i] : 0;
		return s->ok[i];
	}
	if (s->fail_after) {
		*out = 0;
		return false;
	}
	*out = 0x0123456789abcdefull + 0x1111111111111111ull * ++s->counter;
	return true;
}

static bool fake_rdseed(uint64_t *out)
{
	return fake_exec(&fake_seed, out);
}

static bool fake_rdrand(uint64_t *out)
{
	return fake_exec(&fake_rand, out);
}

static void fake_reset(void)
{
	memset(&fake_seed, 0, sizeof(fake_seed));
	memset(&fake_rand, 0, sizeof(fake_rand));
}

KTEST(crypto_rng_hw, health_checks_with_fake_source)
{
	const struct rng_hw_source both = { fake_rdseed, fake_rdrand };
	const struct rng_hw_source rand_only = { NULL, fake_rdrand };
	const struct rng_hw_source none = { NULL, NULL };
	uint8_t out[32];

	/* Healthy: RDSEED used, RDRAND untouched; reference word + 4 output words. */
	fake_reset();
	EXPECT_EQ(rng_hw_seed_from(&both, out, sizeof(out)), 0);
	EXPECT_EQ(fake_seed.calls, 5u);
	EXPECT_EQ(fake_rand.calls, 0u);
	EXPECT_FALSE(all_zero(out, sizeof(out)));

	/* Transient CF=0 within the retry limit is fine. */
	{
		static const bool ok[] = { false, false, false, false, false,
					   false, false, false, false, true };
		static const uint64_t val[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x5555aaaa5555aaaaull };

		fake_reset();
		fake_seed = (struct fake_script){ .ok = ok, .val = val, .n = 10 };
		EXPECT_EQ(rng_hw_seed_from(&both, out, 8), 0);
		EXPECT_EQ(fake_rand.calls, 0u);
	}
	/* RDSEED dry: each word falls back to RDRAND after exactly RNG_HW_RETRIES tries. */
	fake_reset();
	fake_seed.fail_after = true;
	EXPECT_EQ(rng_hw_seed_from(&both, out, 8), 0);
	EXPECT_EQ(fake_seed.calls, 2u * RNG_HW_RETRIES);
	EXPECT_EQ(fake_rand.calls, 2u);
	/* Both dry: exhausted, output zeroed. */
	fake_reset();
	fake_seed.fail_after = true;
	fake_rand.fail_after = true;
	memset(out, 0xaa, sizeof(out));
	EXPECT_EQ(rng_hw_seed_from(&both, out, sizeof(out)), RNG_HW_ERR_EXHAUSTED);
	EXPECT_EQ(fake_seed.calls, (unsigned int)RNG_HW_RETRIES);
	EXPECT_EQ(fake_rand.calls, (unsigned int)RNG_HW_RETRIES);
	EXPECT_TRUE(all_zero(out, sizeof(out)));
	/* Stuck: a repeated word, in the middle of a request. */
	{
		static const bool ok[] = { true, true, true, true };
		static const uint64_t val[] = { 0x1122334455667788ull, 0x99aabbccddeeff00ull,
						0x0102030405060708ull, 0x0102030405060708ull };

		fake_reset();
		fake_rand = (struct fake_script){ .ok = ok, .val = val, .n = 4 };
		memset(out, 0xaa, sizeof(out));
		EXPECT_EQ(rng_hw_seed_from(&rand_only, out, sizeof(out)), RNG_HW_ERR_STUCK);
		EXPECT_TRUE(all_zero(out, sizeof(out)));
	}
	/* Stuck on a one-word request: caught against the reference word. */
	{
		static const bool ok[] = { true, true };
		static const uint64_t val[] = { 0x4242424242424242ull, 0x4242424242424242ull };

		fake_reset();
		fake_rand = (struct fake_script){ .ok = ok, .val = val, .n = 2 };
		EXPECT_EQ(rng_hw_seed_from(&rand_only, out, 4), RNG_HW_ERR_STUCK);
	}
	/* All-zero and all-ones words with CF=1 (known broken RDRAND behaviour). */
	{
		static const bool ok[] = { true, true };
		static const uint64_t zero[] = { 0x1234ull, 0 };
		static const uint64_t ones[] = { ~0ull, 0x1234ull };

		fake_reset();
		fake_rand = (struct fake_script){ .ok = ok, .val = zero, .n = 2 };
		EXPECT_EQ(rng_hw_seed_from(&rand_only, out, 16), RNG_HW_ERR_STUCK);
		fake_reset();
		fake_rand = (struct fake_script){ .ok = ok, .val = ones, .n = 2 };
		EXPECT_EQ(rng_hw_seed_from(&rand_only, out, 16), RNG_HW_ERR_STUCK);
		/* A stuck RDSEED word is a failure too, not a reason to try RDRAND. */
		fake_reset();
		fake_seed = (struct fake_script){ .ok = ok, .val = ones, .n = 2 };
		EXPECT_EQ(rng_hw_seed_from(&both, out, 16), RNG_HW_ERR_STUCK);
		EXPECT_EQ(fake_rand.calls, 0u);
	}
	/* No instruction at all; NULL output. */
	EXPECT_EQ(rng_hw_seed_from(&none, out, 8), RNG_HW_ERR_UNSUPPORTED);
	EXPECT_EQ(rng_hw_seed_from(&both, NULL, 8), RNG_HW_ERR_UNSUPPORTED);
	fake_reset();
	EXPECT_EQ(rng_hw_seed_from(&both, NULL, 0), 0);
}

/* ---- the seed hook ------------------------------------------------------------------------ */

static unsigned int seed_calls;
static int seed_fail_at; /* the call number that fails, 0 = never */

static int fake_seed_fn(uint8_t *out, size_t len)
{
	seed_calls++;
	if (seed_fail_at != 0 && (int)seed_calls == seed_fail_at) {
		memset(out, 0, len);
		return -3;
	}
	for (size_t i = 0; i < len; i++) {
		out[i] = (uint8_t)(seed_calls * 31 + i);
	}
	return 0;
}

KTEST(crypto_drbg, seed_hook_and_auto_reseed)
{
	struct hmac_drbg d, ref;
	struct crypto_rng rng = hmac_drbg_rng(&d);
	uint8_t e[32], n[16], out[64], want[64];

	/* instantiate_seeded == instantiate(seed call 1 (32 bytes), seed call 2 (16 bytes)). */
	seed_calls = 0;
	seed_fail_at = 0;
	ASSERT_EQ(hmac_drbg_instantiate_seeded(&d, fake_seed_fn, (const uint8_t *)"p", 1), 0);
	EXPECT_EQ(seed_calls, 2u);
	seed_calls = 0;
	fake_seed_fn(e, sizeof(e));
	fake_seed_fn(n, sizeof(n));
	ASSERT_EQ(hmac_drbg_instantiate(&ref, e, 32, n, 16, (const uint8_t *)"p", 1), 0);
	ASSERT_EQ(crypto_rng_bytes(&rng, out, sizeof(out)), 0);
	ASSERT_EQ(hmac_drbg_generate(&ref, want, sizeof(want), NULL, 0), 0);
	EXPECT_MEMEQ(out, want, sizeof(out));

	/* At the interval the adapter reseeds from the hook (one 32-byte call) and goes on. */
	ASSERT_EQ(hmac_drbg_set_reseed_interval(&d, 1), 0);
	seed_calls = 2;
	ASSERT_EQ(crypto_rng_bytes(&rng, out, sizeof(out)), 0);
	EXPECT_EQ(seed_calls, 3u);
	seed_calls = 2;
	fake_seed_fn(e, sizeof(e));
	ASSERT_EQ(hmac_drbg_reseed(&ref, e, 32, NULL, 0), 0);
	ASSERT_EQ(hmac_drbg_generate(&ref, want, sizeof(want), NULL, 0), 0);
	EXPECT_MEMEQ(out, want, sizeof(out));
	/* generate itself never reseeds: the caller sees the distinct error. */
	EXPECT_EQ(hmac_drbg_generate(&d, out, 8, NULL, 0), HMAC_DRBG_ERR_RESEED);
	/* A failing hook fails the request, zeroed, with the entropy error. */
	seed_fail_at = (int)seed_calls + 1;
	memset(out, 0xaa, sizeof(out));
	EXPECT_EQ(crypto_rng_bytes(&rng, out, sizeof(out)), HMAC_DRBG_ERR_ENTROPY);
	EXPECT_TRUE(all_zero(out, sizeof(out)));
	seed_fail_at = 0;
	EXPECT_EQ(hmac_drbg_reseed_from_source(&d, NULL, 0), 0);
	EXPECT_EQ(hmac_drbg_generate(&d, out, 8, NULL, 0), 0);

	/* Deterministic instances have no hook and are never reseeded behind the caller. */
	EXPECT_EQ(hmac_drbg_reseed_from_source(&ref, NULL, 0), HMAC_DRBG_ERR_STATE);
	/* A hook failing at instantiation leaves the instance unusable. */
	seed_calls = 0;
	seed_fail_at = 2;
	EXPECT_EQ(hmac_drbg_instantiate_seeded(&d, fake_seed_fn, NULL, 0), HMAC_DRBG_ERR_ENTROPY);
	EXPECT_EQ(hmac_drbg_generate(&d, out, 8, NULL, 0), HMAC_DRBG_ERR_STATE);
	EXPECT_EQ(hmac_drbg_instantiate_seeded(&d, NULL, NULL, 0), HMAC_DRBG_ERR_ARG);
	seed_fail_at = 0;
	/* With the real hardware hook, when the CPU has one. */
	{
		struct rng_hw_source src = rng_hw_detect();

		if (src.rdseed != NULL || src.rdrand != NULL) {
			EXPECT_EQ(hmac_drbg_instantiate_seeded(&d, rng_hw_seed, NULL, 0), 0);
			EXPECT_EQ(crypto_rng_bytes(&rng, out, sizeof(out)), 0);
		}
	}
	hmac_drbg_uninstantiate(&d);
	hmac_drbg_uninstantiate(&ref);
}
