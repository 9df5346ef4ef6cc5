/*
 * Host tests for kernel/format.c.
 *
 * The engine promises glibc-identical output for its subset, so most checks are
 * differential: the same format and arguments go through glibc vsnprintf, fmt_vsnprintf and
 * fmt_vformat (callback), and all three must agree in text and length. Formats the C
 * standard leaves undefined ('#' with %d, '0' with %p, ...) are compared too where glibc
 * has a defined behaviour we chose to match.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/format.h"
#include "tests/ktest/ktest.h"

/*
 * Deliberately odd, broken and run-time-built formats are the point of this file, not
 * mistakes; -Wformat would reject most of them.
 */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wformat-overflow"
#endif
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

#define FT_BUF 8192
#define FT_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Growable sink for fmt_vformat, so streaming output can be checked without size limits. */
struct ft_sink {
	char *data;
	size_t len;
	size_t cap;
};

static void ft_sink_put(char c, void *ctx)
{
	struct ft_sink *s = ctx;

	if (s->len == s->cap) {
		s->cap = s->cap == 0 ? 64 : s->cap * 2;
		s->data = realloc(s->data, s->cap);
		if (s->data == NULL) {
			abort();
		}
	}
	s->data[s->len++] = c;
}

static void ft_count_put(char c, void *ctx)
{
	(void)c;
	(*(size_t *)ctx)++;
}

static unsigned int ft_mismatches;

/*
 * Runs fmt through glibc, fmt_vsnprintf and fmt_vformat; reports (a bounded number of)
 * mismatches against the caller's line. Returns true if all three agree.
 */
static bool ft_vcheck(const char *file, int line, const char *fmt, va_list ap)
{
	static char want[FT_BUF];
	static char got[FT_BUF];
	struct ft_sink sink = { 0 };
	va_list a1, a2;
	int want_len;
	size_t got_len, stream_len;
	bool ok;

	va_copy(a1, ap);
	va_copy(a2, ap);
	want_len = vsnprintf(want, sizeof(want), fmt, ap);
	got_len = fmt_vsnprintf(got, sizeof(got), fmt, a1);
	stream_len = fmt_vformat(ft_sink_put, &sink, fmt, a2);
	va_end(a1);
	va_end(a2);

	ok = want_len >= 0 && (size_t)want_len < sizeof(want) && got_len == (size_t)want_len &&
	     strcmp(want, got) == 0 && stream_len == got_len && sink.len == stream_len &&
	     memcmp(sink.data != NULL ? sink.data : "", want, sink.len) == 0;
	if (!ok && ft_mismatches++ < 20) {
		ktest_report_failure(file, line,
				     "\"%s\": glibc \"%s\" (%d), fmt \"%s\" (%zu), stream %zu",
				     fmt, want, want_len, got, got_len, stream_len);
	}
	free(sink.data);
	return ok;
}

static bool ft_check_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	ok = ft_vcheck(file, line, fmt, ap);
	va_end(ap);
	return ok;
}

#define FT_CHECK(...) ft_check_at(__FILE__, __LINE__, __VA_ARGS__)

static const unsigned long long ft_values[] = {
	0,
	1,
	7,
	8,
	42,
	127,
	128,
	255,
	256,
	32767,
	32768,
	65535,
	65536,
	0x7fffffffull,
	0x80000000ull,
	0xffffffffull,
	0x100000000ull,
	0x0123456789abcdefull,
	0x7fffffffffffffffull, /* INT64_MAX */
	0x8000000000000000ull, /* INT64_MIN */
	0xffffffffffffffffull, /* UINT64_MAX, -1 */
	(unsigned long long)-42,
	(unsigned long long)-32768,
	(unsigned long long)-129,
};

static const char *const ft_flags[] = { "",   "-",  "0",  " ",   "+",   "#",   "-0", "0+",
				       "0 ", "0#", "-+", "- ", "-#", "+ ", "0+#", "-+ #0" };
static const char *const ft_widths[] = { "", "1", "2", "5", "12", "25" };
static const char *const ft_precisions[] = { "", ".", ".0", ".1", ".2", ".5", ".21", ".30" };
static const char *const ft_lengths[] = { "hh", "h", "", "l", "ll", "z", "t", "j" };

