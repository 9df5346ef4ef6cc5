/*
 * Constant-time check of the bignum and RSA secret paths (ctgrind): the Montgomery setup for
 * a secret modulus, bn_mod_exp with secret base and exponent, the modular inverse, the RSA
 * private CRT operation with every private-key field marked secret, and OAEP / PKCS #1 v1.5
 * decryption (the decrypted block derives from the secret key, so its padding checks run on
 * undefined data). Results are marked public before they are checked.
 *
 * Declassified on purpose: the low byte and the top limb of a secret modulus (bn_mont_init
 * checks oddness and a nonzero top limb: public facts about an RSA prime), and the rng output
 * (the blinding factor's rejection sampling is a branch on the random value, not on the key).
 *
 * Key: RSA-2048 "Example 15" of pkcs1v15sign-vectors.txt (RSA PKCS #1 v2.1 test vectors).
 */
#include <string.h>

#include "crypto/bn.h"
#include "crypto/rsa.h"
#include "tests/crypto/ct/ct.h"
#include "tests/ktest/ktest.h"

#include "tests/crypto/data/rsa_k15_key.h"


static uint64_t ct_rng_state = 0x5eed;

static int ct_rng_fn(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < len; i++) {
		ct_rng_state = ct_rng_state * 6364136223846793005ull + 1442695040888963407ull;
		out[i] = (uint8_t)(ct_rng_state >> 56);
	}
	return 0;
}

static const struct crypto_rng ct_rng = {ct_rng_fn, NULL};
static struct rsa_private_key key;
static struct rsa_ws ws;
static struct bn_exp_ws exp_ws;
static struct bn_ws gen_ws;
static struct bn_mont mont;

static void mark_key_secret(struct rsa_private_key *k)
{
	CT_SECRET(k->d, sizeof(k->d));
	CT_SECRET(k->p.m, sizeof(k->p.m));
	CT_SECRET(k->p.rr, sizeof(k->p.rr));
	CT_SECRET(&k->p.m0inv, sizeof(k->p.m0inv));
	CT_SECRET(k->q.m, sizeof(k->q.m));
	CT_SECRET(k->q.rr, sizeof(k->q.rr));
	CT_SECRET(&k->q.m0inv, sizeof(k->q.m0inv));
	CT_SECRET(k->dp, sizeof(k->dp));
	CT_SECRET(k->dq, sizeof(k->dq));
	CT_SECRET(k->qinv, sizeof(k->qinv));
}

KTEST(ct_check, bn_modexp_secret)
{
	uint64_t m[16], base[16], e[16], r[16], r2[16];
	const size_t n = 16;

	bn_from_bytes(m, n, k15_p, sizeof(k15_p)); /* a 1024-bit prime */
	for (size_t i = 0; i < n; i++) {
		base[i] = 0x0123456789abcdefull * (i + 3);
		e[i] = 0xfedcba9876543210ull ^ (i * 0x1111);
	}
	base[n - 1] = 0;
	/* Reference result with public values. */
	ASSERT_EQ(bn_mont_init(&mont, m, n), 0);
	bn_mod_exp(&mont, r2, base, e, &exp_ws);

	/* The modulus too is secret (an RSA prime) apart from its low byte and top limb. */
	CT_SECRET(m, sizeof(m));
	CT_PUBLIC(m, 1);
	CT_PUBLIC(&m[n - 1], sizeof(m[0]));
	CT_SECRET(base, sizeof(base));
	CT_SECRET(e, sizeof(e));
	ASSERT_EQ(bn_mont_init(&mont, m, n), 0);
	bn_mod_exp(&mont, r, base, e, &exp_ws);
	CT_PUBLIC(r, sizeof(r));
	EXPECT_MEMEQ(r, r2, sizeof(r));
	/* Reduction of a secret 2n-limb value and the binary inverse. */
	{
		uint64_t wide[32], inv[16];
		int rc;

		for (size_t i = 0; i < 32; i++) {
			wide[i] = 0x9e3779b97f4a7c15ull * (i + 1);
		}
		CT_SECRET(wide, sizeof(wide));
		bn_mod_reduce(&mont, r, wide, 32);
		rc = bn_mod_inv_ct(inv, r, m, n, &gen_ws);
		bn_mod_mul(&mont, r, r, inv);
		CT_PUBLIC(&rc, sizeof(rc));
		CT_PUBLIC(r, sizeof(r));
		EXPECT_EQ(rc, 0);
		EXPECT_EQ(r[0], 1u);
	}
	/* gcd and division as key generation uses them (lambda, d mod (p - 1)). */
	{
		uint64_t a[16], b[16], g[16], q[32], rem[16];

		memcpy(a, base, sizeof(a));
		memcpy(b, e, sizeof(b));
		bn_gcd_ct(g, a, b, n, &gen_ws);
		bn_div_ct(q, rem, a, n, b, n, &gen_ws);
		CT_PUBLIC(g, sizeof(g));
		CT_PUBLIC(rem, sizeof(rem));
		CT_PUBLIC(q, sizeof(q));
	}
}

