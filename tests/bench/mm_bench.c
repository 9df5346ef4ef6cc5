/*
 * mm_bench: cost of Bastion's allocators next to the simplest possible allocator.
 *
 * For each case it measures nanoseconds per alloc+free pair, and, in the same run and over the
 * same block size, a baseline: pop and push on a plain singly linked free list of pre-carved
 * blocks (no splitting, no metadata, no checks). It prints both and the ratio ours / baseline.
 * Each number is the best of BENCH_RUNS runs of about BENCH_PAIRS pairs (the minimum filters
 * out interrupts and frequency ramps; both sides get the same treatment).
 *
 * Cases: page_alloc orders 0, 1 and 3 as a tight alloc/free loop and as a batch (allocate
 * 1000, then free the 1000); kmalloc 16, 256, 2048 (slab classes) and 8192 (page backed).
 * Build with -O2 and without sanitizers, CONFIG_DEBUG or CONFIG_FAULT_INJECT (make bench).
 * See tests/bench/README.md for how to read the table. It reports numbers, not verdicts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mm/page_alloc.h"
#include "mm/slab.h"

#define BENCH_RUNS 5
#define BENCH_PAIRS 1000000u
#define BENCH_BATCH 1000u
#define BENCH_POOL_PAGES 16384u /* 64 MiB: room for a batch of 1000 order-3 blocks */
#define BENCH_FAKE_PA 0x100000000ull
#define BENCH_BASELINE_BYTES (1024u * (PAGE_SIZE << 3))

struct bench_node {
	struct bench_node *next;
};

/* The baseline allocator: a LIFO free list of equal blocks threaded through the blocks. */
struct bench_freelist {
	struct bench_node *head;
};

static struct page_pool bench_pool;
static struct slab_allocator bench_slab;
static uint8_t *bench_baseline_mem;
static void *bench_batch[BENCH_BATCH];

