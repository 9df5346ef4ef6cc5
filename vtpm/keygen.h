/*
 * Key generation for objects (TPM 2.0 Part 1 "Primary Keys" / "Key Generation", Part 3
 * TPM2_CreatePrimary, TPM2_Create).
 *
 * Primary objects are derived, never stored: the same hierarchy seed, template (the
 * TPMT_PUBLIC as sent, unique field included) and sensitive.data give the same key.
 *   material   = KDFa(SHA-256, primarySeed, "BASTION PRIMARY", H_nameAlg(template),
 *                     sensitive.data, 512 bits)
 *   DRBG       = HMAC_DRBG(entropy = material[0..48), nonce = material[48..64),
 *                          personalization = "vtpm primary object")
 * and every secret of the object is drawn from that DRBG in a fixed order: seedValue (storage
 * parents, KEYEDHASH and SYMCIPHER objects), then the key (RSA: FIPS 186-5 probable primes
 * by rsa_generate; ECC: FIPS 186-5 A.2.2 rejection sampling, i.e. candidates until one is in
 * range; symmetric and HMAC keys: raw bytes). Ordinary objects draw from the TPM's DRBG.
 *
 * unique: RSA n, ECC (x, y), KEYEDHASH/SYMCIPHER H_nameAlg(seedValue || sensitive) (Part 2
 * §12.2.3.2, the obfuscated digest). authValue = sensitive.userAuth as given.
 *
 * Failures: a DRBG or key-generation failure is TPM_RC_FAILURE with nothing written but
 * wiped buffers.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto/rng.h"
#include "crypto/rsa.h"
#include "vtpm/object.h"
#include "vtpm/public.h"

struct vtpm;

/* Big temporaries of object commands (struct vtpm.ks; never on the stack). */
struct vtpm_key_scratch {
	struct rsa_private_key rsa;
	struct rsa_keygen_ws kg; /* kg.op is the workspace of RSA operations */
	struct vtpm_key key;	 /* the object being built or loaded */
	uint8_t buf[1536];	 /* marshalled private areas, creation data, contexts */
};

/* Fills k->pub.unique and k->sens from the template in k->pub and sc, derived from the
 * hierarchy seed (see the file comment). */
uint32_t vtpm_keygen_primary(struct vtpm *t, struct vtpm_key *k, const uint8_t *seed,
			     size_t seed_len, const uint8_t *tmpl, size_t tmpl_len,
			     const struct vtpm_sensitive_create *sc);
/* The same from the TPM's DRBG (TPM2_Create). */
uint32_t vtpm_keygen_random(struct vtpm *t, struct vtpm_key *k,
			    const struct vtpm_sensitive_create *sc);
/* Imports k's RSA private key into t->ks.rsa (wipe it after use). 0 or TPM_RC_FAILURE. */
uint32_t vtpm_key_rsa_private(struct vtpm *t, const struct vtpm_key *k);
/* Expands an RSA private key given as the prime p alone (TPM2B_PRIVATE_KEY_RSA as clients
 * send it to TPM2_LoadExternal) to p || q || dP || dQ || qInv: q = n / p must leave no
 * remainder (TPM_RC_BINDING otherwise), e = 65537. Constant time in p and q (bn_div_ct,
 * bn_mod_inv_ct modulo e, qInv by Fermat with bn_mod_exp). */
uint32_t vtpm_key_rsa_complete(struct vtpm *t, struct vtpm_key *k);
/* Imports k's RSA public key into *pub. TPM_RC_KEY if the modulus is not usable. */
uint32_t vtpm_key_rsa_public(const struct vtpm_key *k, struct rsa_public_key *pub);
/*
 * Recovers a secret sent to key k (Part 1 "Secret Sharing", annex "Protected Storage" / the
 * salt of TPM2_StartAuthSession): RSA keys RSAES-OAEP(nameAlg, label) decryption of in (the
 * modulus size), ECC keys a TPMS_ECC_POINT Qe in `in` and secret = KDFe(nameAlg,
 * x(d * Qe), label, Qe.x, the key's x, digest bits). out holds at least VTPM_MAX_DIGEST
 * bytes. Base codes: TPM_RC_VALUE (wrong size, padding), TPM_RC_ECC_POINT (Qe invalid),
 * TPM_RC_KEY (not an asymmetric key), TPM_RC_FAILURE.
 */
uint32_t vtpm_key_secret(struct vtpm *t, const struct vtpm_key *k, const uint8_t *label,
			 size_t label_len, const uint8_t *in, size_t in_len, uint8_t *out,
			 size_t *out_len);
/* The TPM's DRBG as a crypto_rng (vtpm_rng_generate). */
struct crypto_rng vtpm_crypto_rng(struct vtpm *t);
/* The crypto/ecc.h curve of a TPM_ECC_CURVE, or NULL. */
const struct ecc_curve *vtpm_curve(uint16_t curve);
