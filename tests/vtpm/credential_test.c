/*
 * Host tests of TPM2_MakeCredential / TPM2_ActivateCredential (vtpm/cmd_credential.c).
 *
 * Oracle: the test makes a credential itself with OpenSSL (Part 1 §24: RSA-OAEP "IDENTITY"
 * seed, KDFa "STORAGE"/"INTEGRITY", AES-128-CFB, HMAC-SHA-256), exactly what
 * `tpm2_makecredential -T none` does, and the TPM must activate it; the TPM's own
 * MakeCredential output must activate too (RSA and ECC protectors). Every refusal is checked
 * with its exact code (wrong object, tampered blob or secret, roles, key types), and storms of
 * malformed bodies are followed by a working activation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include "tests/ktest/ktest.h"
#include "vtpm/commands.h"
#include "vtpm/rc.h"
#include "vtpm/tpm2.h"
#include "vtpm/vtpm.h"

#include "tests/vtpm/object_fixture.h"

#define RC_P(rc, n) ((rc) | 0x040u | ((uint32_t)(n) << 8))
#define RC_H(rc, n) ((rc) | ((uint32_t)(n) << 8))

/* An EK-like protector (restricted decrypt, AES-128-CFB) whose USER role takes a password
 * (userWithAuth SET: the TCG EK's PolicySecret(endorsement) is the other helper's). */
#define A_EK (A_FIXED_TPM | A_FIXED_PARENT | A_SDO | A_USER_WITH_AUTH | A_RESTRICTED | A_DECRYPT)
#define A_AK (A_FIXED_TPM | A_FIXED_PARENT | A_SDO | A_USER_WITH_AUTH | A_RESTRICTED | A_SIGN)

struct cred {
	uint8_t blob[200];
	uint16_t blob_len;
	uint8_t secret[300];
	uint16_t secret_len;
};

static uint32_t make_cred(struct fix *f, uint32_t h, const uint8_t *cred, uint16_t cl,
			  const uint8_t *name, uint16_t nl, struct cred *out)
{
	struct cb c;
	uint32_t rc;
	const uint8_t *p;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_MAKE_CREDENTIAL);
	cb_u32(&c, h);
	cb_tpm2b(&c, cred, cl);
	cb_tpm2b(&c, name, nl);
	rc = run(f, &c);
	if (rc == TPM_RC_SUCCESS) {
		p = f->rsp + 10;
		out->blob_len = get16(p);
		memcpy(out->blob, p + 2, out->blob_len);
		p += 2 + out->blob_len;
		out->secret_len = get16(p);
		memcpy(out->secret, p + 2, out->secret_len);
		if (p + 2 + out->secret_len != f->rsp + f->rsp_len) {
			return 0xDEAD;
		}
	}
	return rc;
}

static void cb_pw2(struct cb *c, const void *pw1, uint16_t l1, const void *pw2, uint16_t l2)
{
	cb_u32(c, 2u * (4 + 2 + 1 + 2) + l1 + l2);
	cb_u32(c, TPM_RS_PW);
	cb_u16(c, 0);
	cb_u8(c, 0);
	cb_tpm2b(c, pw1, l1);
	cb_u32(c, TPM_RS_PW);
	cb_u16(c, 0);
	cb_u8(c, 0);
	cb_tpm2b(c, pw2, l2);
}

static uint32_t activate(struct fix *f, uint32_t obj, uint32_t ek, const struct cred *cr,
			 uint8_t *out, size_t *ol)
{
	struct cb c;
	uint32_t rc;

	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_ACTIVATE_CREDENTIAL);
	cb_u32(&c, obj);
	cb_u32(&c, ek);
	cb_pw2(&c, NULL, 0, NULL, 0);
	cb_tpm2b(&c, cr->blob, cr->blob_len);
	cb_tpm2b(&c, cr->secret, cr->secret_len);
	rc = run(f, &c);
	if (rc == TPM_RC_SUCCESS) {
		*ol = get16(f->rsp + 14);
		memcpy(out, f->rsp + 16, *ol);
	}
	return rc;
}

