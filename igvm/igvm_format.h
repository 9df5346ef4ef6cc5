/*
 * IGVM file format: constants, structure layouts and their little-endian byte codecs.
 *
 * Facts come from the Bastion ABI reference (docs: svsm-snp-igvm-abi.md), section 5 (IGVM
 * format, igvm_defs 0.4.0) and section 4.2 (SEV-SNP VMSA).
 *
 * The structs below are the decoded, host-order form of each on-disk structure. Their members
 * are laid out in file order with every reserved field spelled out, and _Static_asserts pin
 * each offset to the spec, so the struct doubles as the layout table. Code never casts file
 * bytes to these structs (alignment and endianness); it goes through the igvm_decode_* and
 * igvm_encode_* helpers, which read and write one field at a time with the le helpers.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* ---- Little-endian field access (IGVM and the VMSA are little-endian, ABI section 0). ---- */

/* Reads a little-endian u16 at p (2 readable bytes). Returns it. No errors. */
static inline uint16_t igvm_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

/* Reads a little-endian u32 at p (4 readable bytes). Returns it. No errors. */
static inline uint32_t igvm_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Reads a little-endian u64 at p (8 readable bytes). Returns it. No errors. */
static inline uint64_t igvm_get_le64(const uint8_t *p)
{
	return (uint64_t)igvm_get_le32(p) | ((uint64_t)igvm_get_le32(p + 4) << 32);
}

