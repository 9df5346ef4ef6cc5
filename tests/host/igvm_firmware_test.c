/*
 * Guest firmware in the IGVM image (igvmbuild --firmware): the image rules and refusals, the
 * boot_firmware_info page with and without firmware, placement, order and dedup of the
 * firmware pages, the parser/dump round trip, and igvmload's staging copy for stock QEMU.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/crc32.h"
#include "igvm/elf64.h"
#include "igvm/firmware.h"
#include "igvm/igvm_build.h"
#include "igvm/igvm_dump.h"
#include "igvm/igvm_load.h"
#include "igvm/igvm_parse.h"
#include "kernel/boot_firmware.h"
#include "kernel/image_layout.h"
#include "tests/ktest/ktest.h"

#define KERNEL_GPA (BASTION_REGION_GPA + BASTION_KERNEL_OFFSET)
#define FW_END 0x100000000ull
#define MIB (1ull << 20)
#define FW_PAGES 20u

static uint8_t fw_code[0x2000];

/* Fills the kernel code of the test images (make_firmware copies its first page). */
static void fill_code(void)
{
	for (size_t i = 0; i < sizeof(fw_code); i++) {
		fw_code[i] = (uint8_t)(0x5A + i % 251);
	}
}

/*
 * A synthetic flat firmware image of pages pages: page i is zero when i % 5 == 0, a shared
 * pattern when i % 5 == 1 (so those pages dedup), else unique. Page 2 repeats the kernel code
 * page of build_fw_image, to show dedup works across kernel and firmware. The last 16 bytes
 * are an OVMF-style reset vector: nop, nop, jmp rel16 to 0xFFFFFF00 (inside any image).
 */
static uint8_t *make_firmware(size_t pages)
{
	size_t size = pages * IGVM_PAGE_SIZE;
	uint8_t *fw = calloc(1, size);
	uint8_t *v;

	if (fw == NULL) {
		return NULL;
	}
	fill_code();
	for (size_t i = 0; i < pages; i++) {
		uint8_t *p = fw + i * IGVM_PAGE_SIZE;

		if (i % 5 == 0) {
			continue;
		}
		for (size_t b = 0; b < IGVM_PAGE_SIZE; b++) {
			p[b] = i % 5 == 1 ? (uint8_t)(0xF0 ^ b) : (uint8_t)(i * 31 + b * 7 + 3);
		}
	}
	if (pages > 2) {
		memcpy(fw + 2 * IGVM_PAGE_SIZE, fw_code, IGVM_PAGE_SIZE);
	}
	v = fw + size - 16;
	memset(v, 0, 16);
	v[0] = 0x90;
	v[1] = 0x90;
	v[2] = 0xE9;
	/* IP after the jmp is 0xFFF5; 0xFFF5 + 0xFF0B wraps to 0xFF00. */
	igvm_put_le16(v + 3, 0xFF0B);
	return fw;
}

/* Builds an image with a 2-page code segment and the given firmware (NULL: none). */
static int build_fw_image(const uint8_t *fw, size_t fw_size, uint8_t **img, size_t *size, char *err, size_t errlen)
{
	struct elf64_image ei;

	fill_code();
	memset(&ei, 0, sizeof(ei));
	ei.entry = KERNEL_GPA;
	ei.segment_count = 1;
	ei.segments[0] = (struct elf64_segment){ 0, ELF64_PF_R | ELF64_PF_X, KERNEL_GPA, KERNEL_GPA,
						 sizeof(fw_code), sizeof(fw_code), fw_code };
	return igvm_build_image_with_firmware(&ei, fw, fw_size, img, size, err, errlen);
}

/* Builds the standard FW_PAGES test firmware and its image. *fw is malloc'ed. */
static int build_standard(uint8_t **fw, uint8_t **img, size_t *size)
{
	char err[512];

	*fw = make_firmware(FW_PAGES);
	if (*fw == NULL) {
		return -1;
	}
	if (build_fw_image(*fw, FW_PAGES * IGVM_PAGE_SIZE, img, size, err, sizeof(err)) != 0) {
		ktest_print("  build failed: %s\n", err);
		free(*fw);
		return -1;
	}
	return 0;
}

/* Finds the PAGE_DATA for gpa whose mask intersects mask; also returns its header. */
static bool find_page(const struct igvm_file *f, uint64_t gpa, uint32_t mask, struct igvm_header *out)
{
	struct igvm_iter it;
	struct igvm_header h;

	igvm_iter_init(&it, f);
	while (igvm_iter_next(&it, &h)) {
		if (h.type == IGVM_VHT_PAGE_DATA && h.u.page_data.gpa == gpa &&
		    (h.u.page_data.compatibility_mask & mask) != 0) {
			*out = h;
			return true;
		}
	}
	return false;
}

/* The 4 KiB a PAGE_DATA loads (zeros for file offset 0). */
static const uint8_t *page_bytes(const struct igvm_file *f, const struct igvm_page_data *pd)
{
	static const uint8_t zero[IGVM_PAGE_SIZE];

	return pd->file_offset == 0 ? zero : igvm_file_bytes(f, pd->file_offset, IGVM_PAGE_SIZE);
}

/* Expects igvm_firmware_check to refuse fw/size with a message containing want. */
static bool fw_refused_with(const uint8_t *fw, size_t size, const char *want)
{
	char err[512] = "";

	if (igvm_firmware_check(fw, size, err, sizeof(err)) == 0) {
		ktest_print("  accepted, wanted \"%s\"\n", want);
		return false;
	}
	if (strstr(err, want) == NULL) {
		ktest_print("  error \"%s\" does not contain \"%s\"\n", err, want);
		return false;
	}
	return true;
}

