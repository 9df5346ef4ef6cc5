/*
 * crypto/bn.c against OpenSSL's BIGNUM: random operands of 1..64 limbs and random odd moduli
 * of 256..4096 bits (fixed-seed PRNG: a failure prints the case number), plus edge values
 * (0, 1, m - 1, all-ones limbs).
 */
#include <openssl/bn.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

#include "crypto/bn.h"
#include "tests/ktest/ktest.h"

/*
 * Case counts: 10000 for bytes, add/sub/compare, mul, Montgomery (mul, sqr, add, sub, reduce)
 * and shifts. Exponentiation costs grow with the cube of the size and ASan multiplies them:
 * 1200 moduli of 256..1024 bits and 60 of 1025..4096 bits (about 8 s); 4000 inversions
 * (one in ten up to 4096 bits) with 400 gcd and division cases. The whole suite runs in
 * about 18 s under ASan at -O2 on the 2-core development machine.
 */
#define BN_TEST_MODEXP_SMALL 1200
#define BN_TEST_MODEXP_LARGE 60
#define BN_TEST_INV 4000

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t rnd_range(size_t lo, size_t hi)
{
	return lo + (size_t)(rnd64() % (hi - lo + 1));
}

/* Random limbs with occasional runs of all-zero and all-ones limbs. */
static void rnd_bn(uint64_t *r, size_t n)
{
	unsigned int style = (unsigned int)(rnd64() % 8);

	for (size_t i = 0; i < n; i++) {
		uint64_t x = rnd64();
		if (style == 0) {
			x = (rnd64() & 1) ? ~0ull : 0;
		} else if (style == 1 && (rnd64() & 3) == 0) {
			x = ~0ull;
		}
		r[i] = x;
	}
}

/* A random odd modulus of exactly bits bits in n = ceil(bits / 64) limbs. */
static size_t rnd_modulus(uint64_t *m, size_t bits)
{
	size_t n = (bits + 63) / 64;

	rnd_bn(m, n);
	if (bits % 64) {
		m[n - 1] &= (1ull << (bits % 64)) - 1;
	}
	m[n - 1] |= 1ull << ((bits - 1) % 64);
	m[0] |= 1;
	return n;
}

static BIGNUM *to_ossl(const uint64_t *a, size_t n)
{
	/* x86-64 is little-endian: the limb array is the little-endian byte string. */
	return BN_lebin2bn((const unsigned char *)a, (int)(n * 8), NULL);
}

static bool ossl_eq(const BIGNUM *x, const uint64_t *a, size_t n)
{
	uint64_t t[2 * BN_MAX_LIMBS + 1];

	if (BN_num_bytes(x) > (int)(n * 8)) {
		return false;
	}
	memset(t, 0, sizeof(t));
	BN_bn2lebinpad(x, (unsigned char *)t, (int)(n * 8));
	return memcmp(t, a, n * 8) == 0;
}

/* a < m for the modulus m of n limbs: reduce a random value with OpenSSL. */
static void rnd_below(uint64_t *r, const uint64_t *m, size_t n, BN_CTX *bctx)
{
	uint64_t t[BN_MAX_LIMBS];
	BIGNUM *x, *bm;

	rnd_bn(t, n);
	x = to_ossl(t, n);
	bm = to_ossl(m, n);
	BN_mod(x, x, bm, bctx);
	memset(r, 0, n * 8);
	BN_bn2lebinpad(x, (unsigned char *)r, (int)(n * 8));
	BN_free(x);
	BN_free(bm);
}

static struct bn_exp_ws exp_ws;
static struct bn_ws gen_ws;
static struct bn_mont mont;

