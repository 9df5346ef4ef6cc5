/* NV index storage and the entity interface for NV handles: see nv.h. */
#include "vtpm/nv.h"

#include "crypto/hash.h"
#include "kernel/string.h"
#include "vtpm/hierarchy.h"
#include "vtpm/marshal.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

/* Largest TPMS_NV_PUBLIC: index(4) nameAlg(2) attributes(4) authPolicy(2 + 64) size(2). */
#define NV_PUBLIC_MAX (4u + 2u + 4u + 2u + VTPM_MAX_DIGEST + 2u)

struct vtpm_nv_index *vtpm_nv_find(struct vtpm *t, uint32_t h)
{
	if (h >> 24 != TPM_HT_NV_INDEX) {
		return NULL;
	}
	for (unsigned int i = 0; i < VTPM_NV_INDICES; i++) {
		if (t->ps.nv.idx[i].handle == h) {
			return &t->ps.nv.idx[i];
		}
	}
	return NULL;
}

/* Part 1 §37 / Part 3 §31.1: an index is accessible only while the hierarchy that created
 * it is enabled (shEnable for owner indices, phEnableNV for platform indices). */
static bool accessible(const struct vtpm *t, const struct vtpm_nv_index *x)
{
	if (x->attributes & TPMA_NV_PLATFORMCREATE) {
		return t->ps.hier.ph_enable_nv;
	}
	return t->ps.hier.sh_enable;
}

uint32_t vtpm_nv_check(struct vtpm *t, uint32_t h, unsigned int n)
{
	const struct vtpm_nv_index *x = vtpm_nv_find(t, h);

	if (x == NULL || !accessible(t, x)) {
		return rc_handle(TPM_RC_HANDLE, n);
	}
	return TPM_RC_SUCCESS;
}

size_t vtpm_nv_auth(struct vtpm *t, uint32_t h, const uint8_t **auth)
{
	const struct vtpm_nv_index *x = vtpm_nv_find(t, h);

	*auth = NULL;
	if (x == NULL || x->auth_size == 0) {
		return 0;
	}
	*auth = x->auth;
	return x->auth_size;
}

size_t vtpm_nv_policy(struct vtpm *t, uint32_t h, const uint8_t **policy)
{
	const struct vtpm_nv_index *x = vtpm_nv_find(t, h);

	*policy = NULL;
	if (x == NULL || x->policy_size == 0) {
		return 0;
	}
	*policy = x->policy;
	return x->policy_size;
}

void vtpm_nv_write_public(struct mw *w, const struct vtpm_nv_index *x)
{
	mw_u32(w, x->handle);
	mw_u16(w, x->name_alg);
	mw_u32(w, x->attributes);
	mw_tpm2b(w, x->policy, x->policy_size);
	mw_u16(w, x->data_size);
}

size_t vtpm_nv_compute_name(const struct vtpm_nv_index *x, uint8_t *name)
{
	uint8_t pub[NV_PUBLIC_MAX];
	const struct vtpm_hash_info *hi;
	struct hash_ctx h;
	struct mw w;
	int bank = vtpm_hash_index(x->name_alg);

	if (bank < 0) {
		return 0; /* cannot happen: nameAlg was checked at definition */
	}
	hi = vtpm_hash_info((unsigned int)bank);
	mw_init(&w, pub, sizeof(pub));
	vtpm_nv_write_public(&w, x);
	put_be16(name, x->name_alg);
	if (hash_init(&h, hi->id) != 0) {
		return 0;
	}
	hash_update(&h, pub, w.off);
	hash_final(&h, name + 2);
	return 2u + hi->size;
}

size_t vtpm_nv_name(struct vtpm *t, uint32_t h, uint8_t *name)
{
	const struct vtpm_nv_index *x = vtpm_nv_find(t, h);

	return x != NULL ? vtpm_nv_compute_name(x, name) : 0;
}

bool vtpm_nv_da_protected(struct vtpm *t, uint32_t h)
{
	const struct vtpm_nv_index *x = vtpm_nv_find(t, h);

	return x != NULL && !(x->attributes & TPMA_NV_NO_DA);
}

uint8_t *vtpm_nv_data(struct vtpm *t, const struct vtpm_nv_index *x)
{
	return t->ps.nv.data + x->offset;
}

struct vtpm_nv_index *vtpm_nv_alloc(struct vtpm *t, uint16_t data_size)
{
	struct vtpm_nv_state *nv = &t->ps.nv;

