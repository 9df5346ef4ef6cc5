/*
 * GHCB MSR protocol (GHCB spec 56421, "GHCB MSR Protocol"; svsm-snp-igvm-abi.md section 3.3).
 * Bit layouts are written out here once, as shifts and masks.
 */
#include "arch/x86/snp/ghcb_msr.h"

#include <stddef.h>

#include "arch/x86/snp/insn.h"

/* Response data fields. */
#define SEV_INFO_RESERVED_MASK 0x0000000000FFF000ull /* bits 23:12 */
#define CPUID_REG_SHIFT 30
#define CPUID_RESERVED_MASK 0x000000003FFFF000ull /* bits 29:12 */
#define DATA_LOW_SHIFT 12
#define DATA_31_12_MASK 0x00000000FFFFF000ull /* bits 31:12 */
#define GFN_52_MAX (1ull << 52)
#define GFN_40_MAX (1ull << 40)
#define PSC_OP_SHIFT 52
#define RUN_VMPL_SHIFT 32
#define TERM_SET_SHIFT 12
#define TERM_CODE_SHIFT 16

static uint64_t ghcb_msr_code(uint64_t v)
{
	return v & GHCB_MSR_INFO_MASK;
}

uint64_t ghcb_msr_sev_info_req(void)
{
	return GHCB_MSR_SEV_INFO_REQ;
}

uint64_t ghcb_msr_cpuid_req(uint32_t leaf, enum ghcb_msr_cpuid_reg reg)
{
	return GHCB_MSR_CPUID_REQ | (((uint64_t)reg & 0x3u) << CPUID_REG_SHIFT) |
	       ((uint64_t)leaf << 32);
}

uint64_t ghcb_msr_register_req(pfn_t gfn)
{
	return GHCB_MSR_REG_GPA_REQ | ((pfn_get(gfn) & (GFN_52_MAX - 1)) << DATA_LOW_SHIFT);
}

uint64_t ghcb_msr_psc_req(pfn_t gfn, enum ghcb_psc_op op)
{
	return GHCB_MSR_PSC_REQ | ((pfn_get(gfn) & (GFN_40_MAX - 1)) << DATA_LOW_SHIFT) |
	       (((uint64_t)op & 0xFu) << PSC_OP_SHIFT);
}

uint64_t ghcb_msr_run_vmpl_req(uint8_t vmpl)
{
	return GHCB_MSR_RUN_VMPL_REQ | ((uint64_t)vmpl << RUN_VMPL_SHIFT);
}

uint64_t ghcb_msr_hv_features_req(void)
{
	return GHCB_MSR_HV_FT_REQ;
}

uint64_t ghcb_msr_terminate_req(uint8_t reason_set, uint8_t reason_code)
{
	return GHCB_MSR_TERM_REQ | (((uint64_t)reason_set & 0xFu) << TERM_SET_SHIFT) |
	       ((uint64_t)reason_code << TERM_CODE_SHIFT);
}

enum snp_result ghcb_msr_sev_info_decode(uint64_t resp, struct ghcb_msr_sev_info *out)
{
	if (ghcb_msr_code(resp) != GHCB_MSR_SEV_INFO_RESP) {
		return SNP_ERR_MSR_RESP_CODE;
	}
	if ((resp & SEV_INFO_RESERVED_MASK) != 0) {
		return SNP_ERR_MSR_RESP_RESERVED;
	}
	out->max_version = (uint16_t)(resp >> 48);
	out->min_version = (uint16_t)(resp >> 32);
	out->cbit = (uint8_t)(resp >> 24);
	if (out->min_version > out->max_version || out->min_version > GHCB_PROTOCOL_VERSION ||
	    out->max_version < GHCB_PROTOCOL_VERSION) {
		return SNP_ERR_GHCB_VERSION;
	}
	return SNP_OK;
}

enum snp_result ghcb_msr_cpuid_decode(uint64_t resp, enum ghcb_msr_cpuid_reg reg,
				      uint32_t *value)
{
	uint64_t resp_reg = 0;

	if (ghcb_msr_code(resp) != GHCB_MSR_CPUID_RESP) {
		return SNP_ERR_MSR_RESP_CODE;
	}
	if ((resp & CPUID_RESERVED_MASK) != 0) {
		return SNP_ERR_MSR_RESP_RESERVED;
	}
	resp_reg = (resp >> CPUID_REG_SHIFT) & 0x3u;
	if (resp_reg != 0 && resp_reg != (uint64_t)reg) {
		return SNP_ERR_MSR_CPUID_REG;
	}
	*value = (uint32_t)(resp >> 32);
	return SNP_OK;
}

