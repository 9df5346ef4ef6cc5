#include "tests/guest/conformance/console.h"

#include <stdbool.h>
#include <stdint.h>

#include "tests/guest/conformance/io.h"

#define COM1 0x3F8
#define COM1_LSR (COM1 + 5)
#define LSR_THRE 0x20 /* transmit holding register empty (16550) */

static void con_putc(char c)
{
	for (int spin = 0; spin < 100000 && (inb(COM1_LSR) & LSR_THRE) == 0; spin++) {
	}
	outb(COM1, (uint8_t)c);
}

static void con_puts(const char *s)
{
	while (*s != '\0') {
		con_putc(*s++);
	}
}

static void con_number(uint64_t v, unsigned int base, bool negative, int width, char pad)
{
	char buf[24];
	int n = 0;

	do {
		unsigned int d = (unsigned int)(v % base);

		buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v != 0);
	if (negative) {
		buf[n++] = '-';
	}
	while (n < width) {
		con_putc(pad);
		width--;
	}
	while (n > 0) {
		con_putc(buf[--n]);
	}
}

void con_vprintf(const char *fmt, va_list ap)
{
	for (const char *p = fmt; *p != '\0'; p++) {
		int width = 0;
		char pad = ' ';
		bool is_long = false;

		if (*p != '%') {
			con_putc(*p);
			continue;
		}
		p++;
		if (*p == '0') {
			pad = '0';
			p++;
		}
		while (*p >= '0' && *p <= '9') {
			width = width * 10 + (*p++ - '0');
		}
		while (*p == 'l') {
			is_long = true;
			p++;
		}
		switch (*p) {
		case 's':
			con_puts(va_arg(ap, const char *));
			break;
		case 'c':
			con_putc((char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t v = is_long ? va_arg(ap, int64_t) : va_arg(ap, int);

			con_number(v < 0 ? (uint64_t)-v : (uint64_t)v, 10, v < 0, width, pad);
			break;
		}
		case 'u':
			con_number(is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int), 10, false,
				   width, pad);
			break;
		case 'x':
			con_number(is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int), 16, false,
				   width, pad);
			break;
		case '%':
			con_putc('%');
			break;
		case '\0':
			return;
		default:
			con_putc('%');
			con_putc(*p);
			break;
		}
	}
}

void con_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
}
