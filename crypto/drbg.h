/*
 * HMAC_DRBG with SHA-256 (NIST SP 800-90A Rev. 1, §10.1.2): the deterministic random bit
 * generator behind every crypto/ consumer of randomness (through struct crypto_rng,
 * crypto/rng.h).
 *
 * State (§10.1.2.1): Key and V (32 bytes each) and the reseed counter. Security strength 256
 * bits. Prediction resistance is not offered inside the DRBG: a caller that wants it reseeds
 * (hmac_drbg_reseed with fresh entropy) before generating.
 *
 * Seeding. The kernel calls hmac_drbg_instantiate_seeded(d, rng_hw_seed, pers, n): 32 bytes of
 * entropy_input and a 16-byte nonce from arch/x86/rng_hw.h (RDSEED, else RDRAND, health
 * checked) and a personalization string that names the instance (e.g. "bastion-vtpm" plus
 * platform identity); the crypto_rng view then reseeds from the same hook whenever the reseed
 * interval runs out. crypto/ itself never calls arch/ code: the hook is a function pointer.
 *
 * Deterministic instances. A DRBG instantiated from fixed inputs produces a fixed stream:
 * TPM primary keys and tests use exactly that (e.g. entropy_input = a KDFa output from the
 * hierarchy seed, nonce = a fixed string, personalization = the template's hash). No other
 * mechanism is needed, and the same inputs give the same keys on every boot.
 *
 * Limits (SP 800-90A Table 2, tightened where the spec allows an implementation limit):
 *   entropy_input: HMAC_DRBG_MIN_ENTROPY (32) .. HMAC_DRBG_MAX_INPUT bytes; at instantiation
 *     entropy_input and nonce together must be >= 48 bytes (§8.6.7: the nonce brings at least
 *     half the security strength, or the entropy input carries it instead).
 *   nonce, personalization, additional input: 0 .. HMAC_DRBG_MAX_INPUT bytes.
 *   one generate request: 0 .. HMAC_DRBG_MAX_REQUEST (2^16 bytes = 2^19 bits, the Table 2
 *     maximum).
 *   reseed_interval: HMAC_DRBG_RESEED_INTERVAL (2^48, the Table 2 maximum) unless lowered by
 *     hmac_drbg_set_reseed_interval; generate requests are counted and the one after the
 *     interval-th fails with HMAC_DRBG_ERR_RESEED until the caller reseeds (§9.3.1 step 6).
 *
 * Errors (negative): HMAC_DRBG_ERR_ARG (bad length or NULL with nonzero length),
 * HMAC_DRBG_ERR_STATE (not instantiated), HMAC_DRBG_ERR_RESEED (reseed required),
 * HMAC_DRBG_ERR_ENTROPY (the seed source failed). On any error nothing is generated and
 * generate's output buffer is zeroed.
 *
 * Constant time: time depends on the lengths only. All secrets (Key, V, temporaries) are
 * wiped by hmac_drbg_uninstantiate and on return from every function.
 *
 * Not thread-safe: one instance per user, or external locking.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/rng.h"

#define HMAC_DRBG_ERR_ARG (-1)
#define HMAC_DRBG_ERR_STATE (-2)
#define HMAC_DRBG_ERR_RESEED (-3)
#define HMAC_DRBG_ERR_ENTROPY (-4)

#define HMAC_DRBG_OUTLEN 32u
#define HMAC_DRBG_MIN_ENTROPY 32u
#define HMAC_DRBG_MIN_ENTROPY_NONCE 48u
#define HMAC_DRBG_MAX_INPUT 65536u
#define HMAC_DRBG_MAX_REQUEST 65536u
#define HMAC_DRBG_RESEED_INTERVAL (1ull << 48)

/*
 * The platform seed hook: fills out[len] with entropy, returns 0 or a negative error (the
 * kernel passes rng_hw_seed from arch/x86/rng_hw.h; tests pass fakes). Must deliver full
 * entropy per byte or fail.
 */
typedef int (*hmac_drbg_seed_fn)(uint8_t *out, size_t len);

struct hmac_drbg {
	uint8_t key[HMAC_DRBG_OUTLEN];
	uint8_t v[HMAC_DRBG_OUTLEN];
	uint64_t reseed_counter;
	uint64_t reseed_interval;
	hmac_drbg_seed_fn seed; /* set by instantiate_seeded: the crypto_rng view reseeds from it */
	uint32_t instantiated; /* magic value when instantiated, so zeroed memory is "not" */
};

/* §10.1.2.3. Any previous state is replaced. */
int hmac_drbg_instantiate(struct hmac_drbg *d, const uint8_t *entropy, size_t entropy_len,
			  const uint8_t *nonce, size_t nonce_len, const uint8_t *pers,
			  size_t pers_len);
/*
 * Instantiates from the seed hook: entropy_input = 32 bytes and nonce = 16 bytes drawn from
 * seed (two calls), with the personalization string. Remembers seed, so that the crypto_rng
 * view reseeds automatically when the reseed interval is reached. Returns 0, an argument
 * error, or HMAC_DRBG_ERR_ENTROPY if seed failed (d is then not instantiated).
 */
int hmac_drbg_instantiate_seeded(struct hmac_drbg *d, hmac_drbg_seed_fn seed, const uint8_t *pers,
				 size_t pers_len);
/* Reseeds with 32 bytes from the remembered seed hook and the additional input. Returns 0,
 * HMAC_DRBG_ERR_STATE (not instantiated, or instantiated without a hook: deterministic
 * instances are never reseeded behind the caller's back), or HMAC_DRBG_ERR_ENTROPY. */
int hmac_drbg_reseed_from_source(struct hmac_drbg *d, const uint8_t *add, size_t add_len);
/* §10.1.2.4. Resets the reseed counter. */
int hmac_drbg_reseed(struct hmac_drbg *d, const uint8_t *entropy, size_t entropy_len,
		     const uint8_t *add, size_t add_len);
/* §10.1.2.5: out receives len bytes. add may be NULL when add_len is 0; it must not overlap
 * out (it is read again after the output is written). */
int hmac_drbg_generate(struct hmac_drbg *d, uint8_t *out, size_t len, const uint8_t *add,
		       size_t add_len);
/* Sets the number of generate requests allowed between reseeds: 1..HMAC_DRBG_RESEED_INTERVAL.
 * Returns 0 or HMAC_DRBG_ERR_ARG. Takes effect for the current seed too. */
int hmac_drbg_set_reseed_interval(struct hmac_drbg *d, uint64_t interval);
/* §9.4: wipes the state; the instance must be instantiated again before use. */
void hmac_drbg_uninstantiate(struct hmac_drbg *d);

/*
 * The crypto_rng view of a DRBG: crypto_rng_bytes() generates with no additional input,
 * splitting requests larger than HMAC_DRBG_MAX_REQUEST into several generate calls (each
 * counts towards the reseed interval). When a reseed is required and the instance has a seed
 * hook (hmac_drbg_instantiate_seeded) it reseeds from the hook and continues; an instance
 * from plain hmac_drbg_instantiate (deterministic) returns HMAC_DRBG_ERR_RESEED instead.
 * On failure the whole output is zeroed and the error is returned. The DRBG must outlive the
 * returned struct.
 */
struct crypto_rng hmac_drbg_rng(struct hmac_drbg *d);
