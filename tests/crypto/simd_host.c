/* Host side of crypto/simd.h: the CPU's own SSE state belongs to this process. */
#include "crypto/simd.h"

#include <cpuid.h>
#include <stdlib.h>
#include <string.h>

bool crypto_simd_usable(void)
{
	unsigned int a, b, c, d;
	const char *off = getenv("BASTION_NO_SIMD");

	if (off != NULL && strcmp(off, "1") == 0) {
		return false;
	}
	if (__get_cpuid(1, &a, &b, &c, &d) == 0) {
		return false;
	}
	return (c & bit_SSE4_1) != 0 && (c & bit_AES) != 0 && (c & bit_PCLMUL) != 0;
}

void crypto_simd_begin(void)
{
}

void crypto_simd_end(void)
{
}
