/*
 * TPM2_MakeCredential (Part 3 §12.6) and TPM2_ActivateCredential (Part 3 §12.5), the
 * attestation-key enrolment protocol of Part 1 §24 "Credential Protection".
 *
 * With the protector (normally the EK: a restricted decryption key with a symmetric algorithm)
 * of nameAlg H and symmetric AES-k-CFB:
 *   seed      RSA: random of H's digest size, secret = RSAES-OAEP(H, label "IDENTITY\0", seed)
 *             ECC: ephemeral (de, Qe), seed = KDFe(H, x(de * Qs), "IDENTITY", Qe.x, Qs.x,
 *                  digest bits), secret = TPMS_ECC_POINT Qe   (Part 1 "Secret Sharing")
 *   symKey    = KDFa(H, seed, "STORAGE", objectName, -, k)
 *   HMACkey   = KDFa(H, seed, "INTEGRITY", -, -, digest bits)
 *   encCred   = AES-CFB(symKey, IV = 0, TPM2B_DIGEST credential)
 *   integrity = HMAC_H(HMACkey, encCred || objectName)
 *   TPM2B_ID_OBJECT = TPM2B_DIGEST(integrity) || encCred
 * MakeCredential needs no authorization (it is a public-key operation: anyone can make a
 * credential for a TPM they know the EK of); ActivateCredential needs the ADMIN role of the
 * object the credential names (activateHandle, whose Name must be objectName) and the USER
 * role of the protector (keyHandle). It checks the integrity before it decrypts anything.
 * The seed, keys and plaintext credential are wiped after use.
 */
#include "crypto/aes.h"
#include "crypto/aes_modes.h"
#include "crypto/ct.h"
#include "crypto/ecc.h"
#include "crypto/hmac.h"
#include "crypto/kdf.h"
#include "crypto/rsa.h"
#include "kernel/string.h"
#include "vtpm/commands.h"
#include "vtpm/keygen.h"
#include "vtpm/object.h"
#include "vtpm/random.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

/* "IDENTITY" with its terminating zero (the OAEP label is the label as a C string). */
static const uint8_t label_identity[] = { 'I', 'D', 'E', 'N', 'T', 'I', 'T', 'Y', 0 };
static const uint8_t label_storage[] = { 'S', 'T', 'O', 'R', 'A', 'G', 'E', 0 };
static const uint8_t label_integrity[] = { 'I', 'N', 'T', 'E', 'G', 'R', 'I', 'T', 'Y', 0 };

/* TPM2B_ID_OBJECT: TPM2B_DIGEST integrity || encrypted TPM2B_DIGEST. */
#define ID_OBJECT_MAX (2u * (2u + VTPM_MAX_DIGEST))
/* TPM2B_ENCRYPTED_SECRET: an RSA-2048 OAEP block or a TPMS_ECC_POINT. */
#define SECRET_MAX VTPM_RSA_BYTES

/* A protector of credentials: an asymmetric restricted decryption key (it has a symmetric
 * algorithm, public.c checks that for restricted decryption keys). */
static bool is_protector(const struct vtpm_key *k)
{
	return (k->pub.type == TPM_ALG_RSA || k->pub.type == TPM_ALG_ECC) &&
	       (k->pub.attributes & (TPMA_OBJECT_DECRYPT | TPMA_OBJECT_RESTRICTED)) ==
		       (TPMA_OBJECT_DECRYPT | TPMA_OBJECT_RESTRICTED) &&
	       k->pub.sym_alg == TPM_ALG_AES;
}

/* symKey and HMACkey from the seed (see the file comment). 0 or TPM_RC_FAILURE. */
static uint32_t derive(const struct vtpm_key *k, const uint8_t *seed, size_t seed_len,
		       const uint8_t *name, size_t name_len, uint8_t sym[32],
		       uint8_t hkey[VTPM_MAX_DIGEST])
{
	const struct vtpm_hash_info *hi = vtpm_hash_of_valid(k->pub.name_alg);

	if (kdf_kdfa(hi->id, seed, seed_len, label_storage, sizeof(label_storage), name,
		     name_len, NULL, 0, k->pub.sym_bits, sym) != 0 ||
	    kdf_kdfa(hi->id, seed, seed_len, label_integrity, sizeof(label_integrity), NULL, 0,
		     NULL, 0, hi->size * 8u, hkey) != 0) {
		mem_wipe(sym, 32);
		return TPM_RC_FAILURE;
	}
	return TPM_RC_SUCCESS;
}

