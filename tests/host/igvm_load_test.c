/*
 * igvmload library: NATIVE replay into loader blobs and the reset-ROM parameter block.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "igvm/elf64.h"
#include "igvm/igvm_build.h"
#include "igvm/igvm_load.h"
#include "igvm/igvm_parse.h"
#include "kernel/image_layout.h"
#include "tests/ktest/ktest.h"

#define KERNEL_GPA (BASTION_REGION_GPA + BASTION_KERNEL_OFFSET)
#define MIB (1ull << 20)

static uint8_t load_code[0x1800];
static uint8_t load_data[0x1000];

/*
 * Builds an image with a code segment (2 pages) at the kernel base and a data segment
 * (1 file page + 1 bss page) right after it, entry at the code base + 0x20.
 */
static int build_load_image(uint8_t **img, size_t *size)
{
	struct elf64_image ei;
	char err[256];

	for (size_t i = 0; i < sizeof(load_code); i++) {
		load_code[i] = (uint8_t)(0xC0 + i % 61);
	}
	memset(load_data, 0x3C, sizeof(load_data));
	memset(&ei, 0, sizeof(ei));
	ei.entry = KERNEL_GPA + 0x20;
	ei.segment_count = 2;
	ei.segments[0] = (struct elf64_segment){ 0, ELF64_PF_R | ELF64_PF_X, KERNEL_GPA, KERNEL_GPA,
						 sizeof(load_code), sizeof(load_code), load_code };
	ei.segments[1] = (struct elf64_segment){ 1, ELF64_PF_R | ELF64_PF_W, KERNEL_GPA + 0x2000,
						 BASTION_VIRT_BASE + BASTION_KERNEL_OFFSET + 0x2000, sizeof(load_data),
						 0x2000, load_data };
	return igvm_build_image(&ei, img, size, err, sizeof(err));
}

/* A 64 KiB fake ROM template: magic and version at offset 0, a marker pattern elsewhere. */
static uint8_t *make_rom_template(void)
{
	uint8_t *rom = malloc(RESET_ROM_SIZE);

	if (rom == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < RESET_ROM_SIZE; i++) {
		rom[i] = (uint8_t)(i * 13);
	}
	memset(rom, 0, sizeof(struct reset_rom_params));
	igvm_put_le32(rom, RESET_ROM_MAGIC);
	igvm_put_le32(rom + 4, RESET_ROM_VERSION);
	return rom;
}

/* Loads img with mem_mib MiB and smp vCPUs; returns igvm_load's result. */
static int load_with(const uint8_t *img, size_t size, uint64_t mem_mib, uint32_t smp, struct igvm_load_result *res,
		     char *err, size_t errlen)
{
	struct igvm_load_options opt = { mem_mib * MIB, smp };
	uint8_t *rom = make_rom_template();
	int rc;

	if (rom == NULL) {
		return -1;
	}
	rc = igvm_load(img, size, rom, RESET_ROM_SIZE, &opt, res, err, errlen);
	free(rom);
	return rc;
}

/* Returns the blob containing gpa, or NULL. */
static const struct igvm_load_blob *blob_at(const struct igvm_load_result *res, uint64_t gpa)
{
	for (size_t i = 0; i < res->blob_count; i++) {
		if (gpa >= res->blobs[i].gpa && gpa - res->blobs[i].gpa < res->blobs[i].size) {
			return &res->blobs[i];
		}
	}
	return NULL;
}

