/*
 * Freestanding printf engine.
 *
 * Supported: %% %c %s %d %i %u %x %X %o %p; flags '-' '0' ' ' '+' '#'; width and precision
 * as digits or '*'; length modifiers hh h l ll z t j. No floating point. The output matches
 * glibc for every well-formed format in that subset, including "(null)" for a NULL %s and
 * "(nil)" for a NULL %p, so the host tests compare against snprintf.
 *
 * Hostile formats are survivable: widths and precisions are clamped to FMT_MAX_WIDTH, an
 * unknown conversion is printed literally, and a format that ends inside a conversion
 * ("%", "%-08l") is printed literally up to its terminator and never read past it. Arguments
 * still have to match the format: like any varargs function, a missing argument is undefined.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

/* Upper bound applied to every field width and precision, so "%999999999d" stays cheap. */
#define FMT_MAX_WIDTH 4096

/* Output sink: called once per character, in order. */
typedef void (*fmt_put_fn)(char c, void *ctx);

/*
 * Formats fmt with ap, passing every output character to put(c, ctx); nothing is buffered
 * and no terminator is emitted. Returns the number of characters passed to put.
 */
size_t fmt_vformat(fmt_put_fn put, void *ctx, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* fmt_vformat with a variable argument list. */
size_t fmt_format(fmt_put_fn put, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * C99 vsnprintf: writes at most size - 1 characters to buf and always NUL-terminates when
 * size > 0; size 0 writes nothing and buf may then be NULL. Returns the length the complete
 * output would have (excluding the NUL), so a result >= size means it was truncated.
 */
size_t fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* fmt_vsnprintf with a variable argument list. */
size_t fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
