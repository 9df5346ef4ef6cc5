/*
 * One line per check: "ok N - description" or "FAIL N - description: got X expected Y", and the
 * closing "conformance: N passed, M failed" that tests/conformance_test.sh reads.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Passes when got == expected (both printed in hex on failure). */
void check_eq(uint64_t got, uint64_t expected, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Passes when cond holds; on failure prints "got 0 expected 1" and the optional detail. */
void check_true(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A line that is not a check (context for the reader). */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints the summary line and returns true if every check passed. */
bool check_summary(void);
