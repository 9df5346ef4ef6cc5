/*
 * SNP guest messages (arch/x86/snp/guest_msg.c) against a fake AMD-SP that holds the same
 * VMPCK0: header fields, IV/AAD/tag, sequence numbers, BUSY resends of the identical message,
 * and the key being wiped after every failure that can put Bastion and the PSP out of step.
 */
#include <string.h>

#include "arch/x86/snp/guest_msg.h"
#include "crypto/gcm.h"
#include "tests/ktest/ktest.h"

static uint8_t vmpck[32];
static bool key_present;
static uint8_t req_page[4096] __attribute__((aligned(4096)));
static uint8_t rsp_page[4096] __attribute__((aligned(4096)));

enum psp_mode {
	PSP_OK,
	PSP_BUSY_TWICE,
	PSP_BUSY_ALWAYS,
	PSP_HOST_ERROR,
	PSP_FLIP_CIPHERTEXT,
	PSP_WRONG_SEQNO,
	PSP_WRONG_TYPE,
	PSP_STATUS_ERROR,
	PSP_REPLAY_OLD,
	PSP_INVALID_LEN,
};

static struct {
	enum psp_mode mode;
	unsigned int calls;
	uint64_t expect_seqno;
	uint8_t first_req[GUEST_MSG_HDR_SIZE + 0x60];
	bool resent_identical;
	bool req_ok;
	uint8_t saved_rsp[4096];
	bool have_saved;
	unsigned int delays;       /* back-off waits requested */
	unsigned int last_attempt; /* the attempt number of the last one */
} psp;

static void fake_delay(void *ctx, unsigned int attempt)
{
	(void)ctx;
	psp.delays++;
	psp.last_attempt = attempt;
}

static const uint8_t *test_key(void)
{
	return key_present ? vmpck : NULL;
}

static void test_wipe_key(void)
{
	memset(vmpck, 0, sizeof(vmpck));
	key_present = false;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--) {
		v = v << 8 | p[i];
	}
	return v;
}

static void iv_of(uint8_t iv[12], uint64_t seqno)
{
	memset(iv, 0, 12);
	for (int i = 0; i < 8; i++) {
		iv[i] = (uint8_t)(seqno >> (8 * i));
	}
}

/* The fake PSP: checks and decrypts the request, answers a REPORT or KEY response. */
static enum snp_result fake_exchange(void *ctx, paddr_t req, paddr_t rsp, uint32_t *fw_error)
{
	static const uint8_t psp_key_copy_marker = 0;
	uint8_t plain[4000], out[4000], iv[12];
	struct gcm_ctx g;
	uint64_t seqno = le64(req_page + GUEST_MSG_OFF_SEQNO);
	uint8_t type = req_page[GUEST_MSG_OFF_TYPE];
	size_t len = (size_t)(req_page[GUEST_MSG_OFF_MSG_SZ] | req_page[GUEST_MSG_OFF_MSG_SZ + 1] << 8);
	size_t out_len = 0;

