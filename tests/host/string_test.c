/*
 * Host tests for kernel/string.c, differential against glibc.
 *
 * The word-at-a-time paths have separate prefix, bulk and tail phases, so every function is
 * run over all source/destination alignments 0..15 and lengths 0..130 (several words plus
 * every possible remainder). Guard bytes around each destination catch stray writes; exact
 * heap allocations let ASan catch stray reads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/string.h"
#include "tests/ktest/ktest.h"

#define ST_MAX_LEN 130
#define ST_ALIGNS 16
#define ST_BUF (ST_ALIGNS + ST_MAX_LEN + ST_ALIGNS + 64)


static uint64_t st_rng_state;

/* xorshift64: deterministic, so a failure reproduces. */
static uint64_t st_rand(void)
{
	uint64_t x = st_rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	st_rng_state = x;
	return x;
}

static void st_fill_random(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		p[i] = (unsigned char)st_rand();
	}
}

static int st_sign(int v)
{
	return (v > 0) - (v < 0);
}

KTEST(string, memcpy_all_alignments)
{
	unsigned char src[ST_BUF], dst[ST_BUF], want[ST_BUF];
	unsigned int bad = 0;

	st_rng_state = 0x9e3779b97f4a7c15ull;
	for (size_t sa = 0; sa < ST_ALIGNS; sa++) {
		for (size_t da = 0; da < ST_ALIGNS; da++) {
			for (size_t len = 0; len <= ST_MAX_LEN; len++) {
				void *ret;

				st_fill_random(src, sizeof(src));
				st_fill_random(dst, sizeof(dst));
				memcpy(want, dst, sizeof(want));
				memcpy(want + da, src + sa, len);
				ret = bastion_memcpy(dst + da, src + sa, len);
				if (ret != dst + da || memcmp(dst, want, sizeof(dst)) != 0) {
					bad++;
				}
			}
		}
	}
	EXPECT_EQ(bad, 0);
}

KTEST(string, memmove_overlap_both_directions)
{
	unsigned char buf[ST_BUF + 64], want[ST_BUF + 64];
	unsigned int bad = 0;
	unsigned int cases = 0;

	st_rng_state = 0x0123456789abcdefull;
	for (size_t sa = 0; sa < ST_ALIGNS; sa++) {
		/* delta < 0: destination below the source (forward copy); > 0: above (backward). */
		for (int delta = -24; delta <= 24; delta++) {
			for (size_t len = 0; len <= ST_MAX_LEN; len++) {
				size_t s = 32 + sa;
				size_t d = (size_t)((long)s + delta);
				void *ret;

				st_fill_random(buf, sizeof(buf));
				memcpy(want, buf, sizeof(want));
				memmove(want + d, want + s, len);
				ret = bastion_memmove(buf + d, buf + s, len);
				if (ret != buf + d || memcmp(buf, want, sizeof(buf)) != 0) {
					bad++;
				}
				cases++;
			}
		}
	}
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(cases, ST_ALIGNS * 49 * (ST_MAX_LEN + 1));
}

KTEST(string, memmove_disjoint_all_alignments)
{
	unsigned char src[ST_BUF], dst[ST_BUF], want[ST_BUF];
	unsigned int bad = 0;

	st_rng_state = 0xfeedfacecafebeefull;
	for (size_t sa = 0; sa < ST_ALIGNS; sa++) {
		for (size_t da = 0; da < ST_ALIGNS; da++) {
			for (size_t len = 0; len <= ST_MAX_LEN; len++) {
				st_fill_random(src, sizeof(src));
				st_fill_random(dst, sizeof(dst));
				memcpy(want, dst, sizeof(want));
				memcpy(want + da, src + sa, len);
				bastion_memmove(dst + da, src + sa, len);
				if (memcmp(dst, want, sizeof(dst)) != 0) {
					bad++;
				}
			}
		}
	}
	EXPECT_EQ(bad, 0);
}

