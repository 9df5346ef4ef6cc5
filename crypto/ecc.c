/*
 * NIST P-256 and P-384 (crypto/ecc.h): Montgomery field and scalar arithmetic, complete
 * projective point formulas (Renes-Costello-Batina 2016, a = -3), constant-time fixed-window
 * scalar multiplication, point validation and encoding, key generation.
 *
 * Layout of this file:
 *   1. curve constants          4. points (complete formulas)
 *   2. multi-limb arithmetic    5. scalar multiplication (constant time; vartime double mult)
 *   3. field and scalar ops     6. byte conversion, validation, the public API
 *
 * Every multi-limb routine is written once with the limb count N as a parameter and forced
 * inline into a 4-limb and a 6-limb caller, so the compiler sees constant loop bounds and
 * unrolls them; the choice between the two is made on the (public) curve, never on data.
 */
#include "crypto/ecc.h"

#include "crypto/ct.h"
#include "kernel/string.h"

__extension__ typedef unsigned __int128 u128;

#define ECC_INLINE static inline __attribute__((always_inline, no_sanitize_address))
/*
 * The limb-level leaf functions (field and scalar multiplication, addition, subtraction):
 * out of line, one instance per curve. They are exempt from AddressSanitizer in the host
 * test build, whose instrumentation of their local limb arrays makes them about five times
 * slower and would cut the differential tests' iteration counts; they only touch 4 or 6
 * words through each argument, their callers' accesses stay instrumented, and UBSan stays on.
 */
#define ECC_LEAF __attribute__((noinline, no_sanitize_address))

/* ---- 1. Curve constants (SP 800-186 §3.2.1.3, §3.2.1.4) ---------------------------------
 * p, n, b and G are the published values; the Montgomery-form constants (R mod p, R^2 mod p,
 * b*R, G*R, R^2 mod n, -p^-1 and -n^-1 mod 2^64) were derived from them, and
 * tests/crypto/ecc_test.c checks p, n, b and G against OpenSSL and checks the derived values
 * by arithmetic (G on the curve, n * G = O, R^2 * R^-1 = R, ...). */
static const struct ecc_curve ecc_p256 = {
	.id = ECC_P256,
	.name = "P-256",
	.limbs = 4,
	.bytes = 32,
	.bits = 256,
	/* p = 2^256 - 2^224 + 2^192 + 2^96 - 1 */
	.p = { 0xffffffffffffffffull, 0x00000000ffffffffull, 0x0000000000000000ull,
	       0xffffffff00000001ull },
	.p0inv = 0x0000000000000001ull,
	.rr_p = { 0x0000000000000003ull, 0xfffffffbffffffffull, 0xfffffffffffffffeull,
		  0x00000004fffffffdull },
	.one_p = { 0x0000000000000001ull, 0xffffffff00000000ull, 0xffffffffffffffffull,
		   0x00000000fffffffeull },
	/* b = 5ac635d8 aa3a93e7 b3ebbd55 769886bc 651d06b0 cc53b0f6 3bce3c3e 27d2604b */
	.b_m = { 0xd89cdf6229c4bddfull, 0xacf005cd78843090ull, 0xe5a220abf7212ed6ull,
		 0xdc30061d04874834ull },
	/* Gx = 6b17d1f2 e12c4247 f8bce6e5 63a440f2 77037d81 2deb33a0 f4a13945 d898c296
	 * Gy = 4fe342e2 fe1a7f9b 8ee7eb4a 7c0f9e16 2bce3357 6b315ece cbb64068 37bf51f5 */
	.gx_m = { 0x79e730d418a9143cull, 0x75ba95fc5fedb601ull, 0x79fb732b77622510ull,
		  0x18905f76a53755c6ull },
	.gy_m = { 0xddf25357ce95560aull, 0x8b4ab8e4ba19e45cull, 0xd2e88688dd21f325ull,
		  0x8571ff1825885d85ull },
	/* n = ffffffff 00000000 ffffffff ffffffff bce6faad a7179e84 f3b9cac2 fc632551 */
	.n = { 0xf3b9cac2fc632551ull, 0xbce6faada7179e84ull, 0xffffffffffffffffull,
	       0xffffffff00000000ull },
	.n0inv = 0xccd1c8aaee00bc4full,
	.rr_n = { 0x83244c95be79eea2ull, 0x4699799c49bd6fa6ull, 0x2845b2392b6bec59ull,
		  0x66e12d94f3d95620ull },
};

static const struct ecc_curve ecc_p384 = {
	.id = ECC_P384,
	.name = "P-384",
	.limbs = 6,
	.bytes = 48,
	.bits = 384,
	/* p = 2^384 - 2^128 - 2^96 + 2^32 - 1 */
	.p = { 0x00000000ffffffffull, 0xffffffff00000000ull, 0xfffffffffffffffeull,
	       0xffffffffffffffffull, 0xffffffffffffffffull, 0xffffffffffffffffull },
	.p0inv = 0x0000000100000001ull,
	.rr_p = { 0xfffffffe00000001ull, 0x0000000200000000ull, 0xfffffffe00000000ull,
		  0x0000000200000000ull, 0x0000000000000001ull, 0x0000000000000000ull },
	.one_p = { 0xffffffff00000001ull, 0x00000000ffffffffull, 0x0000000000000001ull,
		   0x0000000000000000ull, 0x0000000000000000ull, 0x0000000000000000ull },
	/* b = b3312fa7 e23ee7e4 988e056b e3f82d19 181d9c6e fe814112 0314088f 5013875a
	 *     c656398d 8a2ed19d 2a85c8ed d3ec2aef */
	.b_m = { 0x081188719d412dccull, 0xf729add87a4c32ecull, 0x77f2209b1920022eull,
		 0xe3374bee94938ae2ull, 0xb62b21f41f022094ull, 0xcd08114b604fbff9ull },
	/* Gx = aa87ca22 be8b0537 8eb1c71e f320ad74 6e1d3b62 8ba79b98 59f741e0 82542a38
	 *      5502f25d bf55296c 3a545e38 72760ab7
	 * Gy = 3617de4a 96262c6f 5d9e98bf 9292dc29 f8f41dbd 289a147c e9da3113 b5f0b8c0
	 *      0a60b1ce 1d7e819d 7a431d7c 90ea0e5f */
	.gx_m = { 0x3dd0756649c0b528ull, 0x20e378e2a0d6ce38ull, 0x879c3afc541b4d6eull,
		  0x6454868459a30effull, 0x812ff723614ede2bull, 0x4d3aadc2299e1513ull },
	.gy_m = { 0x23043dad4b03a4feull, 0xa1bfa8bf7bb4a9acull, 0x8bade7562e83b050ull,
		  0xc6c3521968f4ffd9ull, 0xdd8002263969a840ull, 0x2b78abc25a15c5e9ull },
	/* n = ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff c7634d81 f4372ddf
	 *     581a0db2 48b0a77a ecec196a ccc52973 */
	.n = { 0xecec196accc52973ull, 0x581a0db248b0a77aull, 0xc7634d81f4372ddfull,
	       0xffffffffffffffffull, 0xffffffffffffffffull, 0xffffffffffffffffull },
	.n0inv = 0x6ed46089e88fdc45ull,
	.rr_n = { 0x2d319b2419b409a9ull, 0xff3d81e5df1aa419ull, 0xbc3e483afcb82947ull,
		  0xd40d49174aab1cc5ull, 0x3fb05b7a28266895ull, 0x0c84ee012b39bf21ull },
};

