/*
 * vtpm_bench: the command stream. Everything here is sent identically to both engines; only
 * the handles the engines return (which each engine picks) differ between the two streams.
 *
 * Templates (TPMT_PUBLIC, Part 2, 12.2.4) are the ones tpm2-tools sends by default:
 *   storage primary (the SRK): ECC P-256, restricted decrypt, AES-128-CFB, fixedTPM,
 *     fixedParent, sensitiveDataOrigin, userWithAuth (tpm2_createprimary's default);
 *   signing keys: ECC P-256 ECDSA-SHA256 / RSA-2048 RSASSA-SHA256, unrestricted sign;
 *   sealed object: KEYEDHASH with scheme NULL, fixedTPM|fixedParent, authPolicy =
 *     PolicyPCR(SHA-256 PCRs 0-7) (tpm2_create -L policy -i secret).
 * CreatePrimary rows use the EK-style full-size unique field (32+32 bytes ECC, 256 bytes RSA)
 * with a counter in its first 4 bytes, so every iteration derives a different key: the
 * RSA prime search costs a different amount for each seed/template, and a fixed template would
 * time one lucky or unlucky key forever.
 */
#include <string.h>

#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "tests/bench/vtpm_bench.h"

/* ---- templates -------------------------------------------------------------------------- */

enum key_kind { KEY_SRK_ECC, KEY_SIGN_ECC, KEY_SIGN_RSA, KEY_STORAGE_RSA };

/*
 * Appends a TPM2B_PUBLIC for kind. full_unique: false for an empty unique field (what Create
 * and tpm2_createprimary send), true for the EK-style full size; *unique_off (if not NULL)
 * receives the offset of the unique field's first byte.
 */
static void put_public(struct cmdbuf *c, enum key_kind kind, bool full_unique, size_t *unique_off)
{
	static const uint8_t zeros[256];
	size_t size_at = c->n;
	bool ecc = kind == KEY_SRK_ECC || kind == KEY_SIGN_ECC;
	bool storage = kind == KEY_SRK_ECC || kind == KEY_STORAGE_RSA;

	cb_u16(c, 0); /* size, patched below */
	cb_u16(c, ecc ? ALG_ECC : ALG_RSA);
	cb_u16(c, ALG_SHA256);
	cb_u32(c, OA_FIXED_TPM | OA_FIXED_PARENT | OA_SENSITIVE_DATA_ORIGIN | OA_USER_WITH_AUTH |
			  (storage ? OA_RESTRICTED | OA_DECRYPT : OA_SIGN));
	cb_u16(c, 0); /* authPolicy: empty */
	if (storage) {
		cb_u16(c, ALG_AES); /* symmetric: AES-128-CFB */
		cb_u16(c, 128);
		cb_u16(c, ALG_CFB);
		cb_u16(c, ALG_NULL); /* scheme */
	} else {
		cb_u16(c, ALG_NULL); /* symmetric */
		cb_u16(c, ecc ? ALG_ECDSA : ALG_RSASSA);
		cb_u16(c, ALG_SHA256);
	}
	if (ecc) {
		cb_u16(c, ECC_NIST_P256);
		cb_u16(c, ALG_NULL); /* kdf */
		if (unique_off) {
			*unique_off = c->n + 2;
		}
		cb_tpm2b(c, zeros, full_unique ? 32 : 0);
		cb_tpm2b(c, zeros, full_unique ? 32 : 0);
	} else {
		cb_u16(c, 2048);
		cb_u32(c, 0); /* exponent: the default 65537 */
		if (unique_off) {
			*unique_off = c->n + 2;
		}
		cb_tpm2b(c, zeros, full_unique ? 256 : 0);
	}
	c->b[size_at] = (uint8_t)((c->n - size_at - 2) >> 8);
	c->b[size_at + 1] = (uint8_t)(c->n - size_at - 2);
}

/* inSensitive (TPM2B_SENSITIVE_CREATE) with an empty userAuth and the given data. */
static void put_sensitive(struct cmdbuf *c, const void *data, size_t len)
{
	cb_u16(c, (uint16_t)(4 + len));
	cb_u16(c, 0);
	cb_tpm2b(c, data, len);
}

