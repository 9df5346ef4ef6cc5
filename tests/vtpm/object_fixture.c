/* Helpers of the object host tests: see object_fixture.h. */
#include "tests/vtpm/object_fixture.h"

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

#include "vtpm/rc.h"
#include "vtpm/tpm2.h"

void t_u16(struct tmpl *t, uint16_t v)
{
	t->b[t->n++] = (uint8_t)(v >> 8);
	t->b[t->n++] = (uint8_t)v;
}

void t_u32(struct tmpl *t, uint32_t v)
{
	t_u16(t, (uint16_t)(v >> 16));
	t_u16(t, (uint16_t)v);
}

/* ECC template: symmetric AES-128-CFB if sym, scheme (0x10 = NULL) with SHA-256. */
void ecc_tmpl(struct tmpl *t, uint32_t attrs, bool sym, uint16_t scheme, uint16_t curve)
{
	t->n = 0;
	t_u16(t, TPM_ALG_ECC);
	t_u16(t, TPM_ALG_SHA256);
	t_u32(t, attrs);
	t_u16(t, 0); /* authPolicy */
	if (sym) {
		t_u16(t, TPM_ALG_AES);
		t_u16(t, 128);
		t_u16(t, TPM_ALG_CFB);
	} else {
		t_u16(t, TPM_ALG_NULL);
	}
	t_u16(t, scheme);
	if (scheme != TPM_ALG_NULL) {
		t_u16(t, TPM_ALG_SHA256);
	}
	t_u16(t, curve);
	t_u16(t, TPM_ALG_NULL); /* kdf */
	t_u16(t, 0);
	t_u16(t, 0);
}

void rsa_tmpl(struct tmpl *t, uint32_t attrs, bool sym, uint16_t scheme)
{
	t->n = 0;
	t_u16(t, TPM_ALG_RSA);
	t_u16(t, TPM_ALG_SHA256);
	t_u32(t, attrs);
	t_u16(t, 0);
	if (sym) {
		t_u16(t, TPM_ALG_AES);
		t_u16(t, 128);
		t_u16(t, TPM_ALG_CFB);
	} else {
		t_u16(t, TPM_ALG_NULL);
	}
	t_u16(t, scheme);
	if (scheme != TPM_ALG_NULL && scheme != TPM_ALG_RSAES) {
		t_u16(t, TPM_ALG_SHA256);
	}
	t_u16(t, 2048);
	t_u32(t, 0);
	t_u16(t, 0);
}

/* Sealed data object (KEYEDHASH, scheme NULL) with an optional authPolicy. */
void seal_tmpl(struct tmpl *t, uint32_t attrs, const uint8_t *policy, uint16_t plen)
{
	t->n = 0;
	t_u16(t, TPM_ALG_KEYEDHASH);
	t_u16(t, TPM_ALG_SHA256);
	t_u32(t, attrs);
	t_u16(t, plen);
	if (plen != 0) {
		memcpy(t->b + t->n, policy, plen);
	}
	t->n += plen;
	t_u16(t, TPM_ALG_NULL);
	t_u16(t, 0);
}

void ob_cb_pw(struct cb *c, const void *pw, uint16_t len)
{
	cb_u32(c, 4 + 2 + 1 + 2 + len);
	cb_u32(c, TPM_RS_PW);
	cb_u16(c, 0);
	cb_u8(c, 0);
	cb_tpm2b(c, pw, len);
}

/* TPM2B_SENSITIVE_CREATE */
void cb_sens(struct cb *c, const void *auth, uint16_t al, const void *data, uint16_t dl)
{
	cb_u16(c, (uint16_t)(4 + al + dl));
	cb_tpm2b(c, auth, al);
	cb_tpm2b(c, data, dl);
}



uint32_t create_primary(struct fix *f, uint32_t hier, const struct tmpl *t,
			       const void *auth, uint16_t al, struct created *out)
{
	struct cb c;
	uint32_t rc;
	const uint8_t *p;

	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_CREATE_PRIMARY);
	cb_u32(&c, hier);
	ob_cb_pw(&c, NULL, 0);
	cb_sens(&c, auth, al, NULL, 0);
	cb_tpm2b(&c, t->b, (uint16_t)t->n);
	cb_u16(&c, 0);
	cb_u32(&c, 0);
	rc = run(f, &c);
	if (rc != TPM_RC_SUCCESS || out == NULL) {
		return rc;
	}
	out->handle = get32(f->rsp + 10);
	p = f->rsp + 18; /* handle, parameterSize */
	out->pub_len = get16(p);
	memcpy(out->pub, p + 2, out->pub_len);
	p += 2 + out->pub_len;
	p += 2 + get16(p); /* creationData */
	p += 2 + get16(p); /* creationHash */
	p += 6;		   /* ticket tag, hierarchy */
	p += 2 + get16(p);
	out->name_len = get16(p);
	memcpy(out->name, p + 2, out->name_len);
	return rc;
}

