/*
 * Host tests of the key-use commands (vtpm/cmd_crypt.c): RSA_Encrypt/RSA_Decrypt,
 * EncryptDecrypt(2), HMAC, ECDH_KeyGen/ECDH_ZGen.
 *
 * Oracles: OpenSSL encrypts (OAEP with label, PKCS#1 v1.5, raw) with the public key from
 * outPublic and the TPM must decrypt; raw RSA encryption is deterministic and compared byte
 * for byte; AES in every mode and HMAC are computed by OpenSSL with the key the test imported;
 * ECDH_ZGen is compared with OpenSSL's ECDH. Each error path is checked with its exact
 * response code, and malformed storms are followed by a working command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
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

/* The response parameters of a command with sessions (after parameterSize). */
static const uint8_t *params_s(struct fix *f)
{
	return f->rsp + 14;
}

static uint32_t rsa_enc(struct fix *f, uint32_t h, const uint8_t *m, uint16_t ml,
			uint16_t scheme, uint16_t hash, const char *label, size_t ll,
			uint8_t *out)
{
	struct cb c;
	uint32_t rc;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_RSA_ENCRYPT);
	cb_u32(&c, h);
	cb_tpm2b(&c, m, ml);
	cb_u16(&c, scheme);
	if (scheme == TPM_ALG_OAEP) {
		cb_u16(&c, hash);
	}
	cb_tpm2b(&c, label, (uint16_t)ll);
	rc = run(f, &c);
	if (rc == TPM_RC_SUCCESS && out != NULL) {
		memcpy(out, f->rsp + 12, get16(f->rsp + 10));
	}
	return rc;
}

static uint32_t rsa_dec(struct fix *f, uint32_t h, const uint8_t *ct, uint16_t cl,
			uint16_t scheme, uint16_t hash, const char *label, size_t ll,
			uint8_t *out, size_t *ol)
{
	struct cb c;
	uint32_t rc;

	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_RSA_DECRYPT);
	cb_u32(&c, h);
	ob_cb_pw(&c, NULL, 0);
	cb_tpm2b(&c, ct, cl);
	cb_u16(&c, scheme);
	if (scheme == TPM_ALG_OAEP) {
		cb_u16(&c, hash);
	}
	cb_tpm2b(&c, label, (uint16_t)ll);
	rc = run(f, &c);
	if (rc == TPM_RC_SUCCESS && out != NULL) {
		*ol = get16(params_s(f));
		memcpy(out, params_s(f) + 2, *ol);
	}
	return rc;
}

/* OpenSSL public-key encryption. pad: RSA_NO_PADDING, RSA_PKCS1_PADDING, RSA_PKCS1_OAEP_PADDING
 * (SHA-256, label as given). */
static size_t ossl_rsa_enc(EVP_PKEY *pk, int pad, const EVP_MD *md, const char *label,
			   size_t ll, const uint8_t *m, size_t ml, uint8_t *out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
	size_t ol = 256;

	if (ctx == NULL || EVP_PKEY_encrypt_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, pad) != 1) {
		return 0;
	}
	if (pad == RSA_PKCS1_OAEP_PADDING) {
		EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md);
		EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md);
		if (ll != 0) {
			void *l = OPENSSL_memdup(label, ll);

			EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, l, (int)ll);
		}
	}
	if (EVP_PKEY_encrypt(ctx, out, &ol, m, ml) != 1) {
		ol = 0;
	}
	EVP_PKEY_CTX_free(ctx);
	return ol;
}

#define A_DEC_KEY (A_FIXED_TPM | A_FIXED_PARENT | A_SDO | A_USER_WITH_AUTH | A_DECRYPT)

