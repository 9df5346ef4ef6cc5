/*
 * The Enhanced Authorization commands beyond cmd_policy.c (TPM 2.0 Part 3 §23): PolicySigned
 * (§23.3), PolicySecret (§23.4), PolicyOR (§23.6), PolicyLocality (§23.8), PolicyNV (§23.9),
 * PolicyCpHash (§23.13), PolicyNameHash (§23.14), PolicyAuthorize (§23.16) and
 * PolicyNvWritten (§23.20).
 *
 * Every command extends the session's policyDigest as Part 3 defines, in trial sessions too.
 * Only a real policy session (not a trial one) makes the immediate checks (nonceTPM, the
 * signature, the entity's authorization, the NV comparison, the verification ticket, the
 * current digest in PolicyOR's list). Deferred assertions (cpHash, nameHash, locality, the
 * NV written state) are recorded in the session (session.h) and checked by the engine's
 * check_policy when the session authorizes a command.
 *
 * Simplifications (documented in docs/vtpm.md): a non-zero expiration in PolicySigned and
 * PolicySecret is refused (TPM_RC_EXPIRED + P1 without a nonceTPM, as Part 3 requires, else
 * TPM_RC_VALUE on the expiration parameter), so no timeout and no policy ticket is ever
 * produced (the response carries the Empty Buffer and the NULL ticket); PolicyTicket is not
 * implemented.
 */
#include "crypto/ct.h"
#include "crypto/ecc.h"
#include "crypto/ecdsa.h"
#include "crypto/hash.h"
#include "crypto/hmac.h"
#include "crypto/rsa.h"
#include "kernel/string.h"
#include "vtpm/commands.h"
#include "vtpm/entity.h"
#include "vtpm/keygen.h"
#include "vtpm/nv.h"
#include "vtpm/object.h"
#include "vtpm/public.h"
#include "vtpm/rc.h"
#include "vtpm/session.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

/* TPM2B_OPERAND and TPM2B_NONCE hold at most sizeof(TPMU_HA). */
#define MAX_OPERAND VTPM_MAX_DIGEST
/* TPML_DIGEST (Part 2 §10.9.3): at most 8 digests; PolicyOR needs at least 2 ({2:}). */
#define OR_MIN 2u
#define OR_MAX 8u
/* TPM_EO (Part 2 §6.8) */
#define TPM_EO_EQ 0x0000u
#define TPM_EO_NEQ 0x0001u
#define TPM_EO_SIGNED_GT 0x0002u
#define TPM_EO_UNSIGNED_GT 0x0003u
#define TPM_EO_SIGNED_LT 0x0004u
#define TPM_EO_UNSIGNED_LT 0x0005u
#define TPM_EO_SIGNED_GE 0x0006u
#define TPM_EO_UNSIGNED_GE 0x0007u
#define TPM_EO_SIGNED_LE 0x0008u
#define TPM_EO_UNSIGNED_LE 0x0009u
#define TPM_EO_BITSET 0x000Au
#define TPM_EO_BITCLEAR 0x000Bu

static struct vtpm_session *session_at(struct vtpm *t, struct vtpm_cmd *c, unsigned int h)
{
	return vtpm_session_find(t, c->handles[h]);
}

/* policyDigest_new = H(policyDigest_old || cc || data[len]). */
static uint32_t extend_cc_data(struct vtpm_session *s, uint32_t cc, const uint8_t *data,
			       size_t len)
{
	struct hash_ctx h;
	uint8_t b[4];

	if (hash_init(&h, vtpm_hash_info(s->hash)->id) != 0) {
		return TPM_RC_FAILURE;
	}
	put_be32(b, cc);
	hash_update(&h, s->policy_digest, s->digest_size);
	hash_update(&h, b, sizeof(b));
	hash_update(&h, data, len);
	hash_final(&h, s->policy_digest);
	return TPM_RC_SUCCESS;
}

/* PolicyUpdate (Part 3 §23.2.3, used by PolicySigned, PolicySecret, PolicyAuthorize):
 * policyDigest = H(policyDigest || cc || name), then policyDigest = H(policyDigest || ref). */
