/*
 * AES (FIPS 197): key expansion, the portable bitsliced cipher, and the dispatch to AES-NI.
 *
 * Bitsliced representation. Up to four 16-byte blocks (64 state bytes) are held in eight
 * 64-bit words q[0..7]: bit k of q[i] is bit i of state byte k, where k = 16 * block + pos and
 * pos is the FIPS 197 input index (byte pos is state row pos % 4, column pos / 4, section
 * 3.4). In this form:
 *   - SubBytes is a Boolean circuit: the GF(2^8) inverse x^254 (four multiplications and
 *     six squarings, an Itoh-Tsujii chain) followed by the affine map (section 5.1.1). No
 *     table, so no secret-dependent address.
 *   - ShiftRows and MixColumns move bits between positions of each word with fixed shifts
 *     and masks (sections 5.1.2, 5.1.3), the same for every word.
 *   - AddRoundKey XORs the round key's planes, broadcast to the four blocks.
 * Every operation is a fixed sequence of AND/XOR/shift instructions: the running time and the
 * memory addresses touched depend on the key length and the block count only.
 */
#include "crypto/aes.h"

#include "crypto/simd.h"
#include "kernel/string.h"

/* ---- Bit-plane conversion ----------------------------------------------------------------- */

/* Swaps the bits of x selected by m with the bits s positions above them. */
static inline uint64_t delta_swap(uint64_t x, uint64_t m, unsigned int s)
{
	uint64_t t = (x ^ (x >> s)) & m;

	return x ^ t ^ (t << s);
}

/* Transposes x as an 8x8 bit matrix (byte r, bit c) <-> (byte c, bit r). */
static inline uint64_t transpose_bits8x8(uint64_t x)
{
	x = delta_swap(x, 0x00AA00AA00AA00AAull, 7);
	x = delta_swap(x, 0x0000CCCC0000CCCCull, 14);
	return delta_swap(x, 0x00000000F0F0F0F0ull, 28);
}

/* Transposes w[0..7] as an 8x8 byte matrix: byte i of w[j] <-> byte j of w[i]. */
static inline void transpose_bytes8x8(uint64_t w[8])
{
	_Pragma("GCC unroll 64")
	for (unsigned int j = 0; j < 4; j++) {
		uint64_t t = ((w[j] >> 32) ^ w[j + 4]) & 0x00000000FFFFFFFFull;

		w[j] ^= t << 32;
		w[j + 4] ^= t;
	}
	_Pragma("GCC unroll 64")
	for (unsigned int j = 0; j < 8; j += (j & 1) ? 3 : 1) {
		uint64_t t = ((w[j] >> 16) ^ w[j + 2]) & 0x0000FFFF0000FFFFull;

		w[j] ^= t << 16;
		w[j + 2] ^= t;
	}
	_Pragma("GCC unroll 64")
	for (unsigned int j = 0; j < 8; j += 2) {
		uint64_t t = ((w[j] >> 8) ^ w[j + 1]) & 0x00FF00FF00FF00FFull;

		w[j] ^= t << 8;
		w[j + 1] ^= t;
	}
}

/* 64 bytes -> planes: q[i] bit k = bit i of in[k]. */
static void to_planes(uint64_t q[8], const uint8_t in[64])
{
	_Pragma("GCC unroll 64")
	for (unsigned int j = 0; j < 8; j++) {
		uint64_t w = 0;

		_Pragma("GCC unroll 64")
		for (unsigned int b = 0; b < 8; b++) {
			w |= (uint64_t)in[8 * j + b] << (8 * b);
		}
		q[j] = transpose_bits8x8(w);
	}
	transpose_bytes8x8(q);
}

/* The inverse of to_planes; q is destroyed. */
static void from_planes(uint8_t out[64], uint64_t q[8])
{
	transpose_bytes8x8(q);
	_Pragma("GCC unroll 64")
	for (unsigned int j = 0; j < 8; j++) {
		uint64_t w = transpose_bits8x8(q[j]);

		_Pragma("GCC unroll 64")
		for (unsigned int b = 0; b < 8; b++) {
			out[8 * j + b] = (uint8_t)(w >> (8 * b));
		}
	}
}

