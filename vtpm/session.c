/* Session slots and the session HMAC: see session.h. */
#include "vtpm/session.h"

#include "crypto/aes.h"
#include "crypto/ct.h"
#include "crypto/aes_modes.h"
#include "crypto/hash.h"
#include "crypto/hmac.h"
#include "crypto/kdf.h"
#include "kernel/string.h"
#include "vtpm/entity.h"
#include "vtpm/marshal.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

struct vtpm_session *vtpm_session_find(struct vtpm *t, uint32_t handle)
{
	struct vtpm_session *s = vtpm_session_slot(t, handle);

	return s != NULL && !s->saved ? s : NULL;
}

struct vtpm_session *vtpm_session_slot(struct vtpm *t, uint32_t handle)
{
	uint32_t ht = handle >> 24;
	uint32_t slot = handle & 0x00FFFFFFu;
	struct vtpm_session *s;

	if ((ht != TPM_HT_HMAC_SESSION && ht != TPM_HT_POLICY_SESSION) ||
	    slot >= VTPM_SESSION_SLOTS) {
		return NULL;
	}
	s = &t->sessions[slot];
	if (!s->used || (s->type == TPM_SE_HMAC) != (ht == TPM_HT_HMAC_SESSION)) {
		return NULL;
	}
	return s;
}

uint32_t vtpm_session_handle(const struct vtpm *t, unsigned int slot)
{
	uint32_t ht = t->sessions[slot].type == TPM_SE_HMAC ? TPM_HT_HMAC_SESSION
							     : TPM_HT_POLICY_SESSION;

	return ht << 24 | slot;
}

void vtpm_session_flush(struct vtpm_session *s)
{
	mem_wipe(s, sizeof(*s));
}

void vtpm_session_flush_all(struct vtpm *t)
{
	for (unsigned int i = 0; i < VTPM_SESSION_SLOTS; i++) {
		vtpm_session_flush(&t->sessions[i]);
	}
}

unsigned int vtpm_session_count(const struct vtpm *t)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < VTPM_SESSION_SLOTS; i++) {
		n += t->sessions[i].used && !t->sessions[i].saved ? 1u : 0u;
	}
	return n;
}

unsigned int vtpm_session_active_count(const struct vtpm *t)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < VTPM_SESSION_SLOTS; i++) {
		n += t->sessions[i].used ? 1u : 0u;
	}
	return n;
}

void vtpm_session_policy_reset(struct vtpm_session *s)
{
	/* Part 3 §11.2: policyDigest to a Zero Digest and every policy assertion forgotten. */
	bastion_memset(s->policy_digest, 0, sizeof(s->policy_digest));
	s->cc_set = false;
	s->command_code = 0;
	s->pcr_set = false;
	s->pcr_counter = 0;
	s->auth_value_needed = false;
	s->password_needed = false;
	s->cp_kind = VTPM_CP_NONE;
	bastion_memset(s->cp_hash, 0, sizeof(s->cp_hash));
	s->locality = 0;
	s->nv_written_set = false;
	s->nv_written = false;
}

void vtpm_session_policy_ext_save(const struct vtpm_session *s, struct mw *w)
{
	mw_u8(w, s->cp_kind);
	mw_bytes(w, s->cp_hash, VTPM_MAX_DIGEST);
	mw_u8(w, s->locality);
	mw_u8(w, s->nv_written_set);
	mw_u8(w, s->nv_written);
}

bool vtpm_session_policy_ext_load(struct vtpm_session *s, struct mr *r)
{
	const uint8_t *p;

	s->cp_kind = mr_u8(r);
	p = mr_bytes(r, VTPM_MAX_DIGEST);
	if (p != NULL) {
		bastion_memcpy(s->cp_hash, p, VTPM_MAX_DIGEST);
	}
	s->locality = mr_u8(r);
	s->nv_written_set = mr_u8(r) != 0;
	s->nv_written = mr_u8(r) != 0;
	return r->rc == TPM_RC_SUCCESS && s->cp_kind <= VTPM_CP_NAMEHASH;
}

