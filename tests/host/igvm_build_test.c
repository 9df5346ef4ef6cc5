/*
 * igvmbuild library: image contents for a synthetic kernel ELF built in memory, the real
 * kernel ELF (BASTION_ELF), and ELF rejection cases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igvm/elf64.h"
#include "igvm/igvm_build.h"
#include "igvm/igvm_parse.h"
#include "kernel/image_layout.h"
#include "tests/ktest/ktest.h"

#define KERNEL_GPA (BASTION_REGION_GPA + BASTION_KERNEL_OFFSET)

/* ---- A synthetic ELF64 executable, written byte by byte (System V gABI layout). ---- */

struct test_seg {
	uint64_t vaddr;
	uint64_t paddr;
	uint64_t memsz;
	uint32_t flags;
	const uint8_t *data;
	uint64_t filesz;
};

/* Writes an ELF header, program headers and segment data into a new buffer. */
static uint8_t *make_elf(uint64_t entry, const struct test_seg *segs, size_t n, size_t *size)
{
	size_t total = 64 + 56 * n;
	size_t data_off;
	uint8_t *buf;

	for (size_t i = 0; i < n; i++) {
		total += segs[i].filesz;
	}
	buf = calloc(1, total);
	if (buf == NULL) {
		return NULL;
	}
	memcpy(buf, "\x7f" "ELF", 4);
	buf[4] = 2; /* ELFCLASS64 */
	buf[5] = 1; /* little-endian */
	buf[6] = 1; /* EV_CURRENT */
	igvm_put_le16(buf + 0x10, 2);  /* ET_EXEC */
	igvm_put_le16(buf + 0x12, 62); /* EM_X86_64 */
	igvm_put_le32(buf + 0x14, 1);
	igvm_put_le64(buf + 0x18, entry);
	igvm_put_le64(buf + 0x20, 64);
	igvm_put_le16(buf + 0x34, 64);
	igvm_put_le16(buf + 0x36, 56);
	igvm_put_le16(buf + 0x38, (uint16_t)n);
	data_off = 64 + 56 * n;
	for (size_t i = 0; i < n; i++) {
		uint8_t *ph = buf + 64 + 56 * i;

		igvm_put_le32(ph + 0x0, 1); /* PT_LOAD */
		igvm_put_le32(ph + 0x4, segs[i].flags);
		igvm_put_le64(ph + 0x8, data_off);
		igvm_put_le64(ph + 0x10, segs[i].vaddr);
		igvm_put_le64(ph + 0x18, segs[i].paddr);
		igvm_put_le64(ph + 0x20, segs[i].filesz);
		igvm_put_le64(ph + 0x28, segs[i].memsz);
		igvm_put_le64(ph + 0x30, 0x1000);
		if (segs[i].filesz != 0) {
			memcpy(buf + data_off, segs[i].data, segs[i].filesz);
		}
		data_off += segs[i].filesz;
	}
	*size = total;
	return buf;
}

/*
 * The synthetic kernel: an identity-mapped 32-bit entry segment (1.5 pages of code), and a
 * high-half data segment whose two file pages are identical, followed by three pages of bss.
 */
static uint8_t test_code[0x1800];
static uint8_t test_data[0x2000];

/* Fills the test code/data buffers and describes the two synthetic segments in segs. */
static void fill_test_segments(struct test_seg segs[2])
{
	for (size_t i = 0; i < sizeof(test_code); i++) {
		test_code[i] = (uint8_t)(i * 7 + 1);
	}
	memset(test_data, 0xAB, sizeof(test_data));
	segs[0] = (struct test_seg){ KERNEL_GPA, KERNEL_GPA, sizeof(test_code), ELF64_PF_R | ELF64_PF_X, test_code,
				     sizeof(test_code) };
	segs[1] = (struct test_seg){ BASTION_VIRT_BASE + BASTION_KERNEL_OFFSET + 0x2000, KERNEL_GPA + 0x2000, 0x5000,
				     ELF64_PF_R | ELF64_PF_W, test_data, sizeof(test_data) };
}

/* Builds the synthetic ELF and its IGVM image. Returns 0 and the image, or -1. */
static int build_synthetic(uint8_t **igvm, size_t *igvm_size, char *err, size_t errlen)
{
	struct test_seg segs[2];
	size_t elf_size;
	uint8_t *elf;
	int rc;

	fill_test_segments(segs);
	elf = make_elf(KERNEL_GPA + 0x10, segs, 2, &elf_size);
	if (elf == NULL) {
		return -1;
	}
	rc = igvm_build_from_elf(elf, elf_size, igvm, igvm_size, err, errlen);
	free(elf);
	return rc;
}

