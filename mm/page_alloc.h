/*
 * Buddy page allocator over one physically contiguous range (a struct page_pool).
 *
 * Blocks are 2^order pages, order 0 .. PAGE_ALLOC_MAX_ORDER (4 KiB .. 4 MiB), and a block of
 * order k always starts at a physical address aligned to 2^k pages, so an order-9 block can be
 * mapped with one 2 MiB page. Per-page metadata lives in a caller-provided array
 * (page_pool_meta_bytes() tells its size); free blocks sit on intrusive doubly linked lists, one
 * per order, so allocation, freeing and buddy removal during coalescing are O(1) per order.
 *
 * Addresses: the pool hands out Bastion virtual addresses (void *). VA = PA + va_offset for the
 * whole pool; in the kernel va_offset = BASTION_VIRT_BASE - BASTION_REGION_GPA, in host tests it
 * maps a fake physical range onto a malloc'd buffer.
 *
 * Errors: out of memory (or an injected failure, mm/fault_inject.h) is a NULL return that
 * changes nothing. Misuse (double free, freeing what was never allocated or a page inside a
 * block, a wrong order or count, an address outside the pool or not page aligned) is a bug in
 * Bastion and panics through CHECK in every build.
 *
 * Debug builds (CONFIG_DEBUG) fill free pages with PAGE_ALLOC_POISON and verify the pattern
 * when they are handed out again, so a write after free panics at the next allocation.
 *
 * Owners: a layered allocator (mm/slab.c) may tag the blocks it holds (page_pool_set_tag()) and
 * keep its own per-block bookkeeping in the block's metadata (page_pool_owner()), so it never
 * needs a separate descriptor allocation. A tagged block cannot be freed until the owner
 * clears the tag.
 *
 * Concurrency: none yet. Bastion runs on one CPU and never allocates in interrupt or exception
 * context; every entry point marks where the pool lock goes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/addr.h"

#define PAGE_ALLOC_MAX_ORDER 10u
#define PAGE_ALLOC_ORDER_COUNT (PAGE_ALLOC_MAX_ORDER + 1u)
#define PAGE_ALLOC_MAX_BLOCK_PAGES (1u << PAGE_ALLOC_MAX_ORDER)

/* A pool manages at most this many pages (16 TiB), so page counts fit in 32 bits. */
#define PAGE_POOL_MAX_PAGES 0xffffffffull

/* Flags for page_alloc() and page_alloc_pages(). */
#define PAGE_ALLOC_ZERO 0x1u /* zero the pages before returning them */
/*
 * Do not consult the fault-injection hook: only for layered allocators (kmalloc) that already
 * counted this request, so that one request is one injection point.
 */
#define PAGE_ALLOC_NO_FAULT_INJECT 0x2u

/* Debug builds fill free pages with this byte (0xa5a5... is a non-canonical pointer). */
#define PAGE_ALLOC_POISON 0xa5u

/* Return codes of the init functions. */
#define PAGE_ALLOC_OK 0
#define PAGE_ALLOC_ERR_INVALID (-1)   /* misaligned, empty, wrapping or overlapping arguments */
#define PAGE_ALLOC_ERR_TOO_SMALL (-2) /* the range cannot hold its metadata plus one page */

/* Intrusive doubly linked list node/head (a head points to itself when empty). */
struct page_list {
	struct page_list *next;
	struct page_list *prev;
};

/*
 * Bookkeeping that the owner of an allocated block keeps in the block's metadata. page_alloc
 * zeroes it when the block is handed out and never reads it; the meaning of every field is the
 * owner's (mm/slab.c: list of slab pages of a size class, objects in use, first free object,
 * allocation bitmap).
 */
struct page_owner {
	struct page_list link;
	uint32_t count;
	uint32_t index;
	uint64_t bits[4];
};

/* Per-page metadata, private to page_alloc.c. */
struct page_meta;

struct page_pool_stats {
	uint64_t total_pages;
	uint64_t free_pages;
	uint64_t free_blocks[PAGE_ALLOC_ORDER_COUNT]; /* free blocks of each order */
	uint64_t alloc_count; /* successful page_alloc() and page_alloc_pages() calls */
	uint64_t free_count;  /* page_free() and page_free_pages() calls */
	uint64_t fail_count;  /* allocation calls that returned NULL (incl. injected failures) */
};

