/*
 * HKDF (RFC 5869 §2). See crypto/hkdf.h.
 */
#include "crypto/hkdf.h"

#include "crypto/hmac.h"
#include "kernel/string.h"

int hkdf_extract(enum hash_id id, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
		 size_t ikm_len, uint8_t *prk)
{
	return hmac_oneshot(id, salt, salt_len, ikm, ikm_len, prk) == 0 ? 0 : HKDF_ERR_ALG;
}

int hkdf_expand(enum hash_id id, const uint8_t *prk, size_t prk_len, const uint8_t *info,
		size_t info_len, uint8_t *okm, size_t okm_len)
{
	const struct hash_alg *alg = hash_alg_get(id);
	struct hmac_ctx h;
	uint8_t t[HASH_MAX_DIGEST_SIZE];
	size_t hlen, done = 0;

	if (alg == NULL) {
		return HKDF_ERR_ALG;
	}
	hlen = alg->digest_size;
	if (prk_len < hlen || okm_len == 0 || okm_len > 255 * hlen) {
		return HKDF_ERR_LEN;
	}
	hmac_init(&h, id, prk, prk_len);
	for (unsigned int i = 1; done < okm_len; i++) {
		uint8_t c = (uint8_t)i;
		size_t take = okm_len - done;

		if (i > 1) {
			hmac_update(&h, t, hlen); /* T(i-1) */
		}
		hmac_update(&h, info, info_len);
		hmac_update(&h, &c, 1);
		hmac_final(&h, t);
		if (take > hlen) {
			take = hlen;
		}
		bastion_memcpy(okm + done, t, take);
		done += take;
	}
	hmac_wipe(&h);
	mem_wipe(t, sizeof(t));
	return 0;
}

int hkdf(enum hash_id id, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
	 size_t ikm_len, const uint8_t *info, size_t info_len, uint8_t *okm, size_t okm_len)
{
	const struct hash_alg *alg = hash_alg_get(id);
	uint8_t prk[HASH_MAX_DIGEST_SIZE];
	int rc;

	if (alg == NULL) {
		return HKDF_ERR_ALG;
	}
	if (okm_len == 0 || okm_len > 255 * (size_t)alg->digest_size) {
		return HKDF_ERR_LEN;
	}
	hkdf_extract(id, salt, salt_len, ikm, ikm_len, prk);
	rc = hkdf_expand(id, prk, alg->digest_size, info, info_len, okm, okm_len);
	mem_wipe(prk, sizeof(prk));
	return rc;
}
