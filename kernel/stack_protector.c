/*
 * Support for -fstack-protector-strong with a global guard (-mstack-protector-guard=global).
 * The guard value is fixed at build time for now; it becomes a per-boot random value once the
 * platform layer offers an entropy source (RDSEED natively, the SNP derived key on SNP).
 */
#include <stdint.h>

#include "kernel/panic.h"

uintptr_t __stack_chk_guard = 0x2f8a6c31d94b07e5ull;

__attribute__((noreturn)) void __stack_chk_fail(void);

void __stack_chk_fail(void)
{
	panic("stack smashing detected");
}
