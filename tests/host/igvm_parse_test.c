/*
 * IGVM parser: every single-byte corruption of the header region and every truncation is
 * rejected, semantic rules fire with their specific message when the checksum is made valid
 * again, and random or mutated input never crashes the parser (ASan/UBSan build).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igvm/elf64.h"
#include "igvm/igvm_build.h"
#include "igvm/igvm_dump.h"
#include "igvm/igvm_load.h"
#include "igvm/igvm_parse.h"
#include "kernel/image_layout.h"
#include "tests/ktest/ktest.h"

#define KERNEL_GPA (BASTION_REGION_GPA + BASTION_KERNEL_OFFSET)

static uint8_t parse_code[0x2000];

/* Builds a small valid image from a hand-made kernel image (no ELF bytes needed). */
static int build_test_image(uint8_t **img, size_t *size)
{
	struct elf64_image ei;
	char err[256];

	for (size_t i = 0; i < sizeof(parse_code); i++) {
		parse_code[i] = (uint8_t)(i ^ (i >> 8));
	}
	memset(&ei, 0, sizeof(ei));
	ei.entry = KERNEL_GPA;
	ei.segment_count = 1;
	ei.segments[0] = (struct elf64_segment){ 0, ELF64_PF_R | ELF64_PF_X, KERNEL_GPA, KERNEL_GPA,
						 sizeof(parse_code), 0x3000, parse_code };
	if (igvm_build_image(&ei, img, size, err, sizeof(err)) != 0) {
		ktest_print("  build failed: %s\n", err);
		return -1;
	}
	return 0;
}

/* Parses data and returns true if it was rejected with a non-empty reason. */
static bool rejected(const uint8_t *data, size_t size, struct igvm_error *err)
{
	struct igvm_file f;

	return igvm_parse(data, size, &f, err) != 0 && err->reason[0] != '\0';
}

/* Parses data, expecting rejection with a reason that contains want. */
static bool rejected_with(const uint8_t *data, size_t size, const char *want)
{
	struct igvm_error err;

	if (!rejected(data, size, &err)) {
		ktest_print("  accepted, wanted an error containing \"%s\"\n", want);
		return false;
	}
	if (strstr(err.reason, want) == NULL) {
		ktest_print("  error at 0x%llx \"%s\" does not contain \"%s\"\n", (unsigned long long)err.offset,
			    err.reason, want);
		return false;
	}
	return true;
}

/* ---- TLV surgery for the reorder tests. ---- */

struct tlv_ref {
	size_t offset;
	size_t size; /* including prefix and padding */
	uint32_t type;
};

#define MAX_TLVS 256

/* Lists the TLVs of a valid image. Returns their number. */
static size_t list_tlvs(const uint8_t *img, struct tlv_ref *tlvs)
{
	size_t pos = igvm_get_le32(img + 0x08);
	size_t end = pos + igvm_get_le32(img + 0x0C);
	size_t n = 0;

	while (pos < end && n < MAX_TLVS) {
		uint32_t len = igvm_get_le32(img + pos + 4);

		tlvs[n].offset = pos;
		tlvs[n].type = igvm_get_le32(img + pos);
		tlvs[n].size = 8 + ((len + 7u) & ~7u);
		pos += tlvs[n].size;
		n++;
	}
	return n;
}

/*
 * Rewrites the variable-header region of img with the TLVs in the given order (a permutation,
 * so the region keeps its size and file offsets stay valid), then recomputes the checksum.
 */
static void reorder(uint8_t *img, size_t size, const size_t *order, size_t n)
{
	struct tlv_ref tlvs[MAX_TLVS];
	size_t vh = igvm_get_le32(img + 0x08);
	size_t vh_size = igvm_get_le32(img + 0x0C);
	uint8_t *copy = malloc(vh_size);
	size_t pos = 0;

	list_tlvs(img, tlvs);
	memcpy(copy, img + vh, vh_size);
	for (size_t i = 0; i < n; i++) {
		memcpy(img + vh + pos, copy + (tlvs[order[i]].offset - vh), tlvs[order[i]].size);
		pos += tlvs[order[i]].size;
	}
	free(copy);
	igvm_update_checksum(img, size);
}

