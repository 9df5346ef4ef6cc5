/*
 * The command engine: life cycle (vtpm.h) and vtpm_execute, which validates one command's
 * header, handle area and authorization area (TPM 2.0 Part 1 §18 "TPM Command/Response
 * Structure", Part 3 §5 "Command Processing"), runs the handler from the command table and
 * builds the response (parameterSize and the response authorization area for
 * TPM_ST_SESSIONS).
 *
 * Sessions: the password session TPM_RS_PW (Part 1, "Password Authorizations") and the HMAC
 * and policy sessions of session.h (Part 1 §19.6 "HMAC Authorizations", §19.7 "Policy
 * Authorizations"): the command HMAC is checked over cpHash = H(commandCode || names ||
 * parameters) before the handler runs, and every HMAC/policy session gets a fresh nonceTPM
 * and a response HMAC over rpHash = H(responseCode || commandCode || parameters). A handle
 * in the session range that is not loaded is TPM_RC_REFERENCE_S0 + index; anything else in
 * a session handle is TPM_RC_VALUE with the session number (TPMI_SH_AUTH_SESSION).
 */
#include "crypto/ct.h"
#include "crypto/hash.h"
#include "kernel/string.h"
#include "vtpm/commands.h"
#include "vtpm/da.h"
#include "vtpm/entity.h"
#include "vtpm/hierarchy.h"
#include "vtpm/nv.h"
#include "vtpm/object.h"
#include "vtpm/pcr.h"
#include "vtpm/random.h"
#include "vtpm/rc.h"
#include "vtpm/session.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"
#include "vtpm/vtpm.h"

#define HEADER_SIZE 10u
/* Smallest TPMS_AUTH_COMMAND: handle(4) + nonce size(2) + attributes(1) + hmac size(2). */
#define MIN_SESSION_SIZE 9u
/* TPM2B_NONCE and TPM2B_AUTH both hold at most sizeof(TPMU_HA). */
#define MAX_NONCE_SIZE VTPM_MAX_DIGEST
#define MAX_AUTH_SIZE VTPM_MAX_DIGEST

struct session {
	uint32_t handle;
	uint8_t attributes;
	uint16_t nonce_size;
	uint16_t hmac_size;
	const uint8_t *nonce;
	const uint8_t *hmac;
	struct vtpm_session *sess; /* HMAC/policy sessions: the loaded session */
};

size_t vtpm_size(void)
{
	return (sizeof(struct vtpm) + 15u) & ~(size_t)15u;
}

int vtpm_init(struct vtpm *t, const struct vtpm_platform *platform)
{
	if (t == NULL || platform == NULL || platform->entropy == NULL ||
	    platform->clock_ms == NULL) {
		return -1;
	}
	bastion_memset(t, 0, sizeof(*t));
	t->plat = *platform;
	t->initialised = true;
	t->table_ok = vtpm_command_table_valid();
	return 0;
}

void vtpm_power_on(struct vtpm *t)
{
	if (t == NULL || !t->initialised) {
		return;
	}
	/* _TPM_Init (Part 1 §12.2.2): volatile state lost, Startup required. The clock keeps
	 * counting from its last observed value (a TPM's Clock is non-volatile). */
	t->clock_base = t->ps.clock_last;
	t->started = false;
	t->orderly = false;
	t->failure = false;
	t->pcr_counter = 0;
	bastion_memset(t->pcr, 0, sizeof(t->pcr));
	vtpm_session_flush_all(t);
	vtpm_object_flush_all(t);
	t->context_seq = 0;
	/* The context key is per boot (cmd_context.c): contexts saved before this _TPM_Init
	 * never load again, like the sessions they came from. */
	if (vtpm_rng_instantiate(t) != 0 ||
	    vtpm_rng_generate(t, t->context_key, sizeof(t->context_key)) != 0) {
		t->failure = true;
	}
}

void vtpm_clock_update(struct vtpm *t, bool force)
{
	uint64_t now = t->clock_base + t->plat.clock_ms(t->plat.ctx);

	/* Part 1 "Clock": the TPM saves Clock to NV periodically (and at Shutdown), not on
	 * every tick, so the NV image changes only every VTPM_CLOCK_SAVE_MS while idle. */
	if (force || now - t->ps.clock_last >= VTPM_CLOCK_SAVE_MS) {
		t->ps.clock_last = now;
	}
}