KTEST(crypto_bn, bytes_roundtrip)
{
	uint64_t a[BN_MAX_LIMBS], b[BN_MAX_LIMBS];
	uint8_t buf[BN_MAX_BYTES + 8], ref[BN_MAX_BYTES + 8];

	rng_state = 0x1001;
	for (int it = 0; it < 10000; it++) {
		size_t n = rnd_range(1, BN_MAX_LIMBS);
		size_t len = rnd_range(1, n * 8 + 8);
		BIGNUM *x;
		int fits, r;

		rnd_bn(a, n);
		if (rnd64() & 1) { /* often make it fit */
			for (size_t i = 0; i < n * 8; i++) {
				if (i >= len) {
					a[i / 8] &= ~(0xffull << (8 * (i % 8)));
				}
			}
		}
		x = to_ossl(a, n);
		fits = BN_num_bytes(x) <= (int)len;
		r = bn_to_bytes(buf, len, a, n);
		EXPECT_EQ(r, fits ? 0 : -1);
		if (fits) {
			BN_bn2binpad(x, ref, (int)len);
			if (memcmp(buf, ref, len) != 0) {
				ktest_report_failure(__FILE__, __LINE__, "to_bytes case %d", it);
			}
			/* Import back into n limbs and into a too-small buffer. */
			EXPECT_EQ(bn_from_bytes(b, n, buf, len), 0);
			EXPECT_MEMEQ(a, b, n * 8);
			if (BN_num_bytes(x) > 0 && n > 1) {
				size_t need = ((size_t)BN_num_bytes(x) + 7) / 8;
				EXPECT_EQ(bn_from_bytes(b, need - 1, buf, len),
					  need - 1 >= need ? 0 : -1);
			}
		}
		BN_free(x);
	}
	/* Leading zero bytes beyond the limb count are fine, nonzero ones are not. */
	memset(buf, 0, sizeof(buf));
	buf[sizeof(buf) - 1] = 7;
	EXPECT_EQ(bn_from_bytes(a, 1, buf, sizeof(buf)), 0);
	EXPECT_EQ(a[0], 7u);
	buf[0] = 1;
	EXPECT_EQ(bn_from_bytes(a, BN_MAX_LIMBS, buf, sizeof(buf)), -1);
	EXPECT_EQ(bn_from_bytes(a, 1, buf, 0), 0);
	EXPECT_EQ(a[0], 0u);
}

KTEST(crypto_bn, add_sub_compare)
{
	uint64_t a[BN_MAX_LIMBS], b[BN_MAX_LIMBS], r[BN_MAX_LIMBS + 1];

	rng_state = 0x2002;
	for (int it = 0; it < 10000; it++) {
		size_t n = rnd_range(1, BN_MAX_LIMBS);
		BIGNUM *x, *y, *z = BN_new();
		int c;

		rnd_bn(a, n);
		if ((rnd64() & 3) == 0) {
			memcpy(b, a, n * 8);
			if (rnd64() & 1) {
				b[rnd_range(0, n - 1)] ^= 1ull << (rnd64() & 63);
			}
		} else {
			rnd_bn(b, n);
		}
		x = to_ossl(a, n);
		y = to_ossl(b, n);
		c = BN_cmp(x, y);
		EXPECT_EQ(bn_cmp(a, b, n), c);
		EXPECT_EQ(bn_lt_mask(a, b, n), c < 0 ? ~0ull : 0ull);
		EXPECT_EQ(bn_eq_mask(a, b, n), c == 0 ? ~0ull : 0ull);
		EXPECT_EQ(bn_zero_mask(a, n), BN_is_zero(x) ? ~0ull : 0ull);
		r[n] = bn_add(r, a, b, n);
		BN_add(z, x, y);
		if (!ossl_eq(z, r, n + 1)) {
			ktest_report_failure(__FILE__, __LINE__, "add case %d", it);
		}
		if (c >= 0) {
			EXPECT_EQ(bn_sub(r, a, b, n), 0u);
			BN_sub(z, x, y);
			if (!ossl_eq(z, r, n)) {
				ktest_report_failure(__FILE__, __LINE__, "sub case %d", it);
			}
		} else {
			EXPECT_EQ(bn_sub(r, a, b, n), 1u);
		}
		EXPECT_EQ(bn_bit_length(a, n), (size_t)BN_num_bits(x));
		BN_free(x);
		BN_free(y);
		BN_free(z);
	}
}

