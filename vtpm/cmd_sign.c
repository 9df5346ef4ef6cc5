/*
 * TPM2_Sign (Part 3 §20.2), TPM2_VerifySignature (Part 3 §20.1), TPM2_Quote and
 * TPM2_Certify (Part 3 §18, at the end of the file).
 *
 * Schemes: RSASSA-PKCS1-v1_5 and RSASSA-PSS (salt = digest length) with RSA keys, ECDSA with
 * ECC keys (nonce from the TPM's DRBG, FIPS 186-5 A.3.2), HMAC with KEYEDHASH signing keys
 * (the "signature" is a TPMT_HA: HMAC(key, digest)). The scheme is the key's own when it
 * has one (inScheme must then be TPM_ALG_NULL or the same, else TPM_RC_SCHEME + P2), else
 * inScheme (which must then not be NULL). The digest must have the scheme hash's size
 * (TPM_RC_SIZE + P1).
 *
 * Restricted signing keys sign only digests the TPM hashed itself: validation must be a
 * TPMT_TK_HASHCHECK of this TPM (cmd_hash.c, vtpm_write_hashcheck: HMAC-SHA-256(proof,
 * TPM_ST_HASHCHECK || digest)); a NULL or wrong ticket is TPM_RC_TICKET + P3.
 *
 * VerifySignature returns TPMT_TK_VERIFIED = HMAC-SHA-256(proof, TPM_ST_VERIFIED || digest ||
 * keyName) for a key of a real hierarchy, the NULL ticket for a NULL-hierarchy key (Part 2
 * §10.7.4).
 */
#include "crypto/ct.h"
#include "crypto/ecc.h"
#include "crypto/ecdsa.h"
#include "crypto/hmac.h"
#include "crypto/kdf.h"
#include "crypto/rsa.h"
#include "kernel/string.h"
#include "vtpm/commands.h"
#include "vtpm/keygen.h"
#include "vtpm/object.h"
#include "vtpm/pcr.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

#define TPM_ST_VERIFIED 0x8022u

static unsigned int hier_index(uint32_t h)
{
	return h == TPM_RH_PLATFORM	 ? VTPM_HIER_PLATFORM
	       : h == TPM_RH_ENDORSEMENT ? VTPM_HIER_ENDORSEMENT
	       : h == TPM_RH_OWNER	 ? VTPM_HIER_OWNER
					 : VTPM_HIER_NULL;
}

/* A signing scheme that fits the key's type. */
static bool scheme_fits(const struct vtpm_key *k, uint16_t scheme)
{
	switch (k->pub.type) {
	case TPM_ALG_RSA:
		return scheme == TPM_ALG_RSASSA || scheme == TPM_ALG_RSAPSS;
	case TPM_ALG_ECC:
		return scheme == TPM_ALG_ECDSA;
	case TPM_ALG_KEYEDHASH:
		return scheme == TPM_ALG_HMAC;
	default:
		return false;
	}
}

/* TPMT_SIG_SCHEME+ (Part 2 §11.2.1.5): scheme and its hash (TPM_ALG_NULL: none). */
static uint32_t read_sig_scheme(struct mr *r, uint16_t *scheme, uint16_t *hash)
{
	*scheme = mr_u16(r);
	*hash = TPM_ALG_NULL;
	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	switch (*scheme) {
	case TPM_ALG_RSASSA:
	case TPM_ALG_RSAPSS:
	case TPM_ALG_ECDSA:
	case TPM_ALG_HMAC:
		return mr_alg_hash(r, hash, false);
	case TPM_ALG_NULL:
		return TPM_RC_SUCCESS;
	default:
		return mr_fail(r, TPM_RC_SCHEME);
	}
}

static void ticket_hmac(const struct vtpm *t, uint32_t hierarchy, uint16_t tag,
			const uint8_t *digest, size_t len, const uint8_t *name, size_t name_len,
			uint8_t out[32])
{
	struct hmac_ctx h;
	uint8_t b[2];

	put_be16(b, tag);
	hmac_init(&h, HASH_SHA256, t->ps.proofs[hier_index(hierarchy)], VTPM_PROOF_SIZE);
	hmac_update(&h, b, 2);
	hmac_update(&h, digest, len);
	hmac_update(&h, name, name_len);
	hmac_final(&h, out);
	hmac_wipe(&h);
}