KTEST(igvm_firmware, image_rules_size_and_alignment)
{
	uint8_t *fw = make_firmware(FW_PAGES);
	uint8_t *big;
	char err[512];

	ASSERT_NOT_NULL(fw);
	EXPECT_EQ(igvm_firmware_check(fw, FW_PAGES * IGVM_PAGE_SIZE, err, sizeof(err)), 0);
	EXPECT_TRUE(fw_refused_with(fw, 0, "firmware image is empty"));
	EXPECT_TRUE(fw_refused_with(NULL, 0, "firmware image is empty"));
	EXPECT_TRUE(fw_refused_with(fw, 4097, "is 4097 bytes, not a multiple of 4 KiB"));
	EXPECT_TRUE(fw_refused_with(fw, 100, "not a multiple of 4 KiB"));
	free(fw);

	/* Exactly 16 MiB is fine; one page more is not (checked before any byte is read). */
	big = calloc(1, BASTION_FIRMWARE_MAX_SIZE + IGVM_PAGE_SIZE);
	ASSERT_NOT_NULL(big);
	big[BASTION_FIRMWARE_MAX_SIZE - 16] = 0xEA; /* jmp far: SeaBIOS style */
	EXPECT_EQ(igvm_firmware_check(big, BASTION_FIRMWARE_MAX_SIZE, err, sizeof(err)), 0);
	EXPECT_TRUE(fw_refused_with(big, BASTION_FIRMWARE_MAX_SIZE + IGVM_PAGE_SIZE,
				    "0x1001000 bytes; at most 0x1000000 (16 MiB)"));
	free(big);
	EXPECT_EQ(igvm_firmware_gpa(0x200000), 0xFFE00000ull);
}

KTEST(igvm_firmware, image_rules_reset_vector)
{
	static uint8_t page[IGVM_PAGE_SIZE];
	uint8_t *v = page + IGVM_PAGE_SIZE - 16;
	uint8_t *ovmf;
	char err[512];

	/* All zero, all 0xFF (erased flash or a variable store): no jump. */
	EXPECT_TRUE(fw_refused_with(page, sizeof(page), "no x86 reset-vector jump in its last 16 bytes (GPA 0xfffffff0:"));
	memset(page, 0xFF, sizeof(page));
	EXPECT_TRUE(fw_refused_with(page, sizeof(page), " ff ff ff"));
	memset(page, 0, sizeof(page));

	/* jmp short $ (EB FE) and jmp far F000:E05B are accepted. */
	v[0] = 0xEB;
	v[1] = 0xFE;
	EXPECT_TRUE(igvm_firmware_has_reset_jump(page, sizeof(page)));
	memset(v, 0, 16);
	memcpy(v, "\xEA\x5B\xE0\x00\xF0", 5);
	EXPECT_TRUE(igvm_firmware_has_reset_jump(page, sizeof(page)));
	/* A far jump whose pointer would run past 4 GiB is not one. */
	memset(v, 0, 16);
	v[12] = 0xEA;
	EXPECT_FALSE(igvm_firmware_has_reset_jump(page, sizeof(page)));
	/* A near jump cut off by the end of the image, and one out of a 4 KiB image. */
	memset(v, 0, 16);
	v[14] = 0xE9;
	EXPECT_FALSE(igvm_firmware_has_reset_jump(page, sizeof(page)));
	v[14] = 0;
	v[0] = 0xE9;
	igvm_put_le16(v + 1, 0x8000); /* 0xFFF3 + 0x8000 -> 0x7FF3: 60 KiB below this image */
	EXPECT_FALSE(igvm_firmware_has_reset_jump(page, sizeof(page)));
	igvm_put_le16(v + 1, 0xF00C); /* -> 0xEFFF, one byte below a 4 KiB image (starts at 0xF000) */
	EXPECT_FALSE(igvm_firmware_has_reset_jump(page, sizeof(page)));
	igvm_put_le16(v + 1, 0xF00D); /* -> 0xF000, the image's first byte */
	EXPECT_TRUE(igvm_firmware_has_reset_jump(page, sizeof(page)));
	/* Short jumps sign-extend their displacement. */
	memset(v, 0, 16);
	v[0] = 0xEB;
	v[1] = 0x80; /* 0xFFF2 - 0x80 = 0xFF72: inside */
	EXPECT_TRUE(igvm_firmware_has_reset_jump(page, sizeof(page)));
	v[1] = 0x7F; /* 0xFFF2 + 0x7F wraps to 0x0071: below a 4 KiB image */
	EXPECT_FALSE(igvm_firmware_has_reset_jump(page, sizeof(page)));

	/* The real OVMF reset vector tests CR0.PE first; its jump is not the first instruction. */
	ovmf = calloc(1, 0x10000);
	ASSERT_NOT_NULL(ovmf);
	memcpy(ovmf + 0x10000 - 16, "\x0f\x20\xc0\xa8\x01\x74\x05\xe9\x28\xff\xff\xff\xe9\x09\xff\x90", 16);
	EXPECT_EQ(igvm_firmware_check(ovmf, 0x10000, err, sizeof(err)), 0);
	free(ovmf);
}