static void build_create_primary(struct cmdbuf *c, enum key_kind kind, bool full_unique, size_t *unique_off)
{
	cb_start(c, ST_SESSIONS, CC_CREATE_PRIMARY);
	cb_u32(c, RH_OWNER);
	cb_auth_pw(c);
	put_sensitive(c, NULL, 0);
	put_public(c, kind, full_unique, unique_off);
	cb_u16(c, 0); /* outsideInfo */
	cb_u32(c, 0); /* creationPCR: none */
	cb_finish(c);
}

static void build_create(struct cmdbuf *c, uint32_t parent, enum key_kind kind)
{
	cb_start(c, ST_SESSIONS, CC_CREATE);
	cb_u32(c, parent);
	cb_auth_pw(c);
	put_sensitive(c, NULL, 0);
	put_public(c, kind, false, NULL);
	cb_u16(c, 0);
	cb_u32(c, 0);
	cb_finish(c);
}

/* ---- small helpers ---------------------------------------------------------------------- */

static void fail(struct bench_tpm *s, const char *cmd, uint32_t rc)
{
	s->fail_cmd = cmd;
	s->fail_rc = rc;
}

void flush_handle(struct bench_tpm *s, uint32_t handle)
{
	struct cmdbuf c;
	struct rd r;

	cb_start(&c, ST_NO_SESSIONS, CC_FLUSH_CONTEXT);
	cb_u32(&c, handle);
	cb_finish(&c);
	(void)tpm_run(&s->e, &c, &r);
}

static const uint8_t nonce_caller[32] = { 0x4E, 0x6F, 0x6E, 0x63, 0x65, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
					  12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27 };

/* Unsalted, unbound StartAuthSession of type se (Part 3, 11.1). */
static void build_start_session(struct cmdbuf *c, uint8_t se)
{
	cb_start(c, ST_NO_SESSIONS, CC_START_AUTH_SESSION);
	cb_u32(c, RH_NULL); /* tpmKey: unsalted */
	cb_u32(c, RH_NULL); /* bind: unbound */
	cb_tpm2b(c, nonce_caller, sizeof(nonce_caller));
	cb_u16(c, 0); /* encryptedSalt */
	cb_u8(c, se);
	cb_u16(c, ALG_NULL); /* symmetric: no parameter encryption */
	cb_u16(c, ALG_SHA256);
	cb_finish(c);
}

/* Runs a command whose response starts with a handle; returns rc, *handle on success. */
static uint32_t run_get_handle(struct bench_tpm *s, struct cmdbuf *c, uint32_t *handle)
{
	struct rd r;
	uint32_t rc = tpm_run(&s->e, c, &r);

	if (rc != RC_SUCCESS) {
		return rc;
	}
	*handle = rd_u32(&r);
	return r.bad ? RC_BENCH_BAD : RC_SUCCESS;
}

/* ---- light commands --------------------------------------------------------------------- */

const uint8_t bench_digest[32] = { 0xEE, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
					   16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 };
uint8_t hash_input[1024];

void build_extend(struct cmdbuf *c, uint32_t pcr, const uint8_t digest[32])
{
	cb_start(c, ST_SESSIONS, CC_PCR_EXTEND);
	cb_u32(c, pcr);
	cb_auth_pw(c);
	cb_u32(c, 1); /* TPML_DIGEST_VALUES.count */
	cb_u16(c, ALG_SHA256);
	cb_bytes(c, digest, 32);
	cb_finish(c);
}

void build_pcr_read(struct cmdbuf *c, uint32_t mask)
{
	cb_start(c, ST_NO_SESSIONS, CC_PCR_READ);
	cb_pcr_sel(c, mask);
	cb_finish(c);
}

/* Hash under the owner hierarchy, as tpm2_hash sends by default: the TPM also makes a ticket. */
void build_hash(struct cmdbuf *c)
{
	cb_start(c, ST_NO_SESSIONS, CC_HASH);
	cb_tpm2b(c, hash_input, sizeof(hash_input));
	cb_u16(c, ALG_SHA256);
	cb_u32(c, RH_OWNER);
	cb_finish(c);
}