const struct ecc_curve *ecc_curve_get(enum ecc_curve_id id)
{
	switch (id) {
	case ECC_P256:
		return &ecc_p256;
	case ECC_P384:
		return &ecc_p384;
	default:
		return NULL;
	}
}

size_t ecc_curve_bytes(const struct ecc_curve *c)
{
	return c->bytes;
}

/* ---- 2. Multi-limb arithmetic, N limbs -------------------------------------------------- */

/*
 * Add and subtract with carry (carry and borrow are 0 or 1). On x86-64 the compiler's
 * add-with-carry builtins give straight adc/sbb chains (GCC 12 does not recognise the
 * portable 128-bit form and spends several instructions per limb); the portable form is
 * the fallback. Both are branch-free.
 */
#if defined(__x86_64__)
ECC_INLINE uint64_t addc(uint64_t a, uint64_t b, uint64_t *carry)
{
	unsigned long long s = 0; /* the builtin writes it; gcc -fanalyzer cannot see that */

	*carry = __builtin_ia32_addcarryx_u64((unsigned char)*carry, a, b, &s);
	return s;
}

ECC_INLINE uint64_t subb(uint64_t a, uint64_t b, uint64_t *borrow)
{
	unsigned long long d = 0; /* likewise */

#ifdef __clang__
	/* clang spells GCC's __builtin_ia32_sbb_u64 this way (same operands). */
	*borrow = __builtin_ia32_subborrow_u64((unsigned char)*borrow, a, b, &d);
#else
	*borrow = __builtin_ia32_sbb_u64((unsigned char)*borrow, a, b, &d);
#endif
	return d;
}
#else
ECC_INLINE uint64_t addc(uint64_t a, uint64_t b, uint64_t *carry)
{
	u128 s = (u128)a + b + *carry;

	*carry = (uint64_t)(s >> 64);
	return (uint64_t)s;
}

ECC_INLINE uint64_t subb(uint64_t a, uint64_t b, uint64_t *borrow)
{
	u128 d = (u128)a - b - *borrow;

	*borrow = (uint64_t)(d >> 64) & 1;
	return (uint64_t)d;
}
#endif

/* a * b + c + *carry: the low word is returned, the high word goes to *carry (the sum
 * cannot exceed 2^128 - 1). */
ECC_INLINE uint64_t mac(uint64_t a, uint64_t b, uint64_t c, uint64_t *carry)
{
	u128 p = (u128)a * b;
	uint64_t lo = (uint64_t)p, hi = (uint64_t)(p >> 64), cf = 0;

	lo = addc(lo, c, &cf);
	hi += cf;
	cf = 0;
	lo = addc(lo, *carry, &cf);
	*carry = hi + cf;
	return lo;
}

/*
 * r = a * b * R^-1 mod m (Montgomery multiplication, the CIOS method: multiply and reduce
 * one word of a at a time). Requires a, b < m and m odd; the result is < m. r may alias a
 * or b. The intermediate t stays below 2m, so one conditional subtraction finishes it; it is
 * done with a mask, never a branch.
 */
ECC_INLINE void mont_mul_n(uint64_t *r, const uint64_t *a, const uint64_t *b, const uint64_t *m,
			   uint64_t m0inv, unsigned int n)
{
	uint64_t t[ECC_MAX_LIMBS + 2];
	uint64_t d[ECC_MAX_LIMBS];
	uint64_t borrow = 0, mask;

	#pragma GCC unroll 8
	for (unsigned int j = 0; j < n + 2; j++) {
		t[j] = 0;
	}
	#pragma GCC unroll 8
	for (unsigned int i = 0; i < n; i++) {
		uint64_t carry = 0, cf = 0, q;

		#pragma GCC unroll 8
		for (unsigned int j = 0; j < n; j++) {
			t[j] = mac(a[i], b[j], t[j], &carry);
		}
		t[n] = addc(t[n], carry, &cf);
		t[n + 1] = cf;

		/* Add q * m with q chosen so that the low word becomes 0, then shift by a word. */
		q = t[0] * m0inv;
		carry = 0;
		(void)mac(q, m[0], t[0], &carry);
		#pragma GCC unroll 8
		for (unsigned int j = 1; j < n; j++) {
			t[j - 1] = mac(q, m[j], t[j], &carry);
		}
		cf = 0;
		t[n - 1] = addc(t[n], carry, &cf);
		t[n] = t[n + 1] + cf;
	}
	#pragma GCC unroll 8
	for (unsigned int j = 0; j < n; j++) {
		d[j] = subb(t[j], m[j], &borrow);
	}
	/* t >= m unless (t[n] == 0 and the subtraction borrowed). t[n] and borrow are 0 or 1. */
	mask = ct_barrier_u64((uint64_t)0 - (t[n] | (borrow ^ 1)));
	#pragma GCC unroll 8
	for (unsigned int j = 0; j < n; j++) {
		r[j] = ct_select_u64(mask, d[j], t[j]);
	}
}

/* r = a + b mod m, for a, b < m. */
ECC_INLINE void mod_add_n(uint64_t *r, const uint64_t *a, const uint64_t *b, const uint64_t *m,
			  unsigned int n)
{
	uint64_t s[ECC_MAX_LIMBS], d[ECC_MAX_LIMBS];
	uint64_t carry = 0, borrow = 0, mask;

	#pragma GCC unroll 8
	for (unsigned int j = 0; j < n; j++) {
		s[j] = addc(a[j], b[j], &carry);
	}
	#pragma GCC unroll 8
	for (unsigned int j = 0; j < n; j++) {
		d[j] = subb(s[j], m[j], &borrow);
	}
	/* Subtract m if the sum carried out or s >= m (no borrow). */
	mask = ct_barrier_u64((uint64_t)0 - (carry | (borrow ^ 1)));
	#pragma GCC unroll 8
	for (unsigned int j = 0; j < n; j++) {
		r[j] = ct_select_u64(mask, d[j], s[j]);
	}
}

/* r = a - b mod m, for a, b < m. */
ECC_INLINE void mod_sub_n(uint64_t *r, const uint64_t *a, const uint64_t *b, const uint64_t *m,
			  unsigned int n)
{
	uint64_t d[ECC_MAX_LIMBS];
	uint64_t borrow = 0, carry = 0, mask;

	#pragma GCC unroll 8
	for (unsigned int j = 0; j < n; j++) {
		d[j] = subb(a[j], b[j], &borrow);
	}
	/* Add m back if it went negative. */
	mask = ct_barrier_u64((uint64_t)0 - borrow);
	#pragma GCC unroll 8
	for (unsigned int j = 0; j < n; j++) {
		r[j] = addc(d[j], m[j] & mask, &carry);
	}
}

