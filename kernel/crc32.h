/*
 * IEEE 802.3 CRC-32 (the zlib one): reflected polynomial 0xEDB88320, initial value and final
 * XOR 0xFFFFFFFF. IGVM uses it for the fixed-header checksum (ABI reference section 5.1).
 * Check value: crc32 of the nine ASCII bytes "123456789" is 0xCBF43926.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define CRC32_INIT 0xFFFFFFFFu

/*
 * crc32_update: feed len bytes at data into a running CRC state.
 * Inputs: state (CRC32_INIT for a new computation, else a previous return value), data, len.
 * Output: the new state. Finish with crc32_final(). Errors: none.
 */
uint32_t crc32_update(uint32_t state, const void *data, size_t len);

/*
 * crc32_final: turn a running state into the CRC value (final XOR).
 * Inputs: state from crc32_update. Output: the CRC-32. Errors: none.
 */
uint32_t crc32_final(uint32_t state);

/*
 * crc32: CRC-32 of one buffer.
 * Inputs: data, len (data may be NULL when len is 0). Output: the CRC-32. Errors: none.
 */
uint32_t crc32(const void *data, size_t len);
