/*
 * AES modes (SP 800-38A). Each public call chooses the key schedule's path once: the AES-NI
 * path runs all its whole blocks under one crypto_simd_begin()/end(); the portable path feeds
 * the bitsliced cipher four blocks at a time where the mode allows (ECB, CBC decryption, CFB
 * decryption, CTR) and one block at a time where it is serial (CBC and CFB encryption).
 */
#include "crypto/aes_modes.h"

#include "crypto/simd.h"
#include "kernel/string.h"

/* Blocks per portable batch: the bitsliced cipher does four at once. */
#define BATCH 4u

static int use_simd(const struct aes_ctx *key)
{
	return key->impl == AES_IMPL_SIMD;
}

static void xor_bytes(uint8_t *out, const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = (uint8_t)(a[i] ^ b[i]);
	}
}

void aes_ctr_increment(uint8_t ctr[16], int inc32)
{
	uint32_t carry = 1;
	unsigned int stop = inc32 ? 12 : 0; /* public */

	for (unsigned int i = 16; i-- > stop;) {
		uint32_t v = (uint32_t)ctr[i] + carry;

		ctr[i] = (uint8_t)v;
		carry = v >> 8;
	}
}

/* ---- ECB ---------------------------------------------------------------------------------- */

int aes_ecb_encrypt(const struct aes_ctx *key, const uint8_t *in, uint8_t *out, size_t len)
{
	if (len % AES_BLOCK_SIZE != 0) {
		return AES_ERR_INVALID;
	}
	aes_encrypt_blocks(key, in, out, len / AES_BLOCK_SIZE);
	return 0;
}

int aes_ecb_decrypt(const struct aes_ctx *key, const uint8_t *in, uint8_t *out, size_t len)
{
	if (len % AES_BLOCK_SIZE != 0) {
		return AES_ERR_INVALID;
	}
	aes_decrypt_blocks(key, in, out, len / AES_BLOCK_SIZE);
	return 0;
}

/* ---- CBC ---------------------------------------------------------------------------------- */

int aes_cbc_encrypt(const struct aes_ctx *key, uint8_t iv[16], const uint8_t *in, uint8_t *out,
		    size_t len)
{
	size_t n = len / AES_BLOCK_SIZE;
	uint8_t b[16];

	if (len % AES_BLOCK_SIZE != 0) {
		return AES_ERR_INVALID;
	}
	if (n == 0) {
		return 0;
	}
	if (use_simd(key)) {
		crypto_simd_begin();
		aes_simd_cbc_encrypt(key, iv, in, out, n);
		crypto_simd_end();
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		xor_bytes(b, iv, in + 16 * i, 16);
		aes_portable_encrypt_blocks(key, b, iv, 1);
		bastion_memcpy(out + 16 * i, iv, 16);
	}
	mem_wipe(b, sizeof(b));
	return 0;
}

int aes_cbc_decrypt(const struct aes_ctx *key, uint8_t iv[16], const uint8_t *in, uint8_t *out,
		    size_t len)
{
	size_t n = len / AES_BLOCK_SIZE;
	uint8_t c[BATCH * 16], p[BATCH * 16];

	if (len % AES_BLOCK_SIZE != 0) {
		return AES_ERR_INVALID;
	}
	if (n == 0) {
		return 0;
	}
	if (use_simd(key)) {
		crypto_simd_begin();
		aes_simd_cbc_decrypt(key, iv, in, out, n);
		crypto_simd_end();
		return 0;
	}
	while (n > 0) {
		size_t k = n < BATCH ? n : BATCH;

		/* Keep the ciphertext: out may be in. */
		bastion_memcpy(c, in, 16 * k);
		aes_portable_decrypt_blocks(key, c, p, k);
		xor_bytes(out, p, iv, 16);
		xor_bytes(out + 16, p + 16, c, 16 * (k - 1));
		bastion_memcpy(iv, c + 16 * (k - 1), 16);
		in += 16 * k;
		out += 16 * k;
		n -= k;
	}
	mem_wipe(p, sizeof(p));
	mem_wipe(c, sizeof(c));
	return 0;
}

