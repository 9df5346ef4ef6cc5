/*
 * The SEV-SNP launch digest of an IGVM file as QEMU/KVM measure it (ABI reference 5.5, 5.6):
 * one PAGE_INFO per 4 KiB page in the order QEMU issues SNP_LAUNCH_UPDATE, chained with
 * SHA-384, the VMSA(s) last.
 *
 *   PAGE_DATA (SNP mask)   NORMAL measured (zero pages too, CONTENTS = SHA-384 of the page
 *                          padded with zeros), UNMEASURED when flagged, SECRETS, CPUID for
 *                          CPUID_DATA/CPUID_XF (contents not hashed)
 *   PARAMETER_INSERT       every 4 KiB page of the parameter area, UNMEASURED
 *   VP_CONTEXT (SNP)       measured after everything else, once per vCPU, as type VMSA at
 *                          0xFFFFFFFFF000: vCPU 0 with the file's VMSA, vCPUs 1.. with the
 *                          AP VMSA the caller supplies (KVM synthesizes the APs' from QEMU's
 *                          reset state, which is not in the file)
 *   everything else        not measured
 * Files must put PARAMETER_INSERTs before PAGE_DATA (what QEMU's merging makes the measured
 * order equal to the file order, ABI reference 5.6 "ordering pitfall"); --check-kvm checks it.
 *
 * igvm_measure_kvm_check applies QEMU/KVM's rules: exactly one SNP VMSA, at 0xFFFFFFFFF000,
 * for vp_index 0, after every SNP page directive; VMPL 0; SEV_FEATURES with SNPActive; CR0
 * 0x31 or 0x30; every VMSA byte outside the fields KVM takes (GPRs, RIP, RSP, RFLAGS,
 * segments and descriptor tables, CR0/3/4, EFER, PAT, XCR0, DR6/7, X87_FCW, MXCSR,
 * SEV_FEATURES) zero; no PARAMETER_INSERT after PAGE_DATA. Returns 0, or -1 with err filled.
 * Portable host library (uses OpenSSL's SHA-384).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "igvm/igvm_parse.h"

#define IGVM_MEASURE_DIGEST_SIZE 48u

struct igvm_measure_opts {
	uint32_t vcpus;        /* VMSAs KVM measures (>= 1) */
	const uint8_t *ap_vmsa; /* 4096 bytes for vCPUs 1..vcpus-1; NULL: a zero page (and a
				 * warning from the CLI) */
};

struct igvm_measure_stats {
	uint64_t normal, zero, unmeasured, secrets, cpuid, vmsa;
};

int igvm_measure_snp(const struct igvm_file *f, const struct igvm_measure_opts *o,
		     uint8_t digest[IGVM_MEASURE_DIGEST_SIZE], struct igvm_measure_stats *st,
		     struct igvm_error *err);
int igvm_measure_kvm_check(const struct igvm_file *f, struct igvm_error *err);
