/*
 * Helpers of the object host tests (tests/vtpm/object_test.c, sign_test.c): TPMT_PUBLIC
 * templates, the object commands with a password session, OpenSSL views of TPM keys, and
 * salted-session arithmetic. Host only (OpenSSL).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "tests/vtpm/vtpm_fixture.h"

/* TPMA_OBJECT bits */
#define A_FIXED_TPM (1u << 1)
#define A_ST_CLEAR (1u << 2)
#define A_FIXED_PARENT (1u << 4)
#define A_SDO (1u << 5)
#define A_USER_WITH_AUTH (1u << 6)
#define A_NO_DA (1u << 10)
#define A_RESTRICTED (1u << 16)
#define A_DECRYPT (1u << 17)
#define A_SIGN (1u << 18)
#define A_SRK (A_FIXED_TPM | A_FIXED_PARENT | A_SDO | A_USER_WITH_AUTH | A_NO_DA | \
	       A_RESTRICTED | A_DECRYPT)

/* A TPMT_PUBLIC template being built. */
struct tmpl {
	uint8_t b[700];
	size_t n;
};

/* What a creating command returned. */
struct created {
	uint32_t handle;
	uint8_t pub[700]; /* TPMT_PUBLIC */
	size_t pub_len;
	uint8_t priv[1100]; /* TPM2B_PRIVATE buffer */
	size_t priv_len;
	uint8_t name[70];
	size_t name_len;
};

void t_u16(struct tmpl *t, uint16_t v);
void t_u32(struct tmpl *t, uint32_t v);
void ecc_tmpl(struct tmpl *t, uint32_t attrs, bool sym, uint16_t scheme, uint16_t curve);
void rsa_tmpl(struct tmpl *t, uint32_t attrs, bool sym, uint16_t scheme);
void seal_tmpl(struct tmpl *t, uint32_t attrs, const uint8_t *policy, uint16_t plen);
void ob_cb_pw(struct cb *c, const void *pw, uint16_t len);
void cb_sens(struct cb *c, const void *auth, uint16_t al, const void *data, uint16_t dl);
uint32_t create_primary(struct fix *f, uint32_t hier, const struct tmpl *t,
			       const void *auth, uint16_t al, struct created *out);
uint32_t ob_create(struct fix *f, uint32_t parent, const struct tmpl *t, const void *auth,
		       uint16_t al, const void *data, uint16_t dl, struct created *out);
uint32_t ob_load(struct fix *f, uint32_t parent, const struct created *k, uint32_t *h);
uint32_t ob_flush(struct fix *f, uint32_t h);
uint32_t ob_unseal(struct fix *f, uint32_t h, const void *pw, uint16_t pl);
bool name_ok(const struct created *k);
uint32_t make_srk(struct fix *f, struct created *k);
uint32_t ob_ctx_save(struct fix *f, uint32_t h, uint8_t *out, size_t *n);
uint32_t ob_ctx_load(struct fix *f, const uint8_t *ctx, size_t n);
uint32_t ob_sign(struct fix *f, uint32_t key, const uint8_t *dig, uint16_t dl,
		     uint16_t scheme, const uint8_t *ticket, size_t ticket_len);
EVP_PKEY *ossl_key(const struct created *k);
bool ossl_verify(EVP_PKEY *pkey, int pss, const uint8_t *dig, const uint8_t *sig,
			size_t sl);
size_t ecdsa_der(const uint8_t *p, uint8_t *der);
uint32_t ob_evict(struct fix *f, uint32_t auth, uint32_t obj, uint32_t persistent);
uint32_t ob_cap_handles(struct fix *f, uint32_t from, uint32_t *out);
void kdfa256(const uint8_t *key, size_t kl, const char *label, const uint8_t *u,
		    size_t ul, const uint8_t *v, size_t vl, uint8_t *out);
uint32_t start_salted(struct fix *f, uint32_t tpm_key, const uint8_t *enc, size_t el,
			     const uint8_t *salt, struct sess *s);