KTEST(string, memset_all_alignments)
{
	static const int values[] = { 0, 0x5a, 0x80, 0xff, 0x1ff, -1, -128 };
	unsigned char buf[ST_BUF], want[ST_BUF];
	unsigned int bad = 0;

	st_rng_state = 0x1122334455667788ull;
	for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
		for (size_t a = 0; a < ST_ALIGNS; a++) {
			for (size_t len = 0; len <= ST_MAX_LEN; len++) {
				void *ret;

				st_fill_random(buf, sizeof(buf));
				memcpy(want, buf, sizeof(want));
				memset(want + a, values[v], len);
				ret = bastion_memset(buf + a, values[v], len);
				if (ret != buf + a || memcmp(buf, want, sizeof(buf)) != 0) {
					bad++;
				}
			}
		}
	}
	EXPECT_EQ(bad, 0);
}

KTEST(string, memcmp_sign_matches_libc)
{
	unsigned char a[ST_BUF], b[ST_BUF];
	unsigned int bad = 0;

	st_rng_state = 0xa5a5a5a5deadbeefull;
	for (size_t aa = 0; aa < ST_ALIGNS; aa += 3) {
		for (size_t ba = 0; ba < ST_ALIGNS; ba += 5) {
			for (size_t len = 0; len <= ST_MAX_LEN; len++) {
				st_fill_random(a, sizeof(a));
				memcpy(b + ba, a + aa, len);
				if (bastion_memcmp(a + aa, b + ba, len) != 0) {
					bad++;
				}
				/* A difference at each position, both orders, high bit set. */
				for (size_t pos = 0; pos < len; pos++) {
					unsigned char saved = b[ba + pos];

					b[ba + pos] = (unsigned char)(a[aa + pos] ^ 0x80);
					if (st_sign(bastion_memcmp(a + aa, b + ba, len)) !=
					    st_sign(memcmp(a + aa, b + ba, len))) {
						bad++;
					}
					if (st_sign(bastion_memcmp(b + ba, a + aa, len)) !=
					    st_sign(memcmp(b + ba, a + aa, len))) {
						bad++;
					}
					b[ba + pos] = saved;
				}
			}
		}
	}
	EXPECT_EQ(bad, 0);

	/* Bytes compare unsigned: 0x80 sorts after 0x7f. */
	EXPECT_GT(bastion_memcmp("\x80", "\x7f", 1), 0);
	EXPECT_LT(bastion_memcmp("\x01\x7f", "\x01\x80", 2), 0);
	/* A difference beyond n is ignored. */
	EXPECT_EQ(bastion_memcmp("abcX", "abcY", 3), 0);
}

KTEST(string, strlen_strnlen_exact_heap)
{
	unsigned int bad = 0;

	/* Exact-size heap strings: any read past the terminator (or past max) trips ASan. */
	for (size_t len = 0; len <= ST_MAX_LEN; len++) {
		char *s = malloc(len + 1);

		ASSERT_NOT_NULL(s);
		memset(s, 'a' + (int)(len % 26), len);
		s[len] = '\0';
		if (bastion_strlen(s) != len || bastion_strnlen(s, len + 1) != len ||
		    bastion_strnlen(s, len) != len || bastion_strnlen(s, SIZE_MAX) != len) {
			bad++;
		}
		for (size_t max = 0; max <= len; max++) {
			if (bastion_strnlen(s, max) != max) {
				bad++;
			}
		}
		free(s);

		/* strnlen must stop at max on an unterminated buffer of exactly max bytes. */
		s = malloc(len == 0 ? 1 : len);
		ASSERT_NOT_NULL(s);
		memset(s, 'z', len);
		if (bastion_strnlen(s, len) != len) {
			bad++;
		}
		free(s);
	}
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(bastion_strlen("hello\0world"), 5);
	EXPECT_EQ(bastion_strnlen("hello", 3), 3);
}

