/*
 * The SEV metadata of a guest firmware image (igvm_firmware_read_metadata): Debian's OVMF.fd
 * when installed, a synthetic image in OVMF's layout, each malformation refused with a message,
 * and every single-byte corruption of the table handled without reading outside the image.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igvm/firmware.h"
#include "igvm/igvm_format.h"
#include "kernel/boot_firmware.h"
#include "tests/ktest/ktest.h"

#define IMG_SIZE 0x10000u

static const uint8_t footer_guid[16] = { 0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
					 0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d };
static const uint8_t sev_guid[16] = { 0x66, 0x65, 0x88, 0xdc, 0x4a, 0x98, 0x98, 0x47,
				      0xa7, 0x5e, 0x55, 0x85, 0xa7, 0xbf, 0x67, 0xcc };
static const uint8_t other_guid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

struct section {
	uint32_t base, size, type;
};

/* Offsets of the pieces make_image wrote, for the corruption tests. */
struct layout {
	size_t table_start, meta;
	size_t meta_len;
};

/*
 * Writes an image laid out as OVMF's reset vector area: reset jump in the last 16 bytes, the
 * GUIDed table ending 0x20 below the end (an unrelated entry, the SEV entry, the footer), and
 * the ASEV header with the sections at offset 0x8000.
 */
static struct layout make_image(uint8_t *img, const struct section *s, uint32_t n)
{
	struct layout l = { .meta = 0x8000 };
	size_t end = IMG_SIZE - 0x20, p;

	memset(img, 0, IMG_SIZE);
	img[IMG_SIZE - 16] = 0xEB; /* jmp $ */
	img[IMG_SIZE - 15] = 0xFE;
	memcpy(img + l.meta, "ASEV", 4);
	l.meta_len = 16 + 12u * n;
	igvm_put_le32(img + l.meta + 4, (uint32_t)l.meta_len);
	igvm_put_le32(img + l.meta + 8, 1);
	igvm_put_le32(img + l.meta + 12, n);
	for (uint32_t i = 0; i < n; i++) {
		igvm_put_le32(img + l.meta + 16 + 12 * i, s[i].base);
		igvm_put_le32(img + l.meta + 20 + 12 * i, s[i].size);
		igvm_put_le32(img + l.meta + 24 + 12 * i, s[i].type);
	}
	/* Footer: GUID, preceded by the total length (filled in last). */
	memcpy(img + end - 16, footer_guid, 16);
	p = end - 18;
	/* SEV entry: 4 bytes of offset-from-end, length, GUID. */
	memcpy(img + p - 16, sev_guid, 16);
	igvm_put_le16(img + p - 18, 22);
	igvm_put_le32(img + p - 22, (uint32_t)(IMG_SIZE - l.meta));
	p -= 22;
	/* An entry the parser must skip: 6 bytes of data. */
	memcpy(img + p - 16, other_guid, 16);
	igvm_put_le16(img + p - 18, 24);
	p -= 24;
	l.table_start = p;
	igvm_put_le16(img + end - 18, (uint16_t)(end - p));
	return l;
}

static const struct section good_sections[] = {
	{ 0x800000, 0x9000, IGVM_FW_SECTION_MEM },
	{ 0x80d000, 0x1000, IGVM_FW_SECTION_SECRETS },
	{ 0x80e000, 0x1000, IGVM_FW_SECTION_CPUID },
	{ 0x80f000, 0x1000, IGVM_FW_SECTION_SVSM_CAA },
	{ 0x810000, 0x1000, IGVM_FW_SECTION_KERNEL_HASHES },
};

