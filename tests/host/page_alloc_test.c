/*
 * Host tests for mm/page_alloc.c (and the fault-injection hook it consults).
 *
 * A pool here manages a fake physical range (at PA_TEST_BASE, 4 MiB aligned unless a test
 * shifts it) backed by a page-aligned heap buffer: VA = PA + (buffer - PA). Misuse must panic
 * (EXPECT_PANIC) and leave the pool consistent, since every check runs before any change.
 * The randomized test drives a million operations against a reference model of the
 * outstanding blocks. Built with CONFIG_DEBUG (poisoning) and CONFIG_FAULT_INJECT; the tests
 * that need either are compiled only when it is set.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mm/fault_inject.h"
#include "mm/page_alloc.h"
#include "tests/host/host_panic.h"
#include "tests/ktest/ktest.h"

#define PA_TEST_BASE 0x100000000ull
#define PA_TEST_TOP 0xfffffffffffff000ull /* last page of the physical address space */

struct pa_fixture {
	struct page_pool pool;
	uint8_t *mem;
	void *meta;
	uint64_t pages;
	uint64_t base; /* fake physical address of the first page */
};

/* Sets up a pool of pages pages at physical address base; false if the host is out of memory. */
static bool pa_setup_at(struct pa_fixture *f, uint64_t pages, uint64_t base)
{
	memset(f, 0, sizeof(*f));
	f->pages = pages;
	f->base = base;
	f->mem = aligned_alloc(PAGE_SIZE, pages * PAGE_SIZE);
	f->meta = malloc(page_pool_meta_bytes(pages));
	if (f->mem == NULL || f->meta == NULL) {
		return false;
	}
	return page_pool_init(&f->pool, paddr_init(base), pages,
			      (uint64_t)(uintptr_t)f->mem - base, f->meta,
			      page_pool_meta_bytes(pages)) == PAGE_ALLOC_OK;
}

static bool pa_setup(struct pa_fixture *f, uint64_t pages)
{
	return pa_setup_at(f, pages, PA_TEST_BASE);
}

static void pa_teardown(struct pa_fixture *f)
{
	free(f->mem);
	free(f->meta);
	f->mem = NULL;
	f->meta = NULL;
}

/* page_pool_check() as a test expectation that prints the reason. */
#define EXPECT_POOL_OK(pool)                                                                     \
	do {                                                                                     \
		const char *pa_reason_ = NULL;                                                   \
		KTEST_CHECK_(page_pool_check((pool), &pa_reason_), KTEST_NOTHING_,               \
			     "page_pool_check: %s", pa_reason_ != NULL ? pa_reason_ : "?");      \
	} while (0)

static uint64_t pa_pa(const struct pa_fixture *f, const void *va)
{
	return paddr_get(page_pool_va_to_pa(&f->pool, va));
}

static uint64_t pa_free_blocks(const struct page_pool *pool, unsigned int order)
{
	struct page_pool_stats s = { 0 };

	page_pool_get_stats(pool, &s);
	return s.free_blocks[order];
}

static uint64_t pa_rng_state;

/* xorshift64: deterministic, so a failure reproduces. */
static uint64_t pa_rand(void)
{
	uint64_t x = pa_rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	pa_rng_state = x;
	return x;
}

KTEST(page_alloc, init_aligned_pool_is_all_free)
{
	struct pa_fixture f = { 0 };
	struct page_pool_stats s = { 0 };

	ASSERT_TRUE(pa_setup(&f, 2048));
	page_pool_get_stats(&f.pool, &s);
	EXPECT_EQ(s.total_pages, 2048);
	EXPECT_EQ(s.free_pages, 2048);
	EXPECT_EQ(s.free_blocks[PAGE_ALLOC_MAX_ORDER], 2);
	for (unsigned int k = 0; k < PAGE_ALLOC_MAX_ORDER; k++) {
		EXPECT_EQ(s.free_blocks[k], 0);
	}
	EXPECT_EQ(s.alloc_count, 0);
	EXPECT_POOL_OK(&f.pool);
	pa_teardown(&f);
}

KTEST(page_alloc, init_unaligned_base_carves_aligned_blocks)
{
	struct pa_fixture f = { 0 };
	uint64_t total = 0;
	uint64_t pages = 0;

	/* Base 3 pages past a 4 MiB boundary, 1000 pages: 1 + 4 + ... blocks up to alignment. */
	ASSERT_TRUE(pa_setup_at(&f, 1000, PA_TEST_BASE + 3 * PAGE_SIZE));
	EXPECT_POOL_OK(&f.pool);
	for (unsigned int k = 0; k <= PAGE_ALLOC_MAX_ORDER; k++) {
		total += pa_free_blocks(&f.pool, k) << k;
	}
	EXPECT_EQ(total, 1000);
	/* pfn 3, then 4..7, 8..15, ... up to 512; the end (pfn 1003) is covered downwards. */
	EXPECT_EQ(pa_free_blocks(&f.pool, 0), 2); /* pfns 3 and 1002 */
	EXPECT_EQ(pa_free_blocks(&f.pool, 1), 1); /* 1000..1001 */
	EXPECT_EQ(pa_free_blocks(&f.pool, 2), 1); /* 4..7 */
	EXPECT_EQ(pa_free_blocks(&f.pool, PAGE_ALLOC_MAX_ORDER), 0);
	/* Every order-0 allocation is in range and every block's PA is aligned to its size. */
	for (;;) {
		void *p = page_alloc(&f.pool, 0, 0);

		if (p == NULL) {
			break;
		}
		EXPECT_TRUE(page_pool_contains(&f.pool, p));
		pages++;
	}
	EXPECT_EQ(pages, 1000);
	EXPECT_EQ(page_pool_free_pages(&f.pool), 0);
	pa_teardown(&f);
}

