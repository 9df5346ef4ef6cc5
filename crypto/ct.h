/*
 * Constant-time helpers: comparisons and selections whose running time and memory accesses
 * do not depend on the (secret) values involved. Every secret-dependent decision in crypto/
 * goes through these, never through `if` or an array index.
 *
 * Masks are all-ones (true) or all-zero (false) words.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The compiler must not see that a mask is 0/1-valued and turn arithmetic back into a branch. */
static inline uint64_t ct_barrier_u64(uint64_t x)
{
	__asm__("" : "+r"(x));
	return x;
}

static inline uint32_t ct_barrier_u32(uint32_t x)
{
	__asm__("" : "+r"(x));
	return x;
}

/* All-ones if x != 0. */
static inline uint64_t ct_mask_nonzero_u64(uint64_t x)
{
	return ct_barrier_u64((uint64_t)0 - ((x | ((uint64_t)0 - x)) >> 63));
}

/* All-ones if x == 0. */
static inline uint64_t ct_mask_zero_u64(uint64_t x)
{
	return ~ct_mask_nonzero_u64(x);
}

/* All-ones if a == b. */
static inline uint64_t ct_mask_eq_u64(uint64_t a, uint64_t b)
{
	return ct_mask_zero_u64(a ^ b);
}

/* All-ones if a < b (unsigned). */
static inline uint64_t ct_mask_lt_u64(uint64_t a, uint64_t b)
{
	/* The borrow of a - b, computed without a comparison instruction. */
	uint64_t borrow = ((~a & b) | (~(a ^ b) & (a - b))) >> 63;
	return ct_barrier_u64((uint64_t)0 - borrow);
}

/* mask ? a : b. */
static inline uint64_t ct_select_u64(uint64_t mask, uint64_t a, uint64_t b)
{
	return b ^ (mask & (a ^ b));
}

static inline uint32_t ct_select_u32(uint32_t mask, uint32_t a, uint32_t b)
{
	return b ^ (mask & (a ^ b));
}

/* 1 if the n bytes at a and b are equal, else 0; time depends on n only. */
static inline int ct_memeq(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *pa = a;
	const volatile uint8_t *pb = b;
	uint8_t diff = 0;

	for (size_t i = 0; i < n; i++) {
		diff |= (uint8_t)(pa[i] ^ pb[i]);
	}
	return (int)(1 & ((ct_barrier_u32(diff) - 1u) >> 8));
}

/* if (mask) copy n bytes from src to dst; mask is 0 or all-ones; time depends on n only. */
static inline void ct_copy_if(uint8_t mask, uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		dst[i] = (uint8_t)(dst[i] ^ (mask & (dst[i] ^ src[i])));
	}
}
