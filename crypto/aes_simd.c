/*
 * AES with AES-NI (Intel's AES instructions, also on AMD since family 15h). The key schedule
 * comes from crypto/aes.c (FIPS 197 KeyExpansion as bytes, which is the order AESENC reads);
 * only the decryption keys are derived here with AESIMC (equivalent inverse cipher, FIPS 197
 * section 5.3.5).
 *
 * Every function here touches XMM registers: the CALLER brackets each call with
 * crypto_simd_begin()/crypto_simd_end() (crypto/simd.h), so a whole mode operation runs under
 * one save of the (possibly guest-owned) SSE state. Built with -msse4.1 -maes -mpclmul and
 * never -mavx: VEX-encoded instructions would zero the upper halves of the YMM registers,
 * which FXSAVE does not preserve.
 *
 * The instructions run in data-independent time; the code has no secret-dependent branch or
 * address. Independent blocks are processed eight (CTR, ECB encryption) or four at a time so
 * the AESENC latency overlaps.
 */
#ifndef BASTION_HOST
/* gcc's xmmintrin.h pulls in mm_malloc.h, which needs the C library's stdlib.h; the kernel
 * has none and uses no _mm_malloc, so mark that header as already seen. */
#define _MM_MALLOC_H_INCLUDED 1
#endif
#include <smmintrin.h>
#include <wmmintrin.h>

#include "crypto/aes.h"

/* The kernel's stacks are 16-byte aligned at calls, but realigning costs one AND and makes
 * the aligned XMM spills safe whatever the caller did. */
#define SIMD_ENTRY __attribute__((force_align_arg_pointer))

static inline __m128i load(const uint8_t *p)
{
	return _mm_loadu_si128((const __m128i *)(const void *)p);
}

static inline void store(uint8_t *p, __m128i v)
{
	_mm_storeu_si128((__m128i *)(void *)p, v);
}

static inline __m128i rk_enc(const struct aes_ctx *ctx, uint32_t r)
{
	return _mm_load_si128((const __m128i *)(const void *)ctx->rk[r]);
}

static inline __m128i rk_dec(const struct aes_ctx *ctx, uint32_t r)
{
	return _mm_load_si128((const __m128i *)(const void *)ctx->rk_dec[r]);
}

SIMD_ENTRY void aes_simd_prepare_decrypt(struct aes_ctx *ctx)
{
	uint32_t nr = ctx->rounds;

	_mm_store_si128((__m128i *)(void *)ctx->rk_dec[0], rk_enc(ctx, nr));
	for (uint32_t i = 1; i < nr; i++) {
		__m128i k = _mm_aesimc_si128(rk_enc(ctx, nr - i));

		_mm_store_si128((__m128i *)(void *)ctx->rk_dec[i], k);
	}
	_mm_store_si128((__m128i *)(void *)ctx->rk_dec[nr], rk_enc(ctx, 0));
}

static inline __m128i enc1(const struct aes_ctx *ctx, __m128i b)
{
	uint32_t nr = ctx->rounds;

	b = _mm_xor_si128(b, rk_enc(ctx, 0));
	for (uint32_t r = 1; r < nr; r++) {
		b = _mm_aesenc_si128(b, rk_enc(ctx, r));
	}
	return _mm_aesenclast_si128(b, rk_enc(ctx, nr));
}

static inline __m128i dec1(const struct aes_ctx *ctx, __m128i b)
{
	uint32_t nr = ctx->rounds;

	b = _mm_xor_si128(b, rk_dec(ctx, 0));
	for (uint32_t r = 1; r < nr; r++) {
		b = _mm_aesdec_si128(b, rk_dec(ctx, r));
	}
	return _mm_aesdeclast_si128(b, rk_dec(ctx, nr));
}

/* Four blocks in parallel, in place in b[0..3]. */
static inline void enc4(const struct aes_ctx *ctx, __m128i b[4])
{
	uint32_t nr = ctx->rounds;
	__m128i k = rk_enc(ctx, 0);

	_Pragma("GCC unroll 8")
	for (unsigned int i = 0; i < 4; i++) {
		b[i] = _mm_xor_si128(b[i], k);
	}
	for (uint32_t r = 1; r < nr; r++) {
		k = rk_enc(ctx, r);
		_Pragma("GCC unroll 8")
		for (unsigned int i = 0; i < 4; i++) {
			b[i] = _mm_aesenc_si128(b[i], k);
		}
	}
	k = rk_enc(ctx, nr);
	_Pragma("GCC unroll 8")
	for (unsigned int i = 0; i < 4; i++) {
		b[i] = _mm_aesenclast_si128(b[i], k);
	}
}

