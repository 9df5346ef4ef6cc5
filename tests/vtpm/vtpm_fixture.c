/* The vTPM host tests' shared fixture: see vtpm_fixture.h. */
#include "tests/vtpm/vtpm_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tests/ktest/ktest.h"
#include "vtpm/commands.h"
#include "vtpm/rc.h"
/* ---- the engine instance ---------------------------------------------------------------- */

int fake_entropy(void *ctx, uint8_t *out, size_t len)
{
	struct fake_platform *p = ctx;

	for (size_t i = 0; i < len; i++) {
		p->entropy_counter = p->entropy_counter * 6364136223846793005ull + 1442695040888963407ull;
		out[i] = (uint8_t)(p->entropy_counter >> 56);
	}
	return 0;
}

uint64_t fake_clock(void *ctx)
{
	return ((struct fake_platform *)ctx)->now_ms;
}


static uint8_t vtpm_mem[160 * 1024] __attribute__((aligned(16)));


void cb_u8(struct cb *c, uint8_t v)
{
	c->b[c->n++] = v;
}

void cb_u16(struct cb *c, uint16_t v)
{
	cb_u8(c, (uint8_t)(v >> 8));
	cb_u8(c, (uint8_t)v);
}

void cb_u32(struct cb *c, uint32_t v)
{
	cb_u16(c, (uint16_t)(v >> 16));
	cb_u16(c, (uint16_t)v);
}

void cb_bytes(struct cb *c, const void *p, size_t n)
{
	if (n != 0) {
		memcpy(c->b + c->n, p, n);
		c->n += n;
	}
}

void cb_tpm2b(struct cb *c, const void *p, uint16_t n)
{
	cb_u16(c, n);
	cb_bytes(c, p, n);
}

void cb_start(struct cb *c, uint16_t tag, uint32_t cc)
{
	c->n = 0;
	cb_u16(c, tag);
	cb_u32(c, 0);
	cb_u32(c, cc);
}

void cb_end(struct cb *c)
{
	c->b[2] = (uint8_t)(c->n >> 24);
	c->b[3] = (uint8_t)(c->n >> 16);
	c->b[4] = (uint8_t)(c->n >> 8);
	c->b[5] = (uint8_t)c->n;
}

uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t run_raw(struct fix *f, const uint8_t *cmd, size_t len)
{
	uint32_t rc = vtpm_execute(f->t, f->locality, cmd, len, f->rsp, sizeof(f->rsp),
				   &f->rsp_len);

	if (f->rsp_len < 10 || get32(f->rsp + 2) != f->rsp_len || get32(f->rsp + 6) != rc) {
		f->malformed++;
		return rc;
	}
	if (rc != TPM_RC_SUCCESS) {
		if (f->rsp_len != 10 || get16(f->rsp) != TPM_ST_NO_SESSIONS) {
			if (!(rc == TPM_RC_BAD_TAG && get16(f->rsp) == TPM_ST_RSP_COMMAND)) {
				f->malformed++;
			}
		}
	} else if (len < 2 || get16(f->rsp) != get16(cmd)) {
		f->malformed++;
	}
	return rc;
}

uint32_t run(struct fix *f, struct cb *c)
{
	cb_end(c);
	return run_raw(f, c->b, c->n);
}

bool fix_open(struct fix *f)
{
	struct vtpm_platform p = { fake_entropy, fake_clock, &f->plat };
	struct cb c;

	memset(f, 0, sizeof(*f));
	f->plat.entropy_counter = 7;
	f->t = (struct vtpm *)vtpm_mem;
	if (vtpm_size() > sizeof(vtpm_mem) || vtpm_init(f->t, &p) != 0 ||
	    vtpm_manufacture(f->t) != 0) {
		return false;
	}
	vtpm_power_on(f->t);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_STARTUP);
	cb_u16(&c, TPM_SU_CLEAR);
	return run(f, &c) == TPM_RC_SUCCESS;
}

/* ---- OpenSSL oracle --------------------------------------------------------------------- */

const char *const bank_names[4] = { "SHA1", "SHA256", "SHA384", "SHA512" };
const uint16_t bank_algs[4] = { TPM_ALG_SHA1, TPM_ALG_SHA256, TPM_ALG_SHA384,
				       TPM_ALG_SHA512 };
