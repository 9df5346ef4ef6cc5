/*
 * Key-use commands: TPM2_RSA_Encrypt (Part 3 §14.2), TPM2_RSA_Decrypt (§14.3),
 * TPM2_ECDH_KeyGen (§14.4), TPM2_ECDH_ZGen (§14.5), TPM2_EncryptDecrypt (§15.2),
 * TPM2_EncryptDecrypt2 (§15.3) and TPM2_HMAC (§15.4).
 *
 * Every handler reads all parameters first (Part 2 unmarshalling codes with the parameter
 * number), then checks the key (type, attributes, role), and only then computes. The keys'
 * secrets are used in place (the object slot); every temporary that held key material or
 * plaintext derived from it is wiped. RSA operations use t->ks (rsa, kg.op), the EncryptDecrypt
 * output is staged in t->ks.buf.
 *
 * RSA schemes (Part 1 "RSA Encryption", Part 3 §14.2): the key's scheme wins; inScheme must
 * then be TPM_ALG_NULL or the same scheme and hash (TPM_RC_SCHEME + P2). With both NULL the
 * operation is raw RSAEP/RSADP on a modulus-sized value (a shorter message is zero-extended on
 * the left). A label must be empty or end in a zero octet (TPM_RC_VALUE + P3); the label given
 * to OAEP is the label as sent (terminator included), as tpm2-tss and OpenSSL callers send it.
 */
#include "crypto/aes.h"
#include "crypto/aes_modes.h"
#include "crypto/ecc.h"
#include "crypto/hmac.h"
#include "crypto/rsa.h"
#include "kernel/string.h"
#include "vtpm/commands.h"
#include "vtpm/keygen.h"
#include "vtpm/object.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

#define MAX_BUFFER 1024u /* TPM2B_MAX_BUFFER */
#define MAX_LABEL 64u	 /* TPM2B_DATA: sizeof(TPMT_HA) */

/* ---- RSA ------------------------------------------------------------------------------ */

struct rsa_args {
	const uint8_t *data;
	uint16_t data_len;
	uint16_t scheme;
	uint16_t hash;
	const uint8_t *label;
	uint16_t label_len;
};

/* data (TPM2B_PUBLIC_KEY_RSA), inScheme (TPMT_RSA_DECRYPT+), label (TPM2B_DATA). */
static uint32_t read_rsa_args(struct vtpm_cmd *c, struct rsa_args *a)
{
	a->data_len = mr_tpm2b(c->in, VTPM_RSA_BYTES, &a->data);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	/* TPMI_ALG_RSA_DECRYPT+ (Part 2 §11.2.4.4): RSAES, OAEP (with a hash) or NULL. */
	a->scheme = mr_u16(c->in);
	a->hash = TPM_ALG_NULL;
	if (c->in->rc == TPM_RC_SUCCESS) {
		if (a->scheme == TPM_ALG_OAEP) {
			(void)mr_alg_hash(c->in, &a->hash, false);
		} else if (a->scheme != TPM_ALG_RSAES && a->scheme != TPM_ALG_NULL) {
			mr_fail(c->in, TPM_RC_VALUE);
		}
	}
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	a->label_len = mr_tpm2b(c->in, MAX_LABEL, &a->label);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 3);
	}
	return cmd_params_end(c);
}

/* The RSA key of handle 1 with the decrypt attribute, its scheme chosen (see the file
 * comment). restricted: also refuse restricted keys (RSA_Decrypt). */
