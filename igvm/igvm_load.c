/*
 * NATIVE IGVM replay for QEMU without IGVM support. See igvm_load.h for the model and
 * igvm/reset_rom.h for what the reset ROM can express.
 */
#include "igvm/igvm_load.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/crc32.h"
#include "igvm/firmware.h"
#include "igvm/igvm_parse.h"
#include "kernel/image_layout.h"

#define LOAD_SZ_4G 0x100000000ull
/* q35: guests with at least this much RAM get only 2 GiB below 4 GiB (QEMU pc_q35 lowmem). */
#define LOAD_Q35_LOWMEM_LIMIT 0xB0000000ull
#define LOAD_Q35_LOWMEM_SPLIT 0x80000000ull

_Static_assert(offsetof(struct reset_rom_params, eip) == 0x28, "reset_rom.h offsets");
_Static_assert(offsetof(struct reset_rom_params, efer_hi) == 0x3C, "reset_rom.h offsets");
_Static_assert(offsetof(struct reset_rom_params, gdtr_limit) == 0x42, "reset_rom.h offsets");
_Static_assert(offsetof(struct reset_rom_params, idtr_base) == 0x4C, "reset_rom.h offsets");

struct load_area {
	uint32_t index;
	uint8_t *data;
	uint64_t size;
	bool inserted;
};

struct load_state {
	struct igvm_file file;
	struct igvm_ram_layout ram;
	uint32_t native_mask;
	struct load_area *areas;
	size_t area_count;
	uint64_t area_bytes;
	size_t blob_cap;
	size_t last_cap; /* capacity of the data buffer of the last blob */
	bool have_context;
	/* Firmware staging (fw_size 0: none). fw_have[i] marks page i as loaded. */
	uint64_t fw_gpa;
	uint64_t fw_size;
	uint64_t fw_staging;
	uint32_t fw_crc32;
	uint32_t fw_first_header; /* first firmware page directive, for messages */
	uint64_t fw_staged;       /* pages copied so far */
	uint8_t *fw_data;
	uint8_t *fw_have;
};

/* Formats a message into err. Always returns -1. */
static int __attribute__((format(printf, 3, 4))) load_fail(char *err, size_t errlen, const char *fmt, ...)
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

/* See igvm_load.h: q35 RAM split for mem_bytes; no errors. */
void igvm_load_ram_layout(uint64_t mem_bytes, struct igvm_ram_layout *ram)
{
	if (mem_bytes < LOAD_Q35_LOWMEM_LIMIT) {
		ram->below_4g = mem_bytes;
		ram->above_4g = 0;
	} else {
		ram->below_4g = LOAD_Q35_LOWMEM_SPLIT;
		ram->above_4g = mem_bytes - LOAD_Q35_LOWMEM_SPLIT;
	}
}

/* See igvm_load.h: MEMORY_MAP entries for ram, at most max; returns the count. */
size_t igvm_load_memory_map(const struct igvm_ram_layout *ram, struct igvm_memory_map_entry *entries, size_t max)
{
	size_t n = 0;

	if (ram->below_4g / IGVM_PAGE_SIZE != 0 && n < max) {
		memset(&entries[n], 0, sizeof(entries[n]));
		entries[n].starting_gpa_page_number = 0;
		entries[n].number_of_pages = ram->below_4g / IGVM_PAGE_SIZE;
		entries[n].entry_type = IGVM_MEMORY_MAP_MEMORY;
		n++;
	}
	if (ram->above_4g / IGVM_PAGE_SIZE != 0 && n < max) {
		memset(&entries[n], 0, sizeof(entries[n]));
		entries[n].starting_gpa_page_number = LOAD_SZ_4G / IGVM_PAGE_SIZE;
		entries[n].number_of_pages = ram->above_4g / IGVM_PAGE_SIZE;
		entries[n].entry_type = IGVM_MEMORY_MAP_MEMORY;
		n++;
	}
	return n;
}

/* See igvm_load.h: top of low RAM minus size, or UINT64_MAX if it does not fit. */
uint64_t igvm_load_firmware_staging_gpa(const struct igvm_ram_layout *ram, uint64_t size)
{
	uint64_t top = ram->below_4g & ~(uint64_t)(IGVM_PAGE_SIZE - 1);

	return size <= top ? top - size : UINT64_MAX;
}

/* True if the half-open ranges [a, a + as) and [b, b + bs) intersect (no overflow). */
static bool ranges_overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a >= b ? a - b < bs : b - a < as;
}

/* True if [gpa, gpa + size) lies entirely inside one RAM range of ram. */
static bool in_ram(const struct igvm_ram_layout *ram, uint64_t gpa, uint64_t size)
{
	if (size > UINT64_MAX - gpa) {
		return false;
	}
	if (gpa + size <= ram->below_4g) {
		return true;
	}
	return gpa >= LOAD_SZ_4G && gpa - LOAD_SZ_4G <= ram->above_4g && size <= ram->above_4g - (gpa - LOAD_SZ_4G);
}

