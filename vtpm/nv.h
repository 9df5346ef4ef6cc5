/*
 * NV indices (TPM 2.0 Part 1 §37 "NV Memory", Part 2 §13 TPMS_NV_PUBLIC, Part 3 §31).
 *
 * Storage: a fixed pool inside struct vtpm_persistent (state.h), so it is part of the NV
 * image: VTPM_NV_INDICES index slots and VTPM_NV_POOL octets of data shared by all indices
 * (kept packed: an undefine moves the later data down). One index holds at most
 * VTPM_NV_INDEX_MAX octets (TPM_PT_NV_INDEX_MAX); one NV_Read/NV_Write moves at most
 * VTPM_NV_BUFFER_MAX (TPM_PT_NV_BUFFER_MAX, MAX_NV_BUFFER_SIZE). Writes are written
 * through: TPMA_NV_ORDERLY is accepted and behaves like a non-orderly index.
 *
 * Index types: ORDINARY, COUNTER, BITS, EXTEND. PIN_FAIL and PIN_PASS are refused at
 * definition (TPM_RC_ATTRIBUTES). Locks: WRITELOCKED from NV_WriteLock (WRITEDEFINE: until
 * undefined once written; WRITE_STCLEAR) and NV_GlobalWriteLock (GLOBALLOCK), READLOCKED
 * from NV_ReadLock (READ_STCLEAR); Startup(CLEAR) (TPM Reset and Restart) clears the
 * STCLEAR locks and, for CLEAR_STCLEAR indices, TPMA_NV_WRITTEN. TPM Resume keeps them.
 *
 * Contract (the entity interface of entity.h; cmd_nv.c implements the commands):
 *   - vtpm_nv_check: TPM_RC_SUCCESS for a defined index usable now, else TPM_RC_HANDLE +
 *     handle n (not defined, or its hierarchy is disabled: owner indices need shEnable,
 *     platform ones (TPMA_NV_PLATFORMCREATE) phEnableNV).
 *   - vtpm_nv_auth/policy/name: the index's authValue, authPolicy and Name =
 *     nameAlg || H_nameAlg(TPMS_NV_PUBLIC); the Name changes when TPMA_NV_WRITTEN is set
 *     (the engine takes cpHash Names before the handler runs).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtpm/types.h"

struct vtpm;

#define VTPM_NV_INDICES 32u
#define VTPM_NV_POOL 8192u
#define VTPM_NV_INDEX_MAX 2048u
#define VTPM_NV_BUFFER_MAX 1024u

struct vtpm_nv_index {
	uint32_t handle; /* 0: slot free */
	uint32_t attributes; /* TPMA_NV, including the state bits (WRITTEN, locks) */
	uint16_t name_alg;
	uint16_t data_size;
	uint16_t offset; /* into vtpm_nv_state.data */
	uint16_t auth_size;
	uint16_t policy_size;
	uint8_t auth[VTPM_MAX_DIGEST];
	uint8_t policy[VTPM_MAX_DIGEST];
};

struct vtpm_nv_state {
	struct vtpm_nv_index idx[VTPM_NV_INDICES];
	uint16_t used; /* octets of data in use (data[0..used)) */
	uint64_t max_counter; /* largest value any counter index ever had (Part 1 §37.2.3) */
	uint8_t data[VTPM_NV_POOL];
};

uint32_t vtpm_nv_check(struct vtpm *t, uint32_t h, unsigned int n);
size_t vtpm_nv_auth(struct vtpm *t, uint32_t h, const uint8_t **auth);
size_t vtpm_nv_policy(struct vtpm *t, uint32_t h, const uint8_t **policy);
size_t vtpm_nv_name(struct vtpm *t, uint32_t h, uint8_t *name);
/* TPMA_NV_NO_DA clear (da.h). */
bool vtpm_nv_da_protected(struct vtpm *t, uint32_t h);

/* The defined index with this handle (whatever its hierarchy's state), or NULL. */
struct vtpm_nv_index *vtpm_nv_find(struct vtpm *t, uint32_t h);
/* Marshals TPMS_NV_PUBLIC; returns its size. */
void vtpm_nv_write_public(struct mw *w, const struct vtpm_nv_index *x);
/* Writes Name to name[VTPM_MAX_NAME], returns its size. */
size_t vtpm_nv_compute_name(const struct vtpm_nv_index *x, uint8_t *name);
/* Allocates a slot and data_size zeroed octets; NULL when the pool is full. */
struct vtpm_nv_index *vtpm_nv_alloc(struct vtpm *t, uint16_t data_size);
/* Removes the index, wipes its data and auth, packs the pool. */
void vtpm_nv_remove(struct vtpm *t, struct vtpm_nv_index *x);
uint8_t *vtpm_nv_data(struct vtpm *t, const struct vtpm_nv_index *x);
unsigned int vtpm_nv_count(const struct vtpm *t, bool counters_only);
/* The defined index with the smallest handle >= from, or NULL (TPM_CAP_HANDLES). */
const struct vtpm_nv_index *vtpm_nv_next(const struct vtpm *t, uint32_t from);

/* Life cycle: factory (empty), Startup(CLEAR) (STCLEAR locks and CLEAR_STCLEAR), TPM2_Clear
 * (owner indices removed). */
void vtpm_nv_manufacture(struct vtpm *t);
void vtpm_nv_startup_clear(struct vtpm *t);
void vtpm_nv_clear_owner(struct vtpm *t);
/* NV_GlobalWriteLock: WRITELOCKED on every GLOBALLOCK index. */
void vtpm_nv_global_lock(struct vtpm *t);

/* Handlers (cmd_nv.c, Part 3 §31). Authorization (who may read and write) is the
 * handler's: the engine checked the authHandle's authorization, the handler checks that
 * this kind of authorization is one the index allows (TPM_RC_NV_AUTHORIZATION). */
struct vtpm_cmd;
uint32_t vtpm_cmd_nv_define_space(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_nv_undefine_space(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_nv_undefine_space_special(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_nv_read_public(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_nv_write(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_nv_increment(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_nv_extend(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_nv_set_bits(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_nv_write_lock(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_nv_global_write_lock(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_nv_read(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_nv_read_lock(struct vtpm *t, struct vtpm_cmd *c);
uint32_t vtpm_cmd_nv_change_auth(struct vtpm *t, struct vtpm_cmd *c);
