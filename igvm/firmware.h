/*
 * Guest firmware images (`igvmbuild --firmware`) and Bastion's boot_firmware_info page
 * (kernel/boot_firmware.h): the rules an image must meet, and the codec of the descriptor page.
 * Shared by igvmbuild (which checks and places the image), igvmdump (which decodes the page)
 * and igvmload (which stages the image for stock QEMU). igvm/README.md explains the choices.
 *
 * A firmware image is a flat binary that ends at BASTION_FIRMWARE_END (4 GiB), like a
 * flash/BIOS mapping: its GPA is 4 GiB - size, and the CPU's reset vector (GPA 4 GiB - 16) is
 * in its last 16 bytes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "igvm/igvm_format.h"
#include "kernel/boot_firmware.h"
#include "kernel/image_layout.h"

/* GPA of the boot_firmware_info page; tools recognise the page by this address. */
#define IGVM_FIRMWARE_INFO_GPA ((uint64_t)BASTION_REGION_GPA + BASTION_FIRMWARE_INFO_OFFSET)

/* The reset vector is the last 16 bytes below 4 GiB (x86: CS base 0xFFFF0000, IP 0xFFF0). */
#define IGVM_FIRMWARE_RESET_VECTOR_SIZE 16u

/* A named GPA range that a firmware image must not overlap. */
struct igvm_gpa_range {
	uint64_t gpa;
	uint64_t size;
	const char *name;
};

/*
 * igvm_firmware_gpa: where an image of size bytes starts. Inputs: size (at most
 * BASTION_FIRMWARE_MAX_SIZE). Returns BASTION_FIRMWARE_END - size. No errors.
 */
uint64_t igvm_firmware_gpa(uint64_t size);

/*
 * igvm_firmware_check_overlap: refuse a firmware range that intersects a reserved range.
 * Inputs: [gpa, gpa + size), reserved[count]. Returns 0, or -1 with a message in err[errlen]
 * naming the first reserved range it overlaps.
 */
int igvm_firmware_check_overlap(uint64_t gpa, uint64_t size, const struct igvm_gpa_range *reserved, size_t count,
				char *err, size_t errlen);

/*
 * igvm_firmware_check: validate a flat firmware image before it is placed below 4 GiB.
 * Inputs: fw/size (fw may be NULL only when size is 0).
 * Returns 0, or -1 with a message in err[errlen]: empty; size not a multiple of 4 KiB; larger
 * than BASTION_FIRMWARE_MAX_SIZE; overlapping Bastion's region or the SNP VMSA page; no x86
 * reset-vector jump in the last 16 bytes (see igvm_firmware_has_reset_jump); malformed SEV
 * metadata (igvm_firmware_read_metadata); declared pages that break boot_firmware_pages_check.
 */
int igvm_firmware_check(const uint8_t *fw, size_t size, char *err, size_t errlen);

/*
 * igvm_firmware_has_reset_jump: true if the last 16 bytes of an image hold an x86 jump the CPU
 * can reach from the reset vector: a JMP opcode (EB rel8, E9 rel16 or EA ptr16:16) whose
 * operand fits in the 16 bytes and, for EB/E9, whose real-mode target (CS base 0xFFFF0000,
 * 16-bit IP) lies inside the image. It is a sanity check against passing the wrong file
 * (an ELF, a variable store, a zero-padded or erased image), not a disassembler: the jump need
 * not be the first instruction (OVMF tests CR0.PE first).
 * Inputs: fw/size, size a non-zero multiple of 4 KiB. No errors.
 */
bool igvm_firmware_has_reset_jump(const uint8_t *fw, size_t size);

/*
 * Pages a firmware declares in the SEV metadata of its reset-vector area, the way OVMF does
 * (OvmfPkg/ResetVector: a GUIDed table that ends 0x20 bytes below the image's end, whose entry
 * dc886566-984a-4798-a75e-5585a7bf67cc holds the offset, from the end of the image, of an
 * "ASEV" header followed by {base, size, type} sections). igvm/README.md has the layout.
 */
struct igvm_firmware_meta {
	bool found;           /* the image has the GUIDed table and an ASEV header */
	uint64_t secrets_gpa; /* section type 2, or 0 */
	uint64_t cpuid_gpa;   /* section type 3, or 0 */
	uint64_t caa_gpa;     /* section type 4 (SVSM calling area), or 0 */
	uint32_t sections;    /* number of sections, all types */
};

/* Section types of the ASEV metadata (OVMF's SEV metadata, version 1). */
#define IGVM_FW_SECTION_MEM 1u
#define IGVM_FW_SECTION_SECRETS 2u
#define IGVM_FW_SECTION_CPUID 3u
#define IGVM_FW_SECTION_SVSM_CAA 4u
#define IGVM_FW_SECTION_KERNEL_HASHES 0x10u

/*
 * igvm_firmware_read_metadata: find and check the SEV metadata of an image. Every offset and
 * length in the table is bounds-checked; nothing outside fw[0, size) is read.
 * Inputs: fw/size, size a non-zero multiple of 4 KiB (at least 4 KiB).
 * Output: *out (found = false and GPAs 0 when the image has no GUIDed table or no SEV entry:
 * not an error). Returns 0, or -1 with a message in err[errlen] for a table that is present but
 * malformed (lengths out of bounds, bad "ASEV" signature or version, a secrets/CPUID/CAA section
 * that is not exactly one page or appears twice, an unknown section type).
 */
int igvm_firmware_read_metadata(const uint8_t *fw, size_t size, struct igvm_firmware_meta *out, char *err,
				size_t errlen);

/*
 * igvm_firmware_info_init: the descriptor of an image (already accepted by
 * igvm_firmware_check), or of "no firmware" when size is 0 (fw may then be NULL).
 * Output: *info, every field set. No errors.
 */
void igvm_firmware_info_init(const uint8_t *fw, size_t size, struct boot_firmware_info *info);

/*
 * igvm_firmware_info_encode: write *info little-endian at the start of a 4 KiB page and zero the
 * rest of it. Output: page (IGVM_PAGE_SIZE bytes). No errors.
 */
void igvm_firmware_info_encode(uint8_t page[IGVM_PAGE_SIZE], const struct boot_firmware_info *info);

/*
 * igvm_firmware_info_decode: read a descriptor from BOOT_FIRMWARE_INFO_SIZE bytes at p (caller
 * checked they exist). Output: *info. No errors (check it with igvm_firmware_info_check).
 */
void igvm_firmware_info_decode(const uint8_t *p, struct boot_firmware_info *info);

/*
 * igvm_firmware_info_check: is a decoded descriptor (from a file: hostile) one igvmbuild could
 * have written? Returns 0, or -1 with a message in err[errlen]: bad magic, unsupported version,
 * non-zero reserved field, undefined flags; for size 0, any other non-zero field; else a size
 * igvm_firmware_check would refuse, gpa != 4 GiB - size, reset_vector_gpa != 4 GiB - 16,
 * flags without BOOT_FIRMWARE_FLAG_MEASURED.
 */
int igvm_firmware_info_check(const struct boot_firmware_info *info, char *err, size_t errlen);