void bench_tpm_build(struct bench_tpm *s)
{
	for (size_t i = 0; i < sizeof(hash_input); i++) {
		hash_input[i] = (uint8_t)(i * 7 + 3);
	}
	cb_start(&s->getrandom, ST_NO_SESSIONS, CC_GET_RANDOM);
	cb_u16(&s->getrandom, 32);
	cb_finish(&s->getrandom);
	/* PCR 16 (debug PCR, extendable at locality 0): keeps PCRs 0-7 still for PolicyPCR. */
	build_extend(&s->extend, 16, bench_digest);
	build_pcr_read(&s->pcrread, 0xFF);
	build_hash(&s->hash);
	build_start_session(&s->start_hmac, SE_HMAC);
	build_start_session(&s->start_policy, SE_POLICY);
	build_create_primary(&s->cp_ecc, KEY_SRK_ECC, true, &s->cp_ecc_unique);
	build_create_primary(&s->cp_rsa, KEY_STORAGE_RSA, true, &s->cp_rsa_unique);
}

uint32_t op_getrandom(struct bench_tpm *s)
{
	struct rd r;
	const uint8_t *p;
	uint32_t rc = tpm_run(&s->e, &s->getrandom, &r);

	if (rc == RC_SUCCESS && (rd_tpm2b(&r, &p) != 32 || r.off != r.n)) {
		return RC_BENCH_BAD;
	}
	return rc;
}

uint32_t op_extend(struct bench_tpm *s)
{
	struct rd r;

	return tpm_run(&s->e, &s->extend, &r);
}

uint32_t op_pcrread(struct bench_tpm *s)
{
	struct rd r;

	return tpm_run(&s->e, &s->pcrread, &r);
}

uint32_t op_hash(struct bench_tpm *s)
{
	struct rd r;
	const uint8_t *p;
	uint32_t rc = tpm_run(&s->e, &s->hash, &r);

	if (rc == RC_SUCCESS && rd_tpm2b(&r, &p) != 32) {
		return RC_BENCH_BAD;
	}
	return rc;
}

uint32_t op_session(struct bench_tpm *s)
{
	uint32_t h = 0;
	uint32_t rc = run_get_handle(s, &s->start_hmac, &h);
	struct cmdbuf c;
	struct rd r;

	if (rc != RC_SUCCESS) {
		return rc;
	}
	cb_start(&c, ST_NO_SESSIONS, CC_FLUSH_CONTEXT);
	cb_u32(&c, h);
	cb_finish(&c);
	return tpm_run(&s->e, &c, &r);
}

/* ---- objects ---------------------------------------------------------------------------- */

static uint32_t op_create_primary(struct bench_tpm *s, struct cmdbuf *c, size_t unique_off)
{
	uint32_t h = 0;
	uint32_t rc;

	s->cp_counter++;
	c->b[unique_off] = (uint8_t)(s->cp_counter >> 24);
	c->b[unique_off + 1] = (uint8_t)(s->cp_counter >> 16);
	c->b[unique_off + 2] = (uint8_t)(s->cp_counter >> 8);
	c->b[unique_off + 3] = (uint8_t)s->cp_counter;
	rc = run_get_handle(s, c, &h);
	if (rc == RC_SUCCESS) {
		flush_handle(s, h);
	}
	return rc;
}

uint32_t op_cp_ecc(struct bench_tpm *s)
{
	return op_create_primary(s, &s->cp_ecc, s->cp_ecc_unique);
}

uint32_t op_cp_rsa(struct bench_tpm *s)
{
	return op_create_primary(s, &s->cp_rsa, s->cp_rsa_unique);
}

/* Create: returns rc; on success copies outPrivate/outPublic (TPM2B contents) to blob. */
static uint32_t run_create(struct bench_tpm *s, struct cmdbuf *c, struct key_blob *blob)
{
	struct rd r;
	const uint8_t *priv, *pub;
	uint32_t rc = tpm_run(&s->e, c, &r);
	size_t priv_len, pub_len;

	if (rc != RC_SUCCESS) {
		return rc;
	}
	rd_skip(&r, 4); /* parameterSize */
	priv_len = rd_tpm2b(&r, &priv);
	pub_len = rd_tpm2b(&r, &pub);
	if (r.bad || priv_len == 0 || pub_len == 0) {
		return RC_BENCH_BAD;
	}
	if (blob) {
		if (priv_len > sizeof(blob->priv) || pub_len > sizeof(blob->pub)) {
			return RC_BENCH_BAD;
		}
		memcpy(blob->priv, priv, priv_len);
		memcpy(blob->pub, pub, pub_len);
		blob->priv_len = priv_len;
		blob->pub_len = pub_len;
	}
	return RC_SUCCESS;
}

