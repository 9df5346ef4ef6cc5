/*
 * Hash and event sequences (TPM 2.0 Part 3 §17): HashSequenceStart (§17.3), SequenceUpdate
 * (§17.4), SequenceComplete (§17.5) and EventSequenceComplete (§17.6). The sequence objects
 * live in the transient object slots of object.h.
 *
 * The engine has validated the handles (TPMI_DH_OBJECT: a loaded transient object, else
 * TPM_RC_REFERENCE_Hn) and authorized them: the sequence handle by its authValue (password
 * or HMAC session; its Name is the Empty Buffer, object.h), the PCR of EventSequenceComplete by the PCR's
 * (empty) authValue. HMAC sequences (HMAC_Start) are not implemented yet (docs/vtpm.md "Not yet").
 */
#include "kernel/string.h"
#include "vtpm/commands.h"
#include "vtpm/object.h"
#include "vtpm/pcr.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

/* TPM2B_MAX_BUFFER: MAX_DIGEST_BUFFER = 1024 bytes. */
#define MAX_DIGEST_BUFFER 1024u

uint32_t vtpm_cmd_hash_sequence_start(struct vtpm *t, struct vtpm_cmd *c)
{
	const uint8_t *auth;
	uint16_t auth_size;
	uint16_t alg;
	struct vtpm_object *o;
	unsigned int slot;
	uint32_t rc;

	auth_size = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &auth);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	/* TPMI_ALG_HASH+: TPM_ALG_NULL starts an event sequence. */
	if (mr_alg_hash(c->in, &alg, true) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	o = vtpm_object_alloc(t, &slot);
	if (o == NULL) {
		return TPM_RC_OBJECT_MEMORY;
	}
	bastion_memset(o, 0, sizeof(*o));
	if (alg == TPM_ALG_NULL) {
		/* Part 3 §17.3: an event sequence hashes with every implemented (here: every
		 * allocated) PCR bank's algorithm. */
		o->kind = VTPM_OBJ_EVENT_SEQUENCE;
		for (unsigned int b = 0; b < VTPM_NUM_HASHES; b++) {
			if (vtpm_pcr_bank_allocated(t, b)) {
				o->banks = (uint8_t)(o->banks | (1u << b));
				hash_init(&o->h[b], vtpm_hash_info(b)->id);
			}
		}
	} else {
		o->kind = VTPM_OBJ_HASH_SEQUENCE;
		o->hash = (uint8_t)vtpm_hash_index(alg);
		hash_init(&o->h[0], vtpm_hash_info(o->hash)->id);
	}
	/* authValue with trailing zeros removed (Part 1, "authValue"). */
	while (auth_size > 0 && auth[auth_size - 1] == 0) {
		auth_size--;
	}
	if (auth_size != 0) {
		bastion_memcpy(o->auth, auth, auth_size);
	}
	o->auth_size = auth_size;
	o->used = true;
	c->rsp_handle = vtpm_object_handle(slot);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_sequence_update(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_object *o = vtpm_object_find(t, c->handles[0]);
	const uint8_t *data;
	uint16_t size;
	uint32_t rc;

	size = mr_tpm2b(c->in, MAX_DIGEST_BUFFER, &data);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (o == NULL) {
		return TPM_RC_FAILURE; /* the engine checked the handle */
	}
	/* A loaded key is an object too: only sequences take updates (Part 3 §17.4). Found by
	 * the vtpm_execute fuzzer (tests/fuzz/regress/vtpm_execute/). */
	if (o->kind != VTPM_OBJ_HASH_SEQUENCE && o->kind != VTPM_OBJ_EVENT_SEQUENCE) {
		return rc_handle(TPM_RC_MODE, 1);
	}
	vtpm_object_update(o, data, size);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_sequence_complete(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_object *o = vtpm_object_find(t, c->handles[0]);
	uint8_t digest[VTPM_MAX_DIGEST];
	const struct vtpm_hash_info *hi;
	const uint8_t *data;
	uint16_t size;
	uint32_t hierarchy;
	uint32_t rc;

	size = mr_tpm2b(c->in, MAX_DIGEST_BUFFER, &data);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	hierarchy = mr_u32(c->in);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	if (!vtpm_hierarchy_plus(hierarchy)) {
		return rc_param(TPM_RC_VALUE, 2);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (o == NULL) {
		return TPM_RC_FAILURE;
	}
	/* Part 3 §17.5: an event sequence is completed by EventSequenceComplete only. */
	if (o->kind != VTPM_OBJ_HASH_SEQUENCE) {
		return rc_handle(TPM_RC_MODE, 1);
	}
	vtpm_object_update(o, data, size);
	hi = vtpm_hash_info(o->hash);
	hash_final(&o->h[0], digest);
	mw_tpm2b(c->out, digest, hi->size);
	/* The ticket as TPM2_Hash makes it; data that began with TPM_GENERATED_VALUE gets the
	 * NULL ticket (Part 3 §17.5). */
	vtpm_write_hashcheck(t, c->out, hierarchy, digest, hi->size, o->first, o->first_len);
	vtpm_object_flush(o);
	mem_wipe(digest, sizeof(digest));
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_event_sequence_complete(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_object *o = vtpm_object_find(t, c->handles[1]);
	uint32_t pcr = c->handles[0];
	uint8_t digest[VTPM_MAX_DIGEST];
	const uint8_t *data;
	uint16_t size;
	uint32_t rc;
	uint32_t n = 0;

	size = mr_tpm2b(c->in, MAX_DIGEST_BUFFER, &data);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (o == NULL) {
		return TPM_RC_FAILURE;
	}
	if (o->kind != VTPM_OBJ_EVENT_SEQUENCE) {
		return rc_handle(TPM_RC_MODE, 2);
	}
	if (pcr != TPM_RH_NULL && !vtpm_pcr_may_extend(pcr, c->locality)) {
		return TPM_RC_LOCALITY;
	}
	/* Part 3 §17.6: each bank's digest extends that bank of pcrHandle (not for
	 * TPM_RH_NULL) and is returned in a TPML_DIGEST_VALUES. */
	vtpm_object_update(o, data, size);
	for (unsigned int b = 0; b < VTPM_NUM_HASHES; b++) {
		n += (o->banks >> b) & 1u;
	}
	mw_u32(c->out, n);
	for (unsigned int b = 0; b < VTPM_NUM_HASHES; b++) {
		const struct vtpm_hash_info *hi = vtpm_hash_info(b);

		if (!(o->banks & (1u << b))) {
			continue;
		}
		hash_final(&o->h[b], digest);
		mw_u16(c->out, hi->alg);
		mw_bytes(c->out, digest, hi->size);
		if (pcr != TPM_RH_NULL && vtpm_pcr_bank_allocated(t, b)) {
			vtpm_pcr_extend(t, b, pcr, digest);
		}
	}
	if (pcr != TPM_RH_NULL) {
		vtpm_pcr_changed(t, pcr);
	}
	vtpm_object_flush(o);
	return TPM_RC_SUCCESS;
}
