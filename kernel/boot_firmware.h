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
 * Version 2 adds the pages the firmware declares in its SEV metadata (secrets, CPUID, SVSM
 * calling area): the guest discovers the SVSM through the secrets page at secrets_gpa, on SNP
 * and, with a page Bastion writes in the same layout, on the native platform.
 *
 * Portable (stdint/stddef only): shared by the kernel and the host tools. The layout is
 * little-endian; the host tools encode it field by field (igvm/firmware.c).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/image_layout.h"

#define BOOT_FIRMWARE_INFO_MAGIC 0x49574642u /* "BFWI" read as a little-endian u32 */
#define BOOT_FIRMWARE_INFO_VERSION 2u

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
	/* Pages the firmware declares in its SEV metadata (OVMF's "ASEV" table, igvm/README.md);
	 * 0 when it declares none. Each is a 4 KiB-aligned page below the image, outside Bastion's
	 * region, and the three are distinct. */
	uint64_t secrets_gpa;      /* 0x28: where the guest reads its SNP secrets page */
	uint64_t cpuid_gpa;        /* 0x30: where the guest reads its SNP CPUID page */
	uint64_t caa_gpa;          /* 0x38: the page reserved for the boot vCPU's calling area */
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
_Static_assert(offsetof(struct boot_firmware_info, secrets_gpa) == 0x28, "boot_firmware_info layout");
_Static_assert(offsetof(struct boot_firmware_info, cpuid_gpa) == 0x30, "boot_firmware_info layout");
_Static_assert(offsetof(struct boot_firmware_info, caa_gpa) == 0x38, "boot_firmware_info layout");

/* Why a declared page is unusable (boot_firmware_pages_check). */
enum boot_firmware_page_fault {
	BOOT_FIRMWARE_PAGE_OK,
	BOOT_FIRMWARE_PAGE_UNALIGNED,
	BOOT_FIRMWARE_PAGE_NOT_BELOW_IMAGE,
	BOOT_FIRMWARE_PAGE_IN_BASTION,
};

/* One declared page: 0 (none), or a 4 KiB page below the image and outside Bastion's region. */
static inline enum boot_firmware_page_fault boot_firmware_page_check_(uint64_t page, uint64_t image_gpa)
{
	if (page == 0) {
		return BOOT_FIRMWARE_PAGE_OK;
	}
	if ((page & 0xFFFu) != 0) {
		return BOOT_FIRMWARE_PAGE_UNALIGNED;
	}
	if (page >= image_gpa || image_gpa - page < 0x1000u) {
		return BOOT_FIRMWARE_PAGE_NOT_BELOW_IMAGE;
	}
	if (page + 0x1000u > BASTION_REGION_GPA && page < (uint64_t)BASTION_REGION_GPA + BASTION_REGION_SIZE) {
		return BOOT_FIRMWARE_PAGE_IN_BASTION;
	}
	return BOOT_FIRMWARE_PAGE_OK;
}

/*
 * The rules for secrets_gpa, cpuid_gpa and caa_gpa, shared by igvmbuild (on the metadata it
 * read), igvmdump and the kernel (on the measured page). Returns NULL if they hold, else a
 * phrase naming the first broken rule ("secrets page is not 4 KiB aligned", ...).
 * With size 0 (no firmware) all three must be 0. A calling area needs a secrets page: without
 * one the guest could never learn where the calling area is.
 */
static inline const char *boot_firmware_pages_check(const struct boot_firmware_info *info)
{
	static const char *const msg[3][4] = {
		{ NULL, "secrets page is not 4 KiB aligned", "secrets page is not below the firmware image",
		  "secrets page lies in Bastion's region" },
		{ NULL, "CPUID page is not 4 KiB aligned", "CPUID page is not below the firmware image",
		  "CPUID page lies in Bastion's region" },
		{ NULL, "calling-area page is not 4 KiB aligned", "calling-area page is not below the firmware image",
		  "calling-area page lies in Bastion's region" },
	};
	const uint64_t pages[3] = { info->secrets_gpa, info->cpuid_gpa, info->caa_gpa };

	if (info->size == 0) {
		return (pages[0] | pages[1] | pages[2]) == 0 ? NULL : "declared pages without a firmware image";
	}
	for (int i = 0; i < 3; i++) {
		enum boot_firmware_page_fault f = boot_firmware_page_check_(pages[i], info->gpa);

		if (f != BOOT_FIRMWARE_PAGE_OK) {
			return msg[i][f];
		}
		for (int j = 0; j < i; j++) {
			if (pages[i] != 0 && pages[i] == pages[j]) {
				return "two declared pages are the same page";
			}
		}
	}
	if (info->caa_gpa != 0 && info->secrets_gpa == 0) {
		return "a calling-area page without a secrets page";
	}
	return NULL;
}
