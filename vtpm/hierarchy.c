/* Hierarchy authValues, authPolicies and enables: see hierarchy.h. */
#include "vtpm/hierarchy.h"

#include "kernel/string.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

int vtpm_hierarchy_auth_index(uint32_t h)
{
	switch (h) {
	case TPM_RH_PLATFORM:
		return VTPM_AUTH_PLATFORM;
	case TPM_RH_OWNER:
		return VTPM_AUTH_OWNER;
	case TPM_RH_ENDORSEMENT:
		return VTPM_AUTH_ENDORSEMENT;
	case TPM_RH_LOCKOUT:
		return VTPM_AUTH_LOCKOUT;
	default:
		return -1;
	}
}

bool vtpm_hierarchy_enabled(const struct vtpm *t, uint32_t h)
{
	switch (h) {
	case TPM_RH_PLATFORM:
		return t->ps.hier.ph_enable;
	case TPM_RH_OWNER:
		return t->ps.hier.sh_enable;
	case TPM_RH_ENDORSEMENT:
		return t->ps.hier.eh_enable;
	default:
		return true;
	}
}

size_t vtpm_hierarchy_auth(struct vtpm *t, uint32_t h, const uint8_t **auth)
{
	int i = vtpm_hierarchy_auth_index(h);

	if (i < 0 || t->ps.hier.auth_size[i] == 0) {
		*auth = NULL;
		return 0;
	}
	*auth = t->ps.hier.auth[i];
	return t->ps.hier.auth_size[i];
}

size_t vtpm_hierarchy_policy(struct vtpm *t, uint32_t h, const uint8_t **policy)
{
	int i = vtpm_hierarchy_auth_index(h);

	if (i < 0 || t->ps.hier.policy_size[i] == 0) {
		*policy = NULL;
		return 0;
	}
	*policy = t->ps.hier.policy[i];
	return t->ps.hier.policy_size[i];
}

void vtpm_hierarchy_manufacture(struct vtpm *t)
{
	mem_wipe(&t->ps.hier, sizeof(t->ps.hier));
	for (unsigned int i = 0; i < VTPM_NUM_AUTHS; i++) {
		t->ps.hier.policy_alg[i] = TPM_ALG_NULL;
	}
	vtpm_hierarchy_startup_clear(t);
}

void vtpm_hierarchy_startup_clear(struct vtpm *t)
{
	t->ps.hier.ph_enable = true;
	t->ps.hier.sh_enable = true;
	t->ps.hier.eh_enable = true;
	t->ps.hier.ph_enable_nv = true;
}

void vtpm_hierarchy_set_auth(struct vtpm *t, unsigned int i, const uint8_t *auth, size_t len)
{
	mem_wipe(t->ps.hier.auth[i], sizeof(t->ps.hier.auth[i]));
	if (len != 0) {
		bastion_memcpy(t->ps.hier.auth[i], auth, len);
	}
	t->ps.hier.auth_size[i] = (uint16_t)len;
}

void vtpm_hierarchy_set_policy(struct vtpm *t, unsigned int i, uint16_t alg,
			       const uint8_t *policy, size_t len)
{
	bastion_memset(t->ps.hier.policy[i], 0, sizeof(t->ps.hier.policy[i]));
	if (len != 0) {
		bastion_memcpy(t->ps.hier.policy[i], policy, len);
	}
	t->ps.hier.policy_size[i] = (uint16_t)len;
	t->ps.hier.policy_alg[i] = alg;
}
