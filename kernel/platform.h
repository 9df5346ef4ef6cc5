/*
 * The platform layer: what differs between running on SEV-SNP hardware and on the native
 * (AMD-V nested paging) platform, behind one table of operations chosen once at boot.
 * Everything above it (request loop, protocols) sees guest vCPUs only as a struct vmsa
 * (arch/x86/vmsa.h) plus the reason the guest last left.
 *
 * Two implementations: svm_platform_ops (arch/x86/svm/, the native platform) and
 * snp_platform_ops (arch/x86/snp/snp_platform.c).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/vmsa.h"
#include "mm/addr.h"

enum platform_exit {
	PLATFORM_EXIT_SVSM_CALL,  /* the guest asked to run VMPL0 (GHCB MSR 0x016 + VMGEXIT) */
	PLATFORM_EXIT_HALT,       /* HLT */
	PLATFORM_EXIT_SHUTDOWN,   /* the guest triple-faulted */
	PLATFORM_EXIT_TERMINATED, /* stopped by policy (e.g. it touched Bastion's memory) */
};

struct platform_vcpu;
struct core_backend;

struct platform_ops {
	const char *name;
	/* The VMSA's VMPL and SEV_FEATURES mean something (SNP); natively they are cleared. */
	bool has_vmpls;
	/* Prepares guest memory (native: nested page tables from the page-state ledger).
	 * Returns 0 or -1 (out of memory). */
	int (*guest_memory_init)(void);
	/* Creates a guest vCPU with all-zero registers; NULL when out of memory. */
	struct platform_vcpu *(*vcpu_create)(void);
	/* The vCPU's registers in VMSA layout; valid between entries. */
	struct vmsa *(*vcpu_vmsa)(struct platform_vcpu *v);
	/* Runs the guest on this CPU until it needs Bastion; exit details are in the VMSA
	 * (guest_exit_code / guest_exit_info_1 / guest_exit_info_2). */
	enum platform_exit (*enter_guest)(struct platform_vcpu *v);
	/* The memory and vCPU primitives the core protocol uses (protocols/core_backend.h). */
	const struct core_backend *(*core_backend)(void);
	/* Makes the 4 KiB guest page at gpa validated, zeroed memory the guest VMPL may use,
	 * for a page Bastion fills before the guest starts (secrets copy, calling area).
	 * SNP: PVALIDATE, zero, RMPADJUST; native: guest RAM already is. Returns 0 or -1. */
	int (*guest_page_accept)(gpa_t gpa);
	/* SEV_STATUS, from which the boot VMSA's SEV_FEATURES derive (0 natively). */
	uint64_t (*guest_sev_status)(void);
	/* The platform's signed attestation report binding report_data[64] (SNP: the AMD-SP's
	 * ATTESTATION_REPORT through MSG_REPORT_REQ at VMPL0), into report[0..cap), its length in
	 * *len. Returns 0; -2 when the AMD-SP stayed busy (nothing consumed, VMPCK0 kept: try
	 * again later); -1 when the platform has none or the request failed (logged). Native:
	 * a software report signed by a per-boot key (kernel/native_report.h). */
	int (*attestation_report)(const uint8_t report_data[64], uint8_t *report, size_t cap, size_t *len);
	/* A 32-byte key derived by the platform's root of trust, bound to Bastion's launch
	 * measurement and the fields guest_field_select names (SNP: MSG_KEY_REQ, VCEK root,
	 * VMPL0). Returns 0, or -1 (none on this platform, or the request failed). */
	int (*derived_key)(uint64_t guest_field_select, uint8_t key[32]);
};

/* Selects the platform for the IGVM platform type; panics if it is unusable. */
void platform_init(uint32_t platform_type);

/* The selected platform (after platform_init). */
const struct platform_ops *platform(void);