/*
 * One pool. The caller provides the storage; every field is private to page_alloc.c. The free
 * list heads point into the struct, so a pool must not be copied or moved once initialised.
 */
struct page_pool {
	paddr_t base;
	uint64_t page_count;
	uint64_t va_offset;
	struct page_meta *meta;
	struct page_list free_lists[PAGE_ALLOC_ORDER_COUNT];
	struct page_pool_stats stats;
	bool ready;
};

/* ---- small list helpers (also used by owners for their own lists) ---------------------------- */

static inline void page_list_init(struct page_list *head)
{
	head->next = head;
	head->prev = head;
}

static inline bool page_list_empty(const struct page_list *head)
{
	return head->next == head;
}

/* Inserts node right after head (LIFO order: the most recently pushed node is head->next). */
static inline void page_list_push(struct page_list *head, struct page_list *node)
{
	node->next = head->next;
	node->prev = head;
	head->next->prev = node;
	head->next = node;
}

/* Unlinks node from whatever list holds it and leaves it pointing at itself. */
static inline void page_list_remove(struct page_list *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	node->next = node;
	node->prev = node;
}

/* ---- setup ----------------------------------------------------------------------------------- */

/*
 * Returns the number of bytes of metadata a pool of page_count pages needs, or 0 if page_count
 * is 0 or above PAGE_POOL_MAX_PAGES.
 */
size_t page_pool_meta_bytes(uint64_t page_count);

/*
 * Initialises pool over the page_count pages starting at physical address base, whose virtual
 * addresses are PA + va_offset (modulo 2^64). meta/meta_bytes is the metadata array (at least
 * page_pool_meta_bytes(page_count) bytes, 8-byte aligned, not overlapping the pool's pages); it
 * must stay valid for the life of the pool. Every page starts free. Debug builds poison them
 * all, so the range must be mapped writable.
 * Returns PAGE_ALLOC_OK, or PAGE_ALLOC_ERR_INVALID (pool untouched) if base or va_offset is not
 * page aligned, page_count is 0 or too large, the physical or virtual range wraps, or meta is
 * NULL, misaligned, too small or overlaps the pool.
 */
int page_pool_init(struct page_pool *pool, paddr_t base, uint64_t page_count, uint64_t va_offset,
		   void *meta, size_t meta_bytes);

/*
 * Of total_pages contiguous pages, returns how many a pool can manage when its metadata is
 * carved from the start of the same range, and stores the number of metadata pages that
 * takes in *meta_pages (managed + *meta_pages <= total_pages). Returns 0 if nothing fits.
 */
uint64_t page_pool_meta_split(uint64_t total_pages, uint64_t *meta_pages);

/*
 * Initialises pool over total_pages pages at base (VA = PA + va_offset), keeping the metadata
 * in the first pages of the range itself (page_pool_meta_split()) and managing the rest.
 * Returns PAGE_ALLOC_OK, PAGE_ALLOC_ERR_TOO_SMALL if no page is left after the metadata, or
 * PAGE_ALLOC_ERR_INVALID as page_pool_init().
 */
int page_pool_init_carved(struct page_pool *pool, paddr_t base, uint64_t total_pages,
			  uint64_t va_offset);

/* ---- allocation ------------------------------------------------------------------------------ */

/*
 * Allocates one block of 2^order pages, physically aligned to its size (and virtually too
 * when va_offset is aligned to 2^order pages, as in the kernel).
 * flags: PAGE_ALLOC_ZERO, PAGE_ALLOC_NO_FAULT_INJECT; any other bit panics.
 * Returns the block's virtual address, or NULL (nothing changed) if order is above
 * PAGE_ALLOC_MAX_ORDER, no free block is large enough, or fault injection fails the request.
 */
void *page_alloc(struct page_pool *pool, unsigned int order, unsigned int flags);

/*
 * Frees a block that page_alloc() returned, with the same order; adjacent free buddies are
 * merged. Panics on misuse: va outside the pool or not page aligned, not the head of an
 * allocated block (double free, never allocated, a page inside a block), a different order,
 * a block from page_alloc_pages(), or a block whose owner tag is still set.
 */
