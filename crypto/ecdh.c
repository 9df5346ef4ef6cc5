/*
 * ECDH (SP 800-56A §5.7.1.2) on crypto/ecc.h (crypto/ecdh.h).
 */
#include "crypto/ecdh.h"

#include "kernel/string.h"

int ecdh_shared_secret(const struct ecc_curve *c, const uint8_t *d, const uint8_t *qx,
		       const uint8_t *qy, uint8_t *z)
{
	uint8_t y[ECC_MAX_BYTES];
	int rc;

	if (c == NULL) {
		return ECC_ERR_PARAM;
	}
	/* §5.6.2.3.3 full validation of the peer's public key (public data: may branch). */
	rc = ecc_point_check(c, qx, qy);
	if (rc != 0) {
		bastion_memset(z, 0, c->bytes);
		return rc;
	}
	/* Without branching on d, ecc_point_mul checks d's range and that d * Q is not the
	 * identity (§5.7.1.2 step 2), returning ECC_ERR_SCALAR with z zeroed otherwise. */
	rc = ecc_point_mul(c, d, qx, qy, z, y);
	mem_wipe(y, sizeof(y));
	return rc;
}

int ecdh_keygen(const struct ecc_curve *c, const struct crypto_rng *rng, uint8_t *d,
		uint8_t *qx, uint8_t *qy)
{
	return ecc_keygen(c, rng, d, qx, qy);
}

int ecdh_ephemeral(const struct ecc_curve *c, const struct crypto_rng *rng, const uint8_t *qx,
		   const uint8_t *qy, uint8_t *qex, uint8_t *qey, uint8_t *z)
{
	uint8_t de[ECC_MAX_BYTES];
	int rc;

	if (c == NULL) {
		return ECC_ERR_PARAM;
	}
	/* Validate the peer's key before spending randomness on it. */
	rc = ecc_point_check(c, qx, qy);
	if (rc == 0) {
		rc = ecc_keygen(c, rng, de, qex, qey);
	}
	if (rc == 0) {
		rc = ecdh_shared_secret(c, de, qx, qy, z);
	}
	if (rc != 0) {
		bastion_memset(qex, 0, c->bytes);
		bastion_memset(qey, 0, c->bytes);
		bastion_memset(z, 0, c->bytes);
	}
	mem_wipe(de, sizeof(de));
	return rc;
}
