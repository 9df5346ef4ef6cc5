/*
 * TPM2_ContextSave (Part 3 §28.2) and TPM2_ContextLoad (Part 3 §28.3) for sessions and key
 * objects (Part 1 §30 "Context Management"). Sequence objects are not saved: ContextSave of
 * one is TPM_RC_TYPE + handle 1.
 *
 * The blob (TPMS_CONTEXT.contextBlob) is integrity || encContext, integrity a TPM2B_DIGEST
 * (Part 1 §30.3, simplified to one per-boot secret instead of hierarchy proofs, since a
 * session belongs to no hierarchy):
 *   contextKey  = 32 random octets drawn from the DRBG at _TPM_Init (state.h)
 *   symKey||iv  = KDFa(SHA-256, contextKey, "CONTEXT", sequence, savedHandle, 256 + 128)
 *   hmacKey     = KDFa(SHA-256, contextKey, "INTEGRITY", proof(hierarchy), -, 256)
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
 *
 * Key objects (savedHandle 0x80000000, or 0x80000002 for stClear objects; the hierarchy is
 * the object's): the plaintext is hierarchy || TPM2B_PUBLIC || TPM2B(TPMT_SENSITIVE) ||
 * TPM2B(Qualified Name). The object stays loaded, and its context may be loaded any number
 * of times (each load makes a new transient object, as tpm2-tools and resource managers
 * expect). The hierarchy's proof keys the HMAC, so a context dies with its hierarchy's proof
 * (the NULL hierarchy's at every TPM Reset, the owner's at TPM2_Clear), and a context of a
 * disabled hierarchy does not load (TPM_RC_HIERARCHY).
 */
#include "crypto/aes.h"
#include "crypto/aes_modes.h"
#include "crypto/ct.h"
#include "crypto/hmac.h"
#include "crypto/kdf.h"
#include "kernel/string.h"
#include "vtpm/commands.h"
#include "vtpm/hierarchy.h"
#include "vtpm/protect.h"
#include "vtpm/rc.h"
#include "vtpm/session.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

/* The serialized session state (the plaintext of encContext). */
#define STATE_SIZE (1u + 1u + 2u + 2u + 2u + 3u * VTPM_MAX_DIGEST + 2u + 1u + 4u + 1u + 4u + 1u + 1u + \
		    VTPM_SESSION_POLICY_EXT_SIZE)
#define INTEGRITY_SIZE 32u
#define BLOB_SIZE (2u + INTEGRITY_SIZE + STATE_SIZE)
/* TPM2B_CONTEXT_DATA: session blobs are BLOB_SIZE, object blobs up to MAX_CONTEXT_SIZE;
 * anything above the limit of the saved handle's kind is TPM_RC_SIZE. */
#define MAX_SESSION_CONTEXT_SIZE 1024u
#define MAX_CONTEXT_SIZE 2048u
#define SAVED_OBJECT 0x80000000u
#define SAVED_ST_CLEAR 0x80000002u

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
	vtpm_session_policy_ext_save(s, &w); /* session.h: deferred policy assertions */
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
	/* session.h: the deferred policy assertions (PolicyLocality, PolicyCpHash, ...). */
	return vtpm_session_policy_ext_load(s, &r) && r.rc == TPM_RC_SUCCESS && hi != NULL &&
	       hi->size == s->digest_size && s->session_key_size <= s->digest_size;
}

static unsigned int proof_index(uint32_t h)
{
	return h == TPM_RH_PLATFORM	 ? VTPM_HIER_PLATFORM
	       : h == TPM_RH_ENDORSEMENT ? VTPM_HIER_ENDORSEMENT
	       : h == TPM_RH_OWNER	 ? VTPM_HIER_OWNER
					 : VTPM_HIER_NULL;
}

