/* Key generation for objects: see keygen.h. */
#include "vtpm/keygen.h"

#include "crypto/drbg.h"
#include "crypto/ecc.h"
#include "crypto/kdf.h"
#include "kernel/string.h"
#include "vtpm/random.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

static const uint8_t rsa_e[3] = { 0x01, 0x00, 0x01 };

static int tpm_rng(void *ctx, uint8_t *out, size_t len)
{
	return vtpm_rng_generate((struct vtpm *)ctx, out, len);
}

struct crypto_rng vtpm_crypto_rng(struct vtpm *t)
{
	struct crypto_rng r = { tpm_rng, t };

	return r;
}

const struct ecc_curve *vtpm_curve(uint16_t curve)
{
	if (curve == TPM_ECC_NIST_P256) {
		return ecc_curve_get(ECC_P256);
	}
	if (curve == TPM_ECC_NIST_P384) {
		return ecc_curve_get(ECC_P384);
	}
	return NULL;
}

/* unique = H_nameAlg(seedValue || sensitive) for KEYEDHASH and SYMCIPHER objects. */
static int sym_unique(struct vtpm_key *k)
{
	const struct vtpm_hash_info *hi = vtpm_hash_of(k->pub.name_alg);
	struct hash_ctx h;

	if (hi == NULL || hash_init(&h, hi->id) != 0) {
		return -1;
	}
	hash_update(&h, k->sens.seed, k->sens.seed_size);
	hash_update(&h, k->sens.data, k->sens.data_size);
	hash_final(&h, k->pub.unique);
	k->pub.unique_size = hi->size;
	return 0;
}

static int gen_rsa(struct vtpm *t, struct vtpm_key *k, const struct crypto_rng *rng)
{
	struct rsa_private_key *key = &t->ks.rsa;
	const size_t half = VTPM_RSA_BYTES / 2u;
	uint8_t *d = k->sens.data;
	int bad = 0;

	if (rsa_generate(key, VTPM_RSA_BITS, rng, &t->ks.kg) != 0) {
		mem_wipe(key, sizeof(*key));
		return -1;
	}
	bad |= bn_to_bytes(k->pub.unique, VTPM_RSA_BYTES, key->pub.n.m, key->pub.n.n);
	bad |= bn_to_bytes(d, half, key->p.m, key->p.n);
	bad |= bn_to_bytes(d + half, half, key->q.m, key->q.n);
	bad |= bn_to_bytes(d + 2 * half, half, key->dp, key->p.n);
	bad |= bn_to_bytes(d + 3 * half, half, key->dq, key->q.n);
	bad |= bn_to_bytes(d + 4 * half, half, key->qinv, key->p.n);
	mem_wipe(key, sizeof(*key));
	k->pub.unique_size = VTPM_RSA_BYTES;
	k->sens.data_size = VTPM_RSA_PRIV_BYTES;
	return bad != 0 ? -1 : 0;
}

static int gen_ecc(struct vtpm_key *k, const struct crypto_rng *rng)
{
	const struct ecc_curve *c = vtpm_curve(k->pub.curve);
	uint16_t n;

	if (c == NULL) {
		return -1;
	}
	n = (uint16_t)ecc_curve_bytes(c);
	if (ecc_keygen(c, rng, k->sens.data, k->pub.unique, k->pub.y) != 0) {
		return -1;
	}
	k->sens.data_size = n;
	k->pub.unique_size = n;
	k->pub.y_size = n;
	return 0;
}

