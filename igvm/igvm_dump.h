/*
 * igvm_dump: human-readable listing of a validated IGVM file (library behind igvmdump).
 *
 * Output format (stable; tests and scripts grep it):
 *   - a fixed-header block, one field per line, including "  checksum 0x%08x (ok)";
 *   - a platform list with the platform type names (SEV_SNP, NATIVE, ...);
 *   - one table row per variable header: index, file offset, type name, mask, GPA, size,
 *     parameter area index and byte offset, file offset of the data, and details (page data
 *     type and flags, platform, policy);
 *   - VP contexts get indented continuation lines with a decoded register summary:
 *     SNP: RIP RAX CR0 CR3 CR4 EFER, CS/DS selector+attributes, SEV_FEATURES, VMPL;
 *     native: RIP RAX CR0 CR3 CR4 EFER, CS/DS selector+attributes, RFLAGS;
 *   - the PAGE_DATA at the boot_firmware_info GPA (igvm/firmware.h) is marked
 *     "boot_firmware_info" and gets "boot_firmware_info: ..." continuation lines: the decoded
 *     descriptor ("no firmware (size 0)", or the firmware range, size, reset vector, flags) and
 *     "crc32 0x... (matches the firmware pages)" or "(MISMATCH: ...)", or "invalid: reason";
 *   - when that descriptor names a firmware image, each run of consecutive PAGE_DATA headers
 *     inside the image (same mask, flags and type, contiguous GPAs) is one row: the first
 *     header's index and offset, the run's first GPA and size, file offset "various", and
 *     "NORMAL firmware: N pages (Z zero), headers A..B";
 *   - a last "summary:" line counts headers, PAGE_DATA (firmware pages included) and zero pages.
 * Numbers are lowercase hex with a 0x prefix and no leading zeros (the SNP VMSA GPA prints as
 * 0xfffffffff000); "-" marks a column that does not apply.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "igvm/igvm_parse.h"

/*
 * igvm_dump: print the listing of a file igvm_parse() accepted.
 * Inputs: file, out (stream). Output: text on out. Errors: none (stream errors are ignored).
 */
void igvm_dump(const struct igvm_file *file, FILE *out);

/*
 * igvm_dump_file: validate a file held in memory, then print its listing.
 * Inputs: data/size, name (used in messages), out and errout streams.
 * Returns 0 if the file is valid (listing on out); 1 if it is not, after printing
 * "igvmdump: NAME: offset 0x...: reason" on errout and nothing on out.
 */
int igvm_dump_file(const uint8_t *data, size_t size, const char *name, FILE *out, FILE *errout);
