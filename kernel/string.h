/*
 * Freestanding string and memory primitives.
 *
 * Bastion links no libc, so the kernel carries its own small subset. Every function exists
 * under a bastion_ name that is safe to call and to unit-test on the host next to glibc.
 * In the kernel build (BASTION_HOST not defined) string.c also exports the standard names
 * (memcpy, memset, ...) as aliases, because gcc emits calls to memcpy/memmove/memset/memcmp
 * for struct copies and large initialisers even with -ffreestanding.
 *
 * string.c must be compiled with -fno-tree-loop-distribute-patterns: otherwise gcc may turn
 * the byte loops below back into calls to memset/memcpy, which in the kernel are these very
 * functions (infinite recursion).
 */
#pragma once

#include <stddef.h>

/*
 * Copies n bytes from src to dst. The regions must not overlap (use bastion_memmove).
 * Returns dst.
 */
void *bastion_memcpy(void *restrict dst, const void *restrict src, size_t n);

/* Copies n bytes from src to dst; the regions may overlap. Returns dst. */
void *bastion_memmove(void *dst, const void *src, size_t n);

/* Sets n bytes at dst to (unsigned char)c. Returns dst. */
void *bastion_memset(void *dst, int c, size_t n);

/*
 * Compares n bytes as unsigned char. Returns <0, 0 or >0 as a sorts before, equal to or
 * after b. Not constant-time: never use it to compare secrets.
 */
int bastion_memcmp(const void *a, const void *b, size_t n);

/* Returns the number of bytes before the terminating NUL of s. */
size_t bastion_strlen(const char *s);

/* Returns bastion_strlen(s), but reads at most max bytes and returns max if none is NUL. */
size_t bastion_strnlen(const char *s, size_t max);

/* Compares two NUL-terminated strings as unsigned char; result sign as bastion_memcmp. */
int bastion_strcmp(const char *a, const char *b);

/* Like bastion_strcmp, but compares at most n bytes (stopping early at a NUL). */
int bastion_strncmp(const char *a, const char *b, size_t n);

/*
 * strlcpy semantics: copies src into dst, writing at most size bytes including the
 * terminator, and always NUL-terminates dst when size > 0 (size 0 writes nothing, dst may
 * then be NULL). Returns strlen(src), so a result >= size means the copy was truncated.
 * src must be NUL-terminated; dst and src must not overlap.
 */
size_t str_copy(char *dst, const char *src, size_t size);

/*
 * Zeroes n bytes at p in a way the compiler cannot elide even if p is dead afterwards
 * (dead-store elimination): use it for keys, secrets and anything derived from them.
 */
void mem_wipe(void *p, size_t n);

#ifndef BASTION_HOST
/* Standard names for the compiler and for plain C code; aliases of the bastion_ functions. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
#endif
