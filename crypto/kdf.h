/*
 * The TPM 2.0 key derivation functions (TPM 2.0 Library, Part 1, §11.4.10):
 *
 *   KDFa (§11.4.10.2): SP 800-108 KDF in counter mode with HMAC as the PRF. Block i (from 1):
 *       K(i) = HMAC(key, [i]32 || Label || 0x00 || ContextU || ContextV || [sizeInBits]32)
 *     Used for session keys, parameter-encryption keys, sensitive-area protection and
 *     primary-key derivation from a hierarchy seed.
 *
 *   KDFe (§11.4.10.3): SP 800-56A (rev 3, §5.8.2.1) one-step concatenation KDF with a hash:
 *       K(i) = H([i]32 || Z || Label || 0x00 || PartyUInfo || PartyVInfo)
 *     Used to turn an ECDH shared secret Z into a seed (salted sessions, credential
 *     activation, ECC-protected import).
 *
 * Both output ceil(sizeInBits / 8) bytes: the blocks concatenated and truncated. When
 * sizeInBits is not a multiple of 8 the excess leading bits of the first octet are cleared
 * (Part 1 §11.4.10; the reference implementation's KDFe does the same, its newer KDFa
 * leaves this to callers, who in practice ask for whole octets), so the result is a
 * sizeInBits-bit big-endian number.
 *
 * Label handling (TPM convention): the label is hashed with exactly one terminating zero
 * octet: the 0x00 is appended unless label_len > 0 and the label already ends in 0x00. An
 * empty or NULL label therefore contributes the single octet 0x00. Pass the label's bytes
 * (e.g. "STORAGE" with label_len 7 or 8, both give the same result).
 *
 * Every pointer may be NULL when its length is 0. out must not overlap the inputs.
 *
 * Errors: KDF_ERR_ALG (-1) unsupported hash id; KDF_ERR_SIZE (-2) size_in_bits is 0 or above
 * KDF_MAX_BITS. On error out is not written.
 *
 * Constant time: time depends on the lengths only, never on key/Z or the other inputs'
 * bytes (except the public check whether the label's last octet is 0). Temporaries are wiped.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"

#define KDF_ERR_ALG (-1)
#define KDF_ERR_SIZE (-2)

/* A generous cap (8 KiB of output); the TPM derives at most a few hundred bytes. */
#define KDF_MAX_BITS (8u * 8192u)

/*
 * The general SP 800-108 §5.1 counter-mode KDF with HMAC that KDFa is an instance of:
 * block i (from 1) = HMAC(key, [i]32 || fixed), out receives out_len bytes. Exposed for the
 * NIST CAVP KBKDF vectors (which use opaque fixed input data) and for non-TPM callers.
 * Errors as below (KDF_ERR_SIZE if out_len is 0 or above KDF_MAX_BITS / 8).
 */
int kdf_sp800108_counter_hmac(enum hash_id id, const uint8_t *key, size_t key_len,
			      const uint8_t *fixed, size_t fixed_len, uint8_t *out, size_t out_len);

int kdf_kdfa(enum hash_id id, const uint8_t *key, size_t key_len, const uint8_t *label,
	     size_t label_len, const uint8_t *context_u, size_t context_u_len,
	     const uint8_t *context_v, size_t context_v_len, uint32_t size_in_bits, uint8_t *out);

int kdf_kdfe(enum hash_id id, const uint8_t *z, size_t z_len, const uint8_t *label,
	     size_t label_len, const uint8_t *party_u, size_t party_u_len, const uint8_t *party_v,
	     size_t party_v_len, uint32_t size_in_bits, uint8_t *out);