/* The secrets of the object, all from rng in a fixed order (see keygen.h). */
static int generate(struct vtpm *t, struct vtpm_key *k, const struct crypto_rng *rng,
		    const struct vtpm_sensitive_create *sc)
{
	const struct vtpm_hash_info *hi = vtpm_hash_of(k->pub.name_alg);
	struct vtpm_public *p = &k->pub;
	struct vtpm_sensitive *s = &k->sens;

	if (hi == NULL) {
		return -1;
	}
	bastion_memset(s, 0, sizeof(*s));
	if (sc->auth_size != 0) {
		bastion_memcpy(s->auth, sc->auth, sc->auth_size);
	}
	s->auth_size = sc->auth_size;
	if (vtpm_public_is_parent(p) || p->type == TPM_ALG_KEYEDHASH ||
	    p->type == TPM_ALG_SYMCIPHER) {
		if (crypto_rng_bytes(rng, s->seed, hi->size) != 0) {
			return -1;
		}
		s->seed_size = hi->size;
	}
	switch (p->type) {
	case TPM_ALG_RSA:
		return gen_rsa(t, k, rng);
	case TPM_ALG_ECC:
		return gen_ecc(k, rng);
	case TPM_ALG_SYMCIPHER:
		s->data_size = (uint16_t)(p->sym_bits / 8u);
		break;
	default: {
		/* An HMAC key the TPM makes has the size of its hash's digest. */
		const struct vtpm_hash_info *sh =
			p->scheme == TPM_ALG_HMAC ? vtpm_hash_of_valid(p->scheme_hash) : hi;

		s->data_size = sc->data_size != 0 ? sc->data_size : sh->size;
		break;
	}
	}
	if (sc->data_size != 0) {
		bastion_memcpy(s->data, sc->data, sc->data_size);
	} else if (crypto_rng_bytes(rng, s->data, s->data_size) != 0) {
		return -1;
	}
	return sym_unique(k);
}