KTEST(igvm_firmware, overlap_refusals)
{
	const struct igvm_gpa_range reserved[] = {
		{ 0xFF800000ull, 0x200000, "a test region" },
		{ 0xFFFFF000ull, 0x1000, "a test VMSA page" },
	};
	char err[512] = "";

	/* Below, adjacent to, inside, around and above the reserved ranges. */
	EXPECT_EQ(igvm_firmware_check_overlap(0xFF000000ull, 0x800000, reserved, 1, err, sizeof(err)), 0);
	EXPECT_EQ(igvm_firmware_check_overlap(0xFFA00000ull, 0x100000, reserved, 1, err, sizeof(err)), 0);
	EXPECT_NE(igvm_firmware_check_overlap(0xFF000000ull, 0x801000, reserved, 1, err, sizeof(err)), 0);
	EXPECT_TRUE(strstr(err, "firmware at GPA 0xff000000..0xff800fff overlaps a test region at "
				"0xff800000..0xff9fffff") != NULL);
	EXPECT_NE(igvm_firmware_check_overlap(0xFF900000ull, 0x1000, reserved, 1, err, sizeof(err)), 0);
	EXPECT_NE(igvm_firmware_check_overlap(0xFF9FF000ull, 0x1000, reserved, 1, err, sizeof(err)), 0);
	EXPECT_NE(igvm_firmware_check_overlap(0xFF000000ull, 0x1000000, reserved, 1, err, sizeof(err)), 0);
	EXPECT_NE(igvm_firmware_check_overlap(0xFFF00000ull, 0x100000, reserved, 2, err, sizeof(err)), 0);
	EXPECT_TRUE(strstr(err, "overlaps a test VMSA page") != NULL);
	EXPECT_EQ(igvm_firmware_check_overlap(0xFFF00000ull, 0xFF000, reserved, 2, err, sizeof(err)), 0);
	/* Ranges near the top of the address space do not overflow. */
	EXPECT_EQ(igvm_firmware_check_overlap(0xFFFFFFFFFFFFF000ull, 0x1000, reserved, 2, err, sizeof(err)), 0);
	/* With the real layout, even the largest image stays clear of the region and the VMSA. */
	EXPECT_GE(igvm_firmware_gpa(BASTION_FIRMWARE_MAX_SIZE), (uint64_t)BASTION_REGION_GPA + BASTION_REGION_SIZE);
	EXPECT_LT(FW_END, BASTION_SNP_VMSA_GPA);
}

KTEST(igvm_firmware, info_codec_and_checks)
{
	uint8_t *fw = make_firmware(FW_PAGES);
	uint8_t page[IGVM_PAGE_SIZE];
	struct boot_firmware_info info, back, bad;
	char err[256];

	ASSERT_NOT_NULL(fw);
	igvm_firmware_info_init(fw, FW_PAGES * IGVM_PAGE_SIZE, &info);
	EXPECT_EQ(info.magic, BOOT_FIRMWARE_INFO_MAGIC);
	EXPECT_EQ(info.version, 2u);
	EXPECT_EQ(info.gpa, FW_END - FW_PAGES * IGVM_PAGE_SIZE);
	EXPECT_EQ(info.size, FW_PAGES * IGVM_PAGE_SIZE);
	EXPECT_EQ(info.reset_vector_gpa, 0xFFFFFFF0ull);
	EXPECT_EQ(info.flags, BOOT_FIRMWARE_FLAG_MEASURED);
	EXPECT_EQ(info.crc32, crc32(fw, FW_PAGES * IGVM_PAGE_SIZE));
	EXPECT_EQ(igvm_firmware_info_check(&info, err, sizeof(err)), 0);

	memset(page, 0xAA, sizeof(page));
	igvm_firmware_info_encode(page, &info);
	EXPECT_MEMEQ(page, "BFWI", 4);
	EXPECT_EQ(igvm_get_le32(page + 0x04), 2u);
	EXPECT_EQ(igvm_get_le64(page + 0x08), info.gpa);
	EXPECT_EQ(igvm_get_le64(page + 0x10), info.size);
	EXPECT_EQ(igvm_get_le64(page + 0x18), 0xFFFFFFF0ull);
	EXPECT_EQ(igvm_get_le32(page + 0x20), 1u);
	EXPECT_EQ(igvm_get_le32(page + 0x24), info.crc32);
	for (size_t i = 0x28; i < IGVM_PAGE_SIZE; i++) {
		ASSERT_EQ(page[i], 0u);
	}
	igvm_firmware_info_decode(page, &back);
	EXPECT_MEMEQ(&back, &info, sizeof(info));

#define INFO_REFUSED(mutation_, want_)                                                         \
	do {                                                                                   \
		bad = info;                                                                    \
		mutation_;                                                                     \
		err[0] = '\0';                                                                 \
		EXPECT_NE(igvm_firmware_info_check(&bad, err, sizeof(err)), 0);                \
		EXPECT_TRUE(strstr(err, (want_)) != NULL);                                     \
	} while (0)

	INFO_REFUSED(bad.magic = 0x12345678, "bad magic 0x12345678");
	INFO_REFUSED(bad.version = 1, "unsupported version 1");
	INFO_REFUSED(bad.caa_gpa = 0x80f000, "a calling-area page without a secrets page");
	INFO_REFUSED(bad.secrets_gpa = 0x10000000, "secrets page lies in Bastion's region");
	INFO_REFUSED(bad.cpuid_gpa = 0x1234, "CPUID page is not 4 KiB aligned");
	INFO_REFUSED(bad.flags = 0x3, "flags 0x3 has undefined bits");
	INFO_REFUSED(bad.flags = 0, "lack MEASURED");
	INFO_REFUSED(bad.size = 0x1800, "not a multiple of 4 KiB");
	INFO_REFUSED(bad.size = 0x2000000, "at most 0x1000000");
	INFO_REFUSED(bad.gpa = 0xFF000000ull, "gpa 0xff000000 is not 4 GiB - size");
	INFO_REFUSED(bad.reset_vector_gpa = 0xFFFF0000ull, "reset_vector_gpa 0xffff0000");
	INFO_REFUSED((bad.size = 0, bad.gpa = 0, bad.reset_vector_gpa = 0, bad.flags = 0), "size 0 (no firmware) but");

	/* "No firmware": magic and version, everything else zero. */
	igvm_firmware_info_init(NULL, 0, &info);
	EXPECT_EQ(info.magic, BOOT_FIRMWARE_INFO_MAGIC);
	EXPECT_EQ(info.version, 2u);
	EXPECT_EQ(info.gpa | info.size | info.reset_vector_gpa | info.flags | info.crc32, 0u);
	EXPECT_EQ(igvm_firmware_info_check(&info, err, sizeof(err)), 0);
#undef INFO_REFUSED
	free(fw);
}

