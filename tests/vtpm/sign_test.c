/*
 * Host tests of signing and attestation (vtpm/cmd_sign.c: TPM2_Sign, VerifySignature, Quote,
 * Certify) and of the keys they use from outside (TPM2_LoadExternal, keygen.c's RSA
 * completion from the prime p) and of salted sessions (cmd_session.c with keygen.c's
 * vtpm_key_secret), built into build/host/vtpm_tests. Helpers: object_fixture.h.
 *
 * Oracles: OpenSSL verifies every signature (RSASSA, RSA-PSS, ECDSA over TPMS_ATTEST too)
 * with the public key taken from the TPM's outPublic, computes HMAC "signatures", encrypts
 * RSA-OAEP salts and does the ECDH + KDFe of ECC salts; a salted session must then produce
 * response HMACs OpenSSL accepts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "tests/ktest/ktest.h"
#include "vtpm/commands.h"
#include "vtpm/rc.h"
#include "vtpm/tpm2.h"
#include "vtpm/vtpm.h"

#include "tests/vtpm/object_fixture.h"


KTEST(sign, sign_verified_by_openssl)
{
	static const struct {
		uint16_t type, scheme;
	} cases[] = { { TPM_ALG_RSA, TPM_ALG_RSASSA }, { TPM_ALG_RSA, TPM_ALG_RSAPSS },
		      { TPM_ALG_ECC, TPM_ALG_ECDSA } };
	struct fix f;
	struct created srk, key;
	struct tmpl t;
	uint8_t dig[32];
	uint32_t h;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(make_srk(&f, &srk), TPM_RC_SUCCESS);
	SHA256((const uint8_t *)"message", 7, dig);
	for (unsigned int i = 0; i < 3; i++) {
		EVP_PKEY *pkey;
		uint32_t attrs = A_FIXED_TPM | A_FIXED_PARENT | A_SDO | A_USER_WITH_AUTH | A_SIGN;
		struct cb c;

		if (cases[i].type == TPM_ALG_RSA) {
			rsa_tmpl(&t, attrs, false, TPM_ALG_NULL);
		} else {
			ecc_tmpl(&t, attrs, false, TPM_ALG_NULL, TPM_ECC_NIST_P256);
		}
		ASSERT_EQ(ob_create(&f, srk.handle, &t, NULL, 0, NULL, 0, &key), TPM_RC_SUCCESS);
		ASSERT_EQ(ob_load(&f, srk.handle, &key, &h), TPM_RC_SUCCESS);
		/* key scheme NULL and inScheme NULL: TPM_RC_SCHEME + P2 */
		EXPECT_EQ(ob_sign(&f, h, dig, 32, TPM_ALG_NULL, NULL, 0), rc_param(TPM_RC_SCHEME, 2));
		EXPECT_EQ(ob_sign(&f, h, dig, 31, cases[i].scheme, NULL, 0), rc_param(TPM_RC_SIZE, 1));
		EXPECT_EQ(ob_sign(&f, h, dig, 32, cases[i].type == TPM_ALG_RSA ? TPM_ALG_ECDSA
									  : TPM_ALG_RSASSA,
			       NULL, 0),
			  rc_param(TPM_RC_SCHEME, 2));
		ASSERT_EQ(ob_sign(&f, h, dig, 32, cases[i].scheme, NULL, 0), TPM_RC_SUCCESS);
		ASSERT_EQ(get16(f.rsp + 14), cases[i].scheme);
		pkey = ossl_key(&key);
		if (cases[i].type == TPM_ALG_RSA) {
			EXPECT_EQ(get16(f.rsp + 18), 256);
			EXPECT_TRUE(ossl_verify(pkey, cases[i].scheme == TPM_ALG_RSAPSS, dig,
						f.rsp + 20, 256));
		} else {
			uint8_t der[80];
			size_t n = ecdsa_der(f.rsp + 18, der);

			EXPECT_TRUE(ossl_verify(pkey, 0, dig, der, n));
		}
		/* VerifySignature accepts it (owner hierarchy: a real ticket) and refuses a
		 * changed digest. */
		{
			uint8_t sig[600];
			size_t sl = get32(f.rsp + 10);

			memcpy(sig, f.rsp + 14, sl);
			cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_VERIFY_SIGNATURE);
			cb_u32(&c, h);
			cb_tpm2b(&c, dig, 32);
			cb_bytes(&c, sig, sl);
			EXPECT_EQ(run(&f, &c), TPM_RC_SUCCESS);
			EXPECT_EQ(get16(f.rsp + 10), 0x8022);
			EXPECT_EQ(get32(f.rsp + 12), TPM_RH_OWNER);
			EXPECT_EQ(get16(f.rsp + 16), 32);
			dig[0] ^= 1;
			cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_VERIFY_SIGNATURE);
			cb_u32(&c, h);
			cb_tpm2b(&c, dig, 32);
			cb_bytes(&c, sig, sl);
			EXPECT_EQ(run(&f, &c), rc_param(TPM_RC_SIGNATURE, 2));
			dig[0] ^= 1;
		}
		EVP_PKEY_free(pkey);
		EXPECT_EQ(ob_flush(&f, h), TPM_RC_SUCCESS);
	}
	/* Not a signing key: the SRK. */
	EXPECT_EQ(ob_sign(&f, srk.handle, dig, 32, TPM_ALG_ECDSA, NULL, 0), rc_handle(TPM_RC_KEY, 1));
	EXPECT_EQ(f.malformed, 0);
}

