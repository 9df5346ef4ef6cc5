/*
 * The random-byte source every crypto/ consumer takes (key generation, blinding, nonces).
 * A DRBG instance (crypto/drbg.h) is the usual provider; tests pass a deterministic one so
 * that e.g. TPM primary keys are reproducible from a seed.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * Fills out[len] with random bytes. Returns 0, or a negative value when the source failed
 * (e.g. entropy health check, reseed required): callers then fail cleanly, never use partial
 * output.
 */
typedef int (*crypto_rng_fn)(void *ctx, uint8_t *out, size_t len);

struct crypto_rng {
	crypto_rng_fn fn;
	void *ctx;
};

static inline int crypto_rng_bytes(const struct crypto_rng *rng, uint8_t *out, size_t len)
{
	return rng->fn(rng->ctx, out, len);
}
