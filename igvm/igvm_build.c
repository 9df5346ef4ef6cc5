/*
 * IGVM image builder for Bastion. What goes where is fixed by kernel/image_layout.h; why the
 * directives come in this order is explained in igvm_build.h and igvm/README.md.
 */
#include "igvm/igvm_build.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/crc32.h"
#include "igvm/firmware.h"
#include "igvm/igvm_parse.h"
#include "kernel/image_layout.h"

#define BUILD_SZ_2M 0x200000ull
#define BUILD_SZ_1G 0x40000000ull
#define BUILD_SZ_4G 0x100000000ull

/* x86 page-table entry bits (AMD APM vol. 2, 5.3): present, writable, accessed, dirty, 2 MiB. */
#define PTE_P 0x001ull
#define PTE_RW 0x002ull
#define PTE_A 0x020ull
#define PTE_D 0x040ull
#define PTE_PS 0x080ull
#define PTE_TABLE (PTE_P | PTE_RW | PTE_A)
#define PTE_LEAF_2M (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_PS)

#define PML4_INDEX(va) ((((unsigned long long)(va)) >> 39) & 511ull)
#define PDPT_INDEX(va) ((((unsigned long long)(va)) >> 30) & 511ull)
#define PD_INDEX(va) ((((unsigned long long)(va)) >> 21) & 511ull)

#define REGION_2M_PAGES (BASTION_REGION_SIZE / BUILD_SZ_2M)

/* The boot tables use one PD per mapping with 2 MiB leaves; check the layout allows that. */
_Static_assert(BASTION_REGION_GPA % BUILD_SZ_2M == 0, "region must be 2 MiB aligned (2 MiB boot pages)");
_Static_assert(BASTION_REGION_SIZE % BUILD_SZ_2M == 0, "region size must be a 2 MiB multiple");
_Static_assert(BASTION_VIRT_BASE % BUILD_SZ_2M == 0, "BASTION_VIRT_BASE must be 2 MiB aligned");
_Static_assert(PD_INDEX(BASTION_REGION_GPA) + REGION_2M_PAGES <= 512,
	       "region must fit in one page directory (must not cross a 1 GiB boundary)");
_Static_assert(PD_INDEX(BASTION_VIRT_BASE) + REGION_2M_PAGES <= 512,
	       "high mapping must fit in one page directory");
_Static_assert(PML4_INDEX(BASTION_REGION_GPA) != PML4_INDEX(BASTION_VIRT_BASE),
	       "identity and high mappings need separate PDPTs");
_Static_assert(BASTION_REGION_GPA + BASTION_REGION_SIZE <= BUILD_SZ_4G,
	       "region must lie below 4 GiB: the 32-bit entry stub loads CR3 and runs with paging off");
_Static_assert(BASTION_REGION_SIZE <= 0xFFFFFFFFull, "REQUIRED_MEMORY size is a u32 (IGVM 5.4)");
_Static_assert(BASTION_BOOT_PGTABLE_PAGES == 5, "boot tables: PML4, PDPT low, PD low, PDPT high, PD high");
_Static_assert(BASTION_BOOT_PML4_OFFSET == BASTION_BOOT_PGTABLE_OFFSET &&
		       BASTION_BOOT_PDPT_LOW_OFFSET == BASTION_BOOT_PGTABLE_OFFSET + 0x1000 &&
		       BASTION_BOOT_PD_LOW_OFFSET == BASTION_BOOT_PGTABLE_OFFSET + 0x2000 &&
		       BASTION_BOOT_PDPT_HIGH_OFFSET == BASTION_BOOT_PGTABLE_OFFSET + 0x3000 &&
		       BASTION_BOOT_PD_HIGH_OFFSET == BASTION_BOOT_PGTABLE_OFFSET + 0x4000,
	       "boot page tables are 5 consecutive pages in image_layout.h order");
_Static_assert(BASTION_PARAM_MEMMAP_SIZE == IGVM_PAGE_SIZE && BASTION_PARAM_VPCOUNT_SIZE == IGVM_PAGE_SIZE,
	       "parameter areas are one page each");
_Static_assert(BASTION_BOOT_STACK_SIZE % IGVM_PAGE_SIZE == 0 && BASTION_BOOT_STACK_OFFSET % IGVM_PAGE_SIZE == 0,
	       "boot stack is whole pages");