KTEST(crypto_bn, mul)
{
	static uint64_t a[BN_MAX_LIMBS], b[BN_MAX_LIMBS], r[2 * BN_MAX_LIMBS];
	BN_CTX *bctx = BN_CTX_new();

	rng_state = 0x3003;
	for (int it = 0; it < 10000; it++) {
		size_t an = rnd_range(1, BN_MAX_LIMBS), bn = rnd_range(1, BN_MAX_LIMBS);
		BIGNUM *x, *y, *z = BN_new();

		rnd_bn(a, an);
		rnd_bn(b, bn);
		bn_mul(r, a, an, b, bn);
		x = to_ossl(a, an);
		y = to_ossl(b, bn);
		BN_mul(z, x, y, bctx);
		if (!ossl_eq(z, r, an + bn)) {
			ktest_report_failure(__FILE__, __LINE__, "mul case %d (%zu x %zu limbs)",
					     it, an, bn);
		}
		BN_free(x);
		BN_free(y);
		BN_free(z);
	}
	BN_CTX_free(bctx);
}

/* Montgomery multiplication, modular add/sub/mul and reduction of 2k-limb numbers. */
KTEST(crypto_bn, montgomery)
{
	static uint64_t m[BN_MAX_LIMBS], a[BN_MAX_LIMBS], b[BN_MAX_LIMBS], r[BN_MAX_LIMBS];
	static uint64_t w[2 * BN_MAX_LIMBS];
	BN_CTX *bctx = BN_CTX_new();

	rng_state = 0x4004;
	for (int it = 0; it < 10000; it++) {
		size_t bits = rnd_range(256, 4096);
		size_t n = rnd_modulus(m, bits);
		BIGNUM *bm = to_ossl(m, n), *x, *y, *z, *t = BN_new();

		ASSERT_EQ(bn_mont_init(&mont, m, n), 0);
		rnd_below(a, m, n, bctx);
		rnd_below(b, m, n, bctx);
		if (it % 50 == 1) { /* edge values: m - 1, 0, 1 */
			bn_sub_word(a, m, 1, n);
		} else if (it % 50 == 2) {
			bn_zero(b, n);
		} else if (it % 50 == 3) {
			bn_set_word(b, n, 1);
		}
		x = to_ossl(a, n);
		y = to_ossl(b, n);
		/* r * R = a * b mod m */
		bn_mont_mul(&mont, r, a, b);
		z = to_ossl(r, n);
		BN_lshift(z, z, (int)(64 * n));
		BN_mod(z, z, bm, bctx);
		BN_mod_mul(t, x, y, bm, bctx);
		if (BN_cmp(z, t) != 0 || bn_cmp(r, m, n) >= 0) {
			ktest_report_failure(__FILE__, __LINE__, "mont_mul case %d (%zu bits)", it,
					     bits);
		}
		{
			uint64_t s2[BN_MAX_LIMBS];
			bn_mont_sqr(&mont, s2, a);
			bn_mont_mul(&mont, r, a, a);
			if (memcmp(s2, r, n * 8) != 0) {
				ktest_report_failure(__FILE__, __LINE__, "mont_sqr case %d", it);
			}
		}
		bn_mod_mul(&mont, r, a, b);
		if (!ossl_eq(t, r, n)) {
			ktest_report_failure(__FILE__, __LINE__, "mod_mul case %d", it);
		}
		bn_mod_add(&mont, r, a, b);
		BN_mod_add(t, x, y, bm, bctx);
		if (!ossl_eq(t, r, n)) {
			ktest_report_failure(__FILE__, __LINE__, "mod_add case %d", it);
		}
		bn_mod_sub(&mont, r, a, b);
		BN_mod_sub(t, x, y, bm, bctx);
		if (!ossl_eq(t, r, n)) {
			ktest_report_failure(__FILE__, __LINE__, "mod_sub case %d", it);
		}
		/* Reduction of a 2n-limb (or shorter) number. */
		{
			size_t wl = rnd_range(1, 2 * n);
			BIGNUM *bw;

			rnd_bn(w, wl);
			bw = to_ossl(w, wl);
			bn_mod_reduce(&mont, r, w, wl);
			BN_mod(t, bw, bm, bctx);
			if (!ossl_eq(t, r, n)) {
				ktest_report_failure(__FILE__, __LINE__, "mod_reduce case %d", it);
			}
			BN_free(bw);
		}
		BN_free(bm);
		BN_free(x);
		BN_free(y);
		BN_free(z);
		BN_free(t);
	}
	BN_CTX_free(bctx);
}

