/*
 * Authorization sessions (TPM 2.0 Part 1 §19 "Authorizations and Acknowledgments", Part 3
 * §11 "Session Commands"): the session slots of struct vtpm and the HMAC arithmetic the
 * engine and the session/policy commands share.
 *
 * Contract:
 *   - VTPM_SESSION_SLOTS sessions can be loaded at once (the TCG minimum of 3). A session
 *     lives in slot i and has the handle (TPM_HT_HMAC_SESSION or TPM_HT_POLICY_SESSION) << 24
 *     | i; handles are therefore reused after FlushContext. TPM2_ContextSave (cmd_context.c)
 *     turns a loaded session into a saved one: the slot keeps its handle, type and the
 *     contextSequence of the one blob that may load it back, and nothing secret (the state
 *     is in the encrypted blob). A saved session is active but not loaded:
 *     vtpm_session_find does not return it; vtpm_session_slot does.
 *   - Sessions are volatile: vtpm_power_on (_TPM_Init) drops them all (TPM2_Startup only
 *     ever follows it).
 *   - Session key (Part 1 §19.6, session key creation): an unbound, unsalted session has the
 *     empty sessionKey; a bound or salted one has sessionKey = KDFa(authHash,
 *     bind.authValue || salt, "ATH", nonceTPM, nonceCaller, digest bits), the salt being
 *     what tpmKey recovers from encryptedSalt (RSA-OAEP or ECDH + KDFe, label "SECRET";
 *     cmd_session.c, keygen.c vtpm_key_secret). The HMAC key is sessionKey ||
 *     authValue, except that a bound session authorizing its own bind entity leaves the
 *     authValue out (Part 1 §19.6.2, the bound-entity rule).
 *   - Parameter encryption: AES-CFB (128/192/256-bit keys) per vtpm_session_crypt; XOR is
 *     not implemented.
 *   - Secrets (session keys, HMAC keys) are wiped after use.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtpm/types.h"

struct vtpm;

#define VTPM_SESSION_SLOTS 3u
/* Part 3 §11.1: nonceCaller is 16 octets up to the digest size. */
#define VTPM_MIN_NONCE 16u

/* TPM_SE (Part 2 §6.11) */
#define TPM_SE_HMAC 0x00u
#define TPM_SE_POLICY 0x01u
#define TPM_SE_TRIAL 0x03u

struct vtpm_session {
	bool used;
	bool saved;	    /* ContextSave'd: only type and saved_seq are meaningful */
	uint64_t saved_seq; /* the contextSequence of the blob that may load it */
	uint8_t type;	    /* TPM_SE_* */
	uint8_t hash;	    /* bank index of authHash (types.h) */
	uint16_t digest_size;
	uint16_t symmetric; /* TPM_ALG_NULL or TPM_ALG_AES (CFB mode) */
	uint16_t key_bits;  /* AES key bits (128, 192 or 256) */
	uint8_t nonce_tpm[VTPM_MAX_DIGEST]; /* digest_size bytes: the last nonceTPM */
	uint8_t session_key[VTPM_MAX_DIGEST];
	uint16_t session_key_size; /* 0 (unbound) or digest_size (bound) */
	/* A bound session (Part 1 §19.6.2): the bind entity's Name with its authValue at
	 * start XORed in, so the session stops counting as bound to it when either changes;
	 * all zero for an unbound session. */
	bool bound;
	uint8_t bind_id[VTPM_MAX_NAME];
	/* policy sessions (Part 1 §19.7) */
	uint8_t policy_digest[VTPM_MAX_DIGEST];
	bool cc_set;	       /* TPM2_PolicyCommandCode ran: command_code is fixed */
	uint32_t command_code;
	bool pcr_set;	       /* TPM2_PolicyPCR ran: pcr_counter recorded */
	uint32_t pcr_counter;
	bool auth_value_needed; /* TPM2_PolicyAuthValue */
	bool password_needed;	/* TPM2_PolicyPassword */
	/* Deferred assertions, checked when the session authorizes (engine.c check_policy):
	 * cp_kind says whether cp_hash holds a cpHash (PolicyCpHash, or PolicySecret /
	 * PolicySigned with a cpHashA) or a nameHash (PolicyNameHash); locality is the
	 * TPMA_LOCALITY of PolicyLocality (0: none); nv_written_set/nv_written the
	 * PolicyNvWritten state the authorized NV index must have. */
	uint8_t cp_kind; /* VTPM_CP_* */
	uint8_t cp_hash[VTPM_MAX_DIGEST];
	uint8_t locality;
	bool nv_written_set;
	bool nv_written;
};

