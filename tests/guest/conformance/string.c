/* The memory functions gcc may call from freestanding code. */
#include "tests/guest/conformance/io.h"

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n-- > 0) {
		*p++ = (uint8_t)c;
	}
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n-- > 0) {
		*p++ = *q++;
	}
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;

	for (size_t i = 0; i < n; i++) {
		if (p[i] != q[i]) {
			return p[i] < q[i] ? -1 : 1;
		}
	}
	return 0;
}
