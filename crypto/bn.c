/*
 * Fixed-width big integers (crypto/bn.h): see the header for the contract and references.
 *
 * Everything here is straight-line over the limb counts; secret-dependent choices are made
 * with the masks of crypto/ct.h. The 64x64->128 products use unsigned __int128, which gcc
 * lowers to one MUL instruction on x86-64 (no libgcc call), also in the freestanding kernel.
 */
#include "crypto/bn.h"

#include "crypto/ct.h"
#include "kernel/string.h"

typedef unsigned __int128 u128;

/* ---- Bytes ---------------------------------------------------------------------------------- */

int bn_from_bytes(uint64_t *r, size_t n, const uint8_t *in, size_t len)
{
	uint64_t over = 0;

	bn_zero(r, n);
	for (size_t i = 0; i < len; i++) {
		uint64_t byte = in[len - 1 - i];
		size_t limb = i / 8;

		/* The branch is on the position (public), not on the byte. */
		if (limb < n) {
			r[limb] |= byte << (8 * (i % 8));
		} else {
			over |= byte;
		}
	}
	return (int)(0 - (ct_mask_nonzero_u64(over) & 1));
}

int bn_to_bytes(uint8_t *out, size_t len, const uint64_t *a, size_t n)
{
	uint64_t over = 0;

	for (size_t i = 0; i < len; i++) {
		size_t limb = i / 8;

		out[len - 1 - i] = limb < n ? (uint8_t)(a[limb] >> (8 * (i % 8))) : 0;
	}
	/* Limbs and limb bytes beyond len must be zero. */
	for (size_t limb = 0; limb < n; limb++) {
		for (size_t k = 0; k < 8; k++) {
			if (limb * 8 + k >= len) {
				over |= (a[limb] >> (8 * k)) & 0xff;
			}
		}
	}
	return (int)(0 - (ct_mask_nonzero_u64(over) & 1));
}

/* ---- Basic arithmetic ----------------------------------------------------------------------- */

void bn_zero(uint64_t *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		r[i] = 0;
	}
}

void bn_copy(uint64_t *r, const uint64_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		r[i] = a[i];
	}
}

void bn_set_word(uint64_t *r, size_t n, uint64_t w)
{
	bn_zero(r, n);
	if (n > 0) {
		r[0] = w;
	}
}

uint64_t bn_add(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n)
{
	uint64_t c = 0;

	for (size_t i = 0; i < n; i++) {
		u128 s = (u128)a[i] + b[i] + c;
		r[i] = (uint64_t)s;
		c = (uint64_t)(s >> 64);
	}
	return c;
}

uint64_t bn_sub(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n)
{
	uint64_t br = 0;

	for (size_t i = 0; i < n; i++) {
		u128 d = (u128)a[i] - b[i] - br;
		r[i] = (uint64_t)d;
		br = (uint64_t)(d >> 64) & 1;
	}
	return br;
}

uint64_t bn_add_word(uint64_t *r, const uint64_t *a, uint64_t w, size_t n)
{
	uint64_t c = w;

	for (size_t i = 0; i < n; i++) {
		u128 s = (u128)a[i] + c;
		r[i] = (uint64_t)s;
		c = (uint64_t)(s >> 64);
	}
	return c;
}

uint64_t bn_sub_word(uint64_t *r, const uint64_t *a, uint64_t w, size_t n)
{
	uint64_t br = w;

	for (size_t i = 0; i < n; i++) {
		u128 d = (u128)a[i] - br;
		r[i] = (uint64_t)d;
		br = (uint64_t)(d >> 64) & 1;
	}
	return br;
}

/* r = a + (b & mask); returns the carry. */
static uint64_t bn_add_masked(uint64_t *r, const uint64_t *a, const uint64_t *b, uint64_t mask,
			      size_t n)
{
	uint64_t c = 0;

	for (size_t i = 0; i < n; i++) {
		u128 s = (u128)a[i] + (b[i] & mask) + c;
		r[i] = (uint64_t)s;
		c = (uint64_t)(s >> 64);
	}
	return c;
}

