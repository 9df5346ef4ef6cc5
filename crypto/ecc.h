/*
 * Elliptic curves NIST P-256 and P-384 (FIPS 186-5; parameters from SP 800-186 §3.2.1.3 and
 * §3.2.1.4): field and scalar arithmetic, point arithmetic, point encoding and validation,
 * key generation. ECDSA (crypto/ecdsa.h) and ECDH (crypto/ecdh.h) are built on this.
 *
 * Representation (crypto/ecc.c):
 *   - Field elements mod p and scalars mod n are 4 (P-256) or 6 (P-384) little-endian 64-bit
 *     limbs. Field elements are kept in Montgomery form (R = 2^256 or 2^384); reduction is
 *     word-by-word Montgomery (CIOS) ending with a conditional subtraction done by masks.
 *   - Points are projective (X:Y:Z), the identity is (0:1:0), and addition and doubling use
 *     the complete formulas for a = -3 of Renes, Costello and Batina, "Complete addition
 *     formulas for prime order elliptic curves" (EUROCRYPT 2016), Algorithms 4 and 6. They
 *     have no exceptional cases (P + P, P + (-P), P + O all work), so the scalar
 *     multiplication needs no branch to handle them.
 *   - k * P for a secret k: fixed 4-bit windows, a 16-entry table 0*P..15*P read by scanning
 *     all entries with masks (the zero digit adds the identity; no recoding needed).
 *     k * G: a 4-tooth comb over a constant 16-entry table (d - 1 doublings and d additions,
 *     d = bits/4), read the same way. u1 * G + u2 * Q for ECDSA verification (public
 *     inputs): interleaved width-5 NAF, variable time.
 *   - Field inversion and scalar inversion: Fermat (a^(p-2), a^(n-2)) with a fixed 4-bit
 *     window over the public exponent.
 *
 * External byte formats: coordinates and scalars are fixed-length big-endian strings of
 * ecc_curve_bytes() bytes (32 or 48), as the TPM's TPMS_ECC_POINT and ECDSA r, s use them
 * (shorter TPM buffers must be left-padded with zeros by the caller). ecc_point_encode /
 * ecc_point_decode convert to and from the SEC 1 §2.3.3/§2.3.4 uncompressed form 04 || X || Y.
 *
 * Validation: every point that comes from outside (decode, check, point_mul, ECDH, ECDSA
 * verify) is checked per SP 800-56A §5.6.2.3.3 (full public-key validation): coordinates in
 * [0, p-1], on the curve, not the identity. Both curves have cofactor 1, so the order check
 * n*Q = O is implied. Private scalars must be in [1, n-1].
 *
 * Constant time: everything that touches a private scalar (scalar multiplication, public-key
 * derivation, the scalar arithmetic used by ECDSA signing, ECDH) has no branch, loop bound or
 * memory index that depends on the scalar: windowed table entries are read by scanning the
 * whole table with masks, and validity checks on secrets are computed as masks and folded
 * into the return value arithmetically. The only exceptions are marked _vartime and take
 * public inputs only (ECDSA verification), and the rejection-sampling loops of key
 * generation, which reveal only how many candidates were rejected, i.e. nothing about the
 * accepted one.
 *
 * No global state: the curve descriptors are const.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/rng.h"

/* Error codes (negative), shared by ecc.h, ecdsa.h and ecdh.h. */
#define ECC_ERR_PARAM (-1)   /* NULL curve, unsupported curve, wrong length, small buffer */
#define ECC_ERR_POINT (-2)   /* point not valid: coordinate >= p, not on curve, identity */
#define ECC_ERR_SCALAR (-3)  /* private scalar (or nonce) 0 or >= n */
#define ECC_ERR_RNG (-4)     /* the random source failed or kept producing rejected values */
#define ECC_ERR_VERIFY (-5)  /* ECDSA signature invalid (ecdsa.h) */
#define ECC_ERR_RETRY (-6)   /* internal: this nonce gives r = 0 or s = 0, take the next one */

