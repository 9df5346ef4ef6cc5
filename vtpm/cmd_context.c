/*
 * TPM2_ContextSave (Part 3 §28.2) and TPM2_ContextLoad (Part 3 §28.3) for sessions (Part 1
 * §30 "Context Management"). Object contexts (sequence objects) are not saved in this slice:
 * ContextSave of a transient handle is TPM_RC_TYPE + handle 1.
 *
 * The blob (TPMS_CONTEXT.contextBlob) is integrity || encContext, integrity a TPM2B_DIGEST
 * (Part 1 §30.3, simplified to one per-boot secret instead of hierarchy proofs, since a
 * session belongs to no hierarchy):
 *   contextKey  = 32 random octets drawn from the DRBG at _TPM_Init (state.h)
 *   symKey||iv  = KDFa(SHA-256, contextKey, "CONTEXT", sequence, savedHandle, 256 + 128)
 *   hmacKey     = KDFa(SHA-256, contextKey, "INTEGRITY", -, -, 256)
 *   encContext  = AES-256-CFB(symKey, iv, the session's state)
 *   integrity   = HMAC-SHA-256(hmacKey, sequence || savedHandle || hierarchy || encContext)
 * Any change to the blob, the sequence or the handle fails the HMAC: TPM_RC_INTEGRITY + P1.
 *
 * contextSequence (simplified): a per-boot counter, one value per save. A saved session
 * keeps its slot and remembers the sequence of its one valid blob; ContextLoad accepts only
 * that blob, once (the slot is loaded again and a second load of the same blob, or of an
 * older blob of that session, is TPM_RC_HANDLE + P1: replay refused, Part 1 §30.5). Since
 * each slot remembers its own sequence there is no context gap and no TPM_RC_CONTEXT_GAP.
 * Saved sessions and the context key are volatile: a power cycle invalidates every blob.
 */
#include "crypto/aes.h"
#include "crypto/aes_modes.h"
#include "crypto/ct.h"
#include "crypto/hmac.h"
#include "crypto/kdf.h"
#include "kernel/string.h"
#include "vtpm/commands.h"
#include "vtpm/rc.h"
#include "vtpm/session.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

/* The serialized session state (the plaintext of encContext). */
#define STATE_SIZE (1u + 1u + 2u + 2u + 2u + 3u * VTPM_MAX_DIGEST + 2u + 1u + 4u + 1u + 4u + 1u + 1u)
#define INTEGRITY_SIZE 32u
#define BLOB_SIZE (2u + INTEGRITY_SIZE + STATE_SIZE)
/* TPM2B_CONTEXT_DATA: this TPM's blobs are BLOB_SIZE; anything above 1024 is TPM_RC_SIZE. */
#define MAX_CONTEXT_SIZE 1024u

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static void serialize(const struct vtpm_session *s, uint8_t out[STATE_SIZE])
{
	struct mw w;

	mw_init(&w, out, STATE_SIZE);
	mw_u8(&w, s->type);
	mw_u8(&w, s->hash);
	mw_u16(&w, s->digest_size);
	mw_u16(&w, s->symmetric);
	mw_u16(&w, s->key_bits);
	mw_bytes(&w, s->nonce_tpm, VTPM_MAX_DIGEST);
	mw_bytes(&w, s->session_key, VTPM_MAX_DIGEST);
	mw_bytes(&w, s->policy_digest, VTPM_MAX_DIGEST);
	mw_u16(&w, s->session_key_size);
	mw_u8(&w, s->cc_set);
	mw_u32(&w, s->command_code);
	mw_u8(&w, s->pcr_set);
	mw_u32(&w, s->pcr_counter);
	mw_u8(&w, s->auth_value_needed);
	mw_u8(&w, s->password_needed);
}

static void read_digest(struct mr *r, uint8_t out[VTPM_MAX_DIGEST])
{
	const uint8_t *p = mr_bytes(r, VTPM_MAX_DIGEST);

	if (p != NULL) {
		bastion_memcpy(out, p, VTPM_MAX_DIGEST);
	}
}

/* Restores a session from its (authenticated) state; false if the state is inconsistent
 * (cannot happen for a blob this TPM made, checked anyway). */