void bn_mul(uint64_t *r, const uint64_t *a, size_t an, const uint64_t *b, size_t bn)
{
	bn_zero(r, an + bn);
	for (size_t i = 0; i < bn; i++) {
		uint64_t c = 0;

		for (size_t j = 0; j < an; j++) {
			u128 t = (u128)a[j] * b[i] + r[i + j] + c;
			r[i + j] = (uint64_t)t;
			c = (uint64_t)(t >> 64);
		}
		r[i + an] = c;
	}
}

void bn_cond_copy(uint64_t mask, uint64_t *r, const uint64_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		r[i] = ct_select_u64(mask, a[i], r[i]);
	}
}

void bn_cond_swap(uint64_t mask, uint64_t *a, uint64_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t t = mask & (a[i] ^ b[i]);
		a[i] ^= t;
		b[i] ^= t;
	}
}

uint64_t bn_shr1(uint64_t *a, size_t n, uint64_t in)
{
	uint64_t out = n > 0 ? a[0] & 1 : 0;

	for (size_t i = 0; i + 1 < n; i++) {
		a[i] = (a[i] >> 1) | (a[i + 1] << 63);
	}
	if (n > 0) {
		a[n - 1] = (a[n - 1] >> 1) | (in << 63);
	}
	return out;
}

uint64_t bn_shl1(uint64_t *a, size_t n)
{
	uint64_t out = n > 0 ? a[n - 1] >> 63 : 0;

	for (size_t i = n; i-- > 1;) {
		a[i] = (a[i] << 1) | (a[i - 1] >> 63);
	}
	if (n > 0) {
		a[0] <<= 1;
	}
	return out;
}

/* if (mask) a >>= 1. Ascending order reads a[i + 1] before it is rewritten. */
static void bn_cond_shr1(uint64_t mask, uint64_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t hi = i + 1 < n ? a[i + 1] << 63 : 0;
		a[i] = ct_select_u64(mask, (a[i] >> 1) | hi, a[i]);
	}
}

void bn_shr_ct(uint64_t *r, const uint64_t *a, size_t n, uint64_t s)
{
	bn_copy(r, a, n);
	/* Apply a shift by 2^j for every bit j of s, each as a masked pass over all limbs. */
	for (unsigned int j = 0; ((size_t)1 << j) < 64 * n; j++) {
		uint64_t mask = 0 - ((s >> j) & 1);

		if (j < 6) {
			unsigned int b = 1u << j;
			for (size_t i = 0; i < n; i++) {
				uint64_t hi = i + 1 < n ? r[i + 1] << (64 - b) : 0;
				r[i] = ct_select_u64(mask, (r[i] >> b) | hi, r[i]);
			}
		} else {
			size_t l = (size_t)1 << (j - 6);
			for (size_t i = 0; i < n; i++) {
				r[i] = ct_select_u64(mask, i + l < n ? r[i + l] : 0, r[i]);
			}
		}
	}
}

void bn_shl_ct(uint64_t *r, const uint64_t *a, size_t n, uint64_t s)
{
	bn_copy(r, a, n);
	for (unsigned int j = 0; ((size_t)1 << j) < 64 * n; j++) {
		uint64_t mask = 0 - ((s >> j) & 1);

		if (j < 6) {
			unsigned int b = 1u << j;
			for (size_t i = n; i-- > 0;) {
				uint64_t lo = i > 0 ? r[i - 1] >> (64 - b) : 0;
				r[i] = ct_select_u64(mask, (r[i] << b) | lo, r[i]);
			}
		} else {
			size_t l = (size_t)1 << (j - 6);
			for (size_t i = n; i-- > 0;) {
				r[i] = ct_select_u64(mask, i >= l ? r[i - l] : 0, r[i]);
			}
		}
	}
}

uint64_t bn_ctz_ct(const uint64_t *a, size_t n)
{
	uint64_t count = 0;
	uint64_t still = ~(uint64_t)0; /* all bits seen so far were zero */

	for (size_t i = 0; i < n; i++) {
		for (unsigned int k = 0; k < 64; k++) {
			still &= ct_mask_zero_u64((a[i] >> k) & 1);
			count += still & 1;
		}
	}
	return count;
}

