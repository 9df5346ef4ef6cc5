/*
 * igvm_build: turns the kernel ELF into Bastion's IGVM image.
 *
 * The image serves two platforms from one file: SEV-SNP (compatibility bit 0x1) and NATIVE
 * (bit 0x2, for plain QEMU/KVM/TCG and for igvmload). The directive order is fixed so that
 * the SNP measured order equals the file order (ABI reference 5.6, "Ordering pitfall"):
 *   platforms, guest policy, parameter areas/parameters/inserts and REQUIRED_MEMORY,
 *   PAGE_DATA sorted by GPA (the boot_firmware_info page, and the guest firmware's pages near
 *   4 GiB when there is one), VP contexts last.
 * igvm/README.md describes every directive; kernel/image_layout.h fixes every address.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "igvm/elf64.h"
#include "igvm/igvm_format.h"
#include "kernel/image_layout.h"

/* Compatibility mask bits Bastion assigns to its two platforms. */
#define IGVM_BUILD_MASK_SNP 0x1u
#define IGVM_BUILD_MASK_NATIVE 0x2u
#define IGVM_BUILD_MASK_ALL (IGVM_BUILD_MASK_SNP | IGVM_BUILD_MASK_NATIVE)

/* SNP guest policy: ABI 0.0, SMT allowed, reserved bit 17 set (ABI 5.4). */
#define IGVM_BUILD_SNP_POLICY 0x30000ull

/* Largest --firmware image (the firmware window below 4 GiB, kernel/image_layout.h). */
#define IGVM_BUILD_FIRMWARE_MAX_SIZE BASTION_FIRMWARE_MAX_SIZE

/*
 * igvm_build_from_elf: build the IGVM image for a kernel ELF, without guest firmware.
 * Inputs: elf/elf_size, the kernel ELF file. Outputs: *out (malloc'ed, free() it), *out_size.
 * Returns 0, or -1 with a message in err[errlen]: any elf64_load() error (segments must lie in
 * [REGION_GPA + KERNEL_OFFSET, REGION_GPA + REGION_SIZE)), image too large, out of memory.
 */
int igvm_build_from_elf(const uint8_t *elf, size_t elf_size, uint8_t **out, size_t *out_size, char *err,
			size_t errlen);

/*
 * igvm_build_from_elf_with_firmware: as igvm_build_from_elf, plus a guest firmware image.
 * Inputs: fw/fw_size, a flat firmware image (igvm/firmware.h), or fw NULL for none (then
 * fw_size is ignored). The image is placed to end at 4 GiB: one measured PAGE_DATA per page
 * for both platforms (all-zero pages as file offset 0, identical pages stored once), and the
 * boot_firmware_info page describes it. Errors: as igvm_build_from_elf, plus every
 * igvm_firmware_check() refusal (empty, not a 4 KiB multiple, over 16 MiB, overlap, no reset
 * jump).
 */
int igvm_build_from_elf_with_firmware(const uint8_t *elf, size_t elf_size, const uint8_t *fw, size_t fw_size,
				      uint8_t **out, size_t *out_size, char *err, size_t errlen);

/*
 * igvm_build_image: build the IGVM image from an already decoded kernel image.
 * Inputs: img (its segments are checked with elf64_check_image and sorted in place).
 * Outputs/returns/errors: as igvm_build_from_elf. The result is re-validated with igvm_parse()
 * before it is returned; a failure there is reported as an internal error.
 */
int igvm_build_image(struct elf64_image *img, uint8_t **out, size_t *out_size, char *err, size_t errlen);

/*
 * igvm_build_image_with_firmware: igvm_build_image plus a guest firmware image; fw/fw_size and
 * the extra errors as for igvm_build_from_elf_with_firmware. fw must stay valid during the call.
 */
int igvm_build_image_with_firmware(struct elf64_image *img, const uint8_t *fw, size_t fw_size, uint8_t **out,
				   size_t *out_size, char *err, size_t errlen);

/*
 * igvm_build_page_tables: the 5 boot page-table pages (PML4, PDPT low, PD low, PDPT high,
 * PD high), in the order of kernel/image_layout.h. They identity-map Bastion's region and map
 * it again at BASTION_VIRT_BASE, with 2 MiB pages. Output: pages (5 * 4096 bytes). No errors.
 */
void igvm_build_page_tables(uint8_t pages[5][IGVM_PAGE_SIZE]);

/*
 * igvm_build_snp_vmsa: the boot vCPU's SEV-SNP VMSA (ABI 4.2) for entry at the 32-bit entry
 * stub. Inputs: entry (e_entry). Output: vmsa (4096 bytes, fully written). No errors.
 */
void igvm_build_snp_vmsa(uint64_t entry, uint8_t vmsa[IGVM_VMSA_SIZE]);

/*
 * igvm_build_native_context: the NATIVE platform's boot VP context (IgvmNativeVpContextX64).
 * Inputs: entry (e_entry). Output: *ctx (fully written). No errors.
 */
void igvm_build_native_context(uint64_t entry, struct igvm_native_vp_context_x64 *ctx);