/* All-ones if a < b (n-limb integers), constant time. */
ECC_INLINE uint64_t lt_n(const uint64_t *a, const uint64_t *b, unsigned int n)
{
	uint64_t borrow = 0;

	#pragma GCC unroll 8
	for (unsigned int j = 0; j < n; j++) {
		(void)subb(a[j], b[j], &borrow);
	}
	return ct_barrier_u64((uint64_t)0 - borrow);
}

/* a if a < m, else a - m: for a < 2m. */
ECC_INLINE void cond_sub_n(uint64_t *r, const uint64_t *a, const uint64_t *m, unsigned int n)
{
	uint64_t d[ECC_MAX_LIMBS];
	uint64_t borrow = 0, mask;

	#pragma GCC unroll 8
	for (unsigned int j = 0; j < n; j++) {
		d[j] = subb(a[j], m[j], &borrow);
	}
	mask = ct_barrier_u64((uint64_t)0 - borrow);
	#pragma GCC unroll 8
	for (unsigned int j = 0; j < n; j++) {
		r[j] = ct_select_u64(mask, a[j], d[j]);
	}
}

static uint64_t is_zero_limbs(const uint64_t *a, unsigned int n)
{
	uint64_t acc = 0;

	#pragma GCC unroll 8
	for (unsigned int j = 0; j < n; j++) {
		acc |= a[j];
	}
	return ct_mask_zero_u64(acc);
}

static void cmov_limbs(uint64_t *r, const uint64_t *a, uint64_t mask, unsigned int n)
{
	#pragma GCC unroll 8
	for (unsigned int j = 0; j < n; j++) {
		r[j] = ct_select_u64(mask, a[j], r[j]);
	}
}

static void copy_limbs(uint64_t *r, const uint64_t *a, unsigned int n)
{
	#pragma GCC unroll 8
	for (unsigned int j = 0; j < n; j++) {
		r[j] = a[j];
	}
}

/* ---- 3. Field (mod p) and scalar (mod n) operations -------------------------------------
 * Dispatch on the curve's limb count, a public property, to a 4- or 6-limb instance. */

typedef uint64_t fe[ECC_MAX_LIMBS];

/* One out-of-line instance per limb count keeps each one's register allocation simple
 * (used for the scalars mod n; the field has the constant-p instances below). */
static ECC_LEAF void mont_mul4(uint64_t *r, const uint64_t *a,
						const uint64_t *b, const uint64_t *m,
						uint64_t m0inv)
{
	mont_mul_n(r, a, b, m, m0inv, 4);
}

static ECC_LEAF void mont_mul6(uint64_t *r, const uint64_t *a,
						const uint64_t *b, const uint64_t *m,
						uint64_t m0inv)
{
	mont_mul_n(r, a, b, m, m0inv, 6);
}

/*
 * The field operations get their own instances with p and -p^-1 as compile-time constants
 * (copies of the descriptors' p and p0inv, which tests/crypto/ecc_test.c checks against
 * OpenSSL): the compiler then turns the multiplications by p's limbs (0, 2^32 - 1,
 * 2^64 - 1, ...) into shifts and subtractions. Same code, same constant-time shape.
 */
static const uint64_t p256_p[4] = { 0xffffffffffffffffull, 0x00000000ffffffffull,
				    0x0000000000000000ull, 0xffffffff00000001ull };
static const uint64_t p384_p[6] = { 0x00000000ffffffffull, 0xffffffff00000000ull,
				    0xfffffffffffffffeull, 0xffffffffffffffffull,
				    0xffffffffffffffffull, 0xffffffffffffffffull };

/*
 * P-256 gets a Montgomery multiplication specialised to its prime: with -p^-1 = 1 mod 2^64,
 * the multiple of p added in reduction round i is q = t[i] itself, and
 *   t[i] + q * p[0] = q * 2^64         (p[0] = 2^64 - 1: word i becomes 0, q carries on)
 *   q + q * p[1]    = q * 2^32          (p[1] = 2^32 - 1; p[2] = 0)
 * so only q * p[3] needs a multiplication. Same result as mont_mul_n (r < p), same
 * branch-free shape.
 */
static ECC_LEAF void fe_mul_p256(uint64_t *r, const uint64_t *a,
						  const uint64_t *b)
{
	uint64_t t[9], d[4];
	uint64_t carry, cf, borrow = 0, mask;

	/* t = a * b (512 bits), t[8] an overflow word for the reduction. */
	#pragma GCC unroll 4
	for (unsigned int j = 0; j < 9; j++) {
		t[j] = 0;
	}
	#pragma GCC unroll 4
	for (unsigned int i = 0; i < 4; i++) {
		carry = 0;
		#pragma GCC unroll 4
		for (unsigned int j = 0; j < 4; j++) {
			t[i + j] = mac(a[i], b[j], t[i + j], &carry);
		}
		t[i + 4] = carry;
	}
	/* Four rounds: t += t[i] * p * 2^(64 i), which clears word i. */
	#pragma GCC unroll 4
	for (unsigned int i = 0; i < 4; i++) {
		uint64_t q = t[i];
		u128 qp3 = (u128)q * p256_p[3];

		cf = 0;
		t[i + 1] = addc(t[i + 1], q << 32, &cf);
		t[i + 2] = addc(t[i + 2], q >> 32, &cf);
		t[i + 3] = addc(t[i + 3], (uint64_t)qp3, &cf);
		t[i + 4] = addc(t[i + 4], (uint64_t)(qp3 >> 64), &cf);
		#pragma GCC unroll 4
		for (unsigned int j = i + 5; j < 9; j++) {
			t[j] = addc(t[j], 0, &cf);
		}
	}
	/* t[4..8] < 2p: subtract p once if t >= p. */
	#pragma GCC unroll 4
	for (unsigned int j = 0; j < 4; j++) {
		d[j] = subb(t[4 + j], p256_p[j], &borrow);
	}
	mask = ct_barrier_u64((uint64_t)0 - (t[8] | (borrow ^ 1)));
	#pragma GCC unroll 4
	for (unsigned int j = 0; j < 4; j++) {
		r[j] = ct_select_u64(mask, d[j], t[4 + j]);
	}
}

static ECC_LEAF void fe_mul_p384(uint64_t *r, const uint64_t *a,
						  const uint64_t *b)
{
	mont_mul_n(r, a, b, p384_p, 0x0000000100000001ull, 6);
}

static inline void fe_mul(const struct ecc_curve *c, uint64_t *r, const uint64_t *a,
			  const uint64_t *b)
{
	if (c->limbs == 4) {
		fe_mul_p256(r, a, b);
	} else {
		fe_mul_p384(r, a, b);
	}
}

static ECC_LEAF void fe_add_p256(uint64_t *r, const uint64_t *a,
						  const uint64_t *b)
{
	mod_add_n(r, a, b, p256_p, 4);
}

static ECC_LEAF void fe_add_p384(uint64_t *r, const uint64_t *a,
						  const uint64_t *b)
{
	mod_add_n(r, a, b, p384_p, 6);
}

static inline void fe_add(const struct ecc_curve *c, uint64_t *r, const uint64_t *a,
			  const uint64_t *b)
{
	if (c->limbs == 4) {
		fe_add_p256(r, a, b);
	} else {
		fe_add_p384(r, a, b);
	}
}