/* Writes v as a little-endian u16 at p (2 writable bytes). No errors. */
static inline void igvm_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* Writes v as a little-endian u32 at p (4 writable bytes). No errors. */
static inline void igvm_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Writes v as a little-endian u64 at p (8 writable bytes). No errors. */
static inline void igvm_put_le64(uint8_t *p, uint64_t v)
{
	igvm_put_le32(p, (uint32_t)v);
	igvm_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* ---- General constants (ABI 5.1, 5.2). ---- */

#define IGVM_MAGIC 0x4D564749u /* "IGVM" read as a little-endian u32 */
#define IGVM_FORMAT_VERSION_1 1u
#define IGVM_PAGE_SIZE 4096u
#define IGVM_TLV_ALIGN 8u
#define IGVM_VHT_OPTIONAL_BIT 0x80000000u

/* ---- Variable header type codes (ABI 5.3). ---- */

#define IGVM_VHT_SUPPORTED_PLATFORM 0x001u
#define IGVM_VHT_GUEST_POLICY 0x101u
#define IGVM_VHT_RELOCATABLE_REGION 0x102u
#define IGVM_VHT_PAGE_TABLE_RELOCATION_REGION 0x103u
#define IGVM_VHT_CORIM_DOCUMENT 0x104u
#define IGVM_VHT_CORIM_SIGNATURE 0x105u
#define IGVM_VHT_CCA_POLICY 0x106u
#define IGVM_VHT_PARAMETER_AREA 0x301u
#define IGVM_VHT_PAGE_DATA 0x302u
#define IGVM_VHT_PARAMETER_INSERT 0x303u
#define IGVM_VHT_VP_CONTEXT 0x304u
#define IGVM_VHT_REQUIRED_MEMORY 0x305u
#define IGVM_VHT_VP_COUNT_PARAMETER 0x307u
#define IGVM_VHT_SRAT 0x308u
#define IGVM_VHT_MADT 0x309u
#define IGVM_VHT_MMIO_RANGES 0x30Au
#define IGVM_VHT_SNP_ID_BLOCK 0x30Bu
#define IGVM_VHT_MEMORY_MAP 0x30Cu
#define IGVM_VHT_ERROR_RANGE 0x30Du
#define IGVM_VHT_COMMAND_LINE 0x30Eu
#define IGVM_VHT_SLIT 0x30Fu
#define IGVM_VHT_PPTT 0x310u
#define IGVM_VHT_VBS_MEASUREMENT 0x311u
#define IGVM_VHT_DEVICE_TREE 0x312u
#define IGVM_VHT_ENVIRONMENT_INFO_PARAMETER 0x313u

/* Header classes and their type ranges; the file must never go back to an earlier class (5.2). */
#define IGVM_VHT_RANGE_PLATFORM_START 0x001u
#define IGVM_VHT_RANGE_PLATFORM_END 0x100u
#define IGVM_VHT_RANGE_INIT_START 0x101u
#define IGVM_VHT_RANGE_INIT_END 0x200u
#define IGVM_VHT_RANGE_DIRECTIVE_START 0x301u
#define IGVM_VHT_RANGE_DIRECTIVE_END 0x400u

/* ---- Platform types (u8) and SNP guest policy (ABI 5.4). ---- */

#define IGVM_PLATFORM_NATIVE 0u
#define IGVM_PLATFORM_VSM_ISOLATION 1u
#define IGVM_PLATFORM_SEV_SNP 2u
#define IGVM_PLATFORM_TDX 3u
#define IGVM_PLATFORM_VERSION_1 1u

#define IGVM_SNP_POLICY_SMT (1ull << 16)
#define IGVM_SNP_POLICY_RESERVED_MBO (1ull << 17) /* reserved, must be 1 */

/* ---- PAGE_DATA data types (u16) and flags (u32) (ABI 5.4). ---- */

#define IGVM_PAGE_DATA_TYPE_NORMAL 0u
#define IGVM_PAGE_DATA_TYPE_SECRETS 1u
#define IGVM_PAGE_DATA_TYPE_CPUID_DATA 2u
#define IGVM_PAGE_DATA_TYPE_CPUID_XF 3u
#define IGVM_PAGE_DATA_TYPE_MAX 3u

#define IGVM_PAGE_FLAG_IS_2MB 0x1u /* defined, but the igvm crate only handles 4 KiB data */
#define IGVM_PAGE_FLAG_UNMEASURED 0x2u
#define IGVM_PAGE_FLAG_SHARED 0x4u
#define IGVM_PAGE_FLAGS_SUPPORTED (IGVM_PAGE_FLAG_UNMEASURED | IGVM_PAGE_FLAG_SHARED)

#define IGVM_REQUIRED_MEMORY_FLAG_VTL2_PROTECTABLE 0x1u

/* MEMORY_MAP_ENTRY entry types (u16). */
#define IGVM_MEMORY_MAP_MEMORY 0u
#define IGVM_MEMORY_MAP_PLATFORM_RESERVED 1u
#define IGVM_MEMORY_MAP_PERSISTENT 2u
#define IGVM_MEMORY_MAP_VTL2_PROTECTABLE 3u

/* ---- Fixed header, format version 1 (ABI 5.1). ---- */

struct igvm_fixed_header {
	uint32_t magic;
	uint32_t format_version;
	uint32_t variable_header_offset;
	uint32_t variable_header_size;
	uint32_t total_file_size;
	uint32_t checksum;
};

#define IGVM_FIXED_HEADER_SIZE 0x18u
#define IGVM_FIXED_HEADER_CHECKSUM_OFFSET 0x14u
_Static_assert(sizeof(struct igvm_fixed_header) == IGVM_FIXED_HEADER_SIZE, "IGVM 5.1: v1 fixed header is 0x18 bytes");
_Static_assert(offsetof(struct igvm_fixed_header, variable_header_offset) == 0x08, "IGVM 5.1");
_Static_assert(offsetof(struct igvm_fixed_header, total_file_size) == 0x10, "IGVM 5.1");
_Static_assert(offsetof(struct igvm_fixed_header, checksum) == IGVM_FIXED_HEADER_CHECKSUM_OFFSET, "IGVM 5.1");

/* Decodes the IGVM_FIXED_HEADER_SIZE bytes at p (caller checked they exist) into *h. No errors. */
static inline void igvm_decode_fixed_header(const uint8_t *p, struct igvm_fixed_header *h)
{
	h->magic = igvm_get_le32(p + 0x00);
	h->format_version = igvm_get_le32(p + 0x04);
	h->variable_header_offset = igvm_get_le32(p + 0x08);
	h->variable_header_size = igvm_get_le32(p + 0x0C);
	h->total_file_size = igvm_get_le32(p + 0x10);
	h->checksum = igvm_get_le32(p + 0x14);
}

/* Encodes *h into the IGVM_FIXED_HEADER_SIZE bytes at p (caller provides them). No errors. */
static inline void igvm_encode_fixed_header(uint8_t *p, const struct igvm_fixed_header *h)
{
	igvm_put_le32(p + 0x00, h->magic);
	igvm_put_le32(p + 0x04, h->format_version);
	igvm_put_le32(p + 0x08, h->variable_header_offset);
	igvm_put_le32(p + 0x0C, h->variable_header_size);
	igvm_put_le32(p + 0x10, h->total_file_size);
	igvm_put_le32(p + 0x14, h->checksum);
}

/* ---- Variable header TLV prefix (ABI 5.2): type, length of the structure (no padding). ---- */

struct igvm_vh_tlv {
	uint32_t type;
	uint32_t length;
};

#define IGVM_VH_TLV_SIZE 8u
_Static_assert(sizeof(struct igvm_vh_tlv) == IGVM_VH_TLV_SIZE, "IGVM 5.2: TLV prefix is 8 bytes");

/* ---- SUPPORTED_PLATFORM (ABI 5.4, 16 bytes). ---- */

struct igvm_supported_platform {
	uint32_t compatibility_mask;
	uint8_t highest_vtl;
	uint8_t platform_type;
	uint16_t platform_version;
	uint64_t shared_gpa_boundary;
};

#define IGVM_SUPPORTED_PLATFORM_LEN 16u
_Static_assert(sizeof(struct igvm_supported_platform) == IGVM_SUPPORTED_PLATFORM_LEN, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_supported_platform, highest_vtl) == 0x4, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_supported_platform, platform_type) == 0x5, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_supported_platform, platform_version) == 0x6, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_supported_platform, shared_gpa_boundary) == 0x8, "IGVM 5.4");

