/*
 * Fuzz target: the IGVM parser (igvm/igvm_parse.c, igvm_parse()) and everything that trusts
 * its verdict: the header iterator, igvm_file_bytes(), igvm_find_platform(), the dumper
 * (igvm_dump(), output to /dev/null) and the loader (igvm_load(), the igvmload replay).
 *
 * The input is a whole IGVM file. The parser checks the checksum last, so mutated files reach
 * every structural rule as they are; when a file fails only on its checksum, the harness
 * fixes the checksum in a copy and goes on with that, so the code behind an accepted parse is
 * fuzzed too. Checked beyond the sanitizers: a rejection always carries a reason and an
 * offset inside the file (or 0); an accepted file's iterator visits header_count headers whose
 * bodies lie inside the variable-header region; parsing is deterministic (a second parse gives
 * the same verdict).
 *
 * Seeds: `FUZZ_IGVM_WRITE_SEEDS=DIR build/fuzz/fuzz_igvm_parse` writes small images built with
 * the real builder (igvm_build_image, as igvmbuild does for Bastion) into DIR and exits;
 * tests/fuzz/corpus/igvm_parse/ holds their output (tests/fuzz/README.md).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "igvm/elf64.h"
#include "igvm/igvm_build.h"
#include "igvm/igvm_dump.h"
#include "igvm/igvm_load.h"
#include "igvm/igvm_parse.h"
#include "kernel/image_layout.h"
#include "tests/fuzz/fuzz.h"

#define FZ_MAX_FILE (1u << 20)
#define FZ_KERNEL_GPA (BASTION_REGION_GPA + BASTION_KERNEL_OFFSET)

static FILE *fz_null;
static uint8_t *fz_copy;
static uint8_t *fz_rom;

static void use_file(const struct igvm_file *f)
{
	struct igvm_iter it;
	struct igvm_header h;
	uint32_t n = 0;
	static const uint8_t types[] = { IGVM_PLATFORM_NATIVE, IGVM_PLATFORM_SEV_SNP, 0, 0xff };

	igvm_iter_init(&it, f);
	while (igvm_iter_next(&it, &h)) {
		if (h.index != n || h.offset < sizeof(struct igvm_fixed_header) ||
		    (uint64_t)h.offset + h.length > f->data_region_offset) {
			FUZZ_FAIL("header %u: index %u offset 0x%x length %u outside the header region",
				  n, h.index, h.offset, h.length);
		}
		if (h.type == IGVM_VHT_PAGE_DATA) {
			(void)igvm_file_bytes(f, h.u.page_data.file_offset, IGVM_PAGE_SIZE);
		}
		(void)igvm_header_type_name(h.type);
		n++;
	}
	if (n != f->header_count) {
		FUZZ_FAIL("iterator produced %u headers, parse counted %u", n, f->header_count);
	}
	for (size_t i = 0; i < sizeof(types); i++) {
		(void)igvm_find_platform(f, types[i]);
	}
	(void)igvm_file_bytes(f, (uint32_t)f->size, 1);
	(void)igvm_file_bytes(f, 1, SIZE_MAX);
	igvm_dump(f, fz_null);
}

static void load(const uint8_t *data, size_t size)
{
	struct igvm_load_options opt = { 512ull << 20, 2 };
	struct igvm_load_result res;
	char err[256];

	if (igvm_load(data, size, fz_rom, RESET_ROM_SIZE, &opt, &res, err, sizeof(err)) == 0) {
		igvm_load_result_free(&res);
	} else if (err[0] == '\0') {
		FUZZ_FAIL("igvm_load failed without a message");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct igvm_file f;
	struct igvm_error err;
	struct igvm_file f2;
	struct igvm_error err2;
	int rc;

	if (size > FZ_MAX_FILE) {
		return 0;
	}
	rc = igvm_parse(data, size, &f, &err);
	if (rc != 0) {
		if (err.reason[0] == '\0' || err.offset > size) {
			FUZZ_FAIL("rejection with reason \"%s\" at offset 0x%llx of a %zu-byte file",
				  err.reason, (unsigned long long)err.offset, size);
		}
		if (strncmp(err.reason, "checksum mismatch", 17) != 0) {
			return 0;
		}
		memcpy(fz_copy, data, size);
		if (igvm_update_checksum(fz_copy, size) != 0) {
			FUZZ_FAIL("checksum mismatch reported but the checksum cannot be computed");
		}
		data = fz_copy;
		if (igvm_parse(data, size, &f, &err) != 0) {
			FUZZ_FAIL("still rejected after fixing the checksum: %s", err.reason);
		}
	}
	if (igvm_parse(data, size, &f2, &err2) != 0 || f2.header_count != f.header_count ||
	    f2.data_region_offset != f.data_region_offset) {
		FUZZ_FAIL("a second parse of the same file disagrees");
	}
	use_file(&f);
	load(data, size);
	return 0;
}

/* ---- seeds ---------------------------------------------------------------------------------- */