const unsigned int bank_sizes[4] = { 20, 32, 48, 64 };

unsigned int bank_of(uint16_t alg)
{
	for (unsigned int b = 0; b < 4; b++) {
		if (bank_algs[b] == alg) {
			return b;
		}
	}
	return 1;
}

/* H(a || b || c) */
void ossl_hash3(unsigned int bank, const void *a, size_t al, const void *b, size_t bl,
		       const void *c, size_t cl, uint8_t *out)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned int n;

	EVP_DigestInit_ex(m, EVP_get_digestbyname(bank_names[bank]), NULL);
	EVP_DigestUpdate(m, a, al);
	if (bl != 0) {
		EVP_DigestUpdate(m, b, bl);
	}
	if (cl != 0) {
		EVP_DigestUpdate(m, c, cl);
	}
	EVP_DigestFinal_ex(m, out, &n);
	EVP_MD_CTX_free(m);
}

/* HMAC(key, m1 || m2 || m3 || attr) */
void ossl_hmac(unsigned int bank, const uint8_t *key, size_t kl, const uint8_t *m1,
		      size_t l1, const uint8_t *m2, size_t l2, const uint8_t *m3, size_t l3,
		      uint8_t attr, uint8_t *out)
{
	uint8_t msg[512];
	unsigned int n;
	size_t len = 0;

	memcpy(msg + len, m1, l1);
	len += l1;
	memcpy(msg + len, m2, l2);
	len += l2;
	memcpy(msg + len, m3, l3);
	len += l3;
	msg[len++] = attr;
	HMAC(EVP_get_digestbyname(bank_names[bank]), kl ? key : (const uint8_t *)"", (int)kl, msg,
	     len, out, &n);
}

/* KDFa with one output block (bits == digest bits): HMAC(key, [1] || label || 0 || u || v ||
 * [bits]) (Part 1 §11.4.10.2). */
void ossl_kdfa1(unsigned int bank, const char *label, const uint8_t *u, size_t ul,
		       const uint8_t *v, size_t vl, uint8_t *out)
{
	uint8_t msg[256];
	size_t len = 0;
	uint32_t bits = bank_sizes[bank] * 8;
	unsigned int n;

	msg[len++] = 0;
	msg[len++] = 0;
	msg[len++] = 0;
	msg[len++] = 1;
	memcpy(msg + len, label, strlen(label) + 1);
	len += strlen(label) + 1;
	memcpy(msg + len, u, ul);
	len += ul;
	memcpy(msg + len, v, vl);
	len += vl;
	msg[len++] = (uint8_t)(bits >> 24);
	msg[len++] = (uint8_t)(bits >> 16);
	msg[len++] = (uint8_t)(bits >> 8);
	msg[len++] = (uint8_t)bits;
	HMAC(EVP_get_digestbyname(bank_names[bank]), "", 0, msg, len, out, &n);
}

/* ---- sessions as the caller tracks them ------------------------------------------------- */


uint32_t start_session_ex(struct fix *f, uint32_t tpm_key, uint32_t bind,
				 const uint8_t *nonce, uint16_t nonce_len, uint16_t salt_len,
				 uint8_t type, const uint16_t *sym, unsigned int sym_words,
				 uint16_t hash)
{
	struct cb c;
	uint8_t salt[600] = { 0 };

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_START_AUTH_SESSION);
	cb_u32(&c, tpm_key);
	cb_u32(&c, bind);
	cb_tpm2b(&c, nonce, nonce_len);
	cb_tpm2b(&c, salt, salt_len);
	cb_u8(&c, type);
	for (unsigned int i = 0; i < sym_words; i++) {
		cb_u16(&c, sym[i]);
	}
	cb_u16(&c, hash);
	return run(f, &c);
}

const uint16_t sym_null[1] = { TPM_ALG_NULL };