KTEST(crypt, rsa_encrypt_decrypt_vs_openssl)
{
	struct fix f;
	struct tmpl t;
	struct created k;
	EVP_PKEY *pk;
	uint8_t m[256], ct[256], ct2[256], out[256];
	size_t ol;

	ASSERT_TRUE(fix_open(&f));
	rsa_tmpl(&t, A_DEC_KEY, false, TPM_ALG_NULL);
	ASSERT_EQ(create_primary(&f, TPM_RH_NULL, &t, NULL, 0, &k), TPM_RC_SUCCESS);
	pk = ossl_key(&k);
	ASSERT_TRUE(pk != NULL);
	for (size_t i = 0; i < sizeof(m); i++) {
		m[i] = (uint8_t)(i * 7 + 1);
	}
	m[0] = 0x12; /* below the modulus (top bit set) */
	/* Raw RSA is deterministic: the TPM's RSAEP equals OpenSSL's. */
	ASSERT_EQ(rsa_enc(&f, k.handle, m, 256, TPM_ALG_NULL, 0, NULL, 0, ct), TPM_RC_SUCCESS);
	ASSERT_EQ(ossl_rsa_enc(pk, RSA_NO_PADDING, NULL, NULL, 0, m, 256, ct2), 256u);
	EXPECT_MEMEQ(ct, ct2, 256);
	ASSERT_EQ(rsa_dec(&f, k.handle, ct, 256, TPM_ALG_NULL, 0, NULL, 0, out, &ol),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(ol, 256u);
	EXPECT_MEMEQ(out, m, 256);
	/* A short raw message is zero-extended on the left. */
	ASSERT_EQ(rsa_enc(&f, k.handle, m + 200, 56, TPM_ALG_NULL, 0, NULL, 0, ct),
		  TPM_RC_SUCCESS);
	memset(ct2, 0, 200);
	memcpy(ct2 + 200, m + 200, 56);
	ASSERT_EQ(ossl_rsa_enc(pk, RSA_NO_PADDING, NULL, NULL, 0, ct2, 256, out), 256u);
	EXPECT_MEMEQ(ct, out, 256);
	/* OAEP SHA-256 with a label, encrypted by OpenSSL. */
	ASSERT_EQ(ossl_rsa_enc(pk, RSA_PKCS1_OAEP_PADDING, EVP_sha256(), "my label", 9, m, 100,
			       ct),
		  256u);
	ASSERT_EQ(rsa_dec(&f, k.handle, ct, 256, TPM_ALG_OAEP, TPM_ALG_SHA256, "my label", 9,
			  out, &ol),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(ol, 100u);
	EXPECT_MEMEQ(out, m, 100);
	/* A different label does not decrypt. */
	EXPECT_EQ(rsa_dec(&f, k.handle, ct, 256, TPM_ALG_OAEP, TPM_ALG_SHA256, "other", 6, out,
			  &ol),
		  RC_P(TPM_RC_VALUE, 1));
	/* OAEP SHA-1 without a label. */
	ASSERT_EQ(ossl_rsa_enc(pk, RSA_PKCS1_OAEP_PADDING, EVP_sha1(), NULL, 0, m, 20, ct), 256u);
	ASSERT_EQ(rsa_dec(&f, k.handle, ct, 256, TPM_ALG_OAEP, TPM_ALG_SHA1, NULL, 0, out, &ol),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(ol, 20u);
	EXPECT_MEMEQ(out, m, 20);
	/* RSAES-PKCS1-v1_5 from OpenSSL, the maximum message. */
	ASSERT_EQ(ossl_rsa_enc(pk, RSA_PKCS1_PADDING, NULL, NULL, 0, m, 245, ct), 256u);
	ASSERT_EQ(rsa_dec(&f, k.handle, ct, 256, TPM_ALG_RSAES, 0, NULL, 0, out, &ol),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(ol, 245u);
	EXPECT_MEMEQ(out, m, 245);
	/* TPM encrypt -> TPM decrypt, OAEP SHA-384 (the longest message: 256 - 2*48 - 2). */
	ASSERT_EQ(rsa_enc(&f, k.handle, m, 158, TPM_ALG_OAEP, TPM_ALG_SHA384, "x", 2, ct),
		  TPM_RC_SUCCESS);
	ASSERT_EQ(rsa_dec(&f, k.handle, ct, 256, TPM_ALG_OAEP, TPM_ALG_SHA384, "x", 2, out, &ol),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(ol, 158u);
	EXPECT_MEMEQ(out, m, 158);
	EXPECT_EQ(rsa_enc(&f, k.handle, m, 159, TPM_ALG_OAEP, TPM_ALG_SHA384, NULL, 0, ct),
		  RC_P(TPM_RC_VALUE, 1));
	EXPECT_EQ(rsa_enc(&f, k.handle, m, 246, TPM_ALG_RSAES, 0, NULL, 0, ct),
		  RC_P(TPM_RC_VALUE, 1));
	/* Two RSAES/OAEP encryptions of the same message differ (random padding). */
	ASSERT_EQ(rsa_enc(&f, k.handle, m, 16, TPM_ALG_RSAES, 0, NULL, 0, ct), TPM_RC_SUCCESS);
	ASSERT_EQ(rsa_enc(&f, k.handle, m, 16, TPM_ALG_RSAES, 0, NULL, 0, ct2), TPM_RC_SUCCESS);
	EXPECT_TRUE(memcmp(ct, ct2, 256) != 0);
	ASSERT_EQ(rsa_dec(&f, k.handle, ct2, 256, TPM_ALG_RSAES, 0, NULL, 0, out, &ol),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(ol, 16u);
	EXPECT_MEMEQ(out, m, 16);
	EVP_PKEY_free(pk);
	EXPECT_EQ(f.malformed, 0);
}

KTEST(crypt, rsa_errors_and_storm)
{
	struct fix f;
	struct tmpl t;
	struct created k, oaep, srk, sig, ecc;
	uint8_t m[300], ct[256], out[256];
	size_t ol;
	struct cb c;

	ASSERT_TRUE(fix_open(&f));
	memset(m, 0x5A, sizeof(m));
	rsa_tmpl(&t, A_DEC_KEY, false, TPM_ALG_OAEP);
	ASSERT_EQ(create_primary(&f, TPM_RH_NULL, &t, NULL, 0, &oaep), TPM_RC_SUCCESS);
	/* The key's scheme wins: NULL takes it, the same is fine, another is TPM_RC_SCHEME. */
	ASSERT_EQ(rsa_enc(&f, oaep.handle, m, 32, TPM_ALG_NULL, 0, NULL, 0, ct), TPM_RC_SUCCESS);
	ASSERT_EQ(rsa_dec(&f, oaep.handle, ct, 256, TPM_ALG_OAEP, TPM_ALG_SHA256, NULL, 0, out,
			  &ol),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(ol, 32u);
	EXPECT_EQ(rsa_enc(&f, oaep.handle, m, 32, TPM_ALG_RSAES, 0, NULL, 0, ct),
		  RC_P(TPM_RC_SCHEME, 2));
	EXPECT_EQ(rsa_dec(&f, oaep.handle, ct, 256, TPM_ALG_OAEP, TPM_ALG_SHA1, NULL, 0, out, &ol),
		  RC_P(TPM_RC_SCHEME, 2));
	/* Unmarshalling: scheme selector, OAEP hash, label terminator, sizes. */
	EXPECT_EQ(rsa_enc(&f, oaep.handle, m, 32, TPM_ALG_RSASSA, 0, NULL, 0, ct),
		  RC_P(TPM_RC_VALUE, 2));
	EXPECT_EQ(rsa_enc(&f, oaep.handle, m, 32, TPM_ALG_OAEP, 0x0099, NULL, 0, ct),
		  RC_P(TPM_RC_HASH, 2));
	EXPECT_EQ(rsa_enc(&f, oaep.handle, m, 32, TPM_ALG_OAEP, TPM_ALG_NULL, NULL, 0, ct),
		  RC_P(TPM_RC_HASH, 2));
	EXPECT_EQ(rsa_enc(&f, oaep.handle, m, 32, TPM_ALG_NULL, 0, "abc", 3, ct),
		  RC_P(TPM_RC_VALUE, 3));
	EXPECT_EQ(rsa_dec(&f, oaep.handle, ct, 255, TPM_ALG_NULL, 0, NULL, 0, out, &ol),
		  RC_P(TPM_RC_SIZE, 1));
	memset(ct, 0x11, sizeof(ct));
	EXPECT_EQ(rsa_dec(&f, oaep.handle, ct, 256, TPM_ALG_NULL, 0, NULL, 0, out, &ol),
		  RC_P(TPM_RC_VALUE, 1));
	memset(ct, 0xFF, sizeof(ct)); /* above the modulus */
	EXPECT_EQ(rsa_dec(&f, oaep.handle, ct, 256, TPM_ALG_NULL, 0, NULL, 0, out, &ol),
		  RC_P(TPM_RC_VALUE, 1));
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_RSA_ENCRYPT);
	cb_u32(&c, oaep.handle);
	cb_tpm2b(&c, m, 257);
	EXPECT_EQ(run(&f, &c), RC_P(TPM_RC_SIZE, 1));
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_RSA_ENCRYPT);
	cb_u32(&c, oaep.handle);
	cb_tpm2b(&c, m, 1);
	cb_u16(&c, TPM_ALG_NULL);
	cb_tpm2b(&c, NULL, 0);
	cb_u8(&c, 0);
	EXPECT_EQ(run(&f, &c), TPM_RC_SIZE);
	/* Raw RSA with a value above the modulus. */
	rsa_tmpl(&t, A_DEC_KEY, false, TPM_ALG_NULL);
	ASSERT_EQ(create_primary(&f, TPM_RH_NULL, &t, NULL, 0, &k), TPM_RC_SUCCESS);
	EXPECT_EQ(rsa_enc(&f, k.handle, ct, 256, TPM_ALG_NULL, 0, NULL, 0, out),
		  RC_P(TPM_RC_VALUE, 1));
	ASSERT_EQ(ob_flush(&f, k.handle), TPM_RC_SUCCESS);
	/* Keys: a restricted decryption key encrypts but does not decrypt; a signing key and
	 * an ECC key do neither. */
	rsa_tmpl(&t, A_SRK, true, TPM_ALG_NULL);
	ASSERT_EQ(create_primary(&f, TPM_RH_NULL, &t, NULL, 0, &srk), TPM_RC_SUCCESS);
	ASSERT_EQ(rsa_enc(&f, srk.handle, m, 32, TPM_ALG_OAEP, TPM_ALG_SHA256, NULL, 0, ct),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(rsa_dec(&f, srk.handle, ct, 256, TPM_ALG_OAEP, TPM_ALG_SHA256, NULL, 0, out,
			  &ol),
		  RC_H(TPM_RC_ATTRIBUTES, 1));
	ASSERT_EQ(ob_flush(&f, srk.handle), TPM_RC_SUCCESS);
	rsa_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_SDO | A_USER_WITH_AUTH | A_SIGN, false,
		 TPM_ALG_NULL);
	ASSERT_EQ(create_primary(&f, TPM_RH_NULL, &t, NULL, 0, &sig), TPM_RC_SUCCESS);
	EXPECT_EQ(rsa_enc(&f, sig.handle, m, 32, TPM_ALG_RSAES, 0, NULL, 0, ct),
		  RC_H(TPM_RC_ATTRIBUTES, 1));
	EXPECT_EQ(rsa_dec(&f, sig.handle, ct, 256, TPM_ALG_RSAES, 0, NULL, 0, out, &ol),
		  RC_H(TPM_RC_ATTRIBUTES, 1));
	ASSERT_EQ(ob_flush(&f, sig.handle), TPM_RC_SUCCESS);
	ecc_tmpl(&t, A_DEC_KEY, false, TPM_ALG_NULL, TPM_ECC_NIST_P256);
	ASSERT_EQ(create_primary(&f, TPM_RH_NULL, &t, NULL, 0, &ecc), TPM_RC_SUCCESS);
	EXPECT_EQ(rsa_enc(&f, ecc.handle, m, 32, TPM_ALG_RSAES, 0, NULL, 0, ct),
		  RC_H(TPM_RC_KEY, 1));
	EXPECT_EQ(rsa_dec(&f, ecc.handle, ct, 256, TPM_ALG_RSAES, 0, NULL, 0, out, &ol),
		  RC_H(TPM_RC_KEY, 1));
	/* Wrong password. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_RSA_DECRYPT);
	cb_u32(&c, oaep.handle);
	ob_cb_pw(&c, "bad", 3);
	cb_tpm2b(&c, ct, 256);
	cb_u16(&c, TPM_ALG_NULL);
	cb_tpm2b(&c, NULL, 0);
	EXPECT_NE(run(&f, &c), TPM_RC_SUCCESS);
	/* Storm: every truncation and random corruptions of a valid RSA_Decrypt. */
	ASSERT_EQ(rsa_enc(&f, oaep.handle, m, 32, TPM_ALG_NULL, 0, NULL, 0, ct), TPM_RC_SUCCESS);
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_RSA_DECRYPT);
	cb_u32(&c, oaep.handle);
	ob_cb_pw(&c, NULL, 0);
	cb_tpm2b(&c, ct, 256);
	cb_u16(&c, TPM_ALG_OAEP);
	cb_u16(&c, TPM_ALG_SHA256);
	cb_tpm2b(&c, NULL, 0);
	cb_end(&c);
	srand(42);
	for (size_t n = 0; n < c.n; n += 3) {
		uint8_t b[400];

		memcpy(b, c.b, n);
		if (n >= 6) {
			b[2] = (uint8_t)(n >> 24);
			b[3] = (uint8_t)(n >> 16);
			b[4] = (uint8_t)(n >> 8);
			b[5] = (uint8_t)n;
		}
		EXPECT_NE(run_raw(&f, b, n), TPM_RC_SUCCESS);
	}
	for (int i = 0; i < 200; i++) {
		uint8_t b[400];

		memcpy(b, c.b, c.n);
		b[10 + rand() % (int)(c.n - 10)] ^= (uint8_t)(1 + rand() % 255);
		(void)run_raw(&f, b, c.n);
	}
	ASSERT_EQ(rsa_dec(&f, oaep.handle, ct, 256, TPM_ALG_NULL, 0, NULL, 0, out, &ol),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(ol, 32u);
	EXPECT_MEMEQ(out, m, 32);
	EXPECT_EQ(f.malformed, 0);
}

/* ---- symmetric -------------------------------------------------------------------------- */

static void sym_tmpl(struct tmpl *t, uint32_t attrs, uint16_t bits, uint16_t mode)
{
	t->n = 0;
	t_u16(t, TPM_ALG_SYMCIPHER);
	t_u16(t, TPM_ALG_SHA256);
	t_u32(t, attrs);
	t_u16(t, 0);
	t_u16(t, TPM_ALG_AES);
	t_u16(t, bits);
	t_u16(t, mode);
	t_u16(t, 0);
}

/* EncryptDecrypt (v2: EncryptDecrypt2) with the output in out and ivOut in iv_out. */
static uint32_t encdec(struct fix *f, bool v2, uint32_t h, bool dec, uint16_t mode,
		       const uint8_t *iv, uint16_t ivl, const uint8_t *in, uint16_t len,
		       uint8_t *out, uint8_t *iv_out)
{
	struct cb c;
	uint32_t rc;

	cb_start(&c, TPM_ST_SESSIONS, v2 ? TPM_CC_ENCRYPT_DECRYPT2 : TPM_CC_ENCRYPT_DECRYPT);
	cb_u32(&c, h);
	ob_cb_pw(&c, NULL, 0);
	if (v2) {
		cb_tpm2b(&c, in, len);
	}
	cb_u8(&c, dec ? 1 : 0);
	cb_u16(&c, mode);
	cb_tpm2b(&c, iv, ivl);
	if (!v2) {
		cb_tpm2b(&c, in, len);
	}
	rc = run(f, &c);
	if (rc == TPM_RC_SUCCESS) {
		const uint8_t *p = params_s(f);

		if (get16(p) != len) {
			return 0xDEAD;
		}
		if (out != NULL) {
			memcpy(out, p + 2, len);
		}
		if (iv_out != NULL) {
			memcpy(iv_out, p + 4 + len, get16(p + 2 + len));
		}
	}
	return rc;
}

static const EVP_CIPHER *ossl_cipher(uint16_t mode, unsigned int bits)
{
	bool b = bits == 256;

	switch (mode) {
	case TPM_ALG_CFB:
		return b ? EVP_aes_256_cfb128() : EVP_aes_128_cfb128();
	case TPM_ALG_CBC:
		return b ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
	case TPM_ALG_CTR:
		return b ? EVP_aes_256_ctr() : EVP_aes_128_ctr();
	case TPM_ALG_OFB:
		return b ? EVP_aes_256_ofb() : EVP_aes_128_ofb();
	default:
		return b ? EVP_aes_256_ecb() : EVP_aes_128_ecb();
	}
}

static void ossl_sym(uint16_t mode, unsigned int bits, bool enc, const uint8_t *key,
		     const uint8_t *iv, const uint8_t *in, int len, uint8_t *out)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n = 0, n2 = 0;

	EVP_CipherInit_ex(x, ossl_cipher(mode, bits), NULL, key, iv, enc ? 1 : 0);
	EVP_CIPHER_CTX_set_padding(x, 0);
	EVP_CipherUpdate(x, out, &n, in, len);
	EVP_CipherFinal_ex(x, out + n, &n2);
	EVP_CIPHER_CTX_free(x);
}

/* An AES key of known value under the SRK (sensitive.data = the key, sensitiveDataOrigin
 * clear). */
static uint32_t sym_key(struct fix *f, uint32_t srk, uint32_t attrs, uint16_t bits,
			uint16_t mode, const uint8_t *key, uint32_t *h)
{
	struct tmpl t;
	struct created k;
	uint32_t rc;

	sym_tmpl(&t, attrs, bits, mode);
	rc = ob_create(f, srk, &t, NULL, 0, key, (uint16_t)(bits / 8), &k);
	return rc != TPM_RC_SUCCESS ? rc : ob_load(f, srk, &k, h);
}

#define A_SYM_DEC (A_FIXED_TPM | A_FIXED_PARENT | A_USER_WITH_AUTH | A_DECRYPT)

KTEST(crypt, encrypt_decrypt_vs_openssl)
{
	static const uint16_t modes[] = { TPM_ALG_CFB, TPM_ALG_CBC, TPM_ALG_CTR, TPM_ALG_OFB,
					  TPM_ALG_ECB };
	struct fix f;
	struct created srk;
	uint8_t key[32], iv[16], pt[1024], ct[1024], out[1024], ivo[16], want_iv[16];
	uint32_t h, he;
	bool can_encrypt;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(make_srk(&f, &srk), TPM_RC_SUCCESS);
	for (size_t i = 0; i < sizeof(pt); i++) {
		pt[i] = (uint8_t)(i * 31 + 3);
	}
	for (unsigned int bits = 128; bits <= 256; bits += 128) {
		for (size_t i = 0; i < 32; i++) {
			key[i] = (uint8_t)(bits + i);
		}
		for (size_t i = 0; i < 16; i++) {
			iv[i] = (uint8_t)(0xA0 + i);
		}
		ASSERT_EQ(sym_key(&f, srk.handle, A_SYM_DEC, (uint16_t)bits, TPM_ALG_NULL, key, &h),
			  TPM_RC_SUCCESS);
		/* An encryption key: decrypt | sign (Part 2 §8.3.3.1: sign = encrypt for a
		 * symmetric key). */
		can_encrypt = sym_key(&f, srk.handle, A_SYM_DEC | A_SIGN, (uint16_t)bits,
				      TPM_ALG_NULL, key, &he) == TPM_RC_SUCCESS;
		if (!can_encrypt) {
			printf("[crypt] note: SYMCIPHER with sign (encrypt) refused at creation; "
			       "encryption untested\n");
		}
		for (size_t mi = 0; mi < sizeof(modes) / sizeof(modes[0]); mi++) {
			uint16_t mode = modes[mi];
			uint16_t ivl = mode == TPM_ALG_ECB ? 0 : 16;
			/* A length that is not a block multiple for the stream modes. */
			uint16_t len = (mode == TPM_ALG_CBC || mode == TPM_ALG_ECB) ? 1024 : 1001;

			ossl_sym(mode, bits, true, key, iv, pt, len, ct);
			for (int v2 = 0; v2 < 2; v2++) {
				memset(out, 0, sizeof(out));
				ASSERT_EQ(encdec(&f, v2, h, true, mode, iv, ivl, ct, len, out, ivo),
					  TPM_RC_SUCCESS);
				EXPECT_MEMEQ(out, pt, len);
				if (mode == TPM_ALG_CBC) {
					EXPECT_MEMEQ(ivo, ct + len - 16, 16);
				}
				EXPECT_EQ(encdec(&f, v2, h, false, mode, iv, ivl, pt, len, out,
						 NULL),
					  RC_H(TPM_RC_ATTRIBUTES, 1));
				if (!can_encrypt) {
					continue;
				}
				ASSERT_EQ(encdec(&f, v2, he, false, mode, iv, ivl, pt, len, out,
						 ivo),
					  TPM_RC_SUCCESS);
				EXPECT_MEMEQ(out, ct, len);
			}
			/* Chaining with ivOut: two calls give the bytes of one (CBC, CFB, CTR,
			 * OFB; the first part a block multiple except for CFB, whose ivOut
			 * carries a partial block). */
			if (mode != TPM_ALG_ECB) {
				uint16_t first = mode == TPM_ALG_CFB ? 200 : 208;

				ASSERT_EQ(encdec(&f, true, h, true, mode, iv, 16, ct, first, out,
						 ivo),
					  TPM_RC_SUCCESS);
				if (mode == TPM_ALG_CFB) {
					/* partial block: continuing needs the ciphertext
					 * register, which the TPM cannot resume mid-block. */
					continue;
				}
				memcpy(want_iv, ivo, 16);
				ASSERT_EQ(encdec(&f, true, h, true, mode, want_iv, 16, ct + first,
						 (uint16_t)(len - first), out + first, NULL),
					  TPM_RC_SUCCESS);
				EXPECT_MEMEQ(out, pt, len);
			}
		}
		ASSERT_EQ(ob_flush(&f, h), TPM_RC_SUCCESS);
		if (can_encrypt) {
			ASSERT_EQ(ob_flush(&f, he), TPM_RC_SUCCESS);
		}
	}
	EXPECT_EQ(f.malformed, 0);
}

KTEST(crypt, encrypt_decrypt_errors_and_storm)
{
	struct fix f;
	struct created srk, rsa;
	struct tmpl t;
	uint8_t key[16] = { 1, 2, 3 }, iv[16] = { 0 }, d[64] = { 0 }, out[64];
	uint32_t h, hcfb;
	struct cb c;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(make_srk(&f, &srk), TPM_RC_SUCCESS);
	ASSERT_EQ(sym_key(&f, srk.handle, A_SYM_DEC, 128, TPM_ALG_NULL, key, &h), TPM_RC_SUCCESS);
	ASSERT_EQ(sym_key(&f, srk.handle, A_SYM_DEC, 128, TPM_ALG_CFB, key, &hcfb),
		  TPM_RC_SUCCESS);
	/* EncryptDecrypt: decrypt P1, mode P2, ivIn P3, inData P4; EncryptDecrypt2: inData P1,
	 * decrypt P2, mode P3, ivIn P4. */
	EXPECT_EQ(encdec(&f, false, h, true, TPM_ALG_NULL, iv, 16, d, 16, out, NULL),
		  RC_P(TPM_RC_MODE, 2));
	EXPECT_EQ(encdec(&f, true, h, true, TPM_ALG_NULL, iv, 16, d, 16, out, NULL),
		  RC_P(TPM_RC_MODE, 3));
	EXPECT_EQ(encdec(&f, false, h, true, 0x0099, iv, 16, d, 16, out, NULL),
		  RC_P(TPM_RC_MODE, 2));
	EXPECT_EQ(encdec(&f, false, h, true, TPM_ALG_CFB, iv, 8, d, 16, out, NULL),
		  RC_P(TPM_RC_SIZE, 3));
	EXPECT_EQ(encdec(&f, true, h, true, TPM_ALG_CFB, iv, 0, d, 16, out, NULL),
		  RC_P(TPM_RC_SIZE, 4));
	EXPECT_EQ(encdec(&f, false, h, true, TPM_ALG_ECB, iv, 16, d, 16, out, NULL),
		  RC_P(TPM_RC_SIZE, 3));
	EXPECT_EQ(encdec(&f, false, h, true, TPM_ALG_CBC, iv, 16, d, 15, out, NULL),
		  RC_P(TPM_RC_SIZE, 4));
	EXPECT_EQ(encdec(&f, true, h, true, TPM_ALG_ECB, NULL, 0, d, 17, out, NULL),
		  RC_P(TPM_RC_SIZE, 1));
	/* The key's mode wins; NULL takes it. */
	EXPECT_EQ(encdec(&f, false, hcfb, true, TPM_ALG_CBC, iv, 16, d, 16, out, NULL),
		  RC_P(TPM_RC_MODE, 2));
	EXPECT_EQ(encdec(&f, false, hcfb, true, TPM_ALG_NULL, iv, 16, d, 5, out, NULL),
		  TPM_RC_SUCCESS);
	/* Empty data is fine. */
	EXPECT_EQ(encdec(&f, false, h, true, TPM_ALG_CTR, iv, 16, d, 0, out, NULL),
		  TPM_RC_SUCCESS);
	/* decrypt is a TPMI_YES_NO. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_ENCRYPT_DECRYPT);
	cb_u32(&c, h);
	ob_cb_pw(&c, NULL, 0);
	cb_u8(&c, 2);
	cb_u16(&c, TPM_ALG_CFB);
	cb_tpm2b(&c, iv, 16);
	cb_tpm2b(&c, d, 16);
	EXPECT_EQ(run(&f, &c), RC_P(TPM_RC_VALUE, 1));
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_ENCRYPT_DECRYPT);
	cb_u32(&c, h);
	ob_cb_pw(&c, NULL, 0);
	cb_u8(&c, 1);
	cb_u16(&c, TPM_ALG_CFB);
	cb_tpm2b(&c, d, 17);
	EXPECT_EQ(run(&f, &c), RC_P(TPM_RC_SIZE, 3));
	/* Not a symmetric key. */
	ASSERT_EQ(ob_flush(&f, hcfb), TPM_RC_SUCCESS);
	rsa_tmpl(&t, A_DEC_KEY, false, TPM_ALG_NULL);
	ASSERT_EQ(create_primary(&f, TPM_RH_NULL, &t, NULL, 0, &rsa), TPM_RC_SUCCESS);
	EXPECT_EQ(encdec(&f, false, rsa.handle, true, TPM_ALG_CFB, iv, 16, d, 16, out, NULL),
		  RC_H(TPM_RC_KEY, 1));
	/* Storm on EncryptDecrypt2, then the key still works. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_ENCRYPT_DECRYPT2);
	cb_u32(&c, h);
	ob_cb_pw(&c, NULL, 0);
	cb_tpm2b(&c, d, 48);
	cb_u8(&c, 1);
	cb_u16(&c, TPM_ALG_CBC);
	cb_tpm2b(&c, iv, 16);
	cb_end(&c);
	srand(7);
	for (size_t n = 0; n < c.n; n++) {
		uint8_t b[200];

		memcpy(b, c.b, n);
		if (n >= 6) {
			b[2] = (uint8_t)(n >> 24);
			b[3] = (uint8_t)(n >> 16);
			b[4] = (uint8_t)(n >> 8);
			b[5] = (uint8_t)n;
		}
		EXPECT_NE(run_raw(&f, b, n), TPM_RC_SUCCESS);
	}
	for (int i = 0; i < 500; i++) {
		uint8_t b[200];

		memcpy(b, c.b, c.n);
		b[10 + rand() % (int)(c.n - 10)] ^= (uint8_t)(1 + rand() % 255);
		(void)run_raw(&f, b, c.n);
	}
	{
		uint8_t ct[48], want[48];

		ossl_sym(TPM_ALG_CBC, 128, true, key, iv, d, 48, ct);
		ASSERT_EQ(encdec(&f, true, h, true, TPM_ALG_CBC, iv, 16, ct, 48, want, NULL),
			  TPM_RC_SUCCESS);
		EXPECT_MEMEQ(want, d, 48);
	}
	EXPECT_EQ(f.malformed, 0);
}

/* ---- HMAC --------------------------------------------------------------------------------- */

static void hmac_tmpl(struct tmpl *t, uint32_t attrs, uint16_t scheme_hash)
{
	t->n = 0;
	t_u16(t, TPM_ALG_KEYEDHASH);
	t_u16(t, TPM_ALG_SHA256);
	t_u32(t, attrs);
	t_u16(t, 0);
	if (scheme_hash != TPM_ALG_NULL) {
		t_u16(t, TPM_ALG_HMAC);
		t_u16(t, scheme_hash);
	} else {
		t_u16(t, TPM_ALG_NULL);
	}
	t_u16(t, 0);
}

static uint32_t tpm_hmac(struct fix *f, uint32_t h, const uint8_t *d, uint16_t len,
			 uint16_t hash, uint8_t *out, size_t *ol)
{
	struct cb c;
	uint32_t rc;

	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_HMAC);
	cb_u32(&c, h);
	ob_cb_pw(&c, "pw", h == 0x80000000u ? 0 : 2); /* the SRK (slot 0) has no auth */
	cb_tpm2b(&c, d, len);
	cb_u16(&c, hash);
	rc = run(f, &c);
	if (rc == TPM_RC_SUCCESS) {
		*ol = get16(params_s(f));
		memcpy(out, params_s(f) + 2, *ol);
	}
	return rc;
}

#define A_HMAC_KEY (A_FIXED_TPM | A_FIXED_PARENT | A_USER_WITH_AUTH | A_SIGN)

KTEST(crypt, hmac_vs_openssl)
{
	struct fix f;
	struct created srk, k, k2, sealed;
	struct tmpl t;
	uint8_t key[40], data[1024], mac[64], want[64];
	unsigned int wl;
	size_t ml;
	uint32_t h, h2, hs;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(make_srk(&f, &srk), TPM_RC_SUCCESS);
	for (size_t i = 0; i < sizeof(key); i++) {
		key[i] = (uint8_t)(0x30 + i);
	}
	for (size_t i = 0; i < sizeof(data); i++) {
		data[i] = (uint8_t)(i ^ 0x5C);
	}
	hmac_tmpl(&t, A_HMAC_KEY, TPM_ALG_SHA256);
	ASSERT_EQ(ob_create(&f, srk.handle, &t, "pw", 2, key, sizeof(key), &k), TPM_RC_SUCCESS);
	ASSERT_EQ(ob_load(&f, srk.handle, &k, &h), TPM_RC_SUCCESS);
	ASSERT_EQ(tpm_hmac(&f, h, data, 1024, TPM_ALG_NULL, mac, &ml), TPM_RC_SUCCESS);
	HMAC(EVP_sha256(), key, sizeof(key), data, 1024, want, &wl);
	EXPECT_EQ(ml, 32u);
	EXPECT_MEMEQ(mac, want, 32);
	ASSERT_EQ(tpm_hmac(&f, h, data, 0, TPM_ALG_SHA256, mac, &ml), TPM_RC_SUCCESS);
	HMAC(EVP_sha256(), key, sizeof(key), data, 0, want, &wl);
	EXPECT_MEMEQ(mac, want, 32);
	EXPECT_EQ(tpm_hmac(&f, h, data, 10, TPM_ALG_SHA1, mac, &ml), RC_P(TPM_RC_VALUE, 2));
	EXPECT_EQ(tpm_hmac(&f, h, data, 10, 0x0099, mac, &ml), RC_P(TPM_RC_HASH, 2));
	/* Scheme NULL: the command names the hash. */
	hmac_tmpl(&t, A_HMAC_KEY, TPM_ALG_NULL);
	ASSERT_EQ(ob_create(&f, srk.handle, &t, "pw", 2, key, 20, &k2), TPM_RC_SUCCESS);
	ASSERT_EQ(ob_load(&f, srk.handle, &k2, &h2), TPM_RC_SUCCESS);
	EXPECT_EQ(tpm_hmac(&f, h2, data, 10, TPM_ALG_NULL, mac, &ml), RC_P(TPM_RC_VALUE, 2));
	ASSERT_EQ(tpm_hmac(&f, h2, data, 77, TPM_ALG_SHA384, mac, &ml), TPM_RC_SUCCESS);
	HMAC(EVP_sha384(), key, 20, data, 77, want, &wl);
	EXPECT_EQ(ml, 48u);
	EXPECT_MEMEQ(mac, want, 48);
	ASSERT_EQ(tpm_hmac(&f, h2, data, 77, TPM_ALG_SHA512, mac, &ml), TPM_RC_SUCCESS);
	HMAC(EVP_sha512(), key, 20, data, 77, want, &wl);
	EXPECT_MEMEQ(mac, want, 64);
	ASSERT_EQ(ob_flush(&f, h2), TPM_RC_SUCCESS);
	/* A sealed object is not a signing key; an asymmetric key is the wrong type. */
	seal_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_USER_WITH_AUTH, NULL, 0);
	ASSERT_EQ(ob_create(&f, srk.handle, &t, "pw", 2, key, 8, &sealed), TPM_RC_SUCCESS);
	ASSERT_EQ(ob_load(&f, srk.handle, &sealed, &hs), TPM_RC_SUCCESS);
	EXPECT_EQ(tpm_hmac(&f, hs, data, 10, TPM_ALG_SHA256, mac, &ml), RC_H(TPM_RC_KEY, 1));
	EXPECT_EQ(tpm_hmac(&f, srk.handle, data, 10, TPM_ALG_SHA256, mac, &ml),
		  RC_H(TPM_RC_TYPE, 1));
	/* Oversized buffer; trailing byte. */
	{
		struct cb c;

		cb_start(&c, TPM_ST_SESSIONS, TPM_CC_HMAC);
		cb_u32(&c, h);
		ob_cb_pw(&c, "pw", 2);
		cb_u16(&c, 1025);
		cb_bytes(&c, data, 1024);
		cb_bytes(&c, data, 1);
		cb_u16(&c, TPM_ALG_NULL);
		EXPECT_EQ(run(&f, &c), RC_P(TPM_RC_SIZE, 1));
		cb_start(&c, TPM_ST_SESSIONS, TPM_CC_HMAC);
		cb_u32(&c, h);
		ob_cb_pw(&c, "pw", 2);
		cb_tpm2b(&c, data, 3);
		cb_u16(&c, TPM_ALG_NULL);
		cb_u8(&c, 9);
		EXPECT_EQ(run(&f, &c), TPM_RC_SIZE);
	}
	ASSERT_EQ(tpm_hmac(&f, h, data, 5, TPM_ALG_NULL, mac, &ml), TPM_RC_SUCCESS);
	HMAC(EVP_sha256(), key, sizeof(key), data, 5, want, &wl);
	EXPECT_MEMEQ(mac, want, 32);
	EXPECT_EQ(f.malformed, 0);
}

/* ---- ECDH ------------------------------------------------------------------------------- */

static uint32_t zgen(struct fix *f, uint32_t h, const uint8_t *x, const uint8_t *y,
		     uint8_t *zx)
{
	struct cb c;
	uint32_t rc;

	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_ECDH_ZGEN);
	cb_u32(&c, h);
	ob_cb_pw(&c, NULL, 0);
	cb_u16(&c, 68);
	cb_tpm2b(&c, x, 32);
	cb_tpm2b(&c, y, 32);
	rc = run(f, &c);
	if (rc == TPM_RC_SUCCESS) {
		const uint8_t *p = params_s(f);

		if (get16(p) != 68 || get16(p + 2) != 32 || get16(p + 36) != 32) {
			return 0xDEAD;
		}
		memcpy(zx, p + 4, 32);
	}
	return rc;
}

KTEST(crypt, ecdh_vs_openssl)
{
	struct fix f;
	struct tmpl t;
	struct created k, sig;
	EVP_PKEY *tk, *eph = NULL;
	EVP_PKEY_CTX *ctx;
	uint8_t zx[32], want[64], qe[65], z[68], pe[68];
	size_t wl = sizeof(want), ql = sizeof(qe);
	struct cb c;

	ASSERT_TRUE(fix_open(&f));
	ecc_tmpl(&t, A_DEC_KEY, false, TPM_ALG_ECDH, TPM_ECC_NIST_P256);
	ASSERT_EQ(create_primary(&f, TPM_RH_NULL, &t, NULL, 0, &k), TPM_RC_SUCCESS);
	tk = ossl_key(&k);
	ASSERT_TRUE(tk != NULL);
	/* OpenSSL's ephemeral key against the TPM key: ZGen's x equals OpenSSL's ECDH. */
	eph = EVP_EC_gen("P-256");
	ASSERT_TRUE(eph != NULL);
	ctx = EVP_PKEY_CTX_new(eph, NULL);
	ASSERT_TRUE(EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, tk) == 1 &&
		    EVP_PKEY_derive(ctx, want, &wl) == 1);
	EVP_PKEY_CTX_free(ctx);
	ASSERT_EQ(wl, 32u);
	ASSERT_TRUE(EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_PUB_KEY, qe, sizeof(qe),
						    &ql) == 1);
	ASSERT_EQ(ql, 65u);
	ASSERT_EQ(zgen(&f, k.handle, qe + 1, qe + 33, zx), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(zx, want, 32);
	/* KeyGen: zPoint = de * Q and pubPoint = Qe; ZGen(Qe) = d * Qe is the same point. */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_ECDH_KEYGEN);
	cb_u32(&c, k.handle);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	ASSERT_EQ(get16(f.rsp + 10), 68);
	memcpy(z, f.rsp + 12, 68);
	memcpy(pe, f.rsp + 12 + 68 + 2, 68);
	ASSERT_EQ(zgen(&f, k.handle, pe + 2, pe + 36, zx), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(zx, z + 2, 32);
	/* Errors: a point off the curve, sizes, a trailing byte. */
	qe[40] ^= 1;
	EXPECT_EQ(zgen(&f, k.handle, qe + 1, qe + 33, zx), RC_P(TPM_RC_ECC_POINT, 1));
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_ECDH_ZGEN);
	cb_u32(&c, k.handle);
	ob_cb_pw(&c, NULL, 0);
	cb_u16(&c, 0);
	EXPECT_EQ(run(&f, &c), RC_P(TPM_RC_SIZE, 1));
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_ECDH_ZGEN);
	cb_u32(&c, k.handle);
	ob_cb_pw(&c, NULL, 0);
	cb_u16(&c, 69);
	cb_tpm2b(&c, pe + 2, 32);
	cb_tpm2b(&c, pe + 36, 32);
	cb_u8(&c, 0);
	EXPECT_EQ(run(&f, &c), RC_P(TPM_RC_SIZE, 1));
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_ECDH_ZGEN);
	cb_u32(&c, k.handle);
	ob_cb_pw(&c, NULL, 0);
	cb_u16(&c, 68);
	cb_tpm2b(&c, pe + 2, 32);
	cb_tpm2b(&c, pe + 36, 32);
	cb_u8(&c, 0);
	EXPECT_EQ(run(&f, &c), TPM_RC_SIZE);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_ECDH_KEYGEN);
	cb_u32(&c, k.handle);
	cb_u8(&c, 0);
	EXPECT_EQ(run(&f, &c), TPM_RC_SIZE);
	/* A signing key: ZGen ATTRIBUTES, KeyGen KEY; an RSA key: KEY. */
	ecc_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_SDO | A_USER_WITH_AUTH | A_SIGN, false,
		 TPM_ALG_NULL, TPM_ECC_NIST_P256);
	ASSERT_EQ(create_primary(&f, TPM_RH_NULL, &t, NULL, 0, &sig), TPM_RC_SUCCESS);
	EXPECT_EQ(zgen(&f, sig.handle, pe + 2, pe + 36, zx), RC_H(TPM_RC_ATTRIBUTES, 1));
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_ECDH_KEYGEN);
	cb_u32(&c, sig.handle);
	EXPECT_EQ(run(&f, &c), RC_H(TPM_RC_KEY, 1));
	/* Storm on ZGen, then it still works. */
	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_ECDH_ZGEN);
	cb_u32(&c, k.handle);
	ob_cb_pw(&c, NULL, 0);
	cb_u16(&c, 68);
	cb_tpm2b(&c, pe + 2, 32);
	cb_tpm2b(&c, pe + 36, 32);
	cb_end(&c);
	srand(3);
	for (int i = 0; i < 300; i++) {
		uint8_t b[200];

		memcpy(b, c.b, c.n);
		b[10 + rand() % (int)(c.n - 10)] ^= (uint8_t)(1 + rand() % 255);
		(void)run_raw(&f, b, c.n);
	}
	ASSERT_EQ(zgen(&f, k.handle, pe + 2, pe + 36, zx), TPM_RC_SUCCESS);
	EXPECT_MEMEQ(zx, z + 2, 32);
	EVP_PKEY_free(eph);
	EVP_PKEY_free(tk);
	EXPECT_EQ(f.malformed, 0);
}
