/* PCR banks and their attributes: see pcr.h. */
#include "vtpm/pcr.h"

#include "kernel/string.h"
#include "vtpm/state.h"

void vtpm_pcr_startup_clear(struct vtpm *t, uint8_t locality)
{
	/* Part 3 §22.5: a PCR_Allocate takes effect at the next TPM Reset (a Startup(CLEAR)
	 * that does not follow a Shutdown(STATE)), not at a TPM Restart. */
	if (t->ps.shutdown != VTPM_SHUTDOWN_STATE && t->ps.pcr_pending != 0) {
		t->ps.pcr_allocated = t->ps.pcr_pending;
		t->ps.pcr_pending = 0;
	}
	bastion_memset(t->pcr, 0, sizeof(t->pcr));
	for (unsigned int b = 0; b < VTPM_NUM_HASHES; b++) {
		unsigned int size = vtpm_hash_info(b)->size;

		for (unsigned int p = 17; p <= 22; p++) {
			bastion_memset(t->pcr[b][p], 0xFF, size);
		}
		if (locality == 3) {
			t->pcr[b][0][size - 1] = 3;
		}
	}
	t->pcr_counter = 0;
}

void vtpm_pcr_resume(struct vtpm *t)
{
	bastion_memcpy(t->pcr, t->ps.saved_pcr, sizeof(t->pcr));
	t->pcr_counter = t->ps.saved_pcr_counter;
}

void vtpm_pcr_save(struct vtpm *t)
{
	bastion_memcpy(t->ps.saved_pcr, t->pcr, sizeof(t->pcr));
	t->ps.saved_pcr_counter = t->pcr_counter;
}

bool vtpm_pcr_may_extend(uint32_t pcr, uint8_t locality)
{
	if (pcr >= 17 && pcr <= 22) {
		return locality >= 2 && locality <= 4;
	}
	return pcr < VTPM_NUM_PCRS;
}

bool vtpm_pcr_may_reset(uint32_t pcr, uint8_t locality)
{
	if (pcr == 16 || pcr == 23) {
		return true;
	}
	if (pcr >= 17 && pcr <= 22) {
		return locality == 4;
	}
	return false;
}

bool vtpm_pcr_bank_allocated(const struct vtpm *t, unsigned int bank)
{
	return bank < VTPM_NUM_HASHES && ((t->ps.pcr_allocated >> bank) & 1u) != 0;
}

void vtpm_pcr_extend(struct vtpm *t, unsigned int bank, uint32_t pcr, const uint8_t *digest)
{
	const struct vtpm_hash_info *hi = vtpm_hash_info(bank);
	struct hash_ctx h;

	if (hi == NULL || pcr >= VTPM_NUM_PCRS || hash_init(&h, hi->id) != 0) {
		return;
	}
	hash_update(&h, t->pcr[bank][pcr], hi->size);
	hash_update(&h, digest, hi->size);
	hash_final(&h, t->pcr[bank][pcr]);
}

void vtpm_pcr_reset(struct vtpm *t, uint32_t pcr)
{
	if (pcr >= VTPM_NUM_PCRS) {
		return;
	}
	for (unsigned int b = 0; b < VTPM_NUM_HASHES; b++) {
		bastion_memset(t->pcr[b][pcr], 0, VTPM_MAX_DIGEST);
	}
}

void vtpm_pcr_changed(struct vtpm *t, uint32_t pcr)
{
	if (pcr != 16 && pcr != 21 && pcr != 22 && pcr != 23) {
		t->pcr_counter++;
	}
}
