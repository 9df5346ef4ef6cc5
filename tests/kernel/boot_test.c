/* What kmain established before the tests run: parameters, layout, console, protector. */
#include "kernel/boot_params.h"
#include "kernel/format.h"
#include "kernel/image_layout.h"
#include "kernel/layout.h"
#include "kernel/string.h"
#include "tests/ktest/ktest.h"

extern uintptr_t __stack_chk_guard;

KTEST(boot, memory_map_covers_region)
{
	const struct boot_memmap *map = boot_params_memmap();

	ASSERT_GE(map->count, 1);
	EXPECT_EQ(map->ranges[0].base, 0);
	EXPECT_EQ(map->ranges[0].type, BOOT_MEM_RAM);
	EXPECT_TRUE(boot_memmap_covers_ram(map, BASTION_REGION_GPA, BASTION_REGION_SIZE));
}

KTEST(boot, vcpu_count_from_parameter)
{
	EXPECT_EQ(boot_params_vcpu_count(), 1);
}

KTEST(boot, image_inside_region)
{
	EXPECT_EQ(layout_image_gpa_start(), BASTION_REGION_GPA + BASTION_KERNEL_OFFSET);
	EXPECT_GT(layout_image_gpa_end(), layout_image_gpa_start());
	EXPECT_LE(layout_image_gpa_end(), BASTION_REGION_GPA + BASTION_REGION_SIZE);
	EXPECT_LT(layout_text_start(), layout_text_end());
	EXPECT_EQ(layout_text_start() & 0xFFF, 0);
}

KTEST(boot, stack_protector_guard_set)
{
	EXPECT_NE(__stack_chk_guard, 0);
}

KTEST(kernel_format, formats_kernel_addresses)
{
	char buf[64];

	fmt_snprintf(buf, sizeof(buf), "%lx|%016lx|%p", (uint64_t)BASTION_VIRT_BASE, 0x1234ul,
		     (void *)0xffffffff80001000ull);
	EXPECT_STREQ(buf, "ffffffff80000000|0000000000001234|0xffffffff80001000");
	fmt_snprintf(buf, sizeof(buf), "%-6s|%5d|%zu|%c", "ab", -42, (size_t)7, 'x');
	EXPECT_STREQ(buf, "ab    |  -42|7|x");
}

KTEST(kernel_format, truncates_and_terminates)
{
	char buf[8];

	memset(buf, 'Z', sizeof(buf));
	EXPECT_EQ(fmt_snprintf(buf, sizeof(buf), "%s", "0123456789"), 10);
	EXPECT_STREQ(buf, "0123456");
}

KTEST(kernel_string, builtins_reach_our_implementation)
{
	volatile size_t n = 100; /* not a constant: gcc must call memcpy/memset */
	char a[128];
	char b[128];

	memset(a, 0x5a, n);
	memcpy(b, a, n);
	EXPECT_EQ(memcmp(a, b, n), 0);
	memmove(b + 1, b, n - 1);
	EXPECT_EQ(b[0], 0x5a);
	EXPECT_EQ(strlen("bastion"), 7);
	EXPECT_EQ(strcmp("a", "b") < 0, 1);
}