/* Checks a value the ROM holds in a 32-bit field. */
static int fits32(uint64_t v, const char *name, char *err, size_t errlen)
{
	if (v > 0xFFFFFFFFull) {
		return load_fail(err, errlen,
				 "native VP context cannot be expressed by the reset ROM: %s 0x%" PRIx64 " does not fit in 32 bits",
				 name, v);
	}
	return 0;
}

/* See igvm_load.h: native context to ROM parameter block; 0, or -1 with err set. */
int igvm_load_rom_params(const struct igvm_native_vp_context_x64 *ctx, struct reset_rom_params *p, char *err,
			 size_t errlen)
{
	const uint64_t high_gprs[8] = { ctx->r8, ctx->r9, ctx->r10, ctx->r11, ctx->r12, ctx->r13, ctx->r14, ctx->r15 };
	const struct {
		uint64_t v;
		const char *name;
	} narrow[] = {
		{ ctx->rax, "RAX" },
		{ ctx->rcx, "RCX" },
		{ ctx->rdx, "RDX" },
		{ ctx->rbx, "RBX" },
		{ ctx->rsp, "RSP" },
		{ ctx->rbp, "RBP" },
		{ ctx->rsi, "RSI" },
		{ ctx->rdi, "RDI" },
		{ ctx->rip, "RIP" },
		{ ctx->cr0, "CR0" },
		{ ctx->cr3, "CR3" },
		{ ctx->cr4, "CR4" },
		{ ctx->gdtr_base, "GDTR base" },
		{ ctx->idtr_base, "IDTR base" },
	};

	memset(p, 0, sizeof(*p));
	if ((ctx->cr0 & IGVM_X86_CR0_PG) != 0) {
		return load_fail(err, errlen,
				 "native VP context cannot be expressed by the reset ROM: CR0 0x%" PRIx64 " has PG set; the ROM starts the kernel in 32-bit protected mode with paging off (igvm/reset_rom.h)",
				 ctx->cr0);
	}
	if ((ctx->cr0 & IGVM_X86_CR0_PE) == 0) {
		return load_fail(err, errlen,
				 "native VP context cannot be expressed by the reset ROM: CR0 0x%" PRIx64 " has PE clear; the ROM only enters 32-bit protected mode",
				 ctx->cr0);
	}
	if (ctx->code_selector != BASTION_BOOT_CS32 || ctx->code_attributes != 0xC09B || ctx->code_base != 0 ||
	    ctx->code_limit != 0xFFFFFFFFu) {
		return load_fail(err, errlen,
				 "native VP context cannot be expressed by the reset ROM: code segment selector 0x%x attributes 0x%x base 0x%x limit 0x%x; the ROM provides only selector 0x%x, attributes 0xc09b, base 0, limit 0xffffffff",
				 ctx->code_selector, ctx->code_attributes, ctx->code_base, ctx->code_limit,
				 BASTION_BOOT_CS32);
	}
	if (ctx->data_selector != BASTION_BOOT_DS || ctx->data_attributes != 0xC093 || ctx->data_base != 0 ||
	    ctx->data_limit != 0xFFFFFFFFu) {
		return load_fail(err, errlen,
				 "native VP context cannot be expressed by the reset ROM: data segment selector 0x%x attributes 0x%x base 0x%x limit 0x%x; the ROM provides only selector 0x%x, attributes 0xc093, base 0, limit 0xffffffff",
				 ctx->data_selector, ctx->data_attributes, ctx->data_base, ctx->data_limit,
				 BASTION_BOOT_DS);
	}
	for (size_t i = 0; i < sizeof(narrow) / sizeof(narrow[0]); i++) {
		if (fits32(narrow[i].v, narrow[i].name, err, errlen) != 0) {
			return -1;
		}
	}
	for (unsigned int i = 0; i < 8; i++) {
		if (high_gprs[i] != 0) {
			return load_fail(err, errlen,
					 "native VP context cannot be expressed by the reset ROM: R%u is 0x%" PRIx64 "; the ROM cannot set R8-R15",
					 i + 8, high_gprs[i]);
		}
	}
	if (ctx->rflags != IGVM_X86_RFLAGS_RESERVED1) {
		return load_fail(err, errlen,
				 "native VP context cannot be expressed by the reset ROM: RFLAGS 0x%" PRIx64 "; the ROM provides only 0x2",
				 ctx->rflags);
	}
	if (ctx->gs_base != 0) {
		return load_fail(err, errlen,
				 "native VP context cannot be expressed by the reset ROM: GS base 0x%" PRIx64 " is not 0",
				 ctx->gs_base);
	}
	p->magic = RESET_ROM_MAGIC;
	p->version = RESET_ROM_VERSION;
	p->eax = (uint32_t)ctx->rax;
	p->ecx = (uint32_t)ctx->rcx;
	p->edx = (uint32_t)ctx->rdx;
	p->ebx = (uint32_t)ctx->rbx;
	p->esp = (uint32_t)ctx->rsp;
	p->ebp = (uint32_t)ctx->rbp;
	p->esi = (uint32_t)ctx->rsi;
	p->edi = (uint32_t)ctx->rdi;
	p->eip = (uint32_t)ctx->rip;
	p->cr0 = (uint32_t)ctx->cr0;
	p->cr3 = (uint32_t)ctx->cr3;
	p->cr4 = (uint32_t)ctx->cr4;
	p->efer_lo = (uint32_t)ctx->efer;
	p->efer_hi = (uint32_t)(ctx->efer >> 32);
	p->gdtr_limit = ctx->gdtr_limit;
	p->gdtr_base = (uint32_t)ctx->gdtr_base;
	p->idtr_limit = ctx->idtr_limit;
	p->idtr_base = (uint32_t)ctx->idtr_base;
	return 0;
}