KTEST(igvm_load, ram_layout_and_memory_map)
{
	struct igvm_ram_layout ram;
	struct igvm_memory_map_entry e[2];

	igvm_load_ram_layout(512 * MIB, &ram);
	EXPECT_EQ(ram.below_4g, 512 * MIB);
	EXPECT_EQ(ram.above_4g, 0u);
	ASSERT_EQ(igvm_load_memory_map(&ram, e, 2), 1u);
	EXPECT_EQ(e[0].starting_gpa_page_number, 0u);
	EXPECT_EQ(e[0].number_of_pages, 0x20000u);
	EXPECT_EQ(e[0].entry_type, IGVM_MEMORY_MAP_MEMORY);

	igvm_load_ram_layout(0xB0000000ull - MIB, &ram);
	EXPECT_EQ(ram.below_4g, 0xB0000000ull - MIB);
	igvm_load_ram_layout(0xB0000000ull, &ram);
	EXPECT_EQ(ram.below_4g, 0x80000000u);
	EXPECT_EQ(ram.above_4g, 0x30000000u);

	igvm_load_ram_layout(4096 * MIB, &ram);
	EXPECT_EQ(ram.below_4g, 0x80000000u);
	EXPECT_EQ(ram.above_4g, 0x80000000u);
	ASSERT_EQ(igvm_load_memory_map(&ram, e, 2), 2u);
	EXPECT_EQ(e[0].starting_gpa_page_number, 0u);
	EXPECT_EQ(e[0].number_of_pages, 0x80000u);
	EXPECT_EQ(e[1].starting_gpa_page_number, 0x100000u);
	EXPECT_EQ(e[1].number_of_pages, 0x80000u);
	EXPECT_EQ(e[1].entry_type, IGVM_MEMORY_MAP_MEMORY);
	EXPECT_EQ(igvm_load_memory_map(&ram, e, 1), 1u);
}

KTEST(igvm_load, memory_map_and_vp_count_parameters)
{
	static const struct {
		uint64_t mem_mib;
		uint32_t smp;
		uint64_t entries[3][2]; /* page number, page count; zero pair terminates */
	} cases[] = {
		{ 512, 1, { { 0, 0x20000 }, { 0, 0 }, { 0, 0 } } },
		{ 4096, 4, { { 0, 0x80000 }, { 0x100000, 0x80000 }, { 0, 0 } } },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint8_t *img;
		size_t size;
		struct igvm_load_result res;
		char err[512];
		const struct igvm_load_blob *b;
		const uint8_t *map;

		ASSERT_EQ(build_load_image(&img, &size), 0);
		if (load_with(img, size, cases[c].mem_mib, cases[c].smp, &res, err, sizeof(err)) != 0) {
			ktest_report_failure(__FILE__, __LINE__, "load failed: %s", err);
			free(img);
			return;
		}
		b = blob_at(&res, BASTION_REGION_GPA + BASTION_PARAM_MEMMAP_OFFSET);
		ASSERT_NOT_NULL(b);
		map = b->data + (BASTION_REGION_GPA + BASTION_PARAM_MEMMAP_OFFSET - b->gpa);
		for (size_t i = 0; i < 3; i++) {
			struct igvm_memory_map_entry e;

			igvm_decode_memory_map_entry(map + i * IGVM_MEMORY_MAP_ENTRY_LEN, &e);
			EXPECT_EQ(e.starting_gpa_page_number, cases[c].entries[i][0]);
			EXPECT_EQ(e.number_of_pages, cases[c].entries[i][1]);
			EXPECT_EQ(e.entry_type, 0u);
			EXPECT_EQ(e.flags, 0u);
		}
		b = blob_at(&res, BASTION_REGION_GPA + BASTION_PARAM_VPCOUNT_OFFSET);
		ASSERT_NOT_NULL(b);
		EXPECT_EQ(igvm_get_le32(b->data + (BASTION_REGION_GPA + BASTION_PARAM_VPCOUNT_OFFSET - b->gpa)),
			  cases[c].smp);
		igvm_load_result_free(&res);
		free(img);
	}
}