/* Starts a session; fills s (nonceTPM, key for a bound session). key_bits: AES-CFB. */
uint32_t start_session_sym(struct fix *f, struct sess *s, uint8_t type, uint16_t hash,
				  uint32_t bind, uint16_t key_bits)
{
	const uint16_t aes[3] = { TPM_ALG_AES, key_bits, TPM_ALG_CFB };
	uint8_t nonce[64];
	unsigned int bank = bank_of(hash);
	uint16_t ds = (uint16_t)bank_sizes[bank];
	uint32_t rc;

	memset(s, 0, sizeof(*s));
	for (unsigned int i = 0; i < 64; i++) {
		nonce[i] = (uint8_t)(0xA0 + i);
	}
	rc = start_session_ex(f, TPM_RH_NULL, bind, nonce, ds, 0, type,
			      key_bits != 0 ? aes : sym_null, key_bits != 0 ? 3 : 1, hash);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (f->rsp_len != 10u + 4 + 2 + ds || get16(f->rsp + 14) != ds) {
		return 0xFFFFFFFFu;
	}
	s->handle = get32(f->rsp + 10);
	s->bank = bank;
	s->key_bits = key_bits;
	memcpy(s->nonce_tpm, f->rsp + 16, ds);
	if (bind != TPM_RH_NULL) {
		ossl_kdfa1(bank, "ATH", s->nonce_tpm, ds, nonce, ds, s->key);
		s->key_len = ds;
	}
	return TPM_RC_SUCCESS;
}

uint32_t start_session(struct fix *f, struct sess *s, uint8_t type, uint16_t hash,
			      uint32_t bind)
{
	return start_session_sym(f, s, type, hash, bind, 0);
}

/*
 * PCR_Extend(pcr, SHA-256 digest) authorized by HMAC session s. corrupt: 0 = correct HMAC,
 * 1 = flip a bit of the HMAC, 2 = use a stale nonceTPM. nonce_len: nonceCaller size. On
 * success the response HMAC is checked (*rsp_ok) and s's nonceTPM rolled.
 */
void build_hmac_extend(struct cb *c, struct sess *s, uint32_t pcr, const uint8_t *dig,
			      uint8_t attrs, int corrupt, uint16_t nonce_len, uint8_t *nonce_out)
{
	unsigned int ds = bank_sizes[s->bank];
	uint8_t params[64];
	size_t pl = 0;
	uint8_t cc_names[8];
	uint8_t cp[64];
	uint8_t mac[64];
	uint8_t nonce[64];
	uint8_t older[64];

	s->counter++;
	for (unsigned int i = 0; i < 64; i++) {
		nonce[i] = (uint8_t)(s->counter * 7 + i);
	}
	memcpy(nonce_out, nonce, 64);
	/* parameters: TPML_DIGEST_VALUES with one SHA-256 digest */
	params[pl++] = 0;
	params[pl++] = 0;
	params[pl++] = 0;
	params[pl++] = 1;
	params[pl++] = 0;
	params[pl++] = (uint8_t)TPM_ALG_SHA256;
	memcpy(params + pl, dig, 32);
	pl += 32;
	cc_names[0] = 0;
	cc_names[1] = 0;
	cc_names[2] = (uint8_t)(TPM_CC_PCR_EXTEND >> 8);
	cc_names[3] = (uint8_t)TPM_CC_PCR_EXTEND;
	cc_names[4] = (uint8_t)(pcr >> 24);
	cc_names[5] = (uint8_t)(pcr >> 16);
	cc_names[6] = (uint8_t)(pcr >> 8);
	cc_names[7] = (uint8_t)pcr;
	ossl_hash3(s->bank, cc_names, 8, params, pl, NULL, 0, cp);
	memcpy(older, s->nonce_tpm, ds);
	if (corrupt == 2) {
		older[0] ^= 1;
	}
	ossl_hmac(s->bank, s->key, s->key_len, cp, ds, nonce, nonce_len, older, ds, attrs, mac);
	if (corrupt == 1) {
		mac[ds - 1] ^= 0x10;
	}
	cb_start(c, TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND);
	cb_u32(c, pcr);
	cb_u32(c, (uint32_t)(4 + 2 + nonce_len + 1 + 2 + ds));
	cb_u32(c, s->handle);
	cb_tpm2b(c, nonce, nonce_len);
	cb_u8(c, attrs);
	cb_tpm2b(c, mac, (uint16_t)ds);
	cb_bytes(c, params, pl);
	cb_end(c);
}

