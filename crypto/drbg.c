/*
 * HMAC_DRBG with SHA-256 (SP 800-90A Rev. 1 §10.1.2). See crypto/drbg.h.
 */
#include "crypto/drbg.h"

#include "crypto/hmac.h"
#include "kernel/string.h"

#define DRBG_MAGIC 0x48444247u /* "HDBG" */

/* Whether a (pointer, length) input is acceptable: bounded, and non-NULL if non-empty. */
static bool input_ok(const uint8_t *p, size_t len)
{
	return len <= HMAC_DRBG_MAX_INPUT && (p != NULL || len == 0);
}

/*
 * HMAC_DRBG_Update (§10.1.2.2) with provided_data = a || b || c (the concatenations the
 * callers need, without copying them together):
 *   K = HMAC(K, V || 0x00 || data); V = HMAC(K, V);
 *   if data is not empty: K = HMAC(K, V || 0x01 || data); V = HMAC(K, V).
 */
static void drbg_update(struct hmac_drbg *d, const uint8_t *a, size_t alen, const uint8_t *b,
			size_t blen, const uint8_t *c, size_t clen)
{
	struct hmac_ctx h;
	bool empty = alen + blen + clen == 0;

	for (uint8_t round = 0; round < 2; round++) {
		if (round == 1 && empty) {
			break;
		}
		hmac_init(&h, HASH_SHA256, d->key, sizeof(d->key));
		hmac_update(&h, d->v, sizeof(d->v));
		hmac_update(&h, &round, 1);
		hmac_update(&h, a, alen);
		hmac_update(&h, b, blen);
		hmac_update(&h, c, clen);
		hmac_final(&h, d->key);
		hmac_wipe(&h);
		hmac_init(&h, HASH_SHA256, d->key, sizeof(d->key));
		hmac_update(&h, d->v, sizeof(d->v));
		hmac_final(&h, d->v);
		hmac_wipe(&h);
	}
}

int hmac_drbg_instantiate(struct hmac_drbg *d, const uint8_t *entropy, size_t entropy_len,
			  const uint8_t *nonce, size_t nonce_len, const uint8_t *pers,
			  size_t pers_len)
{
	if (!input_ok(entropy, entropy_len) || !input_ok(nonce, nonce_len) ||
	    !input_ok(pers, pers_len) || entropy_len < HMAC_DRBG_MIN_ENTROPY ||
	    entropy_len + nonce_len < HMAC_DRBG_MIN_ENTROPY_NONCE) {
		return HMAC_DRBG_ERR_ARG;
	}
	/* §10.1.2.3: Key = 0x00..00, V = 0x01..01, Update(entropy || nonce || pers). */
	bastion_memset(d->key, 0x00, sizeof(d->key));
	bastion_memset(d->v, 0x01, sizeof(d->v));
	drbg_update(d, entropy, entropy_len, nonce, nonce_len, pers, pers_len);
	d->reseed_counter = 1;
	d->reseed_interval = HMAC_DRBG_RESEED_INTERVAL;
	d->seed = NULL;
	d->instantiated = DRBG_MAGIC;
	return 0;
}

int hmac_drbg_instantiate_seeded(struct hmac_drbg *d, hmac_drbg_seed_fn seed, const uint8_t *pers,
				 size_t pers_len)
{
	uint8_t entropy[HMAC_DRBG_MIN_ENTROPY];
	uint8_t nonce[HMAC_DRBG_MIN_ENTROPY_NONCE - HMAC_DRBG_MIN_ENTROPY];
	int rc;

	d->instantiated = 0;
	if (seed == NULL) {
		return HMAC_DRBG_ERR_ARG;
	}
	if (seed(entropy, sizeof(entropy)) != 0 || seed(nonce, sizeof(nonce)) != 0) {
		rc = HMAC_DRBG_ERR_ENTROPY;
	} else {
		rc = hmac_drbg_instantiate(d, entropy, sizeof(entropy), nonce, sizeof(nonce), pers,
					   pers_len);
	}
	if (rc == 0) {
		d->seed = seed;
	}
	mem_wipe(entropy, sizeof(entropy));
	mem_wipe(nonce, sizeof(nonce));
	return rc;
}

