/*
 * ELF64 reader (System V gABI, x86-64 psABI). Offsets used below:
 *   ELF header: e_ident[16], e_type u16 @0x10, e_machine u16 @0x12, e_version u32 @0x14,
 *   e_entry @0x18, e_phoff @0x20, e_phentsize u16 @0x36, e_phnum u16 @0x38 (64 bytes total).
 *   Program header (56 bytes): p_type u32 @0, p_flags u32 @4, p_offset @8, p_vaddr @0x10,
 *   p_paddr @0x18, p_filesz @0x20, p_memsz @0x28, p_align @0x30.
 * All reads are bounds checked; all additions are checked against overflow.
 */
#include "igvm/elf64.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "igvm/igvm_format.h"

#define ELF64_EHDR_SIZE 64u
#define ELF64_PHDR_SIZE 56u
#define ELF64_ET_EXEC 2u
#define ELF64_EM_X86_64 62u
#define ELF64_PT_LOAD 1u
#define ELF64_PN_XNUM 0xFFFFu

/* Formats a message into err. Always returns -1. */
static int __attribute__((format(printf, 3, 4))) elf_fail(char *err, size_t errlen, const char *fmt, ...)
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

/* Rounds v up to a page boundary; *out is unchanged and false returned on overflow. */
static bool page_round_up(uint64_t v, uint64_t *out)
{
	if (v > UINT64_MAX - (ELF64_PAGE_SIZE - 1)) {
		return false;
	}
	*out = (v + ELF64_PAGE_SIZE - 1) & ~(uint64_t)(ELF64_PAGE_SIZE - 1);
	return true;
}

/* See elf64.h: placement and entry checks; 0 or -1 with err set. Sorts segments in place. */
int elf64_check_image(struct elf64_image *img, uint64_t window_start, uint64_t window_end, char *err,
		      size_t errlen)
{
	const struct elf64_segment *entry_seg = NULL;

	if (img->segment_count == 0) {
		return elf_fail(err, errlen, "ELF has no non-empty PT_LOAD segment");
	}
	if (img->segment_count > ELF64_MAX_SEGMENTS) {
		return elf_fail(err, errlen, "more than %u PT_LOAD segments", ELF64_MAX_SEGMENTS);
	}
	/* Insertion sort by paddr: at most ELF64_MAX_SEGMENTS entries. */
	for (uint32_t i = 1; i < img->segment_count; i++) {
		struct elf64_segment s = img->segments[i];
		uint32_t j = i;

		while (j > 0 && img->segments[j - 1].paddr > s.paddr) {
			img->segments[j] = img->segments[j - 1];
			j--;
		}
		img->segments[j] = s;
	}
	for (uint32_t i = 0; i < img->segment_count; i++) {
		const struct elf64_segment *s = &img->segments[i];

		if (s->memsz == 0) {
			return elf_fail(err, errlen, "segment %u is empty", s->phdr_index);
		}
		if (s->filesz > s->memsz) {
			return elf_fail(err, errlen, "segment %u: p_filesz 0x%llx exceeds p_memsz 0x%llx",
					s->phdr_index, (unsigned long long)s->filesz,
					(unsigned long long)s->memsz);
		}
		if (s->paddr % ELF64_PAGE_SIZE != 0) {
			return elf_fail(err, errlen, "segment %u: p_paddr 0x%llx is not 4 KiB aligned",
					s->phdr_index, (unsigned long long)s->paddr);
		}
		if (s->paddr < window_start || s->paddr > window_end || s->memsz > window_end - s->paddr) {
			return elf_fail(err, errlen,
					"segment %u: 0x%llx+0x%llx is outside the kernel area [0x%llx, 0x%llx) of Bastion's region",
					s->phdr_index, (unsigned long long)s->paddr, (unsigned long long)s->memsz,
					(unsigned long long)window_start, (unsigned long long)window_end);
		}
		if (i + 1 < img->segment_count) {
			const struct elf64_segment *n = &img->segments[i + 1];
			uint64_t end;

			if (!page_round_up(s->paddr + s->memsz, &end) || end > n->paddr) {
				return elf_fail(err, errlen,
						"segments %u and %u share a 4 KiB page (0x%llx+0x%llx and 0x%llx); each page is loaded from one segment",
						s->phdr_index, n->phdr_index, (unsigned long long)s->paddr,
						(unsigned long long)s->memsz, (unsigned long long)n->paddr);
			}
		}
	}
	for (uint32_t i = 0; i < img->segment_count; i++) {
		const struct elf64_segment *s = &img->segments[i];

		if ((s->flags & ELF64_PF_X) != 0 && img->entry >= s->vaddr && img->entry - s->vaddr < s->filesz) {
			entry_seg = s;
			break;
		}
	}
	if (entry_seg == NULL) {
		return elf_fail(err, errlen, "entry point 0x%llx is not inside the file data of an executable PT_LOAD segment",
				(unsigned long long)img->entry);
	}
	if (entry_seg->vaddr != entry_seg->paddr) {
		return elf_fail(err, errlen,
				"entry point 0x%llx lies in segment %u whose p_vaddr 0x%llx differs from p_paddr 0x%llx; the VP contexts start with paging off, so the entry must be identity mapped",
				(unsigned long long)img->entry, entry_seg->phdr_index,
				(unsigned long long)entry_seg->vaddr, (unsigned long long)entry_seg->paddr);
	}
	if (img->entry > 0xFFFFFFFFull) {
		return elf_fail(err, errlen, "entry point 0x%llx is above 4 GiB; the 32-bit entry stub must be reachable with paging off",
				(unsigned long long)img->entry);
	}
	return 0;
}

