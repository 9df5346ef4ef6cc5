/*
 * SNP guest messages to the AMD Secure Processor (SEV-SNP firmware ABI, "Guest Messages";
 * svsm-snp-igvm-abi.md section 3.6): the attestation report (MSG_REPORT_REQ) and derived keys
 * (MSG_KEY_REQ), encrypted with AES-256-GCM under VMPCK0 and carried by the SNP Guest Request
 * NAE through two shared pages.
 *
 * Rules this module keeps:
 *   - Plaintext never touches a shared page: a request is encrypted in Bastion's memory and
 *     then copied out; a response is copied in once and only then checked and decrypted (the
 *     hypervisor can change the shared page at any time).
 *   - A sequence number is never reused with different plaintext: the request uses last + 1,
 *     the response must carry last + 2, and the counter advances by 2 once the PSP consumed the
 *     message. BUSY (the PSP did not consume it) resends the identical ciphertext, at most
 *     GUEST_MSG_BUSY_RETRIES times with a doubling delay between tries (ch->delay); if the PSP
 *     stays busy the call returns
 *     SNP_ERR_GUEST_REQ_BUSY and keeps the sealed message: the next call first resends that
 *     very message until it is consumed (its answer is dropped), so its sequence number can
 *     never carry other plaintext, and the key survives a throttling host.
 *   - The PSP counts message sequence numbers in 32 bits (Linux refuses at UINT32_MAX too):
 *     a message whose request or response number would not fit is never sealed; VMPCK0 is
 *     wiped instead (SNP_ERR_MSG_SEQNO), since nothing can be sent under it any more.
 *   - INVALID_LEN (VMM error 1) only answers extended requests, which Bastion never sends:
 *     from a host it is a protocol violation and handled as the other host errors below.
 *   - Any other failure (host error, a response that is not the answer, bad tag, wrong size)
 *     may mean the key and counter are out of step or under attack: VMPCK0 is wiped
 *     (secrets_wipe_vmpck) and the channel refuses every later message (SNP_ERR_MSG_NO_KEY),
 *     as Linux and COCONUT do.
 * Portable: the exchange itself is a callback (the kernel: ghcb_guest_request on the boot
 * CPU's GHCB; host tests: a fake PSP).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/snp/snp_result.h"
#include "mm/addr.h"

#define GUEST_MSG_HDR_SIZE 0x60u
#define GUEST_MSG_MAX_PAYLOAD 4000u
#define GUEST_MSG_BUSY_RETRIES 8u
/* The first BUSY back-off; doubled each time: 10 + 20 + ... + 640 ms, 1.27 s at most per call. */
#define GUEST_MSG_BUSY_DELAY_MS 10u

/* Message types (firmware ABI, "Message Type Encodings"). */
#define GUEST_MSG_KEY_REQ 3u
#define GUEST_MSG_KEY_RSP 4u
#define GUEST_MSG_REPORT_REQ 5u
#define GUEST_MSG_REPORT_RSP 6u

/* Header field offsets (ABI reference 3.6). */
#define GUEST_MSG_OFF_AUTHTAG 0x00u
#define GUEST_MSG_OFF_SEQNO 0x20u
#define GUEST_MSG_OFF_ALGO 0x30u
#define GUEST_MSG_OFF_HDR_VERSION 0x31u
#define GUEST_MSG_OFF_HDR_SZ 0x32u
#define GUEST_MSG_OFF_TYPE 0x34u
#define GUEST_MSG_OFF_MSG_VERSION 0x35u
#define GUEST_MSG_OFF_MSG_SZ 0x36u
#define GUEST_MSG_OFF_VMPCK 0x3Cu
#define GUEST_MSG_AAD_OFFSET 0x30u
#define GUEST_MSG_AAD_SIZE 0x30u
#define GUEST_MSG_ALGO_AES256_GCM 1u

#define SNP_REPORT_SIZE 0x4A0u      /* ATTESTATION_REPORT */
#define SNP_REPORT_RSP_SIZE 0x4C0u  /* MSG_REPORT_RSP payload: status, size, reserved, report */
#define SNP_KEY_RSP_SIZE 0x40u      /* MSG_KEY_RSP payload: status, reserved, 32-byte key */

struct guest_msg_channel {
	/* Sends the request page and waits for the response page (SNP Guest Request NAE).
	 * Returns SNP_OK, SNP_ERR_GUEST_REQ_BUSY (not consumed), or another error. */
	enum snp_result (*exchange)(void *ctx, paddr_t req, paddr_t rsp, uint32_t *fw_error);
	void *ctx;
	/* Waits before BUSY resend number attempt (1, 2, ...): GUEST_MSG_BUSY_DELAY_MS << (attempt
	 * - 1) milliseconds, so a throttling host gets time to drain. Optional (NULL: resend at
	 * once). */
	void (*delay)(void *ctx, unsigned int attempt);
	/* VMPCK0 (32 bytes) or NULL once it is wiped; wipe_key() wipes the real copy. */
	const uint8_t *(*key)(void);
	void (*wipe_key)(void);
	uint8_t *req_page;  /* Bastion's mapping of the shared request page (4 KiB) */
	uint8_t *rsp_page;  /* ... of the shared response page */
	paddr_t req_pa;
	paddr_t rsp_pa;
	uint64_t seqno;     /* the last sequence number the PSP consumed (0: none yet) */
	size_t pending_len; /* bytes of a sealed message the PSP has not consumed yet (BUSY) */
	bool dead;
};

/*
 * One request/response. payload[0..len) is the request plaintext of type `type`;
 * *out receives the response plaintext (at most out_cap bytes; its length in *out_len).
 * Errors: SNP_ERR_MSG_NO_KEY, SNP_ERR_MSG_SIZE (len or the response too large: nothing sent
 * for the former), SNP_ERR_GUEST_REQ_BUSY (try again later; nothing lost), the exchange's other
 * errors, SNP_ERR_MSG_HEADER, SNP_ERR_MSG_AUTH. Every error but BUSY after a message was sent
 * wipes VMPCK0.
 */
enum snp_result guest_msg_send(struct guest_msg_channel *ch, uint8_t type, const void *payload, size_t len,
			       void *out, size_t out_cap, size_t *out_len);

/*
 * MSG_REPORT_REQ at VMPL vmpl (0 for Bastion's own) with REPORT_DATA report_data[64];
 * report[SNP_REPORT_SIZE] receives the signed ATTESTATION_REPORT. Errors: guest_msg_send's,
 * SNP_ERR_MSG_STATUS (the PSP's STATUS, e.g. 0x16 invalid parameters), SNP_ERR_MSG_SIZE.
 */
enum snp_result snp_attestation_report(struct guest_msg_channel *ch, const uint8_t report_data[64], uint32_t vmpl,
				       uint8_t report[SNP_REPORT_SIZE]);

/* MSG_KEY_REQ fields (firmware ABI, "MSG_KEY_REQ"). */
struct snp_key_request {
	uint32_t root_key_select; /* bit 0: 0 VCEK, 1 VMRK; bits 2:1 key_sel */
	uint64_t guest_field_select;
	uint32_t vmpl;
	uint32_t guest_svn;
	uint64_t tcb_version;
};

/* MSG_KEY_REQ: key[32] receives the derived key (a secret: wipe it after use).
 * Errors: as snp_attestation_report. */
enum snp_result snp_derived_key(struct guest_msg_channel *ch, const struct snp_key_request *req, uint8_t key[32]);