uint32_t hmac_extend(struct fix *f, struct sess *s, uint32_t pcr, const uint8_t *dig,
			    uint8_t attrs, int corrupt, bool *rsp_ok)
{
	unsigned int ds = bank_sizes[s->bank];
	uint16_t nonce_len = (uint16_t)ds;
	struct cb c;
	uint8_t nonce[64];
	uint8_t rp[64];
	uint8_t mac[64];
	uint8_t hdr[8] = { 0, 0, 0, 0, 0, 0, (uint8_t)(TPM_CC_PCR_EXTEND >> 8),
			   (uint8_t)TPM_CC_PCR_EXTEND };
	uint32_t rc;
	const uint8_t *r;

	*rsp_ok = false;
	build_hmac_extend(&c, s, pcr, dig, attrs, corrupt, nonce_len, nonce);
	rc = run_raw(f, c.b, c.n);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	/* header | parameterSize = 0 | nonceTPM | attributes | hmac */
	r = f->rsp + 10;
	if (f->rsp_len != 10u + 4 + 2 + ds + 1 + 2 + ds || get32(r) != 0 || get16(r + 4) != ds ||
	    r[6 + ds] != attrs || get16(r + 7 + ds) != ds) {
		return rc;
	}
	ossl_hash3(s->bank, hdr, 8, NULL, 0, NULL, 0, rp);
	ossl_hmac(s->bank, s->key, s->key_len, rp, ds, r + 6, ds, nonce, nonce_len, attrs, mac);
	*rsp_ok = memcmp(mac, r + 9 + ds, ds) == 0 && memcmp(s->nonce_tpm, r + 6, ds) != 0;
	memcpy(s->nonce_tpm, r + 6, ds);
	return rc;
}

/* ---- authorized commands ---------------------------------------------------------------- */

size_t entity_name(struct fix *f, uint32_t h, uint8_t *name)
{
	struct cb c;
	size_t at;

	if (h >> 24 != TPM_HT_NV_INDEX) {
		name[0] = (uint8_t)(h >> 24);
		name[1] = (uint8_t)(h >> 16);
		name[2] = (uint8_t)(h >> 8);
		name[3] = (uint8_t)h;
		return 4;
	}
	cb_start(&c, TPM_ST_NO_SESSIONS, 0x169u /* NV_ReadPublic */);
	cb_u32(&c, h);
	if (run(f, &c) != TPM_RC_SUCCESS) {
		return 0;
	}
	at = 10u + 2u + get16(f->rsp + 10);
	memcpy(name, f->rsp + at + 2, get16(f->rsp + at));
	return get16(f->rsp + at);
}