/* ---- SubBytes as a circuit (FIPS 197 section 5.1.1) ----------------------------------------- */

/* p[0..14] holds a polynomial of degree <= 14; reduce it modulo x^8 + x^4 + x^3 + x + 1. */
static inline void gf_reduce(uint64_t r[8], uint64_t p[15])
{
	_Pragma("GCC unroll 64")
	for (unsigned int k = 14; k >= 8; k--) {
		p[k - 4] ^= p[k];
		p[k - 5] ^= p[k];
		p[k - 7] ^= p[k];
		p[k - 8] ^= p[k];
	}
	_Pragma("GCC unroll 64")
	for (unsigned int i = 0; i < 8; i++) {
		r[i] = p[i];
	}
}

/* r = a * b in GF(2^8), 64 lanes at once (r may alias a or b). */
static inline void gf_mul(uint64_t r[8], const uint64_t a[8], const uint64_t b[8])
{
	uint64_t p[15] = { 0 };

	_Pragma("GCC unroll 64")
	for (unsigned int i = 0; i < 8; i++) {
		_Pragma("GCC unroll 64")
		for (unsigned int j = 0; j < 8; j++) {
			p[i + j] ^= a[i] & b[j];
		}
	}
	gf_reduce(r, p);
}

/* r = a^2 (squaring is linear in GF(2^8): the coefficients spread to the even degrees). */
static inline void gf_sqr(uint64_t r[8], const uint64_t a[8])
{
	uint64_t p[15] = { 0 };

	_Pragma("GCC unroll 64")
	for (unsigned int i = 0; i < 8; i++) {
		p[2 * i] = a[i];
	}
	gf_reduce(r, p);
}

/* q = q^254, the multiplicative inverse (0 maps to 0): x^3, x^7, x^63, x^127, then squared. */
static inline void gf_inv(uint64_t q[8])
{
	uint64_t x3[8], x7[8], t[8];

	gf_sqr(t, q);
	gf_mul(x3, t, q);          /* x^3 */
	gf_sqr(t, x3);
	gf_mul(x7, t, q);          /* x^7 */
	gf_sqr(t, x7);
	gf_sqr(t, t);
	gf_sqr(t, t);
	gf_mul(t, t, x7);          /* x^63 */
	gf_sqr(t, t);
	gf_mul(t, t, q);           /* x^127 */
	gf_sqr(q, t);              /* x^254 */
}

/* SubBytes: inversion then b'_i = b_i ^ b_(i+4) ^ b_(i+5) ^ b_(i+6) ^ b_(i+7) ^ c_i, c = 0x63. */
static inline void sub_bytes(uint64_t q[8])
{
	uint64_t b[8];

	gf_inv(q);
	_Pragma("GCC unroll 64")
	for (unsigned int i = 0; i < 8; i++) {
		b[i] = q[i];
	}
	_Pragma("GCC unroll 64")
	for (unsigned int i = 0; i < 8; i++) {
		q[i] = b[i] ^ b[(i + 4) & 7] ^ b[(i + 5) & 7] ^ b[(i + 6) & 7] ^ b[(i + 7) & 7];
	}
	q[0] = ~q[0];
	q[1] = ~q[1];
	q[5] = ~q[5];
	q[6] = ~q[6];
}

/* InvSubBytes (section 5.3.2): the inverse affine map b_i = s_(i+2) ^ s_(i+5) ^ s_(i+7) ^ d_i
 * with d = 0x05, then inversion. */
static inline void inv_sub_bytes(uint64_t q[8])
{
	uint64_t s[8];

	_Pragma("GCC unroll 64")
	for (unsigned int i = 0; i < 8; i++) {
		s[i] = q[i];
	}
	_Pragma("GCC unroll 64")
	for (unsigned int i = 0; i < 8; i++) {
		q[i] = s[(i + 2) & 7] ^ s[(i + 5) & 7] ^ s[(i + 7) & 7];
	}
	q[0] = ~q[0];
	q[2] = ~q[2];
	gf_inv(q);
}

