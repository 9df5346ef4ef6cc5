/*
 * AES modes of operation (NIST SP 800-38A): ECB (tests only), CBC, CFB-128, CTR. GCM is in
 * crypto/gcm.h. Each takes an initialised key schedule (crypto/aes.h) and uses its path
 * (AES-NI or portable); the AES-NI path saves and restores the SSE state once per call.
 *
 * Contract:
 *   - in and out may be the same buffer (exact overlap), not partially overlapping ones.
 *   - ECB and CBC process whole blocks only: a length that is not a multiple of 16 returns
 *     AES_ERR_INVALID and writes nothing. No padding is added or removed (callers that need
 *     padding do it, in constant time).
 *   - CFB-128 and CTR take any length, and stream: a sequence of update calls with any split
 *     produces the same bytes as one call over the concatenation.
 *   - Time depends on the lengths only, never on the key, IV/counter or data. The streaming
 *     contexts hold keystream: *_wipe() them when done (or let them go out of scope only
 *     after wiping).
 *   - The key schedule must stay alive and unchanged while a streaming context uses it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto/aes.h"

/* ECB (SP 800-38A section 6.1): len a multiple of 16. Returns 0 or AES_ERR_INVALID. */
int aes_ecb_encrypt(const struct aes_ctx *key, const uint8_t *in, uint8_t *out, size_t len);
int aes_ecb_decrypt(const struct aes_ctx *key, const uint8_t *in, uint8_t *out, size_t len);

/*
 * CBC (section 6.2): len a multiple of 16. iv[16] is read as the IV and overwritten with the
 * last ciphertext block, so consecutive calls continue one message. Returns 0 or
 * AES_ERR_INVALID (then nothing is written, iv included).
 */
int aes_cbc_encrypt(const struct aes_ctx *key, uint8_t iv[16], const uint8_t *in, uint8_t *out,
		    size_t len);
int aes_cbc_decrypt(const struct aes_ctx *key, uint8_t iv[16], const uint8_t *in, uint8_t *out,
		    size_t len);

/*
 * CFB-128 (section 6.3, s = 128), as the TPM uses it for parameter and sensitive-area
 * encryption (TPM 2.0 Part 1, "CFB mode"): the last block may be partial.
 * reg holds the shift register; while off != 0, reg[0..off) are ciphertext bytes of the
 * current block and reg[off..16) the unused keystream.
 */
struct aes_cfb_ctx {
	const struct aes_ctx *key;
	uint8_t reg[16];
	uint32_t off;
};

void aes_cfb_init(struct aes_cfb_ctx *c, const struct aes_ctx *key, const uint8_t iv[16]);
void aes_cfb_encrypt_update(struct aes_cfb_ctx *c, const uint8_t *in, uint8_t *out, size_t len);
void aes_cfb_decrypt_update(struct aes_cfb_ctx *c, const uint8_t *in, uint8_t *out, size_t len);
void aes_cfb_wipe(struct aes_cfb_ctx *c);
/* One-shot. */
void aes_cfb_encrypt(const struct aes_ctx *key, const uint8_t iv[16], const uint8_t *in,
		     uint8_t *out, size_t len);
void aes_cfb_decrypt(const struct aes_ctx *key, const uint8_t iv[16], const uint8_t *in,
		     uint8_t *out, size_t len);

/*
 * CTR (section 6.5) with the standard incrementing function on the whole 128-bit block as a
 * big-endian integer (appendix B.1), wrapping modulo 2^128. Encryption and decryption are the
 * same operation. ctr is the next counter block; ks[off..16) is unused keystream.
 */
struct aes_ctr_ctx {
	const struct aes_ctx *key;
	uint8_t ctr[16];
	uint8_t ks[16];
	uint32_t off;
};

void aes_ctr_init(struct aes_ctr_ctx *c, const struct aes_ctx *key, const uint8_t iv[16]);
void aes_ctr_update(struct aes_ctr_ctx *c, const uint8_t *in, uint8_t *out, size_t len);
void aes_ctr_wipe(struct aes_ctr_ctx *c);
/* One-shot. */
void aes_ctr(const struct aes_ctx *key, const uint8_t iv[16], const uint8_t *in, uint8_t *out,
	     size_t len);

/* Internal to crypto/ (gcm.c): adds 1 to the 128-bit big-endian ctr (inc32 != 0: only to its
 * last 32 bits, SP 800-38D section 6.2), without a data-dependent branch. */
void aes_ctr_increment(uint8_t ctr[16], int inc32);
