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
