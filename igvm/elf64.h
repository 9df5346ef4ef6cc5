/*
 * Minimal ELF64 reader for igvmbuild: validates the kernel ELF and lists its PT_LOAD segments.
 *
 * Only what igvmbuild needs is accepted: ELF64, little-endian, x86-64, ET_EXEC, program
 * headers inside the file, page-aligned physical load addresses inside one GPA window, no two
 * segments sharing a 4 KiB page, and an entry point that the paging-off VP contexts can reach
 * (inside an executable segment that is identity mapped, p_vaddr == p_paddr, below 4 GiB).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define ELF64_MAX_SEGMENTS 32
#define ELF64_PAGE_SIZE 4096u

/* Program header flags (p_flags). */
#define ELF64_PF_X 0x1u
#define ELF64_PF_W 0x2u
#define ELF64_PF_R 0x4u

struct elf64_segment {
	uint32_t phdr_index; /* position in the program header table, for messages */
	uint32_t flags;      /* ELF64_PF_* */
	uint64_t paddr;      /* GPA the segment is loaded at (page aligned) */
	uint64_t vaddr;
	uint64_t filesz;
	uint64_t memsz;      /* bytes past filesz are zero */
	const uint8_t *data; /* filesz bytes; points into the caller's buffer */
};

struct elf64_image {
	uint64_t entry;
	uint32_t segment_count;
	struct elf64_segment segments[ELF64_MAX_SEGMENTS]; /* non-empty PT_LOADs, sorted by paddr */
};

/*
 * elf64_load: parse and validate an ELF executable held in memory.
 * Inputs: data/size, the ELF file; [window_start, window_end), the GPA range every PT_LOAD
 * must lie in. Output: *img (segments point into data; empty PT_LOADs are dropped).
 * Returns 0, or -1 with a precise message in err[errlen]: truncated or malformed ELF, wrong
 * class/endianness/machine/type, program headers outside the file, segment file data outside
 * the file, filesz > memsz, unaligned p_paddr, segment outside the window, two segments sharing
 * a page, more than ELF64_MAX_SEGMENTS segments, unreachable entry point.
 */
int elf64_load(const uint8_t *data, size_t size, uint64_t window_start, uint64_t window_end,
	       struct elf64_image *img, char *err, size_t errlen);

/*
 * elf64_check_image: the placement and entry checks of elf64_load, on an image built by other
 * means (tests construct images directly). Sorts img->segments by paddr.
 * Inputs: img, the window. Returns 0, or -1 with a message in err[errlen].
 */
int elf64_check_image(struct elf64_image *img, uint64_t window_start, uint64_t window_end, char *err,
		      size_t errlen);
