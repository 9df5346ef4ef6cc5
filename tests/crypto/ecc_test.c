/*
 * crypto/ecc.h, ecdsa.h, ecdh.h: P-256 and P-384.
 *
 * Known answers: NIST CAVP FIPS 186-3 ECDSA files (KeyPair, PKV, SigGen, SigVer) and the SP
 * 800-56A ECC CDH validity files (KASValidityTest_ECCStaticUnified_NOKC_ZZOnly_*) from
 * python3-cryptography-vectors, and RFC 6979 A.2.5/A.2.6 (tests/crypto/data/rfc6979.txt).
 * Differential: against OpenSSL 3 (EVP), with keys, digests and nonces from a fixed-seed
 * PRNG (a failure prints the curve and iteration; the seed is ECC_TEST_SEED).
 * Malformed inputs: points off the curve or with coordinates >= p, the identity encoding,
 * r or s equal to 0 or >= n, private scalars 0 or >= n.
 */
#include "crypto/ecc.h"
#include "crypto/ecdh.h"
#include "crypto/ecdsa.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/crypto/vectors.h"
#include "tests/ktest/ktest.h"

#define ECC_TEST_SEED 0x6563635f74657374ull /* "ecc_test" */

/* Differential iteration counts per curve and direction. P-256 runs the full 10000 of every
 * check (ECDSA both ways, ECDH, public keys); P-384 (OpenSSL's P-384 is generic C, ours about
 * 3x slower than our P-256) gets fewer, so that the whole file stays near 60 s with
 * ASan/UBSan on this 2-core machine. */
#define DIFF_SIGN_P256 10000
#define DIFF_VERIFY_P256 10000
#define DIFF_ECDH_P256 10000
#define DIFF_PUB_P256 10000
#define DIFF_SIGN_P384 3000
#define DIFF_VERIFY_P384 2000
#define DIFF_ECDH_P384 1000
#define DIFF_PUB_P384 2000

/* ---- helpers ---------------------------------------------------------------------------- */

struct prng {
	uint64_t s;
};

static uint64_t prng_next(struct prng *p)
{
	/* splitmix64 */
	uint64_t z = (p->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void prng_bytes(struct prng *p, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (i % 8 == 0) {
			uint64_t v = prng_next(p);

			for (size_t j = 0; j < 8 && i + j < len; j++) {
				out[i + j] = (uint8_t)(v >> (8 * j));
			}
		}
	}
}

static int prng_rng_fn(void *ctx, uint8_t *out, size_t len)
{
	prng_bytes(ctx, out, len);
	return 0;
}

static int failing_rng_fn(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	memset(out, 0, len);
	return -1;
}

/* Always returns all-ones bytes (a candidate > n - 2 for both curves). */
static int ff_rng_fn(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	memset(out, 0xff, len);
	return 0;
}

static const struct ecc_curve *P256(void)
{
	return ecc_curve_get(ECC_P256);
}

static const struct ecc_curve *P384(void)
{
	return ecc_curve_get(ECC_P384);
}

static int curve_nid(const struct ecc_curve *c)
{
	return c->id == ECC_P256 ? NID_X9_62_prime256v1 : NID_secp384r1;
}

static const char *curve_ossl_name(const struct ecc_curve *c)
{
	return c->id == ECC_P256 ? "prime256v1" : "secp384r1";
}

/* Parses hex of any length (odd allowed) into len bytes, big-endian, left-padded. Returns 0,
 * or -1 if the value does not fit in len bytes or is not hex. */
static int hex_fixed(const char *hex, uint8_t *out, size_t len)
{
	size_t n = strlen(hex);
	char tmp[1024];
	uint8_t buf[512];
	size_t blen;

	if (n + 2 > sizeof(tmp)) {
		return -1;
	}
	if (n % 2 != 0) {
		tmp[0] = '0';
		memcpy(tmp + 1, hex, n + 1);
	} else {
		memcpy(tmp, hex, n + 1);
	}
	blen = vec_hex_str(tmp, buf, sizeof(buf));
	if (blen == (size_t)-1) {
		return -1;
	}
	while (blen > len) {
		if (buf[0] != 0) {
			return -1;
		}
		memmove(buf, buf + 1, --blen);
	}
	memset(out, 0, len - blen);
	memcpy(out + (len - blen), buf, blen);
	return 0;
}

static const EVP_MD *ossl_md(enum hash_id h)
{
	switch (h) {
	case HASH_SHA1:
		return EVP_sha1();
	case HASH_SHA256:
		return EVP_sha256();
	case HASH_SHA384:
		return EVP_sha384();
	case HASH_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

/* "SHA-256", "SHA256", "SHA-256]" ... -> id; -1 if not one of ours. */
static int hash_from_name(const char *s)
{
	if (strncmp(s, "SHA-", 4) == 0 || strncmp(s, "SHA", 3) == 0) {
		s += (s[3] == '-') ? 4 : 3;
		if (strncmp(s, "1", 1) == 0 && (s[1] == '\0' || s[1] == ']' || s[1] == ' ')) {
			return HASH_SHA1;
		}
		if (strncmp(s, "256", 3) == 0) {
			return HASH_SHA256;
		}
		if (strncmp(s, "384", 3) == 0) {
			return HASH_SHA384;
		}
		if (strncmp(s, "512", 3) == 0) {
			return HASH_SHA512;
		}
	}
	return -1;
}

static size_t digest_of(enum hash_id h, const uint8_t *msg, size_t len, uint8_t *out)
{
	unsigned int n = 0;

	if (EVP_Digest(msg, len, out, &n, ossl_md(h), NULL) != 1) {
		return 0;
	}
	return n;
}

static BIGNUM *bn_from(const uint8_t *b, size_t len)
{
	return BN_bin2bn(b, (int)len, NULL);
}

/* An OpenSSL EC key for (d or NULL, Q). */
static EVP_PKEY *ossl_key(const struct ecc_curve *c, const uint8_t *d, const uint8_t *qx,
			  const uint8_t *qy)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;
	uint8_t pub[ECC_MAX_POINT_ENC];
	BIGNUM *priv = NULL;
	int plen = ecc_point_encode(c, qx, qy, pub, sizeof(pub));

	if (bld == NULL || ctx == NULL || plen < 0) {
		goto out;
	}
	OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve_ossl_name(c), 0);
	OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, (size_t)plen);
	if (d != NULL) {
		priv = bn_from(d, c->bytes);
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv);
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	if (params == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, d != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
			      params) != 1) {
		pkey = NULL;
	}
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_clear_free(priv);
	return pkey;
}

/* Q = d G by OpenSSL's EC_POINT_mul. Returns 0 or -1. */
static int ossl_pub(const struct ecc_curve *c, const uint8_t *d, uint8_t *qx, uint8_t *qy)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(curve_nid(c));
	EC_POINT *q = g != NULL ? EC_POINT_new(g) : NULL;
	BIGNUM *bd = bn_from(d, c->bytes), *x = BN_new(), *y = BN_new();
	int rc = -1;

	if (q != NULL && EC_POINT_mul(g, q, bd, NULL, NULL, NULL) == 1 &&
	    EC_POINT_get_affine_coordinates(g, q, x, y, NULL) == 1 &&
	    BN_bn2binpad(x, qx, (int)c->bytes) > 0 && BN_bn2binpad(y, qy, (int)c->bytes) > 0) {
		rc = 0;
	}
	BN_free(x);
	BN_free(y);
	BN_clear_free(bd);
	EC_POINT_free(q);
	EC_GROUP_free(g);
	return rc;
}

