#include "tests/guest/conformance/check.h"

#include <stdarg.h>

#include "tests/guest/conformance/console.h"

static unsigned int checks_passed;
static unsigned int checks_failed;

static void check_line(bool ok, uint64_t got, uint64_t expected, const char *fmt, va_list ap)
{
	unsigned int n = checks_passed + checks_failed + 1;

	con_printf("%s %u - ", ok ? "ok" : "FAIL", n);
	con_vprintf(fmt, ap);
	if (!ok) {
		con_printf(": got 0x%lx expected 0x%lx", got, expected);
	}
	con_printf("\n");
	if (ok) {
		checks_passed++;
	} else {
		checks_failed++;
	}
}

void check_eq(uint64_t got, uint64_t expected, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	check_line(got == expected, got, expected, fmt, ap);
	va_end(ap);
}

void check_true(bool cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	check_line(cond, cond ? 1 : 0, 1, fmt, ap);
	va_end(ap);
}

void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	con_printf("# ");
	con_vprintf(fmt, ap);
	con_printf("\n");
	va_end(ap);
}

bool check_summary(void)
{
	con_printf("conformance: %u passed, %u failed\n", checks_passed, checks_failed);
	return checks_failed == 0;
}
