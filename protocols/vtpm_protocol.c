/* The SVSM vTPM protocol (protocol 2): see vtpm_protocol.h. */
#include "protocols/vtpm_protocol.h"

#include "mm/addr.h"
#include "protocols/core_backend.h"
#include "protocols/svsm_abi.h"

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* The Microsoft simulator's platform commands (TpmTcpProtocol.h; ABI reference 2.7): known
 * but not offered to guests, so they answer UNSUPPORTED_CALL rather than INVALID_PARAMETER. */
static bool known_platform_command(uint32_t cmd)
{
	static const uint8_t known[] = { 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17,
					 18, 20, 21, 25, 26, 30 };

	for (size_t i = 0; i < sizeof(known); i++) {
		if (known[i] == cmd) {
			return true;
		}
	}
	return false;
}

static uint32_t vtpm_cmd(const struct svsm_call_ctx *ctx, uint64_t buffer)
{
	const struct core_backend *core = ctx->core;
	const struct vtpm_backend *vt = ctx->vtpm;
	uint8_t *buf = vt->buf;
	uint32_t platform_cmd, size;
	size_t rsp_len = 0;

	/* The whole 4 KiB buffer must lie below 2^64: no wrap-around. */
	if (buffer > UINT64_MAX - SVSM_VTPM_BUFFER_SIZE) {
		return SVSM_ERR_INVALID_ADDRESS;
	}
	if (core->guest_read(core->ctx, gpa_init(buffer), buf, SVSM_VTPM_REQ_HEADER) != 0) {
		return SVSM_ERR_INVALID_ADDRESS;
	}
	platform_cmd = get_le32(buf);
	size = get_le32(buf + 5);
	if (platform_cmd != SVSM_VTPM_PLATFORM_SEND_COMMAND) {
		return known_platform_command(platform_cmd) ? SVSM_ERR_UNSUPPORTED_CALL
							    : SVSM_ERR_INVALID_PARAMETER;
	}
	/* Locality: only 0 is defined for the SVSM vTPM (ABI reference 6). */
	if (buf[4] != 0 || size > SVSM_VTPM_MAX_COMMAND) {
		return SVSM_ERR_INVALID_PARAMETER;
	}
	if (size != 0 && core->guest_read(core->ctx, gpa_init(buffer + SVSM_VTPM_REQ_HEADER),
					  buf + SVSM_VTPM_REQ_HEADER, size) != 0) {
		return SVSM_ERR_INVALID_ADDRESS;
	}
	/* The engine copies the command before it writes the response, so both may share buf. */
	vt->execute(vt->ctx, buf + SVSM_VTPM_REQ_HEADER, size, buf + SVSM_VTPM_RSP_HEADER,
		    SVSM_VTPM_MAX_RESPONSE, &rsp_len);
	if (rsp_len < 10 || rsp_len > SVSM_VTPM_MAX_RESPONSE) {
		return SVSM_ERR_INVALID_REQUEST; /* an engine bug; never write garbage back */
	}
	put_le32(buf, (uint32_t)rsp_len);
	if (core->guest_write(core->ctx, gpa_init(buffer), buf,
			      SVSM_VTPM_RSP_HEADER + rsp_len) != 0) {
		return SVSM_ERR_INVALID_ADDRESS;
	}
	return SVSM_SUCCESS;
}

void vtpm_protocol_handle(struct svsm_call_ctx *ctx, const struct svsm_request *req,
			  struct svsm_result *res)
{
	if (ctx->vtpm == NULL) {
		res->rax = SVSM_ERR_UNSUPPORTED_PROTOCOL;
		return;
	}
	switch (req->call) {
	case SVSM_VTPM_QUERY:
		res->rax = SVSM_SUCCESS;
		svsm_result_set_rcx(res, 1ull << SVSM_VTPM_PLATFORM_SEND_COMMAND);
		svsm_result_set_rdx(res, 0);
		return;
	case SVSM_VTPM_CMD:
		res->rax = vtpm_cmd(ctx, req->rcx);
		return;
	default:
		res->rax = SVSM_ERR_UNSUPPORTED_CALL;
		return;
	}
}