KTEST(sign, restricted_key_needs_hashcheck_ticket)
{
	struct fix f;
	struct created srk, key;
	struct tmpl t;
	uint8_t dig[32], ticket[64];
	size_t tl;
	uint32_t h;
	struct cb c;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(make_srk(&f, &srk), TPM_RC_SUCCESS);
	ecc_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_SDO | A_USER_WITH_AUTH | A_SIGN |
			     A_RESTRICTED,
		 false, TPM_ALG_ECDSA, TPM_ECC_NIST_P256);
	ASSERT_EQ(ob_create(&f, srk.handle, &t, NULL, 0, NULL, 0, &key), TPM_RC_SUCCESS);
	ASSERT_EQ(ob_load(&f, srk.handle, &key, &h), TPM_RC_SUCCESS);
	/* TPM2_Hash in the owner hierarchy gives the ticket. */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_HASH);
	cb_tpm2b(&c, "data", 4);
	cb_u16(&c, TPM_ALG_SHA256);
	cb_u32(&c, TPM_RH_OWNER);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	memcpy(dig, f.rsp + 12, 32);
	tl = f.rsp_len - 44;
	memcpy(ticket, f.rsp + 44, tl);
	EXPECT_EQ(ob_sign(&f, h, dig, 32, TPM_ALG_NULL, NULL, 0), rc_param(TPM_RC_TICKET, 3));
	ticket[tl - 1] ^= 1;
	EXPECT_EQ(ob_sign(&f, h, dig, 32, TPM_ALG_NULL, ticket, tl), rc_param(TPM_RC_TICKET, 3));
	ticket[tl - 1] ^= 1;
	dig[0] ^= 1;
	EXPECT_EQ(ob_sign(&f, h, dig, 32, TPM_ALG_NULL, ticket, tl), rc_param(TPM_RC_TICKET, 3));
	dig[0] ^= 1;
	EXPECT_EQ(ob_sign(&f, h, dig, 32, TPM_ALG_NULL, ticket, tl), TPM_RC_SUCCESS);
	/* another scheme than the key's */
	EXPECT_EQ(ob_sign(&f, h, dig, 32, TPM_ALG_RSASSA, ticket, tl), rc_param(TPM_RC_SCHEME, 2));
	/* a ticket with a bad tag */
	ticket[0] = 0x80;
	ticket[1] = 0x21;
	EXPECT_EQ(ob_sign(&f, h, dig, 32, TPM_ALG_NULL, ticket, tl), rc_param(TPM_RC_TAG, 3));
	EXPECT_EQ(f.malformed, 0);
}

