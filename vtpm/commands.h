/*
 * The command table and the handler interface (engine.c calls, cmd_*.c implement).
 *
 * The engine has already validated the header, the handle area (each handle's type per the
 * table's handle kind), the authorization area and the authorizations themselves when a
 * handler runs. A handler:
 *   1. unmarshals every parameter from c->in, returning rc_param(code, n) on the first bad
 *      one, and then calls cmd_params_end(c) (leftover bytes are TPM_RC_SIZE);
 *   2. only then changes state (never a partial change on error);
 *   3. writes its response parameters to c->out (never more than the response can hold).
 * It returns TPM_RC_SUCCESS or the response code.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtpm/marshal.h"

struct vtpm;

#define VTPM_MAX_HANDLES 3u
#define VTPM_MAX_SESSIONS 3u

/* Handle kinds (the interface type of each command handle, Part 2 §9). */
enum vtpm_handle_kind {
	VTPM_H_NONE,
	VTPM_H_PCR,	 /* TPMI_DH_PCR: PCR 0..23 */
	VTPM_H_PCR_NULL, /* TPMI_DH_PCR+: also TPM_RH_NULL */
	VTPM_H_OBJECT_NULL, /* TPMI_DH_OBJECT+: transient, persistent, TPM_RH_NULL */
	VTPM_H_ENTITY_NULL, /* TPMI_DH_ENTITY+: hierarchies, PCRs, objects, NV, TPM_RH_NULL */
	VTPM_H_POLICY,	    /* TPMI_SH_POLICY: a loaded policy (or trial) session */
	VTPM_H_OBJECT,	    /* TPMI_DH_OBJECT: a loaded transient object (object.h) */
	VTPM_H_CONTEXT,	    /* TPMI_DH_CONTEXT: a loaded session or transient object */
	VTPM_H_HIERARCHY,   /* TPMI_RH_HIERARCHY: OWNER, ENDORSEMENT, PLATFORM (enabled) */
	VTPM_H_HIERARCHY_NULL, /* TPMI_RH_HIERARCHY+: also TPM_RH_NULL */
	VTPM_H_HIERARCHY_AUTH, /* TPMI_RH_HIERARCHY_AUTH: OWNER, ENDORSEMENT, PLATFORM, LOCKOUT */
	VTPM_H_ENABLES,	    /* TPMI_RH_ENABLES: OWNER, ENDORSEMENT, PLATFORM, PLATFORM_NV */
	VTPM_H_PROVISION,   /* TPMI_RH_PROVISION: OWNER, PLATFORM */
	VTPM_H_CLEAR,	    /* TPMI_RH_CLEAR: LOCKOUT, PLATFORM */
	VTPM_H_LOCKOUT,	    /* TPMI_RH_LOCKOUT */
	VTPM_H_PLATFORM,    /* TPMI_RH_PLATFORM */
	VTPM_H_ENDORSEMENT, /* TPMI_RH_ENDORSEMENT: ENDORSEMENT (used by e.g. ActivateCredential) */
	VTPM_H_NV_AUTH,	    /* TPMI_RH_NV_AUTH: OWNER, PLATFORM, a defined NV index */
	VTPM_H_NV_INDEX,    /* TPMI_RH_NV_INDEX: a defined NV index */
	VTPM_H_ENTITY,	    /* TPMI_DH_ENTITY (no NULL) */
};

/* Command flags (-> TPMA_CC bits). */
#define VTPM_CMD_NV 0x01u
#define VTPM_CMD_EXTENSIVE 0x02u
#define VTPM_CMD_FLUSHED 0x04u
#define VTPM_CMD_RHANDLE 0x08u
/* Parameter encryption (Part 1 §21): the first command parameter is a TPM2B (a session may
 * set decrypt), the first response parameter is a TPM2B (a session may set encrypt). */
#define VTPM_CMD_DECRYPT 0x10u
#define VTPM_CMD_ENCRYPT 0x20u
/* Handle 1 is authorized in the ADMIN role (Part 1 §19.2 "Authorization Roles"): for an NV
 * index only a policy session may authorize it (TPM_RC_AUTH_TYPE otherwise; NV_ChangeAuth,
 * NV_UndefineSpaceSpecial). */
#define VTPM_CMD_ADMIN 0x40u

