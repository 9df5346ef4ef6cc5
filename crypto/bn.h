/*
 * Fixed-width unsigned big integers for RSA (up to 4096-bit moduli) and prime generation.
 *
 * Representation: arrays of 64-bit limbs, least significant limb first. Nothing is allocated
 * and nothing carries its own length: every operation takes the length in limbs explicitly,
 * so 2048-bit work never pays for 4096-bit buffers. Big temporaries live in caller-provided
 * workspace structs (struct bn_exp_ws, struct bn_ws) so no stack frame exceeds 4 KiB.
 *
 * Constant time: unless a function is marked "variable time (public inputs only)", its
 * running time, branches and memory addresses depend only on the limb counts (and, for
 * modular exponentiation, on the modulus size), never on the values. Montgomery contexts
 * for secret moduli (the RSA primes p and q) are built without value-dependent branches.
 * Variable-time functions exist for public data only: bn_cmp, bn_bit_length,
 * bn_mod_exp_public (public exponent, e.g. e = 65537) and the byte-length checks.
 *
 * References: Montgomery multiplication (Montgomery 1985; the SOS method of Koc, Acar and
 * Kaliski, "Analyzing and comparing Montgomery multiplication algorithms", 1996: a full
 * product or a dedicated square, then a separate word-by-word reduction), fixed-window
 * exponentiation (HAC 14.82, with every table entry read on every lookup), binary GCD (HAC
 * 14.54, run for a fixed number of iterations), modular inversion by Bernstein and Yang's
 * division steps ("Fast constant-time gcd computation and modular inversion", 2019).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BN_LIMB_BITS 64u
#define BN_MAX_BITS 4096u
#define BN_MAX_LIMBS (BN_MAX_BITS / BN_LIMB_BITS) /* 64: one RSA-4096 number */
#define BN_MAX_BYTES (BN_MAX_BITS / 8u)		  /* 512 */
/* Fixed-window exponentiation: 4-bit windows, 16 table entries. */
#define BN_EXP_WINDOW 4u
#define BN_EXP_TABLE (1u << BN_EXP_WINDOW)

/*
 * A Montgomery context for an odd modulus m of n limbs (1 <= n <= BN_MAX_LIMBS; the top limb
 * may be smaller than 2^63, i.e. moduli of any bit length work). R = 2^(64n).
 * Plain memory: copyable, wipe it with mem_wipe when m is secret.
 */
struct bn_mont {
	size_t n;		   /* limbs */
	uint64_t m[BN_MAX_LIMBS];  /* modulus, n limbs used */
	uint64_t rr[BN_MAX_LIMBS]; /* R^2 mod m */
	uint64_t m0inv;		   /* -m^-1 mod 2^64 */
};

/* Workspace of the constant-time exponentiation (about 9 KiB). */
struct bn_exp_ws {
	uint64_t table[BN_EXP_TABLE][BN_MAX_LIMBS];
	uint64_t acc[BN_MAX_LIMBS];
	uint64_t sel[BN_MAX_LIMBS];
	uint64_t base[BN_MAX_LIMBS];
};

/* Workspace of division, GCD and inversion (about 3.6 KiB). */
struct bn_ws {
	uint64_t a[2 * BN_MAX_LIMBS + 4];
	uint64_t b[BN_MAX_LIMBS + 1];
	uint64_t c[BN_MAX_LIMBS + 1];
	uint64_t d[BN_MAX_LIMBS + 1];
	uint64_t e[BN_MAX_LIMBS + 1];
	uint64_t f[BN_MAX_LIMBS + 1];
};

/* ---- Bytes ---------------------------------------------------------------------------------- */

/*
 * r[n] = the big-endian integer in[len]. Returns 0, or -1 if the value does not fit in n limbs
 * (r then holds the low n limbs). Leading zero bytes are allowed. Time depends on len and n.
 */
int bn_from_bytes(uint64_t *r, size_t n, const uint8_t *in, size_t len);
/*
 * out[len] = a[n] big-endian, zero-padded on the left. Returns 0, or -1 if a does not fit in
 * len bytes (out then holds the low len bytes). Time depends on len and n.
 */