uint32_t auth_cmd_names(struct fix *f, uint32_t cc, const uint32_t *handles, unsigned int nh,
			const struct fauth *a, unsigned int na, const void *params, size_t plen,
			const uint8_t (*names)[70], const size_t *name_lens)
{
	static struct cb c;
	uint8_t nonces[3][64];
	size_t area_at;
	uint32_t rc;

	cb_start(&c, TPM_ST_SESSIONS, cc);
	for (unsigned int i = 0; i < nh; i++) {
		cb_u32(&c, handles[i]);
	}
	area_at = c.n;
	cb_u32(&c, 0);
	for (unsigned int i = 0; i < na; i++) {
		if (a[i].s == NULL) {
			cb_u32(&c, TPM_RS_PW);
			cb_u16(&c, 0);
			cb_u8(&c, 1);
			cb_tpm2b(&c, a[i].pw, (uint16_t)a[i].pw_len);
		} else {
			struct sess *s = a[i].s;
			unsigned int ds = bank_sizes[s->bank];
			uint8_t key[128];
			size_t kl = s->key_len;
			uint8_t hdr[4] = { (uint8_t)(cc >> 24), (uint8_t)(cc >> 16), (uint8_t)(cc >> 8),
					   (uint8_t)cc };
			uint8_t buf[4 + 3 * 70 + 1100];
			size_t bl = 0;
			uint8_t cp[64];
			uint8_t mac[64];

			s->counter++;
			for (unsigned int k = 0; k < 64; k++) {
				nonces[i][k] = (uint8_t)(s->counter * 11 + k);
			}
			memcpy(key, s->key, kl);
			if (a[i].use_auth) {
				size_t pl = a[i].pw_len;

				while (pl > 0 && ((const uint8_t *)a[i].pw)[pl - 1] == 0) {
					pl--;
				}
				if (pl != 0) {
					memcpy(key + kl, a[i].pw, pl);
				}
				kl += pl;
			}
			memcpy(buf, hdr, 4);
			bl = 4;
			for (unsigned int h = 0; h < nh; h++) {
				memcpy(buf + bl, names[h], name_lens[h]);
				bl += name_lens[h];
			}
			if (plen != 0) {
				memcpy(buf + bl, params, plen);
			}
			bl += plen;
			ossl_hash3(s->bank, buf, bl, NULL, 0, NULL, 0, cp);
			ossl_hmac(s->bank, key, kl, cp, ds, nonces[i], ds, s->nonce_tpm, ds, 1, mac);
			cb_u32(&c, s->handle);
			cb_tpm2b(&c, nonces[i], (uint16_t)ds);
			cb_u8(&c, 1);
			cb_tpm2b(&c, mac, (uint16_t)ds);
		}
	}
	{
		uint32_t sz = (uint32_t)(c.n - area_at - 4);

		c.b[area_at] = (uint8_t)(sz >> 24);
		c.b[area_at + 1] = (uint8_t)(sz >> 16);
		c.b[area_at + 2] = (uint8_t)(sz >> 8);
		c.b[area_at + 3] = (uint8_t)sz;
	}
	cb_bytes(&c, params, plen);
	rc = run(f, &c);
	if (rc == TPM_RC_SUCCESS) {
		/* Roll the nonces: header | parameterSize | parameters | sessions. */
		size_t off = 14u + get32(f->rsp + 10);

		for (unsigned int i = 0; i < na && off + 2 <= f->rsp_len; i++) {
			uint16_t nl = get16(f->rsp + off);

			if (a[i].s != NULL) {
				struct sess *s = a[i].s;
				unsigned int ds = bank_sizes[s->bank];
				uint8_t hdr[8] = { 0, 0, 0, 0, (uint8_t)(cc >> 24), (uint8_t)(cc >> 16),
						   (uint8_t)(cc >> 8), (uint8_t)cc };
				const void *pw = a[i].rsp_pw != NULL ? a[i].rsp_pw : a[i].pw;
				size_t pl = a[i].rsp_pw != NULL ? a[i].rsp_pw_len : a[i].pw_len;
				uint8_t key[128];
				size_t kl = s->key_len;
				uint8_t rp[64];
				uint8_t mac[64];
				const uint8_t *hm = f->rsp + off + 2 + nl + 1;

				memcpy(key, s->key, kl);
				while (pl > 0 && ((const uint8_t *)pw)[pl - 1] == 0) {
					pl--;
				}
				if (a[i].use_auth && pl != 0) {
					memcpy(key + kl, pw, pl);
					kl += pl;
				}
				ossl_hash3(s->bank, hdr, 8, f->rsp + 14, get32(f->rsp + 10), NULL, 0,
					   rp);
				ossl_hmac(s->bank, key, kl, rp, ds, f->rsp + off + 2, nl, nonces[i], ds,
					  1, mac);
				if (get16(hm) != ds || memcmp(hm + 2, mac, ds) != 0) {
					f->rsp_hmac_bad++;
				}
				memcpy(s->nonce_tpm, f->rsp + off + 2, nl);
			}
			off += 2u + nl + 1u;
			off += 2u + get16(f->rsp + off);
		}
	}
	return rc;
}

uint32_t auth_cmd(struct fix *f, uint32_t cc, const uint32_t *handles, unsigned int nh,
		  const struct fauth *a, unsigned int na, const void *params, size_t plen)
{
	uint8_t names[3][70];
	size_t lens[3] = { 0 };

	for (unsigned int h = 0; h < nh; h++) {
		lens[h] = entity_name(f, handles[h], names[h]);
	}
	return auth_cmd_names(f, cc, handles, nh, a, na, params, plen,
			      (const uint8_t(*)[70])names, lens);
}
