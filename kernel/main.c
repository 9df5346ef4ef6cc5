/*
 * kmain(): Bastion's boot sequence, one init call per line, in order.
 *
 * Entered from arch/x86/entry.asm on the boot stack, in long mode on the boot page tables,
 * with the IGVM platform type the VP context passed in EAX.
 */
#include <stdint.h>

#include "arch/x86/cpu.h"
#include "arch/x86/cpu_tables.h"
#include "arch/x86/fpu.h"
#include "arch/x86/snp/snp_platform.h"
#include "kernel/attest_service.h"
#include "kernel/boot_params.h"
#include "kernel/console.h"
#include "kernel/firmware.h"
#include "kernel/guest_boot.h"
#include "kernel/image_layout.h"
#include "kernel/layout.h"
#include "kernel/log.h"
#include "kernel/main.h"
#include "kernel/platform.h"
#include "kernel/stack_protector.h"
#include "kernel/vcpu.h"
#include "kernel/vtpm_service.h"
#include "protocols/dispatch.h"
#include "kernel/version.h"
#include "mm/kernel_map.h"
#include "mm/mm.h"

#ifdef CONFIG_KTEST
#include "tests/ktest/ktest_kernel.h"
#endif

static const char *platform_name(uint32_t platform_type)
{
	switch (platform_type) {
	case BASTION_PLATFORM_NATIVE:
		return "native (AMD-V nested paging)";
	case BASTION_PLATFORM_SNP:
		return "snp (AMD SEV-SNP, VMPL0)";
	default:
		return NULL;
	}
}

static void log_memory_map(void)
{
	const struct boot_memmap *map = boot_params_memmap();

	LOG_INFO("memory map: %zu entries from the IGVM parameter page", map->count);
	for (size_t i = 0; i < map->count; i++) {
		const struct boot_mem_range *r = &map->ranges[i];

		LOG_INFO("  [0x%012lx-0x%012lx] %-8s %lu MiB", r->base, r->base + r->size - 1,
			 boot_mem_type_name(r->type), r->size >> 20);
	}
}

static void log_region(void)
{
	LOG_INFO("region: 0x%08x-0x%08x (%u MiB), image 0x%08lx-0x%08lx, mapped at 0x%lx",
		 BASTION_REGION_GPA, BASTION_REGION_GPA + BASTION_REGION_SIZE - 1,
		 BASTION_REGION_SIZE >> 20, layout_image_gpa_start(), layout_image_gpa_end() - 1,
		 (uint64_t)BASTION_VIRT_BASE);
}

void kmain(uint32_t platform_type)
{
	const char *platform = platform_name(platform_type);

	if (platform_type == BASTION_PLATFORM_SNP) {
		console_init_deferred(); /* SNP: the UART needs the GHCB; keep lines until then */
	} else {
		console_init();          /* COM1: everything after this can log */
	}
	LOG_INFO("Bastion SVSM %s (%s build)", BASTION_VERSION, BASTION_BUILD_KIND);
	cpu_tables_init();      /* GDT, TSS with IST stacks, IDT: faults are reported from here on */
	if (platform == NULL) {
		LOG_ERROR("unknown platform type %u in the VP context", platform_type);
		kmain_halt();
	}
	if (platform_type == BASTION_PLATFORM_SNP) {
		snp_boot_early(); /* SEV_STATUS, #VC handler, secrets, GHCB protocol, heap PVALIDATE */
	}
	fpu_init();             /* SSE for crypto/ (saved around each use: the guest owns it) */
	stack_protector_init(); /* per-boot stack guard from RDSEED/RDRAND */
	LOG_INFO("platform: %s", platform);
	boot_params_init();     /* memory map and vCPU count from the IGVM parameter pages */
	log_memory_map();
	log_region();
	firmware_init(platform_type);  /* the guest firmware's descriptor (and staging copy) */
	mm_init(platform_type, boot_params_memmap()); /* page pool, heap, W^X tables, ledger */
	if (platform_type == BASTION_PLATFORM_SNP) {
		snp_boot_ghcb();        /* this CPU's GHCB: port I/O works through #VC now */
		console_start();        /* write out the lines kept so far */
	}
	cpu_tables_guard_ist_stacks(); /* #DF/NMI/#MC stacks with guard pages */
	platform_init(platform_type);  /* native: SVM + nested page tables; SNP: firmware to VMPL1 */
	vcpu_registry_init(boot_params_vcpu_count(), 1); /* guest vCPUs (guest VMPL 1) */
	svsm_dispatch_init();          /* check the protocol table once */
	vtpm_service_init();           /* the guest's TPM: manufactured, EK made, powered on */
	attest_service_init();         /* attestation: report source, the native report key */
	kernel_map_seal_ro_after_init(); /* what boot set up is read-only from here on */
	LOG_INFO("vcpus: %u", boot_params_vcpu_count());
	LOG_INFO("ready");
#ifdef CONFIG_KTEST
	ktest_kernel_main();    /* test image: run the in-kernel tests, exit QEMU with the verdict */
#endif
	guest_boot();           /* start the guest firmware, if the IGVM file has one */
	kmain_halt();           /* nothing left to serve: idle */
}

void kmain_halt(void)
{
	cpu_halt_forever();
}
