/*
 * Host tests of the NV image (vtpm/nvimage.c, vtpm.h vtpm_nv_image_*): a saved image loaded
 * into a second engine is the same TPM (a Shutdown(STATE) resumes there with the PCRs), and
 * every kind of
 * damaged image is refused: wrong length, magic, version, size field, any payload byte
 * (checksum), and a correctly checksummed image with an out-of-range field (the TPM is then
 * left in failure mode, never running on it).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tests/ktest/ktest.h"
#include "vtpm/rc.h"
#include "vtpm/tpm2.h"
#include "vtpm/vtpm.h"

#include "tests/vtpm/vtpm_fixture.h"

static uint32_t startup(struct fix *f, uint16_t su)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_STARTUP);
	cb_u16(&c, su);
	return run(f, &c);
}

static uint32_t shutdown_state(struct fix *f)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_SHUTDOWN);
	cb_u16(&c, TPM_SU_STATE);
	return run(f, &c);
}

/* PCR_Extend(pcr, sha256 = 32 x v) with a password session. */
static uint32_t extend(struct fix *f, uint32_t pcr, uint8_t v)
{
	uint8_t d[32];
	struct cb c;

	memset(d, v, sizeof(d));
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u32(&c, pcr);
	cb_u32(&c, 9);
	cb_u32(&c, TPM_RS_PW);
	cb_u16(&c, 0);
	cb_u8(&c, 0);
	cb_u16(&c, 0);
	cb_u32(&c, 1);
	cb_u16(&c, TPM_ALG_SHA256);
	cb_bytes(&c, d, sizeof(d));
	return run(f, &c);
}

/* The sha256 bank's PCR pcr (< 8) into out[32]. */
static uint32_t read_pcr(struct fix *f, uint32_t pcr, uint8_t *out)
{
	struct cb c;
	uint32_t rc;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_PCR_READ);
	cb_u32(&c, 1);
	cb_u16(&c, TPM_ALG_SHA256);
	cb_u8(&c, 3);
	cb_u8(&c, (uint8_t)(1u << pcr));
	cb_u8(&c, 0);
	cb_u8(&c, 0);
	rc = run(f, &c);
	if (rc == TPM_RC_SUCCESS) {
		/* updateCounter(4) selection(4+2+1+3) count(4) size(2) digest(32) */
		memcpy(out, f->rsp + 10 + 4 + 10 + 4 + 2, 32);
	}
	return rc;
}

/* A second engine on its own memory with the fixture's fake platform hooks. */
static struct vtpm *second_engine(struct fix *f)
{
	struct vtpm_platform p = { fake_entropy, fake_clock, &f->plat };
	struct vtpm *t = aligned_alloc(16, (vtpm_size() + 15) & ~(size_t)15);

	if (t != NULL && vtpm_init(t, &p) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

KTEST(nvimage, resume_in_a_second_engine)
{
	struct fix f;
	size_t n = vtpm_nv_image_size();
	uint8_t *img = malloc(n);
	uint8_t before[32], after[32];
	struct vtpm *first;
	struct vtpm *t2;

	ASSERT_NOT_NULL(img);
	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(extend(&f, 5, 0xA5), TPM_RC_SUCCESS);
	ASSERT_EQ(read_pcr(&f, 5, before), TPM_RC_SUCCESS);
	ASSERT_EQ(shutdown_state(&f), TPM_RC_SUCCESS);
	ASSERT_EQ(vtpm_nv_image_save(f.t, img, n - 1), -1); /* too small */
	ASSERT_EQ(vtpm_nv_image_save(f.t, img, n), 0);

	t2 = second_engine(&f);
	ASSERT_NOT_NULL(t2);
	/* Not manufactured: every command but GetCapability/GetTestResult fails. */
	first = f.t;
	f.t = t2;
	EXPECT_EQ(startup(&f, TPM_SU_CLEAR), TPM_RC_FAILURE);
	ASSERT_EQ(vtpm_nv_image_load(t2, img, n), 0);
	ASSERT_EQ(startup(&f, TPM_SU_STATE), TPM_RC_SUCCESS);
	ASSERT_EQ(read_pcr(&f, 5, after), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(before, after, 32);
	/* The image is consumed like the saved state it holds: a second Startup(STATE) after
	 * the next power cycle without Shutdown is refused. */
	vtpm_power_on(t2);
	EXPECT_EQ(startup(&f, TPM_SU_STATE), rc_param(TPM_RC_VALUE, 1));
	f.t = first;
	free(t2);
	free(img);
}

KTEST(nvimage, damaged_images_are_refused)
{
	struct fix f;
	size_t n = vtpm_nv_image_size();
	uint8_t *img = malloc(n);
	uint8_t *bad = malloc(n);
	uint8_t pcr[32], pcr2[32];
	unsigned int refused = 0;

	ASSERT_NOT_NULL(img);
	ASSERT_NOT_NULL(bad);
	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(extend(&f, 3, 0x33), TPM_RC_SUCCESS);
	ASSERT_EQ(read_pcr(&f, 3, pcr), TPM_RC_SUCCESS);
	ASSERT_EQ(vtpm_nv_image_save(f.t, img, n), 0);
	EXPECT_EQ(vtpm_nv_image_load(f.t, img, n - 1), -1);
	EXPECT_EQ(vtpm_nv_image_load(f.t, NULL, n), -1);
	/* Every header byte and a spread of payload bytes: one flipped bit each. */
	for (size_t i = 0; i < n; i += (i < 48 ? 1 : 97)) {
		memcpy(bad, img, n);
		bad[i] ^= 0x10;
		refused += vtpm_nv_image_load(f.t, bad, n) == -1;
	}
	EXPECT_EQ(refused, 48u + (unsigned int)((n - 48 + 96) / 97));
	/* Refusals left the running TPM untouched: no _TPM_Init happened, PCR 3 still reads. */
	ASSERT_EQ(read_pcr(&f, 3, pcr2), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(pcr, pcr2, 32);
	free(bad);
	free(img);
}

/* A writer that computes the checksum right but puts garbage in a field. */
KTEST(nvimage, checksummed_garbage_leaves_failure_mode)
{
	struct fix f;
	size_t n = vtpm_nv_image_size();
	uint8_t *img = malloc(n);
	unsigned int md_len = 32;

	ASSERT_NOT_NULL(img);
	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(vtpm_nv_image_save(f.t, img, n), 0);
	/* The payload starts with bool manufactured: 0 (not manufactured) is refused by the
	 * range check even with a matching checksum. */
	img[48] = 0;
	ASSERT_EQ(EVP_Digest(img + 48, n - 48, img + 16, &md_len, EVP_sha256(), NULL), 1);
	EXPECT_EQ(vtpm_nv_image_load(f.t, img, n), -1);
	EXPECT_EQ(startup(&f, TPM_SU_CLEAR), TPM_RC_FAILURE);
	free(img);
}