enum snp_result ghcb_msr_register_decode(uint64_t resp, pfn_t gfn)
{
	if (ghcb_msr_code(resp) != GHCB_MSR_REG_GPA_RESP) {
		return SNP_ERR_MSR_RESP_CODE;
	}
	if ((resp >> DATA_LOW_SHIFT) != pfn_get(gfn)) {
		return SNP_ERR_MSR_GFN_MISMATCH;
	}
	return SNP_OK;
}

/* Shared by the PSC and Run VMPL responses: bits 31:12 reserved, 63:32 error. */
static enum snp_result ghcb_msr_error_decode(uint64_t resp, uint64_t code, uint32_t *hv_error)
{
	if (ghcb_msr_code(resp) != code) {
		return SNP_ERR_MSR_RESP_CODE;
	}
	if ((resp & DATA_31_12_MASK) != 0) {
		return SNP_ERR_MSR_RESP_RESERVED;
	}
	*hv_error = (uint32_t)(resp >> 32);
	if (*hv_error != 0) {
		return SNP_ERR_MSR_RESP_ERROR;
	}
	return SNP_OK;
}

enum snp_result ghcb_msr_psc_decode(uint64_t resp, uint32_t *hv_error)
{
	return ghcb_msr_error_decode(resp, GHCB_MSR_PSC_RESP, hv_error);
}

enum snp_result ghcb_msr_run_vmpl_decode(uint64_t resp, uint32_t *hv_error)
{
	return ghcb_msr_error_decode(resp, GHCB_MSR_RUN_VMPL_RESP, hv_error);
}

enum snp_result ghcb_msr_hv_features_decode(uint64_t resp, uint64_t *features)
{
	if (ghcb_msr_code(resp) != GHCB_MSR_HV_FT_RESP) {
		return SNP_ERR_MSR_RESP_CODE;
	}
	*features = resp >> DATA_LOW_SHIFT;
	return SNP_OK;
}

/* One MSR-protocol round trip. The response is read exactly once. */
static uint64_t ghcb_msr_exchange(uint64_t req)
{
	snp_insn_ghcb_msr_write(req);
	snp_insn_vmgexit();
	return snp_insn_ghcb_msr_read();
}

enum snp_result ghcb_msr_sev_info(struct ghcb_msr_sev_info *out)
{
	return ghcb_msr_sev_info_decode(ghcb_msr_exchange(ghcb_msr_sev_info_req()), out);
}

enum snp_result ghcb_msr_cpuid(uint32_t leaf, enum ghcb_msr_cpuid_reg reg, uint32_t *value)
{
	if ((unsigned int)reg > GHCB_MSR_CPUID_EDX) {
		return SNP_ERR_INVALID_ARG;
	}
	return ghcb_msr_cpuid_decode(ghcb_msr_exchange(ghcb_msr_cpuid_req(leaf, reg)), reg, value);
}

enum snp_result ghcb_msr_register(pfn_t gfn)
{
	if (pfn_get(gfn) >= GFN_52_MAX) {
		return SNP_ERR_INVALID_ARG;
	}
	return ghcb_msr_register_decode(ghcb_msr_exchange(ghcb_msr_register_req(gfn)), gfn);
}

enum snp_result ghcb_msr_psc(pfn_t gfn, enum ghcb_psc_op op, uint32_t *hv_error)
{
	uint32_t err = 0;
	enum snp_result r = SNP_OK;

	if (pfn_get(gfn) >= GFN_40_MAX || (op != GHCB_PSC_OP_PRIVATE && op != GHCB_PSC_OP_SHARED)) {
		return SNP_ERR_INVALID_ARG;
	}
	r = ghcb_msr_psc_decode(ghcb_msr_exchange(ghcb_msr_psc_req(gfn, op)), &err);
	if (hv_error != NULL) {
		*hv_error = err;
	}
	return r;
}

enum snp_result ghcb_msr_run_vmpl(uint8_t vmpl, uint32_t *hv_error)
{
	uint32_t err = 0;
	enum snp_result r = SNP_OK;

	if (vmpl > 3) {
		return SNP_ERR_INVALID_ARG;
	}
	r = ghcb_msr_run_vmpl_decode(ghcb_msr_exchange(ghcb_msr_run_vmpl_req(vmpl)), &err);
	if (hv_error != NULL) {
		*hv_error = err;
	}
	return r;
}

enum snp_result ghcb_msr_hv_features(uint64_t *features)
{
	return ghcb_msr_hv_features_decode(ghcb_msr_exchange(ghcb_msr_hv_features_req()),
					   features);
}

void ghcb_msr_terminate(uint8_t reason_set, uint8_t reason_code)
{
	uint64_t req = ghcb_msr_terminate_req(reason_set, reason_code);

	for (;;) {
		snp_insn_ghcb_msr_write(req);
		snp_insn_vmgexit();
		snp_insn_halt();
	}
}
