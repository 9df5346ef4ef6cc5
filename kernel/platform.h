/*
 * The platform layer: what differs between running on SEV-SNP hardware and on the native
 * (AMD-V nested paging) platform, behind one table of operations chosen once at boot.
 * Everything above it (request loop, protocols) sees guest vCPUs only as a struct vmsa
 * (arch/x86/vmsa.h) plus the reason the guest last left.
 *
 * Today the native platform implements guest memory setup, vCPU creation and guest entry;
 * the SNP primitives (arch/x86/snp/) are host-tested and get wired in with the SNP boot path.
 */
#pragma once

#include <stdint.h>

#include "arch/x86/vmsa.h"

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
};

/* Selects the platform for the IGVM platform type; panics if it is unusable. */
void platform_init(uint32_t platform_type);

/* The selected platform (after platform_init). */
const struct platform_ops *platform(void);