#define ROM_PUT32(rom, field, v) igvm_put_le32((rom) + offsetof(struct reset_rom_params, field), (v))
#define ROM_PUT16(rom, field, v) igvm_put_le16((rom) + offsetof(struct reset_rom_params, field), (v))

/* See igvm_load.h: check the template, write the block; 0, or -1 with err set. */
int igvm_load_patch_rom(uint8_t *rom, size_t rom_size, const struct reset_rom_params *p, char *err, size_t errlen)
{
	uint32_t magic, version;

	if (rom_size != RESET_ROM_SIZE) {
		return load_fail(err, errlen, "reset ROM template is %zu bytes, expected 0x%x", rom_size, RESET_ROM_SIZE);
	}
	magic = igvm_get_le32(rom + offsetof(struct reset_rom_params, magic));
	version = igvm_get_le32(rom + offsetof(struct reset_rom_params, version));
	if (magic != RESET_ROM_MAGIC) {
		return load_fail(err, errlen, "reset ROM template has magic 0x%08x, expected 0x%08x (\"BRST\")", magic,
				 RESET_ROM_MAGIC);
	}
	if (version != RESET_ROM_VERSION) {
		return load_fail(err, errlen, "reset ROM template has version %u, igvmload speaks version %u", version,
				 RESET_ROM_VERSION);
	}
	ROM_PUT32(rom, eax, p->eax);
	ROM_PUT32(rom, ecx, p->ecx);
	ROM_PUT32(rom, edx, p->edx);
	ROM_PUT32(rom, ebx, p->ebx);
	ROM_PUT32(rom, esp, p->esp);
	ROM_PUT32(rom, ebp, p->ebp);
	ROM_PUT32(rom, esi, p->esi);
	ROM_PUT32(rom, edi, p->edi);
	ROM_PUT32(rom, eip, p->eip);
	ROM_PUT32(rom, cr0, p->cr0);
	ROM_PUT32(rom, cr3, p->cr3);
	ROM_PUT32(rom, cr4, p->cr4);
	ROM_PUT32(rom, efer_lo, p->efer_lo);
	ROM_PUT32(rom, efer_hi, p->efer_hi);
	ROM_PUT16(rom, reserved0, 0);
	ROM_PUT16(rom, gdtr_limit, p->gdtr_limit);
	ROM_PUT32(rom, gdtr_base, p->gdtr_base);
	ROM_PUT16(rom, reserved1, 0);
	ROM_PUT16(rom, idtr_limit, p->idtr_limit);
	ROM_PUT32(rom, idtr_base, p->idtr_base);
	return 0;
}

/* See igvm_load.h: frees a result (zeroed or filled); no errors. */
void igvm_load_result_free(struct igvm_load_result *res)
{
	for (size_t i = 0; i < res->blob_count; i++) {
		free(res->blobs[i].data);
	}
	free(res->blobs);
	free(res->rom);
	memset(res, 0, sizeof(*res));
}

/*
 * Appends len bytes (NULL = zeros) destined for gpa. Extends the last blob when gpa follows it
 * directly (QEMU merges such page runs too), else starts a new blob. Returns 0 or -1 (OOM).
 */
