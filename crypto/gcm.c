/*
 * AES-GCM (SP 800-38D): GCTR with inc32 (section 6.5) and GHASH (section 6.4).
 *
 * GHASH arithmetic. A 16-byte block read as a big-endian 128-bit integer X has the
 * coefficient of x^i of the field element at bit 127 - i ("reflected" order, section 6.3).
 * For such integers, the carry-less product X*Y (255 bits) shifted left by one is the
 * polynomial product in the same reflected order (256 bits); its low 128 bits hold the
 * coefficients of x^128..x^255. Those are folded back with x^128 = x^7 + x^2 + x + 1: with
 * L the low half and V = (L<<127) ^ (L<<126) ^ (L<<121) (the bits that the first fold pushes
 * below x^128 again), W = L ^ V and the result is H ^ W ^ (W>>1) ^ (W>>2) ^ (W>>7). The
 * portable code below and the PCLMULQDQ code in gcm_simd.c both compute exactly that.
 *
 * Portable carry-less multiplication: a 64x64 product's low half comes from ordinary
 * multiplications of operands split into four interleaved bit groups (every fourth bit), so
 * the sums in each 4-bit field never carry into the next bit of the same group; the high half
 * is the low half of the product of the bit-reversed operands. Integer multiplication runs in
 * constant time on x86-64; no table and no branch depends on H or the data.
 */
#include "crypto/gcm.h"

#include "crypto/aes_modes.h"
#include "crypto/ct.h"
#include "crypto/simd.h"
#include "kernel/string.h"

enum {
	GCM_UNKEYED = 0,
	GCM_KEYED,       /* between messages */
	GCM_AAD,         /* after gcm_start, before any data */
	GCM_ENCRYPT,
	GCM_DECRYPT,
};

/* Plaintext limit: 2^39 - 256 bits (section 5.2.1.1). */
#define GCM_MAX_DATA ((1ull << 36) - 32)
/* AAD and IV limit: 2^64 - 1 bits. */
#define GCM_MAX_AAD ((1ull << 61) - 1)

/* ---- Portable GHASH ------------------------------------------------------------------------- */

/* Low 64 bits of the carry-less product x*y. */
static inline uint64_t bmul64(uint64_t x, uint64_t y)
{
	const uint64_t m0 = 0x1111111111111111ull, m1 = m0 << 1, m2 = m0 << 2, m3 = m0 << 3;
	uint64_t x0 = x & m0, x1 = x & m1, x2 = x & m2, x3 = x & m3;
	uint64_t y0 = y & m0, y1 = y & m1, y2 = y & m2, y3 = y & m3;
	uint64_t z0 = (x0 * y0) ^ (x1 * y3) ^ (x2 * y2) ^ (x3 * y1);
	uint64_t z1 = (x0 * y1) ^ (x1 * y0) ^ (x2 * y3) ^ (x3 * y2);
	uint64_t z2 = (x0 * y2) ^ (x1 * y1) ^ (x2 * y0) ^ (x3 * y3);
	uint64_t z3 = (x0 * y3) ^ (x1 * y2) ^ (x2 * y1) ^ (x3 * y0);

	return (z0 & m0) | (z1 & m1) | (z2 & m2) | (z3 & m3);
}