/* ---- ShiftRows, MixColumns, AddRoundKey -------------------------------------------------- */

#define LANES16 0x0001000100010001ull

/* Row r (positions 4c + r of each 16-bit lane) moves left by r columns: s'[r][c] = s[r][c+r]. */
static inline uint64_t shift_rows_word(uint64_t x)
{
	uint64_t out = x & (0x1111ull * LANES16);

	_Pragma("GCC unroll 64")
	for (unsigned int r = 1; r < 4; r++) {
		uint64_t t = x & ((0x1111ull << r) * LANES16);
		uint64_t lo = ((1ull << (16 - 4 * r)) - 1) * LANES16;

		out |= ((t >> (4 * r)) & lo) | ((t << (16 - 4 * r)) & ~lo);
	}
	return out;
}

/* InvShiftRows: s'[r][c] = s[r][c-r]. */
static inline uint64_t inv_shift_rows_word(uint64_t x)
{
	uint64_t out = x & (0x1111ull * LANES16);

	_Pragma("GCC unroll 64")
	for (unsigned int r = 1; r < 4; r++) {
		uint64_t t = x & ((0x1111ull << r) * LANES16);
		uint64_t lo = ((1ull << (4 * r)) - 1) * LANES16;

		out |= ((t << (4 * r)) & ~lo) | ((t >> (16 - 4 * r)) & lo);
	}
	return out;
}

/* Within each column (4-bit nibble), row r receives row r+1 (rot1) or row r+2 (rot2). */
static inline uint64_t rot1(uint64_t x)
{
	return ((x >> 1) & 0x7777777777777777ull) | ((x << 3) & 0x8888888888888888ull);
}

static inline uint64_t rot2(uint64_t x)
{
	return ((x >> 2) & 0x3333333333333333ull) | ((x << 2) & 0xCCCCCCCCCCCCCCCCull);
}

/* Multiplication by {02} (xtime, section 4.2.1) on planes. */
static inline void xtime(uint64_t r[8], const uint64_t t[8])
{
	uint64_t hi = t[7];

	r[7] = t[6];
	r[6] = t[5];
	r[5] = t[4];
	r[4] = t[3] ^ hi;
	r[3] = t[2] ^ hi;
	r[2] = t[1];
	r[1] = t[0] ^ hi;
	r[0] = hi;
}

/* s'_r = {02}s_r ^ {03}s_(r+1) ^ s_(r+2) ^ s_(r+3) = {02}(s_r ^ s_(r+1)) ^ s_(r+1) ^
 * (s_(r+2) ^ s_(r+3)) (section 5.1.3). */
static inline void mix_columns(uint64_t q[8])
{
	uint64_t r1[8], t[8], x[8];

	_Pragma("GCC unroll 64")
	for (unsigned int i = 0; i < 8; i++) {
		r1[i] = rot1(q[i]);
		t[i] = q[i] ^ r1[i];
	}
	xtime(x, t);
	_Pragma("GCC unroll 64")
	for (unsigned int i = 0; i < 8; i++) {
		q[i] = x[i] ^ r1[i] ^ rot2(t[i]);
	}
}

/* InvMixColumns (section 5.3.3): {0b}x^3+{0d}x^2+{09}x+{0e} = ({03}x^3+{01}x^2+{01}x+{02}) *
 * ({04}x^2+{05}) mod x^4+1, so first u_r = s_r ^ {04}(s_r ^ s_(r+2)), then MixColumns. */
static inline void inv_mix_columns(uint64_t q[8])
{
	uint64_t t[8], x[8];

	_Pragma("GCC unroll 64")
	for (unsigned int i = 0; i < 8; i++) {
		t[i] = q[i] ^ rot2(q[i]);
	}
	xtime(x, t);
	xtime(t, x);
	_Pragma("GCC unroll 64")
	for (unsigned int i = 0; i < 8; i++) {
		q[i] ^= t[i];
	}
	mix_columns(q);
}