static int emit(struct load_state *st, struct igvm_load_result *res, uint64_t gpa, const uint8_t *bytes, size_t len,
		uint32_t header)
{
	struct igvm_load_blob *last = res->blob_count > 0 ? &res->blobs[res->blob_count - 1] : NULL;

	if (last == NULL || last->gpa + last->size != gpa) {
		if (res->blob_count == st->blob_cap) {
			size_t cap = st->blob_cap == 0 ? 16 : st->blob_cap * 2;
			struct igvm_load_blob *nb = realloc(res->blobs, cap * sizeof(*nb));

			if (nb == NULL) {
				return -1;
			}
			res->blobs = nb;
			st->blob_cap = cap;
		}
		last = &res->blobs[res->blob_count++];
		memset(last, 0, sizeof(*last));
		last->gpa = gpa;
		last->first_header = header;
		st->last_cap = 0;
	}
	if (last->size + len > st->last_cap) {
		size_t cap = st->last_cap == 0 ? 65536 : st->last_cap;
		uint8_t *nd;

		while (cap < last->size + len) {
			cap *= 2;
		}
		nd = realloc(last->data, cap);
		if (nd == NULL) {
			return -1;
		}
		last->data = nd;
		st->last_cap = cap;
	}
	if (bytes != NULL) {
		memcpy(last->data + last->size, bytes, len);
	} else {
		memset(last->data + last->size, 0, len);
	}
	last->size += len;
	return 0;
}

/* Inputs: st, an area index. Returns the declared area, or NULL if none. No errors. */
static struct load_area *find_area(struct load_state *st, uint32_t index)
{
	for (size_t i = 0; i < st->area_count; i++) {
		if (st->areas[i].index == index) {
			return &st->areas[i];
		}
	}
	return NULL;
}

/* Handles the PARAMETER users: MEMORY_MAP, VP_COUNT, ENVIRONMENT_INFO (ABI 5.5 table). */
static int load_parameter(struct load_state *st, const struct igvm_header *h, const struct igvm_load_options *opt,
			  char *err, size_t errlen)
{
	struct load_area *a = find_area(st, h->u.parameter.parameter_area_index);
	uint64_t off = h->u.parameter.byte_offset;

	if (a == NULL) {
		return load_fail(err, errlen, "header %u: parameter area %u is unknown", h->index,
				 h->u.parameter.parameter_area_index);
	}
	switch (h->type) {
	case IGVM_VHT_MEMORY_MAP: {
		struct igvm_memory_map_entry entries[2];
		size_t n = igvm_load_memory_map(&st->ram, entries, 2);
		uint64_t need = (uint64_t)(n + 1) * IGVM_MEMORY_MAP_ENTRY_LEN;

		if (off > a->size || need > a->size - off) {
			return load_fail(err, errlen,
					 "header %u (MEMORY_MAP): parameter area %u (0x%" PRIx64 " bytes) is too small for %zu memory map entries and the terminator at byte offset 0x%" PRIx64,
					 h->index, a->index, a->size, n, off);
		}
		for (size_t i = 0; i < n; i++) {
			igvm_encode_memory_map_entry(a->data + off + i * IGVM_MEMORY_MAP_ENTRY_LEN, &entries[i]);
		}
		memset(a->data + off + n * IGVM_MEMORY_MAP_ENTRY_LEN, 0, IGVM_MEMORY_MAP_ENTRY_LEN);
		return 0;
	}
	case IGVM_VHT_VP_COUNT_PARAMETER:
	case IGVM_VHT_ENVIRONMENT_INFO_PARAMETER:
		if (off > a->size || a->size - off < 4) {
			return load_fail(err, errlen, "header %u (%s): byte offset 0x%" PRIx64 " leaves no room for a u32",
					 h->index, igvm_header_type_name(h->type), off);
		}
		/* ENVIRONMENT_INFO bit 0 = memory_is_shared; QEMU sets it on every platform. */
		igvm_put_le32(a->data + off, h->type == IGVM_VHT_VP_COUNT_PARAMETER ? opt->smp : 1u);
		return 0;
	default:
		return load_fail(err, errlen, "header %u: igvmload does not support %s parameters", h->index,
				 igvm_header_type_name(h->type));
	}
}

/*
 * Turns the NATIVE VP context h into res->rom_params. Inputs: st, h. Output: res->rom_params.
 * Returns 0, or -1 with err set: vp_index other than 0, context not expressible by the ROM.
 */
static int load_vp_context(struct load_state *st, struct igvm_load_result *res, const struct igvm_header *h,
			   char *err, size_t errlen)
{
	const struct igvm_vp_context *vp = &h->u.vp_context;
	const uint8_t *data = igvm_file_bytes(&st->file, vp->file_offset, IGVM_PAGE_SIZE);
	struct igvm_native_vp_context_x64 ctx;

	if (vp->vp_index != 0) {
		return load_fail(err, errlen,
				 "header %u (VP_CONTEXT): context for vp %u; the reset ROM can only start vp 0 (QEMU starts the others at reset)",
				 h->index, vp->vp_index);
	}
	if (data == NULL) {
		return load_fail(err, errlen, "header %u (VP_CONTEXT): context data outside the file", h->index);
	}
	igvm_decode_native_vp_context(data, &ctx);
	if (igvm_load_rom_params(&ctx, &res->rom_params, err, errlen) != 0) {
		return -1;
	}
	st->have_context = true;
	return 0;
}

