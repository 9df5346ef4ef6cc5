/*
 * Dictionary-attack protection (TPM 2.0 Part 1 §19.8 "Dictionary Attack Protection"; Part 3
 * §25 "Dictionary Attack Functions").
 *
 * A DA-protected entity is one whose authValue can be guessed: a key (TPMA_OBJECT noDA
 * clear) or an NV index (TPMA_NV_NO_DA clear). Hierarchy authValues (owner, endorsement,
 * platform) are not DA-protected; sequence objects are not either (no public area, no noDA
 * bit to honour). lockoutAuth has its own rule.
 *
 * Contract:
 *   - Every failed authValue check (password, HMAC, policy with PolicyAuthValue or
 *     PolicyPassword) of a DA-protected entity adds one to failedTries; failedTries >=
 *     maxTries is lockout: further authValue uses of DA-protected entities answer
 *     TPM_RC_LOCKOUT (policy-only authorizations still work). Every recoveryTime seconds
 *     of Clock one failure is forgotten (self-healing). recoveryTime 0 disables DA
 *     protection: nothing is counted and nothing locks.
 *   - A failed lockoutAuth check locks lockoutAuth for lockoutRecovery seconds; with
 *     lockoutRecovery 0 it stays locked until the next TPM Reset.
 *   - Time is the TPM's Clock (Part 1 §36): t->clock_base + the platform clock hook, which
 *     only advances while the TPM is powered, so recovery needs a powered TPM as Part 1
 *     requires.
 *   - Factory values (this TPM's choice, docs/vtpm.md): maxTries 32, recoveryTime 7200 s
 *     (2 h), lockoutRecovery 86400 s (24 h), failedTries 0.
 *   - Not implemented: the "failure assumed after a non-orderly shutdown" rule (the state
 *     here is written through, so no failure can be lost).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct vtpm;
struct vtpm_cmd;

#define VTPM_DA_MAX_TRIES 32u
#define VTPM_DA_RECOVERY_TIME 7200u
#define VTPM_DA_LOCKOUT_RECOVERY 86400u

struct vtpm_da_state {
	uint32_t failed_tries;
	uint32_t max_tries;
	uint32_t recovery_time;	   /* seconds */
	uint32_t lockout_recovery; /* seconds */
	uint64_t heal_base_ms;	   /* Clock from which the next self-healing step counts */
	uint64_t lockout_auth_since_ms; /* Clock when lockoutAuth was locked */
	bool lockout_auth_locked;
};

/* Factory values (vtpm_manufacture). */
void vtpm_da_manufacture(struct vtpm *t);
/* TPM Reset (Startup(CLEAR) without a saved state): a lockoutAuth lockout with
 * lockoutRecovery 0 ends. */
void vtpm_da_tpm_reset(struct vtpm *t);
/* The Clock jumped (TPM2_Clear resets it): restart the timers from now. */
void vtpm_da_rebase(struct vtpm *t);
/* True if handle h names a DA-protected entity (and DA protection is on). */
bool vtpm_da_protected(struct vtpm *t, uint32_t h);
/* TPM_RC_SUCCESS, or TPM_RC_LOCKOUT when an authValue use of h must be refused now. */
uint32_t vtpm_da_check(struct vtpm *t, uint32_t h);
/* Records a failed authValue check of h. */
void vtpm_da_failure(struct vtpm *t, uint32_t h);
/* failedTries after self-healing (TPM_PT_LOCKOUT_COUNTER). */
uint32_t vtpm_da_failed_tries(const struct vtpm *t);
bool vtpm_da_in_lockout(const struct vtpm *t);

/* Handlers (Part 3 §25). */
uint32_t vtpm_cmd_da_lock_reset(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_da_parameters(struct vtpm *t, struct vtpm_cmd *c);
