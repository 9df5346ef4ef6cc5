/*
 * The boot-parameter block that describes the guest firmware to Bastion.
 *
 * igvmbuild writes one struct boot_firmware_info at the start of the page at
 * BASTION_REGION_GPA + BASTION_FIRMWARE_INFO_OFFSET (kernel/image_layout.h) and emits that page
 * as a normal measured PAGE_DATA for both platforms, so on SEV-SNP the launch digest covers it
 * and the kernel can trust it like its own code. The rest of the page is zero. The page is
 * always present: without `igvmbuild --firmware` it says "no firmware" (size 0), so the kernel
 * never has to guess whether it exists.
 *
 * With a firmware image, the image occupies [gpa, gpa + size) with gpa + size == 4 GiB, like a
 * flash/BIOS mapping, and every page of it is measured PAGE_DATA (both platforms). Where the
 * bytes are in Bastion's own guest-physical space:
 *   - SEV-SNP, and NATIVE loaded by QEMU >= 10.2: at gpa itself.
 *   - NATIVE loaded by igvmload (stock QEMU < 10.2, which has no RAM there and whose reset ROM
 *     owns the top 64 KiB): in a staging copy at the top of low RAM; igvmload announces its GPA
 *     in the fw_cfg file BOOT_FIRMWARE_STAGING_FW_CFG as a "0x..." hex string. The hint is
 *     unmeasured host input: check the range is RAM outside Bastion's region and that its
 *     CRC-32 equals crc32 below before using it. igvm/README.md explains why.
 * Bastion maps the guest's [gpa, gpa + size) onto whichever copy it found (nested paging).
 *
 * Portable (stdint/stddef only): shared by the kernel and the host tools. The layout is
 * little-endian; the host tools encode it field by field (igvm/firmware.c).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define BOOT_FIRMWARE_INFO_MAGIC 0x49574642u /* "BFWI" read as a little-endian u32 */
#define BOOT_FIRMWARE_INFO_VERSION 1u

/* flags: the firmware pages are measured PAGE_DATA (set whenever size != 0 in version 1). */
#define BOOT_FIRMWARE_FLAG_MEASURED 0x1u
#define BOOT_FIRMWARE_FLAGS_KNOWN BOOT_FIRMWARE_FLAG_MEASURED

/* fw_cfg file in which igvmload names the GPA of the firmware's staging copy (see above). */
#define BOOT_FIRMWARE_STAGING_FW_CFG "opt/bastion/firmware-staging"

struct boot_firmware_info {
	uint32_t magic;            /* 0x00: BOOT_FIRMWARE_INFO_MAGIC */
	uint32_t version;          /* 0x04: BOOT_FIRMWARE_INFO_VERSION */
	uint64_t gpa;              /* 0x08: first byte of the image (4 GiB - size); 0 if none */
	uint64_t size;             /* 0x10: bytes, a 4 KiB multiple; 0 means "no firmware" */
	uint64_t reset_vector_gpa; /* 0x18: 4 GiB - 16, where the CPU starts; 0 if none */
	uint32_t flags;            /* 0x20: BOOT_FIRMWARE_FLAG_*; 0 if none */
	uint32_t crc32;            /* 0x24: IEEE CRC-32 of the size image bytes (for logs/checks) */
	uint64_t reserved[3];      /* 0x28: zero */
};

#define BOOT_FIRMWARE_INFO_SIZE 0x40u

_Static_assert(sizeof(struct boot_firmware_info) == BOOT_FIRMWARE_INFO_SIZE, "boot_firmware_info is 64 bytes");
_Static_assert(offsetof(struct boot_firmware_info, magic) == 0x00, "boot_firmware_info layout");
_Static_assert(offsetof(struct boot_firmware_info, version) == 0x04, "boot_firmware_info layout");
_Static_assert(offsetof(struct boot_firmware_info, gpa) == 0x08, "boot_firmware_info layout");
_Static_assert(offsetof(struct boot_firmware_info, size) == 0x10, "boot_firmware_info layout");
_Static_assert(offsetof(struct boot_firmware_info, reset_vector_gpa) == 0x18, "boot_firmware_info layout");
_Static_assert(offsetof(struct boot_firmware_info, flags) == 0x20, "boot_firmware_info layout");
_Static_assert(offsetof(struct boot_firmware_info, crc32) == 0x24, "boot_firmware_info layout");
_Static_assert(offsetof(struct boot_firmware_info, reserved) == 0x28, "boot_firmware_info layout");