static int outer_hmac(const struct vtpm_key *k, const uint8_t *hkey, const uint8_t *enc,
		      size_t enc_len, const uint8_t *name, size_t name_len, uint8_t *out)
{
	const struct vtpm_hash_info *hi = vtpm_hash_of_valid(k->pub.name_alg);
	struct hmac_ctx h;
	int rc;

	rc = hmac_init(&h, hi->id, hkey, hi->size);
	if (rc == 0) {
		hmac_update(&h, enc, enc_len);
		hmac_update(&h, name, name_len);
		hmac_final(&h, out);
	}
	hmac_wipe(&h);
	return rc;
}

/* ---- MakeCredential ------------------------------------------------------------------- */

/* The seed and the encrypted secret for protector k (Part 1 "Secret Sharing"). */
static uint32_t make_seed(struct vtpm *t, const struct vtpm_key *k, uint8_t *seed,
			  uint8_t *secret, uint16_t *secret_len)
{
	const struct vtpm_hash_info *hi = vtpm_hash_of_valid(k->pub.name_alg);
	struct crypto_rng rng = vtpm_crypto_rng(t);

	if (k->pub.type == TPM_ALG_RSA) {
		if (vtpm_key_rsa_public(k, &t->ks.rsa.pub) != TPM_RC_SUCCESS) {
			return rc_handle(TPM_RC_KEY, 1);
		}
		if (vtpm_rng_generate(t, seed, hi->size) != 0 ||
		    rsa_oaep_encrypt(&t->ks.rsa.pub, &rng, hi->id, label_identity,
				     sizeof(label_identity), seed, hi->size, secret, VTPM_RSA_BYTES,
				     &t->ks.kg.op) != 0) {
			return TPM_RC_FAILURE;
		}
		*secret_len = VTPM_RSA_BYTES;
		return TPM_RC_SUCCESS;
	} else {
		const struct ecc_curve *cv = vtpm_curve(k->pub.curve);
		size_t cb = ecc_curve_bytes(cv);
		uint8_t d[VTPM_ECC_MAX_BYTES];
		uint8_t qx[VTPM_ECC_MAX_BYTES] = { 0 };
		uint8_t qy[VTPM_ECC_MAX_BYTES] = { 0 };
		uint8_t ex[VTPM_ECC_MAX_BYTES], ey[VTPM_ECC_MAX_BYTES];
		uint8_t zx[VTPM_ECC_MAX_BYTES], zy[VTPM_ECC_MAX_BYTES];
		struct mw w;
		int r;

		if (k->pub.unique_size > cb || k->pub.y_size > cb) {
			return rc_handle(TPM_RC_KEY, 1);
		}
		bastion_memcpy(qx + cb - k->pub.unique_size, k->pub.unique, k->pub.unique_size);
		bastion_memcpy(qy + cb - k->pub.y_size, k->pub.y, k->pub.y_size);
		r = ecc_keygen(cv, &rng, d, ex, ey);
		if (r == 0) {
			r = ecc_point_mul(cv, d, qx, qy, zx, zy);
		}
		mem_wipe(d, sizeof(d));
		if (r == 0 && kdf_kdfe(hi->id, zx, cb, label_identity, sizeof(label_identity), ex,
				       cb, qx, cb, hi->size * 8u, seed) != 0) {
			r = -1;
		}
		mem_wipe(zx, sizeof(zx));
		mem_wipe(zy, sizeof(zy));
		if (r == ECC_ERR_POINT) {
			return rc_handle(TPM_RC_KEY, 1);
		}
		if (r != 0) {
			return TPM_RC_FAILURE;
		}
		mw_init(&w, secret, SECRET_MAX);
		mw_tpm2b(&w, ex, (uint16_t)cb);
		mw_tpm2b(&w, ey, (uint16_t)cb);
		*secret_len = (uint16_t)w.off;
		return TPM_RC_SUCCESS;
	}
}

