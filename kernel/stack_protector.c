/*
 * Support for -fstack-protector-strong with a global guard (-mstack-protector-guard=global).
 *
 * The guard starts as a build-time constant (so code running before entropy exists is still
 * checked) and stack_protector_init() replaces it with a per-boot random value from
 * RDSEED/RDRAND as soon as the CPU's random instructions can be used (after the #VC handler
 * on SNP). Replacing it is safe only from a frame that never returns through a checked
 * epilogue: kmain calls it and never returns, and stack_protector_init itself is built
 * without the protector. Every function that returns afterwards was entered afterwards.
 * A zero byte in the lowest position keeps string overflows (which stop at NUL) from
 * writing the guard's value back.
 */
#include <stdint.h>

#include "arch/x86/rng_hw.h"
#include "kernel/layout.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/stack_protector.h"

uintptr_t __stack_chk_guard __ro_after_init = 0x2f8a6c31d94b0700ull;
static const uintptr_t build_time_guard = 0x2f8a6c31d94b0700ull;

__attribute__((noreturn)) void __stack_chk_fail(void);

void __stack_chk_fail(void)
{
	panic("stack smashing detected");
}

__attribute__((optimize("no-stack-protector"))) void stack_protector_init(void)
{
	uint64_t v = 0;

	if (rng_hw_seed((uint8_t *)&v, sizeof(v)) != 0) {
		panic("stack protector: no entropy for the per-boot guard");
	}
	v &= ~(uint64_t)0xFF;
	if (v == 0 || v == build_time_guard) {
		v = build_time_guard ^ 0x5a5a5a5a5a5a5a00ull; /* astronomically unlikely */
	}
	__stack_chk_guard = (uintptr_t)v;
	v = 0;
	LOG_VERBOSE("stack protector: per-boot guard set");
}

bool stack_protector_is_per_boot(void)
{
	return __stack_chk_guard != build_time_guard && __stack_chk_guard != 0;
}