/* Identity order with element from moved to position to. */
static void move_order(size_t *order, size_t n, size_t from, size_t to)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (i != from) {
			order[k++] = i;
		}
	}
	memmove(&order[to + 1], &order[to], (n - 1 - to) * sizeof(*order));
	order[to] = from;
}

/* Index of the first TLV of a type (after skip matches). */
static size_t find_tlv(const struct tlv_ref *tlvs, size_t n, uint32_t type, size_t skip)
{
	for (size_t i = 0; i < n; i++) {
		if (tlvs[i].type == type && skip-- == 0) {
			return i;
		}
	}
	return n;
}

/* ---- Tests. ---- */

KTEST(igvm_parse, built_image_is_valid)
{
	uint8_t *img;
	size_t size;
	struct igvm_file f;
	struct igvm_error err;

	ASSERT_EQ(build_test_image(&img, &size), 0);
	EXPECT_EQ(igvm_parse(img, size, &f, &err), 0);
	EXPECT_EQ(f.fixed.variable_header_offset, 0x18u);
	EXPECT_EQ(f.data_region_offset, 0x18u + f.fixed.variable_header_size);
	EXPECT_EQ(f.platform_mask, 0x3u);
	free(img);
}

KTEST(igvm_parse, every_header_byte_flip_rejected)
{
	uint8_t *img, *bad;
	size_t size;
	struct igvm_error err;
	uint32_t vh_end;
	unsigned int structural = 0;

	ASSERT_EQ(build_test_image(&img, &size), 0);
	bad = malloc(size);
	ASSERT_NOT_NULL(bad);
	vh_end = igvm_get_le32(img + 0x08) + igvm_get_le32(img + 0x0C);
	for (uint32_t off = 0; off < vh_end; off++) {
		static const uint8_t flips[] = { 0xFF, 0x01, 0x80 };

		for (size_t k = 0; k < sizeof(flips); k++) {
			memcpy(bad, img, size);
			bad[off] ^= flips[k];
			if (!rejected(bad, size, &err)) {
				ktest_report_failure(__FILE__, __LINE__, "flip 0x%02x at 0x%x accepted", flips[k], off);
				free(bad);
				free(img);
				return;
			}
			structural += strstr(err.reason, "checksum") == NULL;
		}
	}
	/* Most corruptions are caught by a structural check before the checksum. */
	ktest_print("  %u of %u flips caught before the checksum\n", structural, vh_end * 3);
	EXPECT_GT(structural, vh_end);
	free(bad);
	free(img);
}

KTEST(igvm_parse, every_truncation_rejected)
{
	uint8_t *img;
	size_t size;
	struct igvm_error err;
	char want[128];

	ASSERT_EQ(build_test_image(&img, &size), 0);
	for (size_t len = 0; len < size; len++) {
		/* A fresh copy per length, so ASan sees every out-of-bounds read. */
		uint8_t *cut = malloc(len != 0 ? len : 1);

		ASSERT_NOT_NULL(cut);
		memcpy(cut, img, len);
		if (!rejected(cut, len, &err)) {
			ktest_report_failure(__FILE__, __LINE__, "truncation to %zu bytes accepted", len);
			free(cut);
			break;
		}
		if (len >= 0x18) {
			snprintf(want, sizeof(want), "file truncated: header says %zu bytes, file has %zu", size, len);
			if (strcmp(err.reason, want) != 0) {
				ktest_report_failure(__FILE__, __LINE__, "length %zu: \"%s\"", len, err.reason);
			}
			EXPECT_EQ(err.offset, 0x10u);
		} else if (strstr(err.reason, "file too small") == NULL) {
			ktest_report_failure(__FILE__, __LINE__, "length %zu: \"%s\"", len, err.reason);
		}
		free(cut);
	}
	EXPECT_TRUE(rejected_with(NULL, 0, "file too small"));
	free(img);
}

