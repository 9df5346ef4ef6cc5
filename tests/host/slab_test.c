/*
 * Host tests for mm/slab.c (kmalloc) and for failure handling across both allocators.
 *
 * Each test builds a page pool over a page-aligned heap buffer and a slab_allocator (or the
 * kernel heap, bound with slab_kernel_init()) on top of it. slab_destroy() at the end of a test
 * panics if anything leaked, and the pool's free-page count must return to where it started.
 *
 * The fault-injection tests run a small workload (a linked list whose nodes hold kmalloc'd
 * names and page-allocator buffers, unwound on failure) with fault_inject_fail_nth(n) for every
 * n from 1 to the number of allocation requests it makes, and with fault_inject_fail_after(n).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mm/fault_inject.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "tests/host/host_panic.h"
#include "tests/ktest/ktest.h"

#define SL_BASE 0x40000000ull

struct sl_fixture {
	struct page_pool pool;
	struct slab_allocator slab;
	uint8_t *mem;
	void *meta;
	uint64_t start_free;
};

static bool sl_setup(struct sl_fixture *f, uint64_t pages)
{
	memset(f, 0, sizeof(*f));
	f->mem = aligned_alloc(PAGE_SIZE, pages * PAGE_SIZE);
	f->meta = malloc(page_pool_meta_bytes(pages));
	if (f->mem == NULL || f->meta == NULL ||
	    page_pool_init(&f->pool, paddr_init(SL_BASE), pages,
			   (uint64_t)(uintptr_t)f->mem - SL_BASE, f->meta,
			   page_pool_meta_bytes(pages)) != PAGE_ALLOC_OK) {
		return false;
	}
	f->start_free = page_pool_free_pages(&f->pool);
	slab_init(&f->slab, &f->pool);
	return true;
}

static void sl_release_memory(struct sl_fixture *f)
{
	free(f->mem);
	free(f->meta);
	f->mem = NULL;
	f->meta = NULL;
}

/* Destroys the allocator (panics on a leak) and checks every page went back to the pool. */
#define SL_TEARDOWN(f)                                                                          \
	do {                                                                                     \
		slab_destroy(&(f)->slab);                                                        \
		EXPECT_EQ(page_pool_free_pages(&(f)->pool), (f)->start_free);                    \
		EXPECT_TRUE(page_pool_check(&(f)->pool, NULL));                                  \
		sl_release_memory(f);                                                            \
	} while (0)

static uint64_t sl_rng_state;

/* xorshift64: deterministic, so a failure reproduces. */
static uint64_t sl_rand(void)
{
	uint64_t x = sl_rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	sl_rng_state = x;
	return x;
}

static bool sl_all_bytes(const void *p, size_t n, uint8_t v)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		if (b[i] != v) {
			return false;
		}
	}
	return true;
}

KTEST(slab, every_class_serves_its_sizes)
{
	static const size_t sizes[] = { 1, 15, 16, 17, 32, 33, 64, 65, 100, 128, 129, 255, 256,
					257, 511, 512, 513, 1000, 1024, 1025, 2047, 2048 };
	static const size_t want[] = { 16, 16, 16, 32, 32, 64, 64, 128, 128, 128, 256, 256, 256,
				       512, 512, 512, 1024, 1024, 1024, 2048, 2048, 2048 };
	struct sl_fixture f = { 0 };
	struct slab_stats st = { 0 };
	void *p[sizeof(sizes) / sizeof(sizes[0])] = { NULL };

	ASSERT_TRUE(sl_setup(&f, 64));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p[i] = slab_alloc(&f.slab, sizes[i]);
		ASSERT_NOT_NULL(p[i]);
		EXPECT_EQ(slab_usable_size(&f.slab, p[i]), want[i]);
		memset(p[i], 0x11, want[i]); /* ASan: the whole class size is really usable */
	}
	slab_get_stats(&f.slab, &st);
	for (unsigned int c = 0; c < SLAB_CLASS_COUNT; c++) {
		EXPECT_EQ(st.classes[c].object_size, 16u << c);
		EXPECT_EQ(st.classes[c].objects_per_page, 4096u / (16u << c));
		EXPECT_GE(st.classes[c].objects_in_use, 2);
		/* Class 2048 holds two objects per page, and three were asked for. */
		EXPECT_EQ(st.classes[c].pages, c == SLAB_CLASS_COUNT - 1 ? 2 : 1);
	}
	EXPECT_EQ(st.classes[0].objects_in_use, 3);
	EXPECT_EQ(st.large_in_use, 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		slab_free(&f.slab, p[i]);
	}
	slab_get_stats(&f.slab, &st);
	for (unsigned int c = 0; c < SLAB_CLASS_COUNT; c++) {
		EXPECT_EQ(st.classes[c].objects_in_use, 0);
		EXPECT_EQ(st.classes[c].alloc_count, st.classes[c].free_count);
	}
	SL_TEARDOWN(&f);
}

