/*
 * The guest vCPU registry: one record per vCPU the VM was launched with, whether or not it has
 * a VMSA or calling area yet. The core protocol reads and updates it through its backend.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "mm/addr.h"

struct platform_vcpu;

struct vcpu {
	uint32_t index;
	uint32_t apic_id;
	bool boot;
	uint8_t vmpl;      /* the VMPL the guest runs at (native: 1, by convention) */
	bool has_vmsa;     /* a guest page is this vCPU's VMSA (SNP; native: never yet) */
	gpa_t vmsa;
	bool has_caa;
	gpa_t caa;
	struct platform_vcpu *pv; /* the platform's handle, when the vCPU can run */
};

/* Creates count records (APIC IDs 0..count-1, index 0 is the boot vCPU). Panics if count is
 * 0 or above BOOT_MAX_VCPUS. */
void vcpu_registry_init(uint32_t count, uint8_t guest_vmpl);

uint32_t vcpu_count(void);

/* The record for index, or NULL if index >= vcpu_count(). */
struct vcpu *vcpu_get(uint32_t index);

/* The registry's functions for struct core_backend (protocols/core_backend.h); ctx unused. */
struct core_vcpu_info;
uint32_t vcpu_core_count(void *ctx);
bool vcpu_core_get(void *ctx, uint32_t index, struct core_vcpu_info *out);
void vcpu_core_set_vmsa(void *ctx, uint32_t index, bool present, gpa_t vmsa);
void vcpu_core_set_caa(void *ctx, uint32_t index, bool present, gpa_t caa);
