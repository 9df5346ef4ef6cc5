/*
 * RSA (RFC 8017 / PKCS #1 v2.2; key generation per FIPS 186-5 A.1.3 and B.3.1).
 *
 * Keys: imported moduli of RSA_MIN_BITS..RSA_MAX_BITS bits (1024 is accepted for importing
 * and verifying legacy keys and the PKCS #1 test vectors; generation makes 2048, 3072 or
 * 4096-bit keys with e = 65537). Public exponents: any odd 3 <= e < n.
 *
 * Primitives:
 *   RSAEP/RSAVP1 (rsa_public_op): input must be < n, variable time (public data).
 *   RSADP/RSASP1 (rsa_private_op): CRT with base blinding (c * r^e, r fresh from the rng for
 *   every call, r^e by the public-exponent path, r^-1 by the constant-time bn_mod_inv_ct),
 *   both half exponentiations by the constant-time fixed-window bn_mod_exp, and a fault
 *   check: the result is re-encrypted and compared with the (blinded) input; a mismatch
 *   returns RSA_ERR_FAULT with the output zeroed (by mask: the verdict is not branched on
 *   inside the library).
 * Schemes (digest-based: callers hash the message; the digest length must match the hash):
 *   EMSA-PKCS1-v1_5 sign/verify (RFC 8017 9.2, DigestInfo for SHA-1/256/384/512),
 *   EMSA-PSS sign/verify (9.1; MGF1 with the same hash; sign uses the salt length given,
 *   RSA_PSS_SALT_HASHLEN = the digest length; verify accepts any salt length),
 *   RSAES-OAEP encrypt/decrypt (7.1; MGF1 with the same hash, optional label),
 *   RSAES-PKCS1-v1_5 encrypt/decrypt (7.2).
 *
 * Decryption (OAEP and v1.5) is constant time in the decrypted block: every check runs with
 * no early exit, all padding failures (and an out-of-range ciphertext) return the single
 * code RSA_ERR_DECRYPT, and the message is moved out with a masked shift whose cost depends
 * only on the key size. The output buffer must hold the largest possible message
 * (k - 2hLen - 2 or k - 11 bytes), checked before any secret is touched. Whether decryption
 * succeeded is still visible to the caller: for RSAES-PKCS1-v1_5 the caller must not reveal
 * it to the sender (Bleichenbacher); prefer OAEP.
 *
 * Nothing allocates; the struct rsa_ws workspace (about 18 KiB; rsa_keygen_ws 48 KiB) holds
 * the temporaries and is wiped before each function returns. Error codes are the negative
 * RSA_ERR_* values. A random value that keeps failing its range check (blinding factor,
 * nonzero padding byte, q too close to p) is redrawn at most 64 times, then RSA_ERR_RNG /
 * RSA_ERR_KEYGEN: a stuck rng ends in an error, never in a hang.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto/bn.h"
#include "crypto/hash.h"
#include "crypto/prime.h"
#include "crypto/rng.h"

#define RSA_MIN_BITS 1024u
#define RSA_MAX_BITS BN_MAX_BITS
#define RSA_MAX_BYTES BN_MAX_BYTES
#define RSA_E_DEFAULT 65537u
/* rsa_pss_sign salt_len: use the digest length (the usual choice, and the TPM's). */
#define RSA_PSS_SALT_HASHLEN ((size_t)-1)

enum {
	RSA_ERR_INVALID = -1, /* bad argument: sizes, lengths, unsupported hash, message too long */
	RSA_ERR_RANGE = -2,   /* input integer >= n (public operation / verification) */
	RSA_ERR_VERIFY = -3,  /* signature does not verify */
	RSA_ERR_DECRYPT = -4, /* decryption failed: any padding error, one code for all */
	RSA_ERR_RNG = -5,     /* the random source failed */
	RSA_ERR_FAULT = -6,   /* the private operation's result did not re-encrypt to its input */
	RSA_ERR_KEY = -7,     /* inconsistent or unsupported key */
	RSA_ERR_KEYGEN = -8,  /* prime generation failed */
};