/* Keeps p alive as far as the compiler knows, without any real work. */
static inline void bench_use(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static uint64_t bench_now_ns(void)
{
	struct timespec ts = { 0 };

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Not inlined, like page_alloc()/kmalloc() (another translation unit), so both sides pay for a
 * call and the comparison is about the allocator's work.
 */
__attribute__((noinline)) static void *bench_fl_pop(struct bench_freelist *fl)
{
	struct bench_node *n = fl->head;

	if (n != NULL) {
		fl->head = n->next;
	}
	return n;
}

__attribute__((noinline)) static void bench_fl_push(struct bench_freelist *fl, void *p)
{
	struct bench_node *n = p;

	n->next = fl->head;
	fl->head = n;
}

/* Carves the baseline buffer into blocks of size bytes (at least BENCH_BATCH of them). */
static void bench_fl_fill(struct bench_freelist *fl, size_t size)
{
	size_t count = BENCH_BASELINE_BYTES / size;

	if (count > 4 * BENCH_BATCH) {
		count = 4 * BENCH_BATCH;
	}
	fl->head = NULL;
	for (size_t i = count; i-- > 0;) {
		bench_fl_push(fl, bench_baseline_mem + i * size);
	}
}

/* ---- one timed run of each pattern; each returns ns per pair --------------------------------- */

enum bench_kind {
	BENCH_PAGE,     /* page_alloc(order) / page_free */
	BENCH_KMALLOC,  /* slab_alloc(size) / slab_free */
	BENCH_BASELINE, /* free-list pop / push */
};

struct bench_case {
	enum bench_kind kind;
	unsigned int order;
	size_t size;
	struct bench_freelist *fl;
};

static void *bench_alloc(const struct bench_case *c)
{
	switch (c->kind) {
	case BENCH_PAGE:
		return page_alloc(&bench_pool, c->order, 0);
	case BENCH_KMALLOC:
		return slab_alloc(&bench_slab, c->size);
	case BENCH_BASELINE:
	default:
		return bench_fl_pop(c->fl);
	}
}

static void bench_free(const struct bench_case *c, void *p)
{
	switch (c->kind) {
	case BENCH_PAGE:
		page_free(&bench_pool, p, c->order);
		break;
	case BENCH_KMALLOC:
		slab_free(&bench_slab, p);
		break;
	case BENCH_BASELINE:
	default:
		bench_fl_push(c->fl, p);
		break;
	}
}

static double bench_pairs_once(const struct bench_case *c)
{
	uint64_t t0 = bench_now_ns();

	for (unsigned int i = 0; i < BENCH_PAIRS; i++) {
		void *p = bench_alloc(c);

		bench_use(p);
		bench_free(c, p);
	}
	return (double)(bench_now_ns() - t0) / BENCH_PAIRS;
}

static double bench_batch_once(const struct bench_case *c)
{
	unsigned int rounds = BENCH_PAIRS / BENCH_BATCH;
	uint64_t t0 = bench_now_ns();

	for (unsigned int r = 0; r < rounds; r++) {
		for (unsigned int i = 0; i < BENCH_BATCH; i++) {
			bench_batch[i] = bench_alloc(c);
			bench_use(bench_batch[i]);
		}
		for (unsigned int i = 0; i < BENCH_BATCH; i++) {
			bench_free(c, bench_batch[i]);
		}
	}
	return (double)(bench_now_ns() - t0) / ((double)rounds * BENCH_BATCH);
}

static double bench_best(const struct bench_case *c, bool batch)
{
	double best = 0.0;

	for (int run = 0; run < BENCH_RUNS; run++) {
		double ns = batch ? bench_batch_once(c) : bench_pairs_once(c);

		if (run == 0 || ns < best) {
			best = ns;
		}
	}
	return best;
}

static void bench_row(const char *name, const struct bench_case *ours, size_t block_bytes,
		      bool batch)
{
	struct bench_freelist fl = { .head = NULL };
	struct bench_case base = { .kind = BENCH_BASELINE, .order = 0, .size = 0, .fl = &fl };
	double ns_ours = 0.0;
	double ns_base = 0.0;

	bench_fl_fill(&fl, block_bytes);
	/* A warm-up run of each, untimed, so neither side pays first-touch faults. */
	(void)(batch ? bench_batch_once(ours) : bench_pairs_once(ours));
	(void)(batch ? bench_batch_once(&base) : bench_pairs_once(&base));
	ns_ours = bench_best(ours, batch);
	ns_base = bench_best(&base, batch);
	printf("%-34s %10.1f %13.1f %8.2f\n", name, ns_ours, ns_base, ns_ours / ns_base);
}

static int bench_setup(void)
{
	size_t meta_bytes = page_pool_meta_bytes(BENCH_POOL_PAGES);
	uint8_t *mem = aligned_alloc(PAGE_SIZE, (size_t)BENCH_POOL_PAGES * PAGE_SIZE);
	void *meta = malloc(meta_bytes);

	bench_baseline_mem = aligned_alloc(PAGE_SIZE, BENCH_BASELINE_BYTES);
	if (mem == NULL || meta == NULL || bench_baseline_mem == NULL) {
		fprintf(stderr, "mm_bench: out of host memory\n");
		return 1;
	}
	/* Touch everything now, so page faults stay out of the timed loops. */
	memset(mem, 0, (size_t)BENCH_POOL_PAGES * PAGE_SIZE);
	memset(bench_baseline_mem, 0, BENCH_BASELINE_BYTES);
	if (page_pool_init(&bench_pool, paddr_init(BENCH_FAKE_PA), BENCH_POOL_PAGES,
			   (uint64_t)(uintptr_t)mem - BENCH_FAKE_PA, meta,
			   meta_bytes) != PAGE_ALLOC_OK) {
		fprintf(stderr, "mm_bench: page_pool_init failed\n");
		return 1;
	}
	slab_init(&bench_slab, &bench_pool);
	return 0;
}

int main(void)
{
	static const unsigned int orders[] = { 0, 1, 3 };
	static const size_t sizes[] = { 16, 256, 2048, 8192 };
	char name[64] = { 0 };
	void *held = NULL;

	if (bench_setup() != 0) {
		return 1;
	}
	printf("mm_bench: ns per alloc+free pair, best of %d runs of %u pairs\n", BENCH_RUNS,
	       BENCH_PAIRS);
	printf("pool: %u pages (%u MiB); baseline: singly linked free list of equal blocks\n",
	       BENCH_POOL_PAGES, BENCH_POOL_PAGES / 256);
#ifdef CONFIG_DEBUG
	printf("note: CONFIG_DEBUG build, poisoning is included in the numbers\n");
#endif
	printf("\n%-34s %10s %13s %8s\n", "case", "ours (ns)", "baseline (ns)", "ratio");

	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		struct bench_case c = { .kind = BENCH_PAGE, .order = orders[i], .size = 0,
					.fl = NULL };

		snprintf(name, sizeof(name), "page_alloc order %u", orders[i]);
		bench_row(name, &c, PAGE_SIZE << orders[i], false);
		snprintf(name, sizeof(name), "page_alloc order %u, batch %u", orders[i],
			 BENCH_BATCH);
		bench_row(name, &c, PAGE_SIZE << orders[i], true);
	}
	/* Same loop with the first page held: the buddy is busy, so nothing splits or merges. */
	held = page_alloc(&bench_pool, 0, 0);
	{
		struct bench_case c = { .kind = BENCH_PAGE, .order = 0, .size = 0, .fl = NULL };

		bench_row("page_alloc order 0, buddy held", &c, PAGE_SIZE, false);
	}
	page_free(&bench_pool, held, 0);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct bench_case c = { .kind = BENCH_KMALLOC, .order = 0, .size = sizes[i],
					.fl = NULL };

		snprintf(name, sizeof(name), "kmalloc %zu", sizes[i]);
		bench_row(name, &c, sizes[i], false);
	}
	slab_destroy(&bench_slab);
	return 0;
}
