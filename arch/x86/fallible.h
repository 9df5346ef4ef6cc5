/*
 * Fault-tolerant memory access (arch/x86/fallible.asm). Each function returns 0 on success or
 * the exception vector + 1 that stopped it, so a bad address becomes an error, never a crash.
 * Used by mm/guest_mem for guest memory and by the tests that check W^X and guard pages.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define ARCH_FAULT_NONE 0
/* Convert a nonzero return into the vector number. */
#define ARCH_FAULT_VECTOR(ret) ((ret) - 1)

uint64_t arch_copy_fallible(void *dst, const void *src, size_t len);
uint64_t arch_probe_write(volatile void *addr, uint8_t value);
uint64_t arch_probe_read(const volatile void *addr);
uint64_t arch_probe_exec(const void *addr);
