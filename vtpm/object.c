/* Transient object slots and persistent objects: see object.h. */
#include "vtpm/object.h"

#include "kernel/string.h"
#include "vtpm/entity.h"
#include "vtpm/hierarchy.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

struct vtpm_object *vtpm_object_find(struct vtpm *t, uint32_t handle)
{
	uint32_t slot = handle & 0x00FFFFFFu;

	if (handle >> 24 != TPM_HT_TRANSIENT || slot >= VTPM_OBJECT_SLOTS ||
	    !t->objects[slot].used) {
		return NULL;
	}
	return &t->objects[slot];
}

struct vtpm_object *vtpm_object_alloc(struct vtpm *t, unsigned int *slot)
{
	for (unsigned int i = 0; i < VTPM_OBJECT_SLOTS; i++) {
		if (!t->objects[i].used) {
			*slot = i;
			return &t->objects[i];
		}
	}
	return NULL;
}

uint32_t vtpm_object_handle(unsigned int slot)
{
	return (uint32_t)TPM_HT_TRANSIENT << 24 | slot;
}

unsigned int vtpm_object_count(const struct vtpm *t)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < VTPM_OBJECT_SLOTS; i++) {
		n += t->objects[i].used ? 1u : 0u;
	}
	return n;
}

void vtpm_object_flush(struct vtpm_object *o)
{
	mem_wipe(o, sizeof(*o));
}

void vtpm_object_flush_all(struct vtpm *t)
{
	for (unsigned int i = 0; i < VTPM_OBJECT_SLOTS; i++) {
		vtpm_object_flush(&t->objects[i]);
	}
}

void vtpm_object_flush_hierarchy(struct vtpm *t, uint32_t hierarchy)
{
	for (unsigned int i = 0; i < VTPM_OBJECT_SLOTS; i++) {
		if (t->objects[i].used && t->objects[i].hierarchy == hierarchy) {
			vtpm_object_flush(&t->objects[i]);
		}
	}
}

void vtpm_object_update(struct vtpm_object *o, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len && o->first_len < sizeof(o->first); i++) {
		o->first[o->first_len++] = data[i];
	}
	if (o->kind == VTPM_OBJ_HASH_SEQUENCE) {
		hash_update(&o->h[0], data, len);
		return;
	}
	for (unsigned int b = 0; b < VTPM_NUM_HASHES; b++) {
		if (o->banks & (1u << b)) {
			hash_update(&o->h[b], data, len);
		}
	}
}

static struct vtpm_persistent_object *persistent_find(struct vtpm *t, uint32_t handle)
{
	if (handle >> 24 != TPM_HT_PERSISTENT) {
		return NULL;
	}
	for (unsigned int i = 0; i < VTPM_PERSISTENT_SLOTS; i++) {
		if (t->ps.persistent[i].handle == handle) {
			return &t->ps.persistent[i];
		}
	}
	return NULL;
}

struct vtpm_key *vtpm_key_find(struct vtpm *t, uint32_t handle)
{
	struct vtpm_object *o = vtpm_object_find(t, handle);
	struct vtpm_persistent_object *p;

	if (o != NULL) {
		return o->kind == VTPM_OBJ_KEY ? &o->key : NULL;
	}
	p = persistent_find(t, handle);
	return p != NULL ? &p->key : NULL;
}

uint32_t vtpm_object_attributes(struct vtpm *t, uint32_t handle)
{
	const struct vtpm_object *o = vtpm_object_find(t, handle);
	const struct vtpm_key *k;

	if (o != NULL) {
		return o->attributes;
	}
	k = vtpm_key_find(t, handle);
	return k != NULL ? k->pub.attributes : 0;
}

uint32_t vtpm_object_load_key(struct vtpm *t, const struct vtpm_key *k, uint32_t *handle)
{
	unsigned int slot;
	struct vtpm_object *o = vtpm_object_alloc(t, &slot);

	if (o == NULL) {
		return TPM_RC_OBJECT_MEMORY;
	}
	bastion_memset(o, 0, sizeof(*o));
	o->used = true;
	o->kind = VTPM_OBJ_KEY;
	o->key = *k;
	o->hierarchy = k->hierarchy;
	o->attributes = k->pub.attributes;
	o->name_size = k->name_size;
	bastion_memcpy(o->name, k->name, k->name_size);
	o->policy_size = k->pub.policy_size;
	bastion_memcpy(o->policy, k->pub.policy, k->pub.policy_size);
	*handle = vtpm_object_handle(slot);
	return TPM_RC_SUCCESS;
}

void vtpm_object_evict_hierarchy(struct vtpm *t, uint32_t hierarchy)
{
	for (unsigned int i = 0; i < VTPM_PERSISTENT_SLOTS; i++) {
		if (t->ps.persistent[i].handle != 0 &&
		    t->ps.persistent[i].key.hierarchy == hierarchy) {
			mem_wipe(&t->ps.persistent[i], sizeof(t->ps.persistent[i]));
		}
	}
}

