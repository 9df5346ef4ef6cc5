/*
 * Constant-time check of the ECC paths that handle secrets (crypto/ecc.c, ecdsa.c, ecdh.c):
 * the private scalar, the ECDSA nonce and the signed digest are marked undefined for
 * valgrind memcheck, which then reports any branch or memory index that depends on them.
 * Results (public keys, signatures, shared secrets, return codes) are declassified before
 * the test looks at them.
 *
 * The nonce-retry loop of ecdsa_sign (taken with probability < 2^-31, revealing only that a
 * candidate was rejected) branches on the attempt's result, so the signing test runs the two
 * loop bodies, ecdsa_rfc6979_init/next and ecdsa_sign_with_k, and declassifies the result code
 * itself, as ecdsa_sign would.
 */
#include "crypto/ecc.h"
#include "crypto/ecdh.h"
#include "crypto/ecdsa.h"

#include "tests/crypto/ct/ct.h"
#include "tests/ktest/ktest.h"

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++) {
		p[i] = (uint8_t)(seed + 37 * i + (i >> 3));
	}
}

static const struct ecc_curve *curve(int i)
{
	return ecc_curve_get(i == 0 ? ECC_P256 : ECC_P384);
}

/* Scalar multiplication of a public point by a secret scalar, and public-key derivation. */
KTEST(ct_check, ecc_scalar_mult)
{
	for (int ci = 0; ci < 2; ci++) {
		const struct ecc_curve *c = curve(ci);
		uint8_t d[ECC_MAX_BYTES], k[ECC_MAX_BYTES], px[ECC_MAX_BYTES], py[ECC_MAX_BYTES];
		uint8_t rx[ECC_MAX_BYTES], ry[ECC_MAX_BYTES];
		int rc;

		fill(d, sizeof(d), 0x11);
		d[0] = 0x3c;
		rc = ecc_public_from_private(c, d, px, py);  /* P: a public point */
		ASSERT_EQ(rc, 0);

		fill(k, sizeof(k), 0x5e);
		k[0] = 0x7f;
		CT_SECRET(k, sizeof(k));
		rc = ecc_point_mul(c, k, px, py, rx, ry);
		CT_PUBLIC(&rc, sizeof(rc));
		CT_PUBLIC(rx, sizeof(rx));
		CT_PUBLIC(ry, sizeof(ry));
		EXPECT_EQ(rc, 0);
		EXPECT_EQ(ecc_point_check(c, rx, ry), 0);

		CT_SECRET(k, sizeof(k));
		rc = ecc_public_from_private(c, k, rx, ry);
		CT_PUBLIC(&rc, sizeof(rc));
		CT_PUBLIC(rx, sizeof(rx));
		CT_PUBLIC(ry, sizeof(ry));
		EXPECT_EQ(rc, 0);
		EXPECT_EQ(ecc_point_check(c, rx, ry), 0);

		/* An out-of-range scalar takes the same path: its rejection is a mask. */
		for (size_t i = 0; i < c->bytes; i++) {
			k[i] = 0xff;
		}
		CT_SECRET(k, sizeof(k));
		rc = ecc_public_from_private(c, k, rx, ry);
		CT_PUBLIC(&rc, sizeof(rc));
		EXPECT_EQ(rc, ECC_ERR_SCALAR);
	}
}

/* ECDSA signing with a secret key, a secret nonce and a secret digest. */
KTEST(ct_check, ecdsa_sign)
{
	for (int ci = 0; ci < 2; ci++) {
		const struct ecc_curve *c = curve(ci);
		uint8_t d[ECC_MAX_BYTES], k[ECC_MAX_BYTES], dg[64], qx[ECC_MAX_BYTES];
		uint8_t qy[ECC_MAX_BYTES], r[ECC_MAX_BYTES], s[ECC_MAX_BYTES];
		struct ecdsa_rfc6979 st;
		int rc;

		fill(d, sizeof(d), 0x21);
		d[0] = 0x42;
		fill(dg, sizeof(dg), 0x99);
		ASSERT_EQ(ecc_public_from_private(c, d, qx, qy), 0);

		/* RFC 6979 nonce and one signing attempt. */
		CT_SECRET(d, sizeof(d));
		CT_SECRET(dg, sizeof(dg));
		rc = ecdsa_rfc6979_init(&st, c, HASH_SHA384, d, dg, 48);
		EXPECT_EQ(rc, 0);
		ecdsa_rfc6979_next(&st, k);
		/* A second candidate exercises step h.3. */
		ecdsa_rfc6979_next(&st, k);
		ecdsa_rfc6979_wipe(&st);
		rc = ecdsa_sign_with_k(c, d, k, dg, 48, r, s);
		CT_PUBLIC(&rc, sizeof(rc));
		CT_PUBLIC(r, sizeof(r));
		CT_PUBLIC(s, sizeof(s));
		CT_PUBLIC(dg, sizeof(dg));
		EXPECT_EQ(rc, 0);
		EXPECT_EQ(ecdsa_verify(c, qx, qy, dg, 48, r, s), 0);

		/* A caller-chosen secret nonce (the rng path's loop body). */
		fill(k, sizeof(k), 0x77);
		k[0] = 0x0f;
		CT_SECRET(d, sizeof(d));
		CT_SECRET(k, sizeof(k));
		CT_SECRET(dg, sizeof(dg));
		rc = ecdsa_sign_with_k(c, d, k, dg, 32, r, s);
		CT_PUBLIC(&rc, sizeof(rc));
		CT_PUBLIC(r, sizeof(r));
		CT_PUBLIC(s, sizeof(s));
		CT_PUBLIC(dg, sizeof(dg));
		EXPECT_EQ(rc, 0);
		EXPECT_EQ(ecdsa_verify(c, qx, qy, dg, 32, r, s), 0);
	}
}

/* ECDH with a secret private scalar and a public peer key. */
KTEST(ct_check, ecdh)
{
	for (int ci = 0; ci < 2; ci++) {
		const struct ecc_curve *c = curve(ci);
		uint8_t da[ECC_MAX_BYTES], db[ECC_MAX_BYTES], ax[ECC_MAX_BYTES], ay[ECC_MAX_BYTES];
		uint8_t bx[ECC_MAX_BYTES], by[ECC_MAX_BYTES], z1[ECC_MAX_BYTES], z2[ECC_MAX_BYTES];
		int rc1, rc2;

		fill(da, sizeof(da), 0x31);
		fill(db, sizeof(db), 0x45);
		da[0] = 0x55;
		db[0] = 0x66;
		ASSERT_EQ(ecc_public_from_private(c, da, ax, ay), 0);
		ASSERT_EQ(ecc_public_from_private(c, db, bx, by), 0);
		CT_SECRET(da, sizeof(da));
		CT_SECRET(db, sizeof(db));
		rc1 = ecdh_shared_secret(c, da, bx, by, z1);
		rc2 = ecdh_shared_secret(c, db, ax, ay, z2);
		CT_PUBLIC(&rc1, sizeof(rc1));
		CT_PUBLIC(&rc2, sizeof(rc2));
		CT_PUBLIC(z1, sizeof(z1));
		CT_PUBLIC(z2, sizeof(z2));
		EXPECT_EQ(rc1, 0);
		EXPECT_EQ(rc2, 0);
		EXPECT_MEMEQ(z1, z2, c->bytes);
	}
}