/* Decodes the IGVM_SUPPORTED_PLATFORM_LEN bytes at p (caller checked they exist) into *s. No errors. */
static inline void igvm_decode_supported_platform(const uint8_t *p, struct igvm_supported_platform *s)
{
	s->compatibility_mask = igvm_get_le32(p + 0x0);
	s->highest_vtl = p[0x4];
	s->platform_type = p[0x5];
	s->platform_version = igvm_get_le16(p + 0x6);
	s->shared_gpa_boundary = igvm_get_le64(p + 0x8);
}

/* Encodes *s into the IGVM_SUPPORTED_PLATFORM_LEN bytes at p (caller provides them). No errors. */
static inline void igvm_encode_supported_platform(uint8_t *p, const struct igvm_supported_platform *s)
{
	igvm_put_le32(p + 0x0, s->compatibility_mask);
	p[0x4] = s->highest_vtl;
	p[0x5] = s->platform_type;
	igvm_put_le16(p + 0x6, s->platform_version);
	igvm_put_le64(p + 0x8, s->shared_gpa_boundary);
}

/* ---- GUEST_POLICY (ABI 5.4, 16 bytes). ---- */

struct igvm_guest_policy {
	uint64_t policy;
	uint32_t compatibility_mask;
	uint32_t reserved;
};

#define IGVM_GUEST_POLICY_LEN 16u
_Static_assert(sizeof(struct igvm_guest_policy) == IGVM_GUEST_POLICY_LEN, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_guest_policy, compatibility_mask) == 0x8, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_guest_policy, reserved) == 0xC, "IGVM 5.4");

/* Decodes the IGVM_GUEST_POLICY_LEN bytes at p (caller checked they exist) into *s. No errors. */
static inline void igvm_decode_guest_policy(const uint8_t *p, struct igvm_guest_policy *s)
{
	s->policy = igvm_get_le64(p + 0x0);
	s->compatibility_mask = igvm_get_le32(p + 0x8);
	s->reserved = igvm_get_le32(p + 0xC);
}

/* Encodes *s into the IGVM_GUEST_POLICY_LEN bytes at p (caller provides them). No errors. */
static inline void igvm_encode_guest_policy(uint8_t *p, const struct igvm_guest_policy *s)
{
	igvm_put_le64(p + 0x0, s->policy);
	igvm_put_le32(p + 0x8, s->compatibility_mask);
	igvm_put_le32(p + 0xC, s->reserved);
}

/* ---- PARAMETER_AREA (ABI 5.4, 16 bytes). ---- */

struct igvm_parameter_area {
	uint64_t number_of_bytes;
	uint32_t parameter_area_index;
	uint32_t file_offset;
};

#define IGVM_PARAMETER_AREA_LEN 16u
_Static_assert(sizeof(struct igvm_parameter_area) == IGVM_PARAMETER_AREA_LEN, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_parameter_area, parameter_area_index) == 0x8, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_parameter_area, file_offset) == 0xC, "IGVM 5.4");