	if (data_size > VTPM_NV_POOL - nv->used) {
		return NULL;
	}
	for (unsigned int i = 0; i < VTPM_NV_INDICES; i++) {
		struct vtpm_nv_index *x = &nv->idx[i];

		if (x->handle == 0) {
			bastion_memset(x, 0, sizeof(*x));
			x->offset = nv->used;
			x->data_size = data_size;
			bastion_memset(nv->data + nv->used, 0, data_size);
			nv->used = (uint16_t)(nv->used + data_size);
			return x;
		}
	}
	return NULL;
}

void vtpm_nv_remove(struct vtpm *t, struct vtpm_nv_index *x)
{
	struct vtpm_nv_state *nv = &t->ps.nv;
	uint16_t off = x->offset;
	uint16_t size = x->data_size;
	size_t tail = nv->used - (size_t)(off + size);

	/* Pack the pool: the data behind this index moves down by its size. */
	if (tail != 0) {
		bastion_memmove(nv->data + off, nv->data + off + size, tail);
	}
	nv->used = (uint16_t)(nv->used - size);
	mem_wipe(nv->data + nv->used, size);
	for (unsigned int i = 0; i < VTPM_NV_INDICES; i++) {
		if (nv->idx[i].handle != 0 && nv->idx[i].offset > off) {
			nv->idx[i].offset = (uint16_t)(nv->idx[i].offset - size);
		}
	}
	mem_wipe(x, sizeof(*x));
}

unsigned int vtpm_nv_count(const struct vtpm *t, bool counters_only)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < VTPM_NV_INDICES; i++) {
		const struct vtpm_nv_index *x = &t->ps.nv.idx[i];

		if (x->handle != 0 &&
		    (!counters_only || ((x->attributes & TPMA_NV_TPM_NT_MASK) >>
					TPMA_NV_TPM_NT_SHIFT) == TPM_NT_COUNTER)) {
			n++;
		}
	}
	return n;
}

const struct vtpm_nv_index *vtpm_nv_next(const struct vtpm *t, uint32_t from)
{
	const struct vtpm_nv_index *best = NULL;

	for (unsigned int i = 0; i < VTPM_NV_INDICES; i++) {
		const struct vtpm_nv_index *x = &t->ps.nv.idx[i];

		if (x->handle != 0 && x->handle >= from &&
		    (best == NULL || x->handle < best->handle)) {
			best = x;
		}
	}
	return best;
}

void vtpm_nv_manufacture(struct vtpm *t)
{
	mem_wipe(&t->ps.nv, sizeof(t->ps.nv));
}

void vtpm_nv_startup_clear(struct vtpm *t)
{
	for (unsigned int i = 0; i < VTPM_NV_INDICES; i++) {
		struct vtpm_nv_index *x = &t->ps.nv.idx[i];
		uint32_t a = x->attributes;

		if (x->handle == 0) {
			continue;
		}
		/* A WRITEDEFINE lock on a written index lasts until the index is undefined;
		 * every other write lock (WRITE_STCLEAR, GLOBALLOCK) ends here. */
		if (!((a & TPMA_NV_WRITEDEFINE) && (a & TPMA_NV_WRITTEN))) {
			a &= ~TPMA_NV_WRITELOCKED;
		}
		a &= ~TPMA_NV_READLOCKED;
		if (a & TPMA_NV_CLEAR_STCLEAR) {
			a &= ~TPMA_NV_WRITTEN;
		}
		x->attributes = a;
	}
}

void vtpm_nv_clear_owner(struct vtpm *t)
{
	for (unsigned int i = 0; i < VTPM_NV_INDICES; i++) {
		struct vtpm_nv_index *x = &t->ps.nv.idx[i];

		if (x->handle != 0 && !(x->attributes & TPMA_NV_PLATFORMCREATE)) {
			vtpm_nv_remove(t, x);
		}
	}
}

void vtpm_nv_global_lock(struct vtpm *t)
{
	for (unsigned int i = 0; i < VTPM_NV_INDICES; i++) {
		struct vtpm_nv_index *x = &t->ps.nv.idx[i];

		if (x->handle != 0 && (x->attributes & TPMA_NV_GLOBALLOCK)) {
			x->attributes |= TPMA_NV_WRITELOCKED;
		}
	}
}