/* symKey || iv and hmacKey for one context (see the file comment). */
static int context_keys(const struct vtpm *t, uint64_t sequence, uint32_t handle,
			uint32_t hierarchy, uint8_t sym[32 + AES_BLOCK_SIZE], uint8_t mac_key[32])
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
			sizeof(integrity), t->ps.proofs[proof_index(hierarchy)], VTPM_PROOF_SIZE, NULL,
			0, 256, mac_key);
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

/* TPMS_CONTEXT of a key object (see the file comment). */
static uint32_t save_object(struct vtpm *t, struct vtpm_cmd *c, const struct vtpm_key *key)
{
	uint32_t saved = key->pub.attributes & TPMA_OBJECT_ST_CLEAR ? SAVED_ST_CLEAR
								    : SAVED_OBJECT;
	uint64_t sequence = t->context_seq;
	struct context_scratch k;
	uint8_t *buf = t->ks.buf;
	struct mw w;
	size_t at;

	mw_init(&w, buf, sizeof(t->ks.buf));
	mw_u32(&w, key->hierarchy);
	vtpm_public_marshal_2b(&w, &key->pub);
	at = w.off;
	mw_u16(&w, 0);
	if (key->has_sensitive) {
		vtpm_sensitive_marshal(&w, &key->pub, &key->sens);
	}
	if (!w.overflow) {
		put_be16(buf + at, (uint16_t)(w.off - at - 2));
	}
	mw_tpm2b(&w, key->qname, key->qname_size);
	if (w.overflow || 2u + INTEGRITY_SIZE + w.off > MAX_CONTEXT_SIZE ||
	    context_keys(t, sequence, saved, key->hierarchy, k.sym, k.mac_key) != 0 ||
	    cfb(k.sym, false, buf, w.off) != 0) {
		mem_wipe(&k, sizeof(k));
		mem_wipe(buf, sizeof(t->ks.buf));
		return TPM_RC_FAILURE;
	}
	context_hmac(k.mac_key, sequence, saved, key->hierarchy, buf, w.off, k.mac);
	mw_u32(c->out, (uint32_t)(sequence >> 32));
	mw_u32(c->out, (uint32_t)sequence);
	mw_u32(c->out, saved);
	mw_u32(c->out, key->hierarchy);
	mw_u16(c->out, (uint16_t)(2u + INTEGRITY_SIZE + w.off));
	mw_tpm2b(c->out, k.mac, INTEGRITY_SIZE);
	mw_bytes(c->out, buf, w.off);
	mem_wipe(&k, sizeof(k));
	mem_wipe(buf, sizeof(t->ks.buf));
	t->context_seq++;
	return TPM_RC_SUCCESS;
}

/* Restores a key object from its authenticated plaintext; false if inconsistent. */
static bool parse_object(struct vtpm_key *key, const uint8_t *p, size_t len, uint32_t hierarchy)
{
	const uint8_t *sens;
	const uint8_t *qn;
	uint16_t sens_len;
	struct mr r;
	struct mr sr;

	bastion_memset(key, 0, sizeof(*key));
	mr_init(&r, p, len);
	key->hierarchy = mr_u32(&r);
	if (vtpm_public_unmarshal_2b(&r, &key->pub, NULL, NULL) != TPM_RC_SUCCESS) {
		return false;
	}
	sens_len = mr_tpm2b(&r, VTPM_PRIVATE_MAX, &sens);
	key->qname_size = mr_tpm2b(&r, VTPM_MAX_NAME, &qn);
	if (r.rc != TPM_RC_SUCCESS || mr_remaining(&r) != 0 || key->hierarchy != hierarchy ||
	    key->qname_size == 0) {
		return false;
	}
	bastion_memcpy(key->qname, qn, key->qname_size);
	if (sens_len != 0) {
		mr_init(&sr, sens, sens_len);
		if (vtpm_sensitive_unmarshal(&sr, &key->pub, &key->sens) != TPM_RC_SUCCESS ||
		    mr_remaining(&sr) != 0) {
			return false;
		}
		key->has_sensitive = true;
	}
	key->name_size = (uint16_t)vtpm_public_name(&key->pub, key->name);
	return key->name_size != 0;
}

