/*
 * 16550 UART on COM1 (I/O port 0x3F8): Bastion's console on the native platform.
 * Port I/O raises #VC under SEV-SNP, so on SNP the console goes through the GHCB instead.
 */
#pragma once

#include <stddef.h>

/* Programs COM1 for 115200 8N1 with FIFOs. Safe to call more than once. */
void serial_init(void);

/* Writes one byte; waits a bounded time for the transmitter, then drops the byte. */
void serial_putc(char c);
