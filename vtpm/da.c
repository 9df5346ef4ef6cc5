/* Dictionary-attack accounting and its two commands: see da.h. */
#include "vtpm/da.h"

#include "vtpm/commands.h"
#include "vtpm/nv.h"
#include "vtpm/object.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

static uint64_t now_ms(const struct vtpm *t)
{
	return t->clock_base + t->plat.clock_ms(t->plat.ctx);
}

/* Self-healing (Part 1 §19.8): one failure forgotten per recoveryTime of Clock. The base
 * follows the clock while nothing is counted, so old quiet time does not heal new failures
 * in advance. */
static void heal(struct vtpm *t)
{
	struct vtpm_da_state *d = &t->ps.da;
	uint64_t now = now_ms(t);
	uint64_t step;
	uint64_t n;

	if (now < d->heal_base_ms) {
		d->heal_base_ms = now; /* Clock went back (TPM2_Clear): restart */
	}
	if (d->failed_tries == 0 || d->recovery_time == 0) {
		d->heal_base_ms = now;
		return;
	}
	step = (uint64_t)d->recovery_time * 1000u;
	n = (now - d->heal_base_ms) / step;
	if (n >= d->failed_tries) {
		d->failed_tries = 0;
		d->heal_base_ms = now;
	} else {
		d->failed_tries -= (uint32_t)n;
		d->heal_base_ms += n * step;
	}
}

static void lockout_auth_expire(struct vtpm *t)
{
	struct vtpm_da_state *d = &t->ps.da;
	uint64_t now = now_ms(t);

	if (!d->lockout_auth_locked || d->lockout_recovery == 0) {
		return;
	}
	if (now < d->lockout_auth_since_ms ||
	    now - d->lockout_auth_since_ms >= (uint64_t)d->lockout_recovery * 1000u) {
		d->lockout_auth_locked = false;
	}
}

void vtpm_da_manufacture(struct vtpm *t)
{
	struct vtpm_da_state *d = &t->ps.da;

	d->failed_tries = 0;
	d->max_tries = VTPM_DA_MAX_TRIES;
	d->recovery_time = VTPM_DA_RECOVERY_TIME;
	d->lockout_recovery = VTPM_DA_LOCKOUT_RECOVERY;
	d->heal_base_ms = 0;
	d->lockout_auth_since_ms = 0;
	d->lockout_auth_locked = false;
}

void vtpm_da_tpm_reset(struct vtpm *t)
{
	if (t->ps.da.lockout_recovery == 0) {
		t->ps.da.lockout_auth_locked = false;
	}
}

void vtpm_da_rebase(struct vtpm *t)
{
	uint64_t now = now_ms(t);

	t->ps.da.heal_base_ms = now;
	t->ps.da.lockout_auth_since_ms = now;
}

bool vtpm_da_protected(struct vtpm *t, uint32_t h)
{
	if (t->ps.da.recovery_time == 0) {
		return false;
	}
	switch (h >> 24) {
	case TPM_HT_NV_INDEX:
		return vtpm_nv_da_protected(t, h);
	case TPM_HT_TRANSIENT:
	case TPM_HT_PERSISTENT:
		/* Keys with noDA clear; sequence objects are not keys (no noDA to honour). */
		return vtpm_key_find(t, h) != NULL &&
		       !(vtpm_object_attributes(t, h) & TPMA_OBJECT_NODA_BIT);
	default:
		return false; /* hierarchies (lockout has its own rule), PCRs */
	}
}

uint32_t vtpm_da_failed_tries(const struct vtpm *t)
{
	const struct vtpm_da_state *d = &t->ps.da;
	uint64_t now = now_ms(t);
	uint64_t n;

	if (d->failed_tries == 0 || d->recovery_time == 0 || now < d->heal_base_ms) {
		return d->failed_tries;
	}
	n = (now - d->heal_base_ms) / ((uint64_t)d->recovery_time * 1000u);
	return n >= d->failed_tries ? 0 : d->failed_tries - (uint32_t)n;
}

bool vtpm_da_in_lockout(const struct vtpm *t)
{
	return t->ps.da.recovery_time != 0 && vtpm_da_failed_tries(t) >= t->ps.da.max_tries;
}

uint32_t vtpm_da_check(struct vtpm *t, uint32_t h)
{
	if (h == TPM_RH_LOCKOUT) {
		lockout_auth_expire(t);
		return t->ps.da.lockout_auth_locked ? TPM_RC_LOCKOUT : TPM_RC_SUCCESS;
	}
	heal(t);
	if (vtpm_da_protected(t, h) && vtpm_da_in_lockout(t)) {
		return TPM_RC_LOCKOUT;
	}
	return TPM_RC_SUCCESS;
}

void vtpm_da_failure(struct vtpm *t, uint32_t h)
{
	struct vtpm_da_state *d = &t->ps.da;

	if (h == TPM_RH_LOCKOUT) {
		d->lockout_auth_locked = true;
		d->lockout_auth_since_ms = now_ms(t);
		return;
	}
	if (!vtpm_da_protected(t, h)) {
		return;
	}
	heal(t);
	if (d->failed_tries < d->max_tries) {
		d->failed_tries++;
	}
}

/* TPM2_DictionaryAttackLockReset (Part 3 §25.2): lockHandle TPM_RH_LOCKOUT. */
uint32_t vtpm_cmd_da_lock_reset(struct vtpm *t, struct vtpm_cmd *c)
{
	uint32_t rc = cmd_params_end(c);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	t->ps.da.failed_tries = 0;
	t->ps.da.heal_base_ms = now_ms(t);
	return TPM_RC_SUCCESS;
}

/* TPM2_DictionaryAttackParameters (Part 3 §25.3): newMaxTries, newRecoveryTime,
 * lockoutRecovery. failedTries is kept, capped at the new maxTries (a TPM in lockout stays
 * in lockout when maxTries shrinks). */
uint32_t vtpm_cmd_da_parameters(struct vtpm *t, struct vtpm_cmd *c)
{
	size_t avail = mr_remaining(c->in);
	uint32_t max_tries = mr_u32(c->in);
	uint32_t recovery = mr_u32(c->in);
	uint32_t lockout_recovery = mr_u32(c->in);
	uint32_t rc;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, avail < 4 ? 1 : avail < 8 ? 2 : 3);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	heal(t);
	t->ps.da.max_tries = max_tries;
	t->ps.da.recovery_time = recovery;
	t->ps.da.lockout_recovery = lockout_recovery;
	if (t->ps.da.failed_tries > max_tries) {
		t->ps.da.failed_tries = max_tries;
	}
	t->ps.da.heal_base_ms = now_ms(t);
	return TPM_RC_SUCCESS;
}