void page_free(struct page_pool *pool, void *va, unsigned int order);

/*
 * Allocates count contiguous pages (1 .. PAGE_ALLOC_MAX_BLOCK_PAGES), not necessarily a power
 * of two. Scheme: take one block of order k = ceil(log2(count)), keep its first count pages as
 * the blocks of count's binary decomposition, largest first (count = 13 keeps orders 3, 2, 0
 * at offsets 0, 8, 12), and free the remaining 2^k - count pages at once as maximal aligned
 * blocks. The result is aligned to 2^k pages like a page_alloc() block.
 * flags as page_alloc(). Returns the first page's virtual address, or NULL (nothing changed)
 * if count is 0 or too large, no block of order k is free, or fault injection fails it.
 */
void *page_alloc_pages(struct page_pool *pool, size_t count, unsigned int flags);

/*
 * Frees exactly the count pages that page_alloc_pages(pool, count, ...) returned at va.
 * Panics on misuse as page_free(), and if count differs from the allocation's.
 */
void page_free_pages(struct page_pool *pool, void *va, size_t count);

/* ---- addresses ------------------------------------------------------------------------------- */

/* True if va points into one of the pool's pages (allocated or free). */
bool page_pool_contains(const struct page_pool *pool, const void *va);

/* Physical address of va; panics if va is outside the pool. */
paddr_t page_pool_va_to_pa(const struct page_pool *pool, const void *va);

/* Virtual address of pa; panics if pa is outside the pool. */
void *page_pool_pa_to_va(const struct page_pool *pool, paddr_t pa);

/* ---- owners ---------------------------------------------------------------------------------- */

/*
 * Sets the owner tag of the allocated block at va (0 clears it). The tag is the owner's
 * identity, e.g. a pointer to a slab size class; the pool only refuses to free a tagged block.
 * Panics if va is not the head of an allocated block.
 */
void page_pool_set_tag(struct page_pool *pool, const void *va, uintptr_t tag);

/* Returns the owner tag of the allocated block at va; panics as page_pool_set_tag(). */
uintptr_t page_pool_tag(const struct page_pool *pool, const void *va);

/* Returns the owner bookkeeping of the allocated block at va; panics as page_pool_set_tag(). */
struct page_owner *page_pool_owner(struct page_pool *pool, const void *va);

/* Inverse of page_pool_owner(): the block's virtual address. Panics if owner is not one. */
void *page_pool_owner_va(const struct page_pool *pool, const struct page_owner *owner);

/* ---- statistics and invariants --------------------------------------------------------------- */

/* Copies the pool's counters into *out. */
void page_pool_get_stats(const struct page_pool *pool, struct page_pool_stats *out);

/* Returns the number of free pages. */
uint64_t page_pool_free_pages(const struct page_pool *pool);

/*
 * Walks the whole pool and its free lists (O(pages)): every page belongs to exactly one block,
 * blocks are aligned to their order, interior pages are marked as such, the free lists hold
 * exactly the free blocks of their order, the counters match, no two free buddies of the same
 * order were left unmerged, and page_alloc_pages() runs are intact. Returns true if all hold;
 * otherwise false, with a static description in *reason if reason is not NULL.
 */
bool page_pool_check(const struct page_pool *pool, const char **reason);

/* ---- the kernel's pool (Bastion's region) ---------------------------------------------------- */

#ifndef BASTION_HOST
/*
 * Initialises the kernel pool over the free part of Bastion's region, [free_start, free_end)
 * (rounded inwards to pages), with VA = PA + (BASTION_VIRT_BASE - BASTION_REGION_GPA). The
 * metadata is carved from the start of the range. Call once, from kmain, before any
 * allocation; a second call panics.
 * Returns PAGE_ALLOC_OK, PAGE_ALLOC_ERR_INVALID if the range is empty or not inside the region,
 * or PAGE_ALLOC_ERR_TOO_SMALL if it cannot hold its metadata plus one page.
 */
int page_alloc_kernel_init(paddr_t free_start, paddr_t free_end);

/* Returns the kernel pool; panics if page_alloc_kernel_init() has not succeeded. */
struct page_pool *page_alloc_kernel_pool(void);
#endif
