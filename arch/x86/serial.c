/*
 * COM1 16550 driver (register map: National Semiconductor PC16550D data sheet, table II).
 */
#include "arch/x86/serial.h"

#include "arch/x86/cpu.h"

#define COM1 0x3F8
#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THRE 0x20
#define LCR_DLAB 0x80
#define LCR_8N1 0x03

/* A real 16550 drains a byte in ~87 us at 115200 baud; this bound only stops a dead UART
 * from hanging Bastion. */
#define SERIAL_SPIN_LIMIT 100000

void serial_init(void)
{
	cpu_outb(COM1 + UART_IER, 0x00);
	cpu_outb(COM1 + UART_LCR, LCR_DLAB);
	cpu_outb(COM1 + UART_DLL, 0x01); /* 115200 baud */
	cpu_outb(COM1 + UART_DLM, 0x00);
	cpu_outb(COM1 + UART_LCR, LCR_8N1);
	cpu_outb(COM1 + UART_FCR, 0xC7); /* enable + clear FIFOs, 14-byte threshold */
	cpu_outb(COM1 + UART_MCR, 0x03); /* DTR | RTS */
}

void serial_putc(char c)
{
	for (unsigned int i = 0; i < SERIAL_SPIN_LIMIT; i++) {
		if ((cpu_inb(COM1 + UART_LSR) & LSR_THRE) != 0) {
			cpu_outb(COM1 + UART_THR, (uint8_t)c);
			return;
		}
		cpu_relax();
	}
}