_Static_assert(BASTION_BOOT_STACK_OFFSET + BASTION_BOOT_STACK_SIZE <= BASTION_KERNEL_OFFSET &&
		       BASTION_BOOT_PGTABLE_OFFSET + 5 * IGVM_PAGE_SIZE <= BASTION_BOOT_STACK_OFFSET,
	       "fixed pages must not overlap the kernel");
_Static_assert(BASTION_SNP_VMSA_GPA == IGVM_SNP_VMSA_GPA, "VMSA GPA fixed by KVM (ABI 5.5)");
_Static_assert(BASTION_FIRMWARE_INFO_OFFSET >= BASTION_BOOT_PGTABLE_OFFSET + 5 * IGVM_PAGE_SIZE &&
		       BASTION_FIRMWARE_INFO_OFFSET + IGVM_PAGE_SIZE <= BASTION_BOOT_STACK_OFFSET,
	       "the boot_firmware_info page lies between the boot tables and the boot stack");

#define BOOT_STACK_PAGES (BASTION_BOOT_STACK_SIZE / IGVM_PAGE_SIZE)
/* SNP secrets + CPUID, boot tables, boot_firmware_info, boot stack. */
#define FIXED_PAGES (2u + BASTION_BOOT_PGTABLE_PAGES + 1u + BOOT_STACK_PAGES)

/* One PAGE_DATA directive before serialization. */
struct page_rec {
	uint64_t gpa;
	uint32_t mask;
	uint16_t data_type;
	const uint8_t *content; /* 4096 bytes, or NULL for a zero page */
	uint32_t file_offset;
};

/* Content-addressed store of the 4 KiB file-data blobs: identical pages share one offset. */
#define BLOB_BUCKETS 4096u

struct blob_store {
	const uint8_t **content;
	uint32_t *next; /* chain: index + 1, 0 ends */
	uint32_t buckets[BLOB_BUCKETS];
	uint32_t count;
	uint32_t cap;
	uint64_t data_start;
};