KTEST(igvm_parse, fixed_header_fields)
{
	uint8_t *img, *bad;
	size_t size;
	struct igvm_error err;

	ASSERT_EQ(build_test_image(&img, &size), 0);
	bad = malloc(size + 8);
	ASSERT_NOT_NULL(bad);

	memcpy(bad, img, size);
	bad[0] = 'J';
	EXPECT_TRUE(rejected_with(bad, size, "bad magic"));
	memcpy(bad, img, size);
	igvm_put_le32(bad + 4, 2);
	EXPECT_TRUE(rejected_with(bad, size, "unsupported format version 2"));
	memcpy(bad, img, size);
	igvm_put_le32(bad + 8, 0x10);
	EXPECT_TRUE(rejected_with(bad, size, "variable_header_offset 0x10"));
	memcpy(bad, img, size);
	igvm_put_le32(bad + 8, 0x1C);
	EXPECT_TRUE(rejected_with(bad, size, "8-byte aligned"));
	memcpy(bad, img, size);
	igvm_put_le32(bad + 0xC, 0xFFFFFFF0u);
	EXPECT_TRUE(rejected_with(bad, size, "ends past total_file_size"));
	memcpy(bad, img, size);
	memset(bad + size, 0, 8);
	EXPECT_TRUE(rejected_with(bad, size + 8, "file size mismatch: header says"));
	memcpy(bad, img, size);
	bad[0x14] ^= 1;
	ASSERT_TRUE(rejected(bad, size, &err));
	EXPECT_EQ(err.offset, 0x14u);
	EXPECT_TRUE(strstr(err.reason, "checksum mismatch: stored 0x") != NULL);
	EXPECT_TRUE(strstr(err.reason, ", computed 0x") != NULL);
	for (uint32_t off = 0; off < 0x18; off++) {
		memcpy(bad, img, size);
		bad[off] ^= 0x5A;
		EXPECT_TRUE(rejected(bad, size, &err));
	}
	free(bad);
	free(img);
}

KTEST(igvm_parse, platform_after_directive)
{
	uint8_t *img;
	size_t size, n, order[MAX_TLVS];
	struct tlv_ref tlvs[MAX_TLVS];

	ASSERT_EQ(build_test_image(&img, &size), 0);
	n = list_tlvs(img, tlvs);
	ASSERT_EQ(tlvs[1].type, IGVM_VHT_SUPPORTED_PLATFORM);
	ASSERT_EQ(tlvs[3].type, IGVM_VHT_PARAMETER_AREA);
	move_order(order, n, 1, 3); /* NATIVE platform after the first PARAMETER_AREA */
	reorder(img, size, order, n);
	EXPECT_TRUE(rejected_with(img, size, "header 3 (SUPPORTED_PLATFORM): platform header after a directive header"));
	free(img);
}

KTEST(igvm_parse, policy_after_directive)
{
	uint8_t *img;
	size_t size, n, order[MAX_TLVS];
	struct tlv_ref tlvs[MAX_TLVS];

	ASSERT_EQ(build_test_image(&img, &size), 0);
	n = list_tlvs(img, tlvs);
	ASSERT_EQ(tlvs[2].type, IGVM_VHT_GUEST_POLICY);
	move_order(order, n, 2, n - 1);
	reorder(img, size, order, n);
	EXPECT_TRUE(rejected_with(img, size, "initialization header after a directive header"));
	free(img);
}

KTEST(igvm_parse, insert_before_area)
{
	uint8_t *img;
	size_t size, n, order[MAX_TLVS], insert;
	struct tlv_ref tlvs[MAX_TLVS];

	ASSERT_EQ(build_test_image(&img, &size), 0);
	n = list_tlvs(img, tlvs);
	insert = find_tlv(tlvs, n, IGVM_VHT_PARAMETER_INSERT, 0);
	ASSERT_EQ(tlvs[3].type, IGVM_VHT_PARAMETER_AREA);
	move_order(order, n, insert, 3);
	reorder(img, size, order, n);
	EXPECT_TRUE(rejected_with(img, size, "parameter area 0 is not declared by an earlier PARAMETER_AREA"));
	free(img);
}

KTEST(igvm_parse, parameter_after_insert)
{
	uint8_t *img;
	size_t size, n, order[MAX_TLVS], memmap, insert;
	struct tlv_ref tlvs[MAX_TLVS];

	ASSERT_EQ(build_test_image(&img, &size), 0);
	n = list_tlvs(img, tlvs);
	memmap = find_tlv(tlvs, n, IGVM_VHT_MEMORY_MAP, 0);
	insert = find_tlv(tlvs, n, IGVM_VHT_PARAMETER_INSERT, 0);
	ASSERT_LT(memmap, insert);
	move_order(order, n, memmap, insert);
	reorder(img, size, order, n);
	EXPECT_TRUE(rejected_with(img, size, "(MEMORY_MAP): parameter area 0 was already inserted by header"));
	free(img);
}

