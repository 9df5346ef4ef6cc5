/*
 * Policy session commands on policy and trial sessions: PolicyRestart (TPM 2.0 Part 3 §11.2)
 * and the Enhanced Authorization commands (Part 3 §23) PolicyPCR (§23.7), PolicyCommandCode
 * (§23.11), PolicyAuthValue (§23.17), PolicyPassword (§23.18), PolicyGetDigest (§23.19),
 * PolicyDuplicationSelect (§23.15). The other policy commands are in cmd_policy2.c.
 * The engine has checked that handle 1 is a loaded policy session (TPMI_SH_POLICY). Every
 * update is policyDigest_new = H_authHash(policyDigest_old || ...) with the command code and
 * arguments big-endian as on the wire.
 */
#include "crypto/hash.h"
#include "crypto/ct.h"
#include "kernel/string.h"
#include "vtpm/commands.h"
#include "vtpm/rc.h"
#include "vtpm/session.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

static struct vtpm_session *policy_session(struct vtpm *t, struct vtpm_cmd *c)
{
	return vtpm_session_find(t, c->handles[0]);
}

/* Commands without parameters that extend the digest with their command code only. */
static void extend_cc(struct vtpm_session *s, uint32_t cc)
{
	uint8_t b[4];

	put_be32(b, cc);
	vtpm_session_policy_extend(s, b, sizeof(b));
}