/* ---- Comparison ----------------------------------------------------------------------------- */

uint64_t bn_lt_mask(const uint64_t *a, const uint64_t *b, size_t n)
{
	uint64_t lt = 0;

	/* From the least significant limb up: a higher limb that differs overrides. */
	for (size_t i = 0; i < n; i++) {
		uint64_t l = ct_mask_lt_u64(a[i], b[i]);
		uint64_t e = ct_mask_eq_u64(a[i], b[i]);
		lt = l | (e & lt);
	}
	return lt;
}

uint64_t bn_eq_mask(const uint64_t *a, const uint64_t *b, size_t n)
{
	uint64_t diff = 0;

	for (size_t i = 0; i < n; i++) {
		diff |= a[i] ^ b[i];
	}
	return ct_mask_zero_u64(diff);
}

uint64_t bn_zero_mask(const uint64_t *a, size_t n)
{
	uint64_t acc = 0;

	for (size_t i = 0; i < n; i++) {
		acc |= a[i];
	}
	return ct_mask_zero_u64(acc);
}

int bn_cmp(const uint64_t *a, const uint64_t *b, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		if (a[i] != b[i]) {
			return a[i] < b[i] ? -1 : 1;
		}
	}
	return 0;
}

size_t bn_bit_length(const uint64_t *a, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		if (a[i] != 0) {
			return 64 * i + 64 - (size_t)__builtin_clzll(a[i]);
		}
	}
	return 0;
}

uint64_t bn_get_bit(const uint64_t *a, size_t i)
{
	return (a[i / 64] >> (i % 64)) & 1;
}

/* ---- Montgomery arithmetic ------------------------------------------------------------------- */

int bn_mont_init(struct bn_mont *ctx, const uint64_t *m, size_t n)
{
	uint64_t tmp[BN_MAX_LIMBS];
	uint64_t *x = ctx->rr;
	uint64_t inv;
	unsigned int s;
	size_t t;

	/*
	 * Only the size, the parity and a nonzero top limb are checked: all three are public even
	 * for an RSA prime (odd, of a known bit length).
	 */
	if (n == 0 || n > BN_MAX_LIMBS || (m[0] & 1) == 0 || m[n - 1] == 0) {
		return -1;
	}
	ctx->n = n;
	/* m may be ctx->m itself: copy before clearing the unused tail. */
	bn_copy(ctx->m, m, n);
	bn_zero(ctx->m + n, BN_MAX_LIMBS - n);
	bn_zero(ctx->rr, BN_MAX_LIMBS);
	m = ctx->m;

	/* Newton iteration for m0^-1 mod 2^64: x = m0 is right to 3 bits; each step doubles. */
	inv = m[0];
	for (int i = 0; i < 5; i++) {
		inv *= 2 - m[0] * inv;
	}
	ctx->m0inv = 0 - inv;

	/*
	 * R^2 mod m without a branch on m. With 64n = t * 2^s (s = the trailing zeros of 64n,
	 * public), start from 2^(64(n-1)) < m, double 64 + t times with masked subtraction to get
	 * 2^(64n + t) mod m = 2^t * R mod m, the Montgomery form of 2^t, then square s times in
	 * Montgomery form: 2^(t * 2^s) = R, i.e. R * R mod m.
	 */
	s = (unsigned int)__builtin_ctzll(64 * (uint64_t)n);
	t = (64 * n) >> s;
	bn_zero(x, n);
	x[n - 1] = 1;
	for (size_t i = 0; i < 64 + t; i++) {
		uint64_t c = bn_shl1(x, n);
		uint64_t br = bn_sub(tmp, x, m, n);
		/* 2x >= m exactly when doubling carried out or subtracting m did not borrow. */
		bn_cond_copy(ct_mask_nonzero_u64(c) | ct_mask_zero_u64(br), x, tmp, n);
	}
	for (unsigned int i = 0; i < s; i++) {
		bn_mont_sqr(ctx, x, x);
	}
	mem_wipe(tmp, sizeof(tmp));
	return 0;
}

