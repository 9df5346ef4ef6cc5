/*
 * The vTPM host tests' shared fixture (tests/vtpm/session_test.c, context_test.c): an engine
 * instance with deterministic entropy and clock, a command builder, the runner that checks
 * every response's framing, per-bank hash tables, OpenSSL helpers computing the spec's HMAC
 * and KDFa, and session helpers (StartAuthSession, an HMAC-authorized PCR_Extend).
 * Host only (OpenSSL).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtpm/tpm2.h"
#include "vtpm/vtpm.h"

#define SE_HMAC 0u
#define SE_POLICY 1u
#define SE_TRIAL 3u

struct fake_platform {
	uint64_t entropy_counter;
	uint64_t now_ms;
};

struct fix {
	struct vtpm *t;
	struct fake_platform plat;
	uint8_t rsp[VTPM_MAX_RESPONSE_SIZE];
	size_t rsp_len;
	int malformed;
	int rsp_hmac_bad; /* auth_cmd: responses whose session HMAC did not verify */
	uint8_t locality; /* the locality run_raw sends commands from (0 after fix_open) */
};

struct cb {
	uint8_t b[8192];
	size_t n;
};

struct sess {
	uint32_t handle;
	unsigned int bank;
	uint8_t nonce_tpm[64];
	uint8_t key[64];
	size_t key_len;
	uint8_t counter; /* varies nonceCaller */
	uint16_t key_bits; /* AES-CFB key bits, 0 for symmetric TPM_ALG_NULL */
};

extern const char *const bank_names[4];
extern const uint16_t bank_algs[4];
extern const unsigned int bank_sizes[4];
extern const uint16_t sym_null[1];

int fake_entropy(void *ctx, uint8_t *out, size_t len);
uint64_t fake_clock(void *ctx);
void cb_u8(struct cb *c, uint8_t v);
void cb_u16(struct cb *c, uint16_t v);
void cb_u32(struct cb *c, uint32_t v);
void cb_bytes(struct cb *c, const void *p, size_t n);
void cb_tpm2b(struct cb *c, const void *p, uint16_t n);
void cb_start(struct cb *c, uint16_t tag, uint32_t cc);
void cb_end(struct cb *c);
uint32_t get32(const uint8_t *p);
uint16_t get16(const uint8_t *p);
uint32_t run_raw(struct fix *f, const uint8_t *cmd, size_t len);
uint32_t run(struct fix *f, struct cb *c);
bool fix_open(struct fix *f);
unsigned int bank_of(uint16_t alg);
void ossl_hash3(unsigned int bank, const void *a, size_t al, const void *b, size_t bl,
		       const void *c, size_t cl, uint8_t *out);
void ossl_hmac(unsigned int bank, const uint8_t *key, size_t kl, const uint8_t *m1,
		      size_t l1, const uint8_t *m2, size_t l2, const uint8_t *m3, size_t l3,
		      uint8_t attr, uint8_t *out);
void ossl_kdfa1(unsigned int bank, const char *label, const uint8_t *u, size_t ul,
		       const uint8_t *v, size_t vl, uint8_t *out);
uint32_t start_session_ex(struct fix *f, uint32_t tpm_key, uint32_t bind,
				 const uint8_t *nonce, uint16_t nonce_len, uint16_t salt_len,
				 uint8_t type, const uint16_t *sym, unsigned int sym_words,
				 uint16_t hash);
uint32_t start_session_sym(struct fix *f, struct sess *s, uint8_t type, uint16_t hash,
				  uint32_t bind, uint16_t key_bits);
uint32_t start_session(struct fix *f, struct sess *s, uint8_t type, uint16_t hash,
			      uint32_t bind);
void build_hmac_extend(struct cb *c, struct sess *s, uint32_t pcr, const uint8_t *dig,
			      uint8_t attrs, int corrupt, uint16_t nonce_len, uint8_t *nonce_out);
uint32_t hmac_extend(struct fix *f, struct sess *s, uint32_t pcr, const uint8_t *dig,
			    uint8_t attrs, int corrupt, bool *rsp_ok);

/* ---- authorized commands (nv_test.c, hierarchy_test.c) ----------------------------------- */
/* One authorization: a password session (s == NULL, pw is the password) or an HMAC/policy
 * session s whose HMAC key is s->key || pw when use_auth (HMAC sessions, policy sessions
 * after PolicyAuthValue) and s->key alone otherwise. */
struct fauth {
	struct sess *s;
	const void *pw;
	size_t pw_len;
	bool use_auth;
	/* The authValue the response HMAC uses when it differs from pw (the command changed
	 * it: HierarchyChangeAuth, Clear); NULL: pw. */
	const void *rsp_pw;
	size_t rsp_pw_len;
};

/* The Name of h (NV index: from NV_ReadPublic; other handles: the handle); its size. */
size_t entity_name(struct fix *f, uint32_t h, uint8_t *name);
/* cc with handles[nh], na authorizations and the parameter bytes; session nonces are
 * rolled from the response (continueSession set) and response HMACs checked (a mismatch
 * counts in f->rsp_hmac_bad). The response parameters start at
 * f->rsp + 14. name_override (NULL: computed) replaces the Names in cpHash. */
uint32_t auth_cmd(struct fix *f, uint32_t cc, const uint32_t *handles, unsigned int nh,
		  const struct fauth *a, unsigned int na, const void *params, size_t plen);
uint32_t auth_cmd_names(struct fix *f, uint32_t cc, const uint32_t *handles, unsigned int nh,
			const struct fauth *a, unsigned int na, const void *params, size_t plen,
			const uint8_t (*names)[70], const size_t *name_lens);
