/*
 * Temporary mappings of physical pages that are not Bastion's (guest pages, mostly), through a
 * fixed per-CPU window of 4 KiB and 2 MiB slots.
 *
 * The page tables behind the window are created once by tempmap_init(), so mapping and
 * unmapping never allocate and cannot fail for lack of memory; they fail only when this CPU's
 * slots are all in use (callers nest at most a few deep) or the arguments are bad.
 * Mappings are non-executable, writable, and private (encryption bit set) unless
 * TEMPMAP_SHARED is given. Not for use from exception handlers.
 */
#pragma once

#include <stdint.h>

#include "mm/addr.h"

struct pgtable;

#define TEMPMAP_BASE 0xFFFFFF8000000000ull /* PML4 slot 511, PDPT slot 0: 1 GiB of window */
#define TEMPMAP_SLOTS_4K 16                 /* per CPU */
#define TEMPMAP_SLOTS_2M 1                  /* per CPU */
#define TEMPMAP_MAX_CPUS 256

#define TEMPMAP_SHARED 0x1u

/* Builds the window's tables in pt (which must map Bastion already). Returns 0 or -1 (no
 * memory). */
int tempmap_init(struct pgtable *pt);

/*
 * Maps the page of size (PAGE_SIZE or HUGE_PAGE_SIZE) at pa, which must be aligned to size.
 * Returns the virtual address, or NULL if no slot of that size is free or an argument is bad.
 */
void *tempmap_map(paddr_t pa, uint64_t size, unsigned int flags);

/* Removes a mapping made by tempmap_map(). CHECKs that va is a live slot. */
void tempmap_unmap(void *va);

/* Slots of each size in use on this CPU (for tests and leak checks). */
unsigned int tempmap_busy_count(void);