#define ECC_MAX_LIMBS 6
#define ECC_MAX_BYTES 48
/* Length of the SEC 1 uncompressed encoding for the largest curve: 1 + 2 * 48. */
#define ECC_MAX_POINT_ENC (1 + 2 * ECC_MAX_BYTES)

enum ecc_curve_id {
	ECC_P256,
	ECC_P384,
	ECC_CURVE_COUNT,
};

/*
 * A curve descriptor. The contents are read-only constants; code outside crypto/ecc*.c uses
 * only id, name, bytes and bits. Montgomery-form values carry the suffix _m.
 */
struct ecc_curve {
	enum ecc_curve_id id;
	const char *name;        /* "P-256", "P-384" */
	uint32_t limbs;          /* 4 or 6 */
	uint32_t bytes;          /* 32 or 48: length of a coordinate or scalar */
	uint32_t bits;           /* bit length of n (= of p): 256 or 384 */
	uint64_t p[ECC_MAX_LIMBS];
	uint64_t p0inv;          /* -p^-1 mod 2^64 */
	uint64_t rr_p[ECC_MAX_LIMBS];  /* R^2 mod p */
	uint64_t one_p[ECC_MAX_LIMBS]; /* R mod p (1 in Montgomery form) */
	uint64_t b_m[ECC_MAX_LIMBS];   /* curve coefficient b, Montgomery form (a = -3) */
	uint64_t gx_m[ECC_MAX_LIMBS];  /* base point G, Montgomery form */
	uint64_t gy_m[ECC_MAX_LIMBS];
	uint64_t n[ECC_MAX_LIMBS];     /* order of G */
	uint64_t n0inv;                /* -n^-1 mod 2^64 */
	uint64_t rr_n[ECC_MAX_LIMBS];  /* R^2 mod n */
};

/* The descriptor of id, or NULL if id is not a supported curve. */
const struct ecc_curve *ecc_curve_get(enum ecc_curve_id id);
/* Length in bytes of a coordinate or scalar of c (32 or 48). */
size_t ecc_curve_bytes(const struct ecc_curve *c);

/*
 * Public-key validation (SP 800-56A §5.6.2.3.3; SEC 1 §3.2.2.1) of the point (x, y) given as
 * two big-endian strings of ecc_curve_bytes(c) bytes. Returns 0 if valid, ECC_ERR_POINT if
 * x or y >= p or the point is not on the curve, ECC_ERR_PARAM if c is NULL.
 * Variable time (public input).
 */
int ecc_point_check(const struct ecc_curve *c, const uint8_t *x, const uint8_t *y);

/*
 * SEC 1 §2.3.3 uncompressed encoding: out = 04 || x || y (1 + 2 * bytes octets).
 * Does not validate (x, y) (use ecc_point_check). Returns the encoded length, or
 * ECC_ERR_PARAM if cap is too small.
 */
int ecc_point_encode(const struct ecc_curve *c, const uint8_t *x, const uint8_t *y,
		     uint8_t *out, size_t cap);

/*
 * SEC 1 §2.3.4 for the uncompressed form only: in must be exactly 04 || x || y. The point is
 * validated (ecc_point_check). The identity (the single octet 00) and the compressed forms
 * (02/03) are rejected. Returns 0, ECC_ERR_PARAM (wrong length or prefix) or ECC_ERR_POINT.
 */
int ecc_point_decode(const struct ecc_curve *c, const uint8_t *in, size_t len, uint8_t *x,
		     uint8_t *y);

/*
 * Q = d * G: the public key of the private scalar d (big-endian, bytes long). Returns 0, or
 * ECC_ERR_SCALAR if d = 0 or d >= n (qx, qy are then zero). Constant time in d, including
 * the range check: the result code is computed without branching on d.
 */
int ecc_public_from_private(const struct ecc_curve *c, const uint8_t *d, uint8_t *qx,
			    uint8_t *qy);

