/*
 * The GHCB MSR protocol (GHCB spec 56421, "GHCB MSR Protocol"; svsm-snp-igvm-abi.md section 3.3):
 * small requests carried in MSR 0xC0010130 itself, bits 11:0 naming the function, exchanged
 * with VMGEXIT. Used before a GHCB page exists (SEV information, GHCB registration, early page
 * state changes), to enter a guest VMPL (Run VMPL) and to terminate.
 *
 * Two layers:
 *   ghcb_msr_*_req() / ghcb_msr_*_decode()  pure encode/decode of one function (host-tested);
 *   ghcb_msr_<function>()                    one exchange: write the MSR, VMGEXIT, read the MSR,
 *                                            decode. The MSR is left holding the response: the
 *                                            GHCB page calls rewrite it before every exit, so
 *                                            nothing needs restoring.
 * Every response is untrusted: a wrong function code, a reserved bit, a GFN that is not the
 * one requested, or an error field is its own error; nothing is accepted silently.
 * Not reentrant: the caller keeps #VC-raising code (and interrupts) away between the MSR write
 * and the MSR read.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/snp/snp_result.h"
#include "mm/addr.h"

/* Function codes, bits 11:0 (GHCB spec 56421, "GHCB MSR Protocol"). */
#define GHCB_MSR_INFO_MASK 0xFFFull
#define GHCB_MSR_SEV_INFO_RESP 0x001ull
#define GHCB_MSR_SEV_INFO_REQ 0x002ull
#define GHCB_MSR_CPUID_REQ 0x004ull
#define GHCB_MSR_CPUID_RESP 0x005ull
#define GHCB_MSR_REG_GPA_REQ 0x012ull
#define GHCB_MSR_REG_GPA_RESP 0x013ull
#define GHCB_MSR_PSC_REQ 0x014ull
#define GHCB_MSR_PSC_RESP 0x015ull
#define GHCB_MSR_RUN_VMPL_REQ 0x016ull
#define GHCB_MSR_RUN_VMPL_RESP 0x017ull
#define GHCB_MSR_HV_FT_REQ 0x080ull
#define GHCB_MSR_HV_FT_RESP 0x081ull
#define GHCB_MSR_TERM_REQ 0x100ull

/* The GHCB protocol version Bastion speaks (SNP requires version 2). */
#define GHCB_PROTOCOL_VERSION 2u

/* CPUID register selector, request bits 31:30. */
enum ghcb_msr_cpuid_reg {
	GHCB_MSR_CPUID_EAX = 0,
	GHCB_MSR_CPUID_EBX = 1,
	GHCB_MSR_CPUID_ECX = 2,
	GHCB_MSR_CPUID_EDX = 3,
};

/* Page state change operation (request bits 55:52; also the PSC buffer entry's op field). */
enum ghcb_psc_op {
	GHCB_PSC_OP_PRIVATE = 1,
	GHCB_PSC_OP_SHARED = 2,
};

/* Hypervisor feature bits (response bits 63:12, GHCB spec 56421, "GHCB MSR Protocol"). */
#define GHCB_HV_FT_SNP (1ull << 0)
#define GHCB_HV_FT_SNP_AP_CREATION (1ull << 1)
#define GHCB_HV_FT_SNP_RESTRICTED_INJ (1ull << 2)
#define GHCB_HV_FT_SNP_RESTRICTED_INJ_TIMER (1ull << 3)
#define GHCB_HV_FT_APIC_ID_LIST (1ull << 4)
#define GHCB_HV_FT_SNP_MULTI_VMPL (1ull << 5)

/* Termination reason set 0 codes (GHCB spec 56421, "GHCB MSR Protocol": termination request). */
#define GHCB_TERM_SET_GENERAL 0u
#define GHCB_TERM_GENERAL 0u
#define GHCB_TERM_PROTOCOL_UNSUPPORTED 1u
#define GHCB_TERM_SNP_FEATURE_UNSUPPORTED 2u