	(void)ctx;
	(void)psp_key_copy_marker;
	*fw_error = 0;
	if (paddr_get(req) != 0x1000 || paddr_get(rsp) != 0x2000) {
		return SNP_ERR_INVALID_ARG;
	}
	psp.calls++;
	if (psp.calls == 1) {
		memcpy(psp.first_req, req_page, sizeof(psp.first_req));
	} else if (memcmp(psp.first_req, req_page, sizeof(psp.first_req)) == 0) {
		psp.resent_identical = true;
	}
	if (psp.mode == PSP_BUSY_ALWAYS || (psp.mode == PSP_BUSY_TWICE && psp.calls <= 2)) {
		return SNP_ERR_GUEST_REQ_BUSY;
	}
	if (psp.mode == PSP_HOST_ERROR) {
		return SNP_ERR_GUEST_REQ_VMM;
	}
	if (psp.mode == PSP_INVALID_LEN) {
		return SNP_ERR_GUEST_REQ_INVALID_LEN;
	}
	/* What the PSP checks (firmware ABI): algorithm, versions, header size, key, seqno. */
	psp.req_ok = req_page[GUEST_MSG_OFF_ALGO] == 1 && req_page[GUEST_MSG_OFF_HDR_VERSION] == 1 &&
		     req_page[GUEST_MSG_OFF_HDR_SZ] == 0x60 && req_page[GUEST_MSG_OFF_MSG_VERSION] == 1 &&
		     req_page[GUEST_MSG_OFF_VMPCK] == 0 && seqno == psp.expect_seqno && len <= sizeof(plain);
	iv_of(iv, seqno);
	gcm_init(&g, vmpck, 32);
	if (!psp.req_ok || gcm_decrypt(&g, iv, 12, req_page + 0x30, 0x30, req_page + 0x60, plain, len,
				       req_page, 16) != 0) {
		psp.req_ok = false;
		return SNP_ERR_GUEST_REQ_FW;
	}
	memset(out, 0, sizeof(out));
	if (type == GUEST_MSG_REPORT_REQ) {
		out_len = SNP_REPORT_RSP_SIZE;
		out[4] = 0xA0;
		out[5] = 0x04; /* REPORT_SIZE 0x4A0 */
		memcpy(out + 0x20 + 0x50, plain, 64); /* REPORT_DATA at report offset 0x50 */
		out[0x20] = 2;                         /* VERSION */
		if (psp.mode == PSP_STATUS_ERROR) {
			out[0] = 0x16;
		}
	} else {
		out_len = SNP_KEY_RSP_SIZE;
		for (int i = 0; i < 32; i++) {
			out[0x20 + i] = (uint8_t)(plain[8] ^ i); /* depends on guest_field_select */
		}
	}
	memset(rsp_page, 0, sizeof(rsp_page));
	memcpy(rsp_page + 0x20, req_page + 0x20, 0x40); /* seqno .. end of header */
	seqno += 1;
	if (psp.mode == PSP_WRONG_SEQNO) {
		seqno += 2;
	}
	for (int i = 0; i < 8; i++) {
		rsp_page[GUEST_MSG_OFF_SEQNO + i] = (uint8_t)(seqno >> (8 * i));
	}
	rsp_page[GUEST_MSG_OFF_TYPE] = (uint8_t)(type + (psp.mode == PSP_WRONG_TYPE ? 3 : 1));
	rsp_page[GUEST_MSG_OFF_MSG_SZ] = (uint8_t)out_len;
	rsp_page[GUEST_MSG_OFF_MSG_SZ + 1] = (uint8_t)(out_len >> 8);
	iv_of(iv, seqno);
	gcm_encrypt(&g, iv, 12, rsp_page + 0x30, 0x30, out, rsp_page + 0x60, out_len, rsp_page, 16);
	gcm_wipe(&g);
	if (psp.mode == PSP_FLIP_CIPHERTEXT) {
		rsp_page[0x60 + 0x30] ^= 1;
	}
	if (psp.mode == PSP_REPLAY_OLD && psp.have_saved) {
		memcpy(rsp_page, psp.saved_rsp, sizeof(rsp_page));
	}
	memcpy(psp.saved_rsp, rsp_page, sizeof(rsp_page));
	psp.have_saved = true;
	psp.expect_seqno = le64(req_page + GUEST_MSG_OFF_SEQNO) + 2;
	return SNP_OK;
}

static struct guest_msg_channel channel(void)
{
	for (int i = 0; i < 32; i++) {
		vmpck[i] = (uint8_t)(0xC0 + i);
	}
	key_present = true;
	memset(&psp, 0, sizeof(psp));
	psp.expect_seqno = 1;
	return (struct guest_msg_channel){ .exchange = fake_exchange, .delay = fake_delay,
					   .key = test_key, .wipe_key = test_wipe_key,
					   .req_page = req_page, .rsp_page = rsp_page,
					   .req_pa = paddr_init(0x1000), .rsp_pa = paddr_init(0x2000) };
}

/* True if needle[0..n) occurs in hay[0..len). */
static bool contains(const uint8_t *hay, size_t len, const uint8_t *needle, size_t n)
{
	for (size_t i = 0; i + n <= len; i++) {
		if (memcmp(hay + i, needle, n) == 0) {
			return true;
		}
	}
	return false;
}

static void report_data(uint8_t rd[64], uint8_t seed)
{
	for (int i = 0; i < 64; i++) {
		rd[i] = (uint8_t)(seed * 7 + i);
	}
}