KTEST(igvm_firmware, info_page_without_firmware)
{
	uint8_t *img;
	size_t size;
	char err[512];
	struct igvm_file f;
	struct igvm_error perr;
	struct igvm_header h;
	const uint8_t *p;
	struct igvm_iter it;

	ASSERT_EQ(build_fw_image(NULL, 0, &img, &size, err, sizeof(err)), 0);
	ASSERT_EQ(igvm_parse(img, size, &f, &perr), 0);
	ASSERT_TRUE(find_page(&f, BASTION_REGION_GPA + BASTION_FIRMWARE_INFO_OFFSET, IGVM_BUILD_MASK_ALL, &h));
	/* Measured on both platforms: NORMAL, no flags, real file data. */
	EXPECT_EQ(h.u.page_data.compatibility_mask, 0x3u);
	EXPECT_EQ(h.u.page_data.data_type, IGVM_PAGE_DATA_TYPE_NORMAL);
	EXPECT_EQ(h.u.page_data.flags, 0u);
	p = igvm_file_bytes(&f, h.u.page_data.file_offset, IGVM_PAGE_SIZE);
	ASSERT_NOT_NULL(p);
	EXPECT_MEMEQ(p, "BFWI\x02\x00\x00\x00", 8);
	for (size_t i = 8; i < IGVM_PAGE_SIZE; i++) {
		ASSERT_EQ(p[i], 0u);
	}
	/* Nothing at or above 4 GiB - 16 MiB but the VMSA. */
	igvm_iter_init(&it, &f);
	while (igvm_iter_next(&it, &h)) {
		if (h.type == IGVM_VHT_PAGE_DATA) {
			EXPECT_LT(h.u.page_data.gpa, FW_END - BASTION_FIRMWARE_MAX_SIZE);
		}
	}
	free(img);
}

KTEST(igvm_firmware, placement_order_and_dedup)
{
	uint8_t *fw, *img;
	size_t size;
	struct igvm_file f;
	struct igvm_error perr;
	struct igvm_iter it;
	struct igvm_header h, code;
	struct boot_firmware_info info;
	const uint64_t base = FW_END - FW_PAGES * IGVM_PAGE_SIZE;
	uint64_t last_gpa = 0;
	uint32_t pages = 0, fw_seen = 0, vps = 0, offset_of_1 = 0;
	const uint8_t *p;

	ASSERT_EQ(build_standard(&fw, &img, &size), 0);
	ASSERT_EQ(igvm_parse(img, size, &f, &perr), 0);
	igvm_iter_init(&it, &f);
	while (igvm_iter_next(&it, &h)) {
		const struct igvm_page_data *pd = &h.u.page_data;

		if (h.type == IGVM_VHT_VP_CONTEXT) {
			vps++;
			continue;
		}
		if (h.type != IGVM_VHT_PAGE_DATA) {
			continue;
		}
		/* Sorted by GPA, VP contexts last, firmware pages the last PAGE_DATA. */
		EXPECT_EQ(vps, 0u);
		if (pages++ > 0) {
			EXPECT_GT(pd->gpa, last_gpa);
		}
		last_gpa = pd->gpa;
		if (pd->gpa < base) {
			EXPECT_EQ(fw_seen, 0u);
			continue;
		}
		EXPECT_EQ(pd->gpa, base + (uint64_t)fw_seen * IGVM_PAGE_SIZE);
		EXPECT_EQ(pd->compatibility_mask, 0x3u);
		EXPECT_EQ(pd->data_type, IGVM_PAGE_DATA_TYPE_NORMAL);
		EXPECT_EQ(pd->flags, 0u);
		/* Zero pages as file offset 0; the repeated pattern stored once. */
		if (fw_seen % 5 == 0) {
			EXPECT_EQ(pd->file_offset, 0u);
		} else if (fw_seen % 5 == 1) {
			if (offset_of_1 == 0) {
				offset_of_1 = pd->file_offset;
			}
			EXPECT_EQ(pd->file_offset, offset_of_1);
		}
		p = page_bytes(&f, pd);
		ASSERT_NOT_NULL(p);
		EXPECT_MEMEQ(p, fw + (size_t)fw_seen * IGVM_PAGE_SIZE, IGVM_PAGE_SIZE);
		fw_seen++;
	}
	EXPECT_EQ(fw_seen, FW_PAGES);
	EXPECT_EQ(vps, 2u);
	EXPECT_NE(offset_of_1, 0u);
	/* Firmware page 2 repeats the kernel's first code page: one blob for both. */
	ASSERT_TRUE(find_page(&f, KERNEL_GPA, 0x2, &code));
	ASSERT_TRUE(find_page(&f, base + 2 * IGVM_PAGE_SIZE, 0x2, &h));
	EXPECT_EQ(h.u.page_data.file_offset, code.u.page_data.file_offset);
	/*
	 * Data blobs: 5 page tables, boot_firmware_info, 2 kernel pages, 2 VP contexts, and of the
	 * 20 firmware pages 4 zero, 4 one shared pattern, 1 a kernel page, 11 unique.
	 */
	EXPECT_EQ(size - f.data_region_offset, (5u + 1u + 2u + 2u + 1u + 11u) * IGVM_PAGE_SIZE);

	ASSERT_TRUE(find_page(&f, BASTION_REGION_GPA + BASTION_FIRMWARE_INFO_OFFSET, 0x3, &h));
	EXPECT_EQ(h.u.page_data.compatibility_mask, 0x3u);
	p = page_bytes(&f, &h.u.page_data);
	ASSERT_NOT_NULL(p);
	igvm_firmware_info_decode(p, &info);
	EXPECT_EQ(info.magic, BOOT_FIRMWARE_INFO_MAGIC);
	EXPECT_EQ(info.gpa, base);
	EXPECT_EQ(info.size, FW_PAGES * IGVM_PAGE_SIZE);
	EXPECT_EQ(info.reset_vector_gpa, FW_END - 16);
	EXPECT_EQ(info.flags, BOOT_FIRMWARE_FLAG_MEASURED);
	EXPECT_EQ(info.crc32, crc32(fw, FW_PAGES * IGVM_PAGE_SIZE));
	EXPECT_EQ(info.secrets_gpa | info.cpuid_gpa | info.caa_gpa, 0u); /* no SEV metadata */
	free(fw);
	free(img);
}