/* Passes v as the type the length modifier and signedness call for. */
static bool ft_check_int(const char *fmt, const char *len, bool is_signed, unsigned long long v)
{
	if (strcmp(len, "l") == 0) {
		return is_signed ? FT_CHECK(fmt, (long)v) : FT_CHECK(fmt, (unsigned long)v);
	}
	if (strcmp(len, "ll") == 0) {
		return is_signed ? FT_CHECK(fmt, (long long)v) : FT_CHECK(fmt, v);
	}
	if (strcmp(len, "z") == 0) {
		return is_signed ? FT_CHECK(fmt, (ptrdiff_t)v) : FT_CHECK(fmt, (size_t)v);
	}
	if (strcmp(len, "t") == 0) {
		return is_signed ? FT_CHECK(fmt, (ptrdiff_t)v) : FT_CHECK(fmt, (size_t)v);
	}
	if (strcmp(len, "j") == 0) {
		return is_signed ? FT_CHECK(fmt, (intmax_t)v) : FT_CHECK(fmt, (uintmax_t)v);
	}
	/* hh, h and none: the argument is promoted to int; the callee narrows it. */
	return is_signed ? FT_CHECK(fmt, (int)v) : FT_CHECK(fmt, (unsigned int)v);
}

/* Checks one conversion with one flag set and width against every precision, length and value. */
static unsigned int ft_check_conv(char conv, const char *flags, const char *width)
{
	bool is_signed = conv == 'd' || conv == 'i';
	unsigned int checked = 0;
	char fmt[64];

	for (size_t p = 0; p < FT_COUNT(ft_precisions); p++) {
		for (size_t l = 0; l < FT_COUNT(ft_lengths); l++) {
			snprintf(fmt, sizeof(fmt), "<%%%s%s%s%s%c>", flags, width, ft_precisions[p],
				 ft_lengths[l], conv);
			for (size_t v = 0; v < FT_COUNT(ft_values); v++) {
				ft_check_int(fmt, ft_lengths[l], is_signed, ft_values[v]);
				checked++;
			}
		}
	}
	return checked;
}

KTEST(format, integers_match_glibc)
{
	static const char convs[] = "diuxXo";
	unsigned int checked = 0;

	ft_mismatches = 0;
	for (size_t c = 0; c < sizeof(convs) - 1; c++) {
		for (size_t f = 0; f < FT_COUNT(ft_flags); f++) {
			for (size_t w = 0; w < FT_COUNT(ft_widths); w++) {
				checked += ft_check_conv(convs[c], ft_flags[f], ft_widths[w]);
			}
		}
	}
	EXPECT_EQ(ft_mismatches, 0);
	EXPECT_GT(checked, 100000);
}

KTEST(format, integer_edge_values)
{
	ft_mismatches = 0;
	FT_CHECK("%lld %lld %llu", (long long)INT64_MIN, (long long)INT64_MAX,
		 (unsigned long long)UINT64_MAX);
	FT_CHECK("%jd %ju %jx %jo", INTMAX_MIN, UINTMAX_MAX, UINTMAX_MAX, UINTMAX_MAX);
	FT_CHECK("%zu %zx %zd %td %tu", SIZE_MAX, SIZE_MAX, (ptrdiff_t)-1, PTRDIFF_MIN,
		 (size_t)PTRDIFF_MAX);
	FT_CHECK("%d %d %u %x", INT_MIN, INT_MAX, UINT_MAX, UINT_MAX);
	FT_CHECK("%hhd %hhu %hd %hu", 0x1ff, 0x1ff, 0x18000, 0x18000);
	FT_CHECK("%hhd %hd", -129, -32769);
	FT_CHECK("[%08d] [%-8d] [%+08d] [% 08d] [%08.3d]", -42, -42, 42, 42, -42);
	FT_CHECK("[%020lld] [%-25lld|] [%+.25lld]", (long long)INT64_MIN, (long long)INT64_MIN,
		 (long long)INT64_MIN);
	FT_CHECK("[%.0d] [%.0u] [%.0x] [%#.0x] [%#.0o] [%#o] [%5.0d|]", 0, 0u, 0u, 0u, 0u, 0u, 0);
	FT_CHECK("[%#x] [%#X] [%#o] [%#08x] [%#-8x|] [%#.6x]", 255u, 255u, 8u, 255u, 255u, 255u);
	FT_CHECK("[%#5.3o] [%#.1o] [%#3o]", 8u, 8u, 0u);
	EXPECT_EQ(ft_mismatches, 0);
}

