/*
 * Hash functions: SHA-1, SHA-256, SHA-384, SHA-512 (FIPS 180-4), streaming and one-shot,
 * behind one descriptor so HMAC, the KDFs, RSA padding, ECDSA and the vTPM pick the algorithm
 * at run time. Implemented in crypto/sha1.c, crypto/sha256.c, crypto/sha512.c and
 * crypto/hash.c.
 *
 * Contract:
 *   - A context is plain memory: no allocation, copyable (copying a context forks the hash,
 *     which HMAC and hash sequences use).
 *   - hash_update may be called any number of times with any lengths (including 0 and
 *     unaligned pointers). Inputs longer than the algorithm's limit (2^61 bytes for SHA-1/256)
 *     are the caller's bug.
 *   - hash_final writes digest_size bytes and wipes the context; the context must be
 *     initialised again before reuse.
 *   - Time depends only on the input lengths, never on the data (messages may be secret).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum hash_id {
	HASH_SHA1,
	HASH_SHA256,
	HASH_SHA384,
	HASH_SHA512,
	HASH_COUNT,
};

#define HASH_MAX_DIGEST_SIZE 64u
#define HASH_MAX_BLOCK_SIZE 128u

struct sha1_state {
	uint32_t h[5];
	uint64_t length;     /* bytes hashed so far */
	uint8_t buf[64];
	uint32_t buf_len;
};

struct sha256_state {
	uint32_t h[8];
	uint64_t length;
	uint8_t buf[64];
	uint32_t buf_len;
};

/* SHA-384 and SHA-512 share the state; the length counter is 128 bits (lo, hi). */
struct sha512_state {
	uint64_t h[8];
	uint64_t length_lo;
	uint64_t length_hi;
	uint8_t buf[128];
	uint32_t buf_len;
};

struct hash_alg {
	enum hash_id id;
	const char *name;      /* "sha256", ... */
	uint32_t digest_size;  /* bytes */
	uint32_t block_size;   /* bytes (64 or 128) */
};

struct hash_ctx {
	const struct hash_alg *alg;
	union {
		struct sha1_state sha1;
		struct sha256_state sha256;
		struct sha512_state sha512;
	} u;
};

/* The descriptor of id, or NULL if id is not a supported algorithm. */
const struct hash_alg *hash_alg_get(enum hash_id id);

/* Starts a hash. Returns 0, or -1 if id is unsupported (ctx is then unusable). */
int hash_init(struct hash_ctx *ctx, enum hash_id id);
void hash_update(struct hash_ctx *ctx, const void *data, size_t len);
/* Writes ctx->alg->digest_size bytes to out and wipes ctx. */
void hash_final(struct hash_ctx *ctx, uint8_t *out);

/* One-shot: out receives the digest. Returns 0, or -1 if id is unsupported. */
int hash_oneshot(enum hash_id id, const void *data, size_t len, uint8_t *out);

/* Per-algorithm entry points (what hash.c dispatches to). */
void sha1_init(struct sha1_state *s);
void sha1_update(struct sha1_state *s, const void *data, size_t len);
void sha1_final(struct sha1_state *s, uint8_t out[20]);
void sha256_init(struct sha256_state *s);
void sha256_update(struct sha256_state *s, const void *data, size_t len);
void sha256_final(struct sha256_state *s, uint8_t out[32]);
void sha384_init(struct sha512_state *s);
void sha384_final(struct sha512_state *s, uint8_t out[48]);
void sha512_init(struct sha512_state *s);
void sha512_update(struct sha512_state *s, const void *data, size_t len); /* also SHA-384 */
void sha512_final(struct sha512_state *s, uint8_t out[64]);
