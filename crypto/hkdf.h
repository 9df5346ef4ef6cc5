/*
 * HKDF (RFC 5869): HMAC-based extract-then-expand key derivation over any crypto/hash.h hash.
 *
 *   PRK = HMAC(salt, IKM)                                          (§2.2, extract)
 *   T(i) = HMAC(PRK, T(i-1) || info || i), T(0) = empty, i = 1..N   (§2.3, expand)
 *   OKM = first L octets of T(1) || T(2) || ...
 *
 * Contract:
 *   - A NULL/empty salt means HashLen zero octets (§2.2); HMAC's zero padding makes the two
 *     identical, so nothing special is done.
 *   - hkdf_expand needs prk_len >= HashLen (§2.3) and 1 <= okm_len <= 255 * HashLen.
 *   - Pointers may be NULL when their length is 0. okm must not overlap the inputs.
 *   - Errors: HKDF_ERR_ALG (-1) unsupported hash; HKDF_ERR_LEN (-2) okm_len or prk_len out
 *     of range. On error nothing is written.
 *   - Constant time: time depends on the lengths only. Temporaries (PRK in hkdf(), T blocks)
 *     are wiped.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"

#define HKDF_ERR_ALG (-1)
#define HKDF_ERR_LEN (-2)

/* prk receives HashLen (digest_size) bytes. */
int hkdf_extract(enum hash_id id, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
		 size_t ikm_len, uint8_t *prk);
int hkdf_expand(enum hash_id id, const uint8_t *prk, size_t prk_len, const uint8_t *info,
		size_t info_len, uint8_t *okm, size_t okm_len);
/* Extract then expand. */
int hkdf(enum hash_id id, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
	 size_t ikm_len, const uint8_t *info, size_t info_len, uint8_t *okm, size_t okm_len);