/*
 * Termination reason set 1: Bastion's own codes. Sets other than 0 are not defined by the
 * GHCB spec; Linux uses set 1 for its private codes (ABI reference 3.3). Bastion keeps
 * Linux's numbers where the meaning is the same (0 GHCB registration, 1 page state change,
 * 2 PVALIDATE, 4 CPUID) and adds its own from 0x10, so a host log reads sensibly with either
 * table.
 */
#define GHCB_TERM_SET_BASTION 1u
#define BASTION_TERM_GHCB_REGISTER 0x00u /* GHCB GPA registration failed or not echoed */
#define BASTION_TERM_PSC 0x01u           /* page state change failed */
#define BASTION_TERM_PVALIDATE 0x02u     /* PVALIDATE failed */
#define BASTION_TERM_CPUID 0x04u         /* CPUID page unusable */
#define BASTION_TERM_GENERAL 0x10u       /* panic or fatal exception (snp_panic_cleanup) */
#define BASTION_TERM_GHCB_SETUP 0x11u    /* GHCB page mapping or read-back check failed */

/* Decoded SEV information response (function 0x001). */
struct ghcb_msr_sev_info {
	uint16_t max_version; /* bits 63:48 */
	uint16_t min_version; /* bits 47:32 */
	uint8_t cbit;         /* bits 31:24: the hypervisor's claim; Bastion uses the CPUID page */
};

/* ---- encoders: never fail; out-of-range arguments are rejected by the exchange functions -- */

/* SEV information request: 0x002, no data. */
uint64_t ghcb_msr_sev_info_req(void);
/* CPUID request: 0x004 | reg << 30 | leaf << 32 (subleaf 0 only). */
uint64_t ghcb_msr_cpuid_req(uint32_t leaf, enum ghcb_msr_cpuid_reg reg);
/* Register GHCB GPA request: 0x012 | gfn << 12. gfn must fit in 52 bits. */
uint64_t ghcb_msr_register_req(pfn_t gfn);
/* Page state change request: 0x014 | gfn << 12 (bits 51:12) | op << 52. gfn < 2^40. */
uint64_t ghcb_msr_psc_req(pfn_t gfn, enum ghcb_psc_op op);
/* Run VMPL request: 0x016 | vmpl << 32 (bits 39:32; bits 31:12 zero). */
uint64_t ghcb_msr_run_vmpl_req(uint8_t vmpl);
/* Hypervisor features request: 0x080, no data. */
uint64_t ghcb_msr_hv_features_req(void);
/* Termination request: 0x100 | set << 12 (bits 15:12) | code << 16 (bits 23:16). */
uint64_t ghcb_msr_terminate_req(uint8_t reason_set, uint8_t reason_code);

/* ---- decoders: pure checks of one response value ------------------------------------------ */

/*
 * SEV information response. Inputs: resp. Output: *out on SNP_OK.
 * Errors: SNP_ERR_MSR_RESP_CODE (bits 11:0 != 0x001), SNP_ERR_MSR_RESP_RESERVED (bits 23:12
 * set), SNP_ERR_GHCB_VERSION (min > max, or version 2 not in [min, max]; *out is still filled).
 */
enum snp_result ghcb_msr_sev_info_decode(uint64_t resp, struct ghcb_msr_sev_info *out);

/*
 * CPUID response. Inputs: resp, the register requested. Output: *value = bits 63:32.
 * Bits 29:12 are reserved. Bits 31:30 are reserved in the spec but KVM leaves the request's
 * register selector there, so both 0 and the requested selector are accepted.
 * Errors: SNP_ERR_MSR_RESP_CODE, SNP_ERR_MSR_RESP_RESERVED, SNP_ERR_MSR_CPUID_REG (bits 31:30
 * name another register).
 */
enum snp_result ghcb_msr_cpuid_decode(uint64_t resp, enum ghcb_msr_cpuid_reg reg,
				      uint32_t *value);

