#include "arch/x86/snp/guest_msg.h"

#include "crypto/gcm.h"
#include "kernel/string.h"

#define TAG_SIZE 16u
#define IV_SIZE 12u
#define MSG_VERSION 1u
#define HDR_VERSION 1u

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return get_le16(p) | (uint32_t)get_le16(p + 2) << 16;
}

static uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* IV = MSG_SEQNO as 8 little-endian bytes, then 4 zero bytes. */
static void make_iv(uint8_t iv[IV_SIZE], uint64_t seqno)
{
	bastion_memset(iv, 0, IV_SIZE);
	put_le64(iv, seqno);
}

/* Gives up on VMPCK0: a failure after the PSP may have consumed a message. */
static enum snp_result kill_channel(struct guest_msg_channel *ch, enum snp_result r)
{
	ch->dead = true;
	ch->wipe_key();
	return r;
}

/*
 * Builds header + ciphertext for seqno in msg (Bastion's memory, GUEST_MSG_HDR_SIZE + len).
 * Returns SNP_OK or SNP_ERR_MSG_NO_KEY.
 */
static enum snp_result seal(const uint8_t *key, uint8_t *msg, uint64_t seqno, uint8_t type, const void *payload,
			    size_t len)
{
	struct gcm_ctx gcm;
	uint8_t iv[IV_SIZE];
	int rc;

	bastion_memset(msg, 0, GUEST_MSG_HDR_SIZE);
	put_le64(msg + GUEST_MSG_OFF_SEQNO, seqno);
	msg[GUEST_MSG_OFF_ALGO] = GUEST_MSG_ALGO_AES256_GCM;
	msg[GUEST_MSG_OFF_HDR_VERSION] = HDR_VERSION;
	put_le16(msg + GUEST_MSG_OFF_HDR_SZ, GUEST_MSG_HDR_SIZE);
	msg[GUEST_MSG_OFF_TYPE] = type;
	msg[GUEST_MSG_OFF_MSG_VERSION] = MSG_VERSION;
	put_le16(msg + GUEST_MSG_OFF_MSG_SZ, (uint16_t)len);
	msg[GUEST_MSG_OFF_VMPCK] = 0;
	make_iv(iv, seqno);
	if (gcm_init(&gcm, key, 32) != 0) {
		return SNP_ERR_MSG_NO_KEY;
	}
	rc = gcm_encrypt(&gcm, iv, IV_SIZE, msg + GUEST_MSG_AAD_OFFSET, GUEST_MSG_AAD_SIZE, payload,
			 msg + GUEST_MSG_HDR_SIZE, len, msg + GUEST_MSG_OFF_AUTHTAG, TAG_SIZE);
	gcm_wipe(&gcm);
	return rc == 0 ? SNP_OK : SNP_ERR_MSG_NO_KEY;
}

/*
 * Checks the header of a response copy against the request (seqno + 1, type + 1, same
 * algorithm, versions and key) and decrypts its payload into out. Returns SNP_OK,
 * SNP_ERR_MSG_HEADER, SNP_ERR_MSG_SIZE or SNP_ERR_MSG_AUTH.
 */
static enum snp_result open_response(const uint8_t *key, const uint8_t *rsp, uint64_t seqno, uint8_t type,
				     void *out, size_t out_cap, size_t *out_len)
{
	struct gcm_ctx gcm;
	uint8_t iv[IV_SIZE];
	size_t len = get_le16(rsp + GUEST_MSG_OFF_MSG_SZ);
	int rc;

	if (get_le64(rsp + GUEST_MSG_OFF_SEQNO) != seqno || rsp[GUEST_MSG_OFF_ALGO] != GUEST_MSG_ALGO_AES256_GCM ||
	    rsp[GUEST_MSG_OFF_HDR_VERSION] != HDR_VERSION ||
	    get_le16(rsp + GUEST_MSG_OFF_HDR_SZ) != GUEST_MSG_HDR_SIZE || rsp[GUEST_MSG_OFF_TYPE] != type ||
	    rsp[GUEST_MSG_OFF_MSG_VERSION] != MSG_VERSION || rsp[GUEST_MSG_OFF_VMPCK] != 0) {
		return SNP_ERR_MSG_HEADER;
	}
	if (len > GUEST_MSG_MAX_PAYLOAD || len > out_cap) {
		return SNP_ERR_MSG_SIZE;
	}
	make_iv(iv, seqno);
	if (gcm_init(&gcm, key, 32) != 0) {
		return SNP_ERR_MSG_AUTH;
	}
	rc = gcm_decrypt(&gcm, iv, IV_SIZE, rsp + GUEST_MSG_AAD_OFFSET, GUEST_MSG_AAD_SIZE, rsp + GUEST_MSG_HDR_SIZE,
			 out, len, rsp + GUEST_MSG_OFF_AUTHTAG, TAG_SIZE);
	gcm_wipe(&gcm);
	if (rc != 0) {
		return SNP_ERR_MSG_AUTH;
	}
	*out_len = len;
	return SNP_OK;
}

/* Private copies: 4 KiB each, static because one message is in flight at a time (the callers
 * hold the VM lock) and a kernel stack frame must stay under 4 KiB. req also keeps a message
 * the PSP has not consumed yet (ch->pending_len). */
static uint8_t sealed_req[GUEST_MSG_HDR_SIZE + GUEST_MSG_MAX_PAYLOAD];
static uint8_t rsp_copy[GUEST_MSG_HDR_SIZE + GUEST_MSG_MAX_PAYLOAD];