KTEST(slab, objects_are_aligned_and_disjoint)
{
	struct sl_fixture f = { 0 };
	uint8_t *objs[600] = { NULL };

	ASSERT_TRUE(sl_setup(&f, 256));
	for (unsigned int c = 0; c < SLAB_CLASS_COUNT; c++) {
		size_t size = (size_t)16 << c;
		/* More than two pages' worth, so page boundaries are crossed. */
		size_t n = 2 * (4096 / size) + 3;

		for (size_t i = 0; i < n; i++) {
			objs[i] = slab_alloc(&f.slab, size);
			ASSERT_NOT_NULL(objs[i]);
			EXPECT_TRUE(addr_is_aligned((uint64_t)(uintptr_t)objs[i], size));
			memset(objs[i], (int)(i & 0xff), size);
		}
		for (size_t i = 0; i < n; i++) {
			/* Nothing allocated later overwrote this object. */
			EXPECT_TRUE(sl_all_bytes(objs[i], size, (uint8_t)(i & 0xff)));
			slab_free(&f.slab, objs[i]);
		}
	}
	objs[0] = slab_alloc(&f.slab, 5000);
	ASSERT_NOT_NULL(objs[0]);
	EXPECT_TRUE(addr_is_aligned((uint64_t)(uintptr_t)objs[0], PAGE_SIZE));
	slab_free(&f.slab, objs[0]);
	SL_TEARDOWN(&f);
}

KTEST(slab, freed_object_is_reused_first)
{
	struct sl_fixture f = { 0 };
	void *a = NULL;
	void *b = NULL;
	void *c = NULL;

	ASSERT_TRUE(sl_setup(&f, 16));
	a = slab_alloc(&f.slab, 100);
	b = slab_alloc(&f.slab, 100);
	ASSERT_NOT_NULL(a);
	ASSERT_NOT_NULL(b);
	EXPECT_NE(a, b);
	slab_free(&f.slab, a);
	c = slab_alloc(&f.slab, 120); /* same class: 128 */
	EXPECT_EQ(c, a);
	slab_free(&f.slab, b);
	slab_free(&f.slab, c);
	SL_TEARDOWN(&f);
}

KTEST(slab, empty_pages_go_back_to_the_pool)
{
	struct sl_fixture f = { 0 };
	struct slab_stats st = { 0 };
	void *objs[3 * 16] = { NULL };

	ASSERT_TRUE(sl_setup(&f, 16));
	/* Class 256: 16 objects per page; 48 objects fill three pages. */
	for (size_t i = 0; i < 48; i++) {
		objs[i] = slab_alloc(&f.slab, 256);
		ASSERT_NOT_NULL(objs[i]);
	}
	slab_get_stats(&f.slab, &st);
	EXPECT_EQ(st.classes[4].pages, 3);
	EXPECT_EQ(page_pool_free_pages(&f.pool), f.start_free - 3);
	for (size_t i = 0; i < 48; i++) {
		slab_free(&f.slab, objs[i]);
	}
	/* One empty page stays cached; the other two were returned. */
	slab_get_stats(&f.slab, &st);
	EXPECT_EQ(st.classes[4].pages, 1);
	EXPECT_EQ(st.classes[4].objects_in_use, 0);
	EXPECT_EQ(page_pool_free_pages(&f.pool), f.start_free - 1);
	/* The cached page serves the next allocation without touching the pool. */
	objs[0] = slab_alloc(&f.slab, 256);
	ASSERT_NOT_NULL(objs[0]);
	EXPECT_EQ(page_pool_free_pages(&f.pool), f.start_free - 1);
	slab_free(&f.slab, objs[0]);
	SL_TEARDOWN(&f);
}

