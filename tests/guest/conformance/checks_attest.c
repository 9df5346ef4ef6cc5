/*
 * The attestation protocol (1) as Linux's configfs-tsm (service_provider=svsm) uses it (ABI
 * reference 2.6; docs/abi.md "Attestation protocol"): the operation structure, the services
 * manifest and the vTPM service's manifest (the EK's TPMT_PUBLIC, which must equal what the
 * vTPM itself returns for the TCG EK template), the sizes in RCX/RDX/R8, and every refusal.
 * The guest cannot check signatures or SHA-512 itself: it prints what it received
 * ("attest-dump: ..." lines) and tests/conformance_test.sh checks REPORT_DATA =
 * SHA-512(nonce || manifest) and the report's ECDSA P-384 signature with OpenSSL against the
 * key Bastion logged at boot.
 */
#include "tests/guest/conformance/checks.h"

#include "tests/guest/conformance/check.h"
#include "tests/guest/conformance/console.h"
#include "tests/guest/conformance/io.h"
#include "tests/guest/conformance/layout.h"
#include "tests/guest/conformance/svsm.h"

#define REPORT_SIZE 1184u

/* 63849ebb-3d92-4670-a1ff-58f9c94b87bb, c476f1eb-0123-45a5-9641-b4e7dde5bfe3 (UEFI order). */
static const uint8_t manifest_guid[16] = { 0xbb, 0x9e, 0x84, 0x63, 0x92, 0x3d, 0x70, 0x46,
					   0xa1, 0xff, 0x58, 0xf9, 0xc9, 0x4b, 0x87, 0xbb };
static const uint8_t vtpm_guid[16] = { 0xeb, 0xf1, 0x76, 0xc4, 0x23, 0x01, 0xa5, 0x45,
				       0x96, 0x41, 0xb4, 0xe7, 0xdd, 0xe5, 0xbf, 0xe3 };

