/*
 * Opaque address types.
 *
 * Mixing up a guest-physical address from a guest request, a physical address of Bastion's own
 * memory, a virtual address Bastion dereferences, and a page frame number is the easiest SVSM
 * bug to write. Each kind is a distinct one-member struct, so passing one where another is
 * expected is a compile error; conversions are explicit and named.
 *
 *   paddr_t  system-physical address of memory Bastion owns or maps (on SNP: a private GPA)
 *   gpa_t    guest-physical address as the guest (or the hypervisor) names it: untrusted
 *   vaddr_t  an address in Bastion's own virtual address space
 *   pfn_t    4 KiB page frame number
 *
 * Range helpers are overflow-checked: they return false instead of wrapping.
 * Portable (host-testable): stdint only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ull << PAGE_SHIFT)
#define PAGE_MASK (PAGE_SIZE - 1)
#define HUGE_PAGE_SHIFT 21
#define HUGE_PAGE_SIZE (1ull << HUGE_PAGE_SHIFT)
#define HUGE_PAGE_MASK (HUGE_PAGE_SIZE - 1)

typedef struct {
	uint64_t pa;
} paddr_t;

typedef struct {
	uint64_t gpa;
} gpa_t;

typedef struct {
	uint64_t va;
} vaddr_t;

typedef struct {
	uint64_t pfn;
} pfn_t;

/* ---- construction and access -------------------------------------------------------------- */

static inline paddr_t paddr_init(uint64_t pa)
{
	return (paddr_t){ .pa = pa };
}

static inline uint64_t paddr_get(paddr_t p)
{
	return p.pa;
}

static inline gpa_t gpa_init(uint64_t gpa)
{
	return (gpa_t){ .gpa = gpa };
}

static inline uint64_t gpa_get(gpa_t g)
{
	return g.gpa;
}

static inline vaddr_t vaddr_init(uint64_t va)
{
	return (vaddr_t){ .va = va };
}

static inline vaddr_t vaddr_from_ptr(const void *p)
{
	return (vaddr_t){ .va = (uint64_t)(uintptr_t)p };
}

static inline uint64_t vaddr_get(vaddr_t v)
{
	return v.va;
}

static inline void *vaddr_ptr(vaddr_t v)
{
	return (void *)(uintptr_t)v.va;
}

static inline pfn_t pfn_init(uint64_t pfn)
{
	return (pfn_t){ .pfn = pfn };
}

static inline uint64_t pfn_get(pfn_t p)
{
	return p.pfn;
}

/* ---- arithmetic (unchecked: for offsets already known to be in range) -------------------- */

static inline paddr_t paddr_add(paddr_t p, uint64_t n)
{
	return paddr_init(p.pa + n);
}

static inline gpa_t gpa_add(gpa_t g, uint64_t n)
{
	return gpa_init(g.gpa + n);
}

static inline vaddr_t vaddr_add(vaddr_t v, uint64_t n)
{
	return vaddr_init(v.va + n);
}

/* ---- alignment ------------------------------------------------------------------------------- */

static inline bool addr_is_aligned(uint64_t a, uint64_t align)
{
	return (a & (align - 1)) == 0;
}

static inline bool paddr_is_page_aligned(paddr_t p)
{
	return addr_is_aligned(p.pa, PAGE_SIZE);
}

static inline bool gpa_is_page_aligned(gpa_t g)
{
	return addr_is_aligned(g.gpa, PAGE_SIZE);
}

static inline bool vaddr_is_page_aligned(vaddr_t v)
{
	return addr_is_aligned(v.va, PAGE_SIZE);
}

static inline paddr_t paddr_align_down(paddr_t p, uint64_t align)
{
	return paddr_init(p.pa & ~(align - 1));
}

static inline gpa_t gpa_align_down(gpa_t g, uint64_t align)
{
	return gpa_init(g.gpa & ~(align - 1));
}

static inline vaddr_t vaddr_align_down(vaddr_t v, uint64_t align)
{
	return vaddr_init(v.va & ~(align - 1));
}

/* Rounds a up to align (a power of two). Returns false, leaving *out untouched, on overflow. */
static inline bool addr_align_up_checked(uint64_t a, uint64_t align, uint64_t *out)
{
	uint64_t r = 0;

	if (__builtin_add_overflow(a, align - 1, &r)) {
		return false;
	}
	*out = r & ~(align - 1);
	return true;
}

/* ---- page frame numbers ------------------------------------------------------------------- */

static inline pfn_t paddr_to_pfn(paddr_t p)
{
	return pfn_init(p.pa >> PAGE_SHIFT);
}

static inline pfn_t gpa_to_pfn(gpa_t g)
{
	return pfn_init(g.gpa >> PAGE_SHIFT);
}

static inline paddr_t pfn_to_paddr(pfn_t p)
{
	return paddr_init(p.pfn << PAGE_SHIFT);
}

static inline gpa_t pfn_to_gpa(pfn_t p)
{
	return gpa_init(p.pfn << PAGE_SHIFT);
}

/* ---- overflow-checked ranges ---------------------------------------------------------------- */

/* *end = base + len (exclusive end) unless that wraps. len 0 is a valid, empty range. */
static inline bool addr_range_end(uint64_t base, uint64_t len, uint64_t *end)
{
	return !__builtin_add_overflow(base, len, end);
}

/* True if [a, a + a_len) and [b, b + b_len) share a byte; ranges that wrap count as overlapping
 * everything (callers reject them first with addr_range_end). */
static inline bool addr_ranges_overlap(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
	uint64_t a_end = 0;
	uint64_t b_end = 0;

	if (a_len == 0 || b_len == 0) {
		return false;
	}
	if (!addr_range_end(a, a_len, &a_end) || !addr_range_end(b, b_len, &b_end)) {
		return true;
	}
	return a < b_end && b < a_end;
}

/* True if [inner, inner + inner_len) lies inside [outer, outer + outer_len), without wrapping. */
static inline bool addr_range_contains(uint64_t outer, uint64_t outer_len, uint64_t inner,
				       uint64_t inner_len)
{
	uint64_t outer_end = 0;
	uint64_t inner_end = 0;

	if (!addr_range_end(outer, outer_len, &outer_end) ||
	    !addr_range_end(inner, inner_len, &inner_end)) {
		return false;
	}
	return inner >= outer && inner_end <= outer_end;
}

/* gpa + len as a checked range: false if it wraps. */
static inline bool gpa_range_end(gpa_t g, uint64_t len, gpa_t *end)
{
	uint64_t e = 0;

	if (!addr_range_end(g.gpa, len, &e)) {
		return false;
	}
	*end = gpa_init(e);
	return true;
}