int vtpm_manufacture(struct vtpm *t)
{
	struct {
		uint8_t seeds[VTPM_NUM_HIERARCHIES][VTPM_SEED_SIZE];
		uint8_t proofs[VTPM_NUM_HIERARCHIES][VTPM_PROOF_SIZE];
	} fresh;
	int rc;

	if (t == NULL || !t->initialised) {
		return -1;
	}
	rc = t->plat.entropy(t->plat.ctx, (uint8_t *)&fresh, sizeof(fresh));
	if (rc == 0) {
		bastion_memcpy(t->ps.seeds, fresh.seeds, sizeof(fresh.seeds));
		bastion_memcpy(t->ps.proofs, fresh.proofs, sizeof(fresh.proofs));
		vtpm_hierarchy_manufacture(t);
		vtpm_nv_manufacture(t);
		vtpm_da_manufacture(t);
		t->ps.pcr_allocated = (uint8_t)((1u << VTPM_NUM_HASHES) - 1u);
		t->clock_base = 0;
		t->ps.clock_last = 0;
		t->ps.reset_count = 0;
		t->ps.restart_count = 0;
		t->ps.shutdown = VTPM_SHUTDOWN_NONE;
		bastion_memset(t->ps.saved_pcr, 0, sizeof(t->ps.saved_pcr));
		t->ps.saved_pcr_counter = 0;
		t->ps.manufactured = true;
		vtpm_power_on(t);
	}
	mem_wipe(&fresh, sizeof(fresh));
	return rc == 0 && !t->failure ? 0 : -1;
}

/* Parses the authorization area (Part 1 §18 "Authorization Area"): authorizationSize, then 1..3 sessions
 * filling it exactly. */
static uint32_t parse_sessions(struct mr *in, struct session *s, unsigned int *count)
{
	uint32_t auth_size = mr_u32(in);
	const uint8_t *area;
	struct mr a;
	unsigned int n = 0;

	if (in->rc != TPM_RC_SUCCESS || auth_size < MIN_SESSION_SIZE ||
	    auth_size > mr_remaining(in)) {
		return TPM_RC_AUTHSIZE;
	}
	area = mr_bytes(in, auth_size);
	mr_init(&a, area, auth_size);
	while (mr_remaining(&a) != 0) {
		if (n == VTPM_MAX_SESSIONS) {
			return TPM_RC_AUTHSIZE;
		}
		s[n].sess = NULL;
		s[n].handle = mr_u32(&a);
		s[n].nonce_size = mr_tpm2b(&a, MAX_NONCE_SIZE, &s[n].nonce);
		s[n].attributes = mr_u8(&a);
		s[n].hmac_size = mr_tpm2b(&a, MAX_AUTH_SIZE, &s[n].hmac);
		if (a.rc == TPM_RC_SIZE) {
			return rc_session(TPM_RC_SIZE, n + 1);
		}
		if (a.rc != TPM_RC_SUCCESS) {
			return TPM_RC_AUTHSIZE;
		}
		/* Part 1, "Password Authorizations": nonceCaller is the Empty Buffer. */
		if (s[n].handle == TPM_RS_PW && s[n].nonce_size != 0) {
			return rc_session(TPM_RC_SIZE, n + 1);
		}
		n++;
	}
	*count = n;
	return TPM_RC_SUCCESS;
}

static unsigned int auth_needed(const struct vtpm_command_desc *d)
{
	unsigned int needed = 0;

	for (unsigned int h = 0; h < d->n_handles; h++) {
		needed += (d->auth_mask >> h) & 1u;
	}
	return needed;
}

/* Checks the sessions against the command's authorization needs (Part 1, "Authorizations";
 * Part 1 §19.6 for HMAC and policy sessions). Session i < needed authorizes the i-th handle
 * that needs authorization; a later session must be an HMAC or policy session used for
 * parameter encryption (audit is not implemented). *dec / *enc receive the index of the
 * decrypt / encrypt session or VTPM_MAX_SESSIONS. */