static inline uint64_t rev64(uint64_t x)
{
	x = ((x >> 1) & 0x5555555555555555ull) | ((x & 0x5555555555555555ull) << 1);
	x = ((x >> 2) & 0x3333333333333333ull) | ((x & 0x3333333333333333ull) << 2);
	x = ((x >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((x & 0x0F0F0F0F0F0F0F0Full) << 4);
	return __builtin_bswap64(x);
}

/* The full 128-bit carry-less product of x and y. */
static inline void clmul64(uint64_t x, uint64_t y, uint64_t *hi, uint64_t *lo)
{
	*lo = bmul64(x, y);
	*hi = rev64(bmul64(rev64(x), rev64(y))) >> 1;
}

/* y = y * h in GF(2^128); [0] = low 64 bits, [1] = high 64 bits. */
static void gf128_mul(uint64_t y[2], const uint64_t h[2])
{
	uint64_t a1, a0, b1, b0, c1, c0, z3, z2, z1, z0, w1, w0;

	/* Karatsuba: three 64x64 products. */
	clmul64(y[1], h[1], &a1, &a0);
	clmul64(y[0], h[0], &b1, &b0);
	clmul64(y[1] ^ y[0], h[1] ^ h[0], &c1, &c0);
	c1 ^= a1 ^ b1;
	c0 ^= a0 ^ b0;
	z3 = a1;
	z2 = a0 ^ c1;
	z1 = b1 ^ c0;
	z0 = b0;
	/* Reflected order: shift the 255-bit product left by one. */
	z3 = (z3 << 1) | (z2 >> 63);
	z2 = (z2 << 1) | (z1 >> 63);
	z1 = (z1 << 1) | (z0 >> 63);
	z0 <<= 1;
	/* Fold the low half (x^128..x^255) into the high half. */
	w1 = z1 ^ (z0 << 63) ^ (z0 << 62) ^ (z0 << 57);
	w0 = z0;
	y[1] = z3 ^ w1 ^ (w1 >> 1) ^ (w1 >> 2) ^ (w1 >> 7);
	y[0] = z2 ^ w0 ^ ((w0 >> 1) | (w1 << 63)) ^ ((w0 >> 2) | (w1 << 62)) ^
	       ((w0 >> 7) | (w1 << 57));
}

static inline uint64_t load_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < 8; i++) {
		v = (v << 8) | p[i];
	}
	return v;
}

static inline void store_be64(uint8_t *p, uint64_t v)
{
	for (unsigned int i = 0; i < 8; i++) {
		p[i] = (uint8_t)(v >> (56 - 8 * i));
	}
}

static void ghash_portable(uint64_t y[2], const uint64_t h[2], const uint8_t *data, size_t n)
{
	for (size_t i = 0; i < n; i++, data += 16) {
		y[1] ^= load_be64(data);
		y[0] ^= load_be64(data + 8);
		gf128_mul(y, h);
	}
}

/* ---- Path selection ------------------------------------------------------------------------- */

static int use_simd(const struct gcm_ctx *g)
{
	return g->aes.impl == AES_IMPL_SIMD;
}

/* One SSE-state save per public call: inner steps nest inside the outer one. */
static void simd_enter(struct gcm_ctx *g)
{
	if (g->simd_depth++ == 0) {
		crypto_simd_begin();
	}
}

static void simd_leave(struct gcm_ctx *g)
{
	if (--g->simd_depth == 0) {
		crypto_simd_end();
	}
}

static void ghash_blocks(struct gcm_ctx *g, const uint8_t *data, size_t n)
{
	if (n == 0) {
		return;
	}
	if (use_simd(g)) {
		simd_enter(g);
		gcm_simd_ghash(g->y, g, data, n);
		simd_leave(g);
	} else {
		ghash_portable(g->y, g->hpow[0], data, n);
	}
}

static void encrypt_block(struct gcm_ctx *g, const uint8_t in[16], uint8_t out[16])
{
	if (use_simd(g)) {
		simd_enter(g);
		aes_simd_encrypt_blocks(&g->aes, in, out, 1);
		simd_leave(g);
	} else {
		aes_portable_encrypt_blocks(&g->aes, in, out, 1);
	}
}

/* GCTR over n whole blocks from g->ctr (advanced by n, inc32). */
static void gctr_blocks(struct gcm_ctx *g, const uint8_t *in, uint8_t *out, size_t n)
{
	uint8_t ks[64];

	if (n == 0) {
		return;
	}
	if (use_simd(g)) {
		simd_enter(g);
		aes_simd_ctr(&g->aes, g->ctr, in, out, n, 1);
		simd_leave(g);
		return;
	}
	while (n > 0) {
		size_t k = n < 4 ? n : 4;

		for (size_t i = 0; i < k; i++) {
			bastion_memcpy(ks + 16 * i, g->ctr, 16);
			aes_ctr_increment(g->ctr, 1);
		}
		aes_portable_encrypt_blocks(&g->aes, ks, ks, k);
		for (size_t i = 0; i < 16 * k; i++) {
			out[i] = (uint8_t)(in[i] ^ ks[i]);
		}
		in += 16 * k;
		out += 16 * k;
		n -= k;
	}
	mem_wipe(ks, sizeof(ks));
}

