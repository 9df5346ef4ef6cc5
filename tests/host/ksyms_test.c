/*
 * Host tests for kernel/ksyms.c: lookups on hand-built tables, a randomized comparison with
 * a linear reference, and damaged tables that must yield NULL without reading out of bounds
 * (the names blobs live in exact-size heap buffers so ASan would see an over-read).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/ksyms.h"
#include "tests/ktest/ktest.h"


/* "a\0b\0b_alias\0b_alias2\0c\0d\0" */
static const char kt_names[] = "a\0b\0b_alias\0b_alias2\0c\0d";

static const struct ksym kt_syms[] = {
	{ .addr = 0x1000, .name_offset = 0 },  /* a */
	{ .addr = 0x1100, .name_offset = 2 },  /* b */
	{ .addr = 0x1100, .name_offset = 4 },  /* b_alias */
	{ .addr = 0x1100, .name_offset = 12 }, /* b_alias2 */
	{ .addr = 0x1200, .name_offset = 21 }, /* c */
	{ .addr = 0x1300, .name_offset = 23 }, /* d */
};

static const struct ksym_table kt_table = {
	.syms = kt_syms,
	.count = sizeof(kt_syms) / sizeof(kt_syms[0]),
	.names = kt_names,
	.names_size = sizeof(kt_names),
	.text_start = 0x0f00,
	.text_end = 0x2000,
};

/* Looks addr up and checks name and offset; want_name NULL means "no symbol, offset 0". */
static void kt_expect(const struct ksym_table *t, uint64_t addr, const char *want_name,
		      uint64_t want_off, int line)
{
	uint64_t off = 0xdeadbeef;
	const char *name = ksyms_lookup(t, addr, &off);

	if (want_name == NULL) {
		if (name != NULL || off != 0) {
			ktest_report_failure(__FILE__, line, "0x%llx: want NULL/0, got %s/0x%llx",
					     (unsigned long long)addr, name != NULL ? name : "NULL",
					     (unsigned long long)off);
		}
		return;
	}
	if (name == NULL || strcmp(name, want_name) != 0 || off != want_off) {
		ktest_report_failure(__FILE__, line, "0x%llx: want %s+0x%llx, got %s+0x%llx",
				     (unsigned long long)addr, want_name,
				     (unsigned long long)want_off, name != NULL ? name : "NULL",
				     (unsigned long long)off);
	}
}

#define KT_EXPECT(t, addr, name, off) kt_expect((t), (addr), (name), (off), __LINE__)

KTEST(ksyms, exact_hits_and_offsets)
{
	KT_EXPECT(&kt_table, 0x1000, "a", 0);
	KT_EXPECT(&kt_table, 0x1001, "a", 1);
	KT_EXPECT(&kt_table, 0x10ff, "a", 0xff);
	KT_EXPECT(&kt_table, 0x1200, "c", 0);
	KT_EXPECT(&kt_table, 0x12ff, "c", 0xff);
	KT_EXPECT(&kt_table, 0x1300, "d", 0);
	/* The last symbol extends to text_end. */
	KT_EXPECT(&kt_table, 0x1fff, "d", 0xcff);
	/* offset may be NULL. */
	EXPECT_STREQ(ksyms_lookup(&kt_table, 0x1234, NULL), "c");
	EXPECT_NULL(ksyms_lookup(&kt_table, 0x10, NULL));
}

KTEST(ksyms, outside_text_or_before_first)
{
	/* Inside text but before the first symbol. */
	KT_EXPECT(&kt_table, 0x0f00, NULL, 0);
	KT_EXPECT(&kt_table, 0x0fff, NULL, 0);
	/* Below text_start. */
	KT_EXPECT(&kt_table, 0, NULL, 0);
	KT_EXPECT(&kt_table, 0x0eff, NULL, 0);
	/* At and after text_end. */
	KT_EXPECT(&kt_table, 0x2000, NULL, 0);
	KT_EXPECT(&kt_table, 0x2001, NULL, 0);
	KT_EXPECT(&kt_table, UINT64_MAX, NULL, 0);
}

KTEST(ksyms, duplicates_return_first)
{
	KT_EXPECT(&kt_table, 0x1100, "b", 0);
	KT_EXPECT(&kt_table, 0x1180, "b", 0x80);
	KT_EXPECT(&kt_table, 0x11ff, "b", 0xff);
}

/* Fills a table of n entries 0x10 apart, except that [start, start + run) share one address. */
static void kt_fill_run(struct ksym *syms, char *names, size_t n, size_t start, size_t run)
{
	uint64_t addr = 0x1000;

	for (size_t i = 0; i < n; i++) {
		if (i > 0 && !(i > start && i < start + run)) {
			addr += 0x10;
		}
		syms[i].addr = addr;
		syms[i].name_offset = (uint32_t)(i * 8);
		snprintf(names + i * 8, 8, "s%hu", (unsigned short)i);
	}
}

