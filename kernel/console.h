/*
 * Console: where every line Bastion prints goes: COM1, on SEV-SNP through the #VC handler and
 * the GHCB. Output is unbuffered and synchronous so that a crash loses nothing already
 * printed, except on SNP before the GHCB exists (console_init_deferred()).
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

void console_init(void);
/* SEV-SNP: keep output in memory (8 KiB) until console_start() can reach the UART. */
void console_init_deferred(void);
/* Initialises the UART and writes out what console_init_deferred() kept; no-op otherwise. */
void console_start(void);
void console_putc(char c);
void console_write(const char *s, size_t len);
void console_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
