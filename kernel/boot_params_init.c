/*
 * Kernel side of boot_params: read the parameter pages through Bastion's mapping of its own
 * region, copy, parse, validate, and keep the result.
 */
#include "kernel/boot_params.h"
#include "kernel/image_layout.h"
#include "kernel/panic.h"
#include "kernel/string.h"

static struct boot_memmap boot_memmap;
static uint32_t boot_vcpu_count;
static uint8_t boot_param_copy[BASTION_PARAM_MEMMAP_SIZE];

void boot_params_init(void)
{
	const void *memmap_page =
		(const void *)(uintptr_t)(BASTION_VIRT_BASE + BASTION_PARAM_MEMMAP_OFFSET);
	const volatile uint32_t *vpcount_page =
		(const volatile uint32_t *)(uintptr_t)(BASTION_VIRT_BASE +
						       BASTION_PARAM_VPCOUNT_OFFSET);
	enum boot_params_error err;
	size_t bad = 0;
	uint32_t vcpus;

	/* Copy first, then check: the loader may still be able to write these pages. */
	memcpy(boot_param_copy, memmap_page, sizeof(boot_param_copy));
	err = boot_memmap_parse(boot_param_copy, sizeof(boot_param_copy), &boot_memmap, &bad);
	if (err != BOOT_PARAMS_OK) {
		panic("IGVM memory map parameter unusable: %s (entry %zu)", boot_params_error_name(err),
		      bad);
	}
	if (!boot_memmap_covers_ram(&boot_memmap, BASTION_REGION_GPA, BASTION_REGION_SIZE)) {
		panic("memory map does not cover Bastion's region 0x%x-0x%x with RAM",
		      BASTION_REGION_GPA, BASTION_REGION_GPA + BASTION_REGION_SIZE - 1);
	}
	vcpus = *vpcount_page;
	if (vcpus == 0 || vcpus > BOOT_MAX_VCPUS) {
		panic("IGVM vCPU count parameter out of range: %u (1..%u)", vcpus, BOOT_MAX_VCPUS);
	}
	boot_vcpu_count = vcpus;
}

const struct boot_memmap *boot_params_memmap(void)
{
	return &boot_memmap;
}

uint32_t boot_params_vcpu_count(void)
{
	return boot_vcpu_count;
}
