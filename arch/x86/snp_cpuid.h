/*
 * The SEV-SNP CPUID page (SEV-SNP firmware ABI, "CPUID page"): the hypervisor-proposed, PSP-
 * checked CPUID results an SNP guest uses instead of executing CPUID (which raises #VC).
 * Layout: u32 count, u32 reserved, u64 reserved, then up to 64 entries of 48 bytes:
 * u32 eax_in, u32 ecx_in, u64 xcr0_in, u64 xss_in, u32 eax, ebx, ecx, edx, u64 reserved.
 * The page is parsed from a copy; a count above 64 makes it unusable. Portable.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/cpu.h"

#define SNP_CPUID_PAGE_SIZE 4096
#define SNP_CPUID_MAX_ENTRIES 64

/* Finds leaf/subleaf in a copy of the page. Returns false if absent or the page is malformed. */
bool snp_cpuid_lookup(const uint8_t *page, size_t len, uint32_t leaf, uint32_t subleaf,
		      struct cpuid_regs *out);

/*
 * The C-bit (memory-encryption bit) position from leaf 0x8000001F EBX[5:0] (APM vol 3,
 * CPUID Fn8000_001F). Returns 0 and sets *bit if found and within 32..51, else -1.
 */
int snp_cpuid_cbit(const uint8_t *page, size_t len, unsigned int *bit);
