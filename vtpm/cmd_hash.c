/*
 * TPM2_Hash (TPM 2.0 Part 3 §15.4) and TPM2_TestParms (Part 3 §30.3).
 *
 * Hash tickets (TPMT_TK_HASHCHECK, Part 2 §10.7.3): for a hierarchy other than TPM_RH_NULL,
 * and data that does not start with TPM_GENERATED_VALUE, the ticket digest is
 *   HMAC-SHA-256(proof[hierarchy], TPM_ST_HASHCHECK (2 bytes, big-endian) || outHash)
 * (SHA-256 being TPM_PT_CONTEXT_HASH); otherwise the NULL ticket (TPM_ST_HASHCHECK,
 * TPM_RH_NULL, empty digest). Whoever verifies these tickets (TPM2_Sign) recomputes exactly
 * this.
 */
#include "crypto/hmac.h"
#include "vtpm/commands.h"
#include "vtpm/marshal.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

/* TPM2B_MAX_BUFFER: MAX_DIGEST_BUFFER = 1024 bytes. */
#define MAX_DIGEST_BUFFER 1024u

bool vtpm_hierarchy_plus(uint32_t h)
{
	/* TPMI_RH_HIERARCHY+ */
	return h == TPM_RH_OWNER || h == TPM_RH_ENDORSEMENT || h == TPM_RH_PLATFORM ||
	       h == TPM_RH_NULL;
}

static unsigned int hierarchy_index(uint32_t h)
{
	return h == TPM_RH_PLATFORM ? VTPM_HIER_PLATFORM
	       : h == TPM_RH_ENDORSEMENT ? VTPM_HIER_ENDORSEMENT
	       : h == TPM_RH_OWNER ? VTPM_HIER_OWNER
				  : VTPM_HIER_NULL;
}

static void ticket_hmac(const struct vtpm *t, uint32_t hierarchy, const uint8_t *digest,
			size_t digest_size, uint8_t out[VTPM_PROOF_SIZE])
{
	struct hmac_ctx h;
	uint8_t tag[2];

	put_be16(tag, TPM_ST_HASHCHECK);
	hmac_init(&h, HASH_SHA256, t->ps.proofs[hierarchy_index(hierarchy)], VTPM_PROOF_SIZE);
	hmac_update(&h, tag, sizeof(tag));
	hmac_update(&h, digest, digest_size);
	hmac_final(&h, out);
	hmac_wipe(&h);
}

uint32_t vtpm_cmd_hash(struct vtpm *t, struct vtpm_cmd *c)
{
	uint8_t digest[VTPM_MAX_DIGEST];
	const struct vtpm_hash_info *hi;
	const uint8_t *data;
	uint16_t size;
	uint16_t alg;
	uint32_t hierarchy;
	uint32_t rc;

	size = mr_tpm2b(c->in, MAX_DIGEST_BUFFER, &data);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	if (mr_alg_hash(c->in, &alg, false) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	hierarchy = mr_u32(c->in);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 3);
	}
	if (!vtpm_hierarchy_plus(hierarchy)) {
		return rc_param(TPM_RC_VALUE, 3);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	hi = vtpm_hash_info((unsigned int)vtpm_hash_index(alg));
	hash_oneshot(hi->id, data, size, digest);
	mw_tpm2b(c->out, digest, hi->size);
	vtpm_write_hashcheck(t, c->out, hierarchy, digest, hi->size, data, size < 4 ? size : 4);
	return TPM_RC_SUCCESS;
}

void vtpm_write_hashcheck(const struct vtpm *t, struct mw *out, uint32_t hierarchy,
			  const uint8_t *digest, size_t digest_size, const uint8_t *first,
			  size_t first_len)
{
	uint8_t ticket[VTPM_PROOF_SIZE];

	mw_u16(out, TPM_ST_HASHCHECK);
	if (hierarchy == TPM_RH_NULL || (first_len >= 4 && be32(first) == TPM_GENERATED_VALUE)) {
		mw_u32(out, TPM_RH_NULL);
		mw_u16(out, 0);
		return;
	}
	ticket_hmac(t, hierarchy, digest, digest_size, ticket);
	mw_u32(out, hierarchy);
	mw_tpm2b(out, ticket, sizeof(ticket));
}

/*
 * TPMT_PUBLIC_PARMS validation (Part 2 §12.2.3.7 and the structures it contains). Each
 * reader returns the Part 2 code of the first unsupported or malformed field; the whole
 * structure is parameter 1.
 */

static bool is_aes_bits(uint16_t bits)
{
	return bits == 128 || bits == 192 || bits == 256;
}

static bool is_sym_mode(uint16_t mode)
{
	return mode == TPM_ALG_CFB || mode == TPM_ALG_CTR || mode == TPM_ALG_CBC ||
	       mode == TPM_ALG_ECB;
}

/* TPMT_SYM_DEF_OBJECT(+): algorithm, then keyBits and mode unless NULL. */
static uint32_t read_sym_def_object(struct mr *r, bool allow_null)
{
	uint16_t alg = mr_u16(r);
	uint16_t bits;
	uint16_t mode;

	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	if (alg == TPM_ALG_NULL && allow_null) {
		return TPM_RC_SUCCESS;
	}
	if (alg != TPM_ALG_AES) {
		return mr_fail(r, TPM_RC_SYMMETRIC);
	}
	bits = mr_u16(r);
	if (r->rc == TPM_RC_SUCCESS && !is_aes_bits(bits)) {
		return mr_fail(r, TPM_RC_VALUE);
	}
	mode = mr_u16(r);
	if (r->rc == TPM_RC_SUCCESS && !is_sym_mode(mode)) {
		return mr_fail(r, TPM_RC_MODE);
	}
	return r->rc;
}

