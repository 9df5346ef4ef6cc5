/*
 * Hierarchy commands (TPM 2.0 Part 3 §24; Part 1 §13 "Primary Seeds", §14 "Hierarchies"):
 * see hierarchy.h for what each one changes. Every handler unmarshals and checks all its
 * parameters, draws any random values it needs, and only then changes state.
 */
#include "kernel/string.h"
#include "vtpm/commands.h"
#include "vtpm/da.h"
#include "vtpm/entity.h"
#include "vtpm/hierarchy.h"
#include "vtpm/nv.h"
#include "vtpm/object.h"
#include "vtpm/random.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

/* The bound on a new hierarchy authValue (Part 3 §24.8: not larger than the digest of the
 * context-integrity hash, SHA-256 here, TPM_PT_CONTEXT_HASH). */
#define MAX_HIERARCHY_AUTH VTPM_PROOF_SIZE

/* A new seed and proof for hierarchy h (VTPM_HIER_*), drawn before any state changes. */
struct fresh_seed {
	uint8_t seed[VTPM_SEED_SIZE];
	uint8_t proof[VTPM_PROOF_SIZE];
	uint8_t proof2[VTPM_PROOF_SIZE]; /* Clear: the ehProof */
};

static void install_seed(struct vtpm *t, unsigned int h, const struct fresh_seed *f)
{
	bastion_memcpy(t->ps.seeds[h], f->seed, VTPM_SEED_SIZE);
	bastion_memcpy(t->ps.proofs[h], f->proof, VTPM_PROOF_SIZE);
}

/* Objects of a hierarchy whose seed or proof changes: loaded ones flushed, persistent
 * ones evicted (Part 3 §24.6, §24.10, §24.11). */
static void drop_objects(struct vtpm *t, uint32_t hierarchy)
{
	vtpm_object_flush_hierarchy(t, hierarchy);
	vtpm_object_evict_hierarchy(t, hierarchy);
}

