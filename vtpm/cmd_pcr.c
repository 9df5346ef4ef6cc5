/*
 * PCR commands (TPM 2.0 Part 3 §22): PCR_Read, PCR_Extend, PCR_Event, PCR_Reset,
 * PCR_Allocate. PCR attributes and locality rules are in pcr.h.
 */
#include "kernel/string.h"
#include "vtpm/commands.h"
#include "vtpm/pcr.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

/* TPML_DIGEST holds at most 8 digests (Part 2 §10.9.2). */
#define MAX_PCR_READ_DIGESTS 8u
/* TPM2B_EVENT: at most 1024 bytes. */
#define MAX_EVENT_SIZE 1024u

uint32_t vtpm_cmd_pcr_read(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_pcr_sel in;
	struct vtpm_pcr_sel out;
	unsigned int n = 0;
	size_t count_at;
	uint32_t rc;

	if (mr_pcr_selection(c->in, &in) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	/* Part 3 §22.4.1: walk the selections in order and the PCRs in ascending order,
	 * returning at most 8 digests; pcrSelectionOut says exactly which ones were returned
	 * (unallocated banks and PCRs past the 8th have their bits cleared). */
	out = in;
	for (uint32_t i = 0; i < in.count; i++) {
		int bank = vtpm_hash_index(in.s[i].hash);

		for (unsigned int p = 0; p < VTPM_NUM_PCRS; p++) {
			uint8_t bit = (uint8_t)(1u << (p % 8));

			if (!(in.s[i].select[p / 8] & bit)) {
				continue;
			}
			if (!vtpm_pcr_bank_allocated(t, (unsigned int)bank) ||
			    n == MAX_PCR_READ_DIGESTS) {
				out.s[i].select[p / 8] &= (uint8_t)~bit;
				continue;
			}
			n++;
		}
	}
	mw_u32(c->out, t->pcr_counter);
	mw_pcr_selection(c->out, &out);
	count_at = c->out->off;
	mw_u32(c->out, 0);
	n = 0;
	for (uint32_t i = 0; i < out.count; i++) {
		int bank = vtpm_hash_index(out.s[i].hash);
		uint16_t size = vtpm_hash_info((unsigned int)bank)->size;

		for (unsigned int p = 0; p < VTPM_NUM_PCRS; p++) {
			if (out.s[i].select[p / 8] & (1u << (p % 8))) {
				mw_tpm2b(c->out, t->pcr[bank][p], size);
				n++;
			}
		}
	}
	mw_patch_u32(c->out, count_at, n);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_pcr_extend(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_digest_values v;
	uint32_t pcr = c->handles[0];
	uint32_t rc;

	if (mr_digest_values(c->in, &v) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	/* Part 3 §22.2: TPM_RH_NULL accepts the command and changes nothing. */
	if (pcr == TPM_RH_NULL) {
		return TPM_RC_SUCCESS;
	}
	if (!vtpm_pcr_may_extend(pcr, c->locality)) {
		return TPM_RC_LOCALITY;
	}
	/* Banks the caller did not list are left alone; a listed bank that is not allocated
	 * is skipped. */
	for (uint32_t i = 0; i < v.count; i++) {
		int bank = vtpm_hash_index(v.d[i].alg);

		if (vtpm_pcr_bank_allocated(t, (unsigned int)bank)) {
			vtpm_pcr_extend(t, (unsigned int)bank, pcr, v.d[i].digest);
		}
	}
	vtpm_pcr_changed(t, pcr);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_pcr_event(struct vtpm *t, struct vtpm_cmd *c)
{
	uint8_t digest[VTPM_MAX_DIGEST];
	uint32_t pcr = c->handles[0];
	const uint8_t *data;
	uint16_t size;
	uint32_t rc;
	uint32_t n = 0;

	size = mr_tpm2b(c->in, MAX_EVENT_SIZE, &data);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (pcr != TPM_RH_NULL && !vtpm_pcr_may_extend(pcr, c->locality)) {
		return TPM_RC_LOCALITY;
	}
	/* Part 3 §22.3: eventData is hashed with every allocated bank's algorithm, each bank
	 * extended with its digest (not for TPM_RH_NULL), and the digests returned. */
	for (unsigned int b = 0; b < VTPM_NUM_HASHES; b++) {
		n += vtpm_pcr_bank_allocated(t, b) ? 1u : 0u;
	}
	mw_u32(c->out, n);
	for (unsigned int b = 0; b < VTPM_NUM_HASHES; b++) {
		const struct vtpm_hash_info *hi = vtpm_hash_info(b);

		if (!vtpm_pcr_bank_allocated(t, b)) {
			continue;
		}
		hash_oneshot(hi->id, data, size, digest);
		mw_u16(c->out, hi->alg);
		mw_bytes(c->out, digest, hi->size);
		if (pcr != TPM_RH_NULL) {
			vtpm_pcr_extend(t, b, pcr, digest);
		}
	}
	if (pcr != TPM_RH_NULL) {
		vtpm_pcr_changed(t, pcr);
	}
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_pcr_reset(struct vtpm *t, struct vtpm_cmd *c)
{
	uint32_t pcr = c->handles[0];
	uint32_t rc = cmd_params_end(c);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (!vtpm_pcr_may_reset(pcr, c->locality)) {
		return TPM_RC_LOCALITY;
	}
	vtpm_pcr_reset(t, pcr);
	vtpm_pcr_changed(t, pcr);
	return TPM_RC_SUCCESS;
}

/*
 * Part 3 §22.5 TPM2_PCR_Allocate (platformAuth): banks listed in pcrAllocation get the
 * selection given, the others keep the current allocation; the result becomes active at the
 * next TPM Reset (pcr.c, vtpm_pcr_startup_clear) and a later PCR_Allocate replaces a pending
 * one. This TPM allocates whole banks: a selection that is neither all 24 PCRs nor none
 * answers allocationSuccess = NO and changes nothing; so does an allocation without any
 * bank (TPM_RC_PCR would be the alternative; NO keeps the caller's TPM usable). Response:
 * allocationSuccess, maxPCR (24), sizeNeeded and sizeAvailable (octets of PCR values).
 */
uint32_t vtpm_cmd_pcr_allocate(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_pcr_sel sel;
	uint8_t want = t->ps.pcr_pending != 0 ? t->ps.pcr_pending : t->ps.pcr_allocated;
	bool ok = true;
	uint32_t needed = 0, available = 0;
	uint32_t rc;

	if (mr_pcr_selection(c->in, &sel) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	for (uint32_t i = 0; i < sel.count; i++) {
		unsigned int bank = (unsigned int)vtpm_hash_index(sel.s[i].hash);
		unsigned int set = 0;

		for (unsigned int b = 0; b < VTPM_PCR_SELECT_SIZE; b++) {
			for (unsigned int k = 0; k < 8; k++) {
				set += (sel.s[i].select[b] >> k) & 1u;
			}
		}
		if (set == VTPM_NUM_PCRS) {
			want = (uint8_t)(want | (1u << bank));
		} else if (set == 0) {
			want = (uint8_t)(want & ~(1u << bank));
		} else {
			ok = false;
		}
	}
	for (unsigned int b = 0; b < VTPM_NUM_HASHES; b++) {
		uint32_t bank_size = (uint32_t)vtpm_hash_info(b)->size * VTPM_NUM_PCRS;

		available += bank_size;
		if ((want >> b) & 1u) {
			needed += bank_size;
		}
	}
	ok = ok && want != 0;
	if (ok) {
		t->ps.pcr_pending = want;
	}
	mw_u8(c->out, ok ? TPM_YES : TPM_NO);
	mw_u32(c->out, VTPM_NUM_PCRS);
	mw_u32(c->out, needed);
	mw_u32(c->out, available);
	return TPM_RC_SUCCESS;
}