KTEST(igvm_firmware, largest_firmware_builds)
{
	uint8_t *fw = calloc(1, BASTION_FIRMWARE_MAX_SIZE);
	uint8_t *img;
	size_t size;
	char err[512];
	struct igvm_file f;
	struct igvm_error perr;
	struct igvm_header h;

	ASSERT_NOT_NULL(fw);
	for (size_t i = 0; i < BASTION_FIRMWARE_MAX_SIZE; i += IGVM_PAGE_SIZE * 64) {
		fw[i] = (uint8_t)(1 + (i >> 18));
	}
	fw[BASTION_FIRMWARE_MAX_SIZE - 16] = 0xEB;
	fw[BASTION_FIRMWARE_MAX_SIZE - 15] = 0xFE;
	ASSERT_EQ(build_fw_image(fw, BASTION_FIRMWARE_MAX_SIZE, &img, &size, err, sizeof(err)), 0);
	ASSERT_EQ(igvm_parse(img, size, &f, &perr), 0);
	ASSERT_TRUE(find_page(&f, 0xFF000000ull, 0x3, &h));
	EXPECT_NE(h.u.page_data.file_offset, 0u);
	ASSERT_TRUE(find_page(&f, 0xFFFFF000ull, 0x3, &h));
	EXPECT_NE(h.u.page_data.file_offset, 0u);
	ASSERT_TRUE(find_page(&f, 0xFF001000ull, 0x3, &h));
	EXPECT_EQ(h.u.page_data.file_offset, 0u);
	free(img);
	free(fw);
}

KTEST(igvm_firmware, build_refuses_bad_firmware)
{
	uint8_t *fw = make_firmware(FW_PAGES);
	uint8_t *img = (uint8_t *)1;
	size_t size = 1;
	char err[512] = "";

	ASSERT_NOT_NULL(fw);
	EXPECT_NE(build_fw_image(fw, FW_PAGES * IGVM_PAGE_SIZE - 1, &img, &size, err, sizeof(err)), 0);
	EXPECT_TRUE(strstr(err, "not a multiple of 4 KiB") != NULL);
	EXPECT_NULL(img);
	EXPECT_EQ(size, 0u);
	EXPECT_NE(build_fw_image(fw, 0, &img, &size, err, sizeof(err)), 0);
	EXPECT_TRUE(strstr(err, "firmware image is empty") != NULL);
	memset(fw + FW_PAGES * IGVM_PAGE_SIZE - 16, 0, 16);
	EXPECT_NE(build_fw_image(fw, FW_PAGES * IGVM_PAGE_SIZE, &img, &size, err, sizeof(err)), 0);
	EXPECT_TRUE(strstr(err, "no x86 reset-vector jump") != NULL);
	free(fw);
}

/* Runs the dump into a malloc'ed string. Returns igvm_dump_file's result. */
static int dump_to_string(const uint8_t *img, size_t size, char **out)
{
	size_t out_len, err_len;
	char *errs;
	FILE *fo = open_memstream(out, &out_len);
	FILE *fe = open_memstream(&errs, &err_len);
	int rc;

	rc = igvm_dump_file(img, size, "fw.igvm", fo, fe);
	fclose(fo);
	fclose(fe);
	free(errs);
	return rc;
}

/* Counts the lines of text that contain needle. */
static unsigned int count_lines_with(const char *text, const char *needle)
{
	unsigned int n = 0;

	for (const char *line = text; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');
		size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		char *copy = strndup(line, len);

		n += copy != NULL && strstr(copy, needle) != NULL;
		free(copy);
		line = nl != NULL ? nl + 1 : NULL;
	}
	return n;
}

/* Flips byte at of the data of the page at gpa (file data: no checksum to fix). */
static void corrupt_page(uint8_t *img, size_t size, uint64_t gpa, size_t at)
{
	struct igvm_file f;
	struct igvm_error perr;
	struct igvm_header h;

	if (igvm_parse(img, size, &f, &perr) == 0 && find_page(&f, gpa, 0x3, &h) && h.u.page_data.file_offset != 0) {
		img[h.u.page_data.file_offset + at] ^= 0x01;
	}
}

KTEST(igvm_firmware, dump_round_trip)
{
	uint8_t *fw, *img, *plain;
	size_t size, plain_size;
	char *out, want[200], err[256];
	const uint64_t base = FW_END - FW_PAGES * IGVM_PAGE_SIZE;

	ASSERT_EQ(build_standard(&fw, &img, &size), 0);
	ASSERT_EQ(dump_to_string(img, size, &out), 0);
	/* One summary row for the 20 firmware pages, none of them listed singly. */
	EXPECT_EQ(count_lines_with(out, "firmware: 20 pages (4 zero), headers "), 1u);
	EXPECT_EQ(count_lines_with(out, "0xfffff000"), 0u);
	snprintf(want, sizeof(want), "0x%llx        0x14000     -     -         various     NORMAL firmware:",
		 (unsigned long long)base);
	EXPECT_EQ(count_lines_with(out, want), 1u);
	EXPECT_EQ(count_lines_with(out, "0x10009000        0x1000      -     -         0x"), 1u);
	EXPECT_EQ(count_lines_with(out, "NORMAL boot_firmware_info"), 1u);
	snprintf(want, sizeof(want),
		 "boot_firmware_info: magic \"BFWI\" version 2: firmware 0x%llx..0xffffffff size 0x14000 reset vector 0xfffffff0 flags 0x1 (MEASURED)",
		 (unsigned long long)base);
	EXPECT_EQ(count_lines_with(out, want), 1u);
	snprintf(want, sizeof(want), "boot_firmware_info: crc32 0x%08x (matches the firmware pages)",
		 crc32(fw, FW_PAGES * IGVM_PAGE_SIZE));
	EXPECT_EQ(count_lines_with(out, want), 1u);
	/* Firmware pages still count in the summary line. */
	snprintf(want, sizeof(want), "PAGE_DATA (%u zero pages)", 2u + 16u + 4u);
	EXPECT_EQ(count_lines_with(out, want), 1u);
	free(out);

	/* Damaged firmware bytes (not covered by the IGVM checksum) show up as a mismatch. */
	corrupt_page(img, size, base + 3 * IGVM_PAGE_SIZE, 100);
	ASSERT_EQ(dump_to_string(img, size, &out), 0);
	EXPECT_EQ(count_lines_with(out, "crc32 0x"), 1u);
	EXPECT_EQ(count_lines_with(out, "(MISMATCH: the firmware pages give 0x"), 1u);
	free(out);

	/* A damaged descriptor is reported, and the pages are then listed one by one. */
	corrupt_page(img, size, BASTION_REGION_GPA + BASTION_FIRMWARE_INFO_OFFSET, 0x10); /* size */
	ASSERT_EQ(dump_to_string(img, size, &out), 0);
	EXPECT_EQ(count_lines_with(out, "boot_firmware_info: invalid: "), 1u);
	EXPECT_EQ(count_lines_with(out, "firmware:"), 0u);
	EXPECT_EQ(count_lines_with(out, "0xfffff000"), 1u);
	free(out);

	/* Without firmware. */
	ASSERT_EQ(build_fw_image(NULL, 0, &plain, &plain_size, err, sizeof(err)), 0);
	ASSERT_EQ(dump_to_string(plain, plain_size, &out), 0);
	EXPECT_EQ(count_lines_with(out, "boot_firmware_info: magic \"BFWI\" version 2: no firmware (size 0)"), 1u);
	EXPECT_EQ(count_lines_with(out, "firmware:"), 0u);
	free(out);
	free(plain);
	free(fw);
	free(img);
}