/*
 * Finds the NATIVE boot_firmware_info page and, if it names a firmware image, prepares the
 * staging copy. A page without the "BFWI" magic is not a descriptor (the file is then treated
 * as having no firmware); a descriptor that fails igvm_firmware_info_check is refused.
 * Returns 0, or -1 with err set (bad descriptor, no room in low RAM, out of memory).
 */
static int prepare_firmware(struct load_state *st, char *err, size_t errlen)
{
	struct boot_firmware_info info;
	struct igvm_iter it;
	struct igvm_header h;
	const uint8_t *page = NULL;
	uint32_t index = 0;
	char why[200];

	igvm_iter_init(&it, &st->file);
	while (igvm_iter_next(&it, &h)) {
		if (h.type == IGVM_VHT_PAGE_DATA && h.u.page_data.gpa == IGVM_FIRMWARE_INFO_GPA &&
		    (h.u.page_data.compatibility_mask & st->native_mask) != 0) {
			/* file_offset 0 (a zero page) has no magic, so it means "no firmware". */
			page = igvm_file_bytes(&st->file, h.u.page_data.file_offset, BOOT_FIRMWARE_INFO_SIZE);
			index = h.index;
			break;
		}
	}
	if (page == NULL) {
		return 0;
	}
	igvm_firmware_info_decode(page, &info);
	if (info.magic != BOOT_FIRMWARE_INFO_MAGIC) {
		return 0;
	}
	if (igvm_firmware_info_check(&info, why, sizeof(why)) != 0) {
		return load_fail(err, errlen, "header %u: boot_firmware_info at GPA 0x%" PRIx64 ": %s", index,
				 IGVM_FIRMWARE_INFO_GPA, why);
	}
	if (info.size == 0) {
		return 0;
	}
	st->fw_staging = igvm_load_firmware_staging_gpa(&st->ram, info.size);
	if (st->fw_staging == UINT64_MAX) {
		return load_fail(err, errlen,
				 "the 0x%" PRIx64 "-byte firmware staging copy does not fit in the 0x%" PRIx64 " bytes of RAM below 4 GiB: give QEMU more memory with -m",
				 info.size, st->ram.below_4g);
	}
	st->fw_gpa = info.gpa;
	st->fw_size = info.size;
	st->fw_crc32 = info.crc32;
	st->fw_data = calloc(1, (size_t)info.size);
	st->fw_have = calloc(1, (size_t)(info.size / IGVM_PAGE_SIZE));
	if (st->fw_data == NULL || st->fw_have == NULL) {
		return load_fail(err, errlen, "out of memory");
	}
	return 0;
}

/* Copies one NATIVE firmware page into the staging copy. Returns 0, or -1 with err set. */
static int stage_firmware_page(struct load_state *st, const struct igvm_header *h, const uint8_t *bytes, char *err,
			       size_t errlen)
{
	uint64_t page = (h->u.page_data.gpa - st->fw_gpa) / IGVM_PAGE_SIZE;

	if (st->fw_have[page] != 0) {
		/* igvm_parse already refuses this; kept so a stray duplicate can never go unnoticed. */
		return load_fail(err, errlen, "header %u: firmware page 0x%" PRIx64 " is loaded twice", h->index,
				 h->u.page_data.gpa);
	}
	if (bytes != NULL) {
		memcpy(st->fw_data + page * IGVM_PAGE_SIZE, bytes, IGVM_PAGE_SIZE);
	}
	if (st->fw_staged == 0) {
		st->fw_first_header = h->index;
	}
	st->fw_staged++;
	st->fw_have[page] = 1;
	return 0;
}

/*
 * After the directives: checks the staging copy is complete, matches the descriptor's CRC-32
 * and lands on RAM nothing else uses, then adds it as a blob and reports it in res.
 * Returns 0, or -1 with err set.
 */
