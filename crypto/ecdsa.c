/*
 * ECDSA (FIPS 186-5 §6.4) with RFC 6979 deterministic nonces or rng nonces (crypto/ecdsa.h).
 */
#include "crypto/ecdsa.h"

#include "crypto/ct.h"
#include "kernel/string.h"

/* mask ? a : b for two error codes. */
static int rc_select(uint64_t mask, int a, int b)
{
	return (int)(int64_t)ct_select_u64(mask, (uint64_t)(int64_t)a, (uint64_t)(int64_t)b);
}

int ecdsa_sign_with_k(const struct ecc_curve *c, const uint8_t *d, const uint8_t *k,
		      const uint8_t *digest, size_t digest_len, uint8_t *r, uint8_t *s)
{
	static const struct ecc_scalar one = { { 1 } };
	struct ecc_scalar ds, ks, kinv, rs, es, t;
	uint64_t ok_d, ok_k, ok;

	if (c == NULL) {
		return ECC_ERR_PARAM;
	}
	/* Out-of-range d or k are replaced by 1 so the computation runs on regardless; the
	 * masks decide the result at the end. */
	ok_d = ecc_scalar_load(c, &ds, d);
	ecc_scalar_cmov(c, &ds, &one, ~ok_d);
	ok_k = ecc_scalar_load(c, &ks, k);
	ecc_scalar_cmov(c, &ks, &one, ~ok_k);

	/* Steps 6-7: R = kG, r = x(R) mod n; r = 0 needs another k. */
	ok = ok_d & ok_k & ecc_mul_base_x(c, &ks, &rs);
	ok &= ~ecc_scalar_is_zero(c, &rs);
	/* Steps 4-5: e = bits2int(digest) mod n. */
	ecc_scalar_from_digest(c, &es, digest, digest_len);
	/* Steps 8-9: s = k^-1 (e + r d) mod n; s = 0 needs another k. */
	ecc_scalar_mul(c, &t, &rs, &ds);
	ecc_scalar_add(c, &t, &t, &es);
	ecc_scalar_inv(c, &kinv, &ks);
	ecc_scalar_mul(c, &t, &kinv, &t);
	ok &= ~ecc_scalar_is_zero(c, &t);

	ecc_scalar_store(c, r, &rs);
	ecc_scalar_store(c, s, &t);
	for (unsigned int i = 0; i < c->bytes; i++) {
		r[i] &= (uint8_t)ok;
		s[i] &= (uint8_t)ok;
	}
	mem_wipe(&ds, sizeof(ds));
	mem_wipe(&ks, sizeof(ks));
	mem_wipe(&kinv, sizeof(kinv));
	mem_wipe(&t, sizeof(t));
	mem_wipe(&es, sizeof(es));
	return rc_select(ok_d, rc_select(ok, 0, ECC_ERR_RETRY), ECC_ERR_SCALAR);
}

/* K = HMAC_K(V || sep || rest1 || rest2), then the context is re-keyed with the new K. */
static void rfc6979_update_key(struct ecdsa_rfc6979 *st, uint8_t sep, const uint8_t *x,
			       const uint8_t *h, size_t len)
{
	uint8_t k[HASH_MAX_DIGEST_SIZE];

	hmac_update(&st->hmac, st->v, st->hlen);
	hmac_update(&st->hmac, &sep, 1);
	if (len != 0) {
		hmac_update(&st->hmac, x, len);
		hmac_update(&st->hmac, h, len);
	}
	hmac_final(&st->hmac, k);
	hmac_wipe(&st->hmac);
	(void)hmac_init(&st->hmac, st->hash, k, st->hlen);
	mem_wipe(k, sizeof(k));
}

/* V = HMAC_K(V). */
static void rfc6979_update_v(struct ecdsa_rfc6979 *st)
{
	hmac_update(&st->hmac, st->v, st->hlen);
	hmac_final(&st->hmac, st->v);
}

int ecdsa_rfc6979_init(struct ecdsa_rfc6979 *st, const struct ecc_curve *c, enum hash_id hash,
		       const uint8_t *d, const uint8_t *digest, size_t digest_len)
{
	const struct hash_alg *alg = hash_alg_get(hash);
	uint8_t key[HASH_MAX_DIGEST_SIZE];
	uint8_t h1[ECC_MAX_BYTES];
	struct ecc_scalar z;

	if (c == NULL || alg == NULL || digest_len != alg->digest_size) {
		return ECC_ERR_PARAM;
	}
	st->curve = c;
	st->hash = hash;
	st->hlen = alg->digest_size;
	st->first = 1;
	/* Step b: V = 0x01 0x01 ...; step c: K = 0x00 0x00 ... */
	bastion_memset(st->v, 0x01, sizeof(st->v));
	bastion_memset(key, 0, sizeof(key));
	if (hmac_init(&st->hmac, hash, key, st->hlen) != 0) {
		return ECC_ERR_PARAM;
	}
	/* bits2octets(h1) = int2octets(bits2int(h1) mod q) (§2.3.4); int2octets(x) is d
	 * itself, already c->bytes long (rlen = qlen = 8 * c->bytes for these curves). */
	ecc_scalar_from_digest(c, &z, digest, digest_len);
	ecc_scalar_store(c, h1, &z);
	rfc6979_update_key(st, 0x00, d, h1, c->bytes);   /* step d */
	rfc6979_update_v(st);                             /* step e */
	rfc6979_update_key(st, 0x01, d, h1, c->bytes);   /* step f */
	rfc6979_update_v(st);                             /* step g */
	mem_wipe(h1, sizeof(h1));
	mem_wipe(&z, sizeof(z));
	return 0;
}