/* OpenSSL ECDSA signature of a digest, as fixed-length r, s. Returns 0 or -1. */
static int ossl_sign(const struct ecc_curve *c, EVP_PKEY *key, const uint8_t *dg, size_t dlen,
		     uint8_t *r, uint8_t *s)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	uint8_t der[160];
	size_t derlen = sizeof(der);
	const unsigned char *p = der;
	ECDSA_SIG *sig = NULL;
	int rc = -1;

	if (ctx != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
	    EVP_PKEY_sign(ctx, der, &derlen, dg, dlen) == 1 &&
	    (sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) != NULL &&
	    BN_bn2binpad(ECDSA_SIG_get0_r(sig), r, (int)c->bytes) > 0 &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(sig), s, (int)c->bytes) > 0) {
		rc = 0;
	}
	ECDSA_SIG_free(sig);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* OpenSSL ECDSA verification: 1 valid, 0 invalid, -1 error. */
static int ossl_verify(const struct ecc_curve *c, EVP_PKEY *key, const uint8_t *dg, size_t dlen,
		       const uint8_t *r, const uint8_t *s)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	ECDSA_SIG *sig = ECDSA_SIG_new();
	unsigned char *der = NULL;
	int derlen, rc = -1;

	if (ctx == NULL || sig == NULL ||
	    ECDSA_SIG_set0(sig, bn_from(r, c->bytes), bn_from(s, c->bytes)) != 1) {
		goto out;
	}
	derlen = i2d_ECDSA_SIG(sig, &der);
	if (derlen <= 0 || EVP_PKEY_verify_init(ctx) != 1) {
		goto out;
	}
	rc = EVP_PKEY_verify(ctx, der, (size_t)derlen, dg, dlen) == 1 ? 1 : 0;
out:
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* OpenSSL ECDH: z = x(d_a * Q_b). Returns 0 or -1. */
static int ossl_ecdh(const struct ecc_curve *c, EVP_PKEY *a, EVP_PKEY *b, uint8_t *z)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(a, NULL);
	size_t zlen = c->bytes;
	int rc = -1;

	if (ctx != NULL && EVP_PKEY_derive_init(ctx) == 1 &&
	    EVP_PKEY_derive_set_peer(ctx, b) == 1 && EVP_PKEY_derive(ctx, z, &zlen) == 1 &&
	    zlen == c->bytes) {
		rc = 0;
	}
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* A random private scalar in [1, n-1] (our keygen is tested separately). */
static void random_scalar(const struct ecc_curve *c, struct prng *p, uint8_t *d)
{
	struct ecc_scalar s;

	do {
		prng_bytes(p, d, c->bytes);
		/* Make some scalars short or with leading zero limbs: edge cases of the windows. */
		if ((prng_next(p) & 15) == 0) {
			memset(d, 0, c->bytes / 2);
		}
	} while (ecc_scalar_load(c, &s, d) == 0);
}

static const struct ecc_curve *curve_from_text(const char *s)
{
	if (strncmp(s, "P-256", 5) == 0) {
		return P256();
	}
	if (strncmp(s, "P-384", 5) == 0) {
		return P384();
	}
	return NULL;
}

/* ---- curve parameters ------------------------------------------------------------------- */

KTEST(crypto_ecc, params_match_openssl)
{
	const struct ecc_curve *cs[] = { P256(), P384() };

	EXPECT_NULL(ecc_curve_get(ECC_CURVE_COUNT));
	for (size_t i = 0; i < 2; i++) {
		const struct ecc_curve *c = cs[i];
		EC_GROUP *g = EC_GROUP_new_by_curve_name(curve_nid(c));
		BIGNUM *p = BN_new(), *a = BN_new(), *b = BN_new(), *gx = BN_new(), *gy = BN_new();
		uint8_t want[ECC_MAX_BYTES], got[ECC_MAX_BYTES], d[ECC_MAX_BYTES];
		uint8_t qx[ECC_MAX_BYTES], qy[ECC_MAX_BYTES], x2[ECC_MAX_BYTES], y2[ECC_MAX_BYTES];
		struct ecc_scalar s;

		ASSERT_NOT_NULL(g);
		ASSERT_EQ(EC_GROUP_get_curve(g, p, a, b, NULL), 1);
		EXPECT_EQ(ecc_curve_bytes(c), c->id == ECC_P256 ? 32u : 48u);
		/* p and n limbs. */
		BN_bn2binpad(p, want, (int)c->bytes);
		for (unsigned int j = 0; j < c->limbs; j++) {
			for (unsigned int k = 0; k < 8; k++) {
				got[c->bytes - 1 - (8 * j + k)] = (uint8_t)(c->p[j] >> (8 * k));
			}
		}
		EXPECT_MEMEQ(got, want, c->bytes);
		BN_bn2binpad(EC_GROUP_get0_order(g), want, (int)c->bytes);
		memset(&s, 0, sizeof(s));
		for (unsigned int j = 0; j < c->limbs; j++) {
			s.w[j] = c->n[j];
		}
		ecc_scalar_store(c, got, &s);
		EXPECT_MEMEQ(got, want, c->bytes);
		/* The derived Montgomery constants: -m^-1 mod 2^64, R^2 mod m, R mod p. */
		EXPECT_EQ(c->p0inv * c->p[0] + 1, 0u);
		EXPECT_EQ(c->n0inv * c->n[0] + 1, 0u);
		{
			BN_CTX *bctx = BN_CTX_new();
			BIGNUM *rr = BN_new(), *one = BN_new();
			const BIGNUM *mods[2] = { p, EC_GROUP_get0_order(g) };
			const uint64_t *limbs[3] = { c->rr_p, c->rr_n, c->one_p };

			for (int m = 0; m < 3; m++) {
				BN_one(one);
				BN_lshift(one, one, (int)(64 * c->limbs * (m < 2 ? 2 : 1)));
				BN_nnmod(rr, one, mods[m == 1], bctx);
				BN_bn2binpad(rr, want, (int)c->bytes);
				for (unsigned int j = 0; j < c->limbs; j++) {
					for (unsigned int k = 0; k < 8; k++) {
						got[c->bytes - 1 - (8 * j + k)] =
							(uint8_t)(limbs[m][j] >> (8 * k));
					}
				}
				EXPECT_MEMEQ(got, want, c->bytes);
			}
			BN_free(rr);
			BN_free(one);
			BN_CTX_free(bctx);
		}
		/* G = 1 * G, and b through point validation of G. */
		EC_POINT_get_affine_coordinates(g, EC_GROUP_get0_generator(g), gx, gy, NULL);
		BN_bn2binpad(gx, want, (int)c->bytes);
		memset(d, 0, sizeof(d));
		d[c->bytes - 1] = 1;
		EXPECT_EQ(ecc_public_from_private(c, d, qx, qy), 0);
		EXPECT_MEMEQ(qx, want, c->bytes);
		BN_bn2binpad(gy, want, (int)c->bytes);
		EXPECT_MEMEQ(qy, want, c->bytes);
		EXPECT_EQ(ecc_point_check(c, qx, qy), 0);
		/* (n - 1) G = -G, (n - 2) G = -2G: the top of the scalar range. */
		for (unsigned int k = 1; k <= 2; k++) {
			uint8_t ox[ECC_MAX_BYTES], oy[ECC_MAX_BYTES];

			BN_bn2binpad(EC_GROUP_get0_order(g), d, (int)c->bytes);
			d[c->bytes - 1] = (uint8_t)(d[c->bytes - 1] - k);
			EXPECT_EQ(ecc_public_from_private(c, d, x2, y2), 0);
			EXPECT_EQ(ossl_pub(c, d, ox, oy), 0);
			EXPECT_MEMEQ(x2, ox, c->bytes);
			EXPECT_MEMEQ(y2, oy, c->bytes);
		}
		BN_free(p);
		BN_free(a);
		BN_free(b);
		BN_free(gx);
		BN_free(gy);
		EC_GROUP_free(g);
	}
}

/* ---- scalar arithmetic against OpenSSL BN ------------------------------------------------ */