static uint32_t load_object(struct vtpm *t, struct vtpm_cmd *c, uint64_t sequence,
			    uint32_t handle, uint32_t hierarchy, const uint8_t *blob,
			    size_t blob_size)
{
	struct context_scratch k;
	uint8_t *buf = t->ks.buf;
	size_t enc_len;
	uint32_t rc = TPM_RC_SUCCESS;
	bool ok;

	if (handle == 0x80000001u || blob_size < 2u + INTEGRITY_SIZE + 1u ||
	    be16(blob) != INTEGRITY_SIZE || blob_size - 2u - INTEGRITY_SIZE > sizeof(t->ks.buf)) {
		return rc_param(TPM_RC_INTEGRITY, 1);
	}
	enc_len = blob_size - 2u - INTEGRITY_SIZE;
	if (context_keys(t, sequence, handle, hierarchy, k.sym, k.mac_key) != 0) {
		mem_wipe(&k, sizeof(k));
		return TPM_RC_FAILURE;
	}
	context_hmac(k.mac_key, sequence, handle, hierarchy, blob + 2 + INTEGRITY_SIZE, enc_len,
		     k.mac);
	if (!ct_memeq(k.mac, blob + 2, INTEGRITY_SIZE)) {
		mem_wipe(&k, sizeof(k));
		return rc_param(TPM_RC_INTEGRITY, 1);
	}
	if (!vtpm_hierarchy_enabled(t, hierarchy)) {
		mem_wipe(&k, sizeof(k));
		return rc_param(TPM_RC_HIERARCHY, 1);
	}
	bastion_memcpy(buf, blob + 2 + INTEGRITY_SIZE, enc_len);
	ok = cfb(k.sym, true, buf, enc_len) == 0 &&
	     parse_object(&t->ks.key, buf, enc_len, hierarchy);
	mem_wipe(&k, sizeof(k));
	mem_wipe(buf, sizeof(t->ks.buf));
	if (!ok) {
		rc = rc_param(TPM_RC_INTEGRITY, 1);
	} else {
		rc = vtpm_object_load_key(t, &t->ks.key, &c->rsp_handle);
	}
	mem_wipe(&t->ks.key, sizeof(t->ks.key));
	return rc;
}

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
	if (t->context_seq == UINT64_MAX) {
		return TPM_RC_TOO_MANY_CONTEXTS;
	}
	s = vtpm_session_find(t, h);
	if (s == NULL) {
		/* A loaded transient object (the engine checked the handle). */
		const struct vtpm_object *o = vtpm_object_find(t, h);

		if (o == NULL || o->kind != VTPM_OBJ_KEY) {
			return rc_handle(TPM_RC_TYPE, 1);
		}
		return save_object(t, c, &o->key);
	}
	sequence = t->context_seq;
	serialize(s, k.state);
	if (context_keys(t, sequence, h, TPM_RH_NULL, k.sym, k.mac_key) != 0 ||
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
	blob_size = mr_tpm2b(c->in, handle >> 24 == TPM_HT_TRANSIENT ? MAX_CONTEXT_SIZE
								   : MAX_SESSION_CONTEXT_SIZE,
			     &blob);
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
	if (ht == TPM_HT_TRANSIENT) {
		return load_object(t, c, sequence, handle, hierarchy, blob, blob_size);
	}
	/* Integrity first (Part 1 §30.4): nothing about the blob is trusted before. */
	if (blob_size != BLOB_SIZE || be16(blob) != INTEGRITY_SIZE) {
		return rc_param(TPM_RC_INTEGRITY, 1);
	}
	if (context_keys(t, sequence, handle, hierarchy, k.sym, k.mac_key) != 0) {
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
