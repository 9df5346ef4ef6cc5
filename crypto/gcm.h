/*
 * AES-GCM (NIST SP 800-38D): authenticated encryption with associated data. Used for the
 * guest-request messages to the AMD Secure Processor (SEV-SNP firmware ABI: AES-256-GCM,
 * 96-bit IV, 16-byte tag) and available to the vTPM.
 *
 * A gcm_ctx holds a key (its AES schedule and the hash subkey H = E_K(0^128), section 6.4)
 * and the state of one message. Key once with gcm_init(), then per message either one call
 * (gcm_encrypt / gcm_decrypt) or the stream:
 *     gcm_start(iv) -> gcm_aad()* -> gcm_encrypt_update()* -> gcm_encrypt_final(tag)
 *     gcm_start(iv) -> gcm_aad()* -> gcm_decrypt_update()* -> gcm_decrypt_final(tag)
 * Any split of the AAD and of the data into update calls gives the same result as one call.
 *
 * Parameters (section 5.2.1):
 *   - key: 16, 24 or 32 bytes.
 *   - IV: any length from 1 byte to 2^61-1 bytes; 12 bytes (96 bits) is the fast and
 *     recommended case (J0 = IV || 0^31 || 1), other lengths are hashed (section 7.1 step 2).
 *     An IV of length 0 is AES_ERR_INVALID. Never reuse an IV with the same key.
 *   - tag length t in bytes: 16, 15, 14, 13 or 12 (section 5.2.1.2), or 8 or 4 for the
 *     special applications of appendix C (which bounds message lengths and invocations;
 *     the caller owns that). Any other length is AES_ERR_INVALID.
 *   - plaintext at most 2^36 - 32 bytes, AAD at most 2^61 - 1 bytes per message.
 *
 * Errors: AES_ERR_INVALID (bad parameter, or a call out of order: AAD after data, update
 * after final, mixing encrypt and decrypt in one message), AES_ERR_AUTH (tag mismatch),
 * AES_ERR_UNSUPPORTED (gcm_init_impl asked for AES-NI without it).
 *
 * Decryption: the tag is compared in constant time (crypto/ct.h). gcm_decrypt writes the
 * plaintext, and on a mismatch wipes all of it before returning AES_ERR_AUTH. The streaming
 * decrypt_update necessarily releases plaintext before the tag is checked: a caller that
 * streams must hold that plaintext back and discard it if gcm_decrypt_final fails.
 *
 * Side channels: GHASH is computed either with PCLMULQDQ (crypto/gcm_simd.c) or in portable
 * C with carry-less multiplication built from integer multiplications on bit-masked operands
 * (no table, no secret-dependent branch or address); AES as in crypto/aes.h. Time depends
 * on the lengths only.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto/aes.h"

#define GCM_IV_SIZE 12u
#define GCM_TAG_SIZE 16u
/* Powers of H kept for the aggregated SIMD GHASH (blocks hashed per reduction). */
#define GCM_SIMD_AGG 8u

struct gcm_ctx {
	struct aes_ctx aes;
	/* H^1..H^8 as 128-bit integers in GHASH's byte order (index 0 = low 64 bits, i.e.
	 * bytes 8..15 of the block read big-endian); hpow[0] = H is used by both paths. */
	uint64_t hpow[GCM_SIMD_AGG][2] __attribute__((aligned(16)));
	/* Per message. */
	uint64_t y[2];           /* the GHASH accumulator, same representation */
	uint8_t j0[16];          /* pre-counter block J0 */
	uint8_t ctr[16];         /* next counter block */
	uint8_t ks[16];          /* keystream of the current partial block */
	uint8_t buf[16];         /* partial GHASH input block (AAD, then ciphertext) */
	uint64_t aad_len;        /* bytes */
	uint64_t data_len;       /* bytes */
	uint32_t buf_len;
	uint32_t state;          /* internal: where in the message we are */
	uint32_t simd_depth;     /* internal: nesting of the SSE-state save within one call */
};

/* Keys ctx (AES schedule, H and its powers). Returns 0, AES_ERR_INVALID (key length) or
 * AES_ERR_UNSUPPORTED; gcm_init picks AES-NI when crypto_simd_usable(). */
int gcm_init(struct gcm_ctx *ctx, const uint8_t *key, size_t key_len);
int gcm_init_impl(struct gcm_ctx *ctx, const uint8_t *key, size_t key_len, enum aes_impl impl);

/* Starts a message. Returns 0 or AES_ERR_INVALID (iv_len 0 or too long, or ctx not keyed). */
int gcm_start(struct gcm_ctx *ctx, const uint8_t *iv, size_t iv_len);
/* Adds associated data; only before the first update. */
int gcm_aad(struct gcm_ctx *ctx, const uint8_t *aad, size_t len);
int gcm_encrypt_update(struct gcm_ctx *ctx, const uint8_t *in, uint8_t *out, size_t len);
int gcm_decrypt_update(struct gcm_ctx *ctx, const uint8_t *in, uint8_t *out, size_t len);
/* Writes the first tag_len bytes of the tag. The message state is wiped. */
int gcm_encrypt_final(struct gcm_ctx *ctx, uint8_t *tag, size_t tag_len);
/* Returns 0 if tag[0..tag_len) is right, else AES_ERR_AUTH (or AES_ERR_INVALID). */
int gcm_decrypt_final(struct gcm_ctx *ctx, const uint8_t *tag, size_t tag_len);

/* One message in one call. in and out may be the same buffer. */
int gcm_encrypt(struct gcm_ctx *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad,
		size_t aad_len, const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag,
		size_t tag_len);
/* On AES_ERR_AUTH out[0..len) is zeroed; on AES_ERR_INVALID nothing is written. */
int gcm_decrypt(struct gcm_ctx *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad,
		size_t aad_len, const uint8_t *in, uint8_t *out, size_t len, const uint8_t *tag,
		size_t tag_len);

/* Zeroes the key and the message state. */
void gcm_wipe(struct gcm_ctx *ctx);

/*
 * Internal (crypto/gcm_simd.c, PCLMULQDQ): y = GHASH_H over n whole blocks of data, starting
 * from y, with ctx->hpow[0..7] = H^1..H^8. The caller holds crypto_simd_begin().
 */
void gcm_simd_ghash(uint64_t y[2], const struct gcm_ctx *ctx, const uint8_t *data, size_t n);