KTEST(crypto_ecc, scalar_arith_vs_bn)
{
	struct prng pr = { ECC_TEST_SEED ^ 1 };
	const struct ecc_curve *cs[] = { P256(), P384() };
	BN_CTX *bctx = BN_CTX_new();

	for (size_t ci = 0; ci < 2; ci++) {
		const struct ecc_curve *c = cs[ci];
		EC_GROUP *g = EC_GROUP_new_by_curve_name(curve_nid(c));
		const BIGNUM *n = EC_GROUP_get0_order(g);

		for (int it = 0; it < 2000; it++) {
			uint8_t ab[ECC_MAX_BYTES], bb[ECC_MAX_BYTES], out[ECC_MAX_BYTES];
			uint8_t want[ECC_MAX_BYTES], dg[80];
			struct ecc_scalar a, b, r;
			BIGNUM *A, *B, *R = BN_new();
			size_t dlen = (size_t)(prng_next(&pr) % 80);

			random_scalar(c, &pr, ab);
			random_scalar(c, &pr, bb);
			if (it == 0) {
				/* n - 1 twice: the largest operands. */
				BN_bn2binpad(n, ab, (int)c->bytes);
				ab[c->bytes - 1]--;
				memcpy(bb, ab, c->bytes);
			}
			ecc_scalar_load(c, &a, ab);
			ecc_scalar_load(c, &b, bb);
			A = bn_from(ab, c->bytes);
			B = bn_from(bb, c->bytes);

			ecc_scalar_mul(c, &r, &a, &b);
			ecc_scalar_store(c, out, &r);
			BN_mod_mul(R, A, B, n, bctx);
			BN_bn2binpad(R, want, (int)c->bytes);
			EXPECT_MEMEQ(out, want, c->bytes);

			ecc_scalar_add(c, &r, &a, &b);
			ecc_scalar_store(c, out, &r);
			BN_mod_add(R, A, B, n, bctx);
			BN_bn2binpad(R, want, (int)c->bytes);
			EXPECT_MEMEQ(out, want, c->bytes);

			ecc_scalar_inv(c, &r, &a);
			ecc_scalar_store(c, out, &r);
			BN_mod_inverse(R, A, n, bctx);
			BN_bn2binpad(R, want, (int)c->bytes);
			EXPECT_MEMEQ(out, want, c->bytes);

			/* bits2int + mod n of a digest of any length (0..79 bytes). */
			prng_bytes(&pr, dg, dlen);
			if (it % 7 == 0) {
				memset(dg, 0xff, dlen);
			}
			ecc_scalar_from_digest(c, &r, dg, dlen);
			ecc_scalar_store(c, out, &r);
			BN_free(A);
			A = bn_from(dg, dlen < c->bytes ? dlen : c->bytes);
			BN_nnmod(R, A, n, bctx);
			BN_bn2binpad(R, want, (int)c->bytes);
			EXPECT_MEMEQ(out, want, c->bytes);
			BN_free(A);
			BN_free(B);
			BN_free(R);
		}
		EC_GROUP_free(g);
	}
	BN_CTX_free(bctx);
}

/* ---- NIST CAVP known answers ------------------------------------------------------------- */

KTEST(crypto_ecc, cavp_keypair)
{
	struct vec_file f;
	unsigned int count[2] = { 0, 0 };

	ASSERT_EQ(vec_open(&f, "asymmetric/ECDSA/FIPS_186-3/KeyPair.rsp"), 0);
	while (vec_next(&f)) {
		const char *dh = vec_get(&f, "d");
		const struct ecc_curve *c;
		uint8_t d[ECC_MAX_BYTES], qx[ECC_MAX_BYTES], qy[ECC_MAX_BYTES];
		uint8_t x[ECC_MAX_BYTES], y[ECC_MAX_BYTES];

		/* The curve headers are followed by a method header before the records, so the
		 * curve is recognised by the private key's length: 64 hex digits only for P-256
		 * and 96 only for P-384 in this file (the count below checks it). */
		if (dh == NULL || (strlen(dh) != 64 && strlen(dh) != 96)) {
			continue;
		}
		c = strlen(dh) == 64 ? P256() : P384();
		ASSERT_EQ(hex_fixed(dh, d, c->bytes), 0);
		ASSERT_EQ(hex_fixed(vec_get(&f, "Qx"), qx, c->bytes), 0);
		ASSERT_EQ(hex_fixed(vec_get(&f, "Qy"), qy, c->bytes), 0);
		EXPECT_EQ(ecc_public_from_private(c, d, x, y), 0);
		EXPECT_MEMEQ(x, qx, c->bytes);
		EXPECT_MEMEQ(y, qy, c->bytes);
		EXPECT_EQ(ecc_point_check(c, qx, qy), 0);
		count[c->id]++;
	}
	vec_close(&f);
	EXPECT_EQ(count[ECC_P256], 10u);
	EXPECT_EQ(count[ECC_P384], 10u);
}

KTEST(crypto_ecc, cavp_pkv)
{
	struct vec_file f;
	unsigned int n = 0, fails = 0;

	ASSERT_EQ(vec_open(&f, "asymmetric/ECDSA/FIPS_186-3/PKV.rsp"), 0);
	while (vec_next(&f)) {
		const struct ecc_curve *c = curve_from_text(f.section);
		const char *res = vec_get(&f, "Result");
		uint8_t qx[ECC_MAX_BYTES], qy[ECC_MAX_BYTES];
		bool want, got;

		if (c == NULL || res == NULL) {
			continue;
		}
		want = res[0] == 'P';
		/* A coordinate longer than the curve's size cannot even be passed in (the API
		 * takes fixed-length strings): that is a rejection. */
		if (hex_fixed(vec_get(&f, "Qx"), qx, c->bytes) != 0 ||
		    hex_fixed(vec_get(&f, "Qy"), qy, c->bytes) != 0) {
			got = false;
		} else {
			got = ecc_point_check(c, qx, qy) == 0;
		}
		if (got != want) {
			ktest_report_failure(__FILE__, __LINE__, "PKV %s line %u: want %s", c->name,
					     f.line_no, res);
		}
		n++;
		fails += want ? 0 : 1;
	}
	vec_close(&f);
	EXPECT_EQ(n, 24u);
	EXPECT_EQ(fails, 16u);
}

KTEST(crypto_ecc, cavp_siggen)
{
	struct vec_file f;
	unsigned int n = 0;

	ASSERT_EQ(vec_open(&f, "asymmetric/ECDSA/FIPS_186-3/SigGen.txt"), 0);
	while (vec_next(&f)) {
		const struct ecc_curve *c = curve_from_text(f.section);
		const char *comma = strchr(f.section, ',');
		int h = comma != NULL ? hash_from_name(comma + 1) : -1;
		uint8_t msg[1024], dg[HASH_MAX_DIGEST_SIZE], d[ECC_MAX_BYTES], k[ECC_MAX_BYTES];
		uint8_t qx[ECC_MAX_BYTES], qy[ECC_MAX_BYTES], r[ECC_MAX_BYTES], s[ECC_MAX_BYTES];
		uint8_t x[ECC_MAX_BYTES], y[ECC_MAX_BYTES], r2[ECC_MAX_BYTES], s2[ECC_MAX_BYTES];
		size_t mlen, dlen;

		if (c == NULL || (h != HASH_SHA256 && h != HASH_SHA384 && h != HASH_SHA512) ||
		    vec_get(&f, "Msg") == NULL) {
			continue;
		}
		mlen = vec_hex(&f, "Msg", msg, sizeof(msg));
		ASSERT_NE(mlen, (size_t)-1);
		dlen = digest_of((enum hash_id)h, msg, mlen, dg);
		ASSERT_NE(dlen, 0u);
		ASSERT_EQ(hex_fixed(vec_get(&f, "d"), d, c->bytes), 0);
		ASSERT_EQ(hex_fixed(vec_get(&f, "k"), k, c->bytes), 0);
		ASSERT_EQ(hex_fixed(vec_get(&f, "Qx"), qx, c->bytes), 0);
		ASSERT_EQ(hex_fixed(vec_get(&f, "Qy"), qy, c->bytes), 0);
		ASSERT_EQ(hex_fixed(vec_get(&f, "R"), r, c->bytes), 0);
		ASSERT_EQ(hex_fixed(vec_get(&f, "S"), s, c->bytes), 0);
		EXPECT_EQ(ecc_public_from_private(c, d, x, y), 0);
		EXPECT_MEMEQ(x, qx, c->bytes);
		EXPECT_MEMEQ(y, qy, c->bytes);
		EXPECT_EQ(ecdsa_sign_with_k(c, d, k, dg, dlen, r2, s2), 0);
		EXPECT_MEMEQ(r2, r, c->bytes);
		EXPECT_MEMEQ(s2, s, c->bytes);
		EXPECT_EQ(ecdsa_verify(c, qx, qy, dg, dlen, r, s), 0);
		n++;
	}
	vec_close(&f);
	/* 15 records per (curve, hash) pair: P-256 and P-384 with SHA-256/384/512. */
	EXPECT_EQ(n, 90u);
}