KTEST(slab, large_allocations_are_page_backed)
{
	struct sl_fixture f = { 0 };
	struct slab_stats st = { 0 };
	static const size_t sizes[] = { 2049, 4096, 4097, 9000,
					65536, 1 << 20, SLAB_LARGE_MAX_SIZE };
	static const size_t pages[] = { 1, 1, 2, 3, 16, 256, 1024 };

	ASSERT_TRUE(sl_setup(&f, 2048));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *p = slab_alloc(&f.slab, sizes[i]);

		ASSERT_NOT_NULL(p);
		EXPECT_TRUE(vaddr_is_page_aligned(vaddr_from_ptr(p)));
		EXPECT_EQ(slab_usable_size(&f.slab, p), pages[i] * PAGE_SIZE);
		EXPECT_EQ(page_pool_free_pages(&f.pool), f.start_free - pages[i]);
		memset(p, 0x77, sizes[i]);
		slab_get_stats(&f.slab, &st);
		EXPECT_EQ(st.large_in_use, 1);
		EXPECT_EQ(st.large_pages, pages[i]);
		slab_free(&f.slab, p);
		EXPECT_EQ(page_pool_free_pages(&f.pool), f.start_free);
	}
	EXPECT_NULL(slab_alloc(&f.slab, SLAB_LARGE_MAX_SIZE + 1));
	EXPECT_NULL(slab_alloc(&f.slab, SIZE_MAX));
	slab_get_stats(&f.slab, &st);
	EXPECT_EQ(st.large_alloc_count, 7);
	EXPECT_EQ(st.large_free_count, 7);
	EXPECT_EQ(st.large_fail_count, 2);
	EXPECT_EQ(st.large_pages, 0);
	SL_TEARDOWN(&f);
}

KTEST(slab, out_of_memory_returns_null_and_recovers)
{
	struct sl_fixture f = { 0 };
	struct slab_stats st = { 0 };
	void **objs = NULL;
	size_t n = 0;

	ASSERT_TRUE(sl_setup(&f, 8));
	objs = calloc(8 * 8, sizeof(*objs));
	ASSERT_NOT_NULL(objs);
	for (;;) {
		void *p = slab_alloc(&f.slab, 512);

		if (p == NULL) {
			break;
		}
		objs[n++] = p;
	}
	EXPECT_EQ(n, 8 * 8);
	EXPECT_NULL(slab_alloc(&f.slab, 3000));
	EXPECT_NULL(slab_alloc(&f.slab, 16));
	slab_get_stats(&f.slab, &st);
	EXPECT_EQ(st.classes[5].fail_count, 1);
	EXPECT_EQ(st.classes[0].fail_count, 1);
	EXPECT_EQ(st.large_fail_count, 1);
	EXPECT_EQ(st.classes[0].pages, 0);
	while (n > 0) {
		slab_free(&f.slab, objs[--n]);
	}
	objs[0] = slab_alloc(&f.slab, 16);
	EXPECT_NOT_NULL(objs[0]);
	slab_free(&f.slab, objs[0]);
	free(objs);
	SL_TEARDOWN(&f);
}