int bn_to_bytes(uint8_t *out, size_t len, const uint64_t *a, size_t n);

/* ---- Basic arithmetic (r may alias a or b) --------------------------------------------------- */

void bn_zero(uint64_t *r, size_t n);
void bn_copy(uint64_t *r, const uint64_t *a, size_t n);
void bn_set_word(uint64_t *r, size_t n, uint64_t w);
/* r = a + b over n limbs; returns the carry (0 or 1). */
uint64_t bn_add(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n);
/* r = a - b over n limbs; returns the borrow (0 or 1). */
uint64_t bn_sub(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n);
/* r = a + w (a word), n limbs; returns the carry. */
uint64_t bn_add_word(uint64_t *r, const uint64_t *a, uint64_t w, size_t n);
/* r = a - w, n limbs; returns the borrow. */
uint64_t bn_sub_word(uint64_t *r, const uint64_t *a, uint64_t w, size_t n);
/* r[an + bn] = a[an] * b[bn]; r must not alias a or b. Schoolbook. */
void bn_mul(uint64_t *r, const uint64_t *a, size_t an, const uint64_t *b, size_t bn);
/* if (mask) r = a; mask is 0 or all-ones. */
void bn_cond_copy(uint64_t mask, uint64_t *r, const uint64_t *a, size_t n);
/* if (mask) swap a and b. */
void bn_cond_swap(uint64_t mask, uint64_t *a, uint64_t *b, size_t n);
/* a >>= 1 with top bit from `in` (0 or 1); returns the bit shifted out. */
uint64_t bn_shr1(uint64_t *a, size_t n, uint64_t in);
/* a <<= 1; returns the bit shifted out. */
uint64_t bn_shl1(uint64_t *a, size_t n);
/* r = a >> s, r = a << s for a secret shift 0 <= s < 64n (log-shifter of masked copies). */
void bn_shr_ct(uint64_t *r, const uint64_t *a, size_t n, uint64_t s);
void bn_shl_ct(uint64_t *r, const uint64_t *a, size_t n, uint64_t s);
/* Number of trailing zero bits of a (64n if a == 0), constant time. */
uint64_t bn_ctz_ct(const uint64_t *a, size_t n);

/* ---- Comparison ----------------------------------------------------------------------------- */

/* All-ones masks: a < b, a == b, a == 0. Constant time. */
uint64_t bn_lt_mask(const uint64_t *a, const uint64_t *b, size_t n);
uint64_t bn_eq_mask(const uint64_t *a, const uint64_t *b, size_t n);
uint64_t bn_zero_mask(const uint64_t *a, size_t n);
/* -1, 0, 1 as a <, ==, > b. Variable time (public inputs only). */
int bn_cmp(const uint64_t *a, const uint64_t *b, size_t n);
/* Bit length of a (0 for 0). Variable time (public inputs only). */
size_t bn_bit_length(const uint64_t *a, size_t n);
/* Bit i of a (0 or 1); i must be < 64n. Reads one limb: i is public. */
uint64_t bn_get_bit(const uint64_t *a, size_t i);

/* ---- Montgomery arithmetic ------------------------------------------------------------------- */

/*
 * Sets up ctx for the odd modulus m[n] > 1 whose top limb m[n - 1] is nonzero (m > 1 is the
 * caller's duty: RSA checks the modulus size, primes have their top bits set). Returns 0, or
 * -1 if m is even, its top limb is zero, or n is 0 or larger than BN_MAX_LIMBS (branches on m's
 * parity and top-limb size, public even for an RSA prime). R^2 mod m is then computed by
 * masked modular doublings and Montgomery squarings with no branch on m, so m may be secret.
 */
int bn_mont_init(struct bn_mont *ctx, const uint64_t *m, size_t n);
/*
 * r = a * b * R^-1 mod m, result fully reduced (< m) by a masked final subtraction.
 * Requires a * b < m * R, e.g. a, b < m, or one of them < m and the other < R.
 * r may alias a or b. bn_mont_sqr is the same for a * a (a < m) with the square computed
 * from the n(n-1)/2 cross products, doubled, plus the diagonal.
 */