KTEST(page_alloc, init_rejects_bad_arguments)
{
	struct page_pool pool = { 0 };
	size_t meta_bytes = page_pool_meta_bytes(16);
	uint8_t *mem = aligned_alloc(PAGE_SIZE, 16 * PAGE_SIZE);
	uint8_t *meta = malloc(meta_bytes + 8);
	uint64_t off = (uint64_t)(uintptr_t)mem - PA_TEST_BASE;

	ASSERT_NOT_NULL(mem);
	ASSERT_NOT_NULL(meta);
	EXPECT_EQ(page_pool_meta_bytes(0), 0);
	EXPECT_EQ(page_pool_meta_bytes(PAGE_POOL_MAX_PAGES + 1), 0);
	EXPECT_EQ(page_pool_init(&pool, paddr_init(PA_TEST_BASE + 1), 16, off, meta, meta_bytes),
		  PAGE_ALLOC_ERR_INVALID);
	EXPECT_EQ(page_pool_init(&pool, paddr_init(PA_TEST_BASE), 16, off + 8, meta, meta_bytes),
		  PAGE_ALLOC_ERR_INVALID);
	EXPECT_EQ(page_pool_init(&pool, paddr_init(PA_TEST_BASE), 0, off, meta, meta_bytes),
		  PAGE_ALLOC_ERR_INVALID);
	EXPECT_EQ(page_pool_init(&pool, paddr_init(PA_TEST_BASE), 16, off, NULL, meta_bytes),
		  PAGE_ALLOC_ERR_INVALID);
	EXPECT_EQ(page_pool_init(&pool, paddr_init(PA_TEST_BASE), 16, off, meta, meta_bytes - 1),
		  PAGE_ALLOC_ERR_INVALID);
	EXPECT_EQ(page_pool_init(&pool, paddr_init(PA_TEST_BASE), 16, off, meta + 4, meta_bytes),
		  PAGE_ALLOC_ERR_INVALID);
	/* Metadata inside the pool's own pages. */
	EXPECT_EQ(page_pool_init(&pool, paddr_init(PA_TEST_BASE), 16, off, mem + PAGE_SIZE,
				 meta_bytes),
		  PAGE_ALLOC_ERR_INVALID);
	/* A physical range that wraps. */
	EXPECT_EQ(page_pool_init(&pool, paddr_init(PA_TEST_TOP), 16,
				 (uint64_t)(uintptr_t)mem - PA_TEST_TOP, meta, meta_bytes),
		  PAGE_ALLOC_ERR_INVALID);
	EXPECT_EQ(page_pool_init(&pool, paddr_init(PA_TEST_BASE), 16, off, meta, meta_bytes),
		  PAGE_ALLOC_OK);
	EXPECT_POOL_OK(&pool);
	free(mem);
	free(meta);
}

KTEST(page_alloc, split_and_coalesce)
{
	struct pa_fixture f = { 0 };
	void *a = NULL;
	void *b = NULL;

	ASSERT_TRUE(pa_setup(&f, 1024));
	a = page_alloc(&f.pool, 0, 0);
	ASSERT_NOT_NULL(a);
	EXPECT_EQ(pa_pa(&f, a), PA_TEST_BASE);
	/* Splitting the order-10 block left one free block of each order 0..9. */
	for (unsigned int k = 0; k < PAGE_ALLOC_MAX_ORDER; k++) {
		EXPECT_EQ(pa_free_blocks(&f.pool, k), 1);
	}
	EXPECT_EQ(pa_free_blocks(&f.pool, PAGE_ALLOC_MAX_ORDER), 0);
	EXPECT_POOL_OK(&f.pool);

	/* The buddy of a is the next allocation of order 0. */
	b = page_alloc(&f.pool, 0, 0);
	ASSERT_NOT_NULL(b);
	EXPECT_EQ(pa_pa(&f, b), PA_TEST_BASE + PAGE_SIZE);
	EXPECT_EQ(pa_free_blocks(&f.pool, 0), 0);

	page_free(&f.pool, a, 0);
	EXPECT_EQ(pa_free_blocks(&f.pool, 0), 1); /* b still holds a's buddy */
	EXPECT_POOL_OK(&f.pool);
	page_free(&f.pool, b, 0);
	/* Everything merged back into the single order-10 block. */
	EXPECT_EQ(pa_free_blocks(&f.pool, PAGE_ALLOC_MAX_ORDER), 1);
	for (unsigned int k = 0; k < PAGE_ALLOC_MAX_ORDER; k++) {
		EXPECT_EQ(pa_free_blocks(&f.pool, k), 0);
	}
	EXPECT_EQ(page_pool_free_pages(&f.pool), 1024);
	EXPECT_POOL_OK(&f.pool);
	pa_teardown(&f);
}