uint32_t vtpm_cmd_make_credential(struct vtpm *t, struct vtpm_cmd *c)
{
	const struct vtpm_key *k;
	const struct vtpm_hash_info *hi;
	const uint8_t *cred;
	const uint8_t *name;
	uint8_t seed[VTPM_MAX_DIGEST];
	uint8_t secret[SECRET_MAX];
	uint8_t sym[32];
	uint8_t hkey[VTPM_MAX_DIGEST];
	uint8_t enc[2u + VTPM_MAX_DIGEST];
	uint8_t integrity[VTPM_MAX_DIGEST];
	struct aes_ctx aes;
	static const uint8_t iv[16] = { 0 };
	uint16_t cred_len, name_len, secret_len = 0;
	uint32_t rc;

	cred_len = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &cred);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	name_len = mr_tpm2b(c->in, VTPM_MAX_NAME, &name);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	k = vtpm_key_find(t, c->handles[0]);
	if (k == NULL || !is_protector(k)) {
		return rc_handle(TPM_RC_TYPE, 1);
	}
	hi = vtpm_hash_of_valid(k->pub.name_alg);
	if (cred_len > hi->size) {
		return rc_param(TPM_RC_SIZE, 1);
	}
	rc = make_seed(t, k, seed, secret, &secret_len);
	if (rc == TPM_RC_SUCCESS) {
		rc = derive(k, seed, hi->size, name, name_len, sym, hkey);
	}
	mem_wipe(seed, sizeof(seed));
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	put_be16(enc, cred_len);
	bastion_memcpy(enc + 2, cred, cred_len);
	if (aes_init(&aes, sym, k->pub.sym_bits / 8u) != 0) {
		rc = TPM_RC_FAILURE;
	} else {
		aes_cfb_encrypt(&aes, iv, enc, enc, 2u + cred_len);
		aes_wipe(&aes);
		if (outer_hmac(k, hkey, enc, 2u + cred_len, name, name_len, integrity) != 0) {
			rc = TPM_RC_FAILURE;
		}
	}
	mem_wipe(sym, sizeof(sym));
	mem_wipe(hkey, sizeof(hkey));
	if (rc != TPM_RC_SUCCESS) {
		mem_wipe(enc, sizeof(enc));
		return rc;
	}
	mw_u16(c->out, (uint16_t)(2u + hi->size + 2u + cred_len));
	mw_tpm2b(c->out, integrity, hi->size);
	mw_bytes(c->out, enc, 2u + cred_len);
	mw_tpm2b(c->out, secret, secret_len);
	return TPM_RC_SUCCESS;
}

/* ---- ActivateCredential --------------------------------------------------------------- */

/* Checks and decrypts a TPM2B_ID_OBJECT buffer into out (a TPM2B_DIGEST's bytes). Codes are
 * about parameter 1 (credentialBlob). */