/* Decodes the IGVM_PARAMETER_AREA_LEN bytes at p (caller checked they exist) into *s. No errors. */
static inline void igvm_decode_parameter_area(const uint8_t *p, struct igvm_parameter_area *s)
{
	s->number_of_bytes = igvm_get_le64(p + 0x0);
	s->parameter_area_index = igvm_get_le32(p + 0x8);
	s->file_offset = igvm_get_le32(p + 0xC);
}

/* Encodes *s into the IGVM_PARAMETER_AREA_LEN bytes at p (caller provides them). No errors. */
static inline void igvm_encode_parameter_area(uint8_t *p, const struct igvm_parameter_area *s)
{
	igvm_put_le64(p + 0x0, s->number_of_bytes);
	igvm_put_le32(p + 0x8, s->parameter_area_index);
	igvm_put_le32(p + 0xC, s->file_offset);
}

/* ---- PAGE_DATA (ABI 5.4, 24 bytes). ---- */

struct igvm_page_data {
	uint64_t gpa;
	uint32_t compatibility_mask;
	uint32_t file_offset;
	uint32_t flags;
	uint16_t data_type;
	uint16_t reserved;
};

#define IGVM_PAGE_DATA_LEN 24u
_Static_assert(sizeof(struct igvm_page_data) == IGVM_PAGE_DATA_LEN, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_page_data, compatibility_mask) == 0x8, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_page_data, file_offset) == 0xC, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_page_data, flags) == 0x10, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_page_data, data_type) == 0x14, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_page_data, reserved) == 0x16, "IGVM 5.4");

/* Decodes the IGVM_PAGE_DATA_LEN bytes at p (caller checked they exist) into *s. No errors. */
static inline void igvm_decode_page_data(const uint8_t *p, struct igvm_page_data *s)
{
	s->gpa = igvm_get_le64(p + 0x0);
	s->compatibility_mask = igvm_get_le32(p + 0x8);
	s->file_offset = igvm_get_le32(p + 0xC);
	s->flags = igvm_get_le32(p + 0x10);
	s->data_type = igvm_get_le16(p + 0x14);
	s->reserved = igvm_get_le16(p + 0x16);
}

/* Encodes *s into the IGVM_PAGE_DATA_LEN bytes at p (caller provides them). No errors. */
static inline void igvm_encode_page_data(uint8_t *p, const struct igvm_page_data *s)
{
	igvm_put_le64(p + 0x0, s->gpa);
	igvm_put_le32(p + 0x8, s->compatibility_mask);
	igvm_put_le32(p + 0xC, s->file_offset);
	igvm_put_le32(p + 0x10, s->flags);
	igvm_put_le16(p + 0x14, s->data_type);
	igvm_put_le16(p + 0x16, s->reserved);
}

/* ---- PARAMETER_INSERT (ABI 5.4, 16 bytes). ---- */

struct igvm_parameter_insert {
	uint64_t gpa;
	uint32_t compatibility_mask;
	uint32_t parameter_area_index;
};

#define IGVM_PARAMETER_INSERT_LEN 16u
_Static_assert(sizeof(struct igvm_parameter_insert) == IGVM_PARAMETER_INSERT_LEN, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_parameter_insert, compatibility_mask) == 0x8, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_parameter_insert, parameter_area_index) == 0xC, "IGVM 5.4");

/* Decodes the IGVM_PARAMETER_INSERT_LEN bytes at p (caller checked they exist) into *s. No errors. */
static inline void igvm_decode_parameter_insert(const uint8_t *p, struct igvm_parameter_insert *s)
{
	s->gpa = igvm_get_le64(p + 0x0);
	s->compatibility_mask = igvm_get_le32(p + 0x8);
	s->parameter_area_index = igvm_get_le32(p + 0xC);
}

/* Encodes *s into the IGVM_PARAMETER_INSERT_LEN bytes at p (caller provides them). No errors. */
static inline void igvm_encode_parameter_insert(uint8_t *p, const struct igvm_parameter_insert *s)
{
	igvm_put_le64(p + 0x0, s->gpa);
	igvm_put_le32(p + 0x8, s->compatibility_mask);
	igvm_put_le32(p + 0xC, s->parameter_area_index);
}