/* Writes the TPMT_SIGNATURE; 0 or TPM_RC_FAILURE. */
static uint32_t do_sign(struct vtpm *t, struct vtpm_cmd *c, const struct vtpm_key *k,
			uint16_t scheme, const struct vtpm_hash_info *hi, const uint8_t *digest)
{
	struct crypto_rng rng = vtpm_crypto_rng(t);
	uint8_t sig[VTPM_RSA_BYTES];
	uint8_t s2[VTPM_ECC_MAX_BYTES];
	int rc = -1;

	if (k->pub.type == TPM_ALG_RSA) {
		if (vtpm_key_rsa_private(t, k) != TPM_RC_SUCCESS) {
			return TPM_RC_FAILURE;
		}
		rc = scheme == TPM_ALG_RSASSA
			     ? rsa_pkcs1_sign(&t->ks.rsa, &rng, hi->id, digest, hi->size, sig,
					      VTPM_RSA_BYTES, &t->ks.kg.op)
			     : rsa_pss_sign(&t->ks.rsa, &rng, hi->id, digest, hi->size,
					    RSA_PSS_SALT_HASHLEN, sig, VTPM_RSA_BYTES, &t->ks.kg.op);
		mem_wipe(&t->ks.rsa, sizeof(t->ks.rsa));
		if (rc == 0) {
			mw_u16(c->out, scheme);
			mw_u16(c->out, hi->alg);
			mw_tpm2b(c->out, sig, VTPM_RSA_BYTES);
		}
	} else if (k->pub.type == TPM_ALG_ECC) {
		const struct ecc_curve *cv = vtpm_curve(k->pub.curve);
		uint16_t n = (uint16_t)ecc_curve_bytes(cv);

		rc = ecdsa_sign_rng(cv, &rng, k->sens.data, digest, hi->size, sig, s2);
		if (rc == 0) {
			mw_u16(c->out, scheme);
			mw_u16(c->out, hi->alg);
			mw_tpm2b(c->out, sig, n);
			mw_tpm2b(c->out, s2, n);
		}
	} else {
		rc = hmac_oneshot(hi->id, k->sens.data, k->sens.data_size, digest, hi->size, sig);
		if (rc == 0) {
			mw_u16(c->out, TPM_ALG_HMAC);
			mw_u16(c->out, hi->alg);
			mw_bytes(c->out, sig, hi->size);
		}
	}
	mem_wipe(sig, sizeof(sig));
	return rc == 0 ? TPM_RC_SUCCESS : TPM_RC_FAILURE;
}

uint32_t vtpm_cmd_sign(struct vtpm *t, struct vtpm_cmd *c)
{
	const struct vtpm_key *k;
	const struct vtpm_hash_info *hi;
	const uint8_t *digest;
	const uint8_t *tk;
	uint16_t digest_len, scheme, hash, tag, tk_len;
	uint32_t tk_hier;
	uint32_t rc;

	digest_len = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &digest);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	if (read_sig_scheme(c->in, &scheme, &hash) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	/* TPMT_TK_HASHCHECK */
	tag = mr_u16(c->in);
	if (c->in->rc == TPM_RC_SUCCESS && tag != TPM_ST_HASHCHECK) {
		mr_fail(c->in, TPM_RC_TAG);
	}
	tk_hier = mr_u32(c->in);
	if (c->in->rc == TPM_RC_SUCCESS && !vtpm_hierarchy_plus(tk_hier)) {
		mr_fail(c->in, TPM_RC_VALUE);
	}
	tk_len = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &tk);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 3);
	}
	rc = cmd_params_end(c);
	if (rc == TPM_RC_SUCCESS) {
		rc = vtpm_object_role_check(t, c->handles[0], c->policy_auth & 1u, false);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	k = vtpm_key_find(t, c->handles[0]);
	if (k == NULL || !k->has_sensitive || !(k->pub.attributes & TPMA_OBJECT_SIGN)) {
		return rc_handle(TPM_RC_KEY, 1);
	}
	/* The key's scheme wins; inScheme must agree or be NULL. */
	if (k->pub.scheme != TPM_ALG_NULL) {
		if (scheme != TPM_ALG_NULL &&
		    (scheme != k->pub.scheme || hash != k->pub.scheme_hash)) {
			return rc_param(TPM_RC_SCHEME, 2);
		}
		scheme = k->pub.scheme;
		hash = k->pub.scheme_hash;
	}
	if (scheme == TPM_ALG_NULL || !scheme_fits(k, scheme)) {
		return rc_param(TPM_RC_SCHEME, 2);
	}
	hi = vtpm_hash_of(hash);
	if (hi == NULL) {
		return rc_param(TPM_RC_SCHEME, 2);
	}
	if (digest_len != hi->size) {
		return rc_param(TPM_RC_SIZE, 1);
	}
	if (k->pub.attributes & TPMA_OBJECT_RESTRICTED) {
		uint8_t want[32];
		bool ok;

		if (tk_hier == TPM_RH_NULL || tk_len != sizeof(want)) {
			return rc_param(TPM_RC_TICKET, 3);
		}
		ticket_hmac(t, tk_hier, TPM_ST_HASHCHECK, digest, digest_len, NULL, 0, want);
		ok = ct_memeq(want, tk, sizeof(want));
		if (!ok) {
			return rc_param(TPM_RC_TICKET, 3);
		}
	}
	return do_sign(t, c, k, scheme, hi, digest);
}