KTEST(igvm_firmware, parse_round_trip_rebuilds_the_image)
{
	uint8_t *fw, *img, *again, *rebuilt;
	size_t size, again_size;
	struct igvm_file f;
	struct igvm_error perr;
	struct igvm_iter it;
	struct igvm_header h;
	const uint64_t base = FW_END - FW_PAGES * IGVM_PAGE_SIZE;
	char err[512];

	ASSERT_EQ(build_standard(&fw, &img, &size), 0);
	ASSERT_EQ(igvm_parse(img, size, &f, &perr), 0);
	rebuilt = calloc(1, FW_PAGES * IGVM_PAGE_SIZE);
	ASSERT_NOT_NULL(rebuilt);
	igvm_iter_init(&it, &f);
	while (igvm_iter_next(&it, &h)) {
		const uint8_t *p;

		if (h.type != IGVM_VHT_PAGE_DATA || h.u.page_data.gpa < base) {
			continue;
		}
		p = page_bytes(&f, &h.u.page_data);
		ASSERT_NOT_NULL(p);
		memcpy(rebuilt + (h.u.page_data.gpa - base), p, IGVM_PAGE_SIZE);
	}
	EXPECT_MEMEQ(rebuilt, fw, FW_PAGES * IGVM_PAGE_SIZE);
	/* Building again from the recovered bytes gives the identical file. */
	ASSERT_EQ(build_fw_image(rebuilt, FW_PAGES * IGVM_PAGE_SIZE, &again, &again_size, err, sizeof(err)), 0);
	EXPECT_EQ(again_size, size);
	if (again_size == size) {
		EXPECT_MEMEQ(again, img, size);
	}
	free(again);
	free(rebuilt);
	free(fw);
	free(img);
}

/* A 64 KiB ROM template igvm_load accepts. */
static uint8_t *rom_template(void)
{
	uint8_t *rom = calloc(1, RESET_ROM_SIZE);

	if (rom != NULL) {
		igvm_put_le32(rom, RESET_ROM_MAGIC);
		igvm_put_le32(rom + 4, RESET_ROM_VERSION);
	}
	return rom;
}

/* igvm_load with mem_mib of RAM and one vCPU. */
static int load_mem(const uint8_t *img, size_t size, uint64_t mem_mib, struct igvm_load_result *res, char *err,
		    size_t errlen)
{
	struct igvm_load_options opt = { mem_mib * MIB, 1 };
	uint8_t *rom = rom_template();
	int rc;

	if (rom == NULL) {
		return -1;
	}
	rc = igvm_load(img, size, rom, RESET_ROM_SIZE, &opt, res, err, errlen);
	free(rom);
	return rc;
}

/* The blob holding gpa, or NULL. */
static const struct igvm_load_blob *blob_at(const struct igvm_load_result *res, uint64_t gpa)
{
	for (size_t i = 0; i < res->blob_count; i++) {
		if (gpa >= res->blobs[i].gpa && gpa - res->blobs[i].gpa < res->blobs[i].size) {
			return &res->blobs[i];
		}
	}
	return NULL;
}