static uint32_t check_sessions(struct vtpm *t, const struct vtpm_command_desc *d,
			       struct session *s, unsigned int count, unsigned int *dec,
			       unsigned int *enc)
{
	unsigned int needed = auth_needed(d);

	*dec = VTPM_MAX_SESSIONS;
	*enc = VTPM_MAX_SESSIONS;
	for (unsigned int i = 0; i < count; i++) {
		uint32_t ht = s[i].handle >> 24;

		if (s[i].handle == TPM_RS_PW) {
			if (s[i].attributes & TPMA_SESSION_RESERVED) {
				return rc_session(TPM_RC_RESERVED_BITS, i + 1);
			}
			/* A password session authorizes a handle and nothing else: no audit, no
			 * parameter encryption. */
			if (s[i].attributes & (uint8_t)~TPMA_SESSION_CONTINUE) {
				return rc_session(TPM_RC_ATTRIBUTES, i + 1);
			}
			if (i >= needed) {
				return rc_session(TPM_RC_HANDLE, i + 1);
			}
		} else if (ht == TPM_HT_HMAC_SESSION || ht == TPM_HT_POLICY_SESSION) {
			s[i].sess = vtpm_session_find(t, s[i].handle);
			if (s[i].sess == NULL) {
				return TPM_RC_REFERENCE_S0 + i;
			}
			/* A session may appear only once in a command. */
			for (unsigned int j = 0; j < i; j++) {
				if (s[j].handle == s[i].handle) {
					return rc_session(TPM_RC_HANDLE, i + 1);
				}
			}
			if (s[i].attributes & TPMA_SESSION_RESERVED) {
				return rc_session(TPM_RC_RESERVED_BITS, i + 1);
			}
			/* Command audit is not implemented: audit, auditExclusive and auditReset
			 * are refused as attributes this TPM does not allow. */
			if (s[i].attributes & (TPMA_SESSION_AUDIT | TPMA_SESSION_AUDIT_EXCLUSIVE |
					       TPMA_SESSION_AUDIT_RESET)) {
				return rc_session(TPM_RC_ATTRIBUTES, i + 1);
			}
			/* Parameter encryption (Part 1 §21): only where the command's first
			 * parameter (decrypt) or the response's (encrypt) is a TPM2B, by one
			 * session each, and only by a session with a symmetric algorithm. */
			if (s[i].attributes & TPMA_SESSION_DECRYPT) {
				if (!(d->flags & VTPM_CMD_DECRYPT) || *dec != VTPM_MAX_SESSIONS) {
					return rc_session(TPM_RC_ATTRIBUTES, i + 1);
				}
				*dec = i;
			}
			if (s[i].attributes & TPMA_SESSION_ENCRYPT) {
				if (!(d->flags & VTPM_CMD_ENCRYPT) || *enc != VTPM_MAX_SESSIONS) {
					return rc_session(TPM_RC_ATTRIBUTES, i + 1);
				}
				*enc = i;
			}
			if ((s[i].attributes & (TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT)) &&
			    s[i].sess->symmetric == TPM_ALG_NULL) {
				return rc_session(TPM_RC_SYMMETRIC, i + 1);
			}
			/* nonceCaller: 16 octets up to the session's digest size. */
			if (s[i].nonce_size < VTPM_MIN_NONCE ||
			    s[i].nonce_size > s[i].sess->digest_size) {
				return rc_session(TPM_RC_SIZE, i + 1);
			}
			/* A session that authorizes nothing must be there for encryption. */
			if (i >= needed && !(s[i].attributes & (TPMA_SESSION_DECRYPT |
								TPMA_SESSION_ENCRYPT))) {
				return rc_session(TPM_RC_ATTRIBUTES, i + 1);
			}
			/* A trial policy session only computes a digest; it never authorizes. */
			if (i < needed && s[i].sess->type == TPM_SE_TRIAL) {
				return rc_session(TPM_RC_ATTRIBUTES, i + 1);
			}
		} else {
			return rc_session(TPM_RC_VALUE, i + 1);
		}
	}
	if (count < needed) {
		return TPM_RC_AUTH_MISSING;
	}
	return TPM_RC_SUCCESS;
}

/* A password (or PolicyPassword authValue) against the entity's authValue. Trailing zero
 * octets are not significant (authValues are used with trailing zeros removed, Part 1
 * "Password Authorizations"), so "" and "\0\0" both match the empty authValue. */
static bool password_ok(struct vtpm *t, const struct session *s, uint32_t handle)
{
	const uint8_t *auth;
	size_t auth_len = vtpm_entity_auth(t, handle, &auth);
	size_t len = vtpm_auth_trim(s->hmac, s->hmac_size);

	return len == auth_len && (len == 0 || ct_memeq(s->hmac, auth, len));
}

/* cpHash = H_authHash(commandCode || Name(handle 1) || ... || parameters) (Part 1 §18.7).
 * Names come from the entity interface (entity.h): a PCR's, permanent handle's or session's
 * Name is its handle, an object's or NV index's nameAlg || H(public area), a sequence
 * object's the Empty Buffer. names[i] were taken before the handler ran. */
static void cp_hash(const struct vtpm_session *sess, uint32_t cc,
		    const uint8_t (*names)[VTPM_MAX_NAME], const size_t *name_sizes,
		    unsigned int n_handles, const uint8_t *params, size_t params_len,
		    uint8_t *out)
{
	struct hash_ctx h;
	uint8_t b[4];

	hash_init(&h, vtpm_hash_info(sess->hash)->id);
	put_be32(b, cc);
	hash_update(&h, b, 4);
	for (unsigned int i = 0; i < n_handles; i++) {
		hash_update(&h, names[i], name_sizes[i]);
	}
	hash_update(&h, params, params_len);
	hash_final(&h, out);
}

/* Part 1 §19.7: the checks a policy session makes before its HMAC or password: the
 * policyDigest against the entity's authPolicy, then the deferred assertions of Part 3 §23:
 * command code (PolicyCommandCode), PCR state (PolicyPCR), locality (PolicyLocality:
 * TPM_RC_LOCALITY), cpHash (PolicyCpHash, or cpHashA of PolicySigned/PolicySecret) and
 * nameHash (PolicyNameHash) over this command, and the NV index's written state
 * (PolicyNvWritten); each mismatch but the locality is TPM_RC_POLICY_FAIL + session n. */