/* Formats a message into err. Always returns -1. */
static int __attribute__((format(printf, 3, 4))) build_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0) {
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Inputs: p, one 4 KiB page. Returns true if every byte is zero. No errors. */
static bool page_is_zero(const uint8_t *p)
{
	for (size_t i = 0; i < IGVM_PAGE_SIZE; i++) {
		if (p[i] != 0) {
			return false;
		}
	}
	return true;
}

/* Returns the file offset for content, storing it if no identical blob exists yet. */
static uint32_t blob_intern(struct blob_store *bs, const uint8_t *content)
{
	uint32_t bucket = crc32(content, IGVM_PAGE_SIZE) % BLOB_BUCKETS;

	for (uint32_t i = bs->buckets[bucket]; i != 0; i = bs->next[i - 1]) {
		if (memcmp(bs->content[i - 1], content, IGVM_PAGE_SIZE) == 0) {
			return (uint32_t)(bs->data_start + (uint64_t)(i - 1) * IGVM_PAGE_SIZE);
		}
	}
	/* cap is the number of candidate pages, so this never overflows. */
	bs->content[bs->count] = content;
	bs->next[bs->count] = bs->buckets[bucket];
	bs->count++;
	bs->buckets[bucket] = bs->count;
	return (uint32_t)(bs->data_start + (uint64_t)(bs->count - 1) * IGVM_PAGE_SIZE);
}

/* qsort comparator: orders struct page_rec by GPA. Returns <0, 0, >0. No errors. */
static int page_rec_cmp(const void *a, const void *b)
{
	const struct page_rec *pa = a;
	const struct page_rec *pb = b;

	return pa->gpa < pb->gpa ? -1 : pa->gpa > pb->gpa ? 1 : 0;
}

/* Size of a TLV with structure length len, padded to 8 bytes (ABI 5.2). */
static size_t tlv_size(uint32_t len)
{
	return IGVM_VH_TLV_SIZE + ((len + IGVM_TLV_ALIGN - 1) & ~(IGVM_TLV_ALIGN - 1));
}

/* Appends a TLV prefix at *pos and returns the structure's bytes (buffer is pre-zeroed). */
static uint8_t *put_tlv(uint8_t *buf, size_t *pos, uint32_t type, uint32_t len)
{
	uint8_t *p = buf + *pos;

	igvm_put_le32(p, type);
	igvm_put_le32(p + 4, len);
	*pos += tlv_size(len);
	return p + IGVM_VH_TLV_SIZE;
}

/* See igvm_build.h: the 5 boot page-table pages; no errors. */
void igvm_build_page_tables(uint8_t pages[5][IGVM_PAGE_SIZE])
{
	const uint64_t base = BASTION_REGION_GPA;
	uint8_t *pml4 = pages[0];
	uint8_t *pdpt_low = pages[1];
	uint8_t *pd_low = pages[2];
	uint8_t *pdpt_high = pages[3];
	uint8_t *pd_high = pages[4];

	memset(pages, 0, 5 * IGVM_PAGE_SIZE);
	igvm_put_le64(pml4 + 8 * PML4_INDEX(BASTION_REGION_GPA), (base + BASTION_BOOT_PDPT_LOW_OFFSET) | PTE_TABLE);
	igvm_put_le64(pml4 + 8 * PML4_INDEX(BASTION_VIRT_BASE), (base + BASTION_BOOT_PDPT_HIGH_OFFSET) | PTE_TABLE);
	igvm_put_le64(pdpt_low + 8 * PDPT_INDEX(BASTION_REGION_GPA), (base + BASTION_BOOT_PD_LOW_OFFSET) | PTE_TABLE);
	igvm_put_le64(pdpt_high + 8 * PDPT_INDEX(BASTION_VIRT_BASE), (base + BASTION_BOOT_PD_HIGH_OFFSET) | PTE_TABLE);
	for (uint64_t i = 0; i < REGION_2M_PAGES; i++) {
		uint64_t gpa = base + i * BUILD_SZ_2M;

		/* No NX bit: the same tables run the 32-bit stub, before EFER.NXE matters. */
		igvm_put_le64(pd_low + 8 * (PD_INDEX(gpa)), gpa | PTE_LEAF_2M);
		igvm_put_le64(pd_high + 8 * (PD_INDEX(BASTION_VIRT_BASE + i * BUILD_SZ_2M)), gpa | PTE_LEAF_2M);
	}
}

/* Writes one VMSA segment register (ABI 4.2: selector, attrib, limit, base). */
static void vmsa_set_seg(uint8_t *vmsa, uint32_t off, uint16_t selector, uint16_t attrib, uint32_t limit,
			 uint64_t base)
{
	igvm_put_le16(vmsa + off + IGVM_VMSA_SEG_SELECTOR, selector);
	igvm_put_le16(vmsa + off + IGVM_VMSA_SEG_ATTRIB, attrib);
	igvm_put_le32(vmsa + off + IGVM_VMSA_SEG_LIMIT, limit);
	igvm_put_le64(vmsa + off + IGVM_VMSA_SEG_BASE, base);
}

/* See igvm_build.h: the SNP boot VMSA for entry; no errors. */
void igvm_build_snp_vmsa(uint64_t entry, uint8_t vmsa[IGVM_VMSA_SIZE])
{
	static const uint32_t data_segs[] = { IGVM_VMSA_ES, IGVM_VMSA_SS, IGVM_VMSA_DS, IGVM_VMSA_FS, IGVM_VMSA_GS };

	/*
	 * 32-bit flat protected mode, paging off, like the native context; QEMU accepts only the
	 * fields listed in ABI 5.5, so everything else stays zero. Attributes use the VMSA's
	 * compressed 12-bit form (ABI 4.2): 0xC9B flat code, 0xC93 flat data.
	 */
	memset(vmsa, 0, IGVM_VMSA_SIZE);
	vmsa_set_seg(vmsa, IGVM_VMSA_CS, BASTION_BOOT_CS32, 0xC9B, 0xFFFFFFFFu, 0);
	for (size_t i = 0; i < sizeof(data_segs) / sizeof(data_segs[0]); i++) {
		vmsa_set_seg(vmsa, data_segs[i], BASTION_BOOT_DS, 0xC93, 0xFFFFFFFFu, 0);
	}
	vmsa_set_seg(vmsa, IGVM_VMSA_LDTR, 0, 0x82, 0xFFFF, 0);
	vmsa_set_seg(vmsa, IGVM_VMSA_TR, 0, 0x8B, 0xFFFF, 0);
	igvm_put_le64(vmsa + IGVM_VMSA_EFER, IGVM_X86_EFER_SVME | IGVM_X86_EFER_NXE | IGVM_X86_EFER_LME);
	igvm_put_le64(vmsa + IGVM_VMSA_CR4, IGVM_X86_CR4_PAE);
	igvm_put_le64(vmsa + IGVM_VMSA_CR3, BASTION_REGION_GPA + BASTION_BOOT_PML4_OFFSET);
	igvm_put_le64(vmsa + IGVM_VMSA_CR0, IGVM_X86_CR0_PE | IGVM_X86_CR0_ET | IGVM_X86_CR0_NE);
	igvm_put_le64(vmsa + IGVM_VMSA_DR7, 0x400);
	igvm_put_le64(vmsa + IGVM_VMSA_DR6, 0xFFFF0FF0);
	igvm_put_le64(vmsa + IGVM_VMSA_RFLAGS, IGVM_X86_RFLAGS_RESERVED1);
	igvm_put_le64(vmsa + IGVM_VMSA_RIP, entry);
	igvm_put_le64(vmsa + IGVM_VMSA_RAX, BASTION_PLATFORM_SNP);
	igvm_put_le64(vmsa + IGVM_VMSA_G_PAT, 0x0007040600070406ull);
	igvm_put_le64(vmsa + IGVM_VMSA_SEV_FEATURES, IGVM_SEV_FEATURE_SNP_ACTIVE);
	igvm_put_le64(vmsa + IGVM_VMSA_XCR0, 1);
	igvm_put_le32(vmsa + IGVM_VMSA_MXCSR, 0x1F80);
	igvm_put_le16(vmsa + IGVM_VMSA_X87_FCW, 0x37F);
	vmsa[IGVM_VMSA_VMPL] = 0;
}

/* See igvm_build.h: the native boot context for entry; no errors. */
void igvm_build_native_context(uint64_t entry, struct igvm_native_vp_context_x64 *ctx)
{
	/* Same 32-bit entry as SNP; within what igvm/reset_rom.h says the ROM can express. */
	memset(ctx, 0, sizeof(*ctx));
	ctx->rax = BASTION_PLATFORM_NATIVE;
	ctx->rip = entry;
	ctx->rflags = IGVM_X86_RFLAGS_RESERVED1;
	ctx->cr0 = IGVM_X86_CR0_PE | IGVM_X86_CR0_ET | IGVM_X86_CR0_NE;
	ctx->cr3 = BASTION_REGION_GPA + BASTION_BOOT_PML4_OFFSET;
	ctx->cr4 = IGVM_X86_CR4_PAE;
	ctx->efer = IGVM_X86_EFER_LME | IGVM_X86_EFER_NXE;
	ctx->code_selector = BASTION_BOOT_CS32;
	ctx->code_attributes = 0xC09B;
	ctx->code_base = 0;
	ctx->code_limit = 0xFFFFFFFFu;
	ctx->data_selector = BASTION_BOOT_DS;
	ctx->data_attributes = 0xC093;
	ctx->data_base = 0;
	ctx->data_limit = 0xFFFFFFFFu;
}

/* Everything igvm_build_image allocates, so one function can free it on every path. */
struct build_state {
	uint8_t *seg_pages;
	struct page_rec *recs;
	struct blob_store *blobs;
	uint8_t page_tables[5][IGVM_PAGE_SIZE];
	uint8_t firmware_info[IGVM_PAGE_SIZE];
	uint8_t vmsa[IGVM_VMSA_SIZE];
	uint8_t native[IGVM_PAGE_SIZE];
};

/* Frees st and everything it owns (NULL members allowed). No errors. */
static void build_state_free(struct build_state *st)
{
	free(st->seg_pages);
	if (st->blobs != NULL) {
		free(st->blobs->content);
		free(st->blobs->next);
	}
	free(st->blobs);
	free(st->recs);
	free(st);
}

/* Writes the headers before PAGE_DATA: platforms, policy, parameters, REQUIRED_MEMORY. */
static void emit_prologue(uint8_t *buf, size_t *pos)
{
	struct igvm_supported_platform plat = { 0 };
	struct igvm_guest_policy pol = { 0 };
	struct igvm_parameter_area area = { 0 };
	struct igvm_parameter param = { 0 };
	struct igvm_parameter_insert ins = { 0 };
	struct igvm_required_memory req = { 0 };

	plat.compatibility_mask = IGVM_BUILD_MASK_SNP;
	plat.platform_type = IGVM_PLATFORM_SEV_SNP;
	plat.platform_version = IGVM_PLATFORM_VERSION_1;
	igvm_encode_supported_platform(put_tlv(buf, pos, IGVM_VHT_SUPPORTED_PLATFORM, IGVM_SUPPORTED_PLATFORM_LEN), &plat);
	plat.compatibility_mask = IGVM_BUILD_MASK_NATIVE;
	plat.platform_type = IGVM_PLATFORM_NATIVE;
	igvm_encode_supported_platform(put_tlv(buf, pos, IGVM_VHT_SUPPORTED_PLATFORM, IGVM_SUPPORTED_PLATFORM_LEN), &plat);

	pol.policy = IGVM_BUILD_SNP_POLICY;
	pol.compatibility_mask = IGVM_BUILD_MASK_SNP;
	igvm_encode_guest_policy(put_tlv(buf, pos, IGVM_VHT_GUEST_POLICY, IGVM_GUEST_POLICY_LEN), &pol);

	/* Area 0: memory map, filled by the loader, inserted unmeasured at its fixed GPA. */
	area.number_of_bytes = BASTION_PARAM_MEMMAP_SIZE;
	area.parameter_area_index = 0;
	igvm_encode_parameter_area(put_tlv(buf, pos, IGVM_VHT_PARAMETER_AREA, IGVM_PARAMETER_AREA_LEN), &area);
	param.parameter_area_index = 0;
	igvm_encode_parameter(put_tlv(buf, pos, IGVM_VHT_MEMORY_MAP, IGVM_PARAMETER_LEN), &param);
	ins.gpa = BASTION_REGION_GPA + BASTION_PARAM_MEMMAP_OFFSET;
	ins.compatibility_mask = IGVM_BUILD_MASK_ALL;
	ins.parameter_area_index = 0;
	igvm_encode_parameter_insert(put_tlv(buf, pos, IGVM_VHT_PARAMETER_INSERT, IGVM_PARAMETER_INSERT_LEN), &ins);

	/* Area 1: vCPU count (u32 at offset 0). */
	area.number_of_bytes = BASTION_PARAM_VPCOUNT_SIZE;
	area.parameter_area_index = 1;
	igvm_encode_parameter_area(put_tlv(buf, pos, IGVM_VHT_PARAMETER_AREA, IGVM_PARAMETER_AREA_LEN), &area);
	param.parameter_area_index = 1;
	igvm_encode_parameter(put_tlv(buf, pos, IGVM_VHT_VP_COUNT_PARAMETER, IGVM_PARAMETER_LEN), &param);
	ins.gpa = BASTION_REGION_GPA + BASTION_PARAM_VPCOUNT_OFFSET;
	ins.parameter_area_index = 1;
	igvm_encode_parameter_insert(put_tlv(buf, pos, IGVM_VHT_PARAMETER_INSERT, IGVM_PARAMETER_INSERT_LEN), &ins);

	req.gpa = BASTION_REGION_GPA;
	req.compatibility_mask = IGVM_BUILD_MASK_ALL;
	req.number_of_bytes = BASTION_REGION_SIZE;
	igvm_encode_required_memory(put_tlv(buf, pos, IGVM_VHT_REQUIRED_MEMORY, IGVM_REQUIRED_MEMORY_LEN), &req);
}

/*
 * Fills st->recs with every PAGE_DATA of the image, unsorted. fw/fw_size is the firmware
 * (fw_size 0: none); its pages point into fw. Returns the count.
 */
static size_t collect_pages(struct build_state *st, const struct elf64_image *img, const uint8_t *fw,
			    size_t fw_size, const struct boot_firmware_info *fw_info)
{
	const uint64_t base = BASTION_REGION_GPA;
	struct page_rec *r = st->recs;
	size_t n = 0;
	uint8_t *seg_page = st->seg_pages;

	r[n++] = (struct page_rec){ base + BASTION_SNP_SECRETS_OFFSET, IGVM_BUILD_MASK_SNP, IGVM_PAGE_DATA_TYPE_SECRETS, NULL, 0 };
	r[n++] = (struct page_rec){ base + BASTION_SNP_CPUID_OFFSET, IGVM_BUILD_MASK_SNP, IGVM_PAGE_DATA_TYPE_CPUID_DATA, NULL, 0 };
	for (uint32_t i = 0; i < BASTION_BOOT_PGTABLE_PAGES; i++) {
		r[n++] = (struct page_rec){ base + BASTION_BOOT_PGTABLE_OFFSET + (uint64_t)i * IGVM_PAGE_SIZE,
					    IGVM_BUILD_MASK_ALL, IGVM_PAGE_DATA_TYPE_NORMAL, st->page_tables[i], 0 };
	}
	/* Measured, so that on SNP the launch digest vouches for what it says about the firmware. */
	r[n++] = (struct page_rec){ base + BASTION_FIRMWARE_INFO_OFFSET, IGVM_BUILD_MASK_ALL, IGVM_PAGE_DATA_TYPE_NORMAL,
				    st->firmware_info, 0 };
	/* The boot stack is measured as zero pages so its initial contents are attested. */
	for (uint32_t i = 0; i < BOOT_STACK_PAGES; i++) {
		r[n++] = (struct page_rec){ base + BASTION_BOOT_STACK_OFFSET + (uint64_t)i * IGVM_PAGE_SIZE,
					    IGVM_BUILD_MASK_ALL, IGVM_PAGE_DATA_TYPE_NORMAL, NULL, 0 };
	}
	for (uint32_t s = 0; s < img->segment_count; s++) {
		const struct elf64_segment *seg = &img->segments[s];
		uint64_t pages = (seg->memsz + IGVM_PAGE_SIZE - 1) / IGVM_PAGE_SIZE;

		for (uint64_t p = 0; p < pages; p++) {
			uint64_t off = p * IGVM_PAGE_SIZE;

			if (off < seg->filesz) {
				uint64_t len = seg->filesz - off;

				memcpy(seg_page, seg->data + off, len < IGVM_PAGE_SIZE ? len : IGVM_PAGE_SIZE);
			}
			r[n++] = (struct page_rec){ seg->paddr + off, IGVM_BUILD_MASK_ALL, IGVM_PAGE_DATA_TYPE_NORMAL,
						    seg_page, 0 };
			seg_page += IGVM_PAGE_SIZE;
		}
	}
	/* The firmware's own SNP CPUID page where its metadata asks for one (OVMF reads CPUID from
	 * it before it could ask anyone). Its secrets page is not a second SECRETS directive (the
	 * PSP fills exactly one per VM, Bastion's): Bastion writes the guest's copy at boot. */
	if (fw_info->cpuid_gpa != 0) {
		r[n++] = (struct page_rec){ fw_info->cpuid_gpa, IGVM_BUILD_MASK_SNP, IGVM_PAGE_DATA_TYPE_CPUID_DATA,
					    NULL, 0 };
	}
	/* Firmware pages: measured for both platforms, like a ROM whose contents are attested. */
	for (size_t off = 0; off < fw_size; off += IGVM_PAGE_SIZE) {
		r[n++] = (struct page_rec){ igvm_firmware_gpa(fw_size) + off, IGVM_BUILD_MASK_ALL,
					    IGVM_PAGE_DATA_TYPE_NORMAL, fw + off, 0 };
	}
	return n;
}

/* See igvm_build.h: build from a decoded image; 0, or -1 with err set. */
int igvm_build_image(struct elf64_image *img, uint8_t **out, size_t *out_size, char *err, size_t errlen)
{
	return igvm_build_image_with_firmware(img, NULL, 0, out, out_size, err, errlen);
}

/* See igvm_build.h: build from a decoded image and optional firmware; 0, or -1 with err set. */
int igvm_build_image_with_firmware(struct elf64_image *img, const uint8_t *fw, size_t fw_size, uint8_t **out,
				   size_t *out_size, char *err, size_t errlen)
{
	struct build_state *st;
	struct boot_firmware_info fw_info;
	struct igvm_native_vp_context_x64 native;
	struct igvm_fixed_header fh = { 0 };
	struct igvm_vp_context vp = { 0 };
	struct igvm_file parsed;
	struct igvm_error perr;
	uint64_t seg_page_count = 0;
	size_t page_count, vh_size, pos;
	uint64_t total;
	uint32_t vmsa_off, native_off;
	uint8_t *buf;

	*out = NULL;
	*out_size = 0;
	if (elf64_check_image(img, BASTION_REGION_GPA + BASTION_KERNEL_OFFSET, BASTION_REGION_GPA + BASTION_REGION_SIZE,
			      err, errlen) != 0) {
		return -1;
	}
	if (fw == NULL) {
		fw_size = 0;
	} else if (igvm_firmware_check(fw, fw_size, err, errlen) != 0) {
		return -1;
	}
	for (uint32_t s = 0; s < img->segment_count; s++) {
		/* Bounded by the region size, checked above. */
		seg_page_count += (img->segments[s].memsz + IGVM_PAGE_SIZE - 1) / IGVM_PAGE_SIZE;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		return build_fail(err, errlen, "out of memory");
	}
	/* fw_size is at most BASTION_FIRMWARE_MAX_SIZE here, so this cannot overflow. */
	page_count = FIXED_PAGES + (size_t)seg_page_count + fw_size / IGVM_PAGE_SIZE;
	igvm_firmware_info_init(fw, fw_size, &fw_info);
	if (fw_info.cpuid_gpa != 0) {
		page_count++;
	}
	st->seg_pages = calloc(seg_page_count, IGVM_PAGE_SIZE);
	st->recs = calloc(page_count, sizeof(*st->recs));
	st->blobs = calloc(1, sizeof(*st->blobs));
	if (st->seg_pages == NULL || st->recs == NULL || st->blobs == NULL) {
		build_state_free(st);
		return build_fail(err, errlen, "out of memory");
	}
	st->blobs->cap = (uint32_t)page_count + 2;
	st->blobs->content = calloc(st->blobs->cap, sizeof(*st->blobs->content));
	st->blobs->next = calloc(st->blobs->cap, sizeof(*st->blobs->next));
	if (st->blobs->content == NULL || st->blobs->next == NULL) {
		build_state_free(st);
		return build_fail(err, errlen, "out of memory");
	}

	igvm_build_page_tables(st->page_tables);
	igvm_firmware_info_encode(st->firmware_info, &fw_info);
	igvm_build_snp_vmsa(img->entry, st->vmsa);
	igvm_build_native_context(img->entry, &native);
	igvm_encode_native_vp_context(st->native, &native);

	if (collect_pages(st, img, fw, fw_size, &fw_info) != page_count) {
		build_state_free(st);
		return build_fail(err, errlen, "internal error: page count mismatch");
	}
	qsort(st->recs, page_count, sizeof(*st->recs), page_rec_cmp);
	for (size_t i = 1; i < page_count; i++) {
		if (st->recs[i].gpa == st->recs[i - 1].gpa) {
			build_state_free(st);
			return build_fail(err, errlen, "internal error: GPA 0x%llx is loaded twice",
					  (unsigned long long)st->recs[i].gpa);
		}
	}

	vh_size = 2 * tlv_size(IGVM_SUPPORTED_PLATFORM_LEN) + tlv_size(IGVM_GUEST_POLICY_LEN) +
		  2 * tlv_size(IGVM_PARAMETER_AREA_LEN) + 2 * tlv_size(IGVM_PARAMETER_LEN) +
		  2 * tlv_size(IGVM_PARAMETER_INSERT_LEN) + tlv_size(IGVM_REQUIRED_MEMORY_LEN) +
		  page_count * tlv_size(IGVM_PAGE_DATA_LEN) + 2 * tlv_size(IGVM_VP_CONTEXT_LEN);
	st->blobs->data_start = IGVM_FIXED_HEADER_SIZE + vh_size;
	for (size_t i = 0; i < page_count; i++) {
		struct page_rec *r = &st->recs[i];

		if (r->content != NULL && !page_is_zero(r->content)) {
			r->file_offset = blob_intern(st->blobs, r->content);
		}
	}
	vmsa_off = blob_intern(st->blobs, st->vmsa);
	native_off = blob_intern(st->blobs, st->native);
	total = st->blobs->data_start + (uint64_t)st->blobs->count * IGVM_PAGE_SIZE;
	if (total > 0xFFFFFFFFull) {
		build_state_free(st);
		return build_fail(err, errlen, "image of 0x%llx bytes exceeds the 4 GiB IGVM limit",
				  (unsigned long long)total);
	}
	buf = calloc(1, (size_t)total);
	if (buf == NULL) {
		build_state_free(st);
		return build_fail(err, errlen, "out of memory");
	}

	pos = IGVM_FIXED_HEADER_SIZE;
	emit_prologue(buf, &pos);
	for (size_t i = 0; i < page_count; i++) {
		struct igvm_page_data pd = { 0 };

		pd.gpa = st->recs[i].gpa;
		pd.compatibility_mask = st->recs[i].mask;
		pd.file_offset = st->recs[i].file_offset;
		pd.data_type = st->recs[i].data_type;
		igvm_encode_page_data(put_tlv(buf, &pos, IGVM_VHT_PAGE_DATA, IGVM_PAGE_DATA_LEN), &pd);
	}
	vp.gpa = BASTION_SNP_VMSA_GPA;
	vp.compatibility_mask = IGVM_BUILD_MASK_SNP;
	vp.file_offset = vmsa_off;
	igvm_encode_vp_context(put_tlv(buf, &pos, IGVM_VHT_VP_CONTEXT, IGVM_VP_CONTEXT_LEN), &vp);
	vp.gpa = 0;
	vp.compatibility_mask = IGVM_BUILD_MASK_NATIVE;
	vp.file_offset = native_off;
	igvm_encode_vp_context(put_tlv(buf, &pos, IGVM_VHT_VP_CONTEXT, IGVM_VP_CONTEXT_LEN), &vp);
	if (pos != st->blobs->data_start) {
		free(buf);
		build_state_free(st);
		return build_fail(err, errlen, "internal error: variable headers are 0x%zx bytes, expected 0x%zx",
				  pos - IGVM_FIXED_HEADER_SIZE, vh_size);
	}
	for (uint32_t i = 0; i < st->blobs->count; i++) {
		memcpy(buf + pos + (size_t)i * IGVM_PAGE_SIZE, st->blobs->content[i], IGVM_PAGE_SIZE);
	}
	build_state_free(st);

	fh.magic = IGVM_MAGIC;
	fh.format_version = IGVM_FORMAT_VERSION_1;
	fh.variable_header_offset = IGVM_FIXED_HEADER_SIZE;
	fh.variable_header_size = (uint32_t)vh_size;
	fh.total_file_size = (uint32_t)total;
	igvm_encode_fixed_header(buf, &fh);
	(void)igvm_update_checksum(buf, (size_t)total);

	if (igvm_parse(buf, (size_t)total, &parsed, &perr) != 0) {
		free(buf);
		return build_fail(err, errlen, "internal error: the built image fails validation at offset 0x%llx: %s",
				  (unsigned long long)perr.offset, perr.reason);
	}
	*out = buf;
	*out_size = (size_t)total;
	return 0;
}

/* See igvm_build.h: build from ELF bytes; 0, or -1 with err set. */
int igvm_build_from_elf(const uint8_t *elf, size_t elf_size, uint8_t **out, size_t *out_size, char *err,
			size_t errlen)
{
	return igvm_build_from_elf_with_firmware(elf, elf_size, NULL, 0, out, out_size, err, errlen);
}

/* See igvm_build.h: build from ELF bytes and optional firmware; 0, or -1 with err set. */
int igvm_build_from_elf_with_firmware(const uint8_t *elf, size_t elf_size, const uint8_t *fw, size_t fw_size,
				      uint8_t **out, size_t *out_size, char *err, size_t errlen)
{
	struct elf64_image img;

	*out = NULL;
	*out_size = 0;
	if (elf64_load(elf, elf_size, BASTION_REGION_GPA + BASTION_KERNEL_OFFSET,
		       BASTION_REGION_GPA + BASTION_REGION_SIZE, &img, err, errlen) != 0) {
		return -1;
	}
	return igvm_build_image_with_firmware(&img, fw, fw_size, out, out_size, err, errlen);
}
