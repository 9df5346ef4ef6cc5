/*
 * The boot parameters the loader (QEMU or igvmload) wrote into Bastion's IGVM parameter pages:
 * the guest-physical memory map (IGVM MEMORY_MAP parameter) and the vCPU count
 * (VP_COUNT_PARAMETER). Both come from the host and are untrusted: the raw page is copied into
 * Bastion's memory first and only the copy is parsed and checked.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOOT_MEMMAP_MAX_ENTRIES 64
#define BOOT_MAX_VCPUS 256

/* IGVM MEMORY_MAP_ENTRY types (IGVM spec, IGVM_MEMORY_MAP_ENTRY_TYPE). */
enum boot_mem_type {
	BOOT_MEM_RAM = 0,
	BOOT_MEM_PLATFORM_RESERVED = 1,
	BOOT_MEM_PERSISTENT = 2,
	BOOT_MEM_VTL2_PROTECTABLE = 3,
	BOOT_MEM_TYPE_COUNT = 4,
};

struct boot_mem_range {
	uint64_t base; /* bytes, page aligned */
	uint64_t size; /* bytes, nonzero, page multiple */
	enum boot_mem_type type;
};

struct boot_memmap {
	size_t count;
	struct boot_mem_range ranges[BOOT_MEMMAP_MAX_ENTRIES];
};

enum boot_params_error {
	BOOT_PARAMS_OK = 0,
	BOOT_PARAMS_EMPTY,        /* no entries */
	BOOT_PARAMS_TOO_MANY,     /* more than BOOT_MEMMAP_MAX_ENTRIES, or no terminator */
	BOOT_PARAMS_BAD_TYPE,     /* unknown entry type */
	BOOT_PARAMS_OVERFLOW,     /* base + size beyond 2^52 (the architectural GPA limit) */
	BOOT_PARAMS_UNSORTED,     /* entries not ascending, or overlapping */
	BOOT_PARAMS_BAD_FLAGS,    /* nonzero flags or reserved field */
};

/*
 * Parses a copied IGVM memory-map parameter area of len bytes into out.
 * Entries run until one with page count 0 (the terminator) or the end of the area.
 * Returns BOOT_PARAMS_OK or the first problem found; *bad_index names the failing entry.
 */
enum boot_params_error boot_memmap_parse(const void *area, size_t len, struct boot_memmap *out,
					 size_t *bad_index);

/* Readable text for an error code and a memory type. */
const char *boot_params_error_name(enum boot_params_error e);
const char *boot_mem_type_name(enum boot_mem_type t);

/* True if [base, base + size) lies inside one RAM entry of map. */
bool boot_memmap_covers_ram(const struct boot_memmap *map, uint64_t base, uint64_t size);

/*
 * Kernel only: copies the parameter pages out of Bastion's image, parses them and panics with
 * a clear message if they are unusable (Bastion cannot run without knowing its memory).
 */
void boot_params_init(void);
const struct boot_memmap *boot_params_memmap(void);
uint32_t boot_params_vcpu_count(void);
