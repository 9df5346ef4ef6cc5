/*
 * ECDSA over P-256 and P-384 (FIPS 186-5 §6.4), on crypto/ecc.h.
 *
 * The caller passes the message digest, not the message: the TPM signs digests, and the
 * hash of the message is computed by whoever owns it. The digest is turned into the integer
 * e by bits2int (its leftmost bits(n) bits, FIPS 186-5 §6.4.1 step 4), so any length works
 * for verification (e.g. SHA-512 with P-256, SHA-256 with P-384).
 *
 * Byte formats: d, qx, qy, r and s are big-endian strings of ecc_curve_bytes(c) bytes.
 * Results: 0 on success; ECC_ERR_PARAM (NULL curve, unsupported hash, digest length not the
 * hash's), ECC_ERR_SCALAR (d = 0 or d >= n), ECC_ERR_RNG (the rng failed), ECC_ERR_POINT
 * (public key invalid), ECC_ERR_VERIFY (signature invalid). On any error r and s are zeroed.
 *
 * Constant time: signing has no branch or memory index that depends on d, on the nonce k
 * or on the digest, except the nonce retry loop (RFC 6979 §3.2 step h.3, FIPS 186-5 A.3.2),
 * which is taken with probability < 2^-31 (P-256) and reveals only that a candidate was
 * rejected. ecdsa_sign_with_k and ecdsa_rfc6979_next are the loop bodies without that
 * branch: their validity checks are folded into the return value arithmetically, which is
 * what tests/crypto/ct/ecc_ct.c checks. Verification is variable time (all inputs public).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto/ecc.h"
#include "crypto/hash.h"
#include "crypto/hmac.h"
#include "crypto/rng.h"

/*
 * Deterministic signature (RFC 6979 §3.2): the nonce k is derived by HMAC_DRBG-like steps
 * from d and the digest with HMAC over hash, the hash that produced the digest;
 * digest_len must be that hash's digest size. The same (d, digest) always gives the same
 * signature.
 */
int ecdsa_sign(const struct ecc_curve *c, enum hash_id hash, const uint8_t *d,
	       const uint8_t *digest, size_t digest_len, uint8_t *r, uint8_t *s);

/*
 * Signature with k drawn from rng by FIPS 186-5 A.3.2 (rejection sampling, as ecc_keygen's
 * A.2.2). Any digest length. A deterministic rng gives reproducible signatures.
 */
int ecdsa_sign_rng(const struct ecc_curve *c, const struct crypto_rng *rng, const uint8_t *d,
		   const uint8_t *digest, size_t digest_len, uint8_t *r, uint8_t *s);

/*
 * Verification (FIPS 186-5 §6.4.2): rejects r or s outside [1, n-1], an invalid public key
 * (ecc_point_check), and a signature that does not match. Returns 0 if the signature is
 * valid, ECC_ERR_VERIFY if r, s or the equation fail, ECC_ERR_POINT if Q is invalid.
 */
int ecdsa_verify(const struct ecc_curve *c, const uint8_t *qx, const uint8_t *qy,
		 const uint8_t *digest, size_t digest_len, const uint8_t *r, const uint8_t *s);

/* ---- Building blocks (the signing loop bodies; also used by the constant-time test) ----- */

/*
 * One signing attempt with the nonce k (FIPS 186-5 §6.4.1 steps 5-11): r = x(kG) mod n,
 * s = k^-1 (e + r d) mod n. Returns 0, ECC_ERR_SCALAR if d is out of range, ECC_ERR_RETRY if
 * k is out of range or r or s came out 0 (take another k). No branch on d, k or the digest:
 * an invalid value is replaced by 1 for the computation, and the result code is computed
 * from masks.
 */
int ecdsa_sign_with_k(const struct ecc_curve *c, const uint8_t *d, const uint8_t *k,
		      const uint8_t *digest, size_t digest_len, uint8_t *r, uint8_t *s);

/* RFC 6979 §3.2 nonce generator state (steps a-g done by init, h by next). Holds secrets:
 * ecdsa_rfc6979_wipe it. */
struct ecdsa_rfc6979 {
	struct hmac_ctx hmac;          /* keyed with K */
	uint8_t v[HASH_MAX_DIGEST_SIZE];
	const struct ecc_curve *curve;
	enum hash_id hash;
	uint32_t hlen;
	int first;                      /* next() has not produced a candidate yet */
};

/* Steps a-g: K and V from int2octets(d) and bits2octets(digest). Returns 0 or
 * ECC_ERR_PARAM (unsupported hash or digest_len not its digest size). */
int ecdsa_rfc6979_init(struct ecdsa_rfc6979 *st, const struct ecc_curve *c, enum hash_id hash,
		       const uint8_t *d, const uint8_t *digest, size_t digest_len);
/* Step h: writes the next candidate k (bytes long, the leftmost bits(n) bits of T). Before
 * every candidate but the first, K and V are updated as step h.3 says. The caller checks the
 * range (ecdsa_sign_with_k does). */
void ecdsa_rfc6979_next(struct ecdsa_rfc6979 *st, uint8_t *k);
void ecdsa_rfc6979_wipe(struct ecdsa_rfc6979 *st);