/* Modular exponentiation: constant-time (full-width exponent) and the public-exponent path. */
static void check_modexp(int cases, size_t min_bits, size_t max_bits, uint64_t seed)
{
	static uint64_t m[BN_MAX_LIMBS], a[BN_MAX_LIMBS], e[BN_MAX_LIMBS], r[BN_MAX_LIMBS];
	static uint64_t tmp[BN_MAX_LIMBS];
	BN_CTX *bctx = BN_CTX_new();

	rng_state = seed;
	for (int it = 0; it < cases; it++) {
		size_t bits = rnd_range(min_bits, max_bits);
		size_t n = rnd_modulus(m, bits);
		BIGNUM *bm = to_ossl(m, n), *x, *y, *t = BN_new();

		if (bn_mont_init(&mont, m, n) != 0) {
			ktest_report_failure(__FILE__, __LINE__, "mont_init case %d", it);
			break;
		}
		rnd_below(a, m, n, bctx);
		rnd_bn(e, n);
		if (it % 16 == 1) {
			bn_zero(e, n);
		} else if (it % 16 == 2) {
			bn_set_word(e, n, 1);
		} else if (it % 16 == 3) {
			bn_sub_word(a, m, 1, n);
		} else if (it % 16 == 4) {
			bn_zero(a, n);
		}
		x = to_ossl(a, n);
		y = to_ossl(e, n);
		BN_mod_exp(t, x, y, bm, bctx);
		bn_mod_exp(&mont, r, a, e, &exp_ws);
		if (!ossl_eq(t, r, n)) {
			ktest_report_failure(__FILE__, __LINE__,
					     "mod_exp case %d (%zu bits, seed %llx)", it, bits,
					     (unsigned long long)seed);
		}
		/* Public path with a short exponent (RSA e-like). */
		{
			size_t el = rnd_range(1, 2);
			BN_free(y);
			y = to_ossl(e, el);
			BN_mod_exp(t, x, y, bm, bctx);
			bn_mod_exp_public(&mont, r, a, e, el, tmp);
			if (!ossl_eq(t, r, n)) {
				ktest_report_failure(__FILE__, __LINE__, "mod_exp_public case %d",
						     it);
			}
		}
		BN_free(bm);
		BN_free(x);
		BN_free(y);
		BN_free(t);
	}
	BN_CTX_free(bctx);
}

KTEST(crypto_bn, modexp)
{
	/* Most cases small (the cost grows with the cube of the size), a share at full size. */
	check_modexp(BN_TEST_MODEXP_SMALL, 256, 1024, 0x5005);
	check_modexp(BN_TEST_MODEXP_LARGE, 1025, 4096, 0x5006);
}