unsigned int vtpm_persistent_count(const struct vtpm *t)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < VTPM_PERSISTENT_SLOTS; i++) {
		n += t->ps.persistent[i].handle != 0 ? 1u : 0u;
	}
	return n;
}

uint32_t vtpm_object_role_check(struct vtpm *t, uint32_t handle, bool policy, bool admin)
{
	const struct vtpm_key *k = vtpm_key_find(t, handle);
	uint32_t a;

	if (k == NULL || policy) {
		return TPM_RC_SUCCESS;
	}
	a = k->pub.attributes;
	if (admin ? (a & TPMA_OBJECT_ADMIN_WITH_POLICY) != 0
		  : (a & TPMA_OBJECT_USER_WITH_AUTH) == 0) {
		return TPM_RC_AUTH_UNAVAILABLE;
	}
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_persistent_next(const struct vtpm *t, uint32_t from)
{
	uint32_t best = 0;

	for (unsigned int i = 0; i < VTPM_PERSISTENT_SLOTS; i++) {
		uint32_t h = t->ps.persistent[i].handle;

		if (h != 0 && h >= from && (best == 0 || h < best)) {
			best = h;
		}
	}
	return best;
}

uint32_t vtpm_persistent_add(struct vtpm *t, uint32_t handle, const struct vtpm_key *k)
{
	struct vtpm_persistent_object *free_slot = NULL;

	if (persistent_find(t, handle) != NULL) {
		return TPM_RC_NV_DEFINED;
	}
	for (unsigned int i = 0; i < VTPM_PERSISTENT_SLOTS && free_slot == NULL; i++) {
		if (t->ps.persistent[i].handle == 0) {
			free_slot = &t->ps.persistent[i];
		}
	}
	if (free_slot == NULL) {
		return TPM_RC_NV_SPACE;
	}
	free_slot->key = *k;
	free_slot->handle = handle;
	return TPM_RC_SUCCESS;
}

void vtpm_persistent_remove(struct vtpm *t, uint32_t handle)
{
	struct vtpm_persistent_object *p = persistent_find(t, handle);

	if (p != NULL) {
		mem_wipe(p, sizeof(*p));
	}
}

uint32_t vtpm_object_check(struct vtpm *t, uint32_t h, unsigned int n)
{
	const struct vtpm_key *k;

	if (h >> 24 == TPM_HT_TRANSIENT) {
		if (vtpm_object_find(t, h) == NULL) {
			return TPM_RC_REFERENCE_H0 + n - 1;
		}
	} else if (persistent_find(t, h) == NULL) {
		return rc_handle(TPM_RC_HANDLE, n);
	}
	/* An object of a disabled hierarchy cannot be used (Part 1 "Hierarchy Control"). */
	k = vtpm_key_find(t, h);
	if (k != NULL && !vtpm_hierarchy_enabled(t, k->hierarchy)) {
		return rc_handle(TPM_RC_HIERARCHY, n);
	}
	return TPM_RC_SUCCESS;
}

size_t vtpm_object_auth(struct vtpm *t, uint32_t h, const uint8_t **auth)
{
	const struct vtpm_object *o = vtpm_object_find(t, h);
	const struct vtpm_key *k = vtpm_key_find(t, h);
	size_t n;

	*auth = NULL;
	if (k != NULL) {
		n = vtpm_auth_trim(k->sens.auth, k->sens.auth_size);
		*auth = n != 0 ? k->sens.auth : NULL;
		return n;
	}
	if (o == NULL || o->auth_size == 0) {
		return 0;
	}
	*auth = o->auth;
	return o->auth_size;
}

size_t vtpm_object_policy(struct vtpm *t, uint32_t h, const uint8_t **policy)
{
	const struct vtpm_object *o = vtpm_object_find(t, h);
	const struct vtpm_key *k = vtpm_key_find(t, h);

	*policy = NULL;
	if (k != NULL) {
		*policy = k->pub.policy_size != 0 ? k->pub.policy : NULL;
		return k->pub.policy_size;
	}
	if (o == NULL || o->policy_size == 0) {
		return 0;
	}
	*policy = o->policy;
	return o->policy_size;
}

size_t vtpm_object_name(struct vtpm *t, uint32_t h, uint8_t *name)
{
	const struct vtpm_object *o = vtpm_object_find(t, h);
	const struct vtpm_key *k = vtpm_key_find(t, h);

	if (k != NULL) {
		bastion_memcpy(name, k->name, k->name_size);
		return k->name_size;
	}
	if (o == NULL) {
		return 0;
	}
	bastion_memcpy(name, o->name, o->name_size);
	return o->name_size;
}
