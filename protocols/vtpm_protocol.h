/*
 * The SVSM vTPM protocol (protocol 2; SVSM spec 58019 rev 1.00 "vTPM Protocol", ABI reference
 * 2.7 and 6): how a guest (Linux tpm_svsm, OVMF) reaches Bastion's TPM.
 *
 *   SVSM_VTPM_QUERY  out RCX = bitmap of supported platform commands (bit 8 SEND_COMMAND),
 *                    RDX = supported features (0)
 *   SVSM_VTPM_CMD    RCX = GPA of a request/response buffer in guest-private memory
 *                    request:  u32 platform command (8) | u8 locality (0) | u32 size | TPM command
 *                    response: u32 size | TPM response, written over the same buffer
 *                    (little endian, packed)
 *
 * Contract:
 *   - The request is read once: its 9-byte header, then exactly `size` command bytes, into
 *     Bastion's bounce buffer; nothing is read twice, so a guest that changes the buffer
 *     during the call changes nothing Bastion sees (no double fetch).
 *   - Errors (RAX): a buffer that is not the guest's validated private memory (or that wraps
 *     the address space) SVSM_ERR_INVALID_ADDRESS; a platform command of the simulator set
 *     other than 8 (1-7, 9-18, 20, 21, 25, 26, 30) SVSM_ERR_UNSUPPORTED_CALL; any other
 *     platform command, a locality other than 0, or a size above 4087
 *     SVSM_ERR_INVALID_PARAMETER. Nothing is written back on these errors.
 *   - A TPM-level error travels inside the TPM response with RAX = SVSM_SUCCESS (the engine
 *     always produces a response, vtpm/vtpm.h).
 *   - The command runs before the response is written: if the guest makes the buffer
 *     unwritable meanwhile (another vCPU rescinds it), the call answers
 *     SVSM_ERR_INVALID_ADDRESS and the response is lost, as it would be on a real bus.
 *   - No vTPM backend in the call context (ctx->vtpm NULL): SVSM_ERR_UNSUPPORTED_PROTOCOL.
 * Portable (host-testable); the engine is reached only through struct vtpm_backend.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "protocols/dispatch.h"
#include "protocols/request.h"

#define VTPM_PROTOCOL_VERSION_MIN 1u
#define VTPM_PROTOCOL_VERSION_MAX 1u

/* The shared buffer: 4096 bytes; request header 9, response header 4 (Linux
 * SVSM_VTPM_MAX_BUFFER, ABI reference 2.7). */
#define SVSM_VTPM_BUFFER_SIZE 4096u
#define SVSM_VTPM_REQ_HEADER 9u
#define SVSM_VTPM_RSP_HEADER 4u
#define SVSM_VTPM_MAX_COMMAND (SVSM_VTPM_BUFFER_SIZE - SVSM_VTPM_REQ_HEADER)  /* 4087 */
#define SVSM_VTPM_MAX_RESPONSE (SVSM_VTPM_BUFFER_SIZE - SVSM_VTPM_RSP_HEADER) /* 4092 */
/* Microsoft simulator platform command TPM_SEND_COMMAND, the only one guests use. */
#define SVSM_VTPM_PLATFORM_SEND_COMMAND 8u

struct vtpm_backend {
	void *ctx;
	/* Runs one TPM command at locality 0 with vtpm_execute's contract (vtpm/vtpm.h): reads
	 * cmd[0..len) and writes at most cap bytes to rsp (which may overlap cmd), the length
	 * to *rsp_len. Must always produce a response of at least 10 bytes. */
	void (*execute)(void *ctx, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
			size_t *rsp_len);
	/* SVSM_VTPM_BUFFER_SIZE bytes of Bastion memory the protocol stages requests and
	 * responses in (one call at a time). */
	uint8_t *buf;
};

/* The vTPM protocol's row handler (dispatch.c). */
void vtpm_protocol_handle(struct svsm_call_ctx *ctx, const struct svsm_request *req,
			  struct svsm_result *res);
