/*
 * Buddy page allocator (see page_alloc.h for the contract).
 *
 * Every page has one struct page_meta. A block of 2^k pages is described by its first page,
 * the head (state FREE or ALLOCATED, order k); every other page of the block is a TAIL. So a
 * free must name a head of the right order, and a page inside a block, or a block already
 * free, is caught by looking at one entry. Buddies are found by physical frame number
 * (pfn ^ 2^k), which keeps blocks physically aligned whatever the pool's base.
 *
 * page_alloc_pages() runs: the blocks of one run are ALLOCATED heads flagged RUN_HEAD (the
 * first, which also records the page count) or RUN_MEMBER, so neither page_free() nor a
 * page_free_pages() with another count can take a run apart.
 */
#include "mm/page_alloc.h"

#include "kernel/bitops.h"

#include "kernel/check.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "mm/fault_inject.h"

#ifndef BASTION_HOST
#include "kernel/image_layout.h"
#endif

enum page_meta_state {
	PAGE_META_TAIL = 0, /* zeroed metadata is all tails; init then creates the heads */
	PAGE_META_FREE = 1,
	PAGE_META_ALLOCATED = 2,
};

#define PAGE_META_RUN_HEAD 0x1u
#define PAGE_META_RUN_MEMBER 0x2u

struct page_meta {
	uint8_t state;     /* enum page_meta_state */
	uint8_t order;     /* heads: order of the block */
	uint8_t run_flags; /* allocated heads: PAGE_META_RUN_* */
	uint8_t reserved;
	uint32_t run_pages; /* RUN_HEAD: page count of the whole run */
	uintptr_t tag;      /* allocated heads: owner tag, 0 if none */
	union {
		struct page_list free_link; /* free heads: entry in free_lists[order] */
		struct page_owner owner;    /* allocated heads: the owner's */
	} u;
};

#define PAGE_ALLOC_VALID_FLAGS (PAGE_ALLOC_ZERO | PAGE_ALLOC_NO_FAULT_INJECT)

/* ---- misuse reporting ------------------------------------------------------------------------ */

/* A caller broke the contract: name the operation, the address and what was wrong. */
__attribute__((noreturn)) static void page_alloc_misuse(const char *op, const void *va,
							 const char *what)
{
	panic("%s(%p): %s", op, va, what);
}

#define PAGE_ALLOC_REQUIRE(cond, op, va, what)                                                   \
	do {                                                                                     \
		if (__builtin_expect(!(cond), 0)) {                                              \
			page_alloc_misuse((op), (va), (what));                                   \
		}                                                                                \
	} while (0)

/* ---- index and address arithmetic ------------------------------------------------------------ */

static uint64_t page_alloc_base_pfn(const struct page_pool *pool)
{
	return paddr_get(pool->base) >> PAGE_SHIFT;
}

static uint64_t page_alloc_meta_index(const struct page_pool *pool, const struct page_meta *m)
{
	return (uint64_t)(m - pool->meta);
}

static void *page_alloc_index_va(const struct page_pool *pool, uint64_t idx)
{
	return (void *)(uintptr_t)(paddr_get(pool->base) + (idx << PAGE_SHIFT) + pool->va_offset);
}

static uint64_t page_alloc_va_offset_in_pool(const struct page_pool *pool, const void *va)
{
	/* Unsigned wrap-around makes an address below the pool a huge offset: one compare. */
	return (uint64_t)(uintptr_t)va - pool->va_offset - paddr_get(pool->base);
}

static struct page_meta *page_alloc_link_meta(struct page_list *link)
{
	return (struct page_meta *)((char *)link - offsetof(struct page_meta, u.free_link));
}

bool page_pool_contains(const struct page_pool *pool, const void *va)
{
	return pool->ready &&
	       page_alloc_va_offset_in_pool(pool, va) < (pool->page_count << PAGE_SHIFT);
}

/* Returns the metadata of the page at va, which must be a page-aligned address in the pool. */
static struct page_meta *page_alloc_page_meta(const struct page_pool *pool, const void *va,
					      const char *op)
{
	PAGE_ALLOC_REQUIRE(pool->ready, op, va, "pool not initialised");
	PAGE_ALLOC_REQUIRE(page_pool_contains(pool, va), op, va, "address outside the pool");
	PAGE_ALLOC_REQUIRE(vaddr_is_page_aligned(vaddr_from_ptr(va)), op, va,
			   "address not page aligned");
	return &pool->meta[page_alloc_va_offset_in_pool(pool, va) >> PAGE_SHIFT];
}