KTEST(ct_check, rsa_private_crt)
{
	uint8_t in[256], out[256], ref[256];
	int rc;

	ASSERT_EQ(rsa_private_key_import(&key, k15_n, sizeof(k15_n), k15_e, sizeof(k15_e), k15_d,
					 sizeof(k15_d), k15_p, sizeof(k15_p), k15_q, sizeof(k15_q),
					 k15_dp, sizeof(k15_dp), k15_dq, sizeof(k15_dq), k15_qinv,
					 sizeof(k15_qinv), &ws),
		  0);
	memset(in, 0x3c, sizeof(in));
	in[0] = 0;
	ASSERT_EQ(rsa_private_op(&key, &ct_rng, ref, in, sizeof(in), &ws), 0);
	mark_key_secret(&key);
	rc = rsa_private_op(&key, &ct_rng, out, in, sizeof(in), &ws);
	CT_PUBLIC(&rc, sizeof(rc));
	CT_PUBLIC(out, sizeof(out));
	EXPECT_EQ(rc, 0);
	EXPECT_MEMEQ(out, ref, sizeof(out));
}

KTEST(ct_check, rsa_decrypt_padding)
{
	uint8_t msg[200], ct[256], out[256];
	size_t got;
	int rc;

	ASSERT_EQ(rsa_private_key_import(&key, k15_n, sizeof(k15_n), k15_e, sizeof(k15_e), k15_d,
					 sizeof(k15_d), k15_p, sizeof(k15_p), k15_q, sizeof(k15_q),
					 k15_dp, sizeof(k15_dp), k15_dq, sizeof(k15_dq), k15_qinv,
					 sizeof(k15_qinv), &ws),
		  0);
	for (size_t i = 0; i < sizeof(msg); i++) {
		msg[i] = (uint8_t)(i * 13 + 1);
	}
	mark_key_secret(&key);
	/* OAEP (SHA-256): a good ciphertext and a corrupted one. */
	for (int bad = 0; bad < 2; bad++) {
		ASSERT_EQ(rsa_oaep_encrypt(&key.pub, &ct_rng, HASH_SHA256, NULL, 0, msg, 77, ct,
					   sizeof(ct), &ws),
			  0);
		ct[100] ^= (uint8_t)bad;
		rc = rsa_oaep_decrypt(&key, &ct_rng, HASH_SHA256, NULL, 0, ct, sizeof(ct), out,
				      sizeof(out), &got, &ws);
		CT_PUBLIC(&rc, sizeof(rc));
		CT_PUBLIC(&got, sizeof(got));
		CT_PUBLIC(out, sizeof(out));
		EXPECT_EQ(rc, bad ? RSA_ERR_DECRYPT : 0);
		EXPECT_EQ(got, bad ? 0u : 77u);
		if (!bad) {
			EXPECT_MEMEQ(out, msg, 77);
		}
	}
	/* PKCS #1 v1.5: good and corrupted. */
	for (int bad = 0; bad < 2; bad++) {
		ASSERT_EQ(rsa_pkcs1_encrypt(&key.pub, &ct_rng, msg, 150, ct, sizeof(ct), &ws), 0);
		ct[17] ^= (uint8_t)bad;
		rc = rsa_pkcs1_decrypt(&key, &ct_rng, ct, sizeof(ct), out, sizeof(out), &got, &ws);
		CT_PUBLIC(&rc, sizeof(rc));
		CT_PUBLIC(&got, sizeof(got));
		CT_PUBLIC(out, sizeof(out));
		EXPECT_EQ(rc, bad ? RSA_ERR_DECRYPT : 0);
		EXPECT_EQ(got, bad ? 0u : 150u);
		if (!bad) {
			EXPECT_MEMEQ(out, msg, 150);
		}
	}
	/* Signing: PKCS #1 v1.5 and PSS with the secret key. */
	{
		uint8_t dg[32] = {1, 2, 3}, sig[256];

		rc = rsa_pkcs1_sign(&key, &ct_rng, HASH_SHA256, dg, 32, sig, sizeof(sig), &ws);
		CT_PUBLIC(&rc, sizeof(rc));
		CT_PUBLIC(sig, sizeof(sig));
		EXPECT_EQ(rc, 0);
		EXPECT_EQ(rsa_pkcs1_verify(&key.pub, HASH_SHA256, dg, 32, sig, sizeof(sig), &ws),
			  0);
		rc = rsa_pss_sign(&key, &ct_rng, HASH_SHA256, dg, 32, RSA_PSS_SALT_HASHLEN, sig,
				  sizeof(sig), &ws);
		CT_PUBLIC(&rc, sizeof(rc));
		CT_PUBLIC(sig, sizeof(sig));
		EXPECT_EQ(rc, 0);
		EXPECT_EQ(rsa_pss_verify(&key.pub, HASH_SHA256, dg, 32, sig, sizeof(sig), &ws), 0);
	}
}