KTEST(page_alloc, blocks_are_aligned_and_disjoint)
{
	struct pa_fixture f = { 0 };
	void *blocks[PAGE_ALLOC_ORDER_COUNT] = { NULL };

	ASSERT_TRUE(pa_setup(&f, 4096));
	for (unsigned int k = 0; k <= PAGE_ALLOC_MAX_ORDER; k++) {
		blocks[k] = page_alloc(&f.pool, k, 0);
		ASSERT_NOT_NULL(blocks[k]);
		EXPECT_TRUE(addr_is_aligned(pa_pa(&f, blocks[k]), PAGE_SIZE << k));
		/* Write the whole block: ASan would flag any byte outside the backing buffer. */
		memset(blocks[k], (int)k, PAGE_SIZE << k);
	}
	for (unsigned int k = 0; k <= PAGE_ALLOC_MAX_ORDER; k++) {
		const uint8_t *p = blocks[k];

		/* No later block overwrote this one. */
		EXPECT_EQ(p[0], k);
		EXPECT_EQ(p[(PAGE_SIZE << k) - 1], k);
	}
	EXPECT_POOL_OK(&f.pool);
	for (unsigned int k = 0; k <= PAGE_ALLOC_MAX_ORDER; k++) {
		page_free(&f.pool, blocks[k], k);
	}
	EXPECT_EQ(page_pool_free_pages(&f.pool), 4096);
	EXPECT_EQ(pa_free_blocks(&f.pool, PAGE_ALLOC_MAX_ORDER), 4);
	EXPECT_POOL_OK(&f.pool);
	pa_teardown(&f);
}

KTEST(page_alloc, stats_per_order)
{
	struct pa_fixture f = { 0 };
	struct page_pool_stats s = { 0 };
	void *p3 = NULL;
	void *p1 = NULL;

	ASSERT_TRUE(pa_setup(&f, 16));
	EXPECT_EQ(pa_free_blocks(&f.pool, 4), 1);
	p3 = page_alloc(&f.pool, 3, 0);
	ASSERT_NOT_NULL(p3);
	page_pool_get_stats(&f.pool, &s);
	EXPECT_EQ(s.free_blocks[3], 1);
	EXPECT_EQ(s.free_blocks[4], 0);
	EXPECT_EQ(s.free_pages, 8);
	p1 = page_alloc(&f.pool, 1, 0);
	ASSERT_NOT_NULL(p1);
	page_pool_get_stats(&f.pool, &s);
	EXPECT_EQ(s.free_blocks[1], 1);
	EXPECT_EQ(s.free_blocks[2], 1);
	EXPECT_EQ(s.free_blocks[3], 0);
	EXPECT_EQ(s.free_pages, 6);
	EXPECT_EQ(s.alloc_count, 2);
	EXPECT_NULL(page_alloc(&f.pool, 3, 0));
	EXPECT_NULL(page_alloc(&f.pool, PAGE_ALLOC_MAX_ORDER + 1, 0));
	page_pool_get_stats(&f.pool, &s);
	EXPECT_EQ(s.fail_count, 2);
	page_free(&f.pool, p1, 1);
	page_free(&f.pool, p3, 3);
	page_pool_get_stats(&f.pool, &s);
	EXPECT_EQ(s.free_count, 2);
	EXPECT_EQ(s.free_blocks[4], 1);
	EXPECT_EQ(s.free_pages, 16);
	EXPECT_POOL_OK(&f.pool);
	pa_teardown(&f);
}

KTEST(page_alloc, exhaustion_returns_null_and_recovers)
{
	struct pa_fixture f = { 0 };
	struct page_pool_stats before = { 0 };
	struct page_pool_stats after = { 0 };
	void **got = NULL;
	uint64_t n = 0;

	/* Unaligned base: blocks of several orders, so recovery must rebuild all of them. */
	ASSERT_TRUE(pa_setup_at(&f, 777, PA_TEST_BASE + 5 * PAGE_SIZE));
	page_pool_get_stats(&f.pool, &before);
	got = calloc(777, sizeof(*got));
	ASSERT_NOT_NULL(got);
	for (unsigned int order = 0; order <= 4; order++) {
		n = 0;
		for (;;) {
			void *p = page_alloc(&f.pool, order, 0);

			if (p == NULL) {
				break;
			}
			got[n++] = p;
		}
		/* NULL only once no block of this order or above is left. */
		for (unsigned int k = order; k <= PAGE_ALLOC_MAX_ORDER; k++) {
			EXPECT_EQ(pa_free_blocks(&f.pool, k), 0);
		}
		EXPECT_POOL_OK(&f.pool);
		EXPECT_NULL(page_alloc(&f.pool, order, 0));
		for (uint64_t i = 0; i < n; i++) {
			page_free(&f.pool, got[n - 1 - i], order);
		}
		page_pool_get_stats(&f.pool, &after);
		EXPECT_EQ(after.free_pages, before.free_pages);
		EXPECT_MEMEQ(after.free_blocks, before.free_blocks, sizeof(before.free_blocks));
		EXPECT_POOL_OK(&f.pool);
	}
	/* Order 0 handed out every page exactly once. */
	n = 0;
	while (page_alloc(&f.pool, 0, 0) != NULL) {
		n++;
	}
	EXPECT_EQ(n, 777);
	free(got);
	pa_teardown(&f);
}