/* Returns the metadata of the allocated block whose head is at va. */
static struct page_meta *page_alloc_head_meta(const struct page_pool *pool, const void *va,
					      const char *op)
{
	struct page_meta *m = page_alloc_page_meta(pool, va, op);

	/* A block freed twice may since have merged into its lower buddy: then it is a TAIL. */
	PAGE_ALLOC_REQUIRE(m->state != PAGE_META_FREE, op, va,
			   "block is free (double free, or never allocated)");
	PAGE_ALLOC_REQUIRE(m->state == PAGE_META_ALLOCATED, op, va,
			   "not the first page of an allocated block (inside a block, double "
			   "free after a merge, or never allocated)");
	return m;
}

paddr_t page_pool_va_to_pa(const struct page_pool *pool, const void *va)
{
	PAGE_ALLOC_REQUIRE(page_pool_contains(pool, va), "page_pool_va_to_pa", va,
			   "address outside the pool");
	return paddr_init((uint64_t)(uintptr_t)va - pool->va_offset);
}

void *page_pool_pa_to_va(const struct page_pool *pool, paddr_t pa)
{
	uint64_t off = paddr_get(pa) - paddr_get(pool->base);

	CHECK(pool->ready && off < (pool->page_count << PAGE_SHIFT));
	return (void *)(uintptr_t)(paddr_get(pa) + pool->va_offset);
}

/* ---- debug poisoning ------------------------------------------------------------------------- */

#ifdef CONFIG_DEBUG
#define PAGE_ALLOC_POISON_WORD (0x0101010101010101ull * PAGE_ALLOC_POISON)

static void page_alloc_poison(void *va, uint64_t pages)
{
	bastion_memset(va, PAGE_ALLOC_POISON, (size_t)(pages << PAGE_SHIFT));
}

/* Panics if any byte of the pages at va differs from the poison: written after being freed. */
static void page_alloc_poison_verify(const void *va, uint64_t pages)
{
	const uint64_t *w = va;
	size_t words = (size_t)((pages << PAGE_SHIFT) / sizeof(uint64_t));

	for (size_t i = 0; i < words; i++) {
		if (__builtin_expect(w[i] != PAGE_ALLOC_POISON_WORD, 0)) {
			const uint8_t *b = (const uint8_t *)&w[i];
			size_t j = 0;

			while (b[j] == PAGE_ALLOC_POISON) {
				j++;
			}
			panic("page_alloc: use after free: byte %p of free block %p is 0x%02x, "
			      "not the poison 0x%02x",
			      (const void *)&b[j], va, b[j], PAGE_ALLOC_POISON);
		}
	}
}
#else
static void page_alloc_poison(void *va, uint64_t pages)
{
	(void)va;
	(void)pages;
}

static void page_alloc_poison_verify(const void *va, uint64_t pages)
{
	(void)va;
	(void)pages;
}
#endif

/* ---- free lists ------------------------------------------------------------------------------ */

static void page_alloc_list_add(struct page_pool *pool, struct page_meta *m, unsigned int order)
{
	m->state = PAGE_META_FREE;
	m->order = (uint8_t)order;
	m->run_flags = 0;
	m->run_pages = 0;
	m->tag = 0;
	page_list_push(&pool->free_lists[order], &m->u.free_link);
	pool->stats.free_blocks[order]++;
}

static void page_alloc_list_del(struct page_pool *pool, struct page_meta *m)
{
	page_list_remove(&m->u.free_link);
	pool->stats.free_blocks[m->order]--;
}

/*
 * Puts the 2^order pages at idx (all TAIL, or a head about to be released) back on the free
 * lists, merging with free buddies as far as they go. Does not touch free_pages.
 */
static void page_alloc_release(struct page_pool *pool, uint64_t idx, unsigned int order)
{
	uint64_t base_pfn = page_alloc_base_pfn(pool);
	uint64_t pfn = base_pfn + idx;

	pool->meta[idx].state = PAGE_META_TAIL;
	while (order < PAGE_ALLOC_MAX_ORDER) {
		uint64_t buddy_pfn = pfn ^ (1ull << order);
		struct page_meta *buddy = NULL;

		if (buddy_pfn < base_pfn ||
		    buddy_pfn - base_pfn + (1ull << order) > pool->page_count) {
			break;
		}
		buddy = &pool->meta[buddy_pfn - base_pfn];
		if (buddy->state != PAGE_META_FREE || buddy->order != order) {
			break;
		}
		page_alloc_list_del(pool, buddy);
		buddy->state = PAGE_META_TAIL;
		pfn &= ~(1ull << order);
		order++;
	}
	page_alloc_list_add(pool, &pool->meta[pfn - base_pfn], order);
}