KTEST(sign, load_external)
{
	struct fix f;
	struct created key;
	struct tmpl t;
	struct cb c;
	uint32_t h;
	uint8_t dig[32];

	ASSERT_TRUE(fix_open(&f));
	/* A public-only ECC key (from a TPM primary) in the owner hierarchy verifies. */
	{
		struct created srk;

		ecc_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_SDO | A_USER_WITH_AUTH | A_SIGN,
			 false, TPM_ALG_ECDSA, TPM_ECC_NIST_P256);
		ASSERT_EQ(create_primary(&f, TPM_RH_OWNER, &t, NULL, 0, &srk), TPM_RC_SUCCESS);
		key = srk;
		SHA256((const uint8_t *)"x", 1, dig);
		ASSERT_EQ(ob_sign(&f, srk.handle, dig, 32, TPM_ALG_NULL, NULL, 0), TPM_RC_SUCCESS);
		EXPECT_EQ(ob_flush(&f, srk.handle), TPM_RC_SUCCESS);
	}
	{
		uint8_t sig[200];
		size_t sl = get32(f.rsp + 10);

		memcpy(sig, f.rsp + 14, sl);
		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_LOAD_EXTERNAL);
		cb_u16(&c, 0);
		cb_tpm2b(&c, key.pub, (uint16_t)key.pub_len);
		cb_u32(&c, TPM_RH_OWNER);
		ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
		h = get32(f.rsp + 10);
		EXPECT_EQ(get16(f.rsp + 14), 34);
		EXPECT_MEMEQ(f.rsp + 16, key.name, 34);
		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_VERIFY_SIGNATURE);
		cb_u32(&c, h);
		cb_tpm2b(&c, dig, 32);
		cb_bytes(&c, sig, sl);
		EXPECT_EQ(run(&f, &c), TPM_RC_SUCCESS);
		/* no sensitive: cannot sign; cannot be persisted */
		EXPECT_EQ(ob_sign(&f, h, dig, 32, TPM_ALG_NULL, NULL, 0), rc_handle(TPM_RC_KEY, 1));
		EXPECT_EQ(ob_evict(&f, TPM_RH_OWNER, h, 0x81000001u), rc_handle(TPM_RC_ATTRIBUTES, 2));
		EXPECT_EQ(ob_flush(&f, h), TPM_RC_SUCCESS);
	}
	/* An HMAC key with its sensitive: NULL hierarchy only, binding checked. */
	{
		uint8_t pub[200], sens[200], seed[32] = { 7 }, k[32] = { 9 }, u[32], sk[64];
		size_t pn = 0, sn = 0;

		memcpy(sk, seed, 32);
		memcpy(sk + 32, k, 32);
		SHA256(sk, 64, u);
#define P16(b, n, v) (b[n++] = (uint8_t)((v) >> 8), b[n++] = (uint8_t)(v))
		P16(pub, pn, TPM_ALG_KEYEDHASH);
		P16(pub, pn, TPM_ALG_SHA256);
		P16(pub, pn, (A_USER_WITH_AUTH | A_SIGN) >> 16);
		P16(pub, pn, (A_USER_WITH_AUTH | A_SIGN) & 0xFFFFu);
		P16(pub, pn, 0);
		P16(pub, pn, TPM_ALG_HMAC);
		P16(pub, pn, TPM_ALG_SHA256);
		P16(pub, pn, 32);
		memcpy(pub + pn, u, 32);
		pn += 32;
		P16(sens, sn, TPM_ALG_KEYEDHASH);
		P16(sens, sn, 0);
		P16(sens, sn, 32);
		memcpy(sens + sn, seed, 32);
		sn += 32;
		P16(sens, sn, 32);
		memcpy(sens + sn, k, 32);
		sn += 32;
		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_LOAD_EXTERNAL);
		cb_tpm2b(&c, sens, (uint16_t)sn);
		cb_tpm2b(&c, pub, (uint16_t)pn);
		cb_u32(&c, TPM_RH_OWNER);
		EXPECT_EQ(run(&f, &c), rc_param(TPM_RC_HIERARCHY, 3));
		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_LOAD_EXTERNAL);
		cb_tpm2b(&c, sens, (uint16_t)sn);
		cb_tpm2b(&c, pub, (uint16_t)pn);
		cb_u32(&c, TPM_RH_NULL);
		ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
		h = get32(f.rsp + 10);
		/* HMAC "signature" = HMAC-SHA-256(k, digest) */
		ASSERT_EQ(ob_sign(&f, h, dig, 32, TPM_ALG_NULL, NULL, 0), TPM_RC_SUCCESS);
		{
			uint8_t want[32];
			unsigned int wl = 32;

			HMAC(EVP_sha256(), k, 32, dig, 32, want, &wl);
			EXPECT_EQ(get16(f.rsp + 14), TPM_ALG_HMAC);
			EXPECT_MEMEQ(f.rsp + 18, want, 32);
		}
		EXPECT_EQ(ob_flush(&f, h), TPM_RC_SUCCESS);
		sens[sn - 1] ^= 1; /* no longer the key whose digest is unique */
		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_LOAD_EXTERNAL);
		cb_tpm2b(&c, sens, (uint16_t)sn);
		cb_tpm2b(&c, pub, (uint16_t)pn);
		cb_u32(&c, TPM_RH_NULL);
		EXPECT_EQ(run(&f, &c), rc_param(TPM_RC_BINDING, 2));
	}
	EXPECT_EQ(f.malformed, 0);
}

