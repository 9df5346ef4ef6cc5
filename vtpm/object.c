/* Transient object slots (sequence objects): see object.h. */
#include "vtpm/object.h"

#include "kernel/string.h"
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

uint32_t vtpm_object_check(struct vtpm *t, uint32_t h, unsigned int n)
{
	if (h >> 24 == TPM_HT_TRANSIENT) {
		return vtpm_object_find(t, h) != NULL ? TPM_RC_SUCCESS : TPM_RC_REFERENCE_H0 + n - 1;
	}
	/* No persistent objects until EvictControl. */
	return rc_handle(TPM_RC_HANDLE, n);
}

size_t vtpm_object_auth(struct vtpm *t, uint32_t h, const uint8_t **auth)
{
	const struct vtpm_object *o = vtpm_object_find(t, h);

	if (o == NULL || o->auth_size == 0) {
		*auth = NULL;
		return 0;
	}
	*auth = o->auth;
	return o->auth_size;
}

size_t vtpm_object_policy(struct vtpm *t, uint32_t h, const uint8_t **policy)
{
	const struct vtpm_object *o = vtpm_object_find(t, h);

	if (o == NULL || o->policy_size == 0) {
		*policy = NULL;
		return 0;
	}
	*policy = o->policy;
	return o->policy_size;
}

size_t vtpm_object_name(struct vtpm *t, uint32_t h, uint8_t *name)
{
	const struct vtpm_object *o = vtpm_object_find(t, h);

	if (o == NULL) {
		return 0;
	}
	bastion_memcpy(name, o->name, o->name_size);
	return o->name_size;
}
