/*
 * The vTPM protocol (2) as Linux's tpm_svsm and OVMF use it (ABI reference 2.7 and 6;
 * docs/abi.md "vTPM protocol"): VTPM_QUERY, then VTPM_CMD with a guest-private buffer holding
 * u32 8 | u8 locality 0 | u32 size | TPM command, the response written over it as u32 size |
 * TPM response. TPM errors come back inside the response with RAX = SUCCESS; malformed
 * requests get SVSM errors and the buffer is left as it was.
 */
#include "tests/guest/conformance/checks.h"

#include "tests/guest/conformance/check.h"
#include "tests/guest/conformance/io.h"
#include "tests/guest/conformance/layout.h"
#include "tests/guest/conformance/svsm.h"

static uint8_t *const vbuf = (uint8_t *)VTPM_BUF_GPA;

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

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Places SEND_COMMAND(cmd) at buf (platform command pc, locality loc, size field size). */
static void request(uint8_t *buf, uint32_t pc, uint8_t loc, uint32_t size, const uint8_t *cmd,
		    uint32_t len)
{
	put_le32(buf, pc);
	buf[4] = loc;
	put_le32(buf + 5, size);
	memcpy(buf + 9, cmd, len);
}

/* A TPM command through VTPM_CMD at buf; returns RAX; the TPM response code in *trc. */
static uint64_t tpm(uint8_t *buf, const uint8_t *cmd, uint32_t len, uint32_t *trc)
{
	struct svsm_regs r;
	uint64_t rax;

	request(buf, 8, 0, len, cmd, len);
	rax = svsm_call3(SVSM_VTPM_PROTOCOL, SVSM_VTPM_CMD, (uint64_t)(uintptr_t)buf, 0, 0, &r);
	*trc = rax == SVSM_SUCCESS && le32(buf) >= 10 ? be32(buf + 4 + 6) : 0xFFFFFFFFu;
	return rax;
}

static const uint8_t startup_clear[] = { 0x80, 0x01, 0, 0, 0, 0x0C, 0, 0, 0x01, 0x44, 0, 0 };
static const uint8_t get_random32[] = { 0x80, 0x01, 0, 0, 0, 0x0C, 0, 0, 0x01, 0x7B, 0, 32 };

static void check_query(void)
{
	struct svsm_regs r = { .rax = svsm_call_rax(SVSM_VTPM_PROTOCOL, SVSM_VTPM_QUERY),
			       .rcx = 0xC0C0C0C0C0C0C0C0ull,
			       .rdx = 0xD0D0D0D0D0D0D0D0ull,
			       .r8 = 0x8888888888888888ull,
			       .r9 = 0x9999999999999999ull };

	svsm_call(&r);
	check_eq(r.rax, SVSM_SUCCESS, "vtpm: VTPM_QUERY succeeds");
	check_true((r.rcx & 0x100) != 0, "vtpm: VTPM_QUERY RCX has bit 8 (SEND_COMMAND), as Linux requires");
	check_eq(r.rcx, 0x100, "vtpm: VTPM_QUERY RCX offers SEND_COMMAND only");
	check_eq(r.rdx, 0, "vtpm: VTPM_QUERY RDX (features) is 0");
	check_true(r.r8 == 0x8888888888888888ull && r.r9 == 0x9999999999999999ull,
		   "vtpm: VTPM_QUERY leaves R8 and R9");
}