KTEST(slab, zero_size_null_and_zeroed_memory)
{
	struct sl_fixture f = { 0 };
	uint8_t *p = NULL;
	uint8_t *big = NULL;

	ASSERT_TRUE(sl_setup(&f, 16));
	EXPECT_NULL(slab_alloc(&f.slab, 0));
	EXPECT_NULL(slab_zalloc(&f.slab, 0));
	slab_free(&f.slab, NULL);
	p = slab_alloc(&f.slab, 64);
	ASSERT_NOT_NULL(p);
	memset(p, 0xff, 64);
	slab_free(&f.slab, p);
	p = slab_zalloc(&f.slab, 64);
	ASSERT_NOT_NULL(p);
	EXPECT_TRUE(sl_all_bytes(p, 64, 0));
	big = slab_alloc(&f.slab, 3 * PAGE_SIZE);
	ASSERT_NOT_NULL(big);
	memset(big, 0xff, 3 * PAGE_SIZE);
	slab_free(&f.slab, big);
	big = slab_zalloc(&f.slab, 3 * PAGE_SIZE);
	ASSERT_NOT_NULL(big);
	EXPECT_TRUE(sl_all_bytes(big, 3 * PAGE_SIZE, 0));
	slab_free(&f.slab, big);
	slab_free(&f.slab, p);
	SL_TEARDOWN(&f);
}

KTEST(slab, kernel_heap_kmalloc_kzalloc_kfree)
{
	struct sl_fixture f = { 0 };
	uint8_t *a = NULL;
	uint8_t *b = NULL;
	struct slab_stats st = { 0 };

	/* The fixture's own slab stays unused; kmalloc goes through the kernel heap. */
	ASSERT_TRUE(sl_setup(&f, 32));
	slab_kernel_init(&f.pool);
	EXPECT_PANIC(slab_kernel_init(&f.pool));
	EXPECT_NULL(kmalloc(0));
	kfree(NULL);
	a = kmalloc(40);
	b = kzalloc(6000);
	ASSERT_NOT_NULL(a);
	ASSERT_NOT_NULL(b);
	EXPECT_TRUE(sl_all_bytes(b, 6000, 0));
	slab_get_stats(slab_kernel(), &st);
	EXPECT_EQ(st.classes[2].objects_in_use, 1);
	EXPECT_EQ(st.large_in_use, 1);
	/* A kmalloc pointer is not this other allocator's. */
	EXPECT_PANIC(slab_free(&f.slab, a));
	kfree(a);
	kfree(b);
	slab_destroy(slab_kernel());
	SL_TEARDOWN(&f);
}

KTEST(slab, misuse_panics)
{
	struct sl_fixture f = { 0 };
	uint8_t *a = NULL;
	uint8_t *b = NULL;
	uint8_t *big = NULL;
	uint8_t *raw = NULL;
	uint8_t outside[64] = { 0 };

	ASSERT_TRUE(sl_setup(&f, 32));
	a = slab_alloc(&f.slab, 64);
	b = slab_alloc(&f.slab, 64);
	big = slab_alloc(&f.slab, 3 * PAGE_SIZE);
	raw = page_alloc(&f.pool, 0, 0);
	ASSERT_NOT_NULL(a);
	ASSERT_NOT_NULL(b);
	ASSERT_NOT_NULL(big);
	ASSERT_NOT_NULL(raw);

	/* Double free. */
	slab_free(&f.slab, b);
	EXPECT_PANIC(slab_free(&f.slab, b));
	EXPECT_TRUE(strstr(host_panic_message, "double free") != NULL);
	/* Interior pointers into a small object and into a page-backed one. */
	EXPECT_PANIC(slab_free(&f.slab, a + 8));
	EXPECT_TRUE(strstr(host_panic_message, "middle of an object") != NULL);
	EXPECT_PANIC(slab_free(&f.slab, big + 100));
	EXPECT_PANIC(slab_free(&f.slab, big + PAGE_SIZE)); /* page aligned, inside the run */
	/* Never allocated: a free object slot, a free page, outside the pool. */
	EXPECT_PANIC(slab_free(&f.slab, a + 64 * 5));
	EXPECT_PANIC(slab_free(&f.slab, f.mem + 31 * PAGE_SIZE));
	EXPECT_PANIC(slab_free(&f.slab, outside));
	EXPECT_TRUE(strstr(host_panic_message, "outside") != NULL);
	/* A page that the page allocator handed to someone else. */
	EXPECT_PANIC(slab_free(&f.slab, raw));
	EXPECT_TRUE(strstr(host_panic_message, "does not belong") != NULL);
	/* Freeing a slab page or a kmalloc run behind the heap's back. */
	EXPECT_PANIC(page_free(&f.pool, vaddr_ptr(vaddr_align_down(vaddr_from_ptr(a), PAGE_SIZE)),
			       0));
	EXPECT_PANIC(page_free_pages(&f.pool, big, 3));
	/* Destroying a heap with live objects is a leak. */
	EXPECT_PANIC(slab_destroy(&f.slab));

	/* The checks came first: everything still works and nothing leaked. */
	slab_free(&f.slab, a);
	slab_free(&f.slab, big);
	page_free(&f.pool, raw, 0);
	SL_TEARDOWN(&f);
}