static void write_seed(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	FILE *out;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	out = fopen(path, "wb");
	if (out == NULL || fwrite(p, 1, n, out) != n || fclose(out) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
}

static void build_seed(const char *dir, const char *name, unsigned int segments, size_t fw_size)
{
	static uint8_t code[0x2000];
	static uint8_t fw[0x10000];
	struct elf64_image ei;
	uint8_t *img = NULL;
	size_t img_size = 0;
	char err[256];
	int rc;

	for (size_t i = 0; i < sizeof(code); i++) {
		code[i] = (uint8_t)(i * 7 + (i >> 8));
	}
	for (size_t i = 0; i < sizeof(fw); i++) {
		fw[i] = (uint8_t)(i ^ 0x5a);
	}
	if (fw_size >= 16 && fw_size <= sizeof(fw)) {
		/* The reset vector (last 16 bytes): jmp rel8 to itself, as a flat image ends. */
		fw[fw_size - 16] = 0xEB;
		fw[fw_size - 15] = 0xFE;
	}
	memset(&ei, 0, sizeof(ei));
	ei.entry = FZ_KERNEL_GPA + 0x10;
	ei.segment_count = segments;
	ei.segments[0] = (struct elf64_segment){ 0, ELF64_PF_R | ELF64_PF_X, FZ_KERNEL_GPA,
						 FZ_KERNEL_GPA, 0x1000, 0x1000, code };
	if (segments > 1) {
		ei.segments[1] = (struct elf64_segment){ 1, ELF64_PF_R | ELF64_PF_W,
							 FZ_KERNEL_GPA + 0x2000,
							 FZ_KERNEL_GPA + 0x2000, 0x800, 0x3000,
							 code + 0x1000 };
	}
	if (fw_size != 0 && fw_size <= sizeof(fw)) {
		rc = igvm_build_image_with_firmware(&ei, fw, fw_size, &img, &img_size, err,
						    sizeof(err));
	} else {
		rc = igvm_build_image(&ei, &img, &img_size, err, sizeof(err));
	}
	if (rc != 0) {
		fprintf(stderr, "seed %s: %s\n", name, err);
		exit(1);
	}
	write_seed(dir, name, img, img_size);
	if (segments == 1 && fw_size == 0) {
		struct igvm_file f;
		struct igvm_error e;

		/* The header region alone (data cut off) and the fixed header alone. */
		if (igvm_parse(img, img_size, &f, &e) != 0) {
			fprintf(stderr, "seed %s does not parse: %s\n", name, e.reason);
			exit(1);
		}
		write_seed(dir, "headers_only", img, f.data_region_offset);
		write_seed(dir, "fixed_header_only", img, sizeof(struct igvm_fixed_header));
	}
	free(img);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("FUZZ_IGVM_WRITE_SEEDS");

	(void)argc;
	(void)argv;
	if (seeds != NULL) {
		build_seed(seeds, "one_segment", 1, 0);
		build_seed(seeds, "two_segments_bss", 2, 0);
		build_seed(seeds, "with_firmware", 1, 0x10000);
		exit(0);
	}
	fz_null = fopen("/dev/null", "w");
	fz_copy = malloc(FZ_MAX_FILE);
	fz_rom = calloc(1, RESET_ROM_SIZE);
	if (fz_null == NULL || fz_copy == NULL || fz_rom == NULL) {
		fprintf(stderr, "fuzz_igvm_parse: set-up failed\n");
		exit(1);
	}
	igvm_put_le32(fz_rom, RESET_ROM_MAGIC);
	igvm_put_le32(fz_rom + 4, RESET_ROM_VERSION);
	return 0;
}
