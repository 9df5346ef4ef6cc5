/*
 * SSE enablement and the save/restore around crypto/'s SIMD code (arch/x86/fpu.h).
 */
#include "arch/x86/fpu.h"

#include <stdint.h>

#include "arch/x86/cpu.h"
#include "crypto/simd.h"
#include "kernel/check.h"

#define CR0_MP (1ull << 1)          /* WAIT/FWAIT honour TS */
#define CR0_EM (1ull << 2)          /* x87 emulation: SSE instructions #UD when set */
#define CR0_TS (1ull << 3)          /* task switched: SSE instructions #NM when set */
#define CR4_OSXMMEXCPT (1ull << 10) /* unmasked SIMD FP exceptions raise #XM, not #UD */

/* CPUID Fn0000_0001 feature bits (AMD APM vol 3 appendix E; Intel SDM vol 2A, CPUID). */
#define CPUID1_EDX_FXSR (1u << 24)
#define CPUID1_EDX_SSE (1u << 25)
#define CPUID1_EDX_SSE2 (1u << 26)
#define CPUID1_ECX_PCLMULQDQ (1u << 1)
#define CPUID1_ECX_SSSE3 (1u << 9)
#define CPUID1_ECX_SSE41 (1u << 19)
#define CPUID1_ECX_AES (1u << 25)

/* The FXSAVE image: 512 bytes, 16-byte aligned (FXSAVE #GPs otherwise). */
struct fpu_save_area {
	uint8_t bytes[512];
} __attribute__((aligned(16)));

/*
 * Mutable state, boot CPU only (see fpu.h): written by fpu_init() once, then by begin/end.
 * fpu_save holds the guest's (or boot) SSE state while crypto code runs.
 */
static struct fpu_save_area fpu_save;
static bool fpu_simd_ok;
static bool fpu_in_use;

/*
 * MOV to CR0. Input: the new CR0 value. Faults: #GP if it sets a reserved bit, clears PG
 * or PE in long mode, or sets NW without CD. Assumes CPL 0 and a value derived from the
 * current CR0 (cpu.h has only the read; this is the only CR0 write in C).
 */
static inline void fpu_write_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" ::"r"(v) : "memory");
}

/*
 * FXSAVE64: stores x87, MMX, XMM0-15 and MXCSR (64-bit layout) to *area. Faults: #GP if area
 * is not 16-byte aligned, #NM if CR0.TS or CR0.EM is set, #UD without FXSR; none can happen
 * after fpu_init() with the static, aligned area. Does not change the register state.
 */
static inline void fpu_fxsave(struct fpu_save_area *area)
{
	__asm__ volatile("fxsave64 %0" : "=m"(*area)::"memory");
}

/*
 * FXRSTOR64: loads the state FXSAVE64 stored. Faults: as fxsave, plus #GP if the image sets
 * reserved MXCSR bits, impossible for an image FXSAVE64 wrote on this CPU.
 */
static inline void fpu_fxrstor(const struct fpu_save_area *area)
{
	__asm__ volatile("fxrstor64 %0" ::"m"(*area) : "memory");
}

void fpu_init_from_cpuid(unsigned int leaf1_ecx, unsigned int leaf1_edx)
{
	const unsigned int need_edx = CPUID1_EDX_FXSR | CPUID1_EDX_SSE | CPUID1_EDX_SSE2;
	const unsigned int need_ecx = CPUID1_ECX_PCLMULQDQ | CPUID1_ECX_SSSE3 | CPUID1_ECX_SSE41 |
				      CPUID1_ECX_AES;
	uint64_t cr0;

	fpu_simd_ok = false;
	/* FXSR, SSE and SSE2 are architectural in long mode; checked anyway, since setting
	 * CR4.OSFXSR without FXSR would #GP. */
	if ((leaf1_edx & need_edx) != need_edx) {
		return;
	}
	cr0 = cpu_read_cr0();
	cr0 = (cr0 | CR0_MP) & ~(CR0_EM | CR0_TS);
	fpu_write_cr0(cr0);
	cpu_write_cr4(cpu_read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	fpu_simd_ok = (leaf1_ecx & need_ecx) == need_ecx;
}

void fpu_init(void)
{
	struct cpuid_regs r = cpu_cpuid(1, 0);

	fpu_init_from_cpuid(r.ecx, r.edx);
}

bool crypto_simd_usable(void)
{
	return fpu_simd_ok;
}

void crypto_simd_begin(void)
{
	CHECK(fpu_simd_ok);
	CHECK(!fpu_in_use);
	fpu_in_use = true;
	fpu_fxsave(&fpu_save);
}

void crypto_simd_end(void)
{
	CHECK(fpu_in_use);
	fpu_fxrstor(&fpu_save);
	fpu_in_use = false;
}

bool fpu_simd_active(void)
{
	return fpu_in_use;
}
