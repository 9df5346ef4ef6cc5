/*
 * GHASH with PCLMULQDQ (SP 800-38D section 6.4), the same arithmetic as the portable code
 * in crypto/gcm.c (see there for the reflected-order reduction), eight blocks per reduction:
 *     Y' = (Y ^ X1)*H^8 ^ X2*H^7 ^ ... ^ X8*H
 * The eight 256-bit products are XORed unreduced, then shifted and reduced once.
 *
 * The CALLER brackets every call with crypto_simd_begin()/crypto_simd_end() (crypto/gcm.c
 * does it once per public call). No secret-dependent branch or address; PCLMULQDQ and the
 * SSE logic run in data-independent time. Not built with -mavx (see crypto/aes_simd.c).
 */
#ifndef BASTION_HOST
/* See crypto/aes_simd.c: the kernel has no stdlib.h for gcc's mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED 1
#endif
#include <smmintrin.h>
#include <tmmintrin.h>
#include <wmmintrin.h>

#include "crypto/gcm.h"

#define SIMD_ENTRY __attribute__((force_align_arg_pointer))

/* A block read as a big-endian 128-bit integer. */
static inline __m128i load_block(const uint8_t *p, __m128i bswap)
{
	return _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), bswap);
}

/* Accumulates the 256-bit carry-less product a*b into (*hi, *lo) (Karatsuba). */
static inline void clmul_acc(__m128i a, __m128i b, __m128i *hi, __m128i *lo, __m128i *mid)
{
	__m128i am = _mm_xor_si128(a, _mm_shuffle_epi32(a, 0x4E));
	__m128i bm = _mm_xor_si128(b, _mm_shuffle_epi32(b, 0x4E));

	*hi = _mm_xor_si128(*hi, _mm_clmulepi64_si128(a, b, 0x11));
	*lo = _mm_xor_si128(*lo, _mm_clmulepi64_si128(a, b, 0x00));
	*mid = _mm_xor_si128(*mid, _mm_clmulepi64_si128(am, bm, 0x00));
}

/* Reduces the product (hi:lo, with the Karatsuba middle term mid = (a1^a0)(b1^b0) summed). */
static inline __m128i reduce(__m128i hi, __m128i lo, __m128i mid)
{
	__m128i h, l, w, v;

	mid = _mm_xor_si128(mid, _mm_xor_si128(hi, lo));
	hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
	lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
	/* Shift the 256-bit hi:lo left by one. */
	h = _mm_or_si128(_mm_slli_epi64(hi, 1), _mm_slli_si128(_mm_srli_epi64(hi, 63), 8));
	h = _mm_or_si128(h, _mm_srli_si128(_mm_srli_epi64(lo, 63), 8));
	l = _mm_or_si128(_mm_slli_epi64(lo, 1), _mm_slli_si128(_mm_srli_epi64(lo, 63), 8));
	/* W = L ^ V, V = (L<<127) ^ (L<<126) ^ (L<<121): only the low word feeds the high word. */
	v = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi64(l, 63), _mm_slli_epi64(l, 62)),
			  _mm_slli_epi64(l, 57));
	w = _mm_xor_si128(l, _mm_slli_si128(v, 8));
	/* H ^ W ^ (W>>1) ^ (W>>2) ^ (W>>7), 128-bit shifts. */
	v = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi64(w, 1), _mm_srli_epi64(w, 2)),
			  _mm_srli_epi64(w, 7));
	v = _mm_xor_si128(v, _mm_srli_si128(_mm_xor_si128(_mm_xor_si128(_mm_slli_epi64(w, 63),
									 _mm_slli_epi64(w, 62)),
							  _mm_slli_epi64(w, 57)),
					    8));
	return _mm_xor_si128(_mm_xor_si128(h, w), v);
}

static inline __m128i hpow_load(const struct gcm_ctx *ctx, unsigned int i)
{
	return _mm_load_si128((const __m128i *)(const void *)ctx->hpow[i]);
}

SIMD_ENTRY void gcm_simd_ghash(uint64_t y[2], const struct gcm_ctx *ctx, const uint8_t *data,
			       size_t n)
{
	const __m128i bswap = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	__m128i acc = _mm_set_epi64x((long long)y[1], (long long)y[0]);
	__m128i h1 = hpow_load(ctx, 0);

	for (; n >= GCM_SIMD_AGG; n -= GCM_SIMD_AGG, data += 16 * GCM_SIMD_AGG) {
		__m128i hi = _mm_setzero_si128(), lo = hi, mid = hi;

		clmul_acc(_mm_xor_si128(acc, load_block(data, bswap)),
			  hpow_load(ctx, GCM_SIMD_AGG - 1), &hi, &lo, &mid);
		_Pragma("GCC unroll 8")
		for (unsigned int i = 1; i < GCM_SIMD_AGG; i++) {
			clmul_acc(load_block(data + 16 * i, bswap),
				  hpow_load(ctx, GCM_SIMD_AGG - 1 - i), &hi, &lo, &mid);
		}
		acc = reduce(hi, lo, mid);
	}
	for (; n > 0; n--, data += 16) {
		__m128i hi = _mm_setzero_si128(), lo = hi, mid = hi;

		clmul_acc(_mm_xor_si128(acc, load_block(data, bswap)), h1, &hi, &lo, &mid);
		acc = reduce(hi, lo, mid);
	}
	y[0] = (uint64_t)_mm_cvtsi128_si64(acc);
	y[1] = (uint64_t)_mm_extract_epi64(acc, 1);
}
