/*
 * Object commands (TPM 2.0 Part 3 §12 "Object Commands", §24.1 TPM2_CreatePrimary, §28.5
 * TPM2_EvictControl): CreatePrimary, Create, Load, LoadExternal, ReadPublic, Unseal,
 * ObjectChangeAuth, EvictControl.
 *
 * Every handler reads and validates all parameters first, then checks the parent/object,
 * then builds the new object in t->ks.key (scratch, wiped at the end) and only when all of
 * that succeeded loads it into a slot and writes the response: no partial state change on
 * error. Creation data (Part 2 §15.1 TPMS_CREATION_DATA) records the PCR selection and the
 * digest of those PCRs (H_nameAlg of their values in selection order), the locality, the
 * parent's nameAlg, Name and Qualified Name (a primary's parent is its hierarchy: Name = QN
 * = the handle, nameAlg TPM_ALG_NULL) and outsideInfo; creationHash = H_nameAlg(it) and
 * the ticket (Part 2 §10.7.3) = HMAC-SHA-256(proof of the hierarchy, TPM_ST_CREATION ||
 * Name || creationHash).
 */
#include "crypto/ecc.h"
#include "crypto/hash.h"
#include "crypto/hmac.h"
#include "kernel/string.h"
#include "vtpm/commands.h"
#include "vtpm/hierarchy.h"
#include "vtpm/keygen.h"
#include "vtpm/object.h"
#include "vtpm/pcr.h"
#include "vtpm/protect.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

#define TPM_ST_CREATION 0x8021u
#define MAX_DATA 66u /* TPM2B_DATA: sizeof(TPMT_HA) */

static unsigned int hier_index(uint32_t h)
{
	return h == TPM_RH_PLATFORM	 ? VTPM_HIER_PLATFORM
	       : h == TPM_RH_ENDORSEMENT ? VTPM_HIER_ENDORSEMENT
	       : h == TPM_RH_OWNER	 ? VTPM_HIER_OWNER
					 : VTPM_HIER_NULL;
}

/* QN = nameAlg || H_nameAlg(parent QN || Name) (Part 1 §16 "Qualified Name"). */
static void set_qname(struct vtpm_key *k, const uint8_t *pqn, size_t pqn_len)
{
	const struct vtpm_hash_info *hi = vtpm_hash_of_valid(k->pub.name_alg);
	struct hash_ctx h;

	hash_init(&h, hi->id);
	hash_update(&h, pqn, pqn_len);
	hash_update(&h, k->name, k->name_size);
	put_be16(k->qname, k->pub.name_alg);
	hash_final(&h, k->qname + 2);
	k->qname_size = (uint16_t)(2u + hi->size);
}

/* The inputs common to Create and CreatePrimary. */
struct create_in {
	struct vtpm_sensitive_create sc;
	struct vtpm_public pub;
	const uint8_t *tmpl;
	uint16_t tmpl_len;
	const uint8_t *outside;
	uint16_t outside_len;
	struct vtpm_pcr_sel pcrs;
};

static uint32_t read_create(struct vtpm_cmd *c, struct create_in *in)
{
	if (vtpm_sensitive_create_unmarshal(c->in, &in->sc) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	if (vtpm_public_unmarshal_2b(c->in, &in->pub, &in->tmpl, &in->tmpl_len) !=
	    TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	in->outside_len = mr_tpm2b(c->in, MAX_DATA, &in->outside);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 3);
	}
	if (mr_pcr_selection(c->in, &in->pcrs) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 4);
	}
	return cmd_params_end(c);
}

/* Consistency of the template with its parent (NULL: primary) and the sensitive data. The
 * userAuth size is about inSensitive (parameter 1), the rest about inPublic (2). */
static uint32_t check_create(const struct create_in *in, const struct vtpm_public *parent)
{
	const struct vtpm_hash_info *hi = vtpm_hash_of_valid(in->pub.name_alg);
	uint32_t rc;

	if (in->sc.auth_size > hi->size) {
		return rc_param(TPM_RC_SIZE, 1);
	}
	rc = vtpm_public_check(&in->pub, parent, &in->sc);
	return rc == TPM_RC_SUCCESS ? rc : rc_param(rc, 2);
}

