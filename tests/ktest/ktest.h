/*
 * ktest: one test framework for two worlds.
 *
 * The same header serves the in-kernel tests (tests/kernel/, linked into the separate test
 * image) and the host unit tests (tests/host/, built with ASan/UBSan). A test is a function
 * registered with KTEST(suite, name); its descriptor lands in the "ktests" linker section
 * (linker.ld brackets it with __start_ktests/__stop_ktests; GNU ld does the same on the host),
 * so adding a test never means editing a list.
 *
 * Assertions:
 *   EXPECT_*  record a failure with file:line and keep going.
 *   ASSERT_*  record a failure and return from the test function. Use them only in the test
 *             body itself (they expand to `return;`).
 *
 * The environment provides ktest_vprint() (host: stdout; kernel: the console). The runner
 * prints one line per test and ends with the line "N passed, N failed".
 *
 * KTEST_EXPLICIT tests (deliberate faults, crash demonstrations) never run in the default set;
 * they run only when selected by their full name "suite.name" or their suite name.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KTEST_F_EXPLICIT 0x1u

struct ktest {
	const char *suite;
	const char *name;
	void (*fn)(void);
	unsigned int flags;
};

struct ktest_result {
	unsigned int passed;
	unsigned int failed;
};

#define KTEST_DEFINE(suite_, name_, flags_)                                                      \
	static void ktest_fn_##suite_##_##name_(void);                                          \
	static const struct ktest ktest_desc_##suite_##_##name_                                 \
		__attribute__((used, section("ktests"), aligned(8))) = {                          \
			.suite = #suite_,                                                       \
			.name = #name_,                                                         \
			.fn = ktest_fn_##suite_##_##name_,                                      \
			.flags = (flags_),                                                      \
	};                                                                                      \
	static void ktest_fn_##suite_##_##name_(void)

#define KTEST(suite_, name_) KTEST_DEFINE(suite_, name_, 0)
#define KTEST_EXPLICIT(suite_, name_) KTEST_DEFINE(suite_, name_, KTEST_F_EXPLICIT)

/* Provided by the environment (host or kernel): print formatted text, no newline added. */
void ktest_vprint(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
void ktest_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Marks the running test failed and prints "  FAIL file:line: message". */
void ktest_report_failure(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Runs every registered test whose name matches filter (NULL or "" = all but explicit ones). */
void ktest_run_all(const char *filter, struct ktest_result *result);

/* Implementation helpers for the comparison macros; not for direct use. */
bool ktest_str_eq(const char *a, const char *b);
bool ktest_mem_eq(const void *a, const void *b, size_t len);
/* Mathematically correct three-way comparison of two integers of either signedness. */
int ktest_cmp(unsigned long long a, bool a_signed, unsigned long long b, bool b_signed);

#define KTEST_CHECK_(cond, on_fail, ...)                                                         \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			ktest_report_failure(__FILE__, __LINE__, __VA_ARGS__);                   \
			on_fail;                                                                 \
		}                                                                                \
	} while (0)

/* 1 if the expression has a signed integer type (pointers and enums count as unsigned). */
#define KTEST_SIGNED_(x)                                                                         \
	_Generic((x), char: ((char)-1 < 0), signed char: 1, short: 1, int: 1, long: 1,            \
		 long long: 1, default: 0)

#define KTEST_CMP_(a, op, b, on_fail)                                                            \
	do {                                                                                     \
		unsigned long long ktest_a_ = (unsigned long long)(a);                          \
		unsigned long long ktest_b_ = (unsigned long long)(b);                          \
		KTEST_CHECK_(ktest_cmp(ktest_a_, KTEST_SIGNED_(a), ktest_b_, KTEST_SIGNED_(b))    \
				     op 0,                                                      \
			     on_fail, "expected %s " #op " %s, got 0x%llx (%lld) vs 0x%llx (%lld)",   \
			     #a, #b, ktest_a_, (long long)ktest_a_, ktest_b_, (long long)ktest_b_); \
	} while (0)

#define KTEST_NOTHING_ ((void)0)

#define EXPECT_TRUE(c) KTEST_CHECK_(c, KTEST_NOTHING_, "expected true: %s", #c)
#define EXPECT_FALSE(c) KTEST_CHECK_(!(c), KTEST_NOTHING_, "expected false: %s", #c)
#define EXPECT_EQ(a, b) KTEST_CMP_(a, ==, b, KTEST_NOTHING_)
#define EXPECT_NE(a, b) KTEST_CMP_(a, !=, b, KTEST_NOTHING_)
#define EXPECT_LT(a, b) KTEST_CMP_(a, <, b, KTEST_NOTHING_)
#define EXPECT_LE(a, b) KTEST_CMP_(a, <=, b, KTEST_NOTHING_)
#define EXPECT_GT(a, b) KTEST_CMP_(a, >, b, KTEST_NOTHING_)
#define EXPECT_GE(a, b) KTEST_CMP_(a, >=, b, KTEST_NOTHING_)
#define EXPECT_NULL(p) KTEST_CHECK_((p) == NULL, KTEST_NOTHING_, "expected NULL: %s", #p)
#define EXPECT_NOT_NULL(p) KTEST_CHECK_((p) != NULL, KTEST_NOTHING_, "expected non-NULL: %s", #p)
#define EXPECT_STREQ(a, b)                                                                       \
	KTEST_CHECK_(ktest_str_eq((a), (b)), KTEST_NOTHING_, "expected %s == %s: \"%s\" vs \"%s\"", \
		     #a, #b, (a), (b))
#define EXPECT_MEMEQ(a, b, n)                                                                    \
	KTEST_CHECK_(ktest_mem_eq((a), (b), (n)), KTEST_NOTHING_, "expected %zu bytes equal: %s, %s", \
		     (size_t)(n), #a, #b)

#define ASSERT_TRUE(c) KTEST_CHECK_(c, return, "expected true: %s", #c)
#define ASSERT_FALSE(c) KTEST_CHECK_(!(c), return, "expected false: %s", #c)
#define ASSERT_EQ(a, b) KTEST_CMP_(a, ==, b, return)
#define ASSERT_NE(a, b) KTEST_CMP_(a, !=, b, return)
#define ASSERT_LT(a, b) KTEST_CMP_(a, <, b, return)
#define ASSERT_LE(a, b) KTEST_CMP_(a, <=, b, return)
#define ASSERT_GT(a, b) KTEST_CMP_(a, >, b, return)
#define ASSERT_GE(a, b) KTEST_CMP_(a, >=, b, return)
#define ASSERT_NULL(p) KTEST_CHECK_((p) == NULL, return, "expected NULL: %s", #p)
#define ASSERT_NOT_NULL(p) KTEST_CHECK_((p) != NULL, return, "expected non-NULL: %s", #p)
#define ASSERT_STREQ(a, b)                                                                       \
	KTEST_CHECK_(ktest_str_eq((a), (b)), return, "expected %s == %s: \"%s\" vs \"%s\"", #a, #b, \
		     (a), (b))
#define ASSERT_MEMEQ(a, b, n)                                                                    \
	KTEST_CHECK_(ktest_mem_eq((a), (b), (n)), return, "expected %zu bytes equal: %s, %s",       \
		     (size_t)(n), #a, #b)
