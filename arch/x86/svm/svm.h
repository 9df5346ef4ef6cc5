/*
 * The native platform: Bastion runs the guest as an AMD-V (SVM) guest with nested paging.
 * The nested page tables map only pages the page-state ledger gives to the guest, never
 * Bastion's region, so the guest cannot touch Bastion's memory (a nested page fault stops it).
 * Guest registers are kept in VMSA layout, like on SNP.
 *
 * Exit policy (what enter_guest does with each #VMEXIT):
 *   VMMCALL with the virtual GHCB MSR holding a Run-VMPL-0 request (0x016, VMPL 0)
 *                        -> answer 0x017 in the MSR, return PLATFORM_EXIT_SVSM_CALL
 *   RDMSR/WRMSR          -> emulated by msr_emul.c (GHCB MSR 0xC0010130 included); an MSR it
 *                           does not emulate gets #GP, as on hardware without it
 *   IN/OUT (non-string)  -> only ports that could end or reset the VM or CPU exit; they act
 *                           as absent hardware; wider accesses overlapping them are forwarded
 *   HLT                  -> PLATFORM_EXIT_HALT
 *   SHUTDOWN             -> PLATFORM_EXIT_SHUTDOWN
 *   nested page fault    -> logged with the GPA (and whether it is Bastion's), guest stopped:
 *                           PLATFORM_EXIT_TERMINATED
 *   anything else (string I/O, INIT, unmapped GPAs, ...) -> logged, guest stopped
 *                           (TERMINATED).
 * A stopped vCPU stays stopped: further entries return TERMINATED at once.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel/platform.h"
#include "mm/addr.h"
#include "mm/page_state.h"

/* True if the CPU offers SVM with nested paging and next-RIP saving (CPUID 0x8000000A). */
bool svm_supported(void);

/* The native platform's operations (kernel/platform.c selects them). */
extern const struct platform_ops svm_platform_ops;

/* Why the vCPU was stopped, for logs and tests: the exit code, and the GPA of a nested page
 * fault (0 otherwise). */
struct svm_stop_info {
	uint64_t exit_code;
	uint64_t fault_gpa;
	bool bastion_memory;
};

bool svm_vcpu_stop_info(struct platform_vcpu *v, struct svm_stop_info *out);

/* The virtual GHCB MSR value (tests check the 0x017 answer). */
uint64_t svm_vcpu_ghcb_msr(struct platform_vcpu *v);

/*
 * Gives the guest (grant) or takes away (revoke) access to the 4 KiB page or 2 MiB chunk at
 * gpa in the nested page tables: the native counterpart of RMPADJUST for the guest VMPL.
 * Returns a CORE_ARCH_* code (protocols/core_backend.h): OK, NO_MEMORY (a table or a split
 * needed a page), FAULT.
 */
uint32_t svm_npt_set_access(gpa_t gpa, enum page_size size, bool grant);

/* True if the nested tables map gpa for the guest (tests). */
bool svm_npt_guest_accessible(gpa_t gpa);

/* The core protocol's backend on the native platform (arch/x86/svm/svm_core.c). */
struct core_backend;
const struct core_backend *svm_core_backend(void);
