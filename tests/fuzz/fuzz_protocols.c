/*
 * Fuzz target: the SVSM attestation protocol's operation decoder (protocols/attest.c) and the
 * vTPM protocol's command buffer decoder (protocols/vtpm_protocol.c), through the real request
 * decoder and dispatcher, against the fake core backend's guest memory and ledger
 * (tests/host/fake_core_backend.c) and fake attestation and vTPM backends defined here.
 *
 * Each input starts from a fresh fake VM. Operations (selector byte, then operands):
 *   attest op  an attestation operation (Table 11, + Table 13 for SINGLE_SERVICE) written at a
 *              chosen address: buffer addresses picked among the fake VM's pages (aligned or
 *              not, Bastion's, a VMSA, beyond memory), sizes near the real ones or raw,
 *              reserved fields, GUID and manifest version; then the call
 *   vtpm cmd   a vTPM request (platform command, locality, size, command bytes) at a chosen
 *              address, then SVSM_VTPM_CMD; or SVSM_VTPM_QUERY
 *   raw call   any protocol (0-3) and call number with address operands
 *   poke/knob  raw guest bytes; backend behaviour: report OK/BUSY/FAIL, manifest size and
 *              failure, the response length the fake engine produces (including the invalid
 *              ones below 10 and above the buffer), guest reads and writes failing
 *
 * Checked beyond the sanitizers: every call answers an SVSM result code; the fake engine only
 * ever sees a command of at most 4087 bytes inside the protocol's buffer, with a response
 * capacity that stays inside it; the attestation backend is asked for at most its scratch
 * size; on an attestation or vTPM error the guest's buffers are not written (checked on the
 * response/report buffer's first bytes, which the harness pre-fills); fake_core_check() holds
 * at the end of every input that made a core call.
 */
#include <stdbool.h>
#include <string.h>

#include "protocols/attest.h"
#include "protocols/svsm_abi.h"
#include "protocols/vtpm_protocol.h"
#include "tests/fuzz/fuzz.h"
#include "tests/host/fake_core_backend.h"

#define FZ_PAGE 0x1000ull
#define FZ_CANARY 0xC3u

static struct fake_core *fz_f;
static uint8_t fz_scratch[ATTEST_SCRATCH_SIZE];
static uint8_t fz_vtpm_buf[SVSM_VTPM_BUFFER_SIZE];
static int fz_report_result;
static int fz_manifest_result;
static uint16_t fz_manifest_len = 314;
static uint16_t fz_rsp_len = 10;
static unsigned int fz_executes;
static bool fz_write_fail_armed;

/* ---- fake backends ------------------------------------------------------------------------ */

static int fz_report(void *ctx, const uint8_t report_data[64], uint8_t *report)
{
	(void)ctx;
	if (report < fz_scratch || report + ATTEST_REPORT_SIZE > fz_scratch + sizeof(fz_scratch)) {
		FUZZ_FAIL("report buffer outside the scratch area");
	}
	if (fz_report_result != ATTEST_REPORT_OK) {
		return fz_report_result;
	}
	memset(report, 0xA5, ATTEST_REPORT_SIZE);
	memcpy(report + 0x50, report_data, 64);
	return ATTEST_REPORT_OK;
}

static int fz_manifest(void *ctx, uint32_t version, uint8_t *out, size_t cap, size_t *len)
{
	(void)ctx;
	if (out < fz_scratch || cap > (size_t)(fz_scratch + sizeof(fz_scratch) - out)) {
		FUZZ_FAIL("manifest buffer of %zu bytes outside the scratch area", cap);
	}
	if (version != 0 || fz_manifest_result != 0 || cap < fz_manifest_len) {
		return -1;
	}
	for (size_t i = 0; i < fz_manifest_len; i++) {
		out[i] = (uint8_t)(i * 7 + 1);
	}
	*len = fz_manifest_len;
	return 0;
}

