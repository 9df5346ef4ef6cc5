/*
 * igvm_load: replay an IGVM file's NATIVE directives for a QEMU that cannot load IGVM itself
 * (older than 10.2; ABI reference 5.5). Library behind the igvmload tool.
 *
 * The result is a set of memory blobs (for `-device loader,...,force-raw=on`) and a patched
 * copy of the reset-vector ROM template (for `-bios`) that plays the part of the native VP
 * context; igvm/reset_rom.h is the contract with the ROM. The loader mirrors what QEMU's own
 * IGVM support does for NATIVE (ABI 5.5 table): zeroed parameter areas (file contents
 * ignored), MEMORY_MAP from the q35 e820 layout, VP_COUNT, PARAMETER_INSERT, PAGE_DATA
 * including zero pages, REQUIRED_MEMORY checked against RAM.
 *
 * One exception, for the guest firmware (igvmbuild --firmware, igvm/firmware.h): its pages
 * belong at [4 GiB - size, 4 GiB), where stock q35 has no RAM (QEMU 7.2 silently drops loader
 * blobs there) and where the reset ROM owns the top 64 KiB (a blob there silently overwrites
 * the ROM). So igvmload loads them as one "staging copy" at the top of low RAM and names its
 * GPA in the fw_cfg file BOOT_FIRMWARE_STAGING_FW_CFG; Bastion maps the guest's firmware range
 * onto the copy with nested paging. The measured boot_firmware_info page is loaded unchanged.
 * igvm/README.md has the full reasoning.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "igvm/igvm_format.h"
#include "igvm/reset_rom.h"

/* Limits that keep a hostile file from making the loader allocate without bound. */
#define IGVM_LOAD_MAX_AREAS 1024u
#define IGVM_LOAD_MAX_AREA_BYTES (64ull << 20)

struct igvm_load_options {
	uint64_t mem_bytes; /* guest RAM, as given to QEMU with -m */
	uint32_t smp;       /* vCPU count, as given to QEMU with -smp */
};

/* q35 RAM: [0, below_4g) and [4 GiB, 4 GiB + above_4g). */
struct igvm_ram_layout {
	uint64_t below_4g;
	uint64_t above_4g;
};

struct igvm_load_blob {
	uint64_t gpa;
	size_t size;
	uint8_t *data;
	uint32_t first_header; /* index of the directive that started this blob */
};

struct igvm_load_result {
	struct igvm_load_blob *blobs; /* sorted by GPA, non-overlapping, GPA-contiguous runs merged */
	size_t blob_count;
	uint8_t *rom;                 /* RESET_ROM_SIZE bytes: template with the parameter block set */
	struct reset_rom_params rom_params;
	/* Guest firmware; all 0 when the image has none (no or a size-0 boot_firmware_info). */
	uint64_t firmware_gpa;         /* where the guest sees it: 4 GiB - size */
	uint64_t firmware_size;
	uint64_t firmware_staging_gpa; /* where the staging copy is loaded (one of the blobs) */
};

/*
 * igvm_load_firmware_staging_gpa: where igvmload puts the staging copy of a firmware image of
 * size bytes: the top of the RAM below 4 GiB (page aligned) minus size, so it takes no room
 * from Bastion's region and splits no RAM range in two.
 * Inputs: ram, size. Returns the GPA, or UINT64_MAX if size exceeds the RAM below 4 GiB.
 */
uint64_t igvm_load_firmware_staging_gpa(const struct igvm_ram_layout *ram, uint64_t size);

/*
 * igvm_load_ram_layout: the RAM QEMU's q35 machine creates for mem_bytes of memory: all of it
 * below 4 GiB if it is smaller than 0xB0000000, else 2 GiB below and the rest from 4 GiB.
 * Inputs: mem_bytes. Output: *ram. No errors.
 */
void igvm_load_ram_layout(uint64_t mem_bytes, struct igvm_ram_layout *ram);

/*
 * igvm_load_memory_map: IGVM MEMORY_MAP entries for a RAM layout (type MEMORY, page units,
 * sorted), without the terminating zero entry.
 * Inputs: ram; entries[max]. Output: entries filled. Returns the number of entries (0..2);
 * never more than max.
 */
size_t igvm_load_memory_map(const struct igvm_ram_layout *ram, struct igvm_memory_map_entry *entries, size_t max);

/*
 * igvm_load_rom_params: translate a native VP context into the reset ROM's parameter block.
 * Inputs: ctx. Output: *p (magic and version set too).
 * Returns 0, or -1 with a message in err[errlen] naming what the ROM cannot express (see
 * igvm/reset_rom.h): CR0.PG set or CR0.PE clear, other code/data segments, values that do not
 * fit in 32 bits, non-zero R8-R15, RFLAGS other than 0x2, non-zero GS base.
 */
int igvm_load_rom_params(const struct igvm_native_vp_context_x64 *ctx, struct reset_rom_params *p, char *err,
			 size_t errlen);

/*
 * igvm_load_patch_rom: check a ROM template and write a parameter block into it.
 * Inputs: rom/rom_size (the template, modified in place), p.
 * Returns 0, or -1 with a message in err[errlen]: size not RESET_ROM_SIZE, bad magic or version.
 */
int igvm_load_patch_rom(uint8_t *rom, size_t rom_size, const struct reset_rom_params *p, char *err, size_t errlen);

/*
 * igvm_load: validate file, select NATIVE, replay its directives, patch the ROM.
 * Inputs: file/size (IGVM), rom_template/rom_size, opt. Output: *res (free with
 * igvm_load_result_free, also after a failure).
 * Returns 0, or -1 with a message in err[errlen]: invalid file (with offset), no NATIVE
 * platform, unsupported directive, memory map area too small, region not backed by RAM,
 * overlapping blobs, missing/duplicate/inexpressible native VP context, bad ROM template,
 * limits exceeded, out of memory; and for firmware: a boot_firmware_info page with magic
 * "BFWI" that igvm_firmware_info_check refuses, firmware pages missing or not matching its
 * CRC-32, no room for the staging copy (overlaps REQUIRED_MEMORY or other data, or more than
 * the RAM below 4 GiB). A page at the boot_firmware_info GPA without the magic is loaded like
 * any page and means "no firmware".
 */
int igvm_load(const uint8_t *file, size_t size, const uint8_t *rom_template, size_t rom_size,
	      const struct igvm_load_options *opt, struct igvm_load_result *res, char *err, size_t errlen);

/* igvm_load_result_free: release everything igvm_load allocated. Safe on a zeroed result. */
void igvm_load_result_free(struct igvm_load_result *res);

/*
 * igvm_load_write: write DIR/rom.bin and DIR/blob-NNN.bin (DIR is created if missing) and
 * print the QEMU arguments to args_out, one per line: "-bios", "DIR/rom.bin", then per blob
 * "-device", "loader,file=DIR/blob-NNN.bin,addr=0x...,force-raw=on", then, if the image has
 * firmware, "-fw_cfg", "name=opt/bastion/firmware-staging,string=0x<staging GPA>".
 * Inputs: res, dir, args_out. Returns 0, or -1 with a message in err[errlen] (I/O failure, or
 * a ',' in DIR, which QEMU's option syntax would split).
 */
int igvm_load_write(const struct igvm_load_result *res, const char *dir, FILE *args_out, char *err, size_t errlen);