KTEST(crypto_bn, inverse_gcd_div)
{
	static uint64_t m[BN_MAX_LIMBS], a[BN_MAX_LIMBS], r[BN_MAX_LIMBS], q[2 * BN_MAX_LIMBS];
	static uint64_t w[2 * BN_MAX_LIMBS];
	BN_CTX *bctx = BN_CTX_new();

	rng_state = 0x6006;
	for (int it = 0; it < BN_TEST_INV; it++) {
		size_t bits = rnd_range(256, it % 10 == 0 ? 4096 : 1024);
		size_t n = rnd_modulus(m, bits);
		BIGNUM *bm = to_ossl(m, n), *x, *t = BN_new(), *u = BN_new();
		int rc;

		rnd_below(a, m, n, bctx);
		if (it % 20 == 1) { /* m = b * c and a = b: no inverse */
			uint64_t fb[BN_MAX_LIMBS / 2], fc[BN_MAX_LIMBS / 2];
			size_t hb = n / 2;

			rnd_bn(fb, hb);
			rnd_bn(fc, n - hb);
			fb[0] |= 3; /* odd and > 1 */
			fc[0] |= 1;
			bn_mul(w, fb, hb, fc, n - hb);
			memcpy(m, w, n * 8);
			bn_zero(a, n);
			memcpy(a, fb, hb * 8);
			BN_free(bm);
			bm = to_ossl(m, n);
		} else if (it % 20 == 2) {
			bn_set_word(a, n, 1);
		} else if (it % 20 == 3) {
			bn_sub_word(a, m, 1, n);
		}
		x = to_ossl(a, n);
		rc = bn_mod_inv_ct(r, a, m, n, &gen_ws);
		if (BN_mod_inverse(t, x, bm, bctx) != NULL) {
			if (rc != 0 || !ossl_eq(t, r, n)) {
				ktest_report_failure(__FILE__, __LINE__,
						     "inverse case %d (%zu bits)", it, bits);
			}
		} else {
			ERR_clear_error();
			EXPECT_EQ(rc, -1);
		}
		/* gcd of two random numbers (possibly even), with a common power of two sometimes;
		 * every 10th case (bn_gcd_ct costs 128n iterations of n-limb passes). */
		if (it % 10 == 0) {
			uint64_t b[BN_MAX_LIMBS];
			BIGNUM *y;

			rnd_bn(b, n);
			if (it % 3 == 0) {
				a[0] &= ~0xffull;
				b[0] &= ~0x3full;
			}
			if (it % 97 == 5) {
				bn_zero(b, n);
				b[0] = 0;
			}
			BN_free(x);
			x = to_ossl(a, n);
			y = to_ossl(b, n);
			if (!(BN_is_zero(x) && BN_is_zero(y))) {
				bn_gcd_ct(r, a, b, n, &gen_ws);
				BN_gcd(t, x, y, bctx);
				if (!ossl_eq(t, r, n)) {
					ktest_report_failure(__FILE__, __LINE__, "gcd case %d", it);
				}
			}
			BN_free(y);
		}
		/* Division of a 2n-limb number by an arbitrary (not necessarily odd) divisor. */
		if (it % 10 == 0) {
			size_t wl = rnd_range(1, 2 * n), dl = rnd_range(1, n);
			BIGNUM *bw, *bd;

			rnd_bn(w, wl);
			rnd_bn(a, dl);
			if (bn_zero_mask(a, dl)) {
				a[0] = 1;
			}
			bw = to_ossl(w, wl);
			bd = to_ossl(a, dl);
			EXPECT_EQ(bn_div_ct(q, r, w, wl, a, dl, &gen_ws), 0);
			BN_div(t, u, bw, bd, bctx);
			if (!ossl_eq(t, q, wl) || !ossl_eq(u, r, dl)) {
				ktest_report_failure(__FILE__, __LINE__, "div case %d", it);
			}
			bn_zero(a, dl);
			EXPECT_EQ(bn_div_ct(q, r, w, wl, a, dl, &gen_ws), -1);
			BN_free(bw);
			BN_free(bd);
		}
		BN_free(bm);
		BN_free(x);
		BN_free(t);
		BN_free(u);
	}
	BN_CTX_free(bctx);
}