static bool deserialize(struct vtpm_session *s, const uint8_t in[STATE_SIZE])
{
	const struct vtpm_hash_info *hi;
	struct mr r;

	mr_init(&r, in, STATE_SIZE);
	s->type = mr_u8(&r);
	s->hash = mr_u8(&r);
	s->digest_size = mr_u16(&r);
	s->symmetric = mr_u16(&r);
	s->key_bits = mr_u16(&r);
	read_digest(&r, s->nonce_tpm);
	read_digest(&r, s->session_key);
	read_digest(&r, s->policy_digest);
	s->session_key_size = mr_u16(&r);
	s->cc_set = mr_u8(&r) != 0;
	s->command_code = mr_u32(&r);
	s->pcr_set = mr_u8(&r) != 0;
	s->pcr_counter = mr_u32(&r);
	s->auth_value_needed = mr_u8(&r) != 0;
	s->password_needed = mr_u8(&r) != 0;
	hi = vtpm_hash_info(s->hash);
	return r.rc == TPM_RC_SUCCESS && hi != NULL && hi->size == s->digest_size &&
	       s->session_key_size <= s->digest_size;
}

/* symKey || iv and hmacKey for one context (see the file comment). */
static int context_keys(const struct vtpm *t, uint64_t sequence, uint32_t handle,
			uint8_t sym[32 + AES_BLOCK_SIZE], uint8_t mac_key[32])
{
	static const uint8_t context[] = { 'C', 'O', 'N', 'T', 'E', 'X', 'T' };
	static const uint8_t integrity[] = { 'I', 'N', 'T', 'E', 'G', 'R', 'I', 'T', 'Y' };
	uint8_t seq[8];
	uint8_t h[4];

	put_be64(seq, sequence);
	put_be32(h, handle);
	if (kdf_kdfa(HASH_SHA256, t->context_key, sizeof(t->context_key), context,
		     sizeof(context), seq, sizeof(seq), h, sizeof(h),
		     (32u + AES_BLOCK_SIZE) * 8u, sym) != 0) {
		return -1;
	}
	return kdf_kdfa(HASH_SHA256, t->context_key, sizeof(t->context_key), integrity,
			sizeof(integrity), NULL, 0, NULL, 0, 256, mac_key);
}

static void context_hmac(const uint8_t mac_key[32], uint64_t sequence, uint32_t handle,
			 uint32_t hierarchy, const uint8_t *enc, size_t enc_len, uint8_t out[32])
{
	struct hmac_ctx h;
	uint8_t b[16];

	put_be64(b, sequence);
	put_be32(b + 8, handle);
	put_be32(b + 12, hierarchy);
	hmac_init(&h, HASH_SHA256, mac_key, 32);
	hmac_update(&h, b, sizeof(b));
	hmac_update(&h, enc, enc_len);
	hmac_final(&h, out);
	hmac_wipe(&h);
}

/* AES-256-CFB over data in place. */
static int cfb(const uint8_t sym[32 + AES_BLOCK_SIZE], bool decrypt, uint8_t *data, size_t len)
{
	struct aes_ctx aes;
	struct aes_cfb_ctx c;

	if (aes_init(&aes, sym, 32) != 0) {
		return -1;
	}
	aes_cfb_init(&c, &aes, sym + 32);
	if (decrypt) {
		aes_cfb_decrypt_update(&c, data, data, len);
	} else {
		aes_cfb_encrypt_update(&c, data, data, len);
	}
	aes_cfb_wipe(&c);
	aes_wipe(&aes);
	return 0;
}

struct context_scratch {
	uint8_t sym[32 + AES_BLOCK_SIZE];
	uint8_t mac_key[32];
	uint8_t mac[INTEGRITY_SIZE];
	uint8_t state[STATE_SIZE];
};