KTEST(igvm_load, blobs_merged_at_right_addresses)
{
	uint8_t *img;
	size_t size;
	struct igvm_load_result res;
	char err[512];
	const struct igvm_load_blob *b;
	uint8_t pt[5][IGVM_PAGE_SIZE];

	ASSERT_EQ(build_load_image(&img, &size), 0);
	ASSERT_EQ(load_with(img, size, 512, 1, &res, err, sizeof(err)), 0);
	/*
	 * Parameter pages; page tables + boot_firmware_info (contiguous); boot stack + kernel
	 * (contiguous). SNP-only pages absent; no firmware, so no staging copy.
	 */
	ASSERT_EQ(res.blob_count, 3u);
	EXPECT_EQ(res.blobs[0].gpa, (uint64_t)BASTION_REGION_GPA);
	EXPECT_EQ(res.blobs[0].size, 0x2000u);
	EXPECT_EQ(res.blobs[1].gpa, (uint64_t)BASTION_REGION_GPA + BASTION_BOOT_PGTABLE_OFFSET);
	EXPECT_EQ(res.blobs[1].size, 6u * 0x1000u);
	EXPECT_EQ(res.firmware_size, 0u);
	EXPECT_EQ(res.blobs[2].gpa, (uint64_t)BASTION_REGION_GPA + BASTION_BOOT_STACK_OFFSET);
	EXPECT_EQ(res.blobs[2].size, BASTION_BOOT_STACK_SIZE + 0x4000u);
	EXPECT_NULL(blob_at(&res, BASTION_REGION_GPA + BASTION_SNP_SECRETS_OFFSET));
	EXPECT_NULL(blob_at(&res, BASTION_REGION_GPA + BASTION_SNP_CPUID_OFFSET));

	igvm_build_page_tables(pt);
	EXPECT_MEMEQ(res.blobs[1].data, pt, sizeof(pt));
	b = &res.blobs[2];
	for (size_t i = 0; i < BASTION_BOOT_STACK_SIZE; i++) {
		ASSERT_EQ(b->data[i], 0u);
	}
	EXPECT_MEMEQ(b->data + (KERNEL_GPA - b->gpa), load_code, sizeof(load_code));
	for (size_t i = sizeof(load_code); i < 0x2000; i++) {
		ASSERT_EQ(b->data[KERNEL_GPA - b->gpa + i], 0u);
	}
	EXPECT_MEMEQ(b->data + (KERNEL_GPA + 0x2000 - b->gpa), load_data, sizeof(load_data));
	for (size_t i = 0; i < 0x1000; i++) {
		ASSERT_EQ(b->data[KERNEL_GPA + 0x3000 - b->gpa + i], 0u);
	}
	igvm_load_result_free(&res);
	free(img);
}

KTEST(igvm_load, rom_parameter_block_patched)
{
	uint8_t *img, *tmpl;
	size_t size;
	struct igvm_load_result res;
	char err[512];

	ASSERT_EQ(build_load_image(&img, &size), 0);
	ASSERT_EQ(load_with(img, size, 512, 1, &res, err, sizeof(err)), 0);
	ASSERT_NOT_NULL(res.rom);
	EXPECT_EQ(igvm_get_le32(res.rom + 0x00), RESET_ROM_MAGIC);
	EXPECT_EQ(igvm_get_le32(res.rom + 0x04), RESET_ROM_VERSION);
	EXPECT_EQ(igvm_get_le32(res.rom + 0x08), (uint32_t)BASTION_PLATFORM_NATIVE); /* eax */
	EXPECT_EQ(igvm_get_le32(res.rom + 0x18), 0u);                                /* esp */
	EXPECT_EQ(igvm_get_le32(res.rom + 0x28), KERNEL_GPA + 0x20);                 /* eip */
	EXPECT_EQ(igvm_get_le32(res.rom + 0x2C), 0x31u);                              /* cr0 */
	EXPECT_EQ(igvm_get_le32(res.rom + 0x30), BASTION_REGION_GPA + BASTION_BOOT_PML4_OFFSET);
	EXPECT_EQ(igvm_get_le32(res.rom + 0x34), 0x20u);  /* cr4 */
	EXPECT_EQ(igvm_get_le32(res.rom + 0x38), 0x900u); /* efer_lo */
	EXPECT_EQ(igvm_get_le32(res.rom + 0x3C), 0u);     /* efer_hi */
	EXPECT_EQ(res.rom_params.eip, KERNEL_GPA + 0x20);
	/* Everything outside the parameter block is the template, byte for byte. */
	tmpl = make_rom_template();
	ASSERT_NOT_NULL(tmpl);
	EXPECT_MEMEQ(res.rom + sizeof(struct reset_rom_params), tmpl + sizeof(struct reset_rom_params),
		     RESET_ROM_SIZE - sizeof(struct reset_rom_params));
	free(tmpl);
	igvm_load_result_free(&res);
	free(img);
}

/* Finds the native context's data in a built image (file data, not covered by the checksum). */
static uint8_t *native_context_data(uint8_t *img, size_t size)
{
	struct igvm_file f;
	struct igvm_error perr;
	struct igvm_iter it;
	struct igvm_header h;

	if (igvm_parse(img, size, &f, &perr) != 0) {
		return NULL;
	}
	igvm_iter_init(&it, &f);
	while (igvm_iter_next(&it, &h)) {
		if (h.type == IGVM_VHT_VP_CONTEXT && h.u.vp_context.compatibility_mask == IGVM_BUILD_MASK_NATIVE) {
			return img + h.u.vp_context.file_offset;
		}
	}
	return NULL;
}