/* Eight blocks in parallel: enough independent AESENCs to cover the instruction's latency
 * on current cores (CTR, the GCM hot path). */
static inline void enc8(const struct aes_ctx *ctx, __m128i b[8])
{
	uint32_t nr = ctx->rounds;
	__m128i k = rk_enc(ctx, 0);

	_Pragma("GCC unroll 8")
	for (unsigned int i = 0; i < 8; i++) {
		b[i] = _mm_xor_si128(b[i], k);
	}
	for (uint32_t r = 1; r < nr; r++) {
		k = rk_enc(ctx, r);
		_Pragma("GCC unroll 8")
		for (unsigned int i = 0; i < 8; i++) {
			b[i] = _mm_aesenc_si128(b[i], k);
		}
	}
	k = rk_enc(ctx, nr);
	_Pragma("GCC unroll 8")
	for (unsigned int i = 0; i < 8; i++) {
		b[i] = _mm_aesenclast_si128(b[i], k);
	}
}

static inline void dec4(const struct aes_ctx *ctx, __m128i b[4])
{
	uint32_t nr = ctx->rounds;
	__m128i k = rk_dec(ctx, 0);

	_Pragma("GCC unroll 8")
	for (unsigned int i = 0; i < 4; i++) {
		b[i] = _mm_xor_si128(b[i], k);
	}
	for (uint32_t r = 1; r < nr; r++) {
		k = rk_dec(ctx, r);
		_Pragma("GCC unroll 8")
		for (unsigned int i = 0; i < 4; i++) {
			b[i] = _mm_aesdec_si128(b[i], k);
		}
	}
	k = rk_dec(ctx, nr);
	_Pragma("GCC unroll 8")
	for (unsigned int i = 0; i < 4; i++) {
		b[i] = _mm_aesdeclast_si128(b[i], k);
	}
}

SIMD_ENTRY void aes_simd_encrypt_blocks(const struct aes_ctx *ctx, const uint8_t *in, uint8_t *out,
					size_t n)
{
	for (; n >= 8; n -= 8, in += 128, out += 128) {
		__m128i b[8];

		_Pragma("GCC unroll 8")
		for (unsigned int i = 0; i < 8; i++) {
			b[i] = load(in + 16 * i);
		}
		enc8(ctx, b);
		_Pragma("GCC unroll 8")
		for (unsigned int i = 0; i < 8; i++) {
			store(out + 16 * i, b[i]);
		}
	}
	for (; n >= 4; n -= 4, in += 64, out += 64) {
		__m128i b[4];

		_Pragma("GCC unroll 8")
		for (unsigned int i = 0; i < 4; i++) {
			b[i] = load(in + 16 * i);
		}
		enc4(ctx, b);
		_Pragma("GCC unroll 8")
		for (unsigned int i = 0; i < 4; i++) {
			store(out + 16 * i, b[i]);
		}
	}
	for (; n > 0; n--, in += 16, out += 16) {
		store(out, enc1(ctx, load(in)));
	}
}

SIMD_ENTRY void aes_simd_decrypt_blocks(const struct aes_ctx *ctx, const uint8_t *in, uint8_t *out,
					size_t n)
{
	for (; n >= 4; n -= 4, in += 64, out += 64) {
		__m128i b[4];

		_Pragma("GCC unroll 8")
		for (unsigned int i = 0; i < 4; i++) {
			b[i] = load(in + 16 * i);
		}
		dec4(ctx, b);
		_Pragma("GCC unroll 8")
		for (unsigned int i = 0; i < 4; i++) {
			store(out + 16 * i, b[i]);
		}
	}
	for (; n > 0; n--, in += 16, out += 16) {
		store(out, dec1(ctx, load(in)));
	}
}

SIMD_ENTRY void aes_simd_cbc_encrypt(const struct aes_ctx *ctx, uint8_t iv[16], const uint8_t *in,
				     uint8_t *out, size_t n)
{
	__m128i c = load(iv);

	for (; n > 0; n--, in += 16, out += 16) {
		c = enc1(ctx, _mm_xor_si128(c, load(in)));
		store(out, c);
	}
	store(iv, c);
}

