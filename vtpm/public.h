/*
 * Object public and sensitive areas (TPM 2.0 Part 2 §12.2 "Public Area Structures", §12.3
 * "Private Area Structures"; Part 1 §27 "Object Attributes" and "Names").
 *
 * Contract:
 *   - vtpm_public_unmarshal reads one TPMT_PUBLIC and checks every selector and enum value
 *     while reading (the Part 2 unmarshalling codes: TPM_RC_TYPE, _HASH, _RESERVED_BITS,
 *     _SYMMETRIC, _KEY_SIZE, _MODE, _SCHEME, _CURVE, _KDF, _VALUE, _SIZE). It returns the
 *     format-1 base code (no number): callers add the parameter number (rc.h).
 *   - vtpm_public_check is the creation-time consistency check of Part 1 "Object Attributes"
 *     and Part 3 TPM2_Create/CreatePrimary (attributes, schemes, authPolicy size). parent is
 *     NULL for a primary object.
 *   - vtpm_public_marshal writes the canonical TPMT_PUBLIC; the Name is nameAlg || H(that).
 *   - Supported: RSA 2048 (e = 65537), ECC NIST P-256/P-384, KEYEDHASH (sealed data, HMAC
 *     keys), SYMCIPHER AES-128/256 CFB. Anything else is refused with its Part 2 code.
 *   - struct vtpm_sensitive holds secrets: wipe it (mem_wipe) when done with a copy.
 *     RSA private keys are p || q || dP || dQ || qInv (each half the modulus size), the
 *     five-halves form Part 2 sizes TPM2B_PRIVATE_KEY_RSA for.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtpm/marshal.h"
#include "vtpm/types.h"

#define VTPM_RSA_BITS 2048u
#define VTPM_RSA_BYTES (VTPM_RSA_BITS / 8u)
#define VTPM_RSA_PRIV_BYTES (5u * VTPM_RSA_BYTES / 2u)
#define VTPM_ECC_MAX_BYTES 48u
#define VTPM_MAX_SYM_DATA 128u /* MAX_SYM_DATA: sealed data and HMAC keys */
#define VTPM_SENS_MAX VTPM_RSA_PRIV_BYTES
/* Largest marshalled TPMT_PUBLIC this TPM accepts or makes. */
#define VTPM_PUBLIC_MAX 640u

/* TPMA_OBJECT (Part 2 §8.3) */
#define TPMA_OBJECT_FIXED_TPM (1u << 1)
#define TPMA_OBJECT_ST_CLEAR (1u << 2)
#define TPMA_OBJECT_FIXED_PARENT (1u << 4)
#define TPMA_OBJECT_SENSITIVE_DATA_ORIGIN (1u << 5)
#define TPMA_OBJECT_USER_WITH_AUTH (1u << 6)
#define TPMA_OBJECT_ADMIN_WITH_POLICY (1u << 7)
#define TPMA_OBJECT_NO_DA (1u << 10)
#define TPMA_OBJECT_ENCRYPTED_DUPLICATION (1u << 11)
#define TPMA_OBJECT_RESTRICTED (1u << 16)
#define TPMA_OBJECT_DECRYPT (1u << 17)
#define TPMA_OBJECT_SIGN (1u << 18)
#define TPMA_OBJECT_X509SIGN (1u << 19)
#define TPMA_OBJECT_RESERVED 0xFFF0F309u