KTEST(page_alloc, zeroed_allocation_is_zero)
{
	struct pa_fixture f = { 0 };
	uint8_t *p = NULL;
	bool all_zero = true;

	ASSERT_TRUE(pa_setup(&f, 8));
	p = page_alloc(&f.pool, 3, 0);
	ASSERT_NOT_NULL(p);
	memset(p, 0xee, 8 * PAGE_SIZE);
	page_free(&f.pool, p, 3);
	p = page_alloc(&f.pool, 3, PAGE_ALLOC_ZERO);
	ASSERT_NOT_NULL(p);
	for (size_t i = 0; i < 8 * PAGE_SIZE; i++) {
		all_zero = all_zero && p[i] == 0;
	}
	EXPECT_TRUE(all_zero);
	page_free(&f.pool, p, 3);
	p = page_alloc_pages(&f.pool, 5, PAGE_ALLOC_ZERO);
	ASSERT_NOT_NULL(p);
	for (size_t i = 0; i < 5 * PAGE_SIZE; i++) {
		all_zero = all_zero && p[i] == 0;
	}
	EXPECT_TRUE(all_zero);
	page_free_pages(&f.pool, p, 5);
	pa_teardown(&f);
}

KTEST(page_alloc, misuse_panics)
{
	struct pa_fixture f = { 0 };
	uint8_t *a = NULL;
	uint8_t *b = NULL;
	uint8_t *run = NULL;
	uint8_t outside[2 * PAGE_SIZE] = { 0 };
	uint8_t *free_page = NULL;

	ASSERT_TRUE(pa_setup(&f, 64));
	a = page_alloc(&f.pool, 2, 0);
	b = page_alloc(&f.pool, 0, 0);
	run = page_alloc_pages(&f.pool, 5, 0);
	ASSERT_NOT_NULL(a);
	ASSERT_NOT_NULL(b);
	ASSERT_NOT_NULL(run);
	free_page = f.mem + 63 * PAGE_SIZE;

	/* Double free. */
	page_free(&f.pool, b, 0);
	EXPECT_PANIC(page_free(&f.pool, b, 0));
	EXPECT_TRUE(strstr(host_panic_message, "double free") != NULL);
	/* Never allocated. */
	EXPECT_PANIC(page_free(&f.pool, free_page, 0));
	/* Not the head of its block. */
	EXPECT_PANIC(page_free(&f.pool, a + PAGE_SIZE, 0));
	EXPECT_TRUE(strstr(host_panic_message, "not the first page") != NULL);
	/* Wrong order, both ways. */
	EXPECT_PANIC(page_free(&f.pool, a, 1));
	EXPECT_PANIC(page_free(&f.pool, a, 3));
	EXPECT_PANIC(page_free(&f.pool, a, PAGE_ALLOC_MAX_ORDER + 1));
	EXPECT_TRUE(strstr(host_panic_message, "order") != NULL);
	/* Outside the pool, and misaligned. */
	EXPECT_PANIC(page_free(&f.pool, outside, 0));
	EXPECT_TRUE(strstr(host_panic_message, "outside") != NULL);
	EXPECT_PANIC(page_free(&f.pool, f.mem + 64 * PAGE_SIZE, 0));
	EXPECT_PANIC(page_free(&f.pool, a + 16, 2));
	EXPECT_TRUE(strstr(host_panic_message, "aligned") != NULL);
	/* Runs: page_free on a run, wrong counts, a run member, page_free_pages on a block. */
	EXPECT_PANIC(page_free(&f.pool, run, 2));
	EXPECT_PANIC(page_free_pages(&f.pool, run, 4));
	EXPECT_PANIC(page_free_pages(&f.pool, run, 6));
	EXPECT_PANIC(page_free_pages(&f.pool, run + 4 * PAGE_SIZE, 1));
	EXPECT_PANIC(page_free_pages(&f.pool, a, 4));
	/* A block whose owner tag is still set. */
	page_pool_set_tag(&f.pool, a, 0x1234);
	EXPECT_PANIC(page_free(&f.pool, a, 2));
	EXPECT_TRUE(strstr(host_panic_message, "owner tag") != NULL);
	page_pool_set_tag(&f.pool, a, 0);
	/* Owner helpers on something that is not an allocated block head. */
	EXPECT_PANIC(page_pool_tag(&f.pool, free_page));
	EXPECT_PANIC(page_pool_owner(&f.pool, a + PAGE_SIZE));
	/* Unknown flags. */
	EXPECT_PANIC(page_alloc(&f.pool, 0, 0x80));
	/* Conversions outside the pool. */
	EXPECT_PANIC(page_pool_va_to_pa(&f.pool, outside));
	EXPECT_PANIC(page_pool_pa_to_va(&f.pool, paddr_init(PA_TEST_BASE + 64 * PAGE_SIZE)));

	/* Every check ran before any change: the pool is intact and still works. */
	EXPECT_POOL_OK(&f.pool);
	page_free(&f.pool, a, 2);
	page_free_pages(&f.pool, run, 5);
	EXPECT_EQ(page_pool_free_pages(&f.pool), 64);
	EXPECT_POOL_OK(&f.pool);
	pa_teardown(&f);
}

