#include "kernel/console.h"

#include "arch/x86/serial.h"
#include "kernel/format.h"

/*
 * Before console_start() on SEV-SNP the UART cannot be reached (port I/O raises #VC, and the
 * #VC handler needs the GHCB, which needs the page allocator): lines are kept here and
 * written out by console_start(). What does not fit is counted and reported.
 */
#define CONSOLE_EARLY_SIZE 8192u

static char early_buf[CONSOLE_EARLY_SIZE];
static unsigned int early_len;
static unsigned int early_lost;
static bool deferred;

void console_init(void)
{
	serial_init();
}

void console_init_deferred(void)
{
	deferred = true;
}

static void console_emit(char c)
{
	if (c == '\n') {
		serial_putc('\r');
	}
	serial_putc(c);
}

void console_start(void)
{
	if (!deferred) {
		return;
	}
	serial_init();
	deferred = false;
	for (unsigned int i = 0; i < early_len; i++) {
		console_emit(early_buf[i]);
	}
	if (early_lost != 0) {
		console_printf("bastion: console: %u bytes of the early log did not fit and were lost\n",
			       early_lost);
	}
	early_len = 0;
}

void console_putc(char c)
{
	if (deferred) {
		if (early_len < CONSOLE_EARLY_SIZE) {
			early_buf[early_len++] = c;
		} else {
			early_lost++;
		}
		return;
	}
	console_emit(c);
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