KTEST(snp_guest_msg, report_round_trip_and_seqnos)
{
	struct guest_msg_channel ch = channel();
	uint8_t rd[64], report[SNP_REPORT_SIZE];

	for (uint8_t n = 0; n < 3; n++) {
		report_data(rd, n);
		ASSERT_EQ(snp_attestation_report(&ch, rd, 0, report), SNP_OK);
		EXPECT_TRUE(psp.req_ok);
		EXPECT_MEMEQ(report + 0x50, rd, 64);
		EXPECT_EQ(report[0], 2);
		/* The request page never held the plaintext REPORT_DATA. */
		EXPECT_FALSE(contains(req_page, sizeof(req_page), rd, 16));
		EXPECT_EQ(ch.seqno, 2u * (n + 1u));
		EXPECT_EQ(req_page[GUEST_MSG_OFF_TYPE], GUEST_MSG_REPORT_REQ);
	}
	EXPECT_TRUE(key_present);
}

KTEST(snp_guest_msg, busy_resends_the_identical_message)
{
	struct guest_msg_channel ch = channel();
	uint8_t rd[64], report[SNP_REPORT_SIZE];

	report_data(rd, 9);
	psp.mode = PSP_BUSY_TWICE;
	ASSERT_EQ(snp_attestation_report(&ch, rd, 0, report), SNP_OK);
	EXPECT_EQ(psp.calls, 3u);
	EXPECT_TRUE(psp.resent_identical);
	EXPECT_EQ(ch.seqno, 2u);
	EXPECT_TRUE(key_present);
	/* A back-off before each resend: attempts 1 and 2. */
	EXPECT_EQ(psp.delays, 2u);
	EXPECT_EQ(psp.last_attempt, 2u);
}

KTEST(snp_guest_msg, failures_wipe_the_key)
{
	static const enum psp_mode modes[] = { PSP_HOST_ERROR, PSP_FLIP_CIPHERTEXT, PSP_WRONG_SEQNO,
					       PSP_WRONG_TYPE, PSP_INVALID_LEN };
	static const enum snp_result want[] = { SNP_ERR_GUEST_REQ_VMM, SNP_ERR_MSG_AUTH, SNP_ERR_MSG_HEADER,
						SNP_ERR_MSG_HEADER, SNP_ERR_GUEST_REQ_INVALID_LEN };
	uint8_t rd[64], report[SNP_REPORT_SIZE];

	report_data(rd, 1);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct guest_msg_channel ch = channel();
		unsigned int calls;

		psp.mode = modes[i];
		EXPECT_EQ(snp_attestation_report(&ch, rd, 0, report), want[i]);
		EXPECT_FALSE(key_present);
		EXPECT_TRUE(ch.dead);
		/* A dead channel sends nothing more. */
		calls = psp.calls;
		EXPECT_EQ(snp_attestation_report(&ch, rd, 0, report), SNP_ERR_MSG_NO_KEY);
		EXPECT_EQ(psp.calls, calls);
	}
}

/*
 * A PSP that stays busy: BUSY to the caller, key kept; the next call first gets the very same
 * ciphertext consumed (so its sequence number never carries other plaintext), then its own.
 */
KTEST(snp_guest_msg, persistent_busy_keeps_the_key_and_the_message)
{
	struct guest_msg_channel ch = channel();
	uint8_t rd[64], rd2[64], report[SNP_REPORT_SIZE], stuck[GUEST_MSG_HDR_SIZE + 0x60];

	report_data(rd, 4);
	report_data(rd2, 5);
	psp.mode = PSP_BUSY_ALWAYS;
	EXPECT_EQ(snp_attestation_report(&ch, rd, 0, report), SNP_ERR_GUEST_REQ_BUSY);
	EXPECT_EQ(psp.calls, GUEST_MSG_BUSY_RETRIES);
	/* Bounded: a wait between tries, none after the last. */
	EXPECT_EQ(psp.delays, GUEST_MSG_BUSY_RETRIES - 1);
	EXPECT_TRUE(key_present);
	EXPECT_FALSE(ch.dead);
	EXPECT_EQ(ch.seqno, 0u);
	memcpy(stuck, req_page, sizeof(stuck));
	/* Still busy: nothing new is sealed, the same message goes out again. */
	EXPECT_EQ(snp_attestation_report(&ch, rd2, 0, report), SNP_ERR_GUEST_REQ_BUSY);
	EXPECT_MEMEQ(req_page, stuck, sizeof(stuck));
	/* The PSP recovers: seqno 1 is the stuck message (answer dropped), seqno 3 is ours. */
	psp.mode = PSP_OK;
	psp.calls = 0;
	ASSERT_EQ(snp_attestation_report(&ch, rd2, 0, report), SNP_OK);
	EXPECT_EQ(psp.calls, 2u);
	EXPECT_MEMEQ(report + 0x50, rd2, 64);
	EXPECT_EQ(ch.seqno, 4u);
	EXPECT_TRUE(key_present);
}