static uint32_t policy_update(struct vtpm_session *s, uint32_t cc, const uint8_t *name,
			      size_t name_len, const uint8_t *ref, size_t ref_len)
{
	if (extend_cc_data(s, cc, name, name_len) != TPM_RC_SUCCESS) {
		return TPM_RC_FAILURE;
	}
	vtpm_session_policy_extend(s, ref, ref_len);
	return TPM_RC_SUCCESS;
}

/* The common parameters of PolicySigned and PolicySecret (Part 3 §23.3/§23.4): nonceTPM (P1)
 * when present must be the session's; a non-zero expiration needs a nonceTPM (TPM_RC_EXPIRED +
 * P1) and is otherwise not supported here (TPM_RC_VALUE + P4); cpHashA (P2) when present has
 * the session's digest size and agrees with a cpHash the session already holds. */
static uint32_t auth_params_check(const struct vtpm_session *s, const uint8_t *nonce,
				  uint16_t nonce_len, const uint8_t *cp, uint16_t cp_len,
				  int32_t expiration)
{
	if (nonce_len != 0 &&
	    (nonce_len != s->digest_size || !ct_memeq(nonce, s->nonce_tpm, s->digest_size))) {
		return rc_param(TPM_RC_NONCE, 1);
	}
	if (expiration != 0) {
		return nonce_len == 0 ? rc_param(TPM_RC_EXPIRED, 1) : rc_param(TPM_RC_VALUE, 4);
	}
	if (cp_len != 0) {
		if (cp_len != s->digest_size) {
			return rc_param(TPM_RC_SIZE, 2);
		}
		if (s->cp_kind != VTPM_CP_NONE &&
		    (s->cp_kind != VTPM_CP_CPHASH || !ct_memeq(cp, s->cp_hash, cp_len))) {
			return TPM_RC_CPHASH;
		}
	}
	return TPM_RC_SUCCESS;
}

static void record_cp(struct vtpm_session *s, const uint8_t *cp, uint16_t cp_len)
{
	if (cp_len != 0) {
		s->cp_kind = VTPM_CP_CPHASH;
		bastion_memcpy(s->cp_hash, cp, cp_len);
	}
}

/* timeout (TPM2B_TIMEOUT, empty) and policyTicket (TPMT_TK_AUTH, the NULL ticket). */
static void write_no_ticket(struct vtpm_cmd *c, uint16_t tag)
{
	mw_u16(c->out, 0);
	mw_u16(c->out, tag);
	mw_u32(c->out, TPM_RH_NULL);
	mw_u16(c->out, 0);
}

/*
 * Part 3 §23.4 TPM2_PolicySecret: the engine has already checked authHandle's authorization
 * (password, HMAC or policy session). policyDigest gets PolicyUpdate(TPM_CC_PolicySecret,
 * authHandle's Name, policyRef).
 */
uint32_t vtpm_cmd_policy_secret(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_session *s = session_at(t, c, 1);
	const uint8_t *nonce, *cp, *ref;
	uint16_t nonce_len, cp_len, ref_len;
	uint8_t name[VTPM_MAX_NAME];
	size_t name_len;
	int32_t expiration;
	uint32_t rc;

	nonce_len = mr_tpm2b(c->in, MAX_OPERAND, &nonce);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	cp_len = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &cp);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	ref_len = mr_tpm2b(c->in, MAX_OPERAND, &ref);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 3);
	}
	expiration = (int32_t)mr_u32(c->in);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 4);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (s == NULL) {
		return TPM_RC_FAILURE;
	}
	if (s->type != TPM_SE_TRIAL) {
		rc = auth_params_check(s, nonce, nonce_len, cp, cp_len, expiration);
		if (rc != TPM_RC_SUCCESS) {
			return rc;
		}
	}
	name_len = vtpm_entity_name(t, c->handles[0], name);
	if (policy_update(s, TPM_CC_POLICY_SECRET, name, name_len, ref, ref_len) !=
	    TPM_RC_SUCCESS) {
		return TPM_RC_FAILURE;
	}
	if (s->type != TPM_SE_TRIAL) {
		record_cp(s, cp, cp_len);
	}
	write_no_ticket(c, TPM_ST_AUTH_SECRET);
	return TPM_RC_SUCCESS;
}