static uint32_t check_policy(struct vtpm *t, const struct session *s, unsigned int n,
			     uint32_t cc, uint32_t handle, uint8_t locality,
			     const uint8_t (*names)[VTPM_MAX_NAME], const size_t *name_sizes,
			     unsigned int n_handles, const uint8_t *params, size_t params_len)
{
	const struct vtpm_session *ps = s->sess;
	const uint8_t *policy;
	size_t policy_len = vtpm_entity_policy(t, handle, &policy);
	uint8_t d[VTPM_MAX_DIGEST] = { 0 };

	if (policy_len != ps->digest_size ||
	    !ct_memeq(policy, ps->policy_digest, ps->digest_size)) {
		return rc_session(TPM_RC_POLICY_FAIL, n);
	}
	if (ps->cc_set && ps->command_code != cc) {
		return rc_session(TPM_RC_POLICY_CC, n);
	}
	if (ps->pcr_set && ps->pcr_counter != t->pcr_counter) {
		return TPM_RC_PCR_CHANGED;
	}
	if (ps->locality != 0 &&
	    (ps->locality < 32 ? !(ps->locality & (1u << locality)) : ps->locality != locality)) {
		return TPM_RC_LOCALITY;
	}
	if (ps->cp_kind == VTPM_CP_CPHASH) {
		cp_hash(ps, cc, names, name_sizes, n_handles, params, params_len, d);
	} else if (ps->cp_kind == VTPM_CP_NAMEHASH) {
		struct hash_ctx h;

		if (hash_init(&h, vtpm_hash_info(ps->hash)->id) != 0) {
			return TPM_RC_FAILURE;
		}
		for (unsigned int i = 0; i < n_handles; i++) {
			hash_update(&h, names[i], name_sizes[i]);
		}
		hash_final(&h, d);
	}
	if (ps->cp_kind != VTPM_CP_NONE && !ct_memeq(d, ps->cp_hash, ps->digest_size)) {
		return rc_session(TPM_RC_POLICY_FAIL, n);
	}
	if (ps->nv_written_set) {
		const struct vtpm_nv_index *x = vtpm_nv_find(t, handle);

		if (x == NULL || ((x->attributes & TPMA_NV_WRITTEN) != 0) != ps->nv_written) {
			return rc_session(TPM_RC_POLICY_FAIL, n);
		}
	}
	return TPM_RC_SUCCESS;
}

/* The handle that session i authorizes, or TPM_RH_NULL for a session that authorizes
 * nothing (its authValue is then empty). */
static uint32_t authorized_handle(const struct vtpm_command_desc *d, const uint32_t *handles,
				  unsigned int i)
{
	unsigned int k = 0;

	for (unsigned int h = 0; h < d->n_handles; h++) {
		if ((d->auth_mask >> h) & 1u) {
			if (k++ == i) {
				return handles[h];
			}
		}
	}
	return TPM_RH_NULL;
}

/* The authValue that goes into session i's HMAC and CFB keys: the entity's for an HMAC
 * session, for a policy session only after PolicyAuthValue; none for a session that
 * authorizes nothing. */
static size_t session_auth(struct vtpm *t, const struct session *s, unsigned int i,
			   unsigned int needed, uint32_t handle, const uint8_t **auth)
{
	*auth = NULL;
	if (i >= needed || (s->sess->type != TPM_SE_HMAC && !s->sess->auth_value_needed)) {
		return 0;
	}
	/* The bound-entity rule (Part 1 §19.6.2): an HMAC session authorizing the entity it
	 * is bound to already holds its authValue in the session key. */
	if (s->sess->type == TPM_SE_HMAC && vtpm_session_is_bound_to(t, s->sess, handle)) {
		return 0;
	}
	return vtpm_entity_auth(t, handle, auth);
}

/* Checks each session: passwords, policy assertions, command HMACs (Part 1 §19.6.5:
 * HMAC(sessionKey || authValue, cpHash || nonceCaller || nonceTPM { || nonceTPMdecrypt }
 * { || nonceTPMencrypt } || sessionAttributes), the decrypt/encrypt nonces only in the first
 * session's HMAC and only when those sessions are not the first, the encrypt one only when
 * it differs from the decrypt one). A wrong value is TPM_RC_AUTH_FAIL + session n and counts
 * as a dictionary-attack failure (da.h) of a DA-protected entity or lockoutAuth; while
 * such an entity is locked out its authValue is not even tried (TPM_RC_LOCKOUT). The ADMIN
 * role of an NV index (VTPM_CMD_ADMIN) takes only a policy session (Part 1 §19.2). */