/* See elf64.h: parse and validate an ELF in memory; 0 or -1 with err set. */
int elf64_load(const uint8_t *data, size_t size, uint64_t window_start, uint64_t window_end,
	       struct elf64_image *img, char *err, size_t errlen)
{
	static const uint8_t magic[4] = { 0x7F, 'E', 'L', 'F' };
	uint64_t phoff;
	uint16_t type, machine, phentsize, phnum;

	memset(img, 0, sizeof(*img));
	if (size < ELF64_EHDR_SIZE) {
		return elf_fail(err, errlen, "truncated ELF: %zu bytes, the ELF64 header needs %u", size,
				ELF64_EHDR_SIZE);
	}
	if (memcmp(data, magic, sizeof(magic)) != 0) {
		return elf_fail(err, errlen, "not an ELF file (bad magic)");
	}
	if (data[4] != 2) {
		return elf_fail(err, errlen, "not a 64-bit ELF (EI_CLASS %u, expected 2)", data[4]);
	}
	if (data[5] != 1) {
		return elf_fail(err, errlen, "not a little-endian ELF (EI_DATA %u, expected 1)", data[5]);
	}
	if (data[6] != 1) {
		return elf_fail(err, errlen, "unsupported ELF version %u in e_ident", data[6]);
	}
	type = igvm_get_le16(data + 0x10);
	machine = igvm_get_le16(data + 0x12);
	if (type != ELF64_ET_EXEC) {
		return elf_fail(err, errlen, "e_type %u is not ET_EXEC (2): the kernel must be a static executable", type);
	}
	if (machine != ELF64_EM_X86_64) {
		return elf_fail(err, errlen, "e_machine %u is not x86-64 (62)", machine);
	}
	img->entry = igvm_get_le64(data + 0x18);
	phoff = igvm_get_le64(data + 0x20);
	phentsize = igvm_get_le16(data + 0x36);
	phnum = igvm_get_le16(data + 0x38);
	if (phnum == 0) {
		return elf_fail(err, errlen, "ELF has no program headers");
	}
	if (phnum == ELF64_PN_XNUM) {
		return elf_fail(err, errlen, "extended program header numbering (PN_XNUM) is not supported");
	}
	if (phentsize != ELF64_PHDR_SIZE) {
		return elf_fail(err, errlen, "e_phentsize %u, expected %u", phentsize, ELF64_PHDR_SIZE);
	}
	if (phoff > size || (uint64_t)phnum * ELF64_PHDR_SIZE > size - phoff) {
		return elf_fail(err, errlen, "truncated ELF: program headers at 0x%llx (%u x %u bytes) run past the end of the file (%zu bytes)",
				(unsigned long long)phoff, phnum, ELF64_PHDR_SIZE, size);
	}
	for (uint32_t i = 0; i < phnum; i++) {
		const uint8_t *ph = data + phoff + (uint64_t)i * ELF64_PHDR_SIZE;
		struct elf64_segment s;
		uint64_t offset;

		if (igvm_get_le32(ph) != ELF64_PT_LOAD) {
			continue;
		}
		memset(&s, 0, sizeof(s));
		s.phdr_index = i;
		s.flags = igvm_get_le32(ph + 0x4);
		offset = igvm_get_le64(ph + 0x8);
		s.vaddr = igvm_get_le64(ph + 0x10);
		s.paddr = igvm_get_le64(ph + 0x18);
		s.filesz = igvm_get_le64(ph + 0x20);
		s.memsz = igvm_get_le64(ph + 0x28);
		if (offset > size || s.filesz > size - offset) {
			return elf_fail(err, errlen, "truncated ELF: segment %u file data 0x%llx+0x%llx runs past the end of the file (%zu bytes)",
					i, (unsigned long long)offset, (unsigned long long)s.filesz, size);
		}
		if (s.filesz > s.memsz) {
			return elf_fail(err, errlen, "segment %u: p_filesz 0x%llx exceeds p_memsz 0x%llx", i,
					(unsigned long long)s.filesz, (unsigned long long)s.memsz);
		}
		if (s.memsz == 0) {
			continue;
		}
		if (img->segment_count >= ELF64_MAX_SEGMENTS) {
			return elf_fail(err, errlen, "more than %u PT_LOAD segments", ELF64_MAX_SEGMENTS);
		}
		s.data = data + offset;
		img->segments[img->segment_count++] = s;
	}
	return elf64_check_image(img, window_start, window_end, err, errlen);
}
