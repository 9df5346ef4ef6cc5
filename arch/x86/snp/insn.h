/*
 * SEV-SNP instructions and MSRs: the only place in Bastion that executes PVALIDATE,
 * RMPADJUST or VMGEXIT, or touches the GHCB and SEV_STATUS MSRs.
 *
 * Encodings and register conventions: AMD APM vol 3 (instruction reference: PVALIDATE,
 * RMPADJUST, VMGEXIT) and svsm-snp-igvm-abi.md section 4.1. The byte encodings are emitted
 * with .byte so the build does not depend on the assembler knowing the mnemonics.
 *
 * Kernel build: each wrapper is the bare instruction. Under BASTION_HOST the same wrappers call
 * a backend (struct snp_hw_ops) that the host tests' mock hypervisor installs
 * (tests/host/snp_mock_hv.c), so the logic above this file runs unchanged on the host.
 * Nothing here checks results: the raw outputs go to the decode helpers below and the callers
 * (ghcb_msr.c, ghcb.c, pvalidate.c), which never trust them.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#ifndef BASTION_HOST
#include "arch/x86/cpu.h"
#endif

/* MSR numbers (APM vol 2, "SEV-ES" GHCB MSR and "SEV_STATUS MSR"; GHCB spec 56421). */
#define MSR_SEV_ES_GHCB 0xC0010130u
#define MSR_SEV_STATUS 0xC0010131u

/* Page size operand of PVALIDATE (ECX) and RMPADJUST (RCX). */
enum snp_page_size {
	SNP_PAGE_4K = 0,
	SNP_PAGE_2M = 1,
};

/* Raw outputs of PVALIDATE/RMPADJUST: EAX, and rFLAGS.CF (meaningful for PVALIDATE only). */
struct snp_insn_ret {
	uint32_t eax;
	bool cf;
};

/*
 * Decoded PVALIDATE result. Hardware values are EAX; NO_CHANGE and UNEXPECTED are software
 * values chosen so that 0x80001000 + value is the SVSM result code of SVSM spec 58019 table
 * "PVALIDATE" (0x80001010 no change, 0x80001011 unexpected EAX): ABI reference 1.6.
 */
enum pvalidate_ret {
	PVALIDATE_OK = 0,
	PVALIDATE_FAIL_INPUT = 1,
	PVALIDATE_FAIL_SIZEMISMATCH = 6,
	PVALIDATE_NO_CHANGE = 0x10,
	PVALIDATE_UNEXPECTED = 0x11,
};

/* Decoded RMPADJUST result (APM vol 3, RMPADJUST: EAX), UNEXPECTED as for PVALIDATE. */
enum rmpadjust_ret {
	RMPADJUST_OK = 0,
	RMPADJUST_FAIL_INPUT = 1,
	RMPADJUST_FAIL_PERMISSION = 2,
	RMPADJUST_FAIL_SIZEMISMATCH = 6,
	RMPADJUST_UNEXPECTED = 0x11,
};

/* RMPADJUST attribute operand (RDX), APM vol 3 RMPADJUST: target VMPL 7:0, permission
 * mask 15:8, VMSA bit 16, every other bit reserved (must be zero). */
#define RMPADJUST_VMPL_MASK 0xFFull
#define RMPADJUST_PERM_SHIFT 8
#define RMPADJUST_PERM_READ 0x1u
#define RMPADJUST_PERM_WRITE 0x2u
#define RMPADJUST_PERM_EXEC_USER 0x4u
#define RMPADJUST_PERM_EXEC_SUPER 0x8u
#define RMPADJUST_PERM_ALL 0xFu
#define RMPADJUST_VMSA (1ull << 16)

/* Builds the RDX operand of RMPADJUST. perms uses the RMPADJUST_PERM_* bits. */
static inline uint64_t rmpadjust_attrs(uint8_t target_vmpl, uint8_t perms, bool vmsa)
{
	return ((uint64_t)target_vmpl & RMPADJUST_VMPL_MASK) |
	       ((uint64_t)perms << RMPADJUST_PERM_SHIFT) | (vmsa ? RMPADJUST_VMSA : 0);
}

/* Maps PVALIDATE's EAX and CF to enum pvalidate_ret. CF matters only when EAX is 0. */
static inline enum pvalidate_ret pvalidate_decode(struct snp_insn_ret r)
{
	enum pvalidate_ret ret = PVALIDATE_UNEXPECTED;

	if (r.eax == PVALIDATE_OK) {
		ret = r.cf ? PVALIDATE_NO_CHANGE : PVALIDATE_OK;
	} else if (r.eax == PVALIDATE_FAIL_INPUT) {
		ret = PVALIDATE_FAIL_INPUT;
	} else if (r.eax == PVALIDATE_FAIL_SIZEMISMATCH) {
		ret = PVALIDATE_FAIL_SIZEMISMATCH;
	}
	return ret;
}

/* Maps RMPADJUST's EAX to enum rmpadjust_ret. */
static inline enum rmpadjust_ret rmpadjust_decode(uint32_t eax)
{
	enum rmpadjust_ret ret = RMPADJUST_UNEXPECTED;

	if (eax == RMPADJUST_OK || eax == RMPADJUST_FAIL_INPUT ||
	    eax == RMPADJUST_FAIL_PERMISSION || eax == RMPADJUST_FAIL_SIZEMISMATCH) {
		ret = (enum rmpadjust_ret)eax;
	}
	return ret;
}

#ifdef BASTION_HOST

/*
 * Host-test backend: one function per instruction. Installed with snp_hw_set_ops() (by the
 * mock hypervisor); calling a wrapper with no backend installed panics.
 */