KTEST(igvm_fw_metadata, synthetic_image)
{
	uint8_t *img = malloc(IMG_SIZE);
	struct igvm_firmware_meta m;
	struct boot_firmware_info info;
	char err[256] = "";

	ASSERT_NOT_NULL(img);
	make_image(img, good_sections, 5);
	ASSERT_EQ(igvm_firmware_read_metadata(img, IMG_SIZE, &m, err, sizeof(err)), 0);
	EXPECT_TRUE(m.found);
	EXPECT_EQ(m.sections, 5u);
	EXPECT_EQ(m.secrets_gpa, 0x80d000u);
	EXPECT_EQ(m.cpuid_gpa, 0x80e000u);
	EXPECT_EQ(m.caa_gpa, 0x80f000u);
	/* igvmbuild accepts it and carries the pages into boot_firmware_info. */
	EXPECT_EQ(igvm_firmware_check(img, IMG_SIZE, err, sizeof(err)), 0);
	igvm_firmware_info_init(img, IMG_SIZE, &info);
	EXPECT_EQ(info.secrets_gpa, 0x80d000u);
	EXPECT_EQ(info.cpuid_gpa, 0x80e000u);
	EXPECT_EQ(info.caa_gpa, 0x80f000u);
	EXPECT_EQ(igvm_firmware_info_check(&info, err, sizeof(err)), 0);
	/* No footer GUID: no metadata, not an error. */
	img[IMG_SIZE - 0x21] ^= 1;
	ASSERT_EQ(igvm_firmware_read_metadata(img, IMG_SIZE, &m, err, sizeof(err)), 0);
	EXPECT_FALSE(m.found);
	EXPECT_EQ(m.secrets_gpa | m.cpuid_gpa | m.caa_gpa, 0u);
	free(img);
}

/* Builds an image from sections, expects refusal with a message containing want. */
static void expect_refused(const struct section *s, uint32_t n, void (*mutate)(uint8_t *, const struct layout *),
			   const char *want)
{
	uint8_t *img = malloc(IMG_SIZE);
	struct igvm_firmware_meta m;
	char err[256] = "";
	struct layout l;

	ASSERT_NOT_NULL(img);
	l = make_image(img, s, n);
	if (mutate != NULL) {
		mutate(img, &l);
	}
	EXPECT_EQ(igvm_firmware_read_metadata(img, IMG_SIZE, &m, err, sizeof(err)), -1);
	EXPECT_TRUE(strstr(err, want) != NULL);
	if (strstr(err, want) == NULL) {
		ktest_print("  message was: %s\n", err);
	}
	err[0] = '\0';
	EXPECT_NE(igvm_firmware_check(img, IMG_SIZE, err, sizeof(err)), 0);
	free(img);
}

static void bad_signature(uint8_t *img, const struct layout *l)
{
	img[l->meta] = 'X';
}

static void bad_version(uint8_t *img, const struct layout *l)
{
	igvm_put_le32(img + l->meta + 8, 2);
}

static void too_many_sections(uint8_t *img, const struct layout *l)
{
	igvm_put_le32(img + l->meta + 12, 1000);
}

static void short_length(uint8_t *img, const struct layout *l)
{
	igvm_put_le32(img + l->meta + 4, (uint32_t)l->meta_len - 1);
}

static void offset_outside(uint8_t *img, const struct layout *l)
{
	(void)l;
	igvm_put_le32(img + IMG_SIZE - 0x20 - 18 - 22, IMG_SIZE + 0x1000);
}

static void offset_at_end(uint8_t *img, const struct layout *l)
{
	(void)l;
	igvm_put_le32(img + IMG_SIZE - 0x20 - 18 - 22, 8); /* header would run past the end */
}

static void table_too_long(uint8_t *img, const struct layout *l)
{
	(void)l;
	igvm_put_le16(img + IMG_SIZE - 0x20 - 18, 0xFFFF);
}

static void entry_too_long(uint8_t *img, const struct layout *l)
{
	(void)l;
	igvm_put_le16(img + IMG_SIZE - 0x20 - 18 - 18, 0x4000); /* the SEV entry's length */
}

KTEST(igvm_fw_metadata, malformed_refused)
{
	static const struct section twice[] = { { 0x80d000, 0x1000, 2 }, { 0x80e000, 0x1000, 2 } };
	static const struct section big[] = { { 0x80d000, 0x2000, 2 } };
	static const struct section unknown[] = { { 0x80d000, 0x1000, 7 } };
	static const struct section zero_base[] = { { 0, 0x1000, 4 } };

	expect_refused(good_sections, 5, bad_signature, "no \"ASEV\" header");
	expect_refused(good_sections, 5, bad_version, "version 2");
	expect_refused(good_sections, 5, too_many_sections, "does not fit");
	expect_refused(good_sections, 5, short_length, "does not fit");
	expect_refused(good_sections, 5, offset_outside, "outside the image");
	expect_refused(good_sections, 5, offset_at_end, "no \"ASEV\" header");
	expect_refused(good_sections, 5, table_too_long, "out of bounds");
	expect_refused(good_sections, 5, entry_too_long, "out of bounds");
	expect_refused(twice, 2, NULL, "two secrets sections");
	expect_refused(big, 1, NULL, "expected one page");
	expect_refused(unknown, 1, NULL, "unknown type 0x7");
	expect_refused(zero_base, 1, NULL, "expected one page");
}

