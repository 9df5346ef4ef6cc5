/*
 * IGVM listing. The format is documented in igvm_dump.h.
 */
#include "igvm/igvm_dump.h"

#include <inttypes.h>
#include <string.h>

#include "kernel/crc32.h"
#include "igvm/firmware.h"

#define DUMP_CELL 24

/* What the boot_firmware_info page says, and whether the firmware pages agree with it. */
struct dump_fw {
	bool found;      /* a PAGE_DATA at IGVM_FIRMWARE_INFO_GPA exists */
	bool valid;      /* its descriptor passes igvm_firmware_info_check */
	struct boot_firmware_info info;
	char reason[160]; /* why it is not valid */
	uint64_t pages;   /* firmware-range pages seen in GPA order */
	bool in_order;    /* every firmware-range page followed the previous one */
	uint32_t crc;     /* running CRC-32 state over those pages */
};

/* A pending run of consecutive firmware PAGE_DATA headers, listed as one row. */
struct dump_run {
	bool active;
	struct igvm_header first;
	uint32_t last_index;
	uint64_t next_gpa;
	uint32_t pages;
	uint32_t zero_pages;
};

static const uint8_t dump_zero_page[IGVM_PAGE_SIZE];

/* Formats v as 0x... into cell, or "-" when present is false. Returns cell. */
static const char *hex_cell(char cell[DUMP_CELL], bool present, uint64_t v)
{
	if (present) {
		snprintf(cell, DUMP_CELL, "0x%" PRIx64, v);
	} else {
		snprintf(cell, DUMP_CELL, "-");
	}
	return cell;
}

/* Platform type covered by a (validated) VP context mask, or -1 if none. */
static int mask_platform_type(const struct igvm_file *file, uint32_t mask)
{
	for (uint32_t i = 0; i < file->platform_count; i++) {
		if ((file->platforms[i].mask & mask) != 0) {
			return file->platforms[i].platform_type;
		}
	}
	return -1;
}

/* Prints the decoded register summary of an SNP VMSA (ABI 4.2). */
static void dump_vmsa(const uint8_t *v, FILE *out)
{
	fprintf(out, "         SNP VMSA: RIP 0x%" PRIx64 " RAX 0x%" PRIx64 " RSP 0x%" PRIx64 " RFLAGS 0x%" PRIx64 "\n",
		igvm_get_le64(v + IGVM_VMSA_RIP), igvm_get_le64(v + IGVM_VMSA_RAX), igvm_get_le64(v + IGVM_VMSA_RSP),
		igvm_get_le64(v + IGVM_VMSA_RFLAGS));
	fprintf(out, "         SNP VMSA: CR0 0x%" PRIx64 " CR3 0x%" PRIx64 " CR4 0x%" PRIx64 " EFER 0x%" PRIx64 "\n",
		igvm_get_le64(v + IGVM_VMSA_CR0), igvm_get_le64(v + IGVM_VMSA_CR3), igvm_get_le64(v + IGVM_VMSA_CR4),
		igvm_get_le64(v + IGVM_VMSA_EFER));
	fprintf(out, "         SNP VMSA: CS sel 0x%x attrib 0x%x base 0x%" PRIx64 " limit 0x%x  DS sel 0x%x attrib 0x%x base 0x%" PRIx64 " limit 0x%x\n",
		igvm_get_le16(v + IGVM_VMSA_CS + IGVM_VMSA_SEG_SELECTOR), igvm_get_le16(v + IGVM_VMSA_CS + IGVM_VMSA_SEG_ATTRIB),
		igvm_get_le64(v + IGVM_VMSA_CS + IGVM_VMSA_SEG_BASE), igvm_get_le32(v + IGVM_VMSA_CS + IGVM_VMSA_SEG_LIMIT),
		igvm_get_le16(v + IGVM_VMSA_DS + IGVM_VMSA_SEG_SELECTOR), igvm_get_le16(v + IGVM_VMSA_DS + IGVM_VMSA_SEG_ATTRIB),
		igvm_get_le64(v + IGVM_VMSA_DS + IGVM_VMSA_SEG_BASE), igvm_get_le32(v + IGVM_VMSA_DS + IGVM_VMSA_SEG_LIMIT));
	fprintf(out, "         SNP VMSA: SEV_FEATURES 0x%" PRIx64 " VMPL %u XCR0 0x%" PRIx64 " G_PAT 0x%" PRIx64 "\n",
		igvm_get_le64(v + IGVM_VMSA_SEV_FEATURES), v[IGVM_VMSA_VMPL], igvm_get_le64(v + IGVM_VMSA_XCR0),
		igvm_get_le64(v + IGVM_VMSA_G_PAT));
}