static void fz_execute(void *ctx, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
		       size_t *rsp_len)
{
	const uint8_t *end = fz_vtpm_buf + sizeof(fz_vtpm_buf);
	size_t n = fz_rsp_len;

	(void)ctx;
	fz_executes++;
	if (len > SVSM_VTPM_MAX_COMMAND || cmd < fz_vtpm_buf || cmd + len > end) {
		FUZZ_FAIL("engine given a %zu-byte command outside the buffer", len);
	}
	if (cap > SVSM_VTPM_MAX_RESPONSE || rsp < fz_vtpm_buf || rsp + cap > end) {
		FUZZ_FAIL("engine given a %zu-byte response capacity outside the buffer", cap);
	}
	/* A response derived from the command (the engine's contract: it copies the command
	 * before writing, rsp may overlap cmd); lengths outside 10..cap model an engine bug. */
	if (n >= 10 && n <= cap) {
		uint8_t first = len != 0 ? cmd[0] : 0;

		memset(rsp, first, n);
	}
	*rsp_len = n;
}

static const struct attest_backend fz_attest = { NULL, fz_report, fz_manifest, fz_scratch };
static const struct vtpm_backend fz_vtpm = { NULL, fz_execute, fz_vtpm_buf };

/* ---- input helpers ---------------------------------------------------------------------- */