static inline void add_round_key(uint64_t q[8], const uint16_t rk[8])
{
	_Pragma("GCC unroll 64")
	for (unsigned int i = 0; i < 8; i++) {
		q[i] ^= (uint64_t)rk[i] * LANES16;
	}
}

static void encrypt_planes(const struct aes_ctx *ctx, uint64_t q[8])
{
	uint32_t nr = ctx->rounds;

	add_round_key(q, ctx->rk_bs[0]);
	for (uint32_t r = 1; r <= nr; r++) {
		sub_bytes(q);
		_Pragma("GCC unroll 64")
		for (unsigned int i = 0; i < 8; i++) {
			q[i] = shift_rows_word(q[i]);
		}
		if (r != nr) {          /* public: the round number */
			mix_columns(q);
		}
		add_round_key(q, ctx->rk_bs[r]);
	}
}

static void decrypt_planes(const struct aes_ctx *ctx, uint64_t q[8])
{
	uint32_t nr = ctx->rounds;

	add_round_key(q, ctx->rk_bs[nr]);
	for (uint32_t r = nr; r-- > 0;) {
		_Pragma("GCC unroll 64")
		for (unsigned int i = 0; i < 8; i++) {
			q[i] = inv_shift_rows_word(q[i]);
		}
		inv_sub_bytes(q);
		add_round_key(q, ctx->rk_bs[r]);
		if (r != 0) {
			inv_mix_columns(q);
		}
	}
}

/* Runs up to four blocks at a time through the bitsliced cipher. */
static void portable_blocks(const struct aes_ctx *ctx, const uint8_t *in, uint8_t *out, size_t n,
			    int decrypt)
{
	uint8_t buf[64];
	uint64_t q[8];

	while (n > 0) {
		size_t k = n < 4 ? n : 4;

		bastion_memset(buf, 0, sizeof(buf));
		bastion_memcpy(buf, in, 16 * k);
		to_planes(q, buf);
		if (decrypt) {
			decrypt_planes(ctx, q);
		} else {
			encrypt_planes(ctx, q);
		}
		from_planes(buf, q);
		bastion_memcpy(out, buf, 16 * k);
		in += 16 * k;
		out += 16 * k;
		n -= k;
	}
	mem_wipe(buf, sizeof(buf));
	mem_wipe(q, sizeof(q));
}

void aes_portable_encrypt_blocks(const struct aes_ctx *ctx, const uint8_t *in, uint8_t *out,
				 size_t n)
{
	portable_blocks(ctx, in, out, n, 0);
}

void aes_portable_decrypt_blocks(const struct aes_ctx *ctx, const uint8_t *in, uint8_t *out,
				 size_t n)
{
	portable_blocks(ctx, in, out, n, 1);
}

/* ---- Key expansion (section 5.2) ------------------------------------------------------------ */

/* SubWord on 4 bytes, through the same circuit. */
static void sub_word(uint8_t w[4])
{
	uint8_t buf[64] = { 0 };
	uint64_t q[8];

	bastion_memcpy(buf, w, 4);
	to_planes(q, buf);
	sub_bytes(q);
	from_planes(buf, q);
	bastion_memcpy(w, buf, 4);
	mem_wipe(buf, sizeof(buf));
	mem_wipe(q, sizeof(q));
}