/* A scheme whose details are one TPMI_ALG_HASH (TPMS_SCHEME_HASH and its aliases). */
static uint32_t read_scheme_hash(struct mr *r)
{
	uint16_t hash;

	return mr_alg_hash(r, &hash, false);
}

static uint32_t read_rsa_parms(struct mr *r)
{
	uint16_t scheme;
	uint16_t bits;
	uint32_t exponent;

	if (read_sym_def_object(r, true) != TPM_RC_SUCCESS) {
		return r->rc;
	}
	/* TPMT_RSA_SCHEME+ */
	scheme = mr_u16(r);
	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	if (scheme == TPM_ALG_RSASSA || scheme == TPM_ALG_RSAPSS || scheme == TPM_ALG_OAEP) {
		if (read_scheme_hash(r) != TPM_RC_SUCCESS) {
			return r->rc;
		}
	} else if (scheme != TPM_ALG_RSAES && scheme != TPM_ALG_NULL) {
		return mr_fail(r, TPM_RC_VALUE);
	}
	/* TPMI_RSA_KEY_BITS: the sizes crypto/rsa.h can generate. */
	bits = mr_u16(r);
	if (r->rc == TPM_RC_SUCCESS && bits != 2048 && bits != 3072 && bits != 4096) {
		return mr_fail(r, TPM_RC_VALUE);
	}
	/* exponent: 0 means the default 2^16 + 1, the only one supported. */
	exponent = mr_u32(r);
	if (r->rc == TPM_RC_SUCCESS && exponent != 0 && exponent != 65537u) {
		return mr_fail(r, TPM_RC_VALUE);
	}
	return r->rc;
}

static uint32_t read_ecc_parms(struct mr *r)
{
	uint16_t scheme;
	uint16_t curve;
	uint16_t kdf;

	if (read_sym_def_object(r, true) != TPM_RC_SUCCESS) {
		return r->rc;
	}
	/* TPMT_ECC_SCHEME+ */
	scheme = mr_u16(r);
	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	if (scheme == TPM_ALG_ECDSA || scheme == TPM_ALG_ECDH) {
		if (read_scheme_hash(r) != TPM_RC_SUCCESS) {
			return r->rc;
		}
	} else if (scheme != TPM_ALG_NULL) {
		return mr_fail(r, TPM_RC_SCHEME);
	}
	/* TPMI_ECC_CURVE */
	curve = mr_u16(r);
	if (r->rc == TPM_RC_SUCCESS && curve != TPM_ECC_NIST_P256 && curve != TPM_ECC_NIST_P384) {
		return mr_fail(r, TPM_RC_CURVE);
	}
	/* TPMT_KDF_SCHEME+ */
	kdf = mr_u16(r);
	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	if (kdf == TPM_ALG_MGF1 || kdf == TPM_ALG_KDF1_SP800_56A || kdf == TPM_ALG_KDF1_SP800_108) {
		return read_scheme_hash(r);
	}
	if (kdf != TPM_ALG_NULL) {
		return mr_fail(r, TPM_RC_KDF);
	}
	return TPM_RC_SUCCESS;
}

static uint32_t read_keyedhash_parms(struct mr *r)
{
	/* TPMT_KEYEDHASH_SCHEME+ */
	uint16_t scheme = mr_u16(r);
	uint16_t kdf;

	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	if (scheme == TPM_ALG_HMAC) {
		return read_scheme_hash(r);
	}
	if (scheme == TPM_ALG_XOR) {
		/* TPMS_SCHEME_XOR: hashAlg, kdf (TPMI_ALG_KDF: the SP 800-108 KDFa). */
		if (read_scheme_hash(r) != TPM_RC_SUCCESS) {
			return r->rc;
		}
		kdf = mr_u16(r);
		if (r->rc == TPM_RC_SUCCESS && kdf != TPM_ALG_KDF1_SP800_108) {
			return mr_fail(r, TPM_RC_KDF);
		}
		return r->rc;
	}
	if (scheme != TPM_ALG_NULL) {
		return mr_fail(r, TPM_RC_VALUE);
	}
	return TPM_RC_SUCCESS;
}

static uint32_t read_symcipher_parms(struct mr *r)
{
	return read_sym_def_object(r, false);
}

static const struct {
	uint16_t type;
	uint32_t (*read)(struct mr *r);
} public_types[] = {
	{ TPM_ALG_RSA, read_rsa_parms },
	{ TPM_ALG_KEYEDHASH, read_keyedhash_parms },
	{ TPM_ALG_ECC, read_ecc_parms },
	{ TPM_ALG_SYMCIPHER, read_symcipher_parms },
};

uint32_t vtpm_cmd_test_parms(struct vtpm *t, struct vtpm_cmd *c)
{
	uint16_t type = mr_u16(c->in);

	(void)t;
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	for (unsigned int i = 0; i < sizeof(public_types) / sizeof(public_types[0]); i++) {
		if (public_types[i].type != type) {
			continue;
		}
		if (public_types[i].read(c->in) != TPM_RC_SUCCESS) {
			return rc_param(c->in->rc, 1);
		}
		return cmd_params_end(c);
	}
	/* TPMI_ALG_PUBLIC */
	return rc_param(TPM_RC_TYPE, 1);
}