/* ---- Keying and messages ------------------------------------------------------------------- */

int gcm_init_impl(struct gcm_ctx *ctx, const uint8_t *key, size_t key_len, enum aes_impl impl)
{
	static const uint8_t zero[16];
	uint8_t h[16];
	int rc;

	bastion_memset(ctx, 0, sizeof(*ctx));
	rc = aes_init_impl(&ctx->aes, key, key_len, impl);
	if (rc != 0) {
		bastion_memset(ctx, 0, sizeof(*ctx));
		return rc;
	}
	encrypt_block(ctx, zero, h);
	ctx->hpow[0][1] = load_be64(h);
	ctx->hpow[0][0] = load_be64(h + 8);
	mem_wipe(h, sizeof(h));
	if (use_simd(ctx)) {
		for (unsigned int i = 1; i < GCM_SIMD_AGG; i++) {
			ctx->hpow[i][0] = ctx->hpow[i - 1][0];
			ctx->hpow[i][1] = ctx->hpow[i - 1][1];
			gf128_mul(ctx->hpow[i], ctx->hpow[0]);
		}
	}
	ctx->state = GCM_KEYED;
	return 0;
}

int gcm_init(struct gcm_ctx *ctx, const uint8_t *key, size_t key_len)
{
	return gcm_init_impl(ctx, key, key_len, AES_IMPL_AUTO);
}

static void wipe_message(struct gcm_ctx *g)
{
	mem_wipe(g->y, sizeof(g->y));
	mem_wipe(g->j0, sizeof(g->j0));
	mem_wipe(g->ctr, sizeof(g->ctr));
	mem_wipe(g->ks, sizeof(g->ks));
	mem_wipe(g->buf, sizeof(g->buf));
	g->aad_len = 0;
	g->data_len = 0;
	g->buf_len = 0;
}

/* Appends bytes to the GHASH input through buf; hashes whole blocks directly. */
static void ghash_bytes(struct gcm_ctx *g, const uint8_t *p, size_t len)
{
	if (g->buf_len > 0) {
		size_t k = 16 - g->buf_len;

		if (k > len) {
			k = len;
		}
		bastion_memcpy(g->buf + g->buf_len, p, k);
		g->buf_len += (uint32_t)k;
		p += k;
		len -= k;
		if (g->buf_len < 16) {
			return;
		}
		ghash_blocks(g, g->buf, 1);
		g->buf_len = 0;
	}
	ghash_blocks(g, p, len / 16);
	p += len & ~(size_t)15;
	len &= 15;
	bastion_memcpy(g->buf, p, len);
	g->buf_len = (uint32_t)len;
}

/* Zero-pads and hashes a partial block, if any. */
static void ghash_pad(struct gcm_ctx *g)
{
	if (g->buf_len > 0) {
		bastion_memset(g->buf + g->buf_len, 0, 16 - g->buf_len);
		ghash_blocks(g, g->buf, 1);
		g->buf_len = 0;
	}
}

static void ghash_lengths(struct gcm_ctx *g, uint64_t a_bytes, uint64_t c_bytes)
{
	uint8_t b[16];

	store_be64(b, a_bytes * 8);
	store_be64(b + 8, c_bytes * 8);
	ghash_blocks(g, b, 1);
}

int gcm_start(struct gcm_ctx *ctx, const uint8_t *iv, size_t iv_len)
{
	if (ctx->state == GCM_UNKEYED || iv_len == 0 || (uint64_t)iv_len > GCM_MAX_AAD) {
		return AES_ERR_INVALID;
	}
	wipe_message(ctx);
	if (iv_len == GCM_IV_SIZE) {
		bastion_memcpy(ctx->j0, iv, 12);
		ctx->j0[12] = 0;
		ctx->j0[13] = 0;
		ctx->j0[14] = 0;
		ctx->j0[15] = 1;
	} else {
		/* J0 = GHASH(IV || 0^(s+64) || [len(IV)]_64) (section 7.1 step 2). */
		ghash_bytes(ctx, iv, iv_len);
		ghash_pad(ctx);
		ghash_lengths(ctx, 0, iv_len);
		store_be64(ctx->j0, ctx->y[1]);
		store_be64(ctx->j0 + 8, ctx->y[0]);
		ctx->y[0] = 0;
		ctx->y[1] = 0;
	}
	bastion_memcpy(ctx->ctr, ctx->j0, 16);
	aes_ctr_increment(ctx->ctr, 1);
	ctx->state = GCM_AAD;
	return 0;
}