uint32_t ob_create(struct fix *f, uint32_t parent, const struct tmpl *t, const void *auth,
		       uint16_t al, const void *data, uint16_t dl, struct created *out)
{
	struct cb c;
	uint32_t rc;
	const uint8_t *p;

	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_CREATE);
	cb_u32(&c, parent);
	ob_cb_pw(&c, NULL, 0);
	cb_sens(&c, auth, al, data, dl);
	cb_tpm2b(&c, t->b, (uint16_t)t->n);
	cb_u16(&c, 0);
	cb_u32(&c, 0);
	rc = run(f, &c);
	if (rc != TPM_RC_SUCCESS || out == NULL) {
		return rc;
	}
	p = f->rsp + 14;
	out->priv_len = get16(p);
	memcpy(out->priv, p + 2, out->priv_len);
	p += 2 + out->priv_len;
	out->pub_len = get16(p);
	memcpy(out->pub, p + 2, out->pub_len);
	return rc;
}

uint32_t ob_load(struct fix *f, uint32_t parent, const struct created *k, uint32_t *h)
{
	struct cb c;
	uint32_t rc;

	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_LOAD);
	cb_u32(&c, parent);
	ob_cb_pw(&c, NULL, 0);
	cb_tpm2b(&c, k->priv, (uint16_t)k->priv_len);
	cb_tpm2b(&c, k->pub, (uint16_t)k->pub_len);
	rc = run(f, &c);
	if (rc == TPM_RC_SUCCESS) {
		*h = get32(f->rsp + 10);
	}
	return rc;
}

uint32_t ob_flush(struct fix *f, uint32_t h)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_FLUSH_CONTEXT);
	cb_u32(&c, h);
	return run(f, &c);
}

uint32_t ob_unseal(struct fix *f, uint32_t h, const void *pw, uint16_t pl)
{
	struct cb c;

	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_UNSEAL);
	cb_u32(&c, h);
	ob_cb_pw(&c, pw, pl);
	return run(f, &c);
}

/* Name = 0x000B || SHA-256(TPMT_PUBLIC) computed by OpenSSL. */
bool name_ok(const struct created *k)
{
	uint8_t d[32];

	SHA256(k->pub, k->pub_len, d);
	return k->name_len == 34 && k->name[0] == 0 && k->name[1] == 0x0B &&
	       memcmp(k->name + 2, d, 32) == 0;
}


/* An SRK-like ECC storage parent in the owner hierarchy. */
uint32_t make_srk(struct fix *f, struct created *k)
{
	struct tmpl t;

	ecc_tmpl(&t, A_SRK, true, TPM_ALG_NULL, TPM_ECC_NIST_P256);
	return create_primary(f, TPM_RH_OWNER, &t, NULL, 0, k);
}

uint32_t ob_ctx_save(struct fix *f, uint32_t h, uint8_t *out, size_t *n)
{
	struct cb c;
	uint32_t rc;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_CONTEXT_SAVE);
	cb_u32(&c, h);
	rc = run(f, &c);
	if (rc == TPM_RC_SUCCESS) {
		*n = f->rsp_len - 10;
		memcpy(out, f->rsp + 10, *n);
	}
	return rc;
}

uint32_t ob_ctx_load(struct fix *f, const uint8_t *ctx, size_t n)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_CONTEXT_LOAD);
	cb_bytes(&c, ctx, n);
	return run(f, &c);
}

uint32_t ob_sign(struct fix *f, uint32_t key, const uint8_t *dig, uint16_t dl,
		     uint16_t scheme, const uint8_t *ticket, size_t ticket_len)
{
	struct cb c;

	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_SIGN);
	cb_u32(&c, key);
	ob_cb_pw(&c, NULL, 0);
	cb_tpm2b(&c, dig, dl);
	cb_u16(&c, scheme);
	if (scheme != TPM_ALG_NULL) {
		cb_u16(&c, TPM_ALG_SHA256);
	}
	if (ticket != NULL) {
		cb_bytes(&c, ticket, ticket_len);
	} else {
		cb_u16(&c, TPM_ST_HASHCHECK);
		cb_u32(&c, TPM_RH_NULL);
		cb_u16(&c, 0);
	}
	return run(f, &c);
}

