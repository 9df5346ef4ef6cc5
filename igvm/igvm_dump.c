/*
 * IGVM listing. The format is documented in igvm_dump.h.
 */
#include "igvm/igvm_dump.h"

#include <inttypes.h>
#include <string.h>

#define DUMP_CELL 24

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

/* Prints one table row; columns that do not apply are "-". */
static void dump_row(FILE *out, const struct igvm_header *h, const char *mask, const char *gpa, const char *size,
		     const char *area, const char *byte_off, const char *file_off, const char *detail)
{
	fprintf(out, "%5u  0x%06x  %-26s  %-5s  %-16s  %-10s  %-4s  %-8s  %-10s  %s\n", h->index, h->offset,
		igvm_header_type_name(h->type), mask, gpa, size, area, byte_off, file_off, detail);
}

/* See igvm_dump.h: listing of a validated file on out; no errors. */
void igvm_dump(const struct igvm_file *file, FILE *out)
{
	const struct igvm_fixed_header *fh = &file->fixed;
	struct igvm_iter it;
	struct igvm_header h;
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

	igvm_iter_init(&it, file);
	while (igvm_iter_next(&it, &h)) {
		char c_mask[DUMP_CELL], c_gpa[DUMP_CELL], c_size[DUMP_CELL], c_area[DUMP_CELL];
		char c_boff[DUMP_CELL], c_foff[DUMP_CELL], detail[160];

		detail[0] = '\0';
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
			snprintf(detail, sizeof(detail), "%s%s%s%s", igvm_page_data_type_name(pd->data_type),
				 pd->file_offset == 0 ? " zero" : "",
				 (pd->flags & IGVM_PAGE_FLAG_UNMEASURED) != 0 ? " unmeasured" : "",
				 (pd->flags & IGVM_PAGE_FLAG_SHARED) != 0 ? " shared" : "");
			dump_row(out, &h, hex_cell(c_mask, true, pd->compatibility_mask), hex_cell(c_gpa, true, pd->gpa),
				 "0x1000", "-", "-", hex_cell(c_foff, true, pd->file_offset), detail);
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
