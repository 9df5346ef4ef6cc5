/*
 * Host unit-test driver: runs every KTEST linked into this binary (built with ASan/UBSan).
 *
 * Usage: host_tests [FILTER]   FILTER is "suite" or "suite.name"; default: all tests.
 * Exit status 0 only if at least one test ran and none failed.
 */
#include <stdio.h>

#include "tests/ktest/ktest.h"

void ktest_vprint(const char *fmt, va_list ap)
{
	vprintf(fmt, ap);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct ktest_result result;
	const char *filter = argc > 1 ? argv[1] : NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ktest_run_all(filter, &result);
	if (result.passed + result.failed == 0) {
		fprintf(stderr, "host_tests: no test matched '%s'\n", filter != NULL ? filter : "");
		return 1;
	}
	return result.failed == 0 ? 0 : 1;
}