/* OpenSSL EVP_PKEY from an RSA or ECC (P-256) TPMT_PUBLIC (unique at the end). */
EVP_PKEY *ossl_key(const struct created *k)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	BIGNUM *n = NULL, *e = NULL;
	uint8_t pt[65];

	if (get16(k->pub) == TPM_ALG_RSA) {
		n = BN_bin2bn(k->pub + k->pub_len - 256, 256, NULL);
		e = BN_new();
		BN_set_word(e, 65537);
		OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n);
		OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e);
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	} else {
		pt[0] = 4;
		memcpy(pt + 1, k->pub + k->pub_len - 66, 32);
		memcpy(pt + 33, k->pub + k->pub_len - 32, 32);
		OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
		OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt));
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	}
	params = OSSL_PARAM_BLD_to_param(b);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		pkey = NULL;
	}
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	return pkey;
}

bool ossl_verify(EVP_PKEY *pkey, int pss, const uint8_t *dig, const uint8_t *sig,
			size_t sl)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
	bool ok = ctx != NULL && EVP_PKEY_verify_init(ctx) == 1 &&
		  EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1;

	if (ok && pss) {
		ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_AUTO) == 1;
	}
	ok = ok && EVP_PKEY_verify(ctx, sig, sl, dig, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/* ECDSA r, s (TPM2Bs) to DER. */
size_t ecdsa_der(const uint8_t *p, uint8_t *der)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(p + 2, get16(p), NULL);
	BIGNUM *s = BN_bin2bn(p + 4 + get16(p), get16(p + 2 + get16(p)), NULL);
	uint8_t *q = der;
	int n;

	ECDSA_SIG_set0(sig, r, s);
	n = i2d_ECDSA_SIG(sig, &q);
	ECDSA_SIG_free(sig);
	return n > 0 ? (size_t)n : 0;
}

uint32_t ob_evict(struct fix *f, uint32_t auth, uint32_t obj, uint32_t persistent)
{
	struct cb c;

	cb_start(&c, TPM_ST_SESSIONS, TPM_CC_EVICT_CONTROL);
	cb_u32(&c, auth);
	cb_u32(&c, obj);
	ob_cb_pw(&c, NULL, 0);
	cb_u32(&c, persistent);
	return run(f, &c);
}

/* TPM_CAP_HANDLES from handle `from`: the count, the handles in *out. */
uint32_t ob_cap_handles(struct fix *f, uint32_t from, uint32_t *out)
{
	struct cb c;
	uint32_t n;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_CAPABILITY);
	cb_u32(&c, TPM_CAP_HANDLES);
	cb_u32(&c, from);
	cb_u32(&c, 20);
	if (run(f, &c) != TPM_RC_SUCCESS) {
		return 0xFFFFFFFFu;
	}
	n = get32(f->rsp + 15);
	for (uint32_t i = 0; i < n && i < 20; i++) {
		out[i] = get32(f->rsp + 19 + 4 * i);
	}
	return n;
}

/* KDFa(SHA-256, key, label, u, v, 256): one block. */
void kdfa256(const uint8_t *key, size_t kl, const char *label, const uint8_t *u,
		    size_t ul, const uint8_t *v, size_t vl, uint8_t *out)
{
	uint8_t msg[300];
	size_t n = 0;
	unsigned int ol = 32;

	msg[n++] = 0;
	msg[n++] = 0;
	msg[n++] = 0;
	msg[n++] = 1;
	memcpy(msg + n, label, strlen(label) + 1);
	n += strlen(label) + 1;
	memcpy(msg + n, u, ul);
	n += ul;
	memcpy(msg + n, v, vl);
	n += vl;
	msg[n++] = 0;
	msg[n++] = 0;
	msg[n++] = 1;
	msg[n++] = 0;
	HMAC(EVP_sha256(), key, (int)kl, msg, n, out, &ol);
}

/* StartAuthSession (HMAC, SHA-256, unbound) salted to tpm_key with encryptedSalt. */
uint32_t start_salted(struct fix *f, uint32_t tpm_key, const uint8_t *enc, size_t el,
			     const uint8_t *salt, struct sess *s)
{
	uint8_t nonce[32];
	struct cb c;
	uint32_t rc;

	for (int i = 0; i < 32; i++) {
		nonce[i] = (uint8_t)(0x40 + i);
	}
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_START_AUTH_SESSION);
	cb_u32(&c, tpm_key);
	cb_u32(&c, TPM_RH_NULL);
	cb_tpm2b(&c, nonce, 32);
	cb_tpm2b(&c, enc, (uint16_t)el);
	cb_u8(&c, SE_HMAC);
	cb_u16(&c, TPM_ALG_NULL);
	cb_u16(&c, TPM_ALG_SHA256);
	rc = run(f, &c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	memset(s, 0, sizeof(*s));
	s->handle = get32(f->rsp + 10);
	s->bank = 1;
	memcpy(s->nonce_tpm, f->rsp + 16, 32);
	kdfa256(salt, 32, "ATH", s->nonce_tpm, 32, nonce, 32, s->key);
	s->key_len = 32;
	return rc;
}
