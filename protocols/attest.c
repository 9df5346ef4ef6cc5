/* The SVSM attestation protocol (protocol 1): see attest.h. */
#include "protocols/attest.h"

#include "crypto/hash.h"
#include "kernel/string.h"
#include "mm/addr.h"
#include "protocols/core_backend.h"
#include "protocols/svsm_abi.h"

#define PAGE 4096u

/* 63849ebb-3d92-4670-a1ff-58f9c94b87bb and c476f1eb-0123-45a5-9641-b4e7dde5bfe3. */
const uint8_t attest_services_manifest_guid[16] = { 0xbb, 0x9e, 0x84, 0x63, 0x92, 0x3d,
						    0x70, 0x46, 0xa1, 0xff, 0x58, 0xf9,
						    0xc9, 0x4b, 0x87, 0xbb };
const uint8_t attest_vtpm_service_guid[16] = { 0xeb, 0xf1, 0x76, 0xc4, 0x23, 0x01, 0xa5, 0x45,
					       0x96, 0x41, 0xb4, 0xe7, 0xdd, 0xe5, 0xbf, 0xe3 };

/* The operation as read (Tables 11 and 13). */
struct attest_op {
	uint64_t report_gpa;
	uint32_t report_size;
	uint64_t nonce_gpa;
	uint16_t nonce_size;
	uint64_t manifest_gpa;
	uint32_t manifest_size;
	uint64_t cert_gpa;
	uint32_t cert_size;
	uint8_t guid[16];
	uint32_t manifest_version;
};

static uint64_t le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = n; i > 0; i--) {
		v = v << 8 | p[i - 1];
	}
	return v;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++) {
		acc |= p[i];
	}
	return acc == 0;
}

/* Decodes and checks the operation read into raw[size]. SVSM_SUCCESS or INVALID_PARAMETER. */
static uint32_t decode_op(const uint8_t *raw, size_t size, struct attest_op *op)
{
	op->report_gpa = le(raw + 0x00, 8);
	op->report_size = (uint32_t)le(raw + 0x08, 4);
	op->nonce_gpa = le(raw + 0x10, 8);
	op->nonce_size = (uint16_t)le(raw + 0x18, 2);
	op->manifest_gpa = le(raw + 0x20, 8);
	op->manifest_size = (uint32_t)le(raw + 0x28, 4);
	op->cert_gpa = le(raw + 0x30, 8);
	op->cert_size = (uint32_t)le(raw + 0x38, 4);
	if (!all_zero(raw + 0x0C, 4) || !all_zero(raw + 0x1A, 6) || !all_zero(raw + 0x2C, 4) ||
	    !all_zero(raw + 0x3C, 4)) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	if (size == ATTEST_OP_SINGLE_SIZE) {
		bastion_memcpy(op->guid, raw + 0x40, 16);
		op->manifest_version = (uint32_t)le(raw + 0x50, 4);
		if (!all_zero(raw + 0x54, 4)) {
			return SVSM_ERR_INVALID_PARAMETER;
		}
	}
	/* Buffers page aligned; the nonce within one page (Table 11). */
	if ((op->report_gpa & (PAGE - 1)) != 0 || (op->manifest_gpa & (PAGE - 1)) != 0 ||
	    (op->cert_size != 0 && (op->cert_gpa & (PAGE - 1)) != 0)) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	if ((op->nonce_gpa & (PAGE - 1)) + op->nonce_size > PAGE ||
	    op->nonce_gpa > UINT64_MAX - PAGE) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	return SVSM_SUCCESS;
}

/* The services manifest (GUID table, ABI reference 2.6) into out: header, one entry per
 * service, then the services' data. Returns its size, or 0 if the vTPM manifest failed. */
static size_t services_manifest(const struct attest_backend *be, uint8_t *out)
{
	const size_t head = 16 + 4 + 4 + 24;
	size_t vtpm_len = 0;

	if (be->vtpm_manifest == NULL ||
	    be->vtpm_manifest(be->ctx, 0, out + head, ATTEST_MANIFEST_MAX - head, &vtpm_len) != 0 ||
	    vtpm_len > ATTEST_MANIFEST_MAX - head) {
		return 0;
	}
	bastion_memcpy(out, attest_services_manifest_guid, 16);
	put_le32(out + 16, (uint32_t)(head + vtpm_len));
	put_le32(out + 20, 1);
	bastion_memcpy(out + 24, attest_vtpm_service_guid, 16);
	put_le32(out + 40, (uint32_t)head);
	put_le32(out + 44, (uint32_t)vtpm_len);
	return head + vtpm_len;
}