KTEST(format, star_width_and_precision)
{
	ft_mismatches = 0;
	FT_CHECK("[%*d]", 6, 42);
	FT_CHECK("[%*d]", -6, 42);
	FT_CHECK("[%-*d]", -6, 42);
	FT_CHECK("[%0*d]", 6, -42);
	FT_CHECK("[%.*d]", 5, 42);
	FT_CHECK("[%.*d]", -5, 42);
	FT_CHECK("[%0.*d]", -5, 42);
	FT_CHECK("[%*.*x]", 10, 4, 0xabu);
	FT_CHECK("[%*.*s]", -10, 3, "abcdef");
	FT_CHECK("[%.*s]", -1, "abcdef");
	FT_CHECK("[%*c]", 4, 'q');
	EXPECT_EQ(ft_mismatches, 0);
}

/* Checks %s and %c with one flag set and width against every string and precision. */
static void ft_check_text(const char *flags, const char *width)
{
	static const char *const strs[] = { "", "a", "hello", "hello, world", "tab\there" };
	static const char *const precs[] = { "", ".", ".0", ".1", ".4", ".40" };
	char fmt[64];

	for (size_t s = 0; s < FT_COUNT(strs); s++) {
		for (size_t p = 0; p < FT_COUNT(precs); p++) {
			snprintf(fmt, sizeof(fmt), "[%%%s%s%ss]", flags, width, precs[p]);
			FT_CHECK(fmt, strs[s]);
		}
		snprintf(fmt, sizeof(fmt), "[%%%s%sc]", flags, width);
		FT_CHECK(fmt, strs[s][0] != '\0' ? strs[s][0] : 'z');
	}
}

KTEST(format, strings_chars_percent)
{
	static const char *const flags[] = { "", "-", "0", "-0" };
	static const char *const widths[] = { "", "0", "1", "5", "20" };

	ft_mismatches = 0;
	for (size_t f = 0; f < FT_COUNT(flags); f++) {
		for (size_t w = 0; w < FT_COUNT(widths); w++) {
			ft_check_text(flags[f], widths[w]);
		}
	}
	FT_CHECK("100%% [%%]");
	FT_CHECK("[%c%c%c]", 'a', 0xe9, '~');
	FT_CHECK("%s=%d, %s=%#x", "key", -1, "mask", 0xf0u);
	FT_CHECK("");
	FT_CHECK("no conversions at all");
	EXPECT_EQ(ft_mismatches, 0);

	/* Flags and width on %% are ignored, as in glibc (whose ASan interceptor rejects them). */
	{
		char buf[16];

		EXPECT_EQ(fmt_snprintf(buf, sizeof(buf), "[%5%][%-05%]"), 6);
		EXPECT_STREQ(buf, "[%][%]");
	}
}

KTEST(format, null_string_and_pointer)
{
	const char *null_str = NULL;
	void *null_ptr = NULL;
	char buf[64];

	ft_mismatches = 0;
	FT_CHECK("[%s] [%10s] [%-10s] [%.6s] [%.7s]", null_str, null_str, null_str, null_str,
		 null_str);
	/* glibc prints nothing for a NULL string cut below the length of "(null)". */
	FT_CHECK("[%.3s] [%8.2s] [%.0s]", null_str, null_str, null_str);
	FT_CHECK("[%p] [%10p] [%-10p]", null_ptr, null_ptr, null_ptr);
	EXPECT_EQ(ft_mismatches, 0);

	EXPECT_EQ(fmt_snprintf(buf, sizeof(buf), "%s", null_str), 6);
	EXPECT_STREQ(buf, "(null)");
	EXPECT_EQ(fmt_snprintf(buf, sizeof(buf), "%p", null_ptr), 5);
	EXPECT_STREQ(buf, "(nil)");
}

KTEST(format, precision_bounds_unterminated_string)
{
	/* Six bytes with no NUL anywhere: %.Ns must read at most N of them (ASan checks). */
	char *raw = malloc(6);
	char buf[32];

	ASSERT_NOT_NULL(raw);
	memcpy(raw, "abcdef", 6);
	EXPECT_EQ(fmt_snprintf(buf, sizeof(buf), "[%.6s]", raw), 8);
	EXPECT_STREQ(buf, "[abcdef]");
	EXPECT_EQ(fmt_snprintf(buf, sizeof(buf), "[%.3s]", raw), 5);
	EXPECT_STREQ(buf, "[abc]");
	EXPECT_EQ(fmt_snprintf(buf, sizeof(buf), "[%-8.*s]", 6, raw), 10);
	EXPECT_STREQ(buf, "[abcdef  ]");
	EXPECT_EQ(fmt_snprintf(buf, sizeof(buf), "[%.0s]", raw), 2);
	EXPECT_STREQ(buf, "[]");
	free(raw);
}