/* ---- Helpers to look into a parsed image. ---- */

/* Finds the PAGE_DATA for the page holding gpa on a platform mask bit. Returns false if none. */
static bool find_page(const struct igvm_file *f, uint64_t gpa, uint32_t mask, struct igvm_page_data *out)
{
	struct igvm_iter it;
	struct igvm_header h;

	igvm_iter_init(&it, f);
	while (igvm_iter_next(&it, &h)) {
		if (h.type == IGVM_VHT_PAGE_DATA && h.u.page_data.gpa == (gpa & ~0xFFFull) &&
		    (h.u.page_data.compatibility_mask & mask) != 0) {
			*out = h.u.page_data;
			return true;
		}
	}
	return false;
}

/* Reads a u64 of guest memory as the image loads it (zero for zero pages). */
static bool read_gpa64(const struct igvm_file *f, uint64_t gpa, uint64_t *v)
{
	struct igvm_page_data pd;
	const uint8_t *page;

	if (!find_page(f, gpa, IGVM_BUILD_MASK_NATIVE, &pd)) {
		return false;
	}
	if (pd.file_offset == 0) {
		*v = 0;
		return true;
	}
	page = igvm_file_bytes(f, pd.file_offset, IGVM_PAGE_SIZE);
	if (page == NULL) {
		return false;
	}
	*v = igvm_get_le64(page + (gpa & 0xFF8));
	return true;
}

/* Walks the boot page tables like the MMU (4-level, 2 MiB leaves). Returns false if unmapped. */
static bool translate(const struct igvm_file *f, uint64_t va, uint64_t *pa)
{
	uint64_t cr3 = BASTION_REGION_GPA + BASTION_BOOT_PML4_OFFSET;
	uint64_t e;

	if (!read_gpa64(f, cr3 + 8 * ((va >> 39) & 511), &e) || (e & 0x3) != 0x3 || (e & 0x80) != 0) {
		return false;
	}
	if (!read_gpa64(f, (e & 0x000FFFFFFFFFF000ull) + 8 * ((va >> 30) & 511), &e) || (e & 0x3) != 0x3 ||
	    (e & 0x80) != 0) {
		return false;
	}
	if (!read_gpa64(f, (e & 0x000FFFFFFFFFF000ull) + 8 * ((va >> 21) & 511), &e) || (e & 0xE3) != 0xE3) {
		return false;
	}
	if ((e & (1ull << 63)) != 0) {
		return false; /* the boot tables must not set NX */
	}
	*pa = (e & 0x000FFFFFFFE00000ull) + (va & 0x1FFFFF);
	return true;
}

/* ---- Tests. ---- */

KTEST(igvm_build, synthetic_elf_header_and_platforms)
{
	uint8_t *img;
	size_t size;
	char err[256];
	struct igvm_file f;
	struct igvm_error perr;
	uint32_t sum;
	const struct igvm_platform *snp, *native;

	ASSERT_EQ(build_synthetic(&img, &size, err, sizeof(err)), 0);
	EXPECT_EQ(igvm_get_le32(img), IGVM_MAGIC);
	EXPECT_MEMEQ(img, "IGVM", 4);
	EXPECT_EQ(igvm_get_le32(img + 4), 1u);
	EXPECT_EQ(igvm_get_le32(img + 0x10), size);
	ASSERT_EQ(igvm_compute_checksum(img, size, &sum), 0);
	EXPECT_EQ(sum, igvm_get_le32(img + 0x14));
	ASSERT_EQ(igvm_parse(img, size, &f, &perr), 0);
	EXPECT_EQ(f.platform_count, 2u);
	snp = igvm_find_platform(&f, IGVM_PLATFORM_SEV_SNP);
	native = igvm_find_platform(&f, IGVM_PLATFORM_NATIVE);
	ASSERT_NOT_NULL(snp);
	ASSERT_NOT_NULL(native);
	EXPECT_EQ(snp->mask, 0x1u);
	EXPECT_EQ(native->mask, 0x2u);
	EXPECT_EQ(snp->platform_version, 1u);
	EXPECT_EQ(snp->highest_vtl, 0u);
	EXPECT_EQ(snp->shared_gpa_boundary, 0u);
	EXPECT_EQ(native->shared_gpa_boundary, 0u);
	free(img);
}