KTEST(sign, quote_and_certify)
{
	struct fix f;
	struct created srk, ak;
	struct tmpl t;
	struct cb c;
	uint32_t h;
	EVP_PKEY *pkey;
	uint8_t attest[600], dig[32], der[80], pcrs[32 * 2];
	size_t al;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(make_srk(&f, &srk), TPM_RC_SUCCESS);
	/* a restricted ECDSA attestation key in the endorsement hierarchy (no obfuscation) */
	ecc_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_SDO | A_USER_WITH_AUTH | A_SIGN |
			     A_RESTRICTED,
		 false, TPM_ALG_ECDSA, TPM_ECC_NIST_P256);
	ASSERT_EQ(create_primary(&f, TPM_RH_ENDORSEMENT, &t, NULL, 0, &ak), TPM_RC_SUCCESS);
	h = ak.handle;
	pkey = ossl_key(&ak);
	/* Quote PCR 0 and 16 of the SHA-256 bank with qualifyingData "nonce". */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_QUOTE);
	cb_u32(&c, h);
	ob_cb_pw(&c, NULL, 0);
	cb_tpm2b(&c, "nonce", 5);
	cb_u16(&c, TPM_ALG_NULL);
	cb_u32(&c, 1);
	cb_u16(&c, TPM_ALG_SHA256);
	cb_u8(&c, 3);
	cb_u8(&c, 0x01);
	cb_u8(&c, 0x00);
	cb_u8(&c, 0x01);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	al = get16(f.rsp + 14);
	memcpy(attest, f.rsp + 16, al);
	EXPECT_EQ(get32(attest), 0xFF544347u);
	EXPECT_EQ(get16(attest + 4), 0x8018);
	EXPECT_EQ(get16(attest + 6), 34); /* qualifiedSigner */
	EXPECT_EQ(get16(attest + 42), 5);
	EXPECT_MEMEQ(attest + 44, "nonce", 5);
	/* clockInfo 17, firmwareVersion 8, then TPML_PCR_SELECTION (10) and pcrDigest */
	memset(pcrs, 0, sizeof(pcrs)); /* PCR 0 and 16 are zero after Startup(CLEAR) */
	SHA256(pcrs, 64, dig);
	EXPECT_EQ(get16(attest + 49 + 25 + 10), 32);
	EXPECT_MEMEQ(attest + 49 + 25 + 12, dig, 32);
	EXPECT_EQ(al, 49u + 25 + 12 + 32);
	SHA256(attest, al, dig);
	{
		size_t n = ecdsa_der(f.rsp + 16 + al + 4, der);

		EXPECT_EQ(get16(f.rsp + 16 + al), TPM_ALG_ECDSA);
		EXPECT_TRUE(ossl_verify(pkey, 0, dig, der, n));
	}
	/* Certify the SRK with the AK. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_CERTIFY);
	cb_u32(&c, srk.handle);
	cb_u32(&c, h);
	cb_u32(&c, 18);
	for (int i = 0; i < 2; i++) {
		cb_u32(&c, TPM_RS_PW);
		cb_u16(&c, 0);
		cb_u8(&c, 0);
		cb_u16(&c, 0);
	}
	cb_tpm2b(&c, "q", 1);
	cb_u16(&c, TPM_ALG_NULL);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	al = get16(f.rsp + 14);
	memcpy(attest, f.rsp + 16, al);
	EXPECT_EQ(get16(attest + 4), 0x8017);
	EXPECT_EQ(get16(attest + 45 + 25), 34);
	EXPECT_MEMEQ(attest + 45 + 25 + 2, srk.name, 34);
	SHA256(attest, al, dig);
	{
		size_t n = ecdsa_der(f.rsp + 16 + al + 4, der);

		EXPECT_TRUE(ossl_verify(pkey, 0, dig, der, n));
	}
	/* errors: signing with the SRK (not a signing key), another scheme */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_QUOTE);
	cb_u32(&c, srk.handle);
	ob_cb_pw(&c, NULL, 0);
	cb_u16(&c, 0);
	cb_u16(&c, TPM_ALG_NULL);
	cb_u32(&c, 0);
	EXPECT_EQ(run(&f, &c), rc_handle(TPM_RC_KEY, 1));
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_QUOTE);
	cb_u32(&c, h);
	ob_cb_pw(&c, NULL, 0);
	cb_u16(&c, 0);
	cb_u16(&c, TPM_ALG_RSASSA);
	cb_u16(&c, TPM_ALG_SHA256);
	cb_u32(&c, 0);
	EXPECT_EQ(run(&f, &c), rc_param(TPM_RC_SCHEME, 2));
	EVP_PKEY_free(pkey);
	EXPECT_EQ(f.malformed, 0);
}