/* ---- CFB-128 ------------------------------------------------------------------------------ */

void aes_cfb_init(struct aes_cfb_ctx *c, const struct aes_ctx *key, const uint8_t iv[16])
{
	c->key = key;
	bastion_memcpy(c->reg, iv, 16);
	c->off = 0;
}

void aes_cfb_wipe(struct aes_cfb_ctx *c)
{
	mem_wipe(c, sizeof(*c));
}

/*
 * Uses up the keystream left in the current block. decrypt: ciphertext is in, else out.
 * Returns the bytes consumed.
 */
static size_t cfb_partial(struct aes_cfb_ctx *c, const uint8_t *in, uint8_t *out, size_t len,
			  int decrypt)
{
	size_t done = 0;

	while (c->off != 0 && done < len) {
		uint8_t x = in[done];
		uint8_t y = (uint8_t)(x ^ c->reg[c->off]);

		out[done] = y;
		c->reg[c->off] = decrypt ? x : y; /* public: the direction */
		c->off = (c->off + 1) & 15;
		done++;
	}
	return done;
}

/* The tail: reg already holds E(previous register); XOR the len < 16 bytes in, keeping the
 * ciphertext bytes in reg for the next block. */
static void cfb_tail(struct aes_cfb_ctx *c, const uint8_t *in, uint8_t *out, size_t len,
		     int decrypt)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t x = in[i];
		uint8_t y = (uint8_t)(x ^ c->reg[i]);

		out[i] = y;
		c->reg[i] = decrypt ? x : y;
	}
	c->off = (uint32_t)len;
}

void aes_cfb_encrypt_update(struct aes_cfb_ctx *c, const uint8_t *in, uint8_t *out, size_t len)
{
	size_t done = cfb_partial(c, in, out, len, 0);
	size_t n;

	in += done;
	out += done;
	len -= done;
	n = len / 16;
	if (len == 0) {
		return;
	}
	/* Whole blocks, then the keystream block for the tail, under one SSE-state save. */
	if (use_simd(c->key)) {
		crypto_simd_begin();
		aes_simd_cfb_encrypt(c->key, c->reg, in, out, n);
		if (len % 16 != 0) {
			aes_simd_encrypt_blocks(c->key, c->reg, c->reg, 1);
		}
		crypto_simd_end();
	} else {
		for (size_t i = 0; i < n; i++) {
			aes_portable_encrypt_blocks(c->key, c->reg, c->reg, 1);
			xor_bytes(c->reg, c->reg, in + 16 * i, 16);
			bastion_memcpy(out + 16 * i, c->reg, 16);
		}
		if (len % 16 != 0) {
			aes_portable_encrypt_blocks(c->key, c->reg, c->reg, 1);
		}
	}
	cfb_tail(c, in + 16 * n, out + 16 * n, len % 16, 0);
}

void aes_cfb_decrypt_update(struct aes_cfb_ctx *c, const uint8_t *in, uint8_t *out, size_t len)
{
	size_t done = cfb_partial(c, in, out, len, 1);
	size_t n;

	in += done;
	out += done;
	len -= done;
	n = len / 16;
	if (len == 0) {
		return;
	}
	if (use_simd(c->key)) {
		crypto_simd_begin();
		aes_simd_cfb_decrypt(c->key, c->reg, in, out, n);
		if (len % 16 != 0) {
			aes_simd_encrypt_blocks(c->key, c->reg, c->reg, 1);
		}
		crypto_simd_end();
	} else {
		uint8_t x[BATCH * 16], ct[BATCH * 16];
		const uint8_t *pin = in;
		uint8_t *pout = out;
		size_t left = n;

		while (left > 0) {
			size_t k = left < BATCH ? left : BATCH;

			/* Keystream inputs: the register, then this batch's ciphertext. */
			bastion_memcpy(ct, pin, 16 * k);
			bastion_memcpy(x, c->reg, 16);
			bastion_memcpy(x + 16, ct, 16 * (k - 1));
			aes_portable_encrypt_blocks(c->key, x, x, k);
			xor_bytes(pout, x, ct, 16 * k);
			bastion_memcpy(c->reg, ct + 16 * (k - 1), 16);
			pin += 16 * k;
			pout += 16 * k;
			left -= k;
		}
		mem_wipe(x, sizeof(x));
		mem_wipe(ct, sizeof(ct));
		if (len % 16 != 0) {
			aes_portable_encrypt_blocks(c->key, c->reg, c->reg, 1);
		}
	}
	cfb_tail(c, in + 16 * n, out + 16 * n, len % 16, 1);
}

