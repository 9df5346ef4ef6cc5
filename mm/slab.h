/*
 * Fallible heap: kmalloc()/kzalloc()/kfree() and the struct slab_allocator instances behind it.
 *
 * Sizes up to SLAB_MAX_SIZE are rounded up to a power-of-two class (16 .. 2048 bytes) and
 * carved from 4 KiB slab pages; larger sizes get whole pages from page_alloc_pages(). Every
 * allocation can fail (out of memory, or mm/fault_inject.h) and returns NULL having changed
 * nothing, so callers must handle NULL and unwind.
 *
 * Alignment: an object of class c is aligned to c bytes (so at least 16, enough for any C
 * type); a page-backed allocation is page aligned.
 *
 * Bookkeeping lives in the page allocator's metadata for the slab page (struct page_owner):
 * the size class (as the owner tag), objects in use, the head of the page's free-object list
 * and an allocation bitmap. Objects therefore carry no header, and kfree() of a pointer that
 * is not the start of a live object (double free, interior pointer, memory from elsewhere)
 * is caught with CHECK in every build. Debug builds (CONFIG_DEBUG) fill freed objects with
 * SLAB_POISON and verify it when the object is handed out again.
 *
 * Slab pages with a free object sit on their class's partial list; a page whose last object
 * is freed goes back to the page allocator, except that each class keeps one empty page cached
 * to avoid thrashing at a page boundary.
 *
 * Context: not reentrant and unlocked (single CPU). Never allocate or free from interrupt or
 * exception context (the #VC handler included): it could interrupt an allocation in progress.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/page_alloc.h"

#define SLAB_CLASS_COUNT 8u
#define SLAB_MIN_SIZE 16u
#define SLAB_MAX_SIZE 2048u
/* Largest request kmalloc() can serve: one maximal page-allocator block (4 MiB). */
#define SLAB_LARGE_MAX_SIZE ((size_t)PAGE_ALLOC_MAX_BLOCK_PAGES * PAGE_SIZE)

/* Debug builds fill freed objects with this byte (0x5a5a... is a non-canonical pointer). */
#define SLAB_POISON 0x5au

struct slab_class_stats {
	uint32_t object_size;
	uint32_t objects_per_page;
	uint64_t objects_in_use;
	uint64_t pages;        /* slab pages held, including the cached empty one */
	uint64_t alloc_count;  /* successful allocations */
	uint64_t free_count;
	uint64_t fail_count;   /* allocations that returned NULL */
};

struct slab_stats {
	struct slab_class_stats classes[SLAB_CLASS_COUNT];
	uint64_t large_in_use;      /* page-backed allocations outstanding */
	uint64_t large_pages;       /* pages they hold */
	uint64_t large_alloc_count;
	uint64_t large_free_count;
	uint64_t large_fail_count;
};

/* One size class; private to slab.c. */
struct slab_class {
	uint32_t object_size;
	uint32_t objects_per_page;
	struct page_list partial;   /* slab pages with at least one free and one used object */
	struct page_owner *empty;   /* the cached empty page, or NULL */
	struct slab_class_stats stats;
};

/*
 * An allocator over one page pool. The caller provides the storage; fields are private. The
 * classes' list heads point into the struct, so it must not be copied or moved while in use.
 */
struct slab_allocator {
	struct page_pool *pool;
	struct slab_class classes[SLAB_CLASS_COUNT];
	uint64_t large_in_use;
	uint64_t large_pages;
	uint64_t large_alloc_count;
	uint64_t large_free_count;
	uint64_t large_fail_count;
	bool ready;
};

/* Prepares a (not yet initialised, or destroyed) allocator taking its pages from pool. */
void slab_init(struct slab_allocator *slab, struct page_pool *pool);

/*
 * Returns the cached empty pages to the pool and marks slab uninitialised. Panics if any
 * object or page-backed allocation is still live (a leak the caller must fix first).
 */
void slab_destroy(struct slab_allocator *slab);

/*
 * Allocates size bytes. Returns NULL, with nothing changed, if size is 0 (a zero-sized request
 * has no use here and is kept out of the classes), above SLAB_LARGE_MAX_SIZE, out of memory, or
 * failed by fault injection. The contents are unspecified.
 */
void *slab_alloc(struct slab_allocator *slab, size_t size);

/* As slab_alloc(), with the memory zeroed. */
void *slab_zalloc(struct slab_allocator *slab, size_t size);

/*
 * Frees p, which slab_alloc()/slab_zalloc() on this allocator returned; NULL is a no-op.
 * Panics if p is not the start of a live allocation of this allocator: double free, interior
 * pointer, pointer outside the pool, or a page that belongs to someone else.
 */
void slab_free(struct slab_allocator *slab, void *p);

/* Returns the usable size of the live allocation p (its class size, or its pages' size). */
size_t slab_usable_size(struct slab_allocator *slab, const void *p);

/* Copies the allocator's counters into *out. */
void slab_get_stats(const struct slab_allocator *slab, struct slab_stats *out);

/* ---- the kernel heap ------------------------------------------------------------------------- */

/*
 * Binds kmalloc()/kzalloc()/kfree() to pool (the kernel: page_alloc_kernel_pool(), right after
 * page_alloc_kernel_init()). Panics if the kernel heap is already bound; host tests unbind it
 * with slab_destroy(slab_kernel()).
 */
void slab_kernel_init(struct page_pool *pool);

/* The allocator behind kmalloc() (for statistics and for tests). */
struct slab_allocator *slab_kernel(void);

/* slab_alloc() on the kernel heap. kmalloc(0) returns NULL. */
void *kmalloc(size_t size);

/* slab_zalloc() on the kernel heap. */
void *kzalloc(size_t size);

/* slab_free() on the kernel heap; kfree(NULL) does nothing. */
void kfree(void *p);