KTEST(igvm_fw_metadata, declared_pages_checked)
{
	static const struct section in_bastion[] = { { 0x10001000, 0x1000, 2 } };
	static const struct section caa_only[] = { { 0x80f000, 0x1000, 4 } };
	uint8_t *img = malloc(IMG_SIZE);
	char err[256] = "";

	ASSERT_NOT_NULL(img);
	make_image(img, in_bastion, 1);
	EXPECT_NE(igvm_firmware_check(img, IMG_SIZE, err, sizeof(err)), 0);
	EXPECT_TRUE(strstr(err, "secrets page lies in Bastion's region") != NULL);
	make_image(img, caa_only, 1);
	EXPECT_NE(igvm_firmware_check(img, IMG_SIZE, err, sizeof(err)), 0);
	EXPECT_TRUE(strstr(err, "calling-area page without a secrets page") != NULL);
	free(img);
}

/* Any single corrupted byte of the table or header: a clean answer, never a bad read (ASan). */
KTEST(igvm_fw_metadata, every_byte_corrupted)
{
	uint8_t *img = malloc(IMG_SIZE);
	struct igvm_firmware_meta m;
	char err[256];
	struct layout l;
	unsigned int refused = 0, accepted = 0;

	ASSERT_NOT_NULL(img);
	l = make_image(img, good_sections, 5);
	for (size_t off = l.table_start; off < IMG_SIZE - 0x20; off++) {
		for (unsigned int v = 0; v < 4; v++) {
			static const uint8_t vals[4] = { 0x00, 0xFF, 0x80, 0x01 };
			uint8_t saved = img[off];

			img[off] = (uint8_t)(saved ^ vals[v] ^ (v == 0 ? 0x5A : 0));
			if (igvm_firmware_read_metadata(img, IMG_SIZE, &m, err, sizeof(err)) == 0) {
				accepted++;
			} else {
				refused++;
			}
			img[off] = saved;
		}
	}
	for (size_t off = l.meta; off < l.meta + l.meta_len; off++) {
		uint8_t saved = img[off];

		img[off] = (uint8_t)~saved;
		if (igvm_firmware_read_metadata(img, IMG_SIZE, &m, err, sizeof(err)) == 0) {
			accepted++;
		} else {
			refused++;
		}
		img[off] = saved;
	}
	EXPECT_GT(refused, 0u);
	EXPECT_GT(accepted, 0u); /* e.g. a corrupted unrelated entry's data */
	free(img);
}

KTEST(igvm_fw_metadata, debian_ovmf)
{
	const char *path = "/usr/share/ovmf/OVMF.fd";
	FILE *f = fopen(path, "rb");
	uint8_t *img;
	long size;
	struct igvm_firmware_meta m;
	char err[256] = "";

	if (f == NULL) {
		ktest_print("  %s not installed: skipped\n", path);
		return;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	img = malloc((size_t)size);
	ASSERT_NOT_NULL(img);
	ASSERT_EQ(fread(img, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	ASSERT_EQ(igvm_firmware_read_metadata(img, (size_t)size, &m, err, sizeof(err)), 0);
	/* Debian 12's OVMF declares its SNP secrets and CPUID pages but no SVSM calling area. */
	EXPECT_TRUE(m.found);
	EXPECT_NE(m.secrets_gpa, 0u);
	EXPECT_NE(m.cpuid_gpa, 0u);
	ktest_print("  OVMF.fd: secrets 0x%lx CPUID 0x%lx calling area 0x%lx, %u sections\n",
		    (unsigned long)m.secrets_gpa, (unsigned long)m.cpuid_gpa, (unsigned long)m.caa_gpa,
		    m.sections);
	free(img);
}
