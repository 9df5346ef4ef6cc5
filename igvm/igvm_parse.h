/*
 * Validating IGVM parser (ABI reference section 5).
 *
 * igvm_parse() checks a whole file and either accepts it or reports the first problem as
 * {file offset, reason}. It is written for hostile input: every read is bounds checked, every
 * size computation is overflow checked, and no input makes it crash. Structural and semantic
 * checks run first and the checksum last, so a corrupted file reports the header that broke
 * rather than a bare checksum mismatch. The full list of rules is in igvm/README.md.
 *
 * After a successful parse the iterator walks the variable headers in file order; it relies
 * on the validation and must only be used on a file igvm_parse() accepted.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "igvm/igvm_format.h"

#define IGVM_ERROR_REASON_MAX 256
#define IGVM_MAX_PLATFORMS 32

/* SNP VMSA GPA that KVM hard-codes (ABI 5.5); the parser requires it for SNP VP contexts. */
#define IGVM_SNP_VMSA_GPA 0xFFFFFFFFF000ull

struct igvm_error {
	uint64_t offset;                     /* file offset of the offending byte or field */
	char reason[IGVM_ERROR_REASON_MAX]; /* human readable, never empty after a failure */
};

struct igvm_platform {
	uint32_t mask;          /* the single compatibility bit this platform owns */
	uint8_t platform_type;  /* IGVM_PLATFORM_* */
	uint8_t highest_vtl;
	uint16_t platform_version;
	uint64_t shared_gpa_boundary;
	uint32_t header_index;
	uint32_t header_offset; /* file offset of the SUPPORTED_PLATFORM TLV */
};

struct igvm_file {
	const uint8_t *data; /* the caller's buffer; must outlive this struct */
	size_t size;
	struct igvm_fixed_header fixed;
	uint32_t data_region_offset; /* first byte after the variable headers */
	uint32_t header_count;
	uint32_t platform_count;
	uint32_t platform_mask; /* OR of all platform bits */
	struct igvm_platform platforms[IGVM_MAX_PLATFORMS];
};

/* One variable header, decoded. u is valid for the member matching type. */
struct igvm_header {
	uint32_t index;  /* position among the variable headers, from 0 */
	uint32_t offset; /* file offset of the TLV (type field) */
	uint32_t type;
	uint32_t length; /* structure length from the TLV, without padding */
	const uint8_t *body;
	union {
		struct igvm_supported_platform platform;
		struct igvm_guest_policy policy;
		struct igvm_parameter_area parameter_area;
		struct igvm_page_data page_data;
		struct igvm_parameter_insert parameter_insert;
		struct igvm_parameter parameter;
		struct igvm_vp_context vp_context;
		struct igvm_required_memory required_memory;
	} u;
};

struct igvm_iter {
	const struct igvm_file *file;
	uint64_t pos;
	uint32_t index;
};

/*
 * igvm_parse: validate an IGVM file held in memory.
 * Inputs: data/size, the whole file. Outputs: *file describes it (points into data) on success.
 * Returns 0 if valid; -1 otherwise with *err set to the first problem (file offset and reason).
 * Errors: any violation of the rules in igvm/README.md; "out of memory" if bookkeeping fails.
 */
int igvm_parse(const uint8_t *data, size_t size, struct igvm_file *file, struct igvm_error *err);

/*
 * igvm_iter_init / igvm_iter_next: walk the variable headers of a parsed file in file order.
 * Inputs: it, file (accepted by igvm_parse). Output: *hdr filled for the next header.
 * Returns true while a header was produced, false at the end. Errors: none (stops early if
 * the file was not validated and a TLV does not fit).
 */
void igvm_iter_init(struct igvm_iter *it, const struct igvm_file *file);
bool igvm_iter_next(struct igvm_iter *it, struct igvm_header *hdr);

/*
 * igvm_file_bytes: bounds-checked access to file data referenced by a file_offset field.
 * Inputs: file, file_offset, len. Output: pointer to len bytes, or NULL if file_offset is 0 or
 * the range does not lie inside the file.
 */
const uint8_t *igvm_file_bytes(const struct igvm_file *file, uint32_t file_offset, size_t len);

/*
 * igvm_find_platform: the SUPPORTED_PLATFORM entry of a given platform type.
 * Inputs: file, platform_type (IGVM_PLATFORM_*). Output: the entry, or NULL if absent.
 */
const struct igvm_platform *igvm_find_platform(const struct igvm_file *file, uint8_t platform_type);

/*
 * igvm_compute_checksum: the IGVM checksum (ABI 5.1): CRC-32 over the fixed header with its
 * checksum field taken as zero, followed by the variable-header region named by the header.
 * Inputs: data/size, a file image whose fixed header fields are already final.
 * Output: *checksum. Returns 0, or -1 if the file is smaller than the fixed header or the
 * variable-header region does not fit in size.
 */
int igvm_compute_checksum(const uint8_t *data, size_t size, uint32_t *checksum);

/*
 * igvm_update_checksum: compute the checksum and store it in the fixed header.
 * Inputs/outputs: data/size, a writable file image. Returns 0, or -1 as for
 * igvm_compute_checksum (data left unchanged).
 */
int igvm_update_checksum(uint8_t *data, size_t size);

/* Names for printing; unknown values give "UNKNOWN". */
const char *igvm_header_type_name(uint32_t type);
const char *igvm_platform_type_name(uint8_t platform_type);
const char *igvm_page_data_type_name(uint16_t data_type);

/*
 * igvm_read_file: read a whole file into a malloc'ed buffer (shared by the CLI tools).
 * Inputs: path, max_size (larger files are refused). Outputs: *data (free() it), *size.
 * Returns 0, or -1 with a message in err[errlen] (open/read failure, too large, out of memory).
 */
int igvm_read_file(const char *path, size_t max_size, uint8_t **data, size_t *size, char *err,
		   size_t errlen);