KTEST(string, strcmp_strncmp_sign_matches_libc)
{
	static const char *const strs[] = { "", "a", "b", "ab", "abc", "abd", "abcd", "ABC",
					    "\x7f", "\x80", "\xff", "a\x80", "a\x7f", "zzzz" };
	size_t n_strs = sizeof(strs) / sizeof(strs[0]);
	unsigned int bad = 0;

	for (size_t i = 0; i < n_strs; i++) {
		for (size_t j = 0; j < n_strs; j++) {
			if (st_sign(bastion_strcmp(strs[i], strs[j])) !=
			    st_sign(strcmp(strs[i], strs[j]))) {
				bad++;
			}
			for (size_t n = 0; n <= 6; n++) {
				if (st_sign(bastion_strncmp(strs[i], strs[j], n)) !=
				    st_sign(strncmp(strs[i], strs[j], n))) {
					bad++;
				}
			}
		}
	}
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(bastion_strncmp("abcX", "abcY", 3), 0);
	/* Equal prefixes stop at the NUL, even with n far beyond the strings. */
	EXPECT_EQ(bastion_strncmp("abc", "abc", SIZE_MAX), 0);
	EXPECT_LT(bastion_strcmp("abc", "abcd"), 0);
	EXPECT_GT(bastion_strcmp("\xff", "a"), 0);
}

KTEST(string, str_copy_truncates_and_terminates)
{
	char buf[16];
	size_t n;

	/* Fits. */
	memset(buf, 'X', sizeof(buf));
	n = str_copy(buf, "hello", sizeof(buf));
	EXPECT_EQ(n, 5);
	EXPECT_STREQ(buf, "hello");
	EXPECT_EQ(buf[6], 'X');

	/* Exact fit: 5 characters + NUL in 6 bytes. */
	memset(buf, 'X', sizeof(buf));
	EXPECT_EQ(str_copy(buf, "hello", 6), 5);
	EXPECT_STREQ(buf, "hello");
	EXPECT_EQ(buf[6], 'X');

	/* One short: truncated and still terminated; the result signals truncation. */
	memset(buf, 'X', sizeof(buf));
	n = str_copy(buf, "hello", 5);
	EXPECT_EQ(n, 5);
	EXPECT_GE(n, (size_t)5);
	EXPECT_STREQ(buf, "hell");
	EXPECT_EQ(buf[5], 'X');

	/* size 1: just the NUL. */
	memset(buf, 'X', sizeof(buf));
	EXPECT_EQ(str_copy(buf, "hello", 1), 5);
	EXPECT_EQ(buf[0], '\0');
	EXPECT_EQ(buf[1], 'X');

	/* size 0: nothing written; dst may be NULL. */
	memset(buf, 'X', sizeof(buf));
	EXPECT_EQ(str_copy(buf, "hello", 0), 5);
	EXPECT_EQ(buf[0], 'X');
	EXPECT_EQ(str_copy(NULL, "hello", 0), 5);

	/* Empty source. */
	memset(buf, 'X', sizeof(buf));
	EXPECT_EQ(str_copy(buf, "", sizeof(buf)), 0);
	EXPECT_EQ(buf[0], '\0');
	EXPECT_EQ(buf[1], 'X');

	/* Every size into an exact heap buffer: ASan checks the writes. */
	for (size_t size = 1; size <= 12; size++) {
		char *d = malloc(size);

		ASSERT_NOT_NULL(d);
		EXPECT_EQ(str_copy(d, "0123456789", size), 10);
		EXPECT_EQ(strlen(d), size - 1 < 10 ? size - 1 : 10);
		EXPECT_EQ(strncmp(d, "0123456789", size - 1), 0);
		free(d);
	}
}

KTEST(string, mem_wipe_zeroes_exactly)
{
	unsigned char buf[ST_BUF];
	unsigned int bad = 0;

	for (size_t a = 0; a < ST_ALIGNS; a++) {
		for (size_t len = 0; len <= ST_MAX_LEN; len++) {
			memset(buf, 0xa5, sizeof(buf));
			mem_wipe(buf + a, len);
			for (size_t i = 0; i < sizeof(buf); i++) {
				unsigned char want = i >= a && i < a + len ? 0 : 0xa5;

				if (buf[i] != want) {
					bad++;
				}
			}
		}
	}
	EXPECT_EQ(bad, 0);

	/* The typical use: a secret on the heap wiped right before free. */
	{
		unsigned char *secret = malloc(48);
		unsigned char zero[48] = { 0 };

		ASSERT_NOT_NULL(secret);
		memset(secret, 0x42, 48);
		mem_wipe(secret, 48);
		EXPECT_MEMEQ(secret, zero, 48);
		free(secret);
	}
	mem_wipe(NULL, 0);
}