static uint32_t check_auths(struct vtpm *t, const struct vtpm_command_desc *d,
			    const uint32_t *handles, const struct session *s, unsigned int count,
			    unsigned int dec, unsigned int enc, const uint8_t *params,
			    size_t params_len, uint8_t locality)
{
	unsigned int needed = auth_needed(d);
	uint8_t names[VTPM_MAX_HANDLES][VTPM_MAX_NAME];
	size_t name_sizes[VTPM_MAX_HANDLES] = { 0 };

	for (unsigned int h = 0; h < d->n_handles; h++) {
		name_sizes[h] = vtpm_entity_name(t, handles[h], names[h]);
	}
	for (unsigned int i = 0; i < count; i++) {
		const struct vtpm_session *ss = s[i].sess;
		uint32_t handle = authorized_handle(d, handles, i);
		bool uses_auth = i < needed && (ss == NULL || ss->type == TPM_SE_HMAC ||
						ss->auth_value_needed || ss->password_needed);
		uint8_t extra[2 * VTPM_MAX_DIGEST];
		size_t extra_len = 0;
		uint8_t cp[VTPM_MAX_DIGEST];
		uint8_t mac[VTPM_MAX_DIGEST];
		const uint8_t *auth;
		size_t auth_len;
		bool ok;
		uint32_t rc;

		if ((d->flags & VTPM_CMD_ADMIN) && i == 0 && handle >> 24 == TPM_HT_NV_INDEX &&
		    (ss == NULL || ss->type == TPM_SE_HMAC)) {
			return TPM_RC_AUTH_TYPE;
		}
		if (uses_auth) {
			rc = vtpm_da_check(t, handle);
			if (rc != TPM_RC_SUCCESS) {
				return rc;
			}
		}
		if (ss == NULL) {
			if (!password_ok(t, &s[i], handle)) {
				vtpm_da_failure(t, handle);
				return rc_session(TPM_RC_AUTH_FAIL, i + 1);
			}
			continue;
		}
		if (i < needed && ss->type != TPM_SE_HMAC) {
			rc = check_policy(t, &s[i], i + 1, d->cc, handle, locality, names,
					  name_sizes, d->n_handles, params, params_len);
			if (rc != TPM_RC_SUCCESS) {
				return rc;
			}
			if (ss->password_needed) {
				if (!password_ok(t, &s[i], handle)) {
					vtpm_da_failure(t, handle);
					return rc_session(TPM_RC_AUTH_FAIL, i + 1);
				}
				continue;
			}
		}
		if (i == 0 && dec != VTPM_MAX_SESSIONS && dec != 0) {
			const struct vtpm_session *ds = s[dec].sess;

			bastion_memcpy(extra, ds->nonce_tpm, ds->digest_size);
			extra_len = ds->digest_size;
		}
		if (i == 0 && enc != VTPM_MAX_SESSIONS && enc != 0 && enc != dec) {
			const struct vtpm_session *es = s[enc].sess;

			bastion_memcpy(extra + extra_len, es->nonce_tpm, es->digest_size);
			extra_len += es->digest_size;
		}
		auth_len = session_auth(t, &s[i], i, needed, handle, &auth);
		cp_hash(ss, d->cc, names, name_sizes, d->n_handles, params, params_len, cp);
		if (vtpm_session_hmac(ss, auth, auth_len, cp, s[i].nonce, s[i].nonce_size,
				      ss->nonce_tpm, ss->digest_size, extra, extra_len,
				      s[i].attributes, mac) != 0) {
			return TPM_RC_FAILURE;
		}
		ok = s[i].hmac_size == ss->digest_size &&
		     ct_memeq(s[i].hmac, mac, ss->digest_size);
		mem_wipe(mac, sizeof(mac));
		if (!ok) {
			if (uses_auth) {
				vtpm_da_failure(t, handle);
			}
			return rc_session(TPM_RC_AUTH_FAIL, i + 1);
		}
	}
	return TPM_RC_SUCCESS;
}

/* The first parameter, a TPM2B at p[0..len): its data and size, or false if it does not fit
 * (the handler then reports the malformed parameter on the plaintext). */
static bool first_tpm2b(uint8_t *p, size_t len, uint8_t **data, size_t *size)
{
	if (len < 2 || (size_t)be16(p) > len - 2) {
		return false;
	}
	*data = p + 2;
	*size = be16(p);
	return true;
}

/* The response session area (Part 1 §19.6.6) for HMAC/policy session i: the new nonceTPM,
 * the attributes as sent and HMAC(sessionKey || authValue, rpHash || nonceTPM ||
 * nonceCaller || sessionAttributes), rpHash = H(TPM_RC_SUCCESS || commandCode ||
 * parameters). A policy session after PolicyPassword answers an empty hmac. */
static void respond_session(struct mw *out, const struct session *s, unsigned int i,
			    unsigned int needed, const uint8_t *nonce, uint32_t cc,
			    const uint8_t *auth, size_t auth_len, const uint8_t *params,
			    size_t params_len)
{
	struct vtpm_session *ss = s->sess;
	uint8_t rp[VTPM_MAX_DIGEST];
	uint8_t mac[VTPM_MAX_DIGEST];
	struct hash_ctx h;
	uint8_t b[8];

	bastion_memcpy(ss->nonce_tpm, nonce, ss->digest_size);
	mw_tpm2b(out, ss->nonce_tpm, ss->digest_size);
	mw_u8(out, s->attributes);
	if (i < needed && ss->type != TPM_SE_HMAC && ss->password_needed) {
		mw_u16(out, 0);
		return;
	}
	hash_init(&h, vtpm_hash_info(ss->hash)->id);
	put_be32(b, TPM_RC_SUCCESS);
	put_be32(b + 4, cc);
	hash_update(&h, b, sizeof(b));
	hash_update(&h, params, params_len);
	hash_final(&h, rp);
	if (vtpm_session_hmac(ss, auth, auth_len, rp, ss->nonce_tpm, ss->digest_size, s->nonce,
			      s->nonce_size, NULL, 0, s->attributes, mac) != 0) {
		/* Cannot happen (the session's hash is implemented); an empty hmac then makes
		 * the caller's check fail rather than the TPM. */
		mw_u16(out, 0);
		return;
	}
	mw_tpm2b(out, mac, ss->digest_size);
	mem_wipe(mac, sizeof(mac));
}

