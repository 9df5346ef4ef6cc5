#include "kernel/vcpu.h"

#include "kernel/boot_params.h"
#include "kernel/panic.h"
#include "protocols/core_backend.h"

static struct vcpu vcpus[BOOT_MAX_VCPUS];
static uint32_t vcpus_used;

void vcpu_registry_init(uint32_t count, uint8_t guest_vmpl)
{
	if (count == 0 || count > BOOT_MAX_VCPUS) {
		panic("vCPU registry: %u vCPUs (1..%u)", count, BOOT_MAX_VCPUS);
	}
	for (uint32_t i = 0; i < count; i++) {
		vcpus[i] = (struct vcpu){
			.index = i,
			.apic_id = i,
			.boot = i == 0,
			.vmpl = guest_vmpl,
		};
	}
	vcpus_used = count;
}

uint32_t vcpu_count(void)
{
	return vcpus_used;
}

struct vcpu *vcpu_get(uint32_t index)
{
	return index < vcpus_used ? &vcpus[index] : NULL;
}

/* ---- the registry as struct core_backend sees it (both platforms) ---- */

uint32_t vcpu_core_count(void *ctx)
{
	(void)ctx;
	return vcpu_count();
}

bool vcpu_core_get(void *ctx, uint32_t index, struct core_vcpu_info *out)
{
	const struct vcpu *v = vcpu_get(index);

	(void)ctx;
	if (v == NULL) {
		return false;
	}
	*out = (struct core_vcpu_info){
		.apic_id = v->apic_id,
		.boot = v->boot,
		.vmpl = v->vmpl,
		.has_vmsa = v->has_vmsa,
		.vmsa = v->vmsa,
		.has_caa = v->has_caa,
		.caa = v->caa,
	};
	return true;
}

void vcpu_core_set_vmsa(void *ctx, uint32_t index, bool present, gpa_t vmsa)
{
	struct vcpu *v = vcpu_get(index);

	(void)ctx;
	if (v != NULL) {
		v->has_vmsa = present;
		v->vmsa = vmsa;
	}
}

void vcpu_core_set_caa(void *ctx, uint32_t index, bool present, gpa_t caa)
{
	struct vcpu *v = vcpu_get(index);

	(void)ctx;
	if (v != NULL) {
		v->has_caa = present;
		v->caa = caa;
	}
}