/* Checks sig against k; TPM_RC_SIGNATURE + P2 when it does not verify. */
static uint32_t do_verify(struct vtpm *t, const struct vtpm_key *k, uint16_t scheme,
			  const struct vtpm_hash_info *hi, const uint8_t *digest,
			  const uint8_t *a, uint16_t a_len, const uint8_t *b, uint16_t b_len)
{
	uint8_t r[VTPM_ECC_MAX_BYTES];
	uint8_t s[VTPM_ECC_MAX_BYTES];
	uint8_t mac[VTPM_MAX_DIGEST];
	int rc;

	if (k->pub.type == TPM_ALG_RSA) {
		if (vtpm_key_rsa_public(k, &t->ks.rsa.pub) != TPM_RC_SUCCESS) {
			return rc_handle(TPM_RC_KEY, 1);
		}
		rc = scheme == TPM_ALG_RSASSA
			     ? rsa_pkcs1_verify(&t->ks.rsa.pub, hi->id, digest, hi->size, a, a_len,
						&t->ks.kg.op)
			     : rsa_pss_verify(&t->ks.rsa.pub, hi->id, digest, hi->size, a, a_len,
					      &t->ks.kg.op);
	} else if (k->pub.type == TPM_ALG_ECC) {
		const struct ecc_curve *cv = vtpm_curve(k->pub.curve);
		size_t n = ecc_curve_bytes(cv);
		uint8_t qx[VTPM_ECC_MAX_BYTES] = { 0 };
		uint8_t qy[VTPM_ECC_MAX_BYTES] = { 0 };

		if (a_len > n || b_len > n || k->pub.unique_size > n || k->pub.y_size > n) {
			return rc_param(TPM_RC_SIGNATURE, 2);
		}
		bastion_memset(r, 0, sizeof(r));
		bastion_memset(s, 0, sizeof(s));
		bastion_memcpy(r + n - a_len, a, a_len);
		bastion_memcpy(s + n - b_len, b, b_len);
		bastion_memcpy(qx + n - k->pub.unique_size, k->pub.unique, k->pub.unique_size);
		bastion_memcpy(qy + n - k->pub.y_size, k->pub.y, k->pub.y_size);
		rc = ecdsa_verify(cv, qx, qy, digest, hi->size, r, s);
		if (rc == ECC_ERR_POINT) {
			return rc_handle(TPM_RC_KEY, 1);
		}
	} else {
		if (!k->has_sensitive ||
		    hmac_oneshot(hi->id, k->sens.data, k->sens.data_size, digest, hi->size, mac) !=
			    0) {
			return rc_handle(TPM_RC_KEY, 1);
		}
		rc = ct_memeq(mac, a, hi->size) ? 0 : -1;
		mem_wipe(mac, sizeof(mac));
	}
	return rc == 0 ? TPM_RC_SUCCESS : rc_param(TPM_RC_SIGNATURE, 2);
}

