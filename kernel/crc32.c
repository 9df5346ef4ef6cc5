/*
 * IEEE CRC-32, table driven (ABI reference section 5.1). The 256-entry table is computed on
 * first use; the host tools are single threaded.
 */
#include "kernel/crc32.h"

#include <stdbool.h>

#define CRC32_POLY_REFLECTED 0xEDB88320u

static uint32_t crc32_table[256];
static bool crc32_table_ready;

/* Fills crc32_table: entry i is the CRC contribution of byte value i (reflected algorithm). */
static void crc32_init_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int bit = 0; bit < 8; bit++) {
			c = (c & 1u) != 0 ? (c >> 1) ^ CRC32_POLY_REFLECTED : c >> 1;
		}
		crc32_table[i] = c;
	}
	crc32_table_ready = true;
}

/* See crc32.h: state in, new state out; no errors. */
uint32_t crc32_update(uint32_t state, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (!crc32_table_ready) {
		crc32_init_table();
	}
	for (size_t i = 0; i < len; i++) {
		state = crc32_table[(state ^ p[i]) & 0xFFu] ^ (state >> 8);
	}
	return state;
}

/* See crc32.h: final XOR of a running state; no errors. */
uint32_t crc32_final(uint32_t state)
{
	return state ^ 0xFFFFFFFFu;
}

/* See crc32.h: one-shot CRC-32 of data[len]; no errors. */
uint32_t crc32(const void *data, size_t len)
{
	return crc32_final(crc32_update(CRC32_INIT, data, len));
}