KTEST(igvm_parse, insert_twice)
{
	uint8_t *img;
	size_t size, n, insert;
	struct tlv_ref tlvs[MAX_TLVS];

	ASSERT_EQ(build_test_image(&img, &size), 0);
	n = list_tlvs(img, tlvs);
	insert = find_tlv(tlvs, n, IGVM_VHT_PARAMETER_INSERT, 1);
	ASSERT_LT(insert, n);
	igvm_put_le32(img + tlvs[insert].offset + 8 + 0xC, 0); /* second insert names area 0 again */
	igvm_update_checksum(img, size);
	EXPECT_TRUE(rejected_with(img, size, "(PARAMETER_INSERT): parameter area 0 was already inserted by header 5"));
	free(img);
}

KTEST(igvm_parse, duplicate_page_gpa)
{
	uint8_t *img;
	size_t size, n, first;
	struct tlv_ref tlvs[MAX_TLVS];

	ASSERT_EQ(build_test_image(&img, &size), 0);
	n = list_tlvs(img, tlvs);
	first = find_tlv(tlvs, n, IGVM_VHT_PAGE_DATA, 2); /* first page table (mask 0x3) */
	ASSERT_LT(first + 1, n);
	igvm_put_le64(img + tlvs[first + 1].offset + 8, igvm_get_le64(img + tlvs[first].offset + 8));
	igvm_update_checksum(img, size);
	EXPECT_TRUE(rejected_with(img, size, "is already loaded by header"));
	free(img);

	/* The same GPA on disjoint masks is fine (one page per platform). */
	ASSERT_EQ(build_test_image(&img, &size), 0);
	first = find_tlv(tlvs, n, IGVM_VHT_PAGE_DATA, 0); /* SNP secrets page, mask 0x1 */
	igvm_put_le64(img + tlvs[first].offset + 8, BASTION_REGION_GPA + BASTION_BOOT_STACK_OFFSET);
	igvm_put_le32(img + tlvs[first + 2].offset + 8 + 8, 0x2); /* first page table: NATIVE only */
	igvm_put_le64(img + tlvs[first + 1].offset + 8, BASTION_REGION_GPA + BASTION_BOOT_PGTABLE_OFFSET);
	igvm_update_checksum(img, size);
	EXPECT_TRUE(rejected_with(img, size, "GPA 0x10010000 is already loaded by header"));
	free(img);
}

KTEST(igvm_parse, snp_context_gpa)
{
	uint8_t *img;
	size_t size, n, vp;
	struct tlv_ref tlvs[MAX_TLVS];

	ASSERT_EQ(build_test_image(&img, &size), 0);
	n = list_tlvs(img, tlvs);
	vp = find_tlv(tlvs, n, IGVM_VHT_VP_CONTEXT, 0);
	ASSERT_LT(vp, n);
	ASSERT_EQ(igvm_get_le32(img + tlvs[vp].offset + 8 + 8), 0x1u);
	igvm_put_le64(img + tlvs[vp].offset + 8, 0x1000);
	igvm_update_checksum(img, size);
	EXPECT_TRUE(rejected_with(img, size, "SEV_SNP VP context (VMSA) must be at GPA 0xfffffffff000"));
	free(img);
}