static int finish_firmware(struct load_state *st, struct igvm_load_result *res, char *err, size_t errlen)
{
	struct igvm_load_blob *b;
	uint32_t crc;

	if (st->fw_size == 0) {
		return 0;
	}
	for (uint64_t i = 0; i < st->fw_size / IGVM_PAGE_SIZE; i++) {
		if (st->fw_have[i] == 0) {
			return load_fail(err, errlen,
					 "firmware page at GPA 0x%" PRIx64 " (boot_firmware_info says 0x%" PRIx64 "+0x%" PRIx64 ") has no NATIVE page data",
					 st->fw_gpa + i * IGVM_PAGE_SIZE, st->fw_gpa, st->fw_size);
		}
	}
	crc = crc32(st->fw_data, (size_t)st->fw_size);
	if (crc != st->fw_crc32) {
		return load_fail(err, errlen,
				 "the firmware pages have CRC-32 0x%08x but boot_firmware_info says 0x%08x: the file data is damaged (the IGVM checksum does not cover it)",
				 crc, st->fw_crc32);
	}
	for (size_t i = 0; i < res->blob_count; i++) {
		if (ranges_overlap(res->blobs[i].gpa, res->blobs[i].size, st->fw_staging, st->fw_size)) {
			return load_fail(err, errlen,
					 "no room for the firmware staging copy at the top of low RAM (0x%" PRIx64 "+0x%" PRIx64 "): it would overlap data at 0x%" PRIx64 "+0x%zx (header %u); give QEMU more memory with -m",
					 st->fw_staging, st->fw_size, res->blobs[i].gpa, res->blobs[i].size,
					 res->blobs[i].first_header);
		}
	}
	if (res->blob_count == st->blob_cap) {
		size_t cap = st->blob_cap == 0 ? 16 : st->blob_cap * 2;
		struct igvm_load_blob *nb = realloc(res->blobs, cap * sizeof(*nb));

		if (nb == NULL) {
			return load_fail(err, errlen, "out of memory");
		}
		res->blobs = nb;
		st->blob_cap = cap;
	}
	b = &res->blobs[res->blob_count++];
	b->gpa = st->fw_staging;
	b->size = (size_t)st->fw_size;
	b->data = st->fw_data;
	b->first_header = st->fw_first_header;
	st->fw_data = NULL; /* now owned by res */
	res->firmware_gpa = st->fw_gpa;
	res->firmware_size = st->fw_size;
	res->firmware_staging_gpa = st->fw_staging;
	return 0;
}

/* One directive of the NATIVE platform, in file order. */
static int load_header(struct load_state *st, struct igvm_load_result *res, const struct igvm_header *h,
		       const struct igvm_load_options *opt, char *err, size_t errlen)
{
	switch (h->type) {
	case IGVM_VHT_SUPPORTED_PLATFORM:
	case IGVM_VHT_GUEST_POLICY:
		return 0;
	case IGVM_VHT_PARAMETER_AREA: {
		struct load_area *a;

		/* Area contents in the file are ignored, as QEMU does (ABI 5.5). */
		if (st->area_count >= IGVM_LOAD_MAX_AREAS) {
			return load_fail(err, errlen, "header %u: more than %u parameter areas", h->index,
					 IGVM_LOAD_MAX_AREAS);
		}
		if (h->u.parameter_area.number_of_bytes > IGVM_LOAD_MAX_AREA_BYTES - st->area_bytes) {
			return load_fail(err, errlen, "header %u: parameter areas exceed igvmload's limit of 0x%llx bytes",
					 h->index, IGVM_LOAD_MAX_AREA_BYTES);
		}
		a = &st->areas[st->area_count];
		a->index = h->u.parameter_area.parameter_area_index;
		a->size = h->u.parameter_area.number_of_bytes;
		a->inserted = false;
		a->data = calloc(1, (size_t)a->size);
		if (a->data == NULL) {
			return load_fail(err, errlen, "out of memory");
		}
		st->area_count++;
		st->area_bytes += a->size;
		return 0;
	}
	case IGVM_VHT_PARAMETER_INSERT: {
		struct load_area *a;

		if ((h->u.parameter_insert.compatibility_mask & st->native_mask) == 0) {
			return 0;
		}
		a = find_area(st, h->u.parameter_insert.parameter_area_index);
		if (a == NULL || a->inserted) {
			return load_fail(err, errlen, "header %u: parameter area %u is not available", h->index,
					 h->u.parameter_insert.parameter_area_index);
		}
		a->inserted = true;
		if (emit(st, res, h->u.parameter_insert.gpa, a->data, (size_t)a->size, h->index) != 0) {
			return load_fail(err, errlen, "out of memory");
		}
		return 0;
	}
	case IGVM_VHT_PAGE_DATA: {
		const struct igvm_page_data *pd = &h->u.page_data;
		const uint8_t *bytes = NULL;

		if ((pd->compatibility_mask & st->native_mask) == 0) {
			return 0;
		}
		if (pd->file_offset != 0) {
			bytes = igvm_file_bytes(&st->file, pd->file_offset, IGVM_PAGE_SIZE);
			if (bytes == NULL) {
				return load_fail(err, errlen, "header %u: page data outside the file", h->index);
			}
		}
		if (st->fw_size != 0 && pd->gpa >= st->fw_gpa && pd->gpa - st->fw_gpa < st->fw_size) {
			return stage_firmware_page(st, h, bytes, err, errlen);
		}
		if (emit(st, res, pd->gpa, bytes, IGVM_PAGE_SIZE, h->index) != 0) {
			return load_fail(err, errlen, "out of memory");
		}
		return 0;
	}
	case IGVM_VHT_REQUIRED_MEMORY: {
		const struct igvm_required_memory *rm = &h->u.required_memory;

		if ((rm->compatibility_mask & st->native_mask) == 0) {
			return 0;
		}
		if (!in_ram(&st->ram, rm->gpa, rm->number_of_bytes)) {
			return load_fail(err, errlen,
					 "Bastion's region 0x%" PRIx64 "+0x%x is not backed by RAM: give QEMU more memory with -m (and the same --mem-mib to igvmload)",
					 rm->gpa, rm->number_of_bytes);
		}
		/* The region's free part gets no blob, so check it here rather than in finish_firmware. */
		if (st->fw_size != 0 && ranges_overlap(rm->gpa, rm->number_of_bytes, st->fw_staging, st->fw_size)) {
			return load_fail(err, errlen,
					 "no room for the firmware staging copy at the top of low RAM (0x%" PRIx64 "+0x%" PRIx64 "): it would overlap Bastion's region 0x%" PRIx64 "+0x%x; give QEMU at least %" PRIu64 " MiB with -m",
					 st->fw_staging, st->fw_size, rm->gpa, rm->number_of_bytes,
					 (rm->gpa + rm->number_of_bytes + st->fw_size + (1u << 20) - 1) >> 20);
		}
		return 0;
	}
	case IGVM_VHT_VP_CONTEXT:
		if ((h->u.vp_context.compatibility_mask & st->native_mask) == 0) {
			return 0;
		}
		return load_vp_context(st, res, h, err, errlen);
	default:
		/* Every remaining type igvm_parse accepts is a PARAMETER user. */
		return load_parameter(st, h, opt, err, errlen);
	}
}

