/*
 * Public-key part of crypto_bench (see crypto_bench.c): ECDSA P-256 sign and verify, ECDH
 * P-256, RSA-2048 private operation and key generation, each next to OpenSSL on the same key
 * material where the operation takes one.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "crypto/ecc.h"
#include "crypto/ecdh.h"
#include "crypto/ecdsa.h"
#include "crypto/hash.h"
#include "tests/bench/crypto_bench.h"

/* ---- ECC ----------------------------------------------------------------------------------- */

struct ecc_bench {
	const struct ecc_curve *c;
	uint8_t d[32], qx[32], qy[32], digest[32], r[32], s[32], z[32];
	EVP_PKEY *key, *peer;
	EVP_PKEY_CTX *sign_ctx, *verify_ctx, *derive_ctx;
	unsigned char sig[80];       /* scratch for the signing loop */
	unsigned char vsig[80];      /* the signature the verify loop checks */
	size_t vsig_len;
	uint8_t peer_x[32], peer_y[32];
};

static void ours_sign(void *arg)
{
	struct ecc_bench *b = arg;

	ecdsa_sign(b->c, HASH_SHA256, b->d, b->digest, 32, b->r, b->s);
}

static void theirs_sign(void *arg)
{
	struct ecc_bench *b = arg;
	size_t len = sizeof(b->sig);

	EVP_PKEY_sign(b->sign_ctx, b->sig, &len, b->digest, 32);
}

static void ours_verify(void *arg)
{
	struct ecc_bench *b = arg;

	if (ecdsa_verify(b->c, b->qx, b->qy, b->digest, 32, b->r, b->s) != 0) {
		printf("ECC: our verify failed: the figure is wrong\n");
	}
}

static void theirs_verify(void *arg)
{
	struct ecc_bench *b = arg;

	if (EVP_PKEY_verify(b->verify_ctx, b->vsig, b->vsig_len, b->digest, 32) != 1) {
		printf("ECC: OpenSSL verify failed: the figure is wrong\n");
	}
}

static void ours_ecdh(void *arg)
{
	struct ecc_bench *b = arg;

	ecdh_shared_secret(b->c, b->d, b->peer_x, b->peer_y, b->z);
}

static void theirs_ecdh(void *arg)
{
	struct ecc_bench *b = arg;
	unsigned char z[32];
	size_t len = sizeof(z);

	EVP_PKEY_derive(b->derive_ctx, z, &len);
}

/* The affine coordinates of an OpenSSL EC key, big-endian. */
static int ec_pub_xy(EVP_PKEY *k, uint8_t x[32], uint8_t y[32])
{
	BIGNUM *bx = NULL, *by = NULL;
	int ok = EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &bx) == 1 &&
		 EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &by) == 1 &&
		 BN_bn2binpad(bx, x, 32) == 32 && BN_bn2binpad(by, y, 32) == 32;

	BN_free(bx);
	BN_free(by);
	return ok ? 0 : -1;
}

void bench_ecc(void)
{
	static struct ecc_bench b;
	BIGNUM *priv = NULL;
	size_t len = sizeof(b.vsig);

	memset(&b, 0, sizeof(b));
	b.c = ecc_curve_get(ECC_P256);
	b.key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	b.peer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	hash_oneshot(HASH_SHA256, "crypto_bench", 12, b.digest);
	if (b.c == NULL || b.key == NULL || b.peer == NULL ||
	    EVP_PKEY_get_bn_param(b.key, OSSL_PKEY_PARAM_PRIV_KEY, &priv) != 1 ||
	    BN_bn2binpad(priv, b.d, 32) != 32 || ecc_public_from_private(b.c, b.d, b.qx, b.qy) != 0 ||
	    ec_pub_xy(b.peer, b.peer_x, b.peer_y) != 0) {
		printf("ECC: setup failed\n");
		goto out;
	}
	b.sign_ctx = EVP_PKEY_CTX_new(b.key, NULL);
	b.verify_ctx = EVP_PKEY_CTX_new(b.key, NULL);
	b.derive_ctx = EVP_PKEY_CTX_new(b.key, NULL);
	if (b.sign_ctx == NULL || b.verify_ctx == NULL || b.derive_ctx == NULL ||
	    EVP_PKEY_sign_init(b.sign_ctx) != 1 || EVP_PKEY_verify_init(b.verify_ctx) != 1 ||
	    EVP_PKEY_derive_init(b.derive_ctx) != 1 || EVP_PKEY_derive_set_peer(b.derive_ctx, b.peer) != 1 ||
	    EVP_PKEY_sign(b.sign_ctx, b.vsig, &len, b.digest, 32) != 1 ||
	    ecdsa_sign(b.c, HASH_SHA256, b.d, b.digest, 32, b.r, b.s) != 0) {
		printf("ECC: setup failed\n");
		goto out;
	}
	b.vsig_len = len;
	bench_row_ops("ECDSA P-256 sign", bench_best(ours_sign, &b, 200), bench_best(theirs_sign, &b, 200));
	bench_row_ops("ECDSA P-256 verify", bench_best(ours_verify, &b, 200), bench_best(theirs_verify, &b, 200));
	bench_row_ops("ECDH P-256", bench_best(ours_ecdh, &b, 200), bench_best(theirs_ecdh, &b, 200));
out:
	BN_clear_free(priv);
	EVP_PKEY_CTX_free(b.sign_ctx);
	EVP_PKEY_CTX_free(b.verify_ctx);
	EVP_PKEY_CTX_free(b.derive_ctx);
	EVP_PKEY_free(b.key);
	EVP_PKEY_free(b.peer);
}