struct vtpm_public {
	uint16_t type;	   /* TPM_ALG_RSA, _ECC, _KEYEDHASH, _SYMCIPHER */
	uint16_t name_alg; /* a hash (TPM_ALG_NULL is refused: every object has a Name) */
	uint32_t attributes;
	uint16_t policy_size;
	uint8_t policy[VTPM_MAX_DIGEST];
	/* TPMT_SYM_DEF_OBJECT (RSA, ECC: TPM_ALG_NULL or AES; SYMCIPHER: AES) */
	uint16_t sym_alg;
	uint16_t sym_bits;
	uint16_t sym_mode;
	/* TPMT_RSA_SCHEME / TPMT_ECC_SCHEME / TPMT_KEYEDHASH_SCHEME and its hash */
	uint16_t scheme;
	uint16_t scheme_hash;
	/* ECC kdf, KEYEDHASH XOR kdf */
	uint16_t kdf;
	uint16_t kdf_hash;
	uint16_t key_bits;  /* RSA */
	uint32_t exponent;  /* RSA, 0 = 65537 */
	uint16_t curve;	    /* ECC */
	/* unique: RSA modulus, KEYEDHASH/SYMCIPHER digest, ECC x (y separately) */
	uint16_t unique_size;
	uint8_t unique[VTPM_RSA_BYTES];
	uint16_t y_size;
	uint8_t y[VTPM_ECC_MAX_BYTES];
};

struct vtpm_sensitive {
	uint16_t auth_size;
	uint8_t auth[VTPM_MAX_DIGEST];
	uint16_t seed_size; /* seedValue: parents' protection seed, symmetric obfuscation */
	uint8_t seed[VTPM_MAX_DIGEST];
	uint16_t data_size;
	uint8_t data[VTPM_SENS_MAX];
};

/* TPMS_SENSITIVE_CREATE as read from a command (pointers into the command buffer). */
struct vtpm_sensitive_create {
	uint16_t auth_size;
	const uint8_t *auth;
	uint16_t data_size;
	const uint8_t *data;
};

uint32_t vtpm_public_unmarshal(struct mr *r, struct vtpm_public *p);
/* TPM2B_PUBLIC: the size must be nonzero and match the TPMT_PUBLIC exactly (TPM_RC_SIZE).
 * *raw and *raw_len receive the TPMT_PUBLIC bytes as sent (the template for primary keys). */
uint32_t vtpm_public_unmarshal_2b(struct mr *r, struct vtpm_public *p, const uint8_t **raw,
				  uint16_t *raw_len);
void vtpm_public_marshal(struct mw *w, const struct vtpm_public *p);
/* TPM2B_PUBLIC. */
void vtpm_public_marshal_2b(struct mw *w, const struct vtpm_public *p);
/* Name = nameAlg || H_nameAlg(TPMT_PUBLIC) into name[VTPM_MAX_NAME]; its size, 0 on error. */
size_t vtpm_public_name(const struct vtpm_public *p, uint8_t *name);

/* Creation checks (see the file comment). parent_attributes/parent is the parent's public
 * area or NULL for a primary object; sc the TPMS_SENSITIVE_CREATE. Returns a base code. */
uint32_t vtpm_public_check(const struct vtpm_public *p, const struct vtpm_public *parent,
			   const struct vtpm_sensitive_create *sc);
/* Load-time consistency of a public area whose object this TPM made or the caller supplies
 * (LoadExternal): the same attribute/scheme rules without the sensitiveDataOrigin ones. */
uint32_t vtpm_public_check_load(const struct vtpm_public *p);
/* True for a storage parent: restricted decrypt with a symmetric algorithm (RSA/ECC). */
bool vtpm_public_is_parent(const struct vtpm_public *p);

/* TPM2B_SENSITIVE_CREATE (Part 2 §11.1.16): the size must match exactly; userAuth at most
 * 64 octets (TPM_RC_SIZE), data at most MAX_SYM_DATA (TPM_RC_SIZE). */
uint32_t vtpm_sensitive_create_unmarshal(struct mr *r, struct vtpm_sensitive_create *sc);

/* TPMT_SENSITIVE (Part 2 §12.3.2.5) of an object of public area p. */
void vtpm_sensitive_marshal(struct mw *w, const struct vtpm_public *p,
			    const struct vtpm_sensitive *s);
/* Reads a TPMT_SENSITIVE and checks it against p (type, sizes): TPM_RC_TYPE / _SIZE / _KEY_SIZE. */
uint32_t vtpm_sensitive_unmarshal(struct mr *r, const struct vtpm_public *p,
				  struct vtpm_sensitive *s);