KTEST(igvm_build, synthetic_elf_directive_order)
{
	static const uint32_t prologue[] = {
		IGVM_VHT_SUPPORTED_PLATFORM, IGVM_VHT_SUPPORTED_PLATFORM, IGVM_VHT_GUEST_POLICY,
		IGVM_VHT_PARAMETER_AREA,     IGVM_VHT_MEMORY_MAP,	  IGVM_VHT_PARAMETER_INSERT,
		IGVM_VHT_PARAMETER_AREA,     IGVM_VHT_VP_COUNT_PARAMETER, IGVM_VHT_PARAMETER_INSERT,
		IGVM_VHT_REQUIRED_MEMORY,
	};
	uint8_t *img;
	size_t size;
	char err[256];
	struct igvm_file f;
	struct igvm_error perr;
	struct igvm_iter it;
	struct igvm_header h;
	uint64_t last_gpa = 0;
	uint32_t pages = 0, vps = 0;

	ASSERT_EQ(build_synthetic(&img, &size, err, sizeof(err)), 0);
	ASSERT_EQ(igvm_parse(img, size, &f, &perr), 0);
	igvm_iter_init(&it, &f);
	while (igvm_iter_next(&it, &h)) {
		if (h.index < sizeof(prologue) / sizeof(prologue[0])) {
			EXPECT_EQ(h.type, prologue[h.index]);
			switch (h.type) {
			case IGVM_VHT_GUEST_POLICY:
				EXPECT_EQ(h.u.policy.policy, 0x30000u);
				EXPECT_EQ(h.u.policy.compatibility_mask, 0x1u);
				break;
			case IGVM_VHT_PARAMETER_AREA:
				EXPECT_EQ(h.u.parameter_area.number_of_bytes, 0x1000u);
				EXPECT_EQ(h.u.parameter_area.parameter_area_index, h.index == 3 ? 0u : 1u);
				break;
			case IGVM_VHT_MEMORY_MAP:
			case IGVM_VHT_VP_COUNT_PARAMETER:
				EXPECT_EQ(h.u.parameter.parameter_area_index, h.index == 4 ? 0u : 1u);
				EXPECT_EQ(h.u.parameter.byte_offset, 0u);
				break;
			case IGVM_VHT_PARAMETER_INSERT:
				EXPECT_EQ(h.u.parameter_insert.compatibility_mask, 0x3u);
				EXPECT_EQ(h.u.parameter_insert.gpa,
					  BASTION_REGION_GPA + (h.index == 5 ? BASTION_PARAM_MEMMAP_OFFSET
									     : BASTION_PARAM_VPCOUNT_OFFSET));
				break;
			case IGVM_VHT_REQUIRED_MEMORY:
				EXPECT_EQ(h.u.required_memory.gpa, BASTION_REGION_GPA);
				EXPECT_EQ(h.u.required_memory.number_of_bytes, BASTION_REGION_SIZE);
				EXPECT_EQ(h.u.required_memory.compatibility_mask, 0x3u);
				EXPECT_EQ(h.u.required_memory.flags, 0u);
				break;
			default:
				break;
			}
		} else if (h.type == IGVM_VHT_PAGE_DATA) {
			/* PAGE_DATA sorted by GPA, and all of them before the VP contexts. */
			EXPECT_EQ(vps, 0u);
			if (pages > 0) {
				EXPECT_GT(h.u.page_data.gpa, last_gpa);
			}
			last_gpa = h.u.page_data.gpa;
			pages++;
		} else {
			ASSERT_EQ(h.type, IGVM_VHT_VP_CONTEXT);
			vps++;
		}
	}
	/* 2 SNP pages, 5 page tables, boot_firmware_info, 16 stack pages, 2 + 5 kernel pages. */
	EXPECT_EQ(pages, 2u + 5u + 1u + BASTION_BOOT_STACK_SIZE / 0x1000 + 7u);
	EXPECT_EQ(vps, 2u);
	EXPECT_EQ(f.header_count, 10u + pages + 2u);
	free(img);
}