#ifdef CONFIG_DEBUG
KTEST(slab, poison_catches_write_after_free)
{
	struct sl_fixture f = { 0 };
	uint8_t *a = NULL;
	uint8_t *b = NULL;

	ASSERT_TRUE(sl_setup(&f, 16));
	a = slab_alloc(&f.slab, 200);
	b = slab_alloc(&f.slab, 200); /* keeps the page in use after a is freed */
	ASSERT_NOT_NULL(a);
	ASSERT_NOT_NULL(b);
	slab_free(&f.slab, a);
	EXPECT_TRUE(sl_all_bytes(a + 2, 254, SLAB_POISON));
	a[50] = 1; /* the bug: a write through a stale pointer */
	EXPECT_PANIC(slab_alloc(&f.slab, 200));
	EXPECT_TRUE(strstr(host_panic_message, "use after free") != NULL);
	/* Repair the poison; the failed allocation changed nothing, so the heap is intact. */
	a[50] = SLAB_POISON;
	a = slab_alloc(&f.slab, 200);
	EXPECT_NOT_NULL(a);
	slab_free(&f.slab, a);
	slab_free(&f.slab, b);
	SL_TEARDOWN(&f);
}
#endif

KTEST(slab, randomized_objects_keep_their_contents)
{
	struct sl_fixture f = { 0 };
	struct {
		uint8_t *p;
		size_t size;
		uint8_t fill;
	} live[2000] = { { NULL, 0, 0 } };
	size_t live_count = 0;
	unsigned int corrupt = 0;
	struct slab_stats st = { 0 };

	ASSERT_TRUE(sl_setup(&f, 1024));
	sl_rng_state = 0x9e3779b97f4a7c15ull;
	for (unsigned int step = 0; step < 200000; step++) {
		uint64_t r = sl_rand();
		bool do_alloc = live_count == 0 || (live_count < 2000 && (r & 1) != 0);

		if (do_alloc) {
			/* Mostly small sizes, sometimes page-backed ones. */
			size_t size = (r >> 8) % 16 == 0 ? 2049 + (size_t)((r >> 16) % 20000)
							  : 1 + (size_t)((r >> 16) % 2048);
			uint8_t *p = slab_alloc(&f.slab, size);

			if (p == NULL) {
				continue;
			}
			live[live_count].p = p;
			live[live_count].size = size;
			live[live_count].fill = (uint8_t)(r >> 40);
			memset(p, live[live_count].fill, size);
			live_count++;
		} else {
			size_t v = (size_t)((r >> 8) % live_count);

			corrupt += !sl_all_bytes(live[v].p, live[v].size, live[v].fill);
			slab_free(&f.slab, live[v].p);
			live[v] = live[--live_count];
		}
	}
	EXPECT_EQ(corrupt, 0);
	while (live_count > 0) {
		live_count--;
		EXPECT_TRUE(sl_all_bytes(live[live_count].p, live[live_count].size,
					 live[live_count].fill));
		slab_free(&f.slab, live[live_count].p);
	}
	slab_get_stats(&f.slab, &st);
	for (unsigned int c = 0; c < SLAB_CLASS_COUNT; c++) {
		EXPECT_EQ(st.classes[c].objects_in_use, 0);
		EXPECT_LE(st.classes[c].pages, 1);
	}
	EXPECT_TRUE(page_pool_check(&f.pool, NULL));
	SL_TEARDOWN(&f);
}