/* Prints the decoded register summary of a native x64 context (ABI 5.4). */
static void dump_native(const uint8_t *p, FILE *out)
{
	struct igvm_native_vp_context_x64 c;

	igvm_decode_native_vp_context(p, &c);
	fprintf(out, "         native context: RIP 0x%" PRIx64 " RAX 0x%" PRIx64 " RSP 0x%" PRIx64 " RFLAGS 0x%" PRIx64 "\n",
		c.rip, c.rax, c.rsp, c.rflags);
	fprintf(out, "         native context: CR0 0x%" PRIx64 " CR3 0x%" PRIx64 " CR4 0x%" PRIx64 " EFER 0x%" PRIx64 "\n",
		c.cr0, c.cr3, c.cr4, c.efer);
	fprintf(out, "         native context: CS sel 0x%x attrib 0x%x base 0x%x limit 0x%x  DS sel 0x%x attrib 0x%x base 0x%x limit 0x%x\n",
		c.code_selector, c.code_attributes, c.code_base, c.code_limit, c.data_selector, c.data_attributes,
		c.data_base, c.data_limit);
	fprintf(out, "         native context: GDTR 0x%" PRIx64 "/0x%x IDTR 0x%" PRIx64 "/0x%x GS base 0x%" PRIx64 "\n",
		c.gdtr_base, c.gdtr_limit, c.idtr_base, c.idtr_limit, c.gs_base);
}

/* True if a PAGE_DATA lies inside the firmware range the (valid) descriptor names. */
static bool in_firmware(const struct dump_fw *fw, uint64_t gpa)
{
	return fw->valid && fw->info.size != 0 && gpa >= fw->info.gpa && gpa - fw->info.gpa < fw->info.size;
}

/*
 * First pass: decode the boot_firmware_info page (found by its GPA) and CRC the firmware pages
 * in file order, which is GPA order in every image igvmbuild writes. Output: *fw. No errors.
 */
static void scan_firmware(const struct igvm_file *file, struct dump_fw *fw)
{
	struct igvm_iter it;
	struct igvm_header h;

	memset(fw, 0, sizeof(*fw));
	fw->in_order = true;
	fw->crc = CRC32_INIT;
	igvm_iter_init(&it, file);
	while (igvm_iter_next(&it, &h)) {
		const uint8_t *p;

		if (h.type != IGVM_VHT_PAGE_DATA || h.u.page_data.gpa != IGVM_FIRMWARE_INFO_GPA || fw->found) {
			continue;
		}
		fw->found = true;
		p = igvm_file_bytes(file, h.u.page_data.file_offset, BOOT_FIRMWARE_INFO_SIZE);
		igvm_firmware_info_decode(p != NULL ? p : dump_zero_page, &fw->info);
		fw->valid = igvm_firmware_info_check(&fw->info, fw->reason, sizeof(fw->reason)) == 0;
	}
	if (!fw->valid || fw->info.size == 0) {
		return;
	}
	igvm_iter_init(&it, file);
	while (igvm_iter_next(&it, &h)) {
		const uint8_t *p;

		if (h.type != IGVM_VHT_PAGE_DATA || !in_firmware(fw, h.u.page_data.gpa)) {
			continue;
		}
		if (h.u.page_data.gpa != fw->info.gpa + fw->pages * IGVM_PAGE_SIZE) {
			fw->in_order = false;
			return;
		}
		p = igvm_file_bytes(file, h.u.page_data.file_offset, IGVM_PAGE_SIZE);
		fw->crc = crc32_update(fw->crc, p != NULL ? p : dump_zero_page, IGVM_PAGE_SIZE);
		fw->pages++;
	}
}

