/*
 * Building and checking guest VMSAs (struct vmsa, arch/x86/vmsa.h).
 *
 * vmsa_build_guest_boot(): the guest firmware's boot vCPU at its reset vector, with the
 * architectural reset values an SNP guest VMSA needs (svsm-snp-igvm-abi.md section 4.2
 * "Guest firmware BSP VMSA"; the same values as Linux's AP_INIT_* and COCONUT's reset-state
 * VMSA; AMD APM vol 2, table "Initial processor state" for CR0/RFLAGS/DR6/DR7/PAT/MXCSR/FCW).
 *
 * vmsa_check_create_vcpu(): the SVSM_CORE_CREATE_VCPU checks on a copy of the guest's
 * proposed VMSA (SVSM spec 58019, CREATE_VCPU; ABI reference 2.2 and 7 item 5).
 * Portable (host-tested).
 */
#pragma once

#include <stdint.h>

#include "arch/x86/snp/snp_result.h"
#include "arch/x86/vmsa.h"

/* Reset-state values (ABI reference 4.2). */
#define VMSA_BOOT_CR0 0x60000010ull      /* CD | NW | ET */
#define VMSA_BOOT_RFLAGS 0x2ull          /* reserved bit 1 */
#define VMSA_BOOT_CS_SELECTOR 0xF000u
#define VMSA_BOOT_SEG_LIMIT 0xFFFFu
#define VMSA_BOOT_CS_ATTRIB 0x09Bu       /* present, code, readable, accessed */
#define VMSA_BOOT_DATA_ATTRIB 0x093u     /* present, data, writable, accessed */
#define VMSA_BOOT_LDTR_ATTRIB 0x082u     /* present, LDT */
#define VMSA_BOOT_TR_ATTRIB 0x08Bu       /* present, busy 32-bit TSS */
#define VMSA_BOOT_DR6 0xFFFF0FF0ull
#define VMSA_BOOT_DR7 0x400ull
#define VMSA_BOOT_G_PAT 0x0007040600070406ull
#define VMSA_BOOT_XCR0 0x1ull            /* x87 */
#define VMSA_BOOT_MXCSR 0x1F80u
#define VMSA_BOOT_X87_FTW 0x5555u
#define VMSA_BOOT_X87_FCW 0x0040u

/* SEV_FEATURES bits Bastion never passes on to a guest VMSA (ABI reference 4.2): Restricted
 * Injection needs an #HV-aware guest; DebugSwap is a per-VMSA choice Bastion leaves off. */
#define VMSA_GUEST_FEATURES_DROPPED (SEV_FEATURE_RESTRICTED_INJECTION | SEV_FEATURE_DEBUG_SWAP)

/* SEV_FEATURES for a guest VMSA from Bastion's own SEV_STATUS: (status >> 2) minus
 * VMSA_GUEST_FEATURES_DROPPED. */
uint64_t vmsa_guest_sev_features(uint64_t sev_status);

/*
 * Fills *v (entirely: every other field zero) with the boot vCPU of the guest firmware:
 * real mode at reset_rip (CS base = reset_rip & 0xFFFF0000, RIP = reset_rip & 0xFFFF; OVMF's
 * 0xFFFFFFF0 gives F000:FFF0 with base 0xFFFF0000), VMPL guest_vmpl, EFER.SVME set (runnable),
 * SEV_FEATURES = vmsa_guest_sev_features(sev_status).
 * Errors: SNP_ERR_INVALID_ARG (guest_vmpl 0 or > 3, reset_rip >= 4 GiB); *v is then untouched.
 */
enum snp_result vmsa_build_guest_boot(struct vmsa *v, uint64_t reset_rip, uint8_t guest_vmpl,
				      uint64_t sev_status);

/* Result of vmsa_check_create_vcpu(), one value per rule. */
enum vmsa_check {
	VMSA_CHECK_OK = 0,
	VMSA_CHECK_VMPL_ZERO,         /* VMSA.VMPL is 0: a guest never creates VMPL0 state */
	VMSA_CHECK_VMPL_INVALID,      /* VMSA.VMPL > 3 */
	VMSA_CHECK_VMPL_BELOW_CALLER, /* VMSA.VMPL more privileged than the caller */
	VMSA_CHECK_SVME_CLEAR,        /* EFER.SVME (bit 12) is 0 */
	VMSA_CHECK_SEV_FEATURES,      /* SEV_FEATURES differ from the expected value */
};

/*
 * CREATE_VCPU checks on copy, a private copy of the guest's proposed VMSA (never the guest page
 * itself: no double fetch). Inputs: caller_vmpl (the calling guest's VMPL), expected_sev_features
 * (the boot vCPU's SEV_FEATURES; the spec says "same as the startup vCPU").
 * Returns the first rule broken, in the order of enum vmsa_check, or VMSA_CHECK_OK.
 */
enum vmsa_check vmsa_check_create_vcpu(const struct vmsa *copy, uint8_t caller_vmpl,
				       uint64_t expected_sev_features);

/* Short name of c for the log ("VMSA_CHECK_SVME_CLEAR"). */
const char *vmsa_check_name(enum vmsa_check c);
