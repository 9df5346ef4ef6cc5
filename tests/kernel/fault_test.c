/*
 * Deliberate failures, selected by name only (KTEST_EXPLICIT): tests/boot_test.sh runs each
 * and checks that the report is complete and the VM ends with the failure status.
 */
#include <stdint.h>

#include "kernel/check.h"
#include "kernel/panic.h"
#include "tests/ktest/ktest.h"

KTEST_EXPLICIT(fault, null_dereference)
{
	volatile uintptr_t bad = 0x10; /* an address no page table maps */

	EXPECT_EQ(*(volatile const int *)bad, 0); /* unreachable: the load faults */
}

KTEST_EXPLICIT(fault, panic)
{
	panic("deliberate panic from a test");
}

KTEST_EXPLICIT(fault, check)
{
	volatile int one = 1;

	CHECK(one == 2);
}

KTEST_EXPLICIT(fault, expect_fails)
{
	EXPECT_EQ(1, 2);
}

/* Unbounded recursion: the boot stack runs into its guard page; the #PF cannot push its frame
 * there, so the CPU raises #DF, which runs on its own guarded IST stack and is reported. */
static volatile uint64_t fault_recurse_limit = ~0ull; /* never reached: the stack ends first */

__attribute__((noinline)) static uint64_t fault_recurse(volatile uint64_t depth)
{
	volatile uint8_t pad[256];

	if (depth >= fault_recurse_limit) {
		return 0;
	}
	pad[0] = (uint8_t)depth;
	return fault_recurse(depth + 1) + pad[0];
}

KTEST_EXPLICIT(fault, stack_overflow)
{
	EXPECT_EQ(fault_recurse(0), 0);
}