static uint64_t pick_gpa(uint8_t a, uint8_t b)
{
	static const uint64_t special[] = {
		FAKE_BOOT_CAA + SVSM_CAA_BUFFER_OFFSET, FAKE_BOOT_CAA, FAKE_BOOT_VMSA,
		FAKE_BASTION_BASE, FAKE_HOLE_BASE, FAKE_MEM_SIZE, 0xFFFFFFFFFFFFF000ull,
		0xFFFFFFFFFFFFFFF8ull, 0x3000 + 0xFF0, 0x3000 + 0xFC0, 0x3000 + 4, 0,
		FAKE_VALIDATED_END - FZ_PAGE, FAKE_VALIDATED_END, 0x3000 + 0xFA8,
	};

	if (a >= 0xF0) {
		return special[b % (sizeof(special) / sizeof(special[0]))];
	}
	/* Mostly the validated first 4 MiB, where guest buffers can live. */
	return ((uint64_t)(a & 0x3f) << 8 | b) % (FAKE_VALIDATED_END / FZ_PAGE) * FZ_PAGE +
	       ((a & 0x40) ? (uint64_t)(b & 0x3f) * 8 : 0);
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

static uint32_t call(uint32_t protocol, uint32_t callno, uint64_t rcx, uint64_t rdx,
		     uint64_t r8)
{
	static int trace = -1; /* FUZZ_TRACE=1: print every call and its result */
	uint32_t rax = fake_call(fz_f, 0, SVSM_CALL_RAX(protocol, callno), rcx, rdx, r8, 0);

	if (trace < 0) {
		trace = getenv("FUZZ_TRACE") != NULL;
	}
	if (trace) {
		fprintf(stderr, "  protocol %u call %u rcx 0x%llx -> 0x%08x\n", protocol, callno,
			(unsigned long long)rcx, rax);
	}

	if (svsm_result_is_error(rax) && !svsm_result_is_mem_needed(rax) &&
	    !(rax >= SVSM_ERR_INCOMPLETE && rax <= SVSM_ERR_BUSY) &&
	    !(rax >= SVSM_ERR_PROTOCOL_BASE && rax <= SVSM_ERR_PROTOCOL_BASE + 0x11)) {
		FUZZ_FAIL("protocol %u call %u answered 0x%08x", protocol, callno, rax);
	}
	return rax;
}

/* ---- operations ------------------------------------------------------------------------- */

static void op_attest(struct fuzz_in *in)
{
	uint8_t op[ATTEST_OP_SINGLE_SIZE] = { 0 };
	uint8_t mode = fuzz_u8(in);
	uint8_t ga = fuzz_u8(in);
	uint8_t gb = fuzz_u8(in);
	uint64_t at = pick_gpa(ga, gb) & ~7ull;
	bool single = (mode & 1) != 0;
	uint64_t report = pick_gpa(fuzz_u8(in), fuzz_u8(in));
	uint64_t nonce = pick_gpa(fuzz_u8(in), fuzz_u8(in));
	uint64_t manifest = pick_gpa(fuzz_u8(in), fuzz_u8(in));
	uint64_t certs = pick_gpa(fuzz_u8(in), fuzz_u8(in));
	uint32_t report_size = (mode & 2) ? fuzz_u16(in) : ATTEST_REPORT_SIZE + 0x100;
	uint16_t nonce_size = (mode & 4) ? fuzz_u16(in) : fuzz_u8(in);
	uint32_t manifest_size = (mode & 8) ? fuzz_u16(in) : FZ_PAGE;
	uint32_t cert_size = (mode & 16) ? fuzz_u16(in) : 0;
	uint8_t canary = 0;
	uint32_t rax;

	if (mode & 32) {
		at += (uint64_t)(fuzz_u8(in) & 7); /* misaligned */
	}
	put_le(op + 0x00, report, 8);
	put_le(op + 0x08, report_size, 4);
	put_le(op + 0x10, nonce, 8);
	put_le(op + 0x18, nonce_size, 2);
	put_le(op + 0x20, manifest, 8);
	put_le(op + 0x28, manifest_size, 4);
	put_le(op + 0x30, certs, 8);
	put_le(op + 0x38, cert_size, 4);
	if (single) {
		memcpy(op + 0x40, attest_vtpm_service_guid, 16);
		if (mode & 64) {
			op[0x40 + fuzz_u8(in) % 16] ^= 1;
		}
		put_le(op + 0x50, (mode & 128) ? fuzz_u8(in) : 0, 4);
	}
	if ((mode & 0xC0) == 0xC0) {
		op[0x0C + fuzz_u8(in) % 4] = 1; /* a reserved field */
	}
	fake_mem_put(fz_f, at, op, single ? ATTEST_OP_SINGLE_SIZE : ATTEST_OP_SERVICES_SIZE);
	fake_mem_put(fz_f, report, &(uint8_t){ FZ_CANARY }, 1);
	rax = call(SVSM_ATTEST_PROTOCOL, single ? SVSM_ATTEST_SINGLE_SERVICE : SVSM_ATTEST_SERVICES,
		   at, 0, 0);
	fake_mem_get(fz_f, report, &canary, 1);
	/* Only where the canary could be kept: inside the fake VM, not shared with the other
	 * buffers, and no injected write failure (a write may fail after another succeeded). */
	if (rax != SVSM_SUCCESS && canary != FZ_CANARY && report < FAKE_MEM_SIZE &&
	    report / FZ_PAGE != at / FZ_PAGE && report / FZ_PAGE != nonce / FZ_PAGE &&
	    report / FZ_PAGE != manifest / FZ_PAGE && !fz_write_fail_armed) {
		FUZZ_FAIL("attestation failed (0x%08x) but the report buffer at 0x%llx was written "
			  "(operation at 0x%llx, nonce 0x%llx, manifest 0x%llx)", rax,
			  (unsigned long long)report, (unsigned long long)at,
			  (unsigned long long)nonce, (unsigned long long)manifest);
	}
}

static void op_vtpm(struct fuzz_in *in)
{
	uint8_t hdr[SVSM_VTPM_REQ_HEADER];
	uint8_t mode = fuzz_u8(in);
	uint8_t ga = fuzz_u8(in);
	uint8_t gb = fuzz_u8(in);
	uint64_t at = pick_gpa(ga, gb);
	uint32_t size = (mode & 1) ? fuzz_u16(in) : fuzz_u8(in);
	uint8_t body[64];
	uint8_t after[SVSM_VTPM_RSP_HEADER] = { 0 };
	unsigned int before = fz_executes;
	uint32_t rax;

	put_le(hdr, (mode & 2) ? fuzz_u8(in) % 32 : SVSM_VTPM_PLATFORM_SEND_COMMAND, 4);
	hdr[4] = (mode & 4) ? fuzz_u8(in) : 0;
	put_le(hdr + 5, size, 4);
	fake_mem_put(fz_f, at, hdr, sizeof(hdr));
	for (size_t i = 0; i < sizeof(body) && fuzz_left(in) != 0 && i < size; i++) {
		body[i] = fuzz_u8(in);
		fake_mem_put(fz_f, at + sizeof(hdr) + i, &body[i], 1);
	}
	rax = call(SVSM_VTPM_PROTOCOL, SVSM_VTPM_CMD, at, 0, 0);
	if (rax == SVSM_SUCCESS) {
		fake_mem_get(fz_f, at, after, sizeof(after));
		if (fz_executes != before + 1 || (uint32_t)(after[0] | after[1] << 8 |
							     after[2] << 16 | after[3] << 24) !=
							     fz_rsp_len) {
			FUZZ_FAIL("SVSM_VTPM_CMD succeeded without a response of %u bytes",
				  fz_rsp_len);
		}
	} else if (rax != SVSM_ERR_INVALID_REQUEST && rax != SVSM_ERR_INVALID_ADDRESS &&
		   fz_executes != before) {
		FUZZ_FAIL("SVSM_VTPM_CMD ran the engine and failed with 0x%08x", rax);
	}
}

static void op_knob(struct fuzz_in *in)
{
	uint8_t sel = fuzz_u8(in);
	uint8_t a = fuzz_u8(in);

	switch (sel % 5) {
	case 0:
		fz_report_result = a % 3 == 0 ? ATTEST_REPORT_OK :
				   (a % 3 == 1 ? ATTEST_REPORT_BUSY : ATTEST_REPORT_FAIL);
		break;
	case 1:
		fz_manifest_result = a & 1 ? -1 : 0;
		fz_manifest_len = (uint16_t)(a & 2 ? fuzz_u16(in) % (ATTEST_MANIFEST_MAX + 64) :
						      314);
		break;
	case 2:
		fz_rsp_len = (uint16_t)(a & 1 ? fuzz_u16(in) % (SVSM_VTPM_BUFFER_SIZE + 16) :
						 10 + a);
		break;
	case 3:
		fz_f->fail[a & 1 ? FAKE_OP_READ : FAKE_OP_WRITE] =
			(struct fake_fail){ 0, 1 + (a >> 1) % 4 };
		fz_write_fail_armed |= (a & 1) == 0;
		break;
	default: {
		uint64_t gpa = pick_gpa(a, fuzz_u8(in));
		uint8_t n = fuzz_u8(in) % 17;

		for (uint8_t i = 0; i < n; i++) {
			uint8_t byte = fuzz_u8(in);

			fake_mem_put(fz_f, gpa + i, &byte, 1);
		}
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned int calls = 0;
	unsigned int core_calls = 0;
	const char *why = NULL;

	fz_f = fake_core_new();
	if (fz_f == NULL) {
		FUZZ_FAIL("fake_core_new: out of memory");
	}
	/* Bastion's own memory for the backends; this target changes no page state. */
	fz_f->zero_for_real = false;
	fz_f->attest = &fz_attest;
	fz_f->vtpm = &fz_vtpm;
	fz_report_result = ATTEST_REPORT_OK;
	fz_manifest_result = 0;
	fz_manifest_len = 314;
	fz_rsp_len = 10;
	fz_write_fail_armed = false;
	while (fuzz_left(&in) != 0 && calls < 32) {
		uint8_t op = fuzz_u8(&in);

		switch (op % 6) {
		case 0:
		case 1:
			op_attest(&in);
			calls++;
			break;
		case 2:
		case 3:
			op_vtpm(&in);
			calls++;
			break;
		case 4:
			op_knob(&in);
			break;
		default: {
			uint8_t p = fuzz_u8(&in);
			uint8_t a = fuzz_u8(&in);
			uint8_t b = fuzz_u8(&in);

			(void)call(p % 4, fuzz_u8(&in) % 4, pick_gpa(a, b), fuzz_u8(&in), 0);
			core_calls += p % 4 == SVSM_CORE_PROTOCOL;
			calls++;
			break;
		}
		}
	}
	/* The whole-VM check costs 6144 ledger lookups, most of this target's time: only after
	 * a core call. The attestation and vTPM protocols reach the VM only through guest_read
	 * and guest_write (their backends hold no ledger), so they cannot change page state. */
	if (core_calls != 0) {
		why = fake_core_check(fz_f);
	}
	if (why != NULL) {
		FUZZ_FAIL("at the end: %s", why);
	}
	fake_core_free(fz_f);
	fz_f = NULL;
	return 0;
}