KTEST(igvm_firmware, load_stages_firmware_at_top_of_low_ram)
{
	static const struct {
		uint64_t mem_mib;
		uint64_t staging;
	} cases[] = {
		{ 512, 512 * MIB - FW_PAGES * IGVM_PAGE_SIZE },
		{ 4096, 2048 * MIB - FW_PAGES * IGVM_PAGE_SIZE }, /* q35: 2 GiB below 4 GiB */
		{ 273, 273 * MIB - FW_PAGES * IGVM_PAGE_SIZE },     /* just above Bastion's region */
	};
	uint8_t *fw, *img;
	size_t size;
	struct igvm_file f;
	struct igvm_error perr;
	struct igvm_header h;
	uint8_t info_page[IGVM_PAGE_SIZE];
	struct boot_firmware_info info;

	ASSERT_EQ(build_standard(&fw, &img, &size), 0);
	ASSERT_EQ(igvm_parse(img, size, &f, &perr), 0);
	ASSERT_TRUE(find_page(&f, BASTION_REGION_GPA + BASTION_FIRMWARE_INFO_OFFSET, 0x2, &h));
	memcpy(info_page, page_bytes(&f, &h.u.page_data), IGVM_PAGE_SIZE);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct igvm_load_result res;
		struct igvm_ram_layout ram;
		char err[512];
		const struct igvm_load_blob *b;

		if (load_mem(img, size, cases[c].mem_mib, &res, err, sizeof(err)) != 0) {
			ktest_report_failure(__FILE__, __LINE__, "load with %llu MiB failed: %s",
					     (unsigned long long)cases[c].mem_mib, err);
			continue;
		}
		igvm_load_ram_layout(cases[c].mem_mib * MIB, &ram);
		EXPECT_EQ(igvm_load_firmware_staging_gpa(&ram, FW_PAGES * IGVM_PAGE_SIZE), cases[c].staging);
		EXPECT_EQ(res.firmware_gpa, FW_END - FW_PAGES * IGVM_PAGE_SIZE);
		EXPECT_EQ(res.firmware_size, FW_PAGES * IGVM_PAGE_SIZE);
		EXPECT_EQ(res.firmware_staging_gpa, cases[c].staging);
		/* The whole image, zero pages included, lands in RAM at the staging GPA. */
		b = blob_at(&res, cases[c].staging);
		ASSERT_NOT_NULL(b);
		ASSERT_GE(b->gpa + b->size, cases[c].staging + FW_PAGES * IGVM_PAGE_SIZE);
		EXPECT_MEMEQ(b->data + (cases[c].staging - b->gpa), fw, FW_PAGES * IGVM_PAGE_SIZE);
		/* Nothing is loaded where stock q35 has no RAM or where the reset ROM lives. */
		for (size_t i = 0; i < res.blob_count; i++) {
			EXPECT_LE(res.blobs[i].gpa + res.blobs[i].size, 0xB0000000ull);
		}
		/* The measured descriptor is loaded as built, not patched. */
		b = blob_at(&res, BASTION_REGION_GPA + BASTION_FIRMWARE_INFO_OFFSET);
		ASSERT_NOT_NULL(b);
		EXPECT_MEMEQ(b->data + (BASTION_REGION_GPA + BASTION_FIRMWARE_INFO_OFFSET - b->gpa), info_page,
			     IGVM_PAGE_SIZE);
		igvm_firmware_info_decode(info_page, &info);
		EXPECT_EQ(info.gpa, res.firmware_gpa);
		igvm_load_result_free(&res);
	}
	free(fw);
	free(img);
}