/*
 * The innermost limb loops run without AddressSanitizer instrumentation (host test builds):
 * it made them about 5x slower, which would cut the OpenSSL differential tests' iteration
 * counts; UBSan stays on, their callers stay instrumented, and the loops only touch the
 * caller's fixed-size arrays within n limbs.
 */
#define BN_HOT __attribute__((no_sanitize_address))

/* t[0..n) += a[0..n) * b; returns the carry limb. The one inner loop of all products. */
static inline BN_HOT uint64_t mac_row(uint64_t *t, const uint64_t *a, uint64_t b, size_t n)
{
	uint64_t c = 0;

	for (size_t j = 0; j < n; j++) {
		u128 s = (u128)a[j] * b + t[j] + c;
		t[j] = (uint64_t)s;
		c = (uint64_t)(s >> 64);
	}
	return c;
}

/*
 * Montgomery reduction (REDC, "separated operand scanning"): r = T * R^-1 mod m for the
 * 2n-limb T < m * R, which is clobbered. Each row adds q * m at limb i with q making T[i]
 * vanish; the rows' top carries ripple through `carry`. The result before the final
 * subtraction is T[n..2n) + carry * R < 2m; m is subtracted by mask.
 */
static BN_HOT void mont_reduce(const struct bn_mont *ctx, uint64_t *r, uint64_t *T)
{
	const size_t n = ctx->n;
	const uint64_t *m = ctx->m;
	const uint64_t m0inv = ctx->m0inv;
	uint64_t carry = 0, mask;

	for (size_t i = 0; i < n; i++) {
		uint64_t q = T[i] * m0inv;
		uint64_t c = mac_row(T + i, m, q, n);
		u128 s = (u128)T[i + n] + c + carry;

		T[i + n] = (uint64_t)s;
		carry = (uint64_t)(s >> 64);
	}
	mask = ~ct_mask_lt_u64(carry, bn_sub(r, T + n, m, n));
	for (size_t j = 0; j < n; j++) {
		r[j] = ct_select_u64(mask, r[j], T[n + j]);
	}
}

BN_HOT void bn_mont_mul(const struct bn_mont *ctx, uint64_t *r, const uint64_t *a, const uint64_t *b)
{
	const size_t n = ctx->n;
	uint64_t T[2 * BN_MAX_LIMBS];

	/* T = a * b (requires a * b < m * R), then REDC. */
	bn_zero(T, n);
	for (size_t i = 0; i < n; i++) {
		T[i + n] = mac_row(T + i, a, b[i], n);
	}
	mont_reduce(ctx, r, T);
	mem_wipe(T, 2 * n * sizeof(T[0]));
}

BN_HOT void bn_mont_sqr(const struct bn_mont *ctx, uint64_t *r, const uint64_t *a)
{
	const size_t n = ctx->n;
	uint64_t T[2 * BN_MAX_LIMBS];
	uint64_t c = 0;

	/* Off-diagonal products a[i] * a[j], i < j, once: row i covers limbs 2i+1 .. i+n. */
	bn_zero(T, 2 * n);
	for (size_t i = 0; i + 1 < n; i++) {
		T[i + n] = mac_row(T + 2 * i + 1, a + i + 1, a[i], n - i - 1);
	}
	/* Double them and add the squares a[i]^2 at limb 2i (a^2 < R^2: no carry out). */
	bn_shl1(T, 2 * n);
	for (size_t i = 0; i < n; i++) {
		u128 sq = (u128)a[i] * a[i];
		u128 s = (u128)T[2 * i] + (uint64_t)sq + c;

		T[2 * i] = (uint64_t)s;
		s = (u128)T[2 * i + 1] + (uint64_t)(sq >> 64) + (uint64_t)(s >> 64);
		T[2 * i + 1] = (uint64_t)s;
		c = (uint64_t)(s >> 64);
	}
	mont_reduce(ctx, r, T);
	mem_wipe(T, 2 * n * sizeof(T[0]));
}

void bn_to_mont(const struct bn_mont *ctx, uint64_t *r, const uint64_t *a)
{
	bn_mont_mul(ctx, r, a, ctx->rr);
}

