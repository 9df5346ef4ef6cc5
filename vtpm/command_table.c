/*
 * The command table: the single source of truth for which commands exist, their handle
 * counts and TPMA_CC attributes (Part 2 §8.9), and their handlers. TPM_CAP_COMMANDS and
 * TPM_PT_TOTAL_COMMANDS both read it, so they can never disagree (Linux checks that they
 * match, see docs/vtpm.md).
 *
 * nv (TPMA_CC.nv, "the command may write to NV"): Startup and Shutdown (saved state, clock,
 * reset counters), StirRandom (entropy state) and the PCR-changing commands (PCR state is
 * saved by Shutdown(STATE)). decrypt/encrypt: the first command/response parameter is a
 * TPM2B (Part 1 §21; Part 3 marks these commands). flushed: SequenceComplete and
 * EventSequenceComplete flush their sequence object. Kept sorted by command code:
 * vtpm_command_find bisects and TPM_CAP_COMMANDS pages in order.
 */
#include "vtpm/commands.h"

#include "vtpm/da.h"
#include "vtpm/hierarchy.h"
#include "vtpm/nv.h"
#include "vtpm/rc.h"
#include "vtpm/tpm2.h"

#define NOH { VTPM_H_NONE, VTPM_H_NONE, VTPM_H_NONE }
#define POL { VTPM_H_POLICY, VTPM_H_NONE, VTPM_H_NONE }
#define OBJ { VTPM_H_OBJECT, VTPM_H_NONE, VTPM_H_NONE }
/* Hierarchy, NV and DA commands (cmd_hierarchy.c, cmd_nv.c, da.c). */
#define H1(k) { VTPM_H_##k, VTPM_H_NONE, VTPM_H_NONE }
#define NVH { VTPM_H_NV_AUTH, VTPM_H_NV_INDEX, VTPM_H_NONE }