static ECC_LEAF void fe_sub_p256(uint64_t *r, const uint64_t *a,
						  const uint64_t *b)
{
	mod_sub_n(r, a, b, p256_p, 4);
}

static ECC_LEAF void fe_sub_p384(uint64_t *r, const uint64_t *a,
						  const uint64_t *b)
{
	mod_sub_n(r, a, b, p384_p, 6);
}

static inline void fe_sub(const struct ecc_curve *c, uint64_t *r, const uint64_t *a,
			  const uint64_t *b)
{
	if (c->limbs == 4) {
		fe_sub_p256(r, a, b);
	} else {
		fe_sub_p384(r, a, b);
	}
}

static void sc_mont_mul(const struct ecc_curve *c, uint64_t *r, const uint64_t *a,
			const uint64_t *b)
{
	if (c->limbs == 4) {
		mont_mul4(r, a, b, c->n, c->n0inv);
	} else {
		mont_mul6(r, a, b, c->n, c->n0inv);
	}
}

typedef void (*mont_mul_fn)(const struct ecc_curve *c, uint64_t *r, const uint64_t *a,
			    const uint64_t *b);

/*
 * r = a^e for a public exponent e (limbs words), in Montgomery form, by a left-to-right
 * fixed 4-bit window. Only e's bits (public: p - 2 or n - 2) decide which multiplications
 * happen and which table entry is read; a is never branched on. one is 1 in Montgomery form.
 */
static void mont_pow_public(const struct ecc_curve *c, mont_mul_fn mul, uint64_t *r,
			    const uint64_t *a, const uint64_t *e, const uint64_t *one)
{
	uint64_t tab[16][ECC_MAX_LIMBS];
	unsigned int n = c->limbs;
	bool started = false;

	copy_limbs(tab[0], one, n);
	copy_limbs(tab[1], a, n);
	for (unsigned int i = 2; i < 16; i++) {
		mul(c, tab[i], tab[i - 1], a);
	}
	copy_limbs(r, one, n);
	for (int w = (int)(n * 16) - 1; w >= 0; w--) {
		unsigned int digit = (unsigned int)(e[w / 16] >> ((w % 16) * 4)) & 15u;

		if (started) {
			for (int k = 0; k < 4; k++) {
				mul(c, r, r, r);
			}
		}
		if (digit != 0) {
			mul(c, r, r, tab[digit]);
			started = true;
		}
	}
	mem_wipe(tab, sizeof(tab));
}

/* r = a^-1 mod p (Fermat: a^(p-2)); a in Montgomery form; 0 maps to 0. */
static void fe_inv(const struct ecc_curve *c, uint64_t *r, const uint64_t *a)
{
	uint64_t e[ECC_MAX_LIMBS];
	uint64_t borrow = 0;

	for (unsigned int j = 0; j < c->limbs; j++) {
		e[j] = subb(c->p[j], j == 0 ? 2 : 0, &borrow);
	}
	mont_pow_public(c, fe_mul, r, a, e, c->one_p);
}

static void fe_to_mont(const struct ecc_curve *c, uint64_t *r, const uint64_t *a)
{
	fe_mul(c, r, a, c->rr_p);
}

static void fe_from_mont(const struct ecc_curve *c, uint64_t *r, const uint64_t *a)
{
	static const uint64_t one[ECC_MAX_LIMBS] = { 1 };

	fe_mul(c, r, a, one);
}

/* ---- 4. Points: projective (X:Y:Z), complete formulas for a = -3 ------------------------- */

/* Wipes up to eight field-element temporaries (NULL entries skipped). The point formulas'
 * temporaries derive from secret scalars; the limb-level temporaries inside mont_mul_n and
 * mod_add_n live in registers and spill slots that every following operation overwrites. */
static void wipe_fe8(uint64_t *a, uint64_t *b, uint64_t *c, uint64_t *d, uint64_t *e,
		     uint64_t *f, uint64_t *g, uint64_t *h)
{
	uint64_t *v[8] = { a, b, c, d, e, f, g, h };

	for (int i = 0; i < 8; i++) {
		if (v[i] != NULL) {
			mem_wipe(v[i], sizeof(fe));
		}
	}
}

struct point {
	fe x, y, z;
};

static void point_set_identity(const struct ecc_curve *c, struct point *p)
{
	bastion_memset(p, 0, sizeof(*p));
	copy_limbs(p->y, c->one_p, c->limbs);
}

/*
 * r = p + q: Renes-Costello-Batina 2016, Algorithm 4 (complete addition, projective
 * coordinates, a = -3): 12M + 2 mul-by-b + 29 add/sub. Valid for all inputs, including
 * p == q, p == -q and either operand the identity. r may alias p or q. The step numbers of
 * the paper are given in the comments.
 */
static void point_add(const struct ecc_curve *c, struct point *r, const struct point *p,
		      const struct point *q)
{
	fe t0, t1, t2, t3, t4, x3, y3, z3;
	const uint64_t *b = c->b_m;

	fe_mul(c, t0, p->x, q->x);   /* 1 */
	fe_mul(c, t1, p->y, q->y);   /* 2 */
	fe_mul(c, t2, p->z, q->z);   /* 3 */
	fe_add(c, t3, p->x, p->y);   /* 4 */
	fe_add(c, t4, q->x, q->y);   /* 5 */
	fe_mul(c, t3, t3, t4);       /* 6 */
	fe_add(c, t4, t0, t1);       /* 7 */
	fe_sub(c, t3, t3, t4);       /* 8 */
	fe_add(c, t4, p->y, p->z);   /* 9 */
	fe_add(c, x3, q->y, q->z);   /* 10 */
	fe_mul(c, t4, t4, x3);       /* 11 */
	fe_add(c, x3, t1, t2);       /* 12 */
	fe_sub(c, t4, t4, x3);       /* 13 */
	fe_add(c, x3, p->x, p->z);   /* 14 */
	fe_add(c, y3, q->x, q->z);   /* 15 */
	fe_mul(c, x3, x3, y3);       /* 16 */
	fe_add(c, y3, t0, t2);       /* 17 */
	fe_sub(c, y3, x3, y3);       /* 18 */
	fe_mul(c, z3, b, t2);        /* 19 */
	fe_sub(c, x3, y3, z3);       /* 20 */
	fe_add(c, z3, x3, x3);       /* 21 */
	fe_add(c, x3, x3, z3);       /* 22 */
	fe_sub(c, z3, t1, x3);       /* 23 */
	fe_add(c, x3, t1, x3);       /* 24 */
	fe_mul(c, y3, b, y3);        /* 25 */
	fe_add(c, t1, t2, t2);       /* 26 */
	fe_add(c, t2, t1, t2);       /* 27 */
	fe_sub(c, y3, y3, t2);       /* 28 */
	fe_sub(c, y3, y3, t0);       /* 29 */
	fe_add(c, t1, y3, y3);       /* 30 */
	fe_add(c, y3, t1, y3);       /* 31 */
	fe_add(c, t1, t0, t0);       /* 32 */
	fe_add(c, t0, t1, t0);       /* 33 */
	fe_sub(c, t0, t0, t2);       /* 34 */
	fe_mul(c, t1, t4, y3);       /* 35 */
	fe_mul(c, t2, t0, y3);       /* 36 */
	fe_mul(c, y3, x3, z3);       /* 37 */
	fe_add(c, y3, y3, t2);       /* 38 */
	fe_mul(c, x3, t3, x3);       /* 39 */
	fe_sub(c, x3, x3, t1);       /* 40 */
	fe_mul(c, z3, t4, z3);       /* 41 */
	fe_mul(c, t1, t3, t0);       /* 42 */
	fe_add(c, z3, z3, t1);       /* 43 */
	copy_limbs(r->x, x3, c->limbs);
	copy_limbs(r->y, y3, c->limbs);
	copy_limbs(r->z, z3, c->limbs);
	wipe_fe8(t0, t1, t2, t3, t4, x3, y3, z3);
}

