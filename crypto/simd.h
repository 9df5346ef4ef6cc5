/*
 * SIMD (SSE/AES-NI/PCLMULQDQ) use inside crypto/.
 *
 * The kernel is built with -mgeneral-regs-only, and while a guest runs under Bastion its
 * XMM registers are live in the CPU (neither VMRUN nor a VMGEXIT saves them). So the
 * *_simd.c files may run only between crypto_simd_begin() and crypto_simd_end(): in the kernel
 * (arch/x86/fpu.c) begin saves the current SSE state and end restores it; on the host
 * (tests/crypto/simd_host.c) both are no-ops.
 *
 * crypto_simd_usable() says whether the CPU has what the _simd paths need (SSE4.1, AES-NI,
 * PCLMULQDQ) and the kernel has enabled it (CR4.OSFXSR). Callers pick the portable path
 * otherwise; the environment variable BASTION_NO_SIMD=1 forces the portable path on the host.
 */
#pragma once

#include <stdbool.h>

bool crypto_simd_usable(void);
void crypto_simd_begin(void);
void crypto_simd_end(void);