/*
 * Takes a free block of exactly 2^order pages, splitting a larger one if needed (the unused
 * upper halves go back on the lists). Returns its head, marked ALLOCATED, or NULL.
 */
static struct page_meta *page_alloc_take(struct page_pool *pool, unsigned int order)
{
	unsigned int k = order;
	struct page_meta *m = NULL;

	while (k <= PAGE_ALLOC_MAX_ORDER && page_list_empty(&pool->free_lists[k])) {
		k++;
	}
	if (k > PAGE_ALLOC_MAX_ORDER) {
		return NULL;
	}
	m = page_alloc_link_meta(pool->free_lists[k].next);
	page_alloc_list_del(pool, m);
	while (k > order) {
		k--;
		page_alloc_list_add(pool, m + (1ull << k), k);
	}
	m->state = PAGE_META_ALLOCATED;
	m->order = (uint8_t)order;
	m->run_flags = 0;
	m->run_pages = 0;
	m->tag = 0;
	bastion_memset(&m->u.owner, 0, sizeof(m->u.owner));
	pool->stats.free_pages -= 1ull << order;
	return m;
}

/* Final step of a successful allocation of pages at m: poison check, zeroing, counters. */
static void *page_alloc_hand_out(struct page_pool *pool, struct page_meta *m, uint64_t pages,
				 unsigned int flags)
{
	void *va = page_alloc_index_va(pool, page_alloc_meta_index(pool, m));

	page_alloc_poison_verify(va, pages);
	if ((flags & PAGE_ALLOC_ZERO) != 0) {
		bastion_memset(va, 0, (size_t)(pages << PAGE_SHIFT));
	}
	pool->stats.alloc_count++;
	return va;
}

/* Counts a failed request; returns NULL for the caller to pass on. */
static void *page_alloc_fail(struct page_pool *pool)
{
	pool->stats.fail_count++;
	return NULL;
}

/* ---- setup ----------------------------------------------------------------------------------- */

size_t page_pool_meta_bytes(uint64_t page_count)
{
	if (page_count == 0 || page_count > PAGE_POOL_MAX_PAGES) {
		return 0;
	}
	return (size_t)(page_count * sizeof(struct page_meta));
}

int page_pool_init(struct page_pool *pool, paddr_t base, uint64_t page_count, uint64_t va_offset,
		   void *meta, size_t meta_bytes)
{
	size_t need = page_pool_meta_bytes(page_count);
	uint64_t base_pa = paddr_get(base);
	uint64_t pa_end = 0;
	uint64_t va_start = base_pa + va_offset;
	uint64_t va_end = 0;
	uint64_t meta_va = (uint64_t)(uintptr_t)meta;
	uint64_t base_pfn = base_pa >> PAGE_SHIFT;
	uint64_t idx = 0;

	if (need == 0 || !paddr_is_page_aligned(base) || !addr_is_aligned(va_offset, PAGE_SIZE) ||
	    meta == NULL || meta_bytes < need ||
	    !addr_is_aligned(meta_va, _Alignof(struct page_meta))) {
		return PAGE_ALLOC_ERR_INVALID;
	}
	if (!addr_range_end(base_pa, page_count << PAGE_SHIFT, &pa_end) ||
	    !addr_range_end(va_start, page_count << PAGE_SHIFT, &va_end) ||
	    addr_ranges_overlap(va_start, page_count << PAGE_SHIFT, meta_va, need)) {
		return PAGE_ALLOC_ERR_INVALID;
	}

	bastion_memset(pool, 0, sizeof(*pool));
	pool->base = base;
	pool->page_count = page_count;
	pool->va_offset = va_offset;
	pool->meta = meta;
	for (unsigned int k = 0; k < PAGE_ALLOC_ORDER_COUNT; k++) {
		page_list_init(&pool->free_lists[k]);
	}
	bastion_memset(meta, 0, need);
	pool->stats.total_pages = page_count;
	pool->stats.free_pages = page_count;

	/*
	 * Cover the range with the largest aligned blocks, left to right. A block is only ever
	 * limited by its alignment or by the end of the range, so no two of them are free buddies
	 * that should have been one block.
	 */
	while (idx < page_count) {
		unsigned int k = PAGE_ALLOC_MAX_ORDER;

		while (!addr_is_aligned(base_pfn + idx, 1ull << k) ||
		       idx + (1ull << k) > page_count) {
			k--;
		}
		page_alloc_list_add(pool, &pool->meta[idx], k);
		idx += 1ull << k;
	}
	pool->ready = true;
	page_alloc_poison(page_alloc_index_va(pool, 0), page_count);
	return PAGE_ALLOC_OK;
}