void aes_cfb_encrypt(const struct aes_ctx *key, const uint8_t iv[16], const uint8_t *in,
		     uint8_t *out, size_t len)
{
	struct aes_cfb_ctx c;

	aes_cfb_init(&c, key, iv);
	aes_cfb_encrypt_update(&c, in, out, len);
	aes_cfb_wipe(&c);
}

void aes_cfb_decrypt(const struct aes_ctx *key, const uint8_t iv[16], const uint8_t *in,
		     uint8_t *out, size_t len)
{
	struct aes_cfb_ctx c;

	aes_cfb_init(&c, key, iv);
	aes_cfb_decrypt_update(&c, in, out, len);
	aes_cfb_wipe(&c);
}

/* ---- CTR ---------------------------------------------------------------------------------- */

void aes_ctr_init(struct aes_ctr_ctx *c, const struct aes_ctx *key, const uint8_t iv[16])
{
	c->key = key;
	bastion_memcpy(c->ctr, iv, 16);
	bastion_memset(c->ks, 0, 16);
	c->off = 0;
}

void aes_ctr_wipe(struct aes_ctr_ctx *c)
{
	mem_wipe(c, sizeof(*c));
}

void aes_ctr_update(struct aes_ctr_ctx *c, const uint8_t *in, uint8_t *out, size_t len)
{
	size_t n;

	/* The rest of the current keystream block. */
	while (c->off != 0 && len > 0) {
		*out++ = (uint8_t)(*in++ ^ c->ks[c->off]);
		c->off = (c->off + 1) & 15;
		len--;
	}
	n = len / 16;
	if (len == 0) {
		return;
	}
	if (use_simd(c->key)) {
		/* Whole blocks and the tail's keystream block under one SSE-state save. */
		crypto_simd_begin();
		aes_simd_ctr(c->key, c->ctr, in, out, n, 0);
		if (len % 16 != 0) {
			aes_simd_encrypt_blocks(c->key, c->ctr, c->ks, 1);
		}
		crypto_simd_end();
	} else {
		uint8_t ks[BATCH * 16];
		size_t left = n;
		const uint8_t *pin = in;
		uint8_t *pout = out;

		while (left > 0) {
			size_t k = left < BATCH ? left : BATCH;

			for (size_t i = 0; i < k; i++) {
				bastion_memcpy(ks + 16 * i, c->ctr, 16);
				aes_ctr_increment(c->ctr, 0);
			}
			aes_portable_encrypt_blocks(c->key, ks, ks, k);
			xor_bytes(pout, pin, ks, 16 * k);
			pin += 16 * k;
			pout += 16 * k;
			left -= k;
		}
		mem_wipe(ks, sizeof(ks));
		if (len % 16 != 0) {
			aes_portable_encrypt_blocks(c->key, c->ctr, c->ks, 1);
		}
	}
	in += 16 * n;
	out += 16 * n;
	len -= 16 * n;
	if (len > 0) {
		aes_ctr_increment(c->ctr, 0);
		xor_bytes(out, in, c->ks, len);
		c->off = (uint32_t)len;
	}
}

void aes_ctr(const struct aes_ctx *key, const uint8_t iv[16], const uint8_t *in, uint8_t *out,
	     size_t len)
{
	struct aes_ctr_ctx c;

	aes_ctr_init(&c, key, iv);
	aes_ctr_update(&c, in, out, len);
	aes_ctr_wipe(&c);
}
