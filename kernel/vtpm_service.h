/*
 * The VM's vTPM: one instance of Bastion's TPM 2.0 engine (vtpm/vtpm.h) that the vTPM
 * protocol (protocols/vtpm_protocol.h) serves to the guest.
 *
 * vtpm_service_init (boot, after mm_init and the platform): allocates the engine's state and
 * the protocol's 4 KiB bounce buffer, manufactures the TPM (fresh primary seeds from the
 * platform entropy hook) and powers it on (_TPM_Init; NV is always on). The guest sends
 * TPM2_Startup itself, as Linux and OVMF do. Before that, at init, Bastion makes the EK for
 * the attestation manifest (Startup, CreatePrimary with the TCG EK template L-1, Flush,
 * Shutdown, _TPM_Init: the guest then finds a TPM that was never started). The TPM is ephemeral: its NV image is not
 * stored anywhere yet, so every boot is a new TPM (new seeds, new EK). Panics if it cannot be
 * created: a VM launched with an SVSM vTPM must not silently boot without one.
 *
 * Platform hooks:
 *   entropy  RDSEED/RDRAND with health checks (arch/x86/rng_hw.h); on SNP XORed with an
 *            HMAC-SHA-256 stream under a key the AMD-SP derives for Bastion (MSG_KEY_REQ, bound
 *            to the launch measurement), so the seeds do not rest on RDSEED alone.
 *   clock    the TSC divided by its frequency from CPUID 0x15 (crystal ratio) or 0x16 (base
 *            MHz); without either, 1 GHz is assumed and the boot log says so: TPM Clock and
 *            Time are then approximate (they only need to be monotonic for the TPM).
 * vtpm_service_backend: the backend for the call context; NULL before init.
 * Not thread-safe yet: one call at a time (SMP, issue #9, adds the lock).
 */
#pragma once

#include "protocols/vtpm_protocol.h"

void vtpm_service_init(void);
const struct vtpm_backend *vtpm_service_backend(void);
/* The EK's TPMT_PUBLIC (TCG EK template L-1, made at init) into out[cap], its size in *len.
 * 0, or -1 if there is no EK (the engine could not make it) or cap is too small. */
int vtpm_service_ek_public(uint8_t *out, size_t cap, size_t *len);
