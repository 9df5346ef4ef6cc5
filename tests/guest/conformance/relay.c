/*
 * The vTPM relay guest (issue #8 item 4): the same firmware image skeleton as the conformance
 * guest, with this main instead of the checks. It finds the SVSM like Linux and OVMF do, asks
 * VTPM_QUERY for SEND_COMMAND, and then serves Microsoft-simulator command-port frames that
 * arrive on COM2 (0x2F8; QEMU connects it to a socket, tests/relay/mssim_relay.py makes that
 * socket an mssim TPM on 127.0.0.1) by passing each TPM command through SVSM_VTPM_CMD exactly
 * as Linux's tpm_svsm does: one private page, u32 8 | u8 locality 0 | u32 size | command, the
 * response read back from the same page. So unmodified tpm2-tools reach the TPM inside Bastion.
 *
 * Frames on COM2 (big endian, the mssim command port):
 *   8  SEND_COMMAND  u8 locality, u32 size, command -> u32 size, response, u32 0
 *   20 SESSION_END   (the client closed)            -> nothing
 *   21 STOP          the guest exits through isa-debug-exit (pass)
 *   15 HANDSHAKE     u32 client version             -> u32 1, u32 flags (0), u32 0
 * The mssim locality is ignored: the SVSM vTPM has locality 0 only (what Linux sends). A
 * command the SVSM refuses (RAX not SUCCESS) is answered with a TPM_RC_FAILURE response and
 * logged on COM1. Anything else on COM2 is a protocol error: logged, the guest exits (fail).
 */
#include <stdbool.h>
#include <stdint.h>

#include "tests/guest/conformance/check.h"
#include "tests/guest/conformance/console.h"
#include "tests/guest/conformance/io.h"
#include "tests/guest/conformance/layout.h"
#include "tests/guest/conformance/svsm.h"

void conformance_main(void);

#define COM2 0x2F8
#define UART_RBR 0
#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DR 0x01
#define LSR_THRE 0x20

#define MSSIM_SEND_COMMAND 8u
#define MSSIM_HANDSHAKE 15u
#define MSSIM_SESSION_END 20u
#define MSSIM_STOP 21u

static uint8_t *const page = (uint8_t *)VTPM_BUF_GPA;
static uint64_t relayed;

static void uart_init(void)
{
	outb(COM2 + UART_IER, 0);    /* polled */
	outb(COM2 + UART_LCR, 0x80); /* DLAB: divisor 1 (115200; QEMU does not pace anyway) */
	outb(COM2 + 0, 1);
	outb(COM2 + 1, 0);
	outb(COM2 + UART_LCR, 0x03); /* 8N1 */
	outb(COM2 + UART_FCR, 0x07); /* FIFOs on and cleared */
	outb(COM2 + UART_MCR, 0x03); /* DTR, RTS */
}

static uint8_t uart_get(void)
{
	while ((inb(COM2 + UART_LSR) & LSR_DR) == 0) {
	}
	return inb(COM2 + UART_RBR);
}

static void uart_put(uint8_t b)
{
	while ((inb(COM2 + UART_LSR) & LSR_THRE) == 0) {
	}
	outb(COM2 + UART_THR, b);
}

static uint32_t get_be32(void)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		v = v << 8 | uart_get();
	}
	return v;
}

static void put_be32(uint32_t v)
{
	for (int i = 3; i >= 0; i--) {
		uart_put((uint8_t)(v >> (8 * i)));
	}
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A 10-byte TPM response carrying rc (TPM_ST_NO_SESSIONS). */
static void reply_rc(uint32_t rc)
{
	static const uint8_t head[6] = { 0x80, 0x01, 0, 0, 0, 10 };

	put_be32(10);
	for (int i = 0; i < 6; i++) {
		uart_put(head[i]);
	}
	put_be32(rc);
	put_be32(0);
}

static void send_command(void)
{
	uint32_t size;
	struct svsm_regs r;
	uint64_t rax;
	uint32_t n;

	(void)uart_get(); /* mssim locality: the SVSM vTPM knows locality 0 only */
	size = get_be32();
	if (size > 4087) {
		/* Too big for the SVSM buffer: drop it, answer TPM_RC_COMMAND_SIZE. */
		for (uint32_t i = 0; i < size; i++) {
			(void)uart_get();
		}
		reply_rc(0x142);
		return;
	}
	put_le32(page, MSSIM_SEND_COMMAND);
	page[4] = 0;
	put_le32(page + 5, size);
	for (uint32_t i = 0; i < size; i++) {
		page[9 + i] = uart_get();
	}
	rax = svsm_call3(SVSM_VTPM_PROTOCOL, SVSM_VTPM_CMD, VTPM_BUF_GPA, 0, 0, &r);
	n = le32(page);
	if (rax != SVSM_SUCCESS || n < 10 || n > 4092) {
		con_printf("relay: VTPM_CMD answered RAX 0x%lx (response size %u): TPM_RC_FAILURE\n",
			   rax, n);
		reply_rc(0x101);
		return;
	}
	put_be32(n);
	for (uint32_t i = 0; i < n; i++) {
		uart_put(page[4 + i]);
	}
	put_be32(0);
	relayed++;
}

void conformance_main(void)
{
	struct svsm_regs r;

	con_printf("relay: Bastion vTPM relay guest starting\n");
	if (!svsm_discover()) {
		con_printf("relay: no usable SVSM: stopping\n");
		guest_exit(EXIT_FAIL);
	}
	if (svsm_call3(SVSM_VTPM_PROTOCOL, SVSM_VTPM_QUERY, 0, 0, 0, &r) != SVSM_SUCCESS ||
	    (r.rcx & (1u << MSSIM_SEND_COMMAND)) == 0) {
		con_printf("relay: the SVSM offers no vTPM (VTPM_QUERY RCX 0x%lx)\n", r.rcx);
		guest_exit(EXIT_FAIL);
	}
	/* No COM2 (QEMU without --serial2): the absent port reads all ones. */
	outb(COM2 + 7, 0x5A); /* scratch register */
	if (inb(COM2 + 7) != 0x5A) {
		con_printf("relay: no COM2 (start QEMU with a second serial port, see "
			   "scripts/run-tpm-relay.sh): stopping\n");
		guest_exit(EXIT_FAIL);
	}
	uart_init();
	con_printf("relay: ready: mssim command frames on COM2\n");
	for (;;) {
		uint32_t code = get_be32();

		switch (code) {
		case MSSIM_SEND_COMMAND:
			send_command();
			break;
		case MSSIM_SESSION_END:
			break;
		case MSSIM_HANDSHAKE:
			(void)get_be32();
			put_be32(1);
			put_be32(0);
			put_be32(0);
			break;
		case MSSIM_STOP:
			con_printf("relay: STOP after %lu commands\n", relayed);
			guest_exit(EXIT_PASS);
		default:
			con_printf("relay: unknown mssim code %u on COM2: stopping\n", code);
			guest_exit(EXIT_FAIL);
		}
	}
}