uint32_t vtpm_cmd_context_save(struct vtpm *t, struct vtpm_cmd *c)
{
	uint32_t h = c->handles[0];
	struct vtpm_session *s;
	struct context_scratch k;
	uint64_t sequence;
	uint32_t rc = cmd_params_end(c);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	s = vtpm_session_find(t, h);
	if (s == NULL) {
		/* A loaded transient object (the engine checked the handle): object contexts
		 * are not implemented. */
		return rc_handle(TPM_RC_TYPE, 1);
	}
	if (t->context_seq == UINT64_MAX) {
		return TPM_RC_TOO_MANY_CONTEXTS;
	}
	sequence = t->context_seq;
	serialize(s, k.state);
	if (context_keys(t, sequence, h, k.sym, k.mac_key) != 0 ||
	    cfb(k.sym, false, k.state, STATE_SIZE) != 0) {
		mem_wipe(&k, sizeof(k));
		return TPM_RC_FAILURE;
	}
	context_hmac(k.mac_key, sequence, h, TPM_RH_NULL, k.state, STATE_SIZE, k.mac);
	/* TPMS_CONTEXT */
	mw_u32(c->out, (uint32_t)(sequence >> 32));
	mw_u32(c->out, (uint32_t)sequence);
	mw_u32(c->out, h);
	mw_u32(c->out, TPM_RH_NULL);
	mw_u16(c->out, (uint16_t)BLOB_SIZE);
	mw_tpm2b(c->out, k.mac, INTEGRITY_SIZE);
	mw_bytes(c->out, k.state, STATE_SIZE);
	mem_wipe(&k, sizeof(k));
	/* The slot becomes a saved session: handle and type stay, the secrets go. */
	{
		uint8_t type = s->type;

		vtpm_session_flush(s);
		s->used = true;
		s->saved = true;
		s->type = type;
		s->saved_seq = sequence;
	}
	t->context_seq++;
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_context_load(struct vtpm *t, struct vtpm_cmd *c)
{
	struct context_scratch k;
	const uint8_t *blob;
	struct vtpm_session *s;
	struct vtpm_session fresh;
	uint64_t sequence;
	uint32_t handle;
	uint32_t hierarchy;
	uint32_t ht;
	uint16_t blob_size;
	uint32_t rc;
	bool ok;

	sequence = (uint64_t)mr_u32(c->in) << 32;
	sequence |= mr_u32(c->in);
	handle = mr_u32(c->in);
	hierarchy = mr_u32(c->in);
	blob_size = mr_tpm2b(c->in, MAX_CONTEXT_SIZE, &blob);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	/* TPMI_DH_SAVED: a session handle or a saved-object handle. */
	ht = handle >> 24;
	if (ht != TPM_HT_HMAC_SESSION && ht != TPM_HT_POLICY_SESSION &&
	    !(handle >= 0x80000000u && handle <= 0x80000002u)) {
		return rc_param(TPM_RC_VALUE, 1);
	}
	if (!vtpm_hierarchy_plus(hierarchy)) {
		return rc_param(TPM_RC_VALUE, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	/* Integrity first (Part 1 §30.4): nothing about the blob is trusted before. */
	if (blob_size != BLOB_SIZE || be16(blob) != INTEGRITY_SIZE) {
		return rc_param(TPM_RC_INTEGRITY, 1);
	}
	if (context_keys(t, sequence, handle, k.sym, k.mac_key) != 0) {
		mem_wipe(&k, sizeof(k));
		return TPM_RC_FAILURE;
	}
	context_hmac(k.mac_key, sequence, handle, hierarchy, blob + 2 + INTEGRITY_SIZE,
		     STATE_SIZE, k.mac);
	ok = ct_memeq(k.mac, blob + 2, INTEGRITY_SIZE);
	if (!ok) {
		mem_wipe(&k, sizeof(k));
		return rc_param(TPM_RC_INTEGRITY, 1);
	}
	/* Authentic: it names a session (object contexts are never made) that must still be
	 * saved under exactly this sequence; anything else is a replay or a stale blob. */
	s = vtpm_session_slot(t, handle);
	if (s == NULL || !s->saved || s->saved_seq != sequence) {
		mem_wipe(&k, sizeof(k));
		return rc_param(TPM_RC_HANDLE, 1);
	}
	bastion_memcpy(k.state, blob + 2 + INTEGRITY_SIZE, STATE_SIZE);
	bastion_memset(&fresh, 0, sizeof(fresh));
	ok = cfb(k.sym, true, k.state, STATE_SIZE) == 0 && deserialize(&fresh, k.state) &&
	     fresh.type == s->type;
	mem_wipe(&k, sizeof(k));
	if (!ok) {
		mem_wipe(&fresh, sizeof(fresh));
		return rc_param(TPM_RC_INTEGRITY, 1);
	}
	fresh.used = true;
	fresh.saved = false;
	*s = fresh;
	mem_wipe(&fresh, sizeof(fresh));
	c->rsp_handle = handle;
	return TPM_RC_SUCCESS;
}