static void expand_key(struct aes_ctx *ctx, const uint8_t *key, size_t key_len)
{
	uint8_t *w = &ctx->rk[0][0];
	uint32_t nk = (uint32_t)(key_len / 4);
	uint32_t total = 4 * (ctx->rounds + 1);
	uint8_t rcon = 0x01;
	uint8_t t[4];

	bastion_memcpy(w, key, key_len);
	for (uint32_t i = nk; i < total; i++) {
		bastion_memcpy(t, &w[4 * (i - 1)], 4);
		if (i % nk == 0) {      /* public: word index */
			uint8_t t0 = t[0];

			t[0] = t[1];
			t[1] = t[2];
			t[2] = t[3];
			t[3] = t0;
			sub_word(t);
			t[0] ^= rcon;
			/* Rcon is public: xtime on a constant. */
			rcon = (uint8_t)((rcon << 1) ^ ((rcon >> 7) * 0x1b));
		} else if (nk > 6 && i % nk == 4) {
			sub_word(t);
		}
		for (unsigned int b = 0; b < 4; b++) {
			w[4 * i + b] = (uint8_t)(w[4 * (i - nk) + b] ^ t[b]);
		}
	}
	mem_wipe(t, sizeof(t));
}

static void bitslice_round_keys(struct aes_ctx *ctx)
{
	for (uint32_t r = 0; r <= ctx->rounds; r++) {
		for (unsigned int i = 0; i < 8; i++) {
			uint32_t plane = 0;

			for (unsigned int b = 0; b < 16; b++) {
				plane |= (uint32_t)((ctx->rk[r][b] >> i) & 1u) << b;
			}
			ctx->rk_bs[r][i] = (uint16_t)plane;
		}
	}
}

int aes_init_impl(struct aes_ctx *ctx, const uint8_t *key, size_t key_len, enum aes_impl impl)
{
	bastion_memset(ctx, 0, sizeof(*ctx));
	if (key_len != 16 && key_len != 24 && key_len != 32) {
		return AES_ERR_INVALID;
	}
	if (impl == AES_IMPL_AUTO) {
		impl = crypto_simd_usable() ? AES_IMPL_SIMD : AES_IMPL_PORTABLE;
	} else if (impl == AES_IMPL_SIMD) {
		if (!crypto_simd_usable()) {
			return AES_ERR_UNSUPPORTED;
		}
	} else if (impl != AES_IMPL_PORTABLE) {
		return AES_ERR_INVALID;
	}
	ctx->rounds = (uint32_t)(key_len / 4 + 6);
	ctx->impl = (uint32_t)impl;
	expand_key(ctx, key, key_len);
	if (impl == AES_IMPL_SIMD) {
		crypto_simd_begin();
		aes_simd_prepare_decrypt(ctx);
		crypto_simd_end();
	} else {
		bitslice_round_keys(ctx);
	}
	return 0;
}

int aes_init(struct aes_ctx *ctx, const uint8_t *key, size_t key_len)
{
	return aes_init_impl(ctx, key, key_len, AES_IMPL_AUTO);
}

void aes_encrypt_blocks(const struct aes_ctx *ctx, const uint8_t *in, uint8_t *out, size_t n)
{
	if (n == 0) {
		return;
	}
	if (ctx->impl == AES_IMPL_SIMD) {
		crypto_simd_begin();
		aes_simd_encrypt_blocks(ctx, in, out, n);
		crypto_simd_end();
	} else {
		aes_portable_encrypt_blocks(ctx, in, out, n);
	}
}

void aes_decrypt_blocks(const struct aes_ctx *ctx, const uint8_t *in, uint8_t *out, size_t n)
{
	if (n == 0) {
		return;
	}
	if (ctx->impl == AES_IMPL_SIMD) {
		crypto_simd_begin();
		aes_simd_decrypt_blocks(ctx, in, out, n);
		crypto_simd_end();
	} else {
		aes_portable_decrypt_blocks(ctx, in, out, n);
	}
}

void aes_encrypt_block(const struct aes_ctx *ctx, const uint8_t in[16], uint8_t out[16])
{
	aes_encrypt_blocks(ctx, in, out, 1);
}

void aes_decrypt_block(const struct aes_ctx *ctx, const uint8_t in[16], uint8_t out[16])
{
	aes_decrypt_blocks(ctx, in, out, 1);
}

void aes_wipe(struct aes_ctx *ctx)
{
	mem_wipe(ctx, sizeof(*ctx));
}