#ifdef CONFIG_DEBUG
KTEST(page_alloc, poison_catches_write_after_free)
{
	struct pa_fixture f = { 0 };
	uint8_t *p = NULL;
	uint8_t *q = NULL;
	bool poisoned = true;

	ASSERT_TRUE(pa_setup(&f, 2));
	p = page_alloc(&f.pool, 0, 0);
	ASSERT_NOT_NULL(p);
	/* A fresh pool is poisoned too. */
	q = page_alloc(&f.pool, 0, 0);
	ASSERT_NOT_NULL(q);
	page_free(&f.pool, q, 0);
	memset(p, 0, PAGE_SIZE);
	page_free(&f.pool, p, 0);
	for (size_t i = 0; i < PAGE_SIZE; i++) {
		poisoned = poisoned && p[i] == PAGE_ALLOC_POISON;
	}
	EXPECT_TRUE(poisoned);

	p[100] = 42; /* the bug: a write through a stale pointer */
	EXPECT_PANIC(page_alloc(&f.pool, 1, 0));
	EXPECT_TRUE(strstr(host_panic_message, "use after free") != NULL);
	EXPECT_TRUE(strstr(host_panic_message, "0x2a") != NULL);
	pa_teardown(&f);
}
#endif

KTEST(page_alloc, alloc_pages_hands_out_exact_counts)
{
	struct pa_fixture f = { 0 };
	struct page_pool_stats s = { 0 };

	ASSERT_TRUE(pa_setup(&f, 2048));
	for (size_t count = 1; count <= PAGE_ALLOC_MAX_BLOCK_PAGES; count += count < 40 ? 1 : 97) {
		uint8_t *p = page_alloc_pages(&f.pool, count, 0);

		ASSERT_NOT_NULL(p);
		EXPECT_EQ(page_pool_free_pages(&f.pool), 2048 - count);
		memset(p, 0x3c, count * PAGE_SIZE);
		EXPECT_POOL_OK(&f.pool);
		page_free_pages(&f.pool, p, count);
		EXPECT_EQ(page_pool_free_pages(&f.pool), 2048);
	}
	page_pool_get_stats(&f.pool, &s);
	EXPECT_EQ(s.free_blocks[PAGE_ALLOC_MAX_ORDER], 2);
	EXPECT_NULL(page_alloc_pages(&f.pool, 0, 0));
	EXPECT_NULL(page_alloc_pages(&f.pool, PAGE_ALLOC_MAX_BLOCK_PAGES + 1, 0));
	EXPECT_POOL_OK(&f.pool);
	pa_teardown(&f);
}

KTEST(page_alloc, alloc_pages_returns_the_tail)
{
	struct pa_fixture f = { 0 };
	uint8_t *run = NULL;
	uint8_t *t1 = NULL;
	uint8_t *t0 = NULL;

	ASSERT_TRUE(pa_setup(&f, 8));
	run = page_alloc_pages(&f.pool, 5, 0);
	ASSERT_NOT_NULL(run);
	EXPECT_EQ(pa_pa(&f, run), PA_TEST_BASE);
	/* Pages 5 (order 0) and 6..7 (order 1) went back to the free lists. */
	EXPECT_EQ(page_pool_free_pages(&f.pool), 3);
	EXPECT_EQ(pa_free_blocks(&f.pool, 0), 1);
	EXPECT_EQ(pa_free_blocks(&f.pool, 1), 1);
	EXPECT_POOL_OK(&f.pool);
	t1 = page_alloc(&f.pool, 1, 0);
	t0 = page_alloc(&f.pool, 0, 0);
	ASSERT_NOT_NULL(t1);
	ASSERT_NOT_NULL(t0);
	EXPECT_EQ(t1, run + 6 * PAGE_SIZE);
	EXPECT_EQ(t0, run + 5 * PAGE_SIZE);
	EXPECT_NULL(page_alloc(&f.pool, 0, 0));
	page_free_pages(&f.pool, run, 5);
	page_free(&f.pool, t0, 0);
	page_free(&f.pool, t1, 1);
	EXPECT_EQ(pa_free_blocks(&f.pool, 3), 1);
	EXPECT_POOL_OK(&f.pool);
	pa_teardown(&f);
}

