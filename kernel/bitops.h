/*
 * Bit helpers that never call libgcc (the kernel links without it: __builtin_popcount would
 * become a call to __popcountdi2 on CPUs targeted without POPCNT).
 */
#pragma once

#include <stdint.h>

/* Number of set bits in v. */
static inline unsigned int bit_count64(uint64_t v)
{
	unsigned int n = 0;

	while (v != 0) {
		v &= v - 1;
		n++;
	}
	return n;
}