static uint32_t unwrap(const struct vtpm_key *k, const uint8_t *seed, size_t seed_len,
		       const uint8_t *name, size_t name_len, const uint8_t *blob, size_t len,
		       uint8_t *out, uint16_t *out_len)
{
	const struct vtpm_hash_info *hi = vtpm_hash_of_valid(k->pub.name_alg);
	static const uint8_t iv[16] = { 0 };
	uint8_t sym[32];
	uint8_t hkey[VTPM_MAX_DIGEST];
	uint8_t mac[VTPM_MAX_DIGEST];
	uint8_t plain[2u + VTPM_MAX_DIGEST];
	struct aes_ctx aes;
	const uint8_t *enc;
	size_t enc_len;
	uint16_t n;
	bool ok;

	if (len < 2u || be16(blob) > len - 2u) {
		return rc_param(TPM_RC_INSUFFICIENT, 1);
	}
	if (be16(blob) != hi->size) {
		return rc_param(TPM_RC_INTEGRITY, 1);
	}
	enc = blob + 2u + hi->size;
	enc_len = len - 2u - hi->size;
	if (derive(k, seed, seed_len, name, name_len, sym, hkey) != TPM_RC_SUCCESS) {
		return TPM_RC_FAILURE;
	}
	if (outer_hmac(k, hkey, enc, enc_len, name, name_len, mac) != 0) {
		mem_wipe(sym, sizeof(sym));
		mem_wipe(hkey, sizeof(hkey));
		return TPM_RC_FAILURE;
	}
	mem_wipe(hkey, sizeof(hkey));
	ok = ct_memeq(mac, blob + 2, hi->size);
	if (!ok) {
		mem_wipe(sym, sizeof(sym));
		return rc_param(TPM_RC_INTEGRITY, 1);
	}
	/* Integrity holds: only the holder of the seed made encCred. It must be exactly one
	 * TPM2B_DIGEST no longer than the digest (TPM_RC_SIZE otherwise). */
	if (enc_len < 2u || enc_len > sizeof(plain) || aes_init(&aes, sym, k->pub.sym_bits / 8u) != 0) {
		mem_wipe(sym, sizeof(sym));
		return enc_len < 2u || enc_len > sizeof(plain) ? rc_param(TPM_RC_SIZE, 1)
							       : TPM_RC_FAILURE;
	}
	aes_cfb_decrypt(&aes, iv, enc, plain, enc_len);
	aes_wipe(&aes);
	mem_wipe(sym, sizeof(sym));
	n = be16(plain);
	if (n != enc_len - 2u || n > hi->size) {
		mem_wipe(plain, sizeof(plain));
		return rc_param(TPM_RC_SIZE, 1);
	}
	bastion_memcpy(out, plain + 2, n);
	*out_len = n;
	mem_wipe(plain, sizeof(plain));
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_activate_credential(struct vtpm *t, struct vtpm_cmd *c)
{
	const struct vtpm_key *k;
	const uint8_t *blob;
	const uint8_t *secret;
	uint8_t name[VTPM_MAX_NAME];
	uint8_t seed[VTPM_MAX_DIGEST];
	uint8_t cert[VTPM_MAX_DIGEST];
	size_t name_len, seed_len = 0;
	uint16_t blob_len, secret_len, cert_len = 0;
	uint32_t rc;

	blob_len = mr_tpm2b(c->in, ID_OBJECT_MAX, &blob);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	secret_len = mr_tpm2b(c->in, SECRET_MAX, &secret);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	rc = cmd_params_end(c);
	if (rc == TPM_RC_SUCCESS) {
		rc = vtpm_object_role_check(t, c->handles[0], c->policy_auth & 1u, true);
	}
	if (rc == TPM_RC_SUCCESS) {
		rc = vtpm_object_role_check(t, c->handles[1], (c->policy_auth >> 1) & 1u, false);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	/* keyHandle: an asymmetric restricted decryption key with its private part, else
	 * TPM_RC_TYPE + handle 2 (as the reference implementation answers every such case). */
	k = vtpm_key_find(t, c->handles[1]);
	if (k == NULL || !is_protector(k) || !k->has_sensitive) {
		return rc_handle(TPM_RC_TYPE, 2);
	}
	if (k->pub.type == TPM_ALG_RSA && secret_len != VTPM_RSA_BYTES) {
		return rc_param(TPM_RC_SIZE, 2);
	}
	name_len = vtpm_object_name(t, c->handles[0], name);
	rc = vtpm_key_secret(t, k, label_identity, sizeof(label_identity), secret, secret_len,
			     seed, &seed_len);
	if (rc != TPM_RC_SUCCESS) {
		mem_wipe(seed, sizeof(seed));
		return rc_param(rc, 2);
	}
	rc = unwrap(k, seed, seed_len, name, name_len, blob, blob_len, cert, &cert_len);
	mem_wipe(seed, sizeof(seed));
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	mw_tpm2b(c->out, cert, cert_len);
	mem_wipe(cert, sizeof(cert));
	return TPM_RC_SUCCESS;
}
