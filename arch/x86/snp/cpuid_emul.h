/*
 * CPUID emulation for Bastion itself under SEV-SNP: answers a CPUID instruction from the
 * SNP CPUID page (SEV-SNP firmware ABI, "CPUID page"; layout in arch/x86/snp_cpuid.h), the
 * hypervisor-proposed table the PSP checked at launch. Used by the #VC handler (vc.c) for
 * exit code 0x72. The hypervisor is never asked: its CPUID answers (GHCB NAE 0x72, MSR
 * function 0x004) are unchecked, so on SNP they are not acceptable for Bastion's own use.
 *
 * Rules (the same facts Linux's SNP CPUID code and the APM/SDM CPUID pages describe; the code
 * is Bastion's own):
 *   Matching. A table entry matches on its leaf (EAX in). Its subleaf (ECX in) must also
 *   match for the leaves whose output depends on ECX ("indexed" leaves: 0x4, 0x7, 0xB, 0xD,
 *   0xF, 0x10, 0x12, 0x14, 0x17, 0x18, 0x1D, 0x1E, 0x1F, 0x24, 0x8000001D); for every other
 *   leaf ECX is ignored, as the CPU ignores it. For 0xD subleaves 0 and 1 only an entry made
 *   for the base XSAVE state (XCR0_IN 1 or 3, XSS_IN 0) is used: EBX of those is recomputed
 *   below anyway.
 *   Missing entries. A hypervisor may leave all-zero leaves out of the table. A leaf that is
 *   not in the table reads as all zero; if it lies within a range the table announces (0 ..
 *   leaf 0x0 EAX, 0x40000000 .. leaf 0x40000000 EAX, 0x80000000 .. leaf 0x80000000 EAX) the
 *   dynamic fixups below still apply to the zeros (e.g. the APIC ID of leaf 0xB), outside
 *   every range the answer is all zero. Never an error, never the hypervisor.
 *   Dynamic fixups (values the table cannot hold because they depend on the vCPU or on
 *   Bastion's own control registers):
 *     0x1:        EBX[31:24] = initial APIC ID (low 8 bits of env->apic_id);
 *                 ECX[27] OSXSAVE = CR4.OSXSAVE (bit 18).
 *     0x7/0:      ECX[4] OSPKE = CR4.PKE (bit 22).
 *     0xB, 0x1F:  EDX = x2APIC ID (env->apic_id), ECX[7:0] = ECX in [7:0] (SDM: the level
 *                 number echoes the input).
 *     0xD/0:      EBX = XSAVE area size (standard format) for the features enabled in XCR0.
 *     0xD/1:      EBX = XSAVE area size (compacted format) for XCR0 | XSS; requires XSAVEC
 *                 or XSAVES in that entry's EAX (bit 1 / bit 3), else an error: the size is
 *                 undefined without compaction (Linux refuses the same case).
 *     0x8000001E: EAX = extended APIC ID (env->apic_id).
 *   Sizes: standard format = max(576, offset + size) over the enabled components i >= 2
 *   (leaf 0xD/i: EAX size, EBX offset); compacted = 576 + sum of the sizes, each component
 *   whose 0xD/i ECX[1] is set first aligned to 64 bytes (SDM vol 1, 13.4.3 "Extended region
 *   of an XSAVE area"; Linux sums the sizes without the alignment). 576 = legacy region +
 *   XSAVE header. An enabled component without a table entry is an error.
 *   APIC IDs: Linux takes them from the hypervisor's CPUID (unchecked). Bastion uses the ID
 *   it knows for the vCPU (env->apic_id: the one it assigned when it created the vCPU).
 * Portable and pure: no instruction is executed here; the caller supplies CR4/XCR0/XSS.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/cpu.h"
#include "arch/x86/snp_cpuid.h"

#define CPUID_EMUL_CR4_OSXSAVE (1ull << 18)
#define CPUID_EMUL_CR4_PKE (1ull << 22)
/* Legacy region (512) + XSAVE header (64): the size of an XSAVE area with x87/SSE only. */
#define CPUID_EMUL_XSAVE_BASE 576u

struct cpuid_emul_entry {
	uint32_t eax_in;
	uint32_t ecx_in;
	uint64_t xcr0_in;
	uint64_t xss_in;
	struct cpuid_regs out;
};

/* Bastion's private, parsed copy of the CPUID page. */
struct cpuid_emul_table {
	bool ready;
	uint32_t count;
	uint32_t std_max; /* leaf 0x0 EAX, 0 if absent */
	uint32_t hyp_max; /* leaf 0x40000000 EAX, 0 if absent */
	uint32_t ext_max; /* leaf 0x80000000 EAX, 0 if absent */
	struct cpuid_emul_entry entries[SNP_CPUID_MAX_ENTRIES];
};

/* What the fixups need from the running vCPU (read by the caller). */
struct cpuid_emul_env {
	uint64_t cr4;
	uint64_t xcr0; /* used only when CR4.OSXSAVE is set; XCR0 = 1 (x87) otherwise */
	uint64_t xss;  /* IA32_XSS; Bastion never sets it, so 0 */
	uint32_t apic_id;
};

/*
 * Parses page (len bytes: a copy of the CPUID page) into *t. Errors (return -1, t->ready
 * false): len < 16, count > 64, or the entries do not fit in len. Returns 0.
 */
int cpuid_emul_init(struct cpuid_emul_table *t, const uint8_t *page, size_t len);

/* True if leaf's output depends on the subleaf (the list above). */
bool cpuid_emul_leaf_indexed(uint32_t leaf);

/*
 * Answers CPUID(leaf, subleaf) into *out following the rules above.
 * Returns 0, or -1 if t is not ready or a 0xD size cannot be computed (a component enabled
 * in XCR0/XSS has no table entry, or 0xD/1 without XSAVEC/XSAVES); *out is then zero.
 */
int cpuid_emul(const struct cpuid_emul_table *t, const struct cpuid_emul_env *env,
	       uint32_t leaf, uint32_t subleaf, struct cpuid_regs *out);