uint32_t vtpm_cmd_verify_signature(struct vtpm *t, struct vtpm_cmd *c)
{
	const struct vtpm_key *k;
	const struct vtpm_hash_info *hi;
	const uint8_t *digest;
	const uint8_t *a = NULL;
	const uint8_t *b = NULL;
	uint16_t digest_len, scheme, hash, a_len = 0, b_len = 0;
	uint8_t ticket[32];
	uint32_t rc;

	digest_len = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &digest);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	/* TPMT_SIGNATURE (Part 2 §11.3.4) */
	if (read_sig_scheme(c->in, &scheme, &hash) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	if (scheme == TPM_ALG_RSASSA || scheme == TPM_ALG_RSAPSS) {
		a_len = mr_tpm2b(c->in, VTPM_RSA_BYTES, &a);
	} else if (scheme == TPM_ALG_ECDSA) {
		a_len = mr_tpm2b(c->in, VTPM_ECC_MAX_BYTES, &a);
		b_len = mr_tpm2b(c->in, VTPM_ECC_MAX_BYTES, &b);
	} else if (scheme == TPM_ALG_HMAC) {
		a_len = vtpm_hash_of_valid(hash)->size;
		a = mr_bytes(c->in, a_len);
	} else {
		mr_fail(c->in, TPM_RC_SCHEME); /* a signature cannot be NULL */
	}
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	k = vtpm_key_find(t, c->handles[0]);
	if (k == NULL || !(k->pub.attributes & TPMA_OBJECT_SIGN)) {
		return rc_handle(TPM_RC_ATTRIBUTES, 1);
	}
	if (!scheme_fits(k, scheme) ||
	    (k->pub.scheme != TPM_ALG_NULL &&
	     (scheme != k->pub.scheme || hash != k->pub.scheme_hash))) {
		return rc_param(TPM_RC_SCHEME, 2);
	}
	hi = vtpm_hash_of(hash);
	if (hi == NULL) {
		return rc_param(TPM_RC_SCHEME, 2);
	}
	if (digest_len != hi->size) {
		return rc_param(TPM_RC_SIZE, 1);
	}
	rc = do_verify(t, k, scheme, hi, digest, a, a_len, b, b_len);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	mw_u16(c->out, TPM_ST_VERIFIED);
	if (k->hierarchy == TPM_RH_NULL) {
		mw_u32(c->out, TPM_RH_NULL);
		mw_u16(c->out, 0);
		return TPM_RC_SUCCESS;
	}
	ticket_hmac(t, k->hierarchy, TPM_ST_VERIFIED, digest, digest_len, k->name, k->name_size,
		    ticket);
	mw_u32(c->out, k->hierarchy);
	mw_tpm2b(c->out, ticket, sizeof(ticket));
	return TPM_RC_SUCCESS;
}

/*
 * Attestation (Part 3 §18: TPM2_Certify §18.2, TPM2_Quote §18.4). The signed structure is
 * TPMS_ATTEST (Part 2 §10.12.12): magic TPM_GENERATED_VALUE, type, qualifiedSigner (the
 * signing key's Qualified Name), extraData (qualifyingData), clockInfo, firmwareVersion and
 * the attested data; it is hashed with the scheme's hash and signed like TPM2_Sign (a
 * restricted key may sign it: it starts with TPM_GENERATED_VALUE). For a signer outside
 * the endorsement and platform hierarchies resetCount, restartCount and firmwareVersion are
 * obfuscated (Part 3 §18.1) by adding KDFa(signer nameAlg, shProof, "OBFUSCATE", signer
 * Name, -, 128). signHandle TPM_RH_NULL gives the attestation unsigned (TPM_ALG_NULL
 * signature). firmwareVersion is TPM_PT_FIRMWARE_VERSION_1 || _2 (cmd_capability.c).
 */
#define TPM_ST_ATTEST_CERTIFY 0x8017u
#define TPM_ST_ATTEST_QUOTE 0x8018u
#define TPM_ST_ATTEST_TIME 0x8019u
#define TPM_ST_ATTEST_CREATION 0x801Au
#define TPM_ST_CREATION 0x8021u
#define VTPM_FIRMWARE_VERSION 0x0000000100000000ull
#define MAX_DATA 66u

struct attest {
	const struct vtpm_key *signer; /* NULL: TPM_RH_NULL */
	uint16_t scheme;
	const struct vtpm_hash_info *hi;
	const uint8_t *extra;
	uint16_t extra_len;
};