/* pcrDigest: H_nameAlg of the selected PCRs of allocated banks, in selection order. */
static void pcr_digest(struct vtpm *t, const struct vtpm_pcr_sel *sel,
		       const struct vtpm_hash_info *hi, uint8_t *out)
{
	struct hash_ctx h;

	hash_init(&h, hi->id);
	for (uint32_t i = 0; i < sel->count; i++) {
		int b = vtpm_hash_index(sel->s[i].hash);
		unsigned int size = vtpm_hash_info((unsigned int)b)->size;

		if (!vtpm_pcr_bank_allocated(t, (unsigned int)b)) {
			continue;
		}
		for (uint32_t p = 0; p < VTPM_NUM_PCRS; p++) {
			if (sel->s[i].select[p / 8] & (1u << (p % 8))) {
				hash_update(&h, t->pcr[b][p], size);
			}
		}
	}
	hash_final(&h, out);
}

/* creationData, creationHash, creationTicket (see the file comment). */
static void write_creation(struct vtpm *t, struct vtpm_cmd *c, const struct create_in *in,
			   const struct vtpm_key *k, const struct vtpm_key *parent)
{
	const struct vtpm_hash_info *hi = vtpm_hash_of_valid(k->pub.name_alg);
	uint8_t digest[VTPM_MAX_DIGEST];
	uint8_t ticket[32];
	uint8_t h[4];
	struct hmac_ctx mac;
	struct mw w;
	uint8_t *buf = t->ks.buf;

	mw_init(&w, buf, sizeof(t->ks.buf));
	mw_pcr_selection(&w, &in->pcrs);
	pcr_digest(t, &in->pcrs, hi, digest);
	mw_tpm2b(&w, digest, hi->size);
	mw_u8(&w, (uint8_t)(1u << c->locality));
	if (parent == NULL) {
		put_be32(h, k->hierarchy);
		mw_u16(&w, TPM_ALG_NULL);
		mw_tpm2b(&w, h, 4);
		mw_tpm2b(&w, h, 4);
	} else {
		mw_u16(&w, parent->pub.name_alg);
		mw_tpm2b(&w, parent->name, parent->name_size);
		mw_tpm2b(&w, parent->qname, parent->qname_size);
	}
	mw_tpm2b(&w, in->outside, in->outside_len);
	mw_tpm2b(c->out, buf, (uint16_t)w.off);
	hash_oneshot(hi->id, buf, w.off, digest);
	mw_tpm2b(c->out, digest, hi->size);
	/* TPMT_TK_CREATION */
	hmac_init(&mac, HASH_SHA256, t->ps.proofs[hier_index(k->hierarchy)], VTPM_PROOF_SIZE);
	put_be16(h, TPM_ST_CREATION);
	hmac_update(&mac, h, 2);
	hmac_update(&mac, k->name, k->name_size);
	hmac_update(&mac, digest, hi->size);
	hmac_final(&mac, ticket);
	hmac_wipe(&mac);
	mw_u16(c->out, TPM_ST_CREATION);
	mw_u32(c->out, k->hierarchy);
	mw_tpm2b(c->out, ticket, sizeof(ticket));
}

static uint32_t finish_key(struct vtpm_key *k)
{
	k->name_size = (uint16_t)vtpm_public_name(&k->pub, k->name);
	return k->name_size != 0 ? TPM_RC_SUCCESS : TPM_RC_FAILURE;
}