/*
 * r = 2p: Renes-Costello-Batina 2016, Algorithm 6 (exception-free doubling, a = -3):
 * 8M + 3S + 2 mul-by-b. Doubling the identity gives the identity. r may alias p.
 */
static void point_double(const struct ecc_curve *c, struct point *r, const struct point *p)
{
	fe t0, t1, t2, t3, x3, y3, z3;
	const uint64_t *b = c->b_m;

	fe_mul(c, t0, p->x, p->x);   /* 1 */
	fe_mul(c, t1, p->y, p->y);   /* 2 */
	fe_mul(c, t2, p->z, p->z);   /* 3 */
	fe_mul(c, t3, p->x, p->y);   /* 4 */
	fe_add(c, t3, t3, t3);       /* 5 */
	fe_mul(c, z3, p->x, p->z);   /* 6 */
	fe_add(c, z3, z3, z3);       /* 7 */
	fe_mul(c, y3, b, t2);        /* 8 */
	fe_sub(c, y3, y3, z3);       /* 9 */
	fe_add(c, x3, y3, y3);       /* 10 */
	fe_add(c, y3, x3, y3);       /* 11 */
	fe_sub(c, x3, t1, y3);       /* 12 */
	fe_add(c, y3, t1, y3);       /* 13 */
	fe_mul(c, y3, x3, y3);       /* 14 */
	fe_mul(c, x3, x3, t3);       /* 15 */
	fe_add(c, t3, t2, t2);       /* 16 */
	fe_add(c, t2, t2, t3);       /* 17 */
	fe_mul(c, z3, b, z3);        /* 18 */
	fe_sub(c, z3, z3, t2);       /* 19 */
	fe_sub(c, z3, z3, t0);       /* 20 */
	fe_add(c, t3, z3, z3);       /* 21 */
	fe_add(c, z3, z3, t3);       /* 22 */
	fe_add(c, t3, t0, t0);       /* 23 */
	fe_add(c, t0, t3, t0);       /* 24 */
	fe_sub(c, t0, t0, t2);       /* 25 */
	fe_mul(c, t0, t0, z3);       /* 26 */
	fe_add(c, y3, y3, t0);       /* 27 */
	fe_mul(c, t0, p->y, p->z);   /* 28 */
	fe_add(c, t0, t0, t0);       /* 29 */
	fe_mul(c, z3, t0, z3);       /* 30 */
	fe_sub(c, x3, x3, z3);       /* 31 */
	fe_mul(c, z3, t0, t1);       /* 32 */
	fe_add(c, z3, z3, z3);       /* 33 */
	fe_add(c, z3, z3, z3);       /* 34 */
	copy_limbs(r->x, x3, c->limbs);
	copy_limbs(r->y, y3, c->limbs);
	copy_limbs(r->z, z3, c->limbs);
	wipe_fe8(t0, t1, t2, t3, x3, y3, z3, NULL);
}

/*
 * Affine coordinates (Montgomery form) of p: x = X/Z, y = Y/Z. Returns an all-ones mask
 * unless p is the identity (Z = 0; x and y are then 0). Constant time.
 */
static uint64_t point_to_affine(const struct ecc_curve *c, uint64_t *x, uint64_t *y,
				const struct point *p)
{
	fe zinv;

	fe_inv(c, zinv, p->z);
	fe_mul(c, x, p->x, zinv);
	fe_mul(c, y, p->y, zinv);
	mem_wipe(zinv, sizeof(zinv));
	return ~is_zero_limbs(p->z, c->limbs);
}

/* ---- 5. Scalar multiplication ------------------------------------------------------------ */

#define WINDOW_BITS 4
#define WINDOW_SIZE (1u << WINDOW_BITS)

/* The 4-bit digit number w of the scalar k (bits 4w..4w+3). w is public, the value is not. */
static unsigned int scalar_digit(const uint64_t *k, unsigned int w)
{
	return (unsigned int)(k[w / 16] >> ((w % 16) * 4)) & (WINDOW_SIZE - 1);
}

/* tab[i] = i * P for i = 0..15 (tab[0] the identity). */
static void build_table(const struct ecc_curve *c, struct point tab[WINDOW_SIZE],
			const struct point *p)
{
	point_set_identity(c, &tab[0]);
	tab[1] = *p;
	for (unsigned int i = 2; i < WINDOW_SIZE; i++) {
		if (i % 2 == 0) {
			point_double(c, &tab[i], &tab[i / 2]);
		} else {
			point_add(c, &tab[i], &tab[i - 1], p);
		}
	}
}

/* r = tab[idx] for a secret idx: every entry is read and masked in, so the memory access
 * pattern is the same for every idx. */
static void table_select(const struct ecc_curve *c, struct point *r,
			 const struct point tab[WINDOW_SIZE], unsigned int idx)
{
	unsigned int n = c->limbs;

	bastion_memset(r, 0, sizeof(*r));
	for (unsigned int i = 0; i < WINDOW_SIZE; i++) {
		uint64_t mask = ct_mask_eq_u64(i, idx);

		for (unsigned int j = 0; j < n; j++) {
			r->x[j] |= mask & tab[i].x[j];
			r->y[j] |= mask & tab[i].y[j];
			r->z[j] |= mask & tab[i].z[j];
		}
	}
}

/*
 * r = k * p, constant time in k (any k < 2^bits, including 0). Fixed 4-bit windows, most
 * significant first: r = 16 * r + tab[digit], with tab[0] the identity, which the complete
 * addition formula handles like any other point, so a zero digit needs no special case and
 * the scalar needs no recoding. Every window costs exactly 4 doublings, one table scan and
 * one addition.
 */
static void point_mul_ct(const struct ecc_curve *c, struct point *r, const uint64_t *k,
			 const struct point *p)
{
	struct point tab[WINDOW_SIZE];
	struct point t;
	unsigned int windows = c->bits / WINDOW_BITS;

	build_table(c, tab, p);
	table_select(c, r, tab, scalar_digit(k, windows - 1));
	for (int w = (int)windows - 2; w >= 0; w--) {
		for (int i = 0; i < WINDOW_BITS; i++) {
			point_double(c, r, r);
		}
		table_select(c, &t, tab, scalar_digit(k, (unsigned int)w));
		point_add(c, r, r, &t);
	}
	mem_wipe(tab, sizeof(tab));
	mem_wipe(&t, sizeof(t));
}