KTEST(crypto_ecc, cavp_sigver)
{
	struct vec_file f;
	unsigned int n = 0, fails = 0;

	ASSERT_EQ(vec_open(&f, "asymmetric/ECDSA/FIPS_186-3/SigVer.rsp"), 0);
	while (vec_next(&f)) {
		const struct ecc_curve *c = curve_from_text(f.section);
		const char *comma = strchr(f.section, ',');
		int h = comma != NULL ? hash_from_name(comma + 1) : -1;
		const char *res = vec_get(&f, "Result");
		uint8_t msg[1024], dg[HASH_MAX_DIGEST_SIZE];
		uint8_t qx[ECC_MAX_BYTES], qy[ECC_MAX_BYTES], r[ECC_MAX_BYTES], s[ECC_MAX_BYTES];
		size_t mlen, dlen;
		bool want, got;

		if (c == NULL || (h != HASH_SHA256 && h != HASH_SHA384 && h != HASH_SHA512) ||
		    res == NULL) {
			continue;
		}
		mlen = vec_hex(&f, "Msg", msg, sizeof(msg));
		ASSERT_NE(mlen, (size_t)-1);
		dlen = digest_of((enum hash_id)h, msg, mlen, dg);
		want = res[0] == 'P';
		if (hex_fixed(vec_get(&f, "Qx"), qx, c->bytes) != 0 ||
		    hex_fixed(vec_get(&f, "Qy"), qy, c->bytes) != 0 ||
		    hex_fixed(vec_get(&f, "R"), r, c->bytes) != 0 ||
		    hex_fixed(vec_get(&f, "S"), s, c->bytes) != 0) {
			got = false;
		} else {
			got = ecdsa_verify(c, qx, qy, dg, dlen, r, s) == 0;
		}
		if (got != want) {
			ktest_report_failure(__FILE__, __LINE__, "SigVer [%s] line %u: want %s",
					     f.section, f.line_no, res);
		}
		n++;
		fails += want ? 0 : 1;
	}
	vec_close(&f);
	EXPECT_EQ(n, 90u);
	EXPECT_GT(fails, 0u);
	ktest_print("  SigVer: %u records (%u must fail)\n", n, fails);
}

static void run_kas_file(const char *path, unsigned int *n, unsigned int *fails)
{
	struct vec_file f;

	if (vec_open(&f, path) != 0) {
		ktest_report_failure(__FILE__, __LINE__, "cannot open %s", path);
		return;
	}
	while (vec_next(&f)) {
		const struct ecc_curve *c;
		const char *res = vec_get(&f, "Result");
		uint8_t dcavs[ECC_MAX_BYTES], qcx[ECC_MAX_BYTES], qcy[ECC_MAX_BYTES];
		uint8_t diut[ECC_MAX_BYTES], qix[ECC_MAX_BYTES], qiy[ECC_MAX_BYTES];
		uint8_t z[ECC_MAX_BYTES], z2[ECC_MAX_BYTES], x[ECC_MAX_BYTES], y[ECC_MAX_BYTES];
		bool want, got;

		/* [EC - SHA256] is P-256, [ED - SHA384] is P-384 (the file's header says so). */
		if (strncmp(f.section, "EC -", 4) == 0) {
			c = P256();
		} else if (strncmp(f.section, "ED -", 4) == 0) {
			c = P384();
		} else {
			continue;
		}
		if (res == NULL) {
			continue;
		}
		want = res[0] == 'P';
		if (hex_fixed(vec_get(&f, "dsCAVS"), dcavs, c->bytes) != 0 ||
		    hex_fixed(vec_get(&f, "QsCAVSx"), qcx, c->bytes) != 0 ||
		    hex_fixed(vec_get(&f, "QsCAVSy"), qcy, c->bytes) != 0 ||
		    hex_fixed(vec_get(&f, "dsIUT"), diut, c->bytes) != 0 ||
		    hex_fixed(vec_get(&f, "QsIUTx"), qix, c->bytes) != 0 ||
		    hex_fixed(vec_get(&f, "QsIUTy"), qiy, c->bytes) != 0 ||
		    hex_fixed(vec_get(&f, "Z"), z, c->bytes) != 0) {
			got = false;
		} else {
			/* As the IUT: our key pair must be consistent, the peer's key valid, and
			 * Z = x(dsIUT * QsCAVS) must be the recorded one. */
			int rc_pub = ecc_public_from_private(c, diut, x, y);
			bool pub_ok = rc_pub == 0 && memcmp(x, qix, c->bytes) == 0 &&
				      memcmp(y, qiy, c->bytes) == 0;
			int rc = ecdh_shared_secret(c, diut, qcx, qcy, z2);

			got = pub_ok && rc == 0 && memcmp(z2, z, c->bytes) == 0;
			if (rc != 0) {
				uint8_t zero[ECC_MAX_BYTES] = { 0 };

				EXPECT_EQ(rc, ECC_ERR_POINT);
				EXPECT_MEMEQ(z2, zero, c->bytes);
			}
			/* The CAVS side agrees whenever both keys are valid. */
			if (got) {
				EXPECT_EQ(ecdh_shared_secret(c, dcavs, qix, qiy, z2), 0);
				EXPECT_MEMEQ(z2, z, c->bytes);
			}
		}
		if (got != want) {
			ktest_report_failure(__FILE__, __LINE__, "%s [%s] line %u: want %s", path,
					     f.section, f.line_no, res);
		}
		(*n)++;
		*fails += want ? 0 : 1;
	}
	vec_close(&f);
}

KTEST(crypto_ecc, cavp_ecdh_zz)
{
	unsigned int n = 0, fails = 0;

	run_kas_file("asymmetric/ECDH/KASValidityTest_ECCStaticUnified_NOKC_ZZOnly_init.fax", &n,
		     &fails);
	run_kas_file("asymmetric/ECDH/KASValidityTest_ECCStaticUnified_NOKC_ZZOnly_resp.fax", &n,
		     &fails);
	EXPECT_EQ(n, 120u);
	EXPECT_GT(fails, 0u);
	ktest_print("  ECDH ZZOnly: %u records (%u must fail)\n", n, fails);
}

/* ---- RFC 6979 ---------------------------------------------------------------------------- */

/* tests/crypto/data/ files are in this repository, not in the vectors package: opened
 * relative to the working directory (the repository root, where the tests run), or to
 * $BASTION_SRC. */
static int open_data(struct vec_file *f, const char *name)
{
	const char *src = getenv("BASTION_SRC");

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s/tests/crypto/data/%s", src != NULL ? src : ".",
		 name);
	f->line = malloc(VEC_LINE_MAX);
	f->fp = fopen(f->path, "r");
	if (f->line == NULL || f->fp == NULL) {
		printf("  cannot open %s (run from the repository root or set BASTION_SRC)\n",
		       f->path);
		vec_close(f);
		return -1;
	}
	return 0;
}