void bn_from_mont(const struct bn_mont *ctx, uint64_t *r, const uint64_t *a)
{
	uint64_t one[BN_MAX_LIMBS];

	bn_set_word(one, ctx->n, 1);
	bn_mont_mul(ctx, r, a, one);
}

void bn_mod_reduce(const struct bn_mont *ctx, uint64_t *r, const uint64_t *a, size_t alen)
{
	const size_t n = ctx->n;
	uint64_t lo[BN_MAX_LIMBS];
	uint64_t hi[BN_MAX_LIMBS];

	/* a = hi * R + lo with hi, lo < R. */
	bn_zero(lo, n);
	bn_zero(hi, n);
	for (size_t i = 0; i < alen && i < 2 * n; i++) {
		if (i < n) {
			lo[i] = a[i];
		} else {
			hi[i - n] = a[i];
		}
	}
	/* hi * R^2 * R^-1 = hi * R mod m (hi < R, R^2 mod m < m). */
	bn_mont_mul(ctx, hi, hi, ctx->rr);
	/* lo * R^-1 mod m, then * R^2 * R^-1: lo mod m. */
	bn_from_mont(ctx, lo, lo);
	bn_to_mont(ctx, lo, lo);
	bn_mod_add(ctx, r, hi, lo);
	mem_wipe(lo, sizeof(lo));
	mem_wipe(hi, sizeof(hi));
}

void bn_mod_add(const struct bn_mont *ctx, uint64_t *r, const uint64_t *a, const uint64_t *b)
{
	const size_t n = ctx->n;
	uint64_t t[BN_MAX_LIMBS];
	uint64_t c = bn_add(r, a, b, n);
	uint64_t br = bn_sub(t, r, ctx->m, n);

	bn_cond_copy(ct_mask_nonzero_u64(c) | ct_mask_zero_u64(br), r, t, n);
	mem_wipe(t, n * sizeof(t[0]));
}

void bn_mod_sub(const struct bn_mont *ctx, uint64_t *r, const uint64_t *a, const uint64_t *b)
{
	uint64_t br = bn_sub(r, a, b, ctx->n);

	bn_add_masked(r, r, ctx->m, ct_mask_nonzero_u64(br), ctx->n);
}

void bn_mod_mul(const struct bn_mont *ctx, uint64_t *r, const uint64_t *a, const uint64_t *b)
{
	bn_mont_mul(ctx, r, a, b);
	bn_mont_mul(ctx, r, r, ctx->rr);
}

/* ws->sel = table[idx], reading every entry (the index is secret). */
static void exp_select(const struct bn_mont *ctx, struct bn_exp_ws *ws, uint64_t idx)
{
	const size_t n = ctx->n;

	bn_zero(ws->sel, n);
	for (uint64_t k = 0; k < BN_EXP_TABLE; k++) {
		uint64_t mask = ct_mask_eq_u64(k, idx);
		for (size_t j = 0; j < n; j++) {
			ws->sel[j] |= ws->table[k][j] & mask;
		}
	}
}

void bn_mod_exp(const struct bn_mont *ctx, uint64_t *r, const uint64_t *base, const uint64_t *exp,
		struct bn_exp_ws *ws)
{
	const size_t n = ctx->n;
	const size_t windows = 64 * n / BN_EXP_WINDOW;

	/* table[i] = base^i in Montgomery form; table[0] = R mod m = (R^2 mod m) * R^-1. */
	bn_from_mont(ctx, ws->table[0], ctx->rr);
	bn_to_mont(ctx, ws->table[1], base);
	for (size_t i = 2; i < BN_EXP_TABLE; i++) {
		bn_mont_mul(ctx, ws->table[i], ws->table[i - 1], ws->table[1]);
	}
	/* Left to right over all 64n exponent bits, whatever the exponent's value. */
	bn_copy(ws->acc, ws->table[0], n);
	for (size_t w = windows; w-- > 0;) {
		size_t bit = w * BN_EXP_WINDOW;
		uint64_t idx = (exp[bit / 64] >> (bit % 64)) & (BN_EXP_TABLE - 1);

		for (unsigned int k = 0; k < BN_EXP_WINDOW; k++) {
			bn_mont_sqr(ctx, ws->acc, ws->acc);
		}
		exp_select(ctx, ws, idx);
		bn_mont_mul(ctx, ws->acc, ws->acc, ws->sel);
	}
	bn_from_mont(ctx, r, ws->acc);
	mem_wipe(ws, sizeof(*ws));
}