/* qualifyingData and inScheme, then the signer's scheme (as TPM2_Sign). Parameter numbers
 * 1 and 2. */
static uint32_t read_attest_scheme(struct vtpm *t, struct vtpm_cmd *c,
				   unsigned int sign_index, struct attest *a, unsigned int pnum);

static uint32_t read_attest(struct vtpm *t, struct vtpm_cmd *c, unsigned int sign_index,
			    struct attest *a)
{
	a->extra_len = mr_tpm2b(c->in, MAX_DATA, &a->extra);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	return read_attest_scheme(t, c, sign_index, a, 2);
}

/* inScheme (parameter pnum), then the signer's scheme rules. */
static uint32_t read_attest_scheme(struct vtpm *t, struct vtpm_cmd *c,
				   unsigned int sign_index, struct attest *a, unsigned int pnum)
{
	uint16_t hash;

	if (read_sig_scheme(c->in, &a->scheme, &hash) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, pnum);
	}
	a->signer = NULL;
	a->hi = NULL;
	if (c->handles[sign_index] == TPM_RH_NULL) {
		return TPM_RC_SUCCESS;
	}
	a->signer = vtpm_key_find(t, c->handles[sign_index]);
	if (a->signer == NULL || !a->signer->has_sensitive ||
	    !(a->signer->pub.attributes & TPMA_OBJECT_SIGN)) {
		return rc_handle(TPM_RC_KEY, sign_index + 1);
	}
	if (a->signer->pub.scheme != TPM_ALG_NULL) {
		if (a->scheme != TPM_ALG_NULL && (a->scheme != a->signer->pub.scheme ||
						  hash != a->signer->pub.scheme_hash)) {
			return rc_param(TPM_RC_SCHEME, pnum);
		}
		a->scheme = a->signer->pub.scheme;
		hash = a->signer->pub.scheme_hash;
	}
	if (a->scheme == TPM_ALG_NULL || !scheme_fits(a->signer, a->scheme)) {
		return rc_param(TPM_RC_SCHEME, pnum);
	}
	a->hi = vtpm_hash_of(hash);
	return a->hi != NULL ? TPM_RC_SUCCESS : rc_param(TPM_RC_SCHEME, pnum);
}

/* resetCount, restartCount and firmwareVersion as a TPMS_ATTEST reports them: obfuscated for
 * a signer outside the endorsement and platform hierarchies (Part 1 "Privacy"; the offsets
 * from KDFa(signer nameAlg, shProof, "OBFUSCATE", signer Name, -, 128)). */
static uint32_t attest_counters(const struct vtpm *t, const struct attest *a, uint64_t *fw,
				uint32_t *resets, uint32_t *restarts)
{
	static const uint8_t label[] = { 'O', 'B', 'F', 'U', 'S', 'C', 'A', 'T', 'E' };
	uint8_t obf[16];

	*fw = VTPM_FIRMWARE_VERSION;
	*resets = t->ps.reset_count;
	*restarts = t->ps.restart_count;
	if (a->signer != NULL && a->signer->hierarchy != TPM_RH_ENDORSEMENT &&
	    a->signer->hierarchy != TPM_RH_PLATFORM) {
		if (kdf_kdfa(vtpm_hash_of_valid(a->signer->pub.name_alg)->id,
			     t->ps.proofs[VTPM_HIER_OWNER], VTPM_PROOF_SIZE, label, sizeof(label),
			     a->signer->name, a->signer->name_size, NULL, 0, 128, obf) != 0) {
			return TPM_RC_FAILURE;
		}
		*fw += (uint64_t)be32(obf) << 32 | be32(obf + 4);
		*resets += be32(obf + 8);
		*restarts += be32(obf + 12);
	}
	return TPM_RC_SUCCESS;
}

/* The TPMS_ATTEST header up to (not including) the attested data. */
static uint32_t attest_header(struct vtpm *t, struct mw *w, const struct attest *a,
			      uint16_t type)
{
	uint64_t fw;
	uint32_t resets, restarts;

	if (attest_counters(t, a, &fw, &resets, &restarts) != TPM_RC_SUCCESS) {
		return TPM_RC_FAILURE;
	}
	mw_u32(w, TPM_GENERATED_VALUE);
	mw_u16(w, type);
	if (a->signer != NULL) {
		mw_tpm2b(w, a->signer->qname, a->signer->qname_size);
	} else {
		mw_u16(w, 0);
	}
	mw_tpm2b(w, a->extra, a->extra_len);
	mw_u64(w, t->clock_base + t->plat.clock_ms(t->plat.ctx));
	mw_u32(w, resets);
	mw_u32(w, restarts);
	mw_u8(w, TPM_YES);
	mw_u64(w, fw);
	return TPM_RC_SUCCESS;
}