uint32_t vtpm_cmd_create_primary(struct vtpm *t, struct vtpm_cmd *c)
{
	struct create_in in;
	struct vtpm_key *k = &t->ks.key;
	uint32_t hierarchy = c->handles[0];
	unsigned int slot;
	uint32_t handle;
	uint8_t h[4];
	uint32_t rc = read_create(c, &in);

	if (rc == TPM_RC_SUCCESS) {
		rc = check_create(&in, NULL);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (vtpm_object_alloc(t, &slot) == NULL) {
		return TPM_RC_OBJECT_MEMORY;
	}
	bastion_memset(k, 0, sizeof(*k));
	k->pub = in.pub;
	k->hierarchy = hierarchy;
	rc = vtpm_keygen_primary(t, k, t->ps.seeds[hier_index(hierarchy)], VTPM_SEED_SIZE,
				 in.tmpl, in.tmpl_len, &in.sc);
	if (rc == TPM_RC_SUCCESS) {
		rc = finish_key(k);
	}
	if (rc == TPM_RC_SUCCESS) {
		put_be32(h, hierarchy);
		set_qname(k, h, 4);
		rc = vtpm_object_load_key(t, k, &handle);
	}
	if (rc == TPM_RC_SUCCESS) {
		c->rsp_handle = handle;
		vtpm_public_marshal_2b(c->out, &k->pub);
		write_creation(t, c, &in, k, NULL);
		mw_tpm2b(c->out, k->name, k->name_size);
	}
	mem_wipe(k, sizeof(*k));
	return rc;
}

/* The role check of handle i (object.h) with the policy bit the engine recorded. */
static uint32_t role(struct vtpm *t, const struct vtpm_cmd *c, unsigned int i, bool admin)
{
	return vtpm_object_role_check(t, c->handles[i], (c->policy_auth >> i) & 1u, admin);
}

/* A storage parent with its sensitive area (Part 3: TPM_RC_TYPE + handle 1 otherwise). */
static const struct vtpm_key *storage_parent(struct vtpm *t, uint32_t h)
{
	const struct vtpm_key *p = vtpm_key_find(t, h);

	return p != NULL && p->has_sensitive && vtpm_public_is_parent(&p->pub) ? p : NULL;
}

uint32_t vtpm_cmd_create(struct vtpm *t, struct vtpm_cmd *c)
{
	struct create_in in;
	struct vtpm_key *k = &t->ks.key;
	const struct vtpm_key *parent;
	uint8_t *tmp = t->ks.buf;
	uint32_t rc = read_create(c, &in);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	rc = role(t, c, 0, false);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	parent = storage_parent(t, c->handles[0]);
	if (parent == NULL) {
		return rc_handle(TPM_RC_TYPE, 1);
	}
	rc = check_create(&in, &parent->pub);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	bastion_memset(k, 0, sizeof(*k));
	k->pub = in.pub;
	k->hierarchy = parent->hierarchy;
	rc = vtpm_keygen_random(t, k, &in.sc);
	if (rc == TPM_RC_SUCCESS) {
		rc = finish_key(k);
	}
	if (rc == TPM_RC_SUCCESS) {
		rc = vtpm_protect(parent, k, c->out, tmp);
	}
	if (rc == TPM_RC_SUCCESS) {
		vtpm_public_marshal_2b(c->out, &k->pub);
		write_creation(t, c, &in, k, parent);
	}
	mem_wipe(k, sizeof(*k));
	return rc;
}

uint32_t vtpm_cmd_load(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_key *k = &t->ks.key;
	const struct vtpm_key *parent;
	const uint8_t *priv;
	uint16_t priv_len;
	struct vtpm_public pub;
	uint32_t handle;
	uint32_t rc;

	priv_len = mr_tpm2b(c->in, VTPM_PRIVATE_MAX, &priv);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	if (vtpm_public_unmarshal_2b(c->in, &pub, NULL, NULL) != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	rc = cmd_params_end(c);
	if (rc == TPM_RC_SUCCESS) {
		rc = role(t, c, 0, false);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	parent = storage_parent(t, c->handles[0]);
	if (parent == NULL) {
		return rc_handle(TPM_RC_TYPE, 1);
	}
	rc = vtpm_public_check_load(&pub);
	if (rc == TPM_RC_SUCCESS && (pub.attributes & TPMA_OBJECT_FIXED_TPM) &&
	    !(parent->pub.attributes & TPMA_OBJECT_FIXED_TPM)) {
		rc = TPM_RC_ATTRIBUTES;
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc_param(rc, 2);
	}
	if (vtpm_object_count(t) == VTPM_OBJECT_SLOTS) {
		return TPM_RC_OBJECT_MEMORY;
	}
	bastion_memset(k, 0, sizeof(*k));
	k->pub = pub;
	k->hierarchy = parent->hierarchy;
	rc = finish_key(k);
	if (rc == TPM_RC_SUCCESS) {
		rc = vtpm_unprotect(parent, k, priv, priv_len, t->ks.buf);
		rc = rc == TPM_RC_SUCCESS ? rc : rc_param(rc, 1);
	}
	if (rc == TPM_RC_SUCCESS) {
		set_qname(k, parent->qname, parent->qname_size);
		rc = vtpm_object_load_key(t, k, &handle);
	}
	if (rc == TPM_RC_SUCCESS) {
		c->rsp_handle = handle;
		mw_tpm2b(c->out, k->name, k->name_size);
	}
	mem_wipe(k, sizeof(*k));
	return rc;
}

uint32_t vtpm_cmd_read_public(struct vtpm *t, struct vtpm_cmd *c)
{
	const struct vtpm_key *k;
	uint32_t rc = cmd_params_end(c);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	k = vtpm_key_find(t, c->handles[0]);
	if (k == NULL) {
		/* A sequence object has no public area (Part 3 §12.4: TPM_RC_SEQUENCE). */
		return rc_handle(TPM_RC_SEQUENCE, 1);
	}
	vtpm_public_marshal_2b(c->out, &k->pub);
	mw_tpm2b(c->out, k->name, k->name_size);
	mw_tpm2b(c->out, k->qname, k->qname_size);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_unseal(struct vtpm *t, struct vtpm_cmd *c)
{
	const struct vtpm_key *k;
	uint32_t rc = cmd_params_end(c);

	if (rc == TPM_RC_SUCCESS) {
		rc = role(t, c, 0, false);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	k = vtpm_key_find(t, c->handles[0]);
	if (k == NULL || k->pub.type != TPM_ALG_KEYEDHASH || !k->has_sensitive) {
		return rc_handle(TPM_RC_TYPE, 1);
	}
	if (k->pub.attributes &
	    (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT | TPMA_OBJECT_SIGN)) {
		return rc_handle(TPM_RC_ATTRIBUTES, 1);
	}
	mw_tpm2b(c->out, k->sens.data, k->sens.data_size);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_object_change_auth(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_key *k = &t->ks.key;
	const struct vtpm_key *obj;
	const struct vtpm_key *parent;
	const uint8_t *auth;
	uint16_t auth_len;
	uint32_t rc;

	auth_len = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &auth);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc == TPM_RC_SUCCESS) {
		rc = role(t, c, 0, true);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	obj = vtpm_key_find(t, c->handles[0]);
	if (obj == NULL || !obj->has_sensitive) {
		return rc_handle(TPM_RC_TYPE, 1);
	}
	/* parentHandle must be the object's parent: its QN and the object's Name give the
	 * object's QN (Part 3 §12.6: TPM_RC_TYPE + handle 2 otherwise). */
	parent = storage_parent(t, c->handles[1]);
	bastion_memset(k, 0, sizeof(*k));
	if (parent != NULL) {
		k->pub = obj->pub;
		bastion_memcpy(k->name, obj->name, obj->name_size);
		k->name_size = obj->name_size;
		set_qname(k, parent->qname, parent->qname_size);
	}
	if (parent == NULL || k->qname_size != obj->qname_size ||
	    bastion_memcmp(k->qname, obj->qname, obj->qname_size) != 0) {
		mem_wipe(k, sizeof(*k));
		return rc_handle(TPM_RC_TYPE, 2);
	}
	if (auth_len > vtpm_hash_of_valid(obj->pub.name_alg)->size) {
		mem_wipe(k, sizeof(*k));
		return rc_param(TPM_RC_SIZE, 1);
	}
	*k = *obj;
	bastion_memset(k->sens.auth, 0, sizeof(k->sens.auth));
	if (auth_len != 0) {
		bastion_memcpy(k->sens.auth, auth, auth_len);
	}
	k->sens.auth_size = auth_len;
	rc = vtpm_protect(parent, k, c->out, t->ks.buf);
	mem_wipe(k, sizeof(*k));
	return rc;
}

/* Persistent handle ranges (Part 2 §7.5 / TCG handle guidance): owner 0x81000000..0x817FFFFF,
 * platform 0x81800000..0x81FFFFFF. */
static bool platform_range(uint32_t h)
{
	return h >= 0x81800000u;
}

uint32_t vtpm_cmd_evict_control(struct vtpm *t, struct vtpm_cmd *c)
{
	uint32_t auth = c->handles[0];
	uint32_t obj = c->handles[1];
	uint32_t persistent = mr_u32(c->in);
	const struct vtpm_key *k;
	uint32_t rc;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	if (persistent >> 24 != TPM_HT_PERSISTENT) {
		return rc_param(TPM_RC_VALUE, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	/* The owner manages the owner range, the platform the platform range. */
	if (platform_range(persistent) != (auth == TPM_RH_PLATFORM)) {
		return rc_param(TPM_RC_RANGE, 1);
	}
	k = vtpm_key_find(t, obj);
	if (k == NULL) {
		return rc_handle(TPM_RC_TYPE, 2); /* a sequence object */
	}
	if (obj >> 24 == TPM_HT_PERSISTENT) {
		/* Evict: the persistent handle names the object itself. */
		if (persistent != obj) {
			return rc_param(TPM_RC_HANDLE, 1);
		}
		vtpm_persistent_remove(t, obj);
		return TPM_RC_SUCCESS;
	}
	/* Persist a transient object: not a temporary one (NULL hierarchy, public-only
	 * external), not stClear; the owner cannot persist platform objects. */
	if (k->hierarchy == TPM_RH_NULL ||
	    (auth == TPM_RH_OWNER && k->hierarchy == TPM_RH_PLATFORM)) {
		return rc_handle(TPM_RC_HIERARCHY, 2);
	}
	if (!k->has_sensitive || (k->pub.attributes & TPMA_OBJECT_ST_CLEAR)) {
		return rc_handle(TPM_RC_ATTRIBUTES, 2);
	}
	return vtpm_persistent_add(t, persistent, k);
}

/* The binding of a sensitive area to its public area (LoadExternal): TPM_RC_BINDING. */
static uint32_t check_binding(struct vtpm *t, const struct vtpm_key *k)
{
	const struct vtpm_public *p = &k->pub;
	uint8_t qx[VTPM_ECC_MAX_BYTES];
	uint8_t qy[VTPM_ECC_MAX_BYTES];
	uint8_t d[VTPM_MAX_DIGEST];
	struct hash_ctx h;
	bool ok;

	switch (p->type) {
	case TPM_ALG_RSA:
		/* p * q = n and the CRT values are checked by the import */
		ok = vtpm_key_rsa_private(t, k) == TPM_RC_SUCCESS;
		mem_wipe(&t->ks.rsa, sizeof(t->ks.rsa));
		break;
	case TPM_ALG_ECC: {
		/* (x, y) may come with leading zero octets stripped: compare right-aligned */
		size_t n = k->sens.data_size;

		ok = ecc_public_from_private(vtpm_curve(p->curve), k->sens.data, qx, qy) == 0 &&
		     p->unique_size <= n && p->y_size <= n &&
		     bastion_memcmp(qx + n - p->unique_size, p->unique, p->unique_size) == 0 &&
		     bastion_memcmp(qy + n - p->y_size, p->y, p->y_size) == 0;
		for (size_t i = 0; ok && i < n - p->unique_size; i++) {
			ok = qx[i] == 0;
		}
		for (size_t i = 0; ok && i < n - p->y_size; i++) {
			ok = qy[i] == 0;
		}
		mem_wipe(qx, sizeof(qx));
		break;
	}
	default:
		hash_init(&h, vtpm_hash_of_valid(p->name_alg)->id);
		hash_update(&h, k->sens.seed, k->sens.seed_size);
		hash_update(&h, k->sens.data, k->sens.data_size);
		hash_final(&h, d);
		ok = p->unique_size == vtpm_hash_of_valid(p->name_alg)->size &&
		     bastion_memcmp(d, p->unique, p->unique_size) == 0;
		break;
	}
	return ok ? TPM_RC_SUCCESS : TPM_RC_BINDING;
}

uint32_t vtpm_cmd_load_external(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_key *k = &t->ks.key;
	const uint8_t *sens;
	uint16_t sens_len;
	struct vtpm_public pub;
	uint32_t hierarchy;
	uint8_t hh[4];
	uint32_t handle;
	uint32_t rc;

	/* TPM2B_SENSITIVE: parsed against inPublic below */
	sens_len = mr_tpm2b(c->in, VTPM_PRIVATE_MAX, &sens);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	if (vtpm_public_unmarshal_2b(c->in, &pub, NULL, NULL) != TPM_RC_SUCCESS) {
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
	if (!vtpm_hierarchy_enabled(t, hierarchy)) {
		return rc_param(TPM_RC_HIERARCHY, 3);
	}
	rc = vtpm_public_check_load(&pub);
	if (rc != TPM_RC_SUCCESS) {
		return rc_param(rc, 2);
	}
	if (sens_len != 0) {
		/* A key with its secret from outside: only in the NULL hierarchy, never as
		 * if the TPM had made it (Part 3 §12.3). */
		if (hierarchy != TPM_RH_NULL) {
			return rc_param(TPM_RC_HIERARCHY, 3);
		}
		if (pub.attributes & (TPMA_OBJECT_FIXED_TPM | TPMA_OBJECT_FIXED_PARENT)) {
			return rc_param(TPM_RC_ATTRIBUTES, 2);
		}
	}
	if (vtpm_object_count(t) == VTPM_OBJECT_SLOTS) {
		return TPM_RC_OBJECT_MEMORY;
	}
	bastion_memset(k, 0, sizeof(*k));
	k->pub = pub;
	k->hierarchy = hierarchy;
	rc = finish_key(k);
	if (rc == TPM_RC_SUCCESS && sens_len != 0) {
		struct mr r;

		mr_init(&r, sens, sens_len);
		rc = vtpm_sensitive_unmarshal(&r, &k->pub, &k->sens);
		if (rc == TPM_RC_SUCCESS && mr_remaining(&r) != 0) {
			rc = TPM_RC_SIZE;
		}
		if (rc == TPM_RC_INSUFFICIENT) {
			rc = TPM_RC_SIZE;
		}
		if (rc == TPM_RC_SUCCESS && k->pub.type == TPM_ALG_RSA &&
		    k->sens.data_size != VTPM_RSA_PRIV_BYTES) {
			rc = vtpm_key_rsa_complete(t, k);
			rc = rc == TPM_RC_SUCCESS ? rc : rc_param(rc, 1);
			if (rc != TPM_RC_SUCCESS) {
				mem_wipe(k, sizeof(*k));
				return rc;
			}
		}
		if (rc == TPM_RC_SUCCESS) {
			k->has_sensitive = true;
			rc = check_binding(t, k);
			rc = rc == TPM_RC_SUCCESS ? rc : rc_param(rc, 2);
		} else {
			rc = rc_param(rc, 1);
		}
	}
	if (rc == TPM_RC_SUCCESS) {
		put_be32(hh, hierarchy);
		set_qname(k, hh, 4);
		rc = vtpm_object_load_key(t, k, &handle);
	}
	if (rc == TPM_RC_SUCCESS) {
		c->rsp_handle = handle;
		mw_tpm2b(c->out, k->name, k->name_size);
	}
	mem_wipe(k, sizeof(*k));
	return rc;
}
