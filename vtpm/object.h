/*
 * Transient object slots (TPM 2.0 Part 1 "Object" / "Transient Objects"). The only transient
 * objects of this slice are sequence objects (Part 1 "Hash, HMAC, and Event Sequences", Part 3
 * §17): hash sequences (one hash) and event sequences (every allocated PCR bank).
 *
 * Contract:
 *   - VTPM_OBJECT_SLOTS objects can be loaded at once (TPM_PT_HR_TRANSIENT_MIN = 3). The
 *     object in slot i has the handle TPM_HT_TRANSIENT << 24 | i (reused after a flush).
 *   - Objects are volatile: vtpm_power_on (_TPM_Init) drops them all.
 *   - A sequence object has no public area to hash (its nameAlg is TPM_ALG_NULL), so its
 *     Name is the Empty Buffer and adds nothing to cpHash. tpm2-tss (ESYS) computes exactly
 *     that: tpm2_pcrevent's HMAC-authorized EventSequenceComplete only verifies with it
 *     (the handle as Name fails). Its authValue is the auth of TPM2_HashSequenceStart with
 *     trailing zero octets removed (Part 1 "authValue").
 *   - Objects are wiped when flushed (auth values and hash states are secrets).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"
#include "vtpm/types.h"

struct vtpm;

#define VTPM_OBJECT_SLOTS 3u

#define VTPM_OBJ_HASH_SEQUENCE 1u
#define VTPM_OBJ_EVENT_SEQUENCE 2u

struct vtpm_object {
	bool used;
	uint8_t kind;	  /* VTPM_OBJ_* */
	uint8_t hash;	  /* hash sequence: bank index of hashAlg (types.h) */
	uint8_t banks;	  /* event sequence: bit b = bank b is hashed (allocated at start) */
	uint8_t first[4]; /* the first octets of the data (TPM_GENERATED_VALUE check) */
	uint8_t first_len;
	uint16_t auth_size;
	uint8_t auth[VTPM_MAX_DIGEST];
	struct hash_ctx h[VTPM_NUM_HASHES]; /* hash sequence: h[0]; event: h[bank] */
	uint32_t hierarchy;  /* TPM_RH_* of the hierarchy it belongs to (0: none, sequences) */
	uint32_t attributes; /* TPMA_OBJECT (0 for sequences) */
	/* The entity interface (entity.h): Name (empty for a sequence) and authPolicy. */
	uint16_t name_size;
	uint8_t name[VTPM_MAX_NAME];
	uint16_t policy_size;
	uint8_t policy[VTPM_MAX_DIGEST];
};

/* The entity interface (entity.h) for transient and persistent handles. check: loaded
 * transient object (else TPM_RC_REFERENCE_H0 + n - 1), existing persistent one (else
 * TPM_RC_HANDLE + handle n). */
uint32_t vtpm_object_check(struct vtpm *t, uint32_t h, unsigned int n);
size_t vtpm_object_auth(struct vtpm *t, uint32_t h, const uint8_t **auth);
size_t vtpm_object_policy(struct vtpm *t, uint32_t h, const uint8_t **policy);
size_t vtpm_object_name(struct vtpm *t, uint32_t h, uint8_t *name);

/* The loaded object with this handle, or NULL (not transient, out of range, slot empty). */
struct vtpm_object *vtpm_object_find(struct vtpm *t, uint32_t handle);
/* A free slot (its index in *slot), or NULL when all are used. */
struct vtpm_object *vtpm_object_alloc(struct vtpm *t, unsigned int *slot);
uint32_t vtpm_object_handle(unsigned int slot);
/* Number of loaded objects. */
unsigned int vtpm_object_count(const struct vtpm *t);
void vtpm_object_flush(struct vtpm_object *o);
void vtpm_object_flush_all(struct vtpm *t);
/* Flushes every loaded object of a hierarchy (hierarchy disabled, seed changed, Clear). */
void vtpm_object_flush_hierarchy(struct vtpm *t, uint32_t hierarchy);
/* Feeds data into every hash of a sequence object (and records its first octets). */
void vtpm_object_update(struct vtpm_object *o, const uint8_t *data, size_t len);
