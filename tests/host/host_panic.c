#include "tests/host/host_panic.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernel/panic.h"

jmp_buf *host_panic_catch;
char host_panic_message[256];

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(host_panic_message, sizeof(host_panic_message), fmt, ap);
	va_end(ap);
	if (host_panic_catch != NULL) {
		longjmp(*host_panic_catch, 1);
	}
	fprintf(stderr, "host panic: %s\n", host_panic_message);
	abort();
}

void panic_terminate(void)
{
	if (host_panic_catch != NULL) {
		longjmp(*host_panic_catch, 1);
	}
	abort();
}