KTEST(igvm_build, synthetic_elf_page_contents_and_dedup)
{
	uint8_t *img;
	size_t size;
	char err[256];
	struct igvm_file f;
	struct igvm_error perr;
	struct igvm_page_data pd, pd2;
	const uint8_t *page;

	ASSERT_EQ(build_synthetic(&img, &size, err, sizeof(err)), 0);
	ASSERT_EQ(igvm_parse(img, size, &f, &perr), 0);

	ASSERT_TRUE(find_page(&f, BASTION_REGION_GPA + BASTION_SNP_SECRETS_OFFSET, 0x1, &pd));
	EXPECT_EQ(pd.data_type, IGVM_PAGE_DATA_TYPE_SECRETS);
	EXPECT_EQ(pd.compatibility_mask, 0x1u);
	EXPECT_EQ(pd.file_offset, 0u);
	ASSERT_TRUE(find_page(&f, BASTION_REGION_GPA + BASTION_SNP_CPUID_OFFSET, 0x1, &pd));
	EXPECT_EQ(pd.data_type, IGVM_PAGE_DATA_TYPE_CPUID_DATA);
	EXPECT_EQ(pd.compatibility_mask, 0x1u);
	EXPECT_EQ(pd.file_offset, 0u);
	EXPECT_FALSE(find_page(&f, BASTION_REGION_GPA + BASTION_SNP_SECRETS_OFFSET, 0x2, &pd));

	for (uint32_t i = 0; i < BASTION_BOOT_STACK_SIZE / 0x1000; i++) {
		ASSERT_TRUE(find_page(&f, BASTION_REGION_GPA + BASTION_BOOT_STACK_OFFSET + i * 0x1000u, 0x2, &pd));
		EXPECT_EQ(pd.file_offset, 0u);
		EXPECT_EQ(pd.compatibility_mask, 0x3u);
		EXPECT_EQ(pd.data_type, IGVM_PAGE_DATA_TYPE_NORMAL);
		EXPECT_EQ(pd.flags, 0u);
	}

	/* Code: first page whole, second page half file data, half zero. */
	ASSERT_TRUE(find_page(&f, KERNEL_GPA, 0x2, &pd));
	EXPECT_EQ(pd.compatibility_mask, 0x3u);
	page = igvm_file_bytes(&f, pd.file_offset, 0x1000);
	ASSERT_NOT_NULL(page);
	EXPECT_MEMEQ(page, test_code, 0x1000);
	ASSERT_TRUE(find_page(&f, KERNEL_GPA + 0x1000, 0x2, &pd));
	page = igvm_file_bytes(&f, pd.file_offset, 0x1000);
	ASSERT_NOT_NULL(page);
	EXPECT_MEMEQ(page, test_code + 0x1000, 0x800);
	for (size_t i = 0x800; i < 0x1000; i++) {
		ASSERT_EQ(page[i], 0u);
	}

	/* Identical data pages share one file offset; bss pages are zero pages. */
	ASSERT_TRUE(find_page(&f, KERNEL_GPA + 0x2000, 0x2, &pd));
	ASSERT_TRUE(find_page(&f, KERNEL_GPA + 0x3000, 0x2, &pd2));
	EXPECT_NE(pd.file_offset, 0u);
	EXPECT_EQ(pd.file_offset, pd2.file_offset);
	EXPECT_GE(pd.file_offset, f.data_region_offset);
	page = igvm_file_bytes(&f, pd.file_offset, 0x1000);
	ASSERT_NOT_NULL(page);
	EXPECT_MEMEQ(page, test_data, 0x1000);
	for (uint64_t gpa = KERNEL_GPA + 0x4000; gpa < KERNEL_GPA + 0x7000; gpa += 0x1000) {
		ASSERT_TRUE(find_page(&f, gpa, 0x2, &pd));
		EXPECT_EQ(pd.file_offset, 0u);
	}
	EXPECT_FALSE(find_page(&f, KERNEL_GPA + 0x7000, 0x2, &pd));

	/*
	 * Data region: 5 page tables + boot_firmware_info + 2 code pages + 1 shared data page +
	 * 2 VP contexts.
	 */
	EXPECT_EQ(size - f.data_region_offset, 11u * 0x1000u);
	free(img);
}

