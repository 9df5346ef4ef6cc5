/*
 * igvmdump library: the listing of a built image names the platforms, the VMSA GPA and the
 * decoded VP contexts; an invalid file gives one error line and no listing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igvm/elf64.h"
#include "igvm/igvm_build.h"
#include "igvm/igvm_dump.h"
#include "kernel/image_layout.h"
#include "tests/ktest/ktest.h"

#define KERNEL_GPA (BASTION_REGION_GPA + BASTION_KERNEL_OFFSET)

static uint8_t dump_code[0x1000];

/* Builds a small valid image with entry point KERNEL_GPA + 0x40. */
static int build_dump_image(uint8_t **img, size_t *size)
{
	struct elf64_image ei;
	char err[256];

	memset(dump_code, 0x90, sizeof(dump_code));
	memset(&ei, 0, sizeof(ei));
	ei.entry = KERNEL_GPA + 0x40;
	ei.segment_count = 1;
	ei.segments[0] = (struct elf64_segment){ 0, ELF64_PF_R | ELF64_PF_X, KERNEL_GPA, KERNEL_GPA,
						 sizeof(dump_code), sizeof(dump_code), dump_code };
	return igvm_build_image(&ei, img, size, err, sizeof(err));
}

/* Runs igvm_dump_file into two memory streams. Returns its result; *out and *errs are malloc'ed. */
static int run_dump(const uint8_t *img, size_t size, char **out, char **errs)
{
	size_t out_len, err_len;
	FILE *fo = open_memstream(out, &out_len);
	FILE *fe = open_memstream(errs, &err_len);
	int rc;

	rc = igvm_dump_file(img, size, "test.igvm", fo, fe);
	fclose(fo);
	fclose(fe);
	return rc;
}

/* True if text has a line containing all of the given words (NULL-terminated list). */
static bool has_line_with(const char *text, const char *const *words)
{
	const char *line = text;

	while (line != NULL && *line != '\0') {
		const char *nl = strchr(line, '\n');
		size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		char *copy = strndup(line, len);
		bool all = copy != NULL;

		for (size_t i = 0; all && words[i] != NULL; i++) {
			all = strstr(copy, words[i]) != NULL;
		}
		free(copy);
		if (all) {
			return true;
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	return false;
}

KTEST(igvm_dump, listing_of_built_image)
{
	uint8_t *img;
	size_t size;
	char *out, *errs;

	ASSERT_EQ(build_dump_image(&img, &size), 0);
	ASSERT_EQ(run_dump(img, size, &out, &errs), 0);
	EXPECT_STREQ(errs, "");
	EXPECT_TRUE(strstr(out, "IGVM") != NULL);
	EXPECT_TRUE(strstr(out, "(ok)") != NULL);
	EXPECT_TRUE(strstr(out, "\n  checksum 0x") != NULL);
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "checksum 0x", " (ok)", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "mask 0x1", "SEV_SNP", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "mask 0x2", "NATIVE", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "VP_CONTEXT", "0xfffffffff000", "SNP VMSA", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "VP_CONTEXT", "native x64 context", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "SNP VMSA:", "RIP 0x10020040", "RAX 0x2", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "SNP VMSA:", "CR0 0x31", "CR3 0x10004000", "CR4 0x20",
							       "EFER 0x1900", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "SNP VMSA:", "CS sel 0x8 attrib 0xc9b",
							       "DS sel 0x10 attrib 0xc93", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "SNP VMSA:", "SEV_FEATURES 0x1", "VMPL 0", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "native context:", "RIP 0x10020040", "RAX 0x0", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "native context:", "CR0 0x31", "CR3 0x10004000",
							       "EFER 0x900", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "native context:", "CS sel 0x8 attrib 0xc09b",
							       "DS sel 0x10 attrib 0xc093", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "PAGE_DATA", "0x10002000", "SECRETS", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "PAGE_DATA", "0x10003000", "CPUID_DATA", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "PARAMETER_INSERT", "0x10000000", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "MEMORY_MAP", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "VP_COUNT_PARAMETER", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "REQUIRED_MEMORY", "0x10000000", "0x1000000", NULL }));
	EXPECT_TRUE(has_line_with(out, (const char *const[]){ "GUEST_POLICY", "policy 0x30000", NULL }));
	free(out);
	free(errs);
	free(img);
}

KTEST(igvm_dump, invalid_file_one_error_line)
{
	uint8_t *img;
	size_t size;
	char *out, *errs;

	ASSERT_EQ(build_dump_image(&img, &size), 0);
	img[0x30] ^= 0x40; /* type field of the second TLV: 0x041 is no header type */
	ASSERT_EQ(run_dump(img, size, &out, &errs), 1);
	EXPECT_STREQ(out, "");
	EXPECT_TRUE(strncmp(errs, "igvmdump: test.igvm: offset 0x", 30) == 0);
	EXPECT_TRUE(strchr(errs, '\n') == errs + strlen(errs) - 1);
	free(out);
	free(errs);
	ASSERT_EQ(run_dump(img, 10, &out, &errs), 1);
	EXPECT_STREQ(errs, "igvmdump: test.igvm: offset 0x0: file too small: 10 bytes, the IGVM fixed header needs 0x18\n");
	free(out);
	free(errs);
	free(img);
}
