/*
 * HMAC (RFC 2104 §2; FIPS 198-1 §4). See crypto/hmac.h for the contract.
 */
#include "crypto/hmac.h"

#include "crypto/ct.h"
#include "kernel/string.h"

int hmac_init(struct hmac_ctx *ctx, enum hash_id id, const uint8_t *key, size_t key_len)
{
	const struct hash_alg *alg = hash_alg_get(id);
	uint8_t k0[HASH_MAX_BLOCK_SIZE];

	ctx->alg = alg;
	if (alg == NULL) {
		return HMAC_ERR_ALG;
	}
	/* K0: the key, or its hash if longer than a block, zero-padded to the block size.
	 * The branch is on the (public) key length only. */
	bastion_memset(k0, 0, sizeof(k0));
	if (key_len > alg->block_size) {
		hash_oneshot(id, key, key_len, k0);
	} else if (key_len > 0) {
		bastion_memcpy(k0, key, key_len);
	}
	for (uint32_t i = 0; i < alg->block_size; i++) {
		k0[i] ^= 0x36;
	}
	hash_init(&ctx->inner0, id);
	hash_update(&ctx->inner0, k0, alg->block_size);
	/* 0x36 ^ 0x5c turns K0 ^ ipad into K0 ^ opad. */
	for (uint32_t i = 0; i < alg->block_size; i++) {
		k0[i] ^= 0x36 ^ 0x5c;
	}
	hash_init(&ctx->outer0, id);
	hash_update(&ctx->outer0, k0, alg->block_size);
	mem_wipe(k0, sizeof(k0));
	ctx->inner = ctx->inner0;
	return 0;
}

void hmac_update(struct hmac_ctx *ctx, const void *data, size_t len)
{
	hash_update(&ctx->inner, data, len);
}

void hmac_final(struct hmac_ctx *ctx, uint8_t *out)
{
	uint8_t ih[HASH_MAX_DIGEST_SIZE];
	struct hash_ctx outer = ctx->outer0;
	uint32_t n = ctx->alg->digest_size;

	hash_final(&ctx->inner, ih);
	hash_update(&outer, ih, n);
	hash_final(&outer, out);
	mem_wipe(ih, sizeof(ih));
	ctx->inner = ctx->inner0;
}

void hmac_reset(struct hmac_ctx *ctx)
{
	ctx->inner = ctx->inner0;
}

int hmac_verify(struct hmac_ctx *ctx, const uint8_t *tag, size_t tag_len)
{
	uint8_t t[HASH_MAX_DIGEST_SIZE];
	int eq;

	hmac_final(ctx, t);
	if (tag_len == 0 || tag_len > ctx->alg->digest_size) {
		mem_wipe(t, sizeof(t));
		return HMAC_ERR_MISMATCH;
	}
	eq = ct_memeq(t, tag, tag_len);
	mem_wipe(t, sizeof(t));
	/* The verdict is computed without a branch; it is for the caller to act on. */
	return (int)((ct_barrier_u32((uint32_t)eq) - 1u) & (uint32_t)HMAC_ERR_MISMATCH);
}

void hmac_wipe(struct hmac_ctx *ctx)
{
	mem_wipe(ctx, sizeof(*ctx));
}

int hmac_oneshot(enum hash_id id, const uint8_t *key, size_t key_len, const void *data,
		 size_t len, uint8_t *out)
{
	struct hmac_ctx ctx;

	if (hmac_init(&ctx, id, key, key_len) != 0) {
		return HMAC_ERR_ALG;
	}
	hmac_update(&ctx, data, len);
	hmac_final(&ctx, out);
	hmac_wipe(&ctx);
	return 0;
}