/* ---- failure paths across both allocators ---------------------------------------------------- */

#ifdef CONFIG_FAULT_INJECT

struct sl_node {
	struct sl_node *next;
	char *name;
	void *buf;          /* page_alloc()ed block or page_alloc_pages() run, or NULL */
	unsigned int kind;  /* 0: no buffer, 1: order-1 block, 2: 3-page run */
};

#define SL_NODES 10

static void sl_node_free(struct slab_allocator *slab, struct page_pool *pool, struct sl_node *n)
{
	if (n->kind == 1) {
		page_free(pool, n->buf, 1);
	} else if (n->kind == 2) {
		page_free_pages(pool, n->buf, 3);
	}
	slab_free(slab, n->name);
	slab_free(slab, n);
}

static void sl_list_free(struct slab_allocator *slab, struct page_pool *pool, struct sl_node *head)
{
	while (head != NULL) {
		struct sl_node *next = head->next;

		sl_node_free(slab, pool, head);
		head = next;
	}
}

/*
 * The workload: builds a list of SL_NODES nodes, each with a kmalloc'd name of a size that
 * cycles through small classes and page-backed sizes, and a page buffer every other node.
 * On any failure it frees everything it allocated and returns false.
 */
static bool sl_build(struct slab_allocator *slab, struct page_pool *pool, struct sl_node **out)
{
	static const size_t name_sizes[] = { 24, 300, 2000, 5000, 70 };
	struct sl_node *head = NULL;

	*out = NULL;
	for (unsigned int i = 0; i < SL_NODES; i++) {
		struct sl_node *n = slab_zalloc(slab, sizeof(*n));

		if (n == NULL) {
			goto fail;
		}
		n->kind = i % 3;
		n->name = slab_alloc(slab, name_sizes[i % 5]);
		if (n->name == NULL) {
			goto fail_node;
		}
		memset(n->name, 'a' + (int)i, name_sizes[i % 5]);
		if (n->kind == 1) {
			n->buf = page_alloc(pool, 1, PAGE_ALLOC_ZERO);
		} else if (n->kind == 2) {
			n->buf = page_alloc_pages(pool, 3, 0);
		}
		if (n->kind != 0 && n->buf == NULL) {
			slab_free(slab, n->name);
			goto fail_node;
		}
		n->next = head;
		head = n;
		continue;
fail_node:
		slab_free(slab, n);
		goto fail;
	}
	*out = head;
	return true;
fail:
	sl_list_free(slab, pool, head);
	return false;
}

/* Requests the workload makes when nothing fails. */
static uint64_t sl_build_requests(struct sl_fixture *f)
{
	struct sl_node *list = NULL;
	uint64_t k = 0;

	fault_inject_reset();
	if (!sl_build(&f->slab, &f->pool, &list)) {
		return 0;
	}
	k = fault_inject_count();
	sl_list_free(&f->slab, &f->pool, list);
	return k;
}