static uint32_t rsa_key(struct vtpm *t, struct vtpm_cmd *c, struct rsa_args *a, bool restricted,
			const struct vtpm_key **out)
{
	const struct vtpm_key *k = vtpm_key_find(t, c->handles[0]);

	if (k == NULL || k->pub.type != TPM_ALG_RSA) {
		return rc_handle(TPM_RC_KEY, 1);
	}
	if (!(k->pub.attributes & TPMA_OBJECT_DECRYPT) ||
	    (restricted && (k->pub.attributes & TPMA_OBJECT_RESTRICTED))) {
		return rc_handle(TPM_RC_ATTRIBUTES, 1);
	}
	if (a->label_len != 0 && a->label[a->label_len - 1u] != 0) {
		return rc_param(TPM_RC_VALUE, 3);
	}
	if (k->pub.scheme != TPM_ALG_NULL) {
		if (k->pub.scheme != TPM_ALG_RSAES && k->pub.scheme != TPM_ALG_OAEP) {
			return rc_param(TPM_RC_SCHEME, 2);
		}
		if (a->scheme != TPM_ALG_NULL &&
		    (a->scheme != k->pub.scheme ||
		     (a->scheme == TPM_ALG_OAEP && a->hash != k->pub.scheme_hash))) {
			return rc_param(TPM_RC_SCHEME, 2);
		}
		a->scheme = k->pub.scheme;
		a->hash = k->pub.scheme_hash;
	}
	*out = k;
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_rsa_encrypt(struct vtpm *t, struct vtpm_cmd *c)
{
	struct crypto_rng rng = vtpm_crypto_rng(t);
	const struct vtpm_key *k;
	struct rsa_args a;
	uint8_t out[VTPM_RSA_BYTES];
	uint8_t in[VTPM_RSA_BYTES];
	uint32_t rc;
	int r;

	rc = read_rsa_args(c, &a);
	if (rc == TPM_RC_SUCCESS) {
		rc = rsa_key(t, c, &a, false, &k);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (vtpm_key_rsa_public(k, &t->ks.rsa.pub) != TPM_RC_SUCCESS) {
		return rc_handle(TPM_RC_KEY, 1);
	}
	if (a.scheme == TPM_ALG_OAEP) {
		const struct vtpm_hash_info *hi = vtpm_hash_of_valid(a.hash);

		if (a.data_len > VTPM_RSA_BYTES - 2u * hi->size - 2u) {
			return rc_param(TPM_RC_VALUE, 1);
		}
		r = rsa_oaep_encrypt(&t->ks.rsa.pub, &rng, hi->id, a.label, a.label_len, a.data,
				     a.data_len, out, sizeof(out), &t->ks.kg.op);
	} else if (a.scheme == TPM_ALG_RSAES) {
		if (a.data_len > VTPM_RSA_BYTES - 11u) {
			return rc_param(TPM_RC_VALUE, 1);
		}
		r = rsa_pkcs1_encrypt(&t->ks.rsa.pub, &rng, a.data, a.data_len, out, sizeof(out),
				      &t->ks.kg.op);
	} else {
		bastion_memset(in, 0, sizeof(in));
		bastion_memcpy(in + sizeof(in) - a.data_len, a.data, a.data_len);
		r = rsa_public_op(&t->ks.rsa.pub, out, in, sizeof(in), &t->ks.kg.op);
		if (r == RSA_ERR_RANGE) {
			return rc_param(TPM_RC_VALUE, 1);
		}
	}
	if (r != 0) {
		return TPM_RC_FAILURE;
	}
	mw_tpm2b(c->out, out, sizeof(out));
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_rsa_decrypt(struct vtpm *t, struct vtpm_cmd *c)
{
	struct crypto_rng rng = vtpm_crypto_rng(t);
	const struct vtpm_key *k;
	struct rsa_args a;
	uint8_t out[VTPM_RSA_BYTES];
	size_t n = 0;
	uint32_t rc;
	int r;

	rc = read_rsa_args(c, &a);
	if (rc == TPM_RC_SUCCESS) {
		rc = vtpm_object_role_check(t, c->handles[0], c->policy_auth & 1u, false);
	}
	if (rc == TPM_RC_SUCCESS) {
		rc = rsa_key(t, c, &a, true, &k);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (!k->has_sensitive) {
		return rc_handle(TPM_RC_KEY, 1);
	}
	if (a.data_len != VTPM_RSA_BYTES) {
		return rc_param(TPM_RC_SIZE, 1);
	}
	if (vtpm_key_rsa_private(t, k) != TPM_RC_SUCCESS) {
		return TPM_RC_FAILURE;
	}
	if (a.scheme == TPM_ALG_OAEP) {
		r = rsa_oaep_decrypt(&t->ks.rsa, &rng, vtpm_hash_of_valid(a.hash)->id, a.label,
				     a.label_len, a.data, a.data_len, out, sizeof(out), &n,
				     &t->ks.kg.op);
	} else if (a.scheme == TPM_ALG_RSAES) {
		r = rsa_pkcs1_decrypt(&t->ks.rsa, &rng, a.data, a.data_len, out, sizeof(out), &n,
				      &t->ks.kg.op);
	} else {
		r = rsa_private_op(&t->ks.rsa, &rng, out, a.data, a.data_len, &t->ks.kg.op);
		n = sizeof(out);
	}
	mem_wipe(&t->ks.rsa, sizeof(t->ks.rsa));
	if (r == RSA_ERR_DECRYPT || r == RSA_ERR_RANGE) {
		mem_wipe(out, sizeof(out));
		return rc_param(TPM_RC_VALUE, 1);
	}
	if (r != 0) {
		mem_wipe(out, sizeof(out));
		return TPM_RC_FAILURE;
	}
	mw_tpm2b(c->out, out, (uint16_t)n);
	mem_wipe(out, sizeof(out));
	return TPM_RC_SUCCESS;
}

/* ---- ECDH ----------------------------------------------------------------------------- */

/* TPM2B_ECC_POINT (Part 2 §11.2.5.3) for a curve of cb octets, right-aligned into x, y. The
 * size must be nonzero and match the point exactly (TPM_RC_SIZE); coordinates at most
 * MAX_ECC_KEY_BYTES (TPM_RC_SIZE). A coordinate longer than the curve's is TPM_RC_ECC_POINT
 * (no point of the curve has one). */
static uint32_t read_point_2b(struct mr *r, size_t cb, uint8_t *x, uint8_t *y)
{
	const uint8_t *px;
	const uint8_t *py;
	uint16_t size, xl, yl;
	size_t start;

	size = mr_u16(r);
	if (r->rc == TPM_RC_SUCCESS && size == 0) {
		return mr_fail(r, TPM_RC_SIZE);
	}
	start = mr_remaining(r);
	xl = mr_tpm2b(r, VTPM_ECC_MAX_BYTES, &px);
	yl = mr_tpm2b(r, VTPM_ECC_MAX_BYTES, &py);
	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	if (start - mr_remaining(r) != size) {
		return mr_fail(r, TPM_RC_SIZE);
	}
	if (xl > cb || yl > cb) {
		return TPM_RC_ECC_POINT;
	}
	bastion_memset(x, 0, cb);
	bastion_memset(y, 0, cb);
	bastion_memcpy(x + cb - xl, px, xl);
	bastion_memcpy(y + cb - yl, py, yl);
	return TPM_RC_SUCCESS;
}

static void write_point_2b(struct mw *w, const uint8_t *x, const uint8_t *y, uint16_t cb)
{
	mw_u16(w, (uint16_t)(4u + 2u * cb));
	mw_tpm2b(w, x, cb);
	mw_tpm2b(w, y, cb);
}

/* The key's public point, right-aligned. */
static bool key_point(const struct vtpm_key *k, size_t cb, uint8_t *x, uint8_t *y)
{
	if (k->pub.unique_size > cb || k->pub.y_size > cb) {
		return false;
	}
	bastion_memset(x, 0, cb);
	bastion_memset(y, 0, cb);
	bastion_memcpy(x + cb - k->pub.unique_size, k->pub.unique, k->pub.unique_size);
	bastion_memcpy(y + cb - k->pub.y_size, k->pub.y, k->pub.y_size);
	return true;
}

/* ECDH_KeyGen: an ephemeral (de, Qe) from the DRBG; zPoint = de * Q, pubPoint = Qe. Part 3:
 * TPM_RC_KEY unless handle 1 is an unrestricted ECC decryption key. */
uint32_t vtpm_cmd_ecdh_keygen(struct vtpm *t, struct vtpm_cmd *c)
{
	struct crypto_rng rng = vtpm_crypto_rng(t);
	const struct vtpm_key *k;
	const struct ecc_curve *cv;
	uint8_t d[VTPM_ECC_MAX_BYTES];
	uint8_t qx[VTPM_ECC_MAX_BYTES], qy[VTPM_ECC_MAX_BYTES];
	uint8_t ex[VTPM_ECC_MAX_BYTES], ey[VTPM_ECC_MAX_BYTES];
	uint8_t zx[VTPM_ECC_MAX_BYTES], zy[VTPM_ECC_MAX_BYTES];
	uint16_t cb;
	uint32_t rc;
	int r;

	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	k = vtpm_key_find(t, c->handles[0]);
	if (k == NULL || k->pub.type != TPM_ALG_ECC ||
	    (k->pub.attributes & (TPMA_OBJECT_DECRYPT | TPMA_OBJECT_RESTRICTED)) !=
		    TPMA_OBJECT_DECRYPT) {
		return rc_handle(TPM_RC_KEY, 1);
	}
	cv = vtpm_curve(k->pub.curve);
	cb = (uint16_t)ecc_curve_bytes(cv);
	if (!key_point(k, cb, qx, qy)) {
		return rc_handle(TPM_RC_KEY, 1);
	}
	r = ecc_keygen(cv, &rng, d, ex, ey);
	if (r == 0) {
		r = ecc_point_mul(cv, d, qx, qy, zx, zy);
	}
	mem_wipe(d, sizeof(d));
	if (r == ECC_ERR_POINT) {
		return rc_handle(TPM_RC_KEY, 1);
	}
	if (r != 0) {
		return TPM_RC_FAILURE;
	}
	write_point_2b(c->out, zx, zy, cb);
	write_point_2b(c->out, ex, ey, cb);
	mem_wipe(zx, sizeof(zx));
	mem_wipe(zy, sizeof(zy));
	return TPM_RC_SUCCESS;
}

/* ECDH_ZGen: outPoint = d * inPoint (Part 3 §14.5). */
uint32_t vtpm_cmd_ecdh_zgen(struct vtpm *t, struct vtpm_cmd *c)
{
	const struct vtpm_key *k = vtpm_key_find(t, c->handles[0]);
	const struct ecc_curve *cv;
	uint8_t px[VTPM_ECC_MAX_BYTES], py[VTPM_ECC_MAX_BYTES];
	uint8_t zx[VTPM_ECC_MAX_BYTES], zy[VTPM_ECC_MAX_BYTES];
	uint16_t cb;
	uint32_t rc;
	int r;

	/* The point's coordinates are bounded by the curve of the key; a non-ECC key still
	 * gets its parameters parsed with the largest curve before TPM_RC_KEY. */
	cb = VTPM_ECC_MAX_BYTES;
	if (k != NULL && k->pub.type == TPM_ALG_ECC) {
		cb = (uint16_t)ecc_curve_bytes(vtpm_curve(k->pub.curve));
	}
	rc = read_point_2b(c->in, cb, px, py);
	if (rc != TPM_RC_SUCCESS) {
		return rc_param(rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc == TPM_RC_SUCCESS) {
		rc = vtpm_object_role_check(t, c->handles[0], c->policy_auth & 1u, false);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (k == NULL || k->pub.type != TPM_ALG_ECC || !k->has_sensitive) {
		return rc_handle(TPM_RC_KEY, 1);
	}
	if ((k->pub.attributes & (TPMA_OBJECT_DECRYPT | TPMA_OBJECT_RESTRICTED)) !=
	    TPMA_OBJECT_DECRYPT) {
		return rc_handle(TPM_RC_ATTRIBUTES, 1);
	}
	if (k->pub.scheme != TPM_ALG_NULL && k->pub.scheme != TPM_ALG_ECDH) {
		return rc_handle(TPM_RC_SCHEME, 1);
	}
	cv = vtpm_curve(k->pub.curve);
	r = ecc_point_mul(cv, k->sens.data, px, py, zx, zy);
	if (r == ECC_ERR_POINT) {
		return rc_param(TPM_RC_ECC_POINT, 1);
	}
	if (r != 0) {
		return TPM_RC_FAILURE;
	}
	write_point_2b(c->out, zx, zy, cb);
	mem_wipe(zx, sizeof(zx));
	mem_wipe(zy, sizeof(zy));
	return TPM_RC_SUCCESS;
}

/* ---- EncryptDecrypt ------------------------------------------------------------------- */

struct crypt_args {
	bool decrypt;
	uint16_t mode;
	const uint8_t *iv;
	uint16_t iv_len;
	const uint8_t *data;
	uint16_t data_len;
};

/* OFB (SP 800-38A §6.4): iv becomes the last output block. Not in crypto/aes_modes.h, so it is
 * built from the block cipher here. */
static void ofb(const struct aes_ctx *key, uint8_t iv[16], const uint8_t *in, uint8_t *out,
		size_t len)
{
	for (size_t i = 0; i < len; i += 16) {
		size_t n = len - i < 16 ? len - i : 16;

		aes_encrypt_block(key, iv, iv);
		for (size_t j = 0; j < n; j++) {
			out[i + j] = (uint8_t)(in[i + j] ^ iv[j]);
		}
	}
}

/* Runs the cipher into out (len bytes) and leaves the chaining value in iv (Part 3 §15.2:
 * ivOut is the value to pass as ivIn to continue the operation: CBC and CFB the last
 * ciphertext block (for a partial CFB block its ciphertext octets followed by the unused
 * keystream), CTR the next counter, OFB the last keystream block). */
static int run_cipher(const struct aes_ctx *key, const struct crypt_args *a, uint8_t iv[16],
		      uint8_t *out)
{
	struct aes_cfb_ctx cfb;
	struct aes_ctr_ctx ctr;
	int r = 0;

	switch (a->mode) {
	case TPM_ALG_ECB:
		r = a->decrypt ? aes_ecb_decrypt(key, a->data, out, a->data_len)
			       : aes_ecb_encrypt(key, a->data, out, a->data_len);
		break;
	case TPM_ALG_CBC:
		r = a->decrypt ? aes_cbc_decrypt(key, iv, a->data, out, a->data_len)
			       : aes_cbc_encrypt(key, iv, a->data, out, a->data_len);
		break;
	case TPM_ALG_CFB:
		aes_cfb_init(&cfb, key, iv);
		if (a->decrypt) {
			aes_cfb_decrypt_update(&cfb, a->data, out, a->data_len);
		} else {
			aes_cfb_encrypt_update(&cfb, a->data, out, a->data_len);
		}
		bastion_memcpy(iv, cfb.reg, 16);
		aes_cfb_wipe(&cfb);
		break;
	case TPM_ALG_CTR:
		aes_ctr_init(&ctr, key, iv);
		aes_ctr_update(&ctr, a->data, out, a->data_len);
		bastion_memcpy(iv, ctr.ctr, 16);
		aes_ctr_wipe(&ctr);
		break;
	default: /* TPM_ALG_OFB */
		ofb(key, iv, a->data, out, a->data_len);
		break;
	}
	return r;
}

/* TPMI_ALG_CIPHER_MODE+ (Part 2 §9.35): CTR, OFB, CBC, CFB, ECB or NULL; else TPM_RC_MODE. */
static bool mode_valid(uint16_t m)
{
	return m == TPM_ALG_CTR || m == TPM_ALG_OFB || m == TPM_ALG_CBC || m == TPM_ALG_CFB ||
	       m == TPM_ALG_ECB || m == TPM_ALG_NULL;
}

/* The common part of EncryptDecrypt and EncryptDecrypt2; p_mode, p_iv, p_data are the
 * parameter numbers of mode, ivIn and inData in the command at hand. */
static uint32_t encrypt_decrypt(struct vtpm *t, struct vtpm_cmd *c, struct crypt_args *a,
				unsigned int p_mode, unsigned int p_iv, unsigned int p_data)
{
	const struct vtpm_key *k;
	struct aes_ctx key;
	uint8_t iv[16] = { 0 };
	uint32_t rc;
	int r;

	rc = vtpm_object_role_check(t, c->handles[0], c->policy_auth & 1u, false);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	k = vtpm_key_find(t, c->handles[0]);
	if (k == NULL || k->pub.type != TPM_ALG_SYMCIPHER || !k->has_sensitive) {
		return rc_handle(TPM_RC_KEY, 1);
	}
	/* An unrestricted key; decrypt needs the decrypt attribute, encrypt the sign
	 * (sign/encrypt, Part 2 §8.3.3.1) attribute. */
	if ((k->pub.attributes & TPMA_OBJECT_RESTRICTED) ||
	    !(k->pub.attributes & (a->decrypt ? TPMA_OBJECT_DECRYPT : TPMA_OBJECT_SIGN))) {
		return rc_handle(TPM_RC_ATTRIBUTES, 1);
	}
	/* A key with a mode is used only in that mode (mode NULL or the same); a key without
	 * one takes the command's, which must then not be NULL. */
	if (k->pub.sym_mode != TPM_ALG_NULL) {
		if (a->mode != TPM_ALG_NULL && a->mode != k->pub.sym_mode) {
			return rc_param(TPM_RC_MODE, p_mode);
		}
		a->mode = k->pub.sym_mode;
	} else if (a->mode == TPM_ALG_NULL) {
		return rc_param(TPM_RC_MODE, p_mode);
	}
	if ((a->mode == TPM_ALG_ECB) != (a->iv_len == 0) ||
	    (a->mode != TPM_ALG_ECB && a->iv_len != AES_BLOCK_SIZE)) {
		return rc_param(TPM_RC_SIZE, p_iv);
	}
	if ((a->mode == TPM_ALG_ECB || a->mode == TPM_ALG_CBC) &&
	    a->data_len % AES_BLOCK_SIZE != 0) {
		return rc_param(TPM_RC_SIZE, p_data);
	}
	if (a->iv_len != 0) {
		bastion_memcpy(iv, a->iv, AES_BLOCK_SIZE);
	}
	if (aes_init(&key, k->sens.data, k->sens.data_size) != 0) {
		return TPM_RC_FAILURE;
	}
	r = run_cipher(&key, a, iv, t->ks.buf);
	aes_wipe(&key);
	if (r != 0) {
		mem_wipe(t->ks.buf, a->data_len);
		return TPM_RC_FAILURE;
	}
	mw_tpm2b(c->out, t->ks.buf, a->data_len);
	mw_tpm2b(c->out, iv, a->iv_len);
	mem_wipe(t->ks.buf, a->data_len);
	mem_wipe(iv, sizeof(iv));
	return TPM_RC_SUCCESS;
}

static uint32_t read_mode(struct mr *r, uint16_t *mode)
{
	*mode = mr_u16(r);
	if (r->rc == TPM_RC_SUCCESS && !mode_valid(*mode)) {
		mr_fail(r, TPM_RC_MODE);
	}
	return r->rc;
}

/* TPMI_YES_NO (Part 2 §9.2): 0 or 1, else TPM_RC_VALUE. */
static bool read_yes_no(struct mr *r)
{
	uint8_t v = mr_u8(r);

	if (r->rc == TPM_RC_SUCCESS && v > 1u) {
		mr_fail(r, TPM_RC_VALUE);
	}
	return v == 1u;
}

/* EncryptDecrypt: decrypt, mode, ivIn, inData. */
uint32_t vtpm_cmd_encrypt_decrypt(struct vtpm *t, struct vtpm_cmd *c)
{
	struct crypt_args a;
	uint32_t rc;

	a.decrypt = read_yes_no(c->in);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	if (read_mode(c->in, &a.mode) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	a.iv_len = mr_tpm2b(c->in, AES_BLOCK_SIZE, &a.iv);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 3);
	}
	a.data_len = mr_tpm2b(c->in, MAX_BUFFER, &a.data);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 4);
	}
	rc = cmd_params_end(c);
	return rc != TPM_RC_SUCCESS ? rc : encrypt_decrypt(t, c, &a, 2, 3, 4);
}

/* EncryptDecrypt2 (Part 3 §15.3): inData first, so that it can be parameter-encrypted. */
uint32_t vtpm_cmd_encrypt_decrypt2(struct vtpm *t, struct vtpm_cmd *c)
{
	struct crypt_args a;
	uint32_t rc;

	a.data_len = mr_tpm2b(c->in, MAX_BUFFER, &a.data);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	a.decrypt = read_yes_no(c->in);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	if (read_mode(c->in, &a.mode) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 3);
	}
	a.iv_len = mr_tpm2b(c->in, AES_BLOCK_SIZE, &a.iv);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 4);
	}
	rc = cmd_params_end(c);
	return rc != TPM_RC_SUCCESS ? rc : encrypt_decrypt(t, c, &a, 3, 4, 1);
}