/* ---- RSA ----------------------------------------------------------------------------------- */

#include <stdlib.h>

#include "crypto/drbg.h"
#include "crypto/rsa.h"

struct rsa_bench {
	struct rsa_private_key key;
	struct rsa_ws ws;
	struct rsa_keygen_ws kws;
	struct hmac_drbg drbg;
	struct crypto_rng rng;
	uint8_t digest[32], sig[256];
	EVP_PKEY *ossl;
	EVP_PKEY_CTX *sign_ctx;
	unsigned int keygen_seed;
};

static void ours_rsa_sign(void *arg)
{
	struct rsa_bench *b = arg;

	rsa_pkcs1_sign(&b->key, &b->rng, HASH_SHA256, b->digest, 32, b->sig, 256, &b->ws);
}

static void theirs_rsa_sign(void *arg)
{
	struct rsa_bench *b = arg;
	size_t len = sizeof(b->sig);

	EVP_PKEY_sign(b->sign_ctx, b->sig, &len, b->digest, 32);
}

static void ours_rsa_keygen(void *arg)
{
	struct rsa_bench *b = arg;
	struct rsa_private_key *k = malloc(sizeof(*k));

	if (k != NULL) {
		rsa_generate(k, 2048, &b->rng, &b->kws);
		free(k);
	}
}

static void theirs_rsa_keygen(void *arg)
{
	(void)arg;
	EVP_PKEY_free(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
}

/* Mean seconds per call over n calls (key generation varies too much for a best-of). */
static double bench_mean(void (*fn)(void *), void *arg, unsigned int n)
{
	double t0 = bench_now();

	for (unsigned int i = 0; i < n; i++) {
		fn(arg);
	}
	return (bench_now() - t0) / n;
}

/* Copies one RSA parameter of OpenSSL's key, big-endian, into buf; returns its length or 0. */
static size_t rsa_param(EVP_PKEY *k, const char *name, uint8_t *buf, size_t cap)
{
	BIGNUM *bn = NULL;
	int len = 0;

	if (EVP_PKEY_get_bn_param(k, name, &bn) != 1 || (size_t)BN_num_bytes(bn) > cap) {
		BN_clear_free(bn);
		return 0;
	}
	len = BN_bn2bin(bn, buf);
	BN_clear_free(bn);
	return (size_t)len;
}

void bench_rsa(void)
{
	static const uint8_t seed[48] = "crypto_bench deterministic DRBG seed, not secret";
	struct rsa_bench *b = calloc(1, sizeof(*b));
	uint8_t n[256], e[8], d[256], p[128], q[128], dp[128], dq[128], qi[128];
	size_t nl, el, dl, pl, ql, dpl, dql, qil;

	if (b == NULL) {
		printf("RSA: setup failed\n");
		return;
	}
	hash_oneshot(HASH_SHA256, "crypto_bench", 12, b->digest);
	b->ossl = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (b->ossl == NULL || hmac_drbg_instantiate(&b->drbg, seed, 32, seed + 32, 16, NULL, 0) != 0) {
		printf("RSA: setup failed\n");
		goto out;
	}
	b->rng = hmac_drbg_rng(&b->drbg);
	/* Both sides sign with the very same key. */
	nl = rsa_param(b->ossl, OSSL_PKEY_PARAM_RSA_N, n, sizeof(n));
	el = rsa_param(b->ossl, OSSL_PKEY_PARAM_RSA_E, e, sizeof(e));
	dl = rsa_param(b->ossl, OSSL_PKEY_PARAM_RSA_D, d, sizeof(d));
	pl = rsa_param(b->ossl, OSSL_PKEY_PARAM_RSA_FACTOR1, p, sizeof(p));
	ql = rsa_param(b->ossl, OSSL_PKEY_PARAM_RSA_FACTOR2, q, sizeof(q));
	dpl = rsa_param(b->ossl, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp, sizeof(dp));
	dql = rsa_param(b->ossl, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq, sizeof(dq));
	qil = rsa_param(b->ossl, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qi, sizeof(qi));
	b->sign_ctx = EVP_PKEY_CTX_new(b->ossl, NULL);
	if (rsa_private_key_import(&b->key, n, nl, e, el, d, dl, p, pl, q, ql, dp, dpl, dq, dql, qi, qil,
				   &b->ws) != 0 ||
	    b->sign_ctx == NULL || EVP_PKEY_sign_init(b->sign_ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(b->sign_ctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(b->sign_ctx, EVP_sha256()) != 1) {
		printf("RSA: setup failed\n");
		goto out;
	}
	bench_row_ops("RSA-2048 private op (v1.5 sign)", bench_best(ours_rsa_sign, b, 50),
		      bench_best(theirs_rsa_sign, b, 50));
	bench_row_ops("RSA-2048 key generation (mean of 10)", bench_mean(ours_rsa_keygen, b, 10),
		      bench_mean(theirs_rsa_keygen, b, 10));
out:
	EVP_PKEY_CTX_free(b->sign_ctx);
	EVP_PKEY_free(b->ossl);
	hmac_drbg_uninstantiate(&b->drbg);
	OPENSSL_cleanse(b, sizeof(*b));
	free(b);
}