KTEST(slab, fault_inject_every_request_fails_cleanly)
{
	struct sl_fixture f = { 0 };
	uint64_t k = 0;
	unsigned int leaks = 0;
	unsigned int wrong = 0;

	uint64_t expect = 0;

	/* Two kmallocs per node, plus a page request for every node of kind 1 or 2. */
	for (unsigned int i = 0; i < SL_NODES; i++) {
		expect += 2 + (i % 3 != 0);
	}
	ASSERT_TRUE(sl_setup(&f, 256));
	k = sl_build_requests(&f);
	ASSERT_EQ(k, expect);
	slab_destroy(&f.slab);
	ASSERT_EQ(page_pool_free_pages(&f.pool), f.start_free);

	for (uint64_t n = 1; n <= k; n++) {
		struct sl_node *list = NULL;
		struct slab_stats st = { 0 };
		bool ok = false;

		/* A fresh heap per run: slab_destroy() below panics if the run leaked an object. */
		slab_init(&f.slab, &f.pool);
		fault_inject_fail_nth(n);
		ok = sl_build(&f.slab, &f.pool, &list);
		/* It stopped at the failed request and reported failure. */
		wrong += ok || list != NULL || fault_inject_count() != n;
		fault_inject_reset();
		slab_get_stats(&f.slab, &st);
		for (unsigned int c = 0; c < SLAB_CLASS_COUNT; c++) {
			leaks += st.classes[c].objects_in_use != 0;
		}
		leaks += st.large_in_use != 0;
		if (leaks != 0) {
			break;
		}
		slab_destroy(&f.slab);
		leaks += page_pool_free_pages(&f.pool) != f.start_free;
		leaks += !page_pool_check(&f.pool, NULL);
	}
	EXPECT_EQ(wrong, 0);
	EXPECT_EQ(leaks, 0);
	/* The same workload still succeeds once the hook is disarmed. */
	if (leaks == 0) {
		slab_init(&f.slab, &f.pool);
		EXPECT_EQ(sl_build_requests(&f), k);
	}
	SL_TEARDOWN(&f);
}

KTEST(slab, fault_inject_fail_after_each_prefix)
{
	struct sl_fixture f = { 0 };
	uint64_t k = 0;
	unsigned int wrong = 0;

	ASSERT_TRUE(sl_setup(&f, 256));
	k = sl_build_requests(&f);
	ASSERT_GT(k, 0);
	for (uint64_t n = 0; n <= k; n++) {
		struct sl_node *list = NULL;
		struct slab_stats st = { 0 };
		bool ok = false;

		fault_inject_fail_after(n);
		ok = sl_build(&f.slab, &f.pool, &list);
		/* Only a budget covering every request lets it succeed. */
		wrong += ok != (n == k);
		fault_inject_reset();
		sl_list_free(&f.slab, &f.pool, list);
		slab_get_stats(&f.slab, &st);
		wrong += st.large_in_use != 0 || !page_pool_check(&f.pool, NULL);
	}
	EXPECT_EQ(wrong, 0);
	SL_TEARDOWN(&f);
}

KTEST(slab, fault_inject_counts_one_per_kmalloc)
{
	struct sl_fixture f = { 0 };
	void *a = NULL;
	void *b = NULL;
	struct slab_stats st = { 0 };

	ASSERT_TRUE(sl_setup(&f, 16));
	/* The first kmalloc of a class also takes a page: still one request. */
	fault_inject_reset();
	a = slab_alloc(&f.slab, 32);
	EXPECT_EQ(fault_inject_count(), 1);
	b = slab_alloc(&f.slab, 10000);
	EXPECT_EQ(fault_inject_count(), 2);
	slab_free(&f.slab, b);
	/* An injected failure changes nothing, and lands in the class's fail counter. */
	fault_inject_fail_nth(1);
	EXPECT_NULL(slab_alloc(&f.slab, 32));
	b = slab_alloc(&f.slab, 10000);
	EXPECT_NOT_NULL(b);
	fault_inject_fail_nth(1);
	EXPECT_NULL(slab_alloc(&f.slab, 10000));
	fault_inject_reset();
	slab_get_stats(&f.slab, &st);
	EXPECT_EQ(st.classes[1].fail_count, 1);
	EXPECT_EQ(st.classes[1].objects_in_use, 1);
	EXPECT_EQ(st.large_fail_count, 1);
	EXPECT_EQ(st.large_in_use, 1);
	slab_free(&f.slab, b);
	slab_free(&f.slab, a);
	SL_TEARDOWN(&f);
}

#endif
