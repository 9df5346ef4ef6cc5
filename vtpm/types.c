/* Typed (un)marshalling of shared Part 2 structures: see types.h. */
#include "vtpm/types.h"

#include "vtpm/rc.h"
#include "vtpm/tpm2.h"

static const struct vtpm_hash_info hash_table[VTPM_NUM_HASHES] = {
	{ TPM_ALG_SHA1, HASH_SHA1, 20 },
	{ TPM_ALG_SHA256, HASH_SHA256, 32 },
	{ TPM_ALG_SHA384, HASH_SHA384, 48 },
	{ TPM_ALG_SHA512, HASH_SHA512, 64 },
};

int vtpm_hash_index(uint16_t alg)
{
	for (unsigned int i = 0; i < VTPM_NUM_HASHES; i++) {
		if (hash_table[i].alg == alg) {
			return (int)i;
		}
	}
	return -1;
}

const struct vtpm_hash_info *vtpm_hash_info(unsigned int index)
{
	return &hash_table[index < VTPM_NUM_HASHES ? index : 1u];
}

const struct vtpm_hash_info *vtpm_hash_of(uint16_t alg)
{
	int i = vtpm_hash_index(alg);

	return i < 0 ? NULL : &hash_table[i];
}

const struct vtpm_hash_info *vtpm_hash_of_valid(uint16_t alg)
{
	int i = vtpm_hash_index(alg);

	return vtpm_hash_info(i < 0 ? VTPM_NUM_HASHES : (unsigned int)i);
}

uint32_t mr_alg_hash(struct mr *r, uint16_t *alg, bool allow_null)
{
	*alg = mr_u16(r);
	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	if (vtpm_hash_index(*alg) < 0 && !(allow_null && *alg == TPM_ALG_NULL)) {
		return mr_fail(r, TPM_RC_HASH);
	}
	return TPM_RC_SUCCESS;
}

uint32_t mr_pcr_selection(struct mr *r, struct vtpm_pcr_sel *sel)
{
	sel->count = mr_u32(r);
	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	if (sel->count > VTPM_NUM_HASHES) {
		return mr_fail(r, TPM_RC_SIZE);
	}
	for (uint32_t i = 0; i < sel->count; i++) {
		const uint8_t *bits;

		if (mr_alg_hash(r, &sel->s[i].hash, false) != TPM_RC_SUCCESS) {
			return r->rc;
		}
		sel->s[i].size_of_select = mr_u8(r);
		if (r->rc != TPM_RC_SUCCESS) {
			return r->rc;
		}
		/* Part 2 §10.6.1: sizeofSelect >= PCR_SELECT_MIN and <= PCR_SELECT_MAX. */
		if (sel->s[i].size_of_select != VTPM_PCR_SELECT_SIZE) {
			return mr_fail(r, TPM_RC_VALUE);
		}
		bits = mr_bytes(r, VTPM_PCR_SELECT_SIZE);
		if (bits == NULL) {
			return r->rc;
		}
		for (unsigned int b = 0; b < VTPM_PCR_SELECT_SIZE; b++) {
			sel->s[i].select[b] = bits[b];
		}
	}
	return TPM_RC_SUCCESS;
}

void mw_pcr_selection(struct mw *w, const struct vtpm_pcr_sel *sel)
{
	mw_u32(w, sel->count);
	for (uint32_t i = 0; i < sel->count && i < VTPM_NUM_HASHES; i++) {
		mw_u16(w, sel->s[i].hash);
		mw_u8(w, sel->s[i].size_of_select);
		mw_bytes(w, sel->s[i].select, VTPM_PCR_SELECT_SIZE);
	}
}

uint32_t mr_digest_values(struct mr *r, struct vtpm_digest_values *v)
{
	v->count = mr_u32(r);
	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	if (v->count > VTPM_NUM_HASHES) {
		return mr_fail(r, TPM_RC_SIZE);
	}
	for (uint32_t i = 0; i < v->count; i++) {
		int idx;

		if (mr_alg_hash(r, &v->d[i].alg, false) != TPM_RC_SUCCESS) {
			return r->rc;
		}
		idx = vtpm_hash_index(v->d[i].alg);
		v->d[i].digest = mr_bytes(r, hash_table[idx].size);
		if (v->d[i].digest == NULL) {
			return r->rc;
		}
	}
	return TPM_RC_SUCCESS;
}
