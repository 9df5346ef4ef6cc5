/*
 * TPM2_StartAuthSession (Part 3 §11.1) and TPM2_FlushContext (Part 3 §28.4) for sessions and
 * transient objects (sequence and key objects).
 *
 * The engine has validated the handles: tpmKey (TPMI_DH_OBJECT+) is TPM_RH_NULL or a loaded
 * or persistent object (salted sessions, see below); bind (TPMI_DH_ENTITY+) is TPM_RH_NULL, a
 * PCR, a hierarchy, an object or an NV index.
 */
#include "crypto/kdf.h"
#include "vtpm/entity.h"
#include "kernel/string.h"
#include "vtpm/commands.h"
#include "vtpm/keygen.h"
#include "vtpm/object.h"
#include "vtpm/random.h"
#include "vtpm/rc.h"
#include "vtpm/session.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

/* TPM2B_ENCRYPTED_SECRET holds sizeof(TPMU_ENCRYPTED_SECRET): an RSA-4096 block. */
#define MAX_ENCRYPTED_SECRET 512u

/* TPMT_SYM_DEF+ (Part 2 §11.1.6): algorithm, keyBits and mode per TPMU_SYM_KEY_BITS /
 * TPMU_SYM_MODE. Unknown algorithm: TPM_RC_SYMMETRIC; bad AES key size: TPM_RC_VALUE; bad
 * mode: TPM_RC_MODE; bad XOR hash: TPM_RC_HASH. */
static uint32_t mr_sym_def(struct mr *r, uint16_t *alg, uint16_t *key_bits, uint16_t *mode)
{
	*alg = mr_u16(r);
	*mode = TPM_ALG_NULL;
	*key_bits = 0;
	if (r->rc != TPM_RC_SUCCESS || *alg == TPM_ALG_NULL) {
		return r->rc;
	}
	if (*alg == TPM_ALG_AES) {
		uint16_t bits = mr_u16(r);

		*key_bits = bits;
		*mode = mr_u16(r);
		if (r->rc != TPM_RC_SUCCESS) {
			return r->rc;
		}
		if (bits != 128 && bits != 192 && bits != 256) {
			return mr_fail(r, TPM_RC_VALUE);
		}
		if (*mode != TPM_ALG_CTR && *mode != TPM_ALG_OFB && *mode != TPM_ALG_CBC &&
		    *mode != TPM_ALG_CFB && *mode != TPM_ALG_ECB && *mode != TPM_ALG_NULL) {
			return mr_fail(r, TPM_RC_MODE);
		}
		return TPM_RC_SUCCESS;
	}
	if (*alg == TPM_ALG_XOR) {
		uint16_t h;

		return mr_alg_hash(r, &h, false);
	}
	return mr_fail(r, TPM_RC_SYMMETRIC);
}

static bool is_sequence(struct vtpm *t, uint32_t h)
{
	const struct vtpm_object *o = vtpm_object_find(t, h);

	return o != NULL &&
	       (o->kind == VTPM_OBJ_HASH_SEQUENCE || o->kind == VTPM_OBJ_EVENT_SEQUENCE);
}