KTEST(igvm_build, synthetic_elf_snp_vmsa)
{
	uint8_t *img;
	size_t size;
	char err[256];
	struct igvm_file f;
	struct igvm_error perr;
	struct igvm_iter it;
	struct igvm_header h;
	const uint8_t *v = NULL;

	ASSERT_EQ(build_synthetic(&img, &size, err, sizeof(err)), 0);
	ASSERT_EQ(igvm_parse(img, size, &f, &perr), 0);
	igvm_iter_init(&it, &f);
	while (igvm_iter_next(&it, &h)) {
		if (h.type == IGVM_VHT_VP_CONTEXT && h.u.vp_context.compatibility_mask == 0x1) {
			EXPECT_EQ(h.u.vp_context.gpa, 0xFFFFFFFFF000ull);
			EXPECT_EQ(h.u.vp_context.vp_index, 0u);
			EXPECT_EQ(h.index, f.header_count - 2);
			v = igvm_file_bytes(&f, h.u.vp_context.file_offset, IGVM_VMSA_SIZE);
		}
	}
	ASSERT_NOT_NULL(v);
	EXPECT_EQ(igvm_get_le64(v + IGVM_VMSA_RIP), KERNEL_GPA + 0x10);
	EXPECT_EQ(igvm_get_le64(v + IGVM_VMSA_RAX), (uint64_t)BASTION_PLATFORM_SNP);
	EXPECT_EQ(igvm_get_le64(v + IGVM_VMSA_CR0), 0x31u);
	EXPECT_EQ(igvm_get_le64(v + IGVM_VMSA_CR3), BASTION_REGION_GPA + BASTION_BOOT_PML4_OFFSET);
	EXPECT_EQ(igvm_get_le64(v + IGVM_VMSA_CR4), 0x20u);
	EXPECT_EQ(igvm_get_le64(v + IGVM_VMSA_EFER), 0x1900u);
	EXPECT_EQ(igvm_get_le64(v + IGVM_VMSA_SEV_FEATURES), 0x1u);
	EXPECT_EQ(igvm_get_le64(v + IGVM_VMSA_RFLAGS), 0x2u);
	EXPECT_EQ(igvm_get_le64(v + IGVM_VMSA_DR7), 0x400u);
	EXPECT_EQ(igvm_get_le64(v + IGVM_VMSA_DR6), 0xFFFF0FF0u);
	EXPECT_EQ(igvm_get_le64(v + IGVM_VMSA_G_PAT), 0x0007040600070406ull);
	EXPECT_EQ(igvm_get_le64(v + IGVM_VMSA_XCR0), 1u);
	EXPECT_EQ(igvm_get_le32(v + IGVM_VMSA_MXCSR), 0x1F80u);
	EXPECT_EQ(igvm_get_le16(v + IGVM_VMSA_X87_FCW), 0x37Fu);
	EXPECT_EQ(v[IGVM_VMSA_VMPL], 0u);
	EXPECT_EQ(igvm_get_le16(v + IGVM_VMSA_CS + IGVM_VMSA_SEG_SELECTOR), BASTION_BOOT_CS32);
	EXPECT_EQ(igvm_get_le16(v + IGVM_VMSA_CS + IGVM_VMSA_SEG_ATTRIB), 0xC9Bu);
	EXPECT_EQ(igvm_get_le32(v + IGVM_VMSA_CS + IGVM_VMSA_SEG_LIMIT), 0xFFFFFFFFu);
	EXPECT_EQ(igvm_get_le64(v + IGVM_VMSA_CS + IGVM_VMSA_SEG_BASE), 0u);
	for (uint32_t seg = IGVM_VMSA_ES; seg <= IGVM_VMSA_GS; seg += 0x10) {
		if (seg == IGVM_VMSA_CS) {
			continue;
		}
		EXPECT_EQ(igvm_get_le16(v + seg + IGVM_VMSA_SEG_SELECTOR), BASTION_BOOT_DS);
		EXPECT_EQ(igvm_get_le16(v + seg + IGVM_VMSA_SEG_ATTRIB), 0xC93u);
		EXPECT_EQ(igvm_get_le32(v + seg + IGVM_VMSA_SEG_LIMIT), 0xFFFFFFFFu);
	}
	EXPECT_EQ(igvm_get_le16(v + IGVM_VMSA_LDTR + IGVM_VMSA_SEG_ATTRIB), 0x82u);
	EXPECT_EQ(igvm_get_le32(v + IGVM_VMSA_LDTR + IGVM_VMSA_SEG_LIMIT), 0xFFFFu);
	EXPECT_EQ(igvm_get_le16(v + IGVM_VMSA_TR + IGVM_VMSA_SEG_ATTRIB), 0x8Bu);
	EXPECT_EQ(igvm_get_le32(v + IGVM_VMSA_TR + IGVM_VMSA_SEG_LIMIT), 0xFFFFu);
	EXPECT_EQ(igvm_get_le64(v + IGVM_VMSA_GDTR + IGVM_VMSA_SEG_BASE), 0u);
	EXPECT_EQ(igvm_get_le32(v + IGVM_VMSA_IDTR + IGVM_VMSA_SEG_LIMIT), 0u);
	/* Fields outside QEMU's accepted list (ABI 5.5) stay zero, e.g. the whole tail. */
	for (uint32_t i = 0x420; i < IGVM_VMSA_SIZE; i++) {
		ASSERT_EQ(v[i], 0u);
	}
	free(img);
}