KTEST(page_alloc, address_conversions)
{
	struct pa_fixture f = { 0 };
	uint8_t *p = NULL;
	int local = 0;

	ASSERT_TRUE(pa_setup(&f, 16));
	p = page_alloc(&f.pool, 0, 0);
	ASSERT_NOT_NULL(p);
	EXPECT_TRUE(page_pool_contains(&f.pool, p));
	EXPECT_TRUE(page_pool_contains(&f.pool, f.mem));
	EXPECT_TRUE(page_pool_contains(&f.pool, f.mem + 16 * PAGE_SIZE - 1));
	EXPECT_FALSE(page_pool_contains(&f.pool, f.mem + 16 * PAGE_SIZE));
	EXPECT_FALSE(page_pool_contains(&f.pool, f.mem - 1));
	EXPECT_FALSE(page_pool_contains(&f.pool, &local));
	EXPECT_EQ(paddr_get(page_pool_va_to_pa(&f.pool, f.mem + 3 * PAGE_SIZE + 17)),
		  PA_TEST_BASE + 3 * PAGE_SIZE + 17);
	EXPECT_EQ(page_pool_pa_to_va(&f.pool, paddr_init(PA_TEST_BASE + 5 * PAGE_SIZE + 9)),
		  f.mem + 5 * PAGE_SIZE + 9);
	EXPECT_EQ(page_pool_pa_to_va(&f.pool, page_pool_va_to_pa(&f.pool, p)), p);
	page_free(&f.pool, p, 0);
	pa_teardown(&f);
}

KTEST(page_alloc, owner_tag_and_bookkeeping)
{
	struct pa_fixture f = { 0 };
	uint8_t *p = NULL;
	struct page_owner *o = NULL;

	ASSERT_TRUE(pa_setup(&f, 16));
	p = page_alloc(&f.pool, 1, 0);
	ASSERT_NOT_NULL(p);
	EXPECT_EQ(page_pool_tag(&f.pool, p), 0);
	o = page_pool_owner(&f.pool, p);
	ASSERT_NOT_NULL(o);
	/* Handed out zeroed. */
	EXPECT_EQ(o->count, 0);
	EXPECT_EQ(o->bits[3], 0);
	o->count = 7;
	o->bits[3] = ~0ull;
	page_pool_set_tag(&f.pool, p, 0xabcd);
	EXPECT_EQ(page_pool_tag(&f.pool, p), 0xabcd);
	EXPECT_EQ(page_pool_owner_va(&f.pool, o), p);
	EXPECT_EQ(page_pool_owner(&f.pool, p)->count, 7);
	page_pool_set_tag(&f.pool, p, 0);
	page_free(&f.pool, p, 1);
	/* The next owner starts from a clean slate. */
	p = page_alloc(&f.pool, 1, 0);
	ASSERT_NOT_NULL(p);
	EXPECT_EQ(page_pool_owner(&f.pool, p)->count, 0);
	EXPECT_EQ(page_pool_owner(&f.pool, p)->bits[3], 0);
	EXPECT_POOL_OK(&f.pool);
	page_free(&f.pool, p, 1);
	pa_teardown(&f);
}

KTEST(page_alloc, carved_metadata)
{
	uint64_t meta_pages = 0;
	uint64_t managed = 0;
	struct page_pool pool = { 0 };
	uint8_t *mem = NULL;
	uint64_t total = 300;
	void *p = NULL;

	EXPECT_EQ(page_pool_meta_split(0, &meta_pages), 0);
	EXPECT_EQ(page_pool_meta_split(1, &meta_pages), 0);
	EXPECT_EQ(page_pool_meta_split(2, &meta_pages), 1);
	EXPECT_EQ(meta_pages, 1);
	/* Maximal: every split fits, and one more managed page would not. */
	for (uint64_t t = 2; t < 20000; t += 1 + t / 50) {
		uint64_t next_meta = 0;

		managed = page_pool_meta_split(t, &meta_pages);
		next_meta = (page_pool_meta_bytes(managed + 1) + PAGE_SIZE - 1) / PAGE_SIZE;
		EXPECT_LE(managed + meta_pages, t);
		EXPECT_GE(meta_pages * PAGE_SIZE, page_pool_meta_bytes(managed));
		EXPECT_GT(managed + 1 + next_meta, t);
	}
	/* 4096 pages (the kernel's 16 MiB region, all free) keep less than 2% for metadata. */
	managed = page_pool_meta_split(4096, &meta_pages);
	EXPECT_GT(managed, 4096 - 4096 / 50);

	EXPECT_EQ(page_pool_init_carved(&pool, paddr_init(PA_TEST_BASE), 1, 0),
		  PAGE_ALLOC_ERR_TOO_SMALL);
	mem = aligned_alloc(PAGE_SIZE, total * PAGE_SIZE);
	ASSERT_NOT_NULL(mem);
	ASSERT_EQ(page_pool_init_carved(&pool, paddr_init(PA_TEST_BASE), total,
					(uint64_t)(uintptr_t)mem - PA_TEST_BASE),
		  PAGE_ALLOC_OK);
	managed = page_pool_meta_split(total, &meta_pages);
	EXPECT_EQ(page_pool_free_pages(&pool), managed);
	/* The metadata pages are not handed out. */
	EXPECT_FALSE(page_pool_contains(&pool, mem));
	EXPECT_TRUE(page_pool_contains(&pool, mem + meta_pages * PAGE_SIZE));
	/* The pool starts meta_pages in, so its largest block is 128 pages (pfns 128..255). */
	p = page_alloc_pages(&pool, 100, 0);
	EXPECT_NOT_NULL(p);
	EXPECT_EQ(page_pool_free_pages(&pool), managed - 100);
	EXPECT_POOL_OK(&pool);
	free(mem);
}

