/*
 * SEV_STATUS (MSR 0xC0010131): which SEV features are active for Bastion's own VMSA (AMD APM
 * vol 2, "SEV_STATUS MSR"; bit names as Linux's MSR_AMD64_SEV_* / MSR_AMD64_SNP_* in
 * asm/msr-index.h; svsm-snp-igvm-abi.md section 3.1). SEV_STATUS bit n + 2 is SEV_FEATURES
 * bit n of a VMSA (ABI reference 4.2).
 *
 * sev_status_check() is Bastion's launch policy: SEV, SEV-ES and SNP must be on, and every
 * other bit must be one Bastion supports. The SVSM spec (58019, section 4) expects an SVSM to
 * terminate when it finds a feature it does not support (its example: VmsaRegProt). Unknown
 * and reserved bits are unsupported: a feature Bastion has not reviewed may change the rules it
 * relies on. Portable (host-tested); the MSR read is snp_insn_sev_status_read().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEV_STATUS_SEV (1ull << 0)
#define SEV_STATUS_SEV_ES (1ull << 1)
#define SEV_STATUS_SNP (1ull << 2)
#define SEV_STATUS_VTOM (1ull << 3)
#define SEV_STATUS_REFLECT_VC (1ull << 4)
#define SEV_STATUS_RESTRICTED_INJECTION (1ull << 5)
#define SEV_STATUS_ALTERNATE_INJECTION (1ull << 6)
#define SEV_STATUS_DEBUG_SWAP (1ull << 7)
#define SEV_STATUS_PREVENT_HOST_IBS (1ull << 8)
#define SEV_STATUS_BTB_ISOLATION (1ull << 9)
#define SEV_STATUS_VMPL_SSS (1ull << 10)
#define SEV_STATUS_SECURE_TSC (1ull << 11)
#define SEV_STATUS_VMGEXIT_PARAM (1ull << 12)
#define SEV_STATUS_IBS_VIRT (1ull << 14)
#define SEV_STATUS_VMSA_REG_PROT (1ull << 16)
#define SEV_STATUS_SMT_PROTECTION (1ull << 17)
#define SEV_STATUS_SECURE_AVIC (1ull << 18)
#define SEV_STATUS_IBPB_ON_ENTRY (1ull << 23)

/* Must all be set: Bastion is an SEV-SNP SVSM. */
#define SEV_STATUS_REQUIRED (SEV_STATUS_SEV | SEV_STATUS_SEV_ES | SEV_STATUS_SNP)

/*
 * May be set. Each is a protection that needs nothing from Bastion (DebugSwap: the CPU swaps
 * debug registers; PreventHostIBS, BTBIsolation, SMTProtection, IBPBOnEntry: host isolation;
 * VmplSSS: supervisor shadow-stack permission in the RMP, which Bastion never grants).
 * Everything else is refused: vTOM (Bastion assumes C-bit encryption), ReflectVC (#VC would
 * reach VMPL0 as a #VC on behalf of the guest), Restricted/Alternate Injection and SecureAVIC
 * (need #HV handling and interrupt emulation Bastion lacks), SecureTSC (needs the TSC_INFO
 * guest message and VMSA TSC fields), VmgexitParam, IBSVirt and VmsaRegProt (change the VMSA
 * format or VMGEXIT convention Bastion builds and parses), and all reserved bits.
 */
#define SEV_STATUS_SUPPORTED                                                                     \
	(SEV_STATUS_REQUIRED | SEV_STATUS_DEBUG_SWAP | SEV_STATUS_PREVENT_HOST_IBS |               \
	 SEV_STATUS_BTB_ISOLATION | SEV_STATUS_VMPL_SSS | SEV_STATUS_SMT_PROTECTION |              \
	 SEV_STATUS_IBPB_ON_ENTRY)

struct sev_status_verdict {
	bool ok;
	uint64_t missing;     /* required bits that are clear */
	uint64_t unsupported; /* set bits outside SEV_STATUS_SUPPORTED */
	uint8_t reason_set;   /* when !ok: GHCB termination reason set (0) ... */
	uint8_t reason_code;  /* ... and code (2, "SNP features unsupported") */
};

/*
 * Applies the policy above to status. Output: *out (always filled). When !out->ok the caller
 * logs sev_status_describe() of missing and unsupported, then terminates with
 * out->reason_set / out->reason_code (ghcb_msr_terminate()). No errors.
 */
void sev_status_check(uint64_t status, struct sev_status_verdict *out);

/* Readable name of SEV_STATUS bit (0..63), e.g. "SNP", "VmsaRegProt"; "reserved" if unnamed. */
const char *sev_status_bit_name(unsigned int bit);

/*
 * Writes the names of the bits set in bits, separated by single spaces ("SEV SEV-ES SNP";
 * unnamed bits as "bit13"), NUL-terminated and truncated to size - 1 characters (nothing is
 * written when size is 0). Returns the untruncated length, snprintf-style.
 */
size_t sev_status_describe(uint64_t bits, char *buf, size_t size);
