/*
 * The NV image (vtpm.h): header || struct vtpm_persistent.
 *
 *   0   8  magic "BSTNTPM\0"
 *   8   4  format version (VTPM_NV_IMAGE_VERSION, little endian)
 *   12  4  payload size (sizeof(struct vtpm_persistent), little endian)
 *   16 32  SHA-256(payload)
 *   48  -  payload: struct vtpm_persistent as this build lays it out
 *
 * The payload is the struct's memory: the struct has no pointers by contract (state.h), and
 * the version plus size pin the layout, so an image is only ever read back by a build that
 * lays the struct out the same way. The checksum catches corruption (a torn write, a bad
 * disk), not tampering: the caller protects the image (it holds the seeds).
 */
#include "crypto/ct.h"
#include "crypto/hash.h"
#include "kernel/string.h"
#include "vtpm/state.h"
#include "vtpm/vtpm.h"

/* Bump whenever struct vtpm_persistent or the meaning of a field changes. */
#define VTPM_NV_IMAGE_VERSION 2u /* 2: NV indices, persistent objects, DA, pending PCR allocation */
#define HEADER_SIZE 48u

static const uint8_t magic[8] = { 'B', 'S', 'T', 'N', 'T', 'P', 'M', 0 };

static void put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

size_t vtpm_nv_image_size(void)
{
	return HEADER_SIZE + sizeof(struct vtpm_persistent);
}

int vtpm_nv_image_save(const struct vtpm *t, uint8_t *out, size_t cap)
{
	if (t == NULL || out == NULL || !t->initialised || !t->ps.manufactured ||
	    cap < vtpm_nv_image_size()) {
		return -1;
	}
	bastion_memcpy(out, magic, sizeof(magic));
	put_le32(out + 8, VTPM_NV_IMAGE_VERSION);
	put_le32(out + 12, (uint32_t)sizeof(struct vtpm_persistent));
	bastion_memcpy(out + HEADER_SIZE, &t->ps, sizeof(t->ps));
	(void)hash_oneshot(HASH_SHA256, out + HEADER_SIZE, sizeof(t->ps), out + 16);
	return 0;
}

/* Range checks of the fields whose values index or select something. Each module that adds
 * persistent state with such fields checks them here too. */
static bool persistent_valid(const struct vtpm_persistent *ps)
{
	if (!ps->manufactured || ps->shutdown > VTPM_SHUTDOWN_STATE ||
	    (ps->pcr_allocated >> VTPM_NUM_HASHES) != 0 ||
	    (ps->pcr_pending >> VTPM_NUM_HASHES) != 0) {
		return false;
	}
	for (unsigned int i = 0; i < VTPM_NUM_AUTHS; i++) {
		if (ps->hier.auth_size[i] > VTPM_MAX_DIGEST ||
		    ps->hier.policy_size[i] > VTPM_MAX_DIGEST) {
			return false;
		}
	}
	return true;
}

int vtpm_nv_image_load(struct vtpm *t, const uint8_t *in, size_t len)
{
	uint8_t sum[32];

	if (t == NULL || in == NULL || !t->initialised || len != vtpm_nv_image_size() ||
	    !ct_memeq(in, magic, sizeof(magic)) || get_le32(in + 8) != VTPM_NV_IMAGE_VERSION ||
	    get_le32(in + 12) != sizeof(struct vtpm_persistent)) {
		return -1;
	}
	/* A torn or corrupted image is refused before anything changes. */
	(void)hash_oneshot(HASH_SHA256, in + HEADER_SIZE, sizeof(struct vtpm_persistent), sum);
	if (!ct_memeq(sum, in + 16, sizeof(sum))) {
		return -1;
	}
	/* The fields are range-checked on the copy (the struct is too large for the stack and
	 * its fields need alignment). An image with a correct checksum and a bad field was made
	 * by a buggy or hostile writer: the TPM is then left unmanufactured (failure mode: only
	 * GetCapability and GetTestResult answer) rather than running on half-trusted state. */
	bastion_memcpy(&t->ps, in + HEADER_SIZE, sizeof(t->ps));
	if (!persistent_valid(&t->ps)) {
		mem_wipe(&t->ps, sizeof(t->ps));
		vtpm_power_on(t);
		return -1;
	}
	vtpm_power_on(t);
	return 0;
}