/* ---- randomized differential test ------------------------------------------------------------ */

#define PA_RANDOM_PAGES 4096u
#define PA_RANDOM_STEPS 1000000u
#define PA_RANDOM_CHECK_EVERY 10000u

struct pa_block {
	uint8_t *va;
	uint32_t pages; /* pages handed out */
	uint8_t order;  /* page_alloc order, or 0xff for a page_alloc_pages() run */
	uint32_t id;
};

/* Tags a block's first and last word with its id, so a later overlap shows at free time. */
static void pa_stamp(const struct pa_block *b)
{
	uint64_t v = 0x5eed000000000000ull | b->id;

	memcpy(b->va, &v, sizeof(v));
	memcpy(b->va + (size_t)b->pages * PAGE_SIZE - sizeof(v), &v, sizeof(v));
}

static bool pa_stamp_ok(const struct pa_block *b)
{
	uint64_t v = 0x5eed000000000000ull | b->id;

	return memcmp(b->va, &v, sizeof(v)) == 0 &&
	       memcmp(b->va + (size_t)b->pages * PAGE_SIZE - sizeof(v), &v, sizeof(v)) == 0;
}

KTEST(page_alloc, randomized_against_reference_model)
{
	struct pa_fixture f = { 0 };
	struct page_pool_stats start = { 0 };
	struct page_pool_stats end = { 0 };
	struct pa_block *live = NULL;
	uint32_t *owner = NULL; /* reference model: block id owning each page, 0 = free */
	size_t live_count = 0;
	uint64_t model_free = PA_RANDOM_PAGES;
	unsigned int bad_overlap = 0;
	unsigned int bad_stamp = 0;
	unsigned int bad_null = 0;
	uint32_t next_id = 1;
	uint64_t nulls = 0;

	/* Unaligned base: the pool's edges hold blocks of several orders. */
	ASSERT_TRUE(pa_setup_at(&f, PA_RANDOM_PAGES, PA_TEST_BASE + 7 * PAGE_SIZE));
	live = calloc(PA_RANDOM_PAGES, sizeof(*live));
	owner = calloc(PA_RANDOM_PAGES, sizeof(*owner));
	ASSERT_NOT_NULL(live);
	ASSERT_NOT_NULL(owner);
	page_pool_get_stats(&f.pool, &start);
	pa_rng_state = 0x2545f4914f6cdd1dull;

	for (uint32_t step = 0; step < PA_RANDOM_STEPS; step++) {
		uint64_t r = pa_rand();
		/* Phases that lean towards allocating (and exhausting the pool) or freeing. */
		unsigned int alloc_pct = (step / 50000) % 2 == 0 ? 62 : 38;
		bool do_alloc = live_count == 0 || (r % 100) < alloc_pct;
		uint64_t first = 0;

		if (do_alloc) {
			struct pa_block b = { .va = NULL, .pages = 0, .order = 0, .id = next_id };
			/* Orders with P(k) = 3/4 * 4^-k; a few page_alloc_pages() runs of 1..24. */
			bool run = ((r >> 8) & 31) == 0;
			uint64_t order_bits = (r >> 16) | (1ull << 40);
			unsigned int order = (unsigned int)__builtin_ctzll(order_bits) / 2;

			if (order > PAGE_ALLOC_MAX_ORDER) {
				order = PAGE_ALLOC_MAX_ORDER;
			}
			if (run) {
				b.pages = 1 + (uint32_t)((r >> 48) % 24);
				b.order = 0xff;
				b.va = page_alloc_pages(&f.pool, b.pages, 0);
			} else {
				b.pages = 1u << order;
				b.order = (uint8_t)order;
				b.va = page_alloc(&f.pool, order, 0);
			}
			if (b.va == NULL) {
				unsigned int need = order;

				/* Legitimate only if no free block can satisfy the request. */
				if (run) {
					need = 0;
					while ((1u << need) < b.pages) {
						need++;
					}
				}
				for (unsigned int k = need; k <= PAGE_ALLOC_MAX_ORDER; k++) {
					bad_null += pa_free_blocks(&f.pool, k) != 0;
				}
				nulls++;
				continue;
			}
			first = (pa_pa(&f, b.va) - f.base) >> PAGE_SHIFT;
			if (b.order != 0xff &&
			    !addr_is_aligned(pa_pa(&f, b.va), PAGE_SIZE << b.order)) {
				bad_overlap++;
			}
			for (uint32_t i = 0; i < b.pages; i++) {
				bad_overlap += owner[first + i] != 0;
				owner[first + i] = b.id;
			}
			pa_stamp(&b);
			next_id++;
			model_free -= b.pages;
			live[live_count++] = b;
		} else {
			size_t victim = (size_t)((r >> 20) % live_count);
			struct pa_block b = live[victim];

			first = (pa_pa(&f, b.va) - f.base) >> PAGE_SHIFT;
			bad_stamp += !pa_stamp_ok(&b);
			for (uint32_t i = 0; i < b.pages; i++) {
				bad_overlap += owner[first + i] != b.id;
				owner[first + i] = 0;
			}
			if (b.order == 0xff) {
				page_free_pages(&f.pool, b.va, b.pages);
			} else {
				page_free(&f.pool, b.va, b.order);
			}
			model_free += b.pages;
			live[victim] = live[--live_count];
		}
		if ((step + 1) % PA_RANDOM_CHECK_EVERY == 0) {
			EXPECT_POOL_OK(&f.pool);
			EXPECT_EQ(page_pool_free_pages(&f.pool), model_free);
			ASSERT_EQ(bad_overlap + bad_stamp + bad_null, 0);
		}
	}
	EXPECT_EQ(bad_overlap, 0);
	EXPECT_EQ(bad_stamp, 0);
	EXPECT_EQ(bad_null, 0);
	/* The phases must actually have exhausted the pool now and then. */
	EXPECT_GT(nulls, 0);
	while (live_count > 0) {
		struct pa_block b = live[--live_count];

		EXPECT_TRUE(pa_stamp_ok(&b));
		if (b.order == 0xff) {
			page_free_pages(&f.pool, b.va, b.pages);
		} else {
			page_free(&f.pool, b.va, b.order);
		}
	}
	page_pool_get_stats(&f.pool, &end);
	EXPECT_EQ(end.free_pages, start.free_pages);
	EXPECT_MEMEQ(end.free_blocks, start.free_blocks, sizeof(start.free_blocks));
	EXPECT_EQ(end.alloc_count, end.free_count);
	EXPECT_POOL_OK(&f.pool);
	free(live);
	free(owner);
	pa_teardown(&f);
}