int vtpm_session_hmac(const struct vtpm_session *s, const uint8_t *auth, size_t auth_len,
		      const uint8_t *p_hash, const uint8_t *nonce_newer, size_t newer_len,
		      const uint8_t *nonce_older, size_t older_len, const uint8_t *extra,
		      size_t extra_len, uint8_t attributes, uint8_t *out)
{
	const struct vtpm_hash_info *hi = vtpm_hash_info(s->hash);
	uint8_t key[2 * VTPM_MAX_DIGEST];
	size_t key_len = s->session_key_size;
	struct hmac_ctx h;
	int rc;

	/* Part 1 §19.6.5: the key is sessionKey || authValue. */
	if (hi == NULL || key_len > VTPM_MAX_DIGEST || auth_len > VTPM_MAX_DIGEST) {
		return -1;
	}
	bastion_memcpy(key, s->session_key, key_len);
	if (auth_len != 0) {
		bastion_memcpy(key + key_len, auth, auth_len);
	}
	key_len += auth_len;
	rc = hmac_init(&h, hi->id, key, key_len);
	mem_wipe(key, sizeof(key));
	if (rc != 0) {
		return -1;
	}
	hmac_update(&h, p_hash, s->digest_size);
	hmac_update(&h, nonce_newer, newer_len);
	hmac_update(&h, nonce_older, older_len);
	hmac_update(&h, extra, extra_len);
	hmac_update(&h, &attributes, 1);
	hmac_final(&h, out);
	hmac_wipe(&h);
	return 0;
}

void vtpm_session_policy_extend(struct vtpm_session *s, const uint8_t *data, size_t len)
{
	const struct vtpm_hash_info *hi = vtpm_hash_info(s->hash);
	struct hash_ctx h;

	if (hi == NULL || hash_init(&h, hi->id) != 0) {
		return;
	}
	hash_update(&h, s->policy_digest, s->digest_size);
	hash_update(&h, data, len);
	hash_final(&h, s->policy_digest);
}

int vtpm_session_crypt(const struct vtpm_session *s, const uint8_t *auth, size_t auth_len,
		       const uint8_t *nonce_newer, size_t newer_len, const uint8_t *nonce_older,
		       size_t older_len, bool decrypt, uint8_t *data, size_t len)
{
	static const uint8_t cfb[] = { 'C', 'F', 'B' };
	const struct vtpm_hash_info *hi = vtpm_hash_info(s->hash);
	uint8_t key[2 * VTPM_MAX_DIGEST];
	uint8_t kiv[32 + AES_BLOCK_SIZE];
	size_t key_len = s->session_key_size;
	size_t kb = s->key_bits / 8u;
	struct aes_ctx aes;
	struct aes_cfb_ctx c;
	int rc;

	if (hi == NULL || s->symmetric != TPM_ALG_AES || kb > 32 || key_len > VTPM_MAX_DIGEST ||
	    auth_len > VTPM_MAX_DIGEST) {
		return -1;
	}
	bastion_memcpy(key, s->session_key, key_len);
	if (auth_len != 0) {
		bastion_memcpy(key + key_len, auth, auth_len);
	}
	key_len += auth_len;
	rc = kdf_kdfa(hi->id, key, key_len, cfb, sizeof(cfb), nonce_newer, newer_len, nonce_older,
		      older_len, (uint32_t)(kb + AES_BLOCK_SIZE) * 8u, kiv);
	mem_wipe(key, sizeof(key));
	if (rc == 0) {
		rc = aes_init(&aes, kiv, kb);
	}
	if (rc == 0) {
		aes_cfb_init(&c, &aes, kiv + kb);
		if (decrypt) {
			aes_cfb_decrypt_update(&c, data, data, len);
		} else {
			aes_cfb_encrypt_update(&c, data, data, len);
		}
		aes_cfb_wipe(&c);
		aes_wipe(&aes);
	}
	mem_wipe(kiv, sizeof(kiv));
	return rc == 0 ? 0 : -1;
}

void vtpm_session_bind_id(struct vtpm *t, uint32_t handle, uint8_t *id)
{
	const uint8_t *auth;
	size_t auth_len;

	bastion_memset(id, 0, VTPM_MAX_NAME);
	(void)vtpm_entity_name(t, handle, id);
	auth_len = vtpm_entity_auth(t, handle, &auth);
	for (size_t i = 0; i < auth_len && i < VTPM_MAX_NAME; i++) {
		id[i] ^= auth[i];
	}
}

bool vtpm_session_is_bound_to(struct vtpm *t, const struct vtpm_session *s, uint32_t handle)
{
	uint8_t id[VTPM_MAX_NAME];
	bool same;

	if (!s->bound) {
		return false;
	}
	vtpm_session_bind_id(t, handle, id);
	same = ct_memeq(id, s->bind_id, sizeof(id));
	mem_wipe(id, sizeof(id));
	return same;
}
