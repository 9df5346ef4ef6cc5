/*
 * NV commands (TPM 2.0 Part 3 §31 "Non-volatile Storage"; index rules in nv.h).
 *
 * Authorization choices (Part 3 §31.1, Part 2 §13.4 TPMA_NV): a write is authorized by
 * TPM_RH_OWNER (TPMA_NV_OWNERWRITE), TPM_RH_PLATFORM (PPWRITE) or the index itself, with
 * its authValue (AUTHWRITE) or its authPolicy (POLICYWRITE); reads likewise with OWNERREAD,
 * PPREAD, AUTHREAD, POLICYREAD. Another index as authHandle authorizes nothing. The engine
 * has already checked the authorization itself; c->policy_auth says whether it was a policy.
 */
#include "crypto/hash.h"
#include "kernel/string.h"
#include "vtpm/commands.h"
#include "vtpm/entity.h"
#include "vtpm/hierarchy.h"
#include "vtpm/nv.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

#define NT(a) (((a) & TPMA_NV_TPM_NT_MASK) >> TPMA_NV_TPM_NT_SHIFT)
#define READ_BITS (TPMA_NV_PPREAD | TPMA_NV_OWNERREAD | TPMA_NV_AUTHREAD | TPMA_NV_POLICYREAD)
#define WRITE_BITS \
	(TPMA_NV_PPWRITE | TPMA_NV_OWNERWRITE | TPMA_NV_AUTHWRITE | TPMA_NV_POLICYWRITE)

/* The index that handle 2 (nvIndex) names; the engine checked it exists. */
static struct vtpm_nv_index *target(struct vtpm *t, const struct vtpm_cmd *c, unsigned int h)
{
	return vtpm_nv_find(t, c->handles[h]);
}

/* Which attribute the authHandle's kind of authorization needs: owner, platform, the
 * index's authValue or its policy. 0: no kind applies (another index). */
static uint32_t auth_kind_bit(const struct vtpm_cmd *c, const struct vtpm_nv_index *x,
			      uint32_t owner, uint32_t pp, uint32_t auth, uint32_t policy)
{
	uint32_t h = c->handles[0];

	if (h == TPM_RH_OWNER) {
		return owner;
	}
	if (h == TPM_RH_PLATFORM) {
		return pp;
	}
	if (h == x->handle) {
		return (c->policy_auth & 1u) ? policy : auth;
	}
	return 0;
}

static uint32_t write_auth(const struct vtpm_cmd *c, const struct vtpm_nv_index *x)
{
	uint32_t bit = auth_kind_bit(c, x, TPMA_NV_OWNERWRITE, TPMA_NV_PPWRITE,
				     TPMA_NV_AUTHWRITE, TPMA_NV_POLICYWRITE);

	return bit != 0 && (x->attributes & bit) ? TPM_RC_SUCCESS : TPM_RC_NV_AUTHORIZATION;
}

static uint32_t read_auth(const struct vtpm_cmd *c, const struct vtpm_nv_index *x)
{
	uint32_t bit = auth_kind_bit(c, x, TPMA_NV_OWNERREAD, TPMA_NV_PPREAD, TPMA_NV_AUTHREAD,
				     TPMA_NV_POLICYREAD);

	return bit != 0 && (x->attributes & bit) ? TPM_RC_SUCCESS : TPM_RC_NV_AUTHORIZATION;
}

/* Part 3 §31.7 (and every write): locked first, then the kind of authorization. */
static uint32_t write_access(const struct vtpm_cmd *c, const struct vtpm_nv_index *x)
{
	if (x->attributes & TPMA_NV_WRITELOCKED) {
		return TPM_RC_NV_LOCKED;
	}
	return write_auth(c, x);
}

static uint32_t read_access(const struct vtpm_cmd *c, const struct vtpm_nv_index *x)
{
	uint32_t rc;

	if (x->attributes & TPMA_NV_READLOCKED) {
		return TPM_RC_NV_LOCKED;
	}
	rc = read_auth(c, x);
	if (rc == TPM_RC_SUCCESS && !(x->attributes & TPMA_NV_WRITTEN)) {
		rc = TPM_RC_NV_UNINITIALIZED;
	}
	return rc;
}

/* TPM2B_NV_PUBLIC (Part 2 §13.6): the size must be non-zero and cover TPMS_NV_PUBLIC
 * exactly. Codes are bases (the caller numbers the parameter). */