void bn_mod_exp_public(const struct bn_mont *ctx, uint64_t *r, const uint64_t *base,
		       const uint64_t *exp, size_t elen, uint64_t *tmp)
{
	size_t bits = bn_bit_length(exp, elen);

	if (bits == 0) {
		/* base^0 = 1 (m > 1). */
		bn_set_word(r, ctx->n, 1);
		return;
	}
	bn_to_mont(ctx, tmp, base);
	bn_copy(r, tmp, ctx->n);
	for (size_t i = bits - 1; i-- > 0;) {
		bn_mont_sqr(ctx, r, r);
		if (bn_get_bit(exp, i)) {
			bn_mont_mul(ctx, r, r, tmp);
		}
	}
	bn_from_mont(ctx, r, r);
}

/* ---- Division, GCD, inverse ------------------------------------------------------------------ */

int bn_div_ct(uint64_t *q, uint64_t *r, const uint64_t *a, size_t an, const uint64_t *b, size_t bn,
	      struct bn_ws *ws)
{
	uint64_t *rem = ws->b; /* bn + 1 limbs: the running remainder, always < b before shifting */
	uint64_t *div = ws->c; /* b with a zero top limb */
	uint64_t *t = ws->d;

	uint64_t b_zero;

	if (bn == 0 || bn > BN_MAX_LIMBS || an > 2 * BN_MAX_LIMBS) {
		return -1;
	}
	/* A zero divisor runs the same loop (producing garbage) and is reported by mask. */
	b_zero = bn_zero_mask(b, bn);
	bn_zero(rem, bn + 1);
	bn_copy(div, b, bn);
	div[bn] = 0;
	if (q != NULL) {
		bn_zero(q, an);
	}
	for (size_t i = 64 * an; i-- > 0;) {
		uint64_t ge;

		bn_shl1(rem, bn + 1);
		rem[0] |= bn_get_bit(a, i);
		ge = ct_mask_zero_u64(bn_sub(t, rem, div, bn + 1));
		bn_cond_copy(ge, rem, t, bn + 1);
		if (q != NULL) {
			q[i / 64] |= (ge & 1) << (i % 64);
		}
	}
	bn_copy(r, rem, bn);
	mem_wipe(ws, sizeof(*ws));
	return (int)(int64_t)ct_select_u64(b_zero, (uint64_t)-1, 0);
}

void bn_gcd_ct(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n, struct bn_ws *ws)
{
	uint64_t *u = ws->b, *v = ws->c, *d1 = ws->d, *d2 = ws->e;
	uint64_t k = 0;

	bn_copy(u, a, n);
	bn_copy(v, b, n);
	/*
	 * Stein's algorithm. Every iteration that is not finished (u, v both nonzero) shortens
	 * bitlen(u) + bitlen(v) by at least one, so 128n iterations always suffice.
	 */
	for (size_t it = 0; it < 128 * n; it++) {
		uint64_t live = ~(bn_zero_mask(u, n) | bn_zero_mask(v, n));
		uint64_t ue = ct_mask_zero_u64(u[0] & 1);
		uint64_t ve = ct_mask_zero_u64(v[0] & 1);
		uint64_t both_odd = live & ~ue & ~ve;
		uint64_t lt = ct_mask_nonzero_u64(bn_sub(d1, u, v, n)); /* u < v */

		bn_sub(d2, v, u, n);
		bn_shr1(d1, n, 0);
		bn_shr1(d2, n, 0);
		/* Both even: halve both and remember the common factor 2. */
		k += live & ue & ve & 1;
		bn_cond_shr1(live & ue, u, n);
		bn_cond_shr1(live & ve, v, n);
		/* Both odd: the larger one becomes |u - v| / 2. */
		bn_cond_copy(both_odd & ~lt, u, d1, n);
		bn_cond_copy(both_odd & lt, v, d2, n);
	}
	/* One of u, v is zero: their OR is the odd part of the gcd. */
	for (size_t i = 0; i < n; i++) {
		d1[i] = u[i] | v[i];
	}
	bn_shl_ct(r, d1, n, k);
	mem_wipe(ws, sizeof(*ws));
}