/*
 * ---- PARAMETER (ABI 5.4, 8 bytes). ----
 * Shared by VP_COUNT, SRAT, MADT, MMIO_RANGES, MEMORY_MAP, COMMAND_LINE, SLIT, PPTT,
 * DEVICE_TREE and ENVIRONMENT_INFO: the loader writes its data into an area at byte_offset.
 */

struct igvm_parameter {
	uint32_t parameter_area_index;
	uint32_t byte_offset;
};

#define IGVM_PARAMETER_LEN 8u
_Static_assert(sizeof(struct igvm_parameter) == IGVM_PARAMETER_LEN, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_parameter, byte_offset) == 0x4, "IGVM 5.4");

/* Decodes the IGVM_PARAMETER_LEN bytes at p (caller checked they exist) into *s. No errors. */
static inline void igvm_decode_parameter(const uint8_t *p, struct igvm_parameter *s)
{
	s->parameter_area_index = igvm_get_le32(p + 0x0);
	s->byte_offset = igvm_get_le32(p + 0x4);
}

/* Encodes *s into the IGVM_PARAMETER_LEN bytes at p (caller provides them). No errors. */
static inline void igvm_encode_parameter(uint8_t *p, const struct igvm_parameter *s)
{
	igvm_put_le32(p + 0x0, s->parameter_area_index);
	igvm_put_le32(p + 0x4, s->byte_offset);
}

/*
 * ---- VP_CONTEXT (ABI 5.4): 20 bytes on disk, then 4 bytes of TLV padding. ----
 * igvm_defs declares gpa as an unaligned u64, so the structure length (the TLV length field) is
 * 20, not 24. The C struct needs 8-byte alignment for gpa and therefore carries the padding as
 * an explicit member that is not part of the structure proper.
 */

struct igvm_vp_context {
	uint64_t gpa;
	uint32_t compatibility_mask;
	uint32_t file_offset;
	uint16_t vp_index;
	uint16_t reserved;
	uint32_t tlv_padding; /* not part of the IGVM structure; never encoded */
};

#define IGVM_VP_CONTEXT_LEN 20u
_Static_assert(offsetof(struct igvm_vp_context, compatibility_mask) == 0x8, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_vp_context, file_offset) == 0xC, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_vp_context, vp_index) == 0x10, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_vp_context, reserved) == 0x12, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_vp_context, tlv_padding) == IGVM_VP_CONTEXT_LEN,
	       "IGVM 5.4: VP_CONTEXT is 20 bytes, padded to 24 in the file");

/* Decodes the IGVM_VP_CONTEXT_LEN bytes at p (caller checked they exist) into *s. No errors. */
static inline void igvm_decode_vp_context(const uint8_t *p, struct igvm_vp_context *s)
{
	s->gpa = igvm_get_le64(p + 0x0);
	s->compatibility_mask = igvm_get_le32(p + 0x8);
	s->file_offset = igvm_get_le32(p + 0xC);
	s->vp_index = igvm_get_le16(p + 0x10);
	s->reserved = igvm_get_le16(p + 0x12);
	s->tlv_padding = 0;
}

/* Encodes *s into the IGVM_VP_CONTEXT_LEN bytes at p (caller provides them). No errors. */
static inline void igvm_encode_vp_context(uint8_t *p, const struct igvm_vp_context *s)
{
	igvm_put_le64(p + 0x0, s->gpa);
	igvm_put_le32(p + 0x8, s->compatibility_mask);
	igvm_put_le32(p + 0xC, s->file_offset);
	igvm_put_le16(p + 0x10, s->vp_index);
	igvm_put_le16(p + 0x12, s->reserved);
}

/* ---- REQUIRED_MEMORY (ABI 5.4, 24 bytes). ---- */

struct igvm_required_memory {
	uint64_t gpa;
	uint32_t compatibility_mask;
	uint32_t number_of_bytes;
	uint32_t flags;
	uint32_t reserved;
};

#define IGVM_REQUIRED_MEMORY_LEN 24u
_Static_assert(sizeof(struct igvm_required_memory) == IGVM_REQUIRED_MEMORY_LEN, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_required_memory, compatibility_mask) == 0x8, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_required_memory, number_of_bytes) == 0xC, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_required_memory, flags) == 0x10, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_required_memory, reserved) == 0x14, "IGVM 5.4");

