/*
 * HMAC (RFC 2104; FIPS 198-1) over any crypto/hash.h algorithm.
 *
 *   HMAC(K, m) = H((K0 ^ opad) || H((K0 ^ ipad) || m))
 *
 * where K0 is K zero-padded to the hash block size, or H(K) zero-padded if K is longer than
 * a block. hmac_init absorbs the two padded key blocks once and keeps the resulting inner and
 * outer hash states, so one keyed context serves any number of messages (hmac_final leaves it
 * ready for the next one; hmac_reset abandons a message half-way). TPM sessions, KDFa, HKDF
 * and HMAC_DRBG all run many HMACs under one key this way.
 *
 * Contract:
 *   - key may be any length (0 included; NULL allowed when key_len == 0).
 *   - The context holds key-equivalent secrets (the padded-key hash states): call hmac_wipe
 *     when done with it. hmac_oneshot wipes its own context.
 *   - A context is plain memory and may be copied (copying forks the running message).
 *   - Errors: HMAC_ERR_ALG (-1) if the hash id is unsupported (the context is then unusable).
 *   - Constant time: time depends on key_len and message lengths only, never on the key or
 *     message bytes; hmac_verify compares tags in constant time.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"

#define HMAC_ERR_ALG (-1)
#define HMAC_ERR_MISMATCH (-2)

struct hmac_ctx {
	const struct hash_alg *alg;
	struct hash_ctx inner0;   /* state after absorbing K0 ^ ipad */
	struct hash_ctx outer0;   /* state after absorbing K0 ^ opad */
	struct hash_ctx inner;    /* the running inner hash of the current message */
};

/* Keys ctx with key[key_len] for hash id and starts a message. Returns 0 or HMAC_ERR_ALG. */
int hmac_init(struct hmac_ctx *ctx, enum hash_id id, const uint8_t *key, size_t key_len);
void hmac_update(struct hmac_ctx *ctx, const void *data, size_t len);
/* Writes ctx->alg->digest_size bytes of tag to out and starts the next message under the same
 * key (no hmac_reset needed). */
void hmac_final(struct hmac_ctx *ctx, uint8_t *out);
/* Discards the current message and starts a new one under the same key. */
void hmac_reset(struct hmac_ctx *ctx);
/* Finishes the message and compares its first tag_len bytes with tag in constant time.
 * tag_len must be 1..digest_size (a public value). Returns 0 if equal, HMAC_ERR_MISMATCH if
 * not or if tag_len is out of range. The context is ready for the next message either way. */
int hmac_verify(struct hmac_ctx *ctx, const uint8_t *tag, size_t tag_len);
/* Wipes all key material; ctx must be initialised again before use. */
void hmac_wipe(struct hmac_ctx *ctx);

/* One-shot HMAC: out receives the digest_size-byte tag. Returns 0 or HMAC_ERR_ALG. */
int hmac_oneshot(enum hash_id id, const uint8_t *key, size_t key_len, const void *data,
		 size_t len, uint8_t *out);