KTEST(igvm_firmware, load_write_names_staging_in_fw_cfg)
{
	uint8_t *fw, *img, *plain;
	size_t size, plain_size, args_len;
	struct igvm_load_result res;
	char err[512], dir[] = "/tmp/igvm_fw_test.XXXXXX", want[256], path[128];
	char *args;
	FILE *fa;

	ASSERT_EQ(build_standard(&fw, &img, &size), 0);
	ASSERT_EQ(load_mem(img, size, 512, &res, err, sizeof(err)), 0);
	ASSERT_NOT_NULL(mkdtemp(dir));
	fa = open_memstream(&args, &args_len);
	ASSERT_NOT_NULL(fa);
	EXPECT_EQ(igvm_load_write(&res, dir, fa, err, sizeof(err)), 0);
	fclose(fa);
	snprintf(want, sizeof(want), "addr=0x%llx,force-raw=on\n-fw_cfg\nname=opt/bastion/firmware-staging,string=0x%llx\n",
		 (unsigned long long)res.firmware_staging_gpa, (unsigned long long)res.firmware_staging_gpa);
	EXPECT_TRUE(strstr(args, want) != NULL);
	EXPECT_EQ(strlen(args) - (size_t)(strstr(args, want) - args), strlen(want)); /* last */
	free(args);
	for (size_t i = 0; i < res.blob_count; i++) {
		snprintf(path, sizeof(path), "%s/blob-%03zu.bin", dir, i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/rom.bin", dir);
	unlink(path);
	rmdir(dir);
	igvm_load_result_free(&res);

	/* No firmware, no fw_cfg hint. */
	ASSERT_EQ(build_fw_image(NULL, 0, &plain, &plain_size, err, sizeof(err)), 0);
	ASSERT_EQ(load_mem(plain, plain_size, 512, &res, err, sizeof(err)), 0);
	EXPECT_EQ(res.firmware_size, 0u);
	EXPECT_EQ(res.firmware_staging_gpa, 0u);
	ASSERT_NOT_NULL(mkdtemp(strcpy(dir, "/tmp/igvm_fw_test.XXXXXX")));
	fa = open_memstream(&args, &args_len);
	ASSERT_NOT_NULL(fa);
	EXPECT_EQ(igvm_load_write(&res, dir, fa, err, sizeof(err)), 0);
	fclose(fa);
	EXPECT_NULL(strstr(args, "-fw_cfg"));
	free(args);
	for (size_t i = 0; i < res.blob_count; i++) {
		snprintf(path, sizeof(path), "%s/blob-%03zu.bin", dir, i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/rom.bin", dir);
	unlink(path);
	rmdir(dir);
	igvm_load_result_free(&res);
	free(plain);
	free(fw);
	free(img);
}

/* Rewrites a PAGE_DATA field of the header for gpa and fixes the checksum. */
static bool edit_page_header(uint8_t *img, size_t size, uint64_t gpa, uint32_t field, uint64_t value,
			     unsigned int width)
{
	struct igvm_file f;
	struct igvm_error perr;
	struct igvm_header h;
	uint8_t *body;

	if (igvm_parse(img, size, &f, &perr) != 0 || !find_page(&f, gpa, 0x3, &h)) {
		return false;
	}
	body = img + h.offset + IGVM_VH_TLV_SIZE;
	if (width == 8) {
		igvm_put_le64(body + field, value);
	} else {
		igvm_put_le32(body + field, (uint32_t)value);
	}
	return igvm_update_checksum(img, size) == 0 && igvm_parse(img, size, &f, &perr) == 0;
}

/* Expects igvm_load with mem_mib to fail with a message containing want. */
static bool load_refused_with(const uint8_t *img, size_t size, uint64_t mem_mib, const char *want)
{
	struct igvm_load_result res;
	char err[512] = "";

	if (load_mem(img, size, mem_mib, &res, err, sizeof(err)) == 0) {
		igvm_load_result_free(&res);
		ktest_print("  accepted, wanted \"%s\"\n", want);
		return false;
	}
	if (strstr(err, want) == NULL) {
		ktest_print("  error \"%s\" does not contain \"%s\"\n", err, want);
		return false;
	}
	return res.blob_count == 0 && res.rom == NULL;
}

KTEST(igvm_firmware, load_refusals)
{
	uint8_t *fw, *img, *copy;
	size_t size;
	struct igvm_file f;
	struct igvm_error perr;
	struct igvm_header h;
	const uint64_t base = FW_END - FW_PAGES * IGVM_PAGE_SIZE;
	const uint64_t info_gpa = BASTION_REGION_GPA + BASTION_FIRMWARE_INFO_OFFSET;
	uint32_t info_off;
	char want[256];

	ASSERT_EQ(build_standard(&fw, &img, &size), 0);
	copy = malloc(size);
	ASSERT_NOT_NULL(copy);

	/* 272 MiB ends with Bastion's region: the staging copy would land in it. */
	EXPECT_TRUE(load_refused_with(img, size, 272,
				      "would overlap Bastion's region 0x10000000+0x1000000; give QEMU at least 273 MiB with -m"));

	/* Damaged firmware bytes: the CRC-32 check catches them. */
	memcpy(copy, img, size);
	corrupt_page(copy, size, base + 4 * IGVM_PAGE_SIZE, 100);
	EXPECT_TRUE(load_refused_with(copy, size, 512, "but boot_firmware_info says 0x"));

	/* A firmware page that is SNP-only leaves a hole in the NATIVE copy. */
	memcpy(copy, img, size);
	ASSERT_TRUE(edit_page_header(copy, size, base + 7 * IGVM_PAGE_SIZE, 0x8, 0x1, 4));
	snprintf(want, sizeof(want), "firmware page at GPA 0x%llx (boot_firmware_info says 0x%llx+0x14000) has no NATIVE page data",
		 (unsigned long long)(base + 7 * IGVM_PAGE_SIZE), (unsigned long long)base);
	EXPECT_TRUE(load_refused_with(copy, size, 512, want));

	/* A kernel page moved onto the staging area. */
	memcpy(copy, img, size);
	ASSERT_TRUE(edit_page_header(copy, size, KERNEL_GPA + IGVM_PAGE_SIZE, 0x0,
				     512 * MIB - FW_PAGES * IGVM_PAGE_SIZE + 0x3000, 8));
	EXPECT_TRUE(load_refused_with(copy, size, 512, "no room for the firmware staging copy at the top of low RAM"));

	/* A descriptor with the magic but a bad field is refused; without the magic it is no descriptor. */
	ASSERT_EQ(igvm_parse(img, size, &f, &perr), 0);
	ASSERT_TRUE(find_page(&f, info_gpa, 0x2, &h));
	info_off = h.u.page_data.file_offset;
	memcpy(copy, img, size);
	copy[info_off + 4] = 3;
	EXPECT_TRUE(load_refused_with(copy, size, 512, "boot_firmware_info at GPA 0x10009000: unsupported version 3"));
	memcpy(copy, img, size);
	copy[info_off] = 'X';
	EXPECT_TRUE(load_refused_with(copy, size, 512, "is not backed by RAM"));
	free(copy);
	free(fw);
	free(img);
}

/* xorshift64: deterministic noise for the mutation test. */
static uint64_t fw_rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

KTEST(igvm_firmware, mutated_firmware_images_do_not_crash)
{
	uint8_t *fw, *img, *buf;
	size_t size;
	uint64_t rng = 0xC0FFEE1234567ull;
	FILE *sink = fopen("/dev/null", "w");
	uint8_t *rom = rom_template();
	struct igvm_file f;
	struct igvm_error perr;
	struct igvm_header info;
	unsigned int loaded = 0;

	ASSERT_NOT_NULL(sink);
	ASSERT_NOT_NULL(rom);
	ASSERT_EQ(build_standard(&fw, &img, &size), 0);
	ASSERT_EQ(igvm_parse(img, size, &f, &perr), 0);
	ASSERT_TRUE(find_page(&f, BASTION_REGION_GPA + BASTION_FIRMWARE_INFO_OFFSET, 0x2, &info));
	buf = malloc(size);
	ASSERT_NOT_NULL(buf);
	for (unsigned int iter = 0; iter < 2000; iter++) {
		struct igvm_load_options opt = { (16 + fw_rng(&rng) % 600) * MIB, 1 };
		struct igvm_load_result res;
		char err[512];

		memcpy(buf, img, size);
		if (iter % 2 == 0) {
			/* Descriptor fields: mostly small edits of the valid values. */
			size_t at = info.u.page_data.file_offset + fw_rng(&rng) % BOOT_FIRMWARE_INFO_SIZE;
			uint8_t flipped = (uint8_t)(buf[at] ^ (1u << (iter % 8)));

			buf[at] = fw_rng(&rng) % 2 == 0 ? (uint8_t)fw_rng(&rng) : flipped;
		} else {
			/* Header bytes (PAGE_DATA GPAs, masks, offsets), checksum made valid. */
			size_t at = 0x18 + fw_rng(&rng) % igvm_get_le32(img + 0xC);

			buf[at] = (uint8_t)fw_rng(&rng);
			igvm_update_checksum(buf, size);
		}
		if (igvm_parse(buf, size, &f, &perr) != 0) {
			continue;
		}
		igvm_dump_file(buf, size, "fuzz", sink, sink);
		if (igvm_load(buf, size, rom, RESET_ROM_SIZE, &opt, &res, err, sizeof(err)) == 0) {
			loaded++;
			igvm_load_result_free(&res);
		}
	}
	ktest_print("  2000 mutations, %u loaded\n", loaded);
	fclose(sink);
	free(buf);
	free(rom);
	free(fw);
	free(img);
}