struct rsa_public_key {
	size_t bits;		  /* modulus size in bits */
	size_t bytes;		  /* k = ceil(bits / 8) */
	struct bn_mont n;	  /* modulus (n.m) and its Montgomery constants */
	uint64_t e[BN_MAX_LIMBS]; /* public exponent, e_limbs limbs */
	size_t e_limbs;
};

struct rsa_private_key {
	struct rsa_public_key pub;
	uint64_t d[BN_MAX_LIMBS];    /* pub.n.n limbs; kept for export, the CRT path uses dp, dq */
	struct bn_mont p;	     /* p.m = p */
	struct bn_mont q;	     /* q.m = q */
	uint64_t dp[BN_MAX_LIMBS];   /* d mod (p - 1), p.n limbs */
	uint64_t dq[BN_MAX_LIMBS];   /* d mod (q - 1), q.n limbs */
	uint64_t qinv[BN_MAX_LIMBS]; /* q^-1 mod p, p.n limbs */
};

struct rsa_ws {
	struct bn_exp_ws exp;
	struct bn_ws gen;
	uint64_t t[6][BN_MAX_LIMBS];
	uint64_t wide[2 * BN_MAX_LIMBS + 1];
	uint8_t em[RSA_MAX_BYTES];
	uint8_t em2[RSA_MAX_BYTES];
};

struct rsa_keygen_ws {
	struct prime_ws prime;
	struct rsa_ws op;
	uint64_t p1[BN_MAX_LIMBS];
	uint64_t q1[BN_MAX_LIMBS];
	uint64_t g[BN_MAX_LIMBS];
	uint64_t lambda[BN_MAX_LIMBS + 1];
	uint64_t phi[2 * BN_MAX_LIMBS];
	uint64_t k[BN_MAX_LIMBS + 2];
};

/*
 * Public key from big-endian n and e. Checks: RSA_MIN_BITS <= bits(n) <= RSA_MAX_BITS, n odd,
 * e odd, 3 <= e < n. Returns 0 or RSA_ERR_KEY.
 */
int rsa_public_key_import(struct rsa_public_key *pub, const uint8_t *n, size_t n_len,
			  const uint8_t *e, size_t e_len);
/*
 * Private key from the RFC 8017 A.1.2 values (big-endian). Checks the public part as above,
 * p and q odd with p * q = n, balanced sizes (2 * limbs(p) and 2 * limbs(q) >= limbs(n)),
 * dp < p, dq < q, qinv < p and q * qinv = 1 mod p (dp and dq themselves are vouched for by
 * the fault check of every private operation).
 * Returns 0 or RSA_ERR_KEY. The checks' verdict is the only data-dependent branch.
 */
int rsa_private_key_import(struct rsa_private_key *key, const uint8_t *n, size_t n_len,
			   const uint8_t *e, size_t e_len, const uint8_t *d, size_t d_len,
			   const uint8_t *p, size_t p_len, const uint8_t *q, size_t q_len,
			   const uint8_t *dp, size_t dp_len, const uint8_t *dq, size_t dq_len,
			   const uint8_t *qinv, size_t qinv_len, struct rsa_ws *ws);

/*
 * Key generation (FIPS 186-5 A.1.3 with B.3.3 probable primes): bits = 2048, 3072 or 4096,
 * e = 65537. p and q have bits/2 bits with their two top bits set, gcd(e, p - 1) =
 * gcd(e, q - 1) = 1, |p - q| > 2^(bits/2 - 100); d = e^-1 mod lcm(p - 1, q - 1) with
 * d > 2^(bits/2); then dP, dQ, qInv, and a pairwise-consistency check (encrypt/decrypt of a
 * fixed value). Everything random comes from rng in a fixed order: a deterministic rng
 * gives the same key. Returns 0, RSA_ERR_INVALID (bits), RSA_ERR_RNG or RSA_ERR_KEYGEN.
 *
 * Constant time on the secrets: the primes are generated as prime.h describes; lambda uses
 * bn_gcd_ct and bn_div_ct (fixed iteration counts); d = (lambda * k + 1) / e where
 * k = -lambda^-1 mod e (bn_mod_inv_ct on lambda mod e, with e the public modulus), so no
 * inversion modulo a secret even number is needed; qInv = q^(p - 2) mod p (Fermat, by the
 * constant-time bn_mod_exp: p is prime).
 */