/* TPMT_SIGNATURE (Part 2 §11.3.4) into its scheme, hash and one or two octet strings. */
struct sig {
	uint16_t scheme;
	uint16_t hash;
	const uint8_t *a;
	const uint8_t *b;
	uint16_t a_len;
	uint16_t b_len;
};

static uint32_t read_signature(struct mr *r, struct sig *sg)
{
	sg->scheme = mr_u16(r);
	sg->hash = TPM_ALG_NULL;
	sg->a = NULL;
	sg->b = NULL;
	sg->a_len = 0;
	sg->b_len = 0;
	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	if (sg->scheme != TPM_ALG_RSASSA && sg->scheme != TPM_ALG_RSAPSS &&
	    sg->scheme != TPM_ALG_ECDSA && sg->scheme != TPM_ALG_HMAC) {
		return mr_fail(r, TPM_RC_SCHEME);
	}
	if (mr_alg_hash(r, &sg->hash, false) != TPM_RC_SUCCESS) {
		return r->rc;
	}
	if (sg->scheme == TPM_ALG_ECDSA) {
		sg->a_len = mr_tpm2b(r, VTPM_ECC_MAX_BYTES, &sg->a);
		sg->b_len = mr_tpm2b(r, VTPM_ECC_MAX_BYTES, &sg->b);
	} else if (sg->scheme == TPM_ALG_HMAC) {
		sg->a_len = vtpm_hash_of_valid(sg->hash)->size;
		sg->a = mr_bytes(r, sg->a_len);
	} else {
		sg->a_len = mr_tpm2b(r, VTPM_RSA_BYTES, &sg->a);
	}
	return r->rc;
}

/* Verifies sg over digest (hi's size) with key k: TPM_RC_SUCCESS or TPM_RC_SIGNATURE + P5
 * (TPM_RC_SCHEME + P5 for a scheme the key cannot make, TPM_RC_KEY + H1 for a key that does
 * not verify anything). */
static uint32_t verify(struct vtpm *t, const struct vtpm_key *k, const struct sig *sg,
		       const struct vtpm_hash_info *hi, const uint8_t *digest)
{
	uint8_t mac[VTPM_MAX_DIGEST];
	int rc = -1;

	if (!(k->pub.attributes & TPMA_OBJECT_SIGN)) {
		return rc_handle(TPM_RC_KEY, 1);
	}
	if (k->pub.type == TPM_ALG_RSA &&
	    (sg->scheme == TPM_ALG_RSASSA || sg->scheme == TPM_ALG_RSAPSS)) {
		if (vtpm_key_rsa_public(k, &t->ks.rsa.pub) != TPM_RC_SUCCESS) {
			return rc_handle(TPM_RC_KEY, 1);
		}
		rc = sg->scheme == TPM_ALG_RSASSA
			     ? rsa_pkcs1_verify(&t->ks.rsa.pub, hi->id, digest, hi->size, sg->a,
						sg->a_len, &t->ks.kg.op)
			     : rsa_pss_verify(&t->ks.rsa.pub, hi->id, digest, hi->size, sg->a,
					      sg->a_len, &t->ks.kg.op);
	} else if (k->pub.type == TPM_ALG_ECC && sg->scheme == TPM_ALG_ECDSA) {
		const struct ecc_curve *cv = vtpm_curve(k->pub.curve);
		size_t n = cv != NULL ? ecc_curve_bytes(cv) : 0;
		uint8_t r[VTPM_ECC_MAX_BYTES] = { 0 };
		uint8_t s[VTPM_ECC_MAX_BYTES] = { 0 };
		uint8_t qx[VTPM_ECC_MAX_BYTES] = { 0 };
		uint8_t qy[VTPM_ECC_MAX_BYTES] = { 0 };

		if (n == 0 || k->pub.unique_size > n || k->pub.y_size > n) {
			return rc_handle(TPM_RC_KEY, 1);
		}
		if (sg->a_len > n || sg->b_len > n) {
			return rc_param(TPM_RC_SIGNATURE, 5);
		}
		bastion_memcpy(r + n - sg->a_len, sg->a, sg->a_len);
		bastion_memcpy(s + n - sg->b_len, sg->b, sg->b_len);
		bastion_memcpy(qx + n - k->pub.unique_size, k->pub.unique, k->pub.unique_size);
		bastion_memcpy(qy + n - k->pub.y_size, k->pub.y, k->pub.y_size);
		rc = ecdsa_verify(cv, qx, qy, digest, hi->size, r, s);
		if (rc == ECC_ERR_POINT) {
			return rc_handle(TPM_RC_KEY, 1);
		}
	} else if (k->pub.type == TPM_ALG_KEYEDHASH && sg->scheme == TPM_ALG_HMAC) {
		if (!k->has_sensitive ||
		    hmac_oneshot(hi->id, k->sens.data, k->sens.data_size, digest, hi->size, mac) !=
			    0) {
			return rc_handle(TPM_RC_KEY, 1);
		}
		rc = ct_memeq(mac, sg->a, hi->size) ? 0 : -1;
		mem_wipe(mac, sizeof(mac));
	} else {
		return rc_param(TPM_RC_SCHEME, 5);
	}
	return rc == 0 ? TPM_RC_SUCCESS : rc_param(TPM_RC_SIGNATURE, 5);
}