int gcm_aad(struct gcm_ctx *ctx, const uint8_t *aad, size_t len)
{
	if (ctx->state != GCM_AAD || (uint64_t)len > GCM_MAX_AAD - ctx->aad_len) {
		return AES_ERR_INVALID;
	}
	ghash_bytes(ctx, aad, len);
	ctx->aad_len += len;
	return 0;
}

static int data_update(struct gcm_ctx *g, const uint8_t *in, uint8_t *out, size_t len,
		       uint32_t dir)
{
	size_t n;

	if (g->state == GCM_AAD) {
		ghash_pad(g);     /* the AAD ends here */
		g->state = dir;
	}
	if (g->state != dir || (uint64_t)len > GCM_MAX_DATA - g->data_len) {
		return AES_ERR_INVALID;
	}
	g->data_len += len;
	if (len == 0) {
		return 0;
	}
	if (use_simd(g)) {
		simd_enter(g);
	}
	/* Finish the partial block: buf collects its ciphertext, ks its keystream. */
	while (g->buf_len != 0 && len > 0) {
		uint8_t x = *in++;
		uint8_t y = (uint8_t)(x ^ g->ks[g->buf_len]);

		*out++ = y;
		g->buf[g->buf_len++] = (dir == GCM_DECRYPT) ? x : y;
		len--;
		if (g->buf_len == 16) {
			ghash_blocks(g, g->buf, 1);
			g->buf_len = 0;
		}
	}
	n = len / 16;
	if (dir == GCM_DECRYPT) {
		ghash_blocks(g, in, n);
		gctr_blocks(g, in, out, n);
	} else {
		gctr_blocks(g, in, out, n);
		ghash_blocks(g, out, n);
	}
	in += 16 * n;
	out += 16 * n;
	len -= 16 * n;
	if (len > 0) {
		encrypt_block(g, g->ctr, g->ks);
		aes_ctr_increment(g->ctr, 1);
		for (size_t i = 0; i < len; i++) {
			uint8_t x = in[i];
			uint8_t y = (uint8_t)(x ^ g->ks[i]);

			out[i] = y;
			g->buf[i] = (dir == GCM_DECRYPT) ? x : y;
		}
		g->buf_len = (uint32_t)len;
	}
	if (use_simd(g)) {
		simd_leave(g);
	}
	return 0;
}

int gcm_encrypt_update(struct gcm_ctx *ctx, const uint8_t *in, uint8_t *out, size_t len)
{
	return data_update(ctx, in, out, len, GCM_ENCRYPT);
}

int gcm_decrypt_update(struct gcm_ctx *ctx, const uint8_t *in, uint8_t *out, size_t len)
{
	return data_update(ctx, in, out, len, GCM_DECRYPT);
}

static int tag_len_ok(size_t t)
{
	return (t >= 12 && t <= 16) || t == 8 || t == 4;
}

/* The full tag T = GCTR(J0, S) (section 7.1 steps 5-6); ends the message. */
static int compute_tag(struct gcm_ctx *g, uint32_t dir, uint8_t tag[16])
{
	if (g->state == GCM_AAD) {
		g->state = dir;
	}
	if (g->state != dir) {
		return AES_ERR_INVALID;
	}
	if (use_simd(g)) {
		simd_enter(g);
	}
	ghash_pad(g);
	ghash_lengths(g, g->aad_len, g->data_len);
	encrypt_block(g, g->j0, tag);
	if (use_simd(g)) {
		simd_leave(g);
	}
	for (unsigned int i = 0; i < 8; i++) {
		tag[i] ^= (uint8_t)(g->y[1] >> (56 - 8 * i));
		tag[8 + i] ^= (uint8_t)(g->y[0] >> (56 - 8 * i));
	}
	wipe_message(g);
	g->state = GCM_KEYED;
	return 0;
}