KTEST(format, pointers_match_glibc)
{
	static const uintptr_t ptrs[] = { 1, 0xf, 0x1234abcd, 0x7ffffffff000, 0xffffffff80000000,
					  UINTPTR_MAX };
	char buf[64];

	ft_mismatches = 0;
	for (size_t i = 0; i < FT_COUNT(ptrs); i++) {
		void *p = (void *)ptrs[i];

		FT_CHECK("[%p] [%20p] [%-20p|] [%3p]", p, p, p, p);
		/* Undefined in C, but glibc treats %p as %#lx with these flags; so do we. */
		FT_CHECK("[%020p] [%+p] [% p] [%#p] [%.20p]", p, p, p, p, p);
	}
	EXPECT_EQ(ft_mismatches, 0);

	/* No zero padding to 16 digits, lower case. */
	fmt_snprintf(buf, sizeof(buf), "%p", (void *)0xABCull);
	EXPECT_STREQ(buf, "0xabc");
}

KTEST(format, truncation_semantics)
{
	char buf[32];
	const char *full = "value=-12345 end";
	size_t len = strlen(full);

	/* size 0: nothing written, buf may be NULL, the return value is the full length. */
	EXPECT_EQ(fmt_snprintf(NULL, 0, "value=%d end", -12345), len);
	memset(buf, 'X', sizeof(buf));
	EXPECT_EQ(fmt_snprintf(buf, 0, "value=%d end", -12345), len);
	EXPECT_EQ(buf[0], 'X');

	/* size 1: only the terminator. */
	memset(buf, 'X', sizeof(buf));
	EXPECT_EQ(fmt_snprintf(buf, 1, "value=%d end", -12345), len);
	EXPECT_EQ(buf[0], '\0');
	EXPECT_EQ(buf[1], 'X');

	/* Exact fit: len characters plus the NUL. */
	memset(buf, 'X', sizeof(buf));
	EXPECT_EQ(fmt_snprintf(buf, len + 1, "value=%d end", -12345), len);
	EXPECT_STREQ(buf, full);
	EXPECT_EQ(buf[len + 1], 'X');

	/* One short: the last character is dropped for the NUL. */
	memset(buf, 'X', sizeof(buf));
	EXPECT_EQ(fmt_snprintf(buf, len, "value=%d end", -12345), len);
	EXPECT_EQ(strlen(buf), len - 1);
	EXPECT_MEMEQ(buf, full, len - 1);
	EXPECT_EQ(buf[len], 'X');

	/* Every size agrees with glibc, and nothing past size is touched. */
	for (size_t size = 0; size <= len + 2; size++) {
		char want[32];
		int want_len;
		size_t got_len;

		memset(buf, 'X', sizeof(buf));
		memset(want, 'X', sizeof(want));
		want_len = snprintf(want, size, "%s=%-6x|%c", "k", 0xbeefu, '!');
		got_len = fmt_snprintf(buf, size, "%s=%-6x|%c", "k", 0xbeefu, '!');
		EXPECT_EQ(got_len, (size_t)want_len);
		EXPECT_MEMEQ(buf, want, sizeof(buf));
	}
}

KTEST(format, heap_buffer_exact_size)
{
	/* ASan catches any write past size. */
	for (size_t size = 1; size <= 12; size++) {
		char *buf = malloc(size);

		ASSERT_NOT_NULL(buf);
		EXPECT_EQ(fmt_snprintf(buf, size, "%08x%s", 0xcafeu, "!!"), 10);
		EXPECT_EQ(strlen(buf), size - 1 < 10 ? size - 1 : 10);
		EXPECT_EQ(strncmp(buf, "0000cafe!!", size - 1), 0);
		free(buf);
	}
}

KTEST(format, callback_streaming)
{
	struct ft_sink sink = { 0 };
	size_t count = 0;
	size_t n;

	n = fmt_format(ft_sink_put, &sink, "a%db%sc%%%5xd", 12, "xyz", 0xfu);
	EXPECT_EQ(n, strlen("a12bxyzc%    fd"));
	EXPECT_EQ(sink.len, n);
	EXPECT_MEMEQ(sink.data, "a12bxyzc%    fd", n);
	free(sink.data);

	/* An empty format emits nothing and never calls put. */
	EXPECT_EQ(fmt_format(ft_count_put, &count, "%s", ""), 0);
	EXPECT_EQ(count, 0);

	/* A literal NUL from %c is one output character, as in glibc. */
	count = 0;
	EXPECT_EQ(fmt_format(ft_count_put, &count, "a%cb", 0), 3);
	EXPECT_EQ(count, 3);

	/* Output longer than any fixed buffer streams through fine. */
	count = 0;
	EXPECT_EQ(fmt_format(ft_count_put, &count, "%3000d%3000s", 1, "x"), 6000);
	EXPECT_EQ(count, 6000);
}