static uint32_t parse_nv_public(struct mr *in, struct vtpm_nv_index *x)
{
	uint16_t size = mr_u16(in);
	const uint8_t *p;
	const uint8_t *policy;
	struct mr r;

	if (in->rc != TPM_RC_SUCCESS) {
		return in->rc;
	}
	if (size == 0) {
		return TPM_RC_SIZE;
	}
	p = mr_bytes(in, size);
	if (p == NULL) {
		return in->rc;
	}
	mr_init(&r, p, size);
	x->handle = mr_u32(&r);
	if (r.rc == TPM_RC_SUCCESS && x->handle >> 24 != TPM_HT_NV_INDEX) {
		return TPM_RC_VALUE; /* TPMI_RH_NV_INDEX */
	}
	if (mr_alg_hash(&r, &x->name_alg, false) != TPM_RC_SUCCESS) {
		return r.rc == TPM_RC_INSUFFICIENT ? TPM_RC_SIZE : r.rc;
	}
	x->attributes = mr_u32(&r);
	if (r.rc == TPM_RC_SUCCESS && (x->attributes & TPMA_NV_RESERVED)) {
		return TPM_RC_RESERVED_BITS;
	}
	x->policy_size = mr_tpm2b(&r, VTPM_MAX_DIGEST, &policy);
	x->data_size = mr_u16(&r);
	if (r.rc == TPM_RC_INSUFFICIENT || (r.rc == TPM_RC_SUCCESS && mr_remaining(&r) != 0)) {
		return TPM_RC_SIZE;
	}
	if (r.rc != TPM_RC_SUCCESS) {
		return r.rc;
	}
	if (x->policy_size != 0) {
		bastion_memcpy(x->policy, policy, x->policy_size);
	}
	return TPM_RC_SUCCESS;
}

/* TPMA_NV consistency at definition (Part 3 §31.3.1, Part 2 §13.4). */
static bool attributes_ok(uint32_t a)
{
	uint32_t nt = NT(a);

	if (nt != TPM_NT_ORDINARY && nt != TPM_NT_COUNTER && nt != TPM_NT_BITS &&
	    nt != TPM_NT_EXTEND) {
		return false; /* PIN_FAIL/PIN_PASS not implemented; the rest reserved */
	}
	if (!(a & READ_BITS) || !(a & WRITE_BITS)) {
		return false;
	}
	if (a & (TPMA_NV_WRITELOCKED | TPMA_NV_READLOCKED | TPMA_NV_WRITTEN)) {
		return false;
	}
	if (nt == TPM_NT_COUNTER && (a & TPMA_NV_CLEAR_STCLEAR)) {
		return false;
	}
	if ((nt == TPM_NT_COUNTER || nt == TPM_NT_BITS) && (a & TPMA_NV_WRITEALL)) {
		return false;
	}
	if ((a & TPMA_NV_POLICY_DELETE) && !(a & TPMA_NV_PLATFORMCREATE)) {
		return false;
	}
	return true;
}