static void point_generator(const struct ecc_curve *c, struct point *g)
{
	bastion_memset(g, 0, sizeof(*g));
	copy_limbs(g->x, c->gx_m, c->limbs);
	copy_limbs(g->y, c->gy_m, c->limbs);
	copy_limbs(g->z, c->one_p, c->limbs);
}

/*
 * Fixed-base multiplication k * G by a 4-tooth comb (Lim-Lee): with d = bits/4 (64 or 96),
 * write k's bits as four rows of d columns; T[j] = sum over the set bits i of j of
 * 2^(d*i) * G, for j = 0..15 (T[0] the identity). Then k * G = sum over the columns c of
 * 2^c * T[bit(k, c) | bit(k, c+d) << 1 | bit(k, c+2d) << 2 | bit(k, c+3d) << 3], computed
 * with d - 1 doublings and d additions instead of bits doublings. The tables are constants
 * (projective, Montgomery form, Z = R mod p), derived offline from G with the formula above
 * in exact integer arithmetic; every entry is exercised against OpenSSL by the random-scalar
 * public-key test in tests/crypto/ecc_test.c. Entries are read by scanning the whole table.
 */
#include "crypto/ecc_comb_tables.inc"

static unsigned int comb_index(const uint64_t *k, unsigned int col, unsigned int d)
{
	unsigned int idx = 0;

	for (unsigned int i = 0; i < 4; i++) {
		unsigned int pos = col + i * d;

		idx |= (unsigned int)((k[pos / 64] >> (pos % 64)) & 1) << i;
	}
	return idx;
}

/* r = k * G, constant time in k (any k < 2^bits). */
static void point_mul_base_ct(const struct ecc_curve *c, struct point *r, const uint64_t *k)
{
	const struct point *tab = c->limbs == 4 ? p256_comb : p384_comb;
	unsigned int d = c->bits / 4;
	struct point t;

	table_select(c, r, tab, comb_index(k, d - 1, d));
	for (int col = (int)d - 2; col >= 0; col--) {
		point_double(c, r, r);
		table_select(c, &t, tab, comb_index(k, (unsigned int)col, d));
		point_add(c, r, r, &t);
	}
	mem_wipe(&t, sizeof(t));
}

/* r = -p. */
static void point_neg(const struct ecc_curve *c, struct point *r, const struct point *p)
{
	static const uint64_t zero[ECC_MAX_LIMBS];

	copy_limbs(r->x, p->x, c->limbs);
	fe_sub(c, r->y, zero, p->y);
	copy_limbs(r->z, p->z, c->limbs);
}

#define WNAF_W 5
#define WNAF_TABLE (1u << (WNAF_W - 2)) /* odd multiples 1, 3, ..., 15 */
#define WNAF_MAX_DIGITS (ECC_MAX_LIMBS * 64 + 1)

/*
 * Width-5 NAF of k < 2^bits (public): digits in {0, +-1, +-3, ..., +-15}, any two nonzero
 * digits at least 5 positions apart, k = sum naf[i] 2^i. Returns the number of digits.
 * (Hankerson, Menezes, Vanstone, "Guide to Elliptic Curve Cryptography", Algorithm 3.35.)
 */
static unsigned int wnaf_recode(int8_t *naf, const uint64_t *k_in, unsigned int limbs)
{
	uint64_t k[ECC_MAX_LIMBS + 1];
	unsigned int len = 0;

	copy_limbs(k, k_in, limbs);
	k[limbs] = 0;
	for (;;) {
		int d = 0;

		if (is_zero_limbs(k, limbs + 1) != 0) {
			break;
		}
		if (k[0] & 1) {
			uint64_t carry, borrow;

			d = (int)(k[0] & ((1u << WNAF_W) - 1));
			if (d >= (1 << (WNAF_W - 1))) {
				d -= 1 << WNAF_W;
			}
			/* k -= d: subtract a positive digit or add a negative one. */
			if (d > 0) {
				borrow = 0;
				k[0] = subb(k[0], (uint64_t)d, &borrow);
				for (unsigned int j = 1; j <= limbs; j++) {
					k[j] = subb(k[j], 0, &borrow);
				}
			} else {
				carry = 0;
				k[0] = addc(k[0], (uint64_t)-d, &carry);
				for (unsigned int j = 1; j <= limbs; j++) {
					k[j] = addc(k[j], 0, &carry);
				}
			}
		}
		naf[len++] = (int8_t)d;
		for (unsigned int j = 0; j < limbs; j++) {
			k[j] = (k[j] >> 1) | (k[j + 1] << 63);
		}
		k[limbs] >>= 1;
	}
	return len;
}

/* tab[i] = (2i + 1) * p for i = 0..7. */
static void build_odd_table(const struct ecc_curve *c, struct point tab[WNAF_TABLE],
			    const struct point *p)
{
	struct point p2;

	point_double(c, &p2, p);
	tab[0] = *p;
	for (unsigned int i = 1; i < WNAF_TABLE; i++) {
		point_add(c, &tab[i], &tab[i - 1], &p2);
	}
}

/* r += digit * tab (digit odd or 0), variable time. */
static void add_wnaf_digit(const struct ecc_curve *c, struct point *r,
			   const struct point tab[WNAF_TABLE], int digit)
{
	struct point t;

	if (digit > 0) {
		point_add(c, r, r, &tab[(digit - 1) / 2]);
	} else if (digit < 0) {
		point_neg(c, &t, &tab[(-digit - 1) / 2]);
		point_add(c, r, r, &t);
	}
}

/*
 * r = u1 * G + u2 * Q, variable time (interleaved width-5 NAFs, Shamir's trick): for ECDSA
 * verification only, where u1, u2 and Q are all public.
 */
static __attribute__((noinline)) void point_mul2_vartime(const struct ecc_curve *c,
							 struct point *r, const uint64_t *u1,
							 const uint64_t *u2,
							 const struct point *q)
{
	struct point tg[WNAF_TABLE], tq[WNAF_TABLE], g;
	int8_t n1[WNAF_MAX_DIGITS], n2[WNAF_MAX_DIGITS];
	unsigned int l1 = wnaf_recode(n1, u1, c->limbs);
	unsigned int l2 = wnaf_recode(n2, u2, c->limbs);
	unsigned int len = l1 > l2 ? l1 : l2;

	point_generator(c, &g);
	build_odd_table(c, tg, &g);
	build_odd_table(c, tq, q);
	point_set_identity(c, r);
	for (unsigned int i = len; i-- > 0;) {
		point_double(c, r, r);
		add_wnaf_digit(c, r, tg, i < l1 ? n1[i] : 0);
		add_wnaf_digit(c, r, tq, i < l2 ? n2[i] : 0);
	}
}

/* ---- 6. Bytes, validation, API ---------------------------------------------------------- */

/* Big-endian bytes (c->bytes of them) to little-endian limbs. */
static void limbs_from_bytes(const struct ecc_curve *c, uint64_t *r, const uint8_t *in)
{
	unsigned int n = c->limbs;

	for (unsigned int j = 0; j < n; j++) {
		const uint8_t *p = in + (n - 1 - j) * 8;
		uint64_t v = 0;

		for (unsigned int i = 0; i < 8; i++) {
			v = (v << 8) | p[i];
		}
		r[j] = v;
	}
}