/* KDFa with SHA-256 for any whole-octet size (Part 1 §11.4.10.2). */
static void kdfa(const uint8_t *key, size_t kl, const char *label, const uint8_t *u, size_t ul,
		 uint32_t bits, uint8_t *out)
{
	uint8_t msg[200], blk[32];
	size_t n, done = 0;
	unsigned int bl;

	for (uint32_t i = 1; done < bits / 8; i++) {
		n = 0;
		msg[n++] = (uint8_t)(i >> 24);
		msg[n++] = (uint8_t)(i >> 16);
		msg[n++] = (uint8_t)(i >> 8);
		msg[n++] = (uint8_t)i;
		memcpy(msg + n, label, strlen(label) + 1);
		n += strlen(label) + 1;
		if (ul != 0) {
			memcpy(msg + n, u, ul);
		}
		n += ul;
		msg[n++] = (uint8_t)(bits >> 24);
		msg[n++] = (uint8_t)(bits >> 16);
		msg[n++] = (uint8_t)(bits >> 8);
		msg[n++] = (uint8_t)bits;
		HMAC(EVP_sha256(), key, (int)kl, msg, n, blk, &bl);
		memcpy(out + done, blk, bits / 8 - done < 32 ? bits / 8 - done : 32);
		done += 32;
	}
}

/* MakeCredential computed by OpenSSL against an RSA EK (the offline path). */
static bool ossl_make_cred(const struct created *ek, const uint8_t *cred, uint16_t cl,
			   const uint8_t *name, size_t nl, struct cred *out)
{
	EVP_PKEY *pk = ossl_key(ek);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
	uint8_t seed[32], sym[16], hkey[32], enc[34], iv[16] = { 0 }, mac[32];
	size_t sl = sizeof(out->secret);
	unsigned int ml;
	int n = 0;
	EVP_CIPHER_CTX *x;

	for (size_t i = 0; i < sizeof(seed); i++) {
		seed[i] = (uint8_t)(0x77 ^ i);
	}
	if (ctx == NULL || EVP_PKEY_encrypt_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, OPENSSL_memdup("IDENTITY", 9), 9) != 1 ||
	    EVP_PKEY_encrypt(ctx, out->secret, &sl, seed, sizeof(seed)) != 1) {
		return false;
	}
	out->secret_len = (uint16_t)sl;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	kdfa(seed, 32, "STORAGE", name, nl, 128, sym);
	kdfa(seed, 32, "INTEGRITY", NULL, 0, 256, hkey);
	enc[0] = (uint8_t)(cl >> 8);
	enc[1] = (uint8_t)cl;
	memcpy(enc + 2, cred, cl);
	x = EVP_CIPHER_CTX_new();
	EVP_EncryptInit_ex(x, EVP_aes_128_cfb128(), NULL, sym, iv);
	EVP_EncryptUpdate(x, enc, &n, enc, 2 + cl);
	EVP_CIPHER_CTX_free(x);
	{
		uint8_t m2[200];

		memcpy(m2, enc, 2u + cl);
		memcpy(m2 + 2 + cl, name, nl);
		HMAC(EVP_sha256(), hkey, 32, m2, 2u + cl + nl, mac, &ml);
	}
	out->blob[0] = 0;
	out->blob[1] = 32;
	memcpy(out->blob + 2, mac, 32);
	memcpy(out->blob + 34, enc, 2u + cl);
	out->blob_len = (uint16_t)(34 + 2 + cl);
	return true;
}