KTEST(igvm_parse, field_rules)
{
	uint8_t *img;
	size_t size, n, i;
	struct tlv_ref tlvs[MAX_TLVS];
	uint8_t *p;

#define MUTATE_EXPECT(type_, skip_, field_off_, put_, value_, want_)                               \
	do {                                                                                     \
		ASSERT_EQ(build_test_image(&img, &size), 0);                                      \
		n = list_tlvs(img, tlvs);                                                         \
		i = find_tlv(tlvs, n, (type_), (skip_));                                          \
		ASSERT_LT(i, n);                                                                  \
		p = img + tlvs[i].offset + 8 + (field_off_);                                      \
		put_(p, (value_));                                                                \
		igvm_update_checksum(img, size);                                                  \
		EXPECT_TRUE(rejected_with(img, size, (want_)));                                   \
		free(img);                                                                        \
	} while (0)

	MUTATE_EXPECT(IGVM_VHT_SUPPORTED_PLATFORM, 1, 0x0, igvm_put_le32, 0x6, "exactly one bit");
	MUTATE_EXPECT(IGVM_VHT_SUPPORTED_PLATFORM, 1, 0x0, igvm_put_le32, 0x1, "already used by header 0");
	MUTATE_EXPECT(IGVM_VHT_SUPPORTED_PLATFORM, 1, 0x4, igvm_put_le16, 0x0200, "platform type SEV_SNP is already declared");
	MUTATE_EXPECT(IGVM_VHT_SUPPORTED_PLATFORM, 1, 0x4, igvm_put_le16, 0x0900, "unknown platform type 9");
	MUTATE_EXPECT(IGVM_VHT_SUPPORTED_PLATFORM, 1, 0x6, igvm_put_le16, 2, "unsupported platform version 2");
	MUTATE_EXPECT(IGVM_VHT_SUPPORTED_PLATFORM, 1, 0x8, igvm_put_le64, 0x1000, "NATIVE platform must have shared_gpa_boundary 0");
	MUTATE_EXPECT(IGVM_VHT_GUEST_POLICY, 0, 0x8, igvm_put_le32, 0x2, "applies only to SEV_SNP platforms");
	MUTATE_EXPECT(IGVM_VHT_GUEST_POLICY, 0, 0x0, igvm_put_le64, 0x10000, "reserved and must be 1");
	MUTATE_EXPECT(IGVM_VHT_PARAMETER_AREA, 0, 0x0, igvm_put_le64, 0x800, "not a non-zero multiple of 4 KiB");
	MUTATE_EXPECT(IGVM_VHT_PARAMETER_AREA, 1, 0x8, igvm_put_le32, 0, "index 0 is already declared by header 3");
	MUTATE_EXPECT(IGVM_VHT_PARAMETER_AREA, 0, 0xC, igvm_put_le32, 0x20, "not inside the file data region");
	MUTATE_EXPECT(IGVM_VHT_MEMORY_MAP, 0, 0x4, igvm_put_le32, 0x1000, "outside parameter area 0");
	MUTATE_EXPECT(IGVM_VHT_VP_COUNT_PARAMETER, 0, 0x4, igvm_put_le32, 0xFFE, "outside parameter area 1");
	MUTATE_EXPECT(IGVM_VHT_MEMORY_MAP, 0, 0x0, igvm_put_le32, 7, "parameter area 7 is not declared");
	MUTATE_EXPECT(IGVM_VHT_PARAMETER_INSERT, 0, 0x0, igvm_put_le64, 0x1000800, "not 4 KiB aligned");
	MUTATE_EXPECT(IGVM_VHT_PARAMETER_INSERT, 0, 0x8, igvm_put_le32, 0, "compatibility mask is zero");
	MUTATE_EXPECT(IGVM_VHT_PARAMETER_INSERT, 0, 0x8, igvm_put_le32, 0x7, "names platform bits 0x4");
	MUTATE_EXPECT(IGVM_VHT_PAGE_DATA, 3, 0x0, igvm_put_le64, 0x1004010, "gpa 0x1004010 is not 4 KiB aligned");
	MUTATE_EXPECT(IGVM_VHT_PAGE_DATA, 3, 0x10, igvm_put_le32, 0x1, "2 MiB pages (bit 0) are not supported");
	MUTATE_EXPECT(IGVM_VHT_PAGE_DATA, 3, 0x10, igvm_put_le32, 0x8, "undefined bits 0x8");
	MUTATE_EXPECT(IGVM_VHT_PAGE_DATA, 3, 0x14, igvm_put_le16, 4, "unknown data type 4");
	MUTATE_EXPECT(IGVM_VHT_PAGE_DATA, 3, 0x16, igvm_put_le16, 1, "reserved field is 0x1");
	MUTATE_EXPECT(IGVM_VHT_PAGE_DATA, 3, 0xC, igvm_put_le32, 0x18, "not inside the file data region");
	MUTATE_EXPECT(IGVM_VHT_PAGE_DATA, 3, 0xC, igvm_put_le32, (uint32_t)size - 0xFFF, "not inside the file data region");
	MUTATE_EXPECT(IGVM_VHT_REQUIRED_MEMORY, 0, 0xC, igvm_put_le32, 0, "not a non-zero multiple of 4 KiB");
	MUTATE_EXPECT(IGVM_VHT_REQUIRED_MEMORY, 0, 0x0, igvm_put_le64, 0xFFFFFFFFFFFFF000ull, "overflows");
	MUTATE_EXPECT(IGVM_VHT_VP_CONTEXT, 0, 0xC, igvm_put_le32, 0, "not inside the file data region");
	MUTATE_EXPECT(IGVM_VHT_VP_CONTEXT, 1, 0x0, igvm_put_le64, 0x1000, "NATIVE VP context must have gpa 0");
	MUTATE_EXPECT(IGVM_VHT_VP_CONTEXT, 1, 0x8, igvm_put_le32, 0x3, "covers platforms of different types");
#undef MUTATE_EXPECT

	/* Native context data must be zero past the 0xE8-byte structure (file data: no checksum). */
	ASSERT_EQ(build_test_image(&img, &size), 0);
	n = list_tlvs(img, tlvs);
	i = find_tlv(tlvs, n, IGVM_VHT_VP_CONTEXT, 1);
	ASSERT_LT(i, n);
	img[igvm_get_le32(img + tlvs[i].offset + 8 + 0xC) + 0x100] = 1;
	EXPECT_TRUE(rejected_with(img, size, "everything past 0xe8 must be zero"));
	free(img);
}