KTEST(igvm_load, long_mode_context_refused)
{
	uint8_t *img, *ctx;
	size_t size;
	struct igvm_load_result res;
	char err[512] = "";

	ASSERT_EQ(build_load_image(&img, &size), 0);
	ctx = native_context_data(img, size);
	ASSERT_NOT_NULL(ctx);
	igvm_put_le64(ctx + 0xC8, 0x80000031u); /* CR0.PG: a 64-bit context */
	igvm_put_le16(ctx + 0xAA, 0xA09B);      /* 64-bit code segment */
	EXPECT_NE(load_with(img, size, 512, 1, &res, err, sizeof(err)), 0);
	EXPECT_TRUE(strstr(err, "CR0 0x80000031 has PG set") != NULL);
	EXPECT_NULL(res.rom);
	EXPECT_EQ(res.blob_count, 0u);
	free(img);
}

KTEST(igvm_load, rom_params_inexpressible_contexts)
{
	struct igvm_native_vp_context_x64 good, c;
	struct reset_rom_params p;
	char err[512];

	igvm_build_native_context(KERNEL_GPA, &good);
	ASSERT_EQ(igvm_load_rom_params(&good, &p, err, sizeof(err)), 0);
	EXPECT_EQ(p.magic, RESET_ROM_MAGIC);
	EXPECT_EQ(p.eip, KERNEL_GPA);

#define REFUSE(mutation_, want_)                                                                   \
	do {                                                                                     \
		c = good;                                                                        \
		mutation_;                                                                       \
		err[0] = '\0';                                                                   \
		EXPECT_NE(igvm_load_rom_params(&c, &p, err, sizeof(err)), 0);                    \
		EXPECT_TRUE(strstr(err, (want_)) != NULL);                                      \
	} while (0)

	REFUSE(c.cr0 = 0x30, "has PE clear");
	REFUSE(c.code_attributes = 0xA09B, "code segment selector 0x8 attributes 0xa09b");
	REFUSE(c.code_selector = 0x18, "code segment selector 0x18");
	REFUSE(c.data_limit = 0xFFFFF, "data segment");
	REFUSE(c.r9 = 1, "R9 is 0x1");
	REFUSE(c.rip = 0x100000000ull, "RIP 0x100000000 does not fit in 32 bits");
	REFUSE(c.rsp = 0x100000000ull, "RSP 0x100000000");
	REFUSE(c.cr3 = 0x100000000ull, "CR3");
	REFUSE(c.gdtr_base = 0x100000000ull, "GDTR base");
	REFUSE(c.rflags = 0x202, "RFLAGS 0x202");
	REFUSE(c.gs_base = 0x1000, "GS base 0x1000");
#undef REFUSE
}

KTEST(igvm_load, missing_native_platform_refused)
{
	uint8_t *img;
	size_t size;
	struct igvm_load_result res;
	char err[512] = "";

	ASSERT_EQ(build_load_image(&img, &size), 0);
	/* Turn the NATIVE platform (second TLV, type byte at body + 5) into VSM_ISOLATION. */
	ASSERT_EQ(igvm_get_le32(img + 0x30), IGVM_VHT_SUPPORTED_PLATFORM);
	ASSERT_EQ(img[0x38 + 5], IGVM_PLATFORM_NATIVE);
	img[0x38 + 5] = IGVM_PLATFORM_VSM_ISOLATION;
	ASSERT_EQ(igvm_update_checksum(img, size), 0);
	EXPECT_NE(load_with(img, size, 512, 1, &res, err, sizeof(err)), 0);
	EXPECT_TRUE(strstr(err, "declares no NATIVE platform") != NULL);
	free(img);
}

