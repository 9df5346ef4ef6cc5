/*
 * Parsing of the IGVM parameter pages (IGVM spec: IGVM_VHS_MEMORY_MAP_ENTRY is 24 bytes:
 * u64 starting GPA page number, u64 number of pages, u16 type, u16 flags, u32 reserved).
 */
#include "kernel/boot_params.h"

#define MEMMAP_ENTRY_SIZE 24
#define PAGE_SHIFT 12
#define GPA_LIMIT (1ull << 52)

static uint64_t read_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--) {
		v = (v << 8) | p[i];
	}
	return v;
}

static uint32_t read_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static uint16_t read_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

enum boot_params_error boot_memmap_parse(const void *area, size_t len, struct boot_memmap *out,
					 size_t *bad_index)
{
	const uint8_t *p = area;
	size_t n = len / MEMMAP_ENTRY_SIZE;
	uint64_t prev_end = 0;

	out->count = 0;
	*bad_index = 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = p + i * MEMMAP_ENTRY_SIZE;
		uint64_t page = read_le64(e);
		uint64_t pages = read_le64(e + 8);
		uint16_t type = read_le16(e + 16);
		uint16_t flags = read_le16(e + 18);
		uint32_t reserved = read_le32(e + 20);
		struct boot_mem_range *r;

		*bad_index = i;
		if (pages == 0) {
			return out->count == 0 ? BOOT_PARAMS_EMPTY : BOOT_PARAMS_OK;
		}
		if (out->count == BOOT_MEMMAP_MAX_ENTRIES) {
			return BOOT_PARAMS_TOO_MANY;
		}
		if (type >= BOOT_MEM_TYPE_COUNT) {
			return BOOT_PARAMS_BAD_TYPE;
		}
		if (flags != 0 || reserved != 0) {
			return BOOT_PARAMS_BAD_FLAGS;
		}
		/* page + pages <= 2^40 pages keeps every byte address below 2^52, overflow-free. */
		if (page > (GPA_LIMIT >> PAGE_SHIFT) || pages > (GPA_LIMIT >> PAGE_SHIFT) - page) {
			return BOOT_PARAMS_OVERFLOW;
		}
		if (out->count > 0 && (page << PAGE_SHIFT) < prev_end) {
			return BOOT_PARAMS_UNSORTED;
		}
		r = &out->ranges[out->count++];
		r->base = page << PAGE_SHIFT;
		r->size = pages << PAGE_SHIFT;
		r->type = (enum boot_mem_type)type;
		prev_end = r->base + r->size;
	}
	*bad_index = n;
	/* The area ended without a terminator: accept only if it was full of valid entries. */
	return out->count == 0 ? BOOT_PARAMS_EMPTY : BOOT_PARAMS_OK;
}

const char *boot_params_error_name(enum boot_params_error e)
{
	static const char *const names[] = {
		[BOOT_PARAMS_OK] = "ok",
		[BOOT_PARAMS_EMPTY] = "memory map is empty",
		[BOOT_PARAMS_TOO_MANY] = "too many memory map entries",
		[BOOT_PARAMS_BAD_TYPE] = "unknown memory type",
		[BOOT_PARAMS_OVERFLOW] = "range beyond the 52-bit physical address limit",
		[BOOT_PARAMS_UNSORTED] = "entries not sorted or overlapping",
		[BOOT_PARAMS_BAD_FLAGS] = "nonzero flags or reserved field",
	};

	if ((size_t)e >= sizeof(names) / sizeof(names[0])) {
		return "unknown error";
	}
	return names[e];
}

const char *boot_mem_type_name(enum boot_mem_type t)
{
	static const char *const names[] = {
		[BOOT_MEM_RAM] = "ram",
		[BOOT_MEM_PLATFORM_RESERVED] = "reserved",
		[BOOT_MEM_PERSISTENT] = "persistent",
		[BOOT_MEM_VTL2_PROTECTABLE] = "vtl2-protectable",
	};

	if ((size_t)t >= sizeof(names) / sizeof(names[0])) {
		return "unknown";
	}
	return names[t];
}

bool boot_memmap_covers_ram(const struct boot_memmap *map, uint64_t base, uint64_t size)
{
	if (size == 0 || base + size < base) {
		return false;
	}
	for (size_t i = 0; i < map->count; i++) {
		const struct boot_mem_range *r = &map->ranges[i];

		if (r->type == BOOT_MEM_RAM && base >= r->base && base + size <= r->base + r->size) {
			return true;
		}
	}
	return false;
}