uint32_t op_create_ecc(struct bench_tpm *s)
{
	return run_create(s, &s->create_ecc, NULL);
}

uint32_t op_create_rsa(struct bench_tpm *s)
{
	return run_create(s, &s->create_rsa, NULL);
}

/* Load blob under the SRK; *handle and (if name) the object's Name on success. */
static uint32_t run_load(struct bench_tpm *s, const struct key_blob *blob, uint32_t *handle, uint8_t *name,
			 size_t *name_len)
{
	struct cmdbuf c;
	struct rd r;
	const uint8_t *n;
	uint32_t rc;

	cb_start(&c, ST_SESSIONS, CC_LOAD);
	cb_u32(&c, s->srk);
	cb_auth_pw(&c);
	cb_tpm2b(&c, blob->priv, blob->priv_len);
	cb_tpm2b(&c, blob->pub, blob->pub_len);
	cb_finish(&c);
	rc = tpm_run(&s->e, &c, &r);
	if (rc != RC_SUCCESS) {
		return rc;
	}
	*handle = rd_u32(&r);
	rd_skip(&r, 4); /* parameterSize */
	*name_len = rd_tpm2b(&r, &n);
	if (r.bad || *name_len == 0 || *name_len > 34) {
		return RC_BENCH_BAD;
	}
	if (name) {
		memcpy(name, n, *name_len);
	}
	return RC_SUCCESS;
}

/* The one-time objects: the SRK (kept loaded), two signing keys and the sealed object. */
void bench_tpm_objects(struct bench_tpm *s, const uint8_t *policy, size_t policy_len)
{
	static const char secret[] = BENCH_SECRET;
	struct cmdbuf c;
	size_t at;
	uint32_t rc;

	build_create_primary(&c, KEY_SRK_ECC, false, NULL);
	s->srk_rc = run_get_handle(s, &c, &s->srk);
	if (s->srk_rc != RC_SUCCESS) {
		return;
	}
	build_create(&s->create_ecc, s->srk, KEY_SIGN_ECC);
	build_create(&s->create_rsa, s->srk, KEY_SIGN_RSA);
	s->ecc_blob_rc = run_create(s, &s->create_ecc, &s->ecc_blob);
	s->rsa_blob_rc = run_create(s, &s->create_rsa, &s->rsa_blob);

	/* The sealed object: KEYEDHASH, data supplied by the caller, authPolicy = policy. */
	cb_start(&c, ST_SESSIONS, CC_CREATE);
	cb_u32(&c, s->srk);
	cb_auth_pw(&c);
	put_sensitive(&c, secret, sizeof(secret) - 1);
	at = c.n;
	cb_u16(&c, 0);
	cb_u16(&c, ALG_KEYEDHASH);
	cb_u16(&c, ALG_SHA256);
	cb_u32(&c, OA_FIXED_TPM | OA_FIXED_PARENT);
	cb_tpm2b(&c, policy, policy_len);
	cb_u16(&c, ALG_NULL); /* TPMT_KEYEDHASH_SCHEME: NULL (sealed data) */
	cb_u16(&c, 0);        /* unique */
	c.b[at] = (uint8_t)((c.n - at - 2) >> 8);
	c.b[at + 1] = (uint8_t)(c.n - at - 2);
	cb_u16(&c, 0);
	cb_u32(&c, 0);
	cb_finish(&c);
	rc = run_create(s, &c, &s->seal_blob);
	s->seal_blob_rc = rc;
}

/* Sign rows: load the signing key (Create + Load), or if the engine cannot Create/Load yet
 * but can CreatePrimary, a primary signing key with the same template. */