void ecdsa_rfc6979_next(struct ecdsa_rfc6979 *st, uint8_t *k)
{
	size_t want = st->curve->bytes, have = 0;

	if (!st->first) {
		/* Step h.3 after a rejected candidate: K = HMAC_K(V || 0x00), V = HMAC_K(V). */
		rfc6979_update_key(st, 0x00, NULL, NULL, 0);
		rfc6979_update_v(st);
	}
	st->first = 0;
	/* Steps h.1-h.2: T = V_1 || V_2 ... until qlen bits; k = bits2int(T) = its first
	 * c->bytes octets (qlen is a multiple of 8). */
	while (have < want) {
		size_t take = want - have < st->hlen ? want - have : st->hlen;

		rfc6979_update_v(st);
		bastion_memcpy(k + have, st->v, take);
		have += take;
	}
}

void ecdsa_rfc6979_wipe(struct ecdsa_rfc6979 *st)
{
	hmac_wipe(&st->hmac);
	mem_wipe(st, sizeof(*st));
}

/* Nonce retries before giving up: for these curves a candidate is rejected with probability
 * < 2^-31, so this bound is never reached by a working nonce source. */
#define ECDSA_MAX_TRIES 64

int ecdsa_sign(const struct ecc_curve *c, enum hash_id hash, const uint8_t *d,
	       const uint8_t *digest, size_t digest_len, uint8_t *r, uint8_t *s)
{
	struct ecdsa_rfc6979 st;
	uint8_t k[ECC_MAX_BYTES];
	int rc;

	if (c == NULL) {
		return ECC_ERR_PARAM;
	}
	rc = ecdsa_rfc6979_init(&st, c, hash, d, digest, digest_len);
	if (rc == 0) {
		rc = ECC_ERR_RNG;
		for (int i = 0; i < ECDSA_MAX_TRIES; i++) {
			ecdsa_rfc6979_next(&st, k);
			rc = ecdsa_sign_with_k(c, d, k, digest, digest_len, r, s);
			if (rc != ECC_ERR_RETRY) {
				break;
			}
			rc = ECC_ERR_RNG;
		}
	}
	ecdsa_rfc6979_wipe(&st);
	mem_wipe(k, sizeof(k));
	if (rc != 0) {
		bastion_memset(r, 0, c->bytes);
		bastion_memset(s, 0, c->bytes);
	}
	return rc;
}

int ecdsa_sign_rng(const struct ecc_curve *c, const struct crypto_rng *rng, const uint8_t *d,
		   const uint8_t *digest, size_t digest_len, uint8_t *r, uint8_t *s)
{
	uint8_t k[ECC_MAX_BYTES];
	int rc = ECC_ERR_RNG;

	if (c == NULL) {
		return ECC_ERR_PARAM;
	}
	for (int i = 0; i < ECDSA_MAX_TRIES; i++) {
		unsigned int carry = 1;

		if (crypto_rng_bytes(rng, k, c->bytes) != 0) {
			rc = ECC_ERR_RNG;
			break;
		}
		/* FIPS 186-5 A.3.2: k = c + 1 for a random bits(n)-bit c <= n - 2. c + 1 is
		 * computed modulo 2^bits(n); it is in [1, n-1] exactly when c <= n - 2, which
		 * ecdsa_sign_with_k checks (ECC_ERR_RETRY otherwise). */
		for (size_t j = c->bytes; j-- > 0;) {
			unsigned int v = k[j] + carry;

			k[j] = (uint8_t)v;
			carry = v >> 8;
		}
		rc = ecdsa_sign_with_k(c, d, k, digest, digest_len, r, s);
		if (rc != ECC_ERR_RETRY) {
			break;
		}
		rc = ECC_ERR_RNG;
	}
	mem_wipe(k, sizeof(k));
	if (rc != 0) {
		bastion_memset(r, 0, c->bytes);
		bastion_memset(s, 0, c->bytes);
	}
	return rc;
}

int ecdsa_verify(const struct ecc_curve *c, const uint8_t *qx, const uint8_t *qy,
		 const uint8_t *digest, size_t digest_len, const uint8_t *r, const uint8_t *s)
{
	struct ecc_scalar rs, ss, es, w, u1, u2;
	int rc;

	if (c == NULL) {
		return ECC_ERR_PARAM;
	}
	rc = ecc_point_check(c, qx, qy);
	if (rc != 0) {
		return rc;
	}
	/* Step 2: r and s must be in [1, n-1]. */
	if (ecc_scalar_load(c, &rs, r) == 0 || ecc_scalar_load(c, &ss, s) == 0) {
		return ECC_ERR_VERIFY;
	}
	/* Steps 3-6: e = bits2int(digest) mod n, w = s^-1, u1 = e w, u2 = r w. */
	ecc_scalar_from_digest(c, &es, digest, digest_len);
	ecc_scalar_inv(c, &w, &ss);
	ecc_scalar_mul(c, &u1, &es, &w);
	ecc_scalar_mul(c, &u2, &rs, &w);
	/* Steps 7-8: R = u1 G + u2 Q, not the identity, x(R) mod n == r. */
	if (!ecc_verify_combination_vartime(c, &u1, &u2, qx, qy, &rs)) {
		return ECC_ERR_VERIFY;
	}
	return 0;
}