/*
 * Part 3 §23.3 TPM2_PolicySigned: auth is a signature by authObject over
 * aHash = H_sigHash(nonceTPM || expiration || cpHashA || policyRef). policyDigest gets
 * PolicyUpdate(TPM_CC_PolicySigned, authObject's Name, policyRef). A trial session checks
 * neither the nonce nor the signature.
 */
uint32_t vtpm_cmd_policy_signed(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_session *s = session_at(t, c, 1);
	const struct vtpm_key *k;
	const struct vtpm_hash_info *hi;
	const uint8_t *nonce, *cp, *ref;
	uint16_t nonce_len, cp_len, ref_len;
	uint8_t digest[VTPM_MAX_DIGEST];
	uint8_t exp_be[4];
	struct hash_ctx h;
	struct sig sg;
	int32_t expiration;
	uint32_t rc;

	nonce_len = mr_tpm2b(c->in, MAX_OPERAND, &nonce);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	cp_len = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &cp);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	ref_len = mr_tpm2b(c->in, MAX_OPERAND, &ref);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 3);
	}
	expiration = (int32_t)mr_u32(c->in);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 4);
	}
	if (read_signature(c->in, &sg) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 5);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	k = vtpm_key_find(t, c->handles[0]);
	if (s == NULL) {
		return TPM_RC_FAILURE;
	}
	if (k == NULL) {
		return rc_handle(TPM_RC_HANDLE, 1); /* a sequence object signs nothing */
	}
	if (s->type != TPM_SE_TRIAL) {
		rc = auth_params_check(s, nonce, nonce_len, cp, cp_len, expiration);
		if (rc != TPM_RC_SUCCESS) {
			return rc;
		}
		hi = vtpm_hash_of_valid(sg.hash);
		put_be32(exp_be, (uint32_t)expiration);
		if (hash_init(&h, hi->id) != 0) {
			return TPM_RC_FAILURE;
		}
		hash_update(&h, nonce, nonce_len);
		hash_update(&h, exp_be, sizeof(exp_be));
		hash_update(&h, cp, cp_len);
		hash_update(&h, ref, ref_len);
		hash_final(&h, digest);
		rc = verify(t, k, &sg, hi, digest);
		if (rc != TPM_RC_SUCCESS) {
			return rc;
		}
	}
	if (policy_update(s, TPM_CC_POLICY_SIGNED, k->name, k->name_size, ref, ref_len) !=
	    TPM_RC_SUCCESS) {
		return TPM_RC_FAILURE;
	}
	if (s->type != TPM_SE_TRIAL) {
		record_cp(s, cp, cp_len);
	}
	write_no_ticket(c, TPM_ST_AUTH_SIGNED);
	return TPM_RC_SUCCESS;
}

