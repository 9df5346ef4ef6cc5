/*
 * Hierarchies and the permanent handles (TPM 2.0 Part 1 §13 "Primary Seeds", §14.4
 * "Permanent Handles" / "Hierarchies"): each of PLATFORM, OWNER, ENDORSEMENT and LOCKOUT has
 * an authValue and an authPolicy (with its hash algorithm); PLATFORM, OWNER and ENDORSEMENT
 * each have an enable (phEnable, shEnable, ehEnable) and the platform one phEnableNV.
 *
 * Contract:
 *   - The state lives in struct vtpm (state.h, `hier`), in its persistent part: authValues,
 *     authPolicies and disableClear survive power cycles; the enables are SET again by every
 *     Startup(CLEAR) (TPM Reset and TPM Restart, Part 1 "TPM Operational States") and kept
 *     by a TPM Resume.
 *   - At manufacture every authValue and authPolicy is the Empty Buffer, every hierarchy is
 *     enabled.
 *   - The Name of a permanent handle is the handle (Part 1 §16); TPM_RH_NULL and the
 *     password handle have the empty authValue and no policy.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtpm/types.h"

struct vtpm;

/* Index of the auth slots: PLATFORM, OWNER, ENDORSEMENT, LOCKOUT. */
#define VTPM_AUTH_PLATFORM 0u
#define VTPM_AUTH_OWNER 1u
#define VTPM_AUTH_ENDORSEMENT 2u
#define VTPM_AUTH_LOCKOUT 3u
#define VTPM_NUM_AUTHS 4u

struct vtpm_hierarchy_state {
	uint8_t auth[VTPM_NUM_AUTHS][VTPM_MAX_DIGEST];
	uint16_t auth_size[VTPM_NUM_AUTHS];
	uint8_t policy[VTPM_NUM_AUTHS][VTPM_MAX_DIGEST];
	uint16_t policy_size[VTPM_NUM_AUTHS];
	uint16_t policy_alg[VTPM_NUM_AUTHS]; /* TPM_ALG_NULL when no policy */
	bool ph_enable;
	bool sh_enable;
	bool eh_enable;
	bool ph_enable_nv;
	bool disable_clear;
};

/* VTPM_AUTH_* of a permanent handle with an authValue, or -1. */
int vtpm_hierarchy_auth_index(uint32_t h);
/* True for a hierarchy (or TPM_RH_NULL, LOCKOUT) that is enabled; false for a disabled one. */
bool vtpm_hierarchy_enabled(const struct vtpm *t, uint32_t h);
size_t vtpm_hierarchy_auth(struct vtpm *t, uint32_t h, const uint8_t **auth);
size_t vtpm_hierarchy_policy(struct vtpm *t, uint32_t h, const uint8_t **policy);
/* Factory values (vtpm_manufacture). */
void vtpm_hierarchy_manufacture(struct vtpm *t);
/* Startup(CLEAR): the enables SET (Part 1 "TPM Reset"/"TPM Restart"). */
void vtpm_hierarchy_startup_clear(struct vtpm *t);
/* Sets (len <= VTPM_MAX_DIGEST, trailing zeros already removed) or empties (len 0) the
 * authValue of slot i (VTPM_AUTH_*). */
void vtpm_hierarchy_set_auth(struct vtpm *t, unsigned int i, const uint8_t *auth, size_t len);
/* Sets the authPolicy of slot i; alg TPM_ALG_NULL with len 0 removes it. */
void vtpm_hierarchy_set_policy(struct vtpm *t, unsigned int i, uint16_t alg,
			       const uint8_t *policy, size_t len);

/* Handlers (cmd_hierarchy.c, Part 3 §24 "Hierarchy Commands"):
 *   HierarchyChangeAuth  new authValue (at most 32 octets after trailing zeros are
 *                        removed: the context-integrity hash, SHA-256, is the bound)
 *   SetPrimaryPolicy     authPolicy + hashAlg of PLATFORM/OWNER/ENDORSEMENT/LOCKOUT
 *   HierarchyControl     enables; only PLATFORM may SET one; disabling a hierarchy flushes
 *                        its loaded objects
 *   Clear                new owner seed, new shProof/ehProof (DRBG), owner/endorsement
 *                        objects flushed and evicted, owner NV indices removed, owner/
 *                        endorsement/lockout auths and policies reset, shEnable/ehEnable
 *                        SET, Clock/resetCount/restartCount zero; refused (TPM_RC_DISABLED)
 *                        while disableClear is SET
 *   ClearControl         disableClear; LOCKOUT may only SET it
 *   ChangePPS, ChangeEPS new platform / endorsement seed and proof, that hierarchy's
 *                        objects flushed and evicted, its policy (and for EPS its auth)
 *                        reset */
struct vtpm_cmd;
uint32_t vtpm_cmd_hierarchy_change_auth(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_set_primary_policy(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_hierarchy_control(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_clear(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_clear_control(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_change_pps(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_change_eps(struct vtpm *t, struct vtpm_cmd *c);