static void limbs_to_bytes(const struct ecc_curve *c, uint8_t *out, const uint64_t *a)
{
	unsigned int n = c->limbs;

	for (unsigned int j = 0; j < n; j++) {
		uint8_t *p = out + (n - 1 - j) * 8;

		for (unsigned int i = 0; i < 8; i++) {
			p[i] = (uint8_t)(a[j] >> (56 - 8 * i));
		}
	}
}

static uint64_t lt_limbs(const struct ecc_curve *c, const uint64_t *a, const uint64_t *b)
{
	if (c->limbs == 4) {
		return lt_n(a, b, 4);
	}
	return lt_n(a, b, 6);
}

/*
 * Loads and validates an external point into p (projective, Z = 1): SP 800-56A §5.6.2.3.3
 * steps 2 and 3: both coordinates < p, and y^2 = x^3 - 3x + b. The identity cannot be
 * written as affine coordinates, and (0, 0) is not on either curve (b != 0), so step 1 holds
 * for every point that passes. Variable time: the point is public.
 */
static int point_load(const struct ecc_curve *c, struct point *p, const uint8_t *x,
		      const uint8_t *y)
{
	fe ax, ay, lhs, rhs, t;

	limbs_from_bytes(c, ax, x);
	limbs_from_bytes(c, ay, y);
	if (lt_limbs(c, ax, c->p) == 0 || lt_limbs(c, ay, c->p) == 0) {
		return ECC_ERR_POINT;
	}
	fe_to_mont(c, ax, ax);
	fe_to_mont(c, ay, ay);
	fe_mul(c, lhs, ay, ay);
	fe_mul(c, rhs, ax, ax);
	fe_mul(c, rhs, rhs, ax);       /* x^3 */
	fe_add(c, t, ax, ax);
	fe_add(c, t, t, ax);           /* 3x */
	fe_sub(c, rhs, rhs, t);
	fe_add(c, rhs, rhs, c->b_m);
	if (!ct_memeq(lhs, rhs, c->limbs * sizeof(uint64_t))) {
		return ECC_ERR_POINT;
	}
	bastion_memset(p, 0, sizeof(*p));
	copy_limbs(p->x, ax, c->limbs);
	copy_limbs(p->y, ay, c->limbs);
	copy_limbs(p->z, c->one_p, c->limbs);
	return 0;
}

int ecc_point_check(const struct ecc_curve *c, const uint8_t *x, const uint8_t *y)
{
	struct point p;

	if (c == NULL) {
		return ECC_ERR_PARAM;
	}
	return point_load(c, &p, x, y);
}

int ecc_point_encode(const struct ecc_curve *c, const uint8_t *x, const uint8_t *y,
		     uint8_t *out, size_t cap)
{
	if (c == NULL || cap < 1 + 2 * (size_t)c->bytes) {
		return ECC_ERR_PARAM;
	}
	out[0] = 0x04;
	bastion_memcpy(out + 1, x, c->bytes);
	bastion_memcpy(out + 1 + c->bytes, y, c->bytes);
	return (int)(1 + 2 * c->bytes);
}

int ecc_point_decode(const struct ecc_curve *c, const uint8_t *in, size_t len, uint8_t *x,
		     uint8_t *y)
{
	int rc;

	if (c == NULL || len != 1 + 2 * (size_t)c->bytes || in[0] != 0x04) {
		return ECC_ERR_PARAM;
	}
	rc = ecc_point_check(c, in + 1, in + 1 + c->bytes);
	if (rc != 0) {
		return rc;
	}
	bastion_memcpy(x, in + 1, c->bytes);
	bastion_memcpy(y, in + 1 + c->bytes, c->bytes);
	return 0;
}

/* An error code chosen by a mask without a branch: mask ? 0 : err. */
static int rc_from_mask(uint64_t ok, int err)
{
	return (int)(int64_t)(~ok & (uint64_t)(int64_t)err);
}

/* The affine coordinates of p as big-endian bytes; zero bytes if p is the identity. Returns
 * the all-ones mask unless p is the identity. Constant time. */
static uint64_t point_store(const struct ecc_curve *c, uint8_t *x, uint8_t *y,
			    const struct point *p)
{
	fe ax, ay;
	uint64_t ok = point_to_affine(c, ax, ay, p);

	fe_from_mont(c, ax, ax);
	fe_from_mont(c, ay, ay);
	limbs_to_bytes(c, x, ax);
	limbs_to_bytes(c, y, ay);
	mem_wipe(ax, sizeof(ax));
	mem_wipe(ay, sizeof(ay));
	return ok;
}

uint64_t ecc_scalar_load(const struct ecc_curve *c, struct ecc_scalar *s, const uint8_t *in)
{
	bastion_memset(s, 0, sizeof(*s));
	limbs_from_bytes(c, s->w, in);
	return lt_limbs(c, s->w, c->n) & ~is_zero_limbs(s->w, c->limbs);
}

void ecc_scalar_store(const struct ecc_curve *c, uint8_t *out, const struct ecc_scalar *s)
{
	limbs_to_bytes(c, out, s->w);
}

/* Loads a private scalar in constant time: returns the validity mask, and s = 1 instead of
 * an invalid value so that the computation can run to the end on a harmless input. */
static uint64_t scalar_load_private(const struct ecc_curve *c, struct ecc_scalar *s,
				    const uint8_t *in)
{
	static const uint64_t one[ECC_MAX_LIMBS] = { 1 };
	uint64_t ok = ecc_scalar_load(c, s, in);

	cmov_limbs(s->w, one, ~ok, c->limbs);
	return ok;
}

void ecc_scalar_from_digest(const struct ecc_curve *c, struct ecc_scalar *s, const uint8_t *in,
			    size_t len)
{
	uint8_t buf[ECC_MAX_BYTES];
	size_t take = len < c->bytes ? len : c->bytes;

	/* bits(n) is a multiple of 8 for both curves, so bits2int keeps the first c->bytes
	 * octets; a shorter string is the integer it encodes (left-padded with zeros). */
	bastion_memset(buf, 0, sizeof(buf));
	bastion_memcpy(buf + (c->bytes - take), in, take);
	bastion_memset(s, 0, sizeof(*s));
	limbs_from_bytes(c, s->w, buf);
	/* The value is < 2^bits(n) < 2n, so one conditional subtraction reduces it. */
	if (c->limbs == 4) {
		cond_sub_n(s->w, s->w, c->n, 4);
	} else {
		cond_sub_n(s->w, s->w, c->n, 6);
	}
	mem_wipe(buf, sizeof(buf));
}

void ecc_scalar_add(const struct ecc_curve *c, struct ecc_scalar *r, const struct ecc_scalar *a,
		    const struct ecc_scalar *b)
{
	if (c->limbs == 4) {
		mod_add_n(r->w, a->w, b->w, c->n, 4);
	} else {
		mod_add_n(r->w, a->w, b->w, c->n, 6);
	}
}