const struct vtpm_command_desc vtpm_commands[] = {
	{ TPM_CC_NV_UNDEFINE_SPACE_SPECIAL, 2, 0x3, VTPM_CMD_NV | VTPM_CMD_ADMIN,
	  { VTPM_H_NV_INDEX, VTPM_H_PLATFORM, VTPM_H_NONE }, vtpm_cmd_nv_undefine_space_special },
	{ TPM_CC_EVICT_CONTROL, 2, 0x1, VTPM_CMD_NV,
	  { VTPM_H_PROVISION, VTPM_H_OBJECT, VTPM_H_NONE }, vtpm_cmd_evict_control },
	{ TPM_CC_HIERARCHY_CONTROL, 1, 0x1, VTPM_CMD_NV, H1(HIERARCHY), vtpm_cmd_hierarchy_control },
	{ TPM_CC_NV_UNDEFINE_SPACE, 2, 0x1, VTPM_CMD_NV,
	  { VTPM_H_PROVISION, VTPM_H_NV_INDEX, VTPM_H_NONE }, vtpm_cmd_nv_undefine_space },
	{ TPM_CC_CHANGE_EPS, 1, 0x1, VTPM_CMD_NV, H1(PLATFORM), vtpm_cmd_change_eps },
	{ TPM_CC_CHANGE_PPS, 1, 0x1, VTPM_CMD_NV, H1(PLATFORM), vtpm_cmd_change_pps },
	{ TPM_CC_CLEAR, 1, 0x1, VTPM_CMD_NV, H1(CLEAR), vtpm_cmd_clear },
	{ TPM_CC_CLEAR_CONTROL, 1, 0x1, VTPM_CMD_NV, H1(CLEAR), vtpm_cmd_clear_control },
	{ TPM_CC_HIERARCHY_CHANGE_AUTH, 1, 0x1, VTPM_CMD_NV | VTPM_CMD_DECRYPT,
	  H1(HIERARCHY_AUTH), vtpm_cmd_hierarchy_change_auth },
	{ TPM_CC_NV_DEFINE_SPACE, 1, 0x1, VTPM_CMD_NV | VTPM_CMD_DECRYPT, H1(PROVISION),
	  vtpm_cmd_nv_define_space },
	{ TPM_CC_PCR_ALLOCATE, 1, 0x1, VTPM_CMD_NV, H1(PLATFORM), vtpm_cmd_pcr_allocate },
	{ TPM_CC_SET_PRIMARY_POLICY, 1, 0x1, VTPM_CMD_NV | VTPM_CMD_DECRYPT, H1(HIERARCHY_AUTH),
	  vtpm_cmd_set_primary_policy },
	{ TPM_CC_CREATE_PRIMARY, 1, 0x1, VTPM_CMD_RHANDLE | VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT,
	  { VTPM_H_HIERARCHY_NULL, VTPM_H_NONE, VTPM_H_NONE }, vtpm_cmd_create_primary },
	{ TPM_CC_NV_GLOBAL_WRITE_LOCK, 1, 0x1, VTPM_CMD_NV, H1(PROVISION),
	  vtpm_cmd_nv_global_write_lock },
	{ TPM_CC_NV_INCREMENT, 2, 0x1, VTPM_CMD_NV, NVH, vtpm_cmd_nv_increment },
	{ TPM_CC_NV_SET_BITS, 2, 0x1, VTPM_CMD_NV, NVH, vtpm_cmd_nv_set_bits },
	{ TPM_CC_NV_EXTEND, 2, 0x1, VTPM_CMD_NV | VTPM_CMD_DECRYPT, NVH, vtpm_cmd_nv_extend },
	{ TPM_CC_NV_WRITE, 2, 0x1, VTPM_CMD_NV | VTPM_CMD_DECRYPT, NVH, vtpm_cmd_nv_write },
	{ TPM_CC_NV_WRITE_LOCK, 2, 0x1, VTPM_CMD_NV, NVH, vtpm_cmd_nv_write_lock },
	{ TPM_CC_DICTIONARY_ATTACK_LOCK_RESET, 1, 0x1, VTPM_CMD_NV, H1(LOCKOUT),
	  vtpm_cmd_da_lock_reset },
	{ TPM_CC_DICTIONARY_ATTACK_PARAMETERS, 1, 0x1, VTPM_CMD_NV, H1(LOCKOUT),
	  vtpm_cmd_da_parameters },
	{ TPM_CC_NV_CHANGE_AUTH, 1, 0x1, VTPM_CMD_NV | VTPM_CMD_DECRYPT | VTPM_CMD_ADMIN,
	  H1(NV_INDEX), vtpm_cmd_nv_change_auth },
	{ TPM_CC_PCR_EVENT, 1, 0x1, VTPM_CMD_NV | VTPM_CMD_DECRYPT,
	  { VTPM_H_PCR_NULL, VTPM_H_NONE, VTPM_H_NONE }, vtpm_cmd_pcr_event },
	{ TPM_CC_PCR_RESET, 1, 0x1, VTPM_CMD_NV, { VTPM_H_PCR, VTPM_H_NONE, VTPM_H_NONE },
	  vtpm_cmd_pcr_reset },
	{ TPM_CC_SEQUENCE_COMPLETE, 1, 0x1, VTPM_CMD_FLUSHED | VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT,
	  OBJ, vtpm_cmd_sequence_complete },
	{ TPM_CC_INCREMENTAL_SELF_TEST, 0, 0, 0, NOH, vtpm_cmd_incremental_self_test },
	{ TPM_CC_SELF_TEST, 0, 0, 0, NOH, vtpm_cmd_self_test },
	{ TPM_CC_STARTUP, 0, 0, VTPM_CMD_NV, NOH, vtpm_cmd_startup },
	{ TPM_CC_SHUTDOWN, 0, 0, VTPM_CMD_NV, NOH, vtpm_cmd_shutdown },
	{ TPM_CC_STIR_RANDOM, 0, 0, VTPM_CMD_NV | VTPM_CMD_DECRYPT, NOH, vtpm_cmd_stir_random },
	{ TPM_CC_ACTIVATE_CREDENTIAL, 2, 0x3, VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT | VTPM_CMD_ADMIN,
	  { VTPM_H_OBJECT, VTPM_H_OBJECT, VTPM_H_NONE }, vtpm_cmd_activate_credential },
	{ TPM_CC_CERTIFY, 2, 0x3, VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT | VTPM_CMD_ADMIN,
	  { VTPM_H_OBJECT, VTPM_H_OBJECT_NULL, VTPM_H_NONE }, vtpm_cmd_certify },
	{ TPM_CC_POLICY_NV, 3, 0x1, VTPM_CMD_DECRYPT,
	  { VTPM_H_NV_AUTH, VTPM_H_NV_INDEX, VTPM_H_POLICY }, vtpm_cmd_policy_nv },
	{ TPM_CC_CERTIFY_CREATION, 2, 0x1, VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT,
	  { VTPM_H_OBJECT_NULL, VTPM_H_OBJECT, VTPM_H_NONE }, vtpm_cmd_certify_creation },
	{ TPM_CC_GET_TIME, 2, 0x3, VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT,
	  { VTPM_H_ENDORSEMENT, VTPM_H_OBJECT_NULL, VTPM_H_NONE }, vtpm_cmd_get_time },
	{ TPM_CC_NV_READ, 2, 0x1, VTPM_CMD_ENCRYPT, NVH, vtpm_cmd_nv_read },
	{ TPM_CC_NV_READ_LOCK, 2, 0x1, VTPM_CMD_NV, NVH, vtpm_cmd_nv_read_lock },
	{ TPM_CC_OBJECT_CHANGE_AUTH, 2, 0x1, VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT | VTPM_CMD_ADMIN,
	  { VTPM_H_OBJECT, VTPM_H_OBJECT, VTPM_H_NONE }, vtpm_cmd_object_change_auth },
	{ TPM_CC_POLICY_SECRET, 2, 0x1, VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT,
	  { VTPM_H_ENTITY, VTPM_H_POLICY, VTPM_H_NONE }, vtpm_cmd_policy_secret },
	{ TPM_CC_CREATE, 1, 0x1, VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT, OBJ, vtpm_cmd_create },
	{ TPM_CC_ECDH_ZGEN, 1, 0x1, VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT, OBJ, vtpm_cmd_ecdh_zgen },
	{ TPM_CC_HMAC, 1, 0x1, VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT, OBJ, vtpm_cmd_hmac },
	{ TPM_CC_LOAD, 1, 0x1, VTPM_CMD_RHANDLE | VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT, OBJ,
	  vtpm_cmd_load },
	{ TPM_CC_QUOTE, 1, 0x1, VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT, OBJ, vtpm_cmd_quote },
	{ TPM_CC_RSA_DECRYPT, 1, 0x1, VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT, OBJ,
	  vtpm_cmd_rsa_decrypt },
	{ TPM_CC_SEQUENCE_UPDATE, 1, 0x1, VTPM_CMD_DECRYPT, OBJ, vtpm_cmd_sequence_update },
	{ TPM_CC_SIGN, 1, 0x1, VTPM_CMD_DECRYPT, OBJ, vtpm_cmd_sign },
	{ TPM_CC_UNSEAL, 1, 0x1, VTPM_CMD_ENCRYPT, OBJ, vtpm_cmd_unseal },
	{ TPM_CC_POLICY_SIGNED, 2, 0, VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT,
	  { VTPM_H_OBJECT, VTPM_H_POLICY, VTPM_H_NONE }, vtpm_cmd_policy_signed },
	{ TPM_CC_CONTEXT_LOAD, 0, 0, VTPM_CMD_RHANDLE, NOH, vtpm_cmd_context_load },
	{ TPM_CC_CONTEXT_SAVE, 1, 0, 0, { VTPM_H_CONTEXT, VTPM_H_NONE, VTPM_H_NONE },
	  vtpm_cmd_context_save },
	{ TPM_CC_ECDH_KEYGEN, 1, 0, VTPM_CMD_ENCRYPT, OBJ, vtpm_cmd_ecdh_keygen },
	{ TPM_CC_ENCRYPT_DECRYPT, 1, 0x1, VTPM_CMD_ENCRYPT, OBJ, vtpm_cmd_encrypt_decrypt },
	{ TPM_CC_FLUSH_CONTEXT, 0, 0, 0, NOH, vtpm_cmd_flush_context },
	{ TPM_CC_LOAD_EXTERNAL, 0, 0, VTPM_CMD_RHANDLE | VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT, NOH,
	  vtpm_cmd_load_external },
	{ TPM_CC_MAKE_CREDENTIAL, 1, 0, VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT, OBJ,
	  vtpm_cmd_make_credential },
	{ TPM_CC_NV_READ_PUBLIC, 1, 0, VTPM_CMD_ENCRYPT, H1(NV_INDEX), vtpm_cmd_nv_read_public },
	{ TPM_CC_POLICY_AUTHORIZE, 1, 0, VTPM_CMD_DECRYPT, POL, vtpm_cmd_policy_authorize },
	{ TPM_CC_POLICY_AUTH_VALUE, 1, 0, 0, POL, vtpm_cmd_policy_auth_value },
	{ TPM_CC_POLICY_COMMAND_CODE, 1, 0, 0, POL, vtpm_cmd_policy_command_code },
	{ TPM_CC_POLICY_CPHASH, 1, 0, VTPM_CMD_DECRYPT, POL, vtpm_cmd_policy_cphash },
	{ TPM_CC_POLICY_LOCALITY, 1, 0, 0, POL, vtpm_cmd_policy_locality },
	{ TPM_CC_POLICY_NAME_HASH, 1, 0, VTPM_CMD_DECRYPT, POL, vtpm_cmd_policy_name_hash },
	{ TPM_CC_POLICY_OR, 1, 0, 0, POL, vtpm_cmd_policy_or },
	{ TPM_CC_READ_PUBLIC, 1, 0, VTPM_CMD_ENCRYPT, OBJ, vtpm_cmd_read_public },
	{ TPM_CC_RSA_ENCRYPT, 1, 0, VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT, OBJ, vtpm_cmd_rsa_encrypt },
	{ TPM_CC_START_AUTH_SESSION, 2, 0, VTPM_CMD_RHANDLE | VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT,
	  { VTPM_H_OBJECT_NULL, VTPM_H_ENTITY_NULL, VTPM_H_NONE }, vtpm_cmd_start_auth_session },
	{ TPM_CC_VERIFY_SIGNATURE, 1, 0, VTPM_CMD_DECRYPT, OBJ, vtpm_cmd_verify_signature },
	{ TPM_CC_GET_CAPABILITY, 0, 0, 0, NOH, vtpm_cmd_get_capability },
	{ TPM_CC_GET_RANDOM, 0, 0, VTPM_CMD_ENCRYPT, NOH, vtpm_cmd_get_random },
	{ TPM_CC_GET_TEST_RESULT, 0, 0, VTPM_CMD_ENCRYPT, NOH, vtpm_cmd_get_test_result },
	{ TPM_CC_HASH, 0, 0, VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT, NOH, vtpm_cmd_hash },
	{ TPM_CC_PCR_READ, 0, 0, 0, NOH, vtpm_cmd_pcr_read },
	{ TPM_CC_POLICY_PCR, 1, 0, VTPM_CMD_DECRYPT, POL, vtpm_cmd_policy_pcr },
	{ TPM_CC_POLICY_RESTART, 1, 0, 0, POL, vtpm_cmd_policy_restart },
	{ TPM_CC_READ_CLOCK, 0, 0, 0, NOH, vtpm_cmd_read_clock },
	{ TPM_CC_PCR_EXTEND, 1, 0x1, VTPM_CMD_NV, { VTPM_H_PCR_NULL, VTPM_H_NONE, VTPM_H_NONE },
	  vtpm_cmd_pcr_extend },
	{ TPM_CC_EVENT_SEQUENCE_COMPLETE, 2, 0x3, VTPM_CMD_NV | VTPM_CMD_FLUSHED | VTPM_CMD_DECRYPT,
	  { VTPM_H_PCR_NULL, VTPM_H_OBJECT, VTPM_H_NONE }, vtpm_cmd_event_sequence_complete },
	{ TPM_CC_HASH_SEQUENCE_START, 0, 0, VTPM_CMD_RHANDLE | VTPM_CMD_DECRYPT, NOH,
	  vtpm_cmd_hash_sequence_start },
	{ TPM_CC_POLICY_DUPLICATION_SELECT, 1, 0, VTPM_CMD_DECRYPT, POL,
	  vtpm_cmd_policy_duplication_select },
	{ TPM_CC_POLICY_GET_DIGEST, 1, 0, VTPM_CMD_ENCRYPT, POL, vtpm_cmd_policy_get_digest },
	{ TPM_CC_TEST_PARMS, 0, 0, 0, NOH, vtpm_cmd_test_parms },
	{ TPM_CC_POLICY_PASSWORD, 1, 0, 0, POL, vtpm_cmd_policy_password },
	{ TPM_CC_POLICY_NV_WRITTEN, 1, 0, 0, POL, vtpm_cmd_policy_nv_written },
	{ TPM_CC_ENCRYPT_DECRYPT2, 1, 0x1, VTPM_CMD_DECRYPT | VTPM_CMD_ENCRYPT, OBJ,
	  vtpm_cmd_encrypt_decrypt2 },
};