KTEST(igvm_build, synthetic_elf_native_context)
{
	uint8_t *img;
	size_t size;
	char err[256];
	struct igvm_file f;
	struct igvm_error perr;
	struct igvm_iter it;
	struct igvm_header h;
	struct igvm_native_vp_context_x64 c;
	const uint8_t *p = NULL;

	ASSERT_EQ(build_synthetic(&img, &size, err, sizeof(err)), 0);
	ASSERT_EQ(igvm_parse(img, size, &f, &perr), 0);
	igvm_iter_init(&it, &f);
	while (igvm_iter_next(&it, &h)) {
		if (h.type == IGVM_VHT_VP_CONTEXT && h.u.vp_context.compatibility_mask == 0x2) {
			EXPECT_EQ(h.u.vp_context.gpa, 0u);
			EXPECT_EQ(h.u.vp_context.vp_index, 0u);
			EXPECT_EQ(h.index, f.header_count - 1);
			p = igvm_file_bytes(&f, h.u.vp_context.file_offset, IGVM_PAGE_SIZE);
		}
	}
	ASSERT_NOT_NULL(p);
	igvm_decode_native_vp_context(p, &c);
	EXPECT_EQ(c.rax, (uint64_t)BASTION_PLATFORM_NATIVE);
	EXPECT_EQ(c.rip, KERNEL_GPA + 0x10);
	EXPECT_EQ(c.rflags, 0x2u);
	EXPECT_EQ(c.cr0, 0x31u);
	EXPECT_EQ(c.cr3, BASTION_REGION_GPA + BASTION_BOOT_PML4_OFFSET);
	EXPECT_EQ(c.cr4, 0x20u);
	EXPECT_EQ(c.efer, 0x900u);
	EXPECT_EQ(c.code_selector, BASTION_BOOT_CS32);
	EXPECT_EQ(c.code_attributes, 0xC09Bu);
	EXPECT_EQ(c.code_base, 0u);
	EXPECT_EQ(c.code_limit, 0xFFFFFFFFu);
	EXPECT_EQ(c.data_selector, BASTION_BOOT_DS);
	EXPECT_EQ(c.data_attributes, 0xC093u);
	EXPECT_EQ(c.data_limit, 0xFFFFFFFFu);
	EXPECT_EQ(c.rsp, 0u);
	EXPECT_EQ(c.gdtr_base, 0u);
	EXPECT_EQ(c.gs_base, 0u);
	for (uint32_t i = IGVM_NATIVE_VP_CONTEXT_LEN; i < IGVM_PAGE_SIZE; i++) {
		ASSERT_EQ(p[i], 0u);
	}
	free(img);
}

KTEST(igvm_build, page_tables_map_virt_base_to_region)
{
	uint8_t *img;
	size_t size;
	char err[256];
	struct igvm_file f;
	struct igvm_error perr;
	uint64_t pa = 0;

	ASSERT_EQ(build_synthetic(&img, &size, err, sizeof(err)), 0);
	ASSERT_EQ(igvm_parse(img, size, &f, &perr), 0);
	EXPECT_EQ((BASTION_VIRT_BASE >> 39) & 511, 511u);
	EXPECT_EQ((BASTION_VIRT_BASE >> 30) & 511, 510u);
	ASSERT_TRUE(translate(&f, BASTION_VIRT_BASE, &pa));
	EXPECT_EQ(pa, (uint64_t)BASTION_REGION_GPA);
	ASSERT_TRUE(translate(&f, BASTION_VIRT_BASE + BASTION_KERNEL_OFFSET + 0x2345, &pa));
	EXPECT_EQ(pa, KERNEL_GPA + 0x2345);
	ASSERT_TRUE(translate(&f, BASTION_VIRT_BASE + BASTION_REGION_SIZE - 1, &pa));
	EXPECT_EQ(pa, (uint64_t)BASTION_REGION_GPA + BASTION_REGION_SIZE - 1);
	EXPECT_FALSE(translate(&f, BASTION_VIRT_BASE + BASTION_REGION_SIZE, &pa));
	EXPECT_FALSE(translate(&f, BASTION_VIRT_BASE - 0x200000, &pa));
	/* Identity map of the region, for the 32-bit stub that turns paging on. */
	ASSERT_TRUE(translate(&f, KERNEL_GPA + 0x10, &pa));
	EXPECT_EQ(pa, KERNEL_GPA + 0x10);
	ASSERT_TRUE(translate(&f, BASTION_REGION_GPA + BASTION_REGION_SIZE - 8, &pa));
	EXPECT_EQ(pa, (uint64_t)BASTION_REGION_GPA + BASTION_REGION_SIZE - 8);
	EXPECT_FALSE(translate(&f, BASTION_REGION_GPA - 0x200000, &pa));
	EXPECT_FALSE(translate(&f, BASTION_REGION_GPA + BASTION_REGION_SIZE, &pa));
	free(img);
}