uint32_t vtpm_cmd_start_auth_session(struct vtpm *t, struct vtpm_cmd *c)
{
	const uint8_t *nonce_caller;
	const uint8_t *salt;
	uint16_t nonce_size, salt_size, sym, key_bits, mode, auth_hash;
	uint8_t type;
	const struct vtpm_hash_info *hi;
	struct vtpm_session *s = NULL;
	unsigned int slot;
	uint32_t rc;
	uint8_t salt_value[VTPM_MAX_DIGEST];
	size_t salt_len = 0;

	nonce_size = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &nonce_caller);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	salt_size = mr_tpm2b(c->in, MAX_ENCRYPTED_SECRET, &salt);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	type = mr_u8(c->in);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 3);
	}
	if (type != TPM_SE_HMAC && type != TPM_SE_POLICY && type != TPM_SE_TRIAL) {
		return rc_param(TPM_RC_VALUE, 3);
	}
	if (mr_sym_def(c->in, &sym, &key_bits, &mode) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 4);
	}
	if (mr_alg_hash(c->in, &auth_hash, false) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 5);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	hi = vtpm_hash_info((unsigned int)vtpm_hash_index(auth_hash));

	/* Part 3 §11.1: nonceCaller is 16 octets up to the digest size of authHash. */
	if (nonce_size < VTPM_MIN_NONCE || nonce_size > hi->size) {
		return rc_param(TPM_RC_SIZE, 1);
	}
	/* A block cipher must be in CFB mode (TPM_RC_MODE). XOR parameter obfuscation is
	 * not implemented: refused as an unsupported symmetric algorithm (TPM_RC_SYMMETRIC). */
	if (sym == TPM_ALG_AES && mode != TPM_ALG_CFB) {
		return rc_param(TPM_RC_MODE, 4);
	}
	if (sym != TPM_ALG_NULL && sym != TPM_ALG_AES) {
		return rc_param(TPM_RC_SYMMETRIC, 4);
	}
	/* A sequence object can neither salt nor bind a session (it has no key and an empty
	 * Name). A salted session's tpmKey is a loaded asymmetric decryption key with its
	 * private part (TPM_RC_ATTRIBUTES + handle 1 otherwise, TPM_RC_HANDLE for a sequence
	 * object); the salt is the secret it recovers from encryptedSalt with the label
	 * "SECRET" (keygen.h vtpm_key_secret: RSA-OAEP, or ECDH + KDFe), and a bad
	 * encryptedSalt is TPM_RC_VALUE + P2 (TPM_RC_ECC_POINT + P2 for an invalid point). */
	if (c->handles[0] != TPM_RH_NULL) {
		static const uint8_t secret_label[] = { 'S', 'E', 'C', 'R', 'E', 'T', 0 };
		const struct vtpm_key *k = vtpm_key_find(t, c->handles[0]);

		if (k == NULL) {
			return rc_handle(TPM_RC_HANDLE, 1);
		}
		if (!k->has_sensitive || !(k->pub.attributes & TPMA_OBJECT_DECRYPT) ||
		    (k->pub.type != TPM_ALG_RSA && k->pub.type != TPM_ALG_ECC)) {
			return rc_handle(TPM_RC_ATTRIBUTES, 1);
		}
		if (salt_size == 0) {
			return rc_param(TPM_RC_VALUE, 2);
		}
		rc = vtpm_key_secret(t, k, secret_label, sizeof(secret_label), salt, salt_size,
				     salt_value, &salt_len);
		if (rc != TPM_RC_SUCCESS) {
			mem_wipe(salt_value, sizeof(salt_value));
			return rc == TPM_RC_FAILURE ? rc : rc_param(rc, 2);
		}
	} else if (salt_size != 0) {
		/* tpmKey is TPM_RH_NULL: encryptedSalt must be the Empty Buffer. */
		return rc_param(TPM_RC_VALUE, 2);
	}
	if (is_sequence(t, c->handles[1])) {
		mem_wipe(salt_value, sizeof(salt_value));
		return rc_handle(TPM_RC_HANDLE, 2);
	}
	for (slot = 0; slot < VTPM_SESSION_SLOTS; slot++) {
		if (!t->sessions[slot].used) {
			s = &t->sessions[slot];
			break;
		}
	}
	if (s == NULL) {
		mem_wipe(salt_value, sizeof(salt_value));
		return TPM_RC_SESSION_MEMORY;
	}

	bastion_memset(s, 0, sizeof(*s));
	s->type = type;
	s->hash = (uint8_t)vtpm_hash_index(auth_hash);
	s->digest_size = hi->size;
	s->symmetric = sym;
	s->key_bits = key_bits;
	if (vtpm_rng_generate(t, s->nonce_tpm, hi->size) != 0) {
		vtpm_session_flush(s);
		mem_wipe(salt_value, sizeof(salt_value));
		return TPM_RC_FAILURE;
	}
	if (c->handles[1] != TPM_RH_NULL || salt_len != 0) {
		/* Bound and/or salted session (Part 1 §19.6, session key creation):
		 * sessionKey = KDFa(authHash, bind.authValue || salt, "ATH", nonceTPM,
		 * nonceCaller, bits). */
		static const uint8_t ath[] = { 'A', 'T', 'H' };
		const uint8_t *bind_auth = NULL;
		size_t bind_auth_len = 0;
		uint8_t key_in[2 * VTPM_MAX_DIGEST];

		if (c->handles[1] != TPM_RH_NULL) {
			bind_auth_len = vtpm_entity_auth(t, c->handles[1], &bind_auth);
		}
		if (bind_auth_len != 0) {
			bastion_memcpy(key_in, bind_auth, bind_auth_len);
		}
		if (salt_len != 0) {
			bastion_memcpy(key_in + bind_auth_len, salt_value, salt_len);
		}
		rc = kdf_kdfa(hi->id, key_in, bind_auth_len + salt_len, ath, sizeof(ath),
			      s->nonce_tpm, hi->size, nonce_caller, nonce_size,
			      (uint32_t)hi->size * 8u, s->session_key) != 0
			     ? TPM_RC_FAILURE
			     : TPM_RC_SUCCESS;
		mem_wipe(key_in, sizeof(key_in));
		mem_wipe(salt_value, sizeof(salt_value));
		if (rc != TPM_RC_SUCCESS) {
			vtpm_session_flush(s);
			return rc;
		}
		s->session_key_size = hi->size;
		if (c->handles[1] != TPM_RH_NULL) {
			s->bound = true;
			vtpm_session_bind_id(t, c->handles[1], s->bind_id);
		}
	}
	s->used = true;
	c->rsp_handle = vtpm_session_handle(t, slot);
	mw_tpm2b(c->out, s->nonce_tpm, hi->size);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_flush_context(struct vtpm *t, struct vtpm_cmd *c)
{
	uint32_t h = mr_u32(c->in);
	uint32_t ht = h >> 24;
	struct vtpm_session *s;
	uint32_t rc;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	/* TPMI_DH_CONTEXT: a session or a transient object (sequence or key object, object.h).
	 * Nothing loaded under the handle: TPM_RC_HANDLE. */
	if (ht != TPM_HT_HMAC_SESSION && ht != TPM_HT_POLICY_SESSION && ht != TPM_HT_TRANSIENT) {
		return rc_param(TPM_RC_VALUE, 1);
	}
	if (ht == TPM_HT_TRANSIENT) {
		struct vtpm_object *o = vtpm_object_find(t, h);

		if (o == NULL) {
			return rc_param(TPM_RC_HANDLE, 1);
		}
		vtpm_object_flush(o);
		return TPM_RC_SUCCESS;
	}
	/* A saved session is flushed by its handle too (Part 3 §28.4). */
	s = vtpm_session_slot(t, h);
	if (s == NULL) {
		return rc_param(TPM_RC_HANDLE, 1);
	}
	vtpm_session_flush(s);
	return TPM_RC_SUCCESS;
}