/*
 * Constant-time modular inversion with Bernstein and Yang's division steps ("Fast
 * constant-time gcd computation and modular inversion", 2019, sections 8 to 11), in batches
 * of 62 computed from the low limbs only.
 *
 * divstep(delta, f, g) = (1 - delta, g, (g - f) / 2)        if delta > 0 and g is odd,
 *                        (1 + delta, f, (g + (g mod 2) f) / 2) otherwise.
 * Starting from (1, m, a) with m odd, g reaches 0 and f = +-gcd(a, m) within
 * floor((49 d + 57) / 17) steps for d-bit inputs, d >= 46 (their theorem 11.2).
 */

/*
 * 62 division steps on the low 64 bits of f and g (exact for that many steps: step i only
 * reads bit i and up of the original words). Returns the new delta and the transition
 * matrix t = {u, v, q, r} with 2^62 f' = u f + v g and 2^62 g' = q f + r g. Every step is
 * the same masked arithmetic whatever the values.
 */
static int64_t divsteps_62(int64_t delta, uint64_t f, uint64_t g, int64_t t[4])
{
	uint64_t u = 1, v = 0, q = 0, r = 1;

	for (int i = 0; i < 62; i++) {
		/* All ones when delta > 0 (|delta| stays far below 2^62, so -delta cannot overflow). */
		uint64_t pos = 0 - ((uint64_t)(0 - delta) >> 63);
		uint64_t odd = 0 - (g & 1);
		uint64_t sw = pos & odd;
		uint64_t nf = ct_select_u64(sw, g, f);
		uint64_t ng = ct_select_u64(sw, 0 - f, g);
		uint64_t nu = ct_select_u64(sw, q, u);
		uint64_t nv = ct_select_u64(sw, r, v);
		uint64_t nq = ct_select_u64(sw, 0 - u, q);
		uint64_t nr = ct_select_u64(sw, 0 - v, r);

		delta = (int64_t)ct_select_u64(sw, (uint64_t)(0 - delta), (uint64_t)delta);
		/* g odd: g += f (after the swap, g = -f_old, so g - f_old in the first case). */
		ng += nf & odd;
		nq += nu & odd;
		nr += nv & odd;
		/* Halve g; to keep the matrix integral, double the f row instead of halving g's. */
		f = nf;
		g = ng >> 1;
		u = nu << 1;
		v = nv << 1;
		q = nq;
		r = nr;
		delta++;
	}
	t[0] = (int64_t)u;
	t[1] = (int64_t)v;
	t[2] = (int64_t)q;
	t[3] = (int64_t)r;
	return delta;
}

typedef __int128 s128;

/* Limb j of the L-limb two's complement x, sign-extended when it is the top limb. */
static inline s128 limb_s(const uint64_t *x, size_t j, size_t L)
{
	return j + 1 < L ? (s128)x[j] : (s128)(int64_t)x[j];
}

/*
 * y[L + 1] = a * x1 + b * x2 for L-limb two's complement x1, x2 and |a| + |b| <= 2^62
 * (so each partial sum stays below 2^127 in magnitude).
 */
static void lin_comb(uint64_t *y, const uint64_t *x1, const uint64_t *x2, size_t L, int64_t a,
		     int64_t b)
{
	s128 acc = 0;

	for (size_t j = 0; j < L; j++) {
		acc += (s128)a * limb_s(x1, j, L) + (s128)b * limb_s(x2, j, L);
		y[j] = (uint64_t)acc;
		acc >>= 64; /* arithmetic: gcc's >> on signed __int128 */
	}
	y[L] = (uint64_t)acc;
}