/*
 * Part 3 §23.6 TPM2_PolicyOR: pHashList (TPML_DIGEST, 2..8 entries, else TPM_RC_SIZE + P1).
 * Unless trial, the current policyDigest must be one of them (TPM_RC_VALUE + P1). Then
 * policyDigest = H(Zero Digest || TPM_CC_PolicyOR || digest_1 || ... || digest_n).
 */
uint32_t vtpm_cmd_policy_or(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_session *s = session_at(t, c, 0);
	const uint8_t *d[OR_MAX];
	uint16_t len[OR_MAX];
	uint32_t count = mr_u32(c->in);
	uint8_t b[4];
	struct hash_ctx h;
	bool found = false;
	uint32_t rc;

	if (c->in->rc == TPM_RC_SUCCESS && (count < OR_MIN || count > OR_MAX)) {
		mr_fail(c->in, TPM_RC_SIZE);
	}
	for (uint32_t i = 0; c->in->rc == TPM_RC_SUCCESS && i < count; i++) {
		len[i] = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &d[i]);
	}
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (s == NULL) {
		return TPM_RC_FAILURE;
	}
	for (uint32_t i = 0; i < count; i++) {
		if (len[i] == s->digest_size && ct_memeq(d[i], s->policy_digest, s->digest_size)) {
			found = true;
		}
	}
	if (s->type != TPM_SE_TRIAL && !found) {
		return rc_param(TPM_RC_VALUE, 1);
	}
	if (hash_init(&h, vtpm_hash_info(s->hash)->id) != 0) {
		return TPM_RC_FAILURE;
	}
	bastion_memset(s->policy_digest, 0, sizeof(s->policy_digest));
	put_be32(b, TPM_CC_POLICY_OR);
	hash_update(&h, s->policy_digest, s->digest_size);
	hash_update(&h, b, sizeof(b));
	for (uint32_t i = 0; i < count; i++) {
		hash_update(&h, d[i], len[i]);
	}
	hash_final(&h, s->policy_digest);
	return TPM_RC_SUCCESS;
}

/*
 * Part 3 §23.8 TPM2_PolicyLocality: locality (TPMA_LOCALITY) is a mask of localities 0-4
 * (values below 32) or one extended locality (32-255). A second PolicyLocality narrows a
 * mask to the intersection; an empty intersection, mixing the two forms, two different
 * extended localities or 0 are TPM_RC_RANGE + P1. The digest takes the locality as given.
 */
uint32_t vtpm_cmd_policy_locality(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_session *s = session_at(t, c, 0);
	uint8_t loc = mr_u8(c->in);
	uint8_t now;
	uint32_t rc;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (s == NULL) {
		return TPM_RC_FAILURE;
	}
	now = loc;
	if (loc == 0) {
		return rc_param(TPM_RC_RANGE, 1);
	}
	if (s->locality != 0) {
		if (loc < 32 && s->locality < 32) {
			now = (uint8_t)(s->locality & loc);
		} else if (loc != s->locality) {
			now = 0;
		}
		if (now == 0) {
			return rc_param(TPM_RC_RANGE, 1);
		}
	}
	if (extend_cc_data(s, TPM_CC_POLICY_LOCALITY, &loc, 1) != TPM_RC_SUCCESS) {
		return TPM_RC_FAILURE;
	}
	s->locality = now;
	return TPM_RC_SUCCESS;
}

/* PolicyCpHash (Part 3 §23.13) and PolicyNameHash (§23.14): a digest of the session's size
 * (TPM_RC_SIZE + P1) recorded for check_policy; a session holds at most one of the two, and
 * a second PolicyCpHash must repeat the first (TPM_RC_CPHASH otherwise). */
static uint32_t policy_cp(struct vtpm *t, struct vtpm_cmd *c, uint8_t kind, uint32_t cc)
{
	struct vtpm_session *s = session_at(t, c, 0);
	const uint8_t *d;
	uint16_t len = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &d);
	uint32_t rc;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (s == NULL) {
		return TPM_RC_FAILURE;
	}
	if (len != s->digest_size) {
		return rc_param(TPM_RC_SIZE, 1);
	}
	if (s->cp_kind != VTPM_CP_NONE &&
	    (kind == VTPM_CP_NAMEHASH || s->cp_kind != kind ||
	     !ct_memeq(s->cp_hash, d, len))) {
		return TPM_RC_CPHASH;
	}
	if (extend_cc_data(s, cc, d, len) != TPM_RC_SUCCESS) {
		return TPM_RC_FAILURE;
	}
	s->cp_kind = kind;
	bastion_memcpy(s->cp_hash, d, len);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_policy_cphash(struct vtpm *t, struct vtpm_cmd *c)
{
	return policy_cp(t, c, VTPM_CP_CPHASH, TPM_CC_POLICY_CPHASH);
}