KTEST(ksyms, long_duplicate_runs)
{
	/* Runs of aliases at many positions, so the bisection lands everywhere inside them. */
	enum { N = 257 };
	static struct ksym syms[N];
	static char names[N * 8];
	struct ksym_table t = { .syms = syms,
				.count = N,
				.names = names,
				.names_size = sizeof(names),
				.text_start = 0,
				.text_end = 1u << 20 };
	unsigned int bad = 0;

	for (size_t run = 1; run <= 64; run += 7) {
		for (size_t start = 0; start + run <= N; start += 13) {
			uint64_t off = 1;
			const char *got;

			kt_fill_run(syms, names, N, start, run);
			got = ksyms_lookup(&t, syms[start].addr + 3, &off);
			if (got != names + start * 8 || off != 3) {
				bad++;
			}
		}
	}
	EXPECT_EQ(bad, 0);
}

/* Reference: linear scan for the first entry of the last address <= addr. */
static long kt_linear(const struct ksym *syms, size_t count, uint64_t addr)
{
	long best = -1;

	for (size_t i = 0; i < count; i++) {
		if (syms[i].addr <= addr && (best < 0 || syms[i].addr != syms[best].addr)) {
			best = (long)i;
		}
	}
	return best;
}

KTEST(ksyms, random_tables_match_linear_scan)
{
	static struct ksym syms[300];
	static char names[300 * 8];
	uint64_t rng = 0x243f6a8885a308d3ull;
	unsigned int bad = 0;

	for (size_t count = 1; count <= 300; count += 23) {
		struct ksym_table t = { .syms = syms,
					.count = count,
					.names = names,
					.names_size = sizeof(names),
					.text_start = 0x100,
					.text_end = 0x100000 };
		uint64_t addr = 0x200;

		for (size_t i = 0; i < count; i++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			/* Step 0 (a duplicate) a quarter of the time. */
			addr += (rng & 3) == 0 ? 0 : (rng >> 8) % 64 + 1;
			syms[i].addr = addr;
			syms[i].name_offset = (uint32_t)(i * 8);
			snprintf(names + i * 8, 8, "f%hu", (unsigned short)i);
		}
		for (uint64_t a = 0x80; a < addr + 0x80; a++) {
			bool in_text = a >= t.text_start && a < t.text_end;
			long want = in_text ? kt_linear(syms, count, a) : -1;
			uint64_t off = 7;
			const char *got = ksyms_lookup(&t, a, &off);

			if (want < 0) {
				bad += got != NULL || off != 0;
			} else {
				bad += got != names + syms[want].name_offset ||
				       off != a - syms[want].addr;
			}
		}
	}
	EXPECT_EQ(bad, 0);
}

KTEST(ksyms, empty_and_null_tables)
{
	struct ksym_table empty = kt_table;
	struct ksym_table no_syms = kt_table;
	struct ksym_table no_names = kt_table;
	uint64_t off = 5;

	empty.count = 0;
	no_syms.syms = NULL;
	no_names.names = NULL;
	EXPECT_NULL(ksyms_lookup(NULL, 0x1000, &off));
	EXPECT_EQ(off, 0);
	KT_EXPECT(&empty, 0x1000, NULL, 0);
	KT_EXPECT(&no_syms, 0x1000, NULL, 0);
	KT_EXPECT(&no_names, 0x1000, NULL, 0);
}

KTEST(ksyms, corrupted_names_return_null)
{
	/* "ok\0tail" without a final NUL: 7 bytes on the heap, nothing beyond. */
	static const char blob[] = { 'o', 'k', '\0', 't', 'a', 'i', 'l' };
	char *names = malloc(sizeof(blob));
	struct ksym syms[2] = {
		{ .addr = 0x1000, .name_offset = 0 },
		{ .addr = 0x2000, .name_offset = 3 },
	};
	struct ksym_table t = { .syms = syms,
				.count = 2,
				.names = NULL,
				.names_size = sizeof(blob),
				.text_start = 0x1000,
				.text_end = 0x3000 };

	ASSERT_NOT_NULL(names);
	memcpy(names, blob, sizeof(blob));
	t.names = names;

	KT_EXPECT(&t, 0x1010, "ok", 0x10);
	/* The name at offset 3 runs off the end of names: refused, and ASan saw no over-read. */
	KT_EXPECT(&t, 0x2010, NULL, 0);

	/* Offsets at, past and far past names_size. */
	syms[1].name_offset = (uint32_t)sizeof(blob);
	KT_EXPECT(&t, 0x2010, NULL, 0);
	syms[1].name_offset = (uint32_t)sizeof(blob) + 1;
	KT_EXPECT(&t, 0x2010, NULL, 0);
	syms[1].name_offset = UINT32_MAX;
	KT_EXPECT(&t, 0x2010, NULL, 0);

	/* The empty name (offset at the NUL) is valid, just unhelpful. */
	syms[1].name_offset = 2;
	KT_EXPECT(&t, 0x2010, "", 0x10);

	/* names_size 0 makes every name invalid. */
	t.names_size = 0;
	KT_EXPECT(&t, 0x1010, NULL, 0);
	free(names);
}