static uint32_t attest(struct svsm_call_ctx *ctx, const struct svsm_request *req, bool single,
		       struct svsm_result *res)
{
	const struct core_backend *core = ctx->core;
	const struct attest_backend *be = ctx->attest;
	const size_t op_size = single ? ATTEST_OP_SINGLE_SIZE : ATTEST_OP_SERVICES_SIZE;
	uint8_t *manifest = be->scratch;
	uint8_t *nonce = be->scratch + ATTEST_MANIFEST_MAX;
	uint8_t *report = nonce + ATTEST_NONCE_MAX;
	uint8_t raw[ATTEST_OP_SINGLE_SIZE];
	uint8_t report_data[64];
	struct attest_op op = { 0 };
	struct hash_ctx h;
	size_t manifest_len;
	uint32_t rc;
	int r;

	if ((req->rcx & 7u) != 0 || (req->rcx & (PAGE - 1)) + op_size > PAGE) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	if (core->guest_read(core->ctx, gpa_init(req->rcx), raw, op_size) != 0) {
		return SVSM_ERR_INVALID_ADDRESS;
	}
	rc = decode_op(raw, op_size, &op);
	if (rc != SVSM_SUCCESS) {
		return rc;
	}
	if (single) {
		size_t len = 0;

		if (bastion_memcmp(op.guid, attest_vtpm_service_guid, 16) != 0 ||
		    op.manifest_version != 0) {
			return SVSM_ERR_INVALID_PARAMETER;
		}
		if (be->vtpm_manifest == NULL ||
		    be->vtpm_manifest(be->ctx, 0, manifest, ATTEST_MANIFEST_MAX, &len) != 0 ||
		    len > ATTEST_MANIFEST_MAX) {
			return SVSM_ERR_PROTOCOL_BASE;
		}
		manifest_len = len;
	} else {
		manifest_len = services_manifest(be, manifest);
		if (manifest_len == 0) {
			return SVSM_ERR_PROTOCOL_BASE;
		}
	}
	/* The sizes, also for the guest that must enlarge a buffer and retry. */
	svsm_result_set_rcx(res, manifest_len);
	svsm_result_set_rdx(res, 0);
	svsm_result_set_r8(res, ATTEST_REPORT_SIZE);
	if (op.report_size < ATTEST_REPORT_SIZE || op.manifest_size < manifest_len) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	if (op.nonce_size != 0 &&
	    core->guest_read(core->ctx, gpa_init(op.nonce_gpa), nonce, op.nonce_size) != 0) {
		return SVSM_ERR_INVALID_ADDRESS;
	}
	/* Both destinations must be the guest's writable memory before a report is spent on
	 * them (guest_mem refuses reads and writes alike): read-probe them now. Found by the
	 * protocols fuzzer (tests/fuzz/regress/protocols/). A guest that takes a buffer away
	 * between the probe and the write only loses its own report. */
	if (core->guest_read(core->ctx, gpa_init(op.report_gpa), report, ATTEST_REPORT_SIZE) != 0) {
		return SVSM_ERR_INVALID_ADDRESS;
	}
	for (size_t off = 0; off < manifest_len; off += ATTEST_REPORT_SIZE) {
		size_t n = manifest_len - off < ATTEST_REPORT_SIZE ? manifest_len - off
								   : ATTEST_REPORT_SIZE;

		if (core->guest_read(core->ctx, gpa_init(op.manifest_gpa + off), report, n) != 0) {
			return SVSM_ERR_INVALID_ADDRESS;
		}
	}
	hash_init(&h, HASH_SHA512);
	hash_update(&h, nonce, op.nonce_size);
	hash_update(&h, manifest, manifest_len);
	hash_final(&h, report_data);
	r = be->report(be->ctx, report_data, report);
	if (r == ATTEST_REPORT_BUSY) {
		return SVSM_ERR_BUSY;
	}
	if (r != ATTEST_REPORT_OK) {
		return SVSM_ERR_PROTOCOL_BASE;
	}
	/* An empty manifest writes nothing (and was not probed): a zero-length write must not be
	 * able to fail after the report went out. Found by the protocols fuzzer. */
	if (core->guest_write(core->ctx, gpa_init(op.report_gpa), report, ATTEST_REPORT_SIZE) != 0 ||
	    (manifest_len != 0 && core->guest_write(core->ctx, gpa_init(op.manifest_gpa), manifest,
						    manifest_len) != 0)) {
		return SVSM_ERR_INVALID_ADDRESS;
	}
	return SVSM_SUCCESS;
}

void attest_protocol_handle(struct svsm_call_ctx *ctx, const struct svsm_request *req,
			    struct svsm_result *res)
{
	if (ctx->attest == NULL) {
		res->rax = SVSM_ERR_UNSUPPORTED_PROTOCOL;
		return;
	}
	switch (req->call) {
	case SVSM_ATTEST_SERVICES:
		res->rax = attest(ctx, req, false, res);
		return;
	case SVSM_ATTEST_SINGLE_SERVICE:
		res->rax = attest(ctx, req, true, res);
		return;
	default:
		res->rax = SVSM_ERR_UNSUPPORTED_CALL;
		return;
	}
}