/* Sends req[0..len) until the PSP consumes it or stays busy. */
static enum snp_result send_sealed(struct guest_msg_channel *ch, size_t len)
{
	uint32_t fw_error = 0;
	unsigned int tries = 0;
	enum snp_result r;

	for (;;) {
		/* From the private copy every time: the host may have changed the shared page. */
		bastion_memcpy(ch->req_page, sealed_req, len);
		bastion_memset(ch->rsp_page, 0, GUEST_MSG_HDR_SIZE + GUEST_MSG_MAX_PAYLOAD);
		r = ch->exchange(ch->ctx, ch->req_pa, ch->rsp_pa, &fw_error);
		if (r != SNP_ERR_GUEST_REQ_BUSY || ++tries >= GUEST_MSG_BUSY_RETRIES) {
			break;
		}
		if (ch->delay != NULL) {
			ch->delay(ch->ctx, tries);
		}
	}
	return r;
}

enum snp_result guest_msg_send(struct guest_msg_channel *ch, uint8_t type, const void *payload, size_t len,
			       void *out, size_t out_cap, size_t *out_len)
{
	const uint8_t *key = ch->key();
	uint64_t seqno;
	enum snp_result r;

	if (ch->dead || key == NULL) {
		return SNP_ERR_MSG_NO_KEY;
	}
	if (len > GUEST_MSG_MAX_PAYLOAD) {
		return SNP_ERR_MSG_SIZE;
	}
	if (ch->pending_len != 0) {
		/* An earlier message is still unconsumed: it owns the next sequence number. */
		r = send_sealed(ch, ch->pending_len);
		if (r == SNP_ERR_GUEST_REQ_BUSY) {
			return r;
		}
		if (r != SNP_OK) {
			return kill_channel(ch, r);
		}
		ch->pending_len = 0;
		ch->seqno += 2; /* its answer went to a caller that gave up: dropped */
	}
	/* The request takes seqno, the response seqno + 1: both must fit the PSP's 32 bits. */
	if (ch->seqno + 2 > UINT32_MAX) {
		return kill_channel(ch, SNP_ERR_MSG_SEQNO);
	}
	seqno = ch->seqno + 1;
	r = seal(key, sealed_req, seqno, type, payload, len);
	if (r != SNP_OK) {
		return kill_channel(ch, r);
	}
	r = send_sealed(ch, GUEST_MSG_HDR_SIZE + len);
	if (r == SNP_ERR_GUEST_REQ_BUSY) {
		ch->pending_len = GUEST_MSG_HDR_SIZE + len;
		return r;
	}
	if (r != SNP_OK) {
		return kill_channel(ch, r);
	}
	/* The PSP consumed seqno and answered with seqno + 1. */
	ch->seqno += 2;
	bastion_memcpy(rsp_copy, ch->rsp_page, sizeof(rsp_copy)); /* one fetch of hostile memory */
	r = open_response(key, rsp_copy, seqno + 1, (uint8_t)(type + 1), out, out_cap, out_len);
	if (r != SNP_OK) {
		mem_wipe(out, out_cap);
		return kill_channel(ch, r);
	}
	return SNP_OK;
}

enum snp_result snp_attestation_report(struct guest_msg_channel *ch, const uint8_t report_data[64], uint32_t vmpl,
				       uint8_t report[SNP_REPORT_SIZE])
{
	static uint8_t rsp[SNP_REPORT_RSP_SIZE];
	uint8_t req[0x60];
	size_t len = 0;
	enum snp_result r;

	/* MSG_REPORT_REQ: REPORT_DATA, VMPL, flags (KEY_SEL 0: VLEK if installed, else VCEK). */
	bastion_memset(req, 0, sizeof(req));
	bastion_memcpy(req, report_data, 64);
	put_le32(req + 0x40, vmpl);
	r = guest_msg_send(ch, GUEST_MSG_REPORT_REQ, req, sizeof(req), rsp, sizeof(rsp), &len);
	if (r != SNP_OK) {
		return r;
	}
	if (len != SNP_REPORT_RSP_SIZE) {
		return SNP_ERR_MSG_SIZE;
	}
	if (get_le32(rsp) != 0) {
		return SNP_ERR_MSG_STATUS;
	}
	if (get_le32(rsp + 4) != SNP_REPORT_SIZE) {
		return SNP_ERR_MSG_SIZE;
	}
	bastion_memcpy(report, rsp + 0x20, SNP_REPORT_SIZE);
	return SNP_OK;
}

enum snp_result snp_derived_key(struct guest_msg_channel *ch, const struct snp_key_request *kr, uint8_t key[32])
{
	uint8_t req[0x20];
	uint8_t rsp[SNP_KEY_RSP_SIZE];
	size_t len = 0;
	enum snp_result r;

	bastion_memset(req, 0, sizeof(req));
	put_le32(req + 0x00, kr->root_key_select);
	put_le64(req + 0x08, kr->guest_field_select);
	put_le32(req + 0x10, kr->vmpl);
	put_le32(req + 0x14, kr->guest_svn);
	put_le64(req + 0x18, kr->tcb_version);
	r = guest_msg_send(ch, GUEST_MSG_KEY_REQ, req, sizeof(req), rsp, sizeof(rsp), &len);
	if (r == SNP_OK && len != SNP_KEY_RSP_SIZE) {
		r = SNP_ERR_MSG_SIZE;
	} else if (r == SNP_OK && get_le32(rsp) != 0) {
		r = SNP_ERR_MSG_STATUS;
	}
	if (r == SNP_OK) {
		bastion_memcpy(key, rsp + 0x20, 32);
	}
	mem_wipe(rsp, sizeof(rsp));
	return r;
}