/* x[L] = y[L + 1] >> 62 (arithmetic), y's low 62 bits being zero. */
static void shr62(uint64_t *x, const uint64_t *y, size_t L)
{
	for (size_t j = 0; j < L; j++) {
		x[j] = (y[j] >> 62) | (y[j + 1] << 2);
	}
}

int bn_mod_inv_ct(uint64_t *r, const uint64_t *a, const uint64_t *m, size_t n, struct bn_ws *ws)
{
	const size_t L = n + 1; /* signed values below m in magnitude */
	uint64_t *f = ws->b, *g = ws->c, *d = ws->d, *e = ws->e, *y = ws->a, *mm = ws->f;
	/* m^-1 mod 2^64 by Newton (m odd): picks the multiple of m clearing 62 low bits. */
	uint64_t minv = m[0];
	const size_t steps = (49 * 64 * n + 57) / 17 + 1;
	const size_t batches = (steps + 61) / 62;
	int64_t delta = 1;
	uint64_t ok_pos, ok_neg, neg;

	for (int i = 0; i < 5; i++) {
		minv *= 2 - m[0] * minv;
	}
	bn_copy(f, m, n);
	f[n] = 0;
	bn_copy(g, a, n);
	g[n] = 0;
	bn_copy(mm, m, n);
	mm[n] = 0;
	/* Invariants: f = d * a and g = e * a (mod m), d and e in [0, m). */
	bn_zero(d, L);
	bn_set_word(e, L, 1);

	for (size_t it = 0; it < batches; it++) {
		int64_t t[4];
		uint64_t k, sign;

		delta = divsteps_62(delta, f[0], g[0], t);
		/* (f, g) = (u f + v g, q f + r g) / 2^62: exact divisions. */
		lin_comb(y, f, g, L, t[0], t[1]);
		lin_comb(y + L + 1, f, g, L, t[2], t[3]);
		shr62(f, y, L);
		shr62(g, y + L + 1, L);
		/*
		 * (d, e) = (u d + v e, q d + r e) / 2^62 mod m: add k * m with k = -X m^-1 mod 2^62
		 * so the division is exact. The results are in (-2m, 2m); bring them to [0, m).
		 */
		for (int row = 0; row < 2; row++) {
			uint64_t *dst = row == 0 ? y : y + L + 1;

			lin_comb(dst, d, e, L, t[2 * row], t[2 * row + 1]);
			k = (0 - dst[0] * minv) & (((uint64_t)1 << 62) - 1);
			dst[L] += mac_row(dst, mm, k, L);
		}
		shr62(d, y, L);
		shr62(e, y + L + 1, L);
		for (int row = 0; row < 2; row++) {
			uint64_t *x = row == 0 ? d : e;

			sign = 0 - (x[L - 1] >> 63);
			bn_add_masked(x, x, mm, sign, L);
			sign = 0 - (x[L - 1] >> 63);
			bn_add_masked(x, x, mm, sign, L);
			/* now in [0, 2m): subtract m unless that goes negative */
			sign = bn_sub(y, x, mm, L);
			bn_cond_copy(ct_mask_zero_u64(sign), x, y, L);
		}
	}
	/* g = 0 and f = +-1 when gcd(a, m) = 1; the inverse is then +-d. */
	bn_set_word(y, L, 1);
	ok_pos = bn_eq_mask(f, y, L);
	bn_zero(y, L);
	bn_sub_word(y, y, 1, L); /* -1 */
	ok_neg = bn_eq_mask(f, y, L);
	ok_pos &= bn_zero_mask(g, L);
	ok_neg &= bn_zero_mask(g, L);
	neg = ok_neg & ~bn_zero_mask(d, n);
	bn_sub(y, m, d, n); /* m - d */
	bn_cond_copy(neg, d, y, n);
	for (size_t i = 0; i < n; i++) {
		r[i] = d[i] & (ok_pos | ok_neg);
	}
	neg = ok_pos | ok_neg;
	mem_wipe(ws, sizeof(*ws));
	return neg != 0 ? 0 : -1;
}