/* TPM2B_ATTEST and its TPMT_SIGNATURE. */
static uint32_t finish_attest(struct vtpm *t, struct vtpm_cmd *c, const struct attest *a,
			      const uint8_t *buf, size_t len)
{
	uint8_t digest[VTPM_MAX_DIGEST];

	mw_tpm2b(c->out, buf, (uint16_t)len);
	if (a->signer == NULL) {
		mw_u16(c->out, TPM_ALG_NULL);
		return TPM_RC_SUCCESS;
	}
	if (hash_oneshot(a->hi->id, buf, len, digest) != 0) {
		return TPM_RC_FAILURE;
	}
	return do_sign(t, c, a->signer, a->scheme, a->hi, digest);
}

uint32_t vtpm_cmd_quote(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_pcr_sel sel;
	struct attest a;
	struct hash_ctx h;
	struct mw w;
	uint8_t pcr_digest[VTPM_MAX_DIGEST];
	uint8_t *buf = t->ks.buf;
	uint32_t rc = read_attest(t, c, 0, &a);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (mr_pcr_selection(c->in, &sel) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 3);
	}
	rc = cmd_params_end(c);
	if (rc == TPM_RC_SUCCESS) {
		rc = vtpm_object_role_check(t, c->handles[0], c->policy_auth & 1u, false);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	/* TPMS_QUOTE_INFO: pcrDigest = H_scheme(the selected PCRs of allocated banks, in
	 * selection order); SHA-256 for an unsigned quote. */
	hash_init(&h, a.hi != NULL ? a.hi->id : HASH_SHA256);
	for (uint32_t i = 0; i < sel.count; i++) {
		unsigned int b = (unsigned int)vtpm_hash_index(sel.s[i].hash);

		if (!vtpm_pcr_bank_allocated(t, b)) {
			continue;
		}
		for (uint32_t p = 0; p < VTPM_NUM_PCRS; p++) {
			if (sel.s[i].select[p / 8] & (1u << (p % 8))) {
				hash_update(&h, t->pcr[b][p], vtpm_hash_info(b)->size);
			}
		}
	}
	hash_final(&h, pcr_digest);
	mw_init(&w, buf, sizeof(t->ks.buf));
	rc = attest_header(t, &w, &a, TPM_ST_ATTEST_QUOTE);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	mw_pcr_selection(&w, &sel);
	mw_tpm2b(&w, pcr_digest, a.hi != NULL ? a.hi->size : 32u);
	return w.overflow ? TPM_RC_FAILURE : finish_attest(t, c, &a, buf, w.off);
}