/* qsort comparator: orders loader blobs by GPA. Returns <0, 0, >0. No errors. */
static int blob_cmp(const void *a, const void *b)
{
	const struct igvm_load_blob *ba = a;
	const struct igvm_load_blob *bb = b;

	return ba->gpa < bb->gpa ? -1 : ba->gpa > bb->gpa ? 1 : 0;
}

/*
 * Sorts the blobs, checks they neither overlap (QEMU refuses overlapping loader blobs) nor
 * miss RAM, and merges blobs that turn out GPA-contiguous only after sorting.
 */
static int finish_blobs(struct load_state *st, struct igvm_load_result *res, char *err, size_t errlen)
{
	size_t out = 0;

	qsort(res->blobs, res->blob_count, sizeof(*res->blobs), blob_cmp);
	for (size_t i = 0; i < res->blob_count; i++) {
		struct igvm_load_blob *b = &res->blobs[i];

		if (!in_ram(&st->ram, b->gpa, b->size)) {
			return load_fail(err, errlen,
					 "data at GPA 0x%" PRIx64 "+0x%zx (header %u) is not backed by RAM: give QEMU more memory with -m",
					 b->gpa, b->size, b->first_header);
		}
		if (i > 0 && b->gpa - res->blobs[i - 1].gpa < res->blobs[i - 1].size) {
			return load_fail(err, errlen,
					 "GPA 0x%" PRIx64 " is written twice (headers %u and %u); QEMU refuses overlapping loader blobs",
					 b->gpa, res->blobs[i - 1].first_header, b->first_header);
		}
	}
	for (size_t i = 0; i < res->blob_count; i++) {
		struct igvm_load_blob *b = &res->blobs[i];
		struct igvm_load_blob *p = out > 0 ? &res->blobs[out - 1] : NULL;

		if (p != NULL && p->gpa + p->size == b->gpa) {
			uint8_t *nd = realloc(p->data, p->size + b->size);

			if (nd == NULL) {
				res->blob_count = out + (res->blob_count - i);
				memmove(&res->blobs[out], b, (res->blob_count - out) * sizeof(*b));
				return load_fail(err, errlen, "out of memory");
			}
			memcpy(nd + p->size, b->data, b->size);
			p->data = nd;
			p->size += b->size;
			free(b->data);
			b->data = NULL;
		} else {
			res->blobs[out++] = *b;
		}
	}
	res->blob_count = out;
	return 0;
}