uint32_t vtpm_cmd_policy_name_hash(struct vtpm *t, struct vtpm_cmd *c)
{
	return policy_cp(t, c, VTPM_CP_NAMEHASH, TPM_CC_POLICY_NAME_HASH);
}

/*
 * Part 3 §23.20 TPM2_PolicyNvWritten: writtenSet (TPMI_YES_NO, else TPM_RC_VALUE + P1);
 * a different value than an earlier PolicyNvWritten: TPM_RC_VALUE + P1. policyDigest =
 * H(old || TPM_CC_PolicyNvWritten || writtenSet).
 */
uint32_t vtpm_cmd_policy_nv_written(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_session *s = session_at(t, c, 0);
	uint8_t set = mr_u8(c->in);
	uint32_t rc;

	if (c->in->rc == TPM_RC_SUCCESS && set > TPM_YES) {
		mr_fail(c->in, TPM_RC_VALUE);
	}
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (s == NULL) {
		return TPM_RC_FAILURE;
	}
	if (s->nv_written_set && s->nv_written != (set == TPM_YES)) {
		return rc_param(TPM_RC_VALUE, 1);
	}
	if (extend_cc_data(s, TPM_CC_POLICY_NV_WRITTEN, &set, 1) != TPM_RC_SUCCESS) {
		return TPM_RC_FAILURE;
	}
	s->nv_written_set = true;
	s->nv_written = set == TPM_YES;
	return TPM_RC_SUCCESS;
}

/* A op B over n big-endian octets; signed comparisons read two's complement (TCG errata for
 * Library 1.59 v1.4 §2.5). */
static bool nv_compare(const uint8_t *a, const uint8_t *b, size_t n, uint16_t op)
{
	int cmp = 0;
	bool neg_a, neg_b;

	if (op == TPM_EO_BITSET || op == TPM_EO_BITCLEAR) {
		bool all = true;
		bool none = true;

		for (size_t i = 0; i < n; i++) {
			all = all && (a[i] & b[i]) == b[i];
			none = none && (a[i] & b[i]) == 0;
		}
		return op == TPM_EO_BITSET ? all : none;
	}
	for (size_t i = 0; i < n && cmp == 0; i++) {
		cmp = a[i] < b[i] ? -1 : a[i] > b[i] ? 1 : 0;
	}
	neg_a = n != 0 && (a[0] & 0x80u);
	neg_b = n != 0 && (b[0] & 0x80u);
	if (op == TPM_EO_SIGNED_GT || op == TPM_EO_SIGNED_LT || op == TPM_EO_SIGNED_GE ||
	    op == TPM_EO_SIGNED_LE) {
		if (neg_a != neg_b) {
			cmp = neg_a ? -1 : 1;
		}
	}
	switch (op) {
	case TPM_EO_EQ:
		return cmp == 0;
	case TPM_EO_NEQ:
		return cmp != 0;
	case TPM_EO_SIGNED_GT:
	case TPM_EO_UNSIGNED_GT:
		return cmp > 0;
	case TPM_EO_SIGNED_LT:
	case TPM_EO_UNSIGNED_LT:
		return cmp < 0;
	case TPM_EO_SIGNED_GE:
	case TPM_EO_UNSIGNED_GE:
		return cmp >= 0;
	default:
		return cmp <= 0;
	}
}

/* The NV read authorization of PolicyNV (as TPM2_NV_Read, Part 3 §31.13): authHandle
 * TPM_RH_OWNER needs OWNERREAD, TPM_RH_PLATFORM PPREAD, the index itself AUTHREAD (password
 * or HMAC) or POLICYREAD (policy session); anything else TPM_RC_NV_AUTHORIZATION. */
