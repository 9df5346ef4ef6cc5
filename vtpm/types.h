/*
 * Typed (un)marshalling of the TPM 2.0 Part 2 structures the command handlers share, and the
 * engine's hash-algorithm table.
 *
 * Every mr_* function validates selectors, sizes and enum values while it reads and returns
 * TPM_RC_SUCCESS or the Part 2 code of the first bad field (also recorded in r->rc, so a
 * sequence of reads can be checked once). Codes are format-1 bases without a number: the
 * handler adds the parameter number (rc.h).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "crypto/hash.h"
#include "vtpm/marshal.h"

/* The implemented hashes, in bank order (SHA-1, SHA-256, SHA-384, SHA-512). */
#define VTPM_NUM_HASHES 4u
#define VTPM_NUM_PCRS 24u
#define VTPM_PCR_SELECT_SIZE 3u /* PCR_SELECT_MIN == PCR_SELECT_MAX == 24 / 8 */
#define VTPM_MAX_DIGEST 64u
/* TPM2B_NAME holds a handle (4 octets) or nameAlg || digest (Part 1 §16). */
#define VTPM_MAX_NAME (2u + VTPM_MAX_DIGEST)

struct vtpm_hash_info {
	uint16_t alg;	   /* TPM_ALG_ID */
	enum hash_id id;   /* crypto/hash.h */
	uint16_t size;	   /* digest bytes */
};

/* Index 0..VTPM_NUM_HASHES-1 of a TPM_ALG_ID, or -1 if not an implemented hash. */
int vtpm_hash_index(uint16_t alg);
/* The entry of bank index (< VTPM_NUM_HASHES). Never NULL: an out-of-range index, which only
 * a bug can produce, gets the SHA-256 entry instead of a NULL dereference. */
const struct vtpm_hash_info *vtpm_hash_info(unsigned int index);
/* The entry of an implemented hash, or NULL (TPM_ALG_NULL, anything else). */
const struct vtpm_hash_info *vtpm_hash_of(uint16_t alg);
/* The entry of a hash the unmarshalling already validated (an object's nameAlg, a parsed
 * scheme's hash). Never NULL; see vtpm_hash_info for what a bug gets. */
const struct vtpm_hash_info *vtpm_hash_of_valid(uint16_t alg);

/* TPMI_ALG_HASH (allow_null: TPMI_ALG_HASH+). Bad value: TPM_RC_HASH. */
uint32_t mr_alg_hash(struct mr *r, uint16_t *alg, bool allow_null);

/* TPML_PCR_SELECTION (Part 2 §10.6.2), at most VTPM_NUM_HASHES entries. */
struct vtpm_pcr_sel {
	uint32_t count;
	struct {
		uint16_t hash;
		uint8_t size_of_select;
		uint8_t select[VTPM_PCR_SELECT_SIZE];
	} s[VTPM_NUM_HASHES];
};

/* count > VTPM_NUM_HASHES: TPM_RC_SIZE; unknown hash: TPM_RC_HASH; sizeofSelect outside
 * PCR_SELECT_MIN..PCR_SELECT_MAX: TPM_RC_VALUE. */
uint32_t mr_pcr_selection(struct mr *r, struct vtpm_pcr_sel *sel);
void mw_pcr_selection(struct mw *w, const struct vtpm_pcr_sel *sel);

/* TPML_DIGEST_VALUES (Part 2 §10.9.7): count <= VTPM_NUM_HASHES (else TPM_RC_SIZE), each a
 * TPMT_HA whose hashAlg is an implemented hash (not NULL, else TPM_RC_HASH). */
struct vtpm_digest_values {
	uint32_t count;
	struct {
		uint16_t alg;
		const uint8_t *digest; /* points into the command buffer */
	} d[VTPM_NUM_HASHES];
};

uint32_t mr_digest_values(struct mr *r, struct vtpm_digest_values *v);