void bn_mont_mul(const struct bn_mont *ctx, uint64_t *r, const uint64_t *a, const uint64_t *b);
void bn_mont_sqr(const struct bn_mont *ctx, uint64_t *r, const uint64_t *a);
/* r = a * R mod m (a < R) and r = a * R^-1 mod m (a < R). */
void bn_to_mont(const struct bn_mont *ctx, uint64_t *r, const uint64_t *a);
void bn_from_mont(const struct bn_mont *ctx, uint64_t *r, const uint64_t *a);
/* r = a mod m for a of alen <= 2n limbs (e.g. a 2k-limb product), constant time. */
void bn_mod_reduce(const struct bn_mont *ctx, uint64_t *r, const uint64_t *a, size_t alen);
/* r = a + b mod m, r = a - b mod m, for a, b < m. */
void bn_mod_add(const struct bn_mont *ctx, uint64_t *r, const uint64_t *a, const uint64_t *b);
void bn_mod_sub(const struct bn_mont *ctx, uint64_t *r, const uint64_t *a, const uint64_t *b);
/* r = a * b mod m for a, b < m (two Montgomery multiplications). */
void bn_mod_mul(const struct bn_mont *ctx, uint64_t *r, const uint64_t *a, const uint64_t *b);

/*
 * r = base^exp mod m, constant time in base, exp and m: base < m (n limbs), exp of n limbs
 * (any value < R; all 64n bits are processed whatever its value), fixed 4-bit window, every
 * table lookup reads all 16 entries. r may alias base but not exp.
 */
void bn_mod_exp(const struct bn_mont *ctx, uint64_t *r, const uint64_t *base, const uint64_t *exp,
		struct bn_exp_ws *ws);
/*
 * r = base^exp mod m, VARIABLE TIME in exp: for public exponents only (RSA e). base < m,
 * exp of elen limbs (elen >= 1). tmp needs n limbs. r may alias base.
 */
void bn_mod_exp_public(const struct bn_mont *ctx, uint64_t *r, const uint64_t *base,
		       const uint64_t *exp, size_t elen, uint64_t *tmp);

/* ---- Division, GCD, inverse ------------------------------------------------------------------ */

/*
 * q = a / b, r = a mod b for a of an <= 2 * BN_MAX_LIMBS limbs and b of bn <= BN_MAX_LIMBS limbs,
 * b != 0 (returns -1 if b == 0, or for sizes out of range; the zero test is a mask, not a
 * branch, and the outputs are then meaningless).
 * Bitwise restoring division: 64 * an iterations of a masked subtraction, constant time in a
 * and b. q (an limbs) may be NULL; r gets bn limbs. q and r must not alias a or b.
 * Meant for key generation (lambda, d, dP, dQ), not for hot paths.
 */
int bn_div_ct(uint64_t *q, uint64_t *r, const uint64_t *a, size_t an, const uint64_t *b, size_t bn,
	      struct bn_ws *ws);
/*
 * r = gcd(a, b) for a, b of n limbs, not both zero. Constant time: binary GCD (Stein) run for
 * exactly 128n iterations, each doing every case's arithmetic and keeping one by masks.
 */
void bn_gcd_ct(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n, struct bn_ws *ws);
/*
 * r = a^-1 mod m for odd m (n limbs) and a < m. Returns 0, or -1 if gcd(a, m) != 1 (r is then
 * 0; the verdict is computed by mask and is the only data-dependent branch, at the return).
 * Constant time in a and m: Bernstein-Yang division steps (2019), a fixed number of batches
 * of 62 steps (from their bound (49d + 57) / 17 for d = 64n bits), each batch's transition
 * matrix computed from the low limbs by masked arithmetic and applied to the full numbers.
 * For prime m the Fermat inverse a^(m-2) via bn_mod_exp is the alternative (rsa.c uses
 * that for qInv).
 */
int bn_mod_inv_ct(uint64_t *r, const uint64_t *a, const uint64_t *m, size_t n, struct bn_ws *ws);