KTEST(igvm_parse, tlv_structure_rules)
{
	uint8_t *img;
	size_t size, n;
	struct tlv_ref tlvs[MAX_TLVS];

	ASSERT_EQ(build_test_image(&img, &size), 0);
	n = list_tlvs(img, tlvs);
	igvm_put_le32(img + tlvs[n - 1].offset, 0x306); /* reserved type code */
	igvm_update_checksum(img, size);
	EXPECT_TRUE(rejected_with(img, size, "unknown header type 0x306"));
	igvm_put_le32(img + tlvs[n - 1].offset, IGVM_VHT_SNP_ID_BLOCK);
	igvm_update_checksum(img, size);
	EXPECT_TRUE(rejected_with(img, size, "unsupported header type 0x30b (SNP_ID_BLOCK)"));
	igvm_put_le32(img + tlvs[n - 1].offset, IGVM_VHT_PAGE_DATA | IGVM_VHT_OPTIONAL_BIT);
	igvm_update_checksum(img, size);
	EXPECT_TRUE(rejected_with(img, size, "unknown header type 0x80000302"));
	igvm_put_le32(img + tlvs[n - 1].offset, IGVM_VHT_VP_CONTEXT);
	igvm_put_le32(img + tlvs[n - 1].offset + 4, 24); /* VP_CONTEXT is 20 bytes, not 24 */
	igvm_update_checksum(img, size);
	EXPECT_TRUE(rejected_with(img, size, "(VP_CONTEXT): length 24, expected 20"));
	igvm_put_le32(img + tlvs[n - 1].offset + 4, 20);
	img[tlvs[n - 1].offset + 8 + 21] = 1; /* padding byte */
	igvm_update_checksum(img, size);
	EXPECT_TRUE(rejected_with(img, size, "padding byte is 0x01"));
	img[tlvs[n - 1].offset + 8 + 21] = 0;
	igvm_put_le32(img + tlvs[n - 1].offset + 4, 0x100);
	igvm_update_checksum(img, size);
	EXPECT_TRUE(rejected_with(img, size, "runs past the variable header region"));
	igvm_put_le32(img + tlvs[n - 1].offset + 4, 20);
	igvm_update_checksum(img, size);
	EXPECT_FALSE(rejected(img, size, &(struct igvm_error){ 0 }));
	free(img);
}