/* Prints the decoded boot_firmware_info page and how the firmware pages compare with it. */
static void dump_firmware_info(const struct dump_fw *fw, FILE *out)
{
	const struct boot_firmware_info *i = &fw->info;

	if (!fw->valid) {
		fprintf(out, "         boot_firmware_info: invalid: %s\n", fw->reason);
		return;
	}
	if (i->size == 0) {
		fprintf(out, "         boot_firmware_info: magic \"BFWI\" version %u: no firmware (size 0)\n", i->version);
		return;
	}
	fprintf(out, "         boot_firmware_info: magic \"BFWI\" version %u: firmware 0x%" PRIx64 "..0x%" PRIx64
		" size 0x%" PRIx64 " reset vector 0x%" PRIx64 " flags 0x%x%s\n",
		i->version, i->gpa, i->gpa + i->size - 1, i->size, i->reset_vector_gpa, i->flags,
		(i->flags & BOOT_FIRMWARE_FLAG_MEASURED) != 0 ? " (MEASURED)" : "");
	if ((i->secrets_gpa | i->cpuid_gpa | i->caa_gpa) != 0) {
		fprintf(out, "         boot_firmware_info: declared pages: secrets 0x%" PRIx64 " CPUID 0x%" PRIx64
			" calling area 0x%" PRIx64 "\n",
			i->secrets_gpa, i->cpuid_gpa, i->caa_gpa);
	}
	if (!fw->in_order) {
		fprintf(out, "         boot_firmware_info: crc32 0x%08x (not checked: firmware pages not in GPA order)\n",
			i->crc32);
	} else if (fw->pages * IGVM_PAGE_SIZE != i->size) {
		fprintf(out, "         boot_firmware_info: crc32 0x%08x (MISMATCH: only 0x%" PRIx64 " of 0x%" PRIx64 " firmware bytes have page data)\n",
			i->crc32, fw->pages * IGVM_PAGE_SIZE, i->size);
	} else if (crc32_final(fw->crc) != i->crc32) {
		fprintf(out, "         boot_firmware_info: crc32 0x%08x (MISMATCH: the firmware pages give 0x%08x)\n", i->crc32,
			crc32_final(fw->crc));
	} else {
		fprintf(out, "         boot_firmware_info: crc32 0x%08x (matches the firmware pages)\n", i->crc32);
	}
}

/* Prints one table row; columns that do not apply are "-". */
static void dump_row(FILE *out, const struct igvm_header *h, const char *mask, const char *gpa, const char *size,
		     const char *area, const char *byte_off, const char *file_off, const char *detail)
{
	fprintf(out, "%5u  0x%06x  %-26s  %-5s  %-16s  %-10s  %-4s  %-8s  %-10s  %s\n", h->index, h->offset,
		igvm_header_type_name(h->type), mask, gpa, size, area, byte_off, file_off, detail);
}

/* Prints the pending firmware run as one row and clears it. */
static void flush_run(struct dump_run *run, FILE *out)
{
	const struct igvm_page_data *pd = &run->first.u.page_data;
	char c_mask[DUMP_CELL], c_gpa[DUMP_CELL], c_size[DUMP_CELL], detail[160];

	if (!run->active) {
		return;
	}
	snprintf(detail, sizeof(detail), "%s%s%s firmware: %u pages (%u zero), headers %u..%u",
		 igvm_page_data_type_name(pd->data_type), (pd->flags & IGVM_PAGE_FLAG_UNMEASURED) != 0 ? " unmeasured" : "",
		 (pd->flags & IGVM_PAGE_FLAG_SHARED) != 0 ? " shared" : "", run->pages, run->zero_pages,
		 run->first.index, run->last_index);
	dump_row(out, &run->first, hex_cell(c_mask, true, pd->compatibility_mask), hex_cell(c_gpa, true, pd->gpa),
		 hex_cell(c_size, true, (uint64_t)run->pages * IGVM_PAGE_SIZE), "-", "-", "various", detail);
	run->active = false;
}

/*
 * Adds a firmware PAGE_DATA to the pending run, or flushes the run and starts a new one when
 * the page does not continue it (other mask, flags or type, or not the next GPA).
 */