/*
 * Register GHCB GPA response. Inputs: resp, the GFN requested.
 * Errors: SNP_ERR_MSR_RESP_CODE, SNP_ERR_MSR_GFN_MISMATCH (bits 63:12 != gfn; the host refused
 * or altered the registration).
 */
enum snp_result ghcb_msr_register_decode(uint64_t resp, pfn_t gfn);

/*
 * Page state change response. Output: *hv_error = bits 63:32 (also on error, for the log).
 * Errors: SNP_ERR_MSR_RESP_CODE, SNP_ERR_MSR_RESP_RESERVED (bits 31:12 set),
 * SNP_ERR_MSR_RESP_ERROR (bits 63:32 != 0).
 */
enum snp_result ghcb_msr_psc_decode(uint64_t resp, uint32_t *hv_error);

/*
 * Run VMPL response. Output: *hv_error = bits 63:32.
 * Errors: SNP_ERR_MSR_RESP_CODE, SNP_ERR_MSR_RESP_RESERVED (bits 31:12 set),
 * SNP_ERR_MSR_RESP_ERROR (bits 63:32 != 0).
 */
enum snp_result ghcb_msr_run_vmpl_decode(uint64_t resp, uint32_t *hv_error);

/*
 * Hypervisor features response. Output: *features = bits 63:12 (shifted down).
 * Errors: SNP_ERR_MSR_RESP_CODE.
 */
enum snp_result ghcb_msr_hv_features_decode(uint64_t resp, uint64_t *features);

/* ---- exchanges: write MSR, VMGEXIT, read MSR, decode ------------------------------------- */

/* SEV information (0x002/0x001). Output and errors: ghcb_msr_sev_info_decode(). */
enum snp_result ghcb_msr_sev_info(struct ghcb_msr_sev_info *out);

/*
 * CPUID (0x004/0x005): one register of leaf (subleaf 0). The value comes from the host and is
 * not the PSP-checked CPUID page: use it only where the spec allows an unchecked value.
 * Errors: SNP_ERR_INVALID_ARG (reg > 3) and those of ghcb_msr_cpuid_decode().
 */
enum snp_result ghcb_msr_cpuid(uint32_t leaf, enum ghcb_msr_cpuid_reg reg, uint32_t *value);

/*
 * Register the GHCB page at gfn (0x012/0x013); required once per vCPU before the first GHCB
 * page exit under SNP. Errors: SNP_ERR_INVALID_ARG (gfn >= 2^52) and those of
 * ghcb_msr_register_decode().
 */
enum snp_result ghcb_msr_register(pfn_t gfn);

/*
 * Page state change of one 4 KiB page (0x014/0x015). Output: *hv_error (may be NULL).
 * Errors: SNP_ERR_INVALID_ARG (gfn >= 2^40 or op not 1/2) and those of ghcb_msr_psc_decode().
 */
enum snp_result ghcb_msr_psc(pfn_t gfn, enum ghcb_psc_op op, uint32_t *hv_error);

/*
 * Run VMPL (0x016/0x017): asks the host to run this vCPU at vmpl; returns when the host
 * resumes this VMPL. Output: *hv_error (may be NULL).
 * Errors: SNP_ERR_INVALID_ARG (vmpl > 3) and those of ghcb_msr_run_vmpl_decode().
 */
enum snp_result ghcb_msr_run_vmpl(uint8_t vmpl, uint32_t *hv_error);

/* Hypervisor features (0x080/0x081). Output and errors: ghcb_msr_hv_features_decode(). */
enum snp_result ghcb_msr_hv_features(uint64_t *features);

/*
 * Terminate the VM (0x100) with reason_set (0..15) and reason_code. Never returns: if the host
 * resumes the vCPU anyway, the request is repeated after HLT, forever. Host builds: the mock's
 * halt() ends the loop (it panics).
 */
__attribute__((noreturn)) void ghcb_msr_terminate(uint8_t reason_set, uint8_t reason_code);