KTEST(crypto_ecc, rfc6979)
{
	struct vec_file f;
	unsigned int n = 0;

	ASSERT_EQ(open_data(&f, "rfc6979.txt"), 0);
	while (vec_next(&f)) {
		const struct ecc_curve *c = curve_from_text(vec_get(&f, "Curve"));
		int h = hash_from_name(vec_get(&f, "Hash"));
		const char *msg = vec_get(&f, "Message");
		uint8_t d[ECC_MAX_BYTES], ux[ECC_MAX_BYTES], uy[ECC_MAX_BYTES], k[ECC_MAX_BYTES];
		uint8_t r[ECC_MAX_BYTES], s[ECC_MAX_BYTES], x[ECC_MAX_BYTES], y[ECC_MAX_BYTES];
		uint8_t r2[ECC_MAX_BYTES], s2[ECC_MAX_BYTES], k2[ECC_MAX_BYTES];
		uint8_t dg[HASH_MAX_DIGEST_SIZE];
		struct ecdsa_rfc6979 st;
		EVP_PKEY *key;
		size_t dlen;

		ASSERT_NOT_NULL(c);
		ASSERT_GE(h, 0);
		ASSERT_NOT_NULL(msg);
		ASSERT_EQ(hex_fixed(vec_get(&f, "X"), d, c->bytes), 0);
		ASSERT_EQ(hex_fixed(vec_get(&f, "Ux"), ux, c->bytes), 0);
		ASSERT_EQ(hex_fixed(vec_get(&f, "Uy"), uy, c->bytes), 0);
		ASSERT_EQ(hex_fixed(vec_get(&f, "K"), k, c->bytes), 0);
		ASSERT_EQ(hex_fixed(vec_get(&f, "R"), r, c->bytes), 0);
		ASSERT_EQ(hex_fixed(vec_get(&f, "S"), s, c->bytes), 0);
		dlen = digest_of((enum hash_id)h, (const uint8_t *)msg, strlen(msg), dg);

		EXPECT_EQ(ecc_public_from_private(c, d, x, y), 0);
		EXPECT_MEMEQ(x, ux, c->bytes);
		EXPECT_MEMEQ(y, uy, c->bytes);
		/* The nonce itself, then the whole signature. */
		ASSERT_EQ(ecdsa_rfc6979_init(&st, c, (enum hash_id)h, d, dg, dlen), 0);
		ecdsa_rfc6979_next(&st, k2);
		ecdsa_rfc6979_wipe(&st);
		EXPECT_MEMEQ(k2, k, c->bytes);
		EXPECT_EQ(ecdsa_sign(c, (enum hash_id)h, d, dg, dlen, r2, s2), 0);
		EXPECT_MEMEQ(r2, r, c->bytes);
		EXPECT_MEMEQ(s2, s, c->bytes);
		EXPECT_EQ(ecdsa_verify(c, ux, uy, dg, dlen, r, s), 0);
		/* The published values are also a valid signature for OpenSSL. */
		key = ossl_key(c, NULL, ux, uy);
		ASSERT_NOT_NULL(key);
		EXPECT_EQ(ossl_verify(c, key, dg, dlen, r, s), 1);
		EVP_PKEY_free(key);
		n++;
	}
	vec_close(&f);
	EXPECT_EQ(n, 16u);
}

/* RFC 6979 step h.3: a rejected candidate is followed by K = HMAC_K(V || 00), V = HMAC_K(V).
 * Checked against a direct transcription with OpenSSL's HMAC. */
KTEST(crypto_ecc, rfc6979_second_candidate)
{
	const struct ecc_curve *c = P256();
	uint8_t d[32], dg[32], k1[32], k2[32], K[32], V[32], buf[32 + 1 + 64], want[32];
	unsigned int len;
	struct ecdsa_rfc6979 st;
	struct prng pr = { ECC_TEST_SEED ^ 2 };
	struct ecc_scalar z;

	random_scalar(c, &pr, d);
	prng_bytes(&pr, dg, sizeof(dg));
	ASSERT_EQ(ecdsa_rfc6979_init(&st, c, HASH_SHA256, d, dg, 32), 0);
	ecdsa_rfc6979_next(&st, k1);
	ecdsa_rfc6979_next(&st, k2);
	ecdsa_rfc6979_wipe(&st);

	memset(V, 0x01, 32);
	memset(K, 0x00, 32);
	ecc_scalar_from_digest(c, &z, dg, 32);
	for (int round = 0; round < 2; round++) {
		memcpy(buf, V, 32);
		buf[32] = (uint8_t)round;
		memcpy(buf + 33, d, 32);
		ecc_scalar_store(c, buf + 65, &z);
		HMAC(EVP_sha256(), K, 32, buf, 97, K, &len);
		HMAC(EVP_sha256(), K, 32, V, 32, V, &len);
	}
	HMAC(EVP_sha256(), K, 32, V, 32, V, &len);
	EXPECT_MEMEQ(k1, V, 32);
	memcpy(buf, V, 32);
	buf[32] = 0;
	HMAC(EVP_sha256(), K, 32, buf, 33, K, &len);
	HMAC(EVP_sha256(), K, 32, V, 32, V, &len);
	HMAC(EVP_sha256(), K, 32, V, 32, want, &len);
	EXPECT_MEMEQ(k2, want, 32);
}

/* ---- malformed inputs -------------------------------------------------------------------- */

static void bump(uint8_t *b, size_t len, unsigned int add)
{
	for (size_t i = len; i-- > 0 && add != 0;) {
		unsigned int v = b[i] + add;

		b[i] = (uint8_t)v;
		add = v >> 8;
	}
}

