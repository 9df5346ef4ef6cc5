/*
 * Freestanding string and memory primitives (see string.h).
 *
 * The bulk paths move one 64-bit word at a time. Word accesses go through str_word_t, which
 * is may_alias (so they never break type-based aliasing assumptions about the caller's
 * objects) and aligned(1) (so the compiler and UBSan treat them as possibly unaligned).
 * Stores are aligned by first handling a short byte prefix; loads may stay unaligned, which
 * x86-64, the only architecture Bastion runs on, performs in hardware.
 */
#include <stdint.h>

#include "kernel/string.h"

typedef uint64_t str_word_t __attribute__((may_alias, aligned(1)));

#define STR_WORD sizeof(uint64_t)

static inline uint64_t str_load(const unsigned char *p)
{
	return *(const str_word_t *)p;
}

static inline void str_store(unsigned char *p, uint64_t v)
{
	*(str_word_t *)p = v;
}

static inline int str_misalign(const void *p)
{
	return ((uintptr_t)p & (STR_WORD - 1)) != 0;
}

/*
 * Copies low to high addresses. Also correct for overlapping regions when d < s: every
 * store covers bytes below the next unread source byte, because d + 7 < s + 8.
 */
static void str_copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
	while (n > 0 && str_misalign(d)) {
		*d++ = *s++;
		n--;
	}
	while (n >= STR_WORD) {
		str_store(d, str_load(s));
		d += STR_WORD;
		s += STR_WORD;
		n -= STR_WORD;
	}
	while (n > 0) {
		*d++ = *s++;
		n--;
	}
}

/*
 * Copies high to low addresses, for overlapping regions with d > s: every store covers
 * bytes above the remaining (lower) source bytes, which therefore stay intact.
 */
static void str_copy_backward(unsigned char *d, const unsigned char *s, size_t n)
{
	d += n;
	s += n;
	while (n > 0 && str_misalign(d)) {
		*--d = *--s;
		n--;
	}
	while (n >= STR_WORD) {
		d -= STR_WORD;
		s -= STR_WORD;
		n -= STR_WORD;
		str_store(d, str_load(s));
	}
	while (n > 0) {
		*--d = *--s;
		n--;
	}
}

void *bastion_memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	str_copy_forward(dst, src, n);
	return dst;
}

void *bastion_memmove(void *dst, const void *src, size_t n)
{
	uintptr_t d = (uintptr_t)dst;
	uintptr_t s = (uintptr_t)src;

	/*
	 * Only a destination that starts inside the source needs the backward copy. The
	 * unsigned difference also sends d < s (wrapping to a huge value) forward.
	 */
	if (d - s >= n) {
		str_copy_forward(dst, src, n);
	} else if (d != s) {
		str_copy_backward(dst, src, n);
	}
	return dst;
}

void *bastion_memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	unsigned char b = (unsigned char)c;
	uint64_t pattern = (uint64_t)b * 0x0101010101010101ull;

	while (n > 0 && str_misalign(d)) {
		*d++ = b;
		n--;
	}
	while (n >= STR_WORD) {
		str_store(d, pattern);
		d += STR_WORD;
		n -= STR_WORD;
	}
	while (n > 0) {
		*d++ = b;
		n--;
	}
	return dst;
}

int bastion_memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *pa = a;
	const unsigned char *pb = b;

	/* Skip equal words quickly; the first differing word is resolved bytewise below. */
	while (n >= STR_WORD && str_load(pa) == str_load(pb)) {
		pa += STR_WORD;
		pb += STR_WORD;
		n -= STR_WORD;
	}
	for (; n > 0; n--, pa++, pb++) {
		if (*pa != *pb) {
			return (int)*pa - (int)*pb;
		}
	}
	return 0;
}

size_t bastion_strlen(const char *s)
{
	const char *p = s;

	/* Bytewise on purpose: a word-wide scan would read past the terminator. */
	while (*p != '\0') {
		p++;
	}
	return (size_t)(p - s);
}

size_t bastion_strnlen(const char *s, size_t max)
{
	size_t i = 0;

	while (i < max && s[i] != '\0') {
		i++;
	}
	return i;
}

int bastion_strcmp(const char *a, const char *b)
{
	const unsigned char *pa = (const unsigned char *)a;
	const unsigned char *pb = (const unsigned char *)b;

	while (*pa != '\0' && *pa == *pb) {
		pa++;
		pb++;
	}
	return (int)*pa - (int)*pb;
}

int bastion_strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *pa = (const unsigned char *)a;
	const unsigned char *pb = (const unsigned char *)b;

	for (; n > 0; n--, pa++, pb++) {
		if (*pa != *pb) {
			return (int)*pa - (int)*pb;
		}
		if (*pa == '\0') {
			break;
		}
	}
	return 0;
}

size_t str_copy(char *dst, const char *src, size_t size)
{
	size_t len = bastion_strlen(src);

	if (size > 0) {
		size_t n = len < size ? len : size - 1;

		bastion_memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

void mem_wipe(void *p, size_t n)
{
	bastion_memset(p, 0, n);
	/*
	 * The compiler must assume this empty asm reads all memory reachable from p, so the
	 * stores above stay live even when the buffer is freed or goes out of scope next.
	 */
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

#ifndef BASTION_HOST
void *memcpy(void *restrict dst, const void *restrict src, size_t n)
	__attribute__((alias("bastion_memcpy")));
void *memmove(void *dst, const void *src, size_t n) __attribute__((alias("bastion_memmove")));
void *memset(void *dst, int c, size_t n) __attribute__((alias("bastion_memset")));
int memcmp(const void *a, const void *b, size_t n) __attribute__((alias("bastion_memcmp")));
size_t strlen(const char *s) __attribute__((alias("bastion_strlen")));
size_t strnlen(const char *s, size_t max) __attribute__((alias("bastion_strnlen")));
int strcmp(const char *a, const char *b) __attribute__((alias("bastion_strcmp")));
int strncmp(const char *a, const char *b, size_t n) __attribute__((alias("bastion_strncmp")));
#endif