/* xorshift64*: deterministic pseudo-random numbers for the robustness test. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

/* Appends a TLV with random contents of a known type (the parser's deepest paths). */
static size_t random_tlv(uint8_t *p, uint64_t *rng, uint32_t file_size)
{
	static const uint32_t types[] = {
		IGVM_VHT_SUPPORTED_PLATFORM, IGVM_VHT_GUEST_POLICY,	  IGVM_VHT_PARAMETER_AREA,
		IGVM_VHT_PAGE_DATA,	     IGVM_VHT_PARAMETER_INSERT,	  IGVM_VHT_VP_CONTEXT,
		IGVM_VHT_REQUIRED_MEMORY,    IGVM_VHT_VP_COUNT_PARAMETER, IGVM_VHT_MEMORY_MAP,
	};
	static const uint32_t lens[] = { 16, 16, 16, 24, 16, 20, 24, 8, 8 };
	size_t k = rng_next(rng) % 9;
	uint64_t r = rng_next(rng);

	igvm_put_le32(p, types[k]);
	igvm_put_le32(p + 4, lens[k]);
	memset(p + 8, 0, 24);
	for (uint32_t i = 0; i < lens[k]; i++) {
		p[8 + i] = (uint8_t)rng_next(rng);
	}
	/* Bias fields toward plausible values so semantic checks run, not just the first one. */
	switch (types[k]) {
	case IGVM_VHT_SUPPORTED_PLATFORM:
		igvm_put_le32(p + 8, 1u << (r % 4));
		p[8 + 4] = 0;
		p[8 + 5] = (uint8_t)(r >> 8) % 4;
		igvm_put_le16(p + 8 + 6, 1);
		igvm_put_le64(p + 8 + 8, 0);
		break;
	case IGVM_VHT_PARAMETER_AREA:
		igvm_put_le64(p + 8, 0x1000 * ((r % 3) + 1));
		igvm_put_le32(p + 8 + 8, (uint32_t)(r >> 8) % 4);
		igvm_put_le32(p + 8 + 12, (r >> 16) % 2 == 0 ? 0 : (uint32_t)(r >> 20) % file_size);
		break;
	case IGVM_VHT_VP_COUNT_PARAMETER:
	case IGVM_VHT_MEMORY_MAP:
		igvm_put_le32(p + 8, (uint32_t)r % 4);
		igvm_put_le32(p + 8 + 4, (uint32_t)(r >> 8) % 0x1100);
		break;
	default:
		igvm_put_le32(p + 8 + 8, 1u + (uint32_t)r % 15);            /* mask */
		igvm_put_le64(p + 8, ((r >> 4) % 64) * 0x1000 + ((r >> 12) % 2 ? 0 : 0xFFFFFFFFF000ull));
		igvm_put_le32(p + 8 + 12, (r >> 20) % 2 == 0 ? 0 : (uint32_t)(r >> 24) % file_size);
		if (types[k] == IGVM_VHT_PAGE_DATA) {
			igvm_put_le32(p + 8 + 16, (uint32_t)(r >> 40) % 8);
			igvm_put_le16(p + 8 + 20, (uint16_t)((r >> 44) % 5));
			igvm_put_le16(p + 8 + 22, 0);
		}
		if (types[k] == IGVM_VHT_PARAMETER_INSERT) {
			igvm_put_le32(p + 8 + 12, (uint32_t)(r >> 8) % 4);
		}
		if (types[k] == IGVM_VHT_REQUIRED_MEMORY || types[k] == IGVM_VHT_GUEST_POLICY) {
			igvm_put_le32(p + 8 + 12, types[k] == IGVM_VHT_GUEST_POLICY ? 0 : 0x1000);
			igvm_put_le32(p + 8 + 16, 0);
			igvm_put_le32(p + 8 + 20, 0);
			if (types[k] == IGVM_VHT_GUEST_POLICY) {
				igvm_put_le64(p + 8, 0x30000);
			}
		}
		break;
	}
	return 8 + ((lens[k] + 7u) & ~7u);
}

/* Feeds an input that parsed cleanly to the dump and the loader as well. */
static void exercise_consumers(const uint8_t *data, size_t size, FILE *sink, const uint8_t *rom)
{
	struct igvm_load_options opt = { 512ull << 20, 2 };
	struct igvm_load_result res;
	char err[256];

	igvm_dump_file(data, size, "fuzz", sink, sink);
	if (igvm_load(data, size, rom, RESET_ROM_SIZE, &opt, &res, err, sizeof(err)) == 0) {
		igvm_load_result_free(&res);
	}
}