static uint32_t setup_sign(struct bench_tpm *s, bool ecc)
{
	const struct key_blob *blob = ecc ? &s->ecc_blob : &s->rsa_blob;
	uint32_t blob_rc = ecc ? s->ecc_blob_rc : s->rsa_blob_rc;
	struct key_blob *pub = &s->sign_pub;
	size_t name_len;
	uint32_t rc;

	if (s->srk_rc != RC_SUCCESS) {
		fail(s, "CreatePrimary", s->srk_rc);
		return s->srk_rc;
	}
	s->key = 0;
	if (blob_rc == RC_SUCCESS) {
		rc = run_load(s, blob, &s->key, NULL, &name_len);
		if (rc == RC_SUCCESS) {
			memcpy(pub->pub, blob->pub, blob->pub_len);
			pub->pub_len = blob->pub_len;
		} else {
			fail(s, "Load", rc);
		}
	} else {
		struct cmdbuf c;
		struct rd r;
		const uint8_t *p;

		build_create_primary(&c, ecc ? KEY_SIGN_ECC : KEY_SIGN_RSA, false, NULL);
		rc = tpm_run(&s->e, &c, &r);
		if (rc != RC_SUCCESS) {
			fail(s, "Create", blob_rc);
			return blob_rc;
		}
		s->key = rd_u32(&r);
		rd_skip(&r, 4);
		pub->pub_len = rd_tpm2b(&r, &p);
		if (r.bad || pub->pub_len > sizeof(pub->pub)) {
			return RC_BENCH_BAD;
		}
		memcpy(pub->pub, p, pub->pub_len);
	}
	if (rc != RC_SUCCESS) {
		return rc;
	}
	cb_start(&s->sign, ST_SESSIONS, CC_SIGN);
	cb_u32(&s->sign, s->key);
	cb_auth_pw(&s->sign);
	cb_tpm2b(&s->sign, bench_digest, 32); /* the digest to sign */
	cb_u16(&s->sign, ALG_NULL);            /* inScheme: the key's own */
	cb_u16(&s->sign, ST_HASHCHECK);        /* validation: the NULL ticket */
	cb_u32(&s->sign, RH_NULL);
	cb_u16(&s->sign, 0);
	cb_finish(&s->sign);
	return RC_SUCCESS;
}

uint32_t setup_sign_ecc(struct bench_tpm *s)
{
	return setup_sign(s, true);
}

uint32_t setup_sign_rsa(struct bench_tpm *s)
{
	return setup_sign(s, false);
}

uint32_t op_sign(struct bench_tpm *s)
{
	struct rd r;
	uint32_t rc = tpm_run(&s->e, &s->sign, &r);

	if (rc == RC_SUCCESS) {
		/* parameterSize, then the TPMT_SIGNATURE, then the response auth area */
		s->sig_len = rd_u32(&r);
		if (r.bad || s->sig_len > sizeof(s->sig) || s->sig_len > r.n - r.off) {
			return RC_BENCH_BAD;
		}
		memcpy(s->sig, r.p + r.off, s->sig_len);
	}
	return rc;
}

void teardown_key(struct bench_tpm *s)
{
	if (s->key != 0) {
		flush_handle(s, s->key);
		s->key = 0;
	}
}

uint32_t setup_create(struct bench_tpm *s)
{
	if (s->srk_rc != RC_SUCCESS) {
		fail(s, "CreatePrimary", s->srk_rc);
	}
	return s->srk_rc;
}

/* ---- Unseal with PolicyPCR -------------------------------------------------------------- */

uint32_t setup_unseal(struct bench_tpm *s)
{
	uint32_t rc;

	if (s->srk_rc != RC_SUCCESS) {
		fail(s, "CreatePrimary", s->srk_rc);
		return s->srk_rc;
	}
	if (s->seal_blob_rc != RC_SUCCESS) {
		fail(s, "Create", s->seal_blob_rc);
		return s->seal_blob_rc;
	}
	s->key = 0;
	rc = run_load(s, &s->seal_blob, &s->key, s->seal_name, &s->seal_name_len);
	if (rc != RC_SUCCESS) {
		fail(s, "Load", rc);
	}
	return rc;
}

/*
 * StartAuthSession(policy), PolicyPCR(PCRs 0-7, current values), Unseal authorized by the
 * session. The session is unbound and unsalted and the policy has no PolicyAuthValue, so the
 * HMAC key (sessionKey || authValue, Part 1 §19.6.5) is empty and the command HMAC is
 * HMAC-SHA256("", cpHash || nonceCaller || nonceTPM || sessionAttributes) with
 * cpHash = SHA-256(commandCode || Name(item)). continueSession is clear: Unseal ends the session.
 * The client's side of the HMAC uses OpenSSL (SHA-NI where the CPU has it), so the time it adds
 * to both engines' figures stays small.
 */
