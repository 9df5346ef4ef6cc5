#include "kernel/vcpu.h"

#include "kernel/boot_params.h"
#include "kernel/panic.h"

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
