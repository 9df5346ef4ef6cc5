/*
 * Guest-physical and virtual layout of Bastion's IGVM image.
 *
 * One source of truth shared by three consumers that must agree byte for byte:
 *   - linker.ld (run through the C preprocessor), which places the kernel;
 *   - igvm/igvmbuild.c, which emits the parameter pages, boot page tables, boot stack
 *     and VP contexts at these addresses;
 *   - the kernel, which reads the parameter pages and runs on the boot tables.
 *
 * Only #define lines with plain integer expressions may appear here: linker.ld includes it.
 * docs/memory-map.md draws the same layout as a picture; keep the two in step.
 *
 * Bastion's region is one contiguous, 2 MiB aligned GPA range (IGVM REQUIRED_MEMORY).
 * Everything outside it belongs to the guest.
 *
 *   GPA (offset from BASTION_REGION_GPA)   contents                          IGVM directive
 *   0x00000 .. 0x00FFF   memory map parameter page                        PARAMETER_INSERT (area 0)
 *   0x01000 .. 0x01FFF   vCPU count parameter page                        PARAMETER_INSERT (area 1)
 *   0x02000 .. 0x02FFF   SNP secrets page (SNP only)                      PAGE_DATA type SECRETS
 *   0x03000 .. 0x03FFF   SNP CPUID page (SNP only)                        PAGE_DATA type CPUID_DATA
 *   0x04000 .. 0x08FFF   boot page tables (5 pages)                       PAGE_DATA (built by igvmbuild)
 *   0x09000 .. 0x09FFF   boot_firmware_info (kernel/boot_firmware.h)      PAGE_DATA (measured)
 *   0x0A000 .. 0x0FFFF   unused (not loaded)
 *   0x10000 .. 0x1FFFF   boot stack (64 KiB, zero pages)                  PAGE_DATA (zero, measured)
 *   0x20000 .. image end kernel ELF PT_LOAD segments (.entry32 first)    PAGE_DATA
 *   image end .. size    free memory handed to the page allocator         (REQUIRED_MEMORY only)
 *
 * Virtual layout: the whole region is mapped at BASTION_VIRT_BASE (top 2 GiB, so the kernel
 * links with -mcmodel=kernel); VA = BASTION_VIRT_BASE + (GPA - BASTION_REGION_GPA). The boot
 * tables also identity-map the region so the 32-bit entry stub survives turning on paging.
 */
#pragma once

#define BASTION_REGION_GPA 0x10000000
#define BASTION_REGION_SIZE 0x01000000
#define BASTION_VIRT_BASE 0xFFFFFFFF80000000

#define BASTION_PARAM_MEMMAP_OFFSET 0x00000
#define BASTION_PARAM_MEMMAP_SIZE 0x1000
#define BASTION_PARAM_VPCOUNT_OFFSET 0x01000
#define BASTION_PARAM_VPCOUNT_SIZE 0x1000
#define BASTION_SNP_SECRETS_OFFSET 0x02000
#define BASTION_SNP_CPUID_OFFSET 0x03000

/* Boot page tables, in this order: PML4, PDPT (low), PD (low), PDPT (high), PD (high). */
#define BASTION_BOOT_PGTABLE_OFFSET 0x04000
#define BASTION_BOOT_PGTABLE_PAGES 5
#define BASTION_BOOT_PML4_OFFSET 0x04000
#define BASTION_BOOT_PDPT_LOW_OFFSET 0x05000
#define BASTION_BOOT_PD_LOW_OFFSET 0x06000
#define BASTION_BOOT_PDPT_HIGH_OFFSET 0x07000
#define BASTION_BOOT_PD_HIGH_OFFSET 0x08000

#define BASTION_BOOT_STACK_OFFSET 0x10000
#define BASTION_BOOT_STACK_SIZE 0x10000

#define BASTION_KERNEL_OFFSET 0x20000

/* IGVM platform types passed to the entry stub in EAX (IGVM spec, platform_type). */
#define BASTION_PLATFORM_NATIVE 0
#define BASTION_PLATFORM_SNP 2

/* Segment selectors of the boot GDT (arch/x86/entry.asm); the VP contexts use them too. */
#define BASTION_BOOT_CS32 0x08
#define BASTION_BOOT_DS 0x10
#define BASTION_BOOT_CS64 0x18

/* SNP: the BSP VMSA lives at this GPA (KVM hard-codes it; ABI reference section 5.5). */
#define BASTION_SNP_VMSA_GPA 0xFFFFFFFFF000

/* QEMU isa-debug-exit device: writing V makes QEMU exit with status (V << 1) | 1. */
#define BASTION_QEMU_EXIT_PORT 0xf4
#define BASTION_QEMU_EXIT_SUCCESS 0x10 /* QEMU exit status 33 */
#define BASTION_QEMU_EXIT_FAILURE 0x11 /* QEMU exit status 35 */

/*
 * Guest firmware (igvmbuild --firmware, kernel/boot_firmware.h): a flat image that ends at
 * BASTION_FIRMWARE_END, like a flash/BIOS mapping, at most BASTION_FIRMWARE_MAX_SIZE bytes (the
 * PC firmware window [4 GiB - 16 MiB, 4 GiB), above the IOAPIC/HPET/LAPIC MMIO). Its descriptor
 * page lives at BASTION_FIRMWARE_INFO_OFFSET in the region.
 */
#define BASTION_FIRMWARE_INFO_OFFSET 0x09000
#define BASTION_FIRMWARE_END 0x100000000
#define BASTION_FIRMWARE_MAX_SIZE 0x1000000