KTEST(snp_guest_msg, replayed_response_is_refused)
{
	struct guest_msg_channel ch = channel();
	uint8_t rd[64], report[SNP_REPORT_SIZE];

	report_data(rd, 2);
	ASSERT_EQ(snp_attestation_report(&ch, rd, 0, report), SNP_OK);
	psp.mode = PSP_REPLAY_OLD; /* the host answers with the previous (valid) response */
	EXPECT_EQ(snp_attestation_report(&ch, rd, 0, report), SNP_ERR_MSG_HEADER);
	EXPECT_FALSE(key_present);
}

KTEST(snp_guest_msg, psp_status_and_derived_key)
{
	struct guest_msg_channel ch = channel();
	struct snp_key_request kr = { .guest_field_select = 0x5A, .vmpl = 0 };
	uint8_t rd[64], report[SNP_REPORT_SIZE], key[32];

	report_data(rd, 3);
	psp.mode = PSP_STATUS_ERROR;
	EXPECT_EQ(snp_attestation_report(&ch, rd, 0, report), SNP_ERR_MSG_STATUS);
	EXPECT_TRUE(key_present); /* an authenticated refusal keeps the channel in step */
	psp.mode = PSP_OK;
	ASSERT_EQ(snp_derived_key(&ch, &kr, key), SNP_OK);
	EXPECT_TRUE(psp.req_ok);
	EXPECT_EQ(req_page[GUEST_MSG_OFF_TYPE], GUEST_MSG_KEY_REQ);
	EXPECT_EQ(key[0], 0x5A);
	EXPECT_EQ(key[31], 0x5A ^ 31);
	EXPECT_EQ(ch.seqno, 4u);
}

KTEST(snp_guest_msg, oversized_payload_is_not_sent)
{
	struct guest_msg_channel ch = channel();
	static uint8_t big[GUEST_MSG_MAX_PAYLOAD + 1];
	uint8_t out[16];
	size_t len = 0;

	EXPECT_EQ(guest_msg_send(&ch, GUEST_MSG_REPORT_REQ, big, sizeof(big), out, sizeof(out), &len),
		  SNP_ERR_MSG_SIZE);
	EXPECT_EQ(psp.calls, 0u);
	EXPECT_TRUE(key_present);
	/* A response larger than the caller's buffer: the PSP consumed it, so out of step. */
	EXPECT_EQ(guest_msg_send(&ch, GUEST_MSG_REPORT_REQ, big, 0x60, out, sizeof(out), &len), SNP_ERR_MSG_SIZE);
	EXPECT_FALSE(key_present);
}

/* The 32-bit counter runs out: the last pair that fits is used, then VMPCK0 is retired
 * without a message being sealed under a number the PSP cannot take. */
KTEST(snp_guest_msg, seqno_exhaustion_retires_the_key)
{
	struct guest_msg_channel ch = channel();
	uint8_t rd[64], report[SNP_REPORT_SIZE];

	report_data(rd, 6);
	ch.seqno = UINT32_MAX - 3; /* next request UINT32_MAX - 2, response UINT32_MAX - 1 */
	psp.expect_seqno = UINT32_MAX - 2;
	ASSERT_EQ(snp_attestation_report(&ch, rd, 0, report), SNP_OK);
	EXPECT_EQ(ch.seqno, (uint64_t)UINT32_MAX - 1);
	/* Request UINT32_MAX, response 2^32: does not fit. */
	psp.calls = 0;
	EXPECT_EQ(snp_attestation_report(&ch, rd, 0, report), SNP_ERR_MSG_SEQNO);
	EXPECT_EQ(psp.calls, 0u);
	EXPECT_FALSE(key_present);
	EXPECT_TRUE(ch.dead);
}