/* Metadata pages needed by a pool of n pages. */
static uint64_t page_alloc_meta_pages(uint64_t n)
{
	return (n * sizeof(struct page_meta) + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

uint64_t page_pool_meta_split(uint64_t total_pages, uint64_t *meta_pages)
{
	uint64_t managed = 0;

	*meta_pages = 0;
	/* Beyond this the pool would be capped anyway; clamping keeps the products below small. */
	if (total_pages > 2 * PAGE_POOL_MAX_PAGES) {
		total_pages = 2 * PAGE_POOL_MAX_PAGES;
	}
	/*
	 * n + n * sizeof(meta) / PAGE_SIZE = total has the real solution below; rounding the
	 * metadata up to whole pages can make it one or two pages too many, so step down until
	 * the split fits.
	 */
	managed = total_pages * PAGE_SIZE / (PAGE_SIZE + sizeof(struct page_meta));
	if (managed > PAGE_POOL_MAX_PAGES) {
		managed = PAGE_POOL_MAX_PAGES;
	}
	while (managed > 0 && managed + page_alloc_meta_pages(managed) > total_pages) {
		managed--;
	}
	if (managed == 0) {
		return 0;
	}
	*meta_pages = page_alloc_meta_pages(managed);
	return managed;
}

int page_pool_init_carved(struct page_pool *pool, paddr_t base, uint64_t total_pages,
			  uint64_t va_offset)
{
	uint64_t meta_pages = 0;
	uint64_t managed = 0;

	if (!paddr_is_page_aligned(base) || !addr_is_aligned(va_offset, PAGE_SIZE) ||
	    total_pages == 0) {
		return PAGE_ALLOC_ERR_INVALID;
	}
	managed = page_pool_meta_split(total_pages, &meta_pages);
	if (managed == 0) {
		return PAGE_ALLOC_ERR_TOO_SMALL;
	}
	return page_pool_init(pool, paddr_add(base, meta_pages << PAGE_SHIFT), managed, va_offset,
			      (void *)(uintptr_t)(paddr_get(base) + va_offset),
			      (size_t)(meta_pages << PAGE_SHIFT));
}

/* ---- allocation ------------------------------------------------------------------------------ */

void *page_alloc(struct page_pool *pool, unsigned int order, unsigned int flags)
{
	struct page_meta *m = NULL;

	CHECK(pool->ready);
	CHECK((flags & ~PAGE_ALLOC_VALID_FLAGS) == 0);
	/* LOCK: take the pool lock here once other CPUs run Bastion code. */
	if (order > PAGE_ALLOC_MAX_ORDER) {
		return page_alloc_fail(pool);
	}
	if ((flags & PAGE_ALLOC_NO_FAULT_INJECT) == 0 && fault_inject_should_fail()) {
		return page_alloc_fail(pool);
	}
	m = page_alloc_take(pool, order);
	if (m == NULL) {
		return page_alloc_fail(pool);
	}
	return page_alloc_hand_out(pool, m, 1ull << order, flags);
}

void page_free(struct page_pool *pool, void *va, unsigned int order)
{
	struct page_meta *m = NULL;

	/* LOCK: take the pool lock here once other CPUs run Bastion code. */
	m = page_alloc_head_meta(pool, va, "page_free");
	PAGE_ALLOC_REQUIRE(order <= PAGE_ALLOC_MAX_ORDER && m->order == order, "page_free", va,
			   "order differs from the allocation's");
	PAGE_ALLOC_REQUIRE(m->run_flags == 0, "page_free", va,
			   "block belongs to a page_alloc_pages() run: use page_free_pages()");
	PAGE_ALLOC_REQUIRE(m->tag == 0, "page_free", va,
			   "block still has an owner tag (freed behind its owner's back)");
	page_alloc_poison(va, 1ull << order);
	page_alloc_release(pool, page_alloc_meta_index(pool, m), order);
	pool->stats.free_pages += 1ull << order;
	pool->stats.free_count++;
}

/* Smallest k with 2^k >= count (count >= 1). */
static unsigned int page_alloc_order_for(uint64_t count)
{
	unsigned int k = 0;

	while ((1ull << k) < count) {
		k++;
	}
	return k;
}

/* Largest k <= limit with off aligned to 2^k and off + 2^k <= end. */
static unsigned int page_alloc_fit_order(uint64_t off, uint64_t end, unsigned int limit)
{
	unsigned int k = limit;

	while (!addr_is_aligned(off, 1ull << k) || off + (1ull << k) > end) {
		k--;
	}
	return k;
}

void *page_alloc_pages(struct page_pool *pool, size_t count, unsigned int flags)
{
	struct page_meta *m = NULL;
	unsigned int order = 0;
	uint64_t idx = 0;
	uint64_t off = 0;

	CHECK(pool->ready);
	CHECK((flags & ~PAGE_ALLOC_VALID_FLAGS) == 0);
	/* LOCK: take the pool lock here once other CPUs run Bastion code. */
	if (count == 0 || count > PAGE_ALLOC_MAX_BLOCK_PAGES) {
		return page_alloc_fail(pool);
	}
	if ((flags & PAGE_ALLOC_NO_FAULT_INJECT) == 0 && fault_inject_should_fail()) {
		return page_alloc_fail(pool);
	}
	order = page_alloc_order_for(count);
	m = page_alloc_take(pool, order);
	if (m == NULL) {
		return page_alloc_fail(pool);
	}
	idx = page_alloc_meta_index(pool, m);

	/* Keep count's binary decomposition, largest block first: each piece stays aligned. */
	for (unsigned int k = order + 1; k-- > 0;) {
		struct page_meta *piece = NULL;

		if ((count & (1ull << k)) == 0) {
			continue;
		}
		piece = &pool->meta[idx + off];
		piece->state = PAGE_META_ALLOCATED;
		piece->order = (uint8_t)k;
		piece->run_flags = off == 0 ? PAGE_META_RUN_HEAD : PAGE_META_RUN_MEMBER;
		piece->run_pages = off == 0 ? (uint32_t)count : 0;
		piece->tag = 0;
		if (off != 0) {
			bastion_memset(&piece->u.owner, 0, sizeof(piece->u.owner));
		}
		off += 1ull << k;
	}
	/* Give the tail back as maximal aligned blocks; they are still poisoned. */
	while (off < (1ull << order)) {
		unsigned int k = page_alloc_fit_order(off, 1ull << order, order);

		page_alloc_release(pool, idx + off, k);
		off += 1ull << k;
	}
	pool->stats.free_pages += (1ull << order) - count;
	return page_alloc_hand_out(pool, m, count, flags);
}

void page_free_pages(struct page_pool *pool, void *va, size_t count)
{
	struct page_meta *m = NULL;
	uint64_t idx = 0;
	uint64_t off = 0;

	/* LOCK: take the pool lock here once other CPUs run Bastion code. */
	m = page_alloc_head_meta(pool, va, "page_free_pages");
	PAGE_ALLOC_REQUIRE(m->run_flags == PAGE_META_RUN_HEAD, "page_free_pages", va,
			   "not the start of a page_alloc_pages() run");
	PAGE_ALLOC_REQUIRE(m->run_pages == count, "page_free_pages", va,
			   "count differs from the allocation's");
	PAGE_ALLOC_REQUIRE(m->tag == 0, "page_free_pages", va,
			   "run still has an owner tag (freed behind its owner's back)");
	idx = page_alloc_meta_index(pool, m);

	/* Check every piece before changing anything. */
	for (unsigned int k = PAGE_ALLOC_MAX_ORDER + 1; k-- > 0;) {
		const struct page_meta *piece = NULL;

		if ((count & (1ull << k)) == 0) {
			continue;
		}
		piece = &pool->meta[idx + off];
		CHECK(piece->state == PAGE_META_ALLOCATED && piece->order == k &&
		      piece->run_flags == (off == 0 ? PAGE_META_RUN_HEAD : PAGE_META_RUN_MEMBER));
		off += 1ull << k;
	}
	off = 0;
	for (unsigned int k = PAGE_ALLOC_MAX_ORDER + 1; k-- > 0;) {
		if ((count & (1ull << k)) == 0) {
			continue;
		}
		page_alloc_poison(page_alloc_index_va(pool, idx + off), 1ull << k);
		page_alloc_release(pool, idx + off, k);
		off += 1ull << k;
	}
	pool->stats.free_pages += count;
	pool->stats.free_count++;
}

/* ---- owners ---------------------------------------------------------------------------------- */

void page_pool_set_tag(struct page_pool *pool, const void *va, uintptr_t tag)
{
	page_alloc_head_meta(pool, va, "page_pool_set_tag")->tag = tag;
}

uintptr_t page_pool_tag(const struct page_pool *pool, const void *va)
{
	return page_alloc_head_meta(pool, va, "page_pool_tag")->tag;
}

struct page_owner *page_pool_owner(struct page_pool *pool, const void *va)
{
	return &page_alloc_head_meta(pool, va, "page_pool_owner")->u.owner;
}

void *page_pool_owner_va(const struct page_pool *pool, const struct page_owner *owner)
{
	uintptr_t addr = (uintptr_t)owner - offsetof(struct page_meta, u.owner);
	uintptr_t first = (uintptr_t)pool->meta;
	uint64_t idx = 0;

	CHECK(pool->ready && addr >= first && (addr - first) % sizeof(struct page_meta) == 0);
	idx = (addr - first) / sizeof(struct page_meta);
	CHECK(idx < pool->page_count && pool->meta[idx].state == PAGE_META_ALLOCATED);
	return page_alloc_index_va(pool, idx);
}

/* ---- statistics and invariants --------------------------------------------------------------- */

void page_pool_get_stats(const struct page_pool *pool, struct page_pool_stats *out)
{
	*out = pool->stats;
}

uint64_t page_pool_free_pages(const struct page_pool *pool)
{
	return pool->stats.free_pages;
}

static bool page_alloc_check_fail(const char **reason, const char *what)
{
	if (reason != NULL) {
		*reason = what;
	}
	return false;
}

/* Checks one page_alloc_pages() run starting at the RUN_HEAD at idx. */
static bool page_alloc_check_run(const struct page_pool *pool, uint64_t idx, const char **reason)
{
	uint64_t count = pool->meta[idx].run_pages;
	uint64_t off = 0;

	if (count == 0 || count > PAGE_ALLOC_MAX_BLOCK_PAGES || idx + count > pool->page_count) {
		return page_alloc_check_fail(reason, "run with a bad page count");
	}
	for (unsigned int k = PAGE_ALLOC_MAX_ORDER + 1; k-- > 0;) {
		const struct page_meta *piece = NULL;

		if ((count & (1ull << k)) == 0) {
			continue;
		}
		piece = &pool->meta[idx + off];
		if (piece->state != PAGE_META_ALLOCATED || piece->order != k ||
		    piece->run_flags != (off == 0 ? PAGE_META_RUN_HEAD : PAGE_META_RUN_MEMBER)) {
			return page_alloc_check_fail(reason, "run pieces do not match its count");
		}
		off += 1ull << k;
	}
	return true;
}

bool page_pool_check(const struct page_pool *pool, const char **reason)
{
	uint64_t base_pfn = page_alloc_base_pfn(pool);
	uint64_t free_pages = 0;
	uint64_t free_blocks[PAGE_ALLOC_ORDER_COUNT] = { 0 };
	uint64_t members_expected = 0;
	uint64_t members_seen = 0;
	uint64_t idx = 0;

	if (!pool->ready) {
		return page_alloc_check_fail(reason, "pool not initialised");
	}
	while (idx < pool->page_count) {
		const struct page_meta *m = &pool->meta[idx];
		uint64_t size = 0;

		if (m->state != PAGE_META_FREE && m->state != PAGE_META_ALLOCATED) {
			return page_alloc_check_fail(reason, "page outside every block");
		}
		if (m->order > PAGE_ALLOC_MAX_ORDER) {
			return page_alloc_check_fail(reason, "block order out of range");
		}
		size = 1ull << m->order;
		if (!addr_is_aligned(base_pfn + idx, size) || idx + size > pool->page_count) {
			return page_alloc_check_fail(reason, "block misaligned or past the end");
		}
		for (uint64_t i = 1; i < size; i++) {
			if (pool->meta[idx + i].state != PAGE_META_TAIL) {
				return page_alloc_check_fail(reason, "overlapping blocks");
			}
		}
		if (m->state == PAGE_META_FREE) {
			uint64_t buddy_pfn = (base_pfn + idx) ^ size;

			if (m->run_flags != 0 || m->tag != 0) {
				return page_alloc_check_fail(reason, "free block with owner data");
			}
			free_pages += size;
			free_blocks[m->order]++;
			if (m->order < PAGE_ALLOC_MAX_ORDER && buddy_pfn >= base_pfn &&
			    buddy_pfn - base_pfn < pool->page_count) {
				const struct page_meta *b = &pool->meta[buddy_pfn - base_pfn];

				if (b->state == PAGE_META_FREE && b->order == m->order) {
					return page_alloc_check_fail(reason,
								     "free buddies left unmerged");
				}
			}
		} else if (m->run_flags == PAGE_META_RUN_HEAD) {
			if (!page_alloc_check_run(pool, idx, reason)) {
				return false;
			}
			members_expected += (uint64_t)bit_count64(m->run_pages) - 1;
		} else if (m->run_flags == PAGE_META_RUN_MEMBER) {
			members_seen++;
		} else if (m->run_flags != 0) {
			return page_alloc_check_fail(reason, "bad run flags");
		}
		idx += size;
	}
	if (members_seen != members_expected) {
		return page_alloc_check_fail(reason, "run member outside any run");
	}
	if (free_pages != pool->stats.free_pages) {
		return page_alloc_check_fail(reason, "free page count differs from the blocks");
	}
	if (pool->stats.total_pages != pool->page_count) {
		return page_alloc_check_fail(reason, "total page count changed");
	}
	for (unsigned int k = 0; k < PAGE_ALLOC_ORDER_COUNT; k++) {
		const struct page_list *head = &pool->free_lists[k];
		const struct page_list *l = head->next;
		uint64_t n = 0;

		if (free_blocks[k] != pool->stats.free_blocks[k]) {
			return page_alloc_check_fail(reason, "free block count differs per order");
		}
		while (l != head) {
			const struct page_meta *m =
				page_alloc_link_meta((struct page_list *)(uintptr_t)l);
			uint64_t mi = 0;

			if (m < pool->meta || m >= pool->meta + pool->page_count) {
				return page_alloc_check_fail(reason, "free list entry outside");
			}
			mi = page_alloc_meta_index(pool, m);
			if (&pool->meta[mi] != m || m->state != PAGE_META_FREE || m->order != k ||
			    l->next->prev != l) {
				return page_alloc_check_fail(reason, "bad free list entry");
			}
			if (++n > free_blocks[k]) {
				return page_alloc_check_fail(reason, "free list too long");
			}
			l = l->next;
		}
		if (n != free_blocks[k]) {
			return page_alloc_check_fail(reason, "free list shorter than expected");
		}
	}
	return true;
}

/* ---- the kernel's pool ----------------------------------------------------------------------- */

#ifndef BASTION_HOST
static struct page_pool page_alloc_kernel;

int page_alloc_kernel_init(paddr_t free_start, paddr_t free_end)
{
	uint64_t region_start = BASTION_REGION_GPA;
	uint64_t region_end = (uint64_t)BASTION_REGION_GPA + BASTION_REGION_SIZE;
	uint64_t start = 0;
	uint64_t end = paddr_get(paddr_align_down(free_end, PAGE_SIZE));
	/* The region is mapped at BASTION_VIRT_BASE: VA - PA is this constant (mod 2^64). */
	uint64_t va_offset = (uint64_t)BASTION_VIRT_BASE - (uint64_t)BASTION_REGION_GPA;

	CHECK(!page_alloc_kernel.ready);
	if (!addr_align_up_checked(paddr_get(free_start), PAGE_SIZE, &start) || start >= end ||
	    start < region_start || end > region_end) {
		return PAGE_ALLOC_ERR_INVALID;
	}
	return page_pool_init_carved(&page_alloc_kernel, paddr_init(start),
				     (end - start) >> PAGE_SHIFT, va_offset);
}

struct page_pool *page_alloc_kernel_pool(void)
{
	CHECK(page_alloc_kernel.ready);
	return &page_alloc_kernel;
}
#endif