int gcm_encrypt_final(struct gcm_ctx *ctx, uint8_t *tag, size_t tag_len)
{
	uint8_t t[16];
	int rc;

	if (!tag_len_ok(tag_len)) {
		return AES_ERR_INVALID;
	}
	if (ctx->state == GCM_DECRYPT) {
		return AES_ERR_INVALID;
	}
	rc = compute_tag(ctx, GCM_ENCRYPT, t);
	if (rc == 0) {
		bastion_memcpy(tag, t, tag_len);
	}
	mem_wipe(t, sizeof(t));
	return rc;
}

int gcm_decrypt_final(struct gcm_ctx *ctx, const uint8_t *tag, size_t tag_len)
{
	uint8_t t[16];
	int rc;

	if (!tag_len_ok(tag_len)) {
		return AES_ERR_INVALID;
	}
	if (ctx->state == GCM_ENCRYPT) {
		return AES_ERR_INVALID;
	}
	rc = compute_tag(ctx, GCM_DECRYPT, t);
	if (rc == 0) {
		/* 0 or AES_ERR_AUTH without a branch on the comparison: the verdict is the
		 * caller's to act on (and gcm_decrypt wipes with a mask, not a branch). */
		uint32_t eq = (uint32_t)ct_memeq(t, tag, tag_len);

		rc = (int)((uint32_t)AES_ERR_AUTH & ct_barrier_u32(eq - 1u));
	}
	mem_wipe(t, sizeof(t));
	return rc;
}

int gcm_encrypt(struct gcm_ctx *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad,
		size_t aad_len, const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag,
		size_t tag_len)
{
	int rc;

	if (!tag_len_ok(tag_len) || (uint64_t)len > GCM_MAX_DATA ||
	    (uint64_t)aad_len > GCM_MAX_AAD) {
		return AES_ERR_INVALID;
	}
	if (use_simd(ctx)) {
		simd_enter(ctx);  /* one SSE-state save for the whole message */
	}
	rc = gcm_start(ctx, iv, iv_len);
	if (rc == 0) {
		rc = gcm_aad(ctx, aad, aad_len);
	}
	if (rc == 0) {
		rc = gcm_encrypt_update(ctx, in, out, len);
	}
	if (rc == 0) {
		rc = gcm_encrypt_final(ctx, tag, tag_len);
	}
	if (use_simd(ctx)) {
		simd_leave(ctx);
	}
	return rc;
}

int gcm_decrypt(struct gcm_ctx *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad,
		size_t aad_len, const uint8_t *in, uint8_t *out, size_t len, const uint8_t *tag,
		size_t tag_len)
{
	int rc;

	if (!tag_len_ok(tag_len) || (uint64_t)len > GCM_MAX_DATA ||
	    (uint64_t)aad_len > GCM_MAX_AAD || ctx->state == GCM_UNKEYED || iv_len == 0) {
		return AES_ERR_INVALID;
	}
	if (use_simd(ctx)) {
		simd_enter(ctx);
	}
	rc = gcm_start(ctx, iv, iv_len);
	if (rc == 0) {
		rc = gcm_aad(ctx, aad, aad_len);
	}
	if (rc == 0) {
		rc = gcm_decrypt_update(ctx, in, out, len);
	}
	if (rc == 0) {
		uint8_t keep;

		rc = gcm_decrypt_final(ctx, tag, tag_len);
		/* Never release unauthenticated plaintext: zero it unless the tag matched,
		 * with a mask so no branch depends on the comparison. */
		keep = (uint8_t)ct_mask_zero_u64((uint64_t)(uint32_t)rc);
		for (size_t i = 0; i < len; i++) {
			out[i] &= keep;
		}
	}
	if (use_simd(ctx)) {
		simd_leave(ctx);
	}
	return rc;
}

void gcm_wipe(struct gcm_ctx *ctx)
{
	mem_wipe(ctx, sizeof(*ctx));
}