/* See igvm_load.h: NATIVE replay; 0, or -1 with err set (res freed). */
int igvm_load(const uint8_t *file, size_t size, const uint8_t *rom_template, size_t rom_size,
	      const struct igvm_load_options *opt, struct igvm_load_result *res, char *err, size_t errlen)
{
	struct load_state *st;
	struct igvm_error perr;
	const struct igvm_platform *native;
	struct igvm_iter it;
	struct igvm_header h;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (opt->smp == 0) {
		return load_fail(err, errlen, "the vCPU count must be at least 1");
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		return load_fail(err, errlen, "out of memory");
	}
	if (igvm_parse(file, size, &st->file, &perr) != 0) {
		load_fail(err, errlen, "invalid IGVM file: offset 0x%" PRIx64 ": %s", perr.offset, perr.reason);
		goto out;
	}
	native = igvm_find_platform(&st->file, IGVM_PLATFORM_NATIVE);
	if (native == NULL) {
		load_fail(err, errlen, "the file declares no NATIVE platform; igvmload only replays NATIVE directives");
		goto out;
	}
	st->native_mask = native->mask;
	igvm_load_ram_layout(opt->mem_bytes, &st->ram);
	st->areas = calloc(IGVM_LOAD_MAX_AREAS, sizeof(*st->areas));
	if (st->areas == NULL) {
		load_fail(err, errlen, "out of memory");
		goto out;
	}
	if (prepare_firmware(st, err, errlen) != 0) {
		goto out;
	}
	igvm_iter_init(&it, &st->file);
	while (igvm_iter_next(&it, &h)) {
		if (load_header(st, res, &h, opt, err, errlen) != 0) {
			goto out;
		}
	}
	if (!st->have_context) {
		load_fail(err, errlen, "the file has no NATIVE VP context for vp 0; the reset ROM needs one");
		goto out;
	}
	if (finish_firmware(st, res, err, errlen) != 0 || finish_blobs(st, res, err, errlen) != 0) {
		goto out;
	}
	res->rom = malloc(RESET_ROM_SIZE);
	if (res->rom == NULL) {
		load_fail(err, errlen, "out of memory");
		goto out;
	}
	if (rom_size != RESET_ROM_SIZE) {
		load_fail(err, errlen, "reset ROM template is %zu bytes, expected 0x%x", rom_size, RESET_ROM_SIZE);
		goto out;
	}
	memcpy(res->rom, rom_template, RESET_ROM_SIZE);
	if (igvm_load_patch_rom(res->rom, RESET_ROM_SIZE, &res->rom_params, err, errlen) != 0) {
		goto out;
	}
	rc = 0;
out:
	if (st->areas != NULL) {
		for (size_t i = 0; i < st->area_count; i++) {
			free(st->areas[i].data);
		}
		free(st->areas);
	}
	free(st->fw_data);
	free(st->fw_have);
	free(st);
	if (rc != 0) {
		igvm_load_result_free(res);
	}
	return rc;
}

/* Writes size bytes to path. Returns 0, or -1 with a message. */
static int write_file(const char *path, const uint8_t *data, size_t size, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL) {
		return load_fail(err, errlen, "%s: cannot create: %s", path, strerror(errno));
	}
	if (fwrite(data, 1, size, fp) != size) {
		fclose(fp);
		return load_fail(err, errlen, "%s: write failed: %s", path, strerror(errno));
	}
	if (fclose(fp) != 0) {
		return load_fail(err, errlen, "%s: write failed: %s", path, strerror(errno));
	}
	return 0;
}

/* See igvm_load.h: write rom.bin and blobs, print QEMU arguments; 0, or -1 with err set. */
int igvm_load_write(const struct igvm_load_result *res, const char *dir, FILE *args_out, char *err, size_t errlen)
{
	size_t path_len = strlen(dir) + 32;
	char *path;

	if (strchr(dir, ',') != NULL) {
		return load_fail(err, errlen, "output directory '%s' contains ',', which QEMU's option syntax would split",
				 dir);
	}
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		return load_fail(err, errlen, "%s: cannot create directory: %s", dir, strerror(errno));
	}
	path = malloc(path_len);
	if (path == NULL) {
		return load_fail(err, errlen, "out of memory");
	}
	snprintf(path, path_len, "%s/rom.bin", dir);
	if (write_file(path, res->rom, RESET_ROM_SIZE, err, errlen) != 0) {
		free(path);
		return -1;
	}
	fprintf(args_out, "-bios\n%s\n", path);
	for (size_t i = 0; i < res->blob_count; i++) {
		snprintf(path, path_len, "%s/blob-%03zu.bin", dir, i);
		if (write_file(path, res->blobs[i].data, res->blobs[i].size, err, errlen) != 0) {
			free(path);
			return -1;
		}
		fprintf(args_out, "-device\nloader,file=%s,addr=0x%" PRIx64 ",force-raw=on\n", path, res->blobs[i].gpa);
	}
	if (res->firmware_size != 0) {
		fprintf(args_out, "-fw_cfg\nname=%s,string=0x%" PRIx64 "\n", BOOT_FIRMWARE_STAGING_FW_CFG,
			res->firmware_staging_gpa);
	}
	free(path);
	return 0;
}