const unsigned int vtpm_command_count = sizeof(vtpm_commands) / sizeof(vtpm_commands[0]);

const struct vtpm_command_desc *vtpm_command_find(uint32_t cc)
{
	unsigned int lo = 0;
	unsigned int hi = vtpm_command_count;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (vtpm_commands[mid].cc == cc) {
			return &vtpm_commands[mid];
		}
		if (vtpm_commands[mid].cc < cc) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return NULL;
}

uint32_t vtpm_command_attributes(const struct vtpm_command_desc *d)
{
	uint32_t a = d->cc;

	if (d->flags & VTPM_CMD_NV) {
		a |= TPMA_CC_NV;
	}
	if (d->flags & VTPM_CMD_EXTENSIVE) {
		a |= TPMA_CC_EXTENSIVE;
	}
	if (d->flags & VTPM_CMD_FLUSHED) {
		a |= TPMA_CC_FLUSHED;
	}
	if (d->flags & VTPM_CMD_RHANDLE) {
		a |= TPMA_CC_RHANDLE;
	}
	a |= (uint32_t)d->n_handles << TPMA_CC_CHANDLES_SHIFT;
	return a;
}

bool vtpm_command_table_valid(void)
{
	for (unsigned int i = 0; i < vtpm_command_count; i++) {
		const struct vtpm_command_desc *d = &vtpm_commands[i];

		if (d->fn == NULL || d->n_handles > VTPM_MAX_HANDLES ||
		    (d->auth_mask >> d->n_handles) != 0) {
			return false;
		}
		for (unsigned int h = 0; h < VTPM_MAX_HANDLES; h++) {
			if ((h < d->n_handles) != (d->kind[h] != VTPM_H_NONE)) {
				return false;
			}
		}
		if (i > 0 && vtpm_commands[i - 1].cc >= d->cc) {
			return false;
		}
	}
	return true;
}

uint32_t cmd_params_end(struct vtpm_cmd *c)
{
	if (c->in->rc != TPM_RC_SUCCESS) {
		return c->in->rc;
	}
	return mr_remaining(c->in) != 0 ? TPM_RC_SIZE : TPM_RC_SUCCESS;
}