uint32_t vtpm_cmd_hierarchy_change_auth(struct vtpm *t, struct vtpm_cmd *c)
{
	const uint8_t *auth;
	uint16_t size = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &auth);
	size_t len;
	uint32_t rc;
	int i;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	len = vtpm_auth_trim(auth, size);
	if (len > MAX_HIERARCHY_AUTH) {
		return rc_param(TPM_RC_SIZE, 1);
	}
	i = vtpm_hierarchy_auth_index(c->handles[0]);
	if (i < 0) {
		return TPM_RC_FAILURE; /* the handle kind admits only the four */
	}
	/* The response HMAC still uses the old authValue: the engine captured it. */
	vtpm_hierarchy_set_auth(t, (unsigned int)i, auth, len);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_set_primary_policy(struct vtpm *t, struct vtpm_cmd *c)
{
	const uint8_t *policy;
	uint16_t size = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &policy);
	uint16_t alg = TPM_ALG_NULL;
	int bank;
	int i;
	uint32_t rc;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	if (mr_alg_hash(c->in, &alg, true) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	/* Part 3 §24.7: the policy is exactly one digest of hashAlg (none for NULL). */
	bank = vtpm_hash_index(alg);
	if (size != (bank < 0 ? 0u : vtpm_hash_info((unsigned int)bank)->size)) {
		return rc_param(TPM_RC_SIZE, 1);
	}
	i = vtpm_hierarchy_auth_index(c->handles[0]);
	if (i < 0) {
		return TPM_RC_FAILURE;
	}
	vtpm_hierarchy_set_policy(t, (unsigned int)i, alg, policy, size);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_hierarchy_control(struct vtpm *t, struct vtpm_cmd *c)
{
	size_t avail = mr_remaining(c->in);
	uint32_t enable = mr_u32(c->in);
	uint8_t state = mr_u8(c->in);
	uint32_t auth = c->handles[0];
	bool *flag;
	uint32_t rc;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, avail < 4 ? 1 : 2);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	switch (enable) {
	case TPM_RH_PLATFORM:
		flag = &t->ps.hier.ph_enable;
		break;
	case TPM_RH_PLATFORM_NV:
		flag = &t->ps.hier.ph_enable_nv;
		break;
	case TPM_RH_OWNER:
		flag = &t->ps.hier.sh_enable;
		break;
	case TPM_RH_ENDORSEMENT:
		flag = &t->ps.hier.eh_enable;
		break;
	default:
		return rc_param(TPM_RC_VALUE, 1); /* TPMI_RH_ENABLES */
	}
	if (state != TPM_YES && state != TPM_NO) {
		return rc_param(TPM_RC_VALUE, 2);
	}
	/* Part 3 §24.5: the platform controls every enable and is the only one that may SET
	 * one; the owner and the endorsement hierarchy may only disable themselves. */
	if (auth != TPM_RH_PLATFORM) {
		if (state == TPM_YES || enable != auth) {
			return TPM_RC_AUTH_TYPE;
		}
	}
	if (state == TPM_NO && *flag && enable != TPM_RH_PLATFORM_NV) {
		vtpm_object_flush_hierarchy(t, enable);
	}
	*flag = state == TPM_YES;
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_clear(struct vtpm *t, struct vtpm_cmd *c)
{
	struct fresh_seed f;
	uint32_t rc = cmd_params_end(c);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (t->ps.hier.disable_clear) {
		return TPM_RC_DISABLED;
	}
	if (vtpm_rng_generate(t, (uint8_t *)&f, sizeof(f)) != 0) {
		mem_wipe(&f, sizeof(f));
		return TPM_RC_FAILURE;
	}
	/* Part 3 §24.6: new Storage Primary Seed, shProof and ehProof. */
	install_seed(t, VTPM_HIER_OWNER, &f);
	bastion_memcpy(t->ps.proofs[VTPM_HIER_ENDORSEMENT], f.proof2, VTPM_PROOF_SIZE);
	mem_wipe(&f, sizeof(f));
	drop_objects(t, TPM_RH_OWNER);
	drop_objects(t, TPM_RH_ENDORSEMENT);
	vtpm_nv_clear_owner(t);
	vtpm_hierarchy_set_auth(t, VTPM_AUTH_OWNER, NULL, 0);
	vtpm_hierarchy_set_auth(t, VTPM_AUTH_ENDORSEMENT, NULL, 0);
	vtpm_hierarchy_set_auth(t, VTPM_AUTH_LOCKOUT, NULL, 0);
	vtpm_hierarchy_set_policy(t, VTPM_AUTH_OWNER, TPM_ALG_NULL, NULL, 0);
	vtpm_hierarchy_set_policy(t, VTPM_AUTH_ENDORSEMENT, TPM_ALG_NULL, NULL, 0);
	vtpm_hierarchy_set_policy(t, VTPM_AUTH_LOCKOUT, TPM_ALG_NULL, NULL, 0);
	t->ps.hier.sh_enable = true;
	t->ps.hier.eh_enable = true;
	/* Part 2 TPMS_CLOCK_INFO: Clock, resetCount and restartCount restart from zero when
	 * the Storage Primary Seed changes. The DA timers follow the new Clock. */
	t->clock_base = 0u - t->plat.clock_ms(t->plat.ctx);
	t->ps.clock_last = 0;
	t->ps.reset_count = 0;
	t->ps.restart_count = 0;
	vtpm_da_rebase(t);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_clear_control(struct vtpm *t, struct vtpm_cmd *c)
{
	uint8_t disable = mr_u8(c->in);
	uint32_t rc;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (disable != TPM_YES && disable != TPM_NO) {
		return rc_param(TPM_RC_VALUE, 1);
	}
	/* Part 3 §24.7: lockoutAuth may set disableClear but only the platform clears it. */
	if (c->handles[0] == TPM_RH_LOCKOUT && disable == TPM_NO) {
		return TPM_RC_AUTH_FAIL;
	}
	t->ps.hier.disable_clear = disable == TPM_YES;
	return TPM_RC_SUCCESS;
}

/* ChangePPS / ChangeEPS (Part 3 §24.10, §24.11): hier is VTPM_HIER_PLATFORM or
 * VTPM_HIER_ENDORSEMENT. */
static uint32_t change_seed(struct vtpm *t, struct vtpm_cmd *c, unsigned int hier)
{
	struct fresh_seed f;
	uint32_t rc = cmd_params_end(c);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (vtpm_rng_generate(t, (uint8_t *)&f, sizeof(f)) != 0) {
		mem_wipe(&f, sizeof(f));
		return TPM_RC_FAILURE;
	}
	install_seed(t, hier, &f);
	mem_wipe(&f, sizeof(f));
	if (hier == VTPM_HIER_PLATFORM) {
		drop_objects(t, TPM_RH_PLATFORM);
		vtpm_hierarchy_set_policy(t, VTPM_AUTH_PLATFORM, TPM_ALG_NULL, NULL, 0);
	} else {
		drop_objects(t, TPM_RH_ENDORSEMENT);
		vtpm_hierarchy_set_auth(t, VTPM_AUTH_ENDORSEMENT, NULL, 0);
		vtpm_hierarchy_set_policy(t, VTPM_AUTH_ENDORSEMENT, TPM_ALG_NULL, NULL, 0);
	}
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_change_pps(struct vtpm *t, struct vtpm_cmd *c)
{
	return change_seed(t, c, VTPM_HIER_PLATFORM);
}

uint32_t vtpm_cmd_change_eps(struct vtpm *t, struct vtpm_cmd *c)
{
	return change_seed(t, c, VTPM_HIER_ENDORSEMENT);
}