KTEST(crypto_ecc, reject_bad_points)
{
	const struct ecc_curve *cs[] = { P256(), P384() };

	for (size_t ci = 0; ci < 2; ci++) {
		const struct ecc_curve *c = cs[ci];
		EC_GROUP *g = EC_GROUP_new_by_curve_name(curve_nid(c));
		BIGNUM *bp = BN_new(), *bx = BN_new(), *by = BN_new();
		uint8_t gx[ECC_MAX_BYTES], gy[ECC_MAX_BYTES], p[ECC_MAX_BYTES], t[ECC_MAX_BYTES];
		uint8_t d[ECC_MAX_BYTES], ox[ECC_MAX_BYTES], oy[ECC_MAX_BYTES], z[ECC_MAX_BYTES];
		uint8_t enc[ECC_MAX_POINT_ENC], x[ECC_MAX_BYTES], y[ECC_MAX_BYTES];
		uint8_t ff[ECC_MAX_BYTES], zero[ECC_MAX_BYTES] = { 0 };
		uint8_t r[ECC_MAX_BYTES], s[ECC_MAX_BYTES], dg[32] = { 1, 2, 3 };
		EC_POINT *pt = EC_POINT_new(g);
		int found = 0;

		memset(ff, 0xff, sizeof(ff));
		EC_GROUP_get_curve(g, bp, NULL, NULL, NULL);
		BN_bn2binpad(bp, p, (int)c->bytes);
		memset(d, 0, sizeof(d));
		d[c->bytes - 1] = 1;
		ASSERT_EQ(ecc_public_from_private(c, d, gx, gy), 0);
		d[c->bytes - 1] = 7;

		/* Off the curve: y + 1, x + 1, (0, 0), (0, y), (x, 0). */
		memcpy(t, gy, c->bytes);
		bump(t, c->bytes, 1);
		EXPECT_EQ(ecc_point_check(c, gx, t), ECC_ERR_POINT);
		memcpy(t, gx, c->bytes);
		bump(t, c->bytes, 1);
		EXPECT_EQ(ecc_point_check(c, t, gy), ECC_ERR_POINT);
		EXPECT_EQ(ecc_point_check(c, zero, zero), ECC_ERR_POINT);
		EXPECT_EQ(ecc_point_check(c, zero, gy), ECC_ERR_POINT);
		EXPECT_EQ(ecc_point_check(c, gx, zero), ECC_ERR_POINT);
		/* Coordinates >= p: p itself, p + 1, all-ones. */
		EXPECT_EQ(ecc_point_check(c, p, gy), ECC_ERR_POINT);
		EXPECT_EQ(ecc_point_check(c, gx, p), ECC_ERR_POINT);
		memcpy(t, p, c->bytes);
		bump(t, c->bytes, 1);
		EXPECT_EQ(ecc_point_check(c, t, gy), ECC_ERR_POINT);
		EXPECT_EQ(ecc_point_check(c, gx, t), ECC_ERR_POINT);
		EXPECT_EQ(ecc_point_check(c, ff, ff), ECC_ERR_POINT);
		/* A point with a small x: (x + p, y) is congruent to a valid point and must still
		 * be rejected because x + p >= p. */
		for (unsigned int sx = 0; sx < 64 && !found; sx++) {
			BN_set_word(bx, sx);
			if (EC_POINT_set_compressed_coordinates(g, pt, bx, 0, NULL) == 1) {
				EC_POINT_get_affine_coordinates(g, pt, bx, by, NULL);
				BN_bn2binpad(bx, x, (int)c->bytes);
				BN_bn2binpad(by, y, (int)c->bytes);
				found = 1;
			}
		}
		ERR_clear_error();
		ASSERT_TRUE(found);
		EXPECT_EQ(ecc_point_check(c, x, y), 0);
		memcpy(t, p, c->bytes);
		bump(t, c->bytes, x[c->bytes - 1]);
		EXPECT_EQ(ecc_point_check(c, t, y), ECC_ERR_POINT);
		EXPECT_EQ(ecdh_shared_secret(c, d, t, y, z), ECC_ERR_POINT);
		EXPECT_MEMEQ(z, zero, c->bytes);

		/* The same rejections through every entry point that takes a point. */
		memcpy(t, gy, c->bytes);
		bump(t, c->bytes, 1);
		EXPECT_EQ(ecdh_shared_secret(c, d, gx, t, z), ECC_ERR_POINT);
		EXPECT_MEMEQ(z, zero, c->bytes);
		EXPECT_EQ(ecdh_shared_secret(c, d, p, gy, z), ECC_ERR_POINT);
		EXPECT_EQ(ecc_point_mul(c, d, gx, t, ox, oy), ECC_ERR_POINT);
		EXPECT_EQ(ecdsa_sign(c, HASH_SHA256, d, dg, 32, r, s), 0);
		EXPECT_EQ(ecdsa_verify(c, gx, t, dg, 32, r, s), ECC_ERR_POINT);
		EXPECT_EQ(ecdsa_verify(c, zero, zero, dg, 32, r, s), ECC_ERR_POINT);

		/* Encoding: 04 || x || y round trip; identity (00), compressed prefixes, bad
		 * lengths and off-curve points rejected by decode. */
		EXPECT_EQ(ecc_point_encode(c, gx, gy, enc, sizeof(enc)), (int)(1 + 2 * c->bytes));
		EXPECT_EQ(ecc_point_encode(c, gx, gy, enc, 2 * c->bytes), ECC_ERR_PARAM);
		EXPECT_EQ(ecc_point_decode(c, enc, 1 + 2 * c->bytes, ox, oy), 0);
		EXPECT_MEMEQ(ox, gx, c->bytes);
		EXPECT_MEMEQ(oy, gy, c->bytes);
		EXPECT_EQ(ecc_point_decode(c, enc, 2 * c->bytes, ox, oy), ECC_ERR_PARAM);
		EXPECT_EQ(ecc_point_decode(c, enc, 2 + 2 * c->bytes, ox, oy), ECC_ERR_PARAM);
		enc[0] = 0x00;
		EXPECT_EQ(ecc_point_decode(c, enc, 1, ox, oy), ECC_ERR_PARAM);
		enc[0] = 0x02;
		EXPECT_EQ(ecc_point_decode(c, enc, 1 + c->bytes, ox, oy), ECC_ERR_PARAM);
		EXPECT_EQ(ecc_point_decode(c, enc, 1 + 2 * c->bytes, ox, oy), ECC_ERR_PARAM);
		enc[0] = 0x04;
		enc[2 * c->bytes] ^= 1;
		EXPECT_EQ(ecc_point_decode(c, enc, 1 + 2 * c->bytes, ox, oy), ECC_ERR_POINT);

		EXPECT_EQ(ecc_point_check(NULL, gx, gy), ECC_ERR_PARAM);
		EC_POINT_free(pt);
		BN_free(bp);
		BN_free(bx);
		BN_free(by);
		EC_GROUP_free(g);
	}
}

KTEST(crypto_ecc, reject_bad_scalars)
{
	const struct ecc_curve *cs[] = { P256(), P384() };

	for (size_t ci = 0; ci < 2; ci++) {
		const struct ecc_curve *c = cs[ci];
		EC_GROUP *g = EC_GROUP_new_by_curve_name(curve_nid(c));
		uint8_t n[ECC_MAX_BYTES], bad[4][ECC_MAX_BYTES];
		uint8_t gx[ECC_MAX_BYTES], gy[ECC_MAX_BYTES];
		uint8_t one[ECC_MAX_BYTES] = { 0 }, zero[ECC_MAX_BYTES] = { 0 };
		uint8_t x[ECC_MAX_BYTES], y[ECC_MAX_BYTES], r[ECC_MAX_BYTES], s[ECC_MAX_BYTES];
		uint8_t k[ECC_MAX_BYTES], dg[64];
		struct prng pr = { ECC_TEST_SEED ^ 3 };
		struct crypto_rng rng = { prng_rng_fn, &pr };

		BN_bn2binpad(EC_GROUP_get0_order(g), n, (int)c->bytes);
		one[c->bytes - 1] = 1;
		ASSERT_EQ(ecc_public_from_private(c, one, gx, gy), 0);
		/* 0, n, n + 1, 2^bits - 1 */
		memset(bad[0], 0, sizeof(bad[0]));
		memcpy(bad[1], n, c->bytes);
		memcpy(bad[2], n, c->bytes);
		bump(bad[2], c->bytes, 1);
		memset(bad[3], 0xff, c->bytes);
		prng_bytes(&pr, dg, sizeof(dg));
		for (int i = 0; i < 4; i++) {
			memset(x, 0xaa, sizeof(x));
			EXPECT_EQ(ecc_public_from_private(c, bad[i], x, y), ECC_ERR_SCALAR);
			EXPECT_MEMEQ(x, zero, c->bytes);
			EXPECT_MEMEQ(y, zero, c->bytes);
			EXPECT_EQ(ecc_point_mul(c, bad[i], gx, gy, x, y), ECC_ERR_SCALAR);
			EXPECT_MEMEQ(x, zero, c->bytes);
			EXPECT_EQ(ecdh_shared_secret(c, bad[i], gx, gy, x), ECC_ERR_SCALAR);
			EXPECT_MEMEQ(x, zero, c->bytes);
			memset(r, 0xaa, sizeof(r));
			EXPECT_EQ(ecdsa_sign(c, HASH_SHA256, bad[i], dg, 32, r, s), ECC_ERR_SCALAR);
			EXPECT_MEMEQ(r, zero, c->bytes);
			EXPECT_MEMEQ(s, zero, c->bytes);
			EXPECT_EQ(ecdsa_sign_rng(c, &rng, bad[i], dg, 48, r, s), ECC_ERR_SCALAR);
			/* A nonce out of range asks for another one, whatever d is. */
			EXPECT_EQ(ecdsa_sign_with_k(c, one, bad[i], dg, 32, r, s), ECC_ERR_RETRY);
			EXPECT_MEMEQ(r, zero, c->bytes);
		}
		/* Digest length must match the RFC 6979 hash. */
		EXPECT_EQ(ecdsa_sign(c, HASH_SHA256, one, dg, 48, r, s), ECC_ERR_PARAM);
		EXPECT_EQ(ecdsa_sign(c, HASH_COUNT, one, dg, 32, r, s), ECC_ERR_PARAM);
		/* Key generation with a failing rng, or one whose every candidate is > n - 2. */
		{
			struct crypto_rng bad_rng = { failing_rng_fn, NULL };
			struct crypto_rng ff_rng = { ff_rng_fn, NULL };

			EXPECT_EQ(ecc_keygen(c, &bad_rng, k, x, y), ECC_ERR_RNG);
			EXPECT_MEMEQ(k, zero, c->bytes);
			EXPECT_EQ(ecc_keygen(c, &ff_rng, k, x, y), ECC_ERR_RNG);
			EXPECT_EQ(ecdsa_sign_rng(c, &bad_rng, one, dg, 32, r, s), ECC_ERR_RNG);
			EXPECT_EQ(ecdsa_sign_rng(c, &ff_rng, one, dg, 32, r, s), ECC_ERR_RNG);
			EXPECT_EQ(ecdh_ephemeral(c, &bad_rng, gx, gy, x, y, k), ECC_ERR_RNG);
		}
		EC_GROUP_free(g);
	}
}