static bool allowed_in_failure_mode(uint32_t cc)
{
	/* Part 1, "Failure Mode": GetTestResult and GetCapability still answer. */
	return cc == TPM_CC_GET_TEST_RESULT || cc == TPM_CC_GET_CAPABILITY;
}

/* The response after a successful handler: response handle, parameterSize, parameter
 * encryption and the response sessions (Part 1 §18, §19.6.6, §21). auths[i] is session i's
 * authValue as captured before the handler ran. */
static uint32_t finish(struct vtpm *t, const struct vtpm_command_desc *d,
		       const struct vtpm_cmd *c, struct mw *out, uint16_t tag,
		       struct session *sessions, unsigned int n_sessions, unsigned int enc,
		       uint8_t (*nonces)[VTPM_MAX_DIGEST], uint8_t (*auths)[MAX_AUTH_SIZE],
		       const size_t *auth_lens, size_t rhandle_at, size_t psize_at,
		       size_t params_at, uint16_t *rsp_tag, size_t *len)
{
	if (out->overflow) {
		/* Handlers bound their output (GetCapability by TPM_PT_MAX_CAP_BUFFER); reaching
		 * this is an engine bug, reported without crashing. */
		return TPM_RC_MEMORY;
	}
	if (d->flags & VTPM_CMD_RHANDLE) {
		mw_patch_u32(out, rhandle_at, c->rsp_handle);
	}
	if (tag == TPM_ST_SESSIONS) {
		size_t params_len = out->off - params_at;
		unsigned int needed = auth_needed(d);

		mw_patch_u32(out, psize_at, (uint32_t)params_len);
		/* Encrypt the first response parameter before rpHash covers it (Part 1 §21:
		 * nonceNewer = the new nonceTPM, nonceOlder = nonceCaller). */
		if (enc != VTPM_MAX_SESSIONS) {
			const struct session *es = &sessions[enc];
			uint8_t *data;
			size_t data_len;

			if (first_tpm2b(t->rsp + params_at, params_len, &data, &data_len) &&
			    vtpm_session_crypt(es->sess, auths[enc], auth_lens[enc], nonces[enc],
					       es->sess->digest_size, es->nonce, es->nonce_size,
					       false, data, data_len) != 0) {
				return TPM_RC_FAILURE;
			}
		}
		for (unsigned int i = 0; i < n_sessions; i++) {
			if (sessions[i].sess == NULL) {
				/* Password session response (Part 1, "Password Authorizations"):
				 * empty nonceTPM, continueSession as the caller set it, empty hmac. */
				mw_u16(out, 0);
				mw_u8(out, (uint8_t)(sessions[i].attributes & TPMA_SESSION_CONTINUE));
				mw_u16(out, 0);
				continue;
			}
			respond_session(out, &sessions[i], i, needed, nonces[i], c->cc, auths[i],
					auth_lens[i], t->rsp + params_at, params_len);
			/* Part 1 §19.7: a policy session that authorized is reset for its next
			 * use; continueSession clear ends the session (Part 1 §19.6). */
			if (i < needed && sessions[i].sess->type != TPM_SE_HMAC) {
				vtpm_session_policy_reset(sessions[i].sess);
			}
			if (!(sessions[i].attributes & TPMA_SESSION_CONTINUE)) {
				vtpm_session_flush(sessions[i].sess);
			}
		}
		if (out->overflow) {
			return TPM_RC_MEMORY;
		}
		*rsp_tag = TPM_ST_SESSIONS;
	}
	*len = out->off;
	return TPM_RC_SUCCESS;
}