/* Decodes the IGVM_REQUIRED_MEMORY_LEN bytes at p (caller checked they exist) into *s. No errors. */
static inline void igvm_decode_required_memory(const uint8_t *p, struct igvm_required_memory *s)
{
	s->gpa = igvm_get_le64(p + 0x0);
	s->compatibility_mask = igvm_get_le32(p + 0x8);
	s->number_of_bytes = igvm_get_le32(p + 0xC);
	s->flags = igvm_get_le32(p + 0x10);
	s->reserved = igvm_get_le32(p + 0x14);
}

/* Encodes *s into the IGVM_REQUIRED_MEMORY_LEN bytes at p (caller provides them). No errors. */
static inline void igvm_encode_required_memory(uint8_t *p, const struct igvm_required_memory *s)
{
	igvm_put_le64(p + 0x0, s->gpa);
	igvm_put_le32(p + 0x8, s->compatibility_mask);
	igvm_put_le32(p + 0xC, s->number_of_bytes);
	igvm_put_le32(p + 0x10, s->flags);
	igvm_put_le32(p + 0x14, s->reserved);
}

/* ---- MEMORY_MAP_ENTRY (ABI 5.4, 24 bytes), written by the loader into a parameter area. ---- */

struct igvm_memory_map_entry {
	uint64_t starting_gpa_page_number;
	uint64_t number_of_pages; /* 0 terminates the list */
	uint16_t entry_type;
	uint16_t flags;
	uint32_t reserved;
};

#define IGVM_MEMORY_MAP_ENTRY_LEN 24u
_Static_assert(sizeof(struct igvm_memory_map_entry) == IGVM_MEMORY_MAP_ENTRY_LEN, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_memory_map_entry, number_of_pages) == 0x8, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_memory_map_entry, entry_type) == 0x10, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_memory_map_entry, flags) == 0x12, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_memory_map_entry, reserved) == 0x14, "IGVM 5.4");

/* Decodes the IGVM_MEMORY_MAP_ENTRY_LEN bytes at p (caller checked they exist) into *s. No errors. */
static inline void igvm_decode_memory_map_entry(const uint8_t *p, struct igvm_memory_map_entry *s)
{
	s->starting_gpa_page_number = igvm_get_le64(p + 0x0);
	s->number_of_pages = igvm_get_le64(p + 0x8);
	s->entry_type = igvm_get_le16(p + 0x10);
	s->flags = igvm_get_le16(p + 0x12);
	s->reserved = igvm_get_le32(p + 0x14);
}

/* Encodes *s into the IGVM_MEMORY_MAP_ENTRY_LEN bytes at p (caller provides them). No errors. */
static inline void igvm_encode_memory_map_entry(uint8_t *p, const struct igvm_memory_map_entry *s)
{
	igvm_put_le64(p + 0x0, s->starting_gpa_page_number);
	igvm_put_le64(p + 0x8, s->number_of_pages);
	igvm_put_le16(p + 0x10, s->entry_type);
	igvm_put_le16(p + 0x12, s->flags);
	igvm_put_le32(p + 0x14, s->reserved);
}

/*
 * ---- Native x64 VP context (IgvmNativeVpContextX64, ABI 5.4): 0xE8 bytes at the start of the
 * VP_CONTEXT's 4 KiB of file data; the rest of the page must be zero. Segment attributes use the
 * descriptor high-word layout (access byte in bits 7:0, AVL/L/DB/G in bits 15:12). ----
 */

struct igvm_native_vp_context_x64 {
	uint64_t rax;
	uint64_t rcx;
	uint64_t rdx;
	uint64_t rbx;
	uint64_t rsp;
	uint64_t rbp;
	uint64_t rsi;
	uint64_t rdi;
	uint64_t r8;
	uint64_t r9;
	uint64_t r10;
	uint64_t r11;
	uint64_t r12;
	uint64_t r13;
	uint64_t r14;
	uint64_t r15;
	uint64_t rip;
	uint64_t rflags;
	uint64_t idtr_base;
	uint16_t idtr_limit;
	uint16_t reserved[2];
	uint16_t gdtr_limit;
	uint64_t gdtr_base;
	uint16_t code_selector;
	uint16_t code_attributes;
	uint32_t code_base;
	uint32_t code_limit;
	uint16_t data_selector;
	uint16_t data_attributes;
	uint32_t data_base;
	uint32_t data_limit;
	uint64_t gs_base;
	uint64_t cr0;
	uint64_t cr3;
	uint64_t cr4;
	uint64_t efer;
};