KTEST(crypto_ecc, reject_bad_signatures)
{
	const struct ecc_curve *cs[] = { P256(), P384() };

	for (size_t ci = 0; ci < 2; ci++) {
		const struct ecc_curve *c = cs[ci];
		EC_GROUP *g = EC_GROUP_new_by_curve_name(curve_nid(c));
		uint8_t n[ECC_MAX_BYTES], d[ECC_MAX_BYTES], qx[ECC_MAX_BYTES], qy[ECC_MAX_BYTES];
		uint8_t r[ECC_MAX_BYTES], s[ECC_MAX_BYTES], t[ECC_MAX_BYTES], dg[64];
		uint8_t zero[ECC_MAX_BYTES] = { 0 }, ff[ECC_MAX_BYTES];
		struct prng pr = { ECC_TEST_SEED ^ 4 };
		BIGNUM *bn_s, *bn_n, *bn_t = BN_new();

		memset(ff, 0xff, sizeof(ff));
		BN_bn2binpad(EC_GROUP_get0_order(g), n, (int)c->bytes);
		random_scalar(c, &pr, d);
		prng_bytes(&pr, dg, sizeof(dg));
		ASSERT_EQ(ecc_public_from_private(c, d, qx, qy), 0);
		ASSERT_EQ(ecdsa_sign(c, HASH_SHA512, d, dg, 64, r, s), 0);
		EXPECT_EQ(ecdsa_verify(c, qx, qy, dg, 64, r, s), 0);
		/* (r, n - s) is the other valid signature of the same digest. */
		bn_s = bn_from(s, c->bytes);
		bn_n = bn_from(n, c->bytes);
		BN_sub(bn_t, bn_n, bn_s);
		BN_bn2binpad(bn_t, t, (int)c->bytes);
		EXPECT_EQ(ecdsa_verify(c, qx, qy, dg, 64, r, t), 0);
		/* r or s = 0, = n, = 2^bits - 1; r + n when it fits. */
		EXPECT_EQ(ecdsa_verify(c, qx, qy, dg, 64, zero, s), ECC_ERR_VERIFY);
		EXPECT_EQ(ecdsa_verify(c, qx, qy, dg, 64, r, zero), ECC_ERR_VERIFY);
		EXPECT_EQ(ecdsa_verify(c, qx, qy, dg, 64, n, s), ECC_ERR_VERIFY);
		EXPECT_EQ(ecdsa_verify(c, qx, qy, dg, 64, r, n), ECC_ERR_VERIFY);
		EXPECT_EQ(ecdsa_verify(c, qx, qy, dg, 64, ff, s), ECC_ERR_VERIFY);
		EXPECT_EQ(ecdsa_verify(c, qx, qy, dg, 64, r, ff), ECC_ERR_VERIFY);
		BN_add(bn_t, bn_s, bn_n);
		if (BN_num_bytes(bn_t) <= (int)c->bytes) {
			BN_bn2binpad(bn_t, t, (int)c->bytes);
			EXPECT_EQ(ecdsa_verify(c, qx, qy, dg, 64, r, t), ECC_ERR_VERIFY);
		}
		/* Any changed bit of the digest (within the used bits), r, s or Q. */
		for (unsigned int bit = 0; bit < 8 * c->bytes; bit += 7) {
			dg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			EXPECT_EQ(ecdsa_verify(c, qx, qy, dg, 64, r, s), ECC_ERR_VERIFY);
			dg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			r[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			EXPECT_EQ(ecdsa_verify(c, qx, qy, dg, 64, r, s), ECC_ERR_VERIFY);
			r[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			s[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			EXPECT_EQ(ecdsa_verify(c, qx, qy, dg, 64, r, s), ECC_ERR_VERIFY);
			s[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		/* Bits beyond bits(n) of a long digest are ignored (bits2int truncation). */
		dg[63] ^= 0x80;
		EXPECT_EQ(ecdsa_verify(c, qx, qy, dg, 64, r, s), 0);
		/* Signature by another key. */
		random_scalar(c, &pr, d);
		ASSERT_EQ(ecc_public_from_private(c, d, qx, qy), 0);
		EXPECT_EQ(ecdsa_verify(c, qx, qy, dg, 64, r, s), ECC_ERR_VERIFY);
		BN_free(bn_s);
		BN_free(bn_n);
		BN_free(bn_t);
		EC_GROUP_free(g);
	}
}

/* ---- key generation ---------------------------------------------------------------------- */

KTEST(crypto_ecc, keygen_deterministic)
{
	const struct ecc_curve *cs[] = { P256(), P384() };

	for (size_t ci = 0; ci < 2; ci++) {
		const struct ecc_curve *c = cs[ci];
		uint8_t d1[ECC_MAX_BYTES], d2[ECC_MAX_BYTES], x1[ECC_MAX_BYTES], y1[ECC_MAX_BYTES];
		uint8_t x2[ECC_MAX_BYTES], y2[ECC_MAX_BYTES], raw[ECC_MAX_BYTES];
		struct prng p1 = { ECC_TEST_SEED ^ 5 }, p2 = { ECC_TEST_SEED ^ 5 };
		struct prng p3 = { ECC_TEST_SEED ^ 5 };
		struct crypto_rng r1 = { prng_rng_fn, &p1 }, r2 = { prng_rng_fn, &p2 };

		for (int i = 0; i < 20; i++) {
			ASSERT_EQ(ecc_keygen(c, &r1, d1, x1, y1), 0);
			ASSERT_EQ(ecdh_keygen(c, &r2, d2, x2, y2), 0);
			EXPECT_MEMEQ(d1, d2, c->bytes);
			EXPECT_MEMEQ(x1, x2, c->bytes);
			EXPECT_EQ(ecc_point_check(c, x1, y1), 0);
			EXPECT_EQ(ossl_pub(c, d1, x2, y2), 0);
			EXPECT_MEMEQ(x1, x2, c->bytes);
			EXPECT_MEMEQ(y1, y2, c->bytes);
			/* A.2.2: d = c + 1 for the candidate c drawn (never rejected here). */
			prng_bytes(&p3, raw, c->bytes);
			bump(raw, c->bytes, 1);
			EXPECT_MEMEQ(d1, raw, c->bytes);
		}
	}
}

/* ---- differential tests against OpenSSL -------------------------------------------------- */

static const enum hash_id diff_hashes[] = { HASH_SHA1, HASH_SHA256, HASH_SHA384, HASH_SHA512 };

/* Our signatures (alternately RFC 6979 and rng nonces) verified by OpenSSL, over 8 keys. */
static void diff_sign(const struct ecc_curve *c, int iters, uint64_t seed)
{
	struct prng pr = { seed };
	struct crypto_rng rng = { prng_rng_fn, &pr };

	for (int key = 0; key < 8; key++) {
		uint8_t d[ECC_MAX_BYTES], qx[ECC_MAX_BYTES], qy[ECC_MAX_BYTES];
		EVP_PKEY *pk;

		random_scalar(c, &pr, d);
		if (ecc_public_from_private(c, d, qx, qy) != 0 ||
		    (pk = ossl_key(c, NULL, qx, qy)) == NULL) {
			ktest_report_failure(__FILE__, __LINE__, "%s key %d setup", c->name, key);
			return;
		}
		for (int i = key; i < iters; i += 8) {
			enum hash_id h = diff_hashes[prng_next(&pr) % 4];
			size_t dlen = hash_alg_get(h)->digest_size;
			uint8_t dg[64], r[ECC_MAX_BYTES], s[ECC_MAX_BYTES];
			int rc;

			prng_bytes(&pr, dg, dlen);
			rc = (i & 16) ? ecdsa_sign_rng(c, &rng, d, dg, dlen, r, s)
				      : ecdsa_sign(c, h, d, dg, dlen, r, s);
			if (rc != 0 || ossl_verify(c, pk, dg, dlen, r, s) != 1) {
				ktest_report_failure(__FILE__, __LINE__,
						     "%s sign: seed %llx iteration %d (rc %d)",
						     c->name, (unsigned long long)seed, i, rc);
				EVP_PKEY_free(pk);
				return;
			}
		}
		EVP_PKEY_free(pk);
	}
}

/* OpenSSL's signatures verified by us (and a corrupted copy rejected), over 8 keys. */
static void diff_verify(const struct ecc_curve *c, int iters, uint64_t seed)
{
	struct prng pr = { seed };

	for (int key = 0; key < 8; key++) {
		uint8_t d[ECC_MAX_BYTES], qx[ECC_MAX_BYTES], qy[ECC_MAX_BYTES];
		EVP_PKEY *pk;

		random_scalar(c, &pr, d);
		if (ossl_pub(c, d, qx, qy) != 0 || (pk = ossl_key(c, d, qx, qy)) == NULL) {
			ktest_report_failure(__FILE__, __LINE__, "%s key %d setup", c->name, key);
			return;
		}
		for (int i = key; i < iters; i += 8) {
			/* Any digest length 0..64: truncation and short digests. */
			size_t dlen = (size_t)(prng_next(&pr) % 65);
			uint8_t dg[64], r[ECC_MAX_BYTES], s[ECC_MAX_BYTES];
			int rc, rc_bad;

			prng_bytes(&pr, dg, dlen);
			if (ossl_sign(c, pk, dg, dlen, r, s) != 0) {
				ktest_report_failure(__FILE__, __LINE__, "%s OpenSSL sign",
						     c->name);
				break;
			}
			rc = ecdsa_verify(c, qx, qy, dg, dlen, r, s);
			/* Every 4th signature also with one bit of s flipped. */
			rc_bad = ECC_ERR_VERIFY;
			if (i % 4 == 0) {
				s[i % c->bytes] ^= (uint8_t)(1u << (i % 8));
				rc_bad = ecdsa_verify(c, qx, qy, dg, dlen, r, s);
			}
			if (rc != 0 || rc_bad != ECC_ERR_VERIFY) {
				ktest_report_failure(__FILE__, __LINE__,
						     "%s verify: seed %llx iteration %d (%d, %d)",
						     c->name, (unsigned long long)seed, i, rc,
						     rc_bad);
				break;
			}
		}
		EVP_PKEY_free(pk);
	}
}

/* ECDH with random keys on both sides, a new pair every iteration: A's public key from
 * OpenSSL, B's from ours (ecdh_ephemeral every 4th time, which also returns Z), and
 * ours(dB, QA) == OpenSSL(A, B); every 8th time also ours(dA, QB). */
static void diff_ecdh(const struct ecc_curve *c, int iters, uint64_t seed)
{
	struct prng pr = { seed };
	struct crypto_rng rng = { prng_rng_fn, &pr };

	for (int i = 0; i < iters; i++) {
		uint8_t da[ECC_MAX_BYTES], ax[ECC_MAX_BYTES], ay[ECC_MAX_BYTES];
		uint8_t db[ECC_MAX_BYTES], bx[ECC_MAX_BYTES], by[ECC_MAX_BYTES];
		uint8_t z1[ECC_MAX_BYTES], z2[ECC_MAX_BYTES], z3[ECC_MAX_BYTES];
		EVP_PKEY *a = NULL, *b = NULL;
		int ok;

		random_scalar(c, &pr, da);
		ok = ossl_pub(c, da, ax, ay) == 0;
		if (i % 4 == 0) {
			ok = ok && ecdh_ephemeral(c, &rng, ax, ay, bx, by, z1) == 0;
		} else {
			random_scalar(c, &pr, db);
			ok = ok && ecc_public_from_private(c, db, bx, by) == 0 &&
			     ecdh_shared_secret(c, db, ax, ay, z1) == 0;
		}
		ok = ok && (a = ossl_key(c, da, ax, ay)) != NULL &&
		     (b = ossl_key(c, NULL, bx, by)) != NULL && ossl_ecdh(c, a, b, z3) == 0 &&
		     memcmp(z1, z3, c->bytes) == 0;
		if (ok && i % 8 == 1) {
			ok = ecdh_shared_secret(c, da, bx, by, z2) == 0 &&
			     memcmp(z2, z3, c->bytes) == 0;
		}
		EVP_PKEY_free(a);
		EVP_PKEY_free(b);
		if (!ok) {
			ktest_report_failure(__FILE__, __LINE__, "%s ECDH: seed %llx iteration %d",
					     c->name, (unsigned long long)seed, i);
			return;
		}
	}
}

/* d G for random d: ours == OpenSSL's. */
static void diff_pub(const struct ecc_curve *c, int iters, uint64_t seed)
{
	struct prng pr = { seed };

	for (int i = 0; i < iters; i++) {
		uint8_t d[ECC_MAX_BYTES], x1[ECC_MAX_BYTES], y1[ECC_MAX_BYTES];
		uint8_t x2[ECC_MAX_BYTES], y2[ECC_MAX_BYTES];

		random_scalar(c, &pr, d);
		if (i < 16) {
			/* Small scalars: the top windows all zero. */
			memset(d, 0, c->bytes);
			d[c->bytes - 1] = (uint8_t)(i + 1);
		}
		if (ecc_public_from_private(c, d, x1, y1) != 0 || ossl_pub(c, d, x2, y2) != 0 ||
		    memcmp(x1, x2, c->bytes) != 0 || memcmp(y1, y2, c->bytes) != 0) {
			ktest_report_failure(__FILE__, __LINE__, "%s pub: seed %llx iteration %d",
					     c->name, (unsigned long long)seed, i);
			return;
		}
	}
}

KTEST(crypto_ecc, diff_p256_sign)
{
	diff_sign(P256(), DIFF_SIGN_P256, ECC_TEST_SEED + 10);
}

KTEST(crypto_ecc, diff_p256_verify)
{
	diff_verify(P256(), DIFF_VERIFY_P256, ECC_TEST_SEED + 11);
}

KTEST(crypto_ecc, diff_p256_ecdh)
{
	diff_ecdh(P256(), DIFF_ECDH_P256, ECC_TEST_SEED + 12);
}

KTEST(crypto_ecc, diff_p256_pub)
{
	diff_pub(P256(), DIFF_PUB_P256, ECC_TEST_SEED + 13);
}

KTEST(crypto_ecc, diff_p384_sign)
{
	diff_sign(P384(), DIFF_SIGN_P384, ECC_TEST_SEED + 20);
}

KTEST(crypto_ecc, diff_p384_verify)
{
	diff_verify(P384(), DIFF_VERIFY_P384, ECC_TEST_SEED + 21);
}

KTEST(crypto_ecc, diff_p384_ecdh)
{
	diff_ecdh(P384(), DIFF_ECDH_P384, ECC_TEST_SEED + 22);
}

KTEST(crypto_ecc, diff_p384_pub)
{
	diff_pub(P384(), DIFF_PUB_P384, ECC_TEST_SEED + 23);
}