int rsa_generate(struct rsa_private_key *key, unsigned int bits, const struct crypto_rng *rng,
		 struct rsa_keygen_ws *ws);

/* RSAEP / RSAVP1: out[k] = in[k]^e mod n. len must be k. RSA_ERR_INVALID, RSA_ERR_RANGE. */
int rsa_public_op(const struct rsa_public_key *pub, uint8_t *out, const uint8_t *in, size_t len,
		  struct rsa_ws *ws);
/*
 * RSADP / RSASP1: out[k] = in[k]^d mod n (CRT, blinded, fault-checked). len must be k.
 * Returns 0, RSA_ERR_INVALID, RSA_ERR_RANGE (in >= n), RSA_ERR_RNG or RSA_ERR_FAULT.
 * Constant time in the key and in the blinded value; the range check is on the input.
 */
int rsa_private_op(const struct rsa_private_key *key, const struct crypto_rng *rng, uint8_t *out,
		   const uint8_t *in, size_t len, struct rsa_ws *ws);

/* EMSA-PKCS1-v1_5 signature of a digest (digest_len = the hash's size); sig_len must be k. */
int rsa_pkcs1_sign(const struct rsa_private_key *key, const struct crypto_rng *rng,
		   enum hash_id hash, const uint8_t *digest, size_t digest_len, uint8_t *sig,
		   size_t sig_len, struct rsa_ws *ws);
/* Returns 0, or RSA_ERR_INVALID (lengths, hash), RSA_ERR_RANGE (sig >= n), RSA_ERR_VERIFY. */
int rsa_pkcs1_verify(const struct rsa_public_key *pub, enum hash_id hash, const uint8_t *digest,
		     size_t digest_len, const uint8_t *sig, size_t sig_len, struct rsa_ws *ws);

/* EMSA-PSS signature with a random salt of salt_len bytes (or RSA_PSS_SALT_HASHLEN). */
int rsa_pss_sign(const struct rsa_private_key *key, const struct crypto_rng *rng, enum hash_id hash,
		 const uint8_t *digest, size_t digest_len, size_t salt_len, uint8_t *sig,
		 size_t sig_len, struct rsa_ws *ws);
/* Any salt length is accepted. Same results as rsa_pkcs1_verify. */
int rsa_pss_verify(const struct rsa_public_key *pub, enum hash_id hash, const uint8_t *digest,
		   size_t digest_len, const uint8_t *sig, size_t sig_len, struct rsa_ws *ws);

/*
 * RSAES-OAEP: out_len must be k; msg_len <= k - 2hLen - 2 (else RSA_ERR_INVALID). The seed
 * comes from rng (hLen bytes, one call).
 */
int rsa_oaep_encrypt(const struct rsa_public_key *pub, const struct crypto_rng *rng,
		     enum hash_id hash, const uint8_t *label, size_t label_len, const uint8_t *msg,
		     size_t msg_len, uint8_t *out, size_t out_len, struct rsa_ws *ws);
/*
 * in_len must be k and out_cap >= k - 2hLen - 2 (else RSA_ERR_INVALID, before decrypting).
 * Returns 0 with *msg_len set, RSA_ERR_DECRYPT for any bad ciphertext (*msg_len = 0; out's
 * first out_cap bytes are then unchanged), or RSA_ERR_RNG / RSA_ERR_FAULT.
 */
int rsa_oaep_decrypt(const struct rsa_private_key *key, const struct crypto_rng *rng,
		     enum hash_id hash, const uint8_t *label, size_t label_len, const uint8_t *in,
		     size_t in_len, uint8_t *out, size_t out_cap, size_t *msg_len,
		     struct rsa_ws *ws);

/* RSAES-PKCS1-v1_5: msg_len <= k - 11; the nonzero padding comes from rng. */
int rsa_pkcs1_encrypt(const struct rsa_public_key *pub, const struct crypto_rng *rng,
		      const uint8_t *msg, size_t msg_len, uint8_t *out, size_t out_len,
		      struct rsa_ws *ws);
/* out_cap >= k - 11. Results as rsa_oaep_decrypt. */
int rsa_pkcs1_decrypt(const struct rsa_private_key *key, const struct crypto_rng *rng,
		      const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
		      size_t *msg_len, struct rsa_ws *ws);