void ecc_scalar_mul(const struct ecc_curve *c, struct ecc_scalar *r, const struct ecc_scalar *a,
		    const struct ecc_scalar *b)
{
	uint64_t t[ECC_MAX_LIMBS];

	/* (a * b * R^-1) * (R^2) * R^-1 = a * b. */
	sc_mont_mul(c, t, a->w, b->w);
	sc_mont_mul(c, r->w, t, c->rr_n);
	mem_wipe(t, sizeof(t));
}

void ecc_scalar_inv(const struct ecc_curve *c, struct ecc_scalar *r, const struct ecc_scalar *a)
{
	static const uint64_t one[ECC_MAX_LIMBS] = { 1 };
	uint64_t am[ECC_MAX_LIMBS], onem[ECC_MAX_LIMBS], e[ECC_MAX_LIMBS];
	uint64_t borrow = 0;

	for (unsigned int j = 0; j < c->limbs; j++) {
		e[j] = subb(c->n[j], j == 0 ? 2 : 0, &borrow);
	}
	sc_mont_mul(c, am, a->w, c->rr_n);      /* a * R */
	sc_mont_mul(c, onem, one, c->rr_n);     /* R mod n */
	mont_pow_public(c, sc_mont_mul, am, am, e, onem);
	sc_mont_mul(c, r->w, am, one);          /* back to plain form */
	mem_wipe(am, sizeof(am));
}

uint64_t ecc_scalar_is_zero(const struct ecc_curve *c, const struct ecc_scalar *a)
{
	return is_zero_limbs(a->w, c->limbs);
}

void ecc_scalar_cmov(const struct ecc_curve *c, struct ecc_scalar *r, const struct ecc_scalar *a,
		     uint64_t mask)
{
	cmov_limbs(r->w, a->w, mask, c->limbs);
}

uint64_t ecc_mul_base_x(const struct ecc_curve *c, const struct ecc_scalar *k,
			struct ecc_scalar *r)
{
	struct point p;
	fe x, y;
	uint64_t ok;

	point_mul_base_ct(c, &p, k->w);
	ok = point_to_affine(c, x, y, &p);
	fe_from_mont(c, x, x);
	bastion_memset(r, 0, sizeof(*r));
	/* x < p < 2n for both curves: one conditional subtraction gives x mod n. */
	if (c->limbs == 4) {
		cond_sub_n(r->w, x, c->n, 4);
	} else {
		cond_sub_n(r->w, x, c->n, 6);
	}
	mem_wipe(&p, sizeof(p));
	mem_wipe(x, sizeof(x));
	mem_wipe(y, sizeof(y));
	return ok;
}

bool ecc_verify_combination_vartime(const struct ecc_curve *c, const struct ecc_scalar *u1,
				    const struct ecc_scalar *u2, const uint8_t *qx,
				    const uint8_t *qy, const struct ecc_scalar *r)
{
	struct point q, sum;
	fe x, y;
	uint64_t xr[ECC_MAX_LIMBS];

	if (point_load(c, &q, qx, qy) != 0) {
		return false;
	}
	point_mul2_vartime(c, &sum, u1->w, u2->w, &q);
	if (point_to_affine(c, x, y, &sum) == 0) {
		return false;
	}
	fe_from_mont(c, x, x);
	if (c->limbs == 4) {
		cond_sub_n(xr, x, c->n, 4);
	} else {
		cond_sub_n(xr, x, c->n, 6);
	}
	return bastion_memcmp(xr, r->w, c->limbs * sizeof(uint64_t)) == 0;
}

int ecc_public_from_private(const struct ecc_curve *c, const uint8_t *d, uint8_t *qx,
			    uint8_t *qy)
{
	struct ecc_scalar s;
	struct point q;
	uint64_t ok;

	if (c == NULL) {
		return ECC_ERR_PARAM;
	}
	ok = scalar_load_private(c, &s, d);
	point_mul_base_ct(c, &q, s.w);
	ok &= point_store(c, qx, qy, &q);
	/* Zero the outputs of an invalid scalar (computed for s = 1) without branching. */
	for (unsigned int i = 0; i < c->bytes; i++) {
		qx[i] &= (uint8_t)ok;
		qy[i] &= (uint8_t)ok;
	}
	mem_wipe(&s, sizeof(s));
	mem_wipe(&q, sizeof(q));
	return rc_from_mask(ok, ECC_ERR_SCALAR);
}

int ecc_point_mul(const struct ecc_curve *c, const uint8_t *k, const uint8_t *px,
		  const uint8_t *py, uint8_t *rx, uint8_t *ry)
{
	struct ecc_scalar s;
	struct point p, r;
	uint64_t ok;
	int rc;

	if (c == NULL) {
		return ECC_ERR_PARAM;
	}
	rc = point_load(c, &p, px, py);
	if (rc != 0) {
		return rc;
	}
	ok = scalar_load_private(c, &s, k);
	point_mul_ct(c, &r, s.w, &p);
	/* Not the identity: guaranteed for k in [1, n-1] and a valid P, checked anyway. */
	ok &= point_store(c, rx, ry, &r);
	for (unsigned int i = 0; i < c->bytes; i++) {
		rx[i] &= (uint8_t)ok;
		ry[i] &= (uint8_t)ok;
	}
	mem_wipe(&s, sizeof(s));
	mem_wipe(&r, sizeof(r));
	return rc_from_mask(ok, ECC_ERR_SCALAR);
}

int ecc_keygen(const struct ecc_curve *c, const struct crypto_rng *rng, uint8_t *d,
	       uint8_t *qx, uint8_t *qy)
{
	uint64_t cand[ECC_MAX_LIMBS], nm2[ECC_MAX_LIMBS];
	uint8_t buf[ECC_MAX_BYTES];
	uint64_t borrow = 0;
	int rc = ECC_ERR_RNG;

	if (c == NULL) {
		return ECC_ERR_PARAM;
	}
	for (unsigned int j = 0; j < c->limbs; j++) {
		nm2[j] = subb(c->n[j], j == 0 ? 2 : 0, &borrow);
	}
	/* FIPS 186-5 A.2.2: bits(n) is a multiple of 8 here, so the candidate c is exactly
	 * c->bytes random octets. */
	for (int attempt = 0; attempt < 64; attempt++) {
		uint64_t carry = 1;

		if (crypto_rng_bytes(rng, buf, c->bytes) != 0) {
			break;
		}
		limbs_from_bytes(c, cand, buf);
		/* Step 5: reject c > n - 2. This branch reveals only that a candidate was
		 * rejected; the accepted one is independent of it. */
		if (lt_limbs(c, nm2, cand) != 0) {
			continue;
		}
		/* Step 6: d = c + 1 (cannot overflow: c <= n - 2). */
		for (unsigned int j = 0; j < c->limbs; j++) {
			cand[j] = addc(cand[j], 0, &carry);
		}
		limbs_to_bytes(c, d, cand);
		rc = ecc_public_from_private(c, d, qx, qy);
		break;
	}
	if (rc != 0) {
		bastion_memset(d, 0, c->bytes);
		bastion_memset(qx, 0, c->bytes);
		bastion_memset(qy, 0, c->bytes);
	}
	mem_wipe(cand, sizeof(cand));
	mem_wipe(buf, sizeof(buf));
	return rc;
}
