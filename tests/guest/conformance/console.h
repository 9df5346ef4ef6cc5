/*
 * Serial output on COM1 (port 0x3F8: the native platform passes it through to QEMU's UART,
 * arch/x86/svm/svm.c) and a small printf: %s %c %d %u %x %lx %lu %ld %%, with an optional
 * zero-padded width (%08x, %016lx).
 */
#pragma once

#include <stdarg.h>

void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void con_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