/* ---- fault injection ------------------------------------------------------------------------- */

#ifdef CONFIG_FAULT_INJECT
KTEST(page_alloc, fault_inject_hook_semantics)
{
	unsigned int fails = 0;

	fault_inject_reset();
	for (int i = 0; i < 5; i++) {
		EXPECT_FALSE(fault_inject_should_fail());
	}
	EXPECT_EQ(fault_inject_count(), 5);

	fault_inject_fail_nth(3);
	EXPECT_EQ(fault_inject_count(), 0);
	EXPECT_FALSE(fault_inject_should_fail());
	EXPECT_FALSE(fault_inject_should_fail());
	EXPECT_TRUE(fault_inject_should_fail());
	for (int i = 0; i < 10; i++) {
		fails += fault_inject_should_fail();
	}
	EXPECT_EQ(fails, 0);
	EXPECT_EQ(fault_inject_count(), 13);

	fault_inject_fail_nth(0);
	for (int i = 0; i < 10; i++) {
		fails += fault_inject_should_fail();
	}
	EXPECT_EQ(fails, 0);

	fault_inject_fail_after(2);
	EXPECT_FALSE(fault_inject_should_fail());
	EXPECT_FALSE(fault_inject_should_fail());
	for (int i = 0; i < 10; i++) {
		fails += fault_inject_should_fail();
	}
	EXPECT_EQ(fails, 10);

	fault_inject_fail_after(0);
	EXPECT_TRUE(fault_inject_should_fail());
	fault_inject_reset();
	EXPECT_FALSE(fault_inject_should_fail());
	EXPECT_EQ(fault_inject_count(), 1);
	fault_inject_reset();
}

KTEST(page_alloc, fault_inject_fails_cleanly)
{
	struct pa_fixture f = { 0 };
	struct page_pool_stats before = { 0 };
	struct page_pool_stats after = { 0 };
	void *p = NULL;
	void *q = NULL;

	ASSERT_TRUE(pa_setup(&f, 64));
	page_pool_get_stats(&f.pool, &before);
	fault_inject_fail_nth(2);
	p = page_alloc(&f.pool, 0, 0);
	EXPECT_NOT_NULL(p);
	EXPECT_NULL(page_alloc(&f.pool, 0, 0));
	q = page_alloc_pages(&f.pool, 3, 0);
	EXPECT_NOT_NULL(q);
	EXPECT_EQ(fault_inject_count(), 3);
	page_free_pages(&f.pool, q, 3);
	/* PAGE_ALLOC_NO_FAULT_INJECT requests are not counted and never failed. */
	fault_inject_fail_after(0);
	EXPECT_NULL(page_alloc(&f.pool, 0, 0));
	page_free(&f.pool, p, 0);
	p = page_alloc(&f.pool, 0, PAGE_ALLOC_NO_FAULT_INJECT);
	EXPECT_NOT_NULL(p);
	EXPECT_EQ(fault_inject_count(), 1);
	fault_inject_reset();
	page_free(&f.pool, p, 0);
	page_pool_get_stats(&f.pool, &after);
	EXPECT_EQ(after.free_pages, before.free_pages);
	EXPECT_EQ(after.fail_count, 2);
	EXPECT_MEMEQ(after.free_blocks, before.free_blocks, sizeof(before.free_blocks));
	EXPECT_POOL_OK(&f.pool);
	pa_teardown(&f);
}
#endif
