/*
 * The CPU's random-number instructions, RDSEED and RDRAND (Intel SDM vol. 1 §7.3.17 and vol. 2;
 * AMD APM vol. 3), wrapped with health checks, as the entropy source that seeds the HMAC_DRBG
 * (crypto/drbg.h).
 *
 * Inputs: out[len], any len (0 allowed).
 * Outputs: 0 and len bytes of hardware random data in out; or a negative RNG_HW_ERR_* with
 *   out zeroed (callers must never use partial output).
 * Faults (the errors):
 *   RNG_HW_ERR_UNSUPPORTED  neither instruction is offered (CPUID), or out is NULL with len > 0.
 *   RNG_HW_ERR_EXHAUSTED    a word could not be had within RNG_HW_RETRIES tries of RDSEED and
 *                           then RNG_HW_RETRIES tries of RDRAND (CF stayed 0: the entropy
 *                           source is drained or broken).
 *   RNG_HW_ERR_STUCK        health check failed: a word was all-zero, all-ones (the pattern of
 *                           known broken RDRAND implementations, e.g. AMD after resume), or
 *                           equal to the word before it (a stuck generator).
 * Assumptions:
 *   - Preference: RDSEED (conditioned entropy, fit to seed a DRBG per SP 800-90B/C) for each
 *     word; RDSEED may legitimately fail under load, so a word that RDSEED cannot deliver
 *     within the retry limit comes from RDRAND (the CPU's own SP 800-90A DRBG output, reseeded
 *     from the same source). A caller seeding a DRBG should then ask for more input than the
 *     security strength needs (drbg.h asks for 48 bytes for 256 bits).
 *   - Each call draws one extra word first, only as the reference for the "equal to the
 *     previous word" check, so the check also covers one-word requests. The check is within a
 *     call; no state is kept between calls (no mutable globals).
 *   - CPUID (leaf 1 ECX[30] RDRAND, leaf 7.0 EBX[18] RDSEED) is executed via cpu_cpuid(): on
 *     SEV-ES/SNP that raises #VC, so rng_hw_seed() must run after the #VC handler exists, or
 *     the caller detects with rng_hw_caps_from_cpuid() on values from the SNP CPUID page.
 *     The instructions themselves are not intercepted and never fault when CPUID offers them.
 *   - The hypervisor can neither see nor alter RDRAND/RDSEED results of an SNP guest, but the
 *     CPU's generator is trusted: that is the platform's trust anchor, not something checked
 *     here beyond the health tests.
 *   - Freestanding: inline assembly only, no intrinsics headers; also built on the host, where
 *     the same code runs. The health checks are testable with a fake instruction source
 *     (rng_hw_seed_from).
 *   - Timing depends only on len and on the instructions' success pattern, not on the data.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/cpu.h"

#define RNG_HW_ERR_UNSUPPORTED (-1)
#define RNG_HW_ERR_EXHAUSTED (-2)
#define RNG_HW_ERR_STUCK (-3)

/* Tries per 64-bit word and instruction before giving up (Intel's guidance for RDRAND is 10). */
#define RNG_HW_RETRIES 10

/* One execution of an instruction: true (CF=1) with *out set, or false (no data). */
typedef bool (*rng_hw_insn_fn)(uint64_t *out);

struct rng_hw_source {
	rng_hw_insn_fn rdseed; /* NULL if not offered */
	rng_hw_insn_fn rdrand; /* NULL if not offered */
};

/* The single instructions (execute them only if CPUID offers them: #UD otherwise). */
bool rng_hw_rdseed64(uint64_t *out);
bool rng_hw_rdrand64(uint64_t *out);

/* The CPU's source from CPUID leaf 1 and leaf 7 subleaf 0 (either from the CPUID instruction
 * or from the SNP CPUID page); members are NULL for what the CPU does not offer. */
struct rng_hw_source rng_hw_caps_from_cpuid(const struct cpuid_regs *leaf1,
					    const struct cpuid_regs *leaf7);
/* rng_hw_caps_from_cpuid() on the CPUID instruction's results (max leaf checked). */
struct rng_hw_source rng_hw_detect(void);

/* Fills out[len] from src with the retry policy and health checks above. */
int rng_hw_seed_from(const struct rng_hw_source *src, uint8_t *out, size_t len);

/* rng_hw_seed_from(rng_hw_detect()). */
int rng_hw_seed(uint8_t *out, size_t len);