#define IGVM_NATIVE_VP_CONTEXT_LEN 0xE8u
_Static_assert(sizeof(struct igvm_native_vp_context_x64) == IGVM_NATIVE_VP_CONTEXT_LEN, "IGVM 5.4: 0xE8 bytes");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, r15) == 0x78, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, rip) == 0x80, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, rflags) == 0x88, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, idtr_base) == 0x90, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, idtr_limit) == 0x98, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, reserved) == 0x9A, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, gdtr_limit) == 0x9E, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, gdtr_base) == 0xA0, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, code_selector) == 0xA8, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, code_attributes) == 0xAA, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, code_base) == 0xAC, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, code_limit) == 0xB0, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, data_selector) == 0xB4, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, data_attributes) == 0xB6, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, data_base) == 0xB8, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, data_limit) == 0xBC, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, gs_base) == 0xC0, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, cr0) == 0xC8, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, cr3) == 0xD0, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, cr4) == 0xD8, "IGVM 5.4");
_Static_assert(offsetof(struct igvm_native_vp_context_x64, efer) == 0xE0, "IGVM 5.4");

/* Decodes the IGVM_NATIVE_VP_CONTEXT_LEN bytes at p (caller checked they exist) into *c. No errors. */
static inline void igvm_decode_native_vp_context(const uint8_t *p, struct igvm_native_vp_context_x64 *c)
{
	uint64_t *gpr[16] = { &c->rax, &c->rcx, &c->rdx, &c->rbx, &c->rsp, &c->rbp, &c->rsi, &c->rdi,
			      &c->r8,  &c->r9,  &c->r10, &c->r11, &c->r12, &c->r13, &c->r14, &c->r15 };

	for (unsigned int i = 0; i < 16; i++) {
		*gpr[i] = igvm_get_le64(p + 8 * i);
	}
	c->rip = igvm_get_le64(p + 0x80);
	c->rflags = igvm_get_le64(p + 0x88);
	c->idtr_base = igvm_get_le64(p + 0x90);
	c->idtr_limit = igvm_get_le16(p + 0x98);
	c->reserved[0] = igvm_get_le16(p + 0x9A);
	c->reserved[1] = igvm_get_le16(p + 0x9C);
	c->gdtr_limit = igvm_get_le16(p + 0x9E);
	c->gdtr_base = igvm_get_le64(p + 0xA0);
	c->code_selector = igvm_get_le16(p + 0xA8);
	c->code_attributes = igvm_get_le16(p + 0xAA);
	c->code_base = igvm_get_le32(p + 0xAC);
	c->code_limit = igvm_get_le32(p + 0xB0);
	c->data_selector = igvm_get_le16(p + 0xB4);
	c->data_attributes = igvm_get_le16(p + 0xB6);
	c->data_base = igvm_get_le32(p + 0xB8);
	c->data_limit = igvm_get_le32(p + 0xBC);
	c->gs_base = igvm_get_le64(p + 0xC0);
	c->cr0 = igvm_get_le64(p + 0xC8);
	c->cr3 = igvm_get_le64(p + 0xD0);
	c->cr4 = igvm_get_le64(p + 0xD8);
	c->efer = igvm_get_le64(p + 0xE0);
}

/* Encodes *c into the IGVM_NATIVE_VP_CONTEXT_LEN bytes at p (caller provides them). No errors. */
static inline void igvm_encode_native_vp_context(uint8_t *p, const struct igvm_native_vp_context_x64 *c)
{
	const uint64_t gpr[16] = { c->rax, c->rcx, c->rdx, c->rbx, c->rsp, c->rbp, c->rsi, c->rdi,
				   c->r8,  c->r9,  c->r10, c->r11, c->r12, c->r13, c->r14, c->r15 };

	for (unsigned int i = 0; i < 16; i++) {
		igvm_put_le64(p + 8 * i, gpr[i]);
	}
	igvm_put_le64(p + 0x80, c->rip);
	igvm_put_le64(p + 0x88, c->rflags);
	igvm_put_le64(p + 0x90, c->idtr_base);
	igvm_put_le16(p + 0x98, c->idtr_limit);
	igvm_put_le16(p + 0x9A, c->reserved[0]);
	igvm_put_le16(p + 0x9C, c->reserved[1]);
	igvm_put_le16(p + 0x9E, c->gdtr_limit);
	igvm_put_le64(p + 0xA0, c->gdtr_base);
	igvm_put_le16(p + 0xA8, c->code_selector);
	igvm_put_le16(p + 0xAA, c->code_attributes);
	igvm_put_le32(p + 0xAC, c->code_base);
	igvm_put_le32(p + 0xB0, c->code_limit);
	igvm_put_le16(p + 0xB4, c->data_selector);
	igvm_put_le16(p + 0xB6, c->data_attributes);
	igvm_put_le32(p + 0xB8, c->data_base);
	igvm_put_le32(p + 0xBC, c->data_limit);
	igvm_put_le64(p + 0xC0, c->gs_base);
	igvm_put_le64(p + 0xC8, c->cr0);
	igvm_put_le64(p + 0xD0, c->cr3);
	igvm_put_le64(p + 0xD8, c->cr4);
	igvm_put_le64(p + 0xE0, c->efer);
}

