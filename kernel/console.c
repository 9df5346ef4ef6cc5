#include "kernel/console.h"

#include "arch/x86/serial.h"
#include "kernel/format.h"

void console_init(void)
{
	serial_init();
}

void console_putc(char c)
{
	if (c == '\n') {
		serial_putc('\r');
	}
	serial_putc(c);
}

void console_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		console_putc(s[i]);
	}
}

static void console_put_cb(char c, void *ctx)
{
	(void)ctx;
	console_putc(c);
}

void console_vprintf(const char *fmt, va_list ap)
{
	fmt_vformat(console_put_cb, NULL, fmt, ap);
}

void console_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	console_vprintf(fmt, ap);
	va_end(ap);
}
