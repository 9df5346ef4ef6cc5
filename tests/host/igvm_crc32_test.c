/*
 * CRC-32 used for the IGVM checksum (ABI reference 5.1).
 */
#include <string.h>

#include "kernel/crc32.h"
#include "tests/ktest/ktest.h"

KTEST(igvm_crc32, check_value)
{
	/* The standard check value of CRC-32/IEEE ("CRC-32/ISO-HDLC"). */
	EXPECT_EQ(crc32("123456789", 9), 0xCBF43926u);
}

KTEST(igvm_crc32, empty_and_known_vectors)
{
	uint8_t zeros[32] = { 0 };

	EXPECT_EQ(crc32(NULL, 0), 0u);
	EXPECT_EQ(crc32("a", 1), 0xE8B7BE43u);
	EXPECT_EQ(crc32(zeros, sizeof(zeros)), 0x190A55ADu);
}

KTEST(igvm_crc32, incremental_equals_one_shot)
{
	const char *msg = "The quick brown fox jumps over the lazy dog";
	size_t len = strlen(msg);

	for (size_t split = 0; split <= len; split++) {
		uint32_t s = crc32_update(CRC32_INIT, msg, split);

		s = crc32_update(s, msg + split, len - split);
		ASSERT_EQ(crc32_final(s), 0x414FA339u);
	}
}