KTEST(igvm_load, region_not_backed_by_ram_refused)
{
	uint8_t *img;
	size_t size;
	struct igvm_load_result res;
	char err[512] = "";

	ASSERT_EQ(build_load_image(&img, &size), 0);
	EXPECT_NE(load_with(img, size, 16, 1, &res, err, sizeof(err)), 0);
	EXPECT_TRUE(strstr(err, "Bastion's region 0x10000000+0x1000000 is not backed by RAM: give QEMU more memory with -m") !=
		    NULL);
	EXPECT_NE(load_with(img, size, 271, 1, &res, err, sizeof(err)), 0);
	EXPECT_EQ(load_with(img, size, 272, 1, &res, err, sizeof(err)), 0);
	igvm_load_result_free(&res);
	free(img);
}

KTEST(igvm_load, bad_inputs_refused)
{
	uint8_t *img, *rom;
	size_t size;
	struct igvm_load_result res;
	struct igvm_load_options opt = { 512 * MIB, 1 };
	char err[512] = "";

	ASSERT_EQ(build_load_image(&img, &size), 0);
	rom = make_rom_template();
	ASSERT_NOT_NULL(rom);
	EXPECT_NE(igvm_load(img, size, rom, RESET_ROM_SIZE - 1, &opt, &res, err, sizeof(err)), 0);
	EXPECT_TRUE(strstr(err, "expected 0x10000") != NULL);
	rom[0] ^= 1;
	EXPECT_NE(igvm_load(img, size, rom, RESET_ROM_SIZE, &opt, &res, err, sizeof(err)), 0);
	EXPECT_TRUE(strstr(err, "has magic") != NULL);
	rom[0] ^= 1;
	rom[4] = 2;
	EXPECT_NE(igvm_load(img, size, rom, RESET_ROM_SIZE, &opt, &res, err, sizeof(err)), 0);
	EXPECT_TRUE(strstr(err, "has version 2") != NULL);
	rom[4] = 1;
	opt.smp = 0;
	EXPECT_NE(igvm_load(img, size, rom, RESET_ROM_SIZE, &opt, &res, err, sizeof(err)), 0);
	opt.smp = 1;
	img[0x20] ^= 1;
	EXPECT_NE(igvm_load(img, size, rom, RESET_ROM_SIZE, &opt, &res, err, sizeof(err)), 0);
	EXPECT_TRUE(strncmp(err, "invalid IGVM file: offset 0x", 28) == 0);
	free(rom);
	free(img);
}

KTEST(igvm_load, write_files_and_qemu_arguments)
{
	uint8_t *img;
	size_t size, args_len;
	struct igvm_load_result res;
	char err[512], dir[] = "/tmp/igvm_load_test.XXXXXX", expect[256], path[128];
	char *args;
	FILE *fa;

	ASSERT_EQ(build_load_image(&img, &size), 0);
	ASSERT_EQ(load_with(img, size, 512, 2, &res, err, sizeof(err)), 0);
	ASSERT_NOT_NULL(mkdtemp(dir));
	fa = open_memstream(&args, &args_len);
	ASSERT_NOT_NULL(fa);
	EXPECT_EQ(igvm_load_write(&res, dir, fa, err, sizeof(err)), 0);
	fclose(fa);
	snprintf(expect, sizeof(expect), "-bios\n%s/rom.bin\n-device\nloader,file=%s/blob-000.bin,addr=0x10000000,force-raw=on\n",
		 dir, dir);
	EXPECT_TRUE(strncmp(args, expect, strlen(expect)) == 0);
	snprintf(expect, sizeof(expect), "-device\nloader,file=%s/blob-002.bin,addr=0x10010000,force-raw=on\n", dir);
	EXPECT_TRUE(strstr(args, expect) != NULL);
	for (size_t i = 0; i < res.blob_count; i++) {
		FILE *fp;
		long len;

		snprintf(path, sizeof(path), "%s/blob-%03zu.bin", dir, i);
		fp = fopen(path, "rb");
		ASSERT_NOT_NULL(fp);
		fseek(fp, 0, SEEK_END);
		len = ftell(fp);
		fclose(fp);
		EXPECT_EQ((size_t)len, res.blobs[i].size);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/rom.bin", dir);
	unlink(path);
	rmdir(dir);
	free(args);
	fa = open_memstream(&args, &args_len);
	ASSERT_NOT_NULL(fa);
	EXPECT_NE(igvm_load_write(&res, "/tmp/a,b", fa, err, sizeof(err)), 0);
	EXPECT_TRUE(strstr(err, "contains ','") != NULL);
	fclose(fa);
	free(args);
	igvm_load_result_free(&res);
	free(img);
}