KTEST(sign, salted_sessions_rsa_and_ecc)
{
	struct fix f;
	struct created rk, ek;
	struct tmpl t;
	struct sess s;
	uint8_t salt[32], enc[300], dig[32] = { 5 };
	size_t el = sizeof(enc);
	bool ok;
	EVP_PKEY *pkey;
	EVP_PKEY_CTX *ctx;

	ASSERT_TRUE(fix_open(&f));
	for (int i = 0; i < 32; i++) {
		salt[i] = (uint8_t)(i * 3 + 1);
	}
	/* RSA: OAEP-SHA-256 with the label "SECRET\0" */
	rsa_tmpl(&t, A_SRK, true, TPM_ALG_NULL);
	ASSERT_EQ(create_primary(&f, TPM_RH_NULL, &t, NULL, 0, &rk), TPM_RC_SUCCESS);
	pkey = ossl_key(&rk);
	ctx = EVP_PKEY_CTX_new(pkey, NULL);
	ASSERT_EQ(EVP_PKEY_encrypt_init(ctx), 1);
	EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING);
	EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256());
	EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256());
	EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, OPENSSL_memdup("SECRET", 7), 7);
	ASSERT_EQ(EVP_PKEY_encrypt(ctx, enc, &el, salt, 32), 1);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	ASSERT_EQ(start_salted(&f, rk.handle, enc, el, salt, &s), TPM_RC_SUCCESS);
	EXPECT_EQ(hmac_extend(&f, &s, 16, dig, 1, 0, &ok), TPM_RC_SUCCESS);
	EXPECT_TRUE(ok);
	/* a wrong ciphertext, an empty salt, a key that is not a decrypt key */
	enc[10] ^= 1;
	EXPECT_EQ(start_salted(&f, rk.handle, enc, el, salt, &s), rc_param(TPM_RC_VALUE, 2));
	EXPECT_EQ(start_salted(&f, rk.handle, enc, 0, salt, &s), rc_param(TPM_RC_VALUE, 2));
	EXPECT_EQ(ob_flush(&f, rk.handle), TPM_RC_SUCCESS);
	/* ECC: Z = x(d * Qe), salt = KDFe(SHA-256, Z, "SECRET", Qe.x, Qs.x) */
	ecc_tmpl(&t, A_SRK, true, TPM_ALG_NULL, TPM_ECC_NIST_P256);
	ASSERT_EQ(create_primary(&f, TPM_RH_NULL, &t, NULL, 0, &ek), TPM_RC_SUCCESS);
	{
		EVP_PKEY *eph = EVP_EC_gen("P-256");
		EVP_PKEY *peer = ossl_key(&ek);
		EVP_PKEY_CTX *dctx = EVP_PKEY_CTX_new(eph, NULL);
		uint8_t z[32], pt[65], msg[200], ecc_salt[32];
		size_t zl = 32, ptl = 0, n = 0;

		ASSERT_EQ(EVP_PKEY_derive_init(dctx), 1);
		ASSERT_EQ(EVP_PKEY_derive_set_peer(dctx, peer), 1);
		ASSERT_EQ(EVP_PKEY_derive(dctx, z, &zl), 1);
		EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &ptl);
		ASSERT_EQ(ptl, 65u);
		msg[n++] = 0;
		msg[n++] = 0;
		msg[n++] = 0;
		msg[n++] = 1;
		memcpy(msg + n, z, 32);
		n += 32;
		memcpy(msg + n, "SECRET", 7);
		n += 7;
		memcpy(msg + n, pt + 1, 32);
		n += 32;
		memcpy(msg + n, ek.pub + ek.pub_len - 66, 32);
		n += 32;
		SHA256(msg, n, ecc_salt);
		el = 0;
		enc[el++] = 0;
		enc[el++] = 32;
		memcpy(enc + el, pt + 1, 32);
		el += 32;
		enc[el++] = 0;
		enc[el++] = 32;
		memcpy(enc + el, pt + 33, 32);
		el += 32;
		ASSERT_EQ(start_salted(&f, ek.handle, enc, el, ecc_salt, &s), TPM_RC_SUCCESS);
		EXPECT_EQ(hmac_extend(&f, &s, 16, dig, 1, 0, &ok), TPM_RC_SUCCESS);
		EXPECT_TRUE(ok);
		/* a point not on the curve */
		enc[el - 1] ^= 1;
		EXPECT_EQ(start_salted(&f, ek.handle, enc, el, ecc_salt, &s),
			  rc_param(TPM_RC_ECC_POINT, 2));
		EVP_PKEY_CTX_free(dctx);
		EVP_PKEY_free(eph);
		EVP_PKEY_free(peer);
	}
	EXPECT_EQ(f.malformed, 0);
}

