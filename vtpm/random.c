/* The TPM RNG: HMAC_DRBG over the platform entropy hook (random.h). */
#include "vtpm/random.h"

#include "kernel/string.h"
#include "vtpm/state.h"

/* Names this DRBG instance (SP 800-90A §8.7.1 personalization string). */
static const uint8_t drbg_pers[] = "bastion-vtpm-rng";

int vtpm_rng_instantiate(struct vtpm *t)
{
	uint8_t seed[HMAC_DRBG_MIN_ENTROPY_NONCE];
	int rc = -1;

	t->drbg_ok = false;
	if (t->plat.entropy(t->plat.ctx, seed, sizeof(seed)) == 0 &&
	    hmac_drbg_instantiate(&t->drbg, seed, HMAC_DRBG_MIN_ENTROPY,
				  seed + HMAC_DRBG_MIN_ENTROPY,
				  sizeof(seed) - HMAC_DRBG_MIN_ENTROPY, drbg_pers,
				  sizeof(drbg_pers) - 1) == 0) {
		t->drbg_ok = true;
		rc = 0;
	}
	mem_wipe(seed, sizeof(seed));
	return rc;
}

int vtpm_rng_generate(struct vtpm *t, uint8_t *out, size_t len)
{
	int rc;

	if (!t->drbg_ok) {
		bastion_memset(out, 0, len);
		return -1;
	}
	rc = hmac_drbg_generate(&t->drbg, out, len, NULL, 0);
	if (rc == HMAC_DRBG_ERR_RESEED) {
		uint8_t entropy[HMAC_DRBG_MIN_ENTROPY];

		if (t->plat.entropy(t->plat.ctx, entropy, sizeof(entropy)) == 0 &&
		    hmac_drbg_reseed(&t->drbg, entropy, sizeof(entropy), NULL, 0) == 0) {
			rc = hmac_drbg_generate(&t->drbg, out, len, NULL, 0);
		}
		mem_wipe(entropy, sizeof(entropy));
	}
	return rc == 0 ? 0 : -1;
}

int vtpm_rng_stir(struct vtpm *t, const uint8_t *data, size_t len)
{
	if (!t->drbg_ok) {
		return -1;
	}
	/* A zero-length generate with additional input runs the DRBG update function on the
	 * input (SP 800-90A §10.1.2.5 step 2) and once more afterwards: the data is mixed into
	 * Key and V without needing fresh entropy. */
	return hmac_drbg_generate(&t->drbg, NULL, 0, data, len) == 0 ? 0 : -1;
}