KTEST(igvm_build, deterministic_output)
{
	uint8_t *a, *b;
	size_t sa, sb;
	char err[256];

	ASSERT_EQ(build_synthetic(&a, &sa, err, sizeof(err)), 0);
	ASSERT_EQ(build_synthetic(&b, &sb, err, sizeof(err)), 0);
	EXPECT_EQ(sa, sb);
	if (sa == sb) {
		EXPECT_MEMEQ(a, b, sa);
	}
	free(a);
	free(b);
}

KTEST(igvm_build, real_kernel_elf)
{
	const char *path = getenv("BASTION_ELF");
	uint8_t *elf = NULL, *img = NULL;
	size_t elf_size, size;
	char err[512];
	struct elf64_image ei;
	struct igvm_file f;
	struct igvm_error perr;
	struct igvm_page_data pd;
	struct igvm_iter it;
	struct igvm_header h;
	int contexts = 0;

	if (path == NULL || path[0] == '\0') {
		ktest_report_failure(__FILE__, __LINE__, "set BASTION_ELF to the kernel ELF (make test does)");
		return;
	}
	if (igvm_read_file(path, 512u << 20, &elf, &elf_size, err, sizeof(err)) != 0) {
		ktest_report_failure(__FILE__, __LINE__, "BASTION_ELF=%s: %s", path, err);
		return;
	}
	if (elf64_load(elf, elf_size, KERNEL_GPA, BASTION_REGION_GPA + BASTION_REGION_SIZE, &ei, err, sizeof(err)) != 0) {
		ktest_report_failure(__FILE__, __LINE__, "BASTION_ELF=%s: %s", path, err);
		free(elf);
		return;
	}
	if (igvm_build_from_elf(elf, elf_size, &img, &size, err, sizeof(err)) != 0) {
		ktest_report_failure(__FILE__, __LINE__, "BASTION_ELF=%s: %s", path, err);
		free(elf);
		return;
	}
	EXPECT_EQ(igvm_parse(img, size, &f, &perr), 0);
	EXPECT_EQ(f.platform_count, 2u);
	/* Every page of every segment is loaded for both platforms, with the ELF's bytes. */
	for (uint32_t s = 0; s < ei.segment_count; s++) {
		const struct elf64_segment *seg = &ei.segments[s];

		for (uint64_t off = 0; off < seg->memsz; off += 0x1000) {
			const uint8_t *page;
			uint64_t n = off < seg->filesz ? seg->filesz - off : 0;

			ASSERT_TRUE(find_page(&f, seg->paddr + off, 0x2, &pd));
			EXPECT_EQ(pd.compatibility_mask, 0x3u);
			if (n == 0) {
				continue;
			}
			n = n > 0x1000 ? 0x1000 : n;
			if (pd.file_offset == 0) {
				for (uint64_t i = 0; i < n; i++) {
					ASSERT_EQ(seg->data[off + i], 0u);
				}
			} else {
				page = igvm_file_bytes(&f, pd.file_offset, 0x1000);
				ASSERT_NOT_NULL(page);
				EXPECT_MEMEQ(page, seg->data + off, n);
			}
		}
	}
	igvm_iter_init(&it, &f);
	while (igvm_iter_next(&it, &h)) {
		const uint8_t *p;

		if (h.type != IGVM_VHT_VP_CONTEXT) {
			continue;
		}
		contexts++;
		p = igvm_file_bytes(&f, h.u.vp_context.file_offset, 0x1000);
		ASSERT_NOT_NULL(p);
		if (h.u.vp_context.compatibility_mask == 0x1) {
			EXPECT_EQ(h.u.vp_context.gpa, 0xFFFFFFFFF000ull);
			EXPECT_EQ(igvm_get_le64(p + IGVM_VMSA_RIP), ei.entry);
		} else {
			struct igvm_native_vp_context_x64 c;

			igvm_decode_native_vp_context(p, &c);
			EXPECT_EQ(c.rip, ei.entry);
		}
	}
	EXPECT_EQ(contexts, 2);
	free(img);
	free(elf);
}

/* Runs igvm_build_from_elf on an ELF that must be refused; checks the message has want. */
static bool elf_rejected_with(const uint8_t *elf, size_t size, const char *want)
{
	uint8_t *img = NULL;
	size_t img_size = 0;
	char err[512] = "";

	if (igvm_build_from_elf(elf, size, &img, &img_size, err, sizeof(err)) == 0) {
		free(img);
		ktest_print("  unexpectedly accepted (wanted \"%s\")\n", want);
		return false;
	}
	if (strstr(err, want) == NULL) {
		ktest_print("  error \"%s\" does not contain \"%s\"\n", err, want);
		return false;
	}
	return img == NULL;
}

