/*
 * The guest firmware Bastion starts (OVMF or another flat image ending in a reset vector),
 * as igvmbuild --firmware described it in the measured boot_firmware_info page
 * (kernel/boot_firmware.h).
 *
 * The image occupies guest-physical [gpa, 4 GiB). Its bytes are "backed" either at that very
 * address (SNP; QEMU >= 10.2) or, with QEMU < 10.2, at a staging copy in low RAM that igvmload
 * named in the fw_cfg file opt/bastion/firmware-staging (host-controlled, so Bastion checks
 * the copy's CRC-32 against the measured descriptor before using it). On the native platform
 * the nested page tables then show the guest the image at [gpa, 4 GiB), read-only, and hide
 * the staging copy.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/boot_firmware.h"

struct firmware_image {
	bool present;
	uint64_t gpa;          /* where the guest sees it */
	uint64_t size;
	uint64_t reset_vector; /* gpa of the 16-byte reset vector (4 GiB - 16) */
	uint64_t backing;      /* where the bytes are in guest-physical memory */
	bool staged;           /* backing is a staging copy in RAM (backing != gpa) */
	uint32_t crc32;
	/* Pages the firmware declared in its SEV metadata (0: none); see boot_firmware.h. */
	uint64_t secrets_gpa;
	uint64_t cpuid_gpa;
	uint64_t caa_gpa;
};

enum firmware_error {
	FIRMWARE_OK = 0,
	FIRMWARE_ERR_MAGIC,    /* not a boot_firmware_info page, or an unknown version */
	FIRMWARE_ERR_LAYOUT,   /* size/gpa/reset vector inconsistent, unknown flags, reserved set */
	FIRMWARE_ERR_STAGING,  /* the staging address is malformed or unusable */
};

/*
 * Checks a copy of the descriptor page and fills *out (present = false for "no firmware").
 * Portable.
 */
enum firmware_error firmware_parse_info(const struct boot_firmware_info *info,
					struct firmware_image *out);

/* Parses the fw_cfg staging string ("0x" followed by hex digits, optional trailing newline).
 * Returns false for anything else. Portable. */
bool firmware_parse_staging(const char *s, uint64_t *out);

/* Kernel: reads the descriptor (before mm_init unmaps it) and, natively, the staging address.
 * Panics on a malformed descriptor. */
void firmware_init(uint32_t platform_type);

/* Kernel: the firmware found by firmware_init(). */
const struct firmware_image *firmware_image(void);

/* Kernel, after mm_init: checks the backing bytes against the descriptor's CRC-32.
 * Returns false (and logs why) if they do not match. */
bool firmware_verify(void);

const char *firmware_error_name(enum firmware_error e);