/*
 * R = k * P for a secret scalar k in [1, n-1] and a public point P, which is validated first
 * (ECC_ERR_POINT). Returns 0, ECC_ERR_SCALAR if k is out of range (constant time as above;
 * outputs zeroed). Since P is valid and the group order is the prime n, R is never the
 * identity for k in range.
 */
int ecc_point_mul(const struct ecc_curve *c, const uint8_t *k, const uint8_t *px,
		  const uint8_t *py, uint8_t *rx, uint8_t *ry);

/*
 * Key-pair generation by FIPS 186-5 Appendix A.2.2 (rejection sampling): take bits(n)
 * random bits as a big-endian integer c, retry if c > n - 2, else d = c + 1. A deterministic
 * rng therefore gives reproducible keys. d (bytes long) and Q = d * G are written. Returns 0
 * or ECC_ERR_RNG (the rng failed, or 64 candidates in a row were rejected, which for these
 * curves has probability < 2^-2000 with a working rng). Outputs are zeroed on error.
 */
int ecc_keygen(const struct ecc_curve *c, const struct crypto_rng *rng, uint8_t *d,
	       uint8_t *qx, uint8_t *qy);

/* ---- Building blocks for crypto/ecdsa.c and crypto/ecdh.c (not for other callers) ------- */

/* A scalar mod n in plain (non-Montgomery) form, little-endian limbs. */
struct ecc_scalar {
	uint64_t w[ECC_MAX_LIMBS];
};

/* Loads a big-endian scalar of c->bytes bytes. Returns an all-ones mask if 1 <= s < n, else 0
 * (constant time; s holds the raw value either way). */
uint64_t ecc_scalar_load(const struct ecc_curve *c, struct ecc_scalar *s, const uint8_t *in);
void ecc_scalar_store(const struct ecc_curve *c, uint8_t *out, const struct ecc_scalar *s);
/* bits2int of FIPS 186-5 §6.4.1 step 4 / RFC 6979 §2.3.2, then reduced mod n: the leftmost
 * bits(n) bits of the len-byte string in, as an integer, minus n if it is >= n. */
void ecc_scalar_from_digest(const struct ecc_curve *c, struct ecc_scalar *s, const uint8_t *in,
			    size_t len);
/* r = a + b, a * b, a^-1 mod n (inputs < n; inverse by Fermat, a^(n-2), constant time;
 * the inverse of 0 is 0). */
void ecc_scalar_add(const struct ecc_curve *c, struct ecc_scalar *r, const struct ecc_scalar *a,
		    const struct ecc_scalar *b);
void ecc_scalar_mul(const struct ecc_curve *c, struct ecc_scalar *r, const struct ecc_scalar *a,
		    const struct ecc_scalar *b);
void ecc_scalar_inv(const struct ecc_curve *c, struct ecc_scalar *r, const struct ecc_scalar *a);
/* All-ones if a == 0. */
uint64_t ecc_scalar_is_zero(const struct ecc_curve *c, const struct ecc_scalar *a);
/* Conditional move: if mask, r = a. */
void ecc_scalar_cmov(const struct ecc_curve *c, struct ecc_scalar *r, const struct ecc_scalar *a,
		     uint64_t mask);

/*
 * The affine x coordinate of k * G (k in [1, n-1], constant time) as a big-endian string in
 * x_out and reduced mod n in r (ECDSA's r, FIPS 186-5 §6.4.1 steps 6-7). Returns an all-ones
 * mask unless k * G is the identity (only possible for k = 0 mod n).
 */
uint64_t ecc_mul_base_x(const struct ecc_curve *c, const struct ecc_scalar *k,
			struct ecc_scalar *r);

/*
 * ECDSA verification core (FIPS 186-5 §6.4.2 steps 5-7), variable time (public inputs only):
 * with (qx, qy) already validated, computes R = u1 * G + u2 * Q and returns true iff R is not
 * the identity and x(R) mod n == r.
 */
bool ecc_verify_combination_vartime(const struct ecc_curve *c, const struct ecc_scalar *u1,
				    const struct ecc_scalar *u2, const uint8_t *qx,
				    const uint8_t *qy, const struct ecc_scalar *r);