KTEST(igvm_build, elf_segment_outside_region)
{
	struct test_seg segs[2];
	uint8_t *elf;
	size_t size;

	fill_test_segments(segs);
	/* Below the kernel area (into the fixed pages). */
	segs[1].paddr = BASTION_REGION_GPA + BASTION_BOOT_STACK_OFFSET;
	elf = make_elf(KERNEL_GPA, segs, 2, &size);
	ASSERT_NOT_NULL(elf);
	EXPECT_TRUE(elf_rejected_with(elf, size, "outside the kernel area"));
	free(elf);
	/* Running past the end of the region. */
	fill_test_segments(segs);
	segs[1].paddr = BASTION_REGION_GPA + BASTION_REGION_SIZE - 0x4000;
	elf = make_elf(KERNEL_GPA, segs, 2, &size);
	ASSERT_NOT_NULL(elf);
	EXPECT_TRUE(elf_rejected_with(elf, size, "outside the kernel area"));
	free(elf);
}

KTEST(igvm_build, elf_entry_outside_segments)
{
	struct test_seg segs[2];
	uint8_t *elf;
	size_t size;

	fill_test_segments(segs);
	elf = make_elf(KERNEL_GPA + 0x1800, segs, 2, &size); /* just past the code */
	ASSERT_NOT_NULL(elf);
	EXPECT_TRUE(elf_rejected_with(elf, size, "not inside the file data of an executable PT_LOAD"));
	free(elf);
	elf = make_elf(KERNEL_GPA + 0x2000, segs, 2, &size); /* in the non-executable data */
	ASSERT_NOT_NULL(elf);
	EXPECT_TRUE(elf_rejected_with(elf, size, "not inside the file data of an executable PT_LOAD"));
	free(elf);
	/* In an executable segment that is not identity mapped. */
	segs[1].flags |= ELF64_PF_X;
	elf = make_elf(segs[1].vaddr, segs, 2, &size);
	ASSERT_NOT_NULL(elf);
	EXPECT_TRUE(elf_rejected_with(elf, size, "must be identity mapped"));
	free(elf);
}

KTEST(igvm_build, elf_truncated_and_malformed)
{
	struct test_seg segs[2];
	uint8_t *elf;
	size_t size;

	fill_test_segments(segs);
	elf = make_elf(KERNEL_GPA, segs, 2, &size);
	ASSERT_NOT_NULL(elf);
	EXPECT_TRUE(elf_rejected_with(elf, 0, "truncated ELF"));
	EXPECT_TRUE(elf_rejected_with(elf, 63, "truncated ELF"));
	EXPECT_TRUE(elf_rejected_with(elf, 64 + 56 + 10, "truncated ELF: program headers"));
	EXPECT_TRUE(elf_rejected_with(elf, size - 1, "truncated ELF: segment 1"));
	for (size_t cut = 0; cut < size; cut += 97) {
		EXPECT_TRUE(elf_rejected_with(elf, cut, "truncated ELF"));
	}
	elf[0x12] = 3; /* EM_386 */
	EXPECT_TRUE(elf_rejected_with(elf, size, "not x86-64"));
	elf[0x12] = 62;
	elf[0x10] = 3; /* ET_DYN */
	EXPECT_TRUE(elf_rejected_with(elf, size, "not ET_EXEC"));
	elf[0x10] = 2;
	elf[4] = 1; /* ELFCLASS32 */
	EXPECT_TRUE(elf_rejected_with(elf, size, "not a 64-bit ELF"));
	elf[4] = 2;
	elf[0] = 0;
	EXPECT_TRUE(elf_rejected_with(elf, size, "bad magic"));
	free(elf);

	/* Two segments sharing a page, and an unaligned p_paddr. */
	fill_test_segments(segs);
	segs[1].paddr = KERNEL_GPA + 0x1000;
	elf = make_elf(KERNEL_GPA, segs, 2, &size);
	ASSERT_NOT_NULL(elf);
	EXPECT_TRUE(elf_rejected_with(elf, size, "share a 4 KiB page"));
	free(elf);
	fill_test_segments(segs);
	segs[1].paddr += 0x10;
	elf = make_elf(KERNEL_GPA, segs, 2, &size);
	ASSERT_NOT_NULL(elf);
	EXPECT_TRUE(elf_rejected_with(elf, size, "not 4 KiB aligned"));
	free(elf);
}