/* Runs one command; the response is in t->rsp[0..*len). */
static uint32_t run(struct vtpm *t, uint8_t locality, const uint8_t *cmd, size_t cmd_len,
		    uint16_t *rsp_tag, size_t *len)
{
	struct session sessions[VTPM_MAX_SESSIONS];
	uint8_t nonces[VTPM_MAX_SESSIONS][VTPM_MAX_DIGEST];
	/* Each session's authValue, captured before the handler runs: the response HMAC and
	 * encryption use it even when the handler flushed the entity (SequenceComplete). */
	uint8_t auths[VTPM_MAX_SESSIONS][MAX_AUTH_SIZE];
	size_t auth_lens[VTPM_MAX_SESSIONS] = { 0 };
	unsigned int n_sessions = 0;
	unsigned int dec = VTPM_MAX_SESSIONS;
	unsigned int enc = VTPM_MAX_SESSIONS;
	const struct vtpm_command_desc *d;
	struct vtpm_cmd c;
	struct mr in;
	struct mw out;
	uint16_t tag;
	uint32_t size;
	uint32_t rc;
	size_t params_at;
	size_t rhandle_at = 0;
	size_t psize_at = 0;

	*rsp_tag = TPM_ST_NO_SESSIONS;
	*len = HEADER_SIZE;

	/* Header (Part 3 §5.2). A TPM 1.2-style or garbage tag is answered in the TPM 1.2
	 * response format so a 1.2 driver can read it. */
	if (cmd_len < 2) {
		return TPM_RC_COMMAND_SIZE;
	}
	tag = be16(cmd);
	if (tag != TPM_ST_NO_SESSIONS && tag != TPM_ST_SESSIONS) {
		*rsp_tag = TPM_ST_RSP_COMMAND;
		return TPM_RC_BAD_TAG;
	}
	if (cmd_len < HEADER_SIZE) {
		return TPM_RC_COMMAND_SIZE;
	}
	size = be32(cmd + 2);
	if (size != cmd_len || size < HEADER_SIZE || size > VTPM_MAX_COMMAND_SIZE) {
		return TPM_RC_COMMAND_SIZE;
	}
	/* From here on cmd_len <= VTPM_MAX_COMMAND_SIZE: the whole command is in t->cmd. */
	c.cc = be32(cmd + 6);
	d = vtpm_command_find(c.cc);
	if (d == NULL) {
		return TPM_RC_COMMAND_CODE;
	}
	if (t->failure || !t->table_ok || !t->ps.manufactured) {
		if (!allowed_in_failure_mode(c.cc)) {
			return TPM_RC_FAILURE;
		}
	} else if (!t->started && c.cc != TPM_CC_STARTUP) {
		return TPM_RC_INITIALIZE;
	}
	if (locality > 4) {
		return TPM_RC_LOCALITY;
	}

	/* Handle area: the table says how many and of which interface type. */
	mr_init(&in, cmd + HEADER_SIZE, cmd_len - HEADER_SIZE);
	for (unsigned int h = 0; h < VTPM_MAX_HANDLES; h++) {
		c.handles[h] = 0;
	}
	for (unsigned int h = 0; h < d->n_handles; h++) {
		c.handles[h] = mr_u32(&in);
		if (in.rc != TPM_RC_SUCCESS) {
			return rc_handle(TPM_RC_INSUFFICIENT, h + 1);
		}
		rc = vtpm_entity_check(t, (enum vtpm_handle_kind)d->kind[h], c.handles[h], h + 1);
		if (rc != TPM_RC_SUCCESS) {
			return rc;
		}
	}

	/* Authorization area. */
	if (tag == TPM_ST_SESSIONS) {
		rc = parse_sessions(&in, sessions, &n_sessions);
		if (rc == TPM_RC_SUCCESS) {
			rc = check_sessions(t, d, sessions, n_sessions, &dec, &enc);
		}
		if (rc == TPM_RC_SUCCESS) {
			rc = check_auths(t, d, c.handles, sessions, n_sessions, dec, enc,
					 in.p + in.off, mr_remaining(&in), locality);
		}
		if (rc != TPM_RC_SUCCESS) {
			return rc;
		}
	} else if (d->auth_mask != 0) {
		return TPM_RC_AUTH_MISSING;
	}

	/* Response layout: header | [handle] | [parameterSize] | parameters | [sessions]. */
	mw_init(&out, t->rsp, sizeof(t->rsp));
	out.off = HEADER_SIZE;
	if (d->flags & VTPM_CMD_RHANDLE) {
		rhandle_at = out.off;
		mw_u32(&out, 0);
	}
	if (tag == TPM_ST_SESSIONS) {
		psize_at = out.off;
		mw_u32(&out, 0);
	}
	params_at = out.off;

	c.locality = locality;
	c.in = &in;
	c.out = &out;
	c.rsp_handle = 0;
	c.policy_auth = 0;
	for (unsigned int i = 0, k = 0; i < d->n_handles; i++) {
		/* Bit i: handle i was authorized by session k, a policy session. */
		if ((d->auth_mask >> i) & 1u) {
			if (k < n_sessions && sessions[k].sess != NULL &&
			    sessions[k].sess->type != TPM_SE_HMAC) {
				c.policy_auth |= (uint8_t)(1u << i);
			}
			k++;
		}
	}
	/* The next nonceTPM of each HMAC/policy session is drawn before the handler runs, so a
	 * DRBG failure cannot follow a state change. */
	for (unsigned int i = 0; i < n_sessions; i++) {
		const uint8_t *auth;

		if (sessions[i].sess == NULL) {
			continue;
		}
		auth_lens[i] = session_auth(t, &sessions[i], i, auth_needed(d),
					    authorized_handle(d, c.handles, i), &auth);
		if (auth_lens[i] > MAX_AUTH_SIZE ||
		    vtpm_rng_generate(t, nonces[i], sessions[i].sess->digest_size) != 0) {
			mem_wipe(auths, sizeof(auths));
			return TPM_RC_FAILURE;
		}
		if (auth_lens[i] != 0) {
			bastion_memcpy(auths[i], auth, auth_lens[i]);
		}
	}
	/* Decrypt the first parameter in place (t->cmd is the engine's copy; the HMACs above
	 * covered the ciphertext). Part 1 §21: nonceNewer = nonceCaller, nonceOlder = nonceTPM. */
	if (dec != VTPM_MAX_SESSIONS) {
		const struct session *ds = &sessions[dec];
		uint8_t *data;
		size_t data_len;

		if (first_tpm2b(t->cmd + (cmd_len - mr_remaining(&in)), mr_remaining(&in), &data,
				&data_len) &&
		    vtpm_session_crypt(ds->sess, auths[dec], auth_lens[dec], ds->nonce,
				       ds->nonce_size, ds->sess->nonce_tpm, ds->sess->digest_size,
				       true, data, data_len) != 0) {
			mem_wipe(auths, sizeof(auths));
			return TPM_RC_FAILURE;
		}
	}
	rc = d->fn(t, &c);
	if (rc == TPM_RC_SUCCESS) {
		/* A command that changes the authorizing entity's authValue answers with the
		 * new one in the response HMAC: what the caller holds from now on (tpm2-tss
		 * checks HierarchyChangeAuth's and Clear's responses with the new lockoutAuth).
		 * Hierarchies always exist, so their authValue is simply read again; an NV
		 * index only for NV_ChangeAuth (other commands may have undefined it). */
		for (unsigned int i = 0; i < n_sessions; i++) {
			uint32_t ah = authorized_handle(d, c.handles, i);
			const uint8_t *auth;

			if (sessions[i].sess == NULL ||
			    (ah >> 24 != TPM_HT_PERMANENT && c.cc != TPM_CC_NV_CHANGE_AUTH)) {
				continue;
			}
			auth_lens[i] = session_auth(t, &sessions[i], i, auth_needed(d), ah, &auth);
			mem_wipe(auths[i], sizeof(auths[i]));
			if (auth_lens[i] != 0) {
				bastion_memcpy(auths[i], auth, auth_lens[i]);
			}
		}
	}
	if (rc == TPM_RC_SUCCESS) {
		rc = finish(t, d, &c, &out, tag, sessions, n_sessions, enc, nonces, auths,
			    auth_lens, rhandle_at, psize_at, params_at, rsp_tag, len);
	}
	mem_wipe(auths, sizeof(auths));
	mem_wipe(nonces, sizeof(nonces));
	return rc;
}

