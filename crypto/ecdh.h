/*
 * Elliptic-curve Diffie-Hellman over P-256 and P-384 (SP 800-56A Rev. 3), on crypto/ecc.h.
 *
 * The shared secret is Z = x(d * Q), the ECC CDH primitive of SP 800-56A §5.7.1.2 (the
 * cofactor is 1 for both curves, so it equals the plain ECDH primitive). It is what the TPM
 * feeds to KDFe for salted sessions, ECDH_ZGen and ECDH_KeyGen.
 *
 * Byte formats: d, qx, qy and z are big-endian strings of ecc_curve_bytes(c) bytes.
 * Results: 0; ECC_ERR_PARAM (NULL curve); ECC_ERR_POINT (Q fails full public-key validation,
 * §5.6.2.3.3: coordinate >= p or not on the curve); ECC_ERR_SCALAR (d = 0 or d >= n, or the
 * result is the identity, §5.7.1.2 step 2, which cannot happen for valid inputs);
 * ECC_ERR_RNG (ecdh_keygen / ecdh_ephemeral: the rng failed). Outputs are zeroed on error.
 *
 * Constant time in d: the scalar multiplication is ecc_point_mul, and the checks on d and
 * on the result are folded into the return code without branching. Q is public.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto/ecc.h"
#include "crypto/rng.h"

/* Z = x(d * Q) (SP 800-56A §5.7.1.2), with Q validated first. */
int ecdh_shared_secret(const struct ecc_curve *c, const uint8_t *d, const uint8_t *qx,
		       const uint8_t *qy, uint8_t *z);

/* A key pair for key agreement (SP 800-56A §5.6.1.2.2, i.e. FIPS 186-5 A.2.2 rejection
 * sampling): ecc_keygen. */
int ecdh_keygen(const struct ecc_curve *c, const struct crypto_rng *rng, uint8_t *d,
		uint8_t *qx, uint8_t *qy);

/*
 * One-pass ephemeral agreement (the TPM's salted-session secret and TPM2_ECDH_KeyGen):
 * generates (de, Qe) from rng, returns Qe in (qex, qey) and Z = x(de * Q) in z, where Q =
 * (qx, qy) is the peer's static key (validated). de is wiped before returning.
 */
int ecdh_ephemeral(const struct ecc_curve *c, const struct crypto_rng *rng, const uint8_t *qx,
		   const uint8_t *qy, uint8_t *qex, uint8_t *qey, uint8_t *z);