int hmac_drbg_reseed_from_source(struct hmac_drbg *d, const uint8_t *add, size_t add_len)
{
	uint8_t entropy[HMAC_DRBG_MIN_ENTROPY];
	int rc;

	if (d->instantiated != DRBG_MAGIC || d->seed == NULL) {
		return HMAC_DRBG_ERR_STATE;
	}
	if (d->seed(entropy, sizeof(entropy)) != 0) {
		rc = HMAC_DRBG_ERR_ENTROPY;
	} else {
		rc = hmac_drbg_reseed(d, entropy, sizeof(entropy), add, add_len);
	}
	mem_wipe(entropy, sizeof(entropy));
	return rc;
}

int hmac_drbg_reseed(struct hmac_drbg *d, const uint8_t *entropy, size_t entropy_len,
		     const uint8_t *add, size_t add_len)
{
	if (d->instantiated != DRBG_MAGIC) {
		return HMAC_DRBG_ERR_STATE;
	}
	if (!input_ok(entropy, entropy_len) || !input_ok(add, add_len) ||
	    entropy_len < HMAC_DRBG_MIN_ENTROPY) {
		return HMAC_DRBG_ERR_ARG;
	}
	/* §10.1.2.4: Update(entropy || additional_input). */
	drbg_update(d, entropy, entropy_len, add, add_len, NULL, 0);
	d->reseed_counter = 1;
	return 0;
}

int hmac_drbg_generate(struct hmac_drbg *d, uint8_t *out, size_t len, const uint8_t *add,
		       size_t add_len)
{
	struct hmac_ctx h;
	size_t done = 0;

	int err = 0;

	if (d->instantiated != DRBG_MAGIC) {
		err = HMAC_DRBG_ERR_STATE;
	} else if (len > HMAC_DRBG_MAX_REQUEST || (out == NULL && len != 0) ||
		   !input_ok(add, add_len)) {
		err = HMAC_DRBG_ERR_ARG;
	} else if (d->reseed_counter > d->reseed_interval) {
		err = HMAC_DRBG_ERR_RESEED; /* §10.1.2.5 step 1 */
	}
	if (err != 0) {
		if (out != NULL) {
			bastion_memset(out, 0, len);
		}
		return err;
	}
	/* Step 2. */
	if (add_len > 0) {
		drbg_update(d, add, add_len, NULL, 0, NULL, 0);
	}
	/* Steps 3-5: V = HMAC(K, V) until enough output. K is fixed here, so the keyed
	 * context is set up once. */
	hmac_init(&h, HASH_SHA256, d->key, sizeof(d->key));
	while (done < len) {
		size_t take = len - done;

		hmac_update(&h, d->v, sizeof(d->v));
		hmac_final(&h, d->v);
		if (take > HMAC_DRBG_OUTLEN) {
			take = HMAC_DRBG_OUTLEN;
		}
		bastion_memcpy(out + done, d->v, take);
		done += take;
	}
	hmac_wipe(&h);
	/* Step 6: Update(additional_input) (with an empty input this is the one-round form). */
	drbg_update(d, add, add_len, NULL, 0, NULL, 0);
	/* Step 7. */
	d->reseed_counter++;
	return 0;
}

int hmac_drbg_set_reseed_interval(struct hmac_drbg *d, uint64_t interval)
{
	if (interval == 0 || interval > HMAC_DRBG_RESEED_INTERVAL) {
		return HMAC_DRBG_ERR_ARG;
	}
	d->reseed_interval = interval;
	return 0;
}

void hmac_drbg_uninstantiate(struct hmac_drbg *d)
{
	mem_wipe(d, sizeof(*d));
}

static int drbg_rng_fn(void *ctx, uint8_t *out, size_t len)
{
	struct hmac_drbg *d = ctx;
	size_t done = 0;

	while (done < len) {
		size_t take = len - done;
		int rc;

		if (take > HMAC_DRBG_MAX_REQUEST) {
			take = HMAC_DRBG_MAX_REQUEST;
		}
		rc = hmac_drbg_generate(d, out + done, take, NULL, 0);
		if (rc == HMAC_DRBG_ERR_RESEED && d->seed != NULL) {
			rc = hmac_drbg_reseed_from_source(d, NULL, 0);
			if (rc == 0) {
				rc = hmac_drbg_generate(d, out + done, take, NULL, 0);
			}
		}
		if (rc != 0) {
			/* Callers must never use partial output: leave none. */
			mem_wipe(out, len);
			return rc;
		}
		done += take;
	}
	return 0;
}

struct crypto_rng hmac_drbg_rng(struct hmac_drbg *d)
{
	struct crypto_rng r = { .fn = drbg_rng_fn, .ctx = d };

	return r;
}