struct vtpm_cmd {
	uint32_t cc;
	uint8_t locality;
	uint32_t handles[VTPM_MAX_HANDLES];
	struct mr *in;	 /* the parameter area */
	struct mw *out;	 /* the response parameter area */
	uint32_t rsp_handle; /* written by handlers of VTPM_CMD_RHANDLE commands */
	/* bit h: handle h was authorized by a policy session (not a password or HMAC); NV
	 * handlers choose between AUTHREAD/POLICYREAD etc. with it (Part 3 §31). */
	uint8_t policy_auth;
};

typedef uint32_t (*vtpm_handler)(struct vtpm *t, struct vtpm_cmd *c);

struct vtpm_command_desc {
	uint16_t cc;	   /* TPM_CC (commandIndex; no vendor commands) */
	uint8_t n_handles; /* cHandles */
	uint8_t auth_mask; /* bit i: handle i needs authorization (USER role) */
	uint8_t flags;	   /* VTPM_CMD_* */
	uint8_t kind[VTPM_MAX_HANDLES];
	vtpm_handler fn;
};

/* The table, sorted by cc (command_table.c). */
extern const struct vtpm_command_desc vtpm_commands[];
extern const unsigned int vtpm_command_count;

/* The entry for cc, or NULL. */
const struct vtpm_command_desc *vtpm_command_find(uint32_t cc);
/* The TPMA_CC value of an entry (Part 2 §8.9). */
uint32_t vtpm_command_attributes(const struct vtpm_command_desc *d);
/* True if the table is sorted, unique and self-consistent (checked by vtpm_init). */
bool vtpm_command_table_valid(void);

/* Leftover parameter bytes: TPM_RC_SIZE (Part 1 §18: the parameter area is exact). */
uint32_t cmd_params_end(struct vtpm_cmd *c);

/* TPMI_RH_HIERARCHY+ (cmd_hash.c). */
bool vtpm_hierarchy_plus(uint32_t h);
/* Writes a TPMT_TK_HASHCHECK for digest (cmd_hash.c, Part 2 §10.7.3): the NULL ticket for
 * TPM_RH_NULL or data whose first octets (first[first_len], up to 4) are
 * TPM_GENERATED_VALUE, else HMAC-SHA-256(proof, TPM_ST_HASHCHECK || digest). */
void vtpm_write_hashcheck(const struct vtpm *t, struct mw *out, uint32_t hierarchy,
			  const uint8_t *digest, size_t digest_size, const uint8_t *first,
			  size_t first_len);

/* Handlers (cmd_*.c). */
uint32_t vtpm_cmd_startup(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_shutdown(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_self_test(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_incremental_self_test(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_get_test_result(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_read_clock(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_get_random(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_stir_random(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_get_capability(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_pcr_read(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_pcr_extend(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_pcr_event(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_pcr_reset(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_hash(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_test_parms(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_start_auth_session(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_flush_context(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_policy_restart(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_policy_get_digest(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_policy_pcr(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_policy_command_code(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_policy_auth_value(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_policy_password(struct vtpm *t, struct vtpm_cmd *c);
/* policy commands (cmd_policy2.c) and PCR_Allocate (cmd_pcr.c) */
uint32_t vtpm_cmd_policy_secret(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_policy_signed(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_policy_or(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_policy_locality(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_policy_cphash(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_policy_name_hash(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_policy_nv_written(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_policy_nv(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_policy_authorize(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_policy_duplication_select(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_pcr_allocate(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_hash_sequence_start(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_sequence_update(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_sequence_complete(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_event_sequence_complete(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_context_save(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_context_load(struct vtpm *t, struct vtpm_cmd *c);
/* objects (cmd_object.c, cmd_sign.c) */
uint32_t vtpm_cmd_create_primary(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_create(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_load(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_read_public(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_unseal(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_object_change_auth(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_sign(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_verify_signature(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_evict_control(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_load_external(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_quote(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_certify(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_certify_creation(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_get_time(struct vtpm *t, struct vtpm_cmd *c);
/* key use and credentials (cmd_crypt.c, cmd_credential.c) */
uint32_t vtpm_cmd_rsa_encrypt(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_rsa_decrypt(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_ecdh_keygen(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_ecdh_zgen(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_encrypt_decrypt(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_encrypt_decrypt2(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_hmac(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_make_credential(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_activate_credential(struct vtpm *t, struct vtpm_cmd *c);