SIMD_ENTRY void aes_simd_cbc_decrypt(const struct aes_ctx *ctx, uint8_t iv[16], const uint8_t *in,
				     uint8_t *out, size_t n)
{
	__m128i prev = load(iv);

	for (; n >= 4; n -= 4, in += 64, out += 64) {
		__m128i c[4], b[4];

		_Pragma("GCC unroll 8")
		for (unsigned int i = 0; i < 4; i++) {
			c[i] = load(in + 16 * i);
			b[i] = c[i];
		}
		dec4(ctx, b);
		store(out, _mm_xor_si128(b[0], prev));
		_Pragma("GCC unroll 8")
		for (unsigned int i = 1; i < 4; i++) {
			store(out + 16 * i, _mm_xor_si128(b[i], c[i - 1]));
		}
		prev = c[3];
	}
	for (; n > 0; n--, in += 16, out += 16) {
		__m128i c = load(in);

		store(out, _mm_xor_si128(dec1(ctx, c), prev));
		prev = c;
	}
	store(iv, prev);
}

SIMD_ENTRY void aes_simd_cfb_encrypt(const struct aes_ctx *ctx, uint8_t iv[16], const uint8_t *in,
				     uint8_t *out, size_t n)
{
	__m128i c = load(iv);

	for (; n > 0; n--, in += 16, out += 16) {
		c = _mm_xor_si128(enc1(ctx, c), load(in));
		store(out, c);
	}
	store(iv, c);
}

SIMD_ENTRY void aes_simd_cfb_decrypt(const struct aes_ctx *ctx, uint8_t iv[16], const uint8_t *in,
				     uint8_t *out, size_t n)
{
	__m128i prev = load(iv);

	for (; n >= 4; n -= 4, in += 64, out += 64) {
		__m128i c[4], b[4];

		b[0] = prev;
		_Pragma("GCC unroll 8")
		for (unsigned int i = 0; i < 4; i++) {
			c[i] = load(in + 16 * i);
		}
		b[1] = c[0];
		b[2] = c[1];
		b[3] = c[2];
		enc4(ctx, b);
		_Pragma("GCC unroll 8")
		for (unsigned int i = 0; i < 4; i++) {
			store(out + 16 * i, _mm_xor_si128(b[i], c[i]));
		}
		prev = c[3];
	}
	for (; n > 0; n--, in += 16, out += 16) {
		__m128i c = load(in);

		store(out, _mm_xor_si128(enc1(ctx, prev), c));
		prev = c;
	}
	store(iv, prev);
}

/* The counter as two native words (hi = bytes 0..7, lo = bytes 8..15, big-endian). */
static inline __m128i ctr_block(uint64_t hi, uint64_t lo)
{
	return _mm_set_epi64x((long long)__builtin_bswap64(lo), (long long)__builtin_bswap64(hi));
}

static inline void ctr_next(uint64_t *hi, uint64_t *lo, int inc32)
{
	if (inc32) {
		*lo = (*lo & 0xFFFFFFFF00000000ull) | (uint32_t)(*lo + 1);
	} else {
		/* Branch-free carry: CTR_DRBG's counter V is secret. */
		*lo += 1;
		*hi += (~*lo & (*lo - 1)) >> 63;
	}
}

SIMD_ENTRY void aes_simd_ctr(const struct aes_ctx *ctx, uint8_t ctr[16], const uint8_t *in,
			     uint8_t *out, size_t n, int inc32)
{
	uint64_t hi = 0, lo = 0;

	_Pragma("GCC unroll 8")
	for (unsigned int i = 0; i < 8; i++) {
		hi = hi << 8 | ctr[i];
		lo = lo << 8 | ctr[8 + i];
	}
	for (; n >= 8; n -= 8, in += 128, out += 128) {
		__m128i b[8];

		_Pragma("GCC unroll 8")
		for (unsigned int i = 0; i < 8; i++) {
			b[i] = ctr_block(hi, lo);
			ctr_next(&hi, &lo, inc32);
		}
		enc8(ctx, b);
		_Pragma("GCC unroll 8")
		for (unsigned int i = 0; i < 8; i++) {
			store(out + 16 * i, _mm_xor_si128(b[i], load(in + 16 * i)));
		}
	}
	for (; n > 0; n--, in += 16, out += 16) {
		__m128i b = enc1(ctx, ctr_block(hi, lo));

		ctr_next(&hi, &lo, inc32);
		store(out, _mm_xor_si128(b, load(in)));
	}
	_Pragma("GCC unroll 8")
	for (unsigned int i = 0; i < 8; i++) {
		ctr[7 - i] = (uint8_t)(hi >> (8 * i));
		ctr[15 - i] = (uint8_t)(lo >> (8 * i));
	}
}
