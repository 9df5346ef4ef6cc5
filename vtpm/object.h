/*
 * Objects (TPM 2.0 Part 1 "Object" / "Transient Objects" / "Persistent Objects"): the
 * transient slots hold sequence objects (Part 1 "Hash, HMAC, and Event Sequences", Part 3
 * §17: hash sequences, one hash; event sequences, every allocated PCR bank) and key objects
 * (VTPM_OBJ_KEY: RSA, ECC, KEYEDHASH, SYMCIPHER with their public and sensitive areas,
 * public.h); persistent key objects live in struct vtpm_persistent (state.h, t->ps.persistent).
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
#include "vtpm/public.h"
#include "vtpm/types.h"

struct vtpm;

#define VTPM_OBJECT_SLOTS 3u

#define VTPM_OBJ_HASH_SEQUENCE 1u
#define VTPM_OBJ_EVENT_SEQUENCE 2u
#define VTPM_OBJ_KEY 3u

/* Persistent objects (TPM_PT_HR_PERSISTENT_MIN); handles 0x81000000..0x81FFFFFF. */
#define VTPM_PERSISTENT_SLOTS 7u

/*
 * A key object (transient or persistent). Pointer-free: persistent ones are part of the NV
 * image. name = nameAlg || H(TPMT_PUBLIC); qname the Qualified Name (Part 1 §16:
 * H_nameAlg(parent's QN || Name), a primary's parent QN being its hierarchy handle).
 * has_sensitive is false for a public-only TPM2_LoadExternal object.
 */
struct vtpm_key {
	uint32_t hierarchy; /* TPM_RH_OWNER, _ENDORSEMENT, _PLATFORM or _NULL */
	bool has_sensitive;
	struct vtpm_public pub;
	struct vtpm_sensitive sens;
	uint16_t name_size;
	uint8_t name[VTPM_MAX_NAME];
	uint16_t qname_size;
	uint8_t qname[VTPM_MAX_NAME];
};

struct vtpm_persistent_object {
	uint32_t handle; /* 0: free */
	struct vtpm_key key;
};

struct vtpm_object {
	bool used;
	uint8_t kind;	  /* VTPM_OBJ_* */
	union {
		struct { /* sequence objects */
			uint8_t hash;	  /* hash sequence: bank index of hashAlg (types.h) */
			uint8_t banks;	  /* event: bit b = bank b is hashed (allocated at start) */
			uint8_t first[4]; /* the first octets of the data (TPM_GENERATED_VALUE) */
			uint8_t first_len;
			struct hash_ctx h[VTPM_NUM_HASHES]; /* hash: h[0]; event: h[bank] */
		};
		struct vtpm_key key; /* VTPM_OBJ_KEY */
	};
	/* Sequence objects' authValue (a key's is key.sens.auth). */
	uint16_t auth_size;
	uint8_t auth[VTPM_MAX_DIGEST];
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
 * TPM_RC_HANDLE + handle n); a key of a disabled hierarchy TPM_RC_HIERARCHY + handle n. */
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
/* The key object (transient key slot or persistent object) with this handle, or NULL. */
struct vtpm_key *vtpm_key_find(struct vtpm *t, uint32_t handle);
/* TPMA_OBJECT of any loaded or persistent object (0 if none): the DA module reads noDA. */
uint32_t vtpm_object_attributes(struct vtpm *t, uint32_t handle);
/* Loads a copy of k into a free transient slot: TPM_RC_OBJECT_MEMORY when none is free. */
uint32_t vtpm_object_load_key(struct vtpm *t, const struct vtpm_key *k, uint32_t *handle);
/* Removes the persistent objects of a hierarchy (TPM2_Clear: owner; ChangePPS: platform). */
void vtpm_object_evict_hierarchy(struct vtpm *t, uint32_t hierarchy);
/* Authorization roles (Part 1 §19.7 "Authorization Selection", "Object Attributes"): the
 * USER role of an object with userWithAuth CLEAR and the ADMIN role of one with
 * adminWithPolicy SET take only a policy session; anything else is TPM_RC_AUTH_UNAVAILABLE.
 * policy: the handle was authorized by a policy session (struct vtpm_cmd.policy_auth). */
uint32_t vtpm_object_role_check(struct vtpm *t, uint32_t handle, bool policy, bool admin);
/* Number of persistent objects. */
unsigned int vtpm_persistent_count(const struct vtpm *t);
/* The smallest persistent handle >= from, or 0 (TPM_CAP_HANDLES pages in handle order). */
uint32_t vtpm_persistent_next(const struct vtpm *t, uint32_t from);
/* Makes a persistent copy of k at handle (TPM2_EvictControl): TPM_RC_NV_DEFINED if the
 * handle is taken, TPM_RC_NV_SPACE when every slot is used. */
uint32_t vtpm_persistent_add(struct vtpm *t, uint32_t handle, const struct vtpm_key *k);
/* Removes the persistent object at handle (it must exist). */
void vtpm_persistent_remove(struct vtpm *t, uint32_t handle);

/* Feeds data into every hash of a sequence object (and records its first octets). */
void vtpm_object_update(struct vtpm_object *o, const uint8_t *data, size_t len);