KTEST(sign, load_external_rsa_from_prime)
{
	struct fix f;
	struct created k;
	struct tmpl t;
	struct cb c;
	EVP_PKEY *pkey = EVP_RSA_gen(2048);
	BIGNUM *n = NULL, *p = NULL;
	uint8_t sens[200], dig[32];
	size_t sn = 0;
	uint32_t h;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_NOT_NULL(pkey);
	EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n);
	EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1, &p);
	rsa_tmpl(&t, A_USER_WITH_AUTH | A_SIGN | A_DECRYPT, false, TPM_ALG_NULL);
	t.n -= 2;
	t_u16(&t, 256);
	BN_bn2binpad(n, t.b + t.n, 256);
	t.n += 256;
	k.pub_len = t.n;
	memcpy(k.pub, t.b, t.n);
	sens[sn++] = 0;
	sens[sn++] = (uint8_t)TPM_ALG_RSA;
	sens[sn++] = 0;
	sens[sn++] = 0; /* authValue */
	sens[sn++] = 0;
	sens[sn++] = 0; /* seedValue */
	sens[sn++] = 0;
	sens[sn++] = 128;
	BN_bn2binpad(p, sens + sn, 128);
	sn += 128;
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_LOAD_EXTERNAL);
	cb_tpm2b(&c, sens, (uint16_t)sn);
	cb_tpm2b(&c, t.b, (uint16_t)t.n);
	cb_u32(&c, TPM_RH_NULL);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	h = get32(f.rsp + 10);
	SHA256((const uint8_t *)"ext", 3, dig);
	ASSERT_EQ(ob_sign(&f, h, dig, 32, TPM_ALG_RSASSA, NULL, 0), TPM_RC_SUCCESS);
	EXPECT_TRUE(ossl_verify(pkey, 0, dig, f.rsp + 20, 256));
	EXPECT_EQ(ob_flush(&f, h), TPM_RC_SUCCESS);
	/* a prime that does not divide n */
	sens[sn - 1] ^= 2;
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_LOAD_EXTERNAL);
	cb_tpm2b(&c, sens, (uint16_t)sn);
	cb_tpm2b(&c, t.b, (uint16_t)t.n);
	cb_u32(&c, TPM_RH_NULL);
	EXPECT_EQ(run(&f, &c), rc_param(TPM_RC_BINDING, 1));
	BN_free(n);
	BN_free(p);
	EVP_PKEY_free(pkey);
	EXPECT_EQ(f.malformed, 0);
}