static void check_commands(void)
{
	uint8_t first[32];
	uint32_t trc = 0;

	check_eq(tpm(vbuf, get_random32, sizeof(get_random32), &trc), SVSM_SUCCESS,
		 "vtpm: GetRandom before Startup: RAX SUCCESS");
	check_eq(trc, 0x100, "vtpm: GetRandom before Startup: TPM_RC_INITIALIZE inside the response");
	check_eq(tpm(vbuf, startup_clear, sizeof(startup_clear), &trc), SVSM_SUCCESS,
		 "vtpm: Startup(CLEAR): RAX SUCCESS");
	check_eq(trc, 0, "vtpm: Startup(CLEAR): TPM_RC_SUCCESS");
	check_eq(le32(vbuf), 10, "vtpm: Startup(CLEAR): response size 10 in the buffer header");
	check_eq(tpm(vbuf, get_random32, sizeof(get_random32), &trc), SVSM_SUCCESS,
		 "vtpm: GetRandom(32): RAX SUCCESS");
	check_eq(trc, 0, "vtpm: GetRandom(32): TPM_RC_SUCCESS");
	check_eq(le32(vbuf), 10 + 2 + 32, "vtpm: GetRandom(32): response size 44");
	check_eq(be32(vbuf + 4 + 2), 44, "vtpm: GetRandom(32): TPM header size 44");
	memcpy(first, vbuf + 4 + 12, 32);
	(void)tpm(vbuf, get_random32, sizeof(get_random32), &trc);
	check_true(trc == 0 && memcmp(first, vbuf + 4 + 12, 32) != 0,
		   "vtpm: two GetRandom(32) answers differ");
	/* An unaligned buffer that crosses a page boundary, as COCONUT allows. */
	check_eq(tpm((uint8_t *)(VTPM_BUF_GPA + 0x1000 - 5), get_random32, sizeof(get_random32),
		     &trc),
		 SVSM_SUCCESS, "vtpm: a buffer crossing a page boundary works");
	check_eq(trc, 0, "vtpm: ... and its GetRandom succeeds");
	/* The largest command: 4087 bytes of an unknown command code. */
	memset(vbuf + 9, 0, 4087);
	{
		static const uint8_t hdr[] = { 0x80, 0x01, 0, 0, 0x0F, 0xF7, 0x20, 0, 0, 0 };

		memcpy(vbuf + 9, hdr, sizeof(hdr));
		put_le32(vbuf, 8);
		vbuf[4] = 0;
		put_le32(vbuf + 5, 4087);
		check_eq(svsm_call3(SVSM_VTPM_PROTOCOL, SVSM_VTPM_CMD, VTPM_BUF_GPA, 0, 0,
				    &(struct svsm_regs){ 0 }),
			 SVSM_SUCCESS, "vtpm: a 4087-byte command is accepted");
		check_eq(be32(vbuf + 4 + 6), 0x143, "vtpm: ... and answered TPM_RC_COMMAND_CODE");
	}
}

/* A malformed request: the SVSM error, and the buffer unchanged. */
static void check_bad(uint32_t pc, uint8_t loc, uint32_t size, uint64_t want, const char *what)
{
	uint8_t copy[64];
	struct svsm_regs r;

	request(vbuf, pc, loc, size, startup_clear, sizeof(startup_clear));
	memcpy(copy, vbuf, sizeof(copy));
	check_eq(svsm_call3(SVSM_VTPM_PROTOCOL, SVSM_VTPM_CMD, VTPM_BUF_GPA, 0, 0, &r), want,
		 "vtpm: %s", what);
	check_true(memcmp(copy, vbuf, sizeof(copy)) == 0, "vtpm: %s: buffer unchanged", what);
}

static void check_errors(void)
{
	struct svsm_regs r;

	check_bad(1, 0, 12, SVSM_ERR_UNSUPPORTED_CALL, "platform command 1 (POWER_ON): UNSUPPORTED_CALL");
	check_bad(21, 0, 12, SVSM_ERR_UNSUPPORTED_CALL, "platform command 21 (STOP): UNSUPPORTED_CALL");
	check_bad(19, 0, 12, SVSM_ERR_INVALID_PARAMETER, "platform command 19: INVALID_PARAMETER");
	check_bad(0xFFFFFFFFu, 0, 12, SVSM_ERR_INVALID_PARAMETER,
		  "platform command 0xffffffff: INVALID_PARAMETER");
	check_bad(8, 1, 12, SVSM_ERR_INVALID_PARAMETER, "locality 1: INVALID_PARAMETER");
	check_bad(8, 4, 12, SVSM_ERR_INVALID_PARAMETER, "locality 4: INVALID_PARAMETER");
	check_bad(8, 0, 4088, SVSM_ERR_INVALID_PARAMETER, "size 4088: INVALID_PARAMETER");
	check_bad(8, 0, 0x80000000u, SVSM_ERR_INVALID_PARAMETER, "size 2^31: INVALID_PARAMETER");
	check_eq(svsm_call3(SVSM_VTPM_PROTOCOL, SVSM_VTPM_CMD, BASTION_GPA + 0x1000, 0, 0, &r),
		 SVSM_ERR_INVALID_ADDRESS, "vtpm: a buffer in Bastion's region: INVALID_ADDRESS");
	check_eq(svsm_call3(SVSM_VTPM_PROTOCOL, SVSM_VTPM_CMD, GUEST_RAM_END - 4, 0, 0, &r),
		 SVSM_ERR_INVALID_ADDRESS, "vtpm: a buffer running past guest RAM: INVALID_ADDRESS");
	check_eq(svsm_call3(SVSM_VTPM_PROTOCOL, SVSM_VTPM_CMD, 0xFFFFFFFFFFFFF000ull, 0, 0, &r),
		 SVSM_ERR_INVALID_ADDRESS, "vtpm: a buffer at the top of the address space: INVALID_ADDRESS");
	check_eq(svsm_call3(SVSM_VTPM_PROTOCOL, 2, VTPM_BUF_GPA, 0, 0, &r), SVSM_ERR_UNSUPPORTED_CALL,
		 "vtpm: call 2: UNSUPPORTED_CALL");
}

void checks_vtpm(void)
{
	check_query();
	check_commands();
	check_errors();
}
