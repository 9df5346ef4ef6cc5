/*
 * SSE state for crypto/: the kernel side of crypto/simd.h (crypto_simd_usable,
 * crypto_simd_begin, crypto_simd_end are implemented in arch/x86/fpu.c).
 *
 * Bastion itself is built with -mgeneral-regs-only and never keeps values in x87/MMX/XMM
 * registers. While a guest runs under Bastion its XMM registers stay live in the CPU
 * (neither VMRUN/#VMEXIT on the native platform nor a VMGEXIT saves them), so the only code
 * that touches them, crypto/ *_simd.c, runs between crypto_simd_begin(), which FXSAVEs the
 * current (guest's) state, and crypto_simd_end(), which FXRSTORs it. The restore also
 * overwrites every register the crypto code used, so no key material stays in XMM registers
 * where a guest could read it.
 *
 * Rules: begin/end pairs do not nest (nesting is a CHECK failure: the second FXSAVE would
 * overwrite the guest's state with the crypto code's); nothing in between may sleep, switch
 * vCPU or enter a guest; interrupt and exception handlers never use SIMD (they are built
 * with -mgeneral-regs-only too). Bastion runs its own code on the boot CPU only, so there
 * is one save area; it becomes per-CPU when Bastion code runs on several CPUs.
 * The SIMD code is built without -mavx: legacy-SSE instructions leave the upper halves of
 * the YMM registers alone, and FXSAVE does not save them.
 */
#pragma once

#include <stdbool.h>

/*
 * Enables SSE for the kernel, once at boot, before any crypto runs: CR0.MP = 1, CR0.EM = 0,
 * CR0.TS = 0, CR4.OSFXSR = 1, CR4.OSXMMEXCPT = 1. Records whether the CPU has everything the
 * _simd paths need (FXSR, SSE, SSE2, SSSE3, SSE4.1, AES-NI, PCLMULQDQ); if not,
 * crypto_simd_usable() stays false and crypto/ uses its portable code.
 * Uses CPUID: on SEV-SNP it must run after the #VC handler exists (or be given the CPUID
 * page's leaf 1 through fpu_init_from_cpuid).
 */
void fpu_init(void);

/* The same, with CPUID leaf 1's ECX and EDX supplied by the caller (SNP: from the CPUID
 * page). */
void fpu_init_from_cpuid(unsigned int leaf1_ecx, unsigned int leaf1_edx);

/* True while a crypto_simd_begin() has not been matched by crypto_simd_end() (for tests). */
bool fpu_simd_active(void);