uint32_t op_unseal(struct bench_tpm *s)
{
	static const char secret[] = BENCH_SECRET;
	struct cmdbuf c;
	struct rd r;
	const uint8_t *nonce_tpm, *data;
	size_t nonce_len, data_len;
	uint8_t cp[4 + 34], cp_hash[32], hin[32 + 32 + 64 + 1], mac[32];
	uint32_t session, rc = tpm_run(&s->e, &s->start_policy, &r);

	if (rc != RC_SUCCESS) {
		fail(s, "StartAuthSession", rc);
		return rc;
	}
	session = rd_u32(&r);
	nonce_len = rd_tpm2b(&r, &nonce_tpm);
	if (r.bad || nonce_len > 64) {
		fail(s, "StartAuthSession", RC_BENCH_BAD);
		flush_handle(s, session);
		return RC_BENCH_BAD;
	}
	memcpy(hin + 64, nonce_tpm, nonce_len);

	cb_start(&c, ST_NO_SESSIONS, CC_POLICY_PCR);
	cb_u32(&c, session);
	cb_u16(&c, 0); /* pcrDigest: empty, the TPM uses the current values */
	cb_pcr_sel(&c, 0xFF);
	cb_finish(&c);
	rc = tpm_run(&s->e, &c, &r);
	if (rc != RC_SUCCESS) {
		fail(s, "PolicyPCR", rc);
		flush_handle(s, session);
		return rc;
	}

	cp[0] = (uint8_t)(CC_UNSEAL >> 24);
	cp[1] = (uint8_t)(CC_UNSEAL >> 16);
	cp[2] = (uint8_t)(CC_UNSEAL >> 8);
	cp[3] = (uint8_t)CC_UNSEAL;
	memcpy(cp + 4, s->seal_name, s->seal_name_len);
	SHA256(cp, 4 + s->seal_name_len, cp_hash);
	memcpy(hin, cp_hash, 32);
	memcpy(hin + 32, nonce_caller, 32);
	hin[64 + nonce_len] = 0; /* sessionAttributes: continueSession clear */
	if (HMAC(EVP_sha256(), cp, 0, hin, 64 + nonce_len + 1, mac, NULL) == NULL) {
		return RC_BENCH_BAD;
	}

	cb_start(&c, ST_SESSIONS, CC_UNSEAL);
	cb_u32(&c, s->key);
	cb_u32(&c, 4 + 2 + 32 + 1 + 2 + 32);
	cb_u32(&c, session);
	cb_tpm2b(&c, nonce_caller, 32);
	cb_u8(&c, 0);
	cb_tpm2b(&c, mac, 32);
	cb_finish(&c);
	rc = tpm_run(&s->e, &c, &r);
	if (rc != RC_SUCCESS) {
		fail(s, "Unseal", rc);
		flush_handle(s, session);
		return rc;
	}
	rd_skip(&r, 4);
	data_len = rd_tpm2b(&r, &data);
	if (r.bad || data_len != sizeof(secret) - 1 || memcmp(data, secret, data_len) != 0) {
		return RC_BENCH_BAD;
	}
	return RC_SUCCESS;
}

/* A trial session's PolicyPCR(SHA-256 PCRs 0-7) digest (Part 3, 23.7), into out[32]. */
uint32_t policy_pcr_digest(struct bench_tpm *s, uint8_t out[32])
{
	struct cmdbuf c;
	struct rd r;
	const uint8_t *d;
	uint32_t session = 0, rc;

	build_start_session(&c, SE_TRIAL);
	rc = run_get_handle(s, &c, &session);
	if (rc != RC_SUCCESS) {
		return rc;
	}
	cb_start(&c, ST_NO_SESSIONS, CC_POLICY_PCR);
	cb_u32(&c, session);
	cb_u16(&c, 0);
	cb_pcr_sel(&c, 0xFF);
	cb_finish(&c);
	rc = tpm_run(&s->e, &c, &r);
	if (rc == RC_SUCCESS) {
		cb_start(&c, ST_NO_SESSIONS, CC_POLICY_GET_DIGEST);
		cb_u32(&c, session);
		cb_finish(&c);
		rc = tpm_run(&s->e, &c, &r);
		if (rc == RC_SUCCESS && (rd_tpm2b(&r, &d) != 32 || r.bad)) {
			rc = RC_BENCH_BAD;
		}
		if (rc == RC_SUCCESS) {
			memcpy(out, d, 32);
		}
	}
	flush_handle(s, session);
	return rc;
}
