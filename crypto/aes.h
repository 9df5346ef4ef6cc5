/*
 * AES-128/192/256 block cipher (FIPS 197): key expansion, one-block and multi-block
 * encryption and decryption. The modes (CBC, CFB-128, CTR, ECB) are in crypto/aes_modes.h,
 * GCM in crypto/gcm.h.
 *
 * Two implementations behind one key schedule:
 *   - portable (crypto/aes.c): bitsliced. SubBytes is computed as GF(2^8) inversion (FIPS 197
 *     section 5.1.1) with AND/XOR gates on bit planes, never as a table lookup, so neither
 *     branches nor memory addresses depend on the key or the data. Four blocks are processed
 *     in parallel (one 64-bit word holds one bit of each of 64 state bytes).
 *   - AES-NI (crypto/aes_simd.c): the AESENC/AESDEC instructions, which are constant-time by
 *     design. Used only between crypto_simd_begin() and crypto_simd_end() (crypto/simd.h).
 * aes_init() picks AES-NI when crypto_simd_usable() says the CPU and kernel allow it;
 * aes_init_impl() forces one path (the tests run both).
 *
 * Contract:
 *   - Keys are 16, 24 or 32 bytes; anything else is AES_ERR_INVALID.
 *   - A context is plain memory (no allocation); once initialised it is read-only, so one
 *     context may serve several modes and messages. aes_wipe() zeroes it.
 *   - Time depends only on the key length and the number of blocks, never on key or data.
 *   - in and out may be the same buffer (exact overlap), not partially overlapping ones.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define AES_BLOCK_SIZE 16u
#define AES_MAX_ROUNDS 14u

/* Error codes shared by crypto/aes*.c and crypto/gcm.c (0 is success). */
#define AES_ERR_INVALID (-1)     /* bad key/IV/tag length, length not a block multiple, misuse */
#define AES_ERR_AUTH (-2)        /* GCM: tag mismatch (the output has been wiped) */
#define AES_ERR_UNSUPPORTED (-3) /* AES_IMPL_SIMD requested but crypto_simd_usable() is false */

enum aes_impl {
	AES_IMPL_AUTO = 0,     /* AES-NI if crypto_simd_usable(), else portable */
	AES_IMPL_PORTABLE = 1, /* the bitsliced constant-time C code */
	AES_IMPL_SIMD = 2,     /* AES-NI (crypto/aes_simd.c) */
};

struct aes_ctx {
	/* FIPS 197 KeyExpansion output w[0..4*(Nr+1)-1], as bytes: round key r is rk[r]. */
	uint8_t rk[AES_MAX_ROUNDS + 1][16] __attribute__((aligned(16)));
	/* AES-NI only: InvMixColumns(rk[Nr-r]) for the equivalent inverse cipher (FIPS 197
	 * section 5.3.5), in the order AESDEC consumes them; rk_dec[0] = rk[Nr]. */
	uint8_t rk_dec[AES_MAX_ROUNDS + 1][16] __attribute__((aligned(16)));
	/* Portable only: round key r as 8 bit planes of 16 bits (bit b of plane i = bit i of
	 * byte b of rk[r]); broadcast to the four parallel blocks when used. */
	uint16_t rk_bs[AES_MAX_ROUNDS + 1][8];
	uint32_t rounds;       /* Nr: 10, 12 or 14 */
	uint32_t impl;         /* AES_IMPL_PORTABLE or AES_IMPL_SIMD once initialised */
};

/*
 * Expands key (key_len = 16, 24 or 32 bytes). Returns 0, AES_ERR_INVALID for another length,
 * or AES_ERR_UNSUPPORTED if impl is AES_IMPL_SIMD and the CPU or kernel cannot run AES-NI. On
 * error ctx is zeroed.
 */
int aes_init(struct aes_ctx *ctx, const uint8_t *key, size_t key_len);
int aes_init_impl(struct aes_ctx *ctx, const uint8_t *key, size_t key_len, enum aes_impl impl);

/* One block (FIPS 197 Cipher / InvCipher). */
void aes_encrypt_block(const struct aes_ctx *ctx, const uint8_t in[16], uint8_t out[16]);
void aes_decrypt_block(const struct aes_ctx *ctx, const uint8_t in[16], uint8_t out[16]);

/* n independent blocks (ECB). */
void aes_encrypt_blocks(const struct aes_ctx *ctx, const uint8_t *in, uint8_t *out, size_t n);
void aes_decrypt_blocks(const struct aes_ctx *ctx, const uint8_t *in, uint8_t *out, size_t n);

/* Zeroes the whole context (the compiler cannot elide it). */
void aes_wipe(struct aes_ctx *ctx);

/*
 * Internal to crypto/ (aes_modes.c, gcm.c): the two implementations' block functions.
 *
 * aes_portable_*_blocks: any n, in place allowed.
 *
 * aes_simd_*: AES-NI, in crypto/aes_simd.c. The CALLER brackets every call with
 * crypto_simd_begin()/crypto_simd_end() (so a mode can run many blocks under one state save)
 * and calls them only for a context with impl == AES_IMPL_SIMD. All allow in == out.
 */
void aes_portable_encrypt_blocks(const struct aes_ctx *ctx, const uint8_t *in, uint8_t *out,
				 size_t n);
void aes_portable_decrypt_blocks(const struct aes_ctx *ctx, const uint8_t *in, uint8_t *out,
				 size_t n);

/* Fills ctx->rk_dec from ctx->rk (AESIMC). */
void aes_simd_prepare_decrypt(struct aes_ctx *ctx);
void aes_simd_encrypt_blocks(const struct aes_ctx *ctx, const uint8_t *in, uint8_t *out, size_t n);
void aes_simd_decrypt_blocks(const struct aes_ctx *ctx, const uint8_t *in, uint8_t *out, size_t n);
/* CBC over n blocks; iv[16] is the chaining value in and out (SP 800-38A section 6.2). */
void aes_simd_cbc_encrypt(const struct aes_ctx *ctx, uint8_t iv[16], const uint8_t *in,
			  uint8_t *out, size_t n);
void aes_simd_cbc_decrypt(const struct aes_ctx *ctx, uint8_t iv[16], const uint8_t *in,
			  uint8_t *out, size_t n);
/* CFB-128 over n whole blocks; iv[16] is the shift register in and out (section 6.3). */
void aes_simd_cfb_encrypt(const struct aes_ctx *ctx, uint8_t iv[16], const uint8_t *in,
			  uint8_t *out, size_t n);
void aes_simd_cfb_decrypt(const struct aes_ctx *ctx, uint8_t iv[16], const uint8_t *in,
			  uint8_t *out, size_t n);
/*
 * CTR over n whole blocks: out = in XOR E(ctr), E(ctr+1), ...; ctr[16] is advanced by n.
 * inc32 != 0 increments only the last 32 bits (GCM's inc32, SP 800-38D section 6.2), else
 * the whole 128-bit big-endian value (SP 800-38A appendix B.1).
 */
void aes_simd_ctr(const struct aes_ctx *ctx, uint8_t ctr[16], const uint8_t *in, uint8_t *out,
		  size_t n, int inc32);
