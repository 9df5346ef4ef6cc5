/* The native platform's software attestation report: see native_report.h. */
#include "kernel/native_report.h"

#include "arch/x86/rng_hw.h"
#include "crypto/drbg.h"
#include "crypto/ecc.h"
#include "crypto/ecdsa.h"
#include "crypto/hash.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/string.h"

#define P384_BYTES 48u
#define OFF_VERSION 0x000u
#define OFF_VMPL 0x030u
#define OFF_SIG_ALGO 0x034u
#define OFF_REPORT_DATA 0x050u
#define OFF_REPORT_ID 0x140u
#define OFF_CHIP_ID 0x1A0u
#define SIGNED_BYTES 0x2A0u
#define OFF_SIG_R 0x2A0u
#define OFF_SIG_S 0x2E8u

static const char chip_id[] = "BASTION-NATIVE-NOT-HARDWARE-ROOTED";

static struct {
	bool ready;
	uint8_t d[P384_BYTES];
	uint8_t report_id[32];
} nr;

static void put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

static void hex(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void native_report_init(void)
{
	static const uint8_t pers[] = "bastion native attestation key";
	const struct ecc_curve *c = ecc_curve_get(ECC_P384);
	struct hmac_drbg drbg;
	struct crypto_rng rng;
	uint8_t qx[P384_BYTES], qy[P384_BYTES];
	char hx[2 * P384_BYTES + 1], hy[2 * P384_BYTES + 1];

	panic_register_secret(&nr, sizeof(nr));
	if (hmac_drbg_instantiate_seeded(&drbg, rng_hw_seed, pers, sizeof(pers) - 1) != 0) {
		panic("attest: no entropy for the native report key");
	}
	rng = hmac_drbg_rng(&drbg);
	if (ecc_keygen(c, &rng, nr.d, qx, qy) != 0 ||
	    crypto_rng_bytes(&rng, nr.report_id, sizeof(nr.report_id)) != 0) {
		hmac_drbg_uninstantiate(&drbg);
		panic("attest: native report key generation failed");
	}
	hmac_drbg_uninstantiate(&drbg);
	nr.ready = true;
	hex(hx, qx, sizeof(qx));
	hex(hy, qy, sizeof(qy));
	LOG_INFO("attest: native report key P-384 x=%s y=%s (not hardware-rooted)", hx, hy);
}

/* A big-endian scalar into a 72-byte little-endian signature field (the SNP layout). */
static void put_sig_component(uint8_t *field, const uint8_t *be)
{
	bastion_memset(field, 0, 72);
	for (unsigned int i = 0; i < P384_BYTES; i++) {
		field[i] = be[P384_BYTES - 1 - i];
	}
}

int native_report_make(const uint8_t report_data[64], uint8_t *report)
{
	const struct ecc_curve *c = ecc_curve_get(ECC_P384);
	uint8_t digest[48];
	uint8_t r[P384_BYTES], s[P384_BYTES];

	if (!nr.ready) {
		return -1;
	}
	bastion_memset(report, 0, NATIVE_REPORT_SIZE);
	put_le32(report + OFF_VERSION, 2);
	put_le32(report + OFF_VMPL, 0);
	put_le32(report + OFF_SIG_ALGO, 1); /* ECDSA P-384 with SHA-384 */
	bastion_memcpy(report + OFF_REPORT_DATA, report_data, 64);
	bastion_memcpy(report + OFF_REPORT_ID, nr.report_id, sizeof(nr.report_id));
	bastion_memcpy(report + OFF_CHIP_ID, chip_id, sizeof(chip_id) - 1);
	(void)hash_oneshot(HASH_SHA384, report, SIGNED_BYTES, digest);
	if (ecdsa_sign(c, HASH_SHA384, nr.d, digest, sizeof(digest), r, s) != 0) {
		bastion_memset(report, 0, NATIVE_REPORT_SIZE);
		return -1;
	}
	put_sig_component(report + OFF_SIG_R, r);
	put_sig_component(report + OFF_SIG_S, s);
	return 0;
}