static uint32_t nv_read_auth(const struct vtpm_cmd *c, const struct vtpm_nv_index *x)
{
	uint32_t h = c->handles[0];
	uint32_t bit = h == TPM_RH_OWNER	    ? TPMA_NV_OWNERREAD
		       : h == TPM_RH_PLATFORM ? TPMA_NV_PPREAD
		       : h != x->handle	    ? 0
		       : (c->policy_auth & 1u) ? TPMA_NV_POLICYREAD
					       : TPMA_NV_AUTHREAD;

	return bit != 0 && (x->attributes & bit) ? TPM_RC_SUCCESS : TPM_RC_NV_AUTHORIZATION;
}

/*
 * Part 3 §23.9 TPM2_PolicyNV: unless trial, the index must be readable by authHandle
 * (TPM_RC_NV_AUTHORIZATION), not read-locked (TPM_RC_NV_LOCKED), written
 * (TPM_RC_NV_UNINITIALIZED); offset within the data (TPM_RC_VALUE + P2), operandB fitting
 * from offset (TPM_RC_SIZE + P1); and (data[offset..] operation operandB) must hold
 * (TPM_RC_POLICY). policyDigest = H(old || TPM_CC_PolicyNV || args || nvIndex Name),
 * args = H(operandB || offset || operation).
 */
uint32_t vtpm_cmd_policy_nv(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_session *s = session_at(t, c, 2);
	const struct vtpm_nv_index *x;
	const uint8_t *operand;
	uint16_t operand_len, offset, op;
	uint8_t name[VTPM_MAX_NAME];
	uint8_t args[VTPM_MAX_DIGEST + VTPM_MAX_NAME];
	size_t name_len;
	struct hash_ctx h;
	uint8_t b[4];
	uint32_t rc;

	operand_len = mr_tpm2b(c->in, MAX_OPERAND, &operand);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	offset = mr_u16(c->in);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	op = mr_u16(c->in);
	if (c->in->rc == TPM_RC_SUCCESS && op > TPM_EO_BITCLEAR) {
		mr_fail(c->in, TPM_RC_VALUE);
	}
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 3);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	x = vtpm_nv_find(t, c->handles[1]);
	if (s == NULL || x == NULL) {
		return TPM_RC_FAILURE;
	}
	if (s->type != TPM_SE_TRIAL) {
		rc = nv_read_auth(c, x);
		if (rc != TPM_RC_SUCCESS) {
			return rc;
		}
		if (x->attributes & TPMA_NV_READLOCKED) {
			return TPM_RC_NV_LOCKED;
		}
		if (!(x->attributes & TPMA_NV_WRITTEN)) {
			return TPM_RC_NV_UNINITIALIZED;
		}
		if (offset > x->data_size) {
			return rc_param(TPM_RC_VALUE, 2);
		}
		if ((size_t)offset + operand_len > x->data_size) {
			return rc_param(TPM_RC_SIZE, 1);
		}
		if (!nv_compare(vtpm_nv_data(t, x) + offset, operand, operand_len, op)) {
			return TPM_RC_POLICY;
		}
	}
	name_len = vtpm_nv_name(t, c->handles[1], name);
	if (hash_init(&h, vtpm_hash_info(s->hash)->id) != 0) {
		return TPM_RC_FAILURE;
	}
	hash_update(&h, operand, operand_len);
	put_be16(b, offset);
	put_be16(b + 2, op);
	hash_update(&h, b, 4);
	hash_final(&h, args);
	bastion_memcpy(args + s->digest_size, name, name_len);
	return extend_cc_data(s, TPM_CC_POLICY_NV, args, s->digest_size + name_len);
}

static unsigned int proof_of(uint32_t hierarchy)
{
	return hierarchy == TPM_RH_PLATFORM	 ? VTPM_HIER_PLATFORM
	       : hierarchy == TPM_RH_ENDORSEMENT ? VTPM_HIER_ENDORSEMENT
	       : hierarchy == TPM_RH_OWNER	 ? VTPM_HIER_OWNER
					 : VTPM_HIER_NULL;
}

