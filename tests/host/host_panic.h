/*
 * Host stand-in for kernel/panic.c, so host unit tests can check that misuse is caught.
 *
 *   EXPECT_PANIC(stmt);   passes if stmt calls panic() (or a failing CHECK), fails otherwise.
 *
 * panic() outside EXPECT_PANIC prints the message and aborts the test binary. Memory the
 * statement allocated before panicking is not reclaimed, like in the kernel; tests that want
 * no leaks under ASan free what they can observe afterwards.
 */
#pragma once

#include <setjmp.h>
#include <stdbool.h>

#include "tests/ktest/ktest.h"

extern jmp_buf *host_panic_catch;
extern char host_panic_message[256];

#define EXPECT_PANIC(stmt)                                                                       \
	do {                                                                                     \
		jmp_buf host_panic_env_;                                                         \
		volatile bool host_panicked_ = false;                                            \
		host_panic_catch = &host_panic_env_;                                             \
		if (setjmp(host_panic_env_) == 0) {                                              \
			stmt;                                                                    \
		} else {                                                                         \
			host_panicked_ = true;                                                   \
		}                                                                                \
		host_panic_catch = NULL;                                                         \
		KTEST_CHECK_(host_panicked_, KTEST_NOTHING_, "expected a panic from: %s", #stmt); \
	} while (0)