/* ---- HMAC ----------------------------------------------------------------------------- */

/* TPM2_HMAC (Part 3 §15.4): an unrestricted KEYEDHASH signing key; hashAlg must be the key's
 * scheme hash or TPM_ALG_NULL (key scheme HMAC), or a hash (key scheme NULL): TPM_RC_VALUE. */
uint32_t vtpm_cmd_hmac(struct vtpm *t, struct vtpm_cmd *c)
{
	const struct vtpm_key *k;
	const struct vtpm_hash_info *hi;
	const uint8_t *data;
	uint8_t mac[VTPM_MAX_DIGEST];
	uint16_t len, hash;
	uint32_t rc;

	len = mr_tpm2b(c->in, MAX_BUFFER, &data);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	if (mr_alg_hash(c->in, &hash, true) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	rc = cmd_params_end(c);
	if (rc == TPM_RC_SUCCESS) {
		rc = vtpm_object_role_check(t, c->handles[0], c->policy_auth & 1u, false);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	k = vtpm_key_find(t, c->handles[0]);
	if (k == NULL || k->pub.type != TPM_ALG_KEYEDHASH) {
		return rc_handle(TPM_RC_TYPE, 1);
	}
	if (k->pub.attributes & TPMA_OBJECT_RESTRICTED) {
		return rc_handle(TPM_RC_ATTRIBUTES, 1);
	}
	if (!(k->pub.attributes & TPMA_OBJECT_SIGN) || !k->has_sensitive) {
		return rc_handle(TPM_RC_KEY, 1);
	}
	if (k->pub.scheme == TPM_ALG_HMAC) {
		if (hash != TPM_ALG_NULL && hash != k->pub.scheme_hash) {
			return rc_param(TPM_RC_VALUE, 2);
		}
		hash = k->pub.scheme_hash;
	} else if (hash == TPM_ALG_NULL) {
		return rc_param(TPM_RC_VALUE, 2);
	}
	hi = vtpm_hash_of_valid(hash);
	if (hmac_oneshot(hi->id, k->sens.data, k->sens.data_size, data, len, mac) != 0) {
		return TPM_RC_FAILURE;
	}
	mw_tpm2b(c->out, mac, hi->size);
	mem_wipe(mac, sizeof(mac));
	return TPM_RC_SUCCESS;
}
