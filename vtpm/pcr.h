/*
 * PCR banks (TPM 2.0 Part 1 §17 "PCR"): 24 PCRs in each of the SHA-1, SHA-256, SHA-384 and
 * SHA-512 banks, all allocated by default.
 *
 * Attributes (a simplified TCG PC Client profile, docs/vtpm.md):
 *   - Startup(CLEAR) (TPM Reset or Restart) sets PCR 0..16 and 23 to zeros and PCR 17..22
 *     to all ones; PCR 0 ends in 0x03 when Startup came from locality 3 (H-CRTM).
 *   - Startup(STATE) after Shutdown(STATE) (TPM Resume) restores every PCR and the
 *     pcrUpdateCounter saved by the Shutdown (TPM_PT_PCR_SAVE covers all PCRs).
 *   - Extend/Event: PCR 0..16 and 23 from any locality, 17..22 from locality 2..4.
 *   - PCR_Reset: 16 and 23 from any locality, 17..22 from locality 4 only, 0..15 never
 *     (TPM_RC_LOCALITY).
 *   - Changes to PCR 16, 21, 22 and 23 do not increment pcrUpdateCounter
 *     (TPM_PT_PCR_NO_INCREMENT).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct vtpm;

void vtpm_pcr_startup_clear(struct vtpm *t, uint8_t locality);
void vtpm_pcr_resume(struct vtpm *t);
void vtpm_pcr_save(struct vtpm *t);

bool vtpm_pcr_may_extend(uint32_t pcr, uint8_t locality);
bool vtpm_pcr_may_reset(uint32_t pcr, uint8_t locality);
bool vtpm_pcr_bank_allocated(const struct vtpm *t, unsigned int bank);

/* PCR[pcr] in bank = H(PCR[pcr] || digest); digest has the bank's digest size. */
void vtpm_pcr_extend(struct vtpm *t, unsigned int bank, uint32_t pcr, const uint8_t *digest);
/* Every bank's PCR[pcr] back to zeros. */
void vtpm_pcr_reset(struct vtpm *t, uint32_t pcr);
/* Counts one PCR change in pcrUpdateCounter unless pcr is a no-increment PCR. */
void vtpm_pcr_changed(struct vtpm *t, uint32_t pcr);