uint32_t vtpm_execute(struct vtpm *t, uint8_t locality, const uint8_t *cmd, size_t cmd_len,
		      uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	uint16_t tag;
	size_t len;
	uint32_t rc;

	if (rsp_len != NULL) {
		*rsp_len = 0;
	}
	if (t == NULL || rsp == NULL || rsp_len == NULL || rsp_cap < HEADER_SIZE) {
		return TPM_RC_FAILURE;
	}
	if (!t->initialised) {
		tag = TPM_ST_NO_SESSIONS;
		len = HEADER_SIZE;
		rc = TPM_RC_FAILURE;
	} else {
		size_t copy;

		if (cmd == NULL) {
			cmd_len = 0;
		}
		/* One read of the caller's bytes; anything longer than the largest command is
		 * refused on its header alone (TPM_RC_COMMAND_SIZE or TPM_RC_BAD_TAG). */
		copy = cmd_len < sizeof(t->cmd) ? cmd_len : sizeof(t->cmd);
		if (copy != 0) {
			bastion_memcpy(t->cmd, cmd, copy);
		}
		vtpm_clock_update(t, false);
		rc = run(t, locality, t->cmd, cmd_len, &tag, &len);
		if (rc != TPM_RC_SUCCESS) {
			tag = tag == TPM_ST_RSP_COMMAND ? TPM_ST_RSP_COMMAND : TPM_ST_NO_SESSIONS;
			len = HEADER_SIZE;
		} else if (len > rsp_cap) {
			/* The caller's buffer is smaller than VTPM_MAX_RESPONSE_SIZE and this
			 * response does not fit (vtpm.h makes that the caller's choice). */
			rc = TPM_RC_SIZE;
			tag = TPM_ST_NO_SESSIONS;
			len = HEADER_SIZE;
		} else {
			bastion_memcpy(rsp + HEADER_SIZE, t->rsp + HEADER_SIZE, len - HEADER_SIZE);
		}
	}
	put_be16(rsp, tag);
	put_be32(rsp + 2, (uint32_t)len);
	put_be32(rsp + 6, rc);
	*rsp_len = len;
	return rc;
}
