/*
 * ktest runner: walks the "ktests" section and runs the selected tests.
 *
 * Portable: it uses nothing but ktest_vprint() from its environment, so the identical file
 * runs inside the test kernel and in the host test binaries.
 */
#include "tests/ktest/ktest.h"

extern const struct ktest __start_ktests[];
extern const struct ktest __stop_ktests[];

static bool ktest_current_failed;

void ktest_print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktest_vprint(fmt, ap);
	va_end(ap);
}

void ktest_report_failure(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	ktest_current_failed = true;
	ktest_print("[ktest]   FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	ktest_vprint(fmt, ap);
	va_end(ap);
	ktest_print("\n");
}

bool ktest_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL) {
		return a == b;
	}
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

bool ktest_mem_eq(const void *a, const void *b, size_t len)
{
	const unsigned char *pa = a;
	const unsigned char *pb = b;

	for (size_t i = 0; i < len; i++) {
		if (pa[i] != pb[i]) {
			return false;
		}
	}
	return true;
}

int ktest_cmp(unsigned long long a, bool a_signed, unsigned long long b, bool b_signed)
{
	bool a_negative = a_signed && (long long)a < 0;
	bool b_negative = b_signed && (long long)b < 0;

	if (a_negative != b_negative) {
		return a_negative ? -1 : 1;
	}
	/* Same sign: the two's-complement bit patterns order correctly as unsigned. */
	if (a == b) {
		return 0;
	}
	return a < b ? -1 : 1;
}

/* "suite.name" == filter, or "suite" == filter. */
static bool ktest_matches(const struct ktest *t, const char *filter)
{
	const char *s = t->suite;
	const char *f = filter;

	while (*s != '\0' && *s == *f) {
		s++;
		f++;
	}
	if (*s != '\0') {
		return false;
	}
	if (*f == '\0') {
		return true;
	}
	if (*f != '.') {
		return false;
	}
	return ktest_str_eq(t->name, f + 1);
}

static bool ktest_selected(const struct ktest *t, const char *filter)
{
	if (filter == NULL || filter[0] == '\0') {
		return (t->flags & KTEST_F_EXPLICIT) == 0;
	}
	return ktest_matches(t, filter);
}

void ktest_run_all(const char *filter, struct ktest_result *result)
{
	result->passed = 0;
	result->failed = 0;

	for (const struct ktest *t = __start_ktests; t < __stop_ktests; t++) {
		if (!ktest_selected(t, filter)) {
			continue;
		}
		ktest_current_failed = false;
		ktest_print("[ktest] RUN  %s.%s\n", t->suite, t->name);
		t->fn();
		if (ktest_current_failed) {
			result->failed++;
			ktest_print("[ktest] FAIL %s.%s\n", t->suite, t->name);
		} else {
			result->passed++;
			ktest_print("[ktest] PASS %s.%s\n", t->suite, t->name);
		}
	}
	ktest_print("%u passed, %u failed\n", result->passed, result->failed);
}
