/*
 * Console: where every line Bastion prints goes. Today that is COM1 on the native platform;
 * on SNP it will be the same UART reached through the GHCB.
 * Output is unbuffered and synchronous so that a crash loses nothing already printed.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

void console_init(void);
void console_putc(char c);
void console_write(const char *s, size_t len);
void console_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
