/* Parsing the host-supplied IGVM memory-map parameter (untrusted input). */
#include <string.h>

#include "kernel/boot_params.h"
#include "tests/ktest/ktest.h"

#define AREA 4096

static void put_entry(uint8_t *area, size_t i, uint64_t page, uint64_t pages, uint16_t type)
{
	uint8_t *e = area + i * 24;

	memset(e, 0, 24);
	for (int b = 0; b < 8; b++) {
		e[b] = (uint8_t)(page >> (8 * b));
		e[8 + b] = (uint8_t)(pages >> (8 * b));
	}
	e[16] = (uint8_t)type;
	e[17] = (uint8_t)(type >> 8);
}

KTEST(boot_params, parses_q35_layout)
{
	static uint8_t area[AREA];
	struct boot_memmap map;
	size_t bad = 99;

	memset(area, 0, sizeof(area));
	put_entry(area, 0, 0, 0x80000, BOOT_MEM_RAM);
	put_entry(area, 1, 0x100000, 0x80000, BOOT_MEM_RAM);
	ASSERT_EQ(boot_memmap_parse(area, sizeof(area), &map, &bad), BOOT_PARAMS_OK);
	ASSERT_EQ(map.count, 2);
	EXPECT_EQ(map.ranges[0].base, 0);
	EXPECT_EQ(map.ranges[0].size, 0x80000000ull);
	EXPECT_EQ(map.ranges[1].base, 0x100000000ull);
	EXPECT_TRUE(boot_memmap_covers_ram(&map, 0x10000000, 0x1000000));
	EXPECT_FALSE(boot_memmap_covers_ram(&map, 0x7ff00000, 0x200000)); /* crosses the hole */
	EXPECT_FALSE(boot_memmap_covers_ram(&map, ~0ull - 0xfff, 0x2000)); /* wraps */
}

KTEST(boot_params, rejects_hostile_maps)
{
	static uint8_t area[AREA];
	struct boot_memmap map;
	size_t bad = 0;

	memset(area, 0, sizeof(area));
	EXPECT_EQ(boot_memmap_parse(area, sizeof(area), &map, &bad), BOOT_PARAMS_EMPTY);

	put_entry(area, 0, 0, 16, 7);
	EXPECT_EQ(boot_memmap_parse(area, sizeof(area), &map, &bad), BOOT_PARAMS_BAD_TYPE);

	put_entry(area, 0, 0x100, 16, BOOT_MEM_RAM);
	put_entry(area, 1, 0x108, 16, BOOT_MEM_RAM); /* overlaps the first */
	EXPECT_EQ(boot_memmap_parse(area, sizeof(area), &map, &bad), BOOT_PARAMS_UNSORTED);
	EXPECT_EQ(bad, 1);

	put_entry(area, 1, ~0ull, 2, BOOT_MEM_RAM);
	EXPECT_EQ(boot_memmap_parse(area, sizeof(area), &map, &bad), BOOT_PARAMS_OVERFLOW);

	put_entry(area, 1, 1ull << 39, 1ull << 39, BOOT_MEM_RAM); /* ends exactly at 2^52 */
	EXPECT_EQ(boot_memmap_parse(area, sizeof(area), &map, &bad), BOOT_PARAMS_OK);
	put_entry(area, 1, 1ull << 39, (1ull << 39) + 1, BOOT_MEM_RAM);
	EXPECT_EQ(boot_memmap_parse(area, sizeof(area), &map, &bad), BOOT_PARAMS_OVERFLOW);

	put_entry(area, 1, 0x200, 1, BOOT_MEM_RAM);
	area[24 + 18] = 1; /* flags */
	EXPECT_EQ(boot_memmap_parse(area, sizeof(area), &map, &bad), BOOT_PARAMS_BAD_FLAGS);
}

KTEST(boot_params, entry_limit_and_unterminated_area)
{
	static uint8_t area[AREA];
	struct boot_memmap map;
	size_t bad = 0;

	memset(area, 0, sizeof(area));
	for (size_t i = 0; i < BOOT_MEMMAP_MAX_ENTRIES + 1; i++) {
		put_entry(area, i, i * 2, 1, BOOT_MEM_RAM);
	}
	EXPECT_EQ(boot_memmap_parse(area, sizeof(area), &map, &bad), BOOT_PARAMS_TOO_MANY);
	EXPECT_EQ(bad, BOOT_MEMMAP_MAX_ENTRIES);

	/* A 48-byte area holding two entries and no terminator is complete, not overread. */
	EXPECT_EQ(boot_memmap_parse(area, 48, &map, &bad), BOOT_PARAMS_OK);
	EXPECT_EQ(map.count, 2);
	/* A partial trailing entry is ignored. */
	EXPECT_EQ(boot_memmap_parse(area, 47, &map, &bad), BOOT_PARAMS_OK);
	EXPECT_EQ(map.count, 1);
}

KTEST(boot_params, every_single_byte_corruption_is_handled)
{
	static uint8_t area[AREA];
	struct boot_memmap map;
	size_t bad = 0;

	/* No crash and no acceptance of out-of-range data, whatever one byte says. */
	for (size_t off = 0; off < 72; off++) {
		for (unsigned int v = 0; v < 256; v += 17) {
			memset(area, 0, sizeof(area));
			put_entry(area, 0, 0, 0x20000, BOOT_MEM_RAM);
			put_entry(area, 1, 0x100000, 0x1000, BOOT_MEM_PLATFORM_RESERVED);
			area[off] = (uint8_t)v;
			if (boot_memmap_parse(area, sizeof(area), &map, &bad) == BOOT_PARAMS_OK) {
				for (size_t i = 0; i < map.count; i++) {
					EXPECT_LT(map.ranges[i].type, BOOT_MEM_TYPE_COUNT);
					EXPECT_LE(map.ranges[i].base + map.ranges[i].size, 1ull << 52);
				}
			}
		}
	}
}
