/*
 * NV indices (TPM 2.0 Part 1 §37 "NV Memory", Part 2 §13 TPMS_NV_PUBLIC, Part 3 §31).
 *
 * Contract (the entity interface of entity.h; the NV commands extend this module):
 *   - vtpm_nv_check: TPM_RC_SUCCESS for a defined index usable now, else the handle code
 *     (TPM_RC_HANDLE + handle n when it is not defined or its hierarchy is disabled).
 *   - vtpm_nv_auth/policy/name: the index's authValue, authPolicy and Name =
 *     nameAlg || H_nameAlg(TPMS_NV_PUBLIC) (the Name changes when TPMA_NV_WRITTEN is set).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct vtpm;

uint32_t vtpm_nv_check(struct vtpm *t, uint32_t h, unsigned int n);
size_t vtpm_nv_auth(struct vtpm *t, uint32_t h, const uint8_t **auth);
size_t vtpm_nv_policy(struct vtpm *t, uint32_t h, const uint8_t **policy);
size_t vtpm_nv_name(struct vtpm *t, uint32_t h, uint8_t *name);