static uint32_t finish(struct vtpm_key *k, int rc)
{
	if (rc != 0) {
		mem_wipe(&k->sens, sizeof(k->sens));
		return TPM_RC_FAILURE;
	}
	k->has_sensitive = true;
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_keygen_primary(struct vtpm *t, struct vtpm_key *k, const uint8_t *seed,
			     size_t seed_len, const uint8_t *tmpl, size_t tmpl_len,
			     const struct vtpm_sensitive_create *sc)
{
	static const uint8_t label[] = { 'B', 'A', 'S', 'T', 'I', 'O', 'N', ' ',
					 'P', 'R', 'I', 'M', 'A', 'R', 'Y' };
	static const uint8_t pers[] = { 'v', 't', 'p', 'm', ' ', 'p', 'r', 'i', 'm', 'a',
					'r', 'y', ' ', 'o', 'b', 'j', 'e', 'c', 't' };
	const struct vtpm_hash_info *hi = vtpm_hash_of(k->pub.name_alg);
	uint8_t digest[VTPM_MAX_DIGEST];
	uint8_t material[64];
	struct hmac_drbg drbg;
	struct crypto_rng rng;
	int rc = -1;

	if (hi == NULL || hash_oneshot(hi->id, tmpl, tmpl_len, digest) != 0) {
		return TPM_RC_FAILURE;
	}
	if (kdf_kdfa(HASH_SHA256, seed, seed_len, label, sizeof(label), digest, hi->size,
		     sc->data, sc->data_size, 512, material) == 0 &&
	    hmac_drbg_instantiate(&drbg, material, 48, material + 48, 16, pers, sizeof(pers)) ==
		    0) {
		rng = hmac_drbg_rng(&drbg);
		rc = generate(t, k, &rng, sc);
	}
	hmac_drbg_uninstantiate(&drbg);
	mem_wipe(material, sizeof(material));
	return finish(k, rc);
}

uint32_t vtpm_keygen_random(struct vtpm *t, struct vtpm_key *k,
			    const struct vtpm_sensitive_create *sc)
{
	struct crypto_rng rng = vtpm_crypto_rng(t);

	return finish(k, generate(t, k, &rng, sc));
}

uint32_t vtpm_key_rsa_private(struct vtpm *t, const struct vtpm_key *k)
{
	const size_t half = VTPM_RSA_BYTES / 2u;
	const uint8_t *d = k->sens.data;
	static const uint8_t zero = 0;

	if (k->pub.type != TPM_ALG_RSA || !k->has_sensitive ||
	    k->sens.data_size != VTPM_RSA_PRIV_BYTES ||
	    rsa_private_key_import(&t->ks.rsa, k->pub.unique, k->pub.unique_size, rsa_e,
				   sizeof(rsa_e), &zero, 1, d, half, d + half, half, d + 2 * half,
				   half, d + 3 * half, half, d + 4 * half, half, &t->ks.kg.op) != 0) {
		mem_wipe(&t->ks.rsa, sizeof(t->ks.rsa));
		return TPM_RC_FAILURE;
	}
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_key_rsa_public(const struct vtpm_key *k, struct rsa_public_key *pub)
{
	if (k->pub.type != TPM_ALG_RSA ||
	    rsa_public_key_import(pub, k->pub.unique, k->pub.unique_size, rsa_e, sizeof(rsa_e)) !=
		    0) {
		return TPM_RC_KEY;
	}
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_key_secret(struct vtpm *t, const struct vtpm_key *k, const uint8_t *label,
			 size_t label_len, const uint8_t *in, size_t in_len, uint8_t *out,
			 size_t *out_len)
{
	const struct vtpm_hash_info *hi = vtpm_hash_of_valid(k->pub.name_alg);
	struct crypto_rng rng = vtpm_crypto_rng(t);
	uint8_t buf[VTPM_RSA_BYTES];
	size_t n = 0;
	int rc;

	*out_len = 0;
	if (k->pub.type == TPM_ALG_RSA) {
		/* RSAES-OAEP with the key's nameAlg and the label (its terminating zero
		 * included, Part 1 "Secret Sharing"). */
		if (in_len != VTPM_RSA_BYTES) {
			return TPM_RC_VALUE;
		}
		if (vtpm_key_rsa_private(t, k) != TPM_RC_SUCCESS) {
			return TPM_RC_FAILURE;
		}
		rc = rsa_oaep_decrypt(&t->ks.rsa, &rng, hi->id, label, label_len, in, in_len, buf,
				      sizeof(buf), &n, &t->ks.kg.op);
		mem_wipe(&t->ks.rsa, sizeof(t->ks.rsa));
		if (rc == RSA_ERR_DECRYPT || (rc == 0 && n > hi->size)) {
			mem_wipe(buf, sizeof(buf));
			return TPM_RC_VALUE;
		}
		if (rc != 0) {
			return TPM_RC_FAILURE;
		}
		bastion_memcpy(out, buf, n);
		mem_wipe(buf, sizeof(buf));
		*out_len = n;
		return TPM_RC_SUCCESS;
	}
	if (k->pub.type == TPM_ALG_ECC) {
		/* TPMS_ECC_POINT Qe; Z = x(d * Qe); secret = KDFe(nameAlg, Z, label, Qe.x,
		 * Qs.x, digest bits). */
		const struct ecc_curve *c = vtpm_curve(k->pub.curve);
		size_t cb = ecc_curve_bytes(c);
		uint8_t qx[VTPM_ECC_MAX_BYTES] = { 0 };
		uint8_t qy[VTPM_ECC_MAX_BYTES] = { 0 };
		uint8_t zx[VTPM_ECC_MAX_BYTES];
		uint8_t zy[VTPM_ECC_MAX_BYTES];
		struct mr r;
		const uint8_t *x;
		const uint8_t *y;
		uint16_t xl, yl;

		mr_init(&r, in, in_len);
		xl = mr_tpm2b(&r, cb, &x);
		yl = mr_tpm2b(&r, cb, &y);
		if (r.rc != TPM_RC_SUCCESS || mr_remaining(&r) != 0 || xl == 0 || yl == 0) {
			return TPM_RC_VALUE;
		}
		bastion_memcpy(qx + cb - xl, x, xl);
		bastion_memcpy(qy + cb - yl, y, yl);
		rc = ecc_point_mul(c, k->sens.data, qx, qy, zx, zy);
		if (rc == ECC_ERR_POINT) {
			return TPM_RC_ECC_POINT;
		}
		if (rc != 0 ||
		    kdf_kdfe(hi->id, zx, cb, label, label_len, qx, cb, k->pub.unique,
			     k->pub.unique_size, hi->size * 8u, out) != 0) {
			mem_wipe(zx, sizeof(zx));
			mem_wipe(zy, sizeof(zy));
			return TPM_RC_FAILURE;
		}
		mem_wipe(zx, sizeof(zx));
		mem_wipe(zy, sizeof(zy));
		*out_len = hi->size;
		return TPM_RC_SUCCESS;
	}
	return TPM_RC_KEY;
}

/* d mod (x - 1) for e = 65537 without inverting modulo the even x - 1: with
 * k = -(x - 1)^-1 mod e, e * d' = k * (x - 1) + 1, so d' = (k * (x - 1) + 1) / e is the
 * inverse of e modulo x - 1. x has `limbs` limbs; out gets them. 0 or -1. */
static int crt_exponent(struct vtpm *t, const uint64_t *x, size_t limbs, uint64_t *out)
{
	struct rsa_keygen_ws *w = &t->ks.kg;
	uint64_t e[1] = { RSA_E_DEFAULT };
	uint64_t m[1];
	uint64_t inv[1];
	uint64_t *x1 = w->p1;
	uint64_t *prod = w->phi; /* limbs + 1 */

	bn_copy(x1, x, limbs);
	bn_sub_word(x1, x1, 1, limbs);
	if (bn_div_ct(NULL, m, x1, limbs, e, 1, &w->op.gen) != 0 ||
	    bn_mod_inv_ct(inv, m, e, 1, &w->op.gen) != 0) {
		return -1;
	}
	inv[0] = RSA_E_DEFAULT - inv[0];
	bn_mul(prod, x1, limbs, inv, 1);
	bn_add_word(prod, prod, 1, limbs + 1);
	if (bn_div_ct(w->k, m, prod, limbs + 1, e, 1, &w->op.gen) != 0 || m[0] != 0) {
		return -1;
	}
	bn_copy(out, w->k, limbs);
	return 0;
}

uint32_t vtpm_key_rsa_complete(struct vtpm *t, struct vtpm_key *k)
{
	const size_t half = VTPM_RSA_BYTES / 2u;
	const size_t hl = half / 8u;
	const size_t nl = VTPM_RSA_BYTES / 8u;
	struct rsa_keygen_ws *w = &t->ks.kg;
	struct bn_mont *pm = &t->ks.rsa.p;
	uint64_t *n = w->lambda;
	uint64_t *p = w->g;
	uint64_t *q = w->q1;
	uint64_t *r = w->op.t[0];
	uint64_t *x = w->op.t[1];
	uint8_t *d = k->sens.data;
	int bad = 0;

	if (k->pub.type != TPM_ALG_RSA || k->sens.data_size != half ||
	    k->pub.unique_size != VTPM_RSA_BYTES) {
		return TPM_RC_KEY_SIZE;
	}
	bad |= bn_from_bytes(n, nl, k->pub.unique, VTPM_RSA_BYTES);
	bad |= bn_from_bytes(p, hl, d, half);
	/* q = n / p with no remainder */
	bad |= bn_div_ct(w->q1, r, n, nl, p, hl, &w->op.gen);
	if (bad != 0 || !bn_zero_mask(r, hl) || !bn_zero_mask(q + hl, nl - hl) ||
	    bn_mont_init(pm, p, hl) != 0) {
		mem_wipe(w, sizeof(*w));
		return TPM_RC_BINDING;
	}
	bad |= bn_to_bytes(d + half, half, q, hl);
	/* dP, dQ */
	bad |= crt_exponent(t, p, hl, x);
	bad |= bn_to_bytes(d + 2 * half, half, x, hl);
	bad |= crt_exponent(t, q, hl, x);
	bad |= bn_to_bytes(d + 3 * half, half, x, hl);
	/* qInv = q^(p - 2) mod p (p is prime) */
	bn_mod_reduce(pm, r, q, hl);
	bn_copy(x, p, hl);
	bn_sub_word(x, x, 2, hl);
	bn_mod_exp(pm, r, r, x, &w->op.exp);
	bad |= bn_to_bytes(d + 4 * half, half, r, hl);
	mem_wipe(w, sizeof(*w));
	mem_wipe(pm, sizeof(*pm));
	if (bad != 0) {
		mem_wipe(d, VTPM_SENS_MAX);
		return TPM_RC_BINDING;
	}
	k->sens.data_size = VTPM_RSA_PRIV_BYTES;
	return TPM_RC_SUCCESS;
}
