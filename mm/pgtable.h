/*
 * Bastion's own page tables: 4-level x86-64 paging with 4 KiB and 2 MiB leaves.
 *
 * Contract:
 *   - Every mapping has a protection made of PGTABLE_READ (required), PGTABLE_WRITE and
 *     PGTABLE_EXEC; WRITE together with EXEC is refused (W^X), so no page is ever both.
 *   - Page-table pages come from a struct page_pool and can run out: every call that may
 *     allocate returns PGTABLE_ERR_NOMEM and leaves the tables as they were.
 *   - Private mappings carry the platform's encryption bit (SNP C-bit, zero natively), added in
 *     one place (pgtable_leaf); PGTABLE_SHARED maps without it.
 *   - Functions that change a live mapping flush this CPU's TLB entry for it. (Other CPUs get
 *     shootdowns when SMP lands; until then there is one CPU.)
 *   - Not locked: callers serialise (one CPU today).
 * Portable: host tests run it on ordinary memory (TLB/CR3 operations compile to nothing).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "mm/addr.h"

struct page_pool;

#define PGTABLE_READ 0x1u
#define PGTABLE_WRITE 0x2u
#define PGTABLE_EXEC 0x4u

/* Flags */
#define PGTABLE_SHARED 0x1u /* no encryption bit: memory shared with the hypervisor */

enum pgtable_result {
	PGTABLE_OK = 0,
	PGTABLE_ERR_NOMEM,       /* no page for an intermediate table */
	PGTABLE_ERR_ALIGN,       /* va or pa not aligned to the page size */
	PGTABLE_ERR_SIZE,        /* page size other than 4 KiB / 2 MiB, or mismatch with mapping */
	PGTABLE_ERR_PROT,        /* no READ, unknown bits, or WRITE|EXEC (W^X) */
	PGTABLE_ERR_NONCANONICAL,
	PGTABLE_ERR_BAD_PA,      /* beyond 52 bits or overlapping the encryption bit */
	PGTABLE_ERR_MAPPED,      /* something is already mapped there */
	PGTABLE_ERR_NOT_MAPPED,
};

struct pgtable {
	uint64_t *root;        /* PML4, through Bastion's mapping of the pool */
	bool nested;           /* nested (guest-physical) tables: see pgtable_init_nested() */
	struct page_pool *pool;
	uint64_t enc_mask;     /* OR-ed into private leaves and every table pointer */
	uint64_t table_pages;  /* intermediate tables in use, PML4 included */
};

/* Allocates an empty PML4. Returns PGTABLE_OK or PGTABLE_ERR_NOMEM. */
enum pgtable_result pgtable_init(struct pgtable *pt, struct page_pool *pool, uint64_t enc_mask);

/*
 * Same, for nested page tables (AMD-V NPT, APM vol 2, 15.25): every entry carries the U bit
 * (the hardware treats nested walks as user accesses), and W together with X is allowed,
 * because these tables map guest memory for the guest, not Bastion's own code and data.
 */
enum pgtable_result pgtable_init_nested(struct pgtable *pt, struct page_pool *pool,
					uint64_t enc_mask);

/* Frees every table page (never the mapped memory). pt must not be the active table. */
void pgtable_destroy(struct pgtable *pt);

/* Maps one page of page_size (PAGE_SIZE or HUGE_PAGE_SIZE) at va to pa. */
enum pgtable_result pgtable_map(struct pgtable *pt, vaddr_t va, paddr_t pa, uint64_t page_size,
				unsigned int prot, unsigned int flags);

/*
 * Maps [va, va + len) to [pa, pa + len) with 4 KiB pages, or 2 MiB pages wherever va and pa
 * are both 2 MiB aligned and a whole 2 MiB remains if allow_large. All or nothing: on error,
 * whatever this call mapped is unmapped again.
 */
enum pgtable_result pgtable_map_range(struct pgtable *pt, vaddr_t va, paddr_t pa, uint64_t len,
				      unsigned int prot, unsigned int flags, bool allow_large);

/*
 * Replaces the 2 MiB leaf at va (2 MiB aligned) by a page table of 512 4 KiB leaves with the
 * same addresses, protection and flags, so single pages can then be unmapped or protected.
 * Returns PGTABLE_OK, PGTABLE_ERR_NOT_MAPPED / PGTABLE_ERR_SIZE (no 2 MiB leaf there) or
 * PGTABLE_ERR_NOMEM (nothing changed).
 */
enum pgtable_result pgtable_split_large(struct pgtable *pt, vaddr_t va);

/* Removes the page of page_size at va (which must be mapped with exactly that size). */
enum pgtable_result pgtable_unmap(struct pgtable *pt, vaddr_t va, uint64_t page_size);

/* Changes the protection of the page of page_size at va. */
enum pgtable_result pgtable_protect(struct pgtable *pt, vaddr_t va, uint64_t page_size,
				    unsigned int prot);

/*
 * Translates va. Returns false if unmapped; otherwise fills the physical address of va itself
 * (offset included, encryption bit removed), the protection and the size of the leaf.
 * Any out pointer may be NULL.
 */
bool pgtable_lookup(const struct pgtable *pt, vaddr_t va, paddr_t *pa, unsigned int *prot,
		    uint64_t *page_size);

/* The value to load into CR3 for this table (physical address of the PML4 + enc bit). */
uint64_t pgtable_root_cr3(const struct pgtable *pt);

/* Loads pt into CR3 on this CPU. */
void pgtable_activate(const struct pgtable *pt);

/* Readable name of a result, for logs and test messages. */
const char *pgtable_result_name(enum pgtable_result r);
