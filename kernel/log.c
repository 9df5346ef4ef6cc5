#include "kernel/log.h"

#include <stdarg.h>

#include "kernel/console.h"

static const char *log_tag(int level)
{
	switch (level) {
	case LOG_LEVEL_ERROR:
		return "error: ";
	case LOG_LEVEL_WARN:
		return "warning: ";
	case LOG_LEVEL_VERBOSE:
		return "verbose: ";
	default:
		return "";
	}
}

void log_printf(int level, const char *fmt, ...)
{
	va_list ap;

	console_printf("bastion: %s", log_tag(level));
	va_start(ap, fmt);
	console_vprintf(fmt, ap);
	va_end(ap);
	console_putc('\n');
}