KTEST(credential, rsa_ek_make_activate_and_offline)
{
	struct fix f;
	struct tmpl t;
	struct created ek, ak, other;
	struct cred cr, off;
	uint8_t secret[32], out[64];
	size_t ol;

	ASSERT_TRUE(fix_open(&f));
	for (size_t i = 0; i < sizeof(secret); i++) {
		secret[i] = (uint8_t)(0xC0 + i);
	}
	rsa_tmpl(&t, A_EK, true, TPM_ALG_NULL);
	ASSERT_EQ(create_primary(&f, TPM_RH_ENDORSEMENT, &t, NULL, 0, &ek), TPM_RC_SUCCESS);
	ecc_tmpl(&t, A_AK, false, TPM_ALG_ECDSA, TPM_ECC_NIST_P256);
	ASSERT_EQ(create_primary(&f, TPM_RH_ENDORSEMENT, &t, NULL, 0, &ak), TPM_RC_SUCCESS);
	/* Through the TPM. */
	ASSERT_EQ(make_cred(&f, ek.handle, secret, 32, ak.name, (uint16_t)ak.name_len, &cr),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(cr.secret_len, 256);
	EXPECT_EQ(cr.blob_len, 2 + 32 + 2 + 32);
	ASSERT_EQ(activate(&f, ak.handle, ek.handle, &cr, out, &ol), TPM_RC_SUCCESS);
	EXPECT_EQ(ol, 32u);
	EXPECT_MEMEQ(out, secret, 32);
	/* Offline, by OpenSSL (what tpm2_makecredential -T none computes). */
	ASSERT_TRUE(ossl_make_cred(&ek, secret, 20, ak.name, ak.name_len, &off));
	ASSERT_EQ(activate(&f, ak.handle, ek.handle, &off, out, &ol), TPM_RC_SUCCESS);
	EXPECT_EQ(ol, 20u);
	EXPECT_MEMEQ(out, secret, 20);
	/* An empty credential. */
	ASSERT_EQ(make_cred(&f, ek.handle, NULL, 0, ak.name, (uint16_t)ak.name_len, &cr),
		  TPM_RC_SUCCESS);
	ASSERT_EQ(activate(&f, ak.handle, ek.handle, &cr, out, &ol), TPM_RC_SUCCESS);
	EXPECT_EQ(ol, 0u);
	/* Activating for another object (another Name): integrity. */
	ecc_tmpl(&t, A_AK, false, TPM_ALG_ECDSA, TPM_ECC_NIST_P384);
	ASSERT_EQ(create_primary(&f, TPM_RH_ENDORSEMENT, &t, NULL, 0, &other), TPM_RC_SUCCESS);
	EXPECT_EQ(activate(&f, other.handle, ek.handle, &off, out, &ol), RC_P(TPM_RC_INTEGRITY, 1));
	EXPECT_EQ(f.malformed, 0);
}

KTEST(credential, ecc_ek_make_activate)
{
	struct fix f;
	struct tmpl t;
	struct created ek, ak;
	struct cred cr;
	uint8_t secret[32] = "an ECC-protected credential....", out[64];
	size_t ol;

	ASSERT_TRUE(fix_open(&f));
	ecc_tmpl(&t, A_EK, true, TPM_ALG_NULL, TPM_ECC_NIST_P256);
	ASSERT_EQ(create_primary(&f, TPM_RH_ENDORSEMENT, &t, NULL, 0, &ek), TPM_RC_SUCCESS);
	rsa_tmpl(&t, A_AK, false, TPM_ALG_RSASSA);
	ASSERT_EQ(create_primary(&f, TPM_RH_OWNER, &t, NULL, 0, &ak), TPM_RC_SUCCESS);
	ASSERT_EQ(make_cred(&f, ek.handle, secret, 32, ak.name, (uint16_t)ak.name_len, &cr),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(cr.secret_len, 2 + 32 + 2 + 32);
	ASSERT_EQ(activate(&f, ak.handle, ek.handle, &cr, out, &ol), TPM_RC_SUCCESS);
	EXPECT_EQ(ol, 32u);
	EXPECT_MEMEQ(out, secret, 32);
	/* The ephemeral point off the curve. */
	cr.secret[10] ^= 1;
	EXPECT_EQ(activate(&f, ak.handle, ek.handle, &cr, out, &ol), RC_P(TPM_RC_ECC_POINT, 2));
	/* A malformed point structure. */
	cr.secret_len = 40;
	EXPECT_EQ(activate(&f, ak.handle, ek.handle, &cr, out, &ol), RC_P(TPM_RC_VALUE, 2));
	EXPECT_EQ(f.malformed, 0);
}

KTEST(credential, errors_roles_and_storm)
{
	struct fix f;
	struct tmpl t;
	struct created ek, ak, sig, dec, pwek;
	struct cred cr, bad;
	uint8_t secret[80], out[64];
	size_t ol;
	struct cb c;

	ASSERT_TRUE(fix_open(&f));
	memset(secret, 0x42, sizeof(secret));
	rsa_tmpl(&t, A_EK, true, TPM_ALG_NULL);
	ASSERT_EQ(create_primary(&f, TPM_RH_ENDORSEMENT, &t, NULL, 0, &ek), TPM_RC_SUCCESS);
	ecc_tmpl(&t, A_AK, false, TPM_ALG_ECDSA, TPM_ECC_NIST_P256);
	ASSERT_EQ(create_primary(&f, TPM_RH_ENDORSEMENT, &t, NULL, 0, &ak), TPM_RC_SUCCESS);
	/* MakeCredential: credential above the digest size; a signing key as protector. */
	EXPECT_EQ(make_cred(&f, ek.handle, secret, 33, ak.name, (uint16_t)ak.name_len, &cr),
		  RC_P(TPM_RC_SIZE, 1));
	EXPECT_EQ(make_cred(&f, ek.handle, secret, 65, ak.name, (uint16_t)ak.name_len, &cr),
		  RC_P(TPM_RC_SIZE, 1));
	EXPECT_EQ(make_cred(&f, ak.handle, secret, 16, ak.name, (uint16_t)ak.name_len, &cr),
		  RC_H(TPM_RC_TYPE, 1));
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_MAKE_CREDENTIAL);
	cb_u32(&c, ek.handle);
	cb_tpm2b(&c, secret, 16);
	cb_tpm2b(&c, secret, 64);
	cb_u8(&c, 0);
	EXPECT_EQ(run(&f, &c), TPM_RC_SIZE);
	ASSERT_EQ(make_cred(&f, ek.handle, secret, 32, ak.name, (uint16_t)ak.name_len, &cr),
		  TPM_RC_SUCCESS);
	/* Tampering: the blob (integrity), its integrity size, the secret. */
	for (size_t i = 0; i < cr.blob_len; i += 7) {
		bad = cr;
		bad.blob[i] ^= 0x10;
		EXPECT_NE(activate(&f, ak.handle, ek.handle, &bad, out, &ol), TPM_RC_SUCCESS);
	}
	bad = cr;
	bad.blob[40] ^= 1;
	EXPECT_EQ(activate(&f, ak.handle, ek.handle, &bad, out, &ol), RC_P(TPM_RC_INTEGRITY, 1));
	bad = cr;
	bad.blob[1] = 200;
	EXPECT_EQ(activate(&f, ak.handle, ek.handle, &bad, out, &ol),
		  RC_P(TPM_RC_INSUFFICIENT, 1));
	bad = cr;
	bad.blob_len = 1;
	EXPECT_EQ(activate(&f, ak.handle, ek.handle, &bad, out, &ol),
		  RC_P(TPM_RC_INSUFFICIENT, 1));
	bad = cr;
	bad.blob[1] = 20;
	EXPECT_EQ(activate(&f, ak.handle, ek.handle, &bad, out, &ol), RC_P(TPM_RC_INTEGRITY, 1));
	bad = cr;
	bad.blob_len = 133;
	EXPECT_EQ(activate(&f, ak.handle, ek.handle, &bad, out, &ol), RC_P(TPM_RC_SIZE, 1));
	bad = cr;
	bad.secret[100] ^= 1;
	EXPECT_EQ(activate(&f, ak.handle, ek.handle, &bad, out, &ol), RC_P(TPM_RC_VALUE, 2));
	bad = cr;
	bad.secret_len = 255;
	EXPECT_EQ(activate(&f, ak.handle, ek.handle, &bad, out, &ol), RC_P(TPM_RC_SIZE, 2));
	bad = cr;
	bad.secret_len = 257;
	EXPECT_EQ(activate(&f, ak.handle, ek.handle, &bad, out, &ol), RC_P(TPM_RC_SIZE, 2));
	/* keyHandle must be an asymmetric restricted decryption key: a signing key and an
	 * unrestricted decryption key are TPM_RC_TYPE + handle 2. */
	EXPECT_EQ(activate(&f, ak.handle, ak.handle, &cr, out, &ol), RC_H(TPM_RC_TYPE, 2));
	rsa_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_SDO | A_USER_WITH_AUTH | A_DECRYPT, false,
		 TPM_ALG_NULL);
	ASSERT_EQ(create_primary(&f, TPM_RH_NULL, &t, NULL, 0, &dec), TPM_RC_SUCCESS);
	EXPECT_EQ(activate(&f, ak.handle, dec.handle, &cr, out, &ol), RC_H(TPM_RC_TYPE, 2));
	EXPECT_EQ(make_cred(&f, dec.handle, secret, 16, ak.name, (uint16_t)ak.name_len, &bad),
		  RC_H(TPM_RC_TYPE, 1));
	ASSERT_EQ(ob_flush(&f, dec.handle), TPM_RC_SUCCESS);
	/* Roles: an EK whose USER role needs a policy (userWithAuth CLEAR) refuses a password;
	 * so does an object whose ADMIN role needs one (adminWithPolicy SET). */
	rsa_tmpl(&t, (A_EK & ~A_USER_WITH_AUTH) | (1u << 7), true, TPM_ALG_NULL);
	ASSERT_EQ(create_primary(&f, TPM_RH_ENDORSEMENT, &t, NULL, 0, &pwek), TPM_RC_SUCCESS);
	ASSERT_EQ(make_cred(&f, pwek.handle, secret, 32, ak.name, (uint16_t)ak.name_len, &bad),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(activate(&f, ak.handle, pwek.handle, &bad, out, &ol), TPM_RC_AUTH_UNAVAILABLE);
	EXPECT_EQ(activate(&f, pwek.handle, ek.handle, &cr, out, &ol), TPM_RC_AUTH_UNAVAILABLE);
	ASSERT_EQ(ob_flush(&f, pwek.handle), TPM_RC_SUCCESS);
	/* Storm of malformed ActivateCredential bodies, then a good one. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_ACTIVATE_CREDENTIAL);
	cb_u32(&c, ak.handle);
	cb_u32(&c, ek.handle);
	cb_pw2(&c, NULL, 0, NULL, 0);
	cb_tpm2b(&c, cr.blob, cr.blob_len);
	cb_tpm2b(&c, cr.secret, cr.secret_len);
	cb_end(&c);
	srand(11);
	for (size_t n = 0; n < c.n; n += 5) {
		uint8_t b[600];

		memcpy(b, c.b, n);
		if (n >= 6) {
			b[2] = (uint8_t)(n >> 24);
			b[3] = (uint8_t)(n >> 16);
			b[4] = (uint8_t)(n >> 8);
			b[5] = (uint8_t)n;
		}
		EXPECT_NE(run_raw(&f, b, n), TPM_RC_SUCCESS);
	}
	for (int i = 0; i < 150; i++) {
		uint8_t b[600];

		memcpy(b, c.b, c.n);
		b[10 + rand() % (int)(c.n - 10)] ^= (uint8_t)(1 + rand() % 255);
		(void)run_raw(&f, b, c.n);
	}
	ASSERT_EQ(activate(&f, ak.handle, ek.handle, &cr, out, &ol), TPM_RC_SUCCESS);
	EXPECT_EQ(ol, 32u);
	EXPECT_MEMEQ(out, secret, 32);
	(void)sig;
	EXPECT_EQ(f.malformed, 0);
}