KTEST(crypto_bn, shifts_ctz)
{
	uint64_t a[BN_MAX_LIMBS], r[BN_MAX_LIMBS];

	rng_state = 0x7007;
	for (int it = 0; it < 10000; it++) {
		size_t n = rnd_range(1, BN_MAX_LIMBS);
		uint64_t s = rnd64() % (64 * n);
		BIGNUM *x, *t = BN_new();

		rnd_bn(a, n);
		if (it % 7 == 0) {
			bn_zero(a, n);
			a[rnd_range(0, n - 1)] = 1ull << (rnd64() & 63);
		}
		x = to_ossl(a, n);
		bn_shr_ct(r, a, n, s);
		BN_rshift(t, x, (int)s);
		if (!ossl_eq(t, r, n)) {
			ktest_report_failure(__FILE__, __LINE__, "shr case %d", it);
		}
		bn_shl_ct(r, a, n, s);
		BN_lshift(t, x, (int)s);
		BN_mask_bits(t, (int)(64 * n));
		if (!ossl_eq(t, r, n)) {
			ktest_report_failure(__FILE__, __LINE__, "shl case %d", it);
		}
		if (!BN_is_zero(x)) {
			int tz = 0;
			while (!BN_is_bit_set(x, tz)) {
				tz++;
			}
			EXPECT_EQ(bn_ctz_ct(a, n), (uint64_t)tz);
		} else {
			EXPECT_EQ(bn_ctz_ct(a, n), 64 * n);
		}
		BN_free(x);
		BN_free(t);
	}
}

/* All-ones limbs: the modulus 2^(64n) - 1 and operands next to it. */
KTEST(crypto_bn, edges)
{
	static uint64_t m[BN_MAX_LIMBS], a[BN_MAX_LIMBS], e[BN_MAX_LIMBS], r[BN_MAX_LIMBS];
	BN_CTX *bctx = BN_CTX_new();

	for (size_t n = 1; n <= BN_MAX_LIMBS;
	     n = n * 2 + 1 > BN_MAX_LIMBS && n != BN_MAX_LIMBS ? BN_MAX_LIMBS : n * 2 + 1) {
		BIGNUM *bm, *x, *y, *t = BN_new();

		memset(m, 0xff, n * 8);
		ASSERT_EQ(bn_mont_init(&mont, m, n), 0);
		bn_sub_word(a, m, 1, n); /* m - 1 */
		memset(e, 0xff, n * 8);	 /* all-ones exponent */
		bn_mod_exp(&mont, r, a, e, &exp_ws);
		bm = to_ossl(m, n);
		x = to_ossl(a, n);
		y = to_ossl(e, n);
		BN_mod_exp(t, x, y, bm, bctx);
		EXPECT_TRUE(ossl_eq(t, r, n));
		bn_mont_mul(&mont, r, a, a);
		bn_mont_mul(&mont, r, r, mont.rr);
		BN_mod_mul(t, x, x, bm, bctx);
		EXPECT_TRUE(ossl_eq(t, r, n));
		/* 0^e = 0, 1^e = 1, x^0 = 1 */
		bn_zero(a, n);
		bn_mod_exp(&mont, r, a, e, &exp_ws);
		EXPECT_TRUE(bn_zero_mask(r, n) != 0);
		bn_set_word(a, n, 1);
		bn_mod_exp(&mont, r, a, e, &exp_ws);
		EXPECT_EQ(r[0], 1u);
		EXPECT_TRUE(bn_zero_mask(r + 1, n - 1) != 0);
		bn_zero(e, n);
		memset(a, 0x5a, n * 8);
		bn_mod_exp(&mont, r, a, e, &exp_ws);
		EXPECT_EQ(r[0], 1u);
		BN_free(bm);
		BN_free(x);
		BN_free(y);
		BN_free(t);
		if (n == BN_MAX_LIMBS) {
			break;
		}
	}
	/* Even modulus and bad sizes are refused. */
	m[0] = 4;
	EXPECT_EQ(bn_mont_init(&mont, m, 1), -1);
	m[0] = 5;
	m[1] = 0;
	EXPECT_EQ(bn_mont_init(&mont, m, 2), -1); /* top limb zero */
	EXPECT_EQ(bn_mont_init(&mont, m, 0), -1);
	EXPECT_EQ(bn_mont_init(&mont, m, BN_MAX_LIMBS + 1), -1);
	BN_CTX_free(bctx);
}