#define VTPM_CP_NONE 0u
#define VTPM_CP_CPHASH 1u
#define VTPM_CP_NAMEHASH 2u

/* The deferred assertions above as ContextSave keeps them: VTPM_SESSION_POLICY_EXT_SIZE
 * octets (cp_kind, cp_hash[VTPM_MAX_DIGEST], locality, nv_written_set, nv_written).
 * _ext_load returns false for an inconsistent encoding. */
#define VTPM_SESSION_POLICY_EXT_SIZE (4u + VTPM_MAX_DIGEST)
struct mw;
struct mr;
void vtpm_session_policy_ext_save(const struct vtpm_session *s, struct mw *w);
bool vtpm_session_policy_ext_load(struct vtpm_session *s, struct mr *r);

/* The loaded session with this handle, or NULL (wrong type, slot empty or saved, out of
 * range). */
struct vtpm_session *vtpm_session_find(struct vtpm *t, uint32_t handle);
/* The active (loaded or saved) session with this handle, or NULL. */
struct vtpm_session *vtpm_session_slot(struct vtpm *t, uint32_t handle);
/* The handle of slot i's session (valid only while the slot is used). */
uint32_t vtpm_session_handle(const struct vtpm *t, unsigned int slot);
/* Drops every session (power on, Startup). */
void vtpm_session_flush_all(struct vtpm *t);
/* Drops one session, wiping it. */
void vtpm_session_flush(struct vtpm_session *s);
/* Number of loaded sessions. */
unsigned int vtpm_session_count(const struct vtpm *t);
/* Number of active (loaded or saved) sessions. */
unsigned int vtpm_session_active_count(const struct vtpm *t);
/* Clears a policy session's policy state (TPM2_PolicyRestart, Part 3 §11.2; also used after a
 * successful authorization with continueSession, Part 1 §19.7). */
void vtpm_session_policy_reset(struct vtpm_session *s);

/*
 * The session HMAC of Part 1 §19.6.5 (command) and §19.6.6 (response):
 *   HMAC_authHash(sessionKey || authValue, pHash || nonceNewer || nonceOlder
 *                 { || nonceTPMdecrypt } { || nonceTPMencrypt } || attributes)
 * extra[extra_len] carries the optional decrypt/encrypt session nonces (command HMAC of the
 * first session only; the caller decides). auth_len <= VTPM_MAX_DIGEST. out receives
 * digest_size bytes. 0 or -1.
 */
int vtpm_session_hmac(const struct vtpm_session *s, const uint8_t *auth, size_t auth_len,
		      const uint8_t *p_hash, const uint8_t *nonce_newer, size_t newer_len,
		      const uint8_t *nonce_older, size_t older_len, const uint8_t *extra,
		      size_t extra_len, uint8_t attributes, uint8_t *out);

/*
 * CFB parameter encryption (Part 1 §21): key || iv = KDFa(authHash, sessionKey ||
 * authValue, "CFB", nonceNewer, nonceOlder, keyBits + 128), then AES-CFB over data[len] in
 * place (decrypt: the command's first parameter, nonceNewer = nonceCaller; encrypt: the
 * response's first parameter, nonceNewer = the new nonceTPM). 0 or -1.
 */
int vtpm_session_crypt(const struct vtpm_session *s, const uint8_t *auth, size_t auth_len,
		       const uint8_t *nonce_newer, size_t newer_len, const uint8_t *nonce_older,
		       size_t older_len, bool decrypt, uint8_t *data, size_t len);

/* policyDigest_new = H(policyDigest_old || data[len]) (Part 3 §23, every policy command). */
void vtpm_session_policy_extend(struct vtpm_session *s, const uint8_t *data, size_t len);

/* The bind identity of an entity (see bind_id): Name XOR authValue, zero-padded. */
void vtpm_session_bind_id(struct vtpm *t, uint32_t handle, uint8_t *id);
/* True if s is bound to the entity handle (same Name and same authValue as at start). */
bool vtpm_session_is_bound_to(struct vtpm *t, const struct vtpm_session *s, uint32_t handle);
