/*
 * The hash descriptor table and the run-time dispatch of crypto/hash.h.
 */
#include "crypto/hash.h"

#include "kernel/string.h"

static const struct hash_alg hash_algs[HASH_COUNT] = {
	[HASH_SHA1] = { .id = HASH_SHA1, .name = "sha1", .digest_size = 20, .block_size = 64 },
	[HASH_SHA256] = { .id = HASH_SHA256, .name = "sha256", .digest_size = 32, .block_size = 64 },
	[HASH_SHA384] = { .id = HASH_SHA384, .name = "sha384", .digest_size = 48,
			  .block_size = 128 },
	[HASH_SHA512] = { .id = HASH_SHA512, .name = "sha512", .digest_size = 64,
			  .block_size = 128 },
};

const struct hash_alg *hash_alg_get(enum hash_id id)
{
	/* The cast also rejects negative values an enum may carry. */
	if ((unsigned int)id >= (unsigned int)HASH_COUNT) {
		return NULL;
	}
	return &hash_algs[id];
}

int hash_init(struct hash_ctx *ctx, enum hash_id id)
{
	const struct hash_alg *alg = hash_alg_get(id);

	ctx->alg = alg;
	if (alg == NULL) {
		return -1;
	}
	switch (id) {
	case HASH_SHA1:
		sha1_init(&ctx->u.sha1);
		break;
	case HASH_SHA256:
		sha256_init(&ctx->u.sha256);
		break;
	case HASH_SHA384:
		sha384_init(&ctx->u.sha512);
		break;
	case HASH_SHA512:
		sha512_init(&ctx->u.sha512);
		break;
	default:
		return -1;
	}
	return 0;
}

void hash_update(struct hash_ctx *ctx, const void *data, size_t len)
{
	switch (ctx->alg->id) {
	case HASH_SHA1:
		sha1_update(&ctx->u.sha1, data, len);
		break;
	case HASH_SHA256:
		sha256_update(&ctx->u.sha256, data, len);
		break;
	case HASH_SHA384:
	case HASH_SHA512:
		sha512_update(&ctx->u.sha512, data, len);
		break;
	default:
		break;
	}
}

void hash_final(struct hash_ctx *ctx, uint8_t *out)
{
	switch (ctx->alg->id) {
	case HASH_SHA1:
		sha1_final(&ctx->u.sha1, out);
		break;
	case HASH_SHA256:
		sha256_final(&ctx->u.sha256, out);
		break;
	case HASH_SHA384:
		sha384_final(&ctx->u.sha512, out);
		break;
	case HASH_SHA512:
		sha512_final(&ctx->u.sha512, out);
		break;
	default:
		break;
	}
	/* The per-algorithm final wiped the state; drop the descriptor too so a use after
	 * final faults on the NULL instead of hashing garbage. */
	ctx->alg = NULL;
}

int hash_oneshot(enum hash_id id, const void *data, size_t len, uint8_t *out)
{
	struct hash_ctx ctx;

	if (hash_init(&ctx, id) != 0) {
		return -1;
	}
	hash_update(&ctx, data, len);
	hash_final(&ctx, out);
	return 0;
}
