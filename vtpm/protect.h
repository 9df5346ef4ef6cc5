/*
 * Protection of an object's private area under its storage parent (TPM 2.0 Part 1 §22-23
 * "Protected Storage": "Symmetric Encryption", "Integrity"; Part 2 §12.3.7 TPM2B_PRIVATE).
 *
 * With the parent's nameAlg H, its symmetric definition (AES-128/256-CFB) and its seedValue:
 *   symKey     = KDFa(H, seedValue, "STORAGE", Name(object), -, keyBits)
 *   HMACkey    = KDFa(H, seedValue, "INTEGRITY", -, -, bits of H)
 *   encSens    = AES-CFB(symKey, IV = 0, TPM2B_SENSITIVE)   (the key is unique per Name)
 *   outerHMAC  = HMAC_H(HMACkey, encSens || Name(object))
 *   TPM2B_PRIVATE.buffer = TPM2B_DIGEST(outerHMAC) || encSens
 * Since the Name covers the whole public area, a public area that does not belong to the
 * private one fails the HMAC.
 *
 * vtpm_unprotect checks the HMAC before it decrypts anything (TPM_RC_INTEGRITY), then that
 * the plaintext is exactly one TPM2B_SENSITIVE (TPM_RC_INTEGRITY: only this TPM could have
 * made it) whose TPMT_SENSITIVE fits the public area (public.h codes). All temporaries that
 * held plaintext are wiped.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vtpm/marshal.h"
#include "vtpm/object.h"

/* Largest TPM2B_PRIVATE buffer accepted (TPM_RC_SIZE above). */
#define VTPM_PRIVATE_MAX 1024u

/* Writes TPM2B_PRIVATE of child under parent to w. tmp is scratch of VTPM_PRIVATE_MAX bytes.
 * 0 or TPM_RC_FAILURE. */
uint32_t vtpm_protect(const struct vtpm_key *parent, const struct vtpm_key *child,
		      struct mw *w, uint8_t *tmp);
/* Reads child->sens from the TPM2B_PRIVATE buffer priv[len] (child->pub, name set).
 * tmp as above. Returns a base code. */
uint32_t vtpm_unprotect(const struct vtpm_key *parent, struct vtpm_key *child,
			const uint8_t *priv, size_t len, uint8_t *tmp);