uint32_t vtpm_cmd_certify(struct vtpm *t, struct vtpm_cmd *c)
{
	const struct vtpm_key *obj;
	struct attest a;
	struct mw w;
	uint8_t *buf = t->ks.buf;
	uint32_t rc = read_attest(t, c, 1, &a);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	rc = cmd_params_end(c);
	if (rc == TPM_RC_SUCCESS) {
		rc = vtpm_object_role_check(t, c->handles[0], c->policy_auth & 1u, true);
	}
	if (rc == TPM_RC_SUCCESS) {
		rc = vtpm_object_role_check(t, c->handles[1], (c->policy_auth >> 1) & 1u, false);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	obj = vtpm_key_find(t, c->handles[0]);
	if (obj == NULL) {
		return rc_handle(TPM_RC_TYPE, 1); /* a sequence object has no Name to certify */
	}
	mw_init(&w, buf, sizeof(t->ks.buf));
	rc = attest_header(t, &w, &a, TPM_ST_ATTEST_CERTIFY);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	/* TPMS_CERTIFY_INFO */
	mw_tpm2b(&w, obj->name, obj->name_size);
	mw_tpm2b(&w, obj->qname, obj->qname_size);
	return w.overflow ? TPM_RC_FAILURE : finish_attest(t, c, &a, buf, w.off);
}

/* TPM2_GetTime (Part 3 §18.7): TPMS_TIME_ATTEST_INFO, signed by signHandle (or unsigned for
 * TPM_RH_NULL); privacyAdminHandle is the endorsement hierarchy's authorization. */
uint32_t vtpm_cmd_get_time(struct vtpm *t, struct vtpm_cmd *c)
{
	struct attest a;
	struct mw w;
	uint8_t *buf = t->ks.buf;
	uint64_t fw, since_init;
	uint32_t resets, restarts;
	uint32_t rc = read_attest(t, c, 1, &a);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	rc = cmd_params_end(c);
	if (rc == TPM_RC_SUCCESS) {
		rc = vtpm_object_role_check(t, c->handles[1], (c->policy_auth >> 1) & 1u, false);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (attest_counters(t, &a, &fw, &resets, &restarts) != TPM_RC_SUCCESS) {
		return TPM_RC_FAILURE;
	}
	since_init = t->plat.clock_ms(t->plat.ctx);
	mw_init(&w, buf, sizeof(t->ks.buf));
	rc = attest_header(t, &w, &a, TPM_ST_ATTEST_TIME);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	/* TPMS_TIME_ATTEST_INFO: TPMS_TIME_INFO {time, clockInfo}, firmwareVersion. */
	mw_u64(&w, since_init);
	mw_u64(&w, t->clock_base + since_init);
	mw_u32(&w, resets);
	mw_u32(&w, restarts);
	mw_u8(&w, TPM_YES);
	mw_u64(&w, fw);
	return w.overflow ? TPM_RC_FAILURE : finish_attest(t, c, &a, buf, w.off);
}

/* TPM2_CertifyCreation (Part 3 §18.3): the TPM made objectHandle with creationHash, as the
 * creation ticket from CreatePrimary/Create proves: HMAC(proof of the ticket's hierarchy,
 * TPM_ST_CREATION || Name || creationHash), checked before anything is signed. */
uint32_t vtpm_cmd_certify_creation(struct vtpm *t, struct vtpm_cmd *c)
{
	const struct vtpm_key *obj;
	const uint8_t *creation_hash;
	const uint8_t *ticket;
	uint16_t creation_hash_len, ticket_tag, ticket_len;
	uint32_t ticket_hier;
	uint8_t want[32];
	struct attest a;
	struct mw w;
	uint8_t *buf = t->ks.buf;
	uint32_t rc;
	bool ok;

	a.extra_len = mr_tpm2b(c->in, MAX_DATA, &a.extra);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	creation_hash_len = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &creation_hash);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	rc = read_attest_scheme(t, c, 0, &a, 3);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	ticket_tag = mr_u16(c->in);
	ticket_hier = mr_u32(c->in);
	ticket_len = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &ticket);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 4);
	}
	rc = cmd_params_end(c);
	if (rc == TPM_RC_SUCCESS) {
		rc = vtpm_object_role_check(t, c->handles[0], c->policy_auth & 1u, false);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (ticket_tag != TPM_ST_CREATION) {
		return rc_param(TPM_RC_TAG, 4);
	}
	if (!vtpm_hierarchy_plus(ticket_hier)) {
		return rc_param(TPM_RC_VALUE, 4);
	}
	obj = vtpm_key_find(t, c->handles[1]);
	if (obj == NULL) {
		return rc_handle(TPM_RC_TYPE, 2); /* a sequence object was not created */
	}
	ticket_hmac(t, ticket_hier, TPM_ST_CREATION, obj->name, obj->name_size, creation_hash,
		    creation_hash_len, want);
	ok = ticket_len == sizeof(want) && ct_memeq(ticket, want, sizeof(want));
	mem_wipe(want, sizeof(want));
	if (!ok) {
		return rc_param(TPM_RC_TICKET, 4);
	}
	mw_init(&w, buf, sizeof(t->ks.buf));
	rc = attest_header(t, &w, &a, TPM_ST_ATTEST_CREATION);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	/* TPMS_CREATION_INFO */
	mw_tpm2b(&w, obj->name, obj->name_size);
	mw_tpm2b(&w, creation_hash, creation_hash_len);
	return w.overflow ? TPM_RC_FAILURE : finish_attest(t, c, &a, buf, w.off);
}