uint32_t vtpm_cmd_policy_restart(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_session *s = policy_session(t, c);
	uint32_t rc = cmd_params_end(c);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (s == NULL) {
		return TPM_RC_FAILURE;
	}
	vtpm_session_policy_reset(s);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_policy_get_digest(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_session *s = policy_session(t, c);
	uint32_t rc = cmd_params_end(c);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (s == NULL) {
		return TPM_RC_FAILURE;
	}
	mw_tpm2b(c->out, s->policy_digest, s->digest_size);
	return TPM_RC_SUCCESS;
}

/* Part 3 §23.17 / §23.18: both extend with TPM_CC_PolicyAuthValue; they differ in what the
 * authorization then checks (an HMAC with the authValue, or the authValue in clear). */
static uint32_t policy_auth(struct vtpm *t, struct vtpm_cmd *c, bool password)
{
	struct vtpm_session *s = policy_session(t, c);
	uint32_t rc = cmd_params_end(c);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (s == NULL) {
		return TPM_RC_FAILURE;
	}
	extend_cc(s, TPM_CC_POLICY_AUTH_VALUE);
	s->auth_value_needed = !password;
	s->password_needed = password;
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_policy_auth_value(struct vtpm *t, struct vtpm_cmd *c)
{
	return policy_auth(t, c, false);
}

uint32_t vtpm_cmd_policy_password(struct vtpm *t, struct vtpm_cmd *c)
{
	return policy_auth(t, c, true);
}

/* Part 3 §23.11: policyDigest_new = H(old || TPM_CC_PolicyCommandCode || code). */
uint32_t vtpm_cmd_policy_command_code(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_session *s = policy_session(t, c);
	uint32_t code = mr_u32(c->in);
	uint8_t b[8];
	uint32_t rc;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (s == NULL) {
		return TPM_RC_FAILURE;
	}
	/* A different command code was already asserted: TPM_RC_VALUE; a command this TPM
	 * does not implement: TPM_RC_POLICY_CC. */
	if (s->cc_set && s->command_code != code) {
		return rc_param(TPM_RC_VALUE, 1);
	}
	if (vtpm_command_find(code) == NULL) {
		return rc_param(TPM_RC_POLICY_CC, 1);
	}
	put_be32(b, TPM_CC_POLICY_COMMAND_CODE);
	put_be32(b + 4, code);
	vtpm_session_policy_extend(s, b, sizeof(b));
	s->cc_set = true;
	s->command_code = code;
	return TPM_RC_SUCCESS;
}

/*
 * Part 3 §23.7: digestTPM = H_authHash(the selected PCR values, in the order of the
 * selection list and by ascending PCR number within a bank); if pcrDigest is not empty it
 * must equal digestTPM (TPM_RC_VALUE), except in a trial session, which takes pcrDigest as
 * given. policyDigest_new = H(old || TPM_CC_PolicyPCR || pcrs || digestTPM), pcrs as
 * marshalled in the command.
 */
uint32_t vtpm_cmd_policy_pcr(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_session *s = policy_session(t, c);
	const struct vtpm_hash_info *hi;
	struct vtpm_pcr_sel sel;
	const uint8_t *pcr_digest;
	const uint8_t *pcrs;
	size_t pcrs_at, pcrs_len;
	uint16_t pcr_digest_size;
	uint8_t digest[VTPM_MAX_DIGEST];
	const uint8_t *use;
	size_t use_len;
	struct hash_ctx h;
	uint8_t cc[4];
	uint32_t rc;

	pcr_digest_size = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &pcr_digest);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	pcrs_at = c->in->off;
	if (mr_pcr_selection(c->in, &sel) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	pcrs_len = c->in->off - pcrs_at;
	pcrs = c->in->p + pcrs_at;
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (s == NULL) {
		return TPM_RC_FAILURE;
	}
	hi = vtpm_hash_info(s->hash);

	if (hash_init(&h, hi->id) != 0) {
		return TPM_RC_FAILURE;
	}
	for (uint32_t i = 0; i < sel.count; i++) {
		int bank = vtpm_hash_index(sel.s[i].hash);
		const struct vtpm_hash_info *bi = vtpm_hash_info((unsigned int)bank);

		for (unsigned int p = 0; p < VTPM_NUM_PCRS; p++) {
			if (sel.s[i].select[p / 8] & (1u << (p % 8))) {
				hash_update(&h, t->pcr[bank][p], bi->size);
			}
		}
	}
	hash_final(&h, digest);

	if (s->type == TPM_SE_TRIAL && pcr_digest_size != 0) {
		use = pcr_digest;
		use_len = pcr_digest_size;
	} else {
		if (pcr_digest_size != 0 &&
		    (pcr_digest_size != hi->size || !ct_memeq(pcr_digest, digest, hi->size))) {
			return rc_param(TPM_RC_VALUE, 1);
		}
		use = digest;
		use_len = hi->size;
	}
	/* A policy that already asserted PCRs must see the same PCR state (Part 3 §23.7). */
	if (s->type != TPM_SE_TRIAL && s->pcr_set && s->pcr_counter != t->pcr_counter) {
		return TPM_RC_PCR_CHANGED;
	}

	if (hash_init(&h, hi->id) != 0) {
		return TPM_RC_FAILURE;
	}
	put_be32(cc, TPM_CC_POLICY_PCR);
	hash_update(&h, s->policy_digest, s->digest_size);
	hash_update(&h, cc, sizeof(cc));
	hash_update(&h, pcrs, pcrs_len);
	hash_update(&h, use, use_len);
	hash_final(&h, s->policy_digest);
	if (s->type != TPM_SE_TRIAL) {
		s->pcr_set = true;
		s->pcr_counter = t->pcr_counter;
	}
	return TPM_RC_SUCCESS;
}

/*
 * Part 3 §23.15 TPM2_PolicyDuplicationSelect: objectName and newParentName (TPM2B_NAME),
 * includeObject (TPMI_YES_NO, else TPM_RC_VALUE + P3). A session that already holds a
 * cpHash or nameHash: TPM_RC_CPHASH; one bound to another command code: TPM_RC_COMMAND_CODE.
 * policyDigest = H(old || TPM_CC_PolicyDuplicationSelect || {objectName if includeObject} ||
 * newParentName || includeObject); the session then holds nameHash = H(objectName ||
 * newParentName) and the command code TPM_CC_Duplicate (which this TPM does not implement
 * yet, so such a policy computes in trial sessions but authorizes nothing).
 */
uint32_t vtpm_cmd_policy_duplication_select(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_session *s = policy_session(t, c);
	const uint8_t *obj, *parent;
	uint16_t obj_len, parent_len;
	uint8_t include, cc[4];
	uint8_t digest[VTPM_MAX_DIGEST];
	struct hash_ctx h;
	uint32_t rc;

	obj_len = mr_tpm2b(c->in, VTPM_MAX_NAME, &obj);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	parent_len = mr_tpm2b(c->in, VTPM_MAX_NAME, &parent);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	include = mr_u8(c->in);
	if (c->in->rc == TPM_RC_SUCCESS && include > TPM_YES) {
		mr_fail(c->in, TPM_RC_VALUE);
	}
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 3);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (s == NULL) {
		return TPM_RC_FAILURE;
	}
	if (s->cp_kind != VTPM_CP_NONE) {
		return TPM_RC_CPHASH;
	}
	if (s->cc_set && s->command_code != TPM_CC_DUPLICATE) {
		return TPM_RC_COMMAND_CODE;
	}
	if (hash_init(&h, vtpm_hash_info(s->hash)->id) != 0) {
		return TPM_RC_FAILURE;
	}
	put_be32(cc, TPM_CC_POLICY_DUPLICATION_SELECT);
	hash_update(&h, s->policy_digest, s->digest_size);
	hash_update(&h, cc, sizeof(cc));
	if (include == TPM_YES) {
		hash_update(&h, obj, obj_len);
	}
	hash_update(&h, parent, parent_len);
	hash_update(&h, &include, 1);
	hash_final(&h, digest);
	if (hash_init(&h, vtpm_hash_info(s->hash)->id) != 0) {
		return TPM_RC_FAILURE;
	}
	hash_update(&h, obj, obj_len);
	hash_update(&h, parent, parent_len);
	hash_final(&h, s->cp_hash);
	bastion_memcpy(s->policy_digest, digest, s->digest_size);
	s->cp_kind = VTPM_CP_NAMEHASH;
	s->cc_set = true;
	s->command_code = TPM_CC_DUPLICATE;
	return TPM_RC_SUCCESS;
}
