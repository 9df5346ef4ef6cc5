/* Frame-pointer backtraces resolve to the right function names through the embedded table. */
#include "kernel/backtrace.h"
#include "kernel/ksyms.h"
#include "kernel/layout.h"
#include "kernel/main.h"
#include "tests/ktest/ktest.h"

static size_t bt_count;
static uint64_t bt_addrs[BACKTRACE_MAX_FRAMES];

__attribute__((noinline)) static void bt_level3(void)
{
	bt_count = backtrace_capture((uint64_t)(uintptr_t)__builtin_frame_address(0), bt_addrs,
				     BACKTRACE_MAX_FRAMES);
	__asm__ volatile("" ::: "memory"); /* keep this frame from becoming a tail call */
}

__attribute__((noinline)) static void bt_level2(void)
{
	bt_level3();
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void bt_level1(void)
{
	bt_level2();
	__asm__ volatile("" ::: "memory");
}

static const char *bt_name(size_t i)
{
	uint64_t off = 0;

	return ksyms_lookup(&ksyms_kernel, bt_addrs[i] - 1, &off);
}

KTEST(backtrace, nested_calls_are_symbolized)
{
	bt_level1();
	ASSERT_GE(bt_count, 5);
	EXPECT_STREQ(bt_name(0), "bt_level2");
	EXPECT_STREQ(bt_name(1), "bt_level1");
	EXPECT_STREQ(bt_name(2), "ktest_fn_backtrace_nested_calls_are_symbolized");
	EXPECT_STREQ(bt_name(3), "ktest_run_all");
}

KTEST(backtrace, walk_ends_at_the_entry_stub)
{
	/* entry64 zeroes RBP before calling kmain, so kmain's frame is the last one walked. */
	bt_level1();
	ASSERT_GE(bt_count, 3);
	EXPECT_STREQ(bt_name(bt_count - 2), "kmain");
	EXPECT_STREQ(bt_name(bt_count - 1), "entry64");
}

KTEST(backtrace, bad_frame_pointers_stop_the_walk)
{
	uint64_t addrs[4];

	EXPECT_EQ(backtrace_capture(0, addrs, 4), 0);
	EXPECT_EQ(backtrace_capture(0x1000, addrs, 4), 0);
	EXPECT_EQ(backtrace_capture(BASTION_VIRT_BASE + 3, addrs, 4), 0);
	EXPECT_EQ(backtrace_capture(~0ull - 7, addrs, 4), 0);
}

KTEST(ksyms, kernel_table_resolves_functions)
{
	uint64_t off = 1;
	uint64_t kmain_addr = (uint64_t)(uintptr_t)&kmain;

	EXPECT_GT(ksyms_kernel.count, 50);
	EXPECT_STREQ(ksyms_lookup(&ksyms_kernel, kmain_addr, &off), "kmain");
	EXPECT_EQ(off, 0);
	EXPECT_STREQ(ksyms_lookup(&ksyms_kernel, kmain_addr + 3, &off), "kmain");
	EXPECT_EQ(off, 3);
	EXPECT_EQ(ksyms_kernel.text_start, layout_text_start());
	EXPECT_EQ(ksyms_kernel.text_end, layout_text_end());
	EXPECT_NULL(ksyms_lookup(&ksyms_kernel, layout_text_end(), &off));
	EXPECT_NULL(ksyms_lookup(&ksyms_kernel, 0x1000, &off));
}