static void add_to_run(struct dump_run *run, const struct igvm_header *h, FILE *out)
{
	const struct igvm_page_data *pd = &h->u.page_data;
	const struct igvm_page_data *first = &run->first.u.page_data;

	if (run->active && (pd->gpa != run->next_gpa || pd->compatibility_mask != first->compatibility_mask ||
			    pd->flags != first->flags || pd->data_type != first->data_type)) {
		flush_run(run, out);
	}
	if (!run->active) {
		memset(run, 0, sizeof(*run));
		run->active = true;
		run->first = *h;
	}
	run->last_index = h->index;
	run->next_gpa = pd->gpa + IGVM_PAGE_SIZE;
	run->pages++;
	run->zero_pages += pd->file_offset == 0;
}

/* See igvm_dump.h: listing of a validated file on out; no errors. */
void igvm_dump(const struct igvm_file *file, FILE *out)
{
	const struct igvm_fixed_header *fh = &file->fixed;
	struct igvm_iter it;
	struct igvm_header h;
	struct dump_fw fw;
	struct dump_run run = { 0 };
	uint32_t page_count = 0, zero_pages = 0;

	fprintf(out, "IGVM file, format version %u\n", fh->format_version);
	fprintf(out, "  magic 0x%08x (\"IGVM\")\n", fh->magic);
	fprintf(out, "  variable_header_offset 0x%x\n", fh->variable_header_offset);
	fprintf(out, "  variable_header_size 0x%x\n", fh->variable_header_size);
	fprintf(out, "  total_file_size 0x%x (%u bytes)\n", fh->total_file_size, fh->total_file_size);
	fprintf(out, "  checksum 0x%08x (ok)\n", fh->checksum);
	fprintf(out, "  file data 0x%x..0x%x\n", file->data_region_offset, fh->total_file_size);
	fprintf(out, "platforms: %u\n", file->platform_count);
	for (uint32_t i = 0; i < file->platform_count; i++) {
		const struct igvm_platform *p = &file->platforms[i];

		fprintf(out, "  mask 0x%x  %-13s  version %u  highest_vtl %u  shared_gpa_boundary 0x%" PRIx64 "\n",
			p->mask, igvm_platform_type_name(p->platform_type), p->platform_version, p->highest_vtl,
			p->shared_gpa_boundary);
	}
	fprintf(out, "headers: %u\n", file->header_count);
	fprintf(out, "%5s  %-8s  %-26s  %-5s  %-16s  %-10s  %-4s  %-8s  %-10s  %s\n", "idx", "offset", "type", "mask",
		"gpa", "size", "area", "byte_off", "file_off", "details");

	scan_firmware(file, &fw);
	igvm_iter_init(&it, file);
	while (igvm_iter_next(&it, &h)) {
		char c_mask[DUMP_CELL], c_gpa[DUMP_CELL], c_size[DUMP_CELL], c_area[DUMP_CELL];
		char c_boff[DUMP_CELL], c_foff[DUMP_CELL], detail[160];

		detail[0] = '\0';
		if (h.type == IGVM_VHT_PAGE_DATA && in_firmware(&fw, h.u.page_data.gpa)) {
			page_count++;
			zero_pages += h.u.page_data.file_offset == 0;
			add_to_run(&run, &h, out);
			continue;
		}
		flush_run(&run, out);
		switch (h.type) {
		case IGVM_VHT_SUPPORTED_PLATFORM:
			snprintf(detail, sizeof(detail), "platform %s version %u highest_vtl %u shared_gpa_boundary 0x%" PRIx64,
				 igvm_platform_type_name(h.u.platform.platform_type), h.u.platform.platform_version,
				 h.u.platform.highest_vtl, h.u.platform.shared_gpa_boundary);
			dump_row(out, &h, hex_cell(c_mask, true, h.u.platform.compatibility_mask), "-", "-", "-", "-", "-",
				 detail);
			break;
		case IGVM_VHT_GUEST_POLICY:
			snprintf(detail, sizeof(detail), "policy 0x%" PRIx64, h.u.policy.policy);
			dump_row(out, &h, hex_cell(c_mask, true, h.u.policy.compatibility_mask), "-", "-", "-", "-", "-",
				 detail);
			break;
		case IGVM_VHT_PARAMETER_AREA:
			dump_row(out, &h, "-", "-", hex_cell(c_size, true, h.u.parameter_area.number_of_bytes),
				 hex_cell(c_area, true, h.u.parameter_area.parameter_area_index), "-",
				 hex_cell(c_foff, true, h.u.parameter_area.file_offset),
				 h.u.parameter_area.file_offset == 0 ? "zero-initialized" : "initial data in file");
			break;
		case IGVM_VHT_PARAMETER_INSERT:
			dump_row(out, &h, hex_cell(c_mask, true, h.u.parameter_insert.compatibility_mask),
				 hex_cell(c_gpa, true, h.u.parameter_insert.gpa), "-",
				 hex_cell(c_area, true, h.u.parameter_insert.parameter_area_index), "-", "-",
				 "inserted unmeasured");
			break;
		case IGVM_VHT_PAGE_DATA: {
			const struct igvm_page_data *pd = &h.u.page_data;

			page_count++;
			zero_pages += pd->file_offset == 0;
			snprintf(detail, sizeof(detail), "%s%s%s%s%s", igvm_page_data_type_name(pd->data_type),
				 pd->file_offset == 0 ? " zero" : "",
				 (pd->flags & IGVM_PAGE_FLAG_UNMEASURED) != 0 ? " unmeasured" : "",
				 (pd->flags & IGVM_PAGE_FLAG_SHARED) != 0 ? " shared" : "",
				 pd->gpa == IGVM_FIRMWARE_INFO_GPA ? " boot_firmware_info" : "");
			dump_row(out, &h, hex_cell(c_mask, true, pd->compatibility_mask), hex_cell(c_gpa, true, pd->gpa),
				 "0x1000", "-", "-", hex_cell(c_foff, true, pd->file_offset), detail);
			if (pd->gpa == IGVM_FIRMWARE_INFO_GPA) {
				dump_firmware_info(&fw, out);
			}
			break;
		}
		case IGVM_VHT_REQUIRED_MEMORY:
			snprintf(detail, sizeof(detail), "flags 0x%x", h.u.required_memory.flags);
			dump_row(out, &h, hex_cell(c_mask, true, h.u.required_memory.compatibility_mask),
				 hex_cell(c_gpa, true, h.u.required_memory.gpa),
				 hex_cell(c_size, true, h.u.required_memory.number_of_bytes), "-", "-", "-", detail);
			break;
		case IGVM_VHT_VP_CONTEXT: {
			const struct igvm_vp_context *vp = &h.u.vp_context;
			int ptype = mask_platform_type(file, vp->compatibility_mask);
			const uint8_t *ctx = igvm_file_bytes(file, vp->file_offset, IGVM_PAGE_SIZE);

			snprintf(detail, sizeof(detail), "vp %u %s", vp->vp_index,
				 ptype == IGVM_PLATFORM_SEV_SNP ? "SNP VMSA" :
				 ptype == IGVM_PLATFORM_NATIVE ? "native x64 context" : "context");
			dump_row(out, &h, hex_cell(c_mask, true, vp->compatibility_mask), hex_cell(c_gpa, true, vp->gpa),
				 "0x1000", "-", "-", hex_cell(c_foff, true, vp->file_offset), detail);
			if (ctx != NULL && ptype == IGVM_PLATFORM_SEV_SNP) {
				dump_vmsa(ctx, out);
			} else if (ctx != NULL && ptype == IGVM_PLATFORM_NATIVE) {
				dump_native(ctx, out);
			}
			break;
		}
		default:
			/* All remaining accepted types are PARAMETER users (ABI 5.3). */
			dump_row(out, &h, "-", "-", "-", hex_cell(c_area, true, h.u.parameter.parameter_area_index),
				 hex_cell(c_boff, true, h.u.parameter.byte_offset), "-", "loader fills the area");
			break;
		}
	}
	flush_run(&run, out);
	fprintf(out, "summary: %u headers, %u PAGE_DATA (%u zero pages)\n", file->header_count, page_count, zero_pages);
}

/* See igvm_dump.h: validate and list; returns 0 (valid) or 1 (error line on errout). */
int igvm_dump_file(const uint8_t *data, size_t size, const char *name, FILE *out, FILE *errout)
{
	struct igvm_file file;
	struct igvm_error err;

	if (igvm_parse(data, size, &file, &err) != 0) {
		fprintf(errout, "igvmdump: %s: offset 0x%" PRIx64 ": %s\n", name, err.offset, err.reason);
		return 1;
	}
	fprintf(out, "%s: ", name);
	igvm_dump(&file, out);
	return 0;
}