uint32_t vtpm_cmd_nv_define_space(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_nv_index x;
	struct vtpm_nv_index *slot;
	const uint8_t *auth;
	uint16_t auth_size = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &auth);
	size_t auth_len;
	uint16_t digest;
	uint16_t want;
	uint32_t nt;
	uint32_t rc;
	bool platform = c->handles[0] == TPM_RH_PLATFORM;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	bastion_memset(&x, 0, sizeof(x));
	rc = parse_nv_public(c->in, &x);
	if (rc != TPM_RC_SUCCESS) {
		return rc_param(rc, 2);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	/* The platform creates PLATFORMCREATE indices, the owner all others. */
	if (platform != ((x.attributes & TPMA_NV_PLATFORMCREATE) != 0)) {
		return rc_param(TPM_RC_ATTRIBUTES, 2);
	}
	if (platform && !t->ps.hier.ph_enable_nv) {
		return rc_handle(TPM_RC_HIERARCHY, 1);
	}
	digest = vtpm_hash_info((unsigned int)vtpm_hash_index(x.name_alg))->size;
	auth_len = vtpm_auth_trim(auth, auth_size);
	if (auth_len > digest) {
		return rc_param(TPM_RC_SIZE, 1);
	}
	if (x.policy_size != 0 && x.policy_size != digest) {
		return rc_param(TPM_RC_SIZE, 2);
	}
	if (!attributes_ok(x.attributes)) {
		return rc_param(TPM_RC_ATTRIBUTES, 2);
	}
	nt = NT(x.attributes);
	want = nt == TPM_NT_COUNTER || nt == TPM_NT_BITS ? 8u
	       : nt == TPM_NT_EXTEND			  ? digest
							  : x.data_size;
	if (x.data_size != want || x.data_size > VTPM_NV_INDEX_MAX) {
		return rc_param(TPM_RC_SIZE, 2);
	}
	if (vtpm_nv_find(t, x.handle) != NULL) {
		return TPM_RC_NV_DEFINED;
	}
	slot = vtpm_nv_alloc(t, x.data_size);
	if (slot == NULL) {
		return TPM_RC_NV_SPACE;
	}
	x.offset = slot->offset;
	x.auth_size = (uint16_t)auth_len;
	if (auth_len != 0) {
		bastion_memcpy(x.auth, auth, auth_len);
	}
	*slot = x;
	mem_wipe(&x, sizeof(x));
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_nv_undefine_space(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_nv_index *x = target(t, c, 1);
	uint32_t rc = cmd_params_end(c);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (x->attributes & TPMA_NV_POLICY_DELETE) {
		return rc_handle(TPM_RC_ATTRIBUTES, 2);
	}
	/* The owner cannot remove what the platform created (Part 3 §31.4.1). */
	if (c->handles[0] == TPM_RH_OWNER && (x->attributes & TPMA_NV_PLATFORMCREATE)) {
		return TPM_RC_NV_AUTHORIZATION;
	}
	vtpm_nv_remove(t, x);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_nv_undefine_space_special(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_nv_index *x = target(t, c, 0);
	uint32_t rc = cmd_params_end(c);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (!(x->attributes & TPMA_NV_POLICY_DELETE)) {
		return rc_handle(TPM_RC_ATTRIBUTES, 1);
	}
	vtpm_nv_remove(t, x);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_nv_read_public(struct vtpm *t, struct vtpm_cmd *c)
{
	const struct vtpm_nv_index *x = target(t, c, 0);
	uint8_t name[VTPM_MAX_NAME];
	size_t name_size;
	size_t at;
	uint32_t rc = cmd_params_end(c);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	name_size = vtpm_nv_compute_name(x, name);
	at = c->out->off;
	mw_u16(c->out, 0);
	vtpm_nv_write_public(c->out, x);
	if (!c->out->overflow) {
		put_be16(c->out->p + at, (uint16_t)(c->out->off - at - 2));
	}
	mw_tpm2b(c->out, name, (uint16_t)name_size);
	return TPM_RC_SUCCESS;
}

/* The type an index must have for a data-changing command (else TPM_RC_ATTRIBUTES on
 * nvIndex, handle 2). */
static uint32_t write_checks(const struct vtpm_cmd *c, const struct vtpm_nv_index *x,
			     uint32_t nt)
{
	uint32_t rc = write_access(c, x);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	return NT(x->attributes) == nt ? TPM_RC_SUCCESS : rc_handle(TPM_RC_ATTRIBUTES, 2);
}

uint32_t vtpm_cmd_nv_write(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_nv_index *x = target(t, c, 1);
	const uint8_t *data;
	uint16_t size = mr_tpm2b(c->in, VTPM_NV_BUFFER_MAX, &data);
	uint16_t offset;
	uint32_t rc;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	offset = mr_u16(c->in);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	rc = cmd_params_end(c);
	if (rc == TPM_RC_SUCCESS) {
		rc = write_checks(c, x, TPM_NT_ORDINARY);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if ((uint32_t)offset + size > x->data_size) {
		return TPM_RC_NV_RANGE;
	}
	/* WRITEALL: only a write of the whole index (Part 2 §13.4). */
	if ((x->attributes & TPMA_NV_WRITEALL) && size != x->data_size) {
		return TPM_RC_NV_RANGE;
	}
	if (size != 0) {
		bastion_memcpy(vtpm_nv_data(t, x) + offset, data, size);
	}
	x->attributes |= TPMA_NV_WRITTEN;
	return TPM_RC_SUCCESS;
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

uint32_t vtpm_cmd_nv_increment(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_nv_index *x = target(t, c, 1);
	uint8_t *d;
	uint64_t v;
	uint32_t rc = cmd_params_end(c);

	if (rc == TPM_RC_SUCCESS) {
		rc = write_checks(c, x, TPM_NT_COUNTER);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	d = vtpm_nv_data(t, x);
	/* Part 1 §37.2.3: a counter starts at least at the largest value any counter on
	 * this TPM ever had, so a counter can never repeat a value by being redefined. */
	v = (x->attributes & TPMA_NV_WRITTEN) ? get_be64(d) : t->ps.nv.max_counter;
	v++;
	put_be64(d, v);
	if (v > t->ps.nv.max_counter) {
		t->ps.nv.max_counter = v;
	}
	x->attributes |= TPMA_NV_WRITTEN;
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_nv_set_bits(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_nv_index *x = target(t, c, 1);
	uint64_t bits = mr_u64(c->in);
	uint64_t v;
	uint8_t *d;
	uint32_t rc;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc == TPM_RC_SUCCESS) {
		rc = write_checks(c, x, TPM_NT_BITS);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	d = vtpm_nv_data(t, x);
	v = (x->attributes & TPMA_NV_WRITTEN) ? get_be64(d) : 0;
	put_be64(d, v | bits);
	x->attributes |= TPMA_NV_WRITTEN;
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_nv_extend(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_nv_index *x = target(t, c, 1);
	const uint8_t *data;
	uint16_t size = mr_tpm2b(c->in, VTPM_NV_BUFFER_MAX, &data);
	const struct vtpm_hash_info *hi;
	struct hash_ctx h;
	uint8_t *d;
	uint32_t rc;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc == TPM_RC_SUCCESS) {
		rc = write_checks(c, x, TPM_NT_EXTEND);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	/* Part 3 §31.10: new = H_nameAlg(old || data), old = zeros before the first write. */
	hi = vtpm_hash_info((unsigned int)vtpm_hash_index(x->name_alg));
	d = vtpm_nv_data(t, x);
	if (!(x->attributes & TPMA_NV_WRITTEN)) {
		bastion_memset(d, 0, x->data_size);
	}
	if (hash_init(&h, hi->id) != 0) {
		return TPM_RC_FAILURE;
	}
	hash_update(&h, d, x->data_size);
	hash_update(&h, data, size);
	hash_final(&h, d);
	x->attributes |= TPMA_NV_WRITTEN;
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_nv_write_lock(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_nv_index *x = target(t, c, 1);
	uint32_t rc = cmd_params_end(c);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (!(x->attributes & (TPMA_NV_WRITEDEFINE | TPMA_NV_WRITE_STCLEAR))) {
		return rc_handle(TPM_RC_ATTRIBUTES, 2);
	}
	rc = write_auth(c, x);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	x->attributes |= TPMA_NV_WRITELOCKED; /* already locked: nothing changes */
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_nv_global_write_lock(struct vtpm *t, struct vtpm_cmd *c)
{
	uint32_t rc = cmd_params_end(c);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	vtpm_nv_global_lock(t);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_nv_read(struct vtpm *t, struct vtpm_cmd *c)
{
	const struct vtpm_nv_index *x = target(t, c, 1);
	uint16_t size = mr_u16(c->in);
	uint16_t offset;
	uint32_t rc;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	offset = mr_u16(c->in);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 2);
	}
	rc = cmd_params_end(c);
	if (rc == TPM_RC_SUCCESS) {
		rc = read_access(c, x);
	}
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if ((uint32_t)offset + size > x->data_size) {
		return TPM_RC_NV_RANGE;
	}
	/* The answer is a TPM2B_MAX_NV_BUFFER. */
	if (size > VTPM_NV_BUFFER_MAX) {
		return rc_param(TPM_RC_VALUE, 1);
	}
	mw_tpm2b(c->out, vtpm_nv_data(t, x) + offset, size);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_nv_read_lock(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_nv_index *x = target(t, c, 1);
	uint32_t rc = cmd_params_end(c);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (!(x->attributes & TPMA_NV_READ_STCLEAR)) {
		return rc_handle(TPM_RC_ATTRIBUTES, 2);
	}
	rc = read_auth(c, x);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	x->attributes |= TPMA_NV_READLOCKED;
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_nv_change_auth(struct vtpm *t, struct vtpm_cmd *c)
{
	struct vtpm_nv_index *x = target(t, c, 0);
	const uint8_t *auth;
	uint16_t size = mr_tpm2b(c->in, VTPM_MAX_DIGEST, &auth);
	size_t len;
	uint32_t rc;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	len = vtpm_auth_trim(auth, size);
	if (len > vtpm_hash_info((unsigned int)vtpm_hash_index(x->name_alg))->size) {
		return rc_param(TPM_RC_SIZE, 1);
	}
	mem_wipe(x->auth, sizeof(x->auth));
	if (len != 0) {
		bastion_memcpy(x->auth, auth, len);
	}
	x->auth_size = (uint16_t)len;
	return TPM_RC_SUCCESS;
}