/* Formats from a heap copy of exactly strlen + 1 bytes, so ASan sees any over-read. */
static size_t ft_heap_format(char *out, size_t size, const char *fmt_src, int a, int b)
{
	size_t len = strlen(fmt_src) + 1;
	char *fmt = malloc(len);
	size_t n;

	if (fmt == NULL) {
		abort();
	}
	memcpy(fmt, fmt_src, len);
	n = fmt_snprintf(out, size, fmt, a, b);
	free(fmt);
	return n;
}

KTEST(format, broken_formats_are_literal)
{
	static const struct {
		const char *fmt;
		const char *want;
	} cases[] = {
		{ "%", "%" },
		{ "abc%", "abc%" },
		{ "%-", "%-" },
		{ "%08", "%08" },
		{ "%-+ #0", "%-+ #0" },
		{ "%5.", "%5." },
		{ "%.3", "%.3" },
		{ "%h", "%h" },
		{ "%hh", "%hh" },
		{ "%l", "%l" },
		{ "%ll", "%ll" },
		{ "%z", "%z" },
		{ "%t", "%t" },
		{ "%j", "%j" },
		{ "%-08.3ll", "%-08.3ll" },
		{ "%y", "%y" },
		{ "%5y|", "%5y|" },
		{ "%lly|", "%lly|" },
		{ "%q%d", "%q7" },
		{ "x%!y%d%", "x%!y7%" },
		{ "%lL%d", "%lL7" },
		{ "%*", "%*" },   /* consumes 7 as the width, then ends */
		{ "%.*", "%.*" }, /* consumes 7 as the precision, then ends */
		{ "%*d%", "      8%" },
	};
	char buf[64];

	for (size_t i = 0; i < FT_COUNT(cases); i++) {
		size_t n = ft_heap_format(buf, sizeof(buf), cases[i].fmt, 7, 8);

		EXPECT_STREQ(buf, cases[i].want);
		EXPECT_EQ(n, strlen(cases[i].want));
	}

	/* Truncating output of a broken format still terminates correctly. */
	EXPECT_EQ(ft_heap_format(buf, 3, "ab%ll", 0, 0), 5);
	EXPECT_STREQ(buf, "ab");
}

KTEST(format, huge_width_is_clamped)
{
	char *buf = malloc(FMT_MAX_WIDTH + 64);
	size_t count = 0;

	ASSERT_NOT_NULL(buf);
	EXPECT_EQ(fmt_snprintf(NULL, 0, "%999999999999999999999999d", 5), FMT_MAX_WIDTH);
	EXPECT_EQ(fmt_snprintf(NULL, 0, "%2147483647s", "x"), FMT_MAX_WIDTH);
	EXPECT_EQ(fmt_snprintf(NULL, 0, "%*d", INT_MAX, 5), FMT_MAX_WIDTH);
	EXPECT_EQ(fmt_snprintf(NULL, 0, "%*d", INT_MIN, 5), FMT_MAX_WIDTH);
	EXPECT_EQ(fmt_snprintf(NULL, 0, "%.4294967296d", 5), FMT_MAX_WIDTH);
	EXPECT_EQ(fmt_snprintf(NULL, 0, "%.*d", INT_MAX, 5), FMT_MAX_WIDTH);
	EXPECT_EQ(fmt_snprintf(NULL, 0, "%99999.99999d", -5), FMT_MAX_WIDTH + 1);
	EXPECT_EQ(fmt_format(ft_count_put, &count, "%-99999999x|", 1u), FMT_MAX_WIDTH + 1);
	EXPECT_EQ(count, FMT_MAX_WIDTH + 1);

	/* A width exactly at the clamp is honoured in full. */
	EXPECT_EQ(fmt_snprintf(buf, FMT_MAX_WIDTH + 64, "%*d|", FMT_MAX_WIDTH, -3),
		  FMT_MAX_WIDTH + 1);
	EXPECT_EQ(buf[FMT_MAX_WIDTH - 2], '-');
	EXPECT_EQ(buf[FMT_MAX_WIDTH - 1], '3');
	EXPECT_EQ(buf[FMT_MAX_WIDTH], '|');
	free(buf);
}
