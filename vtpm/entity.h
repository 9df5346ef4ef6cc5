/*
 * Entities (TPM 2.0 Part 1 §14 "Entities"; Part 2 §9 interface types): what a handle names
 * and the three things authorization needs from it. The engine validates handles and checks
 * authorizations only through this interface; each kind of entity answers in its own module:
 *   PCRs                  pcr.[ch]        Name = handle, empty authValue/authPolicy
 *   permanent handles     hierarchy.[ch]  Name = handle, auth/policy/enables per hierarchy
 *   transient, persistent object.[ch]     Name = nameAlg || H(TPMT_PUBLIC)
 *   NV indices            nv.[ch]         Name = nameAlg || H(TPMS_NV_PUBLIC)
 *   sessions              session.[ch]    Name = handle
 *
 * Contract:
 *   - vtpm_entity_check validates a command handle against its interface type (commands.h
 *     handle kinds): a value outside the type is TPM_RC_VALUE + handle n; a transient object
 *     or session that is not loaded TPM_RC_REFERENCE_H0 + n - 1; a persistent object or NV
 *     index that does not exist TPM_RC_HANDLE + handle n; a hierarchy that is disabled (or
 *     an object or NV index in it) TPM_RC_HIERARCHY + handle n. n counts from 1.
 *   - vtpm_entity_auth/policy/name are only called for handles that passed the check (or
 *     TPM_RH_NULL). Pointers returned point into struct vtpm and stay valid until the next
 *     state change. authValues come with trailing zero octets removed (Part 1 "authValue").
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vtpm/commands.h"
#include "vtpm/types.h"

struct vtpm;

uint32_t vtpm_entity_check(struct vtpm *t, enum vtpm_handle_kind kind, uint32_t h,
			   unsigned int n);
/* The entity's authValue (trailing zeros removed); 0 and *auth = NULL when empty. */
size_t vtpm_entity_auth(struct vtpm *t, uint32_t h, const uint8_t **auth);
/* The entity's authPolicy; 0 (the Empty Buffer: no policy can satisfy it) when none. */
size_t vtpm_entity_policy(struct vtpm *t, uint32_t h, const uint8_t **policy);
/* Writes the entity's Name to name[VTPM_MAX_NAME]; returns its size (0 for the Empty
 * Buffer: a sequence object). */
size_t vtpm_entity_name(struct vtpm *t, uint32_t h, uint8_t *name);
/* Strips trailing zero octets (Part 1 "authValue": they are not significant). */
size_t vtpm_auth_trim(const uint8_t *auth, size_t len);