/*
 * Part 3 §23.16 TPM2_PolicyAuthorize: approvedPolicy (P1) must be the current policyDigest
 * (TPM_RC_VALUE + P1); keySign (P3) is a Name (nameAlg || digest: TPM_RC_HASH / TPM_RC_SIZE
 * + P3); checkTicket (P4) is the TPMT_TK_VERIFIED that TPM2_VerifySignature made for
 * aHash = H_nameAlg(approvedPolicy || policyRef) with that key: HMAC-SHA-256(proof of its
 * hierarchy, TPM_ST_VERIFIED || aHash || keySign) (cmd_sign.c). A wrong tag is TPM_RC_TAG + P4,
 * a ticket that does not verify (a NULL ticket included) TPM_RC_POLICY_FAIL + P4. Trial
 * sessions skip these checks. Then policyDigest = Zero Digest and PolicyUpdate(
 * TPM_CC_PolicyAuthorize, keySign, policyRef).
 */
uint32_t vtpm_cmd_policy_authorize(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_session *s = session_at(t, c, 0);
	const uint8_t *approved, *ref, *key, *tk;
	uint16_t approved_len, ref_len, key_len, tk_len, tk_tag;
	uint32_t tk_hier;
	uint8_t a_hash[VTPM_MAX_DIGEST];
	uint8_t mac[32];
	struct hmac_ctx m;
	struct hash_ctx h;
	uint8_t b[2];
	uint32_t rc;

	approved_len = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &approved);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	ref_len = mr_tpm2b(c->in, MAX_OPERAND, &ref);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	key_len = mr_tpm2b(c->in, VTPM_MAX_NAME, &key);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 3);
	}
	tk_tag = mr_u16(c->in);
	tk_hier = mr_u32(c->in);
	tk_len = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &tk);
	if (c->in->rc == TPM_RC_SUCCESS && !vtpm_hierarchy_plus(tk_hier)) {
		mr_fail(c->in, TPM_RC_VALUE); /* TPMI_RH_HIERARCHY+ */
	}
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 4);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (s == NULL) {
		return TPM_RC_FAILURE;
	}
	if (s->type != TPM_SE_TRIAL) {
		const struct vtpm_hash_info *hi;
		bool ok;

		if (approved_len != s->digest_size ||
		    !ct_memeq(approved, s->policy_digest, s->digest_size)) {
			return rc_param(TPM_RC_VALUE, 1);
		}
		hi = key_len >= 2 ? vtpm_hash_of(be16(key)) : NULL;
		if (hi == NULL) {
			return rc_param(TPM_RC_HASH, 3);
		}
		if (key_len != 2u + hi->size) {
			return rc_param(TPM_RC_SIZE, 3);
		}
		if (tk_tag != TPM_ST_VERIFIED_TICKET) {
			return rc_param(TPM_RC_TAG, 4);
		}
		if (hash_init(&h, hi->id) != 0) {
			return TPM_RC_FAILURE;
		}
		hash_update(&h, approved, approved_len);
		hash_update(&h, ref, ref_len);
		hash_final(&h, a_hash);
		put_be16(b, TPM_ST_VERIFIED_TICKET);
		if (hmac_init(&m, HASH_SHA256, t->ps.proofs[proof_of(tk_hier)], VTPM_PROOF_SIZE) !=
		    0) {
			return TPM_RC_FAILURE;
		}
		hmac_update(&m, b, 2);
		hmac_update(&m, a_hash, hi->size);
		hmac_update(&m, key, key_len);
		hmac_final(&m, mac);
		hmac_wipe(&m);
		ok = proof_of(tk_hier) != VTPM_HIER_NULL && tk_len == sizeof(mac) &&
		     ct_memeq(tk, mac, sizeof(mac));
		mem_wipe(mac, sizeof(mac));
		if (!ok) {
			return rc_param(TPM_RC_POLICY_FAIL, 4);
		}
	}
	bastion_memset(s->policy_digest, 0, sizeof(s->policy_digest));
	return policy_update(s, TPM_CC_POLICY_AUTHORIZE, key, key_len, ref, ref_len);
}