static uint8_t *const op = (uint8_t *)ATTEST_OP_GPA;
static uint8_t *const report = (uint8_t *)ATTEST_REPORT_GPA;
static uint8_t *const manifest = (uint8_t *)ATTEST_MANIFEST_GPA;
static uint8_t *const nonce = (uint8_t *)ATTEST_NONCE_GPA;
static uint8_t *const tpm = (uint8_t *)VTPM_BUF_GPA;

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++) {
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

/* The operation as Linux fills it: report 1 page, nonce 64 bytes, manifest 1 page, certs 4
 * pages (Linux always offers a certificate buffer). */
static void build_op(bool single)
{
	memset(op, 0, 0x58);
	put_le(op + 0x00, ATTEST_REPORT_GPA, 8);
	put_le(op + 0x08, 4096, 4);
	put_le(op + 0x10, ATTEST_NONCE_GPA, 8);
	put_le(op + 0x18, 64, 2);
	put_le(op + 0x20, ATTEST_MANIFEST_GPA, 8);
	put_le(op + 0x28, 4096, 4);
	put_le(op + 0x30, ATTEST_CERTS_GPA, 8);
	put_le(op + 0x38, 0x4000, 4);
	if (single) {
		memcpy(op + 0x40, vtpm_guid, 16);
	}
}

static uint64_t attest(bool single, uint64_t op_gpa, struct svsm_regs *r)
{
	*r = (struct svsm_regs){ .rax = svsm_call_rax(SVSM_ATTEST_PROTOCOL,
						       single ? SVSM_ATTEST_SINGLE_SERVICE
							      : SVSM_ATTEST_SERVICES),
				 .rcx = op_gpa, .rdx = ~0ull, .r8 = ~0ull };
	return svsm_call(r);
}

static void dump(const char *what, const uint8_t *p, size_t n)
{
	con_printf("attest-dump: %s=", what);
	for (size_t i = 0; i < n; i++) {
		con_printf("%02x", p[i]);
	}
	con_printf("\n");
}

/* The EK of the TCG template L-1 from the vTPM itself (the TPM was started by the vTPM
 * checks): CreatePrimary, then ReadPublic of the handle it returned. Returns the size of the
 * TPMT_PUBLIC copied to out, 0 on failure. */
static uint32_t ek_from_vtpm(uint8_t *out)
{
	static const uint8_t head[] = {
		0x80, 0x02, 0, 0, 0x01, 0x63, 0, 0, 0x01, 0x31, 0x40, 0x00, 0x00, 0x0B,
		0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0x01, 0x3A,
		0x00, 0x01, 0x00, 0x0B, 0x00, 0x03, 0x00, 0xB2, 0x00, 0x20,
		0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xB3, 0xF8, 0x1A, 0x90, 0xCC, 0x8D, 0x46, 0xA5,
		0xD7, 0x24, 0xFD, 0x52, 0xD7, 0x6E, 0x06, 0x52, 0x0B, 0x64, 0xF2, 0xA1, 0xDA, 0x1B,
		0x33, 0x14, 0x69, 0xAA, 0x00, 0x06, 0x00, 0x80, 0x00, 0x43, 0x00, 0x10, 0x08, 0x00,
		0, 0, 0, 0, 0x01, 0x00,
	};
	struct svsm_regs r;
	uint32_t handle, n;

	put_le(tpm, 8, 4);
	tpm[4] = 0;
	put_le(tpm + 5, 355, 4);
	memcpy(tpm + 9, head, sizeof(head));
	memset(tpm + 9 + sizeof(head), 0, 256 + 2 + 4);
	if (svsm_call3(SVSM_VTPM_PROTOCOL, SVSM_VTPM_CMD, VTPM_BUF_GPA, 0, 0, &r) != SVSM_SUCCESS ||
	    be32(tpm + 4 + 6) != 0) {
		note("EK CreatePrimary through VTPM_CMD answered TPM rc 0x%x", be32(tpm + 4 + 6));
		return 0;
	}
	handle = be32(tpm + 4 + 10);
	/* ReadPublic(handle): outPublic TPM2B_PUBLIC at response offset 10. The response
	 * overwrote the request header: write all of it again. */
	put_le(tpm, 8, 4);
	tpm[4] = 0;
	put_le(tpm + 5, 14, 4);
	memcpy(tpm + 9, (const uint8_t[]){ 0x80, 0x01, 0, 0, 0, 14, 0, 0, 0x01, 0x73 }, 10);
	for (int i = 0; i < 4; i++) {
		tpm[19 + i] = (uint8_t)(handle >> (24 - 8 * i));
	}
	if (svsm_call3(SVSM_VTPM_PROTOCOL, SVSM_VTPM_CMD, VTPM_BUF_GPA, 0, 0, &r) != SVSM_SUCCESS ||
	    be32(tpm + 4 + 6) != 0) {
		note("EK ReadPublic(0x%x) through VTPM_CMD answered TPM rc 0x%x", handle,
		     be32(tpm + 4 + 6));
		return 0;
	}
	n = (uint32_t)tpm[4 + 10] << 8 | tpm[4 + 11];
	if (n > 1024) {
		note("EK ReadPublic: outPublic of %u bytes", n);
		return 0;
	}
	memcpy(out, tpm + 4 + 12, n);
	/* FlushContext(handle). */
	put_le(tpm, 8, 4);
	tpm[4] = 0;
	put_le(tpm + 5, 14, 4);
	memcpy(tpm + 9, (const uint8_t[]){ 0x80, 0x01, 0, 0, 0, 14, 0, 0, 0x01, 0x65 }, 10);
	for (int i = 0; i < 4; i++) {
		tpm[19 + i] = (uint8_t)(handle >> (24 - 8 * i));
	}
	(void)svsm_call3(SVSM_VTPM_PROTOCOL, SVSM_VTPM_CMD, VTPM_BUF_GPA, 0, 0, &r);
	return n;
}

static void check_services(void)
{
	static uint8_t ek[1024];
	struct svsm_regs r;
	uint32_t mlen, ek_len;

	for (int i = 0; i < 64; i++) {
		nonce[i] = (uint8_t)(0x5A ^ (i * 3));
	}
	build_op(false);
	check_eq(attest(false, ATTEST_OP_GPA, &r), SVSM_SUCCESS, "attest: ATTEST_SERVICES succeeds");
	mlen = (uint32_t)r.rcx;
	check_eq(r.r8, REPORT_SIZE, "attest: R8 = report size 1184");
	check_eq(r.rdx, 0, "attest: RDX = 0 (no certificates)");
	check_true(mlen > 48 && mlen <= 4096, "attest: RCX = manifest size %u", mlen);
	check_true(memcmp(manifest, manifest_guid, 16) == 0, "attest: manifest starts with the services-manifest GUID");
	check_eq(le32(manifest + 16), mlen, "attest: manifest total size field = RCX");
	check_eq(le32(manifest + 20), 1, "attest: one service");
	check_true(memcmp(manifest + 24, vtpm_guid, 16) == 0, "attest: the service is the vTPM");
	check_eq((uint64_t)le32(manifest + 40) + le32(manifest + 44), mlen,
		 "attest: the vTPM entry's data ends the manifest");
	check_eq(le32(report + 0x30), 0, "attest: report VMPL 0");
	check_eq(le32(report + 0x34), 1, "attest: report SIGNATURE_ALGO 1 (ECDSA P-384, SHA-384)");
	dump("services.nonce", nonce, 64);
	dump("services.manifest", manifest, mlen);
	dump("services.report", report, REPORT_SIZE);

	ek_len = ek_from_vtpm(ek);
	check_true(ek_len != 0 && ek_len == le32(manifest + 44) &&
			   memcmp(ek, manifest + le32(manifest + 40), ek_len) == 0,
		   "attest: the vTPM manifest is the EK the vTPM returns (CreatePrimary L-1 + ReadPublic, %u bytes)",
		   ek_len);

	build_op(true);
	check_eq(attest(true, ATTEST_OP_GPA, &r), SVSM_SUCCESS,
		 "attest: ATTEST_SINGLE_SERVICE(vTPM, version 0) succeeds");
	check_true(r.rcx == ek_len && memcmp(manifest, ek, ek_len) == 0,
		   "attest: single-service manifest = the EK's TPMT_PUBLIC");
	dump("single.nonce", nonce, 64);
	dump("single.manifest", manifest, (size_t)r.rcx);
	dump("single.report", report, REPORT_SIZE);
}

static void check_refusals(void)
{
	struct svsm_regs r;
	uint8_t before[64];

	build_op(false);
	put_le(op + 0x08, REPORT_SIZE - 1, 4);
	memcpy(before, report, sizeof(before));
	check_eq(attest(false, ATTEST_OP_GPA, &r), SVSM_ERR_INVALID_PARAMETER,
		 "attest: report buffer 1183 bytes: INVALID_PARAMETER");
	check_true(r.r8 == REPORT_SIZE && r.rcx > 48 && r.rdx == 0,
		   "attest: ... and RCX/RDX/R8 give the sizes needed");
	check_true(memcmp(before, report, sizeof(before)) == 0, "attest: ... report buffer untouched");
	build_op(false);
	put_le(op + 0x28, 16, 4);
	check_eq(attest(false, ATTEST_OP_GPA, &r), SVSM_ERR_INVALID_PARAMETER,
		 "attest: manifest buffer 16 bytes: INVALID_PARAMETER");
	for (unsigned int off = 0x0C; off < 0x58; off++) {
		bool reserved = (off >= 0x0C && off < 0x10) || (off >= 0x1A && off < 0x20) ||
				(off >= 0x2C && off < 0x30) || (off >= 0x3C && off < 0x40) ||
				off >= 0x54;

		if (!reserved) {
			continue;
		}
		build_op(true);
		op[off] = 0x80;
		check_eq(attest(true, ATTEST_OP_GPA, &r), SVSM_ERR_INVALID_PARAMETER,
			 "attest: reserved byte 0x%x set: INVALID_PARAMETER", off);
	}
	build_op(true);
	op[0x40] ^= 1;
	check_eq(attest(true, ATTEST_OP_GPA, &r), SVSM_ERR_INVALID_PARAMETER,
		 "attest: unknown service GUID: INVALID_PARAMETER");
	build_op(true);
	put_le(op + 0x50, 1, 4);
	check_eq(attest(true, ATTEST_OP_GPA, &r), SVSM_ERR_INVALID_PARAMETER,
		 "attest: manifest version 1: INVALID_PARAMETER");
	build_op(false);
	put_le(op + 0x10, ATTEST_NONCE_GPA + 0xFF0, 8);
	check_eq(attest(false, ATTEST_OP_GPA, &r), SVSM_ERR_INVALID_PARAMETER,
		 "attest: nonce crossing a page: INVALID_PARAMETER");
	build_op(false);
	put_le(op + 0x00, ATTEST_REPORT_GPA + 0x10, 8);
	check_eq(attest(false, ATTEST_OP_GPA, &r), SVSM_ERR_INVALID_PARAMETER,
		 "attest: report buffer not page aligned: INVALID_PARAMETER");
	build_op(false);
	check_eq(attest(false, ATTEST_OP_GPA + 4, &r), SVSM_ERR_INVALID_PARAMETER,
		 "attest: operation not 8-byte aligned: INVALID_PARAMETER");
	build_op(false);
	put_le(op + 0x00, BASTION_GPA, 8);
	check_eq(attest(false, ATTEST_OP_GPA, &r), SVSM_ERR_INVALID_ADDRESS,
		 "attest: report buffer in Bastion's region: INVALID_ADDRESS");
	check_eq(attest(false, BASTION_GPA + 0x100, &r), SVSM_ERR_INVALID_ADDRESS,
		 "attest: operation in Bastion's region: INVALID_ADDRESS");
}

void checks_attest(void)
{
	check_services();
	check_refusals();
}