struct snp_hw_ops {
	struct snp_insn_ret (*pvalidate)(uint64_t va, uint32_t size, uint32_t validate);
	struct snp_insn_ret (*rmpadjust)(uint64_t va, uint32_t size, uint64_t attrs);
	void (*vmgexit)(void);
	uint64_t (*rdmsr)(uint32_t msr);
	void (*wrmsr)(uint32_t msr, uint64_t value);
	void (*halt)(void);
};

/* Installs ops (NULL uninstalls). Defined in arch/x86/snp/insn_host.c (host builds only). */
void snp_hw_set_ops(const struct snp_hw_ops *ops);
/* The installed backend; panics if there is none. */
const struct snp_hw_ops *snp_hw_ops_get(void);

static inline struct snp_insn_ret snp_insn_pvalidate(uint64_t va, enum snp_page_size size,
						     bool validate)
{
	return snp_hw_ops_get()->pvalidate(va, (uint32_t)size, validate ? 1u : 0u);
}

static inline struct snp_insn_ret snp_insn_rmpadjust(uint64_t va, enum snp_page_size size,
						     uint64_t attrs)
{
	return snp_hw_ops_get()->rmpadjust(va, (uint32_t)size, attrs);
}

static inline void snp_insn_vmgexit(void)
{
	snp_hw_ops_get()->vmgexit();
}

static inline uint64_t snp_insn_ghcb_msr_read(void)
{
	return snp_hw_ops_get()->rdmsr(MSR_SEV_ES_GHCB);
}

static inline void snp_insn_ghcb_msr_write(uint64_t value)
{
	snp_hw_ops_get()->wrmsr(MSR_SEV_ES_GHCB, value);
}

static inline uint64_t snp_insn_sev_status_read(void)
{
	return snp_hw_ops_get()->rdmsr(MSR_SEV_STATUS);
}

static inline void snp_insn_halt(void)
{
	snp_hw_ops_get()->halt();
}

#else /* !BASTION_HOST */

/*
 * PVALIDATE (F2 0F 01 FF). In: RAX = virtual address of the page (4 KiB aligned, 2 MiB
 * aligned for a 2 MiB page), ECX = page size, EDX = 1 validate / 0 rescind.
 * Out: EAX = 0 ok, 1 FAIL_INPUT, 6 FAIL_SIZEMISMATCH; CF = 1 if the Validated bit already had
 * the requested value (nothing changed).
 * Faults: #GP outside an SNP guest or at CPL > 0; #PF if the VA is not mapped. The caller maps
 * the page (private, C-bit set) first.
 */
static inline struct snp_insn_ret snp_insn_pvalidate(uint64_t va, enum snp_page_size size,
						     bool validate)
{
	uint64_t rax = va;
	bool cf = false;

	__asm__ volatile(".byte 0xf2, 0x0f, 0x01, 0xff"
			 : "+a"(rax), "=@ccc"(cf)
			 : "c"((uint32_t)size), "d"(validate ? 1u : 0u)
			 : "memory");
	return (struct snp_insn_ret){ .eax = (uint32_t)rax, .cf = cf };
}

/*
 * RMPADJUST (F3 0F 01 FE). In: RAX = virtual address, RCX = page size, RDX = attributes
 * (rmpadjust_attrs()). Out: EAX = 0 ok, 1 FAIL_INPUT, 2 FAIL_PERMISSION (target VMPL not less
 * privileged than the caller, or more permissions than the caller has), 6 FAIL_SIZEMISMATCH.
 * Faults: #GP outside an SNP guest or at CPL > 0; #PF if the VA is not mapped.
 */
static inline struct snp_insn_ret snp_insn_rmpadjust(uint64_t va, enum snp_page_size size,
						     uint64_t attrs)
{
	uint64_t rax = va;

	__asm__ volatile(".byte 0xf3, 0x0f, 0x01, 0xfe"
			 : "+a"(rax)
			 : "c"((uint64_t)size), "d"(attrs)
			 : "memory", "cc");
	return (struct snp_insn_ret){ .eax = (uint32_t)rax, .cf = false };
}

/*
 * VMGEXIT (F3 0F 01 D9, "rep; vmmcall"): hands control to the hypervisor, which reads the
 * GHCB MSR (a GHCB GPA or an MSR-protocol request) and, for a GHCB, the shared page.
 * No register is changed (the VMSA is protected); memory is, hence the clobber.
 * Faults: none at CPL 0 in an SEV-ES/SNP guest (#UD elsewhere).
 */
static inline void snp_insn_vmgexit(void)
{
	__asm__ volatile(".byte 0xf3, 0x0f, 0x01, 0xd9" ::: "memory");
}

/* RDMSR/WRMSR of the GHCB MSR (guest-owned state in the VMSA: never intercepted, no #VC). */
static inline uint64_t snp_insn_ghcb_msr_read(void)
{
	return cpu_rdmsr(MSR_SEV_ES_GHCB);
}

static inline void snp_insn_ghcb_msr_write(uint64_t value)
{
	cpu_wrmsr(MSR_SEV_ES_GHCB, value);
}

/* RDMSR SEV_STATUS: read-only, never intercepted; #GP if SEV is not supported at all. */
static inline uint64_t snp_insn_sev_status_read(void)
{
	return cpu_rdmsr(MSR_SEV_STATUS);
}

/* HLT (used only after a termination request the hypervisor failed to honour). */
static inline void snp_insn_halt(void)
{
	cpu_halt();
}

#endif /* BASTION_HOST */