KTEST(igvm_parse, random_inputs_do_not_crash)
{
	uint64_t rng = 0x9E3779B97F4A7C15ull;
	uint8_t *img;
	size_t size;
	unsigned int accepted = 0, kinds[4] = { 0 };
	FILE *sink = fopen("/dev/null", "w");
	uint8_t *rom = calloc(1, RESET_ROM_SIZE);

	ASSERT_NOT_NULL(sink);
	ASSERT_NOT_NULL(rom);
	igvm_put_le32(rom, RESET_ROM_MAGIC);
	igvm_put_le32(rom + 4, RESET_ROM_VERSION);
	ASSERT_EQ(build_test_image(&img, &size), 0);
	for (unsigned int iter = 0; iter < 10000; iter++) {
		unsigned int kind = iter % 4;
		size_t len;
		uint8_t *buf;
		struct igvm_file f;
		struct igvm_error err;

		if (kind == 0) {
			/* Pure garbage, sometimes with a valid magic and version. */
			len = rng_next(&rng) % 2048;
			buf = malloc(len + 1);
			for (size_t i = 0; i < len; i++) {
				buf[i] = (uint8_t)rng_next(&rng);
			}
			if (len >= 8 && rng_next(&rng) % 2 == 0) {
				igvm_put_le32(buf, IGVM_MAGIC);
				igvm_put_le32(buf + 4, 1);
			}
		} else if (kind == 1) {
			/* Valid fixed header over random variable headers (checksum made valid). */
			uint32_t vh = 8 * (uint32_t)(rng_next(&rng) % 64);

			len = 0x18 + vh + rng_next(&rng) % 9000;
			buf = malloc(len);
			for (size_t i = 0; i < len; i++) {
				buf[i] = (uint8_t)rng_next(&rng);
			}
			igvm_encode_fixed_header(buf, &(struct igvm_fixed_header){ IGVM_MAGIC, 1, 0x18, vh, (uint32_t)len, 0 });
			igvm_update_checksum(buf, len);
		} else if (kind == 2) {
			/* The built image with a few random byte mutations, checksum made valid. */
			unsigned int muts = 1 + (unsigned int)(rng_next(&rng) % 4);

			len = size;
			buf = malloc(len);
			memcpy(buf, img, len);
			for (unsigned int m = 0; m < muts; m++) {
				size_t at = rng_next(&rng) % (rng_next(&rng) % 4 == 0 ? len : 0x18 + igvm_get_le32(img + 0xC));

				buf[at] = (uint8_t)rng_next(&rng);
			}
			if (rng_next(&rng) % 8 != 0) {
				igvm_update_checksum(buf, len);
			}
		} else {
			/* A soup of well-formed TLVs of known types with biased random fields. */
			unsigned int count = 1 + (unsigned int)(rng_next(&rng) % 24);
			size_t data = 0x1000 * (rng_next(&rng) % 4);
			size_t pos = 0x18;

			len = 0x18 + 32 * count + data;
			buf = calloc(1, len);
			for (unsigned int t = 0; t < count; t++) {
				pos += random_tlv(buf + pos, &rng, (uint32_t)len);
			}
			for (size_t i = pos; i < len; i++) {
				buf[i] = rng_next(&rng) % 3 == 0 ? (uint8_t)rng_next(&rng) : 0;
			}
			igvm_encode_fixed_header(buf, &(struct igvm_fixed_header){ IGVM_MAGIC, 1, 0x18, (uint32_t)(pos - 0x18),
										   (uint32_t)len, 0 });
			igvm_update_checksum(buf, len);
		}
		if (igvm_parse(buf, len, &f, &err) == 0) {
			accepted++;
			kinds[kind]++;
			exercise_consumers(buf, len, sink, rom);
		} else if (err.reason[0] == '\0' || err.offset > len) {
			ktest_report_failure(__FILE__, __LINE__, "input %u: empty reason or offset 0x%llx past %zu", iter,
					     (unsigned long long)err.offset, len);
		}
		free(buf);
	}
	ktest_print("  10000 inputs, %u accepted (garbage %u, random headers %u, mutated %u, TLV soup %u)\n", accepted,
		    kinds[0], kinds[1], kinds[2], kinds[3]);
	fclose(sink);
	free(rom);
	free(img);
}