/*
 * ---- SEV-SNP VMSA (ABI 4.2): the VP_CONTEXT data of an SNP platform, one 4 KiB page. ----
 * Only the fields Bastion sets or inspects are listed. A segment register is 16 bytes:
 * u16 selector, u16 attrib (compressed 12-bit form), u32 limit, u64 base.
 */

#define IGVM_VMSA_SIZE 4096u

#define IGVM_VMSA_SEG_SELECTOR 0x0u
#define IGVM_VMSA_SEG_ATTRIB 0x2u
#define IGVM_VMSA_SEG_LIMIT 0x4u
#define IGVM_VMSA_SEG_BASE 0x8u

#define IGVM_VMSA_ES 0x000u
#define IGVM_VMSA_CS 0x010u
#define IGVM_VMSA_SS 0x020u
#define IGVM_VMSA_DS 0x030u
#define IGVM_VMSA_FS 0x040u
#define IGVM_VMSA_GS 0x050u
#define IGVM_VMSA_GDTR 0x060u
#define IGVM_VMSA_LDTR 0x070u
#define IGVM_VMSA_IDTR 0x080u
#define IGVM_VMSA_TR 0x090u
#define IGVM_VMSA_VMPL 0x0CAu /* u8 */
#define IGVM_VMSA_CPL 0x0CBu  /* u8 */
#define IGVM_VMSA_EFER 0x0D0u
#define IGVM_VMSA_CR4 0x148u
#define IGVM_VMSA_CR3 0x150u
#define IGVM_VMSA_CR0 0x158u
#define IGVM_VMSA_DR7 0x160u
#define IGVM_VMSA_DR6 0x168u
#define IGVM_VMSA_RFLAGS 0x170u
#define IGVM_VMSA_RIP 0x178u
#define IGVM_VMSA_RSP 0x1D8u
#define IGVM_VMSA_RAX 0x1F8u
#define IGVM_VMSA_G_PAT 0x268u
#define IGVM_VMSA_RCX 0x308u
#define IGVM_VMSA_RDX 0x310u
#define IGVM_VMSA_RBX 0x318u
#define IGVM_VMSA_RBP 0x328u
#define IGVM_VMSA_RSI 0x330u
#define IGVM_VMSA_RDI 0x338u
#define IGVM_VMSA_R8 0x340u /* R8..R15 follow at 8-byte steps up to 0x378 */
#define IGVM_VMSA_SEV_FEATURES 0x3B0u
#define IGVM_VMSA_XCR0 0x3E8u
#define IGVM_VMSA_MXCSR 0x408u   /* u32 */
#define IGVM_VMSA_X87_FCW 0x410u /* u16 */

#define IGVM_SEV_FEATURE_SNP_ACTIVE 0x1ull

/* x86 architectural bits used by the VP contexts. */
#define IGVM_X86_CR0_PE 0x1ull
#define IGVM_X86_CR0_ET 0x10ull
#define IGVM_X86_CR0_NE 0x20ull
#define IGVM_X86_CR0_PG 0x80000000ull
#define IGVM_X86_CR4_PAE 0x20ull
#define IGVM_X86_EFER_LME 0x100ull
#define IGVM_X86_EFER_LMA 0x400ull
#define IGVM_X86_EFER_NXE 0x800ull
#define IGVM_X86_EFER_SVME 0x1000ull
#define IGVM_X86_RFLAGS_RESERVED1 0x2ull
