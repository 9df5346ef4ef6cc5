/*
 * The SVSM attestation protocol (protocol 1; SVSM spec 58019 rev 1.00 "Attestation
 * Protocol", ABI reference 2.6): an attestation report whose REPORT_DATA binds a guest nonce
 * to the manifest of the services Bastion provides (today: the vTPM, whose manifest is its
 * EK's TPMT_PUBLIC).
 *
 *   SVSM_ATTEST_SERVICES        RCX = GPA of a 0x40-byte operation (Table 11)
 *   SVSM_ATTEST_SINGLE_SERVICE  RCX = GPA of a 0x58-byte operation (Table 13: + service GUID,
 *                               manifest version)
 *   out: RCX = manifest size, RDX = certificate size, R8 = report size (bytes), also when a
 *        buffer is too small (INVALID_PARAMETER), so the guest can enlarge it and retry.
 *
 * Contract:
 *   - The operation is read once into Bastion's memory and checked there: RCX 8-byte aligned
 *     and the structure within one 4 KiB page, every reserved field zero, the report and
 *     manifest buffers (and the certificate buffer when its size is not 0) 4 KiB aligned, the
 *     nonce within one 4 KiB page: else INVALID_PARAMETER. Unreadable operation or nonce,
 *     unwritable buffers: INVALID_ADDRESS.
 *   - SINGLE_SERVICE: only the vTPM GUID c476f1eb-0123-45a5-9641-b4e7dde5bfe3 and manifest
 *     version 0; another GUID or version is INVALID_PARAMETER (the spec's reading; COCONUT
 *     answers UNSUPPORTED_PROTOCOL for a GUID, docs/abi.md).
 *   - REPORT_DATA = SHA-512(nonce || manifest) where manifest is the services manifest (GUID
 *     table, ABI reference 2.6) or, for SINGLE_SERVICE, the service's own manifest.
 *   - Certificates: none are provided (RDX = 0); a certificate buffer is accepted and left
 *     untouched.
 *   - The report comes from the platform (struct attest_backend): BUSY is SVSM_ERR_BUSY (the
 *     guest retries; nothing was lost), any other failure SVSM_ERR_PROTOCOL_BASE (0x80001000).
 *   - Buffers are written only when everything fits and the report was obtained; the report
 *     buffer receives the 1184-byte ATTESTATION_REPORT, the manifest buffer the manifest.
 * Portable (host-testable); outside services only through struct attest_backend.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "protocols/dispatch.h"
#include "protocols/request.h"

#define ATTEST_PROTOCOL_VERSION_MIN 1u
#define ATTEST_PROTOCOL_VERSION_MAX 1u

#define ATTEST_OP_SERVICES_SIZE 0x40u
#define ATTEST_OP_SINGLE_SIZE 0x58u
#define ATTEST_REPORT_SIZE 1184u /* SNP ATTESTATION_REPORT (0x4A0) */
#define ATTEST_MANIFEST_MAX 4096u
#define ATTEST_NONCE_MAX 4096u
/* The scratch buffer: manifest, nonce and report staged in Bastion's memory. */
#define ATTEST_SCRATCH_SIZE (ATTEST_MANIFEST_MAX + ATTEST_NONCE_MAX + ATTEST_REPORT_SIZE)

#define ATTEST_REPORT_OK 0
#define ATTEST_REPORT_FAIL (-1)
#define ATTEST_REPORT_BUSY (-2)

/* Mixed-endian (UEFI) byte order, as the manifest carries them. */
extern const uint8_t attest_services_manifest_guid[16];
extern const uint8_t attest_vtpm_service_guid[16];

struct attest_backend {
	void *ctx;
	/* The platform's ATTESTATION_REPORT for report_data into report[ATTEST_REPORT_SIZE]:
	 * ATTEST_REPORT_OK, _BUSY (try later, nothing lost) or _FAIL. */
	int (*report)(void *ctx, const uint8_t report_data[64], uint8_t *report);
	/* The vTPM service's manifest of the given version (0: the EK's TPMT_PUBLIC) into
	 * out[cap]; its size in *len. 0, or -1 (no vTPM, or the EK could not be made). */
	int (*vtpm_manifest)(void *ctx, uint32_t version, uint8_t *out, size_t cap, size_t *len);
	uint8_t *scratch; /* ATTEST_SCRATCH_SIZE bytes of Bastion memory */
};

/* The attestation protocol's row handler (dispatch.c). */
void attest_protocol_handle(struct svsm_call_ctx *ctx, const struct svsm_request *req,
			    struct svsm_result *res);
